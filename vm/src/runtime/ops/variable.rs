//! Variable instructions that need the store: `global.get`, `global.set`.

use crate::runtime::store::{InstanceId, Store};

/// `global.get`: the raw bits of global `g` of the instance (a scalar in
/// the low 64).
pub fn global_get(store: &Store, inst: InstanceId, g: u32) -> u128 {
    store.global_raw(store.instances[inst.0 as usize].globals[g as usize])
}

/// `global.set` of validated code: global `g` of the instance (mutable, of
/// the value's type) becomes `value`.
pub fn global_set(store: &mut Store, inst: InstanceId, g: u32, value: u128) {
    let id = store.instances[inst.0 as usize].globals[g as usize];
    store.set_global_raw(id, value);
}
