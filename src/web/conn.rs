//! One connection, start to end: read heads (with the head deadline and the keep-alive idle
//! timeout), answer them in order (pipelining falls out of the input buffer), read, skip or
//! drain bodies, write one access-log line per request, and close cleanly (the lingering close).
//!
//! [`handle`] is generic over [`Transport`]: a [`crate::net::Stream`] in the server, a [`Duplex`] of bytes
//! in tests and fuzzers. The same state machine runs on an event loop ([`step_inline`]) and on
//! a connection's own thread ([`serve_blocking`]); where it runs is a `Place`, and
//! `Conn::step` is the one place that looks at it: work that could wait on the client or the
//! disk ([`Heavy`]) is not done on an event loop but handed back as [`Step::NeedsThread`].

use std::io;
use std::time::{Duration, Instant};

use super::access_log::{self, request_line};
use super::body::BodyReader;
// Named here for SECURITY.md's test (through `crate::fuzzing`).
#[cfg(feature = "fuzzing")]
pub use super::body::DISCARD_LIMIT;
use super::handlers::{Change, Ctx, Format, Framing, Route, changes, echo, format_of};
use super::input::Input;
use super::request::{self, Body, Reject, Request};
pub use super::response::Scratch;
use super::response::{self, Answer, Reply};
#[cfg(any(test, feature = "fuzzing"))]
pub use super::transport::Duplex;
use super::transport::Wire;
use super::{Mode, Site};
pub use crate::net::Transport;
use crate::net::is_timeout;

/// After answering a request whose rest was not read, keep reading (and discarding) this long
/// at most before closing, so the client sees the answer rather than a reset.
pub const LINGER_TIME: Duration = Duration::from_secs(2);
/// … and this many bytes at most.
pub const LINGER_BYTES: u64 = 16 * 1024 * 1024;

/// What one connection did, for the server's summary.
#[derive(Debug, Default, Clone, Copy)]
pub struct ConnStats {
    pub requests: u64,
    pub bytes_in: u64,
    pub bytes_out: u64,
}

/// Serve one connection until it closes, times out, errs, or `stop()` turns true (the request
/// in progress is answered first, with `Connection: close`). `peer` is only for the log.
///
/// Tests and fuzzers only: the server hands connections between event loops and threads
/// ([`serve_blocking`] with `After::Return`) instead.
#[cfg(any(test, feature = "fuzzing"))]
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
    pub fn read_from(&mut self, stream: &mut impl io::Read, site: &Site) -> io::Result<usize> {
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
    /// Only on an event loop: the request at the front needs work that could wait (see
    /// [`Heavy`]); nothing of it was answered.
    NeedsThread(Heavy),
}

/// What [`serve_blocking`] does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum After {
    /// Serve until the connection ends (only [`handle`] does).
    #[cfg(any(test, feature = "fuzzing"))]
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
    let mut conn = Conn::new(
        stream,
        site,
        peer,
        Scratch::new(),
        session.stats,
        Place::Thread,
    );
    conn.wire.set_timeout(site.header_timeout);
    if after == After::Linger {
        conn.linger(&mut session.input);
        session.stats = conn.wire.stats;
        return Ended::Closed;
    }
    loop {
        match conn.step(session, stop) {
            Step::Answered if after == After::Return && session.input.is_empty() => {
                session.stats = conn.wire.stats;
                return Ended::Idle;
            }
            Step::Answered => continue,
            Step::Close | Step::NeedsThread(_) => break,
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
                Some(left) if !left.is_zero() => conn.wire.shrink_timeout(left),
                _ => {
                    conn.timed_out(&session.input);
                    break;
                }
            },
            None => conn.wire.set_timeout(site.keepalive_timeout),
        }
        match conn.wire.fill(&mut session.input) {
            Ok(0) => break,
            Ok(_) => {}
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
    session.stats = conn.wire.stats;
    Ended::Closed
}

/// For an event loop: answer the requests at the front of the input on a non-blocking stream
/// that never fails a write for want of room (it keeps the rest), one at a time. Returns
/// [`Step::NeedsThread`] rather than wait on the client for anything.
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

/// Run `work` on an event loop's [`Conn`] made of the session's counts and the lent buffers.
fn inline<S: Transport, R>(
    stream: &mut S,
    peer: &str,
    site: &Site,
    session: &mut Session,
    scratch: &mut Scratch,
    work: impl FnOnce(&mut Conn<'_, S>, &mut Session) -> R,
) -> R {
    let lent = std::mem::take(scratch);
    let mut conn = Conn::new(stream, site, peer, lent, session.stats, Place::EventLoop);
    let result = work(&mut conn, session);
    session.stats = conn.wire.stats;
    *scratch = conn.bufs;
    result
}

/// Work that could wait on the client or the disk for long, so never runs on an event loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heavy {
    /// A malformed head: answered, then what the client still sends is drained.
    Malformed,
    /// A request body to read or skip.
    Body,
    /// A directory to read for a listing.
    Listing,
    /// A body over [`SMALL_FILE`](super::files::SMALL_FILE) to send (a file with sendfile).
    LargeBody,
}

/// Where a connection is being served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// On an event loop, with a non-blocking socket: nothing [`Heavy`] may happen here.
    EventLoop,
    /// On a thread of its own, with a blocking socket and timeouts.
    Thread,
}

/// What the connection loop needs from a request after its bytes are gone.
#[derive(Debug, Clone, Copy)]
struct Meta {
    head_len: usize,
    body: Body,
    expect_continue: bool,
    format: Format,
    framing: Framing,
}

impl Meta {
    fn of(req: &Request<'_, '_>, site: &Site, stopping: bool) -> Meta {
        Meta {
            head_len: req.head_len,
            body: req.body,
            expect_continue: req.expect_continue,
            format: format_of(req),
            framing: Framing::of(req, site, stopping),
        }
    }
}

/// What the request at the front of the input asks for, known before a byte of the answer is
/// written.
enum Work<'h, 'b, 's> {
    /// The head is malformed: refuse it.
    Malformed(Reject),
    /// The request has a body, to read (echo) or skip; nothing is routed yet.
    WithBody(Request<'h, 'b>),
    /// The request changes the served directory (an upload, a deletion).
    Change(Request<'h, 'b>),
    /// Routed, the answer built and not yet sent.
    Routed(Meta, io::Result<Route<'s>>),
}

impl Work<'_, '_, '_> {
    fn heavy(&self) -> Option<Heavy> {
        match self {
            Work::Malformed(_) => Some(Heavy::Malformed),
            Work::WithBody(_) | Work::Change(_) => Some(Heavy::Body),
            Work::Routed(_, Ok(Route::Listing { .. })) => Some(Heavy::Listing),
            Work::Routed(_, Ok(Route::Answer(answer))) if answer.payload.is_large() => {
                Some(Heavy::LargeBody)
            }
            Work::Routed(..) => None,
        }
    }
}

struct Conn<'a, S> {
    wire: Wire<'a, S>,
    site: &'a Site,
    peer: &'a str,
    bufs: Scratch,
    logging: bool,
    place: Place,
}

impl<'a, S: Transport> Conn<'a, S> {
    fn new(
        stream: &'a mut S,
        site: &'a Site,
        peer: &'a str,
        bufs: Scratch,
        stats: ConnStats,
        place: Place,
    ) -> Self {
        Conn {
            wire: Wire::new(stream, stats),
            site,
            peer,
            bufs,
            logging: crate::log::enabled(),
            place,
        }
    }

    fn ctx(&mut self, framing: Framing) -> Ctx<'_, 'a> {
        Ctx {
            site: self.site,
            peer: self.peer,
            bufs: &mut self.bufs,
            framing,
        }
    }

    /// Answer the request at the front of the input, if its head is complete.
    fn step(&mut self, session: &mut Session, stop: &dyn Fn() -> bool) -> Step {
        let input = &mut session.input;
        let mut storage = request::header_storage();
        let parsed = input.head(&mut storage);
        let began = self.logging.then(Instant::now);
        let work = match parsed {
            Ok(None) => return Step::NeedInput,
            Err(reject) => Work::Malformed(reject),
            Ok(Some(req)) if changes(&req, self.site) => Work::Change(req),
            Ok(Some(req)) if req.body != Body::None => Work::WithBody(req),
            Ok(Some(req)) => {
                let meta = Meta::of(&req, self.site, stop());
                let head = &input.filled()[..meta.head_len];
                Work::Routed(meta, self.ctx(meta.framing).route(&req, head))
            }
        };
        // The one place that decides where work runs.
        if self.place == Place::EventLoop
            && let Some(heavy) = work.heavy()
        {
            return Step::NeedsThread(heavy);
        }
        match work {
            Work::Malformed(reject) => {
                let answer = self.ctx(Framing::UNPARSED).short(reject.status, &[]);
                let reply = self.send(answer);
                self.log(request_line(input.filled()), &reply, began);
                if reply.is_ok() {
                    Step::Linger
                } else {
                    Step::Close
                }
            }
            Work::Routed(meta, route) => self.answer(session, meta, route, began),
            Work::Change(req) => {
                let stopping = stop();
                let meta = Meta::of(&req, self.site, stopping);
                let keep_after_body = req.keep_alive && self.site.keep_alive && !stopping;
                let change = Change::of(&req, self.site, self.peer, keep_after_body);
                let line = request_line(&input.filled()[..meta.head_len]).to_vec();
                input.consume(meta.head_len);
                let (reply, body_read) = self.change(input, &change, meta);
                self.log(&line, &reply, began);
                self.after(session, meta, reply, body_read)
            }
            Work::WithBody(req) => {
                let meta = Meta::of(&req, self.site, stop());
                if !matches!(self.site.mode, Mode::Echo) {
                    let head = &input.filled()[..meta.head_len];
                    let route = self.ctx(meta.framing).route(&req, head);
                    return self.answer(session, meta, route, began);
                }
                let head = input.filled()[..meta.head_len].to_vec();
                input.consume(meta.head_len);
                let reply = self.echo_with_body(input, &head, meta);
                self.log(request_line(&head), &reply, began);
                self.after(session, meta, reply, true)
            }
        }
    }

    /// Send a routed answer, log it, and go on past its head.
    fn answer(
        &mut self,
        session: &mut Session,
        meta: Meta,
        route: io::Result<Route<'a>>,
        began: Option<Instant>,
    ) -> Step {
        let reply = route.and_then(|route| {
            let answer = match route {
                Route::Answer(answer) => answer,
                Route::Listing { root, format, sort } => {
                    self.ctx(meta.framing).listing(root, format, sort)
                }
            };
            self.send(answer)
        });
        self.log(request_line(session.input.filled()), &reply, began);
        session.input.consume(meta.head_len);
        self.after(session, meta, reply, false)
    }

    /// A change to the served directory: its body (if any) streams where the handler puts it.
    fn change(
        &mut self,
        input: &mut Input,
        change: &Change,
        meta: Meta,
    ) -> (io::Result<Reply>, bool) {
        let Mode::Dir(root) = &self.site.mode else {
            unreachable!("only a directory is changed (handlers::changes)")
        };
        let mut reader = BodyReader {
            wire: &mut self.wire,
            input,
            timeout: self.site.header_timeout,
        };
        let mut ctx = Ctx {
            site: self.site,
            peer: self.peer,
            bufs: &mut self.bufs,
            framing: meta.framing,
        };
        match ctx.change(change, root, &mut reader) {
            Ok(changed) => (self.send(changed.answer), changed.body_read),
            Err(err) => (Err(err), false),
        }
    }

    /// `--echo` with a body: read it (bounded), answer with the request.
    fn echo_with_body(&mut self, input: &mut Input, head: &[u8], meta: Meta) -> io::Result<Reply> {
        self.bufs.scratch.clear();
        let mut reader = BodyReader {
            wire: &mut self.wire,
            input,
            timeout: self.site.header_timeout,
        };
        let expect_continue = meta.expect_continue && meta.framing.minor == 1;
        let read = reader.read(
            meta.body,
            echo::MAX_BODY,
            expect_continue,
            &mut self.bufs.scratch,
        )?;
        let answer = match read {
            Ok(()) => self.ctx(meta.framing).echo(head, meta.format),
            Err(reject) => {
                let framing = Framing {
                    keep: false,
                    ..meta.framing
                };
                self.ctx(framing).short(reject.status, &[])
            }
        };
        self.send(answer)
    }

    /// After an answer: close, linger, or skip what is left of the body and wait for the next.
    fn after(
        &mut self,
        session: &mut Session,
        meta: Meta,
        reply: io::Result<Reply>,
        body_read: bool,
    ) -> Step {
        self.wire.stats.requests += 1;
        let Ok(reply) = reply else {
            return Step::Close;
        };
        let input = &mut session.input;
        if reply.close {
            let unread_body = meta.body != Body::None && !body_read;
            if reply.linger || unread_body || !input.is_empty() {
                return Step::Linger;
            }
            return Step::Close;
        }
        if let (Body::Length(n), false) = (meta.body, body_read) {
            let mut reader = BodyReader {
                wire: &mut self.wire,
                input,
                timeout: self.site.header_timeout,
            };
            if reader.skip(n).is_err() {
                return Step::Close;
            }
        }
        // The next head, if part of it came already, has header_timeout from now.
        session.deadline = None;
        session.arm_deadline(self.site);
        Step::Answered
    }

    fn send(&mut self, answer: Answer<'_>) -> io::Result<Reply> {
        response::send(&mut self.wire, &self.bufs, answer)
    }

    fn log(&mut self, line: &[u8], reply: &io::Result<Reply>, began: Option<Instant>) {
        access_log::write(&mut self.bufs.log, self.peer, line, reply, began);
    }

    /// The head deadline passed: 408 if part of a head came, else just close.
    fn timed_out(&mut self, input: &Input) {
        if input.is_empty() {
            return;
        }
        let began = self.logging.then(Instant::now);
        let answer = self.ctx(Framing::UNPARSED).short(408, &[]);
        let reply = self.send(answer);
        self.log(request_line(input.filled()), &reply, began);
    }

    /// The answer is out and the connection is closing with bytes from the client maybe still
    /// coming: send FIN, then read and discard (bounded) so the close does not become a reset
    /// that destroys the answer before the client reads it.
    fn linger(&mut self, input: &mut Input) {
        if self.wire.stream.flush().is_err() || self.wire.stream.shutdown_write().is_err() {
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
            self.wire.shrink_timeout(left);
            input.clear();
            match self.wire.fill(input) {
                Ok(0) => return,
                Ok(n) => drained += n as u64,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return,
            }
        }
    }
}
