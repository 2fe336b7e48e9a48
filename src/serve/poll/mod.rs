//! `--model poll`: one thread, every socket non-blocking and watched by epoll (through mio,
//! edge-triggered), each client a small state machine — how nginx serves many clients with few
//! threads. Edge-triggered means epoll reports a socket when it *becomes* ready, not while it
//! stays ready: so every wake-up reads, accepts or writes until the call would block, and a
//! connection that stops short of that (its batch used up) is queued to be run again.
//!
//! A greeting is tried at once on the fresh socket (`send` with `MSG_DONTWAIT`), so the common
//! case costs accept, send, close and never touches epoll. A connection that cannot finish at
//! once is registered and advanced a bounded batch of reads and writes per turn, so one fast
//! client cannot starve the others. Idle connections are swept out on a timer.

mod job;
mod relay;

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use mio::unix::SourceFd;
use mio::{Events, Poll, Token, Waker};
use slab::Slab;

use self::job::{Interest, Job, Pending, Step};
use self::relay::{Relay, TARGET};
use super::forward::CONNECT_TIMEOUT;
use super::service::{ECHO_BUF, LINGER, Service};
use super::{Admission, Context, GRACE, accept_failed, starved};
use crate::net::{Listener, Listeners, Peer, Stream, Transport};

const WAKER: Token = Token(usize::MAX);
const LISTENER: Token = Token(usize::MAX - 1);
/// Streamections accepted per turn before the others get theirs.
const ACCEPT_BATCH: usize = 128;
const SCRATCH: usize = 256 * 1024;

pub fn serve(ctx: &'static Context, listener: Listeners) -> anyhow::Result<()> {
    let poll = Poll::new().context("create epoll instance")?;
    let waker = Arc::new(Waker::new(poll.registry(), WAKER).context("create epoll waker")?);
    listener.set_nonblocking(true)?;
    for one in listener.iter() {
        let added = poll.registry().register(
            &mut SourceFd(&one.as_raw_fd()),
            LISTENER,
            mio::Interest::READABLE,
        );
        crate::explain::epoll_add(
            &poll,
            one.as_raw_fd(),
            mio::Interest::READABLE,
            true,
            &added,
        );
        added?;
    }
    for shutdown in [&ctx.stop, &ctx.signals] {
        let waker = Arc::clone(&waker);
        shutdown.on_trigger(move || {
            let _ = waker.wake();
        });
    }
    let mut event_loop = Loop {
        ctx,
        poll,
        clients: Slab::new(),
        ready: Vec::new(),
        keys: Vec::new(),
        scratch: vec![0u8; SCRATCH].into_boxed_slice(),
    };
    ctx.ready();
    let result = event_loop.run(listener);
    event_loop.close_all();
    result
}

struct Client {
    conn: Stream,
    peer: Peer,
    job: Job,
    interest: Interest,
    /// In the `ready` list already.
    queued: bool,
    /// When a byte last moved; the sweep closes clients idle longer than `--idle-timeout`.
    last: Instant,
    /// When it was accepted (for `--tls-handshake-timeout`).
    arrived: Instant,
}

struct Loop {
    ctx: &'static Context,
    poll: Poll,
    /// Registered clients, keyed by their token.
    clients: Slab<Client>,
    /// Clients that used up their batch with work left: run again before the next wait, which
    /// would not report them.
    ready: Vec<usize>,
    /// The keys a sweep visits (kept to reuse its room).
    keys: Vec<usize>,
    /// Shared by every connection: discard needs no buffer of its own.
    scratch: Box<[u8]>,
}

impl Loop {
    fn run(&mut self, listener: Listeners) -> anyhow::Result<()> {
        let mut listener = Some(listener);
        let result = self.serve(&mut listener);
        for one in listener.iter().flat_map(Listeners::iter) {
            let _ = self.forget(one);
        }
        result
    }

    fn serve(&mut self, listener: &mut Option<Listeners>) -> anyhow::Result<()> {
        let ctx = self.ctx;
        let mut events = Events::with_capacity(1024);
        let mut deadline = None;
        // Streamections may still wait in the backlog: an accept batch ended before one blocked.
        let mut backlog = false;
        let sweep_every = (ctx.idle / 8).clamp(Duration::from_millis(10), Duration::from_secs(1));
        let mut next_sweep = Instant::now() + sweep_every;
        loop {
            let now = Instant::now();
            if ctx.stop.requested() {
                if let Some(listener) = listener.take() {
                    for one in listener.iter() {
                        self.forget(one)?;
                    }
                    backlog = false;
                }
                if self.clients.is_empty() {
                    return Ok(());
                }
                if ctx.signals.requested() {
                    if deadline.is_none() {
                        ctx.stopping(self.clients.len());
                    }
                    let deadline = *deadline.get_or_insert(now + GRACE);
                    if now >= deadline {
                        crate::warn!(
                            "{} connection(s) still busy after {}; closing",
                            self.clients.len(),
                            crate::net::format_duration(GRACE)
                        );
                        return Ok(());
                    }
                }
            }
            if now >= next_sweep {
                self.sweep(now);
                next_sweep = now + sweep_every;
            }
            let mut wake = None;
            if !self.clients.is_empty() {
                wake = Some(next_sweep);
            }
            if let Some(deadline) = deadline {
                wake = Some(wake.map_or(deadline, |w: Instant| w.min(deadline)));
            }
            let timeout = if backlog || !self.ready.is_empty() {
                Some(Duration::ZERO)
            } else {
                wake.map(|w| w.saturating_duration_since(now))
            };
            match self.poll.poll(&mut events, timeout) {
                Ok(()) => crate::explain::epoll_wait(&self.poll, &events),
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(anyhow::Error::new(err).context("epoll wait")),
            }
            for event in events.iter() {
                match event.token() {
                    // Only wakes the loop: the stop flags are read at the top.
                    WAKER => {}
                    LISTENER => backlog = true,
                    // A relay's target socket runs its client's job.
                    Token(key) => self.advance(key & !TARGET),
                }
            }
            for key in std::mem::take(&mut self.ready) {
                if let Some(client) = self.clients.get_mut(key) {
                    client.queued = false;
                }
                self.advance(key);
            }
            if backlog && let Some(listener) = listener.as_ref() {
                // Which listener woke the loop is not told apart: each is tried in turn.
                let mut more = false;
                for one in listener.iter() {
                    more |= self.accept_ready(one)?;
                }
                backlog = more;
            }
        }
    }

    /// Accept a batch; whether the backlog may still hold connections (no accept blocked).
    fn accept_ready(&mut self, listener: &Listener) -> anyhow::Result<bool> {
        for _ in 0..ACCEPT_BATCH {
            match listener.accept() {
                Ok((conn, peer)) => self.admit(conn, peer),
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(err) => {
                    // accept_failed has waited a moment; serve the clients we hold before
                    // trying again, so one event-loop turn never stalls longer than that.
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

    fn admit(&mut self, mut conn: Stream, peer: Peer) {
        let ctx = self.ctx;
        if ctx.admit(self.clients.len() < ctx.max_conns, &conn, &peer) != Admission::Serve {
            return;
        }
        if let (Some(tls), Stream::Tcp(_)) = (&ctx.tls, &conn) {
            let Stream::Tcp(socket) = conn else {
                return;
            };
            // The handshake first, then the service's job as on a plain connection.
            let Some(job) = service_job(&ctx.service, &peer) else {
                return;
            };
            return match tls.accept(socket) {
                Ok(secure) => self.register(secure, peer, Job::Handshake(Box::new(job))),
                Err(err) => crate::warn!("{peer}: TLS: {err}"),
            };
        }
        let job = match &ctx.service {
            Service::Greeting(message) => match send_last(&conn, message) {
                Ok(n) if n == message.len() => {
                    ctx.stats.add_out(n);
                    if !conn.drain_unread(&mut self.scratch) {
                        return crate::explain::close(conn);
                    }
                    // The client sent something: end gently (see `service::close_gently`).
                    if let Err(err) = conn.shutdown(std::net::Shutdown::Write) {
                        return ctx.report(&err, &peer);
                    }
                    Job::Linger
                }
                Ok(n) => {
                    ctx.stats.add_out(n);
                    Job::Greeting(n)
                }
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => Job::Greeting(0),
                Err(err) => return ctx.report(&err, &peer),
            },
            Service::Echo => Job::Echo(Pending::new(ECHO_BUF)),
            Service::Discard => Job::Discard,
            Service::File(path) => match File::open(path) {
                Ok(file) => Job::File(file, 0),
                Err(err) => return crate::warn!("{peer}: {}: {err}", path.display()),
            },
            Service::Forward(forward) => match Relay::start(forward) {
                Ok(relay) => Job::Relay(Box::new(relay)),
                Err(why) => return forward.unreachable(&conn, &peer, &why),
            },
            // A chat has a loop of its own (`chat/poll.rs`).
            Service::Chat(_) => return,
            // Refused at start (`exec::Program::from_args`).
            Service::Exec(_) => return,
        };
        self.register(conn, peer, job);
    }

    /// Watch a connection on epoll and keep it with its job.
    fn register(&mut self, conn: Stream, peer: Peer, job: Job) {
        if let Err(err) = conn.set_nonblocking(true) {
            return self.ctx.report(&err, &peer);
        }
        let interest = job.first_interest();
        let place = self.clients.vacant_entry();
        let key = place.key();
        // Registering reports what is ready already (bytes that came with the connection, room
        // to write), so the first edge is not missed.
        let added = self.poll.registry().register(
            &mut SourceFd(&conn.as_raw_fd()),
            Token(key),
            interest.mio(),
        );
        crate::explain::epoll_add(&self.poll, conn.as_raw_fd(), interest.mio(), false, &added);
        if let Err(err) = added {
            return crate::warn!("{peer}: epoll: {err}");
        }
        place.insert(Client {
            conn,
            peer,
            job,
            interest,
            queued: false,
            last: Instant::now(),
            arrived: Instant::now(),
        });
        self.watch_target(key);
    }

    /// Register a relay's target socket (when it is new) under its client's token.
    fn watch_target(&mut self, key: usize) {
        let Some(Client {
            job: Job::Relay(relay),
            peer,
            ..
        }) = self.clients.get_mut(key)
        else {
            return;
        };
        if !relay.take_fresh() {
            return;
        }
        let fd = relay.target().as_raw_fd();
        // Both ways, for good: an edge the relay does not want yet costs one step.
        let interest = mio::Interest::READABLE | mio::Interest::WRITABLE;
        let added =
            self.poll
                .registry()
                .register(&mut SourceFd(&fd), Token(key | TARGET), interest);
        crate::explain::epoll_add(&self.poll, fd, interest, false, &added);
        if let Err(err) = added {
            crate::warn!("{peer}: epoll: {err}");
            self.close(key);
        }
    }

    /// Move one client's bytes as far as they go without blocking, or for one batch.
    fn advance(&mut self, key: usize) {
        let ctx = self.ctx;
        let Some(client) = self.clients.get_mut(key) else {
            return; // closed earlier in this batch of events
        };
        let mut moved = false;
        if client.conn.wants_write() {
            // Encrypted bytes the socket had no room for go before anything new.
            if let Err(err) = client.conn.send_pending() {
                ctx.report(&err, &client.peer);
                return self.close(key);
            }
        }
        let shaking = matches!(client.job, Job::Handshake(_));
        let step = client.job.step(
            &ctx.service,
            &mut client.conn,
            &mut self.scratch,
            ctx.stats,
            &mut moved,
        );
        if moved {
            client.last = Instant::now();
        }
        if shaking && !matches!(client.job, Job::Handshake(_)) {
            ctx.shook_hands(&client.conn, &client.peer);
        }
        let step = match step {
            // Over TLS, the last bytes may still wait in the session.
            Ok(Step::Done) if client.conn.wants_write() => {
                client.job = Job::Flush;
                Ok(Step::Wait(Interest::WRITE))
            }
            // A reply is complete: end gently if the client sent anything.
            Ok(Step::Done) if matches!(client.job, Job::Greeting(_) | Job::File(..)) => {
                if client.conn.drain_unread(&mut self.scratch) {
                    client.job = Job::Linger;
                    client.last = Instant::now();
                    // The interest changes from writing to reading, and changing it reports
                    // what is ready now: bytes the drain left behind are not missed.
                    client
                        .conn
                        .shutdown(std::net::Shutdown::Write)
                        .map(|()| Step::Wait(Interest::READ))
                } else {
                    Ok(Step::Done)
                }
            }
            step => step,
        };
        let mut interest = match step {
            Ok(Step::Wait(interest)) => interest,
            Ok(Step::Again(interest)) => {
                if !client.queued {
                    client.queued = true;
                    self.ready.push(key);
                }
                interest
            }
            Ok(Step::Done) => return self.close(key),
            Err(err) => {
                match (&client.job, &ctx.tls, &ctx.service) {
                    (Job::Handshake(_), Some(tls), _) => {
                        ctx.tls_failed(&err, &client.peer, tls.handshake_timeout)
                    }
                    // A relay fails only while it connects: the target cannot be reached.
                    (Job::Relay(_), _, Service::Forward(forward)) => {
                        forward.unreachable(&client.conn, &client.peer, &anyhow::Error::new(err))
                    }
                    _ => ctx.report(&err, &client.peer),
                }
                return self.close(key);
            }
        };
        // What the session could not send yet needs the socket's room.
        interest.write |= client.conn.wants_write();
        if interest != client.interest {
            client.interest = interest;
            let changed = self.poll.registry().reregister(
                &mut SourceFd(&client.conn.as_raw_fd()),
                Token(key),
                interest.mio(),
            );
            if let Err(err) = changed {
                ctx.report(&err, &client.peer);
                return self.close(key);
            }
        }
        // A connect that moved on to the target's next address has a new socket.
        self.watch_target(key);
    }

    /// Close every client that moved no byte for `--idle-timeout`.
    fn sweep(&mut self, now: Instant) {
        let idle = self.ctx.idle;
        let mut keys = std::mem::take(&mut self.keys);
        keys.extend(self.clients.iter().map(|(key, _)| key));
        for &key in &keys {
            let client = &self.clients[key];
            if let (Job::Handshake(_), Some(tls)) = (&client.job, &self.ctx.tls)
                && now.duration_since(client.arrived) >= tls.handshake_timeout
            {
                let timeout = io::Error::from(io::ErrorKind::TimedOut);
                self.ctx
                    .tls_failed(&timeout, &client.peer, tls.handshake_timeout);
                self.close(key);
            } else if let Job::Relay(relay) = &client.job
                && !relay.connected()
            {
                if now.duration_since(client.arrived) >= CONNECT_TIMEOUT
                    && let Service::Forward(forward) = &self.ctx.service
                {
                    forward.unreachable(&client.conn, &client.peer, &relay.timed_out());
                    self.close(key);
                }
            } else if matches!(client.job, Job::Linger) {
                if now.duration_since(client.last) >= LINGER {
                    self.close(key);
                }
            } else if now.duration_since(client.last) >= idle {
                if !matches!(client.job, Job::Relay(_)) {
                    let timeout = io::Error::from(io::ErrorKind::TimedOut);
                    self.ctx.report(&timeout, &client.peer);
                }
                // A relay says so in its own line.
                if let Job::Relay(relay) = &mut self.clients[key].job {
                    relay.set_idle();
                }
                self.close(key);
            }
        }
        keys.clear();
        self.keys = keys;
    }

    fn close(&mut self, key: usize) {
        if let Some(client) = self.clients.try_remove(key) {
            // The registry forgets the descriptor before it closes.
            let _ = self.forget(&client.conn);
            if let Job::Relay(relay) = &client.job {
                let _ = self.forget(relay.target());
                if relay.connected()
                    && let Service::Forward(forward) = &self.ctx.service
                {
                    forward.log_done(&client.peer, &relay.done(), self.ctx.idle);
                }
            }
            crate::explain::close(client.conn);
        }
    }

    fn close_all(&mut self) {
        for client in self.clients.drain() {
            let _ = self
                .poll
                .registry()
                .deregister(&mut SourceFd(&client.conn.as_raw_fd()));
        }
    }

    fn forget(&self, socket: &impl AsRawFd) -> io::Result<()> {
        let gone = self
            .poll
            .registry()
            .deregister(&mut SourceFd(&socket.as_raw_fd()));
        crate::explain::epoll_del(&self.poll, socket.as_raw_fd(), &gone);
        gone
    }
}

/// A service's job from its start (over TLS, where nothing goes out before the handshake).
fn service_job(service: &Service, peer: &Peer) -> Option<Job> {
    Some(match service {
        Service::Greeting(_) => Job::Greeting(0),
        Service::Echo => Job::Echo(Pending::new(ECHO_BUF)),
        Service::Discard => Job::Discard,
        Service::File(path) => match File::open(path) {
            Ok(file) => Job::File(file, 0),
            Err(err) => {
                crate::warn!("{peer}: {}: {err}", path.display());
                return None;
            }
        },
        // Refused with --tls in this model at start (`forward::Forward::from_args`).
        Service::Forward(_) => return None,
        Service::Chat(_) => return None,
        // Refused at start (`exec::Program::from_args`).
        Service::Exec(_) => return None,
    })
}

/// Send on a fresh (still blocking) socket without waiting: one system call, no `fcntl`.
/// Send what is all there is to send: MSG_MORE holds the segment back until the close, so the
/// data and the FIN leave in one packet (see `Transport::write_last`).
fn send_last(conn: &Stream, bytes: &[u8]) -> io::Result<usize> {
    use nix::libc::{MSG_DONTWAIT, MSG_MORE, MSG_NOSIGNAL};
    let sent =
        socket2::SockRef::from(conn).send_with_flags(bytes, MSG_DONTWAIT | MSG_NOSIGNAL | MSG_MORE);
    crate::explain::send_flags(
        conn,
        bytes.len(),
        "MSG_DONTWAIT|MSG_NOSIGNAL|MSG_MORE",
        sent,
    )
}
