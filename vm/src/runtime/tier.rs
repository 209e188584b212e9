//! The contract between the runtime and an execution tier.

use super::instance::TierState;
use super::store::{InstanceId, Store};
use super::trap::Trap;
use super::value::Value;
use crate::error::Error;
use crate::validate::ValidatedModule;
use std::any::Any;
use std::sync::Arc;

/// An execution tier: turns validated modules into code it can run.
pub trait Tier: Send + Sync {
    /// The tier's name, as the command line spells it (`interp`, `jit`).
    fn name(&self) -> &'static str;

    /// Compiles every function of `module`.
    fn compile(&self, module: &Arc<ValidatedModule>) -> Result<Arc<dyn CompiledModule>, Error>;
}

/// A module compiled by a tier, shared by all its instances.
pub trait CompiledModule: Send + Sync {
    /// Calls function `index` of `instance` with `args` (already checked
    /// against its type), pushing its results to `results`. `index` is a
    /// function defined by the module: the store calls imports through the
    /// functions they resolved to, which belong to other instances.
    fn call(
        &self,
        store: &mut Store,
        instance: InstanceId,
        index: u32,
        args: &[Value],
        results: &mut Vec<Value>,
    ) -> Result<(), Trap>;

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

    /// The tier's own type, so that a tier can recognize its code in another instance.
    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync>;
}
