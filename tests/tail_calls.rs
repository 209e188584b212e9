//! Tail calls on both tiers: `return_call` and `return_call_indirect` do not
//! grow the stack, within a module, between instances and through a table,
//! and a tail call of a host function returns its results.

mod common;

use common::{ENGINES, engines, skiff, text};
use skiff::{Caller, Engine, Linker, Module, Store, Trap, TrapKind, Val};

/// Counts down through the table it imports from `MAIN`, whose element 0 is
/// this `down`: `MAIN`'s `across` tail-calls into this instance, which then
/// tail-calls itself through the other instance's table.
const PEER: &str = r#"(module
  (type $down (func (param i64 i64) (result i64)))
  (import "main" "table" (table 2 funcref))
  (func $down (export "down") (param $n i64) (param $acc i64) (result i64)
    (if (result i64) (i64.eqz (local.get $n))
      (then (local.get $acc))
      (else (return_call_indirect (type $down)
        (i64.sub (local.get $n) (i64.const 1))
        (i64.add (local.get $acc) (i64.const 2))
        (i32.const 0))))))"#;

const MAIN: &str = r#"(module
  (type $down (func (param i64 i64) (result i64)))
  (import "host" "add" (func $add (param i64 i64) (result i64)))
  (table (export "table") 2 funcref)
  (func $even (export "even") (param $n i64) (result i32)
    (if (result i32) (i64.eqz (local.get $n))
      (then (i32.const 1))
      (else (return_call $odd (i64.sub (local.get $n) (i64.const 1))))))
  (func $odd (param $n i64) (result i32)
    (if (result i32) (i64.eqz (local.get $n))
      (then (i32.const 0))
      (else (return_call $even (i64.sub (local.get $n) (i64.const 1))))))
  ;; Counts down through its own table.
  (func $loop (export "loop") (param $n i64) (param $acc i64) (result i64)
    (if (result i64) (i64.eqz (local.get $n))
      (then (local.get $acc))
      (else (return_call_indirect (type $down)
        (i64.sub (local.get $n) (i64.const 1))
        (i64.add (local.get $acc) (i64.const 1))
        (i32.const 1)))))
  ;; Hands its result to the other instance's `down` via element 0.
  (func (export "across") (param $n i64) (result i64)
    (return_call_indirect (type $down) (local.get $n) (i64.const 0) (i32.const 0)))
  (func (export "host") (param i64) (result i64)
    (return_call $add (local.get 0) (i64.const 1)))
  (func (export "bad") (result i64)
    (return_call_indirect (type $down) (i64.const 1) (i64.const 1) (i32.const 5)))
  (elem (i32.const 1) $loop))"#;

fn setup(engine: &Engine) -> (Store<()>, skiff::Instance) {
    let mut store = Store::new(engine, ());
    let mut linker = Linker::new();
    linker.func_wrap(
        "host",
        "add",
        |_: Caller<'_, ()>, a: i64, b: i64| -> Result<i64, Trap> { Ok(a + b) },
    );
    let main = linker
        .instantiate(&mut store, &Module::new(engine, MAIN.as_bytes()).unwrap())
        .unwrap();
    linker.instance(&store, "main", main);
    let peer = linker
        .instantiate(&mut store, &Module::new(engine, PEER.as_bytes()).unwrap())
        .unwrap();
    // Element 0 of main's table: the peer's `down`.
    let down = peer.get_func(&store, "down").unwrap();
    let table = main.get_table(&store, "table").unwrap();
    table.set(&mut store, 0, Val::FuncRef(Some(down))).unwrap();
    (store, main)
}

#[test]
fn ten_million_tail_calls_run_in_constant_stack() {
    for engine in engines() {
        let kind = engine.kind();
        let (mut store, main) = setup(&engine);
        let even = main.get_typed_func::<i64, i32>(&store, "even").unwrap();
        assert_eq!(even.call(&mut store, 10_000_000).unwrap(), 1, "{kind}");
        assert_eq!(even.call(&mut store, 9_999_999).unwrap(), 0, "{kind}");
        let looped = main
            .get_typed_func::<(i64, i64), i64>(&store, "loop")
            .unwrap();
        assert_eq!(
            looped.call(&mut store, (1_000_000, 5)).unwrap(),
            1_000_005,
            "{kind}"
        );
    }
}

#[test]
fn tail_calls_cross_instances_and_reach_the_host() {
    for engine in engines() {
        let kind = engine.kind();
        let (mut store, main) = setup(&engine);
        // main's `across` enters the peer, which tail-calls itself through
        // main's table a million times.
        let across = main.get_typed_func::<i64, i64>(&store, "across").unwrap();
        assert_eq!(
            across.call(&mut store, 1_000_000).unwrap(),
            2_000_000,
            "{kind}"
        );
        let host = main.get_typed_func::<i64, i64>(&store, "host").unwrap();
        assert_eq!(host.call(&mut store, 41).unwrap(), 42, "{kind}");
        // The element's checks still trap.
        let bad = main.get_typed_func::<(), i64>(&store, "bad").unwrap();
        let trap = bad.call(&mut store, ()).unwrap_err();
        assert_eq!(trap.kind(), TrapKind::UndefinedElement, "{kind}");
    }
}

/// `tests/programs/tailcall.c`, built with clang's `-mtail-call`: handlers
/// that `musttail`-call each other through a table and a mutual recursion,
/// ten million calls deep, print what the native build prints.
#[test]
fn a_c_program_of_musttail_handlers_runs_as_natively() {
    let expected = std::fs::read_to_string("tests/programs/tailcall.expected").unwrap();
    for engine in ENGINES {
        let out = skiff(&["run", "--engine", engine, "tests/programs/tailcall.wasm"]);
        assert!(out.status.success(), "{engine}: {}", text(&out.stderr));
        assert_eq!(text(&out.stdout), expected, "{engine}");
    }
}
