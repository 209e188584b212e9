//! Instances: a module's functions, tables, memories and globals in a store.

use super::exception::Tag;
use super::store::{Extern, Func, GlobalId, MemoryId, TableId};
use super::tier::CompiledModule;
use super::value::RawRef;
use crate::validate::ValidatedModule;
use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

/// What a tier keeps per instance (the JIT's context block).
pub type TierState = Box<dyn Any + Send + Sync>;

/// The state of an instance that two tiers run (a tiered engine): the
/// lower tier's, made at instantiation, and the upper tier's, made once,
/// when the upper tier's code is installed, and never replaced, since its
/// code may hold pointers into it.
#[derive(Default)]
pub struct LayeredState {
    /// The state of the tier that runs first.
    pub lower: Option<TierState>,
    /// The state of the tier that takes over.
    pub upper: OnceLock<TierState>,
}

/// A validated module with a tier's code for it: what its instances hold,
/// behind one shared count (threads instantiating one module at once
/// contend for every count they change).
pub struct ModuleCode {
    /// The module.
    pub module: Arc<ValidatedModule>,
    /// The tier's code for it.
    pub code: Arc<dyn CompiledModule>,
}

/// An instance of a module. Its index spaces are fixed once it exists; the
/// tier's state is made once, at instantiation, and lives as long as the store.
pub struct InstanceEntity {
    module_code: Arc<ModuleCode>,
    pub(crate) funcs: Vec<Func>,
    pub(crate) tables: Vec<TableId>,
    pub(crate) memories: Vec<MemoryId>,
    pub(crate) globals: Vec<GlobalId>,
    pub(crate) tags: Vec<Tag>,
    /// Element segments; `None` once dropped.
    pub(crate) elems: Vec<Option<Arc<[RawRef]>>>,
    /// Whether each data segment has been dropped.
    pub(crate) data_dropped: Vec<bool>,
    pub(crate) exports: HashMap<String, Extern>,
    pub(crate) tier_state: Option<TierState>,
}

impl InstanceEntity {
    pub(crate) fn new(module_code: Arc<ModuleCode>) -> Self {
        let m = module_code.module.module();
        InstanceEntity {
            funcs: Vec::with_capacity(m.funcs.len()),
            tables: Vec::with_capacity(m.tables.len()),
            memories: Vec::with_capacity(m.memories.len()),
            globals: Vec::with_capacity(m.globals.len()),
            tags: Vec::with_capacity(m.tags.len()),
            elems: Vec::with_capacity(m.elems.len()),
            data_dropped: vec![false; m.data.len()],
            exports: HashMap::with_capacity(m.exports.len()),
            tier_state: None,
            module_code,
        }
    }

    /// The module it instantiates.
    pub fn module(&self) -> &Arc<ValidatedModule> {
        &self.module_code.module
    }

    /// The tier's code for the module.
    pub fn code(&self) -> &Arc<dyn CompiledModule> {
        &self.module_code.code
    }

    /// Its function index space, imports first.
    pub fn funcs(&self) -> &[Func] {
        &self.funcs
    }

    /// Its tables.
    pub fn tables(&self) -> &[TableId] {
        &self.tables
    }

    /// Its memories.
    pub fn memories(&self) -> &[MemoryId] {
        &self.memories
    }

    /// Its globals.
    pub fn globals(&self) -> &[GlobalId] {
        &self.globals
    }

    /// Its exception tags.
    pub fn tags(&self) -> &[Tag] {
        &self.tags
    }

    /// Its export `name`.
    pub fn export(&self, name: &str) -> Option<Extern> {
        self.exports.get(name).copied()
    }

    /// Its exports by name.
    pub fn exports(&self) -> &HashMap<String, Extern> {
        &self.exports
    }

    /// Whether data segment `i` has been dropped (by `data.drop`, or by
    /// instantiation for an active segment).
    pub fn data_dropped(&self, i: usize) -> bool {
        self.data_dropped[i]
    }

    /// Whether element segment `i` has been dropped (by `elem.drop`, or by
    /// instantiation for an active or declarative segment).
    pub fn elem_dropped(&self, i: usize) -> bool {
        self.elems[i].is_none()
    }

    /// What the tier made for it at instantiation, if anything.
    pub fn tier_state(&self) -> Option<&(dyn Any + Send + Sync)> {
        self.tier_state.as_deref()
    }

    /// The state of type `T` a tier keeps for it: the state made at
    /// instantiation, or, when that is a [`LayeredState`], either of its
    /// layers.
    pub fn tier_state_as<T: Any>(&self) -> Option<&T> {
        let state = self.tier_state.as_deref()?;
        if let Some(t) = state.downcast_ref::<T>() {
            return Some(t);
        }
        let layers = state.downcast_ref::<LayeredState>()?;
        let lower = layers.lower.as_deref().and_then(|s| s.downcast_ref::<T>());
        lower.or_else(|| layers.upper.get().and_then(|s| s.downcast_ref::<T>()))
    }
}
