//! wgpu side of the `random` family (shaders/random.wgsl): one thread per element.

use super::WgpuBackend;
use super::kernel::specialise;
use crate::element::DType;
use crate::error::{Error, Result};
use crate::ops::random::Distribution;

const SOURCE: &str = include_str!("../../../shaders/random.wgsl");

/// Fills the first `len` elements of `out` (see `Backend::random`).
pub(crate) fn run(
    be: &WgpuBackend,
    dist: Distribution,
    d: DType,
    seed: u64,
    position: u64,
    out: &wgpu::Buffer,
    len: usize,
) -> Result<()> {
    if len as u64 > u32::MAX as u64 {
        return Err(Error::SizeOverLimit {
            what: "random draw (elements, 32-bit indexing)",
            requested: len as u64,
            limit: u32::MAX as u64,
            device: be.label.clone(),
        });
    }
    // 2^-24 for f32 words, 2^-11 for f16, 2^-32 and 2^-53 for the two words of an f64.
    const U24: &str = "5.9604644775390625e-8";
    // 53 bits from two words: w.x, then the top 21 bits of w.y (and of w.z, w.w).
    const U53: &str = "f64(w.x) * 2.3283064365386962890625e-10 \
                       + f64(w.y >> 11u) * 1.1102230246251565404236316680908203125e-16";
    const U53Z: &str = "f64(w.z) * 2.3283064365386962890625e-10 \
                        + f64(w.w >> 11u) * 1.1102230246251565404236316680908203125e-16";
    let normal32 = format!(
        "sqrt(-2.0 * log(f32((w.x >> 8u) + 1u) * {U24})) * cos(6.283185307179586 * (f32(w.y >> 8u) * {U24}) - 3.141592653589793)"
    );
    let value = match (dist, d) {
        (Distribution::Bits, _) => "w.x".to_string(),
        (Distribution::Uniform, DType::F16) => "f16(f32(w.x >> 21u) * 0.00048828125)".into(),
        (Distribution::Uniform, DType::F32) => format!("f32(w.x >> 8u) * {U24}"),
        (Distribution::Uniform, DType::F64) => U53.into(),
        (Distribution::Normal, DType::F16) => format!("f16({normal32})"),
        (Distribution::Normal, DType::F32) => normal32,
        // Our f64 log and cos (math64), which read bits as u64.
        (Distribution::Normal, DType::F64) => {
            if !be.features.contains(wgpu::Features::SHADER_INT64) {
                return Err(Error::DtypeUnsupported {
                    dtype: d,
                    device: be.label.clone(),
                    reason: "normal draws of f64 need 64-bit integers in shaders \
                             (SHADER_INT64); this device lacks them"
                        .into(),
                });
            }
            format!(
                "sqrt(-2.0lf * ln64(1.0lf - ({U53}))) * cos64(6.283185307179586lf * ({U53Z}) \
                 - 3.141592653589793lf)"
            )
        }
        (_, _) => {
            return Err(Error::DtypeUnsupported {
                dtype: d,
                device: be.label.clone(),
                reason: format!("{} draws of {d} are not defined", dist.name()),
            });
        }
    };
    let helpers = if (dist, d) == (Distribution::Normal, DType::F64) {
        super::math64::helpers()
    } else {
        String::new()
    };
    let (elem, _) = super::elementwise::types(d);
    let key = format!("random/{}/{d}", dist.name());
    let kernel = be.kernels.get(be, &key, "main", || {
        specialise(
            SOURCE,
            &[
                ("ENABLE", if d == DType::F16 { "enable f16;" } else { "" }),
                ("OUT", elem),
                ("HELPERS", &helpers),
                ("VALUE", &value),
            ],
        )
    })?;
    let params: [u32; 8] = [
        len as u32,
        position as u32,
        (position >> 32) as u32,
        seed as u32,
        (seed >> 32) as u32,
        0,
        0,
        0,
    ];
    be.dispatch(
        &kernel,
        bytemuck::cast_slice(&params),
        &[(out, len as u64 * d.size() as u64)],
        len as u64,
    )
}
