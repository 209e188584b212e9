//! Exceptions cross every boundary the same way on every tier: between
//! instances, out of and into host functions, through a host function that
//! calls back into WebAssembly, and out to the embedder with their tag and
//! payload; a throw and catch in a loop reuses the store's room.

mod common;

use common::{call, kinds, skiff, text};
use skiff::{
    Caller, Config, Engine, EngineKind, ExnRef, Extern, Func, FuncType, Linker, Module, Store, Tag,
    Trap, TrapKind, Val, ValType,
};
use std::sync::{Arc, OnceLock};

/// Exports a tag and a function that throws it with `(x, 2x)`.
const THROWER: &str = r#"(module
  (tag $e (export "e") (param i32 i64))
  (func (export "throw") (param i32)
    (throw $e (local.get 0) (i64.mul (i64.extend_i32_s (local.get 0)) (i64.const 2)))))"#;

/// Catches the thrower's exceptions, the host's, and its own thrown
/// through a host function that calls back.
const CATCHER: &str = r#"(module
  (import "thrower" "e" (tag $e (param i32 i64)))
  (import "thrower" "throw" (func $throw (param i32)))
  (import "host" "t" (tag $h (param f64)))
  (import "host" "throw" (func $host_throw (param f64)))
  (import "host" "reenter" (func $reenter (param i32)))
  ;; x + the i64 the exception carries, as i32
  (func (export "catch_other") (param i32) (result i32)
    (block $got (result i32 i64)
      (try_table (catch $e $got) (call $throw (local.get 0)))
      (return (i32.const -1)))
    (i32.wrap_i64)
    (i32.add))
  (func (export "catch_host") (param f64) (result f64)
    (block $got (result f64)
      (try_table (catch $h $got) (call $host_throw (local.get 0)))
      (return (f64.const -1)))
    (f64.add (f64.const 0.5)))
  (func (export "inner") (param i32) (call $throw (local.get 0)))
  (func (export "through_host") (param i32) (result i32)
    (block $got (result i32 i64)
      (try_table (catch $e $got) (call $reenter (local.get 0)))
      (return (i32.const -1)))
    (drop))
  (func (export "uncaught") (param i32) (call $throw (local.get 0)))
  ;; n throws, each caught one frame up; the payloads summed
  (func $one (param i32) (throw $e (local.get 0) (i64.const 1)))
  (func (export "loop") (param $n i32) (result i32) (local $sum i32)
    (block $done (loop $l
      (br_if $done (i32.eqz (local.get $n)))
      (block $got (result i32 i64)
        (try_table (catch $e $got) (call $one (local.get $n)))
        (unreachable))
      (drop)
      (local.set $sum (i32.add (local.get $sum)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $l)))
    (local.get $sum)))"#;

struct Setup {
    store: Store<()>,
    catcher: skiff::Instance,
    thrower_tag: Tag,
}

fn setup(engine: &Engine) -> Setup {
    let mut store = Store::new(engine, ());
    let mut linker = Linker::new();
    let thrower = Module::new(engine, THROWER.as_bytes()).unwrap();
    let thrower = linker.instantiate(&mut store, &thrower).unwrap();
    linker.instance(&store, "thrower", thrower);
    let host_tag = Tag::new(&mut store, FuncType::new([ValType::F64], [])).unwrap();
    linker.define("host", "t", host_tag);
    linker.func_new(
        "host",
        "throw",
        FuncType::new([ValType::F64], []),
        move |mut caller: Caller<'_, ()>, args, _| Err(host_tag.throw(&mut caller, args)?),
    );
    let inner: Arc<OnceLock<Func>> = Arc::new(OnceLock::new());
    let reenter = inner.clone();
    linker.func_new(
        "host",
        "reenter",
        FuncType::new([ValType::I32], []),
        move |mut caller: Caller<'_, ()>, args, _| {
            reenter.get().unwrap().call(&mut caller, args, &mut [])
        },
    );
    let catcher = Module::new(engine, CATCHER.as_bytes()).unwrap();
    let catcher = linker.instantiate(&mut store, &catcher).unwrap();
    let Some(Extern::Func(f)) = catcher.get_export(&store, "inner") else {
        panic!("no inner")
    };
    inner.set(f).unwrap();
    let Some(Extern::Tag(thrower_tag)) = thrower.get_export(&store, "e") else {
        panic!("no tag")
    };
    Setup {
        store,
        catcher,
        thrower_tag,
    }
}

fn engines() -> Vec<(String, Engine)> {
    let mut all: Vec<(String, Engine)> = kinds()
        .into_iter()
        .map(|k| (format!("{k:?}"), Engine::new(k).unwrap()))
        .collect();
    if kinds().contains(&EngineKind::Jit) {
        // The tiered engine with every module started on the interpreter.
        let config = *Config::new()
            .strategy(EngineKind::Auto)
            .eager_compile_below(0);
        all.push(("auto".into(), Engine::with_config(&config).unwrap()));
    }
    all
}

/// The `--engine` names of this build.
fn cli_engines() -> &'static [&'static str] {
    if kinds().contains(&EngineKind::Jit) {
        &["interp", "jit", "auto"]
    } else {
        &["interp"]
    }
}

#[test]
fn exceptions_are_caught_across_instances_and_host_functions() {
    for (name, engine) in engines() {
        let mut s = setup(&engine);
        let catcher = s.catcher;
        assert_eq!(
            call(&mut s.store, &catcher, "catch_other", &[Val::I32(21)]).unwrap(),
            [Val::I32(21 + 42)],
            "{name}"
        );
        assert_eq!(
            call(&mut s.store, &catcher, "catch_host", &[Val::f64(2.0)]).unwrap(),
            [Val::f64(2.5)],
            "{name}"
        );
        assert_eq!(
            call(&mut s.store, &catcher, "through_host", &[Val::I32(7)]).unwrap(),
            [Val::I32(7)],
            "{name}"
        );
        assert_eq!(
            call(&mut s.store, &catcher, "loop", &[Val::I32(10_000)]).unwrap(),
            [Val::I32(50_005_000)],
            "{name}"
        );
    }
}

#[test]
fn an_uncaught_exception_reaches_the_embedder_with_its_tag_and_payload() {
    for (name, engine) in engines() {
        let mut s = setup(&engine);
        let catcher = s.catcher;
        let trap: Trap = call(&mut s.store, &catcher, "uncaught", &[Val::I32(5)]).unwrap_err();
        assert!(
            matches!(trap.kind(), TrapKind::Exception(_)),
            "{name}: {trap}"
        );
        assert_eq!(trap.to_string().lines().next(), Some("uncaught exception"));
        let exn = ExnRef::from_trap(&s.store, &trap).unwrap();
        assert_eq!(exn.tag(&s.store), s.thrower_tag, "{name}");
        assert_eq!(exn.payload(&s.store), [Val::I32(5), Val::I64(10)], "{name}");
        // The store is fine afterwards.
        assert_eq!(
            call(&mut s.store, &catcher, "catch_other", &[Val::I32(1)]).unwrap(),
            [Val::I32(3)],
            "{name}"
        );
    }
}

#[test]
fn a_host_cannot_throw_a_payload_of_the_wrong_type() {
    let mut store = Store::new(&Engine::new(EngineKind::Interp).unwrap(), ());
    let tag = Tag::new(&mut store, FuncType::new([ValType::I32], [])).unwrap();
    let err = tag.throw(&mut store, &[Val::I64(1)]).unwrap_err();
    assert!(
        err.to_string().contains("for a tag of type [i32] -> []"),
        "{err}"
    );
    assert!(Tag::new(&mut store, FuncType::new([], [ValType::I32])).is_err());
}

#[test]
fn the_legacy_instructions_run_on_every_engine() {
    let text = include_str!("wast/legacy_exceptions.wast");
    common::script_passes_everywhere("legacy_exceptions.wast", text, 15);
}

/// `tests/programs/exceptions.cpp`, C++ built with `-fwasm-exceptions`:
/// throws several frames down, catches by exact type, by base class and
/// with `catch (...)`, rethrows with `throw;`, and runs destructors on the
/// way, printing what its native build prints.
#[test]
fn a_cpp_program_with_exceptions_runs_as_natively() {
    let expected = std::fs::read_to_string("tests/programs/exceptions.expected").unwrap();
    for engine in cli_engines() {
        let out = skiff(&["run", "--engine", engine, "tests/programs/exceptions.wasm"]);
        assert!(out.status.success(), "{engine}: {}", text(&out.stderr));
        assert_eq!(text(&out.stdout), expected, "{engine}");
    }
}

/// A recursion whose every call is inside a `try_table` goes 1,000 levels
/// deep on every engine: the JIT makes those calls through the runtime,
/// whose frames must stay small.
#[test]
fn a_recursion_through_try_blocks_goes_deep() {
    const REC: &str = r#"(module
      (func $rec (export "rec") (param i32) (result i32)
        (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
          (else
            (block $h
              (try_table (catch_all $h)
                (return (i32.add (i32.const 1)
                  (call $rec (i32.sub (local.get 0) (i32.const 1)))))))
            (i32.const -1)))))"#;
    for (name, engine) in engines() {
        let mut store = Store::new(&engine, ());
        let module = Module::new(&engine, REC.as_bytes()).unwrap();
        let instance = Linker::new().instantiate(&mut store, &module).unwrap();
        assert_eq!(
            call(&mut store, &instance, "rec", &[Val::I32(1000)]).unwrap(),
            [Val::I32(1000)],
            "{name}"
        );
    }
}

/// `skiff run` reports an uncaught exception with its payload, as a trap.
#[test]
fn the_cli_reports_an_uncaught_exception_with_its_payload() {
    let path = std::env::temp_dir().join(format!("skiff-uncaught-{}.wat", std::process::id()));
    std::fs::write(
        &path,
        r#"(module (tag $e (param i32 f64))
             (func (export "run") (param i32) (throw $e (local.get 0) (f64.const 2.5))))"#,
    )
    .unwrap();
    for engine in cli_engines() {
        let out = skiff(&[
            "run",
            "--engine",
            engine,
            "--invoke",
            "run",
            path.to_str().unwrap(),
            "7",
        ]);
        assert_eq!(out.status.code(), Some(134), "{engine}");
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains("wasm trap: uncaught exception (payload: [7 2.5])"),
            "{engine}: {stderr}"
        );
    }
    std::fs::remove_file(path).ok();
}
