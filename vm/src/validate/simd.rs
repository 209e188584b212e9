//! Validation of the 128-bit SIMD instructions of WebAssembly 2.0.

use super::func::{FuncValidator, V128};
use crate::error::{Error, Result};
use crate::types::ValType;
use wasmparser::Operator;

const I32: ValType = ValType::I32;
const I64: ValType = ValType::I64;
const F32: ValType = ValType::F32;
const F64: ValType = ValType::F64;

impl FuncValidator<'_> {
    /// Validates `op` if it is a SIMD instruction; `Ok(false)` if it is not one.
    pub(super) fn simd(&mut self, op: &Operator<'_>) -> Result<bool> {
        use Operator as O;
        if !is_simd(op) {
            return Ok(false);
        }
        if !self.features.simd {
            return Err(Error::unsupported(self.pos, "simd"));
        }
        match op {
            O::V128Load { memarg } => self.load(memarg, 4, V128)?,
            O::V128Load8x8S { memarg }
            | O::V128Load8x8U { memarg }
            | O::V128Load16x4S { memarg }
            | O::V128Load16x4U { memarg }
            | O::V128Load32x2S { memarg }
            | O::V128Load32x2U { memarg }
            | O::V128Load64Splat { memarg }
            | O::V128Load64Zero { memarg } => self.load(memarg, 3, V128)?,
            O::V128Load8Splat { memarg } => self.load(memarg, 0, V128)?,
            O::V128Load16Splat { memarg } => self.load(memarg, 1, V128)?,
            O::V128Load32Splat { memarg } | O::V128Load32Zero { memarg } => {
                self.load(memarg, 2, V128)?
            }
            O::V128Store { memarg } => self.store(memarg, 4, V128)?,
            O::V128Load8Lane { memarg, lane } => self.load_lane(memarg, 0, *lane)?,
            O::V128Load16Lane { memarg, lane } => self.load_lane(memarg, 1, *lane)?,
            O::V128Load32Lane { memarg, lane } => self.load_lane(memarg, 2, *lane)?,
            O::V128Load64Lane { memarg, lane } => self.load_lane(memarg, 3, *lane)?,
            O::V128Store8Lane { memarg, lane } => self.store_lane(memarg, 0, *lane)?,
            O::V128Store16Lane { memarg, lane } => self.store_lane(memarg, 1, *lane)?,
            O::V128Store32Lane { memarg, lane } => self.store_lane(memarg, 2, *lane)?,
            O::V128Store64Lane { memarg, lane } => self.store_lane(memarg, 3, *lane)?,
            O::V128Const { .. } => self.push(V128),
            O::I8x16Shuffle { lanes } => {
                if let Some(bad) = lanes.iter().find(|&&l| l >= 32) {
                    return Err(self.err(format!(
                        "invalid lane index: {bad} (shuffle lanes are below 32)"
                    )));
                }
                self.binop(V128)?;
            }
            O::I8x16ExtractLaneS { lane } | O::I8x16ExtractLaneU { lane } => {
                self.extract(*lane, 16, I32)?
            }
            O::I16x8ExtractLaneS { lane } | O::I16x8ExtractLaneU { lane } => {
                self.extract(*lane, 8, I32)?
            }
            O::I32x4ExtractLane { lane } => self.extract(*lane, 4, I32)?,
            O::I64x2ExtractLane { lane } => self.extract(*lane, 2, I64)?,
            O::F32x4ExtractLane { lane } => self.extract(*lane, 4, F32)?,
            O::F64x2ExtractLane { lane } => self.extract(*lane, 2, F64)?,
            O::I8x16ReplaceLane { lane } => self.replace(*lane, 16, I32)?,
            O::I16x8ReplaceLane { lane } => self.replace(*lane, 8, I32)?,
            O::I32x4ReplaceLane { lane } => self.replace(*lane, 4, I32)?,
            O::I64x2ReplaceLane { lane } => self.replace(*lane, 2, I64)?,
            O::F32x4ReplaceLane { lane } => self.replace(*lane, 4, F32)?,
            O::F64x2ReplaceLane { lane } => self.replace(*lane, 2, F64)?,
            O::I8x16Splat | O::I16x8Splat | O::I32x4Splat => self.convert(I32, V128)?,
            O::I64x2Splat => self.convert(I64, V128)?,
            O::F32x4Splat => self.convert(F32, V128)?,
            O::F64x2Splat => self.convert(F64, V128)?,
            O::V128Bitselect => {
                self.pop(V128)?;
                self.binop(V128)?;
            }
            O::V128AnyTrue
            | O::I8x16AllTrue
            | O::I8x16Bitmask
            | O::I16x8AllTrue
            | O::I16x8Bitmask
            | O::I32x4AllTrue
            | O::I32x4Bitmask
            | O::I64x2AllTrue
            | O::I64x2Bitmask => self.convert(V128, I32)?,
            O::I8x16Shl
            | O::I8x16ShrS
            | O::I8x16ShrU
            | O::I16x8Shl
            | O::I16x8ShrS
            | O::I16x8ShrU
            | O::I32x4Shl
            | O::I32x4ShrS
            | O::I32x4ShrU
            | O::I64x2Shl
            | O::I64x2ShrS
            | O::I64x2ShrU => {
                self.pop2(V128, I32)?;
                self.push(V128);
            }
            op if is_v128_unary(op) => self.unop(V128)?,
            // Every remaining SIMD instruction is a binary operation on vectors.
            _ => self.binop(V128)?,
        }
        Ok(true)
    }

    fn lane(&self, lane: u8, lanes: u8) -> Result<()> {
        if lane >= lanes {
            return Err(self.err(format!(
                "invalid lane index: {lane} (this shape has {lanes} lanes)"
            )));
        }
        Ok(())
    }

    fn extract(&mut self, lane: u8, lanes: u8, t: ValType) -> Result<()> {
        self.lane(lane, lanes)?;
        self.convert(V128, t)
    }

    fn replace(&mut self, lane: u8, lanes: u8, t: ValType) -> Result<()> {
        self.lane(lane, lanes)?;
        self.pop2(V128, t)?;
        self.push(V128);
        Ok(())
    }

    fn load_lane(&mut self, memarg: &wasmparser::MemArg, size_log2: u8, lane: u8) -> Result<()> {
        self.memarg(memarg, size_log2)?;
        self.lane(lane, 16 >> size_log2)?;
        self.pop2(I32, V128)?;
        self.push(V128);
        Ok(())
    }

    fn store_lane(&mut self, memarg: &wasmparser::MemArg, size_log2: u8, lane: u8) -> Result<()> {
        self.memarg(memarg, size_log2)?;
        self.lane(lane, 16 >> size_log2)?;
        self.pop2(I32, V128)
    }
}

/// Whether `op` is one of the SIMD instructions of WebAssembly 2.0 (relaxed SIMD
/// is a later proposal and not included).
fn is_simd(op: &Operator<'_>) -> bool {
    macro_rules! simd_ops {
        (@is simd) => { true };
        (@is $other:ident) => { false };
        ($( @$proposal:ident $op:ident $({ $($arg:ident: $argty:ty),* })? => $visit:ident ($($ann:tt)*) )*) => {
            #[allow(unreachable_patterns)]
            match op {
                $( Operator::$op { .. } => simd_ops!(@is $proposal), )*
                _ => false,
            }
        };
    }
    wasmparser::for_each_operator!(simd_ops)
}

/// Whether `op` is a SIMD instruction of type `[v128] -> [v128]`.
fn is_v128_unary(op: &Operator<'_>) -> bool {
    use Operator as O;
    matches!(
        op,
        O::V128Not
            | O::I8x16Abs
            | O::I8x16Neg
            | O::I8x16Popcnt
            | O::I16x8ExtAddPairwiseI8x16S
            | O::I16x8ExtAddPairwiseI8x16U
            | O::I16x8Abs
            | O::I16x8Neg
            | O::I16x8ExtendLowI8x16S
            | O::I16x8ExtendHighI8x16S
            | O::I16x8ExtendLowI8x16U
            | O::I16x8ExtendHighI8x16U
            | O::I32x4ExtAddPairwiseI16x8S
            | O::I32x4ExtAddPairwiseI16x8U
            | O::I32x4Abs
            | O::I32x4Neg
            | O::I32x4ExtendLowI16x8S
            | O::I32x4ExtendHighI16x8S
            | O::I32x4ExtendLowI16x8U
            | O::I32x4ExtendHighI16x8U
            | O::I64x2Abs
            | O::I64x2Neg
            | O::I64x2ExtendLowI32x4S
            | O::I64x2ExtendHighI32x4S
            | O::I64x2ExtendLowI32x4U
            | O::I64x2ExtendHighI32x4U
            | O::F32x4Ceil
            | O::F32x4Floor
            | O::F32x4Trunc
            | O::F32x4Nearest
            | O::F32x4Abs
            | O::F32x4Neg
            | O::F32x4Sqrt
            | O::F64x2Ceil
            | O::F64x2Floor
            | O::F64x2Trunc
            | O::F64x2Nearest
            | O::F64x2Abs
            | O::F64x2Neg
            | O::F64x2Sqrt
            | O::I32x4TruncSatF32x4S
            | O::I32x4TruncSatF32x4U
            | O::F32x4ConvertI32x4S
            | O::F32x4ConvertI32x4U
            | O::I32x4TruncSatF64x2SZero
            | O::I32x4TruncSatF64x2UZero
            | O::F64x2ConvertLowI32x4S
            | O::F64x2ConvertLowI32x4U
            | O::F32x4DemoteF64x2Zero
            | O::F64x2PromoteLowF32x4
    )
}
