//! Decoding: wasmparser's readers turn a binary module into Skiff's [`Module`] IR.
//!
//! Decoding checks the binary format (section order and sizes, encodings, the
//! agreement of the function and code sections). It leaves every validation rule
//! to [`crate::validate()`], and reports uses of proposals beyond WebAssembly 2.0
//! as [`ErrorKind::Unsupported`](crate::ErrorKind::Unsupported).

use crate::error::{Error, Result};
use crate::features::Features;
use crate::module::{
    ConstArith, ConstExpr, ConstOp, DataMode, DataSegment, ElemItems, ElemMode, ElemSegment,
    Export, FuncBody, Import, ImportDesc, Module, ModuleBytes,
};
use crate::types::{
    AddrType, ExternKind, FuncType, GlobalType, HeapType, Limits, MemoryType, RefType, TableType,
    TypeId, ValType,
};
use wasmparser::{Operator, Parser, Payload};

/// The most locals (parameters excluded) a function may declare.
///
/// The spec bounds the count by 2^32; like other engines Skiff sets a lower
/// implementation limit so that a module cannot make it reserve gigabytes.
pub const MAX_LOCALS: u32 = 50_000;

/// Decodes a binary module into Skiff's IR, without validating it. The
/// module keeps a copy of `bytes`.
pub fn decode(bytes: &[u8], features: &Features) -> Result<Module> {
    Decoder::new(bytes, ModuleBytes::copied(bytes), features).run()
}

/// [`decode`], the module sharing `bytes` instead of copying them.
pub fn decode_shared(bytes: ModuleBytes, features: &Features) -> Result<Module> {
    Decoder::new(&bytes, bytes.clone(), features).run()
}

/// Turns WebAssembly text (a `.wat` module) into binary bytes.
pub fn wat_to_binary(text: &str) -> Result<Vec<u8>> {
    wat_file_to_binary(text, None)
}

/// As [`wat_to_binary`], for text read from `path`: a syntax error then
/// names the file (`--> path:line:column`) instead of `<anon>`.
pub fn wat_file_to_binary(text: &str, path: Option<&std::path::Path>) -> Result<Vec<u8>> {
    wat::parse_str(text).map_err(|mut e| {
        if let Some(path) = path {
            e.set_path(path);
        }
        Error::without_offset(crate::error::ErrorKind::Malformed, e.to_string())
    })
}

struct Decoder<'a> {
    bytes: &'a [u8],
    features: Features,
    module: Module,
    saw_code: bool,
}

fn off(pos: u64) -> usize {
    pos as usize
}

impl<'a> Decoder<'a> {
    /// A decoder of `bytes`, which `kept` holds for the module.
    fn new(bytes: &'a [u8], kept: ModuleBytes, features: &Features) -> Self {
        Decoder {
            bytes,
            features: *features,
            module: Module {
                bytes: kept,
                features: *features,
                ..Module::default()
            },
            saw_code: false,
        }
    }

    fn run(mut self) -> Result<Module> {
        let mut parser = Parser::new(0);
        parser.set_features(self.features.decoder_features());
        for payload in parser.parse_all(self.bytes) {
            self.payload(payload?)?;
        }
        let defined = self.module.funcs.len() - self.module.num_imported_funcs as usize;
        if !self.saw_code && defined > 0 {
            return Err(Error::malformed(
                self.bytes.len(),
                "function and code section have inconsistent lengths",
            ));
        }
        Ok(self.module)
    }

    fn payload(&mut self, payload: Payload<'a>) -> Result<()> {
        match payload {
            Payload::Version {
                encoding, range, ..
            } => {
                if encoding != wasmparser::Encoding::Module {
                    return Err(Error::malformed(
                        off(range.start),
                        "unknown binary version: a component, not a module",
                    ));
                }
            }
            Payload::TypeSection(reader) => {
                for group in reader.into_iter_with_offsets() {
                    let (pos, group) = group?;
                    if group.is_explicit_rec_group() {
                        return Err(later(
                            &self.features,
                            off(pos),
                            "gc (recursive type groups)",
                        ));
                    }
                    for sub in group.into_types() {
                        // A type may refer to itself: under the key it is
                        // interned by, as `TypeId::SELF`, its index's
                        // identity while it is converted.
                        self.module.type_ids.push(TypeId::SELF);
                        let key = self.func_type(&sub, &self.module.type_ids, off(pos));
                        self.module.type_ids.pop();
                        let id = TypeId::of_key(key?);
                        self.module.types.push(id.func_type());
                        self.module.type_ids.push(id);
                    }
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports_with_offsets() {
                    let (pos, import) = import?;
                    self.import(import, off(pos))?;
                }
            }
            Payload::FunctionSection(reader) => {
                for ty in reader {
                    self.module.funcs.push(ty?);
                }
            }
            Payload::TableSection(reader) => {
                for table in reader.into_iter_with_offsets() {
                    let (pos, table) = table?;
                    let init = match &table.init {
                        wasmparser::TableInit::RefNull => None,
                        wasmparser::TableInit::Expr(e) if self.features.function_references => {
                            Some(self.const_expr(e)?)
                        }
                        wasmparser::TableInit::Expr(_) => {
                            return Err(later(
                                &self.features,
                                off(pos),
                                "function-references (table initializers)",
                            ));
                        }
                    };
                    let ty = self.table_type(&table.ty, off(pos))?;
                    self.module.tables.push(ty);
                    self.module.table_inits.push(init);
                    self.module.table_offsets.push(off(pos));
                }
            }
            Payload::MemorySection(reader) => {
                for mem in reader.into_iter_with_offsets() {
                    let (pos, mem) = mem?;
                    let ty = self.memory_type(&mem, off(pos))?;
                    self.module.memories.push(ty);
                    self.module.memory_offsets.push(off(pos));
                }
            }
            Payload::TagSection(reader) => {
                if !self.features.exceptions {
                    return Err(later(
                        &self.features,
                        off(reader.range().start),
                        "exceptions (tag section)",
                    ));
                }
                for tag in reader.into_iter_with_offsets() {
                    let (pos, tag) = tag?;
                    self.module.tags.push(tag.func_type_idx);
                    self.module.tag_offsets.push(off(pos));
                }
            }
            Payload::GlobalSection(reader) => {
                for global in reader.into_iter_with_offsets() {
                    let (pos, global) = global?;
                    let ty = self.global_type(&global.ty, off(pos))?;
                    let init = self.const_expr(&global.init_expr)?;
                    self.module.globals.push(ty);
                    self.module.global_inits.push(init);
                }
            }
            Payload::ExportSection(reader) => {
                for export in reader.into_iter_with_offsets() {
                    let (pos, export) = export?;
                    let kind = match export.kind {
                        wasmparser::ExternalKind::Func => ExternKind::Func,
                        wasmparser::ExternalKind::Table => ExternKind::Table,
                        wasmparser::ExternalKind::Memory => ExternKind::Memory,
                        wasmparser::ExternalKind::Global => ExternKind::Global,
                        wasmparser::ExternalKind::Tag if self.features.exceptions => {
                            ExternKind::Tag
                        }
                        wasmparser::ExternalKind::Tag => {
                            return Err(later(&self.features, off(pos), "exceptions (tag export)"));
                        }
                        wasmparser::ExternalKind::FuncExact => {
                            return Err(later(
                                &self.features,
                                off(pos),
                                "custom-descriptors (exact function export)",
                            ));
                        }
                    };
                    self.module.exports.push(Export {
                        name: export.name.to_string(),
                        kind,
                        index: export.index,
                        offset: off(pos),
                    });
                }
            }
            Payload::StartSection { func, range } => {
                self.module.start = Some(func);
                self.module.start_offset = off(range.start);
            }
            Payload::ElementSection(reader) => {
                for elem in reader.into_iter_with_offsets() {
                    let (pos, elem) = elem?;
                    let seg = self.elem(elem, off(pos))?;
                    self.module.elems.push(seg);
                }
            }
            Payload::DataCountSection { count, .. } => {
                self.module.data_count = Some(count);
            }
            Payload::DataSection(reader) => {
                for data in reader.into_iter_with_offsets() {
                    let (pos, data) = data?;
                    let seg = self.data(data, off(pos))?;
                    self.module.data.push(seg);
                }
            }
            Payload::CodeSectionStart {
                count,
                unchecked_range,
                ..
            } => {
                self.saw_code = true;
                let defined = self.module.funcs.len() - self.module.num_imported_funcs as usize;
                if count as usize != defined {
                    return Err(Error::malformed(
                        off(unchecked_range.start),
                        "function and code section have inconsistent lengths",
                    ));
                }
                self.module.code.reserve(count as usize);
            }
            Payload::CodeSectionEntry(body) => {
                let body = self.body(body)?;
                self.module.code.push(body);
            }
            Payload::CustomSection(reader) => {
                // The name section is decoded when first needed
                // (`Module::names`).
                let name = reader.name().to_string();
                let range = off(reader.data_range().start)..off(reader.data_range().end);
                self.module.customs.push((name, range));
            }
            Payload::End(_) => {}
            Payload::UnknownSection { id, range, .. } => {
                return Err(Error::malformed(
                    off(range.start),
                    format!("malformed section id: {id}"),
                ));
            }
            other => {
                let pos = other.as_section().map(|(_, r)| r.start).unwrap_or(0);
                return Err(Error::malformed(
                    off(pos),
                    "unexpected section in a core module",
                ));
            }
        }
        Ok(())
    }

    /// The function type `sub`, whose references to other types are to the
    /// identities in `scope` (by type index).
    fn func_type(
        &self,
        sub: &wasmparser::SubType,
        scope: &[TypeId],
        pos: usize,
    ) -> Result<FuncType> {
        if !sub.is_final || !sub.supertype_idxs.is_empty() {
            return Err(later(&self.features, pos, "gc (subtypes)"));
        }
        let ct = &sub.composite_type;
        if ct.shared {
            return Err(later(&self.features, pos, "shared-everything-threads"));
        }
        if ct.descriptor_idx.is_some() || ct.describes_idx.is_some() {
            return Err(later(&self.features, pos, "custom-descriptors"));
        }
        match &ct.inner {
            wasmparser::CompositeInnerType::Func(f) => {
                let convert =
                    |t: &wasmparser::ValType| convert_val_type(*t, &self.features, scope, pos);
                let params = f.params().iter().map(convert).collect::<Result<Vec<_>>>()?;
                let results = f
                    .results()
                    .iter()
                    .map(convert)
                    .collect::<Result<Vec<_>>>()?;
                Ok(FuncType::new(params, results))
            }
            _ => Err(later(
                &self.features,
                pos,
                "gc (struct, array and continuation types)",
            )),
        }
    }

    pub(crate) fn val_type(&self, ty: wasmparser::ValType, pos: usize) -> Result<ValType> {
        convert_val_type(ty, &self.features, &self.module.type_ids, pos)
    }

    fn table_type(&self, ty: &wasmparser::TableType, pos: usize) -> Result<TableType> {
        if ty.table64 && !self.features.memory64 {
            return Err(later(&self.features, pos, "memory64 (64-bit tables)"));
        }
        if ty.shared {
            return Err(later(&self.features, pos, "shared-everything-threads"));
        }
        Ok(TableType {
            elem: convert_ref_type(ty.element_type, &self.features, &self.module.type_ids, pos)?,
            limits: Limits {
                min: ty.initial,
                max: ty.maximum,
            },
            addr: if ty.table64 {
                AddrType::I64
            } else {
                AddrType::I32
            },
        })
    }

    fn memory_type(&self, ty: &wasmparser::MemoryType, pos: usize) -> Result<MemoryType> {
        if ty.memory64 && !self.features.memory64 {
            return Err(later(&self.features, pos, "memory64"));
        }
        if ty.shared {
            return Err(later(&self.features, pos, "threads (shared memory)"));
        }
        if ty.page_size_log2.is_some() {
            return Err(later(&self.features, pos, "custom-page-sizes"));
        }
        Ok(MemoryType {
            limits: Limits {
                min: ty.initial,
                max: ty.maximum,
            },
            addr: if ty.memory64 {
                AddrType::I64
            } else {
                AddrType::I32
            },
        })
    }

    fn global_type(&self, ty: &wasmparser::GlobalType, pos: usize) -> Result<GlobalType> {
        if ty.shared {
            // The flag of a proposal beyond 3.0 (shared-everything-threads):
            // in 3.0's binary format, a mutability byte other than 0 or 1.
            return Err(Error::malformed(
                pos,
                "malformed mutability: shared globals are not part of WebAssembly 3.0",
            ));
        }
        Ok(GlobalType {
            content: self.val_type(ty.content_type, pos)?,
            mutable: ty.mutable,
        })
    }

    fn import(&mut self, import: wasmparser::Import<'a>, pos: usize) -> Result<()> {
        let desc = match import.ty {
            wasmparser::TypeRef::Func(ty) => {
                self.module.funcs.push(ty);
                self.module.num_imported_funcs += 1;
                ImportDesc::Func(ty)
            }
            wasmparser::TypeRef::Table(ty) => {
                let ty = self.table_type(&ty, pos)?;
                self.module.tables.push(ty);
                self.module.table_offsets.push(pos);
                self.module.num_imported_tables += 1;
                ImportDesc::Table(ty)
            }
            wasmparser::TypeRef::Memory(ty) => {
                let ty = self.memory_type(&ty, pos)?;
                self.module.memories.push(ty);
                self.module.memory_offsets.push(pos);
                self.module.num_imported_memories += 1;
                ImportDesc::Memory(ty)
            }
            wasmparser::TypeRef::Global(ty) => {
                let ty = self.global_type(&ty, pos)?;
                self.module.globals.push(ty);
                self.module.num_imported_globals += 1;
                ImportDesc::Global(ty)
            }
            wasmparser::TypeRef::Tag(tag) if self.features.exceptions => {
                self.module.tags.push(tag.func_type_idx);
                self.module.tag_offsets.push(pos);
                self.module.num_imported_tags += 1;
                ImportDesc::Tag(tag.func_type_idx)
            }
            wasmparser::TypeRef::Tag(_) => {
                return Err(later(&self.features, pos, "exceptions (tag import)"));
            }
            wasmparser::TypeRef::FuncExact(_) => {
                return Err(later(
                    &self.features,
                    pos,
                    "custom-descriptors (exact function import)",
                ));
            }
        };
        self.module.imports.push(Import {
            module: import.module.to_string(),
            name: import.name.to_string(),
            desc,
            offset: pos,
        });
        Ok(())
    }

    fn const_expr(&self, expr: &wasmparser::ConstExpr<'a>) -> Result<ConstExpr> {
        decode_const_expr(expr, &self.features, &self.module.type_ids)
    }

    fn elem(&self, elem: wasmparser::Element<'a>, pos: usize) -> Result<ElemSegment> {
        let mode = match elem.kind {
            wasmparser::ElementKind::Passive => ElemMode::Passive,
            wasmparser::ElementKind::Declared => ElemMode::Declarative,
            wasmparser::ElementKind::Active {
                table_index,
                offset_expr,
            } => ElemMode::Active {
                table: table_index.unwrap_or(0),
                offset: self.const_expr(&offset_expr)?,
            },
        };
        let (ty, items) = match elem.items {
            wasmparser::ElementItems::Functions(funcs) => {
                let funcs = funcs
                    .into_iter()
                    .collect::<std::result::Result<Vec<u32>, _>>()?;
                // Function indices cannot be null: 3.0 types them so.
                let nullable = !self.features.function_references;
                (
                    RefType::new(nullable, HeapType::Func),
                    ElemItems::Funcs(funcs),
                )
            }
            wasmparser::ElementItems::Expressions(ty, exprs) => {
                let ty = convert_ref_type(ty, &self.features, &self.module.type_ids, pos)?;
                let mut items = Vec::with_capacity(exprs.count() as usize);
                for expr in exprs {
                    items.push(self.const_expr(&expr?)?);
                }
                (ty, ElemItems::Exprs(items))
            }
        };
        Ok(ElemSegment {
            mode,
            ty,
            items,
            offset: pos,
        })
    }

    fn data(&self, data: wasmparser::Data<'a>, pos: usize) -> Result<DataSegment> {
        let mode = match data.kind {
            wasmparser::DataKind::Passive => DataMode::Passive,
            wasmparser::DataKind::Active {
                memory_index,
                offset_expr,
            } => DataMode::Active {
                memory: memory_index,
                offset: self.const_expr(&offset_expr)?,
            },
        };
        let start = data.data.as_ptr() as usize - self.bytes.as_ptr() as usize;
        Ok(DataSegment {
            mode,
            bytes: start..start + data.data.len(),
            offset: pos,
        })
    }

    /// `body`, its locals added to the module's list.
    fn body(&mut self, body: wasmparser::FunctionBody<'a>) -> Result<FuncBody> {
        let mut locals_reader = body.get_locals_reader()?;
        let count = locals_reader.get_count();
        let first = self.module.locals.len() as u32;
        let mut total: u32 = 0;
        for _ in 0..count {
            let pos = off(locals_reader.original_position());
            let (n, ty) = locals_reader.read()?;
            total = match total.checked_add(n) {
                Some(t) if t <= MAX_LOCALS => t,
                _ => return Err(Error::malformed(pos, "too many locals")),
            };
            let ty = self.val_type(ty, pos)?;
            self.module.locals.push((n, ty));
        }
        let locals = first..self.module.locals.len() as u32;
        let ops_start = off(locals_reader.original_position());
        let range = body.range();
        Ok(FuncBody {
            locals,
            num_locals: total,
            operators: ops_start..off(range.end),
            range: off(range.start)..off(range.end),
        })
    }
}

/// Converts a wasmparser value type into Skiff's, refusing what the
/// features leave out. `types` are the identities of the module's types by
/// index, as far as a reference may name them.
pub(crate) fn convert_val_type(
    ty: wasmparser::ValType,
    features: &Features,
    types: &[TypeId],
    pos: usize,
) -> Result<ValType> {
    Ok(match ty {
        wasmparser::ValType::I32 => ValType::I32,
        wasmparser::ValType::I64 => ValType::I64,
        wasmparser::ValType::F32 => ValType::F32,
        wasmparser::ValType::F64 => ValType::F64,
        wasmparser::ValType::V128 => {
            if !features.simd {
                return Err(Error::unsupported(pos, "simd"));
            }
            ValType::V128
        }
        wasmparser::ValType::Ref(r) => ValType::Ref(convert_ref_type(r, features, types, pos)?),
    })
}

/// Converts a wasmparser reference type: `funcref` and `externref` are
/// 2.0; `exnref` comes with exception handling; non-nullable and typed
/// function references with function references. `types` are as for
/// [`convert_val_type`].
pub(crate) fn convert_ref_type(
    ty: wasmparser::RefType,
    features: &Features,
    types: &[TypeId],
    pos: usize,
) -> Result<RefType> {
    use wasmparser::{AbstractHeapType as A, HeapType as H};
    let heap = match ty.heap_type() {
        H::Abstract {
            shared: false,
            ty: A::Func,
        } => HeapType::Func,
        H::Abstract {
            shared: false,
            ty: A::Extern,
        } => HeapType::Extern,
        H::Abstract {
            shared: false,
            ty: A::Exn,
        } if features.exceptions => HeapType::Exn,
        H::Abstract {
            shared: false,
            ty: A::Exn | A::NoExn,
        } => return Err(later(features, pos, "exceptions (exnref)")),
        H::Abstract {
            ty: A::Cont | A::NoCont,
            ..
        } => {
            return Err(later(
                features,
                pos,
                "stack-switching (continuation references)",
            ));
        }
        H::Abstract { shared: true, .. } => {
            return Err(later(
                features,
                pos,
                "shared-everything-threads (shared references)",
            ));
        }
        H::Abstract { .. } => return Err(later(features, pos, "gc (references to GC types)")),
        H::Concrete(wasmparser::UnpackedIndex::Module(i)) if features.function_references => {
            match types.get(i as usize) {
                Some(&id) => HeapType::Concrete(id),
                None => return Err(Error::invalid(pos, format!("unknown type {i}"))),
            }
        }
        H::Concrete(wasmparser::UnpackedIndex::Module(_)) => {
            return Err(later(
                features,
                pos,
                "function-references (typed references)",
            ));
        }
        H::Concrete(_) => return Err(later(features, pos, "gc (recursive type groups)")),
        H::Exact(_) => return Err(later(features, pos, "custom-descriptors (exact types)")),
    };
    if !ty.is_nullable() && !features.function_references {
        return Err(later(
            features,
            pos,
            "function-references (non-nullable references)",
        ));
    }
    Ok(RefType::new(ty.is_nullable(), heap))
}

/// Decodes a constant expression. Instructions that are not constant are kept
/// as [`ConstOp::NotConstant`] for the validator to reject.
fn decode_const_expr(
    expr: &wasmparser::ConstExpr<'_>,
    features: &Features,
    types: &[TypeId],
) -> Result<ConstExpr> {
    let mut reader = expr.get_operators_reader();
    let offset = off(reader.original_position());
    let mut ops = Vec::with_capacity(1);
    loop {
        let pos = off(reader.original_position());
        let op = reader.read()?;
        let op = match op {
            Operator::End => break,
            Operator::I32Const { value } => ConstOp::I32Const(value),
            Operator::I64Const { value } => ConstOp::I64Const(value),
            Operator::F32Const { value } => ConstOp::F32Const(value.bits()),
            Operator::F64Const { value } => ConstOp::F64Const(value.bits()),
            Operator::V128Const { value } => {
                if !features.simd {
                    return Err(Error::unsupported(pos, "simd"));
                }
                let mut bytes = [0; 16];
                bytes.copy_from_slice(value.bytes());
                ConstOp::V128Const(bytes)
            }
            Operator::RefNull { hty } => ConstOp::RefNull(convert_ref_type(
                wasmparser::RefType::new(true, hty)
                    .ok_or_else(|| Error::malformed(pos, "malformed reference type"))?,
                features,
                types,
                pos,
            )?),
            Operator::RefFunc { function_index } => ConstOp::RefFunc(function_index),
            Operator::GlobalGet { global_index } => ConstOp::GlobalGet(global_index),
            Operator::I32Add if features.extended_const => ConstOp::Arith(ConstArith::I32Add),
            Operator::I32Sub if features.extended_const => ConstOp::Arith(ConstArith::I32Sub),
            Operator::I32Mul if features.extended_const => ConstOp::Arith(ConstArith::I32Mul),
            Operator::I64Add if features.extended_const => ConstOp::Arith(ConstArith::I64Add),
            Operator::I64Sub if features.extended_const => ConstOp::Arith(ConstArith::I64Sub),
            Operator::I64Mul if features.extended_const => ConstOp::Arith(ConstArith::I64Mul),
            Operator::I32Add
            | Operator::I32Sub
            | Operator::I32Mul
            | Operator::I64Add
            | Operator::I64Sub
            | Operator::I64Mul
                if features.decode_later_proposals =>
            {
                return Err(Error::unsupported(pos, "extended-const"));
            }
            _ => {
                // The expression's bytes were already checked to be well nested;
                // the validator rejects it, so there is no need to read on.
                ops.push(ConstOp::NotConstant("a non-constant instruction"));
                return Ok(ConstExpr { ops, offset });
            }
        };
        ops.push(op);
    }
    reader.finish()?;
    Ok(ConstExpr { ops, offset })
}

/// The error for an encoding that only a proposal beyond WebAssembly 2.0 gives
/// a meaning: `Unsupported` when later proposals are recognized, malformed under
/// the 2.0 binary format.
pub(crate) fn later(features: &Features, pos: usize, feature: &str) -> Error {
    if features.decode_later_proposals {
        Error::unsupported(pos, feature)
    } else {
        Error::malformed(pos, format!("{feature} is not part of WebAssembly 2.0"))
    }
}
