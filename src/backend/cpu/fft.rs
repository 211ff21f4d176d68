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
use crate::fft::plan::{Scale, root};

/// Columns gathered per task for strided axes.
const COLUMNS: usize = 64;
/// Positions per tile of the gather and scatter of columns.
const TILE: usize = 16;
/// Elements per task for rows (at least one whole row).
const TASK: usize = 1 << 15;

type Cache<T> = Mutex<(FftPlanner<T>, HashMap<(usize, bool), Arc<dyn Fft<T>>>)>;

/// `exp(-2 pi i k / n)` for `k < n/2`, by n: the twiddles of the real transforms.
type Twiddles<T> = Mutex<HashMap<usize, Arc<Vec<Complex<T>>>>>;

/// rustfft plans, per element type, by (length, inverse); the real transforms' twiddles.
pub(crate) struct Plans {
    f32: Cache<f32>,
    f64: Cache<f64>,
    real_f32: Twiddles<f32>,
    real_f64: Twiddles<f64>,
}

impl Plans {
    pub(crate) fn new() -> Plans {
        Plans {
            f32: Mutex::new((FftPlanner::new(), HashMap::new())),
            f64: Mutex::new((FftPlanner::new(), HashMap::new())),
            real_f32: Mutex::default(),
            real_f64: Mutex::default(),
        }
    }
}

/// The twiddles of the real transforms of length `n`, made in f64.
fn half_twiddles<T: FftNum>(m: &Twiddles<T>, n: usize) -> Arc<Vec<Complex<T>>> {
    let cast = |v: f64| T::from_f64(v).expect("every float type holds an f64 in [-1, 1]");
    lock(m)
        .entry(n)
        .or_insert_with(|| {
            let tw = (0..n / 2).map(|k| {
                let (re, im) = root(k as u64, n as u64);
                Complex::new(cast(re), cast(im))
            });
            Arc::new(tw.collect())
        })
        .clone()
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

/// Real transforms of even length n over `rows` rows (see `Backend::fft_real`): the n reals
/// of a row are read as n/2 complex numbers, transformed with a complex FFT of half the
/// length, and split into the n/2 + 1 bins with the twiddles `exp(-2 pi i k / n)`; the
/// inverse runs the same steps backwards.
pub(crate) fn real(
    plans: &Plans,
    d: DType,
    src: &[u8],
    dst: &mut [u8],
    [rows, n]: [usize; 2],
    inverse: bool,
    scale: Scale,
) {
    let s = scale.factor(n);
    let m = n / 2;
    match (d, inverse) {
        (DType::C32, false) => real_forward(
            plan(&plans.f32, m, false),
            &half_twiddles(&plans.real_f32, n),
            bytemuck::cast_slice(src),
            bytemuck::cast_slice_mut(dst),
            rows,
            s as f32,
        ),
        (DType::C32, true) => real_inverse(
            plan(&plans.f32, m, true),
            &half_twiddles(&plans.real_f32, n),
            bytemuck::cast_slice(src),
            bytemuck::cast_slice_mut(dst),
            rows,
            s as f32,
        ),
        (_, false) => real_forward(
            plan(&plans.f64, m, false),
            &half_twiddles(&plans.real_f64, n),
            bytemuck::cast_slice(src),
            bytemuck::cast_slice_mut(dst),
            rows,
            s,
        ),
        (_, true) => real_inverse(
            plan(&plans.f64, m, true),
            &half_twiddles(&plans.real_f64, n),
            bytemuck::cast_slice(src),
            bytemuck::cast_slice_mut(dst),
            rows,
            s,
        ),
    }
}

/// Runs `row(dst row, src row)` over `rows` rows, in parallel tasks of about TASK elements.
fn rows_of<D: Send, S: Sync>(
    dst: &mut [D],
    dst_row: usize,
    src: &[S],
    src_row: usize,
    rows: usize,
    row: impl Fn(&mut [D], &[S]) + Sync,
) {
    let (dst, src) = (&mut dst[..rows * dst_row], &src[..rows * src_row]);
    let per = (TASK / dst_row).max(1);
    let task = |(d, s): (&mut [D], &[S])| {
        for (d, s) in d.chunks_mut(dst_row).zip(s.chunks(src_row)) {
            row(d, s);
        }
    };
    if rows <= per {
        task((dst, src));
    } else {
        dst.par_chunks_mut(per * dst_row)
            .zip(src.par_chunks(per * src_row))
            .for_each(task);
    }
}

/// `v` times -i.
fn mul_neg_i<T: FftNum>(v: Complex<T>) -> Complex<T> {
    Complex::new(v.im, -v.re)
}

fn real_forward<T: Scratch>(
    fft: Arc<dyn Fft<T>>,
    tw: &[Complex<T>],
    src: &[T],
    dst: &mut [Complex<T>],
    rows: usize,
    scale: T,
) {
    let m = tw.len();
    let scratch_len = fft.get_inplace_scratch_len();
    let half = T::from_f64(0.5).expect("0.5 is a float");
    rows_of(dst, m + 1, src, 2 * m, rows, |d, s| {
        for (z, p) in d[..m].iter_mut().zip(s.chunks_exact(2)) {
            *z = Complex::new(p[0], p[1]);
        }
        T::with_scratch(scratch_len, |sc| fft.process_with_scratch(&mut d[..m], sc));
        // Bins k and m - k from Z[k] and Z[m - k]: the even samples' transform is
        // (Z[k] + conj Z[m-k]) / 2, the odd ones' (Z[k] - conj Z[m-k]) / 2i.
        let z0 = d[0];
        d[0] = Complex::new(z0.re + z0.im, T::zero());
        d[m] = Complex::new(z0.re - z0.im, T::zero());
        for k in 1..=m / 2 {
            let j = m - k;
            let (a, b) = (d[k], d[j]);
            let even = (a + b.conj()) * half;
            let odd = (a - b.conj()) * half;
            d[k] = even + mul_neg_i(tw[k] * odd);
            d[j] = even.conj() + mul_neg_i(tw[j] * -odd.conj());
        }
        if scale != T::one() {
            for z in d.iter_mut() {
                *z = *z * scale;
            }
        }
    });
}

fn real_inverse<T: Scratch>(
    fft: Arc<dyn Fft<T>>,
    tw: &[Complex<T>],
    src: &[Complex<T>],
    dst: &mut [T],
    rows: usize,
    scale: T,
) {
    let m = tw.len();
    let scratch_len = fft.get_inplace_scratch_len();
    rows_of(dst, 2 * m, src, m + 1, rows, |d, s| {
        // SAFETY: Complex<T> is #[repr(C)] { re, im }: the layout of [T; 2], and the row of
        // 2m reals is exactly m of them, borrowed mutably for this closure only.
        let z = unsafe { std::slice::from_raw_parts_mut(d.as_mut_ptr().cast::<Complex<T>>(), m) };
        // Z[k] = E[k] + i O[k]: E the even outputs' spectrum X[k] + conj X[m-k], O the odd
        // ones' (X[k] - conj X[m-k]) exp(2 pi i k / n). The imaginary parts of X[0] and X[m]
        // are ignored, as a real signal's spectrum has none there.
        let (x0, xm) = (s[0].re, s[m].re);
        z[0] = Complex::new(x0 + xm, x0 - xm);
        for k in 1..=m / 2 {
            let j = m - k;
            let (a, b) = (s[k], s[j]);
            let zk = (a + b.conj()) - mul_neg_i((a - b.conj()) * tw[k].conj());
            let zj = (b + a.conj()) - mul_neg_i((b - a.conj()) * tw[j].conj());
            z[k] = zk;
            z[j] = zj;
        }
        T::with_scratch(scratch_len, |sc| fft.process_with_scratch(z, sc));
        if scale != T::one() {
            for v in d.iter_mut() {
                *v = *v * scale;
            }
        }
    });
}
