//! CPU side of the `reduce` family over `[outer, k, inner]` views: rows (inner == 1) are
//! reduced pairwise with eight independent lanes per leaf (vectorised), in parallel by halves;
//! columns (inner > 1), argmin/argmax included, are folded a block of whole runs of the
//! inner axis at a time, row after row (the k axis cut too where there are few blocks). f16 and f32 sums and
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
/// makes no rayon call (so it may run on the caller's thread).
pub(crate) fn splits([outer, k, inner]: [usize; 3]) -> bool {
    if inner > 1 {
        return Columns::new(outer, k, inner).splits();
    }
    k >= PAR_MIN || outer >= 2 * row_min_len(k)
}

/// Rows (inner == 1) per task, at least.
fn row_min_len(k: usize) -> usize {
    (PAR_MIN / k.max(1)).max(1)
}

/// Rows at most this long are folded plainly, many to one call of the vector loop.
const SHORT: usize = 32;

/// Runs `f(first row, outputs)` over blocks of rows (inner == 1), in parallel where
/// [`splits`] says so.
fn row_blocks<O: Send>(out: &mut [O], k: usize, f: impl Fn(usize, &mut [O]) + Sync) {
    let len = row_min_len(k);
    if out.len() >= 2 * len {
        out.par_chunks_mut(len)
            .enumerate()
            .for_each(|(b, dst)| f(b * len, dst));
    } else {
        f(0, out);
    }
}

/// `$f(args.., init, lift, add, lower)` with the fold of `$op` (sum, product, min or max) on
/// `$t`: accumulators from `init` (or from the first value where it is None: minima and
/// maxima), `add(acc, lift(value))`, written out with `lower`.
macro_rules! by_fold {
    ($op:expr, $t:ty, $f:ident($($a:expr),*)) => {
        match $op {
            ReduceOp::Sum => $f($($a,)* Some(<$t>::ZERO), <$t>::lift, <$t>::add, <$t>::lower),
            ReduceOp::Prod => $f($($a,)* Some(<$t>::ONE), <$t>::lift, <$t>::mul, <$t>::lower),
            ReduceOp::Min => {
                let f = |a: $t, b: $t| a.binary(b, BinaryOp::Minimum);
                $f($($a,)* None, |v| v, f, |a| a)
            }
            _ => {
                let f = |a: $t, b: $t| a.binary(b, BinaryOp::Maximum);
                $f($($a,)* None, |v| v, f, |a| a)
            }
        }
    };
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
        if inner > 1 {
            return arg_columns(x, [outer, k, inner], out, min);
        }
        if n == 1 && k >= PAR_MIN {
            // One long row: first extremes of chunks in parallel, then the first of those.
            const PART: usize = 1 << 16;
            let parts: Vec<(T, u32)> = (0..k.div_ceil(PART))
                .into_par_iter()
                .map(|p| {
                    let len = PART.min(k - p * PART);
                    let (v, i) = arg_row(&x[p * PART..p * PART + len], min);
                    (v, i + (p * PART) as u32)
                })
                .collect();
            let best = parts
                .into_iter()
                .reduce(|a, b| if arg_takes(a.0, b.0, min) { b } else { a });
            out[0] = best.map_or(0, |b| b.1);
            return;
        }
        return row_blocks(out, k, |o0, dst| {
            let mut firsts = vec![(x[o0 * k], 0); dst.len()];
            arg_rows_of(&x[o0 * k..(o0 + dst.len()) * k], k, &mut firsts, min);
            for (d, f) in dst.iter_mut().zip(firsts) {
                *d = f.1;
            }
        });
    }
    let out: &mut [T] = &mut bytemuck::cast_slice_mut(out)[..n];
    if inner > 1 {
        return by_fold!(op, T, fold_columns(x, [outer, k, inner], out));
    }
    if k <= SHORT {
        return row_blocks(out, k, |o0, dst| {
            let rows = &x[o0 * k..(o0 + dst.len()) * k];
            by_fold!(op, T, short_rows(rows, dst))
        });
    }
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
    row_blocks(out, k, |o0, dst| {
        for (o, v) in dst.iter_mut().enumerate() {
            *v = f(o0 + o);
        }
    });
}

/// Short rows (`dst.len()` rows of `rows.len() / dst.len()`) folded in order from `init`
/// (or from their first element where it is None), eight rows side by side, in one call of
/// the vector loop.
fn short_rows<T: Red, A: Copy>(
    rows: &[T],
    dst: &mut [T],
    init: Option<A>,
    lift: impl Fn(T) -> A,
    add: impl Fn(A, A) -> A,
    lower: impl Fn(A) -> T,
) {
    struct Short<'a, T, A, L, F, W> {
        rows: &'a [T],
        dst: &'a mut [T],
        init: Option<A>,
        lift: &'a L,
        add: &'a F,
        lower: &'a W,
    }
    impl<T: Copy, A: Copy, L: Fn(T) -> A, F: Fn(A, A) -> A, W: Fn(A) -> T> Short<'_, T, A, L, F, W> {
        /// N rows of k side by side: N independent chains instead of one.
        #[inline(always)]
        fn fold<const N: usize>(&self, rows: &[T], k: usize, dst: &mut [T]) {
            let (lift, add) = (self.lift, self.add);
            let mut acc: [A; N] =
                std::array::from_fn(|l| self.init.unwrap_or_else(|| lift(rows[l * k])));
            let from = usize::from(self.init.is_none());
            for j in from..k {
                for (l, a) in acc.iter_mut().enumerate() {
                    *a = add(*a, lift(rows[l * k + j]));
                }
            }
            for (d, a) in dst.iter_mut().zip(acc) {
                *d = (self.lower)(a);
            }
        }
    }
    impl<T: Copy, A: Copy, L: Fn(T) -> A, F: Fn(A, A) -> A, W: Fn(A) -> T> Body
        for Short<'_, T, A, L, F, W>
    {
        #[inline(always)]
        fn body(mut self) {
            let all = std::mem::take(&mut self.dst);
            let k = self.rows.len() / all.len().max(1);
            let mut rows = self.rows.chunks_exact(8 * k);
            let mut dst = all.chunks_exact_mut(8);
            for (d, r) in (&mut dst).zip(&mut rows) {
                self.fold::<8>(r, k, d);
            }
            let rest = rows.remainder().chunks_exact(k);
            for (d, r) in dst.into_remainder().chunks_exact_mut(1).zip(rest) {
                self.fold::<1>(r, k, d);
            }
        }
    }
    exec(Short {
        rows,
        dst,
        init,
        lift: &lift,
        add: &add,
        lower: &lower,
    });
}

/// How a reduction over columns (`[outer, k, inner]` with inner > 1) is cut into tasks:
/// blocks of up to BLOCK adjacent outputs inside one outer index, each reading whole runs of
/// its columns row after row, and where there are few blocks, each block's k rows cut into
/// `parts` that run as tasks of their own and are merged in order. A narrow inner axis is
/// read `group` rows at a time, as one row of `group * inner` accumulators folded together at
/// the end. The cut depends only on the shape, so results do not depend on the number of
/// threads.
struct Columns {
    outer: usize,
    k: usize,
    inner: usize,
    /// Rows read as one (1 unless inner is at most GROUP_WIDTH / 2).
    group: usize,
    /// Parts of the k axis per block.
    parts: usize,
    /// Blocks per task, at least.
    min_len: usize,
}

impl Columns {
    /// Outputs per block: whole rows of up to 16 KiB of f32 are read in order (blocks of 512
    /// read 2 KiB runs 16 KiB apart: a 4096 x 4096 column sum took 7.1 ms instead of 4.6),
    /// and the accumulators (32 KiB of f64) stay in L1/L2.
    const BLOCK: usize = 4096;
    /// Narrow inner axes are read as groups of rows this many elements wide at most (wider
    /// groups were slower: argmin/argmax keep four buffers of this width).
    const GROUP_WIDTH: usize = 512;
    /// Fewer blocks than this and the k axis is cut as well, into as many parts at most.
    const FEW: usize = 16;

    fn new(outer: usize, k: usize, inner: usize) -> Self {
        let blocks = outer * inner.div_ceil(Self::BLOCK);
        let per_block = k * Self::BLOCK.min(inner);
        let group = (Self::GROUP_WIDTH / inner).clamp(1, k.max(1));
        let parts = if blocks < Self::FEW {
            (per_block / PAR_MIN)
                .clamp(1, Self::FEW)
                .min((k / group).max(1))
        } else {
            1
        };
        let min_len = (PAR_MIN / per_block.max(1)).max(1);
        Columns {
            outer,
            k,
            inner,
            group,
            parts,
            min_len,
        }
    }

    /// The groups of rows `k0..k1` (a part from `fold_k`) read whole, and the rows after them.
    fn groups(&self, k0: usize, k1: usize) -> (std::ops::Range<usize>, std::ops::Range<usize>) {
        let g = self.group;
        let (s0, s1) = (k0 / g, k0 / g + (k1 - k0) / g);
        (s0..s1, s1 * g..k1)
    }

    fn splits(&self) -> bool {
        self.parts > 1 || self.outer * self.inner.div_ceil(Self::BLOCK) >= 2 * self.min_len
    }

    /// Runs `f(first, outputs)` for every block, where row kk of the block's columns starts
    /// at input index `first + kk * inner`.
    fn each<O: Send>(&self, out: &mut [O], f: impl Fn(usize, &mut [O]) + Sync) {
        let (k, inner) = (self.k, self.inner);
        let blocks = out.chunks_mut(inner).enumerate().flat_map(|(o, row)| {
            row.chunks_mut(Self::BLOCK)
                .enumerate()
                .map(move |(b, dst)| (o * k * inner + b * Self::BLOCK, dst))
        });
        if self.splits() {
            let blocks: Vec<_> = blocks.collect();
            blocks
                .into_par_iter()
                .with_min_len(self.min_len)
                .for_each(|(first, dst)| f(first, dst));
        } else {
            for (first, dst) in blocks {
                f(first, dst);
            }
        }
    }

    /// `fold(k0, k1)` over this plan's parts of the k axis (in parallel where there are
    /// several), merged in order of k by `merge(earlier, later)`. Every part holds at least
    /// one whole group of rows.
    fn fold_k<S: Send>(
        &self,
        fold: impl Fn(usize, usize) -> S + Sync,
        merge: impl Fn(S, S) -> S,
    ) -> S {
        let (k, parts, g) = (self.k, self.parts, self.group);
        if parts <= 1 {
            return fold(0, k);
        }
        // Parts start on whole groups; the last one takes the rows after the last group.
        let whole = k / g;
        let at = |p: usize| if p == parts { k } else { p * whole / parts * g };
        let states: Vec<S> = (0..parts)
            .into_par_iter()
            .map(|p| fold(at(p), at(p + 1)))
            .collect();
        states.into_iter().reduce(merge).expect("parts > 1")
    }
}

/// Sums, products, minima and maxima over columns ([`by_fold!`]'s fold): whole runs of a
/// block's columns folded row after row into a row of accumulators, parts merged with `add`.
fn fold_columns<T: Red, A: Copy + Send + Sync>(
    x: &[T],
    [outer, k, inner]: [usize; 3],
    out: &mut [T],
    init: Option<A>,
    lift: impl Fn(T) -> A + Sync + Copy,
    add: impl Fn(A, A) -> A + Sync + Copy,
    lower: impl Fn(A) -> T + Sync,
) {
    let plan = Columns::new(outer, k, inner);
    plan.each(out, |first, dst| {
        let m = dst.len();
        let g = plan.group;
        let acc = plan.fold_k(
            |k0, k1| {
                let (groups, rest) = plan.groups(k0, k1);
                let w = g * m;
                let (mut acc, from) = match init {
                    Some(a) => (vec![a; w], groups.start),
                    None => {
                        let at = first + groups.start * g * inner;
                        let seed = x[at..at + w].iter().map(|&v| lift(v)).collect();
                        (seed, groups.start + 1)
                    }
                };
                let f = |a, v| add(a, lift(v));
                exec(FoldRows {
                    x,
                    first,
                    stride: g * inner,
                    rows: from..groups.end,
                    acc: &mut acc,
                    f: &f,
                });
                // The group's rows in order, then the rows after the last whole group.
                let (head, lanes) = acc.split_at_mut(m);
                for lane in lanes.chunks_exact(m) {
                    for (a, &b) in head.iter_mut().zip(lane) {
                        *a = add(*a, b);
                    }
                }
                acc.truncate(m);
                exec(FoldRows {
                    x,
                    first,
                    stride: inner,
                    rows: rest,
                    acc: &mut acc,
                    f: &f,
                });
                acc
            },
            |mut a, b| {
                for (a, b) in a.iter_mut().zip(b) {
                    *a = add(*a, b);
                }
                a
            },
        );
        for (d, a) in dst.iter_mut().zip(acc) {
            *d = lower(a);
        }
    });
}

/// Rows `rows` of a block of columns folded into a row of accumulators by `f` (a row: the
/// `acc.len()` elements from `first + row * stride`).
struct FoldRows<'a, T, A, F> {
    x: &'a [T],
    first: usize,
    /// Elements from one row to the next.
    stride: usize,
    rows: std::ops::Range<usize>,
    acc: &'a mut [A],
    f: &'a F,
}

impl<T: Copy, A: Copy, F: Fn(A, T) -> A> Body for FoldRows<'_, T, A, F> {
    #[inline(always)]
    fn body(self) {
        let m = self.acc.len();
        for kk in self.rows {
            let start = self.first + kk * self.stride;
            for (a, &v) in self.acc.iter_mut().zip(&self.x[start..start + m]) {
                *a = (self.f)(*a, v);
            }
        }
    }
}

/// Whether `later` replaces `best` as the first extreme: never once `best` is NaN, always
/// when `later` is NaN (a NaN is the extreme, as in NumPy), otherwise when strictly beyond.
#[inline(always)]
fn arg_takes<T: Red>(best: T, later: T, min: bool) -> bool {
    // `&` and `|`, not `&&` and `||`: no branches, so the column loop vectorises.
    !best.nan()
        & (later.nan()
            | if min {
                later.less(best)
            } else {
                best.less(later)
            })
}

/// argmin/argmax over columns: a row of (value, index) pairs updated by whole runs of the
/// block's columns, row after row (vectorised), instead of one strided walk per output.
fn arg_columns<T: Red>(x: &[T], [outer, k, inner]: [usize; 3], out: &mut [u32], min: bool) {
    let plan = Columns::new(outer, k, inner);
    let g = plan.group;
    plan.each(out, |first, dst| {
        let m = dst.len();
        let (_, at) = plan.fold_k(
            |k0, k1| {
                let (groups, rest) = plan.groups(k0, k1);
                let w = g * m;
                let start = first + groups.start * g * inner;
                let mut best = x[start..start + w].to_vec();
                let mut at = vec![groups.start as u32; w];
                arg_rows(
                    x,
                    first,
                    g * inner,
                    groups.start + 1..groups.end,
                    &mut best,
                    &mut at,
                    min,
                );
                // Lane j of group row s is row s * g + j / m; the first extreme of the lanes.
                for (j, a) in at.iter_mut().enumerate() {
                    *a = *a * g as u32 + (j / m) as u32;
                }
                let (mut best, mut at) = first_of_lanes(&best, &at, m, min);
                arg_rows(x, first, inner, rest, &mut best, &mut at, min);
                (best, at)
            },
            |(mut best, mut at), (later, later_at)| {
                for j in 0..best.len() {
                    if arg_takes(best[j], later[j], min) {
                        best[j] = later[j];
                        at[j] = later_at[j];
                    }
                }
                (best, at)
            },
        );
        dst.copy_from_slice(&at);
    });
}

/// The first extreme of each column over lanes of `m` (value, row) pairs whose rows
/// interleave: the extreme with the lowest row, or where there is a NaN, the NaN with the
/// lowest row.
fn first_of_lanes<T: Red>(best: &[T], at: &[u32], m: usize, min: bool) -> (Vec<T>, Vec<u32>) {
    let (mut b, mut a) = (best[..m].to_vec(), at[..m].to_vec());
    for (lb, la) in best.chunks_exact(m).zip(at.chunks_exact(m)).skip(1) {
        for j in 0..m {
            let (v, i) = (lb[j], la[j]);
            let take = lane_takes((b[j], a[j]), (v, i), min);
            if take {
                b[j] = v;
                a[j] = i;
            }
        }
    }
    (b, a)
}

/// Whether `(v, i)` comes before `best` as a first extreme where rows are not in order: the
/// extreme with the lowest row, or where there is a NaN, the NaN with the lowest row.
#[inline(always)]
fn lane_takes<T: Red>(best: (T, u32), (v, i): (T, u32), min: bool) -> bool {
    match (best.0.nan(), v.nan()) {
        (true, true) => i < best.1,
        (true, false) => false,
        (false, true) => true,
        _ => {
            let beyond = if min { v.less(best.0) } else { best.0.less(v) };
            let level = !v.less(best.0) && !best.0.less(v);
            beyond || (level && i < best.1)
        }
    }
}

/// [`ArgRows`] for argmin (`min`) or argmax.
fn arg_rows<T: Red>(
    x: &[T],
    first: usize,
    stride: usize,
    rows: std::ops::Range<usize>,
    best: &mut [T],
    at: &mut [u32],
    min: bool,
) {
    if min {
        exec(ArgRows::<T, true> {
            x,
            first,
            stride,
            rows,
            best,
            at,
        });
    } else {
        exec(ArgRows::<T, false> {
            x,
            first,
            stride,
            rows,
            best,
            at,
        });
    }
}

/// Rows `rows` of a block of columns folded into running first extremes. Each row reads one
/// pair of buffers and writes the other: an update in place compiles to masked stores, which
/// the next row's loads cannot forward from (4x slower).
struct ArgRows<'a, T, const MIN: bool> {
    x: &'a [T],
    first: usize,
    stride: usize,
    rows: std::ops::Range<usize>,
    best: &'a mut [T],
    at: &'a mut [u32],
}

impl<T: Red, const MIN: bool> Body for ArgRows<'_, T, MIN> {
    #[inline(always)]
    fn body(self) {
        let m = self.best.len();
        let (mut best2, mut at2) = (self.best.to_vec(), self.at.to_vec());
        let (mut b_in, mut a_in) = (&mut *self.best, &mut *self.at);
        let (mut b_out, mut a_out) = (&mut best2[..], &mut at2[..]);
        let odd = self.rows.len() % 2 == 1;
        for kk in self.rows {
            let start = self.first + kk * self.stride;
            let row = &self.x[start..start + m];
            let kk = kk as u32;
            let ins = b_in.iter().zip(a_in.iter()).zip(row);
            let outs = b_out.iter_mut().zip(a_out.iter_mut());
            for ((bo, ao), ((&b, &a), &v)) in outs.zip(ins) {
                let take = arg_takes(b, v, MIN);
                *bo = if take { v } else { b };
                *ao = if take { kk } else { a };
            }
            std::mem::swap(&mut b_in, &mut b_out);
            std::mem::swap(&mut a_in, &mut a_out);
        }
        if odd {
            // The last row wrote the scratch pair.
            b_out.copy_from_slice(b_in);
            a_out.copy_from_slice(a_in);
        }
    }
}

/// (value, index) of the first extreme of a row; a NaN is the extreme (NumPy).
fn arg_row<T: Red>(x: &[T], min: bool) -> (T, u32) {
    let mut out = [(x[0], 0)];
    arg_rows_of(x, x.len(), &mut out, min);
    out[0]
}

/// (value, index) of the first extreme of each row of `k` in `x`, into `out`.
fn arg_rows_of<T: Red>(x: &[T], k: usize, out: &mut [(T, u32)], min: bool) {
    if min {
        exec(ArgRow::<T, true> { x, k, out });
    } else {
        exec(ArgRow::<T, false> { x, k, out });
    }
}

/// Rows' first extremes, each in LANES running extremes (vectorised) merged at the end.
struct ArgRow<'a, T, const MIN: bool> {
    x: &'a [T],
    k: usize,
    out: &'a mut [(T, u32)],
}

impl<T: Red, const MIN: bool> Body for ArgRow<'_, T, MIN> {
    #[inline(always)]
    fn body(self) {
        const LANES: usize = 16;
        for (x, out) in self.x.chunks_exact(self.k).zip(self.out.iter_mut()) {
            let mut best = (x[0], 0u32);
            let mut done = 1;
            if x.len() >= 2 * LANES {
                let mut b: [T; LANES] = std::array::from_fn(|j| x[j]);
                let mut at = [0u32; LANES];
                let chunks = x.chunks_exact(LANES);
                done = x.len() - chunks.remainder().len();
                for (c, chunk) in chunks.enumerate().skip(1) {
                    let c = c as u32;
                    for j in 0..LANES {
                        let take = arg_takes(b[j], chunk[j], MIN);
                        b[j] = if take { chunk[j] } else { b[j] };
                        at[j] = if take { c } else { at[j] };
                    }
                }
                best = (b[0], at[0] * LANES as u32);
                for j in 1..LANES {
                    let i = at[j] * LANES as u32 + j as u32;
                    if lane_takes(best, (b[j], i), MIN) {
                        best = (b[j], i);
                    }
                }
            }
            for (i, &v) in x.iter().enumerate().skip(done) {
                if arg_takes(best.0, v, MIN) {
                    best = (v, i as u32);
                }
            }
            *out = best;
        }
    }
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
