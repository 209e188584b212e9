//! What validation recorded about a module, as bytes: so that a host that
//! keeps it (Skiff's code cache) can skip validating a module it validated
//! before. See [`ValidatedModule::from_record`].

use super::ValidatedModule;
use super::func::FuncInfo;
use crate::module::Module;
use std::sync::Arc;

/// The encoding of `infos`: each field of each record, little-endian.
pub fn encode_infos(infos: &[FuncInfo]) -> Vec<u8> {
    let mut out = Vec::new();
    let put = |out: &mut Vec<u8>, v: u32| out.extend_from_slice(&v.to_le_bytes());
    put(&mut out, infos.len() as u32);
    for info in infos {
        // Every field by name: one added to `FuncInfo` fails to build here.
        let FuncInfo {
            num_locals,
            max_stack,
            max_depth,
            num_consts,
            uses_v128,
            tail_calls,
            legacy_tries,
            try_callees,
            v128_operands,
        } = info;
        for v in [
            *num_locals,
            *max_stack,
            *max_depth,
            *num_consts,
            *legacy_tries,
        ] {
            put(&mut out, v);
        }
        put(
            &mut out,
            u32::from(*uses_v128) | u32::from(*tail_calls) << 1,
        );
        for list in [try_callees, v128_operands] {
            put(&mut out, list.len() as u32);
            for &v in list {
                put(&mut out, v);
            }
        }
    }
    out
}

/// The records [`encode_infos`] wrote into `bytes`; `None` when they are
/// not such an encoding (truncated, or with bytes after it).
pub fn decode_infos(bytes: &[u8]) -> Option<Vec<FuncInfo>> {
    let mut r = bytes;
    let mut get = || -> Option<u32> {
        let (head, rest) = r.split_first_chunk::<4>()?;
        r = rest;
        Some(u32::from_le_bytes(*head))
    };
    let n = get()?;
    let mut infos = Vec::with_capacity((n as usize).min(bytes.len() / 32));
    for _ in 0..n {
        let (num_locals, max_stack, max_depth, num_consts, legacy_tries) =
            (get()?, get()?, get()?, get()?, get()?);
        let flags = get()?;
        let mut lists = [Vec::new(), Vec::new()];
        for list in &mut lists {
            for _ in 0..get()? {
                list.push(get()?);
            }
        }
        let [try_callees, v128_operands] = lists;
        infos.push(FuncInfo {
            num_locals,
            max_stack,
            max_depth,
            num_consts,
            uses_v128: flags & 1 != 0,
            tail_calls: flags & 2 != 0,
            legacy_tries,
            try_callees,
            v128_operands,
        });
    }
    r.is_empty().then_some(infos)
}

impl ValidatedModule {
    /// `module` as validated, from what validation recorded of it before:
    /// no rule is checked again. `None` when `infos` do not have one
    /// record per function body.
    ///
    /// # Safety
    /// The tiers rely on the records (a frame's size, where blocks end) as
    /// much as on the module being valid: `module` must be valid under the
    /// features it was decoded with, and `infos` what [`validate`](super::validate)
    /// returned for it in this build of Skiff (for example decoded from
    /// bytes that [`encode_infos`] wrote and only this user could change).
    pub unsafe fn from_record(module: Module, infos: Vec<FuncInfo>) -> Option<ValidatedModule> {
        (infos.len() == module.code.len()).then(|| ValidatedModule {
            module,
            func_infos: infos,
            images: Arc::default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_decode_to_what_was_encoded() {
        let text = r#"(module
          (func (param i32) (result i32)
            (block (result i32) (if (result i32) (local.get 0)
              (then (i32.const 1)) (else (i32.const 2)))))
          (func (result i32) (return_call 0 (i32.const 1)))
          (func (local v128) (drop (local.get 0))))"#;
        let bytes = crate::wat_to_binary(text).unwrap();
        let validated = crate::load(&bytes, &crate::Features::ALL).unwrap();
        let encoded = encode_infos(&validated.func_infos);
        assert_eq!(decode_infos(&encoded).unwrap(), validated.func_infos);
        assert!(decode_infos(&encoded[..encoded.len() - 1]).is_none());
        let mut longer = encoded.clone();
        longer.push(0);
        assert!(decode_infos(&longer).is_none());
        let module = crate::decode(&bytes, &crate::Features::ALL).unwrap();
        // SAFETY: the records are validation's own for this module.
        let again = unsafe { ValidatedModule::from_record(module, validated.func_infos.clone()) };
        assert_eq!(again.unwrap().func_infos, validated.func_infos);
    }
}
