//! A Julia set on the best device (or `--device ...`), as a PNG (magma colormap); prints
//! frames/s, pixels/s, iterations/s and GFLOP/s.
//!
//! cargo run --release --example julia -- [--width 1024] [--height 768] [--iters 500]
//!     [--cx -0.8] [--cy 0.156] [--x 0] [--y 0] [--span 3.2] [--zoom 1] [--f64] [--fused] [--frames 3] [--out julia.png]

#[path = "shared/args.rs"]
mod args;

use streamcore::fractal::{self, Arithmetic, EscapeParams, Region, colormap::Colormap};
use streamcore::prelude::*;

fn main() -> Result<()> {
    let a = args::Args::from_env();
    let dev = a.device()?;
    let (w, h) = (a.num("width", 1024usize)?, a.num("height", 768usize)?);
    let p = EscapeParams {
        width: w,
        height: h,
        region: Region::centered(a.num("x", 0.0)?, a.num("y", 0.0)?, a.span(3.2)?, w, h),
        max_iter: a.num("iters", 500u32)?,
        arithmetic: if a.flag("fused") {
            Arithmetic::Fused
        } else {
            Arithmetic::Separate
        },
    };
    let c = (a.num("cx", -0.8)?, a.num("cy", 0.156)?);
    let frames = a.num("frames", 3usize)?;
    let (img, secs) = if a.flag("f64") {
        fractal::timed(&dev, frames, || fractal::julia::<f64>(&dev, &p, c))?
    } else {
        fractal::timed(&dev, frames, || fractal::julia::<f32>(&dev, &p, c))?
    };
    println!("julia c = {c:?}, {w}x{h}, {} iterations", p.max_iter);
    println!("{}", img.report(&dev, secs)?);
    let out = a.get("out").unwrap_or("julia.png");
    let rgba = Colormap::Magma.apply(&img.values, 0.0, 80.0, [0, 0, 0, 255])?;
    fractal::write_png(std::path::Path::new(out), w, h, &rgba)?;
    println!("written to {out}");
    Ok(())
}
