//! CPU side of the FFT: rustfft and our own AVX-512 kernels on rows in parallel, strided axes
//! as gathered blocks of columns, and long single transforms spread over every core.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use num_complex::Complex;
use rayon::prelude::*;
use rustfft::{Fft, FftDirection, FftNum, FftPlanner};

use super::Disjoint;
use crate::backend::lock;
use crate::element::DType;
use crate::fft::plan::{Scale, root, root_shift, root_table};

/// Columns gathered per task for strided axes, at most.
const COLUMNS: usize = 64;
/// Bytes of gathered columns per task, at most (a share of a core's L2), unless one cache
/// line of columns is larger.
const BLOCK_BYTES: usize = 256 << 10;

/// Columns per block for columns of length n: a whole cache line of each row, as many as
/// fit BLOCK_BYTES, at most COLUMNS.
fn block_columns<T>(n: usize) -> usize {
    let size = std::mem::size_of::<T>();
    (BLOCK_BYTES / (n * size)).clamp(64 / size, COLUMNS)
}
/// Positions per tile of the gather and scatter of columns.
const TILE: usize = 8;
/// Elements per task for rows (at least one whole row).
const TASK: usize = 1 << 15;

/// Rows of `len` elements per task: TASK elements, in whole rows, at least one.
fn rows_per_task(len: usize) -> usize {
    (TASK / len.max(1)).max(1)
}

/// Inputs up to this size go to our own kernels out of place, without the copy first. Those
/// kernels read their input in strided blocks and write their output scattered, which the
/// caches absorb but memory does not: for rows of 1024 c32, out of place measured 1.3x to
/// 1.5x faster than copy + in place up to 4 MiB of input, 1.1x at 8 MiB, and 0.55x at
/// 16 MiB, where input and output no longer fit the 32 MiB L3 (ci, 2026-11-23). Kernels
/// that stream whole rows ([`Own::streams`]) go out of place at any size.
const DIRECT_MAX: usize = 4 << 20;
/// Transforms at least this long run four-step when there are fewer of them than threads.
/// On the 2-core CI machine four-step measured 1.3x to 1.5x rustfft's single-threaded time
/// from 2^20 up, about even at 2^19, and slower below (2026-11-22, BENCHMARKS.md).
pub(crate) const SPLIT_MIN: usize = 1 << 20;

type Cache<T> = Mutex<(FftPlanner<T>, HashMap<(usize, bool), Arc<dyn Fft<T>>>)>;

/// `exp(-2 pi i k / n)` for `k < n/2`, by n: the twiddles of the real transforms.
type Twiddles<T> = Mutex<HashMap<usize, Arc<Vec<Complex<T>>>>>;

/// `exp(-2 pi i e / n)` for every e < n as `lo[e & mask] * hi[e >> shift]`, made in f64:
/// the four-step twiddles (`fft::plan::root_table`, by n).
type Roots = Mutex<HashMap<usize, Arc<Vec<(f64, f64)>>>>;

/// rustfft plans, per element type, by (length, inverse); the real transforms' twiddles;
/// the four-step roots.
pub(crate) struct Plans {
    f32: Cache<f32>,
    f64: Cache<f64>,
    real_f32: Twiddles<f32>,
    real_f64: Twiddles<f64>,
    roots: Roots,
}

impl Plans {
    pub(crate) fn new() -> Plans {
        Plans {
            f32: Mutex::new((FftPlanner::new(), HashMap::new())),
            f64: Mutex::new((FftPlanner::new(), HashMap::new())),
            real_f32: Mutex::default(),
            real_f64: Mutex::default(),
            roots: Mutex::default(),
        }
    }

    fn roots(&self, n: usize) -> Arc<Vec<(f64, f64)>> {
        lock(&self.roots)
            .entry(n)
            .or_insert_with(|| Arc::new(root_table(n)))
            .clone()
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

fn shared_plan<T: FftNum + Own>(m: &Cache<T>, n: usize, inverse: bool) -> Arc<dyn Fft<T>> {
    let mut g = lock(m);
    let (planner, cache) = &mut *g;
    cache
        .entry((n, inverse))
        .or_insert_with(|| {
            T::own_plan(n, inverse).unwrap_or_else(|| {
                let dir = if inverse {
                    FftDirection::Inverse
                } else {
                    FftDirection::Forward
                };
                planner.plan_fft(n, dir)
            })
        })
        .clone()
}

/// Per-thread scratch for rustfft, kept between calls: allocating (and zeroing) it per
/// call costs as much as a 64K-point transform. And the plan the thread used last (plans
/// depend on the length and direction only, so any backend's may be reused).
pub(crate) trait Scratch: FftNum + Own {
    fn with_scratch<R>(len: usize, f: impl FnOnce(&mut [Complex<Self>]) -> R) -> R;
    fn last_plan(n: usize, inverse: bool) -> Option<Arc<dyn Fft<Self>>>;
    fn set_last_plan(n: usize, inverse: bool, f: Arc<dyn Fft<Self>>);
}

/// streamcore's own CPU FFT kernels, by element type, for the lengths they cover.
pub(crate) trait Own: Sized {
    /// Whether this CPU runs length n with streamcore's own kernel, which reads its input
    /// directly: out of place, it costs no more than in place (rustfft's plans copy first).
    fn has_own(n: usize) -> bool;
    /// Whether that kernel reads its input and writes its output in whole rows, and needs
    /// little scratch out of place: then out of place beats copy + in place at any size.
    fn streams(n: usize) -> bool;
    /// Whether [`Own::spread`] runs length n.
    fn spreads(n: usize) -> bool;
    /// One transform of `src` (length n, where [`Own::spreads`] says so) into `dst`, times
    /// `scale`, its passes spread over rayon's threads.
    fn spread(src: &[Complex<Self>], dst: &mut [Complex<Self>], inverse: bool, scale: Self);
    /// That kernel's plan, where [`Own::has_own`] says there is one.
    fn own_plan(n: usize, inverse: bool) -> Option<Arc<dyn Fft<Self>>>;
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

/// Rows at least this long run one at a time over every thread ([`Own::spread`]) however
/// many there are. For 2 rows of 2^24 on the 2-core CI machine: 105-134 ms, against
/// 165-184 ms for rustfft per row with 128 MiB of scratch each (2026-11-23).
const SPREAD_ALWAYS: usize = 1 << 24;

/// The lengths whose single transforms run our own AVX-512 kernels' passes over every
/// thread ([`Own::spread`]): 2^20 and 2^24.
#[cfg(target_arch = "x86_64")]
const SPREAD_LENGTHS: [usize; 2] = [1 << 20, 1 << 24];

/// The AVX-512 1024-, 4096-, 65536- and 2^20-point kernels (`fft_avx512`), where the CPU has
/// AVX-512F and STREAMCORE_CPU_ISA does not rule it out.
#[cfg(target_arch = "x86_64")]
fn own_f32(n: usize) -> bool {
    super::fft_avx512::LENGTHS.contains(&n) && super::simd::isa() >= super::simd::Isa::Avx512
}

#[cfg(not(target_arch = "x86_64"))]
fn own_f32(_n: usize) -> bool {
    false
}

impl Own for f32 {
    fn has_own(n: usize) -> bool {
        own_f32(n)
    }
    fn streams(n: usize) -> bool {
        #[cfg(target_arch = "x86_64")]
        return own_f32(n) && super::fft_avx512::STREAMING.contains(&n);
        #[cfg(not(target_arch = "x86_64"))]
        return {
            let _ = n;
            false
        };
    }
    fn spreads(n: usize) -> bool {
        #[cfg(target_arch = "x86_64")]
        return own_f32(SPREAD_LENGTHS[0]) && SPREAD_LENGTHS.contains(&n);
        #[cfg(not(target_arch = "x86_64"))]
        return {
            let _ = n;
            false
        };
    }
    fn spread(src: &[Complex<f32>], dst: &mut [Complex<f32>], inverse: bool, scale: f32) {
        #[cfg(target_arch = "x86_64")]
        if let Some(w) = super::fft_avx512::wide(inverse) {
            let n = src.len();
            assert_eq!(dst.len(), n, "spread: input and output lengths differ");
            if n == SPREAD_LENGTHS[0] {
                let (s, d) = (Disjoint(src.as_ptr().cast_mut()), Disjoint::new(dst));
                // SAFETY: src (only read) and dst are distinct slices of 2^20, and dst holds
                // the rows.
                unsafe { wide_spread(&w, s, d, d, super::fft_avx512::Wide::<32>::M, scale) };
                return;
            }
            if n == SPREAD_LENGTHS[1]
                && let Some(o) = super::fft_avx512::outer(inverse)
            {
                huge_spread(&w, &o, src, dst, scale);
                return;
            }
        }
        unreachable!("spread called for {} points without a kernel", src.len());
    }
    fn own_plan(n: usize, inverse: bool) -> Option<Arc<dyn Fft<f32>>> {
        #[cfg(target_arch = "x86_64")]
        if own_f32(n) {
            return super::fft_avx512::plan(n, inverse);
        }
        let _ = (n, inverse);
        None
    }
}

/// No f64 kernels of our own yet: rustfft runs every f64 length.
impl Own for f64 {
    fn has_own(_n: usize) -> bool {
        false
    }
    fn streams(_n: usize) -> bool {
        false
    }
    fn spreads(_n: usize) -> bool {
        false
    }
    fn spread(src: &[Complex<f64>], _dst: &mut [Complex<f64>], _inverse: bool, _scale: f64) {
        unreachable!("no f64 kernel spreads {} points", src.len());
    }
    fn own_plan(_n: usize, _inverse: bool) -> Option<Arc<dyn Fft<f64>>> {
        None
    }
}

/// Columns of the rows per task of the split and across passes of [`wide_spread`] and
/// [`huge_spread`].
#[cfg(target_arch = "x86_64")]
const SPREAD_COLS: usize = 1024;

/// One 2^20-point transform from `src` into `dst` with [`fft_avx512::Wide`]'s three passes
/// each spread over rayon's threads: the input split into 16 rows (`pad` apart at `rows`)
/// by ranges of columns, the rows' transforms, and the 16-point transforms across the rows
/// into `dst`, times `scale`, by ranges of column blocks.
///
/// # Safety
/// `src` and `dst` address 2^20 complex numbers each, the same ones or apart; `rows` 16
/// rows of `pad`, which are `dst`'s (`pad` = M) where it is apart from `src`, else apart from
/// both; no other task touches any of them meanwhile.
///
/// [`fft_avx512::Wide`]: super::fft_avx512::Wide
#[cfg(target_arch = "x86_64")]
unsafe fn wide_spread(
    w: &super::fft_avx512::Wide<32>,
    src: Disjoint<Complex<f32>>,
    dst: Disjoint<Complex<f32>>,
    rows: Disjoint<Complex<f32>>,
    pad: usize,
    scale: f32,
) {
    use super::fft_avx512::{Wide, split16};
    let m = Wide::<32>::M;
    let (cols, blocks) = (SPREAD_COLS, SPREAD_COLS / 8);
    // SAFETY (all three passes): the caller's; each task touches its own columns of the 16
    // rows (passes 1 and 3) or its own row (pass 2), and each pass ends before the next.
    (0..m / cols).into_par_iter().for_each(|t| unsafe {
        split16(src.at(0), rows.at(0), pad, t * cols..(t + 1) * cols);
    });
    (0..16).into_par_iter().for_each(|r| {
        f32::with_scratch(Wide::<32>::ROW_SCRATCH, |sc| unsafe {
            w.row(rows.at(r * pad), sc)
        });
    });
    (0..m / cols).into_par_iter().for_each(|t| unsafe {
        let b = t * blocks..(t + 1) * blocks;
        w.across().run(rows.at(0), pad, dst.at(0), b, scale);
    });
}

/// One 2^24-point transform from `src` into `dst`, times `scale`, over every thread, as 16
/// rows of 2^20, each row itself 16 rows of 65536 as in [`fft_avx512::Wide`]: the input
/// split into those 256 rows in `dst` ([`fft_avx512::split256`]); per row of 2^20, by one
/// thread, its 16 rows transformed in place and the 16-point transforms across them, in
/// place ([`fft_avx512::Wide`]'s passes 2 and 3); then the 16-point transforms across the
/// rows of 2^20 ([`fft_avx512::outer`]). Every pass reads and writes its rows in order,
/// where the 4096 x 4096 four-step reads columns 32 KiB apart, and a thread needs no more
/// than its own 8 MiB row and an L2-sized scratch.
///
/// [`fft_avx512::Wide`]: super::fft_avx512::Wide
/// [`fft_avx512::outer`]: super::fft_avx512::outer
/// [`fft_avx512::split256`]: super::fft_avx512::split256
#[cfg(target_arch = "x86_64")]
fn huge_spread(
    w: &super::fft_avx512::Wide<32>,
    outer: &super::fft_avx512::Across,
    src: &[Complex<f32>],
    dst: &mut [Complex<f32>],
    scale: f32,
) {
    use super::fft_avx512::{Wide, split256};
    let (n1, m) = (Wide::<32>::N, Wide::<32>::M);
    assert!(
        src.len() == 16 * n1 && dst.len() == 16 * n1,
        "a 2^24-point transform given {} and {} points",
        src.len(),
        dst.len()
    );
    let (cols, blocks) = (SPREAD_COLS, SPREAD_COLS / 8);
    let input = Disjoint(src.as_ptr().cast_mut());
    let out = Disjoint::new(dst);
    // SAFETY: src (only read) and dst are distinct slices of 2^24; each task writes its own
    // columns of dst's 256 rows of m.
    (0..m / cols).into_par_iter().for_each(|t| unsafe {
        split256(input.at(0), out.at(0), m, t * cols..(t + 1) * cols);
    });
    // SAFETY: each task transforms its own row of 2^20 (16 rows of m) in place.
    (0..16).into_par_iter().for_each(|g| {
        let group = out.at(g * n1);
        f32::with_scratch(Wide::<32>::ROW_SCRATCH, |sc| unsafe {
            for r in 0..16 {
                w.row(group.add(r * m), sc);
            }
        });
        unsafe { w.across().run(group, m, group, 0..m / 8, 1.0) };
    });
    // SAFETY: dst's 16 rows of 2^20 in place; each task reads and writes its own blocks of
    // columns.
    (0..n1 / cols).into_par_iter().for_each(|t| unsafe {
        outer.run(
            out.at(0),
            n1,
            out.at(0),
            t * blocks..(t + 1) * blocks,
            scale,
        );
    });
}

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
    let s = scale.factor(dims[1]);
    match d {
        DType::C32 => run_typed(plans, &plans.f32, src, dst, dims, inverse, s as f32),
        _ => run_typed(plans, &plans.f64, src, dst, dims, inverse, s),
    }
}

fn run_typed<T: Scratch + bytemuck::Pod>(
    plans: &Plans,
    cache: &Cache<T>,
    src: &[u8],
    dst: &mut [u8],
    dims: [usize; 3],
    inverse: bool,
    scale: T,
) where
    Complex<T>: bytemuck::Pod,
{
    let (src, dst) = (bytemuck::cast_slice(src), bytemuck::cast_slice_mut(dst));
    let n = dims[1];
    // Fewer long rows than threads, or rows too long for a thread each (a thread's scratch
    // for rustfft would be as long as the row): each row over every thread. (Short rows
    // never ask rayon: they may run on the caller's thread, outside the device's pool.)
    if dims[2] == 1
        && n >= SPLIT_MIN
        && (dims[0] < rayon::current_num_threads() || n >= SPREAD_ALWAYS && T::spreads(n))
        && let Some(nn) = split(n)
    {
        four_step(
            cache,
            &plans.roots(n),
            src,
            dst,
            dims[0],
            nn,
            inverse,
            scale,
        );
    } else {
        typed(plan(cache, n, inverse), src, dst, dims, scale);
    }
}

/// Whether [`run`] makes one task of `dims` (complex elements of `d`): then the caller runs
/// it on its own thread. Handing a task to the worker threads and waiting for it cost
/// 15-30 µs on the 2-core CI VM, as much as eight 4096-point transforms: 4096 x 8 took
/// 52-70 µs that way against 17-18 µs for 4096 x 4 on the caller (2026-11-23).
pub(crate) fn one_task(d: DType, [outer, n, inner]: [usize; 3]) -> bool {
    if inner == 1 {
        n < SPLIT_MIN && outer <= rows_per_task(n)
    } else {
        let cols = match d {
            DType::C32 => block_columns::<Complex<f32>>(n),
            _ => block_columns::<Complex<f64>>(n),
        };
        outer == 1 && inner <= cols
    }
}

/// n = n1 n2 for the four-step algorithm: n1 the largest divisor of n at most sqrt(n), if
/// it is at least sqrt(n) / 16 (else rustfft keeps the whole length: n has a large prime
/// factor, for which it runs Rader's or Bluestein's algorithm on its own).
fn split(n: usize) -> Option<(usize, usize)> {
    let r = n.isqrt();
    (r.div_ceil(16).max(2)..=r)
        .rev()
        .find(|d| n.is_multiple_of(*d))
        .map(|d| (d, n / d))
}

/// `rows` transforms of length n = n1 n2 from `src` into `dst`, each in two parallel passes
/// (the four-step algorithm). With j = n2 j1 + j2 and k = k1 + n1 k2,
/// `X[k] = sum_j2 w_n^(j2 k1) w_n2^(j2 k2) sum_j1 x[j] w_n1^(j1 k1)`: pass one transforms
/// the n2 columns of src seen as n1 x n2 (length n1, gathered in blocks), multiplies by
/// w_n^(j2 k1) and writes column j2 as row j2 of dst (n2 x n1); pass two transforms the n1
/// columns of dst (length n2) in place, which leaves `X[k1 + n1 k2]` at row k2, column k1:
/// in order. Twiddles come from the two-level f64 table `roots` (see [`twiddled`]).
/// Lengths that our own kernels take ([`Own::spread`]) run their passes over every thread
/// instead.
#[allow(clippy::too_many_arguments)]
fn four_step<T: Scratch>(
    plans: &Cache<T>,
    roots: &[(f64, f64)],
    src: &[Complex<T>],
    dst: &mut [Complex<T>],
    rows: usize,
    (n1, n2): (usize, usize),
    inverse: bool,
    scale: T,
) {
    let n = n1 * n2;
    if T::spreads(n) {
        for (s, d) in src.chunks(n).zip(dst.chunks_mut(n)).take(rows) {
            T::spread(s, d, inverse, scale);
        }
        return;
    }
    let (f1, f2) = (plan(plans, n1, inverse), plan(plans, n2, inverse));
    let shift = root_shift(n);
    let (lo, hi) = roots.split_at(1 << shift);
    let sign = if inverse { -1.0 } else { 1.0 };
    for (src, dst) in src.chunks(n).zip(dst.chunks_mut(n)).take(rows) {
        let len1 = f1.get_inplace_scratch_len();
        let bc = block_columns::<Complex<T>>(n1);
        dst.par_chunks_mut(bc * n1).enumerate().for_each(|(b, d)| {
            let (c0, w) = (b * bc, d.len() / n1);
            with_buffers(w * n1, len1, |cols, sc| {
                // SAFETY: src holds n1 rows of n2, read only.
                unsafe { gather(cols, src.as_ptr(), n1, n2, c0, w) };
                f1.process_with_scratch(cols, sc);
                for (c, (out, col)) in d.chunks_mut(n1).zip(cols.chunks(n1)).enumerate() {
                    twiddled(out, col, c0 + c, (lo, hi, shift), sign);
                }
            });
        });
        columns_in_place(&f2, dst, n2, n1, scale);
    }
}

/// The two-level root table split: (lo, hi, shift), as [`root_shift`] makes it.
type TwoLevel<'a> = (&'a [(f64, f64)], &'a [(f64, f64)], u32);

/// `out = col w_n^(j2 k)` for k < col.len(): row `j2` of the four-step twiddles applied,
/// with `sign` -1 for the inverse. w_n^(j2 (64 a + b)) = w_n^(64 j2 a) w_n^(j2 b): each
/// factor made in f64 from the two-level table (lo, hi, shift) and rounded once, 64 + len/64
/// of them, then multiplied in T in loops that vectorise (made and applied in f64, the
/// twiddles took 17% of a 2^24-point f32 transform, 2026-11-23).
fn twiddled<T: FftNum>(
    out: &mut [Complex<T>],
    col: &[Complex<T>],
    j2: usize,
    (lo, hi, shift): TwoLevel<'_>,
    sign: f64,
) {
    const B: usize = 64;
    let mask = (1usize << shift) - 1;
    // j2 k < n for every k < col.len(): no reduction needed.
    let root = |e: usize| {
        let ((ar, ai), (br, bi)) = (lo[e & mask], hi[e >> shift]);
        let cast = |v: f64| T::from_f64(v).expect("every float type holds a twiddle");
        Complex::new(cast(ar * br - ai * bi), cast(sign * (ar * bi + ai * br)))
    };
    let mut fine = [Complex::new(T::zero(), T::zero()); B];
    for (b, f) in fine.iter_mut().enumerate().take(col.len()) {
        *f = root(j2 * b);
    }
    for (a, (o, v)) in out.chunks_mut(B).zip(col.chunks(B)).enumerate() {
        let coarse = root(j2 * B * a);
        for ((o, &v), &f) in o.iter_mut().zip(v).zip(&fine) {
            *o = v * (coarse * f);
        }
    }
}

/// Transforms the `inner` columns (length n) of `data`, an n x inner matrix, in place and
/// scaled: blocks of columns in parallel, each gathered into rows, transformed and
/// scattered back.
fn columns_in_place<T: Scratch>(
    fft: &Arc<dyn Fft<T>>,
    data: &mut [Complex<T>],
    n: usize,
    inner: usize,
    scale: T,
) {
    let bc = block_columns::<Complex<T>>(n);
    // Each block reads and writes only its own columns.
    let shared = Disjoint::new(data);
    (0..inner.div_ceil(bc)).into_par_iter().for_each(|b| {
        let (c0, w) = (b * bc, bc.min(inner - b * bc));
        // SAFETY: the block's columns c0..c0 + w of the n rows are read and written by this
        // task alone, and every index lies below n * inner = data.len().
        unsafe { column_block(&**fft, shared.at(0), shared, [n, inner, c0, w], scale) };
    });
}

/// Columns c0..c0 + w of `src` (n rows of `inner`) transformed, scaled, into the same
/// columns of `dst`, through the thread's buffers.
///
/// # Safety
/// Both hold those columns, `dst`'s are touched by this call alone, and `src`'s are not
/// written meanwhile except by this call (they may be `dst`'s).
unsafe fn column_block<T: Scratch>(
    fft: &dyn Fft<T>,
    src: *const Complex<T>,
    dst: Disjoint<Complex<T>>,
    [n, inner, c0, w]: [usize; 4],
    scale: T,
) {
    with_buffers(w * n, fft.get_inplace_scratch_len(), |cols, sc| {
        // SAFETY (both): the caller's.
        unsafe { gather(cols, src, n, inner, c0, w) };
        fft.process_with_scratch(cols, sc);
        scaled(cols, scale);
        unsafe { scatter(dst, cols, n, inner, c0, w) };
    });
}

/// `v` times `scale`, unless that is 1.
fn scaled<T: FftNum>(v: &mut [Complex<T>], scale: T) {
    if scale != T::one() {
        for z in v {
            *z = *z * scale;
        }
    }
}

/// `f(columns, scratch)`: `cols` elements for gathered columns and `scratch` for rustfft,
/// from the thread's kept buffer (allocating them per task cost a tenth of a 2^24-point
/// transform in page clearing).
fn with_buffers<T: Scratch, R>(
    cols: usize,
    scratch: usize,
    f: impl FnOnce(&mut [Complex<T>], &mut [Complex<T>]) -> R,
) -> R {
    T::with_scratch(cols + scratch, |buf| {
        let (c, s) = buf.split_at_mut(cols);
        f(c, s)
    })
}

/// Columns c0..c0 + w of `src` (n rows of `inner`) into the rows of `cols` (w rows of n), in
/// TILE x TILE tiles so that both sides touch few cache lines (the column stride is often a
/// multiple of 4 KiB, which aliases in L1); transposed in AVX-512 registers where
/// [`tiles_in_registers`] says so (2^24 points: 18% faster, 2026-11-23), else element by
/// element. Each row's lines are prefetched two tiles ahead:
/// rows far apart defeat the hardware prefetchers, and this made a 2^24-point transform
/// 13% faster (82 to 71 ms on the CI machine, 2026-11-22).
///
/// # Safety
/// `src` is valid for reads of the columns c0..c0 + w of n rows of `inner` elements, and no
/// other task writes them meanwhile.
unsafe fn gather<T: Copy>(
    cols: &mut [T],
    src: *const T,
    n: usize,
    inner: usize,
    c0: usize,
    w: usize,
) {
    const AHEAD: usize = 2 * TILE;
    #[cfg(target_arch = "x86_64")]
    if tiles_in_registers::<T>(n, w) {
        // SAFETY: the caller's, and `tiles_in_registers` checked the sizes and the CPU.
        unsafe {
            super::fft_avx512::transpose(src.add(c0), inner, cols.as_mut_ptr(), n, [n, w, AHEAD])
        };
        return;
    }
    let line = (64 / std::mem::size_of::<T>()).max(1);
    for (k0, b0) in tiles(n, w) {
        let (k1, b1) = ((k0 + TILE).min(n), (b0 + TILE).min(w));
        if b0 == 0 {
            for k in (k0 + AHEAD).min(n)..(k1 + AHEAD).min(n) {
                for c in (0..w).step_by(line) {
                    // SAFETY: inside the columns the caller vouches for.
                    prefetch(unsafe { src.add(k * inner + c0 + c) });
                }
            }
        }
        for c in b0..b1 {
            for k in k0..k1 {
                // SAFETY: as above.
                cols[c * n + k] = unsafe { *src.add(k * inner + c0 + c) };
            }
        }
    }
}

/// Whether [`gather`] and [`scatter`] can move n positions by w columns of T as tiles in
/// AVX-512 registers: complex f32 (8 x 8 tiles) or f64 (4 x 4), both sides whole tiles.
#[cfg(target_arch = "x86_64")]
fn tiles_in_registers<T>(n: usize, w: usize) -> bool {
    let size = std::mem::size_of::<T>();
    matches!(size, 8 | 16)
        && n.is_multiple_of(64 / size)
        && w.is_multiple_of(64 / size)
        && super::simd::isa() >= super::simd::Isa::Avx512
}

/// A hint that `p`'s cache line is read soon (nothing where there is no such instruction).
#[inline(always)]
fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch never faults, whatever the address.
    unsafe {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>(p.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// The rows of `cols` back into columns c0..c0 + w of `d` (n rows of `inner`), in tiles.
///
/// # Safety
/// Those columns lie in `d`'s slice and no other task touches them meanwhile.
unsafe fn scatter<T: Copy>(
    d: Disjoint<T>,
    cols: &[T],
    n: usize,
    inner: usize,
    c0: usize,
    w: usize,
) {
    #[cfg(target_arch = "x86_64")]
    if tiles_in_registers::<T>(n, w) {
        // SAFETY: the caller's, and `tiles_in_registers` checked the sizes and the CPU.
        unsafe { super::fft_avx512::transpose(cols.as_ptr(), n, d.at(c0), inner, [w, n, 0]) };
        return;
    }
    for (k0, b0) in tiles(n, w) {
        let (k1, b1) = ((k0 + TILE).min(n), (b0 + TILE).min(w));
        for k in k0..k1 {
            for c in b0..b1 {
                // SAFETY: the caller's.
                unsafe { *d.at(k * inner + c0 + c) = cols[c * n + k] };
            }
        }
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
    if inner == 1 {
        let rows = rows_per_task(n);
        let direct = T::has_own(n) && (std::mem::size_of_val(src) <= DIRECT_MAX || T::streams(n));
        let run = |(d, s): (&mut [Complex<T>], &[Complex<T>])| {
            if direct {
                let len = fft.get_immutable_scratch_len();
                T::with_scratch(len, |sc| fft.process_immutable_with_scratch(s, d, sc));
            } else {
                d.copy_from_slice(s);
                T::with_scratch(scratch_len, |sc| fft.process_with_scratch(d, sc));
            }
            scaled(d, scale);
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
    // Strided axis: per outer index, blocks of columns as contiguous rows.
    let bc = block_columns::<Complex<T>>(n);
    let blocks = inner.div_ceil(bc);
    if outer == 1 && blocks == 1 {
        // One task (see `one_task`), maybe on the caller's thread: no rayon.
        // SAFETY: the slab of n rows of `inner`; `src` is only read; dst is this call's alone.
        unsafe {
            column_block(
                &*fft,
                src.as_ptr(),
                Disjoint::new(dst),
                [n, inner, 0, inner],
                scale,
            )
        };
        return;
    }
    dst.par_chunks_mut(n * inner)
        .zip(src.par_chunks(n * inner))
        .flat_map(|(d, s)| {
            // Each block writes only its own columns of this outer slab.
            let d = Disjoint::new(d);
            (0..blocks).into_par_iter().map(move |b| (d, s, b))
        })
        .for_each(|(d, s, b)| {
            let (c0, w) = (b * bc, bc.min(inner - b * bc));
            // SAFETY: this slab holds n rows of `inner`; `s` is only read, and columns
            // c0..c0 + w of `d` are written by this block alone.
            unsafe { column_block(&*fft, s.as_ptr(), d, [n, inner, c0, w], scale) };
        });
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
/// inverse runs the same steps backwards. One long row (half length SPLIT_MIN or more) runs
/// its half transform four-step and its bins in parallel when there are several threads;
/// the inverse then needs `temp` (n reals) to merge the bins into.
#[allow(clippy::too_many_arguments)]
pub(crate) fn real(
    plans: &Plans,
    d: DType,
    src: &[u8],
    dst: &mut [u8],
    [rows, n]: [usize; 2],
    inverse: bool,
    scale: Scale,
    temp: Option<&mut [u8]>,
) {
    let s = scale.factor(n);
    let m = n / 2;
    let long = long_row(rows, n) && rayon::current_num_threads() > 1;
    let nn = if long { split(m) } else { None };
    let sp = nn.map(|nn| (nn, plans.roots(m)));
    match d {
        DType::C32 => real_typed(
            &plans.f32,
            sp,
            &half_twiddles(&plans.real_f32, n),
            src,
            dst,
            rows,
            inverse,
            s as f32,
            temp,
        ),
        _ => real_typed(
            &plans.f64,
            sp,
            &half_twiddles(&plans.real_f64, n),
            src,
            dst,
            rows,
            inverse,
            s,
            temp,
        ),
    }
}

/// Whether [`real`] makes one task of `rows` real rows of length n (see [`one_task`]).
pub(crate) fn real_one_task(rows: usize, n: usize, inverse: bool) -> bool {
    let row = if inverse { n } else { n / 2 + 1 };
    !long_row(rows, n) && rows <= rows_per_task(row)
}

/// Whether `rows` real rows of length n are one row long enough for four-step, which [`real`]
/// runs over the worker threads where there are several; its inverse then needs `temp`.
pub(crate) fn long_row(rows: usize, n: usize) -> bool {
    rows == 1 && n / 2 >= SPLIT_MIN
}

/// Four-step's split and roots, for one long row.
type Split = Option<((usize, usize), Arc<Vec<(f64, f64)>>)>;

#[allow(clippy::too_many_arguments)]
fn real_typed<T: Scratch + bytemuck::Pod>(
    plans: &Cache<T>,
    split: Split,
    tw: &[Complex<T>],
    src: &[u8],
    dst: &mut [u8],
    rows: usize,
    inverse: bool,
    scale: T,
    temp: Option<&mut [u8]>,
) where
    Complex<T>: bytemuck::Pod,
{
    let m = tw.len();
    match (split, inverse, temp) {
        (Some((nn, roots)), false, _) => {
            let (s, d): (&[Complex<T>], &mut [Complex<T>]) =
                (bytemuck::cast_slice(src), bytemuck::cast_slice_mut(dst));
            four_step(plans, &roots, &s[..m], &mut d[..m], 1, nn, false, T::one());
            split_bins(&mut d[..m + 1], tw, scale, true);
        }
        (Some((nn, roots)), true, Some(temp)) => {
            let (s, d): (&[Complex<T>], &mut [Complex<T>]) =
                (bytemuck::cast_slice(src), bytemuck::cast_slice_mut(dst));
            let z: &mut [Complex<T>] = &mut bytemuck::cast_slice_mut(temp)[..m];
            merge_bins(z, &s[..m + 1], tw, true);
            four_step(plans, &roots, z, &mut d[..m], 1, nn, true, scale);
        }
        (_, false, _) => real_forward(
            plan(plans, m, false),
            tw,
            bytemuck::cast_slice(src),
            bytemuck::cast_slice_mut(dst),
            rows,
            scale,
        ),
        (_, true, _) => real_inverse(
            plan(plans, m, true),
            tw,
            bytemuck::cast_slice(src),
            bytemuck::cast_slice_mut(dst),
            rows,
            scale,
        ),
    }
}

/// The pairs (k, m - k) for k in 1..=m/2, in parallel chunks where `parallel`: `f(k, j)`
/// may touch elements k and j only. Chunks of k are disjoint, and so are their mirrors;
/// a k meets a mirror only at k = m/2 = m - k, inside one chunk.
fn pairs(m: usize, parallel: bool, f: impl Fn(usize, usize) + Sync) {
    let each = |r: std::ops::Range<usize>| {
        for k in r {
            f(k, m - k);
        }
    };
    let last = m / 2 + 1;
    if parallel {
        const CHUNK: usize = 1 << 14;
        (0..(last - 1).div_ceil(CHUNK))
            .into_par_iter()
            .for_each(|c| each(1 + c * CHUNK..(1 + (c + 1) * CHUNK).min(last)));
    } else {
        each(1..last);
    }
}

/// The m + 1 bins of a real transform from the half transform Z in `d[..m]`, scaled: bins k
/// and m - k from `Z[k]` and `Z[m - k]`, the even samples' transform being
/// `(Z[k] + conj Z[m-k]) / 2` and the odd ones' `(Z[k] - conj Z[m-k]) / 2i`.
fn split_bins<T: FftNum>(d: &mut [Complex<T>], tw: &[Complex<T>], scale: T, parallel: bool) {
    let m = tw.len();
    let half = T::from_f64(0.5).expect("0.5 is a float");
    let z0 = d[0];
    d[0] = Complex::new(z0.re + z0.im, T::zero());
    d[m] = Complex::new(z0.re - z0.im, T::zero());
    let shared = Disjoint::new(d);
    pairs(m, parallel, |k, j| {
        // SAFETY: `pairs` hands out each k and j to one call only, both below m.
        let (dk, dj) = unsafe { (&mut *shared.at(k), &mut *shared.at(j)) };
        let (a, b) = (*dk, *dj);
        let even = (a + b.conj()) * half;
        let odd = (a - b.conj()) * half;
        *dk = even + mul_neg_i(tw[k] * odd);
        *dj = even.conj() + mul_neg_i(tw[j] * -odd.conj());
    });
    scaled(d, scale);
}

/// The half transform's input Z (m values into `z`) from the m + 1 bins `s` of a real
/// transform: `Z[k] = E[k] + i O[k]`, E the even outputs' spectrum `X[k] + conj X[m-k]`, O
/// the odd ones' `(X[k] - conj X[m-k]) exp(2 pi i k / n)`. The imaginary parts of `X[0]` and
/// `X[m]` are ignored, as a real signal's spectrum has none there.
fn merge_bins<T: FftNum>(
    z: &mut [Complex<T>],
    s: &[Complex<T>],
    tw: &[Complex<T>],
    parallel: bool,
) {
    let m = tw.len();
    let (x0, xm) = (s[0].re, s[m].re);
    z[0] = Complex::new(x0 + xm, x0 - xm);
    let shared = Disjoint::new(z);
    pairs(m, parallel, |k, j| {
        let (a, b) = (s[k], s[j]);
        // SAFETY: `pairs` hands out each k and j to one call only, both below m.
        unsafe {
            *shared.at(k) = (a + b.conj()) - mul_neg_i((a - b.conj()) * tw[k].conj());
            *shared.at(j) = (b + a.conj()) - mul_neg_i((b - a.conj()) * tw[j].conj());
        }
    });
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
    let per = rows_per_task(dst_row);
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
    rows_of(dst, m + 1, src, 2 * m, rows, |d, s| {
        for (z, p) in d[..m].iter_mut().zip(s.chunks_exact(2)) {
            *z = Complex::new(p[0], p[1]);
        }
        T::with_scratch(scratch_len, |sc| fft.process_with_scratch(&mut d[..m], sc));
        split_bins(d, tw, scale, false);
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
        merge_bins(z, s, tw, false);
        T::with_scratch(scratch_len, |sc| fft.process_with_scratch(z, sc));
        if scale != T::one() {
            for v in d.iter_mut() {
                *v = *v * scale;
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Relative L2 distance of `a` from `b`.
    fn distance<T: FftNum + Into<f64>>(a: &[Complex<T>], b: &[Complex<f64>]) -> f64 {
        let (mut num, mut den) = (0.0, 0.0);
        for (x, y) in a.iter().zip(b) {
            let d = Complex::new(x.re.into() - y.re, x.im.into() - y.im);
            num += d.norm_sqr();
            den += y.norm_sqr();
        }
        (num / den).sqrt()
    }

    /// The single 2^20- and 2^24-point transforms over every thread (our own AVX-512
    /// kernels' passes) against rustfft's in f64, forward and inverse, through `run` as
    /// the backend calls it.
    #[test]
    fn spread_transforms_match_rustfft_in_f64() {
        for n in [1usize << 20, 1 << 24] {
            if !f32::spreads(n) {
                eprintln!("no AVX-512F here: {n} points run four-step");
                continue;
            }
            let x: Vec<Complex<f64>> = (0..n)
                .map(|i| {
                    let h = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
                    Complex::new(
                        (h & 0xFFF) as f64 / 2048.0 - 1.0,
                        (h >> 12) as f64 / 2048.0 - 1.0,
                    )
                })
                .collect();
            let xs: Vec<Complex<f32>> = x
                .iter()
                .map(|z| Complex::new(z.re as f32, z.im as f32))
                .collect();
            let plans = Plans::new();
            let whole = Mutex::new((FftPlanner::<f64>::new(), HashMap::new()));
            let mut forward = x.clone();
            shared_plan(&whole, n, false).process(&mut forward);
            for inverse in [false, true] {
                // The inverse sum is the forward one at -k: no second f64 transform (15 s
                // for 2^24 in a debug build).
                let want: Vec<Complex<f64>> = if inverse {
                    (0..n).map(|k| forward[(n - k) % n] / n as f64).collect()
                } else {
                    forward.clone()
                };
                let mut got = vec![Complex::new(0.0f32, 0.0); n];
                let scale = if inverse { Scale::InvN } else { Scale::One };
                let (s, d) = (
                    bytemuck::cast_slice(&xs),
                    bytemuck::cast_slice_mut(&mut got),
                );
                // One row: fewer than the threads wherever there are two.
                run(&plans, DType::C32, s, d, [1, n, 1], inverse, scale);
                let e = distance(&got, &want);
                assert!(e <= 5e-7, "{n} points, inverse {inverse}: {e:e}");
            }
        }
    }

    /// Four-step against rustfft's whole-length transform in f64, in f32 and f64, forward and
    /// inverse, scaled, over two rows: square, oblong and non-power-of-two splits.
    #[test]
    fn four_step_matches_whole_length_transforms() {
        fn check<T: Scratch + Into<f64>>(plans: &Cache<T>, tol: f64) {
            let whole = Mutex::new((FftPlanner::<f64>::new(), HashMap::new()));
            for n in [4096usize, 6000, 1 << 15, 7 * 11 * 13 * 16] {
                let nn = split(n).expect("these lengths split");
                assert_eq!(nn.0 * nn.1, n);
                let x: Vec<Complex<f64>> = (0..2 * n)
                    .map(|i| Complex::new((i % 97) as f64 / 48.0 - 1.0, (i % 13) as f64 / 6.0))
                    .collect();
                let xt: Vec<Complex<T>> = x
                    .iter()
                    .map(|z| Complex::new(T::from_f64(z.re).unwrap(), T::from_f64(z.im).unwrap()))
                    .collect();
                for inverse in [false, true] {
                    let scale = if inverse { 1.0 / n as f64 } else { 1.0 };
                    let mut want = x.clone();
                    for row in want.chunks_mut(n) {
                        shared_plan(&whole, n, inverse).process(row);
                        row.iter_mut().for_each(|z| *z *= scale);
                    }
                    let mut got = vec![Complex::new(T::zero(), T::zero()); 2 * n];
                    let roots = root_table(n);
                    let s = T::from_f64(scale).unwrap();
                    four_step(plans, &roots, &xt, &mut got, 2, nn, inverse, s);
                    let e = distance(&got, &want);
                    assert!(e <= tol, "n = {n} as {nn:?}, inverse {inverse}: {e:e}");
                }
            }
        }
        let plans = Plans::new();
        check(&plans.f32, 3e-7);
        check(&plans.f64, 1e-15);
    }

    /// A real transform of one row whose half transform runs over every thread (four-step,
    /// or our own kernel's passes), with its bins split and merged in parallel chunks, gives
    /// the plain path's bins, and back, in f32 and f64.
    #[test]
    fn real_transforms_over_every_thread_match_the_plain_path() {
        fn check<T: Scratch + bytemuck::Pod + Into<f64>>(
            cache: &Cache<T>,
            plans: &Plans,
            n: usize,
            tol: f64,
        ) where
            Complex<T>: bytemuck::Pod,
        {
            let m = n / 2;
            let tw = half_twiddles(&Twiddles::<T>::default(), n);
            let x: Vec<T> = (0..n)
                .map(|i| T::from_f64((i % 89) as f64 / 44.0 - 1.0).unwrap())
                .collect();
            let sp = || split(m).map(|nn| (nn, plans.roots(m)));
            let bytes = |v: &[T]| bytemuck::cast_slice::<T, u8>(v).to_vec();
            let one = T::one();
            let (mut want, mut got) = (vec![0u8; (m + 1) * 16], vec![0u8; (m + 1) * 16]);
            let size = std::mem::size_of::<Complex<T>>();
            let (want, got) = (&mut want[..(m + 1) * size], &mut got[..(m + 1) * size]);
            real_typed(cache, None, &tw, &bytes(&x), want, 1, false, one, None);
            real_typed(cache, sp(), &tw, &bytes(&x), got, 1, false, one, None);
            let wide = |v: &[u8]| -> Vec<Complex<f64>> {
                let v: &[Complex<T>] = bytemuck::cast_slice(v);
                v.iter()
                    .map(|z| Complex::new(z.re.into(), z.im.into()))
                    .collect()
            };
            let e = distance(bytemuck::cast_slice::<u8, Complex<T>>(got), &wide(want));
            assert!(e <= tol, "forward {}: {e:e}", std::any::type_name::<T>());
            let s = T::from_f64(1.0 / n as f64).unwrap();
            let (mut back1, mut back2) = (vec![0u8; n * size / 2], vec![0u8; n * size / 2]);
            let mut temp = vec![0u8; n * size / 2];
            real_typed(cache, None, &tw, want, &mut back1, 1, true, s, None);
            real_typed(
                cache,
                sp(),
                &tw,
                want,
                &mut back2,
                1,
                true,
                s,
                Some(&mut temp),
            );
            let e = distance(
                bytemuck::cast_slice::<u8, Complex<T>>(&back2),
                &wide(&back1),
            );
            assert!(e <= tol, "inverse {}: {e:e}", std::any::type_name::<T>());
            let e = distance(
                bytemuck::cast_slice::<u8, Complex<T>>(&back2),
                &wide(&bytes(&x)),
            );
            assert!(
                e <= 2.0 * tol,
                "round trip {}: {e:e}",
                std::any::type_name::<T>()
            );
        }
        let plans = Plans::new();
        // m = 40000 > 2^15: more than one parallel chunk of pairs.
        check(&plans.f32, &plans, 80_000, 3e-7);
        check(&plans.f64, &plans, 80_000, 1e-15);
        // A half length of 2^20 runs our own kernel's passes over every thread, where the
        // CPU has AVX-512F (the plain path: rustfft).
        check(&plans.f32, &plans, 1 << 21, 5e-7);
    }

    /// Lengths split as near the square root as a divisor allows, or not at all.
    #[test]
    fn lengths_split_near_the_square_root() {
        assert_eq!(split(1 << 24), Some((4096, 4096)));
        assert_eq!(split(1 << 21), Some((1024, 2048)));
        assert_eq!(split(1_000_000), Some((1000, 1000)));
        assert_eq!(split(6000), Some((75, 80)));
        // A prime, and twice a large prime: rustfft's own algorithms instead.
        assert_eq!(split(1_048_573), None);
        assert_eq!(split(2 * 524_309), None);
    }

    /// The caller runs exactly the calls that `run` and `real` would make one task of.
    #[test]
    fn one_task_matches_the_task_split() {
        let c32 = DType::C32;
        // Rows: TASK elements a task, whole rows, at least one.
        assert!(one_task(c32, [8, 4096, 1]));
        assert!(!one_task(c32, [9, 4096, 1]));
        assert!(one_task(c32, [32, 1024, 1]));
        assert!(!one_task(c32, [33, 1024, 1]));
        assert!(one_task(c32, [1, SPLIT_MIN / 2, 1]));
        assert!(!one_task(c32, [2, SPLIT_MIN / 2, 1]));
        // Long rows run four-step or the spread kernels over the workers.
        assert!(!one_task(c32, [1, SPLIT_MIN, 1]));
        // Strided axes: one block of columns in one slab.
        assert!(one_task(c32, [1, 64, 64]));
        assert!(!one_task(c32, [1, 64, 65]));
        assert!(!one_task(c32, [2, 64, 8]));
        assert!(one_task(DType::C64, [1, 1024, 16]));
        assert!(!one_task(DType::C64, [1, 1024, 17]));
        // Real rows: the complex half plus one bin forward, the reals inverse.
        assert!(real_one_task(63, 1024, false));
        assert!(!real_one_task(64, 1024, false));
        assert!(real_one_task(32, 1024, true));
        assert!(!real_one_task(33, 1024, true));
        assert!(!real_one_task(1, 2 * SPLIT_MIN, false));
    }
}
