//! Validation of function bodies: the operand and control stacks of the spec's
//! validation algorithm, one pass over the operators.

use super::later_proposal;
use crate::error::{Error, Result};
use crate::features::Features;
use crate::module::{FuncBody, Module};
use crate::types::{FuncType, RefType, ValType};
use std::collections::HashSet;
use wasmparser::{BinaryReader, BlockType, MemArg, Operator, OperatorsReader};

/// What validation records about a function body for the tiers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FuncInfo {
    /// Parameters plus declared locals.
    pub num_locals: u32,
    /// The greatest number of operands on the stack at any point, locals excluded.
    pub max_stack: u32,
    /// The greatest nesting depth of control frames, the function's own included.
    pub max_depth: u32,
    /// How many constant instructions (`*.const`, `ref.null`) the body has:
    /// a bound on its distinct constants.
    pub num_consts: u32,
    /// Every `block`, `loop` and `if`, in the order they open.
    pub blocks: Vec<BlockInfo>,
}

/// Where a structured control instruction's parts are, as byte offsets in the module.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BlockInfo {
    /// The offset of the `block`, `loop` or `if` instruction.
    pub start: u32,
    /// The offset of the `else`, or 0 when there is none.
    pub else_: u32,
    /// The offset of the matching `end`.
    pub end: u32,
}

/// An operand on the validation stack: a value type, or unknown in unreachable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Opd {
    Known(ValType),
    Unknown,
}

use Opd::{Known, Unknown};

const I32: ValType = ValType::I32;
const I64: ValType = ValType::I64;
const F32: ValType = ValType::F32;
const F64: ValType = ValType::F64;
pub(super) const V128: ValType = ValType::V128;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FrameKind {
    Func,
    Block,
    Loop,
    If,
    Else,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BlockTy {
    Empty,
    Val(ValType),
    Func(u32),
}

#[derive(Debug, Clone, Copy)]
struct Frame {
    kind: FrameKind,
    ty: BlockTy,
    height: usize,
    unreachable: bool,
    /// Index into [`FuncInfo::blocks`], `u32::MAX` for the function's own frame.
    block: u32,
}

/// Buffers reused from one function to the next.
#[derive(Default)]
pub(super) struct Scratch {
    locals: Vec<ValType>,
    operands: Vec<Opd>,
    frames: Vec<Frame>,
    popped: Vec<Opd>,
}

/// The single-value result lists of block types `[] -> [t]`.
fn single(t: ValType) -> &'static [ValType] {
    match t {
        ValType::I32 => &[ValType::I32],
        ValType::I64 => &[ValType::I64],
        ValType::F32 => &[ValType::F32],
        ValType::F64 => &[ValType::F64],
        ValType::V128 => &[ValType::V128],
        ValType::Ref(RefType::FuncRef) => &[ValType::FUNCREF],
        ValType::Ref(RefType::ExternRef) => &[ValType::EXTERNREF],
    }
}

pub(super) fn validate_body(
    module: &Module,
    features: &Features,
    refs: &HashSet<u32>,
    index: u32,
    body: &FuncBody,
    scratch: &mut Scratch,
) -> Result<FuncInfo> {
    let ty = module.func_type(index);
    scratch.locals.clear();
    scratch.locals.extend_from_slice(ty.params());
    for &(n, t) in &body.locals {
        scratch.locals.extend(std::iter::repeat_n(t, n as usize));
    }
    let reader = BinaryReader::new_features(
        module.operators(body),
        body.operators.start as u64,
        features.decoder_features(),
    );
    let mut v = FuncValidator {
        module,
        features,
        refs,
        ty,
        s: scratch,
        info: FuncInfo {
            num_locals: 0,
            max_stack: 0,
            max_depth: 1,
            num_consts: 0,
            blocks: Vec::new(),
        },
        pos: body.operators.start,
    };
    v.info.num_locals = v.s.locals.len() as u32;
    v.s.operands.clear();
    v.s.frames.clear();
    v.s.frames.push(Frame {
        kind: FrameKind::Func,
        ty: BlockTy::Func(module.funcs[index as usize]),
        height: 0,
        unreachable: false,
        block: u32::MAX,
    });
    v.run(OperatorsReader::new(reader))?;
    Ok(v.info)
}

/// Reads every operator of `body` without validating it: the checks of the
/// binary format alone. Used to report a malformed body ahead of an invalid one.
pub(super) fn check_encoding(module: &Module, features: &Features, body: &FuncBody) -> Result<()> {
    let reader = BinaryReader::new_features(
        module.operators(body),
        body.operators.start as u64,
        features.decoder_features(),
    );
    let mut reader = OperatorsReader::new(reader);
    while !reader.eof() {
        let pos = reader.original_position() as usize;
        let op = reader.read()?;
        let memarg = match &op {
            Operator::MemoryInit { .. } | Operator::DataDrop { .. }
                if module.data_count.is_none() =>
            {
                return Err(Error::malformed(pos, "data count section required"));
            }
            op => op_memarg(op),
        };
        if let Some(m) = memarg {
            check_memop_flags(features, pos, &m)?;
        }
    }
    reader.finish()?;
    Ok(())
}

/// The binary-format rule on a memarg's flags: in 2.0 they are an alignment
/// exponent below 32 (later proposals give the higher bits other meanings).
fn check_memop_flags(features: &Features, pos: usize, memarg: &MemArg) -> Result<()> {
    if memarg.align >= 32 && !features.decode_later_proposals {
        return Err(Error::malformed(
            pos,
            format!("malformed memop flags: alignment exponent {}", memarg.align),
        ));
    }
    Ok(())
}

/// The memory argument of a load or store, if `op` has one.
fn op_memarg(op: &Operator<'_>) -> Option<MemArg> {
    macro_rules! memarg_of {
        (@pick $first:ident $($rest:ident)*) => { memarg_of!(@check $first $first $($rest)*) };
        (@pick) => { None };
        (@check memarg $m:ident $($rest:ident)*) => { Some(*$m) };
        (@check $other:ident $m:ident $($rest:ident)*) => { memarg_of!(@pick $($rest)*) };
        ($( @$proposal:ident $op:ident $({ $($arg:ident: $argty:ty),* })? => $visit:ident ($($ann:tt)*) )*) => {
            #[allow(unreachable_patterns, unused_variables)]
            match op {
                $( Operator::$op $({ $($arg),* })? => memarg_of!(@pick $($($arg)*)?), )*
                _ => None,
            }
        };
    }
    wasmparser::for_each_operator!(memarg_of)
}

pub(super) struct FuncValidator<'a> {
    module: &'a Module,
    pub(super) features: &'a Features,
    refs: &'a HashSet<u32>,
    ty: &'a FuncType,
    s: &'a mut Scratch,
    info: FuncInfo,
    /// Offset of the operator being validated.
    pub(super) pos: usize,
}

impl<'a> FuncValidator<'a> {
    fn run(&mut self, mut reader: OperatorsReader<'_>) -> Result<()> {
        while !self.s.frames.is_empty() {
            self.pos = reader.original_position() as usize;
            // Visiting spares building and moving an `Operator` per instruction:
            // each visit method is `op` specialized to one instruction.
            reader.visit_operator(self)??;
        }
        self.pos = reader.original_position() as usize;
        reader.finish()?;
        Ok(())
    }

    pub(super) fn err(&self, message: impl Into<String>) -> Error {
        Error::invalid(self.pos, message)
    }

    // ---- the operand stack ----

    #[inline]
    pub(super) fn push(&mut self, t: ValType) {
        self.s.operands.push(Known(t));
        self.note_height();
    }

    /// Pushes the result of a constant instruction, counting it.
    fn push_const(&mut self, t: ValType) {
        self.info.num_consts += 1;
        self.push(t);
    }

    #[inline]
    fn push_opd(&mut self, t: Opd) {
        self.s.operands.push(t);
        self.note_height();
    }

    #[inline]
    fn note_height(&mut self) {
        let h = self.s.operands.len() as u32;
        if h > self.info.max_stack {
            self.info.max_stack = h;
        }
    }

    fn push_all(&mut self, tys: &[ValType]) {
        for &t in tys {
            self.push(t);
        }
    }

    /// Pops any operand.
    fn pop_any(&mut self) -> Result<Opd> {
        let frame = self
            .s
            .frames
            .last()
            .expect("a frame is open while validating");
        if self.s.operands.len() == frame.height {
            if frame.unreachable {
                return Ok(Unknown);
            }
            return Err(self.err("type mismatch: expected a value, but the stack is empty"));
        }
        Ok(self.s.operands.pop().expect("height checked above"))
    }

    /// Pops an operand of type `expected`.
    #[inline]
    pub(super) fn pop(&mut self, expected: ValType) -> Result<Opd> {
        let frame_height = self.s.frames.last().map_or(0, |f| f.height);
        if self.s.operands.len() > frame_height
            && *self.s.operands.last().expect("non-empty") == Known(expected)
        {
            return Ok(self.s.operands.pop().expect("non-empty"));
        }
        self.pop_slow(expected)
    }

    #[cold]
    fn pop_slow(&mut self, expected: ValType) -> Result<Opd> {
        let frame = *self
            .s
            .frames
            .last()
            .expect("a frame is open while validating");
        if self.s.operands.len() == frame.height {
            if frame.unreachable {
                return Ok(Unknown);
            }
            return Err(self.err(format!(
                "type mismatch: expected {expected}, but the stack is empty"
            )));
        }
        match self.s.operands.pop().expect("non-empty") {
            Unknown => Ok(Unknown),
            Known(t) if t == expected => Ok(Known(t)),
            Known(t) => Err(self.err(format!("type mismatch: expected {expected}, found {t}"))),
        }
    }

    fn pop_all(&mut self, tys: &[ValType]) -> Result<()> {
        for &t in tys.iter().rev() {
            self.pop(t)?;
        }
        Ok(())
    }

    /// Pops `tys` and pushes back what was actually popped (br_if, br_table).
    fn pop_push_label(&mut self, tys: &[ValType]) -> Result<()> {
        let mut popped = std::mem::take(&mut self.s.popped);
        popped.clear();
        for &t in tys.iter().rev() {
            popped.push(self.pop(t)?);
        }
        for &t in popped.iter().rev() {
            self.push_opd(t);
        }
        self.s.popped = popped;
        Ok(())
    }

    /// Pops one operand of each of the types: `(t, t) -> ...` instructions.
    #[inline]
    pub(super) fn pop2(&mut self, a: ValType, b: ValType) -> Result<()> {
        self.pop(b)?;
        self.pop(a)?;
        Ok(())
    }

    #[inline]
    pub(super) fn unop(&mut self, t: ValType) -> Result<()> {
        self.pop(t)?;
        self.push(t);
        Ok(())
    }

    #[inline]
    pub(super) fn binop(&mut self, t: ValType) -> Result<()> {
        self.pop2(t, t)?;
        self.push(t);
        Ok(())
    }

    #[inline]
    pub(super) fn convert(&mut self, from: ValType, to: ValType) -> Result<()> {
        self.pop(from)?;
        self.push(to);
        Ok(())
    }

    #[inline]
    fn relop(&mut self, t: ValType) -> Result<()> {
        self.pop2(t, t)?;
        self.push(I32);
        Ok(())
    }

    fn unreachable(&mut self) {
        let frame = self
            .s
            .frames
            .last_mut()
            .expect("a frame is open while validating");
        frame.unreachable = true;
        let h = frame.height;
        self.s.operands.truncate(h);
    }

    // ---- the control stack ----

    fn params(&self, ty: BlockTy) -> &'a [ValType] {
        match ty {
            BlockTy::Empty | BlockTy::Val(_) => &[],
            BlockTy::Func(i) => self.module.types[i as usize].params(),
        }
    }

    fn results(&self, ty: BlockTy) -> &'a [ValType] {
        match ty {
            BlockTy::Empty => &[],
            BlockTy::Val(t) => single(t),
            BlockTy::Func(i) => self.module.types[i as usize].results(),
        }
    }

    fn label_types(&self, frame: &Frame) -> &'a [ValType] {
        if frame.kind == FrameKind::Loop {
            self.params(frame.ty)
        } else {
            self.results(frame.ty)
        }
    }

    fn block_type(&self, bt: BlockType) -> Result<BlockTy> {
        match bt {
            BlockType::Empty => Ok(BlockTy::Empty),
            BlockType::Type(t) => Ok(BlockTy::Val(self.val_type(t)?)),
            BlockType::FuncType(i) => {
                if i as usize >= self.module.types.len() {
                    return Err(self.err(format!("unknown type {i}")));
                }
                Ok(BlockTy::Func(i))
            }
        }
    }

    fn val_type(&self, t: wasmparser::ValType) -> Result<ValType> {
        crate::decode::convert_val_type(t, self.features, self.pos)
    }

    fn push_frame(&mut self, kind: FrameKind, ty: BlockTy) -> Result<()> {
        let params = self.params(ty);
        self.pop_all(params)?;
        let block = self.info.blocks.len() as u32;
        self.info.blocks.push(BlockInfo {
            start: self.pos as u32,
            else_: 0,
            end: 0,
        });
        self.s.frames.push(Frame {
            kind,
            ty,
            height: self.s.operands.len(),
            unreachable: false,
            block,
        });
        let depth = self.s.frames.len() as u32;
        if depth > self.info.max_depth {
            self.info.max_depth = depth;
        }
        self.push_all(params);
        Ok(())
    }

    /// Ends the innermost frame: its results must be exactly what is left.
    fn pop_frame(&mut self) -> Result<Frame> {
        let frame = *self
            .s
            .frames
            .last()
            .expect("a frame is open while validating");
        self.pop_all(self.results(frame.ty))?;
        if self.s.operands.len() != frame.height {
            let extra = self.s.operands.len() - frame.height;
            return Err(self.err(format!(
                "type mismatch: {extra} value(s) left on the stack at the end of the block"
            )));
        }
        self.s.frames.pop();
        Ok(frame)
    }

    fn label(&self, depth: u32) -> Result<Frame> {
        let n = self.s.frames.len();
        if depth as usize >= n {
            return Err(self.err(format!("unknown label {depth}")));
        }
        Ok(self.s.frames[n - 1 - depth as usize])
    }

    // ---- index spaces ----

    fn local(&self, i: u32) -> Result<ValType> {
        self.s
            .locals
            .get(i as usize)
            .copied()
            .ok_or_else(|| self.err(format!("unknown local {i}")))
    }

    fn global(&self, i: u32) -> Result<crate::types::GlobalType> {
        self.module
            .globals
            .get(i as usize)
            .copied()
            .ok_or_else(|| self.err(format!("unknown global {i}")))
    }

    fn table(&self, i: u32) -> Result<RefType> {
        self.module
            .tables
            .get(i as usize)
            .map(|t| t.elem)
            .ok_or_else(|| self.err(format!("unknown table {i}")))
    }

    pub(super) fn memory(&self, i: u32) -> Result<()> {
        if (i as usize) < self.module.memories.len() {
            if i != 0 {
                return Err(later_proposal(
                    self.features,
                    self.pos,
                    "multi-memory",
                    "multiple memories",
                ));
            }
            return Ok(());
        }
        Err(self.err(format!("unknown memory {i}")))
    }

    fn func_type_of(&self, type_index: u32) -> Result<&'a FuncType> {
        self.module
            .types
            .get(type_index as usize)
            .ok_or_else(|| self.err(format!("unknown type {type_index}")))
    }

    fn data_segment(&self, i: u32) -> Result<()> {
        match self.module.data_count {
            None => Err(Error::malformed(self.pos, "data count section required")),
            Some(n) if i >= n => Err(self.err(format!("unknown data segment {i}"))),
            Some(_) => Ok(()),
        }
    }

    fn elem_segment(&self, i: u32) -> Result<RefType> {
        self.module
            .elems
            .get(i as usize)
            .map(|e| e.ty)
            .ok_or_else(|| self.err(format!("unknown elem segment {i}")))
    }

    fn heap_ref(&self, hty: wasmparser::HeapType) -> Result<RefType> {
        match hty {
            wasmparser::HeapType::Abstract {
                shared: false,
                ty: wasmparser::AbstractHeapType::Func,
            } => Ok(RefType::FuncRef),
            wasmparser::HeapType::Abstract {
                shared: false,
                ty: wasmparser::AbstractHeapType::Extern,
            } => Ok(RefType::ExternRef),
            _ => Err(self.beyond_2_0("function-references / gc (heap types)")),
        }
    }

    /// A memory access: the memory exists, the alignment is at most natural, the
    /// offset fits a 32-bit memory.
    pub(super) fn memarg(&self, memarg: &MemArg, natural_log2: u8) -> Result<()> {
        let mem = match memarg.target {
            wasmparser::MemArgTarget::Memory(m) => m,
            _ => return Err(self.beyond_2_0("gc (array memory accesses)")),
        };
        self.memory(mem)?;
        check_memop_flags(self.features, self.pos, memarg)?;
        if memarg.align > natural_log2 {
            return Err(self.err(format!(
                "alignment must not be larger than natural: 2^{} > {} bytes",
                memarg.align,
                1u32 << natural_log2
            )));
        }
        if memarg.offset > u32::MAX as u64 {
            // Only decodable when later proposals (memory64) are recognized; for
            // a 32-bit memory such an offset is invalid there.
            return Err(self.err(format!("offset out of range: {:#x}", memarg.offset)));
        }
        Ok(())
    }

    pub(super) fn load(&mut self, memarg: &MemArg, natural_log2: u8, t: ValType) -> Result<()> {
        self.memarg(memarg, natural_log2)?;
        self.pop(I32)?;
        self.push(t);
        Ok(())
    }

    pub(super) fn store(&mut self, memarg: &MemArg, natural_log2: u8, t: ValType) -> Result<()> {
        self.memarg(memarg, natural_log2)?;
        self.pop2(I32, t)
    }

    /// An instruction of a proposal beyond WebAssembly 2.0.
    pub(super) fn beyond_2_0(&self, feature: &str) -> Error {
        if self.features.decode_later_proposals {
            Error::unsupported(self.pos, feature)
        } else {
            Error::malformed(
                self.pos,
                format!("illegal opcode: {feature} is not part of WebAssembly 2.0"),
            )
        }
    }

    fn call(&mut self, ty: &'a FuncType) -> Result<()> {
        self.pop_all(ty.params())?;
        self.push_all(ty.results());
        Ok(())
    }

    // ---- instructions ----

    #[inline(always)]
    fn op(&mut self, op: Operator<'_>) -> Result<()> {
        use Operator as O;
        match op {
            O::Unreachable => self.unreachable(),
            O::Nop => {}
            O::Block { blockty } => {
                let ty = self.block_type(blockty)?;
                self.push_frame(FrameKind::Block, ty)?;
            }
            O::Loop { blockty } => {
                let ty = self.block_type(blockty)?;
                self.push_frame(FrameKind::Loop, ty)?;
            }
            O::If { blockty } => {
                let ty = self.block_type(blockty)?;
                self.pop(I32)?;
                self.push_frame(FrameKind::If, ty)?;
            }
            O::Else => {
                let frame = self.pop_frame()?;
                if frame.kind != FrameKind::If {
                    return Err(Error::malformed(self.pos, "else without a matching if"));
                }
                self.info.blocks[frame.block as usize].else_ = self.pos as u32;
                self.s.frames.push(Frame {
                    kind: FrameKind::Else,
                    unreachable: false,
                    ..frame
                });
                self.push_all(self.params(frame.ty));
            }
            O::End => {
                let frame = self.pop_frame()?;
                if frame.kind == FrameKind::If && self.params(frame.ty) != self.results(frame.ty) {
                    return Err(self.err(format!(
                        "type mismatch: if without else must leave its parameters [{}] as its results [{}]",
                        list(self.params(frame.ty)),
                        list(self.results(frame.ty))
                    )));
                }
                if frame.kind != FrameKind::Func {
                    self.info.blocks[frame.block as usize].end = self.pos as u32;
                    self.push_all(self.results(frame.ty));
                }
            }
            O::Br { relative_depth } => {
                let frame = self.label(relative_depth)?;
                self.pop_all(self.label_types(&frame))?;
                self.unreachable();
            }
            O::BrIf { relative_depth } => {
                self.pop(I32)?;
                let frame = self.label(relative_depth)?;
                let tys = self.label_types(&frame);
                self.pop_all(tys)?;
                self.push_all(tys);
            }
            O::BrTable { targets } => {
                self.pop(I32)?;
                let default = self.label(targets.default())?;
                let default_tys = self.label_types(&default);
                for target in targets.targets() {
                    let frame = self.label(target?)?;
                    let tys = self.label_types(&frame);
                    if tys.len() != default_tys.len() {
                        return Err(self.err(format!(
                            "type mismatch: br_table targets with {} and {} values",
                            tys.len(),
                            default_tys.len()
                        )));
                    }
                    self.pop_push_label(tys)?;
                }
                self.pop_all(default_tys)?;
                self.unreachable();
            }
            O::Return => {
                self.pop_all(self.ty.results())?;
                self.unreachable();
            }
            O::Call { function_index } => {
                if function_index as usize >= self.module.funcs.len() {
                    return Err(self.err(format!("unknown function {function_index}")));
                }
                self.call(self.module.func_type(function_index))?;
            }
            O::CallIndirect {
                type_index,
                table_index,
            } => {
                let elem = self.table(table_index)?;
                if elem != RefType::FuncRef {
                    return Err(self.err(format!(
                        "type mismatch: call_indirect on table {table_index} of {elem}, expected funcref"
                    )));
                }
                let ty = self.func_type_of(type_index)?;
                self.pop(I32)?;
                self.call(ty)?;
            }
            O::Drop => {
                self.pop_any()?;
            }
            O::Select => {
                self.pop(I32)?;
                let a = self.pop_any()?;
                let b = self.pop_any()?;
                let is_ref = |t: Opd| matches!(t, Known(ValType::Ref(_)));
                if is_ref(a) || is_ref(b) {
                    return Err(self.err(
                        "type mismatch: select without a type needs numeric or vector operands",
                    ));
                }
                match (a, b) {
                    (Unknown, t) | (t, Unknown) => self.push_opd(t),
                    (Known(x), Known(y)) if x == y => self.push(x),
                    (Known(x), Known(y)) => {
                        return Err(
                            self.err(format!("type mismatch: select operands {y} and {x} differ"))
                        );
                    }
                }
            }
            O::TypedSelect { ty } => {
                let t = self.val_type(ty)?;
                self.pop(I32)?;
                self.pop2(t, t)?;
                self.push(t);
            }
            O::TypedSelectMulti { tys } => {
                if tys.len() != 1 {
                    return Err(self.err("invalid result arity: select takes exactly one type"));
                }
                let t = self.val_type(tys[0])?;
                self.pop(I32)?;
                self.pop2(t, t)?;
                self.push(t);
            }
            O::LocalGet { local_index } => {
                let t = self.local(local_index)?;
                self.push(t);
            }
            O::LocalSet { local_index } => {
                let t = self.local(local_index)?;
                self.pop(t)?;
            }
            O::LocalTee { local_index } => {
                let t = self.local(local_index)?;
                self.unop(t)?;
            }
            O::GlobalGet { global_index } => {
                let g = self.global(global_index)?;
                self.push(g.content);
            }
            O::GlobalSet { global_index } => {
                let g = self.global(global_index)?;
                if !g.mutable {
                    return Err(self.err(format!("global is immutable: global {global_index}")));
                }
                self.pop(g.content)?;
            }
            O::I32Load { memarg } => self.load(&memarg, 2, I32)?,
            O::I64Load { memarg } => self.load(&memarg, 3, I64)?,
            O::F32Load { memarg } => self.load(&memarg, 2, F32)?,
            O::F64Load { memarg } => self.load(&memarg, 3, F64)?,
            O::I32Load8S { memarg } | O::I32Load8U { memarg } => self.load(&memarg, 0, I32)?,
            O::I32Load16S { memarg } | O::I32Load16U { memarg } => self.load(&memarg, 1, I32)?,
            O::I64Load8S { memarg } | O::I64Load8U { memarg } => self.load(&memarg, 0, I64)?,
            O::I64Load16S { memarg } | O::I64Load16U { memarg } => self.load(&memarg, 1, I64)?,
            O::I64Load32S { memarg } | O::I64Load32U { memarg } => self.load(&memarg, 2, I64)?,
            O::I32Store { memarg } => self.store(&memarg, 2, I32)?,
            O::I64Store { memarg } => self.store(&memarg, 3, I64)?,
            O::F32Store { memarg } => self.store(&memarg, 2, F32)?,
            O::F64Store { memarg } => self.store(&memarg, 3, F64)?,
            O::I32Store8 { memarg } => self.store(&memarg, 0, I32)?,
            O::I32Store16 { memarg } => self.store(&memarg, 1, I32)?,
            O::I64Store8 { memarg } => self.store(&memarg, 0, I64)?,
            O::I64Store16 { memarg } => self.store(&memarg, 1, I64)?,
            O::I64Store32 { memarg } => self.store(&memarg, 2, I64)?,
            O::MemorySize { mem } => {
                self.memory(mem)?;
                self.push(I32);
            }
            O::MemoryGrow { mem } => {
                self.memory(mem)?;
                self.unop(I32)?;
            }
            O::I32Const { .. } => self.push_const(I32),
            O::I64Const { .. } => self.push_const(I64),
            O::F32Const { .. } => self.push_const(F32),
            O::F64Const { .. } => self.push_const(F64),

            O::I32Eqz => self.convert(I32, I32)?,
            O::I64Eqz => self.convert(I64, I32)?,
            O::I32Eq
            | O::I32Ne
            | O::I32LtS
            | O::I32LtU
            | O::I32GtS
            | O::I32GtU
            | O::I32LeS
            | O::I32LeU
            | O::I32GeS
            | O::I32GeU => self.relop(I32)?,
            O::I64Eq
            | O::I64Ne
            | O::I64LtS
            | O::I64LtU
            | O::I64GtS
            | O::I64GtU
            | O::I64LeS
            | O::I64LeU
            | O::I64GeS
            | O::I64GeU => self.relop(I64)?,
            O::F32Eq | O::F32Ne | O::F32Lt | O::F32Gt | O::F32Le | O::F32Ge => self.relop(F32)?,
            O::F64Eq | O::F64Ne | O::F64Lt | O::F64Gt | O::F64Le | O::F64Ge => self.relop(F64)?,

            O::I32Clz | O::I32Ctz | O::I32Popcnt | O::I32Extend8S | O::I32Extend16S => {
                self.unop(I32)?
            }
            O::I64Clz
            | O::I64Ctz
            | O::I64Popcnt
            | O::I64Extend8S
            | O::I64Extend16S
            | O::I64Extend32S => self.unop(I64)?,
            O::F32Abs
            | O::F32Neg
            | O::F32Ceil
            | O::F32Floor
            | O::F32Trunc
            | O::F32Nearest
            | O::F32Sqrt => self.unop(F32)?,
            O::F64Abs
            | O::F64Neg
            | O::F64Ceil
            | O::F64Floor
            | O::F64Trunc
            | O::F64Nearest
            | O::F64Sqrt => self.unop(F64)?,

            O::I32Add
            | O::I32Sub
            | O::I32Mul
            | O::I32DivS
            | O::I32DivU
            | O::I32RemS
            | O::I32RemU
            | O::I32And
            | O::I32Or
            | O::I32Xor
            | O::I32Shl
            | O::I32ShrS
            | O::I32ShrU
            | O::I32Rotl
            | O::I32Rotr => self.binop(I32)?,
            O::I64Add
            | O::I64Sub
            | O::I64Mul
            | O::I64DivS
            | O::I64DivU
            | O::I64RemS
            | O::I64RemU
            | O::I64And
            | O::I64Or
            | O::I64Xor
            | O::I64Shl
            | O::I64ShrS
            | O::I64ShrU
            | O::I64Rotl
            | O::I64Rotr => self.binop(I64)?,
            O::F32Add
            | O::F32Sub
            | O::F32Mul
            | O::F32Div
            | O::F32Min
            | O::F32Max
            | O::F32Copysign => self.binop(F32)?,
            O::F64Add
            | O::F64Sub
            | O::F64Mul
            | O::F64Div
            | O::F64Min
            | O::F64Max
            | O::F64Copysign => self.binop(F64)?,

            O::I32WrapI64 => self.convert(I64, I32)?,
            O::I32TruncF32S
            | O::I32TruncF32U
            | O::I32TruncSatF32S
            | O::I32TruncSatF32U
            | O::I32ReinterpretF32 => self.convert(F32, I32)?,
            O::I32TruncF64S | O::I32TruncF64U | O::I32TruncSatF64S | O::I32TruncSatF64U => {
                self.convert(F64, I32)?
            }
            O::I64ExtendI32S | O::I64ExtendI32U => self.convert(I32, I64)?,
            O::I64TruncF32S | O::I64TruncF32U | O::I64TruncSatF32S | O::I64TruncSatF32U => {
                self.convert(F32, I64)?
            }
            O::I64TruncF64S
            | O::I64TruncF64U
            | O::I64TruncSatF64S
            | O::I64TruncSatF64U
            | O::I64ReinterpretF64 => self.convert(F64, I64)?,
            O::F32ConvertI32S | O::F32ConvertI32U | O::F32ReinterpretI32 => {
                self.convert(I32, F32)?
            }
            O::F32ConvertI64S | O::F32ConvertI64U => self.convert(I64, F32)?,
            O::F32DemoteF64 => self.convert(F64, F32)?,
            O::F64ConvertI32S | O::F64ConvertI32U => self.convert(I32, F64)?,
            O::F64ConvertI64S | O::F64ConvertI64U | O::F64ReinterpretI64 => {
                self.convert(I64, F64)?
            }
            O::F64PromoteF32 => self.convert(F32, F64)?,

            O::MemoryInit { data_index, mem } => {
                self.memory(mem)?;
                self.data_segment(data_index)?;
                self.pop_all(&[I32, I32, I32])?;
            }
            O::DataDrop { data_index } => self.data_segment(data_index)?,
            O::MemoryCopy { dst_mem, src_mem } => {
                self.memory(dst_mem)?;
                self.memory(src_mem)?;
                self.pop_all(&[I32, I32, I32])?;
            }
            O::MemoryFill { mem } => {
                self.memory(mem)?;
                self.pop_all(&[I32, I32, I32])?;
            }
            O::TableInit { elem_index, table } => {
                let t = self.table(table)?;
                let e = self.elem_segment(elem_index)?;
                if t != e {
                    return Err(self.err(format!(
                        "type mismatch: table.init of a {e} segment into a table of {t}"
                    )));
                }
                self.pop_all(&[I32, I32, I32])?;
            }
            O::ElemDrop { elem_index } => {
                self.elem_segment(elem_index)?;
            }
            O::TableCopy {
                dst_table,
                src_table,
            } => {
                let d = self.table(dst_table)?;
                let s = self.table(src_table)?;
                if d != s {
                    return Err(self.err(format!("type mismatch: table.copy from {s} to {d}")));
                }
                self.pop_all(&[I32, I32, I32])?;
            }
            O::RefNull { hty } => {
                let r = self.heap_ref(hty)?;
                self.push_const(ValType::Ref(r));
            }
            O::RefIsNull => {
                match self.pop_any()? {
                    Unknown | Known(ValType::Ref(_)) => {}
                    Known(t) => {
                        return Err(self.err(format!(
                            "type mismatch: ref.is_null on {t}, expected a reference"
                        )));
                    }
                }
                self.push(I32);
            }
            O::RefFunc { function_index } => {
                if function_index as usize >= self.module.funcs.len() {
                    return Err(self.err(format!("unknown function {function_index}")));
                }
                if !self.refs.contains(&function_index) {
                    return Err(self.err(format!("undeclared function reference {function_index}")));
                }
                self.push(ValType::FUNCREF);
            }
            O::TableGet { table } => {
                let t = self.table(table)?;
                self.convert(I32, ValType::Ref(t))?;
            }
            O::TableSet { table } => {
                let t = self.table(table)?;
                self.pop2(I32, ValType::Ref(t))?;
            }
            O::TableSize { table } => {
                self.table(table)?;
                self.push(I32);
            }
            O::TableGrow { table } => {
                let t = self.table(table)?;
                self.pop2(ValType::Ref(t), I32)?;
                self.push(I32);
            }
            O::TableFill { table } => {
                let t = self.table(table)?;
                self.pop_all(&[I32, ValType::Ref(t), I32])?;
            }
            op => {
                if !self.simd(&op)? {
                    return Err(self.beyond_2_0(&format!("instruction {}", op_name(&op))));
                }
            }
        }
        Ok(())
    }
}

/// The variant name of an operator, for messages.
fn op_name(op: &Operator<'_>) -> String {
    let dbg = format!("{op:?}");
    dbg.split([' ', '{', '(']).next().unwrap_or("?").to_string()
}

fn list(tys: &[ValType]) -> String {
    tys.iter()
        .map(|t| t.to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

/// One visit method per instruction, each handing its operator to `op`; with
/// `op` inlined, every method keeps only its own instruction's checks.
macro_rules! define_visit {
    ($( @$proposal:ident $op:ident $({ $($arg:ident: $argty:ty),* })? => $visit:ident ($($ann:tt)*) )*) => {
        $(
            #[inline]
            fn $visit(&mut self $($(, $arg: $argty)*)?) -> Result<()> {
                self.op(Operator::$op $({ $($arg),* })?)
            }
        )*
    };
}

impl<'a> wasmparser::VisitOperator<'a> for FuncValidator<'_> {
    type Output = Result<()>;

    fn simd_visitor(
        &mut self,
    ) -> Option<&mut dyn wasmparser::VisitSimdOperator<'a, Output = Result<()>>> {
        Some(self)
    }

    wasmparser::for_each_visit_operator!(define_visit);
}

impl<'a> wasmparser::VisitSimdOperator<'a> for FuncValidator<'_> {
    wasmparser::for_each_visit_simd_operator!(define_visit);
}
