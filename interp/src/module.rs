//! A module translated for the interpreter.

use crate::code::FuncCode;
use crate::exec;
use skiff_vm::ValidatedModule;
use skiff_vm::runtime::{CompiledModule, Store, Trap, Value, WasmFunc};
use std::any::Any;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

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
    /// Set when another tier's code has taken over the module's functions
    /// (see [`InterpModule::hand_over`]): from then on, the interpreter
    /// sends its calls to them through the store, and only frames that
    /// were running already finish here.
    pub(crate) handed_over: AtomicBool,
}

impl InterpModule {
    /// The translated code of defined function `i` (in code-section order), to read.
    pub fn func(&self, i: usize) -> Option<&FuncCode> {
        self.funcs.get(i)
    }

    /// Hands the module's functions over to another tier: from now on, a
    /// call the interpreter makes to one of them (from a frame it runs
    /// already) goes through the store, to the code the instance has then.
    /// Used by a tiered engine once its compiled code is installed.
    pub fn hand_over(&self) {
        self.handed_over.store(true, Ordering::Release);
    }

    /// Whether [`InterpModule::hand_over`] was called.
    #[inline(always)]
    pub(crate) fn is_handed_over(&self) -> bool {
        self.handed_over.load(Ordering::Relaxed)
    }

    /// Calls `f`, a function of an instance of this module, as
    /// [`CompiledModule::call`] does, whatever code the instance holds (a
    /// tiered engine's, which holds this module's too).
    pub fn call_shared(
        self: &Arc<Self>,
        store: &mut Store,
        f: WasmFunc,
        args: &[Value],
    ) -> Result<Vec<Value>, Trap> {
        let defined = f.defined_index(self.module.module())?;
        exec::invoke(store, self.clone(), f.instance, defined, args)
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
        this.call_shared(store, f, args)
    }

    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }
}
