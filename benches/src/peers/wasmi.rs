//! wasmi 2 with its `simd` feature, default `Config` (lazy translation of
//! function bodies, checked eagerly), with `wasmi_wasi` 2's preview1.

use crate::{Compiled, Engine, RunOutput};
use wasmi::{Linker, Module, Store};
use wasmi_wasi::WasiCtx;
use wasmi_wasi::wasi_common::pipe::WritePipe;

/// wasmi with its default configuration.
pub struct Wasmi {
    engine: wasmi::Engine,
}

impl Wasmi {
    /// An engine with `Config::default()`.
    pub fn new() -> Wasmi {
        Wasmi {
            engine: wasmi::Engine::default(),
        }
    }
}

impl Default for Wasmi {
    fn default() -> Self {
        Wasmi::new()
    }
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

impl Engine for Wasmi {
    fn name(&self) -> &'static str {
        "wasmi"
    }

    fn compile(&self, wasm: &[u8]) -> Result<Box<dyn Compiled>, String> {
        let module = Module::new(&self.engine, wasm).map_err(err)?;
        let mut wasi_linker: Linker<WasiCtx> = Linker::new(&self.engine);
        wasmi_wasi::add_to_linker(&mut wasi_linker, |ctx| ctx).map_err(err)?;
        Ok(Box::new(WasmiModule {
            engine: self.engine.clone(),
            module,
            wasi_linker,
        }))
    }
}

struct WasmiModule {
    engine: wasmi::Engine,
    module: Module,
    wasi_linker: Linker<WasiCtx>,
}

type Pipe = WritePipe<std::io::Cursor<Vec<u8>>>;

fn contents(pipe: Pipe) -> Result<Vec<u8>, String> {
    pipe.try_into_inner()
        .map(|cursor| cursor.into_inner())
        .map_err(|_| "wasmi_wasi still holds a pipe".to_string())
}

impl Compiled for WasmiModule {
    fn run_command(&self, args: &[String]) -> Result<RunOutput, String> {
        let stdout = WritePipe::new_in_memory();
        let stderr = WritePipe::new_in_memory();
        let wasi = wasmi_wasi::WasiCtxBuilder::new()
            .args(args)
            .map_err(err)?
            .stdout(Box::new(stdout.clone()))
            .stderr(Box::new(stderr.clone()))
            .build();
        let mut store = Store::new(&self.engine, wasi);
        let instance = self
            .wasi_linker
            .instantiate_and_start(&mut store, &self.module)
            .map_err(err)?;
        let start = instance
            .get_typed_func::<(), ()>(&store, "_start")
            .map_err(err)?;
        let exit_code = match start.call(&mut store, ()) {
            Ok(()) => 0,
            Err(e) => match e.i32_exit_status() {
                Some(code) => code,
                None => return Err(err(e)),
            },
        };
        drop(store);
        Ok(RunOutput {
            exit_code,
            stdout: contents(stdout)?,
            stderr: contents(stderr)?,
        })
    }

    fn instantiate(&self) -> Result<(), String> {
        let mut store = Store::new(&self.engine, ());
        Linker::<()>::new(&self.engine)
            .instantiate_and_start(&mut store, &self.module)
            .map_err(err)?;
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
        let instance = Linker::<()>::new(&self.engine)
            .instantiate_and_start(&mut store, &self.module)
            .map_err(err)?;
        let f = instance
            .get_typed_func::<(), ()>(&store, name)
            .map_err(err)?;
        f.call(&mut store, ()).map_err(err)
    }
}
