//! Shows what a seed of the differential test generates and how each engine
//! runs it: `cargo run --release -p skiff-differential --example repro -- SEED [OUT.wasm]`
//! (the seeds' input length as in `tests/seeds.rs`), or `-- --file INPUT`
//! for a fuzzer's input.

use skiff_differential::{Engines, export_names, generate, run_skiff, run_wasmi, seed_bytes};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let data = if args[0] == "--file" {
        std::fs::read(&args[1]).expect("the input file")
    } else {
        let seed: u64 = args[0].parse().expect("a seed");
        seed_bytes(seed, 1024 + (seed % 8) as usize * 1024)
    };
    let bytes = generate(&data).expect("a module");
    if let Some(out) = args.get(if args[0] == "--file" { 2 } else { 1 }) {
        std::fs::write(out, &bytes).expect("write the module");
    }
    println!("{}", wasmprinter::print_bytes(&bytes).expect("printable"));
    let names = export_names(&bytes).expect("exports");
    let engines = Engines::new();
    println!(
        "wasmi: {:?}",
        run_wasmi(engines.wasmi(), &bytes, &names).map(|r| r.calls)
    );
    for (name, engine) in engines.skiff() {
        println!(
            "{name}: {:?}",
            run_skiff(engine, &bytes, &names).map(|r| r.calls)
        );
    }
    println!("{:?}", engines.check(&bytes));
}
