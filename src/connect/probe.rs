//! `connect -z HOST:PORT[-PORT]`: which ports accept a connection. Each open port is printed on
//! stdout (`127.0.0.1:8001 open`); closed ones are reported with `-v`. Ports are tried in
//! parallel (a bounded number at once) and reported in order. Exit 0 if any port is open.
//! With `--tls`, each open port is also asked for a TLS handshake, and the line says what it
//! agreed on (`127.0.0.1:8443 open, TLSv1.3 …; certificate CN=…`) or why it failed; then exit 0
//! if any handshake succeeded, else the last failure's code (35, or 60 for a certificate).

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::ops::RangeInclusive;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use super::{Options, TlsClient, addresses, explain};
use crate::net;

/// Ports tried at the same time.
const PARALLEL: usize = 64;

/// What an open port said to a TLS handshake: what it agreed on, or why it failed.
type Handshake = Result<String, anyhow::Error>;

/// A port: the address that took the connection (and its handshake), or why none did.
type Tried = Result<(SocketAddr, Option<Handshake>), String>;

pub fn run(
    host: &str,
    ports: RangeInclusive<u16>,
    tls: Option<&TlsClient>,
    options: &Options,
) -> anyhow::Result<()> {
    if let Some(via) = &options.proxy {
        return super::proxy::probe(via, host, ports, tls, options);
    }
    let ips: Vec<std::net::IpAddr> = addresses(host, *ports.start(), options.family)?
        .into_iter()
        .map(|addr| addr.ip())
        .collect();
    let list: Vec<u16> = ports.clone().collect();
    let mut results: Vec<Option<Tried>> =
        std::iter::repeat_with(|| None).take(list.len()).collect();
    let next = AtomicUsize::new(0);
    let (tx, rx) = mpsc::channel();
    std::thread::scope(|scope| {
        for _ in 0..PARALLEL.min(list.len()) {
            let tx = tx.clone();
            let (next, list, ips) = (&next, &list, &ips);
            scope.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&port) = list.get(i) else { break };
                    let _ = tx.send((i, try_port(ips, port, tls, options)));
                }
            });
        }
        drop(tx);
        for (i, result) in rx {
            results[i] = Some(result);
        }
    });

    let mut out = std::io::stdout().lock();
    let mut open = 0;
    let mut last_reason = String::new();
    let mut shook = 0;
    let mut last_tls: Option<anyhow::Error> = None;
    for (port, result) in list.iter().zip(results) {
        let shown = shown(host, *port);
        match result {
            Some(Ok((addr, handshake))) => {
                open += 1;
                let tls = match handshake {
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
                if host.parse::<std::net::IpAddr>().is_ok() {
                    writeln!(out, "{shown} open{tls}")?;
                } else {
                    writeln!(out, "{shown} open ({}){tls}", addr.ip())?;
                }
            }
            Some(Err(why)) => {
                crate::debug!("netlab connect: {shown} closed: {why}");
                last_reason = why;
            }
            None => {}
        }
    }
    out.flush()?;
    if let Some(err) = last_tls.filter(|_| shook == 0) {
        return Err(err);
    }
    if open > 0 {
        return Ok(());
    }
    if ports.start() == ports.end() {
        anyhow::bail!("connect {}: {last_reason}", shown(host, *ports.start()));
    }
    anyhow::bail!(
        "no port open on {host} in {}-{}",
        ports.start(),
        ports.end()
    )
}

/// The first address of the host that accepts a connection on `port`.
fn try_port(
    ips: &[std::net::IpAddr],
    port: u16,
    tls: Option<&TlsClient>,
    options: &Options,
) -> Tried {
    let mut why = String::new();
    for ip in ips {
        let addr = SocketAddr::new(*ip, port);
        match TcpStream::connect_timeout(&addr, options.timeout) {
            Ok(socket) => {
                let handshake = tls.map(|tls| handshake(socket, &addr.to_string(), tls, options));
                return Ok((addr, handshake));
            }
            Err(err) => why = explain(&err, options.timeout),
        }
    }
    Err(why)
}

/// A TLS handshake on the port just opened, within the connect timeout.
pub(super) fn handshake(
    socket: TcpStream,
    authority: &str,
    tls: &TlsClient,
    options: &Options,
) -> Handshake {
    let asked = tls.name.to_str().into_owned();
    let session = net::tls::Tls::client(&tls.config, tls.name.clone(), socket)
        .map_err(|err| anyhow::anyhow!("{}", net::error_text(&err)))?;
    if let Err(err) = session.handshake(options.timeout) {
        let certs = session.peer_certificates();
        return Err(net::tls::handshake_failure(
            &err, &asked, authority, &certs, tls.hint,
        ));
    }
    let subject = session
        .peer_certificates()
        .first()
        .and_then(|cert| net::tls::names_of(cert))
        .map(|(subject, _)| format!("; certificate {subject}"))
        .unwrap_or_default();
    Ok(format!("{}{subject}", session.describe()))
}

fn shown(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}
