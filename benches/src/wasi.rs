//! A minimal `wasi_snapshot_preview1`: the seven imports of the corpus, for
//! engines that bring no WASI of their own (wasm3 here; a Skiff tier could use
//! it too before `skiff-wasi` runs commands).
//!
//! Per `corpus/README.md`, the programs call only `args_sizes_get`,
//! `args_get`, `fd_fdstat_get` (stdio's isatty check on stdout) and
//! `fd_write`, plus `proc_exit` on a non-zero exit; `fd_seek` and `fd_close`
//! must link but are never called. Each function here works on the guest's
//! linear memory as a byte slice and returns a WASI errno.

/// WASI errno values used here.
pub mod errno {
    /// No error.
    pub const SUCCESS: i32 = 0;
    /// Bad file descriptor.
    pub const BADF: i32 = 8;
    /// A pointer outside linear memory.
    pub const FAULT: i32 = 21;
    /// Invalid argument.
    pub const INVAL: i32 = 28;
    /// Invalid seek.
    pub const SPIPE: i32 = 70;
}

/// The names of the `wasi_snapshot_preview1` functions that this shim
/// implements, which are all the corpus imports.
pub const FUNCTIONS: [&str; 7] = [
    "args_get",
    "args_sizes_get",
    "fd_write",
    "fd_fdstat_get",
    "fd_seek",
    "fd_close",
    "proc_exit",
];

/// The state of one command run: its arguments and what it wrote.
#[derive(Debug, Clone, Default)]
pub struct MiniWasi {
    /// argv, each without its terminating NUL.
    pub args: Vec<String>,
    /// Bytes written to fd 1.
    pub stdout: Vec<u8>,
    /// Bytes written to fd 2.
    pub stderr: Vec<u8>,
    /// The code passed to `proc_exit`, once it was called.
    pub exit_code: Option<i32>,
}

fn range(mem: &[u8], ptr: u32, len: u32) -> Result<std::ops::Range<usize>, i32> {
    let start = ptr as usize;
    let end = start.checked_add(len as usize).ok_or(errno::FAULT)?;
    if end > mem.len() {
        return Err(errno::FAULT);
    }
    Ok(start..end)
}

fn read_u32(mem: &[u8], ptr: u32) -> Result<u32, i32> {
    let r = range(mem, ptr, 4)?;
    Ok(u32::from_le_bytes(mem[r].try_into().unwrap()))
}

fn write_u32(mem: &mut [u8], ptr: u32, value: u32) -> Result<(), i32> {
    let r = range(mem, ptr, 4)?;
    mem[r].copy_from_slice(&value.to_le_bytes());
    Ok(())
}

fn errno_of(result: Result<(), i32>) -> i32 {
    match result {
        Ok(()) => errno::SUCCESS,
        Err(e) => e,
    }
}

impl MiniWasi {
    /// A run with argv `args`.
    pub fn new(args: &[String]) -> MiniWasi {
        MiniWasi {
            args: args.to_vec(),
            ..MiniWasi::default()
        }
    }

    /// `args_sizes_get(argc: *mut u32, argv_buf_size: *mut u32) -> errno`.
    pub fn args_sizes_get(&self, mem: &mut [u8], argc_ptr: u32, buf_size_ptr: u32) -> i32 {
        let size: usize = self.args.iter().map(|a| a.len() + 1).sum();
        errno_of((|| {
            write_u32(mem, argc_ptr, self.args.len() as u32)?;
            write_u32(mem, buf_size_ptr, size as u32)
        })())
    }

    /// `args_get(argv: *mut *mut u8, argv_buf: *mut u8) -> errno`.
    pub fn args_get(&self, mem: &mut [u8], argv_ptr: u32, buf_ptr: u32) -> i32 {
        errno_of((|| {
            let mut at = buf_ptr;
            for (i, arg) in self.args.iter().enumerate() {
                write_u32(mem, argv_ptr + 4 * i as u32, at)?;
                let r = range(mem, at, arg.len() as u32 + 1)?;
                mem[r.start..r.end - 1].copy_from_slice(arg.as_bytes());
                mem[r.end - 1] = 0;
                at += arg.len() as u32 + 1;
            }
            Ok(())
        })())
    }

    /// `fd_write(fd, iovs: *const ciovec, iovs_len, nwritten: *mut u32) -> errno`.
    /// fd 1 and fd 2 are captured; any other fd is `EBADF`.
    pub fn fd_write(
        &mut self,
        mem: &mut [u8],
        fd: i32,
        iovs: u32,
        iovs_len: u32,
        nwritten: u32,
    ) -> i32 {
        errno_of((|| {
            let mut total: u32 = 0;
            for i in 0..iovs_len {
                let base = read_u32(mem, iovs + 8 * i)?;
                let len = read_u32(mem, iovs + 8 * i + 4)?;
                let bytes = &mem[range(mem, base, len)?];
                match fd {
                    1 => self.stdout.extend_from_slice(bytes),
                    2 => self.stderr.extend_from_slice(bytes),
                    _ => return Err(errno::BADF),
                }
                total = total.checked_add(len).ok_or(errno::INVAL)?;
            }
            write_u32(mem, nwritten, total)
        })())
    }

    /// `fd_fdstat_get(fd, buf: *mut fdstat) -> errno`. fds 0 to 2 report file
    /// type `unknown` with no rights, so wasi-libc does not take stdout for a
    /// terminal and buffers it fully (one `fd_write` per run).
    pub fn fd_fdstat_get(&self, mem: &mut [u8], fd: i32, buf: u32) -> i32 {
        if !(0..=2).contains(&fd) {
            return errno::BADF;
        }
        // fdstat: filetype u8 @0, flags u16 @2, rights_base u64 @8,
        // rights_inheriting u64 @16; 24 bytes.
        match range(mem, buf, 24) {
            Ok(r) => {
                mem[r].fill(0);
                errno::SUCCESS
            }
            Err(e) => e,
        }
    }

    /// `fd_seek`: the standard streams are not seekable.
    pub fn fd_seek(&self, fd: i32) -> i32 {
        if (0..=2).contains(&fd) {
            errno::SPIPE
        } else {
            errno::BADF
        }
    }

    /// `fd_close`: the standard streams may be closed; nothing else is open.
    pub fn fd_close(&self, fd: i32) -> i32 {
        if (0..=2).contains(&fd) {
            errno::SUCCESS
        } else {
            errno::BADF
        }
    }

    /// `proc_exit(code)`: records the code; the caller must then unwind the
    /// guest (a trap of the host engine's choosing).
    pub fn proc_exit(&mut self, code: i32) {
        self.exit_code = Some(code);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn args_round_trip() {
        let w = MiniWasi::new(&["fib.wasm".to_string(), "22".to_string()]);
        let mut mem = vec![0u8; 64];
        assert_eq!(w.args_sizes_get(&mut mem, 0, 4), 0);
        assert_eq!(read_u32(&mem, 0), Ok(2));
        assert_eq!(read_u32(&mem, 4), Ok(12));
        assert_eq!(w.args_get(&mut mem, 8, 16), 0);
        assert_eq!(read_u32(&mem, 8), Ok(16));
        assert_eq!(read_u32(&mem, 12), Ok(25));
        assert_eq!(&mem[16..28], b"fib.wasm\x0022\x00");
        assert_eq!(w.args_get(&mut mem, 8, 60), errno::FAULT);
    }

    #[test]
    fn fd_write_gathers_iovecs() {
        let mut w = MiniWasi::default();
        let mut mem = vec![0u8; 64];
        mem[32..38].copy_from_slice(b"hello ");
        mem[40..46].copy_from_slice(b"world\n");
        for (at, v) in [(0, 32), (4, 6), (8, 40), (12, 6)] {
            write_u32(&mut mem, at, v).unwrap();
        }
        assert_eq!(w.fd_write(&mut mem, 1, 0, 2, 16), 0);
        assert_eq!(w.stdout, b"hello world\n");
        assert_eq!(read_u32(&mem, 16), Ok(12));
        assert_eq!(w.fd_write(&mut mem, 2, 0, 1, 16), 0);
        assert_eq!(w.stderr, b"hello ");
        assert_eq!(w.fd_write(&mut mem, 5, 0, 1, 16), errno::BADF);
        write_u32(&mut mem, 4, 1000).unwrap();
        assert_eq!(w.fd_write(&mut mem, 1, 0, 1, 16), errno::FAULT);
    }
}
