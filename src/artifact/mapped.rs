//! Artifacts and cache entries read through a mapping of their file, so
//! that the code in them can be mapped from the file too.

use skiff_vm::runtime::{KeptCode, KeptSource};
use std::sync::Arc;

/// A file mapped read-only, kept open: how artifacts and cache entries are
/// read, so that the code in them can be mapped from the file too.
pub(super) struct MappedFile {
    pub(super) file: std::fs::File,
    pub(super) map: Option<Arc<memmap2::Mmap>>,
}

impl MappedFile {
    /// `file`, mapped (an empty file is not).
    pub(super) fn new(file: std::fs::File) -> std::io::Result<MappedFile> {
        let empty = file.metadata()?.len() == 0;
        // SAFETY: the mapping is read-only and private; who opens the file
        // vouches that it does not change while it is mapped (artifacts and
        // cache entries are written aside and put in place whole, never
        // written in place; see `Module::deserialize_file`).
        let map = if empty {
            None
        } else {
            Some(Arc::new(unsafe { memmap2::Mmap::map(&file) }?))
        };
        Ok(MappedFile { file, map })
    }

    /// The file's bytes.
    pub(super) fn bytes(&self) -> &[u8] {
        self.map.as_deref().map_or(&[], |m| &m[..])
    }
}

/// A cache entry's code, as the tier loads it: in the entry's mapping, at
/// `code` in the file.
pub(super) struct CachedCode {
    pub(super) entry: MappedFile,
    pub(super) code: std::ops::Range<usize>,
}

impl KeptSource for CachedCode {
    fn code(&self) -> KeptCode<'_> {
        KeptCode {
            bytes: &self.entry.bytes()[self.code.clone()],
            file: Some((&self.entry.file, self.code.start as u64)),
        }
    }
}
