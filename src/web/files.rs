//! From a request target to an open file, safely: [`parse_target`] decodes the path and refuses
//! anything that could step outside the served directory (`..`, `%2e%2e`, `%2f`, `%5c`,
//! backslashes, NUL, `//host`); [`Root::open`] opens what is left beneath the root with
//! `openat2(RESOLVE_BENEATH)`, so a symlink that leads out is refused by the kernel itself, and
//! refuses anything but regular files and directories (opened non-blocking: a FIFO never hangs a
//! thread). Also the validators (ETag, Last-Modified) and the conditional-request rules.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::fs::{File, Metadata};
use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use nix::errno::Errno;
use nix::fcntl::{AtFlags, OFlag, OpenHow, ResolveFlag};
use nix::sys::stat::SFlag;

use super::request::{Reject, trim};
use super::response::push_hex;

/// A request target, decoded and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The path relative to the root: decoded segments joined by `/`, empty for the root.
    pub rel: Vec<u8>,
    /// The target's path ended in `/` (asks for a directory).
    pub slash: bool,
    /// The raw query (after `?`, before any `#`), if there was one.
    pub query: Option<String>,
}

/// Decode and check a request target (see [`parse_target_into`]).
pub fn parse_target(target: &str, hidden: bool) -> Result<Target, Reject> {
    let mut rel = Vec::new();
    let (slash, query) = parse_target_into(target, hidden, &mut rel)?;
    Ok(Target {
        rel,
        slash,
        query: query.map(str::to_owned),
    })
}

/// Decode a request target into `rel` (cleared first) without allocating once `rel` has room.
/// Returns whether the path ended in `/` and the raw query.
///
/// Refused with 400: a target that is not origin-form (`/…`) or absolute-form (`http://h/…`),
/// a path starting `//`, a `.` or `..` segment (raw or percent-encoded, once or twice: `%252e`
/// decodes once to the name `%2e`, which is just a file name), an encoded `/` or `\`, any `\`,
/// NUL, and a malformed `%` escape. Refused with 404: a segment starting with `.` unless
/// `hidden` (dotfiles are not revealed to exist). Empty segments (`/a//b`) are skipped.
pub fn parse_target_into<'t>(
    target: &'t str,
    hidden: bool,
    rel: &mut Vec<u8>,
) -> Result<(bool, Option<&'t str>), Reject> {
    const BAD: Reject = Reject::new(400, "bad request target");
    rel.clear();
    let target = strip_absolute_form(target)?;
    let target = target.split('#').next().unwrap_or("");
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (target, None),
    };
    if !path.starts_with('/') {
        return Err(BAD);
    }
    if path.starts_with("//") {
        return Err(Reject::new(400, "path starts with //"));
    }
    let bytes = path.as_bytes();
    let slash = bytes.len() > 1 && bytes.ends_with(b"/");
    for raw in path.split('/') {
        if raw.is_empty() {
            continue;
        }
        let start = rel.len();
        if start > 0 {
            rel.push(b'/');
        }
        let seg_start = rel.len();
        let raw = raw.as_bytes();
        let mut i = 0;
        while i < raw.len() {
            let b = raw[i];
            let b = if b == b'%' {
                let (Some(hi), Some(lo)) = (
                    raw.get(i + 1).and_then(|&h| hex(h)),
                    raw.get(i + 2).and_then(|&l| hex(l)),
                ) else {
                    return Err(Reject::new(400, "malformed % escape"));
                };
                i += 2;
                let decoded = hi << 4 | lo;
                if decoded == b'/' || decoded == b'\\' {
                    return Err(Reject::new(400, "encoded slash in path"));
                }
                decoded
            } else {
                b
            };
            match b {
                b'\\' => return Err(Reject::new(400, "backslash in path")),
                0 => return Err(Reject::new(400, "NUL in path")),
                _ => rel.push(b),
            }
            i += 1;
        }
        let segment = &rel[seg_start..];
        if segment == b"." || segment == b".." {
            return Err(Reject::new(400, "dot segment in path"));
        }
        if !hidden && segment.first() == Some(&b'.') {
            return Err(Reject::new(404, "dotfile"));
        }
    }
    Ok((slash, query))
}

/// `http://host:port/path?q` → `/path?q` (the host is ignored: one site per server).
fn strip_absolute_form(target: &str) -> Result<&str, Reject> {
    if target.starts_with('/') {
        return Ok(target);
    }
    let lower = target.get(..8).unwrap_or(target).to_ascii_lowercase();
    let rest = if lower.starts_with("http://") {
        &target[7..]
    } else if lower.starts_with("https://") {
        &target[8..]
    } else {
        return Err(Reject::new(400, "bad request target"));
    };
    match rest.find(['/', '?']) {
        Some(i) if rest.as_bytes()[i] == b'/' => Ok(&rest[i..]),
        // `http://host?x` has an empty path, which means `/`.
        Some(_) | None => Ok("/"),
    }
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

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
    cache: Mutex<HashMap<Box<[u8]>, Arc<Cached>>>,
    cached_bytes: AtomicUsize,
}

impl Root {
    /// Open `path` as the root. Fails with a usage error when it is not a directory.
    pub fn new(path: &Path) -> anyhow::Result<Root> {
        let shown = path.display().to_string();
        let meta = std::fs::metadata(path).map_err(|err| {
            crate::exit::Code::Usage.error(format!("cannot serve {shown}: {err}"))
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
            cache: Mutex::new(HashMap::new()),
            cached_bytes: AtomicUsize::new(0),
        })
    }

    /// The root's canonical path.
    pub fn path(&self) -> &Path {
        &self.canonical
    }

    /// Open `rel` (a path from [`parse_target_into`]; empty for the root) beneath the root.
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

    /// A cached small file for `rel`, if the path still leads to the very same, unchanged file.
    ///
    /// One `fstatat` replaces open, fstat, read and close. It is safe without `RESOLVE_BENEATH`:
    /// the entry was opened beneath the root, and a hit needs the same device and inode (so the
    /// same file, whatever path now leads to it) with the same size, mtime and ctime (so the same
    /// contents and permissions: any write, chmod or rename changes ctime).
    pub fn cached(&self, rel: &[u8]) -> Option<Arc<Cached>> {
        if rel.is_empty() {
            return None;
        }
        let entry = self.lock_cache().get(rel).cloned()?;
        let fresh = nix::sys::stat::fstatat(&self.dir, rel, AtFlags::empty())
            .is_ok_and(|st| entry.stamp == Stamp::of_stat(&st));
        if fresh {
            Some(entry)
        } else {
            self.forget(rel);
            None
        }
    }

    /// Remember a small file just read whole (`body` is all of it, as `meta` describes).
    pub fn remember(
        &self,
        rel: &[u8],
        meta: &Metadata,
        body: &[u8],
        etag: &[u8],
        mime: &'static str,
    ) {
        if body.len() > MAX_CACHED_FILE || rel.is_empty() || body.len() as u64 != meta.len() {
            return;
        }
        // Timestamps are coarse (a few ms on many file systems): two writes of the same size in
        // one tick would leave the stamp unchanged. A file last written a second ago or more
        // cannot be rewritten within its own tick, so only such files are kept.
        let settled = meta.modified().is_ok_and(|modified| {
            SystemTime::now()
                .duration_since(modified)
                .is_ok_and(|age| age >= Duration::from_secs(1))
        });
        if !settled {
            return;
        }
        let mut last_modified = Vec::with_capacity(29);
        http_date(mtime(meta).0, &mut last_modified);
        let entry = Arc::new(Cached {
            stamp: Stamp::of_meta(meta),
            body: body.into(),
            etag: etag.into(),
            last_modified: last_modified.into(),
            modified: mtime(meta).0,
            mime,
        });
        let mut cache = self.lock_cache();
        let total = self.cached_bytes.load(Ordering::Relaxed) + body.len();
        if cache.len() >= MAX_CACHED_ENTRIES || total > MAX_CACHED_BYTES {
            // Crude but bounded: start over. The hot files come back at once.
            cache.clear();
            self.cached_bytes.store(0, Ordering::Relaxed);
        }
        if let Some(old) = cache.insert(rel.into(), entry) {
            self.cached_bytes
                .fetch_sub(old.body.len(), Ordering::Relaxed);
        }
        self.cached_bytes.fetch_add(body.len(), Ordering::Relaxed);
    }

    fn forget(&self, rel: &[u8]) {
        if let Some(old) = self.lock_cache().remove(rel) {
            self.cached_bytes
                .fetch_sub(old.body.len(), Ordering::Relaxed);
        }
    }

    fn lock_cache(&self) -> std::sync::MutexGuard<'_, HashMap<Box<[u8]>, Arc<Cached>>> {
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn open_fd(&self, rel: &[u8], flags: OFlag) -> Result<OwnedFd, Reject> {
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

/// Files up to this size are kept in the cache.
pub const MAX_CACHED_FILE: usize = 32 * 1024;
/// At most this many cached files …
pub const MAX_CACHED_ENTRIES: usize = 4096;
/// … and this many bytes in all.
pub const MAX_CACHED_BYTES: usize = 16 * 1024 * 1024;

/// What identifies a file and its contents: device, inode, size, mtime and ctime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
}

/// The modification time as Unix seconds and nanoseconds (0 for times before 1970).
pub fn mtime(meta: &Metadata) -> (u64, u32) {
    (
        u64::try_from(meta.mtime()).unwrap_or(0),
        u32::try_from(meta.mtime_nsec()).unwrap_or(0),
    )
}

/// A strong ETag from inode, size and modification time: `"ino-size-mtime"` in hex (the same
/// scheme as nginx's, plus the inode so a replaced file never matches its predecessor).
/// `suffix` tells encodings apart (`"…-gz"`).
pub fn etag(meta: &Metadata, suffix: &str, out: &mut Vec<u8>) {
    let (secs, nanos) = mtime(meta);
    out.push(b'"');
    push_hex(out, meta.ino());
    out.push(b'-');
    push_hex(out, meta.size());
    out.push(b'-');
    push_hex(out, secs);
    out.push(b'.');
    push_hex(out, u64::from(nanos));
    out.extend_from_slice(suffix.as_bytes());
    out.push(b'"');
}

/// `Last-Modified` text for a Unix time.
pub fn http_date(secs: u64, out: &mut Vec<u8>) {
    let date = httpdate::HttpDate::from(UNIX_EPOCH + Duration::from_secs(secs));
    // Writing into a Vec cannot fail.
    let _ = io::Write::write_fmt(out, format_args!("{date}"));
}

/// An HTTP date header value as Unix seconds.
pub fn parse_http_date(value: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(value).ok()?;
    let time = httpdate::parse_http_date(text).ok()?;
    time.duration_since(UNIX_EPOCH).ok().map(|d| d.as_secs())
}

/// What the conditional headers decide (RFC 9110 §13.2.2), for GET and HEAD.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    /// Go on (200, or 206 if a Range applies).
    Proceed,
    /// 304 Not Modified.
    NotModified,
    /// 412 Precondition Failed.
    Failed,
}

/// The validators of what would be sent, and the request's conditional headers.
pub struct Validators<'a> {
    pub etag: &'a [u8],
    pub modified: u64,
}

impl Validators<'_> {
    /// Evaluate If-Match, If-Unmodified-Since, If-None-Match, If-Modified-Since in RFC order.
    pub fn check(
        &self,
        if_match: Option<&[u8]>,
        if_unmodified_since: Option<&[u8]>,
        if_none_match: Option<&[u8]>,
        if_modified_since: Option<&[u8]>,
    ) -> Condition {
        if let Some(list) = if_match {
            if !etag_list_matches(list, self.etag, true) {
                return Condition::Failed;
            }
        } else if let Some(date) = if_unmodified_since.and_then(parse_http_date)
            && self.modified > date
        {
            return Condition::Failed;
        }
        if let Some(list) = if_none_match {
            if etag_list_matches(list, self.etag, false) {
                return Condition::NotModified;
            }
        } else if let Some(date) = if_modified_since.and_then(parse_http_date)
            && self.modified <= date
        {
            return Condition::NotModified;
        }
        Condition::Proceed
    }

    /// `If-Range`: an ETag must match strongly, a date exactly; otherwise send everything.
    pub fn if_range_holds(&self, value: &[u8]) -> bool {
        let value = trim(value);
        if value.starts_with(b"\"") {
            value == self.etag
        } else if value.starts_with(b"W/") {
            false
        } else {
            parse_http_date(value) == Some(self.modified)
        }
    }
}

/// Whether a list of entity tags (or `*`) matches `etag`; weak comparison unless `strong`.
pub fn etag_list_matches(list: &[u8], etag: &[u8], strong: bool) -> bool {
    let list = trim(list);
    if list == b"*" {
        return true;
    }
    list.split(|&b| b == b',').any(|item| {
        let item = trim(item);
        match item.strip_prefix(b"W/") {
            Some(weak) => !strong && weak == etag,
            None => item == etag,
        }
    })
}

/// Seconds since the epoch, for listing times.
pub fn unix_secs(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(target: &str) -> (String, bool, Option<String>) {
        let t = parse_target(target, false).unwrap_or_else(|r| panic!("{target}: {r:?}"));
        (String::from_utf8(t.rel).unwrap(), t.slash, t.query)
    }

    fn status(target: &str) -> u16 {
        parse_target(target, false).map_or_else(|r| r.status, |t| panic!("{target}: {t:?}"))
    }

    #[test]
    fn plain_paths() {
        assert_eq!(ok("/"), ("".into(), false, None));
        assert_eq!(ok("/a/b.txt"), ("a/b.txt".into(), false, None));
        assert_eq!(ok("/dir/"), ("dir".into(), true, None));
        assert_eq!(ok("/a//b"), ("a/b".into(), false, None));
        assert_eq!(ok("/a%20b%26c.html"), ("a b&c.html".into(), false, None));
        assert_eq!(
            ok("/%E6%95%99%E7%A8%8B.txt?x=1#f"),
            ("教程.txt".into(), false, Some("x=1".into()))
        );
        assert_eq!(ok("/%252e%252e/x"), ("%2e%2e/x".into(), false, None));
        assert_eq!(ok("/a..b/c."), ("a..b/c.".into(), false, None));
    }

    #[test]
    fn absolute_form() {
        assert_eq!(
            ok("http://example.org/a?b"),
            ("a".into(), false, Some("b".into()))
        );
        assert_eq!(ok("HTTP://example.org"), ("".into(), false, None));
        assert_eq!(status("ftp://example.org/a"), 400);
    }

    #[test]
    fn escapes_are_refused() {
        for target in [
            "/..",
            "/../etc/passwd",
            "/a/../../etc/passwd",
            "/%2e%2e/etc/passwd",
            "/%2E%2E/etc/passwd",
            "/.%2e/x",
            "/a/%2e",
            "/./a",
            "/a%2fb",
            "/a%2F..%2Fb",
            "/a%5cb",
            "/a\\b",
            "/..\\x",
            "/a%00b",
            "/a%zz",
            "/a%4",
            "//evil.example/x",
            "*",
            "a/b",
            "",
        ] {
            assert_eq!(status(target), 400, "{target}");
        }
    }

    #[test]
    fn dotfiles_hidden_unless_asked() {
        assert_eq!(status("/.git/config"), 404);
        assert_eq!(status("/a/.env"), 404);
        assert_eq!(status("/%2egit/config"), 404);
        let t = parse_target("/.well-known/x", true).unwrap();
        assert_eq!(t.rel, b".well-known/x");
        assert_eq!(parse_target("/../x", true).unwrap_err().status, 400);
    }

    #[test]
    fn decoded_paths_stay_relative() {
        // Whatever comes in, an accepted path never climbs or starts at the filesystem root.
        for target in ["/a/b", "/x%2ey", "/a//b/", "/%C3%A9"] {
            let t = parse_target(target, true).unwrap();
            assert!(!t.rel.starts_with(b"/"));
            assert!(
                !t.rel
                    .split(|&b| b == b'/')
                    .any(|s| s == b".." || s.is_empty())
            );
        }
    }

    #[test]
    fn conditions() {
        let v = Validators {
            etag: b"\"1-2-3.0\"",
            modified: 1_000_000_000,
        };
        let date = b"Sun, 09 Sep 2001 01:46:40 GMT"; // 1_000_000_000
        let later = b"Sun, 09 Sep 2001 01:46:41 GMT";
        let earlier = b"Sun, 09 Sep 2001 01:46:39 GMT";
        assert_eq!(v.check(None, None, None, None), Condition::Proceed);
        assert_eq!(
            v.check(None, None, Some(b"\"1-2-3.0\""), None),
            Condition::NotModified
        );
        assert_eq!(
            v.check(None, None, Some(b"\"x\", W/\"1-2-3.0\""), None),
            Condition::NotModified
        );
        assert_eq!(
            v.check(None, None, Some(b"*"), None),
            Condition::NotModified
        );
        assert_eq!(
            v.check(None, None, Some(b"\"x\""), Some(date)),
            Condition::Proceed
        );
        assert_eq!(
            v.check(None, None, None, Some(date)),
            Condition::NotModified
        );
        assert_eq!(
            v.check(None, None, None, Some(later)),
            Condition::NotModified
        );
        assert_eq!(v.check(None, None, None, Some(earlier)), Condition::Proceed);
        assert_eq!(
            v.check(None, None, None, Some(b"garbage")),
            Condition::Proceed
        );
        assert_eq!(v.check(Some(b"\"x\""), None, None, None), Condition::Failed);
        assert_eq!(
            v.check(Some(b"W/\"1-2-3.0\""), None, None, None),
            Condition::Failed
        );
        assert_eq!(v.check(None, Some(earlier), None, None), Condition::Failed);
        assert!(v.if_range_holds(b"\"1-2-3.0\""));
        assert!(!v.if_range_holds(b"W/\"1-2-3.0\""));
        assert!(v.if_range_holds(date));
        assert!(!v.if_range_holds(later));
    }

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
