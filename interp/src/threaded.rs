//! Threaded code: a handler per instruction.
//!
//! Every instruction that needs nothing but the frame's slots and memory 0
//! (arithmetic, comparisons, conversions, loads and stores, copies, constants,
//! jumps and branches, and the fused pairs of them) has a handler that runs it
//! and then calls the next instruction's handler in tail position. So do calls
//! and returns between functions of the running instance, which switch the
//! frame through the [`Machine`] they are lent. In optimized builds that call
//! is a jump: control passes from handler to handler by one indirect jump
//! each (a jump site per handler, so each is predicted on its own), with the
//! frame, memory 0's base and its length held in argument registers all along.
//!
//! The chain stops at an instruction that needs the store (calls leaving the
//! instance or the tier, globals, tables, `memory.init`, `data.drop`,
//! `memory.size` and `memory.grow`), or a call that must first grow the slots or that would go
//! too deep: its handler returns [`Stop::Slow`] and the executor's loop runs
//! it, then resumes the chain after it. A trap stops the chain with its kind,
//! before the trapping instruction changed anything.
//!
//! Rust does not promise tail calls. Optimized x86-64 builds turn each
//! handler's final call, which passes on the handler's own arguments and
//! returns the callee's result, into a jump; the test
//! `tail_calls_keep_the_stack_flat` in `tests/threaded.rs` runs a loop over
//! every kind of instruction 20,000 times (millions of handler runs) on a
//! small stack to hold that. Builds with debug assertions, which are not
//! optimized, return [`Stop::Continue`] after each instruction instead, and
//! [`run`] loops.

use crate::code::{FuncCode, Handler, Instr, Op, Slot, Stop, with_op_lists};
use crate::exec::Machine;
use crate::float;
use skiff_vm::runtime::TrapKind;

/// Where the chain stopped, and why.
type Exit = (*const Instr, Stop);

/// Runs threaded code from `ip` until an instruction needs the executor's
/// loop or traps; returns that instruction and the reason.
///
/// # Safety
/// `ip` points into `code.instrs`, which [`crate::translate`] produced (every
/// jump and branch target inside it); `regs` points to a frame of at least
/// `code.frame_size` slots; `mem..mem + len` is accessible memory; `m` is the
/// machine running `code` (its `func` and `fp` are `code`'s and `regs`'),
/// which nobody else touches until this returns.
#[inline(always)]
pub(crate) unsafe fn run(
    ip: *const Instr,
    regs: *mut u64,
    mem: *mut u8,
    len: usize,
    code: &FuncCode,
    m: *mut Machine,
) -> Exit {
    #[cfg(not(debug_assertions))]
    {
        // SAFETY: the caller's guarantees are the handlers' preconditions.
        unsafe { ((*ip).handler)(ip, regs, mem, len, code, m) }
    }
    #[cfg(debug_assertions)]
    {
        let (mut ip, mut regs, mut code) = (ip, regs, code);
        loop {
            // SAFETY: as above.
            let (at, stop) = unsafe { ((*ip).handler)(ip, regs, mem, len, code, m) };
            if stop != Stop::Continue {
                return (at, stop);
            }
            // `at` is an instruction of the function running now, which a
            // call or return may have changed.
            // SAFETY: `m` is the machine running this code, and `func` and
            // `fp` name the running function and its frame.
            unsafe {
                let machine = &mut *m;
                code = &*(machine.cur.translated(machine.func) as *const FuncCode);
                regs = machine.slots.as_mut_ptr().add(machine.fp);
            }
            ip = at;
        }
    }
}

/// Continues with instruction `$ip`: a tail call of its handler, or, without
/// optimization, a return to [`run`]'s loop.
macro_rules! next {
    ($ip:expr, $regs:expr, $mem:ident, $len:ident, $code:expr, $m:ident) => {{
        let ip: *const Instr = $ip;
        #[cfg(not(debug_assertions))]
        // SAFETY: `ip` is an instruction of `$code` (the next one, a checked
        // jump target, a callee's entry or a return address), `$regs` its
        // frame, so the handler's preconditions still hold.
        return unsafe { ((*ip).handler)(ip, $regs, $mem, $len, $code, $m) };
        #[cfg(debug_assertions)]
        {
            // Debug builds return to the loop after every instruction.
            let _ = ($mem, $len, $m);
            return (ip, Stop::Continue);
        }
    }};
}

/// Continues with instruction `$ip` in code that meters fuel: a `Fuel` or
/// `Charge` there (where every run starts, so at jump targets, after
/// conditional jumps and at function entries) is run here, one dispatch
/// fewer, and the chain continues after it; anything else as [`next!`]. A jump continues so when
/// its handler's `FUEL` is set (by `metered_handler_of`).
macro_rules! next_metered {
    ($ip:expr, $regs:expr, $mem:ident, $len:ident, $code:expr, $m:ident) => {{
        let mut ip: *const Instr = $ip;
        // SAFETY: `ip` is an instruction of `$code`, as for `next!`, and `$m`
        // the machine running it (see `run`).
        if unsafe { run_fuel(ip, $m) } {
            // SAFETY: the code ends with `Return`, so it is not the last.
            ip = unsafe { ip.add(1) };
        }
        // With too little fuel left, the `Fuel`'s own handler stops the
        // chain. One call site, no other exit: it stays a tail call.
        next!(ip, $regs, $mem, $len, $code, $m)
    }};
}

/// With `$epoch`, stops with `Interrupted` at `$ip` when the engine's
/// epoch has reached the store's deadline: a jump back to a loop header,
/// or a call, checks in place of the header's or the callee's `CheckEpoch`.
macro_rules! interrupt_if {
    ($epoch:ident, $ip:ident, $m:ident) => {
        // SAFETY: `$m` is the machine running this code (see `run`).
        if $epoch && unsafe { deadline_reached($m) } {
            return ($ip, Stop::Interrupted);
        }
    };
}

/// Continues at `$ip` with [`next_metered!`] when `$fuel`, else [`next!`].
macro_rules! jump {
    ($fuel:ident, $ip:expr, $regs:expr, $mem:ident, $len:ident, $code:expr, $m:ident) => {{
        if $fuel {
            next_metered!($ip, $regs, $mem, $len, $code, $m)
        }
        next!($ip, $regs, $mem, $len, $code, $m)
    }};
}

/// Runs instruction `ip` when it is a `Charge`, or a `Fuel` that finds
/// enough fuel left; answers whether it did.
///
/// # Safety
/// `ip` points to an instruction, and `m` is the machine running the code
/// (see [`run`]).
#[inline(always)]
unsafe fn run_fuel(ip: *const Instr, m: *mut Machine) -> bool {
    // SAFETY: the caller's guarantees.
    match unsafe { (*ip).op } {
        Op::Fuel { amount } => unsafe { take_fuel(m, amount) },
        Op::Charge { amount } => {
            unsafe { charge(m, amount) };
            true
        }
        _ => false,
    }
}

/// Whether the engine's epoch has reached the store's deadline.
///
/// # Safety
/// As for [`take_fuel`]; the epoch counter is the engine's, which the store
/// keeps alive, and it is atomic.
#[inline(always)]
unsafe fn deadline_reached(m: *mut Machine) -> bool {
    // SAFETY: the caller's guarantee.
    let machine = unsafe { &*m };
    // SAFETY: as above.
    unsafe {
        (*machine.epoch).load(std::sync::atomic::Ordering::Relaxed) >= (*machine.meter).deadline
    }
}

/// Takes `amount` fuel from the store's meter, whatever is left.
///
/// # Safety
/// As for [`take_fuel`].
#[inline(always)]
unsafe fn charge(m: *mut Machine, amount: u32) {
    // SAFETY: the caller's guarantee.
    unsafe { (*(*m).meter).fuel -= i64::from(amount) };
}

/// Takes `amount` fuel from the store's meter; false, taking nothing, when
/// less is left.
///
/// # Safety
/// `m` is the machine running the code (see [`run`]): its meter is the
/// store's, which outlives the call, and only this thread uses it.
#[inline(always)]
unsafe fn take_fuel(m: *mut Machine, amount: u32) -> bool {
    // SAFETY: the caller's guarantee.
    let meter = unsafe { &mut *(*m).meter };
    if meter.fuel < i64::from(amount) {
        return false;
    }
    meter.fuel -= i64::from(amount);
    true
}

/// Defines a handler: `$name(pattern of its instruction) { body }`, the body
/// seeing `ip`, `regs`, `mem`, `len`, `code` and `m`. A handler may take
/// const parameters (`$name<const P: T>(...)`): flags of its instruction that
/// `handler_of` reads once, at translation, instead of every run.
macro_rules! handler {
    ($name:ident $(<$(const $g:ident: $gt:ty),*>)? ($pat:pat)
     $ip:ident $regs:ident $mem:ident $len:ident $code:ident $m:ident
     $body:block) => {
        #[allow(non_snake_case, unused_variables)]
        pub(crate) unsafe fn $name $(<$(const $g: $gt),*>)? (
            $ip: *const Instr,
            $regs: *mut u64,
            $mem: *mut u8,
            $len: usize,
            $code: &FuncCode,
            $m: *mut Machine,
        ) -> Exit {
            // SAFETY: `handler_of` gives this handler to this kind of
            // instruction only, and `ip` points to one (see `run`).
            let $pat = (unsafe { *$ip }).op else {
                unsafe { std::hint::unreachable_unchecked() }
            };
            $body
        }
    };
}

/// Slot `slot` of the frame.
///
/// # Safety
/// `slot` is below the frame size, as every slot translated code names is.
#[inline(always)]
unsafe fn get(regs: *mut u64, slot: Slot) -> u64 {
    // SAFETY: the caller's guarantee.
    unsafe { *regs.add(slot as usize) }
}

/// Sets slot `slot` of the frame.
///
/// # Safety
/// As for [`get`].
#[inline(always)]
unsafe fn set(regs: *mut u64, slot: Slot, v: u64) {
    // SAFETY: the caller's guarantee.
    unsafe { *regs.add(slot as usize) = v }
}

/// Instruction `target` of `code`.
///
/// # Safety
/// `target` is a jump or branch target of `code`, which `translate` checked.
#[inline(always)]
unsafe fn at(code: &FuncCode, target: u32) -> *const Instr {
    debug_assert!((target as usize) < code.instrs.len());
    // SAFETY: the caller's guarantee.
    unsafe { code.instrs.as_ptr().add(target as usize) }
}

/// The `N` bytes of memory at `ea`, or `None` past the accessible length.
#[inline(always)]
fn load<const N: usize>(mem: *mut u8, len: usize, ea: usize) -> Option<[u8; N]> {
    if ea + N > len {
        return None;
    }
    // SAFETY: `ea + N <= len`, and `mem..mem + len` is accessible (see `run`).
    Some(unsafe { std::ptr::read_unaligned(mem.add(ea) as *const [u8; N]) })
}

/// The `K` of an indexed load's handler that reads its shift from the
/// instruction; the frequent shifts (4- and 8-byte elements) are constants of
/// their own handlers.
const ANY_SHIFT: u8 = u8::MAX;

/// The effective address of an access at `addr` + `offset`, the sum wrapping
/// at 2^32 when `wrap` (the `*At` forms, whose offset is an added constant).
#[inline(always)]
fn effective(addr: u32, offset: u32, wrap: bool) -> usize {
    let ea = u64::from(addr) + u64::from(offset);
    (ea & (u64::MAX >> (32 * u32::from(wrap)))) as usize
}

/// Writes `bytes` to memory at `ea`; `false` past the accessible length.
#[inline(always)]
fn store<const N: usize>(mem: *mut u8, len: usize, ea: usize, bytes: [u8; N]) -> bool {
    if ea + N > len {
        return false;
    }
    // SAFETY: as for `load`.
    unsafe { std::ptr::write_unaligned(mem.add(ea) as *mut [u8; N], bytes) };
    true
}

#[inline(always)]
fn i32_(x: u64) -> i32 {
    x as u32 as i32
}
#[inline(always)]
fn u32_(x: u64) -> u32 {
    x as u32
}
#[inline(always)]
fn i64_(x: u64) -> i64 {
    x as i64
}
#[inline(always)]
fn u64_(x: u64) -> u64 {
    x
}
#[inline(always)]
fn f32_(x: u64) -> f32 {
    f32::from_bits(x as u32)
}
#[inline(always)]
fn f64_(x: u64) -> f64 {
    f64::from_bits(x)
}
#[inline(always)]
fn from_i32(v: i32) -> u64 {
    v as u32 as u64
}
#[inline(always)]
fn from_u32(v: u32) -> u64 {
    v as u64
}
#[inline(always)]
fn from_i64(v: i64) -> u64 {
    v as u64
}
#[inline(always)]
fn from_u64(v: u64) -> u64 {
    v
}
#[inline(always)]
fn from_f32(v: f32) -> u64 {
    v.to_bits() as u64
}
#[inline(always)]
fn from_f64(v: f64) -> u64 {
    v.to_bits()
}
#[inline(always)]
fn from_bool(v: bool) -> u64 {
    v as u64
}

/// Handlers of `dst = f(src)`: `Name: reader -> writer, f;`.
macro_rules! unary {
    ($($name:ident: $get:ident -> $put:ident, $f:expr;)*) => {$(
        handler!($name(Op::$name { dst, src }) ip regs mem len code m {
            // SAFETY: slots of translated code are in the frame.
            unsafe { set(regs, dst, $put(($f)($get(get(regs, src))))) };
            // SAFETY: the code ends with `Return`, so `ip` is not the last.
            next!(unsafe { ip.add(1) }, regs, mem, len, code, m)
        });
    )*};
}

/// Handlers of `dst = f(src)` where `f` may trap: `f` returns a `Result`.
macro_rules! try_unary {
    ($($name:ident: $get:ident -> $put:ident, $f:expr;)*) => {$(
        handler!($name(Op::$name { dst, src }) ip regs mem len code m {
            // SAFETY: slots of translated code are in the frame.
            match ($f)($get(unsafe { get(regs, src) })) {
                Ok(v) => unsafe { set(regs, dst, $put(v)) },
                Err(kind) => return (ip, Stop::of(kind)),
            }
            // SAFETY: the code ends with `Return`, so `ip` is not the last.
            next!(unsafe { ip.add(1) }, regs, mem, len, code, m)
        });
    )*};
}

/// Handlers of `dst = f(a, b)`, and the same operations on raw slot values
/// in module `eval`, for the fused instructions.
macro_rules! binary {
    ($($name:ident: $get:ident -> $put:ident, $f:expr;)*) => {
        $(
            handler!($name(Op::$name { dst, a, b }) ip regs mem len code m {
                // SAFETY: slots of translated code are in the frame.
                unsafe { set(regs, dst, eval::$name(get(regs, a), get(regs, b))) };
                // SAFETY: the code ends with `Return`, so `ip` is not the last.
                next!(unsafe { ip.add(1) }, regs, mem, len, code, m)
            });
        )*
        /// Each binary operation on raw slot values.
        #[allow(non_snake_case)]
        mod eval {
            use super::*;
            $(
                #[inline(always)]
                pub(super) fn $name(a: u64, b: u64) -> u64 {
                    $put(($f)($get(a), $get(b)))
                }
            )*
        }
    };
}

/// Handlers of `dst = f(a, b)` where `f` may trap: `f` returns a `Result`.
macro_rules! try_binary {
    ($($name:ident: $get:ident -> $put:ident, $f:expr;)*) => {$(
        handler!($name(Op::$name { dst, a, b }) ip regs mem len code m {
            // SAFETY: slots of translated code are in the frame.
            let (a, b) = unsafe { (get(regs, a), get(regs, b)) };
            match ($f)($get(a), $get(b)) {
                // SAFETY: as above.
                Ok(v) => unsafe { set(regs, dst, $put(v)) },
                Err(kind) => return (ip, Stop::of(kind)),
            }
            // SAFETY: the code ends with `Return`, so `ip` is not the last.
            next!(unsafe { ip.add(1) }, regs, mem, len, code, m)
        });
    )*};
}

/// Handlers of a load and of its `*At` variant: `Name / NameAt: bytes, decode;`,
/// and in module `load_value` each load as a function of the address.
macro_rules! loads {
    ($($name:ident / $name_at:ident: $n:literal, $decode:expr;)*) => {
        /// Each load: the slot value read at an effective address, or `None`
        /// out of bounds.
        #[allow(non_snake_case)]
        mod load_value {
            use super::*;
            $(
                #[inline(always)]
                pub(super) fn $name(mem: *mut u8, len: usize, ea: usize) -> Option<u64> {
                    load::<$n>(mem, len, ea).map($decode)
                }
            )*
        }
        $(
        handler!($name(Op::$name { dst, addr, offset }) ip regs mem len code m {
            // SAFETY: slots of translated code are in the frame.
            let ea = unsafe { get(regs, addr) } as u32 as usize + offset as usize;
            match load_value::$name(mem, len, ea) {
                // SAFETY: as above.
                Some(v) => unsafe { set(regs, dst, v) },
                None => return (ip, Stop::MemoryOutOfBounds),
            }
            // SAFETY: the code ends with `Return`, so `ip` is not the last.
            next!(unsafe { ip.add(1) }, regs, mem, len, code, m)
        });
        handler!($name_at(Op::$name_at { dst, addr, imm }) ip regs mem len code m {
            // SAFETY: slots of translated code are in the frame.
            let ea = (unsafe { get(regs, addr) } as u32).wrapping_add(imm) as usize;
            match load_value::$name(mem, len, ea) {
                // SAFETY: as above.
                Some(v) => unsafe { set(regs, dst, v) },
                None => return (ip, Stop::MemoryOutOfBounds),
            }
            // SAFETY: the code ends with `Return`, so `ip` is not the last.
            next!(unsafe { ip.add(1) }, regs, mem, len, code, m)
        });
    )*};
}

/// Handlers of a store and of its `*At` variant: `Name / NameAt: encode;`,
/// and in module `store_value` each store as a function of the address.
macro_rules! stores {
    ($($name:ident / $name_at:ident: $encode:expr;)*) => {
        /// Each store: writes a slot value at an effective address; `false`
        /// out of bounds.
        #[allow(non_snake_case)]
        mod store_value {
            use super::*;
            $(
                #[inline(always)]
                pub(super) fn $name(mem: *mut u8, len: usize, ea: usize, v: u64) -> bool {
                    store(mem, len, ea, ($encode)(v))
                }
            )*
        }
        $(
        handler!($name(Op::$name { addr, value, offset }) ip regs mem len code m {
            // SAFETY: slots of translated code are in the frame.
            let (ea, v) = unsafe { (get(regs, addr), get(regs, value)) };
            if !store_value::$name(mem, len, ea as u32 as usize + offset as usize, v) {
                return (ip, Stop::MemoryOutOfBounds);
            }
            // SAFETY: the code ends with `Return`, so `ip` is not the last.
            next!(unsafe { ip.add(1) }, regs, mem, len, code, m)
        });
        handler!($name_at(Op::$name_at { addr, value, imm }) ip regs mem len code m {
            // SAFETY: slots of translated code are in the frame.
            let (ea, v) = unsafe { (get(regs, addr), get(regs, value)) };
            if !store_value::$name(mem, len, (ea as u32).wrapping_add(imm) as usize, v) {
                return (ip, Stop::MemoryOutOfBounds);
            }
            // SAFETY: the code ends with `Return`, so `ip` is not the last.
            next!(unsafe { ip.add(1) }, regs, mem, len, code, m)
        });
    )*};
}

/// Takes the branch of the `Br`, `BrIf` or `BrTable` at `ip` when its label
/// carries values: a handler of its own, which the branch handlers tail-call,
/// so that they stay small for the common branch that carries nothing.
#[inline(never)]
unsafe fn branch_carrying(
    ip: *const Instr,
    regs: *mut u64,
    mem: *mut u8,
    len: usize,
    code: &FuncCode,
    m: *mut Machine,
) -> Exit {
    // SAFETY: `ip` is the branch instruction (see `run`), and slots of
    // translated code, the label's included, are in the frame.
    let entry = match unsafe { (*ip).op } {
        Op::Br { entry } | Op::BrIf { entry, .. } => entry,
        Op::BrTable { index, start, len } => {
            start + (unsafe { get(regs, index) } as u32).min(len - 1)
        }
        _ => unreachable!("not a branch"),
    };
    let to = code.branch_tables[entry as usize];
    for i in 0..to.keep {
        // SAFETY: as above.
        unsafe { set(regs, to.dst + i, get(regs, to.src + i)) };
    }
    // SAFETY: branch targets were checked by `translate`.
    next!(unsafe { at(code, to.target) }, regs, mem, len, code, m)
}

/// Takes branch table entry `$entry`: copies what the label carries, then jumps.
macro_rules! branch {
    ($fuel:ident, $entry:expr, $ip:ident, $regs:ident, $mem:ident, $len:ident, $code:ident, $m:ident) => {{
        let to = $code.branch_tables[$entry as usize];
        if to.keep != 0 {
            // SAFETY: the handler's own arguments, passed on.
            return unsafe { branch_carrying($ip, $regs, $mem, $len, $code, $m) };
        }
        // SAFETY: branch targets were checked by `translate`.
        jump!(
            $fuel,
            unsafe { at($code, to.target) },
            $regs,
            $mem,
            $len,
            $code,
            $m
        )
    }};
}

/// The handlers of the instructions the lists in `code` define (the fused
/// compare-and-jumps, loads, shifts, indexed loads and updates), and
/// `handler_of`, which maps every instruction to its handler.
macro_rules! list_handlers {
    (
        load { $($load:ident / $load_at:ident,)* }
        store { $($store:ident / $store_at:ident,)* }
        unary { $($unary:ident,)* }
        binary { $($binary:ident,)* }
        branch { $($rel:ident => $fused:ident ($get:ident $cmp:tt) / $neg:ident / $select:ident / $count:ident,)* }
        load_op { $($load_op:ident = $lo_load:ident + $lo_op:ident,)* }
        shift_op { $($shift_op:ident = $so_shift:ident + $so_op:ident,)* }
        index_load { $($index_load:ident = $il_load:ident / $il_load_at:ident,)* }
        update { $($update:ident = $up_op:ident ($up_load:ident + $up_arith:ident) -> $up_store:ident / $up_store_at:ident,)* }
    ) => {
        // The fused compare-and-jumps.
        $(
            handler!($fused<const FUEL: bool, const PRE: bool, const EPOCH: bool>(Op::$fused { a, b, target, pre }) ip regs mem len code m {
                if PRE {
                    // SAFETY: `m` is the machine running this code (see `run`).
                    unsafe { charge(m, pre.into()) };
                }
                // SAFETY: slots of translated code are in the frame.
                let holds = unsafe { $get(get(regs, a)) $cmp $get(get(regs, b)) };
                if holds {
                    // SAFETY: the code ends with `Return`, so `ip` is not the last.
                    jump!(FUEL, unsafe { ip.add(1) }, regs, mem, len, code, m)
                }
                interrupt_if!(EPOCH, ip, m);
                // SAFETY: jump targets were checked by `translate`.
                jump!(FUEL, unsafe { at(code, target) }, regs, mem, len, code, m)
            });
        )*
        // The comparisons fused with the `select` by their result.
        $(
            handler!($select(Op::$select { dst, a, b, x, y, cond }) ip regs mem len code m {
                // SAFETY: slots of translated code are in the frame.
                unsafe {
                    let holds = $get(get(regs, x.into())) $cmp $get(get(regs, y.into()));
                    // Both arms are read before the choice, so that the reads
                    // do not wait for the comparison; an arm that is `cond`
                    // itself reads the comparison's result, as in the pair.
                    let c = u64::from(holds);
                    let va = if a == cond { c } else { get(regs, a.into()) };
                    let vb = if b == cond { c } else { get(regs, b.into()) };
                    set(regs, cond.into(), c);
                    set(regs, dst.into(), if holds { va } else { vb });
                }
                // SAFETY: the code ends with `Return`, so `ip` is not the last.
                next!(unsafe { ip.add(1) }, regs, mem, len, code, m)
            });
        )*
        // The comparisons fused with the `i32.add` of their result.
        $(
            handler!($count(Op::$count { dst, acc, x, y }) ip regs mem len code m {
                // SAFETY: slots of translated code are in the frame.
                unsafe {
                    let holds = $get(get(regs, x.into())) $cmp $get(get(regs, y.into()));
                    set(regs, dst, eval::I32Add(get(regs, acc.into()), u64::from(holds)));
                }
                // SAFETY: the code ends with `Return`, so `ip` is not the last.
                next!(unsafe { ip.add(1) }, regs, mem, len, code, m)
            });
        )*
        // The loads fused with the binary instruction using their value.
        $(
            handler!($load_op<const WRAP: bool, const SWAP: bool>(Op::$load_op { dst, a, addr, offset, .. }) ip regs mem len code m {
                // SAFETY: slots of translated code are in the frame.
                let (x, addr) = unsafe { (get(regs, a.into()), get(regs, addr.into())) };
                let ea = effective(addr as u32, offset, WRAP);
                let Some(y) = load_value::$lo_load(mem, len, ea) else {
                    return (ip, Stop::MemoryOutOfBounds);
                };
                let (l, r) = if SWAP { (y, x) } else { (x, y) };
                // SAFETY: as above.
                unsafe { set(regs, dst, eval::$lo_op(l, r)) };
                // SAFETY: the code ends with `Return`, so `ip` is not the last.
                next!(unsafe { ip.add(1) }, regs, mem, len, code, m)
            });
        )*
        // The shifts by a constant fused with the instruction using their value.
        $(
            handler!($shift_op(Op::$shift_op { dst, a, b, k }) ip regs mem len code m {
                // SAFETY: slots of translated code are in the frame.
                unsafe {
                    let shifted = eval::$so_shift(get(regs, b), k.into());
                    set(regs, dst, eval::$so_op(get(regs, a), shifted));
                }
                // SAFETY: the code ends with `Return`, so `ip` is not the last.
                next!(unsafe { ip.add(1) }, regs, mem, len, code, m)
            });
        )*
        // The loads of a computed address.
        $(
            handler!($index_load<const WRAP: bool, const K: u8>(Op::$index_load { dst, base, index, k, offset, .. }) ip regs mem len code m {
                // SAFETY: slots of translated code are in the frame.
                let (b, i) = unsafe { (get(regs, base.into()), get(regs, index.into())) };
                let k = if K == ANY_SHIFT { k } else { K };
                let addr = (b as u32).wrapping_add((i as u32).wrapping_shl(k.into()));
                match load_value::$il_load(mem, len, effective(addr, offset, WRAP)) {
                    // SAFETY: as above.
                    Some(v) => unsafe { set(regs, dst, v) },
                    None => return (ip, Stop::MemoryOutOfBounds),
                }
                // SAFETY: the code ends with `Return`, so `ip` is not the last.
                next!(unsafe { ip.add(1) }, regs, mem, len, code, m)
            });
        )*
        // The fused updates of memory: load, arithmetic, store back.
        $(
            handler!($update<const WRAP: bool, const SWAP: bool>(Op::$update { a, addr, offset, .. }) ip regs mem len code m {
                // SAFETY: slots of translated code are in the frame.
                let (x, addr) = unsafe { (get(regs, a.into()), get(regs, addr.into())) };
                let ea = effective(addr as u32, offset, WRAP);
                let Some(y) = load_value::$up_load(mem, len, ea) else {
                    return (ip, Stop::MemoryOutOfBounds);
                };
                let (l, r) = if SWAP { (y, x) } else { (x, y) };
                // In bounds: the load just read the same bytes.
                store_value::$up_store(mem, len, ea, eval::$up_arith(l, r));
                // SAFETY: the code ends with `Return`, so `ip` is not the last.
                next!(unsafe { ip.add(1) }, regs, mem, len, code, m)
            });
        )*
        /// The handler that runs `op`.
        pub(crate) fn handler_of(op: &Op) -> Handler {
            match op {
                $(Op::$load { .. } => $load as Handler,)*
                $(Op::$load_at { .. } => $load_at as Handler,)*
                $(Op::$store { .. } => $store as Handler,)*
                $(Op::$store_at { .. } => $store_at as Handler,)*
                $(Op::$unary { .. } => $unary as Handler,)*
                $(Op::$binary { .. } => $binary as Handler,)*
                $(Op::$fused { .. } => $fused::<false, false, false> as Handler,)*
                $(Op::$select { .. } => $select as Handler,)*
                $(Op::$count { .. } => $count as Handler,)*
                $(&Op::$load_op { wrap, swap, .. } => match (wrap, swap) {
                    (false, false) => $load_op::<false, false> as Handler,
                    (false, true) => $load_op::<false, true>,
                    (true, false) => $load_op::<true, false>,
                    (true, true) => $load_op::<true, true>,
                },)*
                $(Op::$shift_op { .. } => $shift_op as Handler,)*
                $(&Op::$index_load { wrap, k, .. } => match (wrap, k) {
                    (false, 2) => $index_load::<false, 2> as Handler,
                    (false, 3) => $index_load::<false, 3>,
                    (false, _) => $index_load::<false, ANY_SHIFT>,
                    (true, 2) => $index_load::<true, 2>,
                    (true, 3) => $index_load::<true, 3>,
                    (true, _) => $index_load::<true, ANY_SHIFT>,
                },)*
                $(&Op::$update { wrap, swap, .. } => match (wrap, swap) {
                    (false, false) => $update::<false, false> as Handler,
                    (false, true) => $update::<false, true>,
                    (true, false) => $update::<true, false>,
                    (true, true) => $update::<true, true>,
                },)*
                Op::Unreachable => Unreachable,
                Op::Jump { .. } => Jump::<false, false>,
                Op::JumpIf { .. } => JumpIf::<false, false>,
                Op::JumpIfZero { .. } => JumpIfZero::<false, false>,
                Op::Br { .. } => Br::<false, false>,
                Op::BrIf { .. } => BrIf::<false, false>,
                Op::BrTable { .. } => BrTable::<false, false>,
                Op::Copy { .. } => Copy,
                Op::Copy2 { .. } => vector::Copy2,
                Op::Const { .. } => Const,
                Op::Select { .. } => Select,
                Op::SelectSmall { wide: false, .. } => SelectSmall::<false>,
                Op::SelectSmall { wide: true, .. } => SelectSmall::<true>,
                Op::I32AddImm { .. } => I32AddImm,
                Op::I32AddImm2 { .. } => I32AddImm2,
                Op::F64MulAdd { .. } => F64MulAdd,
                Op::I64MulAdd { .. } => I64MulAdd,
                Op::I64AddExtendU { .. } => I64AddExtendU,
                Op::RefIsNull { .. } => RefIsNull,
                Op::Call { .. } => Call::<false, false>,
                Op::Return { .. } => Return,
                Op::MemoryCopy { .. } => MemoryCopy,
                Op::MemoryFill { .. } => MemoryFill,
                Op::Address64 { .. } => Address64,
                Op::Fuel { .. } => Fuel,
                Op::Charge { .. } => Charge,
                Op::CheckEpoch => CheckEpoch,
                Op::VOp { op, .. } => vector::vop_handler(*op),
                Op::VLoad { op, .. } => vector::vload_handler(*op),
                Op::VStore { .. } => vector::VStore,
                Op::VOpLoad { op: vec_op, .. } | Op::VOpStore { op: vec_op, .. } => {
                    vector::fused_handler(op, *vec_op)
                }
                Op::VExtract { op, .. } => vector::extract_handler(*op),
                Op::VReplace { width, .. }
                | Op::VLoadLane { width, .. }
                | Op::VStoreLane { width, .. } => vector::lane_width_handler(op, *width),
                Op::VShuffle { .. } => vector::shuffle_handler(),
                Op::GlobalGet128 { .. } | Op::GlobalSet128 { .. } => slow,
                Op::CallIndirect { .. }
                | Op::ReturnCall { .. }
                | Op::ReturnCallIndirect { .. }
                | Op::CallRef { .. }
                | Op::ReturnCallRef { .. }
                | Op::RefAsNonNull { .. }
                | Op::GlobalGet { .. }
                | Op::GlobalSet { .. }
                | Op::MemorySize { .. }
                | Op::MemoryGrow { .. }
                | Op::MemoryInit { .. }
                | Op::UseMemory { .. }
                | Op::MemoryCopyAcross { .. }
                | Op::MemoryFillAt { .. }
                | Op::DataDrop { .. }
                | Op::TableInit { .. }
                | Op::ElemDrop { .. }
                | Op::TableCopy { .. }
                | Op::TableGet { .. }
                | Op::TableSet { .. }
                | Op::TableSize { .. }
                | Op::TableGrow { .. }
                | Op::TableFill { .. }
                | Op::RefFunc { .. }
                | Op::Throw { .. }
                | Op::ThrowRef { .. } => slow,
            }
        }

        /// The handler that runs `op` in code that meters fuel: a jump or a
        /// call runs the `Fuel` it lands on itself.
        pub(crate) fn metered_handler_of(op: &Op) -> Handler {
            match op {
                $(Op::$fused { pre: 0, .. } => $fused::<true, false, false> as Handler,)*
                $(Op::$fused { .. } => $fused::<true, true, false> as Handler,)*
                Op::Jump { .. } => Jump::<true, false>,
                Op::JumpIf { .. } => JumpIf::<true, false>,
                Op::JumpIfZero { .. } => JumpIfZero::<true, false>,
                Op::Br { .. } => Br::<true, false>,
                Op::BrIf { .. } => BrIf::<true, false>,
                Op::BrTable { .. } => BrTable::<true, false>,
                Op::Call { .. } => Call::<true, false>,
                op => handler_of(op),
            }
        }

        /// The handler that runs `op` in code that checks epochs but
        /// meters no fuel, for a jump or branch back to a loop header whose
        /// `CheckEpoch` [`crate::epochs`] removed, or a call landing past
        /// its callee's: it checks the epoch itself, one dispatch fewer.
        pub(crate) fn epoch_handler_of(op: &Op) -> Handler {
            match op {
                $(Op::$fused { .. } => $fused::<false, false, true> as Handler,)*
                Op::Jump { .. } => Jump::<false, true>,
                Op::JumpIf { .. } => JumpIf::<false, true>,
                Op::JumpIfZero { .. } => JumpIfZero::<false, true>,
                Op::Br { .. } => Br::<false, true>,
                Op::BrIf { .. } => BrIf::<false, true>,
                Op::BrTable { .. } => BrTable::<false, true>,
                Op::Call { .. } => Call::<false, true>,
                op => handler_of(op),
            }
        }
    };
}

with_op_lists!(list_handlers {});

mod vector;

pub(crate) use vector::fusible;

/// The handler of every instruction the executor's loop runs itself.
pub(crate) unsafe fn slow(
    ip: *const Instr,
    _regs: *mut u64,
    _mem: *mut u8,
    _len: usize,
    _code: &FuncCode,
    _m: *mut Machine,
) -> Exit {
    (ip, Stop::Slow)
}

handler!(Call<const FUEL: bool, const EPOCH: bool>(Op::Call { func, base }) ip regs mem len code m {
    // Before `machine` borrows the machine: the check reads it too.
    interrupt_if!(EPOCH, ip, m);
    // SAFETY: `m` is the machine running this code, and lent to it (see `run`).
    let machine = unsafe { &mut *m };
    let Some(callee) = func.checked_sub(machine.cur.num_imported_funcs) else {
        // An imported function: the executor's loop calls it.
        return (ip, Stop::Slow);
    };
    // SAFETY: `ip` is an instruction of `code`.
    let return_pc = unsafe { ip.offset_from(code.instrs.as_ptr()) } as usize + 1;
    match machine.call_within(callee, base, return_pc) {
        Some((callee, regs)) => {
            // SAFETY: the callee's code is in the running module, which stays.
            let callee = unsafe { &*callee };
            debug_assert!(!EPOCH || matches!(callee.instrs[0].op, Op::CheckEpoch));
            // With `EPOCH`, past the callee's `CheckEpoch`, done above (code
            // that checks epochs starts with one, and ends with `Return`).
            // SAFETY: the entry is in the code, and so is the next.
            let entry = unsafe { callee.instrs.as_ptr().add(usize::from(EPOCH)) };
            jump!(FUEL, entry, regs, mem, len, callee, m)
        }
        // Too deep, the slots must grow, the callee is not translated yet
        // or compiled code runs it: the executor's loop sees to it.
        None => (ip, Stop::Slow),
    }
});

handler!(Return(Op::Return { src }) ip regs mem len code m {
    // SAFETY: `m` is the machine running this code, and lent to it (see `run`).
    let machine = unsafe { &mut *m };
    match machine.return_within(code, src) {
        Some((caller, regs, pc)) => {
            // SAFETY: the caller's code is in the running module, which stays,
            // and `pc` follows its call, so it is one of its instructions.
            let caller = unsafe { &*caller };
            next!(unsafe { caller.instrs.as_ptr().add(pc) }, regs, mem, len, caller, m)
        }
        // Back to another instance or to the host: the executor's loop does it.
        None => (ip, Stop::Slow),
    }
});

/// The three `i32` operands of a bulk memory instruction, from slot `base` on.
///
/// # Safety
/// As for [`get`], for `base..base + 3`.
#[inline(always)]
pub(crate) unsafe fn three(regs: *mut u64, base: Slot) -> (usize, u64, usize) {
    // SAFETY: the caller's guarantee.
    unsafe {
        (
            get(regs, base) as u32 as usize,
            get(regs, base + 1),
            get(regs, base + 2) as u32 as usize,
        )
    }
}

handler!(MemoryCopy(Op::MemoryCopy { base }) ip regs mem len code m {
    // SAFETY: slots of translated code are in the frame.
    let (d, s, n) = unsafe { three(regs, base) };
    let s = s as u32 as usize;
    if s + n > len || d + n > len {
        return (ip, Stop::MemoryOutOfBounds);
    }
    // SAFETY: both ranges lie in memory 0's accessible bytes, checked just
    // above; `copy` allows them to overlap.
    unsafe { std::ptr::copy(mem.add(s), mem.add(d), n) };
    // SAFETY: the code ends with `Return`, so `ip` is not the last.
    next!(unsafe { ip.add(1) }, regs, mem, len, code, m)
});

handler!(Address64(Op::Address64 { dst, addr, offset }) ip regs mem len code m {
    // SAFETY: slots of translated code are in the frame.
    let a = unsafe { get(regs, addr) };
    match a.checked_add(offset.into()) {
        // SAFETY: as above.
        Some(ea) if ea < len as u64 => unsafe { set(regs, dst, ea) },
        _ => return (ip, Stop::MemoryOutOfBounds),
    }
    // SAFETY: the code ends with `Return`, so `ip` is not the last.
    next!(unsafe { ip.add(1) }, regs, mem, len, code, m)
});

handler!(MemoryFill(Op::MemoryFill { base }) ip regs mem len code m {
    // SAFETY: slots of translated code are in the frame.
    let (d, v, n) = unsafe { three(regs, base) };
    if d + n > len {
        return (ip, Stop::MemoryOutOfBounds);
    }
    // SAFETY: the range lies in memory 0's accessible bytes, checked above.
    unsafe { std::ptr::write_bytes(mem.add(d), v as u8, n) };
    // SAFETY: the code ends with `Return`, so `ip` is not the last.
    next!(unsafe { ip.add(1) }, regs, mem, len, code, m)
});

handler!(Fuel(Op::Fuel { amount }) ip regs mem len code m {
    // SAFETY: `m` is the machine running this code (see `run`).
    if !unsafe { take_fuel(m, amount) } {
        return (ip, Stop::OutOfFuel);
    }
    // SAFETY: the code ends with `Return`, so `ip` is not the last. A run
    // that is all blocks and loops (nothing of its own) may be followed by
    // the next run's `Fuel`, run here too.
    next_metered!(unsafe { ip.add(1) }, regs, mem, len, code, m)
});

handler!(Charge(Op::Charge { amount }) ip regs mem len code m {
    // SAFETY: `m` is the machine running this code (see `run`).
    unsafe { charge(m, amount) };
    // SAFETY: the code ends with `Return`, so `ip` is not the last. It may
    // be followed by the next run's `Fuel`, as after `Fuel`.
    next_metered!(unsafe { ip.add(1) }, regs, mem, len, code, m)
});

handler!(CheckEpoch(Op::CheckEpoch) ip regs mem len code m {
    interrupt_if!(true, ip, m);
    // SAFETY: the code ends with `Return`, so `ip` is not the last.
    next!(unsafe { ip.add(1) }, regs, mem, len, code, m)
});

handler!(Unreachable(Op::Unreachable) ip regs mem len code m {
    (ip, Stop::Unreachable)
});

handler!(Jump<const FUEL: bool, const EPOCH: bool>(Op::Jump { target }) ip regs mem len code m {
    interrupt_if!(EPOCH, ip, m);
    // SAFETY: jump targets were checked by `translate`.
    jump!(FUEL, unsafe { at(code, target) }, regs, mem, len, code, m)
});

handler!(JumpIf<const FUEL: bool, const EPOCH: bool>(Op::JumpIf { cond, target }) ip regs mem len code m {
    // SAFETY: slots of translated code are in the frame.
    if unsafe { get(regs, cond) } as u32 != 0 {
        interrupt_if!(EPOCH, ip, m);
        // SAFETY: jump targets were checked by `translate`.
        jump!(FUEL, unsafe { at(code, target) }, regs, mem, len, code, m)
    }
    // SAFETY: the code ends with `Return`, so `ip` is not the last.
    jump!(FUEL, unsafe { ip.add(1) }, regs, mem, len, code, m)
});

handler!(JumpIfZero<const FUEL: bool, const EPOCH: bool>(Op::JumpIfZero { cond, target }) ip regs mem len code m {
    // SAFETY: slots of translated code are in the frame.
    if unsafe { get(regs, cond) } as u32 == 0 {
        interrupt_if!(EPOCH, ip, m);
        // SAFETY: jump targets were checked by `translate`.
        jump!(FUEL, unsafe { at(code, target) }, regs, mem, len, code, m)
    }
    // SAFETY: the code ends with `Return`, so `ip` is not the last.
    jump!(FUEL, unsafe { ip.add(1) }, regs, mem, len, code, m)
});

handler!(Br<const FUEL: bool, const EPOCH: bool>(Op::Br { entry }) ip regs mem len code m {
    interrupt_if!(EPOCH, ip, m);
    branch!(FUEL, entry, ip, regs, mem, len, code, m)
});

handler!(BrIf<const FUEL: bool, const EPOCH: bool>(Op::BrIf { cond, entry }) ip regs mem len code m {
    // SAFETY: slots of translated code are in the frame.
    if unsafe { get(regs, cond) } as u32 != 0 {
        interrupt_if!(EPOCH, ip, m);
        branch!(FUEL, entry, ip, regs, mem, len, code, m)
    }
    // SAFETY: the code ends with `Return`, so `ip` is not the last.
    jump!(FUEL, unsafe { ip.add(1) }, regs, mem, len, code, m)
});

handler!(BrTable<const FUEL: bool, const EPOCH: bool>(Op::BrTable { index, start, len: n }) ip regs mem len code m {
    // SAFETY: slots of translated code are in the frame.
    let i = (unsafe { get(regs, index) } as u32).min(n - 1);
    interrupt_if!(EPOCH, ip, m);
    branch!(FUEL, start + i, ip, regs, mem, len, code, m)
});

handler!(Copy(Op::Copy { dst, src }) ip regs mem len code m {
    // SAFETY: slots of translated code are in the frame.
    unsafe { set(regs, dst, get(regs, src)) };
    // SAFETY: the code ends with `Return`, so `ip` is not the last.
    next!(unsafe { ip.add(1) }, regs, mem, len, code, m)
});

handler!(Const(Op::Const { dst, bits }) ip regs mem len code m {
    // SAFETY: slots of translated code are in the frame.
    unsafe { set(regs, dst, bits) };
    // SAFETY: the code ends with `Return`, so `ip` is not the last.
    next!(unsafe { ip.add(1) }, regs, mem, len, code, m)
});

handler!(Select(Op::Select { dst, b, cond }) ip regs mem len code m {
    // SAFETY: slots of translated code are in the frame.
    unsafe {
        if get(regs, cond) as u32 == 0 {
            set(regs, dst, get(regs, b));
        }
    }
    // SAFETY: the code ends with `Return`, so `ip` is not the last.
    next!(unsafe { ip.add(1) }, regs, mem, len, code, m)
});

handler!(SelectSmall<const WIDE: bool>(Op::SelectSmall { dst, a, b, cond, .. }) ip regs mem len code m {
    // SAFETY: slots of translated code are in the frame.
    unsafe {
        let c = get(regs, cond.into());
        let holds = if WIDE { c != 0 } else { c as u32 != 0 };
        let pick = if holds { a } else { b };
        set(regs, dst, get(regs, pick.into()));
    }
    // SAFETY: the code ends with `Return`, so `ip` is not the last.
    next!(unsafe { ip.add(1) }, regs, mem, len, code, m)
});

handler!(I32AddImm(Op::I32AddImm { dst, a, imm }) ip regs mem len code m {
    // SAFETY: slots of translated code are in the frame.
    unsafe { set(regs, dst, (get(regs, a) as u32).wrapping_add(imm as u32) as u64) };
    // SAFETY: the code ends with `Return`, so `ip` is not the last.
    next!(unsafe { ip.add(1) }, regs, mem, len, code, m)
});

handler!(F64MulAdd(Op::F64MulAdd { dst, a, b, c, mode }) ip regs mem len code m {
    // SAFETY: slots of translated code are in the frame.
    unsafe {
        let p = eval::F64Mul(get(regs, a.into()), get(regs, b.into()));
        let c = get(regs, c.into());
        let v = match mode {
            0 => eval::F64Add(p, c),
            1 => eval::F64Sub(p, c),
            _ => eval::F64Sub(c, p),
        };
        set(regs, dst, v);
    }
    // SAFETY: the code ends with `Return`, so `ip` is not the last.
    next!(unsafe { ip.add(1) }, regs, mem, len, code, m)
});

handler!(I64MulAdd(Op::I64MulAdd { dst, a, b, c }) ip regs mem len code m {
    // SAFETY: slots of translated code are in the frame.
    unsafe {
        let p = get(regs, a.into()).wrapping_mul(get(regs, b.into()));
        set(regs, dst, p.wrapping_add(get(regs, c.into())));
    }
    // SAFETY: the code ends with `Return`, so `ip` is not the last.
    next!(unsafe { ip.add(1) }, regs, mem, len, code, m)
});

handler!(I64AddExtendU(Op::I64AddExtendU { dst, a, b }) ip regs mem len code m {
    // SAFETY: slots of translated code are in the frame.
    unsafe { set(regs, dst, get(regs, a).wrapping_add(get(regs, b) as u32 as u64)) };
    // SAFETY: the code ends with `Return`, so `ip` is not the last.
    next!(unsafe { ip.add(1) }, regs, mem, len, code, m)
});

handler!(I32AddImm2(Op::I32AddImm2 { d1, a1, imm1, d2, a2, imm2 }) ip regs mem len code m {
    // SAFETY: slots of translated code are in the frame.
    unsafe {
        let v1 = (get(regs, a1.into()) as u32).wrapping_add(imm1 as i32 as u32);
        set(regs, d1.into(), v1.into());
        let v2 = (get(regs, a2.into()) as u32).wrapping_add(imm2 as i32 as u32);
        set(regs, d2.into(), v2.into());
    }
    // SAFETY: the code ends with `Return`, so `ip` is not the last.
    next!(unsafe { ip.add(1) }, regs, mem, len, code, m)
});

handler!(RefIsNull(Op::RefIsNull { dst, src }) ip regs mem len code m {
    // SAFETY: slots of translated code are in the frame.
    unsafe { set(regs, dst, (get(regs, src) == 0) as u64) };
    // SAFETY: the code ends with `Return`, so `ip` is not the last.
    next!(unsafe { ip.add(1) }, regs, mem, len, code, m)
});

loads! {
    I32Load / I32LoadAt: 4, |b| u32::from_le_bytes(b) as u64;
    I64Load / I64LoadAt: 8, u64::from_le_bytes;
    F32Load / F32LoadAt: 4, |b| u32::from_le_bytes(b) as u64;
    F64Load / F64LoadAt: 8, u64::from_le_bytes;
    I32Load8S / I32Load8SAt: 1, |b: [u8; 1]| b[0] as i8 as i32 as u32 as u64;
    I32Load8U / I32Load8UAt: 1, |b: [u8; 1]| b[0] as u64;
    I32Load16S / I32Load16SAt: 2, |b| i16::from_le_bytes(b) as i32 as u32 as u64;
    I32Load16U / I32Load16UAt: 2, |b| u16::from_le_bytes(b) as u64;
    I64Load8S / I64Load8SAt: 1, |b: [u8; 1]| b[0] as i8 as i64 as u64;
    I64Load8U / I64Load8UAt: 1, |b: [u8; 1]| b[0] as u64;
    I64Load16S / I64Load16SAt: 2, |b| i16::from_le_bytes(b) as i64 as u64;
    I64Load16U / I64Load16UAt: 2, |b| u16::from_le_bytes(b) as u64;
    I64Load32S / I64Load32SAt: 4, |b| i32::from_le_bytes(b) as i64 as u64;
    I64Load32U / I64Load32UAt: 4, |b| u32::from_le_bytes(b) as u64;
}

stores! {
    I32Store / I32StoreAt: |v: u64| (v as u32).to_le_bytes();
    I64Store / I64StoreAt: |v: u64| v.to_le_bytes();
    F32Store / F32StoreAt: |v: u64| (v as u32).to_le_bytes();
    F64Store / F64StoreAt: |v: u64| v.to_le_bytes();
    I32Store8 / I32Store8At: |v: u64| [v as u8];
    I32Store16 / I32Store16At: |v: u64| (v as u16).to_le_bytes();
    I64Store8 / I64Store8At: |v: u64| [v as u8];
    I64Store16 / I64Store16At: |v: u64| (v as u16).to_le_bytes();
    I64Store32 / I64Store32At: |v: u64| (v as u32).to_le_bytes();
}

unary! {
    I32Eqz: u32_ -> from_bool, |a| a == 0;
    I64Eqz: u64_ -> from_bool, |a| a == 0;
    I32Clz: u32_ -> from_u32, u32::leading_zeros;
    I32Ctz: u32_ -> from_u32, u32::trailing_zeros;
    I32Popcnt: u32_ -> from_u32, u32::count_ones;
    I64Clz: u64_ -> from_u64, |a: u64| a.leading_zeros() as u64;
    I64Ctz: u64_ -> from_u64, |a: u64| a.trailing_zeros() as u64;
    I64Popcnt: u64_ -> from_u64, |a: u64| a.count_ones() as u64;
    F32Abs: u32_ -> from_u32, |a| a & 0x7fff_ffff;
    F32Neg: u32_ -> from_u32, |a| a ^ 0x8000_0000;
    F32Ceil: f32_ -> from_f32, |x| float::round32(x, f32::ceil);
    F32Floor: f32_ -> from_f32, |x| float::round32(x, f32::floor);
    F32Trunc: f32_ -> from_f32, |x| float::round32(x, f32::trunc);
    F32Nearest: f32_ -> from_f32, |x| float::round32(x, f32::round_ties_even);
    F32Sqrt: f32_ -> from_f32, f32::sqrt;
    F64Abs: u64_ -> from_u64, |a| a & 0x7fff_ffff_ffff_ffff;
    F64Neg: u64_ -> from_u64, |a| a ^ 0x8000_0000_0000_0000;
    F64Ceil: f64_ -> from_f64, |x| float::round64(x, f64::ceil);
    F64Floor: f64_ -> from_f64, |x| float::round64(x, f64::floor);
    F64Trunc: f64_ -> from_f64, |x| float::round64(x, f64::trunc);
    F64Nearest: f64_ -> from_f64, |x| float::round64(x, f64::round_ties_even);
    F64Sqrt: f64_ -> from_f64, f64::sqrt;
    I32WrapI64: u64_ -> from_u32, |a| a as u32;
    I64ExtendI32S: i32_ -> from_i64, |a| a as i64;
    I64ExtendI32U: u32_ -> from_u64, |a| a as u64;
    F32ConvertI32S: i32_ -> from_f32, |a| a as f32;
    F32ConvertI32U: u32_ -> from_f32, |a| a as f32;
    F32ConvertI64S: i64_ -> from_f32, |a| a as f32;
    F32ConvertI64U: u64_ -> from_f32, |a| a as f32;
    F32DemoteF64: f64_ -> from_f32, |a| a as f32;
    F64ConvertI32S: i32_ -> from_f64, |a| a as f64;
    F64ConvertI32U: u32_ -> from_f64, |a| a as f64;
    F64ConvertI64S: i64_ -> from_f64, |a| a as f64;
    F64ConvertI64U: u64_ -> from_f64, |a| a as f64;
    F64PromoteF32: f32_ -> from_f64, |a| a as f64;
    I32Extend8S: u32_ -> from_i32, |a| a as i8 as i32;
    I32Extend16S: u32_ -> from_i32, |a| a as i16 as i32;
    I64Extend8S: u64_ -> from_i64, |a| a as i8 as i64;
    I64Extend16S: u64_ -> from_i64, |a| a as i16 as i64;
    I64Extend32S: u64_ -> from_i64, |a| a as i32 as i64;
    I32TruncSatF32S: f32_ -> from_i32, |a| a as i32;
    I32TruncSatF32U: f32_ -> from_u32, |a| a as u32;
    I32TruncSatF64S: f64_ -> from_i32, |a| a as i32;
    I32TruncSatF64U: f64_ -> from_u32, |a| a as u32;
    I64TruncSatF32S: f32_ -> from_i64, |a| a as i64;
    I64TruncSatF32U: f32_ -> from_u64, |a| a as u64;
    I64TruncSatF64S: f64_ -> from_i64, |a| a as i64;
    I64TruncSatF64U: f64_ -> from_u64, |a| a as u64;
}

try_unary! {
    I32TruncF32S: f32_ -> from_i32, |a: f32| float::trunc_i32(a as f64);
    I32TruncF32U: f32_ -> from_u32, |a: f32| float::trunc_u32(a as f64);
    I32TruncF64S: f64_ -> from_i32, float::trunc_i32;
    I32TruncF64U: f64_ -> from_u32, float::trunc_u32;
    I64TruncF32S: f32_ -> from_i64, |a: f32| float::trunc_i64(a as f64);
    I64TruncF32U: f32_ -> from_u64, |a: f32| float::trunc_u64(a as f64);
    I64TruncF64S: f64_ -> from_i64, float::trunc_i64;
    I64TruncF64U: f64_ -> from_u64, float::trunc_u64;
}

binary! {
    I32Eq: u32_ -> from_bool, |a, b| a == b;
    I32Ne: u32_ -> from_bool, |a, b| a != b;
    I32LtS: i32_ -> from_bool, |a, b| a < b;
    I32LtU: u32_ -> from_bool, |a, b| a < b;
    I32GtS: i32_ -> from_bool, |a, b| a > b;
    I32GtU: u32_ -> from_bool, |a, b| a > b;
    I32LeS: i32_ -> from_bool, |a, b| a <= b;
    I32LeU: u32_ -> from_bool, |a, b| a <= b;
    I32GeS: i32_ -> from_bool, |a, b| a >= b;
    I32GeU: u32_ -> from_bool, |a, b| a >= b;
    I64Eq: u64_ -> from_bool, |a, b| a == b;
    I64Ne: u64_ -> from_bool, |a, b| a != b;
    I64LtS: i64_ -> from_bool, |a, b| a < b;
    I64LtU: u64_ -> from_bool, |a, b| a < b;
    I64GtS: i64_ -> from_bool, |a, b| a > b;
    I64GtU: u64_ -> from_bool, |a, b| a > b;
    I64LeS: i64_ -> from_bool, |a, b| a <= b;
    I64LeU: u64_ -> from_bool, |a, b| a <= b;
    I64GeS: i64_ -> from_bool, |a, b| a >= b;
    I64GeU: u64_ -> from_bool, |a, b| a >= b;
    F32Eq: f32_ -> from_bool, |a, b| a == b;
    F32Ne: f32_ -> from_bool, |a, b| a != b;
    F32Lt: f32_ -> from_bool, |a, b| a < b;
    F32Gt: f32_ -> from_bool, |a, b| a > b;
    F32Le: f32_ -> from_bool, |a, b| a <= b;
    F32Ge: f32_ -> from_bool, |a, b| a >= b;
    F64Eq: f64_ -> from_bool, |a, b| a == b;
    F64Ne: f64_ -> from_bool, |a, b| a != b;
    F64Lt: f64_ -> from_bool, |a, b| a < b;
    F64Gt: f64_ -> from_bool, |a, b| a > b;
    F64Le: f64_ -> from_bool, |a, b| a <= b;
    F64Ge: f64_ -> from_bool, |a, b| a >= b;
    I32Add: u32_ -> from_u32, u32::wrapping_add;
    I32Sub: u32_ -> from_u32, u32::wrapping_sub;
    I32Mul: u32_ -> from_u32, u32::wrapping_mul;
    I32And: u32_ -> from_u32, |a, b| a & b;
    I32Or: u32_ -> from_u32, |a, b| a | b;
    I32Xor: u32_ -> from_u32, |a, b| a ^ b;
    I32Shl: u32_ -> from_u32, u32::wrapping_shl;
    I32ShrS: i32_ -> from_i32, |a: i32, b| a.wrapping_shr(b as u32);
    I32ShrU: u32_ -> from_u32, u32::wrapping_shr;
    I32Rotl: u32_ -> from_u32, u32::rotate_left;
    I32Rotr: u32_ -> from_u32, u32::rotate_right;
    I64Add: u64_ -> from_u64, u64::wrapping_add;
    I64Sub: u64_ -> from_u64, u64::wrapping_sub;
    I64Mul: u64_ -> from_u64, u64::wrapping_mul;
    I64And: u64_ -> from_u64, |a, b| a & b;
    I64Or: u64_ -> from_u64, |a, b| a | b;
    I64Xor: u64_ -> from_u64, |a, b| a ^ b;
    I64Shl: u64_ -> from_u64, |a: u64, b| a.wrapping_shl(b as u32);
    I64ShrS: i64_ -> from_i64, |a: i64, b| a.wrapping_shr(b as u32);
    I64ShrU: u64_ -> from_u64, |a: u64, b| a.wrapping_shr(b as u32);
    I64Rotl: u64_ -> from_u64, |a: u64, b| a.rotate_left(b as u32);
    I64Rotr: u64_ -> from_u64, |a: u64, b| a.rotate_right(b as u32);
    F32Copysign: u32_ -> from_u32, |a, b| (a & 0x7fff_ffff) | (b & 0x8000_0000);
    F32Add: f32_ -> from_f32, |a, b| a + b;
    F32Sub: f32_ -> from_f32, |a, b| a - b;
    F32Mul: f32_ -> from_f32, |a, b| a * b;
    F32Div: f32_ -> from_f32, |a, b| a / b;
    F32Min: f32_ -> from_f32, float::min32;
    F32Max: f32_ -> from_f32, float::max32;
    F64Copysign: u64_ -> from_u64,
        |a, b| (a & 0x7fff_ffff_ffff_ffff) | (b & 0x8000_0000_0000_0000);
    F64Add: f64_ -> from_f64, |a, b| a + b;
    F64Sub: f64_ -> from_f64, |a, b| a - b;
    F64Mul: f64_ -> from_f64, |a, b| a * b;
    F64Div: f64_ -> from_f64, |a, b| a / b;
    F64Min: f64_ -> from_f64, float::min64;
    F64Max: f64_ -> from_f64, float::max64;
}

try_binary! {
    I32DivS: i32_ -> from_i32, |a: i32, b: i32| match (a, b) {
        (_, 0) => Err(TrapKind::IntegerDivisionByZero),
        (i32::MIN, -1) => Err(TrapKind::IntegerOverflow),
        _ => Ok(a / b),
    };
    I32DivU: u32_ -> from_u32,
        |a: u32, b: u32| a.checked_div(b).ok_or(TrapKind::IntegerDivisionByZero);
    I32RemS: i32_ -> from_i32, |a: i32, b: i32| match b {
        0 => Err(TrapKind::IntegerDivisionByZero),
        _ => Ok(a.wrapping_rem(b)),
    };
    I32RemU: u32_ -> from_u32,
        |a: u32, b: u32| a.checked_rem(b).ok_or(TrapKind::IntegerDivisionByZero);
    I64DivS: i64_ -> from_i64, |a: i64, b: i64| match (a, b) {
        (_, 0) => Err(TrapKind::IntegerDivisionByZero),
        (i64::MIN, -1) => Err(TrapKind::IntegerOverflow),
        _ => Ok(a / b),
    };
    I64DivU: u64_ -> from_u64,
        |a: u64, b: u64| a.checked_div(b).ok_or(TrapKind::IntegerDivisionByZero);
    I64RemS: i64_ -> from_i64, |a: i64, b: i64| match b {
        0 => Err(TrapKind::IntegerDivisionByZero),
        _ => Ok(a.wrapping_rem(b)),
    };
    I64RemU: u64_ -> from_u64,
        |a: u64, b: u64| a.checked_rem(b).ok_or(TrapKind::IntegerDivisionByZero);
}
