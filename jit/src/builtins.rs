//! The runtime functions generated code calls, declared once.
//!
//! Each line of the `builtins!` list below gives a builtin's name, its
//! parameters after the context block, what it returns and its body, which
//! calls the one implementation of the instruction in
//! [`skiff_vm::runtime::ops`]. From the list come the [`Builtin`] enum, the
//! Cranelift signature of each, the `extern "C"` entry points, and the table
//! of their addresses that every context block points to: generated code
//! loads a builtin's address from that table (no address is baked into the
//! code) and calls it with its context block first.
//!
//! A builtin that can trap returns a status, 0 on success, 1 after it
//! recorded the trap with [`traps::set_pending`]; the generated code then
//! traps with [`traps::TRAP_PENDING`]. Its values come back through an `out`
//! pointer to a stack slot of the caller. Panics never cross these `extern
//! "C"` frames: a trapping builtin catches one and turns it into a trap
//! whose payload the embedder's call resumes; the others only read and
//! write the store's own objects at validated indices.

use crate::traps;
use crate::vmctx::VMContext;
use cranelift_codegen::ir::{Type, types};
use skiff_vm::runtime::value::{exn_ref, ref_to_exn, slot_count};
use skiff_vm::runtime::{Func, InstanceId, Store, Trap, TrapKind, ops};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// The store and instance behind a context block.
///
/// # Safety
/// `vmctx` must be a context block whose `store` was set by the current
/// entry into generated code, which lends the store to its builtins.
unsafe fn parts<'a>(vmctx: *mut VMContext) -> (&'a mut Store, InstanceId) {
    // SAFETY: per the contract, `store` points to the store the entry was
    // given exclusive access to, and nothing else uses it while generated code runs.
    unsafe {
        let v = &*vmctx;
        (&mut *v.store, InstanceId(v.instance))
    }
}

/// Runs `body`, turning a panic in it into a trap whose payload the
/// embedder's call resumes: panics never cross the builtins' frames.
fn guarded(
    store: &mut Store,
    body: impl FnOnce(&mut Store) -> Result<(), Trap>,
) -> Result<(), Trap> {
    catch_unwind(AssertUnwindSafe(|| body(&mut *store)))
        .unwrap_or_else(|payload| Err(store.panicked(payload)))
}

/// Runs the body of a trapping builtin: its status for generated code.
fn status(
    vmctx: *mut VMContext,
    body: impl FnOnce(&mut Store, InstanceId) -> Result<(), Trap>,
) -> u32 {
    // SAFETY: called by a builtin, which generated code called with its context block.
    let (store, inst) = unsafe { parts(vmctx) };
    match guarded(store, |store| body(store, inst)) {
        Ok(()) => 0,
        Err(t) => {
            traps::set_pending(t);
            1
        }
    }
}

/// Makes a call for generated code inside a `try_table` or `try`: 0 when
/// it returned, 2 when it threw (the exception's `exnref` is then in
/// `buf`'s first slot), 1 when it trapped (the trap is pending).
fn catching(
    store: &mut Store,
    buf: *mut u64,
    call: impl FnOnce(&mut Store) -> Result<(), Trap>,
) -> u32 {
    match guarded(store, call) {
        Ok(()) => 0,
        Err(t) => match t.exception() {
            Some(e) => {
                put(buf, exn_ref(e));
                2
            }
            None => {
                traps::set_pending(t);
                1
            }
        },
    }
}

/// Writes a builtin's result to its `out` slot.
fn put(out: *mut u64, value: u64) {
    // SAFETY: generated code passes the address of a stack slot of its own
    // frame as `out`, 8 bytes for each result.
    unsafe { *out = value };
}

/// The slots a call's arguments are in and its results go to.
pub(crate) fn slots<'a>(
    store: &Store,
    f: skiff_vm::runtime::Func,
    args: *mut u64,
) -> &'a mut [u64] {
    let ty = store.func_type(f);
    let n = slot_count(ty.params()).max(slot_count(ty.results()));
    // SAFETY: generated code passes a stack buffer of as many 8-byte slots as
    // the callee's parameters or results take (a vector two), which nothing
    // else uses during the call.
    unsafe { std::slice::from_raw_parts_mut(args, n) }
}

macro_rules! builtins {
    ($(
        $(#[$doc:meta])*
        $name:ident = $variant:ident ($($arg:ident: $ty:ident),*) -> $ret:ident
            |$store:ident, $inst:ident| $body:expr;
    )*) => {
        /// A runtime function generated code calls.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Builtin {
            $($(#[$doc])* $variant,)*
        }

        impl Builtin {
            /// How many there are.
            pub const COUNT: usize = [$(Builtin::$variant),*].len();

            /// Its parameter types after the context block, and its result types.
            pub fn signature(self) -> (&'static [Type], &'static [Type]) {
                match self {
                    $(Builtin::$variant => (&[$(builtins!(@cl $ty)),*], builtins!(@ret $ret)),)*
                }
            }
        }

        /// The entry points, in [`Builtin`] order.
        mod entry {
            use super::*;
            $(
                $(#[$doc])*
                pub(super) extern "C" fn $name(
                    vmctx: *mut VMContext,
                    $($arg: builtins!(@rust $ty)),*
                ) -> builtins!(@rust_ret $ret) {
                    builtins!(@body $ret vmctx |$store, $inst| $body)
                }
            )*
        }

        /// The address of every builtin, in [`Builtin`] order: the table
        /// every context block points to.
        pub static ADDRESSES: Addresses = Addresses([$(entry::$name as *const ()),*]);
    };
    (@cl u32) => { types::I32 };
    (@cl u64) => { types::I64 };
    (@cl ptr) => { types::I64 };
    (@rust u32) => { u32 };
    (@rust u64) => { u64 };
    (@rust ptr) => { *mut u64 };
    (@ret trap) => { &[types::I32] };
    (@ret u32) => { &[types::I32] };
    (@ret u64) => { &[types::I64] };
    (@ret none) => { &[] };
    (@rust_ret trap) => { u32 };
    (@rust_ret u32) => { u32 };
    (@rust_ret u64) => { u64 };
    (@rust_ret none) => { () };
    (@body trap $vmctx:ident |$store:ident, $inst:ident| $body:expr) => {
        status($vmctx, |$store, $inst| $body)
    };
    (@body $ret:ident $vmctx:ident |$store:ident, $inst:ident| $body:expr) => {{
        // SAFETY: generated code calls builtins with its context block.
        let ($store, $inst) = unsafe { parts($vmctx) };
        $body
    }};
}

/// Builtin addresses, shared by every context block.
pub struct Addresses(
    #[allow(
        dead_code,
        reason = "generated code reads it through the context block"
    )]
    [*const (); Builtin::COUNT],
);

// SAFETY: the table is immutable and holds addresses of functions.
unsafe impl Sync for Addresses {}

builtins! {
    /// `memory.grow`: writes the old size in pages, or -1, to `out`.
    memory_grow = MemoryGrow(mem: u32, delta: u64, out: ptr) -> trap |store, inst| {
        let old = ops::memory_grow(store, inst, mem, delta)?;
        put(out, old.unwrap_or(u64::MAX));
        Ok(())
    };
    /// `memory.init`.
    memory_init = MemoryInit(mem: u32, data: u32, d: u64, s: u32, n: u32) -> trap |store, inst| {
        ops::memory_init(store, inst, mem, data, d, s.into(), n.into())
    };
    /// `data.drop`.
    data_drop = DataDrop(data: u32) -> none |store, inst| ops::data_drop(store, inst, data);
    /// `memory.copy`, once generated code has checked both ranges: copies
    /// `n` bytes from native address `src` to `dst` (they may overlap).
    memmove = Memmove(dst: u64, src: u64, n: u64) -> none |_store, _inst| {
        // SAFETY: generated code checked that both ranges lie in memories
        // of the instance, which nothing else touches during the call.
        unsafe { std::ptr::copy(src as *const u8, dst as *mut u8, n as usize) }
    };
    /// `memory.fill`, once generated code has checked the range: sets `n`
    /// bytes from native address `dst` to `value`'s low byte.
    memset = Memset(dst: u64, value: u32, n: u64) -> none |_store, _inst| {
        // SAFETY: generated code checked that the range lies in a memory of
        // the instance, which nothing else touches during the call.
        unsafe { std::ptr::write_bytes(dst as *mut u8, value as u8, n as usize) }
    };
    /// `table.get`: writes the element to `out`.
    table_get = TableGet(table: u32, i: u64, out: ptr) -> trap |store, inst| {
        put(out, ops::table_get(store, inst, table, i)?);
        Ok(())
    };
    /// `table.set`.
    table_set = TableSet(table: u32, i: u64, value: u64) -> trap |store, inst| {
        ops::table_set(store, inst, table, i, value)
    };
    /// `table.size`.
    table_size = TableSize(table: u32) -> u64 |store, inst| {
        ops::table_size(store, inst, table).into()
    };
    /// `table.grow`: writes the old size, or -1, to `out`.
    table_grow = TableGrow(table: u32, init: u64, delta: u64, out: ptr) -> trap |store, inst| {
        let old = ops::table_grow(store, inst, table, init, delta)?;
        put(out, old.map_or(u64::MAX, u64::from));
        Ok(())
    };
    /// `table.fill`.
    table_fill = TableFill(table: u32, i: u64, value: u64, n: u64) -> trap |store, inst| {
        ops::table_fill(store, inst, table, i, value, n)
    };
    /// `table.copy`.
    table_copy = TableCopy(dst: u32, src: u32, d: u64, s: u64, n: u64) -> trap |store, inst| {
        ops::table_copy(store, inst, dst, src, d, s, n)
    };
    /// `table.init`.
    table_init = TableInit(table: u32, elem: u32, d: u64, s: u32, n: u32) -> trap |store, inst| {
        ops::table_init(store, inst, table, elem, d, s.into(), n.into())
    };
    /// `elem.drop`.
    elem_drop = ElemDrop(elem: u32) -> none |store, inst| ops::elem_drop(store, inst, elem);
    /// `ref.func`: the reference to function `func` of the instance.
    ref_func = RefFunc(func: u32) -> u64 |store, inst| ops::ref_func(store, inst, func);
    /// A call of import `func`, with its arguments at `args`, where its
    /// results go.
    call_import = CallImport(func: u32, args: ptr) -> trap |store, inst| {
        let f = ops::import(store, inst, func);
        store.call_raw(f, Some(inst), slots(store, f, args))
    };
    /// `call_indirect` through `table` with element `i`, expecting type
    /// `ty`, with its arguments at `args`, where its results go.
    call_indirect = CallIndirect(table: u32, ty: u32, i: u64, args: ptr) -> trap |store, inst| {
        let f = ops::call_indirect_target(store, inst, table, ty, i)?;
        store.call_raw(f, Some(inst), slots(store, f, args))
    };
    /// `call_ref` of reference `r`, with its arguments at `args`, where its
    /// results go.
    call_ref = CallRef(r: u64, args: ptr) -> trap |store, inst| {
        let f = ops::ref_callee(r)?;
        store.call_raw(f, Some(inst), slots(store, f, args))
    };
    /// `call_ref` inside a `try_table` or `try` (see [`catching`]).
    call_ref_catching = CallRefCatching(r: u64, args: ptr) -> u32 |store, inst| {
        catching(store, args, |store| {
            let f = ops::ref_callee(r)?;
            store.call_raw(f, Some(inst), slots(store, f, args))
        })
    };
    /// A call of function `func` of the instance inside a `try_table` or
    /// `try`, with its arguments at `args`, where its results go (see
    /// [`catching`]).
    call_catching = CallCatching(func: u32, args: ptr) -> u32 |store, inst| {
        catching(store, args, |store| crate::call_function(store, inst, func, args))
    };
    /// `call_indirect` inside a `try_table` or `try` (see [`catching`]).
    call_indirect_catching = CallIndirectCatching(table: u32, ty: u32, i: u64, args: ptr) -> u32 |store, inst| {
        catching(store, args, |store| {
            let f = ops::call_indirect_target(store, inst, table, ty, i)?;
            store.call_raw(f, Some(inst), slots(store, f, args))
        })
    };
    /// A new exception of tag `tag` with the payload at `payload`: its `exnref`.
    throw = Throw(tag: u32, payload: ptr) -> u64 |store, inst| {
        let t = store.instance(inst).tags()[tag as usize];
        let n = slot_count(store.tag_type(t).params());
        // SAFETY: generated code passes a stack buffer of the payload's slots.
        let payload = unsafe { std::slice::from_raw_parts(payload, n) };
        exn_ref(store.new_exception(t, payload))
    };
    /// Raises the exception `exn` names: generated code unwinds to the
    /// innermost entry from the runtime at once (a null-reference trap for
    /// null). Never returns.
    raise = Raise(exn: u64) -> none |_store, _inst| {
        let kind = match ref_to_exn(exn) {
            Some(e) => TrapKind::Exception(e),
            None => TrapKind::NullReference,
        };
        // SAFETY: generated code calls this builtin directly, and this frame
        // owns nothing once the trap is made.
        unsafe { traps::raise(Trap::new(kind)) }
    };
    /// Whether a catch clause of tag `tag` (`u32::MAX` for any) catches
    /// exception `exn`: when it does, writes the payload to `out` (for a
    /// tag) and keeps the exception only when `with_ref` passes it on.
    catch = Catch(exn: u64, tag: u32, with_ref: u32, out: ptr) -> u32 |store, inst| {
        let Some(e) = ref_to_exn(exn) else {
            return 0;
        };
        if tag != u32::MAX {
            if store.instance(inst).tags()[tag as usize] != store.exception_ref(e).tag {
                return 0;
            }
            let payload = &store.exception_ref(e).payload;
            // SAFETY: generated code passes a stack buffer of the payload's slots.
            unsafe { std::ptr::copy_nonoverlapping(payload.as_ptr(), out, payload.len()) };
        }
        if with_ref != 0 {
            store.share_exception(e);
        } else {
            store.drop_exception(e);
        }
        1
    };
    /// `call_indirect`'s and `return_call_indirect`'s checks through
    /// `table` with element `i`, expecting type `ty`; writes the callee's
    /// code and context block to `out` and `out + 1` when generated code can
    /// call or jump to it directly (and keeps them in the instance's cache
    /// of targets, which generated code looks in first), else zeros.
    indirect_target = IndirectTarget(table: u32, ty: u32, i: u64, out: ptr) -> trap |store, inst| {
        let f = ops::call_indirect_target(store, inst, table, ty, i)?;
        find_target(store, inst, f, (i, ty, table), out);
        Ok(())
    };
    /// `call_ref`'s and `return_call_ref`'s check of reference `r` (of a
    /// function of type `ty`), then as [`indirect_target`] (keeping the
    /// target under table `u32::MAX`).
    ref_target = RefTarget(ty: u32, r: u64, out: ptr) -> trap |store, inst| {
        let f = ops::ref_callee(r)?;
        find_target(store, inst, f, (r, ty, u32::MAX), out);
        Ok(())
    };
}

/// Writes where generated code can call callee `f` directly (its code and
/// context block) to `out` and `out + 1`, zeros when it cannot, and keeps
/// a target in the instance's cache under `key` (element, type, table).
fn find_target(store: &mut Store, inst: InstanceId, f: Func, key: (u64, u32, u32), out: *mut u64) {
    let target = crate::direct_target(store, inst, f);
    if let Some(target) = target
        && let Some(state) = store
            .instance(inst)
            .tier_state_as::<crate::vmctx::InstanceState>()
    {
        // SAFETY: the store's count of table changes lives as long as it.
        let version = unsafe { *store.table_version_ptr() };
        state.cache_target(key, version, target);
    }
    let (code, vmctx) = target.unwrap_or((0, 0));
    put(out, code as u64);
    put(out.wrapping_add(1), vmctx as u64);
}
