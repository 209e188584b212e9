//! The baseline: per file, how many directives passed and failed when it was
//! last written. A run regresses when a file passes fewer directives or fails
//! more than its baseline says, or when the file's directive count changes.
//!
//! Each engine has its own baseline, `spec-tests/baseline-ENGINE.txt` (see
//! [`file_name`]). The file format is a header line `# engine: ENGINE`, then a
//! line per script: `NAME PASSED FAILED SKIPPED`.

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

/// The baseline file of `engine`, relative to the `spec-tests` folder.
pub fn file_name(engine: &str) -> String {
    format!("baseline-{engine}.txt")
}

/// The header line naming the engine a baseline was written for.
const ENGINE_HEADER: &str = "# engine: ";

/// Renders the reports of a run on `engine` as a baseline file.
pub fn render(engine: &str, reports: &[FileReport]) -> String {
    let mut out = format!("{ENGINE_HEADER}{engine}\n");
    for r in reports {
        let c = Counts::of(r);
        out.push_str(&format!(
            "{} {} {} {}\n",
            r.name, c.passed, c.failed, c.skipped
        ));
    }
    out
}

/// Parses a baseline file for `engine`; one written for another engine is
/// refused (a file without the header is taken as it is).
pub fn parse(engine: &str, text: &str) -> Result<BTreeMap<String, Counts>, String> {
    let mut map = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if let Some(written_for) = line.strip_prefix(ENGINE_HEADER)
            && written_for.trim() != engine
        {
            return Err(format!(
                "the baseline is for engine {}, not {engine}",
                written_for.trim()
            ));
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_baseline_names_its_engine() {
        let report = FileReport {
            name: "wasm-v1/nop.wast".into(),
            passed: 3,
            skipped: vec!["x".into()],
            ..FileReport::default()
        };
        let text = render("interp", &[report]);
        assert!(text.starts_with("# engine: interp\n"));
        let parsed = parse("interp", &text).expect("its own engine's baseline parses");
        assert_eq!(
            parsed["wasm-v1/nop.wast"],
            Counts {
                passed: 3,
                failed: 0,
                skipped: 1
            }
        );
        assert!(parse("jit", &text).is_err());
        assert!(parse("jit", "wasm-v1/nop.wast 1 0 0\n").is_ok());
        assert_eq!(file_name("jit"), "baseline-jit.txt");
    }
}
