//! Modules: decoded, validated by Skiff's validator, compiled by an engine's tier.

use crate::LoadError;
use crate::engine::Engine;
use skiff_vm::module::ImportDesc;
use skiff_vm::runtime::CompiledModule;
use skiff_vm::types::{ExternKind, FuncType, GlobalType, MemoryType, TableType};
use skiff_vm::{Error, ValidatedModule};
use std::fmt;
use std::path::Path;
use std::sync::Arc;

/// The type of something a module imports or exports.
#[derive(Debug, Clone, PartialEq)]
pub enum ExternType {
    /// A function of this type.
    Func(FuncType),
    /// A table of this type.
    Table(TableType),
    /// A memory of this type.
    Memory(MemoryType),
    /// A global of this type.
    Global(GlobalType),
}

/// A validated module, compiled for an engine's tier; instantiate it with a
/// [`Linker`](crate::Linker). Cheap to clone.
#[derive(Clone)]
pub struct Module {
    pub(crate) validated: Arc<ValidatedModule>,
    pub(crate) code: Arc<dyn CompiledModule>,
}

impl fmt::Debug for Module {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Module")
            .field("funcs", &self.validated.funcs.len())
            .field("exports", &self.validated.exports.len())
            .finish()
    }
}

impl Module {
    /// Decodes, validates and compiles `bytes`: a binary module, or WebAssembly text.
    pub fn new(engine: &Engine, bytes: &[u8]) -> Result<Module, Error> {
        let validated = Arc::new(skiff_vm::load(bytes, &engine.features())?);
        let code = engine.tier().compile(&validated)?;
        Ok(Module { validated, code })
    }

    /// Reads a `.wasm` or `.wat` file and compiles it.
    pub fn from_file(engine: &Engine, path: &Path) -> Result<Module, LoadError> {
        let bytes = std::fs::read(path).map_err(LoadError::Io)?;
        let validated = skiff_vm::load_file(&bytes, &engine.features(), Some(path))
            .map_err(LoadError::Module)?;
        let validated = Arc::new(validated);
        let code = engine
            .tier()
            .compile(&validated)
            .map_err(LoadError::Module)?;
        Ok(Module { validated, code })
    }

    /// Checks `bytes` as [`Module::new`] would, without compiling them.
    pub fn validate(engine: &Engine, bytes: &[u8]) -> Result<(), Error> {
        skiff_vm::load(bytes, &engine.features()).map(drop)
    }

    /// What the module imports: module name, field name and type, in order.
    pub fn imports(&self) -> impl ExactSizeIterator<Item = (&str, &str, ExternType)> + '_ {
        let m = self.validated.module();
        m.imports.iter().map(move |i| {
            let ty = match i.desc {
                ImportDesc::Func(t) => ExternType::Func(m.types[t as usize].clone()),
                ImportDesc::Table(t) => ExternType::Table(t),
                ImportDesc::Memory(t) => ExternType::Memory(t),
                ImportDesc::Global(t) => ExternType::Global(t),
            };
            (i.module.as_str(), i.name.as_str(), ty)
        })
    }

    /// What the module exports: name and type, in order.
    pub fn exports(&self) -> impl ExactSizeIterator<Item = (&str, ExternType)> + '_ {
        let m = self.validated.module();
        m.exports.iter().map(move |e| {
            let i = e.index as usize;
            let ty = match e.kind {
                ExternKind::Func => ExternType::Func(m.func_type(e.index).clone()),
                ExternKind::Table => ExternType::Table(m.tables[i]),
                ExternKind::Memory => ExternType::Memory(m.memories[i]),
                ExternKind::Global => ExternType::Global(m.globals[i]),
            };
            (e.name.as_str(), ty)
        })
    }
}
