//! What a store keeps of the engine it was made for.
//!
//! A store holds its engine through one reference-counted pointer to
//! whatever implements [`EngineShared`], so that making and dropping a
//! store touches one shared count: a host making a store per request on
//! several threads would otherwise pass a cache line per count back and
//! forth between cores.

use super::metering::Epoch;
use super::pool::{MemoryPool, TablePool};
use std::any::Any;
use std::sync::OnceLock;

/// What the stores of one engine share: the epoch counter their code
/// reads and, with pooling, the pools their memories and tables come from.
/// The embedding layer's engine implements it and finds itself again
/// through [`Any`].
pub trait EngineShared: Any + Send + Sync {
    /// The engine's epoch counter.
    fn epoch(&self) -> &Epoch;

    /// With pooling, the pool the stores take memories from.
    fn memory_pool(&self) -> Option<&MemoryPool>;

    /// With pooling, the pool the stores take tables from.
    fn table_pool(&self) -> Option<&TablePool> {
        None
    }
}

/// The epoch of a store made without an engine: a counter nothing advances.
pub(crate) fn detached_epoch() -> &'static Epoch {
    static EPOCH: OnceLock<Epoch> = OnceLock::new();
    EPOCH.get_or_init(Epoch::new)
}
