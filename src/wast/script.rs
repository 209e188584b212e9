//! Runs the directives of one `.wast` script against Skiff.

use super::exec::{Engine, Exec, Verdict, noting};
use super::outcome::{Failure, FileReport, Outcome};
use skiff_vm::{ErrorKind, Features, ValidatedModule};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use wast::parser::{self, ParseBuffer};
use wast::{QuoteWat, Wast, WastDirective, WastExecute};

/// Runs every top-level directive of `text` on `engine` and tallies them in a report.
pub fn run(name: &str, text: &str, features: &Features, engine: &Engine) -> FileReport {
    let mut report = FileReport {
        name: name.to_string(),
        ..FileReport::default()
    };
    let mut lexer = wast::lexer::Lexer::new(text);
    // names.wast holds U+202E on purpose.
    lexer.allow_confusing_unicode(true);
    let buf = match ParseBuffer::new_with_lexer(lexer) {
        Ok(buf) => buf,
        Err(mut e) => {
            e.set_path(std::path::Path::new(name));
            report.fail_whole_file(format!("lexing failed: {e}"));
            return report;
        }
    };
    let wast = match parser::parse::<Wast>(&buf) {
        Ok(w) => w,
        Err(mut e) => {
            e.set_path(std::path::Path::new(name));
            report.fail_whole_file(format!("parsing failed: {e}"));
            return report;
        }
    };
    let mut runner = Runner {
        text,
        features,
        exec: Exec::new(engine),
    };
    for directive in wast.directives {
        let line = runner.line(directive.span());
        let kind = kind_name(&directive);
        // A panic (in a tier, say) fails its directive, not the whole run.
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            runner.directive(directive, &mut report)
        }))
        .unwrap_or_else(|payload| {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Outcome::Failed(Failure {
                line,
                directive: kind,
                message: format!("panicked: {what}"),
                expected: None,
            })
        });
        report.add(outcome);
    }
    report
}

/// The directive's keyword, as failures name it.
fn kind_name(directive: &WastDirective) -> &'static str {
    match directive {
        WastDirective::Module(_) => "module",
        WastDirective::ModuleDefinition(_) => "module definition",
        WastDirective::ModuleInstance { .. } => "module instance",
        WastDirective::AssertMalformed { .. } => "assert_malformed",
        WastDirective::AssertInvalid { .. } => "assert_invalid",
        WastDirective::AssertInvalidCustom { .. } => "assert_invalid_custom",
        WastDirective::AssertMalformedCustom { .. } => "assert_malformed_custom",
        WastDirective::Register { .. } => "register",
        WastDirective::Invoke(_) => "invoke",
        WastDirective::AssertTrap { .. } => "assert_trap",
        WastDirective::AssertReturn { .. } => "assert_return",
        WastDirective::AssertExhaustion { .. } => "assert_exhaustion",
        WastDirective::AssertUnlinkable { .. } => "assert_unlinkable",
        WastDirective::AssertException { .. } => "assert_exception",
        WastDirective::AssertSuspension { .. } => "assert_suspension",
        WastDirective::Thread(_) => "thread",
        WastDirective::Wait { .. } => "wait",
    }
}

struct Runner<'t, 'e> {
    text: &'t str,
    features: &'t Features,
    exec: Exec<'e>,
}

/// What became of loading a module.
pub enum Loaded {
    /// The text form did not parse (or could not be encoded).
    TextRejected(String),
    /// Decoding or validation rejected it (malformed or invalid).
    Rejected(skiff_vm::Error),
    /// It uses what Skiff does not implement; `imports` names the modules it
    /// imports from (read by wasmparser), as far as the bytes tell.
    Unsupported {
        /// Why it is unsupported.
        error: skiff_vm::Error,
        /// The module name of each import.
        imports: Vec<String>,
    },
    /// Decoded and validated, ready to share with a tier.
    Valid(Arc<ValidatedModule>),
    /// Not a core module (a component).
    NotCore,
}

impl Runner<'_, '_> {
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
            Ok(m) => Loaded::Valid(Arc::new(m)),
            Err(e) if e.kind() == ErrorKind::Unsupported => Loaded::Unsupported {
                error: e,
                imports: import_modules(&bytes),
            },
            Err(e) => Loaded::Rejected(e),
        }
    }

    fn directive(&mut self, directive: WastDirective, report: &mut FileReport) -> Outcome {
        let span = directive.span();
        let line = self.line(span);
        let kind = kind_name(&directive);
        let wrong = |message: String, expected: &str| Verdict::Fail {
            message,
            expected: Some(expected.to_string()),
        };
        let verdict = match directive {
            WastDirective::Module(mut m) => {
                let id = m.name().map(|id| id.name());
                let loaded = self.load(&mut m);
                self.exec.module(line, id, loaded)
            }
            WastDirective::ModuleDefinition(mut m) => {
                let id = m.name().map(|id| id.name());
                let loaded = self.load(&mut m);
                self.exec.module_definition(line, id, loaded)
            }
            WastDirective::ModuleInstance {
                instance, module, ..
            } => self.exec.module_instance(
                line,
                instance.map(|i| i.name()),
                module.map(|m| m.name()),
            ),
            WastDirective::AssertMalformed {
                mut module,
                message,
                ..
            } => match self.load(&mut module) {
                Loaded::TextRejected(actual) => noting(message, &actual),
                Loaded::Rejected(e) if e.kind() == ErrorKind::Malformed => {
                    noting(message, e.message())
                }
                Loaded::Unsupported { error, .. } => Verdict::Skip(error.message().to_string()),
                Loaded::NotCore => Verdict::Skip("component model".into()),
                Loaded::Rejected(e) => wrong(
                    format!("rejected at the wrong stage ({}): {e}", e.kind()),
                    message,
                ),
                Loaded::Valid(_) => wrong("module was accepted".into(), message),
            },
            WastDirective::AssertInvalid {
                mut module,
                message,
                ..
            } => match self.load(&mut module) {
                Loaded::Rejected(e) if e.kind() == ErrorKind::Invalid => {
                    noting(message, e.message())
                }
                Loaded::Unsupported { error, .. } => Verdict::Skip(error.message().to_string()),
                Loaded::NotCore => Verdict::Skip("component model".into()),
                Loaded::Rejected(e) => wrong(
                    format!("rejected at the wrong stage ({}): {e}", e.kind()),
                    message,
                ),
                Loaded::TextRejected(e) => wrong(format!("text did not parse: {e}"), message),
                Loaded::Valid(_) => wrong("module was accepted".into(), message),
            },
            WastDirective::AssertInvalidCustom { .. }
            | WastDirective::AssertMalformedCustom { .. } => {
                Verdict::Skip("custom annotations are not checked".into())
            }
            WastDirective::Register { name, module, .. } => {
                self.exec.register(name, module.map(|m| m.name()))
            }
            WastDirective::Invoke(invoke) => self.exec.invoke(&invoke),
            WastDirective::AssertReturn { exec, results, .. } => {
                self.exec.assert_return(&exec, &results)
            }
            WastDirective::AssertTrap {
                exec: WastExecute::Wat(module),
                message,
                ..
            } => {
                let loaded = self.load(&mut QuoteWat::Wat(module));
                self.exec.assert_trap_module(line, loaded, message)
            }
            WastDirective::AssertTrap { exec, message, .. } => {
                self.exec.assert_trap(&exec, message)
            }
            WastDirective::AssertExhaustion { call, message, .. } => {
                self.exec.assert_exhaustion(&call, message)
            }
            WastDirective::AssertUnlinkable {
                module, message, ..
            } => {
                let loaded = self.load(&mut QuoteWat::Wat(module));
                self.exec.assert_unlinkable(line, loaded, message)
            }
            WastDirective::AssertException { exec, .. } => self.exec.assert_exception(&exec),
            WastDirective::AssertSuspension { .. } => {
                self.exec.unsupported("stack switching is not supported")
            }
            WastDirective::Thread(_) | WastDirective::Wait { .. } => {
                Verdict::Skip("threads are not supported".into())
            }
        };
        match verdict {
            Verdict::Pass => Outcome::Passed,
            Verdict::PassNoting { expected, actual } => {
                // Passing, with Skiff's message not the script's: the JSON shows both.
                report
                    .message_differences
                    .push((line, kind, expected, actual));
                Outcome::Passed
            }
            Verdict::Fail { message, expected } => Outcome::Failed(Failure {
                line,
                directive: kind,
                message,
                expected,
            }),
            Verdict::Skip(reason) => Outcome::Skipped(reason),
        }
    }
}

/// The module name of each import of a binary module, as far as wasmparser
/// (with every proposal it knows enabled) can read them.
fn import_modules(bytes: &[u8]) -> Vec<String> {
    let mut parser = wasmparser::Parser::new(0);
    parser.set_features(wasmparser::WasmFeatures::all());
    let mut out = Vec::new();
    for payload in parser.parse_all(bytes) {
        match payload {
            Ok(wasmparser::Payload::ImportSection(reader)) => {
                out.extend(
                    reader
                        .into_imports()
                        .map_while(Result::ok)
                        .map(|i| i.module.to_string()),
                );
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    out
}
