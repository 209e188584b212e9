//! Compiled code kept on disk: ahead-of-time artifacts
//! (`Engine::precompile_module`, `Module::deserialize`, `skiff compile`)
//! and the code cache of `skiff run`. The JIT keeps code; the interpreter
//! has none to keep.

#![cfg(feature = "jit")]

mod common;

use common::{skiff, text};
use skiff::{Config, Engine, EngineKind, Linker, Module, Store, TrapKind};
use std::path::PathBuf;

const GUEST: &str = r#"(module
  (func $fac (export "fac") (param i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0))
      (then (i64.const 1))
      (else (i64.mul (local.get 0) (call $fac (i64.sub (local.get 0) (i64.const 1)))))))
  (func $inner (param i32) (result i32) (i32.div_s (i32.const 1) (local.get 0)))
  (func (export "divide") (param i32) (result i32) (call $inner (local.get 0))))"#;

fn jit() -> Engine {
    Engine::new(EngineKind::Jit).unwrap()
}

/// Runs `fac 20` and `divide 0` on `module`: the factorial, and the trap's
/// kind and backtrace as text.
fn exercise(engine: &Engine, module: &Module) -> (i64, TrapKind, String) {
    let mut store = Store::new(engine, ());
    let instance = Linker::new().instantiate(&mut store, module).unwrap();
    let fac = instance.get_typed_func::<i64, i64>(&store, "fac").unwrap();
    let divide = instance
        .get_typed_func::<i32, i32>(&store, "divide")
        .unwrap();
    let trap = divide.call(&mut store, 0).unwrap_err();
    (
        fac.call(&mut store, 20).unwrap(),
        trap.kind(),
        trap.to_string(),
    )
}

#[test]
fn an_artifact_runs_as_the_module_compiled_in_place() {
    let engine = jit();
    let artifact = engine.precompile_module(GUEST.as_bytes()).unwrap();
    assert!(skiff::artifact::is_artifact(&artifact));
    // SAFETY: made just above by this Skiff.
    let loaded = unsafe { Module::deserialize(&engine, &artifact) }.unwrap();
    let compiled = Module::new(&engine, GUEST.as_bytes()).unwrap();
    let (fac, kind, backtrace) = exercise(&engine, &loaded);
    assert_eq!(fac, 2_432_902_008_176_640_000);
    assert_eq!(kind, TrapKind::IntegerDivisionByZero);
    assert!(backtrace.contains("at func 1"), "{backtrace}");
    // The same results, trap and backtrace (offsets included) as the
    // module compiled in place.
    assert_eq!(exercise(&engine, &compiled), (fac, kind, backtrace));
}

/// Loading `artifact` on `engine`: the error's text.
fn refusal(engine: &Engine, artifact: &[u8]) -> String {
    // SAFETY: each artifact here is damaged on purpose to be refused; one
    // that were accepted would be code this Skiff wrote.
    match unsafe { Module::deserialize(engine, artifact) } {
        Ok(_) => panic!("a damaged artifact was accepted"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn damaged_and_foreign_artifacts_are_refused() {
    let engine = jit();
    let artifact = engine.precompile_module(GUEST.as_bytes()).unwrap();

    let truncated = &artifact[..artifact.len() - 100];
    assert!(refusal(&engine, truncated).contains("truncated"));
    assert!(refusal(&engine, &artifact[..12]).contains("truncated"));

    let mut corrupted = artifact.clone();
    let middle = corrupted.len() - 200;
    corrupted[middle] ^= 0x10;
    assert!(refusal(&engine, &corrupted).contains("corrupted"));

    // The version string follows the magic (8 bytes), the format (4) and
    // its length (4).
    let mut other_version = artifact.clone();
    other_version[16] ^= 0x01;
    let message = refusal(&engine, &other_version);
    assert!(message.contains("made by Skiff"), "{message}");
    assert!(message.contains(env!("CARGO_PKG_VERSION")), "{message}");

    let message = refusal(&engine, b"\0asm\x01\0\0\0");
    assert!(message.contains("not a Skiff artifact"), "{message}");

    // Code compiled without fuel checks is not loaded where fuel is metered.
    let metered =
        Engine::with_config(Config::new().strategy(EngineKind::Jit).consume_fuel(true)).unwrap();
    let message = refusal(&metered, &artifact);
    assert!(
        message.contains("another processor or configuration"),
        "{message}"
    );

    // The interpreter has no code to write.
    let interp = Engine::new(EngineKind::Interp).unwrap();
    let err = interp.precompile_module(GUEST.as_bytes()).unwrap_err();
    assert!(err.to_string().contains("no compiled code"), "{err}");
}

#[test]
fn a_large_artifact_damaged_anywhere_is_refused_as_corrupted() {
    // Over a mebibyte: the checksum is computed on a thread of its own
    // while the module decodes. A damaged byte is reported as damage,
    // whether the module still decodes or no longer does.
    let data = "x".repeat(1_200_000);
    let text = format!(
        r#"(module (memory 32) (data (i32.const 0) "{data}")
             (func (export "at") (param i32) (result i32) (i32.load8_u (local.get 0))))"#
    );
    let engine = jit();
    let artifact = engine.precompile_module(text.as_bytes()).unwrap();
    assert!(artifact.len() > 1 << 20);
    // SAFETY: made just above by this Skiff.
    let loaded = unsafe { Module::deserialize(&engine, &artifact) }.unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Linker::new().instantiate(&mut store, &loaded).unwrap();
    let at = instance.get_typed_func::<i32, i32>(&store, "at").unwrap();
    assert_eq!(at.call(&mut store, 1000).unwrap(), i32::from(b'x'));
    let module_at = |needle: &[u8]| {
        artifact
            .windows(needle.len())
            .position(|w| w == needle)
            .unwrap()
    };
    // A byte of the data segment: the module still decodes.
    let mut in_data = artifact.clone();
    in_data[module_at(b"xxxx") + 500_000] = b'y';
    assert!(refusal(&engine, &in_data).contains("corrupted"));
    // The module's version field: it no longer decodes.
    let mut in_header = artifact.clone();
    in_header[module_at(b"\0asm") + 4] = 0x7f;
    assert!(refusal(&engine, &in_header).contains("corrupted"));
}

#[test]
fn an_artifact_file_runs_its_code_from_the_file() {
    let dir = scratch("artifact-file");
    let path = dir.join("guest.skiffc");
    let engine = jit();
    let artifact = engine.precompile_module(GUEST.as_bytes()).unwrap();
    std::fs::write(&path, &artifact).unwrap();
    // SAFETY: written just above by this Skiff, and left alone.
    let loaded = unsafe { Module::deserialize_file(&engine, &path) }.unwrap();
    let compiled = Module::new(&engine, GUEST.as_bytes()).unwrap();
    assert_eq!(exercise(&engine, &loaded), exercise(&engine, &compiled));
    // The code is the file's pages, mapped executable, not a copy.
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    let mapped = maps
        .lines()
        .any(|l| l.ends_with(path.to_str().unwrap()) && l.contains(" r-xp "));
    assert!(mapped, "{maps}");
    drop(loaded);
    // Damaged files are refused as bytes are.
    let file_refusal = |bytes: &[u8]| {
        std::fs::write(&path, bytes).unwrap();
        // SAFETY: damaged on purpose to be refused.
        match unsafe { Module::deserialize_file(&engine, &path) } {
            Ok(_) => panic!("a damaged artifact was accepted"),
            Err(e) => e.to_string(),
        }
    };
    assert!(file_refusal(&artifact[..artifact.len() - 100]).contains("truncated"));
    let mut corrupted = artifact.clone();
    corrupted[artifact.len() - 100] ^= 0x01;
    assert!(file_refusal(&corrupted).contains("corrupted"));
    assert!(file_refusal(b"").contains("not a Skiff artifact"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_artifact_saved_over_a_running_one_leaves_it_running() {
    let dir = scratch("artifact-save");
    let path = dir.join("guest.skiffc");
    let engine = jit();
    let artifact = engine.precompile(GUEST.as_bytes()).unwrap();
    artifact.save(&path).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), artifact.to_bytes());
    assert_eq!(
        artifact.to_bytes(),
        engine.precompile_module(GUEST.as_bytes()).unwrap()
    );
    // SAFETY: saved just above by this Skiff; replaced below only by
    // `Artifact::save`, which never writes to the file in place.
    let running = unsafe { Module::deserialize_file(&engine, &path) }.unwrap();
    let other = r#"(module (func (export "fac") (param i64) (result i64) (i64.const 7))
      (func (export "divide") (param i32) (result i32) (unreachable)))"#;
    engine
        .precompile(other.as_bytes())
        .unwrap()
        .save(&path)
        .unwrap();
    // The module loaded first still runs its own code from the old file.
    let compiled = Module::new(&engine, GUEST.as_bytes()).unwrap();
    assert_eq!(exercise(&engine, &running), exercise(&engine, &compiled));
    // SAFETY: as above.
    let replaced = unsafe { Module::deserialize_file(&engine, &path) }.unwrap();
    let (fac, kind, _) = exercise(&engine, &replaced);
    assert_eq!((fac, kind), (7, TrapKind::Unreachable));
    // Nothing is left beside it.
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["guest.skiffc"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The files of directory `dir` named `*.EXT`.
fn entries_of(dir: &std::path::Path, ext: &str) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect()
}

/// A directory of its own for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("skiff-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn the_cache_keeps_code_and_recompiles_a_damaged_entry() {
    let dir = scratch("cache-api");
    let module_path = dir.join("guest.wat");
    std::fs::write(&module_path, GUEST).unwrap();
    let cache = dir.join("cache");
    let engine = jit();
    let first = Module::from_file_cached(&engine, &module_path, &cache).unwrap();
    let entries = entries_of(&cache, "skiffc");
    assert_eq!(entries.len(), 1, "{entries:?}");
    let entry = &entries[0];
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&cache).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700, "the cache is its owner's alone");
    let expected = exercise(&engine, &first);
    // A second load reads the entry and leaves it as it is.
    let written = std::fs::metadata(entry).unwrap().modified().unwrap();
    let hit = Module::from_file_cached(&engine, &module_path, &cache).unwrap();
    assert_eq!(exercise(&engine, &hit), expected);
    assert_eq!(
        std::fs::metadata(entry).unwrap().modified().unwrap(),
        written
    );
    // An entry others can write is not trusted: compiled again, not read.
    std::fs::write(entry, b"\0skiffcm not an artifact").unwrap();
    std::fs::set_permissions(entry, std::fs::Permissions::from_mode(0o666)).unwrap();
    let untrusted = Module::from_file_cached(&engine, &module_path, &cache).unwrap();
    assert_eq!(exercise(&engine, &untrusted), expected);
    for entry in std::fs::read_dir(&cache).unwrap() {
        std::fs::remove_file(entry.unwrap().path()).unwrap();
    }
    // Nor is a directory others can write: nothing is written there.
    std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o777)).unwrap();
    Module::from_file_cached(&engine, &module_path, &cache).unwrap();
    assert_eq!(std::fs::read_dir(&cache).unwrap().count(), 0);
    std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o700)).unwrap();
    Module::from_file_cached(&engine, &module_path, &cache).unwrap();
    // A damaged entry is compiled again and replaced.
    let mut damaged = std::fs::read(entry).unwrap();
    let middle = damaged.len() / 2;
    damaged[middle] ^= 0xff;
    std::fs::write(entry, &damaged).unwrap();
    let again = Module::from_file_cached(&engine, &module_path, &cache).unwrap();
    assert_eq!(exercise(&engine, &again), expected);
    let rewritten = std::fs::read(entry).unwrap();
    assert_ne!(rewritten, damaged);
    // SAFETY: written by this Skiff's cache.
    let reloaded = unsafe { Module::deserialize(&engine, &rewritten) }.unwrap();
    assert_eq!(exercise(&engine, &reloaded), expected);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A module that does not validate: its function returns nothing, yet
/// leaves an `i32`.
const INVALID: &str = r#"(module (func (export "f") (i32.const 1)))"#;

#[test]
fn a_validation_record_is_used_only_for_its_own_module() {
    let dir = scratch("cache-records");
    let (guest, other) = (dir.join("guest.wat"), dir.join("other.wat"));
    std::fs::write(&guest, GUEST).unwrap();
    std::fs::write(&other, INVALID).unwrap();
    let cache = dir.join("cache");
    let engine = jit();
    let expected = exercise(&engine, &Module::from_file(&engine, &guest).unwrap());
    // The first load validates and keeps a record; the second uses it.
    Module::from_file_cached(&engine, &guest, &cache).unwrap();
    let records = entries_of(&cache, "skiffv");
    assert_eq!(records.len(), 1, "{records:?}");
    let record = std::fs::read(&records[0]).unwrap();
    let written = std::fs::metadata(&records[0]).unwrap().modified().unwrap();
    let hit = Module::from_file_cached(&engine, &guest, &cache).unwrap();
    assert_eq!(exercise(&engine, &hit), expected);
    assert_eq!(
        std::fs::metadata(&records[0]).unwrap().modified().unwrap(),
        written
    );
    // The invalid module's error is reported, though its record's place
    // holds the guest's record: the module's bytes are compared.
    let err = Module::from_file_cached(&engine, &other, &cache).unwrap_err();
    assert!(err.to_string().contains("type mismatch"), "{err}");
    for name in entries_of(&cache, "skiffv") {
        std::fs::write(name, &record).unwrap();
    }
    let err = Module::from_file_cached(&engine, &other, &cache).unwrap_err();
    assert!(err.to_string().contains("type mismatch"), "{err}");
    // A damaged record is not used: the module is validated again and the
    // record rewritten.
    let mut damaged = record.clone();
    let end = damaged.len() - 12;
    damaged[end] ^= 0x40;
    std::fs::write(&records[0], &damaged).unwrap();
    let again = Module::from_file_cached(&engine, &guest, &cache).unwrap();
    assert_eq!(exercise(&engine, &again), expected);
    assert_eq!(std::fs::read(&records[0]).unwrap(), record);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn skiff_compile_and_the_cli_cache() {
    let dir = scratch("cache-cli");
    let artifact = dir.join("nbody.skiffc");
    let out = skiff(&[
        "compile",
        "-o",
        artifact.to_str().unwrap(),
        "benches/corpus/nbody.wasm",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let expected = "checksum: 10012897927522448151\n";
    // Machine code runs only when the user says they trust it.
    let run = skiff(&["run", artifact.to_str().unwrap(), "1000"]);
    assert_eq!(run.status.code(), Some(1));
    assert!(
        text(&run.stderr).contains("--allow-precompiled"),
        "{}",
        text(&run.stderr)
    );
    let run = skiff(&[
        "run",
        "--allow-precompiled",
        artifact.to_str().unwrap(),
        "1000",
    ]);
    assert_eq!(text(&run.stdout), expected, "{}", text(&run.stderr));
    // A truncated artifact is refused, not run.
    let bytes = std::fs::read(&artifact).unwrap();
    std::fs::write(&artifact, &bytes[..bytes.len() / 2]).unwrap();
    let run = skiff(&[
        "run",
        "--allow-precompiled",
        artifact.to_str().unwrap(),
        "1000",
    ]);
    assert_eq!(run.status.code(), Some(1));
    assert!(
        text(&run.stderr).contains("artifact: truncated"),
        "{}",
        text(&run.stderr)
    );

    // Four processes at once on an empty cache all run and leave one
    // whole entry, which later runs use.
    let cache = dir.join("cache");
    let runs: Vec<_> = (0..4)
        .map(|_| {
            std::process::Command::new(env!("CARGO_BIN_EXE_skiff"))
                .args(["run", "benches/corpus/nbody.wasm", "1000"])
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .env("SKIFF_CACHE_DIR", &cache)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for run in runs {
        let run = run.wait_with_output().unwrap();
        assert_eq!(text(&run.stdout), expected, "{}", text(&run.stderr));
    }
    let entries = entries_of(&cache, "skiffc");
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries_of(&cache, "skiffv").len(), 1);
    // The entry is the default engine's (the tiered one), whose code the
    // JIT alone does not load.
    let engine = Engine::default();
    // SAFETY: written by this Skiff's cache.
    unsafe { Module::deserialize(&engine, &std::fs::read(&entries[0]).unwrap()) }.unwrap();
    // --no-cache neither reads nor writes it.
    for entry in std::fs::read_dir(&cache).unwrap() {
        std::fs::remove_file(entry.unwrap().path()).unwrap();
    }
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_skiff"))
        .args(["run", "--no-cache", "benches/corpus/nbody.wasm", "1000"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("SKIFF_CACHE_DIR", &cache)
        .output()
        .unwrap();
    assert_eq!(text(&run.stdout), expected);
    assert_eq!(std::fs::read_dir(&cache).unwrap().count(), 0);
    std::fs::remove_dir_all(&dir).unwrap();
}
