//! The escape loop once for every vector type: rows cut into one-vector segments, a few in
//! flight, refilled as they finish, with escape tests once a chunk of steps where orbits allow.
//!
//! The same products and sums in the same order as the block loop of `super` (separately
//! rounded, or fused multiply-adds for `Arithmetic::Fused`), so the counts and |z|^2 at
//! escape are bit for bit the same. Unlike that loop, escaped lanes keep iterating (their z
//! runs off to infinity and NaN, which costs nothing) instead of being frozen by a blend:
//! that takes the lane mask off the orbit's critical path, leaving a multiply and two adds
//! per step, so the vectors in flight cover its latency. |z|^2 is caught in the step a lane
//! escapes, and the mask only gates the count.

use super::{BAILOUT, Real, smooth, start};
use crate::element::DType;
use crate::fractal::FractalJob;

/// Steps run between escape tests where orbits are monotone past the bailout (twice as
/// many once every segment in flight has run YOUNG steps).
const CHUNK: u32 = 8;
/// Steps after which a segment's chunks may double: long enough that most segments outside
/// the set have finished. Doubling gave views inside the set 7-9% (16 steps a chunk from the
/// start cost the default view as much).
const YOUNG: u32 = 64;

/// Rows per task of the SIMD loops.
pub(crate) const ROWS_PER_TASK: usize = 4;

/// One SIMD vector of the escape loop's real type, so that [`rows`] is written once for
/// AVX-512 (`__m512`, `__m512d`: masks in mask registers), AVX2 (`__m256`, `__m256d`: masks
/// as all-ones lanes) and plain arrays ([`Lanes`], for every other CPU).
///
/// # Safety
/// Every method needs the instruction set of its type (AVX-512F, AVX2, or none for
/// [`Lanes`]); `load` and `store` need L readable or writable elements.
pub(crate) trait Wide: Copy {
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
    /// `self * b + c`, rounded once.
    unsafe fn fma(self, b: Self, c: Self) -> Self;
    /// `c - self * b`, rounded once.
    unsafe fn fnma(self, b: Self, c: Self) -> Self;
    /// The lanes of `m` where !(self > b): true for NaN.
    unsafe fn not_gt(self, m: Self::M, b: Self) -> Self::M;
    /// The lanes of `m` where !(self <= b): true for NaN.
    unsafe fn not_le(self, m: Self::M, b: Self) -> Self::M;
    /// `o` in the lanes of `m`, `self` elsewhere.
    unsafe fn select(self, m: Self::M, o: Self) -> Self;
    /// The first `n` lanes (n <= L).
    unsafe fn first(n: usize) -> Self::M;
    unsafe fn any(m: Self::M) -> bool;
    unsafe fn same(a: Self::M, b: Self::M) -> bool;
    /// Counts of zero.
    unsafe fn zero_counts() -> Self::N;
    /// `n` plus one in the lanes of `m`.
    unsafe fn tick(n: Self::N, m: Self::M) -> Self::N;
    /// `n` plus `k` in the lanes of `m`.
    unsafe fn count(n: Self::N, m: Self::M, k: u32) -> Self::N;
    /// The first L counts into `out`.
    unsafe fn store_counts(n: Self::N, out: &mut [u32; 16]);
    /// The first `counts.len()` (at most L, and no more than `values.len()`) counts of `n`
    /// to `counts`, and as many lanes of `r2` (as f32) to `values`.
    #[inline(always)]
    unsafe fn write(n: Self::N, r2: Self, counts: &mut [u32], values: &mut [f32]) {
        let (mut nn, mut rr) = ([0u32; 16], [Self::T::of(0.0); 16]);
        // SAFETY: the caller's; both arrays hold 16 >= L elements.
        unsafe {
            Self::store_counts(n, &mut nn);
            r2.store(rr.as_mut_ptr());
        }
        let len = counts.len();
        counts.copy_from_slice(&nn[..len]);
        for (v, r) in values.iter_mut().zip(rr) {
            *v = r.f32();
        }
    }
}

/// One step z' = z^2 + c, rounded as `Arithmetic::Separate` (F false) or `Fused` says.
///
/// # Safety
/// As [`Wide`]'s.
#[inline(always)]
unsafe fn step<W: Wide, const F: bool>(x: W, y: W, cx: W, cy: W) -> (W, W) {
    // SAFETY: the caller's.
    unsafe {
        if F {
            (x.fma(x, y.fnma(y, cx)), x.add(x).fma(y, cy))
        } else {
            (x.mul(x).sub(y.mul(y)).add(cx), x.add(x).mul(y).add(cy))
        }
    }
}

/// |z|^2, rounded as [`step`] is.
///
/// # Safety
/// As [`Wide`]'s.
#[inline(always)]
unsafe fn norm<W: Wide, const F: bool>(x: W, y: W) -> W {
    // SAFETY: the caller's.
    unsafe {
        if F {
            x.fma(x, y.mul(y))
        } else {
            x.mul(x).add(y.mul(y))
        }
    }
}

/// The escape loop over `values.len() / width` whole rows from `row0`, with vectors `W`:
/// each row is cut into segments of one vector of pixels, S segments iterate at once,
/// and a segment whose lanes have all escaped (or reached the limit) is written out and
/// its slot given the next segment, so that no slot idles while others iterate. Where
/// orbits allow (`FractalJob::chunked`), steps run in chunks of CHUNK (or twice that) with
/// one escape test a chunk (see the loop). Counts and |z|^2 at escape are bit for bit the
/// portable loop's.
///
/// # Safety
/// The CPU must have W's instruction set; inlined into a function compiled for it.
#[inline(always)]
pub(crate) unsafe fn rows<W: Wide, const S: usize, const F: bool>(
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
    let rows = values.len() / width;
    let monotone = job.chunked();
    // SAFETY (every W method below): the CPU has W's instruction set (this function's
    // contract), and each load and store is from or to an array of 16 >= L elements.
    let (bail, zero, none) = unsafe { (W::splat(BAILOUT), W::splat(0.0), W::first(0)) };
    // Slot state: the segment's first pixel and length (None: idle), the orbit, the counts
    // and |z|^2 at escape, the live lanes and the steps left before max_iter.
    let mut seg: [Option<(usize, usize)>; S] = [None; S];
    let (mut vx, mut vy, mut vcx, mut vcy) = ([zero; S], [zero; S], [zero; S], [zero; S]);
    let mut vn = [unsafe { W::zero_counts() }; S];
    let mut vr2 = [zero; S];
    let mut alive = [none; S];
    let mut rem = [u32::MAX; S];
    // The next segment's row and first column.
    let (mut row, mut col0) = (0, 0);
    // Whether the last chunk saw no escape (see below).
    let mut quiet = true;
    // One step of slot `s` with the full bookkeeping: the escape test, |z|^2 of the lanes
    // escaping in it, and the counts.
    macro_rules! full_step {
        ($s:expr) => {{
            let s = $s;
            let r = norm::<W, F>(vx[s], vy[s]);
            // !(r2 > bail), true for NaN, as in the portable loop.
            let a = r.not_gt(alive[s], bail);
            // |z|^2 of every lane live before the test: a lane escaping now keeps it from
            // here on, and a lane that never escapes has no smooth value to make from it.
            vr2[s] = vr2[s].select(alive[s], r);
            vn[s] = W::tick(vn[s], a);
            alive[s] = a;
            (vx[s], vy[s]) = step::<W, F>(vx[s], vy[s], vcx[s], vcy[s]);
        }};
    }
    // SAFETY: see above.
    unsafe {
        loop {
            for s in 0..S {
                if let Some((at, len)) = seg[s]
                    && (!W::any(alive[s]) || rem[s] == 0)
                {
                    // |z|^2 for now; the smooth values are made from it at the end.
                    W::write(
                        vn[s],
                        vr2[s],
                        &mut counts[at..at + len],
                        &mut values[at..at + len],
                    );
                    seg[s] = None;
                    if row == rows {
                        // Idle from now on: an orbit at 0 that stays there, never
                        // counted (the state every slot starts in).
                        (vx[s], vy[s], vcx[s], vcy[s], alive[s], rem[s]) =
                            (zero, zero, zero, zero, none, u32::MAX);
                    }
                }
                if seg[s].is_none() && row < rows {
                    let len = (width - col0).min(l);
                    // 16 pixels from col0, of which the first L are this segment.
                    let [x, y, cx, cy] = start::<W::T, 16>(job, row0 + row, col0);
                    (vx[s], vy[s]) = (W::load(x.as_ptr()), W::load(y.as_ptr()));
                    (vcx[s], vcy[s]) = (W::load(cx.as_ptr()), W::load(cy.as_ptr()));
                    vn[s] = W::zero_counts();
                    alive[s] = W::first(len);
                    rem[s] = max_iter;
                    seg[s] = Some((row * width + col0, len));
                    col0 += l;
                    if col0 >= width {
                        (row, col0) = (row + 1, 0);
                    }
                }
            }
            if seg.iter().all(Option::is_none) {
                break;
            }
            // Chunks of CHUNK steps while a segment in flight is young (it may well escape
            // soon, and a replay costs a chunk's steps), twice that once all are older.
            let k = (0..S).fold(2 * CHUNK, |k, s| match seg[s] {
                Some(_) if max_iter - rem[s] < YOUNG => k.min(rem[s]).min(CHUNK),
                Some(_) => k.min(rem[s]),
                None => k,
            });
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
                        (vx[s], vy[s]) = step::<W, F>(vx[s], vy[s], vcx[s], vcy[s]);
                    }
                }
                for s in 0..S {
                    let r = norm::<W, F>(vx[s], vy[s]);
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

/// A portable vector: L lanes in a plain array, which the compiler maps onto the target's
/// SIMD registers (SSE2, NEON), with masks as all-ones lanes of the same width.
#[derive(Clone, Copy)]
pub(crate) struct Lanes<T, const L: usize>([T; L]);

/// The [`Wide`] impl of a [`Lanes`] type, with the unsigned type of its lanes' width.
macro_rules! portable {
    ($t:ty, $bits:ty, $l:literal) => {
        impl Wide for Lanes<$t, $l> {
            type T = $t;
            type M = [$bits; $l];
            type N = [u32; $l];
            const L: usize = $l;
            #[inline(always)]
            unsafe fn splat(v: f64) -> Self {
                Lanes([v as $t; $l])
            }
            #[inline(always)]
            unsafe fn load(p: *const $t) -> Self {
                // SAFETY: the caller's (the trait's contract).
                Lanes(unsafe { p.cast::<[$t; $l]>().read_unaligned() })
            }
            #[inline(always)]
            unsafe fn store(self, p: *mut $t) {
                // SAFETY: the caller's (the trait's contract).
                unsafe { p.cast::<[$t; $l]>().write_unaligned(self.0) }
            }
            #[inline(always)]
            unsafe fn add(mut self, o: Self) -> Self {
                for i in 0..$l {
                    self.0[i] += o.0[i];
                }
                self
            }
            #[inline(always)]
            unsafe fn sub(mut self, o: Self) -> Self {
                for i in 0..$l {
                    self.0[i] -= o.0[i];
                }
                self
            }
            #[inline(always)]
            unsafe fn mul(mut self, o: Self) -> Self {
                for i in 0..$l {
                    self.0[i] *= o.0[i];
                }
                self
            }
            #[inline(always)]
            unsafe fn fma(mut self, b: Self, c: Self) -> Self {
                for i in 0..$l {
                    self.0[i] = Real::mul_add(self.0[i], b.0[i], c.0[i]);
                }
                self
            }
            #[inline(always)]
            unsafe fn fnma(mut self, b: Self, c: Self) -> Self {
                for i in 0..$l {
                    self.0[i] = Real::mul_add(-self.0[i], b.0[i], c.0[i]);
                }
                self
            }
            #[inline(always)]
            unsafe fn not_gt(self, mut m: Self::M, b: Self) -> Self::M {
                for i in 0..$l {
                    m[i] = if self.0[i] > b.0[i] { 0 } else { m[i] };
                }
                m
            }
            #[inline(always)]
            unsafe fn not_le(self, mut m: Self::M, b: Self) -> Self::M {
                for i in 0..$l {
                    m[i] = if self.0[i] <= b.0[i] { 0 } else { m[i] };
                }
                m
            }
            #[inline(always)]
            unsafe fn select(mut self, m: Self::M, o: Self) -> Self {
                for i in 0..$l {
                    self.0[i] = if m[i] != 0 { o.0[i] } else { self.0[i] };
                }
                self
            }
            #[inline(always)]
            unsafe fn first(n: usize) -> Self::M {
                let mut m = [0; $l];
                for (i, v) in m.iter_mut().enumerate() {
                    *v = if i < n { <$bits>::MAX } else { 0 };
                }
                m
            }
            #[inline(always)]
            unsafe fn any(m: Self::M) -> bool {
                m.iter().fold(0, |a, &v| a | v) != 0
            }
            #[inline(always)]
            unsafe fn same(a: Self::M, b: Self::M) -> bool {
                a == b
            }
            #[inline(always)]
            unsafe fn zero_counts() -> Self::N {
                [0; $l]
            }
            #[inline(always)]
            unsafe fn tick(mut n: Self::N, m: Self::M) -> Self::N {
                for i in 0..$l {
                    n[i] += (m[i] & 1) as u32;
                }
                n
            }
            #[inline(always)]
            unsafe fn count(mut n: Self::N, m: Self::M, k: u32) -> Self::N {
                for i in 0..$l {
                    n[i] += if m[i] != 0 { k } else { 0 };
                }
                n
            }
            #[inline(always)]
            unsafe fn store_counts(n: Self::N, out: &mut [u32; 16]) {
                out[..$l].copy_from_slice(&n);
            }
        }
    };
}
portable!(f32, u32, 4);
portable!(f64, u64, 4);

/// Segments in flight in the portable loop, for f32 (4 lanes) and f64 (4 lanes in two
/// registers): the fastest of 2 to 8 on x86_64's baseline (SSE2, 16 registers), 2026-11-22.
const SLOTS_F32: usize = 6;
const SLOTS_F64: usize = 3;

/// The escape loop over the rows of `values` from `row0` with [`Lanes`] vectors, for the job's
/// dtype: the loop of CPUs without AVX2 (and of aarch64, where the lanes map onto NEON).
pub(crate) fn rows_portable(job: &FractalJob, row0: usize, values: &mut [f32], counts: &mut [u32]) {
    let FractalJob::Escape { dtype, fused, .. } = *job else {
        return;
    };
    type F32 = Lanes<f32, 4>;
    type F64 = Lanes<f64, 4>;
    // SAFETY: Lanes needs no instruction set beyond the baseline.
    unsafe {
        match (dtype, fused) {
            (DType::F64, false) => rows::<F64, SLOTS_F64, false>(job, row0, values, counts),
            (DType::F64, true) => rows::<F64, SLOTS_F64, true>(job, row0, values, counts),
            (_, false) => rows::<F32, SLOTS_F32, false>(job, row0, values, counts),
            (_, true) => rows::<F32, SLOTS_F32, true>(job, row0, values, counts),
        }
    }
}
