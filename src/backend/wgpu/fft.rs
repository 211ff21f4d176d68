//! wgpu side of the FFT (shaders/fft.wgsl): one launch per Stockham pass, ping-ponging
//! between the output and one scratch buffer so that the last pass lands in the output.
//! The plan's table (twiddles, scales) is uploaded once per length and dtype and kept.

use std::fmt::Write;

use super::WgpuBackend;
use super::kernel::specialise;
use crate::backend::{Backend, Buffer, StridedCopy};
use crate::element::DType;
use crate::error::{Error, Result};
use crate::fft::plan::{Scale, StockhamPlan, root};

const SOURCE: &str = include_str!("../../../shaders/fft.wgsl");

/// The WGSL of one radix-`r` pass for complex type `c`.
fn source(c: &str, r: usize, inverse: bool) -> String {
    let mut dft = String::new();
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
        writeln!(dft, "    let y{m} = {};", terms.join(" + ")).expect("string write");
    }
    let mut store = String::new();
    for m in 0..r {
        writeln!(
            store,
            "    dst[base + (at + {m}u * p.l) * p.inner] = y{m} * sc;"
        )
        .expect("string write");
    }
    specialise(
        SOURCE,
        &[
            ("DFT", &dft),
            ("STORE", &store),
            ("SIGN", if inverse { "-1.0" } else { "1.0" }),
            ("R", &r.to_string()),
            ("C", c),
        ],
    )
}

/// Runs the transform (see `Backend::fft`).
#[allow(clippy::too_many_arguments)]
pub(crate) fn run(
    be: &WgpuBackend,
    d: DType,
    src: &Buffer,
    dst: &mut Buffer,
    [outer, n, inner]: [usize; 3],
    plan: &StockhamPlan,
    inverse: bool,
    scale: Scale,
) -> Result<()> {
    let len = (outer * n * inner) as u64;
    if len > u32::MAX as u64 {
        return Err(Error::SizeOverLimit {
            what: "FFT input (elements, 32-bit indexing)",
            requested: len,
            limit: u32::MAX as u64,
            device: be.label.clone(),
        });
    }
    if n == 1 {
        // Every scale of a length-1 transform is 1.
        let copy = StridedCopy {
            shape: vec![len as usize],
            src_offset: 0,
            src_strides: vec![1],
            dst_offset: 0,
            dst_strides: vec![1],
        };
        return be.copy_strided(d, src, dst, &copy);
    }
    debug_assert!(plan.direct() && plan.n == n);
    let c = if d == DType::C64 {
        "vec2<f64>"
    } else {
        "vec2<f32>"
    };
    let table = be.fft_table(d, plan)?;
    let table = be.raw(&table)?;
    let table_bytes = (plan.table.len() * d.size()) as u64;
    let bytes = len * d.size() as u64;
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
            .get(be, &key, "main", || source(c, pass.r, inverse))?;
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
