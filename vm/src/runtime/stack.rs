//! The native stack of the running thread: where it ends, and how much of it
//! WebAssembly may use.
//!
//! Both tiers ask here. The JIT sets the lowest address its code may push
//! to from the thread's real stack, whatever its size (`ulimit -s`, a
//! thread spawned with a small stack), keeping [`HOST_RESERVE`] bytes for
//! the host functions, builtins and signal handlers that run below deep
//! WebAssembly frames; the interpreter, whose guest frames live on the heap,
//! checks that a call from the host into it leaves that reserve, since host
//! functions calling back into WebAssembly nest native frames.
//!
//! The bounds come from the platform (`pthread_getattr_np` on Linux), once
//! per thread. Where the platform does not tell, they are unknown and only
//! the configured maxima apply.

use std::cell::Cell;

/// Bytes of native stack kept free below the deepest WebAssembly frame, for
/// what runs there: host functions, the runtime's builtins, the signal
/// handler of a trap (on the thread's stack when it has no alternate one).
pub const HOST_RESERVE: usize = 128 << 10;

thread_local! {
    /// This thread's stack as `(lowest, highest)` address; `(0, 0)` before
    /// it is asked, `(1, 1)` when the platform does not tell.
    static BOUNDS: Cell<(usize, usize)> = const { Cell::new((0, 0)) };
}

/// This thread's stack as `(lowest, highest)` address, when the platform
/// tells. The first call on a thread asks the platform (which may read
/// `/proc`); later calls read a thread-local copy, and so does a signal
/// handler through [`cached_bounds`].
pub fn bounds() -> Option<(usize, usize)> {
    let (lo, hi) = BOUNDS.with(Cell::get);
    if lo == 0 {
        let found = sys::query().unwrap_or((1, 1));
        BOUNDS.with(|b| b.set(found));
        return bounds();
    }
    (lo != 1).then_some((lo, hi))
}

/// The bounds [`bounds`] found on this thread, without asking the platform:
/// what a signal handler may call.
pub fn cached_bounds() -> Option<(usize, usize)> {
    let (lo, hi) = BOUNDS.with(Cell::get);
    (lo > 1).then_some((lo, hi))
}

/// The current stack pointer, near enough: the address of a local.
#[inline(always)]
pub fn approximate_sp() -> usize {
    let marker = 0u8;
    std::hint::black_box(&marker) as *const u8 as usize
}

/// The lowest address WebAssembly code entered here may push to: `max`
/// bytes below the current stack pointer, but no lower than the thread's
/// stack end plus [`HOST_RESERVE`]. When no room is left at all, the current
/// stack pointer itself, so that the first frame traps.
pub fn wasm_limit(max: usize) -> usize {
    let sp = approximate_sp();
    let mut limit = sp.saturating_sub(max);
    if let Some((lo, _)) = bounds() {
        limit = limit.max(lo.saturating_add(HOST_RESERVE));
    }
    limit.min(sp)
}

/// Whether the stack has at least [`HOST_RESERVE`] bytes left below the
/// current stack pointer (always, when its bounds are unknown).
pub fn has_room() -> bool {
    match bounds() {
        Some((lo, _)) => approximate_sp().saturating_sub(lo) >= HOST_RESERVE,
        None => true,
    }
}

#[cfg(target_os = "linux")]
mod sys {
    /// The calling thread's stack, from `pthread_getattr_np`.
    pub(super) fn query() -> Option<(usize, usize)> {
        // SAFETY: `attr` is initialized by pthread_getattr_np before it is
        // read and destroyed once; the out-pointers are valid locals.
        unsafe {
            let mut attr: libc::pthread_attr_t = std::mem::zeroed();
            if libc::pthread_getattr_np(libc::pthread_self(), &mut attr) != 0 {
                return None;
            }
            let mut addr: *mut libc::c_void = std::ptr::null_mut();
            let mut size: libc::size_t = 0;
            let status = libc::pthread_attr_getstack(&attr, &mut addr, &mut size);
            libc::pthread_attr_destroy(&mut attr);
            let lo = addr as usize;
            (status == 0 && lo > 1 && size > 0).then(|| (lo, lo.saturating_add(size)))
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod sys {
    /// Not known on this platform.
    pub(super) fn query() -> Option<(usize, usize)> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stack_holds_this_frame() {
        let sp = approximate_sp();
        if let Some((lo, hi)) = bounds() {
            assert!(lo < sp && sp < hi, "{lo:#x} < {sp:#x} < {hi:#x}");
            assert_eq!(cached_bounds(), Some((lo, hi)));
        }
        assert!(has_room());
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn a_small_thread_limits_wasm_to_its_own_stack() {
        let limit = std::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn(|| {
                let (lo, hi) = bounds().expect("Linux tells a thread's stack");
                assert!(hi - lo >= 256 << 10);
                let limit = wasm_limit(1 << 30);
                assert_eq!(limit, lo + HOST_RESERVE);
                assert!(has_room());
                limit
            })
            .unwrap()
            .join()
            .unwrap();
        assert!(limit > 0);
    }
}
