//! Lowering numeric instructions: each operator to its Cranelift instruction.

#![deny(
    clippy::wildcard_enum_match_arm,
    reason = "every instruction of the group is handled by name, so one added to the instruction set fails to build until it is handled here"
)]

use super::Translator;
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{self, InstBuilder, Type, types};
use skiff_vm::Error;
use skiff_vm::isa::{self, NumOp, Numeric};

impl isa::TranslateNumeric for Translator<'_, '_, '_> {
    fn numeric(&mut self, n: Numeric) -> Result<(), Error> {
        match n {
            Numeric::I32Const(value) => {
                let v = self.b.ins().iconst(types::I32, value as i64);
                self.stack.push(v);
            }
            Numeric::I64Const(value) => {
                let v = self.b.ins().iconst(types::I64, value);
                self.stack.push(v);
            }
            Numeric::F32Const(value) => {
                let v = self
                    .b
                    .ins()
                    .f32const(ir::immediates::Ieee32::with_bits(value));
                self.stack.push(v);
            }
            Numeric::F64Const(value) => {
                let v = self
                    .b
                    .ins()
                    .f64const(ir::immediates::Ieee64::with_bits(value));
                self.stack.push(v);
            }
            Numeric::Op(op) => self.operator(op),
        }
        Ok(())
    }
}

impl Translator<'_, '_, '_> {
    /// Every numeric operator: the match is exhaustive, so an operator added
    /// to the instruction set does not compile until it is lowered here.
    fn operator(&mut self, op: NumOp) {
        macro_rules! bin {
            ($method:ident) => {{
                let (a, b) = self.pop2();
                let v = self.b.ins().$method(a, b);
                self.stack.push(v);
            }};
        }
        macro_rules! un {
            ($method:ident) => {{
                let a = self.pop();
                let v = self.b.ins().$method(a);
                self.stack.push(v);
            }};
        }
        macro_rules! conv {
            ($method:ident, $ty:expr) => {{
                let a = self.pop();
                let v = self.b.ins().$method($ty, a);
                self.stack.push(v);
            }};
        }
        macro_rules! sext_from {
            ($narrow:expr, $wide:expr) => {{
                let a = self.pop();
                let n = self.b.ins().ireduce($narrow, a);
                let v = self.b.ins().sextend($wide, n);
                self.stack.push(v);
            }};
        }
        match op {
            NumOp::I32Eqz | NumOp::I64Eqz => {
                let a = self.pop();
                let c = self.b.ins().icmp_imm_u(IntCC::Equal, a, 0);
                let v = self.bool_to_i32(c);
                self.stack.push(v);
            }
            NumOp::I32Eq | NumOp::I64Eq => self.icmp(IntCC::Equal),
            NumOp::I32Ne | NumOp::I64Ne => self.icmp(IntCC::NotEqual),
            NumOp::I32LtS | NumOp::I64LtS => self.icmp(IntCC::SignedLessThan),
            NumOp::I32LtU | NumOp::I64LtU => self.icmp(IntCC::UnsignedLessThan),
            NumOp::I32GtS | NumOp::I64GtS => self.icmp(IntCC::SignedGreaterThan),
            NumOp::I32GtU | NumOp::I64GtU => self.icmp(IntCC::UnsignedGreaterThan),
            NumOp::I32LeS | NumOp::I64LeS => self.icmp(IntCC::SignedLessThanOrEqual),
            NumOp::I32LeU | NumOp::I64LeU => self.icmp(IntCC::UnsignedLessThanOrEqual),
            NumOp::I32GeS | NumOp::I64GeS => self.icmp(IntCC::SignedGreaterThanOrEqual),
            NumOp::I32GeU | NumOp::I64GeU => self.icmp(IntCC::UnsignedGreaterThanOrEqual),
            NumOp::F32Eq | NumOp::F64Eq => self.fcmp(FloatCC::Equal),
            NumOp::F32Ne | NumOp::F64Ne => self.fcmp(FloatCC::NotEqual),
            NumOp::F32Lt | NumOp::F64Lt => self.fcmp(FloatCC::LessThan),
            NumOp::F32Gt | NumOp::F64Gt => self.fcmp(FloatCC::GreaterThan),
            NumOp::F32Le | NumOp::F64Le => self.fcmp(FloatCC::LessThanOrEqual),
            NumOp::F32Ge | NumOp::F64Ge => self.fcmp(FloatCC::GreaterThanOrEqual),
            NumOp::I32Clz | NumOp::I64Clz => un!(clz),
            NumOp::I32Ctz | NumOp::I64Ctz => un!(ctz),
            NumOp::I32Popcnt | NumOp::I64Popcnt => un!(popcnt),
            NumOp::I32Add | NumOp::I64Add => bin!(iadd),
            NumOp::I32Sub | NumOp::I64Sub => bin!(isub),
            NumOp::I32Mul | NumOp::I64Mul => bin!(imul),
            NumOp::I32DivS | NumOp::I64DivS => bin!(sdiv),
            NumOp::I32DivU | NumOp::I64DivU => bin!(udiv),
            NumOp::I32RemS | NumOp::I64RemS => bin!(srem),
            NumOp::I32RemU | NumOp::I64RemU => bin!(urem),
            NumOp::I32And | NumOp::I64And => bin!(band),
            NumOp::I32Or | NumOp::I64Or => bin!(bor),
            NumOp::I32Xor | NumOp::I64Xor => bin!(bxor),
            NumOp::I32Shl | NumOp::I64Shl => bin!(ishl),
            NumOp::I32ShrS | NumOp::I64ShrS => bin!(sshr),
            NumOp::I32ShrU | NumOp::I64ShrU => bin!(ushr),
            NumOp::I32Rotl | NumOp::I64Rotl => bin!(rotl),
            NumOp::I32Rotr | NumOp::I64Rotr => bin!(rotr),
            NumOp::F32Abs | NumOp::F64Abs => un!(fabs),
            NumOp::F32Neg | NumOp::F64Neg => un!(fneg),
            NumOp::F32Ceil | NumOp::F64Ceil => un!(ceil),
            NumOp::F32Floor | NumOp::F64Floor => un!(floor),
            NumOp::F32Trunc | NumOp::F64Trunc => un!(trunc),
            NumOp::F32Nearest | NumOp::F64Nearest => un!(nearest),
            NumOp::F32Sqrt | NumOp::F64Sqrt => un!(sqrt),
            NumOp::F32Add | NumOp::F64Add => bin!(fadd),
            NumOp::F32Sub | NumOp::F64Sub => bin!(fsub),
            NumOp::F32Mul | NumOp::F64Mul => bin!(fmul),
            NumOp::F32Div | NumOp::F64Div => bin!(fdiv),
            NumOp::F32Min | NumOp::F64Min => bin!(fmin),
            NumOp::F32Max | NumOp::F64Max => bin!(fmax),
            NumOp::F32Copysign | NumOp::F64Copysign => bin!(fcopysign),
            NumOp::I32WrapI64 => conv!(ireduce, types::I32),
            NumOp::I64ExtendI32S => conv!(sextend, types::I64),
            NumOp::I64ExtendI32U => conv!(uextend, types::I64),
            NumOp::I32TruncF32S | NumOp::I32TruncF64S => conv!(fcvt_to_sint, types::I32),
            NumOp::I32TruncF32U | NumOp::I32TruncF64U => conv!(fcvt_to_uint, types::I32),
            NumOp::I64TruncF32S | NumOp::I64TruncF64S => conv!(fcvt_to_sint, types::I64),
            NumOp::I64TruncF32U | NumOp::I64TruncF64U => conv!(fcvt_to_uint, types::I64),
            NumOp::I32TruncSatF32S | NumOp::I32TruncSatF64S => conv!(fcvt_to_sint_sat, types::I32),
            NumOp::I32TruncSatF32U | NumOp::I32TruncSatF64U => conv!(fcvt_to_uint_sat, types::I32),
            NumOp::I64TruncSatF32S | NumOp::I64TruncSatF64S => conv!(fcvt_to_sint_sat, types::I64),
            NumOp::I64TruncSatF32U | NumOp::I64TruncSatF64U => conv!(fcvt_to_uint_sat, types::I64),
            NumOp::F32ConvertI32S | NumOp::F32ConvertI64S => conv!(fcvt_from_sint, types::F32),
            NumOp::F32ConvertI32U | NumOp::F32ConvertI64U => conv!(fcvt_from_uint, types::F32),
            NumOp::F64ConvertI32S | NumOp::F64ConvertI64S => conv!(fcvt_from_sint, types::F64),
            NumOp::F64ConvertI32U | NumOp::F64ConvertI64U => conv!(fcvt_from_uint, types::F64),
            NumOp::F32DemoteF64 => conv!(fdemote, types::F32),
            NumOp::F64PromoteF32 => conv!(fpromote, types::F64),
            NumOp::I32ReinterpretF32 => self.bitcast(types::I32),
            NumOp::I64ReinterpretF64 => self.bitcast(types::I64),
            NumOp::F32ReinterpretI32 => self.bitcast(types::F32),
            NumOp::F64ReinterpretI64 => self.bitcast(types::F64),
            NumOp::I32Extend8S => sext_from!(types::I8, types::I32),
            NumOp::I32Extend16S => sext_from!(types::I16, types::I32),
            NumOp::I64Extend8S => sext_from!(types::I8, types::I64),
            NumOp::I64Extend16S => sext_from!(types::I16, types::I64),
            NumOp::I64Extend32S => sext_from!(types::I32, types::I64),
        }
    }

    fn bitcast(&mut self, to: Type) {
        let a = self.pop();
        let v = self.b.ins().bitcast(to, self.flags.plain, a);
        self.stack.push(v);
    }
}
