//! Bounds-checked access to the guest's linear memory.
//!
//! Every pointer a guest passes is a 32-bit offset into its memory; every
//! access here checks `ptr + len` against the memory's length and answers
//! [`Errno::Fault`] when it does not fit, so no guest value can make the host
//! touch memory outside the guest's.

use crate::errno::Errno;
use crate::types::size;

/// The guest's linear memory during one host call.
pub struct GuestMemory<'a> {
    bytes: &'a mut [u8],
}

/// A checked range `[start, start + len)` of guest memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GuestRange {
    /// Its first byte.
    pub start: usize,
    /// Its length.
    pub len: usize,
}

impl<'a> GuestMemory<'a> {
    /// Wraps the memory's accessible bytes.
    pub fn new(bytes: &'a mut [u8]) -> Self {
        GuestMemory { bytes }
    }

    /// Checks that `[ptr, ptr + len)` lies inside the memory.
    pub fn range(&self, ptr: u32, len: u32) -> Result<GuestRange, Errno> {
        let start = ptr as usize;
        let end = start.checked_add(len as usize).ok_or(Errno::Fault)?;
        if end > self.bytes.len() {
            return Err(Errno::Fault);
        }
        Ok(GuestRange {
            start,
            len: len as usize,
        })
    }

    /// Checks that `count` records of `size` bytes starting at `ptr` fit.
    pub fn array(&self, ptr: u32, count: u32, size: u32) -> Result<GuestRange, Errno> {
        let len = (count as u64) * (size as u64);
        let len = u32::try_from(len).map_err(|_| Errno::Fault)?;
        self.range(ptr, len)
    }

    /// The bytes at `[ptr, ptr + len)`.
    pub fn slice(&self, ptr: u32, len: u32) -> Result<&[u8], Errno> {
        let r = self.range(ptr, len)?;
        Ok(&self.bytes[r.start..r.start + r.len])
    }

    /// The bytes at `[ptr, ptr + len)`, to write.
    pub fn slice_mut(&mut self, ptr: u32, len: u32) -> Result<&mut [u8], Errno> {
        let r = self.range(ptr, len)?;
        Ok(&mut self.bytes[r.start..r.start + r.len])
    }

    /// The bytes of a checked range.
    pub fn get(&self, r: GuestRange) -> &[u8] {
        &self.bytes[r.start..r.start + r.len]
    }

    /// The bytes of a checked range, to write.
    pub fn get_mut(&mut self, r: GuestRange) -> &mut [u8] {
        &mut self.bytes[r.start..r.start + r.len]
    }

    /// The address of the memory's first byte, from which the I/O vectors
    /// of a system call that reads or writes guest bytes in place are made
    /// (each from a checked [`GuestRange`]).
    pub fn base_mut(&mut self) -> *mut u8 {
        self.bytes.as_mut_ptr()
    }

    fn read<const N: usize>(&self, ptr: u32) -> Result<[u8; N], Errno> {
        let s = self.slice(ptr, N as u32)?;
        Ok(s.try_into().expect("slice of length N"))
    }

    fn write<const N: usize>(&mut self, ptr: u32, bytes: [u8; N]) -> Result<(), Errno> {
        self.slice_mut(ptr, N as u32)?.copy_from_slice(&bytes);
        Ok(())
    }

    /// Reads a little-endian `u8`.
    pub fn read_u8(&self, ptr: u32) -> Result<u8, Errno> {
        Ok(self.read::<1>(ptr)?[0])
    }

    /// Reads a little-endian `u16`.
    pub fn read_u16(&self, ptr: u32) -> Result<u16, Errno> {
        Ok(u16::from_le_bytes(self.read(ptr)?))
    }

    /// Reads a little-endian `u32`.
    pub fn read_u32(&self, ptr: u32) -> Result<u32, Errno> {
        Ok(u32::from_le_bytes(self.read(ptr)?))
    }

    /// Reads a little-endian `u64`.
    pub fn read_u64(&self, ptr: u32) -> Result<u64, Errno> {
        Ok(u64::from_le_bytes(self.read(ptr)?))
    }

    /// Writes a `u8`.
    pub fn write_u8(&mut self, ptr: u32, v: u8) -> Result<(), Errno> {
        self.write(ptr, [v])
    }

    /// Writes a little-endian `u16`.
    pub fn write_u16(&mut self, ptr: u32, v: u16) -> Result<(), Errno> {
        self.write(ptr, v.to_le_bytes())
    }

    /// Writes a little-endian `u32`.
    pub fn write_u32(&mut self, ptr: u32, v: u32) -> Result<(), Errno> {
        self.write(ptr, v.to_le_bytes())
    }

    /// Writes a little-endian `u64`.
    pub fn write_u64(&mut self, ptr: u32, v: u64) -> Result<(), Errno> {
        self.write(ptr, v.to_le_bytes())
    }

    /// Copies `bytes` to `ptr`.
    pub fn write_bytes(&mut self, ptr: u32, bytes: &[u8]) -> Result<(), Errno> {
        let len = u32::try_from(bytes.len()).map_err(|_| Errno::Fault)?;
        self.slice_mut(ptr, len)?.copy_from_slice(bytes);
        Ok(())
    }

    /// Reads the guest's `iovec` (or `ciovec`) array of `count` entries at
    /// `ptr` and checks that every buffer it names lies inside the memory.
    pub fn iovecs(&self, ptr: u32, count: u32) -> Result<Vec<GuestRange>, Errno> {
        self.array(ptr, count, size::IOVEC)?;
        (0..count)
            .map(|i| {
                let at = ptr + i * size::IOVEC;
                let buf = self.read_u32(at)?;
                let len = self.read_u32(at + 4)?;
                self.range(buf, len)
            })
            .collect()
    }

    /// A path argument: `len` bytes at `ptr`. The bytes need not be UTF-8
    /// (the host's file names are bytes too), but may hold no NUL.
    pub fn path(&self, ptr: u32, len: u32) -> Result<Vec<u8>, Errno> {
        let bytes = self.slice(ptr, len)?;
        if bytes.contains(&0) {
            return Err(Errno::Inval);
        }
        Ok(bytes.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accesses_past_the_end_fault() {
        let mut bytes = vec![0u8; 64];
        let mut m = GuestMemory::new(&mut bytes);
        assert!(m.write_u32(60, 7).is_ok());
        assert_eq!(m.read_u32(60), Ok(7));
        assert_eq!(m.write_u32(61, 7), Err(Errno::Fault));
        assert_eq!(m.read_u64(u32::MAX), Err(Errno::Fault));
        assert_eq!(m.slice(64, 0).map(|s| s.len()), Ok(0));
        assert_eq!(m.slice(65, 0).map(|s| s.len()), Err(Errno::Fault));
        assert_eq!(m.array(0, u32::MAX, 8), Err(Errno::Fault));
        assert_eq!(m.array(0, 8, 8).map(|r| r.len), Ok(64));
    }

    #[test]
    fn iovecs_are_checked_entry_by_entry() {
        let mut bytes = vec![0u8; 64];
        let mut m = GuestMemory::new(&mut bytes);
        m.write_u32(0, 32).unwrap();
        m.write_u32(4, 16).unwrap();
        m.write_u32(8, 48).unwrap();
        m.write_u32(12, 17).unwrap();
        assert_eq!(m.iovecs(0, 1), Ok(vec![GuestRange { start: 32, len: 16 }]));
        assert_eq!(m.iovecs(0, 2), Err(Errno::Fault));
        assert_eq!(m.iovecs(60, 1), Err(Errno::Fault));
    }

    #[test]
    fn paths_refuse_nul() {
        let mut bytes = b"a/b\0c".to_vec();
        let m = GuestMemory::new(&mut bytes);
        assert_eq!(m.path(0, 3), Ok(b"a/b".to_vec()));
        assert_eq!(m.path(0, 5), Err(Errno::Inval));
        assert_eq!(m.path(3, 10), Err(Errno::Fault));
    }
}
