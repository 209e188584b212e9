//! What the interpreter's test files share.

use skiff_interp::Interpreter;
use skiff_vm::runtime::{Extern, Linker, Metering, Store, Tier, Trap, Value};
use skiff_vm::{Features, load};
use std::sync::Arc;

/// Instantiates `wat` on the interpreter in a fresh store and calls its
/// export `f` with `args`.
pub fn call(wat: &str, args: &[Value]) -> Result<Vec<Value>, Trap> {
    call_metered(wat, args, None).map(|(results, _)| results)
}

/// As [`call`]; with `fuel`, the code meters fuel and the store starts with
/// that much. Returns the results and the fuel left.
#[allow(dead_code)]
pub fn call_metered(
    wat: &str,
    args: &[Value],
    fuel: Option<u64>,
) -> Result<(Vec<Value>, u64), Trap> {
    let module = Arc::new(load(wat.as_bytes(), &Features::ALL).expect("valid module"));
    let metering = Metering {
        fuel: fuel.is_some(),
        epochs: false,
    };
    let code = Interpreter::with_metering(metering)
        .compile(&module)
        .expect("translates");
    let mut store = Store::default();
    store.set_fuel(fuel.unwrap_or(0));
    let inst = Linker::new()
        .instantiate(&mut store, &module, &code)
        .expect("instantiates");
    let Some(Extern::Func(f)) = store.instance(inst).export("f") else {
        panic!("no export f");
    };
    let results = store.call(f, args)?;
    Ok((results, store.fuel()))
}
