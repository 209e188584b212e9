//! What a host function sees of the store it was called in.

use super::store::{Extern, Func, GlobalId, InstanceId, MemoryId, Store, TableId};
use super::trap::Trap;
use super::value::Value;
use std::any::Any;

/// A host function's view of its store and calling instance.
///
/// WebAssembly frames may be active below a host function, and compiled
/// code holds pointers into the store, so a caller lends the store only
/// through operations that cannot free or move what those pointers
/// designate: it never hands out `&mut Store`.
pub struct Caller<'a> {
    store: &'a mut Store,
    instance: Option<InstanceId>,
}

impl<'a> Caller<'a> {
    pub(crate) fn new(store: &'a mut Store, instance: Option<InstanceId>) -> Self {
        Caller { store, instance }
    }

    /// The calling instance, when called from WebAssembly.
    pub fn instance(&self) -> Option<InstanceId> {
        self.instance
    }

    /// The store, to read.
    pub fn store(&self) -> &Store {
        self.store
    }

    /// The store itself.
    ///
    /// # Safety
    /// The caller must not move the store out of the reference or replace
    /// it (`std::mem::swap`, `std::mem::replace`, ...): WebAssembly frames
    /// below this host function use the store's objects through pointers.
    /// Every method of [`Store`] keeps them valid.
    pub unsafe fn store_mut(&mut self) -> &mut Store {
        self.store
    }

    /// The calling instance's export `name`, if it has one.
    pub fn export(&self, name: &str) -> Option<Extern> {
        self.instance
            .and_then(|i| self.store.instance(i).export(name))
    }

    /// The bytes of the calling instance's exported memory `memory`, as
    /// most host APIs (WASI among them) find the guest's memory.
    pub fn exported_memory_data(&mut self) -> Option<&mut [u8]> {
        match self.export("memory") {
            Some(Extern::Memory(m)) => Some(self.store.memory_data_mut(m)),
            _ => None,
        }
    }

    /// The store's embedder data and the bytes of the calling instance's
    /// exported memory `memory` (when it has one), both mutably.
    pub fn data_and_exported_memory(&mut self) -> (&mut (dyn Any + Send), Option<&mut [u8]>) {
        let memory = match self.export("memory") {
            Some(Extern::Memory(m)) => Some(m),
            _ => None,
        };
        self.store.data_and_memory_mut(memory)
    }

    /// The accessible bytes of memory `m`.
    pub fn memory_data_mut(&mut self, m: MemoryId) -> &mut [u8] {
        self.store.memory_data_mut(m)
    }

    /// Grows memory `m` by `delta` pages: the old size in pages, or `None`.
    pub fn grow_memory(&mut self, m: MemoryId, delta: u64) -> Result<Option<u64>, Trap> {
        self.store.grow_memory(m, delta)
    }

    /// Sets mutable global `g` to `value`.
    pub fn set_global(&mut self, g: GlobalId, value: Value) -> Result<(), Trap> {
        self.store.set_global(g, value)
    }

    /// Sets element `i` of table `t`.
    pub fn table_set(&mut self, t: TableId, i: u32, value: Value) -> Result<(), Trap> {
        self.store.table_set(t, i, value)
    }

    /// Grows table `t` by `delta` elements set to `init`: the old size, or `None`.
    pub fn grow_table(&mut self, t: TableId, delta: u32, init: Value) -> Result<Option<u32>, Trap> {
        self.store.grow_table(t, delta, init)
    }

    /// Calls function `f` of the store, on behalf of the calling instance.
    pub fn call(&mut self, f: Func, args: &[Value]) -> Result<Vec<Value>, Trap> {
        self.store.call_from(f, args, self.instance)
    }

    /// The embedder's data.
    pub fn data(&self) -> &(dyn Any + Send) {
        self.store.data()
    }

    /// The embedder's data, mutably.
    pub fn data_mut(&mut self) -> &mut (dyn Any + Send) {
        self.store.data_mut()
    }
}
