//! WASI error numbers, and how host errors map to them.

use std::fmt;

macro_rules! errnos {
    ($($(#[$doc:meta])* $name:ident = $value:literal, $text:literal;)*) => {
        /// A WASI preview 1 `errno`: what every function returns.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr(u16)]
        pub enum Errno {
            $($(#[$doc])* $name = $value,)*
        }

        impl Errno {
            /// The errno with number `n`, if WASI defines one.
            pub fn from_u16(n: u16) -> Option<Errno> {
                match n {
                    $($value => Some(Errno::$name),)*
                    _ => None,
                }
            }

            /// The errno's name as the WASI specification spells it (`badf`, `notcapable`).
            pub fn name(self) -> &'static str {
                match self {
                    $(Errno::$name => $text,)*
                }
            }
        }
    };
}

errnos! {
    /// No error occurred.
    Success = 0, "success";
    /// Argument list too long.
    TooBig = 1, "2big";
    /// Permission denied.
    Acces = 2, "acces";
    /// Address in use.
    Addrinuse = 3, "addrinuse";
    /// Address not available.
    Addrnotavail = 4, "addrnotavail";
    /// Address family not supported.
    Afnosupport = 5, "afnosupport";
    /// Resource unavailable, or operation would block.
    Again = 6, "again";
    /// Connection already in progress.
    Already = 7, "already";
    /// Bad file descriptor.
    Badf = 8, "badf";
    /// Bad message.
    Badmsg = 9, "badmsg";
    /// Device or resource busy.
    Busy = 10, "busy";
    /// Operation canceled.
    Canceled = 11, "canceled";
    /// No child processes.
    Child = 12, "child";
    /// Connection aborted.
    Connaborted = 13, "connaborted";
    /// Connection refused.
    Connrefused = 14, "connrefused";
    /// Connection reset.
    Connreset = 15, "connreset";
    /// Resource deadlock would occur.
    Deadlk = 16, "deadlk";
    /// Destination address required.
    Destaddrreq = 17, "destaddrreq";
    /// Mathematics argument out of domain of function.
    Dom = 18, "dom";
    /// Reserved.
    Dquot = 19, "dquot";
    /// File exists.
    Exist = 20, "exist";
    /// Bad address: a guest pointer out of bounds.
    Fault = 21, "fault";
    /// File too large.
    Fbig = 22, "fbig";
    /// Host is unreachable.
    Hostunreach = 23, "hostunreach";
    /// Identifier removed.
    Idrm = 24, "idrm";
    /// Illegal byte sequence.
    Ilseq = 25, "ilseq";
    /// Operation in progress.
    Inprogress = 26, "inprogress";
    /// Interrupted function.
    Intr = 27, "intr";
    /// Invalid argument.
    Inval = 28, "inval";
    /// I/O error.
    Io = 29, "io";
    /// Socket is connected.
    Isconn = 30, "isconn";
    /// Is a directory.
    Isdir = 31, "isdir";
    /// Too many levels of symbolic links.
    Loop = 32, "loop";
    /// File descriptor value too large.
    Mfile = 33, "mfile";
    /// Too many links.
    Mlink = 34, "mlink";
    /// Message too large.
    Msgsize = 35, "msgsize";
    /// Reserved.
    Multihop = 36, "multihop";
    /// Filename too long.
    Nametoolong = 37, "nametoolong";
    /// Network is down.
    Netdown = 38, "netdown";
    /// Connection aborted by network.
    Netreset = 39, "netreset";
    /// Network unreachable.
    Netunreach = 40, "netunreach";
    /// Too many files open in system.
    Nfile = 41, "nfile";
    /// No buffer space available.
    Nobufs = 42, "nobufs";
    /// No such device.
    Nodev = 43, "nodev";
    /// No such file or directory.
    Noent = 44, "noent";
    /// Executable file format error.
    Noexec = 45, "noexec";
    /// No locks available.
    Nolck = 46, "nolck";
    /// Reserved.
    Nolink = 47, "nolink";
    /// Not enough space.
    Nomem = 48, "nomem";
    /// No message of the desired type.
    Nomsg = 49, "nomsg";
    /// Protocol not available.
    Noprotoopt = 50, "noprotoopt";
    /// No space left on device.
    Nospc = 51, "nospc";
    /// Function not supported.
    Nosys = 52, "nosys";
    /// The socket is not connected.
    Notconn = 53, "notconn";
    /// Not a directory or a symbolic link to a directory.
    Notdir = 54, "notdir";
    /// Directory not empty.
    Notempty = 55, "notempty";
    /// State not recoverable.
    Notrecoverable = 56, "notrecoverable";
    /// Not a socket.
    Notsock = 57, "notsock";
    /// Not supported, or operation not supported on socket.
    Notsup = 58, "notsup";
    /// Inappropriate I/O control operation.
    Notty = 59, "notty";
    /// No such device or address.
    Nxio = 60, "nxio";
    /// Value too large to be stored in data type.
    Overflow = 61, "overflow";
    /// Previous owner died.
    Ownerdead = 62, "ownerdead";
    /// Operation not permitted: also what a path that leaves its preopen gets.
    Perm = 63, "perm";
    /// Broken pipe.
    Pipe = 64, "pipe";
    /// Protocol error.
    Proto = 65, "proto";
    /// Protocol not supported.
    Protonosupport = 66, "protonosupport";
    /// Protocol wrong type for socket.
    Prototype = 67, "prototype";
    /// Result too large.
    Range = 68, "range";
    /// Read-only file system.
    Rofs = 69, "rofs";
    /// Invalid seek.
    Spipe = 70, "spipe";
    /// No such process.
    Srch = 71, "srch";
    /// Reserved.
    Stale = 72, "stale";
    /// Connection timed out.
    Timedout = 73, "timedout";
    /// Text file busy.
    Txtbsy = 74, "txtbsy";
    /// Cross-device link.
    Xdev = 75, "xdev";
    /// Capabilities insufficient: the descriptor lacks a right the call needs.
    Notcapable = 76, "notcapable";
}

impl Errno {
    /// The number a WASI function returns for this errno.
    pub fn raw(self) -> u16 {
        self as u16
    }

    /// The WASI errno for host `errno` value `e` (from `libc`); an errno
    /// WASI has no name for becomes [`Errno::Io`].
    pub fn from_host(e: i32) -> Errno {
        use libc::*;
        match e {
            0 => Errno::Success,
            E2BIG => Errno::TooBig,
            EACCES => Errno::Acces,
            EADDRINUSE => Errno::Addrinuse,
            EADDRNOTAVAIL => Errno::Addrnotavail,
            EAFNOSUPPORT => Errno::Afnosupport,
            // EWOULDBLOCK is the same number.
            EAGAIN => Errno::Again,
            EALREADY => Errno::Already,
            EBADF => Errno::Badf,
            EBADMSG => Errno::Badmsg,
            EBUSY => Errno::Busy,
            ECANCELED => Errno::Canceled,
            ECHILD => Errno::Child,
            ECONNABORTED => Errno::Connaborted,
            ECONNREFUSED => Errno::Connrefused,
            ECONNRESET => Errno::Connreset,
            EDEADLK => Errno::Deadlk,
            EDESTADDRREQ => Errno::Destaddrreq,
            EDOM => Errno::Dom,
            EDQUOT => Errno::Dquot,
            EEXIST => Errno::Exist,
            EFAULT => Errno::Fault,
            EFBIG => Errno::Fbig,
            EHOSTUNREACH => Errno::Hostunreach,
            EIDRM => Errno::Idrm,
            EILSEQ => Errno::Ilseq,
            EINPROGRESS => Errno::Inprogress,
            EINTR => Errno::Intr,
            EINVAL => Errno::Inval,
            EIO => Errno::Io,
            EISCONN => Errno::Isconn,
            EISDIR => Errno::Isdir,
            ELOOP => Errno::Loop,
            EMFILE => Errno::Mfile,
            EMLINK => Errno::Mlink,
            EMSGSIZE => Errno::Msgsize,
            EMULTIHOP => Errno::Multihop,
            ENAMETOOLONG => Errno::Nametoolong,
            ENETDOWN => Errno::Netdown,
            ENETRESET => Errno::Netreset,
            ENETUNREACH => Errno::Netunreach,
            ENFILE => Errno::Nfile,
            ENOBUFS => Errno::Nobufs,
            ENODEV => Errno::Nodev,
            ENOENT => Errno::Noent,
            ENOEXEC => Errno::Noexec,
            ENOLCK => Errno::Nolck,
            ENOLINK => Errno::Nolink,
            ENOMEM => Errno::Nomem,
            ENOMSG => Errno::Nomsg,
            ENOPROTOOPT => Errno::Noprotoopt,
            ENOSPC => Errno::Nospc,
            ENOSYS => Errno::Nosys,
            ENOTCONN => Errno::Notconn,
            ENOTDIR => Errno::Notdir,
            ENOTEMPTY => Errno::Notempty,
            ENOTRECOVERABLE => Errno::Notrecoverable,
            ENOTSOCK => Errno::Notsock,
            // EOPNOTSUPP is ENOTSUP on Linux; elsewhere they may differ.
            #[allow(unreachable_patterns)]
            ENOTSUP | EOPNOTSUPP => Errno::Notsup,
            ENOTTY => Errno::Notty,
            ENXIO => Errno::Nxio,
            EOVERFLOW => Errno::Overflow,
            EOWNERDEAD => Errno::Ownerdead,
            EPERM => Errno::Perm,
            EPIPE => Errno::Pipe,
            EPROTO => Errno::Proto,
            EPROTONOSUPPORT => Errno::Protonosupport,
            EPROTOTYPE => Errno::Prototype,
            ERANGE => Errno::Range,
            EROFS => Errno::Rofs,
            ESPIPE => Errno::Spipe,
            ESRCH => Errno::Srch,
            ESTALE => Errno::Stale,
            ETIMEDOUT => Errno::Timedout,
            ETXTBSY => Errno::Txtbsy,
            EXDEV => Errno::Xdev,
            _ => Errno::Io,
        }
    }

    /// The errno of the calling thread's last failed libc call.
    pub fn last() -> Errno {
        Errno::from_host(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
    }
}

impl From<std::io::Error> for Errno {
    fn from(e: std::io::Error) -> Self {
        match e.raw_os_error() {
            Some(n) => Errno::from_host(n),
            None => match e.kind() {
                std::io::ErrorKind::NotFound => Errno::Noent,
                std::io::ErrorKind::PermissionDenied => Errno::Acces,
                std::io::ErrorKind::AlreadyExists => Errno::Exist,
                std::io::ErrorKind::WouldBlock => Errno::Again,
                std::io::ErrorKind::InvalidInput => Errno::Inval,
                std::io::ErrorKind::Interrupted => Errno::Intr,
                std::io::ErrorKind::Unsupported => Errno::Notsup,
                std::io::ErrorKind::OutOfMemory => Errno::Nomem,
                _ => Errno::Io,
            },
        }
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.raw())
    }
}

impl std::error::Error for Errno {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_round_trip() {
        for n in 0..=76u16 {
            let e = Errno::from_u16(n).expect("every number up to 76 is an errno");
            assert_eq!(e.raw(), n);
        }
        assert_eq!(Errno::from_u16(77), None);
        assert_eq!(Errno::Notcapable.name(), "notcapable");
        assert_eq!(Errno::TooBig.to_string(), "2big (1)");
    }

    #[test]
    fn host_errnos_map_to_their_wasi_names() {
        let cases = [
            (libc::ENOENT, Errno::Noent, 44),
            (libc::EEXIST, Errno::Exist, 20),
            (libc::ENOTDIR, Errno::Notdir, 54),
            (libc::EISDIR, Errno::Isdir, 31),
            (libc::ENOTEMPTY, Errno::Notempty, 55),
            (libc::ELOOP, Errno::Loop, 32),
            (libc::EACCES, Errno::Acces, 2),
            (libc::EPERM, Errno::Perm, 63),
            (libc::EBADF, Errno::Badf, 8),
            (libc::EINVAL, Errno::Inval, 28),
            (libc::ESPIPE, Errno::Spipe, 70),
            (libc::EXDEV, Errno::Xdev, 75),
            (libc::EAGAIN, Errno::Again, 6),
            (libc::ENOSPC, Errno::Nospc, 51),
            (libc::ENAMETOOLONG, Errno::Nametoolong, 37),
            (libc::EOPNOTSUPP, Errno::Notsup, 58),
            (libc::EPIPE, Errno::Pipe, 64),
            (libc::ECONNRESET, Errno::Connreset, 15),
            (libc::ENOTCONN, Errno::Notconn, 53),
            (libc::EMFILE, Errno::Mfile, 33),
            (libc::ETXTBSY, Errno::Txtbsy, 74),
            (libc::EROFS, Errno::Rofs, 69),
        ];
        for (host, wasi, n) in cases {
            assert_eq!(Errno::from_host(host), wasi, "host errno {host}");
            assert_eq!(wasi.raw(), n);
        }
    }

    #[test]
    fn unknown_host_errnos_become_io() {
        assert_eq!(Errno::from_host(100_000), Errno::Io);
        assert_eq!(Errno::from_host(-1), Errno::Io);
        #[cfg(target_os = "linux")]
        assert_eq!(Errno::from_host(libc::ENOMEDIUM), Errno::Io);
    }

    #[test]
    fn io_errors_map_by_code_then_kind() {
        let e = std::io::Error::from_raw_os_error(libc::ENOTEMPTY);
        assert_eq!(Errno::from(e), Errno::Notempty);
        let e = std::io::Error::new(std::io::ErrorKind::NotFound, "gone");
        assert_eq!(Errno::from(e), Errno::Noent);
        let e = std::io::Error::other("strange");
        assert_eq!(Errno::from(e), Errno::Io);
    }
}
