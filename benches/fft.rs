//! Complex f32 FFTs on every device present, beside the anchors run in the same process:
//! rustfft on one thread over the same batch (the reference point), timed both ways a
//! caller keeps its input: a copy then the in-place transform (`fft/rustfft-1thread/<id>`) and
//! the out-of-place call that leaves the input alone (`.../immutable/<id>`); and the CPU's
//! copy bandwidth (a memcpy of the same bytes) as the memory ceiling. Groups are
//! `fft/<device>/<n>x<batch>` (batch 1: single transforms) and `fft2/<device>/<n>^2`;
//! throughput counts 16 bytes per element (one complex read and one written), so criterion's
//! GiB/s is the "effective GB/s"; benchFFT GFLOP/s is 5 N log2 N per transform over the
//! same time. Each timed call ends with `Device::synchronize`, so the device is done.
//!
//! cargo bench --bench fft        (STREAMCORE_BENCH_DEVICES=cpu,wgpu-software to choose)

mod common;

use std::time::Duration;

use common::devices;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rustfft::FftPlanner;
use streamcore::fft;
use streamcore::prelude::*;

type C = Complex32;

/// Elements per batched case: 2^22 (32 MiB) on the CPU and GPUs, 2^18 on a software adapter.
fn total_for(dev: &Device) -> usize {
    if dev.info().software {
        1 << 18
    } else {
        1 << 22
    }
}

fn input(len: usize) -> Vec<C> {
    (0..len)
        .map(|i| {
            C::new(
                ((i * 7 + 3) % 1001) as f32 / 500.0 - 1.0,
                ((i * 13) % 997) as f32 / 498.5 - 1.0,
            )
        })
        .collect()
}

fn config(g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>, bytes: u64) {
    g.throughput(Throughput::Bytes(bytes));
    g.sample_size(10).measurement_time(Duration::from_secs(3));
}

fn one_d(c: &mut Criterion) {
    for log in [10u32, 12, 16, 20] {
        let n = 1usize << log;
        let mut totals: Vec<usize> = devices().iter().map(total_for).collect();
        totals.sort_unstable();
        totals.dedup();
        // Single transforms (batch 1) on the CPU and hardware GPUs, then the batched cases.
        let single = devices().iter().any(|d| !d.info().software) && n < totals[0];
        for total in single.then_some(n).into_iter().chain(totals) {
            let batch = (total / n).max(1);
            let len = n * batch;
            let host = input(len);
            let bytes = 16 * len as u64;
            let id = format!("{n}x{batch}");
            // Anchors: the copy ceiling and single-threaded rustfft over the whole batch.
            let mut g = c.benchmark_group("copy/host");
            config(&mut g, bytes);
            let mut dst = host.clone();
            g.bench_function(BenchmarkId::from_parameter(&id), |b| {
                b.iter(|| dst.copy_from_slice(&host))
            });
            g.finish();
            let plan = FftPlanner::<f32>::new().plan_fft_forward(n);
            let mut g = c.benchmark_group("fft/rustfft-1thread");
            config(&mut g, bytes);
            let mut buf = host.clone();
            let mut scratch = vec![C::new(0.0, 0.0); plan.get_inplace_scratch_len()];
            g.bench_function(BenchmarkId::from_parameter(&id), |b| {
                b.iter(|| {
                    buf.copy_from_slice(&host);
                    plan.process_with_scratch(&mut buf, &mut scratch)
                })
            });
            // rustfft's other non-destructive call: input left alone, no copy first.
            let mut scratch = vec![C::new(0.0, 0.0); plan.get_immutable_scratch_len()];
            g.bench_function(BenchmarkId::new("immutable", &id), |b| {
                b.iter(|| plan.process_immutable_with_scratch(&host, &mut buf, &mut scratch))
            });
            g.finish();
            let want = {
                let mut w = host.clone();
                plan.process(&mut w);
                w
            };
            let runs_here = |d: &Device| {
                if total == n && single {
                    !d.info().software
                } else {
                    total_for(d) == total
                }
            };
            for dev in devices().into_iter().filter(runs_here) {
                let x = Array::from_vec(&dev, host.clone(), &[batch, n]).unwrap();
                let got = fft::fft(&x).unwrap().to_vec().unwrap();
                let (mut e, mut r) = (0.0f64, 0.0f64);
                for (a, b) in got.iter().zip(&want) {
                    e += (a - b).norm_sqr() as f64;
                    r += b.norm_sqr() as f64;
                }
                eprintln!(
                    "fft {id} on {dev}: relative L2 difference from rustfft {:.2e}",
                    (e / r).sqrt()
                );
                let mut g = c.benchmark_group(format!("fft/{}", dev.info().selector));
                config(&mut g, bytes);
                g.bench_function(BenchmarkId::from_parameter(&id), |b| {
                    b.iter(|| {
                        let y = fft::fft(&x).unwrap();
                        dev.synchronize().unwrap();
                        y
                    })
                });
                g.finish();
            }
        }
    }
}

fn two_d(c: &mut Criterion) {
    let n = 1024;
    let host = input(n * n);
    let bytes = 16 * (n * n) as u64;
    // Anchor: single-threaded rustfft, rows then columns (through a transpose each way).
    let plan = FftPlanner::<f32>::new().plan_fft_forward(n);
    let mut g = c.benchmark_group("fft2/rustfft-1thread");
    config(&mut g, bytes);
    let mut buf = host.clone();
    let mut t = host.clone();
    g.bench_function(BenchmarkId::from_parameter("1024^2"), |b| {
        b.iter(|| {
            buf.copy_from_slice(&host);
            plan.process(&mut buf);
            transpose::transpose(&buf, &mut t, n, n);
            plan.process(&mut t);
            transpose::transpose(&t, &mut buf, n, n);
        })
    });
    g.finish();
    for dev in devices().into_iter().filter(|d| !d.info().software) {
        let x = Array::from_vec(&dev, host.clone(), &[n, n]).unwrap();
        let mut g = c.benchmark_group(format!("fft2/{}", dev.info().selector));
        config(&mut g, bytes);
        g.bench_function(BenchmarkId::from_parameter("1024^2"), |b| {
            b.iter(|| {
                let y = fft::fft2(&x).unwrap();
                dev.synchronize().unwrap();
                y
            })
        });
        g.finish();
    }
}

criterion_group!(benches, one_d, two_d);
criterion_main!(benches);
