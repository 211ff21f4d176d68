//! wgpu side of the `creation` family (shaders/creation.wgsl): pattern fill, which needs no
//! shader feature for any dtype, and ramps specialised per dtype.

use super::WgpuBackend;
use super::kernel::{section, specialise};
use super::memory::WgpuBuffer;
use crate::backend::CreationOp;
use crate::element::DType;
use crate::error::{Error, Result};

const SOURCE: &str = include_str!("../../../shaders/creation.wgsl");

pub(crate) fn run(be: &WgpuBackend, dst: &WgpuBuffer, bytes: u64, op: &CreationOp) -> Result<()> {
    match op {
        CreationOp::Fill { pattern } => fill(be, dst, bytes, pattern),
        CreationOp::Ramp {
            dtype,
            len,
            start,
            step,
            last,
        } => ramp(be, dst, *dtype, *len as u64, *start, *step, *last),
    }
}

fn fill(be: &WgpuBackend, dst: &WgpuBuffer, bytes: u64, pattern: &[u8]) -> Result<()> {
    let words = bytes.div_ceil(4);
    if pattern.iter().all(|&b| b == 0) {
        let mut rec = be.record();
        rec.encoder().clear_buffer(&dst.raw, 0, Some(words * 4));
        rec.finish(words * 4);
        return be.check_health();
    }
    // Tile the element's bytes over 16 bytes: four words, repeating every `period` words.
    let tile: Vec<u8> = pattern.iter().copied().cycle().take(16).collect();
    let w: Vec<u32> = tile
        .chunks(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let period = (pattern.len().max(4) / 4) as u32;
    let k = be.kernels.get(be, "creation/fill", "fill", || {
        specialise(&section(SOURCE, "fill"), &[("ENABLE", "")])
    })?;
    be.dispatch_chunked(&k, &dst.raw, words, 4, &[], |_, count| {
        let mut p = Vec::with_capacity(32);
        for v in [count as u32, period, 0, 0, w[0], w[1], w[2], w[3]] {
            p.extend_from_slice(&v.to_le_bytes());
        }
        p
    })
}

/// WGSL storage type, computation type and conversion for each dtype.
fn ramp_types(d: DType) -> (&'static str, &'static str, &'static str) {
    match d {
        DType::F16 => ("f16", "f32", "f16(v)"),
        DType::F32 => ("f32", "f32", "v"),
        DType::F64 => ("f64", "f64", "v"),
        DType::I32 => ("i32", "i32", "v"),
        DType::U32 => ("u32", "u32", "v"),
        DType::C32 => ("vec2<f32>", "f32", "vec2<f32>(v, 0.0)"),
        DType::C64 => ("vec2<f64>", "f64", "vec2<f64>(v, 0.0)"),
    }
}

/// One value of the ramp's uniform block in the computation type's bytes.
fn calc_bytes(d: DType, v: f64) -> Vec<u8> {
    match d {
        DType::F64 | DType::C64 => v.to_le_bytes().to_vec(),
        DType::I32 | DType::U32 => ((v as i64) as i32).to_le_bytes().to_vec(),
        _ => (v as f32).to_le_bytes().to_vec(),
    }
}

fn ramp(
    be: &WgpuBackend,
    dst: &WgpuBuffer,
    dtype: DType,
    len: u64,
    start: f64,
    step: f64,
    last: Option<f64>,
) -> Result<()> {
    if len > u32::MAX as u64 {
        return Err(Error::SizeOverLimit {
            what: "ramp (arange/linspace) element count",
            requested: len,
            limit: u32::MAX as u64,
            device: be.label.clone(),
        });
    }
    let (elem, calc, store) = ramp_types(dtype);
    let enable = if dtype == DType::F16 {
        "enable f16;"
    } else {
        ""
    };
    let key = format!("creation/ramp/{dtype}");
    let k = be.kernels.get(be, &key, "ramp", || {
        specialise(
            &section(SOURCE, "ramp"),
            &[
                ("ENABLE", enable),
                ("ELEM", elem),
                ("CALC", calc),
                ("STORE", store),
            ],
        )
    })?;
    be.dispatch_chunked(
        &k,
        &dst.raw,
        len,
        dtype.size() as u64,
        &[],
        |first, count| {
            let mut p = Vec::with_capacity(64);
            for v in [
                count as u32,
                first as u32,
                last.is_some() as u32,
                len as u32,
            ] {
                p.extend_from_slice(&v.to_le_bytes());
            }
            for v in [start, step, last.unwrap_or(0.0)] {
                p.extend(calc_bytes(dtype, v));
            }
            p.resize(64, 0);
            p
        },
    )
}
