//! The store: every runtime object of a group of instances that may link to
//! each other, addressed by small handles.
//!
//! The store owns its objects for its whole life: nothing is ever removed
//! from it, memories never move their bytes, and globals are boxed so that
//! a global's value keeps its address. Compiled code holds raw pointers to
//! them (the JIT's context block), so the store's fields are private and
//! none of its methods frees or moves what such a pointer designates.
//! (Exceptions are the one thing reclaimed; compiled code only names them
//! by index, see [`super::exception`].)

use super::caller::Caller;
use super::engine_ref::{EngineShared, detached_epoch};
use super::exception::{Exceptions, Tag};
use super::func::{FuncEntity, FuncKind, HostFn};
use super::image::MemoryImage;
use super::instance::InstanceEntity;
use super::limits::{ResourceLimiter, StoreLimits};
use super::memory::{LinearMemory, MemoryConfig, MemoryError};
use super::metering::{Epoch, MeterState};
use super::table::{Table, TableError};
use super::tier::WasmFunc;
use super::trap::Trap;
use super::value::{RawRef, Value, read_slots, write_slots};
use crate::types::{
    FuncType, GlobalType, HeapType, MemoryType, PAGE_SIZE, RefType, TableType, ValType,
};
use std::any::Any;
use std::cell::Cell;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Identifies a store, so that a handle used with another store is caught.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StoreId(u64);

impl StoreId {
    /// A new identity. Each thread takes identities from a block of its
    /// own, so that threads making stores at the same time seldom touch the
    /// one counter they share.
    fn next() -> StoreId {
        const BLOCK: u64 = 1024;
        static NEXT_BLOCK: AtomicU64 = AtomicU64::new(1);
        thread_local! {
            static RANGE: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
        }
        RANGE.with(|range| {
            let (mut next, mut end) = range.get();
            if next == end {
                next = NEXT_BLOCK.fetch_add(1, Ordering::Relaxed) * BLOCK;
                end = next + BLOCK;
            }
            range.set((next + 1, end));
            StoreId(next)
        })
    }
}

/// A function in a store (its address).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Func(pub u32);
/// A linear memory in a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MemoryId(pub u32);
/// A table in a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TableId(pub u32);
/// A global in a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GlobalId(pub u32);
/// An instance in a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct InstanceId(pub u32);

/// Something an instance exports or a module imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extern {
    /// A function.
    Func(Func),
    /// A table.
    Table(TableId),
    /// A memory.
    Memory(MemoryId),
    /// A global.
    Global(GlobalId),
    /// An exception tag.
    Tag(Tag),
}

/// A global: its type and current value as raw bits (a scalar in the low
/// 64, little-endian first, so that compiled code reads either width at
/// the same address).
#[derive(Debug, Clone, Copy)]
#[repr(C, align(16))]
pub struct Global {
    value: u128,
    ty: GlobalType,
}

/// Every runtime object of a group of instances that may link to each other.
pub struct Store {
    id: StoreId,
    pub(crate) funcs: Vec<FuncEntity>,
    pub(crate) memories: Vec<LinearMemory>,
    pub(crate) tables: Vec<Table>,
    /// Boxed so that a global's value keeps its address while globals are
    /// added: compiled code reads and writes it through a pointer.
    #[allow(
        clippy::vec_box,
        reason = "each global keeps its address while the vector grows"
    )]
    globals: Vec<Box<Global>>,
    pub(crate) instances: Vec<InstanceEntity>,
    /// The type of every exception tag, by address.
    pub(crate) tags: Vec<FuncType>,
    /// Exceptions thrown and not reclaimed.
    pub(crate) exceptions: Exceptions,
    /// Host functions shared through [`Store::host_func_shared`], by address.
    shared_host_funcs: HashMap<usize, Func>,
    memory_config: MemoryConfig,
    /// The engine the store was made for, if any: its epoch counter, and
    /// the pool memories come from when not from reservations of their own.
    engine: Option<Arc<dyn EngineShared>>,
    /// Decides what may grow and how many objects the store may hold.
    limiter: Limiter,
    /// Bytes of native stack JIT code may use below its outermost entry.
    max_wasm_stack: usize,
    /// Bytes of the interpreter's own stacks (value slots and call frames)
    /// one call from the host may use.
    max_interp_stack: usize,
    /// The embedder's data, which host functions reach through their caller.
    data: Box<dyn Any + Send>,
    /// The payload of a host function's panic, caught at the boundary with
    /// WebAssembly and waiting to be resumed once the Wasm frames are gone.
    pending_panic: Option<Box<dyn Any + Send>>,
    /// Fuel left and the epoch deadline, which compiled code reads through a
    /// pointer (boxed: the address stays put).
    meter: Box<MeterState>,
    /// Counts the changes of any table element in the store, so that code
    /// may keep what it found in a table for as long as it reads the same
    /// count (boxed: compiled code reads it through a pointer).
    table_version: Box<u64>,
}

impl Drop for Store {
    fn drop(&mut self) {
        // Memories taken from the engine's pool go back to it; nothing
        // references them any more.
        if let Some(pool) = self.engine.as_ref().and_then(|e| e.memory_pool()) {
            for memory in &mut self.memories {
                memory.give_back(pool);
            }
        }
        // So do tables; each was taken from the pool (see `add_table`).
        if let Some(pool) = self.engine.as_ref().and_then(|e| e.table_pool()) {
            for table in &mut self.tables {
                pool.give_back(table);
            }
        }
    }
}

impl Default for Store {
    fn default() -> Self {
        Store::new(MemoryConfig::default())
    }
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("id", &self.id)
            .field("funcs", &self.funcs.len())
            .field("memories", &self.memories.len())
            .field("tables", &self.tables.len())
            .field("globals", &self.globals.len())
            .field("instances", &self.instances.len())
            .finish()
    }
}

impl Store {
    /// An empty store whose memories reserve address space as `memory_config` says.
    pub fn new(memory_config: MemoryConfig) -> Self {
        Store {
            id: StoreId::next(),
            funcs: Vec::new(),
            memories: Vec::new(),
            tables: Vec::new(),
            globals: Vec::new(),
            instances: Vec::new(),
            tags: Vec::new(),
            exceptions: Exceptions::default(),
            shared_host_funcs: HashMap::new(),
            memory_config,
            engine: None,
            limiter: Limiter::Default(StoreLimits::default()),
            max_wasm_stack: DEFAULT_MAX_WASM_STACK,
            max_interp_stack: DEFAULT_MAX_INTERP_STACK,
            data: Box::new(()),
            pending_panic: None,
            meter: Box::default(),
            table_version: Box::default(),
        }
    }

    /// The store's tables, to change elements of: counted as a change of
    /// the tables (see [`Store::table_version_ptr`]).
    pub(crate) fn tables_mut(&mut self) -> &mut Vec<Table> {
        *self.table_version = self.table_version.wrapping_add(1);
        &mut self.tables
    }

    /// Where the count of the store's table changes is: it grows whenever
    /// an element of any table is set (growth leaves the existing elements
    /// alone, and is not counted). Valid as long as the store; compiled code
    /// keeps the function it found at an element while the count stays.
    pub fn table_version_ptr(&self) -> *const u64 {
        &*self.table_version
    }

    /// Makes the store one of `engine`'s: it uses the engine's epoch
    /// counter for its deadline and, when the engine has a pool of
    /// memories, takes memories from it instead of reserving address space
    /// for each (the store's memory configuration becomes the pool's
    /// slots', so that code compiled for another refuses to instantiate in
    /// it); likewise tables from its pool of tables, if it has one.
    ///
    /// # Panics
    /// When the store holds memories or tables already.
    pub fn set_engine(&mut self, engine: Arc<dyn EngineShared>) {
        assert!(
            self.memories.is_empty() && self.tables.is_empty(),
            "a store's engine is set before it holds memories or tables"
        );
        if let Some(pool) = engine.memory_pool() {
            self.memory_config = pool.memory_config();
        }
        self.engine = Some(engine);
    }

    /// The engine the store was made for, if any.
    pub fn engine(&self) -> Option<&Arc<dyn EngineShared>> {
        self.engine.as_ref()
    }

    /// The epoch counter of the store's engine.
    fn epoch(&self) -> &Epoch {
        self.engine.as_ref().map_or(detached_epoch(), |e| e.epoch())
    }

    /// Sets the fuel left to `fuel` (at most `i64::MAX`).
    pub fn set_fuel(&mut self, fuel: u64) {
        self.meter.fuel = i64::try_from(fuel).unwrap_or(i64::MAX);
    }

    /// The fuel left.
    pub fn fuel(&self) -> u64 {
        self.meter.fuel.max(0) as u64
    }

    /// Code traps once the engine's epoch counter reaches its current value
    /// plus `ticks`.
    pub fn set_epoch_deadline(&mut self, ticks: u64) {
        self.meter.deadline = self.epoch().current().saturating_add(ticks);
    }

    /// The fuel and deadline compiled code reads and writes; valid as long
    /// as the store.
    pub fn meter_ptr(&mut self) -> *mut MeterState {
        &mut *self.meter
    }

    /// The engine's epoch counter, which compiled code reads; valid as long
    /// as the store.
    pub fn epoch_counter(&self) -> *const std::sync::atomic::AtomicU64 {
        self.epoch().counter()
    }

    /// This store's identity.
    pub fn id(&self) -> StoreId {
        self.id
    }

    /// How this store's memories reserve address space.
    pub fn memory_config(&self) -> MemoryConfig {
        self.memory_config
    }

    /// Bytes of native stack that JIT code may use below its outermost
    /// entry on a thread, before a stack-exhausted trap. The thread's real
    /// stack bounds this too, less a reserve kept for host functions.
    pub fn max_wasm_stack(&self) -> usize {
        self.max_wasm_stack
    }

    /// Sets [`Store::max_wasm_stack`].
    pub fn set_max_wasm_stack(&mut self, bytes: usize) {
        self.max_wasm_stack = bytes;
    }

    /// Bytes of the interpreter's own stacks (its value slots and call
    /// frames, which live on the heap) that one call from the host may use
    /// before a stack-exhausted trap.
    pub fn max_interp_stack(&self) -> usize {
        self.max_interp_stack
    }

    /// Sets [`Store::max_interp_stack`].
    pub fn set_max_interp_stack(&mut self, bytes: usize) {
        self.max_interp_stack = bytes;
    }

    /// Makes `limits` decide what this store's memories and tables may grow
    /// to and how many instances, memories and tables it may hold.
    pub fn set_limits(&mut self, limits: StoreLimits) {
        self.limiter = Limiter::Default(limits);
    }

    /// Makes the limiter that `get` finds in the embedder's data decide
    /// what this store may grow to (as wasmtime's `Store::limiter`): `get`
    /// is called, with the data, each time a limit is checked.
    pub fn set_limiter(&mut self, get: Box<LimiterFn>) {
        self.limiter = Limiter::InData(get);
    }

    /// The store's resource limiter.
    pub fn limiter(&mut self) -> &mut dyn ResourceLimiter {
        match &mut self.limiter {
            Limiter::Default(l) => l,
            Limiter::InData(get) => get(&mut *self.data),
        }
    }

    /// The embedder's data.
    pub fn data(&self) -> &(dyn Any + Send) {
        &*self.data
    }

    /// The embedder's data, mutably.
    pub fn data_mut(&mut self) -> &mut (dyn Any + Send) {
        &mut *self.data
    }

    /// The embedder's data and the accessible bytes of memory `m` (when
    /// given), both mutably: a host function may need both at once.
    pub fn data_and_memory_mut(
        &mut self,
        m: Option<MemoryId>,
    ) -> (&mut (dyn Any + Send), Option<&mut [u8]>) {
        let memory = m.map(|m| self.memories[m.0 as usize].data_mut());
        (&mut *self.data, memory)
    }

    /// Replaces the embedder's data, returning the old one.
    pub fn set_data(&mut self, data: Box<dyn Any + Send>) -> Box<dyn Any + Send> {
        std::mem::replace(&mut self.data, data)
    }

    /// Takes the payload of a host function's panic that ended the last call,
    /// for the embedder to resume once no WebAssembly frame is active.
    pub fn take_pending_panic(&mut self) -> Option<Box<dyn Any + Send>> {
        self.pending_panic.take()
    }

    /// Adds a host function of type `ty`.
    pub fn host_func(&mut self, ty: FuncType, f: Arc<HostFn>) -> Func {
        self.add_func(FuncEntity::new(ty, FuncKind::Host(f)))
    }

    /// The function of host function `f` of type `ty` in this store, added
    /// the first time it is asked for: a linker's host functions, which
    /// every instantiation resolves again, are made once per store.
    pub fn host_func_shared(&mut self, ty: &FuncType, f: &Arc<HostFn>) -> Func {
        // The store keeps a clone of every Arc it caches, so an address in
        // the cache cannot be reused by another allocation.
        let key = Arc::as_ptr(f) as *const () as usize;
        if let Some(func) = self.shared_host_funcs.get(&key)
            && self.funcs[func.0 as usize].ty == *ty
        {
            return *func;
        }
        let func = self.host_func(ty.clone(), f.clone());
        self.shared_host_funcs.insert(key, func);
        func
    }

    pub(crate) fn add_func(&mut self, f: FuncEntity) -> Func {
        self.funcs.push(f);
        Func(self.funcs.len() as u32 - 1)
    }

    /// Whether `value` is a value of type `ty`: of its kind, not null where
    /// the type excludes null, and a function of the type a typed function
    /// reference names. Says nothing of whether a reference is this store's.
    pub fn value_matches(&self, value: &Value, ty: ValType) -> bool {
        let ValType::Ref(r) = ty else {
            return value.ty() == ty;
        };
        let of_kind = matches!(
            (value, r.top()),
            (Value::FuncRef(_), HeapType::Func)
                | (Value::ExternRef(_), HeapType::Extern)
                | (Value::ExnRef(_), HeapType::Exn)
        );
        match (value, r.heap) {
            _ if !of_kind => false,
            _ if value.is_null() => r.nullable,
            (Value::FuncRef(Some(f)), HeapType::Concrete(id)) => self
                .funcs
                .get(f.0 as usize)
                .is_some_and(|e| e.ty == id.func_type()),
            _ => true,
        }
    }

    /// Whether `values` are as many as `tys` and each matches its type
    /// ([`Store::value_matches`]).
    pub fn values_match(&self, values: &[Value], tys: &[ValType]) -> bool {
        values.len() == tys.len()
            && values
                .iter()
                .zip(tys)
                .all(|(v, t)| self.value_matches(v, *t))
    }

    /// The address of the function `value` refers to when it is not one of
    /// this store's.
    pub(crate) fn foreign_func(&self, value: &Value) -> Option<u32> {
        match value {
            Value::FuncRef(Some(f)) if f.0 as usize >= self.funcs.len() => Some(f.0),
            _ => None,
        }
    }

    /// `value` as an element of a table of `elem`: of that type, and a
    /// function of this store.
    fn element(&self, elem: RefType, value: Value) -> Result<RawRef, String> {
        if !self.value_matches(&value, ValType::Ref(elem)) {
            return Err(format!(
                "a {} value cannot be stored in a table of {elem}",
                value.ty()
            ));
        }
        if self.foreign_func(&value).is_some() {
            return Err("the function is not in this store".into());
        }
        Ok(value.to_raw())
    }

    /// Adds a global of type `ty` holding `value`; an error when the value
    /// is not of the global's type.
    pub fn global(&mut self, ty: GlobalType, value: Value) -> Result<GlobalId, Trap> {
        if !self.value_matches(&value, ty.content) {
            return Err(Trap::host(format!(
                "a {} value cannot initialize a global of type {}",
                value.ty(),
                ty.content
            )));
        }
        Ok(self.add_global(ty, value.to_bits128()))
    }

    pub(crate) fn add_global(&mut self, ty: GlobalType, value: u128) -> GlobalId {
        self.globals.push(Box::new(Global { ty, value }));
        GlobalId(self.globals.len() as u32 - 1)
    }

    /// Adds a table of type `ty` whose elements are null; an error when the
    /// store's limits refuse it, its elements cannot be allocated, or they
    /// cannot be null (see [`Store::table_with`]).
    pub fn table(&mut self, ty: TableType) -> Result<TableId, TableError> {
        self.table_with(ty, Value::default_of(ValType::Ref(ty.elem)))
    }

    /// Adds a table of type `ty` whose elements are `init`, which must be a
    /// value of its element type and, for a function, one of this store's.
    pub fn table_with(&mut self, ty: TableType, init: Value) -> Result<TableId, TableError> {
        let init = self.element(ty.elem, init).map_err(TableError::new)?;
        self.add_table(ty, init)
    }

    pub(crate) fn add_table(&mut self, ty: TableType, init: RawRef) -> Result<TableId, TableError> {
        let most = self.limiter().tables();
        if self.tables.len() >= most {
            return Err(TableError::new(format!(
                "the store's limit of {most} tables is reached"
            )));
        }
        let min = usize::try_from(ty.limits.min).unwrap_or(usize::MAX);
        let max = ty
            .limits
            .max
            .map(|m| usize::try_from(m).unwrap_or(usize::MAX));
        let allowed = self
            .limiter()
            .table_growing(0, min, max)
            .map_err(|t| TableError::new(t.to_string()))?;
        if !allowed {
            return Err(TableError::new(format!(
                "a table of {min} elements is past the store's limit"
            )));
        }
        let made = match self.engine.as_ref().and_then(|e| e.table_pool()) {
            Some(pool) => pool.take(ty, init),
            None => Table::new(ty, init),
        };
        match made {
            Ok(table) => self.tables.push(table),
            Err(e) => {
                self.limiter().table_grow_failed(0, min);
                return Err(e);
            }
        }
        Ok(TableId(self.tables.len() as u32 - 1))
    }

    /// Adds a linear memory of `ty`; an error when the store's limits
    /// refuse it or its address space cannot be reserved.
    pub fn memory(&mut self, ty: &MemoryType) -> Result<MemoryId, MemoryError> {
        self.memory_with_image(ty, None)
    }

    /// As [`Store::memory`], its first bytes mapped copy-on-write from
    /// `image` when there is one.
    pub fn memory_with_image(
        &mut self,
        ty: &MemoryType,
        image: Option<&Arc<MemoryImage>>,
    ) -> Result<MemoryId, MemoryError> {
        let most = self.limiter().memories();
        if self.memories.len() >= most {
            return Err(MemoryError::new(format!(
                "the store's limit of {most} memories is reached"
            )));
        }
        let bytes = |pages: u64| {
            pages
                .checked_mul(PAGE_SIZE)
                .and_then(|b| usize::try_from(b).ok())
                .unwrap_or(usize::MAX)
        };
        let (min, max) = (bytes(ty.limits.min), ty.limits.max.map(bytes));
        let allowed = self
            .limiter()
            .memory_growing(0, min, max)
            .map_err(|t| MemoryError::new(t.to_string()))?;
        if !allowed {
            return Err(MemoryError::new(format!(
                "a memory of {} pages ({min} bytes) is past the store's limit",
                ty.limits.min
            )));
        }
        let made = match self.engine.as_ref().and_then(|e| e.memory_pool()) {
            Some(pool) => LinearMemory::pooled(ty, pool, image),
            None => LinearMemory::new(ty, &self.memory_config, image.map(|i| &**i)),
        };
        match made {
            Ok(memory) => self.memories.push(memory),
            Err(e) => {
                self.limiter().memory_grow_failed(0, min);
                return Err(e);
            }
        }
        Ok(MemoryId(self.memories.len() as u32 - 1))
    }

    /// The instance behind `id`.
    pub fn instance(&self, id: InstanceId) -> &InstanceEntity {
        &self.instances[id.0 as usize]
    }

    /// Function `f`.
    pub fn func(&self, f: Func) -> &FuncEntity {
        &self.funcs[f.0 as usize]
    }

    /// Whether `f` names a function of this store.
    pub fn has_func(&self, f: Func) -> bool {
        (f.0 as usize) < self.funcs.len()
    }

    /// The type of function `f`.
    pub fn func_type(&self, f: Func) -> &FuncType {
        &self.funcs[f.0 as usize].ty
    }

    /// Whether `g` names a global of this store.
    pub fn has_global(&self, g: GlobalId) -> bool {
        (g.0 as usize) < self.globals.len()
    }

    /// The type of global `g`.
    pub fn global_type(&self, g: GlobalId) -> GlobalType {
        self.globals[g.0 as usize].ty
    }

    /// The current value of global `g`.
    pub fn global_value(&self, g: GlobalId) -> Value {
        let global = &self.globals[g.0 as usize];
        Value::from_bits128(global.ty.content, global.value)
    }

    /// Sets global `g`, which must be mutable, to `value` of its type.
    pub fn set_global(&mut self, g: GlobalId, value: Value) -> Result<(), Trap> {
        let ty = self.globals[g.0 as usize].ty;
        if !ty.mutable {
            return Err(Trap::host("the global is immutable"));
        }
        if !self.value_matches(&value, ty.content) {
            return Err(Trap::host(format!(
                "a {} value cannot be stored in a global of type {}",
                value.ty(),
                ty.content
            )));
        }
        self.globals[g.0 as usize].value = value.to_bits128();
        Ok(())
    }

    /// The raw bits of global `g`, as a tier's slot holds them.
    pub fn global_raw(&self, g: GlobalId) -> u128 {
        self.globals[g.0 as usize].value
    }

    /// Sets the raw bits of global `g`, for a validated `global.set`.
    pub(crate) fn set_global_raw(&mut self, g: GlobalId, value: u128) {
        self.globals[g.0 as usize].value = value;
    }

    /// The address of global `g`'s raw bits (16 bytes, a scalar in the low
    /// 8), which stays valid as long as the store: compiled code reads and
    /// writes the global through it.
    pub fn global_ptr(&mut self, g: GlobalId) -> *mut u64 {
        (&mut self.globals[g.0 as usize].value as *mut u128).cast()
    }

    /// Memory `m`.
    pub fn memory_ref(&self, m: MemoryId) -> &LinearMemory {
        &self.memories[m.0 as usize]
    }

    /// The accessible bytes of memory `m`.
    pub fn memory_data_mut(&mut self, m: MemoryId) -> &mut [u8] {
        self.memories[m.0 as usize].data_mut()
    }

    /// Grows memory `m` by `delta` pages, when its type, its reservation
    /// and the store's limiter allow: the old size in pages, or `None` (what
    /// `memory.grow` reports as -1). An error when the limiter traps.
    pub fn grow_memory(&mut self, m: MemoryId, delta: u64) -> Result<Option<u64>, Trap> {
        let memory = &self.memories[m.0 as usize];
        let old = memory.pages();
        let Some(new) = old.checked_add(delta).filter(|n| *n <= memory.max_pages()) else {
            return Ok(None);
        };
        if delta == 0 {
            return Ok(Some(old));
        }
        // Within `max_pages`, at most 4 GiB: these fit a usize on the
        // 64-bit hosts Skiff runs on, and saturate elsewhere.
        let bytes = |pages: u64| usize::try_from(pages * PAGE_SIZE).unwrap_or(usize::MAX);
        let (current, desired) = (bytes(old), bytes(new));
        let maximum = memory.declared_max().map(bytes);
        if !self.limiter().memory_growing(current, desired, maximum)? {
            return Ok(None);
        }
        let grown = self.memories[m.0 as usize].grow(delta);
        if grown.is_none() {
            self.limiter().memory_grow_failed(current, desired);
        }
        Ok(grown)
    }

    /// Table `t`.
    pub fn table_ref(&self, t: TableId) -> &Table {
        &self.tables[t.0 as usize]
    }

    /// Element `i` of table `t`, or `None` past its end.
    pub fn table_get(&self, t: TableId, i: u32) -> Option<Value> {
        let table = &self.tables[t.0 as usize];
        let raw = table.get(i)?;
        Some(Value::from_raw(ValType::Ref(table.ty().elem), raw))
    }

    /// Sets element `i` of table `t` to `value`, a reference of the table's
    /// element type to an object of this store.
    pub fn table_set(&mut self, t: TableId, i: u32, value: Value) -> Result<(), Trap> {
        let raw = self.table_value(t, value)?;
        match self.tables_mut()[t.0 as usize].set(i, raw) {
            Some(()) => Ok(()),
            None => Err(Trap::new(super::trap::TrapKind::TableOutOfBounds)),
        }
    }

    /// Grows table `t` by `delta` elements set to `init`: the old size, or
    /// `None` when its type, the store's limiter or the host's memory does
    /// not allow it. An error when `init` does not fit the table, or the
    /// limiter traps.
    pub fn grow_table(&mut self, t: TableId, delta: u32, init: Value) -> Result<Option<u32>, Trap> {
        let raw = self.table_value(t, init)?;
        self.grow_table_raw(t, delta, raw)
    }

    /// Grows table `t` by `delta` elements set to `init`, a reference of
    /// its element type, as [`Store::grow_table`] does.
    pub(crate) fn grow_table_raw(
        &mut self,
        t: TableId,
        delta: u32,
        init: RawRef,
    ) -> Result<Option<u32>, Trap> {
        let table = &self.tables[t.0 as usize];
        let old = table.size();
        let declared = table.ty().limits.max;
        let Some(new) = old
            .checked_add(delta)
            .filter(|n| u64::from(*n) <= declared.unwrap_or(u32::MAX.into()))
        else {
            return Ok(None);
        };
        if delta == 0 {
            return Ok(Some(old));
        }
        let maximum = declared.map(|m| usize::try_from(m).unwrap_or(usize::MAX));
        if !self
            .limiter()
            .table_growing(old as usize, new as usize, maximum)?
        {
            return Ok(None);
        }
        let grown = self.tables[t.0 as usize].grow(delta, init);
        if grown.is_none() {
            self.limiter().table_grow_failed(old as usize, new as usize);
        }
        Ok(grown)
    }

    /// `value` as an element of table `t`: checked against its element type,
    /// and a function reference against this store's functions.
    fn table_value(&self, t: TableId, value: Value) -> Result<RawRef, Trap> {
        let elem = self.tables[t.0 as usize].ty().elem;
        self.element(elem, value).map_err(Trap::host)
    }

    /// Calls function `f` with `args`; checks the arguments against its type.
    pub fn call(&mut self, f: Func, args: &[Value]) -> Result<Vec<Value>, Trap> {
        self.call_from(f, args, None)
    }

    /// Calls function `f` on behalf of instance `caller`: a host function sees
    /// it as the calling instance (whose memory WASI reads, for example).
    pub fn call_from(
        &mut self,
        f: Func,
        args: &[Value],
        caller: Option<InstanceId>,
    ) -> Result<Vec<Value>, Trap> {
        let entity = self
            .funcs
            .get(f.0 as usize)
            .ok_or_else(|| Trap::host(format!("no function {} in this store", f.0)))?;
        let params = entity.ty.params();
        if !self.values_match(args, params) {
            let given: Vec<String> = args.iter().map(|a| a.ty().to_string()).collect();
            return Err(Trap::host(format!(
                "arguments [{}] do not match the function's type {}",
                given.join(" "),
                entity.ty
            )));
        }
        if let Some(bad) = args.iter().find_map(|a| self.foreign_func(a)) {
            return Err(Trap::host(format!(
                "argument refers to function {bad}, which is not in this store"
            )));
        }
        self.call_unchecked(f, args, caller)
    }

    /// Calls function `f` with `args` of its parameter types.
    fn call_unchecked(
        &mut self,
        f: Func,
        args: &[Value],
        caller: Option<InstanceId>,
    ) -> Result<Vec<Value>, Trap> {
        let entity = &self.funcs[f.0 as usize];
        match &entity.kind {
            FuncKind::Wasm { instance, index } => {
                let (instance, index) = (*instance, *index);
                let code = self.instances[instance.0 as usize].code().clone();
                code.call(self, WasmFunc { instance, index }, args)
            }
            FuncKind::Host(h) => {
                let (h, ty) = (h.clone(), entity.ty.clone());
                let mut results = Vec::with_capacity(ty.results().len());
                self.call_host(&*h, &ty, args, &mut results, caller)?;
                Ok(results)
            }
        }
    }

    /// Runs host function `h` of type `ty`. A panic in it is caught here, at
    /// the boundary with WebAssembly (it must never unwind through compiled
    /// code), and becomes a trap that unwinds the Wasm frames; the payload
    /// waits in the store for the embedder's call to resume it.
    fn call_host(
        &mut self,
        h: &HostFn,
        ty: &FuncType,
        args: &[Value],
        results: &mut Vec<Value>,
        caller: Option<InstanceId>,
    ) -> Result<(), Trap> {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            h(Caller::new(self, caller), args, results)
        }));
        match outcome {
            Ok(result) => {
                result?;
                check_results(self, ty, results)
            }
            Err(payload) => Err(self.panicked(payload)),
        }
    }

    /// Keeps the payload of a panic caught at the boundary between Rust and
    /// WebAssembly, for the embedder's call to resume once no WebAssembly
    /// frame is left; returns the trap that unwinds those frames meanwhile.
    pub fn panicked(&mut self, payload: Box<dyn Any + Send>) -> Trap {
        let trap = Trap::host(format!("host code panicked: {}", panic_message(&*payload)));
        self.pending_panic = Some(payload);
        trap
    }

    /// Calls function `f` on behalf of instance `caller` with its arguments
    /// as raw slot bits in `slots`, and writes its results there: how the
    /// tiers call what they do not run themselves (host functions, code of
    /// another tier). Each value takes [`slots_of`](super::value::slots_of)
    /// its type (a `v128` two); `slots` holds as many as the parameters or
    /// the results take, whichever is more.
    pub fn call_raw(
        &mut self,
        f: Func,
        caller: Option<InstanceId>,
        slots: &mut [u64],
    ) -> Result<(), Trap> {
        if let FuncKind::Wasm { instance, index } = self.funcs[f.0 as usize].kind {
            let code = self.instances[instance.0 as usize].code().clone();
            return code.call_slots(self, WasmFunc { instance, index }, slots);
        }
        let ty = self.funcs[f.0 as usize].ty.clone();
        let args = read_slots(ty.params(), slots);
        let results = self.call_unchecked(f, &args, caller)?;
        write_slots(&results, slots);
        Ok(())
    }
}

/// How much native stack JIT code may use by default: 1 MiB. wasmtime's
/// default is 512 KiB; Skiff's frames are about as large as wasmtime's,
/// and the margin lets a recursion as deep as wasmtime's run.
pub const DEFAULT_MAX_WASM_STACK: usize = 1 << 20;

/// How many bytes of its own stacks the interpreter may use by default:
/// 8 MiB. An interpreted frame takes more bytes than a compiled one (its
/// locals and operands are 8-byte slots, plus 24 bytes of return state), so
/// the budget is larger than [`DEFAULT_MAX_WASM_STACK`] to let programs
/// recurse at least as deep as wasmtime's default 512 KiB of native stack
/// lets them (a frame wasmtime keeps in 16 bytes takes under 256 here).
pub const DEFAULT_MAX_INTERP_STACK: usize = 8 << 20;

/// Finds a store's resource limiter in the embedder's data.
pub type LimiterFn =
    dyn for<'a> FnMut(&'a mut (dyn Any + Send)) -> &'a mut (dyn ResourceLimiter + 'a) + Send;

/// Where a store's limiter is.
enum Limiter {
    /// Owned by the store.
    Default(StoreLimits),
    /// In the embedder's data, found by the function.
    InData(Box<LimiterFn>),
}

/// Checks that a host function returned values of its result types, each
/// reference naming an object of the store.
fn check_results(store: &Store, ty: &FuncType, results: &[Value]) -> Result<(), Trap> {
    let foreign = results.iter().any(|r| store.foreign_func(r).is_some());
    if !store.values_match(results, ty.results()) || foreign {
        return Err(Trap::host(format!(
            "host function returned {} value(s) that do not match its type {ty}",
            results.len()
        )));
    }
    Ok(())
}

/// The message of a panic payload, when it is a string.
fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "(a non-string payload)"
    }
}
