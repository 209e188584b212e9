//! Pre-linking for an instance per request: a module's imports resolved
//! once (`Linker::instantiate_pre`), WASI defined once on a linker whose
//! functions find each store's own context in its data
//! (`wasi::add_to_linker_with`), and every request a fresh store.

mod common;

use common::kinds;

use skiff::wasi::{self, OutputBuffer, Stdio, WasiCtx, WasiCtxBuilder};
use skiff::{
    Engine, EngineKind, Global, GlobalType, InstancePre, Linker, Module, Store, Val, ValType,
};

fn fib(engine: &Engine) -> Module {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/corpus/fib.wasm");
    Module::from_file(engine, path.as_ref()).unwrap()
}

/// One request: a store holding a fresh context with `arg`; the exit code
/// and what the guest printed.
fn request(engine: &Engine, pre: &InstancePre<WasiCtx>, arg: &str) -> (i32, String) {
    let out = OutputBuffer::new();
    let ctx = WasiCtxBuilder::new()
        .args(["fib.wasm", arg])
        .stdout(Stdio::Buffer(out.clone()))
        .build()
        .unwrap();
    let mut store = Store::new(engine, ctx);
    let instance = pre.instantiate(&mut store).unwrap();
    let code = wasi::run_start(&mut store, instance).unwrap();
    (code, String::from_utf8(out.contents()).unwrap())
}

#[test]
fn one_pre_linked_module_serves_requests_each_with_its_own_wasi_context() {
    for kind in kinds() {
        let engine = Engine::new(kind).unwrap();
        let module = fib(&engine);
        let mut linker: Linker<WasiCtx> = Linker::new();
        wasi::add_to_linker_with(&mut linker, |ctx| ctx);
        let pre = linker.instantiate_pre(&module).unwrap();
        let ten = request(&engine, &pre, "10");
        let twenty = request(&engine, &pre, "20");
        assert_eq!(ten.0, 0, "{kind}");
        assert!(ten.1.starts_with("checksum: "), "{kind}: {}", ten.1);
        assert_ne!(ten.1, twenty.1, "{kind}: each request its own arguments");
        assert_eq!(
            request(&engine, &pre, "10"),
            ten,
            "{kind}: and its own output"
        );
        // The same as with a context shared through the classic linker.
        let out = OutputBuffer::new();
        let ctx = WasiCtxBuilder::new()
            .args(["fib.wasm", "10"])
            .stdout(Stdio::Buffer(out.clone()))
            .build()
            .unwrap()
            .into_shared();
        let mut linker = Linker::new();
        wasi::add_to_linker(&mut linker, ctx);
        let mut store = Store::new(&engine, ());
        let instance = linker.instantiate(&mut store, &module).unwrap();
        assert_eq!(wasi::run_start(&mut store, instance).unwrap(), 0, "{kind}");
        assert_eq!(String::from_utf8(out.contents()).unwrap(), ten.1, "{kind}");
    }
}

#[test]
fn a_pre_linked_object_of_one_store_is_refused_in_another() {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        br#"(module (global (import "env" "g") i32)
                    (func (export "get") (result i32) (global.get 0)))"#,
    )
    .unwrap();
    let mut owner = Store::new(&engine, ());
    let ty = GlobalType {
        content: ValType::I32,
        mutable: false,
    };
    let g = Global::new(&mut owner, ty, Val::I32(7)).unwrap();
    let mut linker = Linker::new();
    linker.define("env", "g", g);
    let pre = linker.instantiate_pre(&module).unwrap();
    let instance = pre.instantiate(&mut owner).unwrap();
    let get = instance.get_typed_func::<(), i32>(&owner, "get").unwrap();
    assert_eq!(get.call(&mut owner, ()).unwrap(), 7);
    let mut other = Store::new(&engine, ());
    let err = pre.instantiate(&mut other).unwrap_err().to_string();
    assert!(err.contains("another store"), "{err}");
    // A host function of another type is refused when pre-linking.
    let calls = Module::new(
        &engine,
        br#"(module (import "env" "f" (func (param i32))))"#,
    )
    .unwrap();
    let mut linker = Linker::<()>::new();
    linker.func_wrap("env", "f", |x: i64| -> i64 { x });
    let err = linker.instantiate_pre(&calls).unwrap_err().to_string();
    assert!(err.contains("incompatible import type for env.f"), "{err}");
    // An unknown import is refused when pre-linking, naming it.
    let err = Linker::<()>::new()
        .instantiate_pre(&module)
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown import env.g"), "{err}");
}

#[test]
fn requests_alive_at_once_keep_their_contexts_apart() {
    // Two stores alive together, run in turn: each guest's `proc_exit`
    // code and output belong to its own context.
    const EXIT: &str = r#"(module
      (import "wasi_snapshot_preview1" "args_sizes_get" (func $sizes (param i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
      (memory (export "memory") 1)
      (func (export "_start")
        (drop (call $sizes (i32.const 0) (i32.const 4)))
        ;; Exits with its argument count.
        (call $exit (i32.load (i32.const 0)))))"#;
    fn assert_send_sync<X: Send + Sync>(_: &X) {}
    for kind in kinds() {
        let engine = Engine::new(kind).unwrap();
        let module = Module::new(&engine, EXIT.as_bytes()).unwrap();
        let mut linker: Linker<WasiCtx> = Linker::new();
        wasi::add_to_linker_with(&mut linker, |ctx| ctx);
        let pre = linker.instantiate_pre(&module).unwrap();
        assert_send_sync(&pre);
        let store = |args: &[&str]| {
            let ctx = WasiCtxBuilder::new().args(args).build().unwrap();
            let mut store = Store::new(&engine, ctx);
            let instance = pre.instantiate(&mut store).unwrap();
            (store, instance)
        };
        let (mut one, a) = store(&["one"]);
        let (mut three, b) = store(&["three", "x", "y"]);
        assert_eq!(wasi::run_start(&mut three, b).unwrap(), 3, "{kind}");
        assert_eq!(wasi::run_start(&mut one, a).unwrap(), 1, "{kind}");
        assert_eq!(wasi::run_start(&mut three, b).unwrap(), 3, "{kind}");
    }
}

/// A guest that prints the file `hello.txt` of its first preopened
/// directory (fd 3), then closes that directory; it exits with 10 + the
/// errno when it cannot open the file.
const CAT_AND_CLOSE: &str = r#"(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello.txt")
  (func (export "_start") (local $e i32)
    (local.set $e (call $open (i32.const 3) (i32.const 0) (i32.const 16) (i32.const 9)
      (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 100)))
    (if (local.get $e) (then (call $exit (i32.add (i32.const 10) (local.get $e)))))
    (i32.store (i32.const 200) (i32.const 1000))
    (i32.store (i32.const 204) (i32.const 100))
    (drop (call $read (i32.load (i32.const 100)) (i32.const 200) (i32.const 1) (i32.const 300)))
    (i32.store (i32.const 400) (i32.const 1000))
    (i32.store (i32.const 404) (i32.load (i32.const 300)))
    (drop (call $write (i32.const 1) (i32.const 400) (i32.const 1) (i32.const 500)))
    (drop (call $close (i32.const 3)))))"#;

/// A template opens the directory once; every context made from it has
/// the directory at fd 3, although the guest before closed its own fd 3,
/// and writes to the output its request gave it.
#[test]
fn a_wasi_template_gives_each_request_its_own_descriptors() {
    let dir = std::env::temp_dir().join(format!("skiff-template-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("hello.txt"), "greetings\n").unwrap();
    let template = WasiCtxBuilder::new()
        .preopen_dir(&dir, "/data", wasi::DirPerms::ReadOnly)
        .stdout(Stdio::Null)
        .build_template()
        .unwrap();
    for kind in kinds() {
        let engine = Engine::new(kind).unwrap();
        let module = Module::new(&engine, CAT_AND_CLOSE.as_bytes()).unwrap();
        let mut linker: Linker<WasiCtx> = Linker::new();
        wasi::add_to_linker_with(&mut linker, |ctx| ctx);
        let pre = linker.instantiate_pre(&module).unwrap();
        for request in 0..3 {
            let out = OutputBuffer::new();
            let ctx = template
                .ctx_with_stdio([Stdio::Closed, Stdio::Buffer(out.clone()), Stdio::Closed])
                .unwrap();
            let mut store = Store::new(&engine, ctx);
            let instance = pre.instantiate(&mut store).unwrap();
            assert_eq!(
                wasi::run_start(&mut store, instance).unwrap(),
                0,
                "{kind} {request}"
            );
            assert_eq!(out.contents_lossy(), "greetings\n", "{kind} {request}");
        }
        // The template's own streams: stdout discards.
        let mut store = Store::new(&engine, template.ctx().unwrap());
        let instance = pre.instantiate(&mut store).unwrap();
        assert_eq!(wasi::run_start(&mut store, instance).unwrap(), 0, "{kind}");
    }
    // The directory was opened when the template was built: removing it
    // now leaves the template's descriptor, so contexts still get fd 3
    // (whose files are gone).
    std::fs::remove_dir_all(&dir).unwrap();
    let engine = Engine::new(EngineKind::Interp).unwrap();
    let module = Module::new(&engine, CAT_AND_CLOSE.as_bytes()).unwrap();
    let mut linker: Linker<WasiCtx> = Linker::new();
    wasi::add_to_linker_with(&mut linker, |ctx| ctx);
    let mut store = Store::new(&engine, template.ctx().unwrap());
    let instance = linker.instantiate(&mut store, &module).unwrap();
    // ENOENT (44): fd 3 is there, the file is not.
    assert_eq!(wasi::run_start(&mut store, instance).unwrap(), 10 + 44);
}
