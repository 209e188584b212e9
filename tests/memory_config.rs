//! Engines with small memory reservations: memories stop growing at the
//! reservation, every access is bounds-checked, and code compiled to lean on
//! a guard region is not run in a store that lacks one.

use skiff::{Engine, EngineKind, Linker, MemoryConfig, Module, Store, TrapKind};

/// 1 MiB (16 pages) a memory, no guard region.
const SMALL: MemoryConfig = MemoryConfig {
    reservation: 1 << 20,
    guard: 0,
};

const GUEST: &str = r#"(module
  (memory 1)
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "load-far") (param i32) (result i32) (i32.load offset=0xfffffff0 (local.get 0)))
  (func (export "store8") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))"#;

fn engines() -> Vec<Engine> {
    let mut engines = vec![Engine::with_memory_config(EngineKind::Interp, SMALL).unwrap()];
    if let Ok(jit) = Engine::with_memory_config(EngineKind::Jit, SMALL) {
        engines.push(jit);
    }
    engines
}

#[test]
fn small_reservations_check_every_access_and_cap_growth() {
    for engine in engines() {
        let kind = engine.kind();
        let module = Module::new(&engine, GUEST.as_bytes()).unwrap();
        let mut store = Store::new(&engine, ());
        let inst = Linker::new().instantiate(&mut store, &module).unwrap();
        let load = inst.get_typed_func::<i32, i32>(&store, "load").unwrap();
        let load_far = inst.get_typed_func::<i32, i32>(&store, "load-far").unwrap();
        let store8 = inst
            .get_typed_func::<(i32, i32), ()>(&store, "store8")
            .unwrap();
        let grow = inst.get_typed_func::<i32, i32>(&store, "grow").unwrap();

        store8.call(&mut store, (65532, 7)).unwrap();
        assert_eq!(load.call(&mut store, 65532), Ok(7), "{kind}");
        for addr in [65533, 65536, 1 << 20, -1] {
            let trap = load.call(&mut store, addr).unwrap_err();
            assert_eq!(trap.kind(), TrapKind::MemoryOutOfBounds, "{kind} at {addr}");
        }
        let trap = load_far.call(&mut store, 0x100).unwrap_err();
        assert_eq!(trap.kind(), TrapKind::MemoryOutOfBounds, "{kind}");

        // Up to the reservation, and not a page past it.
        assert_eq!(grow.call(&mut store, 15), Ok(1), "{kind}");
        assert_eq!(grow.call(&mut store, 1), Ok(-1), "{kind}");
        store8.call(&mut store, ((1 << 20) - 1, 9)).unwrap();
        assert_eq!(load.call(&mut store, (1 << 20) - 4), Ok(9 << 24), "{kind}");
        let trap = load.call(&mut store, (1 << 20) - 3).unwrap_err();
        assert_eq!(trap.kind(), TrapKind::MemoryOutOfBounds, "{kind}");
    }
}

#[test]
fn code_that_leans_on_a_guard_needs_a_store_with_one() {
    let Ok(guarded) = Engine::new(EngineKind::Jit) else {
        return; // No JIT on this platform.
    };
    let module = Module::new(&guarded, GUEST.as_bytes()).unwrap();
    let small = Engine::with_memory_config(EngineKind::Jit, SMALL).unwrap();
    let mut store = Store::new(&small, ());
    let err = Linker::new()
        .instantiate(&mut store, &module)
        .unwrap_err()
        .to_string();
    assert!(err.contains("compiled for memories guarded"), "{err}");

    // The other way round is fine: checked code runs on guarded memories.
    let checked = Module::new(&small, GUEST.as_bytes()).unwrap();
    let mut store = Store::new(&guarded, ());
    let inst = Linker::new().instantiate(&mut store, &checked).unwrap();
    let load = inst.get_typed_func::<i32, i32>(&store, "load").unwrap();
    let trap = load.call(&mut store, 65536).unwrap_err();
    assert_eq!(trap.kind(), TrapKind::MemoryOutOfBounds);
}

/// The limit `a_limited_address_space_gets_small_checked_memories` runs
/// under, in KiB as `ulimit -v` takes it: 2 GB, where not one guarded
/// memory (4 GiB and its guard) fits.
const LIMIT_KIB: u64 = 2_000_000;

/// Under `ulimit -v` (run in a child process of this test binary, which
/// the limit would otherwise bind too), default engines of both tiers
/// reserve a sixteenth of the limit a memory, with no guard: eight
/// instances with a memory each run side by side, each grows to its
/// reservation and no further, and accesses past the end trap; a memory
/// that starts larger still instantiates.
#[test]
fn a_limited_address_space_gets_small_checked_memories() {
    const CHILD: &str = "SKIFF_TEST_UNDER_ULIMIT";
    if std::env::var_os(CHILD).is_none() {
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!(
                "ulimit -v {LIMIT_KIB} && exec \"$0\" --exact \
                 a_limited_address_space_gets_small_checked_memories --test-threads 1"
            ))
            .arg(std::env::current_exe().unwrap())
            .env(CHILD, "1")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("1 passed"),
            "{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        return;
    }
    let expected = MemoryConfig::within_address_space(LIMIT_KIB * 1024);
    assert_eq!(expected.guard, 0);
    assert_eq!(
        expected.reservation,
        1953 << 16,
        "a sixteenth, in whole pages"
    );
    let pages = (expected.reservation >> 16) as i32;
    let mut kinds = vec![EngineKind::Interp];
    if Engine::new(EngineKind::Jit).is_ok() {
        kinds.push(EngineKind::Jit);
    }
    for kind in kinds {
        let engine = Engine::new(kind).unwrap();
        assert_eq!(engine.memory_config(), expected, "{kind}");
        let module = Module::new(&engine, GUEST.as_bytes()).unwrap();
        let mut store = Store::new(&engine, ());
        let instances: Vec<_> = (0..8)
            .map(|_| Linker::new().instantiate(&mut store, &module).unwrap())
            .collect();
        for inst in &instances {
            let grow = inst.get_typed_func::<i32, i32>(&store, "grow").unwrap();
            let load = inst.get_typed_func::<i32, i32>(&store, "load").unwrap();
            let store8 = inst
                .get_typed_func::<(i32, i32), ()>(&store, "store8")
                .unwrap();
            assert_eq!(grow.call(&mut store, pages - 1).unwrap(), 1, "{kind}");
            assert_eq!(grow.call(&mut store, 1).unwrap(), -1, "{kind}");
            let last = (expected.reservation - 4) as i32;
            store8.call(&mut store, (last, 7)).unwrap();
            assert_eq!(load.call(&mut store, last).unwrap(), 7, "{kind}");
            let trap = load.call(&mut store, last + 1).unwrap_err();
            assert_eq!(trap.kind(), TrapKind::MemoryOutOfBounds, "{kind}");
        }
        // A memory that starts larger than the reservation gets its
        // initial size, and cannot grow.
        let large = format!(
            r#"(module (memory {}) (func (export "grow") (result i32) (memory.grow (i32.const 1))))"#,
            pages + 1000
        );
        let module = Module::new(&engine, large.as_bytes()).unwrap();
        let inst = Linker::new().instantiate(&mut store, &module).unwrap();
        let grow = inst.get_typed_func::<(), i32>(&store, "grow").unwrap();
        assert_eq!(grow.call(&mut store, ()).unwrap(), -1, "{kind}");
    }
}
