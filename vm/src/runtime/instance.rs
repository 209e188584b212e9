//! Instances: a module's functions, tables, memories and globals in a store.

use super::store::{Extern, Func, GlobalId, MemoryId, TableId};
use super::tier::CompiledModule;
use super::value::RawRef;
use crate::validate::ValidatedModule;
use std::any::Any;
use std::collections::HashMap;
use std::sync::Arc;

/// What a tier keeps per instance (the JIT's context block).
pub type TierState = Box<dyn Any + Send + Sync>;

/// An instance of a module. Its index spaces are fixed once it exists; the
/// tier's state is made once, at instantiation, and lives as long as the store.
pub struct InstanceEntity {
    module: Arc<ValidatedModule>,
    code: Arc<dyn CompiledModule>,
    pub(crate) funcs: Vec<Func>,
    pub(crate) tables: Vec<TableId>,
    pub(crate) memories: Vec<MemoryId>,
    pub(crate) globals: Vec<GlobalId>,
    /// Element segments; `None` once dropped.
    pub(crate) elems: Vec<Option<Arc<[RawRef]>>>,
    /// Whether each data segment has been dropped.
    pub(crate) data_dropped: Vec<bool>,
    pub(crate) exports: HashMap<String, Extern>,
    pub(crate) tier_state: Option<TierState>,
}

impl InstanceEntity {
    pub(crate) fn new(module: Arc<ValidatedModule>, code: Arc<dyn CompiledModule>) -> Self {
        let m = module.module();
        InstanceEntity {
            funcs: Vec::with_capacity(m.funcs.len()),
            tables: Vec::with_capacity(m.tables.len()),
            memories: Vec::with_capacity(m.memories.len()),
            globals: Vec::with_capacity(m.globals.len()),
            elems: Vec::with_capacity(m.elems.len()),
            data_dropped: vec![false; m.data.len()],
            exports: HashMap::with_capacity(m.exports.len()),
            tier_state: None,
            module,
            code,
        }
    }

    /// The module it instantiates.
    pub fn module(&self) -> &Arc<ValidatedModule> {
        &self.module
    }

    /// The tier's code for the module.
    pub fn code(&self) -> &Arc<dyn CompiledModule> {
        &self.code
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
}
