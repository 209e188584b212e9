//! Skiff: a WebAssembly virtual machine.
//!
//! The embedding API. An [`Engine`] picks a tier and the features modules may
//! use; a [`Module`] is decoded, validated by Skiff's own validator and
//! compiled by the engine's tier; a [`Store`] holds the runtime objects; a
//! [`Linker`] resolves imports (host functions are plain closures) and
//! instantiates; an [`Instance`] hands out its exports, with typed calls
//! through [`TypedFunc`].
//!
//! ```
//! use skiff::{Engine, Linker, Module, Store};
//!
//! let engine = Engine::default();
//! let module = Module::new(&engine, br#"(module (func (export "add") (param i32 i32) (result i32)
//!     (i32.add (local.get 0) (local.get 1))))"#).unwrap();
//! let mut store = Store::default();
//! let instance = Linker::new().instantiate(&mut store, &module).unwrap();
//! let add = instance.get_typed_func::<(i32, i32), i32>(&store, "add").unwrap();
//! assert_eq!(add.call(&mut store, (2, 3)).unwrap(), 5);
//! ```

mod engine;
mod instance;
mod typed;
pub mod wast;

use std::fmt;
use std::path::Path;

pub use engine::{Engine, EngineKind, Module};
pub use instance::{Instance, Linker};
pub use skiff_vm as vm;
pub use skiff_vm::runtime::{
    Caller, Extern, Func, GlobalId, InstantiationError, MemoryConfig, MemoryId, Store, TableId,
    Trap, TrapKind, Value,
};
pub use skiff_vm::types::{FuncType, GlobalType, MemoryType, RefType, TableType, ValType};
pub use skiff_vm::{Error, ErrorKind, Features, ValidatedModule};
pub use typed::{TypedFunc, WasmParams, WasmResults, WasmTy};

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
pub fn load_file(path: &Path) -> Result<ValidatedModule, LoadError> {
    let bytes = std::fs::read(path).map_err(LoadError::Io)?;
    skiff_vm::load_file(&bytes, &Features::default(), Some(path)).map_err(LoadError::Module)
}
