//! The WASI context: what the embedder granted, and the guest's descriptor
//! table.

use crate::errno::Errno;
use crate::sys;
use crate::types::{Fd, filetype, rights};
use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fmt;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

/// What a preopened directory lets the guest do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirPerms {
    /// Read files and list directories; nothing that creates, changes or
    /// removes anything (those fail with `EPERM`, as in wasmtime).
    ReadOnly,
    /// Everything.
    ReadWrite,
}

/// An in-memory byte stream shared between the embedder and the guest.
///
/// As the guest's stdout or stderr, what the guest writes is appended, and
/// the embedder reads it back with [`OutputBuffer::contents`]. As its stdin,
/// the guest's reads take bytes from the front until it is empty, and then
/// see end of file.
///
/// A buffer holds at most its [limit](OutputBuffer::limit) of bytes
/// ([`OutputBuffer::DEFAULT_LIMIT`] unless made
/// [`with_limit`](OutputBuffer::with_limit)), so that a guest cannot make the
/// host's memory grow without bound. A write that does not fit whole is
/// short: it takes what fits, and a write when nothing fits fails with
/// `ENOSPC`, as a full device answers (what `/dev/full` and a full disk
/// say; `EFBIG` would claim a file's maximum size, which a stream does not
/// have). Taking the contents ([`take`](OutputBuffer::take)) makes room
/// again.
#[derive(Clone)]
pub struct OutputBuffer(Arc<Mutex<BufferState>>);

struct BufferState {
    bytes: Vec<u8>,
    limit: usize,
}

impl Default for OutputBuffer {
    fn default() -> Self {
        OutputBuffer::with_limit(OutputBuffer::DEFAULT_LIMIT)
    }
}

impl OutputBuffer {
    /// The limit of a buffer made by [`new`](Self::new) or
    /// [`from_bytes`](Self::from_bytes): 64 MiB.
    pub const DEFAULT_LIMIT: usize = 64 << 20;

    /// An empty buffer that holds up to [`DEFAULT_LIMIT`](Self::DEFAULT_LIMIT) bytes.
    pub fn new() -> Self {
        OutputBuffer::default()
    }

    /// An empty buffer that holds up to `limit` bytes (`usize::MAX` for no
    /// limit but the host's memory).
    pub fn with_limit(limit: usize) -> Self {
        OutputBuffer(Arc::new(Mutex::new(BufferState {
            bytes: Vec::new(),
            limit,
        })))
    }

    /// A buffer holding `bytes` (for stdin). Its limit is the larger of
    /// [`DEFAULT_LIMIT`](Self::DEFAULT_LIMIT) and their length.
    pub fn from_bytes(bytes: impl Into<Vec<u8>>) -> Self {
        let bytes = bytes.into();
        OutputBuffer(Arc::new(Mutex::new(BufferState {
            limit: bytes.len().max(OutputBuffer::DEFAULT_LIMIT),
            bytes,
        })))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BufferState> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The most bytes the buffer holds.
    pub fn limit(&self) -> usize {
        self.lock().limit
    }

    /// A copy of what the buffer holds.
    pub fn contents(&self) -> Vec<u8> {
        self.lock().bytes.clone()
    }

    /// What the buffer holds, as text (invalid UTF-8 replaced).
    pub fn contents_lossy(&self) -> String {
        String::from_utf8_lossy(&self.lock().bytes).into_owned()
    }

    /// Takes what the buffer holds, leaving it empty.
    pub fn take(&self) -> Vec<u8> {
        std::mem::take(&mut self.lock().bytes)
    }

    /// How many bytes it holds.
    pub fn len(&self) -> usize {
        self.lock().bytes.len()
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.lock().bytes.is_empty()
    }

    /// Appends as much of `bytes` as fits under the limit: how many bytes
    /// it took, or `ENOSPC` when `bytes` is not empty and none fit.
    pub(crate) fn append(&self, bytes: &[u8]) -> Result<usize, Errno> {
        let mut buf = self.lock();
        let room = buf.limit.saturating_sub(buf.bytes.len());
        if room == 0 && !bytes.is_empty() {
            return Err(Errno::Nospc);
        }
        let n = bytes.len().min(room);
        buf.bytes.extend_from_slice(&bytes[..n]);
        Ok(n)
    }

    /// Moves up to `out.len()` bytes from the front into `out`.
    pub(crate) fn read_into(&self, out: &mut [u8], peek: bool) -> usize {
        let mut buf = self.lock();
        let n = out.len().min(buf.bytes.len());
        out[..n].copy_from_slice(&buf.bytes[..n]);
        if !peek {
            buf.bytes.drain(..n);
        }
        n
    }
}

impl fmt::Debug for OutputBuffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OutputBuffer({} bytes)", self.len())
    }
}

/// Where one of the guest's standard streams goes.
#[derive(Debug, Clone, Default)]
pub enum Stdio {
    /// The host process's own stream of the same number (a duplicate of
    /// its descriptor, taken when the context is built; closed for the
    /// guest if the host has none). As with [`Stdio::File`], the guest sees
    /// a terminal only when it is one, so that its libc buffers output
    /// written to a file, a pipe or `/dev/null` in full, not by line.
    Inherit,
    /// An in-memory buffer shared with the embedder (see [`OutputBuffer`]).
    Buffer(OutputBuffer),
    /// A descriptor the embedder opened: a file, a device such as
    /// `/dev/null`, a pipe or a terminal (see [`Stdio::file`]). The guest
    /// gets a duplicate, taken when the context is built, and sees it as
    /// a stream: it cannot seek, and it is a character device to the guest
    /// only when it is a terminal.
    File(Arc<OwnedFd>),
    /// Reads see end of file; writes are accepted and dropped.
    Null,
    /// No such descriptor: every call on it fails with `EBADF`.
    #[default]
    Closed,
}

impl Stdio {
    /// A stdin that reads `bytes` and then end of file.
    pub fn input(bytes: impl Into<Vec<u8>>) -> Stdio {
        Stdio::Buffer(OutputBuffer::from_bytes(bytes))
    }

    /// A stream on a descriptor the embedder opened (a [`std::fs::File`],
    /// a pipe's end, a terminal...).
    pub fn file(fd: impl Into<OwnedFd>) -> Stdio {
        Stdio::File(Arc::new(fd.into()))
    }
}

/// Why a context could not be built.
#[derive(Debug)]
pub struct BuildError {
    /// What was being granted.
    pub what: String,
    /// The host's error.
    pub source: std::io::Error,
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.what, self.source)
    }
}

impl std::error::Error for BuildError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// Builds a [`WasiCtx`], granting capabilities one by one. A new builder
/// grants nothing: no arguments, no environment, no preopened directories,
/// standard streams closed, no clocks and no randomness.
#[derive(Debug, Default)]
pub struct WasiCtxBuilder {
    args: Vec<Vec<u8>>,
    env: Vec<(Vec<u8>, Vec<u8>)>,
    preopens: Vec<(PathBuf, String, DirPerms)>,
    sockets: Vec<OwnedFd>,
    stdin: Stdio,
    stdout: Stdio,
    stderr: Stdio,
    clocks: bool,
    random: bool,
    errors: Vec<BuildError>,
}

impl WasiCtxBuilder {
    /// A builder that grants nothing.
    pub fn new() -> Self {
        WasiCtxBuilder::default()
    }

    /// Appends one argument (the first is the program's name, `argv[0]`).
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().as_bytes().to_vec());
        self
    }

    /// Appends arguments.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        for a in args {
            self = self.arg(a);
        }
        self
    }

    /// Grants environment variable `key` with `value`, replacing an earlier
    /// grant of the same key. A key that is empty or holds `=` or NUL, or a
    /// value holding NUL, makes [`build`](Self::build) fail.
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        let (k, v) = (key.as_ref().as_bytes(), value.as_ref().as_bytes());
        if k.is_empty() || k.contains(&b'=') || k.contains(&0) || v.contains(&0) {
            self.errors.push(BuildError {
                what: format!("environment variable {:?}", key.as_ref()),
                source: std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "a key must be non-empty without '=' or NUL, a value without NUL",
                ),
            });
            return self;
        }
        self.env.retain(|(old, _)| old != k);
        self.env.push((k.to_vec(), v.to_vec()));
        self
    }

    /// Grants every environment variable of the host process.
    pub fn inherit_env(mut self) -> Self {
        for (k, v) in std::env::vars_os() {
            self = self.env(k, v);
        }
        self
    }

    /// Preopens host directory `host_path` as `guest_path` with `perms`. The
    /// directory is opened when the context is built; paths the guest names
    /// under it can never leave it.
    pub fn preopen_dir(
        mut self,
        host_path: impl AsRef<Path>,
        guest_path: impl Into<String>,
        perms: DirPerms,
    ) -> Self {
        self.preopens
            .push((host_path.as_ref().to_path_buf(), guest_path.into(), perms));
        self
    }

    /// Hands the guest a socket of the host (a listening or connected stream
    /// socket), for `sock_accept`, `sock_recv`, `sock_send` and
    /// `sock_shutdown`. Sockets are numbered after the preopened directories.
    pub fn preopen_socket(mut self, socket: impl Into<OwnedFd>) -> Self {
        self.sockets.push(socket.into());
        self
    }

    /// Sets the guest's stdin.
    pub fn stdin(mut self, stdio: Stdio) -> Self {
        self.stdin = stdio;
        self
    }

    /// Sets the guest's stdout.
    pub fn stdout(mut self, stdio: Stdio) -> Self {
        self.stdout = stdio;
        self
    }

    /// Sets the guest's stderr.
    pub fn stderr(mut self, stdio: Stdio) -> Self {
        self.stderr = stdio;
        self
    }

    /// Inherits all three standard streams of the host process.
    pub fn inherit_stdio(self) -> Self {
        self.stdin(Stdio::Inherit)
            .stdout(Stdio::Inherit)
            .stderr(Stdio::Inherit)
    }

    /// Grants (or withholds) the clocks: `clock_time_get`, `clock_res_get`
    /// and clock subscriptions of `poll_oneoff`.
    pub fn clocks(mut self, granted: bool) -> Self {
        self.clocks = granted;
        self
    }

    /// Grants (or withholds) `random_get`.
    pub fn random(mut self, granted: bool) -> Self {
        self.random = granted;
        self
    }

    /// Builds the context: opens the preopened directories (fds 3, 4, ...
    /// in the order given), then numbers the sockets after them.
    pub fn build(self) -> Result<WasiCtx, BuildError> {
        self.build_template()?.into_ctx()
    }

    /// Builds a template for many contexts alike (one per request, say):
    /// the directories are opened, and the sockets checked, once; each
    /// [`WasiTemplate::ctx`] then shares them (as duplicated descriptors)
    /// and copies the rest.
    pub fn build_template(self) -> Result<WasiTemplate, BuildError> {
        if let Some(e) = self.errors.into_iter().next() {
            return Err(e);
        }
        let mut dirs = Vec::with_capacity(self.preopens.len());
        for (host, guest, perms) in self.preopens {
            // O_DIRECTORY: anything else (a FIFO, whose open would wait for
            // a writer forever, a device, a file) fails at once with ENOTDIR.
            let file = std::fs::File::options()
                .read(true)
                .custom_flags(libc::O_DIRECTORY)
                .open(&host)
                .map_err(|source| BuildError {
                    what: format!("preopened directory {}", host.display()),
                    source,
                })?;
            let fd = OwnedFd::from(file);
            let is_dir = sys::fstat(fd.as_fd())
                .map(|st| st.st_mode & libc::S_IFMT == libc::S_IFDIR)
                .unwrap_or(false);
            if !is_dir {
                return Err(BuildError {
                    what: format!("preopened directory {}", host.display()),
                    source: std::io::Error::from_raw_os_error(libc::ENOTDIR),
                });
            }
            dirs.push((fd, guest.into_bytes(), perms));
        }
        let mut sockets = Vec::with_capacity(self.sockets.len());
        for sock in self.sockets {
            let ty = match sys::socket_type(sock.as_fd()) {
                Ok(libc::SOCK_DGRAM) => filetype::SOCKET_DGRAM,
                Ok(_) => filetype::SOCKET_STREAM,
                Err(e) => {
                    return Err(BuildError {
                        what: "preopened socket".into(),
                        source: std::io::Error::from_raw_os_error(host_errno(e)),
                    });
                }
            };
            sockets.push((sock, ty));
        }
        let env = self
            .env
            .into_iter()
            .map(|(mut k, v)| {
                k.push(b'=');
                k.extend_from_slice(&v);
                k
            })
            .collect();
        Ok(WasiTemplate {
            args: self.args,
            env,
            dirs,
            sockets,
            stdio: [self.stdin, self.stdout, self.stderr],
            clocks: self.clocks,
            random: self.random,
        })
    }
}

/// What a [`WasiCtxBuilder`] grants, made ready once to start many guests
/// from ([`WasiCtxBuilder::build_template`]): a context per guest costs
/// copies of the arguments and environment and a duplicate of each
/// directory's and socket's descriptor, with no path opened again.
///
/// The contexts share what the descriptors share: a directory's contents,
/// and a socket's connections. Each has its own descriptor table, so a
/// guest that closes or renumbers a descriptor changes nothing for the
/// others.
#[derive(Debug)]
pub struct WasiTemplate {
    args: Vec<Vec<u8>>,
    env: Vec<Vec<u8>>,
    dirs: Vec<(OwnedFd, Vec<u8>, DirPerms)>,
    sockets: Vec<(OwnedFd, u8)>,
    stdio: [Stdio; 3],
    clocks: bool,
    random: bool,
}

impl WasiTemplate {
    /// A fresh context with the template's grants.
    pub fn ctx(&self) -> Result<WasiCtx, BuildError> {
        self.ctx_with_stdio(self.stdio.clone())
    }

    /// A fresh context with the template's grants but these standard
    /// streams (stdin, stdout, stderr): each request's own buffers, say.
    pub fn ctx_with_stdio(&self, stdio: [Stdio; 3]) -> Result<WasiCtx, BuildError> {
        let dup = |fd: &OwnedFd, what: &str| {
            fd.try_clone().map_err(|source| BuildError {
                what: what.to_string(),
                source,
            })
        };
        let mut dirs = Vec::with_capacity(self.dirs.len());
        for (fd, guest, perms) in &self.dirs {
            dirs.push((dup(fd, "preopened directory")?, guest.clone(), *perms));
        }
        let mut sockets = Vec::with_capacity(self.sockets.len());
        for (fd, ty) in &self.sockets {
            sockets.push((dup(fd, "preopened socket")?, *ty));
        }
        Ok(assemble(
            self.args.clone(),
            self.env.clone(),
            stdio,
            dirs,
            sockets,
            (self.clocks, self.random),
        ))
    }

    /// The context, taking the template's descriptors rather than copies.
    fn into_ctx(self) -> Result<WasiCtx, BuildError> {
        Ok(assemble(
            self.args,
            self.env,
            self.stdio,
            self.dirs,
            self.sockets,
            (self.clocks, self.random),
        ))
    }
}

/// A context granting these: standard streams as fds 0 to 2, then the
/// directories, then the sockets; `(clocks, random)`.
fn assemble(
    args: Vec<Vec<u8>>,
    env: Vec<Vec<u8>>,
    stdio: [Stdio; 3],
    dirs: Vec<(OwnedFd, Vec<u8>, DirPerms)>,
    sockets: Vec<(OwnedFd, u8)>,
    (clocks, random): (bool, bool),
) -> WasiCtx {
    let mut table = BTreeMap::new();
    for (n, stdio) in stdio.into_iter().enumerate() {
        if let Some(entry) = Entry::stdio(n as u8, stdio) {
            table.insert(n as Fd, entry);
        }
    }
    let mut next: Fd = 3;
    for (fd, guest, perms) in dirs {
        table.insert(next, Entry::dir(fd, perms, Some(guest)));
        next += 1;
    }
    for (fd, ty) in sockets {
        table.insert(
            next,
            Entry {
                kind: Kind::Socket { fd, ty },
                base: rights::SOCKET,
                inheriting: 0,
                flags: 0,
                read_only: false,
            },
        );
        next += 1;
    }
    WasiCtx {
        args,
        env,
        table,
        clocks,
        random,
        exit_code: None,
    }
}

fn host_errno(e: Errno) -> i32 {
    match e {
        Errno::Notsock => libc::ENOTSOCK,
        Errno::Badf => libc::EBADF,
        _ => libc::EIO,
    }
}

/// The state of one WASI guest: what it was granted and what it has open.
///
/// Share it with the host functions through `Arc<Mutex<WasiCtx>>` (see
/// [`add_to_linker`](crate::add_to_linker)); after the run, lock it to read
/// what the guest left, such as [`WasiCtx::exit_code`].
pub struct WasiCtx {
    pub(crate) args: Vec<Vec<u8>>,
    pub(crate) env: Vec<Vec<u8>>,
    pub(crate) table: BTreeMap<Fd, Entry>,
    pub(crate) clocks: bool,
    pub(crate) random: bool,
    pub(crate) exit_code: Option<i32>,
}

impl fmt::Debug for WasiCtx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WasiCtx")
            .field("args", &self.args.len())
            .field("env", &self.env.len())
            .field("fds", &self.table.keys().collect::<Vec<_>>())
            .field("clocks", &self.clocks)
            .field("random", &self.random)
            .finish()
    }
}

impl WasiCtx {
    /// The code the guest passed to `proc_exit`, once it has called it.
    pub fn exit_code(&self) -> Option<i32> {
        self.exit_code
    }

    /// Wraps the context for [`add_to_linker`](crate::add_to_linker).
    pub fn into_shared(self) -> Arc<Mutex<WasiCtx>> {
        Arc::new(Mutex::new(self))
    }

    /// The descriptor `fd`, which must have every right in `need`.
    pub(crate) fn entry(&self, fd: Fd, need: u64) -> Result<&Entry, Errno> {
        let e = self.table.get(&fd).ok_or(Errno::Badf)?;
        e.require(need)?;
        Ok(e)
    }

    /// As [`entry`](Self::entry), mutably.
    pub(crate) fn entry_mut(&mut self, fd: Fd, need: u64) -> Result<&mut Entry, Errno> {
        let e = self.table.get_mut(&fd).ok_or(Errno::Badf)?;
        e.require(need)?;
        Ok(e)
    }

    /// Puts `entry` at the lowest free descriptor number from 3 on (0 to 2
    /// stay the standard streams' even when closed).
    pub(crate) fn insert(&mut self, entry: Entry) -> Result<Fd, Errno> {
        let mut fd: Fd = 3;
        for &used in self.table.range(3..).map(|(k, _)| k) {
            if used != fd {
                break;
            }
            fd = fd.checked_add(1).ok_or(Errno::Mfile)?;
        }
        if fd > i32::MAX as Fd {
            return Err(Errno::Mfile);
        }
        self.table.insert(fd, entry);
        Ok(fd)
    }
}

/// Where a standard stream's bytes go.
pub(crate) enum Stream {
    /// A duplicate of the host's descriptor 0, 1 or 2.
    Host(OwnedFd),
    /// An in-memory buffer.
    Buffer(OutputBuffer),
    /// Nothing.
    Null,
}

/// What a descriptor is.
pub(crate) enum Kind {
    /// A file (regular, or a device or FIFO met under a preopen).
    File { fd: OwnedFd, ty: u8 },
    /// A directory: a preopen (with its guest name) or one opened under one.
    Dir {
        fd: OwnedFd,
        preopen: Option<Vec<u8>>,
        perms: DirPerms,
        /// The listing `fd_readdir` serves cookies from, read at cookie 0.
        listing: Option<Vec<sys::DirEntry>>,
    },
    /// A standard stream.
    Stdio(Stream),
    /// A socket the host handed over, or one accepted from it.
    Socket { fd: OwnedFd, ty: u8 },
}

/// One open descriptor of the guest.
pub(crate) struct Entry {
    pub kind: Kind,
    /// Its rights.
    pub base: u64,
    /// The rights descriptors opened through it may have.
    pub inheriting: u64,
    /// Its `fdflags`, as the guest last set them.
    pub flags: u16,
    /// Whether it is, or was opened under, a read-only preopen.
    pub read_only: bool,
}

/// The errno for a call that needs rights `need` from a descriptor that has
/// `base`: `EPERM` when the descriptor is under a read-only preopen and the
/// call would change something (what wasmtime answers there too), else
/// `ENOTCAPABLE`.
pub(crate) fn require(base: u64, read_only: bool, need: u64) -> Result<(), Errno> {
    let missing = need & !base;
    if missing == 0 {
        Ok(())
    } else if read_only && missing & rights::MUTATING != 0 {
        Err(Errno::Perm)
    } else {
        Err(Errno::Notcapable)
    }
}

impl Entry {
    /// Checks that this descriptor has every right in `need`.
    pub(crate) fn require(&self, need: u64) -> Result<(), Errno> {
        require(self.base, self.read_only, need)
    }

    fn stdio(n: u8, stdio: Stdio) -> Option<Entry> {
        let stream = match stdio {
            Stdio::Closed => return None,
            // A host without this descriptor gives the guest none either.
            Stdio::Inherit => Stream::Host(sys::dup_host(i32::from(n))?),
            Stdio::File(fd) => Stream::Host(sys::dup_host(fd.as_raw_fd())?),
            Stdio::Buffer(b) => Stream::Buffer(b),
            Stdio::Null => Stream::Null,
        };
        let io = if n == 0 {
            rights::FD_READ
        } else {
            rights::FD_WRITE
        };
        Some(Entry {
            kind: Kind::Stdio(stream),
            base: io
                | rights::FD_FDSTAT_SET_FLAGS
                | rights::FD_FILESTAT_GET
                | rights::POLL_FD_READWRITE,
            inheriting: 0,
            flags: 0,
            read_only: false,
        })
    }

    /// A directory entry with the rights `perms` allow.
    pub(crate) fn dir(fd: OwnedFd, perms: DirPerms, preopen: Option<Vec<u8>>) -> Entry {
        let (base, inheriting) = dir_rights(perms);
        Entry {
            kind: Kind::Dir {
                fd,
                preopen,
                perms,
                listing: None,
            },
            base,
            inheriting,
            flags: 0,
            read_only: perms == DirPerms::ReadOnly,
        }
    }

    /// The host descriptor behind this entry, if there is one.
    pub(crate) fn host_fd(&self) -> Option<BorrowedFd<'_>> {
        match &self.kind {
            Kind::File { fd, .. }
            | Kind::Dir { fd, .. }
            | Kind::Socket { fd, .. }
            | Kind::Stdio(Stream::Host(fd)) => Some(fd.as_fd()),
            Kind::Stdio(_) => None,
        }
    }

    /// The WASI file type.
    pub(crate) fn filetype(&self) -> u8 {
        match &self.kind {
            Kind::File { ty, .. } | Kind::Socket { ty, .. } => *ty,
            Kind::Dir { .. } => filetype::DIRECTORY,
            // A standard stream is a character device only when it is a
            // terminal (wasi-libc's isatty asks exactly that, and a guest's
            // stdout is line-buffered when it says yes); anything else
            // (a file, a pipe, /dev/null, a buffer) is "unknown", as
            // wasmtime reports it.
            Kind::Stdio(Stream::Host(fd)) if sys::isatty(fd.as_fd()) => filetype::CHARACTER_DEVICE,
            Kind::Stdio(_) => filetype::UNKNOWN,
        }
    }
}

/// The rights of a directory with `perms`: its own, and those it passes on.
///
/// A read-only directory keeps none of the rights that change what is under
/// it. Its inheriting rights still name the write rights of files, so that a
/// guest's libc asks for them when the program opens a file for writing, and
/// `path_open` then refuses the open itself (with `EPERM`), instead of
/// handing out a descriptor whose first write would fail.
pub(crate) fn dir_rights(perms: DirPerms) -> (u64, u64) {
    match perms {
        DirPerms::ReadWrite => (rights::DIRECTORY, rights::DIRECTORY | rights::REGULAR_FILE),
        DirPerms::ReadOnly => {
            let base = rights::DIRECTORY & !rights::DIRECTORY_WRITE;
            (
                base,
                base | (rights::REGULAR_FILE & !rights::FD_FILESTAT_SET_TIMES),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_granted_by_default() {
        let ctx = WasiCtxBuilder::new().build().unwrap();
        assert!(ctx.args.is_empty() && ctx.env.is_empty());
        assert!(ctx.table.is_empty(), "no stdio, no preopens");
        assert!(!ctx.clocks && !ctx.random);
        assert_eq!(ctx.exit_code(), None);
    }

    #[test]
    fn inherited_stdio_duplicates_the_host_descriptors() {
        let ctx = WasiCtxBuilder::new().inherit_stdio().build().unwrap();
        for fd in 0..3 {
            let e = ctx.table.get(&fd).expect("the test process has fds 0 to 2");
            let host = e.host_fd().expect("a host descriptor");
            assert!(
                std::os::fd::AsRawFd::as_raw_fd(&host) >= 3,
                "a duplicate, not fd {fd}"
            );
            assert_eq!(e.base & rights::FD_SEEK, 0, "stdio never seeks");
        }
        assert_ne!(ctx.table[&0].base & rights::FD_READ, 0);
        assert_ne!(ctx.table[&1].base & rights::FD_WRITE, 0);
        assert_eq!(ctx.table[&1].base & rights::FD_READ, 0);
    }

    #[test]
    fn new_descriptors_take_the_lowest_free_number_from_three() {
        let mut ctx = WasiCtxBuilder::new().stdout(Stdio::Null).build().unwrap();
        let null = || Entry {
            kind: Kind::Stdio(Stream::Null),
            base: 0,
            inheriting: 0,
            flags: 0,
            read_only: false,
        };
        assert_eq!(ctx.insert(null()), Ok(3));
        assert_eq!(ctx.insert(null()), Ok(4));
        assert_eq!(ctx.insert(null()), Ok(5));
        ctx.table.remove(&4);
        assert_eq!(ctx.insert(null()), Ok(4));
        assert_eq!(ctx.insert(null()), Ok(6));
    }

    #[test]
    fn read_only_directories_keep_no_right_that_changes_anything() {
        let (base, inheriting) = dir_rights(DirPerms::ReadOnly);
        assert_eq!(base & rights::DIRECTORY_WRITE, 0);
        assert_eq!(inheriting & rights::DIRECTORY_WRITE, 0);
        assert_ne!(base & rights::PATH_OPEN, 0);
        let (base, _) = dir_rights(DirPerms::ReadWrite);
        assert_eq!(base & rights::DIRECTORY_WRITE, rights::DIRECTORY_WRITE);
    }

    #[test]
    fn output_buffers_are_shared_and_read_from_the_front() {
        let b = OutputBuffer::from_bytes("abcdef");
        let view = b.clone();
        let mut out = [0u8; 4];
        assert_eq!(b.read_into(&mut out, true), 4);
        assert_eq!(view.len(), 6, "peeking takes nothing");
        assert_eq!(b.read_into(&mut out, false), 4);
        assert_eq!(&out, b"abcd");
        assert_eq!(view.contents(), b"ef");
        assert_eq!(b.append(b"gh"), Ok(2));
        assert_eq!(view.contents_lossy(), "efgh");
        assert_eq!(view.take(), b"efgh");
        assert!(b.is_empty());
    }

    #[test]
    fn a_preopen_that_is_not_a_directory_fails_at_once() {
        let dir = std::env::temp_dir().join(format!("skiff-wasi-fifo-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let fifo = dir.join("fifo");
        let c = std::ffi::CString::new(fifo.as_os_str().as_bytes()).unwrap();
        // SAFETY: `c` is a NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        std::fs::write(dir.join("file"), "x").unwrap();
        // Opening a FIFO for reading would wait for a writer: the build runs
        // on a thread so that a regression fails the test instead of hanging it.
        let (tx, rx) = std::sync::mpsc::channel();
        let paths = [fifo.clone(), dir.join("file"), dir.join("missing")];
        std::thread::spawn(move || {
            for p in paths {
                let r = WasiCtxBuilder::new()
                    .preopen_dir(&p, "/d", DirPerms::ReadOnly)
                    .build();
                let _ = tx.send(
                    r.map(drop)
                        .map_err(|e| (e.to_string(), e.source.raw_os_error())),
                );
            }
        });
        let wait = std::time::Duration::from_secs(10);
        let (msg, code) = rx.recv_timeout(wait).expect("no hang").unwrap_err();
        assert_eq!(code, Some(libc::ENOTDIR));
        assert!(
            msg.starts_with(&format!("preopened directory {}: ", fifo.display())),
            "{msg}"
        );
        let (_, code) = rx.recv_timeout(wait).unwrap().unwrap_err();
        assert_eq!(code, Some(libc::ENOTDIR), "a file");
        let (_, code) = rx.recv_timeout(wait).unwrap().unwrap_err();
        assert_eq!(code, Some(libc::ENOENT), "nothing");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn output_buffers_stop_at_their_limit() {
        let b = OutputBuffer::with_limit(5);
        assert_eq!(b.limit(), 5);
        assert_eq!(b.append(b"abc"), Ok(3));
        assert_eq!(b.append(b"defg"), Ok(2), "a short write takes what fits");
        assert_eq!(b.append(b"h"), Err(Errno::Nospc));
        assert_eq!(b.append(b""), Ok(0), "an empty write always succeeds");
        assert_eq!(b.contents(), b"abcde");
        assert_eq!(b.take(), b"abcde");
        assert_eq!(b.append(b"ij"), Ok(2), "taking the contents makes room");
        assert_eq!(OutputBuffer::new().limit(), OutputBuffer::DEFAULT_LIMIT);
        let big = vec![0u8; OutputBuffer::DEFAULT_LIMIT + 1];
        assert_eq!(
            OutputBuffer::from_bytes(big).limit(),
            OutputBuffer::DEFAULT_LIMIT + 1
        );
    }
}
