//! The response side: [`Head`] builds a head into a buffer the connection reuses (status line,
//! the headers every response carries, small helpers for the rest); an [`Answer`] is what a
//! handler decided to send (status, where the body comes from, whether the connection ends);
//! [`send`] writes it, head and body in one `writev` where it can, a large file with sendfile.
//! Nothing here allocates once the buffers have grown to their working size.

use std::cell::Cell;
use std::fs::File;
use std::io::{self, IoSlice, Write};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use super::archive::Archive;
use super::files::{Cached, SMALL_FILE};
use super::transport::Wire;
use crate::net::Transport;

/// The `Server` header value.
pub const SERVER: &str = concat!("netlab/", env!("CARGO_PKG_VERSION"));

/// Status line for a code (`HTTP/1.1 200 OK\r\n`); unknown codes read as 500.
pub fn status_line(status: u16) -> &'static [u8] {
    match status {
        100 => b"HTTP/1.1 100 Continue\r\n",
        200 => b"HTTP/1.1 200 OK\r\n",
        201 => b"HTTP/1.1 201 Created\r\n",
        204 => b"HTTP/1.1 204 No Content\r\n",
        206 => b"HTTP/1.1 206 Partial Content\r\n",
        301 => b"HTTP/1.1 301 Moved Permanently\r\n",
        303 => b"HTTP/1.1 303 See Other\r\n",
        304 => b"HTTP/1.1 304 Not Modified\r\n",
        400 => b"HTTP/1.1 400 Bad Request\r\n",
        401 => b"HTTP/1.1 401 Unauthorized\r\n",
        403 => b"HTTP/1.1 403 Forbidden\r\n",
        404 => b"HTTP/1.1 404 Not Found\r\n",
        405 => b"HTTP/1.1 405 Method Not Allowed\r\n",
        408 => b"HTTP/1.1 408 Request Timeout\r\n",
        409 => b"HTTP/1.1 409 Conflict\r\n",
        412 => b"HTTP/1.1 412 Precondition Failed\r\n",
        413 => b"HTTP/1.1 413 Content Too Large\r\n",
        414 => b"HTTP/1.1 414 URI Too Long\r\n",
        416 => b"HTTP/1.1 416 Range Not Satisfiable\r\n",
        417 => b"HTTP/1.1 417 Expectation Failed\r\n",
        429 => b"HTTP/1.1 429 Too Many Requests\r\n",
        431 => b"HTTP/1.1 431 Request Header Fields Too Large\r\n",
        501 => b"HTTP/1.1 501 Not Implemented\r\n",
        503 => b"HTTP/1.1 503 Service Unavailable\r\n",
        505 => b"HTTP/1.1 505 HTTP Version Not Supported\r\n",
        507 => b"HTTP/1.1 507 Insufficient Storage\r\n",
        _ => b"HTTP/1.1 500 Internal Server Error\r\n",
    }
}

/// The reason phrase alone (`Not Found`), for small error bodies.
pub fn reason(status: u16) -> &'static str {
    let line = status_line(status);
    // "HTTP/1.1 404 " is 13 bytes; the phrase runs to the CRLF.
    std::str::from_utf8(&line[13..line.len() - 2]).unwrap_or("Error")
}

thread_local! {
    /// The current second and its IMF-fixdate; each thread formats it at most once a second.
    static DATE: Cell<(u64, [u8; 29])> = const { Cell::new((u64::MAX, [0; 29])) };
}

/// `Sun, 06 Nov 1994 08:49:37 GMT` for now, cached per second.
pub fn http_date_now() -> [u8; 29] {
    let now = SystemTime::now();
    let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    DATE.with(|cell| {
        let (cached, text) = cell.get();
        if cached == secs {
            return text;
        }
        let mut text = [0u8; 29];
        let formatted = httpdate::fmt_http_date(UNIX_EPOCH + std::time::Duration::from_secs(secs));
        let n = formatted.len().min(29);
        text[..n].copy_from_slice(&formatted.as_bytes()[..n]);
        cell.set((secs, text));
        text
    })
}

/// A response head being written into `out` (cleared first).
pub struct Head<'a> {
    out: &'a mut Vec<u8>,
}

impl<'a> Head<'a> {
    /// Status line, Date, Server, then `common`: the site's headers for every response
    /// (`Site::common`: CORS's, then `--header`'s), rendered once at start.
    pub fn new(out: &'a mut Vec<u8>, status: u16, common: &[u8]) -> Head<'a> {
        out.clear();
        out.extend_from_slice(status_line(status));
        out.extend_from_slice(b"Date: ");
        out.extend_from_slice(&http_date_now());
        out.extend_from_slice(b"\r\nServer: ");
        out.extend_from_slice(SERVER.as_bytes());
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(common);
        Head { out }
    }

    pub fn header(&mut self, name: &str, value: impl AsRef<[u8]>) -> &mut Self {
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(b": ");
        self.out.extend_from_slice(value.as_ref());
        self.out.extend_from_slice(b"\r\n");
        self
    }

    pub fn number(&mut self, name: &str, value: u64) -> &mut Self {
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(b": ");
        push_decimal(self.out, value);
        self.out.extend_from_slice(b"\r\n");
        self
    }

    /// A header whose value is written by `value` (dates, ranges …) without a temporary string.
    pub fn with(&mut self, name: &str, value: impl FnOnce(&mut Vec<u8>)) -> &mut Self {
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(b": ");
        value(self.out);
        self.out.extend_from_slice(b"\r\n");
        self
    }

    /// `Content-Type` for a media type, with `charset` when it is text and one is known.
    pub fn content_type(&mut self, mime: &str, charset: Option<&str>) -> &mut Self {
        self.out.extend_from_slice(b"Content-Type: ");
        self.out.extend_from_slice(mime.as_bytes());
        if let Some(charset) = charset
            && takes_charset(mime)
        {
            self.out.extend_from_slice(b"; charset=");
            self.out.extend_from_slice(charset.as_bytes());
        }
        self.out.extend_from_slice(b"\r\n");
        self
    }

    /// `Connection: close`, or `keep-alive` for an HTTP/1.0 client that asked for it.
    pub fn connection(&mut self, keep_alive: bool, minor: u8) -> &mut Self {
        if !keep_alive {
            self.out.extend_from_slice(b"Connection: close\r\n");
        } else if minor == 0 {
            self.out.extend_from_slice(b"Connection: keep-alive\r\n");
        }
        self
    }

    /// The blank line that ends the head.
    pub fn finish(&mut self) {
        self.out.extend_from_slice(b"\r\n");
    }
}

/// The types a `charset` parameter is given to: text. (Not JSON: RFC 8259 defines no charset
/// parameter; JSON is UTF-8.)
pub fn takes_charset(mime: &str) -> bool {
    mime.starts_with("text/")
        || matches!(
            mime,
            "application/javascript"
                | "application/xml"
                | "image/svg+xml"
                | "application/xhtml+xml"
        )
}

/// Append `n` in decimal.
pub fn push_decimal(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

/// Append `n` in lower-case hex.
pub fn push_hex(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 16];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b"0123456789abcdef"[(n & 15) as usize];
        n >>= 4;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

/// Write `a` then `b` with as few system calls as the socket allows (one, usually).
pub fn write_two(w: &mut impl Write, mut a: &[u8], mut b: &[u8]) -> io::Result<()> {
    while !a.is_empty() {
        let n = w.write_vectored(&[IoSlice::new(a), IoSlice::new(b)])?;
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        if n < a.len() {
            a = &a[n..];
        } else {
            b = &b[n - a.len()..];
            a = &[];
        }
    }
    w.write_all(b)
}

/// Buffers a connection uses while it answers. A connection's thread keeps one set; an event loop
/// lends one set to each connection in turn.
#[derive(Debug, Default)]
pub struct Scratch {
    /// The response head being built.
    pub(crate) out: Vec<u8>,
    /// A response body: a small file, a listing, an error text, an echo.
    pub(crate) body: Vec<u8>,
    /// A request body (echo), or a `Location` being built.
    pub(crate) scratch: Vec<u8>,
    /// The decoded path of the current request.
    pub(crate) path: Vec<u8>,
    pub(crate) etag: Vec<u8>,
    /// An access-log line.
    pub(crate) log: Vec<u8>,
}

impl Scratch {
    pub fn new() -> Scratch {
        Scratch {
            out: Vec::with_capacity(512),
            path: Vec::with_capacity(128),
            etag: Vec::with_capacity(64),
            ..Scratch::default()
        }
    }
}

/// Where the body of an [`Answer`] comes from (its head is in [`Scratch::out`]).
#[derive(Debug)]
pub(crate) enum Payload<'s> {
    /// No body: HEAD, 304, 204, an empty file.
    Empty,
    /// `Scratch::body[..n]`: a small file, a listing, an error text, an echo.
    Buffered(usize),
    /// Bytes the site holds: the `--page` body.
    Borrowed(&'s [u8]),
    /// `len` bytes of a cached file from `start`.
    Cached {
        entry: Arc<Cached>,
        start: usize,
        len: usize,
    },
    /// `len` bytes of an open file from `start`, sent with sendfile: a file over [`SMALL_FILE`].
    File { file: File, start: u64, len: u64 },
    /// A folder as an archive, written as its tree is walked (`--archives`).
    Archive(Box<Archive<'s>>),
}

impl Payload<'_> {
    /// Sending this could wait on the client for long: a file over [`SMALL_FILE`] (sendfile
    /// on a blocking socket) or an in-memory body as large.
    pub(crate) fn is_large(&self) -> bool {
        match self {
            Payload::File { .. } | Payload::Archive(_) => true,
            Payload::Borrowed(bytes) => bytes.len() > SMALL_FILE,
            // A compressed form can be as large.
            Payload::Cached { len, .. } => *len > SMALL_FILE,
            Payload::Empty | Payload::Buffered(_) => false,
        }
    }
}

/// What a handler decided to send, its head built and not yet written.
#[derive(Debug)]
pub(crate) struct Answer<'s> {
    pub(crate) status: u16,
    pub(crate) payload: Payload<'s>,
    /// The connection closes after this answer.
    pub(crate) close: bool,
    /// Bytes the client sent may still be unread: drain before closing.
    pub(crate) linger: bool,
}

/// How an answer went out, for the connection and the access log.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    /// Body bytes sent.
    pub(crate) sent: u64,
    pub(crate) close: bool,
    pub(crate) linger: bool,
}

/// Write an answer: the head in `bufs.out`, then its body.
pub(crate) fn send<S: Transport>(
    wire: &mut Wire<'_, S>,
    bufs: &Scratch,
    answer: Answer<'_>,
) -> io::Result<Reply> {
    let head = &bufs.out;
    crate::explain::http::response(head);
    let sent = match answer.payload {
        Payload::Empty => {
            wire.write_all(head)?;
            0
        }
        Payload::Buffered(n) => write_head_body(wire, head, &bufs.body[..n])?,
        Payload::Borrowed(bytes) => write_head_body(wire, head, bytes)?,
        Payload::Cached { entry, start, len } => {
            write_head_body(wire, head, &entry.body[start..start + len])?
        }
        Payload::File { file, start, len } => {
            let sent = wire.stream.send_file(head, &file, start, len)?;
            wire.stats.bytes_out += head.len() as u64 + sent;
            if sent < len {
                // The file shrank under us: the framing is broken, so the connection ends.
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            len
        }
        Payload::Archive(archive) => archive.send(wire, head)?,
    };
    Ok(Reply {
        status: answer.status,
        sent,
        close: answer.close,
        linger: answer.linger,
    })
}

/// Write `head` and `body` together; returns the body's length.
fn write_head_body<S: Transport>(
    wire: &mut Wire<'_, S>,
    head: &[u8],
    body: &[u8],
) -> io::Result<u64> {
    write_two(wire.stream, head, body)?;
    wire.stats.bytes_out += (head.len() + body.len()) as u64;
    Ok(body.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_reads_as_http() {
        let mut out = Vec::new();
        let mut head = Head::new(&mut out, 200, b"Access-Control-Allow-Origin: *\r\n");
        head.content_type("text/html", Some("utf-8"))
            .number("Content-Length", 1234)
            .connection(false, 1);
        head.finish();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("HTTP/1.1 200 OK\r\nDate: "));
        assert!(text.contains("\r\nContent-Type: text/html; charset=utf-8\r\n"));
        let mut out = Vec::new();
        Head::new(&mut out, 200, b"").content_type("image/png", Some("utf-8"));
        assert!(
            String::from_utf8(out)
                .unwrap()
                .contains("Content-Type: image/png\r\n")
        );
        assert!(text.contains("\r\nContent-Length: 1234\r\n"));
        assert!(text.contains("\r\nAccess-Control-Allow-Origin: *\r\n"));
        assert!(text.ends_with("Connection: close\r\n\r\n"));
        assert!(text.contains(" GMT\r\n"));
    }

    #[test]
    fn numbers() {
        for n in [0u64, 7, 10, 12345, u64::MAX] {
            let mut out = Vec::new();
            push_decimal(&mut out, n);
            assert_eq!(out, n.to_string().as_bytes());
            out.clear();
            push_hex(&mut out, n);
            assert_eq!(out, format!("{n:x}").as_bytes());
        }
    }

    #[test]
    fn reasons() {
        assert_eq!(reason(404), "Not Found");
        assert_eq!(reason(431), "Request Header Fields Too Large");
        assert_eq!(reason(999), "Internal Server Error");
    }

    #[test]
    fn write_two_survives_short_writes() {
        struct Trickle(Vec<u8>);
        impl Write for Trickle {
            fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
                let n = buf.len().min(3);
                self.0.extend_from_slice(&buf[..n]);
                Ok(n)
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut t = Trickle(Vec::new());
        write_two(&mut t, b"hello ", b"world").unwrap();
        assert_eq!(t.0, b"hello world");
    }
}
