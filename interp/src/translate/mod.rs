//! Translation of validated function bodies into register code.
//!
//! One pass over the instructions (read as Skiff's [`isa::Instr`], each group
//! in its file of this folder). The translator keeps a virtual operand stack:
//! an entry is a value already in its slot, a local not yet copied, or a
//! constant not yet materialized. An instruction reads its operands from
//! wherever they are and writes its result to the slot of the stack position
//! it occupies, so `local.get` and constants cost nothing until they must
//! exist in their slot (at branches, calls and block boundaries, or when the
//! local is overwritten). A `local.set` right after the instruction that
//! produced its value retargets that instruction to write the local directly.
//! Unreachable code is not translated.

use crate::code::{CatchHandler, FuncCode, Instr, Op, Slot};
use crate::{charges, epochs, jumps, threaded};
use skiff_vm::isa::{self, Control, FrameKind as Kind};
use skiff_vm::module::Module;
use skiff_vm::runtime::Metering;
use skiff_vm::runtime::value::{slot_count, slots_of};
use skiff_vm::types::ValType;
use skiff_vm::validate::FuncInfo;
use skiff_vm::{Error, ErrorKind};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

mod control;
mod memory;
mod numeric;
mod parametric;
mod reference;
mod table;
mod variable;
mod vector;

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
    /// For `try_table` and legacy `try` (and its catch blocks): its
    /// handler, whose range ends where its body does.
    handler: Option<CatchHandler>,
    /// For a legacy `try` and its catch blocks: the slot that keeps the
    /// caught exception for `rethrow`.
    kept: Option<Slot>,
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

/// Of a binary instruction's operands `x` and `y`, the one that is not
/// `t` (the result of the instruction before, which a fused instruction
/// computes itself), when exactly one of them is `t`.
fn other_operand(t: Slot, x: Slot, y: Slot) -> Option<Slot> {
    match (x == t, y == t) {
        (true, false) => Some(y),
        (false, true) => Some(x),
        _ => None,
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
    /// The first of two adjacent constant slots, by the `v128` they hold.
    const_pairs: HashMap<u128, Slot>,
    /// Per local, whether it still holds the zero it starts with, as long as
    /// the translator's `straight` holds.
    zero_locals: Vec<bool>,
    /// Emptied patch lists, for the next blocks.
    patch_lists: Vec<Vec<Patch>>,
    /// The instructions of the function being translated.
    ops: Vec<Op>,
    /// A second buffer of instructions, for rewriting them.
    spare_ops: Vec<Op>,
    /// Each local's first slot, and whether it is a `v128`.
    locals: Vec<(Slot, bool)>,
}

/// Translates defined function `index` of `module`.
pub fn translate(module: &Module, info: &FuncInfo, index: u32) -> Result<FuncCode, Error> {
    translate_with(
        &mut Scratch::default(),
        module,
        info,
        index,
        Metering::default(),
    )
}

/// Translates defined function `index` of `module`, with buffers from
/// `scratch` (which a module's functions share), with the fuel and epoch
/// checks `metering` asks for.
pub fn translate_with(
    scratch: &mut Scratch,
    module: &Module,
    info: &FuncInfo,
    index: u32,
    metering: Metering,
) -> Result<FuncCode, Error> {
    let body = module.body(index).expect("a defined function");
    let ty = module.func_type(index);
    // Each local's first slot and whether it is a `v128` (two slots).
    scratch.locals.clear();
    let mut next: Slot = 0;
    let params_then_locals = ty.params().iter().copied().chain(
        module
            .body_locals(body)
            .iter()
            .flat_map(|&(n, t)| std::iter::repeat_n(t, n as usize)),
    );
    for t in params_then_locals {
        scratch.locals.push((next, t == ValType::V128));
        next += slots_of(t) as Slot;
    }
    let params = slot_count(ty.params()) as u32;
    let local_slots = next;
    // Validation counts operands; a `v128` operand takes two slots.
    // Below the operands, one slot per legacy `try` keeps the exception its
    // catch blocks caught.
    let kept = info.legacy_tries;
    let operand_slots = if info.uses_v128 {
        info.max_stack * 2
    } else {
        info.max_stack
    };
    let mut ops = std::mem::take(&mut scratch.ops);
    ops.clear();
    let mut t = Translator {
        module,
        ops,
        code: FuncCode {
            instrs: Vec::new(),
            branch_tables: Vec::new(),
            params,
            locals: local_slots,
            frame_size: local_slots + info.num_consts + kept + operand_slots,
            consts: Vec::new(),
            frame_init: Vec::new(),
            results: slot_count(ty.results()) as u32,
            offsets: Vec::with_capacity(body.operators.len() / 2),
            shuffles: Vec::new(),
            handlers: Vec::new(),
        },
        v128_operands: &info.v128_operands,
        s: scratch,
        base: local_slots + info.num_consts + kept,
        next_kept: local_slots + info.num_consts,
        unreachable: false,
        pos: 0,
        last_result: None,
        last_v128: None,
        straight: true,
        fuse_from: 0,
    };
    t.s.ctrls.clear();
    t.s.stack.clear();
    t.s.const_slots.clear();
    t.s.const_pairs.clear();
    t.s.zero_locals.clear();
    t.s.zero_locals
        .extend((0..local_slots).map(|l| l >= params));
    let base = t.base;
    let results = t.code.results;
    t.push_ctrl_frame(Kind::Func, base, 0, results, None);
    isa::translate_body(module, body, &mut t, metering)?;
    order_delegates(&mut t.code);
    let code = finish(t.code, &mut t.ops, &mut t.s.spare_ops);
    t.s.ops = t.ops;
    code
}

/// Turns the targets `delegate`s name by their first range entry into
/// indices in the function's handlers.
fn order_delegates(code: &mut FuncCode) {
    let ranges: Vec<u32> = code.handlers.iter().map(|h| h.range).collect();
    for h in &mut code.handlers {
        if let Some(crate::code::Delegate::To(target)) = &mut h.delegate {
            *target = ranges
                .iter()
                .position(|r| r == target)
                .expect("a delegate names an enclosing handler") as u32;
        }
    }
}

/// Checks what the execution loop relies on to read instructions without
/// bounds checks (every jump lands inside the code, which ends with `Return`),
/// then threads the code: each instruction gets its handler.
fn finish(mut code: FuncCode, ops: &mut Vec<Op>, spare: &mut Vec<Op>) -> Result<FuncCode, Error> {
    // Threading copies instructions to where a jump was, which may move
    // them into or out of a handler's range: not for code with handlers.
    if code.handlers.is_empty() {
        jumps::thread(ops, &mut code.offsets, &mut code.branch_tables, spare);
    }
    if ops.iter().any(|op| matches!(op, Op::Charge { .. })) {
        charges::fold(ops, &mut code.offsets, &mut code.branch_tables, spare);
    }
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
    if code.branch_tables.iter().any(|e| e.target >= len) {
        return bad("a branch leaves the code");
    }
    // Code that meters fuel gets the jumps and calls that run the `Fuel`
    // they land on.
    let metered = ops
        .iter()
        .any(|op| matches!(op, Op::Fuel { .. } | Op::Charge { .. }));
    // Code that checks epochs and meters no fuel gets jumps and calls that
    // check in place of the `CheckEpoch` they land on.
    let epochs = !metered && ops.iter().any(|op| matches!(op, Op::CheckEpoch));
    if epochs && !matches!(ops.first(), Some(Op::CheckEpoch)) {
        return bad("code that checks epochs does not start with a check");
    }
    let checks = if epochs {
        epochs::move_checks_into_jumps(ops, &mut code.offsets, &mut code.branch_tables, spare)
    } else {
        Vec::new()
    };
    let handler_of = if metered {
        threaded::metered_handler_of
    } else {
        threaded::handler_of
    };
    code.instrs = ops
        .iter()
        .enumerate()
        .map(|(i, &op)| Instr {
            handler: if checks.get(i) == Some(&true) {
                threaded::epoch_handler_of(&op)
            } else {
                handler_of(&op)
            },
            op,
        })
        .collect();
    let zeros = (code.locals - code.params) as usize;
    code.frame_init.reserve_exact(zeros + code.consts.len());
    code.frame_init.resize(zeros, 0);
    code.frame_init.extend_from_slice(&code.consts);
    Ok(code)
}

struct Translator<'m, 's> {
    module: &'m Module,
    /// The byte offsets of the `drop`s and untyped `select`s of vectors.
    v128_operands: &'m [u32],
    /// The instructions emitted so far.
    ops: Vec<Op>,
    code: FuncCode,
    /// The control stack, the virtual operand stack (entry `i` belongs to
    /// slot `base + i`) and the other per-function state.
    s: &'s mut Scratch,
    base: Slot,
    unreachable: bool,
    pos: u32,
    /// The last instruction, when it wrote the slot of the top operand and
    /// nothing else: a following `local.set` may retarget it.
    last_result: Option<usize>,
    /// The same for a `v128` in the two slots at the top.
    last_v128: Option<usize>,
    /// No join point (loop header, `else`, block end) passed yet: the code so
    /// far runs once, in order, from the function's entry.
    straight: bool,
    /// The number of instructions before the last join point: only those
    /// after it may be fused with the next.
    fuse_from: usize,
    /// The slot the next legacy `try` keeps its exception in.
    next_kept: Slot,
}

impl isa::Translate for Translator<'_, '_> {
    fn at(&mut self, offset: usize) -> bool {
        self.pos = offset as u32;
        !self.unreachable
    }

    fn after_unreachable(&mut self, c: Control) -> Result<(), Error> {
        match c {
            Control::Else => self.else_(),
            Control::Catch(tag) => self.legacy_catch(Some(tag)),
            Control::CatchAll => self.legacy_catch(None),
            Control::Delegate(depth) => self.delegate(depth),
            _ => self.end_block(),
        }
        Ok(())
    }

    fn consume_fuel(&mut self, amount: u32, check: bool) {
        self.emit(if check {
            Op::Fuel { amount }
        } else {
            Op::Charge { amount }
        });
    }

    fn check_epoch(&mut self, _loop_header: bool) {
        self.emit(Op::CheckEpoch);
    }
}

impl Translator<'_, '_> {
    /// The last instruction emitted and the top operand's slot, when that
    /// instruction's result is the top operand: an instruction a consumer
    /// of the top operand may fuse with.
    fn last_result_on_top(&self) -> Option<(Op, Slot)> {
        let i = self.last_result?;
        if i + 1 != self.ops.len() || self.s.stack.last() != Some(&Operand::InSlot) {
            return None;
        }
        Some((self.ops[i], self.top_slot() - 1))
    }

    /// When the top operand is the result of the last instruction emitted, a
    /// comparison or `i32.eqz`, a jump can test its operands instead.
    fn fusable_condition(&self) -> Option<Condition> {
        let (op, top) = self.last_result_on_top()?;
        match op {
            Op::I32Eqz { dst, src } if dst == top => Some(Condition::Zero(src)),
            op => op
                .fused_branch()
                .filter(|(dst, ..)| *dst == top)
                .map(|(_, unless, when)| Condition::Compare { unless, when }),
        }
    }

    /// The operand slot of `c` when the value on top of the stack is the
    /// result of an `i64.eqz c` just emitted, which a `select` can test
    /// instead.
    fn fusable_eqz64(&self) -> Option<Slot> {
        match self.last_result_on_top()? {
            (Op::I64Eqz { dst, src }, top) if dst == top => Some(src),
            _ => None,
        }
    }

    /// Pops a `v128` (two entries of the virtual stack) and returns the first
    /// of the two consecutive slots it is in: a local's own, a constant's, or
    /// its stack position's (written there first when it is not yet).
    fn pop_v128(&mut self) -> Slot {
        let n = self.s.stack.len();
        match (self.s.stack[n - 2], self.s.stack[n - 1]) {
            (Operand::Local(lo), Operand::Local(hi)) if hi == lo + 1 => {
                self.s.stack.truncate(n - 2);
                return lo;
            }
            (Operand::Const(lo), Operand::Const(hi)) => {
                self.s.stack.truncate(n - 2);
                return self.const_pair_slot(u128::from(lo) | (u128::from(hi) << 64));
            }
            _ => {}
        }
        self.materialize(n - 2);
        self.materialize(n - 1);
        self.s.stack.truncate(n - 2);
        self.top_slot()
    }

    /// Whether the `drop` or untyped `select` being translated takes vectors.
    fn operand_is_v128(&self) -> bool {
        self.v128_operands.binary_search(&self.pos).is_ok()
    }

    /// Pops `n` operands that an instruction reads as a run of slots; returns the first slot.
    fn run_of(&mut self, n: usize) -> Slot {
        self.materialize_top(n);
        self.s.stack.truncate(self.s.stack.len() - n);
        self.top_slot()
    }

    fn emit(&mut self, op: Op) {
        self.last_result = None;
        self.last_v128 = None;
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
            // The two halves of a `v128` copied one after the other, in either
            // order, when the first copy does not write what the second reads.
            (Op::Copy { dst: d, src: s }, Op::Copy { dst: d2, src: s2 })
                if d2 == d + 1 && s2 == s + 1 && d != s + 1 =>
            {
                Some(Op::Copy2 { dst: d, src: s })
            }
            (Op::Copy { dst: d2, src: s2 }, Op::Copy { dst: d, src: s })
                if d2 == d + 1 && s2 == s + 1 && s != d + 1 =>
            {
                Some(Op::Copy2 { dst: d, src: s })
            }
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
                let c = other_operand(t, x, y)?;
                // product + c, product - c, or c - product.
                let mode = match next {
                    Op::F64Add { .. } => 0,
                    _ if c == y => 1,
                    _ => 2,
                };
                Some(Op::F64MulAdd {
                    dst,
                    a: small(a)?,
                    b: small(b)?,
                    c: small(c)?,
                    mode,
                })
            }
            // An integer product that an addition uses right away.
            (Op::I64Mul { dst: t, a, b }, Op::I64Add { dst, a: x, b: y }) if t >= self.base => {
                Some(Op::I64MulAdd {
                    dst,
                    a: small(a)?,
                    b: small(b)?,
                    c: small(other_operand(t, x, y)?)?,
                })
            }
            // A 32-bit value widened and added right away (`u64 += u32`).
            (Op::I64ExtendI32U { dst: t, src }, Op::I64Add { dst, a: x, b: y })
                if t >= self.base =>
            {
                Some(Op::I64AddExtendU {
                    dst,
                    a: other_operand(t, x, y)?,
                    b: src,
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
            // A vector loaded and used at once by a binary operator.
            (
                Op::VLoad {
                    dst: t,
                    addr,
                    offset,
                    op: isa::VecLoad::V128Load,
                },
                Op::VOp { dst, a, b, op },
            ) if t >= self.base && threaded::fusible(op) && (a == t) != (b == t) => {
                let x = if a == t { b } else { a };
                // The load wrote both of its slots before the operator read
                // the other operand: that one must not overlap them.
                if x <= t + 1 && x + 1 >= t {
                    return None;
                }
                Some(Op::VOpLoad {
                    dst,
                    x: small(x)?,
                    addr: small(addr)?,
                    offset,
                    op,
                    loaded_first: a == t,
                })
            }
            // A vector operator's result stored at once; the store must not
            // read its address from the slots the operator wrote.
            (
                Op::VOp { dst: t, a, b, op },
                Op::VStore {
                    addr,
                    value,
                    offset,
                },
            ) if value == t
                && t >= self.base
                && threaded::fusible(op)
                && addr != t
                && addr != t + 1 =>
            {
                Some(Op::VOpStore {
                    a: small(a)?,
                    b: small(b)?,
                    addr: small(addr)?,
                    offset,
                    op,
                })
            }
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

    /// Before an access to memory `memory`: for a memory other than 0, the
    /// instructions from here to [`Self::close_memory`] run on it in memory
    /// 0's place. Nothing is fused across either end, so no access of one
    /// memory merges with an access of another.
    fn open_memory(&mut self, memory: u32) {
        if memory != 0 {
            self.emit(Op::UseMemory { memory });
            self.fuse_from = self.ops.len();
        }
    }

    /// After an access to memory `memory`: back to memory 0.
    fn close_memory(&mut self, memory: u32) {
        if memory != 0 {
            self.emit(Op::UseMemory { memory: 0 });
            self.fuse_from = self.ops.len();
        }
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

    /// The first of the two (provisional) slots holding `v128` constant `bits`.
    fn const_pair_slot(&mut self, bits: u128) -> Slot {
        if let Some(&s) = self.s.const_pairs.get(&bits) {
            return s;
        }
        let s = self.code.locals + self.code.consts.len() as Slot;
        self.code.consts.extend([bits as u64, (bits >> 64) as u64]);
        self.s.const_pairs.insert(bits, s);
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
}
