//! Engines (a tier and a feature set) and modules compiled by them.

use crate::LoadError;
use skiff_vm::runtime::{CompiledModule, MemoryConfig, Store, Tier};
use skiff_vm::{Error, Features, ValidatedModule};
use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

/// Which tier runs the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineKind {
    /// The threaded-code interpreter: code runs as soon as it is validated.
    Interp,
    /// The Cranelift JIT: compiles to machine code first.
    Jit,
}

impl FromStr for EngineKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "interp" => Ok(EngineKind::Interp),
            "jit" => Ok(EngineKind::Jit),
            _ => Err(format!("unknown engine {s}: interp or jit")),
        }
    }
}

impl fmt::Display for EngineKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EngineKind::Interp => "interp",
            EngineKind::Jit => "jit",
        })
    }
}

/// A tier with the features modules may use. Cheap to clone.
#[derive(Clone)]
pub struct Engine {
    kind: EngineKind,
    tier: Arc<dyn Tier>,
    features: Features,
    memory: MemoryConfig,
}

impl fmt::Debug for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine").field("kind", &self.kind).finish()
    }
}

impl Default for Engine {
    /// The JIT where it runs (x86-64 Linux), the interpreter elsewhere.
    fn default() -> Self {
        Engine::new(EngineKind::Jit)
            .or_else(|_| Engine::new(EngineKind::Interp))
            .expect("the interpreter is always available")
    }
}

impl Engine {
    /// An engine running code on `kind`; an error when that tier is not available.
    /// Its linear memories reserve 4 GiB plus a guard region
    /// ([`MemoryConfig::GUARDED`]), which spares compiled code bounds checks.
    pub fn new(kind: EngineKind) -> Result<Engine, Error> {
        Engine::with_memory_config(kind, MemoryConfig::GUARDED)
    }

    /// An engine whose linear memories reserve address space as `memory`
    /// says. With a reservation under 4 GiB (thousands of instances in one
    /// process, or a small address space) memories cannot grow past it, and
    /// compiled code checks every access explicitly.
    pub fn with_memory_config(kind: EngineKind, memory: MemoryConfig) -> Result<Engine, Error> {
        let tier: Arc<dyn Tier> = match kind {
            EngineKind::Interp => Arc::new(skiff_interp::Interpreter::new()),
            EngineKind::Jit => Arc::new(skiff_jit::Jit::with_memory_config(memory)?),
        };
        Ok(Engine {
            kind,
            tier,
            // The interpreter does not execute SIMD yet: reject such modules at load time.
            features: Features {
                simd: false,
                ..Features::WASM2
            },
            memory,
        })
    }

    /// How this engine's memories reserve address space.
    pub fn memory_config(&self) -> MemoryConfig {
        self.memory
    }

    /// An empty store whose memories follow this engine's configuration.
    pub fn store(&self) -> Store {
        Store::new(self.memory)
    }

    /// Which tier this engine uses.
    pub fn kind(&self) -> EngineKind {
        self.kind
    }

    /// The features modules may use.
    pub fn features(&self) -> Features {
        self.features
    }
}

/// A validated module, compiled for an engine's tier; instantiate it with a [`Linker`](crate::Linker).
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
        let validated = Arc::new(skiff_vm::load(bytes, &engine.features)?);
        Module::from_validated(engine, validated)
    }

    /// Compiles an already validated module.
    pub fn from_validated(
        engine: &Engine,
        validated: Arc<ValidatedModule>,
    ) -> Result<Module, Error> {
        let code = engine.tier.compile(&validated)?;
        Ok(Module { validated, code })
    }

    /// Reads a `.wasm` or `.wat` file and compiles it.
    pub fn from_file(engine: &Engine, path: &Path) -> Result<Module, LoadError> {
        let bytes = std::fs::read(path).map_err(LoadError::Io)?;
        let validated =
            skiff_vm::load_file(&bytes, &engine.features, Some(path)).map_err(LoadError::Module)?;
        Module::from_validated(engine, Arc::new(validated)).map_err(LoadError::Module)
    }

    /// The validated module IR.
    pub fn validated(&self) -> &Arc<ValidatedModule> {
        &self.validated
    }
}
