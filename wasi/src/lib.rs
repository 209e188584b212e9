//! WASI preview 1 (`wasi_snapshot_preview1`) for Skiff: a hand-written
//! capability host over std and libc.
//!
//! Nothing is granted by default. The embedder grants arguments, environment
//! variables, preopened directories (read-only or read-write), sockets,
//! standard streams, clocks and randomness one by one with a
//! [`WasiCtxBuilder`], then defines the WASI functions on its [`Linker`]:
//!
//! ```no_run
//! use skiff_wasi::{DirPerms, OutputBuffer, Stdio, WasiCtxBuilder};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let out = OutputBuffer::new();
//! let ctx = WasiCtxBuilder::new()
//!     .args(["prog.wasm", "--flag"])
//!     .env("LANG", "C")
//!     .preopen_dir("/tmp/sandbox", "/sandbox", DirPerms::ReadWrite)
//!     .stdout(Stdio::Buffer(out.clone()))
//!     .stderr(Stdio::Inherit)
//!     .clocks(true)
//!     .random(true)
//!     .build()?
//!     .into_shared();
//! let mut store = skiff_vm::runtime::Store::default();
//! let mut linker = skiff_vm::runtime::Linker::new();
//! skiff_wasi::add_to_linker(&mut linker, &mut store, ctx.clone());
//! // ... instantiate the module with `linker`, then:
//! # let instance: skiff_vm::runtime::InstanceId = todo!();
//! let code = skiff_wasi::run_start(&mut store, instance)?; // proc_exit code, or 0
//! println!("{code}: {}", out.contents_lossy());
//! # Ok(()) }
//! ```
//!
//! Errnos, where a choice was to be made (wasmtime's answers where it has
//! one):
//! - a path that leaves its directory (absolute, `..` above it, a symbolic
//!   link, also one the guest made, that leads out) fails with `EPERM`, as
//!   the WASI filesystem specification prescribes; paths are resolved
//!   component by component under the directory's descriptor, never as host
//!   path strings;
//! - anything that would change something under a read-only preopen
//!   (writing, truncating, creating, removing, renaming, linking, setting
//!   times) fails with `EPERM`, as in wasmtime;
//! - a descriptor used for something outside its rights (writing stdin,
//!   reading a directory, rights dropped with `fd_fdstat_set_rights`) fails
//!   with `ENOTCAPABLE`;
//! - the rights `path_open` asks for are ceilings, as in wasmtime: those
//!   the directory does not pass on are dropped, not refused. The host file
//!   is opened for writing only when the rights asked for need it
//!   (`FD_WRITE`, `FD_ALLOCATE`, `FD_FILESTAT_SET_SIZE`, or appending or
//!   truncating); a directory never is, whatever its rights say, except that
//!   asking to write data to one (`FD_WRITE`) fails with `EISDIR`, as POSIX
//!   and wasmtime answer. `O_DIRECTORY` with `CREAT`, `EXCL` or `TRUNC` is
//!   `EINVAL`;
//! - a `sock_*` call on a descriptor that is not a socket fails with
//!   `ENOTSOCK`, whatever its rights (`EBADF` when it is not open);
//! - an in-memory output buffer ([`OutputBuffer`]) holds at most its limit
//!   (64 MiB unless the embedder chooses another with
//!   [`OutputBuffer::with_limit`]): a write past it is short, then fails
//!   with `ENOSPC`, as a full device answers;
//! - clocks and randomness that were not granted answer `ENOTCAPABLE`;
//! - every guest pointer is bounds-checked (`EFAULT`), and no guest input
//!   panics the host.
//!
//! [`Linker`]: skiff_vm::runtime::Linker

#![warn(missing_docs)]

mod ctx;
mod errno;
mod linker;
mod mem;
mod path;
mod preview1;
mod sys;
pub mod types;

pub use ctx::{BuildError, DirPerms, OutputBuffer, Stdio, WasiCtx, WasiCtxBuilder, WasiTemplate};
pub use errno::Errno;
pub use linker::{
    CtxOfData, CtxSource, FUNCTIONS, HostFunction, MODULE, add_to_linker, exit_code, exit_trap,
    host_functions, host_functions_with, run_start,
};
