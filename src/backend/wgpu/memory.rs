//! wgpu memory: pooled storage buffers, and reused staging buffers for uploads (kept mapped
//! for writing between uses) and downloads, in bounded chunks for arrays of any size.

use std::mem::MaybeUninit;
use std::sync::{Arc, Mutex};

use rayon::prelude::*;

use super::batch::STAGE_MAX;
use super::{WgpuBackend, lock};
use crate::backend::cpu::PARALLEL_MIN;
use crate::backend::pool::{MemoryStats, Pool, size_class};
use crate::backend::{HostSource, write_bytes};
use crate::error::{Error, Result};

/// Largest staging buffer; bigger transfers go in chunks of this size.
const STAGING_CHUNK: u64 = 64 << 20;
/// Host-side gather/copy granularity for rayon (a multiple of every element size).
const HOST_CHUNK: usize = 1 << 20;
/// Uploads up to this size go through the queue's staging (see `upload_small`).
const SMALL_UPLOAD: u64 = 1 << 20;
/// Staging bytes kept for reuse, each direction.
const STAGING_KEEP: u64 = 256 << 20;

const STORAGE_USAGE: wgpu::BufferUsages = wgpu::BufferUsages::STORAGE
    .union(wgpu::BufferUsages::COPY_SRC)
    .union(wgpu::BufferUsages::COPY_DST);

/// A device-local storage buffer; returns to the pool when dropped.
pub(crate) struct WgpuBuffer {
    pub(crate) raw: wgpu::Buffer,
    /// The buffer's size (its pool class).
    pub(crate) capacity: u64,
    pub(crate) device_id: u64,
    pool: Arc<Pool<wgpu::Buffer>>,
}

impl Drop for WgpuBuffer {
    fn drop(&mut self) {
        // A buffer the pool does not keep is released, not destroyed: work still pending
        // may use it, and wgpu frees it once nothing does.
        drop(self.pool.put(self.capacity, self.raw.clone()));
    }
}

/// Upload staging buffers that are mapped for writing and ready; filled by map callbacks.
type Ready = Arc<Mutex<Vec<(u64, wgpu::Buffer)>>>;

pub(crate) struct Memory {
    pool: Arc<Pool<wgpu::Buffer>>,
    upload_ready: Ready,
    download: Pool<wgpu::Buffer>,
    max_buffer: u64,
}

/// wgpu's write-only view of mapped memory as bytes to fill. Sound because the bytes are only
/// written, never read (the rule `WriteOnly` exists for: mapped memory may be write-combined),
/// and `MaybeUninit` makes no claim that they hold anything yet.
pub(crate) fn write_only(mut view: wgpu::WriteOnly<'_, [u8]>) -> &mut [MaybeUninit<u8>] {
    let len = view.len();
    let ptr = view.as_raw_element_ptr();
    // SAFETY: the view covers `len` bytes, exclusively borrowed for the returned lifetime.
    unsafe { std::slice::from_raw_parts_mut(ptr.as_ptr().cast::<MaybeUninit<u8>>(), len) }
}

fn map_failed(be: &WgpuBackend, e: impl std::fmt::Display) -> Error {
    Error::Backend {
        device: be.label.clone(),
        detail: format!("a staging buffer could not be mapped: {e}"),
    }
}

fn round4(n: u64) -> u64 {
    n.div_ceil(wgpu::COPY_BUFFER_ALIGNMENT) * wgpu::COPY_BUFFER_ALIGNMENT
}

impl Memory {
    pub(crate) fn new(limits: &wgpu::Limits) -> Self {
        Memory {
            // Keep up to the largest buffer size, between 2 and 8 GiB, pooled: a driver
            // allocation of a large buffer costs milliseconds (on the H100 with 1 GiB kept, a
            // two-step FFT of 128 MiB arrays allocated its scratch and output on every call
            // and spent about 13 ms of host time per call doing so).
            pool: Arc::new(Pool::new(limits.max_buffer_size.clamp(2 << 30, 8 << 30))),
            upload_ready: Arc::default(),
            download: Pool::new(STAGING_KEEP),
            max_buffer: limits.max_buffer_size,
        }
    }

    /// The class a request is pooled under, clamped to the device's largest buffer.
    fn class(&self, bytes: u64) -> u64 {
        let c = size_class(bytes);
        if c > self.max_buffer {
            round4(bytes).max(256)
        } else {
            c
        }
    }

    fn create(
        &self,
        be: &WgpuBackend,
        size: u64,
        usage: wgpu::BufferUsages,
        mapped: bool,
    ) -> Result<wgpu::Buffer> {
        let scope = be.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let inner = be.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let buf = be.device.create_buffer(&wgpu::BufferDescriptor {
            label: None,
            size,
            usage,
            mapped_at_creation: mapped,
        });
        let validation = pollster::block_on(inner.pop());
        let oom = pollster::block_on(scope.pop());
        match oom.or(validation) {
            Some(e) => Err(be.scope_error(e, size)),
            None => Ok(buf),
        }
    }

    pub(crate) fn alloc(&self, be: &WgpuBackend, bytes: u64) -> Result<WgpuBuffer> {
        if bytes > self.max_buffer {
            return Err(Error::SizeOverLimit {
                what: "buffer",
                requested: bytes,
                limit: self.max_buffer,
                device: be.label.clone(),
            });
        }
        let class = self.class(bytes);
        let raw = match self.pool.take(class) {
            Some(b) => b,
            None => {
                let b = self.create(be, class, STORAGE_USAGE, false).or_else(|e| {
                    // Out of memory: free what the pool keeps and try once more.
                    if !matches!(e, Error::OutOfMemory { .. }) {
                        return Err(e);
                    }
                    self.empty(be);
                    self.create(be, class, STORAGE_USAGE, false)
                })?;
                self.pool.note_alloc(class);
                b
            }
        };
        Ok(WgpuBuffer {
            raw,
            capacity: class,
            device_id: be.id,
            pool: self.pool.clone(),
        })
    }

    /// A mapped upload staging buffer of this class: a ready one, or a new one.
    fn upload_staging(&self, be: &WgpuBackend, class: u64) -> Result<wgpu::Buffer> {
        // Let finished re-maps run their callbacks so their buffers become ready.
        let _ = be.device.poll(wgpu::PollType::Poll);
        {
            let mut ready = lock(&self.upload_ready);
            if let Some(i) = ready.iter().position(|(c, _)| *c == class) {
                return Ok(ready.swap_remove(i).1);
            }
        }
        let usage = wgpu::BufferUsages::MAP_WRITE | wgpu::BufferUsages::COPY_SRC;
        self.create(be, class, usage, true)
    }

    /// Writes `bytes` bytes from `src` into `dst` through reused, persistently re-mapped
    /// staging buffers; the gather into mapped memory runs on all cores.
    pub(crate) fn upload(
        &self,
        be: &WgpuBackend,
        dst: &WgpuBuffer,
        bytes: u64,
        src: &HostSource<'_>,
    ) -> Result<()> {
        be.check_health()?;
        if bytes <= SMALL_UPLOAD {
            return self.upload_small(be, dst, bytes, src);
        }
        let mut off = 0u64;
        while off < bytes {
            let n = (bytes - off).min(STAGING_CHUNK);
            let n4 = round4(n);
            let class = size_class(n4);
            let staging = self.upload_staging(be, class)?;
            {
                let mut view = staging
                    .slice(..n4)
                    .get_mapped_range_mut()
                    .map_err(|e| map_failed(be, e))?;
                let base = off as usize;
                write_only(view.slice(..n as usize))
                    .par_chunks_mut(HOST_CHUNK)
                    .enumerate()
                    .for_each(|(i, c)| src(base + i * HOST_CHUNK, c));
            }
            staging.unmap();
            // After the pending work, which may still use `dst`; submitted at once, since
            // the staging buffer is mapped again below.
            let mut rec = be.record();
            rec.encoder()
                .copy_buffer_to_buffer(&staging, 0, &dst.raw, off, n4);
            rec.finish(n4);
            be.flush();
            // Map it again in the background; the callback returns it to the ready list.
            let ready = self.upload_ready.clone();
            let keep = staging.clone();
            staging.slice(..).map_async(wgpu::MapMode::Write, move |r| {
                let mut g = lock(&ready);
                let held: u64 = g.iter().map(|(c, _)| c).sum();
                if r.is_ok() && held + class <= STAGING_KEEP {
                    g.push((class, keep));
                }
            });
            off += n;
        }
        be.check_health()
    }

    /// A small upload through the queue's own staging: no submission of its own, the copy
    /// rides on the next one (which comes before any use of the buffer), saving a round trip.
    fn upload_small(
        &self,
        be: &WgpuBackend,
        dst: &WgpuBuffer,
        bytes: u64,
        src: &HostSource<'_>,
    ) -> Result<()> {
        let Some(size) = wgpu::BufferSize::new(round4(bytes)) else {
            return Ok(()); // nothing to write
        };
        if bytes <= STAGE_MAX {
            // Staged with the pending batch and copied in order with its commands.
            let mut rec = be.record();
            let (staging, at) = rec.stage(bytes as usize, |d| src(0, d));
            rec.encoder()
                .copy_buffer_to_buffer(&staging, at, &dst.raw, 0, size.get());
            rec.finish(bytes);
            return be.check_health();
        }
        // The queue's writes land before anything still pending: submit that first, since it
        // may use `dst` (a pooled buffer can be reused while work on it is queued).
        be.flush();
        let scope = be.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let view = be.queue.write_buffer_with(&dst.raw, 0, size);
        let error = pollster::block_on(scope.pop());
        let mut view = match (view, error) {
            (Some(v), None) => v,
            (_, e) => {
                return Err(Error::Backend {
                    device: be.label.clone(),
                    detail: format!("staging a {bytes}-byte upload failed: {e:?}"),
                });
            }
        };
        src(0, write_only(view.slice(..bytes as usize)));
        drop(view);
        be.check_health()
    }

    /// Reads `dst.len()` bytes of `src` through reused staging buffers, chunk by chunk.
    pub(crate) fn download(
        &self,
        be: &WgpuBackend,
        src: &WgpuBuffer,
        dst: &mut [MaybeUninit<u8>],
    ) -> Result<()> {
        be.check_health()?;
        let total = dst.len() as u64;
        let mut off = 0u64;
        while off < total {
            let n = (total - off).min(STAGING_CHUNK);
            let n4 = round4(n);
            let class = size_class(n4);
            let staging = match self.download.take(class) {
                Some(b) => b,
                None => {
                    let usage = wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST;
                    let b = self.create(be, class, usage, false)?;
                    self.download.note_alloc(class);
                    b
                }
            };
            let mut rec = be.record();
            rec.encoder()
                .copy_buffer_to_buffer(&src.raw, off, &staging, 0, n4);
            rec.finish(n4);
            let index = be.flush();
            let (tx, rx) = std::sync::mpsc::channel();
            staging
                .slice(..n4)
                .map_async(wgpu::MapMode::Read, move |r| drop(tx.send(r)));
            be.wait(index)?;
            let mapped = rx.recv().map_err(|_| Error::DeviceLost {
                device: be.label.clone(),
                reason: "a download's map callback never ran".into(),
            })?;
            mapped.map_err(|e| Error::Backend {
                device: be.label.clone(),
                detail: format!("mapping a download buffer failed: {e}"),
            })?;
            {
                let view = staging
                    .slice(..n4)
                    .get_mapped_range()
                    .map_err(|e| map_failed(be, e))?;
                let s = &view[..n as usize];
                let d = &mut dst[off as usize..(off + n) as usize];
                if d.len() < PARALLEL_MIN {
                    // Small: waking worker threads would cost more, and their spinning takes
                    // cores from a software adapter's own threads.
                    write_bytes(d, s);
                } else {
                    d.par_chunks_mut(HOST_CHUNK)
                        .zip(s.par_chunks(HOST_CHUNK))
                        .for_each(|(d, s)| write_bytes(d, s));
                }
            }
            staging.unmap();
            if let Some(b) = self.download.put(class, staging) {
                b.destroy();
            }
            off += n;
        }
        Ok(())
    }

    pub(crate) fn stats(&self) -> MemoryStats {
        self.pool.stats()
    }

    pub(crate) fn empty(&self, be: &WgpuBackend) {
        // Pooled buffers may still be used by pending work, which must be submitted before
        // they are destroyed (wgpu then frees each once its last submission is done).
        be.flush();
        for b in self.pool.drain() {
            b.destroy();
        }
        for b in self.download.drain() {
            b.destroy();
        }
        for (_, b) in lock(&self.upload_ready).drain(..) {
            b.destroy();
        }
    }
}
