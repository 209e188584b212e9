//! The interpreter end to end: instantiate modules and call their exports.

use skiff_interp::Interpreter;
use skiff_vm::runtime::{Caller, Extern, Linker, Store, Tier, TrapKind, Value};
use skiff_vm::types::{FuncType, ValType};
use skiff_vm::{Features, load};
use std::sync::Arc;

fn instantiate(store: &mut Store, linker: &Linker, wat: &str) -> skiff_vm::runtime::InstanceId {
    let module = Arc::new(load(wat.as_bytes(), &Features::WASM2).expect("valid module"));
    let code = Interpreter::new().compile(&module).expect("translates");
    linker
        .instantiate(store, &module, &code)
        .expect("instantiates")
}

fn call(
    store: &mut Store,
    inst: skiff_vm::runtime::InstanceId,
    name: &str,
    args: &[Value],
) -> Result<Vec<Value>, skiff_vm::runtime::Trap> {
    let Some(Extern::Func(f)) = store.instance(inst).export(name) else {
        panic!("no export {name}");
    };
    store.call(f, args)
}

const FAC: &str = include_str!("../../examples/fac.wat");

#[test]
fn factorial_both_ways() {
    let mut store = Store::default();
    let inst = instantiate(&mut store, &Linker::new(), FAC);
    assert_eq!(
        call(&mut store, inst, "fac-rec", &[Value::I64(20)]).unwrap(),
        [Value::I64(2432902008176640000)]
    );
    assert_eq!(
        call(&mut store, inst, "fac-iter", &[Value::I64(10)]).unwrap(),
        [Value::I64(3628800)]
    );
}

#[test]
fn runaway_recursion_traps_and_the_store_lives_on() {
    let mut store = Store::default();
    let inst = instantiate(
        &mut store,
        &Linker::new(),
        "(module (func $f (export \"loop\") (call $f)) (func (export \"one\") (result i32) (i32.const 1)))",
    );
    let trap = call(&mut store, inst, "loop", &[]).unwrap_err();
    assert_eq!(trap.kind(), TrapKind::StackExhausted);
    assert_eq!(call(&mut store, inst, "one", &[]).unwrap(), [Value::I32(1)]);
}

#[test]
fn traps_are_values_with_kinds() {
    let mut store = Store::default();
    let inst = instantiate(
        &mut store,
        &Linker::new(),
        r#"(module (memory 1)
            (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
            (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
            (func (export "trunc") (param f32) (result i32) (i32.trunc_f32_s (local.get 0)))
            (func (export "boom") unreachable))"#,
    );
    let kind = |r: Result<Vec<Value>, skiff_vm::runtime::Trap>| r.unwrap_err().kind();
    assert_eq!(
        kind(call(
            &mut store,
            inst,
            "div",
            &[Value::I32(1), Value::I32(0)]
        )),
        TrapKind::IntegerDivisionByZero
    );
    assert_eq!(
        kind(call(
            &mut store,
            inst,
            "div",
            &[Value::I32(i32::MIN), Value::I32(-1)]
        )),
        TrapKind::IntegerOverflow
    );
    assert_eq!(
        kind(call(&mut store, inst, "load", &[Value::I32(65534)])),
        TrapKind::MemoryOutOfBounds
    );
    assert_eq!(
        kind(call(&mut store, inst, "trunc", &[Value::f32(f32::NAN)])),
        TrapKind::InvalidConversionToInteger
    );
    let trap = call(&mut store, inst, "boom", &[]).unwrap_err();
    assert_eq!(trap.kind(), TrapKind::Unreachable);
    assert_eq!(trap.backtrace().len(), 1);
    assert_eq!(
        call(&mut store, inst, "div", &[Value::I32(7), Value::I32(2)]).unwrap(),
        [Value::I32(3)]
    );
}

#[test]
fn host_functions_and_branches() {
    // A host function doubling its argument, called from a loop.
    let double = |_: Caller<'_>, args: &[Value], results: &mut Vec<Value>| {
        let [Value::I32(x)] = args else {
            unreachable!("validated arguments")
        };
        results.push(Value::I32(x * 2));
        Ok(())
    };
    let ty = FuncType::new([ValType::I32], [ValType::I32]);
    let mut store = Store::default();
    let mut linker = Linker::new();
    linker.func(&mut store, "env", "double", ty, double);
    let inst = instantiate(
        &mut store,
        &linker,
        r#"(module (import "env" "double" (func $double (param i32) (result i32)))
            (func (export "sum-doubled") (param $n i32) (result i32) (local $acc i32)
              (block $done
                (loop $next
                  (br_if $done (i32.eqz (local.get $n)))
                  (local.set $acc (i32.add (local.get $acc) (call $double (local.get $n))))
                  (local.set $n (i32.sub (local.get $n) (i32.const 1)))
                  (br $next)))
              (local.get $acc))
            (func (export "pick") (param i32) (result i32)
              (block $c (block $b (block $a (br_table $a $b $c (local.get 0)))
                (return (i32.const 10)))
                (return (i32.const 20)))
              (i32.const 30)))"#,
    );
    assert_eq!(
        call(&mut store, inst, "sum-doubled", &[Value::I32(10)]).unwrap(),
        [Value::I32(110)]
    );
    for (i, want) in [(0, 10), (1, 20), (2, 30), (99, 30)] {
        assert_eq!(
            call(&mut store, inst, "pick", &[Value::I32(i)]).unwrap(),
            vec![Value::I32(want)]
        );
    }
}

#[test]
fn callee_frames_leave_the_callers_constants_alone() {
    let mut store = Store::default();
    let inst = instantiate(
        &mut store,
        &Linker::new(),
        r#"(module
            (func $g (result i32) (local i32 i32 i32 i32 i32 i32 i32 i32)
              (local.set 0 (i32.const 99)) (local.set 1 (i32.const 99)) (local.set 2 (i32.const 99))
              (local.set 3 (i32.const 99)) (local.set 4 (i32.const 99)) (local.set 5 (i32.const 99))
              (local.set 6 (i32.const 99)) (local.set 7 (i32.const 99))
              (i32.const 1))
            (func (export "f") (result i32)
              (i32.mul (i32.mul (call $g) (i32.const 5)) (i32.const 7))))"#,
    );
    assert_eq!(call(&mut store, inst, "f", &[]).unwrap(), [Value::I32(35)]);
}

#[test]
fn locals_read_before_they_are_overwritten() {
    let mut store = Store::default();
    let inst = instantiate(
        &mut store,
        &Linker::new(),
        r#"(module
            (func (export "swap") (param i32 i32) (result i32 i32)
              (local.get 1) (local.get 0) (local.set 1) (local.set 0)
              (local.get 0) (local.get 1))
            (func (export "tee") (param i32) (result i32)
              (i32.add (local.get 0) (local.tee 0 (i32.const 10)))))"#,
    );
    assert_eq!(
        call(&mut store, inst, "swap", &[Value::I32(1), Value::I32(2)]).unwrap(),
        [Value::I32(2), Value::I32(1)]
    );
    assert_eq!(
        call(&mut store, inst, "tee", &[Value::I32(5)]).unwrap(),
        [Value::I32(15)]
    );
}

/// A module of `n` functions, each over 64 bytes of code (so `n = 2000`
/// passes the size above which translation is spread over threads): function
/// `i` returns `i * 3 + 7`, computed through a loop so its code is not
/// trivial. Function `simd`, when given, uses a SIMD instruction.
fn many_functions(n: usize, simd: Option<usize>) -> String {
    let mut wat = String::from("(module\n");
    for i in 0..n {
        let extra = if simd == Some(i) {
            "(drop (i32x4.extract_lane 0 (v128.const i32x4 0 0 0 0)))"
        } else {
            ""
        };
        wat.push_str(&format!(
            "(func (export \"f{i}\") (result i32) (local $k i32) (local $acc i32)
               {extra}
               (local.set $acc (i32.const {i}))
               (loop $l
                 (local.set $acc (i32.add (local.get $acc) (i32.const {i})))
                 (local.set $k (i32.add (local.get $k) (i32.const 1)))
                 (br_if $l (i32.lt_u (local.get $k) (i32.const 2))))
               (i32.add (local.get $acc) (i32.const 7)))\n"
        ));
    }
    wat.push(')');
    wat
}

#[test]
fn a_large_module_translates_on_threads_in_function_order() {
    let wat = many_functions(2000, None);
    let module = Arc::new(load(wat.as_bytes(), &Features::WASM2).expect("valid module"));
    let code_bytes: usize = module.module().code.iter().map(|b| b.range.len()).sum();
    assert!(code_bytes > 64 * 1024, "only {code_bytes} bytes of code");
    let code = Interpreter::new().compile(&module).expect("translates");
    let mut store = Store::default();
    let inst = Linker::new()
        .instantiate(&mut store, &module, &code)
        .expect("instantiates");
    for i in [0usize, 1, 999, 1000, 1999] {
        assert_eq!(
            call(&mut store, inst, &format!("f{i}"), &[]).unwrap(),
            vec![Value::I32(i as i32 * 3 + 7)]
        );
    }
}

/// A vector instruction in one function of a module translated on threads
/// (the parallel translation's error ordering is `vm::parallel`'s own test).
#[test]
fn a_large_module_with_simd_in_one_function_translates_and_runs() {
    let wat = many_functions(2000, Some(1500));
    let module = Arc::new(load(wat.as_bytes(), &Features::WASM2).expect("valid module"));
    let code = Interpreter::new().compile(&module).expect("translates");
    let mut store = Store::default();
    let inst = Linker::new()
        .instantiate(&mut store, &module, &code)
        .expect("instantiates");
    assert_eq!(
        call(&mut store, inst, "f1500", &[]).unwrap(),
        [Value::I32(1500 * 3 + 7)]
    );
}

/// `memory.copy` and `memory.fill` in threaded code: overlapping copies both
/// ways, and a range past the end trapping before any byte is written.
#[test]
fn bulk_memory_copies_fills_and_traps_whole() {
    const WAT: &str = r#"(module (memory 1)
      (data (i32.const 0) "abcdefgh")
      (func (export "copy") (param $d i32) (param $s i32) (param $n i32) (result i64)
        (memory.copy (local.get $d) (local.get $s) (local.get $n))
        (i64.load (i32.const 0)))
      (func (export "fill") (param $d i32) (param $v i32) (param $n i32) (result i64)
        (memory.fill (local.get $d) (local.get $v) (local.get $n))
        (i64.load (i32.const 0)))
      (func (export "peek") (result i64) (i64.load (i32.const 0))))"#;
    let bytes = |s: &[u8; 8]| Value::I64(i64::from_le_bytes(*s));
    let mut store = Store::default();
    let inst = instantiate(&mut store, &Linker::new(), WAT);
    let args = |a: i32, b: i32, c: i32| [Value::I32(a), Value::I32(b), Value::I32(c)];
    assert_eq!(
        call(&mut store, inst, "copy", &args(2, 0, 4)).unwrap(),
        vec![bytes(b"ababcdgh")]
    );
    assert_eq!(
        call(&mut store, inst, "copy", &args(0, 3, 5)).unwrap(),
        vec![bytes(b"bcdghdgh")]
    );
    assert_eq!(
        call(&mut store, inst, "fill", &args(6, 0x7a, 2)).unwrap(),
        vec![bytes(b"bcdghdzz")]
    );
    for (name, a) in [
        ("copy", args(65535, 0, 2)),
        ("copy", args(0, 65530, 7)),
        ("fill", args(65534, 0, 3)),
    ] {
        let trap = call(&mut store, inst, name, &a).unwrap_err();
        assert_eq!(trap.kind(), TrapKind::MemoryOutOfBounds, "{name} {a:?}");
    }
    // Nothing was written by the trapping ones.
    assert_eq!(
        call(&mut store, inst, "peek", &[]).unwrap(),
        vec![bytes(b"bcdghdzz")]
    );
}
