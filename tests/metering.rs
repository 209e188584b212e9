//! Bounding guests: fuel counts the same on both tiers and stops a runaway
//! loop; an epoch advanced by another thread interrupts it; the command
//! line's `--fuel` and `--timeout` stop an endless guest.

mod common;

use common::kinds;

use skiff::{Caller, Config, Engine, EngineKind, Linker, Module, Store, Trap, TrapKind, Val};
use std::process::Command;
use std::time::{Duration, Instant};

fn engine(kind: EngineKind, fuel: bool, epochs: bool) -> Engine {
    Engine::with_config(
        Config::new()
            .strategy(kind)
            .consume_fuel(fuel)
            .epoch_interruption(epochs),
    )
    .unwrap()
}

const PROGRAM: &str = r#"(module
  (import "host" "back" (func $back (param i32) (result i32)))
  (func $fib (export "fib") (param i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
      (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
  (func (export "sum") (param $n i32) (result i32) (local $acc i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $acc (i32.add (local.get $acc) (local.get $n)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $acc))
  (func (export "via_host") (param i32) (result i32) (call $back (local.get 0)))
  (func (export "two") (result i32) (i32.const 2))
  ;; The loop's condition is a run of its own (the `if` ends before it),
  ;; reached from the then-arm and by the `if`'s false branch.
  (func (export "odd") (param $n i32) (result i32) (local $i i32) (local $x i32)
    (loop $l
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (if (i32.and (local.get $i) (i32.const 1))
        (then (local.set $x (i32.add (local.get $x) (i32.const 1)))))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $x))
  (func (export "spin") (loop $l (br $l)))
  (memory 1)
  (type $unary (func (param i32) (result i32)))
  (table funcref (elem $sink))
  ;; Calls itself through the table, then loads out of bounds: a trap below
  ;; calls of both kinds.
  (func $sink (export "sink") (param i32) (result i32)
    (if (result i32) (local.get 0)
      (then (i32.add (i32.const 1)
        (call_indirect (type $unary) (i32.sub (local.get 0) (i32.const 1)) (i32.const 0))))
      (else (i32.load (i32.const 70000)))))
  (func (export "sink_direct") (param i32) (result i32)
    (i32.add (call $sink (local.get 0)) (call $sink (local.get 0))))
  (func $down (export "down") (param i32) (result i32)
    (if (result i32) (local.get 0)
      (then (call $down (i32.sub (local.get 0) (i32.const 1))))
      (else (i32.const 0)))))"#;

fn instantiate(engine: &Engine) -> (Store<()>, skiff::Instance) {
    let module = Module::new(engine, PROGRAM.as_bytes()).unwrap();
    let mut linker = Linker::new();
    // Calls the guest's `fib` back: fuel spent below a host call counts too.
    linker.func_wrap(
        "host",
        "back",
        |mut caller: Caller<'_, ()>, n: i32| -> Result<i32, Trap> {
            let fib = caller.get_export("fib").unwrap().into_func().unwrap();
            fib.typed::<i32, i32>(&caller)?.call(&mut caller, n)
        },
    );
    let mut store = Store::new(engine, ());
    let instance = linker.instantiate(&mut store, &module).unwrap();
    (store, instance)
}

/// The fuel each export takes for an argument, on `kind`.
fn consumed(kind: EngineKind, export: &str, arg: Option<i32>) -> u64 {
    let (mut store, inst) = instantiate(&engine(kind, true, false));
    store.set_fuel(1_000_000_000).unwrap();
    let f = inst.get_func(&store, export).unwrap();
    let args: Vec<skiff::Val> = arg.into_iter().map(skiff::Val::I32).collect();
    let mut out = [skiff::Val::I32(0)];
    f.call(&mut store, &args, &mut out).unwrap();
    1_000_000_000 - store.get_fuel().unwrap()
}

#[test]
fn every_instruction_costs_one_unit_on_both_tiers() {
    for kind in kinds() {
        // `i32.const 2; end`: one run of two instructions.
        assert_eq!(consumed(kind, "two", None), 2, "{kind}");
        // `block` and `loop` are one run of two; a pass is the test
        // (`local.get`, `i32.eqz`, `br_if`: 3) and the body up to `br` (9);
        // the last test exits to the tail (`local.get`, `end`: 2).
        assert_eq!(consumed(kind, "sum", Some(0)), 2 + 3 + 2, "{kind}");
        assert_eq!(
            consumed(kind, "sum", Some(10)),
            2 + 10 * 12 + 3 + 2,
            "{kind}"
        );
        // `loop` (1); each pass the header up to `if` (8), the condition
        // (4), and on odd passes the then-arm with the `if`'s `end` (5);
        // then `end`, `local.get`, `end` (3).
        assert_eq!(
            consumed(kind, "odd", Some(10)),
            1 + 10 * (8 + 4) + 5 * 5 + 3,
            "{kind}"
        );
    }
    let per_tier: Vec<_> = kinds()
        .into_iter()
        .map(|k| {
            (
                consumed(k, "fib", Some(15)),
                consumed(k, "via_host", Some(12)),
            )
        })
        .collect();
    assert!(per_tier.windows(2).all(|w| w[0] == w[1]), "{per_tier:?}");
}

#[test]
fn running_out_of_fuel_traps_at_the_same_point_on_both_tiers() {
    let mut left = Vec::new();
    for kind in kinds() {
        let (mut store, inst) = instantiate(&engine(kind, true, false));
        store.set_fuel(10_000).unwrap();
        let spin = inst.get_typed_func::<(), ()>(&store, "spin").unwrap();
        let trap = spin.call(&mut store, ()).unwrap_err();
        assert_eq!(trap.kind(), TrapKind::OutOfFuel, "{kind}");
        left.push(store.get_fuel().unwrap());
        // The store goes on: refuelled, code runs again.
        store.set_fuel(100).unwrap();
        let two = inst.get_typed_func::<(), i32>(&store, "two").unwrap();
        assert_eq!(two.call(&mut store, ()).unwrap(), 2);
        let fib = inst.get_typed_func::<i32, i32>(&store, "fib").unwrap();
        store.set_fuel(50).unwrap();
        assert_eq!(
            fib.call(&mut store, 20).unwrap_err().kind(),
            TrapKind::OutOfFuel
        );
    }
    // Each pass (`br`) costs 1: the loop stops with nothing left.
    assert!(left.iter().all(|&l| l == 0), "{left:?}");
    assert!(left.windows(2).all(|w| w[0] == w[1]), "{left:?}");
}

#[test]
fn a_trap_below_calls_leaves_the_same_fuel_on_both_tiers() {
    let left: Vec<_> = kinds()
        .into_iter()
        .map(|kind| {
            let (mut store, inst) = instantiate(&engine(kind, true, false));
            let mut left = Vec::new();
            for export in ["sink", "sink_direct"] {
                store.set_fuel(1_000_000).unwrap();
                let f = inst.get_typed_func::<i32, i32>(&store, export).unwrap();
                let trap = f.call(&mut store, 5).unwrap_err();
                assert_eq!(trap.kind(), TrapKind::MemoryOutOfBounds, "{kind}");
                left.push(store.get_fuel().unwrap());
            }
            left
        })
        .collect();
    // Runs are charged whole on entry, and a call does not end one. Each of
    // the five indirect calls runs `local.get`, `if` (2), then the then-arm
    // up to `else`, past the call (8); the last runs `local.get`, `if` (2),
    // then `i32.const`, `i32.load`, `end` (3). `sink_direct`'s first run
    // holds both of its calls and its `end` (6).
    let sink = 5 * (2 + 8) + 2 + 3;
    assert_eq!(
        left[0],
        vec![1_000_000 - sink, 1_000_000 - sink - 6],
        "interp"
    );
    assert!(left.windows(2).all(|w| w[0] == w[1]), "{left:?}");
}

/// A pure function called first (its fuel comes back in a register on the
/// JIT, unsaved), then each kind of trap.
const TRAPS: &str = r#"(module
  (memory 1)
  (table 2 funcref)
  (type $v (func))
  (func $pure (param i32) (result i32)
    (i32.mul (i32.add (local.get 0) (i32.const 3)) (i32.const 7)))
  (func $lead (result i32)
    (i32.add (call $pure (i32.const 1)) (call $pure (i32.const 2))))
  (func (export "div") (result i32) (i32.div_u (call $lead) (i32.const 0)))
  (func (export "div_s") (result i32)
    (drop (call $lead)) (i32.div_s (i32.const 0x80000000) (i32.const -1)))
  (func (export "trunc") (result i32) (drop (call $lead)) (i32.trunc_f32_s (f32.const nan)))
  (func (export "unreachable") (result i32) (drop (call $lead)) (unreachable))
  (func (export "load") (result i32) (i32.load (i32.mul (call $lead) (i32.const 100000))))
  (func (export "store") (result i32)
    (i32.store (i32.const 65535) (call $lead)) (i32.const 0))
  (func (export "fill") (result i32)
    (memory.fill (call $lead) (i32.const 0) (i32.const 65536)) (i32.const 0))
  (func (export "null") (result i32)
    (call_indirect (type $v) (i32.and (call $lead) (i32.const 1))) (i32.const 0))
  (func (export "table") (result i32) (drop (table.get (call $lead))) (i32.const 0))
  (func (export "loop") (result i32)
    (loop $l (br_if $l (call $lead))) (i32.const 0)))"#;

#[test]
fn every_kind_of_trap_leaves_the_same_fuel_on_both_tiers() {
    let cases = [
        ("div", TrapKind::IntegerDivisionByZero),
        ("div_s", TrapKind::IntegerOverflow),
        ("trunc", TrapKind::InvalidConversionToInteger),
        ("unreachable", TrapKind::Unreachable),
        ("load", TrapKind::MemoryOutOfBounds),
        ("store", TrapKind::MemoryOutOfBounds),
        ("fill", TrapKind::MemoryOutOfBounds),
        ("null", TrapKind::UninitializedElement),
        ("table", TrapKind::TableOutOfBounds),
        ("loop", TrapKind::OutOfFuel),
    ];
    let left: Vec<Vec<u64>> = kinds()
        .into_iter()
        .map(|kind| {
            let engine = engine(kind, true, false);
            let module = Module::new(&engine, TRAPS.as_bytes()).unwrap();
            let mut store = Store::new(&engine, ());
            let inst = Linker::new().instantiate(&mut store, &module).unwrap();
            cases
                .iter()
                .map(|&(export, expected)| {
                    store.set_fuel(1_000).unwrap();
                    let f = inst.get_typed_func::<(), i32>(&store, export).unwrap();
                    let result = f.call(&mut store, ());
                    let trap = result.expect_err(&format!("{kind} {export} traps"));
                    assert_eq!(trap.kind(), expected, "{kind} {export}");
                    store.get_fuel().unwrap()
                })
                .collect()
        })
        .collect();
    // `$pure` is one run of 6, `$lead` one of 6 around two calls of it: 18
    // before the trapping run's own instructions (`div`'s: 4).
    let lead = 6 + 2 * 6;
    assert_eq!(left[0][0], 1_000 - lead - 4, "interp, div");
    // An iteration of the loop spends 2 + 18 and it stops with less left.
    assert!(left[0][9] < 2 + lead, "interp, loop: {}", left[0][9]);
    assert!(left.windows(2).all(|w| w[0] == w[1]), "{left:?}");
}

#[test]
fn fuel_is_checked_at_function_entries_and_loop_headers() {
    const WAT: &str = r#"(module
      (func (export "straight") (param i32) (result i32)
        (if (result i32) (local.get 0)
          (then (i32.add (i32.add (i32.const 1) (i32.const 2))
                         (i32.add (i32.const 3) (i32.const 4))))
          (else (i32.const 0))))
      (func (export "looping") (result i32)
        (loop $l (br $l)) (i32.const 0)))"#;
    for kind in kinds() {
        let engine = engine(kind, true, false);
        let module = Module::new(&engine, WAT.as_bytes()).unwrap();
        let mut store = Store::new(&engine, ());
        let inst = Linker::new().instantiate(&mut store, &module).unwrap();
        let straight = inst.get_typed_func::<i32, i32>(&store, "straight").unwrap();
        // The entry run (`local.get`, `if`: 2) is checked; the then-arm (8)
        // is taken unchecked: the call completes, overdrawing the fuel.
        store.set_fuel(5).unwrap();
        assert_eq!(straight.call(&mut store, 1).unwrap(), 10, "{kind}");
        assert_eq!(store.get_fuel().unwrap(), 0, "{kind}");
        // The next entry finds less than it needs: it traps, taking nothing.
        let trap = straight.call(&mut store, 1).unwrap_err();
        assert_eq!(trap.kind(), TrapKind::OutOfFuel, "{kind}");
        store.set_fuel(1).unwrap();
        assert_eq!(
            straight.call(&mut store, 1).unwrap_err().kind(),
            TrapKind::OutOfFuel,
            "{kind}"
        );
        assert_eq!(store.get_fuel().unwrap(), 1, "{kind}");
        // A loop stops at its header.
        store.set_fuel(1_000).unwrap();
        let looping = inst.get_typed_func::<(), i32>(&store, "looping").unwrap();
        assert_eq!(
            looping.call(&mut store, ()).unwrap_err().kind(),
            TrapKind::OutOfFuel,
            "{kind}"
        );
        assert_eq!(store.get_fuel().unwrap(), 0, "{kind}");
    }
}

#[test]
fn fuel_needs_an_engine_that_meters_it() {
    let (mut store, _) = instantiate(&engine(EngineKind::Interp, false, false));
    assert!(store.set_fuel(10).is_err());
    assert!(store.get_fuel().is_err());
}

#[test]
fn another_thread_interrupts_a_runaway_loop_and_recursion() {
    for kind in kinds() {
        let engine = engine(kind, false, true);
        let (mut store, inst) = instantiate(&engine);
        let spin = inst.get_typed_func::<(), ()>(&store, "spin").unwrap();
        // No deadline set: the loop would run forever; a deadline one tick
        // away stops it when another thread advances the epoch.
        store.set_epoch_deadline(1);
        let ticker = {
            let engine = engine.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(50));
                engine.increment_epoch();
            })
        };
        let trap = spin.call(&mut store, ()).unwrap_err();
        assert_eq!(trap.kind(), TrapKind::Interrupted, "{kind}");
        ticker.join().unwrap();
        // The deadline has passed: recursion without loops is caught at
        // function entries.
        let down = inst.get_typed_func::<i32, i32>(&store, "down").unwrap();
        assert_eq!(
            down.call(&mut store, 1000).unwrap_err().kind(),
            TrapKind::Interrupted
        );
        store.set_epoch_deadline(1);
        assert_eq!(down.call(&mut store, 1000).unwrap(), 0, "{kind}");
    }
}

#[test]
fn an_interrupted_loop_stops_within_a_bounded_number_of_passes() {
    // The fifth pass advances the epoch past the deadline. The interpreter
    // checks every loop header, so it stops at the next; the JIT checks on
    // every 1000th pass of a frame.
    const COUNT: &str = r#"(module
      (import "host" "tick" (func $tick (param i32)))
      (global $passes (export "passes") (mut i32) (i32.const 0))
      (func (export "count")
        (loop $l
          (global.set $passes (i32.add (global.get $passes) (i32.const 1)))
          (call $tick (global.get $passes))
          (br $l))))"#;
    for kind in kinds() {
        let engine = engine(kind, false, true);
        let module = Module::new(&engine, COUNT.as_bytes()).unwrap();
        let mut linker = Linker::new();
        let ticker = engine.clone();
        linker.func_wrap("host", "tick", move |pass: i32| {
            if pass == 5 {
                ticker.increment_epoch();
            }
        });
        let mut store = Store::new(&engine, ());
        store.set_epoch_deadline(1);
        let inst = linker.instantiate(&mut store, &module).unwrap();
        let count = inst.get_typed_func::<(), ()>(&store, "count").unwrap();
        let trap = count.call(&mut store, ()).unwrap_err();
        assert_eq!(trap.kind(), TrapKind::Interrupted, "{kind}");
        let Val::I32(passes) = inst.get_global(&store, "passes").unwrap().get(&store) else {
            panic!("an i32 global")
        };
        match kind {
            EngineKind::Interp => assert_eq!(passes, 5),
            _ => assert!((5..=5 + 1000).contains(&passes), "{kind}: {passes} passes"),
        }
    }
}

#[test]
fn every_shape_of_loop_is_interrupted_and_otherwise_unchanged() {
    // Loops repeating through each kind of back edge: a conditional branch,
    // a branch table, a branch carrying the loop's parameter, the outer
    // loop of a nest, a dispatch loop whose arms branch to its condition,
    // tail calls, and calls alone. Each gives a result that epochs must not
    // change; given an argument too large to finish in the test's time,
    // each must stop when the epoch passes.
    const LOOPS: &str = r#"(module
      (func (export "br_if") (param $n i32) (result i32) (local $acc i32)
        (loop $l
          (local.set $acc (i32.add (local.get $acc) (local.get $n)))
          (local.set $n (i32.sub (local.get $n) (i32.const 1)))
          (br_if $l (i32.gt_s (local.get $n) (i32.const 0))))
        (local.get $acc))
      (func (export "br_table") (param $n i32) (result i32) (local $acc i32)
        (block $done
          (loop $l
            (local.set $acc (i32.add (local.get $acc) (local.get $n)))
            (local.set $n (i32.sub (local.get $n) (i32.const 1)))
            (br_table $done $l (i32.gt_s (local.get $n) (i32.const 0)))))
        (local.get $acc))
      ;; The branch carries the sum from above another operand into the
      ;; loop's parameter.
      (func (export "carrying") (param $n i32) (result i32) (local $tmp i32)
        (i32.const 0)
        (loop $l (param i32) (result i32)
          (local.set $tmp)
          (block $out (result i32)
            (i32.const 99)
            (i32.add (local.get $tmp) (local.get $n))
            (local.set $n (i32.sub (local.get $n) (i32.const 1)))
            (br_if $l (i32.gt_s (local.get $n) (i32.const 0)))
            (local.set $tmp)
            (drop)
            (local.get $tmp))))
      ;; Recursion through calls alone, no loop and no tail call.
      (func $tree (export "tree") (param $n i32) (result i32)
        (if (result i32) (i32.lt_s (local.get $n) (i32.const 2))
          (then (local.get $n))
          (else (i32.add (call $tree (i32.sub (local.get $n) (i32.const 1)))
                         (call $tree (i32.sub (local.get $n) (i32.const 2)))))))
      (func (export "nested") (param $n i32) (result i32) (local $acc i32) (local $i i32)
        (loop $outer
          (local.set $i (i32.const 2))
          (loop $inner
            (local.set $acc (i32.add (local.get $acc) (local.get $n)))
            (local.set $i (i32.sub (local.get $i) (i32.const 1)))
            (br_if $inner (local.get $i)))
          (local.set $n (i32.sub (local.get $n) (i32.const 1)))
          (br_if $outer (i32.gt_s (local.get $n) (i32.const 0))))
        (local.get $acc))
      ;; A dispatch loop: each arm of a switch branches to the loop's
      ;; condition, which the interpreter copies into the arms.
      (func (export "dispatch") (param $n i32) (result i32) (local $acc i32)
        (loop $l
          (block $next
            (block $odd
              (block $even
                (br_table $even $odd (i32.and (local.get $n) (i32.const 1))))
              (local.set $acc (i32.add (local.get $acc) (local.get $n)))
              (br $next))
            (local.set $acc (i32.add (local.get $acc) (local.get $n)))
            (br $next))
          (local.set $n (i32.sub (local.get $n) (i32.const 1)))
          (br_if $l (i32.gt_s (local.get $n) (i32.const 0))))
        (local.get $acc))
      (func $rec (param $n i32) (param $acc i32) (result i32)
        (if (result i32) (i32.gt_s (local.get $n) (i32.const 0))
          (then (return_call $rec (i32.sub (local.get $n) (i32.const 1))
                                  (i32.add (local.get $acc) (local.get $n))))
          (else (local.get $acc))))
      (func (export "recursion") (param $n i32) (result i32)
        (call $rec (local.get $n) (i32.const 0))))"#;
    let sum = |n: i64| (n * (n + 1) / 2) as i32;
    // (name, argument, result, an argument too large to finish)
    let shapes: [(&str, i32, i32, i32); 7] = [
        ("br_if", 1000, sum(1000), i32::MAX),
        ("dispatch", 1000, sum(1000), i32::MAX),
        ("br_table", 1000, sum(1000), i32::MAX),
        ("carrying", 1000, sum(1000), i32::MAX),
        ("nested", 1000, 2 * sum(1000), i32::MAX),
        ("recursion", 1000, sum(1000), i32::MAX),
        ("tree", 20, 6765, 60),
    ];
    for kind in kinds() {
        let engine = engine(kind, false, true);
        let module = Module::new(&engine, LOOPS.as_bytes()).unwrap();
        let mut store = Store::new(&engine, ());
        let inst = Linker::new().instantiate(&mut store, &module).unwrap();
        for (name, arg, expected, endless) in shapes {
            let f = inst.get_typed_func::<i32, i32>(&store, name).unwrap();
            store.set_epoch_deadline(1);
            assert_eq!(f.call(&mut store, arg).unwrap(), expected, "{kind}: {name}");
            let ticker = {
                let engine = engine.clone();
                std::thread::spawn(move || {
                    std::thread::sleep(Duration::from_millis(20));
                    engine.increment_epoch();
                })
            };
            let outcome = f.call(&mut store, endless);
            ticker.join().unwrap();
            assert_eq!(
                outcome.map_err(|t| t.kind()),
                Err(TrapKind::Interrupted),
                "{kind}: {name}"
            );
        }
    }
}

fn skiff(args: &[&str]) -> (std::process::Output, Duration) {
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_skiff"))
        .args(args)
        .output()
        .expect("skiff runs");
    (out, start.elapsed())
}

fn endless_wat() -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("skiff-endless-{}.wat", std::process::id()));
    std::fs::write(
        &path,
        r#"(module (func (export "_start") (loop $l (br $l))))"#,
    )
    .unwrap();
    path
}

#[test]
fn the_command_line_stops_an_endless_guest_by_time_or_fuel() {
    let wat = endless_wat();
    let wat = wat.to_str().unwrap();
    for kind in kinds() {
        let engine = kind.to_string();
        let (out, took) = skiff(&["run", "--engine", &engine, "--timeout", "1s", wat]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(134), "{engine}: {err}");
        assert!(err.contains("interrupted"), "{engine}: {err}");
        assert!(took < Duration::from_millis(1500), "{engine}: {took:?}");

        let (out, _) = skiff(&["run", "--engine", &engine, "--fuel", "100000", wat]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(134), "{engine}: {err}");
        assert!(err.contains("all fuel consumed"), "{engine}: {err}");
    }
    let (out, _) = skiff(&["run", "--timeout", "soon", wat]);
    assert_eq!(out.status.code(), Some(2));
    std::fs::remove_file(wat).ok();
}
