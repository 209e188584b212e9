//! `skiff wast`: run spec scripts and print the runner's summary.

use skiff::EngineKind;
use skiff::wast::exec::Engine;
use skiff::wast::script;
use std::path::PathBuf;
use std::process::ExitCode;

/// How many failures are printed in full.
const SHOWN_FAILURES: usize = 40;

/// Runs each script on `engine`; prints a line per file, the first failures
/// and the totals line last. Exit status 1 when anything failed.
pub fn wast(engine: EngineKind, files: &[PathBuf]) -> ExitCode {
    let engine =
        Engine::by_name(&engine.to_string()).expect("every EngineKind has a runner engine");
    let features = skiff::Features {
        // User scripts may use later proposals: what Skiff lacks is skipped, not failed.
        decode_later_proposals: true,
        ..skiff::Features::ALL
    };
    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    let mut failures = Vec::new();
    for path in files {
        let name = path.display().to_string();
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("skiff: {name}: cannot read: {e}");
                failed += 1;
                continue;
            }
        };
        // A thread with a large stack, as the spec runner uses: deeply nested
        // scripts must end in an error, not in a stack overflow.
        let report = std::thread::scope(|s| {
            std::thread::Builder::new()
                .stack_size(64 << 20)
                .spawn_scoped(s, || script::run(&name, &text, &features, &engine))
                .expect("a thread for the script")
                .join()
                .expect("the script runner does not panic")
        });
        println!(
            "{name}: {} passed, {} failed, {} skipped",
            report.passed,
            report.failures.len(),
            report.skipped.len()
        );
        passed += report.passed;
        failed += report.failures.len();
        skipped += report.skipped.len();
        for f in report.failures {
            failures.push(format!(
                "  {name}:{}: {}: {}",
                f.line, f.directive, f.message
            ));
        }
    }
    if !failures.is_empty() {
        println!("\nfailures (first {SHOWN_FAILURES}):");
        for f in failures.iter().take(SHOWN_FAILURES) {
            println!("{f}");
        }
    }
    println!("\n{passed} passed, {failed} failed, {skipped} skipped");
    if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
