//! wasmtime 48 (Cranelift 0.135), default `Config` (and, as
//! `wasmtime-pooling`, with its pooling allocator), with `wasmtime-wasi`'s
//! preview1.

use crate::{Compiled, Engine, RunOutput};
use std::sync::OnceLock;
use wasmtime::{InstancePre, Linker, Module, Store};
use wasmtime_wasi::p1::{self, WasiP1Ctx};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{I32Exit, WasiCtxBuilder};

/// Room for a command's stdout and stderr; the corpus prints one short line.
const PIPE_CAPACITY: usize = 1 << 20;

/// wasmtime with its default configuration: Cranelift at `opt_level=speed`,
/// parallel compilation, the on-demand instance allocator; or the same
/// with its pooling allocator.
pub struct Wasmtime {
    engine: wasmtime::Engine,
    name: &'static str,
}

impl Wasmtime {
    /// An engine with `Config::default()`.
    pub fn new() -> Wasmtime {
        Wasmtime {
            engine: wasmtime::Engine::default(),
            name: "wasmtime",
        }
    }

    /// `wasmtime-pooling`: the default configuration but for the pooling
    /// instance allocator, with its default `PoolingAllocationConfig`.
    pub fn pooling() -> Wasmtime {
        let mut config = wasmtime::Config::default();
        config.allocation_strategy(wasmtime::InstanceAllocationStrategy::Pooling(
            wasmtime::PoolingAllocationConfig::default(),
        ));
        Wasmtime {
            engine: wasmtime::Engine::new(&config).expect("wasmtime's pooling allocator"),
            name: "wasmtime-pooling",
        }
    }
}

impl Default for Wasmtime {
    fn default() -> Self {
        Wasmtime::new()
    }
}

fn err(e: impl std::fmt::Debug) -> String {
    format!("{e:?}")
}

impl Engine for Wasmtime {
    fn name(&self) -> &'static str {
        self.name
    }

    fn compile(&self, wasm: &[u8]) -> Result<Box<dyn Compiled>, String> {
        let module = Module::new(&self.engine, wasm).map_err(err)?;
        Ok(Box::new(WasmtimeModule {
            engine: self.engine.clone(),
            module,
            command: OnceLock::new(),
        }))
    }
}

struct WasmtimeModule {
    engine: wasmtime::Engine,
    module: Module,
    /// The module pre-linked against WASI, made on the first command run.
    command: OnceLock<InstancePre<WasiP1Ctx>>,
}

impl WasmtimeModule {
    fn command(&self) -> Result<&InstancePre<WasiP1Ctx>, String> {
        if let Some(pre) = self.command.get() {
            return Ok(pre);
        }
        let mut linker: Linker<WasiP1Ctx> = Linker::new(&self.engine);
        p1::add_to_linker_sync(&mut linker, |ctx| ctx).map_err(err)?;
        let pre = linker.instantiate_pre(&self.module).map_err(err)?;
        Ok(self.command.get_or_init(|| pre))
    }
}

impl Compiled for WasmtimeModule {
    fn run_command(&self, args: &[String]) -> Result<RunOutput, String> {
        let pre = self.command()?;
        let stdout = MemoryOutputPipe::new(PIPE_CAPACITY);
        let stderr = MemoryOutputPipe::new(PIPE_CAPACITY);
        let wasi = WasiCtxBuilder::new()
            .args(args)
            .stdout(stdout.clone())
            .stderr(stderr.clone())
            .build_p1();
        let mut store = Store::new(&self.engine, wasi);
        let instance = pre.instantiate(&mut store).map_err(err)?;
        let start = instance
            .get_typed_func::<(), ()>(&mut store, "_start")
            .map_err(err)?;
        let exit_code = match start.call(&mut store, ()) {
            Ok(()) => 0,
            Err(e) => match e.downcast_ref::<I32Exit>() {
                Some(exit) => exit.0,
                None => return Err(err(e)),
            },
        };
        drop(store);
        Ok(RunOutput {
            exit_code,
            stdout: stdout.contents().to_vec(),
            stderr: stderr.contents().to_vec(),
        })
    }

    fn instantiate(&self) -> Result<(), String> {
        let mut store = Store::new(&self.engine, ());
        wasmtime::Instance::new(&mut store, &self.module, &[]).map_err(err)?;
        Ok(())
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
        let mut store = Store::new(&self.engine, ());
        let instance = wasmtime::Instance::new(&mut store, &self.module, &[]).map_err(err)?;
        let f = instance
            .get_typed_func::<(), ()>(&mut store, name)
            .map_err(err)?;
        f.call(&mut store, ()).map_err(err)
    }
}
