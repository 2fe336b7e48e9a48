//! `serve --forward TARGET`: a relay (socat's `TCP-LISTEN,fork TCP:…`). Each client gets a
//! connection of its own to the target — TCP, a Unix socket, or TLS over TCP with
//! `--forward-tls`, verified as `connect --tls` verifies — and the bytes are copied both ways
//! until both directions are done, each half-close passed on as it comes ([`pump`]). With
//! serve's own `--tls`, the relay terminates TLS in front of a plain server.
//!
//! A target that cannot be reached costs its client only: the client is closed (a reset, so it
//! sees a failure rather than an empty answer), the log says why, and the server goes on.

mod pump;

use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::cli::{Model, ServeArgs};
use crate::exit::Code;
use crate::log::Flood;
use crate::net::{self, HumanBytes, Peer, Stream};

use super::Context;

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
        if args.model == Model::Poll {
            return Err(Code::Usage.error(
                "--forward is not available in --model poll yet: the relay copies each \
                 direction with blocking splice(2) calls, which the one-thread event loop cannot \
                 wait in (use --model thread, pool, serial or fork)",
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
            Err(why) => {
                crate::warn!("{peer}: closed: target {}: {why:#}", self.name);
                let _ = client.reset_on_close();
                return;
            }
        };
        let done = pump::relay(&client, &target, ctx.idle, ctx.stats);
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
        let end = match done.end {
            pump::End::Both => String::new(),
            pump::End::Idle => format!("; closed: idle for {}", net::format_duration(ctx.idle)),
            pump::End::Failed(why) => format!("; {why}"),
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
        let (host, port) = match &self.target {
            Target::Unix(path) => {
                let socket = std::os::unix::net::UnixStream::connect(path)
                    .map_err(|err| anyhow::anyhow!("connect: {}", net::error_text(&err)))?;
                return Ok(Stream::Unix(socket));
            }
            Target::Tcp { host, port } => (host, *port),
        };
        let mut last = None;
        let mut socket = None;
        for addr in net::resolve(host, port)? {
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
            (None, Some((addr, err))) => anyhow::bail!(net::failure::connect_failure(
                addr,
                &err,
                CONNECT_TIMEOUT,
                "the target"
            )),
            (None, None) => anyhow::bail!("resolve {host}: no address found"),
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
