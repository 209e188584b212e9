//! The linker: names host objects and instances' exports, resolves a module's
//! imports against them, and instantiates modules.

use super::caller::Caller;
use super::func::{FuncEntity, FuncKind};
use super::instance::{InstanceEntity, ModuleCode};
use super::memory::MemoryError;
use super::ops;
use super::store::{Extern, Func, InstanceId, Store};
use super::tier::CompiledModule;
use super::trap::Trap;
use super::value::{NULL_REF, RawRef, Value, func_ref};
use crate::module::{
    ConstExpr, ConstOp, DataMode, ElemItems, ElemMode, Import, ImportDesc, Module,
};
use crate::types::{AddrType, ExternKind, FuncType, Limits};
use crate::validate::ValidatedModule;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

/// Why instantiation failed.
#[derive(Debug, Clone, PartialEq)]
pub enum InstantiationError {
    /// An import could not be resolved or had the wrong type.
    Link(String),
    /// A segment did not fit or the start function trapped.
    Trap(Trap),
    /// A memory could not be created, or the module needs what the runtime lacks.
    Resource(String),
}

impl fmt::Display for InstantiationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstantiationError::Link(m) => write!(f, "link error: {m}"),
            InstantiationError::Trap(t) => write!(f, "trap during instantiation: {t}"),
            InstantiationError::Resource(m) => write!(f, "cannot instantiate: {m}"),
        }
    }
}

impl std::error::Error for InstantiationError {}

impl From<Trap> for InstantiationError {
    fn from(t: Trap) -> Self {
        InstantiationError::Trap(t)
    }
}

impl From<MemoryError> for InstantiationError {
    fn from(e: MemoryError) -> Self {
        InstantiationError::Resource(e.to_string())
    }
}

/// Definitions by module and field name, for resolving imports.
#[derive(Debug, Default, Clone)]
pub struct Linker {
    defs: HashMap<(String, String), Extern>,
}

impl Linker {
    /// An empty linker.
    pub fn new() -> Self {
        Linker::default()
    }

    /// Defines `module`.`name` as `ext`, replacing an earlier definition.
    pub fn define(&mut self, module: &str, name: &str, ext: Extern) -> &mut Self {
        self.defs
            .insert((module.to_string(), name.to_string()), ext);
        self
    }

    /// Defines a host function `module`.`name` of type `ty` in `store`.
    pub fn func(
        &mut self,
        store: &mut Store,
        module: &str,
        name: &str,
        ty: FuncType,
        f: impl Fn(Caller<'_>, &[Value], &mut Vec<Value>) -> Result<(), Trap> + Send + Sync + 'static,
    ) -> Func {
        let func = store.host_func(ty, Arc::new(f));
        self.define(module, name, Extern::Func(func));
        func
    }

    /// Defines every export of `instance` under module name `module`.
    pub fn instance(&mut self, store: &Store, module: &str, instance: InstanceId) -> &mut Self {
        for (name, ext) in &store.instance(instance).exports {
            self.defs.insert((module.to_string(), name.clone()), *ext);
        }
        self
    }

    /// What `module`.`name` is defined as.
    pub fn get(&self, module: &str, name: &str) -> Option<Extern> {
        self.defs
            .get(&(module.to_string(), name.to_string()))
            .copied()
    }

    /// Instantiates `module` (compiled by a tier into `code`) in `store`:
    /// resolves imports, creates its objects, runs its element and data
    /// segments and its start function.
    pub fn instantiate(
        &self,
        store: &mut Store,
        module: &Arc<ValidatedModule>,
        code: &Arc<dyn CompiledModule>,
    ) -> Result<InstanceId, InstantiationError> {
        let imports = self.resolve(module)?;
        let module_code = ModuleCode {
            module: module.clone(),
            code: code.clone(),
        };
        instantiate(store, &Arc::new(module_code), imports)
    }

    /// Finds every import of `module` by its names.
    fn resolve(&self, module: &ValidatedModule) -> Result<Vec<Extern>, InstantiationError> {
        let m = module.module();
        m.imports
            .iter()
            .map(|import| {
                self.get(&import.module, &import.name).ok_or_else(|| {
                    InstantiationError::Link(format!(
                        "unknown import {}.{}",
                        import.module, import.name
                    ))
                })
            })
            .collect()
    }
}

/// Checks that `ext`, an object of `store`, has the type `import` asks for.
fn check_import(
    store: &Store,
    m: &Module,
    import: &Import,
    ext: Extern,
) -> Result<(), InstantiationError> {
    let exists = match ext {
        Extern::Func(f) => store.has_func(f),
        Extern::Table(t) => (t.0 as usize) < store.tables.len(),
        Extern::Memory(mem) => (mem.0 as usize) < store.memories.len(),
        Extern::Global(g) => store.has_global(g),
        Extern::Tag(t) => store.has_tag(t),
    };
    let ok = exists
        && match (import.desc, ext) {
            (ImportDesc::Func(ty), Extern::Func(f)) => m.types[ty as usize] == *store.func_type(f),
            (ImportDesc::Table(ty), Extern::Table(t)) => {
                let actual = store.table_ref(t).ty();
                actual.elem == ty.elem
                    && actual.addr == ty.addr
                    && actual.limits.matches(&ty.limits)
            }
            (ImportDesc::Memory(ty), Extern::Memory(mem)) => {
                let actual = store.memory_ref(mem);
                let limits = Limits {
                    min: actual.pages(),
                    max: actual.declared_max(),
                };
                actual.addr() == ty.addr && limits.matches(&ty.limits)
            }
            (ImportDesc::Global(ty), Extern::Global(g)) => {
                let actual = store.global_type(g);
                actual.mutable == ty.mutable
                    && if ty.mutable {
                        actual.content == ty.content
                    } else {
                        actual.content.matches(ty.content)
                    }
            }
            (ImportDesc::Tag(ty), Extern::Tag(t)) => m.types[ty as usize] == *store.tag_type(t),
            _ => false,
        };
    if ok {
        Ok(())
    } else {
        Err(InstantiationError::Link(format!(
            "incompatible import type for {}.{}",
            import.module, import.name
        )))
    }
}

/// Instantiates a module (with its tier's code) in `store` with `imports`,
/// objects of `store` in the order of the module's imports, each checked
/// here against its import's type.
pub fn instantiate(
    store: &mut Store,
    module_code: &Arc<ModuleCode>,
    imports: Vec<Extern>,
) -> Result<InstanceId, InstantiationError> {
    let (module, code) = (&module_code.module, &module_code.code);
    let m = module.module();
    if imports.len() != m.imports.len() {
        return Err(InstantiationError::Link(format!(
            "{} imports given for a module that has {}",
            imports.len(),
            m.imports.len()
        )));
    }
    for (import, ext) in m.imports.iter().zip(&imports) {
        check_import(store, m, import, *ext)?;
    }
    check_counts(store, m)?;
    let id = InstanceId(store.instances.len() as u32);
    let mut inst = InstanceEntity::new(module_code.clone());
    for ext in imports {
        match ext {
            Extern::Func(f) => inst.funcs.push(f),
            Extern::Table(t) => inst.tables.push(t),
            Extern::Memory(mem) => inst.memories.push(mem),
            Extern::Global(g) => inst.globals.push(g),
            Extern::Tag(t) => inst.tags.push(t),
        }
    }
    for index in m.num_imported_funcs..m.funcs.len() as u32 {
        let entity = FuncEntity::new(
            m.func_type(index).clone(),
            FuncKind::Wasm {
                instance: id,
                index,
            },
        );
        inst.funcs.push(store.add_func(entity));
    }
    for &ty in &m.tags[m.num_imported_tags as usize..] {
        let tag = store.tag(m.types[ty as usize].clone());
        inst.tags.push(tag);
    }
    let images = module.memory_images();
    for (ty, image) in m.memories[m.num_imported_memories as usize..]
        .iter()
        .zip(images)
    {
        inst.memories
            .push(store.memory_with_image(ty, image.as_ref())?);
    }
    for (i, init) in m.global_inits.iter().enumerate() {
        let ty = m.globals[m.num_imported_globals as usize + i];
        let value = eval_const(store, &inst, init);
        inst.globals.push(store.add_global(ty, value));
    }
    // Table initializers read imported globals only; after the module's
    // globals or before, they find the same values.
    for (ty, init) in m.tables[m.num_imported_tables as usize..]
        .iter()
        .zip(&m.table_inits)
    {
        let init = init
            .as_ref()
            .map_or(NULL_REF, |e| eval_const(store, &inst, e) as RawRef);
        let table = store
            .add_table(*ty, init)
            .map_err(|e| InstantiationError::Resource(e.to_string()))?;
        inst.tables.push(table);
    }
    for export in &m.exports {
        let i = export.index as usize;
        let ext = match export.kind {
            ExternKind::Func => Extern::Func(inst.funcs[i]),
            ExternKind::Table => Extern::Table(inst.tables[i]),
            ExternKind::Memory => Extern::Memory(inst.memories[i]),
            ExternKind::Global => Extern::Global(inst.globals[i]),
            ExternKind::Tag => Extern::Tag(inst.tags[i]),
        };
        inst.exports.insert(export.name.clone(), ext);
    }
    for seg in &m.elems {
        let items: Arc<[RawRef]> = match &seg.items {
            ElemItems::Funcs(funcs) => funcs
                .iter()
                .map(|&f| func_ref(inst.funcs[f as usize]))
                .collect(),
            ElemItems::Exprs(exprs) => exprs
                .iter()
                .map(|e| eval_const(store, &inst, e) as RawRef)
                .collect(),
        };
        inst.elems.push(Some(items));
    }
    store.instances.push(inst);
    let state = code.instantiate(store, id)?;
    store.instances[id.0 as usize].tier_state = state;

    // Segments, in order: an active segment is a `table.init` or
    // `memory.init` of all of it, then its drop. One that does not fit
    // traps, leaving what earlier segments wrote (the 2.0 semantics).
    for (i, seg) in m.elems.iter().enumerate() {
        let i = i as u32;
        match &seg.mode {
            ElemMode::Active { table, offset } => {
                let offset = eval_const(store, &store.instances[id.0 as usize], offset);
                let offset = address(m.tables[*table as usize].addr, offset);
                let n = seg.items.len() as u64;
                ops::table_init(store, id, *table, i, offset, 0, n)?;
                ops::elem_drop(store, id, i);
            }
            ElemMode::Declarative => ops::elem_drop(store, id, i),
            ElemMode::Passive => {}
        }
    }
    for (i, seg) in m.data.iter().enumerate() {
        if let DataMode::Active { memory, offset } = &seg.mode {
            let i = i as u32;
            let imaged = memory
                .checked_sub(m.num_imported_memories)
                .is_some_and(|d| images[d as usize].is_some());
            if imaged {
                // Its bytes are in the memory's image, mapped already.
                ops::data_drop(store, id, i);
                continue;
            }
            let offset = eval_const(store, &store.instances[id.0 as usize], offset);
            let offset = address(m.memories[*memory as usize].addr, offset);
            let n = seg.bytes.len() as u64;
            ops::memory_init(store, id, *memory, i, offset, 0, n)?;
            ops::data_drop(store, id, i);
        }
    }
    if let Some(start) = m.start {
        let f = store.instances[id.0 as usize].funcs[start as usize];
        store.call(f, &[])?;
    }
    Ok(id)
}

/// An offset's value (a constant's bits) as an address of type `addr`.
fn address(addr: AddrType, bits: u128) -> u64 {
    match addr {
        AddrType::I32 => bits as u32 as u64,
        AddrType::I64 => bits as u64,
    }
}

/// Checks, before anything is created, that the store's limits leave room
/// for one more instance and for the module's own memories and tables.
fn check_counts(store: &mut Store, m: &Module) -> Result<(), InstantiationError> {
    let memories = m.memories.len() - m.num_imported_memories as usize;
    let tables = m.tables.len() - m.num_imported_tables as usize;
    let counts = [
        (
            "instances",
            store.instances.len(),
            1,
            store.limiter().instances(),
        ),
        (
            "memories",
            store.memories.len(),
            memories,
            store.limiter().memories(),
        ),
        (
            "tables",
            store.tables.len(),
            tables,
            store.limiter().tables(),
        ),
    ];
    for (what, have, more, most) in counts {
        if have.saturating_add(more) > most {
            return Err(InstantiationError::Resource(format!(
                "the store's limit of {most} {what} is reached ({have} exist, the module needs {more} more)"
            )));
        }
    }
    Ok(())
}

/// Evaluates a validated constant expression to the raw bits of its value
/// (a scalar in the low 64).
pub fn eval_const(store: &Store, inst: &InstanceEntity, expr: &ConstExpr) -> u128 {
    let mut stack: Vec<u128> = Vec::with_capacity(2);
    for op in &expr.ops {
        let value = match *op {
            ConstOp::I32Const(v) => u128::from(v as u32),
            ConstOp::I64Const(v) => u128::from(v as u64),
            ConstOp::F32Const(b) => u128::from(b),
            ConstOp::F64Const(b) => u128::from(b),
            ConstOp::V128Const(b) => u128::from_le_bytes(b),
            ConstOp::RefNull(_) => u128::from(NULL_REF),
            ConstOp::RefFunc(f) => u128::from(func_ref(inst.funcs[f as usize])),
            ConstOp::GlobalGet(g) => store.global_raw(inst.globals[g as usize]),
            ConstOp::Arith(op) => {
                let b = stack.pop().expect("validated operands") as u64;
                let a = stack.pop().expect("validated operands") as u64;
                u128::from(op.apply(a, b))
            }
            ConstOp::NotConstant(_) => unreachable!("validated constant expressions are constant"),
        };
        stack.push(value);
    }
    stack
        .pop()
        .expect("a validated constant expression has a value")
}
