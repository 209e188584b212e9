//! Functions: WebAssembly exports and host functions, called untyped; what
//! a host function sees of its caller.

use crate::externals::Extern;
use crate::store::{AsContext, AsContextMut, StoreContext, StoreContextMut, data_mut_of, data_of};
use crate::typed::{TypedFunc, WasmParams, WasmResults};
use crate::values::Val;
use skiff_vm::runtime::{self as vm, StoreId, Trap};
use skiff_vm::types::FuncType;
use std::marker::PhantomData;
use std::sync::Arc;

/// A function of a store: exported by an instance, or defined by the host.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Func {
    store: StoreId,
    index: vm::Func,
}

impl std::fmt::Debug for Func {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "func {}", self.index.0)
    }
}

/// Panics unless a handle of store `owner` is used with store `used`.
pub(crate) fn check_store(owner: StoreId, used: StoreId) {
    assert!(
        owner == used,
        "a handle of one store was used with another store"
    );
}

/// Resumes a host function's panic that ended a call, now that the call's
/// WebAssembly frames are gone.
pub(crate) fn resume_pending_panic(store: &mut vm::Store) {
    if let Some(payload) = store.take_pending_panic() {
        std::panic::resume_unwind(payload);
    }
}

impl Func {
    pub(crate) fn from_vm(store: StoreId, index: vm::Func) -> Func {
        Func { store, index }
    }

    /// A number that tells this function from the others of its store (its
    /// address there), for display.
    pub fn id(&self) -> u32 {
        self.index.0
    }

    /// The store it belongs to.
    pub(crate) fn store_id(&self) -> StoreId {
        self.store
    }

    /// The function's address in its store, which must be `store`.
    pub(crate) fn index(&self, store: StoreId) -> vm::Func {
        check_store(self.store, store);
        self.index
    }

    /// A host function of type `ty` in `store`: `f` gets the arguments and
    /// writes the results, which start as zeros of their types.
    pub fn new<T: 'static>(
        mut store: impl AsContextMut<Data = T>,
        ty: FuncType,
        f: impl Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<(), Trap> + Send + Sync + 'static,
    ) -> Func {
        let ctx = store.as_context_mut();
        let id = ctx.store.id();
        Func::from_vm(id, ctx.store.host_func(ty.clone(), host_fn(ty, f)))
    }

    /// A host function from a Rust closure whose parameter and result types
    /// are WebAssembly types (`i32`, `u64`, `f32`, ...), optionally taking
    /// the [`Caller`] first and returning `Result<_, Trap>`.
    pub fn wrap<T: 'static, Params, Results>(
        mut store: impl AsContextMut<Data = T>,
        f: impl IntoFunc<T, Params, Results>,
    ) -> Func {
        let (ty, host) = f.into_func();
        let ctx = store.as_context_mut();
        let id = ctx.store.id();
        Func::from_vm(id, ctx.store.host_func(ty, host))
    }

    /// The function's type.
    pub fn ty(&self, store: impl AsContext) -> FuncType {
        let ctx = store.as_context();
        ctx.store.func_type(self.index(ctx.store.id())).clone()
    }

    /// Calls the function with `params`; its results go to `results`, which
    /// must have room for exactly as many as it returns. A trap comes back
    /// as the error; a panic in a host function it calls resumes here, once
    /// the WebAssembly frames are gone.
    pub fn call(
        &self,
        mut store: impl AsContextMut,
        params: &[Val],
        results: &mut [Val],
    ) -> Result<(), Trap> {
        let ctx = store.as_context_mut();
        let id = ctx.store.id();
        let f = self.index(id);
        let n = ctx.store.func_type(f).results().len();
        if results.len() != n {
            return Err(Trap::host(format!(
                "the function returns {n} value(s); room was given for {}",
                results.len()
            )));
        }
        let args: Vec<vm::Value> = params.iter().map(|p| p.to_vm(id)).collect();
        let outcome = ctx.store.call(f, &args);
        resume_pending_panic(ctx.store);
        for (slot, r) in results.iter_mut().zip(outcome?) {
            *slot = Val::from_vm(r, id);
        }
        Ok(())
    }

    /// The function with Rust types for its parameters and results; an
    /// error when its type differs.
    pub fn typed<P: WasmParams, R: WasmResults>(
        &self,
        store: impl AsContext,
    ) -> Result<TypedFunc<P, R>, Trap> {
        TypedFunc::new(store, *self)
    }
}

/// A host function's view of its store and of the instance that called it.
///
/// It gives access to the store's objects (through [`AsContext`] and
/// [`AsContextMut`], like a store) and to the embedder's data, but not to
/// the store itself: WebAssembly frames are active below a host function,
/// and nothing it does may free or move what they use.
pub struct Caller<'a, T: 'static> {
    inner: vm::Caller<'a>,
    _data: PhantomData<fn() -> T>,
}

impl<'a, T: 'static> Caller<'a, T> {
    /// The embedder's data.
    pub fn data(&self) -> &T {
        data_of(self.inner.store())
    }

    /// The embedder's data, mutably.
    pub fn data_mut(&mut self) -> &mut T {
        data_mut_of(self.as_context_mut().store)
    }

    /// The calling instance's export `name`: how host functions find the
    /// guest's memory, by convention exported as `memory`.
    pub fn get_export(&self, name: &str) -> Option<Extern> {
        let id = self.inner.store().id();
        self.inner.export(name).map(|e| Extern::from_vm(id, e))
    }
}

impl<T: 'static> AsContext for Caller<'_, T> {
    type Data = T;
    fn as_context(&self) -> StoreContext<'_, T> {
        StoreContext::new(self.inner.store())
    }
}

impl<T: 'static> AsContextMut for Caller<'_, T> {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, T> {
        // SAFETY: the store is only reached through a `StoreContextMut`,
        // whose operations never move or replace the store itself.
        StoreContextMut::new(unsafe { self.inner.store_mut() })
    }
}

/// The runtime's form of a host function of type `ty` written as `f`.
pub(crate) fn host_fn<T: 'static>(
    ty: FuncType,
    f: impl Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<(), Trap> + Send + Sync + 'static,
) -> Arc<vm::HostFn> {
    Arc::new(
        move |caller: vm::Caller<'_>, args: &[vm::Value], results: &mut Vec<vm::Value>| {
            let id = caller.store().id();
            let params: Vec<Val> = args.iter().map(|a| Val::from_vm(*a, id)).collect();
            let mut out: Vec<Val> = ty.results().iter().map(|t| Val::default_of(*t)).collect();
            let caller = Caller {
                inner: caller,
                _data: PhantomData,
            };
            f(caller, &params, &mut out)?;
            results.extend(out.iter().map(|v| v.to_vm(id)));
            Ok(())
        },
    )
}

/// A Rust closure that can be a host function: see [`Func::wrap`] and
/// [`Linker::func_wrap`](crate::Linker::func_wrap).
pub trait IntoFunc<T, Params, Results>: Send + Sync + 'static {
    /// Its WebAssembly type and its runtime form.
    #[doc(hidden)]
    fn into_func(self) -> (FuncType, Arc<vm::HostFn>);
}

/// What a wrapped closure may return: results, or results or a trap.
pub trait HostResults {
    /// The results' Rust types.
    type Results: WasmResults;
    /// As a result or a trap.
    fn into_result(self) -> Result<Self::Results, Trap>;
}

impl<R: WasmResults> HostResults for R {
    type Results = R;
    fn into_result(self) -> Result<R, Trap> {
        Ok(self)
    }
}

impl<R: WasmResults> HostResults for Result<R, Trap> {
    type Results = R;
    fn into_result(self) -> Result<R, Trap> {
        self
    }
}

macro_rules! into_func {
    ($($p:ident)*) => {
        impl<T: 'static, F, $($p: crate::typed::WasmTy,)* R: HostResults> IntoFunc<T, ($($p,)*), R> for F
        where
            F: Fn($($p),*) -> R + Send + Sync + 'static,
        {
            #[allow(non_snake_case)]
            fn into_func(self) -> (FuncType, Arc<vm::HostFn>) {
                let ty = FuncType::new(<($($p,)*) as WasmParams>::types(), R::Results::types());
                let host = host_fn::<T>(ty.clone(), move |_caller, args, results| {
                    let ($($p,)*) = <($($p,)*) as WasmParams>::from_vals(args)
                        .ok_or_else(|| Trap::host("arguments of the wrong types"))?;
                    let r = self($($p),*).into_result()?;
                    r.write_vals(results);
                    Ok(())
                });
                (ty, host)
            }
        }

        impl<T: 'static, F, $($p: crate::typed::WasmTy,)* R: HostResults>
            IntoFunc<T, (Caller<'static, T>, $($p,)*), R> for F
        where
            F: Fn(Caller<'_, T>, $($p),*) -> R + Send + Sync + 'static,
        {
            #[allow(non_snake_case)]
            fn into_func(self) -> (FuncType, Arc<vm::HostFn>) {
                let ty = FuncType::new(<($($p,)*) as WasmParams>::types(), R::Results::types());
                let host = host_fn::<T>(ty.clone(), move |caller, args, results| {
                    let ($($p,)*) = <($($p,)*) as WasmParams>::from_vals(args)
                        .ok_or_else(|| Trap::host("arguments of the wrong types"))?;
                    let r = self(caller, $($p),*).into_result()?;
                    r.write_vals(results);
                    Ok(())
                });
                (ty, host)
            }
        }
    };
}

into_func!();
into_func!(A1);
into_func!(A1 A2);
into_func!(A1 A2 A3);
into_func!(A1 A2 A3 A4);
into_func!(A1 A2 A3 A4 A5);
into_func!(A1 A2 A3 A4 A5 A6);
into_func!(A1 A2 A3 A4 A5 A6 A7);
into_func!(A1 A2 A3 A4 A5 A6 A7 A8);
