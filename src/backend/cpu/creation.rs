//! CPU kernels of the `creation` op family: fill with a byte pattern, linear ramps.
//! Parallel over chunks with the device's rayon pool; the inner loops are multiversioned.

use rayon::prelude::*;

use super::simd::multiversion;
use crate::element::{DType, Element};

/// Elements per parallel task: large enough to amortise scheduling, small enough to balance.
const CHUNK: usize = 1 << 16;
/// Below this many bytes the kernels run on the calling thread (see `CpuBackend::run`).
const SERIAL_BYTES: usize = super::PARALLEL_MIN;

/// Writes `pattern` (one element's bytes) repeatedly over `dst`.
pub(crate) fn fill(dst: &mut [u8], pattern: &[u8]) {
    let k = pattern.len();
    debug_assert!(k > 0 && dst.len().is_multiple_of(k));
    if dst.len() < SERIAL_BYTES {
        return fill_chunk(dst, pattern);
    }
    dst.par_chunks_mut(CHUNK * k)
        .for_each(|c| fill_chunk(c, pattern));
}

fn fill_chunk(dst: &mut [u8], pattern: &[u8]) {
    if pattern.iter().all(|&b| b == pattern[0]) {
        dst.fill(pattern[0]);
        return;
    }
    // Double the filled prefix each step: log2(n) memcpys instead of n small copies.
    let k = pattern.len().min(dst.len());
    dst[..k].copy_from_slice(&pattern[..k]);
    let mut done = k;
    while done < dst.len() {
        let n = done.min(dst.len() - done);
        dst.copy_within(..n, done);
        done += n;
    }
}

/// `dst[i] = start + i * step` computed in f64 and rounded once to the element type;
/// `last`, when given, replaces the final element (linspace's exact endpoint).
pub(crate) fn ramp(dst: &mut [u8], dtype: DType, start: f64, step: f64, last: Option<f64>) {
    macro_rules! go {
        ($t:ty) => {{
            let d: &mut [$t] = bytemuck::cast_slice_mut(dst);
            ramp_typed(d, start, step);
            if let (Some(v), Some(x)) = (last, d.last_mut()) {
                *x = <$t>::from_f64(v);
            }
        }};
    }
    match dtype {
        DType::F16 => go!(half::f16),
        DType::F32 => go!(f32),
        DType::F64 => go!(f64),
        DType::I32 => go!(i32),
        DType::U32 => go!(u32),
        DType::C32 => go!(num_complex::Complex<f32>),
        DType::C64 => go!(num_complex::Complex<f64>),
    }
}

fn ramp_typed<T: Element>(dst: &mut [T], start: f64, step: f64) {
    if std::mem::size_of_val(dst) < SERIAL_BYTES {
        return ramp_chunk(dst, 0.0, start, step);
    }
    dst.par_chunks_mut(CHUNK)
        .enumerate()
        .for_each(|(c, d)| ramp_chunk(d, (c * CHUNK) as f64, start, step));
}

multiversion! {
    fn ramp_chunk<T: Element>(dst: &mut [T], first: f64, start: f64, step: f64) {
        for (i, x) in dst.iter_mut().enumerate() {
            *x = T::from_f64(start + (first + i as f64) * step);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_repeats_any_pattern() {
        let mut d = vec![0u8; 16 * 3 + 16 * CHUNK];
        let p: Vec<u8> = (1..=16).collect();
        fill(&mut d, &p);
        assert!(d.chunks(16).all(|c| c == p.as_slice()));
    }

    #[test]
    fn ramp_rounds_once() {
        let mut d = vec![0u8; 4 * 5];
        ramp(&mut d, DType::F32, 0.1, 0.2, Some(0.9));
        let v: &[f32] = bytemuck::cast_slice(&d);
        assert_eq!(v, &[0.1f32, 0.3, 0.5, 0.7, 0.9]);
    }
}
