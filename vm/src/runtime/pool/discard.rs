//! Giving a pool slot's pages back: discarding what a memory wrote, so
//! that the slot reads as its image (or zero) again, or mapping it afresh.

use super::super::memory::MemoryError;

/// Maps fresh, inaccessible, anonymous pages over the first `len` bytes of
/// the slot at `base`, dropping whatever was mapped there.
#[cfg(unix)]
pub(super) fn reset(base: *mut u8, len: usize) -> Result<(), MemoryError> {
    // SAFETY: `[base, base + len)` is in a slot that the caller owns and
    // nothing references; `MAP_FIXED` replaces those pages in place.
    let mapped = unsafe {
        libc::mmap(
            base.cast(),
            len,
            libc::PROT_NONE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    if mapped == libc::MAP_FAILED {
        return Err(MemoryError::new(format!(
            "cannot reset a pool slot: {}",
            std::io::Error::last_os_error()
        )));
    }
    Ok(())
}

/// Discards the contents of the first `len` bytes at `base`: pages mapped
/// from an image read as the image again, the others as zero.
#[cfg(unix)]
fn discard(base: *mut u8, len: usize) -> Result<(), MemoryError> {
    if len == 0 {
        return Ok(());
    }
    // SAFETY: `[base, base + len)` is the accessible part of a slot whose
    // memory is being dropped: nothing references it any more.
    if unsafe { libc::madvise(base.cast(), len, libc::MADV_DONTNEED) } != 0 {
        return Err(MemoryError::new(format!(
            "cannot discard a pool slot's pages: {}",
            std::io::Error::last_os_error()
        )));
    }
    Ok(())
}

#[cfg(not(unix))]
pub(super) fn reset(_base: *mut u8, _len: usize) -> Result<(), MemoryError> {
    Err(MemoryError::new("pooled memories need a Unix system"))
}

#[cfg(not(unix))]
fn discard(_base: *mut u8, _len: usize) -> Result<(), MemoryError> {
    Err(MemoryError::new("pooled memories need a Unix system"))
}

/// Undoes what a memory wrote among the `len` bytes at `base` (the
/// accessible part of a slot whose memory is gone), so that they read as
/// `image` again (and zero past it): the pages that no longer read as they
/// did when the slot was taken, those neither absent, nor mapping the
/// image's file (pages only read from it), nor the kernel's shared zero
/// page (pages only read past it), are restored by copying in the first
/// `keep` bytes, and discarded past them. Pages left mapped are read by the
/// next memory in the slot without a page fault, and restored ones written
/// without one. Which pages are which comes from the kernel's page map of
/// the process (`PAGEMAP_SCAN`, Linux 6.7); without it, every page is
/// discarded.
///
/// One walk serves a slot: walks spanning several slots cost more than
/// they save, since the walk visits the unmapped address space between
/// them too.
#[cfg(target_os = "linux")]
pub(super) fn reset_changed(
    base: *mut u8,
    len: usize,
    keep: usize,
    image: &[u8],
) -> Result<(), MemoryError> {
    use scan::{PAGE_IS_FILE, PAGE_IS_PFNZERO};
    if len == 0 {
        return Ok(());
    }
    scan::with_pagemap(|map| {
        let Some(map) = map else {
            return discard(base, len);
        };
        let mut start = base as u64;
        let end = start + len as u64;
        let mut runs = [scan::PageRegion::default(); 32];
        while start < end {
            // An image's pages never map the zero page, nor do pages past
            // it the image's file: one test serves both.
            match scan::changed(map, start, end, PAGE_IS_FILE | PAGE_IS_PFNZERO, &mut runs) {
                Some((found, walk_end)) if walk_end > start && walk_end <= end => {
                    for run in &runs[..found] {
                        let from = (run.start - base as u64) as usize;
                        let to = (run.end - base as u64) as usize;
                        undo(base, from..to, keep, image)?;
                    }
                    start = walk_end;
                }
                // No scan (an older kernel), or an answer we do not expect:
                // discard everything left.
                _ => return discard(start as *mut u8, (end - start) as usize),
            }
        }
        Ok(())
    })
}

/// Undoes the writes to bytes `range` of the slot at `base`: below `keep`
/// by copying `image` (zero past it) back, above by discarding the pages.
#[cfg(target_os = "linux")]
fn undo(
    base: *mut u8,
    range: std::ops::Range<usize>,
    keep: usize,
    image: &[u8],
) -> Result<(), MemoryError> {
    let split = keep.clamp(range.start, range.end);
    let image_end = image.len().clamp(range.start, split);
    let (copied, zeroed) = (range.start..image_end, image_end..split);
    // SAFETY: the range lies in the accessible part of a slot whose memory
    // is gone (the caller's guarantee), and `image` is not in the slot.
    unsafe {
        if !copied.is_empty() {
            std::ptr::copy_nonoverlapping(
                image[copied.clone()].as_ptr(),
                base.add(copied.start),
                copied.len(),
            );
        }
        if !zeroed.is_empty() {
            std::ptr::write_bytes(base.add(zeroed.start), 0, zeroed.len());
        }
    }
    if split < range.end {
        // SAFETY: as above.
        discard(unsafe { base.add(split) }, range.end - split)?;
    }
    Ok(())
}

#[cfg(not(target_os = "linux"))]
pub(super) fn reset_changed(
    base: *mut u8,
    len: usize,
    _keep: usize,
    _image: &[u8],
) -> Result<(), MemoryError> {
    discard(base, len)
}

/// The kernel's `PAGEMAP_SCAN` interface (`linux/fs.h`).
#[cfg(target_os = "linux")]
pub(super) mod scan {
    use std::cell::OnceCell;
    use std::fs::File;
    use std::os::fd::AsRawFd;

    /// Runs `f` with the process's page map, `None` when it cannot be
    /// opened. It is opened once per thread: the kernel counts the users of
    /// an open file shared by threads on every call, which threads calling
    /// at once would contend for. A file opened before a `fork` still
    /// describes the parent's pages, so the child opens its own.
    pub fn with_pagemap<R>(f: impl FnOnce(Option<&File>) -> R) -> R {
        thread_local! {
            static PAGEMAP: OnceCell<Option<(u32, File)>> = const { OnceCell::new() };
        }
        let open = || File::open("/proc/self/pagemap").ok();
        let pid = std::process::id();
        PAGEMAP.with(
            |map| match map.get_or_init(|| open().map(|map| (pid, map))) {
                Some((opener, map)) if *opener == pid => f(Some(map)),
                _ => f(open().as_ref()),
            },
        )
    }

    /// Scans `[start, end)` of `map`'s process for runs of pages present or
    /// swapped out and in none of the categories `clean`, written to
    /// `runs`: how many it wrote and where the walk ended (short of `end`
    /// when `runs` filled up), or `None` when the kernel refuses.
    pub fn changed(
        map: &File,
        start: u64,
        end: u64,
        clean: u64,
        runs: &mut [PageRegion],
    ) -> Option<(usize, u64)> {
        let mut arg = Arg {
            size: std::mem::size_of::<Arg>() as u64,
            flags: 0,
            start,
            end,
            walk_end: 0,
            vec: runs.as_mut_ptr() as u64,
            vec_len: runs.len() as u64,
            max_pages: 0,
            category_inverted: clean,
            category_mask: clean,
            category_anyof_mask: PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
            return_mask: 0,
        };
        // SAFETY: `arg` is a valid `pm_scan_arg` whose output vector is
        // `runs`, which outlives the call; the kernel writes at most
        // `vec_len` regions there, and `walk_end` into `arg`, and reads
        // nothing else of ours.
        let found = unsafe { libc::ioctl(map.as_raw_fd(), PAGEMAP_SCAN as _, &mut arg) };
        let found = usize::try_from(found).ok()?;
        (found <= runs.len()).then_some((found, arg.walk_end))
    }

    /// `_IOWR('f', 16, struct pm_scan_arg)`.
    pub const PAGEMAP_SCAN: libc::c_ulong = 0xC060_6610;
    pub const PAGE_IS_FILE: u64 = 1 << 2;
    pub const PAGE_IS_PRESENT: u64 = 1 << 3;
    pub const PAGE_IS_SWAPPED: u64 = 1 << 4;
    pub const PAGE_IS_PFNZERO: u64 = 1 << 5;

    /// `struct pm_scan_arg`.
    #[repr(C)]
    pub struct Arg {
        pub size: u64,
        pub flags: u64,
        pub start: u64,
        pub end: u64,
        pub walk_end: u64,
        pub vec: u64,
        pub vec_len: u64,
        pub max_pages: u64,
        pub category_inverted: u64,
        pub category_mask: u64,
        pub category_anyof_mask: u64,
        pub return_mask: u64,
    }

    /// `struct page_region`.
    #[repr(C)]
    #[derive(Clone, Copy, Default)]
    pub struct PageRegion {
        pub start: u64,
        pub end: u64,
        pub categories: u64,
    }
}
