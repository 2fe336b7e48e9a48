//! `netlab serve`: the notes' `server.py` and SocketServer examples as one server with a choice of
//! service (greeting, echo, discard, file), transport (TCP, UDP, Unix socket) and concurrency
//! model (one file each: serial, thread, pool, fork, poll).
//!
//! This file turns the flags into a `Config`, binds, hands the listener to the model, and
//! prints the summary. What every model shares — the `listening on` line once it is ready,
//! admitting a connection under `--count` and `--max-conns`, logging it, serving it on a
//! blocking socket, draining in-flight work on shutdown — lives in `Context`. Over TLS
//! (`--tls`), `Context` also makes each connection's session and runs its handshake, bounded by
//! `--tls-handshake-timeout`, on the thread (or child) that serves it; the poll model runs the
//! handshake as the first step of its state machine.

mod fork;
mod poll;
mod pool;
mod serial;
mod service;
mod thread;
mod udp;
mod unix;

use std::fs::File;
use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;

use crate::cli::{Model, ServeArgs};
use crate::exit::Code;
use crate::net::{self, ConnLimit, Shutdown, Stats, format_duration};

use crate::net::{Listener, Listeners, Peer, Stream};
pub use service::Service;

/// How long in-flight connections may run on after Ctrl-C or SIGTERM before the server exits.
pub(crate) const GRACE: Duration = Duration::from_secs(5);

/// The largest UDP payload over IPv4.
pub const MAX_DATAGRAM: usize = 65_507;

/// Where the server listens.
#[derive(Debug)]
enum Transport {
    /// Every address `--host` means (a name may resolve to several), on one port.
    Tcp(Vec<std::net::SocketAddr>),
    Udp(Vec<std::net::SocketAddr>),
    Unix(PathBuf),
}

/// `serve`'s flags, checked: everything a bad flag can break fails here, before any socket opens.
#[derive(Debug)]
struct Config {
    transport: Transport,
    service: Service,
    model: Model,
    workers: usize,
    backlog: u32,
    max_conns: usize,
    idle: Duration,
    count: Option<u64>,
    tls: Option<net::tls::ServerTls>,
}

impl Config {
    fn from_args(args: ServeArgs) -> anyhow::Result<Config> {
        if args.model == Model::Fork && args.udp {
            return Err(Code::Usage.error(
                "--model fork cannot serve UDP: a datagram has no connection to hand to a child \
                 (use serial, thread, pool or poll)",
            ));
        }
        let service = if args.echo {
            Service::Echo
        } else if args.discard {
            Service::Discard
        } else if let Some(path) = args.file {
            let file = File::open(&path)
                .map_err(|err| Code::Usage.wrap(err))
                .with_context(|| format!("--file {}", path.display()))?;
            let meta = file
                .metadata()
                .with_context(|| format!("--file {}", path.display()))?;
            if !meta.is_file() {
                return Err(
                    Code::Usage.error(format!("--file {}: not a regular file", path.display()))
                );
            }
            if args.udp && meta.len() > MAX_DATAGRAM as u64 {
                return Err(Code::Usage.error(format!(
                    "--file {} is {} bytes; one UDP datagram holds at most {MAX_DATAGRAM}",
                    path.display(),
                    meta.len()
                )));
            }
            Service::File(path)
        } else {
            if args.udp && args.message.len() > MAX_DATAGRAM {
                return Err(Code::Usage.error(format!(
                    "--message is {} bytes; one UDP datagram holds at most {MAX_DATAGRAM}",
                    args.message.len()
                )));
            }
            Service::Greeting(args.message.into_bytes().into_boxed_slice())
        };
        let transport = match args.unix {
            Some(path) => Transport::Unix(path),
            None if args.udp => Transport::Udp(net::resolve_host(&args.host, args.port)?),
            None => Transport::Tcp(net::resolve_host(&args.host, args.port)?),
        };
        let tls = match &transport {
            Transport::Tcp(addrs) => {
                let names = net::tls::names_for(&args.host, addrs);
                net::tls::ServerTls::from_args(&args.tls, &names, &[])?
            }
            _ if args.tls.tls || args.tls.tls_cert.is_some() || args.tls.tls_key.is_some() => {
                return Err(Code::Usage.error(
                    "TLS is served over TCP: --tls and --tls-cert do not go with --udp or --unix",
                ));
            }
            _ => net::tls::ServerTls::from_args(&args.tls, &[], &[])?,
        };
        Ok(Config {
            transport,
            service,
            model: args.model,
            workers: args.workers as usize,
            backlog: args.backlog,
            max_conns: args.max_conns as usize,
            idle: args.idle_timeout,
            count: args.count,
            tls,
        })
    }
}

/// Run `netlab serve` until Ctrl-C, SIGTERM or `--count`.
pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    let config = Config::from_args(args)?;
    // The fork model takes signals through its own poll loop (see fork.rs); the others have a
    // signal thread.
    let (signals, fork_signals) = match config.model {
        Model::Fork => (Shutdown::new(), Some(fork::SignalPipe::new()?)),
        _ => (Shutdown::on_signals("serve")?, None),
    };
    let stats: &'static Stats = match config.model {
        // Forked children count their bytes into memory the parent can read.
        Model::Fork => fork::shared_stats()?,
        _ => Box::leak(Box::default()),
    };
    let mut warnings = Vec::new();
    let (listener, socket_file) = match &config.transport {
        Transport::Udp(addrs) => {
            let (socket, warnings) = net::bind_udp_first(addrs)?;
            let local = socket.local_addr().context("local address")?;
            let location = vec![format!("udp://{local}")];
            let ctx = Context::new(&config, stats, signals, location, warnings, None);
            udp::serve(ctx, socket, config.model, config.workers)?;
            ctx.flush_log();
            stopped(&udp::summary(stats), stats);
            return Ok(());
        }
        Transport::Tcp(addrs) => {
            net::raise_fd_limit();
            let (listeners, skipped) = net::listen_tcp_all(addrs, config.backlog)?;
            warnings = skipped;
            warnings.extend(config.tls.as_ref().and_then(|tls| tls.warning.clone()));
            (listeners.into_iter().map(Listener::Tcp).collect(), None)
        }
        Transport::Unix(path) => {
            net::raise_fd_limit();
            let (listener, file) = unix::bind(path, config.backlog)?;
            (vec![Listener::Unix(listener)], Some(file))
        }
    };
    let listener = Listeners::new(listener).context("set up the listeners")?;
    let note = socket_file
        .as_ref()
        .filter(|file| file.replaced_stale)
        .map(|_| "replaced a stale socket (no server was listening on it)");
    let mut locations = listener.locations()?;
    if config.tls.is_some() {
        for location in &mut locations {
            if let Some(addr) = location.strip_prefix("tcp://") {
                *location = format!("tls://{addr}");
            }
        }
    }
    let ctx = Context::new(&config, stats, signals, locations, warnings, note);
    match (config.model, fork_signals) {
        (Model::Fork, Some(signals)) => fork::serve(ctx, listener, signals)?,
        (Model::Serial, _) => serial::serve(ctx, listener)?,
        (Model::Pool, _) => pool::serve(ctx, listener, config.workers)?,
        (Model::Poll, _) => poll::serve(ctx, listener)?,
        (Model::Thread | Model::Fork, _) => thread::serve(ctx, listener)?,
    }
    ctx.flush_log();
    stopped(&stats.summary(), stats);
    Ok(())
}

/// The last stderr line, printed even under `--quiet`: what the run did (and with `-v`, the
/// byte counts exactly).
fn stopped(summary: &str, stats: &Stats) {
    crate::log::line(format_args!("netlab serve: stopped: {summary}"));
    crate::debug!(
        "netlab serve: exactly {} bytes in, {} bytes out",
        stats.bytes_in.load(Ordering::Relaxed),
        stats.bytes_out.load(Ordering::Relaxed)
    );
}

/// What every model shares while it serves. Made once per run and leaked, so threads can borrow
/// it for the life of the process.
pub(crate) struct Context {
    pub service: Service,
    pub stats: &'static Stats,
    pub limit: Arc<ConnLimit>,
    pub max_conns: usize,
    pub idle: Duration,
    count: Option<u64>,
    admitted: AtomicU64,
    /// `--tls`: what every connection's session is made with.
    pub tls: Option<net::tls::ServerTls>,
    /// Set by Ctrl-C or SIGTERM: in-flight work then gets [`GRACE`] to finish.
    pub signals: Arc<Shutdown>,
    /// Set by a signal or by reaching `--count`: stop accepting.
    pub stop: Arc<Shutdown>,
    /// Threads (or connections) the main thread waits for on the way out.
    pub live: Live,
    /// What a client brings: "connection", or "datagram" for UDP.
    unit: &'static str,
    /// The `connection from` lines, bounded under load.
    logged: crate::log::Flood,
    /// The first stderr line (one per listener: the first is the one scripts read), said by
    /// [`Context::ready`]; and a note to follow.
    listening: Vec<String>,
    /// Addresses not bound, said as warnings after the `listening on` lines.
    warnings: Vec<String>,
    note: Option<&'static str>,
    announced: std::sync::Once,
}

/// Whether a freshly accepted connection is served.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Admission {
    Serve,
    /// Over `--max-conns`: closed at once with a reset, so the client sees a failure rather
    /// than what looks like an empty answer.
    Refuse,
    /// Accepted after the server decided to stop: closed without a word.
    Drop,
}

impl Context {
    fn new(
        config: &Config,
        stats: &'static Stats,
        signals: Arc<Shutdown>,
        locations: Vec<String>,
        warnings: Vec<String>,
        note: Option<&'static str>,
    ) -> &'static Context {
        let stop = Shutdown::new();
        let tls_summary = config
            .tls
            .as_ref()
            .map(|tls| format!("; {}", tls.summary()))
            .unwrap_or_default();
        {
            let stop = Arc::clone(&stop);
            signals.on_trigger(move || stop.trigger());
        }
        let ctx: &'static Context = Box::leak(Box::new(Context {
            service: config.service.clone(),
            stats,
            limit: ConnLimit::new(config.max_conns),
            max_conns: config.max_conns,
            idle: config.idle,
            count: config.count,
            admitted: AtomicU64::new(0),
            tls: config.tls.clone(),
            signals,
            stop,
            live: Live::default(),
            unit: match config.transport {
                Transport::Udp(_) => "datagram",
                _ => "connection",
            },
            logged: crate::log::Flood::new(),
            listening: locations
                .iter()
                .map(|location| {
                    format!(
                        "netlab serve: listening on {location} (model {}{tls_summary})",
                        config.model.name()
                    )
                })
                .collect(),
            warnings,
            note,
            announced: std::sync::Once::new(),
        }));
        // A waiting main thread must notice a signal to start the grace period.
        ctx.signals.on_trigger(move || ctx.live.wake());
        ctx
    }

    /// Print the first stderr line — even under `--quiet`, since scripts and tests read the
    /// address there. A model calls this once it is set up and about to serve, so the line
    /// means "ready".
    pub fn ready(&self) {
        self.announced.call_once(|| {
            for line in &self.listening {
                crate::log::line(format_args!("{line}"));
            }
            for warning in &self.warnings {
                crate::warn!("{warning}");
            }
            if let Some(note) = self.note {
                crate::info!("netlab serve: {note}");
            }
        });
    }

    /// Accept the next client and decide about it (the blocking models' loop body): `Some`
    /// to serve it, holding its slot under `--max-conns`; `None` when there is nobody to serve
    /// this time round (an accept that failed harmlessly, a refusal, a stop).
    pub fn next_client(&self, listener: &Listeners) -> anyhow::Result<Option<Client>> {
        let (stream, peer) = match listener.accept() {
            Ok(accepted) => accepted,
            Err(err) => {
                accept_failed(err, &self.stop)?;
                return Ok(None);
            }
        };
        let slot = self.limit.try_acquire();
        if self.admit(slot.is_some(), &stream, &peer) != Admission::Serve {
            return Ok(None);
        }
        Ok(Some(Client { stream, peer, slot }))
    }

    /// Decide about a connection that has just been accepted, given whether a slot under
    /// `--max-conns` is free. Counts it when served; reaching `--count` stops accepting. A
    /// refused stream is armed to reset when the caller drops it.
    pub fn admit(&self, has_room: bool, stream: &Stream, peer: &Peer) -> Admission {
        if !has_room && !self.stop.requested() {
            // A Unix socket has no reset: its client sees a plain close.
            let _ = stream.reset_on_close();
        }
        self.admit_unit(has_room, peer)
    }

    /// [`Context::admit`] for what has no stream to refuse (a UDP datagram).
    pub fn admit_unit(&self, has_room: bool, peer: &Peer) -> Admission {
        if self.stop.requested() {
            return Admission::Drop;
        }
        if !has_room {
            self.stats.refused.fetch_add(1, Ordering::Relaxed);
            crate::warn!(
                "refused {peer}: {} already in progress (--max-conns)",
                plural(self.max_conns, self.unit)
            );
            return Admission::Refuse;
        }
        let n = self.admitted.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some(count) = self.count {
            if n > count {
                return Admission::Drop;
            }
            if n == count {
                self.stop.trigger();
            }
        }
        self.stats.connections.fetch_add(1, Ordering::Relaxed);
        if crate::log::enabled()
            && let Some(skipped) = self.logged.admit()
        {
            self.say_skipped(skipped);
            crate::log::line(format_args!("netlab serve: {} from {peer}", self.unit));
        }
        Admission::Serve
    }

    /// Say how many `connection from` lines were counted and not printed under load.
    fn say_skipped(&self, skipped: u64) {
        if skipped > 0 {
            crate::info!(
                "netlab serve: … and {} more {}{}",
                net::Count(skipped),
                self.unit,
                if skipped == 1 { "" } else { "s" }
            );
        }
    }

    /// On the way out: the counts of log lines not printed under load.
    fn flush_log(&self) {
        self.say_skipped(self.logged.take());
        crate::log::flush_warnings();
    }

    /// Serve one connection on a blocking socket, to the end (over TLS, its handshake first).
    pub fn serve(&self, stream: Stream, peer: &Peer) {
        if let Some(stream) = self.secure(stream, peer) {
            self.serve_stream(stream, peer);
        }
    }

    /// Without TLS, the stream as it is; with it, the stream's session once its handshake is
    /// done within `--tls-handshake-timeout` (`None`: it failed, and was said).
    pub fn secure(&self, stream: Stream, peer: &Peer) -> Option<Stream> {
        let Some(tls) = &self.tls else {
            return Some(stream);
        };
        let Stream::Tcp(socket) = stream else {
            return Some(stream);
        };
        let stream = match tls.accept(socket) {
            Ok(stream) => stream,
            Err(err) => {
                crate::warn!("{peer}: TLS: {err}");
                return None;
            }
        };
        let done = stream
            .tls()
            .map_or(Ok(()), |session| session.handshake(tls.handshake_timeout));
        match done {
            Ok(()) => Some(stream),
            Err(err) => {
                self.tls_failed(&err, peer, tls.handshake_timeout);
                None
            }
        }
    }

    /// Say why a TLS handshake failed: once per client, in words.
    pub fn tls_failed(&self, err: &io::Error, peer: &Peer, timeout: Duration) {
        if let Some(not_tls) = net::tls::not_tls(err) {
            crate::info!("netlab serve: {peer}: {not_tls}");
        } else if err.kind() == io::ErrorKind::TimedOut {
            crate::info!(
                "netlab serve: closed {peer}: no TLS handshake within {} (--tls-handshake-timeout)",
                format_duration(timeout)
            );
        } else if let Some(why) = net::tls::rustls_error(err) {
            crate::info!("netlab serve: {peer}: TLS handshake failed: {why}");
        } else {
            crate::debug!("netlab serve: {peer}: TLS handshake: {err}");
        }
    }

    /// Serve one connection while holding the pool's turn to accept: a short greeting goes out
    /// at once, since it cannot wait on the client; `release` gives the turn up before
    /// anything that can (a lingering close, every other service).
    pub fn serve_holding(&self, stream: Stream, peer: &Peer, release: impl FnOnce()) {
        self.serve_stream_holding(stream, peer, release);
    }

    fn serve_stream_holding(&self, mut stream: Stream, peer: &Peer, release: impl FnOnce()) {
        let message = match &self.service {
            // A TLS handshake waits on the client.
            Service::Greeting(message)
                if message.len() <= service::INLINE_GREETING && self.tls.is_none() =>
            {
                message
            }
            _ => {
                release();
                return self.serve(stream, peer);
            }
        };
        let done = service::greet(&mut stream, message, self.stats).and_then(|sent_us_data| {
            if sent_us_data {
                release();
                service::linger(&mut stream)?;
            }
            Ok(())
        });
        if let Err(err) = done {
            self.report(&err, peer);
        }
    }

    fn serve_stream<S: crate::net::Transport>(&self, mut stream: S, peer: &Peer) {
        if self.service.may_stall()
            && let Err(err) = stream.set_timeouts(self.idle)
        {
            crate::debug!("netlab serve: {}: set timeouts: {err}", peer);
        }
        if let Err(err) = self.service.handle(&mut stream, self.stats) {
            self.report(&err, peer);
        }
    }

    /// Say how a connection ended badly: idle closes are worth a line, resets only with -v.
    pub fn report(&self, err: &io::Error, peer: &Peer) {
        match err.kind() {
            _ if net::is_timeout(err) => crate::info!(
                "netlab serve: closed {peer}: idle for {}",
                format_duration(self.idle)
            ),
            io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::UnexpectedEof => {
                crate::debug!("netlab serve: {peer}: {err}")
            }
            _ => crate::warn!("{peer}: {err}"),
        }
    }

    /// Wait until `live` reaches zero: without bound when stopping because of `--count`, for
    /// [`GRACE`] at most once a signal came.
    pub fn drain(&self) {
        let mut deadline = None;
        let mut live = net::lock(&self.live.count);
        while *live > 0 {
            if deadline.is_none() && self.signals.requested() {
                deadline = Some(Instant::now() + GRACE);
                self.stopping(self.limit.active());
            }
            live = match deadline {
                None => self
                    .live
                    .changed
                    .wait(live)
                    .unwrap_or_else(|e| e.into_inner()),
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        crate::warn!(
                            "{} still busy after {}; closing",
                            plural(self.limit.active().max(1), self.unit),
                            format_duration(GRACE)
                        );
                        break;
                    }
                    self.live
                        .changed
                        .wait_timeout(live, left)
                        .unwrap_or_else(|e| e.into_inner())
                        .0
                }
            };
        }
    }

    /// Say, once a signal came, that the server waits for clients still being served.
    pub fn stopping(&self, in_flight: usize) {
        if in_flight > 0 {
            crate::info!(
                "netlab serve: stopping: waiting up to {} for {} in progress",
                format_duration(GRACE),
                plural(in_flight, self.unit)
            );
        }
    }
}

/// A count of running threads or connections the main thread can wait on.
#[derive(Default)]
pub(crate) struct Live {
    count: Mutex<usize>,
    changed: Condvar,
}

impl Live {
    /// Count one in; the guard counts it out when dropped.
    pub fn enter(&self) -> LiveGuard<'_> {
        *net::lock(&self.count) += 1;
        LiveGuard(self)
    }

    fn wake(&self) {
        let _guard = net::lock(&self.count);
        self.changed.notify_all();
    }
}

pub(crate) struct LiveGuard<'a>(&'a Live);

impl Drop for LiveGuard<'_> {
    fn drop(&mut self) {
        let mut count = net::lock(&self.0.count);
        *count -= 1;
        if *count == 0 {
            self.0.changed.notify_all();
        }
    }
}

/// What an `accept` error means for the loop: go on, or give up.
pub(crate) fn accept_failed(err: io::Error, stop: &Shutdown) -> anyhow::Result<()> {
    if stop.requested() {
        return Ok(());
    }
    match err.raw_os_error() {
        // The client gave up before we took it, a network error that belongs to that one
        // connection (accept(2): "treat them like EAGAIN"), or a signal: nothing to do.
        Some(
            nix::libc::ECONNABORTED
            | nix::libc::ECONNRESET
            | nix::libc::EINTR
            | nix::libc::EPROTO
            | nix::libc::ENOPROTOOPT
            | nix::libc::EHOSTDOWN
            | nix::libc::ENONET
            | nix::libc::EHOSTUNREACH
            | nix::libc::ENETUNREACH
            | nix::libc::ENETDOWN
            | nix::libc::EOPNOTSUPP
            | nix::libc::ETIMEDOUT,
        ) => Ok(()),
        // Out of descriptors or memory: say so, let in-flight connections close some, go on.
        _ if starved(&err) => {
            crate::warn!("accept: {err} (waiting for connections to close)");
            std::thread::sleep(Duration::from_millis(50));
            Ok(())
        }
        _ => Err(anyhow::Error::new(err).context("accept")),
    }
}

/// A client admitted by `Context::next_client`.
pub struct Client {
    pub stream: Stream,
    pub peer: Peer,
    /// Its place under `--max-conns`, given back when dropped.
    pub slot: Option<net::ConnSlot>,
}

/// Out of descriptors or memory: accepting again at once fails again.
pub(crate) fn starved(err: &io::Error) -> bool {
    matches!(
        err.raw_os_error(),
        Some(nix::libc::EMFILE | nix::libc::ENFILE | nix::libc::ENOBUFS | nix::libc::ENOMEM)
    )
}

fn plural(n: usize, word: &str) -> String {
    format!(
        "{} {word}{}",
        net::Count(n as u64),
        if n == 1 { "" } else { "s" }
    )
}
