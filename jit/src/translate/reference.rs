//! Lowering reference instructions.

#![deny(
    clippy::wildcard_enum_match_arm,
    reason = "every instruction of the group is handled by name, so one added to the instruction set fails to build until it is handled here"
)]

use super::Translator;
use crate::builtins::Builtin;
use crate::traps::TRAP_NULL_REFERENCE;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{InstBuilder, types};
use skiff_vm::Error;
use skiff_vm::isa::{self, Reference};

impl isa::TranslateReference for Translator<'_, '_, '_> {
    fn reference(&mut self, r: Reference) -> Result<(), Error> {
        match r {
            Reference::Null(_) => {
                let v = self.b.ins().iconst(types::I64, 0);
                self.stack.push(v);
            }
            Reference::IsNull => {
                let a = self.pop();
                let c = self.b.ins().icmp_imm_u(IntCC::Equal, a, 0);
                let v = self.bool_to_i32(c);
                self.stack.push(v);
            }
            Reference::AsNonNull => {
                let r = *self.stack.last().expect("validated operand");
                self.b.ins().trapz(r, TRAP_NULL_REFERENCE);
            }
            Reference::Func(function_index) => {
                let f = self.u32_const(function_index);
                let r = self.builtin(Builtin::RefFunc, &[f]);
                self.stack.push(r[0]);
            }
        }
        Ok(())
    }
}
