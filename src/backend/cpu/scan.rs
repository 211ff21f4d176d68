//! CPU side of the `scan` family over `[outer, k, inner]` views: rows in parallel (one long
//! row in chunks: chunk totals, their prefix, then each chunk rescanned from its offset),
//! columns as running rows of accumulators. Accumulators as in reduce: f64 for f16 and f32.

use rayon::prelude::*;

use super::Disjoint;
use super::reduce::Red;
use crate::element::DType;
use crate::ops::scan::ScanOp;

/// Rows at least this long are split across threads.
const PAR_MIN: usize = 1 << 16;
/// Columns are scanned in blocks of this many accumulators.
const BLOCK: usize = 512;

/// Scans `src` (`[outer, k, inner]` of `d`) into `out`.
pub(crate) fn run(op: ScanOp, d: DType, src: &[u8], dims: [usize; 3], out: &mut [u8]) {
    macro_rules! go {
        ($t:ty) => {
            typed::<$t>(
                op,
                bytemuck::cast_slice(src),
                dims,
                bytemuck::cast_slice_mut(out),
            )
        };
    }
    with_dtype!(d, go)
}

fn ident<T: Red>(op: ScanOp) -> T::A {
    if op == ScanOp::Sum { T::ZERO } else { T::ONE }
}

fn comb<T: Red>(op: ScanOp, a: T::A, b: T::A) -> T::A {
    if op == ScanOp::Sum {
        T::add(a, b)
    } else {
        T::mul(a, b)
    }
}

/// Scans `x` into `y` starting from `carry`; returns the last accumulator.
fn row<T: Red>(op: ScanOp, x: &[T], y: &mut [T], mut carry: T::A) -> T::A {
    for (v, o) in x.iter().zip(y) {
        carry = comb::<T>(op, carry, v.lift());
        *o = T::lower(carry);
    }
    carry
}

fn typed<T: Red>(op: ScanOp, x: &[T], [outer, k, inner]: [usize; 3], out: &mut [T]) {
    let n = outer * k * inner;
    let (x, out) = (&x[..n], &mut out[..n]);
    if inner == 1 {
        if k >= PAR_MIN && outer < rayon::current_num_threads() {
            for (xr, yr) in x.chunks(k).zip(out.chunks_mut(k)) {
                long_row(op, xr, yr);
            }
        } else {
            x.par_chunks(k)
                .zip(out.par_chunks_mut(k))
                .with_min_len((PAR_MIN / k).max(1))
                .for_each(|(xr, yr)| {
                    row(op, xr, yr, ident::<T>(op));
                });
        }
        return;
    }
    // Columns: for each outer index, blocks of the inner axis walked down k.
    let blocks = inner.div_ceil(BLOCK);
    let dst_ptr = Disjoint::new(out);
    (0..outer * blocks)
        .into_par_iter()
        .with_min_len((PAR_MIN / (k * BLOCK)).max(1))
        .for_each(|t| {
            let (o, b) = (t / blocks, t % blocks);
            let i0 = b * BLOCK;
            let m = BLOCK.min(inner - i0);
            let mut acc = vec![ident::<T>(op); m];
            for kk in 0..k {
                let at = o * k * inner + kk * inner + i0;
                // SAFETY: the tasks write disjoint column blocks of `out`.
                let dst = unsafe { dst_ptr.slice(at, m) };
                for ((a, &v), d) in acc.iter_mut().zip(&x[at..at + m]).zip(dst) {
                    *a = comb::<T>(op, *a, v.lift());
                    *d = T::lower(*a);
                }
            }
        });
}

/// One long row: chunk totals in parallel, their running prefix, then every chunk rescanned
/// from its prefix in parallel.
fn long_row<T: Red>(op: ScanOp, x: &[T], y: &mut [T]) {
    const CHUNK: usize = 1 << 15;
    let totals: Vec<T::A> = x
        .par_chunks(CHUNK)
        .map(|c| {
            c.iter()
                .fold(ident::<T>(op), |a, v| comb::<T>(op, a, v.lift()))
        })
        .collect();
    let mut carry = Vec::with_capacity(totals.len());
    let mut acc = ident::<T>(op);
    for t in totals {
        carry.push(acc);
        acc = comb::<T>(op, acc, t);
    }
    x.par_chunks(CHUNK)
        .zip(y.par_chunks_mut(CHUNK))
        .zip(carry)
        .for_each(|((xc, yc), c)| {
            row(op, xc, yc, c);
        });
}
