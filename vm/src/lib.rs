//! Skiff's core: the module IR, decoding, Skiff's own validator, and (as the
//! tiers arrive) the runtime objects both tiers share.
//!
//! A module's path through this crate: [`decode()`] turns bytes into a [`Module`]
//! with wasmparser's readers; [`validate()`] checks every rule of the spec's
//! validation chapter for WebAssembly 2.0 (SIMD included) with Skiff's own code
//! and records what the tiers need ([`FuncInfo`]: maximum operand stack height,
//! local counts, block boundaries). wasmparser's own validator is never used
//! here; it serves the tests as an oracle only.

pub mod decode;
pub mod error;
pub mod features;
pub mod isa;
pub mod module;
pub mod parallel;
pub mod runtime;
pub mod type_registry;
pub mod types;
pub mod validate;

pub use decode::{decode, decode_shared, wat_file_to_binary, wat_to_binary};
pub use error::{Error, ErrorKind, Result};
pub use features::Features;
pub use module::{Module, ModuleBytes};
pub use validate::{FuncInfo, ValidatedModule, validate};

/// Decodes and validates `bytes` (binary, or WebAssembly text when they start
/// with something other than the binary magic) under `features`.
pub fn load(bytes: &[u8], features: &Features) -> Result<ValidatedModule> {
    load_file(bytes, features, None)
}

/// As [`load`], for the contents of file `path`: errors in WebAssembly text
/// name it.
pub fn load_file(
    bytes: &[u8],
    features: &Features,
    path: Option<&std::path::Path>,
) -> Result<ValidatedModule> {
    let module = decode(&to_binary(bytes, path)?, features)?;
    validate(module, features)
}

/// As [`load_file`], for bytes the module may keep: it shares them (or
/// the binary of the text they hold) instead of copying them.
pub fn load_owned(
    bytes: Vec<u8>,
    features: &Features,
    path: Option<&std::path::Path>,
) -> Result<ValidatedModule> {
    let binary = std::sync::Arc::new(into_binary(bytes, path)?);
    load_shared(ModuleBytes::whole(binary), features)
}

/// [`load`] of a binary module that the module shares instead of copying.
pub fn load_shared(bytes: ModuleBytes, features: &Features) -> Result<ValidatedModule> {
    validate(decode_shared(bytes, features)?, features)
}

/// [`to_binary`] of bytes it may keep: a binary module is returned as it
/// is, without copying it.
pub fn into_binary(bytes: Vec<u8>, path: Option<&std::path::Path>) -> Result<Vec<u8>> {
    Ok(match to_binary(&bytes, path)? {
        std::borrow::Cow::Owned(binary) => binary,
        std::borrow::Cow::Borrowed(_) => bytes,
    })
}

/// `bytes` as a binary module: as they are when they start with the binary
/// magic, else read as WebAssembly text (of file `path`, which its errors
/// name).
pub fn to_binary<'a>(
    bytes: &'a [u8],
    path: Option<&std::path::Path>,
) -> Result<std::borrow::Cow<'a, [u8]>> {
    if bytes.starts_with(b"\0asm") {
        return Ok(std::borrow::Cow::Borrowed(bytes));
    }
    let text = std::str::from_utf8(bytes).map_err(|_| {
        Error::without_offset(
            ErrorKind::Malformed,
            "neither a binary module nor UTF-8 text",
        )
    })?;
    Ok(std::borrow::Cow::Owned(wat_file_to_binary(text, path)?))
}
