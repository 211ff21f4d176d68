//! CPU side of the fractals: rows in parallel (rayon), each row in blocks of 32 pixels whose
//! iterations run in lockstep over plain arrays, so that the compiler turns every step into
//! four 8-lane vectors in flight (hiding FMA latency); a block stops when all its lanes have
//! escaped. The same arithmetic as the WGSL and CUDA kernels, with no fused multiply-adds:
//! Vulkan drivers may run WGSL's `fma` unfused (lavapipe does) and may not, so only plain
//! products and sums give every device the same roundings and the same orbits.

use std::ops::{Add, Mul, Sub};

use rayon::prelude::*;

use super::elementwise::{Body, exec};
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

impl<T: Real> Body for Escape<'_, T> {
    #[inline(always)]
    fn body(self) {
        let FractalJob::Escape {
            x0,
            y1,
            dx,
            dy,
            max_iter,
            julia,
            ..
        } = *self.job
        else {
            return;
        };
        let bail = T::of(BAILOUT);
        let (mut x, mut y, mut cx, mut cy) = (
            [T::of(0.0); LANES],
            [T::of(0.0); LANES],
            [T::of(0.0); LANES],
            [T::of(0.0); LANES],
        );
        let py = T::of(y1) - T::of(self.row as f64 + 0.5) * T::of(dy);
        for j in 0..LANES {
            let px = T::of((self.col0 + j) as f64 + 0.5) * T::of(dx) + T::of(x0);
            match julia {
                Some((jx, jy)) => {
                    (x[j], y[j], cx[j], cy[j]) = (px, py, T::of(jx), T::of(jy));
                }
                None => {
                    (cx[j], cy[j]) = (px, py);
                }
            }
        }
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
        for j in 0..self.values.len() {
            self.counts[j] = n[j];
            self.values[j] = if n[j] == max_iter {
                -1.0
            } else {
                let r2 = (x[j] * x[j] + y[j] * y[j]).f32();
                (n[j] as f32 + 1.0 - (0.5 * r2.ln()).log2()).max(0.0)
            };
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
