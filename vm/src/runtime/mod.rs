//! The runtime objects both tiers share: the store with its functions,
//! memories, tables, globals, tags, exceptions and instances; the linker; values and traps;
//! the semantics of the instructions that leave compiled code ([`ops`]);
//! and the contract a tier implements.

mod caller;
mod engine_ref;
pub mod exception;
mod func;
pub mod image;
mod instance;
pub mod limits;
pub mod linker;
pub mod memory;
pub mod metering;
pub mod ops;
pub mod pool;
pub mod stack;
mod store;
pub mod table;
pub mod tier;
pub mod trap;
pub mod value;

pub use caller::Caller;
pub use engine_ref::EngineShared;
pub use exception::{Exception, Tag};
pub use func::{FuncEntity, FuncKind, HostFn};
pub use instance::{InstanceEntity, LayeredState, ModuleCode, TierState};
pub use limits::{ResourceLimiter, StoreLimits, StoreLimitsBuilder};
pub use linker::{InstantiationError, Linker, eval_const, instantiate};
pub use memory::{
    LIMITED_ADDRESS_SPACE, LinearMemory, MemoryConfig, MemoryError, VMMemory, address_space_limit,
};
pub use metering::{Epoch, MeterState, Metering};
pub use pool::{MemoryPool, PoolConfig, TablePool, TablePoolConfig};
pub use store::{
    DEFAULT_MAX_INTERP_STACK, DEFAULT_MAX_WASM_STACK, Extern, Func, GlobalId, InstanceId,
    LimiterFn, MemoryId, Store, StoreId, TableId,
};
pub use table::{Table, TableError};
pub use tier::{CompiledModule, KeepFn, KeptCode, KeptCompile, KeptFn, KeptSource, Tier, WasmFunc};
pub use trap::{Frame, Trap, TrapKind};
pub use value::{ExnRef, ExternRef, FuncRef, NULL_REF, RawRef, Value, func_ref, ref_to_func};
