//! Typed calls: Rust types for a function's parameters and results.

use crate::func::Func;
use crate::store::{AsContext, AsContextMut};
use crate::values::Val;
use skiff_vm::runtime::Trap;
use skiff_vm::types::ValType;
use std::marker::PhantomData;

/// A Rust type that is a WebAssembly value type.
pub trait WasmTy: Sized {
    /// The WebAssembly type.
    const TY: ValType;
    /// As a value.
    fn into_val(self) -> Val;
    /// From a value of type [`Self::TY`].
    fn from_val(v: Val) -> Option<Self>;
}

macro_rules! wasm_ty {
    ($($t:ty => $vt:ident, $variant:ident, $to:expr, $from:expr;)*) => {$(
        impl WasmTy for $t {
            const TY: ValType = ValType::$vt;
            fn into_val(self) -> Val {
                Val::$variant(($to)(self))
            }
            fn from_val(v: Val) -> Option<Self> {
                match v {
                    Val::$variant(x) => Some(($from)(x)),
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

impl WasmTy for Option<Func> {
    const TY: ValType = ValType::FUNCREF;
    fn into_val(self) -> Val {
        Val::FuncRef(self)
    }
    fn from_val(v: Val) -> Option<Self> {
        match v {
            Val::FuncRef(f) => Some(f),
            _ => None,
        }
    }
}

/// Parameters of a typed call: `()`, one value type, or a tuple of them.
pub trait WasmParams: Sized {
    /// Their WebAssembly types.
    fn types() -> Vec<ValType>;
    /// As values.
    fn into_vals(self) -> Vec<Val>;
    /// From values of their types.
    fn from_vals(values: &[Val]) -> Option<Self>;
}

/// Results of a typed call: `()`, one value type, or a tuple of them.
pub trait WasmResults: Sized {
    /// Their WebAssembly types.
    fn types() -> Vec<ValType>;
    /// From the values a call returned.
    fn from_vals(values: &[Val]) -> Option<Self>;
    /// Written to result slots of their types.
    fn write_vals(self, out: &mut [Val]);
}

impl<T: WasmTy> WasmParams for T {
    fn types() -> Vec<ValType> {
        vec![T::TY]
    }
    fn into_vals(self) -> Vec<Val> {
        vec![self.into_val()]
    }
    fn from_vals(values: &[Val]) -> Option<Self> {
        match values {
            [v] => T::from_val(*v),
            _ => None,
        }
    }
}

impl<T: WasmTy> WasmResults for T {
    fn types() -> Vec<ValType> {
        vec![T::TY]
    }
    fn from_vals(values: &[Val]) -> Option<Self> {
        match values {
            [v] => T::from_val(*v),
            _ => None,
        }
    }
    fn write_vals(self, out: &mut [Val]) {
        out[0] = self.into_val();
    }
}

macro_rules! tuples {
    ($(($($t:ident),*))*) => {$(
        impl<$($t: WasmTy),*> WasmParams for ($($t,)*) {
            fn types() -> Vec<ValType> {
                vec![$($t::TY),*]
            }
            #[allow(non_snake_case)]
            fn into_vals(self) -> Vec<Val> {
                let ($($t,)*) = self;
                vec![$($t.into_val()),*]
            }
            #[allow(non_snake_case, unused_mut, unused_variables)]
            fn from_vals(values: &[Val]) -> Option<Self> {
                let mut it = values.iter();
                let r = ($($t::from_val(*it.next()?)?,)*);
                it.next().is_none().then_some(r)
            }
        }
        impl<$($t: WasmTy),*> WasmResults for ($($t,)*) {
            fn types() -> Vec<ValType> {
                vec![$($t::TY),*]
            }
            #[allow(non_snake_case, unused_mut, unused_variables)]
            fn from_vals(values: &[Val]) -> Option<Self> {
                let mut it = values.iter();
                let r = ($($t::from_val(*it.next()?)?,)*);
                it.next().is_none().then_some(r)
            }
            #[allow(non_snake_case, unused_mut, unused_variables)]
            fn write_vals(self, out: &mut [Val]) {
                let ($($t,)*) = self;
                let mut it = out.iter_mut();
                $(*it.next().expect("a slot per result") = $t.into_val();)*
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
    (A, B, C, D, E, F, G)
    (A, B, C, D, E, F, G, H)
}

/// A function whose type was checked against `P` and `R` once.
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
    pub fn new(store: impl AsContext, func: Func) -> Result<Self, Trap> {
        let ty = func.ty(store);
        if ty.params() != P::types().as_slice() || ty.results() != R::types().as_slice() {
            return Err(Trap::host(format!(
                "function type {ty} differs from the requested one"
            )));
        }
        Ok(TypedFunc {
            func,
            _types: PhantomData,
        })
    }

    /// Calls the function.
    pub fn call(&self, store: impl AsContextMut, params: P) -> Result<R, Trap> {
        let mut results = vec![Val::I32(0); R::types().len()];
        self.func.call(store, &params.into_vals(), &mut results)?;
        Ok(R::from_vals(&results).expect("the type was checked when the TypedFunc was made"))
    }

    /// The untyped function.
    pub fn func(&self) -> Func {
        self.func
    }
}
