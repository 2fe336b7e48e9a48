//! The served directory, held open: [`Root::open`] opens a path beneath it with
//! `openat2(RESOLVE_BENEATH)`, so a symlink that leads out is refused by the kernel itself, and
//! refuses anything but regular files and directories (opened non-blocking: a FIFO never hangs a
//! thread). Where `openat2` is missing, the path is resolved and checked by hand.

use std::ffi::OsStr;
use std::fs::{File, Metadata};
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;
use nix::errno::Errno;
use nix::fcntl::{AtFlags, OFlag, OpenHow, ResolveFlag};
use nix::sys::stat::SFlag;

use super::cache::{Cache, Cached};
use super::encoded::Encoded;
use crate::web::request::Reject;

/// What [`Root::open`] found.
#[derive(Debug)]
pub enum Found {
    File(File, Metadata),
    Dir(File, Metadata),
}

/// The served directory, held open; every file is opened beneath it.
#[derive(Debug)]
pub struct Root {
    dir: OwnedFd,
    /// The canonical path, for listings and for the fallback when `openat2` is missing.
    canonical: PathBuf,
    /// How the user named it, for the first log line.
    pub shown: String,
    /// Whether this kernel has `openat2` (Linux 5.6+, and not blocked by a seccomp filter).
    openat2: AtomicBool,
    /// Small files recently served, revalidated on every use.
    cache: Cache,
    /// Compressed forms of text files, revalidated on every use.
    encoded: Encoded,
}

impl Root {
    /// Open `path` as the root. Fails with a usage error when it is not a directory.
    pub fn new(path: &Path) -> anyhow::Result<Root> {
        let shown = path.display().to_string();
        let meta = std::fs::metadata(path).map_err(|err| {
            crate::exit::Code::Usage.error(format!(
                "cannot serve {shown}: {}",
                crate::net::error_text(&err)
            ))
        })?;
        if !meta.is_dir() {
            return Err(
                crate::exit::Code::Usage.error(format!("cannot serve {shown}: not a directory"))
            );
        }
        let canonical = path
            .canonicalize()
            .with_context(|| format!("cannot serve {shown}"))?;
        let dir = nix::fcntl::open(
            &canonical,
            OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
            nix::sys::stat::Mode::empty(),
        )
        .with_context(|| format!("cannot open {shown}"))?;
        Ok(Root {
            dir,
            canonical,
            shown,
            openat2: AtomicBool::new(true),
            cache: Cache::default(),
            encoded: Encoded::default(),
        })
    }

    /// The root's canonical path.
    pub fn path(&self) -> &Path {
        &self.canonical
    }

    /// Open `rel` (a path from [`parse_target_into`](super::parse_target_into); empty for the root) beneath the root.
    ///
    /// 404 when it does not exist, 403 when it may not be read, leads out of the root through a
    /// symlink, or is neither a regular file nor a directory.
    pub fn open(&self, rel: &[u8]) -> Result<Found, Reject> {
        // Opening a FIFO or a device can have effects of its own (a FIFO's writer is let go, a
        // tape rewinds): refuse those before opening. The check follows the path without
        // `RESOLVE_BENEATH`, which is fine: it can only refuse, and what is opened below is
        // resolved beneath the root and checked again.
        match nix::sys::stat::fstatat(&self.dir, non_empty(rel), AtFlags::empty()) {
            Ok(st) => {
                let kind = SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT;
                if kind != SFlag::S_IFREG && kind != SFlag::S_IFDIR {
                    return Err(Reject::new(403, "not a regular file"));
                }
            }
            // Nothing there (a precompressed sibling, usually): no need to try opening it.
            Err(errno @ (Errno::ENOENT | Errno::ENOTDIR)) => return Err(reject_errno(errno)),
            Err(_) => {}
        }
        let file = self.open_fd(rel, OFlag::O_RDONLY | OFlag::O_NONBLOCK | OFlag::O_NOCTTY)?;
        let file = File::from(file);
        let meta = file
            .metadata()
            .map_err(|_| Reject::new(500, "fstat failed"))?;
        let kind = meta.file_type();
        if kind.is_file() {
            Ok(Found::File(file, meta))
        } else if kind.is_dir() {
            Ok(Found::Dir(file, meta))
        } else {
            Err(Reject::new(403, "not a regular file"))
        }
    }

    /// Metadata of `rel` beneath the root without opening it for reading (`O_PATH`): for
    /// listing symlinks, which may point anywhere.
    pub fn stat(&self, rel: &[u8]) -> Result<Metadata, Reject> {
        let fd = self.open_fd(rel, OFlag::O_PATH)?;
        File::from(fd)
            .metadata()
            .map_err(|_| Reject::new(500, "fstat failed"))
    }

    /// A cached small file for `rel`, if the path still leads to the very same, unchanged file
    /// (one `fstatat` checks).
    pub fn cached(&self, rel: &[u8]) -> Option<Arc<Cached>> {
        self.cache.get(&self.dir, rel)
    }

    /// The small-file cache, for remembering a file just read whole.
    pub fn cache(&self) -> &Cache {
        &self.cache
    }

    /// The cache of compressed forms.
    pub fn encoded(&self) -> &Encoded {
        &self.encoded
    }

    pub(super) fn open_fd(&self, rel: &[u8], flags: OFlag) -> Result<OwnedFd, Reject> {
        let rel = non_empty(rel);
        let flags = flags | OFlag::O_CLOEXEC;
        if self.openat2.load(Ordering::Relaxed) {
            let how = OpenHow::new()
                .flags(flags)
                .resolve(ResolveFlag::RESOLVE_BENEATH | ResolveFlag::RESOLVE_NO_MAGICLINKS);
            match nix::fcntl::openat2(&self.dir, rel, how) {
                Ok(fd) => return Ok(fd),
                // An absolute symlink, or one through `..`: allowed only if it stays inside.
                Err(Errno::EXDEV) => {}
                Err(Errno::ENOSYS | Errno::EPERM) => {
                    self.openat2.store(false, Ordering::Relaxed);
                }
                Err(errno) => return Err(reject_errno(errno)),
            }
        }
        self.open_checked(rel, flags)
    }

    /// Without `openat2`, or for a symlink `RESOLVE_BENEATH` will not follow: resolve the path
    /// and open it only if it lies inside the root (the last component not followed again).
    fn open_checked(&self, rel: &[u8], flags: OFlag) -> Result<OwnedFd, Reject> {
        let joined = self.canonical.join(OsStr::from_bytes(rel));
        let real = joined.canonicalize().map_err(|err| {
            reject_errno(Errno::from_raw(
                err.raw_os_error().unwrap_or(Errno::EIO as i32),
            ))
        })?;
        if !real.starts_with(&self.canonical) {
            return Err(Reject::new(403, "symlink leads out of the root"));
        }
        nix::fcntl::open(
            &real,
            flags | OFlag::O_NOFOLLOW,
            nix::sys::stat::Mode::empty(),
        )
        .map_err(reject_errno)
    }
}

/// The root itself is `.`.
fn non_empty(rel: &[u8]) -> &[u8] {
    if rel.is_empty() { b"." } else { rel }
}

fn reject_errno(errno: Errno) -> Reject {
    match errno {
        Errno::ENOENT | Errno::ENOTDIR | Errno::ENAMETOOLONG | Errno::ELOOP => {
            Reject::new(404, "not found")
        }
        Errno::EACCES | Errno::EPERM | Errno::ENXIO | Errno::EXDEV => Reject::new(403, "forbidden"),
        Errno::EMFILE | Errno::ENFILE | Errno::ENOMEM => Reject::new(503, "out of file handles"),
        _ => Reject::new(500, "open failed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_refuses_escapes_and_fifos() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), "s").unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), "a").unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret"), dir.path().join("out")).unwrap();
        std::os::unix::fs::symlink("../a.txt", dir.path().join("sub/rel")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("a.txt"), dir.path().join("abs")).unwrap();
        nix::unistd::mkfifo(&dir.path().join("fifo"), nix::sys::stat::Mode::S_IRWXU).unwrap();
        let root = Root::new(dir.path()).unwrap();
        assert!(matches!(root.open(b"a.txt"), Ok(Found::File(..))));
        assert!(matches!(root.open(b""), Ok(Found::Dir(..))));
        assert!(matches!(root.open(b"sub"), Ok(Found::Dir(..))));
        assert!(matches!(root.open(b"sub/rel"), Ok(Found::File(..))));
        assert!(matches!(root.open(b"abs"), Ok(Found::File(..))));
        assert_eq!(root.open(b"out").unwrap_err().status, 403);
        assert_eq!(root.open(b"fifo").unwrap_err().status, 403);
        assert_eq!(root.open(b"nope").unwrap_err().status, 404);
        assert_eq!(root.open(b"a.txt/").unwrap_err().status, 404);
        assert!(root.open(b"../x").is_err());
    }
}
