//! Translating memory instructions: loads and stores (each to the op of the
//! same name, addressed directly or through a pending `i32.add` of a
//! constant), and the instructions on the whole memory.

#![deny(
    clippy::wildcard_enum_match_arm,
    reason = "every instruction of the group is handled by name, so one added to the instruction set fails to build until it is handled here"
)]

use super::Translator;
use crate::code::{Op, with_op_lists};
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
                let offset = memarg.offset as u32;
                let (addr, imm) = self.pop_address(memarg.offset);
                let dst = self.top_slot();
                self.push_result(match (op, imm) {
                    $(
                        (Load::$load, None) => Op::$load { dst, addr, offset },
                        (Load::$load, Some(imm)) => Op::$load_at { dst, addr, imm },
                    )*
                });
            }

            fn store(&mut self, op: Store, memarg: MemArg) {
                let offset = memarg.offset as u32;
                let value = self.pop_slot();
                let (addr, imm) = self.pop_address(memarg.offset);
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
