//! Numeric instructions: constants, and the operators that pop their
//! operands and push one result.

use crate::types::ValType;

/// The operand and result types of a stack operator: it pops `params` (the
/// last one on top) and pushes `result`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signature {
    /// The operands' types, deepest first.
    pub params: &'static [ValType],
    /// The result's type.
    pub result: ValType,
}

/// Calls `$m!` with every numeric operator as `Name(operand types) -> result
/// type`, grouped by kind. Variant names are the instructions' names in
/// CamelCase, as the binary format's decoder spells them, so that other
/// lists keyed by instruction (the interpreter's handlers) can use them.
#[macro_export]
macro_rules! for_each_num_op {
    ($m:ident) => {
        $m! {
            // tests and comparisons
            I32Eqz(i32) -> i32,
            I32Eq(i32, i32) -> i32,
            I32Ne(i32, i32) -> i32,
            I32LtS(i32, i32) -> i32,
            I32LtU(i32, i32) -> i32,
            I32GtS(i32, i32) -> i32,
            I32GtU(i32, i32) -> i32,
            I32LeS(i32, i32) -> i32,
            I32LeU(i32, i32) -> i32,
            I32GeS(i32, i32) -> i32,
            I32GeU(i32, i32) -> i32,
            I64Eqz(i64) -> i32,
            I64Eq(i64, i64) -> i32,
            I64Ne(i64, i64) -> i32,
            I64LtS(i64, i64) -> i32,
            I64LtU(i64, i64) -> i32,
            I64GtS(i64, i64) -> i32,
            I64GtU(i64, i64) -> i32,
            I64LeS(i64, i64) -> i32,
            I64LeU(i64, i64) -> i32,
            I64GeS(i64, i64) -> i32,
            I64GeU(i64, i64) -> i32,
            F32Eq(f32, f32) -> i32,
            F32Ne(f32, f32) -> i32,
            F32Lt(f32, f32) -> i32,
            F32Gt(f32, f32) -> i32,
            F32Le(f32, f32) -> i32,
            F32Ge(f32, f32) -> i32,
            F64Eq(f64, f64) -> i32,
            F64Ne(f64, f64) -> i32,
            F64Lt(f64, f64) -> i32,
            F64Gt(f64, f64) -> i32,
            F64Le(f64, f64) -> i32,
            F64Ge(f64, f64) -> i32,
            // integer arithmetic
            I32Clz(i32) -> i32,
            I32Ctz(i32) -> i32,
            I32Popcnt(i32) -> i32,
            I32Add(i32, i32) -> i32,
            I32Sub(i32, i32) -> i32,
            I32Mul(i32, i32) -> i32,
            I32DivS(i32, i32) -> i32,
            I32DivU(i32, i32) -> i32,
            I32RemS(i32, i32) -> i32,
            I32RemU(i32, i32) -> i32,
            I32And(i32, i32) -> i32,
            I32Or(i32, i32) -> i32,
            I32Xor(i32, i32) -> i32,
            I32Shl(i32, i32) -> i32,
            I32ShrS(i32, i32) -> i32,
            I32ShrU(i32, i32) -> i32,
            I32Rotl(i32, i32) -> i32,
            I32Rotr(i32, i32) -> i32,
            I64Clz(i64) -> i64,
            I64Ctz(i64) -> i64,
            I64Popcnt(i64) -> i64,
            I64Add(i64, i64) -> i64,
            I64Sub(i64, i64) -> i64,
            I64Mul(i64, i64) -> i64,
            I64DivS(i64, i64) -> i64,
            I64DivU(i64, i64) -> i64,
            I64RemS(i64, i64) -> i64,
            I64RemU(i64, i64) -> i64,
            I64And(i64, i64) -> i64,
            I64Or(i64, i64) -> i64,
            I64Xor(i64, i64) -> i64,
            I64Shl(i64, i64) -> i64,
            I64ShrS(i64, i64) -> i64,
            I64ShrU(i64, i64) -> i64,
            I64Rotl(i64, i64) -> i64,
            I64Rotr(i64, i64) -> i64,
            // float arithmetic
            F32Abs(f32) -> f32,
            F32Neg(f32) -> f32,
            F32Ceil(f32) -> f32,
            F32Floor(f32) -> f32,
            F32Trunc(f32) -> f32,
            F32Nearest(f32) -> f32,
            F32Sqrt(f32) -> f32,
            F32Add(f32, f32) -> f32,
            F32Sub(f32, f32) -> f32,
            F32Mul(f32, f32) -> f32,
            F32Div(f32, f32) -> f32,
            F32Min(f32, f32) -> f32,
            F32Max(f32, f32) -> f32,
            F32Copysign(f32, f32) -> f32,
            F64Abs(f64) -> f64,
            F64Neg(f64) -> f64,
            F64Ceil(f64) -> f64,
            F64Floor(f64) -> f64,
            F64Trunc(f64) -> f64,
            F64Nearest(f64) -> f64,
            F64Sqrt(f64) -> f64,
            F64Add(f64, f64) -> f64,
            F64Sub(f64, f64) -> f64,
            F64Mul(f64, f64) -> f64,
            F64Div(f64, f64) -> f64,
            F64Min(f64, f64) -> f64,
            F64Max(f64, f64) -> f64,
            F64Copysign(f64, f64) -> f64,
            // conversions
            I32WrapI64(i64) -> i32,
            I32TruncF32S(f32) -> i32,
            I32TruncF32U(f32) -> i32,
            I32TruncF64S(f64) -> i32,
            I32TruncF64U(f64) -> i32,
            I64ExtendI32S(i32) -> i64,
            I64ExtendI32U(i32) -> i64,
            I64TruncF32S(f32) -> i64,
            I64TruncF32U(f32) -> i64,
            I64TruncF64S(f64) -> i64,
            I64TruncF64U(f64) -> i64,
            F32ConvertI32S(i32) -> f32,
            F32ConvertI32U(i32) -> f32,
            F32ConvertI64S(i64) -> f32,
            F32ConvertI64U(i64) -> f32,
            F32DemoteF64(f64) -> f32,
            F64ConvertI32S(i32) -> f64,
            F64ConvertI32U(i32) -> f64,
            F64ConvertI64S(i64) -> f64,
            F64ConvertI64U(i64) -> f64,
            F64PromoteF32(f32) -> f64,
            I32ReinterpretF32(f32) -> i32,
            I64ReinterpretF64(f64) -> i64,
            F32ReinterpretI32(i32) -> f32,
            F64ReinterpretI64(i64) -> f64,
            // sign extension
            I32Extend8S(i32) -> i32,
            I32Extend16S(i32) -> i32,
            I64Extend8S(i64) -> i64,
            I64Extend16S(i64) -> i64,
            I64Extend32S(i64) -> i64,
            // saturating truncation
            I32TruncSatF32S(f32) -> i32,
            I32TruncSatF32U(f32) -> i32,
            I32TruncSatF64S(f64) -> i32,
            I32TruncSatF64U(f64) -> i32,
            I64TruncSatF32S(f32) -> i64,
            I64TruncSatF32U(f32) -> i64,
            I64TruncSatF64S(f64) -> i64,
            I64TruncSatF64U(f64) -> i64,
        }
    };
}

/// The value type a type token of the instruction lists stands for.
#[doc(hidden)]
#[macro_export]
macro_rules! isa_val_type {
    (i32) => {
        $crate::types::ValType::I32
    };
    (i64) => {
        $crate::types::ValType::I64
    };
    (f32) => {
        $crate::types::ValType::F32
    };
    (f64) => {
        $crate::types::ValType::F64
    };
    (v128) => {
        $crate::types::ValType::V128
    };
}

macro_rules! define_num_op {
    ($($name:ident($($param:ident),*) -> $result:ident,)*) => {
        /// A numeric operator: pops its operands, pushes one result, traps
        /// only as its semantics say (division, truncation).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum NumOp {
            $(
                #[allow(missing_docs)]
                $name,
            )*
        }

        impl NumOp {
            /// Every numeric operator.
            pub const ALL: &'static [NumOp] = &[$(NumOp::$name),*];

            /// Its operand and result types.
            #[inline]
            pub fn signature(self) -> Signature {
                match self {
                    $(NumOp::$name => Signature {
                        params: &[$($crate::isa_val_type!($param)),*],
                        result: $crate::isa_val_type!($result),
                    },)*
                }
            }
        }
    };
}

for_each_num_op!(define_num_op);

impl NumOp {
    /// Whether it may trap: integer division and remainder (by zero, or
    /// overflow), and the float-to-integer truncations that are not
    /// saturating (NaN, out of range).
    pub fn may_trap(self) -> bool {
        use NumOp::*;
        matches!(
            self,
            I32DivS
                | I32DivU
                | I32RemS
                | I32RemU
                | I64DivS
                | I64DivU
                | I64RemS
                | I64RemU
                | I32TruncF32S
                | I32TruncF32U
                | I32TruncF64S
                | I32TruncF64U
                | I64TruncF32S
                | I64TruncF32U
                | I64TruncF64S
                | I64TruncF64U
        )
    }
}

/// A numeric instruction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Numeric {
    /// `i32.const`.
    I32Const(i32),
    /// `i64.const`.
    I64Const(i64),
    /// `f32.const`, as its bits.
    F32Const(u32),
    /// `f64.const`, as its bits.
    F64Const(u64),
    /// An operator.
    Op(NumOp),
}

impl Numeric {
    /// The constant's type and raw bits, for a constant instruction.
    pub fn constant(self) -> Option<(ValType, u64)> {
        Some(match self {
            Numeric::I32Const(v) => (ValType::I32, v as u32 as u64),
            Numeric::I64Const(v) => (ValType::I64, v as u64),
            Numeric::F32Const(b) => (ValType::F32, b as u64),
            Numeric::F64Const(b) => (ValType::F64, b),
            Numeric::Op(_) => return None,
        })
    }
}
