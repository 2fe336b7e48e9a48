//! A request target turned into a path beneath the root: [`parse_target_into`] decodes the path
//! and refuses anything that could step outside the served directory (`..`, `%2e%2e`, `%2f`,
//! `%5c`, backslashes, NUL, `//host`) or reveal a dotfile.

use crate::web::request::Reject;

/// A request target, decoded and checked (for tests and fuzzers; the server decodes into a
/// buffer it reuses, with [`parse_target_into`]).
#[cfg(any(test, feature = "fuzzing"))]
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
#[cfg(any(test, feature = "fuzzing"))]
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
}
