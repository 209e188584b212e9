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
    CompiledModule, InstanceId, KeepFn, KeptCode, KeptCompile, KeptFn, LayeredState, Store, Tier,
    TierState, Trap, Value, WasmFunc,
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

    /// Prepares `module` for the interpreter and queues its compilation on
    /// the background thread, which installs the code when done and hands
    /// it to `keep`; a small module is compiled at once instead.
    ///
    /// # Safety
    /// As for [`Tier::load_or_compile`], for what `kept` returns.
    unsafe fn start(
        &self,
        module: &Arc<ValidatedModule>,
        kept: Option<KeptFn>,
        keep: Option<KeepFn>,
    ) -> Result<Arc<dyn CompiledModule>, Error> {
        let code_bytes: usize = module.module().code.iter().map(|b| b.range.len()).sum();
        if code_bytes <= self.eager_bytes {
            if let Some(code) = kept.and_then(|kept| kept()) {
                // SAFETY: the caller's guarantee.
                if let Ok(loaded) = unsafe { self.load_kept(module, code.code()) } {
                    return Ok(loaded);
                }
            }
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
        let (jit, module, installed) = (self.jit.clone(), module.clone(), Arc::downgrade(&code));
        let submitted = background::submit(Box::new(move || {
            // A module dropped before its turn is not compiled.
            let Some(installed) = installed.upgrade() else {
                return;
            };
            // Settled however this ends, a panic included.
            let _settle = Settle(&installed.settled);
            // Code kept earlier loads in a fraction of the time compiling
            // takes (still long for a large module, hence here).
            // SAFETY: the guarantee of `start`'s caller.
            let loaded = kept
                .and_then(|kept| kept())
                .and_then(|code| unsafe { jit.load_kept(&module, code.code()) }.ok());
            let compiled = match (loaded, keep) {
                (Some(code), _) => Ok((code, None)),
                (None, Some(keep)) => jit
                    .compile_to_keep(&module)
                    .map(|(code, kept)| (code, Some((keep, kept)))),
                (None, None) => jit.compile(&module).map(|code| (code, None)),
            };
            // A module the JIT cannot compile stays on the interpreter.
            if let Ok((compiled, kept)) = compiled {
                // Installed before the interpreter hands over, so that every
                // call it sends through the store finds the code.
                let _ = installed.jit.set(compiled);
                interp.hand_over();
                installed.settled.store(true, Ordering::Release);
                if let Some((keep, kept)) = kept {
                    keep(kept);
                }
            }
        }));
        if !submitted {
            // Without a thread to compile on, the module stays on the interpreter.
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
        // SAFETY: no kept code.
        unsafe { self.start(module, None, None) }
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

    fn compile_only_to_keep(
        &self,
        module: &Arc<ValidatedModule>,
    ) -> Result<Result<Vec<u8>, String>, Error> {
        self.jit_now.compile_only_to_keep(module)
    }

    fn compile_then_keep(
        &self,
        module: &Arc<ValidatedModule>,
        keep: KeepFn,
    ) -> Result<Arc<dyn CompiledModule>, Error> {
        // SAFETY: no kept code.
        unsafe { self.start(module, None, Some(keep)) }
    }

    /// A large module starts on the interpreter at once, while the kept
    /// code loads (or, failing that, the module compiles) in the background.
    unsafe fn load_or_compile(
        &self,
        module: &Arc<ValidatedModule>,
        kept: KeptFn,
        keep: KeepFn,
    ) -> Result<Arc<dyn CompiledModule>, Error> {
        // SAFETY: the caller's guarantee.
        unsafe { self.start(module, Some(kept), Some(keep)) }
    }

    unsafe fn load_kept(
        &self,
        module: &Arc<ValidatedModule>,
        code: KeptCode<'_>,
    ) -> Result<Arc<dyn CompiledModule>, Error> {
        // SAFETY: the caller's guarantee, for the JIT this tier compiles with.
        let code = unsafe { self.jit_now.load_kept(module, code)? };
        Ok(TieredModule::compiled(code))
    }
}

/// Sets its flag when dropped: a background compilation is settled
/// however it ends.
struct Settle<'a>(&'a AtomicBool);

impl Drop for Settle<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
    }
}

/// The thread background compilations run on, one at a time (each on up
/// to all cores but one), so that loading many large modules at once does
/// not start a compilation per module.
mod background {
    use std::sync::mpsc::{Sender, channel};
    use std::sync::{Mutex, OnceLock};

    /// A compilation to run.
    pub(super) type Job = Box<dyn FnOnce() + Send>;

    /// Queues `job`; `false` when there is no thread to run it on.
    pub(super) fn submit(job: Job) -> bool {
        static QUEUE: OnceLock<Option<Mutex<Sender<Job>>>> = OnceLock::new();
        let queue = QUEUE.get_or_init(|| {
            let (tx, rx) = channel::<Job>();
            std::thread::Builder::new()
                .name("skiff-jit".into())
                .spawn(move || {
                    for job in rx {
                        // A compilation that panics (a bug) leaves its module
                        // on the interpreter, and the thread goes on.
                        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                    }
                })
                .ok()
                .map(|_| Mutex::new(tx))
        });
        queue.as_ref().is_some_and(|tx| {
            tx.lock()
                .unwrap_or_else(|e| e.into_inner())
                .send(job)
                .is_ok()
        })
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

    fn call_slots(&self, store: &mut Store, f: WasmFunc, slots: &mut [u64]) -> Result<(), Trap> {
        if let Some(jit) = self.jit.get() {
            self.install(store, f.instance, jit)?;
            return jit.call_slots(store, f, slots);
        }
        match &self.interp {
            Some(interp) => {
                let ty = store
                    .instance(f.instance)
                    .module()
                    .func_type(f.index)
                    .clone();
                let args = skiff_vm::runtime::value::read_slots(ty.params(), slots);
                let results = interp.call_shared(store, f, &args)?;
                skiff_vm::runtime::value::write_slots(&results, slots);
                Ok(())
            }
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

    fn interpreted(&self) -> Option<Arc<dyn CompiledModule>> {
        let interp = self.interp.clone()?;
        Some(interp)
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
