//! `connect --proxy URL`: the flags checked into a [`Proxy`], and the tunnel opened — reach the
//! proxy (exit 7 when it cannot be reached), ask it for the target (exit 97 when it says no, with
//! its reason), then hand the socket on as if it were connected to the target itself, so `--tls`
//! runs through the tunnel. `-z` asks the proxy for each port in turn.
//!
//! The proxy environment variables (`ALL_PROXY` …) are not read: ncat does not read them either,
//! and a raw TCP client that an environment set up for web browsing silently sends elsewhere would
//! surprise a netcat user more than it helps.

use std::io::Write;
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::ops::RangeInclusive;

use super::probe::handshake;
use super::{Options, TlsClient, addresses, explain, shown_target};
use crate::cli::ConnectArgs;
use crate::exit::Code;
use crate::net;
use crate::net::proxy::{self, Failure, Kind, Proxy, Target};

/// `--proxy` and `--proxy-auth`, checked (exit 2 for a bad URL or a flag it does not go with).
pub fn from_args(args: &ConnectArgs) -> anyhow::Result<Option<Proxy>> {
    let Some(text) = args.proxy.as_deref() else {
        return Ok(None);
    };
    if args.udp {
        return Err(Code::Usage.error(
            "--proxy tunnels a TCP connection: it does not go with --udp (SOCKS5's UDP relay is \
             not supported)",
        ));
    }
    if args.unix.is_some() {
        return Err(Code::Usage
            .error("--proxy reaches a HOST:PORT through the proxy: it does not go with --unix"));
    }
    Proxy::parse(text, args.proxy_auth.as_deref())
        .map(Some)
        .map_err(|err| Code::Usage.error(format!("--proxy {err}")))
}

/// A socket to `host:port` through the proxy, ready for the session (or a TLS handshake).
pub fn open(proxy: &Proxy, host: &str, port: u16, options: &Options) -> anyhow::Result<TcpStream> {
    say_which(proxy);
    match attempt(proxy, host, port, options)? {
        Ok(socket) => Ok(socket),
        Err((target, failure)) => Err(refusal(proxy, &target, failure, options)),
    }
}

/// `-v`: which proxy, and as whom.
fn say_which(proxy: &Proxy) {
    let user = proxy
        .credentials
        .as_ref()
        .map(|c| format!(" as {:?}", c.user))
        .unwrap_or_default();
    crate::debug!("netlab connect: via proxy {}{user}", proxy.shown());
}

/// A tunnel to `host:port`, or what the proxy said to the last target asked for. The outer
/// error ends the run (the proxy cannot be reached, the name does not resolve).
fn attempt<'a>(
    proxy: &Proxy,
    host: &'a str,
    port: u16,
    options: &Options,
) -> anyhow::Result<Result<TcpStream, (Target<'a>, Failure)>> {
    let targets = targets(proxy, host, port, options)?;
    let count = targets.len();
    for (i, target) in targets.into_iter().enumerate() {
        match tunnel(proxy, &target, options)? {
            Ok(socket) => return Ok(Ok(socket)),
            Err(Failure::Refused {
                reason,
                target_side: true,
            }) if i + 1 < count => {
                // Another address of the target may answer, as connect tries each one.
                crate::debug!("netlab connect: proxy: {target}: {reason}");
            }
            Err(failure) => return Ok(Err((target, failure))),
        }
    }
    anyhow::bail!(
        "connect {}: no address to try",
        proxy::authority(host, port)
    )
}

/// What the proxy is asked for: the addresses looked up here (socks5://), else the name as typed.
fn targets<'a>(
    proxy: &Proxy,
    host: &'a str,
    port: u16,
    options: &Options,
) -> anyhow::Result<Vec<Target<'a>>> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![Target::Addr(SocketAddr::new(ip, port))]);
    }
    Ok(match proxy.kind {
        Kind::Socks5 => addresses(host, port, options.family)?
            .into_iter()
            .map(Target::Addr)
            .collect(),
        Kind::Socks5h | Kind::Http => vec![Target::Name(host, port)],
    })
}

/// One connection to the proxy and one handshake; the outer error ends the run (the proxy
/// cannot be reached), the inner one says why this tunnel did not open.
fn tunnel(
    proxy: &Proxy,
    target: &Target<'_>,
    options: &Options,
) -> anyhow::Result<Result<TcpStream, Failure>> {
    let mut socket = reach(proxy, options)?;
    crate::debug!("netlab connect: asking the proxy for {target}");
    let limit = Some(options.timeout);
    socket.set_read_timeout(limit)?;
    socket.set_write_timeout(limit)?;
    let credentials = proxy.credentials.as_ref();
    let answer = match proxy.kind {
        Kind::Http => proxy::http::handshake(&mut socket, credentials, target),
        Kind::Socks5 | Kind::Socks5h => proxy::socks5::handshake(&mut socket, credentials, target),
    };
    Ok(match answer {
        Ok(said) => {
            crate::debug!("netlab connect: proxy answered: {said}");
            socket.set_read_timeout(None)?;
            socket.set_write_timeout(None)?;
            Ok(socket)
        }
        Err(failure) => Err(failure),
    })
}

/// A TCP connection to the proxy itself, trying each of its addresses.
fn reach(proxy: &Proxy, options: &Options) -> anyhow::Result<TcpStream> {
    let addrs = addresses(&proxy.host, proxy.port, options.family)
        .map_err(|err| Code::Resolve.wrap(err.context(format!("the proxy {}", proxy.shown()))))?;
    let mut why = String::new();
    for addr in &addrs {
        match TcpStream::connect_timeout(addr, options.timeout) {
            Ok(socket) => {
                match socket.local_addr() {
                    Ok(local) => {
                        crate::debug!("netlab connect: connected to the proxy {addr} from {local}")
                    }
                    Err(_) => crate::debug!("netlab connect: connected to the proxy {addr}"),
                }
                return Ok(socket);
            }
            Err(err) => {
                why = explain(&err, options.timeout);
                crate::debug!("netlab connect: proxy {addr}: {why}");
            }
        }
    }
    let shown = shown_target(&proxy.host, proxy.port, &addrs);
    Err(Code::Connect.error(format!(
        "connect to the proxy {shown} ({}): {why}",
        proxy.kind.scheme()
    )))
}

/// A tunnel that did not open, as one line with exit 97.
fn refusal(
    proxy: &Proxy,
    target: &Target<'_>,
    failure: Failure,
    options: &Options,
) -> anyhow::Error {
    Code::Proxy.error(refusal_text(proxy, target, failure, options))
}

fn refusal_text(proxy: &Proxy, target: &Target<'_>, failure: Failure, options: &Options) -> String {
    let why = match failure {
        Failure::Refused { reason, .. } | Failure::Garbled(reason) => reason,
        Failure::Io(err) if net::is_timeout(&err) => format!(
            "the proxy did not answer within {} (see --timeout)",
            net::format_duration(options.timeout)
        ),
        Failure::Io(err) => format!("talking to the proxy: {}", net::error_text(&err)),
    };
    format!(
        "connect {target} through the proxy {}: {why}",
        proxy.shown()
    )
}

/// `connect -z --proxy`: ask the proxy for each port in turn; a port is open when the proxy
/// opened the tunnel (and, with --tls, what the handshake through it agreed on), closed when the
/// target refused. A proxy that cannot be reached, or that refuses us rather than the target,
/// ends the probe with its own code. Exit as a direct probe does.
pub fn probe(
    proxy: &Proxy,
    host: &str,
    ports: RangeInclusive<u16>,
    tls: Option<&TlsClient>,
    options: &Options,
) -> anyhow::Result<()> {
    say_which(proxy);
    let mut out = std::io::stdout().lock();
    let (mut open, mut shook) = (0, 0);
    let mut last = None;
    let mut last_tls = None;
    for port in ports.clone() {
        let shown = proxy::authority(host, port);
        match attempt(proxy, host, port, options)? {
            Ok(socket) => {
                open += 1;
                let agreed = match tls.map(|tls| handshake(socket, &shown, tls, options)) {
                    None => String::new(),
                    Some(Ok(agreed)) => {
                        shook += 1;
                        format!(", {agreed}")
                    }
                    Some(Err(err)) => {
                        let line = format!(", TLS failed: {err:#}");
                        last_tls = Some(err);
                        line
                    }
                };
                writeln!(out, "{shown} open{agreed}")?;
            }
            Err((
                target,
                failure @ Failure::Refused {
                    target_side: true, ..
                },
            )) => {
                // A closed port: exit 1, as a direct probe says so.
                let why = refusal_text(proxy, &target, failure, options);
                crate::debug!("netlab connect: {shown} closed: {why}");
                last = Some(anyhow::anyhow!(why));
            }
            Err((target, failure)) => return Err(refusal(proxy, &target, failure, options)),
        }
    }
    out.flush()?;
    if let Some(err) = last_tls.filter(|_| shook == 0) {
        return Err(err);
    }
    match last {
        _ if open > 0 => Ok(()),
        Some(err) if ports.start() == ports.end() => Err(err),
        _ => anyhow::bail!(
            "no port open on {host} in {}-{} through the proxy {}",
            ports.start(),
            ports.end(),
            proxy.shown()
        ),
    }
}
