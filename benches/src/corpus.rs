//! The benchmark corpus: `benches/corpus/manifest.txt` and the `.wasm` files
//! beside it (see `benches/corpus/README.md`).

use std::fmt;
use std::path::{Path, PathBuf};

/// Which of a program's two workloads to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SizeClass {
    /// For tests: a few milliseconds natively, under ~2 million Wasm
    /// instructions, so that a debug-build interpreter runs it quickly.
    Small,
    /// For the `throughput` benchmarks: 0.5–1 s natively.
    Bench,
}

impl fmt::Display for SizeClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SizeClass::Small => "small",
            SizeClass::Bench => "bench",
        })
    }
}

/// One workload of a program: the size argument and the checksum it prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Workload {
    /// The size argument, `argv[1]`.
    pub size: u64,
    /// The checksum that the native build printed for that size.
    pub checksum: u64,
}

/// One line of the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    /// The program's name: its module is `NAME.wasm`. Its source is
    /// `src/NAME.c`, or for a SIMD build `NAME = BASE-simd` (the same source
    /// compiled with `-O3 -msimd128`) `src/BASE.c`.
    pub name: String,
    /// The SMALL workload.
    pub small: Workload,
    /// The BENCH workload.
    pub bench: Workload,
}

impl Program {
    /// The workload of the given size class.
    pub fn workload(&self, class: SizeClass) -> Workload {
        match class {
            SizeClass::Small => self.small,
            SizeClass::Bench => self.bench,
        }
    }

    /// The module's file name, `NAME.wasm`, which is also `argv[0]`.
    pub fn file_name(&self) -> String {
        format!("{}.wasm", self.name)
    }

    /// The WASI arguments of a run: `[NAME.wasm, SIZE]`.
    pub fn args(&self, class: SizeClass) -> Vec<String> {
        vec![self.file_name(), self.workload(class).size.to_string()]
    }

    /// The exact stdout that a correct run prints.
    pub fn expected_stdout(&self, class: SizeClass) -> String {
        format!("checksum: {}\n", self.workload(class).checksum)
    }

    /// Checks a run's exit code and stdout against the manifest.
    pub fn check(&self, class: SizeClass, exit_code: i32, stdout: &[u8]) -> Result<(), String> {
        let want = self.workload(class).checksum;
        let got =
            parse_checksum(stdout).map_err(|e| format!("{} ({class} size): {e}", self.name))?;
        if got != want {
            return Err(format!(
                "{} ({class} size): checksum {got}, the manifest says {want}",
                self.name
            ));
        }
        if exit_code != 0 {
            return Err(format!(
                "{} ({class} size): exit status {exit_code}",
                self.name
            ));
        }
        Ok(())
    }
}

/// Parses a program's stdout, which must be exactly `checksum: N\n` with `N` a
/// decimal `u64`.
pub fn parse_checksum(stdout: &[u8]) -> Result<u64, String> {
    let shown = || String::from_utf8_lossy(stdout).into_owned();
    let text =
        std::str::from_utf8(stdout).map_err(|_| format!("stdout is not UTF-8: {:?}", shown()))?;
    let line = text
        .strip_suffix('\n')
        .filter(|l| !l.contains('\n'))
        .ok_or_else(|| format!("stdout is not exactly one line: {text:?}"))?;
    let digits = line
        .strip_prefix("checksum: ")
        .ok_or_else(|| format!("stdout is not `checksum: N`: {text:?}"))?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("not a decimal checksum: {text:?}"));
    }
    digits
        .parse()
        .map_err(|e| format!("checksum {digits:?}: {e}"))
}

/// The corpus directory and its manifest.
#[derive(Debug, Clone)]
pub struct Corpus {
    /// The directory holding `manifest.txt` and the modules.
    pub dir: PathBuf,
    /// The manifest's programs, in its order.
    pub programs: Vec<Program>,
}

impl Corpus {
    /// The corpus of this crate, `benches/corpus/`.
    pub fn dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")
    }

    /// Loads `benches/corpus/manifest.txt`.
    pub fn load() -> Result<Corpus, String> {
        Corpus::load_from(&Corpus::dir())
    }

    /// Loads `DIR/manifest.txt`.
    pub fn load_from(dir: &Path) -> Result<Corpus, String> {
        let path = dir.join("manifest.txt");
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let programs = parse_manifest(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(Corpus {
            dir: dir.to_path_buf(),
            programs,
        })
    }

    /// The path of a module in the corpus directory (`fib.wasm`, `big.wasm`, ...).
    pub fn path(&self, file_name: &str) -> PathBuf {
        self.dir.join(file_name)
    }

    /// Reads a module of the corpus directory.
    pub fn read(&self, file_name: &str) -> Result<Vec<u8>, String> {
        let path = self.path(file_name);
        std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Reads a program's module.
    pub fn wasm(&self, program: &Program) -> Result<Vec<u8>, String> {
        self.read(&program.file_name())
    }

    /// The programs whose names appear in the comma-separated
    /// `SKIFF_BENCH_PROGRAMS` environment variable, or all of them when it is
    /// unset or empty.
    pub fn selected(&self) -> Vec<&Program> {
        let wanted = crate::env_list("SKIFF_BENCH_PROGRAMS");
        self.programs
            .iter()
            .filter(|p| wanted.is_empty() || wanted.contains(&p.name))
            .collect()
    }
}

/// Parses the text of `manifest.txt`: `#` comments, blank lines, and lines
/// `NAME SMALL_SIZE SMALL_CHECKSUM BENCH_SIZE BENCH_CHECKSUM`.
pub fn parse_manifest(text: &str) -> Result<Vec<Program>, String> {
    let mut programs: Vec<Program> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at = || format!("line {}", i + 1);
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [name, small_size, small_sum, bench_size, bench_sum] = fields[..] else {
            return Err(format!(
                "{}: expected `NAME SMALL_SIZE SMALL_CHECKSUM BENCH_SIZE BENCH_CHECKSUM`, got {line:?}",
                at()
            ));
        };
        let number = |what: &str, s: &str| -> Result<u64, String> {
            s.parse()
                .map_err(|e| format!("{}: {what} {s:?}: {e}", at()))
        };
        if !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(format!("{}: bad program name {name:?}", at()));
        }
        if programs.iter().any(|p| p.name == name) {
            return Err(format!("{}: {name} is listed twice", at()));
        }
        let small = Workload {
            size: number("small size", small_size)?,
            checksum: number("small checksum", small_sum)?,
        };
        let bench = Workload {
            size: number("bench size", bench_size)?,
            checksum: number("bench checksum", bench_sum)?,
        };
        if small.size == 0 || bench.size == 0 {
            return Err(format!("{}: sizes must be positive", at()));
        }
        programs.push(Program {
            name: name.to_string(),
            small,
            bench,
        });
    }
    if programs.is_empty() {
        return Err("no programs".to_string());
    }
    Ok(programs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_manifest_lines() {
        let text = "# comment\n\nfib 22 17 41 99\nsort 10 1 20 2\n";
        let programs = parse_manifest(text).unwrap();
        assert_eq!(programs.len(), 2);
        assert_eq!(programs[0].name, "fib");
        assert_eq!(
            programs[0].small,
            Workload {
                size: 22,
                checksum: 17
            }
        );
        assert_eq!(
            programs[0].bench,
            Workload {
                size: 41,
                checksum: 99
            }
        );
        assert_eq!(programs[1].args(SizeClass::Bench), ["sort.wasm", "20"]);
        assert_eq!(
            programs[1].expected_stdout(SizeClass::Small),
            "checksum: 1\n"
        );
    }

    #[test]
    fn rejects_bad_manifests() {
        assert!(parse_manifest("fib 22 17 41\n").is_err());
        assert!(parse_manifest("fib 22 x 41 99\n").is_err());
        assert!(parse_manifest("fib 0 1 41 99\n").is_err());
        assert!(parse_manifest("fib 1 1 41 99\nfib 1 1 41 99\n").is_err());
        assert!(parse_manifest("# only comments\n").is_err());
    }

    #[test]
    fn checksum_line_must_be_exact() {
        assert_eq!(parse_checksum(b"checksum: 42\n"), Ok(42));
        assert_eq!(
            parse_checksum(b"checksum: 18446744073709551615\n"),
            Ok(u64::MAX)
        );
        assert!(parse_checksum(b"checksum: 42").is_err());
        assert!(parse_checksum(b"checksum: 42\nmore\n").is_err());
        assert!(parse_checksum(b"checksum:42\n").is_err());
        assert!(parse_checksum(b"checksum: -1\n").is_err());
        assert!(parse_checksum(b"checksum: +1\n").is_err());
        assert!(parse_checksum(b"").is_err());
    }

    #[test]
    fn check_compares_exit_code_and_checksum() {
        let p = parse_manifest("fib 22 17 41 99\n").unwrap().remove(0);
        assert!(p.check(SizeClass::Small, 0, b"checksum: 17\n").is_ok());
        assert!(p.check(SizeClass::Bench, 0, b"checksum: 17\n").is_err());
        assert!(p.check(SizeClass::Small, 1, b"checksum: 17\n").is_err());
    }
}
