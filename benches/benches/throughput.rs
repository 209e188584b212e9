//! Throughput: every corpus program at its BENCH size on every engine, in the
//! same run.
//!
//! One criterion group per program (`fib`, `loops`, ...), one function per
//! engine (`skiff-interp`, `skiff-jit` once they exist, `wasmtime`, `wasmi`,
//! `wasm3`), so criterion ids read `PROGRAM/ENGINE`. The module is compiled
//! once, outside the timing; one iteration is: a fresh store and instance with
//! WASI (argv `[NAME.wasm, SIZE]`, stdout captured), then `_start` to
//! completion. The first iteration's stdout is checked against the manifest's
//! checksum; a wrong checksum or a trap aborts the run, so no figure is ever
//! reported for a wrong answer.
//!
//! Knobs (environment variables):
//! - `SKIFF_BENCH_ENGINES=wasmtime,wasmi`: only these engines.
//! - `SKIFF_BENCH_PROGRAMS=fib,sort`: only these programs.
//! - `SKIFF_BENCH_SIZE=small`: run the SMALL sizes instead (a smoke test of
//!   the benchmark itself).
//! - `SKIFF_BENCH_SECONDS=N`: criterion's measurement time per program and
//!   engine (default 8). An iteration longer than N/10 s still runs 10 times.

use benches::{Compiled, Corpus, Engine, Program, SizeClass, selected_engines};
use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use std::cell::Cell;
use std::time::Duration;

fn size_class() -> SizeClass {
    match std::env::var("SKIFF_BENCH_SIZE").as_deref() {
        Ok("small") => SizeClass::Small,
        Ok("bench") | Ok("") | Err(_) => SizeClass::Bench,
        Ok(other) => panic!("SKIFF_BENCH_SIZE={other}: expected `small` or `bench`"),
    }
}

/// Compiles `program` and runs it once at its SMALL size, checking the
/// checksum, before any timing: a trap or an engine's error shows at once
/// and cheaply. A wrong checksum panics even on a best-effort engine.
fn precheck(
    engine: &dyn Engine,
    program: &Program,
    wasm: &[u8],
) -> Result<Box<dyn Compiled>, String> {
    let module = engine.compile(wasm)?;
    let out = module.run_command(&program.args(SizeClass::Small))?;
    if let Err(e) = program.check(SizeClass::Small, out.exit_code, &out.stdout) {
        panic!("{}: {e}", engine.name());
    }
    Ok(module)
}

fn throughput(c: &mut Criterion) {
    let corpus = Corpus::load().unwrap();
    let engines = selected_engines();
    let class = size_class();
    if engines.is_empty() {
        eprintln!(
            "throughput: no engine to run. Skiff has no execution tier yet; \
             build with `--features peers` to measure the peers."
        );
        return;
    }
    for program in corpus.selected() {
        let wasm = corpus.wasm(program).unwrap();
        let args = program.args(class);
        let mut group = c.benchmark_group(&program.name);
        // An iteration takes from ~0.5 s (a JIT) to tens of seconds (an
        // interpreter): flat sampling keeps the count at 10 iterations then.
        group.sampling_mode(SamplingMode::Flat);
        for engine in &engines {
            let module = match precheck(engine.as_ref(), program, &wasm) {
                Ok(module) => module,
                Err(e) if engine.best_effort() => {
                    eprintln!(
                        "{}/{}: unsupported by {}, skipped: {e}",
                        program.name,
                        engine.name(),
                        engine.name()
                    );
                    continue;
                }
                Err(e) => panic!("{}: {}: {e}", engine.name(), program.name),
            };
            let checked = Cell::new(false);
            group.bench_function(engine.name(), |b| {
                b.iter(|| {
                    let out = module
                        .run_command(&args)
                        .unwrap_or_else(|e| panic!("{}: {}: {e}", engine.name(), program.name));
                    if !checked.get() {
                        if let Err(e) = program.check(class, out.exit_code, &out.stdout) {
                            panic!(
                                "{}: {e}; stderr: {}",
                                engine.name(),
                                String::from_utf8_lossy(&out.stderr)
                            );
                        }
                        checked.set(true);
                    }
                    out
                })
            });
        }
        group.finish();
    }
}

fn config() -> Criterion {
    let seconds: u64 = std::env::var("SKIFF_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(8);
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(seconds))
        .configure_from_args()
}

criterion_group! {
    name = benches;
    config = config();
    targets = throughput
}
criterion_main!(benches);
