//! Fractals: Mandelbrot f32 (1024x768, 500 iterations; 256x192 on a software adapter) on
//! every device present, with separately rounded steps (`<w>x<h>`) and with fused
//! multiply-adds (`<w>x<h>-fused`), a plain scalar single-threaded loop over the same image, and
//! CorePy's Lyapunov setup (768x512, "AB", 100 + 500 iterations). Throughput is honest
//! flops: executed iterations (summed over pixels, counted once before timing) times the
//! documented flops per iteration, so criterion's "elem/s" reads as flop/s. The CPU's FMA
//! ceiling is measured first, in the same process, and printed.
//!
//! cargo bench --bench fractal        (STREAMCORE_BENCH_DEVICES=cpu,wgpu-software to choose)

mod common;

use std::time::Duration;

use common::devices;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use streamcore::fractal::{self, Arithmetic, EscapeParams, LyapunovParams, Region};
use streamcore::prelude::*;

fn view(dev: &Device) -> EscapeParams {
    let (w, h) = if dev.info().software {
        (256, 192)
    } else {
        (1024, 768)
    };
    EscapeParams {
        width: w,
        height: h,
        region: Region::centered(-0.75, 0.0, 3.5, w, h),
        max_iter: 500,
        ..Default::default()
    }
}

/// The plain loop a newcomer would write: one pixel at a time, one thread, f32.
fn scalar(p: &EscapeParams) -> u64 {
    let r = p.region;
    let (dx, dy) = (
        (r.x1 - r.x0) / p.width as f64,
        (r.y1 - r.y0) / p.height as f64,
    );
    let mut total = 0u64;
    for row in 0..p.height {
        let cy = (r.y1 - (row as f64 + 0.5) * dy) as f32;
        for col in 0..p.width {
            let cx = (r.x0 + (col as f64 + 0.5) * dx) as f32;
            let (mut x, mut y, mut n) = (0f32, 0f32, 0u32);
            while n < p.max_iter && x * x + y * y <= 65536.0 {
                let t = x * x - y * y + cx;
                y = 2.0 * x * y + cy;
                x = t;
                n += 1;
            }
            total += n as u64;
        }
    }
    total
}

fn benches(c: &mut Criterion) {
    eprintln!(
        "CPU FMA ceiling (same run): {:.1} GFLOP/s",
        streamcore::fma_ceiling_gflops()
    );
    let cpu_view = view(&Device::cpu());
    let iters = fractal::mandelbrot::<f32>(&Device::cpu(), &cpu_view)
        .unwrap()
        .executed_iterations()
        .unwrap();
    let flops = (iters * fractal::ESCAPE_FLOPS_PER_ITER) as u64;
    let mut g = c.benchmark_group("mandelbrot/scalar-1thread");
    g.throughput(Throughput::Elements(flops));
    g.sample_size(10).measurement_time(Duration::from_secs(5));
    g.bench_function(BenchmarkId::from_parameter("1024x768"), |b| {
        b.iter(|| scalar(&cpu_view))
    });
    g.finish();
    for dev in devices() {
        for arithmetic in [Arithmetic::Separate, Arithmetic::Fused] {
            let p = EscapeParams {
                arithmetic,
                ..view(&dev)
            };
            let img = fractal::mandelbrot::<f32>(&dev, &p).unwrap();
            let iters = img.executed_iterations().unwrap();
            let id = match arithmetic {
                Arithmetic::Separate => format!("{}x{}", p.width, p.height),
                Arithmetic::Fused => format!("{}x{}-fused", p.width, p.height),
            };
            eprintln!("mandelbrot {id} on {dev}: {iters:.4e} executed iterations");
            let mut g = c.benchmark_group(format!("mandelbrot/{}", dev.info().selector));
            g.throughput(Throughput::Elements(
                (iters * fractal::ESCAPE_FLOPS_PER_ITER) as u64,
            ));
            g.sample_size(10).measurement_time(Duration::from_secs(5));
            g.bench_function(BenchmarkId::from_parameter(id), |b| {
                b.iter(|| {
                    let r = fractal::mandelbrot::<f32>(&dev, &p).unwrap();
                    dev.synchronize().unwrap();
                    r
                })
            });
            g.finish();
        }
        if dev.info().software {
            continue;
        }
        let l = LyapunovParams::corepy();
        let img = fractal::lyapunov(&dev, &l).unwrap();
        let iters = img.executed_iterations().unwrap();
        let mut g = c.benchmark_group(format!("lyapunov/{}", dev.info().selector));
        g.throughput(Throughput::Elements(
            (iters * fractal::LYAPUNOV_FLOPS_PER_ITER) as u64,
        ));
        g.sample_size(10).measurement_time(Duration::from_secs(5));
        g.bench_function(BenchmarkId::from_parameter("corepy-768x512"), |b| {
            b.iter(|| {
                let r = fractal::lyapunov(&dev, &l).unwrap();
                dev.synchronize().unwrap();
                r
            })
        });
        g.finish();
    }
}

criterion_group!(fractals, benches);
criterion_main!(fractals);
