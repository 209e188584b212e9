//! Running the WASI test programs on a tier: the interpreter, or the JIT when
//! `SKIFF_TIER=jit` (CI runs these tests both ways).

#![allow(dead_code)]

use skiff_interp::Interpreter;
use skiff_vm::runtime::{Linker, Store, Tier, Trap};
use skiff_vm::{Features, load};
use skiff_wasi::{OutputBuffer, Stdio, WasiCtxBuilder, add_to_linker, run_start};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The tier the tests run on: `SKIFF_TIER=jit` or the interpreter.
pub fn tier() -> Box<dyn Tier> {
    match std::env::var("SKIFF_TIER").as_deref() {
        Ok("jit") => Box::new(skiff_jit::Jit::new().expect("the JIT runs here")),
        Ok("interp") | Err(_) => Box::new(Interpreter::new()),
        Ok(other) => panic!("SKIFF_TIER={other}: expected interp or jit"),
    }
}

/// What a run left.
pub struct Run {
    /// The exit code (`Ok`), or the trap.
    pub result: Result<i32, Trap>,
    /// Everything the guest wrote to stdout.
    pub stdout: String,
    /// Everything the guest wrote to stderr.
    pub stderr: String,
}

impl Run {
    /// The exit code, panicking with the trap and the output if it trapped.
    pub fn code(&self) -> i32 {
        match &self.result {
            Ok(c) => *c,
            Err(t) => panic!(
                "trapped: {t}\nstdout:\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            ),
        }
    }
}

/// The bytes of test program `name`.
pub fn program(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/programs")
        .join(format!("{name}.wasm"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Runs program `name` with what `builder` grants, stdout and stderr
/// captured in buffers.
pub fn run(name: &str, builder: WasiCtxBuilder) -> Run {
    run_bytes(&program(name), builder)
}

/// Runs the module `wasm` with what `builder` grants.
pub fn run_bytes(wasm: &[u8], builder: WasiCtxBuilder) -> Run {
    let out = OutputBuffer::new();
    let err = OutputBuffer::new();
    let builder = builder
        .stdout(Stdio::Buffer(out.clone()))
        .stderr(Stdio::Buffer(err.clone()));
    let mut run = instantiate_and_run(wasm, builder);
    run.stdout = out.contents_lossy();
    run.stderr = err.contents_lossy();
    run
}

/// Runs program `name` with the standard streams `builder` sets.
pub fn run_with_stdio(name: &str, builder: WasiCtxBuilder) -> Run {
    instantiate_and_run(&program(name), builder)
}

fn instantiate_and_run(wasm: &[u8], builder: WasiCtxBuilder) -> Run {
    let ctx = builder.build().expect("the context builds").into_shared();
    let mut store = Store::default();
    let mut linker = Linker::new();
    add_to_linker(&mut linker, &mut store, ctx);
    let module = Arc::new(load(wasm, &Features::WASM2).expect("the program validates"));
    let code = tier().compile(&module).expect("it compiles");
    let instance = linker
        .instantiate(&mut store, &module, &code)
        .expect("it instantiates");
    let result = run_start(&mut store, instance);
    Run {
        result,
        stdout: String::new(),
        stderr: String::new(),
    }
}

/// A directory under the system's temporary directory with a unique name,
/// removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    /// A fresh, empty directory.
    pub fn new(tag: &str) -> TempDir {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = std::env::temp_dir().join(format!(
            "skiff-wasi-{tag}-{}-{}-{nanos}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// A path under it.
    pub fn join(&self, p: &str) -> PathBuf {
        self.0.join(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Compares outputs line by line, so a failure shows the first difference.
pub fn assert_lines(actual: &str, expected: &str) {
    let a: Vec<&str> = actual.lines().map(str::trim_start).collect();
    let e: Vec<&str> = expected
        .lines()
        .map(str::trim_start)
        .filter(|l| !l.is_empty())
        .collect();
    for (i, (x, y)) in a.iter().zip(&e).enumerate() {
        assert_eq!(x, y, "line {} differs; whole output:\n{actual}", i + 1);
    }
    assert_eq!(
        a.len(),
        e.len(),
        "line counts differ; whole output:\n{actual}"
    );
}
