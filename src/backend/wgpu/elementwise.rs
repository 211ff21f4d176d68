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
/// NaN-propagating min and max over the computation type F.
const MIN_MAX: &str = "
fn nan_min(a: F, b: F) -> F { return select(min(a, b), a + b, is_nan(a) || is_nan(b)); }
fn nan_max(a: F, b: F) -> F { return select(max(a, b), a + b, is_nan(a) || is_nan(b)); }";
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
/// The magnitude of a complex number without overflow or underflow in the squares.
const CABS: &str = "
fn cabs(v: CT) -> R {
    let m = max(abs(v.x), abs(v.y));
    if (m == 0.0 || m > MAXR) { return m; }
    let a = v / m;
    return m * sqrt(a.x * a.x + a.y * a.y);
}";

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
        // WGSL's float-to-int conversion saturates; NaN is left open by the spec: make it 0.
        DType::I32 | DType::U32 => format!("select({elem}({re}), {elem}(0), is_nan({re}))"),
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
            // keeps a driver that assumes finite math from looping. Then NumPy's sign rule.
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
    return select(t, t + y, t != 0.0 && ((t < 0.0) != (y < 0.0)));
}"
                .replace(
                    "EXPO",
                    if calc == "f64" {
                        "i32((bitcast<u64>(v) >> 52u) & 0x7fflu)"
                    } else {
                        "i32((bitcast<u32>(v) >> 23u) & 0xffu)"
                    },
                )
                .replace(
                    "MAXF",
                    if calc == "f64" {
                        "1.7976931348623157e308"
                    } else {
                        "3.40282347e38"
                    },
                )
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
            BinaryOp::Pow => "pow(x, y)".into(),
            BinaryOp::Atan2 => "atan2(x, y)".into(),
            BinaryOp::Hypot => "sqrt(x * x + y * y)".into(),
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
            UnaryOp::Tanh => "tanh(x)".into(),
            UnaryOp::Exp2 => "exp2(x)".into(),
            UnaryOp::Log2 => "log2(x)".into(),
            UnaryOp::Tan => "tan(x)".into(),
            UnaryOp::Sigmoid => "1.0 / (1.0 + exp(-x))".into(),
            UnaryOp::Floor => "floor(x)".into(),
            UnaryOp::Ceil => "ceil(x)".into(),
            // WGSL's round, like NumPy's, takes halves to even.
            UnaryOp::Round => "round(x)".into(),
            UnaryOp::Trunc => "trunc(x)".into(),
            UnaryOp::Sign => "sign(x)".into(),
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
            ComplexPart::Arg => "atan2(x.y, x.x)".into(),
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
    let no_f64 = match op {
        ElementwiseOp::Unary(u) => u.transcendental(),
        ElementwiseOp::Binary(b) => matches!(b, BinaryOp::Pow | BinaryOp::Atan2),
        ElementwiseOp::Part(p) => p == ComplexPart::Arg,
        _ => false,
    };
    let unsupported = |reason: String| Error::DtypeUnsupported {
        dtype: d,
        device: be.label.clone(),
        reason,
    };
    if no_f64 && d.needs_f64() {
        return Err(unsupported(format!(
            "{} in f64 has no WGSL built-in (SPIR-V defines it for 16- and 32-bit floats \
             only); use f32 here, or the CPU or CUDA backend",
            op.name()
        )));
    }
    let out_dtype = op.out_dtype(d);
    // f64 NaN tests and the remainder's exponents read the bits as a u64.
    let int64 = uses_nan_test(op, d) || op == ElementwiseOp::Binary(BinaryOp::Rem);
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
