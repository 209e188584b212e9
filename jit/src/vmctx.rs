//! The context block generated code reads by offset: one per instance.

use crate::builtins::{self, Addresses};
use skiff_vm::runtime::{InstanceId, MeterState, Metering, Store, VMMemory};
use std::mem::offset_of;
use std::ptr::NonNull;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

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
    /// The instance.
    pub instance: u32,
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
#[derive(Clone)]
pub(crate) struct Entries {
    /// The code of each defined function, by defined index.
    pub(crate) code: Arc<[usize]>,
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
    pub(crate) entries: Entries,
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
    pub(crate) fn new(store: &mut Store, instance: InstanceId, entries: Entries) -> InstanceState {
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
            instance: instance.0,
        }));
        InstanceState {
            vmctx: NonNull::new(vmctx).expect("a box is not null"),
            _globals: globals,
            _memories: memories,
            entries,
        }
    }
}
