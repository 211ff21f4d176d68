//! Fractals on every device: Mandelbrot and Julia sets (escape time, f32 or f64, smooth
//! colouring values) and Lyapunov fractals of the logistic map (CorePy's 2007 Cell demo);
//! perceptual colormaps and PNG output.
//!
//! ```
//! use streamcore::prelude::*;
//! use streamcore::fractal::{self, EscapeParams, Region};
//! let p = EscapeParams { width: 64, height: 48, max_iter: 100, ..Default::default() };
//! let img = fractal::mandelbrot::<f32>(&Device::cpu(), &p)?;
//! assert_eq!(img.values.shape(), &[48, 64]);
//! assert!(img.executed_iterations()? > 0.0);
//! # Ok::<(), streamcore::Error>(())
//! ```

pub mod colormap;

use crate::array::Array;
use crate::device::Device;
use crate::element::{DType, Element};
use crate::error::{Error, Result};

/// Flops counted per escape-time iteration: those of z' = z^2 + c, that is `x*x`, `y*y`,
/// `x*x - y*y + cx` (2) and `(x + x) * y + cy` (3), in either [`Arithmetic`] (fused, they
/// are 3 fused multiply-adds and an add). The escape test `x*x + y*y` is not counted: every
/// device takes it once per 8 steps where orbits allow (every Mandelbrot orbit, Julia sets
/// with |c| <= 255), and replays the 8 steps one by one only when one of them escaped.
/// (Until 2026-11-22 this was 8, with the test counted; BENCHMARKS.md says which it used.
/// The GPU kernels took the test every step until 2026-11-23.)
pub const ESCAPE_FLOPS_PER_ITER: f64 = 7.0;

/// Flops counted per measured Lyapunov iteration: the derivative `r (1 - (x + x))` (3), the
/// running product of its magnitude (1), and `x' = (r x) (1 - x)` (3).
/// Warm-up iterations and the logarithm taken every 8 iterations are not counted (so the
/// figure errs low).
pub const LYAPUNOV_FLOPS_PER_ITER: f64 = 7.0;

/// A rectangle of the plane: real part `x0..x1` left to right, imaginary (or `b`) part
/// `y0..y1` bottom to top. Pixel (row, col) samples its centre; row 0 is the top.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Region {
    /// Left edge.
    pub x0: f64,
    /// Right edge.
    pub x1: f64,
    /// Bottom edge.
    pub y0: f64,
    /// Top edge.
    pub y1: f64,
}

impl Region {
    /// The whole Mandelbrot set.
    pub const MANDELBROT: Region = Region {
        x0: -2.5,
        x1: 1.0,
        y0: -1.3125,
        y1: 1.3125,
    };

    /// A region centred on (`cx`, `cy`) `width` wide, with the aspect of `w` x `h` pixels.
    pub fn centered(cx: f64, cy: f64, width: f64, w: usize, h: usize) -> Region {
        let height = width * h as f64 / w.max(1) as f64;
        Region {
            x0: cx - width / 2.0,
            x1: cx + width / 2.0,
            y0: cy - height / 2.0,
            y1: cy + height / 2.0,
        }
    }
}

/// How an escape-time loop rounds its step `z' = z^2 + c`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Arithmetic {
    /// Every product and sum rounded on its own: `x' = (x*x - y*y) + cx`,
    /// `y' = (x + x)*y + cy`, and `|z|^2 = x*x + y*y`. Every device computes the same
    /// roundings, so the same orbits and counts, whatever its compiler or driver would fuse.
    #[default]
    Separate,
    /// Fused multiply-adds, each rounded once: `x' = fma(x, x, fma(-y, y, cx))`,
    /// `y' = fma(x + x, y, cy)`, and `|z|^2 = fma(x, x, y*y)`. Four instructions a step where
    /// [`Arithmetic::Separate`] takes seven, for the same 7 counted flops: the fast choice
    /// where the hardware fuses (CPUs with FMA or NEON, CUDA). The orbits are those of a
    /// correctly rounded fma, the same on every device that has one. A Vulkan driver may run
    /// WGSL's `fma` as a product and a sum (lavapipe does): there f32 steps go through f64
    /// instead (the same orbits, but for a double rounding where an f64 sum lands exactly
    /// halfway between two floats), and f64 steps give that device's own orbits, whose
    /// counts can differ on more boundary pixels. Where the CPU has no FMA instruction (x86
    /// without AVX2), the fused form runs in software: correct but slow.
    Fused,
}

/// Parameters of an escape-time image. The default is the whole Mandelbrot set at
/// 1024 x 768 with 500 iterations, in [`Arithmetic::Separate`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EscapeParams {
    /// Pixels per row.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// The part of the plane shown.
    pub region: Region,
    /// Iterations before a point counts as inside.
    pub max_iter: u32,
    /// How the step is rounded.
    pub arithmetic: Arithmetic,
}

impl Default for EscapeParams {
    fn default() -> EscapeParams {
        EscapeParams {
            width: 1024,
            height: 768,
            region: Region::MANDELBROT,
            max_iter: 500,
            arithmetic: Arithmetic::Separate,
        }
    }
}

/// Parameters of a Lyapunov image: the logistic map `x' = r x (1 - x)` with `r` taken from
/// `a` or `b` by the letters of `sequence`, cyclically.
#[derive(Clone, Debug, PartialEq)]
pub struct LyapunovParams {
    /// Pixels per row.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// `a` along the rows (x0..x1) and `b` up the columns (y0..y1).
    pub region: Region,
    /// A string of `A` and `B`.
    pub sequence: String,
    /// Iterations run before the exponent is measured.
    pub warmup: u32,
    /// Iterations whose derivatives the exponent averages.
    pub iters: u32,
}

impl LyapunovParams {
    /// CorePy's PS3 demo: 768 x 512, "AB", 100 warm-up and 500 counted iterations,
    /// a and b in [2, 4].
    pub fn corepy() -> LyapunovParams {
        LyapunovParams {
            width: 768,
            height: 512,
            region: Region {
                x0: 2.0,
                x1: 4.0,
                y0: 2.0,
                y1: 4.0,
            },
            sequence: "AB".into(),
            warmup: 100,
            iters: 500,
        }
    }
}

/// One job for a backend.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum FractalJob {
    /// Escape time in `dtype` (F32 or F64); `julia` holds c for a Julia set.
    Escape {
        dtype: DType,
        width: usize,
        height: usize,
        x0: f64,
        y1: f64,
        dx: f64,
        dy: f64,
        max_iter: u32,
        julia: Option<(f64, f64)>,
        /// [`Arithmetic::Fused`].
        fused: bool,
    },
    /// Lyapunov exponent in f32; `seq` holds 0 for A and 1 for B.
    Lyapunov {
        width: usize,
        height: usize,
        a0: f64,
        b1: f64,
        da: f64,
        db: f64,
        seq: Vec<u8>,
        warmup: u32,
        iters: u32,
    },
}

impl FractalJob {
    /// Whether every orbit of an escape-time job keeps growing once |z|^2 passes the
    /// bailout (256^2), so that one test at the end of a chunk of steps sees every escape
    /// inside it: |z| > max(2, |c|) implies |z^2 + c| >= |z|^2 - |c| > |z|. Mandelbrot orbits
    /// start at z1 = c, so this holds for any c, and Julia orbits for |c| <= 256 (255 here,
    /// a margin for rounding). For a Julia c beyond that, an escaped z can land back inside
    /// the radius.
    pub(crate) fn chunked(&self) -> bool {
        match *self {
            FractalJob::Escape { julia, .. } => julia.is_none_or(|(jx, jy)| jx.hypot(jy) <= 255.0),
            FractalJob::Lyapunov { .. } => false,
        }
    }
}

/// A rendered image: one `f32` per pixel and the iterations each pixel ran.
#[derive(Clone, Debug)]
pub struct Rendered {
    /// `[height, width]`. Escape time: the smooth iteration count `n + 1 - log2(ln |z|)`
    /// (clamped at 0) for points that escape, -1 for points inside. Lyapunov: the exponent.
    pub values: Array<f32>,
    /// `[height, width]`: iterations executed per pixel (Lyapunov: the measured ones).
    pub counts: Array<u32>,
    /// Flops per counted iteration (see [`ESCAPE_FLOPS_PER_ITER`]).
    pub flops_per_iter: f64,
}

impl Rendered {
    /// Iterations executed, summed over pixels (not pixels x the maximum).
    pub fn executed_iterations(&self) -> Result<f64> {
        Ok(self.counts.cast::<f32>()?.sum()?.item()? as f64)
    }
}

fn check_size(op: &'static str, width: usize, height: usize) -> Result<()> {
    if width == 0 || height == 0 {
        return Err(Error::invalid(
            op,
            format!("image size {width} x {height}: both must be at least 1"),
        ));
    }
    if width
        .checked_mul(height)
        .is_none_or(|n| n > u32::MAX as usize)
    {
        return Err(Error::invalid(
            op,
            format!("image size {width} x {height}: over 2^32 pixels"),
        ));
    }
    Ok(())
}

fn check_region(op: &'static str, r: &Region) -> Result<()> {
    let ok = [r.x0, r.x1, r.y0, r.y1].iter().all(|v| v.is_finite()) && r.x1 > r.x0 && r.y1 > r.y0;
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            op,
            format!("region {r:?}: need finite x0 < x1 and y0 < y1"),
        ))
    }
}

fn render(
    device: &Device,
    job: &FractalJob,
    width: usize,
    height: usize,
    flops: f64,
) -> Result<Rendered> {
    let mut values = Array::<f32>::uninit(device, &[height, width], "fractal")?;
    let mut counts = Array::<u32>::uninit(device, &[height, width], "fractal")?;
    device
        .backend()
        .fractal(job, values.buffer_mut()?, counts.buffer_mut()?)?;
    Ok(Rendered {
        values,
        counts,
        flops_per_iter: flops,
    })
}

fn escape<T: Element>(
    op: &'static str,
    device: &Device,
    p: &EscapeParams,
    julia: Option<(f64, f64)>,
) -> Result<Rendered> {
    if !matches!(T::DTYPE, DType::F32 | DType::F64) {
        return Err(Error::DtypeUnsupported {
            dtype: T::DTYPE,
            device: format!("any device (op {op})"),
            reason: "escape-time fractals compute in f32 or f64".into(),
        });
    }
    check_size(op, p.width, p.height)?;
    check_region(op, &p.region)?;
    if p.max_iter == 0 {
        return Err(Error::invalid(op, "max_iter must be at least 1"));
    }
    device.backend().check_dtype(T::DTYPE)?;
    let r = p.region;
    let job = FractalJob::Escape {
        dtype: T::DTYPE,
        width: p.width,
        height: p.height,
        x0: r.x0,
        y1: r.y1,
        dx: (r.x1 - r.x0) / p.width as f64,
        dy: (r.y1 - r.y0) / p.height as f64,
        max_iter: p.max_iter,
        julia,
        fused: p.arithmetic == Arithmetic::Fused,
    };
    render(device, &job, p.width, p.height, ESCAPE_FLOPS_PER_ITER)
}

/// The Mandelbrot set: `z' = z^2 + c` from `z = 0`, `c` the pixel, computed in `T` (f32 or
/// f64; f64 shows detail f32 cannot below widths of about 1e-5).
pub fn mandelbrot<T: Element>(device: &Device, p: &EscapeParams) -> Result<Rendered> {
    escape::<T>("mandelbrot", device, p, None)
}

/// The Julia set of `c`: `z' = z^2 + c` from `z` = the pixel.
pub fn julia<T: Element>(device: &Device, p: &EscapeParams, c: (f64, f64)) -> Result<Rendered> {
    if !(c.0.is_finite() && c.1.is_finite()) {
        return Err(Error::invalid("julia", format!("c = {c:?} is not finite")));
    }
    escape::<T>("julia", device, p, Some(c))
}

/// The Lyapunov fractal: per pixel (a, b), the exponent `(1/N) sum ln |r (1 - 2x)|` of the
/// logistic map driven by the A/B sequence, after `warmup` iterations from x = 0.5.
pub fn lyapunov(device: &Device, p: &LyapunovParams) -> Result<Rendered> {
    check_size("lyapunov", p.width, p.height)?;
    check_region("lyapunov", &p.region)?;
    if p.sequence.is_empty() || p.sequence.len() > 64 {
        return Err(Error::invalid(
            "lyapunov",
            format!("sequence {:?}: give 1 to 64 letters A and B", p.sequence),
        ));
    }
    let seq: Vec<u8> = p
        .sequence
        .chars()
        .map(|ch| match ch {
            'A' | 'a' => Ok(0),
            'B' | 'b' => Ok(1),
            other => Err(Error::invalid(
                "lyapunov",
                format!(
                    "sequence {:?} has {other:?}: only A and B are allowed",
                    p.sequence
                ),
            )),
        })
        .collect::<Result<_>>()?;
    if p.iters == 0 {
        return Err(Error::invalid("lyapunov", "iters must be at least 1"));
    }
    device.backend().check_dtype(DType::F32)?;
    let r = p.region;
    let job = FractalJob::Lyapunov {
        width: p.width,
        height: p.height,
        a0: r.x0,
        b1: r.y1,
        da: (r.x1 - r.x0) / p.width as f64,
        db: (r.y1 - r.y0) / p.height as f64,
        seq,
        warmup: p.warmup,
        iters: p.iters,
    };
    render(device, &job, p.width, p.height, LYAPUNOV_FLOPS_PER_ITER)
}

/// Writes RGBA8 pixels (`width * height * 4` bytes, rows top to bottom) as a PNG file.
pub fn write_png(path: &std::path::Path, width: usize, height: usize, rgba: &[u8]) -> Result<()> {
    let io =
        |e: &dyn std::fmt::Display| Error::invalid("write_png", format!("{}: {e}", path.display()));
    if rgba.len() != width * height * 4 {
        return Err(Error::invalid(
            "write_png",
            format!(
                "{} bytes for {width} x {height} RGBA pixels (need {})",
                rgba.len(),
                width * height * 4
            ),
        ));
    }
    let file = std::fs::File::create(path).map_err(|e| io(&e))?;
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), width as u32, height as u32);
    enc.set_color(png::ColorType::Rgba);
    enc.set_depth(png::BitDepth::Eight);
    let mut w = enc.write_header().map_err(|e| io(&e))?;
    w.write_image_data(rgba).map_err(|e| io(&e))?;
    w.finish().map_err(|e| io(&e))
}

impl Rendered {
    /// A report of one frame that took `secs` (wall time, device synchronised): frames/s,
    /// pixels/s, executed iterations/s and GFLOP/s at [`Rendered::flops_per_iter`].
    pub fn report(&self, device: &Device, secs: f64) -> Result<String> {
        let pixels = self.values.len() as f64;
        let iters = self.executed_iterations()?;
        Ok(format!(
            "device: {device}\nwall time: {:.3} ms per frame\nframes/s: {:.2}\npixels/s: {:.3e}\n\
             iterations/s: {:.3e} (executed, summed over pixels: {iters:.4e} per frame)\n\
             GFLOP/s: {:.2} ({} flops per iteration)",
            secs * 1e3,
            1.0 / secs,
            pixels / secs,
            iters / secs,
            iters * self.flops_per_iter / secs / 1e9,
            self.flops_per_iter,
        ))
    }
}

/// Renders at least `frames` times, and on until a quarter second of timed frames has passed
/// (at most 10 000), after one untimed warm-up (kernel compilation, caches); returns the last
/// image with the median wall time per frame. Every frame waits for the device. The extra
/// frames matter on a GPU, where a frame takes well under a millisecond: the medians of three
/// frames of one kernel differed by 7% between two runs on an H100.
pub fn timed(
    device: &Device,
    frames: usize,
    mut render: impl FnMut() -> Result<Rendered>,
) -> Result<(Rendered, f64)> {
    const MIN_TIMED_S: f64 = 0.25;
    const MAX_FRAMES: usize = 10_000;
    let mut last = render()?;
    device.synchronize()?;
    let mut times = Vec::with_capacity(frames.max(1));
    let mut total = 0.0;
    while times.len() < frames.max(1) || (total < MIN_TIMED_S && times.len() < MAX_FRAMES) {
        let t = std::time::Instant::now();
        last = render()?;
        device.synchronize()?;
        let dt = t.elapsed().as_secs_f64();
        total += dt;
        times.push(dt);
    }
    times.sort_by(f64::total_cmp);
    Ok((last, times[times.len() / 2]))
}
