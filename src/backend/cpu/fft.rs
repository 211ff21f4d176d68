//! CPU side of the FFT: rustfft (its own AVX/SSE/NEON kernels and algorithm choice for every
//! length) on rows in parallel; strided axes in blocks of columns gathered into rows,
//! transformed and scattered back, so no whole-array transpose is made.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use num_complex::Complex;
use rayon::prelude::*;
use rustfft::{Fft, FftDirection, FftNum, FftPlanner};

use super::Disjoint;
use crate::backend::lock;
use crate::element::DType;
use crate::fft::plan::Scale;

/// Columns gathered per task for strided axes.
const COLUMNS: usize = 64;
/// Positions per tile of the gather and scatter of columns.
const TILE: usize = 16;
/// Elements per task for rows (at least one whole row).
const TASK: usize = 1 << 15;

type Cache<T> = Mutex<(FftPlanner<T>, HashMap<(usize, bool), Arc<dyn Fft<T>>>)>;

/// rustfft plans, per element type, by (length, inverse).
pub(crate) struct Plans {
    f32: Cache<f32>,
    f64: Cache<f64>,
}

impl Plans {
    pub(crate) fn new() -> Plans {
        Plans {
            f32: Mutex::new((FftPlanner::new(), HashMap::new())),
            f64: Mutex::new((FftPlanner::new(), HashMap::new())),
        }
    }
}

fn plan<T: Scratch>(m: &Cache<T>, n: usize, inverse: bool) -> Arc<dyn Fft<T>> {
    // The plan a thread used last, checked first: a lock and a hash cost about a tenth of a
    // 1024-point transform.
    if let Some(f) = T::last_plan(n, inverse) {
        return f;
    }
    let f = shared_plan(m, n, inverse);
    T::set_last_plan(n, inverse, f.clone());
    f
}

fn shared_plan<T: FftNum>(m: &Cache<T>, n: usize, inverse: bool) -> Arc<dyn Fft<T>> {
    let mut g = lock(m);
    let (planner, cache) = &mut *g;
    cache
        .entry((n, inverse))
        .or_insert_with(|| {
            let dir = if inverse {
                FftDirection::Inverse
            } else {
                FftDirection::Forward
            };
            planner.plan_fft(n, dir)
        })
        .clone()
}

/// Per-thread scratch for rustfft, kept between calls: allocating (and zeroing) it per
/// call costs as much as a 64K-point transform. And the plan the thread used last (rustfft
/// plans depend on the length and direction only, so any backend's may be reused).
pub(crate) trait Scratch: FftNum {
    fn with_scratch<R>(len: usize, f: impl FnOnce(&mut [Complex<Self>]) -> R) -> R;
    fn last_plan(n: usize, inverse: bool) -> Option<Arc<dyn Fft<Self>>>;
    fn set_last_plan(n: usize, inverse: bool, f: Arc<dyn Fft<Self>>);
}

type LastPlan<T> = std::cell::RefCell<Option<(usize, bool, Arc<dyn Fft<T>>)>>;

macro_rules! scratch_impl {
    ($t:ty, $name:ident, $last:ident) => {
        thread_local! {
            static $name: std::cell::RefCell<Vec<Complex<$t>>> = const { std::cell::RefCell::new(Vec::new()) };
            static $last: LastPlan<$t> = const { std::cell::RefCell::new(None) };
        }
        impl Scratch for $t {
            fn last_plan(n: usize, inverse: bool) -> Option<Arc<dyn Fft<$t>>> {
                $last.with(|c| match &*c.borrow() {
                    Some((m, i, f)) if *m == n && *i == inverse => Some(f.clone()),
                    _ => None,
                })
            }
            fn set_last_plan(n: usize, inverse: bool, f: Arc<dyn Fft<$t>>) {
                $last.with(|c| *c.borrow_mut() = Some((n, inverse, f)));
            }
            fn with_scratch<R>(len: usize, f: impl FnOnce(&mut [Complex<$t>]) -> R) -> R {
                $name.with(|cell| match cell.try_borrow_mut() {
                    Ok(mut v) => {
                        if v.len() < len {
                            v.resize(len, Complex::new(0.0, 0.0));
                        }
                        f(&mut v[..len])
                    }
                    // Re-entered on this thread (rayon work stealing inside f): a fresh one.
                    Err(_) => f(&mut vec![Complex::new(0.0, 0.0); len]),
                })
            }
        }
    };
}
scratch_impl!(f32, SCRATCH_F32, LAST_F32);
scratch_impl!(f64, SCRATCH_F64, LAST_F64);

/// Transforms `src` (`[outer, n, inner]` complex elements of `d`) into `dst`, scaled.
pub(crate) fn run(
    plans: &Plans,
    d: DType,
    src: &[u8],
    dst: &mut [u8],
    dims: [usize; 3],
    inverse: bool,
    scale: Scale,
) {
    let n = dims[1];
    let s = scale.factor(n);
    match d {
        DType::C32 => typed(
            plan(&plans.f32, n, inverse),
            bytemuck::cast_slice(src),
            bytemuck::cast_slice_mut(dst),
            dims,
            s as f32,
        ),
        _ => typed(
            plan(&plans.f64, n, inverse),
            bytemuck::cast_slice(src),
            bytemuck::cast_slice_mut(dst),
            dims,
            s,
        ),
    }
}

fn typed<T: Scratch>(
    fft: Arc<dyn Fft<T>>,
    src: &[Complex<T>],
    dst: &mut [Complex<T>],
    [outer, n, inner]: [usize; 3],
    scale: T,
) {
    let total = outer * n * inner;
    let (src, dst) = (&src[..total], &mut dst[..total]);
    let scratch_len = fft.get_inplace_scratch_len();
    let one = T::one();
    let finish = |v: &mut [Complex<T>]| {
        if scale != one {
            for z in v {
                *z = *z * scale;
            }
        }
    };
    if inner == 1 {
        let rows = (TASK / n).max(1);
        let run = |(d, s): (&mut [Complex<T>], &[Complex<T>])| {
            d.copy_from_slice(s);
            T::with_scratch(scratch_len, |scratch| fft.process_with_scratch(d, scratch));
            finish(d);
        };
        if outer <= rows {
            run((dst, src));
        } else {
            dst.par_chunks_mut(rows * n)
                .zip(src.par_chunks(rows * n))
                .for_each(run);
        }
        return;
    }
    // Strided axis: per outer index, blocks of COLUMNS columns as contiguous rows.
    let blocks = inner.div_ceil(COLUMNS);
    dst.par_chunks_mut(n * inner)
        .zip(src.par_chunks(n * inner))
        .flat_map(|(d, s)| {
            // Each block writes only its own columns of this outer slab.
            let d = Disjoint::new(d);
            (0..blocks).into_par_iter().map(move |b| (d, s, b))
        })
        .for_each_init(
            || vec![Complex::new(T::zero(), T::zero()); COLUMNS * n],
            |rows, (d, s, b)| {
                let c0 = b * COLUMNS;
                let w = COLUMNS.min(inner - c0);
                // In TILE x TILE tiles, so that both sides touch few cache lines (the column
                // stride is often a multiple of 4 KiB, which aliases in L1).
                for (k0, b0) in tiles(n, w) {
                    let (k1, b1) = ((k0 + TILE).min(n), (b0 + TILE).min(w));
                    for c in b0..b1 {
                        for k in k0..k1 {
                            rows[c * n + k] = s[k * inner + c0 + c];
                        }
                    }
                }
                let rows = &mut rows[..w * n];
                T::with_scratch(scratch_len, |scratch| {
                    fft.process_with_scratch(rows, scratch)
                });
                finish(rows);
                for (k0, b0) in tiles(n, w) {
                    let (k1, b1) = ((k0 + TILE).min(n), (b0 + TILE).min(w));
                    for k in k0..k1 {
                        for c in b0..b1 {
                            // SAFETY: column c0 + c of row k lies in this slab, and only this
                            // block writes columns c0..c0 + w of it.
                            unsafe { *d.at(k * inner + c0 + c) = rows[c * n + k] };
                        }
                    }
                }
            },
        );
}

/// The corners of the TILE x TILE tiles covering `n` positions by `w` columns.
fn tiles(n: usize, w: usize) -> impl Iterator<Item = (usize, usize)> {
    (0..n)
        .step_by(TILE)
        .flat_map(move |k| (0..w).step_by(TILE).map(move |c| (k, c)))
}
