//! Skiff's side of the harness: decoding and validation, and the execution
//! tiers (`skiff-interp`, `skiff-jit`).
//!
//! # Where a tier plugs in
//!
//! A tier (the threaded-code interpreter, `skiff-interp`; the Cranelift JIT,
//! `skiff-jit`) implements [`Engine`] in a module of this crate
//! and is pushed onto the vector in [`tiers`]. Nothing else changes:
//!
//! - `tests/corpus.rs` runs every corpus program at its SMALL size on it and
//!   checks the checksum (in CI, without clang).
//! - `benches/throughput.rs` runs every program at its BENCH size on it, in the
//!   same criterion group as the peers, so the chart shows its ratios.
//! - `benches/startup.rs` times `Engine::compile` on `big.wasm` and on a
//!   corpus program, `Compiled::instantiate` and `Compiled::instantiate_and_call`
//!   on `empty.wat`, and `Compiled::run_command` on `empty.wasm`, as it does
//!   for the peers.
//!
//! Each tier's name should start with `skiff-` (`skiff-interp`, `skiff-jit`),
//! which is how `scripts/chart.py` tells Skiff's bars from the peers'.
//!
//! Tiers are never faked: an engine appears here only when it executes code.

use crate::Engine;
use crate::engine::{Compiled, RunOutput};
use skiff::wasi::{self, OutputBuffer, Stdio, WasiCtx, WasiCtxBuilder};
use skiff::{Config, EngineKind, InstancePre, Linker, Module, PoolingConfig, Store};
use std::sync::OnceLock;

/// Skiff's execution tiers: the interpreter, and the JIT where it runs;
/// then, for measuring what metering costs, each tier with fuel
/// (`skiff-interp-fuel`, `skiff-jit-fuel`) and with epoch checks
/// (`skiff-interp-epochs`, `skiff-jit-epochs`), and, for instance-per-request
/// figures, each with the pooling allocator (`skiff-interp-pooling`,
/// `skiff-jit-pooling`), and the tiered engine (`skiff-auto`), which only
/// `SKIFF_BENCH_ENGINES` naming them selects.
pub fn tiers() -> Vec<Box<dyn Engine>> {
    let mut tiers: Vec<Box<dyn Engine>> = Vec::new();
    let wanted = crate::env_list("SKIFF_BENCH_ENGINES");
    for (kind, base) in [
        (EngineKind::Interp, "skiff-interp"),
        (EngineKind::Jit, "skiff-jit"),
        (EngineKind::Auto, "skiff-auto"),
    ] {
        // (name, fuel, epochs, pooling)
        let variants: &[(&'static str, bool, bool, bool)] = match kind {
            EngineKind::Interp => &[
                ("skiff-interp", false, false, false),
                ("skiff-interp-fuel", true, false, false),
                ("skiff-interp-epochs", false, true, false),
                ("skiff-interp-pooling", false, false, true),
            ],
            EngineKind::Jit => &[
                ("skiff-jit", false, false, false),
                ("skiff-jit-fuel", true, false, false),
                ("skiff-jit-epochs", false, true, false),
                ("skiff-jit-pooling", false, false, true),
            ],
            EngineKind::Auto => &[("skiff-auto", false, false, false)],
        };
        for &(name, fuel, epochs, pooling) in variants {
            let variant = fuel || epochs || pooling || kind == EngineKind::Auto;
            if variant && !wanted.iter().any(|w| w == name) {
                continue;
            }
            let mut config = Config::new();
            config
                .strategy(kind)
                .consume_fuel(fuel)
                .epoch_interruption(epochs);
            if pooling {
                config.pooling(PoolingConfig::new());
            }
            match skiff::Engine::with_config(&config) {
                Ok(engine) => tiers.push(Box::new(Tier { name, engine, fuel })),
                Err(_) if name == base && kind != EngineKind::Interp => {}
                Err(e) => panic!("{name}: {e}"),
            }
        }
    }
    tiers
}

/// One of Skiff's tiers, through the embedding API.
struct Tier {
    name: &'static str,
    engine: skiff::Engine,
    /// Whether stores get fuel (all there is) before running.
    fuel: bool,
}

impl Engine for Tier {
    fn name(&self) -> &'static str {
        self.name
    }

    fn compile(&self, wasm: &[u8]) -> Result<Box<dyn Compiled>, String> {
        let module = Module::new(&self.engine, wasm).map_err(|e| e.to_string())?;
        Ok(Box::new(TierModule {
            module,
            engine: self.engine.clone(),
            fuel: self.fuel,
            command: OnceLock::new(),
        }))
    }
}

struct TierModule {
    module: Module,
    engine: skiff::Engine,
    fuel: bool,
    /// The module pre-linked against WASI (each store carrying its own
    /// context), made on the first command run.
    command: OnceLock<InstancePre<WasiCtx>>,
}

impl TierModule {
    /// A store for one run, holding `data`.
    fn store<T: Send + 'static>(&self, data: T) -> Store<T> {
        let mut store = Store::new(&self.engine, data);
        if self.fuel {
            store.set_fuel(u64::MAX).expect("the engine meters fuel");
        }
        store
    }

    fn command(&self) -> Result<&InstancePre<WasiCtx>, String> {
        if let Some(pre) = self.command.get() {
            return Ok(pre);
        }
        let mut linker: Linker<WasiCtx> = Linker::new();
        wasi::add_to_linker_with(&mut linker, |ctx| ctx);
        let pre = linker
            .instantiate_pre(&self.module)
            .map_err(|e| e.to_string())?;
        Ok(self.command.get_or_init(|| pre))
    }
}

impl Compiled for TierModule {
    fn run_command(&self, args: &[String]) -> Result<RunOutput, String> {
        let pre = self.command()?;
        let (stdout, stderr) = (OutputBuffer::new(), OutputBuffer::new());
        let ctx = WasiCtxBuilder::new()
            .args(args)
            .stdout(Stdio::Buffer(stdout.clone()))
            .stderr(Stdio::Buffer(stderr.clone()))
            .build()
            .map_err(|e| e.to_string())?;
        let mut store = self.store(ctx);
        let instance = pre.instantiate(&mut store).map_err(|e| e.to_string())?;
        let exit_code = wasi::run_start(&mut store, instance).map_err(|t| t.to_string())?;
        Ok(RunOutput {
            exit_code,
            stdout: stdout.contents(),
            stderr: stderr.contents(),
        })
    }

    fn instantiate(&self) -> Result<(), String> {
        let mut store = self.store(());
        Linker::new()
            .instantiate(&mut store, &self.module)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    fn instantiate_and_call_on_threads(
        &self,
        name: &str,
        threads: usize,
        requests: u64,
    ) -> Option<Result<(), String>> {
        Some(crate::engine::on_threads(threads, requests, || {
            self.instantiate_and_call(name)
        }))
    }

    fn instantiate_and_call(&self, name: &str) -> Result<(), String> {
        let mut store = self.store(());
        let instance = Linker::new()
            .instantiate(&mut store, &self.module)
            .map_err(|e| e.to_string())?;
        let f = instance
            .get_typed_func::<(), ()>(&store, name)
            .map_err(|e| e.to_string())?;
        f.call(&mut store, ()).map_err(|t| t.to_string())
    }
}

/// What Skiff does before any tier: decode and validate `wasm` (WebAssembly
/// 2.0, SIMD included).
pub fn load(wasm: &[u8]) -> Result<skiff_vm::ValidatedModule, String> {
    skiff_vm::load(wasm, &skiff_vm::Features::default()).map_err(|e| e.to_string())
}
