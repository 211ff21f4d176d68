//! CPU side of the fractals. Escape-time images run the segment loop (`segments`): rows in
//! parallel tasks (rayon), each cut into one-vector segments kept in flight and refilled as
//! they finish, over AVX-512 or AVX2 vectors (`x86`) or plain-array vectors the compiler maps
//! onto SSE2 or NEON. Lyapunov images run blocks of 32 pixels in lockstep over plain arrays.
//! The same arithmetic as the WGSL and CUDA kernels: separately rounded products and sums
//! by default (Vulkan drivers may run WGSL's `fma` unfused, as lavapipe does, or fused, so
//! only these give every device the same orbits), fused multiply-adds on request.

mod segments;
#[cfg(target_arch = "x86_64")]
mod x86;

use std::ops::{Add, Mul, Neg, Sub};

use rayon::prelude::*;

use super::elementwise::{Body, exec};
use super::vmath::{ln_f32, log2_f32_approx};
use crate::fractal::FractalJob;

/// Pixels per block of the Lyapunov loop (and of the tests' reference escape loop).
const LANES: usize = 32;
/// |z|^2 above which a point has escaped (a large radius keeps smooth colouring smooth).
pub(crate) const BAILOUT: f64 = 65536.0;
/// Lyapunov: products of this many derivatives are taken before one logarithm.
pub(crate) const LOG_EVERY: u32 = 8;
/// Lyapunov: the floor of a product before its logarithm (superstable points).
pub(crate) const PRODUCT_FLOOR: f32 = 1e-30;

trait Real:
    Copy
    + Send
    + Sync
    + PartialOrd
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Neg<Output = Self>
{
    fn of(v: f64) -> Self;
    fn f32(self) -> f32;
    /// `self * a + b`, rounded once (in software where the CPU has no FMA).
    fn mul_add(self, a: Self, b: Self) -> Self;
}
/// The [`Real`] impls: conversions by `as` (a no-op for the type itself).
macro_rules! real {
    ($($t:ty),*) => {$(
        impl Real for $t {
            #[inline(always)]
            fn of(v: f64) -> $t {
                v as $t
            }
            #[inline(always)]
            fn f32(self) -> f32 {
                self as f32
            }
            #[inline(always)]
            fn mul_add(self, a: $t, b: $t) -> $t {
                <$t>::mul_add(self, a, b)
            }
        }
    )*};
}
real!(f32, f64);

/// Renders `job` into `values` and `counts` (one f32 and one u32 per pixel).
pub(crate) fn run(job: &FractalJob, values: &mut [u8], counts: &mut [u8]) {
    let (width, height) = match *job {
        FractalJob::Escape { width, height, .. } | FractalJob::Lyapunov { width, height, .. } => {
            (width, height)
        }
    };
    let values: &mut [f32] = &mut bytemuck::cast_slice_mut(values)[..width * height];
    let counts: &mut [u32] = &mut bytemuck::cast_slice_mut(counts)[..width * height];
    if let FractalJob::Escape { .. } = *job {
        let rows = segments::ROWS_PER_TASK;
        values
            .par_chunks_mut(width * rows)
            .zip(counts.par_chunks_mut(width * rows))
            .enumerate()
            .for_each(|(t, (v, c))| {
                #[cfg(target_arch = "x86_64")]
                if x86::available() {
                    // SAFETY: the CPU has AVX2 with FMA, and AVX-512F where `wide`.
                    unsafe { x86::rows_simd(job, t * rows, v, c, x86::has_avx512()) };
                    return;
                }
                segments::rows_portable(job, t * rows, v, c);
            });
        return;
    }
    values
        .par_chunks_mut(width)
        .zip(counts.par_chunks_mut(width))
        .enumerate()
        .for_each(|(row, (v, c))| {
            for (b, (vb, cb)) in v.chunks_mut(LANES).zip(c.chunks_mut(LANES)).enumerate() {
                let col0 = b * LANES;
                exec(Lyapunov {
                    job,
                    row,
                    col0,
                    values: vb,
                    counts: cb,
                });
            }
        });
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
    use crate::element::DType;

    /// The reference loop: a block of LANES pixels in lockstep over plain arrays, each lane
    /// frozen by a blend once it escapes (the GPU kernels' formulation, step for step).
    struct Escape<'a, T> {
        job: &'a FractalJob,
        row: usize,
        col0: usize,
        values: &'a mut [f32],
        counts: &'a mut [u32],
        _t: std::marker::PhantomData<T>,
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
            let FractalJob::Escape {
                max_iter, fused, ..
            } = *self.job
            else {
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
                        let (r2, nx, ny) = if fused {
                            (
                                x[j].mul_add(x[j], yy),
                                x[j].mul_add(x[j], (-y[j]).mul_add(y[j], cx[j])),
                                (x[j] + x[j]).mul_add(y[j], cy[j]),
                            )
                        } else {
                            (xx + yy, (xx - yy) + cx[j], (x[j] + x[j]) * y[j] + cy[j])
                        };
                        // Written as the GPUs' `if (r2 > bailout) break`, so NaN continues alike.
                        #[allow(clippy::neg_cmp_op_on_partial_ord)]
                        let a = alive[j] && !(r2 > bail);
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
            let r2 = std::array::from_fn(|j| {
                if fused {
                    x[j].mul_add(x[j], y[j] * y[j])
                } else {
                    x[j] * x[j] + y[j] * y[j]
                }
            });
            finish(self.values, self.counts, &r2, &n, max_iter);
        }
    }

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
            fused: false,
        }
    }

    /// Renders `job` with the reference loop in T, block by block.
    fn reference<T: Real>(job: &FractalJob) -> (Vec<f32>, Vec<u32>) {
        let FractalJob::Escape { width, height, .. } = *job else {
            unreachable!()
        };
        let (mut v, mut c) = (vec![0f32; width * height], vec![0u32; width * height]);
        for (row, (vr, cr)) in v.chunks_mut(width).zip(c.chunks_mut(width)).enumerate() {
            for (b, (values, counts)) in vr.chunks_mut(LANES).zip(cr.chunks_mut(LANES)).enumerate()
            {
                exec(Escape::<T> {
                    job,
                    row,
                    col0: b * LANES,
                    values,
                    counts,
                    _t: Default::default(),
                });
            }
        }
        (v, c)
    }

    /// The segment loop gives the reference loop's counts and smooth values bit for bit, with
    /// portable, AVX2 and AVX-512 vectors, in f32 and in f64, separate and fused: Mandelbrot,
    /// a Julia set, and a Julia set whose c is too large for chunked steps; rows that end in
    /// part of a vector; limits that are and are not a multiple of the chunk; whole images and
    /// tasks of a few rows as `run` cuts them.
    #[test]
    fn the_segment_loops_match_the_reference_exactly() {
        // The first pixel that differs, if one does (the whole images would flood the log).
        fn same<T: PartialEq + std::fmt::Debug>(a: &[T], b: &[T], what: &str) {
            if let Some(i) = a.iter().zip(b).position(|(x, y)| x != y) {
                panic!("{what}: pixel {i} is {:?} against {:?}", b[i], a[i]);
            }
        }
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        for julia in [None, Some((-0.8, 0.156)), Some((300.0, 20.0))] {
            for (w, h, max_iter) in [(96, 40, 300), (90, 21, 37), (7, 3, 64)] {
                for (dtype, fused) in [DType::F32, DType::F64]
                    .into_iter()
                    .flat_map(|d| [(d, false), (d, true)])
                {
                    let mut job = job(w, h, max_iter, julia);
                    if let FractalJob::Escape {
                        dtype: d, fused: f, ..
                    } = &mut job
                    {
                        (*d, *f) = (dtype, fused);
                    }
                    let what = format!("{dtype:?} fused={fused} {julia:?} {w}x{h} max {max_iter}");
                    let (v1, c1) = match dtype {
                        DType::F64 => reference::<f64>(&job),
                        _ => reference::<f32>(&job),
                    };
                    // The vector types: portable, then AVX2 and AVX-512 where present.
                    for isa in 0..3 {
                        #[cfg(target_arch = "x86_64")]
                        if (isa == 1 && !x86::available()) || (isa == 2 && !x86::has_avx512()) {
                            continue;
                        }
                        #[cfg(not(target_arch = "x86_64"))]
                        if isa > 0 {
                            continue;
                        }
                        for rows in [h, segments::ROWS_PER_TASK, 1] {
                            let (mut v3, mut c3) = (vec![0f32; w * h], vec![0u32; w * h]);
                            for (t, (v, c)) in v3
                                .chunks_mut(w * rows)
                                .zip(c3.chunks_mut(w * rows))
                                .enumerate()
                            {
                                let row0 = t * rows;
                                match isa {
                                    0 => segments::rows_portable(&job, row0, v, c),
                                    // SAFETY: the CPU has AVX2, and AVX-512F for 2 (checked
                                    // above).
                                    #[cfg(target_arch = "x86_64")]
                                    _ => unsafe { x86::rows_simd(&job, row0, v, c, isa == 2) },
                                    #[cfg(not(target_arch = "x86_64"))]
                                    _ => unreachable!(),
                                }
                            }
                            let isa = ["portable", "AVX2", "AVX-512"][isa];
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
