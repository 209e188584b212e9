//! WASI preview 1 for modules run through this API: the capability context
//! of `skiff-wasi`, defined on a [`Linker`].
//!
//! ```no_run
//! use skiff::wasi::{self, DirPerms, WasiCtxBuilder};
//! use skiff::{Engine, Linker, Module, Store};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let engine = Engine::default();
//! let module = Module::from_file(&engine, "prog.wasm".as_ref())?;
//! let ctx = WasiCtxBuilder::new()
//!     .args(["prog.wasm"])
//!     .preopen_dir("/tmp/sandbox", "/sandbox", DirPerms::ReadOnly)
//!     .inherit_stdio()
//!     .build()?
//!     .into_shared();
//! let mut linker = Linker::new();
//! wasi::add_to_linker(&mut linker, ctx);
//! let mut store = Store::new(&engine, ());
//! let instance = linker.instantiate(&mut store, &module)?;
//! let code = wasi::run_start(&mut store, instance)?; // proc_exit's code, or 0
//! # Ok(()) }
//! ```

use crate::func::resume_pending_panic;
use crate::instance::Instance;
use crate::linker::Linker;
use crate::store::AsContextMut;
use skiff_vm::runtime::{Extern, Trap};
use std::sync::{Arc, Mutex};

pub use skiff_wasi::{
    BuildError, DirPerms, Errno, FUNCTIONS, MODULE, OutputBuffer, Stdio, WasiCtx, WasiCtxBuilder,
    WasiTemplate, exit_code, exit_trap,
};

/// Defines every function of `wasi_snapshot_preview1` on `linker`, acting on
/// `ctx`. The functions find the guest's memory as its export `memory`.
pub fn add_to_linker<T: 'static>(linker: &mut Linker<T>, ctx: Arc<Mutex<WasiCtx>>) {
    for f in skiff_wasi::host_functions(ctx) {
        linker.define_host(MODULE, f.name, f.ty, f.func);
    }
}

/// Defines every function of `wasi_snapshot_preview1` on `linker`, each
/// acting on the WASI context that `get` finds in its store's data: one
/// linker (or one [`InstancePre`](crate::InstancePre) made from it) then
/// serves any number of stores, each request's store carrying its own
/// context. A store whose data is not a `T` traps on any WASI call.
///
/// ```no_run
/// use skiff::wasi::{self, OutputBuffer, Stdio, WasiCtx, WasiCtxBuilder};
/// use skiff::{Engine, Linker, Module, Store};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let engine = Engine::default();
/// let module = Module::from_file(&engine, "prog.wasm".as_ref())?;
/// let mut linker: Linker<WasiCtx> = Linker::new();
/// wasi::add_to_linker_with(&mut linker, |ctx| ctx);
/// let pre = linker.instantiate_pre(&module)?;
/// for request in 0..3 {
///     let out = OutputBuffer::new();
///     let ctx = WasiCtxBuilder::new()
///         .args(["prog.wasm", &request.to_string()])
///         .stdout(Stdio::Buffer(out.clone()))
///         .build()?;
///     let mut store = Store::new(&engine, ctx);
///     let instance = pre.instantiate(&mut store)?;
///     wasi::run_start(&mut store, instance)?;
/// }
/// # Ok(()) }
/// ```
pub fn add_to_linker_with<T: Send + 'static>(
    linker: &mut Linker<T>,
    get: impl Fn(&mut T) -> &mut WasiCtx + Send + Sync + 'static,
) {
    // The bound gives the closure its signature, a reference in and one of
    // the same lifetime out, which inference alone would not.
    fn finder<F>(f: F) -> F
    where
        F: for<'a> Fn(&'a mut (dyn std::any::Any + Send)) -> Option<&'a mut WasiCtx>,
    {
        f
    }
    let find = finder(move |data| data.downcast_mut::<T>().map(&get));
    for f in skiff_wasi::host_functions_with(skiff_wasi::CtxSource::InData(Arc::new(find))) {
        linker.define_host(MODULE, f.name, f.ty, f.func);
    }
}

/// Runs a command's `_start`: `Ok(0)` when it returns, `Ok(code)` when the
/// guest called `proc_exit(code)`, `Err` for a trap (including a module
/// without `_start`).
pub fn run_start(mut store: impl AsContextMut, instance: Instance) -> Result<i32, Trap> {
    let store = store.as_context_mut().store;
    let id = instance.index(store.id());
    let Some(Extern::Func(start)) = store.instance(id).export("_start") else {
        return Err(Trap::host("the module exports no function `_start`"));
    };
    let outcome = store.call(start, &[]);
    resume_pending_panic(store);
    match outcome {
        Ok(_) => Ok(0),
        Err(trap) => exit_code(&trap).ok_or(trap),
    }
}
