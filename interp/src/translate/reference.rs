//! Translating reference instructions.

#![deny(
    clippy::wildcard_enum_match_arm,
    reason = "every instruction of the group is handled by name, so one added to the instruction set fails to build until it is handled here"
)]

use super::{Operand, Translator};
use crate::code::Op;
use skiff_vm::Error;
use skiff_vm::isa::{self, Reference};

impl isa::TranslateReference for Translator<'_, '_> {
    fn reference(&mut self, r: Reference) -> Result<(), Error> {
        match r {
            Reference::Null(_) => self.s.stack.push(Operand::Const(0)),
            Reference::IsNull => self.unary(|dst, src| Op::RefIsNull { dst, src }),
            Reference::AsNonNull => {
                // The operand stays where it is: a local's or a constant's
                // slot, or its own.
                let operand = *self.s.stack.last().expect("validated operand");
                let src = self.pop_slot();
                self.emit(Op::RefAsNonNull { src });
                self.s.stack.push(operand);
            }
            Reference::Func(function_index) => {
                let dst = self.top_slot();
                self.push_result(Op::RefFunc {
                    dst,
                    func: function_index,
                });
            }
        }
        Ok(())
    }
}
