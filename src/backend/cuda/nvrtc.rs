//! NVRTC compilation of the kernels in cuda/ for a device's own architecture, with an
//! in-memory and an on-disk PTX cache keyed by source hash, architecture and NVRTC version.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use crate::error::{Error, Result};

/// Every kernel file in cuda/, by op family name (tests check that none is missing).
pub const KERNELS: &[(&str, &str)] = &[
    ("ceiling", include_str!("../../../cuda/ceiling.cu")),
    ("creation", include_str!("../../../cuda/creation.cu")),
    ("elementwise", include_str!("../../../cuda/elementwise.cu")),
    ("fft_real", include_str!("../../../cuda/fft_real.cu")),
    ("fft_step", include_str!("../../../cuda/fft_step.cu")),
    ("fractal", include_str!("../../../cuda/fractal.cu")),
    ("matmul", include_str!("../../../cuda/matmul.cu")),
    ("random", include_str!("../../../cuda/random.cu")),
    ("reduce", include_str!("../../../cuda/reduce.cu")),
    ("scan", include_str!("../../../cuda/scan.cu")),
    ("shape", include_str!("../../../cuda/shape.cu")),
];

/// What every kernel file shares (cuda/common.cuh), prepended to each before compiling.
pub const PRELUDE: &str = include_str!("../../../cuda/common.cuh");

/// The source NVRTC compiles for op family `family`: the prelude, then cuda/FAMILY.cu.
/// cuda/fft_step.cu holds templates only; its source here instantiates one step kernel
/// (the backend writes one per sub-length).
pub fn kernel_source(family: &str) -> Result<String> {
    if family == "fft_step" {
        return Ok(super::fft::step_source(4096, 1, 256, false, crate::element::DType::C32).1);
    }
    KERNELS
        .iter()
        .find(|(n, _)| *n == family)
        .map(|(_, s)| format!("{PRELUDE}\n{s}"))
        .ok_or_else(|| Error::invalid("cuda kernel", format!("no kernel family {family:?}")))
}

/// True when libnvrtc can be loaded (it is found through LD_LIBRARY_PATH).
pub fn nvrtc_available() -> bool {
    // SAFETY: only probes whether the shared library loads.
    unsafe { cudarc::nvrtc::sys::is_culib_present() }
}

fn nvrtc_version() -> (i32, i32) {
    let (mut major, mut minor) = (0, 0);
    // SAFETY: nvrtc is present (checked by the caller); the out-pointers are valid.
    unsafe { cudarc::nvrtc::sys::nvrtcVersion(&mut major, &mut minor) };
    (major, minor)
}

/// 64-bit FNV-1a: stable across runs and platforms, unlike std's hasher.
fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for &b in *p {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h ^= 0xff;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Where compiled PTX is kept: STREAMCORE_CACHE_DIR, else the user's cache directory.
fn cache_dir() -> Option<PathBuf> {
    let base = std::env::var_os("STREAMCORE_CACHE_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("XDG_CACHE_HOME").map(|d| PathBuf::from(d).join("streamcore")))
        .or_else(|| std::env::var_os("HOME").map(|d| PathBuf::from(d).join(".cache/streamcore")))?;
    Some(base.join("ptx"))
}

fn memory_cache() -> &'static Mutex<HashMap<u64, String>> {
    static M: OnceLock<Mutex<HashMap<u64, String>>> = OnceLock::new();
    M.get_or_init(Default::default)
}

/// Compiles `src` (named `name` in logs) to PTX for compute capability `arch` (e.g. 90),
/// through the memory and disk caches. The second run of a program compiles nothing.
pub fn compile(name: &str, src: &str, arch: u32) -> Result<String> {
    if !nvrtc_available() {
        return Err(Error::BackendUnavailable {
            backend: "cuda",
            reason: "libnvrtc was not found; install the CUDA toolkit or \
                     `pip install nvidia-cuda-nvrtc` and add its lib folder to LD_LIBRARY_PATH"
                .into(),
        });
    }
    let (major, minor) = nvrtc_version();
    let key = fnv1a(&[
        src.as_bytes(),
        &arch.to_le_bytes(),
        &major.to_le_bytes(),
        &minor.to_le_bytes(),
    ]);
    if let Some(p) = crate::backend::lock(memory_cache()).get(&key) {
        return Ok(p.clone());
    }
    let file = cache_dir().map(|d| d.join(format!("{name}-sm{arch}-{key:016x}.ptx")));
    if let Some(ptx) = file.as_ref().and_then(|f| std::fs::read_to_string(f).ok()) {
        crate::backend::lock(memory_cache()).insert(key, ptx.clone());
        return Ok(ptx);
    }
    let opts = cudarc::nvrtc::CompileOptions {
        options: vec![
            format!("--gpu-architecture=compute_{arch}"),
            "--std=c++17".into(),
        ],
        name: Some(format!("{name}.cu")),
        ..Default::default()
    };
    let ptx = cudarc::nvrtc::compile_ptx_with_opts(src, opts)
        .map_err(|e| Error::KernelCompile {
            kernel: name.to_string(),
            device: format!("sm_{arch} (NVRTC {major}.{minor})"),
            log: match e {
                cudarc::nvrtc::CompileError::CompileError { log, .. } => {
                    log.to_string_lossy().into_owned()
                }
                other => format!("{other:?}"),
            },
        })?
        .to_src();
    if let Some(f) = file {
        // A cache that cannot be written only costs a compile next time.
        if f.parent()
            .is_some_and(|d| std::fs::create_dir_all(d).is_ok())
        {
            let tmp = f.with_extension(format!("tmp{}", std::process::id()));
            if std::fs::write(&tmp, &ptx).is_ok() {
                let _ = std::fs::rename(&tmp, &f);
            }
        }
    }
    crate::backend::lock(memory_cache()).insert(key, ptx.clone());
    Ok(ptx)
}
