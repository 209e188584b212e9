//! Vector (128-bit SIMD) instructions, relaxed SIMD included.
//!
//! Relaxed SIMD lets an engine choose among several results per
//! instruction; Skiff makes one choice per instruction, the same on every
//! tier (so they agree with each other, and runs are reproducible):
//!
//! | instruction | Skiff's choice |
//! | --- | --- |
//! | `i8x16.relaxed_swizzle` | `i8x16.swizzle` (an index above 15 gives 0) |
//! | `i32x4.relaxed_trunc_*` | the saturating `i32x4.trunc_sat_*` (NaN gives 0) |
//! | `f32x4/f64x2.relaxed_madd`, `relaxed_nmadd` | `a * b + c` and `-(a * b) + c`, rounded after each operation (not fused) |
//! | `*.relaxed_laneselect` | `v128.bitselect` (every bit chosen by the mask's bit) |
//! | `f32x4/f64x2.relaxed_min`, `relaxed_max` | `min` and `max` (NaN propagates, -0 below +0) |
//! | `i16x8.relaxed_q15mulr_s` | `i16x8.q15mulr_sat_s` (saturating) |
//! | `i16x8.relaxed_dot_i8x16_i7x16_s` | signed products of lane pairs, summed wrapping to 16 bits |
//! | `i32x4.relaxed_dot_i8x16_i7x16_add_s` | that 16-bit dot product, its pairs summed to 32 bits, plus the accumulator (wrapping) |

use super::memory::MemArg;
use super::numeric::Signature;
use crate::types::ValType;

/// Calls `$m!` with every vector operator that takes its operands from the
/// stack and pushes one result, as `Name(operand types) -> result type`.
/// Names are the instructions' names in CamelCase, as the decoder spells them.
#[macro_export]
macro_rules! for_each_vec_op {
    ($m:ident) => {
        $m! {
            V128Not(v128) -> v128,
            V128And(v128, v128) -> v128,
            V128AndNot(v128, v128) -> v128,
            V128Or(v128, v128) -> v128,
            V128Xor(v128, v128) -> v128,
            V128Bitselect(v128, v128, v128) -> v128,
            V128AnyTrue(v128) -> i32,
            I8x16Swizzle(v128, v128) -> v128,
            I8x16Splat(i32) -> v128,
            I16x8Splat(i32) -> v128,
            I32x4Splat(i32) -> v128,
            I64x2Splat(i64) -> v128,
            F32x4Splat(f32) -> v128,
            F64x2Splat(f64) -> v128,
            I8x16Eq(v128, v128) -> v128,
            I8x16Ne(v128, v128) -> v128,
            I8x16LtS(v128, v128) -> v128,
            I8x16LtU(v128, v128) -> v128,
            I8x16GtS(v128, v128) -> v128,
            I8x16GtU(v128, v128) -> v128,
            I8x16LeS(v128, v128) -> v128,
            I8x16LeU(v128, v128) -> v128,
            I8x16GeS(v128, v128) -> v128,
            I8x16GeU(v128, v128) -> v128,
            I16x8Eq(v128, v128) -> v128,
            I16x8Ne(v128, v128) -> v128,
            I16x8LtS(v128, v128) -> v128,
            I16x8LtU(v128, v128) -> v128,
            I16x8GtS(v128, v128) -> v128,
            I16x8GtU(v128, v128) -> v128,
            I16x8LeS(v128, v128) -> v128,
            I16x8LeU(v128, v128) -> v128,
            I16x8GeS(v128, v128) -> v128,
            I16x8GeU(v128, v128) -> v128,
            I32x4Eq(v128, v128) -> v128,
            I32x4Ne(v128, v128) -> v128,
            I32x4LtS(v128, v128) -> v128,
            I32x4LtU(v128, v128) -> v128,
            I32x4GtS(v128, v128) -> v128,
            I32x4GtU(v128, v128) -> v128,
            I32x4LeS(v128, v128) -> v128,
            I32x4LeU(v128, v128) -> v128,
            I32x4GeS(v128, v128) -> v128,
            I32x4GeU(v128, v128) -> v128,
            I64x2Eq(v128, v128) -> v128,
            I64x2Ne(v128, v128) -> v128,
            I64x2LtS(v128, v128) -> v128,
            I64x2GtS(v128, v128) -> v128,
            I64x2LeS(v128, v128) -> v128,
            I64x2GeS(v128, v128) -> v128,
            F32x4Eq(v128, v128) -> v128,
            F32x4Ne(v128, v128) -> v128,
            F32x4Lt(v128, v128) -> v128,
            F32x4Gt(v128, v128) -> v128,
            F32x4Le(v128, v128) -> v128,
            F32x4Ge(v128, v128) -> v128,
            F64x2Eq(v128, v128) -> v128,
            F64x2Ne(v128, v128) -> v128,
            F64x2Lt(v128, v128) -> v128,
            F64x2Gt(v128, v128) -> v128,
            F64x2Le(v128, v128) -> v128,
            F64x2Ge(v128, v128) -> v128,
            I8x16Abs(v128) -> v128,
            I8x16Neg(v128) -> v128,
            I8x16Popcnt(v128) -> v128,
            I8x16AllTrue(v128) -> i32,
            I8x16Bitmask(v128) -> i32,
            I8x16NarrowI16x8S(v128, v128) -> v128,
            I8x16NarrowI16x8U(v128, v128) -> v128,
            I8x16Shl(v128, i32) -> v128,
            I8x16ShrS(v128, i32) -> v128,
            I8x16ShrU(v128, i32) -> v128,
            I8x16Add(v128, v128) -> v128,
            I8x16AddSatS(v128, v128) -> v128,
            I8x16AddSatU(v128, v128) -> v128,
            I8x16Sub(v128, v128) -> v128,
            I8x16SubSatS(v128, v128) -> v128,
            I8x16SubSatU(v128, v128) -> v128,
            I8x16MinS(v128, v128) -> v128,
            I8x16MinU(v128, v128) -> v128,
            I8x16MaxS(v128, v128) -> v128,
            I8x16MaxU(v128, v128) -> v128,
            I8x16AvgrU(v128, v128) -> v128,
            I16x8ExtAddPairwiseI8x16S(v128) -> v128,
            I16x8ExtAddPairwiseI8x16U(v128) -> v128,
            I16x8Abs(v128) -> v128,
            I16x8Neg(v128) -> v128,
            I16x8Q15MulrSatS(v128, v128) -> v128,
            I16x8AllTrue(v128) -> i32,
            I16x8Bitmask(v128) -> i32,
            I16x8NarrowI32x4S(v128, v128) -> v128,
            I16x8NarrowI32x4U(v128, v128) -> v128,
            I16x8ExtendLowI8x16S(v128) -> v128,
            I16x8ExtendHighI8x16S(v128) -> v128,
            I16x8ExtendLowI8x16U(v128) -> v128,
            I16x8ExtendHighI8x16U(v128) -> v128,
            I16x8Shl(v128, i32) -> v128,
            I16x8ShrS(v128, i32) -> v128,
            I16x8ShrU(v128, i32) -> v128,
            I16x8Add(v128, v128) -> v128,
            I16x8AddSatS(v128, v128) -> v128,
            I16x8AddSatU(v128, v128) -> v128,
            I16x8Sub(v128, v128) -> v128,
            I16x8SubSatS(v128, v128) -> v128,
            I16x8SubSatU(v128, v128) -> v128,
            I16x8Mul(v128, v128) -> v128,
            I16x8MinS(v128, v128) -> v128,
            I16x8MinU(v128, v128) -> v128,
            I16x8MaxS(v128, v128) -> v128,
            I16x8MaxU(v128, v128) -> v128,
            I16x8AvgrU(v128, v128) -> v128,
            I16x8ExtMulLowI8x16S(v128, v128) -> v128,
            I16x8ExtMulHighI8x16S(v128, v128) -> v128,
            I16x8ExtMulLowI8x16U(v128, v128) -> v128,
            I16x8ExtMulHighI8x16U(v128, v128) -> v128,
            I32x4ExtAddPairwiseI16x8S(v128) -> v128,
            I32x4ExtAddPairwiseI16x8U(v128) -> v128,
            I32x4Abs(v128) -> v128,
            I32x4Neg(v128) -> v128,
            I32x4AllTrue(v128) -> i32,
            I32x4Bitmask(v128) -> i32,
            I32x4ExtendLowI16x8S(v128) -> v128,
            I32x4ExtendHighI16x8S(v128) -> v128,
            I32x4ExtendLowI16x8U(v128) -> v128,
            I32x4ExtendHighI16x8U(v128) -> v128,
            I32x4Shl(v128, i32) -> v128,
            I32x4ShrS(v128, i32) -> v128,
            I32x4ShrU(v128, i32) -> v128,
            I32x4Add(v128, v128) -> v128,
            I32x4Sub(v128, v128) -> v128,
            I32x4Mul(v128, v128) -> v128,
            I32x4MinS(v128, v128) -> v128,
            I32x4MinU(v128, v128) -> v128,
            I32x4MaxS(v128, v128) -> v128,
            I32x4MaxU(v128, v128) -> v128,
            I32x4DotI16x8S(v128, v128) -> v128,
            I32x4ExtMulLowI16x8S(v128, v128) -> v128,
            I32x4ExtMulHighI16x8S(v128, v128) -> v128,
            I32x4ExtMulLowI16x8U(v128, v128) -> v128,
            I32x4ExtMulHighI16x8U(v128, v128) -> v128,
            I64x2Abs(v128) -> v128,
            I64x2Neg(v128) -> v128,
            I64x2AllTrue(v128) -> i32,
            I64x2Bitmask(v128) -> i32,
            I64x2ExtendLowI32x4S(v128) -> v128,
            I64x2ExtendHighI32x4S(v128) -> v128,
            I64x2ExtendLowI32x4U(v128) -> v128,
            I64x2ExtendHighI32x4U(v128) -> v128,
            I64x2Shl(v128, i32) -> v128,
            I64x2ShrS(v128, i32) -> v128,
            I64x2ShrU(v128, i32) -> v128,
            I64x2Add(v128, v128) -> v128,
            I64x2Sub(v128, v128) -> v128,
            I64x2Mul(v128, v128) -> v128,
            I64x2ExtMulLowI32x4S(v128, v128) -> v128,
            I64x2ExtMulHighI32x4S(v128, v128) -> v128,
            I64x2ExtMulLowI32x4U(v128, v128) -> v128,
            I64x2ExtMulHighI32x4U(v128, v128) -> v128,
            F32x4Ceil(v128) -> v128,
            F32x4Floor(v128) -> v128,
            F32x4Trunc(v128) -> v128,
            F32x4Nearest(v128) -> v128,
            F32x4Abs(v128) -> v128,
            F32x4Neg(v128) -> v128,
            F32x4Sqrt(v128) -> v128,
            F32x4Add(v128, v128) -> v128,
            F32x4Sub(v128, v128) -> v128,
            F32x4Mul(v128, v128) -> v128,
            F32x4Div(v128, v128) -> v128,
            F32x4Min(v128, v128) -> v128,
            F32x4Max(v128, v128) -> v128,
            F32x4PMin(v128, v128) -> v128,
            F32x4PMax(v128, v128) -> v128,
            F64x2Ceil(v128) -> v128,
            F64x2Floor(v128) -> v128,
            F64x2Trunc(v128) -> v128,
            F64x2Nearest(v128) -> v128,
            F64x2Abs(v128) -> v128,
            F64x2Neg(v128) -> v128,
            F64x2Sqrt(v128) -> v128,
            F64x2Add(v128, v128) -> v128,
            F64x2Sub(v128, v128) -> v128,
            F64x2Mul(v128, v128) -> v128,
            F64x2Div(v128, v128) -> v128,
            F64x2Min(v128, v128) -> v128,
            F64x2Max(v128, v128) -> v128,
            F64x2PMin(v128, v128) -> v128,
            F64x2PMax(v128, v128) -> v128,
            I32x4TruncSatF32x4S(v128) -> v128,
            I32x4TruncSatF32x4U(v128) -> v128,
            F32x4ConvertI32x4S(v128) -> v128,
            F32x4ConvertI32x4U(v128) -> v128,
            I32x4TruncSatF64x2SZero(v128) -> v128,
            I32x4TruncSatF64x2UZero(v128) -> v128,
            F64x2ConvertLowI32x4S(v128) -> v128,
            F64x2ConvertLowI32x4U(v128) -> v128,
            F32x4DemoteF64x2Zero(v128) -> v128,
            F64x2PromoteLowF32x4(v128) -> v128,
            // relaxed SIMD (WebAssembly 3.0)
            I8x16RelaxedSwizzle(v128, v128) -> v128,
            I32x4RelaxedTruncF32x4S(v128) -> v128,
            I32x4RelaxedTruncF32x4U(v128) -> v128,
            I32x4RelaxedTruncF64x2SZero(v128) -> v128,
            I32x4RelaxedTruncF64x2UZero(v128) -> v128,
            F32x4RelaxedMadd(v128, v128, v128) -> v128,
            F32x4RelaxedNmadd(v128, v128, v128) -> v128,
            F64x2RelaxedMadd(v128, v128, v128) -> v128,
            F64x2RelaxedNmadd(v128, v128, v128) -> v128,
            I8x16RelaxedLaneselect(v128, v128, v128) -> v128,
            I16x8RelaxedLaneselect(v128, v128, v128) -> v128,
            I32x4RelaxedLaneselect(v128, v128, v128) -> v128,
            I64x2RelaxedLaneselect(v128, v128, v128) -> v128,
            F32x4RelaxedMin(v128, v128) -> v128,
            F32x4RelaxedMax(v128, v128) -> v128,
            F64x2RelaxedMin(v128, v128) -> v128,
            F64x2RelaxedMax(v128, v128) -> v128,
            I16x8RelaxedQ15mulrS(v128, v128) -> v128,
            I16x8RelaxedDotI8x16I7x16S(v128, v128) -> v128,
            I32x4RelaxedDotI8x16I7x16AddS(v128, v128, v128) -> v128,
        }
    };
}

macro_rules! define_vec_op {
    ($($name:ident($($param:ident),*) -> $result:ident,)*) => {
        /// A vector operator on the stack. Its discriminant is its index in
        /// [`VecOp::ALL`].
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr(u8)]
        pub enum VecOp {
            $(
                #[allow(missing_docs)]
                $name,
            )*
        }

        impl VecOp {
            /// Every vector operator.
            pub const ALL: &'static [VecOp] = &[$(VecOp::$name),*];

            /// Its operand and result types.
            #[inline]
            pub fn signature(self) -> Signature {
                match self {
                    $(VecOp::$name => Signature {
                        params: &[$($crate::isa_val_type!($param)),*],
                        result: $crate::isa_val_type!($result),
                    },)*
                }
            }
        }
    };
}

for_each_vec_op!(define_vec_op);

/// Calls `$m!` with every vector load as `Name: bytes read`, then the lane
/// accesses as `Name: lane bytes`, then the lane operators as `Name: lanes,
/// scalar type`.
#[macro_export]
macro_rules! for_each_vec_access {
    ($m:ident) => {
        $m! {
            load {
                V128Load: 16,
                V128Load8x8S: 8,
                V128Load8x8U: 8,
                V128Load16x4S: 8,
                V128Load16x4U: 8,
                V128Load32x2S: 8,
                V128Load32x2U: 8,
                V128Load8Splat: 1,
                V128Load16Splat: 2,
                V128Load32Splat: 4,
                V128Load64Splat: 8,
                V128Load32Zero: 4,
                V128Load64Zero: 8,
            }
            load_lane {
                V128Load8Lane: 1,
                V128Load16Lane: 2,
                V128Load32Lane: 4,
                V128Load64Lane: 8,
            }
            store_lane {
                V128Store8Lane: 1,
                V128Store16Lane: 2,
                V128Store32Lane: 4,
                V128Store64Lane: 8,
            }
            extract_lane {
                I8x16ExtractLaneS: 16, i32,
                I8x16ExtractLaneU: 16, i32,
                I16x8ExtractLaneS: 8, i32,
                I16x8ExtractLaneU: 8, i32,
                I32x4ExtractLane: 4, i32,
                I64x2ExtractLane: 2, i64,
                F32x4ExtractLane: 4, f32,
                F64x2ExtractLane: 2, f64,
            }
            replace_lane {
                I8x16ReplaceLane: 16, i32,
                I16x8ReplaceLane: 8, i32,
                I32x4ReplaceLane: 4, i32,
                I64x2ReplaceLane: 2, i64,
                F32x4ReplaceLane: 4, f32,
                F64x2ReplaceLane: 2, f64,
            }
        }
    };
}

macro_rules! define_vec_access {
    (
        load { $($load:ident: $lbytes:literal,)* }
        load_lane { $($load_lane:ident: $llbytes:literal,)* }
        store_lane { $($store_lane:ident: $slbytes:literal,)* }
        extract_lane { $($extract:ident: $elanes:literal, $et:ident,)* }
        replace_lane { $($replace:ident: $rlanes:literal, $rt:ident,)* }
    ) => {
        /// A vector load (`v128.load` and its extending, splatting and zeroing forms).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr(u8)]
        pub enum VecLoad {
            $(
                #[allow(missing_docs)]
                $load,
            )*
        }

        impl VecLoad {
            /// Every vector load; a load's discriminant is its index here.
            pub const ALL: &'static [VecLoad] = &[$(VecLoad::$load),*];

            /// How many bytes it reads.
            #[inline]
            pub fn bytes(self) -> u32 {
                match self { $(VecLoad::$load => $lbytes,)* }
            }
        }

        /// An access to one lane of a vector in memory: the lane's width.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum LaneAccess {
            $(
                #[allow(missing_docs)]
                $load_lane,
            )*
            $(
                #[allow(missing_docs)]
                $store_lane,
            )*
        }

        impl LaneAccess {
            /// The lane's width in bytes.
            pub fn bytes(self) -> u32 {
                match self {
                    $(LaneAccess::$load_lane => $llbytes,)*
                    $(LaneAccess::$store_lane => $slbytes,)*
                }
            }

            /// Whether it stores (else it loads).
            pub fn is_store(self) -> bool {
                match self {
                    $(LaneAccess::$load_lane => false,)*
                    $(LaneAccess::$store_lane => true,)*
                }
            }
        }

        /// A lane operator: extracting a lane to a scalar, or replacing one.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum LaneOp {
            $(
                #[allow(missing_docs)]
                $extract,
            )*
            $(
                #[allow(missing_docs)]
                $replace,
            )*
        }

        impl LaneOp {
            /// Every lane operator, extractions first, in the order of the
            /// list (an operator's index is `op as usize`).
            pub const ALL: &'static [LaneOp] = &[$(LaneOp::$extract,)* $(LaneOp::$replace),*];

            /// The number of lanes of its shape.
            pub fn lanes(self) -> u8 {
                match self {
                    $(LaneOp::$extract => $elanes,)*
                    $(LaneOp::$replace => $rlanes,)*
                }
            }

            /// The scalar type of a lane.
            pub fn scalar(self) -> ValType {
                match self {
                    $(LaneOp::$extract => $crate::isa_val_type!($et),)*
                    $(LaneOp::$replace => $crate::isa_val_type!($rt),)*
                }
            }

            /// The width of a lane in bytes.
            pub fn lane_bytes(self) -> u8 {
                16 / self.lanes()
            }

            /// Whether it replaces a lane (else it extracts one).
            pub fn is_replace(self) -> bool {
                match self {
                    $(LaneOp::$extract => false,)*
                    $(LaneOp::$replace => true,)*
                }
            }
        }
    };
}

for_each_vec_access!(define_vec_access);

/// A vector instruction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vector {
    /// `v128.const`.
    Const(u128),
    /// `i8x16.shuffle` with its 16 lane indices.
    Shuffle([u8; 16]),
    /// A load.
    Load(VecLoad, MemArg),
    /// `v128.store`.
    Store(MemArg),
    /// A load or store of one lane.
    Lane {
        /// Which access.
        op: LaneAccess,
        /// Where.
        memarg: MemArg,
        /// The lane.
        lane: u8,
    },
    /// Extracting or replacing lane `lane`.
    LaneOp {
        /// Which operator.
        op: LaneOp,
        /// The lane.
        lane: u8,
    },
    /// An operator on the stack.
    Op(VecOp),
}
