//! How the execution loop names the module whose code it runs: by address,
//! without counting a reference, since the loop switches modules at every
//! call between instances and threads running instances of one module at
//! once would contend for the count.

use crate::module::InterpModule;
use std::ops::Deref;
use std::ptr::NonNull;

/// A module's interpreter code, borrowed for as long as one call into a
/// store runs.
#[derive(Clone, Copy)]
pub(crate) struct ModuleRef(NonNull<InterpModule>);

impl ModuleRef {
    /// Names `module`.
    ///
    /// # Safety
    /// `module` must outlive every use of the reference. The loop keeps its
    /// references within one call into a store, so this holds for a module
    /// that the call's caller borrows for the whole call, and for one that
    /// an instance of the store holds (as its code, or inside a tiered
    /// engine's code): a store keeps its instances and their code until it
    /// is dropped, and the call borrows it.
    pub(crate) unsafe fn new(module: &InterpModule) -> ModuleRef {
        ModuleRef(NonNull::from(module))
    }
}

impl Deref for ModuleRef {
    type Target = InterpModule;

    fn deref(&self) -> &InterpModule {
        // SAFETY: the module outlives the reference (see `ModuleRef::new`).
        unsafe { self.0.as_ref() }
    }
}
