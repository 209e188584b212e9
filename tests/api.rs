//! The embedding API on both tiers: stores own their objects, handles are
//! checked against their store, host functions see the store only through
//! their caller, and a host panic never unwinds through WebAssembly frames.

mod common;

use common::engines;
use skiff::{
    Caller, Extern, Func, FuncType, Global, GlobalType, Linker, Memory, MemoryType, Module, Store,
    Table, TableType, Trap, TrapKind, Val, ValType,
};
use std::panic::{AssertUnwindSafe, catch_unwind};

const GUEST: &str = r#"(module
  (import "host" "call_back" (func $call_back (param i32) (result i32)))
  (import "host" "boom" (func $boom (param i32)))
  (memory (export "memory") 1)
  (global (export "counter") (mut i32) (i32.const 7))
  (global (export "fixed") i32 (i32.const 1))
  (table (export "table") 2 funcref)
  (func $double (export "double") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2)))
  (func (export "via_host") (param i32) (result i32) (call $call_back (local.get 0)))
  (func (export "panics") (param i32) (call $boom (local.get 0)))
  (func (export "deep") (param i32) (result i32)
    (i32.add (call $call_back (local.get 0)) (i32.const 1)))
  (elem (i32.const 0) $double))"#;

#[derive(Default)]
struct Host {
    calls: u32,
}

fn linker() -> Linker<Host> {
    let mut linker = Linker::new();
    // Calls back into the guest's `double`, through the store the caller lends.
    linker.func_wrap(
        "host",
        "call_back",
        |mut caller: Caller<'_, Host>, x: i32| -> Result<i32, Trap> {
            caller.data_mut().calls += 1;
            let Some(Extern::Func(double)) = caller.get_export("double") else {
                return Err(Trap::host("no double"));
            };
            let double = double.typed::<i32, i32>(&caller)?;
            double.call(&mut caller, x)
        },
    );
    linker.func_wrap("host", "boom", |x: i32| {
        if x == 1 {
            panic!("the host gave up on {x}");
        }
    });
    linker
}

#[test]
fn host_functions_reach_the_store_through_their_caller() {
    for engine in engines() {
        let module = Module::new(&engine, GUEST.as_bytes()).unwrap();
        let mut store = Store::new(&engine, Host::default());
        let inst = linker().instantiate(&mut store, &module).unwrap();
        let via_host = inst.get_typed_func::<i32, i32>(&store, "via_host").unwrap();
        assert_eq!(via_host.call(&mut store, 21).unwrap(), 42, "{engine:?}");
        assert_eq!(store.data().calls, 1);

        let memory = inst.get_memory(&store, "memory").unwrap();
        memory.write(&mut store, 100, b"skiff").unwrap();
        let mut buf = [0; 5];
        memory.read(&store, 100, &mut buf).unwrap();
        assert_eq!(&buf, b"skiff");
        assert_eq!(&memory.data(&store)[100..105], b"skiff");
        assert!(memory.write(&mut store, 65534, b"xyz").is_err());
        assert_eq!(memory.grow(&mut store, 1).unwrap(), 1);
        assert_eq!(memory.size(&store), 2);

        let counter = inst.get_global(&store, "counter").unwrap();
        assert_eq!(counter.get(&store), Val::I32(7));
        counter.set(&mut store, Val::I32(9)).unwrap();
        assert_eq!(counter.get(&store), Val::I32(9));
        assert!(counter.set(&mut store, Val::I64(9)).is_err(), "wrong type");
        let fixed = inst.get_global(&store, "fixed").unwrap();
        assert!(fixed.set(&mut store, Val::I32(2)).is_err(), "immutable");

        let table = inst.get_table(&store, "table").unwrap();
        let Some(Val::FuncRef(Some(double))) = table.get(&store, 0) else {
            panic!("element 0 is $double");
        };
        let mut out = [Val::I32(0)];
        double.call(&mut store, &[Val::I32(5)], &mut out).unwrap();
        assert_eq!(out, [Val::I32(10)]);
        assert_eq!(table.get(&store, 1), Some(Val::FuncRef(None)));
        assert_eq!(table.get(&store, 2), None);
        table
            .set(&mut store, 1, Val::FuncRef(Some(double)))
            .unwrap();
        assert_eq!(table.grow(&mut store, 3, Val::FuncRef(None)).unwrap(), 2);
        assert_eq!(table.size(&store), 5);
        assert!(table.set(&mut store, 0, Val::I32(1)).is_err(), "not a ref");
    }
}

#[test]
fn a_host_panic_resumes_in_the_embedder_on_both_tiers() {
    for engine in engines() {
        let module = Module::new(&engine, GUEST.as_bytes()).unwrap();
        let mut store = Store::new(&engine, Host::default());
        let inst = linker().instantiate(&mut store, &module).unwrap();
        let panics = inst.get_typed_func::<i32, ()>(&store, "panics").unwrap();
        let payload = catch_unwind(AssertUnwindSafe(|| panics.call(&mut store, 1)))
            .expect_err("the host's panic reaches the embedder");
        assert_eq!(
            payload.downcast_ref::<String>().map(String::as_str),
            Some("the host gave up on 1"),
            "{engine:?}"
        );
        // The Wasm frames were unwound as by a trap; the store works on.
        panics.call(&mut store, 0).unwrap();
        let deep = inst.get_typed_func::<i32, i32>(&store, "deep").unwrap();
        assert_eq!(deep.call(&mut store, 4).unwrap(), 9);
    }
}

#[test]
fn a_panic_nested_under_wasm_and_host_frames_resumes_at_each_boundary() {
    for engine in engines() {
        let module = Module::new(&engine, GUEST.as_bytes()).unwrap();
        let mut store = Store::new(&engine, ());
        let mut linker = Linker::new();
        // call_back re-enters the guest's `panics`, whose host import panics:
        // the panic crosses two Wasm activations, each unwound as a trap.
        linker.func_wrap(
            "host",
            "call_back",
            |mut caller: Caller<'_, ()>, x: i32| -> Result<i32, Trap> {
                let panics = caller.get_export("panics").unwrap().into_func().unwrap();
                panics.call(&mut caller, &[Val::I32(x)], &mut [])?;
                Ok(0)
            },
        );
        linker.func_wrap("host", "boom", |x: i32| {
            if x == 1 {
                panic!("deep panic");
            }
        });
        let inst = linker.instantiate(&mut store, &module).unwrap();
        let via_host = inst.get_typed_func::<i32, i32>(&store, "via_host").unwrap();
        let payload = catch_unwind(AssertUnwindSafe(|| via_host.call(&mut store, 1)))
            .expect_err("the panic reaches the embedder");
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"deep panic"));
        assert_eq!(via_host.call(&mut store, 0).unwrap(), 0, "{engine:?}");
    }
}

/// Runs `f` and returns the message it panicked with.
fn panic_message(f: impl FnOnce()) -> String {
    let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("it panics");
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

#[test]
fn handles_used_with_another_store_panic_instead_of_reaching_its_objects() {
    for engine in engines() {
        let module = Module::new(&engine, GUEST.as_bytes()).unwrap();
        let mut a = Store::new(&engine, Host::default());
        let mut b = Store::new(&engine, Host::default());
        let ia = linker().instantiate(&mut a, &module).unwrap();
        let _ib = linker().instantiate(&mut b, &module).unwrap();
        let double = ia.get_func(&a, "double").unwrap();
        let memory = ia.get_memory(&a, "memory").unwrap();
        let global = ia.get_global(&a, "counter").unwrap();
        let table = ia.get_table(&a, "table").unwrap();
        let wrong = "a handle of one store was used with another store";
        assert_eq!(
            panic_message(|| drop(double.call(&mut b, &[Val::I32(1)], &mut [Val::I32(0)]))),
            wrong
        );
        assert_eq!(
            panic_message(|| {
                let _ = memory.data(&b);
            }),
            wrong
        );
        assert_eq!(
            panic_message(|| {
                let _ = global.get(&b);
            }),
            wrong
        );
        assert_eq!(
            panic_message(|| {
                let _ = table.size(&b);
            }),
            wrong
        );
        assert_eq!(
            panic_message(|| {
                let _ = ia.get_func(&b, "double");
            }),
            wrong
        );
        // A reference to a function of store `a` cannot be stored in `b`.
        let tb = _ib.get_table(&b, "table").unwrap();
        assert_eq!(
            panic_message(|| drop(tb.set(&mut b, 0, Val::FuncRef(Some(double))))),
            wrong
        );
        // Nor can a linker definition of store `a` satisfy an import in `b`.
        let importer =
            Module::new(&engine, br#"(module (import "a" "memory" (memory 1)))"#).unwrap();
        let mut l = Linker::<Host>::new();
        l.define("a", "memory", memory);
        let err = l.instantiate(&mut b, &importer).unwrap_err().to_string();
        assert!(err.contains("another store"), "{err}");
        assert!(l.instantiate(&mut a, &importer).is_ok());
    }
}

#[test]
fn objects_made_by_the_host_link_and_check_their_types() {
    for engine in engines() {
        let mut store = Store::new(&engine, ());
        let memory = Memory::new(
            &mut store,
            MemoryType {
                limits: skiff::Limits {
                    min: 1,
                    max: Some(2),
                },
                addr: skiff::AddrType::I32,
            },
        )
        .unwrap();
        let global = Global::new(
            &mut store,
            GlobalType {
                content: ValType::I64,
                mutable: true,
            },
            Val::I64(-5),
        )
        .unwrap();
        let table = Table::new(
            &mut store,
            TableType {
                elem: skiff::RefType::FUNCREF,
                limits: skiff::Limits { min: 1, max: None },
                addr: skiff::AddrType::I32,
            },
            Val::FuncRef(None),
        )
        .unwrap();
        let add = Func::new(
            &mut store,
            FuncType::new([ValType::I64], [ValType::I64]),
            |_, args, results| {
                let Val::I64(x) = args[0] else { unreachable!() };
                results[0] = Val::I64(x + 1);
                Ok(())
            },
        );
        let module = Module::new(
            &engine,
            br#"(module
              (import "env" "memory" (memory 1 2))
              (import "env" "g" (global $g (mut i64)))
              (import "env" "t" (table 1 funcref))
              (import "env" "add" (func $add (param i64) (result i64)))
              (func (export "run") (result i64)
                (i64.store (i32.const 8) (call $add (global.get $g)))
                (global.set $g (i64.load (i32.const 8)))
                (global.get $g)))"#,
        )
        .unwrap();
        let mut linker = Linker::new();
        linker
            .define("env", "memory", memory)
            .define("env", "g", global)
            .define("env", "t", table)
            .define("env", "add", add);
        let inst = linker.instantiate(&mut store, &module).unwrap();
        let run = inst.get_typed_func::<(), i64>(&store, "run").unwrap();
        assert_eq!(run.call(&mut store, ()).unwrap(), -4);
        assert_eq!(global.get(&store), Val::I64(-4));
        assert_eq!(&memory.data(&store)[8..16], &(-4i64).to_le_bytes());

        // A definition of the wrong type is a link error.
        let mut bad = Linker::new();
        bad.define("env", "memory", memory)
            .define("env", "g", global)
            .define("env", "t", table)
            .func_wrap("env", "add", |x: i32| x);
        let err = bad
            .instantiate(&mut store, &module)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("incompatible import type for env.add"),
            "{err}"
        );
        // A trap raised by a host function comes back with its message.
        let mut trapping = linker.clone();
        trapping.func_wrap("env", "add", |_: i64| -> Result<i64, Trap> {
            Err(Trap::host("refused"))
        });
        let inst = trapping.instantiate(&mut store, &module).unwrap();
        let run = inst.get_typed_func::<(), i64>(&store, "run").unwrap();
        let trap = run.call(&mut store, ()).unwrap_err();
        assert_eq!(trap.kind(), TrapKind::Host);
        assert!(trap.to_string().contains("refused"), "{trap}");
    }
}

/// A host function moves bytes between the guest's memory and the store's
/// data in one borrow (`Memory::data_and_store_mut`), and the guest sees
/// what it wrote.
#[test]
fn a_host_function_reaches_memory_and_data_at_once() {
    let wat = r#"(module
      (import "host" "take" (func $take (param i32 i32)))
      (memory (export "memory") 1)
      (data (i32.const 16) "request body")
      (func (export "run") (result i32)
        (call $take (i32.const 16) (i32.const 12))
        (i32.load8_u (i32.const 16))))"#;
    for engine in engines() {
        let kind = engine.kind();
        let module = Module::new(&engine, wat.as_bytes()).unwrap();
        let mut linker: Linker<Vec<u8>> = Linker::new();
        linker.func_wrap(
            "host",
            "take",
            |mut caller: Caller<'_, Vec<u8>>, ptr: i32, len: i32| {
                let Some(Extern::Memory(memory)) = caller.get_export("memory") else {
                    return Err(Trap::host("no memory"));
                };
                let (bytes, taken) = memory.data_and_store_mut(&mut caller);
                let range = ptr as usize..(ptr + len) as usize;
                taken.extend_from_slice(&bytes[range.clone()]);
                bytes[range.start] = b'R';
                Ok(())
            },
        );
        let mut store = Store::new(&engine, Vec::new());
        let instance = linker.instantiate(&mut store, &module).unwrap();
        let run = instance.get_typed_func::<(), i32>(&store, "run").unwrap();
        assert_eq!(run.call(&mut store, ()).unwrap(), i32::from(b'R'), "{kind}");
        assert_eq!(store.data(), b"request body", "{kind}");
        // From the embedder's side too.
        let memory = instance.get_memory(&store, "memory").unwrap();
        let (bytes, data) = memory.data_and_store_mut(&mut store);
        data.push(bytes[17]);
        assert_eq!(store.data().last(), Some(&b'e'), "{kind}");
    }
}
