//! Hostile guests: every WASI function called with arbitrary arguments must
//! answer an errno (never panic or trap, except `proc_exit`), and nothing
//! outside the read-write preopen may change.

mod common;

use common::TempDir;

use skiff_vm::runtime::{Extern, InstanceId, Linker, Store, Value};
use skiff_vm::types::ValType;
use skiff_vm::{Features, load};
use skiff_wasi::{
    DirPerms, FUNCTIONS, MODULE, OutputBuffer, Stdio, WasiCtxBuilder, add_to_linker, exit_code,
};
use std::sync::Arc;

/// A module that imports every WASI function and re-exports each under its
/// own name, with one page of exported memory.
fn all_functions_module(store: &Store, linker: &Linker, with_memory: bool) -> String {
    let mut imports = String::new();
    let mut exports = String::new();
    for name in FUNCTIONS {
        let Some(Extern::Func(f)) = linker.get(MODULE, name) else {
            panic!("{name} missing");
        };
        let ty = store.func_type(f);
        let sig = |tys: &[ValType]| {
            tys.iter()
                .map(|t| t.to_string())
                .collect::<Vec<_>>()
                .join(" ")
        };
        let params = sig(ty.params());
        let results = sig(ty.results());
        let result = if results.is_empty() {
            String::new()
        } else {
            format!("(result {results})")
        };
        imports.push_str(&format!(
            "(import \"{MODULE}\" \"{name}\" (func ${name} (param {params}) {result}))\n"
        ));
        let gets: String = (0..ty.params().len())
            .map(|i| format!("(local.get {i}) "))
            .collect();
        exports.push_str(&format!(
            "(func (export \"{name}\") (param {params}) {result} {gets} (call ${name}))\n"
        ));
    }
    let memory = if with_memory {
        "(memory (export \"memory\") 1)"
    } else {
        ""
    };
    format!("(module\n{imports}{memory}\n{exports})")
}

fn instantiate(store: &mut Store, linker: &Linker, wat: &str) -> InstanceId {
    let module = Arc::new(load(wat.as_bytes(), &Features::WASM2).expect("valid module"));
    let code = common::tier().compile(&module).expect("compiles");
    linker
        .instantiate(store, &module, &code)
        .expect("instantiates")
}

fn export(store: &Store, inst: InstanceId, name: &str) -> skiff_vm::runtime::Func {
    match store.instance(inst).export(name) {
        Some(Extern::Func(f)) => f,
        _ => panic!("no export {name}"),
    }
}

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Offsets in guest memory where the storm leaves plausible paths.
const PATHS: [&str; 14] = [
    "a", "b/c", "..", "../x", "/etc", "a/../..", ".", "d/", "link", "ro", "a/b/c/d", "x\0y", "f",
    "a/b/f",
];

fn fill_memory(mem: &mut [u8], rng: &mut Rng) -> Vec<(u32, u32)> {
    for b in mem.iter_mut() {
        *b = rng.next() as u8;
    }
    let mut at = 0x8000;
    let mut spots = Vec::new();
    for p in PATHS {
        mem[at..at + p.len()].copy_from_slice(p.as_bytes());
        spots.push((at as u32, p.len() as u32));
        at += 32;
    }
    // A few iovecs pointing at the buffer area.
    for i in 0..4u32 {
        let base = 0x9000 + i * 8;
        mem[base as usize..base as usize + 4].copy_from_slice(&(0xa000 + i * 256).to_le_bytes());
        mem[base as usize + 4..base as usize + 8].copy_from_slice(&(i * 100).to_le_bytes());
    }
    spots
}

fn arg(
    index: usize,
    ty: ValType,
    rng: &mut Rng,
    spots: &[(u32, u32)],
    last_was_path: &mut Option<u32>,
) -> Value {
    match ty {
        ValType::I64 => {
            const CHOICES: [u64; 7] = [0, 1, 7, 100, 4096, 1 << 20, u64::MAX];
            Value::I64(CHOICES[rng.below(CHOICES.len() as u64) as usize] as i64)
        }
        _ => {
            if let Some(len) = last_was_path.take() {
                return Value::I32(len as i32);
            }
            // Most calls take a descriptor first: mostly a live one.
            if index == 0 {
                match rng.below(10) {
                    0..5 => return Value::I32(3 + rng.below(2) as i32),
                    5..8 => return Value::I32(rng.below(8) as i32),
                    _ => {}
                }
            }
            let v: u32 = match rng.below(10) {
                0 => rng.below(8) as u32,
                1 => 3 + rng.below(3) as u32,
                2 | 7 | 8 | 9 => {
                    let (at, len) = spots[rng.below(spots.len() as u64) as usize];
                    *last_was_path = Some(len);
                    at
                }
                3 => 0x9000,
                4 => rng.below(65536) as u32,
                5 => {
                    [65535, 65536, 65532, u32::MAX, 0x8000_0000, 0xffff_fff0][rng.below(6) as usize]
                }
                6 => rng.below(64) as u32,
                _ => rng.next() as u32,
            };
            Value::I32(v as i32)
        }
    }
}

fn tree_snapshot(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let name = p.strip_prefix(dir).unwrap().display().to_string();
            let md = std::fs::symlink_metadata(&p).unwrap();
            if md.is_dir() {
                out.push((name, b"/".to_vec()));
                stack.push(p);
            } else if md.file_type().is_symlink() {
                out.push((
                    name,
                    std::fs::read_link(&p)
                        .unwrap()
                        .into_os_string()
                        .into_encoded_bytes(),
                ));
            } else {
                out.push((name, std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn a_storm_of_arbitrary_calls_stays_inside() {
    let t = TempDir::new("storm");
    for d in ["rw/a/b", "ro/sub", "outside"] {
        std::fs::create_dir_all(t.join(d)).unwrap();
    }
    std::fs::write(t.join("ro/readme"), "keep").unwrap();
    std::fs::write(t.join("rw/f"), "scratch").unwrap();
    std::fs::write(t.join("ro/sub/deep"), "keep too").unwrap();
    std::fs::write(t.join("outside/secret"), "secret").unwrap();
    std::os::unix::fs::symlink(t.join("outside"), t.join("rw/link")).unwrap();
    std::os::unix::fs::symlink("../ro", t.join("rw/ro")).unwrap();
    let before_ro = tree_snapshot(&t.join("ro"));
    let before_outside = tree_snapshot(&t.join("outside"));

    let mut rng = Rng(0x5eed_1234_abcd_0042);
    let mut calls = 0;
    let mut succeeded = std::collections::BTreeSet::new();
    for round in 0..80 {
        // A fresh guest each round, so that closing a preopen ends nothing for long.
        let out = OutputBuffer::new();
        let ctx = WasiCtxBuilder::new()
            .args(["storm"])
            .env("K", "V")
            .preopen_dir(t.join("rw"), "/rw", DirPerms::ReadWrite)
            .preopen_dir(t.join("ro"), "/ro", DirPerms::ReadOnly)
            .stdin(Stdio::Null)
            .stdout(Stdio::Buffer(out.clone()))
            .stderr(Stdio::Buffer(out))
            .random(true)
            .build()
            .unwrap()
            .into_shared();
        let mut store = Store::default();
        let mut linker = Linker::new();
        add_to_linker(&mut linker, &mut store, ctx);
        let wat = all_functions_module(&store, &linker, true);
        let inst = instantiate(&mut store, &linker, &wat);
        let Some(Extern::Memory(mem)) = store.instance(inst).export("memory") else {
            panic!("no memory");
        };
        let funcs: Vec<_> = FUNCTIONS
            .iter()
            .map(|n| (*n, export(&store, inst, n)))
            .collect();
        let spots = fill_memory(store.memory_data_mut(mem), &mut rng);
        for _ in 0..250 {
            let (name, f) = funcs[rng.below(funcs.len() as u64) as usize];
            let params = store.func_type(f).params().to_vec();
            let mut pending = None;
            let mut args: Vec<Value> = params
                .iter()
                .enumerate()
                .map(|(i, t)| arg(i, *t, &mut rng, &spots, &mut pending))
                .collect();
            if matches!(name, "fd_close" | "fd_renumber") && rng.below(10) != 0 {
                args[0] = Value::I32(5 + rng.below(4) as i32);
            }
            calls += 1;
            match store.call(f, &args) {
                Ok(results) if name != "proc_exit" => match results[..] {
                    [Value::I32(e)] => {
                        assert!(
                            (0..=76).contains(&e),
                            "round {round}: {name}{args:?} returned {e}"
                        );
                        if e == 0 {
                            succeeded.insert(name);
                        }
                    }
                    _ => panic!("{name} returned {results:?}"),
                },
                Err(trap) if name == "proc_exit" => assert!(exit_code(&trap).is_some()),
                other => panic!("round {round}: {name}{args:?}: {other:?}"),
            }
        }
    }
    assert_eq!(calls, 20_000);
    eprintln!("calls that succeeded at least once: {succeeded:?}");
    assert!(
        succeeded.len() > 25,
        "the storm reaches past argument checks"
    );
    assert_eq!(
        tree_snapshot(&t.join("ro")),
        before_ro,
        "the read-only preopen changed"
    );
    assert_eq!(
        tree_snapshot(&t.join("outside")),
        before_outside,
        "a directory outside the preopens changed"
    );
    let beside: Vec<_> = std::fs::read_dir(t.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    let mut beside = beside;
    beside.sort();
    assert_eq!(beside, ["outside", "ro", "rw"]);
}

#[test]
fn a_module_without_memory_gets_efault() {
    let mut store = Store::default();
    let mut linker = Linker::new();
    let ctx = WasiCtxBuilder::new()
        .args(["a", "b"])
        .random(true)
        .build()
        .unwrap()
        .into_shared();
    add_to_linker(&mut linker, &mut store, ctx);
    let wat = all_functions_module(&store, &linker, false);
    let inst = instantiate(&mut store, &linker, &wat);
    let call = |store: &mut Store, name: &str, args: &[Value]| {
        let f = export(store, inst, name);
        store.call(f, args).unwrap()
    };
    let fault = vec![Value::I32(21)];
    assert_eq!(
        call(
            &mut store,
            "args_sizes_get",
            &[Value::I32(0), Value::I32(4)]
        ),
        fault
    );
    assert_eq!(
        call(&mut store, "random_get", &[Value::I32(0), Value::I32(1)]),
        fault
    );
    // Zero bytes at offset 0 fit even an empty memory.
    assert_eq!(
        call(&mut store, "random_get", &[Value::I32(0), Value::I32(0)]),
        vec![Value::I32(0)]
    );
    assert_eq!(
        call(&mut store, "fd_close", &[Value::I32(9)]),
        vec![Value::I32(8)]
    );
    assert_eq!(call(&mut store, "sched_yield", &[]), vec![Value::I32(0)]);
}

#[test]
fn huge_counts_and_lengths_fault_without_allocating() {
    let out = OutputBuffer::new();
    let mut store = Store::default();
    let mut linker = Linker::new();
    let ctx = WasiCtxBuilder::new()
        .stdout(Stdio::Buffer(out.clone()))
        .clocks(true)
        .build()
        .unwrap()
        .into_shared();
    add_to_linker(&mut linker, &mut store, ctx);
    let wat = all_functions_module(&store, &linker, true);
    let inst = instantiate(&mut store, &linker, &wat);
    let Some(Extern::Memory(mem)) = store.instance(inst).export("memory") else {
        panic!("no memory");
    };
    // An iovec at 16 whose buffer runs past the end of memory.
    let bytes = store.memory_data_mut(mem);
    bytes[16..20].copy_from_slice(&65000u32.to_le_bytes());
    bytes[20..24].copy_from_slice(&1000u32.to_le_bytes());
    let mut call = |name: &str, args: &[Value]| {
        let f = export(&store, inst, name);
        store.call(f, args).unwrap()
    };
    let i = Value::I32;
    let fault = vec![i(21)];
    assert_eq!(call("fd_write", &[i(1), i(0), i(i32::MAX), i(0)]), fault);
    assert_eq!(call("fd_write", &[i(1), i(0), i(-1), i(0)]), fault);
    assert_eq!(call("poll_oneoff", &[i(0), i(0), i(-1), i(0)]), fault);
    assert_eq!(
        call("poll_oneoff", &[i(0), i(0), i(0x0100_0000), i(0)]),
        fault
    );
    assert_eq!(
        call("fd_readdir", &[i(3), i(0), i(-1), Value::I64(0), i(0)]),
        vec![i(8)]
    );
    assert_eq!(call("random_get", &[i(0), i(-1)]), vec![i(76)]);
    assert_eq!(call("fd_write", &[i(1), i(16), i(1), i(0)]), fault);
    assert_eq!(call("fd_write", &[i(1), i(65532), i(1), i(0)]), fault);
    assert!(out.is_empty());
}

#[test]
fn building_refuses_bad_grants() {
    let t = TempDir::new("build");
    std::fs::write(t.join("file"), "x").unwrap();
    let e = WasiCtxBuilder::new()
        .preopen_dir(t.join("missing"), "/m", DirPerms::ReadOnly)
        .build()
        .unwrap_err();
    assert!(e.to_string().contains("missing"), "{e}");
    let e = WasiCtxBuilder::new()
        .preopen_dir(t.join("file"), "/f", DirPerms::ReadOnly)
        .build()
        .unwrap_err();
    assert_eq!(e.source.raw_os_error(), Some(libc::ENOTDIR));
    assert!(WasiCtxBuilder::new().env("A=B", "c").build().is_err());
    assert!(WasiCtxBuilder::new().env("", "c").build().is_err());
    assert!(WasiCtxBuilder::new().env("A", "c\0d").build().is_err());
    let ctx = WasiCtxBuilder::new()
        .env("A", "1")
        .env("A", "2")
        .build()
        .unwrap();
    assert!(
        format!("{ctx:?}").contains("env: 1"),
        "a later grant replaces: {ctx:?}"
    );
    let file = std::fs::File::open(t.join("file")).unwrap();
    assert!(WasiCtxBuilder::new().preopen_socket(file).build().is_err());
}
