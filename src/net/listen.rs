//! Binding: TCP listeners and UDP sockets, dual-stack for `::`, with bind errors turned into
//! advice; and a `--host` name (`localhost`) bound on every address it resolves to, on one port,
//! as `nc -l localhost` and Python's `--bind localhost` do.

use std::io;
use std::net::{IpAddr, SocketAddr, TcpListener, UdpSocket};

use anyhow::Context;
use socket2::{Domain, Protocol, Socket, Type};

/// Bind and listen on a TCP address. `::` is dual-stack (IPv6 and IPv4-mapped), as users expect
/// of "all interfaces"; `SO_REUSEADDR` lets a restarted server rebind at once.
pub fn listen_tcp(host: IpAddr, port: u16, backlog: u32) -> anyhow::Result<TcpListener> {
    let addr = SocketAddr::new(host, port);
    let socket = bound(addr, Type::STREAM, Protocol::TCP)?;
    let backlog = backlog.min(i32::MAX as u32) as i32;
    let listened = socket.listen(backlog);
    crate::explain::listen(&socket, backlog, &listened);
    listened.with_context(|| format!("listen on {addr}"))?;
    Ok(socket.into())
}

/// The addresses a server's `--host` means: an address as it is, a name resolved (every
/// address, in the resolver's order). A name that does not resolve is bad input (exit 2).
pub fn resolve_host(host: &str, port: u16) -> anyhow::Result<Vec<SocketAddr>> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    super::resolve(host, port)
        .map_err(|err| crate::exit::Code::Usage.wrap(err))
        .context("--host")
}

/// Listen on every address, on one port: with port 0, the one the first bind got. An address
/// that cannot be bound is skipped as long as one binds — the second value holds a warning for
/// each, for the caller to print after its `listening on` lines; the first failure is the
/// error when none binds. Should port 0's pick be taken on a later address, another port is
/// tried (a few times).
pub fn listen_tcp_all(
    addrs: &[SocketAddr],
    backlog: u32,
) -> anyhow::Result<(Vec<TcpListener>, Vec<String>)> {
    const TRIES: usize = 8;
    let mut tries = 0;
    'again: loop {
        tries += 1;
        let mut listeners: Vec<TcpListener> = Vec::with_capacity(addrs.len());
        let mut skipped = Vec::new();
        for addr in addrs {
            let mut addr = *addr;
            if let Some(first) = listeners.first() {
                addr.set_port(first.local_addr().context("local address")?.port());
            }
            match listen_tcp(addr.ip(), addr.port(), backlog) {
                Ok(listener) => listeners.push(listener),
                Err(err) => {
                    let picked = !listeners.is_empty() && addrs[0].port() == 0;
                    if picked && in_use(&err) && tries < TRIES {
                        continue 'again;
                    }
                    skipped.push((addr, err));
                }
            }
        }
        if listeners.is_empty() {
            let (_, err) = skipped.swap_remove(0);
            return Err(err);
        }
        let warnings = skipped
            .iter()
            .map(|(addr, err)| format!("not listening on {addr}: {err:#}"))
            .collect();
        return Ok((listeners, warnings));
    }
}

/// Whether a bind failed because the port is taken (as [`explain_bind`] words it).
fn in_use(err: &anyhow::Error) -> bool {
    err.chain()
        .any(|cause| cause.to_string().starts_with("address in use"))
}

/// Bind a UDP socket on the first of `addrs` that binds (UDP serves one socket); the others
/// are named in a warning, for the caller to print after its `listening on` line.
pub fn bind_udp_first(addrs: &[SocketAddr]) -> anyhow::Result<(UdpSocket, Vec<String>)> {
    let mut first_error = None;
    for (n, addr) in addrs.iter().enumerate() {
        match bind_udp(addr.ip(), addr.port()) {
            Ok(socket) => {
                let others: Vec<String> = addrs
                    .iter()
                    .enumerate()
                    .filter(|(m, _)| *m != n)
                    .map(|(_, other)| other.ip().to_string())
                    .collect();
                let mut warnings = Vec::new();
                if !others.is_empty() {
                    warnings.push(format!(
                        "--udp listens on one address: {} (not {})",
                        addr.ip(),
                        others.join(", ")
                    ));
                }
                return Ok((socket, warnings));
            }
            Err(err) => {
                first_error.get_or_insert(err);
            }
        }
    }
    Err(first_error.unwrap_or_else(|| anyhow::anyhow!("no address to bind")))
}

/// Bind a UDP socket (dual-stack for `::`).
pub fn bind_udp(host: IpAddr, port: u16) -> anyhow::Result<UdpSocket> {
    Ok(bound(SocketAddr::new(host, port), Type::DGRAM, Protocol::UDP)?.into())
}

/// A socket bound to `addr`: dual-stack when it is `::`, and free to rebind at once.
fn bound(addr: SocketAddr, kind: Type, protocol: Protocol) -> anyhow::Result<Socket> {
    let socket =
        Socket::new(Domain::for_address(addr), kind, Some(protocol)).context("create socket")?;
    crate::explain::socket(&socket, addr, kind == Type::STREAM);
    if kind == Type::STREAM {
        socket.set_reuse_address(true)?;
        crate::explain::reuse_addr(&socket);
    }
    if addr.is_ipv6() {
        // Dual-stack only for the unspecified address; a specific v6 address is v6 only anyway.
        socket.set_only_v6(!addr.ip().is_unspecified())?;
    }
    let bound = socket.bind(&addr.into());
    crate::explain::bind(&socket, addr, &bound);
    bound
        .map_err(|err| explain_bind(err, addr))
        .with_context(|| format!("bind {addr}"))?;
    Ok(socket)
}

/// Turn the usual bind failures into advice.
fn explain_bind(err: io::Error, addr: SocketAddr) -> anyhow::Error {
    let hint = match err.kind() {
        io::ErrorKind::AddrInUse => Some(format!(
            "address in use (another server on port {}? try --port 0)",
            addr.port()
        )),
        io::ErrorKind::PermissionDenied if addr.port() < 1024 => Some(format!(
            "permission denied (port {} needs root or CAP_NET_BIND_SERVICE; try a port above 1023)",
            addr.port()
        )),
        io::ErrorKind::AddrNotAvailable => {
            Some(format!("{} is not an address of this machine", addr.ip()))
        }
        _ => None,
    };
    match hint {
        Some(hint) => anyhow::anyhow!(hint),
        None => err.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_address_on_one_port() {
        let addrs: Vec<SocketAddr> =
            vec!["[::1]:0".parse().unwrap(), "127.0.0.1:0".parse().unwrap()];
        let (listeners, _) = listen_tcp_all(&addrs, 16).unwrap();
        let ports: Vec<u16> = listeners
            .iter()
            .map(|l| l.local_addr().unwrap().port())
            .collect();
        assert!(ports.iter().all(|p| *p == ports[0] && *p != 0), "{ports:?}");
    }

    #[test]
    fn an_address_that_cannot_bind_is_skipped() {
        let Ok(taken) = std::net::TcpListener::bind("[::1]:0") else {
            eprintln!("skipped: no IPv6 loopback here");
            return;
        };
        let busy = taken.local_addr().unwrap();
        let free = SocketAddr::new("127.0.0.1".parse().unwrap(), busy.port());
        let (listeners, warnings) = listen_tcp_all(&[busy, free], 16).unwrap();
        assert_eq!(listeners.len(), 1);
        assert!(warnings[0].contains("address in use"), "{warnings:?}");
        assert_eq!(listeners[0].local_addr().unwrap(), free);
        let err = listen_tcp_all(&[busy], 16).unwrap_err();
        assert!(format!("{err:#}").contains("address in use"), "{err:#}");
    }

    #[test]
    fn dual_stack_listener_takes_ipv4() {
        let Ok(listener) = listen_tcp("::".parse().unwrap(), 0, 16) else {
            eprintln!("skipped: no IPv6 on this machine");
            return;
        };
        let port = listener.local_addr().unwrap().port();
        assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
    }
}
