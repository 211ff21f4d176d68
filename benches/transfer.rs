//! Transfers: host <-> device bandwidth for 64 MiB of f32 and the latency of a 1024-element
//! round trip, on every device present, beside the host's own copy ceilings measured in the
//! same run. Groups are named `<op>/<device>/<size>`; every timed call ends with the data
//! on the host or with `synchronize`, so no queued work escapes the clock.
//!
//! cargo bench --bench transfer            (STREAMCORE_BENCH_DEVICES=cpu,wgpu-software to choose)

mod common;

use std::hint::black_box;
use std::time::Duration;

use common::devices;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use streamcore::prelude::*;

const BIG: usize = 16 << 20; // f32 elements: 64 MiB
const SMALL: usize = 1024;

fn short(dev: &Device) -> String {
    dev.info().selector.clone()
}

fn host_ceilings(c: &mut Criterion) {
    let src: Vec<f32> = (0..BIG).map(|i| i as f32).collect();
    let mut dst = vec![0f32; BIG];
    let mut g = c.benchmark_group("memcpy/host");
    g.throughput(Throughput::Bytes((BIG * 4) as u64));
    g.sample_size(20).measurement_time(Duration::from_secs(3));
    // Copy into memory that is already touched: the machine's single-thread copy ceiling.
    g.bench_function(BenchmarkId::from_parameter("64MiB"), |b| {
        b.iter(|| dst.copy_from_slice(black_box(&src)))
    });
    g.finish();
    let mut g = c.benchmark_group("to_vec/host");
    g.throughput(Throughput::Bytes((BIG * 4) as u64));
    g.sample_size(20).measurement_time(Duration::from_secs(3));
    // What any API that returns a new Vec pays: allocation and first touch of fresh pages.
    g.bench_function(BenchmarkId::from_parameter("64MiB"), |b| {
        b.iter_with_large_drop(|| black_box(&src).to_vec())
    });
    g.finish();
}

fn transfers(c: &mut Criterion) {
    let host = ndarray::Array1::from_shape_fn(BIG, |i| i as f32);
    let small: Vec<f32> = (0..SMALL).map(|i| i as f32).collect();
    for dev in devices() {
        let name = short(&dev);
        let slow = dev.info().software;
        let time = Duration::from_secs(if slow { 6 } else { 3 });

        let mut g = c.benchmark_group(format!("to_device/{name}"));
        g.throughput(Throughput::Bytes((BIG * 4) as u64));
        g.sample_size(10).measurement_time(time);
        g.bench_function(BenchmarkId::from_parameter("64MiB"), |b| {
            b.iter_with_large_drop(|| {
                let a = host.to_device(&dev).unwrap();
                dev.synchronize().unwrap();
                a
            })
        });
        g.finish();

        let on_dev = host.to_device(&dev).unwrap();
        let mut g = c.benchmark_group(format!("to_ndarray/{name}"));
        g.throughput(Throughput::Bytes((BIG * 4) as u64));
        g.sample_size(10).measurement_time(time);
        g.bench_function(BenchmarkId::from_parameter("64MiB"), |b| {
            // Freeing the 64 MiB result is the caller's business, not the transfer's.
            b.iter_with_large_drop(|| on_dev.to_ndarray().unwrap())
        });
        g.finish();

        // Into host memory the caller reuses: no fresh pages to fault in.
        let mut out = vec![0f32; BIG];
        let mut g = c.benchmark_group(format!("copy_to_slice/{name}"));
        g.throughput(Throughput::Bytes((BIG * 4) as u64));
        g.sample_size(10).measurement_time(time);
        g.bench_function(BenchmarkId::from_parameter("64MiB"), |b| {
            b.iter(|| on_dev.copy_to_slice(black_box(&mut out)).unwrap())
        });
        g.finish();

        let mut g = c.benchmark_group(format!("roundtrip/{name}"));
        g.throughput(Throughput::Bytes((SMALL * 4) as u64));
        g.sample_size(50).measurement_time(Duration::from_secs(2));
        g.bench_function(BenchmarkId::from_parameter(SMALL), |b| {
            b.iter(|| {
                let a = Array::from_slice(&dev, &small, &[SMALL]).unwrap();
                black_box(a.to_vec().unwrap())
            })
        });
        g.finish();
    }
}

criterion_group!(benches, host_ceilings, transfers);
criterion_main!(benches);
