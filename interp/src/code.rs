//! The interpreter's internal code: what a WebAssembly function becomes.

/// Where a branch goes and what it carries: jump to `target`, keeping the top
/// `keep` values and placing them at slot `height` of the frame (locals count
/// from slot 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BranchTarget {
    /// Instruction index to continue at.
    pub target: u32,
    /// Frame-relative stack height the label's values start at.
    pub height: u32,
    /// How many values the label carries.
    pub keep: u32,
}

macro_rules! define_ops {
    ($($(#[$doc:meta])* $name:ident $({ $($field:ident: $ty:ty),* })?,)*) => {
        /// One instruction of translated code. Numeric instructions keep the
        /// names of the WebAssembly instructions they implement.
        #[derive(Debug, Clone, Copy, PartialEq)]
        pub enum Op {
            $($(#[$doc])* $name $({ $($field: $ty),* })?,)*
        }
    };
}

define_ops! {
    /// Trap: `unreachable`.
    Unreachable,
    /// Continue at `target`.
    Jump { target: u32 },
    /// Branch, moving the label's values down.
    Br { to: BranchTarget },
    /// Pop an i32; branch when it is not zero.
    BrIf { to: BranchTarget },
    /// Pop an i32; continue at `target` when it is zero (`if` without taken branch).
    JumpIfZero { target: u32 },
    /// Pop an i32 index into the function's branch table entries
    /// `[start, start + len)`; the last entry is the default.
    BrTable { start: u32, len: u32 },
    /// Return from the function with its results on top of the stack.
    Return,
    /// Call function `func` (a function index of the module).
    Call { func: u32 },
    /// Pop a table index and call through table `table`, expecting type `ty`.
    CallIndirect { ty: u32, table: u32 },
    /// Pop and forget one value.
    Drop,
    /// Pop a condition and two values; push the first if the condition is non-zero.
    Select,
    /// Push local `index`.
    LocalGet { index: u32 },
    /// Pop into local `index`.
    LocalSet { index: u32 },
    /// Copy the top of the stack into local `index`.
    LocalTee { index: u32 },
    /// Push global `index`.
    GlobalGet { index: u32 },
    /// Pop into global `index`.
    GlobalSet { index: u32 },
    /// Push a constant (as 64 raw bits).
    Const { bits: u64 },

    I32Load { offset: u32 },
    I64Load { offset: u32 },
    F32Load { offset: u32 },
    F64Load { offset: u32 },
    I32Load8S { offset: u32 },
    I32Load8U { offset: u32 },
    I32Load16S { offset: u32 },
    I32Load16U { offset: u32 },
    I64Load8S { offset: u32 },
    I64Load8U { offset: u32 },
    I64Load16S { offset: u32 },
    I64Load16U { offset: u32 },
    I64Load32S { offset: u32 },
    I64Load32U { offset: u32 },
    I32Store { offset: u32 },
    I64Store { offset: u32 },
    F32Store { offset: u32 },
    F64Store { offset: u32 },
    I32Store8 { offset: u32 },
    I32Store16 { offset: u32 },
    I64Store8 { offset: u32 },
    I64Store16 { offset: u32 },
    I64Store32 { offset: u32 },
    MemorySize,
    MemoryGrow,
    MemoryInit { data: u32 },
    DataDrop { data: u32 },
    MemoryCopy,
    MemoryFill,
    TableInit { elem: u32, table: u32 },
    ElemDrop { elem: u32 },
    TableCopy { dst: u32, src: u32 },
    TableGet { table: u32 },
    TableSet { table: u32 },
    TableSize { table: u32 },
    TableGrow { table: u32 },
    TableFill { table: u32 },
    RefIsNull,
    RefFunc { func: u32 },

    I32Eqz, I32Eq, I32Ne, I32LtS, I32LtU, I32GtS, I32GtU, I32LeS, I32LeU, I32GeS, I32GeU,
    I64Eqz, I64Eq, I64Ne, I64LtS, I64LtU, I64GtS, I64GtU, I64LeS, I64LeU, I64GeS, I64GeU,
    F32Eq, F32Ne, F32Lt, F32Gt, F32Le, F32Ge,
    F64Eq, F64Ne, F64Lt, F64Gt, F64Le, F64Ge,
    I32Clz, I32Ctz, I32Popcnt, I32Add, I32Sub, I32Mul, I32DivS, I32DivU, I32RemS, I32RemU,
    I32And, I32Or, I32Xor, I32Shl, I32ShrS, I32ShrU, I32Rotl, I32Rotr,
    I64Clz, I64Ctz, I64Popcnt, I64Add, I64Sub, I64Mul, I64DivS, I64DivU, I64RemS, I64RemU,
    I64And, I64Or, I64Xor, I64Shl, I64ShrS, I64ShrU, I64Rotl, I64Rotr,
    F32Abs, F32Neg, F32Ceil, F32Floor, F32Trunc, F32Nearest, F32Sqrt,
    F32Add, F32Sub, F32Mul, F32Div, F32Min, F32Max, F32Copysign,
    F64Abs, F64Neg, F64Ceil, F64Floor, F64Trunc, F64Nearest, F64Sqrt,
    F64Add, F64Sub, F64Mul, F64Div, F64Min, F64Max, F64Copysign,
    I32WrapI64, I32TruncF32S, I32TruncF32U, I32TruncF64S, I32TruncF64U,
    I64ExtendI32S, I64ExtendI32U, I64TruncF32S, I64TruncF32U, I64TruncF64S, I64TruncF64U,
    F32ConvertI32S, F32ConvertI32U, F32ConvertI64S, F32ConvertI64U, F32DemoteF64,
    F64ConvertI32S, F64ConvertI32U, F64ConvertI64S, F64ConvertI64U, F64PromoteF32,
    I32Extend8S, I32Extend16S, I64Extend8S, I64Extend16S, I64Extend32S,
    I32TruncSatF32S, I32TruncSatF32U, I32TruncSatF64S, I32TruncSatF64U,
    I64TruncSatF32S, I64TruncSatF32U, I64TruncSatF64S, I64TruncSatF64U,
}

/// A translated function.
#[derive(Debug, Clone, Default)]
pub struct FuncCode {
    /// Its instructions.
    pub ops: Vec<Op>,
    /// Branch table entries of its `br_table` instructions.
    pub branch_tables: Vec<BranchTarget>,
    /// Parameters.
    pub params: u32,
    /// Parameters plus declared locals: the slots of the frame below its operands.
    pub locals: u32,
    /// The most operand slots it uses above its locals.
    pub max_stack: u32,
    /// How many results it returns.
    pub results: u32,
    /// Byte offset in the module of each instruction's operator, for backtraces.
    pub offsets: Vec<u32>,
}
