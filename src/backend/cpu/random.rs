//! CPU side of the `random` family: Philox4x32-10 blocks in parallel chunks, turned into
//! bits, uniforms or Box-Muller normals by the same rules as shaders/random.wgsl.

use half::f16;
use rayon::prelude::*;

use crate::element::DType;
use crate::ops::random::{Distribution, philox4x32_10};

/// The block of element `i` of a draw at `position` from the stream of `seed`.
fn block(seed: u64, position: u64, i: usize) -> [u32; 4] {
    let c = position.wrapping_add(i as u64);
    philox4x32_10(
        [c as u32, (c >> 32) as u32, 0, 0],
        [seed as u32, (seed >> 32) as u32],
    )
}

/// (0, 1] from a word's top 24 bits, never 0 (the log of Box-Muller).
fn open24(w: u32) -> f32 {
    ((w >> 8) + 1) as f32 * (1.0 / 16_777_216.0)
}

/// [0, 1) from two words' top 53 bits.
fn unit53(hi: u32, lo: u32) -> f64 {
    hi as f64 * (1.0 / 4_294_967_296.0) + (lo >> 11) as f64 * (1.0 / 9_007_199_254_740_992.0)
}

fn normal32(w: [u32; 4]) -> f32 {
    let theta = (w[1] >> 8) as f32 * (1.0 / 16_777_216.0);
    (-2.0 * open24(w[0]).ln()).sqrt() * (std::f32::consts::TAU * theta - std::f32::consts::PI).cos()
}

fn normal64(w: [u32; 4]) -> f64 {
    // (0, 1]: 1 - [0, 1).
    let u = 1.0 - unit53(w[0], w[1]);
    (-2.0 * u.ln()).sqrt()
        * (std::f64::consts::TAU * unit53(w[2], w[3]) - std::f64::consts::PI).cos()
}

/// Box-Muller angles are taken in [-pi, pi), where GPU cosines keep their stated accuracy.
/// Fills `out` (`len` elements of `d`).
pub(crate) fn run(
    dist: Distribution,
    d: DType,
    seed: u64,
    position: u64,
    out: &mut [u8],
    len: usize,
) {
    fn fill<T: bytemuck::Pod + Send>(out: &mut [u8], len: usize, f: impl Fn(usize) -> T + Sync) {
        let out: &mut [T] = &mut bytemuck::cast_slice_mut(out)[..len];
        out.par_iter_mut()
            .with_min_len(1 << 14)
            .enumerate()
            .for_each(|(i, v)| *v = f(i));
    }
    let b = |i| block(seed, position, i);
    match (dist, d) {
        (Distribution::Bits, _) => fill(out, len, |i| b(i)[0]),
        (Distribution::Uniform, DType::F16) => fill(out, len, |i| {
            f16::from_f32((b(i)[0] >> 21) as f32 * (1.0 / 2048.0))
        }),
        (Distribution::Uniform, DType::F64) => fill(out, len, |i| {
            let w = b(i);
            unit53(w[0], w[1])
        }),
        (Distribution::Uniform, _) => {
            fill(out, len, |i| (b(i)[0] >> 8) as f32 * (1.0 / 16_777_216.0))
        }
        (Distribution::Normal, DType::F16) => fill(out, len, |i| f16::from_f32(normal32(b(i)))),
        (Distribution::Normal, DType::F64) => fill(out, len, |i| normal64(b(i))),
        (Distribution::Normal, _) => fill(out, len, |i| normal32(b(i))),
    }
}
