//! `skiff snapshot`: run a module's init once and write a module that
//! starts in the state it left.

use super::{EXIT_LOAD_ERROR, grant_env, make_engine};
use clap::Args;
use skiff::wasi::WasiCtxBuilder;
use skiff::{Config, EngineKind};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `skiff snapshot`.
#[derive(Args, Debug)]
pub struct SnapshotArgs {
    /// The export to run once (it takes and returns nothing). A module's
    /// `_initialize` runs before it, and neither runs again in the snapshot.
    #[arg(long, value_name = "NAME")]
    init: String,
    /// Where to write the snapshot (a `.wasm` module).
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    output: PathBuf,
    /// The tier that runs init (default: the JIT where it runs, else the interpreter).
    #[arg(long)]
    engine: Option<EngineKind>,
    /// Give init an environment variable: KEY=VALUE, or KEY alone for this
    /// process's value of KEY.
    #[arg(long = "env", value_name = "KEY[=VALUE]")]
    envs: Vec<String>,
    /// Give init every environment variable of this process.
    #[arg(long)]
    inherit_env: bool,
    /// The module (`.wasm` or `.wat`), then the arguments init may read
    /// (after argv[0], the module's file name). Every word after MODULE
    /// belongs to the guest.
    #[arg(
        value_name = "MODULE [ARGS]...",
        required = true,
        trailing_var_arg = true,
        num_args = 1..
    )]
    module_and_args: Vec<String>,
}

/// Runs `skiff snapshot`.
pub fn snapshot(args: SnapshotArgs) -> ExitCode {
    let module = PathBuf::from(&args.module_and_args[0]);
    let fail = |message: String| {
        eprintln!("skiff: {}: {message}", module.display());
        ExitCode::from(EXIT_LOAD_ERROR)
    };
    let engine = match make_engine(&mut Config::new(), args.engine) {
        Ok(e) => e,
        Err(e) => return fail(e.to_string()),
    };
    let bytes = match std::fs::read(&module) {
        Ok(b) => b,
        Err(e) => return fail(format!("cannot read: {e}")),
    };
    let argv0 = module
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let wasi = WasiCtxBuilder::new()
        .arg(argv0)
        .args(&args.module_and_args[1..]);
    let wasi = match grant_env(wasi, &args.envs, args.inherit_env).build() {
        Ok(w) => w,
        Err(e) => return fail(e.to_string()),
    };
    let out = match skiff::snapshot::snapshot(&engine, &bytes, &args.init, wasi) {
        Ok(out) => out,
        Err(e) => return fail(e.to_string()),
    };
    if let Err(e) = std::fs::write(&args.output, out) {
        eprintln!("skiff: {}: cannot write: {e}", args.output.display());
        return ExitCode::from(EXIT_LOAD_ERROR);
    }
    ExitCode::SUCCESS
}
