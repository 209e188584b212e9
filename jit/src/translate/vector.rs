//! Lowering the 128-bit SIMD instructions to Cranelift's vector types.
//!
//! A `v128` travels as `i8x16` (in locals, on the stack, across calls); each
//! operator reinterprets its operands as the lane type it works on, and its
//! result back. Lane shapes, saturation, widening and narrowing map to
//! Cranelift's instructions of the same meaning; where Cranelift has none
//! (`pmin`, `pmax`, the dot product, pairwise additions of one vector), a
//! short sequence of its instructions does the same.

#![deny(
    clippy::wildcard_enum_match_arm,
    reason = "every instruction of the group is handled by name, so one added to the instruction set fails to build until it is handled here"
)]

use super::Translator;
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{ConstantData, InstBuilder, Type, Value, types};
use skiff_vm::Error;
use skiff_vm::isa::{self, LaneAccess, LaneOp, MemArg, VecLoad, VecOp, Vector};

const V: Type = types::I8X16;
const I8: Type = types::I8X16;
const I16: Type = types::I16X8;
const I32: Type = types::I32X4;
const I64: Type = types::I64X2;
const F32: Type = types::F32X4;
const F64: Type = types::F64X2;

impl isa::TranslateVector for Translator<'_, '_, '_> {
    fn vector(&mut self, v: Vector) -> Result<(), Error> {
        match v {
            Vector::Const(bits) => {
                let v = self.vconst(V, bits);
                self.stack.push(v);
            }
            Vector::Shuffle(lanes) => {
                let (a, b) = self.pop2();
                let mask = self
                    .b
                    .func
                    .dfg
                    .immediates
                    .push(ConstantData::from(lanes.as_slice()));
                let v = self.b.ins().shuffle(a, b, mask);
                self.stack.push(v);
            }
            Vector::Load(op, memarg) => self.vector_load(op, &memarg),
            Vector::Store(memarg) => {
                let value = self.pop();
                let (addr, offset) = self.address(&memarg, 16);
                let flags = self.flags.heap;
                self.b.ins().store(flags, value, addr, offset);
            }
            Vector::Lane { op, memarg, lane } => self.lane_access(op, &memarg, lane),
            Vector::LaneOp { op, lane } => self.lane_op(op, lane),
            Vector::Op(op) => self.vector_op(op),
        }
        Ok(())
    }
}

/// The vector type of a lane access of `bytes` bytes, and its scalar type.
fn lane_types(bytes: u32) -> (Type, Type) {
    match bytes {
        1 => (I8, types::I8),
        2 => (I16, types::I16),
        4 => (I32, types::I32),
        _ => (I64, types::I64),
    }
}

impl Translator<'_, '_, '_> {
    /// `x`, a value of any 128-bit type, as `ty`.
    fn cast(&mut self, x: Value, ty: Type) -> Value {
        if self.b.func.dfg.value_type(x) == ty {
            x
        } else {
            let flags = self.flags.heap;
            self.b.ins().bitcast(ty, flags, x)
        }
    }

    /// A vector of type `ty` whose 16 bytes are `bits`, little-endian.
    fn vconst(&mut self, ty: Type, bits: u128) -> Value {
        let c = self
            .b
            .func
            .dfg
            .constants
            .insert(ConstantData::from(bits.to_le_bytes().as_slice()));
        self.b.ins().vconst(ty, c)
    }

    /// `relaxed_min` (or `relaxed_max`) on vectors of `ty`: `min` (`max`),
    /// with every NaN lane the positive canonical NaN, as the interpreter
    /// gives it. Cranelift's `fmin` and `fmax` give NaNs of either sign (any
    /// NaN is a valid `min`), but a relaxed instruction must give the same
    /// bits on both tiers.
    fn relaxed_min_max(&mut self, ty: Type, min: bool) {
        let b = self.pop_as(ty);
        let a = self.pop_as(ty);
        let v = if min {
            self.b.ins().fmin(a, b)
        } else {
            self.b.ins().fmax(a, b)
        };
        let unordered = self.b.ins().fcmp(FloatCC::Unordered, a, b);
        let unordered = self.cast(unordered, ty);
        let nan: u128 = if ty == F32 {
            0x7fc0_0000_7fc0_0000_7fc0_0000_7fc0_0000
        } else {
            0x7ff8_0000_0000_0000_7ff8_0000_0000_0000
        };
        let nan = self.vconst(ty, nan);
        let v = self.b.ins().bitselect(unordered, nan, v);
        self.push_vector(v);
    }

    /// Pops a vector as `ty`.
    fn pop_as(&mut self, ty: Type) -> Value {
        let x = self.pop();
        self.cast(x, ty)
    }

    /// Pushes a vector result, as the canonical `i8x16`.
    fn push_vector(&mut self, x: Value) {
        let v = self.cast(x, V);
        self.stack.push(v);
    }

    fn vector_load(&mut self, op: VecLoad, memarg: &MemArg) {
        let (addr, offset) = self.address(memarg, u64::from(op.bytes()));
        let flags = self.flags.heap;
        let ins = self.b.ins();
        let v = match op {
            VecLoad::V128Load => ins.load(V, flags, addr, offset),
            VecLoad::V128Load8x8S => ins.sload8x8(flags, addr, offset),
            VecLoad::V128Load8x8U => ins.uload8x8(flags, addr, offset),
            VecLoad::V128Load16x4S => ins.sload16x4(flags, addr, offset),
            VecLoad::V128Load16x4U => ins.uload16x4(flags, addr, offset),
            VecLoad::V128Load32x2S => ins.sload32x2(flags, addr, offset),
            VecLoad::V128Load32x2U => ins.uload32x2(flags, addr, offset),
            VecLoad::V128Load8Splat => {
                let x = ins.load(types::I8, flags, addr, offset);
                self.b.ins().splat(I8, x)
            }
            VecLoad::V128Load16Splat => {
                let x = ins.load(types::I16, flags, addr, offset);
                self.b.ins().splat(I16, x)
            }
            VecLoad::V128Load32Splat => {
                let x = ins.load(types::I32, flags, addr, offset);
                self.b.ins().splat(I32, x)
            }
            VecLoad::V128Load64Splat => {
                let x = ins.load(types::I64, flags, addr, offset);
                self.b.ins().splat(I64, x)
            }
            VecLoad::V128Load32Zero => {
                let x = ins.load(types::I32, flags, addr, offset);
                self.b.ins().scalar_to_vector(I32, x)
            }
            VecLoad::V128Load64Zero => {
                let x = ins.load(types::I64, flags, addr, offset);
                self.b.ins().scalar_to_vector(I64, x)
            }
        };
        self.push_vector(v);
    }

    fn lane_access(&mut self, op: LaneAccess, memarg: &MemArg, lane: u8) {
        let (vty, sty) = lane_types(op.bytes());
        let flags = self.flags.heap;
        let vector = self.pop_as(vty);
        if op.is_store() {
            let (addr, offset) = self.address(memarg, u64::from(op.bytes()));
            let x = self.b.ins().extractlane(vector, lane);
            self.b.ins().store(flags, x, addr, offset);
        } else {
            let (addr, offset) = self.address(memarg, u64::from(op.bytes()));
            let x = self.b.ins().load(sty, flags, addr, offset);
            let v = self.b.ins().insertlane(vector, x, lane);
            self.push_vector(v);
        }
    }

    fn lane_op(&mut self, op: LaneOp, lane: u8) {
        let (vty, narrow) = match op {
            LaneOp::I8x16ExtractLaneS | LaneOp::I8x16ExtractLaneU | LaneOp::I8x16ReplaceLane => {
                (I8, Some(types::I8))
            }
            LaneOp::I16x8ExtractLaneS | LaneOp::I16x8ExtractLaneU | LaneOp::I16x8ReplaceLane => {
                (I16, Some(types::I16))
            }
            LaneOp::I32x4ExtractLane | LaneOp::I32x4ReplaceLane => (I32, None),
            LaneOp::I64x2ExtractLane | LaneOp::I64x2ReplaceLane => (I64, None),
            LaneOp::F32x4ExtractLane | LaneOp::F32x4ReplaceLane => (F32, None),
            LaneOp::F64x2ExtractLane | LaneOp::F64x2ReplaceLane => (F64, None),
        };
        if op.is_replace() {
            let x = self.pop();
            let x = match narrow {
                Some(t) => self.b.ins().ireduce(t, x),
                None => x,
            };
            let vector = self.pop_as(vty);
            let v = self.b.ins().insertlane(vector, x, lane);
            self.push_vector(v);
            return;
        }
        let vector = self.pop_as(vty);
        let x = self.b.ins().extractlane(vector, lane);
        let x = match op {
            LaneOp::I8x16ExtractLaneS | LaneOp::I16x8ExtractLaneS => {
                self.b.ins().sextend(types::I32, x)
            }
            LaneOp::I8x16ExtractLaneU | LaneOp::I16x8ExtractLaneU => {
                self.b.ins().uextend(types::I32, x)
            }
            LaneOp::I32x4ExtractLane
            | LaneOp::I64x2ExtractLane
            | LaneOp::F32x4ExtractLane
            | LaneOp::F64x2ExtractLane
            | LaneOp::I8x16ReplaceLane
            | LaneOp::I16x8ReplaceLane
            | LaneOp::I32x4ReplaceLane
            | LaneOp::I64x2ReplaceLane
            | LaneOp::F32x4ReplaceLane
            | LaneOp::F64x2ReplaceLane => x,
        };
        self.stack.push(x);
    }

    /// Every vector operator: the match is exhaustive, so an operator added
    /// to the instruction set does not compile until it is lowered here.
    fn vector_op(&mut self, op: VecOp) {
        // `$f(a)` on a vector of `$ty`.
        macro_rules! un {
            ($ty:expr, $f:ident) => {{
                let a = self.pop_as($ty);
                let v = self.b.ins().$f(a);
                self.push_vector(v);
            }};
        }
        // `$f(a, b)` on vectors of `$ty`.
        macro_rules! bin {
            ($ty:expr, $f:ident) => {{
                let b = self.pop_as($ty);
                let a = self.pop_as($ty);
                let v = self.b.ins().$f(a, b);
                self.push_vector(v);
            }};
        }
        // A lane-wise integer comparison on vectors of `$ty`.
        macro_rules! icmp {
            ($ty:expr, $cc:expr) => {{
                let b = self.pop_as($ty);
                let a = self.pop_as($ty);
                let v = self.b.ins().icmp($cc, a, b);
                self.push_vector(v);
            }};
        }
        // A lane-wise float comparison on vectors of `$ty`.
        macro_rules! fcmp {
            ($ty:expr, $cc:expr) => {{
                let b = self.pop_as($ty);
                let a = self.pop_as($ty);
                let v = self.b.ins().fcmp($cc, a, b);
                self.push_vector(v);
            }};
        }
        // A shift of the lanes of `$ty` by a scalar (taken modulo the lane width).
        macro_rules! shift {
            ($ty:expr, $f:ident) => {{
                let n = self.pop();
                let a = self.pop_as($ty);
                let v = self.b.ins().$f(a, n);
                self.push_vector(v);
            }};
        }
        // A test of a whole vector, as an i32.
        macro_rules! test {
            ($ty:expr, $f:ident) => {{
                let a = self.pop_as($ty);
                let t = self.b.ins().$f(a);
                let v = self.b.ins().uextend(types::I32, t);
                self.stack.push(v);
            }};
        }
        // The lanes' sign bits, as an i32.
        macro_rules! bitmask {
            ($ty:expr) => {{
                let a = self.pop_as($ty);
                let v = self.b.ins().vhigh_bits(types::I32, a);
                self.stack.push(v);
            }};
        }
        // A scalar repeated in every lane of `$ty` (narrowed to `$lane` first).
        macro_rules! splat {
            ($ty:expr, $lane:expr) => {{
                let x = self.pop();
                let x = if $lane == types::I8 || $lane == types::I16 {
                    self.b.ins().ireduce($lane, x)
                } else {
                    x
                };
                let v = self.b.ins().splat($ty, x);
                self.push_vector(v);
            }};
        }
        // Widening (`$w` being `swiden_low`, ...) then multiplying lanes.
        macro_rules! extmul {
            ($ty:expr, $w:ident) => {{
                let b = self.pop_as($ty);
                let a = self.pop_as($ty);
                let a = self.b.ins().$w(a);
                let b = self.b.ins().$w(b);
                let v = self.b.ins().imul(a, b);
                self.push_vector(v);
            }};
        }
        // Adding pairs of neighbouring lanes of `$ty`, widened by `$lo`/`$hi`.
        macro_rules! pairwise {
            ($ty:expr, $lo:ident, $hi:ident) => {{
                let a = self.pop_as($ty);
                let lo = self.b.ins().$lo(a);
                let hi = self.b.ins().$hi(a);
                let v = self.b.ins().iadd_pairwise(lo, hi);
                self.push_vector(v);
            }};
        }
        // A lane-wise `b < a ? b : a` (`pmin`) or `a < b ? b : a` (`pmax`).
        macro_rules! pseudo {
            ($ty:expr, min) => {{
                let b = self.pop_as($ty);
                let a = self.pop_as($ty);
                let lt = self.b.ins().fcmp(FloatCC::LessThan, b, a);
                let lt = self.cast(lt, $ty);
                let v = self.b.ins().bitselect(lt, b, a);
                self.push_vector(v);
            }};
            ($ty:expr, max) => {{
                let b = self.pop_as($ty);
                let a = self.pop_as($ty);
                let lt = self.b.ins().fcmp(FloatCC::LessThan, a, b);
                let lt = self.cast(lt, $ty);
                let v = self.b.ins().bitselect(lt, b, a);
                self.push_vector(v);
            }};
        }
        use IntCC::*;
        match op {
            VecOp::V128Not => un!(V, bnot),
            VecOp::V128And => bin!(V, band),
            VecOp::V128AndNot => bin!(V, band_not),
            VecOp::V128Or => bin!(V, bor),
            VecOp::V128Xor => bin!(V, bxor),
            VecOp::V128Bitselect => {
                let c = self.pop_as(V);
                let b = self.pop_as(V);
                let a = self.pop_as(V);
                let v = self.b.ins().bitselect(c, a, b);
                self.push_vector(v);
            }
            VecOp::V128AnyTrue => test!(V, vany_true),
            VecOp::I8x16Swizzle => bin!(I8, swizzle),
            VecOp::I8x16Splat => splat!(I8, types::I8),
            VecOp::I16x8Splat => splat!(I16, types::I16),
            VecOp::I32x4Splat => splat!(I32, types::I32),
            VecOp::I64x2Splat => splat!(I64, types::I64),
            VecOp::F32x4Splat => splat!(F32, types::F32),
            VecOp::F64x2Splat => splat!(F64, types::F64),
            VecOp::I8x16Eq => icmp!(I8, Equal),
            VecOp::I8x16Ne => icmp!(I8, NotEqual),
            VecOp::I8x16LtS => icmp!(I8, SignedLessThan),
            VecOp::I8x16LtU => icmp!(I8, UnsignedLessThan),
            VecOp::I8x16GtS => icmp!(I8, SignedGreaterThan),
            VecOp::I8x16GtU => icmp!(I8, UnsignedGreaterThan),
            VecOp::I8x16LeS => icmp!(I8, SignedLessThanOrEqual),
            VecOp::I8x16LeU => icmp!(I8, UnsignedLessThanOrEqual),
            VecOp::I8x16GeS => icmp!(I8, SignedGreaterThanOrEqual),
            VecOp::I8x16GeU => icmp!(I8, UnsignedGreaterThanOrEqual),
            VecOp::I16x8Eq => icmp!(I16, Equal),
            VecOp::I16x8Ne => icmp!(I16, NotEqual),
            VecOp::I16x8LtS => icmp!(I16, SignedLessThan),
            VecOp::I16x8LtU => icmp!(I16, UnsignedLessThan),
            VecOp::I16x8GtS => icmp!(I16, SignedGreaterThan),
            VecOp::I16x8GtU => icmp!(I16, UnsignedGreaterThan),
            VecOp::I16x8LeS => icmp!(I16, SignedLessThanOrEqual),
            VecOp::I16x8LeU => icmp!(I16, UnsignedLessThanOrEqual),
            VecOp::I16x8GeS => icmp!(I16, SignedGreaterThanOrEqual),
            VecOp::I16x8GeU => icmp!(I16, UnsignedGreaterThanOrEqual),
            VecOp::I32x4Eq => icmp!(I32, Equal),
            VecOp::I32x4Ne => icmp!(I32, NotEqual),
            VecOp::I32x4LtS => icmp!(I32, SignedLessThan),
            VecOp::I32x4LtU => icmp!(I32, UnsignedLessThan),
            VecOp::I32x4GtS => icmp!(I32, SignedGreaterThan),
            VecOp::I32x4GtU => icmp!(I32, UnsignedGreaterThan),
            VecOp::I32x4LeS => icmp!(I32, SignedLessThanOrEqual),
            VecOp::I32x4LeU => icmp!(I32, UnsignedLessThanOrEqual),
            VecOp::I32x4GeS => icmp!(I32, SignedGreaterThanOrEqual),
            VecOp::I32x4GeU => icmp!(I32, UnsignedGreaterThanOrEqual),
            VecOp::I64x2Eq => icmp!(I64, Equal),
            VecOp::I64x2Ne => icmp!(I64, NotEqual),
            VecOp::I64x2LtS => icmp!(I64, SignedLessThan),
            VecOp::I64x2GtS => icmp!(I64, SignedGreaterThan),
            VecOp::I64x2LeS => icmp!(I64, SignedLessThanOrEqual),
            VecOp::I64x2GeS => icmp!(I64, SignedGreaterThanOrEqual),
            VecOp::F32x4Eq => fcmp!(F32, FloatCC::Equal),
            VecOp::F32x4Ne => fcmp!(F32, FloatCC::NotEqual),
            VecOp::F32x4Lt => fcmp!(F32, FloatCC::LessThan),
            VecOp::F32x4Gt => fcmp!(F32, FloatCC::GreaterThan),
            VecOp::F32x4Le => fcmp!(F32, FloatCC::LessThanOrEqual),
            VecOp::F32x4Ge => fcmp!(F32, FloatCC::GreaterThanOrEqual),
            VecOp::F64x2Eq => fcmp!(F64, FloatCC::Equal),
            VecOp::F64x2Ne => fcmp!(F64, FloatCC::NotEqual),
            VecOp::F64x2Lt => fcmp!(F64, FloatCC::LessThan),
            VecOp::F64x2Gt => fcmp!(F64, FloatCC::GreaterThan),
            VecOp::F64x2Le => fcmp!(F64, FloatCC::LessThanOrEqual),
            VecOp::F64x2Ge => fcmp!(F64, FloatCC::GreaterThanOrEqual),
            VecOp::I8x16Abs => un!(I8, iabs),
            VecOp::I8x16Neg => un!(I8, ineg),
            VecOp::I8x16Popcnt => un!(I8, popcnt),
            VecOp::I8x16AllTrue => test!(I8, vall_true),
            VecOp::I8x16Bitmask => bitmask!(I8),
            VecOp::I8x16NarrowI16x8S => bin!(I16, snarrow),
            VecOp::I8x16NarrowI16x8U => bin!(I16, unarrow),
            VecOp::I8x16Shl => shift!(I8, ishl),
            VecOp::I8x16ShrS => shift!(I8, sshr),
            VecOp::I8x16ShrU => shift!(I8, ushr),
            VecOp::I8x16Add => bin!(I8, iadd),
            VecOp::I8x16AddSatS => bin!(I8, sadd_sat),
            VecOp::I8x16AddSatU => bin!(I8, uadd_sat),
            VecOp::I8x16Sub => bin!(I8, isub),
            VecOp::I8x16SubSatS => bin!(I8, ssub_sat),
            VecOp::I8x16SubSatU => bin!(I8, usub_sat),
            VecOp::I8x16MinS => bin!(I8, smin),
            VecOp::I8x16MinU => bin!(I8, umin),
            VecOp::I8x16MaxS => bin!(I8, smax),
            VecOp::I8x16MaxU => bin!(I8, umax),
            VecOp::I8x16AvgrU => bin!(I8, avg_round),
            VecOp::I16x8ExtAddPairwiseI8x16S => pairwise!(I8, swiden_low, swiden_high),
            VecOp::I16x8ExtAddPairwiseI8x16U => pairwise!(I8, uwiden_low, uwiden_high),
            VecOp::I16x8Abs => un!(I16, iabs),
            VecOp::I16x8Neg => un!(I16, ineg),
            VecOp::I16x8Q15MulrSatS => bin!(I16, sqmul_round_sat),
            VecOp::I16x8AllTrue => test!(I16, vall_true),
            VecOp::I16x8Bitmask => bitmask!(I16),
            VecOp::I16x8NarrowI32x4S => bin!(I32, snarrow),
            VecOp::I16x8NarrowI32x4U => bin!(I32, unarrow),
            VecOp::I16x8ExtendLowI8x16S => un!(I8, swiden_low),
            VecOp::I16x8ExtendHighI8x16S => un!(I8, swiden_high),
            VecOp::I16x8ExtendLowI8x16U => un!(I8, uwiden_low),
            VecOp::I16x8ExtendHighI8x16U => un!(I8, uwiden_high),
            VecOp::I16x8Shl => shift!(I16, ishl),
            VecOp::I16x8ShrS => shift!(I16, sshr),
            VecOp::I16x8ShrU => shift!(I16, ushr),
            VecOp::I16x8Add => bin!(I16, iadd),
            VecOp::I16x8AddSatS => bin!(I16, sadd_sat),
            VecOp::I16x8AddSatU => bin!(I16, uadd_sat),
            VecOp::I16x8Sub => bin!(I16, isub),
            VecOp::I16x8SubSatS => bin!(I16, ssub_sat),
            VecOp::I16x8SubSatU => bin!(I16, usub_sat),
            VecOp::I16x8Mul => bin!(I16, imul),
            VecOp::I16x8MinS => bin!(I16, smin),
            VecOp::I16x8MinU => bin!(I16, umin),
            VecOp::I16x8MaxS => bin!(I16, smax),
            VecOp::I16x8MaxU => bin!(I16, umax),
            VecOp::I16x8AvgrU => bin!(I16, avg_round),
            VecOp::I16x8ExtMulLowI8x16S => extmul!(I8, swiden_low),
            VecOp::I16x8ExtMulHighI8x16S => extmul!(I8, swiden_high),
            VecOp::I16x8ExtMulLowI8x16U => extmul!(I8, uwiden_low),
            VecOp::I16x8ExtMulHighI8x16U => extmul!(I8, uwiden_high),
            VecOp::I32x4ExtAddPairwiseI16x8S => pairwise!(I16, swiden_low, swiden_high),
            VecOp::I32x4ExtAddPairwiseI16x8U => pairwise!(I16, uwiden_low, uwiden_high),
            VecOp::I32x4Abs => un!(I32, iabs),
            VecOp::I32x4Neg => un!(I32, ineg),
            VecOp::I32x4AllTrue => test!(I32, vall_true),
            VecOp::I32x4Bitmask => bitmask!(I32),
            VecOp::I32x4ExtendLowI16x8S => un!(I16, swiden_low),
            VecOp::I32x4ExtendHighI16x8S => un!(I16, swiden_high),
            VecOp::I32x4ExtendLowI16x8U => un!(I16, uwiden_low),
            VecOp::I32x4ExtendHighI16x8U => un!(I16, uwiden_high),
            VecOp::I32x4Shl => shift!(I32, ishl),
            VecOp::I32x4ShrS => shift!(I32, sshr),
            VecOp::I32x4ShrU => shift!(I32, ushr),
            VecOp::I32x4Add => bin!(I32, iadd),
            VecOp::I32x4Sub => bin!(I32, isub),
            VecOp::I32x4Mul => bin!(I32, imul),
            VecOp::I32x4MinS => bin!(I32, smin),
            VecOp::I32x4MinU => bin!(I32, umin),
            VecOp::I32x4MaxS => bin!(I32, smax),
            VecOp::I32x4MaxU => bin!(I32, umax),
            VecOp::I32x4DotI16x8S => {
                let b = self.pop_as(I16);
                let a = self.pop_as(I16);
                let (al, ah) = (self.b.ins().swiden_low(a), self.b.ins().swiden_high(a));
                let (bl, bh) = (self.b.ins().swiden_low(b), self.b.ins().swiden_high(b));
                let lo = self.b.ins().imul(al, bl);
                let hi = self.b.ins().imul(ah, bh);
                let v = self.b.ins().iadd_pairwise(lo, hi);
                self.push_vector(v);
            }
            VecOp::I32x4ExtMulLowI16x8S => extmul!(I16, swiden_low),
            VecOp::I32x4ExtMulHighI16x8S => extmul!(I16, swiden_high),
            VecOp::I32x4ExtMulLowI16x8U => extmul!(I16, uwiden_low),
            VecOp::I32x4ExtMulHighI16x8U => extmul!(I16, uwiden_high),
            VecOp::I64x2Abs => un!(I64, iabs),
            VecOp::I64x2Neg => un!(I64, ineg),
            VecOp::I64x2AllTrue => test!(I64, vall_true),
            VecOp::I64x2Bitmask => bitmask!(I64),
            VecOp::I64x2ExtendLowI32x4S => un!(I32, swiden_low),
            VecOp::I64x2ExtendHighI32x4S => un!(I32, swiden_high),
            VecOp::I64x2ExtendLowI32x4U => un!(I32, uwiden_low),
            VecOp::I64x2ExtendHighI32x4U => un!(I32, uwiden_high),
            VecOp::I64x2Shl => shift!(I64, ishl),
            VecOp::I64x2ShrS => shift!(I64, sshr),
            VecOp::I64x2ShrU => shift!(I64, ushr),
            VecOp::I64x2Add => bin!(I64, iadd),
            VecOp::I64x2Sub => bin!(I64, isub),
            VecOp::I64x2Mul => bin!(I64, imul),
            VecOp::I64x2ExtMulLowI32x4S => extmul!(I32, swiden_low),
            VecOp::I64x2ExtMulHighI32x4S => extmul!(I32, swiden_high),
            VecOp::I64x2ExtMulLowI32x4U => extmul!(I32, uwiden_low),
            VecOp::I64x2ExtMulHighI32x4U => extmul!(I32, uwiden_high),
            VecOp::F32x4Ceil => un!(F32, ceil),
            VecOp::F32x4Floor => un!(F32, floor),
            VecOp::F32x4Trunc => un!(F32, trunc),
            VecOp::F32x4Nearest => un!(F32, nearest),
            VecOp::F32x4Abs => un!(F32, fabs),
            VecOp::F32x4Neg => un!(F32, fneg),
            VecOp::F32x4Sqrt => un!(F32, sqrt),
            VecOp::F32x4Add => bin!(F32, fadd),
            VecOp::F32x4Sub => bin!(F32, fsub),
            VecOp::F32x4Mul => bin!(F32, fmul),
            VecOp::F32x4Div => bin!(F32, fdiv),
            VecOp::F32x4Min => bin!(F32, fmin),
            VecOp::F32x4Max => bin!(F32, fmax),
            VecOp::F32x4PMin => pseudo!(F32, min),
            VecOp::F32x4PMax => pseudo!(F32, max),
            VecOp::F64x2Ceil => un!(F64, ceil),
            VecOp::F64x2Floor => un!(F64, floor),
            VecOp::F64x2Trunc => un!(F64, trunc),
            VecOp::F64x2Nearest => un!(F64, nearest),
            VecOp::F64x2Abs => un!(F64, fabs),
            VecOp::F64x2Neg => un!(F64, fneg),
            VecOp::F64x2Sqrt => un!(F64, sqrt),
            VecOp::F64x2Add => bin!(F64, fadd),
            VecOp::F64x2Sub => bin!(F64, fsub),
            VecOp::F64x2Mul => bin!(F64, fmul),
            VecOp::F64x2Div => bin!(F64, fdiv),
            VecOp::F64x2Min => bin!(F64, fmin),
            VecOp::F64x2Max => bin!(F64, fmax),
            VecOp::F64x2PMin => pseudo!(F64, min),
            VecOp::F64x2PMax => pseudo!(F64, max),
            VecOp::I32x4TruncSatF32x4S => {
                let a = self.pop_as(F32);
                let v = self.b.ins().fcvt_to_sint_sat(I32, a);
                self.push_vector(v);
            }
            VecOp::I32x4TruncSatF32x4U => {
                let a = self.pop_as(F32);
                let v = self.b.ins().fcvt_to_uint_sat(I32, a);
                self.push_vector(v);
            }
            VecOp::F32x4ConvertI32x4S => {
                let a = self.pop_as(I32);
                let v = self.b.ins().fcvt_from_sint(F32, a);
                self.push_vector(v);
            }
            VecOp::F32x4ConvertI32x4U => {
                let a = self.pop_as(I32);
                let v = self.b.ins().fcvt_from_uint(F32, a);
                self.push_vector(v);
            }
            VecOp::I32x4TruncSatF64x2SZero => {
                let a = self.pop_as(F64);
                let wide = self.b.ins().fcvt_to_sint_sat(I64, a);
                let zero = self.b.ins().iconst(types::I64, 0);
                let zero = self.b.ins().splat(I64, zero);
                let v = self.b.ins().snarrow(wide, zero);
                self.push_vector(v);
            }
            VecOp::I32x4TruncSatF64x2UZero => {
                let a = self.pop_as(F64);
                let wide = self.b.ins().fcvt_to_uint_sat(I64, a);
                let zero = self.b.ins().iconst(types::I64, 0);
                let zero = self.b.ins().splat(I64, zero);
                let v = self.b.ins().uunarrow(wide, zero);
                self.push_vector(v);
            }
            VecOp::F64x2ConvertLowI32x4S => {
                let a = self.pop_as(I32);
                let wide = self.b.ins().swiden_low(a);
                let v = self.b.ins().fcvt_from_sint(F64, wide);
                self.push_vector(v);
            }
            VecOp::F64x2ConvertLowI32x4U => {
                let a = self.pop_as(I32);
                let wide = self.b.ins().uwiden_low(a);
                let v = self.b.ins().fcvt_from_uint(F64, wide);
                self.push_vector(v);
            }
            VecOp::F32x4DemoteF64x2Zero => un!(F64, fvdemote),
            VecOp::F64x2PromoteLowF32x4 => un!(F32, fvpromote_low),
            // Relaxed SIMD: Skiff's choices, as `skiff_vm::isa` documents them.
            VecOp::I8x16RelaxedSwizzle => self.vector_op(VecOp::I8x16Swizzle),
            VecOp::I32x4RelaxedTruncF32x4S => self.vector_op(VecOp::I32x4TruncSatF32x4S),
            VecOp::I32x4RelaxedTruncF32x4U => self.vector_op(VecOp::I32x4TruncSatF32x4U),
            VecOp::I32x4RelaxedTruncF64x2SZero => self.vector_op(VecOp::I32x4TruncSatF64x2SZero),
            VecOp::I32x4RelaxedTruncF64x2UZero => self.vector_op(VecOp::I32x4TruncSatF64x2UZero),
            VecOp::F32x4RelaxedMadd => self.madd(F32, false),
            VecOp::F32x4RelaxedNmadd => self.madd(F32, true),
            VecOp::F64x2RelaxedMadd => self.madd(F64, false),
            VecOp::F64x2RelaxedNmadd => self.madd(F64, true),
            VecOp::I8x16RelaxedLaneselect
            | VecOp::I16x8RelaxedLaneselect
            | VecOp::I32x4RelaxedLaneselect
            | VecOp::I64x2RelaxedLaneselect => self.vector_op(VecOp::V128Bitselect),
            VecOp::F32x4RelaxedMin => self.relaxed_min_max(F32, true),
            VecOp::F32x4RelaxedMax => self.relaxed_min_max(F32, false),
            VecOp::F64x2RelaxedMin => self.relaxed_min_max(F64, true),
            VecOp::F64x2RelaxedMax => self.relaxed_min_max(F64, false),
            VecOp::I16x8RelaxedQ15mulrS => self.vector_op(VecOp::I16x8Q15MulrSatS),
            VecOp::I16x8RelaxedDotI8x16I7x16S => {
                let b = self.pop_as(I8);
                let a = self.pop_as(I8);
                let v = self.dot_i8x16(a, b);
                self.push_vector(v);
            }
            VecOp::I32x4RelaxedDotI8x16I7x16AddS => {
                let c = self.pop_as(I32);
                let b = self.pop_as(I8);
                let a = self.pop_as(I8);
                let d = self.dot_i8x16(a, b);
                let (lo, hi) = (self.b.ins().swiden_low(d), self.b.ins().swiden_high(d));
                let sum = self.b.ins().iadd_pairwise(lo, hi);
                let v = self.b.ins().iadd(sum, c);
                self.push_vector(v);
            }
        }
    }

    /// `a * b + c` (or `-(a * b) + c`), rounded after each operation.
    fn madd(&mut self, ty: Type, negate: bool) {
        let c = self.pop_as(ty);
        let b = self.pop_as(ty);
        let a = self.pop_as(ty);
        let p = self.b.ins().fmul(a, b);
        let p = if negate { self.b.ins().fneg(p) } else { p };
        let v = self.b.ins().fadd(p, c);
        self.push_vector(v);
    }

    /// The signed products of the lane pairs of `a` and `b` (`i8x16`), each
    /// pair summed wrapping to 16 bits.
    fn dot_i8x16(&mut self, a: Value, b: Value) -> Value {
        let (al, ah) = (self.b.ins().swiden_low(a), self.b.ins().swiden_high(a));
        let (bl, bh) = (self.b.ins().swiden_low(b), self.b.ins().swiden_high(b));
        let lo = self.b.ins().imul(al, bl);
        let hi = self.b.ins().imul(ah, bh);
        self.b.ins().iadd_pairwise(lo, hi)
    }
}
