//! Variable instructions: locals and globals.

/// A variable instruction, with its local or global index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variable {
    /// `local.get`.
    LocalGet(u32),
    /// `local.set`.
    LocalSet(u32),
    /// `local.tee`.
    LocalTee(u32),
    /// `global.get`.
    GlobalGet(u32),
    /// `global.set`.
    GlobalSet(u32),
}
