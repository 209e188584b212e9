//! The corpus test: every corpus program at its SMALL size on every engine
//! this build has, checked against the manifest's checksum.
//!
//! Engines: Skiff's tiers (`benches::skiff::tiers`, empty until the first tier
//! lands) and, with `--features peers` (or `peer-wasmtime`, `peer-wasmi`,
//! `peer-wasm3`), the peers. Without any engine the test still checks what
//! can be checked without running code: the manifest and the committed
//! `.wasm` files agree, and every module decodes and validates in Skiff and
//! is a WASI command that only needs the imports the harness provides.
//!
//! CI runs it with the default features: no clang is needed, the `.wasm` files
//! are committed. `cargo test -p benches --release --features peers` runs the
//! peers too.

use benches::{Corpus, SizeClass, engines};
use skiff_vm::module::ImportDesc;
use skiff_vm::types::ExternKind;
use std::collections::BTreeSet;

/// Modules of the corpus directory that are not manifest programs.
const OTHER_MODULES: [&str; 2] = ["big.wasm", "empty.wasm"];

fn corpus() -> Corpus {
    Corpus::load().expect("benches/corpus/manifest.txt")
}

#[test]
fn manifest_and_modules_agree() {
    let corpus = corpus();
    let listed: BTreeSet<String> = corpus.programs.iter().map(|p| p.file_name()).collect();
    let mut on_disk = BTreeSet::new();
    for entry in std::fs::read_dir(&corpus.dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name.ends_with(".wasm") && !OTHER_MODULES.contains(&name.as_str()) {
            on_disk.insert(name);
        }
    }
    assert_eq!(
        listed, on_disk,
        "manifest.txt must list exactly the program modules of benches/corpus/"
    );
    for file in OTHER_MODULES {
        assert!(corpus.path(file).is_file(), "{file} is missing");
    }
    assert!(corpus.path("empty.wat").is_file(), "empty.wat is missing");
    // The README asks for at least eight programs.
    assert!(
        corpus.programs.len() >= 8,
        "{} programs",
        corpus.programs.len()
    );
    for p in &corpus.programs {
        // Both checksums parsed (the manifest parser checks that); the sizes
        // are ordered as their purpose says.
        assert!(
            p.small.size < p.bench.size,
            "{}: SMALL size {} is not below BENCH size {}",
            p.name,
            p.small.size,
            p.bench.size
        );
    }
}

/// Every corpus module decodes and validates in Skiff, is a WASI command
/// (exports `_start: [] -> []` and a memory), and imports only the
/// `wasi_snapshot_preview1` functions the harness provides.
#[test]
fn modules_validate_in_skiff_and_are_wasi_commands() {
    let corpus = corpus();
    let wasi: BTreeSet<&str> = benches::wasi::FUNCTIONS.into_iter().collect();
    let files = corpus
        .programs
        .iter()
        .map(|p| p.file_name())
        .chain(OTHER_MODULES.iter().map(|s| s.to_string()));
    for file in files {
        let wasm = corpus.read(&file).unwrap();
        let validated = benches::skiff::load(&wasm).unwrap_or_else(|e| panic!("{file}: {e}"));
        let module = validated.module();
        let exported = |name: &str, kind: ExternKind| {
            module
                .exports
                .iter()
                .any(|e| e.name == name && e.kind == kind)
        };
        assert!(exported("_start", ExternKind::Func), "{file}: no _start");
        assert!(exported("memory", ExternKind::Memory), "{file}: no memory");
        for import in &module.imports {
            assert_eq!(import.module, "wasi_snapshot_preview1", "{file}");
            assert!(
                matches!(import.desc, ImportDesc::Func(_)),
                "{file}: imports {} that is not a function",
                import.name
            );
            assert!(
                wasi.contains(import.name.as_str()),
                "{file}: imports {}, which the harness's WASI lacks",
                import.name
            );
        }
    }
}

#[test]
fn empty_wat_exports_run() {
    let corpus = corpus();
    let text = std::fs::read(corpus.path("empty.wat")).unwrap();
    let validated = benches::skiff::load(&text).unwrap();
    let module = validated.module();
    assert!(module.imports.is_empty(), "empty.wat must have no imports");
    assert!(
        module
            .exports
            .iter()
            .any(|e| e.name == "run" && e.kind == ExternKind::Func),
        "empty.wat must export `run`"
    );
}

/// The real test: every program, SMALL size, every engine, exact stdout and
/// exit status 0.
#[test]
fn small_size_checksums_on_every_engine() {
    let corpus = corpus();
    let engines = engines();
    if engines.is_empty() {
        // Skiff has no execution tier yet and no peer feature is on: nothing
        // can run. The other tests of this file still check the corpus.
        eprintln!(
            "corpus: no engine in this build (Skiff tiers: none yet; peers: off). \
             Run with `--features peers` to run the corpus on the peers."
        );
        return;
    }
    let mut failures = Vec::new();
    for engine in &engines {
        for program in &corpus.programs {
            let wasm = corpus.wasm(program).unwrap();
            let name = engine.name();
            let out = engine
                .compile(&wasm)
                .and_then(|m| m.run_command(&program.args(SizeClass::Small)));
            let out = match out {
                Ok(out) => out,
                Err(e) if engine.best_effort() => {
                    eprintln!("{name:>12} {:<10} unsupported by {name}: {e}", program.name);
                    continue;
                }
                Err(e) => {
                    failures.push(format!("{name}: {}: {e}", program.name));
                    continue;
                }
            };
            match program.check(SizeClass::Small, out.exit_code, &out.stdout) {
                Ok(()) => eprintln!("{name:>12} {:<10} ok", program.name),
                Err(e) => failures.push(format!("{name}: {e}")),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `empty.wasm` (the smallest command) runs and exits 0 with no output, and
/// `empty.wat`'s `run` can be called, on every engine.
#[test]
fn empty_modules_run_on_every_engine() {
    let corpus = corpus();
    let empty_wasm = corpus.read("empty.wasm").unwrap();
    let text = std::fs::read_to_string(corpus.path("empty.wat")).unwrap();
    let empty_wat = skiff_vm::wat_to_binary(&text).unwrap();
    for engine in engines() {
        let name = engine.name();
        let out = engine
            .compile(&empty_wasm)
            .and_then(|m| m.run_command(&["empty.wasm".to_string()]))
            .unwrap_or_else(|e| panic!("{name}: empty.wasm: {e}"));
        assert_eq!(out.exit_code, 0, "{name}");
        assert!(out.stdout.is_empty(), "{name}");
        let m = engine.compile(&empty_wat).unwrap();
        m.instantiate().unwrap();
        m.instantiate_and_call("run").unwrap();
    }
}
