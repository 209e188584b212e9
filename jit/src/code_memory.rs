//! Executable memory for one module's code image: mapped writable, filled
//! with the image, then made executable and never writable again (W^X); or
//! the image mapped executable straight from a file that holds it. Unmapped
//! when dropped.

/// A module's code in executable memory. The mapping is private to it and
/// read-only from the moment [`CodeMemory::new`] returns.
pub struct CodeMemory {
    start: *mut u8,
    /// The mapping's length: the image's, rounded up to whole pages.
    mapped: usize,
}

// SAFETY: the memory is never written after `new` returns; the pointer is
// only read (as addresses of code) and unmapped once, on drop.
unsafe impl Send for CodeMemory {}
// SAFETY: as above.
unsafe impl Sync for CodeMemory {}

/// Mapping flags that fill a new mapping at once, where the system has them
/// (Linux); elsewhere pages are filled as the image is copied.
#[cfg(target_os = "linux")]
const POPULATE: libc::c_int = libc::MAP_POPULATE;
#[cfg(not(target_os = "linux"))]
const POPULATE: libc::c_int = 0;

/// The system's page size.
fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap_or(4096)
}

impl CodeMemory {
    /// Executable memory holding `image`, or the system's error.
    pub fn new(image: &[u8]) -> Result<CodeMemory, String> {
        let mapped = image.len().max(1).next_multiple_of(page_size());
        // SAFETY: a new anonymous private mapping, placed by the kernel: it
        // overlaps nothing of ours. Populated at once, since all of it is
        // written next.
        let start = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                mapped,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | POPULATE,
                -1,
                0,
            )
        };
        if start == libc::MAP_FAILED {
            return Err(format!(
                "cannot map {mapped} bytes for code: {}",
                std::io::Error::last_os_error()
            ));
        }
        let memory = CodeMemory {
            start: start.cast(),
            mapped,
        };
        // SAFETY: the mapping is `mapped >= image.len()` bytes, writable, and
        // no one else knows of it yet.
        unsafe { std::ptr::copy_nonoverlapping(image.as_ptr(), memory.start, image.len()) };
        // SAFETY: the range is exactly our mapping; from here on it is only
        // read and executed.
        let protected = unsafe { libc::mprotect(start, mapped, libc::PROT_READ | libc::PROT_EXEC) };
        if protected != 0 {
            return Err(format!(
                "cannot make code executable: {}",
                std::io::Error::last_os_error()
            ));
        }
        Ok(memory)
    }

    /// The `len` bytes of `file` from `offset` mapped executable, read-only
    /// and private, or `None` when they cannot be: the offset is not at a
    /// page boundary, or the system refuses (a file system mounted
    /// `noexec`, say). Nothing is copied: the code's pages are the file's
    /// pages in the page cache, shared with other processes mapping it, and
    /// read in as they run.
    ///
    /// # Safety
    /// Those bytes of the file are run as machine code: they must be a code
    /// image, and stay unchanged for as long as the memory lives (a
    /// private mapping still shows later writes to the file, and code
    /// past a truncation faults).
    pub unsafe fn map(file: &std::fs::File, offset: u64, len: usize) -> Option<CodeMemory> {
        use std::os::fd::AsRawFd;
        let page = page_size();
        if !offset.is_multiple_of(page as u64) || len == 0 {
            return None;
        }
        let mapped = len.next_multiple_of(page);
        // SAFETY: a new private mapping of the file, placed by the kernel,
        // never writable; the caller vouches for what it holds.
        let start = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                mapped,
                libc::PROT_READ | libc::PROT_EXEC,
                libc::MAP_PRIVATE,
                file.as_raw_fd(),
                libc::off_t::try_from(offset).ok()?,
            )
        };
        (start != libc::MAP_FAILED).then(|| CodeMemory {
            start: start.cast(),
            mapped,
        })
    }

    /// The address of the image's first byte.
    pub fn start(&self) -> usize {
        self.start as usize
    }
}

impl Drop for CodeMemory {
    fn drop(&mut self) {
        // SAFETY: the mapping is ours and unmapped once; whoever drops the
        // code memory guarantees none of it can run again (the JIT module
        // unregisters its code first and outlives every instance).
        unsafe { libc::munmap(self.start.cast(), self.mapped) };
    }
}
