//! A client's connect, narrated: the same calls `TcpStream::connect_timeout` makes (a
//! non-blocking connect, a wait in poll(2), `SO_ERROR`), made one by one so each can be said.

use std::io;
use std::net::{SocketAddr, TcpStream};
use std::os::fd::{AsFd, AsRawFd};
use std::time::Duration;

use socket2::{Domain, Protocol, Socket, Type};

use super::{Msg, calls, on, say};
use crate::net::format_duration;

/// Connect within `timeout`: `TcpStream::connect_timeout` itself unless `--explain` is on.
pub fn connect(addr: &SocketAddr, timeout: Duration) -> io::Result<TcpStream> {
    if !on() {
        return TcpStream::connect_timeout(addr, timeout);
    }
    let socket = Socket::new(
        Domain::for_address(*addr),
        Type::STREAM,
        Some(Protocol::TCP),
    )?;
    calls::socket(&socket, *addr, true);
    let connected = handshake(&socket, addr, timeout);
    match connected {
        Ok(()) => {
            socket.set_nonblocking(false)?;
            Ok(socket.into())
        }
        Err(err) => {
            calls::close_saying(socket, Msg::CloseUnused);
            Err(err)
        }
    }
}

fn handshake(socket: &Socket, addr: &SocketAddr, timeout: Duration) -> io::Result<()> {
    let fd = socket.as_raw_fd();
    socket.set_nonblocking(true)?;
    match socket.connect(&(*addr).into()) {
        Ok(()) => {
            say(
                format_args!("connect(fd {fd}, {addr})"),
                Msg::Connected,
                &[],
            );
            return Ok(());
        }
        Err(err) if err.raw_os_error() == Some(nix::libc::EINPROGRESS) => say(
            format_args!("connect(fd {fd}, {addr}) = EINPROGRESS"),
            Msg::ConnectInProgress,
            &[&format_duration(timeout)],
        ),
        Err(err) => {
            refused(fd, addr, "connect", &err);
            return Err(err);
        }
    }
    let millis = timeout.as_millis().clamp(1, i32::MAX as u128);
    let wait = nix::poll::PollTimeout::try_from(millis).unwrap_or(nix::poll::PollTimeout::MAX);
    let ready = loop {
        let mut fds = [nix::poll::PollFd::new(
            socket.as_fd(),
            nix::poll::PollFlags::POLLOUT,
        )];
        match nix::poll::poll(&mut fds, wait) {
            Err(nix::errno::Errno::EINTR) => continue,
            other => break other.map_err(io::Error::from)?,
        }
    };
    if ready == 0 {
        let err = io::Error::from(io::ErrorKind::TimedOut);
        say(
            format_args!("poll(fd {fd}, POLLOUT, {millis} ms) = 0"),
            Msg::TimedOut,
            &[&format_duration(timeout)],
        );
        return Err(err);
    }
    say(
        format_args!("poll(fd {fd}, POLLOUT, {millis} ms) = 1"),
        Msg::ConnectPoll,
        &[],
    );
    match socket.take_error()? {
        None => {
            say(
                format_args!("getsockopt(fd {fd}, SOL_SOCKET, SO_ERROR) = 0"),
                Msg::Connected,
                &[],
            );
            Ok(())
        }
        Some(err) => {
            refused(fd, addr, "getsockopt", &err);
            Err(err)
        }
    }
}

/// Say a failed handshake: at `connect` itself, or as `SO_ERROR` tells it.
fn refused(fd: i32, addr: &SocketAddr, call: &str, err: &io::Error) {
    let name = calls::errno(err);
    let call = match call {
        "connect" => format!("connect(fd {fd}, {addr}) = {name}"),
        _ => format!("getsockopt(fd {fd}, SOL_SOCKET, SO_ERROR) = {name}"),
    };
    let port = addr.port();
    match err.raw_os_error() {
        Some(nix::libc::ECONNREFUSED) => say(format_args!("{call}"), Msg::Refused, &[&port]),
        Some(nix::libc::ETIMEDOUT) => say(format_args!("{call}"), Msg::TimedOut, &[&"—"]),
        _ => say(
            format_args!("{call}"),
            Msg::OtherError,
            &[&crate::net::error_text(err)],
        ),
    }
}
