//! The interface every engine implements: Skiff's tiers and the peers alike.

/// What a WASI command run produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunOutput {
    /// The exit status: 0 when `_start` returned, else the `proc_exit` code.
    pub exit_code: i32,
    /// Everything written to fd 1.
    pub stdout: Vec<u8>,
    /// Everything written to fd 2.
    pub stderr: Vec<u8>,
}

/// A WebAssembly engine, or one tier of Skiff.
pub trait Engine {
    /// The name used in benchmark ids, test messages, `SKIFF_BENCH_ENGINES`
    /// and the chart: `skiff-interp`, `wasmtime`, `wasmi`, ...
    fn name(&self) -> &'static str;

    /// Decodes, validates and (for a compiling engine) compiles `wasm`: all the
    /// work that can be done once per module, before any instance exists.
    /// For an engine that compiles lazily, whatever it does eagerly.
    fn compile(&self, wasm: &[u8]) -> Result<Box<dyn Compiled>, String>;

    /// True for a peer that cannot run every corpus module (wasm3: its
    /// bindings vendor a 2021 wasm3 that rejects some modules clang emits).
    /// When such an engine returns an error (not a wrong answer) on a program,
    /// the corpus test and the `throughput` benchmark report the program as
    /// unsupported on that engine instead of failing. A wrong checksum always
    /// fails. Skiff's tiers must never be best-effort.
    fn best_effort(&self) -> bool {
        false
    }
}

/// A module compiled by an [`Engine`], ready to be instantiated any number of
/// times.
pub trait Compiled {
    /// Instantiates the module as a WASI command (`wasi_snapshot_preview1`,
    /// argv = `args`, stdout and stderr captured, no environment, no files)
    /// in a fresh store, and runs `_start` to completion.
    fn run_command(&self, args: &[String]) -> Result<RunOutput, String>;

    /// Instantiates a module that has no imports in a fresh store, then drops
    /// the instance.
    fn instantiate(&self) -> Result<(), String>;

    /// Instantiates a module that has no imports in a fresh store and calls
    /// its export `name`, a function `[] -> []`.
    fn instantiate_and_call(&self, name: &str) -> Result<(), String>;

    /// Does what [`Compiled::instantiate_and_call`] does `requests` times,
    /// spread over `threads` threads sharing the module; `None` for an
    /// engine whose modules cannot be shared between threads.
    fn instantiate_and_call_on_threads(
        &self,
        _name: &str,
        _threads: usize,
        _requests: u64,
    ) -> Option<Result<(), String>> {
        None
    }
}

/// Runs `request` `requests` times, spread as evenly as may be over
/// `threads` threads; the first error, if any.
pub fn on_threads(
    threads: usize,
    requests: u64,
    request: impl Fn() -> Result<(), String> + Sync,
) -> Result<(), String> {
    let threads = threads.max(1) as u64;
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let n = requests / threads + u64::from(t < requests % threads);
                let request = &request;
                scope.spawn(move || (0..n).try_for_each(|_| request()))
            })
            .collect();
        workers
            .into_iter()
            .try_for_each(|w| w.join().expect("a request thread panicked"))
    })
}
