//! `--model poll`: one thread, every socket non-blocking and watched by epoll (through the
//! `polling` crate, level-triggered), each client a small state machine — how nginx serves many
//! clients with few threads.
//!
//! A greeting is tried at once on the fresh socket (`send` with `MSG_DONTWAIT`), so the common
//! case costs accept, send, close and never touches epoll. A connection that cannot finish at
//! once is registered and advanced a bounded batch of reads and writes per wake-up, so one fast
//! client cannot starve the others. Idle connections are swept out on a timer.

use std::fs::File;
use std::io::{self, Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use polling::{Event, Events, PollMode, Poller};

use super::service::{ECHO_BUF, FILE_CHUNK, LINGER, Service, Stream};
use super::socket::{Conn, Listener, Peer};
use super::{Admission, Context, GRACE, accept_failed};
use crate::net::Stats;

/// `usize::MAX` is the poller's own notification key.
const LISTENER: usize = usize::MAX - 1;
/// Reads or writes per connection per wake-up.
const BATCH: usize = 16;
/// Connections accepted per wake-up before the others get a turn.
const ACCEPT_BATCH: usize = 128;
const SCRATCH: usize = 256 * 1024;

pub fn serve(ctx: &'static Context, listener: Listener) -> anyhow::Result<()> {
    let poller = Arc::new(Poller::new().context("create epoll instance")?);
    listener.set_nonblocking(true)?;
    // SAFETY: the listener is deleted from the poller before it is dropped (see `Loop::run`).
    unsafe { poller.add_with_mode(&listener, Event::readable(LISTENER), PollMode::Level)? };
    for shutdown in [&ctx.stop, &ctx.signals] {
        let poller = Arc::clone(&poller);
        shutdown.on_trigger(move || {
            let _ = poller.notify();
        });
    }
    let mut event_loop = Loop {
        ctx,
        poller,
        clients: Vec::new(),
        free: Vec::new(),
        active: 0,
        scratch: vec![0u8; SCRATCH].into_boxed_slice(),
    };
    ctx.ready();
    let result = event_loop.run(listener);
    event_loop.close_all();
    result
}

/// What a connection waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Interest {
    read: bool,
    write: bool,
}

/// Where one client's service stands.
#[derive(Debug)]
enum Job {
    /// Bytes of the greeting sent so far.
    Greeting(usize),
    /// Bytes received and not yet sent back.
    Echo(Pending),
    Discard,
    /// The file, and how much of it the client has taken (sent with sendfile(2) from there).
    File(File, u64),
    /// The reply is complete and FIN sent, but the client had sent data: read and forget until
    /// it closes (or [`LINGER`] passes), so that closing does not reset the connection.
    Linger,
}

/// A fixed buffer of bytes in flight: `buf[start..end]` is still to be written.
#[derive(Debug)]
struct Pending {
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    /// The client has half-closed: send what is left, then close.
    eof: bool,
}

/// What a step left the connection waiting for.
#[derive(Debug, PartialEq, Eq)]
enum Step {
    Wait(Interest),
    Done,
}

struct Client {
    conn: Conn,
    peer: Peer,
    job: Job,
    interest: Interest,
    /// When a byte last moved; the sweep closes clients idle longer than `--idle-timeout`.
    last: Instant,
}

struct Loop {
    ctx: &'static Context,
    poller: Arc<Poller>,
    /// Registered clients, indexed by their poller key; `free` lists the empty places.
    clients: Vec<Option<Client>>,
    free: Vec<usize>,
    active: usize,
    /// Shared by every connection: discard needs no buffer of its own.
    scratch: Box<[u8]>,
}

impl Loop {
    fn run(&mut self, listener: Listener) -> anyhow::Result<()> {
        let mut listener = Some(listener);
        let result = self.serve(&mut listener);
        if let Some(listener) = &listener {
            let _ = self.poller.delete(listener);
        }
        result
    }

    fn serve(&mut self, listener: &mut Option<Listener>) -> anyhow::Result<()> {
        let ctx = self.ctx;
        let mut events = Events::new();
        let mut deadline = None;
        let sweep_every = (ctx.idle / 8).clamp(Duration::from_millis(10), Duration::from_secs(1));
        let mut next_sweep = Instant::now() + sweep_every;
        loop {
            let now = Instant::now();
            if ctx.stop.requested() {
                if let Some(listener) = listener.take() {
                    self.poller.delete(&listener)?;
                }
                if self.active == 0 {
                    return Ok(());
                }
                if ctx.signals.requested() {
                    if deadline.is_none() {
                        ctx.stopping(self.active);
                    }
                    let deadline = *deadline.get_or_insert(now + GRACE);
                    if now >= deadline {
                        crate::warn!(
                            "{} connection(s) still busy after {}; closing",
                            self.active,
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
            if self.active > 0 {
                wake = Some(next_sweep);
            }
            if let Some(deadline) = deadline {
                wake = Some(wake.map_or(deadline, |w: Instant| w.min(deadline)));
            }
            events.clear();
            let timeout = wake.map(|w| w.saturating_duration_since(now));
            match self.poller.wait(&mut events, timeout) {
                Ok(_) => {}
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(anyhow::Error::new(err).context("epoll wait")),
            }
            for event in events.iter() {
                if event.key == LISTENER {
                    if let Some(listener) = listener.as_ref() {
                        self.accept_ready(listener)?;
                    }
                } else {
                    self.advance(event.key);
                }
            }
        }
    }

    fn accept_ready(&mut self, listener: &Listener) -> anyhow::Result<()> {
        for _ in 0..ACCEPT_BATCH {
            match listener.accept() {
                Ok((conn, peer)) => self.admit(conn, peer),
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(err) => accept_failed(err, &self.ctx.stop)?,
            }
            if self.ctx.stop.requested() {
                return Ok(());
            }
        }
        Ok(())
    }

    fn admit(&mut self, conn: Conn, peer: Peer) {
        let ctx = self.ctx;
        if ctx.admit(self.active < ctx.max_conns, &peer) != Admission::Serve {
            return;
        }
        let job = match &ctx.service {
            Service::Greeting(message) => match send_last(&conn, message) {
                Ok(n) if n == message.len() => {
                    ctx.stats.add_out(n);
                    if !unread(&conn, &mut self.scratch) {
                        return;
                    }
                    // The client sent something: end gently (see `service::close_gently`).
                    if let Err(err) = shutdown_write(&conn) {
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
            Service::Echo => Job::Echo(Pending {
                buf: vec![0u8; ECHO_BUF].into_boxed_slice(),
                start: 0,
                end: 0,
                eof: false,
            }),
            Service::Discard => Job::Discard,
            Service::File(path) => match File::open(path) {
                Ok(file) => Job::File(file, 0),
                Err(err) => return crate::warn!("{peer}: {}: {err}", path.display()),
            },
        };
        if let Err(err) = conn.set_nonblocking(true) {
            return ctx.report(&err, &peer);
        }
        let interest = job.first_interest();
        let key = match self.free.pop() {
            Some(key) => key,
            None => {
                self.clients.push(None);
                self.clients.len() - 1
            }
        };
        // SAFETY: every registered connection is deleted from the poller in `close` before it
        // is dropped.
        let added = unsafe {
            self.poller
                .add_with_mode(&conn, interest.event(key), PollMode::Level)
        };
        if let Err(err) = added {
            self.free.push(key);
            return crate::warn!("{peer}: epoll: {err}");
        }
        self.clients[key] = Some(Client {
            conn,
            peer,
            job,
            interest,
            last: Instant::now(),
        });
        self.active += 1;
    }

    /// Move one client's bytes as far as they go without blocking.
    fn advance(&mut self, key: usize) {
        let ctx = self.ctx;
        let Some(Some(client)) = self.clients.get_mut(key) else {
            return; // closed earlier in this batch of events
        };
        let mut moved = false;
        let step = match &mut client.conn {
            Conn::Tcp(stream) => client.job.step(
                &ctx.service,
                stream,
                &mut self.scratch,
                ctx.stats,
                &mut moved,
            ),
            Conn::Unix(stream) => client.job.step(
                &ctx.service,
                stream,
                &mut self.scratch,
                ctx.stats,
                &mut moved,
            ),
        };
        if moved {
            client.last = Instant::now();
        }
        let step = match step {
            // A reply is complete: end gently if the client sent anything.
            Ok(Step::Done) if matches!(client.job, Job::Greeting(_) | Job::File(..)) => {
                if unread(&client.conn, &mut self.scratch) {
                    client.job = Job::Linger;
                    client.last = Instant::now();
                    shutdown_write(&client.conn).map(|()| Step::Wait(Interest::READ))
                } else {
                    Ok(Step::Done)
                }
            }
            step => step,
        };
        match step {
            Ok(Step::Wait(interest)) => {
                if interest != client.interest {
                    client.interest = interest;
                    let changed = self.poller.modify_with_mode(
                        &client.conn,
                        interest.event(key),
                        PollMode::Level,
                    );
                    if let Err(err) = changed {
                        ctx.report(&err, &client.peer);
                        self.close(key);
                    }
                }
            }
            Ok(Step::Done) => self.close(key),
            Err(err) => {
                ctx.report(&err, &client.peer);
                self.close(key);
            }
        }
    }

    /// Close every client that moved no byte for `--idle-timeout`.
    fn sweep(&mut self, now: Instant) {
        let idle = self.ctx.idle;
        for key in 0..self.clients.len() {
            if let Some(client) = &self.clients[key] {
                if matches!(client.job, Job::Linger) {
                    if now.duration_since(client.last) >= LINGER {
                        self.close(key);
                    }
                } else if now.duration_since(client.last) >= idle {
                    let timeout = io::Error::from(io::ErrorKind::TimedOut);
                    self.ctx.report(&timeout, &client.peer);
                    self.close(key);
                }
            }
        }
    }

    fn close(&mut self, key: usize) {
        if let Some(client) = self.clients.get_mut(key).and_then(Option::take) {
            let _ = self.poller.delete(&client.conn);
            self.free.push(key);
            self.active -= 1;
        }
    }

    fn close_all(&mut self) {
        for key in 0..self.clients.len() {
            self.close(key);
        }
    }
}

/// Whether the client sent bytes we never read (they are read and forgotten here).
fn unread(conn: &Conn, scratch: &mut [u8]) -> bool {
    use std::os::fd::AsFd;
    super::service::drain_socket(conn.as_fd(), scratch)
}

fn shutdown_write(conn: &Conn) -> io::Result<()> {
    let how = std::net::Shutdown::Write;
    match conn {
        Conn::Tcp(stream) => stream.shutdown(how),
        Conn::Unix(stream) => stream.shutdown(how),
    }
}

/// Send on a fresh (still blocking) socket without waiting: one system call, no `fcntl`.
/// Send what is all there is to send: MSG_MORE holds the segment back until the close, so the
/// data and the FIN leave in one packet (see `Stream::write_last`).
fn send_last(conn: &Conn, bytes: &[u8]) -> io::Result<usize> {
    use nix::libc::{MSG_DONTWAIT, MSG_MORE, MSG_NOSIGNAL};
    socket2::SockRef::from(conn).send_with_flags(bytes, MSG_DONTWAIT | MSG_NOSIGNAL | MSG_MORE)
}

impl Interest {
    const READ: Interest = Interest {
        read: true,
        write: false,
    };
    const WRITE: Interest = Interest {
        read: false,
        write: true,
    };

    fn event(self, key: usize) -> Event {
        Event::new(key, self.read, self.write)
    }
}

impl Job {
    fn first_interest(&self) -> Interest {
        match self {
            Job::Greeting(_) | Job::File(..) => Interest::WRITE,
            Job::Echo(_) | Job::Discard | Job::Linger => Interest::READ,
        }
    }

    /// Advance the service on a non-blocking stream until it would block, is done, or has had
    /// its batch. `moved` is set when any byte moved.
    fn step<S: Stream>(
        &mut self,
        service: &Service,
        stream: &mut S,
        scratch: &mut [u8],
        stats: &Stats,
        moved: &mut bool,
    ) -> io::Result<Step> {
        match (self, service) {
            (Job::Greeting(sent), Service::Greeting(message)) => {
                while *sent < message.len() {
                    match stream.write(&message[*sent..]) {
                        Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                        Ok(n) => {
                            *sent += n;
                            *moved = true;
                            stats.add_out(n);
                        }
                        Err(err) if blocked(&err) => return Ok(Step::Wait(Interest::WRITE)),
                        Err(err) if interrupted(&err) => {}
                        Err(err) => return Err(err),
                    }
                }
                Ok(Step::Done)
            }
            (Job::Echo(pending), _) => pending.echo(stream, stats, moved),
            (Job::Discard, _) => {
                for _ in 0..BATCH {
                    match stream.discard(scratch) {
                        Ok(0) => return Ok(Step::Done),
                        Ok(n) => {
                            *moved = true;
                            stats.add_in(n);
                        }
                        Err(err) if blocked(&err) => break,
                        Err(err) if interrupted(&err) => {}
                        Err(err) => return Err(err),
                    }
                }
                Ok(Step::Wait(Interest::READ))
            }
            (Job::File(file, offset), _) => {
                for _ in 0..BATCH {
                    match stream.send_file_at(file, offset, FILE_CHUNK) {
                        Ok(0) => return Ok(Step::Done),
                        Ok(sent) => {
                            *moved = true;
                            stats.add_out(sent);
                        }
                        Err(err) if blocked(&err) => break,
                        Err(err) if interrupted(&err) => {}
                        Err(err) => return Err(err),
                    }
                }
                Ok(Step::Wait(Interest::WRITE))
            }
            (Job::Linger, _) => {
                for _ in 0..BATCH {
                    match stream.discard(scratch) {
                        Ok(0) => return Ok(Step::Done),
                        Ok(_) => {}
                        Err(err) if blocked(&err) => break,
                        Err(err) if interrupted(&err) => {}
                        Err(err) => return Err(err),
                    }
                }
                Ok(Step::Wait(Interest::READ))
            }
            (Job::Greeting(_), _) => Err(io::Error::other("greeting job for another service")),
        }
    }
}

impl Pending {
    fn echo<S: Read + Write>(
        &mut self,
        stream: &mut S,
        stats: &Stats,
        moved: &mut bool,
    ) -> io::Result<Step> {
        for _ in 0..BATCH {
            let mut progress = false;
            if self.start < self.end {
                match stream.write(&self.buf[self.start..self.end]) {
                    Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                    Ok(n) => {
                        self.start += n;
                        progress = true;
                        stats.add_out(n);
                        if self.start == self.end {
                            self.start = 0;
                            self.end = 0;
                        }
                    }
                    Err(err) if blocked(&err) || interrupted(&err) => {}
                    Err(err) => return Err(err),
                }
            }
            if !self.eof && self.end < self.buf.len() {
                match stream.read(&mut self.buf[self.end..]) {
                    Ok(0) => {
                        self.eof = true;
                        progress = true;
                    }
                    Ok(n) => {
                        self.end += n;
                        progress = true;
                        stats.add_in(n);
                    }
                    Err(err) if blocked(&err) || interrupted(&err) => {}
                    Err(err) => return Err(err),
                }
            }
            if self.eof && self.start == self.end {
                return Ok(Step::Done);
            }
            *moved |= progress;
            if !progress {
                break;
            }
        }
        Ok(Step::Wait(Interest {
            read: !self.eof && self.end < self.buf.len(),
            write: self.start < self.end,
        }))
    }
}

fn blocked(err: &io::Error) -> bool {
    err.kind() == io::ErrorKind::WouldBlock
}

fn interrupted(err: &io::Error) -> bool {
    err.kind() == io::ErrorKind::Interrupted
}

#[cfg(test)]
mod tests;
