//! The store: every runtime object, addressed by small handles.

use super::memory::{LinearMemory, MemoryConfig};
use super::table::Table;
use super::tier::CompiledModule;
use super::trap::Trap;
use super::value::{RawRef, Value};
use crate::types::{FuncType, GlobalType};
use crate::validate::ValidatedModule;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

/// A function in a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Func(pub u32);
/// A linear memory in a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MemoryId(pub u32);
/// A table in a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TableId(pub u32);
/// A global in a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GlobalId(pub u32);
/// An instance in a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct InstanceId(pub u32);

/// Something an instance exports or a module imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extern {
    /// A function.
    Func(Func),
    /// A table.
    Table(TableId),
    /// A memory.
    Memory(MemoryId),
    /// A global.
    Global(GlobalId),
}

/// The signature of a host function: arguments in, results pushed to the vector.
pub type HostFn =
    dyn Fn(&mut Caller<'_>, &[Value], &mut Vec<Value>) -> Result<(), Trap> + Send + Sync;

/// What a host function sees of its caller.
pub struct Caller<'a> {
    /// The store, for memories, tables and globals.
    pub store: &'a mut Store,
    /// The calling instance, when called from WebAssembly.
    pub instance: Option<InstanceId>,
}

impl Caller<'_> {
    /// The calling instance's export `name`, if it has one.
    pub fn export(&self, name: &str) -> Option<Extern> {
        self.instance
            .and_then(|i| self.store.instance(i).exports.get(name).copied())
    }

    /// The calling instance's exported memory `memory`, as most host APIs find it.
    pub fn exported_memory(&mut self) -> Option<&mut LinearMemory> {
        match self.export("memory") {
            Some(Extern::Memory(m)) => Some(&mut self.store.memories[m.0 as usize]),
            _ => None,
        }
    }
}

/// How a function is implemented.
#[derive(Clone)]
pub enum FuncKind {
    /// Function `index` (a function index of its module) of a WebAssembly instance.
    Wasm {
        /// The instance.
        instance: InstanceId,
        /// Its index in the module.
        index: u32,
    },
    /// A host function.
    Host(Arc<HostFn>),
}

/// A function: its type and its implementation.
#[derive(Clone)]
pub struct FuncEntity {
    /// Its type.
    pub ty: FuncType,
    /// How it is implemented.
    pub kind: FuncKind,
}

impl fmt::Debug for FuncEntity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            FuncKind::Wasm { instance, index } => write!(
                f,
                "wasm func {index} of instance {} {}",
                instance.0, self.ty
            ),
            FuncKind::Host(_) => write!(f, "host func {}", self.ty),
        }
    }
}

/// A global: its type and current value as 64 raw bits.
#[derive(Debug, Clone, Copy)]
pub struct Global {
    /// Its type.
    pub ty: GlobalType,
    /// Its value, as a tier's stack slot holds it.
    pub value: u64,
}

/// An instance of a module.
pub struct InstanceEntity {
    /// The module it instantiates.
    pub module: Arc<ValidatedModule>,
    /// The tier's code for the module.
    pub code: Arc<dyn CompiledModule>,
    /// Its function index space, imports first.
    pub funcs: Vec<Func>,
    /// Its tables.
    pub tables: Vec<TableId>,
    /// Its memories.
    pub memories: Vec<MemoryId>,
    /// Its globals.
    pub globals: Vec<GlobalId>,
    /// Its element segments; `None` once dropped.
    pub elems: Vec<Option<Arc<[RawRef]>>>,
    /// Whether each data segment has been dropped.
    pub data_dropped: Vec<bool>,
    /// Its exports by name.
    pub exports: HashMap<String, Extern>,
    /// What the tier keeps per instance (the JIT's context block), if anything.
    pub tier_state: Option<Box<dyn std::any::Any + Send + Sync>>,
}

/// Every runtime object of a group of instances that may link to each other.
pub struct Store {
    /// Functions, by [`Func`].
    pub funcs: Vec<FuncEntity>,
    /// Linear memories, by [`MemoryId`].
    pub memories: Vec<LinearMemory>,
    /// Tables, by [`TableId`].
    pub tables: Vec<Table>,
    /// Globals, by [`GlobalId`]. Boxed so that a global's value keeps its
    /// address while globals are added: compiled code reads it through a pointer.
    pub globals: Vec<Box<Global>>,
    /// Instances, by [`InstanceId`].
    pub instances: Vec<InstanceEntity>,
    /// How new memories reserve address space.
    pub memory_config: MemoryConfig,
    /// The deepest WebAssembly call nesting before a stack-exhausted trap.
    pub max_call_depth: u32,
}

impl Default for Store {
    fn default() -> Self {
        Store::new(MemoryConfig::default())
    }
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("funcs", &self.funcs.len())
            .field("memories", &self.memories.len())
            .field("tables", &self.tables.len())
            .field("globals", &self.globals.len())
            .field("instances", &self.instances.len())
            .finish()
    }
}

impl Store {
    /// An empty store whose memories reserve address space as `memory_config` says.
    pub fn new(memory_config: MemoryConfig) -> Self {
        Store {
            funcs: Vec::new(),
            memories: Vec::new(),
            tables: Vec::new(),
            globals: Vec::new(),
            instances: Vec::new(),
            memory_config,
            max_call_depth: 10_000,
        }
    }

    /// Adds a host function of type `ty`.
    pub fn host_func(
        &mut self,
        ty: FuncType,
        f: impl Fn(&mut Caller<'_>, &[Value], &mut Vec<Value>) -> Result<(), Trap>
        + Send
        + Sync
        + 'static,
    ) -> Func {
        self.funcs.push(FuncEntity {
            ty,
            kind: FuncKind::Host(Arc::new(f)),
        });
        Func(self.funcs.len() as u32 - 1)
    }

    /// Adds a global.
    pub fn global(&mut self, ty: GlobalType, value: Value) -> GlobalId {
        self.globals.push(Box::new(Global {
            ty,
            value: value.to_raw(),
        }));
        GlobalId(self.globals.len() as u32 - 1)
    }

    /// Adds a table of `ty` filled with nulls.
    pub fn table(&mut self, ty: crate::types::TableType) -> TableId {
        self.tables.push(Table::new(ty, super::value::NULL_REF));
        TableId(self.tables.len() as u32 - 1)
    }

    /// Adds a linear memory of `ty`.
    pub fn memory(
        &mut self,
        ty: &crate::types::MemoryType,
    ) -> Result<MemoryId, super::memory::MemoryError> {
        self.memories
            .push(LinearMemory::new(ty, &self.memory_config)?);
        Ok(MemoryId(self.memories.len() as u32 - 1))
    }

    /// The instance behind `id`.
    pub fn instance(&self, id: InstanceId) -> &InstanceEntity {
        &self.instances[id.0 as usize]
    }

    /// The type of function `f`.
    pub fn func_type(&self, f: Func) -> &FuncType {
        &self.funcs[f.0 as usize].ty
    }

    /// The current value of global `g`.
    pub fn global_value(&self, g: GlobalId) -> Value {
        let global = &self.globals[g.0 as usize];
        Value::from_raw(global.ty.content, global.value)
    }

    /// Calls function `f` with `args`; checks the arguments against its type.
    pub fn call(&mut self, f: Func, args: &[Value]) -> Result<Vec<Value>, Trap> {
        self.call_from(f, args, None)
    }

    /// Calls function `f` on behalf of instance `caller`: a host function sees
    /// it as the calling instance (whose memory WASI reads, for example).
    pub fn call_from(
        &mut self,
        f: Func,
        args: &[Value],
        caller: Option<InstanceId>,
    ) -> Result<Vec<Value>, Trap> {
        let entity = self
            .funcs
            .get(f.0 as usize)
            .ok_or_else(|| Trap::host(format!("no function {} in this store", f.0)))?
            .clone();
        let params = entity.ty.params();
        if args.len() != params.len() || args.iter().zip(params).any(|(a, p)| a.ty() != *p) {
            let given: Vec<String> = args.iter().map(|a| a.ty().to_string()).collect();
            return Err(Trap::host(format!(
                "arguments [{}] do not match the function's type {}",
                given.join(" "),
                entity.ty
            )));
        }
        let mut results = Vec::with_capacity(entity.ty.results().len());
        match entity.kind {
            FuncKind::Wasm { instance, index } => {
                let code = self.instances[instance.0 as usize].code.clone();
                code.call(self, instance, index, args, &mut results)?;
            }
            FuncKind::Host(h) => {
                let mut caller = Caller {
                    store: self,
                    instance: caller,
                };
                h(&mut caller, args, &mut results)?;
                check_results(&entity.ty, &results)?;
            }
        }
        Ok(results)
    }
}

/// Checks that a host function returned values of its result types.
pub fn check_results(ty: &FuncType, results: &[Value]) -> Result<(), Trap> {
    if results.len() != ty.results().len()
        || results.iter().zip(ty.results()).any(|(r, t)| r.ty() != *t)
    {
        return Err(Trap::host(format!(
            "host function returned {} value(s) that do not match its type {ty}",
            results.len()
        )));
    }
    Ok(())
}
