//! One load thread: an event loop (mio on epoll, edge-triggered) over its share of the
//! connections, and the state machine each connection runs through for every exchange —
//! waiting, sending the request, receiving the answer — until `-n` or the deadline ends it.

use std::io;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::Context;
use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};

use super::schedule::{Schedule, schedule_timer};
use super::socket::Socket;
use super::{Exchange, Feed, Shared};
use crate::bench::tally::{Failure, Tally};
use crate::net;

/// How often timeouts are checked (and so how late one may be noticed).
const SWEEP: Duration = Duration::from_millis(25);
/// Read buffer of each thread.
const READ_BUFFER: usize = 128 * 1024;
/// Most bytes a connection may carry between reads (an unfinished response head): beyond this a
/// response is bad. Half of the read buffer, so a read always has room.
const MAX_CARRY: usize = READ_BUFFER / 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Queued to start its next exchange.
    Waiting,
    /// The TLS handshake of a new connection.
    Handshaking,
    /// Writing the request.
    Sending,
    /// Reading the answer.
    Receiving,
    /// No more exchanges for this connection (`-n` used up).
    Finished,
}

/// One connection slot; its socket is replaced whenever an exchange needs a new connection.
struct Conn<S> {
    stream: Option<Socket>,
    phase: Phase,
    state: S,
    /// Request bytes written so far.
    sent: usize,
    /// When the exchange was due: its start in the closed loop, its slot in the schedule under
    /// `--rate`.
    due: Instant,
    started: Instant,
    /// The phases of this exchange (see `Tally::phases`): when its connect began (a new
    /// socket), when the request was all written (the connection was up by the first write),
    /// and when the first byte of the answer came.
    connecting: Option<Instant>,
    connected: Option<Instant>,
    /// When the TLS handshake finished (a new TLS connection).
    handshaken: Option<Instant>,
    sent_at: Option<Instant>,
    first_byte: Option<Instant>,
    deadline: Instant,
    /// Started after the warm-up: its result counts.
    counted: bool,
    /// Bytes received in this exchange; they count when it ends, so an exchange cut off at the
    /// deadline adds nothing anywhere.
    received: u64,
    /// Unfinished bytes kept for the next read (see [`Feed::More`]); empty almost always.
    carry: Vec<u8>,
}

/// One load thread.
struct Worker<'s, 'a, E: Exchange> {
    shared: &'s Shared<'a, E>,
    index: usize,
    poll: Poll,
    conns: Vec<Conn<E::State>>,
    /// Connections to start at the next turn of the loop (after a failure: starting them at
    /// once could spin on a refused connection without ever looking at the clock).
    restart: Vec<usize>,
    buf: Box<[u8]>,
    tally: Tally,
    /// Connections not yet finished.
    live: usize,
    /// This thread has told the others that something succeeded.
    told_ok: bool,
    /// `--rate`: this thread's schedule, and its connections free to take the next exchange.
    schedule: Option<Schedule>,
    idle: Vec<usize>,
    /// `-n` is used up: connections finish as they come free.
    exhausted: bool,
}

/// One thread's run: returns its tally and when it stopped.
pub(super) fn work<E: Exchange>(
    shared: &Shared<'_, E>,
    index: usize,
    connections: usize,
) -> anyhow::Result<(Tally, Instant)> {
    let poll = Poll::new().context("create an epoll instance")?;
    let timer = shared.plan.rate.and_then(|_| schedule_timer(&poll));
    let now = Instant::now();
    let mut worker = Worker {
        shared,
        index,
        poll,
        conns: (0..connections)
            .map(|_| Conn {
                stream: None,
                phase: Phase::Waiting,
                state: shared.exchange.state(),
                sent: 0,
                due: now,
                started: now,
                connecting: None,
                connected: None,
                handshaken: None,
                sent_at: None,
                first_byte: None,
                deadline: now,
                counted: false,
                received: 0,
                carry: Vec::new(),
            })
            .collect(),
        restart: Vec::new(),
        buf: vec![0; READ_BUFFER].into_boxed_slice(),
        tally: Tally::new(),
        live: connections,
        told_ok: false,
        schedule: shared.plan.rate.map(|rate| {
            let threads = shared.plan.threads as f64;
            // The threads' slots interleave: thread i starts i/rate after thread 0.
            let first = now + Duration::from_secs_f64(index as f64 / rate);
            Schedule::new(first, Duration::from_secs_f64(threads / rate), timer)
        }),
        idle: Vec::new(),
        exhausted: false,
    };
    if worker.schedule.is_some() {
        // Last in, first out: the same few connections carry the load while they can.
        worker.idle = (0..connections).rev().collect();
    } else {
        worker.restart = (0..connections).collect();
    }
    let cpu_at_start = thread_cpu_time();
    let mut events = Events::with_capacity(connections.clamp(16, 1024));
    let mut starting = Vec::with_capacity(connections);
    let mut next_sweep = now + SWEEP;
    loop {
        std::mem::swap(&mut starting, &mut worker.restart);
        let now = Instant::now();
        for index in starting.drain(..) {
            worker.start(index, now, now);
        }
        worker.start_due(now);
        worker.publish();
        let now = Instant::now();
        if shared.stopping() || worker.live == 0 || shared.end.is_some_and(|end| now >= end) {
            break;
        }
        if now >= next_sweep {
            worker.sweep(now);
            next_sweep = now + SWEEP;
        }
        let mut wake = next_sweep;
        if let Some(end) = shared.end {
            wake = wake.min(end);
        }
        if let Some(schedule) = &mut worker.schedule
            && !worker.idle.is_empty()
            && !schedule.arm(now)
        {
            wake = wake.min(schedule.next);
        }
        let wait = if worker.restart.is_empty() {
            wake.saturating_duration_since(now)
        } else {
            Duration::ZERO
        };
        match worker.poll.poll(&mut events, Some(wait)) {
            Ok(()) => {}
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(anyhow::Error::new(err).context("wait for socket events")),
        }
        for event in events.iter() {
            worker.on_event(event);
        }
    }
    worker.publish();
    let ended = Instant::now();
    if let (Some(schedule), Some(end)) = (&worker.schedule, shared.end) {
        // Slots that came due before the end with no connection free to take them.
        let from = schedule.next.max(shared.measure_from);
        if from < end {
            let missed = end.duration_since(from).as_secs_f64() / schedule.every.as_secs_f64();
            worker.tally.unsent += missed.ceil() as u64;
        }
    }
    let wall = ended.duration_since(now).as_secs_f64();
    if let (Some(before), Some(after)) = (cpu_at_start, thread_cpu_time())
        && wall > 0.0
    {
        worker.tally.busy = (after - before).as_secs_f64() / wall;
    }
    // Dropping the worker closes every socket; an exchange in flight at the deadline is
    // neither a success nor a failure.
    Ok((worker.tally, ended))
}

/// CPU time this thread has used (for whether the load threads were saturated).
fn thread_cpu_time() -> Option<Duration> {
    nix::time::clock_gettime(nix::time::ClockId::CLOCK_THREAD_CPUTIME_ID)
        .ok()
        .map(Duration::from)
}

impl<E: Exchange> Worker<'_, '_, E> {
    fn publish(&self) {
        let progress = &self.shared.progress[self.index];
        progress.ok.store(self.tally.ok, Ordering::Relaxed);
        progress
            .failed
            .store(self.tally.failed(), Ordering::Relaxed);
    }

    /// Under `--rate`: give every slot that has come due a free connection, as long as there
    /// is one (a slot that finds none waits, and its latency runs from when it was due).
    fn start_due(&mut self, now: Instant) {
        loop {
            let Some(schedule) = &mut self.schedule else {
                return;
            };
            if schedule.next > now || self.idle.is_empty() {
                return;
            }
            let due = schedule.next;
            schedule.next += schedule.every;
            let index = self.idle.pop().expect("checked");
            self.start(index, now, due);
        }
    }

    /// Begin the next exchange on connection `index`, on its open socket when it has one;
    /// `due` is when it was due (`now`, in the closed loop).
    fn start(&mut self, index: usize, now: Instant, due: Instant) {
        let shared = self.shared;
        let conn = &mut self.conns[index];
        if conn.phase == Phase::Finished {
            return;
        }
        let counted = due >= shared.measure_from;
        if shared.stopping() || self.exhausted || (counted && !shared.take_ticket()) {
            conn.stream = None;
            conn.phase = Phase::Finished;
            self.live -= 1;
            if self.schedule.is_some() {
                // -n is used up: the free connections finish too, the busy ones when they end.
                self.exhausted = true;
                for index in std::mem::take(&mut self.idle) {
                    self.conns[index].stream = None;
                    self.conns[index].phase = Phase::Finished;
                    self.live -= 1;
                }
            }
            return;
        }
        conn.counted = counted;
        conn.due = due;
        conn.started = now;
        conn.connecting = None;
        conn.connected = None;
        conn.handshaken = None;
        conn.sent_at = None;
        conn.first_byte = None;
        conn.deadline = now + shared.plan.timeout;
        conn.sent = 0;
        conn.received = 0;
        conn.carry.clear();
        shared.exchange.begin(&mut conn.state);
        if conn.stream.is_none() {
            conn.connecting = Some(now);
            self.tally.connections_used += 1;
            match self.connect(index) {
                Ok(stream) => self.conns[index].stream = Some(stream),
                Err(err) => return self.fail(index, Failure::of(&err), || net::error_text(&err)),
            }
        }
        let conn = &mut self.conns[index];
        if conn.connecting.is_some() && self.shared.plan.tls.is_some() {
            conn.phase = Phase::Handshaking;
            return self.handshake(index);
        }
        self.request(index, now);
    }

    /// The connection is ready for the request: send it (or, with nothing to send, wait for
    /// the answer).
    fn request(&mut self, index: usize, now: Instant) {
        let conn = &mut self.conns[index];
        if self.shared.exchange.request(&conn.state).is_empty() {
            // Nothing to send: the first byte is timed from the start.
            conn.sent_at = Some(now);
            conn.phase = Phase::Receiving;
            if conn.handshaken.is_some() {
                // The server may have spoken already, in the records that ended the handshake.
                self.receive(index, false, false);
            }
        } else {
            conn.phase = Phase::Sending;
            // Try at once: on loopback a fresh connection is usually established already, and
            // a kept-alive one always is. If not, the writable event finishes the job.
            self.send(index);
        }
    }

    /// One step of a new connection's TLS handshake; the request follows when it is done.
    fn handshake(&mut self, index: usize) {
        let conn = &mut self.conns[index];
        let Some(socket) = conn.stream.as_mut() else {
            return;
        };
        let going = socket.handshake();
        let now = Instant::now();
        if conn.connected.is_none() && socket.hello_sent() && going.is_ok() {
            conn.connected = Some(now);
        }
        match going {
            Ok(true) => {}
            Ok(false) => {
                conn.handshaken = Some(now);
                if socket.resumed() && conn.counted {
                    self.tally.resumed += 1;
                }
                self.request(index, now);
            }
            Err(err) => {
                let tls = self.shared.plan.tls.as_ref().expect("a TLS run");
                self.fail(index, Failure::of(&err), || tls.explain(&err));
            }
        }
    }

    fn connect(&self, index: usize) -> io::Result<Socket> {
        let plan = self.shared.plan;
        let mut stream = TcpStream::connect(plan.addr)?;
        // TLS too: a session writes its records one by one, and Nagle would hold the second
        // (say, Finished after ChangeCipherSpec) for the server's delayed ACK, 40 ms.
        if plan.nodelay || plan.tls.is_some() {
            stream.set_nodelay(true)?;
        }
        // A handshake writes whatever the request is.
        let interest = if plan.tls.is_none() && self.shared.exchange.sends_nothing() {
            Interest::READABLE
        } else {
            Interest::READABLE | Interest::WRITABLE
        };
        // Registered once for the socket's life, edge-triggered; closing the socket removes it
        // from the epoll set, so it is never deregistered by hand.
        self.poll
            .registry()
            .register(&mut stream, Token(index), interest)?;
        Socket::new(stream, plan.tls.as_ref())
    }

    fn on_event(&mut self, event: &mio::event::Event) {
        let index = event.token().0;
        let Some(conn) = self.conns.get(index) else {
            return;
        };
        // An error or hang-up shows on both sides: the next read or write reports what it was.
        let error = event.is_error();
        let closed = event.is_read_closed() && !error;
        if conn.phase == Phase::Handshaking {
            self.handshake(index);
        }
        if self.conns[index].phase == Phase::Sending && (event.is_writable() || error || closed) {
            self.send(index);
        }
        if self.conns[index].phase == Phase::Receiving && (event.is_readable() || error || closed) {
            self.receive(index, closed, error);
        }
    }

    /// Write what is left of the request.
    fn send(&mut self, index: usize) {
        let exchange = self.shared.exchange;
        let conn = &mut self.conns[index];
        let request = exchange.request(&conn.state);
        let Some(socket) = conn.stream.as_mut() else {
            return;
        };
        let before = conn.sent;
        let done = socket.send(request, &mut conn.sent);
        if before == 0 && conn.sent > 0 && conn.connected.is_none() && conn.connecting.is_some() {
            conn.connected = Some(Instant::now());
        }
        match done {
            Ok(false) => {}
            Ok(true) => {
                conn.sent_at = Some(Instant::now());
                if exchange.half_close()
                    && let Err(err) = socket.shutdown_write()
                {
                    return self.fail(index, Failure::of(&err), || net::error_text(&err));
                }
                conn.phase = Phase::Receiving;
            }
            Err(err) if err.kind() == io::ErrorKind::WriteZero => {
                self.fail(index, Failure::Reset, || "the connection closed".into());
            }
            Err(err) => self.fail(index, Failure::of(&err), || net::error_text(&err)),
        }
    }

    /// Read until the answer is complete or the socket is drained (edge-triggered: an event
    /// comes again only for bytes that arrive after this). `closed`: the event said the peer
    /// had closed its side; `error`: it said the socket has an error to report.
    fn receive(&mut self, index: usize, closed: bool, error: bool) {
        let exchange = self.shared.exchange;
        loop {
            let Worker { conns, buf, .. } = self;
            let conn = &mut conns[index];
            let Some(stream) = conn.stream.as_mut() else {
                return;
            };
            // A short plain read emptied the socket; a TLS one says nothing of the socket.
            let plain = !stream.is_tls();
            let carried = conn.carry.len();
            buf[..carried].copy_from_slice(&conn.carry);
            let room = buf.len() - carried;
            match stream.read(&mut buf[carried..]) {
                Ok(0) => return self.end_of_file(index),
                Ok(n) => {
                    if conn.first_byte.is_none() {
                        conn.first_byte = Some(Instant::now());
                    }
                    conn.received += n as u64;
                    let data = &buf[..carried + n];
                    match exchange.feed(&mut conn.state, data) {
                        Feed::More { consumed } => {
                            conn.carry.clear();
                            conn.carry
                                .extend_from_slice(&data[consumed.min(data.len())..]);
                            if conn.carry.len() > MAX_CARRY {
                                return self.fail(index, Failure::BadResponse, || {
                                    format!("a response head longer than {MAX_CARRY} bytes")
                                });
                            }
                            // A short read emptied the socket. If the peer had closed before
                            // the event, the end of file is next: no need to read it (a
                            // connection per exchange saves a system call that way). An error
                            // still has to be read to be known.
                            if plain && n < room && !error {
                                if closed {
                                    self.end_of_file(index);
                                }
                                return;
                            }
                        }
                        Feed::Done { reuse } => return self.complete(index, reuse),
                        Feed::Failed(kind) => return self.fail(index, kind, || describe(kind)),
                    }
                }
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => return,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return self.fail(index, Failure::of(&err), || net::error_text(&err)),
            }
        }
    }

    /// The server closed its side: whether that completes the exchange is the exchange's call.
    fn end_of_file(&mut self, index: usize) {
        let conn = &mut self.conns[index];
        match self.shared.exchange.eof(&mut conn.state) {
            Ok(()) => self.complete(index, false),
            Err(kind) => self.fail(index, kind, || describe(kind)),
        }
    }

    /// The exchange succeeded: count it and start the next one.
    fn complete(&mut self, index: usize, reuse: bool) {
        let now = Instant::now();
        let exchange = self.shared.exchange;
        let conn = &mut self.conns[index];
        if conn.counted {
            self.tally.bytes += conn.received;
            let micros = |from: Instant| {
                u64::try_from(now.duration_since(from).as_micros()).unwrap_or(u64::MAX)
            };
            let sent = self.schedule.is_some().then(|| micros(conn.started));
            let span = |from: Option<Instant>, to: Option<Instant>| match (from, to) {
                (Some(from), Some(to)) => {
                    u64::try_from(to.saturating_duration_since(from).as_micros()).ok()
                }
                _ => None,
            };
            self.tally.phases(
                span(conn.connecting, conn.connected),
                span(conn.connected, conn.handshaken),
                span(conn.sent_at, conn.first_byte),
                span(conn.first_byte, Some(now)),
            );
            let status = exchange.status(&conn.state);
            self.tally.complete(micros(conn.due), sent, status, now);
            if let Some(request) = exchange.request_index(&conn.state) {
                self.tally.request_complete(request, status);
            }
            let second = now
                .saturating_duration_since(self.shared.measure_from)
                .as_secs();
            self.tally.second(second, micros(conn.due));
        }
        if !self.told_ok {
            self.told_ok = true;
            self.shared.any_ok.store(true, Ordering::Relaxed);
        }
        if !(reuse && exchange.keepalive()) {
            conn.stream = None;
        }
        conn.phase = Phase::Waiting;
        if self.schedule.is_some() {
            self.free(index);
        } else {
            self.start(index, now, now);
        }
    }

    /// Under `--rate`: connection `index` is free for the next slot (or finishes, past `-n`).
    fn free(&mut self, index: usize) {
        if self.exhausted {
            self.conns[index].stream = None;
            self.conns[index].phase = Phase::Finished;
            self.live -= 1;
        } else {
            self.idle.push(index);
        }
    }

    /// The exchange failed: count it, drop the connection, and queue a new start.
    fn fail(&mut self, index: usize, kind: Failure, detail: impl FnOnce() -> String) {
        let now = Instant::now();
        let shared = self.shared;
        let conn = &mut self.conns[index];
        if conn.counted {
            self.tally.bytes += conn.received;
            self.tally.fail(kind, detail, now);
            if let Some(request) = shared.exchange.request_index(&conn.state) {
                self.tally.request_fail(request, kind);
            }
        }
        conn.stream = None;
        conn.phase = Phase::Waiting;
        if self.schedule.is_some() {
            // The schedule paces the next try: no spinning on a refused connection.
            self.free(index);
        } else {
            self.restart.push(index);
        }
        // Nothing listening: once every connection has been refused and nothing ever
        // succeeded, retrying for the rest of the run would only spin.
        if kind == Failure::Refused
            && !shared.any_ok.load(Ordering::Relaxed)
            && shared.refused.fetch_add(1, Ordering::Relaxed) + 1
                >= u64::from(shared.plan.connections)
        {
            shared.stop.store(true, Ordering::Relaxed);
        }
    }

    /// Fail every exchange that has run past `--timeout`.
    fn sweep(&mut self, now: Instant) {
        let timeout = self.shared.plan.timeout;
        for index in 0..self.conns.len() {
            let conn = &self.conns[index];
            if matches!(
                conn.phase,
                Phase::Handshaking | Phase::Sending | Phase::Receiving
            ) && now >= conn.deadline
            {
                self.fail(index, Failure::Timeout, || {
                    crate::net::failure::timed_out(timeout, "--timeout")
                });
            }
        }
    }
}

/// The first-failure message for a kind the exchange (not the socket) decided.
fn describe(kind: Failure) -> String {
    match kind {
        Failure::ClosedEarly => "the server closed the connection before the answer was complete",
        Failure::ExpectMismatch => "the bytes received differ from --expect",
        Failure::BadResponse => "the server's answer is not a valid HTTP response",
        _ => kind.name(),
    }
    .to_string()
}
