//! The interpreter's internal code: what a WebAssembly function becomes.
//!
//! A register machine over the frame's slots. Because validation fixes the
//! operand stack height at every instruction, each operand of the WebAssembly
//! stack has a fixed slot: locals take slots `0..locals`, the function's
//! constants the slots after them (as many as it has constant instructions),
//! and the operand at stack height `h` the `h`th slot after those. Instructions name their operand and
//! result slots directly, so the machine keeps no stack pointer, and a
//! `local.get` feeding an instruction costs nothing: the instruction reads the
//! local's slot. Slot numbers are frame-relative.
//!
//! Instructions that pass a value straight to the next one are fused where
//! that is frequent in compiled code (a load into the arithmetic using it, a
//! shift by a constant into an add or xor, an address computation into its
//! load, `x[i] += v`, a product into a sum): the value then never goes
//! through a slot, which shortens the chain of stores and reloads that bounds
//! an interpreter's speed more than the number of instructions does.

use crate::exec::Machine;
use skiff_vm::isa::{LaneOp, VecLoad, VecOp};
use skiff_vm::runtime::TrapKind;

/// A frame-relative slot number.
pub type Slot = u32;

/// Where a branch goes and what it carries: continue at `target`, copying
/// `keep` values from slots `src..` to slots `dst..` first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BranchTarget {
    /// Instruction index to continue at.
    pub target: u32,
    /// First slot of the values the label carries, where they are now.
    pub src: Slot,
    /// First slot they go to: the label's height.
    pub dst: Slot,
    /// How many values the label carries.
    pub keep: u32,
}

/// The handler of a `try_table`: while an instruction from the target of
/// branch table entry `range` up to (not including) that of entry `range +
/// 1` throws, its clauses are tried in order. The bounds are entries so
/// that the passes that rewrite finished code move them with everything
/// else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatchHandler {
    /// The first of its two branch table entries.
    pub range: u32,
    /// Its catch clauses, in order.
    pub clauses: Box<[Clause]>,
    /// For a legacy `try` ended by `delegate`: where every exception of
    /// the range goes instead of to clauses.
    pub delegate: Option<Delegate>,
}

/// Where a legacy `delegate` sends the exceptions of its `try`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delegate {
    /// On to the handler at this index of the function's handlers (one of
    /// those enclosing the `try`), skipping those in between. (While the
    /// function is translated: the target's first range entry.)
    To(u32),
    /// Out of the function, to its caller.
    Caller,
}

/// A catch clause of a `try_table`, as the interpreter runs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clause {
    /// The module's tag index it catches; `None` for any exception.
    pub tag: Option<u32>,
    /// Whether the exception follows the payload as an `exnref`.
    pub with_ref: bool,
    /// The slot the payload goes to: the stack's height at the `try_table`.
    pub at: Slot,
    /// The branch table entry whose target branches to the clause's label
    /// with the values from `at` on.
    pub pad: u32,
}

macro_rules! define_ops {
    (
        $(#[$meta:meta])*
        special { $($(#[$doc:meta])* $name:ident $({ $($field:ident: $ty:ty),* })?,)* }
        load { $($load:ident / $load_at:ident,)* }
        store { $($store:ident / $store_at:ident,)* }
        unary { $($unary:ident,)* }
        binary { $($binary:ident,)* }
        branch { $($rel:ident => $fused:ident ($get:ident $cmp:tt) / $neg:ident / $select:ident / $count:ident,)* }
        load_op { $($load_op:ident = $lo_load:ident + $lo_op:ident,)* }
        shift_op { $($shift_op:ident = $so_shift:ident + $so_op:ident,)* }
        index_load { $($index_load:ident = $il_load:ident / $il_load_at:ident,)* }
        update { $($update:ident = $up_op:ident ($up_load:ident + $up_arith:ident) -> $up_store:ident / $up_store_at:ident,)* }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq)]
        pub enum Op {
            $($(#[$doc])* $name $({ $($field: $ty),* })?,)*
            $(
                #[doc = concat!("`", stringify!($load), "`: `dst` = memory at `addr` + `offset`.")]
                $load { dst: Slot, addr: Slot, offset: u32 },
            )*
            $(
                #[doc = concat!("`", stringify!($store), "`: memory at `addr` + `offset` = `value`.")]
                $store { addr: Slot, value: Slot, offset: u32 },
            )*
            $(
                #[doc = concat!("`", stringify!($load), "` at `addr` + `imm`, wrapping at 2^32: `dst` = memory there.")]
                $load_at { dst: Slot, addr: Slot, imm: u32 },
            )*
            $(
                #[doc = concat!("`", stringify!($store), "` at `addr` + `imm`, wrapping at 2^32: memory there = `value`.")]
                $store_at { addr: Slot, value: Slot, imm: u32 },
            )*
            $(
                #[doc = concat!("`", stringify!($unary), "`: `dst` = op(`src`).")]
                $unary { dst: Slot, src: Slot },
            )*
            $(
                #[doc = concat!("`", stringify!($binary), "`: `dst` = op(`a`, `b`).")]
                $binary { dst: Slot, a: Slot, b: Slot },
            )*
            $(
                #[doc = concat!("Continue at `target` unless `", stringify!($rel), "`(`a`, `b`) holds; ",
                    "in code that meters fuel, first take `pre` fuel unchecked (a `Charge` folded in).")]
                $fused { a: Slot, b: Slot, target: u32, pre: u16 },
            )*
            $(
                #[doc = concat!("`", stringify!($rel), "` then `select` by its result: `cond` = `",
                    stringify!($rel), "`(`x`, `y`), then `dst` = `cond` ? `a` : `b`.")]
                $select { dst: u16, a: u16, b: u16, x: u16, y: u16, cond: u16 },
            )*
            $(
                #[doc = concat!("`", stringify!($rel), "` then `i32.add` of its result: `dst` = `acc` + `",
                    stringify!($rel), "`(`x`, `y`).")]
                $count { dst: Slot, acc: u16, x: u16, y: u16 },
            )*
            $(
                #[doc = concat!("`", stringify!($lo_load), "` then `", stringify!($lo_op),
                    "` of `a` and the loaded value (swapped when `swap`): `dst` = op(`a`, memory at `addr` + `offset`), the address wrapping at 2^32 when `wrap`.")]
                $load_op { dst: Slot, a: u16, addr: u16, offset: u32, wrap: bool, swap: bool },
            )*
            $(
                #[doc = concat!("`", stringify!($so_shift), "` by a constant then `", stringify!($so_op),
                    "` with its result: `dst` = op(`a`, shift(`b`, `k`)).")]
                $shift_op { dst: Slot, a: Slot, b: Slot, k: u8 },
            )*
            $(
                #[doc = concat!("`", stringify!($il_load), "` at `base` + (`index` << `k`) (wrapping at 2^32) + `offset`, the offset wrapping too when `wrap`: an `i32.add` of the address and the load.")]
                $index_load { dst: Slot, base: u16, index: u16, k: u8, wrap: bool, offset: u32 },
            )*
            $(
                #[doc = concat!("`", stringify!($up_op), "` then `", stringify!($up_store),
                    "` of its result at the same address: memory there = op(`a`, memory there).")]
                $update { a: u16, addr: u16, offset: u32, wrap: bool, swap: bool },
            )*
        }
    };
}

/// Calls `$callback!` with the lists of load, store, unary and binary
/// instructions, so that each list is written once.
macro_rules! with_op_lists {
    ($callback:ident { $($prefix:tt)* }) => {
        $callback! {
            $($prefix)*
    // each access => its variant addressed by a wrapping `i32.add` of a constant
    load {
        I32Load / I32LoadAt,
        I64Load / I64LoadAt,
        F32Load / F32LoadAt,
        F64Load / F64LoadAt,
        I32Load8S / I32Load8SAt,
        I32Load8U / I32Load8UAt,
        I32Load16S / I32Load16SAt,
        I32Load16U / I32Load16UAt,
        I64Load8S / I64Load8SAt,
        I64Load8U / I64Load8UAt,
        I64Load16S / I64Load16SAt,
        I64Load16U / I64Load16UAt,
        I64Load32S / I64Load32SAt,
        I64Load32U / I64Load32UAt,
    }
    store {
        I32Store / I32StoreAt,
        I64Store / I64StoreAt,
        F32Store / F32StoreAt,
        F64Store / F64StoreAt,
        I32Store8 / I32Store8At,
        I32Store16 / I32Store16At,
        I64Store8 / I64Store8At,
        I64Store16 / I64Store16At,
        I64Store32 / I64Store32At,
    }
    unary {
        I32Eqz, I64Eqz, I32Clz, I32Ctz, I32Popcnt, I64Clz, I64Ctz, I64Popcnt,
        F32Abs, F32Neg, F32Ceil, F32Floor, F32Trunc, F32Nearest, F32Sqrt,
        F64Abs, F64Neg, F64Ceil, F64Floor, F64Trunc, F64Nearest, F64Sqrt,
        I32WrapI64, I32TruncF32S, I32TruncF32U, I32TruncF64S, I32TruncF64U,
        I64ExtendI32S, I64ExtendI32U, I64TruncF32S, I64TruncF32U, I64TruncF64S, I64TruncF64U,
        F32ConvertI32S, F32ConvertI32U, F32ConvertI64S, F32ConvertI64U, F32DemoteF64,
        F64ConvertI32S, F64ConvertI32U, F64ConvertI64S, F64ConvertI64U, F64PromoteF32,
        I32Extend8S, I32Extend16S, I64Extend8S, I64Extend16S, I64Extend32S,
        I32TruncSatF32S, I32TruncSatF32U, I32TruncSatF64S, I32TruncSatF64U,
        I64TruncSatF32S, I64TruncSatF32U, I64TruncSatF64S, I64TruncSatF64U,
    }
    binary {
        I32Eq, I32Ne, I32LtS, I32LtU, I32GtS, I32GtU, I32LeS, I32LeU, I32GeS, I32GeU,
        I64Eq, I64Ne, I64LtS, I64LtU, I64GtS, I64GtU, I64LeS, I64LeU, I64GeS, I64GeU,
        F32Eq, F32Ne, F32Lt, F32Gt, F32Le, F32Ge, F64Eq, F64Ne, F64Lt, F64Gt, F64Le, F64Ge,
        I32Add, I32Sub, I32Mul, I32DivS, I32DivU, I32RemS, I32RemU,
        I32And, I32Or, I32Xor, I32Shl, I32ShrS, I32ShrU, I32Rotl, I32Rotr,
        I64Add, I64Sub, I64Mul, I64DivS, I64DivU, I64RemS, I64RemU,
        I64And, I64Or, I64Xor, I64Shl, I64ShrS, I64ShrU, I64Rotl, I64Rotr,
        F32Add, F32Sub, F32Mul, F32Div, F32Min, F32Max, F32Copysign,
        F64Add, F64Sub, F64Mul, F64Div, F64Min, F64Max, F64Copysign,
    }
    // comparison => the jump unless it holds (operand reader, operator) / the
    // jump unless its negation holds, which is the jump when it holds / the
    // comparison fused with the `select` by its result / with the `i32.add`
    // of its result
    branch {
        I32Eq => JumpIfNotI32Eq (u32_ ==) / JumpIfNotI32Ne / SelectI32Eq / CountI32Eq,
        I32Ne => JumpIfNotI32Ne (u32_ !=) / JumpIfNotI32Eq / SelectI32Ne / CountI32Ne,
        I32LtS => JumpIfNotI32LtS (i32_ <) / JumpIfNotI32GeS / SelectI32LtS / CountI32LtS,
        I32LtU => JumpIfNotI32LtU (u32_ <) / JumpIfNotI32GeU / SelectI32LtU / CountI32LtU,
        I32GtS => JumpIfNotI32GtS (i32_ >) / JumpIfNotI32LeS / SelectI32GtS / CountI32GtS,
        I32GtU => JumpIfNotI32GtU (u32_ >) / JumpIfNotI32LeU / SelectI32GtU / CountI32GtU,
        I32LeS => JumpIfNotI32LeS (i32_ <=) / JumpIfNotI32GtS / SelectI32LeS / CountI32LeS,
        I32LeU => JumpIfNotI32LeU (u32_ <=) / JumpIfNotI32GtU / SelectI32LeU / CountI32LeU,
        I32GeS => JumpIfNotI32GeS (i32_ >=) / JumpIfNotI32LtS / SelectI32GeS / CountI32GeS,
        I32GeU => JumpIfNotI32GeU (u32_ >=) / JumpIfNotI32LtU / SelectI32GeU / CountI32GeU,
        I64Eq => JumpIfNotI64Eq (u64_ ==) / JumpIfNotI64Ne / SelectI64Eq / CountI64Eq,
        I64Ne => JumpIfNotI64Ne (u64_ !=) / JumpIfNotI64Eq / SelectI64Ne / CountI64Ne,
        I64LtS => JumpIfNotI64LtS (i64_ <) / JumpIfNotI64GeS / SelectI64LtS / CountI64LtS,
        I64LtU => JumpIfNotI64LtU (u64_ <) / JumpIfNotI64GeU / SelectI64LtU / CountI64LtU,
        I64GtS => JumpIfNotI64GtS (i64_ >) / JumpIfNotI64LeS / SelectI64GtS / CountI64GtS,
        I64GtU => JumpIfNotI64GtU (u64_ >) / JumpIfNotI64LeU / SelectI64GtU / CountI64GtU,
        I64LeS => JumpIfNotI64LeS (i64_ <=) / JumpIfNotI64GtS / SelectI64LeS / CountI64LeS,
        I64LeU => JumpIfNotI64LeU (u64_ <=) / JumpIfNotI64GtU / SelectI64LeU / CountI64LeU,
        I64GeS => JumpIfNotI64GeS (i64_ >=) / JumpIfNotI64LtS / SelectI64GeS / CountI64GeS,
        I64GeU => JumpIfNotI64GeU (u64_ >=) / JumpIfNotI64LtU / SelectI64GeU / CountI64GeU,
    }
    // fused => the load it starts with + the binary instruction that uses the
    // loaded value
    load_op {
        I32AddLoad = I32Load + I32Add,
        I32SubLoad = I32Load + I32Sub,
        I32MulLoad = I32Load + I32Mul,
        I32AndLoad = I32Load + I32And,
        I32OrLoad = I32Load + I32Or,
        I32XorLoad = I32Load + I32Xor,
        I64AddLoad = I64Load + I64Add,
        I64SubLoad = I64Load + I64Sub,
        I64MulLoad = I64Load + I64Mul,
        I64AndLoad = I64Load + I64And,
        I64OrLoad = I64Load + I64Or,
        I64XorLoad = I64Load + I64Xor,
        F32AddLoad = F32Load + F32Add,
        F32SubLoad = F32Load + F32Sub,
        F32MulLoad = F32Load + F32Mul,
        F32DivLoad = F32Load + F32Div,
        F64AddLoad = F64Load + F64Add,
        F64SubLoad = F64Load + F64Sub,
        F64MulLoad = F64Load + F64Mul,
        F64DivLoad = F64Load + F64Div,
    }
    // fused => the shift by a constant it starts with + the commutative
    // instruction that uses the shifted value
    shift_op {
        I32AddShl = I32Shl + I32Add,
        I32AddShrU = I32ShrU + I32Add,
        I32AddRotl = I32Rotl + I32Add,
        I32XorShl = I32Shl + I32Xor,
        I32XorShrU = I32ShrU + I32Xor,
        I32XorRotl = I32Rotl + I32Xor,
        I32OrShl = I32Shl + I32Or,
        I32OrShrU = I32ShrU + I32Or,
        I64XorShl = I64Shl + I64Xor,
        I64XorShrU = I64ShrU + I64Xor,
    }
    // fused => the load (in both forms) of an address computed by `i32.add`
    index_load {
        I32LoadIdx = I32Load / I32LoadAt,
        I64LoadIdx = I64Load / I64LoadAt,
        F32LoadIdx = F32Load / F32LoadAt,
        F64LoadIdx = F64Load / F64LoadAt,
        I32Load8UIdx = I32Load8U / I32Load8UAt,
        I64Load32UIdx = I64Load32U / I64Load32UAt,
    }
    // fused => the fused load and arithmetic + the store of its result back
    // to the address loaded from (`x[i] += v`)
    update {
        I32AddTo = I32AddLoad (I32Load + I32Add) -> I32Store / I32StoreAt,
        I64AddTo = I64AddLoad (I64Load + I64Add) -> I64Store / I64StoreAt,
        F32AddTo = F32AddLoad (F32Load + F32Add) -> F32Store / F32StoreAt,
        F64AddTo = F64AddLoad (F64Load + F64Add) -> F64Store / F64StoreAt,
        F64SubTo = F64SubLoad (F64Load + F64Sub) -> F64Store / F64StoreAt,
        F64MulTo = F64MulLoad (F64Load + F64Mul) -> F64Store / F64StoreAt,
    }
        }
    };
}

with_op_lists!(define_ops {
    /// One instruction of translated code. Numeric, load and store
    /// instructions keep the names of the WebAssembly instructions they implement.
    special {
        /// Trap: `unreachable`.
        Unreachable,
        /// Continue at `target`.
        Jump { target: u32 },
        /// Continue at `target` when slot `cond` is not zero.
        JumpIf { cond: Slot, target: u32 },
        /// Continue at `target` when slot `cond` is zero.
        JumpIfZero { cond: Slot, target: u32 },
        /// Take branch table entry `entry`.
        Br { entry: u32 },
        /// Take branch table entry `entry` when slot `cond` is not zero.
        BrIf { cond: Slot, entry: u32 },
        /// Take entry `start + min(slot index, len - 1)` of the branch table.
        BrTable { index: Slot, start: u32, len: u32 },
        /// Return the function's results, which start at slot `src`.
        Return { src: Slot },
        /// Call function `func` (a function index of the module); its
        /// arguments start at slot `base`, where its results will be.
        Call { func: u32, base: Slot },
        /// Call through table `table`, expecting type `ty`; the arguments start
        /// at `base`, the table index follows them.
        CallIndirect { base: Slot, ty: u32, table: u32 },
        /// Tail call of function `func`: its arguments, starting at `base`,
        /// move to the bottom of this frame, which becomes the callee's.
        ReturnCall { func: u32, base: Slot },
        /// Tail call through table `table`, as `CallIndirect` finds its callee.
        ReturnCallIndirect { base: Slot, ty: u32, table: u32 },
        /// Call the function a reference names (trapping on null), of type
        /// `ty`; the arguments start at `base`, the reference follows them.
        CallRef { base: Slot, ty: u32 },
        /// Tail call of the function a reference names, as `CallRef` finds it.
        ReturnCallRef { base: Slot, ty: u32 },
        /// Trap if the reference in `src` is null.
        RefAsNonNull { src: Slot },
        /// `dst` = `src`.
        Copy { dst: Slot, src: Slot },
        /// `dst`, `dst + 1` = `src`, `src + 1`: a `v128`, read whole before
        /// it is written.
        Copy2 { dst: Slot, src: Slot },
        /// `dst` = a constant, as 64 raw bits.
        Const { dst: Slot, bits: u64 },
        /// `dst` = `cond` != 0 ? `dst` : `b` (the first operand is already in `dst`).
        Select { dst: Slot, b: Slot, cond: Slot },
        /// `dst` = `cond` != 0 ? `a` : `b`, in a frame whose slots fit in 16 bits;
        /// `cond` is tested as an `i64` when `wide` (an `i64.eqz` fused
        /// in, operands swapped), else as an `i32`.
        SelectSmall { dst: Slot, a: u16, b: u16, cond: u16, wide: bool },
        /// `dst` = global `index`.
        GlobalGet { dst: Slot, index: u32 },
        /// Global `index` = `src`.
        GlobalSet { src: Slot, index: u32 },
        /// `dst` = memory `memory`'s size in pages.
        MemorySize { dst: Slot, memory: u32 },
        /// `dst` = grow memory `memory` by `delta` pages.
        MemoryGrow { dst: Slot, delta: Slot, memory: u32 },
        /// Operands (destination, source offset, length) at `base..base + 3`.
        MemoryInit { base: Slot, data: u32, memory: u32 },
        /// The instructions up to the next `UseMemory` access memory `memory`
        /// instead of memory 0 (its base and length take memory 0's place
        /// for them). `UseMemory { memory: 0 }` goes back.
        UseMemory { memory: u32 },
        /// `memory.copy` between two different memories; operands
        /// (destination, source, length) at `base..base + 3`.
        MemoryCopyAcross { base: Slot, dst: u32, src: u32 },
        /// Drop data segment `data`.
        DataDrop { data: u32 },
        /// Operands (destination, source, length) at `base..base + 3`.
        MemoryCopy { base: Slot },
        /// Operands (destination, byte, length) at `base..base + 3`.
        MemoryFill { base: Slot },
        /// `memory.fill` of memory `memory` (a 64-bit one), run by the
        /// executor; operands as for `MemoryFill`.
        MemoryFillAt { base: Slot, memory: u32 },
        /// An access to a 64-bit memory: slot `dst` = the address in slot
        /// `addr` plus `offset`; a trap when that is not below the memory's
        /// length (then it fits 32 bits, and the 32-bit access that follows,
        /// at `dst`, checks its size).
        Address64 { dst: Slot, addr: Slot, offset: u32 },
        /// Operands (destination, source offset, length) at `base..base + 3`.
        TableInit { base: Slot, elem: u32, table: u32 },
        /// Drop element segment `elem`.
        ElemDrop { elem: u32 },
        /// Operands (destination, source, length) at `base..base + 3`.
        TableCopy { base: Slot, dst: u32, src: u32 },
        /// `dst` = table element at `index`.
        TableGet { dst: Slot, index: Slot, table: u32 },
        /// Table element at `index` = `value`.
        TableSet { index: Slot, value: Slot, table: u32 },
        /// `dst` = table size.
        TableSize { dst: Slot, table: u32 },
        /// Operands (init, delta) at `base..base + 2`; the result goes to `base`.
        TableGrow { base: Slot, table: u32 },
        /// Operands (index, value, length) at `base..base + 3`.
        TableFill { base: Slot, table: u32 },
        /// `dst` = the reference `src` is null.
        RefIsNull { dst: Slot, src: Slot },
        /// `dst` = a reference to function `func`.
        RefFunc { dst: Slot, func: u32 },
        /// Throw a new exception of tag `tag`, whose payload is in the slots
        /// from `base` on.
        Throw { base: Slot, tag: u32 },
        /// Throw again the exception the `exnref` in slot `src` names (a
        /// null-reference trap for null).
        ThrowRef { src: Slot },
        /// Vector operator `op` (a `v128` takes two slots, low half first):
        /// its operands are in slots `a` (and `b`; for `v128.bitselect`, the
        /// three vectors are at `a`, `a + 2`, `a + 4`), as its signature says;
        /// its result goes to `dst`.
        VOp { dst: Slot, a: Slot, b: Slot, op: VecOp },
        /// `i8x16.shuffle` of the vectors at `base` and `base + 2` by the
        /// code's shuffle mask `mask`: `dst` = the shuffled vector.
        VShuffle { dst: Slot, base: Slot, mask: u32 },
        /// Lane extraction `op`: `dst` = lane `lane` of the vector at `src`.
        VExtract { dst: Slot, src: Slot, lane: u8, op: LaneOp },
        /// Lane `lane` (`width` bytes wide) of the vector at `vec` = slot `x`.
        VReplace { vec: Slot, x: Slot, lane: u8, width: u8 },
        /// `dst` = vector load `op` at `addr` + `offset`.
        VLoad { dst: Slot, addr: Slot, offset: u32, op: VecLoad },
        /// `v128.store` of the vector at `value` at `addr` + `offset`.
        VStore { addr: Slot, value: Slot, offset: u32 },
        /// A `v128.load` at `addr` + `offset` and a binary vector operator
        /// `op` (of the lane-wise arithmetic and bitwise ones that fuse) of
        /// it and the vector at `x`: `dst` = `op(x, loaded)`, or
        /// `op(loaded, x)` with `loaded_first`.
        VOpLoad { dst: Slot, x: u16, addr: u16, offset: u32, op: VecOp, loaded_first: bool },
        /// A binary vector operator `op` of the vectors at `a` and `b` and a
        /// `v128.store` of its result at `addr` + `offset`.
        VOpStore { a: u16, b: u16, addr: u16, offset: u32, op: VecOp },
        /// `dst` = the vector at `dst + 1` with lane `lane` (`width` bytes)
        /// = memory at `addr` + `offset`.
        VLoadLane { dst: Slot, addr: Slot, offset: u32, lane: u8, width: u8 },
        /// Memory at `addr` + `offset` = lane `lane` (`width` bytes) of the
        /// vector at `vec`.
        VStoreLane { vec: Slot, addr: Slot, offset: u32, lane: u8, width: u8 },
        /// `dst`, `dst + 1` = `v128` global `index`.
        GlobalGet128 { dst: Slot, index: u32 },
        /// `v128` global `index` = slots `src`, `src + 1`.
        GlobalSet128 { src: Slot, index: u32 },
        /// Take `amount` fuel, or trap (taking nothing) when less is left:
        /// at function entries and loop headers.
        Fuel { amount: u32 },
        /// Take `amount` fuel, whatever is left (the count may go below
        /// zero): where other runs start.
        Charge { amount: u32 },
        /// Trap when the engine's epoch has reached the store's deadline.
        CheckEpoch,
        /// `dst` = `a` + constant `imm` (i32).
        I32AddImm { dst: Slot, a: Slot, imm: i32 },
        /// `dst` = `a` * `b` + `c` (`mode` 0), `a` * `b` - `c` (1) or
        /// `c` - `a` * `b` (2), rounding after each operation (f64): an
        /// `f64.mul` and the `f64.add` or `f64.sub` of its result.
        F64MulAdd { dst: Slot, a: u16, b: u16, c: u16, mode: u8 },
        /// `d1` = `a1` + `imm1`, then `d2` = `a2` + `imm2` (i32): two `I32AddImm`.
        I32AddImm2 { d1: u16, a1: u16, imm1: i16, d2: u16, a2: u16, imm2: i16 },
        /// `dst` = `a` * `b` + `c` (i64, wrapping): an `i64.mul` and the
        /// `i64.add` of its result (`3 * x + 1`, `i * n + j`).
        I64MulAdd { dst: Slot, a: u16, b: u16, c: u16 },
        /// `dst` = `a` + `b` zero-extended from 32 bits (i64): an
        /// `i64.extend_i32_u` and the `i64.add` of its result.
        I64AddExtendU { dst: Slot, a: Slot, b: Slot },
    }
});

macro_rules! result_slot_arms {
    (
        load { $($load:ident / $load_at:ident,)* }
        store { $($store:ident / $store_at:ident,)* }
        unary { $($unary:ident,)* }
        binary { $($binary:ident,)* }
        branch { $($rel:ident => $fused:ident ($get:ident $cmp:tt) / $neg:ident / $select:ident / $count:ident,)* }
        load_op { $($load_op:ident = $lo_load:ident + $lo_op:ident,)* }
        shift_op { $($shift_op:ident = $so_shift:ident + $so_op:ident,)* }
        index_load { $($index_load:ident = $il_load:ident / $il_load_at:ident,)* }
        update { $($update:ident = $up_op:ident ($up_load:ident + $up_arith:ident) -> $up_store:ident / $up_store_at:ident,)* }
    ) => {
        impl Op {
            /// The slot this instruction writes its single result to, if it has
            /// one and nothing else: the translator may retarget it to a local.
            pub fn result_slot_mut(&mut self) -> Option<&mut Slot> {
                match self {
                    $(Op::$load { dst, .. } => Some(dst),)*
                    $(Op::$load_at { dst, .. } => Some(dst),)*
                    $(Op::$unary { dst, .. } => Some(dst),)*
                    $(Op::$binary { dst, .. } => Some(dst),)*
                    $(Op::$load_op { dst, .. } => Some(dst),)*
                    $(Op::$shift_op { dst, .. } => Some(dst),)*
                    $(Op::$index_load { dst, .. } => Some(dst),)*
                    $(Op::$count { dst, .. } => Some(dst),)*
                    Op::Copy { dst, .. }
                    | Op::Const { dst, .. }
                    | Op::GlobalGet { dst, .. }
                    | Op::MemorySize { dst, .. }
                    | Op::MemoryGrow { dst, .. }
                    | Op::TableGet { dst, .. }
                    | Op::TableSize { dst, .. }
                    | Op::RefIsNull { dst, .. }
                    | Op::RefFunc { dst, .. }
                    | Op::I32AddImm { dst, .. }
                    | Op::SelectSmall { dst, .. }
                    | Op::VExtract { dst, .. }
                    | Op::F64MulAdd { dst, .. }
                    | Op::I64MulAdd { dst, .. }
                    | Op::I64AddExtendU { dst, .. } => Some(dst),
                    _ => None,
                }
            }

            /// The jump target of a conditional or unconditional jump.
            pub fn jump_target(&self) -> Option<u32> {
                let mut probe = *self;
                probe.jump_target_mut().map(|t| *t)
            }

            /// For a `Charge` of `amount` followed by this instruction: the
            /// instruction taking that charge itself, when it can (a fused
            /// compare-and-jump that takes none yet).
            pub fn with_charge(&self, amount: u32) -> Option<Op> {
                let amount = u16::try_from(amount).ok()?;
                match *self {
                    $(Op::$fused { a, b, target, pre: 0 } => Some(Op::$fused { a, b, target, pre: amount }),)*
                    _ => None,
                }
            }

            /// The target of a jump instruction, to patch.
            pub fn jump_target_mut(&mut self) -> Option<&mut u32> {
                match self {
                    Op::Jump { target } | Op::JumpIf { target, .. } | Op::JumpIfZero { target, .. } => Some(target),
                    $(Op::$fused { target, .. } => Some(target),)*
                    _ => None,
                }
            }

            /// For a load `last` whose result `next` reads, the fused instruction
            /// doing both (`next` reading the other operand from a 16-bit slot).
            pub fn fuse_load(last: Op, next: Op) -> Option<Op> {
                if !matches!(next, $(Op::$lo_op { .. })|*) {
                    return None;
                }
                // The load as its plain variant, whichever form it has.
                let (t, addr, offset, wrap, plain) = match last {
                    $(Op::$load { dst, addr, offset } => (dst, addr, offset, false, last),)*
                    $(Op::$load_at { dst, addr, imm } => {
                        (dst, addr, imm, true, Op::$load { dst, addr, offset: imm })
                    })*
                    _ => return None,
                };
                let addr = u16::try_from(addr).ok()?;
                let (dst, a, swap) = match next {
                    $(Op::$binary { dst, a, b } if b == t && a != t => (dst, a, false),)*
                    $(Op::$binary { dst, a, b } if a == t && b != t => (dst, b, true),)*
                    _ => return None,
                };
                let a = u16::try_from(a).ok()?;
                match (plain, next) {
                    $(
                        (Op::$lo_load { .. }, Op::$lo_op { .. }) => {
                            Some(Op::$load_op { dst, a, addr, offset, wrap, swap })
                        }
                    )*
                    _ => None,
                }
            }

            /// For a shift `last` of slot `b` by constant `k` whose result `next`
            /// reads, the fused instruction doing both.
            pub fn fuse_shift(last: Op, k: u8, next: Op) -> Option<Op> {
                $(
                    if let (Op::$so_shift { dst: t, a: b, .. }, Op::$so_op { dst, a, b: c }) =
                        (last, next)
                    {
                        // The operation is commutative: the shifted value may be
                        // either operand, but not both. (The shift may have read
                        // its operand from `t`: the fused instruction reads it
                        // there before writing anything.)
                        let a = match (a == t, c == t) {
                            (true, false) => c,
                            (false, true) => a,
                            _ => return None,
                        };
                        return Some(Op::$shift_op { dst, a, b, k });
                    }
                )*
                None
            }

            /// For an address `t` = `base` + (`index` << `k`) and a load `next`
            /// from it, the fused instruction doing both.
            pub fn fuse_index(t: Slot, base: Slot, index: Slot, k: u8, next: Op) -> Option<Op> {
                let (base, index) = (u16::try_from(base).ok()?, u16::try_from(index).ok()?);
                match next {
                    $(
                        Op::$il_load { dst, addr, offset } if addr == t => Some(Op::$index_load {
                            dst, base, index, k, wrap: false, offset,
                        }),
                        Op::$il_load_at { dst, addr, imm } if addr == t => Some(Op::$index_load {
                            dst, base, index, k, wrap: true, offset: imm,
                        }),
                    )*
                    _ => None,
                }
            }

            /// For a fused load and arithmetic `last` and a store `next` of its
            /// result to the address it loaded from, the fused update.
            pub fn fuse_update(last: Op, next: Op) -> Option<Op> {
                if !matches!(next, $(Op::$store { .. } | Op::$store_at { .. })|*) {
                    return None;
                }
                $(
                    if let Op::$up_op { dst: t, a, addr, offset, wrap, swap } = last {
                        // The store must use the same address, not overwritten
                        // by the result.
                        let same = |slot: Slot, value: Slot, off: u32, at: bool| {
                            slot == Slot::from(addr) && value == t && off == offset && at == wrap
                                && t != Slot::from(addr)
                        };
                        return match next {
                            Op::$up_store { addr: s, value, offset: o } if same(s, value, o, false) => {
                                Some(Op::$update { a, addr, offset, wrap, swap })
                            }
                            Op::$up_store_at { addr: s, value, imm } if same(s, value, imm, true) => {
                                Some(Op::$update { a, addr, offset, wrap, swap })
                            }
                            _ => None,
                        };
                    }
                )*
                None
            }

            /// For a comparison, the jumps that replace it when it feeds a
            /// branch: `(result slot, jump unless it holds, jump when it holds)`.
            pub fn fused_branch(&self) -> Option<(Slot, Op, Op)> {
                match *self {
                    $(Op::$rel { dst, a, b } => Some((
                        dst,
                        Op::$fused { a, b, target: u32::MAX, pre: 0 },
                        Op::$neg { a, b, target: u32::MAX, pre: 0 },
                    )),)*
                    _ => None,
                }
            }

            /// For a comparison `last` and a `select` `next` by its result,
            /// the fused instruction doing both (every slot a 16-bit one).
            pub fn fuse_select(last: Op, next: Op) -> Option<Op> {
                let Op::SelectSmall { dst, a, b, cond, wide: false } = next else {
                    return None;
                };
                let small = |slot: Slot| u16::try_from(slot).ok();
                match last {
                    $(Op::$rel { dst: t, a: x, b: y } if t == Slot::from(cond) => Some(Op::$select {
                        dst: small(dst)?, a, b, x: small(x)?, y: small(y)?, cond,
                    }),)*
                    _ => None,
                }
            }

            /// For a comparison `last` whose result, in operand slot `t`,
            /// an `i32.add` `next` adds to another value, the fused
            /// instruction doing both.
            pub fn fuse_count(last: Op, next: Op) -> Option<Op> {
                let Op::I32Add { dst, a, b } = next else {
                    return None;
                };
                let small = |slot: Slot| u16::try_from(slot).ok();
                match last {
                    $(Op::$rel { dst: t, a: x, b: y } if (a == t) != (b == t) => Some(Op::$count {
                        dst, acc: small(if a == t { b } else { a })?, x: small(x)?, y: small(y)?,
                    }),)*
                    _ => None,
                }
            }

            /// For a conditional jump, the jump to `target` taken exactly
            /// when it is not taken.
            pub fn negated_jump(&self, target: u32) -> Option<Op> {
                match *self {
                    Op::JumpIf { cond, .. } => Some(Op::JumpIfZero { cond, target }),
                    Op::JumpIfZero { cond, .. } => Some(Op::JumpIf { cond, target }),
                    $(Op::$fused { a, b, pre, .. } => Some(Op::$neg { a, b, target, pre }),)*
                    _ => None,
                }
            }
        }
    };
}

with_op_lists!(result_slot_arms {});

pub(crate) use with_op_lists;

/// Why threaded code handed control back to the executor's loop. It fits in a
/// byte, so that a handler's result fits in two registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// The instruction it stopped at needs the store or the call stack: the
    /// loop runs it.
    Slow,
    /// Continue with the instruction it stopped at. Only builds without
    /// optimization stop here, after every instruction (see `threaded`).
    Continue,
    /// The instruction it stopped at trapped: `unreachable`.
    Unreachable,
    /// ... out of bounds of memory.
    MemoryOutOfBounds,
    /// ... dividing by zero.
    IntegerDivisionByZero,
    /// ... overflowing a signed division or a float-to-integer conversion.
    IntegerOverflow,
    /// ... converting NaN to an integer.
    InvalidConversionToInteger,
    /// ... running out of fuel.
    OutOfFuel,
    /// ... reaching the epoch deadline.
    Interrupted,
}

impl Stop {
    /// The stop for a trap of threaded code, which can only be one of those above.
    pub fn of(kind: TrapKind) -> Stop {
        match kind {
            TrapKind::Unreachable => Stop::Unreachable,
            TrapKind::MemoryOutOfBounds => Stop::MemoryOutOfBounds,
            TrapKind::IntegerDivisionByZero => Stop::IntegerDivisionByZero,
            TrapKind::IntegerOverflow => Stop::IntegerOverflow,
            TrapKind::InvalidConversionToInteger => Stop::InvalidConversionToInteger,
            TrapKind::OutOfFuel => Stop::OutOfFuel,
            TrapKind::Interrupted => Stop::Interrupted,
            other => unreachable!("threaded code does not trap with {other:?}"),
        }
    }

    /// The trap this stop is, if it is one.
    pub fn trap(self) -> Option<TrapKind> {
        match self {
            Stop::Slow | Stop::Continue => None,
            Stop::Unreachable => Some(TrapKind::Unreachable),
            Stop::MemoryOutOfBounds => Some(TrapKind::MemoryOutOfBounds),
            Stop::IntegerDivisionByZero => Some(TrapKind::IntegerDivisionByZero),
            Stop::IntegerOverflow => Some(TrapKind::IntegerOverflow),
            Stop::InvalidConversionToInteger => Some(TrapKind::InvalidConversionToInteger),
            Stop::OutOfFuel => Some(TrapKind::OutOfFuel),
            Stop::Interrupted => Some(TrapKind::Interrupted),
        }
    }
}

/// The code that runs one instruction, then, in optimized builds, jumps
/// straight to the next instruction's handler: given the instruction, the
/// frame's slots, memory 0's base and accessible length, the function, and
/// the machine that runs it (for calls and returns).
pub(crate) type Handler = unsafe fn(
    *const Instr,
    *mut u64,
    *mut u8,
    usize,
    &FuncCode,
    *mut Machine,
) -> (*const Instr, Stop);

/// One instruction of threaded code: its handler and its operands.
#[derive(Clone, Copy)]
pub struct Instr {
    /// Runs it.
    pub(crate) handler: Handler,
    /// What it is, with decoded immediates and slots.
    pub op: Op,
}

impl std::fmt::Debug for Instr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.op.fmt(f)
    }
}

/// A translated function.
#[derive(Debug, Clone, Default)]
pub struct FuncCode {
    /// Its instructions, as threaded code.
    pub instrs: Vec<Instr>,
    /// Branch table entries, for `Br`, `BrIf` and `BrTable`.
    pub branch_tables: Vec<BranchTarget>,
    /// Slots of the parameters (a `v128` takes two).
    pub params: u32,
    /// Slots of the parameters plus declared locals: the slots below the operands.
    pub locals: u32,
    /// Slots the frame needs: locals, constants, then the deepest operand stack.
    pub frame_size: u32,
    /// Constants that instructions read as operands; they live in the slots
    /// right after the locals, written when the frame is entered. Keeping them
    /// below the operands keeps them safe from callees, whose frames start at
    /// an operand slot.
    pub consts: Vec<u64>,
    /// What a new frame holds from slot `params` on: zeros for the declared
    /// locals, then the constants.
    pub frame_init: Vec<u64>,
    /// Slots of the results it returns.
    pub results: u32,
    /// The lane masks of its `i8x16.shuffle`s.
    pub shuffles: Vec<[u8; 16]>,
    /// Byte offset in the module of each instruction's operator, for backtraces.
    pub offsets: Vec<u32>,
    /// The handlers of its `try_table`s, innermost first where they nest.
    pub handlers: Vec<CatchHandler>,
}

impl FuncCode {
    /// Its instructions.
    pub fn ops(&self) -> impl ExactSizeIterator<Item = &Op> {
        self.instrs.iter().map(|i| &i.op)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instructions_stay_small() {
        // Dispatch reads one instruction at a time: keep it within 16 bytes.
        assert!(
            std::mem::size_of::<Op>() <= 16,
            "Op is {} bytes",
            std::mem::size_of::<Op>()
        );
    }

    #[test]
    fn comparisons_fuse_into_jumps() {
        let lt = Op::I32LtS { dst: 3, a: 1, b: 2 };
        let (dst, unless, when) = lt.fused_branch().unwrap();
        assert_eq!(dst, 3);
        assert_eq!(
            unless,
            Op::JumpIfNotI32LtS {
                a: 1,
                b: 2,
                target: u32::MAX,
                pre: 0
            }
        );
        // "Jump when a < b" is "jump unless a >= b".
        assert_eq!(
            when,
            Op::JumpIfNotI32GeS {
                a: 1,
                b: 2,
                target: u32::MAX,
                pre: 0
            }
        );
        assert!(Op::I32Add { dst: 0, a: 0, b: 0 }.fused_branch().is_none());
    }
}
