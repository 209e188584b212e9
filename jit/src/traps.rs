//! Traps in generated code: the registry of code ranges, the signal handlers
//! that turn a fault in generated code into a Wasm trap, and the entry point
//! that makes such a trap return control to the embedder.
//!
//! Entering generated code goes through `enter`, which saves the caller's
//! callee-saved registers, stack pointer and return address in a [`JmpBuf`].
//! When an instruction of generated code traps (`ud2` for an explicit trap,
//! a fault in a memory's guard region), the signal handler finds the code
//! range, records the trap kind, and rewrites the interrupted context so that
//! it resumes as if `enter` had returned 1. A fault anywhere else goes on to
//! the handler that was installed before Skiff's.

use crate::registry;
use cranelift_codegen::ir::TrapCode;
use skiff_vm::runtime::{Trap, TrapKind};
use std::cell::{Cell, RefCell};
use std::sync::{Once, OnceLock};

/// The trap raised by a builtin: the Trap itself is pending in `PENDING`.
pub const TRAP_PENDING: TrapCode = TrapCode::unwrap_user(2);
/// `unreachable`.
pub const TRAP_UNREACHABLE: TrapCode = TrapCode::unwrap_user(1);

/// The Wasm trap a Cranelift trap code stands for.
pub fn kind_of(code: TrapCode) -> TrapKind {
    match code {
        TrapCode::STACK_OVERFLOW => TrapKind::StackExhausted,
        TrapCode::INTEGER_OVERFLOW => TrapKind::IntegerOverflow,
        TrapCode::HEAP_OUT_OF_BOUNDS => TrapKind::MemoryOutOfBounds,
        TrapCode::INTEGER_DIVISION_BY_ZERO => TrapKind::IntegerDivisionByZero,
        TrapCode::BAD_CONVERSION_TO_INTEGER => TrapKind::InvalidConversionToInteger,
        TRAP_UNREACHABLE => TrapKind::Unreachable,
        // A pending trap; the kind is replaced by the pending one.
        _ => TrapKind::Host,
    }
}

/// Registers saved by `enter`, restored when generated code traps.
#[repr(C)]
#[derive(Default, Debug)]
pub struct JmpBuf {
    rbx: usize,
    rbp: usize,
    r12: usize,
    r13: usize,
    r14: usize,
    r15: usize,
    rsp: usize,
    rip: usize,
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

/// How much native stack WebAssembly code may use below the outermost entry.
const WASM_STACK: usize = 512 << 10;

/// Records a trap raised by a builtin; generated code then traps with
/// [`TRAP_PENDING`] and the entry returns it.
pub fn set_pending(trap: Trap) {
    PENDING.with(|p| *p.borrow_mut() = Some(trap));
}

/// Calls `tramp(vmctx, args)` in generated code, catching traps.
///
/// # Safety
/// `tramp` must be an array-call trampoline of generated code, `vmctx` the
/// context block it expects, `args` large enough for its parameters and
/// results, and `limit_slot` the context block's stack limit.
pub unsafe fn call(
    tramp: *const u8,
    vmctx: *mut u8,
    args: *mut u64,
    limit_slot: *mut usize,
) -> Result<(), Trap> {
    install_handlers();
    let mut buf = JmpBuf::default();
    let previous = CURRENT.with(|c| c.replace(&mut buf));
    let outermost = STACK_LIMIT.with(|l| l.get()) == 0;
    if outermost {
        let here = &buf as *const JmpBuf as usize;
        STACK_LIMIT.with(|l| l.set(here.saturating_sub(WASM_STACK)));
    }
    // SAFETY: the caller passes the context block's stack limit field.
    unsafe { *limit_slot = STACK_LIMIT.with(|l| l.get()) };
    // SAFETY: the caller vouches for `tramp`, `vmctx` and `args`; `buf` lives
    // on this frame until `enter` returns, normally or through the handler.
    let trapped = unsafe { enter(&mut buf, tramp, vmctx, args) };
    CURRENT.with(|c| c.set(previous));
    if outermost {
        STACK_LIMIT.with(|l| l.set(0));
    }
    if trapped == 0 {
        return Ok(());
    }
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
    Err(trap)
}

/// Saves the callee-saved registers, stack pointer and return address in
/// `buf`, then calls `tramp(vmctx, args)`. Returns 0; returns 1 when the
/// signal handler unwinds a trap to it.
#[cfg(target_arch = "x86_64")]
#[unsafe(naked)]
unsafe extern "C" fn enter(
    buf: *mut JmpBuf,
    tramp: *const u8,
    vmctx: *mut u8,
    args: *mut u64,
) -> u32 {
    core::arch::naked_asm!(
        "mov [rdi], rbx",
        "mov [rdi + 8], rbp",
        "mov [rdi + 16], r12",
        "mov [rdi + 24], r13",
        "mov [rdi + 32], r14",
        "mov [rdi + 40], r15",
        "lea rax, [rsp + 8]",
        "mov [rdi + 48], rax",
        "mov rax, [rsp]",
        "mov [rdi + 56], rax",
        "sub rsp, 8",
        "mov rax, rsi",
        "mov rdi, rdx",
        "mov rsi, rcx",
        "call rax",
        "add rsp, 8",
        "xor eax, eax",
        "ret",
    )
}

/// Handlers that were installed before Skiff's, by signal.
static PREVIOUS: OnceLock<Vec<(libc::c_int, libc::sigaction)>> = OnceLock::new();

const SIGNALS: [libc::c_int; 4] = [libc::SIGSEGV, libc::SIGBUS, libc::SIGILL, libc::SIGFPE];

/// Installs Skiff's handlers once per process.
pub fn install_handlers() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let mut previous = Vec::new();
        for sig in SIGNALS {
            // SAFETY: a zeroed sigaction is a valid value to fill in; we pass
            // valid pointers to sigemptyset and sigaction.
            unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = handler as *const () as usize;
                action.sa_flags = libc::SA_SIGINFO | libc::SA_NODEFER | libc::SA_ONSTACK;
                libc::sigemptyset(&mut action.sa_mask);
                let mut old: libc::sigaction = std::mem::zeroed();
                if libc::sigaction(sig, &action, &mut old) == 0 {
                    previous.push((sig, old));
                }
            }
        }
        let _ = PREVIOUS.set(previous);
    });
}

extern "C" fn handler(sig: libc::c_int, info: *mut libc::siginfo_t, context: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid ucontext for SA_SIGINFO handlers.
    let uc = unsafe { &mut *(context as *mut libc::ucontext_t) };
    let gregs = &mut uc.uc_mcontext.gregs;
    let pc = gregs[libc::REG_RIP as usize] as usize;
    let buf = CURRENT.with(|c| c.get());
    let memory_fault = sig == libc::SIGSEGV || sig == libc::SIGBUS;
    if !buf.is_null()
        && let Some(kind) = registry::trap_at(pc, memory_fault)
    {
        TRAPPED.with(|t| t.set(Some(kind)));
        record_frames(pc, gregs[libc::REG_RBP as usize] as usize);
        // SAFETY: `buf` is the active entry's JmpBuf, alive on its frame.
        let buf = unsafe { &*buf };
        gregs[libc::REG_RBX as usize] = buf.rbx as i64;
        gregs[libc::REG_RBP as usize] = buf.rbp as i64;
        gregs[libc::REG_R12 as usize] = buf.r12 as i64;
        gregs[libc::REG_R13 as usize] = buf.r13 as i64;
        gregs[libc::REG_R14 as usize] = buf.r14 as i64;
        gregs[libc::REG_R15 as usize] = buf.r15 as i64;
        gregs[libc::REG_RSP as usize] = buf.rsp as i64;
        gregs[libc::REG_RIP as usize] = buf.rip as i64;
        gregs[libc::REG_RAX as usize] = 1;
        return;
    }
    forward(sig, info, context);
}

/// Records the trapping PC and the return addresses of the generated-code
/// frames above it, following the frame pointers generated code keeps.
fn record_frames(pc: usize, fp: usize) {
    let mut pcs = [0usize; MAX_FRAMES];
    pcs[0] = pc;
    let n = registry::walk_frames(&mut pcs, fp);
    TRAP_PCS.with(|p| p.set((pcs, n)));
}

/// Hands a fault that is not Skiff's to the handler installed before, or
/// restores the default action so that the faulting instruction, run again,
/// ends the process as it would have without Skiff.
fn forward(sig: libc::c_int, info: *mut libc::siginfo_t, context: *mut libc::c_void) {
    let previous = PREVIOUS
        .get()
        .and_then(|p| p.iter().find(|(s, _)| *s == sig).map(|(_, a)| *a));
    // SAFETY: we only call handlers the process installed, with the arguments
    // the kernel gave us, or reset the signal to its default action.
    unsafe {
        match previous {
            Some(old) if old.sa_sigaction != libc::SIG_DFL && old.sa_sigaction != libc::SIG_IGN => {
                if old.sa_flags & libc::SA_SIGINFO != 0 {
                    let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                        std::mem::transmute(old.sa_sigaction);
                    f(sig, info, context);
                } else {
                    let f: extern "C" fn(libc::c_int) = std::mem::transmute(old.sa_sigaction);
                    f(sig);
                }
            }
            _ => {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = libc::SIG_DFL;
                libc::sigaction(sig, &action, std::ptr::null_mut());
            }
        }
    }
}
