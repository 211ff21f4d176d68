//! wgpu side of the `elementwise` family (shaders/elementwise.wgsl): one kernel per op and
//! dtype, dispatched in chunks no larger than the device's binding limit.

use super::WgpuBackend;
use super::kernel::{FMA_WIDE, Operand, f32_fma_through_f64, specialise};
use super::memory::WgpuBuffer;
use crate::backend::{ElementwiseOp, Layout};
use crate::element::DType;
use crate::error::{Error, Result};
use crate::ops::elementwise::{BinaryOp, CompareOp, ComplexPart, MAX_RANK, UnaryOp};

const SOURCE: &str = include_str!("../../../shaders/elementwise.wgsl");

/// Complex multiply and divide on vec2 (re, im); the textbook formulas, as on the CPU.
const COMPLEX_HELPERS: &str = "
fn cmul(a: CT, b: CT) -> CT { return CT(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x); }
fn cdiv(a: CT, b: CT) -> CT {
    let d = b.x * b.x + b.y * b.y;
    return CT((a.x * b.x + a.y * b.y) / d, (a.y * b.x - a.x * b.y) / d);
}";

/// NaN tests on the bits, which no fast-math assumption can fold away.
pub(crate) const NAN_F32: &str = "
fn is_nan(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }";
/// The f64 test needs 64-bit integers (SHADER_INT64); `run` refuses f64 ops using it without.
pub(crate) const NAN_F64: &str = "
fn is_nan(v: f64) -> bool {
    return (bitcast<u64>(v) & 0x7ffffffffffffffflu) > 0x7ff0000000000000lu;
}";
/// NaN-propagating min and max over the computation type F; ties (-0 against 0) give the
/// second operand, as in NumPy (WGSL's min and max leave them to the driver).
const MIN_MAX: &str = "
fn nan_min(a: F, b: F) -> F { return select(select(b, a, a < b), a + b, is_nan(a) || is_nan(b)); }
fn nan_max(a: F, b: F) -> F { return select(select(b, a, a > b), a + b, is_nan(a) || is_nan(b)); }";
/// log1p and expm1 for F: WGSL has neither. Near 0 a Taylor series (|x| < 0.1: terms to
/// x^9 / x^8 keep the truncation under 1e-9 relative), elsewhere log(1 + x) and exp(x) - 1,
/// whose cancellation costs a few ulp at |x| = 0.1.
const LOG1P_EXPM1: &str = "
fn log1p_(x: F) -> F {
    if (abs(x) >= 0.1) { return log(1.0 + x); }
    var s = 1.0 / 9.0;
    s = 1.0 / 8.0 - x * s; s = 1.0 / 7.0 - x * s; s = 1.0 / 6.0 - x * s;
    s = 1.0 / 5.0 - x * s; s = 1.0 / 4.0 - x * s; s = 1.0 / 3.0 - x * s;
    s = 0.5 - x * s; s = 1.0 - x * s;
    return x * s;
}
fn expm1_(x: F) -> F {
    if (abs(x) >= 0.1) { return exp(x) - 1.0; }
    var s = 1.0 / 40320.0;
    s = 1.0 / 5040.0 + x * s; s = 1.0 / 720.0 + x * s; s = 1.0 / 120.0 + x * s;
    s = 1.0 / 24.0 + x * s; s = 1.0 / 6.0 + x * s; s = 0.5 + x * s; s = 1.0 + x * s;
    return x * s;
}";
/// C99's `pow` (as libm, CUDA and NumPy give it) in f32. WGSL's `pow` is `exp2(y log2 x)`,
/// undefined for x <= 0 (llvmpipe gives NaN for `pow(-2, 2)`), so it only makes the
/// magnitude for a finite nonzero |x|; the sign (an odd integer y), NaN for a negative base
/// with a fractional y, zeros, infinities and `pow(x, 0) == pow(1, y) == 1` are set here.
/// Every f32 above 2^24 is an even integer. NaN tests and the sign are read from the bits.
const POW: &str = "
fn pow_(x: f32, y: f32) -> f32 {
    let inf = bitcast<f32>(0x7f800000u);
    let big = 3.40282347e38;
    let ax = abs(x);
    let ay = abs(y);
    var r = pow(ax, y);
    r = select(r, select(inf, 0.0, y > 0.0), ax == 0.0);
    r = select(r, select(0.0, inf, y > 0.0), ax > big);
    r = select(r, select(0.0, inf, (ax > 1.0) == (y > 0.0)), ay > big);
    r = select(r, 1.0, ax == 1.0);
    let odd = ay < 16777216.0 && fract(0.5 * y) == 0.5;
    r = select(r, -r, odd && (bitcast<u32>(x) >> 31u) == 1u);
    r = select(r, bitcast<f32>(0x7fc00000u), x < 0.0 && ax <= big && trunc(y) != y);
    let nan = (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u
        || (bitcast<u32>(y) & 0x7fffffffu) > 0x7f800000u;
    r = select(r, x + y, nan);
    return select(r, 1.0, y == 0.0 || x == 1.0);
}";
/// `atan2(y, x)` in f32 with C99's zeros, infinities and NaN, and within about 2 ulp: the
/// built-in (SPIR-V's, allowed 4096 ulp) was off by 350 ulp on llvmpipe and gave 3pi/4 for
/// `atan2(0, 0)`. The octant's ratio t = min/max (or (min - max) / (min + max) past
/// tan(pi/8), which adds pi/4) has |t| <= tan(pi/8), where an odd polynomial of degree 11
/// (fitted here for relative error) is within 0.6 ulp. Arguments near the f32 limit are
/// quartered first so that min + max stays finite.
const ATAN2: &str = "
fn atan2_(y: f32, x: f32) -> f32 {
    let quarter = max(abs(x), abs(y)) > 1e37;
    let ax = select(abs(x), 0.25 * abs(x), quarter);
    let ay = select(abs(y), 0.25 * abs(y), quarter);
    let hi = max(ax, ay);
    let lo = min(ax, ay);
    let both_inf = lo > 3.40282347e38;
    let far = lo > 0.41421356 * hi;
    var t = select(lo, lo - hi, far) / select(hi, lo + hi, far);
    t = select(t, 0.0, hi == 0.0 || both_inf);
    let z = t * t;
    let p = -0.33333316 + z * (0.19998489 + z * (-0.14243846 + z * (0.10595974
        + z * -0.060833789)));
    var r = t + t * (z * p);
    r = select(r, r + 0.78539816, far || both_inf);
    r = select(r, 1.57079633 - r, ay > ax);
    r = select(r, 3.14159265 - r, (bitcast<u32>(x) >> 31u) == 1u);
    r = select(r, -r, (bitcast<u32>(y) >> 31u) == 1u);
    let nan = (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u
        || (bitcast<u32>(y) & 0x7fffffffu) > 0x7f800000u;
    return select(r, x + y, nan);
}";
/// `hypot` over F without overflow or underflow in the squares: arguments beyond 2^60 or
/// below 2^-60 are scaled by a power of two (exact) first. An infinity wins over NaN, as in
/// C99.
const HYPOT: &str = "
fn hypot_(x: F, y: F) -> F {
    let ax = abs(x);
    let ay = abs(y);
    let m = max(ax, ay);
    let s = select(select(F(1.0), F(0x1p70), m < 0x1p-60), F(0x1p-70), m > 0x1p60);
    let a = ax * s;
    let b = ay * s;
    let r = sqrt(a * a + b * b) / s;
    return select(select(r, ax, ax > MAXF), ay, ay > MAXF);
}";
/// tanh in f32 near 0, where the built-in is `(e^2x - 1) / (e^2x + 1)` or alike and loses
/// everything to cancellation (llvmpipe: 900 ulp at 1e-3, 2^-25 for 1e-30): below 0.625 an
/// odd polynomial of degree 13 (fitted for relative error, within 0.8 ulp), above it the
/// built-in. Zeros keep their sign.
const TANH: &str = "
fn tanh_(x: f32) -> f32 {
    let z = x * x;
    let p = -0.33333331 + z * (0.13333210 + z * (-0.053947203 + z * (0.021702962
        + z * (-0.0081826597 + z * 0.0021475228))));
    return select(select(tanh(x), x + x * (z * p), abs(x) < 0.625), x, x == 0.0);
}";
/// The magnitude of a complex number without overflow or underflow in the squares.
const CABS: &str = "
fn cabs(v: CT) -> R {
    let m = max(abs(v.x), abs(v.y));
    if (m == 0.0 || m > MAXR) { return m; }
    let a = v / m;
    return m * sqrt(a.x * a.x + a.y * a.y);
}";

/// The largest finite value of a WGSL float computation type, as a literal.
fn max_of(calc: &str) -> &'static str {
    if calc == "f64" {
        "1.7976931348623157e308"
    } else {
        "3.40282347e38"
    }
}

/// (storage type, computation type) of each dtype; reductions accumulate in the latter.
pub(crate) fn types(d: DType) -> (&'static str, &'static str) {
    match d {
        DType::F16 => ("f16", "f32"),
        DType::F32 => ("f32", "f32"),
        DType::F64 => ("f64", "f64"),
        DType::I32 => ("i32", "i32"),
        DType::U32 => ("u32", "u32"),
        DType::C32 => ("vec2<f32>", "vec2<f32>"),
        DType::C64 => ("vec2<f64>", "vec2<f64>"),
    }
}

/// True when the WGSL of `op` on `d` tests NaN on the bits (f64 then needs SHADER_INT64).
/// Complex dtypes count as float here, so complex comparisons are included.
fn uses_nan_test(op: ElementwiseOp, d: DType) -> bool {
    d.is_float()
        && match op {
            ElementwiseOp::Binary(b) => matches!(b, BinaryOp::Minimum | BinaryOp::Maximum),
            ElementwiseOp::Compare(_) | ElementwiseOp::Clip => true,
            ElementwiseOp::Cast(t) => !t.is_float(),
            _ => false,
        }
}

/// The WGSL expression of a cast of `x` (computation type of `d`) to dtype `to`, in the
/// storage type of `to` (so f64 -> f16 rounds once).
fn cast_expression(d: DType, to: DType) -> String {
    let (elem, _) = types(to);
    let re = if d.is_complex() { "x.x" } else { "x" };
    match to {
        DType::I32 | DType::U32 if !d.is_float() => format!("bitcast<{elem}>(x)"),
        // WGSL's float-to-int conversion saturates, but at the largest f32 in range
        // (2147483520 for i32): the top end is set here, as the CPU and CUDA saturate to
        // the integer's own maximum. NaN is left open by the spec: make it 0.
        DType::I32 | DType::U32 => {
            let (top, max) = if to == DType::I32 {
                ("2147483648.0", "2147483647i")
            } else {
                ("4294967296.0", "4294967295u")
            };
            format!("select(select({elem}({re}), {max}, {re} >= {top}), {elem}(0), is_nan({re}))")
        }
        DType::C32 | DType::C64 if d.is_complex() => format!("{elem}(x)"),
        DType::C32 => "vec2<f32>(f32(x), 0.0)".into(),
        DType::C64 => "vec2<f64>(f64(x), 0.0)".into(),
        _ => format!("{elem}({re})"),
    }
}

/// The WGSL expression of `op` over `x`, `y`, `z` (computation types), and the helper
/// functions it needs.
fn expression(op: ElementwiseOp, d: DType) -> (String, String) {
    let int = !d.is_float();
    let (elem, calc) = types(d);
    let zero = match d {
        DType::I32 => "0i",
        DType::U32 => "0u",
        _ => "0.0",
    };
    let mut helpers = String::new();
    if d.is_complex() {
        helpers += &COMPLEX_HELPERS.replace("CT", elem);
    }
    if uses_nan_test(op, d) {
        helpers += match d {
            DType::F64 | DType::C64 => NAN_F64,
            _ => NAN_F32,
        };
    }
    // WGSL has no f64 transcendentals: ours (needs SHADER_INT64, checked in `run`).
    if let (ElementwiseOp::Unary(u), DType::F64) = (op, d)
        && let Some((h, e)) = super::math64::unary(u)
    {
        return (e, helpers + &h);
    }
    let nan_pair = |a: &str, b: &str| {
        if d.is_complex() {
            format!("(is_nan({a}.x) || is_nan({a}.y) || is_nan({b}.x) || is_nan({b}.y))")
        } else {
            format!("(is_nan({a}) || is_nan({b}))")
        }
    };
    let e = match op {
        ElementwiseOp::Binary(b) => match b {
            BinaryOp::Add => "x + y".into(),
            BinaryOp::Sub => "x - y".into(),
            BinaryOp::Mul if d.is_complex() => "cmul(x, y)".into(),
            BinaryOp::Mul => "x * y".into(),
            BinaryOp::Div if d.is_complex() => "cdiv(x, y)".into(),
            BinaryOp::Div if int => format!("select(x / y, {zero}, y == {zero})"),
            BinaryOp::Div => "x / y".into(),
            BinaryOp::Rem if d == DType::U32 => "select(x % y, 0u, y == 0u)".into(),
            BinaryOp::Rem if int => {
                helpers += "
fn rem_(x: i32, y: i32) -> i32 {
    let r = select(x % y, 0i, y == 0i);
    return select(r, r + y, r != 0i && ((r < 0i) != (y < 0i)));
}";
                "rem_(x, y)".into()
            }
            // The exponents come from the bits: naga gives frexp on f64 an i64 exponent,
            // which GLSL.std.450 forbids, and NVIDIA's Vulkan driver lost the device on it.
            // WGSL's float % is x - y * trunc(x / y) with a division allowed 2.5 ULP: on an
            // H100, 72.4375 % 18.109375 gave 18.109375 (the quotient 3.9999998), and fixing
            // the quotient needs a fused product, which llvmpipe's fma is not. So the
            // remainder is a binary long division: subtract the largest y * 2^k not above
            // |x| until |x| < |y|. Each step is exact (Sterbenz), so the result is exact like
            // fmod's, in at most (exponent of x - exponent of y + 1) steps. NaN, infinities
            // and a zero divisor take the built-in % (NaN); an infinite y leaves x. A step cap
            // keeps a driver that assumes finite math from looping. Then NumPy's sign rule (a zero takes the sign of y).
            BinaryOp::Rem => {
                helpers += &"
fn expo(v: F) -> i32 { return EXPO; }
fn rem_(x: F, y: F) -> F {
    let ay = abs(y);
    var r = abs(x);
    if !(ay > 0.0) || !(r <= MAXF) {
        let m = x % y;
        return select(m, m + y, m != 0.0 && ((m < 0.0) != (y < 0.0)));
    }
    let ey = expo(ay);
    for (var i = 0; i < 2100 && r >= ay; i++) {
        let k = expo(r) - ey;
        let s = ldexp(ay, k);
        r = r - select(s, ldexp(ay, k - 1), s > r);
    }
    let t = select(r, -r, x < 0.0);
    let u = select(t, t + y, t != 0.0 && ((t < 0.0) != (y < 0.0)));
    return select(u, select(F(0.0), F(-0.0), y < 0.0), u == 0.0);
}"
                .replace(
                    "EXPO",
                    if calc == "f64" {
                        "i32((bitcast<u64>(v) >> 52u) & 0x7fflu)"
                    } else {
                        "i32((bitcast<u32>(v) >> 23u) & 0xffu)"
                    },
                )
                .replace("MAXF", max_of(calc))
                .replace('F', calc);
                "rem_(x, y)".into()
            }
            BinaryOp::Minimum | BinaryOp::Maximum if int => {
                format!(
                    "{}(x, y)",
                    if b == BinaryOp::Minimum { "min" } else { "max" }
                )
            }
            BinaryOp::Minimum | BinaryOp::Maximum => {
                helpers += &MIN_MAX.replace('F', calc);
                format!(
                    "nan_{}(x, y)",
                    if b == BinaryOp::Minimum { "min" } else { "max" }
                )
            }
            BinaryOp::Pow if calc == "f64" => {
                let (h, e) = super::math64::pow("x", "y");
                helpers += &h;
                e
            }
            BinaryOp::Pow => {
                helpers += POW;
                "pow_(x, y)".into()
            }
            BinaryOp::Atan2 if calc == "f64" => {
                let (h, e) = super::math64::atan2("x", "y");
                helpers += &h;
                e
            }
            BinaryOp::Atan2 => {
                helpers += ATAN2;
                "atan2_(x, y)".into()
            }
            BinaryOp::Hypot => {
                helpers += &HYPOT.replace("MAXF", max_of(calc)).replace('F', calc);
                "hypot_(x, y)".into()
            }
            BinaryOp::BitAnd => "x & y".into(),
            BinaryOp::BitOr => "x | y".into(),
            BinaryOp::BitXor => "x ^ y".into(),
            // WGSL takes shift counts mod 32 only for constants: mask them, as C and Rust do.
            BinaryOp::Shl => "x << (u32(y) & 31u)".into(),
            BinaryOp::Shr => "x >> (u32(y) & 31u)".into(),
        },
        ElementwiseOp::Unary(u) => match u {
            UnaryOp::Neg if d == DType::U32 => "0u - x".into(),
            UnaryOp::Neg => "-x".into(),
            UnaryOp::Abs if d == DType::U32 => "x".into(),
            UnaryOp::Abs => "abs(x)".into(),
            UnaryOp::Square if d.is_complex() => "cmul(x, x)".into(),
            UnaryOp::Square => "x * x".into(),
            UnaryOp::Sqrt => "sqrt(x)".into(),
            UnaryOp::Exp => "exp(x)".into(),
            UnaryOp::Log => "log(x)".into(),
            UnaryOp::Sin => "sin(x)".into(),
            UnaryOp::Cos => "cos(x)".into(),
            UnaryOp::Tanh => {
                helpers += TANH;
                "tanh_(x)".into()
            }
            UnaryOp::Exp2 => "exp2(x)".into(),
            UnaryOp::Log2 => "log2(x)".into(),
            UnaryOp::Tan => "tan(x)".into(),
            UnaryOp::Sigmoid => "1.0 / (1.0 + exp(-x))".into(),
            UnaryOp::Floor => "floor(x)".into(),
            UnaryOp::Ceil => "ceil(x)".into(),
            // WGSL's round, like NumPy's, takes halves to even.
            UnaryOp::Round => "round(x)".into(),
            UnaryOp::Trunc => "trunc(x)".into(),
            UnaryOp::Sign if int => "sign(x)".into(),
            // -1 or 1, else x itself: NaN stays NaN (WGSL's sign gives 0) and -0 stays -0.
            UnaryOp::Sign => "select(select(x, -1.0, x < 0.0), 1.0, x > 0.0)".into(),
            UnaryOp::Recip => "1.0 / x".into(),
            UnaryOp::Rsqrt => "inverseSqrt(x)".into(),
            UnaryOp::Not => "~x".into(),
            UnaryOp::Popcount => "countOneBits(x)".into(),
            UnaryOp::Log1p | UnaryOp::Expm1 => {
                helpers += &LOG1P_EXPM1.replace('F', calc);
                format!("{}_(x)", u.name())
            }
            UnaryOp::Conj => format!("{elem}(x.x, -x.y)"),
        },
        ElementwiseOp::Compare(c) => {
            let sym = match c {
                CompareOp::Eq => "==",
                CompareOp::Ne => "!=",
                CompareOp::Lt => "<",
                CompareOp::Le => "<=",
                CompareOp::Gt => ">",
                CompareOp::Ge => ">=",
            };
            let base = if d.is_complex() {
                format!("all(x {sym} y)")
            } else {
                format!("x {sym} y")
            };
            // Fast-math compilers may assume no NaN: decide NaN cases on the bits.
            match (d.is_float(), c) {
                (false, _) => format!("u32({base})"),
                (true, CompareOp::Ne) if d.is_complex() => {
                    format!("u32(any(x != y) || {})", nan_pair("x", "y"))
                }
                (true, CompareOp::Ne) => format!("u32({base} || {})", nan_pair("x", "y")),
                (true, _) => format!("u32({base} && !{})", nan_pair("x", "y")),
            }
        }
        ElementwiseOp::Where => "select(z, y, x != 0u)".into(),
        ElementwiseOp::Fma if d.is_complex() => "cmul(x, y) + z".into(),
        ElementwiseOp::Fma if int => "x * y + z".into(),
        ElementwiseOp::Fma => "fma(x, y, z)".into(),
        ElementwiseOp::Clip if int => "min(max(x, y), z)".into(),
        ElementwiseOp::Clip => {
            helpers += &MIN_MAX.replace('F', calc);
            "nan_min(nan_max(x, y), z)".into()
        }
        // Float-to-int casts got their NaN test above (`uses_nan_test`).
        ElementwiseOp::Cast(to) => cast_expression(d, to),
        ElementwiseOp::Part(p) => match p {
            ComplexPart::Real => "x.x".into(),
            ComplexPart::Imag => "x.y".into(),
            ComplexPart::Abs => {
                let r = types(d.real()).0;
                let max = if r == "f64" {
                    "1.7976931348623157e308lf"
                } else {
                    "3.4028234e38f"
                };
                helpers += &CABS
                    .replace("CT", elem)
                    .replace("MAXR", max)
                    .replace('R', r);
                "cabs(x)".into()
            }
            ComplexPart::Arg if d == DType::C64 => {
                let (h, e) = super::math64::atan2("x.y", "x.x");
                helpers += &h;
                e
            }
            ComplexPart::Arg => {
                helpers += ATAN2;
                "atan2_(x.y, x.x)".into()
            }
        },
    };
    (e, helpers)
}

pub(crate) fn run(
    be: &WgpuBackend,
    op: ElementwiseOp,
    d: DType,
    inputs: &[&WgpuBuffer],
    out: &WgpuBuffer,
    l: &Layout,
) -> Result<()> {
    let unsupported = |reason: String| Error::DtypeUnsupported {
        dtype: d,
        device: be.label.clone(),
        reason,
    };
    let out_dtype = op.out_dtype(d);
    // f64 NaN tests, the remainder's exponents and our f64 transcendentals read the bits as
    // a u64.
    let int64 = uses_nan_test(op, d)
        || op == ElementwiseOp::Binary(BinaryOp::Rem)
        || matches!(op, ElementwiseOp::Unary(u) if u.transcendental())
        || matches!(
            op,
            ElementwiseOp::Binary(BinaryOp::Atan2 | BinaryOp::Pow)
                | ElementwiseOp::Part(ComplexPart::Arg)
        );
    if int64 && d.needs_f64() && !be.features.contains(wgpu::Features::SHADER_INT64) {
        return Err(unsupported(format!(
            "{} in f64 needs 64-bit integers in shaders (SHADER_INT64); this device lacks them",
            op.name()
        )));
    }
    if l.len > u32::MAX as usize {
        return Err(Error::SizeOverLimit {
            what: "elementwise operand (elements, 32-bit indexing)",
            requested: l.len as u64,
            limit: u32::MAX as u64,
            device: be.label.clone(),
        });
    }
    let in_dtype = |k: usize| op.input_dtype(d, k);
    let contiguous = |k: usize| l.contiguous[k];
    // A one-element operand (every stride 0) is read at 0: no index arithmetic at all.
    let scalar = |k: usize| l.strides[k].iter().all(|&s| s == 0);
    let mode = |k: usize| match (contiguous(k), scalar(k)) {
        (true, _) => 1u8,
        (false, true) => 0,
        (false, false) => 2,
    };
    let modes: String = (0..inputs.len()).map(|k| mode(k).to_string()).collect();
    // An f32 fma through f64 (`FMA_WIDE`) where the driver's `fma` rounds twice.
    let wide = matches!(op, ElementwiseOp::Fma) && d == DType::F32 && f32_fma_through_f64(be)?;
    let key = format!("elementwise/{}/{d}/{modes}/{wide}", op.name());
    let kernel = be.kernels.get(be, &key, "main", || {
        let idx = |k: usize| match mode(k) {
            1 => "i".to_string(),
            0 => "0u".to_string(),
            _ => format!("offset(g, p.stride{k})"),
        };
        let names = ["x", "y", "z"];
        let mut bindings = String::new();
        let mut loads = String::new();
        for (k, name) in names.iter().enumerate().take(inputs.len()) {
            let (elem, calc) = types(in_dtype(k));
            bindings += &format!(
                "@group(0) @binding({}) var<storage, read> in{k}: array<{elem}>;\n",
                2 + k
            );
            loads += &format!("let {} = {calc}(in{k}[{}]);\n    ", name, idx(k));
        }
        let (mut expr, mut helpers) = expression(op, d);
        if wide {
            expr = "fma_wide(x, y, z)".into();
            helpers += FMA_WIDE;
        }
        let f16 = d == DType::F16 || out_dtype == DType::F16;
        specialise(
            SOURCE,
            &[
                ("ENABLE", if f16 { "enable f16;" } else { "" }),
                ("OUT", types(out_dtype).0),
                ("INPUTS", &bindings),
                ("HELPERS", &helpers),
                ("LOADS", &loads),
                ("EXPR", &expr),
            ],
        )
    })?;

    // Broadcast inputs are bound whole: their extent is the largest offset they are read at.
    let extent = |k: usize| -> u64 {
        1 + l
            .shape
            .iter()
            .zip(&l.strides[k])
            .map(|(&n, &s)| ((n - 1) * s) as u64)
            .sum::<u64>()
    };
    let limit = be.limits.max_storage_buffer_binding_size;
    for k in (0..inputs.len()).filter(|&k| !contiguous(k)) {
        let bytes = extent(k) * in_dtype(k).size() as u64;
        if bytes > limit {
            return Err(Error::SizeOverLimit {
                what: "broadcast operand binding",
                requested: bytes,
                limit,
                device: be.label.clone(),
            });
        }
    }
    debug_assert!(l.shape.len() <= MAX_RANK);
    let words = |v: &[usize]| -> [u32; 8] {
        let mut w = [0u32; 8];
        for (i, &x) in v.iter().enumerate() {
            w[i] = x as u32;
        }
        w
    };
    let shape = words(&l.shape);
    let strides: Vec<[u32; 8]> = l.strides.iter().map(|s| words(s)).collect();
    let rank = l.shape.len() as u32;

    let operands: Vec<Operand<'_>> = inputs
        .iter()
        .enumerate()
        .map(|(k, b)| {
            let size = in_dtype(k).size() as u64;
            if contiguous(k) {
                Operand::Chunked(&b.raw, size)
            } else {
                Operand::Whole(&b.raw, extent(k) * size)
            }
        })
        .collect();
    be.dispatch_chunked(
        &kernel,
        &out.raw,
        l.len as u64,
        out_dtype.size() as u64,
        &operands,
        |first, count| {
            let mut block: Vec<u32> = vec![count as u32, first as u32, rank, 0];
            block.extend(shape);
            for k in 0..3 {
                block.extend(strides.get(k).copied().unwrap_or([0; 8]));
            }
            bytemuck::cast_slice(&block).to_vec()
        },
    )
}
