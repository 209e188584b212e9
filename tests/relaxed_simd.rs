//! Relaxed SIMD gives the same bits on both tiers. Found by the differential
//! test (seed 45,036): the JIT's `relaxed_min` of a NaN lane was Cranelift's
//! negative NaN, the interpreter's the positive canonical one.

use skiff::{Engine, EngineKind, Linker, Module, Store, Val};

/// Each relaxed `min` and `max` of lanes with NaNs of both signs, quiet and
/// signalling, on either side, and of ordinary lanes.
const MODULE: &str = r#"(module
  (func (export "f32_min") (result v128)
    (f32x4.relaxed_min (v128.const i32x4 0xffffffff 0x7fc00001 0x7f800001 0x3f800000)
                       (v128.const i32x4 0x3f800000 0x3f800000 0xff800001 0xc0000000)))
  (func (export "f32_max") (result v128)
    (f32x4.relaxed_max (v128.const i32x4 0x3f800000 0xffc00000 0x7f800001 0x3f800000)
                       (v128.const i32x4 0xffffffff 0x3f800000 0x3f800000 0xc0000000)))
  (func (export "f64_min") (result v128)
    (f64x2.relaxed_min (v128.const i64x2 0xffffffffffffffff 0x3ff0000000000000)
                       (v128.const i64x2 0x3ff0000000000000 0x4000000000000000)))
  (func (export "f64_max") (result v128)
    (f64x2.relaxed_max (v128.const i64x2 0x3ff0000000000000 0x3ff0000000000000)
                       (v128.const i64x2 0xfff4000000000000 0x4000000000000000))))"#;

fn results(kind: EngineKind) -> Vec<u128> {
    let engine = Engine::new(kind).unwrap();
    let module = Module::new(&engine, MODULE.as_bytes()).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Linker::new().instantiate(&mut store, &module).unwrap();
    ["f32_min", "f32_max", "f64_min", "f64_max"]
        .iter()
        .map(|name| {
            let f = instance.get_func(&store, name).unwrap();
            let mut out = [Val::V128(0)];
            f.call(&mut store, &[], &mut out).unwrap();
            match out[0] {
                Val::V128(v) => v,
                ref other => panic!("{name}: {other:?}"),
            }
        })
        .collect()
}

#[test]
fn relaxed_min_and_max_give_the_positive_canonical_nan_on_both_tiers() {
    let want = vec![
        // NaN, NaN, NaN, then min(1, -2) = -2.
        0xc000_0000_7fc0_0000_7fc0_0000_7fc0_0000,
        // NaN, NaN, NaN, then max(1, -2) = 1.
        0x3f80_0000_7fc0_0000_7fc0_0000_7fc0_0000,
        // NaN, then min(1, 2) = 1.
        0x3ff0_0000_0000_0000_7ff8_0000_0000_0000,
        // NaN, then max(1, 2) = 2.
        0x4000_0000_0000_0000_7ff8_0000_0000_0000,
    ];
    assert_eq!(results(EngineKind::Interp), want, "interp");
    if Engine::new(EngineKind::Jit).is_ok() {
        assert_eq!(results(EngineKind::Jit), want, "jit");
    }
}
