//! cuFFT and cuBLAS anchors for `streamcore bench` (feature `cuda`): the vendor libraries on
//! the same GPU as the CUDA device, through cudarc, timed with CUDA events like our kernels.
//! The libraries are loaded at run time; where they are missing the anchor reports an error
//! instead of a figure (cudarc panics on a missing library, so each run is caught).

use std::panic::AssertUnwindSafe;
use std::time::Instant;

use cudarc::cublas::{CudaBlas, Gemm, GemmConfig, sys::cublasOperation_t};
use cudarc::cufft::{CudaFft, FftDirection, sys::cufftType_t, sys::float2};
use cudarc::driver::{CudaContext, sys::CUevent_flags};
use streamcore::prelude::*;

use crate::bench::{Case, Measured, Policy, complex_pattern, max_rel_err, pattern, repeat};

/// The GPU anchor of `case` on the GPU of `dev`, if the case has one: its name and result.
pub fn run(
    case: Case,
    dev: &Device,
    policy: &Policy,
    reference: &[f64],
) -> Option<(&'static str, Result<Measured>)> {
    let name = match case {
        Case::Fft { .. } | Case::Fft2(_) => "cufft",
        Case::Matmul(_) => "cublas",
        _ => return None,
    };
    let ordinal = dev.info().index.unwrap_or(0);
    let out = std::panic::catch_unwind(AssertUnwindSafe(|| {
        measure(case, ordinal, policy, reference).map_err(|detail| Error::Backend {
            device: format!("cuda:{ordinal} ({name})"),
            detail,
        })
    }))
    .unwrap_or_else(|_| {
        Err(Error::BackendUnavailable {
            backend: name,
            reason: "the library could not be loaded (is it on LD_LIBRARY_PATH?)".into(),
        })
    });
    Some((name, out))
}

fn measure(
    case: Case,
    ordinal: usize,
    policy: &Policy,
    reference: &[f64],
) -> std::result::Result<Measured, String> {
    let e = |what: &str| {
        let what = what.to_string();
        move |err: &dyn std::fmt::Debug| format!("{what}: {err:?}")
    };
    let ctx = CudaContext::new(ordinal).map_err(|x| e("context")(&x))?;
    let stream = ctx.new_stream().map_err(|x| e("stream")(&x))?;
    let timing = Some(CUevent_flags::CU_EVENT_DEFAULT);
    // Times one call on the stream: wall (host, drained) and device (events).
    let time = |call: &mut dyn FnMut() -> std::result::Result<(), String>| {
        stream.synchronize().map_err(|x| e("sync")(&x))?;
        let t = Instant::now();
        let start = stream.record_event(timing).map_err(|x| e("event")(&x))?;
        call()?;
        let end = stream.record_event(timing).map_err(|x| e("event")(&x))?;
        stream.synchronize().map_err(|x| e("sync")(&x))?;
        let wall = t.elapsed().as_secs_f64();
        let ms = start.elapsed_ms(&end).map_err(|x| e("event")(&x))?;
        Ok::<_, String>((wall, ms as f64 * 1e-3))
    };
    let to_f2 = |v: Vec<Complex32>| -> Vec<float2> {
        v.into_iter().map(|c| float2 { x: c.re, y: c.im }).collect()
    };
    let (mut first, mut run): (f64, Box<dyn FnMut(usize) -> _>);
    let result: Vec<f64>;
    match case {
        Case::Fft { .. } | Case::Fft2(_) => {
            let (len, plan) = match case {
                Case::Fft { n, batch } => (
                    n * batch,
                    CudaFft::plan_1d(
                        n as i32,
                        cufftType_t::CUFFT_C2C,
                        batch as i32,
                        stream.clone(),
                    ),
                ),
                Case::Fft2(n) => (
                    n * n,
                    CudaFft::plan_2d(n as i32, n as i32, cufftType_t::CUFFT_C2C, stream.clone()),
                ),
                _ => unreachable!("matched above"),
            };
            let plan = plan.map_err(|x| e("cufft plan")(&x))?;
            let sets = case.sets();
            let mut inputs = Vec::new();
            for s in 0..sets {
                let host = to_f2(complex_pattern(len, s as u64));
                inputs.push(stream.clone_htod(&host).map_err(|x| e("upload")(&x))?);
            }
            let mut out = stream
                .alloc_zeros::<float2>(len)
                .map_err(|x| e("alloc")(&x))?;
            // cuFFT may use its input as scratch: C2C out of place leaves it intact.
            let mut exec = move |i: usize, out: &mut cudarc::driver::CudaSlice<float2>| {
                plan.exec_c2c(&mut inputs[i], out, FftDirection::Forward)
                    .map_err(|x| e("cufft exec")(&x))
            };
            first = time(&mut || exec(0, &mut out))?.0;
            let back = stream.clone_dtoh(&out).map_err(|x| e("download")(&x))?;
            result = back.iter().flat_map(|c| [c.x as f64, c.y as f64]).collect();
            run = Box::new(move |i| time(&mut || exec(i % sets, &mut out)));
        }
        Case::Matmul(n) => {
            let a = stream
                .clone_htod(&pattern(n * n, 1))
                .map_err(|x| e("upload")(&x))?;
            let b = stream
                .clone_htod(&pattern(n * n, 2))
                .map_err(|x| e("upload")(&x))?;
            let mut c = stream
                .alloc_zeros::<f32>(n * n)
                .map_err(|x| e("alloc")(&x))?;
            let blas = CudaBlas::new(stream.clone()).map_err(|x| e("cublas")(&x))?;
            let ni = n as i32;
            let cfg = GemmConfig {
                transa: cublasOperation_t::CUBLAS_OP_N,
                transb: cublasOperation_t::CUBLAS_OP_N,
                m: ni,
                n: ni,
                k: ni,
                alpha: 1.0f32,
                lda: ni,
                ldb: ni,
                beta: 0.0f32,
                ldc: ni,
            };
            // Row-major C = A B is column-major C^T = B^T A^T: B first.
            let exec = move |c: &mut cudarc::driver::CudaSlice<f32>| {
                // SAFETY: a, b and c hold n * n f32 each, matching the configuration.
                unsafe { blas.gemm(cfg, &b, &a, c) }.map_err(|x| e("cublas gemm")(&x))
            };
            first = time(&mut || exec(&mut c))?.0;
            let back = stream.clone_dtoh(&c).map_err(|x| e("download")(&x))?;
            result = back.into_iter().map(f64::from).collect();
            run = Box::new(move |_| time(&mut || exec(&mut c)));
        }
        _ => return Err("no GPU anchor for this case".into()),
    }
    run(0)?;
    let (wall, kernel) = repeat(policy, |i| {
        run(i)
            .map(|(w, k)| (w, Some(k)))
            .map_err(|detail| Error::Backend {
                device: format!("cuda:{ordinal}"),
                detail,
            })
    })
    .map_err(|x| x.to_string())?;
    let med = crate::bench::median(&wall);
    first = (first - med).max(0.0);
    Ok(Measured {
        err: Some(max_rel_err(&result, reference)),
        first_s: Some(first),
        wall,
        kernel,
        ..Default::default()
    })
}
