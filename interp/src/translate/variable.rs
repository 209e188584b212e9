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
                self.emit(Op::GlobalGet128 { dst, index });
                self.s.stack.extend([Operand::InSlot; 2]);
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
            self.local_set(slot + 1);
        }
        self.local_set(slot);
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
