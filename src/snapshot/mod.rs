//! Snapshots: run a module's initialization once, ahead of time, and write
//! a module that starts in the state it left.
//!
//! [`snapshot`] instantiates the module, calls its `_initialize` (when it
//! exports one) and then the init export it is given, and reads what they
//! left: every memory's bytes and size, every mutable global's value, every
//! table's elements, and which passive segments were dropped. It then
//! rewrites the module so that instantiating it rebuilds exactly that
//! state:
//! - the memories' and tables' minimum sizes are their sizes after init;
//! - the memories' contents become active data segments (runs of non-zero
//!   bytes), the tables' contents active element segments;
//! - mutable globals start with the values init left in them;
//! - the original segments keep their indices (`memory.init`, `data.drop`,
//!   `table.init` and `elem.drop` name them), as passive segments: empty
//!   where instantiation or init dropped them, unchanged otherwise;
//! - the start function and the init exports are removed, so nothing of
//!   init runs again.
//!
//! What init may reach of the host is limited to what the snapshot can
//! capture, which is nothing outside the instance: it may read its WASI
//! arguments and environment (`args_*`, `environ_*`); any other WASI call
//! (writing a file or to stdout, reading a clock, exiting) fails the
//! snapshot with an error naming the function. A module importing anything
//! but WASI functions is refused, since its imports' state would not be in
//! the snapshot.

mod rewrite;

use crate::engine::Engine;
use crate::func::Func;
use crate::linker::Linker;
use crate::module::Module;
use crate::store::{AsContext, Store};
use crate::wasi::{MODULE as WASI, WasiCtx};
use skiff_vm::runtime::{self as vm, InstantiationError, Trap, Value};
use std::fmt;
use std::sync::Arc;

/// The WASI functions init may call: they read what the snapshot was given
/// (arguments and environment) and change nothing outside the instance.
pub const ALLOWED_WASI: [&str; 4] = [
    "args_get",
    "args_sizes_get",
    "environ_get",
    "environ_sizes_get",
];

/// Why a snapshot could not be taken.
#[derive(Debug)]
pub enum SnapshotError {
    /// The module is malformed or invalid.
    Module(crate::Error),
    /// The module or what its init did cannot be captured.
    Refused(String),
    /// Instantiating the module failed.
    Instantiate(InstantiationError),
    /// `_initialize` or the init export trapped (including a WASI call that
    /// is not allowed).
    Trap(Trap),
}

impl fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SnapshotError::Module(e) => write!(f, "{} module: {e}", e.kind()),
            SnapshotError::Refused(why) => write!(f, "cannot snapshot: {why}"),
            SnapshotError::Instantiate(e) => write!(f, "cannot instantiate: {e}"),
            SnapshotError::Trap(t) => write!(f, "init failed: {t}"),
        }
    }
}

impl std::error::Error for SnapshotError {}

/// Runs `init` (an export taking and returning nothing) of the module
/// `wasm` (binary or text) on `engine`, after its `_initialize` if it has
/// one, and returns the binary of a module that starts in the state init
/// left (see the [module documentation](self)). `wasi` gives init its
/// arguments and environment; nothing else of it is reachable.
pub fn snapshot(
    engine: &Engine,
    wasm: &[u8],
    init: &str,
    wasi: WasiCtx,
) -> Result<Vec<u8>, SnapshotError> {
    let binary = wat::parse_bytes(wasm)
        .map_err(|e| SnapshotError::Refused(format!("cannot parse the text module: {e}")))?;
    let module = Module::new(engine, &binary).map_err(SnapshotError::Module)?;
    for (m, name, ty) in module.imports() {
        if m != WASI || !matches!(ty, crate::ExternType::Func(_)) {
            return Err(SnapshotError::Refused(format!(
                "the module imports {m}.{name}, and a snapshot can link only \
                 functions of {WASI}"
            )));
        }
    }
    let mut store = Store::new(engine, ());
    let linker = init_linker(wasi);
    let instance = linker
        .instantiate(&mut store, &module)
        .map_err(SnapshotError::Instantiate)?;
    let Some(f) = instance.get_func(&store, init) else {
        return Err(SnapshotError::Refused(format!(
            "the module exports no function {init}"
        )));
    };
    let mut removed = vec![init];
    if let Some(initialize) = instance.get_func(&store, "_initialize") {
        // Once, even when init is `_initialize` under another name.
        if initialize != f {
            call_init(&mut store, initialize, "_initialize")?;
        }
        removed.push("_initialize");
    }
    call_init(&mut store, f, init)?;

    let vm_store = store.as_context().store;
    let state = State::capture(vm_store, instance.index(vm_store.id()), &removed)?;
    let out = rewrite::rewrite(&binary, &state)?;
    // The rewritten module must load wherever the original did.
    skiff_vm::load(&out, &engine.features()).map_err(|e| {
        SnapshotError::Refused(format!("the snapshot does not validate (a bug): {e}"))
    })?;
    Ok(out)
}

/// A linker with the allowed WASI functions acting on `wasi`, and every
/// other WASI function defined to trap with a message naming it.
fn init_linker(wasi: WasiCtx) -> Linker {
    let mut linker = Linker::new();
    for f in skiff_wasi::host_functions(wasi.into_shared()) {
        if ALLOWED_WASI.contains(&f.name) {
            linker.define_host(WASI, f.name, f.ty, f.func);
        } else {
            let message = format!(
                "init called {WASI}.{}, which a snapshot cannot capture (init may \
                 call only {})",
                f.name,
                ALLOWED_WASI.join(", ")
            );
            let refuse: Arc<vm::HostFn> = Arc::new(move |_, _, _| Err(Trap::host(message.clone())));
            linker.define_host(WASI, f.name, f.ty, refuse);
        }
    }
    linker
}

/// Calls the init function `f`, named `name`, which must take and return nothing.
fn call_init(store: &mut Store, f: Func, name: &str) -> Result<(), SnapshotError> {
    let ty = f.ty(&*store);
    if !ty.params().is_empty() || !ty.results().is_empty() {
        return Err(SnapshotError::Refused(format!(
            "the export {name} must take and return nothing, not {ty}"
        )));
    }
    f.call(&mut *store, &[], &mut [])
        .map_err(SnapshotError::Trap)
}

/// What init left in an instance, by the module's index spaces (which hold
/// no imports but functions).
struct State<'a> {
    /// Each memory's size in pages and its bytes.
    memories: Vec<(u64, &'a [u8])>,
    /// Each global's value.
    globals: Vec<GlobalValue>,
    /// Each table's elements: `None` for null, else a function index.
    tables: Vec<Vec<Option<u32>>>,
    /// Whether each data segment is dropped.
    data_dropped: Vec<bool>,
    /// Whether each element segment is dropped.
    elem_dropped: Vec<bool>,
    /// Exports the snapshot leaves out (the init functions).
    removed_exports: Vec<String>,
}

impl<'a> State<'a> {
    fn capture(
        store: &'a vm::Store,
        id: vm::InstanceId,
        removed: &[&str],
    ) -> Result<State<'a>, SnapshotError> {
        let inst = store.instance(id);
        let index_of: std::collections::HashMap<u32, u32> = inst
            .funcs()
            .iter()
            .enumerate()
            .map(|(i, f)| (f.0, i as u32))
            .collect();
        let reference = |what: &str, v: Value| -> Result<Option<u32>, SnapshotError> {
            match v {
                Value::FuncRef(None) | Value::ExternRef(None) | Value::ExnRef(None) => Ok(None),
                Value::FuncRef(Some(r)) => index_of.get(&r.0).copied().map(Some).ok_or_else(|| {
                    SnapshotError::Refused(format!("{what} holds a function of another instance"))
                }),
                Value::ExternRef(Some(_)) => Err(SnapshotError::Refused(format!(
                    "{what} holds a host reference (externref), which a module cannot hold"
                ))),
                Value::ExnRef(Some(_)) => Err(SnapshotError::Refused(format!(
                    "{what} holds a caught exception (exnref), which a module cannot hold"
                ))),
                _ => unreachable!("a table or reference global holds references"),
            }
        };
        let mut globals = Vec::with_capacity(inst.globals().len());
        for (i, &g) in inst.globals().iter().enumerate() {
            globals.push(match store.global_value(g) {
                v @ (Value::FuncRef(_) | Value::ExternRef(_) | Value::ExnRef(_)) => {
                    GlobalValue::Ref(reference(&format!("global {i}"), v)?)
                }
                v => GlobalValue::Num(v),
            });
        }
        let mut tables = Vec::with_capacity(inst.tables().len());
        for (t, &table) in inst.tables().iter().enumerate() {
            let size = store.table_ref(table).size();
            let mut elems = Vec::with_capacity(size as usize);
            for i in 0..size {
                let v = store.table_get(table, i).expect("an index below the size");
                elems.push(reference(&format!("table {t}"), v)?);
            }
            tables.push(elems);
        }
        let m = inst.module().module();
        Ok(State {
            memories: inst
                .memories()
                .iter()
                .map(|&mem| {
                    let mem = store.memory_ref(mem);
                    (mem.pages(), mem.data())
                })
                .collect(),
            globals,
            tables,
            data_dropped: (0..m.data.len()).map(|i| inst.data_dropped(i)).collect(),
            elem_dropped: (0..m.elems.len()).map(|i| inst.elem_dropped(i)).collect(),
            removed_exports: removed.iter().map(|s| s.to_string()).collect(),
        })
    }
}

/// A global's value after init.
enum GlobalValue {
    /// A number or a vector.
    Num(Value),
    /// A reference: `None` for null, else a function index.
    Ref(Option<u32>),
}
