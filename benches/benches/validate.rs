//! Validation throughput: Skiff's decoder and validator against wasmparser's
//! `Validator::validate_all`, on the same bytes, in the same run, with the same
//! features (WebAssembly 2.0 with SIMD).
//!
//! Group `validate/MODULE`, throughput in bytes of the module:
//! - `skiff-decode-validate`: `skiff_vm::decode` then `skiff_vm::validate`;
//! - `wasmparser-validate-all`: wasmparser's validator, the reference.
//!
//! The module is `benches/corpus/big.wasm` (5.9 MB, ~5 MB of code) when present;
//! otherwise one generated here with at least 1 MB of code (varied arithmetic,
//! locals, memory accesses, blocks, loops, `if`, `br_table` and calls).
//! `SKIFF_VALIDATE_GENERATED=1` uses the generated module even when big.wasm exists.
//!
//! Run: `cargo bench -p benches --bench validate`.

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

fn skiff(bytes: &[u8]) {
    let features = skiff_vm::Features::WASM2;
    let module = skiff_vm::decode(bytes, &features).expect("skiff decodes the module");
    let validated = skiff_vm::validate(module, &features).expect("skiff validates the module");
    black_box(validated);
}

fn wasmparser(bytes: &[u8]) {
    let features = wasmparser::WasmFeatures::WASM2 | wasmparser::WasmFeatures::SIMD;
    let types = wasmparser::Validator::new_with_features(features)
        .validate_all(bytes)
        .expect("wasmparser validates the module");
    black_box(types);
}

fn module() -> (String, Vec<u8>) {
    let big = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/big.wasm");
    let force_generated = std::env::var_os("SKIFF_VALIDATE_GENERATED").is_some();
    if let (false, Ok(bytes)) = (force_generated, std::fs::read(&big)) {
        return ("big.wasm".to_string(), bytes);
    }
    let bytes = wat::parse_str(generated_wat(8000)).expect("the generated module parses");
    let code = code_size(&bytes);
    assert!(
        code >= 1 << 20,
        "the generated module has only {code} bytes of code"
    );
    ("generated".to_string(), bytes)
}

/// The size of the code section's contents.
fn code_size(bytes: &[u8]) -> usize {
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        if let Ok(wasmparser::Payload::CodeSectionStart { size, .. }) = payload {
            return size as usize;
        }
    }
    0
}

/// A deterministic xorshift64* generator, so the module is the same every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// `n` distinct functions of type `(i32 i32) -> i32`, each about 170 bytes of
/// code, with a memory, a table and globals to use.
fn generated_wat(n: usize) -> String {
    use std::fmt::Write;
    let mut rng = Rng(0x5eed_ba5e_c0de);
    let mut w = String::from(
        "(module\n (type $t (func (param i32 i32) (result i32)))\n (memory 1)\n (table 16 funcref)\n \
         (global $g (mut i32) (i32.const 7))\n (global $h (mut f64) (f64.const 1.5))\n",
    );
    for f in 0..n {
        writeln!(w, " (func $f{f} (type $t) (local i32 i64 f32 f64)").unwrap();
        for _ in 0..6 {
            let k = rng.below(1 << 20);
            let piece = match rng.below(8) {
                0 => format!(
                    "  local.get 0 i32.const {k} i32.add local.get 1 i32.mul i32.const {} i32.rotl local.set 2\n",
                    k % 31
                ),
                1 => format!(
                    "  local.get 2 i64.extend_i32_u i64.const {k} i64.xor i64.const 3 i64.shl local.tee 3 \
                     i64.popcnt i32.wrap_i64 local.get 0 i32.xor local.set 0\n"
                ),
                2 => format!(
                    "  local.get 1 f64.convert_i32_s f64.const {k}.25 f64.mul f64.sqrt global.get $h f64.add \
                     local.tee 5 f32.demote_f64 local.set 4 local.get 5 i32.trunc_sat_f64_s local.set 1\n"
                ),
                3 => format!(
                    "  local.get 0 i32.const 4092 i32.and i32.load offset={} local.get 1 i32.add local.set 2 \
                     local.get 0 i32.const 4088 i32.and local.get 3 i64.store offset=8\n",
                    k % 64
                ),
                4 => format!(
                    "  block $b (result i32) local.get 0 local.get 1 i32.lt_u if (result i32) local.get 0 \
                     i32.const {k} i32.sub else local.get 1 i32.const 1 i32.shr_u br $b end local.get 2 \
                     i32.add end local.set 2\n"
                ),
                5 => format!(
                    "  i32.const {} local.set 2 loop $l local.get 2 i32.const 1 i32.sub local.tee 2 \
                     global.get $g i32.add global.set $g local.get 2 br_if $l end\n",
                    k % 9
                ),
                6 => format!(
                    "  block $a block $b block $c local.get 0 i32.const 3 i32.and br_table $a $b $c $a end \
                     local.get 1 i32.const {k} i32.add local.set 1 end local.get 0 i32.eqz local.set 0 end\n"
                ),
                _ => {
                    let callee = rng.below(n as u64);
                    format!(
                        "  local.get 1 local.get 0 call $f{callee} local.get 2 local.get 1 i32.const {} \
                         call_indirect (type $t) i32.add local.set 2\n",
                        k % 16
                    )
                }
            };
            w.push_str(&piece);
        }
        w.push_str("  local.get 0 local.get 2 i32.add local.get 1 i32.xor)\n");
    }
    w.push_str(")\n");
    w
}

fn validate(c: &mut Criterion) {
    let (name, bytes) = module();
    eprintln!(
        "validate/{name}: {} bytes, {} bytes of code",
        bytes.len(),
        code_size(&bytes)
    );
    // Both must accept the module, or the comparison means nothing.
    skiff(&bytes);
    wasmparser(&bytes);

    interleaved(&name, &bytes);

    let mut group = c.benchmark_group(format!("validate/{name}"));
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("skiff-decode-validate", |b| {
        b.iter(|| skiff(black_box(&bytes)))
    });
    group.bench_function("wasmparser-validate-all", |b| {
        b.iter(|| wasmparser(black_box(&bytes)))
    });
    group.finish();
}

/// Alternates the two validators, `ROUNDS` times each: on a shared, loaded
/// machine the best time of each and the median of the per-round time ratios
/// compare them more fairly than two sampling windows taken one after the
/// other, as criterion's groups are.
fn interleaved(name: &str, bytes: &[u8]) {
    const ROUNDS: usize = 21;
    let (mut best_skiff, mut best_wp) = (Duration::MAX, Duration::MAX);
    let mut ratios = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        let t = Instant::now();
        skiff(black_box(bytes));
        let ts = t.elapsed();
        let t = Instant::now();
        wasmparser(black_box(bytes));
        let tw = t.elapsed();
        best_skiff = best_skiff.min(ts);
        best_wp = best_wp.min(tw);
        ratios.push(ts.as_secs_f64() / tw.as_secs_f64());
    }
    ratios.sort_by(f64::total_cmp);
    let mbps = |d: Duration| bytes.len() as f64 / d.as_secs_f64() / 1e6;
    eprintln!(
        "validate/{name}: {ROUNDS} alternating runs: best skiff {:.1} ms ({:.1} MB/s), \
         best wasmparser {:.1} ms ({:.1} MB/s); skiff/wasmparser time ratio: {:.2} best-to-best, \
         {:.2} median of pairs",
        best_skiff.as_secs_f64() * 1e3,
        mbps(best_skiff),
        best_wp.as_secs_f64() * 1e3,
        mbps(best_wp),
        best_skiff.as_secs_f64() / best_wp.as_secs_f64(),
        ratios[ROUNDS / 2]
    );
}

criterion_group!(benches, validate);
criterion_main!(benches);
