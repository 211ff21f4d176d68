//! Compiles every kernel in cuda/ with NVRTC for sm_90, which needs no GPU. Required in CI
//! (STREAMCORE_REQUIRE_NVRTC=1); elsewhere skipped with a notice when libnvrtc is absent.
#![cfg(feature = "cuda")]

use std::path::Path;

#[test]
fn every_cuda_kernel_compiles_with_nvrtc() {
    let required = std::env::var("STREAMCORE_REQUIRE_NVRTC").is_ok_and(|v| v == "1");
    if !streamcore::cuda::nvrtc_available() {
        assert!(
            !required,
            "STREAMCORE_REQUIRE_NVRTC=1 but libnvrtc was not found on LD_LIBRARY_PATH"
        );
        eprintln!("notice: libnvrtc not found, CUDA kernels not compiled (set LD_LIBRARY_PATH)");
        return;
    }
    // STREAMCORE_SOURCE_DIR: where the sources are when the binary runs elsewhere (GPU machine).
    let root = std::env::var_os("STREAMCORE_SOURCE_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf());
    let dir = root.join("cuda");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("cuda/ exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "cu"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no kernels in {}", dir.display());
    let prelude = std::fs::read_to_string(dir.join("common.cuh")).expect("cuda/common.cuh exists");
    assert_eq!(
        prelude,
        streamcore::cuda::PRELUDE,
        "cuda/common.cuh differs from PRELUDE"
    );
    for path in files {
        let family = path.file_stem().unwrap().to_string_lossy().into_owned();
        let src = std::fs::read_to_string(&path).unwrap();
        let listed = streamcore::cuda::KERNELS.iter().find(|(n, _)| *n == family);
        assert!(
            listed.is_some_and(|(_, s)| *s == src),
            "cuda/{family}.cu is not in streamcore::cuda::KERNELS (or differs from it)"
        );
        for arch in [90, 80] {
            // What the backend compiles: the shared prelude (cuda/common.cuh), then the file
            // (fft_step.cu, templates only, with one of the step kernels the backend writes).
            let full = if family == "fft_step" {
                streamcore::cuda::kernel_source(&family).unwrap()
            } else {
                format!("{}\n{src}", streamcore::cuda::PRELUDE)
            };
            let ptx = streamcore::cuda::compile(&family, &full, arch)
                .unwrap_or_else(|e| panic!("cuda/{family}.cu for sm_{arch}: {e}"));
            assert!(
                ptx.contains(&format!(".target sm_{arch}")),
                "PTX for sm_{arch}"
            );
            assert!(ptx.contains(".entry"), "cuda/{family}.cu defines no kernel");
        }
        eprintln!("compiled cuda/{family}.cu for sm_90 and sm_80");
    }
}

/// Every op x dtype the launcher can ask for exists in the PTX, as `OP_DTYPE`.
#[test]
fn every_elementwise_kernel_the_launcher_names_exists() {
    if !streamcore::cuda::nvrtc_available() {
        return;
    }
    use streamcore::{BinaryOp, CompareOp, DType, UnaryOp};
    let src = streamcore::cuda::kernel_source("elementwise").expect("elementwise family listed");
    let ptx = streamcore::cuda::compile("elementwise", &src, 90).unwrap();
    let suffix = |d: DType| d.short_name();
    let mut names = Vec::new();
    for d in DType::ALL {
        names.extend(
            BinaryOp::ALL
                .iter()
                .filter(|o| o.supports(d))
                .map(|o| format!("{}_{}", o.name(), suffix(d))),
        );
        names.extend(
            UnaryOp::ALL
                .iter()
                .filter(|o| o.supports(d))
                .map(|o| format!("{}_{}", o.name(), suffix(d))),
        );
        names.extend(
            CompareOp::ALL
                .iter()
                .filter(|o| o.supports(d))
                .map(|o| format!("{}_{}", o.name(), suffix(d))),
        );
        names.push(format!("where_{}", suffix(d)));
        names.push(format!("fma_{}", suffix(d)));
        if !d.is_complex() {
            names.push(format!("clip_{}", suffix(d)));
        } else {
            for p in ["real", "imag", "cabs", "arg"] {
                names.push(format!("{p}_{}", suffix(d)));
            }
        }
        for to in DType::ALL.into_iter().filter(|&t| t != d) {
            names.push(format!("cast_{}_{}", to.short_name(), suffix(d)));
        }
    }
    for n in &names {
        assert!(
            ptx.contains(&format!(".entry {n}(")),
            "kernel {n} missing from cuda/elementwise.cu"
        );
    }
    eprintln!("{} elementwise kernels present", names.len());
}

#[test]
fn a_broken_kernel_reports_the_compiler_log() {
    if !streamcore::cuda::nvrtc_available() {
        return;
    }
    let err = streamcore::cuda::compile("broken", "extern \"C\" __global__ void k() { nope; }", 90)
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(err, streamcore::Error::KernelCompile { .. }),
        "{msg}"
    );
    assert!(
        msg.contains("nope"),
        "the log names the bad identifier: {msg}"
    );
}

#[test]
fn cuda_without_a_driver_is_an_error_not_a_panic() {
    match streamcore::Device::cuda(0) {
        Ok(d) => eprintln!("a CUDA GPU is present: {d}"),
        Err(e) => assert!(
            matches!(e, streamcore::Error::BackendUnavailable { .. }),
            "expected BackendUnavailable, got {e}"
        ),
    }
    assert!(streamcore::Device::cuda(4096).is_err());
}

/// Every reduce, scan, shape, matmul, random, fractal and ceiling kernel the launchers can name
/// exists in the PTX (the FFT step kernels are checked where they are written, in the library).
#[test]
fn every_other_kernel_the_launchers_name_exists() {
    if !streamcore::cuda::nvrtc_available() {
        return;
    }
    use streamcore::{DType, ReduceOp};
    let ptx = |family: &str| {
        let src = streamcore::cuda::kernel_source(family).expect("family listed");
        streamcore::cuda::compile(family, &src, 90).unwrap()
    };
    let (reduce, shape, scan) = (ptx("reduce"), ptx("shape"), ptx("scan"));
    let (matmul, random) = (ptx("matmul"), ptx("random"));
    let (fractal, ceiling, real) = (ptx("fractal"), ptx("ceiling"), ptx("fft_real"));
    for n in [
        "fft_real_forward_c32",
        "fft_real_inverse_c32",
        "fft_real_forward_c64",
        "fft_real_inverse_c64",
    ] {
        assert!(real.contains(&format!(".entry {n}(")), "kernel {n} missing");
    }
    for n in ["ceiling_copy", "ceiling_fma"] {
        assert!(
            ceiling.contains(&format!(".entry {n}(")),
            "kernel {n} missing"
        );
    }
    for n in [
        "escape_f32",
        "escape_f64",
        "escape_f32_fused",
        "escape_f64_fused",
        "lyapunov_f32",
    ] {
        assert!(
            fractal.contains(&format!(".entry {n}(")),
            "kernel {n} missing"
        );
    }
    for n in [
        "bits_u32",
        "uniform_f16",
        "uniform_f32",
        "uniform_f64",
        "normal_f16",
        "normal_f32",
        "normal_f64",
    ] {
        assert!(
            random.contains(&format!(".entry {n}(")),
            "kernel {n} missing"
        );
    }
    let mut count = 0;
    for d in DType::ALL {
        let n = format!("matmul_{}", d.short_name());
        assert!(
            matmul.contains(&format!(".entry {n}(")),
            "kernel {n} missing"
        );
        for op in ["sum", "prod"] {
            for kind in ["rows", "totals", "column"] {
                let n = format!("scan_{op}_{}_{kind}", d.short_name());
                assert!(scan.contains(&format!(".entry {n}(")), "kernel {n} missing");
            }
        }
        for op in ReduceOp::ALL.into_iter().filter(|o| o.supports(d)) {
            let tags: &[&str] = if d == DType::F16 {
                &["sa", "aa", "as", "ss"]
            } else {
                &["aa"]
            };
            for t in tags {
                for kind in ["tile", "column"] {
                    let n = format!("reduce_{}_{}_{t}_{kind}", op.name(), d.short_name());
                    assert!(
                        reduce.contains(&format!(".entry {n}(")),
                        "kernel {n} missing"
                    );
                    count += 1;
                }
            }
        }
        let n = format!("copy_{}", d.size());
        assert!(
            shape.contains(&format!(".entry {n}(")),
            "kernel {n} missing"
        );
    }
    eprintln!("{count} reduce kernels present");
}

/// cuda/fft_real.cu compiled as host C++ (tests/host_cuda/stub.h stands in for the CUDA
/// device environment) and run against a plain DFT (tests/host_cuda/fft_real.cpp): the CUDA
/// real-FFT split is checked on every machine, GPU or not. Needs a C++ compiler (`CXX`, else
/// `c++`): required in CI (STREAMCORE_REQUIRE_HOST_CXX=1), elsewhere skipped with a notice.
#[test]
fn the_cuda_real_fft_split_matches_a_dft_when_run_on_the_host() {
    let required = std::env::var("STREAMCORE_REQUIRE_HOST_CXX").is_ok_and(|v| v == "1");
    let root = std::env::var_os("STREAMCORE_SOURCE_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf());
    let cxx = std::env::var("CXX").unwrap_or_else(|_| "c++".into());
    let exe = std::env::temp_dir().join(format!("streamcore-host-fft-real-{}", std::process::id()));
    let built = std::process::Command::new(&cxx)
        .args(["-std=c++17", "-O1", "-o"])
        .arg(&exe)
        .arg("-I")
        .arg(root.join("tests/host_cuda"))
        .arg("-I")
        .arg(root.join("cuda"))
        .arg(root.join("tests/host_cuda/fft_real.cpp"))
        .output();
    let built = match built {
        Ok(out) => out,
        Err(e) => {
            assert!(
                !required,
                "STREAMCORE_REQUIRE_HOST_CXX=1 but {cxx} did not start: {e}"
            );
            eprintln!(
                "notice: no C++ compiler ({cxx}: {e}); the host check of cuda/fft_real.cu skipped"
            );
            return;
        }
    };
    assert!(
        built.status.success(),
        "{cxx} failed on tests/host_cuda/fft_real.cpp:\n{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let run = std::process::Command::new(&exe)
        .output()
        .expect("the host build runs");
    let _ = std::fs::remove_file(&exe);
    let report = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "the CUDA real split disagrees with the DFT:\n{report}"
    );
    assert!(report.contains("n=126"), "every length ran:\n{report}");
}
