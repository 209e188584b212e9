//! Reference instructions.

use crate::types::RefType;

/// A reference instruction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reference {
    /// `ref.null` of a type.
    Null(RefType),
    /// `ref.is_null`.
    IsNull,
    /// `ref.func` of a function index.
    Func(u32),
    /// `ref.as_non_null`: traps on null, else leaves the reference.
    AsNonNull,
}
