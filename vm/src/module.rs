//! Skiff's module IR: what a decoded module holds, section by section.
//!
//! Function bodies stay in the module's bytes: each [`FuncBody`] records where
//! its operators are, and the tiers read them with wasmparser's operator reader
//! after Skiff's validator has checked them.

use crate::types::{ExternKind, FuncType, GlobalType, MemoryType, RefType, TableType, ValType};
use std::ops::Range;
use std::sync::Arc;

/// A module's binary encoding, shared by the decoded module and whatever
/// else holds it: bytes of its own, or a part of something larger (a
/// mapped artifact file holds the module beside its code).
#[derive(Clone)]
pub struct ModuleBytes {
    owner: Arc<dyn AsRef<[u8]> + Send + Sync>,
    range: Range<usize>,
}

impl ModuleBytes {
    /// A copy of `bytes`.
    pub fn copied(bytes: &[u8]) -> ModuleBytes {
        ModuleBytes {
            owner: Arc::new(bytes.to_vec()),
            range: 0..bytes.len(),
        }
    }

    /// All the bytes of `owner`, without copying them.
    pub fn whole(owner: Arc<dyn AsRef<[u8]> + Send + Sync>) -> ModuleBytes {
        let range = 0..(*owner).as_ref().len();
        ModuleBytes { owner, range }
    }

    /// Bytes `range` of `owner`, without copying them; `None` when `owner`
    /// has no such range.
    pub fn part_of(
        owner: Arc<dyn AsRef<[u8]> + Send + Sync>,
        range: Range<usize>,
    ) -> Option<ModuleBytes> {
        (*owner).as_ref().get(range.clone())?;
        Some(ModuleBytes { owner, range })
    }
}

impl std::ops::Deref for ModuleBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &(*self.owner).as_ref()[self.range.clone()]
    }
}

impl Default for ModuleBytes {
    fn default() -> ModuleBytes {
        ModuleBytes::copied(&[])
    }
}

impl std::fmt::Debug for ModuleBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ModuleBytes({} bytes)", self.range.len())
    }
}

/// A decoded WebAssembly module.
#[derive(Debug, Clone, Default)]
pub struct Module {
    /// The module's binary encoding; function bodies point into it.
    pub bytes: ModuleBytes,
    /// The type section.
    pub types: Vec<FuncType>,
    /// The canonical identity of each type of the type section.
    pub type_ids: Vec<crate::types::TypeId>,
    /// The import section, in order.
    pub imports: Vec<Import>,
    /// Type index of every function, imported ones first.
    pub funcs: Vec<u32>,
    /// Every table, imported ones first.
    pub tables: Vec<TableType>,
    /// Every memory, imported ones first.
    pub memories: Vec<MemoryType>,
    /// The initializer of each table the module defines (after the imported
    /// ones): `None` for null elements.
    pub table_inits: Vec<Option<ConstExpr>>,
    /// Byte offset of each table's declaration (import or table section entry).
    pub table_offsets: Vec<usize>,
    /// Byte offset of each memory's declaration (import or memory section entry).
    pub memory_offsets: Vec<usize>,
    /// The type of every global, imported ones first.
    pub globals: Vec<GlobalType>,
    /// Initializers of the globals the module defines (after the imported ones).
    pub global_inits: Vec<ConstExpr>,
    /// The type index of every exception tag, imported ones first.
    pub tags: Vec<u32>,
    /// Byte offset of each tag's declaration (import or tag section entry).
    pub tag_offsets: Vec<usize>,
    /// The export section.
    pub exports: Vec<Export>,
    /// The start function, if any.
    pub start: Option<u32>,
    /// Byte offset of the start section, for error messages.
    pub start_offset: usize,
    /// The element section.
    pub elems: Vec<ElemSegment>,
    /// The data count section, if present.
    pub data_count: Option<u32>,
    /// Bodies of the functions the module defines (after the imported ones).
    pub code: Vec<FuncBody>,
    /// The declared locals of every body, as runs of `(count, type)`, one
    /// body's after another's: one list for the module, not one for each
    /// body (loading a large module allocated one for each).
    pub locals: Vec<(u32, ValType)>,
    /// The data section.
    pub data: Vec<DataSegment>,
    /// The number of imported functions (they come first in the function index space).
    pub num_imported_funcs: u32,
    /// The number of imported tables.
    pub num_imported_tables: u32,
    /// The number of imported memories.
    pub num_imported_memories: u32,
    /// The number of imported globals.
    pub num_imported_globals: u32,
    /// The number of imported tags.
    pub num_imported_tags: u32,
    /// Names from the `name` custom section, decoded when first asked for
    /// (a backtrace): most loads never need them.
    pub(crate) names: std::sync::OnceLock<Names>,
    /// Every custom section: its name and the range of its payload in `bytes`.
    pub customs: Vec<(String, Range<usize>)>,
    /// The features it was decoded with; operators are read again with them.
    pub features: crate::Features,
}

impl Module {
    /// The type of tag `tag` (imported or defined).
    pub fn tag_type(&self, tag: u32) -> &FuncType {
        &self.types[self.tags[tag as usize] as usize]
    }

    /// The type of function `func` (imported or defined).
    pub fn func_type(&self, func: u32) -> &FuncType {
        &self.types[self.funcs[func as usize] as usize]
    }

    /// The body of function `func`, or `None` when it is imported.
    pub fn body(&self, func: u32) -> Option<&FuncBody> {
        func.checked_sub(self.num_imported_funcs)
            .and_then(|i| self.code.get(i as usize))
    }

    /// A defined function's declared locals (not its parameters), as runs
    /// of `(count, type)`.
    pub fn body_locals(&self, body: &FuncBody) -> &[(u32, ValType)] {
        &self.locals[body.locals.start as usize..body.locals.end as usize]
    }

    /// A reader of a defined function's operators, decoding as validation did.
    pub fn operators_reader(&self, body: &FuncBody) -> wasmparser::OperatorsReader<'_> {
        wasmparser::OperatorsReader::new(wasmparser::BinaryReader::new_features(
            self.operators(body),
            body.operators.start as u64,
            self.features.decoder_features(),
        ))
    }

    /// The bytes of a defined function's operators (after its locals).
    pub fn operators(&self, body: &FuncBody) -> &[u8] {
        &self.bytes[body.operators.clone()]
    }

    /// The name of function `func` from the name section, if it has one.
    pub fn func_name(&self, func: u32) -> Option<&str> {
        self.names().func_name(func)
    }

    /// The names of the `name` custom section (the last one, when there are
    /// several), as far as they decode: a broken name section is not an
    /// error, the spec makes custom sections' contents opaque.
    pub fn names(&self) -> &Names {
        self.names.get_or_init(|| {
            let section = self.customs.iter().rev().find(|(name, _)| name == "name");
            section.map_or_else(Names::default, |(_, range)| {
                Names::decode(&self.bytes[range.clone()], range.start)
            })
        })
    }
}

/// An import: module and field names, and what is imported.
#[derive(Debug, Clone, PartialEq)]
pub struct Import {
    /// The module name.
    pub module: String,
    /// The field name.
    pub name: String,
    /// What is imported, with its type.
    pub desc: ImportDesc,
    /// Byte offset of the import entry.
    pub offset: usize,
}

/// What an import brings in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ImportDesc {
    /// A function of the given type index.
    Func(u32),
    /// A table.
    Table(TableType),
    /// A memory.
    Memory(MemoryType),
    /// A global.
    Global(GlobalType),
    /// An exception tag of the given type index.
    Tag(u32),
}

impl ImportDesc {
    /// The kind of thing imported.
    pub fn kind(&self) -> ExternKind {
        match self {
            ImportDesc::Func(_) => ExternKind::Func,
            ImportDesc::Table(_) => ExternKind::Table,
            ImportDesc::Memory(_) => ExternKind::Memory,
            ImportDesc::Global(_) => ExternKind::Global,
            ImportDesc::Tag(_) => ExternKind::Tag,
        }
    }
}

/// An export: a name and the index of what it exports.
#[derive(Debug, Clone, PartialEq)]
pub struct Export {
    /// The export's name.
    pub name: String,
    /// The kind of thing exported.
    pub kind: ExternKind,
    /// Its index in the index space of its kind.
    pub index: u32,
    /// Byte offset of the export entry.
    pub offset: usize,
}

/// One instruction of a constant expression.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ConstOp {
    /// `i32.const`.
    I32Const(i32),
    /// `i64.const`.
    I64Const(i64),
    /// `f32.const`, as bits.
    F32Const(u32),
    /// `f64.const`, as bits.
    F64Const(u64),
    /// `v128.const`, as little-endian bytes.
    V128Const([u8; 16]),
    /// `ref.null`.
    RefNull(RefType),
    /// `ref.func`.
    RefFunc(u32),
    /// `global.get`.
    GlobalGet(u32),
    /// An `i32` or `i64` `add`, `sub` or `mul` (extended constants).
    Arith(ConstArith),
    /// An instruction that is not allowed in a constant expression; the
    /// validator rejects it. The string names the instruction.
    NotConstant(&'static str),
}

/// The arithmetic extended constant expressions allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConstArith {
    /// `i32.add`.
    I32Add,
    /// `i32.sub`.
    I32Sub,
    /// `i32.mul`.
    I32Mul,
    /// `i64.add`.
    I64Add,
    /// `i64.sub`.
    I64Sub,
    /// `i64.mul`.
    I64Mul,
}

impl ConstArith {
    /// The type of its operands and result.
    pub fn ty(self) -> crate::types::ValType {
        use crate::types::ValType;
        match self {
            ConstArith::I32Add | ConstArith::I32Sub | ConstArith::I32Mul => ValType::I32,
            ConstArith::I64Add | ConstArith::I64Sub | ConstArith::I64Mul => ValType::I64,
        }
    }

    /// Applies it to two operands' raw bits (wrapping, as the instructions do).
    pub fn apply(self, a: u64, b: u64) -> u64 {
        let (a32, b32) = (a as u32, b as u32);
        match self {
            ConstArith::I32Add => u64::from(a32.wrapping_add(b32)),
            ConstArith::I32Sub => u64::from(a32.wrapping_sub(b32)),
            ConstArith::I32Mul => u64::from(a32.wrapping_mul(b32)),
            ConstArith::I64Add => a.wrapping_add(b),
            ConstArith::I64Sub => a.wrapping_sub(b),
            ConstArith::I64Mul => a.wrapping_mul(b),
        }
    }
}

/// A constant expression: an initializer or a segment offset.
#[derive(Debug, Clone, PartialEq)]
pub struct ConstExpr {
    /// Its instructions, without the final `end`.
    pub ops: Vec<ConstOp>,
    /// Byte offset of its first instruction.
    pub offset: usize,
}

/// An element segment.
#[derive(Debug, Clone, PartialEq)]
pub struct ElemSegment {
    /// Whether the segment is active, passive or declarative.
    pub mode: ElemMode,
    /// The type of its references.
    pub ty: RefType,
    /// Its items.
    pub items: ElemItems,
    /// Byte offset of the segment.
    pub offset: usize,
}

/// How an element segment is used.
#[derive(Debug, Clone, PartialEq)]
pub enum ElemMode {
    /// Copied into `table` at `offset` during instantiation.
    Active {
        /// The table index.
        table: u32,
        /// Where in the table it goes.
        offset: ConstExpr,
    },
    /// Available to `table.init`.
    Passive,
    /// Only declares functions that `ref.func` may name.
    Declarative,
}

/// The items of an element segment.
#[derive(Debug, Clone, PartialEq)]
pub enum ElemItems {
    /// Function indices.
    Funcs(Vec<u32>),
    /// Constant expressions giving references.
    Exprs(Vec<ConstExpr>),
}

impl ElemItems {
    /// How many items the segment holds.
    pub fn len(&self) -> usize {
        match self {
            ElemItems::Funcs(f) => f.len(),
            ElemItems::Exprs(e) => e.len(),
        }
    }

    /// Whether the segment holds no items.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A data segment.
#[derive(Debug, Clone, PartialEq)]
pub struct DataSegment {
    /// Whether the segment is active or passive.
    pub mode: DataMode,
    /// The range of its bytes in the module's bytes.
    pub bytes: Range<usize>,
    /// Byte offset of the segment.
    pub offset: usize,
}

/// How a data segment is used.
#[derive(Debug, Clone, PartialEq)]
pub enum DataMode {
    /// Copied into `memory` at `offset` during instantiation.
    Active {
        /// The memory index.
        memory: u32,
        /// Where in the memory it goes.
        offset: ConstExpr,
    },
    /// Available to `memory.init`.
    Passive,
}

/// The body of a defined function.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FuncBody {
    /// Where its declared locals (not parameters) are in
    /// [`Module::locals`]: see [`Module::body_locals`].
    pub locals: Range<u32>,
    /// The number of declared locals (the sum of the runs).
    pub num_locals: u32,
    /// The range in the module's bytes of the operators, up to and with the final `end`.
    pub operators: Range<usize>,
    /// The range of the whole body entry (locals and operators).
    pub range: Range<usize>,
}

/// Names from the `name` custom section.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Names {
    /// The module's own name.
    pub module: Option<String>,
    /// Function names, sorted by function index.
    pub funcs: Vec<(u32, String)>,
}

impl Names {
    /// The names in `payload`, a name section's payload found at `offset`
    /// in its module.
    fn decode(payload: &[u8], offset: usize) -> Names {
        let reader = wasmparser::BinaryReader::new(payload, offset as u64);
        let mut names = Names::default();
        for sub in wasmparser::NameSectionReader::new(reader) {
            let Ok(sub) = sub else { break };
            match sub {
                wasmparser::Name::Module { name, .. } => names.module = Some(name.to_string()),
                wasmparser::Name::Function(map) => {
                    for naming in map.into_iter().flatten() {
                        names.funcs.push((naming.index, naming.name.to_string()));
                    }
                }
                _ => {}
            }
        }
        names.funcs.sort_by_key(|(i, _)| *i);
        names.funcs.dedup_by_key(|(i, _)| *i);
        names
    }

    /// The name of function `func`, if the section names it.
    pub fn func_name(&self, func: u32) -> Option<&str> {
        self.funcs
            .binary_search_by_key(&func, |(i, _)| *i)
            .ok()
            .map(|i| self.funcs[i].1.as_str())
    }
}
