//! Small files recently served, held in memory with their headers ready, and revalidated with
//! one `fstatat` on every use: a hit costs no open, read or close.

use std::collections::HashMap;
use std::fs::Metadata;
use std::os::fd::OwnedFd;
use std::os::unix::fs::MetadataExt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use nix::fcntl::AtFlags;

use super::SMALL_FILE;
use super::conditional::{http_date, mtime};

/// At most this many cached files …
pub const MAX_CACHED_ENTRIES: usize = 4096;
/// … and this many bytes in all.
pub const MAX_CACHED_BYTES: usize = 16 * 1024 * 1024;

/// Timestamps are coarse (a few ms on many file systems): two writes of the same size in one
/// tick would leave a stamp unchanged. A file last written a second ago or more cannot be
/// rewritten within its own tick, so only such files are remembered.
pub(super) fn settled(meta: &Metadata) -> bool {
    meta.modified().is_ok_and(|modified| {
        SystemTime::now()
            .duration_since(modified)
            .is_ok_and(|age| age >= Duration::from_secs(1))
    })
}

/// What identifies a file and its contents: device, inode, size, mtime and ctime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Stamp {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl Stamp {
    fn of_meta(meta: &Metadata) -> Stamp {
        Stamp {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.size(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
        }
    }

    #[allow(clippy::unnecessary_cast)] // the field types differ between targets
    fn of_stat(st: &nix::sys::stat::FileStat) -> Stamp {
        Stamp {
            dev: st.st_dev as u64,
            ino: st.st_ino as u64,
            size: st.st_size as u64,
            mtime: (st.st_mtime as i64, st.st_mtime_nsec as i64),
            ctime: (st.st_ctime as i64, st.st_ctime_nsec as i64),
        }
    }
}

/// A small file held in memory with its response headers ready.
#[derive(Debug)]
pub struct Cached {
    stamp: Stamp,
    pub body: Box<[u8]>,
    pub etag: Box<[u8]>,
    pub last_modified: Box<[u8]>,
    /// Unix seconds.
    pub modified: u64,
    pub mime: &'static str,
    /// The whole file is UTF-8 (checked once, when it was read): its text type gets
    /// `charset=utf-8`.
    pub utf8: bool,
}

impl Cached {
    /// A body made from the file `meta` describes (the file itself, or a compressed form of it),
    /// with its headers ready.
    pub fn new(meta: &Metadata, body: Box<[u8]>, etag: &[u8], kind: Kind) -> Cached {
        let mut last_modified = Vec::with_capacity(29);
        http_date(mtime(meta).0, &mut last_modified);
        Cached {
            stamp: Stamp::of_meta(meta),
            body,
            etag: etag.into(),
            last_modified: last_modified.into(),
            modified: mtime(meta).0,
            mime: kind.mime,
            utf8: kind.utf8,
        }
    }

    /// Whether this was made from the very file `meta` describes, unchanged.
    pub fn made_from(&self, meta: &Metadata) -> bool {
        self.stamp == Stamp::of_meta(meta)
    }
}

/// What is known of a file's type: its media type, and whether it is UTF-8.
#[derive(Debug, Clone, Copy)]
pub struct Kind {
    pub mime: &'static str,
    pub utf8: bool,
}

/// The cache of one [`Root`](super::Root): paths beneath it to the files they led to.
#[derive(Debug, Default)]
pub struct Cache {
    map: Mutex<HashMap<Box<[u8]>, Arc<Cached>>>,
    bytes: AtomicUsize,
    /// Whether each large text file served is UTF-8, by identity: read through once.
    utf8: Mutex<HashMap<Stamp, bool>>,
}

impl Cache {
    /// A cached small file for `rel` (beneath `dir`), if the path still leads to the very same,
    /// unchanged file.
    ///
    /// One `fstatat` replaces open, fstat, read and close. It is safe without `RESOLVE_BENEATH`:
    /// the entry was opened beneath the root, and a hit needs the same device and inode (so the
    /// same file, whatever path now leads to it) with the same size, mtime and ctime (so the same
    /// contents and permissions: any write, chmod or rename changes ctime).
    pub(super) fn get(&self, dir: &OwnedFd, rel: &[u8]) -> Option<Arc<Cached>> {
        if rel.is_empty() {
            return None;
        }
        let entry = self.lock().get(rel).cloned()?;
        let fresh = nix::sys::stat::fstatat(dir, rel, AtFlags::empty())
            .is_ok_and(|st| entry.stamp == Stamp::of_stat(&st));
        if fresh {
            Some(entry)
        } else {
            self.forget(rel);
            None
        }
    }

    /// Remember a small file just read whole (`body` is all of it, as `meta` describes), and
    /// whether it is UTF-8.
    pub fn remember(&self, rel: &[u8], meta: &Metadata, body: &[u8], etag: &[u8], kind: Kind) {
        if body.len() > SMALL_FILE || rel.is_empty() || body.len() as u64 != meta.len() {
            return;
        }
        if !settled(meta) {
            return;
        }
        let entry = Arc::new(Cached::new(meta, body.into(), etag, kind));
        let mut map = self.lock();
        let total = self.bytes.load(Ordering::Relaxed) + body.len();
        if map.len() >= MAX_CACHED_ENTRIES || total > MAX_CACHED_BYTES {
            // Crude but bounded: start over. The hot files come back at once.
            map.clear();
            self.bytes.store(0, Ordering::Relaxed);
        }
        if let Some(old) = map.insert(rel.into(), entry) {
            self.bytes.fetch_sub(old.body.len(), Ordering::Relaxed);
        }
        self.bytes.fetch_add(body.len(), Ordering::Relaxed);
    }

    /// Whether a large file (as `meta` describes it) is UTF-8: the verdict kept for its identity,
    /// or read through once (see `files::file_is_utf8`) and kept when the file has settled.
    pub fn utf8_of_large(&self, file: &std::fs::File, meta: &Metadata) -> std::io::Result<bool> {
        let stamp = Stamp::of_meta(meta);
        let known = self
            .utf8
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&stamp)
            .copied();
        if let Some(known) = known {
            return Ok(known);
        }
        // A buffer of its own: a connection's scratch buffers stay small (idle connections are
        // cheap), and this runs once per file.
        let verdict = super::file_is_utf8(file, &mut Vec::new())?;
        if settled(meta) {
            let mut map = self.utf8.lock().unwrap_or_else(|e| e.into_inner());
            if map.len() >= MAX_CACHED_ENTRIES {
                map.clear();
            }
            map.insert(stamp, verdict);
        }
        Ok(verdict)
    }

    fn forget(&self, rel: &[u8]) {
        if let Some(old) = self.lock().remove(rel) {
            self.bytes.fetch_sub(old.body.len(), Ordering::Relaxed);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Box<[u8]>, Arc<Cached>>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }
}
