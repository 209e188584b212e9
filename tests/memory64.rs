//! 64-bit memories and tables on both tiers: `i64` addresses, sizes and
//! indices, offsets past 4 GiB, additions that overflow, copies between a
//! 32-bit and a 64-bit memory, and a table indexed past 2^32 that traps
//! instead of wrapping.

mod common;

use common::engines;
use skiff::{Config, Engine, EngineKind, Features, Linker, Module, Store, TrapKind, Val};

const MEMORIES: &str = r#"(module
  (memory $m64 i64 1 3)
  (memory $m32 1)
  (data (memory $m64) (i64.const 0x100) "\01\02\03\04")
  (func (export "load") (param i64) (result i32) (i32.load (local.get 0)))
  (func (export "load_far") (param i64) (result i32)
    (i32.load8_u offset=0x100000000 (local.get 0)))
  (func (export "load_past_top") (param i64) (result i32)
    (i32.load offset=8 (local.get 0)))
  (func (export "store") (param i64 i64)
    (i64.store offset=2 (local.get 0) (local.get 1)))
  (func (export "load64") (param i64) (result i64) (i64.load offset=2 (local.get 0)))
  (func (export "v128") (param i64) (result i64)
    (i64x2.extract_lane 1 (v128.load (local.get 0))))
  (func (export "size") (result i64) (memory.size $m64))
  (func (export "grow") (param i64) (result i64) (memory.grow $m64 (local.get 0)))
  (func (export "fill") (param i64 i32 i64) (memory.fill $m64 (local.get 0) (local.get 1) (local.get 2)))
  (func (export "to32") (param i32 i64 i32)
    (memory.copy $m32 $m64 (local.get 0) (local.get 1) (local.get 2)))
  (func (export "load32") (param i32) (result i32) (i32.load $m32 (local.get 0))))"#;

const TABLES: &str = r#"(module
  (type $n (func (result i32)))
  (table $t i64 4 10 funcref)
  (elem (table $t) (i64.const 1) func $one $two)
  (func $one (result i32) (i32.const 1))
  (func $two (result i32) (i32.const 2))
  (func (export "call") (param i64) (result i32) (call_indirect $t (type $n) (local.get 0)))
  (func (export "size") (result i64) (table.size $t))
  (func (export "grow") (param i64) (result i64) (table.grow $t (ref.null func) (local.get 0)))
  (func (export "is_null") (param i64) (result i32) (ref.is_null (table.get $t (local.get 0))))
  (func (export "copy") (param i64 i64 i64) (table.copy $t $t (local.get 0) (local.get 1) (local.get 2)))
  (func (export "fill") (param i64 i64) (table.fill $t (local.get 0) (ref.func $two) (local.get 1)))
  (func (export "set") (param i64) (table.set $t (local.get 0) (ref.null func))))"#;

fn call(
    store: &mut Store<()>,
    inst: &skiff::Instance,
    name: &str,
    args: &[Val],
) -> Result<Vec<Val>, TrapKind> {
    let f = inst.get_func(&*store, name).unwrap();
    let mut out = vec![Val::I32(0); f.ty(&*store).results().len()];
    f.call(&mut *store, args, &mut out).map_err(|t| t.kind())?;
    Ok(out)
}

fn instantiate(engine: &Engine, wat: &str) -> (Store<()>, skiff::Instance) {
    let module = Module::new(engine, wat.as_bytes()).unwrap();
    let mut store = Store::new(engine, ());
    let inst = Linker::new().instantiate(&mut store, &module).unwrap();
    (store, inst)
}

#[test]
fn sixty_four_bit_memories_address_check_and_grow_with_i64() {
    let oob = Err(TrapKind::MemoryOutOfBounds);
    for engine in engines() {
        let (mut s, inst) = instantiate(&engine, MEMORIES);
        let s = &mut s;
        assert_eq!(
            call(s, &inst, "load", &[Val::I64(0x100)]),
            Ok(vec![Val::I32(0x04030201)])
        );
        // The last four bytes, then one past them.
        assert_eq!(
            call(s, &inst, "load", &[Val::I64(65532)]),
            Ok(vec![Val::I32(0)])
        );
        assert_eq!(call(s, &inst, "load", &[Val::I64(65533)]), oob);
        // Addresses at and past 2^32 are out of bounds, not wrapped.
        assert_eq!(call(s, &inst, "load", &[Val::I64(0x1_0000_0100)]), oob);
        assert_eq!(call(s, &inst, "load_far", &[Val::I64(0)]), oob);
        // Address plus offset overflows 64 bits.
        assert_eq!(call(s, &inst, "load_past_top", &[Val::I64(-4)]), oob);
        assert_eq!(
            call(s, &inst, "store", &[Val::I64(8), Val::I64(-2)]),
            Ok(vec![])
        );
        assert_eq!(
            call(s, &inst, "load64", &[Val::I64(8)]),
            Ok(vec![Val::I64(-2)])
        );
        assert_eq!(
            call(s, &inst, "v128", &[Val::I64(2)]),
            Ok(vec![Val::I64(-2)])
        );
        assert_eq!(call(s, &inst, "v128", &[Val::I64(65521)]), oob);
        assert_eq!(call(s, &inst, "size", &[]), Ok(vec![Val::I64(1)]));
        assert_eq!(
            call(s, &inst, "grow", &[Val::I64(2)]),
            Ok(vec![Val::I64(1)])
        );
        assert_eq!(
            call(s, &inst, "grow", &[Val::I64(1)]),
            Ok(vec![Val::I64(-1)])
        );
        assert_eq!(
            call(s, &inst, "grow", &[Val::I64(1 << 40)]),
            Ok(vec![Val::I64(-1)])
        );
        assert_eq!(call(s, &inst, "size", &[]), Ok(vec![Val::I64(3)]));
        assert_eq!(
            call(s, &inst, "load", &[Val::I64(3 * 65536 - 4)]),
            Ok(vec![Val::I32(0)])
        );
        // Bulk operations take i64 addresses and lengths.
        let fill = [Val::I64(0x200), Val::I32(0x7f), Val::I64(4)];
        assert_eq!(call(s, &inst, "fill", &fill), Ok(vec![]));
        assert_eq!(
            call(s, &inst, "load", &[Val::I64(0x200)]),
            Ok(vec![Val::I32(0x7f7f7f7f)])
        );
        let too_long = [Val::I64(0x200), Val::I32(0), Val::I64(1 << 33)];
        assert_eq!(call(s, &inst, "fill", &too_long), oob);
        // From the 64-bit memory to the 32-bit one: an i32 length.
        let copy = [Val::I32(16), Val::I64(0x100), Val::I32(4)];
        assert_eq!(call(s, &inst, "to32", &copy), Ok(vec![]));
        assert_eq!(
            call(s, &inst, "load32", &[Val::I32(16)]),
            Ok(vec![Val::I32(0x04030201)])
        );
        let far = [Val::I32(16), Val::I64(0x1_0000_0100), Val::I32(4)];
        assert_eq!(call(s, &inst, "to32", &far), oob);
    }
}

#[test]
fn sixty_four_bit_tables_index_with_i64_and_never_wrap() {
    for engine in engines() {
        let (mut s, inst) = instantiate(&engine, TABLES);
        let s = &mut s;
        assert_eq!(
            call(s, &inst, "call", &[Val::I64(2)]),
            Ok(vec![Val::I32(2)])
        );
        assert_eq!(
            call(s, &inst, "call", &[Val::I64(0)]),
            Err(TrapKind::UninitializedElement)
        );
        assert_eq!(
            call(s, &inst, "call", &[Val::I64(0x1_0000_0001)]),
            Err(TrapKind::UndefinedElement)
        );
        assert_eq!(
            call(s, &inst, "is_null", &[Val::I64(1)]),
            Ok(vec![Val::I32(0)])
        );
        assert_eq!(
            call(s, &inst, "is_null", &[Val::I64(0x1_0000_0001)]),
            Err(TrapKind::TableOutOfBounds)
        );
        assert_eq!(call(s, &inst, "size", &[]), Ok(vec![Val::I64(4)]));
        assert_eq!(
            call(s, &inst, "grow", &[Val::I64(2)]),
            Ok(vec![Val::I64(4)])
        );
        assert_eq!(
            call(s, &inst, "grow", &[Val::I64(5)]),
            Ok(vec![Val::I64(-1)])
        );
        assert_eq!(
            call(s, &inst, "grow", &[Val::I64(1 << 33)]),
            Ok(vec![Val::I64(-1)])
        );
        assert_eq!(call(s, &inst, "size", &[]), Ok(vec![Val::I64(6)]));
        let copy = [Val::I64(4), Val::I64(1), Val::I64(2)];
        assert_eq!(call(s, &inst, "copy", &copy), Ok(vec![]));
        assert_eq!(
            call(s, &inst, "call", &[Val::I64(4)]),
            Ok(vec![Val::I32(1)])
        );
        let too_far = [Val::I64(0x1_0000_0000), Val::I64(1), Val::I64(1)];
        assert_eq!(
            call(s, &inst, "copy", &too_far),
            Err(TrapKind::TableOutOfBounds)
        );
        assert_eq!(
            call(s, &inst, "fill", &[Val::I64(0), Val::I64(1)]),
            Ok(vec![])
        );
        assert_eq!(
            call(s, &inst, "call", &[Val::I64(0)]),
            Ok(vec![Val::I32(2)])
        );
        assert_eq!(call(s, &inst, "set", &[Val::I64(0)]), Ok(vec![]));
        assert_eq!(
            call(s, &inst, "is_null", &[Val::I64(0)]),
            Ok(vec![Val::I32(1)])
        );
        assert_eq!(
            call(s, &inst, "set", &[Val::I64(-1)]),
            Err(TrapKind::TableOutOfBounds)
        );
    }
}

#[test]
fn webassembly_2_refuses_a_64_bit_memory() {
    let mut config = Config::new();
    config
        .strategy(EngineKind::Interp)
        .features(Features::WASM2);
    let engine = Engine::with_config(&config).unwrap();
    let err = Module::new(&engine, "(module (memory i64 1))".as_bytes()).unwrap_err();
    assert!(err.to_string().contains("memory64"), "{err}");
}
