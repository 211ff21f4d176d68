//! Shared by the benchmarks: the devices to measure.

use streamcore::Device;

/// The devices named by STREAMCORE_BENCH_DEVICES (default: every kind), skipping with a
/// note those that do not open here.
pub fn devices() -> Vec<Device> {
    let list = std::env::var("STREAMCORE_BENCH_DEVICES")
        .unwrap_or_else(|_| "cpu,wgpu-software,wgpu,cuda".into());
    list.split(',')
        .filter_map(|s| match Device::open(s.trim()) {
            Ok(d) => Some(d),
            Err(e) => {
                eprintln!("skipping {s}: {e}");
                None
            }
        })
        .collect()
}
