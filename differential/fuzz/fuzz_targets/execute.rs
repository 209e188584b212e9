//! Differential execution: the input drives wasm-smith, and the module runs
//! on Skiff's interpreter, JIT and checked JIT and on wasmi.
//!
//! A difference among Skiff's tiers is a crash. A difference between all of
//! Skiff's tiers (agreeing) and wasmi is kept for triage instead, in
//! `oracle-only/` (a third engine decides which side is wrong; wasmi 2.0.0
//! has miscompilations of its own), and the run goes on. Set
//! `SKIFF_FUZZ_STRICT=1` to make those crash too.

#![no_main]

use libfuzzer_sys::fuzz_target;
use skiff_differential::{Engines, generate};

thread_local! {
    static ENGINES: Engines = Engines::new();
}

fuzz_target!(|data: &[u8]| {
    let Some(bytes) = generate(data) else { return };
    let Err(divergence) = ENGINES.with(|e| e.check(&bytes)) else {
        return;
    };
    if divergence.oracle_only && std::env::var_os("SKIFF_FUZZ_STRICT").is_none() {
        let dir = std::path::Path::new("oracle-only");
        let _ = std::fs::create_dir_all(dir);
        let name = format!("{:016x}", fnv1a(data));
        let _ = std::fs::write(dir.join(&name), data);
        let _ = std::fs::write(dir.join(name + ".txt"), divergence.to_string());
        return;
    }
    panic!("{divergence}");
});

/// A hash of the input, to name its file.
fn fnv1a(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}
