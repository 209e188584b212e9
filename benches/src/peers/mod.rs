//! The peers: other engines measured in the same run as Skiff, each behind a
//! cargo feature so that the default build compiles none of them.
//!
//! | feature | engine | WASI |
//! | --- | --- | --- |
//! | `peer-wasmtime` | wasmtime 48 (Cranelift 0.135, the Cranelift of Skiff's JIT), default `Config`; `wasmtime-pooling` (only when `SKIFF_BENCH_ENGINES` names it) with the pooling allocator | `wasmtime-wasi` 48, preview1 |
//! | `peer-wasmi` | wasmi 2, default `Config` | `wasmi_wasi` 2 |
//! | `peer-wasm3` | wasm3 through the `wasm3` 0.3 bindings | this crate's [`wasi`](crate::wasi) shim |
//!
//! `peers` turns on all three.

#[cfg(feature = "peer-wasm3")]
pub mod wasm3;
#[cfg(feature = "peer-wasmi")]
pub mod wasmi;
#[cfg(feature = "peer-wasmtime")]
pub mod wasmtime;

use crate::Engine;

/// The peers that the enabled features bring in, fastest first.
pub fn all() -> Vec<Box<dyn Engine>> {
    #[allow(unused_mut)]
    let mut peers: Vec<Box<dyn Engine>> = Vec::new();
    #[cfg(feature = "peer-wasmtime")]
    {
        peers.push(Box::new(wasmtime::Wasmtime::new()));
        // For instance-per-request figures; only when asked for by name.
        if crate::env_list("SKIFF_BENCH_ENGINES")
            .iter()
            .any(|e| e == "wasmtime-pooling")
        {
            peers.push(Box::new(wasmtime::Wasmtime::pooling()));
        }
    }
    #[cfg(feature = "peer-wasmi")]
    peers.push(Box::new(wasmi::Wasmi::new()));
    #[cfg(feature = "peer-wasm3")]
    peers.push(Box::new(wasm3::Wasm3::new()));
    peers
}
