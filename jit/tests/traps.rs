//! Generated code that traps comes back to the embedder as a value, and the
//! process goes on; faults that are not Wasm traps are not swallowed.

use skiff_jit::Jit;
use skiff_vm::runtime::{Extern, InstanceId, Linker, Store, Tier, Trap, TrapKind, Value};
use skiff_vm::{Features, load};
use std::sync::Arc;

fn instantiate(store: &mut Store, wat: &str) -> InstanceId {
    let module = Arc::new(load(wat.as_bytes(), &Features::WASM2).expect("valid module"));
    let code = Jit::new()
        .expect("the JIT runs here")
        .compile(&module)
        .expect("compiles");
    Linker::new()
        .instantiate(store, &module, &code)
        .expect("instantiates")
}

fn call(
    store: &mut Store,
    inst: InstanceId,
    name: &str,
    args: &[Value],
) -> Result<Vec<Value>, Trap> {
    let Some(Extern::Func(f)) = store.instance(inst).export(name) else {
        panic!("no export {name}");
    };
    store.call(f, args)
}

const GUEST: &str = r#"(module
  (memory 1)
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "load-far") (param i32) (result i32) (i32.load offset=0xfffffff0 (local.get 0)))
  (func (export "store") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
  (func (export "boom") unreachable)
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "trunc") (param f64) (result i32) (i32.trunc_f64_s (local.get 0)))
  (func $deep (export "deep") (param i32) (result i32)
    (i32.add (call $deep (i32.add (local.get 0) (i32.const 1))) (i32.const 1)))
  (func (export "fine") (result i32) (i32.const 42)))"#;

#[test]
fn each_trap_comes_back_with_its_kind_and_the_next_call_works() {
    let mut store = Store::default();
    let inst = instantiate(&mut store, GUEST);
    let cases: [(&str, Vec<Value>, TrapKind); 7] = [
        ("load", vec![Value::I32(65536)], TrapKind::MemoryOutOfBounds),
        ("load", vec![Value::I32(-1)], TrapKind::MemoryOutOfBounds),
        (
            "load-far",
            vec![Value::I32(0x100)],
            TrapKind::MemoryOutOfBounds,
        ),
        ("boom", vec![], TrapKind::Unreachable),
        (
            "div",
            vec![Value::I32(1), Value::I32(0)],
            TrapKind::IntegerDivisionByZero,
        ),
        (
            "div",
            vec![Value::I32(i32::MIN), Value::I32(-1)],
            TrapKind::IntegerOverflow,
        ),
        ("deep", vec![Value::I32(0)], TrapKind::StackExhausted),
    ];
    for (name, args, kind) in cases {
        let trap = call(&mut store, inst, name, &args).unwrap_err();
        assert_eq!(trap.kind(), kind, "{name}");
        assert_eq!(
            call(&mut store, inst, "fine", &[]).unwrap(),
            vec![Value::I32(42)],
            "after {name}"
        );
    }
    let trap = call(&mut store, inst, "trunc", &[Value::f64(f64::NAN)]).unwrap_err();
    assert_eq!(trap.kind(), TrapKind::InvalidConversionToInteger);
    // Memory written before a trap stays written; the instance is usable.
    call(&mut store, inst, "store", &[Value::I32(8), Value::I32(7)]).unwrap();
    assert_eq!(
        call(&mut store, inst, "load", &[Value::I32(8)]).unwrap(),
        vec![Value::I32(7)]
    );
}

#[test]
fn a_thousand_instances_each_with_a_memory() {
    let mut store = Store::default();
    let wat = r#"(module (memory 1)
        (func (export "bump") (param i32) (result i32)
          (i32.store (i32.const 0) (i32.add (i32.load (i32.const 0)) (local.get 0)))
          (i32.load (i32.const 0))))"#;
    let module = Arc::new(load(wat.as_bytes(), &Features::WASM2).unwrap());
    let code = Jit::new().unwrap().compile(&module).unwrap();
    let instances: Vec<InstanceId> = (0..1000)
        .map(|_| {
            Linker::new()
                .instantiate(&mut store, &module, &code)
                .unwrap()
        })
        .collect();
    for (i, inst) in instances.iter().enumerate() {
        assert_eq!(
            call(&mut store, *inst, "bump", &[Value::I32(i as i32)]).unwrap(),
            vec![Value::I32(i as i32)]
        );
    }
    for (i, inst) in instances.iter().enumerate() {
        assert_eq!(
            call(&mut store, *inst, "bump", &[Value::I32(1)]).unwrap(),
            vec![Value::I32(i as i32 + 1)]
        );
    }
    assert_eq!(
        store.instance(instances[999]).memories()[0].0,
        999,
        "a memory each"
    );
}

#[test]
fn host_functions_and_other_instances_are_called_through_the_store() {
    let mut store = Store::default();
    let mut linker = Linker::new();
    linker.func(
        &mut store,
        "host",
        "twice",
        skiff_vm::types::FuncType::new(
            [skiff_vm::types::ValType::I64],
            [skiff_vm::types::ValType::I64],
        ),
        |_, args, results| {
            let Value::I64(x) = args[0] else {
                unreachable!()
            };
            if x < 0 {
                return Err(Trap::host("negative"));
            }
            results.push(Value::I64(x * 2));
            Ok(())
        },
    );
    let module = Arc::new(
        load(
            br#"(module (import "host" "twice" (func $twice (param i64) (result i64)))
                (func (export "quad") (param i64) (result i64) (call $twice (call $twice (local.get 0)))))"#,
            &Features::WASM2,
        )
        .unwrap(),
    );
    let code = Jit::new().unwrap().compile(&module).unwrap();
    let inst = linker.instantiate(&mut store, &module, &code).unwrap();
    assert_eq!(
        call(&mut store, inst, "quad", &[Value::I64(5)]).unwrap(),
        vec![Value::I64(20)]
    );
    let trap = call(&mut store, inst, "quad", &[Value::I64(-1)]).unwrap_err();
    assert_eq!(trap.kind(), TrapKind::Host);
    assert!(trap.to_string().contains("negative"), "{trap}");
    assert_eq!(
        call(&mut store, inst, "quad", &[Value::I64(1)]).unwrap(),
        vec![Value::I64(4)]
    );
}

/// Run in a child process: a segfault in host code must kill it.
#[test]
fn a_host_segfault_is_not_swallowed() {
    if std::env::var_os("SKIFF_SEGV_CHILD").is_some() {
        // Make sure Skiff's handlers are installed, then fault outside generated code.
        let mut store = Store::default();
        let inst = instantiate(&mut store, GUEST);
        assert_eq!(
            call(&mut store, inst, "fine", &[]).unwrap(),
            vec![Value::I32(42)]
        );
        // SAFETY: not safe at all: this is the fault the test expects to kill the process.
        unsafe { std::ptr::write_volatile(std::ptr::null_mut::<u32>(), 1) };
        unreachable!("the write above faults");
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "a_host_segfault_is_not_swallowed",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("SKIFF_SEGV_CHILD", "1")
        .output()
        .unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(
        out.status.signal(),
        Some(libc::SIGSEGV),
        "child status {:?}, stderr {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_trap_names_every_frame_from_the_innermost() {
    let mut store = Store::default();
    let inst = instantiate(
        &mut store,
        r#"(module
            (func $outer (export "outer") (call $middle))
            (func $middle (call $inner))
            (func $inner unreachable))"#,
    );
    let trap = call(&mut store, inst, "outer", &[]).unwrap_err();
    assert_eq!(trap.kind(), TrapKind::Unreachable);
    let names: Vec<Option<&str>> = trap.backtrace().iter().map(|f| f.name.as_deref()).collect();
    assert_eq!(names, [Some("inner"), Some("middle"), Some("outer")]);
    assert!(trap.backtrace()[0].offset.is_some(), "{trap}");
}
