//! What the JIT needs of the platform: entering generated code so that a
//! trap can return to the entry, and the handlers that catch the fault of a
//! trapping instruction. One file per platform; elsewhere the JIT refuses
//! to start ([`SUPPORTED`]) and Skiff runs on the interpreter.

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
mod x86_64_linux;
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
pub(crate) use x86_64_linux::{JmpBuf, enter, install_handlers, resume};

#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
mod unsupported;
#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
pub(crate) use unsupported::{JmpBuf, enter, install_handlers, resume};

/// Whether the JIT runs on this platform.
pub(crate) const SUPPORTED: bool = cfg!(all(target_arch = "x86_64", target_os = "linux"));
