//! `skiff run`: run a WASI command's `_start`, or invoke one export.

use super::{EXIT_LOAD_ERROR, EXIT_TRAP, values};

/// Exit statuses from 0 up to this one, not included, are the guest's to
/// report; 126 and above mean something else to a shell (as in wasmtime).
const MAX_EXIT_STATUS: u8 = 126;
use clap::Args;
use skiff::wasi::{self, DirPerms, WasiCtxBuilder};
use skiff::{
    Config, Engine, EngineKind, Features, Linker, Module, Store, StoreLimits, StoreLimitsBuilder,
    Trap, Val,
};
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Arguments of `skiff run`.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// The tier that runs the code: auto (the interpreter first, the JIT's
    /// code once compiled; the default where the JIT runs), interp or jit.
    #[arg(long)]
    engine: Option<EngineKind>,
    /// Preopen a host directory, read-write, as GUEST (default: the same path).
    #[arg(long = "dir", value_name = "HOST[::GUEST]")]
    dirs: Vec<String>,
    /// Preopen a host directory read-only.
    #[arg(long = "dir-ro", value_name = "HOST[::GUEST]")]
    dirs_ro: Vec<String>,
    /// Give the guest an environment variable: KEY=VALUE, or KEY alone for
    /// this process's value of KEY (nothing when it has none).
    #[arg(long = "env", value_name = "KEY[=VALUE]")]
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
    /// The most bytes of linear memory the guest may have, all memories
    /// together (suffixes K, M, G: powers of 1024). Past it `memory.grow`
    /// returns -1, and a module whose memories start larger cannot be
    /// instantiated.
    #[arg(long, value_name = "BYTES", value_parser = parse_bytes)]
    max_memory: Option<usize>,
    /// Accept only WebAssembly 2.0 (SIMD included): a module using anything
    /// later (relaxed SIMD, extended constants, several memories, tail
    /// calls, ...) is refused.
    #[arg(long)]
    wasm2: bool,
    /// Compile the module again instead of reusing the code the cache kept
    /// from an earlier run (the JIT's; `$SKIFF_CACHE_DIR`, else
    /// `$XDG_CACHE_HOME/skiff` or `~/.cache/skiff`), and keep none.
    #[arg(long)]
    no_cache: bool,
    /// Accept MODULE as an artifact of `skiff compile`, whose machine code
    /// runs as it is (only for artifacts from a source you trust).
    #[arg(long)]
    allow_precompiled: bool,
    /// Stop the guest (as a trap) once it has run N instructions.
    #[arg(long, value_name = "N")]
    fuel: Option<u64>,
    /// Stop the guest (as a trap) once it has run this long: `500ms`, `2s`, `1m`.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    timeout: Option<Duration>,
    /// The module (`.wasm` or `.wat`), then the guest's arguments (or, with
    /// --invoke, the export's). Every word after MODULE belongs to the guest,
    /// even one that looks like an option of skiff's.
    #[arg(
        value_name = "MODULE [ARGS]...",
        required = true,
        trailing_var_arg = true,
        num_args = 1..
    )]
    module_and_args: Vec<String>,
}

impl RunArgs {
    /// The module's path: the first word that is not an option of skiff's.
    fn module(&self) -> PathBuf {
        PathBuf::from(&self.module_and_args[0])
    }

    /// The words after MODULE.
    fn guest_args(&self) -> &[String] {
        &self.module_and_args[1..]
    }
}

/// Runs `skiff run`.
pub fn run(args: RunArgs) -> ExitCode {
    let fail = |message: String| {
        eprintln!("skiff: {}: {message}", args.module().display());
        ExitCode::from(EXIT_LOAD_ERROR)
    };
    let engine = match make_engine(&args) {
        Ok(e) => e,
        Err(e) => return fail(e.to_string()),
    };
    let module = match load_module(&engine, &args) {
        Ok(m) => m,
        Err(e) => return fail(e),
    };
    let mut limits = StoreLimitsBuilder::new();
    if let Some(bytes) = args.max_memory {
        limits = limits.total_memory(bytes);
    }
    let mut store = Store::new(&engine, limits.build());
    store.limiter(|limits: &mut StoreLimits| limits);
    if let Some(fuel) = args.fuel
        && let Err(e) = store.set_fuel(fuel)
    {
        return fail(e.to_string());
    }
    if let Some(timeout) = args.timeout {
        // The deadline is the next epoch; a thread that outlives the guest
        // harmlessly advances it once the time is up.
        store.set_epoch_deadline(1);
        let engine = engine.clone();
        std::thread::spawn(move || {
            std::thread::sleep(timeout);
            engine.increment_epoch();
        });
    }
    let mut linker = Linker::new();
    let ctx = match wasi_context(&args) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    wasi::add_to_linker(&mut linker, ctx);
    let instance = match linker.instantiate(&mut store, &module) {
        Ok(i) => i,
        Err(skiff::InstantiationError::Trap(t)) => return finish_with_trap(&args, &store, &t),
        Err(e) => return fail(e.to_string()),
    };
    let name = args.invoke.as_deref().unwrap_or("_start");
    let Some(func) = instance.get_func(&store, name) else {
        return fail(format!("no exported function {name}"));
    };
    let ty = func.ty(&store);
    let call_args = if args.invoke.is_some() {
        if args.guest_args().len() != ty.params().len() {
            return fail(format!(
                "{name} takes {} argument(s) of type {ty}, {} given",
                ty.params().len(),
                args.guest_args().len()
            ));
        }
        let mut vals = Vec::with_capacity(args.guest_args().len());
        for (i, (t, text)) in ty.params().iter().zip(args.guest_args()).enumerate() {
            match values::parse(*t, text) {
                Ok(v) => vals.push(v),
                Err(e) => return fail(format!("--invoke {name}: argument {}: {e}", i + 1)),
            }
        }
        vals
    } else {
        Vec::new()
    };
    // A reactor's `_initialize` runs first, once, as wasmtime runs it (before
    // `--invoke`'s export, or before `_start` should a module have both).
    if let Some(init) = instance.get_func(&store, "_initialize") {
        let init_ty = init.ty(&store);
        if !init_ty.params().is_empty() || !init_ty.results().is_empty() {
            return fail(format!(
                "the export _initialize must take and return nothing, not {init_ty}"
            ));
        }
        if let Err(t) = init.call(&mut store, &[], &mut []) {
            return finish_with_trap(&args, &store, &t);
        }
    }
    let mut results = vec![Val::I32(0); ty.results().len()];
    match func.call(&mut store, &call_args, &mut results) {
        Ok(()) => {
            if args.invoke.is_some() {
                for r in &results {
                    println!("{}", values::format(r));
                }
            }
            ExitCode::SUCCESS
        }
        Err(t) => finish_with_trap(&args, &store, &t),
    }
}

/// The module to run: an artifact of `skiff compile` loaded as it is, or a
/// module compiled with the code cache (unless `--no-cache`).
fn load_module(engine: &Engine, args: &RunArgs) -> Result<Module, String> {
    let path = args.module();
    let mut head = Vec::with_capacity(skiff::artifact::MAGIC.len());
    std::fs::File::open(&path)
        .and_then(|f| f.take(head.capacity() as u64).read_to_end(&mut head))
        .map_err(|e| format!("cannot read: {e}"))?;
    if skiff::artifact::is_artifact(&head) {
        if !args.allow_precompiled {
            return Err("a compiled artifact, whose code runs as it is: \
                        run it with --allow-precompiled if you trust where it came from"
                .into());
        }
        // SAFETY: the user vouched for the file with --allow-precompiled,
        // as for a native program, and it is not to change while it runs;
        // its header and checksum are checked before its code runs.
        return unsafe { Module::deserialize_file(engine, &path) }.map_err(|e| e.to_string());
    }
    match skiff::artifact::default_cache_dir() {
        Some(cache) if !args.no_cache && engine.kind() != EngineKind::Interp => {
            Module::from_file_cached(engine, &path, &cache).map_err(|e| e.to_string())
        }
        _ => Module::from_file(engine, &path).map_err(|e| e.to_string()),
    }
}

/// The engine the flags ask for: the tier and the features, with fuel and
/// epoch checks only when `--fuel` or `--timeout` need them.
fn make_engine(args: &RunArgs) -> Result<Engine, skiff::Error> {
    let mut config = Config::new();
    if args.wasm2 {
        config.features(Features::WASM2);
    }
    config
        .consume_fuel(args.fuel.is_some())
        .epoch_interruption(args.timeout.is_some());
    super::make_engine(&mut config, args.engine)
}

/// Parses a duration: digits, then `ms`, `s`, `m` or `h` (seconds without one).
fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let digits_end = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(digits_end);
    let bad = || format!("{text}: a duration is digits with ms, s, m or h after them");
    let n: u64 = digits.parse().map_err(|_| bad())?;
    Ok(match unit {
        "ms" => Duration::from_millis(n),
        "" | "s" => Duration::from_secs(n),
        "m" => Duration::from_secs(n.checked_mul(60).ok_or_else(bad)?),
        "h" => Duration::from_secs(n.checked_mul(3600).ok_or_else(bad)?),
        _ => return Err(bad()),
    })
}

/// A size in bytes: digits, then optionally `K`, `M` or `G` (powers of 1024;
/// `KiB`, `MiB`, `GiB` and `B` read the same).
fn parse_bytes(text: &str) -> Result<usize, String> {
    let upper = text.trim().to_ascii_uppercase();
    let digits_end = upper
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(upper.len());
    let (digits, suffix) = upper.split_at(digits_end);
    let shift = match suffix {
        "" | "B" => 0,
        "K" | "KB" | "KIB" => 10,
        "M" | "MB" | "MIB" => 20,
        "G" | "GB" | "GIB" => 30,
        _ => {
            return Err(format!(
                "{text}: a size is digits with K, M or G after them"
            ));
        }
    };
    let n: usize = digits
        .parse()
        .map_err(|_| format!("{text}: a size is digits with K, M or G after them"))?;
    n.checked_mul(1 << shift)
        .ok_or_else(|| format!("{text}: too large"))
}

/// The guest's exit status when it called `proc_exit` with one a process
/// can report; otherwise what happened on stderr, and [`EXIT_TRAP`] for a
/// trap.
fn finish_with_trap<T: 'static>(args: &RunArgs, store: &Store<T>, trap: &Trap) -> ExitCode {
    if let Some(code) = trap.exit_code() {
        // WASI's exit code is a u32; a process's status holds 0 to 255, and
        // 126 and up mean to a shell "cannot execute", "not found" or a
        // signal. Like wasmtime, refuse what cannot be told apart (never
        // report 256 as 0, success) with an error and status 1.
        let status = code as u32;
        return match u8::try_from(status) {
            Ok(s) if s < MAX_EXIT_STATUS => ExitCode::from(s),
            _ => {
                eprintln!(
                    "skiff: {}: the guest exited with status {status} (proc_exit), \
                     outside the 0 to {} a process can report",
                    args.module().display(),
                    MAX_EXIT_STATUS - 1
                );
                ExitCode::from(EXIT_LOAD_ERROR)
            }
        };
    }
    let payload = match skiff::ExnRef::from_trap(store, trap) {
        // An uncaught exception: what it carries.
        Some(exn) => {
            let values: Vec<String> = exn.payload(store).iter().map(values::format).collect();
            format!(" (payload: [{}])", values.join(" "))
        }
        None => String::new(),
    };
    // The payload after the trap's first line, before its backtrace.
    let text = trap.to_string();
    let (first, frames) = text
        .split_once('\n')
        .map_or((&text[..], None), |(a, b)| (a, Some(b)));
    let frames = frames.map_or(String::new(), |f| format!("\n{f}"));
    eprintln!(
        "skiff: {}: wasm trap: {first}{payload}{frames}",
        args.module().display()
    );
    ExitCode::from(EXIT_TRAP)
}

/// What the guest is granted: its arguments, standard streams, clocks and
/// randomness always; the environment and directories only as flags say.
fn wasi_context(args: &RunArgs) -> Result<std::sync::Arc<std::sync::Mutex<wasi::WasiCtx>>, String> {
    let argv0 = args.argv0.clone().unwrap_or_else(|| {
        let module = args.module();
        module
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| module.display().to_string())
    });
    let mut b = WasiCtxBuilder::new()
        .arg(argv0)
        .args(if args.invoke.is_some() {
            &[][..]
        } else {
            args.guest_args()
        })
        .inherit_stdio()
        .clocks(true)
        .random(true);
    b = super::grant_env(b, &args.envs, args.inherit_env);
    let split = |d: &str| match d.split_once("::") {
        Some((host, guest)) => (host.to_string(), guest.to_string()),
        None => (d.to_string(), d.to_string()),
    };
    for d in &args.dirs {
        let (host, guest) = split(d);
        b = b.preopen_dir(host, guest, DirPerms::ReadWrite);
    }
    for d in &args.dirs_ro {
        let (host, guest) = split(d);
        b = b.preopen_dir(host, guest, DirPerms::ReadOnly);
    }
    Ok(b.build().map_err(|e| e.to_string())?.into_shared())
}

#[cfg(test)]
mod tests {
    use super::parse_bytes;

    #[test]
    fn sizes_read_with_suffixes() {
        assert_eq!(parse_bytes("65536"), Ok(65536));
        assert_eq!(parse_bytes("16M"), Ok(16 << 20));
        assert_eq!(parse_bytes("16MiB"), Ok(16 << 20));
        assert_eq!(parse_bytes("2k"), Ok(2048));
        assert_eq!(parse_bytes("1G"), Ok(1 << 30));
        assert!(parse_bytes("").is_err());
        assert!(parse_bytes("M").is_err());
        assert!(parse_bytes("12X").is_err());
        assert!(parse_bytes("-1").is_err());
        assert!(parse_bytes("99999999999999999999G").is_err());
    }
}
