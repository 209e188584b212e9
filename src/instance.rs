//! Instances of modules, and their exports.

use crate::externals::{Extern, Global, Memory, Table};
use crate::func::{Func, check_store};
use crate::store::AsContext;
use crate::typed::{TypedFunc, WasmParams, WasmResults};
use skiff_vm::runtime::{self as vm, StoreId, Trap};

/// An instance of a module in a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Instance {
    store: StoreId,
    id: vm::InstanceId,
}

impl Instance {
    pub(crate) fn from_vm(store: StoreId, id: vm::InstanceId) -> Instance {
        Instance { store, id }
    }

    pub(crate) fn index(&self, store: StoreId) -> vm::InstanceId {
        check_store(self.store, store);
        self.id
    }

    /// The export `name`, if there is one.
    pub fn get_export(&self, store: impl AsContext, name: &str) -> Option<Extern> {
        let store = store.as_context().store;
        let id = store.id();
        store
            .instance(self.index(id))
            .export(name)
            .map(|e| Extern::from_vm(id, e))
    }

    /// The exported function `name`.
    pub fn get_func(&self, store: impl AsContext, name: &str) -> Option<Func> {
        self.get_export(store, name)?.into_func()
    }

    /// The exported function `name` with Rust types for its parameters and
    /// results; an error when it does not exist or its type differs.
    pub fn get_typed_func<P: WasmParams, R: WasmResults>(
        &self,
        store: impl AsContext,
        name: &str,
    ) -> Result<TypedFunc<P, R>, Trap> {
        let f = self
            .get_func(&store, name)
            .ok_or_else(|| Trap::host(format!("no exported function {name}")))?;
        TypedFunc::new(store, f)
    }

    /// The exported memory `name`.
    pub fn get_memory(&self, store: impl AsContext, name: &str) -> Option<Memory> {
        self.get_export(store, name)?.into_memory()
    }

    /// The exported global `name`.
    pub fn get_global(&self, store: impl AsContext, name: &str) -> Option<Global> {
        self.get_export(store, name)?.into_global()
    }

    /// The exported table `name`.
    pub fn get_table(&self, store: impl AsContext, name: &str) -> Option<Table> {
        self.get_export(store, name)?.into_table()
    }

    /// Its exports, by name, in no particular order.
    pub fn exports(&self, store: impl AsContext) -> Vec<(String, Extern)> {
        let store = store.as_context().store;
        let id = store.id();
        store
            .instance(self.index(id))
            .exports()
            .iter()
            .map(|(n, e)| (n.clone(), Extern::from_vm(id, *e)))
            .collect()
    }
}
