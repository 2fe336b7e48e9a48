//! The accept loop: each connection goes to one of the event loops (one per core, see
//! [`events`]), which hand it a thread of its own (small stacks: the handler
//! keeps its buffers on the heap) only when it needs a blocking socket; `--max-conns` enforced
//! by evicting the connection that has waited longest for a request head, or with a 503 when
//! every connection has a request in hand; and a graceful stop — stop accepting, wake idle keep-alive connections, let
//! requests in flight finish (bounded), print the summary. Over TLS a connection's session is
//! made as it is accepted and its handshake runs on the event loop, as its reads do.

use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::Context as _;

use super::Site;
use super::conn::ConnStats;
use super::events;
use super::registry::{Evicted, Registry, Watch};
use super::response::Head;
use crate::net::tls::{NotTls, ServerTls};
use crate::net::{ConnLimit, Listeners, Peer, Shutdown, Stats, Stream};

/// Stack for a connection thread. The handler's buffers live on the heap; this is headroom
/// for httparse's header array, the listing and std's copy fallback.
pub const STACK_SIZE: usize = 128 * 1024;
/// How long a stop waits for requests in flight.
pub const DRAIN_TIME: Duration = Duration::from_secs(10);
/// At most this many connections over the limit are answered 503 at once; beyond, they are
/// closed without a word (a flood must not turn into threads).
pub const MAX_REFUSING: usize = 64;

/// What the acceptor, the event loops and the connection threads share.
pub struct Shared {
    pub site: Arc<Site>,
    pub stats: Stats,
    pub registry: Registry,
    pub shutdown: Arc<Shutdown>,
    /// `--tls`: what every connection's session is made with.
    pub tls: Option<ServerTls>,
    refusing: AtomicUsize,
}

impl Shared {
    /// A connection is over: forget its descriptor (before the socket closes) and count its
    /// bytes.
    pub fn finish(&self, id: u64, stats: ConnStats) {
        self.registry.remove(id);
        self.stats.add_in(stats.bytes_in as usize);
        self.stats.add_out(stats.bytes_out as usize);
    }

    /// The connection has no request in hand and waits for a head.
    pub fn waiting(&self, watch: &Watch) {
        watch.waiting(&self.registry);
    }
}

/// Accept and serve until `shutdown` triggers; then drain and print the summary.
pub fn serve(
    listener: Listeners,
    site: Arc<Site>,
    max_conns: usize,
    shutdown: Arc<Shutdown>,
    tls: Option<ServerTls>,
    access: crate::net::Access,
) -> anyhow::Result<()> {
    let limit = ConnLimit::new(max_conns);
    let shared = Arc::new(Shared {
        site,
        stats: Stats::default(),
        registry: Registry::default(),
        shutdown: Arc::clone(&shutdown),
        tls,
        refusing: AtomicUsize::new(0),
    });
    shutdown.on_trigger(listener.wakers());
    let cores = thread::available_parallelism().map_or(1, |n| n.get());
    let mut loops = Vec::with_capacity(cores);
    for n in 0..cores {
        loops.push(events::start(Arc::clone(&shared), n).context("start an event loop")?);
    }
    let mut next = 0;
    let mut evictions = EvictionLog::default();
    let mut backoff = Duration::from_millis(5);
    while !shutdown.requested() {
        let (stream, peer) = match listener.accept() {
            Ok(accepted) => accepted,
            Err(err) => {
                if shutdown.requested() {
                    break;
                }
                if matches!(
                    err.kind(),
                    io::ErrorKind::ConnectionAborted | io::ErrorKind::Interrupted
                ) {
                    continue;
                }
                // Out of descriptors or memory: wait a little rather than spin.
                crate::warn!("accept failed: {err}");
                thread::sleep(backoff);
                backoff = (backoff * 2).min(Duration::from_millis(500));
                continue;
            }
        };
        backoff = Duration::from_millis(5);
        if shutdown.requested() {
            break;
        }
        if !access.admits_peer(&peer) {
            access.refused(&peer);
            shared.stats.denied.fetch_add(1, Ordering::Relaxed);
            let _ = stream.reset_on_close();
            continue;
        }
        let peer = peer_name(peer);
        match limit.try_acquire() {
            Some(slot) => {
                next = (next + 1) % loops.len();
                dispatch(&shared, &loops[next], stream, peer, slot);
            }
            None => match shared.registry.evict_longest_waiting(max_conns) {
                Some(evicted) => {
                    shared.stats.evicted.fetch_add(1, Ordering::Relaxed);
                    evictions.note(evicted, max_conns);
                    next = (next + 1) % loops.len();
                    dispatch(&shared, &loops[next], stream, peer, limit.acquire_anyway());
                }
                None => refuse(&shared, stream, &peer, max_conns),
            },
        }
    }
    drop(listener);
    for inbox in &loops {
        inbox.close();
    }
    shared.registry.stop_reading();
    let until = Instant::now() + DRAIN_TIME;
    while limit.active() > 0 && Instant::now() < until {
        thread::sleep(Duration::from_millis(5));
    }
    crate::log::flush_warnings();
    crate::info!("netlab web: stopped: {}", shared.stats.summary());
    Ok(())
}

/// How the access log names a client: its address, or for a Unix socket client (`--unix`) its
/// process and user as one field, `unix:pid=PID,uid=UID` (`unix` when the kernel did not say).
fn peer_name(peer: Peer) -> String {
    match peer {
        Peer::Tcp(addr) => addr.to_string(),
        Peer::Unix(Some((pid, uid))) => format!("unix:pid={pid},uid={uid}"),
        Peer::Unix(None) => "unix".into(),
    }
}

fn dispatch(
    shared: &Arc<Shared>,
    inbox: &events::Inbox,
    stream: Stream,
    peer: String,
    slot: crate::net::ConnSlot,
) {
    shared.stats.connections.fetch_add(1, Ordering::Relaxed);
    let fd = stream.as_raw_fd();
    let stream = match (stream, &shared.tls) {
        (Stream::Tcp(tcp), tls) => {
            let _ = tcp.set_nodelay(true);
            match tls {
                None => Stream::Tcp(tcp),
                Some(tls) => match tls.accept(tcp) {
                    Ok(stream) => stream,
                    Err(err) => return crate::warn!("{peer}: TLS: {err}"),
                },
            }
        }
        // TLS is refused with --unix at start.
        (stream, _) => stream,
    };
    if let Err(err) = stream.set_nonblocking(true) {
        return crate::warn!("{peer}: {err}");
    }
    let (id, watch) = shared.registry.add(fd);
    let arrival = events::Arrival {
        stream,
        peer,
        slot,
        id,
        watch,
        session: None,
    };
    if let Err(arrival) = inbox.deliver(arrival) {
        // The server is stopping: the connection closes after the registry forgets it.
        shared.registry.remove(arrival.id);
    }
}

/// Evictions are logged at most once a second, so a flood of them cannot flood the log.
#[derive(Default)]
struct EvictionLog {
    last: Option<Instant>,
    /// Since the last line: how many, and the longest any of them had waited.
    count: u64,
    longest: Duration,
}

impl EvictionLog {
    fn note(&mut self, evicted: Evicted, max: usize) {
        self.count += 1;
        self.longest = self.longest.max(evicted.waited);
        if self
            .last
            .is_some_and(|last| last.elapsed() < Duration::from_secs(1))
        {
            return;
        }
        crate::info!(
            "at --max-conns {max}: closed {} connection{} still waiting for a request head \
             (longest wait {}) to let new ones in",
            self.count,
            if self.count == 1 { "" } else { "s" },
            crate::net::format_duration(self.longest),
        );
        *self = EvictionLog {
            last: Some(Instant::now()),
            ..EvictionLog::default()
        };
    }
}

/// Over `--max-conns` with every connection mid-request: answer 503 and close, on a short-lived thread (bounded in number).
fn refuse(shared: &Arc<Shared>, stream: Stream, peer: &str, max: usize) {
    shared.stats.refused.fetch_add(1, Ordering::Relaxed);
    // A warning, so a flood of refusals is bounded like every other repeated warning.
    crate::warn!("{peer} refused: over --max-conns {max}");
    // A TLS client would need a handshake before it could read a 503: it sees a close.
    if shared.tls.is_some() {
        return;
    }
    if shared.refusing.fetch_add(1, Ordering::AcqRel) >= MAX_REFUSING {
        shared.refusing.fetch_sub(1, Ordering::AcqRel);
        return;
    }
    let worker = Arc::clone(shared);
    let spawned = thread::Builder::new()
        .name("web-refuse".into())
        .stack_size(64 * 1024)
        .spawn(move || {
            let body = b"503 Service Unavailable: too many connections\n";
            let mut out = Vec::with_capacity(256);
            let mut head = Head::new(&mut out, 503, &worker.site.common);
            head.header("Content-Type", "text/plain; charset=utf-8")
                .number("Content-Length", body.len() as u64)
                .header("Retry-After", "1")
                .connection(false, 1)
                .finish();
            out.extend_from_slice(body);
            let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
            if (&stream).write_all(&out).is_ok() {
                worker.stats.add_out(out.len());
                let _ = stream.shutdown(std::net::Shutdown::Write);
                // Read what the client sent (bounded) so the close is not a reset.
                let until = Instant::now() + Duration::from_secs(1);
                let mut sink = [0u8; 4096];
                let mut total = 0;
                while total < 1 << 20 {
                    let Some(left) = until.checked_duration_since(Instant::now()) else {
                        break;
                    };
                    if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
                        break;
                    }
                    match (&stream).read(&mut sink) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => total += n,
                    }
                }
            }
            worker.refusing.fetch_sub(1, Ordering::AcqRel);
        });
    if spawned.is_err() {
        shared.refusing.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A client spoke something else than TLS on the TLS port: say so once, and answer a plain-HTTP
/// client with a 400 in plain text that names the https URL (as nginx's 497 does).
pub fn not_tls(shared: &Shared, socket: &Stream, peer: &str, why: &NotTls) {
    crate::info!("{peer}: {why}");
    let Some(tls) = socket.tls() else {
        return;
    };
    if !why.plain_http {
        return;
    }
    let mut raw = tls.socket();
    let url = raw
        .local_addr()
        .map(|addr| format!("https://{}/", crate::net::url_authority(addr)))
        .unwrap_or_else(|_| "https://".into());
    let body = format!("400 Bad Request: this port speaks HTTPS; use {url}\n");
    let mut out = Vec::with_capacity(256);
    let mut head = Head::new(&mut out, 400, &shared.site.common);
    head.header("Content-Type", "text/plain; charset=utf-8")
        .number("Content-Length", body.len() as u64)
        .connection(false, 1)
        .finish();
    out.extend_from_slice(body.as_bytes());
    // The socket is fresh: a small answer fits in its buffer at once.
    if raw.write_all(&out).is_ok() {
        shared.stats.add_out(out.len());
        let _ = raw.shutdown(std::net::Shutdown::Write);
        // What the client sent is read and dropped, so the close is no reset.
        let mut sink = [0u8; 4096];
        while matches!(raw.read(&mut sink), Ok(n) if n > 0) {}
    }
}
