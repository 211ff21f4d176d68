//! f32 matmul: ours on every device present beside the `gemm` crate called directly in the
//! same run (the anchor; the CPU backend is built on it, so this measures our overhead).
//! Sizes: 1024^3 on the CPU, 256^3 on a software adapter, 4096^3 on GPUs. Throughput is
//! counted in flops (2 n^3 per product, shown by criterion as elements/s); each timed call
//! reads one element back, so the device is done. The max relative error against the gemm
//! result is printed beside each device before it is timed.
//!
//! cargo bench --bench matmul        (STREAMCORE_BENCH_DEVICES=cpu,wgpu-software to choose)

mod common;

use std::time::Duration;

use common::devices;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use streamcore::prelude::*;

fn size_for(dev: &Device) -> usize {
    match dev.kind() {
        DeviceKind::Cpu => 1024,
        _ if dev.info().software => 256,
        _ => 4096,
    }
}

/// Deterministic inputs in [-1, 1) (never zeros).
fn inputs(n: usize) -> (Vec<f32>, Vec<f32>) {
    let f = |i: usize, s: usize| ((i * s + 17) % 1999) as f32 / 999.5 - 1.0;
    (
        (0..n * n).map(|i| f(i, 7)).collect(),
        (0..n * n).map(|i| f(i, 13)).collect(),
    )
}

/// The anchor: gemm's f32 kernel on every core, row-major [n, n] operands.
fn gemm_f32(a: &[f32], b: &[f32], c: &mut [f32], n: usize) {
    // SAFETY: a, b and c are distinct n * n row-major slices.
    unsafe {
        gemm::gemm(
            n,
            n,
            n,
            c.as_mut_ptr(),
            1,
            n as isize,
            false,
            a.as_ptr(),
            1,
            n as isize,
            b.as_ptr(),
            1,
            n as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::Rayon(rayon::current_num_threads()),
        )
    }
}

fn matmul(c: &mut Criterion) {
    let mut sizes: Vec<usize> = devices().iter().map(size_for).collect();
    sizes.sort_unstable();
    sizes.dedup();
    for &n in &sizes {
        let (a, b) = inputs(n);
        let mut want = vec![0.0f32; n * n];
        gemm_f32(&a, &b, &mut want, n);
        if n <= 1024 {
            let mut g = c.benchmark_group("matmul/gemm");
            g.throughput(Throughput::Elements(2 * (n as u64).pow(3)));
            g.sample_size(10).measurement_time(Duration::from_secs(5));
            let mut out = vec![0.0f32; n * n];
            g.bench_function(BenchmarkId::from_parameter(n), |bch| {
                bch.iter(|| gemm_f32(&a, &b, &mut out, n))
            });
            g.finish();
        }
        for dev in devices().into_iter().filter(|d| size_for(d) == n) {
            let x = Array::from_vec(&dev, a.clone(), &[n, n]).unwrap();
            let y = Array::from_vec(&dev, b.clone(), &[n, n]).unwrap();
            let got = x.matmul(&y).unwrap().to_vec().unwrap();
            let scale = want.iter().fold(0.0f32, |m, v| m.max(v.abs()));
            let err = got
                .iter()
                .zip(&want)
                .fold(0.0f32, |m, (g, w)| m.max((g - w).abs() / scale));
            eprintln!("matmul {n}^3 on {dev}: max error {err:e} of the largest |element|");
            let label = dev.info().selector.clone();
            let mut g = c.benchmark_group(format!("matmul/{label}"));
            g.throughput(Throughput::Elements(2 * (n as u64).pow(3)));
            g.sample_size(10).measurement_time(Duration::from_secs(5));
            g.bench_function(BenchmarkId::from_parameter(n), |bch| {
                bch.iter(|| {
                    let z = x.matmul(&y).unwrap();
                    z.slice(&[
                        streamcore::Slice::range(0, 1),
                        streamcore::Slice::range(0, 1),
                    ])
                    .unwrap()
                    .item()
                    .unwrap()
                })
            });
            g.finish();
        }
    }
}

criterion_group!(benches, matmul);
criterion_main!(benches);
