//! The context block generated code reads by offset: one per instance.

use skiff_vm::runtime::{InstanceId, Store, VMMemory};
use std::mem::offset_of;

/// The per-instance context block. Its address is stable (it is boxed) and
/// generated code receives it as its first argument.
#[repr(C)]
pub struct VMContext {
    /// Memory 0's base and length, or null when the instance has no memory.
    pub memory: *const VMMemory,
    /// Memory 0's base, copied: it never changes.
    pub memory_base: *mut u8,
    /// The lowest stack address generated code may use.
    pub stack_limit: usize,
    /// The store, set each time generated code is entered.
    pub store: *mut Store,
    /// Pointers to the value of each global of the instance, by index.
    pub globals: *const *mut u64,
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
    /// `stack_limit`.
    pub const STACK_LIMIT: i32 = offset_of!(VMContext, stack_limit) as i32;
    /// `globals`.
    pub const GLOBALS: i32 = offset_of!(VMContext, globals) as i32;
    /// `VMMemory::len`.
    pub const MEMORY_LEN: i32 = offset_of!(VMMemory, len) as i32;
}

/// What the JIT keeps per instance: the context block and what it points to.
pub struct InstanceState {
    /// The context block.
    pub vmctx: Box<VMContext>,
    /// The global pointers `vmctx.globals` points to.
    _globals: Box<[*mut u64]>,
}

// SAFETY: the raw pointers point into the store that owns this state (its
// boxed globals and memories); they are only dereferenced by generated code
// and libcalls running with exclusive access to that store.
unsafe impl Send for InstanceState {}
// SAFETY: as above; shared references never dereference the pointers.
unsafe impl Sync for InstanceState {}

impl InstanceState {
    /// Builds the context block of `instance`, whose objects exist in `store`.
    pub fn new(store: &mut Store, instance: InstanceId) -> InstanceState {
        let inst = &store.instances[instance.0 as usize];
        let globals: Box<[*mut u64]> = inst
            .globals
            .iter()
            .map(|g| &mut store.globals[g.0 as usize].value as *mut u64)
            .collect();
        let (memory, memory_base) = match inst.memories.first() {
            Some(m) => {
                let mem = &store.memories[m.0 as usize];
                (mem.vm_memory(), mem.base())
            }
            None => (std::ptr::null(), std::ptr::null_mut()),
        };
        let vmctx = Box::new(VMContext {
            memory,
            memory_base,
            stack_limit: 0,
            store: std::ptr::null_mut(),
            globals: globals.as_ptr(),
            instance: instance.0,
        });
        InstanceState {
            vmctx,
            _globals: globals,
        }
    }
}
