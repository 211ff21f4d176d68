//! Elementwise ops on 2^24 f32 (64 MiB per operand), beside the machine's own ceiling (a
//! two-thread triad a = b + s * c measured in the same run) and the anchor, ndarray with
//! rayon, in the same process. Groups are `<op>/<device>/<size>`; every timed call ends with
//! the result computed (CPU) or the device synchronised (GPU). Also: a chain of 100 queued
//! elementwise ops that waits once, at the end.
//!
//! cargo bench --bench elementwise        (STREAMCORE_BENCH_DEVICES=cpu,wgpu-software to choose)

mod common;

use std::hint::black_box;
use std::time::Duration;

use common::devices;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ndarray::{Array1, Zip};
use streamcore::prelude::*;
use streamcore::{BinaryOp, UnaryOp};

const N: usize = 1 << 24;
/// Bytes a binary op moves: two reads and one write.
const BINARY_BYTES: u64 = 3 * 4 * N as u64;

fn inputs() -> (Array1<f32>, Array1<f32>) {
    // Never zeros: values that keep every op finite and non-trivial.
    let a = Array1::from_shape_fn(N, |i| 1.0 + (i % 1000) as f32 * 1e-3);
    let b = Array1::from_shape_fn(N, |i| 0.5 + (i % 777) as f32 * 1e-3);
    (a, b)
}

fn host_anchor(c: &mut Criterion) {
    let (a, b) = inputs();
    let mut out = Array1::<f32>::zeros(N);
    let mut g = c.benchmark_group("triad/host");
    g.throughput(Throughput::Bytes(BINARY_BYTES));
    g.sample_size(20).measurement_time(Duration::from_secs(3));
    // The machine's ceiling for a two-input stream: out = a + s * b on every core.
    g.bench_function(BenchmarkId::from_parameter("16M"), |bch| {
        bch.iter(|| {
            Zip::from(&mut out)
                .and(&a)
                .and(&b)
                .par_for_each(|o, &x, &y| *o = x + 3.0 * y)
        })
    });
    g.finish();
    for (name, f) in [("add", 0u8), ("mul", 1)] {
        let mut g = c.benchmark_group(format!("{name}/ndarray-rayon"));
        g.throughput(Throughput::Bytes(BINARY_BYTES));
        g.sample_size(20).measurement_time(Duration::from_secs(3));
        // The anchor as a user writes it: a new array per op (par_map_collect).
        g.bench_function(BenchmarkId::from_parameter("16M"), |bch| {
            bch.iter_with_large_drop(|| {
                Zip::from(&a)
                    .and(&b)
                    .par_map_collect(|&x, &y| if f == 0 { x + y } else { x * y })
            })
        });
        g.finish();
    }
    let mut g = c.benchmark_group("fma/ndarray-rayon");
    g.throughput(Throughput::Bytes(4 * 4 * N as u64));
    g.sample_size(20).measurement_time(Duration::from_secs(3));
    let third = &b * 0.5f32;
    g.bench_function(BenchmarkId::from_parameter("16M"), |bch| {
        bch.iter_with_large_drop(|| {
            Zip::from(&a)
                .and(&b)
                .and(&third)
                .par_map_collect(|&x, &y, &z| x.mul_add(y, z))
        })
    });
    g.finish();
    let mut g = c.benchmark_group("exp/ndarray-rayon");
    g.throughput(Throughput::Bytes(2 * 4 * N as u64));
    g.sample_size(10).measurement_time(Duration::from_secs(3));
    g.bench_function(BenchmarkId::from_parameter("16M"), |bch| {
        bch.iter_with_large_drop(|| a.view().into_par_iter_map_exp())
    });
    g.finish();
}

/// `Zip::par_map_collect` of exp over one array (an anchor for unary math).
trait ParExp {
    fn into_par_iter_map_exp(self) -> Array1<f32>;
}
impl ParExp for ndarray::ArrayView1<'_, f32> {
    fn into_par_iter_map_exp(self) -> Array1<f32> {
        Zip::from(self).par_map_collect(|&x| x.exp())
    }
}

fn streamcore_ops(c: &mut Criterion) {
    let (a, b) = inputs();
    for dev in devices() {
        let name = dev.info().selector.clone();
        let slow = dev.info().software;
        let x = a.to_device(&dev).unwrap();
        let y = b.to_device(&dev).unwrap();
        let time = Duration::from_secs(if slow { 8 } else { 3 });
        for op in [BinaryOp::Add, BinaryOp::Mul] {
            let mut g = c.benchmark_group(format!("{}/{name}", op.name()));
            g.throughput(Throughput::Bytes(BINARY_BYTES));
            g.sample_size(10).measurement_time(time);
            g.bench_function(BenchmarkId::from_parameter("16M"), |bch| {
                bch.iter_with_large_drop(|| {
                    let z = x.binary_op(&y, op).unwrap();
                    dev.synchronize().unwrap();
                    z
                })
            });
            g.finish();
        }
        // fma reads three distinct operands and writes one.
        let w = (&y * 0.5f32).unwrap();
        let mut g = c.benchmark_group(format!("fma/{name}"));
        g.throughput(Throughput::Bytes(4 * 4 * N as u64));
        g.sample_size(10).measurement_time(time);
        g.bench_function(BenchmarkId::from_parameter("16M"), |bch| {
            bch.iter_with_large_drop(|| {
                let z = x.fma(&y, &w).unwrap();
                dev.synchronize().unwrap();
                z
            })
        });
        g.finish();
        for op in [UnaryOp::Exp, UnaryOp::Sin] {
            let mut g = c.benchmark_group(format!("{}/{name}", op.name()));
            g.throughput(Throughput::Bytes(2 * 4 * N as u64));
            g.sample_size(10).measurement_time(time);
            g.bench_function(BenchmarkId::from_parameter("16M"), |bch| {
                bch.iter_with_large_drop(|| {
                    let z = x.unary_op(op).unwrap();
                    dev.synchronize().unwrap();
                    z
                })
            });
            g.finish();
        }
        // 100 dependent ops queued back to back, one wait at the end: time per op. At 1K
        // elements this is the fixed cost of an op (recording, submission, launch).
        let mut g = c.benchmark_group(format!("chain100/{name}"));
        g.throughput(Throughput::Elements(100));
        g.sample_size(10).measurement_time(time);
        for (label, len) in [("1K", 1 << 10), ("1M", 1 << 20)] {
            let small = Array::<f32>::linspace(&dev, 0.0, 1.0, len).unwrap();
            g.bench_function(BenchmarkId::from_parameter(label), |bch| {
                bch.iter(|| {
                    let mut z = small.clone();
                    for _ in 0..100 {
                        z = (&z * 1.0001).unwrap();
                    }
                    dev.synchronize().unwrap();
                    black_box(z)
                })
            });
        }
        g.finish();
    }
}

criterion_group!(benches, host_anchor, streamcore_ops);
criterion_main!(benches);
