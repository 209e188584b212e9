//! Memory images: the initial contents of a module's defined memories, made
//! once per module as a sealed in-memory file, so that each instantiation
//! maps it copy-on-write instead of copying the data segments.
//!
//! A module's memories get images only when no active segment of the
//! module can trap: each has a constant offset and lies within the initial
//! size its table or memory declares (an imported one is at least that
//! large). Then instantiation runs every segment, and applying a memory's
//! segments in order gives its image's bytes exactly; had one trapped, a
//! function already placed in an imported table could read a memory whose
//! later segments the specification says never ran. A module that fails the
//! test, and every module on a platform without `memfd`, has its segments
//! copied as before.

use super::memory::MemoryError;
use crate::module::{ConstOp, DataMode, ElemMode, Module};
use crate::types::PAGE_SIZE;
use std::sync::Arc;

/// The initial bytes of one memory, in a sealed file of `len` bytes (a
/// multiple of the host's page size, no more than the memory's initial
/// size).
#[derive(Debug)]
pub struct MemoryImage {
    #[cfg(target_os = "linux")]
    file: std::fs::File,
    /// The file's bytes, mapped read-only and shared: what a pool restores
    /// a written page of the image from.
    #[cfg(target_os = "linux")]
    view: View,
    len: usize,
    /// Unique in the process: what a pool slot remembers it maps.
    id: u64,
}

impl MemoryImage {
    /// Its identity, never shared with another image of the process.
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// The image's bytes.
    #[cfg(target_os = "linux")]
    pub(crate) fn bytes(&self) -> &[u8] {
        self.view.bytes()
    }

    /// The image's bytes (none without images).
    #[cfg(not(target_os = "linux"))]
    pub(crate) fn bytes(&self) -> &[u8] {
        &[]
    }

    /// Maps the image over the `len()` bytes at `base`, private to that
    /// range: pages it reads are the image's, shared; a page it writes
    /// becomes its own.
    ///
    /// # Safety
    /// `[base, base + len())` is address space its caller owns and nothing
    /// references; the mapping replaces it in place.
    #[cfg(target_os = "linux")]
    pub(crate) unsafe fn map_at(&self, base: *mut u8) -> Result<(), MemoryError> {
        use std::os::fd::AsRawFd;
        // SAFETY: the caller's guarantee; `MAP_FIXED` replaces the pages in
        // place. The image is sealed, so the mapping shows fixed bytes.
        let mapped = unsafe {
            libc::mmap(
                base.cast(),
                self.len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_FIXED,
                self.file.as_raw_fd(),
                0,
            )
        };
        if mapped == libc::MAP_FAILED {
            return Err(MemoryError::new(format!(
                "cannot map a memory image: {}",
                std::io::Error::last_os_error()
            )));
        }
        Ok(())
    }

    /// Images need Linux.
    ///
    /// # Safety
    /// None needed: it maps nothing.
    #[cfg(not(target_os = "linux"))]
    pub(crate) unsafe fn map_at(&self, _base: *mut u8) -> Result<(), MemoryError> {
        Err(MemoryError::new("memory images need Linux"))
    }

    /// Its length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it is empty (never, for an image that was made).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// An image of `len` bytes (rounded up to the host's page size), zero
    /// but for `segments` (offset and bytes, written in order, so that a
    /// later one wins where they overlap), or `None` when the platform
    /// cannot make one.
    #[cfg(target_os = "linux")]
    pub(crate) fn new(len: u64, segments: &[(u64, &[u8])]) -> Option<MemoryImage> {
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
        let len = usize::try_from(len).ok()?;
        let view = View::of(&file, len)?;
        static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        Some(MemoryImage {
            file,
            view,
            len,
            id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        })
    }

    #[cfg(not(target_os = "linux"))]
    pub(crate) fn new(_len: u64, _segments: &[(u64, &[u8])]) -> Option<MemoryImage> {
        None
    }
}

/// A read-only shared mapping of a sealed image file, unmapped on drop.
#[cfg(target_os = "linux")]
#[derive(Debug)]
struct View {
    ptr: std::ptr::NonNull<u8>,
    len: usize,
}

// SAFETY: the mapping is read-only and its file is sealed against writes,
// so any thread may read it; it is unmapped once, when the view is dropped.
#[cfg(target_os = "linux")]
unsafe impl Send for View {}
// SAFETY: as above.
#[cfg(target_os = "linux")]
unsafe impl Sync for View {}

#[cfg(target_os = "linux")]
impl View {
    /// The first `len` bytes of `file` (sealed against writing and
    /// shrinking, and at least that long), mapped read-only; `None` when
    /// they cannot be (or `len` is 0).
    fn of(file: &std::fs::File, len: usize) -> Option<View> {
        use std::os::fd::AsRawFd;
        if len == 0 {
            return None;
        }
        // SAFETY: a new mapping chosen by the kernel, of a file we own;
        // nothing else is touched.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_SHARED,
                file.as_raw_fd(),
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return None;
        }
        Some(View {
            ptr: std::ptr::NonNull::new(ptr.cast())?,
            len,
        })
    }

    fn bytes(&self) -> &[u8] {
        // SAFETY: `len` bytes are mapped readable at `ptr` until the view is
        // dropped, and the sealed file cannot change or shrink under them.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

#[cfg(target_os = "linux")]
impl Drop for View {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `View::of`, which nothing borrows any
        // more (`bytes` borrows the view).
        unsafe { libc::munmap(self.ptr.as_ptr().cast(), self.len) };
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
pub fn images(module: &Module) -> Vec<Option<Arc<MemoryImage>>> {
    let first = module.num_imported_memories as usize;
    let safe = segments_cannot_trap(module);
    (first..module.memories.len())
        .map(|index| safe.then(|| image(module, index as u32)).flatten())
        .map(|image| image.map(Arc::new))
        .collect()
}

/// Whether every active element and data segment of `module` has a
/// constant offset and fits the declared initial size of its table or
/// memory.
fn segments_cannot_trap(module: &Module) -> bool {
    let fits = |offset: &[ConstOp], len: u64, size: Option<u64>| {
        constant_offset(offset)
            .and_then(|start| start.checked_add(len))
            .zip(size)
            .is_some_and(|(end, size)| end <= size)
    };
    let elems = module.elems.iter().all(|seg| match &seg.mode {
        ElemMode::Active { table, offset } => fits(
            &offset.ops,
            seg.items.len() as u64,
            module.tables.get(*table as usize).map(|t| t.limits.min),
        ),
        ElemMode::Passive | ElemMode::Declarative => true,
    });
    let data = module.data.iter().all(|seg| match &seg.mode {
        DataMode::Active { memory, offset } => fits(
            &offset.ops,
            seg.bytes.len() as u64,
            module
                .memories
                .get(*memory as usize)
                .and_then(|m| m.limits.min.checked_mul(PAGE_SIZE)),
        ),
        DataMode::Passive => true,
    });
    elems && data
}

/// The image of memory `index`, for a module whose segments cannot trap
/// (so each has a constant offset and fits the memory's initial size).
fn image(module: &Module, index: u32) -> Option<MemoryImage> {
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
        extent = extent.max(start.checked_add(bytes.len() as u64)?);
        segments.push((start, bytes));
    }
    if extent == 0 {
        return None;
    }
    // The page-rounded image stays within the initial size, a multiple of
    // 64 KiB.
    MemoryImage::new(extent, &segments)
}
