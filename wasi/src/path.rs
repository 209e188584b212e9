//! Path resolution inside a directory descriptor, one component at a time.
//!
//! A guest path is always relative to a directory the guest holds (a preopen
//! or a directory opened under one), and that directory is the root the path
//! may never leave. The host path of the root plays no part: resolution opens
//! each intermediate directory with `openat(.., O_NOFOLLOW | O_DIRECTORY)`
//! from the one before, keeps the chain of open directories as a stack (so
//! `..` pops the stack and never asks the host file system for a parent), and
//! reads every symbolic link it meets with `readlinkat` and splices the
//! link's components into the walk itself. So:
//! - an absolute path, a `..` that would pop the root, and a symbolic link
//!   whose target is absolute or climbs above the root all fail with
//!   [`Errno::Perm`], what the WASI filesystem specification prescribes for
//!   a path that leaves its base directory;
//! - more than [`MAX_SYMLINKS`] links in one resolution fail with
//!   [`Errno::Loop`];
//! - the host kernel never follows a symbolic link on our behalf: the final
//!   component is handed to a `*at` call that does not follow links
//!   (`O_NOFOLLOW`, `AT_SYMLINK_NOFOLLOW`, `linkat` without
//!   `AT_SYMLINK_FOLLOW`), so a link swapped in after we looked is refused
//!   rather than followed.

use crate::errno::Errno;
use crate::sys;
use std::collections::VecDeque;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

/// The most symbolic links one resolution follows (Linux's `MAXSYMLINKS`).
pub const MAX_SYMLINKS: usize = 40;

/// Where a path leads: the directory that holds its final component, and
/// that component's name.
#[derive(Debug)]
pub struct Resolved<'a> {
    root: BorrowedFd<'a>,
    /// The directory holding the final component; `None` for the root itself.
    parent: Option<OwnedFd>,
    /// The final component: a single name without `/`, or `.` for the
    /// directory itself.
    pub name: Vec<u8>,
    /// Whether the path said the final component must be a directory (a
    /// trailing `/` or `/.`).
    pub must_be_dir: bool,
}

impl Resolved<'_> {
    /// The directory holding the final component.
    pub fn dir(&self) -> BorrowedFd<'_> {
        match &self.parent {
            Some(fd) => fd.as_fd(),
            None => self.root,
        }
    }

    /// For calls that act on the final entry itself (remove, rename, link,
    /// create): fails with [`Errno::Notdir`] when the path demanded a
    /// directory and the entry exists and is something else.
    pub fn check_dir(&self) -> Result<(), Errno> {
        if !self.must_be_dir {
            return Ok(());
        }
        match sys::lstatat(self.dir(), &self.name) {
            Ok(st) if st.st_mode & libc::S_IFMT != libc::S_IFDIR => Err(Errno::Notdir),
            _ => Ok(()),
        }
    }
}

/// Whether `path` ends in a way that demands a directory (`dir/`, `dir/.`).
pub fn demands_dir(path: &[u8]) -> bool {
    path.ends_with(b"/") || path.ends_with(b"/.") || path == b"."
}

fn components(path: &[u8]) -> impl DoubleEndedIterator<Item = &[u8]> {
    path.split(|&b| b == b'/')
        .filter(|c| !c.is_empty() && *c != b".")
}

/// Resolves `path` under directory `root`. With `follow`, a symbolic link in
/// the final component is followed too (and the result names what it points
/// to); without, the final component is returned as it is. Calls that look
/// at what a path names (`open`, `stat`) pass `follow` for a path that
/// [demands a directory](demands_dir), as the kernel follows `link/`; calls
/// that act on the entry itself (remove, rename) do not, and check the
/// trailing `/` with [`Resolved::check_dir`].
pub fn resolve<'a>(root: BorrowedFd<'a>, path: &[u8], follow: bool) -> Result<Resolved<'a>, Errno> {
    if path.is_empty() {
        return Err(Errno::Noent);
    }
    if path[0] == b'/' {
        return Err(Errno::Perm);
    }
    if path.contains(&0) {
        return Err(Errno::Inval);
    }
    let mut must_be_dir = demands_dir(path);
    let mut queue: VecDeque<Vec<u8>> = components(path).map(<[u8]>::to_vec).collect();
    let mut stack: Vec<OwnedFd> = Vec::new();
    let mut links = 0;

    // Splices the target of a symbolic link into the walk.
    let mut expand = |target: Vec<u8>,
                      queue: &mut VecDeque<Vec<u8>>,
                      last: bool,
                      must_be_dir: &mut bool|
     -> Result<(), Errno> {
        links += 1;
        if links > MAX_SYMLINKS {
            return Err(Errno::Loop);
        }
        if target.is_empty() {
            return Err(Errno::Noent);
        }
        if target[0] == b'/' {
            return Err(Errno::Perm);
        }
        if last && demands_dir(&target) {
            *must_be_dir = true;
        }
        for c in components(&target).rev() {
            queue.push_front(c.to_vec());
        }
        Ok(())
    };

    while let Some(c) = queue.pop_front() {
        let last = queue.is_empty();
        if c == b".." {
            if stack.pop().is_none() {
                return Err(Errno::Perm);
            }
            if last {
                must_be_dir = true;
            }
            continue;
        }
        let top = stack.last().map_or(root, |fd| fd.as_fd());
        if last {
            if !follow {
                return Ok(Resolved {
                    root,
                    parent: stack.pop(),
                    name: c,
                    must_be_dir,
                });
            }
            match sys::readlinkat(top, &c) {
                Ok(target) => {
                    expand(target, &mut queue, true, &mut must_be_dir)?;
                    continue;
                }
                // Not a link (EINVAL), or nothing there yet (ENOENT): the
                // final component is this name.
                Err(Errno::Inval | Errno::Noent) => {
                    return Ok(Resolved {
                        root,
                        parent: stack.pop(),
                        name: c,
                        must_be_dir,
                    });
                }
                Err(e) => return Err(e),
            }
        }
        match sys::openat(
            top,
            &c,
            sys::O_PATH | libc::O_DIRECTORY | libc::O_NOFOLLOW,
            0,
        ) {
            Ok(fd) => stack.push(fd),
            Err(e @ (Errno::Loop | Errno::Notdir | Errno::Mlink)) => match sys::readlinkat(top, &c)
            {
                Ok(target) => expand(target, &mut queue, false, &mut must_be_dir)?,
                Err(_) => return Err(e),
            },
            Err(e) => return Err(e),
        }
    }
    // The walk ended on a directory (`.`, `..`, or a link to one of them).
    Ok(Resolved {
        root,
        parent: stack.pop(),
        name: b".".to_vec(),
        must_be_dir: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;
    use std::path::{Path, PathBuf};

    struct TempTree(PathBuf);

    impl TempTree {
        fn new(tag: &str) -> TempTree {
            use std::sync::atomic::{AtomicU32, Ordering};
            static N: AtomicU32 = AtomicU32::new(0);
            let dir = std::env::temp_dir().join(format!(
                "skiff-wasi-path-{tag}-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(dir.join("root/a/b")).unwrap();
            std::fs::create_dir_all(dir.join("outside")).unwrap();
            std::fs::write(dir.join("root/a/b/file"), b"inside").unwrap();
            std::fs::write(dir.join("root/top"), b"top").unwrap();
            std::fs::write(dir.join("outside/secret"), b"secret").unwrap();
            TempTree(dir)
        }

        fn root(&self) -> PathBuf {
            self.0.join("root")
        }

        fn open_root(&self) -> OwnedFd {
            std::fs::File::open(self.root()).unwrap().into()
        }
    }

    impl Drop for TempTree {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn same_dir(fd: BorrowedFd<'_>, path: &Path) -> bool {
        use std::os::unix::fs::MetadataExt;
        let st = sys::fstat(fd).unwrap();
        let md = std::fs::metadata(path).unwrap();
        st.st_ino == md.ino() && st.st_dev == md.dev()
    }

    fn err(root: &OwnedFd, path: &str, follow: bool) -> Errno {
        resolve(root.as_fd(), path.as_bytes(), follow).unwrap_err()
    }

    #[test]
    fn walks_components_and_names_the_last() {
        let t = TempTree::new("walk");
        let root = t.open_root();
        let r = resolve(root.as_fd(), b"a/b/file", false).unwrap();
        assert_eq!(r.name, b"file");
        assert!(!r.must_be_dir);
        assert!(same_dir(r.dir(), &t.root().join("a/b")));

        let r = resolve(root.as_fd(), b"top", false).unwrap();
        assert_eq!(r.name, b"top");
        assert!(same_dir(r.dir(), &t.root()));

        let r = resolve(root.as_fd(), b"./a//b/./../b/file", true).unwrap();
        assert_eq!(r.name, b"file");
        assert!(same_dir(r.dir(), &t.root().join("a/b")));

        let r = resolve(root.as_fd(), b"a/b/", false).unwrap();
        assert_eq!(r.name, b"b");
        assert!(r.must_be_dir);

        let r = resolve(root.as_fd(), b".", false).unwrap();
        assert_eq!(r.name, b".");
        assert!(same_dir(r.dir(), &t.root()));

        let r = resolve(root.as_fd(), b"a/..", false).unwrap();
        assert_eq!(r.name, b".");
        assert!(same_dir(r.dir(), &t.root()));
    }

    #[test]
    fn refuses_to_leave_the_root() {
        let t = TempTree::new("escape");
        let root = t.open_root();
        assert_eq!(err(&root, "..", false), Errno::Perm);
        assert_eq!(err(&root, "../outside/secret", false), Errno::Perm);
        assert_eq!(err(&root, "a/../../outside", false), Errno::Perm);
        assert_eq!(err(&root, "a/b/../../../root/top", true), Errno::Perm);
        assert_eq!(err(&root, "/etc/passwd", false), Errno::Perm);
        assert_eq!(err(&root, "/", true), Errno::Perm);
        assert_eq!(err(&root, "", false), Errno::Noent);
        // A descriptor below the preopen is a root of its own.
        let a = sys::openat(root.as_fd(), b"a", libc::O_RDONLY | libc::O_DIRECTORY, 0).unwrap();
        assert_eq!(err(&a, "../top", false), Errno::Perm);
    }

    #[test]
    fn symlinks_are_followed_inside_and_refused_outside() {
        let t = TempTree::new("links");
        let r = t.root();
        symlink("a/b", r.join("inner")).unwrap();
        symlink("../b/file", r.join("a/b/self")).unwrap();
        symlink(t.0.join("outside"), r.join("abs")).unwrap();
        symlink("../outside/secret", r.join("rel-out")).unwrap();
        symlink("a/../../outside", r.join("sneaky")).unwrap();
        symlink("loop2", r.join("loop1")).unwrap();
        symlink("loop1", r.join("loop2")).unwrap();
        symlink("nowhere", r.join("dangling")).unwrap();
        let root = t.open_root();

        let res = resolve(root.as_fd(), b"inner/file", false).unwrap();
        assert_eq!(res.name, b"file");
        assert!(same_dir(res.dir(), &r.join("a/b")));

        let res = resolve(root.as_fd(), b"a/b/self", true).unwrap();
        assert_eq!(res.name, b"file");
        assert!(same_dir(res.dir(), &r.join("a/b")));

        // Not following: the link itself.
        let res = resolve(root.as_fd(), b"abs", false).unwrap();
        assert_eq!(res.name, b"abs");

        assert_eq!(err(&root, "abs", true), Errno::Perm);
        assert_eq!(err(&root, "abs/secret", false), Errno::Perm);
        assert_eq!(err(&root, "rel-out", true), Errno::Perm);
        assert_eq!(err(&root, "sneaky/secret", false), Errno::Perm);
        assert_eq!(err(&root, "loop1", true), Errno::Loop);
        assert_eq!(err(&root, "loop1/x", false), Errno::Loop);

        // A dangling link inside resolves to the name it points at.
        let res = resolve(root.as_fd(), b"dangling", true).unwrap();
        assert_eq!(res.name, b"nowhere");
        assert!(same_dir(res.dir(), &r));
    }

    #[test]
    fn files_in_the_middle_are_not_directories() {
        let t = TempTree::new("notdir");
        let root = t.open_root();
        assert_eq!(err(&root, "top/x", false), Errno::Notdir);
        assert_eq!(err(&root, "missing/x", false), Errno::Noent);
        let res = resolve(root.as_fd(), b"top/", false).unwrap();
        assert_eq!(res.check_dir(), Err(Errno::Notdir));
        let res = resolve(root.as_fd(), b"a/", false).unwrap();
        assert_eq!(res.check_dir(), Ok(()));
    }
}
