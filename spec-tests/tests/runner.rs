//! The runner itself, on a small script of known outcomes: what passes, what
//! fails, what is skipped, and that every directive counts once.

use spec_tests::exec::Engine;
use spec_tests::outcome::FileReport;
use spec_tests::{script, suites};

const SCRIPT: &str = r#"
(module $A
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (global (export "g") i32 (i32.const 42))
  (func (export "snan") (result f32) (f32.const nan:0x200000)))
(assert_return (invoke "add" (i32.const 1) (i32.const 2)) (i32.const 3))
(assert_return (invoke "add" (i32.const 1) (i32.const 2)) (i32.const 4))
(assert_return (invoke "add" (i32.const 1) (i32.const 2)))
(assert_trap (invoke "div" (i32.const 1) (i32.const 0)) "integer divide by zero")
(assert_trap (invoke "div" (i32.const 1) (i32.const 0)) "integer overflow")
(assert_trap (invoke "add" (i32.const 1) (i32.const 0)) "unreachable")
(assert_return (get "g") (i32.const 42))
(assert_return (invoke "snan") (f32.const nan:arithmetic))
(assert_return (invoke "snan") (either (f32.const nan:0x200000) (f32.const 0)))
(register "a" $A)
(module
  (import "a" "add" (func (param i32 i32) (result i32)))
  (import "spectest" "print_i32" (func (param i32)))
  (import "spectest" "global_i32" (global i32))
  (import "spectest" "table" (table 10 funcref))
  (import "spectest" "memory" (memory 1 2)))
(assert_unlinkable (module (import "a" "nope" (func))) "unknown import")
(assert_trap (module (func unreachable) (start 0)) "unreachable")
(invoke $A "add" (i32.const 0) (i32.const 0))
(invoke $B "add")
(module (type (struct)))
(module definition $D (func (export "f") (result i32) (i32.const 7)))
(module instance $I $D)
(assert_return (invoke $I "f") (i32.const 7))
(module $R (func $r (export "r") (call $r)))
(assert_exhaustion (invoke $R "r") "call stack exhausted")
(assert_invalid (module (func (result i32))) "type mismatch")
"#;

/// Lines of the failing directives of `SCRIPT`.
const FAILING: &[usize] = &[8, 9, 11, 12, 14, 26];

fn run(engine: &str) -> FileReport {
    let engine = Engine::by_name(engine).expect("engine exists");
    // 3.0's encodings are read, so that a module with a GC type (which
    // Skiff does not implement yet) is a skip.
    script::run("runner.wast", SCRIPT, &suites::features("wasm-v3"), &engine)
}

fn check_engine(engine: &str) {
    let r = run(engine);
    let failing: Vec<usize> = r.failures.iter().map(|f| f.line).collect();
    let messages: Vec<String> = r
        .failures
        .iter()
        .map(|f| format!("{}: {}: {}", f.line, f.directive, f.message))
        .collect();
    assert_eq!(
        failing,
        FAILING,
        "{engine} failures:\n{}",
        messages.join("\n")
    );
    assert_eq!(
        r.skipped,
        ["unsupported feature: gc (struct, array and continuation types)"],
        "{engine}"
    );
    assert_eq!(r.passed, 23 - FAILING.len() - 1, "{engine}");
}

#[test]
fn the_interpreter_runs_the_script() {
    check_engine("interp");
}

#[test]
#[cfg(feature = "jit")]
fn the_jit_runs_the_script() {
    check_engine("jit");
}

/// A skipped module that imports a registered instance's memory would have
/// written to it: later uses of that instance see another state than the
/// script's, so they are skipped, not failed.
#[test]
fn what_a_skipped_module_touches_is_skipped() {
    const TAINT: &str = r#"
(module $M
  (memory (export "mem") 1)
  (func (export "read") (param i32) (result i32) (i32.load8_u (local.get 0))))
(register "M" $M)
(module (memory (import "M" "mem") 1) (type (struct)) (data (memory 0) (i32.const 0) "\01"))
(assert_return (invoke $M "read" (i32.const 0)) (i32.const 1))
(module (import "M" "read" (func (param i32) (result i32))))
(module $N (func (export "f") (result i32) (i32.const 1)))
(assert_return (invoke $N "f") (i32.const 1))
"#;
    let engine = Engine::by_name("interp").expect("engine exists");
    // GC types are recognized in this suite, and unsupported.
    let r = script::run(
        "taint.wast",
        TAINT,
        &suites::features("exceptions"),
        &engine,
    );
    assert!(
        r.failures.is_empty(),
        "{:?}",
        r.failures.iter().map(|f| &f.message).collect::<Vec<_>>()
    );
    assert_eq!(r.passed, 4);
    assert_eq!(r.skipped.len(), 3);
    assert!(r.skipped[0].contains("gc"), "{}", r.skipped[0]);
    assert_eq!(r.skipped[1..], ["module was skipped", "module was skipped"]);
}
