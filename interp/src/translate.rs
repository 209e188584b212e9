//! Translation of validated function bodies into register code.
//!
//! One pass over the operators. The translator keeps a virtual operand stack:
//! an entry is a value already in its slot, a local not yet copied, or a
//! constant not yet materialized. An instruction reads its operands from
//! wherever they are and writes its result to the slot of the stack position
//! it occupies, so `local.get` and constants cost nothing until they must
//! exist in their slot (at branches, calls and block boundaries, or when the
//! local is overwritten). A `local.set` right after the instruction that
//! produced its value retargets that instruction to write the local directly.
//! Unreachable code is not translated.

use crate::code::{BranchTarget, FuncCode, Instr, Op, Slot, with_op_lists};
use crate::{jumps, threaded};
use skiff_vm::module::Module;
use skiff_vm::validate::FuncInfo;
use skiff_vm::{Error, ErrorKind};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use wasmparser::{BlockType, Operator};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Func,
    Block,
    Loop,
    If,
    Else,
}

/// A forward branch waiting for its label's end.
#[derive(Debug, Clone, Copy)]
enum Patch {
    /// The jump instruction at this index.
    Op(usize),
    /// The branch table entry at this index.
    Entry(usize),
}

#[derive(Debug)]
struct Ctrl {
    kind: Kind,
    /// Slot of the block's first parameter (its height below the parameters).
    height: Slot,
    params: u32,
    results: u32,
    /// For loops: the instruction index of the loop's start.
    loop_start: u32,
    patches: Vec<Patch>,
    /// For `if`: the jump to point at the `else` or the end.
    else_jump: Option<usize>,
}

impl Ctrl {
    fn label_arity(&self) -> u32 {
        if self.kind == Kind::Loop {
            self.params
        } else {
            self.results
        }
    }
}

/// A branch condition a jump tests directly, without its value in a slot.
#[derive(Debug, Clone, Copy)]
enum Condition {
    /// Slot `.0` is zero (`i32.eqz`).
    Zero(Slot),
    /// A comparison: the jumps taken unless and when it holds.
    Compare { unless: Op, when: Op },
}

impl Condition {
    /// The jump to `target` taken when the condition holds.
    fn when(self, target: u32) -> Op {
        match self {
            Condition::Zero(cond) => Op::JumpIfZero { cond, target },
            Condition::Compare { when, .. } => with_target(when, target),
        }
    }

    /// The jump to `target` taken unless the condition holds.
    fn unless(self, target: u32) -> Op {
        match self {
            Condition::Zero(cond) => Op::JumpIf { cond, target },
            Condition::Compare { unless, .. } => with_target(unless, target),
        }
    }
}

fn with_target(mut jump: Op, target: u32) -> Op {
    *jump.jump_target_mut().expect("a jump") = target;
    jump
}

/// Where an operand of the virtual stack is.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Operand {
    /// In its own slot (the slot of its stack position).
    InSlot,
    /// Still in a local.
    Local(Slot),
    /// A constant not yet written anywhere.
    Const(u64),
    /// Slot `src` plus `imm`, wrapping at 2^32 (an `i32.add` of a constant),
    /// not yet computed: a memory access addressed by it does the addition.
    /// `src` is a local, a constant slot or this entry's own slot.
    AddImm { src: Slot, imm: u32 },
}

impl Operand {
    /// Whether it reads local `l`.
    fn reads(self, l: Slot) -> bool {
        matches!(self, Operand::Local(s) | Operand::AddImm { src: s, .. } if s == l)
    }
}

/// Hashes constants (one `u64` each) with a multiply and a rotation: they
/// are not attacker-chosen keys worth SipHash's cost, and a colliding set
/// only slows translation down.
#[derive(Debug, Default)]
struct ConstHasher(u64);

impl Hasher for ConstHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0 ^ v)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .rotate_left(26);
    }
}

/// Buffers reused from one function's translation to the next, so that
/// translating a module allocates little more than its code.
#[derive(Debug, Default)]
pub struct Scratch {
    ctrls: Vec<Ctrl>,
    stack: Vec<Operand>,
    /// Constant slots by value.
    const_slots: HashMap<u64, Slot, BuildHasherDefault<ConstHasher>>,
    /// Per local, whether it still holds the zero it starts with, as long as
    /// the translator's `straight` holds.
    zero_locals: Vec<bool>,
    /// Emptied patch lists, for the next blocks.
    patch_lists: Vec<Vec<Patch>>,
    /// The instructions of the function being translated.
    ops: Vec<Op>,
    /// A second buffer of instructions, for rewriting them.
    spare_ops: Vec<Op>,
}

/// Translates defined function `index` of `module`.
pub fn translate(module: &Module, info: &FuncInfo, index: u32) -> Result<FuncCode, Error> {
    translate_with(&mut Scratch::default(), module, info, index)
}

/// Translates defined function `index` of `module`, with buffers from
/// `scratch` (which a module's functions share).
pub fn translate_with(
    scratch: &mut Scratch,
    module: &Module,
    info: &FuncInfo,
    index: u32,
) -> Result<FuncCode, Error> {
    let body = module.body(index).expect("a defined function");
    let ty = module.func_type(index);
    let params = ty.params().len() as u32;
    let mut ops = std::mem::take(&mut scratch.ops);
    ops.clear();
    let mut t = Translator {
        module,
        ops,
        code: FuncCode {
            instrs: Vec::new(),
            branch_tables: Vec::new(),
            params,
            locals: info.num_locals,
            frame_size: info.num_locals + info.num_consts + info.max_stack,
            consts: Vec::new(),
            frame_init: Vec::new(),
            results: ty.results().len() as u32,
            offsets: Vec::with_capacity(body.operators.len() / 2),
        },
        s: scratch,
        base: info.num_locals + info.num_consts,
        unreachable: false,
        dead_depth: 0,
        pos: 0,
        last_result: None,
        straight: true,
        fuse_from: 0,
    };
    t.s.ctrls.clear();
    t.s.stack.clear();
    t.s.const_slots.clear();
    t.s.zero_locals.clear();
    t.s.zero_locals
        .extend((0..info.num_locals).map(|l| l >= params));
    let base = t.base;
    t.push_ctrl_frame(Kind::Func, base, 0, ty.results().len() as u32, None);
    let mut reader = module.operators_reader(body);
    while !reader.eof() {
        t.pos = reader.original_position() as u32;
        let op = reader.read().map_err(Error::from)?;
        t.op(op)?;
    }
    let code = finish(t.code, &mut t.ops, &mut t.s.spare_ops);
    t.s.ops = t.ops;
    code
}

/// Checks what the execution loop relies on to read instructions without
/// bounds checks (every jump lands inside the code, which ends with `Return`),
/// then threads the code: each instruction gets its handler.
fn finish(mut code: FuncCode, ops: &mut Vec<Op>, spare: &mut Vec<Op>) -> Result<FuncCode, Error> {
    jumps::thread(ops, &mut code.offsets, &mut code.branch_tables, spare);
    let bad = |what: &str| {
        Err(Error::without_offset(
            ErrorKind::Invalid,
            format!("interpreter translation bug: {what}"),
        ))
    };
    if !matches!(ops.last(), Some(Op::Return { .. })) {
        return bad("code does not end with a return");
    }
    let len = ops.len() as u32;
    if ops
        .iter()
        .any(|op| op.jump_target().is_some_and(|t| t >= len))
    {
        return bad("a jump leaves the code");
    }
    code.instrs = ops
        .iter()
        .map(|&op| Instr {
            handler: threaded::handler_of(&op),
            op,
        })
        .collect();
    if code.branch_tables.iter().any(|e| e.target >= len) {
        return bad("a branch leaves the code");
    }
    let zeros = (code.locals - code.params) as usize;
    code.frame_init.reserve_exact(zeros + code.consts.len());
    code.frame_init.resize(zeros, 0);
    code.frame_init.extend_from_slice(&code.consts);
    Ok(code)
}

struct Translator<'m, 's> {
    module: &'m Module,
    /// The instructions emitted so far.
    ops: Vec<Op>,
    code: FuncCode,
    /// The control stack, the virtual operand stack (entry `i` belongs to
    /// slot `base + i`) and the other per-function state.
    s: &'s mut Scratch,
    base: Slot,
    unreachable: bool,
    /// Blocks opened inside unreachable code, not yet closed.
    dead_depth: u32,
    pos: u32,
    /// The last instruction, when it wrote the slot of the top operand and
    /// nothing else: a following `local.set` may retarget it.
    last_result: Option<usize>,
    /// No join point (loop header, `else`, block end) passed yet: the code so
    /// far runs once, in order, from the function's entry.
    straight: bool,
    /// The number of instructions before the last join point: only those
    /// after it may be fused with the next.
    fuse_from: usize,
}

fn unsupported(what: &str) -> Error {
    Error::without_offset(
        ErrorKind::Unsupported,
        format!("the interpreter does not run {what} yet"),
    )
}

impl Translator<'_, '_> {
    fn emit(&mut self, op: Op) {
        self.last_result = None;
        if let Some(fused) = self.fused(op) {
            *self.ops.last_mut().expect("fused with the last") = fused;
            return;
        }
        self.ops.push(op);
        self.code.offsets.push(self.pos);
    }

    /// One instruction that does the last instruction emitted and then `next`,
    /// for the pairs frequent in compiled loops, when no join point lies
    /// between them.
    fn fused(&self, next: Op) -> Option<Op> {
        if self.ops.len() <= self.fuse_from {
            return None;
        }
        let small = |slot: Slot| u16::try_from(slot).ok();
        let short = |imm: i32| i16::try_from(imm).ok();
        match (*self.ops.last()?, next) {
            // A `select` by a comparison just made.
            (last, Op::SelectSmall { .. }) if last.fused_branch().is_some() => {
                Op::fuse_select(last, next)
            }
            // The `i32.add` of a comparison's result (in an operand slot it
            // consumes): a branchless count.
            (last, Op::I32Add { .. })
                if last.fused_branch().is_some_and(|(t, ..)| t >= self.base) =>
            {
                Op::fuse_count(last, next)
            }
            // A shift by a constant whose value an arithmetic instruction uses
            // right away: `base + (index << c)`, `x ^ (x >> c)`. The shifted
            // value must be an operand slot that the instruction consumes.
            (
                last @ (Op::I32Shl { dst: t, b: c, .. }
                | Op::I32ShrU { dst: t, b: c, .. }
                | Op::I32Rotl { dst: t, b: c, .. }
                | Op::I64Shl { dst: t, b: c, .. }
                | Op::I64ShrU { dst: t, b: c, .. }),
                next,
            ) if t >= self.base => {
                // Shift counts are taken modulo the width.
                let width = if matches!(last, Op::I64Shl { .. } | Op::I64ShrU { .. }) {
                    64
                } else {
                    32
                };
                let k = (self.const_value(c)? % width) as u8;
                Op::fuse_shift(last, k, next).or_else(|| match last {
                    // A load from `index << c`, with a constant zero as base.
                    Op::I32Shl { a: index, .. } => {
                        let zero = *self.s.const_slots.get(&0)?;
                        Op::fuse_index(t, zero, index, k, next)
                    }
                    _ => None,
                })
            }
            // A load from an address just computed: `base + index` or
            // `base + (index << c)`.
            // The address must be an operand slot that the load consumes; the
            // fused load reads `base` and `index` where the addition did.
            (Op::I32Add { dst: t, a, b }, next) if t >= self.base => {
                Op::fuse_index(t, a, b, 0, next)
            }
            (Op::I32AddShl { dst: t, a, b, k }, next) if t >= self.base => {
                Op::fuse_index(t, a, b, k, next)
            }
            // A product that an addition or subtraction uses right away.
            (
                Op::F64Mul { dst: t, a, b },
                Op::F64Add { dst, a: x, b: y } | Op::F64Sub { dst, a: x, b: y },
            ) if t >= self.base => {
                let add = matches!(next, Op::F64Add { .. });
                let (c, mode) = match (x == t, y == t) {
                    (true, false) => (y, if add { 0 } else { 1 }),
                    (false, true) => (x, if add { 0 } else { 2 }),
                    _ => return None,
                };
                Some(Op::F64MulAdd {
                    dst,
                    a: small(a)?,
                    b: small(b)?,
                    c: small(c)?,
                    mode,
                })
            }
            // Two pointer or counter updates in a row, the second to a local.
            (
                Op::I32AddImm {
                    dst: d1,
                    a: a1,
                    imm: i1,
                },
                Op::I32AddImm {
                    dst: d2,
                    a: a2,
                    imm: i2,
                },
            ) if d2 < self.code.locals => Some(Op::I32AddImm2 {
                d1: small(d1)?,
                a1: small(a1)?,
                imm1: short(i1)?,
                d2: small(d2)?,
                a2: small(a2)?,
                imm2: short(i2)?,
            }),
            // A load whose value an arithmetic instruction uses right away.
            (mut last, next) => {
                let fused = Op::fuse_load(last, next).or_else(|| Op::fuse_update(last, next))?;
                // The value passed on must be an operand the instruction consumes.
                (*last.result_slot_mut()? >= self.base).then_some(fused)
            }
        }
    }

    /// The value of `slot` when it is a constant slot.
    fn const_value(&self, slot: Slot) -> Option<u64> {
        let i = slot.checked_sub(self.code.locals)?;
        self.code.consts.get(i as usize).copied()
    }

    fn pc(&self) -> u32 {
        self.ops.len() as u32
    }

    /// The slot of the next value pushed.
    fn top_slot(&self) -> Slot {
        self.base + self.s.stack.len() as Slot
    }

    /// Pushes a value that an instruction wrote to its slot.
    fn push_result(&mut self, op: Op) {
        self.emit(op);
        self.s.stack.push(Operand::InSlot);
        self.last_result = Some(self.ops.len() - 1);
    }

    /// Writes entry `i` of the virtual stack to its own slot.
    fn materialize(&mut self, i: usize) {
        let dst = self.base + i as Slot;
        match self.s.stack[i] {
            Operand::InSlot => {}
            Operand::Local(src) => {
                self.emit(Op::Copy { dst, src });
                self.s.stack[i] = Operand::InSlot;
            }
            Operand::Const(bits) => {
                self.emit(Op::Const { dst, bits });
                self.s.stack[i] = Operand::InSlot;
            }
            Operand::AddImm { src, imm } => {
                self.emit(Op::I32AddImm {
                    dst,
                    a: src,
                    imm: imm as i32,
                });
                self.s.stack[i] = Operand::InSlot;
            }
        }
    }

    /// Writes every virtual entry to its slot: before branches, calls and
    /// block boundaries, where values must be where the stack says.
    fn materialize_all(&mut self) {
        for i in 0..self.s.stack.len() {
            self.materialize(i);
        }
    }

    /// Writes the top `n` entries to their slots (operands read as a run).
    fn materialize_top(&mut self, n: usize) {
        for i in self.s.stack.len() - n..self.s.stack.len() {
            self.materialize(i);
        }
    }

    /// Pops an operand, giving the slot to read it from; a constant is read
    /// from the frame's constant slots.
    fn pop_slot(&mut self) -> Slot {
        let i = self.s.stack.len() - 1;
        let slot = match self.s.stack[i] {
            Operand::InSlot => self.base + i as Slot,
            Operand::Local(l) => l,
            Operand::Const(bits) => self.const_slot(bits),
            Operand::AddImm { .. } => {
                self.materialize(i);
                self.base + i as Slot
            }
        };
        self.s.stack.pop();
        slot
    }

    /// Pops the address operand of a memory access with static offset
    /// `offset`: `(slot, None)` to add the offset to, or `(slot, Some(imm))`
    /// when the access can do a pending `i32.add` of `imm` itself.
    fn pop_address(&mut self, offset: u64) -> (Slot, Option<u32>) {
        match self.s.stack.last() {
            Some(&Operand::AddImm { src, imm }) if offset == 0 => {
                self.s.stack.pop();
                (src, Some(imm))
            }
            _ => (self.pop_slot(), None),
        }
    }

    /// For an `i32.add` of the top two operands, one of which is a pending
    /// addition of a constant: its position, slot and constant.
    fn pending_add_imm(&self) -> Option<(usize, Slot, u32)> {
        let n = self.s.stack.len();
        (n - 2..n).rev().find_map(|i| match self.s.stack[i] {
            Operand::AddImm { src, imm } => Some((i, src, imm)),
            _ => None,
        })
    }

    /// `i32.add` of constant `c` to the operand below it: deferred, so that
    /// a memory access it addresses does the addition.
    fn add_imm(&mut self, c: u32) {
        let i = self.s.stack.len() - 1;
        let (src, imm) = match self.s.stack[i] {
            Operand::InSlot => (self.base + i as Slot, 0),
            Operand::Local(l) => (l, 0),
            Operand::Const(bits) => (self.const_slot(bits), 0),
            Operand::AddImm { src, imm } => (src, imm),
        };
        self.s.stack[i] = Operand::AddImm {
            src,
            imm: imm.wrapping_add(c),
        };
        self.last_result = None;
    }

    /// The (provisional) slot holding constant `bits`.
    fn const_slot(&mut self, bits: u64) -> Slot {
        if let Some(&s) = self.s.const_slots.get(&bits) {
            return s;
        }
        let s = self.code.locals + self.code.consts.len() as Slot;
        self.code.consts.push(bits);
        self.s.const_slots.insert(bits, s);
        s
    }

    /// Before local `l` changes: copies of it still on the virtual stack
    /// must take its old value now.
    fn protect_local(&mut self, l: Slot) {
        for i in 0..self.s.stack.len() {
            if self.s.stack[i].reads(l) {
                self.materialize(i);
            }
        }
    }

    fn unary(&mut self, make: impl FnOnce(Slot, Slot) -> Op) {
        let src = self.pop_slot();
        let dst = self.top_slot();
        self.push_result(make(dst, src));
    }

    fn binary(&mut self, make: impl FnOnce(Slot, Slot, Slot) -> Op) {
        let b = self.pop_slot();
        let a = self.pop_slot();
        let dst = self.top_slot();
        self.push_result(make(dst, a, b));
    }

    fn arity(&self, bt: BlockType) -> (u32, u32) {
        match bt {
            BlockType::Empty => (0, 0),
            BlockType::Type(_) => (0, 1),
            BlockType::FuncType(i) => {
                let ty = &self.module.types[i as usize];
                (ty.params().len() as u32, ty.results().len() as u32)
            }
        }
    }

    fn push_ctrl(&mut self, kind: Kind, bt: BlockType, else_jump: Option<usize>) {
        let (params, results) = self.arity(bt);
        let height = self.top_slot() - params;
        self.push_ctrl_frame(kind, height, params, results, else_jump);
    }

    fn push_ctrl_frame(
        &mut self,
        kind: Kind,
        height: Slot,
        params: u32,
        results: u32,
        else_jump: Option<usize>,
    ) {
        let patches = self.s.patch_lists.pop().unwrap_or_default();
        self.s.ctrls.push(Ctrl {
            kind,
            height,
            params,
            results,
            loop_start: self.pc(),
            patches,
            else_jump,
        });
    }

    /// The branch to the label `depth` levels out; the index of its control
    /// frame when the target is forward (patched at the label's end).
    fn branch_to(&self, depth: u32) -> (BranchTarget, Option<usize>) {
        let c = self.s.ctrls.len() - 1 - depth as usize;
        let ctrl = &self.s.ctrls[c];
        let keep = ctrl.label_arity();
        let to = BranchTarget {
            target: if ctrl.kind == Kind::Loop {
                ctrl.loop_start
            } else {
                u32::MAX
            },
            src: self.top_slot() - keep,
            dst: ctrl.height,
            keep,
        };
        (to, (ctrl.kind != Kind::Loop).then_some(c))
    }

    fn patch(&mut self, p: Patch, target: u32) {
        match p {
            Patch::Op(i) => {
                let op = &mut self.ops[i];
                match op.jump_target_mut() {
                    Some(t) => *t = target,
                    None => unreachable!("patching {op:?}"),
                }
            }
            Patch::Entry(i) => self.code.branch_tables[i].target = target,
        }
    }

    /// A join point: code after it is reached from more than one place, so
    /// no instruction before it may be fused with one after it, nor retargeted.
    fn join(&mut self) {
        self.straight = false;
        self.last_result = None;
        self.fuse_from = self.ops.len();
    }

    fn end_block(&mut self) {
        self.join();
        let ctrl = self.s.ctrls.pop().expect("validated nesting");
        let end = self.pc();
        if let Some(j) = ctrl.else_jump {
            self.patch(Patch::Op(j), end);
        }
        let mut patches = ctrl.patches;
        for p in patches.drain(..) {
            self.patch(p, end);
        }
        self.s.patch_lists.push(patches);
        self.s.stack.truncate((ctrl.height - self.base) as usize);
        self.s
            .stack
            .extend(std::iter::repeat_n(Operand::InSlot, ctrl.results as usize));
        self.unreachable = false;
        if ctrl.kind == Kind::Func {
            let src = self.top_slot() - ctrl.results;
            self.emit(Op::Return { src });
        }
    }

    fn op(&mut self, op: Operator<'_>) -> Result<(), Error> {
        use Operator as O;
        if self.unreachable {
            match op {
                O::Block { .. } | O::Loop { .. } | O::If { .. } => self.dead_depth += 1,
                O::Else if self.dead_depth == 0 => self.else_(),
                O::End if self.dead_depth > 0 => self.dead_depth -= 1,
                O::End => self.end_block(),
                _ => {}
            }
            return Ok(());
        }
        match op {
            O::Unreachable => {
                self.emit(Op::Unreachable);
                self.unreachable = true;
            }
            O::Nop => {}
            O::Block { blockty } => {
                self.materialize_all();
                self.push_ctrl(Kind::Block, blockty, None);
            }
            O::Loop { blockty } => {
                self.join();
                self.materialize_all();
                self.push_ctrl(Kind::Loop, blockty, None);
            }
            O::If { blockty } => {
                let fusable = self.fusable_condition();
                let cond = self.pop_slot();
                let emitted = self.ops.len();
                self.materialize_all();
                let jump = match fusable.filter(|_| self.ops.len() == emitted) {
                    Some(f) => {
                        self.ops.pop();
                        self.code.offsets.pop();
                        f.unless(u32::MAX)
                    }
                    None => Op::JumpIfZero {
                        cond,
                        target: u32::MAX,
                    },
                };
                let j = self.ops.len();
                self.emit(jump);
                self.push_ctrl(Kind::If, blockty, Some(j));
            }
            O::Else => {
                self.materialize_all();
                self.else_();
            }
            O::End => {
                self.materialize_all();
                self.end_block();
            }
            O::Br { relative_depth } => {
                self.materialize_all();
                self.br(relative_depth);
                self.unreachable = true;
            }
            O::BrIf { relative_depth } => self.br_if(relative_depth),
            O::BrTable { targets } => {
                let index = self.pop_slot();
                self.materialize_all();
                let start = self.code.branch_tables.len() as u32;
                let mut depths: Vec<u32> = targets
                    .targets()
                    .collect::<Result<_, _>>()
                    .map_err(Error::from)?;
                depths.push(targets.default());
                for depth in &depths {
                    let (to, forward) = self.branch_to(*depth);
                    let entry = self.code.branch_tables.len();
                    self.code.branch_tables.push(to);
                    // A branch to the function's own label lands on the
                    // `Return` its end emits.
                    if let Some(c) = forward {
                        self.s.ctrls[c].patches.push(Patch::Entry(entry));
                    }
                }
                self.emit(Op::BrTable {
                    index,
                    start,
                    len: depths.len() as u32,
                });
                self.unreachable = true;
            }
            O::Return => {
                self.materialize_all();
                let n = self.code.results;
                self.emit(Op::Return {
                    src: self.top_slot() - n,
                });
                self.unreachable = true;
            }
            O::Call { function_index } => {
                let ty = self.module.func_type(function_index);
                let (params, results) = (ty.params().len(), ty.results().len());
                self.materialize_all();
                let base = self.top_slot() - params as Slot;
                self.s.stack.truncate(self.s.stack.len() - params);
                self.emit(Op::Call {
                    func: function_index,
                    base,
                });
                self.s
                    .stack
                    .extend(std::iter::repeat_n(Operand::InSlot, results));
            }
            O::CallIndirect {
                type_index,
                table_index,
            } => {
                let ty = &self.module.types[type_index as usize];
                let (params, results) = (ty.params().len(), ty.results().len());
                self.materialize_all();
                let base = self.top_slot() - params as Slot - 1;
                self.s.stack.truncate(self.s.stack.len() - params - 1);
                self.emit(Op::CallIndirect {
                    base,
                    ty: type_index,
                    table: table_index,
                });
                self.s
                    .stack
                    .extend(std::iter::repeat_n(Operand::InSlot, results));
            }
            // Slots hold raw bits: reinterpreting changes nothing.
            O::I32ReinterpretF32
            | O::F32ReinterpretI32
            | O::I64ReinterpretF64
            | O::F64ReinterpretI64 => {}
            O::Drop => {
                self.s.stack.pop();
            }
            O::Select | O::TypedSelect { .. } | O::TypedSelectMulti { .. }
                if self.code.frame_size <= u32::from(u16::MAX) =>
            {
                // A select of `i32.eqz c` is the select of `c`, operands swapped.
                let eqz = match self.fusable_condition() {
                    Some(Condition::Zero(src)) => Some(src),
                    _ => None,
                };
                let mut cond = self.pop_slot();
                if let Some(src) = eqz {
                    self.ops.pop();
                    self.code.offsets.pop();
                    cond = src;
                }
                let b = self.pop_slot();
                let a = self.pop_slot();
                let (a, b) = if eqz.is_some() { (b, a) } else { (a, b) };
                let dst = self.top_slot();
                // Every slot of the frame fits in 16 bits.
                let small = |slot: Slot| slot as u16;
                self.push_result(Op::SelectSmall {
                    dst,
                    a: small(a),
                    b: small(b),
                    cond: small(cond),
                });
            }
            O::Select | O::TypedSelect { .. } | O::TypedSelectMulti { .. } => {
                let cond = self.pop_slot();
                let b = self.pop_slot();
                // The first operand must be in the result's slot.
                let i = self.s.stack.len() - 1;
                self.materialize(i);
                let dst = self.base + i as Slot;
                self.s.stack.pop();
                self.push_result(Op::Select { dst, b, cond });
            }
            O::LocalGet { local_index } => self.s.stack.push(Operand::Local(local_index)),
            O::LocalSet { local_index } => self.local_set(local_index),
            O::LocalTee { local_index } => {
                self.local_set(local_index);
                self.s.stack.push(Operand::Local(local_index));
            }
            O::GlobalGet { global_index } => {
                if self.module.globals[global_index as usize].content
                    == skiff_vm::types::ValType::V128
                {
                    return Err(unsupported("SIMD"));
                }
                let dst = self.top_slot();
                self.push_result(Op::GlobalGet {
                    dst,
                    index: global_index,
                });
            }
            O::GlobalSet { global_index } => {
                let src = self.pop_slot();
                self.emit(Op::GlobalSet {
                    src,
                    index: global_index,
                });
            }
            O::I32Const { value } => self.s.stack.push(Operand::Const(value as u32 as u64)),
            O::I64Const { value } => self.s.stack.push(Operand::Const(value as u64)),
            O::F32Const { value } => self.s.stack.push(Operand::Const(value.bits() as u64)),
            O::F64Const { value } => self.s.stack.push(Operand::Const(value.bits())),
            O::RefNull { .. } => self.s.stack.push(Operand::Const(0)),
            O::RefIsNull => self.unary(|dst, src| Op::RefIsNull { dst, src }),
            O::RefFunc { function_index } => {
                let dst = self.top_slot();
                self.push_result(Op::RefFunc {
                    dst,
                    func: function_index,
                });
            }
            O::MemorySize { .. } => {
                let dst = self.top_slot();
                self.push_result(Op::MemorySize { dst });
            }
            O::MemoryGrow { .. } => self.unary(|dst, delta| Op::MemoryGrow { dst, delta }),
            O::MemoryInit { data_index, .. } => {
                let base = self.run_of(3);
                self.emit(Op::MemoryInit {
                    base,
                    data: data_index,
                });
            }
            O::DataDrop { data_index } => self.emit(Op::DataDrop { data: data_index }),
            O::MemoryCopy { .. } => {
                let base = self.run_of(3);
                self.emit(Op::MemoryCopy { base });
            }
            O::MemoryFill { .. } => {
                let base = self.run_of(3);
                self.emit(Op::MemoryFill { base });
            }
            O::TableInit { elem_index, table } => {
                let base = self.run_of(3);
                self.emit(Op::TableInit {
                    base,
                    elem: elem_index,
                    table,
                });
            }
            O::ElemDrop { elem_index } => self.emit(Op::ElemDrop { elem: elem_index }),
            O::TableCopy {
                dst_table,
                src_table,
            } => {
                let base = self.run_of(3);
                self.emit(Op::TableCopy {
                    base,
                    dst: dst_table,
                    src: src_table,
                });
            }
            O::TableGet { table } => self.unary(|dst, index| Op::TableGet { dst, index, table }),
            O::TableSet { table } => {
                let value = self.pop_slot();
                let index = self.pop_slot();
                self.emit(Op::TableSet {
                    index,
                    value,
                    table,
                });
            }
            O::TableSize { table } => {
                let dst = self.top_slot();
                self.push_result(Op::TableSize { dst, table });
            }
            O::TableGrow { table } => {
                let base = self.run_of(2);
                self.emit(Op::TableGrow { base, table });
                self.s.stack.push(Operand::InSlot);
            }
            O::TableFill { table } => {
                let base = self.run_of(3);
                self.emit(Op::TableFill { base, table });
            }
            O::I32Add | O::I32Sub if matches!(self.s.stack.last(), Some(Operand::Const(_))) => {
                let Some(Operand::Const(c)) = self.s.stack.pop() else {
                    unreachable!()
                };
                let c = c as u32;
                self.add_imm(if op == O::I32Add { c } else { c.wrapping_neg() });
            }
            // (s + c) + x = (s + x) + c, modulo 2^32: the addition of `c` stays
            // pending, for an access or another constant to take over.
            O::I32Add if let Some((i, src, imm)) = self.pending_add_imm() => {
                self.s.stack[i] = if src == self.base + i as Slot {
                    Operand::InSlot
                } else {
                    // A local or a constant slot, read where it is.
                    Operand::Local(src)
                };
                self.simple_op(&op);
                self.add_imm(imm);
            }
            op => {
                if !self.simple_op(&op) {
                    // Validation admits nothing else: what is left is SIMD.
                    return Err(unsupported("SIMD"));
                }
            }
        }
        Ok(())
    }

    /// Pops `n` operands that an instruction reads as a run of slots; returns the first slot.
    fn run_of(&mut self, n: usize) -> Slot {
        self.materialize_top(n);
        self.s.stack.truncate(self.s.stack.len() - n);
        self.top_slot()
    }

    fn local_set(&mut self, l: Slot) {
        let top = self.s.stack.len() - 1;
        let zero = &mut self.s.zero_locals[l as usize];
        if self.straight && *zero && self.s.stack[top] == Operand::Const(0) {
            // Setting a local that is known to be zero to zero.
            self.s.stack.pop();
            return;
        }
        *zero = false;
        let retarget = self.last_result.filter(|&i| {
            self.s.stack[top] == Operand::InSlot && self.ops[i].clone().result_slot_mut().is_some()
        });
        // Copies of the local below the top must keep its old value.
        let mut below_uses = false;
        for i in 0..top {
            if self.s.stack[i].reads(l) {
                below_uses = true;
            }
        }
        if below_uses {
            self.protect_local(l);
        }
        match (self.s.stack[top], retarget) {
            (Operand::InSlot, Some(i)) if !below_uses => {
                *self.ops[i].result_slot_mut().expect("recorded as a result") = l;
                self.s.stack.pop();
                self.last_result = None;
            }
            (Operand::Const(bits), _) => {
                self.s.stack.pop();
                self.emit(Op::Const { dst: l, bits });
            }
            (Operand::Local(src), _) => {
                self.s.stack.pop();
                if src != l {
                    self.emit(Op::Copy { dst: l, src });
                }
            }
            (Operand::InSlot, _) => {
                let src = self.base + top as Slot;
                self.s.stack.pop();
                self.emit(Op::Copy { dst: l, src });
            }
            (Operand::AddImm { src, imm }, _) => {
                self.s.stack.pop();
                self.emit(Op::I32AddImm {
                    dst: l,
                    a: src,
                    imm: imm as i32,
                });
            }
        }
    }

    fn else_(&mut self) {
        self.join();
        let reachable = !self.unreachable;
        let ctrl = self.s.ctrls.last_mut().expect("validated nesting");
        let else_jump = ctrl.else_jump.take();
        ctrl.kind = Kind::Else;
        let (height, params) = (ctrl.height, ctrl.params);
        if reachable {
            let j = self.ops.len();
            self.emit(Op::Jump { target: u32::MAX });
            self.s
                .ctrls
                .last_mut()
                .expect("validated nesting")
                .patches
                .push(Patch::Op(j));
        }
        if let Some(j) = else_jump {
            let here = self.pc();
            self.patch(Patch::Op(j), here);
        }
        self.s.stack.truncate((height - self.base) as usize);
        self.s
            .stack
            .extend(std::iter::repeat_n(Operand::InSlot, params as usize));
        self.unreachable = false;
    }

    /// An unconditional branch; the stack is materialized.
    fn br(&mut self, depth: u32) {
        let (to, forward) = self.branch_to(depth);
        if let Some(c) = forward
            && self.s.ctrls[c].kind == Kind::Func
        {
            self.emit(Op::Return { src: to.src });
            return;
        }
        let j = self.ops.len();
        if to.keep == 0 || to.src == to.dst {
            self.emit(Op::Jump { target: to.target });
            if let Some(c) = forward {
                self.s.ctrls[c].patches.push(Patch::Op(j));
            }
        } else {
            let entry = self.code.branch_tables.len();
            self.code.branch_tables.push(to);
            self.emit(Op::Br {
                entry: entry as u32,
            });
            if let Some(c) = forward {
                self.s.ctrls[c].patches.push(Patch::Entry(entry));
            }
        }
    }

    fn br_if(&mut self, depth: u32) {
        let fusable = self.fusable_condition();
        let cond = self.pop_slot();
        let emitted = self.ops.len();
        self.materialize_all();
        // The comparison can be dropped for a jump testing its operands when
        // nothing was emitted after it: its operands still hold their values.
        let fusable = fusable.filter(|_| self.ops.len() == emitted);
        if fusable.is_some() {
            self.ops.pop();
            self.code.offsets.pop();
        }
        let (to, forward) = self.branch_to(depth);
        let to_func = forward.is_some_and(|c| self.s.ctrls[c].kind == Kind::Func);
        if (to.keep == 0 || to.src == to.dst) && !to_func {
            // A plain jump: nothing to move.
            let jump = match fusable {
                Some(f) => f.when(to.target),
                None => Op::JumpIf {
                    cond,
                    target: to.target,
                },
            };
            let j = self.ops.len();
            self.emit(jump);
            if let Some(c) = forward {
                self.s.ctrls[c].patches.push(Patch::Op(j));
            }
        } else if let Some(f) = fusable {
            // Skip the branch unless the condition holds.
            let skip = self.ops.len();
            self.emit(f.unless(u32::MAX));
            self.br(depth);
            let after = self.pc();
            self.patch(Patch::Op(skip), after);
        } else {
            // Through the branch table: it moves the label's values (or, for
            // the function's label, lands on the final `Return`).
            let entry = self.code.branch_tables.len();
            self.code.branch_tables.push(to);
            self.emit(Op::BrIf {
                cond,
                entry: entry as u32,
            });
            if let Some(c) = forward {
                self.s.ctrls[c].patches.push(Patch::Entry(entry));
            }
        }
    }

    /// When the top operand is the result of the last instruction emitted, a
    /// comparison or `i32.eqz`, a jump can test its operands instead.
    fn fusable_condition(&self) -> Option<Condition> {
        let i = self.last_result?;
        if i + 1 != self.ops.len() || self.s.stack.last() != Some(&Operand::InSlot) {
            return None;
        }
        let top = self.top_slot() - 1;
        match self.ops[i] {
            Op::I32Eqz { dst, src } if dst == top => Some(Condition::Zero(src)),
            op => op
                .fused_branch()
                .filter(|(dst, ..)| *dst == top)
                .map(|(_, unless, when)| Condition::Compare { unless, when }),
        }
    }

    /// Loads, stores and numeric instructions: the op of the same name.
    fn simple_op(&mut self, op: &Operator<'_>) -> bool {
        macro_rules! simple_arms {
            (
                load { $($load:ident / $load_at:ident,)* }
                store { $($store:ident / $store_at:ident,)* }
                unary { $($unary:ident,)* }
                binary { $($binary:ident,)* }
                branch { $($rest:tt)* }
                load_op { $($load_op:tt)* }
                shift_op { $($shift_op:tt)* }
                index_load { $($index_load:tt)* }
                update { $($update:tt)* }
            ) => {
                match op {
                    $(Operator::$load { memarg } => {
                        let offset = memarg.offset as u32;
                        let (addr, imm) = self.pop_address(memarg.offset);
                        let dst = self.top_slot();
                        self.push_result(match imm {
                            None => Op::$load { dst, addr, offset },
                            Some(imm) => Op::$load_at { dst, addr, imm },
                        });
                    })*
                    $(Operator::$store { memarg } => {
                        let offset = memarg.offset as u32;
                        let value = self.pop_slot();
                        let (addr, imm) = self.pop_address(memarg.offset);
                        self.emit(match imm {
                            None => Op::$store { addr, value, offset },
                            Some(imm) => Op::$store_at { addr, value, imm },
                        });
                    })*
                    $(Operator::$unary => self.unary(|dst, src| Op::$unary { dst, src }),)*
                    $(Operator::$binary => self.binary(|dst, a, b| Op::$binary { dst, a, b }),)*
                    _ => return false,
                }
            };
        }
        with_op_lists!(simple_arms {});
        true
    }
}
