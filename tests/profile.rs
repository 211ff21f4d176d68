//! Device::profile (wall and kernel time) and Device::ceilings on every test device.

mod common;

use common::on_every_device_alone;
use streamcore::prelude::*;

#[test]
fn profile_returns_the_result_and_times_the_kernels() {
    on_every_device_alone(|dev| {
        let x = Array::<f32>::ones(dev, &[1 << 18]).unwrap();
        let (s, p) = dev.profile(|| x.sum()).unwrap();
        assert_eq!(s.item().unwrap(), (1 << 18) as f32);
        assert!(p.wall_s > 0.0 && p.wall_s.is_finite());
        if dev.kind() == DeviceKind::Cpu || dev.info().timestamps {
            let k = p
                .kernel_s
                .expect("a device with a clock reports kernel time");
            assert!(k > 0.0, "{k}");
            // The device cannot spend longer in kernels than the host waited for them
            // (with 1 ms of slack for clocks of different resolution).
            assert!(k <= p.wall_s + 1e-3, "kernel {k} s > wall {} s", p.wall_s);
        }
        if dev.kind() == DeviceKind::Wgpu && dev.info().timestamps {
            assert!(p.kernels.unwrap() >= 1);
        }
        // No work: zero kernels, zero kernel time on the GPUs.
        let ((), p) = dev.profile(|| Ok(())).unwrap();
        if dev.kind() == DeviceKind::Wgpu && dev.info().timestamps {
            assert_eq!((p.kernel_s, p.kernels), (Some(0.0), Some(0)));
        }
    });
}

#[test]
fn a_failed_closure_is_returned_and_the_next_profile_works() {
    on_every_device_alone(|dev| {
        let a = Array::<f32>::ones(dev, &[3]).unwrap();
        let b = Array::<f32>::ones(dev, &[4]).unwrap();
        let err = dev.profile(|| a.add(&b)).unwrap_err();
        assert!(matches!(err, Error::ShapeMismatch { .. }), "{err}");
        let (c, _) = dev.profile(|| a.add(&a)).unwrap();
        assert_eq!(c.to_vec().unwrap(), vec![2.0; 3]);
    });
}

#[test]
fn profiles_do_not_nest() {
    on_every_device_alone(|dev| {
        if dev.kind() == DeviceKind::Cpu || !dev.info().timestamps {
            return;
        }
        let err = dev
            .profile(|| dev.profile(|| Ok(())).map(drop))
            .unwrap_err();
        assert!(err.to_string().contains("already running"), "{err}");
        // Both timers were released.
        dev.profile(|| Ok(())).unwrap();
    });
}

#[test]
fn ceilings_are_positive_and_plausible() {
    on_every_device_alone(|dev| {
        let c = dev.ceilings().unwrap();
        eprintln!("{dev}: {c:?}");
        assert!(c.copy_bytes >= 1 << 20);
        // Between a floppy disk and ten times an H200.
        assert!(
            c.copy_gb_per_s > 0.01 && c.copy_gb_per_s < 50_000.0,
            "{c:?}"
        );
        assert!(
            c.fma_gflop_per_s > 0.1 && c.fma_gflop_per_s < 1_000_000.0,
            "{c:?}"
        );
    });
}
