//! A module translated for the interpreter.

use crate::code::FuncCode;
use crate::exec;
use skiff_vm::ValidatedModule;
use skiff_vm::runtime::{CompiledModule, Store, Trap, Value, WasmFunc};
use std::any::Any;
use std::sync::Arc;

/// Every defined function of a module, translated. Only [`crate::Interpreter`]
/// makes one: the handlers trust the code it holds (jump targets and slots
/// were checked when it was translated), so it is never writable from outside.
pub struct InterpModule {
    /// The validated module.
    pub(crate) module: Arc<ValidatedModule>,
    /// Translated code of each defined function, in code-section order.
    pub(crate) funcs: Vec<FuncCode>,
    /// How many functions the module imports: a function index minus this
    /// is an index in `funcs`.
    pub(crate) num_imported_funcs: u32,
}

impl InterpModule {
    /// The translated code of defined function `i` (in code-section order), to read.
    pub fn func(&self, i: usize) -> Option<&FuncCode> {
        self.funcs.get(i)
    }
}

impl CompiledModule for InterpModule {
    fn call(&self, store: &mut Store, f: WasmFunc, args: &[Value]) -> Result<Vec<Value>, Trap> {
        let this = store
            .instance(f.instance)
            .code()
            .clone()
            .into_any()
            .downcast::<InterpModule>()
            .map_err(|_| Trap::host("instance code is not the interpreter's"))?;
        debug_assert!(std::ptr::eq(Arc::as_ptr(&this), self));
        let defined = f.defined_index(self.module.module())?;
        exec::invoke(store, this, f.instance, defined, args)
    }

    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }
}
