//! Parametric instructions: `drop` and `select`.

use crate::types::ValType;

/// A parametric instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parametric {
    /// `drop`.
    Drop,
    /// `select`, untyped: its operands must be numbers or vectors.
    Select,
    /// `select t*`: the binary format admits a list, validation exactly one type.
    TypedSelect(Box<[ValType]>),
}
