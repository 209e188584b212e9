//! Skiff: a WebAssembly virtual machine.
//!
//! The embedding facade. Today it loads modules: decoding and Skiff's own
//! validation of WebAssembly 2.0 (SIMD included). The execution tiers (the
//! threaded-code interpreter and the Cranelift JIT) arrive in their own crates.

use std::fmt;
use std::path::Path;

pub use skiff_vm as vm;
pub use skiff_vm::{Error, ErrorKind, Features, Module, ValidatedModule};

/// Why a module file could not be loaded.
#[derive(Debug)]
pub enum LoadError {
    /// The file could not be read.
    Io(std::io::Error),
    /// The module is malformed, invalid or uses an unsupported feature.
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
    skiff_vm::load(&bytes, &Features::default()).map_err(LoadError::Module)
}
