//! Validation of the 128-bit SIMD instructions of WebAssembly 2.0.

#![deny(
    clippy::wildcard_enum_match_arm,
    reason = "every instruction of the group is handled by name, so one added to the instruction set fails to build until it is handled here"
)]

use super::func::FuncValidator;
use crate::error::Result;
use crate::isa::{MemArg, Vector};
use crate::types::ValType;

const V128: ValType = ValType::V128;

impl FuncValidator<'_> {
    pub(super) fn vector(&mut self, v: Vector) -> Result<()> {
        match v {
            Vector::Const(_) => self.push_const(V128),
            Vector::Shuffle(lanes) => {
                if let Some(bad) = lanes.iter().find(|&&l| l >= 32) {
                    return Err(self.err(format!(
                        "invalid lane index: {bad} (shuffle lanes are below 32)"
                    )));
                }
                self.binop(V128)?;
            }
            Vector::Load(op, memarg) => {
                self.load(&memarg, op.bytes().trailing_zeros() as u8, V128)?
            }
            Vector::Store(memarg) => self.store(&memarg, 4, V128)?,
            Vector::Lane { op, memarg, lane } => {
                let addr = self.lane_access(&memarg, op.bytes().trailing_zeros() as u8, lane)?;
                self.pop2(addr, V128)?;
                if !op.is_store() {
                    self.push(V128);
                }
            }
            Vector::LaneOp { op, lane } => {
                self.lane(lane, op.lanes())?;
                if op.is_replace() {
                    self.pop2(V128, op.scalar())?;
                    self.push(V128);
                } else {
                    self.convert(V128, op.scalar())?;
                }
            }
            Vector::Op(op) => self.operator(op.signature())?,
        }
        Ok(())
    }

    fn lane(&self, lane: u8, lanes: u8) -> Result<()> {
        if lane >= lanes {
            return Err(self.err(format!(
                "invalid lane index: {lane} (this shape has {lanes} lanes)"
            )));
        }
        Ok(())
    }

    /// Checks a lane access; the value type of its address.
    fn lane_access(&self, memarg: &MemArg, size_log2: u8, lane: u8) -> Result<ValType> {
        let addr = self.memarg(memarg, size_log2)?;
        self.lane(lane, 16 >> size_log2)?;
        Ok(addr)
    }
}
