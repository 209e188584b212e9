//! Skiff's validator: every rule of the validation chapter of the WebAssembly
//! 2.0 spec (SIMD included), checked by Skiff's own code.
//!
//! [`validate`] checks the module-level rules here (limits, constant
//! expressions, imports, exports, segments, the start function) and each function
//! body (module `func` and one file per instruction group), and records in [`FuncInfo`] what the tiers need.

mod const_expr;
mod control;
mod func;
mod memory;
mod numeric;
mod parametric;
mod record;
mod reference;
mod table;
mod variable;
mod vector;

use crate::error::{Error, Result};
use crate::features::Features;
use crate::module::{DataMode, ElemItems, ElemMode, ImportDesc, Module};
use crate::runtime::image::{self, MemoryImage};
use crate::types::{AddrType, ExternKind, Limits, MAX_PAGES, MAX_PAGES_64, ValType};
use const_expr::ConstContext;
use std::collections::HashSet;
use std::ops::Deref;
use std::sync::{Arc, OnceLock};

pub use func::FuncInfo;
pub use record::{decode_infos, encode_infos};

/// A module that passed validation, with what the tiers need about each function.
///
/// Aligned apart from the reference counts of the `Arc` that shares it,
/// which every instance changes, so that threads instantiating it at once
/// read it without contending for those counts' cache line.
#[derive(Debug, Clone)]
#[repr(align(128))]
pub struct ValidatedModule {
    module: Module,
    /// One entry per defined function, in the order of the code section.
    pub func_infos: Vec<FuncInfo>,
    /// The images of its defined memories, made on first instantiation.
    images: Arc<OnceLock<Vec<Option<Arc<MemoryImage>>>>>,
}

impl ValidatedModule {
    /// The validated module's IR.
    pub fn module(&self) -> &Module {
        &self.module
    }

    /// What validation recorded about defined function `func` (a function index,
    /// imports counted), or `None` when `func` is imported.
    pub fn func_info(&self, func: u32) -> Option<&FuncInfo> {
        func.checked_sub(self.module.num_imported_funcs)
            .and_then(|i| self.func_infos.get(i as usize))
    }

    /// The initial contents of each defined memory (in order) as an image
    /// to map, where it can have one (made on first use, then shared).
    pub fn memory_images(&self) -> &[Option<Arc<MemoryImage>>] {
        self.images.get_or_init(|| image::images(&self.module))
    }

    /// Takes the IR back out.
    pub fn into_module(self) -> Module {
        self.module
    }
}

impl Deref for ValidatedModule {
    type Target = Module;
    fn deref(&self) -> &Module {
        &self.module
    }
}

/// Validates a decoded module.
///
/// Function bodies are decoded as they are validated. When a rule is broken,
/// the rest of the bodies are still decoded first: a malformed body anywhere
/// in the module is reported ahead of an invalid one, as the spec decodes a
/// whole module before it validates it.
pub fn validate(module: Module, features: &Features) -> Result<ValidatedModule> {
    match validate_all(&module, features) {
        Ok(func_infos) => Ok(ValidatedModule {
            module,
            func_infos,
            images: Arc::default(),
        }),
        Err(e) if e.kind() == crate::ErrorKind::Malformed => Err(e),
        Err(e) => {
            for (i, body) in module.code.iter().enumerate() {
                let index = module.num_imported_funcs + i as u32;
                func::check_encoding(&module, features, body).map_err(|m| m.in_func(index))?;
            }
            Err(e)
        }
    }
}

/// Below this much function-body code a module's bodies are validated on
/// the calling thread alone (validating 64 KiB takes about a millisecond).
const PARALLEL_THRESHOLD: usize = 64 * 1024;

/// Checks the module's rules, then each function body, on every core for a
/// large module; the error is the lowest-numbered body's, as in order.
fn validate_all(module: &Module, features: &Features) -> Result<Vec<FuncInfo>> {
    let refs = Validator::new(module, features).module_rules()?;
    crate::parallel::map_indexed(
        module.code.len(),
        crate::parallel::threads_for(module, PARALLEL_THRESHOLD),
        func::Scratch::default,
        |scratch, i| {
            let index = module.num_imported_funcs + i as u32;
            func::validate_body(module, features, &refs, index, &module.code[i], scratch)
                .map_err(|e| e.in_func(index))
        },
    )
}

/// The context of module-level validation.
struct Validator<'m> {
    module: &'m Module,
    features: Features,
}

/// An error for a construct that WebAssembly 2.0 forbids but a later proposal
/// allows: `Unsupported` when decoding recognizes later proposals, so that the
/// embedder learns which proposal it would need; the 2.0 error otherwise.
pub(crate) fn later_proposal(
    features: &Features,
    offset: usize,
    feature: &str,
    message: &str,
) -> Error {
    if features.decode_later_proposals {
        Error::unsupported(offset, feature)
    } else {
        Error::invalid(offset, message)
    }
}

impl<'m> Validator<'m> {
    fn new(module: &'m Module, features: &Features) -> Self {
        Validator {
            module,
            features: *features,
        }
    }

    /// Checks everything but function bodies, and returns the set of functions
    /// that `ref.func` in a body may name (the spec's C.refs).
    fn module_rules(&self) -> Result<HashSet<u32>> {
        let m = self.module;
        let num_types = m.types.len() as u32;
        for import in &m.imports {
            if let ImportDesc::Func(ty) = import.desc
                && ty >= num_types
            {
                return Err(Error::invalid(
                    0,
                    format!(
                        "unknown type {ty} in import {}.{}",
                        import.module, import.name
                    ),
                ));
            }
        }
        for (i, ty) in m
            .funcs
            .iter()
            .enumerate()
            .skip(m.num_imported_funcs as usize)
        {
            if *ty >= num_types {
                let off = m
                    .code
                    .get(i - m.num_imported_funcs as usize)
                    .map_or(0, |b| b.range.start);
                return Err(Error::invalid(off, format!("unknown type {ty}")));
            }
        }
        for (&ty, &at) in m.tags.iter().zip(&m.tag_offsets) {
            match m.types.get(ty as usize) {
                None => return Err(Error::invalid(at, format!("unknown type {ty}"))),
                Some(f) if !f.results().is_empty() => {
                    return Err(Error::invalid(
                        at,
                        format!("non-empty tag result type: type {ty} is {f}"),
                    ));
                }
                Some(_) => {}
            }
        }
        for (table, &at) in m.tables.iter().zip(&m.table_offsets) {
            let (bound, too_big) = match table.addr {
                AddrType::I32 => (u32::MAX as u64, "table size must be at most 2^32-1"),
                AddrType::I64 => (u64::MAX, "table size must be at most 2^64-1"),
            };
            check_limits(
                &self.features,
                at,
                &table.limits,
                table.addr,
                bound,
                too_big,
            )?;
        }
        for (mem, &at) in m.memories.iter().zip(&m.memory_offsets) {
            let (bound, too_big) = match mem.addr {
                AddrType::I32 => (MAX_PAGES, "memory size must be at most 65536 pages (4GiB)"),
                AddrType::I64 => (
                    MAX_PAGES_64,
                    "memory size must be at most 2^48 pages (2^64 bytes)",
                ),
            };
            check_limits(&self.features, at, &mem.limits, mem.addr, bound, too_big)?;
        }
        if m.memories.len() > 1 && !self.features.multi_memory {
            return Err(later_proposal(
                &self.features,
                m.memory_offsets[1],
                "multi-memory",
                "multiple memories",
            ));
        }

        // C.refs: functions named anywhere outside function bodies.
        let mut refs = HashSet::new();
        for seg in &m.elems {
            match &seg.items {
                ElemItems::Funcs(funcs) => refs.extend(funcs.iter().copied()),
                ElemItems::Exprs(exprs) => {
                    for e in exprs {
                        refs.extend(const_expr::funcs_named(e));
                    }
                }
            }
        }
        for init in &m.global_inits {
            refs.extend(const_expr::funcs_named(init));
        }
        for export in &m.exports {
            if export.kind == ExternKind::Func {
                refs.insert(export.index);
            }
        }

        let cx = ConstContext::new(m, &self.features);
        for (i, init) in m.global_inits.iter().enumerate() {
            let index = m.num_imported_globals as usize + i;
            cx.check(init, m.globals[index].content, index as u32)?;
        }
        let defined_tables = m.tables.iter().zip(&m.table_offsets);
        for ((table, &at), init) in defined_tables
            .skip(m.num_imported_tables as usize)
            .zip(&m.table_inits)
        {
            match init {
                // Tables come before globals: only imported ones are known.
                Some(init) => cx.check(init, ValType::Ref(table.elem), m.num_imported_globals)?,
                None if !table.elem.nullable => {
                    return Err(Error::invalid(
                        at,
                        format!(
                            "type mismatch: a table of {} needs an initializer",
                            table.elem
                        ),
                    ));
                }
                None => {}
            }
        }

        let mut names = HashSet::new();
        for export in &m.exports {
            if !names.insert(export.name.as_str()) {
                return Err(Error::invalid(export.offset, "duplicate export name"));
            }
            let count = match export.kind {
                ExternKind::Func => m.funcs.len(),
                ExternKind::Table => m.tables.len(),
                ExternKind::Memory => m.memories.len(),
                ExternKind::Global => m.globals.len(),
                ExternKind::Tag => m.tags.len(),
            };
            if export.index as usize >= count {
                return Err(Error::invalid(
                    export.offset,
                    format!("unknown {} {}", kind_noun(export.kind), export.index),
                ));
            }
        }

        if let Some(start) = m.start {
            if start as usize >= m.funcs.len() {
                return Err(Error::invalid(
                    m.start_offset,
                    format!("unknown function {start}"),
                ));
            }
            let ty = m.func_type(start);
            if !ty.params().is_empty() || !ty.results().is_empty() {
                return Err(Error::invalid(
                    m.start_offset,
                    format!("start function must have type [] -> [], found {ty}"),
                ));
            }
        }

        for seg in &m.elems {
            if let ElemMode::Active { table, offset } = &seg.mode {
                let Some(t) = m.tables.get(*table as usize) else {
                    return Err(Error::invalid(seg.offset, format!("unknown table {table}")));
                };
                cx.check(offset, t.addr.val_type(), u32::MAX)?;
                if !seg.ty.matches(t.elem) {
                    return Err(Error::invalid(
                        seg.offset,
                        format!(
                            "type mismatch: element segment of {} for a table of {}",
                            seg.ty, t.elem
                        ),
                    ));
                }
            }
            match &seg.items {
                ElemItems::Funcs(funcs) => {
                    for f in funcs {
                        if *f as usize >= m.funcs.len() {
                            return Err(Error::invalid(
                                seg.offset,
                                format!("unknown function {f}"),
                            ));
                        }
                    }
                }
                ElemItems::Exprs(exprs) => {
                    for e in exprs {
                        cx.check(e, ValType::Ref(seg.ty), u32::MAX)?;
                    }
                }
            }
        }

        for seg in &m.data {
            if let DataMode::Active { memory, offset } = &seg.mode {
                let Some(mem) = m.memories.get(*memory as usize) else {
                    return Err(Error::invalid(
                        seg.offset,
                        format!("unknown memory {memory}"),
                    ));
                };
                cx.check(offset, mem.addr.val_type(), u32::MAX)?;
            }
        }
        Ok(refs)
    }
}

fn check_limits(
    features: &Features,
    at: usize,
    limits: &Limits,
    addr: AddrType,
    bound: u64,
    too_big: &str,
) -> Result<()> {
    // The 2.0 binary format encodes a 32-bit table's or memory's limits as
    // u32: anything larger was read with a later proposal's 64-bit
    // encoding, where it is a validation error.
    let wide = |v: u64| v > u32::MAX as u64;
    if !addr.is_64()
        && !features.decode_later_proposals
        && (wide(limits.min) || limits.max.is_some_and(wide))
    {
        return Err(Error::malformed(
            0,
            "integer too large: limits of a 32-bit table or memory",
        ));
    }
    if limits.min > bound || limits.max.is_some_and(|m| m > bound) {
        return Err(Error::invalid(at, too_big));
    }
    if limits.max.is_some_and(|m| m < limits.min) {
        return Err(Error::invalid(
            0,
            "size minimum must not be greater than maximum",
        ));
    }
    Ok(())
}

fn kind_noun(kind: ExternKind) -> &'static str {
    match kind {
        ExternKind::Func => "function",
        ExternKind::Table => "table",
        ExternKind::Memory => "memory",
        ExternKind::Global => "global",
        ExternKind::Tag => "tag",
    }
}
