//! Translating table instructions.

#![deny(
    clippy::wildcard_enum_match_arm,
    reason = "every instruction of the group is handled by name, so one added to the instruction set fails to build until it is handled here"
)]

use super::{Operand, Translator};
use crate::code::Op;
use skiff_vm::Error;
use skiff_vm::isa::{self, TableInstr};

impl isa::TranslateTable for Translator<'_, '_> {
    fn table(&mut self, t: TableInstr) -> Result<(), Error> {
        match t {
            TableInstr::Init { elem, table } => {
                let base = self.run_of(3);
                self.emit(Op::TableInit { base, elem, table });
            }
            TableInstr::ElemDrop(elem) => self.emit(Op::ElemDrop { elem }),
            TableInstr::Copy { dst, src } => {
                let base = self.run_of(3);
                self.emit(Op::TableCopy { base, dst, src });
            }
            TableInstr::Get(table) => self.unary(|dst, index| Op::TableGet { dst, index, table }),
            TableInstr::Set(table) => {
                let value = self.pop_slot();
                let index = self.pop_slot();
                self.emit(Op::TableSet {
                    index,
                    value,
                    table,
                });
            }
            TableInstr::Size(table) => {
                let dst = self.top_slot();
                self.push_result(Op::TableSize { dst, table });
            }
            TableInstr::Grow(table) => {
                let base = self.run_of(2);
                self.emit(Op::TableGrow { base, table });
                self.s.stack.push(Operand::InSlot);
            }
            TableInstr::Fill(table) => {
                let base = self.run_of(3);
                self.emit(Op::TableFill { base, table });
            }
        }
        Ok(())
    }
}
