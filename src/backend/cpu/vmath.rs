//! Branch-free f32 and f64 `exp`, `exp2`, `expm1`, `ln`, `log2`, `log1p`, `sin`, `cos`, `tan`
//! and `tanh` that compilers vectorise (inside the AVX2
//! multiversion of the elementwise loops), in place of scalar libm calls. Cephes-style: range
//! reduction, then a short polynomial; tested against f64 (f32) or libm (f64) over dense
//! sweeps.

/// Largest |x| the sine, cosine and tangent reductions keep accurate (pi in parts); beyond
/// it, use libm.
pub(crate) const SIN_MAX_ARG: f32 = 8192.0;

/// The integer k of an integer-valued f32 with |k| < 2^22, read from the bits of
/// k + 1.5 * 2^23 (whose low mantissa bits hold k, two's complement). `k as i32` saturates
/// and maps NaN to 0, which compilers do one lane at a time; this stays in vector registers.
/// Other inputs give some integer (callers have a NaN or a patched lane there anyway).
#[inline(always)]
fn small_int(k: f32) -> i32 {
    const MAGIC: f32 = 12_582_912.0;
    ((k + MAGIC).to_bits() as i32).wrapping_sub(MAGIC.to_bits() as i32)
}

/// ln 2 in two parts (Cephes'): n LN2_HI is exact for every integer |n| < 2^8 that exp and
/// ln scale by.
const LN2_HI: f32 = 0.693_359_4;
const LN2_LO: f32 = -2.121_944_4e-4;

/// e^r for |r| <= ln(2) / 2: a degree-7 polynomial in Horner form (Cephes' expf).
#[inline(always)]
fn exp_reduced(r: f32) -> f32 {
    let p = 1.987_569_1e-4f32
        .mul_add(r, 1.398_199_9e-3)
        .mul_add(r, 8.333_452e-3)
        .mul_add(r, 4.166_579_6e-2)
        .mul_add(r, 1.666_666_5e-1)
        .mul_add(r, 0.5);
    p.mul_add(r * r, r) + 1.0
}

/// e 2^n for an integer-valued n in [-151, 129], as two normal factors 2^(n/2), so that
/// results down to the subnormals round once.
#[inline(always)]
fn times_pow2(e: f32, n: f32) -> f32 {
    let ni = small_int(n);
    let n1 = ni >> 1;
    let n2 = ni - n1;
    let s1 = f32::from_bits(((n1 + 127) as u32) << 23);
    let s2 = f32::from_bits(((n2 + 127) as u32) << 23);
    e * s1 * s2
}

/// e^x with at most 2 ulp error; NaN, infinities and subnormal results handled.
#[inline(always)]
pub(crate) fn exp_f32(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    let xc = x.clamp(-104.0, 89.0);
    let n = (xc * LOG2E + 0.5).floor();
    let r = n.mul_add(-LN2_LO, n.mul_add(-LN2_HI, xc));
    let v = times_pow2(exp_reduced(r), n);
    if x > 88.722_84 {
        f32::INFINITY
    } else if x < -103.972_08 {
        0.0
    } else {
        v // NaN in, NaN out (clamp keeps NaN)
    }
}

/// 2^x within 3 ulp, exact at integers; NaN, infinities and subnormal results handled.
/// x = n + f with n the nearest integer (f exact), then 2^f = e^(f ln 2).
#[inline(always)]
pub(crate) fn exp2_f32(x: f32) -> f32 {
    let xc = x.clamp(-151.0, 129.0);
    let n = (xc + 0.5).floor();
    let v = times_pow2(exp_reduced((xc - n) * std::f32::consts::LN_2), n);
    if x >= 128.0 {
        f32::INFINITY
    } else if x < -150.0 {
        0.0
    } else {
        v
    }
}

/// tanh(x) within 3 ulp: for |x| < 0.625 x + x^3 P(x^2) (Cephes' tanhf coefficients),
/// else 1 - 2 / (e^(2|x|) + 1) with the sign of x (1 from |x| = 9 on, where e^(2|x|)
/// swamps the 1; infinite past 44). Both are computed and one kept, so the loop vectorises.
#[inline(always)]
pub(crate) fn tanh_f32(x: f32) -> f32 {
    let z = x * x;
    let p = (-5.704_988_7e-3f32)
        .mul_add(z, 2.063_909e-2)
        .mul_add(z, -5.373_971_6e-2)
        .mul_add(z, 1.333_144_2e-1)
        .mul_add(z, -3.333_328e-1);
    let small = (p * z).mul_add(x, x);
    let a = x.abs();
    let big = 1.0 - 2.0 / (exp_f32(a + a) + 1.0);
    // NaN takes `big`, which is NaN; the sign of x also keeps tanh(-0) = -0.
    (if a < 0.625 { small } else { big }).copysign(x)
}

/// pi in three parts (Cephes' pi/4 parts, times 4): P1 and P2 have 8 and 11 significant
/// bits, so h P1 and h P2 are exact for any h with 13 significant bits or fewer.
const PI_PARTS: [f32; 3] = [3.140_625, 9.675_026e-4, 1.509_958e-7];

/// x - h pi, with h pi in [`PI_PARTS`] (each product exact for h as below).
#[inline(always)]
fn minus_pi_times(x: f32, h: f32) -> f32 {
    let [p1, p2, p3] = PI_PARTS;
    h.mul_add(-p3, h.mul_add(-p2, h.mul_add(-p1, x)))
}

/// sin(x - h pi) for an integer or half-integer h with |2h| < 2^13, where x - h pi lies in
/// [-pi/2, pi/2]: the reduction in three parts (each product exact), then an odd Taylor
/// polynomial of degree 13 (truncation below 7e-10).
#[inline(always)]
fn sin_reduced(x: f32, h: f32) -> f32 {
    let r = minus_pi_times(x, h);
    let z = r * r;
    let p = 1.605_904_4e-10f32
        .mul_add(z, -2.505_210_8e-8)
        .mul_add(z, 2.755_731_9e-6)
        .mul_add(z, -1.984_127e-4)
        .mul_add(z, 8.333_333e-3)
        .mul_add(z, -1.666_666_7e-1);
    (p * z).mul_add(r, r)
}

/// `v` negated where the integer-valued k is odd (|k| < 2^22), by its sign bit.
#[inline(always)]
fn neg_if_odd(v: f32, k: f32) -> f32 {
    f32::from_bits(v.to_bits() ^ (((small_int(k) as u32) & 1) << 31))
}

/// sin(x) for |x| <= SIN_MAX_ARG within 3 ulp (2.1 measured; absolute 2^-24 near zeros).
/// x = k pi + r with k the nearest integer to x / pi, sin x = (-1)^k sin r: no octant
/// selection, so every lane runs the same few FMAs.
#[inline(always)]
pub(crate) fn sin_f32(x: f32) -> f32 {
    let k = (x * std::f32::consts::FRAC_1_PI + 0.5).floor();
    // |k| < 2^12 where the result is used (larger arguments are patched by the caller).
    let v = neg_if_odd(sin_reduced(x, k), k);
    // The series' correction is +0 at r = -0, and -0 + +0 is +0: keep sin(-0) = -0.
    if x == 0.0 { x } else { v }
}

/// cos(x) for |x| <= SIN_MAX_ARG, as accurate as [`sin_f32`] and 1 at 0. Near its zeros,
/// x = (k + 1/2) pi + r with k = floor(x / pi) and cos x = (-1)^(k+1) sin r; near its
/// extremes, x = j pi + t with j the nearest integer and cos x = (-1)^j cos t, by an even
/// Taylor polynomial of degree 12 in t (|t| <= pi/4: truncation below 4e-11), which is
/// exactly 1 at t = 0. Both run and one is kept, so the loop vectorises.
#[inline(always)]
pub(crate) fn cos_f32(x: f32) -> f32 {
    let q = x * std::f32::consts::FRAC_1_PI;
    let k = q.floor();
    let near_zero = -neg_if_odd(sin_reduced(x, k + 0.5), k);
    let j = (q + 0.5).floor();
    let t = minus_pi_times(x, j);
    let z = t * t;
    let c = 2.087_675_7e-9f32
        .mul_add(z, -2.755_732e-7)
        .mul_add(z, 2.480_158_7e-5)
        .mul_add(z, -1.388_888_9e-3)
        .mul_add(z, 4.166_666_8e-2)
        .mul_add(z, -0.5)
        .mul_add(z, 1.0);
    let near_extreme = neg_if_odd(c, j);
    // |t| <= pi/4 where x / pi is within 1/4 of an integer.
    if (q - j).abs() <= 0.25 {
        near_extreme
    } else {
        near_zero
    }
}

/// tan(x) for |x| <= SIN_MAX_ARG within 4 ulp, near the zeros and poles too: x = h pi/2 + r
/// with h the nearest integer to 2x / pi (|r| <= pi/4; [`sin_f32`]'s reduction with h / 2 and
/// a fourth part of pi), tan r = r + r^3 P(r^2) (Cephes' tanf coefficients), and -1 / tan r
/// for odd h. Both run and one is kept.
#[inline(always)]
pub(crate) fn tan_f32(x: f32) -> f32 {
    // pi less its three parts: near tan's poles 1 / tan r magnifies r's absolute error.
    const PI_REST: f32 = -3.430_249e-15;
    let h = (x * std::f32::consts::FRAC_2_PI + 0.5).floor();
    let r = (h * 0.5).mul_add(-PI_REST, minus_pi_times(x, h * 0.5));
    let z = r * r;
    let p = 9.385_401e-3_f32
        .mul_add(z, 3.119_922_3e-3)
        .mul_add(z, 2.443_013_5e-2)
        .mul_add(z, 5.341_128e-2)
        .mul_add(z, 1.333_88e-1)
        .mul_add(z, 3.333_315_7e-1);
    let t = (p * z).mul_add(r, r);
    if small_int(h) & 1 == 1 {
        -1.0 / t
    } else if x == 0.0 {
        x // the fourth part's +0 product would turn -0 into +0
    } else {
        t
    }
}

/// e^x - 1 within 3 ulp, accurate near 0 where e^x - 1 loses its digits: x = n ln 2 + r
/// (|r| <= ln(2) / 2), e^x - 1 = 2^n (e^r - 1) + (2^n - 1) with e^r - 1 by its Taylor series
/// to degree 7 (truncation below 2e-8 of r) and 2^n - 1 exact for |n| <= 24. From x = 17 on,
/// e^x - 1 is [`exp_f32`]'s value less 1; below -17.5 it rounds to -1. -0 stays -0.
#[inline(always)]
pub(crate) fn expm1_f32(x: f32) -> f32 {
    let xc = x.clamp(-17.5, 17.0);
    let n = (xc * std::f32::consts::LOG2_E + 0.5).floor();
    let r = n.mul_add(-LN2_LO, n.mul_add(-LN2_HI, xc));
    let q = (1.0f32 / 5040.0)
        .mul_add(r, 1.0 / 720.0)
        .mul_add(r, 1.0 / 120.0)
        .mul_add(r, 1.0 / 24.0)
        .mul_add(r, 1.0 / 6.0)
        .mul_add(r, 0.5);
    let em = (r * r).mul_add(q, r);
    let s = f32::from_bits(((small_int(n) + 127) as u32) << 23);
    let mid = em.mul_add(s, s - 1.0);
    if x > 17.0 {
        exp_f32(x) - 1.0
    } else if x < -17.5 {
        -1.0
    } else if x == 0.0 {
        x
    } else {
        mid // NaN in, NaN out
    }
}

/// ln(1 + x) within 3 ulp, accurate near 0: u = 1 + x rounded, then ln u plus the
/// rounding's share (x - (u - 1)) / u, both terms exact but the last division. log1p(-1) =
/// -inf, log1p(inf) = inf, NaN below -1; -0 stays -0.
#[inline(always)]
pub(crate) fn log1p_f32(x: f32) -> f32 {
    let u = 1.0 + x;
    let v = ln_f32(u) + (x - (u - 1.0)) / u;
    if x == 0.0 || x == f32::INFINITY {
        x
    } else if x == -1.0 {
        f32::NEG_INFINITY
    } else {
        v
    }
}

/// x = 2^k m with m in [sqrt(1/2), sqrt(2)), read from the bits of a positive normal x.
#[inline(always)]
fn split(x: f32) -> (i32, f32) {
    // The bits of sqrt(1/2): subtracting them puts m's range boundary at an exponent step.
    const SQRT_HALF: u32 = 0x3f35_04f3;
    let off = x.to_bits().wrapping_sub(SQRT_HALF);
    (
        (off as i32) >> 23,
        f32::from_bits((off & 0x007f_ffff) + SQRT_HALF),
    )
}

/// log2(x) within 1.5e-7 absolute for positive normal x, and log2(inf) = inf (other inputs
/// give meaningless values): the exponent from the bits, and log2 of the mantissa m as
/// f P(f), f = m - 1, P of degree 7 (a least-squares fit on [sqrt(1/2) - 1, sqrt(2) - 1]
/// made for this crate; 5e-8 before f32 rounding). No division, so about half the time of
/// [`ln_f32`]; for values that are looked at, not computed on (smooth colouring).
#[inline(always)]
pub(crate) fn log2_f32_approx(x: f32) -> f32 {
    let (k, m) = split(x);
    let f = m - 1.0;
    let p = -0.145_744_37f32;
    let p = p * f + 0.236_890_33;
    let p = p * f - 0.250_069_05;
    let p = p * f + 0.286_707_46;
    let p = p * f - 0.360_087_22;
    let p = p * f + 0.480_939_45;
    let p = p * f - 0.721_357_17;
    let p = p * f + 1.442_694_8;
    let r = k as f32 + f * p;
    if x == f32::INFINITY { x } else { r }
}

/// x = 2^k m (subnormals included) and ln m, m in [sqrt(1/2), sqrt(2)) read from the bits:
/// ln m = 2 atanh(s), s = (m - 1) / (m + 1), as a series in s^2 (|s| <= 0.172, so the first
/// term left out is below 2e-9 of the sum). Meaningful for positive finite x.
#[inline(always)]
fn ln_parts(x: f32) -> (f32, f32) {
    let tiny = x < f32::MIN_POSITIVE;
    let xs = if tiny { x * 8_388_608.0 } else { x }; // subnormals scaled by 2^23
    let (k, m) = split(xs);
    let k = k - if tiny { 23 } else { 0 };
    let f = m - 1.0; // exact
    let s = f / (2.0 + f);
    let z = s * s;
    let p = z * (1.0 / 3.0 + z * (0.2 + z * (1.0 / 7.0 + z * (1.0 / 9.0))));
    // 2s (1 + p) written as f - s (f - 2p), since 2s = f - s f: f is exact and the
    // correction small, so the rounding of the division hardly shows.
    (k as f32, f - s * (f - (p + p)))
}

/// `r` for positive finite x; the logarithm's own values elsewhere: log(inf) = inf,
/// log(+-0) = -inf, NaN for negative x and NaN.
#[inline(always)]
fn log_special(x: f32, r: f32) -> f32 {
    if x == f32::INFINITY {
        x
    } else if x == 0.0 {
        f32::NEG_INFINITY
    } else if x > 0.0 {
        r
    } else {
        f32::NAN // negative or NaN
    }
}

/// ln(x) within 2 ulp for positive x, subnormals included; ln(+-0) = -inf, ln(inf) = inf,
/// NaN for negative x and NaN ([`ln_parts`]). Branch-free and with no fused multiply-adds,
/// so a vectorised loop and a scalar call give the same bits on any CPU.
#[inline(always)]
pub(crate) fn ln_f32(x: f32) -> f32 {
    let (kf, lnm) = ln_parts(x);
    log_special(x, kf * LN2_HI + (lnm + kf * LN2_LO))
}

/// log2(x) within 2 ulp, exact at powers of two, with [`ln_f32`]'s special values:
/// k + ln(m) log2(e).
#[inline(always)]
pub(crate) fn log2_f32(x: f32) -> f32 {
    let (kf, lnm) = ln_parts(x);
    log_special(x, kf + lnm * std::f32::consts::LOG2_E)
}

/// The polynomial with coefficients `c` (highest degree first) at x, by fused Horner steps.
#[inline(always)]
fn horner<const N: usize>(c: &[f64; N], x: f64) -> f64 {
    c[1..].iter().fold(c[0], |p, &k| p.mul_add(x, k))
}

/// The integer k of an integer-valued f64 with |k| < 2^51, from the bits of k + 1.5 * 2^52
/// (as [`small_int`] does for f32).
#[inline(always)]
fn small_int64(k: f64) -> i64 {
    const MAGIC: f64 = 6_755_399_441_055_744.0;
    ((k + MAGIC).to_bits() as i64).wrapping_sub(MAGIC.to_bits() as i64)
}

/// ln 2 in two parts (fdlibm's): n LN2_HI_64 is exact for every |n| < 2^20.
pub(crate) const LN2_HI_64: f64 = 6.931_471_803_691_238e-1;
pub(crate) const LN2_LO_64: f64 = 1.908_214_929_270_587_7e-10;

/// 1/k! for k = N + 1 down to 2: e^x's Taylor coefficients past 1 + x, highest first (k!
/// is exact in f64 up to 18!, so each is the correctly rounded quotient).
const fn inverse_factorials<const N: usize>() -> [f64; N] {
    let mut c = [0.0; N];
    let mut i = 0;
    while i < N {
        let (k, mut f, mut j) = (N + 1 - i, 1.0, 2);
        while j <= k {
            f *= j as f64;
            j += 1;
        }
        c[i] = 1.0 / f;
        i += 1;
    }
    c
}

/// e^r's Taylor coefficients 1/k! for k = 13 down to 2 (also in WGSL's f64 exp).
pub(crate) const EXP_C64: [f64; 12] = inverse_factorials();

/// e^r for |r| <= ln(2) / 2: 1 + r + r^2 P(r) with P the Taylor series to r^13 / 13!
/// (truncation below 5e-18).
#[inline(always)]
fn exp_reduced64(r: f64) -> f64 {
    horner(&EXP_C64, r).mul_add(r * r, r) + 1.0
}

/// e 2^n for an integer-valued n in [-1100, 1100], in two factors 2^(n/2) so that neither
/// overflows or goes subnormal on the way: the product rounds once.
#[inline(always)]
fn times_pow2_64(e: f64, n: f64) -> f64 {
    let ni = small_int64(n);
    let n1 = ni >> 1;
    let n2 = ni - n1;
    let s1 = f64::from_bits(((n1 + 1023) as u64) << 52);
    let s2 = f64::from_bits(((n2 + 1023) as u64) << 52);
    e * s1 * s2
}

/// e^x in f64 within 2 ulp (1.0 measured against libm); NaN, infinities and subnormal
/// results handled: x = n ln 2 + r with |r| <= ln(2) / 2, then [`exp_reduced64`] scaled by
/// 2^n.
#[inline(always)]
pub(crate) fn exp_f64(x: f64) -> f64 {
    let xc = x.clamp(-746.0, 710.0);
    let n = (xc * std::f64::consts::LOG2_E + 0.5).floor();
    let r = n.mul_add(-LN2_LO_64, n.mul_add(-LN2_HI_64, xc));
    let v = times_pow2_64(exp_reduced64(r), n);
    if x > 709.782_712_893_384 {
        f64::INFINITY
    } else if x < -745.133_219_101_941_2 {
        0.0
    } else {
        v // NaN in, NaN out (clamp keeps NaN)
    }
}

/// 2^x in f64 within 2 ulp: 2^n e^(r ln 2) with n the nearest integer and r = x - n exact,
/// so |r ln 2| <= ln(2) / 2 and the rounding of r ln 2 (below 2^-55) costs under 0.25 ulp.
/// Exact at integers; subnormal results and the limits as libm's.
#[inline(always)]
pub(crate) fn exp2_f64(x: f64) -> f64 {
    let n = (x.clamp(-1100.0, 1100.0) + 0.5).floor();
    let v = times_pow2_64(exp_reduced64((x - n) * std::f64::consts::LN_2), n);
    if x >= 1024.0 {
        f64::INFINITY
    } else if x < -1075.0 {
        0.0
    } else {
        v // NaN in, NaN out
    }
}

/// expm1's Taylor coefficients past x: 1/k! for k = 18 down to 2 (also in WGSL's f64 expm1).
pub(crate) const EXPM1_C64: [f64; 17] = inverse_factorials();

/// e^x - 1 in f64 within 2 ulp: below 0.7 in magnitude the Taylor series to x^18 / 18!
/// (truncation below 1e-20 of x), beyond it [`exp_f64`] less 1, where the cancellation at
/// most doubles exp's error. -0 stays -0.
#[inline(always)]
pub(crate) fn expm1_f64(x: f64) -> f64 {
    let small = (x * x).mul_add(horner(&EXPM1_C64, x), x);
    let big = exp_f64(x) - 1.0;
    if x == 0.0 {
        x
    } else if x.abs() < 0.7 {
        small
    } else {
        big
    }
}

/// tanh in f64 within 3 ulp: t / (t + 2) with t = e^(2|x|) - 1 by [`expm1_f64`] (so small
/// arguments keep their relative accuracy), the sign put back; 1 from |x| = 20 on.
#[inline(always)]
pub(crate) fn tanh_f64(x: f64) -> f64 {
    let t = expm1_f64(2.0 * x.abs().min(20.0));
    let r = t / (t + 2.0);
    if x == 0.0 || x.is_nan() {
        x
    } else if x < 0.0 {
        -r
    } else {
        r
    }
}

/// ln's series in s^2: 1 / (2j + 1) for j = 11 down to 1 (also in WGSL's f64 log).
pub(crate) const LN_C64: [f64; 11] = [
    1.0 / 23.0,
    1.0 / 21.0,
    1.0 / 19.0,
    1.0 / 17.0,
    1.0 / 15.0,
    1.0 / 13.0,
    1.0 / 11.0,
    1.0 / 9.0,
    1.0 / 7.0,
    1.0 / 5.0,
    1.0 / 3.0,
];

/// ln(1 + f) for 1 + f in [sqrt(1/2), sqrt(2)): 2 atanh(s) with s = f / (2 + f) as a
/// series in s^2 to s^23 (|s| <= 0.172: the next term is below 1e-18 of the sum), written
/// 2s (1 + p) = f - s (f - 2p) as in ln_parts.
#[inline(always)]
fn ln_1p_reduced64(f: f64) -> f64 {
    let s = f / (2.0 + f);
    let z = s * s;
    let p = horner(&LN_C64, z) * z;
    f - s * (f - (p + p))
}

/// (k, ln m) for x = 2^k m with m in [sqrt(1/2), sqrt(2)) from the bits (subnormals scaled
/// by 2^54 first), for positive x; other x give values [`log_special64`] replaces.
#[inline(always)]
fn ln_parts64(x: f64) -> (f64, f64) {
    const SQRT_HALF: u64 = 0x3fe6_a09e_667f_3bcd;
    let tiny = x < f64::MIN_POSITIVE;
    let xs = if tiny {
        x * 18_014_398_509_481_984.0
    } else {
        x
    };
    let off = xs.to_bits().wrapping_sub(SQRT_HALF);
    let k = ((off as i64) >> 52) - if tiny { 54 } else { 0 };
    let m = f64::from_bits((off & 0x000f_ffff_ffff_ffff) + SQRT_HALF);
    (k as f64, ln_1p_reduced64(m - 1.0)) // m - 1 is exact
}

/// A logarithm's value `r` of x, or its special value: x for +inf, -inf for 0, NaN for
/// negative x and NaN.
#[inline(always)]
fn log_special64(x: f64, r: f64) -> f64 {
    if x == f64::INFINITY {
        x
    } else if x == 0.0 {
        f64::NEG_INFINITY
    } else if x > 0.0 {
        r
    } else {
        f64::NAN // negative or NaN
    }
}

/// ln(x) in f64 within 2 ulp for positive x, subnormals included, with [`ln_f32`]'s special
/// values: [`ln_parts64`], then k ln 2 in two parts.
#[inline(always)]
pub(crate) fn ln_f64(x: f64) -> f64 {
    let (k, lnm) = ln_parts64(x);
    log_special64(x, k.mul_add(LN2_HI_64, k.mul_add(LN2_LO_64, lnm)))
}

/// log2(x) in f64 within 2 ulp: k + ln(m) log2(e) from [`ln_parts64`]; exact at powers of
/// two.
#[inline(always)]
pub(crate) fn log2_f64(x: f64) -> f64 {
    let (k, lnm) = ln_parts64(x);
    log_special64(x, lnm.mul_add(std::f64::consts::LOG2_E, k))
}

/// ln(1 + x) in f64 within 2 ulp: where 1 + x is in [sqrt(1/2), sqrt(2)) the series takes x
/// itself (exact, so small x keep their relative accuracy); elsewhere ln(1 + x), where the
/// rounding of 1 + x costs under 0.3 ulp of the result. -0 stays -0.
#[inline(always)]
pub(crate) fn log1p_f64(x: f64) -> f64 {
    let near = ln_1p_reduced64(x);
    let far = ln_f64(1.0 + x);
    if x == 0.0 {
        x
    } else if (-0.292_893_218_813_452_4..0.414_213_562_373_095_1).contains(&x) {
        near
    } else {
        far
    }
}

/// pi in three parts (fdlibm's pi/2 parts, times 2): P1 and P2 have 33 significant bits, so
/// h P1 and h P2 are exact for any integer or half-integer h with |2h| < 2^20.
pub(crate) const PI_PARTS_64: [f64; 3] = [
    3.141_592_653_468_251_2,
    1.215_420_101_260_793_2e-10,
    4.044_532_497_422_333e-21,
];

/// x - h pi with [`PI_PARTS_64`].
#[inline(always)]
fn minus_pi_times64(x: f64, h: f64) -> f64 {
    let [p1, p2, p3] = PI_PARTS_64;
    h.mul_add(-p3, h.mul_add(-p2, h.mul_add(-p1, x)))
}

/// sin's Taylor coefficients (-1)^k / (2k + 1)! for k = 11 down to 1.
pub(crate) const SIN_C64: [f64; 11] = [
    -1.0 / 25_852_016_738_884_976_640_000.0,
    1.0 / 51_090_942_171_709_440_000.0,
    -1.0 / 121_645_100_408_832_000.0,
    1.0 / 355_687_428_096_000.0,
    -1.0 / 1_307_674_368_000.0,
    1.0 / 6_227_020_800.0,
    -1.0 / 39_916_800.0,
    1.0 / 362_880.0,
    -1.0 / 5_040.0,
    1.0 / 120.0,
    -1.0 / 6.0,
];

/// sin(x - h pi) in f64 for x - h pi in [-pi/2, pi/2]: the odd Taylor series to r^23 / 23!
/// (truncation below 2e-18).
#[inline(always)]
fn sin_reduced64(x: f64, h: f64) -> f64 {
    let r = minus_pi_times64(x, h);
    let z = r * r;
    (horner(&SIN_C64, z) * z).mul_add(r, r)
}

/// `v` negated where the integer-valued k is odd (|k| < 2^51).
#[inline(always)]
fn neg_if_odd64(v: f64, k: f64) -> f64 {
    f64::from_bits(v.to_bits() ^ (((small_int64(k) as u64) & 1) << 63))
}

/// sin(x) in f64 for |x| <= SIN_MAX_ARG within 2 ulp of libm (or 2^-53 absolute near its
/// zeros): [`sin_f32`]'s design with the f64 series.
#[inline(always)]
pub(crate) fn sin_f64(x: f64) -> f64 {
    let k = (x * std::f64::consts::FRAC_1_PI + 0.5).floor();
    let v = neg_if_odd64(sin_reduced64(x, k), k);
    if x == 0.0 { x } else { v } // sin(-0) = -0, as in sin_f32
}

/// cos's Taylor coefficients (-1)^k / (2k)! for k = 9 down to 0.
pub(crate) const COS_C64: [f64; 10] = [
    -1.0 / 6_402_373_705_728_000.0,
    1.0 / 20_922_789_888_000.0,
    -1.0 / 87_178_291_200.0,
    1.0 / 479_001_600.0,
    -1.0 / 3_628_800.0,
    1.0 / 40_320.0,
    -1.0 / 720.0,
    1.0 / 24.0,
    -0.5,
    1.0,
];

/// cos(x) in f64 for |x| <= SIN_MAX_ARG, as accurate as [`sin_f64`] and 1 at 0:
/// [`cos_f32`]'s design, with the even Taylor series to t^18 / 18! near the extremes
/// (|t| <= pi/4: truncation below 4e-21).
#[inline(always)]
pub(crate) fn cos_f64(x: f64) -> f64 {
    let q = x * std::f64::consts::FRAC_1_PI;
    let k = q.floor();
    let near_zero = -neg_if_odd64(sin_reduced64(x, k + 0.5), k);
    let j = (q + 0.5).floor();
    let t = minus_pi_times64(x, j);
    let z = t * t;
    let near_extreme = neg_if_odd64(horner(&COS_C64, z), j);
    if (q - j).abs() <= 0.25 {
        near_extreme
    } else {
        near_zero
    }
}

/// tan(x) in f64 for |x| <= SIN_MAX_ARG within 4 ulp of libm: [`sin_f64`] / [`cos_f64`].
#[inline(always)]
pub(crate) fn tan_f64(x: f64) -> f64 {
    sin_f64(x) / cos_f64(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Error in units of the f32 spacing at the exact value.
    fn ulps(got: f32, exact: f64) -> f64 {
        let spacing = if exact == 0.0 {
            f32::from_bits(1) as f64
        } else {
            let e = exact as f32;
            ((f32::from_bits(e.abs().to_bits() + 1) - e.abs()) as f64).max(f32::from_bits(1) as f64)
        };
        (got as f64 - exact).abs() / spacing
    }

    #[test]
    fn exp_is_within_2_ulp_everywhere() {
        let mut worst = 0f64;
        let mut x = -104.0f32;
        while x < 89.0 {
            let exact = (x as f64).exp();
            if (exact as f32).is_infinite() {
                assert_eq!(exp_f32(x), f32::INFINITY, "exp({x}) overflows f32");
                x += 0.000_37;
                continue;
            }
            let u = ulps(exp_f32(x), exact);
            assert!(u <= 2.0, "exp({x}) = {} vs {exact}: {u} ulp", exp_f32(x));
            worst = worst.max(u);
            x += 0.000_37;
        }
        assert_eq!(exp_f32(f32::INFINITY), f32::INFINITY);
        assert_eq!(exp_f32(f32::NEG_INFINITY), 0.0);
        assert!(exp_f32(f32::NAN).is_nan());
        assert_eq!(exp_f32(0.0), 1.0);
        eprintln!("exp worst {worst} ulp");
    }

    #[test]
    fn exp2_is_within_3_ulp_and_exact_at_integers() {
        let (mut x, mut worst) = (-160f32, 0f64);
        while x < 130.0 {
            let exact = 2f64.powf(x as f64);
            let u = if exact > f32::MAX as f64 {
                assert_eq!(exp2_f32(x), f32::INFINITY, "{x}");
                0.0
            } else {
                ulps(exp2_f32(x), exact)
            };
            assert!(u <= 3.0, "exp2({x}) = {} vs {exact}: {u} ulp", exp2_f32(x));
            worst = worst.max(u);
            x += 0.000_71;
        }
        for n in -149..128 {
            assert_eq!(exp2_f32(n as f32) as f64, 2f64.powi(n), "2^{n}");
        }
        assert_eq!(exp2_f32(-150.0), 0.0);
        assert_eq!(exp2_f32(f32::INFINITY), f32::INFINITY);
        assert_eq!(exp2_f32(f32::NEG_INFINITY), 0.0);
        assert!(exp2_f32(f32::NAN).is_nan());
        eprintln!("exp2 worst {worst} ulp");
    }

    #[test]
    fn tanh_is_within_3_ulp() {
        let (mut x, mut worst) = (-12f32, 0f64);
        while x < 12.0 {
            let u = ulps(tanh_f32(x), (x as f64).tanh());
            assert!(
                u <= 3.0,
                "tanh({x}) = {} vs {}: {u} ulp",
                tanh_f32(x),
                (x as f64).tanh()
            );
            worst = worst.max(u);
            x += 0.000_13;
        }
        for x in [
            0.0f32,
            -0.0,
            1e-30,
            -1e-7,
            1e-3,
            0.624_999_9,
            0.625,
            50.0,
            -1e30,
        ] {
            let u = ulps(tanh_f32(x), (x as f64).tanh());
            assert!(u <= 3.0, "tanh({x}) = {}", tanh_f32(x));
        }
        assert_eq!(tanh_f32(-0.0).to_bits(), (-0.0f32).to_bits());
        assert_eq!(tanh_f32(f32::INFINITY), 1.0);
        assert_eq!(tanh_f32(f32::NEG_INFINITY), -1.0);
        assert!(tanh_f32(f32::NAN).is_nan());
        eprintln!("tanh worst {worst} ulp");
    }

    /// `f` against `exact` over [-SIN_MAX_ARG, SIN_MAX_ARG]: within 3 ulp, or 2^-24 absolute.
    fn trig_sweep(name: &str, f: fn(f32) -> f32, exact: fn(f64) -> f64) {
        let (mut x, mut worst) = (-SIN_MAX_ARG, 0f64);
        while x < SIN_MAX_ARG {
            let (got, want) = (f(x), exact(x as f64));
            let err = (got as f64 - want).abs();
            let u = ulps(got, want);
            assert!(
                u <= 3.0 || err <= 2f64.powi(-24),
                "{name}({x}) = {got} vs {want}"
            );
            if err > 2f64.powi(-24) {
                worst = worst.max(u);
            }
            x += 0.000_31;
        }
        eprintln!("{name} worst {worst} ulp (where the error exceeds 2^-24)");
    }

    #[test]
    fn cos_is_within_3_ulp_or_2_pow_minus_24() {
        trig_sweep("cos", cos_f32, f64::cos);
        assert_eq!(cos_f32(0.0), 1.0);
        assert_eq!(cos_f32(-0.0), 1.0);
        assert_eq!(cos_f32(std::f32::consts::PI), -1.0);
        assert!(cos_f32(f32::NAN).is_nan());
        assert!(cos_f32(f32::INFINITY).is_nan());
    }

    #[test]
    fn log2_is_within_2_ulp_and_exact_at_powers_of_two() {
        for bits in (1u32..0x7f80_0000).step_by(97) {
            let x = f32::from_bits(bits);
            let u = ulps(log2_f32(x), (x as f64).log2());
            assert!(u <= 2.0, "log2({x:e}) = {}: {u} ulp", log2_f32(x));
        }
        for k in -149i32..128 {
            let x = if k < -126 {
                f32::from_bits(1 << (k + 149))
            } else {
                f32::from_bits(((k + 127) as u32) << 23)
            };
            assert_eq!(log2_f32(x), k as f32, "log2(2^{k})");
        }
        assert_eq!(log2_f32(f32::INFINITY), f32::INFINITY);
        assert_eq!(log2_f32(0.0), f32::NEG_INFINITY);
        assert!(log2_f32(-1.0).is_nan() && log2_f32(f32::NAN).is_nan());
    }

    #[test]
    fn small_int_reads_every_integer_below_2_pow_22() {
        for k in (-(1i32 << 22) + 1..1 << 22).step_by(7).chain([-1, 0, 1]) {
            assert_eq!(small_int(k as f32), k);
        }
        assert_eq!(small_int(-0.0), 0);
    }

    #[test]
    fn sin_is_within_3_ulp_or_2_pow_minus_24() {
        trig_sweep("sin", sin_f32, f64::sin);
        for x in [0.0f32, 1e-30, -1e-7, 0.5, std::f32::consts::PI] {
            assert!(
                (sin_f32(x) as f64 - (x as f64).sin()).abs() <= 2f64.powi(-24),
                "{x}"
            );
        }
        assert!(sin_f32(f32::NAN).is_nan());
        assert_eq!(sin_f32(-0.0).to_bits(), (-0.0f32).to_bits());
    }

    #[test]
    fn ln_is_within_2_ulp_from_subnormals_to_the_largest_float() {
        let mut worst = 0f64;
        // Every 97th bit pattern of the positive floats: subnormals, normals, all exponents.
        for bits in (1u32..0x7f80_0000).step_by(97) {
            let x = f32::from_bits(bits);
            let u = ulps(ln_f32(x), (x as f64).ln());
            assert!(
                u <= 2.0,
                "ln({x:e}) = {} vs {}: {u} ulp",
                ln_f32(x),
                (x as f64).ln()
            );
            worst = worst.max(u);
        }
        // Near 1, where ln is small and relative accuracy is hardest.
        for d in 1..20_000 {
            for x in [1.0 + d as f32 * 1e-7, 1.0 - d as f32 * 5e-8] {
                let u = ulps(ln_f32(x), (x as f64).ln());
                assert!(u <= 2.0, "ln({x}) = {}: {u} ulp", ln_f32(x));
            }
        }
        assert_eq!(ln_f32(1.0), 0.0);
        assert_eq!(ln_f32(f32::INFINITY), f32::INFINITY);
        assert_eq!(ln_f32(0.0), f32::NEG_INFINITY);
        assert_eq!(ln_f32(-0.0), f32::NEG_INFINITY);
        assert!(ln_f32(-1.0).is_nan() && ln_f32(f32::NAN).is_nan());
        assert!(ln_f32(f32::NEG_INFINITY).is_nan());
        eprintln!("ln worst {worst} ulp");
    }

    #[test]
    fn tan_is_within_4_ulp() {
        // Every 0.00031 over the whole range: near the zeros and the poles as well.
        let (mut x, mut worst) = (-SIN_MAX_ARG, 0f64);
        while x < SIN_MAX_ARG {
            let (got, want) = (tan_f32(x), (x as f64).tan());
            let u = ulps(got, want);
            assert!(u <= 4.0, "tan({x}) = {got} vs {want}: {u} ulp");
            worst = worst.max(u);
            x += 0.000_31;
        }
        for x in [
            1e-30f32,
            -1e-7,
            0.5,
            std::f32::consts::FRAC_PI_4,
            std::f32::consts::FRAC_PI_2,
            -std::f32::consts::FRAC_PI_2,
            3.0,
        ] {
            let u = ulps(tan_f32(x), (x as f64).tan());
            assert!(u <= 4.0, "tan({x}) = {}: {u} ulp", tan_f32(x));
        }
        assert_eq!(tan_f32(-0.0).to_bits(), (-0.0f32).to_bits());
        assert_eq!(tan_f32(0.0).to_bits(), 0);
        assert!(tan_f32(f32::NAN).is_nan());
        eprintln!("tan worst {worst} ulp");
    }

    #[test]
    fn expm1_is_within_3_ulp_and_exact_near_0() {
        let (mut x, mut worst) = (-20f32, 0f64);
        while x < 89.0 {
            let exact = (x as f64).exp_m1();
            if (exact as f32).is_infinite() {
                assert_eq!(expm1_f32(x), f32::INFINITY, "expm1({x}) overflows f32");
            } else {
                let u = ulps(expm1_f32(x), exact);
                assert!(
                    u <= 3.0,
                    "expm1({x}) = {} vs {exact}: {u} ulp",
                    expm1_f32(x)
                );
                worst = worst.max(u);
            }
            x += 0.000_29;
        }
        // Tiny arguments, where e^x - 1 computed plainly would be 0 or 2^-23 steps.
        for k in 0..4000 {
            let x = (k as f32 - 2000.0) * 1.3e-7 + f32::EPSILON * 0.01 * k as f32;
            let u = ulps(expm1_f32(x), (x as f64).exp_m1());
            assert!(u <= 3.0, "expm1({x}) = {}: {u} ulp", expm1_f32(x));
        }
        assert_eq!(expm1_f32(1e-30), 1e-30);
        assert_eq!(expm1_f32(-0.0).to_bits(), (-0.0f32).to_bits());
        assert_eq!(expm1_f32(f32::INFINITY), f32::INFINITY);
        assert_eq!(expm1_f32(f32::NEG_INFINITY), -1.0);
        assert!(expm1_f32(f32::NAN).is_nan());
        eprintln!("expm1 worst {worst} ulp");
    }

    #[test]
    fn log1p_is_within_3_ulp_and_exact_near_0() {
        let mut worst = 0f64;
        // Every 97th positive float, and the same magnitudes below zero down to -1.
        for bits in (1u32..0x7f80_0000).step_by(97) {
            for x in [f32::from_bits(bits), -f32::from_bits(bits)] {
                if x <= -1.0 {
                    continue;
                }
                let u = ulps(log1p_f32(x), (x as f64).ln_1p());
                assert!(u <= 3.0, "log1p({x:e}) = {}: {u} ulp", log1p_f32(x));
                worst = worst.max(u);
            }
        }
        assert_eq!(log1p_f32(1e-30), 1e-30);
        assert_eq!(log1p_f32(-0.0).to_bits(), (-0.0f32).to_bits());
        assert_eq!(log1p_f32(-1.0), f32::NEG_INFINITY);
        assert_eq!(log1p_f32(f32::INFINITY), f32::INFINITY);
        assert!(log1p_f32(-2.0).is_nan() && log1p_f32(f32::NAN).is_nan());
        eprintln!("log1p worst {worst} ulp");
    }

    /// Error of an f64 result in units of the f64 spacing at libm's value.
    fn ulps64(got: f64, libm: f64) -> f64 {
        if got == libm {
            return 0.0; // infinities included
        }
        let e = libm.abs();
        let spacing = (f64::from_bits(e.to_bits() + 1) - e).max(f64::from_bits(1));
        (got - libm).abs() / spacing
    }

    /// The worst ulps of `f` from `libm` at `n` points spread over [lo, hi], and at `extra`.
    fn sweep64(f: fn(f64) -> f64, libm: fn(f64) -> f64, lo: f64, hi: f64, extra: &[f64]) -> f64 {
        let n = 400_000;
        let mut worst = 0f64;
        let points = (0..n).map(|i| lo + (hi - lo) * (i as f64 + 0.31) / n as f64);
        for x in points.chain(extra.iter().copied()) {
            let (got, want) = (f(x), libm(x));
            if got.is_nan() && want.is_nan() {
                continue;
            }
            assert_eq!(
                got.is_sign_negative(),
                want.is_sign_negative(),
                "sign at {x}: {got:e} vs {want:e}"
            );
            let u = ulps64(got, want);
            assert!(u.is_finite(), "at {x}: {got:e} vs {want:e}");
            worst = worst.max(u);
        }
        worst
    }

    const SPECIALS64: [f64; 9] = [
        0.0,
        -0.0,
        1.0,
        -1.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        1e-310,
        -1e-310,
    ];

    #[test]
    fn f64_exp2_expm1_tanh_are_within_3_ulp_of_libm() {
        for (lo, hi) in [(-1074.9, -1000.0), (-60.0, 60.0), (1000.0, 1023.99)] {
            let w = sweep64(exp2_f64, f64::exp2, lo, hi, &SPECIALS64);
            assert!(w <= 2.0, "exp2 on [{lo}, {hi}]: {w} ulp");
        }
        for i in -1074..1024 {
            assert_eq!(exp2_f64(i as f64), (i as f64).exp2(), "2^{i}");
        }
        for (lo, hi) in [(-1e-8, 1e-8), (-0.8, 0.8), (-40.0, 710.0)] {
            let w = sweep64(expm1_f64, f64::exp_m1, lo, hi, &SPECIALS64);
            assert!(w <= 2.0, "expm1 on [{lo}, {hi}]: {w} ulp");
        }
        for (lo, hi) in [(-1e-8, 1e-8), (-1.0, 1.0), (-30.0, 30.0)] {
            let w = sweep64(tanh_f64, f64::tanh, lo, hi, &SPECIALS64);
            assert!(w <= 3.0, "tanh on [{lo}, {hi}]: {w} ulp");
        }
    }

    #[test]
    fn f64_log2_log1p_tan_are_within_4_ulp_of_libm() {
        for (lo, hi) in [(1e-310, 1e-300), (0.5, 2.0), (1e-10, 1e300)] {
            let w = sweep64(log2_f64, f64::log2, lo, hi, &SPECIALS64);
            assert!(w <= 2.0, "log2 on [{lo}, {hi}]: {w} ulp");
        }
        for i in -1074..1024 {
            assert_eq!(log2_f64((i as f64).exp2()), i as f64, "log2 of 2^{i}");
        }
        for (lo, hi) in [(-1e-8, 1e-8), (-0.999, 2.0), (2.0, 1e300)] {
            let w = sweep64(
                log1p_f64,
                f64::ln_1p,
                lo,
                hi,
                &[SPECIALS64.as_slice(), &[-2.0]].concat(),
            );
            assert!(w <= 2.0, "log1p on [{lo}, {hi}]: {w} ulp");
        }
        for (lo, hi) in [(-1.5, 1.5), (-100.0, 100.0), (-8192.0, 8192.0)] {
            let w = sweep64(tan_f64, f64::tan, lo, hi, &SPECIALS64[..6]);
            assert!(w <= 4.0, "tan on [{lo}, {hi}]: {w} ulp");
        }
    }

    #[test]
    fn exp_f64_is_within_2_ulp_of_libm() {
        let (mut x, mut worst) = (-746.0f64, 0f64);
        while x < 710.0 {
            let (got, want) = (exp_f64(x), x.exp());
            let u = ulps64(got, want);
            assert!(u <= 2.0, "exp({x}) = {got:e} vs {want:e}: {u} ulp");
            worst = worst.max(u);
            x += 0.000_137_3;
        }
        for x in [
            0.0, -0.0, 1e-300, -1e-17, 1.0, 709.78, 709.79, -745.13, -745.14, -740.0,
        ] {
            let u = ulps64(exp_f64(x), x.exp());
            assert!(u <= 2.0, "exp({x}) = {:e} vs {:e}", exp_f64(x), x.exp());
        }
        assert_eq!(exp_f64(0.0), 1.0);
        assert_eq!(exp_f64(f64::INFINITY), f64::INFINITY);
        assert_eq!(exp_f64(f64::NEG_INFINITY), 0.0);
        assert!(exp_f64(f64::NAN).is_nan());
        eprintln!("exp f64 worst {worst} ulp");
    }

    #[test]
    fn sin_and_cos_f64_are_within_2_ulp_of_libm_or_2_pow_minus_53() {
        for (name, f, libm) in [
            ("sin", sin_f64 as fn(f64) -> f64, f64::sin as fn(f64) -> f64),
            ("cos", cos_f64, f64::cos),
        ] {
            let (mut x, mut worst) = (-(SIN_MAX_ARG as f64), 0f64);
            while x < SIN_MAX_ARG as f64 {
                let (got, want) = (f(x), libm(x));
                let u = ulps64(got, want);
                let err = (got - want).abs();
                assert!(
                    u <= 2.0 || err <= 2f64.powi(-53),
                    "{name}({x}) = {got} vs {want}: {u} ulp"
                );
                if err > 2f64.powi(-53) {
                    worst = worst.max(u);
                }
                x += 0.000_311_7;
            }
            eprintln!("{name} f64 worst {worst} ulp (where the error exceeds 2^-53)");
        }
        assert_eq!(cos_f64(0.0), 1.0);
        assert_eq!(cos_f64(-0.0), 1.0);
        assert_eq!(sin_f64(-0.0).to_bits(), (-0.0f64).to_bits());
        assert_eq!(sin_f64(1e-300), 1e-300);
        assert!(sin_f64(f64::NAN).is_nan() && cos_f64(f64::INFINITY).is_nan());
    }

    #[test]
    fn ln_f64_is_within_2_ulp_of_libm() {
        let mut worst = 0f64;
        // Bit patterns across every exponent, subnormals included.
        let mut bits = 1u64;
        while bits < 0x7ff0_0000_0000_0000 {
            let x = f64::from_bits(bits);
            let u = ulps64(ln_f64(x), x.ln());
            assert!(u <= 2.0, "ln({x:e}) = {} vs {}: {u} ulp", ln_f64(x), x.ln());
            worst = worst.max(u);
            bits += 0x0000_0a3d_70a3_d70b;
        }
        for d in 1..20_000 {
            for x in [
                1.0 + d as f64 * 1e-12,
                1.0 - d as f64 * 5e-13,
                1.0 + d as f64 * 3e-5,
            ] {
                let u = ulps64(ln_f64(x), x.ln());
                assert!(u <= 2.0, "ln({x}) = {}: {u} ulp", ln_f64(x));
            }
        }
        assert_eq!(ln_f64(1.0), 0.0);
        assert_eq!(ln_f64(f64::INFINITY), f64::INFINITY);
        assert_eq!(ln_f64(0.0), f64::NEG_INFINITY);
        assert_eq!(ln_f64(-0.0), f64::NEG_INFINITY);
        assert!(ln_f64(-1.0).is_nan() && ln_f64(f64::NAN).is_nan());
        eprintln!("ln f64 worst {worst} ulp");
    }

    #[test]
    fn log2_approx_is_within_1_5e_7_on_positive_normals() {
        let mut worst = 0f64;
        for bits in (0x0080_0000u32..0x7f80_0000).step_by(89) {
            let x = f32::from_bits(bits);
            let e = (log2_f32_approx(x) as f64 - (x as f64).log2()).abs();
            // Absolute 1.5e-7, or the rounding of a large result.
            let allowed = 1.5e-7f64.max((x as f64).log2().abs() * 1.2e-7);
            assert!(
                e <= allowed,
                "log2({x:e}) = {}: off by {e:e}",
                log2_f32_approx(x)
            );
            worst = worst.max(e);
        }
        assert_eq!(log2_f32_approx(f32::INFINITY), f32::INFINITY);
        assert_eq!(log2_f32_approx(1.0), 0.0);
        eprintln!("log2 approx worst {worst:e}");
    }
}
