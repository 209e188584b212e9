//! Platforms the JIT does not run on: [`crate::Jit::new`] refuses, so
//! nothing here is ever called.

/// Registers saved on entry; nothing on this platform.
#[derive(Default, Debug)]
pub(crate) struct JmpBuf;

/// Never called: the JIT does not start on this platform.
///
/// # Safety
/// None needed; it only panics.
pub(crate) unsafe extern "C" fn enter(
    _buf: *mut JmpBuf,
    _tramp: *const u8,
    _vmctx: *mut u8,
    _args: *mut u64,
    _callee: *const u8,
) -> u32 {
    unreachable!("the JIT does not run on this platform")
}

/// Nothing to install on this platform.
pub(crate) fn install_handlers() {}

/// Never called: the JIT does not start on this platform.
///
/// # Safety
/// None needed; it only panics.
pub(crate) unsafe extern "C" fn resume(_buf: *const JmpBuf) -> ! {
    unreachable!("the JIT does not run on this platform")
}
