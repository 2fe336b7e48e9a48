//! One connection, start to end: read heads (with the head deadline and the keep-alive idle
//! timeout), answer them in order (pipelining falls out of the buffer), skip or drain bodies,
//! write one access-log line per request, and close cleanly.
//!
//! [`handle`] is generic over [`Transport`] (`Read + Write` plus timeouts): a `TcpStream` in the
//! server, a [`Duplex`] of bytes in tests and fuzzers. The hot path reuses the connection's
//! buffers: a head is built in one, a small file is read into another, and both go out in one
//! `writev`; a large file goes out with `std::io::copy` (sendfile on Linux).

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::net::{Shutdown, TcpStream};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileExt;
use std::time::{Duration, Instant};

use percent_encoding::{AsciiSet, CONTROLS, percent_encode};

use super::files::{self, Cached, Condition, Found, Root, Validators};
use super::listing;
use super::range::{Ranged, parse_range};
use super::request::{self, Body, MAX_HEAD, Method, Reject, Request, accepts_coding};
use super::response::{Head, push_decimal, reason, write_two};
use super::{Mode, Page, Site, echo};

/// Files up to this size are read into memory and sent with their head in one write.
pub const SMALL_FILE: u64 = 32 * 1024;
/// A request body up to this size is read and thrown away to keep the connection; a bigger one
/// (or a chunked one) is answered and the connection closed.
pub const DISCARD_LIMIT: u64 = 64 * 1024;
/// After answering a request whose rest was not read, keep reading (and discarding) this long
/// at most before closing, so the client sees the answer rather than a reset.
pub const LINGER_TIME: Duration = Duration::from_secs(2);
/// … and this many bytes at most.
pub const LINGER_BYTES: u64 = 16 * 1024 * 1024;
/// A read timeout may overshoot a deadline by this much rather than be reset for every read.
const SLACK: Duration = Duration::from_millis(50);

/// A byte stream the handler can drive: `Read + Write` plus what a socket adds.
pub trait Transport: Read + Write {
    /// Bound the next reads (`None`: block).
    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()>;
    /// Send FIN: the response is complete.
    fn shutdown_write(&mut self) -> io::Result<()>;
    /// Write `head`, then `len` bytes of `file` from `offset`; returns how many bytes of the
    /// file went out (fewer when the file shrank meanwhile).
    fn send_file(&mut self, head: &[u8], file: &File, offset: u64, len: u64) -> io::Result<u64>;
}

impl Transport for TcpStream {
    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        TcpStream::set_read_timeout(self, timeout)
    }

    fn shutdown_write(&mut self) -> io::Result<()> {
        self.shutdown(Shutdown::Write)
    }

    /// sendfile(2): the bytes go from the page cache to the socket without a copy through
    /// user space. (`std::io::copy` does not do this for File → TcpStream on current Rust: it
    /// falls back to an 8 KiB read/write loop.) The write timeout applies as to `write`.
    ///
    /// The socket is corked meanwhile (nginx's `tcp_nopush`): the head leaves with the first
    /// bytes of the file and only full segments follow, where TCP_NODELAY would push each
    /// piece as it comes (about a quarter slower on loopback here).
    fn send_file(&mut self, head: &[u8], file: &File, offset: u64, len: u64) -> io::Result<u64> {
        use nix::sys::socket::{setsockopt, sockopt::TcpCork};
        let corked = setsockopt(&*self, TcpCork, &true).is_ok();
        let sent = self
            .write_all(head)
            .and_then(|()| sendfile_all(self, file, offset, len));
        if corked {
            // Uncorking sends what is left at once.
            let _ = setsockopt(&*self, TcpCork, &false);
        }
        sent
    }
}

/// sendfile(2) until `len` bytes of `file` from `offset` are out or the file ends.
fn sendfile_all(socket: &mut TcpStream, file: &File, offset: u64, len: u64) -> io::Result<u64> {
    use nix::errno::Errno;
    let Ok(mut off) = i64::try_from(offset) else {
        return Err(io::ErrorKind::InvalidInput.into());
    };
    let mut sent = 0u64;
    while sent < len {
        // Linux sends at most 0x7ffff000 bytes a call.
        let chunk = (len - sent).min(0x7fff_f000) as usize;
        match nix::sys::sendfile::sendfile(&*socket, file, Some(&mut off), chunk) {
            Ok(0) => break,
            Ok(n) => sent += n as u64,
            Err(Errno::EINTR) => {}
            // A file system without sendfile support: copy by hand.
            Err(Errno::EINVAL | Errno::ENOSYS) if sent == 0 => {
                return copy_at(file, offset, len, socket);
            }
            Err(errno) => return Err(errno.into()),
        }
    }
    Ok(sent)
}

/// Input and output in memory: for tests and fuzzers. Reads come from `input` (its end is the
/// client closing), writes go to `output`; timeouts do nothing.
#[derive(Debug)]
pub struct Duplex<R, W> {
    pub input: R,
    pub output: W,
}

impl<R: Read, W: Write> Duplex<R, W> {
    pub fn new(input: R, output: W) -> Self {
        Duplex { input, output }
    }
}

impl<R: Read, W: Write> Read for Duplex<R, W> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.input.read(buf)
    }
}

impl<R: Read, W: Write> Write for Duplex<R, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.output.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.output.flush()
    }
}

impl<R: Read, W: Write> Transport for Duplex<R, W> {
    fn set_read_timeout(&mut self, _: Option<Duration>) -> io::Result<()> {
        Ok(())
    }

    fn shutdown_write(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn send_file(&mut self, head: &[u8], file: &File, offset: u64, len: u64) -> io::Result<u64> {
        self.output.write_all(head)?;
        copy_at(file, offset, len, &mut self.output)
    }
}

/// `len` bytes of `file` from `offset` through a buffer (no sendfile).
fn copy_at(file: &File, offset: u64, len: u64, out: &mut impl Write) -> io::Result<u64> {
    let mut reader = file;
    reader.seek(SeekFrom::Start(offset))?;
    io::copy(&mut Read::take(reader, len), out)
}

/// What one connection did, for the server's summary.
#[derive(Debug, Default, Clone, Copy)]
pub struct ConnStats {
    pub requests: u64,
    pub bytes_in: u64,
    pub bytes_out: u64,
}

/// Serve one connection until it closes, times out, errs, or `stop()` turns true (the request
/// in progress is answered first, with `Connection: close`). `peer` is only for the log.
pub fn handle<S: Transport>(
    stream: &mut S,
    peer: &str,
    site: &Site,
    stop: &dyn Fn() -> bool,
) -> ConnStats {
    let mut session = Session::new(site);
    serve_blocking(stream, peer, site, stop, &mut session, After::Continue);
    session.stats
}

/// What a connection keeps between reads: bytes the client sent that are not answered yet, the
/// deadline for the head being read, and the counts.
#[derive(Debug)]
pub struct Session {
    input: Input,
    /// The first head must be complete within header_timeout of the connection's start; a
    /// later one within header_timeout of its first byte. `None` between requests (then the
    /// keep-alive timeout applies).
    deadline: Option<Instant>,
    pub stats: ConnStats,
}

impl Session {
    pub fn new(site: &Site) -> Session {
        Session {
            input: Input::new(),
            deadline: Some(Instant::now() + site.header_timeout),
            stats: ConnStats::default(),
        }
    }

    /// When the head being read must be complete (`None`: between requests).
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// Read what the (non-blocking) stream has; `Ok(0)` when the client closed.
    pub fn read_from(&mut self, stream: &mut impl Read, site: &Site) -> io::Result<usize> {
        let n = self.input.fill(stream)?;
        self.stats.bytes_in += n as u64;
        self.arm_deadline(site);
        Ok(n)
    }

    /// Between requests, the first byte of the next head starts its deadline. Empty lines
    /// there are dropped (RFC 9112 §2.2: a server ignores them), so a stray CRLF after a
    /// request starts none.
    fn arm_deadline(&mut self, site: &Site) {
        if self.deadline.is_none() {
            self.input.skip_blank_lines();
            if !self.input.is_empty() {
                self.deadline = Some(Instant::now() + site.header_timeout);
            }
        }
    }
}

/// Buffers a connection uses while it answers. The blocking path keeps one set per connection;
/// an event loop lends one set to each connection in turn.
#[derive(Debug, Default)]
pub struct Scratch {
    out: Vec<u8>,
    body: Vec<u8>,
    scratch: Vec<u8>,
    path: Vec<u8>,
    etag: Vec<u8>,
    log: Vec<u8>,
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

/// What answering the front of the input came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// A request was answered; the connection stays open.
    Answered,
    /// No complete head yet.
    NeedInput,
    /// The connection ends now.
    Close,
    /// The connection ends once what the client still sends is drained ([`LINGER_TIME`]).
    Linger,
    /// Only for `inline`: the request at the front needs a blocking socket (it has a body, is
    /// malformed, or its answer is a large file); nothing of it was answered.
    Blocking,
}

/// What [`serve_blocking`] does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum After {
    /// Serve until the connection ends.
    Continue,
    /// Serve until every request that came is answered, then give the connection back.
    Return,
    /// Drain what the client still sends (bounded), then close.
    Linger,
}

/// How [`serve_blocking`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// The connection is over.
    Closed,
    /// `After::Return`: every request that came is answered and the connection waits for the
    /// next; it can go back to an event loop.
    Idle,
}

/// Serve on a blocking stream: the whole life of a connection in memory, or the part of one an
/// event loop handed over (`After::Return`: until it is idle again).
pub fn serve_blocking<S: Transport>(
    stream: &mut S,
    peer: &str,
    site: &Site,
    stop: &dyn Fn() -> bool,
    session: &mut Session,
    after: After,
) -> Ended {
    let mut conn = Conn::new(stream, site, peer, Scratch::new(), session.stats, false);
    conn.set_timeout(site.header_timeout);
    if after == After::Linger {
        conn.linger(&mut session.input);
        session.stats = conn.stats;
        return Ended::Closed;
    }
    loop {
        match conn.step(session, stop) {
            Step::Answered if after == After::Return && session.input.is_empty() => {
                session.stats = conn.stats;
                return Ended::Idle;
            }
            Step::Answered => continue,
            Step::Close | Step::Blocking => break,
            Step::Linger => {
                conn.linger(&mut session.input);
                break;
            }
            Step::NeedInput => {}
        }
        // More bytes are needed.
        session.arm_deadline(site);
        let now = Instant::now();
        match session.deadline {
            Some(at) => match at.checked_duration_since(now) {
                Some(left) if !left.is_zero() => conn.shrink_timeout(left),
                _ => {
                    conn.timed_out(&session.input);
                    break;
                }
            },
            None => conn.set_timeout(site.keepalive_timeout),
        }
        match session.input.fill(conn.stream) {
            Ok(0) => break,
            Ok(n) => conn.stats.bytes_in += n as u64,
            Err(err) if is_timeout(&err) => {
                // Idle past the keep-alive timeout: close quietly. A head deadline is checked
                // at the top of the loop (the timeout may wake a little early).
                if session.deadline.is_none() {
                    break;
                }
            }
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    session.stats = conn.stats;
    Ended::Closed
}

/// For an event loop: answer the requests at the front of the input on a non-blocking stream
/// that never fails a write for want of room (it keeps the rest), one at a time. Returns
/// [`Step::Blocking`] rather than wait on the client for anything.
pub fn step_inline<S: Transport>(
    stream: &mut S,
    peer: &str,
    site: &Site,
    stop: &dyn Fn() -> bool,
    session: &mut Session,
    scratch: &mut Scratch,
) -> Step {
    inline(stream, peer, site, session, scratch, |conn, session| {
        conn.step(session, stop)
    })
}

/// For an event loop: the head deadline passed. Answers 408 when part of a head came.
pub fn expire<S: Transport>(
    stream: &mut S,
    peer: &str,
    site: &Site,
    session: &mut Session,
    scratch: &mut Scratch,
) {
    inline(stream, peer, site, session, scratch, |conn, session| {
        conn.timed_out(&session.input)
    })
}

/// Run `work` on an inline [`Conn`] made of the session's counts and the lent buffers.
fn inline<S: Transport, R>(
    stream: &mut S,
    peer: &str,
    site: &Site,
    session: &mut Session,
    scratch: &mut Scratch,
    work: impl FnOnce(&mut Conn<'_, S>, &mut Session) -> R,
) -> R {
    let lent = std::mem::take(scratch);
    let mut conn = Conn::new(stream, site, peer, lent, session.stats, true);
    let result = work(&mut conn, session);
    session.stats = conn.stats;
    *scratch = conn.into_scratch();
    result
}

/// The error an inline answer gives up with: this request needs a blocking socket.
#[derive(Debug)]
struct NeedsBlocking;

impl std::fmt::Display for NeedsBlocking {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("needs a blocking socket")
    }
}

impl std::error::Error for NeedsBlocking {}

fn needs_blocking() -> io::Error {
    io::Error::other(NeedsBlocking)
}

fn is_needs_blocking(err: &io::Error) -> bool {
    err.get_ref()
        .is_some_and(|inner| inner.is::<NeedsBlocking>())
}

fn is_timeout(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// The first line of a head (without its line end), for the log.
fn request_line(head: &[u8]) -> &[u8] {
    let line = match memchr::memchr(b'\n', head) {
        Some(end) => &head[..end],
        None => &head[..head.len().min(256)],
    };
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// What the connection loop needs from a request after its bytes are gone.
#[derive(Debug, Clone, Copy)]
struct Meta {
    head_len: usize,
    minor: u8,
    keep_alive: bool,
    body: Body,
    expect_continue: bool,
    wants_json: bool,
    head_only: bool,
}

impl Meta {
    fn of(req: &Request<'_, '_>) -> Meta {
        Meta {
            head_len: req.head_len,
            minor: req.minor,
            keep_alive: req.keep_alive,
            body: req.body,
            expect_continue: req.expect_continue,
            wants_json: req.wants_json(),
            head_only: req.method == Method::Head,
        }
    }
}

/// How a response went.
#[derive(Debug, Clone, Copy)]
struct Reply {
    status: u16,
    /// Body bytes sent.
    sent: u64,
    /// The connection closes after this response.
    close: bool,
    /// Bytes the client sent may still be unread: drain before closing.
    linger: bool,
    /// The request body was read already.
    body_read: bool,
}

impl Reply {
    fn new(status: u16, sent: u64, keep: bool) -> Reply {
        Reply {
            status,
            sent,
            close: !keep,
            linger: false,
            body_read: false,
        }
    }
}

/// Where a file's bytes come from.
enum Source<'f> {
    File(&'f File, &'f std::fs::Metadata),
    Memory(&'f [u8]),
}

/// One representation of a file, ready to answer with.
struct Variant<'f> {
    source: Source<'f>,
    len: u64,
    /// Unix seconds.
    modified: u64,
    mime: &'static str,
    encoding: Option<&'static str>,
    /// `Last-Modified` already formatted (cached files).
    last_modified: Option<&'f [u8]>,
}

/// Bytes read from the client and not yet used: `data[start..end]`.
#[derive(Debug)]
struct Input {
    data: Vec<u8>,
    start: usize,
    end: usize,
}

impl Input {
    fn new() -> Input {
        Input {
            data: vec![0; 4096],
            start: 0,
            end: 0,
        }
    }

    fn filled(&self) -> &[u8] {
        &self.data[self.start..self.end]
    }

    fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// Drop the empty lines at the front.
    fn skip_blank_lines(&mut self) {
        let blank = self
            .filled()
            .iter()
            .take_while(|&&b| b == b'\r' || b == b'\n');
        let n = blank.count();
        self.consume(n);
    }

    fn consume(&mut self, n: usize) {
        self.start = (self.start + n).min(self.end);
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }

    /// Read more (moving what is left to the front, growing up to [`MAX_HEAD`]).
    fn fill(&mut self, stream: &mut impl Read) -> io::Result<usize> {
        if self.start > 0 {
            self.data.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.data.len() {
            if self.data.len() >= MAX_HEAD {
                // parse() gives its verdict well before this; never read without room.
                return Err(io::ErrorKind::OutOfMemory.into());
            }
            self.data.resize((self.data.len() * 2).min(MAX_HEAD), 0);
        }
        stream
            .read(&mut self.data[self.end..])
            .inspect(|&n| self.end += n)
    }
}

/// Bytes escaped in a `Location` query: controls, spaces, non-ASCII.
const QUERY: &AsciiSet = &CONTROLS.add(b' ').add(b'"').add(b'<').add(b'>').add(b'`');
/// Bytes escaped in a `Location` path segment.
const SEGMENT: &AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'!')
    .remove(b'$')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b'+')
    .remove(b',')
    .remove(b';')
    .remove(b'=')
    .remove(b':')
    .remove(b'@');

struct Conn<'a, S> {
    stream: &'a mut S,
    site: &'a Site,
    peer: &'a str,
    /// The response head being built.
    out: Vec<u8>,
    /// A response body: a small file, a listing, an error text, an echo.
    body: Vec<u8>,
    /// A request body (echo).
    scratch: Vec<u8>,
    /// The decoded path of the current request.
    path: Vec<u8>,
    etag: Vec<u8>,
    stats: ConnStats,
    /// The read timeout as last set on the stream.
    timeout: Option<Duration>,
    logging: bool,
    log: Vec<u8>,
    /// Answering for an event loop: never wait on the client (see [`Step::Blocking`]).
    inline: bool,
}

impl<'a, S: Transport> Conn<'a, S> {
    fn new(
        stream: &'a mut S,
        site: &'a Site,
        peer: &'a str,
        scratch: Scratch,
        stats: ConnStats,
        inline: bool,
    ) -> Self {
        Conn {
            stream,
            site,
            peer,
            out: scratch.out,
            body: scratch.body,
            scratch: scratch.scratch,
            path: scratch.path,
            etag: scratch.etag,
            stats,
            timeout: None,
            logging: crate::log::enabled(),
            log: scratch.log,
            inline,
        }
    }

    fn into_scratch(self) -> Scratch {
        Scratch {
            out: self.out,
            body: self.body,
            scratch: self.scratch,
            path: self.path,
            etag: self.etag,
            log: self.log,
        }
    }

    /// Answer the request at the front of the input, if its head is complete.
    fn step(&mut self, session: &mut Session, stop: &dyn Fn() -> bool) -> Step {
        let input = &mut session.input;
        let mut storage = request::header_storage();
        match request::parse(input.filled(), &mut storage) {
            Ok(Some(req)) => {
                let meta = Meta::of(&req);
                if self.inline && meta.body != Body::None {
                    return Step::Blocking;
                }
                let began = self.logging.then(Instant::now);
                let reply = if matches!(self.site.mode, Mode::Echo) {
                    let head = input.filled()[..meta.head_len].to_vec();
                    input.consume(meta.head_len);
                    let reply = self.echo(&head, &meta, input, stop());
                    self.log_request(request_line(&head), &reply, began);
                    reply
                } else {
                    let reply = self.respond(&req, stop());
                    if reply.as_ref().is_err_and(is_needs_blocking) {
                        return Step::Blocking;
                    }
                    self.log_request(request_line(input.filled()), &reply, began);
                    input.consume(meta.head_len);
                    reply
                };
                self.stats.requests += 1;
                let Ok(reply) = reply else {
                    return Step::Close;
                };
                if reply.close {
                    let unread_body = meta.body != Body::None && !reply.body_read;
                    if reply.linger || unread_body || !input.is_empty() {
                        return Step::Linger;
                    }
                    return Step::Close;
                }
                if let (Body::Length(n), false) = (meta.body, reply.body_read)
                    && self.skip(input, n).is_err()
                {
                    return Step::Close;
                }
                // The next head, if part of it came already, has header_timeout from now.
                session.deadline = None;
                session.arm_deadline(self.site);
                Step::Answered
            }
            Ok(None) => Step::NeedInput,
            Err(_) if self.inline => Step::Blocking,
            Err(reject) => {
                let began = self.logging.then(Instant::now);
                let reply = self.simple(1, false, reject.status, false, &[]);
                self.log_request(request_line(input.filled()), &reply, began);
                if reply.is_ok() {
                    Step::Linger
                } else {
                    Step::Close
                }
            }
        }
    }

    fn set_timeout(&mut self, timeout: Duration) {
        if self.timeout != Some(timeout) && self.stream.set_read_timeout(Some(timeout)).is_ok() {
            self.timeout = Some(timeout);
        }
    }

    /// Make sure the next read waits no longer than `left` (a little slack saves system calls).
    fn shrink_timeout(&mut self, left: Duration) {
        let fine = self
            .timeout
            .is_some_and(|t| t <= left + SLACK && t * 2 >= left);
        if !fine {
            self.set_timeout(left.max(Duration::from_millis(1)));
        }
    }

    /// The head deadline passed: 408 if part of a head came, else just close.
    fn timed_out(&mut self, input: &Input) {
        if input.is_empty() {
            return;
        }
        let began = self.logging.then(Instant::now);
        let reply = self.simple(1, false, 408, false, &[]);
        self.log_request(request_line(input.filled()), &reply, began);
    }

    fn write_head(&mut self) -> io::Result<()> {
        self.stream.write_all(&self.out)?;
        self.stats.bytes_out += self.out.len() as u64;
        Ok(())
    }

    /// Write the head and `self.body[..len]` together.
    fn write_head_body(&mut self, len: usize) -> io::Result<()> {
        write_two(self.stream, &self.out, &self.body[..len])?;
        self.stats.bytes_out += (self.out.len() + len) as u64;
        Ok(())
    }

    /// The answer to a parsed request (every mode but echo).
    fn respond(&mut self, req: &Request<'_, '_>, stopping: bool) -> io::Result<Reply> {
        let keep = req.keep_alive
            && !stopping
            && match req.body {
                Body::None => true,
                Body::Length(n) => n <= DISCARD_LIMIT && !req.expect_continue,
                Body::Chunked => false,
            };
        let head_only = req.method == Method::Head;
        match req.method {
            Method::Get | Method::Head => {}
            Method::Options if self.site.cors => return self.preflight(req, keep),
            Method::Options | Method::Other => {
                let allow = if self.site.cors {
                    "GET, HEAD, OPTIONS"
                } else {
                    "GET, HEAD"
                };
                return self.simple(req.minor, false, 405, keep, &[("Allow", allow)]);
            }
            Method::Unknown => return self.simple(req.minor, false, 501, keep, &[]),
        }
        match &self.site.mode {
            Mode::Dir(root) => self.file(req, root, keep, head_only),
            Mode::Page(page) => self.page(req, page, keep, head_only),
            Mode::Echo => self.simple(req.minor, head_only, 500, false, &[]),
        }
    }

    /// A short text answer (errors, 405, 501 …): `404 Not Found\n`.
    fn simple(
        &mut self,
        minor: u8,
        head_only: bool,
        status: u16,
        keep: bool,
        extra: &[(&str, &str)],
    ) -> io::Result<Reply> {
        // Errors in the request's framing or limits always close.
        let keep = keep && !matches!(status, 400 | 408 | 413 | 414 | 417 | 431 | 500 | 505);
        self.body.clear();
        push_decimal(&mut self.body, u64::from(status));
        self.body.push(b' ');
        self.body.extend_from_slice(reason(status).as_bytes());
        self.body.push(b'\n');
        let len = self.body.len();
        let mut head = Head::new(&mut self.out, status, self.site.cors);
        head.header("Content-Type", "text/plain; charset=utf-8")
            .number("Content-Length", len as u64);
        for (name, value) in extra {
            head.header(name, value);
        }
        head.connection(keep, minor).finish();
        if head_only {
            self.write_head()?;
        } else {
            self.write_head_body(len)?;
        }
        let mut reply = Reply::new(status, if head_only { 0 } else { len as u64 }, keep);
        reply.linger = !keep;
        Ok(reply)
    }

    fn preflight(&mut self, req: &Request<'_, '_>, keep: bool) -> io::Result<Reply> {
        let mut head = Head::new(&mut self.out, 204, true);
        head.header("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
            .header("Access-Control-Max-Age", "86400");
        if let Some(asked) = req.cors_request_headers {
            head.header("Access-Control-Allow-Headers", asked);
        }
        head.connection(keep, req.minor).finish();
        self.write_head()?;
        Ok(Reply::new(204, 0, keep))
    }

    fn page(
        &mut self,
        req: &Request<'_, '_>,
        page: &Page,
        keep: bool,
        head_only: bool,
    ) -> io::Result<Reply> {
        let validators = Validators {
            etag: &page.etag,
            modified: page.modified,
        };
        let status = match validators.check(
            req.if_match,
            req.if_unmodified_since,
            req.if_none_match,
            req.if_modified_since,
        ) {
            Condition::Proceed => 200,
            Condition::NotModified => 304,
            Condition::Failed => return self.simple(req.minor, head_only, 412, keep, &[]),
        };
        let mut head = Head::new(&mut self.out, status, self.site.cors);
        head.header("ETag", &page.etag)
            .with("Last-Modified", |out| files::http_date(page.modified, out));
        if status == 200 {
            head.content_type(page.mime)
                .number("Content-Length", page.body.len() as u64);
        }
        if self.inline && status == 200 && !head_only && page.body.len() as u64 > SMALL_FILE {
            return Err(needs_blocking());
        }
        head.connection(keep, req.minor).finish();
        self.write_head()?;
        let mut sent = 0;
        if status == 200 && !head_only {
            self.stream.write_all(&page.body)?;
            sent = page.body.len() as u64;
            self.stats.bytes_out += sent;
        }
        Ok(Reply::new(status, sent, keep))
    }

    fn file(
        &mut self,
        req: &Request<'_, '_>,
        root: &Root,
        keep: bool,
        head_only: bool,
    ) -> io::Result<Reply> {
        let (slash, query) =
            match files::parse_target_into(req.target, self.site.hidden, &mut self.path) {
                Ok(parsed) => parsed,
                Err(reject) => return self.reject(req, reject, keep),
            };
        // A client that takes gzip or br may get a precompressed sibling: not from the cache.
        let negotiates = req.accept_encoding.is_some_and(|accepted| {
            accepts_coding(accepted, b"gzip") || accepts_coding(accepted, b"br")
        });
        if !slash
            && !negotiates
            && let Some(entry) = root.cached(&self.path)
        {
            return self.send_cached(req, root, &entry, keep, head_only);
        }
        match root.open(&self.path) {
            Ok(Found::File(file, meta)) => self.send_file(req, root, file, meta, keep, head_only),
            Ok(Found::Dir(..)) if !slash && !self.path.is_empty() => {
                self.redirect_to_dir(req, query, keep)
            }
            Ok(Found::Dir(..)) => {
                let base = self.path.len();
                if base > 0 {
                    self.path.push(b'/');
                }
                self.path.extend_from_slice(self.site.index.as_bytes());
                if let Ok(Found::File(file, meta)) = root.open(&self.path) {
                    return self.send_file(req, root, file, meta, keep, head_only);
                }
                self.path.truncate(base);
                if !self.site.listing {
                    return self.simple(req.minor, head_only, 403, keep, &[]);
                }
                let json = req.wants_json()
                    || query.is_some_and(|q| q.split('&').any(|p| p == "format=json"));
                if self.inline {
                    // Reading a large directory takes a while: not on an event loop.
                    return Err(needs_blocking());
                }
                self.listing(req, root, json, keep, head_only)
            }
            Err(reject) => self.reject(req, reject, keep),
        }
    }

    fn reject(&mut self, req: &Request<'_, '_>, reject: Reject, keep: bool) -> io::Result<Reply> {
        crate::debug!("{} {}: {}", self.peer, reject.status, reject.why);
        self.simple(
            req.minor,
            req.method == Method::Head,
            reject.status,
            keep,
            &[],
        )
    }

    /// `/dir` → 301 `/dir/`: the path rebuilt from its decoded segments (so never `//…`),
    /// the query kept.
    fn redirect_to_dir(
        &mut self,
        req: &Request<'_, '_>,
        query: Option<&str>,
        keep: bool,
    ) -> io::Result<Reply> {
        self.scratch.clear();
        for segment in self.path.split(|&b| b == b'/') {
            self.scratch.push(b'/');
            for piece in percent_encode(segment, SEGMENT) {
                self.scratch.extend_from_slice(piece.as_bytes());
            }
        }
        self.scratch.push(b'/');
        if let Some(query) = query {
            self.scratch.push(b'?');
            for piece in percent_encode(query.as_bytes(), QUERY) {
                self.scratch.extend_from_slice(piece.as_bytes());
            }
        }
        let location = std::mem::take(&mut self.scratch);
        let reply = self.simple(
            req.minor,
            req.method == Method::Head,
            301,
            keep,
            &[("Location", std::str::from_utf8(&location).unwrap_or("/"))],
        );
        self.scratch = location;
        reply
    }

    fn listing(
        &mut self,
        req: &Request<'_, '_>,
        root: &Root,
        json: bool,
        keep: bool,
        head_only: bool,
    ) -> io::Result<Reply> {
        let Ok((entries, left_out)) = listing::read(root, &self.path, self.site.hidden) else {
            return self.simple(req.minor, head_only, 403, keep, &[]);
        };
        let mut title = String::with_capacity(self.path.len() + 2);
        title.push('/');
        if !self.path.is_empty() {
            title.push_str(&String::from_utf8_lossy(&self.path));
            title.push('/');
        }
        self.body.clear();
        if json {
            listing::json(&title, &entries, left_out, &mut self.body);
        } else {
            listing::html(&title, &entries, left_out, &mut self.body);
        }
        let len = self.body.len();
        let mut head = Head::new(&mut self.out, 200, self.site.cors);
        head.content_type(if json {
            "application/json"
        } else {
            "text/html"
        })
        .number("Content-Length", len as u64)
        .header("Vary", "Accept")
        .header("Cache-Control", "no-cache")
        .connection(keep, req.minor)
        .finish();
        if head_only {
            self.write_head()?;
        } else {
            self.write_head_body(len)?;
        }
        Ok(Reply::new(
            200,
            if head_only { 0 } else { len as u64 },
            keep,
        ))
    }

    /// A regular file just opened: pick a precompressed sibling if the client takes one, then
    /// answer.
    fn send_file(
        &mut self,
        req: &Request<'_, '_>,
        root: &Root,
        mut file: File,
        mut meta: std::fs::Metadata,
        keep: bool,
        head_only: bool,
    ) -> io::Result<Reply> {
        let mime = mime_guess::from_path(std::ffi::OsStr::from_bytes(&self.path))
            .first_raw()
            .unwrap_or("application/octet-stream");
        let mut encoding: Option<&'static str> = None;
        if let Some(accepted) = req.accept_encoding {
            let base = self.path.len();
            for (coding, ext) in [("br", ".br"), ("gzip", ".gz")] {
                if !accepts_coding(accepted, coding.as_bytes()) {
                    continue;
                }
                self.path.extend_from_slice(ext.as_bytes());
                let sibling = root.open(&self.path);
                self.path.truncate(base);
                if let Ok(Found::File(f, m)) = sibling {
                    (file, meta, encoding) = (f, m, Some(coding));
                    break;
                }
            }
        }
        self.etag.clear();
        let suffix = match encoding {
            Some("br") => "-br",
            Some(_) => "-gz",
            None => "",
        };
        files::etag(&meta, suffix, &mut self.etag);
        let variant = Variant {
            source: Source::File(&file, &meta),
            len: meta.len(),
            modified: files::mtime(&meta).0,
            mime,
            encoding,
            last_modified: None,
        };
        self.send_variant(req, root, &variant, keep, head_only)
    }

    /// A small file from the cache (checked fresh by the caller).
    fn send_cached(
        &mut self,
        req: &Request<'_, '_>,
        root: &Root,
        entry: &Cached,
        keep: bool,
        head_only: bool,
    ) -> io::Result<Reply> {
        self.etag.clear();
        self.etag.extend_from_slice(&entry.etag);
        let variant = Variant {
            source: Source::Memory(&entry.body),
            len: entry.body.len() as u64,
            modified: entry.modified,
            mime: entry.mime,
            encoding: None,
            last_modified: Some(&entry.last_modified),
        };
        self.send_variant(req, root, &variant, keep, head_only)
    }

    /// Validators, conditionals, Range, the head, then the bytes (ETag in `self.etag`).
    fn send_variant(
        &mut self,
        req: &Request<'_, '_>,
        root: &Root,
        v: &Variant<'_>,
        keep: bool,
        head_only: bool,
    ) -> io::Result<Reply> {
        let validators = Validators {
            etag: &self.etag,
            modified: v.modified,
        };
        let condition = validators.check(
            req.if_match,
            req.if_unmodified_since,
            req.if_none_match,
            req.if_modified_since,
        );
        let len = v.len;
        let ranged = match (condition, req.range) {
            (Condition::Proceed, Some(range))
                if req
                    .if_range
                    .is_none_or(|value| validators.if_range_holds(value)) =>
            {
                parse_range(range, len)
            }
            _ => Ranged::Full,
        };
        let (status, start, count) = match (condition, ranged) {
            (Condition::Failed, _) => return self.simple(req.minor, head_only, 412, keep, &[]),
            (Condition::NotModified, _) => (304, 0, 0),
            (_, Ranged::Full) => (200, 0, len),
            (_, Ranged::Partial { start, end }) => (206, start, end - start + 1),
            (_, Ranged::Unsatisfiable) => {
                let mut range = b"bytes */".to_vec();
                push_decimal(&mut range, len);
                let range = String::from_utf8(range).unwrap_or_default();
                return self.simple(
                    req.minor,
                    head_only,
                    416,
                    keep,
                    &[("Content-Range", &range), ("Accept-Ranges", "bytes")],
                );
            }
        };
        let mut head = Head::new(&mut self.out, status, self.site.cors);
        if status != 304 {
            head.content_type(v.mime).number("Content-Length", count);
        }
        match v.last_modified {
            Some(text) => head.header("Last-Modified", text),
            None => head.with("Last-Modified", |out| files::http_date(v.modified, out)),
        };
        head.header("ETag", &self.etag);
        if status != 304 {
            head.header("Accept-Ranges", "bytes");
        }
        if status == 206 {
            head.with("Content-Range", |out| {
                out.extend_from_slice(b"bytes ");
                push_decimal(out, start);
                out.push(b'-');
                push_decimal(out, start + count - 1);
                out.push(b'/');
                push_decimal(out, len);
            });
        }
        if let Some(coding) = v.encoding {
            head.header("Content-Encoding", coding);
        }
        if v.encoding.is_some() {
            head.header("Vary", "Accept-Encoding");
        }
        head.connection(keep, req.minor).finish();
        if status == 304 || head_only || count == 0 {
            self.write_head()?;
            return Ok(Reply::new(status, 0, keep));
        }
        let n = count as usize;
        match v.source {
            Source::Memory(bytes) => {
                let body = &bytes[start as usize..start as usize + n];
                write_two(self.stream, &self.out, body)?;
                self.stats.bytes_out += (self.out.len() + n) as u64;
            }
            Source::File(file, meta) if count <= SMALL_FILE => {
                if self.body.len() < n {
                    self.body.resize(n, 0);
                }
                file.read_exact_at(&mut self.body[..n], start)?;
                if status == 200 && v.encoding.is_none() {
                    root.remember(&self.path, meta, &self.body[..n], &self.etag, v.mime);
                }
                self.write_head_body(n)?;
            }
            Source::File(..) if self.inline => return Err(needs_blocking()),
            Source::File(file, _) => {
                let sent = self.stream.send_file(&self.out, file, start, count)?;
                self.stats.bytes_out += self.out.len() as u64 + sent;
                if sent < count {
                    // The file shrank under us: the framing is broken, so the connection ends.
                    return Err(io::ErrorKind::UnexpectedEof.into());
                }
            }
        }
        Ok(Reply::new(status, count, keep))
    }

    /// `--echo`: read the body (bounded), answer with the request.
    fn echo(
        &mut self,
        head: &[u8],
        meta: &Meta,
        input: &mut Input,
        stopping: bool,
    ) -> io::Result<Reply> {
        let keep = meta.keep_alive && !stopping;
        self.scratch.clear();
        let read = match meta.body {
            Body::None => Ok(()),
            Body::Length(n) if n > echo::MAX_BODY => Err(Reject::new(413, "body too large")),
            Body::Length(n) => {
                self.continue_if_expected(meta)?;
                self.read_exact_body(input, n)
            }
            Body::Chunked => {
                self.continue_if_expected(meta)?;
                self.read_chunked(input, echo::MAX_BODY)
            }
        };
        if let Err(reject) = read {
            let mut reply = self.simple(meta.minor, meta.head_only, reject.status, false, &[])?;
            reply.linger = true;
            return Ok(reply);
        }
        self.body.clear();
        if meta.wants_json {
            echo::json(self.peer, head, &self.scratch, &mut self.body);
        } else {
            echo::text(head, &self.scratch, &mut self.body);
        }
        let len = self.body.len();
        let mut head = Head::new(&mut self.out, 200, self.site.cors);
        head.content_type(if meta.wants_json {
            "application/json"
        } else {
            "text/plain"
        })
        .number("Content-Length", len as u64)
        .header("Cache-Control", "no-store")
        .connection(keep, meta.minor)
        .finish();
        if meta.head_only {
            self.write_head()?;
        } else {
            self.write_head_body(len)?;
        }
        let mut reply = Reply::new(200, if meta.head_only { 0 } else { len as u64 }, keep);
        reply.body_read = true;
        Ok(reply)
    }

    fn continue_if_expected(&mut self, meta: &Meta) -> io::Result<()> {
        if meta.expect_continue && meta.minor == 1 {
            self.stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
            self.stats.bytes_out += 25;
        }
        Ok(())
    }

    /// One more read for a body: bounded by the header timeout per read.
    fn fill_body(&mut self, input: &mut Input) -> Result<(), Reject> {
        self.set_timeout(self.site.header_timeout);
        match input.fill(self.stream) {
            Ok(0) => Err(Reject::new(400, "body cut short")),
            Ok(n) => {
                self.stats.bytes_in += n as u64;
                Ok(())
            }
            Err(err) if is_timeout(&err) => Err(Reject::new(408, "body timed out")),
            Err(_) => Err(Reject::new(400, "body read failed")),
        }
    }

    fn read_exact_body(&mut self, input: &mut Input, mut n: u64) -> Result<(), Reject> {
        loop {
            let take = (input.filled().len() as u64).min(n) as usize;
            self.scratch.extend_from_slice(&input.filled()[..take]);
            input.consume(take);
            n -= take as u64;
            if n == 0 {
                return Ok(());
            }
            self.fill_body(input)?;
        }
    }

    /// Decode a chunked body into `scratch` (trailers read and dropped).
    fn read_chunked(&mut self, input: &mut Input, limit: u64) -> Result<(), Reject> {
        const BAD: Reject = Reject::new(400, "malformed chunked body");
        loop {
            let size = loop {
                match httparse::parse_chunk_size(input.filled()) {
                    Ok(httparse::Status::Complete((used, size))) => {
                        input.consume(used);
                        break size;
                    }
                    Ok(httparse::Status::Partial) if input.filled().len() < 4096 => {
                        self.fill_body(input)?
                    }
                    _ => return Err(BAD),
                }
            };
            if size == 0 {
                // Trailer fields, then the blank line.
                let mut total = 0;
                loop {
                    if let Some(end) = memchr::memchr(b'\n', input.filled()) {
                        let blank = end == 0 || (end == 1 && input.filled()[0] == b'\r');
                        input.consume(end + 1);
                        total += end + 1;
                        if blank {
                            return Ok(());
                        }
                        if total > request::MAX_HEADER_BYTES {
                            return Err(BAD);
                        }
                    } else if input.filled().len() > request::MAX_HEADER_BYTES {
                        return Err(BAD);
                    } else {
                        self.fill_body(input)?;
                    }
                }
            }
            if self.scratch.len() as u64 + size > limit {
                return Err(Reject::new(413, "body too large"));
            }
            self.read_exact_body(input, size)?;
            // The CRLF after the chunk data.
            while input.filled().len() < 2 {
                self.fill_body(input)?;
            }
            if &input.filled()[..2] == b"\r\n" {
                input.consume(2);
            } else if input.filled()[0] == b'\n' {
                input.consume(1);
            } else {
                return Err(BAD);
            }
        }
    }

    /// Throw away a small body the response did not need.
    fn skip(&mut self, input: &mut Input, mut n: u64) -> Result<(), Reject> {
        loop {
            let take = (input.filled().len() as u64).min(n) as usize;
            input.consume(take);
            n -= take as u64;
            if n == 0 {
                return Ok(());
            }
            self.fill_body(input)?;
        }
    }

    /// The answer is out and the connection is closing with bytes from the client maybe still
    /// coming: send FIN, then read and discard (bounded) so the close does not become a reset
    /// that destroys the answer before the client reads it.
    fn linger(&mut self, input: &mut Input) {
        if self.stream.flush().is_err() || self.stream.shutdown_write().is_err() {
            return;
        }
        let until = Instant::now() + LINGER_TIME;
        let mut drained = 0u64;
        while drained < LINGER_BYTES {
            let Some(left) = until.checked_duration_since(Instant::now()) else {
                return;
            };
            if left.is_zero() {
                return;
            }
            self.shrink_timeout(left);
            input.start = 0;
            input.end = 0;
            match input.fill(self.stream) {
                Ok(0) => return,
                Ok(n) => {
                    drained += n as u64;
                    self.stats.bytes_in += n as u64;
                }
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return,
            }
        }
    }

    /// One access-log line: `client "request line" status bytes duration`, in one write. A
    /// response that could not be written shows `-` for status and bytes and says why last.
    fn log_request(&mut self, line: &[u8], reply: &io::Result<Reply>, began: Option<Instant>) {
        let Some(began) = began else { return };
        let log = &mut self.log;
        log.clear();
        log.extend_from_slice(self.peer.as_bytes());
        log.extend_from_slice(b" \"");
        escape_into(line, log);
        log.extend_from_slice(b"\" ");
        match reply {
            Ok(reply) => {
                push_decimal(log, u64::from(reply.status));
                log.push(b' ');
                push_decimal(log, reply.sent);
            }
            Err(_) => log.extend_from_slice(b"- -"),
        }
        let micros = began.elapsed().as_micros() as u64;
        log.push(b' ');
        push_decimal(log, micros / 1000);
        log.push(b'.');
        let frac = micros % 1000;
        log.extend_from_slice(&[
            b'0' + (frac / 100) as u8,
            b'0' + (frac / 10 % 10) as u8,
            b'0' + (frac % 10) as u8,
        ]);
        log.extend_from_slice(b"ms");
        if let Err(err) = reply {
            let _ = write!(log, " (write failed: {err})");
        }
        log.push(b'\n');
        let _ = io::stderr().lock().write_all(log);
    }
}

/// Printable ASCII as is; `"` and `\` escaped; every other byte as `\xNN`.
pub fn escape_into(bytes: &[u8], out: &mut Vec<u8>) {
    for &b in bytes {
        match b {
            b'"' | b'\\' => {
                out.push(b'\\');
                out.push(b);
            }
            0x20..=0x7e => out.push(b),
            _ => {
                out.extend_from_slice(b"\\x");
                out.push(b"0123456789abcdef"[usize::from(b >> 4)]);
                out.push(b"0123456789abcdef"[usize::from(b & 15)]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::{Mode, Page, Site};

    fn site_dir() -> (tempfile::TempDir, Site) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), "alpha").unwrap();
        std::fs::write(dir.path().join("big.bin"), vec![1u8; 100_000]).unwrap();
        std::fs::create_dir(dir.path().join("d")).unwrap();
        let site = Site::new(Mode::Dir(Root::new(dir.path()).unwrap()));
        (dir, site)
    }

    fn drive(site: &Site, input: &[u8]) -> (String, ConnStats) {
        let mut duplex = Duplex::new(input, Vec::new());
        let stats = handle(&mut duplex, "memory", site, &|| false);
        (String::from_utf8_lossy(&duplex.output).into_owned(), stats)
    }

    #[test]
    fn pipelined_requests_in_memory() {
        let (_dir, site) = site_dir();
        let (out, stats) = drive(
            &site,
            b"GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\nHEAD /d HTTP/1.1\r\nHost: x\r\n\r\nGET /big.bin HTTP/1.0\r\n\r\n",
        );
        assert_eq!(stats.requests, 3);
        assert!(out.starts_with("HTTP/1.1 200 OK\r\n"));
        assert!(out.contains("\r\n\r\nalpha"));
        assert!(out.contains("HTTP/1.1 301 Moved Permanently\r\n"));
        assert!(out.contains("Location: /d/\r\n"));
        assert!(out.contains("Content-Length: 100000\r\n"));
        assert!(out.ends_with(&"\u{1}".repeat(100_000)));
        assert_eq!(stats.bytes_out as usize, out.len());
    }

    #[test]
    fn page_and_echo_in_memory() {
        let page = Page::new(b"<p>x</p>".to_vec(), std::path::Path::new("p.html"), 0);
        let site = Site::new(Mode::Page(page));
        let (out, _) = drive(&site, b"GET /whatever HTTP/1.1\r\nHost: x\r\n\r\n");
        assert!(out.contains("Content-Length: 8\r\n") && out.ends_with("<p>x</p>"));

        let site = Site::new(Mode::Echo);
        let req =
            b"POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\nabc";
        let (out, _) = drive(&site, req);
        assert!(out.starts_with("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"));
        assert!(out.ends_with(std::str::from_utf8(req).unwrap()));
    }

    #[test]
    fn truncated_heads_and_bodies_end_quietly() {
        let (_dir, site) = site_dir();
        let (out, stats) = drive(&site, b"GET /a.txt HTTP/1.1\r\nHo");
        assert_eq!((out.as_str(), stats.requests), ("", 0));
        let echo = Site::new(Mode::Echo);
        let (out, _) = drive(
            &echo,
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab",
        );
        assert!(out.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{out}");
    }

    /// A cheap stand-in for a fuzzer: mutations of valid requests never panic and every answer
    /// is a well-formed status line.
    #[test]
    fn mutated_requests_never_panic() {
        let (_dir, site) = site_dir();
        let echo = Site::new(Mode::Echo);
        let seeds: [&[u8]; 4] = [
            b"GET /a.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=1-2\r\nIf-None-Match: \"a\"\r\n\r\n",
            b"POST /d HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
            b"GET /%2e%2e/d/?format=json HTTP/1.0\r\nAccept-Encoding: gzip\r\n\r\n",
            b"HEAD /big.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nzzGET / HTTP/1.1\r\nHost: y\r\n\r\n",
        ];
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for round in 0..3000 {
            let mut input = seeds[round % seeds.len()].to_vec();
            for _ in 0..(next() % 6) {
                if input.is_empty() {
                    break;
                }
                let at = (next() as usize) % input.len();
                match next() % 4 {
                    0 => input[at] = next() as u8,
                    1 => {
                        input.remove(at);
                    }
                    2 => input.insert(at, b"\r\n%./\\:- 0"[(next() % 10) as usize]),
                    _ => input.truncate(at.max(1)),
                }
            }
            for site in [&site, &echo] {
                let (out, _) = drive(site, &input);
                assert!(
                    out.is_empty() || out.starts_with("HTTP/1.1 "),
                    "{:?} gave {out:?}",
                    String::from_utf8_lossy(&input)
                );
            }
        }
    }

    #[test]
    fn log_escaping() {
        let mut out = Vec::new();
        escape_into(b"GET /a\"b\\c\x1b\n\xe6 HTTP/1.1", &mut out);
        assert_eq!(out, br#"GET /a\"b\\c\x1b\x0a\xe6 HTTP/1.1"#);
    }
}
