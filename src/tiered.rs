//! The tiered engine (`EngineKind::Auto`): a module runs on the interpreter
//! as soon as it is validated, while the JIT compiles it on a background
//! thread; once its code is ready, calls from then on run machine code.
//!
//! Both tiers run the same instance: its memories, tables and globals live
//! in the store, which each tier reads directly, so switching moves no
//! state. An instance keeps a [`LayeredState`]: the interpreter's state,
//! and the JIT's context block, made the first time compiled code runs for
//! the instance and kept from then on. An interpreted frame that is running
//! when the code arrives finishes on the interpreter, but each call it makes
//! from then on (to a function of the module, directly or through a table)
//! goes to the compiled code; so does every call from the host. A loop that
//! never calls out stays interpreted until its function returns: there is
//! no on-stack replacement. That is why a small module (64 KiB of function
//! bodies by default, [`Config::eager_compile_below`]) is compiled before
//! it runs: its compiling takes a few tens of milliseconds, and a hot loop
//! in its `main` would otherwise stay on the interpreter.
//!
//! [`Config::eager_compile_below`]: crate::Config::eager_compile_below

use skiff_interp::{InterpModule, Interpreter};
use skiff_jit::Jit;
use skiff_vm::runtime::{
    CompiledModule, InstanceId, KeepFn, KeptCompile, LayeredState, Store, Tier, TierState, Trap,
    Value, WasmFunc,
};
use skiff_vm::{Error, ValidatedModule};
use std::any::Any;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// The tiered tier: the interpreter first, the JIT in the background.
pub(crate) struct Tiered {
    interp: Interpreter,
    /// Compiles in the background, with an entry for every function (an
    /// interpreted frame may call any of them once the code is installed),
    /// leaving a core to the interpreter.
    jit: Arc<Jit>,
    /// The same, on every core: for code compiled while the caller waits.
    jit_now: Jit,
    /// Modules with at most this many bytes of function bodies are
    /// compiled before they run.
    eager_bytes: usize,
}

impl Tiered {
    /// The tiered tier over `interp` and `jit` (which must meter as
    /// `interp` does), compiling modules of at most `eager_bytes` of code
    /// before they run.
    pub(crate) fn new(interp: Interpreter, jit: Jit, eager_bytes: usize) -> Tiered {
        let background = std::thread::available_parallelism().map_or(1, |n| n.get() - 1);
        let jit_now = jit.with_every_entry();
        Tiered {
            interp,
            jit: Arc::new(jit_now.clone().with_max_threads(background)),
            jit_now,
            eager_bytes,
        }
    }

    /// Translates `module` for the interpreter and starts compiling it on
    /// a background thread, which installs the code when done and hands
    /// it to `keep`; a small module is compiled at once instead.
    fn start(
        &self,
        module: &Arc<ValidatedModule>,
        keep: Option<KeepFn>,
    ) -> Result<Arc<dyn CompiledModule>, Error> {
        let code_bytes: usize = module.module().code.iter().map(|b| b.range.len()).sum();
        if code_bytes <= self.eager_bytes {
            return Ok(match keep {
                Some(keep) => {
                    let (code, kept) = self.compile_to_keep(module)?;
                    keep(kept);
                    code
                }
                None => TieredModule::compiled(self.jit_now.compile(module)?),
            });
        }
        let interp = self.interp.compile_module(module)?;
        let code = Arc::new(TieredModule {
            interp: Some(interp.clone()),
            jit: OnceLock::new(),
            settled: AtomicBool::new(false),
        });
        let (jit, module, installed) = (self.jit.clone(), module.clone(), code.clone());
        let spawned = std::thread::Builder::new()
            .name("skiff-jit".into())
            .spawn(move || {
                let compiled = match keep {
                    Some(keep) => jit
                        .compile_to_keep(&module)
                        .map(|(code, kept)| (code, Some((keep, kept)))),
                    None => jit.compile(&module).map(|code| (code, None)),
                };
                match compiled {
                    Ok((compiled, kept)) => {
                        // Installed before the interpreter hands over, so
                        // that every call it sends through the store finds
                        // the code.
                        let _ = installed.jit.set(compiled);
                        interp.hand_over();
                        installed.settled.store(true, Ordering::Release);
                        if let Some((keep, kept)) = kept {
                            keep(kept);
                        }
                    }
                    // A module the JIT cannot compile stays on the interpreter.
                    Err(_) => installed.settled.store(true, Ordering::Release),
                }
            });
        if spawned.is_err() {
            // Without a thread, the module stays on the interpreter.
            code.settled.store(true, Ordering::Release);
        }
        Ok(code)
    }
}

impl Tier for Tiered {
    fn name(&self) -> &'static str {
        "auto"
    }

    fn compile(&self, module: &Arc<ValidatedModule>) -> Result<Arc<dyn CompiledModule>, Error> {
        self.start(module, None)
    }

    fn code_key(&self) -> String {
        format!("auto {}", self.jit.code_key())
    }

    /// Compiles on this thread: what is kept is the JIT's code, which
    /// runs from the first call.
    fn compile_to_keep(&self, module: &Arc<ValidatedModule>) -> Result<KeptCompile, Error> {
        let (code, kept) = self.jit_now.compile_to_keep(module)?;
        Ok((TieredModule::compiled(code), kept))
    }

    fn compile_then_keep(
        &self,
        module: &Arc<ValidatedModule>,
        keep: KeepFn,
    ) -> Result<Arc<dyn CompiledModule>, Error> {
        self.start(module, Some(keep))
    }

    unsafe fn load_kept(
        &self,
        module: &Arc<ValidatedModule>,
        code: &[u8],
    ) -> Result<Arc<dyn CompiledModule>, Error> {
        // SAFETY: the caller's guarantee, for the JIT this tier compiles with.
        let code = unsafe { self.jit_now.load_kept(module, code)? };
        Ok(TieredModule::compiled(code))
    }
}

/// A module on the tiered engine: its interpreter code, and the JIT's once
/// it is ready.
struct TieredModule {
    /// `None` when the module was loaded compiled.
    interp: Option<Arc<InterpModule>>,
    jit: OnceLock<Arc<dyn CompiledModule>>,
    /// Set once the background compilation has ended, well or not.
    settled: AtomicBool,
}

impl TieredModule {
    /// A module whose compiled code is ready from the start.
    fn compiled(code: Arc<dyn CompiledModule>) -> Arc<dyn CompiledModule> {
        Arc::new(TieredModule {
            interp: None,
            jit: OnceLock::from(code),
            settled: AtomicBool::new(true),
        })
    }

    /// Makes sure `instance` has the JIT's state, making it the first time.
    fn install(
        &self,
        store: &mut Store,
        instance: InstanceId,
        jit: &Arc<dyn CompiledModule>,
    ) -> Result<(), Trap> {
        let layers = |store: &Store| {
            store
                .instance(instance)
                .tier_state()
                .and_then(|s| s.downcast_ref::<LayeredState>())
                .map(|l| l.upper.get().is_some())
        };
        if layers(store) != Some(false) {
            return Ok(());
        }
        if let Some(state) = jit.instantiate(store, instance)? {
            let layers = store
                .instance(instance)
                .tier_state()
                .and_then(|s| s.downcast_ref::<LayeredState>())
                .expect("checked above");
            // Only this thread, which holds the store, sets it.
            let _ = layers.upper.set(state);
        }
        Ok(())
    }
}

impl CompiledModule for TieredModule {
    fn call(&self, store: &mut Store, f: WasmFunc, args: &[Value]) -> Result<Vec<Value>, Trap> {
        if let Some(jit) = self.jit.get() {
            self.install(store, f.instance, jit)?;
            return jit.call(store, f, args);
        }
        match &self.interp {
            Some(interp) => interp.call_shared(store, f, args),
            None => Err(Trap::host("a tiered module without code")),
        }
    }

    fn instantiate(
        &self,
        store: &mut Store,
        instance: InstanceId,
    ) -> Result<Option<TierState>, Trap> {
        let lower = match &self.interp {
            Some(interp) => interp.instantiate(store, instance)?,
            None => None,
        };
        let layers = LayeredState {
            lower,
            upper: OnceLock::new(),
        };
        if let Some(jit) = self.jit.get()
            && let Some(state) = jit.instantiate(store, instance)?
        {
            let _ = layers.upper.set(state);
        }
        Ok(Some(Box::new(layers)))
    }

    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }
}

/// Whether `code` runs compiled code for calls made from now on: always for
/// a module of the JIT, never for the interpreter's; on the tiered engine,
/// once its background compilation has finished, which this waits for when
/// `wait` says so.
pub(crate) fn has_compiled_code(code: &Arc<dyn CompiledModule>, wait: bool) -> bool {
    let any = code.clone().into_any();
    if any.is::<InterpModule>() {
        return false;
    }
    let Ok(tiered) = any.downcast::<TieredModule>() else {
        return true;
    };
    while wait && !tiered.settled.load(Ordering::Acquire) {
        std::thread::sleep(Duration::from_micros(200));
    }
    tiered.jit.get().is_some()
}
