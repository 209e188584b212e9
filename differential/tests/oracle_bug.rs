//! wasmi 2.0.0, the oracle, miscompiles `select` whose condition an `eqz`
//! computes: the differential comparison then trusts Skiff's tiers among
//! themselves only (`Verdict::OracleSuspect`). These tests hold the facts
//! that workaround rests on, and fail once wasmi is fixed, to say that it
//! can go.

use skiff::{Engine, EngineKind, Linker, Module, Store};
use skiff_differential::{Engines, Verdict, wasmi_suspect};

const SELECT_AFTER_EQZ: &str = r#"(module
  (func (export "f") (result i32) (local i32 i32)
    (select (i32.ctz (local.get 0)) (i32.const 5) (i32.eqz (local.get 1)))))"#;

#[test]
fn skiff_selects_the_first_operand_when_the_condition_holds() {
    let bytes = wat::parse_str(SELECT_AFTER_EQZ).unwrap();
    for kind in [EngineKind::Interp, EngineKind::Jit] {
        let engine = Engine::new(kind).unwrap();
        let module = Module::new(&engine, &bytes).unwrap();
        let mut store = Store::new(&engine, ());
        let instance = Linker::new().instantiate(&mut store, &module).unwrap();
        let f = instance.get_typed_func::<(), i32>(&store, "f").unwrap();
        assert_eq!(f.call(&mut store, ()).unwrap(), 32, "{kind}");
    }
}

#[test]
fn wasmi_2_0_0_selects_the_second() {
    let bytes = wat::parse_str(SELECT_AFTER_EQZ).unwrap();
    let engine = wasmi::Engine::default();
    let module = wasmi::Module::new(&engine, &bytes).unwrap();
    let mut store = wasmi::Store::new(&engine, ());
    let instance = wasmi::Linker::<()>::new(&engine)
        .instantiate_and_start(&mut store, &module)
        .unwrap();
    let f = instance.get_typed_func::<(), i32>(&store, "f").unwrap();
    assert_eq!(
        f.call(&mut store, ()).unwrap(),
        5,
        "wasmi now gets select right: drop `wasmi_suspect` from the comparison"
    );
    assert!(wasmi_suspect(&bytes));
    assert_eq!(
        Engines::new().check(&bytes).unwrap(),
        Verdict::OracleSuspect
    );
}

/// wasmi 2.0.0 built without its `memory64` feature crashed the process on
/// a narrow lane store with a large offset; the oracle is built with it, and
/// every engine traps alike.
#[test]
fn a_narrow_lane_store_at_a_large_offset_traps_everywhere() {
    let bytes = wat::parse_str(
        r#"(module (memory 1)
          (func (export "f") (local v128)
            (v128.store8_lane offset=65536 0 (i32.const 0) (local.get 0)))
          (func (export "g") (param v128)
            (v128.store16_lane offset=65536 1 (i32.const 0) (local.get 0))))"#,
    )
    .unwrap();
    assert_eq!(
        Engines::new().check(&bytes).unwrap(),
        Verdict::Same { calls: 2, traps: 2 }
    );
}

/// wasmi 2.0.0's tail-call dispatch took a native frame for each
/// `memory.grow` it ran, so a loop of them overflowed a thread's stack (found
/// by seed 2,166 of the long run); the oracle dispatches by a loop.
#[test]
fn a_loop_of_memory_grow_runs_in_a_small_thread() {
    let bytes = wat::parse_str(
        r#"(module (memory 1)
          (func (export "f") (param $delta i32) (result i32) (local $i i32)
            (loop $l
              (drop (memory.grow (local.get $delta)))
              (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                                (i32.const 100000))))
            (memory.size)))"#,
    )
    .unwrap();
    let verdict = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || Engines::new().check(&bytes))
        .unwrap()
        .join()
        .expect("no stack overflow");
    // The harness passes 0 as the first export's first argument.
    assert_eq!(verdict.unwrap(), Verdict::Same { calls: 1, traps: 0 });
}

/// Seed 55,673 of the long run (tail calls): after its three exports run,
/// Skiff's tiers leave global "6" at 0, as wasmtime 48 does; wasmi 2.0.0
/// leaves 65,536. Fails once wasmi agrees, to say the seed can be compared
/// again.
#[test]
fn seed_55673_skiff_agrees_with_wasmtime_and_wasmi_2_0_0_differs() {
    use skiff_differential::{Value, export_names, generate, run_skiff, run_wasmi, seed_bytes};
    let seed = 55_673;
    let bytes = generate(&seed_bytes(seed, 1024 + (seed % 8) as usize * 1024)).unwrap();
    let names = export_names(&bytes).unwrap();
    let engines = Engines::new();
    let global = |globals: &[(String, Value)]| {
        globals
            .iter()
            .find(|(n, _)| n == "6")
            .map(|(_, v)| *v)
            .expect("global \"6\" is exported")
    };
    for (name, engine) in engines.skiff() {
        let run = run_skiff(engine, &bytes, &names).unwrap();
        assert_eq!(global(&run.globals), Value::I64(0), "{name}");
    }
    let run = run_wasmi(engines.wasmi(), &bytes, &names).unwrap();
    assert_eq!(
        global(&run.globals),
        Value::I64(65_536),
        "wasmi now agrees: the seed needs no exception"
    );
}
