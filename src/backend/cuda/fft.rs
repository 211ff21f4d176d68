//! CUDA FFTs as a few big-radix Stockham steps (cuda/fft_step.cu): each step a kernel
//! specialised for its sub-length, compiled by NVRTC on first use and cached.

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex, OnceLock};

use cudarc::driver::sys::CUfunction_attribute;
use cudarc::driver::{CudaFunction, CudaModule, LaunchConfig, PushKernelArg};

use super::{CudaBackend, nvrtc};
use crate::backend::{Backend, Buffer, lock};
use crate::element::DType;
use crate::error::{Error, Result};
use crate::fft::plan::{Scale, StockhamPlan, root_shift, step_layout, steps};

/// How the steps are cut into blocks, in c32 elements (c64 blocks hold half as many):
/// `single`, the most a block holds when a row fits one block; `multi`, the most a block of a
/// multi-step transform holds; `sub`, the longest sub-length of those steps (`multi / sub`
/// columns per block, so `8 * multi / sub` bytes per run along the strided side).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct StepShape {
    single: usize,
    multi: usize,
    sub: usize,
}

impl StepShape {
    /// 4096 / 4096 / 1024: 36 KiB of shared memory per block, runs of 4 columns. On an H100,
    /// blocks of 8192 or 16384 elements (runs of 8 or 16 columns, 512 or 1024 threads) were
    /// no faster at 2^20 and 3-20% slower elsewhere (BENCHMARKS.md, session 7).
    const DEFAULT: StepShape = StepShape {
        single: 4096,
        multi: 4096,
        sub: 1024,
    };

    /// `STREAMCORE_CUDA_FFT_SHAPE=single,multi,sub` (powers of two, 1024 to 16384, sub at
    /// most multi) overrides the default, for tuning on a new GPU; anything else is ignored
    /// with a warning.
    fn get() -> StepShape {
        static SHAPE: OnceLock<StepShape> = OnceLock::new();
        *SHAPE.get_or_init(|| {
            let Ok(v) = std::env::var("STREAMCORE_CUDA_FFT_SHAPE") else {
                return StepShape::DEFAULT;
            };
            match Self::parse(&v) {
                Some(s) => s,
                None => {
                    eprintln!(
                        "warning: STREAMCORE_CUDA_FFT_SHAPE={v:?} ignored (want single,multi,sub: \
                         powers of two from 1024 to 16384, sub <= multi)"
                    );
                    StepShape::DEFAULT
                }
            }
        })
    }

    fn parse(v: &str) -> Option<StepShape> {
        let n: Vec<usize> = v
            .split(',')
            .map(|x| x.trim().parse().ok())
            .collect::<Option<_>>()?;
        let ok = |x: usize| x.is_power_of_two() && (1024..=16384).contains(&x);
        match n[..] {
            [single, multi, sub]
                if ok(single) && ok(multi) && sub.is_power_of_two() && sub <= multi =>
            {
                Some(StepShape { single, multi, sub })
            }
            _ => None,
        }
    }

    /// The block size (elements of `d`) for a length-`n` transform along an axis of stride
    /// `inner`, and the longest sub-length its steps may have. A strided axis (inner > 1)
    /// takes the multi-step shape even when n fits a block: one column per block reads
    /// 8-byte runs, and two steps of many columns cost less (the columns of a 4096² fft2 on
    /// an H100: 497 -> 275 µs).
    fn for_length(&self, n: usize, inner: usize, d: DType) -> (usize, usize) {
        let half = if d == DType::C64 { 2 } else { 1 };
        if n <= self.single / half && (inner == 1 || n <= self.sub / half) {
            (self.single / half, self.single / half)
        } else {
            (self.multi / half, self.sub / half)
        }
    }
}

/// Dynamic shared memory a kernel may take without raising its limit.
const DEFAULT_SHARED: usize = 48 << 10;

/// Threads of a block of `elements`: 16 elements per thread, at least 256 threads (the
/// shape every step kernel was first tuned with) and at most 1024.
fn threads(elements: usize) -> usize {
    (elements / 16).clamp(256, 1024)
}

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

/// The CUDA source of the step kernel for sub-length `len`, `cols` columns per block of `nt`
/// threads, with 64-bit offsets where `wide` (arrays of 2^32 elements or more).
pub(super) fn step_source(
    len: usize,
    cols: usize,
    nt: usize,
    wide: bool,
    d: DType,
) -> (String, String) {
    let plan = StockhamPlan::get(len);
    let (c, short) = if d == DType::C64 {
        ("double2", "c64")
    } else {
        ("float2", "c32")
    };
    // col_stride(len) in cuda/fft_step.cu: pad(len) = len + len / 8, made odd.
    let lp = (len + len / 8) | 1;
    let name = format!(
        "fft_step_{len}_{cols}_{nt}_{short}{}",
        if wide { "_wide" } else { "" }
    );
    let mut passes = String::new();
    for p in &plan.passes {
        writeln!(
            passes,
            "        sub_pass<C, {r}, {len}, {li}, {cols}, {lp}, {nt}, INV>(sh, tab + {tw}, tab + {rt});",
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
extern \"C\" __global__ void __launch_bounds__({nt}) {name}(const {c}* src, {c}* dst,
        const {c}* sub, const {c}* roots, FftStepDims d) {{
    if (d.inverse) fft_step<{c}, {len}, {cols}, {nt}, {wide}, true, Sub_{name}>(src, dst, sub, roots, d);
    else fft_step<{c}, {len}, {cols}, {nt}, {wide}, false, Sub_{name}>(src, dst, sub, roots, d);
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
    /// The step kernel for (len, cols, nt, d), compiled and loaded on first use, with its
    /// dynamic shared memory limit raised to `shared` bytes where that is above the default.
    fn step_function(
        &self,
        len: usize,
        cols: usize,
        nt: usize,
        wide: bool,
        d: DType,
        shared: usize,
    ) -> Result<(String, CudaFunction)> {
        let (name, src) = step_source(len, cols, nt, wide, d);
        let cached = lock(&self.steps.modules).get(&name).cloned();
        let module = match cached {
            Some(m) => m,
            None => {
                let ptx = nvrtc::compile(&name, &src, self.arch)?;
                let module = self
                    .ctx
                    .load_module(cudarc::nvrtc::Ptx::from_src(ptx))
                    .map_err(|e| self.driver_err("loading PTX", e))?;
                let f = module
                    .load_function(&name)
                    .map_err(|e| self.driver_err(&name, e))?;
                if shared > DEFAULT_SHARED {
                    f.set_attribute(
                        CUfunction_attribute::CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                        shared as i32,
                    )
                    .map_err(|e| {
                        self.driver_err(&format!("{name}: {shared} bytes of shared memory"), e)
                    })?;
                }
                lock(&self.steps.modules).insert(name.clone(), module.clone());
                module
            }
        };
        let f = module
            .load_function(&name)
            .map_err(|e| self.driver_err(&name, e))?;
        Ok((name, f))
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
        // One step where the row fits a block; else shorter sub-lengths, so that every block
        // moves runs of several columns through memory (StepShape).
        let (max, sub_max) = StepShape::get().for_length(n, inner, d);
        let lens = steps(n, sub_max).ok_or_else(|| {
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
            let nt = threads(cols * len * d.size() / 8);
            // col_stride(len) in cuda/fft_step.cu: pad(len) = len + len / 8, made odd.
            let shared = cols * ((len + len / 8) | 1) * d.size();
            let wide = (outer * n * inner) as u64 > u32::MAX as u64;
            let (name, f) = self.step_function(len, cols, nt, wide, d, shared)?;
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
                block_dim: (nt as u32, 1, 1),
                shared_mem_bytes: shared as u32,
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

impl CudaBackend {
    /// Real transforms of even length n (see `Backend::fft_real`): a complex transform of
    /// length n/2 and the split between the two (cuda/fft_real.cu), through a scratch buffer
    /// of n/2 complex numbers per row.
    pub(super) fn fft_real_split(
        &self,
        d: DType,
        src: &Buffer,
        dst: &mut Buffer,
        [rows, n]: [usize; 2],
        inverse: bool,
        scale: Scale,
    ) -> Result<()> {
        let m = n / 2;
        if m > u32::MAX as usize {
            return Err(Error::SizeOverLimit {
                what: "real FFT length on CUDA",
                requested: n as u64,
                limit: 2 * u32::MAX as u64,
                device: self.label.clone(),
            });
        }
        let mut half = self.alloc(rows * m * d.size())?;
        let table = self.fft_tables.real(self, d, n)?;
        let short = if d == DType::C64 { "c64" } else { "c32" };
        let name = format!(
            "fft_real_{}_{short}",
            if inverse { "inverse" } else { "forward" }
        );
        let module = self.module("fft_real")?;
        let f = module
            .load_function(&name)
            .map_err(|e| self.driver_err(&name, e))?;
        let pairs = (rows * (m / 2 + 1)) as u64;
        let (rows_arg, m_arg, scale_at) = (rows as u64, m as u32, scale as u32);
        let split = |from: &Buffer, to: &mut Buffer| -> Result<()> {
            let to = self.slice_mut(to)?;
            let mut b = self.stream.launch_builder(&f);
            b.arg(self.slice(from)?)
                .arg(to)
                .arg(self.slice(&table)?)
                .arg(&rows_arg)
                .arg(&m_arg)
                .arg(&scale_at);
            // SAFETY: the half buffer holds rows * m complex numbers of d and the bins
            // rows * (m + 1); the table holds m roots and 3 scales; the kernel checks its range.
            unsafe { b.launch(Self::launch_cfg(pairs)) }
                .map(drop)
                .map_err(|e| self.driver_err(&name, e))
        };
        // The scale is n's, so the split applies it (the half-length transform would apply m's).
        if inverse {
            split(src, &mut half)?;
            self.fft_steps(d, &half, dst, [rows, m, 1], true, Scale::One)
        } else {
            self.fft_steps(d, src, &mut half, [rows, m, 1], false, Scale::One)?;
            split(&half, dst)
        }
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
        for (len, cols, nt, d) in [
            (4096, 1, 256, DType::C32),
            (512, 8, 256, DType::C32),
            (1000, 4, 256, DType::C32),
            (343, 2, 256, DType::C64),
            (2048, 1, 256, DType::C64),
            (6, 256, 256, DType::C32),
            (1024, 16, 1024, DType::C32),
            (512, 16, 512, DType::C64),
        ] {
            let (name, src) = step_source(len, cols, nt, len == 343, d);
            let ptx = nvrtc::compile(&name, &src, 90).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(ptx.contains(&name), "{name} missing from its PTX");
        }
    }

    #[test]
    fn step_sources_name_every_pass() {
        let (name, src) = step_source(4096, 1, 256, false, DType::C32);
        assert_eq!(name, "fft_step_4096_1_256_c32");
        assert_eq!(src.matches("sub_pass<C, 8, 4096").count(), 4);
        let (_, src) = step_source(1000, 4, 256, true, DType::C64);
        assert!(src.contains("sub_pass<C, 8, 1000, 1, 4, 1125, 256, INV>"));
        assert!(src.contains("sub_pass<C, 5, 1000, 40, 4, 1125, 256, INV>"));
        assert!(src.contains("__launch_bounds__(256)"));
        assert!(src.contains("fft_step_1000_4_256_c64_wide") && src.contains("256, true, true,"));
    }

    #[test]
    fn step_shapes_parse_and_size_blocks() {
        let p = StepShape::parse;
        assert_eq!(
            p("4096, 16384,1024"),
            Some(StepShape {
                single: 4096,
                multi: 16384,
                sub: 1024
            })
        );
        for bad in [
            "",
            "4096,4096",
            "4096,4096,8192",
            "3000,4096,1024",
            "4096,32768,1024",
            "a,b,c",
        ] {
            assert_eq!(p(bad), None, "{bad:?}");
        }
        let s = StepShape {
            single: 4096,
            multi: 16384,
            sub: 1024,
        };
        assert_eq!(s.for_length(4096, 1, DType::C32), (4096, 4096));
        assert_eq!(s.for_length(4096, 1, DType::C64), (8192, 512));
        assert_eq!(s.for_length(1 << 20, 1, DType::C32), (16384, 1024));
        // Strided axes: one block only where the sub-length cap allows it.
        assert_eq!(s.for_length(4096, 64, DType::C32), (16384, 1024));
        assert_eq!(s.for_length(1024, 64, DType::C32), (4096, 4096));
        assert_eq!(
            (threads(4096), threads(16384), threads(64)),
            (256, 1024, 256)
        );
    }
}
