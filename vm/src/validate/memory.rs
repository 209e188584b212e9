//! Validation of memory instructions.

#![deny(
    clippy::wildcard_enum_match_arm,
    reason = "every instruction of the group is handled by name, so one added to the instruction set fails to build until it is handled here"
)]

use super::func::{FuncValidator, I32};
use crate::error::Result;
use crate::isa::MemoryInstr;

impl FuncValidator<'_> {
    pub(super) fn memory_instr(&mut self, m: MemoryInstr) -> Result<()> {
        match m {
            MemoryInstr::Load(op, memarg) => {
                self.load(&memarg, op.bytes().trailing_zeros() as u8, op.ty())?
            }
            MemoryInstr::Store(op, memarg) => {
                self.store(&memarg, op.bytes().trailing_zeros() as u8, op.ty())?
            }
            MemoryInstr::Size { memory } => {
                self.memory(memory)?;
                self.push(I32);
            }
            MemoryInstr::Grow { memory } => {
                self.memory(memory)?;
                self.unop(I32)?;
            }
            MemoryInstr::Init { data, memory } => {
                self.memory(memory)?;
                self.data_segment(data)?;
                self.pop_all(&[I32, I32, I32])?;
            }
            MemoryInstr::DataDrop { data } => self.data_segment(data)?,
            MemoryInstr::Copy { dst, src } => {
                self.memory(dst)?;
                self.memory(src)?;
                self.pop_all(&[I32, I32, I32])?;
            }
            MemoryInstr::Fill { memory } => {
                self.memory(memory)?;
                self.pop_all(&[I32, I32, I32])?;
            }
        }
        Ok(())
    }
}
