//! Differential fuzzing of Skiff's decoder and validator against wasmparser's
//! validator with the same features (WebAssembly 2.0 with SIMD): both must
//! accept or both reject.
//!
//! The first input byte picks the mode: even, the rest of the input is the
//! module's bytes (seeded from the spec suites, so mutations of real modules);
//! odd, the rest drives wasm-smith, which builds a module of 2.0 features only,
//! sometimes with raw bytes for function bodies (`allow_invalid_funcs`) so that
//! the validators see broken bodies inside well-formed modules.

#![no_main]

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    if mode % 2 == 0 {
        compare(rest);
    } else if let Ok(bytes) = smith(rest) {
        compare(&bytes);
    }
});

fn smith(data: &[u8]) -> Result<Vec<u8>> {
    let mut u = Unstructured::new(data);
    let mut config: wasm_smith::Config = u.arbitrary()?;
    // WebAssembly 2.0: SIMD and the five proposals 2.0 merged; nothing later.
    config.simd_enabled = true;
    config.bulk_memory_enabled = true;
    config.reference_types_enabled = true;
    config.multi_value_enabled = true;
    config.saturating_float_to_int_enabled = true;
    config.sign_extension_ops_enabled = true;
    config.relaxed_simd_enabled = false;
    config.exceptions_enabled = false;
    config.gc_enabled = false;
    config.compact_imports_enabled = false;
    config.custom_descriptors_enabled = false;
    config.custom_page_sizes_enabled = false;
    config.memory64_enabled = false;
    config.shared_everything_threads_enabled = false;
    config.tail_call_enabled = false;
    config.threads_enabled = false;
    config.wide_arithmetic_enabled = false;
    config.acquire_release_atomics_enabled = false;
    config.multibyte_array_access_enabled = false;
    config.extended_const_enabled = false;
    config.max_memories = config.max_memories.min(1);
    config.max_tables = config.max_tables.min(100);
    config.allow_invalid_funcs = u.arbitrary()?;
    let module = wasm_smith::Module::new(config, &mut u)?;
    Ok(module.to_bytes())
}

fn compare(bytes: &[u8]) {
    let features = wasmparser::WasmFeatures::WASM2 | wasmparser::WasmFeatures::SIMD;
    let want = wasmparser::Validator::new_with_features(features).validate_all(bytes);
    let skiff_features = skiff_vm::Features::WASM2;
    let got = skiff_vm::decode(bytes, &skiff_features).and_then(|m| skiff_vm::validate(m, &skiff_features));
    match (&want, &got) {
        (Ok(_), Ok(_)) | (Err(_), Err(_)) => {}
        _ => panic!(
            "Skiff and wasmparser disagree\n  wasmparser: {:?}\n  skiff: {:?}",
            want.as_ref().map(|_| ()).map_err(|e| e.to_string()),
            got.as_ref().map(|_| ()).map_err(|e| e.to_string()),
        ),
    }
}
