//! The `streamcore` command line: `streamcore info [--json]` lists every device found, with
//! its capabilities, and why it cannot be used where that is the case; `streamcore fractal`
//! renders a Mandelbrot, Julia or Lyapunov image on a device, reports its speed and writes
//! a PNG; `streamcore bench` runs the benchmark suite on every device present.

mod bench;
#[cfg(feature = "cuda")]
mod cuda_anchor;
mod plot;
mod report;

use clap::{Parser, Subcommand, ValueEnum};
use streamcore::fractal::{
    self, Arithmetic, EscapeParams, LyapunovParams, Region, colormap::Colormap,
};
use streamcore::{Device, DeviceInfo};

#[derive(Parser)]
#[command(
    name = "streamcore",
    version,
    about = "Array computing on CPU, WGSL (wgpu) and CUDA devices"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List every device found (CPU, wgpu adapters, CUDA GPUs) with its capabilities.
    Info {
        /// Print `{"devices": [...]}` as JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Render a fractal on a device, print frames/s, pixels/s, iterations/s and GFLOP/s,
    /// and write it as a PNG.
    Fractal {
        /// Which fractal.
        #[arg(value_enum, default_value_t = Kind::Mandelbrot)]
        kind: Kind,
        /// best, cpu, wgpu[:N], wgpu-software or cuda[:N].
        #[arg(long, default_value = "best")]
        device: String,
        /// Pixels per row (default: 1024; 768 for lyapunov).
        #[arg(long)]
        width: Option<usize>,
        /// Rows (default: 768; 512 for lyapunov).
        #[arg(long)]
        height: Option<usize>,
        /// Maximum iterations (escape time) or measured iterations (Lyapunov; default 500).
        #[arg(long, default_value_t = 500)]
        iters: u32,
        /// Centre of the view (escape time).
        #[arg(long, default_value_t = -0.75, allow_hyphen_values = true)]
        x: f64,
        /// Centre of the view (escape time).
        #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
        y: f64,
        /// Width of the view in the plane (escape time).
        #[arg(long, default_value_t = 3.5)]
        span: f64,
        /// Magnification about (x, y): the view's width is span / zoom (escape time).
        #[arg(long, default_value_t = 1.0)]
        zoom: f64,
        /// Julia constant c, real part.
        #[arg(long, default_value_t = -0.8, allow_hyphen_values = true)]
        cx: f64,
        /// Julia constant c, imaginary part.
        #[arg(long, default_value_t = 0.156, allow_hyphen_values = true)]
        cy: f64,
        /// Compute in f64 (escape time).
        #[arg(long)]
        f64: bool,
        /// Fused multiply-adds in the step (escape time): fewer instructions where the
        /// hardware fuses, and the orbits of a correctly rounded fma (fractal::Arithmetic).
        #[arg(long)]
        fused: bool,
        /// Lyapunov A/B sequence.
        #[arg(long, default_value = "AB")]
        seq: String,
        /// Timed frames at least; more until a quarter second has passed (the median is
        /// reported).
        #[arg(long, default_value_t = 3)]
        frames: usize,
        /// Output PNG.
        #[arg(long, default_value = "fractal.png")]
        out: std::path::PathBuf,
    },
    /// Benchmark every device present (or those of --devices) on a standard suite, beside
    /// each device's measured ceilings and the anchors (ndarray+rayon, rustfft, gemm;
    /// cuFFT and cuBLAS with CUDA), and print a table, JSON lines or CSV.
    Bench {
        /// tiny (seconds), quick (at most 2 minutes on 2 cores with lavapipe) or full.
        #[arg(long, value_enum, default_value_t = bench::Suite::Quick)]
        suite: bench::Suite,
        /// Comma-separated devices: cpu, wgpu[:N], wgpu-software, cuda[:N] (default: every
        /// device present).
        #[arg(long, value_delimiter = ',')]
        devices: Option<Vec<String>>,
        /// Only these ops, comma-separated: to_device, to_ndarray, add, sum, matmul, fft,
        /// fft2, mandelbrot.
        #[arg(long, value_delimiter = ',')]
        ops: Option<Vec<String>>,
        /// One JSON object per case and line instead of the table.
        #[arg(long, conflicts_with = "csv")]
        json: bool,
        /// CSV with a header line instead of the table.
        #[arg(long)]
        csv: bool,
        /// Also write throughput against size as an SVG chart, a panel per op.
        #[arg(long)]
        plot: Option<std::path::PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Kind {
    Mandelbrot,
    Julia,
    Lyapunov,
}

fn bytes(b: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    if b == 0 {
        return "-".into();
    }
    if b >= 1 << 60 {
        return "unlimited".into();
    }
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if v.fract() == 0.0 {
        format!("{v:.0} {}", UNITS[u])
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

fn table(devices: &[DeviceInfo]) -> String {
    let header = [
        "DEVICE",
        "NAME",
        "BACKEND",
        "TYPE",
        "SOFTWARE",
        "F16",
        "F64",
        "MAX BUFFER",
        "MAX BINDING",
        "WG STORAGE",
        "MEMORY",
        "STATUS",
    ];
    let rows: Vec<[String; 12]> = devices
        .iter()
        .map(|d| {
            let mut name = d.name.clone();
            if let Some(t) = d.threads {
                name = format!("{name} ({t} threads, {})", d.simd.as_deref().unwrap_or("?"));
            }
            if let Some(cc) = &d.compute_capability {
                name = format!("{name} (sm {cc})");
            }
            [
                d.selector.clone(),
                name,
                d.backend.clone(),
                d.device_type.clone(),
                yes(d.software).into(),
                yes(d.f16).into(),
                yes(d.f64).into(),
                bytes(d.max_buffer_size),
                bytes(d.max_binding_size),
                bytes(d.max_workgroup_storage),
                d.memory_bytes.map_or("-".into(), bytes),
                match (&d.usable, &d.reason) {
                    (true, _) => "ok".into(),
                    (false, Some(r)) => format!("unusable: {r}"),
                    (false, None) => "unusable".into(),
                },
            ]
        })
        .collect();
    let mut width = header.map(str::len);
    for r in &rows {
        for (w, c) in width.iter_mut().zip(r) {
            *w = (*w).max(c.len());
        }
    }
    // The last column is free text: never pad it.
    width[11] = 0;
    let line = |cells: Vec<&str>| {
        cells
            .iter()
            .zip(width)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let mut out = vec![line(header.to_vec())];
    out.extend(
        rows.iter()
            .map(|r| line(r.iter().map(String::as_str).collect())),
    );
    out.join("\n")
}

/// The view's width for `--span` and `--zoom`; a zoom that is not a positive finite number is
/// an error that says so.
fn zoomed(span: f64, zoom: f64) -> streamcore::Result<f64> {
    if zoom.is_finite() && zoom > 0.0 {
        Ok(span / zoom)
    } else {
        Err(streamcore::Error::InvalidArgument {
            op: "streamcore fractal",
            detail: format!("--zoom {zoom}: the magnification must be a positive, finite number"),
        })
    }
}

#[allow(clippy::too_many_arguments)]
fn render_fractal(
    kind: Kind,
    dev: &Device,
    (width, height): (Option<usize>, Option<usize>),
    iters: u32,
    (x, y, span): (f64, f64, f64),
    c: (f64, f64),
    (f64_, fused): (bool, bool),
    seq: String,
    frames: usize,
    out: &std::path::Path,
) -> streamcore::Result<()> {
    let (rendered, secs, w, h, map, hi) = match kind {
        Kind::Lyapunov => {
            let base = LyapunovParams::corepy();
            let p = LyapunovParams {
                width: width.unwrap_or(base.width),
                height: height.unwrap_or(base.height),
                sequence: seq,
                iters,
                ..base
            };
            let (r, secs) = fractal::timed(dev, frames, || fractal::lyapunov(dev, &p))?;
            // Stable regions by their exponent; chaos black.
            let r = fractal::Rendered {
                values: r.values.neg()?,
                ..r
            };
            (r, secs, p.width, p.height, Colormap::Magma, 2.0)
        }
        _ => {
            let (w, h) = (width.unwrap_or(1024), height.unwrap_or(768));
            let p = EscapeParams {
                width: w,
                height: h,
                region: Region::centered(x, y, span, w, h),
                max_iter: iters,
                arithmetic: if fused {
                    Arithmetic::Fused
                } else {
                    Arithmetic::Separate
                },
            };
            let julia = matches!(kind, Kind::Julia);
            let go = || -> streamcore::Result<fractal::Rendered> {
                match (julia, f64_) {
                    (false, false) => fractal::mandelbrot::<f32>(dev, &p),
                    (false, true) => fractal::mandelbrot::<f64>(dev, &p),
                    (true, false) => fractal::julia::<f32>(dev, &p, c),
                    (true, true) => fractal::julia::<f64>(dev, &p, c),
                }
            };
            let (r, secs) = fractal::timed(dev, frames, go)?;
            (r, secs, w, h, Colormap::OkHue, 64.0)
        }
    };
    println!("{}", rendered.report(dev, secs)?);
    let rgba = map.apply(&rendered.values, 0.0, hi, [0, 0, 0, 255])?;
    fractal::write_png(out, w, h, &rgba)?;
    println!("written to {}", out.display());
    Ok(())
}

/// The ops `--ops` may name, in the suite's order.
const OPS: [&str; 8] = [
    "to_device",
    "to_ndarray",
    "add",
    "sum",
    "matmul",
    "fft",
    "fft2",
    "mandelbrot",
];

/// The devices to benchmark: those named (each must be a device selector; ones absent here
/// are skipped with a note), or every device present. An error when none is left.
fn bench_devices(names: Option<Vec<String>>) -> Result<Vec<Device>, String> {
    let (names, explicit) = match names {
        Some(n) => (n, true),
        None => (
            ["cpu", "wgpu", "wgpu-software", "cuda"]
                .map(String::from)
                .to_vec(),
            false,
        ),
    };
    let mut out: Vec<Device> = Vec::new();
    for name in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
        match Device::open(name) {
            Ok(d) if out.contains(&d) => {}
            Ok(d) => out.push(d),
            Err(e @ streamcore::Error::InvalidArgument { .. }) => return Err(e.to_string()),
            Err(e) if explicit => eprintln!("streamcore bench: skipping {name}: {e}"),
            Err(_) => {}
        }
    }
    if out.is_empty() {
        return Err(format!(
            "none of the devices asked for ({}) is present; `streamcore info` lists what is",
            names.join(",")
        ));
    }
    Ok(out)
}

fn run_bench(
    suite: bench::Suite,
    devices: Option<Vec<String>>,
    ops: Option<Vec<String>>,
    json: bool,
    csv: bool,
    plot: Option<std::path::PathBuf>,
) -> Result<(), String> {
    if let Some(ops) = &ops
        && let Some(bad) = ops.iter().find(|o| !OPS.contains(&o.as_str()))
    {
        return Err(format!(
            "unknown op {bad:?}; the ops are {}",
            OPS.join(", ")
        ));
    }
    if let Some(p) = &plot
        && p.extension().and_then(|e| e.to_str()) != Some("svg")
    {
        return Err(format!(
            "--plot {}: the chart is written as SVG; give a path ending in .svg",
            p.display()
        ));
    }
    let devices = bench_devices(devices)?;
    let names: Vec<String> = devices.iter().map(|d| d.to_string()).collect();
    if !json && !csv {
        println!(
            "streamcore bench --suite {} on {}",
            format!("{suite:?}").to_lowercase(),
            names.join(", ")
        );
    }
    let cfg = bench::Config {
        suite,
        devices,
        ops,
        progress: true,
    };
    let records = bench::run(&cfg);
    let text = if json {
        report::json_lines(&records).map_err(|e| e.to_string())?
    } else if csv {
        report::csv(&records).map_err(|e| e.to_string())?
    } else {
        report::table(&records)
    };
    println!("{text}");
    if let Some(p) = plot {
        let title = format!("streamcore bench: {}", names.join(", "));
        std::fs::write(&p, plot::svg(&records, &title))
            .map_err(|e| format!("writing {}: {e}", p.display()))?;
        if !json && !csv {
            println!("chart written to {}", p.display());
        }
    }
    Ok(())
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Bench {
            suite,
            devices,
            ops,
            json,
            csv,
            plot,
        } => {
            if let Err(e) = run_bench(suite, devices, ops, json, csv, plot) {
                eprintln!("streamcore bench: {e}");
                return std::process::ExitCode::FAILURE;
            }
        }
        Command::Fractal {
            kind,
            device,
            width,
            height,
            iters,
            x,
            y,
            span,
            zoom,
            cx,
            cy,
            f64,
            fused,
            seq,
            frames,
            out,
        } => {
            let run = zoomed(span, zoom).and_then(|span| {
                let dev = Device::open(&device)?;
                render_fractal(
                    kind,
                    &dev,
                    (width, height),
                    iters,
                    (x, y, span),
                    (cx, cy),
                    (f64, fused),
                    seq,
                    frames,
                    &out,
                )
            });
            if let Err(e) = run {
                eprintln!("streamcore fractal: {e}");
                return std::process::ExitCode::FAILURE;
            }
        }
        Command::Info { json } => {
            let devices = Device::list();
            if json {
                let doc = serde_json::json!({ "devices": devices });
                match serde_json::to_string_pretty(&doc) {
                    Ok(s) => println!("{s}"),
                    Err(e) => {
                        eprintln!("streamcore: {e}");
                        return std::process::ExitCode::FAILURE;
                    }
                }
            } else {
                println!("{}", table(&devices));
                println!("\nbest: {}", Device::best());
            }
        }
    }
    std::process::ExitCode::SUCCESS
}
