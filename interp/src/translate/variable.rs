//! Translating locals and globals.

#![deny(
    clippy::wildcard_enum_match_arm,
    reason = "every instruction of the group is handled by name, so one added to the instruction set fails to build until it is handled here"
)]

use super::{Operand, Translator};
use crate::code::{Op, Slot};
use skiff_vm::Error;
use skiff_vm::isa::{self, Variable};
use skiff_vm::types::ValType;

impl isa::TranslateVariable for Translator<'_, '_> {
    fn variable(&mut self, v: Variable) -> Result<(), Error> {
        match v {
            Variable::LocalGet(local_index) => self.local_get(local_index),
            Variable::LocalSet(local_index) => self.local_set_any(local_index),
            Variable::LocalTee(local_index) => {
                self.local_set_any(local_index);
                self.local_get(local_index);
            }
            Variable::GlobalGet(index) if self.global_is_v128(index) => {
                let dst = self.top_slot();
                self.push_v128_result(Op::GlobalGet128 { dst, index });
            }
            Variable::GlobalSet(index) if self.global_is_v128(index) => {
                let src = self.pop_v128();
                self.emit(Op::GlobalSet128 { src, index });
            }
            Variable::GlobalGet(global_index) => {
                let dst = self.top_slot();
                self.push_result(Op::GlobalGet {
                    dst,
                    index: global_index,
                });
            }
            Variable::GlobalSet(global_index) => {
                let src = self.pop_slot();
                self.emit(Op::GlobalSet {
                    src,
                    index: global_index,
                });
            }
        }
        Ok(())
    }
}

impl Translator<'_, '_> {
    /// Whether global `index` (of the module's index space) is a `v128`.
    fn global_is_v128(&self, index: u32) -> bool {
        self.module.globals[index as usize].content == ValType::V128
    }

    /// `local.get`: the local's slot (both, for a `v128`) on the virtual stack.
    fn local_get(&mut self, index: u32) {
        let (slot, wide) = self.s.locals[index as usize];
        self.s.stack.push(Operand::Local(slot));
        if wide {
            self.s.stack.push(Operand::Local(slot + 1));
        }
    }

    /// `local.set`: a `v128`'s halves one slot at a time, high half first
    /// (it is on top).
    fn local_set_any(&mut self, index: u32) {
        let (slot, wide) = self.s.locals[index as usize];
        if wide {
            if self.retarget_v128(slot) {
                return;
            }
            self.local_set(slot + 1);
        }
        self.local_set(slot);
    }

    /// `local.set` of a `v128` that the last instruction just computed into
    /// the top two slots: that instruction writes local slots `l`, `l + 1`
    /// instead, when nothing else on the stack still reads the local.
    fn retarget_v128(&mut self, l: Slot) -> bool {
        let n = self.s.stack.len();
        let Some(i) = self.last_v128 else {
            return false;
        };
        if self.s.stack[n - 2..] != [Operand::InSlot; 2]
            || self.s.stack[..n - 2]
                .iter()
                .any(|o| o.reads(l) || o.reads(l + 1))
        {
            return false;
        }
        let top = self.base + (n - 2) as Slot;
        let (Op::VOp { dst, .. }
        | Op::VOpLoad { dst, .. }
        | Op::VLoad { dst, .. }
        | Op::VShuffle { dst, .. }
        | Op::GlobalGet128 { dst, .. }) = &mut self.ops[i]
        else {
            return false;
        };
        if *dst != top {
            return false;
        }
        *dst = l;
        self.s.zero_locals[l as usize] = false;
        self.s.zero_locals[l as usize + 1] = false;
        self.s.stack.truncate(n - 2);
        self.last_v128 = None;
        true
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
}
