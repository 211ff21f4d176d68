//! wgpu side of the `elementwise` family (shaders/elementwise.wgsl): one kernel per op and
//! dtype, dispatched in chunks no larger than the device's binding limit.

use super::WgpuBackend;
use super::kernel::{Operand, specialise};
use super::memory::WgpuBuffer;
use crate::backend::{ElementwiseOp, Layout};
use crate::element::DType;
use crate::error::{Error, Result};
use crate::ops::elementwise::{BinaryOp, MAX_RANK, UnaryOp};

const SOURCE: &str = include_str!("../../../shaders/elementwise.wgsl");

/// Complex multiply and divide on vec2 (re, im); the textbook formulas, as on the CPU.
const COMPLEX_HELPERS: &str = "
fn cmul(a: CT, b: CT) -> CT { return CT(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x); }
fn cdiv(a: CT, b: CT) -> CT {
    let d = b.x * b.x + b.y * b.y;
    return CT((a.x * b.x + a.y * b.y) / d, (a.y * b.x - a.x * b.y) / d);
}";

/// NaN tests on the bits, which no fast-math assumption can fold away.
const NAN_F32: &str = "
fn is_nan(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }";
/// The f64 test needs 64-bit integers (SHADER_INT64); `run` refuses f64 min/max without them.
const NAN_F64: &str = "
fn is_nan(v: f64) -> bool {
    return (bitcast<u64>(v) & 0x7ffffffffffffffflu) > 0x7ff0000000000000lu;
}";

/// (storage type, computation type) of each dtype.
fn types(d: DType) -> (&'static str, &'static str) {
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

/// The WGSL expression of `op` over `x` (and `y`) in the computation type.
fn expression(op: ElementwiseOp, d: DType) -> String {
    let int = !d.is_float();
    let zero = match d {
        DType::I32 => "0i",
        DType::U32 => "0u",
        _ => "0.0",
    };
    // `x != x` is folded away by compilers that assume no NaNs (lavapipe does): test the bits.
    let nan_min = |f: &str| format!("select({f}(x, y), x + y, is_nan(x) || is_nan(y))");
    match op {
        ElementwiseOp::Binary(b) => match b {
            BinaryOp::Add => "x + y".into(),
            BinaryOp::Sub => "x - y".into(),
            BinaryOp::Mul if d.is_complex() => "cmul(x, y)".into(),
            BinaryOp::Mul => "x * y".into(),
            BinaryOp::Div if d.is_complex() => "cdiv(x, y)".into(),
            BinaryOp::Div if int => format!("select(x / y, {zero}, y == {zero})"),
            BinaryOp::Div => "x / y".into(),
            BinaryOp::Minimum if int => "min(x, y)".into(),
            BinaryOp::Minimum => nan_min("min"),
            BinaryOp::Maximum if int => "max(x, y)".into(),
            BinaryOp::Maximum => nan_min("max"),
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
        },
    }
}

fn op_name(op: ElementwiseOp) -> &'static str {
    match op {
        ElementwiseOp::Binary(b) => b.name(),
        ElementwiseOp::Unary(u) => u.name(),
    }
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
    };
    if no_f64 && d.needs_f64() {
        return Err(Error::DtypeUnsupported {
            dtype: d,
            device: be.label.clone(),
            reason: format!(
                "{} in f64 has no WGSL built-in (SPIR-V defines it for 16- and 32-bit \
                 floats only); use f32 here, or the CPU or CUDA backend",
                op_name(op)
            ),
        });
    }
    let min_max = matches!(
        op,
        ElementwiseOp::Binary(BinaryOp::Minimum | BinaryOp::Maximum)
    );
    if min_max && d == DType::F64 && !be.features.contains(wgpu::Features::SHADER_INT64) {
        return Err(Error::DtypeUnsupported {
            dtype: d,
            device: be.label.clone(),
            reason: "f64 minimum/maximum must test NaN on the bits, which needs SHADER_INT64;                      this device lacks it"
                .into(),
        });
    }
    if l.len > u32::MAX as usize {
        return Err(Error::SizeOverLimit {
            what: "elementwise operand (elements, 32-bit indexing)",
            requested: l.len as u64,
            limit: u32::MAX as u64,
            device: be.label.clone(),
        });
    }
    let esize = d.size() as u64;
    let binary = inputs.len() == 2;
    let contiguous = |k: usize| l.contiguous[k];
    // A one-element operand (every stride 0) is read at 0: no index arithmetic at all.
    let scalar = |k: usize| l.strides[k].iter().all(|&s| s == 0);
    let mode = |k: usize| match (contiguous(k), scalar(k)) {
        (true, _) => 1u8,
        (false, true) => 0,
        (false, false) => 2,
    };
    let (elem, calc) = types(d);
    let key = format!(
        "elementwise/{}/{d}/{}{}",
        op_name(op),
        mode(0),
        if binary { mode(1) } else { 9 }
    );
    let kernel = be.kernels.get(be, &key, "main", || {
        let idx = |k: usize| match mode(k) {
            1 => "i".to_string(),
            0 => "0u".to_string(),
            _ => format!("offset(g, p.stride{k})"),
        };
        let in1 = if binary {
            format!("@group(0) @binding(3) var<storage, read> in1: array<{elem}>;")
        } else {
            String::new()
        };
        let helpers = match d {
            DType::C32 | DType::C64 => COMPLEX_HELPERS.replace("CT", elem),
            DType::F16 | DType::F32 if min_max => NAN_F32.into(),
            DType::F64 if min_max => NAN_F64.into(),
            _ => String::new(),
        };
        specialise(
            SOURCE,
            &[
                ("ENABLE", if d == DType::F16 { "enable f16;" } else { "" }),
                ("ELEM", elem),
                ("CALC", calc),
                ("HELPERS", &helpers),
                ("IN1", &in1),
                ("IDX0", &idx(0)),
                (
                    "LOAD1",
                    &if binary {
                        format!("let y = {calc}(in1[{}]);", idx(1))
                    } else {
                        String::new()
                    },
                ),
                ("EXPR", &expression(op, d)),
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
    for (k, _) in inputs.iter().enumerate().filter(|(k, _)| !contiguous(*k)) {
        if extent(k) * esize > limit {
            return Err(Error::SizeOverLimit {
                what: "broadcast operand binding",
                requested: extent(k) * esize,
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
            if contiguous(k) {
                Operand::Chunked(&b.raw)
            } else {
                Operand::Whole(&b.raw, extent(k) * esize)
            }
        })
        .collect();
    be.dispatch_chunked(
        &kernel,
        &out.raw,
        l.len as u64,
        esize,
        &operands,
        |first, count| {
            let mut block: Vec<u32> = vec![count as u32, first as u32, rank, 0];
            block.extend(shape);
            block.extend(strides[0]);
            block.extend(strides.get(1).copied().unwrap_or([0; 8]));
            bytemuck::cast_slice(&block).to_vec()
        },
    )
}
