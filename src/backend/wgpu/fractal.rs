//! wgpu side of the fractals (shaders/fractal.wgsl): one launch, one thread per pixel. The
//! escape kernel reads its view from a small storage buffer in its own precision (uniform
//! buffers hold no f64 portably), so a new view needs no new pipeline.

use super::WgpuBackend;
use super::kernel::{FMA_WIDE, f32_fma_through_f64, section, specialise};
use crate::backend::Backend;
use crate::element::DType;
use crate::error::{Error, Result};
use crate::fractal::FractalJob;

const SOURCE: &str = include_str!("../../../shaders/fractal.wgsl");

/// Renders `job` into `values` and `counts`.
pub(crate) fn run(
    be: &WgpuBackend,
    job: &FractalJob,
    values: &wgpu::Buffer,
    counts: &wgpu::Buffer,
) -> Result<()> {
    let bytes = |pixels: usize| pixels as u64 * 4;
    match job {
        FractalJob::Escape {
            dtype,
            width,
            height,
            x0,
            y1,
            dx,
            dy,
            max_iter,
            julia,
            fused,
        } => {
            let t = if *dtype == DType::F64 { "f64" } else { "f32" };
            let (jx, jy) = julia.unwrap_or((0.0, 0.0));
            let julia_s = julia.is_some().to_string();
            let fused_s = fused.to_string();
            // f32 fused arithmetic on a driver whose fma rounds twice: the fma through f64
            // where the device has it (`FMA_WIDE`), so that the orbits are those of every
            // other device (f64 has no wider type to do the same).
            let wide = *fused && *dtype == DType::F32 && f32_fma_through_f64(be)?;
            let fma = if wide { "fma_wide" } else { "fma" };
            let key = format!("fractal/escape/{t}/{julia_s}/{fused_s}/{fma}");
            let kernel = be.kernels.get(be, &key, "main", || {
                let body = specialise(
                    &section(SOURCE, "escape"),
                    &[
                        ("T", t),
                        ("JULIA", &julia_s),
                        ("FUSED", &fused_s),
                        ("FMA", fma),
                    ],
                );
                if wide { body + FMA_WIDE } else { body }
            })?;
            let v = [*x0, *y1, *dx, *dy, jx, jy];
            let view: Vec<u8> = if *dtype == DType::F64 {
                bytemuck::cast_slice(&v).to_vec()
            } else {
                bytemuck::cast_slice(&v.map(|x| x as f32)).to_vec()
            };
            let vbuf = be.upload_new(&view)?;
            let mut params = [0u32; 12];
            params[..4].copy_from_slice(&[
                *width as u32,
                *height as u32,
                *max_iter,
                job.chunked() as u32,
            ]);
            let n = width * height;
            be.dispatch(
                &kernel,
                bytemuck::cast_slice(&params),
                &[
                    (values, bytes(n)),
                    (counts, bytes(n)),
                    (be.raw(&vbuf)?, view.len() as u64),
                ],
                n as u64,
            )
        }
        FractalJob::Lyapunov {
            width,
            height,
            a0,
            b1,
            da,
            db,
            seq,
            warmup,
            iters,
        } => {
            if seq.len() > 64 {
                return Err(Error::invalid(
                    "lyapunov",
                    "sequences longer than 64 letters",
                ));
            }
            let bits = seq
                .iter()
                .enumerate()
                .fold(0u64, |acc, (i, &s)| acc | ((s as u64) << i));
            let kernel = be.kernels.get(be, "fractal/lyapunov", "main", || {
                section(SOURCE, "lyapunov")
            })?;
            let params = [
                *width as u32,
                *height as u32,
                *iters,
                *warmup,
                seq.len() as u32,
                bits as u32,
                (bits >> 32) as u32,
                0,
                (*a0 as f32).to_bits(),
                (*b1 as f32).to_bits(),
                (*da as f32).to_bits(),
                (*db as f32).to_bits(),
            ];
            let n = width * height;
            be.dispatch(
                &kernel,
                bytemuck::cast_slice(&params),
                &[(values, bytes(n)), (counts, bytes(n))],
                n as u64,
            )
        }
    }
}
