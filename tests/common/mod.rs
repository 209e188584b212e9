//! What the test files share: the engines of this build, calling an export,
//! and a way to run `skiff` as a user would.

#![allow(dead_code, reason = "each test file uses some of these")]

use skiff::{Engine, EngineKind, Store, Trap, Val};
use std::path::PathBuf;
use std::process::{Command, Output};

/// The tiers of this build: the interpreter, and the JIT where it runs.
pub fn kinds() -> Vec<EngineKind> {
    let mut kinds = vec![EngineKind::Interp];
    if Engine::new(EngineKind::Jit).is_ok() {
        kinds.push(EngineKind::Jit);
    }
    kinds
}

/// An engine of each tier of this build.
pub fn engines() -> Vec<Engine> {
    kinds()
        .into_iter()
        .map(|kind| Engine::new(kind).unwrap())
        .collect()
}

/// Calls export `name` of `instance` with `args`; its results or its trap.
pub fn call<T: 'static>(
    store: &mut Store<T>,
    instance: &skiff::Instance,
    name: &str,
    args: &[Val],
) -> Result<Vec<Val>, Trap> {
    let f = instance.get_func(&*store, name).unwrap();
    let mut results = vec![Val::I32(0); f.ty(&*store).results().len()];
    f.call(&mut *store, args, &mut results)?;
    Ok(results)
}

/// The engines of this build.
#[cfg(feature = "jit")]
pub const ENGINES: [&str; 2] = ["interp", "jit"];
/// The engines of this build: no JIT.
#[cfg(not(feature = "jit"))]
pub const ENGINES: [&str; 1] = ["interp"];

/// Runs the `skiff` binary with `args` from the package's folder, with a
/// code cache of this test process's own (not the user's).
pub fn skiff(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_skiff"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("SKIFF_CACHE_DIR", test_cache())
        .output()
        .expect("skiff runs")
}

/// The code cache of this test process's runs of `skiff`.
pub fn test_cache() -> PathBuf {
    std::env::temp_dir().join(format!("skiff-test-cache-{}", std::process::id()))
}

/// Writes `text` to a file of this test process named after `name`.
pub fn temp_wat(name: &str, text: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("skiff-test-{}-{name}", std::process::id()));
    std::fs::write(&path, text).unwrap();
    path
}

/// Output bytes as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs the script `text` (file `name`, all of Skiff's features) on every
/// engine of the runner this build has, and asserts that each passes its
/// `passed` directives, failing and skipping none.
pub fn script_passes_everywhere(name: &str, text: &str, passed: usize) {
    for engine_name in ["interp", "jit", "jit-checked", "auto"] {
        let Some(engine) = skiff::wast::exec::Engine::by_name(engine_name) else {
            continue;
        };
        let r = skiff::wast::script::run(name, text, &skiff::Features::ALL, &engine);
        if r.skipped.iter().any(|s| s.contains("JIT")) {
            continue; // a build without the JIT
        }
        let failures: Vec<_> = r.failures.iter().map(|f| (f.line, &f.message)).collect();
        assert_eq!(
            (r.passed, failures, r.skipped),
            (passed, vec![], vec![]),
            "{engine_name}"
        );
    }
}
