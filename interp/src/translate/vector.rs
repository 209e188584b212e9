//! Translating vector instructions. A `v128` is two entries of the virtual
//! stack (two slots, its low half first): constants stay pending as two
//! 64-bit constants, a local's two slots are read where they are, and each
//! operator becomes one `VOp` naming it.

#![deny(
    clippy::wildcard_enum_match_arm,
    reason = "every instruction of the group is handled by name, so one added to the instruction set fails to build until it is handled here"
)]

use super::{Operand, Translator};
use crate::code::{Op, Slot};
use skiff_vm::Error;
use skiff_vm::isa::{self, MemArg, Vector};
use skiff_vm::types::ValType;

impl isa::TranslateVector for Translator<'_, '_> {
    fn vector(&mut self, v: Vector) -> Result<(), Error> {
        let memory = match &v {
            Vector::Load(_, m) | Vector::Store(m) | Vector::Lane { memarg: m, .. } => m.memory,
            Vector::Const(_) | Vector::Shuffle(_) | Vector::LaneOp { .. } | Vector::Op(_) => 0,
        };
        self.open_memory(memory);
        self.vector_op(v)?;
        self.close_memory(memory);
        Ok(())
    }
}

impl Translator<'_, '_> {
    /// Pops the address of a vector access: its slot and offset (for a
    /// 64-bit memory, an `Address64`'s slot and 0).
    fn pop_vector_address(&mut self, memarg: &MemArg) -> (Slot, u32) {
        let addr = self.pop_slot();
        if self.memory64(memarg.memory) {
            (self.address64(addr, memarg.offset), 0)
        } else {
            (addr, memarg.offset as u32)
        }
    }

    fn vector_op(&mut self, v: Vector) -> Result<(), Error> {
        match v {
            Vector::Const(bits) => {
                self.s.stack.push(Operand::Const(bits as u64));
                self.s.stack.push(Operand::Const((bits >> 64) as u64));
            }
            Vector::Shuffle(lanes) => {
                let base = self.run_of_v128(2);
                let mask = self.code.shuffles.len() as u32;
                self.code.shuffles.push(lanes);
                self.push_v128_result(Op::VShuffle {
                    dst: base,
                    base,
                    mask,
                });
            }
            Vector::Load(op, memarg) => {
                let (addr, offset) = self.pop_vector_address(&memarg);
                let dst = self.top_slot();
                self.push_v128_result(Op::VLoad {
                    dst,
                    addr,
                    offset,
                    op,
                });
            }
            Vector::Store(memarg) => {
                let value = self.pop_v128();
                let (addr, offset) = self.pop_vector_address(&memarg);
                self.emit(Op::VStore {
                    addr,
                    value,
                    offset,
                });
            }
            Vector::Lane { op, memarg, lane } => {
                // The operands are the address, then the vector (on top).
                let width = op.bytes() as u8;
                if op.is_store() {
                    let vec = self.pop_v128();
                    let (addr, offset) = self.pop_vector_address(&memarg);
                    self.emit(Op::VStoreLane {
                        vec,
                        addr,
                        offset,
                        lane,
                        width,
                    });
                } else {
                    // The vector is read from its own stack position, just
                    // above the result's (the address's).
                    self.in_own_slots_v128(0);
                    self.pop_v128();
                    let (addr, offset) = self.pop_vector_address(&memarg);
                    let dst = self.top_slot();
                    self.emit(Op::VLoadLane {
                        dst,
                        addr,
                        offset,
                        lane,
                        width,
                    });
                    self.push_v128();
                }
            }
            Vector::LaneOp { op, lane } if op.is_replace() => {
                let vec = self.in_own_slots_v128(1);
                let x = self.pop_slot();
                self.pop_v128();
                let width = op.lane_bytes();
                self.emit(Op::VReplace {
                    vec,
                    x,
                    lane,
                    width,
                });
                self.push_v128();
            }
            Vector::LaneOp { op, lane } => {
                let src = self.pop_v128();
                let dst = self.top_slot();
                self.push_result(Op::VExtract { dst, src, lane, op });
            }
            Vector::Op(op) => {
                let sig = op.signature();
                let (a, b) = match sig.params {
                    [ValType::V128] => (self.pop_v128(), 0),
                    [_] => (self.pop_slot(), 0),
                    [ValType::V128, ValType::V128] => {
                        let b = self.pop_v128();
                        (self.pop_v128(), b)
                    }
                    [_, _] => {
                        let b = self.pop_slot();
                        (self.pop_v128(), b)
                    }
                    // `v128.bitselect`: the three vectors side by side.
                    _ => (self.run_of_v128(3), 0),
                };
                let dst = self.top_slot();
                if sig.result == ValType::V128 {
                    self.push_v128_result(Op::VOp { dst, a, b, op });
                } else {
                    self.push_result(Op::VOp { dst, a, b, op });
                }
            }
        }
        Ok(())
    }
}

impl Translator<'_, '_> {
    /// Pushes a vector just written to the two slots at the top.
    fn push_v128(&mut self) {
        self.s.stack.extend([Operand::InSlot; 2]);
    }

    /// Emits `op`, which writes a vector to the two slots at the top and
    /// nothing else, after reading its operands: a `local.set` that follows
    /// may retarget it.
    pub(super) fn push_v128_result(&mut self, op: Op) {
        self.emit(op);
        self.push_v128();
        self.last_v128 = Some(self.ops.len() - 1);
    }

    /// Pops `n` vectors that an instruction reads side by side from their
    /// stack positions; returns the first slot.
    fn run_of_v128(&mut self, n: usize) -> Slot {
        self.materialize_top(2 * n);
        self.s.stack.truncate(self.s.stack.len() - 2 * n);
        self.top_slot()
    }

    /// The first slot of the vector below the `above` scalars at the top,
    /// written to its own stack position first when it is not there yet (an
    /// instruction that changes it in place may not change a local).
    fn in_own_slots_v128(&mut self, above: usize) -> Slot {
        let n = self.s.stack.len() - above;
        self.materialize(n - 2);
        self.materialize(n - 1);
        self.base + (n - 2) as Slot
    }
}
