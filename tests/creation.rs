//! zeros, ones, full, arange and linspace on every device and dtype, against values computed
//! in f64 on the host, within the per-dtype tolerance of tests/common (`tolerance`).

mod common;

use common::{Random, on_every_device, rng};
use rand::Rng;
use streamcore::prelude::*;

/// Checks a ramp `start + i * step`. A device computing it in the dtype's precision rounds
/// start, step, the product and the sum: at most 4 units of 2^-p each, relative to the terms'
/// magnitude |start| + |i * step|, so that is the error bound (f16: computed in f32, then one
/// rounding to f16 of 2^-11 relative). Integer ramps must be exact (wrapping as the dtype does).
fn check_ramp<T: Element>(got: &[T], start: f64, step: f64, what: &str, dev: &Device) {
    let ulp = match T::DTYPE {
        DType::F16 => 2f64.powi(-11),
        DType::F32 | DType::C32 => 4.0 * 2f64.powi(-24),
        DType::F64 | DType::C64 => 4.0 * 2f64.powi(-53),
        DType::I32 | DType::U32 => 0.0,
    };
    for (i, &g) in got.iter().enumerate() {
        let exact = start + i as f64 * step;
        let (e, scale) = if T::DTYPE.is_float() {
            (
                exact,
                (start.abs() + (i as f64 * step).abs()).max(f64::MIN_POSITIVE),
            )
        } else {
            (T::from_f64(exact).to_f64(), 1.0)
        };
        let (re, im) = g.to_c64();
        let err = ((re - e).abs() + im.abs()) / scale;
        assert!(
            err <= ulp,
            "{what} {} on {dev}: element {i} is {g:?}, expected {e} (error {err:e} > {ulp:e} of {scale})",
            T::DTYPE
        );
    }
}

fn fills<T: Random>(dev: &Device, r: &mut rand::rngs::StdRng) {
    if !dev.supports(T::DTYPE) {
        return;
    }
    for n in [0usize, 1, 3, 255, 256, 257, 10_007] {
        let z = Array::<T>::zeros(dev, &[n]).unwrap().to_vec().unwrap();
        assert!(
            z.iter().all(|x| x.to_c64() == (0.0, 0.0)),
            "zeros {n} on {dev}"
        );
        let o = Array::<T>::ones(dev, &[n, 1]).unwrap().to_vec().unwrap();
        assert!(
            o.iter().all(|x| x.to_c64() == (1.0, 0.0)),
            "ones {n} on {dev}"
        );
        let v = T::random(r);
        let f = Array::<T>::full(dev, &[1, n], v).unwrap().to_vec().unwrap();
        let want = bytemuck::bytes_of(&v);
        assert!(
            f.iter().all(|x| bytemuck::bytes_of(x) == want),
            "full({v:?}) {n} {} on {dev}",
            T::DTYPE
        );
    }
}

#[test]
fn zeros_ones_full_fill_every_element() {
    let mut r = rng();
    on_every_device(|dev| {
        for_each_dtype!(T => { fills::<T>(dev, &mut r); });
    });
}

fn ramps<T: Element>(dev: &Device, r: &mut rand::rngs::StdRng) {
    if !dev.supports(T::DTYPE) {
        return;
    }
    let int = !T::DTYPE.is_float();
    for _ in 0..4 {
        let (start, step) = if int {
            (r.random_range(-50..50) as f64, r.random_range(1..7) as f64)
        } else if T::DTYPE == DType::F16 {
            (r.random_range(-8.0..8.0f64).round(), 0.25)
        } else {
            (r.random_range(-10.0..10.0), r.random_range(0.001..0.5))
        };
        let n = r.random_range(1..3000usize);
        let stop = start + step * n as f64 - step / 2.0;
        let x = Array::<T>::arange(dev, start, stop, step).unwrap();
        assert_eq!(x.shape(), &[n], "arange({start}, {stop}, {step})");
        check_ramp(&x.to_vec().unwrap(), start, step, "arange", dev);

        // Descending, from the last element back to the first.
        let top = start + (n - 1) as f64 * step;
        let y = Array::<T>::arange(dev, top, start - step / 2.0, -step).unwrap();
        assert_eq!(y.len(), n, "arange({top}, {start}, {})", -step);
        check_ramp(&y.to_vec().unwrap(), top, -step, "arange down", dev);

        if !int {
            let num = r.random_range(2..2000usize);
            let end = start + r.random_range(0.5..100.0);
            let l = Array::<T>::linspace(dev, start, end, num)
                .unwrap()
                .to_vec()
                .unwrap();
            let st = (end - start) / (num - 1) as f64;
            check_ramp(&l, start, st, "linspace", dev);
            assert_eq!(l[num - 1], T::from_f64(end), "linspace endpoint is exact");
        }
    }
    assert!(Array::<T>::linspace(dev, 1.0, 2.0, 0).unwrap().is_empty());
    assert_eq!(
        Array::<T>::linspace(dev, 3.0, 9.0, 1)
            .unwrap()
            .to_vec()
            .unwrap(),
        vec![T::from_f64(3.0)]
    );
    assert!(Array::<T>::arange(dev, 5.0, 1.0, 1.0).unwrap().is_empty());
}

#[test]
fn arange_and_linspace_match_the_f64_reference() {
    let mut r = rng();
    on_every_device(|dev| {
        for_each_dtype!(T => { ramps::<T>(dev, &mut r); });
    });
}

#[test]
fn unsigned_descending_ranges_wrap_like_numpy() {
    on_every_device(|dev| {
        let x = Array::<u32>::arange(dev, 10.0, 0.0, -3.0).unwrap();
        assert_eq!(x.to_vec().unwrap(), vec![10, 7, 4, 1]);
        let y = Array::<i32>::arange(dev, -3.0, 3.0, 2.0).unwrap();
        assert_eq!(y.to_vec().unwrap(), vec![-3, -1, 1]);
    });
}
