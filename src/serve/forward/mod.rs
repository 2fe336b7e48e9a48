//! `serve --forward TARGET`: a relay (socat's `TCP-LISTEN,fork TCP:…`). Each client gets a
//! connection of its own to the target — TCP, a Unix socket, or TLS over TCP with
//! `--forward-tls`, verified as `connect --tls` verifies — and the bytes are copied both ways
//! until both directions are done, each half-close passed on as it comes ([`pump`]). With
//! serve's own `--tls`, the relay terminates TLS in front of a plain server.
//!
//! A target that cannot be reached costs its client only: the client is closed (a reset, so it
//! sees a failure rather than an empty answer), the log says why, and the server goes on.

mod pump;

use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::cli::{Model, ServeArgs};
use crate::exit::Code;
use crate::log::Flood;
use crate::net::{self, HumanBytes, Peer, Stream};

use super::Context;

pub(in crate::serve) use pump::{Done, End};

/// How long the connection to the target (and its TLS handshake) may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The relay's settings, checked at start.
#[derive(Debug)]
pub struct Forward {
    target: Target,
    /// The target as given, for the log lines.
    name: String,
    tls: Option<TlsTarget>,
}

#[derive(Debug)]
enum Target {
    /// A name or address, resolved for each client (so a name that moves is followed).
    Tcp {
        host: String,
        port: u16,
    },
    Unix(PathBuf),
}

/// `--forward-tls`: what each connection's client session is made with.
#[derive(Debug)]
struct TlsTarget {
    config: Arc<rustls::ClientConfig>,
    name: rustls::pki_types::ServerName<'static>,
    /// What to do about a certificate not trusted, in serve's flags.
    hint: String,
    presented: net::tls::Presented,
}

/// The per-connection lines, bounded under load as the `connection from` lines are.
static LOGGED: Flood = Flood::new();

impl Forward {
    /// `--forward TARGET` and the flags that go with it; a bad target or a transport or model
    /// the relay does not go with is a usage error (exit 2), before any socket opens.
    pub fn from_args(target: &str, args: &ServeArgs) -> anyhow::Result<Forward> {
        if args.udp {
            return Err(Code::Usage.error(
                "--forward relays stream connections: it does not go with --udp (a datagram \
                 has no connection to relay)",
            ));
        }
        let tls_front = args.tls.tls || args.tls.tls_cert.is_some();
        if args.model == Model::Poll && (tls_front || args.forward_tls) {
            return Err(Code::Usage.error(
                "--forward with --tls or --forward-tls is not available in --model poll yet: \
                 its relay copies between plain sockets only (use --model thread, pool, serial \
                 or fork)",
            ));
        }
        let parsed = parse_target(target)
            .map_err(|why| Code::Usage.error(format!("--forward {target}: {why}")))?;
        let tls = match (&parsed, args.forward_tls) {
            (_, false) => None,
            (Target::Unix(_), true) => {
                return Err(Code::Usage.error(
                    "--forward-tls speaks TLS over TCP: it does not go with a unix: target",
                ));
            }
            (Target::Tcp { host, .. }, true) => {
                let (trust, hint) = net::tls::Trust::from_flags(
                    args.forward_cacert.as_deref(),
                    args.forward_insecure,
                )?;
                let name = net::tls::server_name(None, host)?;
                let (config, presented) = net::tls::client_config(trust, Vec::new(), None)?;
                Some(TlsTarget {
                    config,
                    name,
                    hint: hint
                        .replace("--cacert", "--forward-cacert")
                        .replace("--insecure", "--forward-insecure"),
                    presented,
                })
            }
        };
        Ok(Forward {
            target: parsed,
            name: target.to_string(),
            tls,
        })
    }

    /// Relay one client (its TLS handshake, if any, done) to the target, to the end, and log
    /// what went each way.
    pub(in crate::serve) fn relay(&self, ctx: &Context, client: Stream, peer: &Peer) {
        let target = match self.open() {
            Ok(target) => target,
            Err(why) => return self.unreachable(&client, peer, &why),
        };
        let done = pump::relay(&client, &target, ctx.idle, ctx.stats);
        self.log_done(peer, &done, ctx.idle);
    }

    /// The target could not be reached: say why and close the client (a reset, so it sees a
    /// failure rather than an empty answer).
    pub(in crate::serve) fn unreachable(&self, client: &Stream, peer: &Peer, why: &anyhow::Error) {
        crate::warn!("{peer}: closed: target {}: {why:#}", self.name);
        let _ = client.reset_on_close();
    }

    /// The connection's line: bytes each way and how it ended.
    pub(in crate::serve) fn log_done(&self, peer: &Peer, done: &Done, idle: Duration) {
        if !crate::log::enabled() {
            return;
        }
        let Some(skipped) = LOGGED.admit() else {
            return;
        };
        if skipped > 0 {
            crate::log::line(format_args!(
                "netlab serve: … and {} more forwarded connections",
                net::Count(skipped)
            ));
        }
        let end = match &done.end {
            End::Both => String::new(),
            End::Idle => format!("; closed: idle for {}", net::format_duration(idle)),
            End::Failed(why) => format!("; {why}"),
        };
        crate::log::line(format_args!(
            "netlab serve: {peer}: forwarded {} → {name}, {} ← {name}{end}",
            HumanBytes(done.up),
            HumanBytes(done.down),
            name = self.name,
        ));
    }

    /// Connect to the target (each address a name resolves to in turn), and shake hands over
    /// TLS when asked to.
    fn open(&self) -> anyhow::Result<Stream> {
        let addrs = match self.destination()? {
            Destination::Unix(path) => {
                let socket = std::os::unix::net::UnixStream::connect(path)
                    .map_err(|err| connect_error(None, &err))?;
                return Ok(Stream::Unix(socket));
            }
            Destination::Tcp(addrs) => addrs,
        };
        let mut last = None;
        let mut socket = None;
        for addr in addrs {
            match TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT) {
                Ok(connected) => {
                    socket = Some(connected);
                    break;
                }
                Err(err) => last = Some((addr, err)),
            }
        }
        let socket = match (socket, last) {
            (Some(socket), _) => socket,
            (None, Some((addr, err))) => return Err(connect_error(Some(addr), &err)),
            (None, None) => unreachable!("destination() gives at least one address"),
        };
        let Some(tls) = &self.tls else {
            return Ok(Stream::Tcp(socket));
        };
        let session = net::tls::Tls::client(&tls.config, tls.name.clone(), socket)?;
        if let Err(err) = session.handshake(CONNECT_TIMEOUT) {
            let mut certs = session.peer_certificates();
            if certs.is_empty() {
                certs.extend(net::lock(&tls.presented).take());
            }
            let asked = tls.name.to_str().into_owned();
            return Err(net::tls::handshake_failure(
                &err, &asked, &self.name, &certs, &tls.hint,
            ));
        }
        Ok(Stream::Tls(Arc::new(session)))
    }
}

/// Where a client's connection to the target goes, resolved now.
pub(in crate::serve) enum Destination<'a> {
    /// Every address the name resolves to (at least one), to try in turn.
    Tcp(Vec<SocketAddr>),
    Unix(&'a Path),
}

impl Forward {
    /// The target's addresses, resolved for this client.
    pub(in crate::serve) fn destination(&self) -> anyhow::Result<Destination<'_>> {
        match &self.target {
            Target::Unix(path) => Ok(Destination::Unix(path)),
            Target::Tcp { host, port } => {
                let addrs = net::resolve(host, *port)?;
                anyhow::ensure!(!addrs.is_empty(), "resolve {host}: no address found");
                Ok(Destination::Tcp(addrs))
            }
        }
    }
}

/// A connect to the target that failed (`addr`: the TCP address tried last), in words.
pub(in crate::serve) fn connect_error(
    addr: Option<SocketAddr>,
    err: &std::io::Error,
) -> anyhow::Error {
    match addr {
        Some(addr) => anyhow::anyhow!(net::failure::connect_failure(
            addr,
            err,
            CONNECT_TIMEOUT,
            "the target"
        )),
        None => anyhow::anyhow!("connect: {}", net::error_text(err)),
    }
}

/// `HOST:PORT`, `[v6]:PORT` or `unix:PATH`; the error is a sentence for the user.
fn parse_target(text: &str) -> Result<Target, String> {
    if let Some(path) = text.strip_prefix("unix:") {
        if path.is_empty() {
            return Err("`unix:` needs a path (unix:/run/app.sock)".into());
        }
        return Ok(Target::Unix(PathBuf::from(path)));
    }
    let split = net::split_host_port(text, None)?;
    let port = net::parse_port(&split.port)?;
    Ok(Target::Tcp {
        host: split.host,
        port,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse_or_say_why() {
        assert!(matches!(
            parse_target("127.0.0.1:9000"),
            Ok(Target::Tcp { port: 9000, .. })
        ));
        assert!(matches!(
            parse_target("[::1]:80"),
            Ok(Target::Tcp { ref host, port: 80 }) if host == "::1"
        ));
        assert!(matches!(parse_target("unix:/tmp/x"), Ok(Target::Unix(_))));
        assert!(parse_target("nope").unwrap_err().contains("no port"));
        assert!(parse_target("host:0").is_err());
        assert!(parse_target("host:http").is_err());
        assert!(parse_target("unix:").is_err());
    }
}
