//! Decode and validate arbitrary bytes: any outcome but a panic (or a sanitizer
//! report) is fine. Each input goes through both feature sets Skiff offers, so
//! the code paths that report later proposals as `Unsupported` are covered too.

#![no_main]

use libfuzzer_sys::fuzz_target;
use skiff_vm::Features;

fuzz_target!(|data: &[u8]| {
    let later = Features {
        decode_later_proposals: true,
        ..Features::WASM2
    };
    let no_simd = Features {
        simd: false,
        ..Features::WASM2
    };
    for features in [Features::WASM2, later, no_simd] {
        if let Ok(module) = skiff_vm::decode(data, &features) {
            let _ = skiff_vm::validate(module, &features);
        }
    }
});
