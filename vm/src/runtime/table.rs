//! Tables: arrays of references.
//!
//! A table's size is the guest's choice (up to 2^32 - 1 elements), so every
//! allocation here is fallible: a table that cannot be allocated is an
//! instantiation error, and a `table.grow` that cannot be met returns -1.

use super::value::RawRef;
use crate::types::TableType;
use std::fmt;

/// Why a table could not be created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableError(String);

impl fmt::Display for TableError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TableError {}

impl TableError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        TableError(message.into())
    }
}

/// A table of references, each encoded as a [`RawRef`].
#[derive(Debug, Clone)]
pub struct Table {
    ty: TableType,
    pub(crate) elements: Vec<RawRef>,
    /// The most elements it may grow to besides its type's maximum: a
    /// pooled table's buffer size (see [`TablePool`](super::pool::TablePool)).
    most: u32,
}

impl Table {
    /// A table of `ty.limits.min` elements, each `init`.
    pub fn new(ty: TableType, init: RawRef) -> Result<Self, TableError> {
        let mut elements = Vec::new();
        // No table holds more than 2^32-1 elements here (a 64-bit table
        // declaring more cannot be made).
        let n = u32::try_from(ty.limits.min)
            .ok()
            .and_then(|n| usize::try_from(n).ok());
        if n.is_none_or(|n| elements.try_reserve_exact(n).is_err()) {
            return Err(TableError(format!(
                "cannot allocate a table of {} elements",
                ty.limits.min
            )));
        }
        elements.resize(n.unwrap_or(0), init);
        Ok(Table {
            ty,
            elements,
            most: u32::MAX,
        })
    }

    /// A table of type `ty` holding `elements`, a buffer of a pool that
    /// holds `most` elements, which it may not grow past.
    pub(crate) fn pooled(ty: TableType, elements: Vec<RawRef>, most: u32) -> Table {
        Table { ty, elements, most }
    }

    /// Its elements' buffer, leaving the table empty.
    pub(crate) fn take_elements(&mut self) -> Vec<RawRef> {
        self.ty.limits.min = 0;
        std::mem::take(&mut self.elements)
    }

    /// The table's type; its minimum follows the current size.
    pub fn ty(&self) -> TableType {
        self.ty
    }

    /// The number of elements.
    pub fn size(&self) -> u32 {
        self.elements.len() as u32
    }

    /// Element `i`, or `None` past the end.
    pub fn get(&self, i: u32) -> Option<RawRef> {
        self.elements.get(i as usize).copied()
    }

    /// Sets element `i`; `None` past the end.
    pub(crate) fn set(&mut self, i: u32, r: RawRef) -> Option<()> {
        *self.elements.get_mut(i as usize)? = r;
        Some(())
    }

    /// Grows by `delta` elements set to `init`; the old size, or `None` past
    /// the maximum or when the elements cannot be allocated.
    pub(crate) fn grow(&mut self, delta: u32, init: RawRef) -> Option<u32> {
        let old = self.size();
        let new = old.checked_add(delta)?;
        if new as u64 > self.ty.limits.max.unwrap_or(u32::MAX as u64) || new > self.most {
            return None;
        }
        self.elements.try_reserve_exact(delta as usize).ok()?;
        self.elements.resize(new as usize, init);
        self.ty.limits.min = new as u64;
        Some(old)
    }
}
