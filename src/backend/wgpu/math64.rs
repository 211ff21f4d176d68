//! f64 transcendentals in WGSL, which has none: SPIR-V's extended instructions (exp, log,
//! sin, ...) are defined for 16- and 32-bit floats only. The CPU's f64 designs, ported.
//!
//! Each function follows the CPU's vectorised f64 math (`backend::cpu::vmath`) and takes its
//! coefficient tables from there, so both devices evaluate the same series: e^x and 2^x by
//! n ln 2 + r with |r| <= ln(2) / 2 and the Taylor series of e^r; ln and log2 by
//! x = 2^k m with m in [sqrt(1/2), sqrt(2)) read from the bits and ln m = 2 atanh(s); sin, cos
//! and tan by reduction with pi in three parts. Bits are read as u64, so the device needs
//! SHADER_INT64 (the caller checks). No step relies on a fused multiply-add: lavapipe's `fma`
//! rounds twice, and the products that must be exact are exact without it (the parts of
//! ln 2 and pi have 32 and 33 significant bits). Accuracy on lavapipe against libm: see
//! `tests/elementwise.rs`; sin, cos and tan keep it for |x| < 2^20 pi, where h P1 stays exact.

use crate::backend::cpu::vmath::{
    COS_C64, EXP_C64, EXPM1_C64, LN_C64, LN2_HI_64, LN2_LO_64, PI_PARTS_64, SIN_C64,
};
use crate::ops::elementwise::UnaryOp;

/// An f64 literal that WGSL reads back to the same bits.
fn lit(v: f64) -> String {
    format!("{v:e}lf")
}

/// `c[0]` x^(n-1) + ... + `c[n-1]` as nested WGSL, highest degree first.
fn horner(c: &[f64], x: &str) -> String {
    c[1..]
        .iter()
        .fold(lit(c[0]), |p, &k| format!("({p} * {x} + {})", lit(k)))
}

/// atan's Taylor coefficients past t, in z = t^2: (-1)^k / (2k + 1) for k = 20 down to 1.
fn atan_series() -> Vec<f64> {
    (1..=20)
        .rev()
        .map(|k| if k % 2 == 0 { 1.0 } else { -1.0 } / (2 * k + 1) as f64)
        .collect()
}

/// pi/2 - FRAC_PI_2 (fdlibm's pio2_lo): pi/4, pi/2 and pi as a sum of two f64 (the low
/// parts scale by exact powers of two).
const PIO2_LO: f64 = 6.123_233_995_736_766e-17;

/// Every f64 function of this module, as WGSL: `exp64`, `exp2_64`, `expm1_64`, `ln64`,
/// `log2_64`, `log1p64`, `sin64`, `cos64`, `tanh64`, `atan2_64`, `pow64`, and the pieces they share
/// (bit helpers, e^r on the reduced range, 2^n scaling, ln's parts, the reduced sine).
pub(crate) fn helpers() -> String {
    let [p1, p2, p3] = PI_PARTS_64;
    format!(
        "
fn inf64() -> f64 {{ return bitcast<f64>(0x7ff0000000000000lu); }}
fn nan64() -> f64 {{ return bitcast<f64>(0x7ff8000000000000lu); }}
fn isnan64(v: f64) -> bool {{
    return (bitcast<u64>(v) & 0x7ffffffffffffffflu) > 0x7ff0000000000000lu;
}}
// e^r for |r| <= ln(2) / 2.
fn exp_r64(r: f64) -> f64 {{ return ({exp}) * (r * r) + r + 1.0lf; }}
// e * 2^n for an integer-valued n in [-1100, 1100], in two factors so that neither
// overflows or goes subnormal on the way.
fn scale64(e: f64, n: f64) -> f64 {{
    let magic = 6755399441055744.0lf;
    let ni = bitcast<i64>(n + magic) - bitcast<i64>(magic);
    let n1 = ni >> 1u;
    let n2 = ni - n1;
    let s1 = bitcast<f64>(u64(n1 + 1023li) << 52u);
    let s2 = bitcast<f64>(u64(n2 + 1023li) << 52u);
    return e * s1 * s2;
}}
// ln(1 + f) for 1 + f in [sqrt(1/2), sqrt(2)): 2 atanh(s) with s = f / (2 + f).
fn ln_1p_reduced64(f: f64) -> f64 {{
    let s = f / (2.0lf + f);
    let z = s * s;
    let p = ({ln}) * z;
    return f - s * (f - (p + p));
}}
// (k, ln m) for x = 2^k m, m in [sqrt(1/2), sqrt(2)); subnormals scaled by 2^54 first.
fn ln_parts64(x: f64) -> vec2<f64> {{
    let tiny = x < 2.2250738585072014e-308lf;
    let xs = select(x, x * 18014398509481984.0lf, tiny);
    let off = bitcast<u64>(xs) - 0x3fe6a09e667f3bcdlu;
    let k = f64(i32(bitcast<i64>(off) >> 52u)) - select(0.0lf, 54.0lf, tiny);
    let m = bitcast<f64>((off & 0x000ffffffffffffflu) + 0x3fe6a09e667f3bcdlu);
    return vec2<f64>(k, ln_1p_reduced64(m - 1.0lf));
}}
// ln's and log2's special values: ln(inf) = inf, ln(0) = -inf, NaN below 0 and for NaN.
fn log_special64(x: f64, r: f64) -> f64 {{
    var v = select(r, x, x == inf64());
    v = select(v, -inf64(), x == 0.0lf);
    return select(v, nan64(), x < 0.0lf || isnan64(x));
}}
// x - h pi, exact products for |h| < 2^20.
fn minus_pi64(x: f64, h: f64) -> f64 {{
    return ((x - h * {p1}) - h * {p2}) - h * {p3};
}}
// sin(x - h pi) for x - h pi in [-pi/2, pi/2].
fn sin_reduced64(x: f64, h: f64) -> f64 {{
    let r = minus_pi64(x, h);
    let z = r * r;
    return ({sin}) * z * r + r;
}}
// v, negated where the integer-valued k is odd.
fn neg_if_odd64(v: f64, k: f64) -> f64 {{ return select(v, -v, fract(0.5lf * k) != 0.0lf); }}
fn exp64(x: f64) -> f64 {{
    let xc = clamp(x, -746.0lf, 710.0lf);
    let n = floor(xc * {log2e} + 0.5lf);
    let r = (xc - n * {ln2_hi}) - n * {ln2_lo};
    var v = scale64(exp_r64(r), n);
    v = select(v, inf64(), x > 709.782712893384lf);
    v = select(v, 0.0lf, x < -745.1332191019412lf);
    return select(v, x, isnan64(x));
}}
fn sin64(x: f64) -> f64 {{
    let k = floor(x * {frac_1_pi} + 0.5lf);
    return select(neg_if_odd64(sin_reduced64(x, k), k), x, x == 0.0lf);
}}
fn cos64(x: f64) -> f64 {{
    let q = x * {frac_1_pi};
    let k = floor(q);
    let near_zero = -neg_if_odd64(sin_reduced64(x, k + 0.5lf), k);
    let j = floor(q + 0.5lf);
    let t = minus_pi64(x, j);
    let z = t * t;
    let near_extreme = neg_if_odd64({cos}, j);
    return select(near_zero, near_extreme, abs(q - j) <= 0.25lf);
}}
fn expm1_64(x: f64) -> f64 {{
    let small = x + x * x * ({expm1});
    let v = select(exp64(x) - 1.0lf, small, abs(x) < 0.7lf);
    return select(v, x, x == 0.0lf);
}}
fn ln64(x: f64) -> f64 {{
    let p = ln_parts64(x);
    return log_special64(x, p.x * {ln2_hi} + (p.x * {ln2_lo} + p.y));
}}
fn log2_64(x: f64) -> f64 {{
    let p = ln_parts64(x);
    return log_special64(x, p.x + p.y * {log2e});
}}
// 2^x = 2^n e^(r ln 2) with r = x - n exact and |r ln 2| <= ln(2) / 2: the rounding of
// r ln 2 is below 2^-55 absolute, so also relative in the result.
fn exp2_64(x: f64) -> f64 {{
    let n = floor(clamp(x, -1100.0lf, 1100.0lf) + 0.5lf);
    var v = scale64(exp_r64((x - n) * {ln2}), n);
    v = select(v, inf64(), x >= 1024.0lf);
    v = select(v, 0.0lf, x < -1075.0lf);
    return select(v, x, isnan64(x));
}}
// ln(1 + x): near 0 (1 + x in [sqrt(1/2), sqrt(2))) the series takes x itself, exact;
// elsewhere ln(1 + x), where the rounding of 1 + x costs under 0.3 ulp. (Goldberg's
// ln(u) x / (u - 1) is not used: llvmpipe folds (1 + x) - 1 to x.)
fn log1p64(x: f64) -> f64 {{
    let near = x >= -0.2928932188134524lf && x < 0.41421356237309515lf;
    return select(ln64(1.0lf + x), select(ln_1p_reduced64(x), x, x == 0.0lf), near);
}}
// atan2(y, x) with C99's zeros, infinities and NaN: the octant's ratio t = min / max, or
// (min - max) / (min + max) past tan(pi/8) (adding pi/4), so |t| <= tan(pi/8), where the
// Taylor series to t^41 / 41 is within 2^-60 of atan; pi/4, pi/2 and pi in two parts.
fn atan2_64(y: f64, x: f64) -> f64 {{
    let quarter = max(abs(x), abs(y)) > 1e307lf;
    let ax = select(abs(x), 0.25lf * abs(x), quarter);
    let ay = select(abs(y), 0.25lf * abs(y), quarter);
    let hi = max(ax, ay);
    let lo = min(ax, ay);
    let both_inf = lo > 1.7976931348623157e308lf;
    let far = lo > 0.41421356237309503lf * hi;
    var t = select(lo, lo - hi, far) / select(hi, lo + hi, far);
    t = select(t, 0.0lf, hi == 0.0lf || both_inf);
    let z = t * t;
    var r = t + t * (z * ({atan}));
    r = select(r, (r + {pio4_lo}) + {pio4_hi}, far || both_inf);
    r = select(r, ({pio2_hi} - r) + {pio2_lo}, ay > ax);
    r = select(r, ({pi_hi} - r) + {pi_lo}, (bitcast<u64>(x) >> 63u) == 1lu);
    r = select(r, -r, (bitcast<u64>(y) >> 63u) == 1lu);
    return select(r, x + y, isnan64(x) || isnan64(y));
}}
// C99's pow, the special cases as in the f32 pow_ of elementwise.rs; the magnitude is
// e^(y ln |x|), whose error grows with |y ln x| (2^-53 of it, relative).
fn pow64(x: f64, y: f64) -> f64 {{
    let big = 1.7976931348623157e308lf;
    let ax = abs(x);
    let ay = abs(y);
    var r = exp64(y * ln64(ax));
    r = select(r, select(inf64(), 0.0lf, y > 0.0lf), ax == 0.0lf);
    r = select(r, select(0.0lf, inf64(), y > 0.0lf), ax > big);
    r = select(r, select(0.0lf, inf64(), (ax > 1.0lf) == (y > 0.0lf)), ay > big);
    r = select(r, 1.0lf, ax == 1.0lf);
    let odd = ay < 9007199254740992.0lf && fract(0.5lf * y) == 0.5lf;
    r = select(r, -r, odd && (bitcast<u64>(x) >> 63u) == 1lu);
    r = select(r, nan64(), x < 0.0lf && ax <= big && trunc(y) != y);
    r = select(r, x + y, isnan64(x) || isnan64(y));
    return select(r, 1.0lf, y == 0.0lf || x == 1.0lf);
}}
// tanh = t / (t + 2) with t = e^(2|x|) - 1, the sign put back; 1 from |x| = 20 on.
fn tanh64(x: f64) -> f64 {{
    let t = expm1_64(2.0lf * min(abs(x), 20.0lf));
    let r = t / (t + 2.0lf);
    return select(select(r, -r, x < 0.0lf), x, x == 0.0lf || isnan64(x));
}}",
        exp = horner(&EXP_C64, "r"),
        ln = horner(&LN_C64, "z"),
        sin = horner(&SIN_C64, "z"),
        cos = horner(&COS_C64, "z"),
        expm1 = horner(&EXPM1_C64, "x"),
        p1 = lit(p1),
        p2 = lit(p2),
        p3 = lit(p3),
        log2e = lit(std::f64::consts::LOG2_E),
        frac_1_pi = lit(std::f64::consts::FRAC_1_PI),
        ln2_hi = lit(LN2_HI_64),
        ln2_lo = lit(LN2_LO_64),
        ln2 = lit(std::f64::consts::LN_2),
        atan = horner(&atan_series(), "z"),
        pio4_hi = lit(std::f64::consts::FRAC_PI_4),
        pio4_lo = lit(PIO2_LO / 2.0),
        pio2_hi = lit(std::f64::consts::FRAC_PI_2),
        pio2_lo = lit(PIO2_LO),
        pi_hi = lit(std::f64::consts::PI),
        pi_lo = lit(PIO2_LO * 2.0),
    )
}

/// The WGSL helpers and the expression (over `x: f64`) of a transcendental `op` in f64, or
/// `None` for an op that is not one.
pub(crate) fn unary(op: UnaryOp) -> Option<(String, String)> {
    let e = match op {
        UnaryOp::Exp => "exp64(x)",
        UnaryOp::Exp2 => "exp2_64(x)",
        UnaryOp::Expm1 => "expm1_64(x)",
        UnaryOp::Log => "ln64(x)",
        UnaryOp::Log2 => "log2_64(x)",
        UnaryOp::Log1p => "log1p64(x)",
        UnaryOp::Sin => "sin64(x)",
        UnaryOp::Cos => "cos64(x)",
        UnaryOp::Tan => "sin64(x) / cos64(x)",
        UnaryOp::Tanh => "tanh64(x)",
        UnaryOp::Sigmoid => "1.0lf / (1.0lf + exp64(-x))",
        _ => return None,
    };
    Some((helpers(), e.to_string()))
}

/// The WGSL helpers and the expression of f64 `pow(x, y)` over the given operands.
pub(crate) fn pow(x: &str, y: &str) -> (String, String) {
    (helpers(), format!("pow64({x}, {y})"))
}

/// The WGSL helpers and the expression of f64 `atan2(y, x)` over the given operands.
pub(crate) fn atan2(y: &str, x: &str) -> (String, String) {
    (helpers(), format!("atan2_64({y}, {x})"))
}
