//! `skiff run`: run a WASI command's `_start`, or invoke one export.

use super::{EXIT_LOAD_ERROR, EXIT_TRAP, values};
use clap::Args;
use skiff::{Engine, EngineKind, Linker, Module, Store, Trap};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `skiff run`.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// The tier that runs the code.
    #[arg(long, default_value = "interp")]
    engine: EngineKind,
    /// Preopen a host directory, read-write, as GUEST (default: the same path).
    #[arg(long = "dir", value_name = "HOST[::GUEST]")]
    dirs: Vec<String>,
    /// Preopen a host directory read-only.
    #[arg(long = "dir-ro", value_name = "HOST[::GUEST]")]
    dirs_ro: Vec<String>,
    /// Give the guest an environment variable.
    #[arg(long = "env", value_name = "KEY=VALUE")]
    envs: Vec<String>,
    /// Give the guest every environment variable of this process.
    #[arg(long)]
    inherit_env: bool,
    /// The guest's argv[0] (default: the module's file name).
    #[arg(long)]
    argv0: Option<String>,
    /// Call this export instead of `_start`; ARGS are its arguments, results are printed one a line.
    #[arg(long, value_name = "NAME")]
    invoke: Option<String>,
    /// The module: `.wasm` or `.wat`.
    module: PathBuf,
    /// The guest's arguments (or, with --invoke, the export's).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

/// Runs `skiff run`.
pub fn run(args: RunArgs) -> ExitCode {
    let fail = |message: String| {
        eprintln!("skiff: {}: {message}", args.module.display());
        ExitCode::from(EXIT_LOAD_ERROR)
    };
    let engine = match Engine::new(args.engine) {
        Ok(e) => e,
        Err(e) => return fail(e.to_string()),
    };
    let module = match Module::from_file(&engine, &args.module) {
        Ok(m) => m,
        Err(e) => return fail(e.to_string()),
    };
    let mut store = Store::default();
    let linker = Linker::new();
    if let Some(import) = module.validated().imports.first() {
        return fail(format!(
            "cannot satisfy import {}.{}: WASI is not available in this build yet",
            import.module, import.name
        ));
    }
    let instance = match linker.instantiate(&mut store, &module) {
        Ok(i) => i,
        Err(skiff::InstantiationError::Trap(t)) => return report_trap(&args, &t),
        Err(e) => return fail(e.to_string()),
    };
    let name = args.invoke.as_deref().unwrap_or("_start");
    let Some(func) = instance.get_func(&store, name) else {
        return fail(format!("no exported function {name}"));
    };
    let ty = store.func_type(func).clone();
    let call_args = if args.invoke.is_some() {
        if args.args.len() != ty.params().len() {
            return fail(format!(
                "{name} takes {} argument(s) of type {ty}, {} given",
                ty.params().len(),
                args.args.len()
            ));
        }
        let mut vals = Vec::with_capacity(args.args.len());
        for (t, text) in ty.params().iter().zip(&args.args) {
            match values::parse(*t, text) {
                Ok(v) => vals.push(v),
                Err(e) => return fail(e),
            }
        }
        vals
    } else {
        Vec::new()
    };
    match store.call(func, &call_args) {
        Ok(results) => {
            if args.invoke.is_some() {
                for r in &results {
                    println!("{}", values::format(r));
                }
            }
            ExitCode::SUCCESS
        }
        Err(t) => report_trap(&args, &t),
    }
}

fn report_trap(args: &RunArgs, trap: &Trap) -> ExitCode {
    eprintln!("skiff: {}: wasm trap: {trap}", args.module.display());
    ExitCode::from(EXIT_TRAP)
}
