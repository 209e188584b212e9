//! Functions of a store: WebAssembly functions of an instance, and host
//! functions (Rust closures).

use super::caller::Caller;
use super::store::InstanceId;
use super::trap::Trap;
use super::value::Value;
use crate::types::FuncType;
use std::fmt;
use std::sync::Arc;

/// The signature of a host function: its caller, the arguments (already
/// checked against its type), and the vector its results go to.
pub type HostFn = dyn Fn(Caller<'_>, &[Value], &mut Vec<Value>) -> Result<(), Trap> + Send + Sync;

/// How a function is implemented.
#[derive(Clone)]
pub enum FuncKind {
    /// Function `index` (a function index of its module) of a WebAssembly instance.
    Wasm {
        /// The instance.
        instance: InstanceId,
        /// Its index in the module.
        index: u32,
    },
    /// A host function.
    Host(Arc<HostFn>),
}

/// A function: its type and its implementation.
#[derive(Clone)]
pub struct FuncEntity {
    pub(crate) ty: FuncType,
    pub(crate) kind: FuncKind,
}

impl FuncEntity {
    pub(crate) fn new(ty: FuncType, kind: FuncKind) -> Self {
        FuncEntity { ty, kind }
    }

    /// Its type.
    pub fn ty(&self) -> &FuncType {
        &self.ty
    }

    /// How it is implemented.
    pub fn kind(&self) -> &FuncKind {
        &self.kind
    }

    /// The instance and module function index of a WebAssembly function.
    pub fn wasm(&self) -> Option<(InstanceId, u32)> {
        match self.kind {
            FuncKind::Wasm { instance, index } => Some((instance, index)),
            FuncKind::Host(_) => None,
        }
    }
}

impl fmt::Debug for FuncEntity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            FuncKind::Wasm { instance, index } => write!(
                f,
                "wasm func {index} of instance {} {}",
                instance.0, self.ty
            ),
            FuncKind::Host(_) => write!(f, "host func {}", self.ty),
        }
    }
}
