//! Runs modules generated from fixed seeds on Skiff's interpreter, JIT and
//! checked JIT and on wasmi, comparing everything they show (see the
//! crate's documentation). A failure prints the seed; reproduce it with
//! `skiff_differential::generate(&seed_bytes(seed, seed_len(seed)))`.

use skiff_differential::{Engines, Verdict, generate, seed_bytes};

/// How many bytes a seed expands to: modules of several sizes.
fn seed_len(seed: u64) -> usize {
    1024 + (seed % 8) as usize * 1024
}

/// Checks the modules of seeds `range`; panics with the first divergence
/// among Skiff's tiers, and with the first where only wasmi differs unless
/// `oracle_only_allowed` (then such seeds are listed at the end: a third
/// engine must say which side is wrong, as `fuzz/README.md` says).
fn check_seeds(range: std::ops::Range<u64>, oracle_only_allowed: bool) {
    let engines = Engines::new();
    let (mut compared, mut skipped, mut suspect, mut relaxed) = (0, 0, 0, 0);
    let (mut calls, mut traps, mut exceptions) = (0, 0, 0);
    let mut oracle_only = Vec::new();
    // A crash of the process loses the panic message: SKIFF_DIFF_TRACE=1
    // names each seed before it runs.
    let trace = std::env::var_os("SKIFF_DIFF_TRACE").is_some();
    for seed in range.clone() {
        if trace {
            eprintln!("seed {seed}");
        }
        let Some(bytes) = generate(&seed_bytes(seed, seed_len(seed))) else {
            skipped += 1;
            continue;
        };
        match engines.check(&bytes) {
            Ok(Verdict::Same { calls: c, traps: t }) => {
                compared += 1;
                calls += c;
                traps += t;
            }
            Ok(Verdict::OracleSuspect) => suspect += 1,
            Ok(Verdict::Relaxed) => relaxed += 1,
            Ok(Verdict::Exceptions) => exceptions += 1,
            Ok(Verdict::Rejected) => skipped += 1,
            Err(d) if d.oracle_only && oracle_only_allowed => {
                eprintln!("seed {seed}: {d}");
                oracle_only.push(seed);
            }
            Err(d) => panic!("seed {seed}: {d}"),
        }
    }
    eprintln!(
        "{range:?}: {compared} compared with wasmi ({calls} calls, {traps} trapped), \
         {suspect} only between Skiff's tiers (wasmi suspect), {relaxed} only between Skiff's \
         tiers (relaxed SIMD), {exceptions} only between Skiff's tiers (exceptions), \
         {skipped} skipped; only wasmi differs at {oracle_only:?}"
    );
    // Nearly every seed makes a module wasmi accepts and runs right; about
    // one in six uses relaxed SIMD.
    assert!(
        (compared + relaxed + exceptions) * 10 >= (range.end - range.start) as usize * 7,
        "only {compared} of the seeds compared with wasmi and {relaxed} among Skiff's tiers \
         ({suspect} wasmi suspects, {skipped} skipped)"
    );
    assert!(
        compared * 2 >= (range.end - range.start) as usize,
        "only {compared} compared with wasmi"
    );
}

#[test]
fn seeds_0_to_500() {
    check_seeds(0..500, false);
}

#[test]
fn seeds_500_to_1000() {
    check_seeds(500..1000, false);
}

#[test]
fn seeds_1000_to_1500() {
    check_seeds(1000..1500, false);
}

#[test]
fn seeds_1500_to_2000() {
    check_seeds(1500..2000, false);
}

/// A longer run over the seeds `SKIFF_DIFF_SEEDS` names (`START..END`):
/// `SKIFF_DIFF_SEEDS=2000..100000 cargo test --release -p skiff-differential
/// --test seeds -- --ignored`.
#[test]
#[ignore = "a long run; set SKIFF_DIFF_SEEDS=START..END"]
fn seeds_from_the_environment() {
    let spec = std::env::var("SKIFF_DIFF_SEEDS").expect("SKIFF_DIFF_SEEDS=START..END");
    let (start, end) = spec.split_once("..").expect("START..END");
    check_seeds(
        start.parse().expect("START")..end.parse().expect("END"),
        true,
    );
}
