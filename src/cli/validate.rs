//! `skiff validate FILE...`

use std::path::PathBuf;
use std::process::ExitCode;

/// Validates each file; exit status 0 when all are valid, 1 otherwise.
pub fn validate(files: &[PathBuf]) -> ExitCode {
    let mut ok = true;
    for path in files {
        match skiff::validate_file(path) {
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
