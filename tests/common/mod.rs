//! Shared test harness: the devices every test runs on, random inputs with a printed seed,
//! and f64 reference comparisons with stated tolerances.
#![allow(dead_code)]

use std::sync::RwLock;

use rand::{Rng, SeedableRng, rngs::StdRng};
use streamcore::prelude::*;

/// The devices to test on. With STREAMCORE_TEST_DEVICES=cpu,wgpu-software (CI) each listed
/// device must open, so a GPU path can never be skipped silently. Unset: the CPU plus every
/// device that opens here (absent ones are named on stderr).
pub fn devices() -> Vec<Device> {
    match std::env::var("STREAMCORE_TEST_DEVICES") {
        Ok(list) => list
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|sel| {
                Device::open(sel).unwrap_or_else(|e| {
                    panic!("STREAMCORE_TEST_DEVICES names {sel:?}, which did not open: {e}")
                })
            })
            .collect(),
        Err(_) => {
            let mut out = vec![Device::cpu()];
            for sel in ["wgpu-software", "wgpu", "cuda"] {
                match Device::open(sel) {
                    Ok(d) => out.push(d),
                    Err(e) => eprintln!("note: not testing on {sel}: {e}"),
                }
            }
            out
        }
    }
}

/// Tests of one binary run on parallel threads and share each device. Most only queue work,
/// but a few read device-wide state (the host-wait counter, the buffer pool's accounting, the
/// one profile a device runs at a time): those take this lock alone, the rest share it.
static GATE: RwLock<()> = RwLock::new(());

/// Runs `body` on every test device, naming the device if it panics.
pub fn on_every_device(mut body: impl FnMut(&Device)) {
    let _shared = GATE.read().unwrap_or_else(|e| e.into_inner());
    for dev in devices() {
        eprintln!("-- on {dev}");
        body(&dev);
    }
}

/// Like [`on_every_device`], with no other test of this binary using a device meanwhile:
/// for tests that read device-wide counters. (On a 16-thread machine the counters moved
/// under concurrent tests; on 2 threads they rarely did.)
pub fn on_every_device_alone(mut body: impl FnMut(&Device)) {
    let _alone = GATE.write().unwrap_or_else(|e| e.into_inner());
    for dev in devices() {
        eprintln!("-- on {dev} (no other test running)");
        body(&dev);
    }
}

/// Holds the devices for a test that does not go through [`on_every_device`].
pub fn shared_devices() -> std::sync::RwLockReadGuard<'static, ()> {
    GATE.read().unwrap_or_else(|e| e.into_inner())
}

/// A random generator; the seed is printed so a failure can be replayed with
/// STREAMCORE_TEST_SEED.
pub fn rng() -> StdRng {
    let seed = std::env::var("STREAMCORE_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| rand::rng().random());
    eprintln!("seed: STREAMCORE_TEST_SEED={seed}");
    StdRng::seed_from_u64(seed)
}

/// Fresh random values of every element type (never all zeros).
pub trait Random: Element {
    fn random(r: &mut StdRng) -> Self;
}

impl Random for f16 {
    fn random(r: &mut StdRng) -> Self {
        f16::from_f64(r.random_range(-100.0..100.0))
    }
}
impl Random for f32 {
    fn random(r: &mut StdRng) -> Self {
        r.random_range(-1e3..1e3)
    }
}
impl Random for f64 {
    fn random(r: &mut StdRng) -> Self {
        r.random_range(-1e6..1e6)
    }
}
impl Random for i32 {
    fn random(r: &mut StdRng) -> Self {
        r.random()
    }
}
impl Random for u32 {
    fn random(r: &mut StdRng) -> Self {
        r.random()
    }
}
impl Random for Complex32 {
    fn random(r: &mut StdRng) -> Self {
        Complex32::new(r.random_range(-1.0..1.0), r.random_range(-1.0..1.0))
    }
}
impl Random for Complex64 {
    fn random(r: &mut StdRng) -> Self {
        Complex64::new(r.random_range(-1.0..1.0), r.random_range(-1.0..1.0))
    }
}

pub fn random_vec<T: Random>(r: &mut StdRng, n: usize) -> Vec<T> {
    (0..n).map(|_| T::random(r)).collect()
}

/// Relative error of one value against its f64 reference, measured against the larger of
/// |reference| and 1 (so values near zero are compared absolutely).
pub fn rel_err<T: Element>(got: T, reference: f64) -> f64 {
    let (re, im) = got.to_c64();
    ((re - reference).abs() + im.abs()) / reference.abs().max(1.0)
}

/// Tolerance of a value computed once in each dtype's precision: a few units in the last place.
pub fn tolerance(d: DType) -> f64 {
    match d {
        DType::F16 => 2e-3,
        DType::F32 | DType::C32 => 4e-7,
        DType::F64 | DType::C64 => 1e-15,
        DType::I32 | DType::U32 => 0.0,
    }
}

/// Runs `$body` with `$t` bound to every element type.
#[macro_export]
macro_rules! for_each_dtype {
    ($t:ident => $body:block) => {{
        {
            type $t = streamcore::f16;
            $body
        }
        {
            type $t = f32;
            $body
        }
        {
            type $t = f64;
            $body
        }
        {
            type $t = i32;
            $body
        }
        {
            type $t = u32;
            $body
        }
        {
            type $t = streamcore::Complex32;
            $body
        }
        {
            type $t = streamcore::Complex64;
            $body
        }
    }};
}
