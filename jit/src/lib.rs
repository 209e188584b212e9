//! Skiff's Cranelift JIT: the peak-speed tier.
//!
//! Each validated function is translated to Cranelift IR by Skiff's own
//! translator (module `translate`) and compiled to machine code, on every core for
//! a large module; the functions are laid out as one image with the calls
//! between them patched (module `layout`), which is copied into memory
//! mapped writable, then executable, never both (module `code_memory`), and
//! which an artifact stores as it is. Rust enters generated code through an
//! array-call trampoline, one per function type, handed the code of the
//! function to call; linear memory accesses lean on the
//! guard region of Skiff's memories, or are checked in the code when the
//! JIT compiles for small reservations ([`Jit::with_memory_config`]); traps
//! in generated code arrive as signals and come back to the embedder as
//! [`Trap`] values (module `traps`). Generated code calls the runtime for what is
//! rare or large through its builtins (module `builtins`, declared once).
//!
//! The JIT runs on x86-64 Linux; elsewhere [`Jit::new`] reports that it is
//! unsupported (the platform code is in per-platform files under `sys/`).
//!
//! What the signal handler treats as generated code is the JIT's own
//! business: nothing outside this crate can register code with it.
//!
//! ```compile_fail,E0603
//! skiff_jit::traps::register(0, 4096, Vec::new(), None);
//! ```

mod artifact;
mod builtins;
mod code_memory;
mod compile;
mod layout;
mod registry;
mod sys;
mod translate;
mod traps;
mod vmctx;

use cranelift_codegen::isa::OwnedTargetIsa;
use cranelift_codegen::settings::{self, Configurable};
use skiff_vm::runtime::value::{read_slots, slot_count, write_slots};
use skiff_vm::runtime::{
    CompiledModule, Func, InstanceId, KeptCode, KeptCompile, MemoryConfig, Metering, Store, Tier,
    TierState, Trap, Value, WasmFunc,
};
use skiff_vm::{Error, ErrorKind, ValidatedModule};
use std::any::Any;
use std::sync::Arc;
use vmctx::{Entries, InstanceState};

/// The JIT tier.
#[derive(Clone)]
pub struct Jit {
    isa: OwnedTargetIsa,
    memory: MemoryConfig,
    metering: Metering,
    /// Whether every defined function gets an entry from Rust (its type's
    /// trampoline), not only those callable from outside (see
    /// [`Jit::with_every_entry`]).
    every_entry: bool,
    /// At most this many threads compile a module.
    max_threads: usize,
}

impl std::fmt::Debug for Jit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jit")
            .field("isa", &self.isa.name())
            .field("memory", &self.memory)
            .finish()
    }
}

fn jit_error(what: impl std::fmt::Display) -> Error {
    Error::without_offset(ErrorKind::Unsupported, format!("JIT: {what}"))
}

/// The x86-64 extensions beyond the baseline (SSE2) that the JIT's code uses:
/// Cranelift lowers several vector instructions (lane-wise 32-bit multiply,
/// min and max, `all_true`, rounding) with SSE4.1 and its predecessors, and
/// falls back on nothing older.
pub const REQUIRED_CPU_FEATURES: [&str; 3] = ["sse3", "ssse3", "sse4.1"];

/// Those of [`REQUIRED_CPU_FEATURES`] that `has` says the processor lacks.
pub fn missing_cpu_features(has: impl Fn(&str) -> bool) -> Vec<&'static str> {
    REQUIRED_CPU_FEATURES
        .into_iter()
        .filter(|f| !has(f))
        .collect()
}

/// Whether this processor has extension `feature` (one of
/// [`REQUIRED_CPU_FEATURES`]).
fn host_has(feature: &str) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        match feature {
            "sse3" => std::arch::is_x86_feature_detected!("sse3"),
            "ssse3" => std::arch::is_x86_feature_detected!("ssse3"),
            "sse4.1" => std::arch::is_x86_feature_detected!("sse4.1"),
            _ => false,
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = feature;
        false
    }
}

impl Jit {
    /// A JIT for the host processor, compiling for memories with the full
    /// guard reservation ([`MemoryConfig::GUARDED`]): no bounds checks.
    pub fn new() -> Result<Jit, Error> {
        Jit::with_memory_config(MemoryConfig::GUARDED)
    }

    /// A JIT compiling for stores whose memories are made with `memory`:
    /// accesses its guard region does not catch are bounds-checked in the
    /// code. A small reservation (under 4 GiB) checks every access; such
    /// code runs in any store.
    pub fn with_memory_config(memory: MemoryConfig) -> Result<Jit, Error> {
        if !sys::SUPPORTED {
            return Err(jit_error("only x86-64 Linux is supported"));
        }
        let missing = missing_cpu_features(host_has);
        if !missing.is_empty() {
            return Err(jit_error(format!(
                "this processor lacks {}, which the JIT's code needs; use the interpreter",
                missing.join(", ")
            )));
        }
        let mut flags = settings::builder();
        flags.set("opt_level", "speed").map_err(jit_error)?;
        // The verifier checks Cranelift's own invariants; Skiff's tests run
        // with it (debug builds), releases spare its ~20% of compile time.
        let verify = if cfg!(debug_assertions) {
            "true"
        } else {
            "false"
        };
        flags.set("enable_verifier", verify).map_err(jit_error)?;
        flags
            .set("enable_multi_ret_implicit_sret", "true")
            .map_err(jit_error)?;
        flags
            .set("preserve_frame_pointers", "true")
            .map_err(jit_error)?;
        // A frame larger than a page touches its pages in order as it is
        // allocated, so that it faults in the stack's guard (a stack
        // exhaustion) instead of stepping over it; the stack check at a
        // function's entry catches the rest.
        flags.set("enable_probestack", "true").map_err(jit_error)?;
        flags
            .set("probestack_strategy", "inline")
            .map_err(jit_error)?;
        let isa = cranelift_native::builder()
            .map_err(jit_error)?
            .finish(settings::Flags::new(flags))
            .map_err(jit_error)?;
        Ok(Jit {
            isa,
            memory,
            metering: Metering::default(),
            every_entry: false,
            max_threads: usize::MAX,
        })
    }

    /// This JIT, compiling the fuel and epoch checks `metering` asks for.
    pub fn with_metering(mut self, metering: Metering) -> Jit {
        self.metering = metering;
        self
    }

    /// This JIT, giving every defined function an entry from Rust, so that
    /// another tier running the same instance can call any of them (a
    /// tiered engine); otherwise only those exported, in a table or the
    /// start function have one.
    pub fn with_every_entry(mut self) -> Jit {
        self.every_entry = true;
        self
    }

    /// This JIT, compiling a module on at most `n` threads (at least one).
    pub fn with_max_threads(mut self, n: usize) -> Jit {
        self.max_threads = n.max(1);
        self
    }
}

impl Tier for Jit {
    fn name(&self) -> &'static str {
        "jit"
    }

    fn compile(&self, module: &Arc<ValidatedModule>) -> Result<Arc<dyn CompiledModule>, Error> {
        compile(self, module, Code::Compile).map(|(m, _)| Arc::new(m) as Arc<dyn CompiledModule>)
    }

    fn code_key(&self) -> String {
        let isa_flags: Vec<String> = self.isa.isa_flags().iter().map(|f| f.to_string()).collect();
        format!(
            "jit {} [{}] [{}] memory {:?} {:?}{}",
            self.isa.triple(),
            isa_flags.join(" "),
            self.isa.flags(),
            self.memory,
            self.metering,
            if self.every_entry { " every-entry" } else { "" }
        )
    }

    fn compile_to_keep(&self, module: &Arc<ValidatedModule>) -> Result<KeptCompile, Error> {
        compile(self, module, Code::CompileAndKeep).map(|(m, kept)| {
            let kept = kept.expect("compiled to keep");
            (Arc::new(m) as Arc<dyn CompiledModule>, kept)
        })
    }

    /// Compiles and lays out the code, without placing it in memory that
    /// runs or registering it (what an artifact written to a file needs).
    fn compile_only_to_keep(
        &self,
        module: &Arc<ValidatedModule>,
    ) -> Result<Result<Vec<u8>, String>, Error> {
        Ok(encode(
            &mut Shape::of(self, module).compile(self, module, true)?,
        ))
    }

    unsafe fn load_kept(
        &self,
        module: &Arc<ValidatedModule>,
        code: KeptCode<'_>,
    ) -> Result<Arc<dyn CompiledModule>, Error> {
        compile(self, module, Code::Load(code)).map(|(m, _)| Arc::new(m) as Arc<dyn CompiledModule>)
    }
}

/// Code compiled to keep, as bytes, or why it cannot be kept.
type Kept = Result<Vec<u8>, String>;

/// Where `compile` gets a module's code.
enum Code<'a> {
    /// From Cranelift.
    Compile,
    /// From Cranelift, also returned as bytes to keep.
    CompileAndKeep,
    /// From bytes kept earlier (see the `artifact` module).
    Load(KeptCode<'a>),
}

/// A module compiled to machine code.
pub struct JitModule {
    module: Arc<ValidatedModule>,
    /// The memory configuration the code was compiled for.
    memory: MemoryConfig,
    /// Where generated code, the host and other instances may call or jump
    /// into the functions: directly (a `call_indirect` or
    /// `return_call_indirect` that finds one of them in a table), or
    /// through its type's array-call trampoline. Each instance's state
    /// shares it, with one count (threads instantiating the module at once
    /// contend for each count).
    entries: Arc<Entries>,
    /// The code's entry in the registry the signal handler reads. Fields
    /// drop in order: it is unregistered before its memory is unmapped.
    _registration: registry::Registration,
    /// The code, unmapped on drop, when no instance refers to it any more
    /// (they hold an `Arc` of this module), so none of it can run again.
    _code: code_memory::CodeMemory,
}

/// Which defined functions can be called from outside generated code: those
/// exported, placed in tables or named by `ref.func` outside function bodies
/// (the only ones `ref.func` may name), and the start function.
fn callable_from_outside(m: &skiff_vm::Module) -> Vec<bool> {
    use skiff_vm::module::{ConstOp, ElemItems};
    use skiff_vm::types::ExternKind;
    let mut callable = vec![false; m.code.len()];
    let mut mark = |f: u32| {
        if let Some(d) = f.checked_sub(m.num_imported_funcs) {
            callable[d as usize] = true;
        }
    };
    for e in &m.exports {
        if e.kind == ExternKind::Func {
            mark(e.index);
        }
    }
    if let Some(start) = m.start {
        mark(start);
    }
    let mut exprs = m.global_inits.iter().collect::<Vec<_>>();
    for seg in &m.elems {
        match &seg.items {
            ElemItems::Funcs(funcs) => funcs.iter().for_each(|f| mark(*f)),
            ElemItems::Exprs(es) => exprs.extend(es.iter()),
        }
    }
    for expr in exprs {
        for op in &expr.ops {
            if let ConstOp::RefFunc(f) = op {
                mark(*f);
            }
        }
    }
    callable
}

/// Which defined functions get an entry from outside generated code (their
/// type's trampoline): every one for a JIT made `with_every_entry`, else
/// those callable from outside and those called inside a `try_table`
/// (such calls go through the runtime).
fn entered(tier: &Jit, module: &ValidatedModule) -> Vec<bool> {
    let m = module.module();
    if tier.every_entry {
        return vec![true; m.code.len()];
    }
    let mut callable = callable_from_outside(m);
    for i in 0..m.code.len() as u32 {
        let info = module.func_info(m.num_imported_funcs + i);
        for &f in info.map_or(&[][..], |info| &info.try_callees) {
            if let Some(d) = f.checked_sub(m.num_imported_funcs) {
                callable[d as usize] = true;
            }
        }
    }
    callable
}

/// Executable memory holding `layout`'s image: the image mapped from the
/// file it was loaded from, when it lies there at a page boundary (and the
/// system lets code run from the file), else a copy.
fn place(layout: &layout::Layout<'_>, code: &Code<'_>) -> Result<code_memory::CodeMemory, Error> {
    let image = layout.image();
    // Loaded code is borrowed from the kept bytes.
    if let Code::Load(KeptCode {
        bytes,
        file: Some((file, at)),
    }) = code
    {
        let offset = at + (image.as_ptr() as usize - bytes.as_ptr() as usize) as u64;
        // SAFETY: the caller of `load_kept` vouches that the file holds the
        // kept bytes at `at`, so the image at `offset`, unchanged for as
        // long as the module lives.
        if let Some(mapped) = unsafe { code_memory::CodeMemory::map(file, offset, image.len()) } {
            return Ok(mapped);
        }
    }
    code_memory::CodeMemory::new(image).map_err(jit_error)
}

/// What compiling, laying out and entering a module's code needs to know
/// of the module besides its functions.
struct Shape {
    /// Whether any function makes a tail call (which changes the calling
    /// convention).
    tail_calls: bool,
    /// Which defined functions get an entry from outside generated code.
    entered: Vec<bool>,
    /// The types of their array-call trampolines, each once.
    tramp_types: Vec<u32>,
}

impl Shape {
    fn of(tier: &Jit, module: &ValidatedModule) -> Shape {
        let m = module.module();
        let tail_calls = (0..m.code.len() as u32)
            .filter_map(|i| module.func_info(m.num_imported_funcs + i))
            .any(|info| info.tail_calls);
        let entered = entered(tier, module);
        let tramp_types = compile::trampoline_types(m, &entered);
        Shape {
            tail_calls,
            entered,
            tramp_types,
        }
    }

    /// Compiles every function and trampoline of `module` and lays them
    /// out, with room for their tables before the image when the code is
    /// to be kept (see [`encode`]).
    fn compile(
        &self,
        tier: &Jit,
        module: &ValidatedModule,
        keep: bool,
    ) -> Result<layout::Layout<'static>, Error> {
        let m = module.module();
        let settings = (tier.memory, tier.metering, self.tail_calls);
        let outputs = compile::Plan::declare(&tier.isa, m, settings, &self.tramp_types)?
            .compile_all(tier.max_threads)?;
        let room = if keep {
            artifact::tables_room(&outputs)
        } else {
            0
        };
        layout::Layout::build(outputs, m.num_imported_funcs, &self.tramp_types, room)
            .map_err(|e| jit_error(format!("cannot lay out the code: {e}")))
    }
}

/// The code of `layout`, compiled to keep, as bytes to keep; the layout's
/// image is taken.
fn encode(layout: &mut layout::Layout<'_>) -> Kept {
    artifact::encode(layout).map_err(|e| format!("the JIT cannot write its code: {e}"))
}

fn compile(
    tier: &Jit,
    module: &Arc<ValidatedModule>,
    code: Code<'_>,
) -> Result<(JitModule, Option<Kept>), Error> {
    let (memory, metering) = (tier.memory, tier.metering);
    let m = module.module();
    let shape = Shape::of(tier, module);
    let first = m.num_imported_funcs;
    let mut layout = match &code {
        Code::Compile => shape.compile(tier, module, false)?,
        Code::CompileAndKeep => shape.compile(tier, module, true)?,
        Code::Load(kept) => artifact::decode(kept.bytes, (m.code.len(), first), &shape.tramp_types)
            .map_err(|e| jit_error(format!("kept code: {e}")))?,
    };
    let keep = matches!(code, Code::CompileAndKeep);
    let code = place(&layout, &code)?;
    let image_len = layout.image().len();
    // Once placed, the image is no longer needed here.
    let kept = keep.then(|| encode(&mut layout));
    let base = code.start();
    let (offsets, tramp_offsets) = layout.tables.entries();
    // The trampoline of each entered function is its type's.
    let trampoline = |i: usize| {
        let ty = m.funcs[first as usize + i];
        let k = tramp_offsets.binary_search_by_key(&ty, |t| t.0).ok()?;
        Some(base + tramp_offsets[k].1 as usize)
    };
    let entries = Arc::new(Entries {
        code: offsets.iter().map(|&o| base + o as usize).collect(),
        trampolines: (0..m.code.len())
            .map(|i| {
                shape.entered[i]
                    .then(|| trampoline(i))
                    .flatten()
                    .unwrap_or(0)
            })
            .collect(),
        metering,
        tail: shape.tail_calls,
    });
    let registration = registry::register(base, image_len, layout.tables, module.clone());
    let compiled = JitModule {
        module: module.clone(),
        memory,
        entries,
        _registration: registration,
        _code: code,
    };
    Ok((compiled, kept))
}

/// Calls function `func` of instance `inst` (its index in the module) for
/// generated code of the instance, with its arguments at `args`, where its
/// results go: a defined function with an entry is entered straight from
/// here, anything else through the store.
pub(crate) fn call_function(
    store: &mut Store,
    inst: InstanceId,
    func: u32,
    args: *mut u64,
) -> Result<(), Trap> {
    let instance = store.instance(inst);
    let defined = func.checked_sub(instance.module().num_imported_funcs);
    if let (Some(d), Some(state)) = (defined, instance.tier_state_as::<InstanceState>()) {
        let (tramp, callee) = (
            state.entries.trampolines[d as usize],
            state.entries.code[d as usize],
        );
        if tramp != 0 {
            let vmctx = state.vmctx();
            let max_stack = store.max_wasm_stack();
            // SAFETY: generated code of this instance called the builtin
            // that calls this, so its context block already holds the store
            // and the stack limit; the trampoline is of the callee's type
            // and `callee` the callee's code, and
            // `args` is the caller's buffer for the callee's values (see
            // `builtins::slots`).
            return unsafe {
                traps::call(
                    (tramp as *const u8, callee as *const u8),
                    vmctx as *mut u8,
                    args,
                    &mut (*vmctx).stack_limit,
                    max_stack,
                )
            };
        }
    }
    let f = store.instance(inst).funcs()[func as usize];
    store.call_raw(f, Some(inst), builtins::slots(store, f, args))
}

/// Where a `call_indirect` or `return_call_indirect` of instance `caller`
/// may call or jump for function `f`: the code and context block of a
/// defined function of a module compiled alike (the same calling convention
/// and fuel and epoch checks, so the same signature), or `None` when `f`
/// must be called through the store instead (a host function, code of
/// another tier, or compiled otherwise).
pub(crate) fn direct_target(store: &Store, caller: InstanceId, f: Func) -> Option<(usize, usize)> {
    let (instance, index) = store.func(f).wasm()?;
    let state = |i: InstanceId| store.instance(i).tier_state_as::<InstanceState>();
    let (target, from) = (state(instance)?, state(caller)?);
    if !target.entries.compatible(&from.entries) {
        return None;
    }
    let defined = index.checked_sub(store.instance(instance).module().num_imported_funcs)?;
    // The caller's code lends the callee's context block its store and
    // stack limit before each call (`lend_entry_state` in the translator),
    // a cached target's included.
    Some((
        target.entries.code[defined as usize],
        target.vmctx() as usize,
    ))
}

impl CompiledModule for JitModule {
    fn instantiate(
        &self,
        store: &mut Store,
        instance: InstanceId,
    ) -> Result<Option<TierState>, Trap> {
        let inst = store.instance(instance);
        if !inst.memories().is_empty() && !store.memory_config().covers(&self.memory) {
            return Err(Trap::host(format!(
                "the code was compiled for memories guarded as {:?}; this store makes {:?}",
                self.memory,
                store.memory_config()
            )));
        }
        let entries = self.entries.clone();
        Ok(Some(Box::new(InstanceState::new(store, instance, entries))))
    }

    fn call(&self, store: &mut Store, f: WasmFunc, args: &[Value]) -> Result<Vec<Value>, Trap> {
        let ty = self.module.module().func_type(f.index);
        let n = slot_count(ty.params()).max(slot_count(ty.results()));
        let mut buf = vec![0u64; n.max(1)];
        write_slots(args, &mut buf);
        self.call_slots(store, f, &mut buf)?;
        Ok(read_slots(ty.results(), &buf))
    }

    fn call_slots(&self, store: &mut Store, f: WasmFunc, slots: &mut [u64]) -> Result<(), Trap> {
        let WasmFunc { instance, index } = f;
        let m = self.module.module();
        let defined = f.defined_index(m)?;
        let state = store
            .instance(instance)
            .tier_state_as::<InstanceState>()
            .ok_or_else(|| Trap::host("instance was not prepared by the JIT"))?;
        let vmctx = state.vmctx();
        let tramp = self.entries.trampolines[defined as usize];
        let callee = self.entries.code[defined as usize];
        if tramp == 0 {
            return Err(Trap::host(format!(
                "function {index} is neither exported nor in a table: not callable from outside"
            )));
        }
        let ty = m.func_type(index);
        if slots.len() < slot_count(ty.params()).max(slot_count(ty.results())) {
            return Err(Trap::host(format!(
                "too few slots for the arguments and results of function {index}"
            )));
        }
        let max_stack = store.max_wasm_stack();
        let store_ptr: *mut Store = store;
        // SAFETY: `vmctx` is this instance's context block, kept alive by the
        // store; generated code and builtins use the store only through
        // `store_ptr` while `traps::call` runs, and this frame does not touch
        // `store` until it returns. The trampoline is of the function's type
        // and `callee` its code; it reads the arguments from and writes the
        // results to `slots`, which holds enough for both (checked above).
        let result = unsafe {
            (*vmctx).store = store_ptr;
            traps::call(
                (tramp as *const u8, callee as *const u8),
                vmctx as *mut u8,
                slots.as_mut_ptr(),
                &mut (*vmctx).stack_limit,
                max_stack,
            )
        };
        result.map_err(|mut t| {
            if t.backtrace().is_empty() {
                t.push_frame(skiff_vm::runtime::Frame {
                    func: index,
                    name: m.func_name(index).map(str::to_string),
                    offset: None,
                });
            }
            t
        })
    }

    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }
}
