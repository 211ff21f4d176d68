//! The escape loop's vector types on x86_64: AVX-512 (`__m512`, `__m512d`: masks in mask
//! registers) and AVX2 (`__m256`, `__m256d`: masks as all-ones lanes).

use std::arch::x86_64::*;

use super::segments::{Wide, rows};
use crate::backend::cpu::simd::{Isa, isa};
use crate::element::DType;
use crate::fractal::FractalJob;

/// Whether [`rows256`] can run here.
pub(crate) fn available() -> bool {
    isa() >= Isa::Avx2
}

/// Whether [`rows512`] can run here.
pub(crate) fn has_avx512() -> bool {
    isa() >= Isa::Avx512
}

/// The arithmetic methods of a [`Wide`] impl, from its intrinsics.
macro_rules! arith {
    ($feat:literal, $t:ty, $set1:ident, $load:ident, $store:ident,
     $add:ident, $sub:ident, $mul:ident, $fma:ident, $fnma:ident) => {
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
        #[inline]
        #[target_feature(enable = $feat)]
        unsafe fn fma(self, b: Self, c: Self) -> Self {
            $fma(self, b, c)
        }
        #[inline]
        #[target_feature(enable = $feat)]
        unsafe fn fnma(self, b: Self, c: Self) -> Self {
            $fnma(self, b, c)
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

/// The `write` of the AVX-512 impls: counts and |z|^2 out with two masked stores, |z|^2
/// first narrowed to f32 lanes by `$narrow` (of `$r`, the vector).
macro_rules! write512 {
    ($r:ident => $narrow:expr) => {
        #[inline]
        #[target_feature(enable = "avx512f")]
        unsafe fn write(n: __m512i, $r: Self, counts: &mut [u32], values: &mut [f32]) {
            let r2: __m512 = $narrow;
            // SAFETY: the lanes of `m` (at most L) are within both slices.
            unsafe {
                let m = Self::first(counts.len().min(values.len()));
                _mm512_mask_storeu_epi32(counts.as_mut_ptr().cast(), m, n);
                _mm512_mask_storeu_ps(values.as_mut_ptr(), m, r2);
            }
        }
    };
}

/// The mask methods the AVX2 impls share (masks as all-ones lanes of the vector type).
macro_rules! masks256 {
    ($m:ty, $and:ident, $cmp:ident, $blend:ident, $movemask:ident) => {
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
        _mm512_mul_ps,
        _mm512_fmadd_ps,
        _mm512_fnmadd_ps
    );
    masks512!("avx512f");
    const L: usize = 16;
    cmp512!(_mm512_mask_cmp_ps_mask, _mm512_mask_mov_ps, u16);
    write512!(r => r);
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
        _mm512_mul_pd,
        _mm512_fmadd_pd,
        _mm512_fnmadd_pd
    );
    masks512!("avx512f");
    const L: usize = 8;
    cmp512!(_mm512_mask_cmp_pd_mask, _mm512_mask_mov_pd, u8);
    write512!(r => _mm512_castps256_ps512(_mm512_cvtpd_ps(r)));
}

impl Wide for __m256 {
    arith!(
        "avx2,fma",
        f32,
        _mm256_set1_ps,
        _mm256_loadu_ps,
        _mm256_storeu_ps,
        _mm256_add_ps,
        _mm256_sub_ps,
        _mm256_mul_ps,
        _mm256_fmadd_ps,
        _mm256_fnmadd_ps
    );
    masks256!(
        __m256,
        _mm256_and_ps,
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
        "avx2,fma",
        f64,
        _mm256_set1_pd,
        _mm256_loadu_pd,
        _mm256_storeu_pd,
        _mm256_add_pd,
        _mm256_sub_pd,
        _mm256_mul_pd,
        _mm256_fmadd_pd,
        _mm256_fnmadd_pd
    );
    masks256!(
        __m256d,
        _mm256_and_pd,
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
pub(crate) unsafe fn rows_simd(
    job: &FractalJob,
    row0: usize,
    values: &mut [f32],
    counts: &mut [u32],
    wide: bool,
) {
    let FractalJob::Escape { dtype, fused, .. } = *job else {
        return;
    };
    let f64_ = dtype == DType::F64;
    // SAFETY: the caller's.
    unsafe {
        match (f64_, wide, fused) {
            (true, true, false) => rows512::<__m512d, false>(job, row0, values, counts),
            (true, true, true) => rows512::<__m512d, true>(job, row0, values, counts),
            (false, true, false) => rows512::<__m512, false>(job, row0, values, counts),
            (false, true, true) => rows512::<__m512, true>(job, row0, values, counts),
            (true, false, false) => rows256::<__m256d, false>(job, row0, values, counts),
            (true, false, true) => rows256::<__m256d, true>(job, row0, values, counts),
            (false, false, false) => rows256::<__m256, false>(job, row0, values, counts),
            (false, false, true) => rows256::<__m256, true>(job, row0, values, counts),
        }
    }
}

/// [`rows`] with AVX-512: four segments in flight cover the step's latency and keep its
/// two add and two multiply pipes busy.
///
/// # Safety
/// The CPU must have AVX-512F.
#[target_feature(enable = "avx512f")]
pub(crate) unsafe fn rows512<W: Wide, const F: bool>(
    job: &FractalJob,
    row0: usize,
    values: &mut [f32],
    counts: &mut [u32],
) {
    // SAFETY: the caller's.
    unsafe { rows::<W, 4, F>(job, row0, values, counts) }
}

/// [`rows`] with AVX2.
///
/// # Safety
/// The CPU must have AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
pub(crate) unsafe fn rows256<W: Wide, const F: bool>(
    job: &FractalJob,
    row0: usize,
    values: &mut [f32],
    counts: &mut [u32],
) {
    // SAFETY: the caller's.
    unsafe { rows::<W, SLOTS256, F>(job, row0, values, counts) }
}

/// Segments in flight in the AVX2 loop: a 256-bit step takes two cycles on two add pipes
/// against a latency of about nine, so five cover it where four left in-set views 8%
/// slower (Zen 4 limited to AVX2 by STREAMCORE_CPU_ISA, 2026-11-22; three and six were
/// slower).
const SLOTS256: usize = 5;
