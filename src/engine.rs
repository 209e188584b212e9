//! Engines: a tier, the features modules may use, and how memories are reserved.

use skiff_vm::runtime::{
    EngineShared, Epoch, MemoryConfig, MemoryPool, Metering, PoolConfig, TablePool,
    TablePoolConfig, Tier,
};
use skiff_vm::{Error, Features};
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

/// The default of [`Config::eager_compile_below`].
const EAGER_CODE_BYTES: usize = 64 * 1024;

/// Which tier runs the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineKind {
    /// The threaded-code interpreter: code runs as soon as it is validated.
    Interp,
    /// The Cranelift JIT: compiles to machine code first.
    Jit,
    /// Both: code runs on the interpreter as soon as it is validated, while
    /// the JIT compiles it in the background; calls made once the machine
    /// code is ready run it.
    Auto,
}

impl FromStr for EngineKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "interp" => Ok(EngineKind::Interp),
            "jit" => Ok(EngineKind::Jit),
            "auto" => Ok(EngineKind::Auto),
            _ => Err(format!("unknown engine {s}: auto, interp or jit")),
        }
    }
}

impl fmt::Display for EngineKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EngineKind::Interp => "interp",
            EngineKind::Jit => "jit",
            EngineKind::Auto => "auto",
        })
    }
}

/// A tier with the features modules may use. Cheap to clone: clones share
/// one engine.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<EngineInner>,
}

/// What an engine's clones share; its stores hold it too (as
/// [`EngineShared`]).
///
/// Aligned apart from its reference counts, which every store changes (as
/// the memory pool is).
#[repr(align(128))]
pub(crate) struct EngineInner {
    kind: EngineKind,
    tier: Arc<dyn Tier>,
    features: Features,
    memory: MemoryConfig,
    metering: Metering,
    epoch: Epoch,
    /// With pooling: the slots every store's memories are taken from.
    pool: Option<MemoryPool>,
    /// With pooling: the tables every store's tables are taken from.
    tables: Option<TablePool>,
}

/// How an engine is made: its tier, the features modules may use, how
/// memories are reserved, and whether its code meters fuel or checks epochs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    kind: EngineKind,
    features: Features,
    /// `None`: the tier's default.
    memory: Option<MemoryConfig>,
    metering: Metering,
    pooling: Option<PoolingConfig>,
    /// On the tiered engine: the largest module compiled before it runs.
    eager_bytes: usize,
}

impl Default for Config {
    /// The tiered engine ([`EngineKind::Auto`]), every feature Skiff
    /// implements ([`Features::ALL`]), the JIT's memory reservation, no
    /// fuel, no epochs.
    fn default() -> Self {
        Config {
            kind: EngineKind::Auto,
            features: Features::ALL,
            memory: None,
            metering: Metering::default(),
            pooling: None,
            eager_bytes: EAGER_CODE_BYTES,
        }
    }
}

impl Config {
    /// The default configuration.
    pub fn new() -> Config {
        Config::default()
    }

    /// Runs code on `kind`.
    pub fn strategy(&mut self, kind: EngineKind) -> &mut Config {
        self.kind = kind;
        self
    }

    /// Accepts only modules within `features`: [`Features::WASM2`], say, to
    /// refuse anything beyond WebAssembly 2.0.
    pub fn features(&mut self, features: Features) -> &mut Config {
        self.features = features;
        self
    }

    /// Reserves linear memories as `memory` says (see
    /// [`Engine::with_memory_config`]) instead of as the tier's default.
    pub fn memory(&mut self, memory: MemoryConfig) -> &mut Config {
        self.memory = Some(memory);
        self
    }

    /// Takes every memory from a pool of slots reserved once, when the
    /// engine is made, instead of reserving address space for each: a
    /// dropped memory's slot is reset to its module's image (or to zero)
    /// and reused, so that making and dropping an instance per request maps
    /// and unmaps nothing. Tables likewise come from a pool of buffers
    /// allocated once and reused. See [`PoolingConfig`].
    pub fn pooling(&mut self, pooling: PoolingConfig) -> &mut Config {
        self.pooling = Some(pooling);
        self
    }

    /// On the tiered engine ([`EngineKind::Auto`]), compiles modules whose
    /// function bodies total at most `bytes` before they run (default 64
    /// KiB, a few tens of milliseconds of compiling), and starts larger ones
    /// on the interpreter while they compile; 0 starts every module on the
    /// interpreter.
    pub fn eager_compile_below(&mut self, bytes: usize) -> &mut Config {
        self.eager_bytes = bytes;
        self
    }

    /// Meters fuel: every WebAssembly instruction costs one unit of the
    /// store's fuel ([`Store::set_fuel`](crate::Store::set_fuel)), and code
    /// traps with [`TrapKind::OutOfFuel`](crate::TrapKind::OutOfFuel) when
    /// it runs out. What is left is checked at function entries and loop
    /// headers, so straight-line code may overdraw it by what it costs up
    /// to the next one; both tiers count the same and trap at the same
    /// point. Off, the code has no checks.
    pub fn consume_fuel(&mut self, on: bool) -> &mut Config {
        self.metering.fuel = on;
        self
    }

    /// Checks the engine's epoch against the store's deadline
    /// ([`Store::set_epoch_deadline`](crate::Store::set_epoch_deadline)) at
    /// every function entry and loop header, trapping with
    /// [`TrapKind::Interrupted`](crate::TrapKind::Interrupted) once
    /// [`Engine::increment_epoch`] has reached it; the JIT checks a loop
    /// header on every 1000th pass of a frame, so that a tight loop stays
    /// fast and still stops within a bounded number of instructions. Off,
    /// the code has no checks.
    pub fn epoch_interruption(&mut self, on: bool) -> &mut Config {
        self.metering.epochs = on;
        self
    }
}

/// The pools of a pooling engine ([`Config::pooling`]): how many memories
/// and tables may live at once, across all its stores, and how large each
/// may grow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolingConfig {
    total_memories: u32,
    max_memory_size: Option<u64>,
    keep_resident: usize,
    total_tables: u32,
    table_elements: u32,
}

/// The default of [`PoolingConfig::linear_memory_keep_resident`].
const KEEP_RESIDENT: usize = 256 * 1024;

impl Default for PoolingConfig {
    /// 1,000 memories, each reserved as the engine's memory configuration
    /// says, keeping 256 KiB of each resident; 1,000 tables of up to 20,000
    /// elements.
    fn default() -> Self {
        PoolingConfig {
            total_memories: 1000,
            max_memory_size: None,
            keep_resident: KEEP_RESIDENT,
            total_tables: 1000,
            table_elements: 20_000,
        }
    }
}

impl PoolingConfig {
    /// The default pool.
    pub fn new() -> PoolingConfig {
        PoolingConfig::default()
    }

    /// At most `n` memories alive at once; making one more fails.
    pub fn total_memories(&mut self, n: u32) -> &mut PoolingConfig {
        self.total_memories = n;
        self
    }

    /// Each memory may grow to `bytes` (rounded up to whole pages) and
    /// reserves that much address space, plus the guard, instead of the
    /// engine's reservation. Under 4 GiB, compiled code checks every
    /// access explicitly and slots have no guard, so many small slots pack
    /// densely.
    pub fn max_memory_size(&mut self, bytes: u64) -> &mut PoolingConfig {
        self.max_memory_size = Some(bytes);
        self
    }

    /// How a memory's pages written in one request are undone before its
    /// slot serves the next: in the first `bytes` of the memory (default
    /// 256 KiB) by copying the module's initial contents back over them,
    /// so they stay resident and the next request writes them without a
    /// page fault; past them by discarding them (`madvise`), which returns
    /// them to the system, and costs a page fault on the next write to each
    /// and, with other threads running, a flush of their TLBs. Pages a
    /// request only read are left alone either way. More keeps hot memory
    /// faster to reuse; less spends less resident memory and less copying
    /// of pages an earlier request wrote and later ones do not.
    pub fn linear_memory_keep_resident(&mut self, bytes: usize) -> &mut PoolingConfig {
        self.keep_resident = bytes;
        self
    }

    /// At most `n` tables alive at once (default 1,000); making one more
    /// fails, as instantiating a module that defines one does.
    pub fn total_tables(&mut self, n: u32) -> &mut PoolingConfig {
        self.total_tables = n;
        self
    }

    /// Each table holds at most `n` elements (default 20,000): a module
    /// defining a larger one fails to instantiate, and `table.grow` past
    /// them fails (returns -1). Each table's buffer is allocated once at
    /// this size, then reused by the tables after it, so a table never
    /// moves as it grows.
    pub fn table_elements(&mut self, n: u32) -> &mut PoolingConfig {
        self.table_elements = n;
        self
    }
}

impl fmt::Debug for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine")
            .field("kind", &self.kind())
            .finish()
    }
}

impl Default for Engine {
    /// The tiered engine ([`EngineKind::Auto`]) where the JIT runs (x86-64
    /// Linux), the interpreter elsewhere.
    fn default() -> Self {
        Engine::new(EngineKind::Auto)
            .or_else(|_| Engine::new(EngineKind::Interp))
            .expect("the interpreter is always available")
    }
}

impl Engine {
    /// An engine running code on `kind`; an error when that tier is not
    /// available. On the JIT its linear memories reserve 4 GiB plus a guard
    /// region ([`MemoryConfig::GUARDED`]), which spares compiled code bounds
    /// checks; on the interpreter, which checks every access, no more than
    /// they can grow to ([`MemoryConfig::CHECKED`]). In a process whose
    /// address space is limited (`ulimit -v`, under 1 TiB), memories on
    /// either tier reserve a sixteenth of the limit instead, with no guard,
    /// and compiled code checks every access
    /// ([`MemoryConfig::within_address_space`]).
    pub fn new(kind: EngineKind) -> Result<Engine, Error> {
        Engine::with_config(Config::new().strategy(kind))
    }

    /// An engine whose linear memories reserve address space as `memory`
    /// says. With a reservation under 4 GiB (thousands of instances in one
    /// process, or a small address space) memories cannot grow past it, and
    /// compiled code checks every access explicitly.
    pub fn with_memory_config(kind: EngineKind, memory: MemoryConfig) -> Result<Engine, Error> {
        Engine::with_config(Config::new().strategy(kind).memory(memory))
    }

    /// An engine made as `config` says; an error when its tier is not available.
    pub fn with_config(config: &Config) -> Result<Engine, Error> {
        let (kind, metering) = (config.kind, config.metering);
        let mut memory = config
            .memory
            .unwrap_or_else(|| MemoryConfig::default_for(kind == EngineKind::Interp));
        let page = skiff_vm::types::PAGE_SIZE;
        if let Some(bytes) = config.pooling.and_then(|p| p.max_memory_size) {
            memory.reservation = bytes.div_ceil(page).saturating_mul(page);
            if memory.reservation < 1 << 32 {
                // Code checks every access: a guard would only space the
                // slots out.
                memory.guard = 0;
            }
        }
        let pool = config
            .pooling
            .map(|p| {
                MemoryPool::new(PoolConfig {
                    memories: p.total_memories,
                    memory,
                    keep_resident: p.keep_resident,
                })
            })
            .transpose()
            .map_err(|e| {
                Error::without_offset(skiff_vm::ErrorKind::Unsupported, format!("pooling: {e}"))
            })?;
        let tables = config.pooling.map(|p| {
            TablePool::new(TablePoolConfig {
                tables: p.total_tables,
                elements: p.table_elements,
            })
        });
        let features = config.features;
        let tier: Arc<dyn Tier> = match kind {
            EngineKind::Interp => Arc::new(skiff_interp::Interpreter::with_metering(metering)),
            EngineKind::Jit => jit_tier(memory, metering)?,
            EngineKind::Auto => tiered_tier(memory, metering, config.eager_bytes)?,
        };
        Ok(Engine {
            inner: Arc::new(EngineInner {
                kind,
                tier,
                features,
                memory,
                metering,
                epoch: Epoch::new(),
                pool,
                tables,
            }),
        })
    }

    /// The engine a store holds, as the store holds it.
    pub(crate) fn shared(&self) -> Arc<dyn EngineShared> {
        self.inner.clone()
    }

    /// The engine of a store's [`EngineShared`], when it is one of ours.
    pub(crate) fn of_shared(shared: &Arc<dyn EngineShared>) -> Option<Engine> {
        let any: Arc<dyn std::any::Any + Send + Sync> = shared.clone();
        any.downcast::<EngineInner>()
            .ok()
            .map(|inner| Engine { inner })
    }

    /// The metering of a store's engine, when it is one of ours.
    pub(crate) fn metering_of(shared: &dyn EngineShared) -> Option<Metering> {
        let any: &dyn std::any::Any = shared;
        any.downcast_ref::<EngineInner>().map(|e| e.metering)
    }

    /// Advances the engine's epoch: code of its stores whose deadline this
    /// reaches traps at its next check (with epoch interruption on). Any
    /// thread may call it, while code runs.
    pub fn increment_epoch(&self) {
        self.inner.epoch.increment();
    }

    /// How this engine's memories reserve address space.
    pub fn memory_config(&self) -> MemoryConfig {
        self.inner.memory
    }

    /// Which tier this engine uses.
    pub fn kind(&self) -> EngineKind {
        self.inner.kind
    }

    /// The features modules may use.
    pub fn features(&self) -> Features {
        self.inner.features
    }

    /// The tier, to compile modules.
    pub(crate) fn tier(&self) -> &dyn Tier {
        &*self.inner.tier
    }
}

impl EngineShared for EngineInner {
    fn epoch(&self) -> &Epoch {
        &self.epoch
    }

    fn memory_pool(&self) -> Option<&MemoryPool> {
        self.pool.as_ref()
    }

    fn table_pool(&self) -> Option<&TablePool> {
        self.tables.as_ref()
    }
}

/// The JIT tier, compiling for memories made with `memory`, with the checks
/// `metering` asks for.
#[cfg(feature = "jit")]
pub(crate) fn jit_tier(memory: MemoryConfig, metering: Metering) -> Result<Arc<dyn Tier>, Error> {
    Ok(Arc::new(
        skiff_jit::Jit::with_memory_config(memory)?.with_metering(metering),
    ))
}

/// The tiered tier over the interpreter and the JIT, as [`jit_tier`] makes it.
#[cfg(feature = "jit")]
pub(crate) fn tiered_tier(
    memory: MemoryConfig,
    metering: Metering,
    eager_bytes: usize,
) -> Result<Arc<dyn Tier>, Error> {
    let jit = skiff_jit::Jit::with_memory_config(memory)?.with_metering(metering);
    let interp = skiff_interp::Interpreter::with_metering(metering);
    Ok(Arc::new(crate::tiered::Tiered::new(
        interp,
        jit,
        eager_bytes,
    )))
}

/// The tiered tier: not in this build.
#[cfg(not(feature = "jit"))]
pub(crate) fn tiered_tier(
    _memory: MemoryConfig,
    _metering: Metering,
    _eager_bytes: usize,
) -> Result<Arc<dyn Tier>, Error> {
    Err(Error::without_offset(
        skiff_vm::ErrorKind::Unsupported,
        "auto: this build of Skiff has no JIT to tier up to (the `jit` feature is off)",
    ))
}

/// The JIT tier: not in this build.
#[cfg(not(feature = "jit"))]
pub(crate) fn jit_tier(_memory: MemoryConfig, _metering: Metering) -> Result<Arc<dyn Tier>, Error> {
    Err(Error::without_offset(
        skiff_vm::ErrorKind::Unsupported,
        "JIT: this build of Skiff has no JIT (the `jit` feature is off)",
    ))
}
