//! The `skiff` command line.

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
    /// Decode and validate modules (`.wasm` binary or `.wat` text); print OK or the error.
    Validate {
        /// The modules to check.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Validate { files } => validate(&files),
    }
}

/// Validates each file; exit status 0 when all are valid, 1 otherwise.
fn validate(files: &[PathBuf]) -> ExitCode {
    let mut ok = true;
    for path in files {
        match skiff::load_file(path) {
            Ok(_) => println!("{}: OK", path.display()),
            Err(e) => {
                ok = false;
                println!("{}: {e}", path.display());
            }
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
