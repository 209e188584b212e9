//! Traps in generated code: the registry of code ranges, the signal handlers
//! that turn a fault in generated code into a Wasm trap, and the entry point
//! that makes such a trap return control to the embedder.
//!
//! Entering generated code goes through the platform's `enter` (in
//! [`crate::sys`]), which saves the caller's callee-saved registers, stack
//! pointer and return address.
//! When an instruction of generated code traps (`ud2` for an explicit trap,
//! a fault in a memory's guard region), the signal handler finds the code
//! range, records the trap kind, and rewrites the interrupted context so that
//! it resumes as if `enter` had returned 1. A fault anywhere else goes on to
//! the handler that was installed before Skiff's.

use crate::registry;
use crate::sys::{JmpBuf, enter, install_handlers, resume};
use cranelift_codegen::ir::TrapCode;
use skiff_vm::runtime::{Trap, TrapKind, stack};
use std::cell::{Cell, RefCell};

/// The trap raised by a builtin: the Trap itself is pending in `PENDING`.
pub const TRAP_PENDING: TrapCode = TrapCode::unwrap_user(2);
/// `unreachable`.
pub const TRAP_UNREACHABLE: TrapCode = TrapCode::unwrap_user(1);
/// Fuel ran out.
pub const TRAP_OUT_OF_FUEL: TrapCode = TrapCode::unwrap_user(3);
/// The epoch deadline was reached.
pub const TRAP_INTERRUPTED: TrapCode = TrapCode::unwrap_user(4);
/// `ref.as_non_null` of null.
pub const TRAP_NULL_REFERENCE: TrapCode = TrapCode::unwrap_user(5);

/// The Wasm trap a Cranelift trap code stands for.
pub fn kind_of(code: TrapCode) -> TrapKind {
    match code {
        TrapCode::STACK_OVERFLOW => TrapKind::StackExhausted,
        TrapCode::INTEGER_OVERFLOW => TrapKind::IntegerOverflow,
        TrapCode::HEAP_OUT_OF_BOUNDS => TrapKind::MemoryOutOfBounds,
        TrapCode::INTEGER_DIVISION_BY_ZERO => TrapKind::IntegerDivisionByZero,
        TrapCode::BAD_CONVERSION_TO_INTEGER => TrapKind::InvalidConversionToInteger,
        TRAP_UNREACHABLE => TrapKind::Unreachable,
        TRAP_OUT_OF_FUEL => TrapKind::OutOfFuel,
        TRAP_INTERRUPTED => TrapKind::Interrupted,
        TRAP_NULL_REFERENCE => TrapKind::NullReference,
        // A pending trap; the kind is replaced by the pending one.
        _ => TrapKind::Host,
    }
}

thread_local! {
    /// The innermost active entry's saved registers, or null.
    static CURRENT: Cell<*mut JmpBuf> = const { Cell::new(std::ptr::null_mut()) };
    /// The kind of the trap that unwound the innermost entry.
    static TRAPPED: Cell<Option<TrapKind>> = const { Cell::new(None) };
    /// A trap raised by a builtin, waiting for generated code to unwind.
    static PENDING: RefCell<Option<Trap>> = const { RefCell::new(None) };
    /// The lowest stack address generated code may use on this thread, or 0.
    static STACK_LIMIT: Cell<usize> = const { Cell::new(0) };
    /// Program counters of the trapping frames, innermost first, and their count.
    static TRAP_PCS: Cell<([usize; MAX_FRAMES], usize)> = const { Cell::new(([0; MAX_FRAMES], 0)) };
}

/// How many frames a trap's backtrace keeps.
const MAX_FRAMES: usize = 64;

/// How far below the thread's stack a fault still means that the stack ran
/// out: Linux keeps a gap of 256 pages under a growing stack, and a thread's
/// guard region is smaller.
const STACK_GUARD_SPAN: usize = 1 << 20;

/// Records a trap raised by a builtin; generated code then traps with
/// [`TRAP_PENDING`] and the entry returns it.
pub fn set_pending(trap: Trap) {
    PENDING.with(|p| *p.borrow_mut() = Some(trap));
}

/// Raises `trap` from a builtin called by generated code: the innermost
/// entry returns it at once, as if a trapping instruction had faulted,
/// without the signal (what an exception thrown out of generated code
/// does). No backtrace is recorded.
///
/// # Safety
/// The caller must be a builtin called directly by generated code entered
/// through [`call`] on this thread, whose frame owns nothing (nothing runs
/// when it is left).
pub unsafe fn raise(trap: Trap) -> ! {
    let buf = CURRENT.with(|c| c.get());
    assert!(!buf.is_null(), "raise outside generated code");
    set_pending(trap);
    TRAPPED.with(|t| t.set(Some(TrapKind::Host)));
    TRAP_PCS.with(|p| p.set(([0; MAX_FRAMES], 0)));
    // SAFETY: `buf` is the active entry's, alive on its frame below this
    // one; the frames between are generated code's and the caller's, which
    // own nothing.
    unsafe { resume(buf) }
}

/// Calls `tramp(vmctx, args, callee)` in generated code, catching traps.
///
/// # Safety
/// `tramp` must be an array-call trampoline of generated code, `callee` the
/// code of a function of the trampoline's type, `vmctx` the context block
/// it expects, `args` large enough for its parameters and results, and
/// `limit_slot` the context block's stack limit.
///
/// The outermost entry on a thread sets the lowest stack address generated
/// code may use: `max_stack` bytes below here, but never into the last
/// [`stack::HOST_RESERVE`] bytes of the thread's real stack, which stay for
/// the host functions and builtins deep frames call. Entries nested in it
/// (a host function calling back into WebAssembly) keep that limit.
pub unsafe fn call(
    (tramp, callee): (*const u8, *const u8),
    vmctx: *mut u8,
    args: *mut u64,
    limit_slot: *mut usize,
    max_stack: usize,
) -> Result<(), Trap> {
    install_handlers();
    let mut buf = JmpBuf::default();
    let previous = CURRENT.with(|c| c.replace(&mut buf));
    let outermost = STACK_LIMIT.with(|l| l.get()) == 0;
    if outermost {
        STACK_LIMIT.with(|l| l.set(stack::wasm_limit(max_stack).max(1)));
    }
    // SAFETY: the caller passes the context block's stack limit field.
    unsafe { *limit_slot = STACK_LIMIT.with(|l| l.get()) };
    // SAFETY: the caller vouches for `tramp`, `vmctx` and `args`; `buf` lives
    // on this frame until `enter` returns, normally or through the handler.
    let trapped = unsafe { enter(&mut buf, tramp, vmctx, args, callee) };
    CURRENT.with(|c| c.set(previous));
    if outermost {
        STACK_LIMIT.with(|l| l.set(0));
    }
    if trapped == 0 {
        return Ok(());
    }
    Err(unwound())
}

/// The trap that unwound the innermost entry, with its frames. Out of line,
/// so that the frame of [`call`], which nested entries stack up, stays small.
#[cold]
#[inline(never)]
fn unwound() -> Trap {
    let kind = TRAPPED.with(|t| t.take()).unwrap_or(TrapKind::Host);
    let pending = PENDING.with(|p| p.borrow_mut().take());
    let mut trap = match (kind, pending) {
        (TrapKind::Host, Some(trap)) => trap,
        (kind, _) => Trap::new(kind),
    };
    let (pcs, n) = TRAP_PCS.with(|p| p.replace(([0; MAX_FRAMES], 0)));
    for frame in registry::frames(&pcs[..n]) {
        trap.push_frame(frame);
    }
    trap
}

/// What the signal handler asks of a fault at `pc` (frame pointer `fp`;
/// for a memory fault, at address `addr`): when it is a trap of generated
/// code entered through [`call`] on this thread, records the trap and its
/// frames and returns the entry's saved registers to resume at; `None` for
/// any other fault. Lock-free and allocation-free.
///
/// A memory fault of generated code is an out-of-bounds access, unless it
/// lies in this thread's stack or the guard below it: then a frame too large
/// for the stack check to catch ran past the stack's end.
pub(crate) fn on_fault(
    pc: usize,
    fp: usize,
    memory_fault: bool,
    addr: usize,
) -> Option<*const JmpBuf> {
    let buf = CURRENT.with(|c| c.get());
    if buf.is_null() {
        return None;
    }
    let mut kind = registry::trap_at(pc, memory_fault)?;
    if memory_fault
        && let Some((lo, hi)) = stack::cached_bounds()
        && addr >= lo.saturating_sub(STACK_GUARD_SPAN)
        && addr < hi
    {
        kind = TrapKind::StackExhausted;
    }
    TRAPPED.with(|t| t.set(Some(kind)));
    record_frames(pc, fp);
    Some(buf)
}

/// Records the trapping PC and the return addresses of the generated-code
/// frames above it, following the frame pointers generated code keeps.
fn record_frames(pc: usize, fp: usize) {
    let mut pcs = [0usize; MAX_FRAMES];
    pcs[0] = pc;
    let n = registry::walk_frames(&mut pcs, fp);
    TRAP_PCS.with(|p| p.set((pcs, n)));
}
