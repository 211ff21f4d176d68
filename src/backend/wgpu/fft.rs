//! wgpu side of the FFT (shaders/fft.wgsl): rows that fit workgroup memory in one launch of
//! the `shared` kernel; otherwise one launch per Stockham pass, ping-ponging between the
//! output and one scratch buffer so that the last pass lands in the output.
//! The plan's table (twiddles, scales) is uploaded once per length and dtype and kept.

use std::fmt::Write;

use super::WgpuBackend;
use super::kernel::{section, specialise};
use crate::backend::{Backend, Buffer};
use crate::element::DType;
use crate::error::{Error, Result};
use crate::fft::plan::{Scale, StockhamPlan, root};

const SOURCE: &str = include_str!("../../../shaders/fft.wgsl");

/// Lets `y0 .. y{r-1}`: the r-point DFT of `u`, constants written in (from f64 roots).
fn dft(c: &str, r: usize, inverse: bool, indent: &str) -> String {
    let mut out = String::new();
    for m in 0..r {
        let mut terms = Vec::new();
        for s in 0..r {
            let q = (m * s) % r;
            if q == 0 {
                terms.push(format!("u[{s}]"));
            } else {
                let (re, im) = root(q as u64, r as u64);
                let im = if inverse { -im } else { im };
                terms.push(format!("cmul(u[{s}], {c}({re:e}, {im:e}))"));
            }
        }
        writeln!(out, "{indent}let y{m} = {};", terms.join(" + ")).expect("string write");
    }
    out
}

fn sign(inverse: bool) -> &'static str {
    if inverse { "-1.0" } else { "1.0" }
}

/// The WGSL of one radix-`r` pass (global memory) for complex type `c`.
fn pass_source(c: &str, r: usize, inverse: bool) -> String {
    let mut store = String::new();
    for m in 0..r {
        writeln!(
            store,
            "    dst[base + (at + {m}u * p.l) * p.inner] = y{m} * sc;"
        )
        .expect("string write");
    }
    specialise(
        &section(SOURCE, "passes"),
        &[
            ("DFT", &dft(c, r, inverse, "    ")),
            ("STORE", &store),
            ("SIGN", sign(inverse)),
            ("R", &r.to_string()),
            ("C", c),
        ],
    )
}

/// The WGSL of a whole transform of `plan` in workgroup memory: each pass reads every
/// butterfly's inputs into registers, then (after a barrier) writes its outputs.
fn shared_source(c: &str, plan: &StockhamPlan, inverse: bool) -> String {
    let n = plan.n;
    let mut passes = String::new();
    for pass in &plan.passes {
        let (r, l, t) = (pass.r, pass.l, n / pass.r);
        let nb = t.div_ceil(256);
        let outs: Vec<String> = (0..r).map(|m| format!("y{m}")).collect();
        let mut stores = String::new();
        for m in 0..r {
            writeln!(stores, "                sh[at + {}u] = ys[q][{m}];", m * l)
                .expect("string write");
        }
        write!(
            passes,
            "    {{
        // radix {r} over sub-transforms of {l}
        var ys: array<array<{c}, {r}>, {nb}>;
        for (var q = 0u; q < {nb}u; q++) {{
            let j = lid + q * 256u;
            if (j < {t}u) {{
                let k = j % {l}u;
                var u: array<{c}, {r}>;
                for (var s = 0u; s < {r}u; s++) {{
                    u[s] = sh[j + s * {t}u];
                }}
                for (var s = 1u; s < {r}u; s++) {{
                    var w = table[{tw}u + k * {rm1}u + s - 1u];
                    w.y = w.y * {sign};
                    u[s] = cmul(u[s], w);
                }}
{dft}                ys[q] = array<{c}, {r}>({outs});
            }}
        }}
        workgroupBarrier();
        for (var q = 0u; q < {nb}u; q++) {{
            let j = lid + q * 256u;
            if (j < {t}u) {{
                let k = j % {l}u;
                let at = (j - k) * {r}u + k;
{stores}            }}
        }}
        workgroupBarrier();
    }}
",
            tw = pass.tw,
            rm1 = r - 1,
            sign = sign(inverse),
            dft = dft(c, r, inverse, "                "),
            outs = outs.join(", "),
        )
        .expect("string write");
    }
    specialise(
        &section(SOURCE, "shared"),
        &[("PASSES", &passes), ("N", &n.to_string()), ("C", c)],
    )
}

/// Longest transform the shared kernel takes (registers per thread grow with n / 256).
const SHARED_MAX: usize = 4096;

/// Runs the transform (see `Backend::fft`).
pub(crate) fn run(
    be: &WgpuBackend,
    d: DType,
    src: &Buffer,
    dst: &mut Buffer,
    [outer, n, inner]: [usize; 3],
    inverse: bool,
    scale: Scale,
) -> Result<()> {
    let plan = &*StockhamPlan::get(n);
    let len = (outer * n * inner) as u64;
    if len > u32::MAX as u64 {
        return Err(Error::SizeOverLimit {
            what: "FFT input (elements, 32-bit indexing)",
            requested: len,
            limit: u32::MAX as u64,
            device: be.label.clone(),
        });
    }
    debug_assert!(!plan.passes.is_empty() && plan.n == n);
    let c = if d == DType::C64 {
        "vec2<f64>"
    } else {
        "vec2<f32>"
    };
    let table = be.fft_tables.get(be, d, plan)?;
    let table = be.raw(&table)?;
    let table_bytes = (plan.table.len() * d.size()) as u64;
    let bytes = len * d.size() as u64;
    let fits = n * d.size() <= be.limits.max_compute_workgroup_storage_size as usize;
    if inner == 1 && n <= SHARED_MAX && fits {
        let key = format!("fft/{d}/shared/{n}/{}", if inverse { "inv" } else { "fwd" });
        let kernel = be
            .kernels
            .get(be, &key, "main", || shared_source(c, plan, inverse))?;
        let params: [u32; 8] = [
            outer as u32,
            n as u32,
            1,
            0,
            0,
            0,
            (plan.scales + scale as usize) as u32,
            0,
        ];
        return be.dispatch(
            &kernel,
            bytemuck::cast_slice(&params),
            &[
                (be.raw(src)?, bytes),
                (be.raw(dst)?, bytes),
                (table, table_bytes),
            ],
            outer as u64 * 256,
        );
    }
    let passes = plan.passes.len();
    let scratch = if passes > 1 {
        Some(be.alloc(bytes as usize)?)
    } else {
        None
    };
    let (src, dst) = (be.raw(src)?, be.raw(dst)?);
    let scratch = match &scratch {
        Some(b) => Some(be.raw(b)?),
        None => None,
    };
    let mut input = src;
    for (idx, pass) in plan.passes.iter().enumerate() {
        let last = idx + 1 == passes;
        let output = if (passes - 1 - idx).is_multiple_of(2) {
            dst
        } else {
            scratch.expect("scratch exists when there are several passes")
        };
        let key = format!(
            "fft/{d}/r{}/{}",
            pass.r,
            if inverse { "inv" } else { "fwd" }
        );
        let kernel = be
            .kernels
            .get(be, &key, "main", || pass_source(c, pass.r, inverse))?;
        let scale_at = plan.scales + if last { scale as usize } else { 0 };
        let params: [u32; 8] = [
            outer as u32,
            n as u32,
            inner as u32,
            pass.l as u32,
            (n / pass.r) as u32,
            pass.tw as u32,
            scale_at as u32,
            0,
        ];
        be.dispatch(
            &kernel,
            bytemuck::cast_slice(&params),
            &[(input, bytes), (output, bytes), (table, table_bytes)],
            len / pass.r as u64,
        )?;
        input = output;
    }
    Ok(())
}
