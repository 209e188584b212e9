//! Limits through the command line, on both tiers: tables a guest cannot
//! have, `--max-memory`, deep recursion, runaway recursion on a small
//! stack (`ulimit -s 512`), and a small address space (`ulimit -v`).

mod common;

use common::{ENGINES, skiff, temp_wat, text};
use std::process::{Command, Output};

/// Runs `skiff ARGS` (shell words) with a main-thread stack of `kib` KiB
/// (`ulimit -s`).
fn skiff_on_stack(kib: u32, args: &str) -> Output {
    let script = format!(
        "ulimit -s {kib} && exec '{}' {args}",
        env!("CARGO_BIN_EXE_skiff")
    );
    Command::new("sh").args(["-c", &script]).output().unwrap()
}

/// Under `ulimit -v 1000000` (about 1 GB, where not one 4 GiB guarded
/// memory fits), `skiff run` of a corpus program still runs on both tiers,
/// with small, checked memories, and prints its checksum.
#[test]
fn a_program_runs_under_a_small_address_space_limit() {
    let expected = "checksum: 10012897927522448151\n";
    for engine in ENGINES {
        let script = format!(
            "ulimit -v 1000000 && exec '{}' run --engine {engine} benches/corpus/nbody.wasm 1000",
            env!("CARGO_BIN_EXE_skiff")
        );
        let out = Command::new("sh")
            .args(["-c", &script])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{engine}: {}", text(&out.stderr));
        assert_eq!(text(&out.stdout), expected, "{engine}");
    }
}

#[test]
fn a_table_of_4294967295_elements_is_refused_cleanly() {
    let wat = temp_wat(
        "bigtable.wat",
        r#"(module (table 4294967295 funcref) (func (export "f") (result i32) (i32.const 1)))"#,
    );
    for engine in ENGINES {
        let out = skiff(&[
            "run",
            "--engine",
            engine,
            "--invoke",
            "f",
            wat.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains(
                "cannot instantiate: a table of 4294967295 elements is past the store's limit"
            ),
            "{stderr}"
        );
    }
}

#[test]
fn table_grow_by_minus_one_prints_minus_one() {
    let wat = temp_wat(
        "growtable.wat",
        r#"(module (table 1 funcref)
             (func (export "grow") (param i32) (result i32)
               (table.grow (ref.null func) (local.get 0))))"#,
    );
    for engine in ENGINES {
        for delta in ["-1", "2147483647"] {
            let out = skiff(&[
                "run",
                "--engine",
                engine,
                "--invoke",
                "grow",
                wat.to_str().unwrap(),
                delta,
            ]);
            assert!(out.status.success(), "{}", text(&out.stderr));
            assert_eq!(text(&out.stdout), "-1\n");
        }
    }
}

#[test]
fn max_memory_makes_a_growing_guest_see_memory_grow_fail() {
    let wat = temp_wat(
        "growloop.wat",
        r#"(module (memory 1)
             (func (export "grow") (result i32)
               (block $done (loop $again
                 (br_if $done (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
                 (br $again)))
               (memory.size)))"#,
    );
    for engine in ENGINES {
        for (limit, pages) in [("16M", "256\n"), ("1048576", "16\n"), ("64K", "1\n")] {
            let out = skiff(&[
                "run",
                "--engine",
                engine,
                "--max-memory",
                limit,
                "--invoke",
                "grow",
                wat.to_str().unwrap(),
            ]);
            assert!(out.status.success(), "{}", text(&out.stderr));
            assert_eq!(text(&out.stdout), pages, "--max-memory {limit}");
        }
        let out = skiff(&[
            "run",
            "--engine",
            engine,
            "--max-memory",
            "32K",
            "--invoke",
            "grow",
            wat.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(1));
        assert!(
            text(&out.stderr).contains("is past the store's limit"),
            "{}",
            text(&out.stderr)
        );
    }
    let out = skiff(&["run", "--max-memory", "16Q", wat.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("16Q: a size is digits with K, M or G after them"));
}

const RECURSE: &str = r#"(module
  (func $rec (export "rec") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 0))
      (else (i32.add (i32.const 1) (call $rec (i32.sub (local.get 0) (i32.const 1)))))))
  (func $forever (export "forever") (call $forever)))"#;

#[test]
fn a_recursion_30000_deep_runs() {
    let wat = temp_wat("rec.wat", RECURSE);
    for engine in ENGINES {
        let out = skiff(&[
            "run",
            "--engine",
            engine,
            "--invoke",
            "rec",
            wat.to_str().unwrap(),
            "30000",
        ]);
        assert!(out.status.success(), "{engine}: {}", text(&out.stderr));
        assert_eq!(text(&out.stdout), "30000\n");
    }
}

#[test]
fn runaway_recursion_with_a_512k_stack_is_stack_exhaustion() {
    let wat = temp_wat("forever.wat", RECURSE);
    for engine in ENGINES {
        let out = skiff_on_stack(
            512,
            &format!("run --engine {engine} --invoke forever '{}'", wat.display()),
        );
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(134), "{engine}: {stderr}");
        assert!(
            stderr.contains("wasm trap: call stack exhausted\n  at func 1 (forever)"),
            "{engine}: {stderr}"
        );
        assert!(!stderr.contains("out of bounds"), "{stderr}");
    }
}

#[test]
fn a_frame_larger_than_the_stack_is_stack_exhaustion() {
    // 45,000 locals live across the recursive call: a compiled frame of
    // about 360 KiB, larger than the 300 KiB stack, so the stack check at
    // the function's entry comes too late; the frame's probes fault in the
    // stack's guard instead, which is reported as stack exhaustion.
    let n = 45_000;
    let mut wat = format!(
        "(module (func $f (export \"f\") (param i32) (result i64) (local {})",
        "i64 ".repeat(n)
    );
    for i in 0..n {
        wat.push_str(&format!(
            "(local.set {} (i64.extend_i32_u (i32.add (local.get 0) (i32.const {i}))))",
            i + 1
        ));
    }
    wat.push_str("(call $f (i32.add (local.get 0) (i32.const 1)))");
    for i in 0..n {
        wat.push_str(&format!("(local.get {}) i64.add ", i + 1));
    }
    wat.push_str("))");
    let path = temp_wat("bigframe.wat", &wat);
    for engine in ENGINES {
        let out = skiff_on_stack(
            300,
            &format!("run --engine {engine} --invoke f '{}' 0", path.display()),
        );
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(134), "{engine}: {stderr}");
        assert!(
            stderr.contains("wasm trap: call stack exhausted\n  at func 0 (f)"),
            "{engine}: {stderr}"
        );
    }
}
