//! Snapshots (`skiff::snapshot`, `skiff snapshot`): a module rewritten to
//! start in the state its init left, on both tiers.

mod common;

use common::{ENGINES, call, kinds, skiff, text};
use skiff::snapshot::{SnapshotError, snapshot};
use skiff::wasi::{self, WasiCtxBuilder};
use skiff::{Engine, EngineKind, Linker, Module, Store, TrapKind, Val};

/// Takes a snapshot of `wat` on `kind` with init `init` and arguments `args`.
fn snap(kind: EngineKind, wat: &str, args: &[&str]) -> Result<Vec<u8>, SnapshotError> {
    let engine = Engine::new(kind).unwrap();
    let ctx = WasiCtxBuilder::new()
        .args(args)
        .env("MODE", "fast")
        .build()
        .unwrap();
    snapshot(&engine, wat.as_bytes(), "init", ctx)
}

/// Instantiates `wasm` on `kind` with WASI (no arguments); the store and instance.
fn instantiate(kind: EngineKind, wasm: &[u8]) -> (Store, skiff::Instance) {
    let engine = Engine::new(kind).unwrap();
    let module = Module::new(&engine, wasm).unwrap();
    let mut linker = Linker::new();
    wasi::add_to_linker(
        &mut linker,
        WasiCtxBuilder::new().build().unwrap().into_shared(),
    );
    let mut store = Store::new(&engine, ());
    let instance = linker.instantiate(&mut store, &module).unwrap();
    (store, instance)
}

/// A module whose init changes every kind of state a module holds: it
/// reads its arguments, grows and writes memory, sets globals of each
/// type, grows a table and fills it from a passive segment, drops segments.
/// Its start function counts its runs.
const STATEFUL: &str = r#"
(module
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args (param i32 i32) (result i32)))
  (memory (export "memory") 1 10)
  (global $argc (mut i32) (i32.const 100))
  (global $i64 (mut i64) (i64.const 0))
  (global $f64 (mut f64) (f64.const 0))
  (global $v128 (mut v128) (v128.const i64x2 0 0))
  (global $fref (mut funcref) (ref.null func))
  (global $starts (mut i32) (i32.const 0))
  (global $initializes (mut i32) (i32.const 0))
  (table $t 2 funcref)
  (elem (table $t) (i32.const 0) func $one)
  (elem $kept funcref (ref.func $two))
  (elem $dropped funcref (ref.func $three))
  (data (i32.const 100) "from the module")
  (data $pkept "kept")
  (data $pdropped "dropped")
  (func $one (result i32) i32.const 1)
  (func $two (result i32) i32.const 2)
  (func $three (result i32) i32.const 3)
  (func $start (global.set $starts (i32.add (global.get $starts) (i32.const 1))))
  (start $start)
  (func (export "_initialize")
    (global.set $initializes (i32.add (global.get $initializes) (i32.const 1))))
  (func (export "init")
    (drop (call $args (i32.const 0) (i32.const 4)))
    (global.set $argc (i32.add (global.get $argc) (i32.load (i32.const 0))))
    (global.set $i64 (i64.const 0x123456789abc))
    (global.set $f64 (f64.const -2.5))
    (global.set $v128 (v128.const i32x4 1 2 3 4))
    (global.set $fref (ref.func $three))
    (drop (memory.grow (i32.const 2)))
    (i32.store (i32.const 150000) (i32.const 0xdeadbeef))
    (i32.store8 (i32.const 100) (i32.const 70))
    (drop (table.grow $t (ref.func $two) (i32.const 3)))
    (table.init $t $dropped (i32.const 1) (i32.const 0) (i32.const 1))
    (elem.drop $dropped)
    (data.drop $pdropped))
  (func (export "globals") (result i32 i64 f64 i32 i32 i32)
    (global.get $argc) (global.get $i64) (global.get $f64)
    (i32x4.extract_lane 3 (global.get $v128))
    (global.get $starts) (global.get $initializes))
  (func (export "memory_state") (result i32 i32 i32 i32)
    (memory.size) (i32.load (i32.const 150000))
    (i32.load8_u (i32.const 100)) (i32.load8_u (i32.const 101)))
  (func (export "table_state") (result i32 i32 i32 i32)
    (table.size $t)
    (call_indirect (result i32) (i32.const 0))
    (call_indirect (result i32) (i32.const 1))
    (call_indirect (result i32) (i32.const 4)))
  (func (export "use_kept") (result i32)
    (memory.init $pkept (i32.const 0) (i32.const 0) (i32.const 4))
    (table.init $t $kept (i32.const 0) (i32.const 0) (i32.const 1))
    (i32.add (i32.load8_u (i32.const 0)) (call_indirect (result i32) (i32.const 0))))
  (func (export "use_dropped_data") (memory.init $pdropped (i32.const 0) (i32.const 0) (i32.const 1)))
  (func (export "use_dropped_elem") (table.init $t $dropped (i32.const 0) (i32.const 0) (i32.const 1)))
  (func (export "global_fref") (result funcref) (global.get $fref))
)
"#;

#[test]
fn a_snapshot_starts_in_the_state_init_left() {
    for kind in kinds() {
        let wasm = snap(kind, STATEFUL, &["prog", "a", "b"]).unwrap();
        for run_kind in kinds() {
            let (mut store, instance) = instantiate(run_kind, &wasm);
            let at = format!("snapshot on {kind}, run on {run_kind}");
            // init and _initialize ran once, before the snapshot, and are gone;
            // the start function does not run again either.
            assert!(instance.get_func(&store, "init").is_none(), "{at}");
            assert!(instance.get_func(&store, "_initialize").is_none(), "{at}");
            assert_eq!(
                call(&mut store, &instance, "globals", &[]).unwrap(),
                [
                    Val::I32(103),
                    Val::I64(0x1234_5678_9abc),
                    Val::F64((-2.5f64).to_bits()),
                    Val::I32(4),
                    Val::I32(1),
                    Val::I32(1),
                ],
                "{at}"
            );
            assert_eq!(
                call(&mut store, &instance, "memory_state", &[]).unwrap(),
                [
                    Val::I32(3),
                    Val::I32(0xdead_beef_u32 as i32),
                    Val::I32(70),
                    Val::I32(i32::from(b'r')),
                ],
                "{at}"
            );
            assert_eq!(
                call(&mut store, &instance, "table_state", &[]).unwrap(),
                [Val::I32(5), Val::I32(1), Val::I32(3), Val::I32(2)],
                "{at}"
            );
            let Val::FuncRef(Some(f)) = call(&mut store, &instance, "global_fref", &[]).unwrap()[0]
            else {
                panic!("{at}: the funcref global is null");
            };
            let mut result = [Val::I32(0)];
            f.call(&mut store, &[], &mut result).unwrap();
            assert_eq!(result, [Val::I32(3)], "{at}");
            // A passive segment init left alone is still there; those it
            // dropped are still dropped.
            assert_eq!(
                call(&mut store, &instance, "use_kept", &[]).unwrap(),
                [Val::I32(i32::from(b'k') + 2)],
                "{at}"
            );
            let trap = call(&mut store, &instance, "use_dropped_data", &[]).unwrap_err();
            assert_eq!(trap.kind(), TrapKind::MemoryOutOfBounds, "{at}");
            let trap = call(&mut store, &instance, "use_dropped_elem", &[]).unwrap_err();
            assert_eq!(trap.kind(), TrapKind::TableOutOfBounds, "{at}");
        }
    }
}

/// The data segments of `wasm`: (offset, length) of each active one.
fn active_data(wasm: &[u8]) -> Vec<(u64, usize)> {
    let mut out = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        if let wasmparser::Payload::DataSection(reader) = payload.unwrap() {
            for data in reader {
                let data = data.unwrap();
                if let wasmparser::DataKind::Active { offset_expr, .. } = data.kind {
                    let mut ops = offset_expr.get_operators_reader();
                    let offset = match ops.read().unwrap() {
                        wasmparser::Operator::I32Const { value } => value as u32 as u64,
                        wasmparser::Operator::I64Const { value } => value as u64,
                        op => panic!("offset {op:?}"),
                    };
                    out.push((offset, data.data.len()));
                }
            }
        }
    }
    out
}

#[test]
fn a_snapshot_holds_only_the_bytes_that_are_not_zero() {
    // 4 MiB of memory, of which init writes a few bytes in three places:
    // two 10 bytes apart (one segment), one far away (another).
    let wat = r#"(module
      (memory 64)
      (data (i32.const 1000) "\01")
      (func (export "init")
        (i32.store8 (i32.const 1000) (i32.const 0))
        (i32.store8 (i32.const 4000) (i32.const 7))
        (i32.store8 (i32.const 4010) (i32.const 8))
        (i64.store (i32.const 3000000) (i64.const -1))))"#;
    for kind in kinds() {
        let wasm = snap(kind, wat, &[]).unwrap();
        assert_eq!(active_data(&wasm), [(4000, 11), (3_000_000, 8)], "{kind}");
        assert!(wasm.len() < 200, "{kind}: {} bytes", wasm.len());
    }
    // Bytes too far apart for a segment each join, so that no engine
    // refuses the snapshot for its number of segments: 32,768 bytes 64
    // apart make 10,000 segments at most.
    let wat = r#"(module (memory 32)
      (func (export "init") (local $i i32)
        (loop $l
          (i32.store8 (i32.mul (local.get $i) (i32.const 64)) (i32.const 1))
          (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                            (i32.const 32768))))))"#;
    let wasm = snap(EngineKind::Interp, wat, &[]).unwrap();
    let segments = active_data(&wasm);
    assert!(segments.len() <= 10_000, "{}", segments.len());
    assert_eq!(segments.first().unwrap().0, 0);
    let last = segments.last().unwrap();
    assert_eq!(last.0 + last.1 as u64, 32767 * 64 + 1);
}

#[test]
fn tables_memories_and_globals_of_every_shape_are_captured() {
    // No element section (init fills the table), two memories, one of
    // them 64-bit, a NaN with a payload, functions that only a removed
    // export or a global's original value declared for `ref.func`.
    let wat = r#"(module
      (memory $a 1)
      (memory $b i64 1)
      (table $t 6 funcref)
      (global $nan (mut f32) (f32.const 0))
      (global $held (mut funcref) (ref.func $seven))
      (func $seven (result i32) i32.const 7)
      (func $init (export "init")
        (table.set $t (i32.const 0) (global.get $held))
        (table.set $t (i32.const 3) (global.get $held))
        (table.set $t (i32.const 4) (global.get $held))
        (global.set $held (ref.null func))
        (global.set $nan (f32.reinterpret_i32 (i32.const 0x7fa00001)))
        (i32.store $a (i32.const 8) (i32.const 11))
        (i32.store $b (i64.const 65532) (i32.const 22)))
      (func (export "check") (result i32 i32 i32 i32 i32)
        (call_indirect (result i32) (i32.const 0))
        (call_indirect (result i32) (i32.const 4))
        (i32.load $a (i32.const 8))
        (i32.load $b (i64.const 65532))
        (i32.reinterpret_f32 (global.get $nan)))
      (func (export "null") (param i32) (result i32) (call_indirect (result i32) (local.get 0)))
      (func (export "refs") (result i32)
        (drop (ref.func $init))
        (table.set $t (i32.const 5) (ref.func $seven))
        (call_indirect (result i32) (i32.const 5))))"#;
    for kind in kinds() {
        let wasm = snap(kind, wat, &[]).unwrap();
        for run_kind in kinds() {
            let (mut store, instance) = instantiate(run_kind, &wasm);
            let at = format!("snapshot on {kind}, run on {run_kind}");
            assert_eq!(
                call(&mut store, &instance, "check", &[]).unwrap(),
                [
                    Val::I32(7),
                    Val::I32(7),
                    Val::I32(11),
                    Val::I32(22),
                    Val::I32(0x7fa0_0001)
                ],
                "{at}"
            );
            for empty in [1, 2, 5] {
                let trap = call(&mut store, &instance, "null", &[Val::I32(empty)]).unwrap_err();
                assert_eq!(trap.kind(), TrapKind::UninitializedElement, "{at}: {empty}");
            }
            assert_eq!(
                call(&mut store, &instance, "refs", &[]).unwrap(),
                [Val::I32(7)],
                "{at}"
            );
        }
    }
}

#[test]
fn init_may_read_its_arguments_and_environment_and_nothing_else() {
    let reads = r#"(module
      (import "wasi_snapshot_preview1" "environ_sizes_get" (func $env (param i32 i32) (result i32)))
      (memory (export "memory") 1)
      (global $n (mut i32) (i32.const 0))
      (func (export "init")
        (drop (call $env (i32.const 0) (i32.const 4)))
        (global.set $n (i32.load (i32.const 0))))
      (func (export "n") (result i32) (global.get $n)))"#;
    for kind in kinds() {
        let wasm = snap(kind, reads, &[]).unwrap();
        let (mut store, instance) = instantiate(kind, &wasm);
        assert_eq!(
            call(&mut store, &instance, "n", &[]).unwrap(),
            [Val::I32(1)],
            "{kind}"
        );
    }
    // Printing, reading a clock and exiting would each be lost or differ
    // from run to run: each fails the snapshot, naming what was called.
    for (name, params, args) in [
        (
            "fd_write",
            "i32 i32 i32 i32",
            "(i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)",
        ),
        (
            "clock_time_get",
            "i32 i64 i32",
            "(i32.const 0) (i64.const 0) (i32.const 0)",
        ),
        ("proc_exit", "i32", "(i32.const 0)"),
    ] {
        let (result, call) = if name == "proc_exit" {
            ("", format!("(call $f {args})"))
        } else {
            ("(result i32)", format!("(drop (call $f {args}))"))
        };
        let wat = format!(
            r#"(module
              (import "wasi_snapshot_preview1" "{name}" (func $f (param {params}) {result}))
              (memory (export "memory") 1)
              (func (export "init") {call}))"#
        );
        for kind in kinds() {
            let err = snap(kind, &wat, &[]).unwrap_err();
            assert!(
                matches!(err, SnapshotError::Trap(_)),
                "{name} on {kind}: {err}"
            );
            let message = err.to_string();
            assert!(
                message.contains(&format!("init called wasi_snapshot_preview1.{name}")),
                "{name} on {kind}: {message}"
            );
        }
    }
}

#[test]
fn what_a_snapshot_cannot_capture_is_refused() {
    let cases = [
        (
            r#"(module (import "env" "f" (func)) (func (export "init")))"#,
            "the module imports env.f, and a snapshot can link only functions of wasi_snapshot_preview1",
        ),
        (
            r#"(module (import "wasi_snapshot_preview1" "memory" (memory 1)) (func (export "init")))"#,
            "the module imports wasi_snapshot_preview1.memory",
        ),
        (
            r#"(module (func (export "start")))"#,
            "the module exports no function init",
        ),
        (
            r#"(module (func (export "init") (param i32)))"#,
            "the export init must take and return nothing",
        ),
        (
            r#"(module (global (export "g") (mut externref) (ref.null extern))
                 (func (export "init")))"#,
            "",
        ),
    ];
    for (wat, message) in cases {
        let result = snap(EngineKind::Interp, wat, &[]);
        if message.is_empty() {
            // A null externref is written as one.
            result.unwrap();
            continue;
        }
        let err = result.unwrap_err();
        assert!(err.to_string().contains(message), "{wat}: {err}");
    }
    // A trap in init is the snapshot's error.
    let err = snap(
        EngineKind::Interp,
        r#"(module (func (export "init") unreachable))"#,
        &[],
    )
    .unwrap_err();
    let SnapshotError::Trap(trap) = err else {
        panic!("{err}");
    };
    assert_eq!(trap.kind(), TrapKind::Unreachable);
}

/// `tests/programs/collatz.c`: init builds a table of two million chain
/// lengths; the program run from its snapshot prints what the native build
/// prints, on both tiers, with init run once by `skiff snapshot`.
#[test]
fn a_c_program_runs_from_its_snapshot_as_natively() {
    let expected = std::fs::read_to_string("tests/programs/collatz.expected").unwrap();
    let dir = std::env::temp_dir().join(format!("skiff-snapshot-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out_path = dir.join("collatz.snapshot.wasm");
    let out_arg = out_path.to_str().unwrap();
    let made = skiff(&[
        "snapshot",
        "--init",
        "init",
        "-o",
        out_arg,
        "tests/programs/collatz.wasm",
    ]);
    assert!(made.status.success(), "{}", text(&made.stderr));
    assert!(made.stdout.is_empty() && made.stderr.is_empty());
    for engine in ENGINES {
        let run = skiff(&["run", "--engine", engine, out_arg]);
        assert!(run.status.success(), "{engine}: {}", text(&run.stderr));
        assert_eq!(text(&run.stdout), expected, "{engine}");
    }
    // The snapshot does not build the table again: it runs on fuel the
    // original runs out of.
    let fuel = ["run", "--fuel", "20000000"];
    let run = skiff(&[&fuel[..], &[out_arg]].concat());
    assert!(run.status.success(), "{}", text(&run.stderr));
    let run = skiff(&[&fuel[..], &["tests/programs/collatz.wasm"]].concat());
    assert_eq!(run.status.code(), Some(134), "{}", text(&run.stderr));
    assert!(text(&run.stderr).contains("fuel"), "{}", text(&run.stderr));
    // Arguments of the run reach main; the original prints the same.
    let original = skiff(&["run", "tests/programs/collatz.wasm", "27", "x"]);
    let snapshotted = skiff(&["run", out_arg, "27", "x"]);
    assert!(original.status.success(), "{}", text(&original.stderr));
    assert_eq!(text(&snapshotted.stdout), text(&original.stdout));
    assert!(text(&original.stdout).ends_with("27 takes 111 steps\nx: not below 2000000\n"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_snapshot_whose_init_writes_a_file_is_refused() {
    let dir = std::env::temp_dir().join(format!("skiff-snapshot-refused-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let module = dir.join("writes.wat");
    std::fs::write(
        &module,
        r#"(module
          (import "wasi_snapshot_preview1" "path_open"
            (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
          (memory (export "memory") 1)
          (data (i32.const 16) "out.txt")
          (func (export "init")
            (drop (call $open (i32.const 3) (i32.const 0) (i32.const 16) (i32.const 7)
              (i32.const 1) (i64.const 64) (i64.const 0) (i32.const 0) (i32.const 0)))))"#,
    )
    .unwrap();
    let out = dir.join("out.wasm");
    let run = skiff(&[
        "snapshot",
        "--init",
        "init",
        "-o",
        out.to_str().unwrap(),
        module.to_str().unwrap(),
    ]);
    assert_eq!(run.status.code(), Some(1));
    let stderr = text(&run.stderr);
    assert!(
        stderr.contains(
            "init called wasi_snapshot_preview1.path_open, which a snapshot cannot capture"
        ),
        "{stderr}"
    );
    assert!(!out.exists(), "no snapshot is written");
    std::fs::remove_dir_all(&dir).unwrap();
}
