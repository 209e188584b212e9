//! x86-64 Linux: entering generated code, and the signal handlers that
//! turn a fault in it into a trap.

use crate::traps::on_fault;
use std::sync::{Once, OnceLock};

/// Registers saved by `enter`, restored when generated code traps.
#[repr(C)]
#[derive(Default, Debug)]
pub(crate) struct JmpBuf {
    rbx: usize,
    rbp: usize,
    r12: usize,
    r13: usize,
    r14: usize,
    r15: usize,
    rsp: usize,
    rip: usize,
}

/// Saves the callee-saved registers, stack pointer and return address in
/// `buf`, then calls `tramp(vmctx, args, callee)`. Returns 0; returns 1 when
/// the signal handler unwinds a trap to it.
#[unsafe(naked)]
pub(crate) unsafe extern "C" fn enter(
    buf: *mut JmpBuf,
    tramp: *const u8,
    vmctx: *mut u8,
    args: *mut u64,
    callee: *const u8,
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
        "mov rdx, r8",
        "call rax",
        "add rsp, 8",
        "xor eax, eax",
        "ret",
    )
}

/// Returns from the `enter` that saved `buf` with 1, as the signal handler
/// makes a trapping instruction do, without a signal: restores the saved
/// registers and jumps to the saved return address.
///
/// # Safety
/// `buf` must be the registers of an `enter` still active on this thread,
/// and every frame above it must be one that may be left without running
/// anything (generated code, and frames that own nothing).
#[unsafe(naked)]
pub(crate) unsafe extern "C" fn resume(buf: *const JmpBuf) -> ! {
    core::arch::naked_asm!(
        "mov rbx, [rdi]",
        "mov rbp, [rdi + 8]",
        "mov r12, [rdi + 16]",
        "mov r13, [rdi + 24]",
        "mov r14, [rdi + 32]",
        "mov r15, [rdi + 40]",
        "mov rsp, [rdi + 48]",
        "mov eax, 1",
        "jmp qword ptr [rdi + 56]",
    )
}

/// Handlers that were installed before Skiff's, by signal.
static PREVIOUS: OnceLock<Vec<(libc::c_int, libc::sigaction)>> = OnceLock::new();

const SIGNALS: [libc::c_int; 4] = [libc::SIGSEGV, libc::SIGBUS, libc::SIGILL, libc::SIGFPE];

/// Installs Skiff's handlers once per process.
pub(crate) fn install_handlers() {
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
    let fp = gregs[libc::REG_RBP as usize] as usize;
    let memory_fault = sig == libc::SIGSEGV || sig == libc::SIGBUS;
    let addr = if memory_fault {
        // SAFETY: the kernel passes a valid siginfo; for SIGSEGV and SIGBUS
        // it holds the faulting address.
        unsafe { (*info).si_addr() as usize }
    } else {
        0
    };
    if let Some(buf) = on_fault(pc, fp, memory_fault, addr) {
        // SAFETY: `on_fault` returns the active entry's JmpBuf, alive on its frame.
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
