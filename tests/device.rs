//! Device selection, listing and the promises DESIGN.md makes about them.

mod common;

use streamcore::prelude::*;

#[test]
fn best_never_picks_a_software_adapter() {
    let best = Device::best();
    assert!(!best.info().software, "best() chose {best}");
    assert!(best.info().usable);
}

#[test]
fn opening_a_device_twice_gives_the_same_handle() {
    assert_eq!(Device::cpu(), Device::cpu());
    for dev in common::devices() {
        let again = Device::open(&dev.info().selector).unwrap();
        assert_eq!(again, dev, "{}", dev.info().selector);
    }
}

#[test]
fn list_has_the_cpu_and_every_test_device_with_capabilities() {
    let list = Device::list();
    let cpu = &list[0];
    assert_eq!(
        (cpu.kind, cpu.usable, cpu.f64, cpu.f16),
        (DeviceKind::Cpu, true, true, true)
    );
    assert!(cpu.threads.unwrap() >= 1);
    for dev in common::devices() {
        let sel = &dev.info().selector;
        let entry = list.iter().find(|i| &i.selector == sel);
        assert!(entry.is_some(), "{sel} missing from Device::list()");
        let e = entry.unwrap();
        assert!(
            e.usable && e.max_buffer_size > 0 && !e.name.is_empty(),
            "{e:?}"
        );
    }
    // Kinds that are not here still appear, with the reason.
    for kind in [DeviceKind::Wgpu, DeviceKind::Cuda] {
        assert!(list.iter().any(|i| i.kind == kind), "{kind:?} not listed");
    }
    for i in list.iter().filter(|i| !i.usable) {
        assert!(i.reason.as_deref().is_some_and(|r| !r.is_empty()), "{i:?}");
    }
}

#[test]
fn software_adapter_reports_f64_and_f16_when_present() {
    match Device::wgpu_software() {
        Ok(d) => {
            let i = d.info();
            assert!(i.software && i.kind == DeviceKind::Wgpu);
            eprintln!("{}: f64 {} f16 {}", d, i.f64, i.f16);
            assert!(d.supports(DType::F32));
            assert_eq!(d.supports(DType::F64), i.f64);
        }
        Err(e) => eprintln!("note: no software adapter: {e}"),
    }
}

#[test]
fn devices_are_send_and_sync() {
    fn check<T: Send + Sync + Clone>() {}
    check::<Device>();
    check::<Array<f32>>();
}
