//! wasm3 (through the `wasm3` 0.3 bindings, which vendor the wasm3 C sources),
//! with this crate's [`wasi`](crate::wasi) shim for the corpus imports.
//!
//! wasm3 has no separate compile step: it parses a module into a runtime and
//! translates each function on its first call. So [`Engine::compile`] only
//! parses (to report errors early), and every instantiation parses again: that
//! is wasm3's own startup path.

use crate::wasi::MiniWasi;
use crate::{Compiled, Engine, RunOutput};
use std::cell::RefCell;
use std::rc::Rc;
use wasm3::error::{Error, Trap};
use wasm3::{CallContext, Environment, Module, Runtime};

/// The runtime's stack in bytes (the corpus recurses ~250 frames deep).
const STACK_SIZE: u32 = 1 << 20;
const WASI: &str = "wasi_snapshot_preview1";

/// wasm3 with the default build of the bindings (WASI compiled in but not
/// used, 32-bit stack slots).
pub struct Wasm3 {
    env: Environment,
}

impl Wasm3 {
    /// A new wasm3 environment.
    pub fn new() -> Wasm3 {
        Wasm3 {
            env: Environment::new().expect("wasm3: cannot allocate an environment"),
        }
    }
}

impl Default for Wasm3 {
    fn default() -> Self {
        Wasm3::new()
    }
}

fn err(e: impl std::fmt::Display) -> String {
    format!("wasm3: {e}")
}

impl Engine for Wasm3 {
    fn name(&self) -> &'static str {
        "wasm3"
    }

    fn best_effort(&self) -> bool {
        // The vendored wasm3 fails to load five of the eight corpus programs
        // ("unknown value_type").
        true
    }

    fn compile(&self, wasm: &[u8]) -> Result<Box<dyn Compiled>, String> {
        self.env.parse_module(wasm.to_vec()).map_err(err)?;
        Ok(Box::new(Wasm3Module {
            env: self.env.clone(),
            wasm: wasm.to_vec(),
        }))
    }
}

struct Wasm3Module {
    env: Environment,
    wasm: Vec<u8>,
}

/// The guest's memory during a host call.
fn memory<'a>(cc: &CallContext<'_>) -> &'a mut [u8] {
    // SAFETY: the slice lives only for the duration of one host call, during
    // which the guest cannot grow (move) its memory.
    unsafe { &mut *cc.memory_mut() }
}

/// Links one import if the module has it; a module need not import them all.
fn link<Args, Ret, F>(module: &mut Module<'_>, name: &str, f: F) -> Result<(), String>
where
    Args: wasm3::WasmArgs,
    Ret: wasm3::WasmType,
    F: for<'cc> FnMut(CallContext<'cc>, Args) -> Result<Ret, Trap> + 'static,
{
    match module.link_closure(WASI, name, f) {
        Ok(()) | Err(Error::FunctionNotFound) => Ok(()),
        Err(e) => Err(format!("wasm3: linking {name}: {e}")),
    }
}

fn link_wasi(module: &mut Module<'_>, state: &Rc<RefCell<MiniWasi>>) -> Result<(), String> {
    let s = state.clone();
    link(module, "args_sizes_get", move |cc, (a, b): (i32, i32)| {
        Ok(s.borrow().args_sizes_get(memory(&cc), a as u32, b as u32))
    })?;
    let s = state.clone();
    link(module, "args_get", move |cc, (a, b): (i32, i32)| {
        Ok(s.borrow().args_get(memory(&cc), a as u32, b as u32))
    })?;
    let s = state.clone();
    link(
        module,
        "fd_write",
        move |cc, (fd, iovs, len, nw): (i32, i32, i32, i32)| {
            Ok(s.borrow_mut()
                .fd_write(memory(&cc), fd, iovs as u32, len as u32, nw as u32))
        },
    )?;
    let s = state.clone();
    link(module, "fd_fdstat_get", move |cc, (fd, buf): (i32, i32)| {
        Ok(s.borrow().fd_fdstat_get(memory(&cc), fd, buf as u32))
    })?;
    let s = state.clone();
    link(
        module,
        "fd_seek",
        move |_cc, (fd, _off, _whence, _new): (i32, i64, i32, i32)| Ok(s.borrow().fd_seek(fd)),
    )?;
    let s = state.clone();
    link(module, "fd_close", move |_cc, fd: i32| {
        Ok(s.borrow().fd_close(fd))
    })?;
    let s = state.clone();
    link(
        module,
        "proc_exit",
        move |_cc, code: i32| -> Result<(), Trap> {
            s.borrow_mut().proc_exit(code);
            Err(Trap::Exit)
        },
    )?;
    Ok(())
}

impl Wasm3Module {
    fn load<'rt>(&self, runtime: &'rt Runtime) -> Result<Module<'rt>, String> {
        runtime
            .parse_and_load_module(self.wasm.clone())
            .map_err(err)
    }
}

impl Compiled for Wasm3Module {
    fn run_command(&self, args: &[String]) -> Result<RunOutput, String> {
        let runtime = self.env.create_runtime(STACK_SIZE).map_err(err)?;
        let mut module = self.load(&runtime)?;
        let state = Rc::new(RefCell::new(MiniWasi::new(args)));
        link_wasi(&mut module, &state)?;
        let start = module.find_function::<(), ()>("_start").map_err(err)?;
        let result = start.call();
        let mut state = state.borrow_mut();
        let exit_code = match (result, state.exit_code) {
            (_, Some(code)) => code,
            (Ok(()), None) => 0,
            (Err(e), None) => return Err(err(e)),
        };
        Ok(RunOutput {
            exit_code,
            stdout: std::mem::take(&mut state.stdout),
            stderr: std::mem::take(&mut state.stderr),
        })
    }

    fn instantiate(&self) -> Result<(), String> {
        let runtime = self.env.create_runtime(STACK_SIZE).map_err(err)?;
        self.load(&runtime)?;
        Ok(())
    }

    fn instantiate_and_call(&self, name: &str) -> Result<(), String> {
        let runtime = self.env.create_runtime(STACK_SIZE).map_err(err)?;
        let module = self.load(&runtime)?;
        module
            .find_function::<(), ()>(name)
            .map_err(err)?
            .call()
            .map_err(err)
    }
}
