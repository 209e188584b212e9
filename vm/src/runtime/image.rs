//! Memory images: the initial contents of a module's defined memories, made
//! once per module as a sealed in-memory file, so that each instantiation
//! maps it copy-on-write instead of copying the data segments.
//!
//! A defined memory gets an image when every active data segment that
//! targets it has a constant offset and lies within its initial size: then
//! the segments cannot trap, and applying them in order at instantiation
//! gives the image's bytes exactly. (Whatever else traps during
//! instantiation, the instance and its own memories are never seen.) Any
//! other memory, and every memory on a platform without `memfd`, has its
//! segments copied as before.

use crate::module::{ConstOp, DataMode, Module};
use crate::types::PAGE_SIZE;

/// The initial bytes of one memory, in a sealed file of `len` bytes (a
/// multiple of the host's page size, no more than the memory's initial
/// size).
#[derive(Debug)]
pub struct MemoryImage {
    #[cfg(target_os = "linux")]
    file: std::fs::File,
    len: usize,
}

impl MemoryImage {
    /// Its length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it is empty (never, for an image that was made).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The file to map.
    #[cfg(target_os = "linux")]
    pub(crate) fn fd(&self) -> std::os::fd::BorrowedFd<'_> {
        use std::os::fd::AsFd;
        self.file.as_fd()
    }

    /// An image of `len` bytes (rounded up to the host's page size), zero
    /// but for `segments` (offset and bytes, written in order, so that a
    /// later one wins where they overlap), or `None` when the platform
    /// cannot make one.
    #[cfg(target_os = "linux")]
    fn new(len: u64, segments: &[(u64, &[u8])]) -> Option<MemoryImage> {
        use std::os::fd::FromRawFd;
        use std::os::unix::fs::FileExt;
        let page = region::page::size() as u64;
        let len = len.div_ceil(page) * page;
        // SAFETY: a valid NUL-terminated name and flags; the result is
        // checked before use.
        let fd = unsafe {
            libc::memfd_create(
                c"skiff-memory-image".as_ptr(),
                libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING,
            )
        };
        if fd < 0 {
            return None;
        }
        // SAFETY: `fd` was just created and nothing else owns it.
        let file = unsafe { std::fs::File::from_raw_fd(fd) };
        // Zero-filled (and sparse) up to `len`; then the segments.
        file.set_len(len).ok()?;
        for (offset, bytes) in segments {
            file.write_all_at(bytes, *offset).ok()?;
        }
        // Sealed: nobody can change the bytes (or the size) that mappings
        // of it show, which is what makes sharing it between instances sound.
        let seals =
            libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_WRITE | libc::F_SEAL_SEAL;
        // SAFETY: `F_ADD_SEALS` on a memfd we own.
        if unsafe { libc::fcntl(fd, libc::F_ADD_SEALS, seals) } != 0 {
            return None;
        }
        Some(MemoryImage {
            file,
            len: usize::try_from(len).ok()?,
        })
    }

    #[cfg(not(target_os = "linux"))]
    fn new(_len: u64, _segments: &[(u64, &[u8])]) -> Option<MemoryImage> {
        None
    }
}

/// The value of a constant offset, when it is a constant (not a `global.get`
/// or arithmetic).
fn constant_offset(ops: &[ConstOp]) -> Option<u64> {
    match ops {
        [ConstOp::I32Const(v)] => Some(*v as u32 as u64),
        [ConstOp::I64Const(v)] => Some(*v as u64),
        _ => None,
    }
}

/// An image for each defined memory of `module` (in order) that can have
/// one; see the module documentation.
pub fn images(module: &Module) -> Vec<Option<MemoryImage>> {
    let first = module.num_imported_memories as usize;
    (first..module.memories.len())
        .map(|index| image(module, index as u32))
        .collect()
}

fn image(module: &Module, index: u32) -> Option<MemoryImage> {
    let initial = module.memories[index as usize]
        .limits
        .min
        .checked_mul(PAGE_SIZE)?;
    let mut segments = Vec::new();
    let mut extent = 0;
    for seg in &module.data {
        let DataMode::Active { memory, offset } = &seg.mode else {
            continue;
        };
        if *memory != index {
            continue;
        }
        let start = constant_offset(&offset.ops)?;
        let bytes = &module.bytes[seg.bytes.clone()];
        let end = start.checked_add(bytes.len() as u64)?;
        if end > initial {
            // It traps at instantiation: copied, so that it does.
            return None;
        }
        extent = extent.max(end);
        segments.push((start, bytes));
    }
    if extent == 0 {
        return None;
    }
    // The page-rounded image stays within the initial size, a multiple of
    // 64 KiB.
    MemoryImage::new(extent, &segments)
}
