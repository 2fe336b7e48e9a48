//! The hooks the socket code calls, one per system call narrated. Each is called right after
//! its call with the real descriptor and result, returns the result untouched, and does nothing
//! but one relaxed load when `--explain` is off.
//!
//! Who is narrated: a client, every socket it makes; a server, its listener and its first
//! [`FULL`](super::FULL) connections (a descriptor is watched from its `accept` to its
//! `close`), each for at most [`DATA_LINES`] reads and writes.

use std::io;
use std::net::{SocketAddr, TcpStream};
use std::os::fd::{AsRawFd, RawFd};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use super::{Msg, on, say};
use crate::net::lock;

/// recv and send lines said per connection, at most.
pub const DATA_LINES: u32 = 12;

static SERVER: AtomicBool = AtomicBool::new(false);
static WATCHED: Mutex<Vec<Watch>> = Mutex::new(Vec::new());
static ACCEPTED: AtomicU64 = AtomicU64::new(0);
static MORE: Mutex<More> = Mutex::new(More {
    count: 0,
    since: None,
});

struct Watch {
    fd: RawFd,
    data: u32,
}

/// Connections accepted and not narrated, said at most once a second.
struct More {
    count: u64,
    since: Option<Instant>,
}

/// Connections accepted so far (narrated or not).
pub(super) fn accepted() -> u64 {
    ACCEPTED.load(Ordering::Relaxed)
}

/// Watch `fd` as well (a second descriptor for a watched socket).
pub(super) fn watch_also(fd: RawFd) {
    let mut all = lock(&WATCHED);
    all.retain(|w| w.fd != fd);
    all.push(Watch { fd, data: 0 });
}

pub(super) fn set_server(server: bool) {
    SERVER.store(server, Ordering::Relaxed);
}

/// Whether calls on `fd` are narrated (`data`: a recv or send, which has a budget).
pub(super) fn watched(fd: RawFd, data: bool) -> bool {
    let mut all = lock(&WATCHED);
    let at = match all.iter().position(|w| w.fd == fd) {
        Some(at) => at,
        None if !SERVER.load(Ordering::Relaxed) => {
            all.push(Watch { fd, data: 0 });
            all.len() - 1
        }
        None => return false,
    };
    if data {
        let watch = &mut all[at];
        watch.data += 1;
        if watch.data > DATA_LINES {
            if watch.data == DATA_LINES + 1 {
                drop(all);
                super::note(Msg::Quieter, &[&fd]);
            }
            return false;
        }
    }
    true
}

fn unwatch(fd: RawFd) -> bool {
    let mut all = lock(&WATCHED);
    let before = all.len();
    all.retain(|w| w.fd != fd);
    all.len() < before || !SERVER.load(Ordering::Relaxed)
}

/// An error as the kernel names it: `ECONNREFUSED`.
pub fn errno(err: &io::Error) -> String {
    match err.raw_os_error() {
        Some(code) => format!("{:?}", nix::errno::Errno::from_raw(code)),
        None => err.to_string(),
    }
}

/// What an error on a read or write means.
pub(super) fn failure(err: &io::Error) -> (Msg, String) {
    match err.raw_os_error() {
        Some(nix::libc::EPIPE) => (Msg::Epipe, String::new()),
        Some(nix::libc::ECONNRESET) => (Msg::Reset, String::new()),
        Some(nix::libc::EAGAIN) => (Msg::RecvAgain, String::new()),
        _ => (Msg::OtherError, crate::net::error_text(err)),
    }
}

fn family(addr: &SocketAddr) -> &'static str {
    if addr.is_ipv4() {
        "AF_INET"
    } else {
        "AF_INET6"
    }
}

/// `socket(2)`.
pub fn socket(socket: &impl AsRawFd, addr: SocketAddr, stream: bool) {
    if !on() {
        return;
    }
    let fd = socket.as_raw_fd();
    if !stream {
        // A UDP socket is its own conversation: its datagrams are narrated (within budget).
        let mut all = lock(&WATCHED);
        all.retain(|w| w.fd != fd);
        all.push(Watch { fd, data: 0 });
    }
    let (kind, msg) = match (stream, addr.is_ipv4()) {
        (false, _) => ("SOCK_DGRAM", Msg::SocketUdp),
        (true, true) => ("SOCK_STREAM", Msg::SocketV4),
        (true, false) => ("SOCK_STREAM", Msg::SocketV6),
    };
    say(
        format_args!("socket({}, {kind}) = fd {fd}", family(&addr)),
        msg,
        &[],
    );
}

/// `setsockopt(SO_REUSEADDR)`.
pub fn reuse_addr(socket: &impl AsRawFd) {
    if on() {
        let fd = socket.as_raw_fd();
        say(
            format_args!("setsockopt(fd {fd}, SOL_SOCKET, SO_REUSEADDR, 1)"),
            Msg::ReuseAddr,
            &[],
        );
    }
}

/// `bind(2)`, and why it failed.
pub fn bind(socket: &impl AsRawFd, addr: SocketAddr, result: &io::Result<()>) {
    if !on() {
        return;
    }
    let fd = socket.as_raw_fd();
    match result {
        Ok(()) if addr.port() == 0 => {
            say(format_args!("bind(fd {fd}, {addr})"), Msg::BindPort0, &[])
        }
        Ok(()) => say(format_args!("bind(fd {fd}, {addr})"), Msg::Bind, &[]),
        Err(err) => {
            let (msg, arg) = match err.raw_os_error() {
                Some(nix::libc::EADDRINUSE) => (Msg::AddrInUse, addr.port().to_string()),
                Some(nix::libc::EADDRNOTAVAIL) => (Msg::AddrNotAvail, String::new()),
                _ => (Msg::OtherError, crate::net::error_text(err)),
            };
            say(
                format_args!("bind(fd {fd}, {addr}) = {}", errno(err)),
                msg,
                &[&arg],
            );
        }
    }
}

/// `listen(2)`.
pub fn listen(socket: &impl AsRawFd, backlog: i32, result: &io::Result<()>) {
    if !on() {
        return;
    }
    let fd = socket.as_raw_fd();
    match result {
        Ok(()) => say(
            format_args!("listen(fd {fd}, backlog {backlog})"),
            Msg::Listen,
            &[&backlog],
        ),
        Err(err) => say(
            format_args!("listen(fd {fd}, backlog {backlog}) = {}", errno(err)),
            Msg::OtherError,
            &[&crate::net::error_text(err)],
        ),
    }
}

/// `accept(2)` on a TCP listener: the first connections are narrated (and watched), the others
/// counted.
#[inline]
pub fn accept(
    listener: &impl AsRawFd,
    result: io::Result<(TcpStream, SocketAddr)>,
) -> io::Result<(TcpStream, SocketAddr)> {
    if !on() {
        return result;
    }
    if let Ok((stream, peer)) = &result {
        let fd = stream.as_raw_fd();
        let listening = listener.as_raw_fd();
        let mut all = lock(&WATCHED);
        // A descriptor number is reused: whatever was watched under it is gone.
        all.retain(|w| w.fd != fd);
        if ACCEPTED.fetch_add(1, Ordering::Relaxed) < super::FULL {
            all.push(Watch { fd, data: 0 });
            drop(all);
            let peer = crate::net::canonical(*peer);
            say(
                format_args!("accept(fd {listening}) = fd {fd} from {peer}"),
                Msg::Accept,
                &[&fd, &listening],
            );
        } else {
            drop(all);
            more();
        }
    }
    result
}

/// One more connection not narrated: said at most once a second.
fn more() {
    let mut more = lock(&MORE);
    more.count += 1;
    let now = Instant::now();
    match more.since {
        None => more.since = Some(now),
        Some(since) if now.duration_since(since).as_secs() >= 1 => {
            let count = std::mem::take(&mut more.count);
            more.since = Some(now);
            drop(more);
            super::note(Msg::More, &[&crate::net::Count(count)]);
        }
        Some(_) => {}
    }
}

/// The count of connections not narrated yet, at the end.
pub(super) fn flush_more() {
    let count = std::mem::take(&mut lock(&MORE).count);
    if count > 0 {
        super::note(Msg::More, &[&crate::net::Count(count)]);
    }
}

/// `recv(2)` with no flags (a read on a TCP socket).
#[inline]
pub fn recv(socket: &impl AsRawFd, len: usize, result: io::Result<usize>) -> io::Result<usize> {
    if on() {
        said_recv(socket.as_raw_fd(), len, "", &result);
    }
    result
}

/// `recv(2)` with flags (`MSG_TRUNC`).
#[inline]
pub fn recv_flags(
    socket: &impl AsRawFd,
    len: usize,
    flags: &str,
    result: io::Result<usize>,
) -> io::Result<usize> {
    if on() {
        said_recv(socket.as_raw_fd(), len, flags, &result);
    }
    result
}

/// `recv(2)` through nix (`MSG_DONTWAIT`).
#[inline]
pub fn recv_nix(
    fd: RawFd,
    len: usize,
    flags: &str,
    result: nix::Result<usize>,
) -> nix::Result<usize> {
    if on() {
        let io = result.map_err(io::Error::from);
        said_recv(fd, len, flags, &io);
    }
    result
}

fn said_recv(fd: RawFd, len: usize, flags: &str, result: &io::Result<usize>) {
    if !watched(fd, true) {
        return;
    }
    let flags = if flags.is_empty() {
        String::new()
    } else {
        format!(", {flags}")
    };
    match result {
        Ok(0) => say(
            format_args!("recv(fd {fd}, {len}{flags}) = 0"),
            Msg::RecvEof,
            &[],
        ),
        Ok(n) => {
            let msg = if flags.contains("MSG_TRUNC") {
                Msg::RecvTrunc
            } else if *n == len {
                Msg::RecvFull
            } else {
                Msg::Recv
            };
            say(
                format_args!("recv(fd {fd}, {len}{flags}) = {n} bytes"),
                msg,
                &[&len],
            );
        }
        Err(err) => {
            let (msg, arg) = match failure(err) {
                (Msg::RecvAgain, arg) if !flags.contains("MSG_DONTWAIT") => (Msg::WouldBlock, arg),
                other => other,
            };
            say(
                format_args!("recv(fd {fd}, {len}{flags}) = {}", errno(err)),
                msg,
                &[&arg],
            );
        }
    }
}

/// `send(2)` as a write on a TCP socket makes it (std adds `MSG_NOSIGNAL`).
#[inline]
pub fn send(socket: &impl AsRawFd, len: usize, result: io::Result<usize>) -> io::Result<usize> {
    if on() {
        said_send(socket.as_raw_fd(), len, "MSG_NOSIGNAL", &result);
    }
    result
}

/// `send(2)` with these flags.
#[inline]
pub fn send_flags(
    socket: &impl AsRawFd,
    len: usize,
    flags: &str,
    result: io::Result<usize>,
) -> io::Result<usize> {
    if on() {
        said_send(socket.as_raw_fd(), len, flags, &result);
    }
    result
}

/// `writev(2)` (a head and a body in one call).
#[inline]
pub fn writev(
    socket: &impl AsRawFd,
    bufs: &[io::IoSlice<'_>],
    result: io::Result<usize>,
) -> io::Result<usize> {
    if on() && watched(socket.as_raw_fd(), true) {
        let fd = socket.as_raw_fd();
        let len: usize = bufs.iter().map(|b| b.len()).sum();
        let n = bufs.len();
        match &result {
            Ok(sent) => say(
                format_args!("writev(fd {fd}, {n} buffers, {len} bytes) = {sent}"),
                if *sent < len {
                    Msg::SendShort
                } else {
                    Msg::Send
                },
                &[],
            ),
            Err(err) => {
                let (msg, arg) = match failure(err) {
                    (Msg::RecvAgain, arg) => (Msg::SendAgain, arg),
                    other => other,
                };
                say(
                    format_args!("writev(fd {fd}, {n} buffers, {len} bytes) = {}", errno(err)),
                    msg,
                    &[&arg],
                );
            }
        }
    }
    result
}

fn said_send(fd: RawFd, len: usize, flags: &str, result: &io::Result<usize>) {
    if !watched(fd, true) {
        return;
    }
    match result {
        Ok(n) => {
            let msg = if *n < len {
                Msg::SendShort
            } else if flags.contains("MSG_MORE") {
                Msg::SendMore
            } else {
                Msg::Send
            };
            say(
                format_args!("send(fd {fd}, {len} bytes, {flags}) = {n}"),
                msg,
                &[],
            );
        }
        Err(err) => {
            let (msg, arg) = match failure(err) {
                (Msg::RecvAgain, arg) => (Msg::SendAgain, arg),
                other => other,
            };
            say(
                format_args!("send(fd {fd}, {len} bytes, {flags}) = {}", errno(err)),
                msg,
                &[&arg],
            );
        }
    }
}

/// `shutdown(2)`.
#[inline]
pub fn shutdown(
    socket: &impl AsRawFd,
    how: std::net::Shutdown,
    result: io::Result<()>,
) -> io::Result<()> {
    if on() && watched(socket.as_raw_fd(), false) {
        let fd = socket.as_raw_fd();
        let (name, msg) = match how {
            std::net::Shutdown::Write => ("SHUT_WR", Msg::ShutdownWr),
            std::net::Shutdown::Read => ("SHUT_RD", Msg::ShutdownRd),
            std::net::Shutdown::Both => ("SHUT_RDWR", Msg::Close),
        };
        match &result {
            Ok(()) => say(format_args!("shutdown(fd {fd}, {name})"), msg, &[]),
            Err(err) => say(
                format_args!("shutdown(fd {fd}, {name}) = {}", errno(err)),
                Msg::OtherError,
                &[&crate::net::error_text(err)],
            ),
        }
    }
    result
}

/// A socket's descriptor, kept to say its [`closed`] once it is dropped.
#[inline]
pub fn fd(socket: &impl AsRawFd) -> RawFd {
    socket.as_raw_fd()
}

/// `close(2)`, which dropping the socket has just made.
#[inline]
pub fn closed(fd: RawFd) {
    if on() && unwatch(fd) {
        say(format_args!("close(fd {fd})"), Msg::Close, &[]);
    }
}

/// Drop a socket (which closes it) and say so.
#[inline]
pub fn close<S: AsRawFd>(socket: S) {
    let fd = socket.as_raw_fd();
    drop(socket);
    closed(fd);
}

/// The fork model's parent drops its copy of the connection.
pub fn close_parent<S: AsRawFd>(socket: S) {
    close_saying(socket, Msg::CloseParent);
}

/// Drop a socket and say so, with this explanation.
pub fn close_saying<S: AsRawFd>(socket: S, msg: Msg) {
    let fd = socket.as_raw_fd();
    drop(socket);
    if on() && unwatch(fd) {
        say(format_args!("close(fd {fd})"), msg, &[]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_explained_by_their_errno() {
        let err = |code| io::Error::from_raw_os_error(code);
        assert_eq!(failure(&err(nix::libc::EPIPE)).0, Msg::Epipe);
        assert_eq!(failure(&err(nix::libc::ECONNRESET)).0, Msg::Reset);
        assert_eq!(failure(&err(nix::libc::EAGAIN)).0, Msg::RecvAgain);
        assert_eq!(failure(&err(nix::libc::EBADF)).0, Msg::OtherError);
        assert_eq!(errno(&err(nix::libc::EPIPE)), "EPIPE");
        assert_eq!(errno(&err(nix::libc::ECONNREFUSED)), "ECONNREFUSED");
    }
}
