//! CPU side of the fractals: rows in parallel (rayon), each row in blocks of 32 pixels whose
//! iterations run in lockstep over plain arrays, so that the compiler turns every step into
//! 8-lane vectors in flight; a block stops when all its lanes have escaped. The f32 escape
//! loop has explicit AVX2 and AVX-512 versions (module `avx2`). The same arithmetic as the
//! WGSL and CUDA kernels, with no fused multiply-adds: Vulkan drivers may run WGSL's `fma`
//! unfused (lavapipe does) and may not, so only plain products and sums give every device the
//! same roundings and the same orbits.

use std::ops::{Add, Mul, Sub};

use rayon::prelude::*;

use std::f32::consts::LOG2_E;

use super::elementwise::{Body, exec};
use super::vmath::ln_f32;
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
                    #[cfg(target_arch = "x86_64")]
                    FractalJob::Escape { .. } if avx2::available() => {
                        avx2::escape_block(job, row, col0, vb, cb)
                    }
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
fn start<T: Real>(job: &FractalJob, row: usize, col0: usize) -> [[T; LANES]; 4] {
    let FractalJob::Escape {
        x0,
        y1,
        dx,
        dy,
        julia,
        ..
    } = *job
    else {
        return [[T::of(0.0); LANES]; 4];
    };
    let [mut x, mut y, mut cx, mut cy] = [[T::of(0.0); LANES]; 4];
    let py = T::of(y1) - T::of(row as f64 + 0.5) * T::of(dy);
    for j in 0..LANES {
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

/// Counts and smooth values of a block from its iteration counts and |z|^2 at escape,
/// computed for all LANES (the block's first `values.len()` are kept). Branch-free, with
/// [`ln_f32`] in place of libm's, so that it vectorises inside the SIMD loops' features.
#[inline(always)]
fn finish<T: Real>(
    values: &mut [f32],
    counts: &mut [u32],
    r2: &[T; LANES],
    n: &[u32; LANES],
    max_iter: u32,
) {
    let mut v = [0f32; LANES];
    for j in 0..LANES {
        // n + 1 - log2(ln |z|), with ln |z| = ln(|z|^2) / 2.
        let smooth = n[j] as f32 + 1.0 - ln_f32(0.5 * ln_f32(r2[j].f32())) * LOG2_E;
        v[j] = if n[j] == max_iter {
            -1.0
        } else {
            smooth.max(0.0)
        };
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
        let [mut x, mut y, cx, cy] = start::<T>(self.job, self.row, self.col0);
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

/// The f32 escape loop written with AVX2 (and AVX-512) intrinsics, with the same products and
/// sums in the same order as the portable loop (no FMA), so the counts and |z|^2 at escape are
/// bit for bit the same. Unlike the portable loop, escaped lanes keep iterating (their z runs off to
/// infinity and NaN, which costs nothing on these units) instead of being frozen by a blend:
/// that takes the lane mask off the orbit's critical path, leaving a multiply and two adds
/// per step, so V vectors in flight cover its latency. |z|^2 is caught in the step a lane
/// escapes, and the mask only gates the count.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    use super::{BAILOUT, LANES, finish, start};
    use crate::backend::cpu::simd::{Isa, isa};
    use crate::fractal::FractalJob;

    /// Vectors in flight per call. Two cover the 9-cycle step on this machine's cores and
    /// keep all state in the 16 registers; four spilled and ran at half the speed, and three
    /// (24-pixel blocks) at 80% (1024x768, 500 iterations, 2026-11-22).
    const V: usize = 2;

    pub(super) fn available() -> bool {
        isa() >= Isa::Avx2
    }

    /// One block of up to LANES pixels of an f32 escape-time job, with AVX-512 where the CPU
    /// has it.
    pub(super) fn escape_block(
        job: &FractalJob,
        row: usize,
        col0: usize,
        values: &mut [f32],
        counts: &mut [u32],
    ) {
        escape_block_with(job, row, col0, values, counts, true);
    }

    /// [`escape_block`] with the instruction set chosen: AVX-512 where `wide` and the CPU has
    /// it, else AVX2.
    pub(super) fn escape_block_with(
        job: &FractalJob,
        row: usize,
        col0: usize,
        values: &mut [f32],
        counts: &mut [u32],
        wide: bool,
    ) {
        if wide && isa() >= Isa::Avx512 {
            // SAFETY: the CPU has AVX-512F (checked just above).
            unsafe { block512(job, row, col0, values, counts) }
        } else {
            // SAFETY: AVX2 and FMA are present (`available`, checked by the caller).
            unsafe { block256(job, row, col0, values, counts) }
        }
    }

    /// A whole block with AVX-512: the start, the orbits and the smooth values, so that the
    /// compiler vectorises the first and last with the same features.
    #[target_feature(enable = "avx512f")]
    fn block512(job: &FractalJob, row: usize, col0: usize, values: &mut [f32], counts: &mut [u32]) {
        let FractalJob::Escape { max_iter, .. } = *job else {
            return;
        };
        let [x, y, cx, cy] = start::<f32>(job, row, col0);
        let mut n = [0u32; LANES];
        let mut r2 = [0f32; LANES];
        orbits512([&x, &y, &cx, &cy], max_iter, &mut n, &mut r2);
        finish(values, counts, &r2, &n, max_iter);
    }

    /// [`block512`] with AVX2.
    #[target_feature(enable = "avx2,fma")]
    fn block256(job: &FractalJob, row: usize, col0: usize, values: &mut [f32], counts: &mut [u32]) {
        let FractalJob::Escape { max_iter, .. } = *job else {
            return;
        };
        let [x, y, cx, cy] = start::<f32>(job, row, col0);
        let mut n = [0u32; LANES];
        let mut r2 = [0f32; LANES];
        for off in (0..LANES).step_by(8 * V) {
            orbits([&x, &y, &cx, &cy], max_iter, &mut n, &mut r2, off);
        }
        finish(values, counts, &r2, &n, max_iter);
    }

    /// Vectors of 16 in flight in the AVX-512 loop: the whole block of LANES pixels.
    const V512: usize = LANES / 16;

    /// The AVX2 loop's arithmetic on 16 lanes a vector, with the lane masks in mask registers
    /// (so a step is 11 instructions for 16 lanes where AVX2 takes 13 for 8) and the whole
    /// block in flight at once (32 registers hold it without spilling).
    #[target_feature(enable = "avx512f")]
    fn orbits512(
        [x, y, cx, cy]: [&[f32; LANES]; 4],
        max_iter: u32,
        n: &mut [u32; LANES],
        r2: &mut [f32; LANES],
    ) {
        // SAFETY (all loads and stores): each array holds LANES = 16 * V512 f32 or u32, and
        // vector v covers elements 16v .. 16v + 16.
        unsafe {
            let load = |a: &[f32; LANES], v: usize| _mm512_loadu_ps(a.as_ptr().add(16 * v));
            let mut vx: [__m512; V512] = std::array::from_fn(|v| load(x, v));
            let mut vy: [__m512; V512] = std::array::from_fn(|v| load(y, v));
            let vcx: [__m512; V512] = std::array::from_fn(|v| load(cx, v));
            let vcy: [__m512; V512] = std::array::from_fn(|v| load(cy, v));
            let mut vn: [__m512i; V512] = [_mm512_setzero_si512(); V512];
            let mut vr2: [__m512; V512] = [_mm512_setzero_ps(); V512];
            let mut alive: [__mmask16; V512] = [0xffff; V512];
            let bail = _mm512_set1_ps(BAILOUT as f32);
            let one = _mm512_set1_epi32(1);
            let mut it = 0;
            while it < max_iter {
                let steps = (max_iter - it).min(8);
                for _ in 0..steps {
                    for v in 0..V512 {
                        let (x, y) = (vx[v], vy[v]);
                        let xx = _mm512_mul_ps(x, x);
                        let yy = _mm512_mul_ps(y, y);
                        let r = _mm512_add_ps(xx, yy);
                        // !(r2 > bail), true for NaN, as in the AVX2 and portable loops.
                        let a = _mm512_mask_cmp_ps_mask::<_CMP_NGT_UQ>(alive[v], r, bail);
                        vr2[v] = _mm512_mask_mov_ps(vr2[v], alive[v] & !a, r);
                        vn[v] = _mm512_mask_add_epi32(vn[v], a, vn[v], one);
                        alive[v] = a;
                        vy[v] = _mm512_add_ps(_mm512_mul_ps(_mm512_add_ps(x, x), y), vcy[v]);
                        vx[v] = _mm512_add_ps(_mm512_sub_ps(xx, yy), vcx[v]);
                    }
                }
                it += steps;
                if alive.iter().all(|&a| a == 0) {
                    break;
                }
            }
            for v in 0..V512 {
                _mm512_storeu_ps(r2.as_mut_ptr().add(16 * v), vr2[v]);
                _mm512_storeu_si512(n.as_mut_ptr().add(16 * v).cast(), vn[v]);
            }
        }
    }

    #[target_feature(enable = "avx2")]
    fn orbits(
        [x, y, cx, cy]: [&[f32; LANES]; 4],
        max_iter: u32,
        n: &mut [u32; LANES],
        r2: &mut [f32; LANES],
        off: usize,
    ) {
        // SAFETY (all loads and stores): each array holds LANES f32 or u32, and vector v
        // covers elements off + 8v .. off + 8v + 8, inside it since off + 8V <= LANES.
        unsafe {
            let load = |a: &[f32; LANES], v: usize| _mm256_loadu_ps(a.as_ptr().add(off + 8 * v));
            let mut vx: [__m256; V] = std::array::from_fn(|v| load(x, v));
            let mut vy: [__m256; V] = std::array::from_fn(|v| load(y, v));
            let vcx: [__m256; V] = std::array::from_fn(|v| load(cx, v));
            let vcy: [__m256; V] = std::array::from_fn(|v| load(cy, v));
            let mut vn: [__m256i; V] = [_mm256_setzero_si256(); V];
            let mut vr2: [__m256; V] = [_mm256_setzero_ps(); V];
            let all = _mm256_castsi256_ps(_mm256_set1_epi32(-1));
            let mut alive: [__m256; V] = [all; V];
            let bail = _mm256_set1_ps(BAILOUT as f32);
            let mut it = 0;
            while it < max_iter {
                let steps = (max_iter - it).min(8);
                for _ in 0..steps {
                    for v in 0..V {
                        let (x, y) = (vx[v], vy[v]);
                        let xx = _mm256_mul_ps(x, x);
                        let yy = _mm256_mul_ps(y, y);
                        let r = _mm256_add_ps(xx, yy);
                        // !(r2 > bail), true for NaN: the portable loop's test. Lanes that
                        // escaped earlier are no longer alive, whatever their z does.
                        let ok = _mm256_cmp_ps::<_CMP_NGT_UQ>(r, bail);
                        let a = _mm256_and_ps(alive[v], ok);
                        // Escaping in this step: alive before, not after.
                        vr2[v] = _mm256_blendv_ps(vr2[v], r, _mm256_andnot_ps(a, alive[v]));
                        // A live lane's mask is -1 as an integer.
                        vn[v] = _mm256_sub_epi32(vn[v], _mm256_castps_si256(a));
                        alive[v] = a;
                        vy[v] = _mm256_add_ps(_mm256_mul_ps(_mm256_add_ps(x, x), y), vcy[v]);
                        vx[v] = _mm256_add_ps(_mm256_sub_ps(xx, yy), vcx[v]);
                    }
                }
                it += steps;
                let any = alive
                    .iter()
                    .fold(_mm256_setzero_ps(), |m, &a| _mm256_or_ps(m, a));
                if _mm256_movemask_ps(any) == 0 {
                    break;
                }
            }
            for v in 0..V {
                _mm256_storeu_ps(r2.as_mut_ptr().add(off + 8 * v), vr2[v]);
                _mm256_storeu_si256(n.as_mut_ptr().add(off + 8 * v).cast(), vn[v]);
            }
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
                    s[j] += p[j].max(PRODUCT_FLOOR).ln();
                    p[j] = 1.0;
                }
            }
        }
        for j in 0..self.values.len() {
            self.values[j] = (s[j] + p[j].max(PRODUCT_FLOOR).ln()) / iters as f32;
            self.counts[j] = iters;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The AVX2 escape loop gives the portable loop's counts and smooth values bit for bit,
    /// Mandelbrot and Julia, on blocks that are inside, outside and on the boundary.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn the_avx2_escape_loop_matches_the_portable_one_exactly() {
        if !avx2::available() {
            return;
        }
        let (w, h) = (96, 40);
        for julia in [None, Some((-0.8, 0.156))] {
            let job = FractalJob::Escape {
                dtype: DType::F32,
                width: w,
                height: h,
                x0: -2.2,
                y1: 1.2,
                dx: 3.2 / w as f64,
                dy: 2.4 / h as f64,
                max_iter: 300,
                julia,
            };
            for row in 0..h {
                for col0 in (0..w).step_by(LANES) {
                    let (mut v1, mut c1) = ([0f32; LANES], [0u32; LANES]);
                    let (mut v2, mut c2) = ([0f32; LANES], [0u32; LANES]);
                    exec(Escape::<f32> {
                        job: &job,
                        row,
                        col0,
                        values: &mut v1,
                        counts: &mut c1,
                        _t: Default::default(),
                    });
                    // AVX2, then AVX-512 where this CPU has it.
                    for wide in [false, true] {
                        avx2::escape_block_with(&job, row, col0, &mut v2, &mut c2, wide);
                        assert_eq!(c1, c2, "counts, row {row}, block {col0}, wide {wide}");
                        assert_eq!(
                            v1.map(f32::to_bits),
                            v2.map(f32::to_bits),
                            "values, row {row}, wide {wide}"
                        );
                    }
                }
            }
        }
    }
}
