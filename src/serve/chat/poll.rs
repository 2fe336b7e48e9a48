//! `--chat --model poll`: one thread, every socket non-blocking on epoll (through mio,
//! edge-triggered, as `serve/poll/` is). A readable client's bytes go through the room into the
//! others' queues; each queue that was empty is then written until its socket would block, and
//! a client whose socket stays full fills its queue and is dropped. Nobody's write ever waits.
//! Over `--tls` the handshake is the first step, bounded by `--tls-handshake-timeout`.

use std::io::{self, IoSlice, Read, Write};
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token, Waker};
use slab::Slab;

use super::Limits;
use super::hub::{LineBuf, Pressure, Queue, Room};
use crate::net::{Listener, Listeners, Peer, Stream, Transport as _};
use crate::serve::{Admission, Context, accept_failed, starved};

const WAKER: Token = Token(usize::MAX);
const LISTENER: Token = Token(usize::MAX - 1);
/// Connections accepted per turn before the clients get theirs.
const ACCEPT_BATCH: usize = 128;
/// Reads per client per turn, so one busy sender cannot starve the rest.
const READS: usize = 8;
const READ: usize = 64 * 1024;
/// How long held-back senders wait before looking again whether a queue stalled.
const HELD: Duration = Duration::from_millis(10);
/// Chunks handed to one `writev`.
const IOV: usize = 64;

struct Conn {
    stream: Stream,
    peer: Peer,
    lines: LineBuf,
    /// A TLS handshake is under way (since `arrived`): not in the room yet.
    shaking: bool,
    arrived: Instant,
    /// In the `again` list already.
    queued: bool,
}

struct Loop {
    ctx: &'static Context,
    limits: Limits,
    poll: Poll,
    conns: Slab<Conn>,
    room: Room<Queue>,
    pressure: Arc<Pressure>,
    /// Clients that used up their reads with bytes perhaps left: edge-triggered epoll will
    /// not report them again, so they are read again before the next wait.
    again: Vec<usize>,
    buf: Box<[u8]>,
}

pub fn serve(ctx: &'static Context, listener: Listeners, limits: Limits) -> anyhow::Result<()> {
    let poll = Poll::new().context("create epoll instance")?;
    let waker = Arc::new(Waker::new(poll.registry(), WAKER).context("create epoll waker")?);
    listener.set_nonblocking(true)?;
    for one in listener.iter() {
        poll.registry().register(
            &mut SourceFd(&one.as_raw_fd()),
            LISTENER,
            Interest::READABLE,
        )?;
    }
    for shutdown in [&ctx.stop, &ctx.signals] {
        let waker = Arc::clone(&waker);
        shutdown.on_trigger(move || {
            let _ = waker.wake();
        });
    }
    let mut event_loop = Loop {
        ctx,
        limits,
        poll,
        conns: Slab::new(),
        room: Room::new(limits.max_line),
        pressure: Arc::default(),
        again: Vec::new(),
        buf: vec![0u8; READ].into_boxed_slice(),
    };
    ctx.ready();
    event_loop.run(listener)
}

impl Loop {
    fn run(&mut self, listener: Listeners) -> anyhow::Result<()> {
        let ctx = self.ctx;
        let mut listener = Some(listener);
        let mut events = Events::with_capacity(1024);
        let mut backlog = false;
        loop {
            if ctx.stop.requested() {
                if let Some(listener) = listener.take() {
                    for one in listener.iter() {
                        let _ = self.forget(one);
                    }
                    backlog = false;
                }
                if ctx.signals.requested() {
                    self.stop_all();
                    return Ok(());
                }
                if self.conns.is_empty() {
                    return Ok(());
                }
            }
            let timeout = if backlog {
                Some(Duration::ZERO)
            } else if !self.again.is_empty() {
                // Senders held back wait for writes to make room, or for a queue to stall.
                Some(if self.held_back() {
                    HELD
                } else {
                    Duration::ZERO
                })
            } else if self.ctx.tls.is_some() && !self.conns.is_empty() {
                // Handshakes that take too long are swept out.
                Some(Duration::from_millis(250))
            } else {
                None
            };
            match self.poll.poll(&mut events, timeout) {
                Ok(()) => {}
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(anyhow::Error::new(err).context("epoll wait")),
            }
            for event in events.iter() {
                match event.token() {
                    WAKER => {}
                    LISTENER => backlog = true,
                    Token(key) => {
                        let read = event.is_readable() || event.is_read_closed();
                        self.ready(key, read || event.is_error(), event.is_writable());
                    }
                }
            }
            for key in std::mem::take(&mut self.again) {
                if let Some(conn) = self.conns.get_mut(key) {
                    conn.queued = false;
                    self.read(key);
                }
            }
            self.deliver();
            if backlog && let Some(listener) = listener.as_ref() {
                let mut more = false;
                for one in listener.iter() {
                    more |= self.accept_ready(one)?;
                }
                backlog = more;
                self.deliver();
            }
            if self.ctx.tls.is_some() {
                self.sweep_handshakes();
            }
        }
    }

    /// Write to every client whose queue has new bytes; close whoever the room dropped.
    fn deliver(&mut self) {
        while !self.room.touched.is_empty() {
            for key in std::mem::take(&mut self.room.touched) {
                self.flush(key);
            }
        }
        for (key, name, _) in self.room.take_dropped() {
            crate::info!("netlab serve: dropped {name}: not reading (--chat-queue)");
            self.close(key);
        }
    }

    /// Accept a batch; whether the backlog may still hold connections.
    fn accept_ready(&mut self, listener: &Listener) -> anyhow::Result<bool> {
        for _ in 0..ACCEPT_BATCH {
            match listener.accept() {
                Ok((stream, peer)) => self.admit(stream, peer),
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(err) => {
                    let starved = starved(&err);
                    accept_failed(err, &self.ctx.stop)?;
                    if starved {
                        return Ok(true);
                    }
                }
            }
            if self.ctx.stop.requested() {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn admit(&mut self, stream: Stream, peer: Peer) {
        let ctx = self.ctx;
        if ctx.admit(self.conns.len() < ctx.max_conns, &stream, &peer) != Admission::Serve {
            return;
        }
        let (stream, shaking) = match (&ctx.tls, stream) {
            (Some(tls), Stream::Tcp(socket)) => match tls.accept(socket) {
                Ok(secure) => (secure, true),
                Err(err) => return crate::warn!("{peer}: TLS: {err}"),
            },
            (_, stream) => (stream, false),
        };
        if let Err(err) = stream.set_nonblocking(true) {
            return ctx.report(&err, &peer);
        }
        let place = self.conns.vacant_entry();
        let key = place.key();
        // Registering reports what is ready already, so the first edge is not missed.
        let added = self.poll.registry().register(
            &mut SourceFd(&stream.as_raw_fd()),
            Token(key),
            Interest::READABLE | Interest::WRITABLE,
        );
        if let Err(err) = added {
            return crate::warn!("{peer}: epoll: {err}");
        }
        place.insert(Conn {
            stream,
            peer,
            lines: LineBuf::default(),
            shaking,
            arrived: Instant::now(),
            queued: false,
        });
        if !shaking {
            self.room.join(
                key,
                &super::name_of(&peer),
                Queue::new(self.limits.queue, &self.pressure),
            );
        }
    }

    /// epoll says a client can be read from or written to.
    fn ready(&mut self, key: usize, readable: bool, writable: bool) {
        let Some(conn) = self.conns.get_mut(key) else {
            return; // closed earlier in this batch of events
        };
        if conn.shaking {
            match conn.stream.advance_handshake() {
                Ok(true) => return,
                Ok(false) => {
                    conn.shaking = false;
                    self.ctx.shook_hands(&conn.stream, &conn.peer);
                    let name = super::name_of(&conn.peer);
                    self.room
                        .join(key, &name, Queue::new(self.limits.queue, &self.pressure));
                    // Bytes may have come with the last handshake flight.
                    return self.read(key);
                }
                Err(err) => {
                    if let Some(tls) = &self.ctx.tls {
                        self.ctx.tls_failed(&err, &conn.peer, tls.handshake_timeout);
                    }
                    return self.close(key);
                }
            }
        }
        // Over TLS a read may need the socket's room, and a write its bytes.
        let tls = conn.stream.tls().is_some();
        if writable || tls {
            self.flush(key);
        }
        if readable || tls {
            self.read(key);
        }
    }

    /// Read what a client sent, a bounded number of times, into the room.
    fn read(&mut self, key: usize) {
        let ctx = self.ctx;
        for _ in 0..READS {
            if self.held_back() {
                break;
            }
            let Some(conn) = self.conns.get_mut(key) else {
                return;
            };
            match (&conn.stream).read(&mut self.buf) {
                Ok(0) => return self.leave(key),
                Ok(n) => {
                    ctx.stats.add_in(n);
                    self.room.receive(key, &mut conn.lines, &self.buf[..n]);
                }
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => return,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => {
                    ctx.report(&err, &conn.peer);
                    return self.leave(key);
                }
            }
        }
        if let Some(conn) = self.conns.get_mut(key)
            && !conn.queued
        {
            conn.queued = true;
            self.again.push(key);
        }
    }

    /// Whether reading must wait: a client that reads has a queue over its quarter (see
    /// [`STALL`](super::hub::STALL)).
    fn held_back(&self) -> bool {
        self.pressure.any() && self.room.holding_back(Instant::now())
    }

    /// Write a client's queue until it is empty or the socket is full.
    fn flush(&mut self, key: usize) {
        let (Some(conn), Some(queue)) = (self.conns.get(key), self.room.outbox(key)) else {
            return;
        };
        if let Err(err) = write_queue(&conn.stream, queue, self.ctx) {
            self.ctx.report(&err, &conn.peer);
            self.leave(key);
        }
    }

    /// A client has gone (or failed): out of the room, what is queued sent as far as it goes
    /// at once, and closed.
    fn leave(&mut self, key: usize) {
        let Some(conn) = self.conns.get_mut(key) else {
            return;
        };
        if let Some(mut queue) = self.room.leave(key, &mut conn.lines) {
            let _ = write_queue(&conn.stream, &mut queue, self.ctx);
        }
        self.close(key);
    }

    /// Forget a connection (its room membership has ended already).
    fn close(&mut self, key: usize) {
        if let Some(conn) = self.conns.try_remove(key) {
            let _ = self.forget(&conn.stream);
        }
    }

    /// Ctrl-C or SIGTERM: everyone is told, gets what fits in its socket now, and is closed.
    fn stop_all(&mut self) {
        for (key, mut queue) in self.room.close_all("* server stopping\n") {
            if let Some(conn) = self.conns.get(key) {
                let _ = write_queue(&conn.stream, &mut queue, self.ctx);
                let _ = conn.stream.shutdown(std::net::Shutdown::Write);
            }
        }
        for (_, conn) in self.conns.iter() {
            let _ = self.forget(&conn.stream);
        }
        self.conns.clear();
    }

    /// Close the clients whose TLS handshake has taken longer than `--tls-handshake-timeout`.
    fn sweep_handshakes(&mut self) {
        let Some(tls) = &self.ctx.tls else {
            return;
        };
        let now = Instant::now();
        let late: Vec<usize> = self
            .conns
            .iter()
            .filter(|(_, c)| c.shaking && now.duration_since(c.arrived) >= tls.handshake_timeout)
            .map(|(key, _)| key)
            .collect();
        for key in late {
            let timeout = io::Error::from(io::ErrorKind::TimedOut);
            self.ctx
                .tls_failed(&timeout, &self.conns[key].peer, tls.handshake_timeout);
            self.close(key);
        }
    }

    fn forget(&self, socket: &impl AsRawFd) -> io::Result<()> {
        self.poll
            .registry()
            .deregister(&mut SourceFd(&socket.as_raw_fd()))
    }
}

/// Write a queue on a non-blocking stream until it is empty or the socket is full.
fn write_queue(mut stream: &Stream, queue: &mut Queue, ctx: &Context) -> io::Result<()> {
    if stream.wants_write() && !stream.send_pending()? {
        return Ok(());
    }
    while !queue.is_empty() {
        let mut iov = [IoSlice::new(&[]); IOV];
        let used = queue.slices(&mut iov);
        match stream.write_vectored(&iov[..used]) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => {
                ctx.stats.add_out(n);
                queue.consume(n);
                // Over TLS, what the socket did not take waits in the session for its room.
                if stream.wants_write() {
                    return Ok(());
                }
            }
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => return Ok(()),
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    Ok(())
}
