//! Validation of table instructions.

#![deny(
    clippy::wildcard_enum_match_arm,
    reason = "every instruction of the group is handled by name, so one added to the instruction set fails to build until it is handled here"
)]

use super::func::{FuncValidator, I32, narrower};
use crate::error::Result;
use crate::isa::TableInstr;
use crate::types::ValType;

impl FuncValidator<'_> {
    pub(super) fn table_instr(&mut self, t: TableInstr) -> Result<()> {
        match t {
            TableInstr::Get(table) => {
                let (t, at) = self.table(table)?;
                self.convert(at, ValType::Ref(t))?;
            }
            TableInstr::Set(table) => {
                let (t, at) = self.table(table)?;
                self.pop2(at, ValType::Ref(t))?;
            }
            TableInstr::Size(table) => {
                let (_, at) = self.table(table)?;
                self.push(at);
            }
            TableInstr::Grow(table) => {
                let (t, at) = self.table(table)?;
                self.pop2(ValType::Ref(t), at)?;
                self.push(at);
            }
            TableInstr::Fill(table) => {
                let (t, at) = self.table(table)?;
                self.pop_all(&[at, ValType::Ref(t), at])?;
            }
            TableInstr::Copy { dst, src } => {
                let (d, dat) = self.table(dst)?;
                let (s, sat) = self.table(src)?;
                if !s.matches(d) {
                    return Err(self.err(format!("type mismatch: table.copy from {s} to {d}")));
                }
                self.pop_all(&[dat, sat, narrower(dat, sat)])?;
            }
            TableInstr::Init { elem, table } => {
                let (t, at) = self.table(table)?;
                let e = self.elem_segment(elem)?;
                if !e.matches(t) {
                    return Err(self.err(format!(
                        "type mismatch: table.init of a {e} segment into a table of {t}"
                    )));
                }
                self.pop_all(&[at, I32, I32])?;
            }
            TableInstr::ElemDrop(elem) => {
                self.elem_segment(elem)?;
            }
        }
        Ok(())
    }
}
