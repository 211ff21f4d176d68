//! Scans (cumsum, cumprod) on every device and dtype against f64 (wrapping i64 for integers)
//! running references: rows of one tile and of many (recursive tile totals, two levels for the
//! longest), columns, few long columns (moved to rows), the flattened array, empty inputs.

mod common;

use common::{Random, on_every_device, random_vec, rng};
use rand::Rng;
use streamcore::ScanOp;
use streamcore::prelude::*;

const CASES: &[(&[usize], isize)] = &[
    (&[1000], 0),
    (&[7, 300], 1),
    (&[300, 7], 0),
    (&[4, 5, 6], 1),
    (&[4, 5, 6], -1),
    (&[3, 70_001], 1),
    (&[2, 3000, 2], 1),
    (&[40, 2000], 0),
    (&[1], 0),
];

/// Running reference along `axis` of a row-major `shape`: (re, im) per element, and the
/// running sum of magnitudes (sums) or running |product| (products) that bounds rounding.
fn reference<T: Element>(
    v: &[T],
    shape: &[usize],
    axis: usize,
    op: ScanOp,
) -> Vec<((f64, f64), f64)> {
    let outer: usize = shape[..axis].iter().product();
    let k = shape[axis];
    let inner: usize = shape[axis + 1..].iter().product();
    let int = !T::DTYPE.is_float();
    let mut out = vec![((0.0, 0.0), 0.0); v.len()];
    for o in 0..outer {
        for i in 0..inner {
            let (mut acc, mut iacc, mut mag) = ((0.0, 0.0), 0i64, 0.0);
            if op == ScanOp::Prod {
                (acc, iacc, mag) = ((1.0, 0.0), 1, 1.0);
            }
            for kk in 0..k {
                let at = (o * k + kk) * inner + i;
                let x = v[at].to_c64();
                let m = x.0.hypot(x.1);
                if int {
                    iacc = match op {
                        ScanOp::Sum => iacc.wrapping_add(x.0 as i64),
                        ScanOp::Prod => iacc.wrapping_mul(x.0 as i64),
                    };
                    let w = if T::DTYPE == DType::I32 {
                        iacc as i32 as f64
                    } else {
                        iacc as u32 as f64
                    };
                    acc = (w, 0.0);
                } else if op == ScanOp::Sum {
                    acc = (acc.0 + x.0, acc.1 + x.1);
                    mag += m;
                } else {
                    acc = (acc.0 * x.0 - acc.1 * x.1, acc.0 * x.1 + acc.1 * x.0);
                    mag *= m;
                }
                out[at] = (acc, mag);
            }
        }
    }
    out
}

/// Inputs for products: magnitudes within 0.1% of 1 with random signs (or phases), so that
/// long running products neither overflow nor vanish; random integers wrap.
fn prod_inputs<T: Random>(r: &mut rand::rngs::StdRng, n: usize) -> Vec<T> {
    if !T::DTYPE.is_float() {
        return random_vec(r, n);
    }
    (0..n)
        .map(|_| {
            let m = 1.0 + r.random_range(-1e-3..1e-3);
            if T::DTYPE.is_complex() {
                let t: f64 = r.random_range(0.0..std::f64::consts::TAU);
                T::from_c64(m * t.cos(), m * t.sin())
            } else {
                let s = if r.random::<bool>() { 1.0 } else { -1.0 };
                T::from_f64(s * m)
            }
        })
        .collect()
}

fn check<T: Random>(dev: &Device, r: &mut rand::rngs::StdRng) {
    let d = T::DTYPE;
    if !dev.supports(d) {
        return;
    }
    for &(shape, axis) in CASES {
        let n: usize = shape.iter().product();
        let ax = axis.rem_euclid(shape.len() as isize) as usize;
        let k = shape[ax] as f64;
        for op in [ScanOp::Sum, ScanOp::Prod] {
            let v = match op {
                ScanOp::Sum => random_vec::<T>(r, n),
                ScanOp::Prod => prod_inputs::<T>(r, n),
            };
            let x = Array::from_vec(dev, v.clone(), shape).unwrap();
            let got = x.scan(op, Some(axis)).unwrap();
            assert_eq!(got.shape(), shape);
            let got = got.to_vec().unwrap();
            for (j, (g, (w, bound))) in got.iter().zip(reference(&v, shape, ax, op)).enumerate() {
                let g = g.to_c64();
                // Serial accumulation bounds the rounding by k units times the running
                // magnitude; the f16 result adds one rounding of its own.
                let tol = common::tolerance(d) * (k * bound + w.0.hypot(w.1));
                assert!(
                    (g.0 - w.0).abs() + (g.1 - w.1).abs() <= tol,
                    "{} {d} {shape:?} axis {axis} at {j} on {dev}: {g:?} vs {w:?} (tol {tol:e})",
                    op.name()
                );
            }
        }
    }
}

#[test]
fn scans_match_the_reference_on_every_device() {
    let mut r = rng();
    on_every_device(|dev| {
        for_each_dtype!(T => { check::<T>(dev, &mut r); });
    });
}

#[test]
fn long_rows_scan_exactly_through_two_levels_of_tile_totals() {
    on_every_device(|dev| {
        // 5e6 > 2048^2 positions: the tile totals are themselves scanned in tiles. Every
        // running sum of ones is an integer below 2^24, so f32 must be exact.
        let n = 5_000_000;
        let x = Array::<f32>::ones(dev, &[n]).unwrap();
        let c = x.cumsum(None).unwrap().to_vec().unwrap();
        let bad = c.iter().enumerate().find(|&(i, &v)| v != (i + 1) as f32);
        assert!(bad.is_none(), "cumsum of ones on {dev}: {bad:?}");
        let y = Array::<i32>::full(dev, &[2, n / 2], 3).unwrap();
        let c = y.cumsum(Some(1)).unwrap().to_vec().unwrap();
        for (i, &v) in c.iter().enumerate() {
            assert_eq!(v, 3 * (i % (n / 2) + 1) as i32, "at {i} on {dev}");
        }
    });
}

#[test]
fn flattened_empty_and_bad_scans() {
    on_every_device(|dev| {
        let x = Array::from_vec(dev, vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]).unwrap();
        let f = x.cumsum(None).unwrap();
        assert_eq!(f.shape(), &[6]);
        assert_eq!(f.to_vec().unwrap(), vec![1.0, 3.0, 6.0, 10.0, 15.0, 21.0]);
        assert_eq!(
            x.cumprod(Some(0)).unwrap().to_vec().unwrap(),
            vec![1.0, 2.0, 3.0, 4.0, 10.0, 18.0]
        );
        // Non-contiguous input: a transposed view, materialised by permute.
        let t = x.transpose().unwrap();
        assert_eq!(
            t.cumsum(Some(1)).unwrap().to_vec().unwrap(),
            vec![1.0, 5.0, 2.0, 7.0, 3.0, 9.0]
        );
        let nan = Array::from_vec(dev, vec![1.0f32, f32::NAN, 2.0], &[3]).unwrap();
        let c = nan.cumsum(None).unwrap().to_vec().unwrap();
        assert_eq!(c[0], 1.0);
        assert!(c[1].is_nan() && c[2].is_nan(), "{c:?}");
        let w = Array::from_vec(dev, vec![i32::MAX, 1], &[2]).unwrap();
        assert_eq!(
            w.cumsum(None).unwrap().to_vec().unwrap(),
            vec![i32::MAX, i32::MIN]
        );

        let e = Array::<f32>::zeros(dev, &[0, 3]).unwrap();
        assert_eq!(e.cumsum(Some(0)).unwrap().shape(), &[0, 3]);
        assert_eq!(e.cumprod(None).unwrap().shape(), &[0]);
        let s = Array::<f32>::full(dev, &[], 2.5).unwrap();
        assert_eq!(s.cumsum(None).unwrap().to_vec().unwrap(), vec![2.5]);
        assert!(matches!(
            s.cumsum(Some(0)),
            Err(Error::InvalidArgument { .. })
        ));
        assert!(matches!(
            x.cumsum(Some(2)),
            Err(Error::InvalidArgument { .. })
        ));
        assert!(matches!(
            x.cumprod(Some(-3)),
            Err(Error::InvalidArgument { .. })
        ));
    });
}
