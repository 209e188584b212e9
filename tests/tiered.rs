//! The tiered engine: code starts on the interpreter and moves to the JIT's
//! code while it runs. Switching in the middle of a deep recursion or of a
//! long loop gives the results, trap backtraces and fuel of either tier alone.

#![cfg(feature = "jit")]

use skiff::{Caller, Config, Engine, EngineKind, Linker, Module, Store, Trap, TrapKind};

/// A recursion and a loop, each of which calls `host.wait` once, at the step
/// its argument names: the test's host function waits there for the JIT, so
/// that the frames above it are interpreted and those entered after it
/// compiled. Both end in a trap when asked.
const PROGRAM: &str = r#"(module
  (import "host" "wait" (func $wait))
  (memory 1)
  (type $step (func (param i32 i32) (result i32)))
  (table funcref (elem $step))
  ;; down(n, at, trap): n + down(n - 1, ...) down to 0, which traps when
  ;; `trap` is set; waits at depth `at`.
  (func $down (export "down") (param $n i32) (param $at i32) (param $trap i32) (result i32)
    (if (i32.eq (local.get $n) (local.get $at)) (then (call $wait)))
    (if (i32.eqz (local.get $n))
      (then
        (if (local.get $trap) (then (drop (i32.load (i32.const 70000)))))
        (return (i32.const 0))))
    (i32.add (local.get $n)
      (call $down (i32.sub (local.get $n) (i32.const 1)) (local.get $at) (local.get $trap))))
  ;; A step of the loop: mixes `i` into `acc`; traps on i = 1000000.
  (func $step (param $i i32) (param $acc i32) (result i32)
    (if (i32.eq (local.get $i) (i32.const 1000000)) (then unreachable))
    (i32.add (i32.mul (local.get $acc) (i32.const 31)) (local.get $i)))
  ;; loop(n, at): steps i = 0..n, directly and through the table by turns;
  ;; waits when i = at.
  (func (export "loop") (param $n i32) (param $at i32) (result i32)
    (local $i i32) (local $acc i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (if (i32.eq (local.get $i) (local.get $at)) (then (call $wait)))
        (local.set $acc
          (if (result i32) (i32.and (local.get $i) (i32.const 1))
            (then (call $step (local.get $i) (local.get $acc)))
            (else (call_indirect (type $step) (local.get $i) (local.get $acc) (i32.const 0)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $acc))"#;

/// `PROGRAM` with 3,000 more functions, which take the JIT long enough (tens
/// of milliseconds) that the test reaches `host.wait` before the code is
/// ready, so that the frames above it are surely interpreted.
fn program() -> String {
    let mut text = PROGRAM.to_string();
    for i in 0..3000 {
        text.push_str(&format!(
            "\n  (func (param i32) (result i32) (local i32) {})",
            "(local.set 1 (i32.add (i32.mul (local.get 0) (i32.const 7)) (local.get 1))) "
                .repeat(8 + i % 5)
                + "(local.get 1)"
        ));
    }
    text.push(')');
    text
}

/// An engine of `kind`; on the tiered one, every module starts interpreted.
fn engine(kind: EngineKind, fuel: bool) -> Engine {
    Engine::with_config(
        Config::new()
            .strategy(kind)
            .consume_fuel(fuel)
            .eager_compile_below(0),
    )
    .unwrap()
}

/// What a run of export `name` with `args` gives on `kind`: its result or
/// trap (kind and backtrace as function indices), and the fuel it took.
#[derive(Debug, PartialEq)]
struct Run {
    outcome: Result<i32, (TrapKind, Vec<u32>)>,
    fuel: u64,
}

fn run(kind: EngineKind, name: &str, args: [i32; 3]) -> Run {
    let engine = engine(kind, true);
    let module = Module::new(&engine, program().as_bytes()).unwrap();
    let mut linker = Linker::new();
    let waiting = module.clone();
    linker.func_wrap(
        "host",
        "wait",
        move |_: Caller<'_, ()>| -> Result<(), Trap> {
            // On the tiered engine, the frames so far are interpreted, and
            // every call from here on runs compiled code.
            if kind == EngineKind::Auto {
                assert!(!waiting.has_compiled_code(), "compiled too early");
                assert!(waiting.wait_for_compiled_code());
            }
            Ok(())
        },
    );
    let mut store = Store::new(&engine, ());
    store.set_fuel(u64::MAX / 2).unwrap();
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let f = instance.get_func(&store, name).unwrap();
    let params = f.ty(&store).params().len();
    let args: Vec<skiff::Val> = args[..params].iter().map(|a| skiff::Val::I32(*a)).collect();
    let mut out = [skiff::Val::I32(0)];
    let outcome = match f.call(&mut store, &args, &mut out) {
        Ok(()) => match out[0] {
            skiff::Val::I32(v) => Ok(v),
            ref other => panic!("{other:?}"),
        },
        Err(t) => Err((t.kind(), t.backtrace().iter().map(|f| f.func).collect())),
    };
    Run {
        outcome,
        fuel: u64::MAX / 2 - store.get_fuel().unwrap(),
    }
}

/// Runs on the interpreter, the JIT and the tiered engine, and checks that
/// all three agree; returns what they gave.
fn agree(name: &str, args: [i32; 3]) -> Run {
    let interp = run(EngineKind::Interp, name, args);
    let jit = run(EngineKind::Jit, name, args);
    let auto = run(EngineKind::Auto, name, args);
    assert_eq!(interp, jit, "{name} {args:?}: interp and jit");
    assert_eq!(interp, auto, "{name} {args:?}: interp and auto");
    interp
}

#[test]
fn switching_in_a_deep_recursion() {
    // 8,000 frames, the lower 4,000 compiled.
    let r = agree("down", [8_000, 4_000, 0]);
    assert_eq!(r.outcome, Ok(8_000 * 8_001 / 2));
    // A trap below the switch: the backtrace has the compiled frames, then
    // the interpreted ones.
    let r = agree("down", [30, 10, 1]);
    let (kind, frames) = r.outcome.unwrap_err();
    assert_eq!(kind, TrapKind::MemoryOutOfBounds);
    assert_eq!(frames, vec![1; 31]);
}

#[test]
fn switching_in_a_long_loop() {
    // The loop's frame stays interpreted; its calls after the wait, direct
    // and through the table, run compiled code.
    let r = agree("loop", [200_000, 1_000, 0]);
    assert!(r.outcome.is_ok());
    let r = agree("loop", [2_000_000, 1_000, 0]);
    let (kind, frames) = r.outcome.unwrap_err();
    assert_eq!(kind, TrapKind::Unreachable);
    assert_eq!(frames, vec![2, 3]);
}

#[test]
fn the_tiered_engine_ends_on_compiled_code() {
    let module = Module::new(&engine(EngineKind::Auto, false), program().as_bytes()).unwrap();
    assert!(module.wait_for_compiled_code());
    assert!(module.has_compiled_code());
    // By default, a small module is compiled before it runs.
    let small = Module::new(
        &Engine::new(EngineKind::Auto).unwrap(),
        format!("{PROGRAM})").as_bytes(),
    )
    .unwrap();
    assert!(small.has_compiled_code());
    let interp = Module::new(&Engine::new(EngineKind::Interp).unwrap(), b"(module)").unwrap();
    assert!(!interp.wait_for_compiled_code());
    let jit = Module::new(&Engine::new(EngineKind::Jit).unwrap(), b"(module)").unwrap();
    assert!(jit.has_compiled_code());
}

#[test]
fn a_large_module_loads_its_cached_code_in_the_background() {
    let dir = std::env::temp_dir().join(format!("skiff-tiered-cache-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let wat = dir.join("program.wat");
    std::fs::write(&wat, program()).unwrap();
    let cache = dir.join("cache");
    let engine = engine(EngineKind::Auto, false);
    // The first load compiles in the background, and keeps the code once
    // it is done.
    let first = Module::from_file_cached(&engine, &wat, &cache).unwrap();
    assert!(first.wait_for_compiled_code());
    let entry = (0..1000)
        .find_map(|_| {
            let found = std::fs::read_dir(&cache).ok().and_then(|mut dir| {
                dir.find_map(|e| {
                    let path = e.ok()?.path();
                    (path.extension()? == "skiffc").then_some(path)
                })
            });
            if found.is_none() {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            found
        })
        .expect("the background compilation keeps its code");
    let written = std::fs::metadata(&entry).unwrap().modified().unwrap();
    // The second starts on the interpreter and loads that code, without
    // compiling (the entry is not written again).
    let second = Module::from_file_cached(&engine, &wat, &cache).unwrap();
    assert!(second.wait_for_compiled_code());
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::new();
    linker.func_wrap("host", "wait", || {});
    let instance = linker.instantiate(&mut store, &second).unwrap();
    let down = instance
        .get_typed_func::<(i32, i32, i32), i32>(&store, "down")
        .unwrap();
    assert_eq!(down.call(&mut store, (100, -1, 0)).unwrap(), 5050);
    assert_eq!(
        std::fs::metadata(&entry).unwrap().modified().unwrap(),
        written
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
