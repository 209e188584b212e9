//! A pool of linear-memory slots: address space reserved once, up front, and
//! reused from one memory to the next, so that a request making and
//! dropping an instance maps and unmaps nothing.
//!
//! Each slot is a memory configuration's reservation plus its guard. A
//! memory taken from the pool occupies one. When it is dropped, the pages
//! it changed (found by the kernel's `PAGEMAP_SCAN` where it has one) are
//! discarded with `madvise(MADV_DONTNEED)`: the pages of its image read as
//! the image again, the others as zero. The slot goes back to the pool
//! still accessible up to where the memory ended and still mapping its
//! image. The next memory of the same module, taken from the same slot,
//! then needs at most one `mprotect` to match its initial size. A memory
//! with another image, or none, replaces the slot's old mapping first.

use super::image::MemoryImage;
use super::memory::{MemoryConfig, MemoryError};
use std::sync::{Arc, Mutex};

/// How many memories a pool holds and how each is reserved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolConfig {
    /// Slots: the most memories alive at once, across every store using it.
    pub memories: u32,
    /// Each slot's reservation and guard.
    pub memory: MemoryConfig,
}

/// A pool of memory slots, shared by the stores of an engine. Cheap to
/// clone; the address space is released once the pool and every memory
/// taken from it are gone.
#[derive(Clone)]
pub struct MemoryPool(Arc<Pool>);

impl std::fmt::Debug for MemoryPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryPool")
            .field("config", &self.0.config)
            .finish()
    }
}

struct Pool {
    /// Every slot's address space, one after the other.
    region: region::Allocation,
    /// Bytes from one slot's base to the next's.
    stride: usize,
    config: PoolConfig,
    /// Slots not in use, the most recently released last.
    free: Mutex<Vec<Slot>>,
}

// SAFETY: the region is only read for its base address; the slots' pages
// are reached only through the memory holding the slot, which owns them
// exclusively, and the free list is behind a mutex.
unsafe impl Send for Pool {}
// SAFETY: as above.
unsafe impl Sync for Pool {}

/// A slot and what its pages are when it is free.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Slot {
    index: usize,
    /// Bytes from the base that are readable and writable.
    accessible: usize,
    /// The image mapped at the base: its id and length.
    image: Option<(u64, usize)>,
}

/// How many of the most recently freed slots are searched for one that
/// already maps the wanted image.
const AFFINITY_SEARCH: usize = 16;

impl MemoryPool {
    /// Reserves the address space of `config.memories` slots.
    pub fn new(config: PoolConfig) -> Result<MemoryPool, MemoryError> {
        let page = region::page::size();
        let stride = config
            .memory
            .reservation
            .checked_add(config.memory.guard)
            .and_then(|s| usize::try_from(s).ok())
            .map(|s| s.max(page).next_multiple_of(page))
            .ok_or_else(|| MemoryError::new("a pool slot too large for this platform"))?;
        let total = stride
            .checked_mul(config.memories as usize)
            .filter(|t| *t > 0)
            .ok_or_else(|| MemoryError::new("a pool of no slots, or too large to reserve"))?;
        let region = region::alloc(total, region::Protection::NONE).map_err(|e| {
            MemoryError::new(format!(
                "cannot reserve {total} bytes of address space for {} memory slots: {e}",
                config.memories
            ))
        })?;
        let free = (0..config.memories as usize)
            .rev()
            .map(|index| Slot {
                index,
                accessible: 0,
                image: None,
            })
            .collect();
        Ok(MemoryPool(Arc::new(Pool {
            region,
            stride,
            config,
            free: Mutex::new(free),
        })))
    }

    /// Each slot's reservation and guard.
    pub fn memory_config(&self) -> MemoryConfig {
        self.0.config.memory
    }

    /// A free slot made ready for a memory of `bytes` accessible bytes
    /// starting with `image`: its base and the slot.
    pub(crate) fn take(
        &self,
        bytes: usize,
        image: Option<&MemoryImage>,
    ) -> Result<(*mut u8, Slot), MemoryError> {
        let want = image.map(|i| (i.id(), i.len()));
        let mut slot = {
            let mut free = self.0.free.lock().unwrap_or_else(|e| e.into_inner());
            let n = free.len();
            let at = free[n.saturating_sub(AFFINITY_SEARCH)..]
                .iter()
                .rposition(|s| s.image == want)
                .map(|i| i + n.saturating_sub(AFFINITY_SEARCH))
                .or(n.checked_sub(1))
                .ok_or_else(|| {
                    MemoryError::new(format!(
                        "all {} memory slots of the pool are in use",
                        self.0.config.memories
                    ))
                })?;
            free.swap_remove(at)
        };
        let base = self.base(slot.index);
        debug_assert!(bytes as u64 <= self.0.config.memory.reservation);
        if let Err(e) = self.prepare(base, &mut slot, bytes, image, want) {
            // Its pages are in an unknown state.
            self.renew(base, slot);
            return Err(e);
        }
        Ok((base, slot))
    }

    /// Maps `image` (identified as `want`) at `base` unless the slot
    /// already does, and makes the first `bytes` accessible and no more.
    fn prepare(
        &self,
        base: *mut u8,
        slot: &mut Slot,
        bytes: usize,
        image: Option<&MemoryImage>,
        want: Option<(u64, usize)>,
    ) -> Result<(), MemoryError> {
        if slot.image != want {
            if slot.accessible > 0 || slot.image.is_some() {
                let mapped = slot.accessible.max(slot.image.map_or(0, |(_, len)| len));
                reset(base, mapped)?;
                slot.accessible = 0;
                slot.image = None;
            }
            if let Some(image) = image {
                map_image(base, image)?;
                slot.image = want;
                slot.accessible = slot.accessible.max(image.len());
            }
        }
        if slot.accessible < bytes {
            // SAFETY: `[base + accessible, base + bytes)` is in the slot's
            // reservation (`bytes` is at most its size), owned by the caller.
            unsafe { protect(base.add(slot.accessible), bytes - slot.accessible, true)? };
        } else if slot.accessible > bytes {
            // SAFETY: as above; an image never extends past a memory's
            // initial size, so these pages are anonymous.
            unsafe { protect(base.add(bytes), slot.accessible - bytes, false)? };
        }
        slot.accessible = bytes;
        Ok(())
    }

    /// Gives back the slot of a memory that had `len` accessible bytes,
    /// discarding what it wrote; with `suspect` (a failed change of
    /// protection may have left pages past `len` accessible), or when the
    /// discarding fails, the whole slot is mapped afresh instead. A slot
    /// that cannot be reset either way is not reused.
    pub(crate) fn give_back(&self, base: *mut u8, mut slot: Slot, len: usize, suspect: bool) {
        let imaged = slot.image.map_or(0, |(_, l)| l).min(len);
        if !suspect && discard_changed(base, imaged, len).is_ok() {
            slot.accessible = len;
            self.release(slot);
        } else {
            self.renew(base, slot);
        }
    }

    /// Maps the whole slot at `base` afresh, inaccessible and without an
    /// image, and gives it back; a slot that cannot be is not reused.
    fn renew(&self, base: *mut u8, mut slot: Slot) {
        if reset(base, self.0.stride).is_ok() {
            slot.accessible = 0;
            slot.image = None;
            self.release(slot);
        }
    }

    fn release(&self, slot: Slot) {
        let mut free = self.0.free.lock().unwrap_or_else(|e| e.into_inner());
        free.push(slot);
    }

    fn base(&self, index: usize) -> *mut u8 {
        // SAFETY: `index` is below the slot count, so the offset stays in the
        // region.
        unsafe { (self.0.region.as_ptr::<u8>() as *mut u8).add(index * self.0.stride) }
    }
}

/// Makes `len` bytes at `addr` readable and writable, or inaccessible.
///
/// # Safety
/// The range lies in a slot owned by the caller.
unsafe fn protect(addr: *mut u8, len: usize, accessible: bool) -> Result<(), MemoryError> {
    let protection = if accessible {
        region::Protection::READ_WRITE
    } else {
        region::Protection::NONE
    };
    // SAFETY: the caller's guarantee.
    unsafe { region::protect(addr, len, protection) }
        .map_err(|e| MemoryError::new(format!("cannot change a pool slot's protection: {e}")))
}

/// Maps fresh, inaccessible, anonymous pages over the first `len` bytes of
/// the slot at `base`, dropping whatever was mapped there.
#[cfg(unix)]
fn reset(base: *mut u8, len: usize) -> Result<(), MemoryError> {
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
fn reset(_base: *mut u8, _len: usize) -> Result<(), MemoryError> {
    Err(MemoryError::new("pooled memories need a Unix system"))
}

#[cfg(not(unix))]
fn discard(_base: *mut u8, _len: usize) -> Result<(), MemoryError> {
    Err(MemoryError::new("pooled memories need a Unix system"))
}

/// Discards the pages among the `len` bytes at `base` that no longer read
/// as they did when the slot was taken: in the first `imaged` bytes, those
/// not mapping the image's file (written since, or swapped out); in the
/// rest, those neither absent nor the kernel's shared zero page. Pages
/// still mapping the image, or the zero page, stay mapped, so that the next
/// memory in the slot reads them without a page fault. Which is which comes
/// from the kernel's page map of the process (`PAGEMAP_SCAN`, Linux 6.7);
/// without it, every page is discarded.
#[cfg(target_os = "linux")]
fn discard_changed(base: *mut u8, imaged: usize, len: usize) -> Result<(), MemoryError> {
    use scan::{PAGE_IS_FILE, PAGE_IS_PFNZERO};
    // SAFETY: `imaged <= len`, so the address is in the same range.
    let rest = unsafe { base.add(imaged) };
    scan::with_pagemap(|map| {
        discard_where(map, base, imaged, PAGE_IS_FILE)?;
        discard_where(map, rest, len - imaged, PAGE_IS_FILE | PAGE_IS_PFNZERO)
    })
}

/// Discards the pages among the `len` bytes at `base` that are present or
/// swapped out and in none of the categories `clean` (the kernel's
/// `PAGE_IS_*` bits), as the page map `map` says; all of them without one,
/// or when it cannot be scanned.
#[cfg(target_os = "linux")]
fn discard_where(
    map: Option<&std::fs::File>,
    base: *mut u8,
    len: usize,
    clean: u64,
) -> Result<(), MemoryError> {
    if len == 0 {
        return Ok(());
    }
    let Some(map) = map else {
        return discard(base, len);
    };
    let mut start = base as u64;
    let end = start + len as u64;
    let mut runs = [scan::PageRegion::default(); 32];
    while start < end {
        match scan::changed(map, start, end, clean, &mut runs) {
            Some((found, walk_end)) if walk_end > start && walk_end <= end => {
                for run in &runs[..found] {
                    discard(run.start as *mut u8, (run.end - run.start) as usize)?;
                }
                start = walk_end;
            }
            // No scan (an older kernel), or an answer we do not expect:
            // discard everything left.
            _ => return discard(start as *mut u8, (end - start) as usize),
        }
    }
    Ok(())
}

/// The kernel's `PAGEMAP_SCAN` interface (`linux/fs.h`).
#[cfg(target_os = "linux")]
mod scan {
    use std::fs::File;
    use std::os::fd::AsRawFd;
    use std::sync::OnceLock;

    /// Runs `f` with the process's page map, `None` when it cannot be
    /// opened. It is opened once per process: a file opened before a `fork`
    /// still describes the parent's pages.
    pub fn with_pagemap<R>(f: impl FnOnce(Option<&File>) -> R) -> R {
        static PAGEMAP: OnceLock<Option<(u32, File)>> = OnceLock::new();
        let open = || File::open("/proc/self/pagemap").ok();
        let pid = std::process::id();
        match PAGEMAP.get_or_init(|| open().map(|map| (pid, map))) {
            Some((opener, map)) if *opener == pid => f(Some(map)),
            _ => f(open().as_ref()),
        }
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

#[cfg(not(target_os = "linux"))]
fn discard_changed(base: *mut u8, _imaged: usize, len: usize) -> Result<(), MemoryError> {
    discard(base, len)
}

/// Maps `image` over the first bytes at `base`, private to the slot.
fn map_image(base: *mut u8, image: &MemoryImage) -> Result<(), MemoryError> {
    // SAFETY: `[base, base + image.len())` is in a slot the caller owns
    // (an image is no longer than the memory's initial size, which fits the
    // slot), and nothing references those pages.
    unsafe { image.map_at(base) }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use crate::runtime::LinearMemory;
    use crate::types::{AddrType, Limits, MemoryType, PAGE_SIZE};
    use std::os::unix::fs::FileExt;

    const PAGE: usize = 4096;

    /// Whether the page at `addr` is mapped in this process's page tables
    /// (page map bit 63).
    fn mapped(addr: *const u8) -> bool {
        let map = std::fs::File::open("/proc/self/pagemap").unwrap();
        let mut entry = [0u8; 8];
        map.read_exact_at(&mut entry, (addr as u64 / PAGE as u64) * 8)
            .unwrap();
        u64::from_le_bytes(entry) >> 63 == 1
    }

    /// Whether this kernel has `PAGEMAP_SCAN`.
    fn can_scan() -> bool {
        let probe = [0u8; 2 * PAGE];
        let start = (probe.as_ptr() as u64).next_multiple_of(PAGE as u64);
        let mut runs = [scan::PageRegion::default(); 1];
        scan::with_pagemap(|map| {
            map.is_some_and(|map| {
                scan::changed(map, start, start + PAGE as u64, 0, &mut runs).is_some()
            })
        })
    }

    #[test]
    fn a_reused_slot_restores_written_pages_and_keeps_read_ones() {
        // 256 KiB of image: every byte distinct from zero.
        let bytes: Vec<u8> = (0..64 * PAGE).map(|i| (i % 251) as u8 + 1).collect();
        let image = MemoryImage::new(bytes.len() as u64, &[(0, &bytes)]).unwrap();
        let pool = MemoryPool::new(PoolConfig {
            memories: 1,
            memory: MemoryConfig {
                reservation: 8 * PAGE_SIZE,
                guard: 0,
            },
        })
        .unwrap();
        let ty = MemoryType {
            limits: Limits { min: 5, max: None },
            addr: AddrType::I32,
        };
        let mut first = LinearMemory::pooled(&ty, &pool, Some(&image)).unwrap();
        let base = first.base();
        let data = first.data_mut();
        // Every other page written: 32 separate runs and more, past the
        // scan's output of 32 at a time; page 1 only read; past the image,
        // page 70 written and page 72 only read.
        for page in (0..64).step_by(2).chain([70]) {
            data[page * PAGE + 7] = 0;
        }
        let read = (data[PAGE + 5], data[72 * PAGE]);
        assert_eq!(read, (bytes[PAGE + 5], 0));
        drop(first);
        let scanned = can_scan();
        if scanned {
            assert!(
                mapped(base.wrapping_add(PAGE)),
                "a page only read stays mapped"
            );
            assert!(!mapped(base), "a written page is discarded");
            assert!(
                !mapped(base.wrapping_add(70 * PAGE)),
                "so is one past the image"
            );
        } else {
            eprintln!("no PAGEMAP_SCAN here: every page was discarded");
        }
        let second = LinearMemory::pooled(&ty, &pool, Some(&image)).unwrap();
        assert_eq!(second.base(), base, "the same slot");
        assert_eq!(&second.data()[..bytes.len()], &bytes[..], "the image again");
        assert!(
            second.data()[bytes.len()..].iter().all(|&b| b == 0),
            "zero past the image"
        );
    }
}
