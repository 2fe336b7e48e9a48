//! Binding: TCP listeners and UDP sockets, dual-stack for `::`, with bind errors turned into
//! advice.

use std::io;
use std::net::{IpAddr, SocketAddr, TcpListener, UdpSocket};

use anyhow::Context;
use socket2::{Domain, Protocol, Socket, Type};

/// Bind and listen on a TCP address. `::` is dual-stack (IPv6 and IPv4-mapped), as users expect
/// of "all interfaces"; `SO_REUSEADDR` lets a restarted server rebind at once.
pub fn listen_tcp(host: IpAddr, port: u16, backlog: u32) -> anyhow::Result<TcpListener> {
    let addr = SocketAddr::new(host, port);
    let socket = bound(addr, Type::STREAM, Protocol::TCP)?;
    socket
        .listen(backlog.min(i32::MAX as u32) as i32)
        .with_context(|| format!("listen on {addr}"))?;
    Ok(socket.into())
}

/// Bind a UDP socket (dual-stack for `::`).
pub fn bind_udp(host: IpAddr, port: u16) -> anyhow::Result<UdpSocket> {
    Ok(bound(SocketAddr::new(host, port), Type::DGRAM, Protocol::UDP)?.into())
}

/// A socket bound to `addr`: dual-stack when it is `::`, and free to rebind at once.
fn bound(addr: SocketAddr, kind: Type, protocol: Protocol) -> anyhow::Result<Socket> {
    let socket =
        Socket::new(Domain::for_address(addr), kind, Some(protocol)).context("create socket")?;
    if kind == Type::STREAM {
        socket.set_reuse_address(true)?;
    }
    if addr.is_ipv6() {
        // Dual-stack only for the unspecified address; a specific v6 address is v6 only anyway.
        socket.set_only_v6(!addr.ip().is_unspecified())?;
    }
    socket
        .bind(&addr.into())
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
    fn dual_stack_listener_takes_ipv4() {
        let Ok(listener) = listen_tcp("::".parse().unwrap(), 0, 16) else {
            eprintln!("skipped: no IPv6 on this machine");
            return;
        };
        let port = listener.local_addr().unwrap().port();
        assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
    }
}
