//! CPU side of the `reduce` family over `[outer, k, inner]` views: rows (inner == 1) are
//! reduced pairwise with eight independent lanes per leaf (vectorised), in parallel by halves;
//! columns (inner > 1) are accumulated across the contiguous inner axis. f16 and f32 sums and
//! products accumulate in f64, complex ones in `Complex<f64>`; integers wrap.

use half::f16;
use num_complex::Complex;
use rayon::prelude::*;

use super::elementwise::{Body, CpuMath, exec};
use crate::element::DType;
use crate::ops::elementwise::BinaryOp;
use crate::ops::reduce::ReduceOp;

/// Elements reduced serially (in 8 lanes) before halves are combined.
const LEAF: usize = 1024;
/// Rows at least this long are split across threads.
const PAR_MIN: usize = 1 << 17;

/// An element type's accumulator for sums and products.
pub(crate) trait Red: CpuMath {
    type A: Copy + Send + Sync;
    const ZERO: Self::A;
    const ONE: Self::A;
    fn lift(self) -> Self::A;
    fn lower(a: Self::A) -> Self;
    fn add(a: Self::A, b: Self::A) -> Self::A;
    fn mul(a: Self::A, b: Self::A) -> Self::A;
    /// NaN test (false for integers).
    fn nan(self) -> bool;
    /// `self < o` in the type's order (floats: IEEE, NaN handled by the caller).
    fn less(self, o: Self) -> bool;
}

macro_rules! red_float {
    ($t:ty, $lift:expr, $lower:expr) => {
        impl Red for $t {
            type A = f64;
            const ZERO: f64 = 0.0;
            const ONE: f64 = 1.0;
            #[inline(always)]
            fn lift(self) -> f64 {
                $lift(self)
            }
            #[inline(always)]
            fn lower(a: f64) -> Self {
                $lower(a)
            }
            #[inline(always)]
            fn add(a: f64, b: f64) -> f64 {
                a + b
            }
            #[inline(always)]
            fn mul(a: f64, b: f64) -> f64 {
                a * b
            }
            #[inline(always)]
            fn nan(self) -> bool {
                self.is_nan()
            }
            #[inline(always)]
            fn less(self, o: Self) -> bool {
                self < o
            }
        }
    };
}
red_float!(f16, |x: f16| x.to_f64(), f16::from_f64);
red_float!(f32, |x: f32| x as f64, |a: f64| a as f32);
red_float!(f64, |x: f64| x, |a: f64| a);

macro_rules! red_int {
    ($t:ty) => {
        impl Red for $t {
            type A = $t;
            const ZERO: $t = 0;
            const ONE: $t = 1;
            #[inline(always)]
            fn lift(self) -> $t {
                self
            }
            #[inline(always)]
            fn lower(a: $t) -> Self {
                a
            }
            #[inline(always)]
            fn add(a: $t, b: $t) -> $t {
                a.wrapping_add(b)
            }
            #[inline(always)]
            fn mul(a: $t, b: $t) -> $t {
                a.wrapping_mul(b)
            }
            #[inline(always)]
            fn nan(self) -> bool {
                false
            }
            #[inline(always)]
            fn less(self, o: Self) -> bool {
                self < o
            }
        }
    };
}
red_int!(i32);
red_int!(u32);

macro_rules! red_complex {
    ($t:ty) => {
        impl Red for Complex<$t> {
            type A = Complex<f64>;
            const ZERO: Complex<f64> = Complex::new(0.0, 0.0);
            const ONE: Complex<f64> = Complex::new(1.0, 0.0);
            #[inline(always)]
            fn lift(self) -> Complex<f64> {
                Complex::new(self.re as f64, self.im as f64)
            }
            #[inline(always)]
            fn lower(a: Complex<f64>) -> Self {
                Complex::new(a.re as $t, a.im as $t)
            }
            #[inline(always)]
            fn add(a: Complex<f64>, b: Complex<f64>) -> Complex<f64> {
                a + b
            }
            #[inline(always)]
            fn mul(a: Complex<f64>, b: Complex<f64>) -> Complex<f64> {
                a * b
            }
            #[inline(always)]
            fn nan(self) -> bool {
                self.re.is_nan() || self.im.is_nan()
            }
            #[inline(always)]
            fn less(self, _: Self) -> bool {
                false
            }
        }
    };
}
red_complex!(f32);
red_complex!(f64);

/// Whether [`run`] may cut `op` over `dims` into several tasks. Where it says no, `run`
/// makes no rayon call (so it may run on the caller's thread): a reduction to one value
/// below PAR_MIN elements, and an arg reduction to at most OUTPUTS_PER_TASK values (one
/// task of [`per_output`]) unless it is one row of PAR_MIN or more.
pub(crate) fn splits(op: ReduceOp, [outer, k, inner]: [usize; 3]) -> bool {
    let n = outer * inner;
    if op.is_arg() {
        n > OUTPUTS_PER_TASK || (n == 1 && k >= PAR_MIN)
    } else {
        n > 1 || k >= PAR_MIN
    }
}

/// Reduces `src` (`[outer, k, inner]` of `d`) into `out`.
pub(crate) fn run(op: ReduceOp, d: DType, src: &[u8], dims: [usize; 3], out: &mut [u8]) {
    macro_rules! go {
        ($t:ty) => {
            typed::<$t>(op, bytemuck::cast_slice(src), dims, out)
        };
    }
    with_dtype!(d, go)
}

fn typed<T: Red>(op: ReduceOp, x: &[T], [outer, k, inner]: [usize; 3], out: &mut [u8]) {
    let n = outer * inner;
    if op.is_arg() {
        let out: &mut [u32] = &mut bytemuck::cast_slice_mut(out)[..n];
        let min = op == ReduceOp::ArgMin;
        if n == 1 && k >= PAR_MIN {
            // One long row: first extremes of chunks in parallel, then the first of those.
            const PART: usize = 1 << 16;
            let parts: Vec<(T, u32)> = (0..k.div_ceil(PART))
                .into_par_iter()
                .map(|p| {
                    let len = PART.min(k - p * PART);
                    let (v, i) = arg_range(x, p * PART * inner, len, inner, min);
                    (v, i + (p * PART) as u32)
                })
                .collect();
            let mut best = parts[0];
            for &(v, i) in &parts[1..] {
                if best.0.nan() {
                    break;
                }
                let better = v.nan() || if min { v.less(best.0) } else { best.0.less(v) };
                if better {
                    best = (v, i);
                }
            }
            out[0] = best.1;
            return;
        }
        return per_output(out, inner, |o, i| {
            arg_range(x, o * k * inner + i, k, inner, min).1
        });
    }
    let out: &mut [T] = &mut bytemuck::cast_slice_mut(out)[..n];
    if inner == 1 {
        let row = |o: usize| &x[o * k..(o + 1) * k];
        let f = |o: usize| match op {
            ReduceOp::Sum => T::lower(pairwise(row(o), T::ZERO, T::lift, T::add)),
            ReduceOp::Prod => T::lower(pairwise(row(o), T::ONE, T::lift, T::mul)),
            ReduceOp::Min => pairwise(
                row(o),
                row(o)[0],
                |v| v,
                |a, b| a.binary(b, BinaryOp::Minimum),
            ),
            _ => pairwise(
                row(o),
                row(o)[0],
                |v| v,
                |a, b| a.binary(b, BinaryOp::Maximum),
            ),
        };
        if outer == 1 {
            out[0] = f(0);
        } else {
            out.par_iter_mut()
                .with_min_len((PAR_MIN / k).max(1))
                .enumerate()
                .for_each(|(o, v)| *v = f(o));
        }
        return;
    }
    // Columns: accumulate whole rows of `inner` values into a block of accumulators.
    const BLOCK: usize = 512;
    let blocks = inner.div_ceil(BLOCK);
    out.par_chunks_mut(BLOCK.min(inner))
        .with_min_len((PAR_MIN / (k * BLOCK)).max(1))
        .enumerate()
        .for_each(|(t, dst)| {
            let (o, b) = (t / blocks, t % blocks);
            let i0 = b * BLOCK;
            let base = o * k * inner + i0;
            let m = dst.len();
            let col = |kk: usize| &x[base + kk * inner..base + kk * inner + m];
            match op {
                ReduceOp::Sum | ReduceOp::Prod => {
                    let sum = op == ReduceOp::Sum;
                    let mut acc = vec![if sum { T::ZERO } else { T::ONE }; m];
                    for kk in 0..k {
                        for (a, &v) in acc.iter_mut().zip(col(kk)) {
                            *a = if sum {
                                T::add(*a, v.lift())
                            } else {
                                T::mul(*a, v.lift())
                            };
                        }
                    }
                    for (d, a) in dst.iter_mut().zip(acc) {
                        *d = T::lower(a);
                    }
                }
                _ => {
                    let bop = if op == ReduceOp::Min {
                        BinaryOp::Minimum
                    } else {
                        BinaryOp::Maximum
                    };
                    dst.copy_from_slice(col(0));
                    for kk in 1..k {
                        for (a, &v) in dst.iter_mut().zip(col(kk)) {
                            *a = a.binary(v, bop);
                        }
                    }
                }
            }
        });
}

/// Outputs per task of [`per_output`], at least.
const OUTPUTS_PER_TASK: usize = 1024;

/// Fills `out[o * inner + i] = f(o, i)` in parallel.
fn per_output<O: Send>(out: &mut [O], inner: usize, f: impl Fn(usize, usize) -> O + Sync) {
    if out.len() <= OUTPUTS_PER_TASK {
        // One task, maybe on the caller's thread (see `splits`): no rayon.
        for (j, v) in out.iter_mut().enumerate() {
            *v = f(j / inner, j % inner);
        }
        return;
    }
    out.par_iter_mut()
        .with_min_len(OUTPUTS_PER_TASK)
        .enumerate()
        .for_each(|(j, v)| *v = f(j / inner, j % inner));
}

/// (value, index) of the first extreme among `k` elements from `start`, `stride` apart;
/// a NaN is the extreme (NumPy).
fn arg_range<T: Red>(x: &[T], start: usize, k: usize, stride: usize, min: bool) -> (T, u32) {
    let mut best = (x[start], 0u32);
    if best.0.nan() {
        return best;
    }
    for j in 1..k {
        let v = x[start + j * stride];
        if v.nan() {
            return (v, j as u32);
        }
        let better = if min { v.less(best.0) } else { best.0.less(v) };
        if better {
            best = (v, j as u32);
        }
    }
    best
}

/// A pairwise reduction of `x`: leaves of LEAF elements folded in eight lanes, halves
/// combined (on two threads when long). `init` must be an identity of `add` or an element.
fn pairwise<T: Red, A: Copy + Send + Sync>(
    x: &[T],
    init: A,
    lift: impl Fn(T) -> A + Sync + Copy,
    add: impl Fn(A, A) -> A + Sync + Copy,
) -> A {
    if x.len() <= LEAF {
        let mut r = init;
        exec(Leaf {
            x,
            init,
            lift: &lift,
            add: &add,
            out: &mut r,
        });
        return r;
    }
    let (l, r) = x.split_at(x.len() / 2);
    let (a, b) = if x.len() >= PAR_MIN {
        rayon::join(
            || pairwise(l, init, lift, add),
            || pairwise(r, init, lift, add),
        )
    } else {
        (pairwise(l, init, lift, add), pairwise(r, init, lift, add))
    };
    add(a, b)
}

struct Leaf<'a, T, A, L, F> {
    x: &'a [T],
    init: A,
    lift: &'a L,
    add: &'a F,
    out: &'a mut A,
}

impl<T: Copy, A: Copy, L: Fn(T) -> A, F: Fn(A, A) -> A> Body for Leaf<'_, T, A, L, F> {
    #[inline(always)]
    fn body(self) {
        let mut lanes = [self.init; 8];
        let mut chunks = self.x.chunks_exact(8);
        for c in &mut chunks {
            for j in 0..8 {
                lanes[j] = (self.add)(lanes[j], (self.lift)(c[j]));
            }
        }
        for (j, &v) in chunks.remainder().iter().enumerate() {
            lanes[j] = (self.add)(lanes[j], (self.lift)(v));
        }
        let q = [
            (self.add)(lanes[0], lanes[1]),
            (self.add)(lanes[2], lanes[3]),
            (self.add)(lanes[4], lanes[5]),
            (self.add)(lanes[6], lanes[7]),
        ];
        *self.out = (self.add)((self.add)(q[0], q[1]), (self.add)(q[2], q[3]));
    }
}
