//! What the interpreter's test files share.

use skiff_interp::Interpreter;
use skiff_vm::runtime::{Extern, Linker, Store, Tier, Trap, Value};
use skiff_vm::{Features, load};
use std::sync::Arc;

/// Instantiates `wat` on the interpreter in a fresh store and calls its
/// export `f` with `args`.
pub fn call(wat: &str, args: &[Value]) -> Result<Vec<Value>, Trap> {
    let module = Arc::new(load(wat.as_bytes(), &Features::ALL).expect("valid module"));
    let code = Interpreter::new().compile(&module).expect("translates");
    let mut store = Store::default();
    let inst = Linker::new()
        .instantiate(&mut store, &module, code)
        .expect("instantiates");
    let Some(Extern::Func(f)) = store.instance(inst).export("f") else {
        panic!("no export f");
    };
    store.call(f, args)
}
