//! WebAssembly values as the API passes them.

use crate::exceptions::ExnRef;
use crate::func::Func;
use skiff_vm::runtime::{self as vm, StoreId};
use skiff_vm::types::{HeapType, ValType};
use std::fmt;

pub use skiff_vm::runtime::ExternRef;

/// A WebAssembly value. Floats are kept as bits so that NaN payloads survive.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub enum Val {
    /// An `i32`.
    I32(i32),
    /// An `i64`.
    I64(i64),
    /// An `f32`, as its IEEE 754 bits.
    F32(u32),
    /// An `f64`, as its IEEE 754 bits.
    F64(u64),
    /// A `v128`.
    V128(u128),
    /// A `funcref`, `None` for null.
    FuncRef(Option<Func>),
    /// An `externref`, `None` for null: an opaque host value.
    ExternRef(Option<ExternRef>),
    /// An `exnref`, `None` for null: a caught exception.
    ExnRef(Option<ExnRef>),
}

impl Val {
    /// The type of this value.
    pub fn ty(&self) -> ValType {
        match self {
            Val::I32(_) => ValType::I32,
            Val::I64(_) => ValType::I64,
            Val::F32(_) => ValType::F32,
            Val::F64(_) => ValType::F64,
            Val::V128(_) => ValType::V128,
            Val::FuncRef(_) => ValType::FUNCREF,
            Val::ExternRef(_) => ValType::EXTERNREF,
            Val::ExnRef(_) => ValType::EXNREF,
        }
    }

    /// The zero value of `ty`: what locals and new table elements start as
    /// (null for a reference type, even a non-nullable one).
    pub fn default_of(ty: ValType) -> Val {
        match ty {
            ValType::I32 => Val::I32(0),
            ValType::I64 => Val::I64(0),
            ValType::F32 => Val::F32(0),
            ValType::F64 => Val::F64(0),
            ValType::V128 => Val::V128(0),
            ValType::Ref(r) => match r.top() {
                HeapType::Extern => Val::ExternRef(None),
                HeapType::Exn => Val::ExnRef(None),
                HeapType::Func | HeapType::Concrete(_) => Val::FuncRef(None),
            },
        }
    }

    /// An `f32` value.
    pub fn f32(v: f32) -> Val {
        Val::F32(v.to_bits())
    }

    /// An `f64` value.
    pub fn f64(v: f64) -> Val {
        Val::F64(v.to_bits())
    }

    /// The value as the runtime holds it, in store `store`.
    ///
    /// # Panics
    /// When the value is a reference to a function of another store.
    pub(crate) fn to_vm(self, store: StoreId) -> vm::Value {
        match self {
            Val::I32(v) => vm::Value::I32(v),
            Val::I64(v) => vm::Value::I64(v),
            Val::F32(v) => vm::Value::F32(v),
            Val::F64(v) => vm::Value::F64(v),
            Val::V128(v) => vm::Value::V128(v),
            Val::FuncRef(f) => vm::Value::FuncRef(f.map(|f| vm::FuncRef(f.index(store).0))),
            Val::ExternRef(r) => vm::Value::ExternRef(r),
            Val::ExnRef(e) => vm::Value::ExnRef(e.map(|e| e.index(store))),
        }
    }

    /// A runtime value of store `store`.
    pub(crate) fn from_vm(v: vm::Value, store: StoreId) -> Val {
        match v {
            vm::Value::I32(v) => Val::I32(v),
            vm::Value::I64(v) => Val::I64(v),
            vm::Value::F32(v) => Val::F32(v),
            vm::Value::F64(v) => Val::F64(v),
            vm::Value::V128(v) => Val::V128(v),
            vm::Value::FuncRef(f) => Val::FuncRef(f.map(|f| Func::from_vm(store, vm::Func(f.0)))),
            vm::Value::ExternRef(r) => Val::ExternRef(r),
            vm::Value::ExnRef(e) => Val::ExnRef(e.map(|e| ExnRef::from_vm(store, e))),
        }
    }
}

impl fmt::Debug for Val {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Val::I32(v) => write!(f, "i32:{v}"),
            Val::I64(v) => write!(f, "i64:{v}"),
            Val::F32(b) => write!(f, "f32:{}", f32::from_bits(*b)),
            Val::F64(b) => write!(f, "f64:{}", f64::from_bits(*b)),
            Val::V128(v) => write!(f, "v128:{v:#034x}"),
            Val::FuncRef(None) | Val::ExternRef(None) | Val::ExnRef(None) => write!(f, "null"),
            Val::ExnRef(Some(e)) => write!(f, "exnref:{e:?}"),
            Val::FuncRef(Some(r)) => write!(f, "funcref:{r:?}"),
            Val::ExternRef(Some(r)) => write!(f, "externref:{}", r.0),
        }
    }
}

impl From<i32> for Val {
    fn from(v: i32) -> Val {
        Val::I32(v)
    }
}

impl From<i64> for Val {
    fn from(v: i64) -> Val {
        Val::I64(v)
    }
}

impl From<f32> for Val {
    fn from(v: f32) -> Val {
        Val::f32(v)
    }
}

impl From<f64> for Val {
    fn from(v: f64) -> Val {
        Val::f64(v)
    }
}

impl From<Func> for Val {
    fn from(f: Func) -> Val {
        Val::FuncRef(Some(f))
    }
}
