//! The subcommands of the `skiff` command line.

pub mod compile;
pub mod run;
pub mod snapshot;
pub mod validate;
pub mod values;
pub mod wast;

/// Exit status when a module cannot be loaded, linked or instantiated.
pub const EXIT_LOAD_ERROR: u8 = 1;
/// Exit status when the guest traps.
pub const EXIT_TRAP: u8 = 134;

/// The engine `config` describes, with the tier named on the command line;
/// when none was named and the JIT does not run here, the interpreter.
pub fn make_engine(
    config: &mut skiff::Config,
    named: Option<skiff::EngineKind>,
) -> Result<skiff::Engine, skiff::Error> {
    if let Some(kind) = named {
        config.strategy(kind);
    }
    match (named, skiff::Engine::with_config(config)) {
        (None, Err(_)) => skiff::Engine::with_config(config.strategy(skiff::EngineKind::Interp)),
        (_, result) => result,
    }
}

/// `builder` granting the environment that `--env` flags (`KEY=VALUE`, or
/// `KEY` for this process's value, nothing when it has none) and
/// `--inherit-env` name.
pub fn grant_env(
    mut builder: skiff::wasi::WasiCtxBuilder,
    envs: &[String],
    inherit_env: bool,
) -> skiff::wasi::WasiCtxBuilder {
    if inherit_env {
        builder = builder.inherit_env();
    }
    for kv in envs {
        match kv.split_once('=') {
            Some((k, v)) => builder = builder.env(k, v),
            // `--env KEY`: this process's value, as wasmtime does.
            None => {
                if let Some(v) = std::env::var_os(kv) {
                    builder = builder.env(kv, v);
                }
            }
        }
    }
    builder
}
