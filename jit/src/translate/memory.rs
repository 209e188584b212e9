//! Lowering memory instructions: loads and stores against their memory's
//! base (checked explicitly where the guard region does not cover them), and
//! the instructions on a whole memory through builtins.

#![deny(
    clippy::wildcard_enum_match_arm,
    reason = "every instruction of the group is handled by name, so one added to the instruction set fails to build until it is handled here"
)]

use super::Translator;
use crate::builtins::Builtin;
use cranelift_codegen::ir::{InstBuilder, types};
use skiff_vm::Error;
use skiff_vm::isa::{self, Load, MemoryInstr, Store};

impl isa::TranslateMemory for Translator<'_, '_, '_> {
    fn memory(&mut self, m: MemoryInstr) -> Result<(), Error> {
        match m {
            MemoryInstr::Load(Load::I32Load, memarg) => self.load(&memarg, types::I32, 4, None),
            MemoryInstr::Load(Load::I64Load, memarg) => self.load(&memarg, types::I64, 8, None),
            MemoryInstr::Load(Load::F32Load, memarg) => self.load(&memarg, types::F32, 4, None),
            MemoryInstr::Load(Load::F64Load, memarg) => self.load(&memarg, types::F64, 8, None),
            MemoryInstr::Load(Load::I32Load8S, memarg) => {
                self.load(&memarg, types::I32, 1, Some((types::I8, true)))
            }
            MemoryInstr::Load(Load::I32Load8U, memarg) => {
                self.load(&memarg, types::I32, 1, Some((types::I8, false)))
            }
            MemoryInstr::Load(Load::I32Load16S, memarg) => {
                self.load(&memarg, types::I32, 2, Some((types::I16, true)))
            }
            MemoryInstr::Load(Load::I32Load16U, memarg) => {
                self.load(&memarg, types::I32, 2, Some((types::I16, false)))
            }
            MemoryInstr::Load(Load::I64Load8S, memarg) => {
                self.load(&memarg, types::I64, 1, Some((types::I8, true)))
            }
            MemoryInstr::Load(Load::I64Load8U, memarg) => {
                self.load(&memarg, types::I64, 1, Some((types::I8, false)))
            }
            MemoryInstr::Load(Load::I64Load16S, memarg) => {
                self.load(&memarg, types::I64, 2, Some((types::I16, true)))
            }
            MemoryInstr::Load(Load::I64Load16U, memarg) => {
                self.load(&memarg, types::I64, 2, Some((types::I16, false)))
            }
            MemoryInstr::Load(Load::I64Load32S, memarg) => {
                self.load(&memarg, types::I64, 4, Some((types::I32, true)))
            }
            MemoryInstr::Load(Load::I64Load32U, memarg) => {
                self.load(&memarg, types::I64, 4, Some((types::I32, false)))
            }
            MemoryInstr::Store(Store::I32Store, memarg)
            | MemoryInstr::Store(Store::F32Store, memarg) => self.store(&memarg, 4, None),
            MemoryInstr::Store(Store::I64Store, memarg)
            | MemoryInstr::Store(Store::F64Store, memarg) => self.store(&memarg, 8, None),
            MemoryInstr::Store(Store::I32Store8, memarg)
            | MemoryInstr::Store(Store::I64Store8, memarg) => {
                self.store(&memarg, 1, Some(types::I8))
            }
            MemoryInstr::Store(Store::I32Store16, memarg)
            | MemoryInstr::Store(Store::I64Store16, memarg) => {
                self.store(&memarg, 2, Some(types::I16))
            }
            MemoryInstr::Store(Store::I64Store32, memarg) => {
                self.store(&memarg, 4, Some(types::I32))
            }
            MemoryInstr::Size { memory } => {
                let len = self.memory_len(memory);
                let pages = self.b.ins().ushr_imm_u(len, 16);
                let v = if self.memory64(memory) {
                    pages
                } else {
                    self.b.ins().ireduce(types::I32, pages)
                };
                self.stack.push(v);
            }
            MemoryInstr::Grow { memory } => {
                let delta = self.pop_u64();
                let mem = self.u32_const(memory);
                let ty = self.addr_type(self.memory64(memory));
                self.builtin_value(Builtin::MemoryGrow, &[mem, delta], ty);
            }
            MemoryInstr::Init {
                data: data_index,
                memory,
            } => {
                let n = self.pop();
                let s = self.pop();
                let d = self.pop_u64();
                let mem = self.u32_const(memory);
                let data = self.u32_const(data_index);
                self.checked_builtin(Builtin::MemoryInit, &[mem, data, d, s, n]);
            }
            MemoryInstr::DataDrop { data: data_index } => {
                let data = self.u32_const(data_index);
                self.builtin(Builtin::DataDrop, &[data]);
            }
            MemoryInstr::Copy { dst, src } => {
                let n = self.pop_u64();
                let s = self.pop_u64();
                let d = self.pop_u64();
                let (dst, src) = (self.u32_const(dst), self.u32_const(src));
                self.checked_builtin(Builtin::MemoryCopy, &[dst, src, d, s, n]);
            }
            MemoryInstr::Fill { memory } => {
                let n = self.pop_u64();
                let v = self.pop();
                let d = self.pop_u64();
                let mem = self.u32_const(memory);
                self.checked_builtin(Builtin::MemoryFill, &[mem, d, v, n]);
            }
        }
        Ok(())
    }
}
