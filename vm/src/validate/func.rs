//! Validation of function bodies: the operand and control stacks of the spec's
//! validation algorithm, one pass over the operators.

use super::later_proposal;
use crate::error::{Error, Result};
use crate::features::Features;
pub(super) use crate::isa::FrameKind;
use crate::isa::{BlockType, Instr, MemArg, Reader};
use crate::module::{FuncBody, Module};
use crate::types::{FuncType, RefType, ValType};
use std::collections::HashSet;
use std::ops::Deref;
use wasmparser::{BinaryReader, Operator, OperatorsReader};

/// What validation records about a function body for the tiers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FuncInfo {
    /// Parameters plus declared locals.
    pub num_locals: u32,
    /// The greatest number of operands on the stack at any point, locals excluded.
    pub max_stack: u32,
    /// The greatest nesting depth of control frames, the function's own included.
    pub max_depth: u32,
    /// How many constant instructions (`*.const`, `ref.null`) the body has,
    /// `v128.const` counting twice: a bound on the 64-bit slots its distinct
    /// constants need.
    pub num_consts: u32,
    /// Whether a `v128` is ever on the operand stack (or a local).
    pub uses_v128: bool,
    /// Whether the body has a tail call (`return_call`, `return_call_indirect`).
    pub tail_calls: bool,
    /// How many legacy `try` blocks it has.
    pub legacy_tries: u32,
    /// The functions it calls by index from inside a `try_table`, which a
    /// tier may call through the runtime to catch what they throw.
    pub try_callees: Vec<u32>,
    /// The byte offsets, in order, of the `drop`s and untyped `select`s
    /// whose operands are `v128`: the one thing about an operand's type a
    /// tier cannot tell from the instruction itself.
    pub v128_operands: Vec<u32>,
}

/// An operand on the validation stack: a value type, or unknown in unreachable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Opd {
    Known(ValType),
    Unknown,
}

pub(super) use Opd::{Known, Unknown};

impl Opd {
    /// The operand a null check leaves: a reference of the non-nullable
    /// form of its type.
    pub(super) fn as_non_null(self) -> Opd {
        match self {
            Known(ValType::Ref(r)) => Known(ValType::Ref(r.as_non_null())),
            other => other,
        }
    }
}

pub(super) const I32: ValType = ValType::I32;

/// The narrower of two address types: the type of the length of a copy
/// between a memory or table of each.
pub(super) fn narrower(a: ValType, b: ValType) -> ValType {
    if a == ValType::I64 && b == ValType::I64 {
        ValType::I64
    } else {
        I32
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BlockTy {
    Empty,
    Val(ValType),
    Func(u32),
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Frame {
    pub(super) kind: FrameKind,
    pub(super) ty: BlockTy,
    pub(super) height: usize,
    pub(super) unreachable: bool,
    /// How many locals had been initialized inside enclosing blocks when
    /// the frame opened: the length of [`Scratch::init_log`] to go back to
    /// when it ends.
    pub(super) inits: usize,
}

/// Buffers reused from one function to the next.
#[derive(Default)]
pub(super) struct Scratch {
    locals: Vec<ValType>,
    /// Whether each local holds a value yet: all but the non-defaultable
    /// locals (non-nullable references) start out so.
    initialized: Vec<bool>,
    /// The non-defaultable locals set so far, innermost block last: a
    /// block's ending forgets what was set inside it.
    init_log: Vec<u32>,
    pub(super) operands: Vec<Opd>,
    pub(super) frames: Vec<Frame>,
    popped: Vec<Opd>,
}

/// The types of a block's parameters, results or label: a list of the
/// module's, or the one value type of a block type `[] -> [t]`.
#[derive(Debug, Clone, Copy)]
pub(super) enum Tys<'a> {
    Slice(&'a [ValType]),
    One(ValType),
}

impl Deref for Tys<'_> {
    type Target = [ValType];
    fn deref(&self) -> &[ValType] {
        match self {
            Tys::Slice(s) => s,
            Tys::One(t) => std::slice::from_ref(t),
        }
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
    for &(n, t) in module.body_locals(body) {
        scratch.locals.extend(std::iter::repeat_n(t, n as usize));
    }
    scratch.initialized.clear();
    let num_params = ty.params().len();
    scratch.initialized.extend(
        (scratch.locals.iter().enumerate()).map(|(i, t)| i < num_params || t.is_defaultable()),
    );
    scratch.init_log.clear();
    let reader = Reader::new(module, body, features);
    let locals_v128 = scratch.locals.contains(&ValType::V128);
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
            uses_v128: ty.params().contains(&ValType::V128)
                || ty.results().contains(&ValType::V128)
                || locals_v128,
            v128_operands: Vec::new(),
            tail_calls: false,
            try_callees: Vec::new(),
            legacy_tries: 0,
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
        inits: 0,
    });
    v.run(reader)?;
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
            check_memop_flags(features, pos, m.align)?;
        }
    }
    reader.finish()?;
    Ok(())
}

/// The binary-format rule on a memarg's flags: in 2.0 they are an alignment
/// exponent below 32 (later proposals give the higher bits other meanings).
fn check_memop_flags(features: &Features, pos: usize, align: u8) -> Result<()> {
    if align >= 32 && !features.decode_later_proposals {
        return Err(Error::malformed(
            pos,
            format!("malformed memop flags: alignment exponent {align}"),
        ));
    }
    Ok(())
}

/// The memory argument of a load or store, if `op` has one.
fn op_memarg(op: &Operator<'_>) -> Option<wasmparser::MemArg> {
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
    pub(super) module: &'a Module,
    pub(super) features: &'a Features,
    pub(super) refs: &'a HashSet<u32>,
    pub(super) ty: &'a FuncType,
    pub(super) s: &'a mut Scratch,
    pub(super) info: FuncInfo,
    /// Offset of the operator being validated.
    pub(super) pos: usize,
}

impl<'a> FuncValidator<'a> {
    fn run(&mut self, mut reader: Reader<'_>) -> Result<()> {
        while !self.s.frames.is_empty() {
            self.pos = reader.position();
            let instr = reader.read()?;
            self.instr(instr)?;
        }
        self.pos = reader.position();
        reader.finish()
    }

    /// Validates one instruction, by its group.
    fn instr(&mut self, instr: Instr) -> Result<()> {
        match instr {
            Instr::Control(c) => self.control(c),
            Instr::Reference(r) => self.reference(r),
            Instr::Parametric(p) => self.parametric(p),
            Instr::Variable(v) => self.variable(v),
            Instr::Table(t) => self.table_instr(t),
            Instr::Memory(m) => self.memory_instr(m),
            Instr::Numeric(n) => self.numeric(n),
            Instr::Vector(v) => self.vector(v),
        }
    }

    pub(super) fn err(&self, message: impl Into<String>) -> Error {
        Error::invalid(self.pos, message)
    }

    // ---- the operand stack ----

    #[inline]
    pub(super) fn push(&mut self, t: ValType) {
        if t == ValType::V128 {
            self.info.uses_v128 = true;
        }
        self.s.operands.push(Known(t));
        self.note_height();
    }

    /// Pushes the result of a constant instruction, counting it (twice for a
    /// `v128`, which takes two 64-bit slots).
    pub(super) fn push_const(&mut self, t: ValType) {
        self.info.num_consts += if t == ValType::V128 { 2 } else { 1 };
        self.push(t);
    }

    #[inline]
    pub(super) fn push_opd(&mut self, t: Opd) {
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

    /// Makes the stack's greatest height count `tys` pushed on top of it,
    /// without pushing them: room a tier uses there.
    pub(super) fn reserve(&mut self, tys: &[ValType]) {
        let height = self.s.operands.len();
        self.push_all(tys);
        self.s.operands.truncate(height);
    }

    pub(super) fn push_all(&mut self, tys: &[ValType]) {
        for &t in tys {
            self.push(t);
        }
    }

    /// Pops any operand.
    pub(super) fn pop_any(&mut self) -> Result<Opd> {
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
            Known(t) if t.matches(expected) => Ok(Known(t)),
            Known(t) => Err(self.err(format!("type mismatch: expected {expected}, found {t}"))),
        }
    }

    pub(super) fn pop_all(&mut self, tys: &[ValType]) -> Result<()> {
        for &t in tys.iter().rev() {
            self.pop(t)?;
        }
        Ok(())
    }

    /// Pops `tys` and pushes back what was actually popped (br_if, br_table).
    pub(super) fn pop_push_label(&mut self, tys: &[ValType]) -> Result<()> {
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

    pub(super) fn unreachable(&mut self) {
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

    pub(super) fn params(&self, ty: BlockTy) -> Tys<'a> {
        match ty {
            BlockTy::Empty | BlockTy::Val(_) => Tys::Slice(&[]),
            BlockTy::Func(i) => Tys::Slice(self.module.types[i as usize].params()),
        }
    }

    pub(super) fn results(&self, ty: BlockTy) -> Tys<'a> {
        match ty {
            BlockTy::Empty => Tys::Slice(&[]),
            BlockTy::Val(t) => Tys::One(t),
            BlockTy::Func(i) => Tys::Slice(self.module.types[i as usize].results()),
        }
    }

    pub(super) fn label_types(&self, frame: &Frame) -> Tys<'a> {
        if frame.kind == FrameKind::Loop {
            self.params(frame.ty)
        } else {
            self.results(frame.ty)
        }
    }

    pub(super) fn block_type(&self, bt: BlockType) -> Result<BlockTy> {
        match bt {
            BlockType::Empty => Ok(BlockTy::Empty),
            BlockType::Value(t) => Ok(BlockTy::Val(t)),
            BlockType::Func(i) => {
                if i as usize >= self.module.types.len() {
                    return Err(self.err(format!("unknown type {i}")));
                }
                Ok(BlockTy::Func(i))
            }
        }
    }

    pub(super) fn push_frame(&mut self, kind: FrameKind, ty: BlockTy) -> Result<()> {
        let params = self.params(ty);
        self.pop_all(&params)?;
        self.s.frames.push(Frame {
            kind,
            ty,
            height: self.s.operands.len(),
            unreachable: false,
            inits: self.s.init_log.len(),
        });
        let depth = self.s.frames.len() as u32;
        if depth > self.info.max_depth {
            self.info.max_depth = depth;
        }
        self.push_all(&params);
        Ok(())
    }

    /// Ends the innermost frame: its results must be exactly what is left.
    pub(super) fn pop_frame(&mut self) -> Result<Frame> {
        let frame = *self
            .s
            .frames
            .last()
            .expect("a frame is open while validating");
        self.pop_all(&self.results(frame.ty))?;
        if self.s.operands.len() != frame.height {
            let extra = self.s.operands.len() - frame.height;
            return Err(self.err(format!(
                "type mismatch: {extra} value(s) left on the stack at the end of the block"
            )));
        }
        self.s.frames.pop();
        // Locals first set inside the block are not set after it.
        for i in self.s.init_log.drain(frame.inits..) {
            self.s.initialized[i as usize] = false;
        }
        Ok(frame)
    }

    pub(super) fn label(&self, depth: u32) -> Result<Frame> {
        let n = self.s.frames.len();
        if depth as usize >= n {
            return Err(self.err(format!("unknown label {depth}")));
        }
        Ok(self.s.frames[n - 1 - depth as usize])
    }

    // ---- index spaces ----

    pub(super) fn local(&self, i: u32) -> Result<ValType> {
        self.s
            .locals
            .get(i as usize)
            .copied()
            .ok_or_else(|| self.err(format!("unknown local {i}")))
    }

    /// The type of local `i`, which `local.get` reads: it must hold a value.
    pub(super) fn local_to_read(&self, i: u32) -> Result<ValType> {
        let t = self.local(i)?;
        if !self.s.initialized[i as usize] {
            return Err(self.err(format!("uninitialized local {i}")));
        }
        Ok(t)
    }

    /// Records that local `i` holds a value from here to the end of the
    /// innermost block.
    pub(super) fn set_local(&mut self, i: u32) {
        let set = &mut self.s.initialized[i as usize];
        if !*set {
            *set = true;
            self.s.init_log.push(i);
        }
    }

    pub(super) fn global(&self, i: u32) -> Result<crate::types::GlobalType> {
        self.module
            .globals
            .get(i as usize)
            .copied()
            .ok_or_else(|| self.err(format!("unknown global {i}")))
    }

    /// Table `i`'s element type and the value type of its indices.
    pub(super) fn table(&self, i: u32) -> Result<(RefType, ValType)> {
        self.module
            .tables
            .get(i as usize)
            .map(|t| (t.elem, t.addr.val_type()))
            .ok_or_else(|| self.err(format!("unknown table {i}")))
    }

    /// The value type of memory `i`'s addresses.
    pub(super) fn memory(&self, i: u32) -> Result<ValType> {
        if let Some(m) = self.module.memories.get(i as usize) {
            if i != 0 && !self.features.multi_memory {
                return Err(later_proposal(
                    self.features,
                    self.pos,
                    "multi-memory",
                    "multiple memories",
                ));
            }
            return Ok(m.addr.val_type());
        }
        Err(self.err(format!("unknown memory {i}")))
    }

    pub(super) fn func_type_of(&self, type_index: u32) -> Result<&'a FuncType> {
        self.module
            .types
            .get(type_index as usize)
            .ok_or_else(|| self.err(format!("unknown type {type_index}")))
    }

    pub(super) fn data_segment(&self, i: u32) -> Result<()> {
        match self.module.data_count {
            None => Err(Error::malformed(self.pos, "data count section required")),
            Some(n) if i >= n => Err(self.err(format!("unknown data segment {i}"))),
            Some(_) => Ok(()),
        }
    }

    pub(super) fn elem_segment(&self, i: u32) -> Result<RefType> {
        self.module
            .elems
            .get(i as usize)
            .map(|e| e.ty)
            .ok_or_else(|| self.err(format!("unknown elem segment {i}")))
    }

    /// Checks a memory access; the value type of its address.
    pub(super) fn memarg(&self, memarg: &MemArg, natural_log2: u8) -> Result<ValType> {
        let addr = self.memory(memarg.memory)?;
        check_memop_flags(self.features, self.pos, memarg.align)?;
        if memarg.align > natural_log2 {
            return Err(self.err(format!(
                "alignment must not be larger than natural: 2^{} > {} bytes",
                memarg.align,
                1u32 << natural_log2
            )));
        }
        if addr == I32 && memarg.offset > u32::MAX as u64 {
            // Decodable with memory64 (or later proposals) recognized; for a
            // 32-bit memory such an offset is invalid there.
            return Err(self.err(format!("offset out of range: {:#x}", memarg.offset)));
        }
        Ok(addr)
    }

    pub(super) fn load(&mut self, memarg: &MemArg, natural_log2: u8, t: ValType) -> Result<()> {
        let addr = self.memarg(memarg, natural_log2)?;
        self.pop(addr)?;
        self.push(t);
        Ok(())
    }

    pub(super) fn store(&mut self, memarg: &MemArg, natural_log2: u8, t: ValType) -> Result<()> {
        let addr = self.memarg(memarg, natural_log2)?;
        self.pop2(addr, t)
    }

    /// An instruction of a proposal beyond WebAssembly 2.0.
    pub(super) fn call(&mut self, ty: &'a FuncType) -> Result<()> {
        self.pop_all(ty.params())?;
        self.push_all(ty.results());
        Ok(())
    }

    // ---- instructions ----
}

pub(super) fn list(tys: &[ValType]) -> String {
    tys.iter()
        .map(|t| t.to_string())
        .collect::<Vec<_>>()
        .join(" ")
}
