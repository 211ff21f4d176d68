//! The wgpu backend: adapter discovery and ranking, device creation with the adapter's own
//! limits and features, and the [`Backend`] implementation over WGSL kernels.

mod batch;
mod creation;
mod elementwise;
mod fft;
mod fractal;
mod kernel;
mod math64;
mod matmul;
mod memory;
mod random;
mod reduce;
mod scan;
mod shape;
mod timer;

use std::sync::{Arc, Mutex, OnceLock};

use super::{
    Backend, Buffer, CeilingJob, CreationOp, Distribution, ElementwiseOp, FractalJob, HostSource,
    KernelTime, Layout, MatmulDims, MemoryStats, ReduceOp, Scale, ScanOp, StridedCopy,
    foreign_buffer, lock,
};
use crate::device::{DeviceInfo, DeviceKind, WgpuOptions};
use crate::element::DType;
use crate::error::{Error, Result};
pub(crate) use memory::WgpuBuffer;

/// Features requested whenever the adapter has them (f64/f16 as the options say).
fn wanted_features(opts: &WgpuOptions) -> wgpu::Features {
    let mut f = wgpu::Features::SUBGROUP
        | wgpu::Features::SHADER_INT64
        | wgpu::Features::TIMESTAMP_QUERY
        | wgpu::Features::TIMESTAMP_QUERY_INSIDE_ENCODERS
        | wgpu::Features::TIMESTAMP_QUERY_INSIDE_PASSES;
    if opts.f64 {
        f |= wgpu::Features::SHADER_F64;
    }
    if opts.f16 {
        f |= wgpu::Features::SHADER_F16;
    }
    f
}

fn instance() -> &'static wgpu::Instance {
    static INSTANCE: OnceLock<wgpu::Instance> = OnceLock::new();
    INSTANCE.get_or_init(|| {
        let mut desc = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
        // Native APIs only unless WGPU_BACKEND says otherwise (e.g. `gl`): wgpu's GL backend
        // has no f64, f16 or subgroups, and its EGL setup is not safe to race between threads.
        if std::env::var_os("WGPU_BACKEND").is_none() {
            desc.backends = wgpu::Backends::PRIMARY;
        }
        wgpu::Instance::new(desc)
    })
}

fn is_software(info: &wgpu::AdapterInfo) -> bool {
    info.device_type == wgpu::DeviceType::Cpu
}

fn type_rank(t: wgpu::DeviceType) -> u8 {
    match t {
        wgpu::DeviceType::DiscreteGpu => 0,
        wgpu::DeviceType::IntegratedGpu => 1,
        wgpu::DeviceType::VirtualGpu => 2,
        wgpu::DeviceType::Other => 3,
        wgpu::DeviceType::Cpu => 4,
    }
}

fn backend_rank(b: wgpu::Backend) -> u8 {
    // GL lacks f64, f16 and subgroups in wgpu: prefer the native APIs.
    match b {
        wgpu::Backend::Vulkan | wgpu::Backend::Metal | wgpu::Backend::Dx12 => 0,
        _ => 1,
    }
}

/// Every adapter, best first; an adapter seen through GL and a native API is kept once.
fn adapters() -> Vec<wgpu::Adapter> {
    static ENUMERATE: Mutex<()> = Mutex::new(());
    let _one_at_a_time = lock(&ENUMERATE);
    // A driver that makes wgpu panic while probing must not take the program down: it just
    // contributes no adapter.
    let probe = std::panic::catch_unwind(|| {
        pollster::block_on(instance().enumerate_adapters(wgpu::Backends::all()))
    });
    let mut all = probe.unwrap_or_default();
    all.sort_by_key(|a| {
        let i = a.get_info();
        (type_rank(i.device_type), backend_rank(i.backend))
    });
    let mut seen: Vec<(String, wgpu::DeviceType)> = Vec::new();
    all.retain(|a| {
        let i = a.get_info();
        let key = (i.name.clone(), i.device_type);
        if seen.contains(&key) {
            return false;
        }
        seen.push(key);
        true
    });
    all
}

/// The adapters of one kind (hardware or software) in preference order.
fn adapters_of_kind(software: bool) -> Vec<wgpu::Adapter> {
    adapters()
        .into_iter()
        .filter(|a| is_software(&a.get_info()) == software)
        .collect()
}

fn selector(software: bool, index: usize) -> String {
    match (software, index) {
        (true, 0) => "wgpu-software".into(),
        (true, i) => format!("wgpu-software:{i}"),
        (false, i) => format!("wgpu:{i}"),
    }
}

fn describe(
    adapter: &wgpu::Adapter,
    features: wgpu::Features,
    limits: &wgpu::Limits,
    software: bool,
    index: usize,
) -> DeviceInfo {
    let i = adapter.get_info();
    DeviceInfo {
        selector: selector(software, index),
        kind: DeviceKind::Wgpu,
        index: Some(index),
        name: i.name.clone(),
        backend: format!("{:?}", i.backend).to_lowercase(),
        device_type: match i.device_type {
            wgpu::DeviceType::DiscreteGpu => "discrete_gpu",
            wgpu::DeviceType::IntegratedGpu => "integrated_gpu",
            wgpu::DeviceType::VirtualGpu => "virtual_gpu",
            wgpu::DeviceType::Cpu => "cpu",
            wgpu::DeviceType::Other => "other",
        }
        .into(),
        driver: format!("{} {}", i.driver, i.driver_info).trim().to_string(),
        software,
        usable: true,
        reason: None,
        f16: features.contains(wgpu::Features::SHADER_F16),
        f64: features.contains(wgpu::Features::SHADER_F64),
        subgroups: features.contains(wgpu::Features::SUBGROUP),
        timestamps: features.contains(wgpu::Features::TIMESTAMP_QUERY),
        max_buffer_size: limits.max_buffer_size,
        max_binding_size: limits.max_storage_buffer_binding_size,
        max_workgroup_storage: limits.max_compute_workgroup_storage_size as u64,
        max_workgroup_invocations: limits.max_compute_invocations_per_workgroup,
        memory_bytes: None,
        threads: None,
        simd: None,
        compute_capability: None,
    }
}

/// Capabilities of every adapter, without creating devices.
pub(crate) fn list() -> Vec<DeviceInfo> {
    let mut out = Vec::new();
    for software in [false, true] {
        for (index, a) in adapters_of_kind(software).iter().enumerate() {
            let f = a.features() & wanted_features(&WgpuOptions::default());
            out.push(describe(a, f, &a.limits(), software, index));
        }
    }
    if out.is_empty() {
        out.push(DeviceInfo::unusable(
            DeviceKind::Wgpu,
            "wgpu",
            "wgpu",
            "no adapter found: install a Vulkan, Metal or DX12 driver \
             (on Linux without a GPU: mesa-vulkan-drivers for lavapipe)"
                .into(),
        ));
    }
    out
}

/// Opens the adapter `opts` names with every useful feature and the adapter's own limits.
pub(crate) fn open(opts: &WgpuOptions) -> Result<WgpuBackend> {
    let kind = if opts.software {
        "software"
    } else {
        "hardware"
    };
    let candidates = adapters_of_kind(opts.software);
    let unavailable = |reason: String| Error::BackendUnavailable {
        backend: if opts.software {
            "wgpu-software"
        } else {
            "wgpu"
        },
        reason,
    };
    let n = candidates.len();
    let adapter = candidates.into_iter().nth(opts.index).ok_or_else(|| {
        unavailable(if n == 0 {
            format!(
                "no {kind} wgpu adapter found{}",
                if opts.software {
                    " (install mesa-vulkan-drivers for lavapipe)"
                } else {
                    " (software adapters are reached with Device::wgpu_software)"
                }
            )
        } else {
            format!(
                "{kind} adapter index {} asked for, but only {n} present",
                opts.index
            )
        })
    })?;
    let features = adapter.features() & wanted_features(opts);
    let limits = adapter.limits();
    let desc = wgpu::DeviceDescriptor {
        label: Some("streamcore"),
        required_features: features,
        required_limits: limits.clone(),
        experimental_features: wgpu::ExperimentalFeatures::disabled(),
        memory_hints: wgpu::MemoryHints::Performance,
        trace: wgpu::Trace::Off,
    };
    let unchecked = kernel::Unchecked::from_env()?;
    let (device, queue) = pollster::block_on(adapter.request_device(&desc))
        .map_err(|e| unavailable(format!("{}: {e}", adapter.get_info().name)))?;
    let info = describe(&adapter, features, &limits, opts.software, opts.index);
    let mut be = WgpuBackend::new(device, queue, limits, features, info);
    be.kernels.unchecked = unchecked;
    Ok(be)
}

/// Errors raised outside any error scope, and device loss, reported at the next call.
#[derive(Default)]
struct Health {
    lost: Option<String>,
    uncaptured: Vec<String>,
}

/// One opened wgpu device.
pub(crate) struct WgpuBackend {
    id: u64,
    label: String,
    info: DeviceInfo,
    device: wgpu::Device,
    queue: wgpu::Queue,
    limits: wgpu::Limits,
    features: wgpu::Features,
    health: Arc<Mutex<Health>>,
    waits: std::sync::atomic::AtomicU64,
    memory: memory::Memory,
    kernels: kernel::KernelCache,
    /// FFT plan tables on this device.
    fft_tables: super::FftTables,
    /// The running profile's timestamps (`Device::profile`), if any.
    timer: Mutex<Option<timer::Timer>>,
    /// Work recorded and not yet submitted.
    pending: Mutex<batch::Pending>,
    /// Mapped staging buffers for the batches' parameter blocks, ready for reuse.
    param_stages: batch::ParamStages,
    /// Queue submissions made (each a batch of ops).
    submits: std::sync::atomic::AtomicU64,
    /// Whether WGSL's `fma` rounds once here (probed on first need, `kernel::fma_fused`).
    fma_fused: std::sync::OnceLock<bool>,
}

impl WgpuBackend {
    fn new(
        device: wgpu::Device,
        queue: wgpu::Queue,
        limits: wgpu::Limits,
        features: wgpu::Features,
        info: DeviceInfo,
    ) -> Self {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let health = Arc::new(Mutex::new(Health::default()));
        let h = health.clone();
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            lock(&h).uncaptured.push(e.to_string());
        }));
        let h = health.clone();
        device.set_device_lost_callback(move |reason, msg| {
            lock(&h).lost = Some(format!("{reason:?}: {msg}"));
        });
        WgpuBackend {
            id: NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            label: format!("{} ({})", info.selector, info.name),
            memory: memory::Memory::new(&limits),
            kernels: kernel::KernelCache::default(),
            fft_tables: Default::default(),
            timer: Mutex::new(None),
            pending: Mutex::default(),
            param_stages: Default::default(),
            submits: Default::default(),
            info,
            device,
            queue,
            limits,
            features,
            health,
            waits: Default::default(),
            fma_fused: Default::default(),
        }
    }

    /// The wgpu buffer inside a scratch buffer from `Backend::alloc`.
    pub(crate) fn raw<'a>(&self, b: &'a Buffer) -> Result<&'a wgpu::Buffer> {
        Ok(&self.buffer(b)?.raw)
    }

    /// Fails with the device-lost or uncaptured error recorded since the last call, if any.
    pub(crate) fn check_health(&self) -> Result<()> {
        let mut h = lock(&self.health);
        if let Some(reason) = &h.lost {
            return Err(Error::DeviceLost {
                device: self.label.clone(),
                reason: reason.clone(),
            });
        }
        if !h.uncaptured.is_empty() {
            let detail = std::mem::take(&mut h.uncaptured).join("; ");
            return Err(Error::Backend {
                device: self.label.clone(),
                detail,
            });
        }
        Ok(())
    }

    /// Converts a wgpu error caught by an error scope.
    pub(crate) fn scope_error(&self, e: wgpu::Error, bytes: u64) -> Error {
        match e {
            wgpu::Error::OutOfMemory { .. } => Error::OutOfMemory {
                device: self.label.clone(),
                requested: bytes,
                detail: e.to_string(),
            },
            other => Error::Backend {
                device: self.label.clone(),
                detail: other.to_string(),
            },
        }
    }

    /// Blocks until `index` (or everything submitted) has finished. Pending work is not
    /// waited for: `flush` it first.
    fn wait(&self, index: Option<wgpu::SubmissionIndex>) -> Result<()> {
        self.waits
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.device
            .poll(wgpu::PollType::Wait {
                submission_index: index,
                timeout: None,
            })
            .map_err(|e| Error::DeviceLost {
                device: self.label.clone(),
                reason: e.to_string(),
            })?;
        self.check_health()
    }

    fn buffer<'a>(&self, b: &'a Buffer) -> Result<&'a WgpuBuffer> {
        match b {
            Buffer::Wgpu(w) if w.device_id == self.id => Ok(w),
            Buffer::Wgpu(_) => Err(Error::DeviceMismatch {
                op: "buffer access",
                detail: format!(
                    "a buffer of another wgpu device was given to {}",
                    self.label
                ),
            }),
            other => Err(foreign_buffer("wgpu", other)),
        }
    }
}

impl Backend for WgpuBackend {
    fn info(&self) -> DeviceInfo {
        self.info.clone()
    }

    fn check_dtype(&self, dtype: DType) -> Result<()> {
        let (needed, name) = if dtype.needs_f64() {
            (wgpu::Features::SHADER_F64, "SHADER_F64")
        } else if dtype.needs_f16() {
            (wgpu::Features::SHADER_F16, "SHADER_F16")
        } else {
            return Ok(());
        };
        if self.features.contains(needed) {
            return Ok(());
        }
        Err(Error::DtypeUnsupported {
            dtype,
            device: self.label.clone(),
            reason: format!(
                "the device was opened without {name} (the adapter lacks it or it was not \
                 requested); use f32 here, or the CPU backend"
            ),
        })
    }

    fn alloc(&self, bytes: usize) -> Result<Buffer> {
        self.check_health()?;
        Ok(Buffer::Wgpu(self.memory.alloc(self, bytes as u64)?))
    }

    fn upload(&self, dst: &mut Buffer, bytes: usize, src: &HostSource<'_>) -> Result<()> {
        let d = self.buffer(dst)?;
        self.memory.upload(self, d, bytes as u64, src)
    }

    fn download(&self, src: &Buffer, dst: &mut [std::mem::MaybeUninit<u8>]) -> Result<()> {
        let s = self.buffer(src)?;
        self.memory.download(self, s, dst)
    }

    fn creation(&self, dst: &mut Buffer, bytes: usize, op: &CreationOp) -> Result<()> {
        let d = self.buffer(dst)?;
        creation::run(self, d, bytes as u64, op)
    }

    fn elementwise(
        &self,
        op: ElementwiseOp,
        dtype: DType,
        inputs: &[&Buffer],
        out: &mut Buffer,
        layout: &Layout,
    ) -> Result<()> {
        let ins: Vec<&WgpuBuffer> = inputs
            .iter()
            .map(|b| self.buffer(b))
            .collect::<Result<_>>()?;
        let o = self.buffer(out)?;
        elementwise::run(self, op, dtype, &ins, o, layout)
    }

    fn copy_strided(
        &self,
        dtype: DType,
        src: &Buffer,
        dst: &mut Buffer,
        copy: &StridedCopy,
    ) -> Result<()> {
        let (s, d) = (self.buffer(src)?, self.buffer(dst)?);
        shape::run(self, dtype, s, d, copy)
    }

    fn reduce(
        &self,
        op: ReduceOp,
        dtype: DType,
        src: &Buffer,
        dims: [usize; 3],
        out: &mut Buffer,
    ) -> Result<()> {
        let (s, o) = (self.buffer(src)?, self.buffer(out)?);
        reduce::run(self, op, dtype, s, dims, o)
    }

    fn scan(
        &self,
        op: ScanOp,
        dtype: DType,
        src: &Buffer,
        dims: [usize; 3],
        out: &mut Buffer,
    ) -> Result<()> {
        let (s, o) = (self.raw(src)?, self.raw(out)?);
        scan::run(self, op, dtype, s, dims, o)
    }

    fn matmul(
        &self,
        dtype: DType,
        a: &Buffer,
        b: &Buffer,
        out: &mut Buffer,
        dims: MatmulDims,
    ) -> Result<()> {
        let (a, b, o) = (self.raw(a)?, self.raw(b)?, self.raw(out)?);
        matmul::run(self, dtype, a, b, o, dims)
    }

    fn random(
        &self,
        dist: Distribution,
        dtype: DType,
        seed: u64,
        position: u64,
        out: &mut Buffer,
        len: usize,
    ) -> Result<()> {
        random::run(self, dist, dtype, seed, position, self.raw(out)?, len)
    }

    fn fft(
        &self,
        dtype: DType,
        src: &Buffer,
        dst: &mut Buffer,
        dims: [usize; 3],
        inverse: bool,
        scale: Scale,
    ) -> Result<()> {
        fft::run(self, dtype, src, dst, dims, inverse, scale)
    }

    fn has_fft_real(&self, n: usize) -> bool {
        crate::fft::plan::gpu_real(n)
    }

    fn fft_real(
        &self,
        dtype: DType,
        src: &Buffer,
        dst: &mut Buffer,
        dims: [usize; 2],
        inverse: bool,
        scale: Scale,
    ) -> Result<()> {
        fft::real(self, dtype, src, dst, dims, inverse, scale)
    }

    fn fractal(&self, job: &FractalJob, values: &mut Buffer, counts: &mut Buffer) -> Result<()> {
        fractal::run(self, job, self.raw(values)?, self.raw(counts)?)
    }

    fn synchronize(&self) -> Result<()> {
        // Submit the pending batch, or at least the writes staged by small uploads, then
        // wait for everything.
        if self.flush().is_none() {
            self.queue.submit([]);
        }
        self.wait(None)
    }

    fn memory_stats(&self) -> MemoryStats {
        self.memory.stats()
    }

    fn host_waits(&self) -> u64 {
        self.waits.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn empty_cache(&self) {
        self.memory.empty(self);
    }

    fn timer_start(&self) -> Result<bool> {
        self.start_timer()
    }

    fn timer_stop(&self) -> Result<Option<KernelTime>> {
        self.stop_timer()
    }

    fn ceiling(&self, job: CeilingJob, src: Option<&Buffer>, dst: &mut Buffer) -> Result<()> {
        let src = src.map(|b| self.raw(b)).transpose()?;
        self.run_ceiling(job, src, self.raw(dst)?)
    }
}
