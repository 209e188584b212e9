//! The pooling allocator: memories come from slots reserved once per
//! engine, and an instance made after another in the same slot sees its
//! module's initial state, never what the last one left.

mod common;

use common::kinds;

use skiff::{Config, Engine, EngineKind, Linker, Module, PoolingConfig, Store, TrapKind};

fn pooling(kind: EngineKind, pool: &PoolingConfig) -> Engine {
    Engine::with_config(Config::new().strategy(kind).pooling(*pool)).unwrap()
}

/// Data at the start of memory, a table entry and a mutable global, with
/// exports that change them all and grow the memory.
const STATEFUL: &str = r#"(module
  (memory (export "memory") 1 4)
  (data (i32.const 0) "image")
  (data (i32.const 8192) "kept")
  (global $g (export "g") (mut i32) (i32.const 7))
  (table $t 1 funcref)
  (elem (i32.const 0) $f)
  (func $f (result i32) (i32.const 42))
  (func (export "byte") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "global") (result i32) (global.get $g))
  (func (export "entry_is_null") (result i32) (ref.is_null (table.get $t (i32.const 0))))
  (func (export "size") (result i32) (memory.size))
  ;; Grows by a page and reads the new page, where the last request wrote.
  (func (export "grown_byte") (result i32)
    (drop (memory.grow (i32.const 1)))
    (i32.load8_u (i32.const 70000)))
  (func (export "scribble")
    (i32.store8 (i32.const 0) (i32.const 0x58))
    (i32.store8 (i32.const 40000) (i32.const 0x59))
    (global.set $g (i32.const 99))
    (table.set $t (i32.const 0) (ref.null func))
    (drop (memory.grow (i32.const 1)))
    (i32.store8 (i32.const 70000) (i32.const 0x5a))))"#;

/// A memory of its own with no data.
const BLANK: &str = r#"(module
  (memory 1)
  (func (export "byte") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "poke") (i32.store8 (i32.const 1) (i32.const 0x77))))"#;

struct State {
    first: i32,
    middle: i32,
    global: i32,
    entry_is_null: i32,
    pages: i32,
}

fn state(store: &mut Store<()>, inst: &skiff::Instance) -> State {
    let byte = inst.get_typed_func::<i32, i32>(&*store, "byte").unwrap();
    let get = |name: &str, store: &mut Store<()>| {
        let f = inst.get_typed_func::<(), i32>(&*store, name).unwrap();
        f.call(store, ()).unwrap()
    };
    State {
        first: byte.call(&mut *store, 0).unwrap(),
        middle: byte.call(&mut *store, 40000).unwrap(),
        global: get("global", store),
        entry_is_null: get("entry_is_null", store),
        pages: get("size", store),
    }
}

#[test]
fn a_reused_slot_shows_the_image_not_the_last_request() {
    // Written pages discarded, and restored in place.
    for (kind, keep) in kinds().into_iter().flat_map(|k| [(k, 0), (k, 1 << 20)]) {
        // One slot: every instance below gets the same one.
        let mut config = PoolingConfig::new();
        config.total_memories(1).linear_memory_keep_resident(keep);
        let engine = pooling(kind, &config);
        let kind = format!("{kind} keeping {keep} bytes resident");
        let stateful = Module::new(&engine, STATEFUL.as_bytes()).unwrap();
        let blank = Module::new(&engine, BLANK.as_bytes()).unwrap();
        for request in 0..3 {
            let mut store = Store::new(&engine, ());
            let inst = Linker::new().instantiate(&mut store, &stateful).unwrap();
            let fresh = state(&mut store, &inst);
            assert_eq!(
                (
                    fresh.first,
                    fresh.middle,
                    fresh.global,
                    fresh.entry_is_null,
                    fresh.pages
                ),
                (i32::from(b'i'), 0, 7, 0, 1),
                "{kind}: request {request} starts from the module's initial state"
            );
            // The page past the initial size is out of bounds again.
            let byte = inst.get_typed_func::<i32, i32>(&store, "byte").unwrap();
            assert_eq!(
                byte.call(&mut store, 70000).unwrap_err().kind(),
                TrapKind::MemoryOutOfBounds,
                "{kind}: request {request}"
            );
            // Grown again, the page the last request wrote reads as zero.
            let grown = inst
                .get_typed_func::<(), i32>(&store, "grown_byte")
                .unwrap();
            assert_eq!(
                grown.call(&mut store, ()).unwrap(),
                0,
                "{kind}: request {request}"
            );
            let scribble = inst.get_typed_func::<(), ()>(&store, "scribble").unwrap();
            scribble.call(&mut store, ()).unwrap();
            let dirty = state(&mut store, &inst);
            assert_eq!(
                (
                    dirty.first,
                    dirty.middle,
                    dirty.global,
                    dirty.entry_is_null,
                    dirty.pages
                ),
                (0x58, 0x59, 99, 1, 3),
                "{kind}"
            );
            assert_eq!(byte.call(&mut store, 70000).unwrap(), 0x5a, "{kind}");
        }
        // Another module in the same slot: no image, all zero; then the
        // first module's image again.
        for _ in 0..2 {
            let mut store = Store::new(&engine, ());
            let inst = Linker::new().instantiate(&mut store, &blank).unwrap();
            let byte = inst.get_typed_func::<i32, i32>(&store, "byte").unwrap();
            assert_eq!(byte.call(&mut store, 0).unwrap(), 0, "{kind}: no image");
            assert_eq!(
                byte.call(&mut store, 1).unwrap(),
                0,
                "{kind}: not poked yet"
            );
            let poke = inst.get_typed_func::<(), ()>(&store, "poke").unwrap();
            poke.call(&mut store, ()).unwrap();
        }
        let mut store = Store::new(&engine, ());
        let inst = Linker::new().instantiate(&mut store, &stateful).unwrap();
        let again = state(&mut store, &inst);
        assert_eq!((again.first, again.middle), (i32::from(b'i'), 0), "{kind}");
        let byte = inst.get_typed_func::<i32, i32>(&store, "byte").unwrap();
        assert_eq!(byte.call(&mut store, 1).unwrap(), i32::from(b'm'), "{kind}");
        assert_eq!(
            byte.call(&mut store, 8192).unwrap(),
            i32::from(b'k'),
            "{kind}"
        );
    }
}

#[test]
fn a_full_pool_refuses_the_next_memory_clearly() {
    for kind in kinds() {
        let engine = pooling(kind, PoolingConfig::new().total_memories(2));
        let module = Module::new(&engine, BLANK.as_bytes()).unwrap();
        let mut held: Vec<Store<()>> = Vec::new();
        for _ in 0..2 {
            let mut store = Store::new(&engine, ());
            Linker::new().instantiate(&mut store, &module).unwrap();
            held.push(store);
        }
        let mut store = Store::new(&engine, ());
        let err = Linker::new()
            .instantiate(&mut store, &module)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("all 2 memory slots of the pool are in use"),
            "{kind}: {err}"
        );
        held.pop();
        Linker::new().instantiate(&mut store, &module).unwrap();
    }
}

#[test]
fn small_slots_bound_growth_and_check_accesses() {
    for kind in kinds() {
        let engine = pooling(
            kind,
            PoolingConfig::new()
                .total_memories(4)
                .max_memory_size(2 * 65536),
        );
        let module = Module::new(
            &engine,
            r#"(module (memory 1)
                 (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
                 (func (export "load") (param i32) (result i32) (i32.load (local.get 0))))"#
                .as_bytes(),
        )
        .unwrap();
        let mut store = Store::new(&engine, ());
        let inst = Linker::new().instantiate(&mut store, &module).unwrap();
        // A neighbour in the next slot, its pages accessible right after
        // this memory's reservation: only an explicit check stops an access
        // past the end from reaching them (small slots have no guard).
        let mut neighbour = Store::new(&engine, ());
        let other = Linker::new().instantiate(&mut neighbour, &module).unwrap();
        let grow = inst.get_typed_func::<i32, i32>(&store, "grow").unwrap();
        let load = inst.get_typed_func::<i32, i32>(&store, "load").unwrap();
        assert_eq!(
            grow.call(&mut store, 2).unwrap(),
            -1,
            "{kind}: past the slot"
        );
        assert_eq!(grow.call(&mut store, 1).unwrap(), 1, "{kind}");
        let grow_other = other
            .get_typed_func::<i32, i32>(&neighbour, "grow")
            .unwrap();
        assert_eq!(grow_other.call(&mut neighbour, 1).unwrap(), 1, "{kind}");
        assert_eq!(load.call(&mut store, 2 * 65536 - 4).unwrap(), 0, "{kind}");
        for at in [2 * 65536 - 2, 2 * 65536, 3 * 65536] {
            assert_eq!(
                load.call(&mut store, at).unwrap_err().kind(),
                TrapKind::MemoryOutOfBounds,
                "{kind}: load at {at}"
            );
        }
        // A module whose initial size does not fit a slot is refused.
        let big = Module::new(&engine, b"(module (memory 3))").unwrap();
        let mut store = Store::new(&engine, ());
        assert!(
            Linker::new().instantiate(&mut store, &big).is_err(),
            "{kind}"
        );
    }
}

/// A table that starts with two elements (the first set) and may grow.
const TABLED: &str = r#"(module
  (table $t 2 100 funcref)
  (elem (i32.const 0) $f)
  (func $f)
  (func (export "size") (result i32) (table.size $t))
  (func (export "grow") (param i32) (result i32) (table.grow $t (ref.func $f) (local.get 0)))
  (func (export "null_at") (param i32) (result i32) (ref.is_null (table.get $t (local.get 0)))))"#;

#[test]
fn tables_come_from_the_pool_bounded_and_clean() {
    for kind in kinds() {
        let mut pool = PoolingConfig::new();
        pool.total_tables(2).table_elements(8);
        let engine = pooling(kind, &pool);
        let module = Module::new(&engine, TABLED.as_bytes()).unwrap();
        let call =
            |store: &mut Store<()>, inst: &skiff::Instance, name: &str, arg: Option<i32>| match arg
            {
                Some(a) => inst
                    .get_typed_func::<i32, i32>(&*store, name)
                    .unwrap()
                    .call(store, a),
                None => inst
                    .get_typed_func::<(), i32>(&*store, name)
                    .unwrap()
                    .call(store, ()),
            };
        let mut first = Store::new(&engine, ());
        let inst = Linker::new().instantiate(&mut first, &module).unwrap();
        // Growth up to the pool's 8 elements, not past them.
        assert_eq!(
            call(&mut first, &inst, "grow", Some(5)).unwrap(),
            2,
            "{kind}"
        );
        assert_eq!(
            call(&mut first, &inst, "grow", Some(2)).unwrap(),
            -1,
            "{kind}"
        );
        assert_eq!(call(&mut first, &inst, "size", None).unwrap(), 7, "{kind}");
        assert_eq!(
            call(&mut first, &inst, "null_at", Some(6)).unwrap(),
            0,
            "{kind}"
        );
        // Two tables at most.
        let mut second = Store::new(&engine, ());
        Linker::new().instantiate(&mut second, &module).unwrap();
        let mut third = Store::new(&engine, ());
        let err = Linker::new()
            .instantiate(&mut third, &module)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("all 2 tables of the pool are in use"),
            "{kind}: {err}"
        );
        // The first table's buffer, reused, shows the module's table, not
        // what the first request grew it to.
        drop(first);
        let inst = Linker::new().instantiate(&mut third, &module).unwrap();
        assert_eq!(call(&mut third, &inst, "size", None).unwrap(), 2, "{kind}");
        assert_eq!(
            call(&mut third, &inst, "null_at", Some(0)).unwrap(),
            0,
            "{kind}"
        );
        assert_eq!(
            call(&mut third, &inst, "null_at", Some(1)).unwrap(),
            1,
            "{kind}"
        );
        let trap = call(&mut third, &inst, "null_at", Some(2)).unwrap_err();
        assert_eq!(trap.kind(), TrapKind::TableOutOfBounds, "{kind}");
        // A table larger than the pool's is refused when instantiating.
        let large = Module::new(&engine, "(module (table 9 funcref))".as_bytes()).unwrap();
        drop(second);
        let mut fourth = Store::new(&engine, ());
        let err = Linker::new()
            .instantiate(&mut fourth, &large)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("a table of 9 elements is larger than the pool's tables (8 elements)"),
            "{kind}: {err}"
        );
    }
}
