//! Reductions on every device and dtype against f64 (i64 for integers) host references, over
//! single axes, axis sets (adjacent and not), keepdims, sizes that need several passes, NaN
//! and ties; plus the accuracy promise: 2^24 values of 0.1 sum to within 1e-6.

mod common;

use common::{Random, on_every_device, random_vec, rng};
use ndarray::{ArrayD, IxDyn};
use streamcore::ReduceOp;
use streamcore::prelude::*;

/// Reference reduction of `h` over the sorted `axes`, element by element in f64/i64.
fn reference<T: Element>(h: &ArrayD<T>, axes: &[usize], op: ReduceOp) -> ArrayD<(f64, f64, u32)> {
    // Move the reduced axes last, then reduce each row of the flattened view.
    let nd = h.ndim();
    let kept: Vec<usize> = (0..nd).filter(|d| !axes.contains(d)).collect();
    let perm: Vec<usize> = kept.iter().chain(axes).copied().collect();
    let p = h.view().permuted_axes(perm);
    let out_shape: Vec<usize> = kept.iter().map(|&d| h.shape()[d]).collect();
    let k: usize = axes.iter().map(|&d| h.shape()[d]).product();
    let rows: Vec<T> = p.iter().copied().collect();
    let int = !T::DTYPE.is_float();
    let vals: Vec<(f64, f64, u32)> = rows
        .chunks(k.max(1))
        .map(|row| {
            let v: Vec<(f64, f64)> = row.iter().map(|x| x.to_c64()).collect();
            match op {
                ReduceOp::Sum if int => {
                    let s = v.iter().fold(0i64, |a, x| a.wrapping_add(x.0 as i64));
                    (wrap::<T>(s), 0.0, 0)
                }
                ReduceOp::Prod if int => {
                    let s = v.iter().fold(1i64, |a, x| a.wrapping_mul(x.0 as i64));
                    (wrap::<T>(s), 0.0, 0)
                }
                ReduceOp::Sum => {
                    let (a, b) = v.iter().fold((0.0, 0.0), |a, x| (a.0 + x.0, a.1 + x.1));
                    (a, b, 0)
                }
                ReduceOp::Prod => {
                    let (a, b) = v.iter().fold((1.0, 0.0), |a, x| {
                        (a.0 * x.0 - a.1 * x.1, a.0 * x.1 + a.1 * x.0)
                    });
                    (a, b, 0)
                }
                _ => {
                    let min = matches!(op, ReduceOp::Min | ReduceOp::ArgMin);
                    let mut best = 0usize;
                    for (j, x) in v.iter().enumerate() {
                        if v[best].0.is_nan() {
                            break;
                        }
                        if x.0.is_nan()
                            || (if min {
                                x.0 < v[best].0
                            } else {
                                x.0 > v[best].0
                            })
                        {
                            best = j;
                        }
                    }
                    (v[best].0, 0.0, best as u32)
                }
            }
        })
        .collect();
    ArrayD::from_shape_vec(IxDyn(&out_shape), vals).unwrap()
}

fn wrap<T: Element>(v: i64) -> f64 {
    if T::DTYPE == DType::I32 {
        v as i32 as f64
    } else {
        v as u32 as f64
    }
}

const CASES: &[(&[usize], &[usize])] = &[
    (&[1000], &[0]),
    (&[7, 300], &[1]),
    (&[300, 7], &[0]),
    (&[4, 5, 6], &[0, 2]),
    (&[4, 5, 6], &[1, 2]),
    (&[4, 5, 6], &[0, 1, 2]),
    (&[3, 70_001], &[1]),
    (&[20_000, 3], &[0]),
    // Blocks of columns that must not straddle two outer indices (inner 4500 = 4096 + 404).
    (&[2, 3, 4500], &[1]),
    // A k axis cut into parts merged in order, with one block and with two.
    (&[1024, 520], &[0]),
    (&[64, 5000], &[0]),
    // A narrow inner axis read as groups of rows, with a k axis cut into parts.
    (&[66_000, 4], &[0]),
    (&[1], &[0]),
];

fn check<T: Random>(dev: &Device, r: &mut rand::rngs::StdRng) {
    let d = T::DTYPE;
    if !dev.supports(d) {
        return;
    }
    for &(shape, axes) in CASES {
        let n: usize = shape.iter().product();
        let mut v = random_vec::<T>(r, n);
        if !d.is_complex() && n > 10 {
            // Ties, so that argmin/argmax must find the first occurrence.
            v[n / 2] = v[n / 3];
        }
        let amax = v
            .iter()
            .map(|x| x.to_c64().0.abs() + x.to_c64().1.abs())
            .fold(0.0, f64::max);
        let h = ArrayD::from_shape_vec(IxDyn(shape), v.clone()).unwrap();
        let x = Array::from_vec(dev, v.clone(), shape).unwrap();
        let ax: Vec<isize> = axes.iter().map(|&a| a as isize).collect();
        for op in ReduceOp::ALL {
            if !op.supports(d) {
                continue;
            }
            if op == ReduceOp::Prod && d.is_float() {
                continue; // products of random values overflow; checked separately below
            }
            let want = reference(&h, axes, op);
            if op.is_arg() {
                if axes.len() != 1 {
                    continue;
                }
                let got = if op == ReduceOp::ArgMin {
                    x.argmin(Some(axes[0] as isize))
                } else {
                    x.argmax(Some(axes[0] as isize))
                };
                let got = match got {
                    Ok(g) => g.to_ndarray().unwrap(),
                    Err(Error::DtypeUnsupported { .. }) if d == DType::F64 => continue,
                    Err(e) => panic!("{} {d} on {dev}: {e}", op.name()),
                };
                assert_eq!(got.shape(), want.shape());
                for (g, w) in got.iter().zip(want.iter()) {
                    assert_eq!(*g, w.2, "{} {d} {shape:?} {axes:?} on {dev}", op.name());
                }
                continue;
            }
            let got = x.reduce(op, &ax, false).unwrap().to_ndarray().unwrap();
            assert_eq!(got.shape(), want.shape(), "{} shape", op.name());
            let k: usize = axes.iter().map(|&a| shape[a]).product();
            for (g, w) in got.iter().zip(want.iter()) {
                let gv = g.to_c64();
                let tol = match (op, d) {
                    (_, DType::I32 | DType::U32) | (ReduceOp::Min | ReduceOp::Max, _) => 0.0,
                    // Pairwise sums: log2(k) roundings of partial sums bounded by sum |x|.
                    _ => {
                        let mag = amax * k as f64;
                        common::tolerance(d) * (k as f64).log2().max(1.0) * mag
                    }
                };
                assert!(
                    (gv.0 - w.0).abs() + (gv.1 - w.1).abs() <= tol,
                    "{} {d} {shape:?} {axes:?} on {dev}: {g:?} vs {w:?} (tol {tol:e})",
                    op.name()
                );
            }
        }
        // keepdims keeps the reduced axes as length 1.
        let kd = x.sum_axes(&ax, true).unwrap();
        let want: Vec<usize> = (0..shape.len())
            .map(|a| if axes.contains(&a) { 1 } else { shape[a] })
            .collect();
        assert_eq!(kd.shape(), &want[..]);
    }
}

#[test]
fn reductions_match_the_reference_on_every_device() {
    let mut r = rng();
    on_every_device(|dev| {
        for_each_dtype!(T => { check::<T>(dev, &mut r); });
    });
}

#[test]
fn arg_reductions_down_long_columns_keep_the_first_extreme() {
    // Few distinct values (ties in every column, across groups of rows and the parts of a
    // cut k axis) and NaNs early, late and twice in some columns.
    for (k, inner) in [(2048usize, 300usize), (40_000, 7), (301, 5), (5, 40_000)] {
        let mut v: Vec<f32> = (0..k * inner).map(|i| ((i * 7919) % 13) as f32).collect();
        for (row, col) in [
            (k * 2 / 3, 1),
            (k * 5 / 6, 1),
            (3, 2),
            (k - 1, inner - 1),
            (0, 4),
        ] {
            v[row * inner + col] = f32::NAN;
        }
        let h = ArrayD::from_shape_vec(IxDyn(&[k, inner]), v.clone()).unwrap();
        on_every_device(|dev| {
            let x = Array::from_vec(dev, v.clone(), &[k, inner]).unwrap();
            for op in [ReduceOp::ArgMin, ReduceOp::ArgMax] {
                // Down the columns, along the rows, and over the whole array as one row.
                for axis in [Some(0), Some(1), None] {
                    let axes: &[usize] = match axis {
                        Some(a) => &[a],
                        None => &[0, 1],
                    };
                    let want: Vec<u32> = reference(&h, axes, op).iter().map(|w| w.2).collect();
                    let got = if op == ReduceOp::ArgMin {
                        x.argmin(axis.map(|a| a as isize))
                    } else {
                        x.argmax(axis.map(|a| a as isize))
                    };
                    let got = got.unwrap().to_vec().unwrap();
                    let bad = got.iter().zip(&want).position(|(g, w)| g != w);
                    assert!(
                        got.len() == want.len() && bad.is_none(),
                        "{} of {k} x {inner} along {axis:?} on {dev}: output {bad:?} of {} differs",
                        op.name(),
                        want.len()
                    );
                }
            }
        });
    }
}

#[test]
fn f32_sums_stay_accurate_at_2_to_the_24() {
    on_every_device(|dev| {
        let n = 1usize << 24;
        let x = Array::<f32>::full(dev, &[n], 0.1).unwrap();
        let s = x.sum().unwrap().item().unwrap() as f64;
        let exact = 0.1f32 as f64 * n as f64;
        let rel = (s - exact).abs() / exact;
        assert!(
            rel <= 1e-6,
            "sum of 2^24 x 0.1 on {dev}: {s} (relative error {rel:e})"
        );
        // And along an axis whose reduction runs in column passes.
        let y = Array::<f32>::full(dev, &[1 << 16, 4], 0.1).unwrap();
        let c = y.sum_axes(&[0], false).unwrap().to_vec().unwrap();
        let exact = 0.1f32 as f64 * (1 << 16) as f64;
        assert!(
            c.iter()
                .all(|&v| ((v as f64 - exact) / exact).abs() <= 1e-6),
            "{c:?}"
        );
    });
}

#[test]
fn statistics_nan_products_and_logic() {
    on_every_device(|dev| {
        let x = Array::from_vec(dev, vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]).unwrap();
        assert_eq!(x.mean().unwrap().item().unwrap(), 3.5);
        assert_eq!(
            x.mean_axes(&[1], false).unwrap().to_vec().unwrap(),
            vec![2.0, 5.0]
        );
        let var = x.var(0).unwrap().item().unwrap();
        assert!((var - 35.0 / 12.0).abs() < 1e-5, "{var}");
        let sd = x.std_axes(&[0], true, 1).unwrap();
        assert_eq!(sd.shape(), &[1, 3]);
        for v in sd.to_vec().unwrap() {
            assert!((v - 4.5f32.sqrt()).abs() < 1e-5);
        }
        let nrm = x.norm().unwrap().item().unwrap();
        assert!((nrm - 91f32.sqrt()).abs() < 1e-5);
        assert_eq!(x.prod().unwrap().item().unwrap(), 720.0);
        assert_eq!(
            x.prod_axes(&[-1], false).unwrap().to_vec().unwrap(),
            vec![6.0, 120.0]
        );
        assert_eq!(x.argmax(None).unwrap().item().unwrap(), 5);
        assert_eq!(x.argmin(Some(0)).unwrap().to_vec().unwrap(), vec![0, 0, 0]);

        let n = Array::from_vec(dev, vec![1.0f32, f32::NAN, -3.0, f32::NAN], &[4]).unwrap();
        assert!(n.min().unwrap().item().unwrap().is_nan());
        assert!(n.max().unwrap().item().unwrap().is_nan());
        assert!(n.sum().unwrap().item().unwrap().is_nan());
        assert_eq!(n.argmin(None).unwrap().item().unwrap(), 1);
        assert_eq!(n.argmax(None).unwrap().item().unwrap(), 1);

        let m = Array::from_vec(dev, vec![1i32, 0, 2, 3], &[2, 2]).unwrap();
        assert_eq!(m.all().unwrap().item().unwrap(), 0);
        assert_eq!(m.any().unwrap().item().unwrap(), 1);
        assert_eq!(
            m.all_over(&[1], false).unwrap().to_vec().unwrap(),
            vec![0, 1]
        );
        assert_eq!(
            m.any_over(&[0], false).unwrap().to_vec().unwrap(),
            vec![1, 1]
        );

        let e = Array::<f32>::zeros(dev, &[0, 3]).unwrap();
        assert_eq!(
            e.sum_axes(&[0], false).unwrap().to_vec().unwrap(),
            vec![0.0; 3]
        );
        assert_eq!(e.prod().unwrap().item().unwrap(), 1.0);
        assert_eq!(e.all().unwrap().item().unwrap(), 1);
        assert_eq!(e.any().unwrap().item().unwrap(), 0);
        assert!(matches!(e.max(), Err(Error::InvalidArgument { .. })));
        assert!(matches!(e.argmin(None), Err(Error::InvalidArgument { .. })));
        assert_eq!(e.sum_axes(&[1], false).unwrap().shape(), &[0]);

        let c = Array::from_vec(
            dev,
            vec![Complex32::new(1.0, 2.0), Complex32::new(3.0, -1.0)],
            &[2],
        )
        .unwrap();
        assert_eq!(c.sum().unwrap().item().unwrap(), Complex32::new(4.0, 1.0));
        assert_eq!(c.prod().unwrap().item().unwrap(), Complex32::new(5.0, 5.0));
        assert!(matches!(c.max(), Err(Error::DtypeUnsupported { .. })));

        assert!(matches!(
            x.sum_axes(&[2], false),
            Err(Error::InvalidArgument { .. })
        ));
        assert!(matches!(
            x.sum_axes(&[0, -2], false),
            Err(Error::InvalidArgument { .. })
        ));
        let i = Array::from_vec(dev, vec![1i32, 2], &[2]).unwrap();
        assert!(matches!(i.mean(), Err(Error::DtypeUnsupported { .. })));
    });
}
