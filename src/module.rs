//! Modules: decoded, validated by Skiff's validator, compiled by an engine's tier.

use crate::LoadError;
use crate::engine::Engine;
use skiff_vm::module::ImportDesc;
use skiff_vm::runtime::{CompiledModule, ModuleCode};
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
    /// An exception tag whose payload has this type's parameters.
    Tag(FuncType),
}

/// A validated module, compiled for an engine's tier; instantiate it with a
/// [`Linker`](crate::Linker). Cheap to clone.
#[derive(Clone)]
pub struct Module {
    /// The validated module and its code, shared with every instance.
    inner: Arc<ModuleCode>,
}

impl fmt::Debug for Module {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Module")
            .field("funcs", &self.validated().funcs.len())
            .field("exports", &self.validated().exports.len())
            .finish()
    }
}

impl Module {
    /// `validated`, compiled by a tier into `code`.
    pub(crate) fn from_parts(
        validated: Arc<ValidatedModule>,
        code: Arc<dyn CompiledModule>,
    ) -> Module {
        let inner = ModuleCode {
            module: validated,
            code,
        };
        Module {
            inner: Arc::new(inner),
        }
    }

    /// The validated module.
    pub(crate) fn validated(&self) -> &Arc<ValidatedModule> {
        &self.inner.module
    }

    /// The validated module with its code, as instances hold them.
    pub(crate) fn module_code(&self) -> &Arc<ModuleCode> {
        &self.inner
    }

    /// Whether calls to the module's functions made from now on run
    /// machine code: always on the JIT, never on the interpreter; on the
    /// tiered engine ([`EngineKind::Auto`](crate::EngineKind::Auto)), once
    /// the JIT has compiled the module in the background.
    pub fn has_compiled_code(&self) -> bool {
        compiled_code(&self.inner.code, false)
    }

    /// On the tiered engine, waits until the JIT has finished compiling
    /// the module in the background, and returns whether it succeeded (the
    /// module stays on the interpreter otherwise); on the other engines,
    /// returns [`Module::has_compiled_code`] at once. Benchmarks and tests
    /// use it to measure or check compiled code alone.
    pub fn wait_for_compiled_code(&self) -> bool {
        compiled_code(&self.inner.code, true)
    }

    /// Decodes, validates and compiles `bytes`: a binary module, or WebAssembly text.
    pub fn new(engine: &Engine, bytes: &[u8]) -> Result<Module, Error> {
        let validated = Arc::new(skiff_vm::load(bytes, &engine.features())?);
        let code = engine.tier().compile(&validated)?;
        Ok(Module::from_parts(validated, code))
    }

    /// Reads a `.wasm` or `.wat` file and compiles it.
    pub fn from_file(engine: &Engine, path: &Path) -> Result<Module, LoadError> {
        let bytes = std::fs::read(path).map_err(LoadError::Io)?;
        let validated = skiff_vm::load_owned(bytes, &engine.features(), Some(path))
            .map_err(LoadError::Module)?;
        let validated = Arc::new(validated);
        let code = engine
            .tier()
            .compile(&validated)
            .map_err(LoadError::Module)?;
        Ok(Module::from_parts(validated, code))
    }

    /// Checks `bytes` as [`Module::new`] would, without compiling them.
    pub fn validate(engine: &Engine, bytes: &[u8]) -> Result<(), Error> {
        skiff_vm::load(bytes, &engine.features()).map(drop)
    }

    /// What the module imports: module name, field name and type, in order.
    pub fn imports(&self) -> impl ExactSizeIterator<Item = (&str, &str, ExternType)> + '_ {
        let m = self.validated().module();
        m.imports.iter().map(move |i| {
            let ty = match i.desc {
                ImportDesc::Func(t) => ExternType::Func(m.types[t as usize].clone()),
                ImportDesc::Table(t) => ExternType::Table(t),
                ImportDesc::Memory(t) => ExternType::Memory(t),
                ImportDesc::Global(t) => ExternType::Global(t),
                ImportDesc::Tag(t) => ExternType::Tag(m.types[t as usize].clone()),
            };
            (i.module.as_str(), i.name.as_str(), ty)
        })
    }

    /// What the module exports: name and type, in order.
    pub fn exports(&self) -> impl ExactSizeIterator<Item = (&str, ExternType)> + '_ {
        let m = self.validated().module();
        m.exports.iter().map(move |e| {
            let i = e.index as usize;
            let ty = match e.kind {
                ExternKind::Func => ExternType::Func(m.func_type(e.index).clone()),
                ExternKind::Table => ExternType::Table(m.tables[i]),
                ExternKind::Memory => ExternType::Memory(m.memories[i]),
                ExternKind::Global => ExternType::Global(m.globals[i]),
                ExternKind::Tag => ExternType::Tag(m.tag_type(e.index).clone()),
            };
            (e.name.as_str(), ty)
        })
    }
}

/// Whether `code` runs machine code for calls from now on (see
/// [`Module::has_compiled_code`]), waiting for a background compilation
/// to end when `wait` says so.
#[cfg(feature = "jit")]
fn compiled_code(code: &Arc<dyn CompiledModule>, wait: bool) -> bool {
    crate::tiered::has_compiled_code(code, wait)
}

/// Without the JIT, no module runs machine code.
#[cfg(not(feature = "jit"))]
fn compiled_code(_code: &Arc<dyn CompiledModule>, _wait: bool) -> bool {
    false
}
