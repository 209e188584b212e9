//! Reference instructions that need the store: `ref.func`.

use crate::runtime::store::{InstanceId, Store};
use crate::runtime::value::{RawRef, func_ref};

/// `ref.func`: the reference to function `func` of the instance.
pub fn ref_func(store: &Store, inst: InstanceId, func: u32) -> RawRef {
    func_ref(store.instances[inst.0 as usize].funcs[func as usize])
}
