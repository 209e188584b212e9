//! The runtime objects both tiers share: values, traps, linear memories.
//!
//! Stores, instances, tables, globals and host functions follow with the
//! interpreter, which is the first tier to execute code.

pub mod memory;
pub mod trap;
pub mod value;

pub use memory::{LinearMemory, MemoryConfig, MemoryError};
pub use trap::{Frame, Trap, TrapKind};
pub use value::{ExternRef, FuncRef, Value};
