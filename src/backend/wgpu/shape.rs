//! wgpu side of the `shape` family (shaders/shape.wgsl): one strided-copy kernel per
//! element size, with 32-bit signed index arithmetic.

use super::WgpuBackend;
use super::kernel::specialise;
use super::memory::WgpuBuffer;
use crate::backend::StridedCopy;
use crate::element::DType;
use crate::error::{Error, Result};

const SOURCE: &str = include_str!("../../../shaders/shape.wgsl");

/// The lowest and one past the highest element index a strided map touches.
pub(crate) fn extent(offset: usize, shape: &[usize], strides: &[isize]) -> (isize, isize) {
    let (mut lo, mut hi) = (offset as isize, offset as isize);
    for (&n, &s) in shape.iter().zip(strides) {
        let span = (n as isize - 1) * s;
        if span < 0 {
            lo += span;
        } else {
            hi += span;
        }
    }
    (lo, hi + 1)
}

pub(crate) fn run(
    be: &WgpuBackend,
    d: DType,
    src: &WgpuBuffer,
    dst: &WgpuBuffer,
    c: &StridedCopy,
) -> Result<()> {
    let size = d.size() as u64;
    let (_, src_end) = extent(c.src_offset, &c.shape, &c.src_strides);
    let (_, dst_end) = extent(c.dst_offset, &c.shape, &c.dst_strides);
    if src_end.max(dst_end) > i32::MAX as isize || c.len() > u32::MAX as usize {
        return Err(Error::SizeOverLimit {
            what: "strided copy (elements, 32-bit indexing)",
            requested: src_end.max(dst_end) as u64,
            limit: i32::MAX as u64,
            device: be.label.clone(),
        });
    }
    let (enable, elem) = match d.size() {
        2 => ("enable f16;", "f16"),
        4 => ("", "u32"),
        8 => ("", "vec2<u32>"),
        _ => ("", "vec4<u32>"),
    };
    let key = format!("shape/copy/{elem}");
    let kernel = be.kernels.get(be, &key, "main", || {
        specialise(SOURCE, &[("ENABLE", enable), ("ELEM", elem)])
    })?;
    let mut block: Vec<u32> = vec![
        c.len() as u32,
        c.shape.len() as u32,
        c.src_offset as u32,
        c.dst_offset as u32,
    ];
    let mut words = |v: &mut dyn Iterator<Item = u32>| {
        let mut w = [0u32; 8];
        for (i, x) in v.enumerate() {
            w[i] = x;
        }
        block.extend(w);
    };
    words(&mut c.shape.iter().map(|&n| n as u32));
    words(&mut c.src_strides.iter().map(|&s| s as i32 as u32));
    words(&mut c.dst_strides.iter().map(|&s| s as i32 as u32));
    be.dispatch(
        &kernel,
        bytemuck::cast_slice(&block),
        &[
            (&src.raw, src_end as u64 * size),
            (&dst.raw, dst_end as u64 * size),
        ],
        c.len() as u64,
    )
}
