//! The CUDA backend (feature `cuda`): a cudarc context and stream per GPU, pooled device
//! memory, and kernels from cuda/ compiled by NVRTC for the GPU's own architecture.
//!
//! cudarc loads libcuda at run time and panics if it is missing, so every entry point first
//! checks that the library is present and returns [`Error::BackendUnavailable`] otherwise.

mod fft;
pub(crate) mod nvrtc;

use std::collections::HashMap;
use std::mem::MaybeUninit;
use std::sync::{Arc, Mutex};

use cudarc::driver::{
    CudaContext, CudaEvent, CudaModule, CudaSlice, CudaStream, DriverError, LaunchConfig,
    PinnedHostSlice, PushKernelArg,
};
use rayon::prelude::*;

use super::pool::{Pool, size_class};
use super::{
    Backend, Buffer, CeilingJob, CreationOp, Distribution, ElementwiseOp, FractalJob, HostSource,
    KernelTime, Layout, MatmulDims, MemoryStats, ReduceOp, Scale, ScanOp, StridedCopy,
    foreign_buffer,
};
use crate::device::{DeviceInfo, DeviceKind};
use crate::element::DType;
use crate::error::{Error, Result};

/// Host staging chunk for uploads.
const STAGING_CHUNK: usize = 64 << 20;
const HOST_CHUNK: usize = 1 << 20;
const THREADS: u32 = 256;

fn driver_present() -> bool {
    // SAFETY: only probes whether libcuda loads.
    unsafe { cudarc::driver::sys::is_culib_present() }
}

fn unavailable(reason: impl Into<String>) -> Error {
    Error::BackendUnavailable {
        backend: "cuda",
        reason: reason.into(),
    }
}

fn device_count() -> Result<usize> {
    if !driver_present() {
        return Err(unavailable(
            "the CUDA driver library (libcuda.so) was not found: no NVIDIA driver is installed",
        ));
    }
    cudarc::driver::result::init().map_err(|e| unavailable(format!("cuInit failed: {e:?}")))?;
    let n = cudarc::driver::result::device::get_count()
        .map_err(|e| unavailable(format!("cuDeviceGetCount failed: {e:?}")))?;
    Ok(n.max(0) as usize)
}

/// Every CUDA GPU, or one unusable entry saying why there is none.
pub(crate) fn list() -> Vec<DeviceInfo> {
    let unusable = |reason: String| {
        vec![DeviceInfo::unusable(
            DeviceKind::Cuda,
            "cuda",
            "CUDA",
            reason,
        )]
    };
    match device_count() {
        Err(e) => unusable(e.to_string()),
        Ok(0) => unusable("the CUDA driver reports no GPU".into()),
        Ok(n) => (0..n)
            .map(|i| match crate::Device::cuda(i) {
                Ok(d) => d.info().clone(),
                Err(e) => DeviceInfo::unusable(
                    DeviceKind::Cuda,
                    &format!("cuda:{i}"),
                    "CUDA",
                    e.to_string(),
                ),
            })
            .collect(),
    }
}

/// Opens GPU `ordinal`.
pub(crate) fn open(ordinal: usize) -> Result<CudaBackend> {
    let n = device_count()?;
    if ordinal >= n {
        return Err(unavailable(format!(
            "cuda:{ordinal} asked for, but {n} GPU(s) present"
        )));
    }
    let ctx =
        CudaContext::new(ordinal).map_err(|e| unavailable(format!("cuda:{ordinal}: {e:?}")))?;
    // One stream per device orders all our work, so per-buffer event tracking is not needed.
    // SAFETY: called before any allocation on this context.
    unsafe { ctx.disable_event_tracking() };
    let stream = ctx.default_stream();
    let (major, minor) = ctx
        .compute_capability()
        .map_err(|e| unavailable(format!("cuda:{ordinal}: {e:?}")))?;
    let name = ctx.name().unwrap_or_else(|_| "CUDA GPU".into());
    let memory = ctx.total_mem().ok().map(|m| m as u64);
    let label = format!("cuda:{ordinal} ({name})");
    let info = DeviceInfo {
        selector: format!("cuda:{ordinal}"),
        kind: DeviceKind::Cuda,
        index: Some(ordinal),
        name,
        backend: "cuda".into(),
        device_type: "discrete_gpu".into(),
        driver: format!(
            "CUDA driver, NVRTC {}",
            if nvrtc::nvrtc_available() {
                "found"
            } else {
                "missing"
            }
        ),
        software: false,
        usable: true,
        reason: None,
        f16: major * 10 + minor >= 53,
        f64: true,
        subgroups: true,
        timestamps: true,
        max_buffer_size: memory.unwrap_or(u64::MAX),
        max_binding_size: memory.unwrap_or(u64::MAX),
        max_workgroup_storage: 48 << 10,
        max_workgroup_invocations: 1024,
        memory_bytes: memory,
        threads: None,
        simd: None,
        compute_capability: Some(format!("{major}.{minor}")),
    };
    Ok(CudaBackend {
        arch: (major * 10 + minor) as u32,
        pool: Arc::new(Pool::new(memory.map_or(1 << 30, |m| m / 4))),
        staging_up: Mutex::new(None),
        staging_down: Mutex::new(None),
        modules: Mutex::new(HashMap::new()),
        waits: Default::default(),
        fft_tables: Default::default(),
        steps: Default::default(),
        timer: Mutex::new(None),
        label,
        info,
        stream,
        ctx,
    })
}

/// The index layout passed to cuda/elementwise.cu by value (`struct Layout` there).
#[repr(C)]
#[derive(Clone, Copy)]
struct KernelLayout {
    rank: u32,
    contiguous: u32,
    shape: [u64; 8],
    stride0: [u64; 8],
    stride1: [u64; 8],
    stride2: [u64; 8],
}

// SAFETY: plain #[repr(C)] data that matches the kernel's struct field for field.
unsafe impl cudarc::driver::DeviceRepr for KernelLayout {}

/// The strided-copy layout passed to cuda/shape.cu by value (`struct CopyLayout` there).
#[repr(C)]
#[derive(Clone, Copy)]
struct CopyLayout {
    rank: u32,
    _pad: u32,
    src_offset: u64,
    dst_offset: u64,
    shape: [u64; 8],
    src_strides: [i64; 8],
    dst_strides: [i64; 8],
}

// SAFETY: plain #[repr(C)] data that matches the kernel's struct field for field.
unsafe impl cudarc::driver::DeviceRepr for CopyLayout {}

/// A device allocation; returns to the pool when dropped.
pub(crate) struct CudaBuffer {
    slice: Option<CudaSlice<u8>>,
    class: u64,
    ctx_ordinal: usize,
    pool: Arc<Pool<CudaSlice<u8>>>,
}

impl Drop for CudaBuffer {
    fn drop(&mut self) {
        if let Some(s) = self.slice.take() {
            drop(self.pool.put(self.class, s));
        }
    }
}

/// One opened CUDA GPU.
pub(crate) struct CudaBackend {
    label: String,
    info: DeviceInfo,
    ctx: Arc<CudaContext>,
    stream: Arc<CudaStream>,
    arch: u32,
    pool: Arc<Pool<CudaSlice<u8>>>,
    /// Page-locked staging, reused: write-combined for uploads, cached for downloads (the
    /// host reads those back, and reading write-combined memory is very slow).
    staging_up: Mutex<Option<PinnedHostSlice<u8>>>,
    staging_down: Mutex<Option<PinnedHostSlice<u8>>>,
    modules: Mutex<HashMap<&'static str, Arc<CudaModule>>>,
    waits: std::sync::atomic::AtomicU64,
    /// FFT plan tables on this GPU.
    fft_tables: super::FftTables,
    /// FFT step kernels specialised per sub-length, and their root tables.
    steps: fft::StepCache,
    /// The start event of the running profile (`Device::profile`), if any.
    timer: Mutex<Option<CudaEvent>>,
}

impl CudaBackend {
    fn driver_err(&self, what: &str, e: DriverError) -> Error {
        let msg = format!("{what}: {e:?}");
        if msg.contains("OUT_OF_MEMORY") {
            Error::OutOfMemory {
                device: self.label.clone(),
                requested: 0,
                detail: msg,
            }
        } else {
            Error::Backend {
                device: self.label.clone(),
                detail: msg,
            }
        }
    }

    fn slice<'a>(&self, b: &'a Buffer) -> Result<&'a CudaSlice<u8>> {
        match b {
            Buffer::Cuda(c) if c.ctx_ordinal == self.ctx.ordinal() => {
                Ok(c.slice.as_ref().expect("slice present until drop"))
            }
            Buffer::Cuda(_) => Err(Error::DeviceMismatch {
                op: "buffer access",
                detail: format!("a buffer of another CUDA GPU was given to {}", self.label),
            }),
            other => Err(foreign_buffer("cuda", other)),
        }
    }

    fn slice_mut<'a>(&self, b: &'a mut Buffer) -> Result<&'a mut CudaSlice<u8>> {
        self.slice(b)?;
        match b {
            Buffer::Cuda(c) => Ok(c.slice.as_mut().expect("slice present until drop")),
            other => Err(foreign_buffer("cuda", other)),
        }
    }

    /// The module of op family `family`, compiled for this GPU on first use.
    fn module(&self, family: &'static str) -> Result<Arc<CudaModule>> {
        let mut m = super::lock(&self.modules);
        if let Some(module) = m.get(family) {
            return Ok(module.clone());
        }
        let ptx = nvrtc::compile(family, &nvrtc::kernel_source(family)?, self.arch)?;
        let module = self
            .ctx
            .load_module(cudarc::nvrtc::Ptx::from_src(ptx))
            .map_err(|e| self.driver_err("loading PTX", e))?;
        m.insert(family, module.clone());
        Ok(module)
    }

    /// The pinned staging buffer in `slot`, grown to cover `bytes` (up to STAGING_CHUNK).
    fn pinned<'a>(
        &self,
        slot: &'a mut Option<PinnedHostSlice<u8>>,
        bytes: usize,
        write_combined: bool,
    ) -> Result<&'a mut PinnedHostSlice<u8>> {
        let want = bytes.clamp(1, STAGING_CHUNK).next_power_of_two();
        if slot.as_ref().is_none_or(|p| p.len() < want) {
            *slot = None;
            let flags = if write_combined {
                cudarc::driver::sys::CU_MEMHOSTALLOC_WRITECOMBINED
            } else {
                0
            };
            // SAFETY: the staging bytes are written before they are read, in both directions.
            let p = unsafe { self.ctx.alloc_pinned_with_flags::<u8>(want, flags) }
                .map_err(|e| self.driver_err("allocating pinned staging memory", e))?;
            *slot = Some(p);
        }
        Ok(slot.as_mut().expect("just filled"))
    }

    /// The scan of `src` (`[outer, k, inner]` of `dtype`) into `out`: one `column` launch, one
    /// `rows` launch, or `totals`, a recursive scan of them and `rows` with a carry.
    fn scan_slices(
        &self,
        op: ScanOp,
        dtype: DType,
        src: &CudaSlice<u8>,
        [outer, k, inner]: [u64; 3],
        out: &mut CudaSlice<u8>,
    ) -> Result<()> {
        let module = self.module("scan")?;
        let func = |kind: &str, d: DType| {
            let name = format!("scan_{}_{}_{kind}", op.stem(), d.short_name());
            module
                .load_function(&name)
                .map(|f| (f, name.clone()))
                .map_err(|e| self.driver_err(&name, e))
        };
        if inner > 1 {
            let (f, name) = func("column", dtype)?;
            let mut b = self.stream.launch_builder(&f);
            b.arg(src).arg(&mut *out).arg(&outer).arg(&k).arg(&inner);
            // SAFETY: src and out hold outer * k * inner elements of dtype.
            return unsafe { b.launch(Self::launch_cfg(outer * inner)) }
                .map(drop)
                .map_err(|e| self.driver_err(&name, e));
        }
        let tiles = k.div_ceil(2048);
        let blocks = outer * tiles;
        let cfg = Self::block_grid(blocks, 0);
        let null = 0u64;
        let (rows, rows_name) = func("rows", dtype)?;
        if tiles == 1 {
            let mut b = self.stream.launch_builder(&rows);
            b.arg(src)
                .arg(&mut *out)
                .arg(&null)
                .arg(&outer)
                .arg(&k)
                .arg(&tiles);
            // SAFETY: src and out hold outer * k elements; a null carry is checked in the kernel.
            return unsafe { b.launch(cfg) }
                .map(drop)
                .map_err(|e| self.driver_err(&rows_name, e));
        }
        let acc = if dtype == DType::F16 {
            DType::F32
        } else {
            dtype
        };
        let bytes = (blocks * acc.size() as u64) as usize;
        // SAFETY: scratch written by the kernels before it is read.
        let mut sums = unsafe { self.stream.alloc::<u8>(bytes) }
            .map_err(|e| self.driver_err("scan scratch", e))?;
        let mut scanned = unsafe { self.stream.alloc::<u8>(bytes) }
            .map_err(|e| self.driver_err("scan scratch", e))?;
        let (totals, totals_name) = func("totals", dtype)?;
        let mut b = self.stream.launch_builder(&totals);
        b.arg(src).arg(&mut sums).arg(&outer).arg(&k).arg(&tiles);
        // SAFETY: src holds outer * k elements, sums outer * tiles accumulators.
        unsafe { b.launch(cfg) }
            .map(drop)
            .map_err(|e| self.driver_err(&totals_name, e))?;
        self.scan_slices(op, acc, &sums, [outer, tiles, 1], &mut scanned)?;
        let mut b = self.stream.launch_builder(&rows);
        b.arg(src)
            .arg(&mut *out)
            .arg(&scanned)
            .arg(&outer)
            .arg(&k)
            .arg(&tiles);
        // SAFETY: as above; scanned holds outer * tiles accumulators.
        unsafe { b.launch(cfg) }
            .map(drop)
            .map_err(|e| self.driver_err(&rows_name, e))
    }

    /// One 256-thread block per work item (a tile, a row), `blocks` of them laid out in
    /// x then y (the grid's x dimension stops at 65535); kernels recover the item as
    /// `blockIdx.x + blockIdx.y * gridDim.x` and return when it is past the end.
    fn block_grid(blocks: u64, shared_mem_bytes: u32) -> LaunchConfig {
        let x = blocks.clamp(1, 65_535);
        LaunchConfig {
            grid_dim: (x as u32, blocks.div_ceil(x).max(1) as u32, 1),
            block_dim: (256, 1, 1),
            shared_mem_bytes,
        }
    }

    fn launch_cfg(n: u64) -> LaunchConfig {
        let blocks = n.div_ceil(THREADS as u64).clamp(1, 1 << 20) as u32;
        LaunchConfig {
            grid_dim: (blocks, 1, 1),
            block_dim: (THREADS, 1, 1),
            shared_mem_bytes: 0,
        }
    }

    fn fill(&self, dst: &mut CudaSlice<u8>, bytes: usize, pattern: &[u8]) -> Result<()> {
        let words = bytes.div_ceil(4) as u64;
        if pattern.iter().all(|&b| b == 0) {
            let mut v = dst.slice_mut(..(words * 4) as usize);
            return self
                .stream
                .memset_zeros(&mut v)
                .map_err(|e| self.driver_err("memset", e));
        }
        let tile: Vec<u8> = pattern.iter().copied().cycle().take(16).collect();
        let w: Vec<u32> = tile
            .chunks(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        let period = (pattern.len().max(4) / 4) as u32;
        let f = self
            .module("creation")?
            .load_function("fill_words")
            .map_err(|e| self.driver_err("fill_words", e))?;
        let mut b = self.stream.launch_builder(&f);
        b.arg(dst)
            .arg(&words)
            .arg(&period)
            .arg(&w[0])
            .arg(&w[1])
            .arg(&w[2])
            .arg(&w[3]);
        // SAFETY: fill_words writes `words` u32 words; the buffer holds at least that many
        // (its capacity is a pool class, a multiple of 256 bytes, >= bytes).
        unsafe { b.launch(Self::launch_cfg(words)) }
            .map(drop)
            .map_err(|e| self.driver_err("launching fill_words", e))
    }

    #[allow(clippy::too_many_arguments)]
    fn ramp(
        &self,
        dst: &mut CudaSlice<u8>,
        dtype: DType,
        n: u64,
        start: f64,
        step: f64,
        last: Option<f64>,
    ) -> Result<()> {
        let name = match dtype {
            DType::F16 => "ramp_f16",
            DType::F32 => "ramp_f32",
            DType::F64 => "ramp_f64",
            DType::I32 | DType::U32 => "ramp_u32",
            DType::C32 => "ramp_c32",
            DType::C64 => "ramp_c64",
        };
        let f = self
            .module("creation")?
            .load_function(name)
            .map_err(|e| self.driver_err(name, e))?;
        let has_last = last.is_some() as i32;
        let l = last.unwrap_or(0.0);
        let mut b = self.stream.launch_builder(&f);
        b.arg(dst).arg(&n);
        // Scalars in the kernel's computation type; they must outlive the launch call.
        let (f32s, f64s, u32s) = (
            [start as f32, step as f32, l as f32],
            [start, step, l],
            [
                (start as i64) as u32,
                (step as i64) as u32,
                (l as i64) as u32,
            ],
        );
        match dtype {
            DType::F64 | DType::C64 => b.arg(&f64s[0]).arg(&f64s[1]).arg(&f64s[2]),
            DType::I32 | DType::U32 => b.arg(&u32s[0]).arg(&u32s[1]).arg(&u32s[2]),
            _ => b.arg(&f32s[0]).arg(&f32s[1]).arg(&f32s[2]),
        };
        b.arg(&has_last);
        // SAFETY: the kernel writes n elements of dtype; the buffer holds n * size bytes.
        unsafe { b.launch(Self::launch_cfg(n)) }
            .map(drop)
            .map_err(|e| self.driver_err(name, e))
    }
}

impl Backend for CudaBackend {
    fn info(&self) -> DeviceInfo {
        self.info.clone()
    }

    fn check_dtype(&self, dtype: DType) -> Result<()> {
        if dtype.needs_f16() && !self.info.f16 {
            return Err(Error::DtypeUnsupported {
                dtype,
                device: self.label.clone(),
                reason: "f16 arithmetic needs compute capability 5.3 or newer".into(),
            });
        }
        Ok(())
    }

    fn alloc(&self, bytes: usize) -> Result<Buffer> {
        let class = size_class(bytes as u64);
        let slice = match self.pool.take(class) {
            Some(s) => s,
            None => {
                // SAFETY: every constructor writes the buffer before it is read.
                let s = unsafe { self.stream.alloc::<u8>(class as usize) }
                    .or_else(|_| {
                        drop(self.pool.drain());
                        unsafe { self.stream.alloc::<u8>(class as usize) }
                    })
                    .map_err(|e| Error::OutOfMemory {
                        device: self.label.clone(),
                        requested: bytes as u64,
                        detail: format!("{e:?}"),
                    })?;
                self.pool.note_alloc(class);
                s
            }
        };
        Ok(Buffer::Cuda(CudaBuffer {
            slice: Some(slice),
            class,
            ctx_ordinal: self.ctx.ordinal(),
            pool: self.pool.clone(),
        }))
    }

    fn upload(&self, dst: &mut Buffer, bytes: usize, src: &HostSource<'_>) -> Result<()> {
        let d = self.slice_mut(dst)?;
        if (2..=16).contains(&bytes) && bytes.is_power_of_two() {
            // A scalar (or a few): its bytes travel as kernel arguments of the fill kernel,
            // so no staging and no host wait (a staged copy would synchronise the stream).
            let mut tmp = [MaybeUninit::<u8>::uninit(); 16];
            src(0, &mut tmp[..bytes]);
            // SAFETY: `src` writes every byte of the range it is given.
            let pattern: Vec<u8> = tmp[..bytes]
                .iter()
                .map(|b| unsafe { b.assume_init() })
                .collect();
            return self.fill(d, bytes, &pattern);
        }
        let mut guard = super::lock(&self.staging_up);
        let staging = self.pinned(&mut guard, bytes, true)?;
        let mut off = 0;
        while off < bytes {
            let n = (bytes - off).min(staging.len());
            let host = staging
                .as_mut_slice()
                .map_err(|e| self.driver_err("pinned staging", e))?;
            super::as_uninit(&mut host[..n])
                .par_chunks_mut(HOST_CHUNK)
                .enumerate()
                .for_each(|(i, c): (usize, &mut [MaybeUninit<u8>])| src(off + i * HOST_CHUNK, c));
            let mut view = d.slice_mut(off..off + n);
            self.stream
                .memcpy_htod(&host[..n], &mut view)
                .map_err(|e| self.driver_err("copy to device", e))?;
            // The staging buffer is refilled next: wait for this chunk's copy first.
            self.synchronize()?;
            off += n;
        }
        Ok(())
    }

    fn download(&self, src: &Buffer, dst: &mut [MaybeUninit<u8>]) -> Result<()> {
        let s = self.slice(src)?;
        let total = dst.len();
        let mut guard = super::lock(&self.staging_down);
        let staging = self.pinned(&mut guard, total, false)?;
        let mut off = 0;
        while off < total {
            let n = (total - off).min(staging.len());
            let view = s.slice(off..off + n);
            let host = staging
                .as_mut_slice()
                .map_err(|e| self.driver_err("pinned staging", e))?;
            self.stream
                .memcpy_dtoh(&view, &mut host[..n])
                .map_err(|e| self.driver_err("copy to host", e))?;
            self.synchronize()?;
            dst[off..off + n]
                .par_chunks_mut(HOST_CHUNK)
                .zip(host[..n].par_chunks(HOST_CHUNK))
                .for_each(|(d, h)| super::write_bytes(d, h));
            off += n;
        }
        Ok(())
    }

    fn creation(&self, dst: &mut Buffer, bytes: usize, op: &CreationOp) -> Result<()> {
        let d = self.slice_mut(dst)?;
        match op {
            CreationOp::Fill { pattern } => self.fill(d, bytes, pattern),
            CreationOp::Ramp {
                dtype,
                len,
                start,
                step,
                last,
            } => self.ramp(d, *dtype, *len as u64, *start, *step, *last),
        }
    }

    fn elementwise(
        &self,
        op: ElementwiseOp,
        dtype: DType,
        inputs: &[&Buffer],
        out: &mut Buffer,
        layout: &Layout,
    ) -> Result<()> {
        let ins: Vec<&CudaSlice<u8>> = inputs
            .iter()
            .map(|b| self.slice(b))
            .collect::<Result<_>>()?;
        let o = self.slice_mut(out)?;
        let name = format!("{}_{}", op.name(), dtype.short_name());
        let f = self
            .module("elementwise")?
            .load_function(&name)
            .map_err(|e| self.driver_err(&name, e))?;
        let mut l = KernelLayout {
            rank: layout.shape.len() as u32,
            contiguous: layout
                .contiguous
                .iter()
                .zip(&layout.strides)
                .enumerate()
                .map(|(k, (&c, s))| {
                    let scalar = s.iter().all(|&x| x == 0);
                    ((c as u32) << k) | ((scalar as u32) << (8 + k))
                })
                .sum(),
            shape: [1; 8],
            stride0: [0; 8],
            stride1: [0; 8],
            stride2: [0; 8],
        };
        for (d, &n) in layout.shape.iter().enumerate() {
            l.shape[d] = n as u64;
            for (k, st) in [&mut l.stride0, &mut l.stride1, &mut l.stride2]
                .into_iter()
                .enumerate()
                .take(ins.len())
            {
                st[d] = layout.strides[k][d] as u64;
            }
        }
        let n = layout.len as u64;
        let mut b = self.stream.launch_builder(&f);
        b.arg(o);
        for i in &ins {
            b.arg(*i);
        }
        b.arg(&n).arg(&l);
        // SAFETY: the kernel reads each input only at offsets inside its shape (the layout
        // comes from the inputs' shapes) and writes n elements of the output buffer.
        unsafe { b.launch(Self::launch_cfg(n)) }
            .map(drop)
            .map_err(|e| self.driver_err(&name, e))
    }

    fn copy_strided(
        &self,
        dtype: DType,
        src: &Buffer,
        dst: &mut Buffer,
        copy: &StridedCopy,
    ) -> Result<()> {
        let s = self.slice(src)?;
        let d = self.slice_mut(dst)?;
        let name = format!("copy_{}", dtype.size());
        let f = self
            .module("shape")?
            .load_function(&name)
            .map_err(|e| self.driver_err(&name, e))?;
        let mut l = CopyLayout {
            rank: copy.shape.len() as u32,
            _pad: 0,
            src_offset: copy.src_offset as u64,
            dst_offset: copy.dst_offset as u64,
            shape: [1; 8],
            src_strides: [0; 8],
            dst_strides: [0; 8],
        };
        for (a, &n) in copy.shape.iter().enumerate() {
            l.shape[a] = n as u64;
            l.src_strides[a] = copy.src_strides[a] as i64;
            l.dst_strides[a] = copy.dst_strides[a] as i64;
        }
        let n = copy.len() as u64;
        let mut b = self.stream.launch_builder(&f);
        b.arg(d).arg(s).arg(&n).arg(&l);
        // SAFETY: the op layer built the copy from the arrays' shapes: every offset it
        // produces lies inside the source and destination buffers.
        unsafe { b.launch(Self::launch_cfg(n)) }
            .map(drop)
            .map_err(|e| self.driver_err(&name, e))
    }

    fn reduce(
        &self,
        op: ReduceOp,
        dtype: DType,
        src: &Buffer,
        dims: [usize; 3],
        out: &mut Buffer,
    ) -> Result<()> {
        let [outer, k0, inner] = dims.map(|x| x as u64);
        let acc = if dtype == DType::F16 {
            DType::F32
        } else {
            dtype
        };
        let arg = op.is_arg();
        let column = inner > 1;
        let per = if column { 8 } else { 2048 };
        let module = self.module("reduce")?;
        let src = self.slice(src)?;
        let out = self.slice_mut(out)?;
        let mut k = k0;
        let mut first = true;
        let (mut vals, mut idx): (Option<CudaSlice<u8>>, Option<CudaSlice<u8>>) = (None, None);
        loop {
            let tiles = k.div_ceil(per);
            let last = tiles == 1;
            let tag = |storage: bool| {
                if storage && dtype == DType::F16 {
                    "s"
                } else {
                    "a"
                }
            };
            let name = format!(
                "reduce_{}_{}_{}{}_{}",
                op.name(),
                dtype.short_name(),
                tag(first),
                tag(last && !arg),
                if column { "column" } else { "tile" }
            );
            let f = module
                .load_function(&name)
                .map_err(|e| self.driver_err(&name, e))?;
            let n_out = outer * tiles * inner;
            let alloc = |bytes: u64| -> Result<CudaSlice<u8>> {
                // SAFETY: scratch written by the kernel before it is read.
                unsafe { self.stream.alloc::<u8>(bytes.max(4) as usize) }
                    .map_err(|e| self.driver_err("reduction scratch", e))
            };
            let mut next_vals = if last && !arg {
                None
            } else {
                Some(alloc(n_out * acc.size() as u64)?)
            };
            let mut next_idx = if arg && !last {
                Some(alloc(n_out * 4)?)
            } else {
                None
            };
            let null = 0u64;
            let mut b = self.stream.launch_builder(&f);
            match &vals {
                Some(v) => b.arg(v),
                None => b.arg(src),
            };
            // Values go to scratch except on the last pass of a value reduction; the arg
            // ops' last pass writes its indices to `out`.
            if arg {
                let Some(v) = next_vals.as_mut() else {
                    unreachable!("arg passes always keep their values in scratch")
                };
                b.arg(v);
                match next_idx.as_mut() {
                    Some(i) => b.arg(i),
                    None => b.arg(&mut *out),
                };
            } else {
                match next_vals.as_mut() {
                    Some(v) => b.arg(v),
                    None => b.arg(&mut *out),
                };
                b.arg(&null);
            }
            match &idx {
                Some(i) => b.arg(i),
                None => b.arg(&null),
            };
            b.arg(&outer).arg(&k).arg(&inner).arg(&tiles);
            let cfg = if column {
                Self::launch_cfg(n_out)
            } else {
                Self::block_grid(outer * tiles, 0)
            };
            // SAFETY: every buffer holds the [outer, k, inner] or [outer, tiles, inner]
            // elements the kernel indexes; null index pointers are checked in the kernel.
            unsafe { b.launch(cfg) }
                .map(drop)
                .map_err(|e| self.driver_err(&name, e))?;
            if last {
                return Ok(());
            }
            vals = next_vals;
            idx = next_idx;
            k = tiles;
            first = false;
        }
    }

    fn scan(
        &self,
        op: ScanOp,
        dtype: DType,
        src: &Buffer,
        dims: [usize; 3],
        out: &mut Buffer,
    ) -> Result<()> {
        let src = self.slice(src)?;
        let out = self.slice_mut(out)?;
        self.scan_slices(op, dtype, src, dims.map(|x| x as u64), out)
    }

    fn matmul(
        &self,
        dtype: DType,
        a: &Buffer,
        b: &Buffer,
        out: &mut Buffer,
        dims: MatmulDims,
    ) -> Result<()> {
        let MatmulDims {
            batch,
            m,
            k,
            n,
            b_shared,
        } = dims;
        let (a, b) = (self.slice(a)?, self.slice(b)?);
        let out = self.slice_mut(out)?;
        let name = format!("matmul_{}", dtype.short_name());
        let module = self.module("matmul")?;
        let f = module
            .load_function(&name)
            .map_err(|e| self.driver_err(&name, e))?;
        let (tiles_m, tiles_n) = (m.div_ceil(64) as u32, n.div_ceil(64) as u32);
        let cfg = Self::block_grid(batch as u64 * tiles_m as u64 * tiles_n as u64, 0);
        let (batch, m, k, n) = (batch as u32, m as u32, k as u32, n as u32);
        let b_stride: u64 = if b_shared { 0 } else { k as u64 * n as u64 };
        let mut l = self.stream.launch_builder(&f);
        l.arg(a).arg(b).arg(&mut *out).arg(&batch);
        l.arg(&m)
            .arg(&k)
            .arg(&n)
            .arg(&tiles_m)
            .arg(&tiles_n)
            .arg(&b_stride);
        // SAFETY: a, b and out hold the batch * m * k, (batch *) k * n and batch * m * n
        // elements the kernel indexes (the op layer checked m, k, n < 2^32).
        unsafe { l.launch(cfg) }
            .map(drop)
            .map_err(|e| self.driver_err(&name, e))
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
        let out = self.slice_mut(out)?;
        let name = format!("{}_{}", dist.name(), dtype.short_name());
        let module = self.module("random")?;
        let f = module
            .load_function(&name)
            .map_err(|e| self.driver_err(&name, e))?;
        let len = len as u64;
        let mut b = self.stream.launch_builder(&f);
        b.arg(&mut *out).arg(&len).arg(&position).arg(&seed);
        // SAFETY: out holds at least len elements of dtype.
        unsafe { b.launch(Self::launch_cfg(len)) }
            .map(drop)
            .map_err(|e| self.driver_err(&name, e))
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
        self.fft_steps(dtype, src, dst, dims, inverse, scale)
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
        self.fft_real_split(dtype, src, dst, dims, inverse, scale)
    }

    fn fractal(&self, job: &FractalJob, values: &mut Buffer, counts: &mut Buffer) -> Result<()> {
        let module = self.module("fractal")?;
        let values = self.slice_mut(values)?;
        let counts = self.slice_mut(counts)?;
        let (name, pixels) = match job {
            FractalJob::Escape {
                dtype,
                width,
                height,
                fused,
                ..
            } => (
                format!(
                    "escape_{}{}",
                    dtype.short_name(),
                    if *fused { "_fused" } else { "" }
                ),
                width * height,
            ),
            FractalJob::Lyapunov { width, height, .. } => {
                ("lyapunov_f32".to_string(), width * height)
            }
        };
        let f = module
            .load_function(&name)
            .map_err(|e| self.driver_err(&name, e))?;
        let mut b = self.stream.launch_builder(&f);
        b.arg(&mut *values).arg(&mut *counts);
        // Arguments live until the launch below.
        let (w, h, u0, u1, u2, seq, f64s, f32s, julia, chunked);
        match job {
            FractalJob::Escape {
                width,
                height,
                x0,
                y1,
                dx,
                dy,
                max_iter,
                julia: jl,
                ..
            } => {
                (w, h, u0) = (*width as u32, *height as u32, *max_iter);
                let (jx, jy) = jl.unwrap_or((0.0, 0.0));
                f64s = [*x0, *y1, *dx, *dy, jx, jy];
                julia = jl.is_some() as i32;
                b.arg(&w).arg(&h).arg(&u0);
                b.arg(&f64s[0]).arg(&f64s[1]).arg(&f64s[2]).arg(&f64s[3]);
                chunked = job.chunked() as i32;
                b.arg(&julia).arg(&f64s[4]).arg(&f64s[5]).arg(&chunked);
            }
            FractalJob::Lyapunov {
                width,
                height,
                a0,
                b1,
                da,
                db,
                seq: sq,
                warmup,
                iters,
            } => {
                (w, h, u0, u1, u2) = (
                    *width as u32,
                    *height as u32,
                    *warmup,
                    *iters,
                    sq.len() as u32,
                );
                seq = sq
                    .iter()
                    .enumerate()
                    .fold(0u64, |acc, (i, &v)| acc | ((v as u64) << i));
                f32s = [*a0 as f32, *b1 as f32, *da as f32, *db as f32];
                b.arg(&w).arg(&h).arg(&u0).arg(&u1).arg(&u2).arg(&seq);
                b.arg(&f32s[0]).arg(&f32s[1]).arg(&f32s[2]).arg(&f32s[3]);
            }
        }
        // SAFETY: values and counts hold one f32 and one u32 per pixel; the arguments match
        // the kernel's parameter list.
        unsafe { b.launch(Self::launch_cfg(pixels as u64)) }
            .map(drop)
            .map_err(|e| self.driver_err(&name, e))
    }

    fn synchronize(&self) -> Result<()> {
        self.waits
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.stream
            .synchronize()
            .map_err(|e| self.driver_err("synchronize", e))
    }

    fn memory_stats(&self) -> MemoryStats {
        self.pool.stats()
    }

    fn host_waits(&self) -> u64 {
        self.waits.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn empty_cache(&self) {
        drop(self.pool.drain());
    }

    fn timer_start(&self) -> Result<bool> {
        let mut t = super::lock(&self.timer);
        if t.is_some() {
            return Err(Error::invalid(
                "Device::profile",
                "a profile is already running on this device (profiles do not nest)",
            ));
        }
        // Timing events (the default flags); cudarc's own default disables timing.
        let flags = Some(cudarc::driver::sys::CUevent_flags::CU_EVENT_DEFAULT);
        let start = self
            .stream
            .record_event(flags)
            .map_err(|e| self.driver_err("recording a timing event", e))?;
        *t = Some(start);
        Ok(true)
    }

    fn timer_stop(&self) -> Result<Option<KernelTime>> {
        let Some(start) = super::lock(&self.timer).take() else {
            return Ok(None);
        };
        let flags = Some(cudarc::driver::sys::CUevent_flags::CU_EVENT_DEFAULT);
        let end = self
            .stream
            .record_event(flags)
            .map_err(|e| self.driver_err("recording a timing event", e))?;
        let ms = start
            .elapsed_ms(&end)
            .map_err(|e| self.driver_err("reading a timing event", e))?;
        // Events time the stream from start to end: kernels and any gaps between them.
        Ok(Some(KernelTime {
            seconds: ms as f64 * 1e-3,
            kernels: None,
        }))
    }

    fn ceiling(&self, job: CeilingJob, src: Option<&Buffer>, dst: &mut Buffer) -> Result<()> {
        let module = self.module("ceiling")?;
        let name = match job {
            CeilingJob::Copy { .. } => "ceiling_copy",
            CeilingJob::Fma { .. } => "ceiling_fma",
        };
        let f = module
            .load_function(name)
            .map_err(|e| self.driver_err(name, e))?;
        let src = src.map(|b| self.slice(b)).transpose()?;
        let dst = self.slice_mut(dst)?;
        let mut b = self.stream.launch_builder(&f);
        b.arg(&mut *dst);
        let (count, rounds, a, bb);
        let n = match job {
            CeilingJob::Copy { words16 } => {
                let src = src.ok_or_else(|| Error::invalid("ceiling copy", "no source"))?;
                count = words16;
                b.arg(src).arg(&count);
                words16
            }
            CeilingJob::Fma { threads, rounds: r } => {
                (count, rounds, a, bb) = (threads, r, 0.999f32, 1e-3f32);
                b.arg(&count).arg(&rounds).arg(&a).arg(&bb);
                threads
            }
        };
        // SAFETY: the arguments match the kernel signatures in cuda/ceiling.cu and the
        // buffers hold `n` words (copy) or `n` floats (fma), checked by Device::ceilings.
        unsafe { b.launch(Self::launch_cfg(n)) }
            .map(drop)
            .map_err(|e| self.driver_err(name, e))
    }
}
