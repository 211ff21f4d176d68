//! Reductions on 2^24 f32 (64 MiB), beside the machine's read ceiling (a two-thread
//! streaming integer sum over the same array's bits, measured in the same run) and the anchors ndarray
//! `sum` (one thread) and ndarray + rayon (`par_iter().sum()`). Groups are
//! `<op>/<device>/<size>`; every timed call reads its result back, so the device is done.
//!
//! cargo bench --bench reduce        (STREAMCORE_BENCH_DEVICES=cpu,wgpu-software to choose)

mod common;

use std::hint::black_box;
use std::time::Duration;

use common::devices;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ndarray::Array1;
use ndarray::parallel::prelude::*;
use rayon::slice::ParallelSlice;
use streamcore::prelude::*;

const N: usize = 1 << 24;
const BYTES: u64 = 4 * N as u64;

fn input() -> Array1<f32> {
    Array1::from_shape_fn(N, |i| 0.5 + (i % 1000) as f32 * 1e-3)
}

fn host(c: &mut Criterion) {
    let a = input();
    let mut g = c.benchmark_group("readsum/host");
    g.throughput(Throughput::Bytes(BYTES));
    g.sample_size(20).measurement_time(Duration::from_secs(3));
    // The read ceiling: every core streams its half through a wrapping integer sum of the
    // bits (vectorises fully; no float rounding rules in the way).
    g.bench_function(BenchmarkId::from_parameter("16M"), |b| {
        b.iter(|| {
            a.as_slice()
                .unwrap()
                .par_chunks(1 << 16)
                .map(|c| c.iter().fold(0u32, |m, &x| m.wrapping_add(x.to_bits())))
                .reduce(|| 0, u32::wrapping_add)
        })
    });
    g.finish();
    let mut g = c.benchmark_group("sum/ndarray");
    g.throughput(Throughput::Bytes(BYTES));
    g.sample_size(20).measurement_time(Duration::from_secs(3));
    g.bench_function(BenchmarkId::from_parameter("16M"), |b| {
        b.iter(|| black_box(a.sum()))
    });
    g.finish();
    let mut g = c.benchmark_group("sum/ndarray-rayon");
    g.throughput(Throughput::Bytes(BYTES));
    g.sample_size(20).measurement_time(Duration::from_secs(3));
    g.bench_function(BenchmarkId::from_parameter("16M"), |b| {
        b.iter(|| black_box(a.par_iter().copied().sum::<f32>()))
    });
    g.finish();
}

fn streamcore_sum(c: &mut Criterion) {
    let a = input();
    for dev in devices() {
        let name = dev.info().selector.clone();
        let time = Duration::from_secs(if dev.info().software { 8 } else { 3 });
        let x = a.to_device(&dev).unwrap();
        for (op, f) in [("sum", 0u8), ("max", 1), ("argmax", 2)] {
            let mut g = c.benchmark_group(format!("{op}/{name}"));
            g.throughput(Throughput::Bytes(BYTES));
            g.sample_size(10).measurement_time(time);
            g.bench_function(BenchmarkId::from_parameter("16M"), |b| {
                b.iter(|| match f {
                    0 => black_box(x.sum().unwrap().item().unwrap()),
                    1 => black_box(x.max().unwrap().item().unwrap()),
                    _ => black_box(x.argmax(None).unwrap().item().unwrap() as f32),
                })
            });
            g.finish();
        }
        // Column sums of a 4096 x 4096 matrix (the inner-axis kernel).
        let m = x.reshape(&[4096, 4096]).unwrap();
        let mut g = c.benchmark_group(format!("sum_axis0/{name}"));
        g.throughput(Throughput::Bytes(BYTES));
        g.sample_size(10).measurement_time(time);
        g.bench_function(BenchmarkId::from_parameter("4096x4096"), |b| {
            b.iter_with_large_drop(|| {
                let s = m.sum_axes(&[0], false).unwrap();
                dev.synchronize().unwrap();
                s
            })
        });
        g.finish();
    }
}

criterion_group!(benches, host, streamcore_sum);
criterion_main!(benches);
