//! The knobs of issue 15 that change what every answer carries: `--header` (rendered once at
//! start into the bytes [`Head::new`](super::response::Head::new) appends), `--404 FILE` (read
//! once at start) and `--spa` (which paths fall back to the root's index).

use std::path::Path;

use crate::exit::Code;

/// The largest `--404` page: it is held in memory and sent from there.
pub const MAX_NOT_FOUND: u64 = 1 << 20;

/// Headers netlab writes itself (or that frame the message): a `--header` may not name them,
/// or a response could carry two that contradict each other. (`Cache-Control` may be given: it
/// is a list, and a second one adds its directives to netlab's.)
const OWN: [&str; 22] = [
    "accept-ranges",
    "allow",
    "connection",
    "content-disposition",
    "content-encoding",
    "content-length",
    "content-range",
    "content-type",
    "date",
    "etag",
    "keep-alive",
    "last-modified",
    "location",
    "proxy-connection",
    "retry-after",
    "server",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "vary",
    "www-authenticate",
];

/// The bytes every response carries after Date and Server: CORS's header, then each
/// `--header 'Name: value'`, checked (a malformed one, or one netlab sets, is a usage error).
pub fn common_headers(cors: bool, headers: &[String]) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    if cors {
        out.extend_from_slice(b"Access-Control-Allow-Origin: *\r\n");
    }
    for header in headers {
        let bad = |why: &str| Code::Usage.error(format!("--header {header:?}: {why}"));
        let Some((name, value)) = header.split_once(':') else {
            return Err(bad("not `Name: value`"));
        };
        let (name, value) = (name.trim(), value.trim());
        // RFC 9110's token characters.
        let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
        if name.is_empty() || !name.bytes().all(token) {
            return Err(bad("the name must be letters, digits or !#$%&'*+-.^_`|~"));
        }
        if value.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f) {
            return Err(bad(
                "the value may not hold control characters (CR, LF, NUL …)",
            ));
        }
        let lower = name.to_ascii_lowercase();
        if OWN.contains(&lower.as_str()) || (cors && lower == "access-control-allow-origin") {
            return Err(bad("netlab sets this header itself"));
        }
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    Ok(out)
}

/// `--404 FILE`: the body of every 404.
#[derive(Debug)]
pub struct NotFound {
    pub body: Vec<u8>,
    pub mime: &'static str,
    pub utf8: bool,
}

impl NotFound {
    /// Read `path` now (a missing, unreadable or too large file is a usage error, exit 2).
    pub fn load(path: &Path) -> anyhow::Result<NotFound> {
        let shown = path.display();
        let bad = |why: String| Code::Usage.error(format!("--404 {shown}: {why}"));
        let meta = std::fs::metadata(path).map_err(|err| bad(crate::net::error_text(&err)))?;
        if !meta.is_file() {
            return Err(bad("not a regular file".into()));
        }
        if meta.len() > MAX_NOT_FOUND {
            return Err(bad(format!(
                "{} bytes; at most {MAX_NOT_FOUND} (1 MiB)",
                meta.len()
            )));
        }
        let body = std::fs::read(path).map_err(|err| bad(crate::net::error_text(&err)))?;
        let mime = mime_guess::from_path(path)
            .first_raw()
            .unwrap_or("text/plain");
        Ok(NotFound {
            utf8: super::files::is_utf8(&body),
            body,
            mime,
        })
    }
}

/// `--spa`: whether a path that was not found gets the root's index instead — when its last
/// segment has no extension (`/app/route`, not `/missing.js`).
pub fn spa_fallback(path: &[u8]) -> bool {
    let last = path.rsplit(|&b| b == b'/').next().unwrap_or(path);
    !last.contains(&b'.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_checked_and_rendered() {
        let ok = common_headers(false, &["X-Frame-Options: DENY".into(), "a-b:  c ".into()]);
        assert_eq!(ok.unwrap(), b"X-Frame-Options: DENY\r\na-b: c\r\n");
        assert!(
            common_headers(true, &[])
                .unwrap()
                .starts_with(b"Access-Control")
        );
        for bad in [
            "no colon",
            ": empty name",
            "Bad Name: x",
            "X-A: a\r\nX-B: b",
            "X-A: a\nb",
            "Content-Length: 5",
            "transfer-encoding: chunked",
            "Connection: close",
        ] {
            assert!(common_headers(false, &[bad.into()]).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn spa_falls_back_only_without_an_extension() {
        assert!(spa_fallback(b"app/route"));
        assert!(spa_fallback(b"route"));
        assert!(spa_fallback(b""));
        assert!(!spa_fallback(b"missing.js"));
        assert!(!spa_fallback(b"a.b/c.css"));
        assert!(spa_fallback(b"a.b/c"));
    }
}
