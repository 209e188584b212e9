//! Runs the directives of one `.wast` script against Skiff.

use crate::outcome::{Failure, FileReport, Outcome};
use skiff_vm::{ErrorKind, Features};
use wast::parser::{self, ParseBuffer};
use wast::{QuoteWat, Wast, WastDirective, WastExecute};

/// Why a directive that needs a runtime is skipped while no tier exists.
pub const NO_TIER: &str = "no execution tier yet";

/// Runs every top-level directive of `text` and tallies them in a report.
pub fn run(name: &str, text: &str, features: &Features) -> FileReport {
    let mut report = FileReport {
        name: name.to_string(),
        ..FileReport::default()
    };
    let mut lexer = wast::lexer::Lexer::new(text);
    // names.wast holds U+202E on purpose.
    lexer.allow_confusing_unicode(true);
    let buf = match ParseBuffer::new_with_lexer(lexer) {
        Ok(buf) => buf,
        Err(e) => {
            report.fail_whole_file(format!("lexing failed: {e}"));
            return report;
        }
    };
    let wast = match parser::parse::<Wast>(&buf) {
        Ok(w) => w,
        Err(e) => {
            report.fail_whole_file(format!("parsing failed: {e}"));
            return report;
        }
    };
    let runner = Runner { text, features };
    for directive in wast.directives {
        let outcome = runner.directive(directive, &mut report);
        report.add(outcome);
    }
    report
}

struct Runner<'t> {
    text: &'t str,
    features: &'t Features,
}

/// What became of loading a module.
enum Loaded {
    /// The text form did not parse (or could not be encoded).
    TextRejected(String),
    /// Decoding, validation, or support rejected it.
    Rejected(skiff_vm::Error),
    /// Decoded and validated.
    Valid,
    /// Not a core module (a component).
    NotCore,
}

impl Runner<'_> {
    fn line(&self, span: wast::token::Span) -> usize {
        span.linecol_in(self.text).0 + 1
    }

    fn load(&self, module: &mut QuoteWat) -> Loaded {
        if matches!(
            module,
            QuoteWat::QuoteComponent(..) | QuoteWat::Wat(wast::Wat::Component(_))
        ) {
            return Loaded::NotCore;
        }
        let bytes = match module.encode() {
            Ok(b) => b,
            Err(e) => return Loaded::TextRejected(e.message()),
        };
        let result = skiff_vm::decode(&bytes, self.features)
            .and_then(|m| skiff_vm::validate(m, self.features));
        match result {
            Ok(_) => Loaded::Valid,
            Err(e) => Loaded::Rejected(e),
        }
    }

    fn directive(&self, directive: WastDirective, report: &mut FileReport) -> Outcome {
        let span = directive.span();
        let line = self.line(span);
        let fail = |directive: &'static str, message: String, expected: Option<&str>| {
            Outcome::Failed(Failure {
                line,
                directive,
                message,
                expected: expected.map(str::to_string),
            })
        };
        match directive {
            WastDirective::Module(mut m) | WastDirective::ModuleDefinition(mut m) => {
                match self.load(&mut m) {
                    Loaded::Valid => Outcome::Passed,
                    Loaded::NotCore => Outcome::Skipped("component model".into()),
                    Loaded::Rejected(e) if e.kind() == ErrorKind::Unsupported => {
                        Outcome::Skipped(e.message().to_string())
                    }
                    Loaded::Rejected(e) => {
                        fail("module", format!("{} module rejected: {e}", e.kind()), None)
                    }
                    Loaded::TextRejected(e) => {
                        fail("module", format!("text did not parse: {e}"), None)
                    }
                }
            }
            WastDirective::AssertMalformed {
                mut module,
                message,
                ..
            } => {
                const D: &str = "assert_malformed";
                match self.load(&mut module) {
                    Loaded::TextRejected(actual) => {
                        note_message(report, line, D, message, &actual);
                        Outcome::Passed
                    }
                    Loaded::Rejected(e) if e.kind() == ErrorKind::Malformed => {
                        note_message(report, line, D, message, e.message());
                        Outcome::Passed
                    }
                    Loaded::Rejected(e) if e.kind() == ErrorKind::Unsupported => {
                        Outcome::Skipped(e.message().to_string())
                    }
                    Loaded::NotCore => Outcome::Skipped("component model".into()),
                    Loaded::Rejected(e) => fail(
                        D,
                        format!("rejected at the wrong stage ({}): {e}", e.kind()),
                        Some(message),
                    ),
                    Loaded::Valid => fail(D, "module was accepted".into(), Some(message)),
                }
            }
            WastDirective::AssertInvalid {
                mut module,
                message,
                ..
            } => {
                const D: &str = "assert_invalid";
                match self.load(&mut module) {
                    Loaded::Rejected(e) if e.kind() == ErrorKind::Invalid => {
                        note_message(report, line, D, message, e.message());
                        Outcome::Passed
                    }
                    Loaded::Rejected(e) if e.kind() == ErrorKind::Unsupported => {
                        Outcome::Skipped(e.message().to_string())
                    }
                    Loaded::NotCore => Outcome::Skipped("component model".into()),
                    Loaded::Rejected(e) => fail(
                        D,
                        format!("rejected at the wrong stage ({}): {e}", e.kind()),
                        Some(message),
                    ),
                    Loaded::TextRejected(e) => {
                        fail(D, format!("text did not parse: {e}"), Some(message))
                    }
                    Loaded::Valid => fail(D, "module was accepted".into(), Some(message)),
                }
            }
            WastDirective::AssertInvalidCustom { .. }
            | WastDirective::AssertMalformedCustom { .. } => {
                Outcome::Skipped("custom annotations are not checked".into())
            }
            WastDirective::AssertTrap {
                exec: WastExecute::Wat(_),
                ..
            }
            | WastDirective::AssertUnlinkable { .. }
            | WastDirective::ModuleInstance { .. }
            | WastDirective::Register { .. }
            | WastDirective::Invoke(_)
            | WastDirective::AssertTrap { .. }
            | WastDirective::AssertReturn { .. }
            | WastDirective::AssertExhaustion { .. }
            | WastDirective::AssertException { .. }
            | WastDirective::AssertSuspension { .. } => Outcome::Skipped(NO_TIER.into()),
            WastDirective::Thread(_) | WastDirective::Wait { .. } => {
                Outcome::Skipped("threads are not supported".into())
            }
        }
    }
}

/// Records a passing rejection whose message differs from the script's.
fn note_message(
    report: &mut FileReport,
    line: usize,
    directive: &'static str,
    expected: &str,
    actual: &str,
) {
    if !actual.contains(expected) {
        report.message_differences.push((
            line,
            directive,
            expected.to_string(),
            actual.to_string(),
        ));
    }
}
