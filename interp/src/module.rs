//! A module translated for the interpreter.

use crate::code::FuncCode;
use crate::module_ref::ModuleRef;
use crate::{exec, translate};
use skiff_vm::runtime::{CompiledModule, Metering, Store, Trap, Value, WasmFunc};
use skiff_vm::{Error, ValidatedModule};
use std::any::Any;
use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering};
use std::sync::{Arc, OnceLock};

thread_local! {
    /// The translator's reusable buffers, for functions translated on their first call.
    static SCRATCH: RefCell<translate::Scratch> = RefCell::default();
}

/// Every defined function of a module, each translated on its first call
/// (the module was validated as a whole before). Only
/// [`crate::Interpreter`] makes one: the handlers trust the code it holds
/// (jump targets and slots were checked when it was translated), so it is
/// never writable from outside.
///
/// Aligned apart from the reference counts of the `Arc` that shares it (as
/// a validated module is).
#[repr(align(128))]
pub struct InterpModule {
    /// The validated module.
    pub(crate) module: Arc<ValidatedModule>,
    /// Translated code of each defined function, in code-section order,
    /// once translated; a function's code never moves or changes after.
    pub(crate) funcs: Box<[OnceLock<FuncCode>]>,
    /// The fuel and epoch checks the code has.
    pub(crate) metering: Metering,
    /// How many functions the module imports: a function index minus this
    /// is an index in `funcs`.
    pub(crate) num_imported_funcs: u32,
    /// Set when another tier's code has taken over the module's functions
    /// (see [`InterpModule::hand_over`]): from then on, the interpreter
    /// sends its calls to them through the store, and only frames that
    /// were running already finish here.
    pub(crate) handed_over: AtomicBool,
    /// Where the threaded `Call` may enter each function directly: its code
    /// once translated, null before, and null again for every function once
    /// the module is handed over (so that one load tells it both).
    pub(crate) entries: Box<[AtomicPtr<FuncCode>]>,
}

impl InterpModule {
    /// The translated code of defined function `i` (in code-section
    /// order), to read; translated now if it was not yet.
    pub fn func(&self, i: usize) -> Option<&FuncCode> {
        self.code(u32::try_from(i).ok()?).ok()
    }

    /// The code of defined function `i`, translated on its first use.
    #[inline(always)]
    pub(crate) fn code(&self, i: u32) -> Result<&FuncCode, Error> {
        match self.funcs.get(i as usize).and_then(OnceLock::get) {
            Some(code) => Ok(code),
            None => self.translate(i),
        }
    }

    /// The code of defined function `i`, which has been entered (so it is
    /// translated): the running function, or one with a frame on the
    /// machine's call stack.
    #[inline(always)]
    pub(crate) fn translated(&self, i: u32) -> &FuncCode {
        let code = self.funcs[i as usize].get();
        debug_assert!(code.is_some(), "function {i} runs untranslated");
        // SAFETY: a machine makes a function the running one only once
        // `Machine::enter` or `Machine::call_within` has its code (a
        // failed translation ends the machine's run with a trap, before
        // anything asks for that function's code), and frames hold only
        // functions that ran; a translated function's code stays set.
        unsafe { code.unwrap_unchecked() }
    }

    /// Translates defined function `i` and keeps its code (when threads
    /// race to, one translation is kept, and both are the same).
    #[cold]
    fn translate(&self, i: u32) -> Result<&FuncCode, Error> {
        let m = self.module.module();
        let index = m.num_imported_funcs + i;
        let slot = self.funcs.get(i as usize).ok_or_else(|| {
            Error::without_offset(skiff_vm::ErrorKind::Invalid, format!("no function {index}"))
        })?;
        let info = &self.module.func_infos[i as usize];
        let code = SCRATCH
            .with(|s| translate::translate_with(&mut s.borrow_mut(), m, info, index, self.metering))
            .map_err(|e| e.in_func(index))?;
        let code = slot.get_or_init(|| code);
        let entry = &self.entries[i as usize];
        entry.store(std::ptr::from_ref(code).cast_mut(), Ordering::SeqCst);
        if self.handed_over.load(Ordering::SeqCst) {
            // Handed over meanwhile: calls go to compiled code from now on.
            entry.store(std::ptr::null_mut(), Ordering::SeqCst);
        }
        Ok(code)
    }

    /// Where a call may enter defined function `i` directly: its code when
    /// it is translated and the module is not handed over; null otherwise.
    #[inline(always)]
    pub(crate) fn entry(&self, i: u32) -> *const FuncCode {
        self.entries[i as usize].load(Ordering::Acquire)
    }

    /// Hands the module's functions over to another tier: from now on, a
    /// call the interpreter makes to one of them (from a frame it runs
    /// already) goes through the store, to the code the instance has then.
    /// Used by a tiered engine once its compiled code is installed.
    pub fn hand_over(&self) {
        // SeqCst, with `translate`'s: of the flag and an entry, whichever
        // is stored second sees the other, so no entry stays set.
        self.handed_over.store(true, Ordering::SeqCst);
        for entry in &self.entries {
            entry.store(std::ptr::null_mut(), Ordering::SeqCst);
        }
    }

    /// Whether [`InterpModule::hand_over`] was called.
    #[inline(always)]
    pub(crate) fn is_handed_over(&self) -> bool {
        // Acquire: the code the store then finds was installed before.
        self.handed_over.load(Ordering::Acquire)
    }

    /// Calls `f`, a function of an instance of this module, as
    /// [`CompiledModule::call`] does, whatever code the instance holds (a
    /// tiered engine's, which holds this module's too).
    pub fn call_shared(
        &self,
        store: &mut Store,
        f: WasmFunc,
        args: &[Value],
    ) -> Result<Vec<Value>, Trap> {
        let defined = f.defined_index(self.module.module())?;
        // SAFETY: `self` is borrowed until the call returns.
        let this = unsafe { ModuleRef::new(self) };
        exec::invoke(store, this, f.instance, defined, args)
    }
}

impl CompiledModule for InterpModule {
    fn call(&self, store: &mut Store, f: WasmFunc, args: &[Value]) -> Result<Vec<Value>, Trap> {
        self.call_shared(store, f, args)
    }

    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }
}
