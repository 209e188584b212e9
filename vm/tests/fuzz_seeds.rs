//! Writes the seed corpora of the fuzz targets (see `vm/fuzz/README.md`):
//! every module of the Wasm 2.0 spec suites and every `.wasm` of the benchmark
//! corpus, one file each, named by content hash; for `differential`, each
//! prefixed with a zero byte (its mode byte: "the rest is a module").
//!
//! Ignored by default; run with
//! `cargo test -p skiff-vm --release --test fuzz_seeds -- --ignored`.

mod common;

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::Path;

#[test]
#[ignore = "writes files; run on demand to seed the fuzzer"]
fn write_fuzz_seeds() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let corpus = root.join("fuzz/corpus");
    let (modules, _) = common::wasm2_modules();
    let mut inputs: Vec<Vec<u8>> = modules.into_iter().map(|m| m.bytes).collect();
    // The corpus programs are large: the fuzzer's default -max_len leaves their
    // tails out, which is fine; they still seed realistic section layouts.
    if let Ok(entries) = std::fs::read_dir(root.join("../benches/corpus")) {
        for e in entries.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "wasm") {
                inputs.push(std::fs::read(&p).unwrap());
            }
        }
    }
    for (target, prefix, max_len) in [
        ("decode_validate", &[][..], usize::MAX),
        ("differential", &[0u8][..], 1 << 16),
    ] {
        let dir = corpus.join(target);
        std::fs::create_dir_all(&dir).unwrap();
        let mut written = 0;
        for bytes in inputs.iter().filter(|b| b.len() < max_len) {
            let mut h = DefaultHasher::new();
            bytes.hash(&mut h);
            let path = dir.join(format!("{:016x}.wasm", h.finish()));
            if !path.exists() {
                std::fs::write(path, [prefix, bytes].concat()).unwrap();
                written += 1;
            }
        }
        eprintln!(
            "{target}: {} inputs, {written} new seed files in {}",
            inputs.len(),
            dir.display()
        );
    }
}
