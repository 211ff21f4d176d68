//! The backend layer under [`Device`](crate::Device): a trait with one method per op family,
//! implemented by the CPU, wgpu and CUDA backends, and the device buffer they all hand out.

pub(crate) mod cpu;
#[cfg(feature = "cuda")]
pub(crate) mod cuda;
pub(crate) mod pool;
#[cfg(feature = "wgpu")]
pub(crate) mod wgpu;

use std::mem::MaybeUninit;

use crate::device::DeviceInfo;
use crate::element::DType;
use crate::error::{Error, Result};
pub(crate) use crate::fft::plan::{Scale, StockhamPlan};
pub(crate) use crate::fractal::FractalJob;
pub(crate) use crate::ops::matmul::MatmulDims;
pub(crate) use crate::ops::random::Distribution;
pub(crate) use crate::ops::reduce::ReduceOp;
pub(crate) use crate::ops::scan::ScanOp;
pub use pool::MemoryStats;

/// Writes the bytes of the logical (row-major) array that start at byte `offset` into the
/// given slice. Backends call it once per chunk, possibly from several threads, so that a
/// strided host array is gathered straight into device-visible memory. The slice may be
/// write-only mapped GPU memory, hence `MaybeUninit`: it is written, never read.
pub(crate) type HostSource<'a> = dyn Fn(usize, &mut [MaybeUninit<u8>]) + Sync + 'a;

/// Locks a mutex, also when another thread panicked while holding it. streamcore's locks guard
/// caches, pools and staging buffers whose every update is a single insert, pop or replace, so
/// a poisoned lock still guards consistent data; refusing it would turn one panic into many.
pub(crate) fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Copies `src` into the write-only `dst` of the same length (streaming stores when large).
pub(crate) fn write_bytes(dst: &mut [MaybeUninit<u8>], src: &[u8]) {
    cpu::simd::copy_bytes(dst, src)
}

/// Views initialised bytes as write-only bytes.
pub(crate) fn as_uninit(b: &mut [u8]) -> &mut [MaybeUninit<u8>] {
    // SAFETY: MaybeUninit<u8> has the layout of u8, and every u8 is a valid MaybeUninit<u8>.
    unsafe { &mut *(b as *mut [u8] as *mut [MaybeUninit<u8>]) }
}

/// One operation of the `creation` family (src/ops/creation.rs, shaders/creation.wgsl,
/// cuda/creation.cu, backend/cpu/creation.rs).
#[derive(Clone, Debug)]
pub(crate) enum CreationOp {
    /// Repeat one element's bytes (1 to 16 of them) over the whole buffer.
    Fill { pattern: Vec<u8> },
    /// `x[i] = start + i * step`, with `last` replacing the final element when given.
    Ramp {
        dtype: DType,
        len: usize,
        start: f64,
        step: f64,
        last: Option<f64>,
    },
}

/// One operation of the `elementwise` family (src/ops/elementwise.rs, shaders/elementwise.wgsl,
/// cuda/elementwise.cu, backend/cpu/elementwise.rs). The `dtype` passed beside it is the
/// operand dtype `d`; [`ElementwiseOp::out_dtype`] and [`ElementwiseOp::input_dtype`] give
/// the rest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum ElementwiseOp {
    /// `op(x)`: d -> d.
    Unary(crate::ops::elementwise::UnaryOp),
    /// `op(x, y)`: (d, d) -> d.
    Binary(crate::ops::elementwise::BinaryOp),
    /// `x op y` as 0 or 1: (d, d) -> u32.
    Compare(crate::ops::elementwise::CompareOp),
    /// `mask ? x : y`: (u32, d, d) -> d.
    Where,
    /// `x * y + z`, fused for floats: (d, d, d) -> d.
    Fma,
    /// `min(max(x, lo), hi)`, NaN-propagating: (d, d, d) -> d.
    Clip,
    /// Conversion to another dtype: d -> target.
    Cast(DType),
    /// A real quantity of a complex number: c -> its real type.
    Part(crate::ops::elementwise::ComplexPart),
}

impl ElementwiseOp {
    /// The output dtype when the operands are `d`.
    pub(crate) fn out_dtype(self, d: DType) -> DType {
        match self {
            ElementwiseOp::Compare(_) => DType::U32,
            ElementwiseOp::Cast(t) => t,
            ElementwiseOp::Part(_) => d.real(),
            _ => d,
        }
    }

    /// The dtype of input `k` when the operands are `d`.
    #[cfg_attr(not(feature = "wgpu"), allow(dead_code))]
    pub(crate) fn input_dtype(self, d: DType, k: usize) -> DType {
        match (self, k) {
            (ElementwiseOp::Where, 0) => DType::U32,
            _ => d,
        }
    }

    /// The kernel name stem (`add`, `lt`, `where`, `cast_i32`, ...).
    #[cfg_attr(not(any(feature = "wgpu", feature = "cuda")), allow(dead_code))]
    pub(crate) fn name(self) -> String {
        match self {
            ElementwiseOp::Unary(u) => u.name().into(),
            ElementwiseOp::Binary(b) => b.name().into(),
            ElementwiseOp::Compare(c) => c.name().into(),
            ElementwiseOp::Where => "where".into(),
            ElementwiseOp::Fma => "fma".into(),
            ElementwiseOp::Clip => "clip".into(),
            ElementwiseOp::Cast(t) => format!("cast_{}", t.short_name()),
            ElementwiseOp::Part(p) => p.name().into(),
        }
    }
}

/// How an elementwise call indexes its operands: output element `g` (row-major over `shape`)
/// reads input `k` at `sum(index_d(g) * strides[k][d])`. Adjacent axes are already merged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Layout {
    pub(crate) shape: Vec<usize>,
    pub(crate) strides: Vec<Vec<usize>>,
    /// Input `k` has the output's shape, so it is read at `g` itself.
    pub(crate) contiguous: Vec<bool>,
    /// Output element count.
    pub(crate) len: usize,
}

/// A strided copy (the `shape` family): for every index `i` over `shape`,
/// `dst[dst_offset + sum(i_d * dst_strides_d)] = src[src_offset + sum(i_d * src_strides_d)]`.
/// Offsets and strides count elements; strides may be negative or 0.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct StridedCopy {
    pub(crate) shape: Vec<usize>,
    pub(crate) src_offset: usize,
    pub(crate) src_strides: Vec<isize>,
    pub(crate) dst_offset: usize,
    pub(crate) dst_strides: Vec<isize>,
}

impl StridedCopy {
    /// Element count.
    pub(crate) fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// The same copy with length-1 axes dropped and adjacent axes merged where both index
    /// maps allow it (a plain contiguous copy becomes rank 1).
    pub(crate) fn merged(&self) -> StridedCopy {
        let mut c = StridedCopy {
            shape: Vec::new(),
            src_offset: self.src_offset,
            src_strides: Vec::new(),
            dst_offset: self.dst_offset,
            dst_strides: Vec::new(),
        };
        for d in 0..self.shape.len() {
            let (n, s, t) = (self.shape[d], self.src_strides[d], self.dst_strides[d]);
            if n == 1 {
                continue;
            }
            match (
                c.shape.last_mut(),
                c.src_strides.last(),
                c.dst_strides.last(),
            ) {
                (Some(m), Some(&ps), Some(&pt)) if ps == s * n as isize && pt == t * n as isize => {
                    *m *= n;
                    *c.src_strides.last_mut().expect("same length") = s;
                    *c.dst_strides.last_mut().expect("same length") = t;
                }
                _ => {
                    c.shape.push(n);
                    c.src_strides.push(s);
                    c.dst_strides.push(t);
                }
            }
        }
        c
    }

    /// The source and destination offsets of element `g` (row-major over `shape`).
    pub(crate) fn offsets(&self, g: usize) -> (usize, usize) {
        let (mut rem, mut s, mut t) = (g, self.src_offset as isize, self.dst_offset as isize);
        for d in (0..self.shape.len()).rev() {
            let i = (rem % self.shape[d]) as isize;
            rem /= self.shape[d];
            s += i * self.src_strides[d];
            t += i * self.dst_strides[d];
        }
        (s as usize, t as usize)
    }
}

/// What every backend implements. Buffers are created uninitialised by `alloc` and written
/// once by `upload` or `creation` before an [`Array`](crate::Array) shares them.
pub(crate) trait Backend: Send + Sync {
    /// Capabilities as listed by `streamcore info`.
    fn info(&self) -> DeviceInfo;
    /// `Ok` when kernels can compute on `dtype` here, else [`Error::DtypeUnsupported`].
    fn check_dtype(&self, dtype: DType) -> Result<()>;
    /// An uninitialised buffer of at least `bytes` bytes (from the pool when possible).
    fn alloc(&self, bytes: usize) -> Result<Buffer>;
    /// Fills the first `bytes` bytes of `dst` from the host.
    fn upload(&self, dst: &mut Buffer, bytes: usize, src: &HostSource<'_>) -> Result<()>;
    /// Reads the first `dst.len()` bytes of `src` into `dst`, writing every byte of it;
    /// waits for queued work on `src`. `dst` may be uninitialised memory.
    fn download(&self, src: &Buffer, dst: &mut [MaybeUninit<u8>]) -> Result<()>;
    /// Runs one `creation` op over `dst` (queued; does not wait).
    fn creation(&self, dst: &mut Buffer, bytes: usize, op: &CreationOp) -> Result<()>;
    /// Runs an elementwise op of `dtype` over `inputs` into `out` (`layout.len` elements).
    fn elementwise(
        &self,
        op: ElementwiseOp,
        dtype: DType,
        inputs: &[&Buffer],
        out: &mut Buffer,
        layout: &Layout,
    ) -> Result<()>;
    /// Runs a strided copy of `dtype` elements from `src` into `dst` (queued).
    fn copy_strided(
        &self,
        dtype: DType,
        src: &Buffer,
        dst: &mut Buffer,
        copy: &StridedCopy,
    ) -> Result<()>;
    /// Reduces the middle axis of `src`, viewed as `[outer, k, inner]` elements of `dtype`,
    /// into `out` (`[outer, inner]`; u32 indices along k for the arg ops). `k >= 1`.
    fn reduce(
        &self,
        op: ReduceOp,
        dtype: DType,
        src: &Buffer,
        dims: [usize; 3],
        out: &mut Buffer,
    ) -> Result<()>;
    /// Scans the middle axis of `src`, viewed as `[outer, k, inner]` elements of `dtype`,
    /// into `out` of the same shape (inclusive: `out[.., j, ..]` combines positions `0..=j`).
    fn scan(
        &self,
        op: ScanOp,
        dtype: DType,
        src: &Buffer,
        dims: [usize; 3],
        out: &mut Buffer,
    ) -> Result<()>;
    /// Multiplies `dims.batch` row-major `[m, k]` matrices of `a` by `[k, n]` matrices of `b`
    /// (one shared matrix when `dims.b_shared`) into `out` (`[batch, m, n]`). `k >= 1`.
    fn matmul(
        &self,
        dtype: DType,
        a: &Buffer,
        b: &Buffer,
        out: &mut Buffer,
        dims: MatmulDims,
    ) -> Result<()>;
    /// Fills the first `len` elements of `out` (of `dtype`) with `dist` drawn from the Philox
    /// stream of `seed`: element `i` from the block at counter `position + i`.
    fn random(
        &self,
        dist: Distribution,
        dtype: DType,
        seed: u64,
        position: u64,
        out: &mut Buffer,
        len: usize,
    ) -> Result<()>;
    /// Complex transforms of length n along the middle axis of `src`, viewed as
    /// `[outer, n, inner]` elements of `dtype` (C32 or C64), into `dst`; the result is
    /// multiplied by `scale`. Backends that return false from `fft_any_length` get only
    /// lengths whose `StockhamPlan` is `direct` (the op layer runs Bluestein for the others).
    fn fft(
        &self,
        dtype: DType,
        src: &Buffer,
        dst: &mut Buffer,
        dims: [usize; 3],
        inverse: bool,
        scale: Scale,
    ) -> Result<()>;
    /// True when `fft` takes every length (the CPU's rustfft does).
    fn fft_any_length(&self) -> bool {
        false
    }
    /// True when the backend runs real transforms of even length `n` itself (`fft_real`).
    fn has_fft_real(&self, _n: usize) -> bool {
        false
    }
    /// Real transforms of even length n along the last axis of `[rows, n]` (only called when
    /// `has_fft_real`): forward, n reals of the real type of `dtype` (C32 or C64) to
    /// `n/2 + 1` complex bins per row; inverse, `n/2 + 1` bins (the imaginary parts of the
    /// first and last ignored) to n reals. Scaled by `scale`.
    fn fft_real(
        &self,
        dtype: DType,
        _src: &Buffer,
        _dst: &mut Buffer,
        _dims: [usize; 2],
        _inverse: bool,
        _scale: Scale,
    ) -> Result<()> {
        Err(Error::invalid(
            "fft_real",
            format!("{dtype}: this backend has no real transforms (a streamcore bug)"),
        ))
    }
    /// Renders a fractal into `values` (f32 per pixel) and `counts` (u32 iterations).
    fn fractal(&self, job: &FractalJob, values: &mut Buffer, counts: &mut Buffer) -> Result<()>;
    /// A new buffer holding a copy of `bytes` (tables and parameters from the host).
    #[cfg_attr(not(any(feature = "wgpu", feature = "cuda")), allow(dead_code))]
    fn upload_new(&self, bytes: &[u8]) -> Result<Buffer> {
        let mut buf = self.alloc(bytes.len())?;
        self.upload(&mut buf, bytes.len(), &|offset, chunk| {
            write_bytes(chunk, &bytes[offset..offset + chunk.len()])
        })?;
        Ok(buf)
    }
    /// Waits until every queued operation has finished.
    fn synchronize(&self) -> Result<()>;
    /// The buffer pool's accounting.
    fn memory_stats(&self) -> MemoryStats;
    /// How many times the host has blocked waiting for this device (0 for the CPU, whose
    /// kernels finish before they return).
    fn host_waits(&self) -> u64 {
        0
    }
    /// Frees every buffer the pool keeps for reuse.
    fn empty_cache(&self);
    /// Starts timing kernels on the device's own clock (wgpu timestamp queries, CUDA
    /// events). False where the device has no such clock; then `timer_stop` gives `None`.
    fn timer_start(&self) -> Result<bool> {
        Ok(false)
    }
    /// Stops the timer: device seconds spent in kernels since `timer_start` and how many
    /// kernels that covers where the device counts them. Waits for queued work.
    fn timer_stop(&self) -> Result<Option<KernelTime>> {
        Ok(None)
    }
    /// The f32 FMA rate in GFLOP/s of the threads this backend's kernels run on (the CPU
    /// backend: its own pool, not rayon's global one); `None` for GPUs.
    fn host_fma_gflops(&self) -> Option<f64> {
        None
    }
    /// Runs a kernel that measures the device's own limits (`Device::ceilings`). Backends
    /// whose ceilings are measured on the host (the CPU) do not implement it.
    fn ceiling(&self, job: CeilingJob, src: Option<&Buffer>, dst: &mut Buffer) -> Result<()> {
        let _ = (job, src, dst);
        Err(Error::invalid(
            "ceiling kernel",
            "this backend measures its ceilings on the host",
        ))
    }
}

/// Device time of the kernels between `timer_start` and `timer_stop`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct KernelTime {
    /// Seconds, summed over the kernels timed.
    pub(crate) seconds: f64,
    /// How many kernels were timed, where the device counts them (wgpu passes).
    pub(crate) kernels: Option<u64>,
}

/// The kernels behind `Device::ceilings`.
#[derive(Clone, Copy, Debug)]
#[cfg_attr(not(any(feature = "wgpu", feature = "cuda")), allow(dead_code))]
pub(crate) enum CeilingJob {
    /// `dst[i] = src[i]` over `words16` 16-byte words: the device's copy bandwidth.
    Copy { words16: u64 },
    /// `threads` threads each run 8 independent chains of `rounds` (a multiple of 4) f32
    /// fused multiply-adds and store one f32: the device's FMA rate (16 flops per thread and
    /// round).
    Fma { threads: u64, rounds: u32 },
}

/// A GPU backend's copies of FFT plan tables (twiddles, roots, scales), by length and dtype,
/// uploaded on first use and kept.
#[cfg_attr(not(any(feature = "wgpu", feature = "cuda")), allow(dead_code))]
#[derive(Default)]
pub(crate) struct FftTables {
    plans: TableMap,
    roots: TableMap,
    real: TableMap,
}

type TableMap = std::sync::Mutex<std::collections::HashMap<(usize, DType), std::sync::Arc<Buffer>>>;

#[cfg_attr(not(any(feature = "wgpu", feature = "cuda")), allow(dead_code))]
impl FftTables {
    /// The table of `plan` as complex `d` on `backend`.
    pub(crate) fn get(
        &self,
        backend: &dyn Backend,
        d: DType,
        plan: &StockhamPlan,
    ) -> Result<std::sync::Arc<Buffer>> {
        Self::cached(&self.plans, backend, (plan.n, d), || plan.table_bytes(d))
    }

    /// The two-level root table of length `n` (`fft::plan::root_table`) as complex `d`.
    pub(crate) fn roots(
        &self,
        backend: &dyn Backend,
        d: DType,
        n: usize,
    ) -> Result<std::sync::Arc<Buffer>> {
        Self::cached(&self.roots, backend, (n, d), || {
            crate::fft::plan::complex_bytes(&crate::fft::plan::root_table(n), d)
        })
    }

    /// The real transforms' table of length `n` (`fft::plan::real_table`) as complex `d`.
    pub(crate) fn real(
        &self,
        backend: &dyn Backend,
        d: DType,
        n: usize,
    ) -> Result<std::sync::Arc<Buffer>> {
        Self::cached(&self.real, backend, (n, d), || {
            crate::fft::plan::complex_bytes(&crate::fft::plan::real_table(n), d)
        })
    }

    fn cached(
        map: &TableMap,
        backend: &dyn Backend,
        key: (usize, DType),
        bytes: impl FnOnce() -> Vec<u8>,
    ) -> Result<std::sync::Arc<Buffer>> {
        if let Some(t) = lock(map).get(&key) {
            return Ok(t.clone());
        }
        let buf = std::sync::Arc::new(backend.upload_new(&bytes())?);
        lock(map).insert(key, buf.clone());
        Ok(buf)
    }
}

/// A device allocation; dropping it returns it to its device's pool.
pub(crate) enum Buffer {
    Cpu(cpu::CpuBuffer),
    #[cfg(feature = "wgpu")]
    Wgpu(wgpu::WgpuBuffer),
    #[cfg(feature = "cuda")]
    Cuda(cuda::CudaBuffer),
}

impl Buffer {
    fn backend_name(&self) -> &'static str {
        match self {
            Buffer::Cpu(_) => "cpu",
            #[cfg(feature = "wgpu")]
            Buffer::Wgpu(_) => "wgpu",
            #[cfg(feature = "cuda")]
            Buffer::Cuda(_) => "cuda",
        }
    }
}

/// The error for a buffer handed to a backend that did not create it. The public API checks
/// devices first, so reaching this is a bug in streamcore, reported as an error, not a panic.
pub(crate) fn foreign_buffer(expected: &'static str, b: &Buffer) -> Error {
    Error::DeviceMismatch {
        op: "buffer access",
        detail: format!(
            "a {} buffer was given to the {expected} backend",
            b.backend_name()
        ),
    }
}
