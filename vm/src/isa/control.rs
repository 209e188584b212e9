//! Control instructions.

use crate::types::ValType;

/// The type of a `block`, `loop` or `if`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockType {
    /// `[] -> []`.
    Empty,
    /// `[] -> [t]`.
    Value(ValType),
    /// The function type with this index.
    Func(u32),
}

/// What opened a control frame, as the validator and the translators keep
/// their control stacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameKind {
    /// The function body itself.
    Func,
    /// `block`.
    Block,
    /// `loop`: branches go back to its start.
    Loop,
    /// `if`, before its `else`.
    If,
    /// The `else` branch of an `if`.
    Else,
    /// `try_table`: a block whose exceptions its catch clauses handle.
    TryTable,
    /// The body of a legacy `try`.
    Try,
    /// A legacy `catch` block.
    Catch,
    /// A legacy `catch_all` block.
    CatchAll,
}

/// A catch clause of a `try_table`: which exceptions it catches and the
/// label it branches to with their payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Catch {
    /// The tag it catches; `None` for `catch_all` and `catch_all_ref`.
    pub tag: Option<u32>,
    /// Whether the label also gets the exception as an `exnref`
    /// (`catch_ref`, `catch_all_ref`).
    pub with_ref: bool,
    /// The label, counted from outside the `try_table`.
    pub label: u32,
}

/// A `try_table`: its block type and catch clauses, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TryTable {
    /// The block type.
    pub ty: BlockType,
    /// The catch clauses, tried in order.
    pub catches: Box<[Catch]>,
}

/// The targets of a `br_table`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrTable {
    /// The label depths, by index.
    pub targets: Box<[u32]>,
    /// The label depth for any index past them.
    pub default: u32,
}

/// A control instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Control {
    /// `unreachable`.
    Unreachable,
    /// `nop`.
    Nop,
    /// `block`.
    Block(BlockType),
    /// `loop`.
    Loop(BlockType),
    /// `if`.
    If(BlockType),
    /// `else`.
    Else,
    /// `end`.
    End,
    /// `br` to the label this many levels out.
    Br(u32),
    /// `br_if`.
    BrIf(u32),
    /// `br_table`.
    BrTable(BrTable),
    /// `return`.
    Return,
    /// `call` of a function index.
    Call(u32),
    /// `call_indirect`.
    CallIndirect {
        /// The expected type's index.
        ty: u32,
        /// The table.
        table: u32,
    },
    /// `return_call` of a function index: the caller's frame ends, then the
    /// callee runs and returns to the caller's caller.
    ReturnCall(u32),
    /// `return_call_indirect`.
    ReturnCallIndirect {
        /// The expected type's index.
        ty: u32,
        /// The table.
        table: u32,
    },
    /// `call_ref` of a function reference to the type of this index.
    CallRef(u32),
    /// `return_call_ref`: `call_ref` as a tail call.
    ReturnCallRef(u32),
    /// `br_on_null`: branches to the label this many levels out when the
    /// reference on top is null (dropping it), else leaves it there.
    BrOnNull(u32),
    /// `br_on_non_null`: branches to the label this many levels out with
    /// the reference on top when it is not null, else drops it.
    BrOnNonNull(u32),
    /// `try_table`.
    TryTable(TryTable),
    /// `throw` of a new exception with the tag of this index.
    Throw(u32),
    /// `throw_ref`: throws the exception an `exnref` holds again.
    ThrowRef,
    /// Legacy exception handling: `try`, a block whose exceptions the
    /// `catch` and `catch_all` blocks that follow its body handle.
    Try(BlockType),
    /// Legacy: ends a `try`'s body or the previous `catch` block, and starts
    /// the block run for exceptions of this tag, with their payload.
    Catch(u32),
    /// Legacy: the block run for any other exception.
    CatchAll,
    /// Legacy: ends a `try` whose exceptions go to the handler of the
    /// label this many levels out (from outside the `try`).
    Delegate(u32),
    /// Legacy: throws again the exception caught by the `catch` or
    /// `catch_all` block this many levels out.
    Rethrow(u32),
}
