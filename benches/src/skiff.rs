//! Skiff's side of the harness: decode and validate now, and the list of
//! execution tiers, which is empty until the first tier lands.
//!
//! # Where a tier plugs in
//!
//! A tier (the threaded-code interpreter, `skiff-interp`; the Cranelift JIT,
//! `skiff-jit`) implements [`Engine`](crate::Engine) in a module of this crate
//! and is pushed onto the vector in [`tiers`]. Nothing else changes:
//!
//! - `tests/corpus.rs` runs every corpus program at its SMALL size on it and
//!   checks the checksum (in CI, without clang).
//! - `benches/throughput.rs` runs every program at its BENCH size on it, in the
//!   same criterion group as the peers, so the chart shows its ratios.
//! - `benches/startup.rs` times `Engine::compile` on `big.wasm` and on a
//!   corpus program, `Compiled::instantiate` and `Compiled::instantiate_and_call`
//!   on `empty.wat`, and `Compiled::run_command` on `empty.wasm`, as it does
//!   for the peers.
//!
//! Each tier's name should start with `skiff-` (`skiff-interp`, `skiff-jit`),
//! which is how `scripts/chart.py` tells Skiff's bars from the peers'.
//!
//! Tiers are never faked: an engine appears here only when it executes code.

use crate::Engine;

/// Skiff's execution tiers. None exists yet, so this is empty; the tier
/// issues add `skiff-interp` and `skiff-jit` here.
pub fn tiers() -> Vec<Box<dyn Engine>> {
    // TODO(tiers): push the interpreter tier (`skiff-interp`) here when it
    // exists, then the JIT tier (`skiff-jit`).
    Vec::new()
}

/// What Skiff can do today: decode and validate `wasm` (WebAssembly 2.0,
/// SIMD included).
pub fn load(wasm: &[u8]) -> Result<skiff_vm::ValidatedModule, String> {
    skiff_vm::load(wasm, &skiff_vm::Features::default()).map_err(|e| e.to_string())
}
