//! Timing work on a device and measuring its limits: [`Device::profile`] (wall time with the
//! device drained on both sides, plus the device's own kernel time) and [`Device::ceilings`].

use std::time::Instant;

use serde::Serialize;

use crate::Array;
use crate::backend::CeilingJob;
use crate::device::{Device, DeviceKind};
use crate::error::{Error, Result};

/// What [`Device::profile`] measured.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Profile {
    /// Host seconds from the call of the closure until the device finished its work.
    pub wall_s: f64,
    /// Seconds the device spent in kernels, on its own clock: the sum over compute passes
    /// of their timestamps on wgpu, the stream time between two events on CUDA (kernels and
    /// the gaps between them), and `wall_s` on the CPU, whose kernels run on the caller.
    /// `None` where the device has no clock (wgpu without timestamp queries) or the closure
    /// ran more than 2048 passes.
    pub kernel_s: Option<f64>,
    /// Kernels timed, where the device counts them (wgpu passes).
    pub kernels: Option<u64>,
}

/// The device's limits, measured with kernels of ours ([`Device::ceilings`]).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Ceilings {
    /// Copy bandwidth in GB/s (10^9 bytes), counting the bytes read and the bytes written.
    pub copy_gb_per_s: f64,
    /// f32 fused multiply-add rate in GFLOP/s (one FMA counts 2 flops).
    pub fma_gflop_per_s: f64,
    /// Bytes copied per measurement.
    pub copy_bytes: u64,
}

impl Device {
    /// Runs `f` with the device drained before and after, and returns its result with the
    /// wall time and the device's own time in kernels. Profiles on one device do not nest:
    /// a second one that starts while the first runs is an error.
    ///
    /// ```
    /// use streamcore::prelude::*;
    /// let dev = Device::cpu();
    /// let x = Array::<f32>::ones(&dev, &[1 << 16])?;
    /// let (s, p) = dev.profile(|| x.sum())?;
    /// assert_eq!(s.item()?, 65536.0);
    /// assert!(p.wall_s > 0.0 && p.kernel_s == Some(p.wall_s));
    /// # Ok::<(), streamcore::Error>(())
    /// ```
    pub fn profile<R>(&self, f: impl FnOnce() -> Result<R>) -> Result<(R, Profile)> {
        let be = self.backend();
        be.synchronize()?;
        let timing = be.timer_start()?;
        let t = Instant::now();
        let out = f();
        let drained = be.synchronize();
        let wall_s = t.elapsed().as_secs_f64();
        // Stopped even when `f` failed, so that the next profile can start.
        let kernel = if timing { be.timer_stop()? } else { None };
        let out = out?;
        drained?;
        let (kernel_s, kernels) = match (self.kind(), kernel) {
            (DeviceKind::Cpu, _) => (Some(wall_s), None),
            (_, Some(k)) => (Some(k.seconds), k.kernels),
            (_, None) => (None, None),
        };
        Ok((
            out,
            Profile {
                wall_s,
                kernel_s,
                kernels,
            },
        ))
    }

    /// Measures the device's copy bandwidth and f32 FMA rate with kernels of ours, the
    /// figures that benchmarks divide by: the best of several runs, each long enough to hide
    /// launch costs (about a second in all). On the CPU the copy is the backend's own
    /// parallel copy and the FMA rate [`fma_ceiling_gflops`](crate::fma_ceiling_gflops) on its own threads; on GPUs dedicated kernels
    /// (16-byte copies; 8 independent FMA chains per thread) timed on the device's clock
    /// where it has one.
    pub fn ceilings(&self) -> Result<Ceilings> {
        let software = self.kind() == DeviceKind::Cpu || self.info().software;
        // Far larger than any cache, within what the device can bind.
        let want: u64 = if software { 64 << 20 } else { 512 << 20 };
        let limit = self
            .info()
            .max_binding_size
            .min(self.info().max_buffer_size)
            .min(self.info().memory_bytes.unwrap_or(u64::MAX) / 8);
        let copy_bytes = want.min(limit) / 16 * 16;
        if copy_bytes < 1 << 20 {
            return Err(Error::invalid(
                "Device::ceilings",
                format!("{self} binds only {limit} bytes; at least 1 MiB is needed"),
            ));
        }
        let words = copy_bytes / 4;
        let src = Array::<u32>::arange(self, 0.0, words as f64, 1.0)?;
        let best = |f: &mut dyn FnMut() -> Result<()>| -> Result<f64> {
            f()?;
            let mut best = f64::INFINITY;
            for _ in 0..5 {
                let ((), p) = self.profile(&mut *f)?;
                best = best.min(p.kernel_s.filter(|&k| k > 0.0).unwrap_or(p.wall_s));
            }
            Ok(best)
        };
        let copy_s = if self.kind() == DeviceKind::Cpu {
            best(&mut || src.copy().map(drop))?
        } else {
            let mut dst = Array::<u32>::uninit(self, &[words as usize], "ceiling copy")?;
            let job = CeilingJob::Copy {
                words16: copy_bytes / 16,
            };
            let t = best(&mut || {
                self.backend()
                    .ceiling(job, Some(src.buffer()), dst.buffer_mut()?)
            })?;
            // The copy must be a copy: check the ends and the middle.
            let got = dst.to_vec()?;
            for i in [0, words as usize / 2, words as usize - 1] {
                if got[i] != i as u32 {
                    return Err(Error::Backend {
                        device: self.to_string(),
                        detail: format!("the ceiling copy kernel wrote {} at {i}", got[i]),
                    });
                }
            }
            t
        };
        let fma_gflop_per_s = if let Some(first) = self.backend().host_fma_gflops() {
            // The best of five: a core that another process or a software adapter's threads
            // took for a moment gives a low figure, never a high one.
            (0..4)
                .filter_map(|_| self.backend().host_fma_gflops())
                .fold(first, f64::max)
        } else {
            self.gpu_fma_rate(software)?
        };
        Ok(Ceilings {
            copy_gb_per_s: 2.0 * copy_bytes as f64 / copy_s / 1e9,
            fma_gflop_per_s,
            copy_bytes,
        })
    }

    /// The FMA kernel's rate, with the rounds doubled until one run takes 50 ms.
    fn gpu_fma_rate(&self, software: bool) -> Result<f64> {
        let threads: u64 = if software { 1 << 14 } else { 1 << 20 };
        let mut out = Array::<f32>::uninit(self, &[threads as usize], "ceiling fma")?;
        let mut rounds = 64u32;
        loop {
            let job = CeilingJob::Fma { threads, rounds };
            let mut run = || -> Result<f64> {
                let ((), p) =
                    self.profile(|| self.backend().ceiling(job, None, out.buffer_mut()?))?;
                Ok(p.kernel_s.filter(|&k| k > 0.0).unwrap_or(p.wall_s))
            };
            run()?;
            let t = run()?;
            if t >= 0.05 || rounds >= 1 << 20 {
                let mut best = t;
                for _ in 0..4 {
                    best = best.min(run()?);
                }
                // Each chain tends to 1 (the fixed point of x = 0.999 x + 0.001), so every
                // thread's sum of 8 is finite and positive.
                let v = out.to_vec()?;
                if v.iter().any(|x| !x.is_finite() || *x <= 0.0) {
                    return Err(Error::Backend {
                        device: self.to_string(),
                        detail: "the ceiling FMA kernel wrote a non-finite value".into(),
                    });
                }
                return Ok((threads * rounds as u64 * 16) as f64 / best / 1e9);
            }
            rounds *= 2;
        }
    }
}
