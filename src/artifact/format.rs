//! The container of artifacts and cache entries: a header naming the
//! format, the build of Skiff and the engine's code key, then parts (the
//! module's bytes first), each at a page boundary, then a checksum of the
//! whole.

use crate::engine::Engine;
use skiff_vm::{Error, ErrorKind};

/// The first bytes of an artifact.
pub const MAGIC: &[u8; 8] = b"\0skiffcm";

/// The layout of what follows the magic; a change of layout changes it.
const FORMAT: u32 = 2;

/// Each part's bytes start at a multiple of this from the artifact's start
/// (the gap before them is zeros), so that code kept in a file can be
/// mapped from it where it lies.
const PART_ALIGN: usize = 4096;

/// This build of Skiff: its version and a hash of the sources that decide
/// the code and what it runs against (see `build.rs`), so that no other
/// build, even of the same version, runs code this one kept.
pub(super) fn build_version() -> String {
    format!(
        "{} build {}",
        env!("CARGO_PKG_VERSION"),
        env!("SKIFF_BUILD_ID")
    )
}

/// Whether `bytes` look like an artifact rather than a module.
pub fn is_artifact(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
}

/// What an artifact made by this engine is keyed to besides its module.
pub(super) fn engine_key(engine: &Engine) -> String {
    format!(
        "{} features {:?}",
        engine.tier().code_key(),
        engine.features()
    )
}

pub(super) fn malformed(what: impl std::fmt::Display) -> Error {
    Error::without_offset(ErrorKind::Malformed, format!("artifact: {what}"))
}

pub(super) fn unsupported(what: impl std::fmt::Display) -> Error {
    Error::without_offset(ErrorKind::Unsupported, format!("artifact: {what}"))
}

/// A checksum of `bytes` that any change of one eight-byte word changes
/// (see [`Checksum`]).
pub(super) fn checksum(bytes: &[u8]) -> u64 {
    let mut sum = Checksum::new(bytes.len());
    sum.update(bytes);
    sum.finish()
}

/// A checksum computed over bytes given piece by piece: four independent
/// lanes, each taking every fourth eight-byte word multiplied and rotated
/// in (so that a processor computes them side by side), then combined. Not
/// a cryptographic hash; it finds damage, not forgery.
pub(super) struct Checksum {
    lanes: [u64; 4],
    /// The bytes of an unfinished 32-byte block.
    carry: [u8; 32],
    carried: usize,
}

/// One word into a lane.
fn step(h: u64, word: u64) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    (h ^ word).wrapping_mul(K).rotate_left(29)
}

fn word(bytes: &[u8]) -> u64 {
    u64::from_le_bytes(bytes.try_into().unwrap())
}

impl Checksum {
    /// The checksum of `len` bytes, before any is given.
    pub(super) fn new(len: usize) -> Checksum {
        let lanes = [
            0x243F_6A88_85A3_08D3,
            0x1319_8A2E_0370_7344,
            0xA409_3822_299F_31D0,
            0x082E_FA98_EC4E_6C89,
        ]
        .map(|seed: u64| seed ^ len as u64);
        Checksum {
            lanes,
            carry: [0; 32],
            carried: 0,
        }
    }

    /// Takes the next `bytes`.
    pub(super) fn update(&mut self, mut bytes: &[u8]) {
        if self.carried > 0 {
            let n = bytes.len().min(32 - self.carried);
            self.carry[self.carried..self.carried + n].copy_from_slice(&bytes[..n]);
            self.carried += n;
            bytes = &bytes[n..];
            if self.carried < 32 {
                return;
            }
            let block = self.carry;
            self.blocks(&block);
            self.carried = 0;
        }
        let whole = bytes.len() - bytes.len() % 32;
        self.blocks(&bytes[..whole]);
        let rest = &bytes[whole..];
        self.carry[..rest.len()].copy_from_slice(rest);
        self.carried = rest.len();
    }

    /// Takes `bytes`, a whole number of blocks.
    fn blocks(&mut self, bytes: &[u8]) {
        let mut lanes = self.lanes;
        for block in bytes.chunks_exact(32) {
            for (lane, w) in lanes.iter_mut().zip(block.chunks_exact(8)) {
                *lane = step(*lane, word(w));
            }
        }
        self.lanes = lanes;
    }

    /// The checksum of all the bytes given (as many as `new` was told).
    pub(super) fn finish(self) -> u64 {
        let mut h = self.lanes[0];
        let mut words = self.carry[..self.carried].chunks_exact(8);
        for w in &mut words {
            h = step(h, word(w));
        }
        for &b in words.remainder() {
            h = step(h, u64::from(b));
        }
        // Each lane enters by a bijection of its own value, so a change in one
        // lane always shows.
        for (i, lane) in self.lanes[1..].iter().enumerate() {
            h = step(h ^ lane.rotate_left(17 * (i as u32 + 1)), 0);
        }
        h ^ (h >> 32)
    }
}

/// An artifact to write: `parts` (the module's bytes first) under the
/// header of engines of key `key`, written out piece by piece, so that the
/// parts are never copied into one buffer first.
pub(super) struct Container<'a> {
    pub(super) key: &'a str,
    pub(super) parts: &'a [&'a [u8]],
}

impl Container<'_> {
    /// Hands each piece of the artifact but its checksum to `f`, in order:
    /// the header, then each part's length and padding and the part.
    fn pieces<E>(&self, mut f: impl FnMut(&[u8]) -> Result<(), E>) -> Result<(), E> {
        static ZEROS: [u8; PART_ALIGN] = [0; PART_ALIGN];
        let version = build_version();
        let mut header = Vec::with_capacity(64 + version.len() + self.key.len());
        header.extend_from_slice(MAGIC);
        header.extend_from_slice(&FORMAT.to_le_bytes());
        for text in [version.as_bytes(), self.key.as_bytes()] {
            header.extend_from_slice(&(text.len() as u32).to_le_bytes());
            header.extend_from_slice(text);
        }
        let mut at = 0;
        let mut small = header;
        for part in self.parts {
            small.extend_from_slice(&(part.len() as u64).to_le_bytes());
            let start = (at + small.len()).next_multiple_of(PART_ALIGN);
            f(&small)?;
            f(&ZEROS[..start - at - small.len()])?;
            f(part)?;
            at = start + part.len();
            small = Vec::with_capacity(8);
        }
        Ok(())
    }

    /// [`Container::pieces`] to `f`, which cannot fail.
    fn each_piece(&self, mut f: impl FnMut(&[u8])) {
        let _ = self.pieces(|p| {
            f(p);
            Ok::<(), std::convert::Infallible>(())
        });
    }

    /// The artifact's length but its checksum.
    fn body_len(&self) -> usize {
        let mut len = 0;
        self.each_piece(|p| len += p.len());
        len
    }

    /// Writes the artifact to `out` (a large one while its checksum is
    /// computed on another thread).
    pub(super) fn write_to(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        let len = self.body_len();
        let sum = || {
            let mut sum = Checksum::new(len);
            self.each_piece(|p| sum.update(p));
            sum.finish()
        };
        let sum = if len >= CHECK_ASIDE {
            std::thread::scope(|s| {
                let sum = s.spawn(sum);
                self.pieces(|p| out.write_all(p))?;
                // A panic in the checksum is one of this thread's.
                Ok::<_, std::io::Error>(sum.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            })?
        } else {
            self.pieces(|p| out.write_all(p))?;
            sum()
        };
        out.write_all(&sum.to_le_bytes())
    }

    /// The artifact's bytes.
    pub(super) fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.body_len() + 8);
        self.each_piece(|p| out.extend_from_slice(p));
        let sum = checksum(&out);
        out.extend_from_slice(&sum.to_le_bytes());
        out
    }
}

/// The `N` parts of `artifact`, made for an engine of key `expected`.
pub(super) fn read_keyed<'a, const N: usize>(
    expected: &str,
    artifact: &'a [u8],
) -> Result<[&'a [u8]; N], Error> {
    let parsed = Parsed::new(artifact)?;
    parsed.check_while(expected, || ())?;
    Ok(parsed.parts)
}

/// An artifact whose header is read and whose `N` parts are found, of this
/// format and version, but not yet checked whole nor for which engine.
pub(super) struct Parsed<'a, const N: usize> {
    /// What the checksum covers: everything before it.
    body: &'a [u8],
    /// The checksum.
    sum: u64,
    /// The code key of the engine it was made for.
    key: &'a [u8],
    /// Its parts.
    pub(super) parts: [&'a [u8]; N],
}

/// From this size on, an artifact's checksum is computed on a thread of its
/// own while the caller decodes (starting the thread costs tens of
/// microseconds; checksumming 1 MiB about a hundred).
const CHECK_ASIDE: usize = 1 << 20;

impl<'a, const N: usize> Parsed<'a, N> {
    pub(super) fn new(artifact: &'a [u8]) -> Result<Parsed<'a, N>, Error> {
        if !is_artifact(artifact) {
            return Err(malformed("not a Skiff artifact (no magic number)"));
        }
        if artifact.len() < MAGIC.len() + 8 {
            return Err(malformed("truncated"));
        }
        let (body, sum) = artifact.split_at(artifact.len() - 8);
        let mut r = Cursor {
            bytes: body,
            at: MAGIC.len(),
        };
        // The format and version first: another one's artifact may be laid
        // out otherwise, and they say best what is wrong with it.
        let format = u32::from_le_bytes(r.take(4)?.try_into().unwrap());
        if format != FORMAT {
            return Err(unsupported(format!(
                "of format {format}, this Skiff reads format {FORMAT}"
            )));
        }
        let version_len = u32::from_le_bytes(r.take(4)?.try_into().unwrap()) as usize;
        let version = r.take(version_len)?;
        let ours = build_version();
        if version != ours.as_bytes() {
            return Err(unsupported(format!(
                "made by Skiff {}, not by this Skiff ({ours})",
                String::from_utf8_lossy(version)
            )));
        }
        let key_len = u32::from_le_bytes(r.take(4)?.try_into().unwrap()) as usize;
        let key = r.take(key_len)?;
        let mut parts = [&[][..]; N];
        for part in &mut parts {
            let len = u64::from_le_bytes(r.take(8)?.try_into().unwrap());
            r.take(r.at.next_multiple_of(PART_ALIGN) - r.at)?;
            *part = r.take(usize::try_from(len).map_err(|_| malformed("truncated"))?)?;
        }
        if r.at != body.len() {
            return Err(malformed("bytes after its end"));
        }
        Ok(Parsed {
            body,
            sum: u64::from_le_bytes(sum.try_into().unwrap()),
            key,
            parts,
        })
    }

    /// What `work` returns, once the checksum holds and the artifact was
    /// made for an engine of key `expected`. `work` runs either way, while
    /// the checksum is computed on another thread for a large artifact: it
    /// must not trust the parts.
    pub(super) fn check_while<R: Send>(
        &self,
        expected: &str,
        work: impl FnOnce() -> R + Send,
    ) -> Result<R, Error> {
        let (whole, result) = if self.body.len() >= CHECK_ASIDE {
            std::thread::scope(|s| {
                let sum = s.spawn(|| checksum(self.body));
                let result = work();
                // A panic in the checksum is one of this thread's.
                let sum = sum.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
                (sum == self.sum, result)
            })
        } else {
            (checksum(self.body) == self.sum, work())
        };
        if !whole {
            return Err(malformed("corrupted (its checksum does not match)"));
        }
        if self.key != expected.as_bytes() {
            return Err(unsupported(format!(
                "compiled for another processor or configuration: `{}`, this engine is `{expected}`",
                String::from_utf8_lossy(self.key)
            )));
        }
        Ok(result)
    }
}

/// Reads an artifact's fields in order.
pub(super) struct Cursor<'a> {
    bytes: &'a [u8],
    /// How far reading has come.
    at: usize,
}

impl<'a> Cursor<'a> {
    /// The next `n` bytes.
    fn take(&mut self, n: usize) -> Result<&'a [u8], Error> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len());
        let head = &self.bytes[self.at..end.ok_or_else(|| malformed("truncated"))?];
        self.at += n;
        Ok(head)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checksum_given_in_pieces_is_the_checksum_of_the_whole() {
        let bytes: Vec<u8> = (0..1000u32).map(|i| (i * 7919 % 251) as u8).collect();
        let whole = checksum(&bytes);
        for cuts in [
            &[][..],
            &[1],
            &[31, 32, 33],
            &[5, 64, 65, 100, 999],
            &[0, 0, 1000],
        ] {
            let mut sum = Checksum::new(bytes.len());
            let mut at = 0;
            for &cut in cuts.iter().chain([&bytes.len()]) {
                sum.update(&bytes[at..cut]);
                at = cut;
            }
            assert_eq!(sum.finish(), whole, "cut at {cuts:?}");
        }
        // Any one byte changed changes it.
        let mut changed = bytes.clone();
        changed[997] ^= 1;
        assert_ne!(checksum(&changed), whole);
    }

    #[test]
    fn a_container_written_out_reads_back_with_its_parts() {
        let parts: [&[u8]; 3] = [b"\0asm module", &[], &[7; 5000]];
        let container = Container {
            key: "a key",
            parts: &parts,
        };
        let bytes = container.to_vec();
        let mut written = Vec::new();
        container.write_to(&mut written).unwrap();
        assert_eq!(written, bytes);
        let parsed = Parsed::<3>::new(&bytes).unwrap();
        assert_eq!(parsed.parts, parts);
        assert!(parsed.check_while("a key", || ()).is_ok());
        for part in parsed.parts {
            let at = part.as_ptr() as usize - bytes.as_ptr() as usize;
            assert_eq!(at % PART_ALIGN, 0, "each part at a page boundary");
        }
        let mut damaged = bytes.clone();
        damaged[PART_ALIGN * 2 + 100] ^= 0x40;
        let err = Parsed::<3>::new(&damaged)
            .unwrap()
            .check_while("a key", || ())
            .unwrap_err();
        assert!(err.to_string().contains("corrupted"), "{err}");
    }
}
