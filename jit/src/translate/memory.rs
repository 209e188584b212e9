//! Lowering memory instructions: loads and stores against their memory's
//! base (checked explicitly where the guard region does not cover them), and
//! the instructions on a whole memory through builtins (`memory.copy` and
//! `memory.fill` checked here, then a plain `memmove` or `memset`).

#![deny(
    clippy::wildcard_enum_match_arm,
    reason = "every instruction of the group is handled by name, so one added to the instruction set fails to build until it is handled here"
)]

use super::Translator;
use crate::builtins::Builtin;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    InstBuilder, InstructionData, Opcode, TrapCode, Type, Value, ValueDef, types,
};
use skiff_vm::Error;
use skiff_vm::isa::{self, Load, MemoryInstr, Store};

impl Translator<'_, '_, '_> {
    /// The native address of the `n` bytes from address `at` of memory
    /// `memory`, after trapping as a bulk instruction does when any of them
    /// is outside it (before any byte is written).
    fn checked_range(&mut self, memory: u32, at: Value, n: Value) -> Value {
        let end = self
            .b
            .ins()
            .uadd_overflow_trap(at, n, TrapCode::HEAP_OUT_OF_BOUNDS);
        let len = self.memory_len(memory);
        let oob = self.b.ins().icmp(IntCC::UnsignedGreaterThan, end, len);
        self.b.ins().trapnz(oob, TrapCode::HEAP_OUT_OF_BOUNDS);
        let base = self.base(memory);
        self.b.ins().iadd(base, at)
    }

    /// The length on top of the stack, when it is a constant of at most
    /// [`SMALL_BULK`] bytes: a copy or fill that short is done inline.
    fn small_length(&self) -> Option<u64> {
        let &n = self.stack.last()?;
        let ValueDef::Result(inst, _) = self.b.func.dfg.value_def(n) else {
            return None;
        };
        let InstructionData::UnaryImm {
            opcode: Opcode::Iconst,
            imm,
        } = self.b.func.dfg.insts[inst]
        else {
            return None;
        };
        let bits = imm.bits() as u64;
        let len = if self.b.func.dfg.value_type(n) == types::I32 {
            bits & 0xffff_ffff
        } else {
            bits
        };
        (len <= SMALL_BULK).then_some(len)
    }

    /// Copies `len` bytes (checked, at most [`SMALL_BULK`]) from native
    /// address `from` to `to`: every load before the first store, so that
    /// overlapping ranges copy as `memmove` does.
    fn small_copy(&mut self, to: Value, from: Value, len: u64) {
        let flags = self.flags.heap;
        let chunks = chunks(len);
        let values: Vec<Value> = chunks
            .iter()
            .map(|&(at, ty)| self.b.ins().load(ty, flags, from, at))
            .collect();
        for (&(at, _), v) in chunks.iter().zip(values) {
            self.b.ins().store(flags, v, to, at);
        }
    }

    /// Sets `len` bytes (checked, at most [`SMALL_BULK`]) from native
    /// address `to` to the low byte of `value`.
    fn small_fill(&mut self, to: Value, value: Value, len: u64) {
        let byte = self.b.ins().band_imm_u(value, 0xff);
        let byte = self.b.ins().uextend(types::I64, byte);
        let all = self.b.ins().imul_imm_u(byte, 0x0101_0101_0101_0101);
        let flags = self.flags.heap;
        for (at, ty) in chunks(len) {
            let v = if ty == types::I64 {
                all
            } else {
                self.b.ins().ireduce(ty, all)
            };
            self.b.ins().store(flags, v, to, at);
        }
    }
}

/// The longest `memory.copy` or `memory.fill` of a constant length done
/// inline, in bytes.
const SMALL_BULK: u64 = 32;

/// `len` bytes as the widest integer accesses that cover them: each
/// access's offset and type.
fn chunks(len: u64) -> Vec<(i32, Type)> {
    let mut out = Vec::new();
    let mut at = 0;
    for (size, ty) in [
        (8, types::I64),
        (4, types::I32),
        (2, types::I16),
        (1, types::I8),
    ] {
        while len - at >= size {
            out.push((at as i32, ty));
            at += size;
        }
    }
    out
}

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
                let small = self.small_length();
                let n = self.pop_u64();
                let s = self.pop_u64();
                let d = self.pop_u64();
                let to = self.checked_range(dst, d, n);
                let from = self.checked_range(src, s, n);
                match small {
                    Some(len) => self.small_copy(to, from, len),
                    None => {
                        self.builtin(Builtin::Memmove, &[to, from, n]);
                    }
                }
            }
            MemoryInstr::Fill { memory } => {
                let small = self.small_length();
                let n = self.pop_u64();
                let v = self.pop();
                let d = self.pop_u64();
                let to = self.checked_range(memory, d, n);
                match small {
                    Some(len) => self.small_fill(to, v, len),
                    None => {
                        self.builtin(Builtin::Memset, &[to, v, n]);
                    }
                }
            }
        }
        Ok(())
    }
}
