//! Computes `SKIFF_BUILD_ID`: a hash of every source file that decides the
//! code the JIT makes or the layout that code runs against (the runtime,
//! the JIT, this crate), of `Cargo.lock` (Cranelift's version among the
//! rest) and of the compiler's version. Compiled code kept on disk is
//! loaded only by a build with the same id.

use std::path::Path;

fn main() {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for &b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    };
    for dir in ["src", "vm/src", "jit/src"] {
        println!("cargo:rerun-if-changed={dir}");
        let mut files = Vec::new();
        collect(Path::new(dir), &mut files);
        files.sort();
        for file in files {
            feed(file.to_string_lossy().as_bytes());
            feed(&std::fs::read(&file).unwrap_or_default());
        }
    }
    println!("cargo:rerun-if-changed=Cargo.lock");
    feed(&std::fs::read("Cargo.lock").unwrap_or_default());
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    if let Ok(out) = std::process::Command::new(rustc).arg("-V").output() {
        feed(&out.stdout);
    }
    println!("cargo:rustc-env=SKIFF_BUILD_ID={h:016x}");
}

/// Every file under `dir`, recursively.
fn collect(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else {
            out.push(path);
        }
    }
}
