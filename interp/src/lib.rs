//! Skiff's threaded-code interpreter: the instant-start tier.
//!
//! Each validated function is translated once into threaded code: an
//! instruction per Wasm operator (or per frequent pair of them, fused) with
//! its decoded immediates, its operand and result slots, branch targets
//! resolved, and the address of the handler that runs it ([`code::Instr`]).
//! Handlers pass control to the next instruction's handler by tail calls, so
//! dispatch is one indirect jump per instruction, with the frame and memory
//! in registers. It all runs over the runtime of `skiff-vm`. Locals and
//! operands share one flat stack of 64-bit slots; WebAssembly calls push
//! frames on an explicit call stack, so deep guest recursion ends in a
//! stack-exhausted trap, never in a host crash.
//!
//! A module's functions are translated independently, each on its first
//! call (the module was validated whole when it was loaded), so a large
//! module starts as soon as it is validated and translates only what runs.
//! After translation a function's
//! jumps are threaded (`jumps`): a jump to a loop's condition or to a
//! dispatching `br_table` becomes a copy of what it jumps to.

mod charges;
pub mod code;
mod epochs;
mod exec;
mod float;
mod jumps;
mod module;
mod module_ref;
mod simd;
mod threaded;
pub mod translate;

pub use module::InterpModule;

use skiff_vm::runtime::{CompiledModule, Metering, Tier};
use skiff_vm::{Error, ValidatedModule};
use std::sync::{Arc, OnceLock};

/// The interpreter tier.
#[derive(Debug, Default, Clone, Copy)]
pub struct Interpreter {
    metering: Metering,
}

impl Interpreter {
    /// The interpreter, with no fuel or epoch checks in its code.
    pub fn new() -> Self {
        Interpreter::default()
    }

    /// The interpreter, checking fuel and epochs as `metering` says.
    pub fn with_metering(metering: Metering) -> Self {
        Interpreter { metering }
    }

    /// Prepares `module` to run, as [`Tier::compile`] does, keeping the
    /// interpreter's own type (for a tiered engine): each function is
    /// translated on its first call.
    pub fn compile_module(
        &self,
        module: &Arc<ValidatedModule>,
    ) -> Result<Arc<InterpModule>, Error> {
        let m = module.module();
        Ok(Arc::new(InterpModule {
            module: module.clone(),
            funcs: (0..m.code.len()).map(|_| OnceLock::new()).collect(),
            metering: self.metering,
            num_imported_funcs: m.num_imported_funcs,
            handed_over: Default::default(),
            entries: (0..m.code.len())
                .map(|_| std::sync::atomic::AtomicPtr::default())
                .collect(),
        }))
    }
}

impl Tier for Interpreter {
    fn name(&self) -> &'static str {
        "interp"
    }

    fn compile(&self, module: &Arc<ValidatedModule>) -> Result<Arc<dyn CompiledModule>, Error> {
        Ok(self.compile_module(module)?)
    }
}
