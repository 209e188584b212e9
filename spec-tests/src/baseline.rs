//! The baseline: per file, how many directives passed and failed when it was
//! last written. A run regresses when a file passes fewer directives or fails
//! more than its baseline says, or when the file's directive count changes.
//!
//! The file format is a line per script: `NAME PASSED FAILED SKIPPED`.

use crate::outcome::FileReport;
use std::collections::BTreeMap;

/// Tallies of one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Directives that passed.
    pub passed: usize,
    /// Directives that failed.
    pub failed: usize,
    /// Directives that were skipped.
    pub skipped: usize,
}

impl Counts {
    fn of(r: &FileReport) -> Counts {
        Counts {
            passed: r.passed,
            failed: r.failures.len(),
            skipped: r.skipped.len(),
        }
    }

    fn total(&self) -> usize {
        self.passed + self.failed + self.skipped
    }
}

/// Renders reports as a baseline file.
pub fn render(reports: &[FileReport]) -> String {
    let mut out = String::new();
    for r in reports {
        let c = Counts::of(r);
        out.push_str(&format!(
            "{} {} {} {}\n",
            r.name, c.passed, c.failed, c.skipped
        ));
    }
    out
}

/// Parses a baseline file.
pub fn parse(text: &str) -> Result<BTreeMap<String, Counts>, String> {
    let mut map = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [name, p, f, s] = fields[..] else {
            return Err(format!(
                "baseline line {}: expected NAME PASSED FAILED SKIPPED",
                i + 1
            ));
        };
        let num = |v: &str| {
            v.parse::<usize>()
                .map_err(|_| format!("baseline line {}: bad number {v}", i + 1))
        };
        map.insert(
            name.to_string(),
            Counts {
                passed: num(p)?,
                failed: num(f)?,
                skipped: num(s)?,
            },
        );
    }
    Ok(map)
}

/// Every way `reports` fall short of `baseline`, one message each.
/// Files of the baseline that were not run are not checked.
pub fn regressions(baseline: &BTreeMap<String, Counts>, reports: &[FileReport]) -> Vec<String> {
    let mut out = Vec::new();
    for r in reports {
        let now = Counts::of(r);
        let Some(then) = baseline.get(&r.name) else {
            out.push(format!("{}: not in the baseline; add it", r.name));
            continue;
        };
        if now.total() != then.total() {
            out.push(format!(
                "{}: {} directives counted, the baseline has {}",
                r.name,
                now.total(),
                then.total()
            ));
        }
        if now.passed < then.passed {
            out.push(format!(
                "{}: {} passed, the baseline has {}",
                r.name, now.passed, then.passed
            ));
        }
        if now.failed > then.failed {
            out.push(format!(
                "{}: {} failed, the baseline has {}",
                r.name, now.failed, then.failed
            ));
        }
    }
    out
}
