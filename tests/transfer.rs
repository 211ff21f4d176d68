//! Round trips host -> device -> host for every dtype, shape and layout, on every device, and
//! copies between every pair of devices. Values must come back bit for bit.

mod common;

use common::{
    Random, devices, on_every_device, on_every_device_alone, random_vec, rng, shared_devices,
};
use ndarray::{ArrayD, IxDyn, s};
use streamcore::prelude::*;

const SHAPES: &[&[usize]] = &[
    &[],
    &[0],
    &[1],
    &[7],
    &[3, 5],
    &[2, 0, 3],
    &[2, 3, 4],
    &[1, 1, 1, 1],
    &[257, 3],
    &[70_001],
];

fn bits<T: Element>(v: &[T]) -> Vec<u8> {
    bytemuck::cast_slice(v).to_vec()
}

fn roundtrip_all_shapes<T: Random>(dev: &Device, r: &mut rand::rngs::StdRng) {
    if !dev.supports(T::DTYPE) {
        let err = Array::<T>::zeros(dev, &[4]).unwrap_err();
        assert!(matches!(err, Error::DtypeUnsupported { .. }), "{err}");
        return;
    }
    for shape in SHAPES {
        let n: usize = shape.iter().product();
        let host = ArrayD::from_shape_vec(IxDyn(shape), random_vec::<T>(r, n)).unwrap();
        let x = Array::from_ndarray(dev, &host).unwrap();
        assert_eq!(x.shape(), *shape);
        assert_eq!((x.len(), x.dtype(), x.is_empty()), (n, T::DTYPE, n == 0));
        let back = x.to_ndarray().unwrap();
        assert_eq!(back.shape(), *shape, "{} {shape:?}", T::DTYPE);
        assert_eq!(
            bits(back.as_slice().unwrap()),
            bits(host.as_slice().unwrap()),
            "{} {shape:?} on {dev}",
            T::DTYPE
        );
    }
}

#[test]
fn every_dtype_and_shape_round_trips_bit_exact() {
    let mut r = rng();
    on_every_device(|dev| {
        for_each_dtype!(T => { roundtrip_all_shapes::<T>(dev, &mut r); });
    });
}

fn odd_layouts<T: Random>(dev: &Device, r: &mut rand::rngs::StdRng) {
    if !dev.supports(T::DTYPE) {
        return;
    }
    let base = ArrayD::from_shape_vec(IxDyn(&[6, 7, 5]), random_vec::<T>(r, 210)).unwrap();
    let b3 = base.view().into_dimensionality::<ndarray::Ix3>().unwrap();
    let row = ndarray::Array1::from_vec(random_vec::<T>(r, 5));
    let views: Vec<(&str, ndarray::ArrayViewD<T>)> = vec![
        ("transposed", b3.t().into_dyn()),
        ("stepped slice", b3.slice(s![1..;2, ..;3, 1..4]).into_dyn()),
        (
            "negative strides",
            b3.slice(s![..;-1, ..;-2, ..;-1]).into_dyn(),
        ),
        ("permuted", b3.permuted_axes([2, 0, 1]).into_dyn()),
        (
            "broadcast (zero strides)",
            row.broadcast((4, 3, 5)).unwrap().into_dyn(),
        ),
        ("single column", b3.slice(s![.., 3, 2]).into_dyn()),
        ("0-d", b3.slice(s![1, 2, 3]).into_dyn()),
    ];
    for (what, v) in views {
        let expect = v.to_owned();
        let x = Array::from_ndarray(dev, &v).unwrap();
        assert_eq!(x.shape(), v.shape(), "{what}");
        let back = x.to_ndarray().unwrap();
        assert_eq!(
            bits(back.as_slice().unwrap()),
            bits(&expect.iter().copied().collect::<Vec<_>>()),
            "{what} {} on {dev}",
            T::DTYPE
        );
        // The extension trait is the same path.
        assert_eq!(v.to_device(dev).unwrap().shape(), v.shape());
    }
}

#[test]
fn any_ndarray_layout_uploads_in_logical_order() {
    let mut r = rng();
    on_every_device(|dev| {
        for_each_dtype!(T => { odd_layouts::<T>(dev, &mut r); });
    });
}

fn between_devices<T: Random>(devs: &[Device], r: &mut rand::rngs::StdRng) {
    let data = random_vec::<T>(r, 3 * 1001);
    for a in devs.iter().filter(|d| d.supports(T::DTYPE)) {
        let x = Array::from_vec(a, data.clone(), &[3, 1001]).unwrap();
        for b in devs.iter().filter(|d| d.supports(T::DTYPE)) {
            let y = x.to_device(b).unwrap();
            assert_eq!(y.device(), b);
            assert_eq!(y.shape(), &[3, 1001]);
            assert_eq!(
                bits(&y.to_vec().unwrap()),
                bits(&data),
                "{a} -> {b} {}",
                T::DTYPE
            );
        }
    }
}

#[test]
fn arrays_move_between_every_pair_of_devices() {
    let _shared = shared_devices();
    let devs = devices();
    let mut r = rng();
    for_each_dtype!(T => { between_devices::<T>(&devs, &mut r); });
}

#[test]
fn item_reads_exactly_one_element() {
    on_every_device(|dev| {
        let x = Array::from_vec(dev, vec![42.5f32], &[1, 1, 1]).unwrap();
        assert_eq!(x.item().unwrap(), 42.5);
        let scalar = Array::from_ndarray(dev, &ndarray::arr0(7i32)).unwrap();
        assert_eq!((scalar.ndim(), scalar.item().unwrap()), (0, 7));
        for shape in [&[2][..], &[0], &[1, 3]] {
            let n = shape.iter().product();
            let e = Array::from_vec(dev, vec![1u32; n], shape)
                .unwrap()
                .item()
                .unwrap_err();
            assert!(matches!(e, Error::InvalidArgument { .. }), "{e}");
        }
    });
}

#[test]
fn clones_share_the_buffer_and_drops_return_it_to_the_pool() {
    on_every_device_alone(|dev| {
        let bytes = 3 << 20;
        let before = dev.memory_stats();
        let x = Array::<f32>::zeros(dev, &[bytes / 4]).unwrap();
        let y = x.clone();
        let held = dev.memory_stats();
        assert!(held.in_use_bytes >= before.in_use_bytes + bytes as u64);
        drop(x);
        drop(y);
        let z = Array::<f32>::ones(dev, &[bytes / 4]).unwrap();
        let after = dev.memory_stats();
        assert!(
            after.reuses > held.reuses,
            "the second array reused the first's buffer"
        );
        assert_eq!(after.allocations, held.allocations);
        assert_eq!(z.to_vec().unwrap()[bytes / 4 - 1], 1.0);
    });
}

#[test]
fn several_threads_share_one_device() {
    on_every_device(|dev| {
        std::thread::scope(|sc| {
            for t in 0..4 {
                let dev = dev.clone();
                sc.spawn(move || {
                    for k in 0..5 {
                        let v: Vec<i32> = (0..10_000).map(|i| i * t + k).collect();
                        let x = Array::from_vec(&dev, v.clone(), &[100, 100]).unwrap();
                        assert_eq!(x.to_vec().unwrap(), v);
                    }
                });
            }
        });
        dev.synchronize().unwrap();
    });
}

/// An array over lavapipe's 128 MiB binding limit: transfers and kernels must chunk.
#[test]
fn arrays_larger_than_the_binding_limit_work() {
    on_every_device(|dev| {
        let limit = dev.info().max_binding_size.min(1 << 40) as usize;
        let n = (limit.min(128 << 20) + (32 << 20)) / 4 + 3; // > 128 MiB of f32, odd count
        let full = Array::<f32>::full(dev, &[n], 1.5).unwrap();
        let v = full.to_vec().unwrap();
        assert!(
            v.iter().all(|&x| x == 1.5),
            "full over {n} elements on {dev}"
        );
        let ramp = Array::<i32>::arange(dev, 0.0, n as f64, 1.0)
            .unwrap()
            .to_vec()
            .unwrap();
        assert!(
            ramp.iter().enumerate().all(|(i, &x)| x == i as i32),
            "arange on {dev}"
        );
        let host: Vec<u32> = (0..n as u32)
            .map(|i| i.wrapping_mul(2_654_435_761))
            .collect();
        let back = Array::from_vec(dev, host.clone(), &[n])
            .unwrap()
            .to_vec()
            .unwrap();
        assert!(back == host, "round trip of {n} u32 on {dev}");
    });
}

#[test]
fn copy_to_slice_fills_caller_memory_and_checks_the_length() {
    let mut r = rng();
    on_every_device(|dev| {
        for n in [0usize, 1, 1000, 300_001] {
            let data = random_vec::<i32>(&mut r, n);
            let x = Array::from_vec(dev, data.clone(), &[n]).unwrap();
            let mut out = vec![0i32; n];
            x.copy_to_slice(&mut out).unwrap();
            assert_eq!(out, data, "{n} on {dev}");
            let e = x.copy_to_slice(&mut vec![0i32; n + 1]).unwrap_err();
            assert!(matches!(e, Error::ShapeMismatch { .. }), "{e}");
        }
    });
}
