//! The functions of `wasi_snapshot_preview1`, on a [`WasiCtx`] and the
//! guest's memory. Each returns `Ok(())` or the errno the guest gets.
//!
//! Conventions: output pointers are checked before anything with a side
//! effect happens (so a bad pointer never loses data already read); a
//! descriptor that does not exist is `EBADF`; one that lacks a right the
//! call needs is `ENOTCAPABLE`; a path call on a descriptor that is not a
//! directory is `ENOTDIR`.

use crate::ctx::{DirPerms, Entry, Kind, Stream, WasiCtx, dir_rights, require};
use crate::errno::Errno;
use crate::mem::{GuestMemory, GuestRange};
use crate::path::{Resolved, demands_dir, resolve};
use crate::sys;
use crate::types::*;
use std::os::fd::{AsFd, BorrowedFd};
use std::time::Duration;

type R = Result<(), Errno>;

/// The rights of a file that need the host file open for writing (the
/// host's `write`, `fallocate` and `ftruncate` refuse a read-only
/// descriptor). A read-only directory refuses to open a file with any of
/// them; `fd_datasync` is not among them, as syncing changes nothing.
const HOST_WRITE_RIGHTS: u64 =
    rights::FD_WRITE | rights::FD_ALLOCATE | rights::FD_FILESTAT_SET_SIZE;

/// I/O vectors for the host, pointing into guest memory at checked ranges.
fn host_iovecs(m: &mut GuestMemory<'_>, ranges: &[GuestRange]) -> Vec<sys::IoVec> {
    let base = m.base_mut();
    ranges
        .iter()
        .map(|r| sys::IoVec {
            iov_base: base.wrapping_add(r.start).cast(),
            iov_len: r.len,
        })
        .collect()
}

/// The sizes `*_sizes_get` reports for a list of NUL-terminated strings.
fn sizes(list: &[Vec<u8>]) -> Result<(u32, u32), Errno> {
    let count = u32::try_from(list.len()).map_err(|_| Errno::Overflow)?;
    let bytes: usize = list.iter().map(|s| s.len() + 1).sum();
    let bytes = u32::try_from(bytes).map_err(|_| Errno::Overflow)?;
    Ok((count, bytes))
}

/// Writes a list of strings as `args_get` and `environ_get` do: pointers at
/// `ptrs`, NUL-terminated bytes from `buf` on.
fn put_strings(m: &mut GuestMemory<'_>, list: &[Vec<u8>], ptrs: u32, buf: u32) -> R {
    let (count, bytes) = sizes(list)?;
    m.array(ptrs, count, 4)?;
    m.range(buf, bytes)?;
    // Both regions were checked whole, so no offset below can overflow
    // (the last `at` may reach 2^32 only after its final use).
    let mut at = buf;
    for (i, s) in list.iter().enumerate() {
        m.write_u32(ptrs + 4 * i as u32, at)?;
        m.write_bytes(at, s)?;
        m.write_u8(at + s.len() as u32, 0)?;
        at = at.wrapping_add(s.len() as u32 + 1);
    }
    Ok(())
}

/// A `filestat` record.
struct Filestat {
    dev: u64,
    ino: u64,
    filetype: u8,
    nlink: u64,
    size: u64,
    atim: u64,
    mtim: u64,
    ctim: u64,
}

impl Filestat {
    // The field types of `stat` differ between platforms.
    #[allow(clippy::unnecessary_cast)]
    fn of(st: &libc::stat) -> Filestat {
        let (atim, mtim, ctim) = sys::stat_times(st);
        Filestat {
            dev: st.st_dev as u64,
            ino: st.st_ino as u64,
            filetype: sys::filetype_of(st.st_mode),
            nlink: st.st_nlink as u64,
            size: st.st_size as u64,
            atim,
            mtim,
            ctim,
        }
    }

    fn write(&self, m: &mut GuestMemory<'_>, ptr: u32) -> R {
        m.slice_mut(ptr, size::FILESTAT)?.fill(0);
        m.write_u64(ptr, self.dev)?;
        m.write_u64(ptr + 8, self.ino)?;
        m.write_u8(ptr + 16, self.filetype)?;
        m.write_u64(ptr + 24, self.nlink)?;
        m.write_u64(ptr + 32, self.size)?;
        m.write_u64(ptr + 40, self.atim)?;
        m.write_u64(ptr + 48, self.mtim)?;
        m.write_u64(ptr + 56, self.ctim)
    }
}

/// The two timespecs of `futimens`/`utimensat` for a `*_set_times` call.
fn set_times(atim: u64, mtim: u64, flags: u16) -> Result<[libc::timespec; 2], Errno> {
    use fstflags::*;
    if flags & !ALL != 0
        || (flags & ATIM != 0 && flags & ATIM_NOW != 0)
        || (flags & MTIM != 0 && flags & MTIM_NOW != 0)
    {
        return Err(Errno::Inval);
    }
    let one = |value: u64, set: u16, now: u16| {
        if flags & now != 0 {
            libc::timespec {
                tv_sec: 0,
                tv_nsec: libc::UTIME_NOW,
            }
        } else if flags & set != 0 {
            sys::ns_timespec(value)
        } else {
            libc::timespec {
                tv_sec: 0,
                tv_nsec: libc::UTIME_OMIT,
            }
        }
    };
    Ok([one(atim, ATIM, ATIM_NOW), one(mtim, MTIM, MTIM_NOW)])
}

/// A directory descriptor for a path call.
struct DirRef<'a> {
    fd: BorrowedFd<'a>,
    perms: DirPerms,
    base: u64,
    inheriting: u64,
}

impl WasiCtx {
    fn dir(&self, fd: Fd, need: u64) -> Result<DirRef<'_>, Errno> {
        let e = self.table.get(&fd).ok_or(Errno::Badf)?;
        let Kind::Dir { fd: dfd, perms, .. } = &e.kind else {
            return Err(Errno::Notdir);
        };
        e.require(need)?;
        Ok(DirRef {
            fd: dfd.as_fd(),
            perms: *perms,
            base: e.base,
            inheriting: e.inheriting,
        })
    }

    /// A socket descriptor for a `sock_*` call: `EBADF` when `fd` is not
    /// open, `ENOTSOCK` when it is not a socket (whatever its rights, as the
    /// specification's errno for the call names), then `ENOTCAPABLE` when it
    /// lacks a right in `need`.
    fn socket(&self, fd: Fd, need: u64) -> Result<&Entry, Errno> {
        let e = self.table.get(&fd).ok_or(Errno::Badf)?;
        if !matches!(e.kind, Kind::Socket { .. }) {
            return Err(Errno::Notsock);
        }
        e.require(need)?;
        Ok(e)
    }

    // ---- arguments and environment ----

    pub(crate) fn args_get(&self, m: &mut GuestMemory<'_>, argv: u32, buf: u32) -> R {
        put_strings(m, &self.args, argv, buf)
    }

    pub(crate) fn args_sizes_get(&self, m: &mut GuestMemory<'_>, argc: u32, size: u32) -> R {
        let (n, bytes) = sizes(&self.args)?;
        m.range(argc, 4)?;
        m.range(size, 4)?;
        m.write_u32(argc, n)?;
        m.write_u32(size, bytes)
    }

    pub(crate) fn environ_get(&self, m: &mut GuestMemory<'_>, environ: u32, buf: u32) -> R {
        put_strings(m, &self.env, environ, buf)
    }

    pub(crate) fn environ_sizes_get(&self, m: &mut GuestMemory<'_>, count: u32, size: u32) -> R {
        let (n, bytes) = sizes(&self.env)?;
        m.range(count, 4)?;
        m.range(size, 4)?;
        m.write_u32(count, n)?;
        m.write_u32(size, bytes)
    }

    // ---- clocks and randomness ----

    pub(crate) fn clock_res_get(&self, m: &mut GuestMemory<'_>, id: u32, out: u32) -> R {
        if !self.clocks {
            return Err(Errno::Notcapable);
        }
        let res = sys::clock_res(sys::host_clock(id)?)?;
        m.write_u64(out, res)
    }

    pub(crate) fn clock_time_get(&self, m: &mut GuestMemory<'_>, id: u32, out: u32) -> R {
        if !self.clocks {
            return Err(Errno::Notcapable);
        }
        let now = sys::clock_time(sys::host_clock(id)?)?;
        m.write_u64(out, now)
    }

    pub(crate) fn random_get(&self, m: &mut GuestMemory<'_>, buf: u32, len: u32) -> R {
        if !self.random {
            return Err(Errno::Notcapable);
        }
        sys::fill_random(m.slice_mut(buf, len)?)
    }

    // ---- descriptors ----

    pub(crate) fn fd_advise(&self, fd: Fd, offset: u64, len: u64, advice: u8) -> R {
        let e = self.entry(fd, rights::FD_ADVISE)?;
        if advice > advice::MAX {
            return Err(Errno::Inval);
        }
        match &e.kind {
            Kind::File { fd, .. } => match sys::fadvise(fd.as_fd(), offset, len, advice) {
                // A pipe or device under a preopen: advice is only advice.
                Err(Errno::Spipe) => Ok(()),
                r => r,
            },
            Kind::Dir { .. } => Err(Errno::Badf),
            _ => Err(Errno::Spipe),
        }
    }

    pub(crate) fn fd_allocate(&self, fd: Fd, offset: u64, len: u64) -> R {
        let e = self.entry(fd, rights::FD_ALLOCATE)?;
        match &e.kind {
            Kind::File { fd, .. } => sys::fallocate(fd.as_fd(), offset, len),
            _ => Err(Errno::Badf),
        }
    }

    pub(crate) fn fd_close(&mut self, fd: Fd) -> R {
        self.table.remove(&fd).map(drop).ok_or(Errno::Badf)
    }

    pub(crate) fn fd_datasync(&self, fd: Fd) -> R {
        let e = self.entry(fd, rights::FD_DATASYNC)?;
        match e.host_fd() {
            Some(h) => sys::fdatasync(h),
            None => Ok(()),
        }
    }

    pub(crate) fn fd_sync(&self, fd: Fd) -> R {
        let e = self.entry(fd, rights::FD_SYNC)?;
        match e.host_fd() {
            Some(h) => sys::fsync(h),
            None => Ok(()),
        }
    }

    pub(crate) fn fd_fdstat_get(&self, m: &mut GuestMemory<'_>, fd: Fd, out: u32) -> R {
        let e = self.entry(fd, 0)?;
        m.slice_mut(out, size::FDSTAT)?.fill(0);
        m.write_u8(out, e.filetype())?;
        m.write_u16(out + 2, e.flags)?;
        m.write_u64(out + 8, e.base)?;
        m.write_u64(out + 16, e.inheriting)
    }

    pub(crate) fn fd_fdstat_set_flags(&mut self, fd: Fd, flags: u16) -> R {
        let e = self.entry_mut(fd, rights::FD_FDSTAT_SET_FLAGS)?;
        if flags & !fdflags::ALL != 0 {
            return Err(Errno::Inval);
        }
        let sync = fdflags::DSYNC | fdflags::RSYNC | fdflags::SYNC;
        if flags & sync != e.flags & sync {
            // The host cannot change synchronized I/O after open (EINVAL, as wasmtime).
            return Err(Errno::Inval);
        }
        match &e.kind {
            Kind::File { fd, .. } | Kind::Socket { fd, .. } => {
                let mut fl = sys::get_fl(fd.as_fd())?;
                fl &= !(libc::O_APPEND | libc::O_NONBLOCK);
                if flags & fdflags::APPEND != 0 {
                    fl |= libc::O_APPEND;
                }
                if flags & fdflags::NONBLOCK != 0 {
                    fl |= libc::O_NONBLOCK;
                }
                sys::set_fl(fd.as_fd(), fl)?;
            }
            // The host's own standard streams are shared with the host
            // process (and its terminal): their flags are the guest's view only.
            Kind::Stdio(_) | Kind::Dir { .. } => {}
        }
        e.flags = flags;
        Ok(())
    }

    pub(crate) fn fd_fdstat_set_rights(&mut self, fd: Fd, base: u64, inheriting: u64) -> R {
        let e = self.entry_mut(fd, 0)?;
        if base & !e.base != 0 || inheriting & !e.inheriting != 0 {
            return Err(Errno::Notcapable);
        }
        e.base = base;
        e.inheriting = inheriting;
        Ok(())
    }

    pub(crate) fn fd_filestat_get(&self, m: &mut GuestMemory<'_>, fd: Fd, out: u32) -> R {
        let e = self.entry(fd, rights::FD_FILESTAT_GET)?;
        m.range(out, size::FILESTAT)?;
        let stat = match (&e.kind, e.host_fd()) {
            // A standard stream shows only its file type, as in wasmtime
            // (nothing of the host file or device behind it).
            (Kind::Stdio(_), _) | (_, None) => Filestat {
                dev: 0,
                ino: 0,
                filetype: e.filetype(),
                nlink: 0,
                size: 0,
                atim: 0,
                mtim: 0,
                ctim: 0,
            },
            (kind, Some(h)) => {
                let mut s = Filestat::of(&sys::fstat(h)?);
                if let Kind::Socket { ty, .. } = kind {
                    s.filetype = *ty;
                }
                s
            }
        };
        stat.write(m, out)
    }

    pub(crate) fn fd_filestat_set_size(&self, fd: Fd, size: u64) -> R {
        let e = self.entry(fd, rights::FD_FILESTAT_SET_SIZE)?;
        match &e.kind {
            Kind::File { fd, .. } => sys::ftruncate(fd.as_fd(), size),
            _ => Err(Errno::Badf),
        }
    }

    pub(crate) fn fd_filestat_set_times(&self, fd: Fd, atim: u64, mtim: u64, flags: u16) -> R {
        let e = self.entry(fd, rights::FD_FILESTAT_SET_TIMES)?;
        let times = set_times(atim, mtim, flags)?;
        match &e.kind {
            Kind::File { fd, .. } | Kind::Dir { fd, .. } => sys::futimens(fd.as_fd(), &times),
            _ => Err(Errno::Badf),
        }
    }

    /// Reads into the guest's iovecs from `e`, at `offset` if given.
    fn read_into(
        e: &Entry,
        m: &mut GuestMemory<'_>,
        iovs: &[GuestRange],
        offset: Option<u64>,
    ) -> Result<usize, Errno> {
        match (&e.kind, offset) {
            (Kind::Stdio(Stream::Buffer(b)), None) => {
                let mut total = 0;
                for r in iovs {
                    let n = b.read_into(m.get_mut(*r), false);
                    total += n;
                    if n < r.len {
                        break;
                    }
                }
                Ok(total)
            }
            (Kind::Stdio(Stream::Null), None) => Ok(0),
            (Kind::Dir { .. }, _) => Err(Errno::Isdir),
            (Kind::File { fd, .. }, Some(off)) => {
                let v = host_iovecs(m, iovs);
                sys::preadv(fd.as_fd(), &v, off)
            }
            (_, Some(_)) => Err(Errno::Spipe),
            (_, None) => {
                let h = e.host_fd().ok_or(Errno::Badf)?;
                let v = host_iovecs(m, iovs);
                sys::readv(h, &v)
            }
        }
    }

    /// Writes the guest's iovecs to `e`, at `offset` if given.
    fn write_from(
        e: &Entry,
        m: &mut GuestMemory<'_>,
        iovs: &[GuestRange],
        offset: Option<u64>,
    ) -> Result<usize, Errno> {
        match (&e.kind, offset) {
            // The count must fit the guest's u32: overlapping iovecs could
            // name more bytes than that, and a short write is allowed.
            // A full buffer takes what fits (a short write), then ENOSPC.
            (Kind::Stdio(Stream::Buffer(b)), None) => {
                let mut total = 0;
                for r in iovs {
                    let take = r.len.min(u32::MAX as usize - total);
                    let put = match b.append(&m.get(*r)[..take]) {
                        Ok(n) => n,
                        Err(e) if total == 0 => return Err(e),
                        Err(_) => 0,
                    };
                    total += put;
                    if put < r.len {
                        break;
                    }
                }
                Ok(total)
            }
            (Kind::Stdio(Stream::Null), None) => Ok(iovs
                .iter()
                .fold(0usize, |t, r| t.saturating_add(r.len))
                .min(u32::MAX as usize)),
            (Kind::Dir { .. }, _) => Err(Errno::Isdir),
            (Kind::File { fd, .. }, Some(off)) => {
                let v = host_iovecs(m, iovs);
                sys::pwritev(fd.as_fd(), &v, off)
            }
            (_, Some(_)) => Err(Errno::Spipe),
            (Kind::Socket { fd, .. }, None) => {
                let mut v = host_iovecs(m, iovs);
                sys::sendmsg(fd.as_fd(), &mut v)
            }
            (_, None) => {
                let h = e.host_fd().ok_or(Errno::Badf)?;
                let v = host_iovecs(m, iovs);
                sys::writev(h, &v)
            }
        }
    }

    pub(crate) fn fd_read(
        &self,
        m: &mut GuestMemory<'_>,
        fd: Fd,
        iovs: u32,
        n: u32,
        out: u32,
    ) -> R {
        let e = self.entry(fd, rights::FD_READ)?;
        let iovs = m.iovecs(iovs, n)?;
        m.range(out, 4)?;
        let got = Self::read_into(e, m, &iovs, None)?;
        m.write_u32(out, got as u32)
    }

    pub(crate) fn fd_pread(
        &self,
        m: &mut GuestMemory<'_>,
        fd: Fd,
        iovs: u32,
        n: u32,
        offset: u64,
        out: u32,
    ) -> R {
        let e = self.table.get(&fd).ok_or(Errno::Badf)?;
        if matches!(e.kind, Kind::Stdio(_) | Kind::Socket { .. }) {
            return Err(Errno::Spipe);
        }
        let e = self.entry(fd, rights::FD_READ | rights::FD_SEEK)?;
        let iovs = m.iovecs(iovs, n)?;
        m.range(out, 4)?;
        let got = Self::read_into(e, m, &iovs, Some(offset))?;
        m.write_u32(out, got as u32)
    }

    pub(crate) fn fd_write(
        &self,
        m: &mut GuestMemory<'_>,
        fd: Fd,
        iovs: u32,
        n: u32,
        out: u32,
    ) -> R {
        let e = self.entry(fd, rights::FD_WRITE)?;
        let iovs = m.iovecs(iovs, n)?;
        m.range(out, 4)?;
        let put = Self::write_from(e, m, &iovs, None)?;
        m.write_u32(out, put as u32)
    }

    pub(crate) fn fd_pwrite(
        &self,
        m: &mut GuestMemory<'_>,
        fd: Fd,
        iovs: u32,
        n: u32,
        offset: u64,
        out: u32,
    ) -> R {
        let e = self.table.get(&fd).ok_or(Errno::Badf)?;
        if matches!(e.kind, Kind::Stdio(_) | Kind::Socket { .. }) {
            return Err(Errno::Spipe);
        }
        let e = self.entry(fd, rights::FD_WRITE | rights::FD_SEEK)?;
        let iovs = m.iovecs(iovs, n)?;
        m.range(out, 4)?;
        let put = Self::write_from(e, m, &iovs, Some(offset))?;
        m.write_u32(out, put as u32)
    }

    pub(crate) fn fd_prestat_get(&self, m: &mut GuestMemory<'_>, fd: Fd, out: u32) -> R {
        let e = self.table.get(&fd).ok_or(Errno::Badf)?;
        let Kind::Dir {
            preopen: Some(name),
            ..
        } = &e.kind
        else {
            return Err(Errno::Badf);
        };
        let len = u32::try_from(name.len()).map_err(|_| Errno::Nametoolong)?;
        m.slice_mut(out, size::PRESTAT)?.fill(0);
        m.write_u8(out, PREOPENTYPE_DIR)?;
        m.write_u32(out + 4, len)
    }

    pub(crate) fn fd_prestat_dir_name(
        &self,
        m: &mut GuestMemory<'_>,
        fd: Fd,
        buf: u32,
        len: u32,
    ) -> R {
        let e = self.table.get(&fd).ok_or(Errno::Badf)?;
        let Kind::Dir {
            preopen: Some(name),
            ..
        } = &e.kind
        else {
            return Err(Errno::Badf);
        };
        if (len as usize) < name.len() {
            return Err(Errno::Nametoolong);
        }
        m.write_bytes(buf, name)
    }

    pub(crate) fn fd_readdir(
        &mut self,
        m: &mut GuestMemory<'_>,
        fd: Fd,
        buf: u32,
        len: u32,
        cookie: u64,
        out: u32,
    ) -> R {
        let e = self.entry_mut(fd, rights::FD_READDIR)?;
        let Kind::Dir {
            fd: dfd, listing, ..
        } = &mut e.kind
        else {
            return Err(Errno::Notdir);
        };
        m.range(buf, len)?;
        m.range(out, 4)?;
        if cookie == 0 || listing.is_none() {
            *listing = Some(sys::read_dir(dfd.as_fd())?);
        }
        let entries = listing.as_deref().unwrap_or_default();
        let mut bytes = Vec::new();
        let start = usize::try_from(cookie).unwrap_or(usize::MAX);
        for (i, ent) in entries.iter().enumerate().skip(start) {
            if bytes.len() >= len as usize {
                break;
            }
            bytes.extend_from_slice(&(i as u64 + 1).to_le_bytes());
            bytes.extend_from_slice(&ent.ino.to_le_bytes());
            bytes.extend_from_slice(&(ent.name.len() as u32).to_le_bytes());
            bytes.extend_from_slice(&[ent.filetype, 0, 0, 0]);
            bytes.extend_from_slice(&ent.name);
        }
        bytes.truncate(len as usize);
        m.write_bytes(buf, &bytes)?;
        m.write_u32(out, bytes.len() as u32)
    }

    pub(crate) fn fd_renumber(&mut self, from: Fd, to: Fd) -> R {
        if !self.table.contains_key(&from) || !self.table.contains_key(&to) {
            return Err(Errno::Badf);
        }
        if from != to {
            let e = self.table.remove(&from).ok_or(Errno::Badf)?;
            self.table.insert(to, e);
        }
        Ok(())
    }

    pub(crate) fn fd_seek(
        &self,
        m: &mut GuestMemory<'_>,
        fd: Fd,
        offset: i64,
        whence: u8,
        out: u32,
    ) -> R {
        let e = self.table.get(&fd).ok_or(Errno::Badf)?;
        if matches!(e.kind, Kind::Stdio(_) | Kind::Socket { .. }) {
            return Err(Errno::Spipe);
        }
        let need = if whence == whence::CUR && offset == 0 {
            rights::FD_TELL
        } else {
            rights::FD_SEEK
        };
        let e = self.entry(fd, need)?;
        if whence > whence::END {
            return Err(Errno::Inval);
        }
        m.range(out, 8)?;
        let h = e.host_fd().ok_or(Errno::Badf)?;
        let pos = sys::lseek(h, offset, whence)?;
        m.write_u64(out, pos)
    }

    pub(crate) fn fd_tell(&self, m: &mut GuestMemory<'_>, fd: Fd, out: u32) -> R {
        self.fd_seek(m, fd, 0, whence::CUR, out)
    }

    // ---- paths ----

    pub(crate) fn path_create_directory(
        &self,
        m: &mut GuestMemory<'_>,
        fd: Fd,
        path: u32,
        len: u32,
    ) -> R {
        let d = self.dir(fd, rights::PATH_CREATE_DIRECTORY)?;
        let path = m.path(path, len)?;
        let r = resolve(d.fd, &path, false)?;
        sys::mkdirat(r.dir(), &r.name)
    }

    pub(crate) fn path_filestat_get(
        &self,
        m: &mut GuestMemory<'_>,
        fd: Fd,
        flags: u32,
        path: u32,
        len: u32,
        out: u32,
    ) -> R {
        let d = self.dir(fd, rights::PATH_FILESTAT_GET)?;
        let path = m.path(path, len)?;
        m.range(out, size::FILESTAT)?;
        let follow = flags & lookupflags::SYMLINK_FOLLOW != 0 || demands_dir(&path);
        let r = resolve(d.fd, &path, follow)?;
        let st = sys::lstatat(r.dir(), &r.name)?;
        if r.must_be_dir && st.st_mode & libc::S_IFMT != libc::S_IFDIR {
            return Err(Errno::Notdir);
        }
        Filestat::of(&st).write(m, out)
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn path_filestat_set_times(
        &self,
        m: &mut GuestMemory<'_>,
        fd: Fd,
        flags: u32,
        path: u32,
        len: u32,
        atim: u64,
        mtim: u64,
        fst: u16,
    ) -> R {
        let d = self.dir(fd, rights::PATH_FILESTAT_SET_TIMES)?;
        let path = m.path(path, len)?;
        let times = set_times(atim, mtim, fst)?;
        let follow = flags & lookupflags::SYMLINK_FOLLOW != 0 || demands_dir(&path);
        let r = resolve(d.fd, &path, follow)?;
        r.check_dir()?;
        sys::utimensat(r.dir(), &r.name, &times)
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn path_link(
        &self,
        m: &mut GuestMemory<'_>,
        old_fd: Fd,
        old_flags: u32,
        old_path: u32,
        old_len: u32,
        new_fd: Fd,
        new_path: u32,
        new_len: u32,
    ) -> R {
        let old_dir = self.dir(old_fd, rights::PATH_LINK_SOURCE)?;
        let new_dir = self.dir(new_fd, rights::PATH_LINK_TARGET)?;
        let old_path = m.path(old_path, old_len)?;
        let new_path = m.path(new_path, new_len)?;
        let old = resolve(
            old_dir.fd,
            &old_path,
            old_flags & lookupflags::SYMLINK_FOLLOW != 0,
        )?;
        old.check_dir()?;
        let new = resolve(new_dir.fd, &new_path, false)?;
        if new.must_be_dir {
            return Err(exists_or_noent(&new));
        }
        sys::linkat(old.dir(), &old.name, new.dir(), &new.name)
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn path_open(
        &mut self,
        m: &mut GuestMemory<'_>,
        fd: Fd,
        dirflags: u32,
        path: u32,
        len: u32,
        oflags: u16,
        base: u64,
        inheriting: u64,
        fdflags: u16,
        out: u32,
    ) -> R {
        let d = self.dir(fd, rights::PATH_OPEN)?;
        let path = m.path(path, len)?;
        m.range(out, 4)?;
        if oflags & !oflags::ALL != 0 || fdflags & !fdflags::ALL != 0 {
            return Err(Errno::Inval);
        }
        let read_only = d.perms == DirPerms::ReadOnly;
        if oflags & oflags::CREAT != 0 {
            require(d.base, read_only, rights::PATH_CREATE_FILE)?;
        }
        if oflags & oflags::TRUNC != 0 {
            require(d.base, read_only, rights::PATH_FILESTAT_SET_SIZE)?;
        }
        // A directory can be neither created, nor truncated by path_open
        // (EINVAL, as wasmtime answers).
        let dir_flag = oflags & oflags::DIRECTORY != 0;
        if dir_flag && oflags & (oflags::CREAT | oflags::EXCL | oflags::TRUNC) != 0 {
            return Err(Errno::Inval);
        }
        // Rights are ceilings: those beyond what the directory passes on are
        // dropped, not refused (guests routinely ask for every right a
        // descriptor could have, such as a directory's inheriting rights when
        // they open a directory).
        let base = base & d.inheriting;
        let inheriting = inheriting & d.inheriting;
        // The host file is opened for writing only when the rights asked for
        // need it. Writing data (FD_WRITE) does, for a directory too, where
        // the host refuses it with EISDIR (as POSIX and wasmtime answer).
        // The other rights that need a writable host file, appending and
        // truncating mean nothing to a directory: a path that must be one
        // is opened read-only whatever they say.
        let want_dir = dir_flag || demands_dir(&path);
        let write = base & rights::FD_WRITE != 0
            || (!want_dir
                && (base & HOST_WRITE_RIGHTS != 0
                    || fdflags & fdflags::APPEND != 0
                    || oflags & oflags::TRUNC != 0));
        if read_only && write {
            return Err(Errno::Perm);
        }
        let follow = dirflags & lookupflags::SYMLINK_FOLLOW != 0 || demands_dir(&path);
        let r = resolve(d.fd, &path, follow)?;

        let mut flags = libc::O_NOFOLLOW | libc::O_NOCTTY;
        if oflags & oflags::CREAT != 0 {
            flags |= libc::O_CREAT;
        }
        if oflags & oflags::EXCL != 0 {
            flags |= libc::O_EXCL;
        }
        if oflags & oflags::TRUNC != 0 {
            flags |= libc::O_TRUNC;
        }
        if oflags & oflags::DIRECTORY != 0 || r.must_be_dir {
            flags |= libc::O_DIRECTORY;
        }
        if fdflags & fdflags::APPEND != 0 {
            flags |= libc::O_APPEND;
        }
        if fdflags & fdflags::NONBLOCK != 0 {
            flags |= libc::O_NONBLOCK;
        }
        if fdflags & fdflags::DSYNC != 0 {
            flags |= libc::O_DSYNC;
        }
        if fdflags & (fdflags::SYNC | fdflags::RSYNC) != 0 {
            flags |= libc::O_SYNC;
        }
        let access = if write {
            if base & rights::FD_READ != 0 {
                libc::O_RDWR
            } else {
                libc::O_WRONLY
            }
        } else {
            libc::O_RDONLY
        };
        let file = match sys::openat(r.dir(), &r.name, flags | access, 0o666) {
            // A directory, opened without O_DIRECTORY, with rights that
            // asked for a writable host file but not for writing data
            // (FD_WRITE) nor appending: it is opened as a directory, whose
            // descriptor never gets those rights anyway.
            Err(Errno::Isdir)
                if base & rights::FD_WRITE == 0
                    && fdflags & fdflags::APPEND == 0
                    && oflags & (oflags::CREAT | oflags::TRUNC) == 0 =>
            {
                sys::openat(r.dir(), &r.name, flags | libc::O_RDONLY, 0o666)?
            }
            // A symbolic link not followed is ELOOP, as POSIX says of
            // O_NOFOLLOW and wasmtime answers, also with O_DIRECTORY (where
            // Linux says ENOTDIR).
            Err(Errno::Notdir)
                if flags & libc::O_DIRECTORY != 0
                    && sys::lstatat(r.dir(), &r.name)
                        .is_ok_and(|st| st.st_mode & libc::S_IFMT == libc::S_IFLNK) =>
            {
                return Err(Errno::Loop);
            }
            r => r?,
        };
        let perms = d.perms;
        drop(r);
        let ty = sys::filetype_of(sys::fstat(file.as_fd())?.st_mode);
        let entry = if ty == filetype::DIRECTORY {
            let (max_base, max_inheriting) = dir_rights(perms);
            let mut e = Entry::dir(file, perms, None);
            e.base = base & max_base;
            e.inheriting = inheriting & max_inheriting;
            e.flags = fdflags;
            e
        } else {
            Entry {
                kind: Kind::File { fd: file, ty },
                base: base & rights::REGULAR_FILE,
                inheriting: 0,
                flags: fdflags,
                read_only,
            }
        };
        let new = self.insert(entry)?;
        m.write_u32(out, new)
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn path_readlink(
        &self,
        m: &mut GuestMemory<'_>,
        fd: Fd,
        path: u32,
        len: u32,
        buf: u32,
        buf_len: u32,
        out: u32,
    ) -> R {
        let d = self.dir(fd, rights::PATH_READLINK)?;
        let path = m.path(path, len)?;
        m.range(buf, buf_len)?;
        m.range(out, 4)?;
        let r = resolve(d.fd, &path, demands_dir(&path))?;
        let target = sys::readlinkat(r.dir(), &r.name)?;
        let n = target.len().min(buf_len as usize);
        m.write_bytes(buf, &target[..n])?;
        m.write_u32(out, n as u32)
    }

    pub(crate) fn path_remove_directory(
        &self,
        m: &mut GuestMemory<'_>,
        fd: Fd,
        path: u32,
        len: u32,
    ) -> R {
        let d = self.dir(fd, rights::PATH_REMOVE_DIRECTORY)?;
        let path = m.path(path, len)?;
        let r = resolve(d.fd, &path, false)?;
        sys::unlinkat(r.dir(), &r.name, libc::AT_REMOVEDIR)
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn path_rename(
        &self,
        m: &mut GuestMemory<'_>,
        fd: Fd,
        old_path: u32,
        old_len: u32,
        new_fd: Fd,
        new_path: u32,
        new_len: u32,
    ) -> R {
        let old_dir = self.dir(fd, rights::PATH_RENAME_SOURCE)?;
        let new_dir = self.dir(new_fd, rights::PATH_RENAME_TARGET)?;
        let old_path = m.path(old_path, old_len)?;
        let new_path = m.path(new_path, new_len)?;
        let old = resolve(old_dir.fd, &old_path, false)?;
        let new = resolve(new_dir.fd, &new_path, false)?;
        if old.must_be_dir || new.must_be_dir {
            let st = sys::lstatat(old.dir(), &old.name)?;
            if st.st_mode & libc::S_IFMT != libc::S_IFDIR {
                return Err(Errno::Notdir);
            }
        }
        sys::renameat(old.dir(), &old.name, new.dir(), &new.name)
    }

    pub(crate) fn path_symlink(
        &self,
        m: &mut GuestMemory<'_>,
        old_path: u32,
        old_len: u32,
        fd: Fd,
        new_path: u32,
        new_len: u32,
    ) -> R {
        let d = self.dir(fd, rights::PATH_SYMLINK)?;
        let target = m.path(old_path, old_len)?;
        let new_path = m.path(new_path, new_len)?;
        if target.is_empty() {
            return Err(Errno::Noent);
        }
        // An absolute target could never be followed inside the sandbox.
        if target[0] == b'/' {
            return Err(Errno::Perm);
        }
        let r = resolve(d.fd, &new_path, false)?;
        if r.must_be_dir {
            return Err(exists_or_noent(&r));
        }
        sys::symlinkat(&target, r.dir(), &r.name)
    }

    pub(crate) fn path_unlink_file(
        &self,
        m: &mut GuestMemory<'_>,
        fd: Fd,
        path: u32,
        len: u32,
    ) -> R {
        let d = self.dir(fd, rights::PATH_UNLINK_FILE)?;
        let path = m.path(path, len)?;
        let r = resolve(d.fd, &path, false)?;
        if r.must_be_dir {
            let st = sys::lstatat(r.dir(), &r.name)?;
            return Err(if st.st_mode & libc::S_IFMT == libc::S_IFDIR {
                Errno::Isdir
            } else {
                Errno::Notdir
            });
        }
        sys::unlinkat(r.dir(), &r.name, 0)
    }

    // ---- poll ----

    pub(crate) fn poll_oneoff(
        &self,
        m: &mut GuestMemory<'_>,
        input: u32,
        output: u32,
        n: u32,
        out: u32,
    ) -> R {
        if n == 0 {
            return Err(Errno::Inval);
        }
        m.array(input, n, size::SUBSCRIPTION)?;
        m.array(output, n, size::EVENT)?;
        m.range(out, 4)?;

        let mut events: Vec<Event> = Vec::new();
        let mut timers: Vec<(u64, u64)> = Vec::new(); // (userdata, monotonic deadline)
        let mut waits: Vec<(u64, u8, BorrowedFd<'_>)> = Vec::new();
        let now = sys::clock_time(libc::CLOCK_MONOTONIC)?;
        for i in 0..n {
            let at = input + i * size::SUBSCRIPTION;
            let userdata = m.read_u64(at)?;
            let tag = m.read_u8(at + 8)?;
            match tag {
                eventtype::CLOCK => {
                    let id = m.read_u32(at + 16)?;
                    let timeout = m.read_u64(at + 24)?;
                    let flags = m.read_u16(at + 40)?;
                    match self.clock_deadline(id, timeout, flags, now) {
                        Ok(deadline) => timers.push((userdata, deadline)),
                        Err(e) => events.push(Event::error(userdata, tag, e)),
                    }
                }
                eventtype::FD_READ | eventtype::FD_WRITE => {
                    let fd = m.read_u32(at + 16)?;
                    let read = tag == eventtype::FD_READ;
                    let e = match self.entry(fd, rights::POLL_FD_READWRITE) {
                        Ok(e) => e,
                        Err(err) => {
                            events.push(Event::error(userdata, tag, err));
                            continue;
                        }
                    };
                    match (&e.kind, read) {
                        (Kind::Stdio(Stream::Host(_)) | Kind::Socket { .. }, _) => {
                            let h = e.host_fd().ok_or(Errno::Badf)?;
                            waits.push((userdata, tag, h));
                        }
                        (Kind::Stdio(Stream::Buffer(b)), true) => {
                            let len = b.len() as u64;
                            let flags = if len == 0 { eventrwflags::HANGUP } else { 0 };
                            events.push(Event::ready(userdata, tag, len, flags));
                        }
                        (Kind::File { fd, .. }, true) => {
                            // A regular file is always ready; report what is left to read.
                            let size = sys::fstat(fd.as_fd()).map_or(0, |st| st.st_size as u64);
                            let pos = sys::lseek(fd.as_fd(), 0, whence::CUR).unwrap_or(0);
                            events.push(Event::ready(userdata, tag, size.saturating_sub(pos), 0));
                        }
                        (Kind::Dir { .. }, _) => {
                            events.push(Event::error(userdata, tag, Errno::Isdir))
                        }
                        _ => events.push(Event::ready(userdata, tag, 0, 0)),
                    }
                }
                _ => return Err(Errno::Inval),
            }
        }

        loop {
            let mut timeout = if events.is_empty() {
                timers.iter().map(|&(_, d)| d).min().map(|d| {
                    Duration::from_nanos(
                        d.saturating_sub(sys::clock_time(libc::CLOCK_MONOTONIC).unwrap_or(d)),
                    )
                })
            } else {
                Some(Duration::ZERO)
            };
            if waits.is_empty() {
                if let Some(t) = timeout.take() {
                    std::thread::sleep(t);
                }
            } else {
                let mut fds: Vec<libc::pollfd> = waits
                    .iter()
                    .map(|&(_, tag, h)| libc::pollfd {
                        fd: std::os::fd::AsRawFd::as_raw_fd(&h),
                        events: if tag == eventtype::FD_READ {
                            libc::POLLIN
                        } else {
                            libc::POLLOUT
                        },
                        revents: 0,
                    })
                    .collect();
                match sys::poll(&mut fds, timeout) {
                    Ok(_) => {}
                    Err(Errno::Intr) => continue,
                    Err(e) => return Err(e),
                }
                for (&(userdata, tag, h), p) in waits.iter().zip(&fds) {
                    if p.revents == 0 {
                        continue;
                    }
                    let ev = if p.revents & libc::POLLNVAL != 0 {
                        Event::error(userdata, tag, Errno::Badf)
                    } else {
                        let hangup = p.revents & libc::POLLHUP != 0;
                        let nbytes = if tag == eventtype::FD_READ {
                            sys::bytes_readable(h).unwrap_or(0)
                        } else {
                            0
                        };
                        Event::ready(
                            userdata,
                            tag,
                            nbytes,
                            if hangup { eventrwflags::HANGUP } else { 0 },
                        )
                    };
                    events.push(ev);
                }
            }
            let now = sys::clock_time(libc::CLOCK_MONOTONIC)?;
            for &(userdata, deadline) in &timers {
                if deadline <= now {
                    events.push(Event::ready(userdata, eventtype::CLOCK, 0, 0));
                }
            }
            if !events.is_empty() || (waits.is_empty() && timers.is_empty()) {
                break;
            }
        }

        let count = events.len().min(n as usize);
        for (i, ev) in events.iter().take(count).enumerate() {
            ev.write(m, output + i as u32 * size::EVENT)?;
        }
        m.write_u32(out, count as u32)
    }

    /// When a clock subscription fires, on the monotonic clock.
    fn clock_deadline(&self, id: u32, timeout: u64, flags: u16, now: u64) -> Result<u64, Errno> {
        if !self.clocks {
            return Err(Errno::Notcapable);
        }
        let relative = if flags & subclockflags::ABSTIME != 0 {
            let clock = match id {
                clockid::REALTIME | clockid::MONOTONIC => sys::host_clock(id)?,
                _ => return Err(Errno::Inval),
            };
            timeout.saturating_sub(sys::clock_time(clock)?)
        } else {
            match id {
                clockid::REALTIME | clockid::MONOTONIC => timeout,
                _ => return Err(Errno::Inval),
            }
        };
        Ok(now.saturating_add(relative))
    }

    // ---- sockets ----

    pub(crate) fn sock_accept(
        &mut self,
        m: &mut GuestMemory<'_>,
        fd: Fd,
        flags: u16,
        out: u32,
    ) -> R {
        let e = self.socket(fd, rights::SOCK_ACCEPT)?;
        let Kind::Socket { fd: s, .. } = &e.kind else {
            return Err(Errno::Notsock);
        };
        if flags & !fdflags::NONBLOCK != 0 {
            return Err(Errno::Inval);
        }
        m.range(out, 4)?;
        let conn = sys::accept(s.as_fd(), flags & fdflags::NONBLOCK != 0)?;
        let new = self.insert(Entry {
            kind: Kind::Socket {
                fd: conn,
                ty: filetype::SOCKET_STREAM,
            },
            base: rights::SOCKET & !rights::SOCK_ACCEPT,
            inheriting: 0,
            flags,
            read_only: false,
        })?;
        m.write_u32(out, new)
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn sock_recv(
        &self,
        m: &mut GuestMemory<'_>,
        fd: Fd,
        iovs: u32,
        n: u32,
        ri_flags: u16,
        out_len: u32,
        out_flags: u32,
    ) -> R {
        let e = self.socket(fd, rights::FD_READ)?;
        let Kind::Socket { fd: s, .. } = &e.kind else {
            return Err(Errno::Notsock);
        };
        if ri_flags & !(riflags::RECV_PEEK | riflags::RECV_WAITALL) != 0 {
            return Err(Errno::Inval);
        }
        let iovs = m.iovecs(iovs, n)?;
        m.range(out_len, 4)?;
        m.range(out_flags, 2)?;
        let mut flags = 0;
        if ri_flags & riflags::RECV_PEEK != 0 {
            flags |= libc::MSG_PEEK;
        }
        if ri_flags & riflags::RECV_WAITALL != 0 {
            flags |= libc::MSG_WAITALL;
        }
        let mut v = host_iovecs(m, &iovs);
        let (got, msg_flags) = sys::recvmsg(s.as_fd(), &mut v, flags)?;
        let ro = if msg_flags & libc::MSG_TRUNC != 0 {
            roflags::RECV_DATA_TRUNCATED
        } else {
            0
        };
        m.write_u32(out_len, got as u32)?;
        m.write_u16(out_flags, ro)
    }

    pub(crate) fn sock_send(
        &self,
        m: &mut GuestMemory<'_>,
        fd: Fd,
        iovs: u32,
        n: u32,
        out: u32,
    ) -> R {
        let e = self.socket(fd, rights::FD_WRITE)?;
        let Kind::Socket { fd: s, .. } = &e.kind else {
            return Err(Errno::Notsock);
        };
        let iovs = m.iovecs(iovs, n)?;
        m.range(out, 4)?;
        let mut v = host_iovecs(m, &iovs);
        let put = sys::sendmsg(s.as_fd(), &mut v)?;
        m.write_u32(out, put as u32)
    }

    pub(crate) fn sock_shutdown(&self, fd: Fd, how: u8) -> R {
        let e = self.socket(fd, rights::SOCK_SHUTDOWN)?;
        let Kind::Socket { fd: s, .. } = &e.kind else {
            return Err(Errno::Notsock);
        };
        let how = match how {
            sdflags::RD => libc::SHUT_RD,
            sdflags::WR => libc::SHUT_WR,
            x if x == sdflags::RD | sdflags::WR => libc::SHUT_RDWR,
            _ => return Err(Errno::Inval),
        };
        sys::shutdown(s.as_fd(), how)
    }
}

/// What a call that must not create through a trailing `/` answers.
fn exists_or_noent(r: &Resolved<'_>) -> Errno {
    match sys::lstatat(r.dir(), &r.name) {
        Ok(_) => Errno::Exist,
        Err(_) => Errno::Noent,
    }
}

/// A `poll_oneoff` event.
struct Event {
    userdata: u64,
    error: Errno,
    tag: u8,
    nbytes: u64,
    flags: u16,
}

impl Event {
    fn ready(userdata: u64, tag: u8, nbytes: u64, flags: u16) -> Event {
        Event {
            userdata,
            error: Errno::Success,
            tag,
            nbytes,
            flags,
        }
    }

    fn error(userdata: u64, tag: u8, error: Errno) -> Event {
        Event {
            userdata,
            error,
            tag,
            nbytes: 0,
            flags: 0,
        }
    }

    fn write(&self, m: &mut GuestMemory<'_>, at: u32) -> R {
        m.slice_mut(at, size::EVENT)?.fill(0);
        m.write_u64(at, self.userdata)?;
        m.write_u16(at + 8, self.error.raw())?;
        m.write_u8(at + 10, self.tag)?;
        if self.tag != eventtype::CLOCK {
            m.write_u64(at + 16, self.nbytes)?;
            m.write_u16(at + 24, self.flags)?;
        }
        Ok(())
    }
}
