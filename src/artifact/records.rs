//! Records of validation kept beside a module (in an artifact, or in the
//! code cache), so that loading it again decodes it without validating it.

use super::cache::{parts_for, read_private, writable, write_entry};
use super::format::{Container, checksum};
use crate::engine::Engine;
use skiff_vm::{Error, ModuleBytes};
use std::path::Path;

/// The key of validation records: validation depends on this build (the
/// header checks it) and the features, not on the tier.
fn record_key(engine: &Engine) -> String {
    format!("validation record, features {:?}", engine.features())
}

/// `binary` decoded (the module sharing it) and validated, or, when the
/// private cache directory `cache` holds this build's record of validating
/// it under the engine's features (with the module's bytes, compared in
/// full), decoded only, with that record. A module validated here gets a
/// record for the next run. Validation is most of a short run of a large
/// module: 50 of the 60 ms of the harness's 5.9 MB `big.wasm`.
pub(super) fn validated_with_record(
    engine: &Engine,
    binary: std::sync::Arc<Vec<u8>>,
    module_sum: u64,
    cache: &Path,
    private: bool,
) -> Result<skiff_vm::ValidatedModule, crate::LoadError> {
    let key = record_key(engine);
    let entry = cache.join(format!(
        "{module_sum:016x}-{:016x}.skiffv",
        checksum(key.as_bytes())
    ));
    let shared = ModuleBytes::whole(binary.clone());
    let binary = binary.as_slice();
    let record = private.then(|| read_private(&entry)).flatten();
    if let Some([_, infos]) = record
        .as_ref()
        .and_then(|r| parts_for(&key, binary, r.bytes()))
    {
        // SAFETY: the record was read from the cache directory, which only
        // this user can write (checked on the open file), from an entry
        // this build wrote for these features and exactly these bytes (its
        // header, checksum and copy of the module compared), after
        // validating them.
        let decoded = decode_with_record(engine, binary, Some(shared), infos);
        return unsafe { recorded(engine, binary, decoded) }.map_err(crate::LoadError::Module);
    }
    let validated =
        skiff_vm::load_shared(shared, &engine.features()).map_err(crate::LoadError::Module)?;
    if writable(cache, private) {
        let infos = skiff_vm::validate::encode_infos(&validated.func_infos);
        let parts: [&[u8]; 2] = [binary, &infos];
        let _ = write_entry(
            &entry,
            &Container {
                key: &key,
                parts: &parts,
            },
        );
    }
    Ok(validated)
}

/// A module's bytes decoded, and the record of validating it decoded:
/// what [`recorded`] makes a validated module of. Making it checks nothing
/// and trusts nothing, so it may run before the record is known to be
/// sound.
pub(super) type Decoded = (
    Result<skiff_vm::Module, Error>,
    Option<Vec<skiff_vm::FuncInfo>>,
);

/// `wasm` decoded (the module sharing `shared`, the same bytes, when
/// given), and `infos` (a record of validating it) decoded.
pub(super) fn decode_with_record(
    engine: &Engine,
    wasm: &[u8],
    shared: Option<ModuleBytes>,
    infos: &[u8],
) -> Decoded {
    let module = match shared {
        Some(bytes) => skiff_vm::decode_shared(bytes, &engine.features()),
        None => skiff_vm::decode(wasm, &engine.features()),
    };
    (module, skiff_vm::validate::decode_infos(infos))
}

/// The module `wasm`, decoded as `decoded`, made a validated module with
/// the record in `decoded` without validating it again (validated after
/// all when the record does not fit it).
///
/// # Safety
/// The record must be what this build recorded (`encode_infos`) when it
/// validated exactly `wasm` under the engine's features.
pub(super) unsafe fn recorded(
    engine: &Engine,
    wasm: &[u8],
    (module, infos): Decoded,
) -> Result<skiff_vm::ValidatedModule, Error> {
    if let Some(infos) = infos {
        // SAFETY: the caller vouches that the record is this build's, of
        // these bytes under these features.
        if let Some(validated) = unsafe { skiff_vm::ValidatedModule::from_record(module?, infos) } {
            return Ok(validated);
        }
    }
    skiff_vm::load(wasm, &engine.features())
}
