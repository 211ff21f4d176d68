//! wgpu side of the `scan` family (shaders/scan.wgsl): one `rows` launch per row tile, with
//! longer rows split around a recursive scan of tile totals, or one `column` launch.

use super::WgpuBackend;
use super::elementwise::types;
use super::kernel::{section, specialise};
use crate::backend::Backend;
use crate::element::DType;
use crate::error::{Error, Result};
use crate::ops::scan::ScanOp;

const SOURCE: &str = include_str!("../../../shaders/scan.wgsl");

/// Positions per workgroup of the rows kernel (256 threads, 8 each).
const TILE: u64 = 2048;

/// What a rows launch does at the end of a tile.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Finish {
    /// Write the tile's total (to an array of accumulators).
    Totals,
    /// Write the scanned elements, starting from the carry of earlier tiles if `carry`.
    Scan { carry: bool },
}

/// Scans `src` (`[outer, k, inner]` of `d`) into `out`.
pub(crate) fn run(
    be: &WgpuBackend,
    op: ScanOp,
    d: DType,
    src: &wgpu::Buffer,
    [outer, k, inner]: [usize; 3],
    out: &wgpu::Buffer,
) -> Result<()> {
    let (outer, k, inner) = (outer as u64, k as u64, inner as u64);
    if outer * k * inner > u32::MAX as u64 {
        return Err(Error::SizeOverLimit {
            what: "scan input (elements, 32-bit indexing)",
            requested: outer * k * inner,
            limit: u32::MAX as u64,
            device: be.label.clone(),
        });
    }
    let acc = if d == DType::F16 { DType::F32 } else { d };
    let bytes = |n: u64, t: DType| n * t.size() as u64;
    if inner > 1 {
        let kernel = be.kernels.get(
            be,
            &format!("scan/{}/{d}/column", op.stem()),
            "main",
            || source(op, d, "column", None),
        )?;
        let params = [outer as u32, k as u32, inner as u32, 0];
        let n = outer * k * inner;
        return be.dispatch(
            &kernel,
            bytemuck::cast_slice(&params),
            &[(src, bytes(n, d)), (out, bytes(n, d))],
            outer * inner,
        );
    }
    let tiles = k.div_ceil(TILE);
    let params = [outer as u32, k as u32, 1, tiles as u32];
    let launch = |finish: Finish, bufs: &[(&wgpu::Buffer, u64)]| -> Result<()> {
        let tag = match finish {
            Finish::Totals => "totals",
            Finish::Scan { carry: false } => "scan",
            Finish::Scan { carry: true } => "carry",
        };
        let key = format!("scan/{}/{d}/rows/{tag}", op.stem());
        let kernel = be
            .kernels
            .get(be, &key, "main", || source(op, d, "rows", Some(finish)))?;
        be.dispatch(
            &kernel,
            bytemuck::cast_slice(&params),
            bufs,
            outer * tiles * 256,
        )
    };
    let n = outer * k;
    if tiles == 1 {
        return launch(
            Finish::Scan { carry: false },
            &[(src, bytes(n, d)), (out, bytes(n, d))],
        );
    }
    let m = outer * tiles;
    let totals = be.alloc(bytes(m, acc) as usize)?;
    let scanned = be.alloc(bytes(m, acc) as usize)?;
    let (totals, scanned) = (be.raw(&totals)?, be.raw(&scanned)?);
    launch(
        Finish::Totals,
        &[(src, bytes(n, d)), (totals, bytes(m, acc))],
    )?;
    run(
        be,
        op,
        acc,
        totals,
        [outer as usize, tiles as usize, 1],
        scanned,
    )?;
    launch(
        Finish::Scan { carry: true },
        &[
            (src, bytes(n, d)),
            (out, bytes(n, d)),
            (scanned, bytes(m, acc)),
        ],
    )
}

/// The specialised WGSL of kernel `name` for `op` on `d`.
fn source(op: ScanOp, d: DType, name: &str, finish: Option<Finish>) -> String {
    let (elem, acc) = types(d);
    let out = if finish == Some(Finish::Totals) {
        acc
    } else {
        elem
    };
    let comb = match op {
        ScanOp::Sum => "a + b",
        ScanOp::Prod if d.is_complex() => "{{ACC}}(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x)",
        ScanOp::Prod => "a * b",
    };
    let ident = match (op, d.is_complex()) {
        (ScanOp::Sum, _) => "{{ACC}}()",
        (ScanOp::Prod, true) => "{{ACC}}(1.0, 0.0)",
        (ScanOp::Prod, false) => "{{ACC}}(1)",
    };
    let finish_code = match finish {
        None => "",
        Some(Finish::Totals) => "    if (lid == 255u) {\n        out[w] = sh[255];\n    }",
        Some(Finish::Scan { carry }) => {
            if carry {
                SCAN_CARRY
            } else {
                SCAN_PLAIN
            }
        }
    };
    let carry_binding = if finish == Some(Finish::Scan { carry: true }) {
        "@group(0) @binding(3) var<storage, read> carry: array<{{ACC}}>;"
    } else {
        ""
    };
    specialise(
        &section(SOURCE, name),
        &[
            ("FINISH", finish_code),
            ("CARRY_BINDING", carry_binding),
            ("COMB", comb),
            ("IDENT", ident),
            ("ENABLE", if d == DType::F16 { "enable f16;" } else { "" }),
            ("IN", elem),
            ("OUT", out),
            ("ACC", acc),
        ],
    )
}

const SCAN_PLAIN: &str = "    var c = {{IDENT}};
    if (lid > 0u) {
        c = sh[lid - 1u];
    }
    for (var j = 0u; j < 8u; j++) {
        if (start + j < p.k) {
            out[base + start + j] = {{OUT}}(comb(c, v[j]));
        }
    }";

const SCAN_CARRY: &str = "    var c = {{IDENT}};
    if (tile > 0u) {
        c = carry[w - 1u];
    }
    if (lid > 0u) {
        c = comb(c, sh[lid - 1u]);
    }
    for (var j = 0u; j < 8u; j++) {
        if (start + j < p.k) {
            out[base + start + j] = {{OUT}}(comb(c, v[j]));
        }
    }";
