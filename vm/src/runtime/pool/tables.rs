//! A pool of tables: at most a given number alive at once across the
//! stores of an engine, each of at most a given number of elements, their
//! element buffers allocated once at that size and reused from one table
//! to the next, so that an instance per request allocates nothing for its
//! tables and a table never moves as it grows.

use crate::runtime::table::{Table, TableError};
use crate::runtime::value::RawRef;
use crate::types::TableType;
use std::sync::Mutex;

/// How many tables a pool holds and how large each may grow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TablePoolConfig {
    /// The most tables alive at once, across every store using the pool.
    pub tables: u32,
    /// The most elements of each.
    pub elements: u32,
}

/// A pool of tables, shared by the stores of an engine.
#[derive(Debug)]
pub struct TablePool {
    config: TablePoolConfig,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// Tables taken and not yet given back.
    live: u32,
    /// Buffers of tables given back, each of `elements` capacity.
    free: Vec<Vec<RawRef>>,
}

impl TablePool {
    /// An empty pool; buffers are allocated as tables are first taken.
    pub fn new(config: TablePoolConfig) -> TablePool {
        TablePool {
            config,
            state: Mutex::default(),
        }
    }

    /// What the pool holds.
    pub fn config(&self) -> TablePoolConfig {
        self.config
    }

    /// A table of `ty.limits.min` elements, each `init`, that may grow to
    /// the pool's size at most; an error when it is larger than that, or
    /// the pool's tables are all in use.
    pub(crate) fn take(&self, ty: TableType, init: RawRef) -> Result<Table, TableError> {
        let most = self.config.elements;
        if ty.limits.min > u64::from(most) {
            return Err(TableError::new(format!(
                "a table of {} elements is larger than the pool's tables ({most} elements)",
                ty.limits.min
            )));
        }
        let buffer = {
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            if state.live >= self.config.tables {
                return Err(TableError::new(format!(
                    "all {} tables of the pool are in use",
                    self.config.tables
                )));
            }
            state.live += 1;
            state.free.pop()
        };
        let mut elements = match buffer {
            Some(b) => b,
            None => {
                let mut b = Vec::new();
                if b.try_reserve_exact(most as usize).is_err() {
                    self.state.lock().unwrap_or_else(|e| e.into_inner()).live -= 1;
                    return Err(TableError::new(format!(
                        "cannot allocate a table of {most} elements"
                    )));
                }
                b
            }
        };
        elements.clear();
        elements.resize(ty.limits.min as usize, init);
        Ok(Table::pooled(ty, elements, most))
    }

    /// Takes back the buffer of `table`, a table [`TablePool::take`] made.
    pub(crate) fn give_back(&self, table: &mut Table) {
        let buffer = table.take_elements();
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.live -= 1;
        if buffer.capacity() >= self.config.elements as usize {
            state.free.push(buffer);
        }
    }
}
