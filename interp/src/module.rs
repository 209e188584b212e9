//! A module translated for the interpreter.

use crate::code::FuncCode;
use crate::exec;
use skiff_vm::ValidatedModule;
use skiff_vm::runtime::{CompiledModule, InstanceId, Store, Trap, Value};
use std::any::Any;
use std::sync::Arc;

/// Every defined function of a module, translated.
pub struct InterpModule {
    /// The validated module.
    pub module: Arc<ValidatedModule>,
    /// Translated code of each defined function, in code-section order.
    pub funcs: Vec<FuncCode>,
    /// How many functions the module imports: a function index minus this
    /// is an index in `funcs`.
    pub num_imported_funcs: u32,
}

impl CompiledModule for InterpModule {
    fn call(
        &self,
        store: &mut Store,
        instance: InstanceId,
        index: u32,
        args: &[Value],
        results: &mut Vec<Value>,
    ) -> Result<(), Trap> {
        let this = store.instances[instance.0 as usize]
            .code
            .clone()
            .into_any()
            .downcast::<InterpModule>()
            .map_err(|_| Trap::host("instance code is not the interpreter's"))?;
        debug_assert!(std::ptr::eq(Arc::as_ptr(&this), self));
        let defined = index
            .checked_sub(self.num_imported_funcs)
            .ok_or_else(|| Trap::host(format!("function {index} is imported, not defined")))?;
        exec::invoke(store, this, instance, defined, args, results)
    }

    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }
}
