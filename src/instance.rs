//! Instances and the linker that makes them.

use crate::engine::Module;
use crate::typed::{TypedFunc, WasmParams, WasmResults};
use skiff_vm::runtime::{
    Caller, Extern, Func, GlobalId, InstanceId, InstantiationError, MemoryId, Store, Trap, Value,
};
use skiff_vm::types::FuncType;

/// Host definitions by module and field name; resolves imports and instantiates.
#[derive(Debug, Default, Clone)]
pub struct Linker {
    inner: skiff_vm::runtime::Linker,
}

impl Linker {
    /// An empty linker.
    pub fn new() -> Self {
        Linker::default()
    }

    /// Defines a host function `module`.`name` of type `ty`.
    pub fn func(
        &mut self,
        store: &mut Store,
        module: &str,
        name: &str,
        ty: FuncType,
        f: impl Fn(&mut Caller<'_>, &[Value], &mut Vec<Value>) -> Result<(), Trap>
        + Send
        + Sync
        + 'static,
    ) -> Func {
        self.inner.func(store, module, name, ty, f)
    }

    /// Defines `module`.`name` as an existing object of the store.
    pub fn define(&mut self, module: &str, name: &str, ext: Extern) -> &mut Self {
        self.inner.define(module, name, ext);
        self
    }

    /// Defines every export of `instance` under `module`.
    pub fn instance(&mut self, store: &Store, module: &str, instance: Instance) -> &mut Self {
        self.inner.instance(store, module, instance.0);
        self
    }

    /// The vm-level linker, for host crates that define their functions on it (WASI).
    pub fn vm_linker(&mut self) -> &mut skiff_vm::runtime::Linker {
        &mut self.inner
    }

    /// Instantiates `module`: resolves its imports, runs its segments and start function.
    pub fn instantiate(
        &self,
        store: &mut Store,
        module: &Module,
    ) -> Result<Instance, InstantiationError> {
        self.inner
            .instantiate(store, &module.validated, module.code.clone())
            .map(Instance)
    }
}

/// An instance of a module in a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Instance(pub InstanceId);

impl Instance {
    /// The export `name`, if there is one.
    pub fn get_export(&self, store: &Store, name: &str) -> Option<Extern> {
        store.instance(self.0).exports.get(name).copied()
    }

    /// The exported function `name`.
    pub fn get_func(&self, store: &Store, name: &str) -> Option<Func> {
        match self.get_export(store, name)? {
            Extern::Func(f) => Some(f),
            _ => None,
        }
    }

    /// The exported function `name` with Rust types for its parameters and
    /// results; an error when it does not exist or its type differs.
    pub fn get_typed_func<P: WasmParams, R: WasmResults>(
        &self,
        store: &Store,
        name: &str,
    ) -> Result<TypedFunc<P, R>, String> {
        let f = self
            .get_func(store, name)
            .ok_or_else(|| format!("no exported function {name}"))?;
        TypedFunc::new(store, f)
    }

    /// The exported memory `name`.
    pub fn get_memory(&self, store: &Store, name: &str) -> Option<MemoryId> {
        match self.get_export(store, name)? {
            Extern::Memory(m) => Some(m),
            _ => None,
        }
    }

    /// The exported global `name`.
    pub fn get_global(&self, store: &Store, name: &str) -> Option<GlobalId> {
        match self.get_export(store, name)? {
            Extern::Global(g) => Some(g),
            _ => None,
        }
    }

    /// The names of its exports, in no particular order.
    pub fn export_names<'s>(&self, store: &'s Store) -> impl Iterator<Item = &'s str> {
        store.instance(self.0).exports.keys().map(String::as_str)
    }
}
