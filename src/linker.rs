//! The linker: definitions by module and field name, for resolving imports.

use crate::externals::Extern;
use crate::func::{Caller, IntoFunc, host_fn, resume_pending_panic};
use crate::instance::Instance;
use crate::module::Module;
use crate::store::{AsContext, AsContextMut};
use crate::values::Val;
use skiff_vm::module::ImportDesc;
use skiff_vm::runtime::{self as vm, InstantiationError, Trap};
use skiff_vm::types::FuncType;
use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Arc;

/// What a name is defined as.
#[derive(Clone)]
enum Definition {
    /// A host function, made in each store that instantiates with it.
    Host { ty: FuncType, f: Arc<vm::HostFn> },
    /// An object of one store.
    Extern(Extern),
}

/// Definitions by module and field name, for stores whose data is `T`:
/// host functions (usable in any such store) and objects of a store.
pub struct Linker<T: 'static = ()> {
    defs: HashMap<(String, String), Definition>,
    _data: PhantomData<fn() -> T>,
}

impl<T: 'static> Clone for Linker<T> {
    fn clone(&self) -> Self {
        Linker {
            defs: self.defs.clone(),
            _data: PhantomData,
        }
    }
}

impl<T: 'static> Default for Linker<T> {
    fn default() -> Self {
        Linker {
            defs: HashMap::new(),
            _data: PhantomData,
        }
    }
}

impl<T: 'static> std::fmt::Debug for Linker<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Linker")
            .field("definitions", &self.defs.len())
            .finish()
    }
}

impl<T: 'static> Linker<T> {
    /// An empty linker.
    pub fn new() -> Self {
        Linker::default()
    }

    /// Defines `module`.`name` as a host function of type `ty`: `f` gets
    /// the arguments and writes the results, which start as zeros of their types.
    pub fn func_new(
        &mut self,
        module: &str,
        name: &str,
        ty: FuncType,
        f: impl Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<(), Trap> + Send + Sync + 'static,
    ) -> &mut Self {
        let host = host_fn(ty.clone(), f);
        self.define_host(module, name, ty, host)
    }

    /// Defines `module`.`name` as a host function written as a Rust closure
    /// of WebAssembly types (see [`Func::wrap`](crate::Func::wrap)).
    pub fn func_wrap<Params, Results>(
        &mut self,
        module: &str,
        name: &str,
        f: impl IntoFunc<T, Params, Results>,
    ) -> &mut Self {
        let (ty, host) = f.into_func();
        self.define_host(module, name, ty, host)
    }

    /// Defines `module`.`name` as a host function in the runtime's form.
    pub(crate) fn define_host(
        &mut self,
        module: &str,
        name: &str,
        ty: FuncType,
        f: Arc<vm::HostFn>,
    ) -> &mut Self {
        self.defs.insert(
            (module.to_string(), name.to_string()),
            Definition::Host { ty, f },
        );
        self
    }

    /// Defines `module`.`name` as an object of a store; only that store can
    /// instantiate with it.
    pub fn define(&mut self, module: &str, name: &str, item: impl Into<Extern>) -> &mut Self {
        self.defs.insert(
            (module.to_string(), name.to_string()),
            Definition::Extern(item.into()),
        );
        self
    }

    /// Defines every export of `instance` under `module`.
    pub fn instance(
        &mut self,
        store: impl AsContext,
        module: &str,
        instance: Instance,
    ) -> &mut Self {
        for (name, ext) in instance.exports(store) {
            self.define(module, &name, ext);
        }
        self
    }

    /// What `module`.`name` is defined as, in `store` (a host function is
    /// made there).
    pub fn get(
        &self,
        mut store: impl AsContextMut<Data = T>,
        module: &str,
        name: &str,
    ) -> Option<Extern> {
        let def = self.defs.get(&(module.to_string(), name.to_string()))?;
        let store = store.as_context_mut().store;
        let id = store.id();
        Some(Extern::from_vm(id, resolve(store, def)))
    }

    /// Instantiates `module` in `store`: resolves its imports, creates its
    /// objects, runs its element and data segments and its start function.
    pub fn instantiate(
        &self,
        store: impl AsContextMut<Data = T>,
        module: &Module,
    ) -> Result<Instance, InstantiationError> {
        instantiate_with(store, module, &self.definitions_of(module)?)
    }

    /// Resolves the imports of `module` once, for instantiating it many
    /// times ([`InstancePre::instantiate`]) without looking them up again.
    pub fn instantiate_pre(&self, module: &Module) -> Result<InstancePre<T>, InstantiationError> {
        Ok(InstancePre {
            module: module.clone(),
            defs: self.definitions_of(module)?.into(),
            _data: PhantomData,
        })
    }

    /// The definition of each import of `module`, in order; a host
    /// function must have the import's type (objects of a store are
    /// checked against theirs when instantiating).
    fn definitions_of(&self, module: &Module) -> Result<Vec<Definition>, InstantiationError> {
        let m = module.validated().module();
        m.imports
            .iter()
            .map(|import| {
                let key = (import.module.clone(), import.name.clone());
                let def = self.defs.get(&key).cloned().ok_or_else(|| {
                    InstantiationError::Link(format!("unknown import {}.{}", key.0, key.1))
                })?;
                let fits = match (&def, &import.desc) {
                    (Definition::Host { ty, .. }, ImportDesc::Func(t)) => {
                        m.types[*t as usize] == *ty
                    }
                    (Definition::Host { .. }, _) => false,
                    (Definition::Extern(_), _) => true,
                };
                if !fits {
                    return Err(InstantiationError::Link(format!(
                        "incompatible import type for {}.{}",
                        key.0, key.1
                    )));
                }
                Ok(def)
            })
            .collect()
    }
}

/// A module whose imports a [`Linker`] resolved, ready to instantiate in
/// any number of stores (wasmtime calls it the same): the per-request path
/// of a host that makes a store and an instance for each request.
pub struct InstancePre<T: 'static = ()> {
    module: Module,
    defs: Arc<[Definition]>,
    _data: PhantomData<fn() -> T>,
}

impl<T: 'static> Clone for InstancePre<T> {
    fn clone(&self) -> Self {
        InstancePre {
            module: self.module.clone(),
            defs: self.defs.clone(),
            _data: PhantomData,
        }
    }
}

impl<T: 'static> std::fmt::Debug for InstancePre<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InstancePre")
            .field("imports", &self.defs.len())
            .finish()
    }
}

impl<T: 'static> InstancePre<T> {
    /// Instantiates the module in `store`, as [`Linker::instantiate`] does.
    /// An import defined by an object of a store can only be instantiated
    /// in that store.
    pub fn instantiate(
        &self,
        store: impl AsContextMut<Data = T>,
    ) -> Result<Instance, InstantiationError> {
        instantiate_with(store, &self.module, &self.defs)
    }

    /// The module.
    pub fn module(&self) -> &Module {
        &self.module
    }
}

/// Instantiates `module` in `store` with `defs`, the definitions of its
/// imports in order.
fn instantiate_with<T: 'static>(
    mut store: impl AsContextMut<Data = T>,
    module: &Module,
    defs: &[Definition],
) -> Result<Instance, InstantiationError> {
    let store = store.as_context_mut().store;
    let id = store.id();
    let m = module.validated().module();
    let mut imports = Vec::with_capacity(defs.len());
    for (import, def) in m.imports.iter().zip(defs) {
        if let Definition::Extern(e) = def
            && !e.belongs_to(id)
        {
            return Err(InstantiationError::Link(format!(
                "import {}.{} is defined by an object of another store",
                import.module, import.name
            )));
        }
        imports.push(resolve(store, def));
    }
    let result = vm::instantiate(store, module.module_code(), imports);
    resume_pending_panic(store);
    result.map(|i| Instance::from_vm(id, i))
}

/// The store object `def` stands for in `store`.
fn resolve(store: &mut vm::Store, def: &Definition) -> vm::Extern {
    match def {
        Definition::Host { ty, f } => vm::Extern::Func(store.host_func_shared(ty, f)),
        Definition::Extern(e) => e.to_vm(store.id()),
    }
}
