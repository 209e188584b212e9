//! Embedding Skiff: compile a module, give it host functions that keep
//! state in the store's data and read the guest's memory, call it typed.
//!
//! Run with `cargo run --release --example embed`.

use skiff::{Caller, Engine, Linker, Module, Store, Trap};

const GUEST: &str = r#"
(module
  (import "host" "log" (func $log (param i32)))
  (import "host" "print" (func $print (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "steps to reach 1")
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
    (call $print (i32.const 16) (i32.const 16))
    (local.get $steps)))
"#;

/// What the host keeps per store: the numbers the guest logged.
#[derive(Default)]
struct Host {
    seen: Vec<i32>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let engine = Engine::default();
    let module = Module::new(&engine, GUEST.as_bytes())?;
    let mut linker = Linker::<Host>::new();
    linker.func_wrap("host", "log", |mut caller: Caller<'_, Host>, n: i32| {
        caller.data_mut().seen.push(n);
    });
    linker.func_wrap(
        "host",
        "print",
        |caller: Caller<'_, Host>, ptr: u32, len: u32| -> Result<(), Trap> {
            let memory = caller
                .get_export("memory")
                .and_then(|e| e.into_memory())
                .ok_or_else(|| Trap::host("the guest exports no memory"))?;
            let mut text = vec![0; len as usize];
            memory
                .read(&caller, ptr as usize, &mut text)
                .map_err(|e| Trap::host(e.to_string()))?;
            println!("guest says: {}", String::from_utf8_lossy(&text));
            Ok(())
        },
    );
    let mut store = Store::new(&engine, Host::default());
    let instance = linker.instantiate(&mut store, &module)?;
    let collatz = instance.get_typed_func::<i32, i32>(&store, "collatz")?;
    let steps = collatz.call(&mut store, 27)?;
    println!("27 reaches 1 in {steps} steps: {:?}", store.data().seen);
    Ok(())
}
