//! Batched submission: kernels, clears and copies are recorded into one pending command
//! encoder, with their uniform blocks packed into one buffer, and submitted together.
//!
//! A `queue.submit` costs tens of microseconds of host time on every driver (thread wake-ups,
//! fences, wgpu-core's bookkeeping), more than a small kernel itself. So ops accumulate here
//! and go to the queue at a host read, a `synchronize`, a large upload, or once a batch holds
//! `MAX_OPS` ops or `MAX_BYTES` of traffic, whichever comes first, so that long chains keep
//! the device busy.
//!
//! The parameter blocks reach the device through staging buffers of our own, kept mapped
//! between batches and copied by a command buffer submitted just before the batch's own.
//! With `queue.write_buffer` (a transient staging buffer of wgpu's per batch), the write took
//! about 2 ms of host time and the next wait 2 ms more on the H100's Vulkan driver in batches
//! that used 128 MiB arrays: an FFT with 0.27 ms of kernel time took 5 ms of wall time. What
//! inside wgpu or the driver costs that was not found (no profiler there); this path avoids it
//! (0.41 ms of wall time for that FFT).
//!
//! Ordering rules the rest of the backend keeps:
//! - `queue.write_buffer` lands at the start of the next submission, before anything still
//!   pending: a write into a buffer that pending work may touch must `flush` first.
//! - A buffer used by pending work must not be destroyed or mapped before a `flush`.

use std::sync::{Arc, Mutex};

use super::memory::write_only;
use super::{WgpuBackend, lock};

/// Mapped staging buffers of `SLOT * SLOTS` bytes for the parameter blocks, ready for reuse;
/// filled by the callbacks that map them again after their batch.
pub(crate) type ParamStages = Arc<Mutex<Vec<wgpu::Buffer>>>;
/// Staging buffers kept for reuse; more in flight are dropped when they come back.
const STAGES_KEEP: usize = 8;

/// Ops per batch before it is submitted.
const MAX_OPS: u32 = 64;
/// Bytes of kernel traffic per batch before it is submitted, so big ops start promptly.
const MAX_BYTES: u64 = 64 << 20;
/// Size of one uniform block's slot in the batch's parameter buffer. 256 bytes meets every
/// adapter's `min_uniform_buffer_offset_alignment`.
pub(crate) const SLOT: u64 = 256;
/// Uniform slots per batch.
const SLOTS: u64 = 256;
/// The largest host upload staged in the batch's parameter buffer and copied from there in
/// order with the batch's commands; bigger ones submit the batch and use the queue's writes.
pub(crate) const STAGE_MAX: u64 = 4096;

/// Work recorded but not yet submitted.
#[derive(Default)]
pub(crate) struct Pending {
    encoder: Option<wgpu::CommandEncoder>,
    /// The batch's uniform buffer (`SLOTS` slots) and the host copy of the slots used.
    params: Option<wgpu::Buffer>,
    staged: Vec<u8>,
    ops: u32,
    bytes: u64,
}

/// The pending batch, locked for recording one op.
pub(crate) struct Recorder<'a> {
    be: &'a WgpuBackend,
    pending: std::sync::MutexGuard<'a, Pending>,
}

impl Recorder<'_> {
    /// The encoder to record into.
    pub(crate) fn encoder(&mut self) -> &mut wgpu::CommandEncoder {
        let be = self.be;
        self.pending
            .encoder
            .get_or_insert_with(|| be.device.create_command_encoder(&Default::default()))
    }

    /// Stages a uniform block (at most `SLOT` bytes) for the batch and returns its binding.
    pub(crate) fn uniform(&mut self, block: &[u8]) -> (wgpu::Buffer, u64) {
        debug_assert!(block.len() as u64 <= SLOT);
        self.stage(block.len(), |dst| {
            for (d, s) in dst.iter_mut().zip(block) {
                d.write(*s);
            }
        })
    }

    /// Reserves whole slots of the batch's parameter buffer for `len` bytes (at most
    /// `STAGE_MAX`), lets `fill` write them, and returns the buffer and the offset. The bytes
    /// reach the device at the start of the batch's submission, before any of its commands.
    /// A full parameter buffer submits the batch so far and starts a new one.
    pub(crate) fn stage(
        &mut self,
        len: usize,
        fill: impl FnOnce(&mut [std::mem::MaybeUninit<u8>]),
    ) -> (wgpu::Buffer, u64) {
        debug_assert!(len as u64 <= STAGE_MAX);
        let slots = (len as u64).div_ceil(SLOT).max(1);
        if self.pending.staged.len() as u64 + slots * SLOT > SLOT * SLOTS {
            self.be.submit_pending(&mut self.pending);
        }
        let be = self.be;
        let p = &mut *self.pending;
        let buffer = p
            .params
            .get_or_insert_with(|| {
                be.device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("streamcore params"),
                    size: SLOT * SLOTS,
                    usage: wgpu::BufferUsages::UNIFORM
                        | wgpu::BufferUsages::COPY_SRC
                        | wgpu::BufferUsages::COPY_DST,
                    mapped_at_creation: false,
                })
            })
            .clone();
        let offset = p.staged.len();
        p.staged.resize(offset + (slots * SLOT) as usize, 0);
        let dst = &mut p.staged[offset..offset + len];
        // SAFETY: `MaybeUninit<u8>` has the layout of `u8`; the bytes start initialised (zeros)
        // and the fills (host data, uniform blocks) only ever write initialised bytes.
        fill(unsafe { &mut *(dst as *mut [u8] as *mut [std::mem::MaybeUninit<u8>]) });
        (buffer, offset as u64)
    }

    /// Ends the op, which moved about `bytes` bytes; submits the batch when it is full.
    pub(crate) fn finish(mut self, bytes: u64) {
        let p = &mut *self.pending;
        p.ops += 1;
        p.bytes = p.bytes.saturating_add(bytes);
        if p.ops >= MAX_OPS || p.bytes >= MAX_BYTES {
            self.be.submit_pending(&mut self.pending);
        }
    }
}

impl WgpuBackend {
    /// Locks the pending batch for recording one op.
    pub(crate) fn record(&self) -> Recorder<'_> {
        Recorder {
            be: self,
            pending: lock(&self.pending),
        }
    }

    /// Submits everything recorded so far; the index of that submission, if there was one.
    pub(crate) fn flush(&self) -> Option<wgpu::SubmissionIndex> {
        self.submit_pending(&mut lock(&self.pending))
    }

    /// A mapped parameter staging buffer (a ready one, or a new one mapped at creation)
    /// holding `bytes` at its start, unmapped; None if it could not be mapped.
    fn fill_param_stage(&self, bytes: &[u8]) -> Option<wgpu::Buffer> {
        let ready = lock(&self.param_stages).pop();
        let stage = ready.unwrap_or_else(|| {
            self.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("streamcore params staging"),
                size: SLOT * SLOTS,
                usage: wgpu::BufferUsages::MAP_WRITE | wgpu::BufferUsages::COPY_SRC,
                mapped_at_creation: true,
            })
        });
        {
            let mut view = stage
                .slice(..bytes.len() as u64)
                .get_mapped_range_mut()
                .ok()?;
            for (d, s) in write_only(view.slice(..)).iter_mut().zip(bytes) {
                d.write(*s);
            }
        }
        stage.unmap();
        Some(stage)
    }

    fn submit_pending(&self, p: &mut Pending) -> Option<wgpu::SubmissionIndex> {
        let encoder = p.encoder.take()?;
        let mut buffers = Vec::with_capacity(2);
        let mut used_stage = None;
        if let Some(params) = p.params.take()
            && !p.staged.is_empty()
        {
            let len = p.staged.len() as u64;
            match self.fill_param_stage(&p.staged) {
                Some(stage) => {
                    let mut pre = self.device.create_command_encoder(&Default::default());
                    pre.copy_buffer_to_buffer(&stage, 0, &params, 0, len);
                    buffers.push(pre.finish());
                    used_stage = Some(stage);
                }
                // A staging buffer that cannot be mapped: the queue's own staging.
                None => self.queue.write_buffer(&params, 0, &p.staged),
            }
        }
        buffers.push(encoder.finish());
        let idx = self.queue.submit(buffers);
        if let Some(stage) = used_stage {
            // Mapped again once the batch is done; the callback makes it ready for reuse.
            let ready = self.param_stages.clone();
            let keep = stage.clone();
            stage.slice(..).map_async(wgpu::MapMode::Write, move |r| {
                let mut g = lock(&ready);
                if r.is_ok() && g.len() < STAGES_KEEP {
                    g.push(keep);
                }
            });
        }
        p.staged.clear();
        p.ops = 0;
        p.bytes = 0;
        self.submits
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Some(idx)
    }
}

#[cfg(test)]
mod tests {
    use std::mem::MaybeUninit;

    use super::super::{WgpuBackend, open};
    use super::MAX_OPS;
    use crate::backend::{Backend, Buffer, CreationOp};
    use crate::device::WgpuOptions;

    /// lavapipe, when present; required when STREAMCORE_TEST_DEVICES names it (CI).
    fn software() -> Option<WgpuBackend> {
        let required = std::env::var("STREAMCORE_TEST_DEVICES")
            .is_ok_and(|d| d.split(',').any(|s| s.trim() == "wgpu-software"));
        let opts = WgpuOptions {
            software: true,
            ..Default::default()
        };
        match open(&opts) {
            Ok(be) => Some(be),
            Err(e) if required => panic!("wgpu-software did not open: {e}"),
            Err(_) => None,
        }
    }

    fn upload(be: &WgpuBackend, dst: &mut Buffer, words: &[u32]) {
        let bytes: &[u8] = bytemuck::cast_slice(words);
        let src = |at: usize, d: &mut [MaybeUninit<u8>]| {
            for (d, s) in d.iter_mut().zip(&bytes[at..]) {
                d.write(*s);
            }
        };
        be.upload(dst, bytes.len(), &src).unwrap();
    }

    fn read(be: &WgpuBackend, src: &Buffer, n: usize) -> Vec<u32> {
        let mut out = vec![MaybeUninit::<u8>::uninit(); n * 4];
        be.download(src, &mut out).unwrap();
        // SAFETY: download wrote every byte.
        let bytes: Vec<u8> = out.iter().map(|b| unsafe { b.assume_init() }).collect();
        bytemuck::pod_collect_to_vec(&bytes)
    }

    fn fill(be: &WgpuBackend, dst: &mut Buffer, n: usize, v: u32) {
        let op = CreationOp::Fill {
            pattern: v.to_le_bytes().to_vec(),
        };
        be.creation(dst, n * 4, &op).unwrap();
    }

    /// Uploads of every size path (staged in the batch, through the queue's writes, through
    /// mapped staging) interleaved with queued kernels on the same buffer: the last write
    /// wins, whatever the order in which the driver sees them.
    #[test]
    fn uploads_and_kernels_on_one_buffer_run_in_program_order() {
        let Some(be) = software() else { return };
        // Staged (16 B), queue write (64 KiB) and mapped staging (4 MiB) uploads.
        for n in [4usize, 16 << 10, 1 << 20] {
            let mut buf = be.alloc(n * 4).unwrap();
            let data: Vec<u32> = (0..n as u32).map(|i| i.wrapping_mul(2654435761)).collect();
            fill(&be, &mut buf, n, 7);
            upload(&be, &mut buf, &data);
            assert_eq!(read(&be, &buf, n), data, "upload after a fill, {n} words");
            upload(&be, &mut buf, &data);
            fill(&be, &mut buf, n, 9);
            assert_eq!(
                read(&be, &buf, n),
                vec![9; n],
                "fill after an upload, {n} words"
            );
            // Reuse through the pool while work on the buffer is still queued.
            fill(&be, &mut buf, n, 3);
            drop(buf);
            let mut again = be.alloc(n * 4).unwrap();
            upload(&be, &mut again, &data);
            assert_eq!(
                read(&be, &again, n),
                data,
                "upload into a reused buffer, {n}"
            );
        }
    }

    /// Queued ops go to the driver in batches, not one submission each.
    #[test]
    fn a_chain_of_small_ops_is_submitted_in_batches() {
        let Some(be) = software() else { return };
        let mut buf = be.alloc(1024 * 4).unwrap();
        fill(&be, &mut buf, 1024, 0);
        be.synchronize().unwrap();
        let before = be.submits.load(std::sync::atomic::Ordering::Relaxed);
        for i in 0..200 {
            fill(&be, &mut buf, 1024, i);
            upload(&be, &mut buf, &[i, i + 1]);
        }
        let queued = be.submits.load(std::sync::atomic::Ordering::Relaxed) - before;
        let got = read(&be, &buf, 3);
        assert_eq!(got, vec![199, 200, 199]);
        // 400 ops in batches of MAX_OPS, plus the read's own.
        let most = 400u64.div_ceil(MAX_OPS as u64);
        assert!(queued <= most, "{queued} submissions for 400 ops");
    }
}
