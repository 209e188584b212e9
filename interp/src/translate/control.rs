//! Translating control instructions: blocks, branches, calls.

#![deny(
    clippy::wildcard_enum_match_arm,
    reason = "every instruction of the group is handled by name, so one added to the instruction set fails to build until it is handled here"
)]

use super::{Condition, Ctrl, Kind, Operand, Patch, Translator};
use crate::code::{BranchTarget, CatchHandler, Clause, Delegate, Op, Slot};
use skiff_vm::Error;
use skiff_vm::isa::{self, BlockType, Control, TryTable};
use skiff_vm::runtime::value::{slot_count, slots_of};

impl isa::TranslateControl for Translator<'_, '_> {
    fn control(&mut self, c: Control) -> Result<(), Error> {
        match c {
            Control::Unreachable => {
                self.emit(Op::Unreachable);
                self.unreachable = true;
            }
            Control::Nop => {}
            Control::Block(blockty) => {
                self.materialize_all();
                self.push_ctrl(Kind::Block, blockty, None);
            }
            Control::Loop(blockty) => {
                // The values on the stack go to their slots first; the loop's
                // header is the join point after them, so that no instruction
                // of the body is fused with one of those copies (its back
                // edge would skip it).
                self.materialize_all();
                self.join();
                self.push_ctrl(Kind::Loop, blockty, None);
            }
            Control::If(blockty) => {
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
            Control::Else => {
                self.materialize_all();
                self.else_();
            }
            Control::End => {
                self.materialize_all();
                self.end_block();
            }
            Control::Br(relative_depth) => {
                self.materialize_all();
                self.br(relative_depth);
                self.unreachable = true;
            }
            Control::BrIf(relative_depth) => self.br_if(relative_depth),
            Control::BrTable(targets) => {
                let index = self.pop_slot();
                self.materialize_all();
                let start = self.code.branch_tables.len() as u32;
                let mut depths: Vec<u32> = targets.targets.to_vec();
                depths.push(targets.default);
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
            Control::Return => {
                self.materialize_all();
                let n = self.code.results;
                self.emit(Op::Return {
                    src: self.top_slot() - n,
                });
                self.unreachable = true;
            }
            Control::Call(function_index) => {
                let ty = self.module.func_type(function_index);
                let (params, results) = (slot_count(ty.params()), slot_count(ty.results()));
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
            Control::ReturnCall(function_index) => {
                let ty = self.module.func_type(function_index);
                let params = slot_count(ty.params());
                self.materialize_all();
                let base = self.top_slot() - params as Slot;
                self.emit(Op::ReturnCall {
                    func: function_index,
                    base,
                });
                self.unreachable = true;
            }
            Control::ReturnCallIndirect { ty, table } => {
                self.tail_call_through(ty, |base| Op::ReturnCallIndirect { base, ty, table })
            }
            Control::CallIndirect { ty, table } => {
                self.call_through(ty, |base| Op::CallIndirect { base, ty, table })
            }
            Control::BrOnNull(depth) => self.br_on_null(depth),
            Control::BrOnNonNull(depth) => self.br_on_non_null(depth),
            Control::CallRef(ty) => self.call_through(ty, |base| Op::CallRef { base, ty }),
            Control::ReturnCallRef(ty) => {
                self.tail_call_through(ty, |base| Op::ReturnCallRef { base, ty })
            }
            Control::TryTable(t) => self.try_table(&t),
            Control::Throw(tag) => {
                let ty = self.module.tag_type(tag);
                let base = self.run_of(slot_count(ty.params()));
                self.emit(Op::Throw { base, tag });
                self.unreachable = true;
            }
            Control::ThrowRef => {
                let src = self.pop_slot();
                self.emit(Op::ThrowRef { src });
                self.unreachable = true;
            }
            Control::Try(bt) => {
                self.materialize_all();
                let range = self.entry_here();
                // The end of the range, set when the first catch block starts.
                self.entry_here();
                let kept = self.next_kept;
                self.next_kept += 1;
                self.push_ctrl(Kind::Try, bt, None);
                let ctrl = self.s.ctrls.last_mut().expect("just pushed");
                ctrl.handler = Some(CatchHandler {
                    range,
                    clauses: Box::new([]),
                    delegate: None,
                });
                ctrl.kept = Some(kept);
            }
            Control::Catch(tag) => {
                self.materialize_all();
                self.legacy_catch(Some(tag));
            }
            Control::CatchAll => {
                self.materialize_all();
                self.legacy_catch(None);
            }
            Control::Delegate(depth) => {
                self.materialize_all();
                self.delegate(depth);
            }
            Control::Rethrow(depth) => {
                let c = self.s.ctrls.len() - 1 - depth as usize;
                let src = self.s.ctrls[c].kept.expect("validated: a catch block");
                self.emit(Op::ThrowRef { src });
                self.unreachable = true;
            }
        }
        Ok(())
    }
}

impl Translator<'_, '_> {
    fn arity(&self, bt: BlockType) -> (u32, u32) {
        match bt {
            BlockType::Empty => (0, 0),
            BlockType::Value(t) => (0, slots_of(t) as u32),
            BlockType::Func(i) => {
                let ty = &self.module.types[i as usize];
                (
                    slot_count(ty.params()) as u32,
                    slot_count(ty.results()) as u32,
                )
            }
        }
    }

    fn push_ctrl(&mut self, kind: Kind, bt: BlockType, else_jump: Option<usize>) {
        let (params, results) = self.arity(bt);
        let height = self.top_slot() - params;
        self.push_ctrl_frame(kind, height, params, results, else_jump);
    }

    /// A `try_table`: ahead of its body, jumped over, one landing pad per
    /// clause, which branches to the clause's label with the payload (and
    /// the `exnref`) that the executor writes where the block starts; the
    /// handler's range is the body, closed at its end.
    fn try_table(&mut self, t: &TryTable) {
        self.materialize_all();
        let (params, _) = self.arity(t.ty);
        let at = self.top_slot() - params;
        let depth = self.s.stack.len();
        let skip = self.ops.len();
        self.emit(Op::Jump { target: u32::MAX });
        let mut clauses = Vec::with_capacity(t.catches.len());
        for catch in &t.catches {
            self.join();
            let mut n = catch
                .tag
                .map_or(0, |tag| slot_count(self.module.tag_type(tag).params()));
            n += usize::from(catch.with_ref);
            self.s.stack.truncate((at - self.base) as usize);
            self.s.stack.extend(std::iter::repeat_n(Operand::InSlot, n));
            let pad = self.entry_here();
            self.br(catch.label);
            clauses.push(Clause {
                tag: catch.tag,
                with_ref: catch.with_ref,
                at,
                pad,
            });
        }
        self.s.stack.truncate((at - self.base) as usize);
        self.s.stack.extend(std::iter::repeat_n(
            Operand::InSlot,
            depth - self.s.stack.len(),
        ));
        self.join();
        let body = self.pc();
        self.patch(Patch::Op(skip), body);
        let range = self.entry_here();
        // The end of the range, set when the block ends.
        self.entry_here();
        self.push_ctrl(Kind::TryTable, t.ty, None);
        self.s.ctrls.last_mut().expect("just pushed").handler = Some(CatchHandler {
            range,
            clauses: clauses.into(),
            delegate: None,
        });
    }

    /// A legacy `catch` (of `tag`) or `catch_all`, the stack materialized:
    /// ends the `try`'s body (closing its range) or the catch block before,
    /// and starts the catch block, where the executor lands with the
    /// payload and the exception, which the block keeps in its slot.
    pub(super) fn legacy_catch(&mut self, tag: Option<u32>) {
        self.join();
        let c = self.s.ctrls.len() - 1;
        if !self.unreachable {
            let j = self.ops.len();
            self.emit(Op::Jump { target: u32::MAX });
            self.s.ctrls[c].patches.push(Patch::Op(j));
        }
        let ctrl = &self.s.ctrls[c];
        let (at, kept, first) = (ctrl.height, ctrl.kept, ctrl.kind == Kind::Try);
        let range = ctrl.handler.as_ref().expect("a legacy try").range;
        if first {
            let here = self.pc();
            self.code.branch_tables[range as usize + 1].target = here;
        }
        let pad = self.entry_here();
        let n = tag.map_or(0, |tag| slot_count(self.module.tag_type(tag).params()));
        let ctrl = &mut self.s.ctrls[c];
        let handler = ctrl.handler.as_mut().expect("a legacy try");
        let mut clauses = std::mem::take(&mut handler.clauses).into_vec();
        clauses.push(Clause {
            tag,
            with_ref: true,
            at,
            pad,
        });
        handler.clauses = clauses.into();
        ctrl.kind = if tag.is_some() {
            Kind::Catch
        } else {
            Kind::CatchAll
        };
        self.emit(Op::Copy {
            dst: kept.expect("a legacy try"),
            src: at + n as Slot,
        });
        self.s.stack.truncate((at - self.base) as usize);
        self.s.stack.extend(std::iter::repeat_n(Operand::InSlot, n));
        self.unreachable = false;
    }

    /// A legacy `delegate` to the label `depth` levels out, the stack
    /// materialized: ends the `try`, whose range sends every exception to
    /// the handler enclosing that label, or out of the function.
    pub(super) fn delegate(&mut self, depth: u32) {
        let c = self.s.ctrls.len() - 1;
        let label = c - 1 - depth as usize;
        // The handlers of open bodies: a `try_table`'s, or a `try`'s before
        // its first catch block.
        let target = self.s.ctrls[..=label]
            .iter()
            .rev()
            .filter(|ctrl| matches!(ctrl.kind, Kind::TryTable | Kind::Try))
            .find_map(|ctrl| ctrl.handler.as_ref())
            .map_or(Delegate::Caller, |h| Delegate::To(h.range));
        self.s.ctrls[c]
            .handler
            .as_mut()
            .expect("a legacy try")
            .delegate = Some(target);
        self.end_block();
    }

    /// A new branch table entry whose target is the next instruction, for
    /// a handler to name a place in the code by.
    fn entry_here(&mut self) -> u32 {
        let target = self.pc();
        self.code.branch_tables.push(BranchTarget {
            target,
            src: 0,
            dst: 0,
            keep: 0,
        });
        self.code.branch_tables.len() as u32 - 1
    }

    pub(super) fn push_ctrl_frame(
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
            handler: None,
            kept: None,
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
        self.last_v128 = None;
        self.fuse_from = self.ops.len();
    }

    pub(super) fn end_block(&mut self) {
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
        if let Some(handler) = ctrl.handler {
            // The body ends here, unless a catch block ended it before (a
            // `try` that has one is a `Catch` or `CatchAll` frame now).
            if matches!(ctrl.kind, Kind::TryTable | Kind::Try) {
                self.code.branch_tables[handler.range as usize + 1].target = end;
            }
            self.code.handlers.push(handler);
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

    pub(super) fn else_(&mut self) {
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
        self.branch_if(depth, cond, fusable);
    }

    /// A call of type `ty` whose callee the operand above its arguments
    /// names (a table index or a function reference): `make` gives the
    /// instruction for where the arguments start.
    fn call_through(&mut self, ty: u32, make: impl FnOnce(Slot) -> Op) {
        let ty = &self.module.types[ty as usize];
        let (params, results) = (slot_count(ty.params()), slot_count(ty.results()));
        self.materialize_all();
        let base = self.top_slot() - params as Slot - 1;
        self.s.stack.truncate(self.s.stack.len() - params - 1);
        self.emit(make(base));
        self.s
            .stack
            .extend(std::iter::repeat_n(Operand::InSlot, results));
    }

    /// [`Translator::call_through`] as a tail call.
    fn tail_call_through(&mut self, ty: u32, make: impl FnOnce(Slot) -> Op) {
        let params = slot_count(self.module.types[ty as usize].params());
        self.materialize_all();
        let base = self.top_slot() - params as Slot - 1;
        self.emit(make(base));
        self.unreachable = true;
    }

    /// `br_on_null`: the null test goes to the slot above the reference
    /// (the validator reserves it), then the branch takes the values below
    /// the reference, which stays for the code after it.
    fn br_on_null(&mut self, depth: u32) {
        self.materialize_all();
        let (r, cond) = (self.top_slot() - 1, self.top_slot());
        self.emit(Op::RefIsNull { dst: cond, src: r });
        self.s.stack.pop();
        self.branch_if(depth, cond, None);
        self.s.stack.push(Operand::InSlot);
    }

    /// `br_on_non_null`: branches with the reference on top when it is not
    /// null (tested in the slot above it), else drops it.
    fn br_on_non_null(&mut self, depth: u32) {
        self.materialize_all();
        let (r, cond) = (self.top_slot() - 1, self.top_slot());
        self.emit(Op::RefIsNull { dst: cond, src: r });
        self.emit(Op::I32Eqz {
            dst: cond,
            src: cond,
        });
        self.branch_if(depth, cond, None);
        self.s.stack.pop();
    }

    /// A branch to label `depth` when slot `cond` is not zero, or when
    /// `fusable` holds (its comparison is the last instruction emitted).
    fn branch_if(&mut self, depth: u32, cond: Slot, fusable: Option<Condition>) {
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
}
