//! The CPU backend: 64-byte-aligned host buffers from a pool, rayon for parallelism with one
//! thread-count knob (STREAMCORE_NUM_THREADS), run-time-dispatched SIMD kernels.

pub(crate) mod creation;
/// Expands `$go!(T)` with the element type `T` of run-time dtype `$d` (one monomorphised
/// kernel per dtype).
macro_rules! with_dtype {
    ($d:expr, $go:ident) => {
        match $d {
            DType::F16 => $go!(half::f16),
            DType::F32 => $go!(f32),
            DType::F64 => $go!(f64),
            DType::I32 => $go!(i32),
            DType::U32 => $go!(u32),
            DType::C32 => $go!(num_complex::Complex<f32>),
            DType::C64 => $go!(num_complex::Complex<f64>),
        }
    };
}

pub(crate) mod elementwise;
pub(crate) mod fft;
#[cfg(target_arch = "x86_64")]
pub(crate) mod fft_avx512;
pub(crate) mod fractal;
pub(crate) mod matmul;
pub(crate) mod random;
pub(crate) mod reduce;
pub(crate) mod scan;
pub(crate) mod shape;
pub mod simd;
pub(crate) mod vmath;

use std::alloc::Layout as AllocLayout;
use std::mem::MaybeUninit;
use std::ptr::NonNull;
use std::sync::Arc;

use rayon::prelude::*;

use super::pool::{Pool, size_class};
use super::{
    Backend, Buffer, CreationOp, Distribution, ElementwiseOp, FractalJob, HostSource, Layout,
    MatmulDims, MemoryStats, ReduceOp, Scale, ScanOp, StridedCopy, as_uninit, foreign_buffer,
    write_bytes,
};
use crate::device::{DeviceInfo, DeviceKind};
use crate::element::DType;
use crate::error::{Error, Result};

/// A destination pointer shared by parallel tasks that each write a disjoint set of its
/// elements (strided copies, column scans, column FFTs).
#[derive(Clone, Copy)]
pub(crate) struct Disjoint<T>(*mut T);
// SAFETY: only handed to tasks whose writes never overlap (each user says why).
unsafe impl<T> Send for Disjoint<T> {}
unsafe impl<T> Sync for Disjoint<T> {}

impl<T> Disjoint<T> {
    pub(crate) fn new(dst: &mut [T]) -> Disjoint<T> {
        Disjoint(dst.as_mut_ptr())
    }

    /// Element `i` (a method, so closures capture the whole Sync wrapper, not the field).
    pub(crate) fn at(&self, i: usize) -> *mut T {
        // SAFETY: callers pass indices inside the destination slice.
        unsafe { self.0.add(i) }
    }

    /// # Safety
    /// `at..at + len` lies in the destination and no other task touches it meanwhile.
    pub(crate) unsafe fn slice<'a>(&self, at: usize, len: usize) -> &'a mut [T] {
        unsafe { std::slice::from_raw_parts_mut(self.0.add(at), len) }
    }
}

/// Host buffers are aligned for any SIMD width and to a cache line.
const ALIGN: usize = 64;
/// Bytes per parallel copy task: one 2 MiB huge page.
const COPY_CHUNK: usize = 2 << 20;
/// Below this many bytes a copy stays on the calling thread.
pub(crate) const PARALLEL_MIN: usize = 1 << 18;
/// The pool keeps at most this many free bytes.
const POOL_KEEP: u64 = 4 << 30;

/// One aligned host allocation of `cap` bytes.
pub(crate) struct HostAlloc {
    ptr: NonNull<u8>,
    cap: usize,
}

// SAFETY: HostAlloc uniquely owns its memory, like a Box<[u8]>.
unsafe impl Send for HostAlloc {}
// SAFETY: shared access only reads (writes need &mut).
unsafe impl Sync for HostAlloc {}

impl HostAlloc {
    fn new(cap: usize) -> Option<Self> {
        let layout = AllocLayout::from_size_align(cap, ALIGN).ok()?;
        // SAFETY: cap >= 256 (a size class), so the layout is not zero-sized.
        let ptr = unsafe { std::alloc::alloc(layout) };
        let ptr = NonNull::new(ptr)?;
        // Fresh pages fault on first touch; 2 MiB pages fault 512 times less often.
        crate::host::advise_huge_pages(ptr.as_ptr(), cap);
        Some(HostAlloc { ptr, cap })
    }
}

impl Drop for HostAlloc {
    fn drop(&mut self) {
        // SAFETY: allocated in `new` with this exact layout.
        unsafe {
            std::alloc::dealloc(
                self.ptr.as_ptr(),
                AllocLayout::from_size_align_unchecked(self.cap, ALIGN),
            )
        }
    }
}

/// A CPU device buffer; returns its allocation to the pool when dropped.
pub(crate) struct CpuBuffer {
    mem: Option<HostAlloc>,
    pool: Arc<Pool<HostAlloc>>,
}

impl CpuBuffer {
    /// The whole allocation, read-only.
    pub(crate) fn bytes(&self) -> &[u8] {
        let m = self.mem.as_ref().expect("allocation present until drop");
        // SAFETY: the allocation is `cap` bytes and lives as long as self. Bytes never written
        // are read only by code that first wrote them (arrays cover what was uploaded).
        unsafe { std::slice::from_raw_parts(m.ptr.as_ptr(), m.cap) }
    }

    /// The whole allocation, writable (only before the buffer is shared).
    pub(crate) fn bytes_mut(&mut self) -> &mut [u8] {
        let m = self.mem.as_mut().expect("allocation present until drop");
        // SAFETY: as above, and &mut self gives exclusive access.
        unsafe { std::slice::from_raw_parts_mut(m.ptr.as_ptr(), m.cap) }
    }
}

impl Drop for CpuBuffer {
    fn drop(&mut self) {
        if let Some(m) = self.mem.take() {
            let cap = m.cap as u64;
            drop(self.pool.put(cap, m));
        }
    }
}

/// The CPU backend of one [`Device`](crate::Device).
pub(crate) struct CpuBackend {
    pool: Arc<Pool<HostAlloc>>,
    /// None only if the OS refused to start the threads; rayon's global pool serves then.
    threads: Option<rayon::ThreadPool>,
    /// rustfft plans by length and direction.
    fft_plans: fft::Plans,
}

impl CpuBackend {
    /// Builds the backend with `threads` workers (0: one per core). Never fails.
    pub(crate) fn with_threads(threads: usize) -> Self {
        let threads = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("streamcore-cpu-{i}"))
            .build()
            .ok();
        CpuBackend {
            pool: Arc::new(Pool::new(POOL_KEEP)),
            threads,
            fft_plans: fft::Plans::new(),
        }
    }

    /// Runs `f` on this device's worker threads.
    pub(crate) fn install<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        match &self.threads {
            Some(t) => t.install(f),
            None => f(),
        }
    }

    fn num_threads(&self) -> usize {
        self.threads
            .as_ref()
            .map_or_else(rayon::current_num_threads, |t| t.current_num_threads())
    }
}

/// Reads STREAMCORE_NUM_THREADS: a positive integer, or unset for every core.
pub(crate) fn thread_count() -> Result<usize> {
    match std::env::var("STREAMCORE_NUM_THREADS") {
        Err(_) => Ok(std::thread::available_parallelism().map_or(1, |n| n.get())),
        Ok(s) => match s.trim().parse::<usize>() {
            Ok(n) if (1..=4096).contains(&n) => Ok(n),
            _ => Err(Error::invalid(
                "STREAMCORE_NUM_THREADS",
                format!("{s:?} is not a thread count; use an integer from 1 to 4096"),
            )),
        },
    }
}

fn cpu(b: &Buffer) -> Result<&CpuBuffer> {
    match b {
        Buffer::Cpu(c) => Ok(c),
        #[allow(unreachable_patterns)]
        other => Err(foreign_buffer("cpu", other)),
    }
}

fn cpu_mut(b: &mut Buffer) -> Result<&mut CpuBuffer> {
    match b {
        Buffer::Cpu(c) => Ok(c),
        #[allow(unreachable_patterns)]
        other => Err(foreign_buffer("cpu", other)),
    }
}

/// Fills `dst` by calls `f(offset, chunk)`: on the calling thread when small (a hop to the
/// pool costs more than the copy), else in parallel chunks that follow the destination's
/// 2 MiB address boundaries, so each huge page of fresh memory is faulted by one thread only.
fn par_chunks(dst: &mut [MaybeUninit<u8>], f: &HostSource<'_>) {
    if dst.len() < PARALLEL_MIN {
        f(0, dst);
        return;
    }
    let head = (dst.as_ptr() as usize).next_multiple_of(COPY_CHUNK) - dst.as_ptr() as usize;
    let (first, rest) = dst.split_at_mut(head.min(dst.len()));
    let head = first.len();
    rayon::join(
        || f(0, first),
        || {
            rest.par_chunks_mut(COPY_CHUNK)
                .enumerate()
                .for_each(|(i, c)| f(head + i * COPY_CHUNK, c))
        },
    );
}

impl CpuBackend {
    /// Runs `f` on the worker threads when the work is large enough to share, else here.
    fn run<R: Send>(&self, bytes: usize, f: impl FnOnce() -> R + Send) -> R {
        self.run_split(bytes, true, f)
    }

    /// [`CpuBackend::run`] for work that `splits` into several tasks only where it says
    /// so: work that makes one task runs here at any size. Handing a task to the workers and
    /// waiting for it costs 15-30 µs on the 2-core CI VM (a sum of 2^16 f32 took 21.7 µs that
    /// way and 7.9 µs here, 2026-11-23).
    fn run_split<R: Send>(&self, bytes: usize, splits: bool, f: impl FnOnce() -> R + Send) -> R {
        if bytes < PARALLEL_MIN || !splits {
            f()
        } else {
            self.install(f)
        }
    }
}

impl Backend for CpuBackend {
    fn info(&self) -> DeviceInfo {
        let isa = simd::isa();
        DeviceInfo {
            selector: "cpu".into(),
            kind: DeviceKind::Cpu,
            index: None,
            name: cpu_name(),
            backend: "cpu".into(),
            device_type: "cpu".into(),
            driver: format!("rayon + {}", isa.describe()),
            software: false,
            usable: true,
            reason: None,
            f16: true,
            f64: true,
            subgroups: false,
            timestamps: false,
            max_buffer_size: isize::MAX as u64,
            max_binding_size: isize::MAX as u64,
            max_workgroup_storage: 0,
            max_workgroup_invocations: 0,
            memory_bytes: host_memory_bytes(),
            threads: Some(self.num_threads()),
            simd: Some(isa.describe()),
            compute_capability: None,
        }
    }

    fn check_dtype(&self, _dtype: DType) -> Result<()> {
        Ok(())
    }

    fn alloc(&self, bytes: usize) -> Result<Buffer> {
        let class = size_class(bytes as u64);
        let oom = |detail: &str| Error::OutOfMemory {
            device: "cpu".into(),
            requested: bytes as u64,
            detail: detail.into(),
        };
        if class > isize::MAX as u64 - ALIGN as u64 {
            return Err(oom("larger than the address space allows"));
        }
        let mem = match self.pool.take(class) {
            Some(m) => m,
            None => {
                let m = HostAlloc::new(class as usize)
                    .or_else(|| {
                        // Give the pool's free memory back to the OS and try once more.
                        drop(self.pool.drain());
                        HostAlloc::new(class as usize)
                    })
                    .ok_or_else(|| oom("the host allocator returned null"))?;
                self.pool.note_alloc(class);
                m
            }
        };
        Ok(Buffer::Cpu(CpuBuffer {
            mem: Some(mem),
            pool: self.pool.clone(),
        }))
    }

    fn upload(&self, dst: &mut Buffer, bytes: usize, src: &HostSource<'_>) -> Result<()> {
        let d = as_uninit(&mut cpu_mut(dst)?.bytes_mut()[..bytes]);
        self.run(bytes, || par_chunks(d, src));
        Ok(())
    }

    fn download(&self, src: &Buffer, dst: &mut [MaybeUninit<u8>]) -> Result<()> {
        let s = &cpu(src)?.bytes()[..dst.len()];
        self.run(s.len(), || {
            par_chunks(dst, &|off, c| write_bytes(c, &s[off..off + c.len()]))
        });
        Ok(())
    }

    fn creation(&self, dst: &mut Buffer, bytes: usize, op: &CreationOp) -> Result<()> {
        let d = &mut cpu_mut(dst)?.bytes_mut()[..bytes];
        self.run(bytes, || match op {
            CreationOp::Fill { pattern } => creation::fill(d, pattern),
            CreationOp::Ramp {
                dtype,
                start,
                step,
                last,
                ..
            } => creation::ramp(d, *dtype, *start, *step, *last),
        });
        Ok(())
    }

    fn elementwise(
        &self,
        op: ElementwiseOp,
        dtype: DType,
        inputs: &[&Buffer],
        out: &mut Buffer,
        layout: &Layout,
    ) -> Result<()> {
        let ins: Vec<&[u8]> = inputs
            .iter()
            .map(|b| cpu(b).map(CpuBuffer::bytes))
            .collect::<Result<_>>()?;
        let bytes = layout.len * op.out_dtype(dtype).size();
        let o = &mut cpu_mut(out)?.bytes_mut()[..bytes];
        let splits = elementwise::splits(op, dtype, layout.len);
        self.run_split(bytes, splits, || {
            elementwise::run(op, dtype, &ins, o, layout)
        });
        Ok(())
    }

    fn copy_strided(
        &self,
        dtype: DType,
        src: &Buffer,
        dst: &mut Buffer,
        copy: &StridedCopy,
    ) -> Result<()> {
        let s = cpu(src)?.bytes();
        let d = cpu_mut(dst)?.bytes_mut();
        let bytes = copy.len() * dtype.size();
        self.run(bytes, || shape::copy(dtype.size(), s, d, copy));
        Ok(())
    }

    fn reduce(
        &self,
        op: ReduceOp,
        dtype: DType,
        src: &Buffer,
        dims: [usize; 3],
        out: &mut Buffer,
    ) -> Result<()> {
        let s = cpu(src)?.bytes();
        let o = cpu_mut(out)?.bytes_mut();
        let bytes = dims.iter().product::<usize>() * dtype.size();
        let splits = reduce::splits(dims);
        self.run_split(bytes, splits, || reduce::run(op, dtype, s, dims, o));
        Ok(())
    }

    fn scan(
        &self,
        op: ScanOp,
        dtype: DType,
        src: &Buffer,
        dims: [usize; 3],
        out: &mut Buffer,
    ) -> Result<()> {
        let s = cpu(src)?.bytes();
        let o = cpu_mut(out)?.bytes_mut();
        let bytes = dims.iter().product::<usize>() * dtype.size();
        self.run(bytes, || scan::run(op, dtype, s, dims, o));
        Ok(())
    }

    fn matmul(
        &self,
        dtype: DType,
        a: &Buffer,
        b: &Buffer,
        out: &mut Buffer,
        dims: MatmulDims,
    ) -> Result<()> {
        let (a, b) = (cpu(a)?.bytes(), cpu(b)?.bytes());
        let o = cpu_mut(out)?.bytes_mut();
        let work = dims.batch * dims.m * dims.n * dims.k * dtype.size();
        self.run(work, || matmul::run(dtype, a, b, o, dims));
        Ok(())
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
        let o = cpu_mut(out)?.bytes_mut();
        // Ten rounds of Philox per element: parallel well below the copy threshold.
        self.run(len * 64, || {
            random::run(dist, dtype, seed, position, o, len)
        });
        Ok(())
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
        let s = cpu(src)?.bytes();
        let d = cpu_mut(dst)?.bytes_mut();
        let bytes = dims.iter().product::<usize>() * dtype.size();
        let plans = &self.fft_plans;
        // One task (one short transform, or a few) stays on the caller's core and its caches
        // (long rows run four-step on the workers).
        let splits = !fft::one_task(dtype, dims);
        self.run_split(bytes, splits, || {
            fft::run(plans, dtype, s, d, dims, inverse, scale)
        });
        Ok(())
    }

    fn fft_any_length(&self) -> bool {
        true
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
        let s = cpu(src)?.bytes();
        let d = cpu_mut(dst)?.bytes_mut();
        let bytes = dims[0] * (dims[1] + 2) * dtype.size() / 2;
        let plans = &self.fft_plans;
        // The inverse of one long row merges its bins into a buffer of its own (from the
        // pool, so that repeated calls reuse its pages).
        let long = fft::long_row(dims[0], dims[1]);
        let mut temp = if long && inverse {
            Some(self.alloc(dims[1] * dtype.size() / 2)?)
        } else {
            None
        };
        let temp = match temp.as_mut() {
            Some(t) => Some(cpu_mut(t)?.bytes_mut()),
            None => None,
        };
        let splits = !fft::real_one_task(dims[0], dims[1], inverse);
        self.run_split(bytes, splits, || {
            fft::real(plans, dtype, s, d, dims, inverse, scale, temp)
        });
        Ok(())
    }

    fn has_fft_real(&self, _n: usize) -> bool {
        true
    }

    fn host_fma_gflops(&self) -> Option<f64> {
        Some(self.install(simd::fma_ceiling_gflops))
    }

    fn fractal(&self, job: &FractalJob, values: &mut Buffer, counts: &mut Buffer) -> Result<()> {
        let v = cpu_mut(values)?.bytes_mut();
        let c = cpu_mut(counts)?.bytes_mut();
        self.install(|| fractal::run(job, v, c));
        Ok(())
    }

    fn synchronize(&self) -> Result<()> {
        // CPU kernels run to completion before they return.
        Ok(())
    }

    fn memory_stats(&self) -> MemoryStats {
        self.pool.stats()
    }

    fn empty_cache(&self) {
        drop(self.pool.drain());
    }
}

fn cpu_name() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|n| n.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string())
}

fn host_memory_bytes() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kb: u64 = s
        .lines()
        .find(|l| l.starts_with("MemTotal:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb * 1024)
}
