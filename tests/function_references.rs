//! Typed function references: the script of `tests/wast` on every engine,
//! and the embedding API holding typed slots to their types, so that a
//! `call_ref` never reaches a function of another type or a null.

mod common;

use common::{call, engines};
use skiff::{
    AddrType, Engine, EngineKind, Features, Func, FuncType, HeapType, Limits, Linker, Module,
    RefType, Store, Table, TableType, Trap, TrapKind, TypeId, Val, ValType,
};

#[test]
fn the_script_passes_on_every_engine() {
    let text = include_str!("wast/function_references.wast");
    common::script_passes_everywhere("function_references.wast", text, 34);
}

/// `(func (param i32) (result i32))`, which the module's `$ii` is.
fn ii() -> FuncType {
    FuncType::new([ValType::I32], [ValType::I32])
}

/// A reference to a function of type `ii`, nullable or not.
fn ref_ii(nullable: bool) -> ValType {
    ValType::Ref(RefType::new(
        nullable,
        HeapType::Concrete(TypeId::of(&ii())),
    ))
}

/// Calls what it is given, of type `$ii`; `apply_null` takes a nullable one.
const APPLY: &str = r#"(module
  (type $ii (func (param i32) (result i32)))
  (import "host" "make" (func $make (result (ref $ii))))
  (func (export "apply") (param (ref $ii) i32) (result i32)
    (call_ref $ii (local.get 1) (local.get 0)))
  (func (export "apply_null") (param (ref null $ii) i32) (result i32)
    (call_ref $ii (local.get 1) (local.get 0)))
  (func (export "made") (param i32) (result i32)
    (call_ref $ii (local.get 0) (call $make))))"#;

#[test]
fn typed_slots_refuse_what_is_not_of_their_type() {
    for engine in engines() {
        let mut store = Store::new(&engine, ());
        let double = Func::wrap(&mut store, |x: i32| x * 2);
        let other = Func::wrap(&mut store, |x: i64| x);
        // The host's `make` returns `double`, or what the test sets.
        let made = std::sync::Arc::new(std::sync::Mutex::new(Val::FuncRef(Some(double))));
        let made2 = made.clone();
        let make = Func::new(
            &mut store,
            FuncType::new([], [ref_ii(false)]),
            move |_, _, results| {
                results[0] = *made2.lock().unwrap();
                Ok(())
            },
        );
        let mut linker = Linker::new();
        linker.define("host", "make", make);
        let module = Module::new(&engine, APPLY.as_bytes()).unwrap();
        let instance = linker.instantiate(&mut store, &module).unwrap();

        let apply = |store: &mut Store<()>, f: Val, name: &str| {
            call(store, &instance, name, &[f, Val::I32(21)]).map(|r| r[0])
        };
        assert_eq!(
            apply(&mut store, Val::FuncRef(Some(double)), "apply").unwrap(),
            Val::I32(42)
        );
        // Another type, or null where null is not a value: refused before
        // the call.
        let err = apply(&mut store, Val::FuncRef(Some(other)), "apply").unwrap_err();
        assert_eq!(err.kind(), TrapKind::Host, "{err}");
        let err = apply(&mut store, Val::FuncRef(None), "apply").unwrap_err();
        assert_eq!(err.kind(), TrapKind::Host, "{err}");
        // Null where it is a value: the call traps.
        let err = apply(&mut store, Val::FuncRef(None), "apply_null").unwrap_err();
        assert_eq!(err.kind(), TrapKind::NullReference, "{err}");

        // A host function's result is held to its type too.
        assert_eq!(
            call(&mut store, &instance, "made", &[Val::I32(5)]).unwrap(),
            [Val::I32(10)]
        );
        *made.lock().unwrap() = Val::FuncRef(Some(other));
        let err = call(&mut store, &instance, "made", &[Val::I32(5)]).unwrap_err();
        assert_eq!(err.kind(), TrapKind::Host, "{err}");
        assert!(err.to_string().contains("do not match its type"), "{err}");
        *made.lock().unwrap() = Val::FuncRef(None);
        let err = call(&mut store, &instance, "made", &[Val::I32(5)]).unwrap_err();
        assert_eq!(err.kind(), TrapKind::Host, "{err}");
    }
}

#[test]
fn a_table_of_non_nullable_references_needs_a_function_of_its_type() {
    let engine = Engine::new(EngineKind::Interp).unwrap();
    let mut store = Store::new(&engine, ());
    let double = Func::wrap(&mut store, |x: i32| x * 2);
    let other = Func::wrap(&mut store, |x: i64| x);
    let ty = TableType {
        elem: RefType::new(false, HeapType::Concrete(TypeId::of(&ii()))),
        limits: Limits { min: 2, max: None },
        addr: AddrType::I32,
    };
    let err = Table::new(&mut store, ty, Val::FuncRef(None)).unwrap_err();
    assert!(
        err.to_string().contains("cannot be stored in a table of"),
        "{err}"
    );
    assert!(Table::new(&mut store, ty, Val::FuncRef(Some(other))).is_err());
    let table = Table::new(&mut store, ty, Val::FuncRef(Some(double))).unwrap();
    assert_eq!(table.get(&store, 1), Some(Val::FuncRef(Some(double))));
    assert!(table.set(&mut store, 0, Val::FuncRef(None)).is_err());
    assert!(table.set(&mut store, 0, Val::FuncRef(Some(other))).is_err());
    assert!(table.grow(&mut store, 1, Val::FuncRef(None)).is_err());
    assert_eq!(
        table
            .grow(&mut store, 1, Val::FuncRef(Some(double)))
            .unwrap(),
        2
    );
}

#[test]
fn webassembly_2_refuses_typed_references() {
    let engine = Engine::new(EngineKind::Interp).unwrap();
    let mut config = skiff::Config::new();
    config
        .strategy(EngineKind::Interp)
        .features(Features::WASM2);
    let wasm2 = Engine::with_config(&config).unwrap();
    let text =
        r#"(module (type $k (func)) (func (param (ref null $k)) (call_ref $k (local.get 0))))"#;
    assert!(Module::new(&engine, text.as_bytes()).is_ok());
    let err = Module::new(&wasm2, text.as_bytes()).unwrap_err();
    assert!(
        err.to_string().contains("not part of WebAssembly 2.0"),
        "{err}"
    );
}

#[test]
fn a_trap_in_a_call_ref_is_a_value() {
    for engine in engines() {
        let mut store = Store::new(&engine, ());
        let text = r#"(module
          (type $k (func (result i32)))
          (func (export "f") (result i32) (call_ref $k (ref.null $k))))"#;
        let module = Module::new(&engine, text.as_bytes()).unwrap();
        let instance = Linker::new().instantiate(&mut store, &module).unwrap();
        let err: Trap = call(&mut store, &instance, "f", &[]).unwrap_err();
        assert_eq!(err.kind(), TrapKind::NullReference);
    }
}

/// Two instances that tail-call each other through references in a table
/// they share, `run` starting the count in the first.
const PING: &str = r#"(module
  (type $step (func (param i64) (result i64)))
  (table $t (export "t") 2 (ref null $step))
  (func $p (export "p") (type $step)
    (if (result i64) (i64.eqz (local.get 0))
      (then (i64.const 42))
      (else
        (return_call_ref $step
          (i64.sub (local.get 0) (i64.const 1))
          (table.get $t (i32.const 1))))))
  (elem (table $t) (i32.const 0) (ref null $step) (ref.func $p)))"#;
const PONG: &str = r#"(module
  (type $step (func (param i64) (result i64)))
  (import "ping" "t" (table $t 2 (ref null $step)))
  (import "ping" "p" (func $p (type $step)))
  (func $q (type $step)
    (return_call_ref $step (local.get 0) (table.get $t (i32.const 0))))
  (func (export "run") (param i64) (result i64) (call $p (local.get 0)))
  (elem (table $t) (i32.const 1) (ref null $step) (ref.func $q)))"#;

/// A million tail calls back and forth between two instances run in
/// constant stack on each tier, and on the tiered engine once both modules
/// run compiled code. (While one is compiled and the other not, each call
/// from one tier to the other nests: see the README.)
#[test]
fn tail_calls_through_references_between_instances_do_not_grow_the_stack() {
    let mut all = engines();
    let mut config = skiff::Config::new();
    config.strategy(EngineKind::Auto).eager_compile_below(0);
    all.push(Engine::with_config(&config).unwrap());
    for engine in all {
        let mut store = Store::new(&engine, ());
        let ping = Module::new(&engine, PING.as_bytes()).unwrap();
        let pong = Module::new(&engine, PONG.as_bytes()).unwrap();
        if engine.kind() == EngineKind::Auto {
            assert!(ping.wait_for_compiled_code() && pong.wait_for_compiled_code());
        }
        let mut linker = Linker::new();
        let first = linker.instantiate(&mut store, &ping).unwrap();
        linker.instance(&store, "ping", first);
        let second = linker.instantiate(&mut store, &pong).unwrap();
        assert_eq!(
            call(&mut store, &second, "run", &[Val::I64(1_000_000)]).unwrap(),
            [Val::I64(42)],
            "{:?}",
            engine.kind()
        );
    }
}
