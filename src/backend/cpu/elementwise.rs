//! CPU kernels of the `elementwise` family: one monomorphised loop per op and dtype (so the
//! compiler vectorises the contiguous case inside the AVX2 multiversion), parallel over chunks.

use half::f16;
use num_complex::Complex;
use rayon::prelude::*;

use super::simd::multiversion;
use super::vmath;
use crate::backend::{ElementwiseOp, Layout};
use crate::element::{DType, Element};
use crate::ops::elementwise::{BinaryOp, UnaryOp};

/// Output elements per parallel task.
const CHUNK: usize = 1 << 15;

/// Elementwise arithmetic with streamcore's semantics for each dtype: wrapping integers,
/// `x / 0 == 0` and shift counts mod 32 for integers, NaN-propagating min/max for floats, f16
/// computed in f32. Both methods are inlined with `op` constant, so each loop is one function.
/// Ops a dtype does not have (the op layer refuses them) return `self`.
pub(crate) trait CpuMath: Element {
    fn binary(self, o: Self, op: BinaryOp) -> Self;
    fn unary(self, op: UnaryOp) -> Self;
}

macro_rules! float_math {
    ($t:ty, $exp:expr, $sin:expr) => {
        impl CpuMath for $t {
            #[inline(always)]
            fn binary(self, o: Self, op: BinaryOp) -> Self {
                match op {
                    BinaryOp::Add => self + o,
                    BinaryOp::Sub => self - o,
                    BinaryOp::Mul => self * o,
                    BinaryOp::Div => self / o,
                    BinaryOp::Minimum if self.is_nan() || o.is_nan() => <$t>::NAN,
                    BinaryOp::Maximum if self.is_nan() || o.is_nan() => <$t>::NAN,
                    BinaryOp::Minimum => <$t>::min(self, o),
                    BinaryOp::Maximum => <$t>::max(self, o),
                    BinaryOp::Pow => self.powf(o),
                    BinaryOp::Atan2 => self.atan2(o),
                    BinaryOp::Hypot => self.hypot(o),
                    _ => self,
                }
            }
            #[inline(always)]
            fn unary(self, op: UnaryOp) -> Self {
                match op {
                    UnaryOp::Neg => -self,
                    UnaryOp::Abs => self.abs(),
                    UnaryOp::Square => self * self,
                    UnaryOp::Sqrt => self.sqrt(),
                    UnaryOp::Exp => $exp(self),
                    UnaryOp::Log => self.ln(),
                    UnaryOp::Sin => $sin(self),
                    UnaryOp::Cos => self.cos(),
                    UnaryOp::Tanh => self.tanh(),
                    UnaryOp::Exp2 => self.exp2(),
                    UnaryOp::Log2 => self.log2(),
                    UnaryOp::Tan => self.tan(),
                    UnaryOp::Sigmoid => 1.0 / (1.0 + $exp(-self)),
                    UnaryOp::Floor => self.floor(),
                    UnaryOp::Ceil => self.ceil(),
                    UnaryOp::Round => self.round_ties_even(),
                    UnaryOp::Trunc => self.trunc(),
                    UnaryOp::Sign if self > 0.0 => 1.0,
                    UnaryOp::Sign if self < 0.0 => -1.0,
                    UnaryOp::Sign => self * 0.0, // 0, -0 or NaN as given
                    UnaryOp::Recip => 1.0 / self,
                    UnaryOp::Rsqrt => 1.0 / self.sqrt(),
                    UnaryOp::Not | UnaryOp::Popcount => self,
                }
            }
        }
    };
}
// f32 exp and sin are branch-free polynomials that vectorise; the rest is libm.
float_math!(f32, vmath::exp_f32, vmath::sin_f32);
float_math!(f64, f64::exp, f64::sin);

impl CpuMath for f16 {
    #[inline(always)]
    fn binary(self, o: Self, op: BinaryOp) -> Self {
        f16::from_f32(self.to_f32().binary(o.to_f32(), op))
    }
    #[inline(always)]
    fn unary(self, op: UnaryOp) -> Self {
        f16::from_f32(self.to_f32().unary(op))
    }
}

macro_rules! int_math {
    ($t:ty, $abs:expr, $sign:expr) => {
        impl CpuMath for $t {
            #[inline(always)]
            fn binary(self, o: Self, op: BinaryOp) -> Self {
                match op {
                    BinaryOp::Add => self.wrapping_add(o),
                    BinaryOp::Sub => self.wrapping_sub(o),
                    BinaryOp::Mul => self.wrapping_mul(o),
                    BinaryOp::Div if o == 0 => 0,
                    BinaryOp::Div => self.wrapping_div(o),
                    BinaryOp::Minimum => Ord::min(self, o),
                    BinaryOp::Maximum => Ord::max(self, o),
                    BinaryOp::BitAnd => self & o,
                    BinaryOp::BitOr => self | o,
                    BinaryOp::BitXor => self ^ o,
                    BinaryOp::Shl => self.wrapping_shl(o as u32),
                    BinaryOp::Shr => self.wrapping_shr(o as u32),
                    _ => self,
                }
            }
            #[inline(always)]
            fn unary(self, op: UnaryOp) -> Self {
                match op {
                    UnaryOp::Neg => self.wrapping_neg(),
                    UnaryOp::Abs => $abs(self),
                    UnaryOp::Square => self.wrapping_mul(self),
                    UnaryOp::Sign => $sign(self),
                    UnaryOp::Not => !self,
                    UnaryOp::Popcount => self.count_ones() as $t,
                    _ => self,
                }
            }
        }
    };
}
int_math!(i32, i32::wrapping_abs, i32::signum);
int_math!(u32, |x: u32| x, |x: u32| (x != 0) as u32);

macro_rules! complex_math {
    ($t:ty) => {
        impl CpuMath for Complex<$t> {
            #[inline(always)]
            fn binary(self, o: Self, op: BinaryOp) -> Self {
                match op {
                    BinaryOp::Add => self + o,
                    BinaryOp::Sub => self - o,
                    BinaryOp::Mul => self * o,
                    BinaryOp::Div => {
                        // The textbook formula, as the GPU kernels compute it.
                        let d = o.re * o.re + o.im * o.im;
                        Complex::new(
                            (self.re * o.re + self.im * o.im) / d,
                            (self.im * o.re - self.re * o.im) / d,
                        )
                    }
                    _ => self,
                }
            }
            #[inline(always)]
            fn unary(self, op: UnaryOp) -> Self {
                match op {
                    UnaryOp::Neg => -self,
                    UnaryOp::Square => self * self,
                    _ => self,
                }
            }
        }
    };
}
complex_math!(f32);
complex_math!(f64);

/// Runs `op` for dtype `d` over byte views of the operands.
pub(crate) fn run(op: ElementwiseOp, d: DType, inputs: &[&[u8]], out: &mut [u8], l: &Layout) {
    macro_rules! go {
        ($t:ty) => {{
            let ins: Vec<&[$t]> = inputs.iter().map(|b| bytemuck::cast_slice(b)).collect();
            typed::<$t>(op, &ins, bytemuck::cast_slice_mut(out), l)
        }};
    }
    match d {
        DType::F16 => go!(f16),
        DType::F32 => go!(f32),
        DType::F64 => go!(f64),
        DType::I32 => go!(i32),
        DType::U32 => go!(u32),
        DType::C32 => go!(Complex<f32>),
        DType::C64 => go!(Complex<f64>),
    }
}

fn typed<T: CpuMath>(op: ElementwiseOp, ins: &[&[T]], out: &mut [T], l: &Layout) {
    let out = &mut out[..l.len];
    // One loop per op, with the op a constant inside it (so it inlines and vectorises).
    macro_rules! binary {
        ($b:expr, $($v:ident),*) => {
            match $b {
                $(BinaryOp::$v => map2(out, ins[0], ins[1], l, |a: T, b: T| a.binary(b, BinaryOp::$v)),)*
            }
        };
    }
    macro_rules! unary {
        ($u:expr, $($v:ident),*) => {
            match $u {
                $(UnaryOp::$v => map1(out, ins[0], l, |a: T| a.unary(UnaryOp::$v)),)*
            }
        };
    }
    match op {
        ElementwiseOp::Binary(b) => binary!(
            b, Add, Sub, Mul, Div, Minimum, Maximum, Pow, Atan2, Hypot, BitAnd, BitOr, BitXor, Shl,
            Shr
        ),
        ElementwiseOp::Unary(u) => {
            unary!(
                u, Neg, Abs, Square, Sqrt, Exp, Log, Sin, Cos, Tanh, Exp2, Log2, Tan, Sigmoid,
                Floor, Ceil, Round, Trunc, Sign, Recip, Rsqrt, Not, Popcount
            );
            if u == UnaryOp::Sin && matches!(T::DTYPE, DType::F32 | DType::F16) {
                patch_large_sin(out, ins[0]);
            }
        }
    }
}

multiversion! {
    fn zip2<F: Fn2>(out: &mut [F::T], a: &[F::T], b: &[F::T], f: &F) {
        for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
            *o = f.call(x, y);
        }
    }
}

multiversion! {
    fn zip1<F: Fn1>(out: &mut [F::T], a: &[F::T], f: &F) {
        for (o, &x) in out.iter_mut().zip(a) {
            *o = f.call(x);
        }
    }
}

/// A binary function object with a fixed element type (lets `multiversion!` stay generic
/// over one parameter).
pub(crate) trait Fn2: Sync {
    type T: Element;
    fn call(&self, a: Self::T, b: Self::T) -> Self::T;
}
/// A unary function object with a fixed element type.
pub(crate) trait Fn1: Sync {
    type T: Element;
    fn call(&self, a: Self::T) -> Self::T;
}
struct F2<T, F>(F, std::marker::PhantomData<T>);
impl<T: Element, F: Fn(T, T) -> T + Sync> Fn2 for F2<T, F> {
    type T = T;
    #[inline(always)]
    fn call(&self, a: T, b: T) -> T {
        (self.0)(a, b)
    }
}
struct F1<T, F>(F, std::marker::PhantomData<T>);
impl<T: Element, F: Fn(T) -> T + Sync> Fn1 for F1<T, F> {
    type T = T;
    #[inline(always)]
    fn call(&self, a: T) -> T {
        (self.0)(a)
    }
}

/// Recomputes with libm the sines of the rare inputs beyond the vector kernel's range, chunk
/// by chunk in parallel (each chunk is still in cache from the vector pass).
fn patch_large_sin<T: CpuMath>(out: &mut [T], a: &[T]) {
    let fix = |(c, o): (usize, &mut [T])| {
        let start = c * CHUNK;
        let src = &a[start..start + o.len()];
        if T::DTYPE == DType::F32 {
            // Usually nothing to patch: find out with a vectorised max first.
            let xs: &[f32] = bytemuck::cast_slice(src);
            if xs.iter().fold(0f32, |m, x| m.max(x.abs())) <= vmath::SIN_MAX_ARG {
                return;
            }
        }
        for (o, &x) in o.iter_mut().zip(src) {
            if x.to_f64().abs() > vmath::SIN_MAX_ARG as f64 {
                *o = T::from_f64(x.to_f64().sin());
            }
        }
    };
    out.par_chunks_mut(CHUNK).enumerate().for_each(fix);
}

/// The offset of output element `g` in an input with `strides` over `shape`.
fn offset(g: usize, shape: &[usize], strides: &[usize]) -> usize {
    let mut rem = g;
    let mut off = 0;
    for d in (0..shape.len()).rev() {
        off += (rem % shape[d]) * strides[d];
        rem /= shape[d];
    }
    off
}

/// Fills `out[start..start + out.len()]` row by row along the layout's last axis.
fn rows<T: Copy>(
    out: &mut [T],
    start: usize,
    l: &Layout,
    mut row: impl FnMut(&mut [T], &[usize], usize),
) {
    let last = l.shape.last().copied().unwrap_or(1);
    let mut g = start;
    let mut k = 0;
    while k < out.len() {
        let inner = g % last;
        let n = (last - inner).min(out.len() - k);
        let offs: Vec<usize> = l.strides.iter().map(|s| offset(g, &l.shape, s)).collect();
        row(&mut out[k..k + n], &offs, n);
        g += n;
        k += n;
    }
}

fn map2<T: CpuMath>(out: &mut [T], a: &[T], b: &[T], l: &Layout, f: impl Fn(T, T) -> T + Sync) {
    let f = F2(f, std::marker::PhantomData);
    let (ca, cb) = (l.contiguous[0], l.contiguous[1]);
    let last = |s: &Vec<usize>| s.last().copied().unwrap_or(0);
    let (sa, sb) = (last(&l.strides[0]), last(&l.strides[1]));
    let work = |(c, o): (usize, &mut [T])| {
        let start = c * CHUNK;
        if ca && cb {
            return zip2(
                o,
                &a[start..start + o.len()],
                &b[start..start + o.len()],
                &f,
            );
        }
        rows(o, start, l, |o, offs, n| match (sa, sb) {
            (1, 1) => zip2(o, &a[offs[0]..offs[0] + n], &b[offs[1]..offs[1] + n], &f),
            (1, 0) => {
                let y = b[offs[1]];
                for (o, &x) in o.iter_mut().zip(&a[offs[0]..offs[0] + n]) {
                    *o = f.call(x, y);
                }
            }
            (0, 1) => {
                let x = a[offs[0]];
                for (o, &y) in o.iter_mut().zip(&b[offs[1]..offs[1] + n]) {
                    *o = f.call(x, y);
                }
            }
            _ => {
                for (j, o) in o.iter_mut().enumerate() {
                    *o = f.call(a[offs[0] + j * sa], b[offs[1] + j * sb]);
                }
            }
        });
    };
    if out.len() <= CHUNK {
        work((0, out));
    } else {
        out.par_chunks_mut(CHUNK).enumerate().for_each(work);
    }
}

fn map1<T: CpuMath>(out: &mut [T], a: &[T], l: &Layout, f: impl Fn(T) -> T + Sync) {
    let f = F1(f, std::marker::PhantomData);
    // A unary op's input always has the output's shape.
    let work = |(c, o): (usize, &mut [T])| {
        let start = c * CHUNK;
        zip1(o, &a[start..start + o.len()], &f);
    };
    debug_assert!(l.contiguous[0]);
    if out.len() <= CHUNK {
        work((0, out));
    } else {
        out.par_chunks_mut(CHUNK).enumerate().for_each(work);
    }
}
