//! Shape ops on every device against ndarray's own slicing, permuting and concatenation.

mod common;

use common::{Random, on_every_device, random_vec, rng};
use ndarray::{ArrayD, IxDyn, s};
use streamcore::Slice;
use streamcore::prelude::*;

fn host<T: Clone>(v: &[T], shape: &[usize]) -> ArrayD<T> {
    ArrayD::from_shape_vec(IxDyn(shape), v.to_vec()).unwrap()
}

fn check<T: Random>(dev: &Device, r: &mut rand::rngs::StdRng) {
    if !dev.supports(T::DTYPE) {
        return;
    }
    let shape = [3usize, 4, 5];
    let v = random_vec::<T>(r, 60);
    let h = host(&v, &shape);
    let x = Array::from_vec(dev, v.clone(), &shape).unwrap();
    let d = T::DTYPE;

    let p = x.permute(&[2, 0, 1]).unwrap();
    assert_eq!(
        p.to_ndarray().unwrap(),
        h.clone().permuted_axes(vec![2, 0, 1]),
        "permute {d} on {dev}"
    );
    assert_eq!(
        x.transpose().unwrap().to_ndarray().unwrap(),
        h.t().to_owned(),
        "transpose {d}"
    );
    let sw = x.swap_axes(0, -1).unwrap();
    let mut hs = h.clone();
    hs.swap_axes(0, 2);
    assert_eq!(sw.to_ndarray().unwrap(), hs, "swap_axes {d}");

    let sl = x
        .slice(&[
            Slice::range(1, 3),
            Slice::new(None, None, -2),
            Slice::new(Some(-4), None, 2),
        ])
        .unwrap();
    let want = h.slice(s![1..3, ..;-2, 1..;2]).to_owned().into_dyn();
    // ndarray's negative step reverses the selected range, as NumPy's `::-2` does for a
    // full range: both start from the last element.
    assert_eq!(sl.to_ndarray().unwrap(), want, "slice {d} on {dev}");
    let empty = x.slice(&[Slice::range(2, 1)]).unwrap();
    assert_eq!(empty.shape(), &[0, 4, 5]);

    let b = x
        .slice(&[Slice::range(0, 1)])
        .unwrap()
        .broadcast_to(&[2, 3, 4, 5])
        .unwrap();
    let hb = h
        .slice(s![0..1, .., ..])
        .broadcast(vec![2, 3, 4, 5])
        .unwrap()
        .to_owned();
    assert_eq!(b.to_ndarray().unwrap(), hb, "broadcast_to {d}");

    let y = Array::from_vec(dev, random_vec::<T>(r, 3 * 2 * 5), &[3, 2, 5]).unwrap();
    let c = Array::concatenate(&[&x, &y, &x], 1).unwrap();
    let hc = ndarray::concatenate(
        ndarray::Axis(1),
        &[h.view(), y.to_ndarray().unwrap().view(), h.view()],
    )
    .unwrap();
    assert_eq!(c.to_ndarray().unwrap(), hc, "concatenate {d} on {dev}");

    let st = Array::stack(&[&x, &x], -1).unwrap();
    let hst = ndarray::stack(ndarray::Axis(3), &[h.view(), h.view()]).unwrap();
    assert_eq!(st.to_ndarray().unwrap(), hst, "stack {d}");

    let e = x.expand_dims(1).unwrap();
    assert_eq!(e.shape(), &[3, 1, 4, 5]);
    assert_eq!(e.squeeze(Some(1)).unwrap().shape(), &[3, 4, 5]);
    assert_eq!(e.squeeze(None).unwrap().to_vec().unwrap(), v);
    assert_eq!(x.reshape(&[12, 5]).unwrap().to_vec().unwrap(), v);
    assert_eq!(x.copy().unwrap().to_vec().unwrap(), v);
}

#[test]
fn shape_ops_match_ndarray_on_every_device() {
    let mut r = rng();
    on_every_device(|dev| {
        for_each_dtype!(T => { check::<T>(dev, &mut r); });
    });
}

#[test]
fn bad_shape_arguments_are_typed_errors() {
    on_every_device(|dev| {
        let x = Array::<f32>::zeros(dev, &[2, 3]).unwrap();
        assert!(matches!(
            x.reshape(&[4, 2]),
            Err(Error::ShapeMismatch { .. })
        ));
        assert!(matches!(
            x.permute(&[0, 0]),
            Err(Error::InvalidArgument { .. })
        ));
        assert!(matches!(
            x.permute(&[0]),
            Err(Error::InvalidArgument { .. })
        ));
        assert!(matches!(
            x.swap_axes(0, 2),
            Err(Error::InvalidArgument { .. })
        ));
        assert!(x.slice(&[Slice::new(None, None, 0)]).is_err());
        assert!(x.slice(&[Slice::ALL, Slice::ALL, Slice::ALL]).is_err());
        assert!(matches!(
            x.broadcast_to(&[3, 3]),
            Err(Error::ShapeMismatch { .. })
        ));
        assert!(matches!(
            x.broadcast_to(&[3]),
            Err(Error::ShapeMismatch { .. })
        ));
        let y = Array::<f32>::zeros(dev, &[2, 4]).unwrap();
        assert!(matches!(
            Array::concatenate(&[&x, &y], 0),
            Err(Error::ShapeMismatch { .. })
        ));
        assert!(Array::<f32>::concatenate(&[], 0).is_err());
        assert!(matches!(
            Array::stack(&[&x, &y], 0),
            Err(Error::ShapeMismatch { .. })
        ));
        assert!(matches!(
            x.squeeze(Some(0)),
            Err(Error::ShapeMismatch { .. })
        ));
        let other = Array::<f32>::zeros(&Device::cpu(), &[2, 3]).unwrap();
        if dev.kind() != DeviceKind::Cpu {
            assert!(matches!(
                Array::concatenate(&[&x, &other], 0),
                Err(Error::DeviceMismatch { .. })
            ));
        }
    });
}
