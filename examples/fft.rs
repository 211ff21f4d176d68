//! Denoising in the frequency domain: a signal of three tones buried in Gaussian noise (from
//! streamcore's own Philox generator) is transformed with rfft on the chosen device, every bin
//! whose magnitude is below a threshold is zeroed, and irfft brings the signal back. Prints
//! the device, the time of each step, the noise removed (SNR before and after), and the
//! largest difference from the same pipeline on the CPU; writes the spectrum as an SVG plot.
//!
//! cargo run --release --example fft [-- --device best|cpu|wgpu|wgpu-software|cuda] [--out spectrum.svg]

use std::time::Instant;

use streamcore::fft;
use streamcore::prelude::*;
use streamcore::random::Generator;

const N: usize = 1 << 20;
const RATE: f64 = 48_000.0;
const TONES: [(f64, f64); 3] = [(440.0, 1.0), (1_000.0, 0.5), (7_500.0, 0.25)];

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

/// The clean signal, computed on the host in f64 (exact phases) and uploaded.
fn clean(dev: &Device) -> Result<Array<f32>> {
    let v = (0..N)
        .map(|i| {
            TONES
                .iter()
                .map(|&(f, a)| {
                    a * (2.0 * std::f64::consts::PI * ((i as f64 * f / RATE) % 1.0)).sin()
                })
                .sum::<f64>() as f32
        })
        .collect();
    Array::from_vec(dev, v, &[N])
}

/// rfft, zero the bins under `threshold` in magnitude, irfft. Returns (result, spectrum).
fn denoise(x: &Array<f32>, threshold: f32) -> Result<(Array<f32>, Array<f32>)> {
    let spec = fft::rfft(x)?;
    let mag = spec.abs()?;
    let keep = mag.ge(&Array::full(x.device(), &[], threshold)?)?;
    let zero = Array::<Complex32>::zeros(x.device(), &[])?;
    let kept = Array::where_(&keep, &spec, &zero)?;
    Ok((fft::irfft(&kept, Some(N))?, mag))
}

fn snr_db(signal: &Array<f32>, estimate: &Array<f32>) -> Result<f64> {
    let p = signal.square()?.sum()?.item()? as f64;
    let e = (estimate - signal)?.square()?.sum()?.item()? as f64;
    Ok(10.0 * (p / e).log10())
}

fn write_svg(path: &str, mag: &[f32]) -> std::io::Result<()> {
    // Log magnitude of the first 10 kHz, one point per pixel column.
    let bins = (10_000.0 / RATE * N as f64) as usize;
    let (w, h) = (800usize, 300usize);
    let mut pts = String::new();
    for px in 0..w {
        let lo = px * bins / w;
        let hi = ((px + 1) * bins / w).max(lo + 1);
        let m = mag[lo..hi].iter().fold(0.0f32, |a, &b| a.max(b));
        let db = 20.0 * (m.max(1e-3) as f64).log10();
        let y = h as f64 - (db + 60.0) / 180.0 * h as f64;
        pts += &format!("{px},{:.1} ", y.clamp(0.0, h as f64));
    }
    let svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\">\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\
         <polyline fill=\"none\" stroke=\"navy\" points=\"{pts}\"/>\
         <text x=\"8\" y=\"16\" font-size=\"12\">|rfft| in dB, 0 to 10 kHz</text></svg>\n"
    );
    std::fs::write(path, svg)
}

/// One run of the pipeline on one device.
struct Outcome {
    denoised: Vec<f32>,
    snr_before: f64,
    snr_after: f64,
    spectrum: Vec<f32>,
    secs: f64,
}

fn main() -> Result<()> {
    let dev = match arg("--device") {
        Some(sel) => Device::open(&sel)?,
        None => Device::from_env()?,
    };
    let out = arg("--out").unwrap_or_else(|| "spectrum.svg".into());
    println!("device: {dev}");
    let run = |d: &Device| -> Result<Outcome> {
        let signal = clean(d)?;
        let noise = Generator::new(7).normal::<f32>(d, &[N])?;
        let noisy = (&signal + &noise)?;
        d.synchronize()?;
        let t = Instant::now();
        // A tone of amplitude a gives a bin of about a N / 2; white noise of unit variance
        // gives bins of about sqrt(N). Keep what stands well above the noise floor.
        let (den, mag) = denoise(&noisy, 8.0 * (N as f32).sqrt())?;
        let v = den.to_vec()?;
        let secs = t.elapsed().as_secs_f64();
        Ok(Outcome {
            denoised: v,
            snr_before: snr_db(&signal, &noisy)?,
            snr_after: snr_db(&signal, &den)?,
            spectrum: mag.to_vec()?,
            secs,
        })
    };
    // Once to compile kernels and warm the plan caches, then timed.
    run(&dev)?;
    let Outcome {
        denoised: v,
        snr_before: before,
        snr_after: after,
        spectrum: mag,
        secs,
    } = run(&dev)?;
    println!(
        "{N} samples: rfft, threshold, irfft and read back in {:.2} ms",
        secs * 1e3
    );
    println!("SNR {before:.1} dB -> {after:.1} dB");
    let cpu = Device::cpu();
    if dev.kind() != DeviceKind::Cpu {
        let c = run(&cpu)?.denoised;
        let diff = v
            .iter()
            .zip(&c)
            .fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
        println!("largest difference from the CPU: {diff:.2e}");
    }
    write_svg(&out, &mag).map_err(|e| Error::InvalidArgument {
        op: "fft example",
        detail: format!("writing {out}: {e}"),
    })?;
    println!("spectrum written to {out}");
    Ok(())
}
