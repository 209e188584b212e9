//! The runner's `--json` report, written by hand to keep the runner's
//! dependencies to the testsuite and the `wast` parser.

use crate::outcome::FileReport;
use std::fmt::Write;

/// The JSON document: `{engine, suites, files: [...], passed, failed, skipped}`.
pub fn report(
    engine: &str,
    suites: &[String],
    files: &[FileReport],
    passed: usize,
    failed: usize,
    skipped: usize,
) -> String {
    let mut out = String::new();
    out.push_str("{\n");
    let _ = writeln!(out, "  \"engine\": {},", string(engine));
    let suites: Vec<String> = suites.iter().map(|s| string(s)).collect();
    let _ = writeln!(out, "  \"suites\": [{}],", suites.join(", "));
    out.push_str("  \"files\": [");
    for (i, f) in files.iter().enumerate() {
        out.push_str(if i == 0 { "\n" } else { ",\n" });
        let _ = write!(
            out,
            "    {{\"name\": {}, \"passed\": {}, \"failed\": {}, \"skipped\": {}, \"failures\": [",
            string(&f.name),
            f.passed,
            f.failures.len(),
            f.skipped.len()
        );
        let mut first = true;
        for fail in &f.failures {
            if !first {
                out.push_str(", ");
            }
            first = false;
            let _ = write!(
                out,
                "{{\"line\": {}, \"directive\": {}, \"message\": {}",
                fail.line,
                string(fail.directive),
                string(&fail.message)
            );
            if let Some(e) = &fail.expected {
                let _ = write!(out, ", \"expected\": {}", string(e));
            }
            out.push('}');
        }
        out.push_str("], \"message_differences\": [");
        for (j, (line, directive, expected, actual)) in f.message_differences.iter().enumerate() {
            if j > 0 {
                out.push_str(", ");
            }
            let _ = write!(
                out,
                "{{\"line\": {line}, \"directive\": {}, \"expected\": {}, \"actual\": {}}}",
                string(directive),
                string(expected),
                string(actual)
            );
        }
        out.push_str("]}");
    }
    let _ = write!(
        out,
        "\n  ],\n  \"passed\": {passed},\n  \"failed\": {failed},\n  \"skipped\": {skipped}\n}}\n"
    );
    out
}

/// A JSON string literal.
fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
