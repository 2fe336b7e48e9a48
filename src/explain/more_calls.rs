//! The calls beyond a TCP byte stream: UDP's `recvfrom`/`sendto`, `sendfile`, and the end of a
//! TLS handshake. Like [`super::calls`], each hook runs right after its call with the real
//! descriptor and result, and costs one relaxed load when `--explain` is off.

use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, RawFd};

use super::calls::{errno, failure, watched};
use super::{Msg, on, say};

/// `recvfrom(2)` on a UDP socket: one datagram and its sender.
#[inline]
pub fn recv_from(
    socket: &impl AsRawFd,
    len: usize,
    result: io::Result<(usize, SocketAddr)>,
) -> io::Result<(usize, SocketAddr)> {
    if on() && watched(socket.as_raw_fd(), true) {
        let fd = socket.as_raw_fd();
        match &result {
            Ok((n, from)) => say(
                format_args!(
                    "recvfrom(fd {fd}, {len}) = {n} bytes from {}",
                    crate::net::canonical(*from)
                ),
                Msg::RecvFrom,
                &[],
            ),
            Err(err) => said_failure(format_args!("recvfrom(fd {fd}, {len})"), err),
        }
    }
    result
}

/// `recv(2)` on a UDP socket connected to its one peer: one datagram. The waits that time out
/// (connect polls with a short read timeout) are not said.
#[inline]
pub fn recv_datagram(
    socket: &impl AsRawFd,
    len: usize,
    result: io::Result<usize>,
) -> io::Result<usize> {
    let timed_out = matches!(&result, Err(err) if crate::net::is_timeout(err));
    if on() && !timed_out && watched(socket.as_raw_fd(), true) {
        let fd = socket.as_raw_fd();
        match &result {
            Ok(n) => say(
                format_args!("recv(fd {fd}, {len}) = {n} bytes"),
                Msg::RecvFrom,
                &[],
            ),
            Err(err) => said_failure(format_args!("recv(fd {fd}, {len})"), err),
        }
    }
    result
}

/// `connect(2)` on a UDP socket: no packet, only the peer fixed.
pub fn udp_connect(socket: &impl AsRawFd, to: SocketAddr, result: &io::Result<()>) {
    if on() {
        let fd = socket.as_raw_fd();
        match result {
            Ok(()) => say(format_args!("connect(fd {fd}, {to})"), Msg::UdpConnect, &[]),
            Err(err) => said_failure(format_args!("connect(fd {fd}, {to})"), err),
        }
    }
}

/// `sendto(2)` on a UDP socket: one datagram to `to` (`None`: `send(2)` on a socket connected
/// to its one peer).
#[inline]
pub fn send_to(
    socket: &impl AsRawFd,
    len: usize,
    to: Option<SocketAddr>,
    result: io::Result<usize>,
) -> io::Result<usize> {
    if on() && watched(socket.as_raw_fd(), true) {
        let fd = socket.as_raw_fd();
        let call = match to {
            Some(to) => format!("sendto(fd {fd}, {len}, {})", crate::net::canonical(to)),
            None => format!("send(fd {fd}, {len})"),
        };
        match &result {
            Ok(n) => say(format_args!("{call} = {n} bytes"), Msg::SendTo, &[]),
            Err(err) => said_failure(format_args!("{call}"), err),
        }
    }
    result
}

/// `sendfile(2)`: `count` bytes of `file` from `offset` into `socket`.
#[inline]
pub fn sendfile(socket: RawFd, file: RawFd, offset: u64, count: usize, result: &io::Result<usize>) {
    if on() && watched(socket, true) {
        let call = format_args!("sendfile(fd {socket}, fd {file}, offset {offset}, {count})");
        match result {
            Ok(0) => say(format_args!("{call} = 0"), Msg::SendfileEnd, &[]),
            Ok(n) => say(format_args!("{call} = {n} bytes"), Msg::Sendfile, &[]),
            Err(err) => said_failure(call, err),
        }
    }
}

/// A TLS handshake finished on `socket`; `agreed` is what it agreed on (version, suite, ALPN).
pub fn tls_done(socket: RawFd, agreed: impl FnOnce() -> String) {
    if on() && watched(socket, false) {
        let agreed = agreed();
        say(
            format_args!("TLS handshake on fd {socket}: {agreed}"),
            Msg::TlsDone,
            &[],
        );
    }
}

fn said_failure(call: std::fmt::Arguments<'_>, err: &io::Error) {
    let (msg, arg) = failure(err);
    say(format_args!("{call} = {}", errno(err)), msg, &[&arg]);
}
