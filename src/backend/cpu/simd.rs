//! Run-time SIMD dispatch for the CPU kernels: detect the best instruction set once, then
//! call a copy of the kernel compiled for it (no nightly, no `-C target-cpu=native`).

use std::sync::OnceLock;

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
    /// x86_64 AVX-512F present (kernels use the AVX2 versions until AVX-512 ones exist).
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

    /// What `streamcore info` reports: the set the kernels run with, and a wider one the CPU
    /// has that no kernel uses yet.
    pub fn describe(self) -> String {
        match self {
            Isa::Avx512 => "avx2+fma (avx512f present, not used yet)".into(),
            other => other.name().into(),
        }
    }
}

/// The instruction set detected on this CPU (cached after the first call).
pub fn isa() -> Isa {
    static ISA: OnceLock<Isa> = OnceLock::new();
    *ISA.get_or_init(detect)
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
