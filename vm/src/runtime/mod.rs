//! The runtime objects both tiers share: the store with its functions,
//! memories, tables, globals and instances; the linker; values and traps; and
//! the contract a tier implements.

pub mod linker;
pub mod memory;
pub mod store;
pub mod table;
pub mod tier;
pub mod trap;
pub mod value;

pub use linker::{InstantiationError, Linker, eval_const};
pub use memory::{LinearMemory, MemoryConfig, MemoryError, VMMemory};
pub use store::{
    Caller, Extern, Func, FuncEntity, FuncKind, Global, GlobalId, HostFn, InstanceEntity,
    InstanceId, MemoryId, Store, TableId, check_results,
};
pub use table::Table;
pub use tier::{CompiledModule, Tier};
pub use trap::{Frame, Trap, TrapKind};
pub use value::{ExternRef, FuncRef, NULL_REF, RawRef, Value};
