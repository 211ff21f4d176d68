//! Elementwise ops on every device and dtype against a host reference computed in f64 (i64
//! for integers), over every broadcasting pattern, including sizes that cross chunk boundaries.
//! Tolerances, in one place (`tolerance`), follow what each op promises: IEEE-exact add, sub
//! and mul; WGSL's 2.5-ulp division; its 2^-11 absolute sine and cosine; and so on.

mod common;

use common::{Random, on_every_device, on_every_device_alone, random_vec, rng};
use rand::Rng;
use streamcore::prelude::*;
use streamcore::{BinaryOp, CompareOp, UnaryOp};

const PATTERNS: &[(&[usize], &[usize])] = &[
    (&[4, 5], &[4, 5]),
    (&[4, 5], &[5]),
    (&[4, 1], &[1, 5]),
    (&[], &[3, 4]),
    (&[3, 4], &[]),
    (&[2, 1, 3], &[4, 1]),
    (&[0, 3], &[3]),
    (&[1], &[1]),
    (&[7, 1, 5], &[7, 6, 1]),
    (&[300_001], &[300_001]),
];

/// One ULP at 1.0 of the type a dtype is computed in (f16 is computed in f32, then rounded
/// once more: see `tolerance`). The WGSL spec states its accuracy in these units.
fn eps(d: DType) -> f64 {
    match d {
        DType::F16 | DType::F32 | DType::C32 => 2f64.powi(-23),
        _ => 2f64.powi(-52),
    }
}

/// Allowed |got - reference| for one element: `scale` is the magnitude the op's error is
/// relative to.
fn tolerance(op: &str, d: DType, x: f64, scale: f64) -> f64 {
    let e = eps(d);
    let rel = match op {
        // Complex products: two multiplications and a sum, three roundings.
        "mul" | "square" if d.is_complex() => 3.0,
        // Complex division by the textbook formula: a few roundings in numerator and |y|^2.
        "div" if d.is_complex() => 8.0,
        "add" | "sub" | "mul" | "neg" | "abs" | "square" | "minimum" | "maximum" => 1.0,
        "div" | "sqrt" | "recip" | "rsqrt" | "hypot" => 3.0,
        "exp" | "exp2" => 3.0 + 2.0 * x.abs(),
        "conj" | "eq" | "where" => 0.0,
        // WGSL's float % is x - y * trunc(x / y): rounding errors relative to |x| + |y|.
        "rem" => 8.0,
        "floor" | "ceil" | "round" | "trunc" | "sign" => 0.0,
        // WGSL's pow is exp2(y * log2(x)): its error grows with the exponent (scale carries it).
        "pow" => 64.0,
        // atan2: libm (CPU), CUDA's 2 ulp, and WGSL's own polynomial (its built-in may be off
        // by 4096 ulp).
        _ => 4.0,
    } * e
        * scale;
    let abs = match (op, d) {
        // WGSL: sin and cos within 2^-11 absolute on [-pi, pi]; log 2^-21 near 1.
        ("sin" | "cos", DType::F32 | DType::F16) => 2f64.powi(-11),
        ("log", DType::F32 | DType::F16) => 2f64.powi(-21),
        ("tanh" | "sigmoid", DType::F32 | DType::F16) => 2f64.powi(-20),
        // tan inherits sin and cos errors, divided by cos (at least 0.54 on the tested [-1, 1]).
        ("tan", DType::F32 | DType::F16) => 2f64.powi(-9),
        ("log2", DType::F32 | DType::F16) => 2f64.powi(-21),
        // WGSL has no log1p or expm1: log(1 + x) and exp(x) - 1 beyond |x| = 0.1.
        ("log1p" | "expm1", DType::F32 | DType::F16) => 2f64.powi(-20),
        _ => 0.0,
    };
    // f16 results are rounded once more, from f32: near a rounding boundary that can land one
    // f16 ulp (2^-10 relative) away from the exactly rounded reference.
    let f16_round = if d == DType::F16 {
        2f64.powi(-10) * scale
    } else {
        0.0
    };
    // Results in the subnormal range are spaced absolutely: one spacing of the dtype's.
    let subnormal = match d {
        DType::F16 => 2f64.powi(-24),
        DType::F32 | DType::C32 => 2f64.powi(-149),
        _ => 0.0,
    };
    rel + abs + f16_round + subnormal
}

/// The integer reference, computed in the dtype itself (wrapping; `x / 0 == 0`; shift
/// counts mod 32).
macro_rules! int_binary {
    ($op:expr, $a:expr, $b:expr) => {{
        let (a, b) = ($a, $b);
        match $op {
            BinaryOp::Add => a.wrapping_add(b),
            BinaryOp::Sub => a.wrapping_sub(b),
            BinaryOp::Mul => a.wrapping_mul(b),
            BinaryOp::Div if b == 0 => 0,
            BinaryOp::Div => a.wrapping_div(b),
            BinaryOp::Rem if b == 0 => 0,
            // NumPy: the result takes the divisor's sign.
            BinaryOp::Rem => floor_rem(a as i64, b as i64) as _,
            BinaryOp::Minimum => a.min(b),
            BinaryOp::Maximum => a.max(b),
            BinaryOp::BitAnd => a & b,
            BinaryOp::BitOr => a | b,
            BinaryOp::BitXor => a ^ b,
            BinaryOp::Shl => a.wrapping_shl(b as u32),
            BinaryOp::Shr => a.wrapping_shr(b as u32),
            _ => unreachable!("float op on an integer"),
        }
    }};
}

/// NumPy's integer remainder computed in i64: the result takes the divisor's sign.
fn floor_rem(a: i64, b: i64) -> i64 {
    let r = a % b;
    if r != 0 && ((r < 0) != (b < 0)) {
        r + b
    } else {
        r
    }
}

fn ref_binary(op: BinaryOp, d: DType, x: (f64, f64), y: (f64, f64)) -> (f64, f64) {
    if d == DType::I32 {
        return (int_binary!(op, x.0 as i32, y.0 as i32) as f64, 0.0);
    }
    if d == DType::U32 {
        return (int_binary!(op, x.0 as u32, y.0 as u32) as f64, 0.0);
    }
    let nan = x.0.is_nan() || y.0.is_nan();
    match op {
        BinaryOp::Add => (x.0 + y.0, x.1 + y.1),
        BinaryOp::Sub => (x.0 - y.0, x.1 - y.1),
        BinaryOp::Mul => (x.0 * y.0 - x.1 * y.1, x.0 * y.1 + x.1 * y.0),
        BinaryOp::Div if d.is_complex() => {
            let m = y.0 * y.0 + y.1 * y.1;
            ((x.0 * y.0 + x.1 * y.1) / m, (x.1 * y.0 - x.0 * y.1) / m)
        }
        BinaryOp::Div => (x.0 / y.0, 0.0),
        BinaryOp::Rem => {
            let m = x.0 % y.0;
            let r = if m != 0.0 && ((m < 0.0) != (y.0 < 0.0)) {
                m + y.0
            } else {
                m
            };
            (r, 0.0)
        }
        BinaryOp::Minimum if nan => (f64::NAN, 0.0),
        BinaryOp::Maximum if nan => (f64::NAN, 0.0),
        BinaryOp::Minimum => (x.0.min(y.0), 0.0),
        BinaryOp::Maximum => (x.0.max(y.0), 0.0),
        BinaryOp::Pow => (x.0.powf(y.0), 0.0),
        BinaryOp::Atan2 => (x.0.atan2(y.0), 0.0),
        BinaryOp::Hypot => (x.0.hypot(y.0), 0.0),
        _ => unreachable!("integer op on {d}"),
    }
}

fn ref_unary(op: UnaryOp, d: DType, x: (f64, f64)) -> (f64, f64) {
    if !d.is_float() {
        let a = x.0 as i64;
        let r = match op {
            UnaryOp::Neg => a.wrapping_neg(),
            UnaryOp::Abs => a.abs(),
            UnaryOp::Square => a.wrapping_mul(a),
            UnaryOp::Sign => a.signum(),
            UnaryOp::Not if d == DType::I32 => !(a as i32) as i64,
            UnaryOp::Not => !(a as u32) as i64,
            UnaryOp::Popcount if d == DType::I32 => (a as i32).count_ones() as i64,
            UnaryOp::Popcount => (a as u32).count_ones() as i64,
            _ => unreachable!("float-only op on {d}"),
        };
        let wrapped = if d == DType::I32 {
            r as i32 as f64
        } else {
            r as u32 as f64
        };
        return (wrapped, 0.0);
    }
    match op {
        UnaryOp::Neg => (-x.0, -x.1),
        UnaryOp::Abs => (x.0.abs(), 0.0),
        UnaryOp::Square => (x.0 * x.0 - x.1 * x.1, 2.0 * x.0 * x.1),
        UnaryOp::Sqrt => (x.0.sqrt(), 0.0),
        UnaryOp::Exp => (x.0.exp(), 0.0),
        UnaryOp::Log => (x.0.ln(), 0.0),
        UnaryOp::Sin => (x.0.sin(), 0.0),
        UnaryOp::Cos => (x.0.cos(), 0.0),
        UnaryOp::Tanh => (x.0.tanh(), 0.0),
        UnaryOp::Exp2 => (x.0.exp2(), 0.0),
        UnaryOp::Log2 => (x.0.log2(), 0.0),
        UnaryOp::Tan => (x.0.tan(), 0.0),
        UnaryOp::Sigmoid => (1.0 / (1.0 + (-x.0).exp()), 0.0),
        UnaryOp::Floor => (x.0.floor(), 0.0),
        UnaryOp::Ceil => (x.0.ceil(), 0.0),
        UnaryOp::Round => (x.0.round_ties_even(), 0.0),
        UnaryOp::Trunc => (x.0.trunc(), 0.0),
        UnaryOp::Sign if x.0 > 0.0 => (1.0, 0.0),
        UnaryOp::Sign if x.0 < 0.0 => (-1.0, 0.0),
        UnaryOp::Sign => (x.0, 0.0),
        UnaryOp::Recip => (1.0 / x.0, 0.0),
        UnaryOp::Rsqrt => (1.0 / x.0.sqrt(), 0.0),
        UnaryOp::Log1p => (x.0.ln_1p(), 0.0),
        UnaryOp::Expm1 => (x.0.exp_m1(), 0.0),
        UnaryOp::Conj => (x.0, -x.1),
        UnaryOp::Not | UnaryOp::Popcount => unreachable!("integer op on {d}"),
    }
}

/// A real float reference rounded to the dtype, so that overflow to infinity matches.
fn round_to<T: Element>(v: (f64, f64)) -> (f64, f64) {
    if T::DTYPE.is_float() && !T::DTYPE.is_complex() {
        (T::from_f64(v.0).to_f64(), v.1)
    } else {
        v
    }
}

fn close(got: (f64, f64), want: (f64, f64), tol: f64) -> bool {
    if want.0.is_nan() {
        return got.0.is_nan();
    }
    if !d_finite(want) {
        return got == want;
    }
    (got.0 - want.0).abs() + (got.1 - want.1).abs() <= tol
}

fn d_finite(v: (f64, f64)) -> bool {
    v.0.is_finite() && v.1.is_finite()
}

/// Host reference of a broadcast binary op: NumPy's own rules through ndarray's broadcasting.
fn check_binary<T: Random>(dev: &Device, op: BinaryOp, r: &mut rand::rngs::StdRng) {
    let d = T::DTYPE;
    for (sa, sb) in PATTERNS {
        let (na, nb) = (sa.iter().product(), sb.iter().product());
        let mut va = random_vec::<T>(r, na);
        let mut vb = random_vec::<T>(r, nb);
        if op == BinaryOp::Div && d.is_float() {
            // Keep quotients representable in f16.
            for v in va.iter_mut() {
                *v = T::from_f64(v.to_f64().clamp(-60.0, 60.0));
            }
        }
        if op == BinaryOp::Rem && d.is_float() {
            for v in vb.iter_mut() {
                let y = v.to_f64();
                *v = T::from_f64(y.signum() * y.abs().max(0.5));
            }
        }
        if op == BinaryOp::Pow {
            // Positive bases and moderate exponents: results stay finite in f16.
            for v in va.iter_mut() {
                *v = T::from_f64(r.random_range(0.1..10.0));
            }
            for v in vb.iter_mut() {
                *v = T::from_f64(r.random_range(-3.0..3.0));
            }
        }
        let a = Array::from_vec(dev, va.clone(), sa).unwrap();
        let b = Array::from_vec(dev, vb.clone(), sb).unwrap();
        let got = match a.binary_op(&b, op) {
            Ok(g) => g,
            // WGSL's f64 pow and atan2 are ours, and read bits as u64.
            Err(Error::DtypeUnsupported { reason, .. })
                if d.needs_f64() && dev.kind() == DeviceKind::Wgpu =>
            {
                assert!(reason.contains("SHADER_INT64"), "{reason}");
                return;
            }
            Err(e) => panic!("{} {d} on {dev}: {e}", op.name()),
        };
        let ha = ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(sa), va).unwrap();
        let hb = ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(sb), vb).unwrap();
        let shape = got.shape().to_vec();
        let (ba, bb) = (
            ha.broadcast(shape.clone()).unwrap(),
            hb.broadcast(shape.clone()).unwrap(),
        );
        let host = got.to_vec().unwrap();
        for ((g, x), y) in host.iter().zip(ba.iter()).zip(bb.iter()) {
            let (xv, yv) = (x.to_c64(), y.to_c64());
            let want = round_to::<T>(ref_binary(op, d, xv, yv));
            let scale = match op {
                BinaryOp::Pow => want.0.abs() * (1.0 + (yv.0 * xv.0.log2()).abs()),
                BinaryOp::Atan2 | BinaryOp::Hypot => want.0.abs().max(1e-30),
                BinaryOp::Mul | BinaryOp::Div => {
                    want.0.abs()
                        + want.1.abs()
                        + (xv.0.abs() + xv.1.abs()) * (yv.0.abs() + yv.1.abs())
                }
                _ => xv.0.abs() + xv.1.abs() + yv.0.abs() + yv.1.abs(),
            };
            let tol = if d.is_float() {
                tolerance(op.name(), d, xv.0, scale)
            } else {
                0.0
            };
            assert!(
                close(g.to_c64(), want, tol),
                "{} {d} {sa:?} vs {sb:?} on {dev}: {x:?} op {y:?} = {g:?}, expected {want:?} (tolerance {tol:e})",
                op.name()
            );
        }
    }
}

fn check_unary<T: Random>(dev: &Device, op: UnaryOp, r: &mut rand::rngs::StdRng) {
    let d = T::DTYPE;
    for n in [0usize, 1, 257, 70_001] {
        let v: Vec<T> = (0..n)
            .map(|_| {
                let x = T::random(r);
                match op {
                    UnaryOp::Sqrt | UnaryOp::Log | UnaryOp::Log2 | UnaryOp::Rsqrt => {
                        T::from_f64(x.to_f64().abs() + 1e-3)
                    }
                    UnaryOp::Recip => T::from_f64(x.to_f64().abs().max(1e-3) * x.to_f64().signum()),
                    UnaryOp::Exp | UnaryOp::Exp2 | UnaryOp::Sigmoid => {
                        T::from_f64(r.random_range(-10.0..10.0))
                    }
                    UnaryOp::Tan => T::from_f64(r.random_range(-1.0..1.0)),
                    UnaryOp::Sin | UnaryOp::Cos => {
                        T::from_f64(r.random_range(-std::f64::consts::PI..std::f64::consts::PI))
                    }
                    UnaryOp::Tanh => T::from_f64(r.random_range(-5.0..5.0)),
                    // Small arguments too, where log1p and expm1 earn their keep.
                    UnaryOp::Log1p | UnaryOp::Expm1 => {
                        let e = r.random_range(-8..=0);
                        T::from_f64(r.random_range(-0.9..2.0) * 10f64.powi(e))
                    }
                    _ => x,
                }
            })
            .collect();
        let x = Array::from_vec(dev, v.clone(), &[n]).unwrap();
        let got = match x.unary_op(op) {
            Ok(g) => g.to_vec().unwrap(),
            Err(Error::DtypeUnsupported { reason, .. })
                if d.needs_f64() && dev.kind() == DeviceKind::Wgpu =>
            {
                assert!(reason.contains("f64"), "{reason}");
                return;
            }
            Err(e) => panic!("{} {d} on {dev}: {e}", op.name()),
        };
        for (g, x) in got.iter().zip(&v) {
            let xv = x.to_c64();
            let want = round_to::<T>(ref_unary(op, d, xv));
            // Complex squares cancel in the real part: their error scales with |x|^2.
            let scale = if op == UnaryOp::Square {
                (xv.0.abs() + xv.1.abs()).powi(2)
            } else {
                want.0.abs() + want.1.abs()
            };
            let tol = if d.is_float() {
                tolerance(op.name(), d, xv.0, scale.max(f64::MIN_POSITIVE))
            } else {
                0.0
            };
            assert!(
                close(g.to_c64(), want, tol),
                "{} {d} on {dev}: f({x:?}) = {g:?}, expected {want:?} (tolerance {tol:e})",
                op.name()
            );
        }
    }
}

fn all_ops<T: Random>(dev: &Device, r: &mut rand::rngs::StdRng) {
    let d = T::DTYPE;
    if !dev.supports(d) {
        return;
    }
    for op in BinaryOp::ALL {
        if op.supports(d) {
            check_binary::<T>(dev, op, r);
        } else {
            let x = Array::<T>::zeros(dev, &[2]).unwrap();
            let e = x.binary_op(&x, op).unwrap_err();
            assert!(matches!(e, Error::DtypeUnsupported { .. }), "{e}");
        }
    }
    for op in UnaryOp::ALL {
        if op.supports(d) {
            check_unary::<T>(dev, op, r);
        } else {
            let e = Array::<T>::zeros(dev, &[2])
                .unwrap()
                .unary_op(op)
                .unwrap_err();
            assert!(
                matches!(e, Error::DtypeUnsupported { .. }),
                "{} {d}: {e}",
                op.name()
            );
        }
    }
}

#[test]
fn every_op_dtype_and_broadcast_matches_the_reference() {
    let mut r = rng();
    on_every_device(|dev| {
        for_each_dtype!(T => { all_ops::<T>(dev, &mut r); });
    });
}

#[test]
fn nan_and_infinity_propagate() {
    on_every_device(|dev| {
        let a = Array::from_vec(dev, vec![f32::NAN, 1.0, f32::INFINITY, -0.0], &[4]).unwrap();
        let b = Array::from_vec(dev, vec![2.0f32, f32::NAN, 1.0, 0.0], &[4]).unwrap();
        let mn = a.minimum(&b).unwrap().to_vec().unwrap();
        let mx = a.maximum(&b).unwrap().to_vec().unwrap();
        assert!(
            mn[0].is_nan() && mn[1].is_nan() && mx[0].is_nan() && mx[1].is_nan(),
            "{mn:?} {mx:?}"
        );
        assert_eq!((mn[2], mx[2]), (1.0, f32::INFINITY));
        let s = a.add(&b).unwrap().to_vec().unwrap();
        assert!(s[0].is_nan() && s[1].is_nan() && s[2] == f32::INFINITY);
        let q = (&b / 0.0).unwrap().to_vec().unwrap();
        assert_eq!(q[0], f32::INFINITY);
        if dev.supports(DType::F64) {
            let a = Array::from_vec(dev, vec![f64::NAN, 1.0, 3.0], &[3]).unwrap();
            let b = Array::from_vec(dev, vec![2.0f64, f64::NAN, 1.0], &[3]).unwrap();
            let mn = a.minimum(&b).unwrap().to_vec().unwrap();
            let mx = a.maximum(&b).unwrap().to_vec().unwrap();
            assert!(
                mn[0].is_nan() && mn[1].is_nan() && mx[0].is_nan() && mx[1].is_nan(),
                "f64 {mn:?} {mx:?}"
            );
            assert_eq!((mn[2], mx[2]), (1.0, 3.0));
        }
    });
}

/// Values where C99 (libm, CUDA) and NumPy define a result that a naive formula misses.
const SPECIALS: [f32; 20] = [
    f32::NEG_INFINITY,
    -1e30,
    -3.0,
    -2.0,
    -1.5,
    -1.0,
    -0.5,
    -1e-30,
    -0.0,
    0.0,
    1e-30,
    0.5,
    1.0,
    1.5,
    2.0,
    3.0,
    1e30,
    f32::INFINITY,
    f32::NAN,
    -88.5,
];

/// `got` is `want` (libm's f32, correctly rounded or within a few ulp): the same class (NaN,
/// infinity, zero with its sign) and, for finite values, within `ulps` of it.
fn same_as_libm(got: f32, want: f32, ulps: f32) -> bool {
    if want.is_nan() || got.is_nan() {
        return want.is_nan() && got.is_nan();
    }
    if !want.is_finite() || want == 0.0 || got == 0.0 {
        return got == want && got.is_sign_negative() == want.is_sign_negative();
    }
    // GPUs flush subnormal results to zero (handled above); the rest is relative.
    got.is_sign_negative() == want.is_sign_negative()
        && (got - want).abs() <= ulps * f32::EPSILON * want.abs()
}

/// A binary f32 function of Rust's (libm's).
type Libm2 = fn(f32, f32) -> f32;
/// A binary f64 function of Rust's (libm's).
type Libm2_64 = fn(f64, f64) -> f64;

#[test]
fn special_values_follow_c99_on_every_device() {
    let n = SPECIALS.len();
    let a: Vec<f32> = (0..n * n).map(|i| SPECIALS[i / n]).collect();
    let b: Vec<f32> = (0..n * n).map(|i| SPECIALS[i % n]).collect();
    on_every_device(|dev| {
        let x = Array::from_vec(dev, a.clone(), &[n * n]).unwrap();
        let y = Array::from_vec(dev, b.clone(), &[n * n]).unwrap();
        // pow's magnitude is exp2(y log2 |x|) on GPUs: its error grows with |y log2 x|, which
        // stays under 300 here; the classes (signs, zeros, infinities, NaN) are exact.
        let checks: [(BinaryOp, Libm2, f32); 3] = [
            (BinaryOp::Pow, f32::powf, 512.0),
            (BinaryOp::Atan2, f32::atan2, 4.0),
            (BinaryOp::Hypot, f32::hypot, 2.0),
        ];
        for (op, f, ulps) in checks {
            let got = x.binary_op(&y, op).unwrap().to_vec().unwrap();
            for i in 0..n * n {
                let want = f(a[i], b[i]);
                // Subnormal results may be flushed to zero by GPUs.
                if want != 0.0 && want.abs() < f32::MIN_POSITIVE {
                    continue;
                }
                assert!(
                    same_as_libm(got[i], want, ulps),
                    "{}({}, {}) on {dev}: {} where C99 gives {want}",
                    op.name(),
                    a[i],
                    b[i],
                    got[i]
                );
            }
        }
        // atan2 and pow in f64 (on wgpu our own), same classes; atan2 within 4 ulp, pow
        // within 4 + 2 |y ln x| ulp (on wgpu its magnitude is e^(y ln x)).
        if f64_math_here(dev) {
            let (a64, b64): (Vec<f64>, Vec<f64>) = a
                .iter()
                .zip(&b)
                .map(|(&p, &q)| (p as f64, q as f64))
                .unzip();
            let x64 = Array::from_vec(dev, a64.clone(), &[n * n]).unwrap();
            let y64 = Array::from_vec(dev, b64.clone(), &[n * n]).unwrap();
            let checks: [(BinaryOp, Libm2_64); 2] =
                [(BinaryOp::Atan2, f64::atan2), (BinaryOp::Pow, f64::powf)];
            for (op, f) in checks {
                let got = x64.binary_op(&y64, op).unwrap().to_vec().unwrap();
                for i in 0..n * n {
                    let (p, q) = (a64[i], b64[i]);
                    let want = f(p, q);
                    // Subnormal results may be flushed to zero by GPUs.
                    if want != 0.0 && want.abs() < f64::MIN_POSITIVE {
                        continue;
                    }
                    let ulps = match op {
                        BinaryOp::Pow => 4.0 + 2.0 * (q * p.abs().ln()).abs(),
                        _ => 4.0,
                    };
                    let ok = (got[i].is_nan() && want.is_nan())
                        || (got[i] == want && got[i].is_sign_negative() == want.is_sign_negative())
                        || (want.is_finite()
                            && want != 0.0
                            && (got[i] - want).abs() <= ulps * f64::EPSILON * want.abs());
                    assert!(
                        ok,
                        "{}({p}, {q}) f64 on {dev}: {} where C99 gives {want}",
                        op.name(),
                        got[i]
                    );
                }
            }
        }
        // minimum and maximum of -0 and 0 give the second operand, as NumPy's do.
        for op in [BinaryOp::Minimum, BinaryOp::Maximum] {
            let p = Array::from_vec(dev, vec![-0.0f32, 0.0], &[2]).unwrap();
            let q = Array::from_vec(dev, vec![0.0f32, -0.0], &[2]).unwrap();
            let r = p.binary_op(&q, op).unwrap().to_vec().unwrap();
            assert!(
                !r[0].is_sign_negative() && r[1].is_sign_negative(),
                "{}(±0) on {dev}: {r:?}",
                op.name()
            );
        }
        // NumPy's remainder: a zero result takes the divisor's sign.
        let r = (&x % &y).unwrap().to_vec().unwrap();
        for i in 0..n * n {
            if r[i] == 0.0 && b[i] != 0.0 && !b[i].is_nan() {
                assert_eq!(
                    r[i].is_sign_negative(),
                    b[i] < 0.0,
                    "rem({}, {}) on {dev}: {}",
                    a[i],
                    b[i],
                    r[i]
                );
            }
        }
        // Float to integer casts saturate at the integer's own limits (Rust's `as`); NaN
        // gives 0.
        let casts = x.cast::<i32>().unwrap().to_vec().unwrap();
        let castu = x.cast::<u32>().unwrap().to_vec().unwrap();
        for (i, &v) in a.iter().enumerate() {
            assert_eq!(
                (casts[i], castu[i]),
                (v as i32, v as u32),
                "cast of {v} on {dev}"
            );
        }
        if dev.supports(DType::F64) {
            // f64 holds the integers' limits: values just inside them truncate, not saturate.
            let mut w: Vec<f64> = a.iter().map(|&v| v as f64).collect();
            w.extend([
                2147483647.5,
                4294967295.9,
                -2147483648.9,
                4294967296.0,
                -0.9,
            ]);
            let xw = Array::from_vec(dev, w.clone(), &[w.len()]).unwrap();
            let casts = xw.cast::<i32>().unwrap().to_vec().unwrap();
            let castu = xw.cast::<u32>().unwrap().to_vec().unwrap();
            for (i, &v) in w.iter().enumerate() {
                assert_eq!(
                    (casts[i], castu[i]),
                    (v as i32, v as u32),
                    "cast of f64 {v} on {dev}"
                );
            }
        }
        // sign: NaN stays NaN and zeros stay as they are.
        let s = x.unary_op(UnaryOp::Sign).unwrap().to_vec().unwrap();
        for (i, &v) in a.iter().enumerate() {
            let want = if v > 0.0 {
                1.0
            } else if v < 0.0 {
                -1.0
            } else {
                v
            };
            assert!(
                same_as_libm(s[i], want, 0.0),
                "sign({v}) on {dev}: {}",
                s[i]
            );
        }
    });
}

#[test]
fn tanh_and_atan2_keep_their_relative_accuracy_near_zero() {
    // Log-spaced from 1e-30 to 2: tanh(x) = x (1 - x^2/3 + ...) where built-ins of the
    // form (e^2x - 1) / (e^2x + 1) lose every digit; small angles likewise for atan2.
    let xs: Vec<f32> = (0..4000)
        .map(|i| {
            let v = 1e-30f64 * (2e30f64).powf(i as f64 / 3999.0);
            (if i % 2 == 0 { v } else { -v }) as f32
        })
        .collect();
    let n = xs.len();
    on_every_device(|dev| {
        let x = Array::from_vec(dev, xs.clone(), &[n]).unwrap();
        let t = x.unary_op(UnaryOp::Tanh).unwrap().to_vec().unwrap();
        let one = Array::full(dev, &[n], 1.0f32).unwrap();
        let a = x
            .binary_op(&one, BinaryOp::Atan2)
            .unwrap()
            .to_vec()
            .unwrap();
        for (i, &v) in xs.iter().enumerate() {
            let want = (v as f64).tanh() as f32;
            // Beyond 0.625 WGSL keeps its built-in (2.5 ulp on llvmpipe).
            let ulps = if v.abs() < 0.625 { 4.0 } else { 8.0 };
            assert!(
                same_as_libm(t[i], want, ulps),
                "tanh({v}) on {dev}: {} not {want}",
                t[i]
            );
            let want = (v as f64).atan2(1.0) as f32;
            assert!(
                same_as_libm(a[i], want, 4.0),
                "atan2({v}, 1) on {dev}: {} not {want}",
                a[i]
            );
        }
    });
}

/// Whether `dev` computes f64 transcendentals: it has f64, and on wgpu also 64-bit shader
/// integers (our WGSL f64 math reads bits as u64; without them the answer must be that
/// typed error).
fn f64_math_here(dev: &Device) -> bool {
    if !dev.supports(DType::F64) {
        return false;
    }
    match Array::from_vec(dev, vec![1.0f64], &[1])
        .unwrap()
        .unary_op(UnaryOp::Exp)
    {
        Ok(_) => true,
        Err(Error::DtypeUnsupported { reason, .. }) if reason.contains("SHADER_INT64") => false,
        Err(e) => panic!("f64 exp on {dev}: {e}"),
    }
}

/// ulps of `got` from `want` (f64), with NaN equal to NaN and infinities exact.
fn ulps64(got: f64, want: f64) -> f64 {
    if (got.is_nan() && want.is_nan()) || got == want {
        return 0.0;
    }
    if !got.is_finite() || !want.is_finite() {
        return f64::INFINITY;
    }
    let a = want.abs().max(f64::MIN_POSITIVE);
    (got - want).abs() / (f64::from_bits(a.to_bits() + 1) - a)
}

#[test]
fn f64_transcendentals_match_libm_over_their_whole_range() {
    // (op, libm, ranges): the ranges reach subnormal results and inputs, overflow edges and
    // large trigonometric arguments. WGSL computes these with our own f64 code.
    type Case = (UnaryOp, fn(f64) -> f64, &'static [(f64, f64)]);
    let cases: [Case; 11] = [
        (
            UnaryOp::Exp,
            f64::exp,
            &[(-745.0, -700.0), (-50.0, 50.0), (700.0, 709.7)],
        ),
        (
            UnaryOp::Exp2,
            f64::exp2,
            &[(-1074.0, -1000.0), (-50.0, 50.0), (1000.0, 1023.9)],
        ),
        (
            UnaryOp::Expm1,
            f64::exp_m1,
            &[(-1e-9, 1e-9), (-0.8, 0.8), (-40.0, 40.0)],
        ),
        (
            UnaryOp::Log,
            f64::ln,
            &[(1e-310, 1e-300), (0.5, 2.0), (1e-10, 1e300)],
        ),
        (
            UnaryOp::Log2,
            f64::log2,
            &[(1e-310, 1e-300), (0.5, 2.0), (1e-10, 1e300)],
        ),
        (
            UnaryOp::Log1p,
            f64::ln_1p,
            &[(-1e-9, 1e-9), (-0.99, 2.0), (2.0, 1e10)],
        ),
        (
            UnaryOp::Sin,
            f64::sin,
            &[(-3.2, 3.2), (-100.0, 100.0), (1e3, 3e6)],
        ),
        (
            UnaryOp::Cos,
            f64::cos,
            &[(-3.2, 3.2), (-100.0, 100.0), (1e3, 3e6)],
        ),
        (UnaryOp::Tan, f64::tan, &[(-1.5, 1.5), (-100.0, 100.0)]),
        (
            UnaryOp::Tanh,
            f64::tanh,
            &[(-1e-9, 1e-9), (-1.0, 1.0), (-25.0, 25.0)],
        ),
        (
            UnaryOp::Sigmoid,
            |x| 1.0 / (1.0 + (-x).exp()),
            &[(-30.0, 30.0)],
        ),
    ];
    let specials = [
        f64::NEG_INFINITY,
        -1.0,
        -0.0,
        0.0,
        1.0,
        f64::INFINITY,
        f64::NAN,
        1e-320,
        -1e-320,
    ];
    on_every_device(|dev| {
        if !f64_math_here(dev) {
            return;
        }
        for (op, f, ranges) in cases {
            let mut xs: Vec<f64> = ranges
                .iter()
                .flat_map(|&(lo, hi)| {
                    (0..20_000).map(move |i| lo + (hi - lo) * (i as f64 + 0.37) / 20_000.0)
                })
                .collect();
            xs.extend(specials);
            let got = Array::from_vec(dev, xs.clone(), &[xs.len()])
                .unwrap()
                .unary_op(op)
                .unwrap()
                .to_vec()
                .unwrap();
            for (&x, &g) in xs.iter().zip(&got) {
                let want = f(x);
                let mut u = ulps64(g, want);
                // sin, cos and tan near their zeros: 2^-53 absolute.
                if matches!(op, UnaryOp::Sin | UnaryOp::Cos | UnaryOp::Tan) {
                    u = u.min((g - want).abs() / 2f64.powi(-53));
                }
                let zero_sign_ok = want != 0.0 || g.is_sign_negative() == want.is_sign_negative()
                    // exp2 and sigmoid of -inf and similar: the sign of a zero result is moot.
                    || !x.is_finite();
                assert!(
                    u <= 4.0 && zero_sign_ok,
                    "{}({x:e}) on {dev}: {g:e} where libm gives {want:e} ({u} ulp)",
                    op.name()
                );
            }
        }
    });
}

#[test]
fn integers_wrap_and_divide_by_zero_to_zero() {
    on_every_device(|dev| {
        let a = Array::from_vec(dev, vec![i32::MAX, i32::MIN, 7, -7], &[4]).unwrap();
        let one = Array::from_vec(dev, vec![1i32, -1, 0, 2], &[4]).unwrap();
        assert_eq!(
            a.add(&one).unwrap().to_vec().unwrap(),
            vec![i32::MIN, i32::MAX, 7, -5]
        );
        assert_eq!(
            a.div(&one).unwrap().to_vec().unwrap(),
            vec![i32::MAX, i32::MIN, 0, -3]
        );
        assert_eq!(
            a.neg().unwrap().to_vec().unwrap(),
            vec![-i32::MAX, i32::MIN, -7, 7]
        );
        let u = Array::from_vec(dev, vec![0u32, 5], &[2]).unwrap();
        assert_eq!((&u - 1u32).unwrap().to_vec().unwrap(), vec![u32::MAX, 4]);
    });
}

#[test]
fn operators_and_scalars_follow_the_design_example() {
    on_every_device(|dev| {
        let x = Array::<f32>::linspace(dev, 0.0, 1.0, 5).unwrap();
        let y = (&x * 2.0).unwrap().sin().unwrap();
        let want: Vec<f32> = [0.0f32, 0.5, 1.0, 1.5, 2.0]
            .iter()
            .map(|v| v.sin())
            .collect();
        for (g, w) in y.to_vec().unwrap().iter().zip(&want) {
            assert!((g - w).abs() < 1e-3, "{g} vs {w} on {dev}");
        }
        let z = (&(&x + &x).unwrap() - 1.0).unwrap();
        assert_eq!(z.to_vec().unwrap(), vec![-1.0, -0.5, 0.0, 0.5, 1.0]);
        assert_eq!((-&x).unwrap().to_vec().unwrap()[4], -1.0);
    });
}

/// DESIGN: work is queued without host syncs. 100 chained ops add no wait; reading adds one.
#[test]
fn a_chain_of_ops_waits_once_at_the_read() {
    on_every_device_alone(|dev| {
        let mut z = Array::<f32>::linspace(dev, 0.0, 1.0, 10_000).unwrap();
        let before = dev.host_waits();
        for _ in 0..100 {
            z = (&(&z * 1.5).unwrap() - &z).unwrap();
        }
        assert_eq!(
            dev.host_waits(),
            before,
            "an op waited for the device on {dev}"
        );
        let v = z.to_vec().unwrap();
        let waits = dev.host_waits() - before;
        let expected = if dev.kind() == DeviceKind::Cpu { 0 } else { 1 };
        assert_eq!(waits, expected, "reading the result on {dev}");
        let want = 0.5f32.powi(100) as f64;
        assert!(
            (v[9_999] as f64 - want).abs() <= want * 1e-4,
            "{} vs {want}",
            v[9_999]
        );
    });
}

#[test]
fn bad_operands_are_typed_errors() {
    on_every_device(|dev| {
        let a = Array::<f32>::zeros(dev, &[3, 4]).unwrap();
        let b = Array::<f32>::zeros(dev, &[5]).unwrap();
        let e = a.add(&b).unwrap_err();
        assert!(
            matches!(e, Error::ShapeMismatch { .. }) && e.to_string().contains("[3, 4]"),
            "{e}"
        );
        let i = Array::<i32>::ones(dev, &[2]).unwrap();
        assert!(matches!(
            i.sqrt().unwrap_err(),
            Error::DtypeUnsupported { .. }
        ));
        let c = Array::<Complex32>::ones(dev, &[2]).unwrap();
        assert!(matches!(
            c.maximum(&c).unwrap_err(),
            Error::DtypeUnsupported { .. }
        ));
        if dev != &Device::cpu() {
            let h = Array::<f32>::zeros(&Device::cpu(), &[3, 4]).unwrap();
            let e = a.add(&h).unwrap_err();
            assert!(matches!(e, Error::DeviceMismatch { .. }), "{e}");
        }
    });
}

/// Larger than lavapipe's 128 MiB binding: the kernels must chunk, and broadcast operands
/// must be indexed by global position. A period of 7 does not divide the chunk size (2^25
/// f32 elements), so an operand read at a chunk-local index shows up as wrong values.
#[test]
fn elementwise_over_the_binding_limit() {
    on_every_device(|dev| {
        let rows = (160 << 20) / 4 / 7 + 1;
        let a = Array::<f32>::full(dev, &[rows, 7], 3.0).unwrap();
        let row: Vec<f32> = (0..7).map(|j| j as f32 + 0.5).collect();
        let r = Array::from_vec(dev, row.clone(), &[7]).unwrap();
        let s = a.add(&r).unwrap().sub(&a).unwrap().to_vec().unwrap();
        let bad = s.iter().enumerate().find(|(i, v)| **v != row[i % 7]);
        assert!(bad.is_none(), "row broadcast over chunks on {dev}: {bad:?}");
        let col = Array::<f32>::arange(dev, 0.0, rows as f64, 1.0).unwrap();
        let col = Array::from_vec(dev, col.to_vec().unwrap(), &[rows, 1]).unwrap();
        let c = a.add(&col).unwrap().to_vec().unwrap();
        let bad = c
            .iter()
            .enumerate()
            .find(|(i, v)| **v != 3.0 + (i / 7) as f32);
        assert!(
            bad.is_none(),
            "column broadcast over chunks on {dev}: {bad:?}"
        );
    });
}

/// The CPU's vector sine, cosine and tangent cover |x| <= 8192; larger arguments are
/// recomputed with libm.
#[test]
fn cpu_sine_cosine_and_tangent_of_large_arguments_stay_accurate() {
    let dev = Device::cpu();
    let xs: Vec<f32> = (0..70_000)
        .map(|i| (i as f32 - 35_000.0) * 0.731 + [0.0, 1.0e5, 3.0e9][i % 3])
        .collect();
    let x = Array::from_vec(&dev, xs.clone(), &[xs.len()]).unwrap();
    for (name, got, f) in [
        ("sin", x.sin().unwrap(), f64::sin as fn(f64) -> f64),
        ("cos", x.cos().unwrap(), f64::cos),
    ] {
        for (g, x) in got.to_vec().unwrap().iter().zip(&xs) {
            let exact = f(*x as f64);
            assert!(
                (*g as f64 - exact).abs() <= 2.0 * 2f64.powi(-23),
                "{name}({x}) = {g}, expected {exact}"
            );
        }
    }
    // f64: the vector sine and cosine to 8192, libm beyond.
    // (With FMA the f64 reduction stays accurate far past 8192; it fails from about 2^51 pi,
    // where the multiple of pi no longer fits the integer trick.)
    let huge = (0..3000).map(|i| 1e16 * (1.0 + i as f64 * 0.37) + [0.0, 1e22, 1e300][i % 3]);
    let xs64: Vec<f64> = xs
        .iter()
        .map(|&x| x as f64 * 1.000_000_1)
        .chain(huge)
        .collect();
    let x64 = Array::from_vec(&dev, xs64.clone(), &[xs64.len()]).unwrap();
    for (name, got, f) in [
        ("sin", x64.sin().unwrap(), f64::sin as fn(f64) -> f64),
        ("cos", x64.cos().unwrap(), f64::cos),
    ] {
        for (g, x) in got.to_vec().unwrap().iter().zip(&xs64) {
            let exact = f(*x);
            assert!(
                (g - exact).abs() <= 2.0 * 2f64.powi(-52) * exact.abs().max(0.5),
                "f64 {name}({x}) = {g}, expected {exact}"
            );
        }
    }
    // tan: 4 ulp, relative (it is unbounded near its poles).
    for (g, x) in x.tan().unwrap().to_vec().unwrap().iter().zip(&xs) {
        let exact = (*x as f64).tan();
        assert!(
            (*g as f64 - exact).abs() <= 4.0 * 2f64.powi(-23) * exact.abs(),
            "tan({x}) = {g}, expected {exact}"
        );
    }
}

/// x % y where x is an exact multiple of y (or one ulp off it) is exact in NumPy. On an H100's
/// Vulkan driver the quotient 72.4375 / 18.109375 came out below 4 and the remainder was y.
fn check_exact_remainders<T: Random>(dev: &Device) {
    let mut xs = Vec::new();
    let mut ys = Vec::new();
    for k in 1..=60i32 {
        for y in [18.109375, 0.3, -2.75, 1.0 / 3.0, 7.0, -0.1] {
            let y = T::from_f64(y);
            let x = T::from_f64(y.to_f64() * k as f64);
            xs.push(x);
            ys.push(y);
        }
    }
    let n = xs.len();
    let a = Array::from_vec(dev, xs.clone(), &[n]).unwrap();
    let b = Array::from_vec(dev, ys.clone(), &[n]).unwrap();
    let got = a.rem(&b).unwrap().to_vec().unwrap();
    for ((g, x), y) in got.iter().zip(&xs).zip(&ys) {
        let (x, y) = (x.to_f64(), y.to_f64());
        let m = x % y;
        let want = if m != 0.0 && ((m < 0.0) != (y < 0.0)) {
            m + y
        } else {
            m
        };
        assert_eq!(g.to_f64(), want, "{} {x} % {y} on {dev}", T::DTYPE);
    }
}

#[test]
fn remainders_are_exact() {
    on_every_device(|dev| {
        check_exact_remainders::<f16>(dev);
        check_exact_remainders::<f32>(dev);
        if dev.supports(DType::F64) {
            check_exact_remainders::<f64>(dev);
        }
    });
}

#[test]
fn rounding_signs_and_bits_follow_numpy() {
    on_every_device(|dev| {
        let x = Array::from_vec(dev, vec![0.5f32, 1.5, 2.5, -0.5, -2.5, -0.7, 3.0], &[7]).unwrap();
        let r = x.unary_op(UnaryOp::Round).unwrap().to_vec().unwrap();
        assert_eq!(
            r,
            vec![0.0, 2.0, 2.0, -0.0, -2.0, -1.0, 3.0],
            "half to even on {dev}"
        );
        let f = x.unary_op(UnaryOp::Floor).unwrap().to_vec().unwrap();
        assert_eq!(f, vec![0.0, 1.0, 2.0, -1.0, -3.0, -1.0, 3.0]);
        let s = x.unary_op(UnaryOp::Sign).unwrap().to_vec().unwrap();
        assert_eq!(s, vec![1.0, 1.0, 1.0, -1.0, -1.0, -1.0, 1.0]);
        let i = Array::from_vec(dev, vec![0b1011u32, u32::MAX, 0, 1 << 31], &[4]).unwrap();
        let pc = i.unary_op(UnaryOp::Popcount).unwrap().to_vec().unwrap();
        assert_eq!(pc, vec![3, 32, 0, 1], "popcount on {dev}");
        let sh = Array::from_vec(dev, vec![1u32, 33, 31, 0], &[4]).unwrap();
        let l = i.binary_op(&sh, BinaryOp::Shl).unwrap().to_vec().unwrap();
        assert_eq!(
            l,
            vec![0b10110, u32::MAX << 1, 0, 1 << 31],
            "shift counts mod 32 on {dev}"
        );
        let n = Array::from_vec(dev, vec![-8i32, 8], &[2]).unwrap();
        let one = Array::from_vec(dev, vec![1i32, 1], &[2]).unwrap();
        assert_eq!(
            n.binary_op(&one, BinaryOp::Shr).unwrap().to_vec().unwrap(),
            vec![-4, 4]
        );
        assert_eq!(
            n.unary_op(UnaryOp::Sign).unwrap().to_vec().unwrap(),
            vec![-1, 1]
        );
        assert!(matches!(
            x.unary_op(UnaryOp::Popcount).unwrap_err(),
            Error::DtypeUnsupported { .. }
        ));
    });
}

/// Three-operand broadcasting patterns for where, fma and clip.
const PATTERNS3: &[(&[usize], &[usize], &[usize])] = &[
    (&[4, 5], &[4, 5], &[4, 5]),
    (&[4, 1], &[5], &[]),
    (&[3, 1, 2], &[1, 4, 1], &[2]),
    (&[0, 2], &[2], &[1]),
    (&[70_001], &[70_001], &[1]),
    (&[1], &[9, 1], &[9, 300]),
];

fn broadcast3<T: Clone>(v: &[Vec<T>], shapes: [&[usize]; 3], out: &[usize]) -> Vec<Vec<T>> {
    (0..3)
        .map(|k| {
            ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(shapes[k]), v[k].clone())
                .unwrap()
                .broadcast(out.to_vec())
                .unwrap()
                .iter()
                .cloned()
                .collect()
        })
        .collect()
}

fn check_ternary<T: Random>(dev: &Device, r: &mut rand::rngs::StdRng) {
    let d = T::DTYPE;
    for &(sa, sb, sc) in PATTERNS3 {
        let n = |s: &[usize]| s.iter().product::<usize>();
        let (va, vb, vc) = (
            random_vec::<T>(r, n(sa)),
            random_vec::<T>(r, n(sb)),
            random_vec::<T>(r, n(sc)),
        );
        let mask: Vec<u32> = (0..n(sa)).map(|_| r.random_range(0..3)).collect();
        let (a, b, c) = (
            Array::from_vec(dev, va.clone(), sa).unwrap(),
            Array::from_vec(dev, vb.clone(), sb).unwrap(),
            Array::from_vec(dev, vc.clone(), sc).unwrap(),
        );
        let m = Array::from_vec(dev, mask.clone(), sa).unwrap();
        let w = Array::where_(&m, &b, &c).unwrap();
        let out = w.shape().to_vec();
        let bv = broadcast3(&[va.clone(), vb.clone(), vc.clone()], [sa, sb, sc], &out);
        let bm: Vec<u32> = ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(sa), mask)
            .unwrap()
            .broadcast(out.clone())
            .unwrap()
            .iter()
            .copied()
            .collect();
        for (i, g) in w.to_vec().unwrap().iter().enumerate() {
            let want = if bm[i] != 0 { bv[1][i] } else { bv[2][i] };
            assert_eq!(*g, want, "where {d} {sa:?} {sb:?} {sc:?} on {dev} at {i}");
        }

        let f = a.fma(&b, &c).unwrap();
        assert_eq!(f.shape(), &out[..]);
        for (i, g) in f.to_vec().unwrap().iter().enumerate() {
            let (x, y, z) = (bv[0][i].to_c64(), bv[1][i].to_c64(), bv[2][i].to_c64());
            let want = match d {
                DType::I32 => {
                    let v = (x.0 as i32)
                        .wrapping_mul(y.0 as i32)
                        .wrapping_add(z.0 as i32);
                    (v as f64, 0.0)
                }
                DType::U32 => {
                    let v = (x.0 as u32)
                        .wrapping_mul(y.0 as u32)
                        .wrapping_add(z.0 as u32);
                    (v as f64, 0.0)
                }
                _ => (x.0 * y.0 - x.1 * y.1 + z.0, x.0 * y.1 + x.1 * y.0 + z.1),
            };
            let want = round_to::<T>(want);
            let scale = (x.0.abs() + x.1.abs()) * (y.0.abs() + y.1.abs()) + z.0.abs() + z.1.abs();
            let tol = if d.is_float() {
                tolerance("mul", d, 0.0, scale)
            } else {
                0.0
            };
            assert!(
                close(g.to_c64(), want, tol),
                "fma {d} on {dev}: {x:?}*{y:?}+{z:?} = {g:?}, expected {want:?}"
            );
        }

        if d.is_complex() {
            assert!(matches!(
                a.clip_arrays(&b, &c),
                Err(Error::DtypeUnsupported { .. })
            ));
            continue;
        }
        let cl = a.clip_arrays(&b, &c).unwrap();
        for (i, g) in cl.to_vec().unwrap().iter().enumerate() {
            let (x, lo, hi) = (bv[0][i], bv[1][i], bv[2][i]);
            // minimum(maximum(x, lo), hi), computed in the dtype's own order.
            let mx = if x.to_f64() < lo.to_f64() { lo } else { x };
            let want = if hi.to_f64() < mx.to_f64() { hi } else { mx };
            assert_eq!(*g, want, "clip {d} on {dev}: {x:?} in [{lo:?}, {hi:?}]");
        }
    }
}

fn check_compare<T: Random>(dev: &Device, r: &mut rand::rngs::StdRng) {
    let d = T::DTYPE;
    for (sa, sb) in PATTERNS {
        let (na, nb) = (sa.iter().product(), sb.iter().product());
        let va = random_vec::<T>(r, na);
        // Half the right-hand values equal a left-hand one, so == and <= are exercised.
        let vb: Vec<T> = (0..nb)
            .map(|i| {
                if na > 0 && r.random_bool(0.5) {
                    va[i % na]
                } else {
                    T::random(r)
                }
            })
            .collect();
        let a = Array::from_vec(dev, va.clone(), sa).unwrap();
        let b = Array::from_vec(dev, vb.clone(), sb).unwrap();
        for op in CompareOp::ALL {
            if !op.supports(d) {
                assert!(a.compare(&b, op).is_err());
                continue;
            }
            let got = a.compare(&b, op).unwrap();
            let shape = got.shape().to_vec();
            let ha = ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(sa), va.clone()).unwrap();
            let hb = ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(sb), vb.clone()).unwrap();
            let (ba, bb) = (
                ha.broadcast(shape.clone()).unwrap(),
                hb.broadcast(shape.clone()).unwrap(),
            );
            for ((g, x), y) in got.to_vec().unwrap().iter().zip(ba.iter()).zip(bb.iter()) {
                let (xv, yv) = (x.to_c64(), y.to_c64());
                let want = if d.is_complex() {
                    let eq = xv == yv;
                    if op == CompareOp::Eq { eq } else { !eq }
                } else {
                    op.eval(xv.0, yv.0)
                };
                assert_eq!(
                    *g,
                    want as u32,
                    "{} {d} on {dev}: {x:?} vs {y:?}",
                    op.name()
                );
            }
        }
    }
}

/// `Array::cast`'s rules on the host, in f64 / i64.
fn ref_cast<U: Element>(x: (f64, f64), from: DType) -> Option<U> {
    let to = U::DTYPE;
    Some(match (from.is_float(), to) {
        // i32 <-> u32: the bits; from_f64 wraps in-range integers the same way.
        (false, DType::I32 | DType::U32) => U::from_f64(x.0),
        (true, DType::I32) => U::from_f64((x.0 as i32) as f64),
        (true, DType::U32) => U::from_f64((x.0 as u32) as f64),
        // Out-of-range integers to f16 are left to the device.
        (false, DType::F16) if x.0.abs() > 65504.0 => return None,
        (_, DType::C32 | DType::C64) => {
            let v = if to == DType::C32 {
                bytemuck::cast::<Complex32, [u8; 8]>(Complex32::new(x.0 as f32, x.1 as f32))
                    .to_vec()
            } else {
                bytemuck::cast::<Complex64, [u8; 16]>(Complex64::new(x.0, x.1)).to_vec()
            };
            bytemuck::pod_read_unaligned(&v)
        }
        _ => U::from_f64(x.0),
    })
}

fn check_cast<T: Random, U: Random>(dev: &Device, r: &mut rand::rngs::StdRng) {
    if !dev.supports(U::DTYPE) {
        return;
    }
    let mut v = random_vec::<T>(r, 1000);
    if T::DTYPE.is_float() {
        v[0] = T::from_f64(f64::NAN);
    }
    let x = Array::from_vec(dev, v.clone(), &[10, 100]).unwrap();
    let got = x.cast::<U>().unwrap();
    assert_eq!(got.shape(), &[10, 100]);
    for (g, x) in got.to_vec().unwrap().iter().zip(&v) {
        let xv = x.to_c64();
        if xv.0.is_nan() {
            let gv = g.to_c64();
            let ok = if U::DTYPE.is_float() {
                gv.0.is_nan()
            } else {
                gv.0 == 0.0
            };
            assert!(
                ok,
                "cast {} -> {} on {dev}: NaN gave {g:?}",
                T::DTYPE,
                U::DTYPE
            );
            continue;
        }
        if let Some(want) = ref_cast::<U>(xv, T::DTYPE) {
            assert_eq!(
                *g,
                want,
                "cast {} -> {} on {dev}: {x:?}",
                T::DTYPE,
                U::DTYPE
            );
        }
    }
}

fn check_parts<T: Random>(dev: &Device, r: &mut rand::rngs::StdRng) {
    let d = T::DTYPE;
    let v = random_vec::<T>(r, 3001);
    let x = Array::from_vec(dev, v.clone(), &[3001]).unwrap();
    let real = x.real().unwrap().to_vec().unwrap();
    let imag = x.imag().unwrap().to_vec().unwrap();
    let conj = x.conj().unwrap().to_vec().unwrap();
    let abs = x.abs().unwrap().to_vec().unwrap();
    let arg = match x.arg() {
        Ok(a) => Some(a.to_vec().unwrap()),
        Err(Error::DtypeUnsupported { .. }) if dev.kind() == DeviceKind::Wgpu && d.needs_f64() => {
            None
        }
        Err(_) if !d.is_float() => None,
        Err(e) => panic!("arg {d} on {dev}: {e}"),
    };
    for (i, x) in v.iter().enumerate() {
        let (re, im) = x.to_c64();
        assert_eq!(real[i].to_f64(), re, "real {d} on {dev}");
        assert_eq!(imag[i].to_f64(), im, "imag {d} on {dev}");
        assert_eq!(conj[i].to_c64(), (re, -im), "conj {d} on {dev}");
        let m = re.hypot(im);
        // Integers: |x| wraps (|i32::MIN| == i32::MIN); u32 is its own magnitude.
        let want_abs = match d {
            DType::I32 => (re as i32).wrapping_abs() as f64,
            DType::U32 => re,
            _ => m,
        };
        let tol = if d.is_complex() {
            tolerance("hypot", d, 0.0, m)
        } else {
            0.0
        };
        assert!(
            (abs[i].to_f64() - round_to::<T::Real>((want_abs, 0.0)).0).abs() <= tol,
            "abs {d} on {dev}: {x:?} gave {:?}",
            abs[i]
        );
        if let Some(arg) = &arg {
            let want = im.atan2(re);
            let tol = tolerance("atan2", d.real(), 0.0, want.abs().max(1e-30));
            assert!(
                (arg[i].to_f64() - want).abs() <= tol,
                "arg {d} on {dev}: {x:?} gave {:?}, expected {want}",
                arg[i]
            );
        }
    }
}

#[test]
fn compare_where_fma_clip_cast_and_complex_parts_match_the_reference() {
    let mut r = rng();
    on_every_device(|dev| {
        for_each_dtype!(T => {
            if dev.supports(T::DTYPE) {
                check_compare::<T>(dev, &mut r);
                check_ternary::<T>(dev, &mut r);
                check_parts::<T>(dev, &mut r);
                for_each_dtype!(U => { check_cast::<T, U>(dev, &mut r); });
            }
        });
    });
}

#[test]
fn comparisons_with_nan_are_false_except_ne() {
    on_every_device(|dev| {
        let a = Array::from_vec(dev, vec![f32::NAN, 1.0, f32::NAN], &[3]).unwrap();
        let b = Array::from_vec(dev, vec![1.0f32, f32::NAN, f32::NAN], &[3]).unwrap();
        for op in CompareOp::ALL {
            let m = a.compare(&b, op).unwrap().to_vec().unwrap();
            let want = (op == CompareOp::Ne) as u32;
            assert_eq!(m, vec![want; 3], "{} on {dev}", op.name());
        }
        let c = a.clip(0.0, 0.5).unwrap().to_vec().unwrap();
        assert!(c[0].is_nan() && c[1] == 0.5);
        let i = Array::from_vec(dev, vec![7i32, -7, 7, -7, 5], &[5]).unwrap();
        let j = Array::from_vec(dev, vec![3i32, 3, -3, -3, 0], &[5]).unwrap();
        assert_eq!((&i % &j).unwrap().to_vec().unwrap(), vec![1, 2, -2, -1, 0]);
        let f = Array::from_vec(dev, vec![7.5f32, -7.5], &[2]).unwrap();
        assert_eq!((&f % 2.0).unwrap().to_vec().unwrap(), vec![1.5, 0.5]);
    });
}

/// An f32 fma keeps the product's low bits on every device: (1 + 2^-12)^2 - (1 + 2^-11) is
/// 2^-24, and 0 where the product is rounded first. A Vulkan driver whose own `fma` rounds
/// twice (lavapipe) gets it through f64 where the device has f64.
#[test]
fn f32_fma_keeps_the_products_low_bits_on_every_device() {
    let p = |k: i32| 2f32.powi(k);
    let (a, c) = (1.0 + p(-12), -(1.0 + p(-11)));
    assert_eq!(a.mul_add(a, c), p(-24));
    on_every_device(|dev| {
        let wgpu_without_f64 = dev.info().backend != "cpu"
            && dev.info().backend != "cuda"
            && !dev.supports(DType::F64);
        if wgpu_without_f64 {
            return;
        }
        let x = Array::from_vec(dev, vec![a, 1.0], &[2]).unwrap();
        let z = Array::from_vec(dev, vec![c, 2.0], &[2]).unwrap();
        let got = x.fma(&x, &z).unwrap().to_vec().unwrap();
        assert_eq!(got, vec![p(-24), 3.0], "on {dev}");
    });
}
