//! Startup: how fast each engine gets from bytes to running code.
//!
//! Groups (criterion ids are `GROUP/FUNCTION`):
//!
//! - `load/MODULE`: decode and validate, and compile where an engine
//!   compiles eagerly, for `big.wasm` (5.9 MB), `sha256.wasm` (a typical
//!   corpus program) and `empty.wasm`. Rows:
//!   - `skiff-decode-validate`: `skiff_vm::load`, Skiff's own decoder and
//!     validator.
//!   - `skiff-TIER`: a Skiff tier's `Engine::compile` (decode, validate and
//!     translate). Absent until the tiers exist.
//!   - `wasmtime`: `Module::new`, which validates and compiles every function
//!     with Cranelift, in parallel on all cores.
//!   - `wasmi`: `Module::new`, which validates every function and translates
//!     lazily, on first call.
//!   - `wasm3`: parsing only; wasm3 neither validates nor compiles ahead.
//! - `load-artifact/big.wasm`: from an ahead-of-time artifact of `big.wasm`
//!   in a file to a module ready to instantiate. Rows: `skiff-jit-file`
//!   (`Module::deserialize_file`, the code mapped from the file),
//!   `skiff-jit-bytes` (`Module::deserialize` of the file's bytes already
//!   read, the code copied), `skiff-auto-file` (the default engine's
//!   artifact, as `skiff compile` writes it), and `wasmtime-file`
//!   (`Module::deserialize_file` of `Module::serialize`'s bytes) with the
//!   wasmtime peer.
//! - `instantiate/empty.wat`: a fresh store and instance of a module with no
//!   imports and no memory, from an already compiled module.
//! - `instantiate-call/empty.wat`: the same, then call its empty export `run`.
//! - `command/empty.wasm`: instantiate the smallest WASI command with WASI and
//!   run its `_start` (what a CLI run costs beyond process start and compile).
//! - `instantiate-call/memory-DATA`: a fresh store and instance of a module
//!   with a memory of 17 pages and an active data segment of DATA (none,
//!   64 KiB, 1 MiB) at offset 0, then a call of its export `run`, which
//!   reads a byte of the data: one request of an instance-per-request host.
//!   `memory-DATA-writes`: the same, and `run` also writes a word in two
//!   pages (at 64 and 70,000), as a request of a real program does (its
//!   stack and its heap), so that the next request must not see them.
//! - `instantiate-call-threads/memory-DATA/ENGINE/THREADS`: the same
//!   requests (DATA none or 1 MiB, and none with writes) on 1 and on 2
//!   threads sharing the module; the time is per request of all threads
//!   together, so that two threads scaling perfectly take half the time of
//!   one (wasm3, whose modules are not shared between threads, is left
//!   out).
//! - `wasi-context/one-dir`: Skiff's WASI context for a request, with its
//!   arguments and one preopened directory, from a `WasiCtxBuilder` and
//!   from a `WasiTemplate`.
//!
//! Every engine of [`benches::selected_engines`] appears in the last four
//! groups; Skiff's tiers join them by being listed in `benches::skiff::tiers`.

use benches::{Corpus, Engine, selected_engines};
use criterion::{BenchmarkId, Criterion, SamplingMode, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// The modules of the `load` group. big.wasm takes seconds to compile in
/// wasmtime, so its group uses flat sampling: 10 samples, one iteration each
/// when that is all the time allows.
const LOAD_MODULES: [&str; 3] = ["big.wasm", "sha256.wasm", "empty.wasm"];

fn load(c: &mut Criterion, corpus: &Corpus, engines: &[Box<dyn Engine>]) {
    for file in LOAD_MODULES {
        let wasm = corpus.read(file).unwrap();
        let mut group = c.benchmark_group(format!("load/{file}"));
        group.sampling_mode(SamplingMode::Flat);
        group.bench_function("skiff-decode-validate", |b| {
            b.iter(|| benches::skiff::load(black_box(&wasm)).unwrap())
        });
        for engine in engines {
            // Each engine's own eager work: for a Skiff tier this is decode,
            // validate and translate, to be read beside `skiff-decode-validate`.
            group.bench_function(BenchmarkId::from_parameter(engine.name()), |b| {
                b.iter(|| engine.compile(black_box(&wasm)).unwrap())
            });
        }
        group.finish();
    }
}

fn load_artifact(c: &mut Criterion, corpus: &Corpus) {
    use skiff::{EngineKind, Module};
    use std::sync::OnceLock;
    let wasm = corpus.read("big.wasm").unwrap();
    let dir = std::env::temp_dir().join(format!("skiff-bench-artifacts-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // Written on the first call of a routine that needs it: compiling
    // big.wasm takes seconds, which a run filtering this group out is spared
    // (criterion calls only the routines it measures).
    let written = |name: &str, compile: &dyn Fn() -> Vec<u8>| {
        let path = dir.join(name);
        std::fs::write(&path, compile()).unwrap();
        path
    };
    let mut group = c.benchmark_group("load-artifact/big.wasm");
    for (name, kind) in [
        ("skiff-jit", EngineKind::Jit),
        ("skiff-auto", EngineKind::Auto),
    ] {
        // A build without the JIT has no code to keep.
        let Ok(engine) = skiff::Engine::new(kind) else {
            continue;
        };
        let path = OnceLock::new();
        let path = || {
            path.get_or_init(|| {
                written(&format!("{name}.skiffc"), &|| {
                    engine.precompile_module(&wasm).unwrap()
                })
            })
        };
        group.bench_function(format!("{name}-file"), |b| {
            let path = path();
            // SAFETY: written by this Skiff, and left alone.
            b.iter(|| unsafe { Module::deserialize_file(&engine, black_box(path)) }.unwrap())
        });
        if kind == EngineKind::Jit {
            let bytes = OnceLock::new();
            group.bench_function(format!("{name}-bytes"), |b| {
                let bytes = bytes.get_or_init(|| std::fs::read(path()).unwrap());
                // SAFETY: as above.
                b.iter(|| unsafe { Module::deserialize(&engine, black_box(bytes)) }.unwrap())
            });
        }
    }
    #[cfg(feature = "peer-wasmtime")]
    {
        let engine = wasmtime::Engine::default();
        let path = OnceLock::new();
        group.bench_function("wasmtime-file", |b| {
            let path = path.get_or_init(|| {
                written("wasmtime.cwasm", &|| {
                    let module = wasmtime::Module::new(&engine, &wasm).unwrap();
                    module.serialize().unwrap()
                })
            });
            // SAFETY: serialized by this wasmtime, and left alone.
            b.iter(|| {
                unsafe { wasmtime::Module::deserialize_file(&engine, black_box(path)) }.unwrap()
            })
        });
    }
    group.finish();
    std::fs::remove_dir_all(&dir).ok();
}

fn instantiate(c: &mut Criterion, corpus: &Corpus, engines: &[Box<dyn Engine>]) {
    let text = std::fs::read_to_string(corpus.path("empty.wat")).unwrap();
    let empty_wat = skiff_vm::wat_to_binary(&text).unwrap();
    let empty_wasm = corpus.read("empty.wasm").unwrap();
    let args = ["empty.wasm".to_string()];

    let compiled: Vec<_> = engines
        .iter()
        .map(|e| {
            (
                e.name(),
                e.compile(&empty_wat).unwrap(),
                e.compile(&empty_wasm).unwrap(),
            )
        })
        .collect();

    let mut group = c.benchmark_group("instantiate/empty.wat");
    group.sample_size(30);
    for (name, module, _) in &compiled {
        group.bench_function(*name, |b| b.iter(|| module.instantiate().unwrap()));
    }
    group.finish();

    let mut group = c.benchmark_group("instantiate-call/empty.wat");
    group.sample_size(30);
    for (name, module, _) in &compiled {
        group.bench_function(*name, |b| {
            b.iter(|| module.instantiate_and_call("run").unwrap())
        });
    }
    group.finish();

    let mut group = c.benchmark_group("command/empty.wasm");
    group.sample_size(30);
    for (name, _, command) in &compiled {
        let out = command.run_command(&args).unwrap();
        assert_eq!(out.exit_code, 0, "{name}: empty.wasm exit status");
        group.bench_function(*name, |b| b.iter(|| command.run_command(&args).unwrap()));
    }
    group.finish();
}

/// The modules of the memory groups: label, bytes of data, whether `run`
/// writes, and whether the two-thread group runs it too.
const MEMORY_MODULES: [(&str, usize, bool, bool); 4] = [
    ("none", 0, false, true),
    ("64KiB", 64 << 10, false, false),
    ("1MiB", 1 << 20, false, true),
    ("none-writes", 0, true, true),
];

/// A module with a memory of 17 pages whose first `data` bytes an active
/// segment fills, and an export `run` reading one of them and, with
/// `writes`, writing a word at 64 and one at 70,000.
fn memory_module(data: usize, writes: bool) -> Vec<u8> {
    let bytes: String = (0..data).map(|i| (b'a' + (i % 26) as u8) as char).collect();
    let segment = if data == 0 {
        String::new()
    } else {
        format!("(data (i32.const 0) \"{bytes}\")")
    };
    let stores = if writes {
        "(i32.store (i32.const 64) (i32.const 7)) (i32.store (i32.const 70000) (i32.const 7))"
    } else {
        ""
    };
    let wat = format!(
        "(module (memory 17) {segment}
           (func (export \"run\") (drop (i32.load8_u (i32.const {at}))) {stores}))",
        at = data / 2
    );
    skiff_vm::wat_to_binary(&wat).unwrap()
}

fn instantiate_with_data(c: &mut Criterion, engines: &[Box<dyn Engine>]) {
    for (label, data, writes, _) in MEMORY_MODULES {
        let wasm = memory_module(data, writes);
        let mut group = c.benchmark_group(format!("instantiate-call/memory-{label}"));
        group.sample_size(30);
        for engine in engines {
            let module = engine.compile(&wasm).unwrap();
            group.bench_function(engine.name(), |b| {
                b.iter(|| module.instantiate_and_call("run").unwrap())
            });
        }
        group.finish();
    }
}

/// Instance per request on one thread and on two sharing the module: the
/// time per request of all threads together, so that two threads scaling
/// perfectly show half the time of one.
fn instantiate_on_threads(c: &mut Criterion, engines: &[Box<dyn Engine>]) {
    let on_threads = MEMORY_MODULES.iter().filter(|m| m.3);
    for &(label, data, writes, _) in on_threads {
        let wasm = memory_module(data, writes);
        let mut group = c.benchmark_group(format!("instantiate-call-threads/memory-{label}"));
        group.sample_size(20);
        for engine in engines {
            let module = engine.compile(&wasm).unwrap();
            for threads in [1, 2] {
                if module
                    .instantiate_and_call_on_threads("run", threads, 1)
                    .is_none()
                {
                    continue;
                }
                let id = format!("{}/{threads}", engine.name());
                group.bench_function(id, |b| {
                    b.iter_custom(|requests| {
                        let start = Instant::now();
                        module
                            .instantiate_and_call_on_threads("run", threads, requests)
                            .expect("shared between threads")
                            .unwrap();
                        start.elapsed()
                    })
                });
            }
        }
        group.finish();
    }
}

/// `wasi-context/one-dir`: a WASI context for one request, granting
/// arguments and one preopened directory, built from a builder (which opens
/// the directory) and from a template (which duplicates its descriptor).
fn wasi_context(c: &mut Criterion) {
    use skiff::wasi::{DirPerms, Stdio, WasiCtxBuilder};
    let dir = std::env::temp_dir();
    let builder = || {
        WasiCtxBuilder::new()
            .args(["prog.wasm", "request"])
            .preopen_dir(&dir, "/tmp", DirPerms::ReadOnly)
    };
    let template = builder().build_template().unwrap();
    let mut group = c.benchmark_group("wasi-context/one-dir");
    group.bench_function("builder", |b| b.iter(|| builder().build().unwrap()));
    group.bench_function("template", |b| {
        b.iter(|| {
            template
                .ctx_with_stdio([Stdio::Closed, Stdio::Null, Stdio::Null])
                .unwrap()
        })
    });
    group.finish();
}

fn startup(c: &mut Criterion) {
    let corpus = Corpus::load().unwrap();
    let engines = selected_engines();
    load(c, &corpus, &engines);
    load_artifact(c, &corpus);
    instantiate(c, &corpus, &engines);
    instantiate_with_data(c, &engines);
    instantiate_on_threads(c, &engines);
    wasi_context(c);
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args()
}

criterion_group! {
    name = benches;
    config = config();
    targets = startup
}
criterion_main!(benches);
