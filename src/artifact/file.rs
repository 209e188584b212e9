//! Artifacts written to files: to a new file beside their place first, then
//! put in place in one step. A reader of the place finds the old artifact
//! or the new one, whole, and a file whose code some process runs mapped
//! (see `Module::deserialize_file`) is never written to.

use super::format::Container;
use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// Writes `artifact` as file `path`: to a new file beside it, created with
/// permissions `mode` (less the umask) and never through a symbolic link,
/// then put in place by [`publish`]. On failure the new file is removed and
/// `path` left as it was.
pub(super) fn write_then_publish(artifact: &Container, path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let aside = aside_of(path);
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&aside)
        .and_then(|mut file| artifact.write_to(&mut file))
        .and_then(|()| publish(&aside, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&aside);
    }
    written
}

/// A new name beside `path`, hidden, naming this process and unique within
/// it, for the file that will take `path`'s place.
fn aside_of(path: &Path) -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static WRITES: AtomicU64 = AtomicU64::new(0);
    let name = format!(
        ".{}.{}.{}.tmp",
        path.file_name().unwrap_or_default().to_string_lossy(),
        std::process::id(),
        WRITES.fetch_add(1, Ordering::Relaxed)
    );
    path.with_file_name(name)
}

/// Puts file `aside` in place of `path` in one step. When `path` exists,
/// the two are exchanged and the old file (now named `aside`) removed,
/// rather than `aside` renamed over it: ext4 writes a file renamed over
/// another out to disk before the rename returns (so that programs which
/// replace files without syncing them find no empty file after a crash),
/// 20 ms for the 22 MB artifact of the harness's big module. An artifact
/// needs no such care: one cut short by a crash fails its checksum and is
/// refused. Where exchanging is not supported, or `path` is a directory
/// (which a rename refuses to replace), `aside` is renamed.
fn publish(aside: &Path, path: &Path) -> io::Result<()> {
    let c = |p: &Path| CString::new(p.as_os_str().as_bytes()).map_err(io::Error::other);
    let (from, to) = (c(aside)?, c(path)?);
    let replaceable = std::fs::symlink_metadata(path).is_ok_and(|m| !m.is_dir());
    // SAFETY: both paths are NUL-terminated strings that outlive the call;
    // renameat2 reads them and touches no other memory of this process.
    let exchanged = replaceable
        && unsafe {
            libc::renameat2(
                libc::AT_FDCWD,
                from.as_ptr(),
                libc::AT_FDCWD,
                to.as_ptr(),
                libc::RENAME_EXCHANGE,
            )
        } == 0;
    if exchanged {
        // A failure leaves a stray file behind, not a wrong artifact.
        let _ = std::fs::remove_file(aside);
        return Ok(());
    }
    std::fs::rename(aside, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(p: &Path) -> Vec<u8> {
        std::fs::read(p).unwrap()
    }

    /// The names in directory `dir`, sorted.
    fn names(dir: &Path) -> Vec<std::ffi::OsString> {
        let entries = std::fs::read_dir(dir).unwrap();
        let mut names: Vec<_> = entries.map(|e| e.unwrap().file_name()).collect();
        names.sort();
        names
    }

    #[test]
    fn an_artifact_replaces_the_old_and_nothing_is_left_beside_it() {
        let dir = std::env::temp_dir().join(format!("skiff-publish-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir(&dir).unwrap();
        let path = dir.join("a.skiffc");
        let parts: [&[u8]; 2] = [b"first", b"second part"];
        let artifact = Container {
            key: "key",
            parts: &parts,
        };
        // Put in place where nothing was, then over the old file.
        write_then_publish(&artifact, &path, 0o600).unwrap();
        assert_eq!(read(&path), artifact.to_vec());
        let old = std::fs::File::open(&path).unwrap();
        let parts: [&[u8]; 2] = [b"first", b"another second part"];
        let newer = Container {
            key: "key",
            parts: &parts,
        };
        write_then_publish(&newer, &path, 0o600).unwrap();
        assert_eq!(read(&path), newer.to_vec());
        // The old file was not written to: a reader that opened it still
        // reads the old artifact.
        let mut kept = Vec::new();
        io::Read::read_to_end(&mut &old, &mut kept).unwrap();
        assert_eq!(kept, artifact.to_vec());
        assert_eq!(names(&dir), ["a.skiffc"]);
        // A file that cannot be created leaves the place as it was, and a
        // directory is not replaced.
        let missing = dir.join("no-such-dir").join("b.skiffc");
        assert!(write_then_publish(&newer, &missing, 0o600).is_err());
        assert_eq!(read(&path), newer.to_vec());
        let sub = dir.join("sub");
        std::fs::create_dir(&sub).unwrap();
        std::fs::write(sub.join("kept"), b"kept").unwrap();
        assert!(write_then_publish(&newer, &sub, 0o600).is_err());
        assert_eq!(read(&sub.join("kept")), b"kept");
        assert_eq!(names(&dir), ["a.skiffc", "sub"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
