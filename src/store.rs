//! Stores and the contexts through which the API reaches them.
//!
//! A [`Store`] owns every runtime object its instances create, plus the
//! embedder's data `T`. Every handle ([`Func`](crate::Func),
//! [`Memory`](crate::Memory), ...) names the store it belongs to; using it
//! with another store panics, as indexing a slice out of bounds does.
//!
//! Functions that need a store take `impl AsContext` (to read) or `impl
//! AsContextMut` (to change), so that the same call works from the embedder
//! (`&mut store`) and from inside a host function (`&mut caller`). Neither
//! context hands out the store itself: WebAssembly frames may be active
//! below a host function and compiled code points into the store, so the
//! store can be changed only through operations that keep those pointers
//! valid.

use crate::engine::Engine;
use skiff_vm::runtime as vm;
use skiff_vm::runtime::ResourceLimiter;
use skiff_vm::runtime::Trap;
use std::marker::PhantomData;

/// The runtime objects of a group of instances, and the embedder's data `T`
/// that host functions reach through their [`Caller`](crate::Caller).
pub struct Store<T: 'static = ()> {
    inner: vm::Store,
    _data: PhantomData<fn() -> T>,
}

impl<T: Send + 'static> Store<T> {
    /// An empty store for modules of `engine`, holding `data`.
    pub fn new(engine: &Engine, data: T) -> Store<T> {
        let mut inner = vm::Store::new(engine.memory_config());
        inner.set_data(Box::new(data));
        inner.set_engine(engine.shared());
        Store {
            inner,
            _data: PhantomData,
        }
    }
}

impl<T: 'static> Store<T> {
    /// The embedder's data.
    pub fn data(&self) -> &T {
        data_of(&self.inner)
    }

    /// The embedder's data, mutably.
    pub fn data_mut(&mut self) -> &mut T {
        data_mut_of(&mut self.inner)
    }

    /// Sets the fuel left to `fuel`; an error unless the store's engine
    /// meters fuel ([`Config::consume_fuel`](crate::Config::consume_fuel)).
    pub fn set_fuel(&mut self, fuel: u64) -> Result<(), Trap> {
        self.check_fuel()?;
        self.inner.set_fuel(fuel);
        Ok(())
    }

    /// The fuel left (zero when straight-line code overdrew it); an error
    /// unless the store's engine meters fuel.
    pub fn get_fuel(&self) -> Result<u64, Trap> {
        self.check_fuel()?;
        Ok(self.inner.fuel())
    }

    fn check_fuel(&self) -> Result<(), Trap> {
        let metering = self.inner.engine().and_then(|e| Engine::metering_of(&**e));
        match metering {
            Some(m) if m.fuel => Ok(()),
            _ => Err(Trap::host(
                "fuel is not enabled: make the engine with Config::consume_fuel(true)",
            )),
        }
    }

    /// Code of this store traps with [`TrapKind::Interrupted`](crate::TrapKind::Interrupted)
    /// once the engine's epoch has advanced `ticks` past its current value
    /// (with [`Config::epoch_interruption`](crate::Config::epoch_interruption)
    /// on; without a deadline, never).
    pub fn set_epoch_deadline(&mut self, ticks: u64) {
        self.inner.set_epoch_deadline(ticks);
    }

    /// The engine this store was made for, if it was made with one.
    pub fn engine(&self) -> Option<Engine> {
        self.inner.engine().and_then(Engine::of_shared)
    }

    /// Makes a resource limiter kept in the store's data decide how far
    /// this store's memories and tables may grow and how many instances,
    /// memories and tables it may hold: `limiter` finds it in the data each
    /// time a limit is checked (as in wasmtime, so the host may keep the
    /// limiter's state beside its own). The limiter is
    /// [`StoreLimits`](crate::StoreLimits) (configured with numbers through
    /// [`StoreLimitsBuilder`](crate::StoreLimitsBuilder)) or the host's own
    /// [`ResourceLimiter`]. A store without one applies
    /// [`StoreLimits::default`](crate::StoreLimits::default).
    ///
    /// A request past a limit is a failed allocation: `memory.grow` and
    /// `table.grow` return -1, [`Memory::grow`](crate::Memory::grow) and
    /// [`Table::grow`](crate::Table::grow) an error, instantiation an
    /// [`InstantiationError::Resource`](crate::InstantiationError::Resource)
    /// naming the limit. Set it before instantiating anything: objects made
    /// before do not count.
    ///
    /// ```
    /// use skiff::{Engine, Linker, Module, Store, StoreLimits, StoreLimitsBuilder};
    ///
    /// let engine = Engine::default();
    /// let limits = StoreLimitsBuilder::new().memory_size(1 << 20).build();
    /// let mut store = Store::new(&engine, limits);
    /// store.limiter(|limits: &mut StoreLimits| limits);
    /// let module = Module::new(&engine, br#"(module (memory 1)
    ///     (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))"#).unwrap();
    /// let instance = Linker::new().instantiate(&mut store, &module).unwrap();
    /// let grow = instance.get_typed_func::<i32, i32>(&store, "grow").unwrap();
    /// assert_eq!(grow.call(&mut store, 15).unwrap(), 1); // 16 pages: 1 MiB
    /// assert_eq!(grow.call(&mut store, 1).unwrap(), -1); // past the limit
    /// ```
    pub fn limiter(
        &mut self,
        mut limiter: impl (FnMut(&mut T) -> &mut dyn ResourceLimiter) + Send + 'static,
    ) {
        self.inner.set_limiter(Box::new(move |data| {
            limiter(data.downcast_mut::<T>().expect("a Store<T> holds a T"))
        }));
    }

    /// Bytes of native stack that JIT code may use below its outermost
    /// entry on a thread (1 MiB by default). The thread's real stack bounds
    /// it too: the last [`HOST_RESERVE`](crate::HOST_RESERVE) bytes of the stack stay for host
    /// functions. Deeper recursion is a [`TrapKind::StackExhausted`](crate::TrapKind::StackExhausted) trap.
    pub fn max_wasm_stack(&self) -> usize {
        self.inner.max_wasm_stack()
    }

    /// Sets [`Store::max_wasm_stack`].
    pub fn set_max_wasm_stack(&mut self, bytes: usize) {
        self.inner.set_max_wasm_stack(bytes);
    }

    /// Bytes of the interpreter's own stacks (its value slots and call
    /// frames, on the heap) that one call from the host may use (8 MiB by
    /// default, which lets programs recurse at least as deep as wasmtime's
    /// default). Deeper recursion is a
    /// [`TrapKind::StackExhausted`](crate::TrapKind::StackExhausted) trap.
    pub fn max_interp_stack(&self) -> usize {
        self.inner.max_interp_stack()
    }

    /// Sets [`Store::max_interp_stack`].
    pub fn set_max_interp_stack(&mut self, bytes: usize) {
        self.inner.set_max_interp_stack(bytes);
    }
}

impl Default for Store<()> {
    /// A store whose memories reserve the default address space (see
    /// [`MemoryConfig::GUARDED`](crate::MemoryConfig::GUARDED)).
    fn default() -> Self {
        Store {
            inner: vm::Store::default(),
            _data: PhantomData,
        }
    }
}

impl<T: 'static> std::fmt::Debug for Store<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.inner.fmt(f)
    }
}

pub(crate) fn data_of<T: 'static>(store: &vm::Store) -> &T {
    store
        .data()
        .downcast_ref::<T>()
        .expect("a Store<T> holds a T")
}

pub(crate) fn data_mut_of<T: 'static>(store: &mut vm::Store) -> &mut T {
    store
        .data_mut()
        .downcast_mut::<T>()
        .expect("a Store<T> holds a T")
}

/// Read access to a store, from [`AsContext::as_context`].
pub struct StoreContext<'a, T: 'static> {
    pub(crate) store: &'a vm::Store,
    _data: PhantomData<fn() -> T>,
}

/// Access to a store that may change it, from [`AsContextMut::as_context_mut`].
pub struct StoreContextMut<'a, T: 'static> {
    pub(crate) store: &'a mut vm::Store,
    _data: PhantomData<fn() -> T>,
}

impl<'a, T: 'static> StoreContext<'a, T> {
    pub(crate) fn new(store: &'a vm::Store) -> Self {
        StoreContext {
            store,
            _data: PhantomData,
        }
    }

    /// The embedder's data.
    pub fn data(&self) -> &'a T {
        data_of(self.store)
    }
}

impl<'a, T: 'static> StoreContextMut<'a, T> {
    pub(crate) fn new(store: &'a mut vm::Store) -> Self {
        StoreContextMut {
            store,
            _data: PhantomData,
        }
    }

    /// The embedder's data.
    pub fn data(&self) -> &T {
        data_of(self.store)
    }

    /// The embedder's data, mutably.
    pub fn data_mut(&mut self) -> &mut T {
        data_mut_of(self.store)
    }
}

/// Something that gives read access to a store: a [`Store`], a
/// [`Caller`](crate::Caller), a context, or a reference to one of them.
pub trait AsContext {
    /// The store's data type.
    type Data: 'static;
    /// The store, to read.
    fn as_context(&self) -> StoreContext<'_, Self::Data>;
}

/// Something that gives access to change a store.
pub trait AsContextMut: AsContext {
    /// The store, to change.
    fn as_context_mut(&mut self) -> StoreContextMut<'_, Self::Data>;
}

impl<T: 'static> AsContext for Store<T> {
    type Data = T;
    fn as_context(&self) -> StoreContext<'_, T> {
        StoreContext::new(&self.inner)
    }
}

impl<T: 'static> AsContextMut for Store<T> {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, T> {
        StoreContextMut::new(&mut self.inner)
    }
}

impl<T: 'static> AsContext for StoreContext<'_, T> {
    type Data = T;
    fn as_context(&self) -> StoreContext<'_, T> {
        StoreContext::new(self.store)
    }
}

impl<T: 'static> AsContext for StoreContextMut<'_, T> {
    type Data = T;
    fn as_context(&self) -> StoreContext<'_, T> {
        StoreContext::new(self.store)
    }
}

impl<T: 'static> AsContextMut for StoreContextMut<'_, T> {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, T> {
        StoreContextMut::new(self.store)
    }
}

impl<C: AsContext + ?Sized> AsContext for &C {
    type Data = C::Data;
    fn as_context(&self) -> StoreContext<'_, C::Data> {
        (**self).as_context()
    }
}

impl<C: AsContext + ?Sized> AsContext for &mut C {
    type Data = C::Data;
    fn as_context(&self) -> StoreContext<'_, C::Data> {
        (**self).as_context()
    }
}

impl<C: AsContextMut + ?Sized> AsContextMut for &mut C {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, C::Data> {
        (**self).as_context_mut()
    }
}
