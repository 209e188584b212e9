//! Calls that leave the running instance: imports, and the checks of
//! `call_indirect` and `call_ref`.

use crate::runtime::store::{Func, InstanceId, Store};
use crate::runtime::trap::{Trap, TrapKind};
use crate::runtime::value::{RawRef, ref_to_func};

/// The store function that import `func` of the instance resolved to.
pub fn import(store: &Store, inst: InstanceId, func: u32) -> Func {
    store.instances[inst.0 as usize].funcs[func as usize]
}

/// `call_indirect`'s checks: the function element `i` of table `table`
/// holds, when it is there, not null, and of type `ty` of the module.
pub fn call_indirect_target(
    store: &Store,
    inst: InstanceId,
    table: u32,
    ty: u32,
    i: u64,
) -> Result<Func, Trap> {
    let instance = &store.instances[inst.0 as usize];
    let t = instance.tables[table as usize];
    let r = usize::try_from(i)
        .ok()
        .and_then(|i| store.tables[t.0 as usize].elements.get(i).copied())
        .ok_or_else(|| Trap::new(TrapKind::UndefinedElement))?;
    let f = ref_to_func(r).ok_or_else(|| Trap::new(TrapKind::UninitializedElement))?;
    let callee = store
        .funcs
        .get(f.0 as usize)
        .ok_or_else(|| Trap::new(TrapKind::UninitializedElement))?;
    if callee.ty != instance.module().types[ty as usize] {
        return Err(Trap::new(TrapKind::IndirectCallTypeMismatch));
    }
    Ok(f)
}

/// `call_ref`'s check: the function reference `r` names, unless it is null
/// (its type is the one the instruction names: validation proved it).
pub fn ref_callee(r: RawRef) -> Result<Func, Trap> {
    ref_to_func(r).ok_or_else(|| Trap::new(TrapKind::NullReference))
}
