//! The validators of a representation (a strong ETag, Last-Modified) and the conditional
//! requests they answer: If-Match, If-Unmodified-Since, If-None-Match, If-Modified-Since
//! (RFC 9110 §13.2.2) and If-Range.

use std::fs::Metadata;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::web::request::trim;
use crate::web::response::push_hex;

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
}
