//! `connect -l`: nc's listen mode. Bind, say where on the first stderr line (as every netlab
//! server does), accept one client and then behave exactly as `connect` does — stdin to the
//! client, the client to stdout, the same end-of-input rules. With `-k`, the next client is
//! waited for when one leaves, one at a time; without it the listener closes as soon as the
//! first client is taken, so a second one is refused rather than left waiting.

use std::io;
use std::net::SocketAddr;
use std::os::unix::net::UnixListener;
use std::path::PathBuf;

use anyhow::Context;

use super::{Options, session, udp};
use crate::exit::Code;
use crate::net::{self, Listener, Listeners, Peer, Stream};

/// Where `-l` listens.
#[derive(Debug)]
pub enum Place {
    Tcp(Vec<SocketAddr>),
    Udp(Vec<SocketAddr>),
    Unix(PathBuf),
}

/// `connect -l`, checked.
#[derive(Debug)]
pub struct Listen {
    pub place: Place,
    pub tls: Option<net::tls::ServerTls>,
    /// `-k`: one client after another.
    pub keep_open: bool,
    /// `--allow`/`--deny`.
    pub access: net::Access,
}

/// A few connections may finish their handshake while one client is served.
const BACKLOG: u32 = 16;

pub fn run(listen: Listen, options: &Options) -> anyhow::Result<()> {
    let (listeners, warnings, _socket_file) = match &listen.place {
        Place::Udp(addrs) => {
            let (socket, warnings) = net::bind_udp_first(addrs)?;
            let local = socket.local_addr().context("local address")?;
            crate::log::line(format_args!("netlab connect: listening on udp://{local}"));
            crate::explain::release();
            say(&warnings);
            return udp::listen(socket, &listen.access, options);
        }
        Place::Tcp(addrs) => {
            net::raise_fd_limit();
            let (listeners, mut warnings) = net::listen_tcp_all(addrs, BACKLOG)?;
            warnings.extend(listen.tls.as_ref().and_then(|tls| tls.warning.clone()));
            let all = listeners.into_iter().map(Listener::Tcp).collect();
            (all, warnings, None)
        }
        Place::Unix(path) => {
            let listener = bind_unix(path)?;
            (
                vec![Listener::Unix(listener)],
                Vec::new(),
                Some(SocketFile(path.clone())),
            )
        }
    };
    let listeners = Listeners::new(listeners).context("set up the listeners")?;
    let mut locations = listeners.locations()?;
    let mut summary = String::new();
    if let Some(tls) = &listen.tls {
        summary = format!(" ({})", tls.summary());
        for location in &mut locations {
            if let Some(addr) = location.strip_prefix("tcp://") {
                *location = format!("tls://{addr}");
            }
        }
    }
    for location in &locations {
        crate::log::line(format_args!(
            "netlab connect: listening on {location}{summary}"
        ));
    }
    crate::explain::release();
    say(&warnings);
    let mut listeners = Some(listeners);
    while let Some(open) = &listeners {
        let (stream, peer) = match open.accept() {
            Ok(accepted) => accepted,
            Err(err) if passing(&err) => continue,
            Err(err) => return Err(anyhow::Error::new(err).context("accept")),
        };
        if let Peer::Tcp(addr) = peer
            && !listen.access.admits(addr.ip())
        {
            listen.access.refused(&peer);
            let _ = stream.reset_on_close();
            continue;
        }
        if !listen.keep_open {
            // One client: anyone after it is refused by the kernel, not left waiting.
            listeners = None;
        }
        crate::info!("netlab connect: connection from {peer}");
        let served = secure(stream, &peer, listen.tls.as_ref())
            .and_then(|stream| session::run(stream, options));
        match served {
            Err(err) if listen.keep_open => crate::warn!("{peer}: {err:#}"),
            Err(err) => return Err(err),
            Ok(()) if listen.keep_open => {
                crate::info!("netlab connect: {peer} left; waiting for the next client")
            }
            Ok(()) => {}
        }
    }
    Ok(())
}

fn say(warnings: &[String]) {
    for warning in warnings {
        crate::warn!("{warning}");
    }
}

/// Errors of one connection that was never taken: accept again.
fn passing(err: &io::Error) -> bool {
    matches!(
        err.raw_os_error(),
        Some(nix::libc::ECONNABORTED | nix::libc::EINTR | nix::libc::EPROTO)
    )
}

/// With TLS, the client's handshake, within the servers' default handshake time.
fn secure(
    stream: Stream,
    peer: &Peer,
    tls: Option<&net::tls::ServerTls>,
) -> anyhow::Result<Stream> {
    let Some(tls) = tls else {
        return Ok(stream);
    };
    let Stream::Tcp(socket) = stream else {
        return Ok(stream);
    };
    let stream = tls.accept(socket).context("TLS")?;
    if let Some(session) = stream.tls() {
        session.handshake(tls.handshake_timeout).map_err(|err| {
            Code::Tls.error(format!("TLS with {peer}: {}", net::error_text(&err)))
        })?;
        crate::debug!("netlab connect: TLS: {}", session.describe());
    }
    Ok(stream)
}

/// A Unix socket to listen on; a path already there is never removed (it may be another
/// server's, or not a socket at all).
fn bind_unix(path: &std::path::Path) -> anyhow::Result<UnixListener> {
    UnixListener::bind(path).map_err(|err| {
        let why = match err.kind() {
            io::ErrorKind::AddrInUse => "the path exists (remove it if no server uses it)".into(),
            _ => net::error_text(&err),
        };
        Code::Usage.error(format!("listen on {}: {why}", path.display()))
    })
}

/// The socket file `-l --unix` made, removed when it is done.
struct SocketFile(PathBuf);

impl Drop for SocketFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
