//! Compiled modules kept on disk: ahead-of-time artifacts
//! ([`Engine::precompile_module`], [`Module::deserialize`], `skiff compile`)
//! and the code cache of `skiff run` ([`Module::from_file_cached`]).
//!
//! An artifact holds the module's bytes (decoded again when it is loaded),
//! the record of validating them (so that loading does not validate again)
//! and its tier's code, under a header naming the format, Skiff's version
//! and the tier's code key (target, processor features used, every setting
//! that changes the code), and a checksum of the whole. One that is
//! truncated, corrupted, of another version, for another processor or
//! configuration is refused with an error saying which, never run.

mod cache;
mod file;
mod format;
mod mapped;
mod records;

pub use cache::default_cache_dir;
pub use format::{MAGIC, is_artifact};

use crate::engine::Engine;
use crate::module::Module;
use format::{Container, Parsed, engine_key, unsupported};
use mapped::MappedFile;
use records::{decode_with_record, recorded};
use skiff_vm::runtime::KeptCode;
use skiff_vm::{Error, ModuleBytes};
use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;

impl Engine {
    /// Compiles `wasm` (binary or text) ahead of time: an artifact that
    /// [`Module::deserialize`] loads without compiling. An error when the
    /// module does not load, or when this engine's tier keeps no code (the
    /// interpreter translates as it loads).
    pub fn precompile_module(&self, wasm: &[u8]) -> Result<Vec<u8>, Error> {
        self.precompile(wasm).map(|a| a.to_bytes())
    }

    /// Compiles `wasm` ahead of time, as [`Engine::precompile_module`]
    /// does, into an [`Artifact`] not yet written out: one to write as a
    /// file ([`Artifact::save`]) or to a stream without joining its parts in
    /// memory first.
    pub fn precompile<'a>(&self, wasm: &'a [u8]) -> Result<Artifact<'a>, Error> {
        let binary = skiff_vm::to_binary(wasm, None)?;
        let validated = Arc::new(skiff_vm::load(&binary, &self.features())?);
        let code = self.tier().compile_only_to_keep(&validated)?;
        Ok(Artifact {
            key: engine_key(self),
            infos: skiff_vm::validate::encode_infos(&validated.func_infos),
            code: code.map_err(unsupported)?,
            binary,
        })
    }
}

/// A module compiled ahead of time ([`Engine::precompile`]), to write out:
/// its bytes, the record of validating them and the tier's code, under a
/// header and a checksum, as [`Module::deserialize`] and
/// [`Module::deserialize_file`] load them.
pub struct Artifact<'a> {
    key: String,
    binary: Cow<'a, [u8]>,
    infos: Vec<u8>,
    code: Vec<u8>,
}

impl Artifact<'_> {
    fn container<R>(&self, f: impl FnOnce(&Container) -> R) -> R {
        let parts: [&[u8]; 3] = [&self.binary, &self.infos, &self.code];
        f(&Container {
            key: &self.key,
            parts: &parts,
        })
    }

    /// The artifact's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.container(|c| c.to_vec())
    }

    /// Writes the artifact to `out`.
    pub fn write_to(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        self.container(|c| c.write_to(out))
    }

    /// Writes the artifact as file `path`, in one step: to a new file beside
    /// it first, then put in its place, so that a reader of `path` finds
    /// the old artifact or this one, whole, and a process running the old
    /// one's code mapped from its file ([`Module::deserialize_file`]) goes
    /// on undisturbed. On failure `path` is left as it was.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        self.container(|c| file::write_then_publish(c, path, 0o666))
    }
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
        // SAFETY: the caller's guarantee.
        unsafe { load_artifact(engine, artifact, None) }
    }

    /// Loads the artifact in file `path`, as [`Module::deserialize`] does,
    /// reading it through a mapping of the file: its machine code is not
    /// copied but mapped from the file where it lies (shared with every
    /// process that maps it, read in as it runs), when the file system
    /// allows code to run from it. This is the fast way to start from an
    /// artifact: the harness's `big.wasm` (22 MB compiled) loads in under
    /// 4 ms, against about 9 ms for [`Module::deserialize`] of the bytes
    /// already read.
    ///
    /// # Safety
    /// As for [`Module::deserialize`]; and the file must not change while
    /// the module lives (write artifacts aside and rename them over, as
    /// `skiff compile` and the code cache do): its code runs from the file.
    pub unsafe fn deserialize_file(
        engine: &Engine,
        path: &Path,
    ) -> Result<Module, crate::LoadError> {
        let file = std::fs::File::open(path).map_err(crate::LoadError::Io)?;
        let mapped = MappedFile::new(file).map_err(crate::LoadError::Io)?;
        // SAFETY: the caller's guarantee, for the file as for its bytes.
        unsafe { load_artifact(engine, mapped.bytes(), Some(&mapped)) }
            .map_err(crate::LoadError::Module)
    }
}

/// The module in `artifact`, an artifact of this engine; `mapped` is the
/// file it is a mapping of, if it is one (the module then shares the
/// mapping's bytes and the tier may map its code from the file).
///
/// # Safety
/// As for [`Module::deserialize`], and [`Module::deserialize_file`] when
/// there is a file.
unsafe fn load_artifact(
    engine: &Engine,
    artifact: &[u8],
    mapped: Option<&MappedFile>,
) -> Result<Module, Error> {
    let parsed = Parsed::<3>::new(artifact)?;
    let [wasm, infos, code] = parsed.parts;
    let offset = |part: &[u8]| part.as_ptr() as usize - artifact.as_ptr() as usize;
    let shared = mapped.and_then(|m| {
        let owner: Arc<dyn AsRef<[u8]> + Send + Sync> = m.map.clone()?;
        ModuleBytes::part_of(owner, offset(wasm)..offset(wasm) + wasm.len())
    });
    // Decoding trusts nothing, so it runs while the checksum is computed.
    let decoded = parsed.check_while(&engine_key(engine), || {
        decode_with_record(engine, wasm, shared, infos)
    })?;
    let code = KeptCode {
        bytes: code,
        file: mapped.map(|m| (&m.file, offset(code) as u64)),
    };
    // SAFETY (both): the header matched this engine's version and code key
    // (which names its features) and the checksum held, so `infos` is what
    // this build recorded validating `wasm` under these features, and
    // `code` what `compile_to_keep` wrote for `wasm` on a tier like this
    // one (where it lies in the file, if any), as far as the caller vouches for
    // where the artifact came from.
    let validated = Arc::new(unsafe { recorded(engine, wasm, decoded) }?);
    let code = unsafe { engine.tier().load_kept(&validated, code)? };
    Ok(Module::from_parts(validated, code))
}
