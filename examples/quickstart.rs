//! The main job on a fresh machine: picks the best device (CUDA > GPU > CPU; override with
//! `--device cpu|wgpu|wgpu-software|cuda` or STREAMCORE_DEVICE), moves host arrays of every
//! layout there and back, builds arrays on the device, and checks everything against the host.
//!
//! cargo run --release --example quickstart [-- --device wgpu-software]

use std::time::Instant;

use ndarray::{Array2, s};
use streamcore::prelude::*;

fn pick_device() -> Result<Device> {
    let args: Vec<String> = std::env::args().collect();
    match args.iter().position(|a| a == "--device") {
        Some(i) => match args.get(i + 1) {
            Some(sel) => Device::open(sel),
            None => Err(Error::InvalidArgument {
                op: "quickstart",
                detail: "--device needs a value: cpu, wgpu, wgpu-software, cuda or best".into(),
            }),
        },
        None => Device::from_env(),
    }
}

fn main() -> Result<()> {
    let dev = pick_device()?;
    println!("devices found:");
    for d in Device::list() {
        let status = if d.usable {
            "ok".to_string()
        } else {
            format!("unusable: {}", d.reason.unwrap_or_default())
        };
        println!(
            "  {:<14} {:<34} f64={:<5} {}",
            d.selector, d.name, d.f64, status
        );
    }
    println!("running on: {dev}\n");

    // A host image, sent transposed and with negative steps: any layout goes.
    let host = Array2::<f32>::from_shape_fn((768, 512), |(i, j)| ((i * 512 + j) as f32).sin());
    let view = host.slice(s![..;-1, ..]);
    let t = Instant::now();
    let x = view.t().to_device(&dev)?;
    let back = x.to_ndarray()?;
    let ok = back == view.t().into_dyn();
    println!(
        "transposed, reversed 768x512 f32 upload + download: {:.2} ms, identical: {ok}",
        t.elapsed().as_secs_f64() * 1e3
    );

    // Arrays made on the device.
    let ramp = Array::<f32>::linspace(&dev, 0.0, 1.0, 5)?.to_vec()?;
    let ints = Array::<i32>::arange(&dev, 10.0, -1.0, -3.0)?.to_vec()?;
    let fill = Array::<Complex32>::full(&dev, &[2], Complex32::new(1.0, -2.0))?.to_vec()?;
    println!("linspace(0, 1, 5) = {ramp:?}");
    println!("arange(10, -1, -3) = {ints:?}");
    println!("full([2], 1-2i)    = {fill:?}");
    if dev.supports(DType::F64) {
        let v = Array::<f64>::arange(&dev, 0.0, 1.0, 0.1)?.to_vec()?;
        println!(
            "f64 arange(0, 1, 0.1) has {} elements, last {}",
            v.len(),
            v[v.len() - 1]
        );
    } else {
        let e = Array::<f64>::zeros(&dev, &[1]).unwrap_err();
        println!("f64 here: {e}");
    }

    // Bandwidth each way for 64 MiB, and the latency of a small round trip.
    let n = 16 << 20;
    let big: Vec<f32> = (0..n).map(|i| i as f32).collect();
    let host_big = ndarray::Array1::from_vec(big);
    let mut best = (f64::MAX, f64::MAX);
    let mut last = None;
    for _ in 0..5 {
        let t = Instant::now();
        let a = host_big.to_device(&dev)?;
        dev.synchronize()?;
        let up = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let h = a.to_vec()?;
        let down = t.elapsed().as_secs_f64();
        best = (best.0.min(up), best.1.min(down));
        last = Some(h);
    }
    let same = last.is_some_and(|h| h.as_slice() == host_big.as_slice().unwrap());
    let gb = (n * 4) as f64 / 1e9;
    println!(
        "\n64 MiB f32: to_device {:.2} GB/s, to_ndarray {:.2} GB/s (best of 5), identical: {same}",
        gb / best.0,
        gb / best.1
    );
    let small: Vec<f32> = (0..1024).map(|i| i as f32).collect();
    let mut rt = f64::MAX;
    for _ in 0..50 {
        let t = Instant::now();
        let a = Array::from_slice(&dev, &small, &[1024])?;
        let _ = a.to_vec()?;
        rt = rt.min(t.elapsed().as_secs_f64());
    }
    println!("1024-element round trip: {:.1} us (best of 50)", rt * 1e6);
    println!("memory pool: {:?}", dev.memory_stats());
    Ok(())
}
