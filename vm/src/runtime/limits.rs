//! Resource limits: how much of the host a store's guests may take.
//!
//! Every allocation whose size a guest chooses (a memory's pages, a table's
//! elements) asks the store's [`ResourceLimiter`] first, and so does every
//! new instance, memory and table. A request the limiter refuses is what
//! WebAssembly calls a failed allocation: `memory.grow` and `table.grow`
//! return -1, and instantiation fails with an error that names the limit.
//!
//! A limiter is either one the host implements (any type with this trait)
//! or [`StoreLimits`], built with [`StoreLimitsBuilder`]. A store without
//! one applies [`StoreLimits::default`]: no limit on memory but the 4 GiB of
//! the format, at most [`DEFAULT_TABLE_ELEMENTS`] elements per table, and
//! at most 10,000 instances, memories and tables, as wasmtime's defaults.

use super::trap::Trap;

/// The most instances a store holds unless its limiter says otherwise.
pub const DEFAULT_INSTANCE_LIMIT: usize = 10_000;
/// The most tables a store holds unless its limiter says otherwise.
pub const DEFAULT_TABLE_LIMIT: usize = 10_000;
/// The most memories a store holds unless its limiter says otherwise.
pub const DEFAULT_MEMORY_LIMIT: usize = 10_000;
/// The most elements one table may have unless the store's limiter says
/// otherwise: 10 million (80 MB). The format allows 2^32 - 1, which would
/// commit 32 GiB of the host's memory for one `table.grow`.
pub const DEFAULT_TABLE_ELEMENTS: usize = 10_000_000;

/// Decides whether a store's memories and tables may grow and how many
/// instances, memories and tables it may hold. The shape is wasmtime's
/// `ResourceLimiter`, so a host's limiter ports as it is; it differs only
/// in that a growth the limiter allowed but the host could not commit is
/// reported with its sizes ([`ResourceLimiter::memory_grow_failed`]), so
/// that a limiter counting a total can take the request back.
///
/// Sizes are in bytes for memories and in elements for tables. A memory's
/// or table's creation asks for growth from 0 to its initial size.
pub trait ResourceLimiter: Send {
    /// Whether a memory of `current` bytes may grow to `desired` bytes;
    /// `maximum` is what its type declares. `Ok(false)` makes `memory.grow`
    /// return -1 (or the memory's creation fail); an error traps instead.
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> Result<bool, Trap>;

    /// A growth from `current` to `desired` bytes that
    /// [`ResourceLimiter::memory_growing`] allowed could not be made.
    fn memory_grow_failed(&mut self, current: usize, desired: usize) {
        let _ = (current, desired);
    }

    /// Whether a table of `current` elements may grow to `desired`;
    /// `maximum` is what its type declares. `Ok(false)` makes `table.grow`
    /// return -1 (or the table's creation fail); an error traps instead.
    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> Result<bool, Trap>;

    /// A growth from `current` to `desired` elements that
    /// [`ResourceLimiter::table_growing`] allowed could not be made.
    fn table_grow_failed(&mut self, current: usize, desired: usize) {
        let _ = (current, desired);
    }

    /// The most instances the store may hold.
    fn instances(&self) -> usize {
        DEFAULT_INSTANCE_LIMIT
    }

    /// The most tables the store may hold (imported or not, all instances together).
    fn tables(&self) -> usize {
        DEFAULT_TABLE_LIMIT
    }

    /// The most memories the store may hold (all instances together).
    fn memories(&self) -> usize {
        DEFAULT_MEMORY_LIMIT
    }
}

/// A [`ResourceLimiter`] configured with numbers: bytes per memory and for
/// all the store's memories together, elements per table, and counts of
/// instances, memories and tables. Build one with [`StoreLimitsBuilder`].
///
/// The total of memory counts what this limiter allowed, so it should be
/// the store's limiter before anything is instantiated in it.
#[derive(Debug, Clone)]
pub struct StoreLimits {
    memory_size: Option<usize>,
    total_memory: Option<usize>,
    table_elements: Option<usize>,
    instances: usize,
    tables: usize,
    memories: usize,
    trap_on_grow_failure: bool,
    /// Bytes of memory allowed so far, less those that could not be committed.
    memory_in_use: usize,
}

impl Default for StoreLimits {
    fn default() -> Self {
        StoreLimits {
            memory_size: None,
            total_memory: None,
            table_elements: Some(DEFAULT_TABLE_ELEMENTS),
            instances: DEFAULT_INSTANCE_LIMIT,
            tables: DEFAULT_TABLE_LIMIT,
            memories: DEFAULT_MEMORY_LIMIT,
            trap_on_grow_failure: false,
            memory_in_use: 0,
        }
    }
}

impl StoreLimits {
    /// Bytes of memory this limiter has allowed so far, all memories together.
    pub fn memory_in_use(&self) -> usize {
        self.memory_in_use
    }

    /// `Ok(allowed)`, or a trap when growth beyond a limit should trap.
    fn verdict(&self, allowed: bool, what: impl FnOnce() -> String) -> Result<bool, Trap> {
        if !allowed && self.trap_on_grow_failure {
            return Err(Trap::host(what()));
        }
        Ok(allowed)
    }
}

impl ResourceLimiter for StoreLimits {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> Result<bool, Trap> {
        let added = desired.saturating_sub(current);
        let total = self.memory_in_use.saturating_add(added);
        let allowed = self.memory_size.is_none_or(|max| desired <= max)
            && self.total_memory.is_none_or(|max| total <= max);
        let verdict = self.verdict(allowed, || {
            format!("memory of {desired} bytes is past the store's limit")
        })?;
        if verdict {
            self.memory_in_use = total;
        }
        Ok(verdict)
    }

    fn memory_grow_failed(&mut self, current: usize, desired: usize) {
        let added = desired.saturating_sub(current);
        self.memory_in_use = self.memory_in_use.saturating_sub(added);
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> Result<bool, Trap> {
        let allowed = self.table_elements.is_none_or(|max| desired <= max);
        self.verdict(allowed, || {
            format!("table of {desired} elements is past the store's limit")
        })
    }

    fn instances(&self) -> usize {
        self.instances
    }

    fn tables(&self) -> usize {
        self.tables
    }

    fn memories(&self) -> usize {
        self.memories
    }
}

/// Builds [`StoreLimits`]; what is not set keeps the default of
/// [`StoreLimits::default`].
///
/// ```
/// use skiff_vm::runtime::StoreLimitsBuilder;
/// let limits = StoreLimitsBuilder::new()
///     .memory_size(16 << 20) // 16 MiB per memory
///     .table_elements(10_000)
///     .instances(10)
///     .build();
/// # let _ = limits;
/// ```
#[derive(Debug, Clone, Default)]
pub struct StoreLimitsBuilder(StoreLimits);

impl StoreLimitsBuilder {
    /// The defaults of [`StoreLimits::default`].
    pub fn new() -> Self {
        StoreLimitsBuilder::default()
    }

    /// The most bytes one linear memory may have.
    pub fn memory_size(mut self, bytes: usize) -> Self {
        self.0.memory_size = Some(bytes);
        self
    }

    /// The most bytes all the store's linear memories may have together.
    pub fn total_memory(mut self, bytes: usize) -> Self {
        self.0.total_memory = Some(bytes);
        self
    }

    /// The most elements one table may have (default
    /// [`DEFAULT_TABLE_ELEMENTS`]; `usize::MAX` lifts the limit).
    pub fn table_elements(mut self, elements: usize) -> Self {
        self.0.table_elements = Some(elements);
        self
    }

    /// The most instances the store may hold.
    pub fn instances(mut self, n: usize) -> Self {
        self.0.instances = n;
        self
    }

    /// The most tables the store may hold.
    pub fn tables(mut self, n: usize) -> Self {
        self.0.tables = n;
        self
    }

    /// The most memories the store may hold.
    pub fn memories(mut self, n: usize) -> Self {
        self.0.memories = n;
        self
    }

    /// Whether a `memory.grow` or `table.grow` past a limit traps instead
    /// of returning -1 (off by default, as the specification has it).
    pub fn trap_on_grow_failure(mut self, trap: bool) -> Self {
        self.0.trap_on_grow_failure = trap;
        self
    }

    /// The limits.
    pub fn build(self) -> StoreLimits {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_per_memory_and_in_total() {
        let mut l = StoreLimitsBuilder::new()
            .memory_size(4 << 16)
            .total_memory(6 << 16)
            .build();
        assert_eq!(l.memory_growing(0, 4 << 16, None), Ok(true));
        assert_eq!(l.memory_growing(4 << 16, 5 << 16, None), Ok(false));
        assert_eq!(l.memory_growing(0, 2 << 16, None), Ok(true));
        assert_eq!(l.memory_in_use(), 6 << 16);
        assert_eq!(l.memory_growing(0, 1 << 16, None), Ok(false));
        l.memory_grow_failed(0, 2 << 16);
        assert_eq!(l.memory_growing(0, 1 << 16, None), Ok(true));
    }

    #[test]
    fn tables_and_counts() {
        let mut l = StoreLimits::default();
        assert_eq!(l.table_growing(0, DEFAULT_TABLE_ELEMENTS, None), Ok(true));
        assert_eq!(
            l.table_growing(0, DEFAULT_TABLE_ELEMENTS + 1, None),
            Ok(false)
        );
        assert_eq!(l.instances(), DEFAULT_INSTANCE_LIMIT);
        let mut l = StoreLimitsBuilder::new()
            .table_elements(10)
            .trap_on_grow_failure(true)
            .instances(2)
            .build();
        assert!(l.table_growing(5, 11, None).is_err());
        assert_eq!(l.instances(), 2);
    }
}
