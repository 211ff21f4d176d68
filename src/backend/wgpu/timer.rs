//! Device-side timing and ceilings on wgpu: timestamp queries written at the start and end of
//! every compute pass while a profile runs, and the ceiling kernels (shaders/ceiling.wgsl).

use super::kernel::section;
use super::{WgpuBackend, lock};
use crate::backend::{CeilingJob, KernelTime};
use crate::error::{Error, Result};

const SOURCE: &str = include_str!("../../../shaders/ceiling.wgsl");

/// Timestamps per profile: two per pass, so 2048 passes.
const QUERIES: u32 = wgpu::QUERY_SET_MAX_QUERIES;

/// The running profile: its query set and how many timestamps it has handed out.
pub(crate) struct Timer {
    set: wgpu::QuerySet,
    used: u32,
    /// More passes ran than the set holds: the total would be short, so none is reported.
    overflow: bool,
}

impl WgpuBackend {
    /// The query set and first index for the next pass's two timestamps, while a profile runs.
    pub(crate) fn timer_slot(&self) -> Option<(wgpu::QuerySet, u32)> {
        let mut guard = lock(&self.timer);
        let t = guard.as_mut()?;
        if t.used + 2 > QUERIES {
            t.overflow = true;
            return None;
        }
        t.used += 2;
        Some((t.set.clone(), t.used - 2))
    }

    pub(crate) fn start_timer(&self) -> Result<bool> {
        if !self.features.contains(wgpu::Features::TIMESTAMP_QUERY) {
            return Ok(false);
        }
        let mut guard = lock(&self.timer);
        if guard.is_some() {
            return Err(Error::invalid(
                "Device::profile",
                "a profile is already running on this device (profiles do not nest)",
            ));
        }
        let set = self.device.create_query_set(&wgpu::QuerySetDescriptor {
            label: Some("streamcore timer"),
            ty: wgpu::QueryType::Timestamp,
            count: QUERIES,
        });
        *guard = Some(Timer {
            set,
            used: 0,
            overflow: false,
        });
        Ok(true)
    }

    pub(crate) fn stop_timer(&self) -> Result<Option<KernelTime>> {
        let Some(t) = lock(&self.timer).take() else {
            return Ok(None);
        };
        // The timed passes must be submitted before their timestamps are resolved.
        self.flush();
        if t.overflow {
            return Ok(None);
        }
        if t.used == 0 {
            return Ok(Some(KernelTime {
                seconds: 0.0,
                kernels: Some(0),
            }));
        }
        let bytes = t.used as u64 * 8;
        let make = |usage| {
            self.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("streamcore timestamps"),
                size: bytes.next_multiple_of(wgpu::QUERY_RESOLVE_BUFFER_ALIGNMENT),
                usage,
                mapped_at_creation: false,
            })
        };
        let resolved = make(wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC);
        let read = make(wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST);
        let mut enc = self.device.create_command_encoder(&Default::default());
        enc.resolve_query_set(&t.set, 0..t.used, &resolved, 0);
        enc.copy_buffer_to_buffer(&resolved, 0, &read, 0, bytes);
        let index = self.queue.submit([enc.finish()]);
        let (tx, rx) = std::sync::mpsc::channel();
        read.slice(..bytes)
            .map_async(wgpu::MapMode::Read, move |r| drop(tx.send(r)));
        self.wait(Some(index))?;
        let failed = |detail: String| Error::Backend {
            device: self.label.clone(),
            detail,
        };
        rx.recv()
            .map_err(|_| failed("the timestamp map callback never ran".into()))?
            .map_err(|e| failed(format!("mapping the timestamps failed: {e}")))?;
        let ticks: Vec<u64> = {
            let view = read
                .slice(..bytes)
                .get_mapped_range()
                .map_err(|e| failed(format!("reading the timestamps failed: {e}")))?;
            bytemuck::pod_collect_to_vec(&view[..])
        };
        let period_ns = self.queue.get_timestamp_period() as f64;
        let total: u64 = ticks
            .chunks_exact(2)
            .map(|p| p[1].saturating_sub(p[0]))
            .sum();
        Ok(Some(KernelTime {
            seconds: total as f64 * period_ns * 1e-9,
            kernels: Some(t.used as u64 / 2),
        }))
    }

    pub(crate) fn run_ceiling(
        &self,
        job: CeilingJob,
        src: Option<&wgpu::Buffer>,
        dst: &wgpu::Buffer,
    ) -> Result<()> {
        let too_many = |what: &str, n: u64| {
            Error::invalid(
                "ceiling kernel",
                format!("{n} {what} is over the kernel's 2^32 limit"),
            )
        };
        match job {
            CeilingJob::Copy { words16 } => {
                let src = src.ok_or_else(|| Error::invalid("ceiling copy", "no source"))?;
                let count = u32::try_from(words16).map_err(|_| too_many("words", words16))?;
                let kernel = self
                    .kernels
                    .get(self, "ceiling/copy", "main", || section(SOURCE, "copy"))?;
                let params = [count, 0, 0, 0];
                let bytes = words16 * 16;
                self.dispatch(
                    &kernel,
                    bytemuck::cast_slice(&params),
                    &[(dst, bytes), (src, bytes)],
                    words16,
                )
            }
            CeilingJob::Fma { threads, rounds } => {
                let count = u32::try_from(threads).map_err(|_| too_many("threads", threads))?;
                let kernel = self
                    .kernels
                    .get(self, "ceiling/fma", "main", || section(SOURCE, "fma"))?;
                let params = [count, rounds, 0.999f32.to_bits(), 1e-3f32.to_bits()];
                self.dispatch(
                    &kernel,
                    bytemuck::cast_slice(&params),
                    &[(dst, threads * 4)],
                    threads,
                )
            }
        }
    }
}
