//! Compiled code kept for later: a module's code image (module `layout`)
//! and its tables, written as bytes and read back. The image is stored as
//! it runs (its calls patched, every reference inside it PC-relative), last
//! and at a multiple of [`IMAGE_ALIGN`] from the start, so that loading it
//! is one copy into executable memory, or none: when the bytes are a page-
//! aligned part of a file, the image is mapped from the file.
//!
//! Reading checks the structure: every length within the bytes, every
//! function and trampoline where the module's declarations put it, in
//! order, inside the image and not overlapping, every trap kind known.
//! What it leaves to the checksum of the container cannot make reading go
//! astray: the order of trap sites within a function (a lookup in a
//! disordered list finds the wrong site or none) and the source maps
//! (read only for a backtrace, they decide only the module offsets it
//! shows). It cannot check the code: the bytes
//! must come from [`encode`] of a JIT configured alike, which the container
//! around them (the `skiff` crate's artifacts) vouches for.

use crate::compile::Compiled;
use crate::layout::{Layout, Placed, Tables};
use skiff_vm::runtime::TrapKind;

/// Where the image may start in the encoding: a page, so that an image
/// kept in a file at a page boundary can be mapped from it.
pub(crate) const IMAGE_ALIGN: usize = 4096;

/// The trap kinds generated code raises, by their number in the encoding.
const TRAPS: [TrapKind; 14] = [
    TrapKind::Unreachable,
    TrapKind::MemoryOutOfBounds,
    TrapKind::TableOutOfBounds,
    TrapKind::UndefinedElement,
    TrapKind::UninitializedElement,
    TrapKind::IndirectCallTypeMismatch,
    TrapKind::NullReference,
    TrapKind::IntegerDivisionByZero,
    TrapKind::IntegerOverflow,
    TrapKind::InvalidConversionToInteger,
    TrapKind::StackExhausted,
    TrapKind::OutOfFuel,
    TrapKind::Interrupted,
    TrapKind::Host,
];

/// The room the encoding of the tables of `outputs` takes before the image
/// (which starts at a multiple of [`IMAGE_ALIGN`]): what [`Layout::build`]
/// is to leave free for [`encode`].
pub(crate) fn tables_room(outputs: &[Compiled]) -> usize {
    let traps: usize = outputs.iter().map(|c| c.traps.len()).sum();
    let srclocs: usize = outputs.iter().map(|c| c.srclocs.len()).sum();
    (12 + outputs.len() * 21 + traps * 5 + srclocs).next_multiple_of(IMAGE_ALIGN)
}

/// The bytes of `layout`, just compiled with [`tables_room`] before its
/// image: its tables are written there, and its bytes taken (not copied;
/// its image is empty after). An error naming what this encoding does not
/// know (a trap kind), or when the layout is not laid out so.
pub(crate) fn encode(layout: &mut Layout<'_>) -> Result<Vec<u8>, String> {
    let t = &layout.tables;
    let mut w = Writer(Vec::with_capacity(
        t.placed.len() * 21 + t.trap_offsets.len() * 5 + t.srclocs.len() + 12,
    ));
    w.u64(layout.image().len() as u64);
    w.u32(t.placed.len() as u32);
    for p in &t.placed {
        w.u32(p.offset);
        w.u32(p.len);
        w.u32(p.func);
        w.0.push(u8::from(p.trampoline));
        w.u32(p.traps.1 - p.traps.0);
        w.u32(p.srclocs.1 - p.srclocs.0);
    }
    for offset in &t.trap_offsets {
        w.u32(*offset);
    }
    for kind in &t.trap_kinds {
        let n = TRAPS.iter().position(|k| k == kind);
        w.0.push(n.ok_or_else(|| format!("trap {kind:?}"))? as u8);
    }
    w.0.extend_from_slice(&t.srclocs);
    let room = w.0.len().next_multiple_of(IMAGE_ALIGN);
    let image_len = layout.image().len();
    match layout.take_bytes() {
        Some(mut bytes) if bytes.len() == room + image_len => {
            bytes[..w.0.len()].copy_from_slice(&w.0);
            Ok(bytes)
        }
        _ => Err("code laid out without room for its tables".into()),
    }
}

/// The layout `bytes` hold, its image borrowed from them, which must be
/// that of a module of `defined` functions from index `first_func`, with
/// the trampolines of `tramp_types`.
pub(crate) fn decode<'a>(
    bytes: &'a [u8],
    (defined, first_func): (usize, u32),
    tramp_types: &[u32],
) -> Result<Layout<'a>, String> {
    let mut r = Reader { bytes };
    let image_len = usize::try_from(r.u64()?).map_err(|_| "the code ends early")?;
    let expected = defined + tramp_types.len();
    let n = r.count(21)?;
    if n != expected {
        return Err(format!(
            "{n} functions and trampolines, the module declares {expected}"
        ));
    }
    // What each placed function must be, in order.
    let mut order = (0..defined as u32)
        .map(|i| (first_func + i, false))
        .chain(tramp_types.iter().map(|&t| (t, true)));
    let mut placed = Vec::with_capacity(n);
    let (mut traps, mut srclocs, mut end) = (0u64, 0u64, 0u64);
    for _ in 0..n {
        let (offset, len, func) = (r.u32()?, r.u32()?, r.u32()?);
        let trampoline = match r.u8()? {
            0 => false,
            1 => true,
            _ => return Err("a bad trampoline flag".into()),
        };
        if order.next() != Some((func, trampoline)) {
            return Err("a function or trampoline out of its declared order".into());
        }
        if u64::from(offset) < end || u64::from(offset) + u64::from(len) > image_len as u64 {
            return Err("a function overlapping another or outside the code".into());
        }
        end = u64::from(offset) + u64::from(len);
        let (n_traps, n_srclocs) = (u64::from(r.u32()?), u64::from(r.u32()?));
        let range = |start: u64, n: u64| -> Result<(u32, u32), String> {
            let end = u32::try_from(start + n).map_err(|_| "too many trap sites or source maps")?;
            Ok((start as u32, end))
        };
        placed.push(Placed {
            offset,
            len,
            func,
            trampoline,
            traps: range(traps, n_traps)?,
            srclocs: range(srclocs, n_srclocs)?,
        });
        traps += n_traps;
        srclocs += n_srclocs;
    }
    let n_traps = usize::try_from(traps).map_err(|_| "the code ends early")?;
    let offsets = r.take(n_traps.checked_mul(4).ok_or("the code ends early")?)?;
    let kinds = r.take(n_traps)?;
    let trap_offsets = offsets
        .chunks_exact(4)
        .map(|o| u32::from_le_bytes(o.try_into().unwrap()))
        .collect();
    let trap_kinds = kinds
        .iter()
        .map(|&k| TRAPS.get(k as usize).copied())
        .collect::<Option<_>>()
        .ok_or("an unknown trap kind")?;
    let source_maps = r.take(usize::try_from(srclocs).map_err(|_| "the code ends early")?)?;
    let read = bytes.len() - r.bytes.len();
    if r.take(read.next_multiple_of(IMAGE_ALIGN) - read)?
        .iter()
        .any(|&b| b != 0)
    {
        return Err("bytes before the code".into());
    }
    let image_at = bytes.len() - r.bytes.len();
    r.take(image_len)?;
    if !r.bytes.is_empty() {
        return Err(format!("{} bytes after the code", r.bytes.len()));
    }
    let tables = Tables {
        placed,
        trap_offsets,
        trap_kinds,
        srclocs: source_maps.to_vec(),
    };
    Ok(Layout::borrowed(bytes, image_at, tables))
}

struct Writer(Vec<u8>);

impl Writer {
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }

    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let (head, rest) = self
            .bytes
            .split_at_checked(n)
            .ok_or("the code ends early")?;
        self.bytes = rest;
        Ok(head)
    }

    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().unwrap()))
    }

    fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into().unwrap()))
    }

    /// A count of items each at least `size` bytes long, checked against
    /// what is left, so that a bad count cannot ask for a huge allocation.
    fn count(&mut self, size: usize) -> Result<usize, String> {
        let n = self.u32()? as usize;
        if n.saturating_mul(size) > self.bytes.len() {
            return Err("the code ends early".into());
        }
        Ok(n)
    }
}
