//! The `skiff` command line, run as a user would.

mod common;

use common::{ENGINES, skiff, temp_wat, text};
use std::process::Command;

#[test]
fn validate_reports_ok_and_errors() {
    let out = skiff(&["validate", "examples/fac.wat"]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "examples/fac.wat: OK\n"
    );
    let out = skiff(&["validate", "examples/invalid.wat"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "invalid module: func 0 at offset 0x1a: type mismatch: expected i32, found i64"
        ),
        "{text}"
    );
}

#[test]
fn invoke_prints_results_one_a_line() {
    let out = skiff(&["run", "--invoke", "fac-iter", "examples/fac.wat", "20"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "2432902008176640000\n"
    );
    let wat = temp_wat(
        "multi.wat",
        r#"(module (func (export "f") (param f32) (result f64 i32 f32)
             (f64.const 0.1) (i32.const -3) (f32.div (f32.const 0) (f32.const 0))))"#,
    );
    let out = skiff(&["run", "--invoke", "f", wat.to_str().unwrap(), "1.5"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "0.1");
    assert_eq!(lines[1], "-3");
    assert!(lines[2].ends_with("nan"), "{text}");
    std::fs::remove_file(wat).ok();
}

#[test]
fn a_trap_prints_its_kind_and_exits_134() {
    let wat = temp_wat(
        "trap.wat",
        r#"(module (func $inner (export "div") (param i32) (result i32) (i32.div_u (i32.const 1) (local.get 0))))"#,
    );
    let out = skiff(&["run", "--invoke", "div", wat.to_str().unwrap(), "0"]);
    assert_eq!(out.status.code(), Some(134));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("wasm trap: integer divide by zero"), "{err}");
    assert!(
        err.contains("at func 0 ($inner)") || err.contains("at func 0 (inner)"),
        "{err}"
    );
    std::fs::remove_file(wat).ok();
}

#[test]
fn bad_modules_and_arguments_exit_1() {
    let out = skiff(&["run", "--invoke", "fac-iter", "examples/invalid.wat"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("type mismatch"));
    let out = skiff(&["run", "--invoke", "fac-iter", "examples/fac.wat", "x"]);
    assert_eq!(out.status.code(), Some(1));
    let out = skiff(&["run", "--invoke", "nope", "examples/fac.wat"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no exported function nope"));
}

#[test]
fn wast_runs_scripts_and_counts_directives() {
    let out = skiff(&["wast", "examples/fac.wast"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("examples/fac.wast: 8 passed, 0 failed, 0 skipped"),
        "{text}"
    );
    assert!(
        text.trim_end().ends_with("8 passed, 0 failed, 0 skipped"),
        "{text}"
    );
    let bad = temp_wat(
        "bad.wast",
        "(module (func (export \"f\") (result i32) (i32.const 1)))\n(assert_return (invoke \"f\") (i32.const 2))\n",
    );
    let out = skiff(&["wast", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 passed, 1 failed, 0 skipped"));
    std::fs::remove_file(bad).ok();
}

/// Every word after MODULE is the guest's, even one spelled like an option
/// of `skiff run`: a wrapper passing its caller's words must not let them
/// grant capabilities or change the engine.
#[test]
fn words_after_the_module_reach_the_guest_untouched() {
    let words = [
        "--dir",
        "/::/",
        "--dir-ro=/",
        "--env",
        "SECRET=1",
        "--inherit-env",
        "--engine",
        "interp",
        "--invoke",
        "main",
        "--help",
        "-V",
        "--",
        "last",
    ];
    for engine in ENGINES {
        let mut args = vec![
            "run",
            "--engine",
            engine,
            "wasi/tests/programs/args_env.wasm",
        ];
        args.extend(words);
        let out = skiff(&args);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{engine}: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let argv: Vec<&str> = stdout
            .lines()
            .filter_map(|l| l.strip_prefix("argv["))
            .map(|l| l.split_once("]: ").expect("argv line").1)
            .collect();
        assert_eq!(argv[0], "args_env.wasm", "{engine}");
        assert_eq!(argv[1..], words, "{engine}: {stdout}");
        // Nothing was granted: no environment, and the words above did not
        // turn into skiff's options.
        assert!(!stdout.contains("env: "), "{engine}: {stdout}");
        assert!(stdout.contains("GREETING: (unset)"), "{engine}: {stdout}");
    }
}

/// Options before MODULE still work, and `--` ends them.
#[test]
fn options_before_the_module_are_skiffs() {
    let out = skiff(&[
        "run",
        "--env",
        "GREETING=hi",
        "--argv0",
        "tool",
        "--",
        "wasi/tests/programs/args_env.wasm",
        "x",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("argv[0]: tool\nargv[1]: x\n"), "{stdout}");
    assert!(stdout.contains("GREETING: hi"), "{stdout}");
    let out = skiff(&["run", "--help"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("MODULE"));
}

/// A reactor's `_initialize` runs before `--invoke` calls its export.
#[test]
fn a_reactor_is_initialized_before_invoke() {
    let wat = temp_wat(
        "reactor.wat",
        r#"(module
             (global $g (mut i32) (i32.const 0))
             (func (export "_initialize") (global.set $g (i32.add (global.get $g) (i32.const 42))))
             (func (export "get") (result i32) (global.get $g)))"#,
    );
    for engine in ENGINES {
        let out = skiff(&[
            "run",
            "--engine",
            engine,
            "--invoke",
            "get",
            wat.to_str().unwrap(),
        ]);
        assert!(out.status.success(), "{engine}: {}", text(&out.stderr));
        assert_eq!(text(&out.stdout), "42\n", "{engine}: initialized once");
    }
    let bad = temp_wat(
        "bad-reactor.wat",
        r#"(module (func (export "_initialize") (param i32)) (func (export "f")))"#,
    );
    let out = skiff(&["run", "--invoke", "f", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("_initialize must take and return nothing"),
        "{}",
        text(&out.stderr)
    );
    std::fs::remove_file(wat).ok();
    std::fs::remove_file(bad).ok();
}

/// An `--invoke` argument that does not read as its parameter's type is an
/// error naming the argument, never a guess.
#[test]
fn invoke_arguments_that_do_not_parse_are_errors() {
    let wat = temp_wat(
        "params.wat",
        r#"(module (func (export "f") (param i32 f32 f64) (result i32 f32 f64)
             (local.get 0) (local.get 1) (local.get 2)))"#,
    );
    let path = wat.to_str().unwrap();
    let out = skiff(&["run", "--invoke", "f", path, "-7", "nan:0x1", "-nan:0x8"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "-7\nnan:0x1\n-nan:0x8\n");
    let cases = [
        (["--5", "0", "0"], "argument 1: \"--5\" is not an i32"),
        (
            ["1", "nan:0x0", "0"],
            "argument 2: \"nan:0x0\" is not a NaN",
        ),
        (
            ["1", "nan:0x800000", "0"],
            "argument 2: \"nan:0x800000\" is not a NaN: the payload does not fit in 23 bits",
        ),
        (
            ["1", "0", "nan:0x10000000000000"],
            "argument 3: \"nan:0x10000000000000\" is not a NaN: the payload does not fit in 52 bits",
        ),
        (["1", "0", "--5"], "argument 3: \"--5\" is not an f64"),
        (
            ["4294967296", "0", "0"],
            "argument 1: \"4294967296\" is not an integer of i32's range",
        ),
    ];
    for (args, message) in cases {
        let mut argv = vec!["run", "--invoke", "f", path];
        argv.extend(args);
        let out = skiff(&argv);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}: nothing was called");
        let err = text(&out.stderr);
        assert!(
            err.contains(&format!("--invoke f: {message}")),
            "{args:?}: {err}"
        );
    }
    std::fs::remove_file(wat).ok();
}

/// `proc_exit` with a status a process cannot report is an error (status
/// 1), as in wasmtime; 0 to 125 are the guest's.
#[test]
fn exit_statuses_a_process_cannot_report_are_errors() {
    let exit = |status: &str| skiff(&["run", "wasi/tests/programs/exit.wasm", "raw", status]);
    for (status, expect) in [("0", 0), ("3", 3), ("125", 125)] {
        let out = exit(status);
        assert_eq!(out.status.code(), Some(expect), "{status}");
        assert!(out.stderr.is_empty(), "{status}: {}", text(&out.stderr));
    }
    for status in ["126", "255", "256", "-1"] {
        let out = exit(status);
        assert_eq!(out.status.code(), Some(1), "{status}");
        let shown = (status.parse::<i64>().unwrap() as i32) as u32;
        let err = text(&out.stderr);
        assert!(
            err.contains(&format!(
                "the guest exited with status {shown} (proc_exit), outside the 0 to 125"
            )),
            "{status}: {err}"
        );
        assert_eq!(
            text(&out.stdout),
            "running raw\n",
            "{status}: the output is kept"
        );
    }
}

/// `--env NAME` passes this process's value of NAME, and nothing when it
/// has none.
#[test]
fn env_without_a_value_inherits_that_variable() {
    let out = Command::new(env!("CARGO_BIN_EXE_skiff"))
        .args([
            "run",
            "--env",
            "GREETING",
            "--env",
            "SKIFF_TEST_UNSET_VARIABLE",
            "--env",
            "OTHER=x",
            "wasi/tests/programs/args_env.wasm",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("GREETING", "from the host")
        .env("NOT_GRANTED", "secret")
        .env_remove("SKIFF_TEST_UNSET_VARIABLE")
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    let env: Vec<&str> = stdout.lines().filter(|l| l.starts_with("env: ")).collect();
    assert_eq!(env, ["env: GREETING=from the host", "env: OTHER=x"]);
}

/// `--dir` naming something that is not a directory fails at once (a FIFO
/// used to block the open forever).
#[test]
fn a_dir_that_is_not_a_directory_fails_at_once() {
    let dir = std::env::temp_dir().join(format!("skiff-cli-fifo-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let fifo = dir.join("fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    std::fs::write(dir.join("file"), "x").unwrap();
    for path in [fifo.clone(), dir.join("file")] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_skiff"))
            .args(["run", "--dir"])
            .arg(format!("{}::/d", path.display()))
            .arg("wasi/tests/programs/exit.wasm")
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let start = std::time::Instant::now();
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if start.elapsed() > std::time::Duration::from_secs(20) {
                child.kill().unwrap();
                panic!("{}: skiff run hangs", path.display());
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        let mut err = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
        assert_eq!(status.code(), Some(1), "{err}");
        assert!(
            err.contains(&format!(
                "preopened directory {}: Not a directory",
                path.display()
            )),
            "{err}"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// A guest whose stdout is /dev/null or a file does not see a terminal.
#[test]
fn a_redirected_stdout_is_no_terminal() {
    let out_path = std::env::temp_dir().join(format!("skiff-cli-stdout-{}", std::process::id()));
    let null = || {
        std::fs::File::options()
            .read(true)
            .write(true)
            .open("/dev/null")
            .unwrap()
    };
    for stdout in [null(), std::fs::File::create(&out_path).unwrap()] {
        let out = Command::new(env!("CARGO_BIN_EXE_skiff"))
            .args(["run", "wasi/tests/programs/stdio_kind.wasm"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdin(null())
            .stdout(stdout)
            .output()
            .unwrap();
        assert!(out.status.success());
        let err = text(&out.stderr);
        for fd in 0..2 {
            assert!(
                err.contains(&format!(
                    "fd {fd}: fdstat 0 type 0 seek/tell 0; filestat 0 type 0 size 0; isatty 0"
                )),
                "{err}"
            );
        }
    }
    std::fs::remove_file(out_path).ok();
}

/// An error in a `.wat` file names the file, not `<anon>`.
#[test]
fn wat_errors_name_the_file() {
    let wat = temp_wat("syntax.wat", "(module\n  (func (i32.const \"oops\")))\n");
    let path = wat.to_str().unwrap();
    for args in [vec!["validate", path], vec!["run", path]] {
        let out = skiff(&args);
        assert_eq!(out.status.code(), Some(1));
        let all = text(&out.stdout) + &text(&out.stderr);
        assert!(all.contains(&format!("--> {path}:2:")), "{all}");
        assert!(!all.contains("<anon>"), "{all}");
    }
    let wast = temp_wat("syntax.wast", "(module\n  (func (i32.const \"oops\")))\n");
    let out = skiff(&["wast", wast.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let all = text(&out.stdout);
    assert!(all.contains(&format!("--> {}:2:", wast.display())), "{all}");
    std::fs::remove_file(wat).ok();
    std::fs::remove_file(wast).ok();
}

/// `skiff wast` counts a module that cannot be instantiated for lack of
/// resources as failed (only what Skiff does not implement is skipped).
#[test]
fn wast_fails_a_module_the_host_lacks_resources_for() {
    let script = temp_wat(
        "memory.wast",
        "(module (memory 1) (func (export \"size\") (result i32) (memory.size)))\n\
         (assert_return (invoke \"size\") (i32.const 1))\n",
    );
    // With 1.5 GB of address space, a memory's reservation (4 GiB and a
    // guard region) cannot be made.
    let out = Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 1500000 && exec \"$0\" wast --engine interp \"$1\"")
        .arg(env!("CARGO_BIN_EXE_skiff"))
        .arg(&script)
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("cannot reserve"), "{stdout}");
    assert!(
        stdout.trim_end().ends_with("0 passed, 2 failed, 0 skipped"),
        "{stdout}"
    );
    // A feature Skiff does not implement is still a skip.
    let later = temp_wat("gc.wast", "(module (type (struct)))\n");
    let out = skiff(&["wast", later.to_str().unwrap()]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.trim_end().ends_with("0 passed, 0 failed, 1 skipped"),
        "{stdout}"
    );
    std::fs::remove_file(script).ok();
    std::fs::remove_file(later).ok();
}

#[test]
fn later_features_run_by_default_and_wasm2_refuses_them() {
    // Two memories, an extended constant offset, and a copy between them.
    let wat = temp_wat(
        "two_memories.wat",
        r#"(module
             (memory $a 1) (memory $b 1)
             (data (memory $b) (i32.add (i32.const 8) (i32.const 8)) "\2a")
             (func (export "f") (result i32)
               (memory.copy $a $b (i32.const 0) (i32.const 16) (i32.const 1))
               (i32.add (i32.load8_u $a (i32.const 0)) (i32.load8_u $b (i32.const 16)))))"#,
    );
    let path = wat.to_str().unwrap();
    for engine in ENGINES {
        let out = skiff(&["run", "--engine", engine, "--invoke", "f", path]);
        assert!(out.status.success(), "{engine}: {}", text(&out.stderr));
        assert_eq!(text(&out.stdout), "84\n", "{engine}");
        let out = skiff(&["run", "--engine", engine, "--wasm2", "--invoke", "f", path]);
        assert!(!out.status.success(), "{engine}");
        // Under the 2.0 binary format, a memory index is a reserved flag.
        let err = text(&out.stderr);
        assert!(err.contains("malformed memop"), "{engine}: {err}");
    }
}
