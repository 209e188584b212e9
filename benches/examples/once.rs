//! Runs corpus programs once per engine at their benchmark size and prints
//! the wall time of each run (compilation included), with the ratio to the
//! first engine: a quick look while working on a tier, not a measurement to
//! publish (criterion's `throughput` bench is that).
//!
//! ```sh
//! SKIFF_BENCH_ENGINES=skiff-interp,wasmi SKIFF_BENCH_PROGRAMS=fib,loops \
//!     CARGO_TARGET_DIR=$PWD/target-peers cargo run --release -p benches --features peers --example once
//! ```
//! The engines and programs are chosen as for the benchmarks (Skiff's tiers
//! first); `SKIFF_BENCH_SIZE=small` uses the smoke-test sizes.

use benches::corpus::{Corpus, SizeClass};
use std::time::Instant;

fn main() -> Result<(), String> {
    let class = match std::env::var("SKIFF_BENCH_SIZE").as_deref() {
        Ok("small") => SizeClass::Small,
        _ => SizeClass::Bench,
    };
    let corpus = Corpus::load()?;
    let engines = benches::selected_engines();
    for program in corpus.selected() {
        let wasm = corpus.wasm(program)?;
        let mut first = None;
        let mut line = format!("{:9}", program.name);
        for engine in &engines {
            let start = Instant::now();
            let out = engine
                .compile(&wasm)
                .and_then(|c| c.run_command(&program.args(class)));
            let secs = start.elapsed().as_secs_f64();
            let out = match out {
                Err(e) if engine.best_effort() => {
                    line += &format!("  {}: unsupported ({e})", engine.name());
                    continue;
                }
                out => out?,
            };
            program.check(class, out.exit_code, &out.stdout)?;
            let base = *first.get_or_insert(secs);
            line += &format!("  {}: {secs:.3} s ({:.2})", engine.name(), secs / base);
        }
        println!("{line}");
    }
    Ok(())
}
