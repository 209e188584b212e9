//! Lowering exception handling: `try_table`, `throw` and `throw_ref`.
//!
//! Each `try_table` gets a dispatch block that takes the exception (its
//! raw `exnref`) and tries the clauses in order, each through the `Catch`
//! builtin, which says whether the clause catches it and writes the
//! payload out; a match branches to the clause's label, and no match goes
//! on to the dispatch of the enclosing `try_table` of the function, or
//! leaves the function by raising the exception again.
//!
//! An exception reaches a dispatch block three ways. A `throw` or
//! `throw_ref` inside the body jumps there. A call inside the body is made
//! through a builtin that catches what the callee throws: it returns
//! status 2 with the exception in the call's buffer. Everywhere else
//! (outside any `try_table`) an exception is raised as a pending trap,
//! which unwinds generated code to the innermost entry from the runtime,
//! the catching call of a caller's handler among them.

use super::{Frame, Kind, Translator, cl_type};
use crate::builtins::Builtin;
use crate::traps::TRAP_PENDING;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{Block, InstBuilder, Type, Value, types};
use skiff_vm::Error;
use skiff_vm::isa::TryTable;
use skiff_vm::runtime::value::slot_count;
use skiff_vm::types::FuncType;

impl Translator<'_, '_, '_> {
    /// Opens a `try_table`: its frame, and its dispatch block, filled here
    /// while the clauses' labels are the frames outside it.
    pub(super) fn try_table(&mut self, t: &TryTable) -> Result<(), Error> {
        let (params, results) = self.block_types(t.ty)?;
        let dispatch = self.b.create_block();
        self.b.set_cold_block(dispatch);
        let exn = self.b.append_block_param(dispatch, types::I64);
        let here = self.b.current_block().expect("inside a block");
        let (stack, unsaved) = (std::mem::take(&mut self.stack), self.fuel_unsaved);
        // Whatever jumps to the dispatch block comes from a builtin, which
        // left the store's fuel and the register alike.
        self.fuel_unsaved = false;
        self.b.switch_to_block(dispatch);
        for catch in &t.catches {
            let tys = match catch.tag {
                Some(tag) => payload_types(self.env.module.tag_type(tag))?,
                None => Vec::new(),
            };
            let n = catch
                .tag
                .map_or(0, |tag| slot_count(self.env.module.tag_type(tag).params()));
            let (slot, addr) = self.spill(&[], n);
            let tag = self.u32_const(catch.tag.unwrap_or(u32::MAX));
            let with_ref = self.u32_const(u32::from(catch.with_ref));
            let caught = self.builtin(Builtin::Catch, &[exn, tag, with_ref, addr])[0];
            let (hit, miss) = (self.b.create_block(), self.b.create_block());
            self.b.ins().brif(caught, hit, &[], miss, &[]);
            self.b.seal_block(hit);
            self.b.seal_block(miss);
            self.b.switch_to_block(hit);
            self.reload(slot, &tys);
            if catch.with_ref {
                self.stack.push(exn);
            }
            self.jump_to_label(catch.label);
            self.stack.clear();
            self.b.switch_to_block(miss);
        }
        self.rethrow(exn);
        self.stack = stack;
        self.fuel_unsaved = unsaved;
        self.b.switch_to_block(here);

        let dest = self.new_block_with(&results);
        let height = self.stack.len() - params.len();
        self.frames.push(Frame {
            handler: Some(dispatch),
            ..Frame::new(Kind::TryTable, dest, params, results, height)
        });
        Ok(())
    }

    /// Opens a legacy `try`: its frame and its dispatch block, filled as its
    /// catch blocks come.
    pub(super) fn legacy_try(&mut self, bt: skiff_vm::isa::BlockType) -> Result<(), Error> {
        let (params, results) = self.block_types(bt)?;
        let dispatch = self.b.create_block();
        self.b.set_cold_block(dispatch);
        self.b.append_block_param(dispatch, types::I64);
        let exn = self.b.declare_var(types::I64);
        let dest = self.new_block_with(&results);
        let height = self.stack.len() - params.len();
        self.frames.push(Frame {
            handler: Some(dispatch),
            legacy: Some((exn, None)),
            ..Frame::new(Kind::Try, dest, params, results, height)
        });
        Ok(())
    }

    /// Ends a legacy `try`'s body: its exceptions now come to its dispatch
    /// block, which keeps the exception and is where the first clause's
    /// check goes.
    fn end_legacy_body(&mut self) {
        let i = self.frames.len() - 1;
        let dispatch = self.frames[i].handler.take().expect("an open try");
        self.b.seal_block(dispatch);
        self.b.switch_to_block(dispatch);
        let exn = self.b.block_params(dispatch)[0];
        let (var, next) = self.frames[i].legacy.as_mut().expect("a legacy try");
        self.b.def_var(*var, exn);
        *next = Some(dispatch);
    }

    /// A legacy `catch` (of `tag`) or `catch_all`: ends the `try`'s body or
    /// the catch block before, and starts this one, entered from the
    /// dispatch when its clause matches, with the payload on the stack.
    pub(super) fn legacy_catch(&mut self, tag: Option<u32>) {
        let i = self.frames.len() - 1;
        if !self.unreachable {
            let vals = self.top_n(self.frames[i].results.len());
            self.b.ins().jump(self.frames[i].dest, &super::args(&vals));
            self.frames[i].dest_reached = true;
        }
        self.stack.truncate(self.frames[i].height);
        if self.frames[i].kind == Kind::Try {
            self.end_legacy_body();
        }
        let (var, next) = self.frames[i].legacy.as_mut().expect("a legacy try");
        let (var, check) = (*var, next.take().expect("a check point"));
        self.b.switch_to_block(check);
        // Whatever reaches the checks comes from a builtin, which left the
        // store's fuel and the register alike.
        self.fuel_unsaved = false;
        let exn = self.b.use_var(var);
        let (tys, n) = match tag {
            Some(tag) => {
                let ty = self.env.module.tag_type(tag);
                (
                    payload_types(ty).expect("validated types"),
                    slot_count(ty.params()),
                )
            }
            None => (Vec::new(), 0),
        };
        let (slot, addr) = self.spill(&[], n);
        let tag_v = self.u32_const(tag.unwrap_or(u32::MAX));
        // The block keeps the exception for `rethrow`.
        let keep = self.u32_const(1);
        let caught = self.builtin(Builtin::Catch, &[exn, tag_v, keep, addr])[0];
        let hit = self.b.create_block();
        if tag.is_some() {
            let miss = self.b.create_block();
            self.b.ins().brif(caught, hit, &[], miss, &[]);
            self.b.seal_block(miss);
            self.frames[i].legacy.as_mut().expect("a legacy try").1 = Some(miss);
        } else {
            self.b.ins().jump(hit, &[]);
        }
        self.b.seal_block(hit);
        self.b.switch_to_block(hit);
        self.reload(slot, &tys);
        self.frames[i].kind = if tag.is_some() {
            Kind::Catch
        } else {
            Kind::CatchAll
        };
        self.unreachable = false;
    }

    /// At the end of a `try_table` or legacy `try` (its frame just taken
    /// off): its dispatch block has every predecessor it will get, and an
    /// exception no catch block of a `try` took goes on from here.
    pub(super) fn close_try(&mut self, frame: &Frame) {
        if frame.kind == Kind::TryTable {
            self.b
                .seal_block(frame.handler.expect("a try_table's dispatch"));
            return;
        }
        let Some((var, next)) = frame.legacy else {
            return;
        };
        let here = self.b.current_block();
        if frame.kind == Kind::Try {
            // No catch blocks: every exception goes on.
            let dispatch = frame.handler.expect("an open try");
            self.b.seal_block(dispatch);
            self.b.switch_to_block(dispatch);
            let exn = self.b.block_params(dispatch)[0];
            self.rethrow(exn);
        } else if let Some(miss) = next {
            self.b.switch_to_block(miss);
            let exn = self.b.use_var(var);
            self.rethrow(exn);
        }
        if let Some(here) = here {
            self.b.switch_to_block(here);
        }
    }

    /// A legacy `delegate` to the label `depth` levels out: ends the `try`,
    /// whose exceptions go to the dispatch of the `try_table` or `try`
    /// enclosing that label, or out of the function.
    pub(super) fn delegate(&mut self, depth: u32) -> Result<(), Error> {
        let i = self.frames.len() - 1;
        let dispatch = self.frames[i].handler.take().expect("an open try");
        let here = self.b.current_block();
        self.b.seal_block(dispatch);
        self.b.switch_to_block(dispatch);
        let exn = self.b.block_params(dispatch)[0];
        let label = i - 1 - depth as usize;
        match self.frames[..=label].iter().rev().find_map(|f| f.handler) {
            Some(target) => {
                self.b.ins().jump(target, &[exn.into()]);
            }
            None => self.raise(exn),
        }
        if let Some(here) = here {
            self.b.switch_to_block(here);
        }
        let frame = &mut self.frames[i];
        frame.kind = Kind::Block;
        frame.legacy = None;
        self.end()
    }

    /// `rethrow` of the exception the catch block `depth` levels out caught.
    pub(super) fn rethrow_caught(&mut self, depth: u32) {
        let i = self.frames.len() - 1 - depth as usize;
        let (var, _) = self.frames[i].legacy.expect("validated: a catch block");
        let exn = self.b.use_var(var);
        self.rethrow(exn);
        self.end_unreachable_tail();
    }

    /// The dispatch block of the innermost open body of a `try_table` or
    /// `try` of this function.
    fn innermost_dispatch(&self) -> Option<Block> {
        self.frames.iter().rev().find_map(|f| f.handler)
    }

    /// Passes exception `exn` on from here: to the dispatch of the innermost
    /// open `try_table` or `try`, or out of the function.
    fn rethrow(&mut self, exn: Value) {
        match self.innermost_dispatch() {
            Some(outer) => {
                self.b.ins().jump(outer, &[exn.into()]);
            }
            None => self.raise(exn),
        }
    }

    /// Raises `exn` out of generated code (a null reference traps).
    fn raise(&mut self, exn: Value) {
        self.builtin(Builtin::Raise, &[exn]);
        // Never reached: the builtin does not return.
        self.b.ins().trap(TRAP_PENDING);
    }

    /// `throw` of tag `tag` with the payload on the stack.
    pub(super) fn throw(&mut self, tag: u32) -> Result<(), Error> {
        let ty = self.env.module.tag_type(tag).clone();
        let n = ty.params().len();
        let payload = self.top_n(n);
        self.stack.truncate(self.stack.len() - n);
        let (_, addr) = self.spill(&payload, slot_count(ty.params()));
        let tag = self.u32_const(tag);
        let exn = self.builtin(Builtin::Throw, &[tag, addr])[0];
        self.rethrow(exn);
        self.end_unreachable_tail();
        Ok(())
    }

    /// `throw_ref`: a null reference traps.
    pub(super) fn throw_ref(&mut self) {
        let exn = self.pop();
        let (null, thrown) = (self.b.create_block(), self.b.create_block());
        self.b.set_cold_block(null);
        let is_null = self.b.ins().icmp_imm_u(IntCC::Equal, exn, 0);
        self.b.ins().brif(is_null, null, &[], thrown, &[]);
        self.b.seal_block(null);
        self.b.seal_block(thrown);
        self.b.switch_to_block(null);
        // Raising a null reference traps as the instruction does.
        self.raise(exn);
        self.b.switch_to_block(thrown);
        self.rethrow(exn);
        self.end_unreachable_tail();
    }

    /// Whether a call made here must catch what its callee throws: inside
    /// the body of a `try_table` or `try` of this function.
    pub(super) fn in_try(&self) -> bool {
        self.innermost_dispatch().is_some()
    }

    /// A call of type `ty` with `params`, made by builtin `f` (which takes
    /// `leading`, then the call's buffer) so that an exception the callee
    /// throws comes back to the innermost dispatch block; pushes the results.
    pub(super) fn catching_call(
        &mut self,
        ty: &FuncType,
        params: &[Value],
        f: Builtin,
        leading: &[Value],
    ) -> Result<(), Error> {
        let rtys = payload_types_of(ty.results())?;
        let (slot, addr) = self.spill(
            params,
            slot_count(ty.params()).max(slot_count(ty.results())),
        );
        let mut all = leading.to_vec();
        all.push(addr);
        let status = self.builtin(f, &all)[0];
        let trapped = self.b.ins().icmp_imm_u(IntCC::Equal, status, 1);
        self.b.ins().trapnz(trapped, TRAP_PENDING);
        let (caught, next) = (self.b.create_block(), self.b.create_block());
        self.b.set_cold_block(caught);
        self.b.ins().brif(status, caught, &[], next, &[]);
        self.b.seal_block(caught);
        self.b.seal_block(next);
        self.b.switch_to_block(caught);
        let exn = self.b.ins().stack_load(types::I64, types::I64, slot, 0);
        let dispatch = self.innermost_dispatch().expect("inside a try body");
        self.b.ins().jump(dispatch, &[exn.into()]);
        self.b.switch_to_block(next);
        self.reload(slot, &rtys);
        Ok(())
    }
}

/// The Cranelift types of a tag's payload.
fn payload_types(ty: &FuncType) -> Result<Vec<Type>, Error> {
    payload_types_of(ty.params())
}

fn payload_types_of(tys: &[skiff_vm::types::ValType]) -> Result<Vec<Type>, Error> {
    tys.iter().map(|t| cl_type(*t)).collect()
}
