//! Differential test: Skiff's decoder and validator against wasmparser's own
//! validator (the oracle), on every module of the WebAssembly 2.0 spec suites
//! (`wasm-v1`, `wasm-v2` and the `simd` proposal).
//!
//! Both must agree on accept/reject for every module. The test collects every
//! disagreement and prints file, line, directive and both messages before
//! failing, so one run shows them all.

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};
use wasmparser::{Validator, WasmFeatures};

/// What one side made of a module: `Ok(())` accepted, `Err(message)` rejected.
type Verdict = Result<(), String>;

fn oracle(bytes: &[u8]) -> Verdict {
    // WASM2 already includes SIMD in wasmparser 0.263; union it anyway so the
    // intent survives a change of the constant.
    let features = WasmFeatures::WASM2 | WasmFeatures::SIMD;
    Validator::new_with_features(features)
        .validate_all(bytes)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn skiff(bytes: &[u8]) -> Verdict {
    let features = skiff_vm::Features::WASM2;
    match catch_unwind(AssertUnwindSafe(|| {
        let module = skiff_vm::decode(bytes, &features)?;
        skiff_vm::validate(module, &features)
    })) {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(format!("{} ({})", e, e.kind())),
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("<non-string payload>");
            Err(format!("PANIC: {msg}"))
        }
    }
}

fn show(v: &Verdict) -> String {
    match v {
        Ok(()) => "accepted".to_string(),
        Err(m) => format!("rejected: {m}"),
    }
}

#[test]
fn skiff_agrees_with_wasmparser_on_every_spec_module() {
    let (modules, stats) = common::wasm2_modules();
    assert!(
        stats.unparsed_files.is_empty(),
        "spec scripts that wast could not parse:\n{}",
        stats.unparsed_files.join("\n")
    );
    assert!(
        stats.unencodable_unexpected.is_empty(),
        "modules that should encode but did not:\n{}",
        stats.unencodable_unexpected.join("\n")
    );

    let mut disagreements = Vec::new();
    let mut panics = 0;
    let (mut both_ok, mut both_err) = (0usize, 0usize);
    for m in &modules {
        let want = oracle(&m.bytes);
        let got = skiff(&m.bytes);
        if got.as_ref().is_err_and(|e| e.starts_with("PANIC")) {
            panics += 1;
        }
        match (&want, &got) {
            (Ok(()), Ok(())) => both_ok += 1,
            (Err(_), Err(e)) if !e.starts_with("PANIC") => both_err += 1,
            _ => disagreements.push(format!(
                "{}:{} ({}, {} bytes)\n    wasmparser: {}\n    skiff:      {}",
                m.file,
                m.line,
                m.directive,
                m.bytes.len(),
                show(&want),
                show(&got)
            )),
        }
    }

    eprintln!(
        "oracle: {} modules checked ({} accepted by both, {} rejected by both), {} disagreements ({} panics); \
         {} text modules did not encode, {} non-core modules skipped",
        modules.len(),
        both_ok,
        both_err,
        disagreements.len(),
        panics,
        stats.unencodable,
        stats.skipped
    );
    assert!(
        modules.len() > 5000,
        "only {} modules found in the spec suites: the walk is dropping directives",
        modules.len()
    );
    assert!(
        disagreements.is_empty(),
        "{} disagreement(s) between Skiff and wasmparser:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
}

/// The suites of later proposals (`wasm-v3` and every proposal folder but
/// `simd`): Skiff under `Features::WASM2` must accept exactly what wasmparser
/// accepts with the 2.0 feature set, so every use of a later proposal is
/// refused by both and every 2.0 module among them is accepted by both.
#[test]
fn skiff_agrees_with_wasmparser_on_later_proposal_modules() {
    let (modules, stats) = common::later_modules();
    let mut disagreements = Vec::new();
    for m in &modules {
        let want = oracle(&m.bytes);
        let got = skiff(&m.bytes);
        let agree = match (&want, &got) {
            (Ok(()), Ok(())) => true,
            (Err(_), Err(e)) => !e.starts_with("PANIC"),
            _ => false,
        };
        if !agree {
            disagreements.push(format!(
                "{}:{} ({}, {} bytes)\n    wasmparser: {}\n    skiff:      {}",
                m.file,
                m.line,
                m.directive,
                m.bytes.len(),
                show(&want),
                show(&got)
            ));
        }
    }
    eprintln!(
        "later proposals: {} modules checked, {} disagreements; {} scripts did not parse: {:?}",
        modules.len(),
        disagreements.len(),
        stats.unparsed_files.len(),
        stats.unparsed_files
    );
    assert!(modules.len() > 5000, "only {} modules found", modules.len());
    assert!(
        disagreements.is_empty(),
        "{} disagreement(s) between Skiff and wasmparser:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
}

/// Mutated spec modules: a few random edits to every module of the 2.0 suites
/// that both accept, then the same comparison. Edits land in places the suites
/// never test (odd immediates, shuffled types, broken section sizes), so this
/// reaches corners the scripts leave out; a disagreement prints the seed that
/// rebuilds the input.
#[test]
fn skiff_agrees_with_wasmparser_on_mutated_spec_modules() {
    const SEED: u64 = 0x0dd_f00d_5eed;
    const PER_MODULE: u64 = 12;
    let (modules, _) = common::wasm2_modules();
    let mut disagreements = Vec::new();
    let (mut tried, mut accepted) = (0usize, 0usize);
    for (i, m) in modules.iter().enumerate() {
        if oracle(&m.bytes).is_err() || skiff(&m.bytes).is_err() {
            continue;
        }
        for j in 0..PER_MODULE {
            let seed = SEED ^ ((i as u64) << 20) ^ j;
            let mut rng = common::Rng::new(seed);
            let mut bytes = m.bytes.clone();
            common::mutate(&mut bytes, &mut rng);
            tried += 1;
            let want = oracle(&bytes);
            let got = skiff(&bytes);
            let agree = match (&want, &got) {
                (Ok(()), Ok(())) => {
                    accepted += 1;
                    true
                }
                (Err(_), Err(e)) => !e.starts_with("PANIC"),
                _ => false,
            };
            if !agree {
                disagreements.push(format!(
                    "{}:{} mutated with seed {seed:#x} ({} bytes: {bytes:02x?})\n    wasmparser: {}\n    skiff:      {}",
                    m.file,
                    m.line,
                    bytes.len(),
                    show(&want),
                    show(&got)
                ));
            }
        }
    }
    eprintln!(
        "mutations: {tried} mutated modules ({accepted} still valid), {} disagreements",
        disagreements.len()
    );
    assert!(tried > 20_000, "only {tried} mutated modules");
    assert!(
        disagreements.is_empty(),
        "{} disagreement(s) between Skiff and wasmparser:\n{}",
        disagreements.len(),
        disagreements
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
