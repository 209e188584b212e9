//! What became of each directive, and the tallies per file.

/// The result of one top-level directive.
pub enum Outcome {
    /// It did what the script expects.
    Passed,
    /// It did not; the message says how.
    Failed(Failure),
    /// It could not be run; the reason names what is missing.
    Skipped(String),
}

/// A directive that failed.
pub struct Failure {
    /// 1-based line of the directive in its file.
    pub line: usize,
    /// The directive's kind, such as `assert_invalid`.
    pub directive: &'static str,
    /// What went wrong.
    pub message: String,
    /// The message the script expected, when it differs from Skiff's.
    pub expected: Option<String>,
}

/// The tallies of one file.
#[derive(Default)]
pub struct FileReport {
    /// `SUITE/FILE.wast`.
    pub name: String,
    /// Directives that passed.
    pub passed: usize,
    /// Directives that failed, with why.
    pub failures: Vec<Failure>,
    /// Skipped directives with their reasons.
    pub skipped: Vec<String>,
    /// Passing directives where Skiff's message differs from the script's:
    /// `(line, directive, expected, actual)`.
    pub message_differences: Vec<(usize, &'static str, String, String)>,
}

impl FileReport {
    /// Adds one directive's outcome.
    pub fn add(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Passed => self.passed += 1,
            Outcome::Failed(f) => self.failures.push(f),
            Outcome::Skipped(reason) => self.skipped.push(reason),
        }
    }

    /// Counts every directive of the file as failed, as when it does not parse.
    pub fn fail_whole_file(&mut self, message: String) {
        self.failures.push(Failure {
            line: 0,
            directive: "file",
            message,
            expected: None,
        });
    }
}
