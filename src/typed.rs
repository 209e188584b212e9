//! Typed calls: Rust types for a function's parameters and results.

use skiff_vm::runtime::{Func, Store, Trap, Value};
use skiff_vm::types::ValType;
use std::marker::PhantomData;

/// A Rust type that is a WebAssembly value type.
pub trait WasmTy: Sized {
    /// The WebAssembly type.
    const TY: ValType;
    /// As a value.
    fn into_value(self) -> Value;
    /// From a value of type [`Self::TY`].
    fn from_value(v: Value) -> Option<Self>;
}

macro_rules! wasm_ty {
    ($($t:ty => $vt:ident, $variant:ident, $to:expr, $from:expr;)*) => {$(
        impl WasmTy for $t {
            const TY: ValType = ValType::$vt;
            fn into_value(self) -> Value {
                Value::$variant(($to)(self))
            }
            fn from_value(v: Value) -> Option<Self> {
                match v {
                    Value::$variant(x) => Some(($from)(x)),
                    _ => None,
                }
            }
        }
    )*};
}

wasm_ty! {
    i32 => I32, I32, |x| x, |x| x;
    u32 => I32, I32, |x: u32| x as i32, |x: i32| x as u32;
    i64 => I64, I64, |x| x, |x| x;
    u64 => I64, I64, |x: u64| x as i64, |x: i64| x as u64;
    f32 => F32, F32, f32::to_bits, f32::from_bits;
    f64 => F64, F64, f64::to_bits, f64::from_bits;
}

/// Parameters of a typed call: `()`, one value type, or a tuple of them.
pub trait WasmParams {
    /// Their WebAssembly types.
    fn types() -> Vec<ValType>;
    /// As values.
    fn into_values(self) -> Vec<Value>;
}

/// Results of a typed call: `()`, one value type, or a tuple of them.
pub trait WasmResults: Sized {
    /// Their WebAssembly types.
    fn types() -> Vec<ValType>;
    /// From the values a call returned.
    fn from_values(values: &[Value]) -> Option<Self>;
}

impl<T: WasmTy> WasmParams for T {
    fn types() -> Vec<ValType> {
        vec![T::TY]
    }
    fn into_values(self) -> Vec<Value> {
        vec![self.into_value()]
    }
}

impl<T: WasmTy> WasmResults for T {
    fn types() -> Vec<ValType> {
        vec![T::TY]
    }
    fn from_values(values: &[Value]) -> Option<Self> {
        match values {
            [v] => T::from_value(*v),
            _ => None,
        }
    }
}

macro_rules! tuples {
    ($(($($t:ident),*))*) => {$(
        impl<$($t: WasmTy),*> WasmParams for ($($t,)*) {
            fn types() -> Vec<ValType> {
                vec![$($t::TY),*]
            }
            #[allow(non_snake_case)]
            fn into_values(self) -> Vec<Value> {
                let ($($t,)*) = self;
                vec![$($t.into_value()),*]
            }
        }
        impl<$($t: WasmTy),*> WasmResults for ($($t,)*) {
            fn types() -> Vec<ValType> {
                vec![$($t::TY),*]
            }
            #[allow(non_snake_case, unused_mut, unused_variables)]
            fn from_values(values: &[Value]) -> Option<Self> {
                let mut it = values.iter();
                let r = ($($t::from_value(*it.next()?)?,)*);
                it.next().is_none().then_some(r)
            }
        }
    )*};
}

tuples! {
    ()
    (A)
    (A, B)
    (A, B, C)
    (A, B, C, D)
    (A, B, C, D, E)
    (A, B, C, D, E, F)
}

/// A function whose type was checked against `P` and `R` once, so calls convert without checks.
pub struct TypedFunc<P, R> {
    func: Func,
    _types: PhantomData<fn(P) -> R>,
}

impl<P, R> Clone for TypedFunc<P, R> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<P, R> Copy for TypedFunc<P, R> {}

impl<P: WasmParams, R: WasmResults> TypedFunc<P, R> {
    /// Checks `func`'s type against `P` and `R`.
    pub fn new(store: &Store, func: Func) -> Result<Self, String> {
        let ty = store.func_type(func);
        if ty.params() != P::types().as_slice() || ty.results() != R::types().as_slice() {
            return Err(format!("function type {ty} differs from the requested one"));
        }
        Ok(TypedFunc {
            func,
            _types: PhantomData,
        })
    }

    /// Calls the function.
    pub fn call(&self, store: &mut Store, params: P) -> Result<R, Trap> {
        let results = store.call(self.func, &params.into_values())?;
        Ok(R::from_values(&results).expect("the type was checked when the TypedFunc was made"))
    }

    /// The untyped function.
    pub fn func(&self) -> Func {
        self.func
    }
}
