//! FFTs on every device against f64 references (rustfft in f64, itself checked against a
//! direct DFT): every length class of the issue (powers of two, smooth, prime, Bluestein),
//! batched and strided axes, real transforms, N-D, norms, n cropping and padding, the
//! frequency helpers, and the errors. Tolerances: relative L2 error 5e-7 (f32) for powers of
//! two and other lengths with factors up to 7, 2e-6 for Bluestein lengths, 1e-14 for f64.

mod common;

use common::{on_every_device, rng};
use rand::Rng;
use streamcore::Slice;
use streamcore::fft::{self, FftOptions, FftnOptions, Norm};
use streamcore::prelude::*;

type C64 = num_complex::Complex<f64>;

/// The f64 DFT of `x` along `axis` of `shape` (rustfft in f64).
fn reference(x: &[C64], shape: &[usize], axis: usize, inverse: bool) -> Vec<C64> {
    let n = shape[axis];
    let outer: usize = shape[..axis].iter().product();
    let inner: usize = shape[axis + 1..].iter().product();
    let mut planner = rustfft::FftPlanner::<f64>::new();
    let f = if inverse {
        planner.plan_fft_inverse(n)
    } else {
        planner.plan_fft_forward(n)
    };
    let mut out = x.to_vec();
    let mut line = vec![C64::new(0.0, 0.0); n];
    for o in 0..outer {
        for i in 0..inner {
            for k in 0..n {
                line[k] = x[(o * n + k) * inner + i];
            }
            f.process(&mut line);
            for k in 0..n {
                out[(o * n + k) * inner + i] = line[k];
            }
        }
    }
    out
}

fn rel_l2(got: &[(f64, f64)], want: &[C64]) -> f64 {
    let (mut e, mut r) = (0.0, 0.0);
    for (g, w) in got.iter().zip(want) {
        e += (g.0 - w.re).powi(2) + (g.1 - w.im).powi(2);
        r += w.norm_sqr();
    }
    (e / r.max(1e-300)).sqrt()
}

fn smooth(n: usize) -> bool {
    let mut m = n;
    for p in [2, 3, 5, 7] {
        while m.is_multiple_of(p) {
            m /= p;
        }
    }
    m == 1
}

fn tol<C: Element>(n: usize) -> f64 {
    match (C::DTYPE, smooth(n)) {
        (DType::C64, _) => 1e-14,
        (_, true) => 5e-7,
        (_, false) => 2e-6,
    }
}

fn random_c64(r: &mut rand::rngs::StdRng, n: usize) -> Vec<C64> {
    (0..n)
        .map(|_| C64::new(r.random_range(-1.0..1.0), r.random_range(-1.0..1.0)))
        .collect()
}

fn to_dev<C: Element>(dev: &Device, v: &[C64], shape: &[usize]) -> Array<C> {
    Array::from_vec(
        dev,
        v.iter().map(|z| C::from_c64(z.re, z.im)).collect(),
        shape,
    )
    .unwrap()
}

fn pairs<C: Element>(a: &Array<C>) -> Vec<(f64, f64)> {
    a.to_vec()
        .unwrap()
        .into_iter()
        .map(Element::to_c64)
        .collect()
}

/// A real array's values as complex numbers with no imaginary part.
fn real_pairs<R: Element>(a: &Array<R>) -> Vec<(f64, f64)> {
    a.to_vec()
        .unwrap()
        .into_iter()
        .map(|v| (v.to_f64(), 0.0))
        .collect()
}

/// Inputs rounded to the device dtype, for an exact-input reference.
fn rounded<C: Element>(v: &[C64]) -> Vec<C64> {
    v.iter()
        .map(|z| {
            let (re, im) = C::from_c64(z.re, z.im).to_c64();
            C64::new(re, im)
        })
        .collect()
}

const LENGTHS: &[usize] = &[
    1, 2, 3, 5, 7, 16, 17, 97, 100, 127, 1000, 1024, 4096, 4099, 65536,
];

fn check_lengths<C: Element + fft::FftElement<Complex = C>>(
    dev: &Device,
    r: &mut rand::rngs::StdRng,
) {
    if !dev.supports(C::DTYPE) {
        return;
    }
    for &n in LENGTHS {
        let v = rounded::<C>(&random_c64(r, n));
        let x = to_dev::<C>(dev, &v, &[n]);
        let y = fft::fft(&x).unwrap();
        let e = rel_l2(&pairs(&y), &reference(&v, &[n], 0, false));
        eprintln!("fft {} n={n}: relative L2 error {e:.2e}", C::DTYPE);
        assert!(e <= tol::<C>(n), "fft {} n={n} on {dev}: {e:e}", C::DTYPE);
        let back = fft::ifft(&y).unwrap();
        let e = rel_l2(&pairs(&back), &v);
        assert!(
            e <= 2.0 * tol::<C>(n),
            "ifft(fft) {} n={n} on {dev}: {e:e}",
            C::DTYPE
        );
    }
}

#[test]
fn every_length_matches_the_f64_reference() {
    let mut r = rng();
    on_every_device(|dev| {
        check_lengths::<Complex32>(dev, &mut r);
        check_lengths::<Complex64>(dev, &mut r);
    });
}

#[test]
fn a_million_points_and_batched_strided_axes() {
    let mut r = rng();
    on_every_device(|dev| {
        let n = 1 << 20;
        let v = rounded::<Complex32>(&random_c64(&mut r, n));
        let x = to_dev::<Complex32>(dev, &v, &[n]);
        let e = rel_l2(
            &pairs(&fft::fft(&x).unwrap()),
            &reference(&v, &[n], 0, false),
        );
        assert!(e <= 5e-7, "2^20 on {dev}: {e:e}");
        // The inverse, scaled by 1/n (on the CPU both run as one transform over every thread).
        let mut want = reference(&v, &[n], 0, true);
        want.iter_mut().for_each(|z| *z /= n as f64);
        let e = rel_l2(&pairs(&fft::ifft(&x).unwrap()), &want);
        assert!(e <= 5e-7, "inverse 2^20 on {dev}: {e:e}");
        for (shape, axis) in [
            (&[3usize, 100, 5][..], 1usize),
            (&[3, 100, 5][..], 0),
            (&[17, 4, 6][..], 0),
            (&[4, 97][..], 1),
            (&[64, 33][..], 0),
            // Strided axes that fit one block but run as two steps of many columns.
            (&[1024, 16][..], 0),
            (&[2, 4096, 8][..], 1),
            // Rows of 1024, 4096 and 65536: the CPU's own AVX-512 kernels where it has them
            // (9 rows of 65536 pass 4 MiB, so they are copied and transformed in place).
            // 3 rows are one task (on the CPU, run by the caller), 40 rows two.
            (&[3, 1024][..], 1),
            (&[40, 1024][..], 1),
            (&[2, 4096][..], 1),
            (&[9, 65536][..], 1),
            // Rows of 2^20: out of place at any batch size, with the output holding the
            // AVX-512 kernel's rows (its in-place form is tested with the kernel).
            (&[2, 1 << 20][..], 1),
        ] {
            let len: usize = shape.iter().product();
            let v = rounded::<Complex32>(&random_c64(&mut r, len));
            let x = to_dev::<Complex32>(dev, &v, shape);
            for inverse in [false, true] {
                let o = FftOptions {
                    axis: axis as isize,
                    ..FftOptions::default()
                };
                let y = if inverse {
                    fft::ifft_with(&x, &o).unwrap()
                } else {
                    fft::fft_with(&x, &o).unwrap()
                };
                let mut want = reference(&v, shape, axis, inverse);
                if inverse {
                    let s = 1.0 / shape[axis] as f64;
                    want.iter_mut().for_each(|z| *z *= s);
                }
                let e = rel_l2(&pairs(&y), &want);
                assert!(
                    e <= 2e-6,
                    "{shape:?} axis {axis} inverse {inverse} on {dev}: {e:e}"
                );
            }
        }
    });
}

#[test]
fn real_transforms_nd_norms_and_lengths() {
    let mut r = rng();
    on_every_device(|dev| {
        for n in [1usize, 2, 7, 16, 17, 100] {
            let v: Vec<f32> = (0..n).map(|_| r.random_range(-1.0..1.0)).collect();
            let x = Array::from_vec(dev, v.clone(), &[n]).unwrap();
            let full = pairs(&fft::fft(&x).unwrap());
            let half = pairs(&fft::rfft(&x).unwrap());
            assert_eq!(half.len(), n / 2 + 1);
            for (h, f) in half.iter().zip(&full) {
                assert!((h.0 - f.0).abs() + (h.1 - f.1).abs() <= 1e-5 * n as f64);
            }
            let back = fft::irfft(&fft::rfft(&x).unwrap(), Some(n))
                .unwrap()
                .to_vec()
                .unwrap();
            assert_eq!(back.len(), n);
            for (b, a) in back.iter().zip(&v) {
                assert!(
                    (b - a).abs() <= 1e-5,
                    "irfft(rfft) n={n} on {dev}: {b} vs {a}"
                );
            }
        }
        // Default irfft length 2 (m - 1), and n cropping / zero padding as NumPy.
        let x = Array::from_vec(dev, vec![1.0f32, 2.0, 3.0, 4.0, 5.0], &[5]).unwrap();
        assert_eq!(
            fft::irfft(&fft::rfft(&x).unwrap(), None).unwrap().shape(),
            &[4]
        );
        let padded = fft::fft_with(
            &x,
            &FftOptions {
                n: Some(8),
                ..Default::default()
            },
        )
        .unwrap();
        let mut v8 = vec![C64::new(0.0, 0.0); 8];
        for (i, z) in v8.iter_mut().enumerate().take(5) {
            *z = C64::new(i as f64 + 1.0, 0.0);
        }
        assert!(rel_l2(&pairs(&padded), &reference(&v8, &[8], 0, false)) < 1e-6);
        let cropped = fft::fft_with(
            &x,
            &FftOptions {
                n: Some(3),
                ..Default::default()
            },
        )
        .unwrap();
        let v3: Vec<C64> = (1..=3).map(|i| C64::new(i as f64, 0.0)).collect();
        assert!(rel_l2(&pairs(&cropped), &reference(&v3, &[3], 0, false)) < 1e-6);
        // Norms: ortho is unitary, forward puts 1/n on the forward transform.
        let o = fft::fft_with(
            &x,
            &FftOptions {
                norm: Norm::Ortho,
                ..Default::default()
            },
        )
        .unwrap();
        let b = fft::fft(&x).unwrap();
        for (p, q) in pairs(&o).iter().zip(pairs(&b)) {
            assert!(
                (p.0 * 5f64.sqrt() - q.0).abs() < 1e-5 && (p.1 * 5f64.sqrt() - q.1).abs() < 1e-5
            );
        }
        let f = fft::ifft_with(
            &b,
            &FftOptions {
                norm: Norm::Forward,
                ..Default::default()
            },
        )
        .unwrap();
        for (p, q) in pairs(&f).iter().zip([1.0, 2.0, 3.0, 4.0, 5.0]) {
            assert!((p.0 - 5.0 * q).abs() < 1e-4 && p.1.abs() < 1e-4);
        }
        // N-D with odd sides, against 1-D references applied axis by axis.
        for shape in [&[5usize, 6][..], &[3, 4, 7][..]] {
            let len: usize = shape.iter().product();
            let v = rounded::<Complex32>(&random_c64(&mut r, len));
            let x = to_dev::<Complex32>(dev, &v, shape);
            let mut want = v.clone();
            for ax in 0..shape.len() {
                want = reference(&want, shape, ax, false);
            }
            let y = fft::fftn(&x, &FftnOptions::default()).unwrap();
            assert!(rel_l2(&pairs(&y), &want) < 2e-6, "fftn {shape:?} on {dev}");
            let back = fft::ifftn(&y, &FftnOptions::default()).unwrap();
            assert!(rel_l2(&pairs(&back), &v) < 2e-6);
            if shape.len() == 2 {
                assert!(rel_l2(&pairs(&fft::fft2(&x).unwrap()), &want) < 2e-6);
            }
            // Real N-D: rfftn keeps the last axis' non-negative half; irfftn inverts it.
            let re: Vec<f32> = v.iter().map(|z| z.re as f32).collect();
            let xr = Array::from_vec(dev, re.clone(), shape).unwrap();
            let h = fft::rfftn(&xr, &FftnOptions::default()).unwrap();
            let mut hs = shape.to_vec();
            *hs.last_mut().unwrap() = shape[shape.len() - 1] / 2 + 1;
            assert_eq!(h.shape(), &hs[..]);
            let s = Some(shape.to_vec());
            let back = fft::irfftn(
                &h,
                &FftnOptions {
                    s,
                    ..Default::default()
                },
            )
            .unwrap();
            for (b, a) in back.to_vec().unwrap().iter().zip(&re) {
                assert!((b - a).abs() < 1e-5, "irfftn(rfftn) {shape:?} on {dev}");
            }
        }
    });
}

#[test]
fn frequencies_shifts_and_errors() {
    on_every_device(|dev| {
        let f = fft::fftfreq::<f64>(dev, 8, 0.1).unwrap().to_vec().unwrap();
        let want = [0.0, 1.25, 2.5, 3.75, -5.0, -3.75, -2.5, -1.25];
        assert!(
            f.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-12),
            "{f:?}"
        );
        let f = fft::fftfreq::<f32>(dev, 5, 1.0).unwrap().to_vec().unwrap();
        assert_eq!(f, vec![0.0, 0.2, 0.4, -0.4, -0.2]);
        let f = fft::rfftfreq::<f32>(dev, 9, 1.0).unwrap().to_vec().unwrap();
        assert_eq!(f.len(), 5);
        assert!((f[4] - 4.0 / 9.0).abs() < 1e-7);
        let x = Array::from_vec(dev, (0..10).collect::<Vec<i32>>(), &[2, 5]).unwrap();
        let s = fft::fftshift(&x, Some(&[1])).unwrap();
        assert_eq!(s.to_vec().unwrap(), vec![3, 4, 0, 1, 2, 8, 9, 5, 6, 7]);
        let back = fft::ifftshift(&fft::fftshift(&x, None).unwrap(), None).unwrap();
        assert_eq!(back.to_vec().unwrap(), x.to_vec().unwrap());

        let z = Array::<Complex32>::zeros(dev, &[4]).unwrap();
        assert!(matches!(
            fft::fft_with(
                &z,
                &FftOptions {
                    n: Some(0),
                    ..Default::default()
                }
            ),
            Err(Error::InvalidArgument { .. })
        ));
        assert!(matches!(
            fft::fft_with(
                &z,
                &FftOptions {
                    axis: 1,
                    ..Default::default()
                }
            ),
            Err(Error::InvalidArgument { .. })
        ));
        let e = Array::<Complex32>::zeros(dev, &[0]).unwrap();
        assert!(matches!(fft::fft(&e), Err(Error::InvalidArgument { .. })));
        assert!(matches!(fft::rfft(&z), Err(Error::DtypeUnsupported { .. })));
        assert!(matches!(
            fft::irfft(&z, Some(0)),
            Err(Error::InvalidArgument { .. })
        ));
        assert!(fft::fftfreq::<f32>(dev, 0, 1.0).is_err());
        assert!(matches!(
            fft::fftn(
                &z,
                &FftnOptions {
                    axes: Some(vec![0, 0]),
                    ..Default::default()
                }
            ),
            Err(Error::InvalidArgument { .. })
        ));
        if !dev.supports(DType::F64) {
            let d = Array::<f32>::zeros(dev, &[4]).unwrap();
            assert!(d.cast::<f64>().is_err());
        }
    });
}

/// The reference itself, and every device's f64 transform, against a direct O(n^2) DFT.
#[test]
fn the_reference_and_f64_transforms_match_a_direct_dft() {
    let mut r = rng();
    let direct = |x: &[C64]| -> Vec<C64> {
        let n = x.len();
        (0..n)
            .map(|k| {
                x.iter()
                    .enumerate()
                    .map(|(j, v)| {
                        let a = -2.0 * std::f64::consts::PI * ((j * k) % n) as f64 / n as f64;
                        v * C64::new(a.cos(), a.sin())
                    })
                    .sum()
            })
            .collect()
    };
    for n in [1usize, 2, 3, 8, 12, 17, 97, 100] {
        let v = random_c64(&mut r, n);
        let want = direct(&v);
        let got: Vec<(f64, f64)> = reference(&v, &[n], 0, false)
            .iter()
            .map(|z| (z.re, z.im))
            .collect();
        assert!(rel_l2(&got, &want) < 1e-13, "reference n={n}");
        on_every_device(|dev| {
            if dev.supports(DType::C64) {
                let y = fft::fft(&to_dev::<Complex64>(dev, &v, &[n])).unwrap();
                assert!(rel_l2(&pairs(&y), &want) < 1e-13, "f64 n={n} on {dev}");
            }
        });
    }
}

#[test]
fn plans_check_their_shape_and_match_plain_calls() {
    let mut r = rng();
    on_every_device(|dev| {
        let v = rounded::<Complex32>(&random_c64(&mut r, 6 * 97));
        let x = to_dev::<Complex32>(dev, &v, &[6, 97]);
        let plan =
            fft::FftPlan::<Complex32>::new(dev, &[6, 97], &[0, 1], false, Norm::Ortho).unwrap();
        let a = pairs(&plan.execute(&x).unwrap());
        let o = FftnOptions {
            norm: Norm::Ortho,
            ..Default::default()
        };
        let b = pairs(&fft::fftn(&x, &o).unwrap());
        assert_eq!(
            a, b,
            "a plan and the plain call run the same kernels on {dev}"
        );
        let wrong = Array::<Complex32>::zeros(dev, &[97, 6]).unwrap();
        assert!(matches!(
            plan.execute(&wrong),
            Err(Error::ShapeMismatch { .. })
        ));
        assert!(fft::FftPlan::<Complex32>::new(dev, &[0, 4], &[0], false, Norm::Backward).is_err());
        assert!(fft::FftPlan::<Complex32>::new(dev, &[4], &[1], false, Norm::Backward).is_err());
    });
}

/// rfft and irfft against the f64 reference at the tolerances, for even lengths (the
/// CPU runs them as half-length complex transforms) and odd ones, batched rows, both float
/// types, every norm; irfft ignores the imaginary parts of the first and last bins, as a real
/// signal's spectrum has none there.
#[test]
fn real_transforms_match_the_f64_reference() {
    fn check<R: Element + fft::FftElement>(dev: &Device, r: &mut rand::rngs::StdRng) {
        if !dev.supports(R::DTYPE) {
            return;
        }
        for (rows, n) in [
            (3usize, 2usize),
            (2, 4),
            (1, 6),
            (5, 10),
            (4, 100),
            (3, 1000),
        ]
        .into_iter()
        .chain([
            (2, 1024),
            (3, 2048),
            (1, 4096),
            (2, 65536),
            (1, 131072),
            (1, 17),
            (2, 97),
        ]) {
            let v: Vec<f64> = (0..rows * n).map(|_| r.random_range(-1.0..1.0)).collect();
            let x = Array::from_vec(dev, v.iter().map(|&a| R::from_f64(a)).collect(), &[rows, n])
                .unwrap();
            let exact: Vec<C64> = real_pairs(&x)
                .into_iter()
                .map(|(re, im)| C64::new(re, im))
                .collect();
            let want = reference(&exact, &[rows, n], 1, false);
            let m = n / 2 + 1;
            let half: Vec<C64> = (0..rows)
                .flat_map(|i| want[i * n..i * n + m].to_vec())
                .collect();
            for norm in [Norm::Backward, Norm::Ortho, Norm::Forward] {
                let o = FftOptions {
                    norm,
                    ..Default::default()
                };
                let s = match norm {
                    Norm::Backward => 1.0,
                    Norm::Ortho => 1.0 / (n as f64).sqrt(),
                    Norm::Forward => 1.0 / n as f64,
                };
                let spec = fft::rfft_with(&x, &o).unwrap();
                assert_eq!(spec.shape(), &[rows, m]);
                let scaled: Vec<C64> = half.iter().map(|z| z * s).collect();
                let e = rel_l2(&pairs(&spec), &scaled);
                assert!(
                    e <= tol::<R::Complex>(n),
                    "rfft {rows}x{n} {norm:?} on {dev}: {e:e}"
                );
                // The way back, with junk in the imaginary parts it must ignore.
                let mut bins = spec.to_vec().unwrap();
                for row in bins.chunks_mut(m) {
                    let (re0, _) = row[0].to_c64();
                    row[0] = R::Complex::from_c64(re0, 0.75);
                    if n % 2 == 0 {
                        let (re, _) = row[m - 1].to_c64();
                        row[m - 1] = R::Complex::from_c64(re, -0.5);
                    }
                }
                let bins = Array::from_vec(dev, bins, &[rows, m]).unwrap();
                let back = fft::irfft_with(
                    &bins,
                    &FftOptions {
                        n: Some(n),
                        norm,
                        ..Default::default()
                    },
                )
                .unwrap();
                assert_eq!(back.shape(), &[rows, n]);
                let got = real_pairs(&back);
                let e = rel_l2(&got, &exact);
                assert!(
                    e <= 2.0 * tol::<R::Complex>(n),
                    "irfft {rows}x{n} {norm:?} on {dev}: {e:e}"
                );
            }
        }
        // n cropping and zero padding of the bins, as NumPy: irfft of the first 3 bins of a
        // 10-point signal to 8 points equals the 8-point inverse of those bins, zero-padded.
        let x = Array::from_vec(
            dev,
            (0..10).map(|i| R::from_f64(i as f64 * 0.1)).collect(),
            &[10],
        )
        .unwrap();
        let spec = fft::rfft(&x).unwrap();
        let three = spec.slice(&[Slice::range(0, 3)]).unwrap();
        let got = fft::irfft(&three, Some(8)).unwrap().to_vec().unwrap();
        let bins: Vec<C64> = pairs(&three).iter().map(|&(a, b)| C64::new(a, b)).collect();
        let mut full = vec![C64::new(0.0, 0.0); 8];
        full[0] = C64::new(bins[0].re, 0.0);
        for k in 1..3 {
            full[k] = bins[k];
            full[8 - k] = bins[k].conj();
        }
        let want = reference(&full, &[8], 0, true);
        for (g, w) in got.iter().zip(&want) {
            assert!(
                (g.to_f64() - w.re / 8.0).abs() < 1e-5,
                "irfft n=8 of 3 bins on {dev}"
            );
        }
    }
    let mut r = rng();
    on_every_device(|dev| {
        check::<f32>(dev, &mut r);
        check::<f64>(dev, &mut r);
    });
}

/// One long real row (2^21 samples, whose half transform runs four-step on a CPU with more
/// than one thread) against the f64 reference, and back with irfft, in f32 and f64.
#[test]
fn a_long_real_row_on_the_cpu() {
    fn check<R: Element + fft::FftElement>(r: &mut rand::rngs::StdRng, tol: f64) {
        let dev = Device::cpu();
        let n = 1 << 21;
        let v: Vec<f64> = (0..n).map(|_| r.random_range(-1.0..1.0)).collect();
        let x = Array::from_vec(&dev, v.iter().map(|&a| R::from_f64(a)).collect(), &[n]).unwrap();
        let exact: Vec<C64> = real_pairs(&x)
            .into_iter()
            .map(|(re, im)| C64::new(re, im))
            .collect();
        let want = reference(&exact, &[n], 0, false);
        let spec = fft::rfft(&x).unwrap();
        let e = rel_l2(&pairs(&spec), &want[..n / 2 + 1]);
        assert!(e <= tol, "rfft 2^21 {}: {e:e}", R::DTYPE);
        let back = fft::irfft(&spec, Some(n)).unwrap();
        let got = real_pairs(&back);
        let e = rel_l2(&got, &exact);
        assert!(e <= 2.0 * tol, "irfft 2^21 {}: {e:e}", R::DTYPE);
    }
    let mut r = rng();
    check::<f32>(&mut r, 5e-7);
    check::<f64>(&mut r, 1e-14);
}
