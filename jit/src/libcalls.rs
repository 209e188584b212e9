//! Functions of the runtime that generated code calls: what is rare or large
//! enough not to inline (bulk memory, tables, calls leaving the module).
//!
//! Each takes the caller's [`VMContext`] first. One that can trap returns 0 on
//! success and 1 after recording the trap with [`traps::set_pending`]; the
//! generated code then traps with [`traps::TRAP_PENDING`].

use crate::traps;
use crate::vmctx::VMContext;
use skiff_vm::runtime::{InstanceId, RawRef, Store, Trap, TrapKind, Value};
use std::sync::Arc;

/// The store and instance behind a context block.
///
/// # Safety
/// `vmctx` must be a context block whose `store` was set by the current entry.
unsafe fn parts<'a>(vmctx: *mut VMContext) -> (&'a mut Store, InstanceId) {
    // SAFETY: per the contract, `store` points to the store the entry was
    // given exclusive access to, and nothing else uses it while generated code runs.
    unsafe {
        let v = &*vmctx;
        (&mut *v.store, InstanceId(v.instance))
    }
}

fn status(result: Result<(), Trap>) -> u32 {
    match result {
        Ok(()) => 0,
        Err(t) => {
            traps::set_pending(t);
            1
        }
    }
}

fn oob(kind: TrapKind) -> Result<(), Trap> {
    Err(Trap::new(kind))
}

/// `memory.grow`: the old size in pages, or -1.
pub(crate) extern "C" fn memory_grow(vmctx: *mut VMContext, delta: u32) -> u32 {
    // SAFETY: called by generated code with its context block.
    let (store, inst) = unsafe { parts(vmctx) };
    let m = store.instances[inst.0 as usize].memories[0];
    store.memories[m.0 as usize]
        .grow(delta as u64)
        .map_or(u32::MAX, |old| old as u32)
}

/// `memory.init`.
pub(crate) extern "C" fn memory_init(
    vmctx: *mut VMContext,
    data: u32,
    d: u32,
    s: u32,
    n: u32,
) -> u32 {
    // SAFETY: called by generated code with its context block.
    let (store, inst) = unsafe { parts(vmctx) };
    let instance = &store.instances[inst.0 as usize];
    let module = instance.module.clone();
    let seg: &[u8] = if instance.data_dropped[data as usize] {
        &[]
    } else {
        &module.bytes[module.data[data as usize].bytes.clone()]
    };
    let m = instance.memories[0];
    let mem = &mut store.memories[m.0 as usize];
    let (d, s, n) = (d as usize, s as usize, n as usize);
    status(if s + n > seg.len() || d + n > mem.len() {
        oob(TrapKind::MemoryOutOfBounds)
    } else {
        mem.data_mut()[d..d + n].copy_from_slice(&seg[s..s + n]);
        Ok(())
    })
}

/// `data.drop`.
pub(crate) extern "C" fn data_drop(vmctx: *mut VMContext, data: u32) {
    // SAFETY: called by generated code with its context block.
    let (store, inst) = unsafe { parts(vmctx) };
    store.instances[inst.0 as usize].data_dropped[data as usize] = true;
}

/// `memory.copy`.
pub(crate) extern "C" fn memory_copy(vmctx: *mut VMContext, d: u32, s: u32, n: u32) -> u32 {
    // SAFETY: called by generated code with its context block.
    let (store, inst) = unsafe { parts(vmctx) };
    let m = store.instances[inst.0 as usize].memories[0];
    let mem = &mut store.memories[m.0 as usize];
    let (d, s, n) = (d as usize, s as usize, n as usize);
    status(if s + n > mem.len() || d + n > mem.len() {
        oob(TrapKind::MemoryOutOfBounds)
    } else {
        mem.data_mut().copy_within(s..s + n, d);
        Ok(())
    })
}

/// `memory.fill`.
pub(crate) extern "C" fn memory_fill(vmctx: *mut VMContext, d: u32, value: u32, n: u32) -> u32 {
    // SAFETY: called by generated code with its context block.
    let (store, inst) = unsafe { parts(vmctx) };
    let m = store.instances[inst.0 as usize].memories[0];
    let mem = &mut store.memories[m.0 as usize];
    let (d, n) = (d as usize, n as usize);
    status(if d + n > mem.len() {
        oob(TrapKind::MemoryOutOfBounds)
    } else {
        mem.data_mut()[d..d + n].fill(value as u8);
        Ok(())
    })
}

fn table_index(store: &Store, inst: InstanceId, table: u32) -> usize {
    store.instances[inst.0 as usize].tables[table as usize].0 as usize
}

/// `table.get`: writes the element to `out`.
pub(crate) extern "C" fn table_get(
    vmctx: *mut VMContext,
    table: u32,
    i: u32,
    out: *mut u64,
) -> u32 {
    // SAFETY: called by generated code with its context block.
    let (store, inst) = unsafe { parts(vmctx) };
    let t = table_index(store, inst, table);
    status(match store.tables[t].elements.get(i as usize) {
        Some(&r) => {
            // SAFETY: `out` is a stack slot of the calling generated code.
            unsafe { *out = r };
            Ok(())
        }
        None => oob(TrapKind::TableOutOfBounds),
    })
}

/// `table.set`.
pub(crate) extern "C" fn table_set(vmctx: *mut VMContext, table: u32, i: u32, value: u64) -> u32 {
    // SAFETY: called by generated code with its context block.
    let (store, inst) = unsafe { parts(vmctx) };
    let t = table_index(store, inst, table);
    status(match store.tables[t].elements.get_mut(i as usize) {
        Some(slot) => {
            *slot = value;
            Ok(())
        }
        None => oob(TrapKind::TableOutOfBounds),
    })
}

/// `table.size`.
pub(crate) extern "C" fn table_size(vmctx: *mut VMContext, table: u32) -> u32 {
    // SAFETY: called by generated code with its context block.
    let (store, inst) = unsafe { parts(vmctx) };
    let t = table_index(store, inst, table);
    store.tables[t].size()
}

/// `table.grow`: the old size, or -1.
pub(crate) extern "C" fn table_grow(
    vmctx: *mut VMContext,
    table: u32,
    init: u64,
    delta: u32,
) -> u32 {
    // SAFETY: called by generated code with its context block.
    let (store, inst) = unsafe { parts(vmctx) };
    let t = table_index(store, inst, table);
    store.tables[t].grow(delta, init).unwrap_or(u32::MAX)
}

/// `table.fill`.
pub(crate) extern "C" fn table_fill(
    vmctx: *mut VMContext,
    table: u32,
    i: u32,
    value: u64,
    n: u32,
) -> u32 {
    // SAFETY: called by generated code with its context block.
    let (store, inst) = unsafe { parts(vmctx) };
    let t = table_index(store, inst, table);
    let elements = &mut store.tables[t].elements;
    let (i, n) = (i as usize, n as usize);
    status(if i + n > elements.len() {
        oob(TrapKind::TableOutOfBounds)
    } else {
        elements[i..i + n].fill(value);
        Ok(())
    })
}

/// `table.copy`.
pub(crate) extern "C" fn table_copy(
    vmctx: *mut VMContext,
    dst: u32,
    src: u32,
    d: u32,
    s: u32,
    n: u32,
) -> u32 {
    // SAFETY: called by generated code with its context block.
    let (store, inst) = unsafe { parts(vmctx) };
    let (dt, st) = (table_index(store, inst, dst), table_index(store, inst, src));
    let (d, s, n) = (d as usize, s as usize, n as usize);
    status(
        if s + n > store.tables[st].elements.len() || d + n > store.tables[dt].elements.len() {
            oob(TrapKind::TableOutOfBounds)
        } else {
            if dt == st {
                store.tables[dt].elements.copy_within(s..s + n, d);
            } else {
                let items: Vec<RawRef> = store.tables[st].elements[s..s + n].to_vec();
                store.tables[dt].elements[d..d + n].copy_from_slice(&items);
            }
            Ok(())
        },
    )
}

/// `table.init`.
pub(crate) extern "C" fn table_init(
    vmctx: *mut VMContext,
    table: u32,
    elem: u32,
    d: u32,
    s: u32,
    n: u32,
) -> u32 {
    // SAFETY: called by generated code with its context block.
    let (store, inst) = unsafe { parts(vmctx) };
    let seg: Arc<[RawRef]> = store.instances[inst.0 as usize].elems[elem as usize]
        .clone()
        .unwrap_or_else(|| Arc::from([]));
    let t = table_index(store, inst, table);
    let table = &mut store.tables[t];
    let (d, s, n) = (d as usize, s as usize, n as usize);
    status(if s + n > seg.len() || d + n > table.elements.len() {
        oob(TrapKind::TableOutOfBounds)
    } else {
        table.elements[d..d + n].copy_from_slice(&seg[s..s + n]);
        Ok(())
    })
}

/// `elem.drop`.
pub(crate) extern "C" fn elem_drop(vmctx: *mut VMContext, elem: u32) {
    // SAFETY: called by generated code with its context block.
    let (store, inst) = unsafe { parts(vmctx) };
    store.instances[inst.0 as usize].elems[elem as usize] = None;
}

/// `ref.func`: the reference to function `func` of the instance.
pub(crate) extern "C" fn ref_func(vmctx: *mut VMContext, func: u32) -> u64 {
    // SAFETY: called by generated code with its context block.
    let (store, inst) = unsafe { parts(vmctx) };
    store.instances[inst.0 as usize].funcs[func as usize].0 as u64 + 1
}

/// Calls store function `addr` with the raw values at `args`; writes its
/// results over them.
fn call_addr(store: &mut Store, caller: InstanceId, addr: u32, args: *mut u64) -> Result<(), Trap> {
    let ty = store.funcs[addr as usize].ty.clone();
    let values: Vec<Value> = ty
        .params()
        .iter()
        .enumerate()
        // SAFETY: generated code passes a buffer of max(params, results) slots.
        .map(|(i, t)| Value::from_raw(*t, unsafe { *args.add(i) }))
        .collect();
    let results = store.call_from(skiff_vm::runtime::Func(addr), &values, Some(caller))?;
    for (i, r) in results.iter().enumerate() {
        // SAFETY: as above.
        unsafe { *args.add(i) = r.to_raw() };
    }
    Ok(())
}

/// Calls function `func` (an import) of the instance.
pub(crate) extern "C" fn call_import(vmctx: *mut VMContext, func: u32, args: *mut u64) -> u32 {
    // SAFETY: called by generated code with its context block.
    let (store, inst) = unsafe { parts(vmctx) };
    let addr = store.instances[inst.0 as usize].funcs[func as usize].0;
    status(call_addr(store, inst, addr, args))
}

/// `call_indirect` through `table` with element `i`, expecting type `ty`.
pub(crate) extern "C" fn call_indirect(
    vmctx: *mut VMContext,
    table: u32,
    ty: u32,
    i: u32,
    args: *mut u64,
) -> u32 {
    // SAFETY: called by generated code with its context block.
    let (store, inst) = unsafe { parts(vmctx) };
    let t = table_index(store, inst, table);
    let result = match store.tables[t].elements.get(i as usize) {
        None => Err(Trap::new(TrapKind::UndefinedElement)),
        Some(0) => Err(Trap::new(TrapKind::UninitializedElement)),
        Some(&r) => {
            let addr = (r - 1) as u32;
            let module = store.instances[inst.0 as usize].module.clone();
            if store.funcs[addr as usize].ty != module.types[ty as usize] {
                Err(Trap::new(TrapKind::IndirectCallTypeMismatch))
            } else {
                call_addr(store, inst, addr, args)
            }
        }
    };
    status(result)
}
