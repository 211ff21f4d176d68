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
/// `x / 0 == 0` for integers, NaN-propagating min/max for floats, f16 computed in f32.
pub(crate) trait CpuMath: Element {
    fn add(self, o: Self) -> Self;
    fn sub(self, o: Self) -> Self;
    fn mul(self, o: Self) -> Self;
    fn div(self, o: Self) -> Self;
    fn min(self, o: Self) -> Self;
    fn max(self, o: Self) -> Self;
    fn neg(self) -> Self;
    fn abs(self) -> Self;
    /// The real-float functions (sqrt, exp, log, sin, cos, tanh); the op layer never sends
    /// other dtypes here. Inlined with `op` constant, so each loop calls one function.
    fn math(self, op: UnaryOp) -> Self;
}

macro_rules! float_math {
    ($t:ty, $exp:expr, $sin:expr) => {
        impl CpuMath for $t {
            fn add(self, o: Self) -> Self {
                self + o
            }
            fn sub(self, o: Self) -> Self {
                self - o
            }
            fn mul(self, o: Self) -> Self {
                self * o
            }
            fn div(self, o: Self) -> Self {
                self / o
            }
            fn min(self, o: Self) -> Self {
                if self.is_nan() || o.is_nan() {
                    <$t>::NAN
                } else {
                    <$t>::min(self, o)
                }
            }
            fn max(self, o: Self) -> Self {
                if self.is_nan() || o.is_nan() {
                    <$t>::NAN
                } else {
                    <$t>::max(self, o)
                }
            }
            fn neg(self) -> Self {
                -self
            }
            fn abs(self) -> Self {
                <$t>::abs(self)
            }
            #[inline(always)]
            fn math(self, op: UnaryOp) -> Self {
                match op {
                    UnaryOp::Sqrt => self.sqrt(),
                    UnaryOp::Exp => $exp(self),
                    UnaryOp::Log => self.ln(),
                    UnaryOp::Sin => $sin(self),
                    UnaryOp::Cos => self.cos(),
                    UnaryOp::Tanh => self.tanh(),
                    _ => self,
                }
            }
        }
    };
}
// f32 exp and sin are branch-free polynomials that vectorise; the rest is libm.
float_math!(f32, vmath::exp_f32, vmath::sin_f32);
float_math!(f64, f64::exp, f64::sin);

impl CpuMath for f16 {
    fn add(self, o: Self) -> Self {
        f16::from_f32(self.to_f32() + o.to_f32())
    }
    fn sub(self, o: Self) -> Self {
        f16::from_f32(self.to_f32() - o.to_f32())
    }
    fn mul(self, o: Self) -> Self {
        f16::from_f32(self.to_f32() * o.to_f32())
    }
    fn div(self, o: Self) -> Self {
        f16::from_f32(self.to_f32() / o.to_f32())
    }
    fn min(self, o: Self) -> Self {
        f16::from_f32(CpuMath::min(self.to_f32(), o.to_f32()))
    }
    fn max(self, o: Self) -> Self {
        f16::from_f32(CpuMath::max(self.to_f32(), o.to_f32()))
    }
    fn neg(self) -> Self {
        -self
    }
    fn abs(self) -> Self {
        f16::from_bits(self.to_bits() & 0x7fff)
    }
    #[inline(always)]
    fn math(self, op: UnaryOp) -> Self {
        f16::from_f32(self.to_f32().math(op))
    }
}

macro_rules! int_math {
    ($t:ty) => {
        impl CpuMath for $t {
            fn add(self, o: Self) -> Self {
                self.wrapping_add(o)
            }
            fn sub(self, o: Self) -> Self {
                self.wrapping_sub(o)
            }
            fn mul(self, o: Self) -> Self {
                self.wrapping_mul(o)
            }
            fn div(self, o: Self) -> Self {
                if o == 0 { 0 } else { self.wrapping_div(o) }
            }
            fn min(self, o: Self) -> Self {
                Ord::min(self, o)
            }
            fn max(self, o: Self) -> Self {
                Ord::max(self, o)
            }
            fn neg(self) -> Self {
                self.wrapping_neg()
            }
            fn abs(self) -> Self {
                int_abs(self)
            }
            fn math(self, _op: UnaryOp) -> Self {
                self
            }
        }
    };
}
int_math!(i32);
int_math!(u32);

trait IntAbs {
    fn int_abs(self) -> Self;
}
impl IntAbs for i32 {
    fn int_abs(self) -> Self {
        self.wrapping_abs()
    }
}
impl IntAbs for u32 {
    fn int_abs(self) -> Self {
        self
    }
}
fn int_abs<T: IntAbs>(x: T) -> T {
    x.int_abs()
}

macro_rules! complex_math {
    ($t:ty) => {
        impl CpuMath for Complex<$t> {
            fn add(self, o: Self) -> Self {
                self + o
            }
            fn sub(self, o: Self) -> Self {
                self - o
            }
            fn mul(self, o: Self) -> Self {
                self * o
            }
            fn div(self, o: Self) -> Self {
                // The textbook formula, as the GPU kernels compute it.
                let d = o.re * o.re + o.im * o.im;
                Complex::new(
                    (self.re * o.re + self.im * o.im) / d,
                    (self.im * o.re - self.re * o.im) / d,
                )
            }
            fn min(self, _o: Self) -> Self {
                self
            }
            fn max(self, _o: Self) -> Self {
                self
            }
            fn neg(self) -> Self {
                -self
            }
            fn abs(self) -> Self {
                self
            }
            fn math(self, _op: UnaryOp) -> Self {
                self
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
    match op {
        ElementwiseOp::Binary(b) => {
            let (x, y) = (ins[0], ins[1]);
            match b {
                BinaryOp::Add => map2(out, x, y, l, |a: T, b: T| a.add(b)),
                BinaryOp::Sub => map2(out, x, y, l, |a: T, b: T| a.sub(b)),
                BinaryOp::Mul => map2(out, x, y, l, |a: T, b: T| a.mul(b)),
                BinaryOp::Div => map2(out, x, y, l, |a: T, b: T| a.div(b)),
                BinaryOp::Minimum => map2(out, x, y, l, |a: T, b: T| a.min(b)),
                BinaryOp::Maximum => map2(out, x, y, l, |a: T, b: T| a.max(b)),
            }
        }
        ElementwiseOp::Unary(u) => {
            let x = ins[0];
            match u {
                UnaryOp::Neg => map1(out, x, l, |a: T| a.neg()),
                UnaryOp::Abs => map1(out, x, l, |a: T| a.abs()),
                UnaryOp::Square => map1(out, x, l, |a: T| a.mul(a)),
                UnaryOp::Sqrt => map1(out, x, l, |a: T| a.math(UnaryOp::Sqrt)),
                UnaryOp::Exp => map1(out, x, l, |a: T| a.math(UnaryOp::Exp)),
                UnaryOp::Log => map1(out, x, l, |a: T| a.math(UnaryOp::Log)),
                UnaryOp::Sin => {
                    map1(out, x, l, |a: T| a.math(UnaryOp::Sin));
                    if matches!(T::DTYPE, DType::F32 | DType::F16) {
                        patch_large_sin(out, x);
                    }
                }
                UnaryOp::Cos => map1(out, x, l, |a: T| a.math(UnaryOp::Cos)),
                UnaryOp::Tanh => map1(out, x, l, |a: T| a.math(UnaryOp::Tanh)),
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
