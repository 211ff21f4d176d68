//! wgpu side of the `matmul` family (shaders/matmul.wgsl): one launch of the tiled kernel,
//! a workgroup per 64 x 64 output tile of each product.

use super::WgpuBackend;
use super::elementwise::types;
use super::kernel::specialise;
use crate::element::DType;
use crate::error::{Error, Result};
use crate::ops::matmul::MatmulDims;

const SOURCE: &str = include_str!("../../../shaders/matmul.wgsl");

/// Output rows and columns per workgroup.
const TILE: u64 = 64;

/// Runs `out = a @ b` for `dims` of `d`.
pub(crate) fn run(
    be: &WgpuBackend,
    d: DType,
    a: &wgpu::Buffer,
    b: &wgpu::Buffer,
    out: &wgpu::Buffer,
    dims: MatmulDims,
) -> Result<()> {
    let MatmulDims {
        batch,
        m,
        k,
        n,
        b_shared,
    } = dims;
    let (batch, m, k, n) = (batch as u64, m as u64, k as u64, n as u64);
    let b_len = if b_shared { k * n } else { batch * k * n };
    for (what, len) in [
        ("left operand", batch * m * k),
        ("right operand", b_len),
        ("result", batch * m * n),
    ] {
        if len > u32::MAX as u64 {
            return Err(Error::SizeOverLimit {
                what: match what {
                    "left operand" => "matmul left operand (elements, 32-bit indexing)",
                    "right operand" => "matmul right operand (elements, 32-bit indexing)",
                    _ => "matmul result (elements, 32-bit indexing)",
                },
                requested: len,
                limit: u32::MAX as u64,
                device: be.label.clone(),
            });
        }
    }
    let kernel = be
        .kernels
        .get(be, &format!("matmul/{d}"), "main", || source(d))?;
    let (tiles_m, tiles_n) = (m.div_ceil(TILE), n.div_ceil(TILE));
    let params: [u32; 8] = [
        batch as u32,
        m as u32,
        k as u32,
        n as u32,
        tiles_m as u32,
        tiles_n as u32,
        if b_shared { 0 } else { (k * n) as u32 },
        0,
    ];
    let size = d.size() as u64;
    be.dispatch(
        &kernel,
        bytemuck::cast_slice(&params),
        &[
            (a, batch * m * k * size),
            (b, b_len * size),
            (out, batch * m * n * size),
        ],
        batch * tiles_m * tiles_n * 256,
    )
}

fn source(d: DType) -> String {
    let (elem, acc) = types(d);
    let mad = if d.is_complex() {
        "acc + {{ACC}}(x.x * y.x - x.y * y.y, x.x * y.y + x.y * y.x)"
    } else {
        "acc + x * y"
    };
    specialise(
        SOURCE,
        &[
            ("MAD", mad),
            ("ENABLE", if d == DType::F16 { "enable f16;" } else { "" }),
            ("TK", if d.size() >= 16 { "8" } else { "16" }),
            ("IN", elem),
            ("OUT", elem),
            ("ACC", acc),
        ],
    )
}
