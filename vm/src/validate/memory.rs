//! Validation of memory instructions.

#![deny(
    clippy::wildcard_enum_match_arm,
    reason = "every instruction of the group is handled by name, so one added to the instruction set fails to build until it is handled here"
)]

use super::func::{FuncValidator, I32, narrower};
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
                let addr = self.memory(memory)?;
                self.push(addr);
            }
            MemoryInstr::Grow { memory } => {
                let addr = self.memory(memory)?;
                self.unop(addr)?;
            }
            MemoryInstr::Init { data, memory } => {
                let addr = self.memory(memory)?;
                self.data_segment(data)?;
                self.pop_all(&[addr, I32, I32])?;
            }
            MemoryInstr::DataDrop { data } => self.data_segment(data)?,
            MemoryInstr::Copy { dst, src } => {
                let d = self.memory(dst)?;
                let s = self.memory(src)?;
                self.pop_all(&[d, s, narrower(d, s)])?;
            }
            MemoryInstr::Fill { memory } => {
                let addr = self.memory(memory)?;
                self.pop_all(&[addr, I32, addr])?;
            }
        }
        Ok(())
    }
}
