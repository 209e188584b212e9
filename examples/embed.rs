//! Embedding Skiff: compile a module, give it a host function, call it typed.
//!
//! Run with `cargo run --release --example embed`.

use skiff::{Engine, FuncType, Linker, Module, Store, ValType, Value};

const GUEST: &str = r#"
(module
  (import "host" "log" (func $log (param i32)))
  (func (export "collatz") (param $n i32) (result i32)
    (local $steps i32)
    (block $done
      (loop $next
        (call $log (local.get $n))
        (br_if $done (i32.le_u (local.get $n) (i32.const 1)))
        (local.set $n
          (if (result i32) (i32.and (local.get $n) (i32.const 1))
            (then (i32.add (i32.mul (local.get $n) (i32.const 3)) (i32.const 1)))
            (else (i32.shr_u (local.get $n) (i32.const 1)))))
        (local.set $steps (i32.add (local.get $steps) (i32.const 1)))
        (br $next)))
    (local.get $steps)))
"#;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let engine = Engine::default();
    let module = Module::new(&engine, GUEST.as_bytes())?;
    let mut store = Store::default();
    let mut linker = Linker::new();
    linker.func(
        &mut store,
        "host",
        "log",
        FuncType::new([ValType::I32], []),
        |_caller, args, _results| {
            if let [Value::I32(n)] = args {
                print!("{n} ");
            }
            Ok(())
        },
    );
    let instance = linker.instantiate(&mut store, &module)?;
    let collatz = instance.get_typed_func::<i32, i32>(&store, "collatz")?;
    let steps = collatz.call(&mut store, 27)?;
    println!("\n27 reaches 1 in {steps} steps");
    Ok(())
}
