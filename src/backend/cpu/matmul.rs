//! CPU side of the `matmul` family: the `gemm` crate's SIMD kernels for floats and complex
//! (f16 through f32 copies, since gemm's f16 kernel sums in f16), a row-parallel wrapping loop for integers. Large products are
//! parallel inside; stacks of small ones are parallel across the stack.

use half::f16;
use num_complex::Complex;
use rayon::prelude::*;

use crate::element::DType;
use crate::ops::matmul::MatmulDims;

/// Products with at least this many multiply-adds use every thread inside gemm.
const PAR_MIN: usize = 1 << 18;

/// `out = a @ b` for `dims` of `d` (see `Backend::matmul`).
pub(crate) fn run(d: DType, a: &[u8], b: &[u8], out: &mut [u8], dims: MatmulDims) {
    use bytemuck::{cast_slice as c, cast_slice_mut as o};
    match d {
        DType::F16 => half_via_f32(c(a), c(b), o(out), dims),
        DType::F32 => float(c(a), c(b), o(out), dims, 1.0f32),
        DType::F64 => float(c(a), c(b), o(out), dims, 1.0f64),
        DType::C32 => float(c(a), c(b), o(out), dims, Complex::new(1.0f32, 0.0)),
        DType::C64 => float(c(a), c(b), o(out), dims, Complex::new(1.0f64, 0.0)),
        // Wrapping products and sums have the same bits for i32 and u32.
        DType::I32 | DType::U32 => int(c(a), c(b), o(out), dims),
    }
}

/// The right matrix of product `i`.
fn rhs<T>(b: &[T], i: usize, dims: MatmulDims) -> &[T] {
    if dims.b_shared {
        &b[..dims.k * dims.n]
    } else {
        &b[i * dims.k * dims.n..(i + 1) * dims.k * dims.n]
    }
}

fn float<T: Copy + Send + Sync + 'static>(
    a: &[T],
    b: &[T],
    out: &mut [T],
    dims: MatmulDims,
    one: T,
) {
    let MatmulDims { batch, m, k, n, .. } = dims;
    let one_product = |i: usize, dst: &mut [T], par: gemm::Parallelism| {
        let (lhs, rhs) = (&a[i * m * k..(i + 1) * m * k], rhs(b, i, dims));
        debug_assert!(dst.len() == m * n && rhs.len() == k * n);
        // SAFETY: dst, lhs and rhs are row-major [m, n], [m, k] and [k, n] slices (row
        // stride = columns, column stride 1) that do not overlap; gemm reads and writes
        // only inside them. With read_dst false, dst is overwritten by 1 * lhs @ rhs.
        unsafe {
            gemm::gemm(
                m,
                n,
                k,
                dst.as_mut_ptr(),
                1,
                n as isize,
                false,
                lhs.as_ptr(),
                1,
                k as isize,
                rhs.as_ptr(),
                1,
                n as isize,
                one,
                one,
                false,
                false,
                false,
                par,
            )
        }
    };
    let out = &mut out[..batch * m * n];
    if m * n * k >= PAR_MIN || batch == 1 {
        let par = if m * n * k >= PAR_MIN {
            gemm::Parallelism::Rayon(rayon::current_num_threads())
        } else {
            gemm::Parallelism::None
        };
        for (i, dst) in out.chunks_mut(m * n).enumerate() {
            one_product(i, dst, par);
        }
    } else {
        out.par_chunks_mut(m * n)
            .enumerate()
            .for_each(|(i, dst)| one_product(i, dst, gemm::Parallelism::None));
    }
}

/// f16 products summed in f32: the operands widened once, the result rounded once.
fn half_via_f32(a: &[f16], b: &[f16], out: &mut [f16], dims: MatmulDims) {
    let MatmulDims {
        batch,
        m,
        k,
        n,
        b_shared,
    } = dims;
    let widen = |x: &[f16]| -> Vec<f32> {
        x.par_iter()
            .with_min_len(1 << 14)
            .map(|v| v.to_f32())
            .collect()
    };
    let b_len = if b_shared { k * n } else { batch * k * n };
    let (a32, b32) = (widen(&a[..batch * m * k]), widen(&b[..b_len]));
    let mut o32 = vec![0.0f32; batch * m * n];
    float(&a32, &b32, &mut o32, dims, 1.0f32);
    out[..batch * m * n]
        .par_iter_mut()
        .with_min_len(1 << 14)
        .zip(&o32)
        .for_each(|(d, &v)| *d = f16::from_f32(v));
}

fn int(a: &[u32], b: &[u32], out: &mut [u32], dims: MatmulDims) {
    let MatmulDims { batch, m, k, n, .. } = dims;
    out[..batch * m * n]
        .par_chunks_mut(n)
        .with_min_len((PAR_MIN / (n * k)).max(1))
        .enumerate()
        .for_each(|(row, dst)| {
            let (lhs, rhs) = (&a[row * k..(row + 1) * k], rhs(b, row / m, dims));
            dst.fill(0);
            for (kk, &x) in lhs.iter().enumerate() {
                for (d, &y) in dst.iter_mut().zip(&rhs[kk * n..(kk + 1) * n]) {
                    *d = d.wrapping_add(x.wrapping_mul(y));
                }
            }
        });
}
