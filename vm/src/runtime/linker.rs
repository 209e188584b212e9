//! The linker: names host objects and instances' exports, resolves a module's
//! imports against them, and instantiates modules.

use super::memory::MemoryError;
use super::store::{
    Caller, Extern, Func, FuncEntity, FuncKind, Global, InstanceEntity, InstanceId, Store,
};
use super::tier::CompiledModule;
use super::trap::{Trap, TrapKind};
use super::value::{NULL_REF, RawRef, Value};
use crate::module::{ConstExpr, ConstOp, DataMode, ElemItems, ElemMode, ImportDesc};
use crate::types::{ExternKind, FuncType, Limits, ValType};
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
        f: impl Fn(&mut Caller<'_>, &[Value], &mut Vec<Value>) -> Result<(), Trap>
        + Send
        + Sync
        + 'static,
    ) -> Func {
        let func = store.host_func(ty, f);
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
        code: Arc<dyn CompiledModule>,
    ) -> Result<InstanceId, InstantiationError> {
        let imports = self.resolve(store, module)?;
        let m = module.module();
        let id = InstanceId(store.instances.len() as u32);
        let mut inst = InstanceEntity {
            module: module.clone(),
            code,
            funcs: Vec::with_capacity(m.funcs.len()),
            tables: Vec::with_capacity(m.tables.len()),
            memories: Vec::with_capacity(m.memories.len()),
            globals: Vec::with_capacity(m.globals.len()),
            elems: Vec::with_capacity(m.elems.len()),
            data_dropped: vec![false; m.data.len()],
            exports: HashMap::with_capacity(m.exports.len()),
            tier_state: None,
        };
        for ext in imports {
            match ext {
                Extern::Func(f) => inst.funcs.push(f),
                Extern::Table(t) => inst.tables.push(t),
                Extern::Memory(mem) => inst.memories.push(mem),
                Extern::Global(g) => inst.globals.push(g),
            }
        }
        for index in m.num_imported_funcs..m.funcs.len() as u32 {
            store.funcs.push(FuncEntity {
                ty: m.func_type(index).clone(),
                kind: FuncKind::Wasm {
                    instance: id,
                    index,
                },
            });
            inst.funcs.push(Func(store.funcs.len() as u32 - 1));
        }
        for ty in &m.tables[m.num_imported_tables as usize..] {
            inst.tables.push(store.table(*ty));
        }
        for ty in &m.memories[m.num_imported_memories as usize..] {
            inst.memories.push(store.memory(ty)?);
        }
        for (i, init) in m.global_inits.iter().enumerate() {
            let ty = m.globals[m.num_imported_globals as usize + i];
            if ty.content == ValType::V128 {
                return Err(InstantiationError::Resource(
                    "v128 globals are not supported by the runtime yet".into(),
                ));
            }
            let value = eval_const(store, &inst, init);
            store.globals.push(Box::new(Global { ty, value }));
            inst.globals
                .push(super::store::GlobalId(store.globals.len() as u32 - 1));
        }
        for export in &m.exports {
            let i = export.index as usize;
            let ext = match export.kind {
                ExternKind::Func => Extern::Func(inst.funcs[i]),
                ExternKind::Table => Extern::Table(inst.tables[i]),
                ExternKind::Memory => Extern::Memory(inst.memories[i]),
                ExternKind::Global => Extern::Global(inst.globals[i]),
            };
            inst.exports.insert(export.name.clone(), ext);
        }
        for seg in &m.elems {
            let items: Arc<[RawRef]> = match &seg.items {
                ElemItems::Funcs(funcs) => funcs
                    .iter()
                    .map(|&f| inst.funcs[f as usize].0 as u64 + 1)
                    .collect(),
                ElemItems::Exprs(exprs) => {
                    exprs.iter().map(|e| eval_const(store, &inst, e)).collect()
                }
            };
            inst.elems.push(Some(items));
        }
        let code = inst.code.clone();
        store.instances.push(inst);
        code.instantiate(store, id)?;

        // Segments, in order; a segment that does not fit traps, leaving what
        // earlier segments wrote (the 2.0 semantics).
        let module_ref = store.instances[id.0 as usize].module.clone();
        let m = module_ref.module();
        for (i, seg) in m.elems.iter().enumerate() {
            match &seg.mode {
                ElemMode::Active { table, offset } => {
                    let inst = &store.instances[id.0 as usize];
                    let offset = eval_const(store, inst, offset) as u32;
                    let table_id = inst.tables[*table as usize];
                    let items = inst.elems[i].clone().expect("not dropped yet");
                    let table = &mut store.tables[table_id.0 as usize];
                    let end = offset as usize + items.len();
                    if end > table.elements.len() {
                        return Err(Trap::new(TrapKind::TableOutOfBounds).into());
                    }
                    table.elements[offset as usize..end].copy_from_slice(&items);
                    store.instances[id.0 as usize].elems[i] = None;
                }
                ElemMode::Declarative => store.instances[id.0 as usize].elems[i] = None,
                ElemMode::Passive => {}
            }
        }
        for (i, seg) in m.data.iter().enumerate() {
            if let DataMode::Active { memory, offset } = &seg.mode {
                let inst = &store.instances[id.0 as usize];
                let offset = eval_const(store, inst, offset) as u32 as usize;
                let mem_id = inst.memories[*memory as usize];
                let bytes = &m.bytes[seg.bytes.clone()];
                let mem = &mut store.memories[mem_id.0 as usize];
                let end = offset + bytes.len();
                if end > mem.len() {
                    return Err(Trap::new(TrapKind::MemoryOutOfBounds).into());
                }
                mem.data_mut()[offset..end].copy_from_slice(bytes);
                store.instances[id.0 as usize].data_dropped[i] = true;
            }
        }
        if let Some(start) = m.start {
            let f = store.instances[id.0 as usize].funcs[start as usize];
            store.call(f, &[])?;
        }
        Ok(id)
    }

    /// Finds every import of `module` and checks its type.
    fn resolve(
        &self,
        store: &Store,
        module: &ValidatedModule,
    ) -> Result<Vec<Extern>, InstantiationError> {
        let m = module.module();
        let mut out = Vec::with_capacity(m.imports.len());
        for import in &m.imports {
            let what = format!("{}.{}", import.module, import.name);
            let Some(ext) = self.get(&import.module, &import.name) else {
                return Err(InstantiationError::Link(format!("unknown import {what}")));
            };
            let ok = match (import.desc, ext) {
                (ImportDesc::Func(ty), Extern::Func(f)) => {
                    m.types[ty as usize] == *store.func_type(f)
                }
                (ImportDesc::Table(ty), Extern::Table(t)) => {
                    let actual = &store.tables[t.0 as usize];
                    let limits = Limits {
                        min: actual.elements.len() as u64,
                        max: actual.ty.limits.max,
                    };
                    actual.ty.elem == ty.elem && limits.matches(&ty.limits)
                }
                (ImportDesc::Memory(ty), Extern::Memory(mem)) => {
                    let actual = &store.memories[mem.0 as usize];
                    let limits = Limits {
                        min: actual.pages(),
                        max: actual.declared_max(),
                    };
                    limits.matches(&ty.limits)
                }
                (ImportDesc::Global(ty), Extern::Global(g)) => store.globals[g.0 as usize].ty == ty,
                _ => false,
            };
            if !ok {
                return Err(InstantiationError::Link(format!(
                    "incompatible import type for {what}"
                )));
            }
            out.push(ext);
        }
        Ok(out)
    }
}

/// Evaluates a validated constant expression to the raw bits of its value.
pub fn eval_const(store: &Store, inst: &InstanceEntity, expr: &ConstExpr) -> u64 {
    let mut value = 0;
    for op in &expr.ops {
        value = match *op {
            ConstOp::I32Const(v) => v as u32 as u64,
            ConstOp::I64Const(v) => v as u64,
            ConstOp::F32Const(b) => b as u64,
            ConstOp::F64Const(b) => b,
            ConstOp::V128Const(b) => u128::from_le_bytes(b) as u64,
            ConstOp::RefNull(_) => NULL_REF,
            ConstOp::RefFunc(f) => inst.funcs[f as usize].0 as u64 + 1,
            ConstOp::GlobalGet(g) => store.globals[inst.globals[g as usize].0 as usize].value,
            ConstOp::NotConstant(_) => unreachable!("validated constant expressions are constant"),
        };
    }
    value
}
