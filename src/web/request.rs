//! Reading a request head: httparse for the syntax, then the limits (414, 431) and the framing
//! checks that keep request smuggling out (duplicate or bad Content-Length, Content-Length with
//! Transfer-Encoding, unknown codings, missing or duplicate Host).
//!
//! [`parse`] borrows the bytes and never allocates; the connection handler calls it again after
//! each read until the head is complete.

use std::mem::MaybeUninit;

use httparse::Header;

/// Longest request line (method, target, version) before 414.
pub const MAX_REQUEST_LINE: usize = 8 * 1024;
/// Most bytes of header fields before 431.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;
/// Most header fields before 431.
pub const MAX_HEADERS: usize = 100;
/// The most a head can take: a buffer this big always holds a head or a verdict on it.
pub const MAX_HEAD: usize = MAX_REQUEST_LINE + MAX_HEADER_BYTES + 8;

/// The method, as far as the server cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Options,
    /// Served with `--upload`.
    Put,
    /// Served with `--upload` (a form from the listing page).
    Post,
    /// Served with `--delete`.
    Delete,
    /// A method HTTP defines that netlab does not serve (405 with `Allow`).
    Other,
    /// A method nobody defined (501).
    Unknown,
}

impl Method {
    fn from_token(token: &str) -> Method {
        match token {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "OPTIONS" => Method::Options,
            "PUT" => Method::Put,
            "POST" => Method::Post,
            "DELETE" => Method::Delete,
            "PATCH" | "TRACE" | "CONNECT" | "PROPFIND" | "PROPPATCH" | "MKCOL" | "COPY"
            | "MOVE" | "LOCK" | "UNLOCK" | "QUERY" => Method::Other,
            _ => Method::Unknown,
        }
    }
}

/// How the request body is framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    None,
    Length(u64),
    Chunked,
}

/// A refused request: the status to answer with and why (for tests and `--verbose`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reject {
    pub status: u16,
    pub why: &'static str,
}

impl Reject {
    pub const fn new(status: u16, why: &'static str) -> Reject {
        Reject { status, why }
    }
}

/// A complete, checked request head.
#[derive(Debug)]
pub struct Request<'h, 'b> {
    pub method: Method,
    pub method_token: &'b str,
    /// The request target as sent (`/a%20b?x=1`).
    pub target: &'b str,
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    pub minor: u8,
    pub headers: &'h [Header<'b>],
    /// Bytes of the head, blank line included; the body (if any) starts here.
    pub head_len: usize,
    pub body: Body,
    /// What the client asked for: keep the connection after this response?
    pub keep_alive: bool,
    /// `Expect: 100-continue`.
    pub expect_continue: bool,
    pub if_none_match: Option<&'b [u8]>,
    pub if_modified_since: Option<&'b [u8]>,
    pub if_match: Option<&'b [u8]>,
    pub if_unmodified_since: Option<&'b [u8]>,
    pub range: Option<&'b [u8]>,
    pub if_range: Option<&'b [u8]>,
    pub accept: Option<&'b [u8]>,
    pub accept_encoding: Option<&'b [u8]>,
    pub origin: Option<&'b [u8]>,
    pub cors_request_headers: Option<&'b [u8]>,
    pub authorization: Option<&'b [u8]>,
    pub content_type: Option<&'b [u8]>,
}

impl Request<'_, '_> {
    /// The version as sent, for logs.
    pub fn version(&self) -> &'static str {
        if self.minor == 0 {
            "HTTP/1.0"
        } else {
            "HTTP/1.1"
        }
    }

    /// Whether the client would rather have JSON (`Accept: application/json`).
    pub fn wants_json(&self) -> bool {
        self.accept
            .is_some_and(|accept| contains_ignore_case(accept, b"application/json"))
    }
}

/// Header storage for [`parse`], left uninitialised (httparse fills what it uses).
pub type HeaderStorage<'b> = [MaybeUninit<Header<'b>>; MAX_HEADERS];

/// Fresh storage for [`parse`].
pub fn header_storage<'b>() -> HeaderStorage<'b> {
    [const { MaybeUninit::uninit() }; MAX_HEADERS]
}

/// Parse a head from the start of `buf`: `Ok(None)` when more bytes are needed, a
/// [`Reject`] when the request must be refused (the connection is closed after it).
pub fn parse<'h, 'b>(
    buf: &'b [u8],
    storage: &'h mut HeaderStorage<'b>,
) -> Result<Option<Request<'h, 'b>>, Reject> {
    // The request line's length, before httparse: a partial head may still be too long.
    // Blank lines before it are skipped (RFC 9112 §2.2) but count toward the limit.
    let skip = buf
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(buf.len());
    let line_end = memchr::memchr(b'\n', &buf[skip..]).map(|i| skip + i);
    match line_end {
        None if buf.len() > MAX_REQUEST_LINE + 1 => {
            return Err(Reject::new(414, "request line too long"));
        }
        Some(end) if end > MAX_REQUEST_LINE + 1 => {
            return Err(Reject::new(414, "request line too long"));
        }
        _ => {}
    }
    let mut req = httparse::Request::new(&mut []);
    let status = req.parse_with_uninit_headers(buf, storage);
    let head_len = match status {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => {
            if let Some(end) = line_end
                && buf.len() - end > MAX_HEADER_BYTES + 2
            {
                return Err(Reject::new(431, "header fields too large"));
            }
            return Ok(None);
        }
        Err(httparse::Error::TooManyHeaders) => {
            return Err(Reject::new(431, "too many header fields"));
        }
        // `HTTP/2` of `HTTP/2.0` fails in httparse before the line is whole; 505 or 400 is
        // decided on the whole line, so the answer does not depend on how the bytes arrived.
        Err(httparse::Error::Version) if line_end.is_none() => return Ok(None),
        Err(httparse::Error::Version) if looks_like_other_version(buf) => {
            return Err(Reject::new(505, "HTTP version not supported"));
        }
        Err(httparse::Error::HeaderName) => {
            return Err(Reject::new(400, "malformed header name"));
        }
        Err(httparse::Error::HeaderValue) => {
            return Err(Reject::new(400, "malformed header value"));
        }
        Err(httparse::Error::NewLine) => return Err(Reject::new(400, "malformed line ending")),
        Err(httparse::Error::Token) => return Err(Reject::new(400, "malformed request line")),
        Err(_) => return Err(Reject::new(400, "malformed request")),
    };
    crate::explain::http::request(&buf[..head_len]);
    // The fields are what lies between the request line and the blank line (CRLF or LF) that
    // ends the head: exactly MAX_HEADER_BYTES of them are allowed.
    if let Some(end) = line_end {
        let blank = if buf[head_len - 2] == b'\r' { 2 } else { 1 };
        if head_len - end - 1 - blank > MAX_HEADER_BYTES {
            return Err(Reject::new(431, "header fields too large"));
        }
    }
    let (Some(method_token), Some(target), Some(minor)) = (req.method, req.path, req.version)
    else {
        return Err(Reject::new(400, "malformed request line"));
    };
    let headers: &'h [Header<'b>] = req.headers;
    let mut out = Request {
        method: Method::from_token(method_token),
        method_token,
        target,
        minor,
        headers,
        head_len,
        body: Body::None,
        keep_alive: minor == 1,
        expect_continue: false,
        if_none_match: None,
        if_modified_since: None,
        if_match: None,
        if_unmodified_since: None,
        range: None,
        if_range: None,
        accept: None,
        accept_encoding: None,
        origin: None,
        cors_request_headers: None,
        authorization: None,
        content_type: None,
    };
    let mut hosts = 0;
    let mut length: Option<u64> = None;
    let mut chunked = false;
    for header in headers {
        let name = header.name.as_bytes();
        let value = trim(header.value);
        // Dispatch on length first: most names are compared once at most.
        match name.len() {
            4 if name.eq_ignore_ascii_case(b"host") => {
                hosts += 1;
                if hosts > 1 {
                    return Err(Reject::new(400, "duplicate Host"));
                }
                if !valid_host(value) {
                    return Err(Reject::new(400, "malformed Host"));
                }
            }
            5 if name.eq_ignore_ascii_case(b"range") => out.range = Some(value),
            6 if name.eq_ignore_ascii_case(b"accept") => out.accept = Some(value),
            6 if name.eq_ignore_ascii_case(b"expect") => {
                if value.eq_ignore_ascii_case(b"100-continue") {
                    out.expect_continue = true;
                } else {
                    return Err(Reject::new(417, "unknown expectation"));
                }
            }
            6 if name.eq_ignore_ascii_case(b"origin") => out.origin = Some(value),
            8 if name.eq_ignore_ascii_case(b"if-match") => out.if_match = Some(value),
            8 if name.eq_ignore_ascii_case(b"if-range") => out.if_range = Some(value),
            10 if name.eq_ignore_ascii_case(b"connection") => {
                for token in value.split(|&b| b == b',') {
                    let token = trim(token);
                    if token.eq_ignore_ascii_case(b"close") {
                        out.keep_alive = false;
                    } else if token.eq_ignore_ascii_case(b"keep-alive") && minor == 0 {
                        out.keep_alive = true;
                    }
                }
            }
            12 if name.eq_ignore_ascii_case(b"content-type") => out.content_type = Some(value),
            13 if name.eq_ignore_ascii_case(b"if-none-match") => out.if_none_match = Some(value),
            13 if name.eq_ignore_ascii_case(b"authorization") => out.authorization = Some(value),
            14 if name.eq_ignore_ascii_case(b"content-length") => {
                if length.is_some() {
                    return Err(Reject::new(400, "duplicate Content-Length"));
                }
                length = Some(content_length(value)?);
            }
            15 if name.eq_ignore_ascii_case(b"accept-encoding") => {
                out.accept_encoding = Some(value)
            }
            17 if name.eq_ignore_ascii_case(b"if-modified-since") => {
                out.if_modified_since = Some(value)
            }
            17 if name.eq_ignore_ascii_case(b"transfer-encoding") => {
                if chunked {
                    return Err(Reject::new(400, "duplicate Transfer-Encoding"));
                }
                if !value.eq_ignore_ascii_case(b"chunked") {
                    return Err(Reject::new(400, "unknown Transfer-Encoding"));
                }
                chunked = true;
            }
            19 if name.eq_ignore_ascii_case(b"if-unmodified-since") => {
                out.if_unmodified_since = Some(value)
            }
            30 if name.eq_ignore_ascii_case(b"access-control-request-headers") => {
                out.cors_request_headers = Some(value)
            }
            _ => {}
        }
    }
    if minor == 1 && hosts == 0 {
        return Err(Reject::new(400, "missing Host"));
    }
    out.body = match (length, chunked) {
        (Some(_), true) => {
            return Err(Reject::new(
                400,
                "both Content-Length and Transfer-Encoding",
            ));
        }
        (None, true) if minor == 0 => {
            return Err(Reject::new(400, "Transfer-Encoding in HTTP/1.0"));
        }
        (None, true) => Body::Chunked,
        (Some(0), false) | (None, false) => Body::None,
        (Some(n), false) => Body::Length(n),
    };
    Ok(Some(out))
}

/// A Content-Length value: digits only (no sign, no list, no spaces inside).
fn content_length(value: &[u8]) -> Result<u64, Reject> {
    const BAD: Reject = Reject::new(400, "malformed Content-Length");
    if value.is_empty() || value.len() > 19 || !value.iter().all(u8::is_ascii_digit) {
        return Err(BAD);
    }
    Ok(value
        .iter()
        .fold(0u64, |n, &d| n * 10 + u64::from(d - b'0')))
}

/// `host[:port]`, `[v6]:port`, or empty: nothing that could be a path, user info or a space.
fn valid_host(value: &[u8]) -> bool {
    value.iter().all(|&b| {
        b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b':' | b'[' | b']' | b'%')
    })
}

/// `GET / HTTP/2.0`: a well-formed line with a version httparse does not speak.
fn looks_like_other_version(buf: &[u8]) -> bool {
    let line = buf.split(|&b| b == b'\n').next().unwrap_or(buf);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let Some(space) = line.iter().rposition(|&b| b == b' ') else {
        return false;
    };
    let version = &line[space + 1..];
    version.len() == 8
        && version.starts_with(b"HTTP/")
        && version[5].is_ascii_digit()
        && version[6] == b'.'
        && version[7].is_ascii_digit()
}

/// Strip spaces and tabs at both ends.
pub fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t'))
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t'))
        .map_or(start, |i| i + 1);
    &bytes[start..end]
}

/// Case-insensitive substring test (ASCII).
pub fn contains_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty()
        || haystack
            .windows(needle.len())
            .any(|window| window.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(raw: &str) -> Result<Option<(Method, Body, bool)>, u16> {
        let mut storage = header_storage();
        match parse(raw.as_bytes(), &mut storage) {
            Ok(Some(req)) => Ok(Some((req.method, req.body, req.keep_alive))),
            Ok(None) => Ok(None),
            Err(reject) => Err(reject.status),
        }
    }

    #[test]
    fn simple_get() {
        assert_eq!(
            check("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
            Ok(Some((Method::Get, Body::None, true)))
        );
        assert_eq!(
            check("HEAD /a HTTP/1.0\r\n\r\n"),
            Ok(Some((Method::Head, Body::None, false)))
        );
        assert_eq!(
            check("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"),
            Ok(Some((Method::Get, Body::None, true)))
        );
        assert_eq!(
            check("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
            Ok(Some((Method::Get, Body::None, false)))
        );
    }

    #[test]
    fn leading_blank_lines() {
        assert!(matches!(
            check("\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n"),
            Ok(Some(_))
        ));
        assert_eq!(check(&"\r\n".repeat(5000)), Err(414));
    }

    #[test]
    fn partial_heads_wait() {
        assert_eq!(check("GET / HTTP/1.1\r\nHost: x\r\n"), Ok(None));
        assert_eq!(check("GE"), Ok(None));
        assert_eq!(check(""), Ok(None));
    }

    #[test]
    fn limits() {
        let long = format!("GET /{} HTTP/1.1\r\n", "a".repeat(MAX_REQUEST_LINE));
        assert_eq!(check(&long), Err(414));
        assert_eq!(check(&long[..long.len() - 2]), Err(414));
        let big = format!(
            "GET / HTTP/1.1\r\nHost: x\r\nX: {}\r\n",
            "a".repeat(MAX_HEADER_BYTES)
        );
        assert_eq!(check(&big), Err(431));
        let many: String = (0..=MAX_HEADERS).map(|i| format!("X-{i}: y\r\n")).collect();
        assert_eq!(check(&format!("GET / HTTP/1.1\r\n{many}\r\n")), Err(431));
    }

    #[test]
    fn framing_errors() {
        for raw in [
            "GET / HTTP/1.1\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1, 1\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n",
            "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
            "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
            "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
            "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
            "GET / HTTP/1.1\r\nHost : x\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: x\rY: z\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: x\r\nX: a\x01b\r\n\r\n",
            "GET /\x01 HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET  / HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET /\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n",
        ] {
            assert_eq!(check(raw), Err(400), "{raw:?}");
        }
    }

    #[test]
    fn bodies_and_methods() {
        assert_eq!(
            check("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n"),
            Ok(Some((Method::Post, Body::Length(5), true)))
        );
        assert_eq!(
            check("PUT / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n"),
            Ok(Some((Method::Put, Body::Chunked, true)))
        );
        assert_eq!(
            check("BREW / HTTP/1.1\r\nHost: x\r\n\r\n"),
            Ok(Some((Method::Unknown, Body::None, true)))
        );
        assert_eq!(check("GET / HTTP/2.0\r\nHost: x\r\n\r\n"), Err(505));
        assert_eq!(
            check("GET / HTTP/1.1\r\nHost: x\r\nExpect: tea\r\n\r\n"),
            Err(417)
        );
    }
}
