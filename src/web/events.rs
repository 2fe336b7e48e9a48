//! The event loops: one thread per core, each watching its connections on epoll (mio) and
//! answering every request that can be answered without waiting on the client — a head that
//! has arrived, a small file from the cache, a listing, an error. A connection whose next
//! request needs a blocking socket (a body to read, a large file to send, a malformed head to
//! answer and drain) is handed to a thread of its own, which carries on with the same
//! [`Session`] through [`conn::serve_blocking`]. So keep-alive traffic costs no thread switch
//! per request, and the slow paths keep the blocking code's bounds (write timeout, linger).

use std::io;
use std::os::fd::AsRawFd;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use mio::{Events, Interest, Poll, Token, Waker};
use slab::Slab;

use super::conn::{self, After, Scratch, Session, Step};
use super::registry::Watch;
use super::server::{STACK_SIZE, Shared};
use super::transport::{Nonblocking, Outbox};
use crate::net::{ConnSlot, Stream};

const WAKER: Token = Token(usize::MAX);

/// A connection just accepted, on its way to a loop.
pub struct Arrival {
    pub stream: Stream,
    pub peer: String,
    pub slot: ConnSlot,
    /// Its entry in the server's registry.
    pub id: u64,
    pub watch: Arc<Watch>,
    /// A connection coming back from a thread of its own brings its session along.
    pub session: Option<Session>,
}

/// Where the acceptor (and a connection's thread, handing it back) leaves connections for one
/// loop.
pub struct Inbox {
    queue: Mutex<Queue>,
    waker: Waker,
}

#[derive(Default)]
struct Queue {
    arrivals: Vec<Arrival>,
    /// The server is stopping: once its connections are done, the loop ends.
    closed: bool,
}

impl Inbox {
    /// Leave a connection for the loop; it comes back when the loop has ended.
    pub fn deliver(&self, arrival: Arrival) -> Result<(), Box<Arrival>> {
        let mut queue = lock(&self.queue);
        if queue.closed {
            return Err(Box::new(arrival));
        }
        queue.arrivals.push(arrival);
        drop(queue);
        let _ = self.waker.wake();
        Ok(())
    }

    /// No more connections will come: the loop ends once its own are done.
    pub fn close(&self) {
        lock(&self.queue).closed = true;
        let _ = self.waker.wake();
    }

    fn is_done(&self) -> bool {
        let queue = lock(&self.queue);
        queue.closed && queue.arrivals.is_empty()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// Start one loop thread; its inbox is where the acceptor leaves connections.
pub fn start(shared: Arc<Shared>, n: usize) -> io::Result<Arc<Inbox>> {
    let poll = Poll::new()?;
    let waker = Waker::new(poll.registry(), WAKER)?;
    let inbox = Arc::new(Inbox {
        queue: Mutex::new(Queue::default()),
        waker,
    });
    let mut event_loop = Loop {
        shared,
        inbox: Arc::clone(&inbox),
        poll,
        clients: Slab::new(),
        keys: Vec::new(),
        scratch: Scratch::new(),
        ready: Vec::new(),
    };
    thread::Builder::new()
        .name(format!("web-loop-{n}"))
        .spawn(move || event_loop.run())?;
    Ok(inbox)
}

/// A connection is over: count its bytes and forget it (before its socket closes). What still
/// waited in its outbox never left, though the access log counted it as queued.
fn finish(shared: &Shared, id: u64, mut stats: conn::ConnStats, outbox: &Outbox) {
    stats.bytes_out = stats.bytes_out.saturating_sub(outbox.unsent());
    shared.finish(id, stats);
}

impl Client {
    /// Send what waits without blocking; any byte taken counts as progress for the write
    /// timeout, which is for a client that takes nothing.
    fn flush(&mut self) -> io::Result<bool> {
        let before = self.outbox.unsent();
        let flushed = self.outbox.flush(&self.socket);
        if self.outbox.unsent() < before || matches!(flushed, Ok(true)) {
            self.last_write = Instant::now();
        }
        flushed
    }

    /// Bytes accepted for the client wait for room: in the outbox, or encrypted in its TLS
    /// session.
    fn pending(&self) -> bool {
        !self.outbox.is_empty() || self.socket.wants_write()
    }
}

struct Client {
    socket: Stream,
    peer: String,
    id: u64,
    /// Tells the acceptor whether it waits for a head (and may be evicted at the limit).
    watch: Arc<Watch>,
    slot: ConnSlot,
    session: Session,
    outbox: Outbox,
    /// Close once the outbox is empty.
    closing: bool,
    /// In the `ready` list already.
    queued: bool,
    /// When the client last sent something, or the outbox last moved.
    last_read: Instant,
    last_write: Instant,
    /// When it came to this loop (for the TLS handshake's deadline).
    arrived: Instant,
}

struct Loop {
    shared: Arc<Shared>,
    inbox: Arc<Inbox>,
    poll: Poll,
    /// Connections by token.
    clients: Slab<Client>,
    /// The keys a sweep visits (kept to reuse its room).
    keys: Vec<usize>,
    /// Lent to each connection in turn while it answers.
    scratch: Scratch,
    /// Connections that used up their turn with work left: driven again before the next wait
    /// (edge-triggered epoll would not report them again).
    ready: Vec<usize>,
}

/// Requests answered or reads made for one connection before the others get a turn.
pub const TURN: usize = 32;

impl Loop {
    fn run(&mut self) {
        let site = Arc::clone(&self.shared.site);
        let shortest = site
            .header_timeout
            .min(site.keepalive_timeout)
            .min(site.write_timeout);
        let tick = (shortest / 8).clamp(Duration::from_millis(10), Duration::from_millis(500));
        let mut events = Events::with_capacity(256);
        let mut next_sweep = Instant::now() + tick;
        loop {
            let stopping = self.shared.shutdown.requested();
            if self.clients.is_empty() && self.inbox.is_done() {
                return;
            }
            let now = Instant::now();
            let wait = if self.ready.is_empty() {
                next_sweep.saturating_duration_since(now)
            } else {
                Duration::ZERO
            };
            if let Err(err) = self.poll.poll(&mut events, Some(wait)) {
                if err.kind() != io::ErrorKind::Interrupted {
                    crate::warn!("web event loop: {err}");
                    thread::sleep(tick);
                }
                continue;
            }
            for event in events.iter() {
                match event.token() {
                    WAKER => self.take_arrivals(),
                    Token(key) => self.guarded(key, Self::drive),
                }
            }
            for key in std::mem::take(&mut self.ready) {
                if let Some(client) = self.clients.get_mut(key) {
                    client.queued = false;
                }
                self.guarded(key, Self::drive);
            }
            let now = Instant::now();
            if now >= next_sweep {
                let mut keys = std::mem::take(&mut self.keys);
                keys.extend(self.clients.iter().map(|(key, _)| key));
                for &key in &keys {
                    self.guarded(key, |this, key| this.sweep(key, now, stopping));
                }
                keys.clear();
                self.keys = keys;
                next_sweep = now + tick;
            }
        }
    }

    /// Run `work` on one connection; should it panic (a bug), close that connection alone and
    /// keep the loop serving the others.
    fn guarded(&mut self, key: usize, work: impl FnOnce(&mut Self, usize)) {
        let caught =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(&mut *self, key)));
        if caught.is_err() {
            crate::warn!("a connection failed inside the event loop; closed it");
            self.close(key);
        }
    }

    fn take_arrivals(&mut self) {
        let arrivals = std::mem::take(&mut lock(&self.inbox.queue).arrivals);
        for arrival in arrivals {
            let now = Instant::now();
            let place = self.clients.vacant_entry();
            let key = place.key();
            let fd = arrival.stream.as_raw_fd();
            let registered = self.poll.registry().register(
                &mut mio::unix::SourceFd(&fd),
                Token(key),
                Interest::READABLE | Interest::WRITABLE,
            );
            if let Err(err) = registered {
                crate::warn!("cannot watch {}: {err}", arrival.peer);
                self.shared.finish(arrival.id, Default::default());
                continue;
            }
            place.insert(Client {
                socket: arrival.stream,
                peer: arrival.peer,
                id: arrival.id,
                watch: arrival.watch,
                slot: arrival.slot,
                session: arrival
                    .session
                    .unwrap_or_else(|| Session::new(&self.shared.site)),
                outbox: Outbox::default(),
                closing: false,
                queued: false,
                last_read: now,
                last_write: now,
                arrived: now,
            });
            // The request often comes with the connection.
            self.guarded(key, Self::drive);
        }
    }

    /// Move a connection as far as it goes without waiting: send what waits, answer what
    /// arrived, read more.
    fn drive(&mut self, key: usize) {
        let shared = Arc::clone(&self.shared);
        let site = &shared.site;
        let stop = || shared.shutdown.requested();
        let Some(client) = self.clients.get_mut(key) else {
            return;
        };
        for _ in 0..TURN {
            if client.pending() {
                match client.flush() {
                    Ok(true) => {}
                    Ok(false) => return,
                    Err(_) => return self.close(key),
                }
            }
            if client.closing {
                return self.close(key);
            }
            let mut transport = Nonblocking {
                socket: &client.socket,
                outbox: &mut client.outbox,
            };
            let step = conn::step_inline(
                &mut transport,
                &client.peer,
                site,
                &stop,
                &mut client.session,
                &mut self.scratch,
            );
            match step {
                Step::Answered => {
                    client.watch.busy();
                    client.last_write = Instant::now();
                    continue;
                }
                Step::Close => {
                    client.closing = true;
                    continue;
                }
                Step::Linger => return self.hand_over(key, After::Linger),
                Step::NeedsThread(_) => return self.hand_over(key, After::Return),
                Step::NeedInput if !client.pending() => shared.waiting(&client.watch),
                Step::NeedInput => {}
            }
            match client.session.read_from(&mut &client.socket, site) {
                Ok(0) => return self.close(key),
                Ok(_) => {
                    client.last_read = Instant::now();
                    name_client(&shared, &client.socket, &mut client.peer);
                }
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => return,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => {
                    if let Some(not_tls) = crate::net::tls::not_tls(&err) {
                        super::server::not_tls(&shared, &client.socket, &client.peer, not_tls);
                    }
                    return self.close(key);
                }
            }
        }
        // Its turn is up with work left: the others go first.
        if !client.queued {
            client.queued = true;
            self.ready.push(key);
        }
    }

    /// Enforce the timeouts on one connection: the head deadline (408), keep-alive idle, a
    /// stalled write.
    fn sweep(&mut self, key: usize, now: Instant, stopping: bool) {
        let site = Arc::clone(&self.shared.site);
        let Some(client) = self.clients.get_mut(key) else {
            return;
        };
        if client.pending() {
            // The kernel reports room only once a good part of the send buffer is free; a
            // client reading slowly but steadily makes progress before that.
            match client.flush() {
                Ok(true) if !client.queued => {
                    // No edge will come for what was freed: answer what waits.
                    client.queued = true;
                    self.ready.push(key);
                }
                Ok(_) => {}
                Err(_) => return self.close(key),
            }
        }
        let handshake = self.shared.tls.as_ref().map(|tls| tls.handshake_timeout);
        let expired = if let Some(limit) = handshake
            && now.duration_since(client.arrived) >= limit
            && client.socket.tls().is_some_and(|tls| tls.is_handshaking())
        {
            crate::info!(
                "{} closed: no TLS handshake within {} (--tls-handshake-timeout)",
                client.peer,
                crate::net::format_duration(limit)
            );
            true
        } else if client.pending() {
            let stalled = now.duration_since(client.last_write) >= site.write_timeout;
            if stalled {
                crate::info!(
                    "{} closed: took nothing for {} (--write-timeout)",
                    client.peer,
                    crate::net::format_duration(site.write_timeout)
                );
            }
            stalled
        } else if let Some(deadline) = client.session.deadline() {
            if now >= deadline {
                let mut transport = Nonblocking {
                    socket: &client.socket,
                    outbox: &mut client.outbox,
                };
                conn::expire(
                    &mut transport,
                    &client.peer,
                    &site,
                    &mut client.session,
                    &mut self.scratch,
                );
                let _ = client.outbox.flush(&client.socket);
                true
            } else {
                false
            }
        } else {
            let idle_since = client.last_read.max(client.last_write);
            stopping || now.duration_since(idle_since) >= site.keepalive_timeout
        };
        if expired {
            self.close(key);
        }
    }

    fn take(&mut self, key: usize) -> Option<Client> {
        let client = self.clients.try_remove(key)?;
        let fd = client.socket.as_raw_fd();
        let _ = self
            .poll
            .registry()
            .deregister(&mut mio::unix::SourceFd(&fd));
        Some(client)
    }

    fn close(&mut self, key: usize) {
        if let Some(client) = self.take(key) {
            finish(
                &self.shared,
                client.id,
                client.session.stats,
                &client.outbox,
            );
            // The registry forgot the descriptor before it closes here.
            drop(client);
        }
    }

    /// The connection's next step needs a blocking socket: give it a thread of its own.
    fn hand_over(&mut self, key: usize, after: After) {
        let Some(client) = self.take(key) else {
            return;
        };
        client.watch.busy();
        let Client {
            socket,
            peer,
            id,
            watch,
            slot,
            session,
            outbox,
            ..
        } = client;
        // The connection travels in a parcel the loop can take back if no thread starts, so
        // the registry forgets it before it closes.
        let parcel = Arc::new(Mutex::new(Some((socket, session, outbox))));
        let theirs = Arc::clone(&parcel);
        let shared = Arc::clone(&self.shared);
        let inbox = Arc::clone(&self.inbox);
        let spawned = thread::Builder::new()
            .name("web-conn".into())
            .stack_size(STACK_SIZE)
            .spawn(move || {
                let Some((mut socket, mut session, mut outbox)) = lock(&theirs).take() else {
                    return;
                };
                let stop = || shared.shutdown.requested();
                let site = &shared.site;
                // A panic here (a bug) ends this connection only, and it is still accounted.
                let ended = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    socket.set_nonblocking(false)?;
                    socket.set_write_timeout(Some(site.write_timeout))?;
                    outbox.flush_blocking(&socket)?;
                    let ended =
                        conn::serve_blocking(&mut socket, &peer, site, &stop, &mut session, after);
                    io::Result::Ok(ended)
                }));
                let idle = matches!(ended, Ok(Ok(conn::Ended::Idle)));
                if idle && !stop() && socket.set_nonblocking(true).is_ok() {
                    // Idle again: back to the loop, which waits for its next request.
                    let back = Arrival {
                        stream: socket,
                        peer,
                        slot,
                        id,
                        watch,
                        session: Some(session),
                    };
                    match inbox.deliver(back) {
                        Ok(()) => return,
                        Err(back) => {
                            shared.finish(id, back.session.map(|s| s.stats).unwrap_or_default());
                            return;
                        }
                    }
                }
                finish(&shared, id, session.stats, &outbox);
                drop((socket, slot));
            });
        if let Err(err) = spawned {
            crate::warn!("cannot start a thread for a connection: {err}");
            if let Some((socket, session, outbox)) = lock(&parcel).take() {
                finish(&self.shared, id, session.stats, &outbox);
                drop(socket);
            }
        }
    }
}

/// Under `--tls-client-ca`, once the handshake is done, the access log names the client by its
/// certificate too: `127.0.0.1:50312 (CN=alice)`.
fn name_client(shared: &Shared, socket: &Stream, peer: &mut String) {
    if !shared.tls.as_ref().is_some_and(|tls| tls.verifies_clients) || peer.ends_with(')') {
        return;
    }
    let Some(session) = socket.tls().filter(|session| !session.is_handshaking()) else {
        return;
    };
    if let Some(subject) = session.peer_subject() {
        *peer = format!("{peer} ({subject})");
    }
}
