//! The one connected stream both servers talk to, and the one trait their handlers are written
//! against.
//!
//! [`Stream`] is a TCP or Unix socket, or a TLS session on a TCP socket ([`super::tls`]), so
//! `web`'s handlers and `serve`'s services never see which it is. A TLS session has no
//! sendfile, no cork and no `MSG_TRUNC`: it reads and writes through a buffer. [`Transport`] is what a handler needs
//! of a stream — `Read + Write` plus what a socket adds (timeouts, FIN, sending a file) — with
//! defaults that suit bytes in memory, so tests and fuzzers drive the same handlers without a
//! socket. Listeners and the peers they accept are in [`super::listener`].

use std::fs::File;
use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::net::TcpStream;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::time::Duration;

use super::io::{copy_at, sendfile_all, sendfile_at};
use super::tls::Tls;

/// A byte stream a handler can drive: `Read + Write` plus what a socket adds. The defaults are
/// what bytes in memory do (no timeouts, no FIN, files copied through a buffer).
pub trait Transport: Read + Write {
    /// Bound the next reads (`None`: block).
    fn set_read_timeout(&mut self, _timeout: Option<Duration>) -> io::Result<()> {
        Ok(())
    }

    /// Fail a read or write that makes no progress for this long.
    fn set_timeouts(&mut self, _idle: Duration) -> io::Result<()> {
        Ok(())
    }

    /// Send FIN: the peer reads the end of the stream; we can still read.
    fn shutdown_write(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// Read and throw away what has arrived (blocking like `read`); `Ok(0)` at end of stream.
    fn discard(&mut self, scratch: &mut [u8]) -> io::Result<usize> {
        self.read(scratch)
    }

    /// Read and forget whatever has already arrived, without waiting; whether there was any.
    fn drain_unread(&mut self, _scratch: &mut [u8]) -> bool {
        false
    }

    /// Write all of `bytes`, the last thing sent before the close.
    fn write_last(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.write_all(bytes)
    }

    /// Write `head`, then `len` bytes of `file` from `offset`; how many bytes of the file went
    /// out (fewer when the file shrank meanwhile).
    fn send_file(&mut self, head: &[u8], file: &File, offset: u64, len: u64) -> io::Result<u64> {
        self.write_all(head)?;
        copy_at(file, offset, len, self)
    }

    /// Send up to `max` bytes of `file` from `*offset` (advanced by what was sent); `Ok(0)` at
    /// the end of the file. Without a socket underneath: read and write through a buffer.
    fn send_file_at(&mut self, file: &File, offset: &mut u64, max: usize) -> io::Result<usize> {
        copy_file_at(self, file, offset, max)
    }

    /// Advance a TLS handshake without waiting; whether it still goes on (never, without TLS).
    fn advance_handshake(&mut self) -> io::Result<bool> {
        Ok(false)
    }

    /// Send what a TLS session still holds, without waiting; whether all of it went.
    fn flush_pending(&mut self) -> io::Result<bool> {
        Ok(true)
    }
}

/// Up to `max` bytes of `file` from `*offset` (advanced by what went) through a buffer.
fn copy_file_at(
    out: &mut (impl Write + ?Sized),
    file: &File,
    offset: &mut u64,
    max: usize,
) -> io::Result<usize> {
    use std::os::unix::fs::FileExt;
    let mut buf = [0u8; 16384];
    let len = max.min(buf.len());
    let n = file.read_at(&mut buf[..len], *offset)?;
    if n == 0 {
        return Ok(0);
    }
    let sent = out.write(&buf[..n])?;
    *offset += sent as u64;
    Ok(sent)
}

/// A connected socket: what a listener accepted.
#[derive(Debug)]
pub enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
    /// Shared, so two threads can hold it as two handles on one socket (see [`Stream::try_clone`]).
    Tls(Arc<Tls>),
}

/// Run the same expression on whichever socket the stream holds (their std types have the same
/// inherent methods); a TLS session's own socket underneath.
macro_rules! each {
    ($stream:expr, $socket:ident => $body:expr) => {
        match $stream {
            Stream::Tcp($socket) => $body,
            Stream::Unix($socket) => $body,
            Stream::Tls(tls) => {
                let $socket = tls.socket();
                $body
            }
        }
    };
}

impl Stream {
    pub fn set_nonblocking(&self, nonblocking: bool) -> io::Result<()> {
        match self {
            Stream::Tls(tls) => tls.set_nonblocking(nonblocking),
            _ => each!(self, s => s.set_nonblocking(nonblocking)),
        }
    }

    pub fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        match self {
            Stream::Tls(tls) => tls.set_write_timeout(timeout),
            _ => each!(self, s => s.set_write_timeout(timeout)),
        }
    }

    /// Close one direction (or both) of the connection (a TLS session says close_notify first).
    pub fn shutdown(&self, how: std::net::Shutdown) -> io::Result<()> {
        match self {
            Stream::Tls(tls) => tls.shutdown(how),
            _ => crate::explain::shutdown(self, how, each!(self, s => s.shutdown(how))),
        }
    }

    pub fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        match self {
            Stream::Tls(tls) => tls.set_read_timeout(timeout),
            _ => each!(self, s => s.set_read_timeout(timeout)),
        }
    }

    /// A second handle on the same socket (one thread reads while another writes).
    pub fn try_clone(&self) -> io::Result<Stream> {
        Ok(match self {
            Stream::Tcp(s) => Stream::Tcp(s.try_clone()?),
            Stream::Unix(s) => Stream::Unix(s.try_clone()?),
            Stream::Tls(tls) => Stream::Tls(Arc::clone(tls)),
        })
    }

    /// The TLS session, when it is one.
    pub fn tls(&self) -> Option<&Tls> {
        match self {
            Stream::Tls(tls) => Some(tls),
            _ => None,
        }
    }

    /// Encrypted bytes wait in a TLS session for room in the socket.
    pub fn wants_write(&self) -> bool {
        self.tls().is_some_and(Tls::wants_write)
    }

    /// Send what a TLS session still holds: `Ok(true)` once it is all out (at once without
    /// TLS); on a non-blocking socket `Ok(false)` when the socket takes no more for now.
    pub fn send_pending(&self) -> io::Result<bool> {
        match self {
            Stream::Tls(tls) => tls.flush_pending(),
            _ => Ok(true),
        }
    }

    /// Make the close that follows tell the peer something went wrong on this side: a reset,
    /// for TCP, rather than what looks like the end of the data. (A Unix socket has no reset.)
    pub fn reset_on_close(&self) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => socket2::SockRef::from(s).set_linger(Some(Duration::ZERO)),
            Stream::Tls(tls) => {
                socket2::SockRef::from(tls.socket()).set_linger(Some(Duration::ZERO))
            }
            Stream::Unix(_) => Ok(()),
        }
    }

    /// The other end, for messages: an address, a socket's path, or `the server`.
    pub fn peer_name(&self) -> String {
        let name = match self {
            Stream::Tcp(s) => s.peer_addr().ok().map(|addr| addr.to_string()),
            Stream::Tls(tls) => tls.socket().peer_addr().ok().map(|addr| addr.to_string()),
            Stream::Unix(s) => s
                .peer_addr()
                .ok()
                .and_then(|addr| addr.as_pathname().map(|p| p.display().to_string())),
        };
        name.unwrap_or_else(|| "the server".into())
    }

    /// The TCP socket, when it is one (for what only TCP has: TCP_NODELAY, the cork).
    pub fn tcp(&self) -> Option<&TcpStream> {
        match self {
            Stream::Tcp(socket) => Some(socket),
            Stream::Unix(_) | Stream::Tls(_) => None,
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self).read(buf)
    }

    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        (&*self).read_vectored(bufs)
    }
}

/// A socket reads and writes through a shared reference (as `&TcpStream` does), which lets an
/// event loop read while it holds the connection's other state.
impl Read for &Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => crate::explain::recv(s, buf.len(), (&*s).read(buf)),
            Stream::Unix(s) => (&*s).read(buf),
            Stream::Tls(tls) => tls.read(buf),
        }
    }

    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => (&*s).read_vectored(bufs),
            Stream::Unix(s) => (&*s).read_vectored(bufs),
            Stream::Tls(tls) => {
                let buf = bufs.iter_mut().find(|b| !b.is_empty());
                buf.map_or(Ok(0), |buf| tls.read(buf))
            }
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&*self).write(buf)
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        (&*self).write_vectored(bufs)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Write for &Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => crate::explain::send(s, buf.len(), (&*s).write(buf)),
            Stream::Unix(s) => (&*s).write(buf),
            Stream::Tls(tls) => tls.write(buf),
        }
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => crate::explain::writev(s, bufs, (&*s).write_vectored(bufs)),
            Stream::Unix(s) => (&*s).write_vectored(bufs),
            Stream::Tls(tls) => tls.write_vectored(bufs),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Transport for Stream {
    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        Stream::set_read_timeout(self, timeout)
    }

    fn set_timeouts(&mut self, idle: Duration) -> io::Result<()> {
        Stream::set_read_timeout(self, Some(idle))?;
        Stream::set_write_timeout(self, Some(idle))
    }

    fn shutdown_write(&mut self) -> io::Result<()> {
        self.shutdown(std::net::Shutdown::Write)
    }

    /// TCP can drop received bytes in the kernel without copying them out (`MSG_TRUNC`, see
    /// tcp(7)), which makes `serve --discard` a sink as fast as loopback allows.
    fn discard(&mut self, scratch: &mut [u8]) -> io::Result<usize> {
        use nix::sys::socket::{MsgFlags, recv};
        match self {
            Stream::Tcp(s) => {
                let got = recv(s.as_raw_fd(), scratch, MsgFlags::MSG_TRUNC).map_err(Into::into);
                crate::explain::recv_flags(s, scratch.len(), "MSG_TRUNC", got)
            }
            Stream::Unix(s) => s.read(scratch),
            Stream::Tls(tls) => tls.read(scratch),
        }
    }

    fn drain_unread(&mut self, scratch: &mut [u8]) -> bool {
        match self {
            Stream::Tls(tls) => tls.drain_unread(scratch),
            _ => drain_socket(self.as_fd(), scratch),
        }
    }

    /// On TCP, MSG_MORE holds the last segment back until the close, so the data and the FIN
    /// leave in one packet: a packet and an ACK less per connection.
    fn write_last(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        let Stream::Tcp(tcp) = self else {
            return self.write_all(bytes);
        };
        let socket = socket2::SockRef::from(&*tcp);
        while !bytes.is_empty() {
            let sent = socket.send_with_flags(bytes, nix::libc::MSG_MORE | nix::libc::MSG_NOSIGNAL);
            match crate::explain::send_flags(&*tcp, bytes.len(), "MSG_MORE|MSG_NOSIGNAL", sent) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => bytes = &bytes[n..],
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Err(err),
            }
        }
        Ok(())
    }

    /// sendfile(2): the bytes go from the page cache to the socket without a copy through
    /// user space. (`std::io::copy` does not do this for File → TcpStream on current Rust: it
    /// falls back to an 8 KiB read/write loop.) The write timeout applies as to `write`.
    ///
    /// A TCP socket is corked meanwhile (nginx's `tcp_nopush`): the head leaves with the first
    /// bytes of the file and only full segments follow, where TCP_NODELAY would push each
    /// piece as it comes (about a quarter slower on loopback here).
    fn send_file(&mut self, head: &[u8], file: &File, offset: u64, len: u64) -> io::Result<u64> {
        use nix::sys::socket::{setsockopt, sockopt::TcpCork};
        if let Stream::Tls(_) = self {
            // Encrypted, so through a buffer: the head and the file's bytes in one stream.
            self.write_all(head)?;
            return copy_at(file, offset, len, self);
        }
        let corked = self
            .tcp()
            .is_some_and(|tcp| setsockopt(tcp, TcpCork, &true).is_ok());
        let sent = self
            .write_all(head)
            .and_then(|()| sendfile_all(self, file, offset, len));
        if corked && let Some(tcp) = self.tcp() {
            // Uncorking sends what is left at once.
            let _ = setsockopt(tcp, TcpCork, &false);
        }
        sent
    }

    fn send_file_at(&mut self, file: &File, offset: &mut u64, max: usize) -> io::Result<usize> {
        match self {
            Stream::Tls(_) => copy_file_at(self, file, offset, max),
            _ => sendfile_at(self.as_fd(), file, offset, max),
        }
    }

    fn advance_handshake(&mut self) -> io::Result<bool> {
        match self {
            Stream::Tls(tls) => tls.advance_handshake(),
            _ => Ok(false),
        }
    }

    fn flush_pending(&mut self) -> io::Result<bool> {
        self.send_pending()
    }
}

/// Read and forget what is waiting on a socket, without blocking (a bounded amount).
fn drain_socket(fd: BorrowedFd<'_>, scratch: &mut [u8]) -> bool {
    use nix::sys::socket::{MsgFlags, recv};
    let mut any = false;
    for _ in 0..16 {
        let got = recv(fd.as_raw_fd(), scratch, MsgFlags::MSG_DONTWAIT);
        match crate::explain::recv_nix(fd.as_raw_fd(), scratch.len(), "MSG_DONTWAIT", got) {
            Ok(0) | Err(_) => break,
            Ok(_) => any = true,
        }
    }
    any
}

impl AsFd for Stream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        each!(self, s => s.as_fd())
    }
}

impl AsRawFd for Stream {
    fn as_raw_fd(&self) -> RawFd {
        self.as_fd().as_raw_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file sent over either kind of socket arrives whole, head first.
    #[test]
    fn send_file_over_tcp_and_unix() {
        let mut file = tempfile::tempfile().unwrap();
        let body: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        file.write_all(&body).unwrap();
        let tcp = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(tcp.local_addr().unwrap()).unwrap();
        let (unix_a, unix_b) = UnixStream::pair().unwrap();
        let pairs = [
            (Stream::Tcp(tcp.accept().unwrap().0), Stream::Tcp(client)),
            (Stream::Unix(unix_a), Stream::Unix(unix_b)),
        ];
        for (mut server, mut client) in pairs {
            let reader = std::thread::spawn(move || {
                let mut got = Vec::new();
                client.read_to_end(&mut got).unwrap();
                got
            });
            let sent = server.send_file(b"head:", &file, 10, 90_000).unwrap();
            assert_eq!(sent, 90_000);
            server.shutdown_write().unwrap();
            let got = reader.join().unwrap();
            assert_eq!(&got[..5], b"head:");
            assert_eq!(&got[5..], &body[10..90_010]);
        }
    }
}
