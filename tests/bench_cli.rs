//! `streamcore bench` end to end: the tiny suite on the test devices as JSON, CSV, a table and
//! an SVG chart, every figure with a small error beside it; and the bad inputs.

use std::process::{Command, Output};

/// The binary cargo built, or STREAMCORE_BIN where the tests run on another machine.
fn streamcore(args: &[&str]) -> Output {
    streamcore_with(args, &[])
}

/// The binary with extra environment variables.
fn streamcore_with(args: &[&str], env: &[(&str, &str)]) -> Output {
    let bin = std::env::var("STREAMCORE_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_streamcore").to_string());
    Command::new(bin)
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("the streamcore binary runs")
}

/// The test devices as a --devices list (CI: cpu,wgpu-software).
fn devices() -> String {
    std::env::var("STREAMCORE_TEST_DEVICES").unwrap_or_else(|_| "cpu".into())
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn the_tiny_suite_measures_every_op_on_every_device_with_its_error() {
    let devs = devices();
    let out = streamcore(&["bench", "--suite", "tiny", "--devices", &devs, "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let records: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is one JSON record"))
        .collect();
    // Records name a device by its full selector: `cuda` is reported as `cuda:0`.
    let selectors: Vec<String> = devs
        .split(',')
        .map(|s| {
            let dev = streamcore::Device::open(s.trim()).expect("a test device opens");
            dev.info().selector.clone()
        })
        .collect();
    let ops = [
        "to_device",
        "to_ndarray",
        "add",
        "sum",
        "matmul",
        "fft",
        "fft2",
        "mandelbrot",
    ];
    for r in &records {
        for k in [
            "op",
            "device",
            "dtype",
            "size",
            "median_s",
            "min_s",
            "max_s",
            "gb_per_s",
            "gflop_per_s",
            "pct_of_ceiling",
            "vs_anchor",
            "vs_cpu",
            "max_rel_err",
            "compile_s",
            "upload_s",
            "kernel_s",
            "download_s",
        ] {
            assert!(r.get(k).is_some(), "field {k} missing in {r}");
        }
    }
    for sel in &selectors {
        for c in ["ceiling-copy", "ceiling-fma"] {
            let found = records
                .iter()
                .find(|r| r["op"] == c && r["device"] == *sel)
                .unwrap_or_else(|| panic!("no {c} for {sel}"));
            let v = found["gb_per_s"].as_f64().or(found["gflop_per_s"].as_f64());
            assert!(v.unwrap() > 0.0, "{found}");
        }
        for op in ops {
            let r = records
                .iter()
                .find(|r| r["op"] == op && r["device"] == *sel && r["kind"] == "device")
                .unwrap_or_else(|| panic!("no {op} record for {sel}"));
            assert!(r["note"].is_null(), "{op} failed on {sel}: {r}");
            assert!(r["repeats"].as_u64().unwrap() >= 5, "{r}");
            let (min, med, max) = (
                r["min_s"].as_f64().unwrap(),
                r["median_s"].as_f64().unwrap(),
                r["max_s"].as_f64().unwrap(),
            );
            assert!(0.0 < min && min <= med && med <= max, "{r}");
            // The error check beside every figure: f32 work against f64, fractals the
            // fraction of pixels off the scalar loop.
            let err = r["max_rel_err"].as_f64().unwrap();
            let bound = if op == "mandelbrot" { 5e-3 } else { 1e-5 };
            assert!(err <= bound, "{op} on {sel}: error {err}");
            assert!(r["vs_anchor"].as_f64().unwrap() > 0.0, "{r}");
            if selectors.iter().any(|s| s == "cpu") {
                assert!(r["vs_cpu"].as_f64().unwrap() > 0.0, "{r}");
            }
            if op != "to_device" && op != "to_ndarray" {
                let p = r["pct_of_ceiling"].as_f64().unwrap();
                assert!(p > 0.0, "{r}");
            }
            assert!(r["compile_s"].as_f64().unwrap() >= 0.0);
        }
    }
    for op in ops {
        let a = records
            .iter()
            .find(|r| r["op"] == op && r["kind"] == "anchor")
            .unwrap_or_else(|| panic!("no anchor for {op}"));
        let bound = if op == "mandelbrot" { 0.0 } else { 1e-5 };
        assert!(a["max_rel_err"].as_f64().unwrap() <= bound, "{a}");
    }
}

#[test]
fn csv_table_and_plot_forms() {
    let dir = std::env::temp_dir().join(format!("streamcore-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let svg = dir.join("chart.svg");
    let out = streamcore(&[
        "bench",
        "--suite",
        "tiny",
        "--devices",
        "cpu",
        "--ops",
        "add,fft",
        "--csv",
        "--plot",
        svg.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let csv = text(&out.stdout);
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(&header[..4], &["kind", "op", "device", "dtype"]);
    let rows: Vec<&str> = lines.collect();
    // 2 ceilings, then add and fft on the CPU and their anchors.
    assert_eq!(rows.len(), 6, "{csv}");
    assert!(rows.iter().all(|r| r.split(',').count() >= header.len()));
    let chart = std::fs::read_to_string(&svg).unwrap();
    assert!(chart.starts_with("<svg") && chart.contains("<polyline"));
    assert_eq!(
        chart.matches("font-size=\"13\"").count(),
        2,
        "one panel per op"
    );

    let out = streamcore(&[
        "bench",
        "--suite",
        "tiny",
        "--devices",
        "cpu",
        "--ops",
        "sum",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    assert!(
        table.contains("MEDIAN") && table.contains("[ndarray-rayon]"),
        "{table}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_arguments_are_errors_that_say_what_is_allowed() {
    let cases: [(&[&str], &str); 5] = [
        (&["bench", "--devices", "tpu"], "not a device"),
        (&["bench", "--ops", "fft,conv"], "the ops are to_device"),
        (&["bench", "--plot", "chart.png"], "ending in .svg"),
        (
            &["bench", "--suite", "huge"],
            "possible values: tiny, quick, full",
        ),
        (&["bench", "--json", "--csv"], "cannot be used with"),
    ];
    for (args, says) in cases {
        let out = streamcore(args);
        assert!(!out.status.success(), "{args:?} succeeded");
        let err = text(&out.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
    }
    // A device that is not present: skipped with a note, and an error when none is left.
    #[cfg(not(feature = "cuda"))]
    {
        let out = streamcore(&["bench", "--suite", "tiny", "--devices", "cuda"]);
        assert!(!out.status.success());
        assert!(text(&out.stderr).contains("none of the devices asked for"));
    }
}

/// `streamcore fractal --zoom Z` renders the view `--span S / Z` wide; a zoom that is not a
/// positive finite number is an error naming the flag; `--fused` renders too.
#[test]
fn fractal_zoom_magnifies_the_view() {
    let dir = std::env::temp_dir().join(format!("streamcore-zoom-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let render = |extra: &[&str], name: &str| {
        let out = dir.join(name);
        let mut args = vec![
            "fractal",
            "mandelbrot",
            "--device",
            "cpu",
            "--width",
            "64",
            "--height",
            "48",
            "--iters",
            "60",
            "--x=-0.6",
            "--y",
            "0.4",
        ];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["--out", out.to_str().unwrap()]);
        let o = streamcore(&args);
        (o, out)
    };
    let (a, pa) = render(&["--zoom", "4"], "zoom.png");
    assert!(a.status.success(), "{}", text(&a.stderr));
    let (b, pb) = render(&["--span", "0.875"], "span.png");
    assert!(b.status.success(), "{}", text(&b.stderr));
    let (c, pc) = render(&[], "plain.png");
    assert!(c.status.success(), "{}", text(&c.stderr));
    let (za, zb, plain) = (
        std::fs::read(pa).unwrap(),
        std::fs::read(pb).unwrap(),
        std::fs::read(pc).unwrap(),
    );
    assert_eq!(za, zb, "--zoom 4 draws what --span 3.5/4 draws");
    assert_ne!(za, plain, "a zoomed view differs from the whole set");
    // Fused arithmetic renders the same view (its counts may differ on a few pixels).
    let (f, pf) = render(&["--fused"], "fused.png");
    assert!(f.status.success(), "{}", text(&f.stderr));
    assert!(text(&f.stdout).contains("GFLOP/s"), "{}", text(&f.stdout));
    assert!(!std::fs::read(pf).unwrap().is_empty());
    for bad in ["0", "inf", "nan", "--zoom=-2"] {
        let extra: Vec<&str> = if bad.starts_with("--") {
            vec![bad]
        } else {
            vec!["--zoom", bad]
        };
        let (o, _) = render(&extra, "bad.png");
        assert!(!o.status.success(), "--zoom {bad} was accepted");
        assert!(text(&o.stderr).contains("--zoom"), "{}", text(&o.stderr));
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// STREAMCORE_CPU_ISA lowers the CPU kernels' instruction set (as `info` reports it) and
/// never raises it; a value that names no instruction set is a warning, not a failure.
#[test]
fn the_cpu_instruction_set_can_be_limited() {
    let cpu_line = |env: &[(&str, &str)]| {
        let out = streamcore_with(&["info"], env);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let line = text(&out.stdout)
            .lines()
            .find(|l| l.starts_with("cpu "))
            .expect("info lists the CPU")
            .to_string();
        (line, text(&out.stderr))
    };
    let (line, _) = cpu_line(&[("STREAMCORE_CPU_ISA", "scalar")]);
    assert!(line.contains("threads, scalar)"), "{line}");
    let (full, _) = cpu_line(&[]);
    let (line, _) = cpu_line(&[("STREAMCORE_CPU_ISA", "avx512")]);
    assert_eq!(line, full, "a limit above the CPU's set changes nothing");
    if full.contains("avx2") {
        let (line, _) = cpu_line(&[("STREAMCORE_CPU_ISA", "AVX2")]);
        assert!(line.contains("threads, avx2+fma)"), "{line}");
    }
    let (line, err) = cpu_line(&[("STREAMCORE_CPU_ISA", "sse9")]);
    assert_eq!(line, full);
    assert!(
        err.contains("STREAMCORE_CPU_ISA") && err.contains("scalar, neon, avx2 or avx512"),
        "{err}"
    );
    let out = streamcore_with(
        &[
            "fractal", "--device", "cpu", "--width", "8", "--height", "8",
        ],
        &[("STREAMCORE_CPU_ISA", "sse9")],
    );
    assert!(
        !out.status.success(),
        "an explicit `cpu` selector rejects it"
    );
    assert!(text(&out.stderr).contains("STREAMCORE_CPU_ISA"));
}
