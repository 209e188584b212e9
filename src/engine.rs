//! Engines: a tier, the features modules may use, and how memories are reserved.

use skiff_vm::runtime::{MemoryConfig, Tier};
use skiff_vm::{Error, Features};
use std::fmt;
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
            EngineKind::Jit => jit_tier(memory)?,
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

    /// Which tier this engine uses.
    pub fn kind(&self) -> EngineKind {
        self.kind
    }

    /// The features modules may use.
    pub fn features(&self) -> Features {
        self.features
    }

    /// The tier, to compile modules.
    pub(crate) fn tier(&self) -> &dyn Tier {
        &*self.tier
    }
}

/// The JIT tier, compiling for memories made with `memory`.
#[cfg(feature = "jit")]
pub(crate) fn jit_tier(memory: MemoryConfig) -> Result<Arc<dyn Tier>, Error> {
    Ok(Arc::new(skiff_jit::Jit::with_memory_config(memory)?))
}

/// The JIT tier: not in this build.
#[cfg(not(feature = "jit"))]
pub(crate) fn jit_tier(_memory: MemoryConfig) -> Result<Arc<dyn Tier>, Error> {
    Err(Error::without_offset(
        skiff_vm::ErrorKind::Unsupported,
        "JIT: this build of Skiff has no JIT (the `jit` feature is off)",
    ))
}
