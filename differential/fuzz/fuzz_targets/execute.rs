//! Differential execution: the input drives wasm-smith, and the module runs
//! on Skiff's interpreter, JIT and checked JIT and on wasmi; any difference
//! (see `skiff_differential::Engines::check`) is a crash.

#![no_main]

use libfuzzer_sys::fuzz_target;
use skiff_differential::{Engines, generate};

thread_local! {
    static ENGINES: Engines = Engines::new();
}

fuzz_target!(|data: &[u8]| {
    let Some(bytes) = generate(data) else { return };
    if let Err(divergence) = ENGINES.with(|e| e.check(&bytes)) {
        panic!("{divergence}");
    }
});
