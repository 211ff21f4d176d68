//! Philox4x32-10 against the Random123 known-answer vectors, then the promise of the random
//! family: every device draws the same bits as the CPU (bits and uniforms exactly, normals to
//! a few ulps of each device's log and cos), streams advance and replay, and the moments are
//! right.

mod common;

use common::on_every_device;
use streamcore::prelude::*;
use streamcore::random::{Generator, philox4x32_10};

#[test]
fn philox_matches_the_random123_known_answers() {
    assert_eq!(
        philox4x32_10([0, 0, 0, 0], [0, 0]),
        [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]
    );
    assert_eq!(
        philox4x32_10([u32::MAX; 4], [u32::MAX; 2]),
        [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]
    );
    assert_eq!(
        philox4x32_10(
            [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
            [0xa4093822, 0x299f31d0]
        ),
        [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]
    );
}

/// A draw of 100_003 elements starting 5 before 2^32, so the counter carries mid-draw.
fn draw<T: Element>(dev: &Device, normal: bool) -> Result<Vec<T>> {
    let mut g = Generator::new(0x5eed_0000_1234_abcd);
    g.set_position((1 << 32) - 5);
    let a = if normal {
        g.normal::<T>(dev, &[100_003])?
    } else {
        g.uniform::<T>(dev, &[100_003])?
    };
    a.to_vec()
}

#[test]
fn every_device_draws_the_cpu_bits() {
    let cpu = Device::cpu();
    on_every_device(|dev| {
        let mut g = Generator::new(7);
        g.set_position((1 << 32) - 5);
        let bits = g.bits(dev, &[100_003]).unwrap().to_vec().unwrap();
        let mut h = Generator::new(7);
        h.set_position((1 << 32) - 5);
        assert_eq!(bits, h.bits(&cpu, &[100_003]).unwrap().to_vec().unwrap());
        assert_eq!(bits[0], philox4x32_10([u32::MAX - 4, 0, 0, 0], [7, 0])[0]);
        assert_eq!(bits[5], philox4x32_10([0, 1, 0, 0], [7, 0])[0]);

        macro_rules! same {
            ($t:ty) => {
                if dev.supports(<$t as Element>::DTYPE) {
                    let (d, c) = (
                        draw::<$t>(dev, false).unwrap(),
                        draw::<$t>(&cpu, false).unwrap(),
                    );
                    assert!(
                        d == c,
                        "uniform {} differs on {dev}",
                        <$t as Element>::DTYPE
                    );
                    assert!(
                        c.iter()
                            .all(|&v| v >= <$t>::from_f64(0.0) && v < <$t>::from_f64(1.0))
                    );
                    match draw::<$t>(dev, true) {
                        Ok(d) => {
                            let c = draw::<$t>(&cpu, true).unwrap();
                            let mut worst = 0.0f64;
                            for (x, y) in d.iter().zip(&c) {
                                let (x, y) = (x.to_f64(), y.to_f64());
                                // Device log and cos are not correctly rounded: allow 2e-5
                                // (f32, f16), and a few ulp in f64.
                                let tol = if <$t as Element>::DTYPE == DType::F64 {
                                    1e-14
                                } else {
                                    common::tolerance(<$t as Element>::DTYPE).max(2e-5)
                                };
                                worst = worst.max((x - y).abs() / (1.0 + y.abs()));
                                assert!(
                                    (x - y).abs() <= tol * (1.0 + y.abs()),
                                    "normal {} on {dev}: {x} vs {y}",
                                    <$t as Element>::DTYPE
                                );
                            }
                            eprintln!(
                                "normal {} on {dev}: worst {worst:e}",
                                <$t as Element>::DTYPE
                            );
                        }
                        // WGSL's f64 log and cos are ours and read bits as u64.
                        Err(Error::DtypeUnsupported { reason, .. })
                            if <$t as Element>::DTYPE == DType::F64
                                && reason.contains("SHADER_INT64") => {}
                        Err(e) => panic!("normal on {dev}: {e}"),
                    }
                }
            };
        }
        same!(f16);
        same!(f32);
        same!(f64);
    });
}

#[test]
fn moments_streams_and_errors() {
    on_every_device(|dev| {
        let n = 1 << 20;
        let mut g = Generator::new(2026);
        let u = g.uniform::<f32>(dev, &[n]).unwrap();
        assert_eq!(g.position(), n as u64);
        let (m, v) = (
            u.mean().unwrap().item().unwrap(),
            u.var(0).unwrap().item().unwrap(),
        );
        // Standard errors: sqrt(1/12 / n) ~ 2.8e-4 for the mean.
        assert!((m - 0.5).abs() < 2e-3, "uniform mean {m} on {dev}");
        assert!(
            (v - 1.0 / 12.0).abs() < 2e-3,
            "uniform variance {v} on {dev}"
        );
        let z = g.normal::<f32>(dev, &[n]).unwrap();
        let (m, s) = (
            z.mean().unwrap().item().unwrap(),
            z.std(0).unwrap().item().unwrap(),
        );
        assert!(
            m.abs() < 5e-3 && (s - 1.0).abs() < 5e-3,
            "normal {m} {s} on {dev}"
        );
        // A later draw continues the stream; resetting the position replays it.
        let next = g.uniform::<f32>(dev, &[4]).unwrap().to_vec().unwrap();
        let first4 = u
            .slice(&[streamcore::Slice::range(0, 4)])
            .unwrap()
            .to_vec()
            .unwrap();
        assert_ne!(next, first4);
        g.set_position(0);
        assert_eq!(
            g.uniform::<f32>(dev, &[4]).unwrap().to_vec().unwrap(),
            first4
        );
        // Another seed is another stream.
        let other = Generator::new(2027)
            .uniform::<f32>(dev, &[4])
            .unwrap()
            .to_vec()
            .unwrap();
        assert_ne!(other, first4);

        let e = g.uniform::<f32>(dev, &[0, 3]).unwrap();
        assert_eq!(e.shape(), &[0, 3]);
        assert!(matches!(
            g.uniform::<i32>(dev, &[3]),
            Err(Error::DtypeUnsupported { .. })
        ));
        assert!(matches!(
            g.normal::<Complex32>(dev, &[3]),
            Err(Error::DtypeUnsupported { .. })
        ));
        g.set_position(u64::MAX - 1);
        assert!(matches!(
            g.bits(dev, &[3]),
            Err(Error::InvalidArgument { .. })
        ));
    });
}
