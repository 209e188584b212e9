//! Thin, safe wrappers over the libc calls the host makes. Each returns the
//! WASI errno of a failure; `EINTR` is retried where a retry is harmless.
//!
//! Everything that names a file takes a directory descriptor and a single
//! path component, never a host path: path resolution (see `path.rs`) walks
//! the components one by one and only then calls these.

use crate::errno::Errno;
use std::ffi::{CStr, CString};
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

/// `O_PATH` where the platform has it: a descriptor that only names a
/// directory for `*at` calls, needing search permission but not read.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub const O_PATH: libc::c_int = libc::O_PATH;
/// `O_PATH` where the platform has it (not here: a plain read-only open).
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub const O_PATH: libc::c_int = libc::O_RDONLY;

fn cstr(name: &[u8]) -> Result<CString, Errno> {
    CString::new(name).map_err(|_| Errno::Inval)
}

fn check(r: libc::c_int) -> Result<libc::c_int, Errno> {
    if r < 0 { Err(Errno::last()) } else { Ok(r) }
}

fn check_size(r: libc::ssize_t) -> Result<usize, Errno> {
    if r < 0 {
        Err(Errno::last())
    } else {
        Ok(r as usize)
    }
}

/// Repeats `f` while it fails with `EINTR`.
fn retry<T>(mut f: impl FnMut() -> Result<T, Errno>) -> Result<T, Errno> {
    loop {
        match f() {
            Err(Errno::Intr) => continue,
            r => return r,
        }
    }
}

/// `openat(dir, name, flags, mode)`; `O_CLOEXEC` is always added.
pub fn openat(
    dir: BorrowedFd<'_>,
    name: &[u8],
    flags: libc::c_int,
    mode: libc::mode_t,
) -> Result<OwnedFd, Errno> {
    let c = cstr(name)?;
    retry(|| {
        // SAFETY: `c` is a NUL-terminated string that outlives the call; `dir` is open.
        let fd = check(unsafe {
            libc::openat(
                dir.as_raw_fd(),
                c.as_ptr(),
                flags | libc::O_CLOEXEC,
                libc::c_uint::from(mode),
            )
        })?;
        // SAFETY: `openat` just returned this descriptor, and nothing else owns it.
        Ok(unsafe { OwnedFd::from_raw_fd(fd) })
    })
}

/// `readlinkat(dir, name)`: the link's target, whole.
pub fn readlinkat(dir: BorrowedFd<'_>, name: &[u8]) -> Result<Vec<u8>, Errno> {
    let c = cstr(name)?;
    let mut buf = vec![0u8; 256];
    loop {
        // SAFETY: `buf` is writable for `buf.len()` bytes; `c` is NUL-terminated.
        let n = check_size(unsafe {
            libc::readlinkat(
                dir.as_raw_fd(),
                c.as_ptr(),
                buf.as_mut_ptr().cast(),
                buf.len(),
            )
        })?;
        if n < buf.len() {
            buf.truncate(n);
            return Ok(buf);
        }
        if buf.len() >= 1 << 20 {
            return Err(Errno::Nametoolong);
        }
        let len = buf.len() * 2;
        buf.resize(len, 0);
    }
}

/// `fstatat(dir, name)`, not following a final symbolic link.
pub fn lstatat(dir: BorrowedFd<'_>, name: &[u8]) -> Result<libc::stat, Errno> {
    let c = cstr(name)?;
    let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: `st` is writable for one `stat`; `c` is NUL-terminated.
    check(unsafe {
        libc::fstatat(
            dir.as_raw_fd(),
            c.as_ptr(),
            st.as_mut_ptr(),
            libc::AT_SYMLINK_NOFOLLOW,
        )
    })?;
    // SAFETY: `fstatat` succeeded, so it filled `st`.
    Ok(unsafe { st.assume_init() })
}

/// `fstat(fd)`.
pub fn fstat(fd: BorrowedFd<'_>) -> Result<libc::stat, Errno> {
    let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: `st` is writable for one `stat`; `fd` is open.
    check(unsafe { libc::fstat(fd.as_raw_fd(), st.as_mut_ptr()) })?;
    // SAFETY: `fstat` succeeded, so it filled `st`.
    Ok(unsafe { st.assume_init() })
}

/// `mkdirat(dir, name, 0o777)` (less the host's umask).
pub fn mkdirat(dir: BorrowedFd<'_>, name: &[u8]) -> Result<(), Errno> {
    let c = cstr(name)?;
    // SAFETY: `c` is NUL-terminated; `dir` is open.
    check(unsafe { libc::mkdirat(dir.as_raw_fd(), c.as_ptr(), 0o777) }).map(drop)
}

/// `unlinkat(dir, name, flags)`.
pub fn unlinkat(dir: BorrowedFd<'_>, name: &[u8], flags: libc::c_int) -> Result<(), Errno> {
    let c = cstr(name)?;
    // SAFETY: `c` is NUL-terminated; `dir` is open.
    check(unsafe { libc::unlinkat(dir.as_raw_fd(), c.as_ptr(), flags) }).map(drop)
}

/// `renameat(old_dir, old, new_dir, new)`.
pub fn renameat(
    old_dir: BorrowedFd<'_>,
    old: &[u8],
    new_dir: BorrowedFd<'_>,
    new: &[u8],
) -> Result<(), Errno> {
    let (o, n) = (cstr(old)?, cstr(new)?);
    // SAFETY: both names are NUL-terminated; both directories are open.
    check(unsafe {
        libc::renameat(
            old_dir.as_raw_fd(),
            o.as_ptr(),
            new_dir.as_raw_fd(),
            n.as_ptr(),
        )
    })
    .map(drop)
}

/// `linkat(old_dir, old, new_dir, new, 0)`: never follows a symbolic link.
pub fn linkat(
    old_dir: BorrowedFd<'_>,
    old: &[u8],
    new_dir: BorrowedFd<'_>,
    new: &[u8],
) -> Result<(), Errno> {
    let (o, n) = (cstr(old)?, cstr(new)?);
    // SAFETY: both names are NUL-terminated; both directories are open.
    check(unsafe {
        libc::linkat(
            old_dir.as_raw_fd(),
            o.as_ptr(),
            new_dir.as_raw_fd(),
            n.as_ptr(),
            0,
        )
    })
    .map(drop)
}

/// `symlinkat(target, dir, name)`.
pub fn symlinkat(target: &[u8], dir: BorrowedFd<'_>, name: &[u8]) -> Result<(), Errno> {
    let (t, n) = (cstr(target)?, cstr(name)?);
    // SAFETY: both strings are NUL-terminated; `dir` is open.
    check(unsafe { libc::symlinkat(t.as_ptr(), dir.as_raw_fd(), n.as_ptr()) }).map(drop)
}

/// `utimensat(dir, name, times, AT_SYMLINK_NOFOLLOW)`.
pub fn utimensat(
    dir: BorrowedFd<'_>,
    name: &[u8],
    times: &[libc::timespec; 2],
) -> Result<(), Errno> {
    let c = cstr(name)?;
    // SAFETY: `times` points to two timespecs; `c` is NUL-terminated.
    check(unsafe {
        libc::utimensat(
            dir.as_raw_fd(),
            c.as_ptr(),
            times.as_ptr(),
            libc::AT_SYMLINK_NOFOLLOW,
        )
    })
    .map(drop)
}

/// `futimens(fd, times)`.
pub fn futimens(fd: BorrowedFd<'_>, times: &[libc::timespec; 2]) -> Result<(), Errno> {
    // SAFETY: `times` points to two timespecs; `fd` is open.
    check(unsafe { libc::futimens(fd.as_raw_fd(), times.as_ptr()) }).map(drop)
}

/// `ftruncate(fd, len)`.
pub fn ftruncate(fd: BorrowedFd<'_>, len: u64) -> Result<(), Errno> {
    let len = libc::off_t::try_from(len).map_err(|_| Errno::Fbig)?;
    // SAFETY: plain integer arguments; `fd` is open.
    retry(|| check(unsafe { libc::ftruncate(fd.as_raw_fd(), len) }).map(drop))
}

/// `fsync(fd)`.
pub fn fsync(fd: BorrowedFd<'_>) -> Result<(), Errno> {
    // SAFETY: `fd` is open.
    retry(|| check(unsafe { libc::fsync(fd.as_raw_fd()) }).map(drop))
}

/// `fdatasync(fd)`.
pub fn fdatasync(fd: BorrowedFd<'_>) -> Result<(), Errno> {
    // SAFETY: `fd` is open.
    retry(|| check(unsafe { libc::fdatasync(fd.as_raw_fd()) }).map(drop))
}

/// `posix_fadvise(fd, offset, len, advice)`; advice as WASI numbers it.
pub fn fadvise(fd: BorrowedFd<'_>, offset: u64, len: u64, advice: u8) -> Result<(), Errno> {
    let advice = match advice {
        0 => libc::POSIX_FADV_NORMAL,
        1 => libc::POSIX_FADV_SEQUENTIAL,
        2 => libc::POSIX_FADV_RANDOM,
        3 => libc::POSIX_FADV_WILLNEED,
        4 => libc::POSIX_FADV_DONTNEED,
        5 => libc::POSIX_FADV_NOREUSE,
        _ => return Err(Errno::Inval),
    };
    let offset = libc::off_t::try_from(offset).map_err(|_| Errno::Inval)?;
    let len = libc::off_t::try_from(len).map_err(|_| Errno::Inval)?;
    // SAFETY: plain integer arguments; `fd` is open. It returns the error number.
    match unsafe { libc::posix_fadvise(fd.as_raw_fd(), offset, len, advice) } {
        0 => Ok(()),
        e => Err(Errno::from_host(e)),
    }
}

/// Makes sure `[offset, offset + len)` is allocated, growing the file if
/// needed; falls back to growing with `ftruncate` where the file system has
/// no `posix_fallocate`.
pub fn fallocate(fd: BorrowedFd<'_>, offset: u64, len: u64) -> Result<(), Errno> {
    let end = offset.checked_add(len).ok_or(Errno::Fbig)?;
    let off = libc::off_t::try_from(offset).map_err(|_| Errno::Fbig)?;
    let l = libc::off_t::try_from(len).map_err(|_| Errno::Fbig)?;
    libc::off_t::try_from(end).map_err(|_| Errno::Fbig)?;
    // SAFETY: plain integer arguments; `fd` is open. It returns the error number.
    match unsafe { libc::posix_fallocate(fd.as_raw_fd(), off, l) } {
        0 => Ok(()),
        e if e == libc::EOPNOTSUPP => {
            let size = fstat(fd)?.st_size as u64;
            if end > size {
                ftruncate(fd, end)
            } else {
                Ok(())
            }
        }
        e => Err(Errno::from_host(e)),
    }
}

/// `lseek(fd, offset, whence)`; whence as WASI numbers it.
pub fn lseek(fd: BorrowedFd<'_>, offset: i64, whence: u8) -> Result<u64, Errno> {
    let whence = match whence {
        0 => libc::SEEK_SET,
        1 => libc::SEEK_CUR,
        2 => libc::SEEK_END,
        _ => return Err(Errno::Inval),
    };
    // SAFETY: plain integer arguments; `fd` is open.
    let r = unsafe { libc::lseek(fd.as_raw_fd(), offset as libc::off_t, whence) };
    if r < 0 {
        Err(Errno::last())
    } else {
        Ok(r as u64)
    }
}

/// The most buffers one vectored call passes (Linux's `IOV_MAX`); a longer
/// list is cut, which reads and writes may do (they report a short count).
pub const IOV_MAX: usize = 1024;

/// An I/O vector pointing into guest memory. The pointers are derived from
/// the guest memory's base and checked ranges; see `ctx.rs`.
pub type IoVec = libc::iovec;

fn iov_len(iov: &[IoVec]) -> libc::c_int {
    iov.len().min(IOV_MAX) as libc::c_int
}

/// `readv(fd, iov)`.
pub fn readv(fd: BorrowedFd<'_>, iov: &[IoVec]) -> Result<usize, Errno> {
    // SAFETY: every iovec names a writable range of guest memory (checked by the caller).
    retry(|| check_size(unsafe { libc::readv(fd.as_raw_fd(), iov.as_ptr(), iov_len(iov)) }))
}

/// `writev(fd, iov)`.
pub fn writev(fd: BorrowedFd<'_>, iov: &[IoVec]) -> Result<usize, Errno> {
    // SAFETY: every iovec names a readable range of guest memory (checked by the caller).
    retry(|| check_size(unsafe { libc::writev(fd.as_raw_fd(), iov.as_ptr(), iov_len(iov)) }))
}

/// `preadv(fd, iov, offset)`.
pub fn preadv(fd: BorrowedFd<'_>, iov: &[IoVec], offset: u64) -> Result<usize, Errno> {
    let off = libc::off_t::try_from(offset).map_err(|_| Errno::Inval)?;
    // SAFETY: as in `readv`.
    retry(|| check_size(unsafe { libc::preadv(fd.as_raw_fd(), iov.as_ptr(), iov_len(iov), off) }))
}

/// `pwritev(fd, iov, offset)`.
pub fn pwritev(fd: BorrowedFd<'_>, iov: &[IoVec], offset: u64) -> Result<usize, Errno> {
    let off = libc::off_t::try_from(offset).map_err(|_| Errno::Inval)?;
    // SAFETY: as in `writev`.
    retry(|| check_size(unsafe { libc::pwritev(fd.as_raw_fd(), iov.as_ptr(), iov_len(iov), off) }))
}

/// `recvmsg(fd)` into `iov`: the byte count and the message flags.
pub fn recvmsg(
    fd: BorrowedFd<'_>,
    iov: &mut [IoVec],
    flags: libc::c_int,
) -> Result<(usize, libc::c_int), Errno> {
    retry(|| {
        // SAFETY: an all-zero msghdr is valid (no name, no control data).
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_iov = iov.as_mut_ptr();
        msg.msg_iovlen = iov.len().min(IOV_MAX) as _;
        // SAFETY: `msg` points to iovecs naming writable guest memory.
        let n = check_size(unsafe { libc::recvmsg(fd.as_raw_fd(), &mut msg, flags) })?;
        Ok((n, msg.msg_flags))
    })
}

/// `sendmsg(fd)` from `iov`, never raising `SIGPIPE`.
pub fn sendmsg(fd: BorrowedFd<'_>, iov: &mut [IoVec]) -> Result<usize, Errno> {
    retry(|| {
        // SAFETY: an all-zero msghdr is valid (no name, no control data).
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_iov = iov.as_mut_ptr();
        msg.msg_iovlen = iov.len().min(IOV_MAX) as _;
        // SAFETY: `msg` points to iovecs naming readable guest memory.
        check_size(unsafe { libc::sendmsg(fd.as_raw_fd(), &msg, libc::MSG_NOSIGNAL) })
    })
}

/// `accept4(fd)`, the new socket close-on-exec and non-blocking if asked.
pub fn accept(fd: BorrowedFd<'_>, nonblock: bool) -> Result<OwnedFd, Errno> {
    let flags = libc::SOCK_CLOEXEC | if nonblock { libc::SOCK_NONBLOCK } else { 0 };
    retry(|| {
        // SAFETY: null address pointers ask for no peer address.
        let s = check(unsafe {
            libc::accept4(
                fd.as_raw_fd(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                flags,
            )
        })?;
        // SAFETY: `accept4` just returned this descriptor, and nothing else owns it.
        Ok(unsafe { OwnedFd::from_raw_fd(s) })
    })
}

/// Whether `fd` is a terminal.
pub fn isatty(fd: BorrowedFd<'_>) -> bool {
    // SAFETY: `isatty` only reads the descriptor number; `fd` is open.
    unsafe { libc::isatty(fd.as_raw_fd()) == 1 }
}

/// A close-on-exec duplicate of the host process's descriptor `fd`
/// (numbered 3 or above), or `None` when the host has no such descriptor.
pub fn dup_host(fd: RawFd) -> Option<OwnedFd> {
    // SAFETY: F_DUPFD_CLOEXEC only reads `fd`; it fails harmlessly when `fd` is not open.
    let new = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 3) };
    if new < 0 {
        return None;
    }
    // SAFETY: `fcntl` just returned this descriptor, and nothing else owns it.
    Some(unsafe { OwnedFd::from_raw_fd(new) })
}

/// `shutdown(fd, how)`.
pub fn shutdown(fd: BorrowedFd<'_>, how: libc::c_int) -> Result<(), Errno> {
    // SAFETY: plain integer arguments; `fd` is open.
    check(unsafe { libc::shutdown(fd.as_raw_fd(), how) }).map(drop)
}

/// The socket type (`SOCK_STREAM`, `SOCK_DGRAM`) of `fd`.
pub fn socket_type(fd: BorrowedFd<'_>) -> Result<libc::c_int, Errno> {
    let mut ty: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `ty` and `len` are valid for writes of their sizes.
    check(unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_TYPE,
            (&mut ty as *mut libc::c_int).cast(),
            &mut len,
        )
    })?;
    Ok(ty)
}

/// The file status flags (`F_GETFL`) of `fd`.
pub fn get_fl(fd: BorrowedFd<'_>) -> Result<libc::c_int, Errno> {
    // SAFETY: plain integer arguments; `fd` is open.
    check(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) })
}

/// Sets the file status flags (`F_SETFL`) of `fd`.
pub fn set_fl(fd: BorrowedFd<'_>, flags: libc::c_int) -> Result<(), Errno> {
    // SAFETY: plain integer arguments; `fd` is open.
    check(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, flags) }).map(drop)
}

/// How many bytes can be read from `fd` without blocking (`FIONREAD`).
pub fn bytes_readable(fd: BorrowedFd<'_>) -> Option<u64> {
    let mut n: libc::c_int = 0;
    // SAFETY: FIONREAD writes one int to `n`.
    let r = unsafe { libc::ioctl(fd.as_raw_fd(), libc::FIONREAD, &mut n) };
    (r == 0).then_some(n.max(0) as u64)
}

/// One entry of a directory listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    /// Its name.
    pub name: Vec<u8>,
    /// Its inode number.
    pub ino: u64,
    /// Its WASI file type.
    pub filetype: u8,
}

/// Every entry of directory `dir`, `.` and `..` included, in the order the
/// host lists them.
pub fn read_dir(dir: BorrowedFd<'_>) -> Result<Vec<DirEntry>, Errno> {
    // A fresh descriptor, so the listing starts at the beginning and
    // `closedir` closes ours, not the guest's.
    let fd = openat(dir, b".", libc::O_RDONLY | libc::O_DIRECTORY, 0)?;
    let raw: RawFd = std::os::fd::IntoRawFd::into_raw_fd(fd);
    // SAFETY: `raw` is an open directory descriptor that we own; on success
    // the stream owns it.
    let stream = unsafe { libc::fdopendir(raw) };
    if stream.is_null() {
        let e = Errno::last();
        // SAFETY: `fdopendir` failed, so `raw` is still ours to close.
        unsafe { libc::close(raw) };
        return Err(e);
    }
    let mut out = Vec::new();
    let result = loop {
        // SAFETY: resetting errno distinguishes the end of the stream from an error.
        unsafe { *errno_location() = 0 };
        // SAFETY: `stream` is an open directory stream.
        let ent = unsafe { libc::readdir(stream) };
        if ent.is_null() {
            // SAFETY: reads this thread's errno.
            let e = unsafe { *errno_location() };
            break if e == 0 {
                Ok(())
            } else {
                Err(Errno::from_host(e))
            };
        }
        // SAFETY: `readdir` returned a valid entry whose name is NUL-terminated;
        // we copy what we need before the next call.
        let (name, ino, d_type) = unsafe {
            (
                CStr::from_ptr((*ent).d_name.as_ptr()).to_bytes().to_vec(),
                (*ent).d_ino as u64,
                (*ent).d_type,
            )
        };
        let filetype = match d_type {
            libc::DT_DIR => crate::types::filetype::DIRECTORY,
            libc::DT_REG => crate::types::filetype::REGULAR_FILE,
            libc::DT_LNK => crate::types::filetype::SYMBOLIC_LINK,
            libc::DT_CHR => crate::types::filetype::CHARACTER_DEVICE,
            libc::DT_BLK => crate::types::filetype::BLOCK_DEVICE,
            libc::DT_SOCK => crate::types::filetype::SOCKET_STREAM,
            libc::DT_FIFO => crate::types::filetype::UNKNOWN,
            // SAFETY: `stream`'s descriptor is an open directory.
            _ => match lstatat(
                unsafe { BorrowedFd::borrow_raw(libc::dirfd(stream)) },
                &name,
            ) {
                Ok(st) => filetype_of(st.st_mode),
                Err(_) => crate::types::filetype::UNKNOWN,
            },
        };
        out.push(DirEntry {
            name,
            ino,
            filetype,
        });
    };
    // SAFETY: `stream` is open and closed exactly once, here.
    unsafe { libc::closedir(stream) };
    result.map(|()| out)
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn errno_location() -> *mut libc::c_int {
    // SAFETY: returns the calling thread's errno slot; always valid.
    unsafe { libc::__errno_location() }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn errno_location() -> *mut libc::c_int {
    // SAFETY: returns the calling thread's errno slot; always valid.
    unsafe { libc::__error() }
}

/// The WASI file type of a `st_mode`.
pub fn filetype_of(mode: libc::mode_t) -> u8 {
    use crate::types::filetype;
    match mode & libc::S_IFMT {
        libc::S_IFDIR => filetype::DIRECTORY,
        libc::S_IFREG => filetype::REGULAR_FILE,
        libc::S_IFLNK => filetype::SYMBOLIC_LINK,
        libc::S_IFCHR => filetype::CHARACTER_DEVICE,
        libc::S_IFBLK => filetype::BLOCK_DEVICE,
        libc::S_IFSOCK => filetype::SOCKET_STREAM,
        _ => filetype::UNKNOWN,
    }
}

/// Fills `buf` with random bytes from the host's generator.
pub fn fill_random(buf: &mut [u8]) -> Result<(), Errno> {
    let mut done = 0;
    while done < buf.len() {
        let rest = &mut buf[done..];
        // SAFETY: `rest` is writable for `rest.len()` bytes.
        let n = unsafe { libc::getrandom(rest.as_mut_ptr().cast(), rest.len(), 0) };
        if n < 0 {
            match Errno::last() {
                Errno::Intr => continue,
                e => return Err(e),
            }
        }
        done += n as usize;
    }
    Ok(())
}

/// The host clock for a WASI clock id.
pub fn host_clock(id: u32) -> Result<libc::clockid_t, Errno> {
    Ok(match id {
        0 => libc::CLOCK_REALTIME,
        1 => libc::CLOCK_MONOTONIC,
        2 => libc::CLOCK_PROCESS_CPUTIME_ID,
        3 => libc::CLOCK_THREAD_CPUTIME_ID,
        _ => return Err(Errno::Inval),
    })
}

/// `clock_gettime(clock)` in nanoseconds.
pub fn clock_time(clock: libc::clockid_t) -> Result<u64, Errno> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is writable.
    check(unsafe { libc::clock_gettime(clock, &mut ts) })?;
    Ok(timespec_ns(&ts))
}

/// `clock_getres(clock)` in nanoseconds.
pub fn clock_res(clock: libc::clockid_t) -> Result<u64, Errno> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is writable.
    check(unsafe { libc::clock_getres(clock, &mut ts) })?;
    Ok(timespec_ns(&ts).max(1))
}

fn timespec_ns(ts: &libc::timespec) -> u64 {
    (ts.tv_sec as u64)
        .wrapping_mul(1_000_000_000)
        .wrapping_add(ts.tv_nsec as u64)
}

/// A timespec for `ns` nanoseconds since the epoch.
pub fn ns_timespec(ns: u64) -> libc::timespec {
    libc::timespec {
        tv_sec: (ns / 1_000_000_000) as libc::time_t,
        tv_nsec: (ns % 1_000_000_000) as _,
    }
}

/// `poll(fds, timeout)` with nanosecond timeouts where the host has `ppoll`;
/// `None` waits without limit. The number of ready descriptors.
pub fn poll(fds: &mut [libc::pollfd], timeout: Option<Duration>) -> Result<usize, Errno> {
    let ts = timeout.map(|d| libc::timespec {
        tv_sec: d.as_secs().min(i64::MAX as u64) as libc::time_t,
        tv_nsec: d.subsec_nanos() as _,
    });
    let ts_ptr = ts
        .as_ref()
        .map_or(std::ptr::null(), |t| t as *const libc::timespec);
    // SAFETY: `fds` is a valid array of pollfds; `ts_ptr` is null or points to `ts`.
    let n = unsafe {
        libc::ppoll(
            fds.as_mut_ptr(),
            fds.len() as libc::nfds_t,
            ts_ptr,
            std::ptr::null(),
        )
    };
    check(n).map(|n| n as usize)
}

/// The filestat numbers of a host `stat`.
pub fn stat_times(st: &libc::stat) -> (u64, u64, u64) {
    let ns = |s: i64, n: i64| {
        (s as u64)
            .wrapping_mul(1_000_000_000)
            .wrapping_add(n as u64)
    };
    (
        ns(st.st_atime, st.st_atime_nsec),
        ns(st.st_mtime, st.st_mtime_nsec),
        ns(st.st_ctime, st.st_ctime_nsec),
    )
}
