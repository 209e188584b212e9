//! `skiff compile`: an ahead-of-time artifact that `skiff run` loads
//! without compiling.

use super::{EXIT_LOAD_ERROR, make_engine};
use clap::Args;
use skiff::{Config, EngineKind, Features};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `skiff compile`.
#[derive(Args, Debug)]
pub struct CompileArgs {
    /// Where to write the artifact.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: PathBuf,
    /// The engine to compile for, as `skiff run --engine` names it: auto
    /// (the default, as for `skiff run`) or jit; the interpreter keeps no code.
    #[arg(long, default_value = "auto")]
    engine: EngineKind,
    /// Compile the fuel checks `skiff run --fuel` needs.
    #[arg(long)]
    fuel: bool,
    /// Compile the epoch checks `skiff run --timeout` needs.
    #[arg(long)]
    epochs: bool,
    /// Accept only WebAssembly 2.0, as `skiff run --wasm2`.
    #[arg(long)]
    wasm2: bool,
    /// The module (`.wasm` or `.wat`).
    module: PathBuf,
}

/// Runs `skiff compile`.
pub fn compile(args: CompileArgs) -> ExitCode {
    let fail = |message: String| {
        eprintln!("skiff: {}: {message}", args.module.display());
        ExitCode::from(EXIT_LOAD_ERROR)
    };
    let mut config = Config::new();
    config
        .consume_fuel(args.fuel)
        .epoch_interruption(args.epochs);
    if args.wasm2 {
        config.features(Features::WASM2);
    }
    let engine = match make_engine(&mut config, Some(args.engine)) {
        Ok(e) => e,
        Err(e) => return fail(e.to_string()),
    };
    let bytes = match std::fs::read(&args.module) {
        Ok(b) => b,
        Err(e) => return fail(format!("cannot read: {e}")),
    };
    let artifact = match engine.precompile(&bytes) {
        Ok(a) => a,
        Err(e) => return fail(format!("{} module: {e}", e.kind())),
    };
    if let Err(e) = artifact.save(&args.output) {
        eprintln!("skiff: {}: cannot write: {e}", args.output.display());
        return ExitCode::from(EXIT_LOAD_ERROR);
    }
    ExitCode::SUCCESS
}
