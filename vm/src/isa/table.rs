//! Table instructions.

/// A table instruction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableInstr {
    /// `table.get`.
    Get(u32),
    /// `table.set`.
    Set(u32),
    /// `table.size`.
    Size(u32),
    /// `table.grow`.
    Grow(u32),
    /// `table.fill`.
    Fill(u32),
    /// `table.copy`.
    Copy {
        /// The table copied to.
        dst: u32,
        /// The table copied from.
        src: u32,
    },
    /// `table.init`.
    Init {
        /// The element segment.
        elem: u32,
        /// The table.
        table: u32,
    },
    /// `elem.drop`.
    ElemDrop(u32),
}
