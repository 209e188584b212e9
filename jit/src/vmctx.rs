//! The context block generated code reads by offset: one per instance.

use crate::builtins::{self, Addresses};
use skiff_vm::runtime::{InstanceId, MeterState, Metering, Store, VMMemory};
use std::mem::offset_of;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

/// The per-instance context block. Its address is stable (it is boxed) and
/// generated code receives it as its first argument.
#[repr(C)]
pub struct VMContext {
    /// Memory 0's base and length, or null when the instance has no memory.
    pub memory: *const VMMemory,
    /// Memory 0's base, copied: it never changes.
    pub memory_base: *mut u8,
    /// Every memory of the instance by index (memory 0 included): where its
    /// base and length are.
    pub memories: *const *const VMMemory,
    /// The lowest stack address generated code may use.
    pub stack_limit: usize,
    /// The store, set each time generated code is entered.
    pub store: *mut Store,
    /// Pointers to the value of each global of the instance, by index.
    pub globals: *const *mut u64,
    /// The table of builtin addresses ([`builtins::ADDRESSES`]).
    pub builtins: *const Addresses,
    /// The store's fuel and epoch deadline.
    pub meter: *mut MeterState,
    /// The engine's epoch counter.
    pub epoch: *const AtomicU64,
    /// The store's count of table changes ([`Store::table_version_ptr`]).
    pub table_version: *const u64,
    /// The instance's cache of `call_indirect` targets: [`EMPTY_CACHE`]
    /// until the first target found, then the instance's own.
    pub indirect_cache: *const CacheEntry,
    /// The instance.
    pub instance: u32,
}

/// How many entries an instance's cache of `call_indirect` targets has.
pub const CACHE_ENTRIES: usize = 64;

/// A `call_indirect` target found earlier: element `elem` of the
/// instance's table `table` (the high half of `type_table`), checked
/// against type `type` (its low half), is a function generated code can
/// call directly at `code` with context block `vmctx`, as long as the
/// store's count of table changes is `version`. Written by the
/// `IndirectTarget` builtin, read by generated code, on the thread that
/// runs the store.
#[repr(C)]
pub struct CacheEntry {
    /// The count of table changes it holds for; `u64::MAX` for none.
    pub version: AtomicU64,
    /// The element index.
    pub elem: AtomicU64,
    /// The type index, and the table index shifted left by 32.
    pub type_table: AtomicU64,
    /// The callee's code.
    pub code: AtomicU64,
    /// The callee's context block.
    pub vmctx: AtomicU64,
}

impl CacheEntry {
    /// An entry that holds nothing.
    const fn empty() -> CacheEntry {
        CacheEntry {
            version: AtomicU64::new(u64::MAX),
            elem: AtomicU64::new(0),
            type_table: AtomicU64::new(0),
            code: AtomicU64::new(0),
            vmctx: AtomicU64::new(0),
        }
    }

    /// The size of an entry, for the translator.
    pub const SIZE: i64 = size_of::<CacheEntry>() as i64;
}

/// The cache of an instance that has found no target yet: it matches
/// nothing and is never written.
pub static EMPTY_CACHE: [CacheEntry; CACHE_ENTRIES] =
    [const { CacheEntry::empty() }; CACHE_ENTRIES];

/// Where the target of element `elem` of table `table`, checked against
/// type `ty`, sits in a cache: the translator computes the same from the
/// element and the constants of the call site.
pub fn cache_slot(elem: u64, ty: u32, table: u32) -> usize {
    ((elem ^ cache_salt(ty, table)) as usize) & (CACHE_ENTRIES - 1)
}

/// The part of [`cache_slot`]'s hash a call site knows as it is compiled.
pub fn cache_salt(ty: u32, table: u32) -> u64 {
    (u64::from(ty) << 6) ^ (u64::from(table) << 11)
}

/// Offsets of the fields, for the translator.
pub mod offsets {
    use super::*;
    /// `memory`.
    pub const MEMORY: i32 = offset_of!(VMContext, memory) as i32;
    /// `memory_base`.
    pub const MEMORY_BASE: i32 = offset_of!(VMContext, memory_base) as i32;
    /// `memories`.
    pub const MEMORIES: i32 = offset_of!(VMContext, memories) as i32;
    /// `stack_limit`.
    pub const STACK_LIMIT: i32 = offset_of!(VMContext, stack_limit) as i32;
    /// `globals`.
    pub const GLOBALS: i32 = offset_of!(VMContext, globals) as i32;
    /// `builtins`.
    pub const BUILTINS: i32 = offset_of!(VMContext, builtins) as i32;
    /// `meter`.
    pub const METER: i32 = offset_of!(VMContext, meter) as i32;
    /// `epoch`.
    pub const EPOCH: i32 = offset_of!(VMContext, epoch) as i32;
    /// `store`.
    pub const STORE: i32 = offset_of!(VMContext, store) as i32;
    /// `table_version`.
    pub const TABLE_VERSION: i32 = offset_of!(VMContext, table_version) as i32;
    /// `indirect_cache`.
    pub const INDIRECT_CACHE: i32 = offset_of!(VMContext, indirect_cache) as i32;
    /// `MeterState::fuel`.
    pub const METER_FUEL: i32 = offset_of!(MeterState, fuel) as i32;
    /// `MeterState::deadline`.
    pub const METER_DEADLINE: i32 = offset_of!(MeterState, deadline) as i32;
    /// `VMMemory::base`.
    pub const MEMORY_BASE_OF: i32 = offset_of!(VMMemory, base) as i32;
    /// `VMMemory::len`.
    pub const MEMORY_LEN: i32 = offset_of!(VMMemory, len) as i32;
}

/// The code of each defined function of a module, and what decides whether
/// other generated code may call it directly: the fuel and epoch checks it
/// was compiled with (which its signature follows) and its calling
/// convention (Cranelift's tail convention in modules with tail calls).
pub(crate) struct Entries {
    /// The code of each defined function, by defined index.
    pub(crate) code: Box<[usize]>,
    /// The array-call trampoline of each defined function (its type's,
    /// which calls the code it is handed), 0 for one not called from
    /// outside generated code.
    pub(crate) trampolines: Box<[usize]>,
    /// Its fuel and epoch checks.
    pub(crate) metering: Metering,
    /// Whether it uses the tail calling convention.
    pub(crate) tail: bool,
}

impl Entries {
    /// Whether code compiled as `self` may call code compiled as `other`
    /// with its own signature of the callee's type.
    pub(crate) fn compatible(&self, other: &Entries) -> bool {
        self.metering == other.metering && self.tail == other.tail
    }
}

/// What the JIT keeps per instance: the context block and what it points to.
///
/// The context block is owned through a raw pointer (from `Box::into_raw`),
/// not a `Box`: entering generated code writes to it (the store, the stack
/// limit) while the runtime only holds a shared reference to this state,
/// and generated code writes through the pointer too.
pub(crate) struct InstanceState {
    vmctx: NonNull<VMContext>,
    /// The global pointers `vmctx.globals` points to.
    _globals: Box<[*mut u64]>,
    /// The memory pointers `vmctx.memories` points to.
    _memories: Box<[*const VMMemory]>,
    /// Where generated code of other instances (or of this one, through a
    /// table) may call or jump into this instance's code.
    pub(crate) entries: Arc<Entries>,
    /// The instance's cache of `call_indirect` targets, made on the first
    /// target found (`vmctx.indirect_cache` then points to it).
    cache: OnceLock<Box<[CacheEntry]>>,
}

impl Drop for InstanceState {
    fn drop(&mut self) {
        // SAFETY: `vmctx` came from `Box::into_raw` in `new` and is freed only here.
        drop(unsafe { Box::from_raw(self.vmctx.as_ptr()) });
    }
}

// SAFETY: the raw pointers point into the store that owns this state (its
// boxed globals and memories); they are only dereferenced by generated code
// and builtins running with exclusive access to that store.
unsafe impl Send for InstanceState {}
// SAFETY: as above; shared references never dereference the pointers.
unsafe impl Sync for InstanceState {}

impl InstanceState {
    /// The context block.
    pub(crate) fn vmctx(&self) -> *mut VMContext {
        self.vmctx.as_ptr()
    }

    /// Builds the context block of `instance`, whose objects exist in `store`;
    /// `entries` as the field says.
    pub(crate) fn new(
        store: &mut Store,
        instance: InstanceId,
        entries: Arc<Entries>,
    ) -> InstanceState {
        let inst = store.instance(instance);
        let (global_ids, memory_ids) = (inst.globals().to_vec(), inst.memories().to_vec());
        let memory0 = memory_ids.first().copied();
        let globals: Box<[*mut u64]> = global_ids.iter().map(|g| store.global_ptr(*g)).collect();
        let memories: Box<[*const VMMemory]> = memory_ids
            .iter()
            .map(|m| store.memory_ref(*m).vm_memory())
            .collect();
        let (memory, memory_base) = match memory0 {
            Some(m) => {
                let mem = store.memory_ref(m);
                (mem.vm_memory(), mem.base())
            }
            None => (std::ptr::null(), std::ptr::null_mut()),
        };
        let vmctx = Box::into_raw(Box::new(VMContext {
            memory,
            memory_base,
            memories: memories.as_ptr(),
            stack_limit: 0,
            store: std::ptr::null_mut(),
            globals: globals.as_ptr(),
            builtins: &builtins::ADDRESSES,
            meter: store.meter_ptr(),
            epoch: store.epoch_counter(),
            table_version: store.table_version_ptr(),
            indirect_cache: EMPTY_CACHE.as_ptr(),
            instance: instance.0,
        }));
        InstanceState {
            vmctx: NonNull::new(vmctx).expect("a box is not null"),
            _globals: globals,
            _memories: memories,
            entries,
            cache: OnceLock::new(),
        }
    }

    /// Keeps `code` and `vmctx` as the target of element `elem` of table
    /// `table` checked against type `ty`, while the store's count of table
    /// changes is `version`.
    pub(crate) fn cache_target(
        &self,
        (elem, ty, table): (u64, u32, u32),
        version: u64,
        (code, vmctx): (usize, usize),
    ) {
        let cache = self.cache.get_or_init(|| {
            let cache: Box<[CacheEntry]> =
                (0..CACHE_ENTRIES).map(|_| CacheEntry::empty()).collect();
            // SAFETY: the context block lives as long as this state; only
            // the thread running the store writes it, and generated code
            // reads the pointer afresh at each `call_indirect`.
            unsafe { (*self.vmctx()).indirect_cache = cache.as_ptr() };
            cache
        });
        let e = &cache[cache_slot(elem, ty, table)];
        e.version.store(version, Ordering::Relaxed);
        e.elem.store(elem, Ordering::Relaxed);
        e.type_table
            .store(u64::from(ty) | (u64::from(table) << 32), Ordering::Relaxed);
        e.code.store(code as u64, Ordering::Relaxed);
        e.vmctx.store(vmctx as u64, Ordering::Relaxed);
    }
}
