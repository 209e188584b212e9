//! Exception tags and exceptions, as the embedder sees them: host
//! functions throw into WebAssembly with a [`Tag`], and an exception no
//! handler caught ends the call with a trap whose [`ExnRef`] names it.

use crate::func::check_store;
use crate::store::{AsContext, AsContextMut};
use crate::values::Val;
use skiff_vm::runtime::{self as vm, StoreId, Trap, TrapKind};
use skiff_vm::types::FuncType;

/// An exception tag of a store: what a `catch` clause matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tag {
    store: StoreId,
    index: vm::Tag,
}

impl Tag {
    pub(crate) fn from_vm(store: StoreId, index: vm::Tag) -> Tag {
        Tag { store, index }
    }

    pub(crate) fn index(&self, store: StoreId) -> vm::Tag {
        check_store(self.store, store);
        self.index
    }

    pub(crate) fn store_id(&self) -> StoreId {
        self.store
    }

    /// A new tag in `store` whose exceptions carry values of the
    /// parameter types of `ty`; `ty` has no results.
    pub fn new(mut store: impl AsContextMut, ty: FuncType) -> Result<Tag, Trap> {
        if !ty.results().is_empty() {
            return Err(Trap::host(format!("a tag's type has no results: {ty}")));
        }
        let store = store.as_context_mut().store;
        Ok(Tag {
            store: store.id(),
            index: store.tag(ty),
        })
    }

    /// Its type.
    pub fn ty(&self, store: impl AsContext) -> FuncType {
        let store = store.as_context().store;
        store.tag_type(self.index(store.id())).clone()
    }

    /// A new exception of this tag carrying `payload`, as the trap a host
    /// function returns to throw it into the WebAssembly that called it.
    /// An error when the values do not have the tag's parameter types.
    pub fn throw(&self, mut store: impl AsContextMut, payload: &[Val]) -> Result<Trap, Trap> {
        let store = store.as_context_mut().store;
        let id = store.id();
        let values: Vec<_> = payload.iter().map(|v| v.to_vm(id)).collect();
        let e = store
            .exception(self.index(id), &values)
            .map_err(Trap::host)?;
        Ok(Trap::new(TrapKind::Exception(e)))
    }
}

/// A thrown exception of a store: what an `exnref` holds, and what a trap
/// of kind [`TrapKind::Exception`] names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExnRef {
    store: StoreId,
    index: vm::ExnRef,
}

impl ExnRef {
    pub(crate) fn from_vm(store: StoreId, index: vm::ExnRef) -> ExnRef {
        ExnRef { store, index }
    }

    pub(crate) fn index(&self, store: StoreId) -> vm::ExnRef {
        check_store(self.store, store);
        self.index
    }

    /// The exception that ended a call with `trap`, when an uncaught
    /// exception did.
    pub fn from_trap(store: impl AsContext, trap: &Trap) -> Option<ExnRef> {
        let store = store.as_context().store;
        trap.exception().map(|e| ExnRef::from_vm(store.id(), e))
    }

    /// Its tag.
    pub fn tag(&self, store: impl AsContext) -> Tag {
        let store = store.as_context().store;
        let id = store.id();
        Tag::from_vm(id, store.exception_ref(self.index(id)).tag)
    }

    /// Its payload: the values it was thrown with.
    pub fn payload(&self, store: impl AsContext) -> Vec<Val> {
        let store = store.as_context().store;
        let id = store.id();
        let (_, values) = store.exception_values(self.index(id));
        values.into_iter().map(|v| Val::from_vm(v, id)).collect()
    }
}
