//! Modules large enough to be compiled on several threads give the same
//! code and the same errors as if compiled one function after another.

use skiff_jit::Jit;
use skiff_vm::runtime::{Extern, Linker, Store, Tier, Value};
use skiff_vm::{Features, load};
use std::fmt::Write;
use std::sync::Arc;

/// Functions in the generated module; with their padding that is well over
/// the size below which the JIT compiles on one thread.
const FUNCS: u32 = 4000;
/// Every `CHAIN`th function starts a new chain of direct calls.
const CHAIN: u32 = 50;

/// `f_i(x) = f_{i-1}(x) + i`, except that `f_i(x) = x + i` where `i` is a
/// multiple of `CHAIN`; `pick(i, x)` calls `f_i` through a table.
fn chained_module() -> String {
    let mut wat = String::from("(module\n  (type $t (func (param i32) (result i32)))\n");
    for i in 0..FUNCS {
        let first = if i % CHAIN == 0 {
            "(local.get 0)".to_string()
        } else {
            format!("(call $f{} (local.get 0))", i - 1)
        };
        // Padding that compiles to nothing, so the code is large.
        let pad = "(drop (i32.mul (local.get 0) (i32.const 7)))".repeat(4);
        writeln!(
            wat,
            "  (func $f{i} (type $t) {pad} (i32.add {first} (i32.const {i})))"
        )
        .unwrap();
    }
    wat.push_str("  (table funcref (elem");
    for i in 0..FUNCS {
        write!(wat, " $f{i}").unwrap();
    }
    wat.push_str("))\n");
    wat.push_str(
        "  (func (export \"pick\") (param i32 i32) (result i32)\n    \
         (call_indirect (type $t) (local.get 1) (local.get 0))))",
    );
    wat
}

#[test]
fn a_large_module_links_calls_across_threads() {
    let wat = chained_module();
    let module = Arc::new(load(wat.as_bytes(), &Features::WASM2).expect("valid module"));
    let code_bytes: usize = module.module().code.iter().map(|b| b.range.len()).sum();
    assert!(code_bytes > 128 * 1024, "only {code_bytes} bytes of code");
    let code = Jit::new().unwrap().compile(&module).expect("compiles");
    let mut store = Store::default();
    let inst = Linker::new()
        .instantiate(&mut store, &module, &code)
        .expect("instantiates");
    let Some(Extern::Func(pick)) = store.instance(inst).export("pick") else {
        panic!("no export pick");
    };
    for i in [0, 1, 49, 50, 777, 1999, 2023, FUNCS - 1] {
        let chain_start = i - i % CHAIN;
        let expected = 1000 + (chain_start..=i).sum::<u32>() as i32;
        let got = store
            .call(pick, &[Value::I32(i as i32), Value::I32(1000)])
            .unwrap();
        assert_eq!(got, vec![Value::I32(expected)], "f{i}");
    }
}

/// Vector instructions in two functions of a module compiled on threads
/// (the parallel work's error ordering is `vm::parallel`'s own test).
#[test]
fn vector_code_in_a_large_module_compiles_on_threads() {
    let mut wat = chained_module();
    for f in ["$f1500", "$f3000"] {
        let head = format!("(func {f} (type $t)");
        wat = wat.replacen(&head, &format!("{head} (drop (v128.const i64x2 0 0))"), 1);
    }
    let module = Arc::new(load(wat.as_bytes(), &Features::WASM2).expect("valid module"));
    let code = Jit::new().unwrap().compile(&module).expect("compiles");
    let mut store = Store::default();
    let inst = Linker::new()
        .instantiate(&mut store, &module, &code)
        .expect("instantiates");
    let Some(Extern::Func(pick)) = store.instance(inst).export("pick") else {
        panic!("no export pick");
    };
    let chain_start = 1500 - 1500 % CHAIN;
    let expected = 1000 + (chain_start..=1500).sum::<u32>() as i32;
    let got = store
        .call(pick, &[Value::I32(1500), Value::I32(1000)])
        .unwrap();
    assert_eq!(got, vec![Value::I32(expected)]);
}
