//! Translating numeric instructions: constants stay pending on the virtual
//! stack, an `i32.add` of a constant stays pending for the access that uses
//! it, and every operator becomes the op of the same name.

#![deny(
    clippy::wildcard_enum_match_arm,
    reason = "every instruction of the group is handled by name, so one added to the instruction set fails to build until it is handled here"
)]

use super::{Operand, Translator};
use crate::code::{Op, Slot, with_op_lists};
use skiff_vm::Error;
use skiff_vm::isa::{self, NumOp, Numeric};

impl isa::TranslateNumeric for Translator<'_, '_> {
    fn numeric(&mut self, n: Numeric) -> Result<(), Error> {
        let op = match n {
            Numeric::I32Const(_)
            | Numeric::I64Const(_)
            | Numeric::F32Const(_)
            | Numeric::F64Const(_) => {
                let (_, bits) = n.constant().expect("a constant");
                self.s.stack.push(Operand::Const(bits));
                return Ok(());
            }
            Numeric::Op(op) => op,
        };
        let const_on_top = matches!(self.s.stack.last(), Some(Operand::Const(_)));
        if matches!(op, NumOp::I32Add | NumOp::I32Sub) && const_on_top {
            let Some(Operand::Const(c)) = self.s.stack.pop() else {
                unreachable!()
            };
            let c = c as u32;
            self.add_imm(if op == NumOp::I32Add {
                c
            } else {
                c.wrapping_neg()
            });
            return Ok(());
        }
        // (s + c) + x = (s + x) + c, modulo 2^32: the addition of `c` stays
        // pending, for an access or another constant to take over.
        if op == NumOp::I32Add
            && let Some((i, src, imm)) = self.pending_add_imm()
        {
            self.s.stack[i] = if src == self.base + i as Slot {
                Operand::InSlot
            } else {
                // A local or a constant slot, read where it is.
                Operand::Local(src)
            };
            self.operator(op);
            self.add_imm(imm);
            return Ok(());
        }
        self.operator(op);
        Ok(())
    }
}

/// `operator`, from the interpreter's lists of unary and binary ops: a
/// match on every numeric operator of the instruction set, so that one the
/// lists lack does not compile.
macro_rules! operators {
    (
        load { $($load:tt)* }
        store { $($store:tt)* }
        unary { $($unary:ident,)* }
        binary { $($binary:ident,)* }
        $($rest:tt)*
    ) => {
        impl Translator<'_, '_> {
            /// Numeric operator `op`, as the op of the same name.
            fn operator(&mut self, op: NumOp) {
                match op {
                    $(NumOp::$unary => self.unary(|dst, src| Op::$unary { dst, src }),)*
                    $(NumOp::$binary => self.binary(|dst, a, b| Op::$binary { dst, a, b }),)*
                    // Slots hold raw bits: reinterpreting changes nothing.
                    NumOp::I32ReinterpretF32
                    | NumOp::F32ReinterpretI32
                    | NumOp::I64ReinterpretF64
                    | NumOp::F64ReinterpretI64 => {}
                }
            }
        }
    };
}

with_op_lists!(operators {});
