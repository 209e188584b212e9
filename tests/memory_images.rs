//! Memory images: a module's data segments mapped copy-on-write into each
//! instance's memory. Each instance sees the segments (the later one where
//! they overlap) and its own writes only; segments the image cannot hold
//! (an offset from a global, one past the initial size) behave as copies.

mod common;

use common::engines;
use skiff::{Extern, Linker, Module, Store, TrapKind, Val};

const IMAGED: &str = r#"(module
  (memory (export "memory") 2)
  (data (i32.const 0) "abcdefgh")
  (data (i32.const 4) "XY")
  (data (i32.const 70000) "far")
  (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "store") (param i32 i32) (i32.store8 (local.get 0) (local.get 1))))"#;

fn call(store: &mut Store<()>, inst: &skiff::Instance, name: &str, args: &[Val]) -> Vec<Val> {
    common::call(store, inst, name, args).unwrap()
}

fn byte(store: &mut Store<()>, inst: &skiff::Instance, at: i32) -> i32 {
    match call(store, inst, "load", &[Val::I32(at)])[..] {
        [Val::I32(b)] => b,
        ref other => panic!("{other:?}"),
    }
}

#[test]
fn every_instance_starts_from_the_image_and_keeps_its_writes() {
    for engine in engines() {
        let module = Module::new(&engine, IMAGED.as_bytes()).unwrap();
        let mut store = Store::new(&engine, ());
        let a = Linker::new().instantiate(&mut store, &module).unwrap();
        let b = Linker::new().instantiate(&mut store, &module).unwrap();
        // The later segment wins where they overlap.
        let text: Vec<u8> = (0..8).map(|i| byte(&mut store, &a, i) as u8).collect();
        assert_eq!(text, b"abcdXYgh");
        assert_eq!(byte(&mut store, &a, 70001), i32::from(b'a'));
        assert_eq!(byte(&mut store, &a, 9000), 0);
        // A write is the instance's own: not the other's, nor a later one's.
        call(&mut store, &a, "store", &[Val::I32(1), Val::I32(0x7a)]);
        call(&mut store, &a, "store", &[Val::I32(100_000), Val::I32(1)]);
        assert_eq!(byte(&mut store, &a, 1), 0x7a);
        assert_eq!(byte(&mut store, &b, 1), i32::from(b'b'));
        assert_eq!(byte(&mut store, &b, 100_000), 0);
        let mut other = Store::new(&engine, ());
        let c = Linker::new().instantiate(&mut other, &module).unwrap();
        assert_eq!(byte(&mut other, &c, 1), i32::from(b'b'));
        // The host sees the same bytes.
        let Some(Extern::Memory(m)) = c.get_export(&other, "memory") else {
            panic!("no memory export");
        };
        assert_eq!(&m.data(&other)[..8], b"abcdXYgh");
        // The memory grows past the image as usual.
        let mut store = Store::new(&engine, ());
        let d = Linker::new().instantiate(&mut store, &module).unwrap();
        let Some(Extern::Memory(m)) = d.get_export(&store, "memory") else {
            panic!("no memory export");
        };
        assert_eq!(m.grow(&mut store, 1).unwrap(), 2);
        assert_eq!(&m.data(&store)[70000..70003], b"far");
    }
}

/// Which defined memories of `wat` have an image.
fn imaged(wat: &str) -> Vec<bool> {
    let module = skiff_vm::load(wat.as_bytes(), &skiff::Features::ALL).unwrap();
    module.memory_images().iter().map(Option::is_some).collect()
}

#[test]
fn only_constant_segments_within_the_initial_size_make_an_image() {
    assert_eq!(imaged(IMAGED), [true]);
    assert_eq!(imaged("(module (memory 1))"), [false]);
    assert_eq!(
        imaged(r#"(module (memory 1) (memory 1) (data (memory 1) (i32.const 8) "x"))"#),
        [false, true]
    );
    assert_eq!(
        imaged(r#"(module (memory 1) (data (i32.const 65535) "xy"))"#),
        [false]
    );
    assert_eq!(
        imaged(
            r#"(module (global (import "g" "g") i32) (memory 1)
                 (data (i32.const 0) "a") (data (global.get 0) "b"))"#
        ),
        [false]
    );
    // An imported memory is the importer's: its segments are copied.
    assert_eq!(
        imaged(r#"(module (memory (import "m" "m") 1) (data (i32.const 0) "a"))"#),
        Vec::<bool>::new()
    );
}

#[test]
fn segments_an_image_cannot_hold_are_copied_and_still_trap() {
    const NOT_IMAGED: &str = r#"(module
      (global $at (import "host" "at") i32)
      (memory (export "memory") 1)
      (data (i32.const 0) "first")
      (data (global.get $at) "second"))"#;
    const OUT_OF_BOUNDS: &str = r#"(module
      (memory (export "memory") 1)
      (data (i32.const 0) "first")
      (data (i32.const 65535) "past the end"))"#;
    for engine in engines() {
        let module = Module::new(&engine, NOT_IMAGED.as_bytes()).unwrap();
        let mut store = Store::new(&engine, ());
        let at = skiff::Global::new(
            &mut store,
            skiff::GlobalType {
                content: skiff::ValType::I32,
                mutable: false,
            },
            Val::I32(2),
        )
        .unwrap();
        let mut linker = Linker::new();
        linker.define("host", "at", at);
        let inst = linker.instantiate(&mut store, &module).unwrap();
        let Some(Extern::Memory(m)) = inst.get_export(&store, "memory") else {
            panic!("no memory export");
        };
        assert_eq!(&m.data(&store)[..8], b"fisecond");

        let module = Module::new(&engine, OUT_OF_BOUNDS.as_bytes()).unwrap();
        let mut store = Store::new(&engine, ());
        let err = Linker::new().instantiate(&mut store, &module).unwrap_err();
        match err {
            skiff::InstantiationError::Trap(t) => {
                assert_eq!(t.kind(), TrapKind::MemoryOutOfBounds)
            }
            other => panic!("{other}"),
        }
    }
}

#[test]
fn a_trap_before_the_data_leaves_the_memory_without_it() {
    // The first element segment puts `$peek` in the imported table, the
    // second traps: the data segment after it never runs, which `$peek`,
    // reached through the table, must see.
    const TABLE: &str = r#"(module
      (type $r (func (result i32)))
      (table (export "tab") 2 funcref)
      (func (export "call0") (result i32) (call_indirect (type $r) (i32.const 0))))"#;
    const FAILING: &str = r#"(module
      (import "m" "tab" (table 2 funcref))
      (memory 1)
      (func $peek (result i32) (i32.load8_u (i32.const 0)))
      (elem (i32.const 0) $peek)
      (elem (i32.const 2) $peek)
      (data (i32.const 0) "\2a"))"#;
    assert_eq!(imaged(FAILING), [false]);
    for engine in engines() {
        let mut store = Store::new(&engine, ());
        let m = Linker::new()
            .instantiate(&mut store, &Module::new(&engine, TABLE.as_bytes()).unwrap())
            .unwrap();
        let mut linker = Linker::new();
        let Some(tab) = m.get_export(&store, "tab") else {
            panic!("no table export");
        };
        linker.define("m", "tab", tab);
        let failing = Module::new(&engine, FAILING.as_bytes()).unwrap();
        assert!(linker.instantiate(&mut store, &failing).is_err());
        assert_eq!(call(&mut store, &m, "call0", &[]), [Val::I32(0)]);
    }
}
