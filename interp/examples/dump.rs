//! Prints the interpreter's translated code of a module's functions whose
//! code contains an instruction whose name contains a pattern: a look at what
//! the translator emits, while working on it.
//!
//! ```sh
//! cargo run --release -p skiff-interp --example dump -- benches/corpus/matmul.wasm F64Mul
//! ```

use skiff_vm::{Features, load};

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    let [_, path, pattern] = &args[..] else {
        return Err("usage: dump MODULE PATTERN".into());
    };
    let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    let module = load(&bytes, &Features::ALL).map_err(|e| format!("{path}: {e}"))?;
    let m = module.module();
    for (i, info) in module.func_infos.iter().enumerate() {
        let index = m.num_imported_funcs + i as u32;
        let code = skiff_interp::translate::translate(m, info, index)
            .map_err(|e| format!("func {index}: {e}"))?;
        let ops: Vec<String> = code.ops().map(|op| format!("{op:?}")).collect();
        if ops.iter().any(|op| op.contains(pattern.as_str())) {
            println!(
                "func {index}: {} locals, constants {:?}",
                code.locals, code.consts
            );
            for (pc, op) in ops.iter().enumerate() {
                println!("{pc:5} {op}");
            }
        }
    }
    Ok(())
}
