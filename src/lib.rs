//! Skiff: a WebAssembly virtual machine.
//!
//! This crate is Skiff's embedding API, and the only one an embedder needs.
//! An [`Engine`] picks a tier and the features modules may use; a
//! [`Module`] is decoded, validated by Skiff's own validator and compiled
//! by the engine's tier; a [`Store`] holds the runtime objects of a group of
//! instances and the embedder's data; a [`Linker`] holds host functions and
//! other definitions and instantiates modules; an [`Instance`] hands out its
//! exports: [`Func`] (called untyped, or typed through [`TypedFunc`]),
//! [`Memory`], [`Global`], [`Table`]. Host functions see their store through
//! a [`Caller`]. A trap is a value, [`Trap`], with its [`TrapKind`] and a
//! WebAssembly backtrace; the store stays usable after it. WASI preview 1 is
//! in [`wasi`].
//!
//! ```
//! use skiff::{Engine, Linker, Module, Store};
//!
//! let engine = Engine::default();
//! let module = Module::new(&engine, br#"(module
//!     (import "host" "double" (func $double (param i32) (result i32)))
//!     (func (export "add") (param i32 i32) (result i32)
//!       (call $double (i32.add (local.get 0) (local.get 1)))))"#).unwrap();
//! let mut linker = Linker::new();
//! linker.func_wrap("host", "double", |x: i32| x * 2);
//! let mut store = Store::new(&engine, ());
//! let instance = linker.instantiate(&mut store, &module).unwrap();
//! let add = instance.get_typed_func::<(i32, i32), i32>(&store, "add").unwrap();
//! assert_eq!(add.call(&mut store, (2, 3)).unwrap(), 10);
//! ```
//!
//! The API is sound: no safe use of it can make running code touch freed
//! memory. Handles name their store, and using one with another store
//! panics; host functions cannot reach the store itself, only operations
//! that keep what running code uses in place, so this does not compile:
//!
//! ```compile_fail,E0599
//! use skiff::{Caller, Linker, Store};
//! let mut linker = Linker::<()>::new();
//! linker.func_wrap("host", "evil", |mut caller: Caller<'_, ()>| {
//!     // There is no way to the store behind a caller.
//!     let _ = std::mem::replace(caller.store_mut(), Store::default());
//! });
//! ```
//!
//! A store's objects cannot be reached but through handles (no field of
//! the store is public, so none can be cleared while code points into it):
//!
//! ```compile_fail,E0609
//! let mut store = skiff::Store::default();
//! store.globals.clear();
//! ```
//!
//! The runtime crates keep what could break that to themselves: the
//! runtime's own caller does not lend its store to safe code (nor does the
//! JIT let safe code change what its signal handler treats as generated code).
//!
//! ```compile_fail,E0616
//! fn evil(caller: &mut skiff_vm::runtime::Caller<'_>) {
//!     let _ = std::mem::take(caller.store);
//! }
//! ```
//!
//! A panic in a host function never unwinds through WebAssembly frames, on
//! either tier: it is caught where WebAssembly called the host, the Wasm
//! frames are unwound as by a trap, and the panic resumes in the embedder's
//! call ([`Func::call`], [`TypedFunc::call`], [`Linker::instantiate`]).

#![warn(missing_docs)]

pub mod artifact;
mod engine;
mod exceptions;
mod externals;
mod func;
mod instance;
mod linker;
mod module;
pub mod snapshot;
mod store;
#[cfg(feature = "jit")]
mod tiered;
mod typed;
mod values;
pub mod wasi;
pub mod wast;

use std::fmt;
use std::path::Path;

pub use engine::{Config, Engine, EngineKind, PoolingConfig};
pub use exceptions::{ExnRef, Tag};
pub use externals::{Extern, Global, Memory, MemoryAccessError, Table};
pub use func::{Caller, Func, HostResults, IntoFunc};
pub use instance::Instance;
pub use linker::{InstancePre, Linker};
pub use module::{ExternType, Module};
pub use skiff_vm::runtime::limits::{
    DEFAULT_INSTANCE_LIMIT, DEFAULT_MEMORY_LIMIT, DEFAULT_TABLE_ELEMENTS, DEFAULT_TABLE_LIMIT,
};
pub use skiff_vm::runtime::stack::HOST_RESERVE;
pub use skiff_vm::runtime::{
    Frame, InstantiationError, MemoryConfig, ResourceLimiter, StoreLimits, StoreLimitsBuilder,
    Trap, TrapKind,
};
pub use skiff_vm::types::{
    AddrType, FuncType, GlobalType, HeapType, Limits, MemoryType, RefType, TableType, TypeId,
    ValType,
};
pub use skiff_vm::{Error, ErrorKind, Features};
pub use store::{AsContext, AsContextMut, Store, StoreContext, StoreContextMut};
pub use typed::{TypedFunc, WasmParams, WasmResults, WasmTy};
pub use values::{ExternRef, Val};

/// Why a module file could not be loaded.
#[derive(Debug)]
pub enum LoadError {
    /// The file could not be read.
    Io(std::io::Error),
    /// The module is malformed, invalid, or uses an unsupported feature.
    Module(Error),
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Io(e) => write!(f, "cannot read: {e}"),
            LoadError::Module(e) => write!(f, "{} module: {e}", e.kind()),
        }
    }
}

impl std::error::Error for LoadError {}

/// Reads, decodes and validates a `.wasm` or `.wat` file with WebAssembly 2.0 features.
pub fn validate_file(path: &Path) -> Result<(), LoadError> {
    let bytes = std::fs::read(path).map_err(LoadError::Io)?;
    skiff_vm::load_owned(bytes, &Features::default(), Some(path))
        .map(drop)
        .map_err(LoadError::Module)
}
