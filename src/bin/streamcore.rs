//! The `streamcore` command line: `streamcore info [--json]` lists every device found, with
//! its capabilities, and why it cannot be used where that is the case.

use clap::{Parser, Subcommand};
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

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match cli.command {
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
