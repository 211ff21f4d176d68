//! Devices: the CPU backend, wgpu adapters and CUDA GPUs behind one cheap-to-clone handle,
//! with selection (`best`, `from_env`, explicit constructors) and capability listing.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use crate::backend::{Backend, MemoryStats, cpu::CpuBackend};
use crate::element::DType;
use crate::error::{Error, Result};

/// Which backend a device runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DeviceKind {
    /// The SIMD multi-core CPU backend.
    Cpu,
    /// WGSL compute shaders through wgpu (Vulkan, Metal, DX12, GL).
    Wgpu,
    /// CUDA kernels through cudarc.
    Cuda,
}

/// What a device is and can do, as listed by [`Device::list`] and `streamcore info`.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct DeviceInfo {
    /// The STREAMCORE_DEVICE value that selects this device (`cpu`, `wgpu:0`, `wgpu-software`, `cuda:0`).
    pub selector: String,
    /// The backend family.
    pub kind: DeviceKind,
    /// Index among devices of its kind, where that applies.
    pub index: Option<usize>,
    /// The device's own name.
    pub name: String,
    /// The API underneath: `cpu`, `vulkan`, `metal`, `dx12`, `gl` or `cuda`.
    pub backend: String,
    /// `cpu`, `discrete_gpu`, `integrated_gpu`, `virtual_gpu` or `other`.
    pub device_type: String,
    /// Driver name and version, or the CPU's instruction set.
    pub driver: String,
    /// True for software rasterisers (lavapipe, llvmpipe, WARP): never chosen by [`Device::best`].
    pub software: bool,
    /// False when the device was found but cannot be used; `reason` says why.
    pub usable: bool,
    /// Why the device cannot be used.
    pub reason: Option<String>,
    /// Kernels can compute in f16.
    pub f16: bool,
    /// Kernels can compute in f64.
    pub f64: bool,
    /// Subgroup (warp) operations are available.
    pub subgroups: bool,
    /// GPU timestamp queries are available (kernel timing).
    pub timestamps: bool,
    /// Largest single buffer in bytes.
    pub max_buffer_size: u64,
    /// Largest range one kernel can bind at once, in bytes.
    pub max_binding_size: u64,
    /// Workgroup (shared) memory per workgroup, in bytes.
    pub max_workgroup_storage: u64,
    /// Invocations (threads) per workgroup.
    pub max_workgroup_invocations: u32,
    /// Device memory in bytes, where known.
    pub memory_bytes: Option<u64>,
    /// Worker threads (CPU backend).
    pub threads: Option<usize>,
    /// SIMD instruction set in use (CPU backend).
    pub simd: Option<String>,
    /// CUDA compute capability, e.g. `9.0`.
    pub compute_capability: Option<String>,
}

impl DeviceInfo {
    /// An entry for a device that was looked for but cannot be used.
    pub(crate) fn unusable(kind: DeviceKind, selector: &str, name: &str, reason: String) -> Self {
        DeviceInfo {
            selector: selector.into(),
            kind,
            index: None,
            name: name.into(),
            backend: match kind {
                DeviceKind::Cpu => "cpu",
                DeviceKind::Wgpu => "wgpu",
                DeviceKind::Cuda => "cuda",
            }
            .into(),
            device_type: "unknown".into(),
            driver: String::new(),
            software: false,
            usable: false,
            reason: Some(reason),
            f16: false,
            f64: false,
            subgroups: false,
            timestamps: false,
            max_buffer_size: 0,
            max_binding_size: 0,
            max_workgroup_storage: 0,
            max_workgroup_invocations: 0,
            memory_bytes: None,
            threads: None,
            simd: None,
            compute_capability: None,
        }
    }
}

/// How to open a wgpu adapter with [`Device::wgpu_with`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct WgpuOptions {
    /// Open a software adapter (lavapipe, llvmpipe, WARP) instead of a hardware one.
    pub software: bool,
    /// Index among adapters of that kind, in preference order (discrete first).
    pub index: usize,
    /// Request SHADER_F64 when the adapter has it. `false` opens the device without it, which
    /// is how tests exercise the "no f64 here" path on an adapter that has f64.
    pub f64: bool,
    /// Request SHADER_F16 when the adapter has it.
    pub f16: bool,
}

impl Default for WgpuOptions {
    fn default() -> Self {
        WgpuOptions {
            software: false,
            index: 0,
            f64: true,
            f16: true,
        }
    }
}

pub(crate) struct DeviceInner {
    id: u64,
    kind: DeviceKind,
    label: String,
    info: DeviceInfo,
    backend: Box<dyn Backend>,
}

/// A compute device: cheap to clone (shared handle), `Send + Sync`, usable from many threads.
///
/// Opening the same device twice returns the same handle, so buffers, pools and compiled
/// kernels are shared.
///
/// ```
/// use streamcore::Device;
/// let dev = Device::best();            // CUDA > hardware GPU > CPU
/// let cpu = Device::cpu();
/// assert!(cpu.info().usable);
/// # let _ = dev;
/// ```
#[derive(Clone)]
pub struct Device(Arc<DeviceInner>);

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

fn registry() -> &'static Mutex<HashMap<String, Device>> {
    static REG: OnceLock<Mutex<HashMap<String, Device>>> = OnceLock::new();
    REG.get_or_init(Default::default)
}

/// Returns the cached device under `key`, or opens it with `open` and caches it.
fn cached(
    key: String,
    kind: DeviceKind,
    open: impl FnOnce() -> Result<Box<dyn Backend>>,
) -> Result<Device> {
    // Held across `open` so that two threads do not open the same adapter twice.
    let mut reg = crate::backend::lock(registry());
    if let Some(d) = reg.get(&key) {
        return Ok(d.clone());
    }
    let backend = open()?;
    let info = backend.info();
    let label = if info.selector == info.name {
        info.name.clone()
    } else {
        format!("{} ({})", info.selector, info.name)
    };
    let dev = Device(Arc::new(DeviceInner {
        id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
        kind,
        label,
        info,
        backend,
    }));
    reg.insert(key, dev.clone());
    Ok(dev)
}

impl Device {
    /// The CPU backend with STREAMCORE_NUM_THREADS worker threads (default: every core).
    /// Always available; an invalid STREAMCORE_NUM_THREADS falls back to every core with a
    /// warning (use [`Device::from_env`] to get it as an error).
    pub fn cpu() -> Device {
        let open = || {
            let threads = crate::backend::cpu::thread_count().unwrap_or_else(|e| {
                eprintln!("streamcore: {e}; using every core");
                0
            });
            Ok(Box::new(CpuBackend::with_threads(threads)) as Box<dyn Backend>)
        };
        cached("cpu".into(), DeviceKind::Cpu, open).expect("opening the CPU backend cannot fail")
    }

    /// The preferred hardware GPU adapter through wgpu (discrete before integrated).
    /// Software adapters are not considered: see [`Device::wgpu_software`].
    pub fn wgpu() -> Result<Device> {
        Self::wgpu_with(&WgpuOptions::default())
    }

    /// The `index`-th hardware wgpu adapter in preference order.
    pub fn wgpu_index(index: usize) -> Result<Device> {
        Self::wgpu_with(&WgpuOptions {
            index,
            ..Default::default()
        })
    }

    /// A software wgpu adapter (lavapipe, llvmpipe, WARP): slow, but a real WGSL device
    /// for tests on machines without a GPU. Vulkan software adapters come first.
    pub fn wgpu_software() -> Result<Device> {
        Self::wgpu_with(&WgpuOptions {
            software: true,
            ..Default::default()
        })
    }

    /// A wgpu adapter chosen and opened as `opts` says.
    pub fn wgpu_with(opts: &WgpuOptions) -> Result<Device> {
        #[cfg(feature = "wgpu")]
        {
            cached(format!("wgpu {opts:?}"), DeviceKind::Wgpu, || {
                Ok(Box::new(crate::backend::wgpu::open(opts)?) as Box<dyn Backend>)
            })
        }
        #[cfg(not(feature = "wgpu"))]
        {
            let _ = opts;
            Err(Error::BackendUnavailable {
                backend: "wgpu",
                reason: "streamcore was compiled without feature `wgpu`".into(),
            })
        }
    }

    /// CUDA GPU number `ordinal`. Needs feature `cuda` and a CUDA driver (libcuda) at run time;
    /// without them this is [`Error::BackendUnavailable`], never a panic.
    pub fn cuda(ordinal: usize) -> Result<Device> {
        #[cfg(feature = "cuda")]
        {
            cached(format!("cuda:{ordinal}"), DeviceKind::Cuda, || {
                Ok(Box::new(crate::backend::cuda::open(ordinal)?) as Box<dyn Backend>)
            })
        }
        #[cfg(not(feature = "cuda"))]
        {
            let _ = ordinal;
            Err(Error::BackendUnavailable {
                backend: "cuda",
                reason: "streamcore was compiled without feature `cuda`".into(),
            })
        }
    }

    /// The fastest device present: CUDA, then a discrete, then an integrated GPU through wgpu,
    /// else the CPU. Software adapters are never chosen (the CPU backend beats them ~10x).
    pub fn best() -> Device {
        if let Ok(d) = Self::cuda(0) {
            return d;
        }
        if let Ok(d) = Self::wgpu() {
            return d;
        }
        Self::cpu()
    }

    /// The device named by STREAMCORE_DEVICE (`cpu`, `wgpu[:N]`, `wgpu-software`, `cuda[:N]`,
    /// `best`); [`Device::best`] when it is unset.
    pub fn from_env() -> Result<Device> {
        match std::env::var("STREAMCORE_DEVICE") {
            Err(std::env::VarError::NotPresent) => Ok(Self::best()),
            Err(std::env::VarError::NotUnicode(s)) => Err(Error::invalid(
                "STREAMCORE_DEVICE",
                format!("{s:?} is not valid UTF-8"),
            )),
            Ok(s) => Self::open(&s),
        }
    }

    /// Opens a device by selector, the same strings as STREAMCORE_DEVICE:
    /// `cpu`, `wgpu`, `wgpu:N`, `wgpu-software[:N]`, `cuda`, `cuda:N` or `best`.
    ///
    /// ```
    /// let cpu = streamcore::Device::open("cpu")?;
    /// assert!(streamcore::Device::open("tpu").is_err());
    /// # Ok::<(), streamcore::Error>(())
    /// ```
    pub fn open(selector: &str) -> Result<Device> {
        let s = selector.trim().to_ascii_lowercase();
        let index = |rest: &str| -> Result<usize> {
            rest.parse::<usize>().map_err(|_| {
                Error::invalid(
                    "device selector",
                    format!("{selector:?}: {rest:?} is not a device index"),
                )
            })
        };
        match s.as_str() {
            "cpu" => {
                crate::backend::cpu::thread_count()?;
                crate::backend::cpu::simd::isa_limit()?;
                Ok(Self::cpu())
            }
            "best" => Ok(Self::best()),
            "wgpu" | "gpu" => Self::wgpu(),
            "wgpu-software" | "wgpu_software" => Self::wgpu_software(),
            "cuda" => Self::cuda(0),
            _ => {
                if let Some(rest) = s.strip_prefix("wgpu:") {
                    Self::wgpu_index(index(rest)?)
                } else if let Some(rest) = s.strip_prefix("wgpu-software:") {
                    Self::wgpu_with(&WgpuOptions {
                        software: true,
                        index: index(rest)?,
                        ..Default::default()
                    })
                } else if let Some(rest) = s.strip_prefix("cuda:") {
                    Self::cuda(index(rest)?)
                } else {
                    Err(Error::invalid(
                        "device selector",
                        format!(
                            "{selector:?} is not a device; use cpu, wgpu, wgpu:N, \
                             wgpu-software, cuda, cuda:N or best"
                        ),
                    ))
                }
            }
        }
    }

    /// Every device found, usable or not (with the reason), without opening any GPU.
    pub fn list() -> Vec<DeviceInfo> {
        let mut out = vec![Self::cpu().info().clone()];
        #[cfg(feature = "wgpu")]
        out.extend(crate::backend::wgpu::list());
        #[cfg(not(feature = "wgpu"))]
        out.push(DeviceInfo::unusable(
            DeviceKind::Wgpu,
            "wgpu",
            "wgpu",
            "compiled without feature `wgpu`".into(),
        ));
        #[cfg(feature = "cuda")]
        out.extend(crate::backend::cuda::list());
        #[cfg(not(feature = "cuda"))]
        out.push(DeviceInfo::unusable(
            DeviceKind::Cuda,
            "cuda",
            "CUDA",
            "compiled without feature `cuda`".into(),
        ));
        out
    }

    /// The backend family.
    pub fn kind(&self) -> DeviceKind {
        self.0.kind
    }

    /// A short label such as `cpu` or `wgpu-software (llvmpipe (LLVM 15.0.6, 256 bits))`.
    pub fn name(&self) -> &str {
        &self.0.label
    }

    /// Capabilities of this device.
    pub fn info(&self) -> &DeviceInfo {
        &self.0.info
    }

    /// True when kernels on this device can compute on `dtype` (f64 needs SHADER_F64 on wgpu).
    pub fn supports(&self, dtype: DType) -> bool {
        self.0.backend.check_dtype(dtype).is_ok()
    }

    /// Waits until all work queued on this device has finished.
    pub fn synchronize(&self) -> Result<()> {
        self.0.backend.synchronize()
    }

    /// Accounting of the device's buffer pool.
    pub fn memory_stats(&self) -> MemoryStats {
        self.0.backend.memory_stats()
    }

    /// How many times the host has blocked waiting for this device: reads, `item`,
    /// `synchronize`. Queued work never adds to it, so this checks that a chain of ops
    /// runs without hidden host syncs. Always 0 on the CPU backend.
    pub fn host_waits(&self) -> u64 {
        self.0.backend.host_waits()
    }

    /// Frees the buffers the pool keeps for reuse (arrays still alive are not affected).
    pub fn empty_cache(&self) {
        self.0.backend.empty_cache()
    }

    pub(crate) fn backend(&self) -> &dyn Backend {
        self.0.backend.as_ref()
    }

    pub(crate) fn same(&self, other: &Device) -> bool {
        self.0.id == other.0.id
    }
}

impl PartialEq for Device {
    fn eq(&self, other: &Self) -> bool {
        self.same(other)
    }
}

impl Eq for Device {}

impl fmt::Debug for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Device({})", self.0.label)
    }
}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.label)
    }
}
