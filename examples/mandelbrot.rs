//! The Mandelbrot set on the best device (or `--device cpu|wgpu|wgpu-software|cuda`),
//! written as a PNG with a cyclic colormap; prints frames/s, pixels/s, iterations/s and
//! GFLOP/s. `--deep` zooms to a width of 1e-11 around a spiral in Seahorse Valley, where f32
//! can no longer tell neighbouring pixels apart: the example renders it in f64 (where the
//! device has f64) and reports how many distinct values f32 would have left.
//!
//! cargo run --release --example mandelbrot -- [--width 1024] [--height 768] [--iters 500]
//!     [--x -0.75] [--y 0] [--span 3.5] [--zoom 1] [--f64] [--fused] [--deep] [--frames 3]
//!     [--out mandelbrot.png]
//!
//! `--zoom Z` magnifies the view Z times about (x, y): its width is span / Z.

#[path = "shared/args.rs"]
mod args;

use streamcore::fractal::{self, Arithmetic, EscapeParams, Region, colormap::Colormap};
use streamcore::prelude::*;

fn main() -> Result<()> {
    let a = args::Args::from_env();
    let dev = a.device()?;
    let deep = a.flag("deep");
    let (w, h) = (a.num("width", 1024usize)?, a.num("height", 768usize)?);
    let (x, y, span, iters) = if deep {
        (-0.743_643_887_037_151, 0.131_825_904_205_33, 1e-11, 5000)
    } else {
        (-0.75, 0.0, 3.5, 500)
    };
    let p = EscapeParams {
        width: w,
        height: h,
        region: Region::centered(a.num("x", x)?, a.num("y", y)?, a.span(span)?, w, h),
        max_iter: a.num("iters", iters)?,
        arithmetic: if a.flag("fused") {
            Arithmetic::Fused
        } else {
            Arithmetic::Separate
        },
    };
    let f64_ = deep || a.flag("f64");
    let frames = a.num("frames", 3usize)?;
    let (img, secs) = if f64_ {
        fractal::timed(&dev, frames, || fractal::mandelbrot::<f64>(&dev, &p))?
    } else {
        fractal::timed(&dev, frames, || fractal::mandelbrot::<f32>(&dev, &p))?
    };
    println!(
        "mandelbrot {w}x{h}, {} iterations, {}",
        p.max_iter,
        if f64_ { "f64" } else { "f32" }
    );
    println!("{}", img.report(&dev, secs)?);
    if deep {
        let distinct = |v: Vec<f32>| {
            let mut b: Vec<u32> = v.iter().map(|x| x.to_bits()).collect();
            b.sort_unstable();
            b.dedup();
            b.len()
        };
        let f32_img = fractal::mandelbrot::<f32>(&dev, &p)?;
        println!(
            "deep zoom: {} distinct values in f64, {} in f32 (f32 cannot resolve pixels {:.0e} apart near |c| = 0.76)",
            distinct(img.values.to_vec()?),
            distinct(f32_img.values.to_vec()?),
            (p.region.x1 - p.region.x0) / w as f64
        );
    }
    let out = a.get("out").unwrap_or("mandelbrot.png");
    let rgba = Colormap::OkHue.apply(&img.values, 0.0, 64.0, [0, 0, 0, 255])?;
    fractal::write_png(std::path::Path::new(out), w, h, &rgba)?;
    println!("written to {out}");
    Ok(())
}
