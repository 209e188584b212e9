//! The `skiff` command line: `skiff run`, `skiff compile`, `skiff snapshot`, `skiff wast`,
//! `skiff validate`.

mod cli;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "skiff",
    version,
    about = "Skiff: a WebAssembly virtual machine"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a module: its `_start` (a WASI command) or, with --invoke, one export.
    Run(cli::run::RunArgs),
    /// Compile a module ahead of time: an artifact `skiff run` loads without compiling.
    Compile(cli::compile::CompileArgs),
    /// Run a module's init export once and write a module that starts in
    /// the state it left (memories, globals, tables), with init not run again.
    Snapshot(cli::snapshot::SnapshotArgs),
    /// Run `.wast` spec scripts and print a summary: `N passed, N failed, N skipped`.
    Wast {
        /// The tier that runs the scripts.
        #[arg(long, default_value = "interp")]
        engine: skiff::EngineKind,
        /// The scripts.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Decode and validate modules (`.wasm` binary or `.wat` text); print OK or the error.
    Validate {
        /// The modules to check.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Run(args) => cli::run::run(args),
        Command::Compile(args) => cli::compile::compile(args),
        Command::Snapshot(args) => cli::snapshot::snapshot(args),
        Command::Validate { files } => cli::validate::validate(&files),
        Command::Wast { engine, files } => cli::wast::wast(engine, &files),
    }
}
