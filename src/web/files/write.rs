//! Changing the served directory (`--upload`, `--mkdir`, `--delete`) without ever leaving it or
//! leaving a torn file: a folder is opened beneath the root as `Root::open` opens files
//! (`openat2(RESOLVE_BENEATH)`), and every change is made with `*at` calls on that folder's
//! descriptor, one name at a time, so no symlink swapped in meanwhile can lead a write out. An
//! upload goes to a [`TempFile`] in its folder (a dotfile, so neither listed nor served) and is
//! renamed into place only once it is whole and on disk; dropped unpublished, it is removed.

use std::ffi::{CString, OsStr};
use std::fs::File;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::sync::atomic::{AtomicU64, Ordering};

use nix::errno::Errno;
use nix::fcntl::{AtFlags, OFlag, RenameFlags};
use nix::sys::stat::{Mode, SFlag};
use nix::unistd::UnlinkatFlags;

use super::Root;
use crate::web::request::Reject;

/// Temporary files of uploads in flight are named `.netlab-upload-PID-N` in the target folder.
pub const TEMP_PREFIX: &str = ".netlab-upload-";

/// Whether a name may be created by a client: not empty, `.` or `..`; no `/`, `\`, NUL or other
/// control byte; no dotfile unless `hidden`; at most 255 bytes (the file systems' limit). A bad
/// name is 400, before anything is written.
pub fn check_name(name: &[u8], hidden: bool) -> Result<(), Reject> {
    if name.is_empty() || name == b"." || name == b".." {
        return Err(Reject::new(400, "empty or dot name"));
    }
    if name.len() > 255 {
        return Err(Reject::new(400, "name too long"));
    }
    if name.iter().any(|&b| b == b'/' || b == b'\\') {
        return Err(Reject::new(400, "slash in name"));
    }
    if name.iter().any(|&b| b < 0x20 || b == 0x7f) {
        return Err(Reject::new(400, "control byte in name"));
    }
    if !hidden && name[0] == b'.' {
        return Err(Reject::new(400, "dotfile name"));
    }
    Ok(())
}

/// What a name in a folder is now (a symlink is not followed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existing {
    Nothing,
    Folder,
    /// A file, a symlink or anything else that is not a folder.
    Other,
}

impl Root {
    /// The folder `rel` beneath the root (empty: the root), opened for changing what is in it.
    /// 404 when it does not exist, unless `create`: then each missing folder is made in its
    /// parent, itself opened beneath the root first.
    pub fn folder(&self, rel: &[u8], create: bool) -> Result<OwnedFd, Reject> {
        let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY;
        match self.open_fd(rel, flags) {
            Err(reject) if reject.status == 404 && create => {}
            other => return other,
        }
        let mut end = 0;
        let mut dir = self.open_fd(b"", flags)?;
        for segment in rel.split(|&b| b == b'/') {
            let start = end;
            end = start + segment.len();
            let here = &rel[..end];
            match nix::sys::stat::mkdirat(&dir, segment, Mode::from_bits_truncate(0o777)) {
                Ok(()) | Err(Errno::EEXIST) => {}
                Err(errno) => return Err(change_errno(errno)),
            }
            // The next parent is opened from the root again: a symlink met on the way is
            // followed only if it stays beneath it.
            dir = self.open_fd(here, flags)?;
            end += 1;
        }
        Ok(dir)
    }
}

/// What `name` in `dir` is (without following a symlink).
pub fn existing(dir: &OwnedFd, name: &[u8]) -> Result<Existing, Reject> {
    match nix::sys::stat::fstatat(dir, name, AtFlags::AT_SYMLINK_NOFOLLOW) {
        Ok(st) => {
            let kind = SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT;
            Ok(if kind == SFlag::S_IFDIR {
                Existing::Folder
            } else {
                Existing::Other
            })
        }
        Err(Errno::ENOENT) => Ok(Existing::Nothing),
        Err(errno) => Err(change_errno(errno)),
    }
}

/// Make the folder `name` in `dir` (409 when the name is taken), and sync `dir`.
pub fn make_folder(dir: &OwnedFd, name: &[u8]) -> Result<(), Reject> {
    nix::sys::stat::mkdirat(dir, name, Mode::from_bits_truncate(0o777)).map_err(
        |errno| match errno {
            Errno::EEXIST => Reject::new(409, "name taken"),
            errno => change_errno(errno),
        },
    )?;
    let _ = nix::unistd::fsync(dir);
    Ok(())
}

/// Remove `name` from `dir`: a file or symlink, or a folder when it is empty (409 otherwise).
pub fn remove(dir: &OwnedFd, name: &[u8]) -> Result<(), Reject> {
    let how = match existing(dir, name)? {
        Existing::Nothing => return Err(Reject::new(404, "not found")),
        Existing::Folder => UnlinkatFlags::RemoveDir,
        Existing::Other => UnlinkatFlags::NoRemoveDir,
    };
    nix::unistd::unlinkat(dir, name, how).map_err(|errno| match errno {
        Errno::ENOTEMPTY | Errno::EEXIST => Reject::new(409, "folder not empty"),
        errno => change_errno(errno),
    })?;
    let _ = nix::unistd::fsync(dir);
    Ok(())
}

/// An upload being written: a new file in its target folder, removed when dropped unless
/// [`TempFile::publish`] renamed it into place.
#[derive(Debug)]
pub struct TempFile<'d> {
    dir: &'d OwnedFd,
    name: CString,
    pub file: File,
    published: bool,
}

impl<'d> TempFile<'d> {
    /// A new, empty temporary file in `dir` (never an existing one: `O_EXCL`).
    pub fn create(dir: &'d OwnedFd) -> Result<TempFile<'d>, Reject> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        for _ in 0..16 {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let name = format!("{TEMP_PREFIX}{}-{n}", std::process::id());
            let name = CString::new(name).map_err(|_| Reject::new(500, "temporary name"))?;
            let flags = OFlag::O_WRONLY
                | OFlag::O_CREAT
                | OFlag::O_EXCL
                | OFlag::O_NOFOLLOW
                | OFlag::O_CLOEXEC;
            match nix::fcntl::openat(dir, name.as_c_str(), flags, Mode::from_bits_truncate(0o666)) {
                Ok(fd) => {
                    return Ok(TempFile {
                        dir,
                        name,
                        file: File::from(fd),
                        published: false,
                    });
                }
                // Left by an earlier server with this pid: try the next number.
                Err(Errno::EEXIST) => continue,
                Err(errno) => return Err(change_errno(errno)),
            }
        }
        Err(Reject::new(500, "no free temporary name"))
    }

    /// Put the whole, written file on disk and give it its name: atomically, and only if
    /// nothing has that name meanwhile unless `replace` (409 then). The folder is synced too,
    /// so the new name survives a crash.
    pub fn publish(mut self, name: &[u8], replace: bool) -> Result<(), Reject> {
        self.file.sync_all().map_err(|err| io_reject(&err))?;
        let (from, to) = (self.name.as_bytes(), OsStr::from_bytes(name));
        let renamed = if replace {
            nix::fcntl::renameat(self.dir, from, self.dir, to)
        } else {
            match nix::fcntl::renameat2(self.dir, from, self.dir, to, RenameFlags::RENAME_NOREPLACE)
            {
                // A file system without RENAME_NOREPLACE: a hard link is just as exclusive.
                Err(Errno::EINVAL) => {
                    nix::unistd::linkat(self.dir, from, self.dir, to, AtFlags::empty()).and_then(
                        |()| nix::unistd::unlinkat(self.dir, from, UnlinkatFlags::NoRemoveDir),
                    )
                }
                other => other,
            }
        };
        renamed.map_err(|errno| match errno {
            Errno::EEXIST | Errno::ENOTEMPTY | Errno::EISDIR => {
                Reject::new(409, "name taken meanwhile")
            }
            errno => change_errno(errno),
        })?;
        self.published = true;
        nix::unistd::fsync(self.dir).map_err(change_errno)
    }
}

impl Drop for TempFile<'_> {
    fn drop(&mut self) {
        if !self.published {
            let _ =
                nix::unistd::unlinkat(self.dir, self.name.as_c_str(), UnlinkatFlags::NoRemoveDir);
        }
    }
}

/// A failed write or sync: a full disk (or quota) is 507.
pub fn io_reject(err: &std::io::Error) -> Reject {
    change_errno(Errno::from_raw(
        err.raw_os_error().unwrap_or(Errno::EIO as i32),
    ))
}

fn change_errno(errno: Errno) -> Reject {
    match errno {
        Errno::ENOSPC | Errno::EDQUOT => Reject::new(507, "disk full"),
        Errno::ENOENT | Errno::ENOTDIR => Reject::new(404, "folder not found"),
        Errno::EACCES | Errno::EPERM | Errno::EROFS | Errno::EXDEV | Errno::ELOOP => {
            Reject::new(403, "may not change this")
        }
        Errno::ENAMETOOLONG => Reject::new(400, "name too long"),
        Errno::EMFILE | Errno::ENFILE | Errno::ENOMEM => Reject::new(503, "out of file handles"),
        _ => Reject::new(500, "write failed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_a_client_may_not_create() {
        for bad in [
            &b""[..],
            b".",
            b"..",
            b"a/b",
            b"a\\b",
            b"a\0b",
            b"a\nb",
            b"\x1b[31m",
            b"del\x7f",
            b".env",
        ] {
            assert_eq!(check_name(bad, false).unwrap_err().status, 400, "{bad:?}");
        }
        assert!(check_name(&[b'a'; 256], true).is_err());
        assert!(check_name(".env".as_bytes(), true).is_ok());
        assert!(check_name("教程 (1).txt".as_bytes(), false).is_ok());
    }

    #[test]
    fn temp_files_go_unless_published() {
        let dir = tempfile::tempdir().unwrap();
        let root = Root::new(dir.path()).unwrap();
        let folder = root.folder(b"a/b", true).unwrap();
        assert!(dir.path().join("a/b").is_dir());
        {
            let temp = TempFile::create(&folder).unwrap();
            std::io::Write::write_all(&mut &temp.file, b"partial").unwrap();
        }
        assert_eq!(
            std::fs::read_dir(dir.path().join("a/b")).unwrap().count(),
            0
        );
        let temp = TempFile::create(&folder).unwrap();
        std::io::Write::write_all(&mut &temp.file, b"whole").unwrap();
        temp.publish(b"x.txt", false).unwrap();
        assert_eq!(
            std::fs::read(dir.path().join("a/b/x.txt")).unwrap(),
            b"whole"
        );
        let temp = TempFile::create(&folder).unwrap();
        assert_eq!(temp.publish(b"x.txt", false).unwrap_err().status, 409);
        assert_eq!(
            std::fs::read_dir(dir.path().join("a/b")).unwrap().count(),
            1
        );
        assert_eq!(root.folder(b"nope", false).unwrap_err().status, 404);
    }

    #[test]
    fn folders_are_made_beneath_the_root_only() {
        let outside = tempfile::tempdir().unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("out")).unwrap();
        let root = Root::new(dir.path()).unwrap();
        assert_eq!(root.folder(b"out/new", true).unwrap_err().status, 403);
        assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
    }
}
