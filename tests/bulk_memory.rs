//! `memory.copy` and `memory.fill` of constant lengths, which the JIT does
//! inline up to 32 bytes and through a plain `memmove`/`memset` beyond, held
//! to a model on every tier: overlapping ranges in both directions, lengths
//! around the inline limit, and an out-of-bounds range that traps before
//! any byte is written.

mod common;

use common::{call, engines};
use skiff::{Linker, Module, Store, TrapKind, Val};

/// The lengths tried: every one up to past the inline limit, and larger.
const LENGTHS: [u32; 14] = [0, 1, 2, 3, 4, 7, 8, 9, 15, 16, 31, 32, 33, 100];

/// A module with `copy_N (dst, src)` and `fill_N (dst, value)` for each
/// length N, a constant in the instruction, over one page.
fn module_text() -> String {
    let mut text = String::from("(module (memory (export \"m\") 1)\n");
    for n in LENGTHS {
        text.push_str(&format!(
            "(func (export \"copy_{n}\") (param i32 i32) \
               (memory.copy (local.get 0) (local.get 1) (i32.const {n})))\n\
             (func (export \"fill_{n}\") (param i32 i32) \
               (memory.fill (local.get 0) (local.get 1) (i32.const {n})))\n"
        ));
    }
    text.push(')');
    text
}

#[test]
fn constant_length_copies_and_fills_match_the_model() {
    let text = module_text();
    for engine in engines() {
        let mut store = Store::new(&engine, ());
        let module = Module::new(&engine, text.as_bytes()).unwrap();
        let instance = Linker::new().instantiate(&mut store, &module).unwrap();
        let memory = instance.get_memory(&store, "m").unwrap();
        let initial: Vec<u8> = (0..65536u32).map(|i| (i * 7 + 3) as u8).collect();
        memory.write(&mut store, 0, &initial).unwrap();
        let mut model = initial.clone();
        let page = 65536i64;
        for n in LENGTHS {
            let len = n as usize;
            // Overlapping forwards and backwards, apart, and at the end.
            for (d, s) in [(100, 103), (103, 100), (200, 400), (65536 - len, 50)] {
                call(
                    &mut store,
                    &instance,
                    &format!("copy_{n}"),
                    &[Val::I32(d as i32), Val::I32(s as i32)],
                )
                .unwrap();
                model.copy_within(s..s + len, d);
            }
            call(
                &mut store,
                &instance,
                &format!("fill_{n}"),
                &[Val::I32(1000), Val::I32(0x1A5)],
            )
            .unwrap();
            model[1000..1000 + len].fill(0xA5);
            assert_eq!(
                memory.data(&store),
                &model[..],
                "{:?}, n = {n}",
                engine.kind()
            );

            // One byte past the end: a trap, and nothing written.
            if n > 0 {
                let past = (page - i64::from(n) + 1) as i32;
                for (name, args) in [
                    ("copy", [Val::I32(past), Val::I32(0)]),
                    ("copy", [Val::I32(0), Val::I32(past)]),
                    ("fill", [Val::I32(past), Val::I32(0)]),
                ] {
                    let err =
                        call(&mut store, &instance, &format!("{name}_{n}"), &args).unwrap_err();
                    assert_eq!(err.kind(), TrapKind::MemoryOutOfBounds, "{name}_{n}");
                }
                assert_eq!(
                    memory.data(&store),
                    &model[..],
                    "{:?}, n = {n}",
                    engine.kind()
                );
            }
        }
    }
}
