//! The `spectest` module the scripts import from, as the reference
//! interpreter defines it (`interpreter/host/spectest.ml`): print functions
//! that do nothing here, four immutable globals, a table and a memory.

use skiff_vm::runtime::{Extern, Linker, Store, Value};
use skiff_vm::types::{
    AddrType, FuncType, GlobalType, Limits, MemoryType, RefType, TableType, ValType,
};

/// The module name scripts import from.
pub const NAME: &str = "spectest";

/// Defines `spectest` in `linker`, its objects living in `store`.
///
/// Fails only when the memory cannot be made (address space); everything
/// else is defined before that.
pub fn define(store: &mut Store, linker: &mut Linker) -> Result<(), String> {
    use ValType::{F32, F64, I32, I64};
    let prints: [(&str, &[ValType]); 7] = [
        ("print", &[]),
        ("print_i32", &[I32]),
        ("print_i64", &[I64]),
        ("print_f32", &[F32]),
        ("print_f64", &[F64]),
        ("print_i32_f32", &[I32, F32]),
        ("print_f64_f64", &[F64, F64]),
    ];
    for (name, params) in prints {
        let ty = FuncType::new(params.iter().copied(), []);
        linker.func(store, NAME, name, ty, |_, _, _| Ok(()));
    }
    let globals = [
        ("global_i32", Value::I32(666)),
        ("global_i64", Value::I64(666)),
        ("global_f32", Value::f32(666.6)),
        ("global_f64", Value::f64(666.6)),
    ];
    for (name, value) in globals {
        let ty = GlobalType {
            content: value.ty(),
            mutable: false,
        };
        let g = store
            .global(ty, value)
            .map_err(|e| format!("cannot make spectest.{name}: {e}"))?;
        linker.define(NAME, name, Extern::Global(g));
    }
    let table = store
        .table(TableType {
            elem: RefType::FUNCREF,
            limits: Limits {
                min: 10,
                max: Some(20),
            },
            addr: AddrType::I32,
        })
        .map_err(|e| format!("cannot make spectest.table: {e}"))?;
    linker.define(NAME, "table", Extern::Table(table));
    let memory = store
        .memory(&MemoryType {
            limits: Limits {
                min: 1,
                max: Some(2),
            },
            addr: AddrType::I32,
        })
        .map_err(|e| format!("cannot make spectest.memory: {e}"))?;
    linker.define(NAME, "memory", Extern::Memory(memory));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spectest_has_what_the_scripts_import() {
        let mut store = Store::default();
        let mut linker = Linker::new();
        define(&mut store, &mut linker).expect("spectest is defined");
        let Some(Extern::Global(g)) = linker.get(NAME, "global_f64") else {
            panic!("global_f64 is a global");
        };
        assert_eq!(store.global_value(g), Value::f64(666.6));
        let Some(Extern::Func(f)) = linker.get(NAME, "print_i32_f32") else {
            panic!("print_i32_f32 is a function");
        };
        assert_eq!(store.call(f, &[Value::I32(1), Value::f32(2.0)]), Ok(vec![]));
        let Some(Extern::Table(t)) = linker.get(NAME, "table") else {
            panic!("table is a table");
        };
        assert_eq!(store.table_ref(t).size(), 10);
        let Some(Extern::Memory(m)) = linker.get(NAME, "memory") else {
            panic!("memory is a memory");
        };
        assert_eq!(store.memory_ref(m).pages(), 1);
    }
}
