//! Translating memory instructions: loads and stores (each to the op of the
//! same name, addressed directly or through a pending `i32.add` of a
//! constant), and the instructions on the whole memory.

#![deny(
    clippy::wildcard_enum_match_arm,
    reason = "every instruction of the group is handled by name, so one added to the instruction set fails to build until it is handled here"
)]

use super::Translator;
use crate::code::{Op, Slot, with_op_lists};
use skiff_vm::Error;
use skiff_vm::isa::{self, Load, MemArg, MemoryInstr, Store};

impl isa::TranslateMemory for Translator<'_, '_> {
    fn memory(&mut self, m: MemoryInstr) -> Result<(), Error> {
        match m {
            MemoryInstr::Load(op, memarg) => {
                self.open_memory(memarg.memory);
                self.load(op, memarg);
                self.close_memory(memarg.memory);
            }
            MemoryInstr::Store(op, memarg) => {
                self.open_memory(memarg.memory);
                self.store(op, memarg);
                self.close_memory(memarg.memory);
            }
            MemoryInstr::Copy { dst, src } if self.memory64(dst) || self.memory64(src) => {
                // Operands of 64 bits: the executor reads them.
                let base = self.run_of(3);
                self.emit(Op::MemoryCopyAcross { base, dst, src });
            }
            MemoryInstr::Fill { memory } if self.memory64(memory) => {
                let base = self.run_of(3);
                self.emit(Op::MemoryFillAt { base, memory });
            }
            MemoryInstr::Size { memory } => {
                let dst = self.top_slot();
                self.push_result(Op::MemorySize { dst, memory });
            }
            MemoryInstr::Grow { memory } => {
                self.unary(|dst, delta| Op::MemoryGrow { dst, delta, memory })
            }
            MemoryInstr::Init {
                data: data_index,
                memory,
            } => {
                let base = self.run_of(3);
                self.emit(Op::MemoryInit {
                    base,
                    data: data_index,
                    memory,
                });
            }
            MemoryInstr::DataDrop { data: data_index } => {
                self.emit(Op::DataDrop { data: data_index })
            }
            MemoryInstr::Copy { dst, src } if dst != src => {
                let base = self.run_of(3);
                self.emit(Op::MemoryCopyAcross { base, dst, src });
            }
            MemoryInstr::Copy { dst, .. } => {
                // Within one memory: the copy of memory 0, on `dst`.
                let base = self.run_of(3);
                self.open_memory(dst);
                self.emit(Op::MemoryCopy { base });
                self.close_memory(dst);
            }
            MemoryInstr::Fill { memory } => {
                let base = self.run_of(3);
                self.open_memory(memory);
                self.emit(Op::MemoryFill { base });
                self.close_memory(memory);
            }
        }
        Ok(())
    }
}

/// `load` and `store`, from the interpreter's list of loads and stores: a
/// match on every load and store of the instruction set, so that one the
/// list lacks does not compile.
macro_rules! loads_and_stores {
    (
        load { $($load:ident / $load_at:ident,)* }
        store { $($store:ident / $store_at:ident,)* }
        $($rest:tt)*
    ) => {
        impl Translator<'_, '_> {
            fn load(&mut self, op: Load, memarg: MemArg) {
                let (addr, offset, imm) = self.pop_access(memarg);
                let dst = self.top_slot();
                self.push_result(match (op, imm) {
                    $(
                        (Load::$load, None) => Op::$load { dst, addr, offset },
                        (Load::$load, Some(imm)) => Op::$load_at { dst, addr, imm },
                    )*
                });
            }

            fn store(&mut self, op: Store, memarg: MemArg) {
                let value = self.pop_slot();
                let (addr, offset, imm) = self.pop_access(memarg);
                self.emit(match (op, imm) {
                    $(
                        (Store::$store, None) => Op::$store { addr, value, offset },
                        (Store::$store, Some(imm)) => Op::$store_at { addr, value, imm },
                    )*
                });
            }
        }
    };
}

with_op_lists!(loads_and_stores {});

impl Translator<'_, '_> {
    /// Whether memory `memory` has 64-bit addresses.
    pub(super) fn memory64(&self, memory: u32) -> bool {
        self.module.memories[memory as usize].addr.is_64()
    }

    /// Pops the address of an access: its slot and offset, or its slot and
    /// the constant a pending `i32.add` adds. For a 64-bit memory, the
    /// address plus offset is first checked and brought to 32 bits by an
    /// `Address64` (an access there has offset 0).
    fn pop_access(&mut self, memarg: MemArg) -> (Slot, u32, Option<u32>) {
        if self.memory64(memarg.memory) {
            let addr = self.pop_slot();
            return (self.address64(addr, memarg.offset), 0, None);
        }
        let (addr, imm) = self.pop_address(memarg.offset);
        (addr, memarg.offset as u32, imm)
    }

    /// An `Address64` of `addr` plus `offset`, into a free slot (the one
    /// above the operand stack); returns that slot.
    pub(super) fn address64(&mut self, addr: Slot, offset: u64) -> Slot {
        let dst = self.top_slot();
        match u32::try_from(offset) {
            Ok(offset) => self.emit(Op::Address64 { dst, addr, offset }),
            Err(_) => {
                // At least 2^32 past the address: past any memory here (at
                // most 4 GiB), so the second addition traps if the first
                // does not.
                self.emit(Op::Address64 {
                    dst,
                    addr,
                    offset: u32::MAX,
                });
                self.emit(Op::Address64 {
                    dst,
                    addr: dst,
                    offset: 1,
                });
            }
        }
        dst
    }
}
