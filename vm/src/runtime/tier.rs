//! The contract between the runtime and an execution tier.

use super::instance::TierState;
use super::store::{InstanceId, Store};
use super::trap::Trap;
use super::value::Value;
use crate::error::Error;
use crate::validate::ValidatedModule;
use std::any::Any;
use std::sync::Arc;

/// A compiled module, and its code as bytes to keep, or why there are none.
pub type KeptCompile = (Arc<dyn CompiledModule>, Result<Vec<u8>, String>);

/// Where a tier hands the code to keep of a module it compiles (or why it
/// has none), perhaps later and on another thread.
pub type KeepFn = Box<dyn FnOnce(Result<Vec<u8>, String>) + Send>;

/// Where a tier may find code kept earlier for a module (a code cache's
/// entry): bytes that [`Tier::compile_to_keep`] returned for it on a tier
/// with the same [`Tier::code_key`], or `None`.
pub type KeptFn = Box<dyn FnOnce() -> Option<Box<dyn KeptSource>> + Send>;

/// Code kept earlier, as a tier loads it: the bytes [`Tier::compile_to_keep`]
/// returned and, when they were read from a file by mapping it, the file
/// and the offset in it of their first byte, so that a tier may map what it
/// runs straight from the file instead of copying it.
#[derive(Clone, Copy)]
pub struct KeptCode<'a> {
    /// The kept bytes.
    pub bytes: &'a [u8],
    /// The file they are a mapping of, and where in it they start.
    pub file: Option<(&'a std::fs::File, u64)>,
}

/// What holds kept code while a tier loads it (a [`KeptFn`]'s result): bytes
/// in memory, or a mapping of the file they are in.
pub trait KeptSource: Send {
    /// The code.
    fn code(&self) -> KeptCode<'_>;
}

/// An execution tier: turns validated modules into code it can run.
pub trait Tier: Send + Sync {
    /// The tier's name, as the command line spells it (`interp`, `jit`).
    fn name(&self) -> &'static str;

    /// Compiles every function of `module`.
    fn compile(&self, module: &Arc<ValidatedModule>) -> Result<Arc<dyn CompiledModule>, Error>;

    /// What decides the code this tier makes besides the module: its
    /// target, the processor features it uses and its settings. Kept code
    /// is loaded only by a tier with the same key.
    fn code_key(&self) -> String {
        self.name().to_string()
    }

    /// Compiles `module` as [`Tier::compile`] does, and also returns its
    /// code as bytes to keep (in a code cache or an ahead-of-time
    /// artifact), or why it has none to keep.
    fn compile_to_keep(&self, module: &Arc<ValidatedModule>) -> Result<KeptCompile, Error> {
        let why = format!("the {} tier has no compiled code to keep", self.name());
        Ok((self.compile(module)?, Err(why)))
    }

    /// What [`Tier::compile_to_keep`] returns to keep of `module`, without
    /// the module compiled to run in this process (an ahead-of-time
    /// artifact, written and not run). A tier overrides it when making code
    /// runnable costs something.
    fn compile_only_to_keep(
        &self,
        module: &Arc<ValidatedModule>,
    ) -> Result<Result<Vec<u8>, String>, Error> {
        self.compile_to_keep(module).map(|(_, kept)| kept)
    }

    /// Compiles `module` as [`Tier::compile`] does, and hands its code to
    /// keep to `keep` once it has it: at once, or, for a tier that compiles
    /// in the background, later and from another thread (or never, if the
    /// process ends first).
    fn compile_then_keep(
        &self,
        module: &Arc<ValidatedModule>,
        keep: KeepFn,
    ) -> Result<Arc<dyn CompiledModule>, Error> {
        let (code, kept) = self.compile_to_keep(module)?;
        keep(kept);
        Ok(code)
    }

    /// The module's code from `kept` when it has some that loads, else
    /// compiled as [`Tier::compile_then_keep`] does (handing the new code
    /// to `keep`). A tier that starts modules on an interpreter may look in
    /// `kept` and compile later, on another thread.
    ///
    /// # Safety
    /// What `kept` returns is run as machine code, as for [`Tier::load_kept`].
    unsafe fn load_or_compile(
        &self,
        module: &Arc<ValidatedModule>,
        kept: KeptFn,
        keep: KeepFn,
    ) -> Result<Arc<dyn CompiledModule>, Error> {
        if let Some(code) = kept() {
            // SAFETY: the caller's guarantee.
            if let Ok(loaded) = unsafe { self.load_kept(module, code.code()) } {
                return Ok(loaded);
            }
        }
        self.compile_then_keep(module, keep)
    }

    /// The compiled module whose code `code` holds, without compiling.
    ///
    /// # Safety
    /// `code` must be bytes that [`Tier::compile_to_keep`] returned for
    /// `module` on a tier with the same [`Tier::code_key`]: the tier runs
    /// them as machine code, and checks only their structure. When they
    /// come with a file, that file must hold them at that offset, and go on
    /// holding them unchanged while the module lives (the tier may run them
    /// from a mapping of it).
    unsafe fn load_kept(
        &self,
        module: &Arc<ValidatedModule>,
        code: KeptCode<'_>,
    ) -> Result<Arc<dyn CompiledModule>, Error> {
        let _ = (module, code);
        Err(Error::without_offset(
            crate::ErrorKind::Unsupported,
            format!("the {} tier keeps no code", self.name()),
        ))
    }
}

/// A function of a WebAssembly instance: the instance, and the function's
/// index in its module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WasmFunc {
    /// The instance.
    pub instance: InstanceId,
    /// The function index in the instance's module.
    pub index: u32,
}

impl WasmFunc {
    /// Its index among the functions `module` defines (after the imported
    /// ones); a trap when it is an import.
    pub fn defined_index(&self, module: &crate::Module) -> Result<u32, Trap> {
        self.index
            .checked_sub(module.num_imported_funcs)
            .ok_or_else(|| Trap::host(format!("function {} is imported, not defined", self.index)))
    }
}

/// A module compiled by a tier, shared by all its instances.
pub trait CompiledModule: Send + Sync {
    /// Calls `f`, a function the module defines (the store calls imports
    /// through the functions they resolved to, which belong to other
    /// instances), with `args` already checked against its type; returns
    /// its results.
    fn call(&self, store: &mut Store, f: WasmFunc, args: &[Value]) -> Result<Vec<Value>, Trap>;

    /// Calls `f` as [`CompiledModule::call`] does, with its arguments in
    /// `slots` as the runtime lays values out
    /// ([`slots_of`](super::value::slots_of) slots each), where its results
    /// go; `slots` holds as many slots as the larger of the two needs. A
    /// tier whose code reads that layout itself spares the conversions.
    fn call_slots(&self, store: &mut Store, f: WasmFunc, slots: &mut [u64]) -> Result<(), Trap> {
        let ty = store
            .instance(f.instance)
            .module()
            .func_type(f.index)
            .clone();
        let args = super::value::read_slots(ty.params(), slots);
        let results = self.call(store, f, &args)?;
        super::value::write_slots(&results, slots);
        Ok(())
    }

    /// Makes what the tier keeps per instance, once the instance's objects
    /// exist and before its segments and start function run. The store
    /// keeps it, unchanged, as long as the store lives.
    fn instantiate(
        &self,
        store: &mut Store,
        instance: InstanceId,
    ) -> Result<Option<TierState>, Trap> {
        let _ = (store, instance);
        Ok(None)
    }

    /// For a module that an engine runs on an interpreter first (a tiered
    /// engine's): the interpreter's code, which an interpreter calling into
    /// the module from another instance may run itself while the module's
    /// compiled code is not installed. `None` for other modules.
    fn interpreted(&self) -> Option<Arc<dyn CompiledModule>> {
        None
    }

    /// The tier's own type, so that a tier can recognize its code in another instance.
    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync>;
}
