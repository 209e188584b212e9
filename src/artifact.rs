//! Compiled modules kept on disk: ahead-of-time artifacts
//! ([`Engine::precompile_module`], [`Module::deserialize`], `skiff compile`)
//! and the code cache of `skiff run` ([`Module::from_file_cached`]).
//!
//! An artifact holds the module's bytes (decoded and validated again when
//! it is loaded, which costs a fraction of compiling) and its tier's code,
//! under a header naming the format, Skiff's version and the tier's code
//! key (target, processor features used, every setting that changes the
//! code), and a checksum of the whole. One that is truncated, corrupted,
//! of another version, for another processor or configuration is refused
//! with an error saying which, never run.

use crate::engine::Engine;
use crate::module::Module;
use skiff_vm::{Error, ErrorKind};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The first bytes of an artifact.
pub const MAGIC: &[u8; 8] = b"\0skiffcm";

/// The layout of what follows the magic; a change of layout changes it.
const FORMAT: u32 = 1;

/// This build of Skiff: its version and a hash of the sources that decide
/// the code and what it runs against (see `build.rs`), so that no other
/// build, even of the same version, runs code this one kept.
fn build_version() -> String {
    format!(
        "{} build {}",
        env!("CARGO_PKG_VERSION"),
        env!("SKIFF_BUILD_ID")
    )
}

/// Whether `bytes` look like an artifact rather than a module.
pub fn is_artifact(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
}

/// What an artifact made by this engine is keyed to besides its module.
fn engine_key(engine: &Engine) -> String {
    format!(
        "{} features {:?}",
        engine.tier().code_key(),
        engine.features()
    )
}

fn malformed(what: impl std::fmt::Display) -> Error {
    Error::without_offset(ErrorKind::Malformed, format!("artifact: {what}"))
}

fn unsupported(what: impl std::fmt::Display) -> Error {
    Error::without_offset(ErrorKind::Unsupported, format!("artifact: {what}"))
}

/// A checksum of `bytes` that any change of a few bytes changes: eight
/// bytes at a time, multiplied and rotated in (not a cryptographic hash;
/// it finds damage, not forgery).
fn checksum(bytes: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h: u64 = bytes.len() as u64 ^ 0x243F_6A88_85A3_08D3;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().unwrap());
        h = (h ^ word).wrapping_mul(K).rotate_left(29);
    }
    for &b in chunks.remainder() {
        h = (h ^ u64::from(b)).wrapping_mul(K).rotate_left(29);
    }
    h ^ (h >> 32)
}

/// Writes an artifact of `wasm` (a binary module) with the tier's `code`.
fn write(engine: &Engine, wasm: &[u8], code: &[u8]) -> Vec<u8> {
    write_keyed(&engine_key(engine), wasm, code)
}

/// Writes an artifact of `wasm` with `code`, for engines of key `key`.
fn write_keyed(key: &str, wasm: &[u8], code: &[u8]) -> Vec<u8> {
    let version = build_version();
    let mut out = Vec::with_capacity(wasm.len() + code.len() + key.len() + 64);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT.to_le_bytes());
    for text in [version.as_bytes(), key.as_bytes()] {
        out.extend_from_slice(&(text.len() as u32).to_le_bytes());
        out.extend_from_slice(text);
    }
    for part in [wasm, code] {
        out.extend_from_slice(&(part.len() as u64).to_le_bytes());
        out.extend_from_slice(part);
    }
    let sum = checksum(&out);
    out.extend_from_slice(&sum.to_le_bytes());
    out
}

/// The module bytes and code of `artifact`, once its header says it was
/// made by this version for an engine like `engine` and its checksum holds.
fn read<'a>(engine: &Engine, artifact: &'a [u8]) -> Result<(&'a [u8], &'a [u8]), Error> {
    read_keyed(&engine_key(engine), artifact)
}

/// [`read`], for an engine of key `expected`.
fn read_keyed<'a>(expected: &str, artifact: &'a [u8]) -> Result<(&'a [u8], &'a [u8]), Error> {
    if !is_artifact(artifact) {
        return Err(malformed("not a Skiff artifact (no magic number)"));
    }
    if artifact.len() < MAGIC.len() + 8 {
        return Err(malformed("truncated"));
    }
    let (body, sum) = artifact.split_at(artifact.len() - 8);
    let mut r = &body[MAGIC.len()..];
    let mut take = |n: usize| -> Result<&'a [u8], Error> {
        let (head, rest) = r
            .split_at_checked(n)
            .ok_or_else(|| malformed("truncated"))?;
        r = rest;
        Ok(head)
    };
    // The format and version first: another one's artifact may be laid
    // out otherwise, and they say best what is wrong with it.
    let format = u32::from_le_bytes(take(4)?.try_into().unwrap());
    if format != FORMAT {
        return Err(unsupported(format!(
            "of format {format}, this Skiff reads format {FORMAT}"
        )));
    }
    let version_len = u32::from_le_bytes(take(4)?.try_into().unwrap()) as usize;
    let version = take(version_len)?;
    let ours = build_version();
    if version != ours.as_bytes() {
        return Err(unsupported(format!(
            "made by Skiff {}, not by this Skiff ({ours})",
            String::from_utf8_lossy(version)
        )));
    }
    let key_len = u32::from_le_bytes(take(4)?.try_into().unwrap()) as usize;
    let key = take(key_len)?;
    let length = |bytes: &[u8]| {
        usize::try_from(u64::from_le_bytes(bytes.try_into().unwrap()))
            .map_err(|_| malformed("truncated"))
    };
    let wasm_len = length(take(8)?)?;
    let wasm = take(wasm_len)?;
    let code_len = length(take(8)?)?;
    let code = take(code_len)?;
    if !r.is_empty() {
        return Err(malformed("bytes after its end"));
    }
    if checksum(body) != u64::from_le_bytes(sum.try_into().unwrap()) {
        return Err(malformed("corrupted (its checksum does not match)"));
    }
    if key != expected.as_bytes() {
        return Err(unsupported(format!(
            "compiled for another processor or configuration: `{}`, this engine is `{expected}`",
            String::from_utf8_lossy(key)
        )));
    }
    Ok((wasm, code))
}

impl Engine {
    /// Compiles `wasm` (binary or text) ahead of time: an artifact that
    /// [`Module::deserialize`] loads without compiling. An error when the
    /// module does not load, or when this engine's tier keeps no code (the
    /// interpreter translates as it loads).
    pub fn precompile_module(&self, wasm: &[u8]) -> Result<Vec<u8>, Error> {
        let binary = skiff_vm::to_binary(wasm, None)?;
        let (_, artifact) = compile_and_keep(self, &binary)?;
        artifact.map_err(unsupported)
    }
}

/// The module `binary` compiled on `engine`, and its artifact, or why the
/// tier has none.
fn compile_and_keep(
    engine: &Engine,
    binary: &[u8],
) -> Result<(Module, Result<Vec<u8>, String>), Error> {
    let validated = Arc::new(skiff_vm::load(binary, &engine.features())?);
    let (code, kept) = engine.tier().compile_to_keep(&validated)?;
    let artifact = kept.map(|code| write(engine, binary, &code));
    Ok((Module::from_parts(validated, code), artifact))
}

impl Module {
    /// Loads an artifact of [`Engine::precompile_module`] (or `skiff
    /// compile`) without compiling. One that is truncated, corrupted, made
    /// by another version of Skiff, or for another processor or engine
    /// configuration is refused with an error saying which.
    ///
    /// # Safety
    /// The artifact's code runs as machine code. Its checksum finds damage,
    /// not forgery: `artifact` must come from Skiff (as wasmtime's
    /// `Module::deserialize` asks), never from someone the host does not
    /// trust with running native code.
    pub unsafe fn deserialize(engine: &Engine, artifact: &[u8]) -> Result<Module, Error> {
        let (wasm, code) = read(engine, artifact)?;
        let validated = Arc::new(skiff_vm::load(wasm, &engine.features())?);
        // SAFETY: the header matched this engine's version and code key and
        // the checksum held, so `code` is what `compile_to_keep` wrote for
        // `wasm` on a tier like this one, as far as the caller vouches for
        // where the artifact came from.
        let code = unsafe { engine.tier().load_kept(&validated, code)? };
        Ok(Module::from_parts(validated, code))
    }

    /// Reads the module file `path` (`.wasm` or `.wat`) and compiles it,
    /// reusing compiled code kept in `cache` (a directory) from an earlier
    /// run: an entry is keyed by a checksum of the module and the engine's
    /// code key, and holds the module's bytes, compared in full before the
    /// entry is used. An entry that is missing, damaged or stale is
    /// compiled again and rewritten (atomically: written aside, then
    /// renamed, so that processes writing the same entry at once leave one
    /// whole). The cache directory is created readable by its owner only;
    /// a directory or entry that is not this process's user's alone, or an
    /// entry that is a symbolic link, is neither read nor written. Failing
    /// to write an entry is not an error.
    pub fn from_file_cached(
        engine: &Engine,
        path: &Path,
        cache: &Path,
    ) -> Result<Module, crate::LoadError> {
        let bytes = std::fs::read(path).map_err(crate::LoadError::Io)?;
        let binary = skiff_vm::to_binary(&bytes, Some(path))
            .map_err(crate::LoadError::Module)?
            .into_owned();
        let module_sum = checksum(&binary);
        let entry = cache_entry(engine, module_sum, cache);
        let private = private_dir(cache);
        let validated = Arc::new(validated_with_record(
            engine, &binary, module_sum, cache, private,
        )?);
        let (key, binary) = (Arc::new(engine_key(engine)), Arc::new(binary));
        // The entry's code, when it is whole, this engine's and this
        // module's: read now, or from the thread a tiered engine compiles on.
        let kept = {
            let (key, binary, entry) = (key.clone(), binary.clone(), entry.clone());
            Box::new(move || {
                if !private {
                    return None;
                }
                let artifact = read_private(&entry)?;
                payload_for(&key, &binary, &artifact).map(<[u8]>::to_vec)
            })
        };
        let cache = cache.to_path_buf();
        // Written when the tier has new code: now, or later from that thread.
        let keep = Box::new(move |kept: Result<Vec<u8>, String>| {
            let Ok(code) = kept else { return };
            let artifact = write_keyed(&key, &binary, &code);
            if writable(&cache, private) {
                let _ = write_entry(&cache, &entry, &artifact);
            }
        });
        // SAFETY: code is read only from the cache directory, which only
        // this user can write (checked on the open file), from an entry
        // written by `keep` for this engine's key and this module, whose
        // checksum holds.
        let code = unsafe { engine.tier().load_or_compile(&validated, kept, keep) }
            .map_err(crate::LoadError::Module)?;
        let module = Module::from_parts(validated, code);
        Ok(module)
    }
}

/// The key of validation records: validation depends on this build (the
/// header checks it) and the features, not on the tier.
fn record_key(engine: &Engine) -> String {
    format!("validation record, features {:?}", engine.features())
}

/// `binary` decoded and validated, or, when the private cache directory
/// `cache` holds this build's record of validating it under the engine's
/// features (with the module's bytes, compared in full), decoded only,
/// with that record. A module validated here gets a record for the next
/// run. Validation is most of a short run of a large module: 50 of the
/// 60 ms of the harness's 5.9 MB `big.wasm`.
fn validated_with_record(
    engine: &Engine,
    binary: &[u8],
    module_sum: u64,
    cache: &Path,
    private: bool,
) -> Result<skiff_vm::ValidatedModule, crate::LoadError> {
    let key = record_key(engine);
    let entry = cache.join(format!(
        "{module_sum:016x}-{:016x}.skiffv",
        checksum(key.as_bytes())
    ));
    let features = engine.features();
    let recorded = private
        .then(|| read_private(&entry))
        .flatten()
        .and_then(|record| skiff_vm::validate::decode_infos(payload_for(&key, binary, &record)?));
    if let Some(infos) = recorded {
        let module = skiff_vm::decode(binary, &features).map_err(crate::LoadError::Module)?;
        // SAFETY: the record was read from the cache directory, which only
        // this user can write (checked on the open file), from an entry
        // this build wrote for these features and exactly these bytes (its
        // header, checksum and copy of the module compared), after
        // validating them.
        if let Some(validated) = unsafe { skiff_vm::ValidatedModule::from_record(module, infos) } {
            return Ok(validated);
        }
    }
    let validated = skiff_vm::load(binary, &features).map_err(crate::LoadError::Module)?;
    if writable(cache, private) {
        let infos = skiff_vm::validate::encode_infos(&validated.func_infos);
        let _ = write_entry(cache, &entry, &write_keyed(&key, binary, &infos));
    }
    Ok(validated)
}

/// Whether metadata `m` is of something this process's user owns and no
/// one else can write.
fn owned_and_private(m: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: geteuid reads the process's effective user id; it cannot fail.
    let uid = unsafe { libc::geteuid() };
    m.uid() == uid && m.mode() & 0o022 == 0
}

/// Whether the cache directory `dir` is this user's alone: only then is
/// code read from it trusted, or written to it.
fn private_dir(dir: &Path) -> bool {
    std::fs::metadata(dir).is_ok_and(|m| m.is_dir() && owned_and_private(&m))
}

/// Creates the cache directory `dir`, readable by its owner only, if it
/// does not exist.
fn make_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

/// The contents of cache entry `path` when it is a regular file (not a
/// symbolic link) that this user owns and no one else can write, as the
/// open file says (so that the file checked is the file read).
fn read_private(path: &Path) -> Option<Vec<u8>> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .ok()?;
    let m = file.metadata().ok()?;
    if !m.is_file() || !owned_and_private(&m) {
        return None;
    }
    let mut bytes = Vec::with_capacity(m.len() as usize);
    file.read_to_end(&mut bytes).ok()?;
    Some(bytes)
}

/// Where the cache keeps the entry of the module whose checksum is
/// `module_sum` compiled by `engine`.
fn cache_entry(engine: &Engine, module_sum: u64, cache: &Path) -> PathBuf {
    let key = checksum(engine_key(engine).as_bytes())
        ^ checksum(env!("CARGO_PKG_VERSION").as_bytes()).rotate_left(17);
    cache.join(format!("{module_sum:016x}-{key:016x}.skiffc"))
}

/// What cache entry `artifact` holds beside the module, when it is whole,
/// keyed `key` and of exactly the module `binary`.
fn payload_for<'a>(key: &str, binary: &[u8], artifact: &'a [u8]) -> Option<&'a [u8]> {
    let (wasm, payload) = read_keyed(key, artifact).ok()?;
    (wasm == binary).then_some(payload)
}

/// Whether entries may be written in the cache directory `cache`
/// (`private` says whether it was this user's alone when first looked at):
/// it is, or it is made so now. One that is not private gets nothing.
fn writable(cache: &Path, private: bool) -> bool {
    private || (make_private_dir(cache).is_ok() && private_dir(cache))
}

/// Writes `artifact` as `entry` in the private directory `cache`: to a new
/// file of its own first (readable by its owner only, never through a
/// symbolic link), renamed over the entry when complete.
fn write_entry(cache: &Path, entry: &Path, artifact: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    use std::sync::atomic::{AtomicU64, Ordering};
    static WRITES: AtomicU64 = AtomicU64::new(0);
    let aside = cache.join(format!(
        ".{}.{}.{}.tmp",
        entry.file_name().unwrap_or_default().to_string_lossy(),
        std::process::id(),
        WRITES.fetch_add(1, Ordering::Relaxed)
    ));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&aside)
        .and_then(|mut file| file.write_all(artifact))
        .and_then(|()| std::fs::rename(&aside, entry));
    if written.is_err() {
        let _ = std::fs::remove_file(&aside);
    }
    written
}

/// The code cache's default directory: `$SKIFF_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/skiff`, else `$HOME/.cache/skiff` (each only when it is
/// an absolute path).
pub fn default_cache_dir() -> Option<PathBuf> {
    let var = |name| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    var("SKIFF_CACHE_DIR")
        .or_else(|| var("XDG_CACHE_HOME").map(|d| d.join("skiff")))
        .or_else(|| var("HOME").map(|d| d.join(".cache").join("skiff")))
}
