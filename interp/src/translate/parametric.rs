//! Translating `drop` and `select`.

#![deny(
    clippy::wildcard_enum_match_arm,
    reason = "every instruction of the group is handled by name, so one added to the instruction set fails to build until it is handled here"
)]

use super::{Condition, Translator};
use crate::code::{Op, Slot};
use skiff_vm::Error;
use skiff_vm::isa::{self, Parametric};
use skiff_vm::types::ValType;

impl isa::TranslateParametric for Translator<'_, '_> {
    fn parametric(&mut self, p: Parametric) -> Result<(), Error> {
        match p {
            Parametric::Drop if self.operand_is_v128() => {
                let n = self.s.stack.len();
                self.s.stack.truncate(n - 2);
            }
            Parametric::Drop => {
                self.s.stack.pop();
            }
            Parametric::TypedSelect(tys) if tys[..] == [ValType::V128] => self.select_v128(),
            Parametric::Select if self.operand_is_v128() => self.select_v128(),
            Parametric::Select | Parametric::TypedSelect(_)
                if self.code.frame_size <= u32::from(u16::MAX) =>
            {
                // A select of `i32.eqz c` is the select of `c`, operands
                // swapped; so is one of `i64.eqz c`, testing all of `c`.
                // `eqz`: the operand tested, and whether it is 64 bits wide.
                let eqz = match self.fusable_condition() {
                    Some(Condition::Zero(src)) => Some((src, false)),
                    _ => self.fusable_eqz64().map(|src| (src, true)),
                };
                let mut cond = self.pop_slot();
                if let Some((src, _)) = eqz {
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
                    wide: eqz.is_some_and(|(_, wide)| wide),
                });
            }
            Parametric::Select | Parametric::TypedSelect(_) => {
                let cond = self.pop_slot();
                let b = self.pop_slot();
                // The first operand must be in the result's slot.
                let i = self.s.stack.len() - 1;
                self.materialize(i);
                let dst = self.base + i as Slot;
                self.s.stack.pop();
                self.push_result(Op::Select { dst, b, cond });
            }
        }
        Ok(())
    }
}

impl Translator<'_, '_> {
    /// `select` of two vectors: each half selected by the same condition.
    fn select_v128(&mut self) {
        let cond = self.pop_slot();
        let b = self.pop_v128();
        // The first operand must be in the result's slots.
        let n = self.s.stack.len();
        self.materialize(n - 2);
        self.materialize(n - 1);
        let dst = self.base + (n - 2) as Slot;
        self.emit(Op::Select { dst, b, cond });
        self.emit(Op::Select {
            dst: dst + 1,
            b: b + 1,
            cond,
        });
    }
}
