//! wgpu side of the `reduce` family (shaders/reduce.wgsl): passes of the `tile` kernel (rows,
//! 2048 positions per workgroup) or the `column` kernel (8 positions per thread, coalesced
//! along the inner axis) until one position is left.

use super::WgpuBackend;
use super::elementwise::{NAN_F32, NAN_F64, types};
use super::kernel::{section, specialise};
use super::memory::WgpuBuffer;
use crate::backend::Backend;
use crate::element::DType;
use crate::error::{Error, Result};
use crate::ops::reduce::ReduceOp;

const SOURCE: &str = include_str!("../../../shaders/reduce.wgsl");

/// Positions per workgroup of the tile kernel, and per thread of the column kernel.
const TILE: u64 = 2048;
const COLUMN: u64 = 8;

/// The dtype partial results are stored in between passes.
fn acc_dtype(d: DType) -> DType {
    if d == DType::F16 { DType::F32 } else { d }
}

fn helpers(op: ReduceOp, d: DType, input: DType) -> String {
    let (_, acc) = types(d);
    let (in_elem, _) = types(input);
    let mut h = format!("fn lift(x: {in_elem}) -> {acc} {{ return {acc}(x); }}\n");
    let nan = match d {
        DType::F16 | DType::F32 => NAN_F32,
        DType::F64 => NAN_F64,
        _ => "\nfn is_nan(v: ACC) -> bool { return false; }",
    };
    let valid = "    if (a.i == INVALID) { return b; }\n    if (b.i == INVALID) { return a; }\n";
    let body = match op {
        ReduceOp::Sum => "    return Pair(a.v + b.v, 0u);\n".to_string(),
        ReduceOp::Prod if d.is_complex() => {
            "    return Pair(ACC(a.v.x * b.v.x - a.v.y * b.v.y, a.v.x * b.v.y + a.v.y * b.v.x), 0u);\n"
                .to_string()
        }
        ReduceOp::Prod => "    return Pair(a.v * b.v, 0u);\n".to_string(),
        ReduceOp::Min | ReduceOp::Max => {
            let f = if op == ReduceOp::Min { "min" } else { "max" };
            h += nan;
            h += "\n";
            format!(
                "{valid}    return Pair(select({f}(a.v, b.v), a.v + b.v, is_nan(a.v) || is_nan(b.v)), 0u);\n"
            )
        }
        ReduceOp::ArgMin | ReduceOp::ArgMax => {
            let better = if op == ReduceOp::ArgMin { "<" } else { ">" };
            h += nan;
            h += "\n";
            format!(
                "{valid}    let na = is_nan(a.v);
    let nb = is_nan(b.v);
    var take_b: bool;
    if (na || nb) {{
        take_b = nb && (!na || b.i < a.i);
    }} else {{
        take_b = b.v {better} a.v || (b.v == a.v && b.i < a.i);
    }}
    if (take_b) {{ return b; }}
    return a;\n"
            )
        }
    };
    h += &format!("fn comb(a: Pair, b: Pair) -> Pair {{\n{body}}}\n");
    h.replace("ACC", acc)
}

/// Runs the passes of `op` over `src` (`[outer, k, inner]` of `d`) into `out`.
pub(crate) fn run(
    be: &WgpuBackend,
    op: ReduceOp,
    d: DType,
    src: &WgpuBuffer,
    [outer, k, inner]: [usize; 3],
    out: &WgpuBuffer,
) -> Result<()> {
    let (outer, mut k, inner) = (outer as u64, k as u64, inner as u64);
    if outer * k * inner > u32::MAX as u64 {
        return Err(Error::SizeOverLimit {
            what: "reduction input (elements, 32-bit indexing)",
            requested: outer * k * inner,
            limit: u32::MAX as u64,
            device: be.label.clone(),
        });
    }
    let nan64 = matches!(
        op,
        ReduceOp::Min | ReduceOp::Max | ReduceOp::ArgMin | ReduceOp::ArgMax
    ) && d == DType::F64;
    if nan64 && !be.features.contains(wgpu::Features::SHADER_INT64) {
        return Err(Error::DtypeUnsupported {
            dtype: d,
            device: be.label.clone(),
            reason: "f64 min/max must test NaN on the bits, which needs SHADER_INT64".into(),
        });
    }
    let acc = acc_dtype(d);
    let arg = op.is_arg();
    let column = inner > 1;
    let per = if column { COLUMN } else { TILE };
    // Pass outputs: partial values (and indices) until the last pass writes `out`.
    let mut cur_vals: Option<crate::backend::Buffer> = None;
    let mut cur_idx: Option<crate::backend::Buffer> = None;
    let mut first = true;
    loop {
        let tiles = k.div_ceil(per);
        let last = tiles == 1;
        let input = if first { d } else { acc };
        let out_dtype = if last && !arg { d } else { acc };
        let (in_elem, _) = types(input);
        let (out_elem, _) = types(out_dtype);
        let f16 = d == DType::F16;
        let idx_bindings = match (arg, first) {
            (false, _) => String::new(),
            (true, true) => {
                "@group(0) @binding(3) var<storage, read_write> out_idx: array<u32>;".to_string()
            }
            (true, false) => {
                "@group(0) @binding(3) var<storage, read_write> out_idx: array<u32>;\n\
                 @group(0) @binding(4) var<storage, read> idx_in: array<u32>;"
                    .to_string()
            }
        };
        let idx_in = match (arg, first) {
            (false, _) => "0u",
            (true, true) => "kk",
            (true, false) => "idx_in[at]",
        };
        let pad = match op {
            ReduceOp::Prod if d.is_complex() => format!("{}(1.0, 0.0)", types(acc).1),
            ReduceOp::Prod => format!("{}(1)", types(acc).1),
            _ => format!("{}()", types(acc).1),
        };
        let name = if column { "column" } else { "tile" };
        let key = format!(
            "reduce/{}/{d}/{name}/{}{}",
            op.name(),
            first as u8,
            last as u8
        );
        let kernel = be.kernels.get(be, &key, "main", || {
            specialise(
                &section(SOURCE, name),
                &[
                    ("ENABLE", if f16 { "enable f16;" } else { "" }),
                    ("IN", in_elem),
                    ("ACC", types(acc).1),
                    ("OUT", out_elem),
                    ("IDX_BINDINGS", &idx_bindings),
                    ("HELPERS", &helpers(op, acc, input)),
                    ("IDX_IN", idx_in),
                    ("IDX_OUT", if arg { "out_idx[w] = r.i;" } else { "" }),
                    ("PAD", &pad),
                ],
            )
        })?;
        let n_out = outer * tiles * inner;
        let next_vals = if last && !arg {
            None
        } else {
            Some(be.alloc((n_out as usize * acc.size()).max(4))?)
        };
        let next_idx = if arg && !last {
            Some(be.alloc((n_out as usize * 4).max(4))?)
        } else {
            None
        };
        let in_buf = match &cur_vals {
            Some(b) => be.raw(b)?,
            None => &src.raw,
        };
        let out_vals = match &next_vals {
            Some(b) => be.raw(b)?,
            None => &out.raw,
        };
        let mut bindings = vec![
            (in_buf, outer * k * inner * input.size() as u64),
            (out_vals, n_out * out_dtype.size() as u64),
        ];
        if arg {
            let out_idx = match &next_idx {
                Some(b) => be.raw(b)?,
                None => &out.raw,
            };
            bindings.push((out_idx, n_out * 4));
            if let Some(b) = &cur_idx {
                bindings.push((be.raw(b)?, outer * k * inner * 4));
            }
        }
        let params: [u32; 4] = [outer as u32, k as u32, inner as u32, tiles as u32];
        let invocations = if column { n_out } else { outer * tiles * 256 };
        be.dispatch(
            &kernel,
            bytemuck::cast_slice(&params),
            &bindings,
            invocations,
        )?;
        if last {
            return Ok(());
        }
        cur_vals = next_vals;
        if arg {
            cur_idx = next_idx;
        }
        k = tiles;
        first = false;
    }
}
