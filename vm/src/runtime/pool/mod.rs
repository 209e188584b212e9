//! A pool of linear-memory slots: address space reserved once, up front, and
//! reused from one memory to the next, so that a request making and
//! dropping an instance maps and unmaps nothing.
//!
//! Each slot is a memory configuration's reservation plus its guard. A
//! memory taken from the pool occupies one. Once it is dropped, the pages
//! it changed (found by the kernel's `PAGEMAP_SCAN` where it has one) are
//! undone, so that the pages of its image read as the image again and the
//! others as zero: in the first [`PoolConfig::keep_resident`] bytes by
//! copying the image (or zero) back over them, past those by discarding
//! them with `madvise(MADV_DONTNEED)` (module `discard`). The slot goes back
//! to the pool (module `free_slots`) still accessible up to where the memory ended
//! and still mapping its image. The next memory of the same module, taken
//! from the same slot, then needs at most one `mprotect` to match its
//! initial size. A memory with another image, or none, replaces the slot's
//! old mapping first.

mod discard;
mod free_slots;
mod tables;

pub use tables::{TablePool, TablePoolConfig};

use super::image::MemoryImage;
use super::memory::{MemoryConfig, MemoryError};
use discard::{reset, reset_changed};
use free_slots::FreeSlots;
use std::sync::Arc;

/// How many memories a pool holds and how each is reserved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolConfig {
    /// Slots: the most memories alive at once, across every store using it.
    pub memories: u32,
    /// Each slot's reservation and guard.
    pub memory: MemoryConfig,
    /// Bytes at the start of each slot whose written pages are restored by
    /// copying (from the image, or zero) when the slot is given back, and
    /// stay resident; written pages past them are discarded. Restoring a
    /// page costs a copy of it at each reuse; discarding it costs a page
    /// fault (and, with other threads running, a flush of their TLBs) when
    /// the next memory writes it again.
    pub keep_resident: usize,
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

/// Aligned to a cache line pair of its own, apart from the reference
/// counts before it, which every memory taken changes: threads reading the
/// pool while others count do not contend for the same line.
#[repr(align(128))]
struct Pool {
    /// Every slot's address space, one after the other.
    region: region::Allocation,
    /// Bytes from one slot's base to the next's.
    stride: usize,
    config: PoolConfig,
    /// Slots not in use.
    free: FreeSlots,
}

// SAFETY: the region is only read for its base address; the slots' pages
// are reached only through the memory holding the slot, which owns them
// exclusively, and the free lists are behind mutexes.
unsafe impl Send for Pool {}
// SAFETY: as above.
unsafe impl Sync for Pool {}

/// A slot and what its pages are when it is free.
#[derive(Debug, Clone)]
pub(crate) struct Slot {
    index: usize,
    /// Bytes from the base that are readable and writable.
    accessible: usize,
    /// The image mapped at the base, kept so that written pages can be
    /// restored from it.
    image: Option<Arc<MemoryImage>>,
}

impl Slot {
    /// The identity of the image the slot maps, if any.
    fn image_id(&self) -> Option<u64> {
        self.image.as_ref().map(|i| i.id())
    }
}

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
            free: FreeSlots::new(free),
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
        image: Option<&Arc<MemoryImage>>,
    ) -> Result<(*mut u8, Slot), MemoryError> {
        let want = image.map(|i| i.id());
        let mut slot = self.0.free.take(|s| s.image_id() == want).ok_or_else(|| {
            MemoryError::new(format!(
                "all {} memory slots of the pool are in use",
                self.0.config.memories
            ))
        })?;
        let base = self.base(slot.index);
        debug_assert!(bytes as u64 <= self.0.config.memory.reservation);
        if let Err(e) = self.prepare(base, &mut slot, bytes, image) {
            // Its pages are in an unknown state.
            self.renew(base, slot);
            return Err(e);
        }
        Ok((base, slot))
    }

    /// Maps `image` at `base` unless the slot already does, and makes the
    /// first `bytes` accessible and no more.
    fn prepare(
        &self,
        base: *mut u8,
        slot: &mut Slot,
        bytes: usize,
        image: Option<&Arc<MemoryImage>>,
    ) -> Result<(), MemoryError> {
        if slot.image_id() != image.map(|i| i.id()) {
            if slot.accessible > 0 || slot.image.is_some() {
                let mapped = slot
                    .accessible
                    .max(slot.image.as_ref().map_or(0, |i| i.len()));
                reset(base, mapped)?;
                slot.accessible = 0;
                slot.image = None;
            }
            if let Some(image) = image {
                map_image(base, image)?;
                slot.image = Some(image.clone());
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
    /// undoing what it wrote (see [`PoolConfig::keep_resident`]); with
    /// `suspect` (a failed change of protection may have left pages past
    /// `len` accessible), or when that fails, the whole slot is mapped
    /// afresh instead. A slot that cannot be reset either way is not reused.
    pub(crate) fn give_back(&self, base: *mut u8, mut slot: Slot, len: usize, suspect: bool) {
        let image = slot.image.as_deref().map_or(&[][..], |i| i.bytes());
        let keep = self.0.config.keep_resident;
        if !suspect && reset_changed(base, len, keep, image).is_ok() {
            slot.accessible = len;
            self.0.free.put(slot);
        } else {
            self.renew(base, slot);
        }
    }

    /// Maps the whole slot at `base` afresh, inaccessible and without an
    /// image, and puts it back ready; a slot that cannot be is not reused.
    fn renew(&self, base: *mut u8, mut slot: Slot) {
        if reset(base, self.0.stride).is_ok() {
            slot.accessible = 0;
            slot.image = None;
            self.0.free.put(slot);
        }
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

/// Maps `image` over the first bytes at `base`, private to the slot.
fn map_image(base: *mut u8, image: &MemoryImage) -> Result<(), MemoryError> {
    // SAFETY: `[base, base + image.len())` is in a slot the caller owns
    // (an image is no longer than the memory's initial size, which fits the
    // slot), and nothing references those pages.
    unsafe { image.map_at(base) }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::discard::scan;
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

    /// The bytes of an image of `pages` host pages (each distinct from
    /// zero), the image, a pool of one slot of 8 Wasm pages keeping `keep`
    /// bytes resident, and a memory type of `min` Wasm pages.
    fn one_slot(
        pages: usize,
        keep: usize,
        min: u64,
    ) -> (Vec<u8>, Arc<MemoryImage>, MemoryPool, MemoryType) {
        let bytes: Vec<u8> = (0..pages * PAGE).map(|i| (i % 251) as u8 + 1).collect();
        let image = Arc::new(MemoryImage::new(bytes.len() as u64, &[(0, &bytes)]).unwrap());
        let pool = MemoryPool::new(PoolConfig {
            memories: 1,
            memory: MemoryConfig {
                reservation: 8 * PAGE_SIZE,
                guard: 0,
            },
            keep_resident: keep,
        })
        .unwrap();
        let ty = MemoryType {
            limits: Limits { min, max: None },
            addr: AddrType::I32,
        };
        (bytes, image, pool, ty)
    }

    /// Asserts that `memory` is in the slot at `base` and reads as `bytes`,
    /// and zero past them.
    fn assert_fresh(memory: &LinearMemory, base: *mut u8, bytes: &[u8]) {
        assert_eq!(memory.base(), base, "the same slot");
        assert_eq!(&memory.data()[..bytes.len()], bytes, "the image again");
        assert!(
            memory.data()[bytes.len()..].iter().all(|&b| b == 0),
            "zero past the image"
        );
    }

    #[test]
    fn a_reused_slot_restores_written_pages_and_keeps_read_ones() {
        // 256 KiB of image; every written page is discarded.
        let (bytes, image, pool, ty) = one_slot(64, 0, 5);
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
        first.give_back(&pool);
        // Taking the slot again resets it first.
        let second = LinearMemory::pooled(&ty, &pool, Some(&image)).unwrap();
        if can_scan() {
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
        assert_fresh(&second, base, &bytes);
    }

    #[test]
    fn slots_given_back_are_reset_and_one_in_use_keeps_its_bytes() {
        let pool = MemoryPool::new(PoolConfig {
            memories: 3,
            memory: MemoryConfig {
                reservation: 4 * PAGE_SIZE,
                guard: 0,
            },
            // Half of each memory is restored by copying, half discarded.
            keep_resident: PAGE_SIZE as usize,
        })
        .unwrap();
        let ty = MemoryType {
            limits: Limits { min: 2, max: None },
            addr: AddrType::I32,
        };
        let mut memories: Vec<LinearMemory> = (0..3)
            .map(|_| LinearMemory::pooled(&ty, &pool, None).unwrap())
            .collect();
        memories.sort_by_key(|m| m.base() as usize);
        for (i, m) in memories.iter_mut().enumerate() {
            m.data_mut().fill(i as u8 + 1);
        }
        // The lowest and the highest go back; the one between stays in use.
        let mut middle = memories.remove(1);
        let (low, high) = (memories[0].base(), memories[1].base());
        for m in &mut memories {
            m.give_back(&pool);
        }
        let mut next = LinearMemory::pooled(&ty, &pool, None).unwrap();
        assert!([low, high].contains(&next.base()), "a slot given back");
        assert!(next.data().iter().all(|&b| b == 0), "reset to zero");
        assert!(
            middle.data().iter().all(|&b| b == 2),
            "the slot in use between keeps its bytes"
        );
        let other = LinearMemory::pooled(&ty, &pool, None).unwrap();
        assert!(other.data().iter().all(|&b| b == 0), "reset to zero");
        let full = LinearMemory::pooled(&ty, &pool, None).map(|_| ());
        assert_eq!(
            full.unwrap_err().to_string(),
            "all 3 memory slots of the pool are in use"
        );
        middle.give_back(&pool);
        next.give_back(&pool);
        let again = LinearMemory::pooled(&ty, &pool, None).unwrap();
        assert!(again.data().iter().all(|&b| b == 0), "reset to zero");
    }

    #[test]
    fn written_pages_within_keep_resident_are_restored_in_place() {
        // 64 KiB of image, 128 KiB kept resident, a memory of 256 KiB.
        let (bytes, image, pool, ty) = one_slot(16, 32 * PAGE, 4);
        let mut first = LinearMemory::pooled(&ty, &pool, Some(&image)).unwrap();
        let base = first.base();
        // In the image, past it among the resident bytes, and past those.
        for page in [3, 20, 40] {
            first.data_mut()[page * PAGE + 9] = 0xEE;
        }
        first.give_back(&pool);
        if can_scan() {
            assert!(mapped(base.wrapping_add(3 * PAGE)), "restored in place");
            assert!(mapped(base.wrapping_add(20 * PAGE)), "zeroed in place");
            assert!(
                !mapped(base.wrapping_add(40 * PAGE)),
                "discarded past the resident bytes"
            );
        }
        let second = LinearMemory::pooled(&ty, &pool, Some(&image)).unwrap();
        assert_fresh(&second, base, &bytes);
    }
}
