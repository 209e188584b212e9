//! The semantics of the instructions that leave compiled code: bulk memory,
//! table instructions, `ref.func`, the checks of `call_indirect`, segment
//! initialization. They live here once; the interpreter calls them from its
//! executor and the JIT from its builtins, so both tiers agree by construction.
//!
//! Each takes the store, the running instance and the instruction's
//! immediates (indices in the instance's index spaces) and operands, and
//! returns the result or the trap. Addresses and lengths are 64-bit so that
//! 32-bit operands pass zero-extended.

mod call;
mod memory;
mod reference;
mod table;
mod variable;

pub use call::{call_indirect_target, import, ref_callee};
pub use memory::{data_drop, memory_copy, memory_fill, memory_grow, memory_init, memory_size};
pub use reference::ref_func;
pub use table::{
    elem_drop, table_copy, table_fill, table_get, table_grow, table_init, table_set, table_size,
};
pub use variable::{global_get, global_set};

use super::trap::{Trap, TrapKind};

/// `start..start + len` when it lies within `0..size`, else a trap of `kind`.
fn range(
    start: u64,
    len: u64,
    size: usize,
    kind: TrapKind,
) -> Result<std::ops::Range<usize>, Trap> {
    match start.checked_add(len) {
        Some(end) if end <= size as u64 => Ok(start as usize..end as usize),
        _ => Err(Trap::new(kind)),
    }
}
