//! `connect -z HOST:PORT[-PORT]`: which ports accept a connection. Each open port is printed on
//! stdout (`127.0.0.1:8001 open`); closed ones are reported with `-v`. Ports are tried in
//! parallel (a bounded number at once) and reported in order. Exit 0 if any port is open.

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::ops::RangeInclusive;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use super::{Options, addresses, explain};

/// Ports tried at the same time.
const PARALLEL: usize = 64;

pub fn run(host: &str, ports: RangeInclusive<u16>, options: &Options) -> anyhow::Result<()> {
    let ips: Vec<std::net::IpAddr> = addresses(host, *ports.start(), options.family)?
        .into_iter()
        .map(|addr| addr.ip())
        .collect();
    let list: Vec<u16> = ports.clone().collect();
    let mut results: Vec<Option<Result<SocketAddr, String>>> = vec![None; list.len()];
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
                    let _ = tx.send((i, try_port(ips, port, options)));
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
    for (port, result) in list.iter().zip(results) {
        let shown = shown(host, *port);
        match result {
            Some(Ok(addr)) => {
                open += 1;
                if host.parse::<std::net::IpAddr>().is_ok() {
                    writeln!(out, "{shown} open")?;
                } else {
                    writeln!(out, "{shown} open ({})", addr.ip())?;
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
fn try_port(ips: &[std::net::IpAddr], port: u16, options: &Options) -> Result<SocketAddr, String> {
    let mut why = String::new();
    for ip in ips {
        let addr = SocketAddr::new(*ip, port);
        match TcpStream::connect_timeout(&addr, options.timeout) {
            Ok(_) => return Ok(addr),
            Err(err) => why = explain(&err, options.timeout),
        }
    }
    Err(why)
}

fn shown(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}
