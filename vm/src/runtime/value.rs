//! Runtime values.

use super::store::Func;
use crate::types::{HeapType, ValType};
use std::fmt;

/// A reference to a function in a store: the function's address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FuncRef(pub u32);

/// An opaque host reference, as `externref` carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExternRef(pub u32);

/// A caught exception, as `exnref` carries it: its index among the store's
/// exceptions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExnRef(pub u32);

/// A WebAssembly value. Floats are kept as bits so NaN payloads survive.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub enum Value {
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
    FuncRef(Option<FuncRef>),
    /// An `externref`, `None` for null.
    ExternRef(Option<ExternRef>),
    /// An `exnref`, `None` for null.
    ExnRef(Option<ExnRef>),
}

impl Value {
    /// The type of this value.
    pub fn ty(&self) -> ValType {
        match self {
            Value::I32(_) => ValType::I32,
            Value::I64(_) => ValType::I64,
            Value::F32(_) => ValType::F32,
            Value::F64(_) => ValType::F64,
            Value::V128(_) => ValType::V128,
            Value::FuncRef(_) => ValType::FUNCREF,
            Value::ExternRef(_) => ValType::EXTERNREF,
            Value::ExnRef(_) => ValType::EXNREF,
        }
    }

    /// Whether this is a null reference.
    pub fn is_null(&self) -> bool {
        matches!(
            self,
            Value::FuncRef(None) | Value::ExternRef(None) | Value::ExnRef(None)
        )
    }

    /// The zero value of `ty`: what locals and new table slots start as
    /// (null for a reference type, even a non-nullable one).
    pub fn default_of(ty: ValType) -> Value {
        match ty {
            ValType::I32 => Value::I32(0),
            ValType::I64 => Value::I64(0),
            ValType::F32 => Value::F32(0),
            ValType::F64 => Value::F64(0),
            ValType::V128 => Value::V128(0),
            ValType::Ref(r) => match r.top() {
                HeapType::Extern => Value::ExternRef(None),
                HeapType::Exn => Value::ExnRef(None),
                HeapType::Func | HeapType::Concrete(_) => Value::FuncRef(None),
            },
        }
    }

    /// An `f32` value.
    pub fn f32(v: f32) -> Value {
        Value::F32(v.to_bits())
    }

    /// An `f64` value.
    pub fn f64(v: f64) -> Value {
        Value::F64(v.to_bits())
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::I32(v) => write!(f, "i32:{v}"),
            Value::I64(v) => write!(f, "i64:{v}"),
            Value::F32(b) => write!(f, "f32:{}", f32::from_bits(*b)),
            Value::F64(b) => write!(f, "f64:{}", f64::from_bits(*b)),
            Value::V128(v) => write!(f, "v128:{v:#034x}"),
            Value::FuncRef(None) | Value::ExternRef(None) | Value::ExnRef(None) => {
                write!(f, "null")
            }
            Value::ExnRef(Some(r)) => write!(f, "exnref:{}", r.0),
            Value::FuncRef(Some(r)) => write!(f, "funcref:{}", r.0),
            Value::ExternRef(Some(r)) => write!(f, "externref:{}", r.0),
        }
    }
}

/// A reference as tables, globals and the tiers' value stacks hold it: 0 is
/// null, otherwise the function address (or externref or exception id) plus one. The
/// encoding lives here only: everything else goes through [`func_ref`],
/// [`ref_to_func`] and [`Value::to_raw`] / [`Value::from_raw`].
pub type RawRef = u64;

/// The null reference.
pub const NULL_REF: RawRef = 0;

/// The reference to store function `f`.
pub fn func_ref(f: Func) -> RawRef {
    f.0 as u64 + 1
}

/// The store function a function reference names; `None` for null.
pub fn ref_to_func(r: RawRef) -> Option<Func> {
    r.checked_sub(1).map(|a| Func(a as u32))
}

/// The raw reference to exception `e`.
pub fn exn_ref(e: ExnRef) -> RawRef {
    e.0 as u64 + 1
}

/// The exception an `exnref` names; `None` for null.
pub fn ref_to_exn(r: RawRef) -> Option<ExnRef> {
    r.checked_sub(1).map(|a| ExnRef(a as u32))
}

/// How many 64-bit slots a value of type `ty` takes where the runtime and
/// the tiers pass values as slots: two for a `v128` (low half first), one
/// for anything else.
pub fn slots_of(ty: ValType) -> usize {
    if ty == ValType::V128 { 2 } else { 1 }
}

/// How many 64-bit slots values of `types` take, in order.
pub fn slot_count(types: &[ValType]) -> usize {
    types.iter().map(|t| slots_of(*t)).sum()
}

/// Writes `values` to `slots`, each taking [`slots_of`] its type.
pub fn write_slots(values: &[Value], slots: &mut [u64]) {
    let mut at = 0;
    for v in values {
        match *v {
            Value::V128(x) => {
                slots[at] = x as u64;
                slots[at + 1] = (x >> 64) as u64;
                at += 2;
            }
            v => {
                slots[at] = v.to_raw();
                at += 1;
            }
        }
    }
}

/// Reads values of `types` from `slots`, each taking [`slots_of`] its type.
pub fn read_slots(types: &[ValType], slots: &[u64]) -> Vec<Value> {
    let mut at = 0;
    types
        .iter()
        .map(|&t| {
            let v = if t == ValType::V128 {
                Value::V128(u128::from(slots[at]) | (u128::from(slots[at + 1]) << 64))
            } else {
                Value::from_raw(t, slots[at])
            };
            at += slots_of(t);
            v
        })
        .collect()
}

impl Value {
    /// All 128 bits of the value as a global holds them: a `v128` whole,
    /// anything else as [`Value::to_raw`] in the low half.
    pub fn to_bits128(&self) -> u128 {
        match *self {
            Value::V128(x) => x,
            v => u128::from(v.to_raw()),
        }
    }

    /// The value of type `ty` whose bits are `bits` (see [`Value::to_bits128`]).
    pub fn from_bits128(ty: ValType, bits: u128) -> Value {
        match ty {
            ValType::V128 => Value::V128(bits),
            t => Value::from_raw(t, bits as u64),
        }
    }

    /// This value as the 64 bits a tier's stack slot holds (a `v128`'s low half).
    pub fn to_raw(&self) -> u64 {
        match *self {
            Value::I32(v) => v as u32 as u64,
            Value::I64(v) => v as u64,
            Value::F32(b) => b as u64,
            Value::F64(b) => b,
            Value::V128(v) => v as u64,
            Value::FuncRef(r) => r.map_or(NULL_REF, |f| func_ref(Func(f.0))),
            Value::ExternRef(r) => r.map_or(NULL_REF, |e| e.0 as u64 + 1),
            Value::ExnRef(r) => r.map_or(NULL_REF, exn_ref),
        }
    }

    /// The value of type `ty` that stack slot bits `raw` hold.
    pub fn from_raw(ty: ValType, raw: u64) -> Value {
        match ty {
            ValType::I32 => Value::I32(raw as u32 as i32),
            ValType::I64 => Value::I64(raw as i64),
            ValType::F32 => Value::F32(raw as u32),
            ValType::F64 => Value::F64(raw),
            ValType::V128 => Value::V128(raw as u128),
            ValType::Ref(r) => match r.top() {
                HeapType::Extern => {
                    Value::ExternRef(raw.checked_sub(1).map(|a| ExternRef(a as u32)))
                }
                HeapType::Exn => Value::ExnRef(ref_to_exn(raw)),
                HeapType::Func | HeapType::Concrete(_) => {
                    Value::FuncRef(ref_to_func(raw).map(|f| FuncRef(f.0)))
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_keep_their_nan_payloads() {
        let nan = f32::from_bits(0x7fa0_0001);
        assert_eq!(Value::f32(nan), Value::F32(0x7fa0_0001));
        assert_eq!(Value::default_of(ValType::F64), Value::F64(0));
        assert_eq!(
            Value::default_of(ValType::EXTERNREF).ty(),
            ValType::EXTERNREF
        );
    }
}
