//! Registers the functions of `wasi_snapshot_preview1` on a [`Linker`].

use crate::ctx::WasiCtx;
use crate::errno::Errno;
use crate::mem::GuestMemory;
use skiff_vm::runtime::{Caller, Extern, HostFn, InstanceId, Linker, Store, Trap, Value};
use skiff_vm::types::{FuncType, ValType};
use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, PoisonError};

/// The import module name of WASI preview 1.
pub const MODULE: &str = "wasi_snapshot_preview1";

/// Every function of `wasi_snapshot_preview1`, as [`add_to_linker`] defines them.
pub const FUNCTIONS: [&str; 46] = [
    "args_get",
    "args_sizes_get",
    "environ_get",
    "environ_sizes_get",
    "clock_res_get",
    "clock_time_get",
    "fd_advise",
    "fd_allocate",
    "fd_close",
    "fd_datasync",
    "fd_fdstat_get",
    "fd_fdstat_set_flags",
    "fd_fdstat_set_rights",
    "fd_filestat_get",
    "fd_filestat_set_size",
    "fd_filestat_set_times",
    "fd_pread",
    "fd_prestat_get",
    "fd_prestat_dir_name",
    "fd_pwrite",
    "fd_read",
    "fd_readdir",
    "fd_renumber",
    "fd_seek",
    "fd_sync",
    "fd_tell",
    "fd_write",
    "path_create_directory",
    "path_filestat_get",
    "path_filestat_set_times",
    "path_link",
    "path_open",
    "path_readlink",
    "path_remove_directory",
    "path_rename",
    "path_symlink",
    "path_unlink_file",
    "poll_oneoff",
    "proc_exit",
    "proc_raise",
    "sched_yield",
    "random_get",
    "sock_accept",
    "sock_recv",
    "sock_send",
    "sock_shutdown",
];

/// The trap `proc_exit(code)` stops the guest with.
pub fn exit_trap(code: i32) -> Trap {
    Trap::exit(code)
}

/// The exit code, when `trap` is how `proc_exit` stopped the guest; `None`
/// for a real trap.
pub fn exit_code(trap: &Trap) -> Option<i32> {
    trap.exit_code()
}

/// Runs a command's `_start` export: `Ok(0)` when it returns, `Ok(code)`
/// when the guest called `proc_exit(code)`, `Err` for a trap (including a
/// module without `_start`).
pub fn run_start(store: &mut Store, instance: InstanceId) -> Result<i32, Trap> {
    let Some(Extern::Func(start)) = store.instance(instance).export("_start") else {
        return Err(Trap::host("the module exports no function `_start`"));
    };
    match store.call(start, &[]) {
        Ok(_) => Ok(0),
        Err(trap) => exit_code(&trap).ok_or(trap),
    }
}

/// A host function's arguments, read by position. Their types were checked
/// when the module was linked, so a mismatch cannot happen; it reads as 0.
struct Args<'a>(&'a [Value]);

impl Args<'_> {
    fn u32(&self, i: usize) -> u32 {
        match self.0.get(i) {
            Some(Value::I32(v)) => *v as u32,
            _ => 0,
        }
    }

    fn u16(&self, i: usize) -> u16 {
        self.u32(i) as u16
    }

    fn u8(&self, i: usize) -> u8 {
        self.u32(i) as u8
    }

    fn u64(&self, i: usize) -> u64 {
        match self.0.get(i) {
            Some(Value::I64(v)) => *v as u64,
            _ => 0,
        }
    }
}

type Impl = fn(&mut WasiCtx, &mut GuestMemory<'_>, &Args<'_>) -> Result<(), Errno>;

const I: ValType = ValType::I32;
const L: ValType = ValType::I64;

fn lock(ctx: &Mutex<WasiCtx>) -> std::sync::MutexGuard<'_, WasiCtx> {
    ctx.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One function of `wasi_snapshot_preview1`: its name, its type and its
/// implementation as a host function.
pub struct HostFunction {
    /// Its name in the `wasi_snapshot_preview1` module.
    pub name: &'static str,
    /// Its WebAssembly type.
    pub ty: FuncType,
    /// Its implementation.
    pub func: Arc<HostFn>,
}

/// Finds a store's WASI context in the store's data, if it holds one.
pub type CtxOfData =
    dyn for<'a> Fn(&'a mut (dyn Any + Send)) -> Option<&'a mut WasiCtx> + Send + Sync;

/// Where the functions of `wasi_snapshot_preview1` find the context they
/// act on.
#[derive(Clone)]
pub enum CtxSource {
    /// One context, shared by every store the functions are defined in.
    Shared(Arc<Mutex<WasiCtx>>),
    /// Each store's own, in its data: a linker defining the functions once
    /// serves every store, and a request's store carries its own context.
    InData(Arc<CtxOfData>),
}

fn define(
    out: &mut Vec<HostFunction>,
    source: &CtxSource,
    name: &'static str,
    params: &[ValType],
    f: Impl,
) {
    let source = source.clone();
    let ty = FuncType::new(params.iter().copied(), [ValType::I32]);
    let func = Arc::new(
        move |mut caller: Caller<'_>, args: &[Value], results: &mut Vec<Value>| {
            let mut none: [u8; 0] = [];
            let mut guard;
            let (ctx, bytes): (&mut WasiCtx, _) = match &source {
                CtxSource::Shared(ctx) => {
                    let bytes = caller.exported_memory_data();
                    guard = lock(ctx);
                    (&mut guard, bytes)
                }
                CtxSource::InData(get) => {
                    let (data, bytes) = caller.data_and_exported_memory();
                    let ctx = get(data).ok_or_else(|| {
                        Trap::host(format!(
                            "WASI function {name}: the store's data holds no WASI context"
                        ))
                    })?;
                    (ctx, bytes)
                }
            };
            let bytes: &mut [u8] = bytes.unwrap_or(&mut none);
            let mut mem = GuestMemory::new(bytes);
            // A panic here would be a bug of ours; it must not take the host down.
            let result = catch_unwind(AssertUnwindSafe(|| f(ctx, &mut mem, &Args(args))))
                .map_err(|_| Trap::host(format!("internal error in WASI function {name}")))?;
            let errno = match result {
                Ok(()) => 0,
                Err(e) => e.raw(),
            };
            results.push(Value::I32(i32::from(errno)));
            Ok(())
        },
    );
    out.push(HostFunction { name, ty, func });
}

/// Defines every function of `wasi_snapshot_preview1` (see [`FUNCTIONS`]) on
/// `linker`, as host functions in `store` that act on `ctx`.
///
/// The functions find the guest's memory as its export `memory`; a module
/// without one gets `EFAULT` from every call that takes a pointer.
/// `proc_exit` stops the guest with [`exit_trap`]; see [`exit_code`] and
/// [`run_start`].
pub fn add_to_linker(linker: &mut Linker, store: &mut Store, ctx: Arc<Mutex<WasiCtx>>) {
    for f in host_functions(ctx) {
        let func = store.host_func(f.ty, f.func);
        linker.define(MODULE, f.name, Extern::Func(func));
    }
}

/// Every function of `wasi_snapshot_preview1` (see [`FUNCTIONS`]), acting
/// on `ctx`, for an embedding API to define as it defines host functions.
pub fn host_functions(ctx: Arc<Mutex<WasiCtx>>) -> Vec<HostFunction> {
    host_functions_with(CtxSource::Shared(ctx))
}

/// Every function of `wasi_snapshot_preview1` (see [`FUNCTIONS`]), acting
/// on the context `source` gives them.
pub fn host_functions_with(source: CtxSource) -> Vec<HostFunction> {
    let mut out = Vec::with_capacity(FUNCTIONS.len());
    let c = &source;
    let mut def = |name, params: &[ValType], f: Impl| define(&mut out, c, name, params, f);

    def("args_get", &[I, I], |c, m, a| {
        c.args_get(m, a.u32(0), a.u32(1))
    });
    def("args_sizes_get", &[I, I], |c, m, a| {
        c.args_sizes_get(m, a.u32(0), a.u32(1))
    });
    def("environ_get", &[I, I], |c, m, a| {
        c.environ_get(m, a.u32(0), a.u32(1))
    });
    def("environ_sizes_get", &[I, I], |c, m, a| {
        c.environ_sizes_get(m, a.u32(0), a.u32(1))
    });
    def("clock_res_get", &[I, I], |c, m, a| {
        c.clock_res_get(m, a.u32(0), a.u32(1))
    });
    def("clock_time_get", &[I, L, I], |c, m, a| {
        c.clock_time_get(m, a.u32(0), a.u32(2))
    });
    def("fd_advise", &[I, L, L, I], |c, _, a| {
        c.fd_advise(a.u32(0), a.u64(1), a.u64(2), a.u8(3))
    });
    def("fd_allocate", &[I, L, L], |c, _, a| {
        c.fd_allocate(a.u32(0), a.u64(1), a.u64(2))
    });
    def("fd_close", &[I], |c, _, a| c.fd_close(a.u32(0)));
    def("fd_datasync", &[I], |c, _, a| c.fd_datasync(a.u32(0)));
    def("fd_fdstat_get", &[I, I], |c, m, a| {
        c.fd_fdstat_get(m, a.u32(0), a.u32(1))
    });
    def("fd_fdstat_set_flags", &[I, I], |c, _, a| {
        c.fd_fdstat_set_flags(a.u32(0), a.u16(1))
    });
    def("fd_fdstat_set_rights", &[I, L, L], |c, _, a| {
        c.fd_fdstat_set_rights(a.u32(0), a.u64(1), a.u64(2))
    });
    def("fd_filestat_get", &[I, I], |c, m, a| {
        c.fd_filestat_get(m, a.u32(0), a.u32(1))
    });
    def("fd_filestat_set_size", &[I, L], |c, _, a| {
        c.fd_filestat_set_size(a.u32(0), a.u64(1))
    });
    def("fd_filestat_set_times", &[I, L, L, I], |c, _, a| {
        c.fd_filestat_set_times(a.u32(0), a.u64(1), a.u64(2), a.u16(3))
    });
    def("fd_pread", &[I, I, I, L, I], |c, m, a| {
        c.fd_pread(m, a.u32(0), a.u32(1), a.u32(2), a.u64(3), a.u32(4))
    });
    def("fd_prestat_get", &[I, I], |c, m, a| {
        c.fd_prestat_get(m, a.u32(0), a.u32(1))
    });
    def("fd_prestat_dir_name", &[I, I, I], |c, m, a| {
        c.fd_prestat_dir_name(m, a.u32(0), a.u32(1), a.u32(2))
    });
    def("fd_pwrite", &[I, I, I, L, I], |c, m, a| {
        c.fd_pwrite(m, a.u32(0), a.u32(1), a.u32(2), a.u64(3), a.u32(4))
    });
    def("fd_read", &[I, I, I, I], |c, m, a| {
        c.fd_read(m, a.u32(0), a.u32(1), a.u32(2), a.u32(3))
    });
    def("fd_readdir", &[I, I, I, L, I], |c, m, a| {
        c.fd_readdir(m, a.u32(0), a.u32(1), a.u32(2), a.u64(3), a.u32(4))
    });
    def("fd_renumber", &[I, I], |c, _, a| {
        c.fd_renumber(a.u32(0), a.u32(1))
    });
    def("fd_seek", &[I, L, I, I], |c, m, a| {
        c.fd_seek(m, a.u32(0), a.u64(1) as i64, a.u8(2), a.u32(3))
    });
    def("fd_sync", &[I], |c, _, a| c.fd_sync(a.u32(0)));
    def("fd_tell", &[I, I], |c, m, a| {
        c.fd_tell(m, a.u32(0), a.u32(1))
    });
    def("fd_write", &[I, I, I, I], |c, m, a| {
        c.fd_write(m, a.u32(0), a.u32(1), a.u32(2), a.u32(3))
    });
    def("path_create_directory", &[I, I, I], |c, m, a| {
        c.path_create_directory(m, a.u32(0), a.u32(1), a.u32(2))
    });
    def("path_filestat_get", &[I, I, I, I, I], |c, m, a| {
        c.path_filestat_get(m, a.u32(0), a.u32(1), a.u32(2), a.u32(3), a.u32(4))
    });
    def(
        "path_filestat_set_times",
        &[I, I, I, I, L, L, I],
        |c, m, a| {
            c.path_filestat_set_times(
                m,
                a.u32(0),
                a.u32(1),
                a.u32(2),
                a.u32(3),
                a.u64(4),
                a.u64(5),
                a.u16(6),
            )
        },
    );
    def("path_link", &[I, I, I, I, I, I, I], |c, m, a| {
        c.path_link(
            m,
            a.u32(0),
            a.u32(1),
            a.u32(2),
            a.u32(3),
            a.u32(4),
            a.u32(5),
            a.u32(6),
        )
    });
    def("path_open", &[I, I, I, I, I, L, L, I, I], |c, m, a| {
        c.path_open(
            m,
            a.u32(0),
            a.u32(1),
            a.u32(2),
            a.u32(3),
            a.u16(4),
            a.u64(5),
            a.u64(6),
            a.u16(7),
            a.u32(8),
        )
    });
    def("path_readlink", &[I, I, I, I, I, I], |c, m, a| {
        c.path_readlink(
            m,
            a.u32(0),
            a.u32(1),
            a.u32(2),
            a.u32(3),
            a.u32(4),
            a.u32(5),
        )
    });
    def("path_remove_directory", &[I, I, I], |c, m, a| {
        c.path_remove_directory(m, a.u32(0), a.u32(1), a.u32(2))
    });
    def("path_rename", &[I, I, I, I, I, I], |c, m, a| {
        c.path_rename(
            m,
            a.u32(0),
            a.u32(1),
            a.u32(2),
            a.u32(3),
            a.u32(4),
            a.u32(5),
        )
    });
    def("path_symlink", &[I, I, I, I, I], |c, m, a| {
        c.path_symlink(m, a.u32(0), a.u32(1), a.u32(2), a.u32(3), a.u32(4))
    });
    def("path_unlink_file", &[I, I, I], |c, m, a| {
        c.path_unlink_file(m, a.u32(0), a.u32(1), a.u32(2))
    });
    def("poll_oneoff", &[I, I, I, I], |c, m, a| {
        c.poll_oneoff(m, a.u32(0), a.u32(1), a.u32(2), a.u32(3))
    });
    def("proc_raise", &[I], |_, _, _| Err(Errno::Notsup));
    def("sched_yield", &[], |_, _, _| {
        std::thread::yield_now();
        Ok(())
    });
    def("random_get", &[I, I], |c, m, a| {
        c.random_get(m, a.u32(0), a.u32(1))
    });
    def("sock_accept", &[I, I, I], |c, m, a| {
        c.sock_accept(m, a.u32(0), a.u16(1), a.u32(2))
    });
    def("sock_recv", &[I, I, I, I, I, I], |c, m, a| {
        c.sock_recv(
            m,
            a.u32(0),
            a.u32(1),
            a.u32(2),
            a.u16(3),
            a.u32(4),
            a.u32(5),
        )
    });
    def("sock_send", &[I, I, I, I, I], |c, m, a| {
        c.sock_send(m, a.u32(0), a.u32(1), a.u32(2), a.u32(4))
    });
    def("sock_shutdown", &[I, I], |c, _, a| {
        c.sock_shutdown(a.u32(0), a.u8(1))
    });

    let source = source.clone();
    out.push(HostFunction {
        name: "proc_exit",
        ty: FuncType::new([I], []),
        func: Arc::new(
            move |mut caller: Caller<'_>, args: &[Value], _: &mut Vec<Value>| {
                let code = Args(args).u32(0) as i32;
                match &source {
                    CtxSource::Shared(ctx) => lock(ctx).exit_code = Some(code),
                    CtxSource::InData(get) => {
                        let ctx = get(caller.data_and_exported_memory().0).ok_or_else(|| {
                            Trap::host(
                                "WASI function proc_exit: the store's data holds no WASI context",
                            )
                        })?;
                        ctx.exit_code = Some(code);
                    }
                }
                Err(exit_trap(code))
            },
        ),
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use skiff_vm::runtime::TrapKind;

    #[test]
    fn exit_traps_carry_their_code() {
        assert_eq!(exit_code(&exit_trap(0)), Some(0));
        assert_eq!(exit_code(&exit_trap(42)), Some(42));
        assert_eq!(exit_code(&exit_trap(-3)), Some(-3));
        assert_eq!(exit_code(&Trap::host("something else")), None);
        assert_eq!(exit_code(&Trap::new(TrapKind::Unreachable)), None);
        let mut t = exit_trap(7);
        t.push_frame(skiff_vm::runtime::Frame {
            func: 1,
            name: Some("_start".into()),
            offset: None,
        });
        assert_eq!(exit_code(&t), Some(7));
    }

    #[test]
    fn every_function_is_defined_with_its_type() {
        let mut store = Store::default();
        let mut linker = Linker::new();
        let ctx = crate::WasiCtxBuilder::new().build().unwrap().into_shared();
        add_to_linker(&mut linker, &mut store, ctx);
        for name in FUNCTIONS {
            let Some(Extern::Func(f)) = linker.get(MODULE, name) else {
                panic!("{name} is not defined");
            };
            let ty = store.func_type(f);
            let expect_result = usize::from(name != "proc_exit");
            assert_eq!(ty.results().len(), expect_result, "{name}");
        }
    }
}
