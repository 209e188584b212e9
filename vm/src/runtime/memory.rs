//! Linear memories: a fixed reservation of address space with a guard region,
//! made accessible page by page as the memory grows.
//!
//! The base address never moves. A 32-bit memory reserves its whole 4 GiB
//! range plus a guard region by default, so compiled code may access
//! `base + u32 address + static offset` without a bounds check: anything past
//! the accessible length lands in inaccessible pages and faults. Hosts short of
//! address space configure a smaller reservation; the memory then cannot grow
//! past it, and code must check bounds explicitly.

use super::image::MemoryImage;
use super::pool::{MemoryPool, Slot};
use crate::types::{AddrType, MAX_PAGES, MemoryType, PAGE_SIZE};
use std::fmt;
use std::sync::Arc;

/// How much address space each linear memory reserves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryConfig {
    /// Bytes reserved for the memory's contents; growth past it fails.
    pub reservation: u64,
    /// Inaccessible bytes reserved after the contents' reservation.
    pub guard: u64,
}

impl MemoryConfig {
    /// The whole 4 GiB of a 32-bit memory plus a 32 MiB guard (as wasmtime
    /// reserves by default): compiled code checks no access whose static
    /// offset is under 32 MiB, and about 30,000 such memories fit the
    /// 128 TiB of a process's address space. The JIT's default.
    pub const GUARDED: MemoryConfig = MemoryConfig {
        reservation: 1 << 32,
        guard: 32 << 20,
    };

    /// Up to 4 GiB and no guard: for code that checks every access, as the
    /// interpreter's does. A memory then reserves no more than its declared
    /// maximum. The interpreter's default.
    pub const CHECKED: MemoryConfig = MemoryConfig {
        reservation: 1 << 32,
        guard: 0,
    };

    /// For a process whose address space is limited to `limit` bytes
    /// (`ulimit -v`): no guard, so compiled code checks every access, and
    /// reservations of a sixteenth of the limit (at most 4 GiB), so that
    /// several memories and the process's own mappings fit. A memory whose
    /// initial size is larger still reserves that size, and cannot grow.
    pub fn within_address_space(limit: u64) -> MemoryConfig {
        MemoryConfig {
            reservation: (limit / 16).clamp(PAGE_SIZE, 1 << 32) / PAGE_SIZE * PAGE_SIZE,
            guard: 0,
        }
    }

    /// The default for code that checks every access (`checked`, the
    /// interpreter's) or leans on the guard (the JIT's): [`Self::CHECKED`]
    /// or [`Self::GUARDED`], unless this process's address space is limited
    /// to less than [`LIMITED_ADDRESS_SPACE`], when it is
    /// [`Self::within_address_space`] the limit.
    pub fn default_for(checked: bool) -> MemoryConfig {
        match address_space_limit() {
            Some(limit) if limit < LIMITED_ADDRESS_SPACE => {
                MemoryConfig::within_address_space(limit)
            }
            _ if checked => MemoryConfig::CHECKED,
            _ => MemoryConfig::GUARDED,
        }
    }

    /// Whether every access `base + addr + offset` of `size` bytes, for any
    /// 32-bit `addr`, lands in the reservation or its guard, so that compiled
    /// code needs no bounds check for it.
    pub fn guard_covers(&self, offset: u64, size: u64) -> bool {
        self.reservation >= 1 << 32 && offset.saturating_add(size) <= self.guard
    }

    /// Whether memories made with this configuration catch, by their guard,
    /// every access that code compiled for `assumed` leaves unchecked.
    pub fn covers(&self, assumed: &MemoryConfig) -> bool {
        assumed.reservation < 1 << 32
            || (self.reservation >= 1 << 32 && self.guard >= assumed.guard)
    }
}

/// An address-space limit under which the default memories are small and
/// checked: 1 TiB, room for about 250 guarded memories.
pub const LIMITED_ADDRESS_SPACE: u64 = 1 << 40;

/// The soft limit on this process's address space (`RLIMIT_AS`, what
/// `ulimit -v` sets), in bytes; `None` when there is none.
pub fn address_space_limit() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes one `rlimit` through a pointer to a live,
    // writable one, and reads nothing else.
    let status = unsafe { libc::getrlimit(libc::RLIMIT_AS, &mut limit) };
    (status == 0 && limit.rlim_cur != libc::RLIM_INFINITY).then_some(limit.rlim_cur)
}

impl Default for MemoryConfig {
    fn default() -> Self {
        MemoryConfig::GUARDED
    }
}

/// Why a memory could not be created.
#[derive(Debug)]
pub struct MemoryError(String);

impl fmt::Display for MemoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for MemoryError {}

impl MemoryError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        MemoryError(message.into())
    }
}

/// What compiled code reads of a memory: its base and current length. It
/// lives in its own allocation, so its address stays put while the store's
/// memories move; `grow` keeps it current.
#[repr(C)]
#[derive(Debug)]
pub struct VMMemory {
    /// The base address.
    pub base: *mut u8,
    /// Accessible bytes.
    pub len: usize,
}

/// Where a memory's address space comes from.
enum Backing {
    /// A reservation of its own, released with it.
    Reserved(region::Allocation),
    /// A slot of a pool, until the store holding the memory gives it back
    /// (what it wrote undone) to the pool, which the store holds: so a
    /// memory need not count a reference to the pool, which threads making
    /// memories at once would contend for. (A memory dropped still holding
    /// its slot takes the slot out of use until the pool is dropped.)
    Pooled(Option<Slot>),
}

/// A linear memory.
pub struct LinearMemory {
    /// The reservation or pool slot; inaccessible beyond `len`.
    backing: Backing,
    /// The base address.
    base: *mut u8,
    /// Accessible bytes (a multiple of the page size).
    len: usize,
    /// The most pages it may grow to (from its type, the spec and the reservation).
    max_pages: u64,
    /// The maximum its type declares, for import matching.
    declared_max: Option<u64>,
    /// The type of its addresses, for import matching.
    addr: AddrType,
    /// Base and length for compiled code.
    vm: Box<VMMemory>,
    /// Whether pages past `len` may be accessible (a growth failed midway
    /// and could not be undone): a pool slot is then mapped afresh.
    suspect: bool,
}

// SAFETY: the memory owns its reservation or slot exclusively; the raw
// pointers to it are only dereferenced through `&self`/`&mut self` methods.
unsafe impl Send for LinearMemory {}
// SAFETY: shared references only read the accessible bytes; mutation needs `&mut self`.
unsafe impl Sync for LinearMemory {}

impl fmt::Debug for LinearMemory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LinearMemory")
            .field("pages", &self.pages())
            .field("max_pages", &self.max_pages)
            .field(
                "reserved",
                &match &self.backing {
                    Backing::Reserved(region) => Some(region.len()),
                    Backing::Pooled(..) => None,
                },
            )
            .finish()
    }
}

impl LinearMemory {
    /// Reserves address space for a memory of type `ty` and makes its
    /// initial pages accessible; with `image`, its first bytes are the
    /// image's, mapped copy-on-write.
    pub fn new(
        ty: &MemoryType,
        config: &MemoryConfig,
        image: Option<&MemoryImage>,
    ) -> Result<Self, MemoryError> {
        // Without a guard no code relies on the reservation's extent: it
        // holds what the memory can grow to, no more, and at least its
        // initial size.
        let (max_pages, config) = if config.guard == 0 {
            let at_least_min = MemoryConfig {
                reservation: config
                    .reservation
                    .max(ty.limits.min.saturating_mul(PAGE_SIZE)),
                guard: 0,
            };
            let max_pages = Self::max_pages_of(ty, &at_least_min)?;
            let config = MemoryConfig {
                reservation: max_pages * PAGE_SIZE,
                guard: 0,
            };
            (max_pages, config)
        } else {
            (Self::max_pages_of(ty, config)?, *config)
        };
        let total = config
            .reservation
            .checked_add(config.guard)
            .and_then(|t| usize::try_from(t).ok())
            .ok_or_else(|| MemoryError("reservation too large for this platform".into()))?;
        let region = region::alloc(total.max(region::page::size()), region::Protection::NONE)
            .map_err(|e| {
                MemoryError(format!(
                    "cannot reserve {total} bytes of address space: {e}"
                ))
            })?;
        let base = region.as_ptr::<u8>() as *mut u8;
        let mut mem = LinearMemory::with_backing(Backing::Reserved(region), base, ty, max_pages);
        if mem.grow(ty.limits.min).is_none() {
            return Err(MemoryError(format!(
                "cannot commit {} pages of linear memory",
                ty.limits.min
            )));
        }
        if let Some(image) = image {
            if image.len() > mem.len {
                return Err(MemoryError::new("a memory image larger than the memory"));
            }
            // SAFETY: `[base, base + image.len())` lies in the accessible
            // part of the reservation (checked above), which nothing else
            // maps or references yet; its release unmaps the image with
            // the rest.
            unsafe { image.map_at(base)? };
        }
        Ok(mem)
    }

    /// A memory of type `ty` in a slot of `pool`, its first bytes mapped
    /// copy-on-write from `image` when there is one; its slot goes back to
    /// the pool through [`LinearMemory::give_back`].
    pub(crate) fn pooled(
        ty: &MemoryType,
        pool: &MemoryPool,
        image: Option<&Arc<MemoryImage>>,
    ) -> Result<Self, MemoryError> {
        let max_pages = Self::max_pages_of(ty, &pool.memory_config())?;
        let len = (ty.limits.min * PAGE_SIZE) as usize;
        if image.is_some_and(|i| i.len() > len) {
            return Err(MemoryError::new("a memory image larger than the memory"));
        }
        let (base, slot) = pool.take(len, image)?;
        let mut mem = LinearMemory::with_backing(Backing::Pooled(Some(slot)), base, ty, max_pages);
        mem.len = len;
        mem.vm.len = len;
        Ok(mem)
    }

    /// Gives a pooled memory's slot back to `pool`, the pool it was taken
    /// from, undoing what the memory wrote; nothing for a memory with a
    /// reservation of its own. The memory has no accessible bytes after.
    pub(crate) fn give_back(&mut self, pool: &MemoryPool) {
        if let Backing::Pooled(slot) = &mut self.backing
            && let Some(slot) = slot.take()
        {
            pool.give_back(self.base, slot, self.len, self.suspect);
            self.len = 0;
            self.vm.len = 0;
        }
    }

    /// The most pages a memory of `ty` may grow to in a reservation made
    /// as `config` says; an error when its initial size does not fit.
    fn max_pages_of(ty: &MemoryType, config: &MemoryConfig) -> Result<u64, MemoryError> {
        let max_pages = ty
            .limits
            .max
            .unwrap_or(MAX_PAGES)
            .min(MAX_PAGES)
            .min(config.reservation / PAGE_SIZE);
        if ty.limits.min > max_pages {
            return Err(MemoryError(format!(
                "memory of {} pages does not fit a reservation of {} bytes",
                ty.limits.min, config.reservation
            )));
        }
        Ok(max_pages)
    }

    /// A memory with no accessible bytes yet at `base`, in `backing`.
    fn with_backing(backing: Backing, base: *mut u8, ty: &MemoryType, max_pages: u64) -> Self {
        LinearMemory {
            backing,
            base,
            len: 0,
            max_pages,
            declared_max: ty.limits.max,
            addr: ty.addr,
            vm: Box::new(VMMemory { base, len: 0 }),
            suspect: false,
        }
    }

    /// The current size in pages.
    pub fn pages(&self) -> u64 {
        self.len as u64 / PAGE_SIZE
    }

    /// The current size in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the memory has no accessible bytes.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The most pages this memory may grow to.
    pub fn max_pages(&self) -> u64 {
        self.max_pages
    }

    /// The base and length that compiled code reads; the address is stable.
    pub fn vm_memory(&self) -> *const VMMemory {
        &*self.vm
    }

    /// The maximum size its type declares, if any.
    pub fn declared_max(&self) -> Option<u64> {
        self.declared_max
    }

    /// The type of its addresses.
    pub fn addr(&self) -> AddrType {
        self.addr
    }

    /// The base address; it never changes.
    pub fn base(&self) -> *mut u8 {
        self.base
    }

    /// Grows the memory by `delta` pages; returns the old size in pages, or
    /// `None` (what `memory.grow` reports as -1) when it cannot.
    pub fn grow(&mut self, delta: u64) -> Option<u64> {
        let old = self.pages();
        let new = old.checked_add(delta)?;
        if new > self.max_pages {
            return None;
        }
        if delta == 0 {
            return Some(old);
        }
        let new_len = (new * PAGE_SIZE) as usize;
        // SAFETY: `[base + len, base + new_len)` lies inside our reservation
        // (new ≤ max_pages ≤ reservation / PAGE_SIZE) and nothing else maps there.
        let result = unsafe {
            region::protect(
                self.base().add(self.len),
                new_len - self.len,
                region::Protection::READ_WRITE,
            )
        };
        if result.is_err() {
            // A change of protection over several mappings may fail midway,
            // leaving some of the pages accessible: take them back, and if
            // even that fails, never trust the reservation again.
            // SAFETY: as above.
            let back = unsafe {
                region::protect(
                    self.base().add(self.len),
                    new_len - self.len,
                    region::Protection::NONE,
                )
            };
            self.suspect |= back.is_err();
            return None;
        }
        self.len = new_len;
        self.vm.len = new_len;
        Some(old)
    }

    /// The accessible bytes.
    pub fn data(&self) -> &[u8] {
        // SAFETY: the first `len` bytes of the reservation are readable and writable,
        // and `&self` guarantees no `&mut` to them exists.
        unsafe { std::slice::from_raw_parts(self.base(), self.len) }
    }

    /// The accessible bytes, mutably.
    pub fn data_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `data`, and `&mut self` makes this the only reference.
        unsafe { std::slice::from_raw_parts_mut(self.base(), self.len) }
    }

    /// The `N` bytes at `addr + offset`, or `None` when out of bounds.
    #[inline]
    pub fn load<const N: usize>(&self, addr: u32, offset: u32) -> Option<[u8; N]> {
        let start = addr as usize + offset as usize;
        let bytes = self.data().get(start..start.checked_add(N)?)?;
        Some(bytes.try_into().expect("slice of length N"))
    }

    /// Writes `bytes` at `addr + offset`; `None` (and nothing written) when out of bounds.
    #[inline]
    pub fn store<const N: usize>(&mut self, addr: u32, offset: u32, bytes: [u8; N]) -> Option<()> {
        let start = addr as usize + offset as usize;
        let end = start.checked_add(N)?;
        self.data_mut().get_mut(start..end)?.copy_from_slice(&bytes);
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Limits;

    fn ty(min: u64, max: Option<u64>) -> MemoryType {
        MemoryType {
            limits: Limits { min, max },
            addr: AddrType::I32,
        }
    }

    #[test]
    fn grows_in_place_up_to_its_maximum() {
        let mut m = LinearMemory::new(&ty(1, Some(3)), &MemoryConfig::default(), None).unwrap();
        let base = m.base();
        assert_eq!(m.pages(), 1);
        assert_eq!(m.grow(2), Some(1));
        assert_eq!(m.pages(), 3);
        assert_eq!(m.grow(1), None);
        assert_eq!(m.base(), base, "the base never moves");
        m.store(0, 3 * 65536 - 4, [1, 2, 3, 4]).unwrap();
        assert_eq!(m.load::<4>(3 * 65536 - 4, 0), Some([1, 2, 3, 4]));
    }

    #[test]
    fn accesses_past_the_end_are_refused() {
        let mut m = LinearMemory::new(&ty(1, None), &MemoryConfig::default(), None).unwrap();
        assert_eq!(m.load::<4>(65533, 0), None);
        assert_eq!(m.load::<1>(u32::MAX, u32::MAX), None);
        assert_eq!(m.store(65535, 1, [0u8]), None);
        assert_eq!(m.load::<1>(65535, 0), Some([0]));
    }

    #[test]
    fn a_small_reservation_caps_growth() {
        let config = MemoryConfig {
            reservation: 4 * 65536,
            guard: 65536,
        };
        let mut m = LinearMemory::new(&ty(1, None), &config, None).unwrap();
        assert_eq!(m.max_pages(), 4);
        assert_eq!(m.grow(3), Some(1));
        assert_eq!(m.grow(1), None);
        assert!(LinearMemory::new(&ty(5, None), &config, None).is_err());
    }

    #[test]
    fn new_pages_read_as_zero() {
        let mut m = LinearMemory::new(&ty(0, None), &MemoryConfig::default(), None).unwrap();
        assert!(m.is_empty());
        m.grow(2).unwrap();
        assert!(m.data().iter().all(|&b| b == 0));
    }
}
