//! `streamcore bench`: a standard suite of cases (transfers, elementwise, reduction, matmul,
//! FFT, fractal) on every device asked for, beside each device's ceilings and the anchors,
//! all measured in the same process, each figure with its error check beside it.

use std::io::{IsTerminal, Write};
use std::time::Instant;

use ndarray::{Array1, Zip};
use num_complex::Complex;
use rustfft::FftPlanner;
use streamcore::fractal::{self, Arithmetic, EscapeParams, Region};
use streamcore::prelude::*;
use streamcore::{Ceilings, fft};

use crate::report::{Kind, Record};

/// Which cases, at which sizes, how long.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Suite {
    /// Small sizes, few repeats: seconds. For tests and a first look.
    Tiny,
    /// The standard sizes: at most two minutes on a 2-core CPU with a software adapter.
    Quick,
    /// Sizes up to 2^26 elements, 4096² matmul on GPUs, FFTs batched to 2^24 points.
    Full,
}

/// Repeats of one case: at least `min` and `target_s` seconds of timed calls, at most `max`.
pub struct Policy {
    min: usize,
    max: usize,
    target_s: f64,
}

impl Suite {
    fn policy(self) -> Policy {
        match self {
            Suite::Tiny => Policy {
                min: 5,
                max: 20,
                target_s: 0.01,
            },
            Suite::Quick => Policy {
                min: 5,
                max: 100,
                target_s: 0.12,
            },
            Suite::Full => Policy {
                min: 10,
                max: 1000,
                target_s: 1.0,
            },
        }
    }

    /// The cases of the suite; `gpu` adds the sizes only a hardware GPU finishes in time.
    fn cases(self, gpu: bool) -> Vec<Case> {
        use Case::*;
        let mut v = Vec::new();
        let z = match self {
            Suite::Tiny => Sizes {
                xfer: &[1 << 16],
                elem: &[1 << 16],
                mm: &[64],
                ffts: &[(256, 16)],
                ffts2: &[32],
                frac: &[(64, 48, 64)],
            },
            Suite::Quick => Sizes {
                xfer: &[1 << 20, 1 << 23],
                elem: &[1 << 18, 1 << 22, 1 << 24],
                mm: &[128, 256, 512],
                ffts: &[(1 << 10, 256), (1 << 12, 64), (1 << 16, 4), (1 << 20, 1)],
                ffts2: &[256, 1024],
                frac: &[(512, 384, 256), (1024, 768, 256)],
            },
            Suite::Full => Sizes {
                xfer: &[1 << 20, 1 << 24, 1 << 26],
                elem: &[1 << 16, 1 << 20, 1 << 24, 1 << 26],
                mm: &[256, 512, 1024, 2048],
                ffts: &[
                    (1 << 10, 1 << 14),
                    (1 << 12, 1 << 12),
                    (1 << 16, 1 << 8),
                    (1 << 20, 1 << 4),
                    (1 << 24, 1),
                ],
                ffts2: &[1024, 4096],
                frac: &[(1024, 768, 500), (2048, 1536, 1000)],
            },
        };
        let (xfer, elem, mm, ffts, ffts2, frac) = (z.xfer, z.elem, z.mm, z.ffts, z.ffts2, z.frac);
        v.extend(xfer.iter().map(|&n| ToDevice(n)));
        v.extend(xfer.iter().map(|&n| ToHost(n)));
        v.extend(elem.iter().map(|&n| Add(n)));
        v.extend(elem.iter().map(|&n| Sum(n)));
        v.extend(mm.iter().map(|&n| Matmul(n)));
        if self == Suite::Full && gpu {
            v.push(Matmul(4096));
        }
        v.extend(ffts.iter().map(|&(n, batch)| Fft { n, batch }));
        v.extend(ffts2.iter().map(|&n| Fft2(n)));
        for arithmetic in [Arithmetic::Separate, Arithmetic::Fused] {
            v.extend(frac.iter().map(|&(w, h, iters)| Mandelbrot {
                w,
                h,
                iters,
                arithmetic,
            }));
        }
        v
    }
}

/// The sizes of a suite's cases.
struct Sizes {
    /// Transfers (f32 elements).
    xfer: &'static [usize],
    /// add and sum (f32 elements).
    elem: &'static [usize],
    /// Square matmul sides.
    mm: &'static [usize],
    /// (length, batch) of 1-D FFTs.
    ffts: &'static [(usize, usize)],
    /// Sides of square 2-D FFTs.
    ffts2: &'static [usize],
    /// (width, height, iterations) of Mandelbrot images.
    frac: &'static [(usize, usize, u32)],
}

/// One benchmark case (f32 throughout; complex64 for FFTs).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Case {
    /// Host ndarray to device array, n f32.
    ToDevice(usize),
    /// Device array to host ndarray, n f32.
    ToHost(usize),
    /// a + b over n f32.
    Add(usize),
    /// Sum of n f32.
    Sum(usize),
    /// n x n times n x n.
    Matmul(usize),
    /// `batch` complex transforms of length n.
    Fft { n: usize, batch: usize },
    /// One n x n complex 2-D transform.
    Fft2(usize),
    /// A w x h Mandelbrot image of up to `iters` iterations per pixel in `arithmetic`.
    Mandelbrot {
        w: usize,
        h: usize,
        iters: u32,
        arithmetic: Arithmetic,
    },
}

/// What a case's throughput is judged against.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// Bytes: the copy bandwidth.
    Memory,
    /// Flops: the FMA rate.
    Compute,
    /// Host-device transfers: no ceiling of ours.
    Link,
}

impl Case {
    pub fn op(&self) -> &'static str {
        match self {
            Case::ToDevice(_) => "to_device",
            Case::ToHost(_) => "to_ndarray",
            Case::Add(_) => "add",
            Case::Sum(_) => "sum",
            Case::Matmul(_) => "matmul",
            Case::Fft { .. } => "fft",
            Case::Fft2(_) => "fft2",
            Case::Mandelbrot { .. } => "mandelbrot",
        }
    }

    fn dtype(&self) -> &'static str {
        match self {
            Case::Fft { .. } | Case::Fft2(_) => "c64",
            _ => "f32",
        }
    }

    fn size(&self) -> String {
        match *self {
            Case::ToDevice(n) | Case::ToHost(n) | Case::Add(n) | Case::Sum(n) => n.to_string(),
            Case::Matmul(n) => format!("{n}x{n}x{n}"),
            Case::Fft { n, batch } => format!("{n}x{batch}"),
            Case::Fft2(n) => format!("{n}x{n}"),
            Case::Mandelbrot {
                w,
                h,
                iters,
                arithmetic,
            } => {
                let fused = arithmetic == Arithmetic::Fused;
                format!("{w}x{h}x{iters}{}", if fused { "-fused" } else { "" })
            }
        }
    }

    /// Elements of the input (matmul: n * n; fft: length * batch).
    fn elements(&self) -> u64 {
        (match *self {
            Case::ToDevice(n) | Case::ToHost(n) | Case::Add(n) | Case::Sum(n) => n,
            Case::Matmul(n) => n * n,
            Case::Fft { n, batch } => n * batch,
            Case::Fft2(n) => n * n,
            Case::Mandelbrot { w, h, .. } => w * h,
        }) as u64
    }

    /// The x axis of the plots: elements, but n for matmul and the length for fft.
    fn x(&self) -> u64 {
        match *self {
            Case::Matmul(n) | Case::Fft { n, .. } => n as u64,
            _ => self.elements(),
        }
    }

    pub fn bound(&self) -> Bound {
        match self {
            Case::ToDevice(_) | Case::ToHost(_) => Bound::Link,
            Case::Matmul(_) | Case::Mandelbrot { .. } => Bound::Compute,
            _ => Bound::Memory,
        }
    }

    /// Bytes the op must move at least (FFTs: 16 per point, benchFFT's effective figure).
    fn bytes(&self) -> Option<f64> {
        let b = match *self {
            Case::ToDevice(n) | Case::ToHost(n) | Case::Sum(n) => 4 * n,
            Case::Add(n) => 12 * n,
            Case::Fft { n, batch } => 16 * n * batch,
            Case::Fft2(n) => 16 * n * n,
            Case::Matmul(_) | Case::Mandelbrot { .. } => return None,
        };
        Some(b as f64)
    }

    /// Flops (FFTs: benchFFT's 5 N log2 N). Mandelbrot's depend on the image: `None` here.
    fn flops(&self) -> Option<f64> {
        let f = |n: usize| n as f64 * (n as f64).log2();
        match *self {
            Case::Matmul(n) => Some(2.0 * (n as f64).powi(3)),
            Case::Fft { n, batch } => Some(5.0 * f(n) * batch as f64),
            Case::Fft2(n) => Some(5.0 * f(n * n)),
            _ => None,
        }
    }

    /// Bytes of one set of inputs.
    fn input_bytes(&self) -> usize {
        match *self {
            Case::ToDevice(n) | Case::ToHost(n) | Case::Sum(n) => 4 * n,
            Case::Add(n) => 8 * n,
            Case::Matmul(n) => 8 * n * n,
            Case::Fft { n, batch } => 8 * n * batch,
            Case::Fft2(n) => 8 * n * n,
            Case::Mandelbrot { .. } => 0,
        }
    }

    /// Input sets rotated between calls so that memory-bound inputs come from memory, not a
    /// cache: together at least 128 MiB and four times the CPU's last-level cache (more than
    /// any GPU's L2), at most 128 sets.
    pub fn sets(&self) -> usize {
        if self.bound() == Bound::Compute {
            return 1;
        }
        let cover = (128usize << 20).max(4 * last_level_cache());
        cover.div_ceil(self.input_bytes().max(1)).clamp(1, 128)
    }
}

/// The CPU's last-level cache in bytes (Linux sysfs; 32 MiB where it cannot be read).
fn last_level_cache() -> usize {
    let read = |i: usize| -> Option<usize> {
        let s =
            std::fs::read_to_string(format!("/sys/devices/system/cpu/cpu0/cache/index{i}/size"))
                .ok()?;
        let s = s.trim();
        let (num, mult) = match s.strip_suffix('K') {
            Some(n) => (n, 1 << 10),
            None => match s.strip_suffix('M') {
                Some(n) => (n, 1 << 20),
                None => (s, 1),
            },
        };
        num.parse::<usize>().ok().map(|n| n * mult)
    };
    (0..5).filter_map(read).max().unwrap_or(32 << 20)
}

/// Everything the suite runs on.
pub struct Config {
    pub suite: Suite,
    pub devices: Vec<Device>,
    /// Only these ops (by name), if given.
    pub ops: Option<Vec<String>>,
    pub progress: bool,
}

/// The measured repeats of one case on one device or anchor.
#[derive(Default)]
pub struct Measured {
    pub wall: Vec<f64>,
    pub kernel: Vec<f64>,
    pub first_s: Option<f64>,
    pub upload_s: Option<f64>,
    pub download_s: Option<f64>,
    pub err: Option<f64>,
    /// Flops of one call where only the run knows them (Mandelbrot).
    pub flops: Option<f64>,
}

pub fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        s[n / 2]
    } else {
        0.5 * (s[n / 2 - 1] + s[n / 2])
    }
}

/// Never zeros: values in [0.5, 1.5) from a hash of (i, seed).
pub fn pattern(n: usize, seed: u64) -> Vec<f32> {
    (0..n as u64)
        .map(|i| {
            let mut z = i.wrapping_add(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            0.5 + ((z >> 40) as f32) / (1u64 << 24) as f32
        })
        .collect()
}

pub fn complex_pattern(n: usize, seed: u64) -> Vec<Complex32> {
    let re = pattern(n, seed);
    let im = pattern(n, seed + 7777);
    re.into_iter()
        .zip(im)
        .map(|(r, i)| Complex32::new(r - 1.0, i - 1.0))
        .collect()
}

/// Normwise max relative error: max |x - r| / max |r|.
pub fn max_rel_err(x: &[f64], r: &[f64]) -> f64 {
    if x.len() != r.len() {
        return f64::INFINITY;
    }
    let scale = r.iter().fold(0f64, |m, v| m.max(v.abs()));
    let diff = x.iter().zip(r).fold(0f64, |m, (a, b)| {
        if a.is_nan() {
            f64::INFINITY
        } else {
            m.max((a - b).abs())
        }
    });
    if scale == 0.0 { diff } else { diff / scale }
}

fn interleave(v: &[Complex32]) -> Vec<f64> {
    v.iter().flat_map(|c| [c.re as f64, c.im as f64]).collect()
}

/// Calls `step(i)` (returning wall and device seconds) until the policy is met.
pub fn repeat(
    policy: &Policy,
    mut step: impl FnMut(usize) -> Result<(f64, Option<f64>)>,
) -> Result<(Vec<f64>, Vec<f64>)> {
    let (mut wall, mut kernel) = (Vec::new(), Vec::new());
    let start = Instant::now();
    let mut i = 0;
    while wall.len() < policy.max
        && (wall.len() < policy.min || start.elapsed().as_secs_f64() < policy.target_s)
    {
        let (w, k) = step(i)?;
        wall.push(w);
        kernel.extend(k);
        i += 1;
    }
    Ok((wall, kernel))
}

/// One case on one device: inputs uploaded per set (timed), a first call (with any
/// compilation), the download of its result (timed) and its error, a warm-up, then the
/// timed repeats over rotating input sets.
#[allow(clippy::too_many_arguments)]
fn on_device<In, Out>(
    dev: &Device,
    policy: &Policy,
    sets: usize,
    (time_upload, time_download): (bool, bool),
    upload: impl Fn(usize) -> Result<In>,
    run: impl Fn(&In) -> Result<Out>,
    download: impl Fn(&Out) -> Result<Vec<f64>>,
    check: impl Fn(&[f64]) -> f64,
) -> Result<Measured> {
    let mut ups = Vec::new();
    let mut inputs = Vec::new();
    for s in 0..sets {
        let t = Instant::now();
        inputs.push(upload(s)?);
        dev.synchronize()?;
        ups.push(t.elapsed().as_secs_f64());
    }
    let (out, first) = dev.profile(|| run(&inputs[0]))?;
    let mut downs = Vec::new();
    let mut host = Vec::new();
    for _ in 0..2 {
        let t = Instant::now();
        host = download(&out)?;
        downs.push(t.elapsed().as_secs_f64());
    }
    drop(out);
    let err = check(&host);
    drop(host);
    dev.profile(|| run(&inputs[1 % sets]))?;
    let (wall, kernel) = repeat(policy, |i| {
        let ((), p) = dev.profile(|| run(&inputs[i % sets]).map(drop))?;
        Ok((p.wall_s, p.kernel_s))
    })?;
    let med = median(&wall);
    Ok(Measured {
        first_s: Some((first.wall_s - med).max(0.0)),
        upload_s: time_upload.then(|| median(&ups)),
        download_s: time_download.then(|| downs.iter().copied().fold(f64::INFINITY, f64::min)),
        err: Some(err),
        wall,
        kernel,
        flops: None,
    })
}

/// One anchor run on the host: `run(i)` prepares call `i` untimed and returns the seconds
/// of its timed part (see [`timed`]); a first call warms up.
fn on_host(policy: &Policy, mut run: impl FnMut(usize) -> f64) -> Result<Measured> {
    run(0);
    let (wall, _) = repeat(policy, |i| Ok((run(i), None)))?;
    Ok(Measured {
        kernel: wall.clone(),
        wall,
        ..Default::default()
    })
}

/// Seconds `f` takes.
fn timed(f: impl FnOnce()) -> f64 {
    let t = Instant::now();
    f();
    t.elapsed().as_secs_f64()
}

/// A tiled transpose of an n x n matrix (the 2-D FFT anchor and its f64 reference).
fn transpose<T: Copy>(src: &[T], dst: &mut [T], n: usize) {
    const T: usize = 16;
    for i0 in (0..n).step_by(T) {
        for j0 in (0..n).step_by(T) {
            for i in i0..(i0 + T).min(n) {
                for j in j0..(j0 + T).min(n) {
                    dst[j * n + i] = src[i * n + j];
                }
            }
        }
    }
}

/// The f64 reference transform of `x` (rows of length n).
fn fft_f64(x: &[Complex32], n: usize) -> Vec<f64> {
    let mut v: Vec<Complex<f64>> = x
        .iter()
        .map(|c| Complex::new(c.re as f64, c.im as f64))
        .collect();
    FftPlanner::<f64>::new().plan_fft_forward(n).process(&mut v);
    v.iter().flat_map(|c| [c.re, c.im]).collect()
}

fn fft2_f64(x: &[Complex32], n: usize) -> Vec<f64> {
    let mut v: Vec<Complex<f64>> = x
        .iter()
        .map(|c| Complex::new(c.re as f64, c.im as f64))
        .collect();
    let plan = FftPlanner::<f64>::new().plan_fft_forward(n);
    plan.process(&mut v);
    let mut t = vec![Complex::default(); n * n];
    transpose(&v, &mut t, n);
    plan.process(&mut t);
    transpose(&t, &mut v, n);
    v.iter().flat_map(|c| [c.re, c.im]).collect()
}

/// The escape counts of the plain scalar loop, with the kernels' arithmetic: the pixel's
/// coordinates in f32 from the f64 view, and the step's products and sums rounded
/// separately or fused as `p.arithmetic` says. The reference for every device (counts may
/// differ on a few boundary pixels where a device's arithmetic does).
fn mandelbrot_scalar(p: &EscapeParams) -> Vec<f64> {
    #[cfg(target_arch = "x86_64")]
    if p.arithmetic == Arithmetic::Fused && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU has FMA (checked).
        return unsafe { mandelbrot_scalar_fma(p) };
    }
    mandelbrot_scalar_loop(p)
}

/// [`mandelbrot_scalar_loop`] compiled with FMA, so that fused steps are one instruction
/// each rather than a call to the C library's `fmaf`, as a scalar loop written for this CPU
/// would have them.
///
/// # Safety
/// The CPU must have FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "fma")]
unsafe fn mandelbrot_scalar_fma(p: &EscapeParams) -> Vec<f64> {
    mandelbrot_scalar_loop(p)
}

#[inline(always)]
fn mandelbrot_scalar_loop(p: &EscapeParams) -> Vec<f64> {
    let r = p.region;
    let dx = ((r.x1 - r.x0) / p.width as f64) as f32;
    let dy = ((r.y1 - r.y0) / p.height as f64) as f32;
    let (x0, y1) = (r.x0 as f32, r.y1 as f32);
    let fused = p.arithmetic == Arithmetic::Fused;
    let mut out = Vec::with_capacity(p.width * p.height);
    for row in 0..p.height {
        let cy = y1 - (row as f32 + 0.5) * dy;
        for col in 0..p.width {
            let cx = (col as f32 + 0.5) * dx + x0;
            let (mut x, mut y, mut n) = (0f32, 0f32, 0u32);
            while n < p.max_iter {
                let (xx, yy) = (x * x, y * y);
                let r2 = if fused { x.mul_add(x, yy) } else { xx + yy };
                if r2 > 65536.0 {
                    break;
                }
                (x, y) = if fused {
                    (x.mul_add(x, (-y).mul_add(y, cx)), (x + x).mul_add(y, cy))
                } else {
                    ((xx - yy) + cx, (x + x) * y + cy)
                };
                n += 1;
            }
            out.push(n as f64);
        }
    }
    out
}

fn escape_params(w: usize, h: usize, iters: u32, arithmetic: Arithmetic) -> EscapeParams {
    EscapeParams {
        width: w,
        height: h,
        region: Region::centered(-0.75, 0.0, 3.5, w, h),
        max_iter: iters,
        arithmetic,
    }
}

/// The measured case on `dev`.
fn measure(case: Case, dev: &Device, policy: &Policy, reference: &[f64]) -> Result<Measured> {
    let sets = case.sets();
    let f32s = |a: &Array<f32>| -> Result<Vec<f64>> {
        Ok(a.to_vec()?.into_iter().map(f64::from).collect())
    };
    let check = |x: &[f64]| max_rel_err(x, reference);
    match case {
        Case::ToDevice(n) => on_device(
            dev,
            policy,
            sets,
            (false, false),
            |s| Ok(Array1::from(pattern(n, s as u64))),
            |h| h.to_device(dev),
            f32s,
            check,
        ),
        Case::ToHost(n) => on_device(
            dev,
            policy,
            sets,
            (true, false),
            |s| Array1::from(pattern(n, s as u64)).to_device(dev),
            |a| a.to_ndarray(),
            |h| Ok(h.iter().map(|&v| v as f64).collect()),
            check,
        ),
        Case::Add(n) => on_device(
            dev,
            policy,
            sets,
            (true, true),
            |s| {
                let a = Array1::from(pattern(n, 2 * s as u64)).to_device(dev)?;
                let b = Array1::from(pattern(n, 2 * s as u64 + 1)).to_device(dev)?;
                Ok((a, b))
            },
            |(a, b)| a.add(b),
            f32s,
            check,
        ),
        Case::Sum(n) => on_device(
            dev,
            policy,
            sets,
            (true, true),
            |s| Array1::from(pattern(n, s as u64)).to_device(dev),
            |a| a.sum(),
            f32s,
            check,
        ),
        Case::Matmul(n) => on_device(
            dev,
            policy,
            1,
            (true, true),
            |_| {
                let a = Array::from_vec(dev, pattern(n * n, 1), &[n, n])?;
                let b = Array::from_vec(dev, pattern(n * n, 2), &[n, n])?;
                Ok((a, b))
            },
            |(a, b)| a.matmul(b),
            f32s,
            check,
        ),
        Case::Fft { n, batch } => on_device(
            dev,
            policy,
            sets,
            (true, true),
            |s| Array::from_vec(dev, complex_pattern(n * batch, s as u64), &[batch, n]),
            fft::fft,
            |y| Ok(interleave(&y.to_vec()?)),
            check,
        ),
        Case::Fft2(n) => on_device(
            dev,
            policy,
            sets,
            (true, true),
            |s| Array::from_vec(dev, complex_pattern(n * n, s as u64), &[n, n]),
            fft::fft2,
            |y| Ok(interleave(&y.to_vec()?)),
            check,
        ),
        Case::Mandelbrot {
            w,
            h,
            iters,
            arithmetic,
        } => {
            let p = escape_params(w, h, iters, arithmetic);
            let mut m = on_device(
                dev,
                policy,
                1,
                (false, true),
                |_| Ok(()),
                |()| fractal::mandelbrot::<f32>(dev, &p),
                |r| Ok(r.counts.to_vec()?.into_iter().map(f64::from).collect()),
                // The fraction of pixels whose count differs from the scalar loop's.
                |x| {
                    let differ = x.iter().zip(reference).filter(|(a, b)| a != b).count();
                    if x.len() == reference.len() {
                        differ as f64 / x.len().max(1) as f64
                    } else {
                        f64::INFINITY
                    }
                },
            )?;
            let executed: f64 = reference.iter().sum();
            m.flops = Some(executed * fractal::ESCAPE_FLOPS_PER_ITER);
            Ok(m)
        }
    }
}

/// The f64 reference result of set 0 of `case` (Mandelbrot: the scalar loop's counts).
fn reference(case: Case) -> Vec<f64> {
    match case {
        Case::ToDevice(n) | Case::ToHost(n) => pattern(n, 0).into_iter().map(f64::from).collect(),
        Case::Add(n) => pattern(n, 0)
            .into_iter()
            .zip(pattern(n, 1))
            .map(|(a, b)| a as f64 + b as f64)
            .collect(),
        Case::Sum(n) => vec![pattern(n, 0).into_iter().map(f64::from).sum()],
        Case::Matmul(n) => {
            let wide = |s| {
                pattern(n * n, s)
                    .into_iter()
                    .map(f64::from)
                    .collect::<Vec<_>>()
            };
            let mut c = vec![0f64; n * n];
            gemm_nn(&wide(1), &wide(2), &mut c, n, 1.0);
            c
        }
        Case::Fft { n, batch } => {
            let x = complex_pattern(n * batch, 0);
            fft_f64(&x, n)
        }
        Case::Fft2(n) => fft2_f64(&complex_pattern(n * n, 0), n),
        Case::Mandelbrot {
            w,
            h,
            iters,
            arithmetic,
        } => mandelbrot_scalar(&escape_params(w, h, iters, arithmetic)),
    }
}

/// The anchor of `case` on the host: its name and measurement, with the error of its
/// set-0 result against the reference.
fn anchor(case: Case, policy: &Policy, reference: &[f64]) -> Result<(&'static str, Measured)> {
    let sets = case.sets();
    match case {
        Case::ToDevice(n) | Case::ToHost(n) => {
            let src: Vec<Vec<f32>> = (0..sets).map(|s| pattern(n, s as u64)).collect();
            let mut dst = vec![0f32; n];
            let mut m = on_host(policy, |i| timed(|| dst.copy_from_slice(&src[i % sets])))?;
            dst.copy_from_slice(&src[0]);
            m.err = Some(max_rel_err(
                &dst.iter().map(|&v| v as f64).collect::<Vec<_>>(),
                reference,
            ));
            Ok(("memcpy", m))
        }
        Case::Add(n) => {
            let ins: Vec<(Array1<f32>, Array1<f32>)> = (0..sets)
                .map(|s| {
                    (
                        Array1::from(pattern(n, 2 * s as u64)),
                        Array1::from(pattern(n, 2 * s as u64 + 1)),
                    )
                })
                .collect();
            let add = |(a, b): &(Array1<f32>, Array1<f32>)| {
                Zip::from(a).and(b).par_map_collect(|&x, &y| x + y)
            };
            let mut m = on_host(policy, |i| {
                timed(|| drop(std::hint::black_box(add(&ins[i % sets]))))
            })?;
            m.err = Some(max_rel_err(
                &add(&ins[0]).mapv(f64::from).to_vec(),
                reference,
            ));
            Ok(("ndarray-rayon", m))
        }
        Case::Sum(n) => {
            let ins: Vec<Array1<f32>> = (0..sets)
                .map(|s| Array1::from(pattern(n, s as u64)))
                .collect();
            let sum = |a: &Array1<f32>| -> f32 {
                use ndarray::parallel::prelude::*;
                a.par_iter().copied().sum()
            };
            let mut m = on_host(policy, |i| {
                timed(|| {
                    std::hint::black_box(sum(&ins[i % sets]));
                })
            })?;
            m.err = Some(max_rel_err(&[sum(&ins[0]) as f64], reference));
            Ok(("ndarray-rayon", m))
        }
        Case::Matmul(n) => {
            let a = pattern(n * n, 1);
            let b = pattern(n * n, 2);
            let mut c = vec![0f32; n * n];
            let mut m = on_host(policy, |_| timed(|| gemm_nn(&a, &b, &mut c, n, 1.0)))?;
            m.err = Some(max_rel_err(
                &c.iter().map(|&v| v as f64).collect::<Vec<_>>(),
                reference,
            ));
            Ok(("gemm", m))
        }
        Case::Fft { n, batch } => {
            let ins: Vec<Vec<Complex32>> = (0..sets)
                .map(|s| complex_pattern(n * batch, s as u64))
                .collect();
            let plan = FftPlanner::<f32>::new().plan_fft_forward(n);
            let mut work = vec![Complex32::default(); n * batch];
            let mut scratch = vec![Complex32::default(); plan.get_inplace_scratch_len()];
            let mut m = on_host(policy, |i| {
                work.copy_from_slice(&ins[i % sets]);
                timed(|| plan.process_with_scratch(&mut work, &mut scratch))
            })?;
            work.copy_from_slice(&ins[0]);
            plan.process_with_scratch(&mut work, &mut scratch);
            m.err = Some(max_rel_err(&interleave(&work), reference));
            Ok(("rustfft-1thread", m))
        }
        Case::Fft2(n) => {
            let ins: Vec<Vec<Complex32>> = (0..sets)
                .map(|s| complex_pattern(n * n, s as u64))
                .collect();
            let plan = FftPlanner::<f32>::new().plan_fft_forward(n);
            let mut work = vec![Complex32::default(); n * n];
            let mut t = vec![Complex32::default(); n * n];
            let mut scratch = vec![Complex32::default(); plan.get_inplace_scratch_len()];
            let mut go = |work: &mut Vec<Complex32>, t: &mut Vec<Complex32>| {
                plan.process_with_scratch(work, &mut scratch);
                transpose(work, t, n);
                plan.process_with_scratch(t, &mut scratch);
                transpose(t, work, n);
            };
            let mut m = on_host(policy, |i| {
                work.copy_from_slice(&ins[i % sets]);
                timed(|| go(&mut work, &mut t))
            })?;
            work.copy_from_slice(&ins[0]);
            go(&mut work, &mut t);
            m.err = Some(max_rel_err(&interleave(&work), reference));
            Ok(("rustfft-1thread", m))
        }
        Case::Mandelbrot {
            w,
            h,
            iters,
            arithmetic,
        } => {
            let p = escape_params(w, h, iters, arithmetic);
            let mut counts = Vec::new();
            let mut m = on_host(policy, |_| timed(|| counts = mandelbrot_scalar(&p)))?;
            m.err = Some(if counts == reference { 0.0 } else { 1.0 });
            m.flops = Some(reference.iter().sum::<f64>() * fractal::ESCAPE_FLOPS_PER_ITER);
            Ok(("scalar-1thread", m))
        }
    }
}

/// C = A B (row-major n x n) with the gemm crate on every core.
fn gemm_nn<T: Copy + 'static>(a: &[T], b: &[T], c: &mut [T], n: usize, one: T) {
    assert!(a.len() == n * n && b.len() == n * n && c.len() == n * n);
    let threads = rayon::current_num_threads();
    let par = if threads > 1 {
        gemm::Parallelism::Rayon(threads)
    } else {
        gemm::Parallelism::None
    };
    let n_ = n as isize;
    // SAFETY: a, b and c hold n * n elements each (checked), row-major with row stride n;
    // c is not read (read_dst false).
    unsafe {
        gemm::gemm(
            n,
            n,
            n,
            c.as_mut_ptr(),
            1,
            n_,
            false,
            a.as_ptr(),
            1,
            n_,
            b.as_ptr(),
            1,
            n_,
            one,
            one,
            false,
            false,
            false,
            par,
        );
    }
}

/// A record from a measurement; ratios and ceilings are filled in later.
fn record(case: Case, device: &str, kind: Kind, m: &Measured) -> Record {
    let med = median(&m.wall);
    let flops = m.flops.or(case.flops());
    Record {
        kind,
        op: case.op().into(),
        device: device.into(),
        dtype: case.dtype().into(),
        size: case.size(),
        elements: case.elements(),
        x: case.x(),
        repeats: m.wall.len(),
        median_s: med,
        min_s: m.wall.iter().copied().fold(f64::INFINITY, f64::min),
        max_s: m.wall.iter().copied().fold(0.0, f64::max),
        gb_per_s: case.bytes().map(|b| b / med / 1e9),
        gflop_per_s: flops.map(|f| f / med / 1e9),
        pct_of_ceiling: None,
        anchor: None,
        vs_anchor: None,
        vs_cpu: None,
        max_rel_err: m.err,
        compile_s: m.first_s,
        upload_s: m.upload_s,
        kernel_s: (!m.kernel.is_empty()).then(|| median(&m.kernel)),
        download_s: m.download_s,
        note: None,
    }
}

fn ceiling_records(device: &str, c: &Ceilings) -> [Record; 2] {
    let base = Record {
        kind: Kind::Ceiling,
        op: String::new(),
        device: device.into(),
        dtype: "f32".into(),
        size: String::new(),
        elements: 0,
        x: 0,
        repeats: 5,
        median_s: f64::NAN,
        min_s: f64::NAN,
        max_s: f64::NAN,
        gb_per_s: None,
        gflop_per_s: None,
        pct_of_ceiling: Some(1.0),
        anchor: None,
        vs_anchor: None,
        vs_cpu: None,
        max_rel_err: None,
        compile_s: None,
        upload_s: None,
        kernel_s: None,
        download_s: None,
        note: None,
    };
    let bytes = c.copy_bytes as f64;
    [
        Record {
            op: "ceiling-copy".into(),
            dtype: "u32".into(),
            size: c.copy_bytes.to_string(),
            elements: c.copy_bytes / 4,
            x: c.copy_bytes / 4,
            median_s: 2.0 * bytes / c.copy_gb_per_s / 1e9,
            gb_per_s: Some(c.copy_gb_per_s),
            ..base.clone()
        },
        Record {
            op: "ceiling-fma".into(),
            gflop_per_s: Some(c.fma_gflop_per_s),
            ..base
        },
    ]
}

/// Progress on stderr while stdout is a terminal: `[done/total] case`.
struct Progress {
    on: bool,
    done: usize,
    total: usize,
}

impl Progress {
    fn step(&mut self, what: &str) {
        self.done += 1;
        if self.on {
            let width = 30;
            let filled = width * self.done / self.total.max(1);
            eprint!(
                "\r\x1b[2K[{}{}] {}/{} {what}",
                "#".repeat(filled),
                ".".repeat(width - filled),
                self.done,
                self.total
            );
            let _ = std::io::stderr().flush();
        }
    }

    fn finish(&self) {
        if self.on {
            eprint!("\r\x1b[2K");
        }
    }
}

/// Runs the suite: ceilings first, then every case on every device and its anchors.
/// Cases that fail on a device become records with the error in `note`.
pub fn run(cfg: &Config) -> Vec<Record> {
    let policy = cfg.suite.policy();
    let gpu = cfg
        .devices
        .iter()
        .any(|d| d.kind() != DeviceKind::Cpu && !d.info().software);
    let cases: Vec<Case> = cfg
        .suite
        .cases(gpu)
        .into_iter()
        .filter(|c| {
            cfg.ops
                .as_ref()
                .is_none_or(|o| o.iter().any(|x| x == c.op()))
        })
        .collect();
    let cuda = cfg.devices.iter().find(|d| d.kind() == DeviceKind::Cuda);
    let mut progress = Progress {
        on: cfg.progress && std::io::stdout().is_terminal(),
        done: 0,
        // Ceilings: the CPU's, then every other device's; then per case each device, the
        // host anchor and the CUDA anchor where one runs.
        total: 1
            + cfg
                .devices
                .iter()
                .filter(|d| d.kind() != DeviceKind::Cpu)
                .count()
            + cases.len() * (cfg.devices.len() + 1 + cuda.is_some() as usize),
    };
    let mut out = Vec::new();
    // Ceilings: the CPU's (the host anchors run there, so always) and every device's.
    let cpu = Device::cpu();
    let mut ceilings: Vec<(String, Option<Ceilings>)> = Vec::new();
    let others = cfg.devices.iter().filter(|d| d.kind() != DeviceKind::Cpu);
    for (name, dev) in std::iter::once(("cpu".to_string(), &cpu))
        .chain(others.map(|d| (d.info().selector.clone(), d)))
    {
        progress.step(&format!("ceilings of {name}"));
        match dev.ceilings() {
            Ok(c) => {
                out.extend(ceiling_records(&name, &c));
                ceilings.push((name, Some(c)));
            }
            Err(e) => {
                eprintln!("streamcore bench: ceilings of {name}: {e}");
                ceilings.push((name, None));
            }
        }
    }
    for case in cases {
        let reference = reference(case);
        for dev in &cfg.devices {
            let name = dev.info().selector.clone();
            progress.step(&format!("{} {} on {name}", case.op(), case.size()));
            let mut r = match measure(case, dev, &policy, &reference) {
                Ok(mut m) => {
                    // Transfers run no kernels on a GPU: its clock says nothing about them.
                    if case.bound() == Bound::Link && dev.kind() != DeviceKind::Cpu {
                        m.kernel.clear();
                    }
                    record(case, &name, Kind::Device, &m)
                }
                Err(e) => failed(case, &name, &e.to_string()),
            };
            dev.empty_cache();
            r.pct_of_ceiling = pct(case, &r, &ceilings, &name);
            out.push(r);
        }
        progress.step(&format!("{} {} anchor", case.op(), case.size()));
        match anchor(case, &policy, &reference) {
            Ok((name, m)) => {
                let mut r = record(case, name, Kind::Anchor, &m);
                r.pct_of_ceiling = pct(case, &r, &ceilings, "cpu");
                out.push(r);
            }
            Err(e) => eprintln!("streamcore bench: anchor of {}: {e}", case.op()),
        }
        #[cfg(feature = "cuda")]
        if let Some(dev) = cuda {
            progress.step(&format!("{} {} CUDA anchor", case.op(), case.size()));
            if let Some((name, res)) = crate::cuda_anchor::run(case, dev, &policy, &reference) {
                match res {
                    Ok(m) => {
                        let mut r = record(case, name, Kind::Anchor, &m);
                        r.pct_of_ceiling = pct(case, &r, &ceilings, &dev.info().selector);
                        out.push(r);
                    }
                    Err(e) => eprintln!("streamcore bench: {name} anchor: {e}"),
                }
            }
        }
        #[cfg(not(feature = "cuda"))]
        let _ = cuda;
    }
    progress.finish();
    crate::report::ratios(&mut out);
    out
}

fn failed(case: Case, device: &str, why: &str) -> Record {
    let mut r = record(case, device, Kind::Device, &Measured::default());
    r.note = Some(why.to_string());
    r.repeats = 0;
    r.gb_per_s = None;
    r.gflop_per_s = None;
    r
}

fn pct(case: Case, r: &Record, ceilings: &[(String, Option<Ceilings>)], on: &str) -> Option<f64> {
    let c = ceilings.iter().find(|(n, _)| n == on)?.1?;
    match case.bound() {
        Bound::Memory => r.gb_per_s.map(|g| g / c.copy_gb_per_s),
        Bound::Compute => r.gflop_per_s.map(|g| g / c.fma_gflop_per_s),
        Bound::Link => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(&[]).is_nan());
    }

    #[test]
    fn patterns_are_never_zero_and_differ_by_seed() {
        let a = pattern(1000, 0);
        assert!(a.iter().all(|&v| (0.5..1.5).contains(&v)));
        assert_ne!(a, pattern(1000, 1));
    }

    #[test]
    fn max_rel_err_is_normwise_and_catches_nan_and_length() {
        assert_eq!(max_rel_err(&[1.0, 2.0], &[1.0, 2.0]), 0.0);
        assert!((max_rel_err(&[1.0, 2.2], &[1.0, 2.0]) - 0.1).abs() < 1e-12);
        assert_eq!(max_rel_err(&[f64::NAN], &[1.0]), f64::INFINITY);
        assert_eq!(max_rel_err(&[1.0], &[1.0, 2.0]), f64::INFINITY);
    }

    #[test]
    fn memory_bound_cases_rotate_inputs_past_the_caches() {
        let cover = (128usize << 20).max(4 * last_level_cache());
        for c in [
            Case::Add(1 << 20),
            Case::Sum(1 << 22),
            Case::Fft { n: 1024, batch: 64 },
        ] {
            let sets = c.sets();
            assert!(
                sets * c.input_bytes() >= cover || sets == 128,
                "{c:?}: {sets}"
            );
        }
        assert_eq!(Case::Add(1 << 10).sets(), 128);
        assert_eq!(Case::Sum(1 << 30).sets(), 1);
        assert_eq!(Case::Matmul(64).sets(), 1);
    }

    #[test]
    fn the_scalar_reference_matches_the_cpu_backend_exactly() {
        for arithmetic in [Arithmetic::Separate, Arithmetic::Fused] {
            let p = escape_params(64, 48, 100, arithmetic);
            let r = fractal::mandelbrot::<f32>(&Device::cpu(), &p).unwrap();
            let counts: Vec<f64> = r
                .counts
                .to_vec()
                .unwrap()
                .into_iter()
                .map(f64::from)
                .collect();
            assert_eq!(counts, mandelbrot_scalar(&p), "{arithmetic:?}");
        }
    }

    #[test]
    fn the_2d_reference_is_the_row_column_transform() {
        let x = complex_pattern(16, 3);
        let got = fft2_f64(&x, 4);
        let mut naive = vec![0f64; 32];
        for k1 in 0..4 {
            for k2 in 0..4 {
                let mut s = Complex::<f64>::default();
                for i in 0..4 {
                    for j in 0..4 {
                        let ang = -2.0 * std::f64::consts::PI * ((k1 * i + k2 * j) as f64) / 4.0;
                        let v = x[i * 4 + j];
                        s += Complex::new(v.re as f64, v.im as f64) * Complex::from_polar(1.0, ang);
                    }
                }
                naive[2 * (k1 * 4 + k2)] = s.re;
                naive[2 * (k1 * 4 + k2) + 1] = s.im;
            }
        }
        assert!(max_rel_err(&got, &naive) < 1e-12);
    }
}
