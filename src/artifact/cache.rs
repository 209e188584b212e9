//! The code cache of `skiff run`: compiled code kept in a directory private
//! to the user, keyed by the module and the engine, reused by later runs.

use super::file::write_then_publish;
use super::format::{Container, checksum, engine_key, read_keyed};
use super::mapped::{CachedCode, MappedFile};
use super::records::validated_with_record;
use crate::engine::Engine;
use crate::module::Module;
use skiff_vm::runtime::KeptSource;
use std::path::{Path, PathBuf};
use std::sync::Arc;

impl Module {
    /// Reads the module file `path` (`.wasm` or `.wat`) and compiles it,
    /// reusing compiled code kept in `cache` (a directory) from an earlier
    /// run: an entry is keyed by a checksum of the module and the engine's
    /// code key, and holds the module's bytes, compared in full before the
    /// entry is used. An entry that is missing, damaged or stale is
    /// compiled again and rewritten (atomically: written aside, then put
    /// in place in one step, so that processes writing the same entry at
    /// once leave one whole). The cache directory is created readable by
    /// its owner only; a directory or entry that is not this process's
    /// user's alone, or an entry that is a symbolic link, is neither read
    /// nor written. Failing to write an entry is not an error.
    pub fn from_file_cached(
        engine: &Engine,
        path: &Path,
        cache: &Path,
    ) -> Result<Module, crate::LoadError> {
        let bytes = std::fs::read(path).map_err(crate::LoadError::Io)?;
        // The module shares the bytes read (or the binary of the text)
        // instead of copying them.
        let binary =
            Arc::new(skiff_vm::into_binary(bytes, Some(path)).map_err(crate::LoadError::Module)?);
        let module_sum = checksum(&binary);
        let entry = cache_entry(engine, module_sum, cache);
        let private = private_dir(cache);
        let validated = Arc::new(validated_with_record(
            engine,
            binary.clone(),
            module_sum,
            cache,
            private,
        )?);
        let key = Arc::new(engine_key(engine));
        // The entry's code, when it is whole, this engine's and this
        // module's: read now, or from the thread a tiered engine compiles on.
        let kept = {
            let (key, binary, entry) = (key.clone(), binary.clone(), entry.clone());
            Box::new(move || {
                if !private {
                    return None;
                }
                let entry = read_private(&entry)?;
                let bytes = entry.bytes();
                let [_, _, code] = parts_for(&key, &binary, bytes)?;
                let start = code.as_ptr() as usize - bytes.as_ptr() as usize;
                let code = start..start + code.len();
                Some(Box::new(CachedCode { entry, code }) as Box<dyn KeptSource>)
            })
        };
        let cache = cache.to_path_buf();
        // Written when the tier has new code: now, or later from that thread.
        let recorded = validated.clone();
        let keep = Box::new(move |kept: Result<Vec<u8>, String>| {
            let Ok(code) = kept else { return };
            // An entry is an artifact like those of `skiff compile`.
            let infos = skiff_vm::validate::encode_infos(&recorded.func_infos);
            let parts: [&[u8]; 3] = [&binary, &infos, &code];
            if writable(&cache, private) {
                let _ = write_entry(
                    &entry,
                    &Container {
                        key: &key,
                        parts: &parts,
                    },
                );
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
pub(super) fn private_dir(dir: &Path) -> bool {
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

/// Cache entry `path`, mapped, when it is a regular file (not a symbolic
/// link) that this user owns and no one else can write, as the open file
/// says (so that the file checked is the file read).
pub(super) fn read_private(path: &Path) -> Option<MappedFile> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .ok()?;
    let m = file.metadata().ok()?;
    if !m.is_file() || !owned_and_private(&m) {
        return None;
    }
    MappedFile::new(file).ok()
}

/// Where the cache keeps the entry of the module whose checksum is
/// `module_sum` compiled by `engine`.
pub(super) fn cache_entry(engine: &Engine, module_sum: u64, cache: &Path) -> PathBuf {
    let key = checksum(engine_key(engine).as_bytes())
        ^ checksum(env!("CARGO_PKG_VERSION").as_bytes()).rotate_left(17);
    cache.join(format!("{module_sum:016x}-{key:016x}.skiffc"))
}

/// The parts of cache entry `artifact`, when it is whole, keyed `key` and
/// of exactly the module `binary` (its first part).
pub(super) fn parts_for<'a, const N: usize>(
    key: &str,
    binary: &[u8],
    artifact: &'a [u8],
) -> Option<[&'a [u8]; N]> {
    let parts: [&[u8]; N] = read_keyed(key, artifact).ok()?;
    (parts.first() == Some(&binary)).then_some(parts)
}

/// Whether entries may be written in the cache directory `cache`
/// (`private` says whether it was this user's alone when first looked at):
/// it is, or it is made so now. One that is not private gets nothing.
pub(super) fn writable(cache: &Path, private: bool) -> bool {
    private || (make_private_dir(cache).is_ok() && private_dir(cache))
}

/// Writes `artifact` as `entry` of the private cache directory: readable
/// by its owner only, never through a symbolic link, and put in place whole
/// (see the `file` module), so that processes writing the same entry at
/// once leave one whole.
pub(super) fn write_entry(entry: &Path, artifact: &Container) -> std::io::Result<()> {
    write_then_publish(artifact, entry, 0o600)
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
