//! Branch-free f32 `exp`, `sin` and `ln` that compilers vectorise (inside the AVX2 multiversion of
//! the elementwise loops), in place of scalar libm calls. Cephes-style: range reduction, then
//! a short polynomial; tested against f64 over dense sweeps.

/// Largest |x| the sine reduction keeps accurate (three-part pi/4); beyond it, use libm.
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

/// e^x with at most 2 ulp error; NaN, infinities and subnormal results handled.
#[inline(always)]
pub(crate) fn exp_f32(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    // ln 2 split so that n * LN2_HI is exact for the |n| that occur.
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    let xc = x.clamp(-104.0, 89.0);
    let n = (xc * LOG2E + 0.5).floor();
    let r = n.mul_add(-LN2_LO, n.mul_add(-LN2_HI, xc));
    let r2 = r * r;
    let p = 1.987_569_1e-4f32
        .mul_add(r, 1.398_199_9e-3)
        .mul_add(r, 8.333_452e-3)
        .mul_add(r, 4.166_579_6e-2)
        .mul_add(r, 1.666_666_5e-1)
        .mul_add(r, 0.5);
    let e = p.mul_add(r2, r) + 1.0;
    // 2^n in two normal factors, so that results down to the subnormals are right.
    // |n| <= 151 after the clamp.
    let ni = small_int(n);
    let n1 = ni >> 1;
    let n2 = ni - n1;
    let s1 = f32::from_bits(((n1 + 127) as u32) << 23);
    let s2 = f32::from_bits(((n2 + 127) as u32) << 23);
    let v = e * s1 * s2;
    if x > 88.722_84 {
        f32::INFINITY
    } else if x < -103.972_08 {
        0.0
    } else {
        v // NaN in, NaN out (clamp keeps NaN)
    }
}

/// sin(x) for |x| <= SIN_MAX_ARG within 3 ulp (2.1 measured; absolute 2^-24 near zeros).
/// One reduction by pi (in three parts, each product with k exact) to r in [-pi/2, pi/2],
/// one odd Taylor polynomial of degree 13 (truncation below 7e-10), and the sign of
/// (-1)^k applied to the bits: no octant selection, so every lane runs the same few FMAs.
#[inline(always)]
pub(crate) fn sin_f32(x: f32) -> f32 {
    const INV_PI: f32 = std::f32::consts::FRAC_1_PI;
    // Cephes' three-part pi/4, times 4 (exact): k * P1 and k * P2 are exact for |k| < 2^12.
    const P1: f32 = 3.140_625;
    const P2: f32 = 9.675_026e-4;
    const P3: f32 = 1.509_958e-7;
    let k = (x * INV_PI + 0.5).floor();
    let r = k.mul_add(-P3, k.mul_add(-P2, k.mul_add(-P1, x)));
    let z = r * r;
    let p = 1.605_904_4e-10f32
        .mul_add(z, -2.505_210_8e-8)
        .mul_add(z, 2.755_731_9e-6)
        .mul_add(z, -1.984_127e-4)
        .mul_add(z, 8.333_333e-3)
        .mul_add(z, -1.666_666_7e-1);
    let s = (p * z).mul_add(r, r);
    // |k| < 2^12 where the result is used (larger arguments are patched by the caller).
    let odd = (small_int(k) as u32) & 1;
    f32::from_bits(s.to_bits() ^ (odd << 31))
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

/// ln(x) within 2 ulp for positive x, subnormals included; ln(+-0) = -inf, ln(inf) = inf,
/// NaN for negative x and NaN. x = 2^k m with m in [sqrt(1/2), sqrt(2)) read from the bits,
/// then ln m = 2 atanh(s), s = (m - 1) / (m + 1), as a series in s^2 (|s| <= 0.172, so the
/// first term left out is below 2e-9 of the sum). Branch-free and with no fused
/// multiply-adds, so a vectorised loop and a scalar call give the same bits on any CPU.
#[inline(always)]
pub(crate) fn ln_f32(x: f32) -> f32 {
    // ln 2 in two parts; k * LN2_HI is exact for every k that occurs (|k| < 2^8).
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
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
    let lnm = f - s * (f - (p + p));
    let kf = k as f32;
    let r = kf * LN2_HI + (lnm + kf * LN2_LO);
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
    fn small_int_reads_every_integer_below_2_pow_22() {
        for k in (-(1i32 << 22) + 1..1 << 22).step_by(7).chain([-1, 0, 1]) {
            assert_eq!(small_int(k as f32), k);
        }
        assert_eq!(small_int(-0.0), 0);
    }

    #[test]
    fn sin_is_within_3_ulp_or_2_pow_minus_24() {
        let (mut x, mut worst) = (-SIN_MAX_ARG, 0f64);
        while x < SIN_MAX_ARG {
            let exact = (x as f64).sin();
            let got = sin_f32(x);
            let u = ulps(got, exact);
            let ok = u <= 3.0 || (got as f64 - exact).abs() <= 2f64.powi(-24);
            assert!(ok, "sin({x}) = {got} vs {exact}");
            if (got as f64 - exact).abs() > 2f64.powi(-24) {
                worst = worst.max(u);
            }
            x += 0.000_31;
        }
        eprintln!("sin worst {worst} ulp (where the error exceeds 2^-24)");
        for x in [0.0f32, 1e-30, -1e-7, 0.5, std::f32::consts::PI] {
            assert!(
                (sin_f32(x) as f64 - (x as f64).sin()).abs() <= 2f64.powi(-24),
                "{x}"
            );
        }
        assert!(sin_f32(f32::NAN).is_nan());
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
