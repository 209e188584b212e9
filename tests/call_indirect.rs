//! `call_indirect` reaches every kind of callee the same way on every tier:
//! a function of the same module, of another instance, of a module compiled
//! with another calling convention (tail calls), and a host function;
//! results, traps with their backtraces, and fuel agree.

mod common;

use common::kinds;
use skiff::{Config, Engine, EngineKind, Linker, Module, Store, TrapKind};

/// Exports a table holding its own `$inc` and `$boom`, and the imported
/// host function `host.triple`.
const CALLEE: &str = r#"(module
  (import "host" "triple" (func $triple (param i32) (result i32)))
  (table (export "t") 4 funcref)
  (elem (i32.const 0) $inc $boom $triple)
  (func $inc (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (func $boom (param i32) (result i32) (i32.div_u (i32.const 1) (i32.sub (local.get 0) (local.get 0)))))"#;

/// Calls through the callee's table and through its own, whose slot 1 holds
/// `$twice`; `$tail` only makes this module use the tail calling convention
/// when `TAIL` is substituted by a `return_call`.
const CALLER: &str = r#"(module
  (import "callee" "t" (table $other 4 funcref))
  (type $u (func (param i32) (result i32)))
  (table $own 2 funcref)
  (elem (table $own) (i32.const 0) func $twice $sum)
  (func $twice (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2)))
  ;; sum(n) = sum over i < n of other[i % 3](i), plus own[0](n)
  (func $sum (export "sum") (param $n i32) (result i32) (local $i i32) (local $acc i32)
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $acc (i32.add (local.get $acc)
        (call_indirect $other (type $u) (local.get $i)
          (select (i32.const 2) (i32.const 0) (i32.eqz (i32.rem_u (local.get $i) (i32.const 3)))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (i32.add (local.get $acc) (call_indirect $own (type $u) (local.get $n) (i32.const 0))))
  (func (export "boom") (param i32) (result i32)
    (call_indirect $other (type $u) (local.get 0) (i32.const 1)))
  (func (export "self") (param i32) (result i32)
    (call_indirect $own (type $u) (local.get 0) (i32.const 1)))
  (func $tail (param i32) (result i32) TAIL))"#;

#[derive(Debug, PartialEq)]
struct Outcome {
    sum: i32,
    fuel: u64,
    boom: (TrapKind, Vec<u32>),
}

fn run(kind: EngineKind, tail: bool) -> Outcome {
    let engine = Engine::with_config(Config::new().strategy(kind).consume_fuel(true)).unwrap();
    let mut store = Store::new(&engine, ());
    store.set_fuel(1 << 40).unwrap();
    let mut linker = Linker::new();
    linker.func_wrap("host", "triple", |x: i32| x * 3);
    let callee = Module::new(&engine, CALLEE.as_bytes()).unwrap();
    let callee = linker.instantiate(&mut store, &callee).unwrap();
    linker.instance(&store, "callee", callee);
    let body = if tail {
        "(return_call $twice (local.get 0))"
    } else {
        "(call $twice (local.get 0))"
    };
    let caller = Module::new(&engine, CALLER.replace("TAIL", body).as_bytes()).unwrap();
    let caller = linker.instantiate(&mut store, &caller).unwrap();
    let sum = caller
        .get_typed_func::<i32, i32>(&store, "sum")
        .unwrap()
        .call(&mut store, 1000)
        .unwrap();
    let this = caller
        .get_typed_func::<i32, i32>(&store, "self")
        .unwrap()
        .call(&mut store, 7);
    let fuel = (1 << 40) - store.get_fuel().unwrap();
    let trap = caller
        .get_typed_func::<i32, i32>(&store, "boom")
        .unwrap()
        .call(&mut store, 5)
        .unwrap_err();
    // `self` calls `sum` through its own table: 0..7 through the callee.
    let expected_self = (0..7)
        .map(|i| if i % 3 == 0 { i * 3 } else { i + 1 })
        .sum::<i32>()
        + 14;
    assert_eq!(this.unwrap(), expected_self, "{kind}");
    Outcome {
        sum,
        fuel,
        boom: (
            trap.kind(),
            trap.backtrace().iter().map(|f| f.func).collect(),
        ),
    }
}

#[test]
fn every_kind_of_callee_agrees_across_tiers() {
    let expected = (0..1000)
        .map(|i| if i % 3 == 0 { i * 3 } else { i + 1 })
        .sum::<i32>()
        + 2000;
    for tail in [false, true] {
        let mut all = kinds();
        if all.contains(&EngineKind::Jit) {
            all.push(EngineKind::Auto);
        }
        let outcomes: Vec<_> = all.into_iter().map(|k| (k, run(k, tail))).collect();
        for (kind, o) in &outcomes {
            assert_eq!(o.sum, expected, "{kind} tail={tail}");
            assert_eq!(o.boom.0, TrapKind::IntegerDivisionByZero, "{kind}");
            // The callee's `$boom` (function 2 of its module, after the
            // import), then the caller's `boom` (its function 2).
            assert_eq!(o.boom.1, vec![2, 2], "{kind}");
        }
        assert!(
            outcomes.windows(2).all(|w| w[0].1 == w[1].1),
            "tail={tail}: {outcomes:?}"
        );
    }
}

/// Calls slot 0 of a table, changes the slot in every way there is, and
/// calls it again after each change.
const CHANGING: &str = r#"(module
  (type $u (func (result i32)))
  (table $t (export "t") 2 10 funcref)
  (elem (table $t) (i32.const 0) func $one $two)
  (elem $later func $three)
  (func $one (result i32) (i32.const 1))
  (func $two (result i32) (i32.const 2))
  (func $three (result i32) (i32.const 3))
  (func $call (export "call") (param i32) (result i32)
    (call_indirect $t (type $u) (local.get 0)))
  (func (export "changes") (result i64) (local $acc i64)
    (local.set $acc (i64.extend_i32_u (call $call (i32.const 0))))
    ;; table.set
    (table.set $t (i32.const 0) (ref.func $two))
    (local.set $acc (i64.add (i64.mul (local.get $acc) (i64.const 10)) (i64.extend_i32_u (call $call (i32.const 0)))))
    ;; table.init
    (table.init $t $later (i32.const 0) (i32.const 0) (i32.const 1))
    (local.set $acc (i64.add (i64.mul (local.get $acc) (i64.const 10)) (i64.extend_i32_u (call $call (i32.const 0)))))
    ;; table.fill
    (table.fill $t (i32.const 0) (ref.func $one) (i32.const 1))
    (local.set $acc (i64.add (i64.mul (local.get $acc) (i64.const 10)) (i64.extend_i32_u (call $call (i32.const 0)))))
    ;; table.copy from slot 1 ($two)
    (table.copy $t $t (i32.const 0) (i32.const 1) (i32.const 1))
    (local.set $acc (i64.add (i64.mul (local.get $acc) (i64.const 10)) (i64.extend_i32_u (call $call (i32.const 0)))))
    ;; table.grow: the new slot holds $three
    (drop (table.grow $t (ref.func $three) (i32.const 1)))
    (local.set $acc (i64.add (i64.mul (local.get $acc) (i64.const 10)) (i64.extend_i32_u (call $call (i32.const 2)))))
    (local.get $acc)))"#;

#[test]
fn a_changed_table_element_is_called_as_it_is_now() {
    let mut all = kinds();
    if all.contains(&EngineKind::Jit) {
        all.push(EngineKind::Auto);
    }
    for kind in all {
        let engine = Engine::new(kind).unwrap();
        let mut store = Store::new(&engine, ());
        let module = Module::new(&engine, CHANGING.as_bytes()).unwrap();
        let instance = Linker::new().instantiate(&mut store, &module).unwrap();
        let call = instance.get_typed_func::<i32, i32>(&store, "call").unwrap();
        // Called twice, so that compiled code has the target at hand.
        assert_eq!(call.call(&mut store, 0).unwrap(), 1, "{kind}");
        assert_eq!(call.call(&mut store, 0).unwrap(), 1, "{kind}");
        let changes = instance
            .get_typed_func::<(), i64>(&store, "changes")
            .unwrap();
        assert_eq!(changes.call(&mut store, ()).unwrap(), 123_123, "{kind}");
        // The host sets slot 0 to `$three` (slot 2's function now).
        let table = instance.get_table(&store, "t").unwrap();
        let three = table.get(&store, 2).unwrap();
        table.set(&mut store, 0, three).unwrap();
        assert_eq!(call.call(&mut store, 0).unwrap(), 3, "{kind}");
        // A null element traps, even where a target was found before.
        table.set(&mut store, 0, skiff::Val::FuncRef(None)).unwrap();
        let trap = call.call(&mut store, 0).unwrap_err();
        assert_eq!(trap.kind(), TrapKind::UninitializedElement, "{kind}");
    }
}
