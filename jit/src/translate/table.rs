//! Lowering table instructions, all through builtins.

#![deny(
    clippy::wildcard_enum_match_arm,
    reason = "every instruction of the group is handled by name, so one added to the instruction set fails to build until it is handled here"
)]

use super::Translator;
use crate::builtins::Builtin;
use cranelift_codegen::ir::types;
use skiff_vm::Error;
use skiff_vm::isa::{self, TableInstr};

impl isa::TranslateTable for Translator<'_, '_, '_> {
    fn table(&mut self, t: TableInstr) -> Result<(), Error> {
        match t {
            TableInstr::Init { elem, table } => {
                let n = self.pop();
                let (d, s) = self.pop2();
                let t = self.u32_const(table);
                let e = self.u32_const(elem);
                self.checked_builtin(Builtin::TableInit, &[t, e, d, s, n]);
            }
            TableInstr::ElemDrop(elem) => {
                let e = self.u32_const(elem);
                self.builtin(Builtin::ElemDrop, &[e]);
            }
            TableInstr::Copy { dst, src } => {
                let n = self.pop();
                let (d, s) = self.pop2();
                let dt = self.u32_const(dst);
                let st = self.u32_const(src);
                self.checked_builtin(Builtin::TableCopy, &[dt, st, d, s, n]);
            }
            TableInstr::Get(table) => {
                let i = self.pop();
                let t = self.u32_const(table);
                self.builtin_value(Builtin::TableGet, &[t, i], types::I64);
            }
            TableInstr::Set(table) => {
                let v = self.pop();
                let i = self.pop();
                let t = self.u32_const(table);
                self.checked_builtin(Builtin::TableSet, &[t, i, v]);
            }
            TableInstr::Size(table) => {
                let t = self.u32_const(table);
                let r = self.builtin(Builtin::TableSize, &[t]);
                self.stack.push(r[0]);
            }
            TableInstr::Grow(table) => {
                let n = self.pop();
                let init = self.pop();
                let t = self.u32_const(table);
                self.builtin_value(Builtin::TableGrow, &[t, init, n], types::I32);
            }
            TableInstr::Fill(table) => {
                let n = self.pop();
                let v = self.pop();
                let i = self.pop();
                let t = self.u32_const(table);
                self.checked_builtin(Builtin::TableFill, &[t, i, v, n]);
            }
        }
        Ok(())
    }
}
