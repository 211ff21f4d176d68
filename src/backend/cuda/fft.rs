//! CUDA FFTs as a few big-radix Stockham steps (cuda/fft_step.cu): each step a kernel
//! specialised for its sub-length, compiled by NVRTC on first use and cached.

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex};

use cudarc::driver::{CudaModule, LaunchConfig, PushKernelArg};

use super::{CudaBackend, nvrtc};
use crate::backend::{Backend, Buffer, lock};
use crate::element::DType;
use crate::error::{Error, Result};
use crate::fft::plan::{Scale, StockhamPlan, root_shift, step_layout, steps};

/// Complex elements one block holds in shared memory (36 KiB of either type with the padding).
fn block_elements(d: DType) -> usize {
    if d == DType::C64 { 2048 } else { 4096 }
}

/// Threads per block: cuda/fft_step.cu's loops assume 256.
const THREADS: u32 = 256;

/// The scalars of one step (`struct FftStepDims` in cuda/fft_step.cu).
#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
struct FftStepDims {
    outer: u64,
    groups: u64,
    inner: u64,
    n: u32,
    t: u32,
    l: u32,
    shift: u32,
    mode: u32,
    inverse: u32,
    pad: u32,
    scale: f64,
}

// SAFETY: plain #[repr(C)] data that matches the kernel's struct field for field.
unsafe impl cudarc::driver::DeviceRepr for FftStepDims {}

/// Specialised step modules of one GPU.
#[derive(Default)]
pub(super) struct StepCache {
    modules: Mutex<HashMap<String, Arc<CudaModule>>>,
}

/// The CUDA source of the step kernel for sub-length `len`, `cols` columns per block.
pub(super) fn step_source(len: usize, cols: usize, d: DType) -> (String, String) {
    let plan = StockhamPlan::get(len);
    let (c, short) = if d == DType::C64 {
        ("double2", "c64")
    } else {
        ("float2", "c32")
    };
    // col_stride(len) in cuda/fft_step.cu: pad(len) = len + len / 8, made odd.
    let lp = (len + len / 8) | 1;
    let name = format!("fft_step_{len}_{cols}_{short}");
    let mut passes = String::new();
    for p in &plan.passes {
        writeln!(
            passes,
            "        sub_pass<C, {r}, {len}, {li}, {cols}, {lp}, INV>(sh, tab + {tw}, tab + {rt});",
            r = p.r,
            li = p.l,
            tw = p.tw,
            rt = plan.roots[&p.r],
        )
        .expect("string write");
    }
    let src = format!(
        "{prelude}\n{body}\n
struct Sub_{name} {{
    template <bool INV, typename C>
    static __device__ __forceinline__ void run(C* sh, const C* tab) {{
{passes}    }}
}};
extern \"C\" __global__ void __launch_bounds__({THREADS}) {name}(const {c}* src, {c}* dst,
        const {c}* sub, const {c}* roots, FftStepDims d) {{
    if (d.inverse) fft_step<{c}, {len}, {cols}, true, Sub_{name}>(src, dst, sub, roots, d);
    else fft_step<{c}, {len}, {cols}, false, Sub_{name}>(src, dst, sub, roots, d);
}}
",
        prelude = nvrtc::PRELUDE,
        body = nvrtc::KERNELS
            .iter()
            .find(|(n, _)| *n == "fft_step")
            .map(|(_, s)| *s)
            .unwrap_or_default(),
    );
    (name, src)
}

impl CudaBackend {
    fn step_module(&self, len: usize, cols: usize, d: DType) -> Result<(String, Arc<CudaModule>)> {
        let (name, src) = step_source(len, cols, d);
        if let Some(m) = lock(&self.steps.modules).get(&name) {
            return Ok((name, m.clone()));
        }
        let ptx = nvrtc::compile(&name, &src, self.arch)?;
        let module = self
            .ctx
            .load_module(cudarc::nvrtc::Ptx::from_src(ptx))
            .map_err(|e| self.driver_err("loading PTX", e))?;
        lock(&self.steps.modules).insert(name.clone(), module.clone());
        Ok((name, module))
    }

    /// The transform of `[outer, n, inner]` as big-radix steps.
    pub(super) fn fft_steps(
        &self,
        d: DType,
        src: &Buffer,
        dst: &mut Buffer,
        [outer, n, inner]: [usize; 3],
        inverse: bool,
        scale: Scale,
    ) -> Result<()> {
        // The roots' exponents and the column indices are 32-bit in the kernel.
        if n > u32::MAX as usize {
            return Err(Error::SizeOverLimit {
                what: "FFT length on CUDA",
                requested: n as u64,
                limit: u32::MAX as u64,
                device: self.label.clone(),
            });
        }
        let max = block_elements(d);
        // One step where the row fits a block; else sub-lengths of at most a quarter block, so
        // that every block moves runs of at least 4 columns (32 bytes of c32) through memory.
        let lens = steps(n, if n <= max { max } else { max / 4 }).ok_or_else(|| {
            Error::invalid(
                "fft",
                format!("length {n} has a prime factor above 7 (Bluestein runs above the backend)"),
            )
        })?;
        let k = lens.len();
        let mut scratch = if k > 1 {
            Some(self.alloc(outer * n * inner * d.size())?)
        } else {
            None
        };
        let mut l = 1usize;
        for (i, &len) in lens.iter().enumerate() {
            let t = n / len;
            let layout = step_layout([outer, n, inner], len, max);
            let (mode, cols, groups) = (layout.mode, layout.cols, layout.groups);
            let (name, module) = self.step_module(len, cols, d)?;
            let f = module
                .load_function(&name)
                .map_err(|e| self.driver_err(&name, e))?;
            let sub = self.fft_tables.get(self, d, &StockhamPlan::get(len))?;
            let roots = if l > 1 {
                Some(self.fft_tables.roots(self, d, l * len)?)
            } else {
                None
            };
            let dims = FftStepDims {
                outer: outer as u64,
                groups,
                inner: inner as u64,
                n: n as u32,
                t: t as u32,
                l: l as u32,
                shift: root_shift(l * len),
                mode,
                inverse: inverse as u32,
                pad: 0,
                scale: if i + 1 == k { scale.factor(n) } else { 1.0 },
            };
            let x = groups.clamp(1, 65_535);
            let cfg = LaunchConfig {
                grid_dim: (x as u32, groups.div_ceil(x).max(1) as u32, 1),
                block_dim: (THREADS, 1, 1),
                shared_mem_bytes: 0,
            };
            // Step i writes dst when an even number of steps follow it, else the scratch.
            let to_dst = (k - 1 - i).is_multiple_of(2);
            let sub = self.slice(&sub)?;
            let roots = match &roots {
                Some(r) => self.slice(r)?,
                None => sub,
            };
            let dst_s = self.slice_mut(dst)?;
            let scr = match scratch.as_mut() {
                Some(s) => Some(self.slice_mut(s)?),
                None => None,
            };
            let mut b = self.stream.launch_builder(&f);
            match (i, to_dst, scr) {
                (0, true, _) => b.arg(self.slice(src)?).arg(dst_s),
                (0, false, Some(s)) => b.arg(self.slice(src)?).arg(s),
                (_, true, Some(s)) => b.arg(&*s).arg(dst_s),
                (_, false, Some(s)) => b.arg(&*dst_s).arg(s),
                _ => unreachable!("a scratch buffer exists when there are several steps"),
            };
            b.arg(sub).arg(roots).arg(&dims);
            // SAFETY: src, dst and the scratch hold outer * n * inner complex elements of d;
            // the sub-plan table holds every index its passes name; the root table covers
            // every exponent below l * len; the kernel checks `groups`.
            unsafe { b.launch(cfg) }
                .map(drop)
                .map_err(|e| self.driver_err(&name, e))?;
            l *= len;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every radix and both types, through NVRTC (CI sets STREAMCORE_REQUIRE_NVRTC).
    #[test]
    fn step_kernels_compile_with_nvrtc() {
        if !nvrtc::nvrtc_available() {
            assert!(
                std::env::var_os("STREAMCORE_REQUIRE_NVRTC").is_none(),
                "STREAMCORE_REQUIRE_NVRTC is set but libnvrtc was not found"
            );
            eprintln!("note: libnvrtc not found; step kernels not compiled");
            return;
        }
        for (len, cols, d) in [
            (4096, 1, DType::C32),
            (512, 8, DType::C32),
            (1000, 4, DType::C32),
            (343, 2, DType::C64),
            (2048, 1, DType::C64),
            (6, 256, DType::C32),
        ] {
            let (name, src) = step_source(len, cols, d);
            let ptx = nvrtc::compile(&name, &src, 90).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(ptx.contains(&name), "{name} missing from its PTX");
        }
    }

    #[test]
    fn step_sources_name_every_pass() {
        let (name, src) = step_source(4096, 1, DType::C32);
        assert_eq!(name, "fft_step_4096_1_c32");
        assert_eq!(src.matches("sub_pass<C, 8, 4096").count(), 4);
        let (_, src) = step_source(1000, 4, DType::C64);
        assert!(src.contains("sub_pass<C, 8, 1000, 1, 4, 1125, INV>"));
        assert!(src.contains("sub_pass<C, 5, 1000, 40, 4, 1125, INV>"));
    }
}
