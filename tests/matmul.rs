//! Matrix products on every device and dtype against f64 (wrapping i64 for integers) host
//! references: tile-aligned and ragged sizes, vectors, stacks whose leading axes broadcast,
//! empty and k = 0 products, f16 accumulating in f32, and the errors for bad operands.

mod common;

use common::{on_every_device, rng};
use rand::Rng;
use streamcore::prelude::*;

const CASES: &[(&[usize], &[usize], &[usize])] = &[
    (&[5, 7], &[7, 3], &[5, 3]),
    (&[64, 64], &[64, 64], &[64, 64]),
    (&[65, 130], &[130, 67], &[65, 67]),
    (&[1, 200], &[200, 1], &[1, 1]),
    (&[3, 4, 5], &[5, 6], &[3, 4, 6]),
    (&[2, 1, 4, 5], &[3, 5, 6], &[2, 3, 4, 6]),
    (&[4, 5], &[2, 5, 3], &[2, 4, 3]),
    (&[7], &[7, 3], &[3]),
    (&[5, 7], &[7], &[5]),
    (&[7], &[7], &[]),
    (&[2, 3, 4], &[4], &[2, 3]),
    (&[3, 0], &[0, 4], &[3, 4]),
    (&[0, 3, 4], &[4, 5], &[0, 3, 5]),
];

/// Values in [-1, 1] (a unit disc square for complex), full-range integers (which wrap).
fn inputs<T: Element>(r: &mut rand::rngs::StdRng, n: usize) -> Vec<T> {
    (0..n)
        .map(|_| {
            if T::DTYPE.is_float() {
                T::from_c64(r.random_range(-1.0..1.0), r.random_range(-1.0..1.0))
            } else {
                T::from_f64(r.random::<u32>() as f64)
            }
        })
        .collect()
}

/// NumPy's matmul in f64: (value, sum of |a||b| bounding the rounding) per output element.
fn reference<T: Element>(
    a: &[T],
    sa: &[usize],
    b: &[T],
    sb: &[usize],
    out: &[usize],
) -> Vec<((f64, f64), f64)> {
    // Promote vectors, broadcast the stacks by index arithmetic.
    let sa2: Vec<usize> = if sa.len() == 1 {
        vec![1, sa[0]]
    } else {
        sa.to_vec()
    };
    let sb2: Vec<usize> = if sb.len() == 1 {
        vec![sb[0], 1]
    } else {
        sb.to_vec()
    };
    let (m, k, n) = (sa2[sa2.len() - 2], sa2[sa2.len() - 1], sb2[sb2.len() - 1]);
    let (ba, bb) = (&sa2[..sa2.len() - 2], &sb2[..sb2.len() - 2]);
    let rank = ba.len().max(bb.len());
    let pad = |s: &[usize]| -> Vec<usize> {
        let mut v = vec![1; rank - s.len()];
        v.extend_from_slice(s);
        v
    };
    let (pa, pb) = (pad(ba), pad(bb));
    let batch: Vec<usize> = (0..rank)
        .map(|d| if pa[d] == 1 { pb[d] } else { pa[d] })
        .collect();
    let nb: usize = batch.iter().product();
    let int = !T::DTYPE.is_float();
    let mut res = Vec::new();
    for g in 0..nb {
        // Batch index of g, then each operand's flat batch offset (broadcast axes fixed at 0).
        let (mut rem, mut oa, mut ob, mut sa_acc, mut sb_acc) = (g, 0, 0, 1, 1);
        for d in (0..rank).rev() {
            let i = rem % batch[d];
            rem /= batch[d];
            if pa[d] > 1 {
                oa += i * sa_acc;
            }
            if pb[d] > 1 {
                ob += i * sb_acc;
            }
            sa_acc *= pa[d];
            sb_acc *= pb[d];
        }
        for i in 0..m {
            for j in 0..n {
                let (mut re, mut im, mut bound, mut acc) = (0.0, 0.0, 0.0, 0i64);
                for kk in 0..k {
                    let x = a[(oa * m + i) * k + kk].to_c64();
                    let y = b[(ob * k + kk) * n + j].to_c64();
                    if int {
                        acc = acc.wrapping_add((x.0 as i64).wrapping_mul(y.0 as i64));
                    }
                    re += x.0 * y.0 - x.1 * y.1;
                    im += x.0 * y.1 + x.1 * y.0;
                    bound += x.0.hypot(x.1) * y.0.hypot(y.1);
                }
                if int {
                    re = if T::DTYPE == DType::I32 {
                        acc as i32 as f64
                    } else {
                        acc as u32 as f64
                    };
                    im = 0.0;
                }
                res.push(((re, im), bound));
            }
        }
    }
    assert_eq!(res.len(), out.iter().product::<usize>());
    res
}

fn check<T: Element>(dev: &Device, r: &mut rand::rngs::StdRng) {
    let d = T::DTYPE;
    if !dev.supports(d) {
        return;
    }
    for &(sa, sb, so) in CASES {
        let va = inputs::<T>(r, sa.iter().product());
        let vb = inputs::<T>(r, sb.iter().product());
        let a = Array::from_vec(dev, va.clone(), sa).unwrap();
        let b = Array::from_vec(dev, vb.clone(), sb).unwrap();
        let got = a.matmul(&b).unwrap();
        assert_eq!(got.shape(), so, "{sa:?} @ {sb:?}");
        let got = got.to_vec().unwrap();
        let k = sa[sa.len() - 1] as f64;
        for (j, (g, (w, bound))) in got.iter().zip(reference(&va, sa, &vb, sb, so)).enumerate() {
            let g = g.to_c64();
            // k roundings of partial sums bounded by sum |a||b| (in f32 for f16), and f16's
            // own rounding of the result.
            let acc_tol = common::tolerance(if d == DType::F16 { DType::F32 } else { d });
            let mut tol = acc_tol * k.max(1.0) * bound;
            if d == DType::F16 {
                tol += common::tolerance(d) * w.0.abs();
            }
            assert!(
                (g.0 - w.0).abs() + (g.1 - w.1).abs() <= tol,
                "{d} {sa:?} @ {sb:?} at {j} on {dev}: {g:?} vs {w:?} (tol {tol:e})"
            );
        }
    }
}

#[test]
fn matmul_matches_the_reference_on_every_device() {
    let mut r = rng();
    on_every_device(|dev| {
        for_each_dtype!(T => { check::<T>(dev, &mut r); });
    });
}

#[test]
fn f16_products_accumulate_in_f32() {
    on_every_device(|dev| {
        if !dev.supports(DType::F16) {
            return;
        }
        // Summed in f16, 2048 + 1 rounds back to 2048 and the result would stall there.
        let a = Array::<f16>::ones(dev, &[1, 4096]).unwrap();
        let b = Array::<f16>::ones(dev, &[4096, 2]).unwrap();
        let c = a.matmul(&b).unwrap().to_vec().unwrap();
        assert_eq!(c, vec![f16::from_f32(4096.0); 2], "on {dev}");
    });
}

#[test]
fn bad_operands_are_typed_errors() {
    on_every_device(|dev| {
        let a = Array::<f32>::zeros(dev, &[3, 4]).unwrap();
        let b = Array::<f32>::zeros(dev, &[5, 2]).unwrap();
        assert!(matches!(a.matmul(&b), Err(Error::ShapeMismatch { .. })));
        let s = Array::<f32>::zeros(dev, &[]).unwrap();
        assert!(matches!(a.matmul(&s), Err(Error::InvalidArgument { .. })));
        let x = Array::<f32>::zeros(dev, &[2, 3, 4]).unwrap();
        let y = Array::<f32>::zeros(dev, &[3, 4, 5]).unwrap();
        assert!(matches!(x.matmul(&y), Err(Error::ShapeMismatch { .. })));
        let v = Array::<f32>::zeros(dev, &[5]).unwrap();
        assert!(matches!(a.matmul(&v), Err(Error::ShapeMismatch { .. })));
        if dev.kind() != DeviceKind::Cpu {
            let c = Array::<f32>::zeros(&Device::cpu(), &[4, 2]).unwrap();
            assert!(matches!(a.matmul(&c), Err(Error::DeviceMismatch { .. })));
        }
        // The free function is the method.
        let p = Array::from_vec(dev, vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]).unwrap();
        let r = streamcore::matmul(&p, &p).unwrap();
        assert_eq!(r.to_vec().unwrap(), vec![7.0, 10.0, 15.0, 22.0]);
    });
}
