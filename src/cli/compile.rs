//! `skiff compile`: an ahead-of-time artifact that `skiff run` loads
//! without compiling.

use super::{EXIT_LOAD_ERROR, make_engine};
use clap::Args;
use skiff::{Config, EngineKind};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `skiff compile`.
#[derive(Args, Debug)]
pub struct CompileArgs {
    /// Where to write the artifact.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: PathBuf,
    /// The tier to compile for (only the JIT keeps compiled code).
    #[arg(long, default_value = "jit")]
    engine: EngineKind,
    /// The module (`.wasm` or `.wat`).
    module: PathBuf,
}

/// Runs `skiff compile`.
pub fn compile(args: CompileArgs) -> ExitCode {
    let fail = |message: String| {
        eprintln!("skiff: {}: {message}", args.module.display());
        ExitCode::from(EXIT_LOAD_ERROR)
    };
    let engine = match make_engine(&mut Config::new(), Some(args.engine)) {
        Ok(e) => e,
        Err(e) => return fail(e.to_string()),
    };
    let bytes = match std::fs::read(&args.module) {
        Ok(b) => b,
        Err(e) => return fail(format!("cannot read: {e}")),
    };
    let artifact = match engine.precompile_module(&bytes) {
        Ok(a) => a,
        Err(e) => return fail(format!("{} module: {e}", e.kind())),
    };
    if let Err(e) = std::fs::write(&args.output, artifact) {
        eprintln!("skiff: {}: cannot write: {e}", args.output.display());
        return ExitCode::from(EXIT_LOAD_ERROR);
    }
    ExitCode::SUCCESS
}
