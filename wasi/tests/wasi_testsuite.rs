//! Runs the official WebAssembly/wasi-testsuite (its prebuilt `wasm32-wasip1`
//! tests) through the `skiff run` binary, on each tier.
//!
//! The suite is not part of this repository. Check out the branch
//! `prod/testsuite-base` of <https://github.com/WebAssembly/wasi-testsuite>
//! somewhere, build the command line, and point the runner at it:
//!
//! ```sh
//! cargo build --release -p skiff
//! WASI_TESTSUITE=/path/to/wasi-testsuite \
//!     cargo test --release -p skiff-wasi --test wasi_testsuite -- --ignored --nocapture
//! ```
//!
//! Each test is a `.wasm` with an optional `.json` beside it naming its
//! arguments, environment, a directory to preopen as `/`, and the exit code
//! and output expected (the suite's `doc/specification.md`). The runner
//! copies that directory to a fresh temporary one for every run, so the
//! checkout is never written to, runs `skiff run --engine E --dir COPY::/
//! --env K=V ... TEST.wasm ARGS...` with stdin an empty pipe, compares, and
//! prints the failures and then the pass and fail counts per language and
//! tier. It fails when any test fails.
//!
//! `SKIFF_ENGINES=interp` (or `jit`) narrows the tiers; `WASI_TESTSUITE_FILTER=word`
//! runs only the tests whose name contains it; `SKIFF_BIN=path` names the
//! binary (by default the `skiff` beside this test's own build).

use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How long one test may run before it is killed and counted as failed.
const TIMEOUT: Duration = Duration::from_secs(120);

/// One test: its module and what its specification says.
struct Test {
    language: String,
    name: String,
    wasm: PathBuf,
    args: Vec<String>,
    env: Vec<(String, String)>,
    root: Option<PathBuf>,
    exit_code: i32,
    stdout: Option<String>,
    stderr: Option<String>,
}

/// The `skiff` binary: `SKIFF_BIN`, or the one in the target directory this
/// test was built in.
fn skiff_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("SKIFF_BIN") {
        return PathBuf::from(p);
    }
    // This executable is `<target>/<profile>/deps/wasi_testsuite-<hash>`.
    let exe = std::env::current_exe().expect("the test knows its own path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test runs from <target>/<profile>/deps");
    profile_dir.join("skiff")
}

/// The suite folders under `root`: `tests/<language>/testsuite/wasm32-wasip1`.
fn suites(root: &Path) -> Vec<(String, PathBuf)> {
    let mut found = Vec::new();
    let tests = root.join("tests");
    let Ok(langs) = std::fs::read_dir(&tests) else {
        panic!(
            "{}: no tests/ folder; WASI_TESTSUITE must name a checkout of the branch prod/testsuite-base",
            root.display()
        );
    };
    for lang in langs.flatten() {
        let dir = lang.path().join("testsuite/wasm32-wasip1");
        if dir.join("manifest.json").is_file() {
            found.push((lang.file_name().to_string_lossy().into_owned(), dir));
        }
    }
    found.sort();
    found
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|s| s.as_str().expect("arguments are strings").to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// Reads a test's specification (the legacy form: `args`, `env`, `root`,
/// `exit_code`, `stdout`, `stderr`; or `operations` with `run`, `read` and
/// `wait`). A missing file means the defaults: no arguments, nothing
/// preopened, exit code 0.
fn load_test(language: &str, dir: &Path, wasm: PathBuf) -> Test {
    let name = wasm.file_stem().unwrap().to_string_lossy().into_owned();
    let spec_path = wasm.with_extension("json");
    let spec: Value = match std::fs::read_to_string(&spec_path) {
        Ok(text) => {
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", spec_path.display()))
        }
        Err(_) => Value::Object(Default::default()),
    };
    let mut t = Test {
        language: language.to_string(),
        name,
        wasm,
        args: Vec::new(),
        env: Vec::new(),
        root: None,
        exit_code: 0,
        stdout: None,
        stderr: None,
    };
    let apply_run = |run: &Value, t: &mut Test| {
        t.args = strings(run.get("args"));
        if let Some(env) = run.get("env").and_then(Value::as_object) {
            t.env = env
                .iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str().expect("env values are strings").into(),
                    )
                })
                .collect();
        }
        t.root = run.get("root").and_then(Value::as_str).map(|r| dir.join(r));
    };
    if let Some(ops) = spec.get("operations").and_then(Value::as_array) {
        for op in ops {
            match op.get("type").and_then(Value::as_str) {
                Some("run") => apply_run(op, &mut t),
                Some("wait") => {
                    t.exit_code = op.get("exit_code").and_then(Value::as_i64).unwrap_or(0) as i32
                }
                Some("read") => {
                    let payload = op
                        .get("payload")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string();
                    match op.get("id").and_then(Value::as_str).unwrap_or("stdout") {
                        "stderr" => t.stderr = Some(payload),
                        _ => t.stdout = Some(payload),
                    }
                }
                other => panic!("{}: operation {other:?} is not supported", t.name),
            }
        }
    } else {
        apply_run(&spec, &mut t);
        t.exit_code = spec.get("exit_code").and_then(Value::as_i64).unwrap_or(0) as i32;
        t.stdout = spec.get("stdout").and_then(Value::as_str).map(String::from);
        t.stderr = spec.get("stderr").and_then(Value::as_str).map(String::from);
    }
    t
}

/// A fresh copy of `from` under the system's temporary directory.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let ty = e.file_type().unwrap();
        let dest = to.join(e.file_name());
        if ty.is_dir() {
            copy_tree(&e.path(), &dest);
        } else if ty.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(e.path()).unwrap(), dest).unwrap();
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

/// What a run printed and how it ended.
struct Outcome {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    timed_out: bool,
}

fn run_one(skiff: &Path, engine: &str, t: &Test, scratch: &Path) -> Outcome {
    let mut cmd = Command::new(skiff);
    cmd.arg("run").arg("--engine").arg(engine);
    for (k, v) in &t.env {
        cmd.arg("--env").arg(format!("{k}={v}"));
    }
    let work = scratch.join(format!("{}-{}-{engine}", t.language, t.name));
    let _ = std::fs::remove_dir_all(&work);
    if let Some(root) = &t.root {
        copy_tree(root, &work);
        cmd.arg("--dir").arg(format!("{}::/", work.display()));
    }
    cmd.arg(&t.wasm).args(&t.args);
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("skiff starts");
    // Stdin is a pipe that reaches end of file at once, as in the suite's own runner.
    drop(child.stdin.take());
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut o = Vec::new();
        let mut e = Vec::new();
        let err_reader = std::thread::spawn(move || {
            let _ = err.read_to_end(&mut e);
            e
        });
        let _ = out.read_to_end(&mut o);
        let e = err_reader.join().unwrap_or_default();
        let status = child.wait().expect("skiff is waited for");
        let _ = tx.send((status, o, e));
    });
    let (code, stdout, stderr, timed_out) = match rx.recv_timeout(TIMEOUT) {
        Ok((status, o, e)) => (status.code(), o, e, false),
        Err(_) => {
            // SAFETY: `kill` takes plain integers; `pid` is our child, not yet reaped
            // (the reader thread still waits for it).
            unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
            let (status, o, e) = rx.recv().expect("the killed child is reaped");
            (status.code(), o, e, true)
        }
    };
    reader.join().expect("the reader thread ends");
    let _ = std::fs::remove_dir_all(&work);
    Outcome {
        code,
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
        timed_out,
    }
}

/// Why `o` does not meet `t`'s expectations, if it does not.
fn judge(t: &Test, o: &Outcome) -> Option<String> {
    if o.timed_out {
        return Some(format!("timed out after {TIMEOUT:?}"));
    }
    let mut why = Vec::new();
    if o.code != Some(t.exit_code) {
        why.push(format!("exit code {:?}, expected {}", o.code, t.exit_code));
    }
    if let Some(s) = &t.stdout
        && &o.stdout != s
    {
        why.push(format!("stdout {:?}, expected {s:?}", o.stdout));
    }
    if let Some(s) = &t.stderr
        && &o.stderr != s
    {
        why.push(format!("stderr {:?}, expected {s:?}", o.stderr));
    }
    if why.is_empty() {
        None
    } else {
        let mut text = why.join("; ");
        for (label, s) in [("stdout", &o.stdout), ("stderr", &o.stderr)] {
            let s = s.trim_end();
            if !s.is_empty() {
                let tail: String = s.lines().take(12).collect::<Vec<_>>().join("\n      ");
                text.push_str(&format!("\n    {label}: {tail}"));
            }
        }
        Some(text)
    }
}

#[test]
#[ignore = "needs WASI_TESTSUITE=<a checkout of wasi-testsuite's prod/testsuite-base>"]
fn wasi_testsuite() {
    let Some(root) = std::env::var_os("WASI_TESTSUITE").map(PathBuf::from) else {
        panic!(
            "set WASI_TESTSUITE to a checkout of the branch prod/testsuite-base of WebAssembly/wasi-testsuite"
        );
    };
    let skiff = skiff_bin();
    assert!(
        skiff.is_file(),
        "{}: no skiff binary; build it first (cargo build --release -p skiff) or set SKIFF_BIN",
        skiff.display()
    );
    let engines: Vec<String> = std::env::var("SKIFF_ENGINES")
        .unwrap_or_else(|_| "interp,jit".into())
        .split(',')
        .map(str::to_string)
        .collect();
    let filter = std::env::var("WASI_TESTSUITE_FILTER").unwrap_or_default();

    let mut tests = Vec::new();
    for (language, dir) in suites(&root) {
        let mut wasms: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "wasm"))
            .collect();
        wasms.sort();
        for wasm in wasms {
            let t = load_test(&language, &dir, wasm);
            if t.name.contains(&filter) {
                tests.push(t);
            }
        }
    }
    assert!(
        !tests.is_empty(),
        "{}: no wasm32-wasip1 tests found",
        root.display()
    );

    let scratch = std::env::temp_dir().join(format!("skiff-wasi-testsuite-{}", std::process::id()));
    // (language, engine) -> (passed, failed)
    let mut counts: BTreeMap<(String, String), (usize, usize)> = BTreeMap::new();
    let mut failures = Vec::new();
    for engine in &engines {
        for t in &tests {
            let outcome = run_one(&skiff, engine, t, &scratch);
            let c = counts
                .entry((t.language.clone(), engine.clone()))
                .or_default();
            match judge(t, &outcome) {
                None => c.0 += 1,
                Some(why) => {
                    c.1 += 1;
                    failures.push(format!("{engine} {}/{}: {why}", t.language, t.name));
                }
            }
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);

    for f in &failures {
        println!("FAILED {f}");
    }
    println!("\nwasi-testsuite (wasm32-wasip1), {}", root.display());
    let mut totals: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for ((language, engine), (p, f)) in &counts {
        println!("  {engine:<7} {language:<15} {p:>3} passed, {f:>3} failed");
        let t = totals.entry(engine).or_default();
        t.0 += p;
        t.1 += f;
    }
    for (engine, (p, f)) in &totals {
        println!("  {engine:<7} {:<15} {p:>3} passed, {f:>3} failed", "all");
    }
    assert!(failures.is_empty(), "{} run(s) failed", failures.len());
}
