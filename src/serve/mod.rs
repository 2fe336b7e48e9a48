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

mod chat;
mod context;
mod exec;
mod fork;
mod forward;
mod poll;
mod pool;
mod serial;
mod service;
mod thread;
mod udp;
pub(crate) mod unix;

pub(crate) use context::{Admission, Context};

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
    access: Arc<net::Access>,
}

impl Config {
    fn from_args(mut args: ServeArgs) -> anyhow::Result<Config> {
        if args.model == Model::Fork && args.udp {
            return Err(Code::Usage.error(
                "--model fork cannot serve UDP: a datagram has no connection to hand to a child \
                 (use serial, thread, pool or poll)",
            ));
        }
        let service = if let Some(program) = exec::Program::from_args(&mut args)? {
            Service::Exec(program)
        } else if args.chat {
            Service::Chat(chat::Limits::from_args(&args)?)
        } else if args.echo {
            Service::Echo
        } else if args.discard {
            Service::Discard
        } else if let Some(target) = &args.forward {
            Service::Forward(Arc::new(forward::Forward::from_args(target, &args)?))
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
        let access = Arc::new(net::Access::from_flags(
            &args.access.allow,
            &args.access.deny,
        )?);
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
            access,
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
        _ if matches!(config.service, Service::Chat(_)) => {
            chat::serve(ctx, listener, config.model)?
        }
        (Model::Fork, Some(signals)) => fork::serve(ctx, listener, signals)?,
        (Model::Serial, _) => serial::serve(ctx, listener)?,
        (Model::Pool, _) => pool::serve(ctx, listener, config.workers)?,
        (Model::Poll, _) => poll::serve(ctx, listener)?,
        (Model::Thread | Model::Fork, _) => thread::serve(ctx, listener)?,
    }
    ctx.flush_log();
    crate::explain::finish();
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
