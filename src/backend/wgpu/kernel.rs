//! WGSL kernels on wgpu: templating (WGSL has no generics), a per-device pipeline cache,
//! and a dispatcher that splits work over bindings no larger than the device allows.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::batch::SLOT;
use super::{WgpuBackend, lock};
use crate::backend::{Backend, as_uninit};
use crate::error::{Error, Result};

/// Invocations per workgroup of every one-dimensional kernel (`@workgroup_size(256)`).
pub(crate) const WORKGROUP: u64 = 256;

/// A compiled compute pipeline with its bind group layout.
pub(crate) struct Kernel {
    pub(crate) pipeline: wgpu::ComputePipeline,
    pub(crate) layout: wgpu::BindGroupLayout,
}

/// Which of wgpu's shader safeguards this device's kernels go without
/// (`STREAMCORE_WGPU_UNCHECKED`, a comma-separated list; none by default):
/// - `bounds`: clamps on workgroup and function-local array indices (and on buffer indices
///   where the driver has no robust buffer access of its own);
/// - `loops`: the counter wgpu adds to every loop so that none can run forever;
/// - `div`: the guards on integer division and remainder against a zero divisor;
/// - `zero`: zero-filling workgroup memory at the start of every workgroup;
/// - `all` for the four, `none` for none.
///
/// Each costs instructions, shared-memory stores or a barrier in every workgroup, on every
/// device. Our kernels need none of them: their indices are in range by construction (the
/// dispatch guards and the plan's sizes), every loop runs to a count from its parameters,
/// every divisor is a size of at least 1, and workgroup memory is written before it is read
/// (a partial FFT workgroup's missing columns read stale values into results it never
/// writes). On lavapipe leaving out `bounds` made the FFT about 20% slower and the others
/// changed nothing (BENCHMARKS.md, session 18), so the default keeps them all: this is for
/// measuring what they cost on a GPU driver.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Unchecked {
    pub(crate) bounds: bool,
    pub(crate) loops: bool,
    pub(crate) div: bool,
    pub(crate) zero: bool,
}

impl Unchecked {
    /// Reads `STREAMCORE_WGPU_UNCHECKED` (unset: every safeguard kept).
    pub(crate) fn from_env() -> Result<Self> {
        match std::env::var("STREAMCORE_WGPU_UNCHECKED") {
            Err(_) => Ok(Self::default()),
            Ok(s) => Self::parse(&s),
        }
    }

    /// Parses a comma-separated list of `bounds`, `loops`, `div`, `zero`, `all` and `none`.
    pub(crate) fn parse(list: &str) -> Result<Self> {
        let mut u = Self::default();
        for word in list.split(',').map(str::trim).filter(|w| !w.is_empty()) {
            match word {
                "bounds" => u.bounds = true,
                "loops" => u.loops = true,
                "div" => u.div = true,
                "zero" => u.zero = true,
                "all" => {
                    u = Self {
                        bounds: true,
                        loops: true,
                        div: true,
                        zero: true,
                    }
                }
                "none" => u = Self::default(),
                other => {
                    return Err(Error::invalid(
                        "STREAMCORE_WGPU_UNCHECKED",
                        format!(
                            "{other:?} in {list:?} is not a safeguard; use a comma-separated \
                             list of bounds, loops, div, zero, all or none"
                        ),
                    ));
                }
            }
        }
        Ok(u)
    }
}

/// Compiled pipelines by specialisation key (family, entry point, dtype).
#[derive(Default)]
pub(crate) struct KernelCache {
    map: Mutex<HashMap<String, Arc<Kernel>>>,
    /// The safeguards this device's kernels go without.
    pub(crate) unchecked: Unchecked,
}

/// Replaces each `{{NAME}}` in `source` by its value.
pub(crate) fn specialise(source: &str, subs: &[(&str, &str)]) -> String {
    let mut s = source.to_string();
    for (k, v) in subs {
        s = s.replace(&format!("{{{{{k}}}}}"), v);
    }
    s
}

/// The shared header of a shader file (the lines above its first `// @kernel` marker) and
/// the section of kernel `name`, so that one file can hold a whole op family even when its
/// kernels bind different types at the same slots.
pub(crate) fn section(source: &str, name: &str) -> String {
    // At the start of a line, so that prose mentioning the marker does not count.
    const MARK: &str = "\n// @kernel ";
    let mut parts = source.split(MARK);
    let header = parts.next().unwrap_or_default();
    let body = parts
        .find(|p| p.split_whitespace().next() == Some(name))
        .unwrap_or_default();
    format!("{header}{MARK}{body}")
}

impl KernelCache {
    /// The pipeline for `key`, compiling `source()` at `entry` on first use.
    pub(crate) fn get(
        &self,
        be: &WgpuBackend,
        key: &str,
        entry: &str,
        source: impl FnOnce() -> String,
    ) -> Result<Arc<Kernel>> {
        if let Some(k) = lock(&self.map).get(key) {
            return Ok(k.clone());
        }
        let src = source();
        let scope = be.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let desc = wgpu::ShaderModuleDescriptor {
            label: Some(key),
            source: wgpu::ShaderSource::Wgsl(src.into()),
        };
        let u = self.unchecked;
        let module = if u.bounds || u.loops || u.div {
            let mut checks = wgpu::ShaderRuntimeChecks::checked();
            checks.bounds_checks = !u.bounds;
            checks.force_loop_bounding = !u.loops;
            checks.int_div_checks = !u.div;
            // SAFETY: asked for by STREAMCORE_WGPU_UNCHECKED; our kernels index in range,
            // run every loop to a count from their parameters and divide only by sizes of at
            // least 1 (`Unchecked`).
            unsafe { be.device.create_shader_module_trusted(desc, checks) }
        } else {
            be.device.create_shader_module(desc)
        };
        let pipeline = be
            .device
            .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(key),
                layout: None,
                module: &module,
                entry_point: Some(entry),
                compilation_options: wgpu::PipelineCompilationOptions {
                    zero_initialize_workgroup_memory: !u.zero,
                    ..Default::default()
                },
                cache: None,
            });
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(Error::KernelCompile {
                kernel: key.to_string(),
                device: be.label.clone(),
                log: e.to_string(),
            });
        }
        let layout = pipeline.get_bind_group_layout(0);
        let k = Arc::new(Kernel { pipeline, layout });
        lock(&self.map).insert(key.to_string(), k.clone());
        Ok(k)
    }
}

impl WgpuBackend {
    /// Records one pass of `kernel` over `count` items: workgroups of WORKGROUP invocations,
    /// laid out in two dimensions when one would exceed the per-dimension limit (kernels
    /// rebuild the linear index from `num_workgroups`).
    pub(crate) fn encode_dispatch(
        &self,
        enc: &mut wgpu::CommandEncoder,
        kernel: &Kernel,
        bind: &wgpu::BindGroup,
        count: u64,
    ) {
        let max_dim = self.limits.max_compute_workgroups_per_dimension as u64;
        let groups = count.div_ceil(WORKGROUP).max(1);
        let x = groups.min(max_dim);
        let y = groups.div_ceil(x);
        // While a profile runs, every pass writes its start and end timestamps.
        let slot = self.timer_slot();
        let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: None,
            timestamp_writes: slot
                .as_ref()
                .map(|(set, i)| wgpu::ComputePassTimestampWrites {
                    query_set: set,
                    beginning_of_pass_write_index: Some(*i),
                    end_of_pass_write_index: Some(*i + 1),
                }),
        });
        pass.set_pipeline(&kernel.pipeline);
        pass.set_bind_group(0, bind, &[]);
        pass.dispatch_workgroups(x as u32, y as u32, 1);
    }

    /// Runs `kernel` over `items` output items of `item_bytes` bytes each in `out` (binding
    /// 0), in chunks no larger than the device's storage binding limit. `params(first, count)`
    /// gives the uniform block (binding 1) of the chunk that starts at item `first`; `inputs`
    /// are bindings 2, 3, ...: chunked alongside the output, or bound whole.
    pub(crate) fn dispatch_chunked(
        &self,
        kernel: &Kernel,
        out: &wgpu::Buffer,
        items: u64,
        item_bytes: u64,
        inputs: &[Operand<'_>],
        params: impl Fn(u64, u64) -> Vec<u8>,
    ) -> Result<()> {
        // Chunk starts must meet the offset alignment for every operand: a whole number of
        // `align` items keeps each operand's byte offset a multiple of `align` bytes.
        let align = (self.limits.min_storage_buffer_offset_alignment as u64).max(256);
        let widest = inputs
            .iter()
            .filter_map(|o| match o {
                Operand::Chunked(_, b) => Some(*b),
                Operand::Whole(..) => None,
            })
            .fold(item_bytes, u64::max);
        let per_chunk =
            (self.limits.max_storage_buffer_binding_size / widest / align * align).max(align);
        let mut rec = self.record();
        let mut first = 0;
        while first < items {
            let count = (items - first).min(per_chunk);
            let (u, at) = rec.uniform(&params(first, count));
            let chunk = |b, size| binding(b, first * size, count * size);
            let mut entries = vec![
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: wgpu::BindingResource::Buffer(chunk(out, item_bytes)),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: wgpu::BindingResource::Buffer(binding(&u, at, SLOT)),
                },
            ];
            for (k, input) in inputs.iter().enumerate() {
                let b = match *input {
                    Operand::Chunked(b, size) => chunk(b, size),
                    Operand::Whole(b, bytes) => binding(b, 0, bytes),
                };
                entries.push(wgpu::BindGroupEntry {
                    binding: 2 + k as u32,
                    resource: wgpu::BindingResource::Buffer(b),
                });
            }
            let bind = self.bind_group(kernel, &entries, items * item_bytes)?;
            self.encode_dispatch(rec.encoder(), kernel, &bind, count);
            first += count;
        }
        let traffic = items * item_bytes
            + inputs
                .iter()
                .map(|o| match *o {
                    Operand::Chunked(_, b) => items * b,
                    Operand::Whole(_, bytes) => bytes,
                })
                .sum::<u64>();
        rec.finish(traffic);
        self.check_health()
    }

    /// A bind group for `kernel`, checked before anything is recorded with it: an invalid
    /// one would poison the whole pending batch, not just its own op.
    fn bind_group(
        &self,
        kernel: &Kernel,
        entries: &[wgpu::BindGroupEntry<'_>],
        bytes: u64,
    ) -> Result<wgpu::BindGroup> {
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let bind = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: None,
            layout: &kernel.layout,
            entries,
        });
        match pollster::block_on(scope.pop()) {
            Some(e) => Err(self.scope_error(e, bytes)),
            None => Ok(bind),
        }
    }
}

impl WgpuBackend {
    /// Runs `kernel` once over `invocations` invocations with the uniform block `params` at
    /// binding 0 and `buffers` (each bound from 0 for its byte count) at bindings 1, 2, ...
    pub(crate) fn dispatch(
        &self,
        kernel: &Kernel,
        params: &[u8],
        buffers: &[(&wgpu::Buffer, u64)],
        invocations: u64,
    ) -> Result<()> {
        let limit = self.limits.max_storage_buffer_binding_size;
        if let Some(&(_, bytes)) = buffers.iter().find(|(_, b)| *b > limit) {
            return Err(Error::SizeOverLimit {
                what: "storage binding of a whole-buffer kernel",
                requested: bytes,
                limit,
                device: self.label.clone(),
            });
        }
        let mut rec = self.record();
        let (u, at) = rec.uniform(params);
        let mut entries = vec![wgpu::BindGroupEntry {
            binding: 0,
            resource: wgpu::BindingResource::Buffer(binding(&u, at, SLOT)),
        }];
        for (k, &(b, bytes)) in buffers.iter().enumerate() {
            entries.push(wgpu::BindGroupEntry {
                binding: 1 + k as u32,
                resource: wgpu::BindingResource::Buffer(binding(b, 0, bytes.max(4))),
            });
        }
        let bind = self.bind_group(kernel, &entries, 0)?;
        self.encode_dispatch(rec.encoder(), kernel, &bind, invocations);
        rec.finish(buffers.iter().map(|&(_, bytes)| bytes).sum());
        self.check_health()
    }
}

/// An input binding of a chunked dispatch.
pub(crate) enum Operand<'a> {
    /// Bound at the same item range as each output chunk; items of this many bytes.
    Chunked(&'a wgpu::Buffer, u64),
    /// Bound whole: its first this many bytes.
    Whole(&'a wgpu::Buffer, u64),
}

/// A binding of `bytes` bytes (rounded up to whole words) of `b` from `offset`.
fn binding(b: &wgpu::Buffer, offset: u64, bytes: u64) -> wgpu::BufferBinding<'_> {
    wgpu::BufferBinding {
        buffer: b,
        offset,
        size: wgpu::BufferSize::new(bytes.div_ceil(4) * 4),
    }
}

/// One fma of values the driver cannot see: (1 + 2^-12)^2 - (1 + 2^-11) is 2^-24 when the
/// product is not rounded first, 0 when it is.
const PROBE: &str = "
struct P { unused: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read_write> v: array<f32>;
@compute @workgroup_size(1)
fn main() {
    if (p.unused == 0u) {
        v[2] = fma(v[0], v[0], v[1]);
    }
}
";

/// Whether WGSL's `fma` rounds once on this device (Vulkan lets a driver run it as a
/// product and a sum, and lavapipe does), probed once and remembered.
pub(crate) fn fma_fused(be: &WgpuBackend) -> Result<bool> {
    if let Some(&f) = be.fma_fused.get() {
        return Ok(f);
    }
    let kernel = be
        .kernels
        .get(be, "fma-probe", "main", || PROBE.to_string())?;
    let a = 1.0f32 + 2f32.powi(-12);
    let c = -(1.0f32 + 2f32.powi(-11));
    let buf = be.upload_new(bytemuck::cast_slice(&[a, c, 0.0, 0.0]))?;
    be.dispatch(&kernel, &[0u8; 16], &[(be.raw(&buf)?, 16)], 1)?;
    let mut out = [0f32; 4];
    be.download(&buf, as_uninit(bytemuck::cast_slice_mut(&mut out)))?;
    let got = out[2];
    Ok(*be.fma_fused.get_or_init(|| got != 0.0))
}

/// Whether f32 fmas go through f64 ([`FMA_WIDE`]) here: where the driver's `fma` rounds
/// twice and the device has f64.
pub(crate) fn f32_fma_through_f64(be: &WgpuBackend) -> Result<bool> {
    Ok(be.features.contains(wgpu::Features::SHADER_F64) && !fma_fused(be)?)
}

/// An f32 fma for drivers whose `fma` rounds twice, through f64: the product is exact
/// there and the sum is rounded once, so the result is the fma rounded once except where
/// that sum falls exactly halfway between two floats (then rounded twice, to even). The
/// sum's own error would settle those ties (TwoSum), but drivers may simplify it away
/// (lavapipe does): a tie needs the exact value within 2^-53 of a halfway point, rare
/// enough that escape-time orbits on lavapipe match the CPU's pixel for pixel.
pub(crate) const FMA_WIDE: &str = "
fn fma_wide(a: f32, b: f32, c: f32) -> f32 {
    return f32(f64(a) * f64(b) + f64(c));
}
";

#[cfg(test)]
mod tests {
    use super::Unchecked;

    #[test]
    fn unchecked_lists_parse_and_bad_words_are_refused() {
        assert_eq!(Unchecked::parse("").unwrap(), Unchecked::default());
        assert_eq!(Unchecked::parse("none").unwrap(), Unchecked::default());
        let u = Unchecked::parse(" loops, zero ").unwrap();
        assert!(u.loops && u.zero && !u.bounds && !u.div);
        let all = Unchecked::parse("all").unwrap();
        assert!(all.bounds && all.loops && all.div && all.zero);
        assert_eq!(Unchecked::parse("all,none").unwrap(), Unchecked::default());
        let e = Unchecked::parse("loops,bound").unwrap_err().to_string();
        assert!(
            e.contains("\"bound\"") && e.contains("STREAMCORE_WGPU_UNCHECKED"),
            "{e}"
        );
    }
}
