//! From a request target to a file beneath the root: never outside it.

use std::fs;
use std::os::fd::AsRawFd;

use super::Fixture;
use crate::web::Mode;
use crate::web::files::{self, Found};

/// The fuzz target for path resolution. The first byte's low bit is `--hidden`; the rest is a
/// request target. Checked: a target is refused (400 or 404) or decodes to a relative path with
/// no `.`/`..`/empty segment, NUL or backslash (and no dotfile without `--hidden`); opening that
/// path beneath the root is refused (403/404) or gives a file or directory that really is inside
/// the root (as the kernel names it in `/proc/self/fd`).
pub fn path_resolution(fixture: &Fixture, data: &[u8]) {
    let Some((&flags, target)) = data.split_first() else {
        return;
    };
    let target = String::from_utf8_lossy(target);
    if let Some(why) = resolve_escapes(fixture, &target, flags & 1 == 1) {
        panic!("{why}: target {target:?}");
    }
}

/// What is wrong with how `target` resolves, if anything (see [`path_resolution`]).
pub fn resolve_escapes(fixture: &Fixture, target: &str, hidden: bool) -> Option<String> {
    let parsed = match files::parse_target(target, hidden) {
        Ok(parsed) => parsed,
        Err(reject) if matches!(reject.status, 400 | 404) => return None,
        Err(reject) => return Some(format!("refused with {}", reject.status)),
    };
    let rel = &parsed.rel;
    if rel.starts_with(b"/") || rel.contains(&0) || rel.contains(&b'\\') {
        return Some(format!("decoded to {:?}", String::from_utf8_lossy(rel)));
    }
    if !rel.is_empty()
        && rel.split(|&b| b == b'/').any(|segment| {
            segment.is_empty()
                || segment == b"."
                || segment == b".."
                || (!hidden && segment.starts_with(b"."))
        })
    {
        return Some(format!("decoded to {:?}", String::from_utf8_lossy(rel)));
    }
    let Mode::Dir(root) = &fixture.dir.mode else {
        unreachable!("the fixture's dir site serves a directory");
    };
    let file = match root.open(rel) {
        Ok(Found::File(file, _) | Found::Dir(file, _)) => file,
        Err(reject) if matches!(reject.status, 403 | 404) => return None,
        Err(reject) => return Some(format!("open refused with {}", reject.status)),
    };
    let real = fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd())).ok()?;
    if !real.starts_with(&fixture.root) {
        return Some(format!("opened {} outside the root", real.display()));
    }
    None
}
