//! Writing a snapshot: the original module's sections, with those that
//! hold initial state (tables, memories, globals, exports, start, element
//! and data segments) rewritten to hold the state init left.

use super::{GlobalValue, SnapshotError, State};
use skiff_vm::runtime::Value;
use std::borrow::Cow;
use std::ops::Range;
use wasm_encoder::reencode::{Reencode, RoundtripReencoder};
use wasm_encoder::{
    ConstExpr, DataCountSection, DataSection, ElementSection, Elements, ExportSection,
    GlobalSection, MemorySection, RawSection, RefType, TableSection, TableType,
};
use wasmparser::{DataKind, ElementItems, ElementKind, Operator, Parser, Payload, TableInit};

/// Zero bytes between two runs of data at which they become two segments
/// rather than one: a segment's header costs about this much.
const SEGMENT_GAP: usize = 32;

/// The most data segments a snapshot writes for memory contents: well under
/// the 100,000 that wasmparser-based engines accept, so that any engine
/// loads the snapshot.
const MAX_DATA_SEGMENTS: usize = 10_000;

/// The section ids, in the order a module must have them (the tag section
/// sits between memories and globals).
const SECTION_ORDER: [u8; 13] = [1, 2, 3, 4, 5, 13, 6, 7, 8, 9, 12, 10, 11];
const ELEMENT: u8 = 9;

/// The position of section `id` in [`SECTION_ORDER`]; `None` for custom sections.
fn rank(id: u8) -> Option<usize> {
    SECTION_ORDER.iter().position(|&s| s == id)
}

/// `binary` with its state sections rewritten to hold `state`.
pub(super) fn rewrite(binary: &[u8], state: &State) -> Result<Vec<u8>, SnapshotError> {
    let bad = |e: &dyn std::fmt::Display| SnapshotError::Refused(format!("cannot rewrite: {e}"));
    let mut writer = Writer {
        binary,
        state,
        re: RoundtripReencoder,
        out: wasm_encoder::Module::new(),
        tables: Vec::new(),
        declared: Vec::new(),
        memory64: Vec::new(),
        runs: Vec::new(),
        elements_written: false,
        data_written: false,
    };
    // Runs of data, each a segment: with more than engines accept (memory
    // whose non-zero bytes lie far apart), runs that are closer join.
    let mut gap = SEGMENT_GAP;
    loop {
        writer.runs.clear();
        for (m, (_, bytes)) in state.memories.iter().enumerate() {
            writer
                .runs
                .extend(nonzero_runs(bytes, gap).map(|r| (m as u32, r)));
        }
        if writer.runs.len() <= MAX_DATA_SEGMENTS {
            break;
        }
        gap *= 4;
    }
    for payload in Parser::new(0).parse_all(binary) {
        let payload = payload.map_err(|e| bad(&e))?;
        let Some((id, range)) = payload.as_section() else {
            continue;
        };
        // A module without element segments gets a section for its tables'
        // contents, in its place.
        if rank(id) > rank(ELEMENT) && !writer.elements_written {
            writer.elements(None).map_err(|e| bad(&e))?;
        }
        writer.section(payload, id, range).map_err(|e| bad(&e))?;
    }
    if !writer.elements_written {
        writer.elements(None).map_err(|e| bad(&e))?;
    }
    if !writer.data_written {
        writer.data(None);
    }
    Ok(writer.out.finish())
}

/// The ranges of `bytes` to write as data: runs of non-zero bytes, joined
/// where fewer than `gap` zeros part them.
fn nonzero_runs(bytes: &[u8], gap: usize) -> impl Iterator<Item = Range<usize>> + '_ {
    let mut at = 0;
    std::iter::from_fn(move || {
        let start = at + bytes[at..].iter().position(|&b| b != 0)?;
        let mut end = start;
        loop {
            end += bytes[end..]
                .iter()
                .position(|&b| b == 0)
                .unwrap_or(bytes.len() - end);
            let zeros = bytes[end..]
                .iter()
                .take(gap)
                .take_while(|&&b| b == 0)
                .count();
            if zeros == gap || end + zeros == bytes.len() {
                break;
            }
            end += zeros;
        }
        at = end;
        Some(start..end)
    })
}

type ReencodeError = wasm_encoder::reencode::Error;

/// The module being written.
struct Writer<'s, 'a> {
    /// The original module.
    binary: &'s [u8],
    state: &'s State<'a>,
    re: RoundtripReencoder,
    out: wasm_encoder::Module,
    /// The tables' types, as rewritten, and whether each has an
    /// initializer (else it starts with null elements).
    tables: Vec<(TableType, bool)>,
    /// Functions to declare for `ref.func`, which the original declared
    /// where the snapshot no longer does (a removed export, a global's
    /// initializer, an emptied segment).
    declared: Vec<u32>,
    /// Whether each memory has 64-bit addresses.
    memory64: Vec<bool>,
    /// The data to write: a memory and a byte range of it.
    runs: Vec<(u32, Range<usize>)>,
    elements_written: bool,
    data_written: bool,
}

impl Writer<'_, '_> {
    /// Writes section `id` (its contents at `range` of the original), rewritten if it holds state.
    fn section(
        &mut self,
        payload: Payload<'_>,
        id: u8,
        range: Range<u64>,
    ) -> Result<(), ReencodeError> {
        match payload {
            Payload::TableSection(reader) => {
                let mut section = TableSection::new();
                for (i, table) in reader.into_iter().enumerate() {
                    let table = table?;
                    let mut ty = self.re.table_type(table.ty)?;
                    ty.minimum = self.state.tables[i].len() as u64;
                    match table.init {
                        TableInit::RefNull => {
                            section.table(ty);
                            self.tables.push((ty, false));
                        }
                        TableInit::Expr(e) => {
                            section.table_with_init(ty, &self.re.const_expr(e)?);
                            self.tables.push((ty, true));
                        }
                    }
                }
                self.out.section(&section);
            }
            Payload::MemorySection(reader) => {
                let mut section = MemorySection::new();
                for (i, memory) in reader.into_iter().enumerate() {
                    let mut ty = self.re.memory_type(memory?)?;
                    ty.minimum = self.state.memories[i].0;
                    self.memory64.push(ty.memory64);
                    section.memory(ty);
                }
                self.out.section(&section);
            }
            Payload::GlobalSection(reader) => {
                let mut section = GlobalSection::new();
                for (i, global) in reader.into_iter().enumerate() {
                    let global = global?;
                    let ty = self.re.global_type(global.ty)?;
                    let init = if global.ty.mutable {
                        declare_ref_funcs(global.init_expr, &mut self.declared)?;
                        self.constant(&self.state.globals[i], ty.val_type)
                    } else {
                        self.re.const_expr(global.init_expr)?
                    };
                    section.global(ty, &init);
                }
                self.out.section(&section);
            }
            Payload::ExportSection(reader) => {
                let mut section = ExportSection::new();
                for export in reader {
                    let export = export?;
                    if !self.state.removed_exports.iter().any(|n| n == export.name) {
                        self.re.parse_export(&mut section, export)?;
                    } else if export.kind == wasmparser::ExternalKind::Func {
                        self.declared.push(export.index);
                    }
                }
                self.out.section(&section);
            }
            // The start function ran; its effects are in the state.
            Payload::StartSection { .. } => {}
            Payload::ElementSection(reader) => self.elements(Some(reader))?,
            Payload::DataCountSection { count, .. } => {
                self.out.section(&DataCountSection {
                    count: count + self.runs.len() as u32,
                });
            }
            Payload::DataSection(reader) => {
                let mut kept = Vec::new();
                for (i, data) in reader.into_iter().enumerate() {
                    let data = data?;
                    let live =
                        matches!(data.kind, DataKind::Passive) && !self.state.data_dropped[i];
                    kept.push(if live { data.data } else { &[][..] });
                }
                self.data(Some(&kept));
            }
            _ => {
                let data = &self.binary[range.start as usize..range.end as usize];
                self.out.section(&RawSection { id, data });
            }
        }
        Ok(())
    }

    /// Writes the element section: the original segments (`reader`) at
    /// their indices as passive segments, empty once dropped; a declaration
    /// of the functions the emptied ones named (code may `ref.func` them);
    /// then one active segment filling each table.
    fn elements(
        &mut self,
        reader: Option<wasmparser::ElementSectionReader<'_>>,
    ) -> Result<(), ReencodeError> {
        self.elements_written = true;
        let mut section = ElementSection::new();
        let mut declared = std::mem::take(&mut self.declared);
        for (i, elem) in reader.into_iter().flatten().enumerate() {
            let elem = elem?;
            let keep = match elem.kind {
                ElementKind::Active { .. } => false,
                ElementKind::Passive => !self.state.elem_dropped[i],
                ElementKind::Declared => true,
            };
            if keep {
                self.re.parse_element(&mut section, elem)?;
                continue;
            }
            match elem.items {
                ElementItems::Functions(funcs) => {
                    for f in funcs {
                        declared.push(f?);
                    }
                    section.passive(Elements::Functions(Cow::Borrowed(&[])));
                }
                ElementItems::Expressions(ty, exprs) => {
                    for expr in exprs {
                        declare_ref_funcs(expr?, &mut declared)?;
                    }
                    let ty = self.re.ref_type(ty)?;
                    section.passive(Elements::Expressions(ty, Cow::Borrowed(&[])));
                }
            }
        }
        if !declared.is_empty() {
            declared.sort_unstable();
            declared.dedup();
            section.declared(Elements::Functions(declared.into()));
        }
        for (t, (elems, (ty, has_init))) in self.state.tables.iter().zip(&self.tables).enumerate() {
            write_table(&mut section, t as u32, elems, ty, *has_init);
        }
        if !section.is_empty() {
            self.out.section(&section);
        }
        Ok(())
    }

    /// Writes the data section: the original segments' bytes (`kept`, empty
    /// for those dropped) as passive segments at their indices, then the
    /// memories' contents as active segments.
    fn data(&mut self, kept: Option<&[&[u8]]>) {
        self.data_written = true;
        let mut section = DataSection::new();
        for bytes in kept.into_iter().flatten() {
            section.passive(bytes.iter().copied());
        }
        for (m, run) in &self.runs {
            let bytes = &self.state.memories[*m as usize].1[run.clone()];
            let offset = if self.memory64[*m as usize] {
                ConstExpr::i64_const(run.start as i64)
            } else {
                ConstExpr::i32_const(run.start as u32 as i32)
            };
            section.active(*m, &offset, bytes.iter().copied());
        }
        if !section.is_empty() {
            self.out.section(&section);
        }
    }

    /// A constant expression giving `value`, of type `ty`.
    fn constant(&self, value: &GlobalValue, ty: wasm_encoder::ValType) -> ConstExpr {
        match (value, ty) {
            (GlobalValue::Num(Value::I32(v)), _) => ConstExpr::i32_const(*v),
            (GlobalValue::Num(Value::I64(v)), _) => ConstExpr::i64_const(*v),
            (GlobalValue::Num(Value::F32(bits)), _) => {
                ConstExpr::f32_const(wasm_encoder::Ieee32::new(*bits))
            }
            (GlobalValue::Num(Value::F64(bits)), _) => {
                ConstExpr::f64_const(wasm_encoder::Ieee64::new(*bits))
            }
            (GlobalValue::Num(Value::V128(bits)), _) => ConstExpr::v128_const(*bits as i128),
            (GlobalValue::Ref(Some(f)), _) => ConstExpr::ref_func(*f),
            (GlobalValue::Ref(None), wasm_encoder::ValType::Ref(r)) => {
                ConstExpr::ref_null(r.heap_type)
            }
            _ => unreachable!("a global's value has its type"),
        }
    }
}

/// Adds the functions `expr` names with `ref.func` to `declared`.
fn declare_ref_funcs(
    expr: wasmparser::ConstExpr<'_>,
    declared: &mut Vec<u32>,
) -> Result<(), ReencodeError> {
    for op in expr.get_operators_reader() {
        if let Operator::RefFunc { function_index } = op? {
            declared.push(function_index);
        }
    }
    Ok(())
}

/// Writes active segments that give table `t`, of type `ty`, the elements
/// `elems` (a function index, or `None` for null). A table that starts
/// null gets its runs of functions, as function indices where its type is
/// `funcref`; one with an initializer gets every element.
fn write_table(
    section: &mut ElementSection,
    t: u32,
    elems: &[Option<u32>],
    ty: &TableType,
    has_init: bool,
) {
    let offset = |at: usize| {
        if ty.table64 {
            ConstExpr::i64_const(at as i64)
        } else {
            ConstExpr::i32_const(at as u32 as i32)
        }
    };
    if has_init {
        if elems.is_empty() {
            return;
        }
        let exprs: Vec<ConstExpr> = elems
            .iter()
            .map(|e| match e {
                Some(f) => ConstExpr::ref_func(*f),
                None => ConstExpr::ref_null(ty.element_type.heap_type),
            })
            .collect();
        section.active(
            Some(t),
            &offset(0),
            Elements::Expressions(ty.element_type, exprs.into()),
        );
        return;
    }
    let mut at = 0;
    while let Some(start) = elems[at..].iter().position(Option::is_some) {
        at += start;
        let len = elems[at..]
            .iter()
            .position(Option::is_none)
            .unwrap_or(elems.len() - at);
        let funcs: Vec<u32> = elems[at..at + len].iter().flatten().copied().collect();
        let elements = if ty.element_type == RefType::FUNCREF {
            Elements::Functions(funcs.into())
        } else {
            let exprs: Vec<ConstExpr> = funcs.into_iter().map(ConstExpr::ref_func).collect();
            Elements::Expressions(ty.element_type, exprs.into())
        };
        section.active(Some(t), &offset(at), elements);
        at += len;
    }
}
