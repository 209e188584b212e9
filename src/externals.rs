//! Memories, tables and globals of a store, and [`Extern`], what an
//! instance exports or a module imports.

use crate::exceptions::Tag;
use crate::func::{Func, check_store};
use crate::store::{AsContext, AsContextMut};
use crate::values::Val;
use skiff_vm::runtime::{self as vm, StoreId, Trap};
use skiff_vm::types::{GlobalType, Limits, MemoryType, TableType};

/// Something an instance exports or a module imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extern {
    /// A function.
    Func(Func),
    /// A table.
    Table(Table),
    /// A memory.
    Memory(Memory),
    /// A global.
    Global(Global),
    /// An exception tag.
    Tag(Tag),
}

impl Extern {
    pub(crate) fn from_vm(store: StoreId, e: vm::Extern) -> Extern {
        match e {
            vm::Extern::Func(f) => Extern::Func(Func::from_vm(store, f)),
            vm::Extern::Table(t) => Extern::Table(Table { store, index: t }),
            vm::Extern::Memory(m) => Extern::Memory(Memory { store, index: m }),
            vm::Extern::Global(g) => Extern::Global(Global { store, index: g }),
            vm::Extern::Tag(t) => Extern::Tag(Tag::from_vm(store, t)),
        }
    }

    /// The runtime's form, in store `store`.
    pub(crate) fn to_vm(self, store: StoreId) -> vm::Extern {
        match self {
            Extern::Func(f) => vm::Extern::Func(f.index(store)),
            Extern::Table(t) => vm::Extern::Table(t.index(store)),
            Extern::Memory(m) => vm::Extern::Memory(m.index(store)),
            Extern::Global(g) => vm::Extern::Global(g.index(store)),
            Extern::Tag(t) => vm::Extern::Tag(t.index(store)),
        }
    }

    /// Whether it is an object of store `store`.
    pub(crate) fn belongs_to(&self, store: StoreId) -> bool {
        match self {
            Extern::Func(f) => f.store_id() == store,
            Extern::Table(t) => t.store == store,
            Extern::Memory(m) => m.store == store,
            Extern::Global(g) => g.store == store,
            Extern::Tag(t) => t.store_id() == store,
        }
    }

    /// The function, if it is one.
    pub fn into_func(self) -> Option<Func> {
        match self {
            Extern::Func(f) => Some(f),
            _ => None,
        }
    }

    /// The memory, if it is one.
    pub fn into_memory(self) -> Option<Memory> {
        match self {
            Extern::Memory(m) => Some(m),
            _ => None,
        }
    }

    /// The table, if it is one.
    pub fn into_table(self) -> Option<Table> {
        match self {
            Extern::Table(t) => Some(t),
            _ => None,
        }
    }

    /// The tag, if it is one.
    pub fn into_tag(self) -> Option<Tag> {
        match self {
            Extern::Tag(t) => Some(t),
            _ => None,
        }
    }

    /// The global, if it is one.
    pub fn into_global(self) -> Option<Global> {
        match self {
            Extern::Global(g) => Some(g),
            _ => None,
        }
    }
}

impl From<Tag> for Extern {
    fn from(t: Tag) -> Extern {
        Extern::Tag(t)
    }
}

impl From<Func> for Extern {
    fn from(f: Func) -> Extern {
        Extern::Func(f)
    }
}

impl From<Memory> for Extern {
    fn from(m: Memory) -> Extern {
        Extern::Memory(m)
    }
}

impl From<Table> for Extern {
    fn from(t: Table) -> Extern {
        Extern::Table(t)
    }
}

impl From<Global> for Extern {
    fn from(g: Global) -> Extern {
        Extern::Global(g)
    }
}

/// Why a memory access from the host failed: the range is outside the memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryAccessError;

impl std::fmt::Display for MemoryAccessError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("out of bounds memory access")
    }
}

impl std::error::Error for MemoryAccessError {}

/// A linear memory of a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Memory {
    store: StoreId,
    index: vm::MemoryId,
}

impl Memory {
    fn index(&self, store: StoreId) -> vm::MemoryId {
        check_store(self.store, store);
        self.index
    }

    /// A new memory of type `ty` in `store`.
    pub fn new(mut store: impl AsContextMut, ty: MemoryType) -> Result<Memory, Trap> {
        let ctx = store.as_context_mut();
        let index = ctx
            .store
            .memory(&ty)
            .map_err(|e| Trap::host(e.to_string()))?;
        Ok(Memory {
            store: ctx.store.id(),
            index,
        })
    }

    /// Its accessible bytes.
    pub fn data<'a, C: AsContext + 'a>(&self, store: &'a C) -> &'a [u8] {
        let store = store.as_context().store;
        store.memory_ref(self.index(store.id())).data()
    }

    /// Its accessible bytes, to write.
    pub fn data_mut<'a, C: AsContextMut + 'a>(&self, store: &'a mut C) -> &'a mut [u8] {
        let store = store.as_context_mut().store;
        let m = self.index(store.id());
        store.memory_data_mut(m)
    }

    /// Its accessible bytes and the store's data, both to write at once:
    /// what a host function needs to move bytes between the guest's memory
    /// and its own state (`memory.data_and_store_mut(&mut caller)`).
    pub fn data_and_store_mut<'a, C: AsContextMut + 'a>(
        &self,
        store: &'a mut C,
    ) -> (&'a mut [u8], &'a mut C::Data) {
        let store = store.as_context_mut().store;
        let m = self.index(store.id());
        let (data, memory) = store.data_and_memory_mut(Some(m));
        let data = data
            .downcast_mut::<C::Data>()
            .expect("a store's context holds the store's data type");
        (memory.expect("a memory was asked for"), data)
    }

    /// Its size in pages of 64 KiB.
    pub fn size(&self, store: impl AsContext) -> u64 {
        let store = store.as_context().store;
        store.memory_ref(self.index(store.id())).pages()
    }

    /// Its size in bytes.
    pub fn data_size(&self, store: impl AsContext) -> usize {
        let store = store.as_context().store;
        store.memory_ref(self.index(store.id())).len()
    }

    /// Its type, with its current size as minimum.
    pub fn ty(&self, store: impl AsContext) -> MemoryType {
        let store = store.as_context().store;
        let m = store.memory_ref(self.index(store.id()));
        MemoryType {
            limits: Limits {
                min: m.pages(),
                max: m.declared_max(),
            },
            addr: m.addr(),
        }
    }

    /// Grows it by `delta` pages; the old size in pages, or an error when it
    /// cannot grow that much (past its maximum or the store's limits).
    pub fn grow(&self, mut store: impl AsContextMut, delta: u64) -> Result<u64, Trap> {
        let store = store.as_context_mut().store;
        let m = self.index(store.id());
        store
            .grow_memory(m, delta)?
            .ok_or_else(|| Trap::host(format!("the memory cannot grow by {delta} pages")))
    }

    /// Copies the bytes at `offset` into `buf`.
    pub fn read(
        &self,
        store: impl AsContext,
        offset: usize,
        buf: &mut [u8],
    ) -> Result<(), MemoryAccessError> {
        let store = store.as_context().store;
        let data = store.memory_ref(self.index(store.id())).data();
        let end = offset.checked_add(buf.len()).ok_or(MemoryAccessError)?;
        buf.copy_from_slice(data.get(offset..end).ok_or(MemoryAccessError)?);
        Ok(())
    }

    /// Copies `buf` to the bytes at `offset`.
    pub fn write(
        &self,
        mut store: impl AsContextMut,
        offset: usize,
        buf: &[u8],
    ) -> Result<(), MemoryAccessError> {
        let store = store.as_context_mut().store;
        let data = store.memory_data_mut(self.index(store.id()));
        let end = offset.checked_add(buf.len()).ok_or(MemoryAccessError)?;
        data.get_mut(offset..end)
            .ok_or(MemoryAccessError)?
            .copy_from_slice(buf);
        Ok(())
    }
}

/// A global of a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Global {
    store: StoreId,
    index: vm::GlobalId,
}

impl Global {
    fn index(&self, store: StoreId) -> vm::GlobalId {
        check_store(self.store, store);
        self.index
    }

    /// A new global of type `ty` in `store`, holding `value` of its type.
    pub fn new(mut store: impl AsContextMut, ty: GlobalType, value: Val) -> Result<Global, Trap> {
        let store = store.as_context_mut().store;
        let id = store.id();
        let index = store.global(ty, value.to_vm(id))?;
        Ok(Global { store: id, index })
    }

    /// Its type.
    pub fn ty(&self, store: impl AsContext) -> GlobalType {
        let store = store.as_context().store;
        store.global_type(self.index(store.id()))
    }

    /// Its value.
    pub fn get(&self, store: impl AsContext) -> Val {
        let store = store.as_context().store;
        let id = store.id();
        Val::from_vm(store.global_value(self.index(id)), id)
    }

    /// Sets it, when it is mutable, to `value` of its type.
    pub fn set(&self, mut store: impl AsContextMut, value: Val) -> Result<(), Trap> {
        let store = store.as_context_mut().store;
        let id = store.id();
        store.set_global(self.index(id), value.to_vm(id))
    }
}

/// A table of a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Table {
    store: StoreId,
    index: vm::TableId,
}

impl Table {
    fn index(&self, store: StoreId) -> vm::TableId {
        check_store(self.store, store);
        self.index
    }

    /// A new table of type `ty` in `store`, every element `init`.
    pub fn new(mut store: impl AsContextMut, ty: TableType, init: Val) -> Result<Table, Trap> {
        let store = store.as_context_mut().store;
        let id = store.id();
        let index = store
            .table_with(ty, init.to_vm(id))
            .map_err(|e| Trap::host(e.to_string()))?;
        Ok(Table { store: id, index })
    }

    /// Its type, with its current size as minimum.
    pub fn ty(&self, store: impl AsContext) -> TableType {
        let store = store.as_context().store;
        store.table_ref(self.index(store.id())).ty()
    }

    /// Its number of elements.
    pub fn size(&self, store: impl AsContext) -> u32 {
        let store = store.as_context().store;
        store.table_ref(self.index(store.id())).size()
    }

    /// Element `i`, or `None` past the end.
    pub fn get(&self, store: impl AsContext, i: u32) -> Option<Val> {
        let store = store.as_context().store;
        let id = store.id();
        store
            .table_get(self.index(id), i)
            .map(|v| Val::from_vm(v, id))
    }

    /// Sets element `i` to `value`, a reference of the table's element type.
    pub fn set(&self, mut store: impl AsContextMut, i: u32, value: Val) -> Result<(), Trap> {
        let store = store.as_context_mut().store;
        let id = store.id();
        store.table_set(self.index(id), i, value.to_vm(id))
    }

    /// Grows it by `delta` elements set to `init`: the old size, or an error
    /// when it cannot grow that much (past its maximum or the store's limits).
    pub fn grow(&self, mut store: impl AsContextMut, delta: u32, init: Val) -> Result<u32, Trap> {
        let store = store.as_context_mut().store;
        let id = store.id();
        store
            .grow_table(self.index(id), delta, init.to_vm(id))?
            .ok_or_else(|| Trap::host(format!("the table cannot grow by {delta} elements")))
    }
}
