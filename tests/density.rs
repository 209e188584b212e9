//! Density: live instances, each in its own store with a memory, that one
//! process holds under each tier's default memory configuration, and with
//! a pool of small memories. Ignored by
//! default (it takes most of the process's address space and a minute);
//! run each by name, `cargo test --release --test density -- --ignored
//! --nocapture NAME` (in one process the second would reuse the first's
//! freed memory), which prints the count and the resident memory per idle
//! instance.

mod common;

use common::kinds;

use skiff::{Config, Engine, Instance, Linker, Module, PoolingConfig, Store};

/// The process's resident memory in KiB.
fn resident_kib() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("/proc/self/statm");
    let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4
}

/// Instantiates `(memory 1)` modules, each in a store of its own, until
/// `want` are alive or instantiation fails; checks the last one runs.
fn hold(engine: &Engine, want: usize) -> usize {
    // No data segment: its image would be one more mapping per memory,
    // and Linux allows 65,530 per process by default (`vm.max_map_count`).
    let wat = r#"(module (memory 1)
                   (func (export "f") (result i32)
                     (i32.store8 (i32.const 0) (i32.const 42))
                     (i32.load8_u (i32.const 0))))"#;
    let module = Module::new(engine, wat.as_bytes()).unwrap();
    let linker = Linker::new();
    let mut live: Vec<(Store<()>, Instance)> = Vec::with_capacity(want);
    let before = resident_kib();
    while live.len() < want {
        let mut store = Store::new(engine, ());
        match linker.instantiate(&mut store, &module) {
            Ok(instance) => live.push((store, instance)),
            Err(e) => {
                eprintln!("{}: stopped at {}: {e}", engine.kind(), live.len());
                break;
            }
        }
    }
    let per_instance = (resident_kib() - before) as f64 / live.len() as f64;
    eprintln!(
        "{}: {} live instances, {per_instance:.1} KiB resident each",
        engine.kind(),
        live.len()
    );
    let (store, instance) = live.last_mut().unwrap();
    let f = instance.get_typed_func::<(), i32>(&*store, "f").unwrap();
    assert_eq!(f.call(&mut *store, ()).unwrap(), 42);
    live.len()
}

#[test]
#[ignore = "takes most of the address space; run by hand"]
fn thirty_thousand_instances_with_a_memory_live_at_once_on_either_tier() {
    for kind in kinds() {
        let held = hold(&Engine::new(kind).unwrap(), 30_000);
        assert_eq!(held, 30_000, "{kind}");
    }
}

#[test]
#[ignore = "holds a hundred thousand instances; run by hand"]
fn a_hundred_thousand_pooled_instances_with_small_memories_live_at_once_on_either_tier() {
    // Slots of 64 KiB with no guard (the code checks every access), all in
    // one reservation: adjacent accessible slots share one mapping, so the
    // count is bounded neither by address space nor by `vm.max_map_count`.
    for kind in kinds() {
        let mut pooling = PoolingConfig::new();
        pooling.total_memories(100_000).max_memory_size(64 << 10);
        let engine = Engine::with_config(Config::new().strategy(kind).pooling(pooling)).unwrap();
        let held = hold(&engine, 100_000);
        assert_eq!(held, 100_000, "{kind}");
    }
}
