//! CPU side of the fractals: rows in parallel (rayon), each row in blocks of 32 pixels whose
//! iterations run in lockstep over plain arrays, so that the compiler turns every step into
//! 8-lane vectors in flight; a block stops when all its lanes have escaped. On x86_64 the
//! escape loop is written with intrinsics instead (module `avx2`: one loop generic over
//! AVX2 and AVX-512 vectors of f32 and f64, which keeps one-vector segments in flight and
//! refills a slot as soon as its segment is done). The same arithmetic as the WGSL and CUDA
//! kernels, with no fused multiply-adds: Vulkan drivers may run WGSL's `fma` unfused
//! (lavapipe does) and may not, so only plain products and sums give every device the same
//! roundings and the same orbits.

use std::ops::{Add, Mul, Sub};

use rayon::prelude::*;

use super::elementwise::{Body, exec};
use super::vmath::{ln_f32, log2_f32_approx};
use crate::element::DType;
use crate::fractal::FractalJob;

/// Pixels per block (four AVX2 vectors of f32).
const LANES: usize = 32;
/// |z|^2 above which a point has escaped (a large radius keeps smooth colouring smooth).
pub(crate) const BAILOUT: f64 = 65536.0;
/// Lyapunov: products of this many derivatives are taken before one logarithm.
pub(crate) const LOG_EVERY: u32 = 8;
/// Lyapunov: the floor of a product before its logarithm (superstable points).
pub(crate) const PRODUCT_FLOOR: f32 = 1e-30;

trait Real:
    Copy + Send + Sync + PartialOrd + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self>
{
    fn of(v: f64) -> Self;
    fn f32(self) -> f32;
}
impl Real for f32 {
    #[inline(always)]
    fn of(v: f64) -> f32 {
        v as f32
    }
    #[inline(always)]
    fn f32(self) -> f32 {
        self
    }
}
impl Real for f64 {
    #[inline(always)]
    fn of(v: f64) -> f64 {
        v
    }
    #[inline(always)]
    fn f32(self) -> f32 {
        self as f32
    }
}

/// Renders `job` into `values` and `counts` (one f32 and one u32 per pixel).
pub(crate) fn run(job: &FractalJob, values: &mut [u8], counts: &mut [u8]) {
    let (width, height) = match *job {
        FractalJob::Escape { width, height, .. } | FractalJob::Lyapunov { width, height, .. } => {
            (width, height)
        }
    };
    let values: &mut [f32] = &mut bytemuck::cast_slice_mut(values)[..width * height];
    let counts: &mut [u32] = &mut bytemuck::cast_slice_mut(counts)[..width * height];
    #[cfg(target_arch = "x86_64")]
    if let FractalJob::Escape { .. } = *job
        && avx2::available()
    {
        let rows = avx2::ROWS_PER_TASK;
        let wide = avx2::has_avx512();
        values
            .par_chunks_mut(width * rows)
            .zip(counts.par_chunks_mut(width * rows))
            .enumerate()
            // SAFETY: the CPU has AVX2 with FMA (checked above), and AVX-512F where `wide`.
            .for_each(|(t, (v, c))| unsafe { avx2::rows_simd(job, t * rows, v, c, wide) });
        return;
    }
    values
        .par_chunks_mut(width)
        .zip(counts.par_chunks_mut(width))
        .enumerate()
        .for_each(|(row, (v, c))| {
            for (b, (vb, cb)) in v.chunks_mut(LANES).zip(c.chunks_mut(LANES)).enumerate() {
                let col0 = b * LANES;
                match *job {
                    FractalJob::Escape {
                        dtype: DType::F64, ..
                    } => exec(Escape::<f64> {
                        job,
                        row,
                        col0,
                        values: vb,
                        counts: cb,
                        _t: Default::default(),
                    }),
                    FractalJob::Escape { .. } => exec(Escape::<f32> {
                        job,
                        row,
                        col0,
                        values: vb,
                        counts: cb,
                        _t: Default::default(),
                    }),
                    FractalJob::Lyapunov { .. } => exec(Lyapunov {
                        job,
                        row,
                        col0,
                        values: vb,
                        counts: cb,
                    }),
                }
            }
        });
}

struct Escape<'a, T> {
    job: &'a FractalJob,
    row: usize,
    col0: usize,
    values: &'a mut [f32],
    counts: &'a mut [u32],
    _t: std::marker::PhantomData<T>,
}

/// The starting orbit of a block: z and c per lane (Mandelbrot: z = 0, c the pixel; Julia:
/// z the pixel, c given), the pixel's coordinates computed in T from the f64 view.
#[inline(always)]
fn start<T: Real, const L: usize>(job: &FractalJob, row: usize, col0: usize) -> [[T; L]; 4] {
    let FractalJob::Escape {
        x0,
        y1,
        dx,
        dy,
        julia,
        ..
    } = *job
    else {
        return [[T::of(0.0); L]; 4];
    };
    let [mut x, mut y, mut cx, mut cy] = [[T::of(0.0); L]; 4];
    let py = T::of(y1) - T::of(row as f64 + 0.5) * T::of(dy);
    for j in 0..L {
        // Through u32 (exact: rows hold fewer than 2^32 pixels) so that it vectorises.
        let px = T::of((col0 + j) as u32 as f64 + 0.5) * T::of(dx) + T::of(x0);
        match julia {
            Some((jx, jy)) => {
                (x[j], y[j], cx[j], cy[j]) = (px, py, T::of(jx), T::of(jy));
            }
            None => {
                (cx[j], cy[j]) = (px, py);
            }
        }
    }
    [x, y, cx, cy]
}

/// The smooth value of a pixel that ran `n` iterations and left with `r2` = |z|^2:
/// n + 1 - log2(ln |z|), clamped at 0, and -1 for a pixel that never escaped. With
/// ln |z| = log2(r2) ln(2) / 2, that is n + 1 - log2(ln(2) / 2) - log2(log2(r2)); the
/// division-free log2 is within 1.5e-7, far below what colours show.
#[inline(always)]
fn smooth(n: u32, r2: f32, max_iter: u32) -> f32 {
    // 1 - log2(ln(2) / 2)
    const OFFSET: f32 = 2.528_766_4;
    let s = n as f32 + OFFSET - log2_f32_approx(log2_f32_approx(r2));
    if n == max_iter { -1.0 } else { s.max(0.0) }
}

/// Counts and smooth values of a block from its iteration counts and |z|^2 at escape,
/// computed for all LANES (the block's first `values.len()` are kept). Branch-free, with a
/// division-free log2 in place of libm's logarithms, so that it vectorises inside the SIMD
/// loops' features.
#[inline(always)]
fn finish<T: Real>(
    values: &mut [f32],
    counts: &mut [u32],
    r2: &[T; LANES],
    n: &[u32; LANES],
    max_iter: u32,
) {
    // A plain loop over a fixed count: it vectorises (`array::from_fn` did not).
    let mut v = [0f32; LANES];
    for j in 0..LANES {
        v[j] = smooth(n[j], r2[j].f32(), max_iter);
    }
    let len = values.len();
    values.copy_from_slice(&v[..len]);
    counts.copy_from_slice(&n[..len]);
}

impl<T: Real> Body for Escape<'_, T> {
    #[inline(always)]
    fn body(self) {
        let FractalJob::Escape { max_iter, .. } = *self.job else {
            return;
        };
        let bail = T::of(BAILOUT);
        let [mut x, mut y, cx, cy] = start::<T, LANES>(self.job, self.row, self.col0);
        let mut n = [0u32; LANES];
        let mut alive = [true; LANES];
        let mut it = 0;
        while it < max_iter {
            let steps = (max_iter - it).min(8);
            for _ in 0..steps {
                for j in 0..LANES {
                    let (xx, yy) = (x[j] * x[j], y[j] * y[j]);
                    // Written as the GPUs' `if (r2 > bailout) break`, so NaN continues alike.
                    #[allow(clippy::neg_cmp_op_on_partial_ord)]
                    let a = alive[j] && !(xx + yy > bail);
                    let ny = (x[j] + x[j]) * y[j] + cy[j];
                    let nx = (xx - yy) + cx[j];
                    x[j] = if a { nx } else { x[j] };
                    y[j] = if a { ny } else { y[j] };
                    n[j] += a as u32;
                    alive[j] = a;
                }
            }
            it += steps;
            if !alive.iter().any(|&a| a) {
                break;
            }
        }
        let r2 = std::array::from_fn(|j| x[j] * x[j] + y[j] * y[j]);
        finish(self.values, self.counts, &r2, &n, max_iter);
    }
}

/// The escape loop written with AVX2 and AVX-512 intrinsics (f32 and f64), with the same
/// products and sums in the same order as the portable loop (no FMA), so the counts and |z|^2
/// at escape are bit for bit the same. Unlike the portable loop, escaped lanes keep iterating
/// (their z runs off to infinity and NaN, which costs nothing on these units) instead of being
/// frozen by a blend: that takes the lane mask off the orbit's critical path, leaving a
/// multiply and two adds per step, so the vectors in flight cover its latency. |z|^2 is
/// caught in the step a lane escapes, and the mask only gates the count.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    use super::{BAILOUT, Real, smooth, start};
    use crate::backend::cpu::simd::{Isa, isa};
    use crate::element::DType;
    use crate::fractal::FractalJob;

    /// Whether [`rows256`] can run here.
    pub(super) fn available() -> bool {
        isa() >= Isa::Avx2
    }

    /// Whether [`rows512`] can run here.
    pub(super) fn has_avx512() -> bool {
        isa() >= Isa::Avx512
    }

    /// Steps run between escape tests where orbits are monotone past the bailout.
    const CHUNK: u32 = 8;

    /// Whether every orbit of `job` keeps growing once |z|^2 passes the bailout (256^2), so
    /// that one test at the end of a chunk sees every escape inside it. |z| > max(2, |c|)
    /// implies |z^2 + c| >= |z|^2 - |c| > |z|; Mandelbrot orbits start at z1 = c, so this
    /// holds for any c, and Julia orbits for |c| <= 256 (255 here, a margin for rounding).
    /// For a Julia c beyond that, an escaped z can land back inside the radius.
    fn monotone(job: &FractalJob) -> bool {
        match *job {
            FractalJob::Escape { julia, .. } => julia.is_none_or(|(jx, jy)| jx.hypot(jy) <= 255.0),
            FractalJob::Lyapunov { .. } => false,
        }
    }

    /// Rows per task of the SIMD loops.
    pub(super) const ROWS_PER_TASK: usize = 4;

    /// One SIMD vector of the escape loop's real type, so that [`rows`] is written once for
    /// AVX-512 (`__m512`, `__m512d`: masks in mask registers) and AVX2 (`__m256`, `__m256d`:
    /// masks as all-ones lanes).
    ///
    /// # Safety
    /// Every method needs the instruction set of its type (AVX-512F, or AVX2); `load` and
    /// `store` need L readable or writable elements.
    pub(super) trait Wide: Copy {
        /// The lanes' type.
        type T: Real;
        /// A set of lanes.
        type M: Copy;
        /// A u32 count per lane (in wider lanes where the vector's are wider).
        type N: Copy;
        /// Lanes per vector (at most 16).
        const L: usize;
        /// Every lane `v`.
        unsafe fn splat(v: f64) -> Self;
        unsafe fn load(p: *const Self::T) -> Self;
        unsafe fn store(self, p: *mut Self::T);
        unsafe fn add(self, o: Self) -> Self;
        unsafe fn sub(self, o: Self) -> Self;
        unsafe fn mul(self, o: Self) -> Self;
        /// The lanes of `m` where !(self > b): true for NaN.
        unsafe fn not_gt(self, m: Self::M, b: Self) -> Self::M;
        /// The lanes of `m` where !(self <= b): true for NaN.
        unsafe fn not_le(self, m: Self::M, b: Self) -> Self::M;
        /// `o` in the lanes of `m`, `self` elsewhere.
        unsafe fn select(self, m: Self::M, o: Self) -> Self;
        /// The first `n` lanes (n <= L).
        unsafe fn first(n: usize) -> Self::M;
        unsafe fn any(m: Self::M) -> bool;
        /// The lanes of `a` that are not in `b`.
        unsafe fn minus(a: Self::M, b: Self::M) -> Self::M;
        unsafe fn same(a: Self::M, b: Self::M) -> bool;
        /// Counts of zero.
        unsafe fn zero_counts() -> Self::N;
        /// `n` plus one in the lanes of `m`.
        unsafe fn tick(n: Self::N, m: Self::M) -> Self::N;
        /// `n` plus `k` in the lanes of `m`.
        unsafe fn count(n: Self::N, m: Self::M, k: u32) -> Self::N;
        /// The first L counts into `out`.
        unsafe fn store_counts(n: Self::N, out: &mut [u32; 16]);
    }

    /// The arithmetic methods of a [`Wide`] impl, from its intrinsics.
    macro_rules! arith {
        ($feat:literal, $t:ty, $set1:ident, $load:ident, $store:ident,
         $add:ident, $sub:ident, $mul:ident) => {
            type T = $t;
            #[inline]
            #[target_feature(enable = $feat)]
            unsafe fn splat(v: f64) -> Self {
                $set1(v as $t)
            }
            #[inline]
            #[target_feature(enable = $feat)]
            unsafe fn load(p: *const $t) -> Self {
                // SAFETY: the caller's (the trait's contract).
                unsafe { $load(p) }
            }
            #[inline]
            #[target_feature(enable = $feat)]
            unsafe fn store(self, p: *mut $t) {
                // SAFETY: the caller's (the trait's contract).
                unsafe { $store(p, self) }
            }
            #[inline]
            #[target_feature(enable = $feat)]
            unsafe fn add(self, o: Self) -> Self {
                $add(self, o)
            }
            #[inline]
            #[target_feature(enable = $feat)]
            unsafe fn sub(self, o: Self) -> Self {
                $sub(self, o)
            }
            #[inline]
            #[target_feature(enable = $feat)]
            unsafe fn mul(self, o: Self) -> Self {
                $mul(self, o)
            }
        };
    }

    /// The mask and count methods of the AVX-512 impls: masks in a u16 (the low L bits),
    /// counts in the 32-bit lanes of a 512-bit vector.
    macro_rules! masks512 {
        ($feat:literal) => {
            type M = u16;
            type N = __m512i;
            #[inline]
            #[target_feature(enable = $feat)]
            unsafe fn first(n: usize) -> u16 {
                ((1u32 << n) - 1) as u16
            }
            #[inline]
            #[target_feature(enable = $feat)]
            unsafe fn any(m: u16) -> bool {
                m != 0
            }
            #[inline]
            #[target_feature(enable = $feat)]
            unsafe fn minus(a: u16, b: u16) -> u16 {
                a & !b
            }
            #[inline]
            #[target_feature(enable = $feat)]
            unsafe fn same(a: u16, b: u16) -> bool {
                a == b
            }
            #[inline]
            #[target_feature(enable = $feat)]
            unsafe fn zero_counts() -> __m512i {
                _mm512_setzero_si512()
            }
            #[inline]
            #[target_feature(enable = $feat)]
            unsafe fn tick(n: __m512i, m: u16) -> __m512i {
                _mm512_mask_add_epi32(n, m, n, _mm512_set1_epi32(1))
            }
            #[inline]
            #[target_feature(enable = $feat)]
            unsafe fn count(n: __m512i, m: u16, k: u32) -> __m512i {
                _mm512_mask_add_epi32(n, m, n, _mm512_set1_epi32(k as i32))
            }
            #[inline]
            #[target_feature(enable = $feat)]
            unsafe fn store_counts(n: __m512i, out: &mut [u32; 16]) {
                // SAFETY: `out` holds 16 u32.
                unsafe { _mm512_storeu_si512(out.as_mut_ptr().cast(), n) }
            }
        };
    }

    /// The compare and select methods of the AVX-512 impls, whose masks have `$k` bits.
    macro_rules! cmp512 {
        ($cmp:ident, $mov:ident, $k:ty) => {
            #[inline]
            #[target_feature(enable = "avx512f")]
            unsafe fn not_gt(self, m: u16, b: Self) -> u16 {
                $cmp::<_CMP_NGT_UQ>(m as $k, self, b) as u16
            }
            #[inline]
            #[target_feature(enable = "avx512f")]
            unsafe fn not_le(self, m: u16, b: Self) -> u16 {
                $cmp::<_CMP_NLE_UQ>(m as $k, self, b) as u16
            }
            #[inline]
            #[target_feature(enable = "avx512f")]
            unsafe fn select(self, m: u16, o: Self) -> Self {
                $mov(self, m as $k, o)
            }
        };
    }

    /// The mask methods the AVX2 impls share (masks as all-ones lanes of the vector type).
    macro_rules! masks256 {
        ($m:ty, $and:ident, $andnot:ident, $cmp:ident, $blend:ident, $movemask:ident) => {
            type M = $m;
            #[inline]
            #[target_feature(enable = "avx2")]
            unsafe fn not_gt(self, m: $m, b: Self) -> $m {
                $and(m, $cmp::<_CMP_NGT_UQ>(self, b))
            }
            #[inline]
            #[target_feature(enable = "avx2")]
            unsafe fn not_le(self, m: $m, b: Self) -> $m {
                $and(m, $cmp::<_CMP_NLE_UQ>(self, b))
            }
            #[inline]
            #[target_feature(enable = "avx2")]
            unsafe fn select(self, m: $m, o: Self) -> Self {
                $blend(self, o, m)
            }
            #[inline]
            #[target_feature(enable = "avx2")]
            unsafe fn any(m: $m) -> bool {
                $movemask(m) != 0
            }
            #[inline]
            #[target_feature(enable = "avx2")]
            unsafe fn minus(a: $m, b: $m) -> $m {
                $andnot(b, a)
            }
            #[inline]
            #[target_feature(enable = "avx2")]
            unsafe fn same(a: $m, b: $m) -> bool {
                $movemask(a) == $movemask(b)
            }
            #[inline]
            #[target_feature(enable = "avx2")]
            unsafe fn zero_counts() -> __m256i {
                _mm256_setzero_si256()
            }
        };
    }

    impl Wide for __m512 {
        arith!(
            "avx512f",
            f32,
            _mm512_set1_ps,
            _mm512_loadu_ps,
            _mm512_storeu_ps,
            _mm512_add_ps,
            _mm512_sub_ps,
            _mm512_mul_ps
        );
        masks512!("avx512f");
        const L: usize = 16;
        cmp512!(_mm512_mask_cmp_ps_mask, _mm512_mask_mov_ps, u16);
    }

    impl Wide for __m512d {
        arith!(
            "avx512f",
            f64,
            _mm512_set1_pd,
            _mm512_loadu_pd,
            _mm512_storeu_pd,
            _mm512_add_pd,
            _mm512_sub_pd,
            _mm512_mul_pd
        );
        masks512!("avx512f");
        const L: usize = 8;
        cmp512!(_mm512_mask_cmp_pd_mask, _mm512_mask_mov_pd, u8);
    }

    impl Wide for __m256 {
        arith!(
            "avx2",
            f32,
            _mm256_set1_ps,
            _mm256_loadu_ps,
            _mm256_storeu_ps,
            _mm256_add_ps,
            _mm256_sub_ps,
            _mm256_mul_ps
        );
        masks256!(
            __m256,
            _mm256_and_ps,
            _mm256_andnot_ps,
            _mm256_cmp_ps,
            _mm256_blendv_ps,
            _mm256_movemask_ps
        );
        type N = __m256i;
        const L: usize = 8;
        #[inline]
        #[target_feature(enable = "avx2")]
        unsafe fn first(n: usize) -> __m256 {
            let lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
            _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32(n as i32), lane))
        }
        #[inline]
        #[target_feature(enable = "avx2")]
        unsafe fn tick(n: __m256i, m: __m256) -> __m256i {
            // A lane of `m` is -1 as an integer.
            _mm256_sub_epi32(n, _mm256_castps_si256(m))
        }
        #[inline]
        #[target_feature(enable = "avx2")]
        unsafe fn count(n: __m256i, m: __m256, k: u32) -> __m256i {
            let k = _mm256_and_si256(_mm256_castps_si256(m), _mm256_set1_epi32(k as i32));
            _mm256_add_epi32(n, k)
        }
        #[inline]
        #[target_feature(enable = "avx2")]
        unsafe fn store_counts(n: __m256i, out: &mut [u32; 16]) {
            // SAFETY: `out` holds 16 >= 8 u32.
            unsafe { _mm256_storeu_si256(out.as_mut_ptr().cast(), n) }
        }
    }

    impl Wide for __m256d {
        arith!(
            "avx2",
            f64,
            _mm256_set1_pd,
            _mm256_loadu_pd,
            _mm256_storeu_pd,
            _mm256_add_pd,
            _mm256_sub_pd,
            _mm256_mul_pd
        );
        masks256!(
            __m256d,
            _mm256_and_pd,
            _mm256_andnot_pd,
            _mm256_cmp_pd,
            _mm256_blendv_pd,
            _mm256_movemask_pd
        );
        /// Counts in 64-bit lanes.
        type N = __m256i;
        const L: usize = 4;
        #[inline]
        #[target_feature(enable = "avx2")]
        unsafe fn first(n: usize) -> __m256d {
            let lane = _mm256_setr_epi64x(0, 1, 2, 3);
            _mm256_castsi256_pd(_mm256_cmpgt_epi64(_mm256_set1_epi64x(n as i64), lane))
        }
        #[inline]
        #[target_feature(enable = "avx2")]
        unsafe fn tick(n: __m256i, m: __m256d) -> __m256i {
            _mm256_sub_epi64(n, _mm256_castpd_si256(m))
        }
        #[inline]
        #[target_feature(enable = "avx2")]
        unsafe fn count(n: __m256i, m: __m256d, k: u32) -> __m256i {
            let k = _mm256_and_si256(_mm256_castpd_si256(m), _mm256_set1_epi64x(k as i64));
            _mm256_add_epi64(n, k)
        }
        #[inline]
        #[target_feature(enable = "avx2")]
        unsafe fn store_counts(n: __m256i, out: &mut [u32; 16]) {
            let mut wide = [0u64; 4];
            // SAFETY: `wide` holds 4 u64.
            unsafe { _mm256_storeu_si256(wide.as_mut_ptr().cast(), n) };
            for (o, w) in out.iter_mut().zip(wide) {
                // Counts never exceed max_iter, a u32.
                *o = w as u32;
            }
        }
    }

    /// The escape loop over the rows of `values` from `row0` for the job's dtype, with
    /// AVX-512 where `wide`, else AVX2.
    ///
    /// # Safety
    /// The CPU must have AVX2 and FMA, and AVX-512F where `wide`.
    pub(super) unsafe fn rows_simd(
        job: &FractalJob,
        row0: usize,
        values: &mut [f32],
        counts: &mut [u32],
        wide: bool,
    ) {
        let FractalJob::Escape { dtype, .. } = *job else {
            return;
        };
        // SAFETY: the caller's.
        unsafe {
            match (dtype, wide) {
                (DType::F64, true) => rows512::<__m512d>(job, row0, values, counts),
                (_, true) => rows512::<__m512>(job, row0, values, counts),
                (DType::F64, false) => rows256::<__m256d>(job, row0, values, counts),
                (_, false) => rows256::<__m256>(job, row0, values, counts),
            }
        }
    }

    /// [`rows`] with AVX-512: four segments in flight cover the step's latency and keep its
    /// two add and two multiply pipes busy.
    ///
    /// # Safety
    /// The CPU must have AVX-512F.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn rows512<W: Wide>(
        job: &FractalJob,
        row0: usize,
        values: &mut [f32],
        counts: &mut [u32],
    ) {
        // SAFETY: the caller's.
        unsafe { rows::<W, 4>(job, row0, values, counts) }
    }

    /// [`rows`] with AVX2.
    ///
    /// # Safety
    /// The CPU must have AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn rows256<W: Wide>(
        job: &FractalJob,
        row0: usize,
        values: &mut [f32],
        counts: &mut [u32],
    ) {
        // SAFETY: the caller's.
        unsafe { rows::<W, SLOTS256>(job, row0, values, counts) }
    }

    /// Segments in flight in the AVX2 loop: a 256-bit step takes two cycles on two add pipes
    /// against a latency of about nine, so five cover it where four left in-set views 8%
    /// slower (Zen 4 limited to AVX2 by STREAMCORE_CPU_ISA, 2026-11-22; three and six were
    /// slower).
    const SLOTS256: usize = 5;

    /// The escape loop over `values.len() / width` whole rows from `row0`, with vectors `W`:
    /// each row is cut into segments of one vector of pixels, S segments iterate at once,
    /// and a segment whose lanes have all escaped (or reached the limit) is written out and
    /// its slot given the next segment, so that no slot idles while others iterate. Where
    /// orbits are [`monotone`], steps run in chunks of CHUNK with one escape test a chunk
    /// (see the loop). Counts and |z|^2 at escape are bit for bit the portable loop's.
    ///
    /// # Safety
    /// The CPU must have W's instruction set; inlined into a function compiled for it.
    #[inline(always)]
    unsafe fn rows<W: Wide, const S: usize>(
        job: &FractalJob,
        row0: usize,
        values: &mut [f32],
        counts: &mut [u32],
    ) {
        let FractalJob::Escape {
            width, max_iter, ..
        } = *job
        else {
            return;
        };
        let l = W::L;
        let per_row = width.div_ceil(l);
        let total = values.len() / width * per_row;
        let monotone = monotone(job);
        // SAFETY (every W method below): the CPU has W's instruction set (this function's
        // contract), and each load and store is from or to an array of 16 >= L elements.
        let (bail, zero, none) = unsafe { (W::splat(BAILOUT), W::splat(0.0), W::first(0)) };
        // Slot state: the segment (None: idle), the orbit, the counts and |z|^2 at escape,
        // the live lanes and the steps left before max_iter.
        let mut seg: [Option<usize>; S] = [None; S];
        let (mut vx, mut vy, mut vcx, mut vcy) = ([zero; S], [zero; S], [zero; S], [zero; S]);
        let mut vn = [unsafe { W::zero_counts() }; S];
        let mut vr2 = [zero; S];
        let mut alive = [none; S];
        let mut rem = [u32::MAX; S];
        let mut next = 0;
        // Whether the last chunk saw no escape (see below).
        let mut quiet = true;
        // One step of slot `s` with the full bookkeeping: the escape test, |z|^2 of the lanes
        // escaping in it, and the counts.
        macro_rules! full_step {
            ($s:expr) => {{
                let s = $s;
                let (x, y) = (vx[s], vy[s]);
                let xx = x.mul(x);
                let yy = y.mul(y);
                let r = xx.add(yy);
                // !(r2 > bail), true for NaN, as in the portable loop.
                let a = r.not_gt(alive[s], bail);
                vr2[s] = vr2[s].select(W::minus(alive[s], a), r);
                vn[s] = W::tick(vn[s], a);
                alive[s] = a;
                vy[s] = x.add(x).mul(y).add(vcy[s]);
                vx[s] = xx.sub(yy).add(vcx[s]);
            }};
        }
        // SAFETY: see above.
        unsafe {
            loop {
                for s in 0..S {
                    if let Some(g) = seg[s]
                        && (!W::any(alive[s]) || rem[s] == 0)
                    {
                        let (row, col0) = (g / per_row, g % per_row * l);
                        let (mut n, mut r2) = ([0u32; 16], [W::T::of(0.0); 16]);
                        W::store_counts(vn[s], &mut n);
                        vr2[s].store(r2.as_mut_ptr());
                        let len = (width - col0).min(l);
                        let at = row * width + col0;
                        // |z|^2 for now; the smooth values are made from it at the end.
                        counts[at..at + len].copy_from_slice(&n[..len]);
                        for (v, r) in values[at..at + len].iter_mut().zip(r2) {
                            *v = r.f32();
                        }
                        seg[s] = None;
                        if next >= total {
                            // Idle from now on: an orbit at 0 that stays there, never
                            // counted (the state every slot starts in).
                            (vx[s], vy[s], vcx[s], vcy[s], alive[s], rem[s]) =
                                (zero, zero, zero, zero, none, u32::MAX);
                        }
                    }
                    if seg[s].is_none() && next < total {
                        let (row, col0) = (next / per_row, next % per_row * l);
                        // 16 pixels from col0, of which the first L are this segment.
                        let [x, y, cx, cy] = start::<W::T, 16>(job, row0 + row, col0);
                        (vx[s], vy[s]) = (W::load(x.as_ptr()), W::load(y.as_ptr()));
                        (vcx[s], vcy[s]) = (W::load(cx.as_ptr()), W::load(cy.as_ptr()));
                        vn[s] = W::zero_counts();
                        alive[s] = W::first((width - col0).min(l));
                        rem[s] = max_iter;
                        seg[s] = Some(next);
                        next += 1;
                    }
                }
                if seg.iter().all(Option::is_none) {
                    break;
                }
                let k = rem.iter().fold(CHUNK, |k, &r| k.min(r));
                if monotone && quiet {
                    // k steps of the arithmetic alone, then one test for them all: |z|^2 at
                    // the end, unordered so that infinity and NaN count as escaped. An orbit
                    // that has passed the bailout keeps growing, so a lane that escaped
                    // anywhere in the chunk fails it. If none did, every live lane ran k
                    // steps; if one did, its slot runs the chunk again from its start, step
                    // by step.
                    let (x0, y0) = (vx, vy);
                    for _ in 0..k {
                        for s in 0..S {
                            let (x, y) = (vx[s], vy[s]);
                            let xx = x.mul(x);
                            let yy = y.mul(y);
                            vy[s] = x.add(x).mul(y).add(vcy[s]);
                            vx[s] = xx.sub(yy).add(vcx[s]);
                        }
                    }
                    for s in 0..S {
                        let r = vx[s].mul(vx[s]).add(vy[s].mul(vy[s]));
                        if !W::any(r.not_le(alive[s], bail)) {
                            vn[s] = W::count(vn[s], alive[s], k);
                        } else {
                            quiet = false;
                            (vx[s], vy[s]) = (x0[s], y0[s]);
                            for _ in 0..k {
                                full_step!(s);
                            }
                        }
                    }
                } else {
                    // Step by step while lanes escape often (a replay costs more than the
                    // bookkeeping saved), back to chunks after a chunk with no escape.
                    let before = alive;
                    for _ in 0..k {
                        for s in 0..S {
                            full_step!(s);
                        }
                    }
                    quiet = (0..S).all(|s| W::same(alive[s], before[s]));
                }
                for r in &mut rem {
                    *r = r.saturating_sub(k);
                }
            }
        }
        // In one pass over the task, where successive pixels' logarithms overlap (one
        // segment's at a time left their latency exposed).
        for (v, &n) in values.iter_mut().zip(counts.iter()) {
            *v = smooth(n, *v, max_iter);
        }
    }
}

struct Lyapunov<'a> {
    job: &'a FractalJob,
    row: usize,
    col0: usize,
    values: &'a mut [f32],
    counts: &'a mut [u32],
}

impl Body for Lyapunov<'_> {
    #[inline(always)]
    fn body(self) {
        let FractalJob::Lyapunov {
            a0,
            b1,
            da,
            db,
            ref seq,
            warmup,
            iters,
            ..
        } = *self.job
        else {
            return;
        };
        let b = b1 as f32 - (self.row as f32 + 0.5) * db as f32;
        let mut a = [0f32; LANES];
        for (j, v) in a.iter_mut().enumerate() {
            *v = ((self.col0 + j) as f32 + 0.5) * da as f32 + a0 as f32;
        }
        let len = seq.len();
        let mut x = [0.5f32; LANES];
        for i in 0..warmup as usize {
            let use_b = seq[i % len] == 1;
            for j in 0..LANES {
                let r = if use_b { b } else { a[j] };
                x[j] = (r * x[j]) * (1.0 - x[j]);
            }
        }
        let (mut p, mut s) = ([1f32; LANES], [0f32; LANES]);
        for i in 0..iters {
            let use_b = seq[(warmup as usize + i as usize) % len] == 1;
            for j in 0..LANES {
                let r = if use_b { b } else { a[j] };
                let d = r * (1.0 - (x[j] + x[j]));
                p[j] *= d.abs();
                x[j] = (r * x[j]) * (1.0 - x[j]);
            }
            if (i + 1) % LOG_EVERY == 0 {
                for j in 0..LANES {
                    s[j] += ln_f32(p[j].max(PRODUCT_FLOOR));
                    p[j] = 1.0;
                }
            }
        }
        for j in 0..self.values.len() {
            self.values[j] = (s[j] + ln_f32(p[j].max(PRODUCT_FLOOR))) / iters as f32;
            self.counts[j] = iters;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An escape-time job over a view that holds inside, outside and boundary pixels.
    fn job(w: usize, h: usize, max_iter: u32, julia: Option<(f64, f64)>) -> FractalJob {
        FractalJob::Escape {
            dtype: DType::F32,
            width: w,
            height: h,
            x0: -2.2,
            y1: 1.2,
            dx: 3.2 / w as f64,
            dy: 2.4 / h as f64,
            max_iter,
            julia,
        }
    }

    /// Renders `job` block by block with `block` (the portable loop).
    fn by_blocks(
        job: &FractalJob,
        block: impl Fn(usize, usize, &mut [f32], &mut [u32]),
    ) -> (Vec<f32>, Vec<u32>) {
        let FractalJob::Escape { width, height, .. } = *job else {
            unreachable!()
        };
        let (mut v, mut c) = (vec![0f32; width * height], vec![0u32; width * height]);
        for (row, (vr, cr)) in v.chunks_mut(width).zip(c.chunks_mut(width)).enumerate() {
            for (b, (vb, cb)) in vr.chunks_mut(LANES).zip(cr.chunks_mut(LANES)).enumerate() {
                block(row, b * LANES, vb, cb);
            }
        }
        (v, c)
    }

    /// The AVX2 and AVX-512 escape loops give the portable loop's counts and smooth values bit
    /// for bit, in f32 and in f64: Mandelbrot, a Julia set, and a Julia set whose c is too
    /// large for chunked steps; rows that end in part of a vector; limits that are and are
    /// not a multiple of the chunk; whole images and tasks of a few rows as `run` cuts them.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn the_simd_escape_loops_match_the_portable_one_exactly() {
        if !avx2::available() {
            return;
        }
        // The first pixel that differs, if one does (the whole images would flood the log).
        fn same<T: PartialEq + std::fmt::Debug>(a: &[T], b: &[T], what: &str) {
            if let Some(i) = a.iter().zip(b).position(|(x, y)| x != y) {
                panic!("{what}: pixel {i} is {:?} against {:?}", b[i], a[i]);
            }
        }
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        for julia in [None, Some((-0.8, 0.156)), Some((300.0, 20.0))] {
            for (w, h, max_iter) in [(96, 40, 300), (90, 21, 37), (7, 3, 64)] {
                for dtype in [DType::F32, DType::F64] {
                    let mut job = job(w, h, max_iter, julia);
                    if let FractalJob::Escape { dtype: d, .. } = &mut job {
                        *d = dtype;
                    }
                    let what = format!("{dtype:?} {julia:?} {w}x{h} max {max_iter}");
                    let (v1, c1) = by_blocks(&job, |row, col0, values, counts| match dtype {
                        DType::F64 => exec(Escape::<f64> {
                            job: &job,
                            row,
                            col0,
                            values,
                            counts,
                            _t: Default::default(),
                        }),
                        _ => exec(Escape::<f32> {
                            job: &job,
                            row,
                            col0,
                            values,
                            counts,
                            _t: Default::default(),
                        }),
                    });
                    for wide in [false, true] {
                        if wide && !avx2::has_avx512() {
                            continue;
                        }
                        for rows in [h, avx2::ROWS_PER_TASK, 1] {
                            let (mut v3, mut c3) = (vec![0f32; w * h], vec![0u32; w * h]);
                            for (t, (v, c)) in v3
                                .chunks_mut(w * rows)
                                .zip(c3.chunks_mut(w * rows))
                                .enumerate()
                            {
                                // SAFETY: the CPU has AVX2 (checked above), and AVX-512F
                                // where `wide`.
                                unsafe { avx2::rows_simd(&job, t * rows, v, c, wide) };
                            }
                            let isa = if wide { "AVX-512" } else { "AVX2" };
                            let what = format!("{isa}, {what}, {rows} rows a task");
                            same(&c1, &c3, &format!("counts, {what}"));
                            same(&bits(&v1), &bits(&v3), &format!("values, {what}"));
                        }
                    }
                }
            }
        }
    }
}
