//! Exception tags and the exceptions thrown with them.
//!
//! A tag is a store object like a function or a global: instances define,
//! import and export them, and two tags are the same only when they are the
//! same object. An exception is a tag and its payload (the values `throw`
//! took, as slots); it lives in the store from its `throw` on, and an
//! `exnref` names it by index.
//!
//! Exceptions are reclaimed in two ways. One caught by a clause that does
//! not pass it on as an `exnref` (`catch`, `catch_all`, the host catching
//! the one that ended its call) was never seen by anything else, so its
//! slot is reused at once. One that became an `exnref` value may be held
//! anywhere (locals, globals, tables, the host's values), so it stays until
//! the store is dropped; [`Store::live_exceptions`] counts what is held.

use super::store::Store;
use super::value::{ExnRef, Value, read_slots, slot_count, write_slots};
use crate::types::FuncType;

/// An exception tag in a store (its address).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tag(pub u32);

/// A thrown exception: its tag and payload.
#[derive(Debug, Clone)]
pub struct Exception {
    /// The tag it was thrown with.
    pub tag: Tag,
    /// The payload, as slots ([`super::value::slots_of`] each value's type).
    pub payload: Box<[u64]>,
    /// Whether an `exnref` to it was handed out: then it is never reused.
    shared: bool,
}

/// The store's exceptions, with the slots of reclaimed ones.
#[derive(Debug, Default)]
pub(crate) struct Exceptions {
    all: Vec<Option<Exception>>,
    free: Vec<u32>,
}

impl Store {
    /// A new exception tag whose payload has the parameters of `ty` (whose
    /// results must be empty), for the host to throw and catch with.
    pub fn tag(&mut self, ty: FuncType) -> Tag {
        assert!(ty.results().is_empty(), "a tag's type has no results");
        self.tags.push(ty);
        Tag(self.tags.len() as u32 - 1)
    }

    /// Whether `t` is a tag of this store.
    pub fn has_tag(&self, t: Tag) -> bool {
        (t.0 as usize) < self.tags.len()
    }

    /// The type of tag `t`.
    pub fn tag_type(&self, t: Tag) -> &FuncType {
        &self.tags[t.0 as usize]
    }

    /// A new exception of tag `tag` whose payload is `payload`, as slots.
    pub fn new_exception(&mut self, tag: Tag, payload: &[u64]) -> ExnRef {
        let exn = Exception {
            tag,
            payload: payload.into(),
            shared: false,
        };
        let ex = &mut self.exceptions;
        match ex.free.pop() {
            Some(i) => {
                ex.all[i as usize] = Some(exn);
                ExnRef(i)
            }
            None => {
                ex.all.push(Some(exn));
                ExnRef(ex.all.len() as u32 - 1)
            }
        }
    }

    /// A new exception of tag `tag` with payload `values`, for a host
    /// function to throw (return `Err(Trap::from(TrapKind::Exception(..)))`).
    /// Fails when the values do not have the tag's parameter types.
    pub fn exception(&mut self, tag: Tag, values: &[Value]) -> Result<ExnRef, String> {
        let ty = self.tag_type(tag);
        let types: Vec<_> = values.iter().map(Value::ty).collect();
        if !self.values_match(values, ty.params()) {
            return Err(format!(
                "exception payload of types {types:?} for a tag of type {ty}"
            ));
        }
        if values.iter().any(|v| self.foreign_func(v).is_some()) {
            return Err("the payload refers to a function not in this store".to_string());
        }
        let mut slots = vec![0; slot_count(&types)];
        write_slots(values, &mut slots);
        Ok(self.new_exception(tag, &slots))
    }

    /// Exception `e`.
    ///
    /// # Panics
    /// When `e` was reclaimed (see the module's documentation).
    pub fn exception_ref(&self, e: ExnRef) -> &Exception {
        self.exceptions.all[e.0 as usize]
            .as_ref()
            .expect("a live exception")
    }

    /// The tag and payload values of exception `e`.
    pub fn exception_values(&self, e: ExnRef) -> (Tag, Vec<Value>) {
        let exn = self.exception_ref(e);
        let ty = self.tag_type(exn.tag);
        (exn.tag, read_slots(ty.params(), &exn.payload))
    }

    /// Marks exception `e` as handed out as an `exnref`: it is kept.
    pub fn share_exception(&mut self, e: ExnRef) {
        if let Some(exn) = self.exceptions.all[e.0 as usize].as_mut() {
            exn.shared = true;
        }
    }

    /// Reclaims exception `e`, caught where nothing can refer to it any
    /// more, unless it was ever handed out as an `exnref`.
    pub fn drop_exception(&mut self, e: ExnRef) {
        let ex = &mut self.exceptions;
        if let Some(slot) = ex.all.get_mut(e.0 as usize)
            && slot.as_ref().is_some_and(|x| !x.shared)
        {
            *slot = None;
            ex.free.push(e.0);
        }
    }

    /// How many exceptions the store holds.
    pub fn live_exceptions(&self) -> usize {
        self.exceptions.all.len() - self.exceptions.free.len()
    }
}
