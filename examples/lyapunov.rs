//! CorePy's 2007 demo, a Lyapunov fractal of the logistic map, rendered on the best device
//! (or `--device ...`). Defaults are CorePy's PS3 setup: 768x512, sequence "AB", 100 warm-up
//! and 500 counted iterations, a and b in [2, 4]; it ran at 3.65 frames/s on the Cell's six
//! SPUs. Prints frames/s beside that figure, and writes a PNG (stable regions coloured by
//! their exponent with magma, chaos in black).
//!
//! cargo run --release --example lyapunov -- [--width 768] [--height 512] [--seq AB]
//!     [--warmup 100] [--iters 500] [--frames 5] [--out lyapunov.png]

#[path = "shared/args.rs"]
mod args;

use streamcore::fractal::{self, LyapunovParams, colormap::Colormap};
use streamcore::prelude::*;

/// CorePy's frame rate on a PS3 (six SPUs), 2007.
const COREPY_FPS: f64 = 3.65;

fn main() -> Result<()> {
    let a = args::Args::from_env();
    let dev = a.device()?;
    let base = LyapunovParams::corepy();
    let p = LyapunovParams {
        width: a.num("width", base.width)?,
        height: a.num("height", base.height)?,
        sequence: a.get("seq").unwrap_or("AB").to_string(),
        warmup: a.num("warmup", base.warmup)?,
        iters: a.num("iters", base.iters)?,
        ..base
    };
    let (img, secs) = fractal::timed(&dev, a.num("frames", 5usize)?, || {
        fractal::lyapunov(&dev, &p)
    })?;
    println!(
        "lyapunov {}x{}, sequence {:?}, {} warm-up + {} iterations",
        p.width, p.height, p.sequence, p.warmup, p.iters
    );
    println!("{}", img.report(&dev, secs)?);
    println!(
        "CorePy on a PS3 (2007): {COREPY_FPS} frames/s; here {:.1}x that",
        1.0 / secs / COREPY_FPS
    );
    // Stable (negative exponent) from -2 to 0 through magma; chaos (>= 0) black.
    let neg = img.values.neg()?;
    let rgba = Colormap::Magma.apply(&neg, 0.0, 2.0, [0, 0, 0, 255])?;
    let out = a.get("out").unwrap_or("lyapunov.png");
    fractal::write_png(std::path::Path::new(out), p.width, p.height, &rgba)?;
    println!("written to {out}");
    Ok(())
}
