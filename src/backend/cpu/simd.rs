//! Run-time SIMD dispatch for the CPU kernels: detect the best instruction set once, then
//! call a copy of the kernel compiled for it (no nightly, no `-C target-cpu=native`).

use std::sync::OnceLock;

use crate::error::{Error, Result};

/// The instruction set the CPU kernels run with on this machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Isa {
    /// Portable code (SSE2 on x86_64, the baseline elsewhere).
    Scalar,
    /// AArch64 Advanced SIMD.
    Neon,
    /// x86_64 AVX2 with FMA and F16C.
    Avx2,
    /// x86_64 AVX-512F as well (the f32 and f64 escape-time loops and the 1024-, 4096- and
    /// 65536-point f32 FFTs use it; other kernels run their AVX2 versions).
    Avx512,
}

impl Isa {
    /// Short name as printed by `streamcore info`.
    pub fn name(self) -> &'static str {
        match self {
            Isa::Scalar => "scalar",
            Isa::Neon => "neon",
            Isa::Avx2 => "avx2+fma",
            Isa::Avx512 => "avx512f",
        }
    }

    /// What `streamcore info` reports: the sets the kernels run with.
    pub fn describe(self) -> String {
        match self {
            Isa::Avx512 => {
                "avx2+fma (avx512f in the escape-time loops and some f32 FFT lengths)".into()
            }
            other => other.name().into(),
        }
    }
}

/// The instruction set the kernels use: the one detected on this CPU, lowered to
/// STREAMCORE_CPU_ISA where that names a smaller one (cached after the first call; an invalid
/// value is ignored with a warning).
pub fn isa() -> Isa {
    static ISA: OnceLock<Isa> = OnceLock::new();
    *ISA.get_or_init(|| match isa_limit() {
        // Neon is below AVX2 in the order but not a subset of it: limited to it, x86 runs
        // the portable kernels.
        Ok(Some(limit)) => match detect() {
            d if limit >= d => d,
            _ if limit == Isa::Neon => Isa::Scalar,
            _ => limit,
        },
        Ok(None) => detect(),
        Err(e) => {
            eprintln!("streamcore: {e}; using every instruction set the CPU has");
            detect()
        }
    })
}

/// Reads STREAMCORE_CPU_ISA (`scalar`, `neon`, `avx2` or `avx512`): the largest instruction
/// set the CPU kernels may use, so that the fallbacks can be tested and timed on a CPU that
/// has more (rustfft and the `gemm` crate do their own detection and are not limited).
pub(crate) fn isa_limit() -> Result<Option<Isa>> {
    let Ok(s) = std::env::var("STREAMCORE_CPU_ISA") else {
        return Ok(None);
    };
    match s.trim().to_ascii_lowercase().as_str() {
        "scalar" => Ok(Some(Isa::Scalar)),
        "neon" => Ok(Some(Isa::Neon)),
        "avx2" => Ok(Some(Isa::Avx2)),
        "avx512" => Ok(Some(Isa::Avx512)),
        _ => Err(Error::invalid(
            "STREAMCORE_CPU_ISA",
            format!("{s:?} is not an instruction set; use scalar, neon, avx2 or avx512"),
        )),
    }
}

fn detect() -> Isa {
    #[cfg(target_arch = "x86_64")]
    {
        let avx2 = std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("fma")
            && std::arch::is_x86_feature_detected!("f16c");
        if avx2 && std::arch::is_x86_feature_detected!("avx512f") {
            return Isa::Avx512;
        }
        if avx2 {
            return Isa::Avx2;
        }
    }
    #[cfg(target_arch = "aarch64")]
    {
        if std::arch::is_aarch64_feature_detected!("neon") {
            return Isa::Neon;
        }
    }
    Isa::Scalar
}

/// Defines a generic kernel once and compiles it twice: for the baseline and, on x86_64, with
/// AVX2+FMA enabled; the caller gets whichever the running CPU supports. The body is an
/// `#[inline(always)]` function so that it is code-generated inside the feature-enabled copy.
macro_rules! multiversion {
    ($(#[$m:meta])* $vis:vis fn $name:ident<$T:ident: $B:path>($($a:ident: $t:ty),* $(,)?) $body:block) => {
        $(#[$m])*
        $vis fn $name<$T: $B>($($a: $t),*) {
            #[inline(always)]
            fn kernel<$T: $B>($($a: $t),*) $body
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx2,fma,f16c")]
            unsafe fn avx2<$T: $B>($($a: $t),*) {
                kernel::<$T>($($a),*)
            }
            #[cfg(target_arch = "x86_64")]
            if $crate::backend::cpu::simd::isa() >= $crate::backend::cpu::simd::Isa::Avx2 {
                // SAFETY: the CPU reports AVX2, FMA and F16C, the features `avx2` is compiled for.
                return unsafe { avx2::<$T>($($a),*) };
            }
            kernel::<$T>($($a),*)
        }
    };
}
pub(crate) use multiversion;

/// Copies `src` into `dst` (equal lengths). Large copies use non-temporal (streaming) stores
/// on AVX2 machines: they skip reading each destination line before writing it, which
/// measured 22.5 GB/s against 12.2 GB/s for memcpy with two threads on the 2-core CI machine.
/// Small copies stay in cache with an ordinary memcpy, since the data is likely read soon.
pub(crate) fn copy_bytes(dst: &mut [std::mem::MaybeUninit<u8>], src: &[u8]) {
    assert_eq!(dst.len(), src.len(), "copy_bytes needs equal lengths");
    #[cfg(target_arch = "x86_64")]
    if src.len() >= STREAM_MIN && isa() >= Isa::Avx2 {
        // SAFETY: AVX2 is present; both ranges are valid for src.len() bytes and disjoint.
        unsafe { stream_copy_avx2(dst.as_mut_ptr().cast(), src.as_ptr(), src.len()) };
        return;
    }
    // SAFETY: both ranges are valid for src.len() bytes and disjoint (&mut vs &).
    unsafe { std::ptr::copy_nonoverlapping(src.as_ptr(), dst.as_mut_ptr().cast(), src.len()) }
}

/// Copies at least this long bypass the cache.
#[cfg(target_arch = "x86_64")]
const STREAM_MIN: usize = 1 << 20;

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn stream_copy_avx2(dst: *mut u8, src: *const u8, n: usize) {
    use std::arch::x86_64::*;
    // SAFETY (whole body): the caller guarantees n valid, disjoint bytes at dst and src; the
    // head copy brings dst to 32-byte alignment, as _mm256_stream_si256 requires.
    unsafe {
        let head = ((32 - (dst as usize & 31)) & 31).min(n);
        std::ptr::copy_nonoverlapping(src, dst, head);
        let mut i = head;
        while i + 128 <= n {
            let a = _mm256_loadu_si256(src.add(i).cast());
            let b = _mm256_loadu_si256(src.add(i + 32).cast());
            let c = _mm256_loadu_si256(src.add(i + 64).cast());
            let d = _mm256_loadu_si256(src.add(i + 96).cast());
            _mm256_stream_si256(dst.add(i).cast(), a);
            _mm256_stream_si256(dst.add(i + 32).cast(), b);
            _mm256_stream_si256(dst.add(i + 64).cast(), c);
            _mm256_stream_si256(dst.add(i + 96).cast(), d);
            i += 128;
        }
        std::ptr::copy_nonoverlapping(src.add(i), dst.add(i), n - i);
        // Streaming stores are weakly ordered: make them visible before anyone reads dst.
        _mm_sfence();
    }
}

/// Independent FMA chains of 8 lanes in the ceiling kernel: enough to cover an FMA latency of
/// 4 cycles on two ports.
const CHAINS: usize = 12;

struct FmaLoop<'a> {
    rounds: usize,
    out: &'a mut f32,
}

impl crate::backend::cpu::elementwise::Body for FmaLoop<'_> {
    #[inline(always)]
    fn body(self) {
        let mut acc = [[1.0f32; 8]; CHAINS];
        for (c, chain) in acc.iter_mut().enumerate() {
            for (l, v) in chain.iter_mut().enumerate() {
                *v += (c * 8 + l) as f32 * 1e-3;
            }
        }
        let (m, a) = (
            std::hint::black_box(0.999_9f32),
            std::hint::black_box(1e-4f32),
        );
        for _ in 0..self.rounds {
            for chain in acc.iter_mut() {
                for v in chain.iter_mut() {
                    *v = v.mul_add(m, a);
                }
            }
        }
        *self.out = acc.iter().flatten().sum();
    }
}

/// The CPU's f32 FMA ceiling in GFLOP/s (an FMA counts 2 flops): every thread of the current
/// rayon pool runs independent 8-lane FMA chains, compiled like the kernels (AVX2+FMA where
/// present). The machine's own limit for compute-bound kernels, measured in the same run as
/// the kernels it judges (benches/fractal.rs).
pub fn fma_ceiling_gflops() -> f64 {
    use rayon::prelude::*;
    let rounds = 2_000_000;
    let threads = rayon::current_num_threads();
    let run = || {
        (0..threads)
            .into_par_iter()
            .map(|_| {
                let mut out = 0f32;
                crate::backend::cpu::elementwise::exec(FmaLoop {
                    rounds,
                    out: &mut out,
                });
                out
            })
            .sum::<f32>()
    };
    std::hint::black_box(run());
    let t = std::time::Instant::now();
    std::hint::black_box(run());
    let flops = (threads * rounds * CHAINS * 8 * 2) as f64;
    flops / t.elapsed().as_secs_f64() / 1e9
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_bytes_is_exact_at_every_alignment_and_length() {
        let src: Vec<u8> = (0..(3 << 20) + 77)
            .map(|i| (i * 7 + i / 251) as u8)
            .collect();
        for (off, len) in [
            (0, 0),
            (1, 31),
            (3, 1 << 20),
            (17, (2 << 20) + 5),
            (0, 3 << 20),
        ] {
            let mut dst = vec![0u8; len + 64];
            copy_bytes(
                crate::backend::as_uninit(&mut dst[off..off + len]),
                &src[..len],
            );
            assert_eq!(
                &dst[off..off + len],
                &src[..len],
                "offset {off} length {len}"
            );
            assert!(dst[..off].iter().chain(&dst[off + len..]).all(|&b| b == 0));
        }
    }
}
