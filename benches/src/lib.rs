//! The benchmark harness of Skiff: the corpus, the engines, and a common way to
//! run a corpus program on any of them.
//!
//! - [`corpus`] reads `corpus/manifest.txt` and locates the committed `.wasm`
//!   files.
//! - [`engine`] is the interface every engine implements, Skiff's tiers and
//!   the peers alike: compile a module once, then instantiate it and run its
//!   `_start` with WASI arguments, capturing stdout.
//! - [`skiff`] lists Skiff's tiers. There are none yet: a tier appears there
//!   when it exists, and from then on the corpus test and the `throughput`
//!   benchmark run it with no other change.
//! - [`peers`] holds wasmtime, wasmi and wasm3, each behind a cargo feature
//!   (`peer-wasmtime`, `peer-wasmi`, `peer-wasm3`; `peers` turns on all three).
//!   Without them the crate builds none of those engines.
//! - [`wasi`] is a minimal `wasi_snapshot_preview1` (the seven imports the
//!   corpus uses) for engines that have no WASI of their own.

pub mod corpus;
pub mod engine;
pub mod peers;
pub mod skiff;
pub mod wasi;

pub use corpus::{Corpus, Program, SizeClass, parse_checksum};
pub use engine::{Compiled, Engine, RunOutput};

/// Every engine that this build has, Skiff's tiers first, then the peers that
/// the enabled features bring in.
pub fn engines() -> Vec<Box<dyn Engine>> {
    let mut all = skiff::tiers();
    all.extend(peers::all());
    all
}

/// The engines whose names appear in the comma-separated `SKIFF_BENCH_ENGINES`
/// environment variable, or all of [`engines`] when it is unset or empty.
pub fn selected_engines() -> Vec<Box<dyn Engine>> {
    let wanted = env_list("SKIFF_BENCH_ENGINES");
    engines()
        .into_iter()
        .filter(|e| wanted.is_empty() || wanted.iter().any(|w| w == e.name()))
        .collect()
}

/// The names in the comma-separated environment variable `var`; empty when
/// it is unset or empty.
pub fn env_list(var: &str) -> Vec<String> {
    std::env::var(var)
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}
