//! Traps keep coming back as values while other threads compile, register
//! and free code: the signal handler's look-up of the faulting address must
//! never miss because another thread is changing the code registry.

use skiff_jit::Jit;
use skiff_vm::runtime::{Extern, InstanceId, Linker, Store, Tier, TrapKind, Value};
use skiff_vm::{Features, load};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

fn instantiate(jit: &Jit, store: &mut Store, wat: &str) -> InstanceId {
    let module = Arc::new(load(wat.as_bytes(), &Features::WASM2).expect("valid module"));
    let code = jit.compile(&module).expect("compiles");
    Linker::new()
        .instantiate(store, &module, &code)
        .expect("instantiates")
}

fn export(store: &Store, inst: InstanceId, name: &str) -> skiff_vm::runtime::Func {
    match store.instance(inst).export(name) {
        Some(Extern::Func(f)) => f,
        _ => panic!("no export {name}"),
    }
}

const TRAPPING: &str = r#"(module
  (memory 1)
  (func (export "boom") unreachable)
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "div") (param i32) (result i32) (i32.div_u (i32.const 7) (local.get 0))))"#;

/// A module of several functions, so that registering and freeing it
/// rewrites a registry of some size.
fn churn_module(n: usize) -> String {
    let mut wat = String::from("(module (memory 1)");
    for i in 0..16 {
        wat.push_str(&format!(
            "(func (export \"f{i}\") (param i32) (result i32) \
             (i32.add (i32.load (local.get 0)) (i32.const {})))",
            n + i
        ));
    }
    wat.push(')');
    wat
}

#[test]
fn traps_never_miss_while_code_is_registered_and_freed() {
    const TRAPS_PER_THREAD: usize = 20_000;
    let jit = Jit::new().expect("the JIT runs here");
    let done = Arc::new(AtomicBool::new(false));
    let modules = Arc::new(AtomicUsize::new(0));

    let churners: Vec<_> = (0..2)
        .map(|t| {
            let (jit, done, modules) = (jit.clone(), done.clone(), modules.clone());
            std::thread::spawn(move || {
                let mut n = 0;
                while !done.load(Ordering::Relaxed) {
                    let mut store = Store::default();
                    let inst = instantiate(&jit, &mut store, &churn_module(t * 1_000_000 + n));
                    let f = export(&store, inst, "f3");
                    assert_eq!(
                        store.call(f, &[Value::I32(0)]).unwrap(),
                        vec![Value::I32((t * 1_000_000 + n + 3) as i32)]
                    );
                    n += 1;
                    modules.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();

    let trappers: Vec<_> = (0..2)
        .map(|_| {
            let jit = jit.clone();
            std::thread::spawn(move || {
                let mut store = Store::default();
                let inst = instantiate(&jit, &mut store, TRAPPING);
                let cases = [
                    ("boom", vec![], TrapKind::Unreachable),
                    (
                        "load",
                        vec![Value::I32(70_000)],
                        TrapKind::MemoryOutOfBounds,
                    ),
                    ("div", vec![Value::I32(0)], TrapKind::IntegerDivisionByZero),
                ];
                for i in 0..TRAPS_PER_THREAD {
                    let (name, args, kind) = &cases[i % cases.len()];
                    let f = export(&store, inst, name);
                    let trap = store.call(f, args).expect_err("traps");
                    assert_eq!(trap.kind(), *kind, "{name}, trap {i}");
                }
            })
        })
        .collect();

    for t in trappers {
        t.join().expect("every trap came back as a value");
    }
    done.store(true, Ordering::Relaxed);
    for t in churners {
        t.join().expect("compiling threads finish");
    }
    assert!(
        modules.load(Ordering::Relaxed) > 0,
        "code was registered and freed while the traps ran"
    );
}
