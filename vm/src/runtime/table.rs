//! Tables: arrays of references.

use super::value::RawRef;
use crate::types::TableType;

/// A table of references, each encoded as a [`RawRef`].
#[derive(Debug, Clone)]
pub struct Table {
    /// The table's type; its minimum follows the current size.
    pub ty: TableType,
    /// The elements.
    pub elements: Vec<RawRef>,
}

impl Table {
    /// A table of `ty.limits.min` elements, each `init`.
    pub fn new(ty: TableType, init: RawRef) -> Self {
        Table {
            ty,
            elements: vec![init; ty.limits.min as usize],
        }
    }

    /// The number of elements.
    pub fn size(&self) -> u32 {
        self.elements.len() as u32
    }

    /// Grows by `delta` elements set to `init`; the old size, or `None` past the maximum.
    pub fn grow(&mut self, delta: u32, init: RawRef) -> Option<u32> {
        let old = self.size();
        let new = old.checked_add(delta)?;
        if new as u64 > self.ty.limits.max.unwrap_or(u32::MAX as u64) {
            return None;
        }
        self.elements.resize(new as usize, init);
        self.ty.limits.min = new as u64;
        Some(old)
    }
}
