//! A module's machine code laid out as one image: every function and
//! trampoline at its offset, in index order, with the calls between them
//! already patched. Every reference the code holds is PC-relative and inside
//! the image, so the image runs wherever it is copied, unchanged: placing
//! it is one copy, and an artifact stores it as it is.
//!
//! Beside the image, flat tables say where each function is, its trap
//! sites and its source map: what the code registry reads, and what an
//! artifact stores too. Source maps are the bulk of them (about one range
//! per Wasm instruction), so they are kept compact, as variable-length
//! differences, and read only for a backtrace.

use crate::compile::{Compiled, PatchTarget};
use skiff_vm::runtime::TrapKind;
use std::borrow::Cow;

/// One function or trampoline of an image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Placed {
    /// Its first byte, from the image's start.
    pub offset: u32,
    /// Its length in bytes.
    pub len: u32,
    /// The module's index of the function; for a trampoline, the index of
    /// the type whose functions it enters.
    pub func: u32,
    /// Whether it is an array-call trampoline.
    pub trampoline: bool,
    /// Its trap sites: `traps.0..traps.1` of [`Tables::trap_offsets`] and
    /// [`Tables::trap_kinds`].
    pub traps: (u32, u32),
    /// Its source map: bytes `srclocs.0..srclocs.1` of [`Tables::srclocs`].
    pub srclocs: (u32, u32),
}

/// Where a module's functions are in its image, and what a trap or a
/// backtrace in them means. Code offsets in `traps` and `srclocs` are from
/// the start of their function.
#[derive(Default)]
pub struct Tables {
    /// Every function and trampoline, by offset: the defined functions in
    /// index order, then the trampolines by type.
    pub placed: Vec<Placed>,
    /// Where the trapping instructions are, sorted within each function.
    pub trap_offsets: Vec<u32>,
    /// Their kinds.
    pub trap_kinds: Vec<TrapKind>,
    /// The source maps: each function's `(code start, code end, module
    /// byte offset)` ranges, sorted, as [`SourceMap`] encodes them.
    pub srclocs: Vec<u8>,
}

impl Tables {
    /// The kind of trap the instruction at `offset` in `p` raises, if it
    /// is a trap site.
    pub fn trap_at(&self, p: &Placed, offset: u32) -> Option<TrapKind> {
        let range = p.traps.0 as usize..p.traps.1 as usize;
        let i = self
            .trap_offsets
            .get(range.clone())?
            .binary_search(&offset)
            .ok()?;
        self.trap_kinds.get(range.start + i).copied()
    }

    /// The source map of `p`.
    pub fn srclocs_of(&self, p: &Placed) -> SourceMap<'_> {
        SourceMap {
            bytes: self
                .srclocs
                .get(p.srclocs.0 as usize..p.srclocs.1 as usize)
                .unwrap_or_default(),
            end: 0,
            loc: 0,
        }
    }

    /// The function or trampoline holding image offset `offset`.
    pub fn placed_at(&self, offset: usize) -> Option<&Placed> {
        let i = self
            .placed
            .partition_point(|p| p.offset as usize <= offset)
            .checked_sub(1)?;
        let p = &self.placed[i];
        (offset < p.offset as usize + p.len as usize).then_some(p)
    }

    /// The image offset of each defined function's code, by defined index,
    /// and of each trampoline, with its type, by type.
    pub fn entries(&self) -> (Vec<u32>, Vec<(u32, u32)>) {
        let (trampolines, functions): (Vec<&Placed>, Vec<&Placed>) =
            self.placed.iter().partition(|p| p.trampoline);
        (
            functions.iter().map(|p| p.offset).collect(),
            trampolines.iter().map(|p| (p.func, p.offset)).collect(),
        )
    }
}

/// A module's code, laid out: the image (owned when just compiled, borrowed
/// from the artifact when loaded) and its tables.
pub struct Layout<'a> {
    /// The machine code, calls patched, from byte `image_at` on; before it
    /// lies room for an artifact's encoding of the tables (or, when loaded,
    /// that encoding).
    bytes: Cow<'a, [u8]>,
    image_at: usize,
    /// Where everything is in it.
    pub tables: Tables,
}

impl<'a> Layout<'a> {
    /// The layout whose image is `bytes` from `image_at` on, described by
    /// `tables`.
    pub fn borrowed(bytes: &'a [u8], image_at: usize, tables: Tables) -> Layout<'a> {
        Layout {
            bytes: Cow::Borrowed(bytes),
            image_at,
            tables,
        }
    }

    /// The machine code.
    pub fn image(&self) -> &[u8] {
        &self.bytes[self.image_at..]
    }

    /// The bytes, room before the image included, when they are owned
    /// (just compiled); the layout's image is empty after.
    pub fn take_bytes(&mut self) -> Option<Vec<u8>> {
        self.image_at = 0;
        match std::mem::take(&mut self.bytes) {
            Cow::Owned(bytes) => Some(bytes),
            Cow::Borrowed(_) => None,
        }
    }
}

impl Layout<'static> {
    /// Lays out `outputs` (by id: the defined functions, function `i` being
    /// function `first_func + i` of the module, then the trampolines of
    /// `tramp_types`) and patches every call between them, leaving `room`
    /// bytes (a multiple of 4096) free before the image; an error when a
    /// call targets code that was not compiled, or the image would not be
    /// addressable with 32-bit offsets.
    pub fn build(
        outputs: Vec<Compiled>,
        first_func: u32,
        tramp_types: &[u32],
        room: usize,
    ) -> Result<Layout<'static>, String> {
        debug_assert_eq!(room % 4096, 0, "room that keeps the image aligned");
        let defined = outputs.len() - tramp_types.len();
        // Room for every function with its worst padding, so that the
        // image (11 MB for the harness's big module) is never moved.
        let size: usize = outputs
            .iter()
            .map(|c| c.bytes.len() + c.alignment.max(1) as usize - 1)
            .sum();
        let mut bytes = Vec::with_capacity(room + size);
        bytes.resize(room, 0);
        let traps = outputs.iter().map(|c| c.traps.len()).sum();
        let mut tables = Tables {
            placed: Vec::with_capacity(outputs.len()),
            trap_offsets: Vec::with_capacity(traps),
            trap_kinds: Vec::with_capacity(traps),
            srclocs: Vec::with_capacity(outputs.iter().map(|c| c.srclocs.len()).sum()),
        };
        // Each function's and trampoline's offset, by id; patched after all
        // are placed, since calls go forward too.
        let mut offsets = Vec::with_capacity(outputs.len());
        for (i, c) in outputs.iter().enumerate() {
            let (index, trampoline) = match i.checked_sub(defined) {
                None => (first_func + i as u32, false),
                Some(k) => (tramp_types[k], true),
            };
            let start = (bytes.len() - room).next_multiple_of(c.alignment.max(1) as usize);
            bytes.resize(room + start, 0);
            bytes.extend_from_slice(&c.bytes);
            offsets.push(start);
            let (first_trap, first_srcloc) = (tables.trap_offsets.len(), tables.srclocs.len());
            tables.srclocs.extend_from_slice(&c.srclocs);
            tables.trap_offsets.extend(c.traps.iter().map(|t| t.0));
            tables.trap_kinds.extend(c.traps.iter().map(|t| t.1));
            tables.placed.push(Placed {
                offset: start as u32,
                len: c.bytes.len() as u32,
                func: index,
                trampoline,
                traps: (first_trap as u32, tables.trap_offsets.len() as u32),
                srclocs: (first_srcloc as u32, tables.srclocs.len() as u32),
            });
        }
        let image = &mut bytes[room..];
        if u32::try_from(image.len()).is_err() || u32::try_from(tables.srclocs.len()).is_err() {
            return Err("the module's code exceeds 4 GiB".into());
        }
        let patches = outputs
            .iter()
            .zip(&offsets)
            .flat_map(|(c, &start)| c.relocs.iter().map(move |p| (start, c.bytes.len(), p)));
        for (start, len, patch) in patches {
            let target = match patch.target {
                PatchTarget::Code(id) => offsets
                    .get(id as usize)
                    .copied()
                    .ok_or_else(|| format!("a call to code {id}, which was not compiled"))?,
                PatchTarget::Own(offset) => start + offset as usize,
            };
            let site = start + patch.offset as usize;
            if patch.offset as usize + 4 > len {
                return Err("a call patched outside its function".into());
            }
            let value = i32::try_from(target as i64 + patch.addend - site as i64)
                .map_err(|_| "a call farther than 2 GiB")?;
            image[site..site + 4].copy_from_slice(&value.to_le_bytes());
        }
        // Freeing the compiled functions one by one takes milliseconds for
        // a large module: another thread does it while this one goes on.
        if outputs.len() >= 1000 {
            std::thread::spawn(move || drop(outputs));
        }
        Ok(Layout {
            bytes: Cow::Owned(bytes),
            image_at: room,
            tables,
        })
    }
}

/// A function's source map, read range by range: `(code start, code end,
/// module byte offset)`. Each range is three LEB128 numbers: the gap since
/// the last range's end, its length, and the change of module offset
/// (zigzag-signed), so that the usual range (right after the last, a few
/// bytes long, a few bytes further in the module) takes three bytes instead
/// of twelve. Bytes that do not decode end the map (they cannot come from
/// [`SourceMap::encode`]).
pub struct SourceMap<'a> {
    bytes: &'a [u8],
    /// The last range's end.
    end: u32,
    /// The last range's module offset.
    loc: u32,
}

impl SourceMap<'_> {
    /// Appends the encoding of `ranges` (sorted, not overlapping) to `out`.
    pub fn encode(ranges: impl IntoIterator<Item = (u32, u32, u32)>, out: &mut Vec<u8>) {
        let (mut end, mut loc) = (0u32, 0u32);
        for (s, e, l) in ranges {
            leb128(out, u64::from(s.wrapping_sub(end)));
            leb128(out, u64::from(e.wrapping_sub(s)));
            let delta = l.wrapping_sub(loc) as i32;
            leb128(out, ((delta << 1) ^ (delta >> 31)) as u32 as u64);
            (end, loc) = (e, l);
        }
    }

    fn number(&mut self) -> Option<u32> {
        let mut value = 0u32;
        for (i, &b) in self.bytes.iter().enumerate().take(5) {
            value |= u32::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                self.bytes = &self.bytes[i + 1..];
                return Some(value);
            }
        }
        self.bytes = &[];
        None
    }
}

impl Iterator for SourceMap<'_> {
    type Item = (u32, u32, u32);

    fn next(&mut self) -> Option<(u32, u32, u32)> {
        let start = self.end.wrapping_add(self.number()?);
        let end = start.wrapping_add(self.number()?);
        let zigzag = self.number()?;
        let delta = (zigzag >> 1) as i32 ^ -((zigzag & 1) as i32);
        self.loc = self.loc.wrapping_add(delta as u32);
        self.end = end;
        Some((start, end, self.loc))
    }
}

/// Appends `v` to `out` as unsigned LEB128.
fn leb128(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::{Compiled, Patch};

    fn code(bytes: &[u8], relocs: Vec<Patch>) -> Compiled {
        Compiled {
            bytes: bytes.to_vec(),
            alignment: 32,
            relocs,
            traps: vec![(0, TrapKind::Unreachable)],
            srclocs: vec![0, 1, 14],
        }
    }

    #[test]
    fn calls_are_patched_pc_relative_and_functions_aligned() {
        // Function 0 calls function 1 (`call rel32`: the field is at 1 and
        // counts from its own end, hence the addend of -4); the trampoline
        // of type 3 calls function 0.
        let call = |target| {
            vec![Patch {
                offset: 1,
                target: PatchTarget::Code(target),
                addend: -4,
            }]
        };
        let outputs = vec![
            code(&[0xe8, 0, 0, 0, 0, 0xc3], call(1)),
            code(&[0xc3], Vec::new()),
            code(&[0xe8, 0, 0, 0, 0, 0xc3], call(0)),
        ];
        let layout = Layout::build(outputs, 5, &[3], 4096).unwrap();
        let t = &layout.tables;
        let starts: Vec<_> = t
            .placed
            .iter()
            .map(|p| (p.offset, p.func, p.trampoline))
            .collect();
        assert_eq!(starts, [(0, 5, false), (32, 6, false), (64, 3, true)]);
        let image = layout.image();
        assert_eq!(layout.bytes.len() - image.len(), 4096, "the room asked for");
        let field = |at: usize| i32::from_le_bytes(image[at..at + 4].try_into().unwrap());
        assert_eq!(field(1), 32 - 5);
        assert_eq!(field(65), -69);
        assert_eq!(t.entries(), (vec![0, 32], vec![(3, 64)]));
        assert_eq!(t.trap_at(&t.placed[1], 0), Some(TrapKind::Unreachable));
        assert_eq!(t.trap_at(&t.placed[1], 1), None);
        assert_eq!(t.placed_at(32).map(|p| p.func), Some(6));
        assert_eq!(t.placed_at(5).map(|p| p.func), Some(5));
        assert_eq!(t.placed_at(40), None, "padding is no function's");
        // A call to code that was not compiled is refused.
        let stray = vec![code(&[0xe8, 0, 0, 0, 0], call(9))];
        assert!(Layout::build(stray, 0, &[], 0).is_err());
    }

    #[test]
    fn source_maps_read_back_as_written() {
        let ranges = [
            (0, 3, 100),
            (3, 10, 90),
            (12, 12, 5000),
            (20, 4000, 4),
            (4000, 70000, u32::MAX),
        ];
        let mut bytes = Vec::new();
        SourceMap::encode(ranges, &mut bytes);
        assert!(bytes.len() < ranges.len() * 6, "{} bytes", bytes.len());
        let read = |bytes| SourceMap {
            bytes,
            end: 0,
            loc: 0,
        };
        assert_eq!(read(&bytes).collect::<Vec<_>>(), ranges);
        // Bytes cut short end the map where they stop decoding.
        assert_eq!(read(&bytes[..bytes.len() - 1]).count(), ranges.len() - 1);
    }
}
