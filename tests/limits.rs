//! Resource limits and stack limits through the embedding API, on both
//! tiers: what a guest asks of the host's memory goes through the store's
//! limiter, and a request that cannot be met is -1, a trap or an
//! instantiation error, never an abort.

mod common;

use common::call;
use skiff::{
    Engine, EngineKind, InstantiationError, Limits, Linker, Memory, MemoryConfig, MemoryType,
    Module, ResourceLimiter, Store, StoreLimits, StoreLimitsBuilder, Trap, TrapKind, Val,
};

fn engines() -> Vec<Engine> {
    let mut engines = vec![Engine::new(EngineKind::Interp).unwrap()];
    if let Ok(jit) = Engine::new(EngineKind::Jit) {
        engines.push(jit);
        let checked = MemoryConfig {
            reservation: 1 << 30,
            guard: 0,
        };
        engines.push(Engine::with_memory_config(EngineKind::Jit, checked).unwrap());
    }
    engines
}

/// A store of `engine` limited by `limits`.
fn limited(engine: &Engine, limits: StoreLimits) -> Store<StoreLimits> {
    let mut store = Store::new(engine, limits);
    store.limiter(|l: &mut StoreLimits| l);
    store
}

fn resource_error(err: InstantiationError) -> String {
    match err {
        InstantiationError::Resource(m) => m,
        other => panic!("not a resource error: {other}"),
    }
}

#[test]
fn a_table_of_4294967295_elements_is_an_instantiation_error() {
    for engine in engines() {
        let module = Module::new(
            &engine,
            br#"(module (table 4294967295 funcref) (func (export "f") (result i32) (i32.const 1)))"#,
        )
        .unwrap();
        let mut store = Store::new(&engine, ());
        let err = Linker::new().instantiate(&mut store, &module).unwrap_err();
        let message = resource_error(err);
        assert!(
            message.contains("4294967295 elements is past the store's limit"),
            "{message}"
        );
        // The store lives on and instantiates what fits.
        let small = Module::new(&engine, br#"(module (table 10 funcref))"#).unwrap();
        Linker::new().instantiate(&mut store, &small).unwrap();
    }
}

const GROW_TABLE: &[u8] = br#"(module
  (table (export "t") 1 funcref)
  (func (export "grow") (param i32) (result i32)
    (table.grow (ref.null func) (local.get 0)))
  (func (export "size") (result i32) (table.size)))"#;

#[test]
fn table_grow_by_minus_one_or_past_the_limit_is_minus_one() {
    for engine in engines() {
        let module = Module::new(&engine, GROW_TABLE).unwrap();
        let mut store = Store::new(&engine, ());
        let inst = Linker::new().instantiate(&mut store, &module).unwrap();
        // 2^32 - 1 more elements: past the format's limit.
        assert_eq!(
            call(&mut store, &inst, "grow", &[Val::I32(-1)]).unwrap(),
            [Val::I32(-1)]
        );
        // 2^31 - 1 elements (16 GiB) is within the format, past the default limit.
        assert_eq!(
            call(&mut store, &inst, "grow", &[Val::I32(i32::MAX)]).unwrap(),
            [Val::I32(-1)]
        );
        assert_eq!(
            call(&mut store, &inst, "grow", &[Val::I32(9)]).unwrap(),
            [Val::I32(1)]
        );
        assert_eq!(
            call(&mut store, &inst, "size", &[]).unwrap(),
            [Val::I32(10)]
        );

        let mut store = limited(
            &engine,
            StoreLimitsBuilder::new().table_elements(100).build(),
        );
        let inst = Linker::new().instantiate(&mut store, &module).unwrap();
        assert_eq!(
            call(&mut store, &inst, "grow", &[Val::I32(99)]).unwrap(),
            [Val::I32(1)]
        );
        assert_eq!(
            call(&mut store, &inst, "grow", &[Val::I32(1)]).unwrap(),
            [Val::I32(-1)]
        );
        let table = inst.get_table(&store, "t").unwrap();
        assert!(table.grow(&mut store, 1, Val::FuncRef(None)).is_err());
        assert_eq!(table.size(&store), 100);
    }
}

const GROW_MEMORY: &[u8] = br#"(module
  (memory (export "memory") 1)
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "grow_all") (result i32)
    (block $done (loop $again
      (br_if $done (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
      (br $again)))
    (memory.size)))"#;

#[test]
fn memory_grows_up_to_the_limit_then_minus_one() {
    for engine in engines() {
        let module = Module::new(&engine, GROW_MEMORY).unwrap();
        let limits = StoreLimitsBuilder::new().memory_size(16 << 20).build();
        let mut store = limited(&engine, limits);
        let inst = Linker::new().instantiate(&mut store, &module).unwrap();
        assert_eq!(
            call(&mut store, &inst, "grow_all", &[]).unwrap(),
            [Val::I32(256)]
        );
        assert_eq!(
            call(&mut store, &inst, "grow", &[Val::I32(0)]).unwrap(),
            [Val::I32(256)]
        );
        let memory = inst.get_memory(&store, "memory").unwrap();
        assert_eq!(memory.data_size(&store), 16 << 20);
        assert!(memory.grow(&mut store, 1).is_err());
        assert_eq!(store.data().memory_in_use(), 16 << 20);
        // The guest wrote where it could; the last byte is there.
        memory.write(&mut store, (16 << 20) - 1, &[7]).unwrap();
    }
}

#[test]
fn a_memory_larger_than_the_limit_is_an_instantiation_error() {
    for engine in engines() {
        let module = Module::new(&engine, br#"(module (memory 300))"#).unwrap();
        let limits = StoreLimitsBuilder::new().memory_size(16 << 20).build();
        let mut store = limited(&engine, limits);
        let err = Linker::new().instantiate(&mut store, &module).unwrap_err();
        let message = resource_error(err);
        assert!(
            message.contains("300 pages (19660800 bytes) is past the store's limit"),
            "{message}"
        );
    }
}

#[test]
fn total_memory_counts_every_memory_of_the_store() {
    for engine in engines() {
        let module = Module::new(&engine, GROW_MEMORY).unwrap();
        let limits = StoreLimitsBuilder::new().total_memory(10 << 16).build();
        let mut store = limited(&engine, limits);
        let a = Linker::new().instantiate(&mut store, &module).unwrap();
        let b = Linker::new().instantiate(&mut store, &module).unwrap();
        assert_eq!(
            call(&mut store, &a, "grow", &[Val::I32(5)]).unwrap(),
            [Val::I32(1)]
        );
        assert_eq!(
            call(&mut store, &b, "grow", &[Val::I32(3)]).unwrap(),
            [Val::I32(1)]
        );
        // 6 + 4 pages: the total is reached.
        assert_eq!(
            call(&mut store, &b, "grow", &[Val::I32(1)]).unwrap(),
            [Val::I32(-1)]
        );
        let ty = MemoryType {
            limits: Limits { min: 1, max: None },
            addr: skiff::AddrType::I32,
        };
        let err = Memory::new(&mut store, ty).unwrap_err();
        assert!(err.to_string().contains("past the store's limit"), "{err}");
    }
}

#[test]
fn counts_of_instances_memories_and_tables_are_limited() {
    for engine in engines() {
        let module = Module::new(&engine, br#"(module (memory 1) (table 1 funcref))"#).unwrap();
        let limits = StoreLimitsBuilder::new().instances(2).build();
        let mut store = limited(&engine, limits);
        Linker::new().instantiate(&mut store, &module).unwrap();
        Linker::new().instantiate(&mut store, &module).unwrap();
        let message = resource_error(Linker::new().instantiate(&mut store, &module).unwrap_err());
        assert_eq!(
            message,
            "the store's limit of 2 instances is reached (2 exist, the module needs 1 more)"
        );

        let limits = StoreLimitsBuilder::new().memories(1).build();
        let mut store = limited(&engine, limits);
        Linker::new().instantiate(&mut store, &module).unwrap();
        let message = resource_error(Linker::new().instantiate(&mut store, &module).unwrap_err());
        assert!(message.contains("limit of 1 memories"), "{message}");

        let limits = StoreLimitsBuilder::new().tables(0).build();
        let mut store = limited(&engine, limits);
        let message = resource_error(Linker::new().instantiate(&mut store, &module).unwrap_err());
        assert!(message.contains("limit of 0 tables"), "{message}");
    }
}

/// A host's own limiter: counts what it is asked, refuses memories past
/// `max_pages`, traps on a table past 50 elements.
#[derive(Default)]
struct Host {
    memory_requests: Vec<(usize, usize, Option<usize>)>,
    max_pages: usize,
}

impl ResourceLimiter for Host {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> Result<bool, Trap> {
        self.memory_requests.push((current, desired, maximum));
        Ok(desired <= self.max_pages << 16)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> Result<bool, Trap> {
        if desired > 50 {
            return Err(Trap::host("the host refuses a table of more than 50"));
        }
        Ok(true)
    }
}

#[test]
fn a_limiter_the_host_implements_decides_and_may_trap() {
    let guest = br#"(module
      (memory 1 8)
      (table 1 funcref)
      (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
      (func (export "grow_table") (param i32) (result i32)
        (table.grow (ref.null func) (local.get 0))))"#;
    for engine in engines() {
        let module = Module::new(&engine, guest).unwrap();
        let mut store = Store::new(
            &engine,
            Host {
                max_pages: 3,
                ..Host::default()
            },
        );
        store.limiter(|h: &mut Host| h);
        let inst = Linker::new().instantiate(&mut store, &module).unwrap();
        assert_eq!(
            call(&mut store, &inst, "grow", &[Val::I32(2)]).unwrap(),
            [Val::I32(1)]
        );
        assert_eq!(
            call(&mut store, &inst, "grow", &[Val::I32(1)]).unwrap(),
            [Val::I32(-1)]
        );
        // Past the declared maximum: refused before the limiter is asked.
        assert_eq!(
            call(&mut store, &inst, "grow", &[Val::I32(9)]).unwrap(),
            [Val::I32(-1)]
        );
        let max = Some(8 << 16);
        assert_eq!(
            store.data().memory_requests,
            [
                (0, 1 << 16, max),
                (1 << 16, 3 << 16, max),
                (3 << 16, 4 << 16, max)
            ]
        );
        assert_eq!(
            call(&mut store, &inst, "grow_table", &[Val::I32(9)]).unwrap(),
            [Val::I32(1)]
        );
        let trap = call(&mut store, &inst, "grow_table", &[Val::I32(41)]).unwrap_err();
        assert_eq!(trap.kind(), TrapKind::Host);
        assert!(
            trap.to_string()
                .contains("the host refuses a table of more than 50"),
            "{trap}"
        );
        assert_eq!(trap.backtrace()[0].func, 1);
    }
}

#[test]
fn limits_may_trap_instead_of_failing_a_grow() {
    for engine in engines() {
        let module = Module::new(&engine, GROW_MEMORY).unwrap();
        let limits = StoreLimitsBuilder::new()
            .memory_size(2 << 16)
            .trap_on_grow_failure(true)
            .build();
        let mut store = limited(&engine, limits);
        let inst = Linker::new().instantiate(&mut store, &module).unwrap();
        assert_eq!(
            call(&mut store, &inst, "grow", &[Val::I32(1)]).unwrap(),
            [Val::I32(1)]
        );
        let trap = call(&mut store, &inst, "grow", &[Val::I32(1)]).unwrap_err();
        assert!(
            trap.to_string()
                .contains("memory of 196608 bytes is past the store's limit"),
            "{trap}"
        );
    }
}

const RECURSE: &[u8] = br#"(module
  (func $rec (export "rec") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 0))
      (else (i32.add (i32.const 1) (call $rec (i32.sub (local.get 0) (i32.const 1)))))))
  (func $forever (export "forever") (call $forever)))"#;

/// Runs `f` on a thread with a stack of `stack` bytes.
fn on_thread<R: Send + 'static>(stack: usize, f: impl FnOnce() -> R + Send + 'static) -> R {
    std::thread::Builder::new()
        .stack_size(stack)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

#[test]
fn a_recursion_30000_deep_runs_on_both_tiers() {
    for engine in engines() {
        let result = on_thread(8 << 20, move || {
            let module = Module::new(&engine, RECURSE).unwrap();
            let mut store = Store::new(&engine, ());
            let inst = Linker::new().instantiate(&mut store, &module).unwrap();
            call(&mut store, &inst, "rec", &[Val::I32(30_000)])
        });
        assert_eq!(result.unwrap(), [Val::I32(30_000)]);
    }
}

#[test]
fn runaway_recursion_is_stack_exhaustion_whatever_the_thread_stack() {
    for stack in [256 << 10, 512 << 10, 8 << 20] {
        for engine in engines() {
            let trap = on_thread(stack, move || {
                let module = Module::new(&engine, RECURSE).unwrap();
                let mut store = Store::new(&engine, ());
                let inst = Linker::new().instantiate(&mut store, &module).unwrap();
                let trap = call(&mut store, &inst, "forever", &[]).unwrap_err();
                // The store lives on.
                assert_eq!(
                    call(&mut store, &inst, "rec", &[Val::I32(100)]).unwrap(),
                    [Val::I32(100)]
                );
                trap
            });
            assert_eq!(trap.kind(), TrapKind::StackExhausted, "{trap}");
            assert!(trap.backtrace().len() <= 64, "a bounded backtrace");
            assert_eq!(trap.backtrace()[0].name.as_deref(), Some("forever"));
        }
    }
}

#[test]
fn stack_budgets_are_configurable() {
    for engine in engines() {
        let depth = on_thread(8 << 20, move || {
            let module = Module::new(&engine, RECURSE).unwrap();
            let mut store = Store::new(&engine, ());
            store.set_max_wasm_stack(64 << 10);
            store.set_max_interp_stack(64 << 10);
            assert_eq!(store.max_wasm_stack(), 64 << 10);
            assert_eq!(store.max_interp_stack(), 64 << 10);
            let inst = Linker::new().instantiate(&mut store, &module).unwrap();
            let trap = call(&mut store, &inst, "rec", &[Val::I32(30_000)]).unwrap_err();
            assert_eq!(trap.kind(), TrapKind::StackExhausted);
            // The deepest recursion that runs within 64 KiB.
            let (mut lo, mut hi) = (0i32, 30_000i32);
            while lo < hi {
                let mid = (lo + hi + 1) / 2;
                match call(&mut store, &inst, "rec", &[Val::I32(mid)]) {
                    Ok(_) => lo = mid,
                    Err(_) => hi = mid - 1,
                }
            }
            store.set_max_wasm_stack(4 << 20);
            store.set_max_interp_stack(64 << 20);
            assert_eq!(
                call(&mut store, &inst, "rec", &[Val::I32(100_000)]).unwrap(),
                [Val::I32(100_000)]
            );
            lo
        });
        assert!(
            (500..30_000).contains(&depth),
            "{:?}: 64 KiB let a recursion {depth} deep run",
            depth
        );
    }
}
