//! Lowering table instructions, all through builtins.

#![deny(
    clippy::wildcard_enum_match_arm,
    reason = "every instruction of the group is handled by name, so one added to the instruction set fails to build until it is handled here"
)]

use super::Translator;
use crate::builtins::Builtin;
use cranelift_codegen::ir::{InstBuilder, types};
use skiff_vm::Error;
use skiff_vm::isa::{self, TableInstr};

impl isa::TranslateTable for Translator<'_, '_, '_> {
    fn table(&mut self, t: TableInstr) -> Result<(), Error> {
        match t {
            TableInstr::Init { elem, table } => {
                let n = self.pop();
                let s = self.pop();
                let d = self.pop_u64();
                let t = self.u32_const(table);
                let e = self.u32_const(elem);
                self.checked_builtin(Builtin::TableInit, &[t, e, d, s, n]);
            }
            TableInstr::ElemDrop(elem) => {
                let e = self.u32_const(elem);
                self.builtin(Builtin::ElemDrop, &[e]);
            }
            TableInstr::Copy { dst, src } => {
                let n = self.pop_u64();
                let s = self.pop_u64();
                let d = self.pop_u64();
                let dt = self.u32_const(dst);
                let st = self.u32_const(src);
                self.checked_builtin(Builtin::TableCopy, &[dt, st, d, s, n]);
            }
            TableInstr::Get(table) => {
                let i = self.pop_u64();
                let t = self.u32_const(table);
                self.builtin_value(Builtin::TableGet, &[t, i], types::I64);
            }
            TableInstr::Set(table) => {
                let v = self.pop();
                let i = self.pop_u64();
                let t = self.u32_const(table);
                self.checked_builtin(Builtin::TableSet, &[t, i, v]);
            }
            TableInstr::Size(table) => {
                let t64 = self.table64(table);
                let t = self.u32_const(table);
                let size = self.builtin(Builtin::TableSize, &[t])[0];
                let size = if t64 {
                    size
                } else {
                    self.b.ins().ireduce(types::I32, size)
                };
                self.stack.push(size);
            }
            TableInstr::Grow(table) => {
                let n = self.pop_u64();
                let init = self.pop();
                let ty = self.addr_type(self.table64(table));
                let t = self.u32_const(table);
                self.builtin_value(Builtin::TableGrow, &[t, init, n], ty);
            }
            TableInstr::Fill(table) => {
                let n = self.pop_u64();
                let v = self.pop();
                let i = self.pop_u64();
                let t = self.u32_const(table);
                self.checked_builtin(Builtin::TableFill, &[t, i, v, n]);
            }
        }
        Ok(())
    }
}
