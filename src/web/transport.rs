//! The socket stream a connection is served over, behind one trait: [`Transport`] is `Read +
//! Write` plus what a socket adds (read timeouts, FIN, sending a file). The state machine and
//! every handler are generic over it and never see the concrete socket: a `TcpStream` on a
//! connection's own thread (sendfile, cork), [`Nonblocking`] on an event loop (what the socket
//! cannot take at once waits in an [`Outbox`]), a [`Duplex`] of bytes in tests and fuzzers. A TLS
//! session would be one more implementation (its `send_file` a [`copy_at`] through the
//! encrypting writer); no handler would change. TCP_NODELAY is set as a connection is accepted
//! (`server.rs`); the cork below is what keeps a file's head and first bytes in one segment.
//!
//! [`Wire`] is a connection's side of its transport: the stream, the bytes counted through it,
//! and the read timeout last set on it.

use std::fs::File;
use std::io::{self, IoSlice, Read, Seek, SeekFrom, Write};
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

use super::conn::ConnStats;
use super::input::Input;

/// A read timeout may overshoot a deadline by this much rather than be reset for every read.
const SLACK: Duration = Duration::from_millis(50);

/// A byte stream the handler can drive: `Read + Write` plus what a socket adds.
pub trait Transport: Read + Write {
    /// Bound the next reads (`None`: block).
    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()>;
    /// Send FIN: the response is complete.
    fn shutdown_write(&mut self) -> io::Result<()>;
    /// Write `head`, then `len` bytes of `file` from `offset`; returns how many bytes of the
    /// file went out (fewer when the file shrank meanwhile).
    fn send_file(&mut self, head: &[u8], file: &File, offset: u64, len: u64) -> io::Result<u64>;
}

impl Transport for TcpStream {
    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        TcpStream::set_read_timeout(self, timeout)
    }

    fn shutdown_write(&mut self) -> io::Result<()> {
        self.shutdown(Shutdown::Write)
    }

    /// sendfile(2): the bytes go from the page cache to the socket without a copy through
    /// user space. (`std::io::copy` does not do this for File → TcpStream on current Rust: it
    /// falls back to an 8 KiB read/write loop.) The write timeout applies as to `write`.
    ///
    /// The socket is corked meanwhile (nginx's `tcp_nopush`): the head leaves with the first
    /// bytes of the file and only full segments follow, where TCP_NODELAY would push each
    /// piece as it comes (about a quarter slower on loopback here).
    fn send_file(&mut self, head: &[u8], file: &File, offset: u64, len: u64) -> io::Result<u64> {
        use nix::sys::socket::{setsockopt, sockopt::TcpCork};
        let corked = setsockopt(&*self, TcpCork, &true).is_ok();
        let sent = self
            .write_all(head)
            .and_then(|()| sendfile_all(self, file, offset, len));
        if corked {
            // Uncorking sends what is left at once.
            let _ = setsockopt(&*self, TcpCork, &false);
        }
        sent
    }
}

/// sendfile(2) until `len` bytes of `file` from `offset` are out or the file ends.
fn sendfile_all(socket: &mut TcpStream, file: &File, offset: u64, len: u64) -> io::Result<u64> {
    use nix::errno::Errno;
    let Ok(mut off) = i64::try_from(offset) else {
        return Err(io::ErrorKind::InvalidInput.into());
    };
    let mut sent = 0u64;
    while sent < len {
        // Linux sends at most 0x7ffff000 bytes a call.
        let chunk = (len - sent).min(0x7fff_f000) as usize;
        match nix::sys::sendfile::sendfile(&*socket, file, Some(&mut off), chunk) {
            Ok(0) => break,
            Ok(n) => sent += n as u64,
            Err(Errno::EINTR) => {}
            // A file system without sendfile support: copy by hand.
            Err(Errno::EINVAL | Errno::ENOSYS) if sent == 0 => {
                return copy_at(file, offset, len, socket);
            }
            Err(errno) => return Err(errno.into()),
        }
    }
    Ok(sent)
}

/// Input and output in memory: for tests and fuzzers. Reads come from `input` (its end is the
/// client closing), writes go to `output`; timeouts do nothing.
#[cfg(any(test, feature = "fuzzing"))]
#[derive(Debug)]
pub struct Duplex<R, W> {
    pub input: R,
    pub output: W,
}

#[cfg(any(test, feature = "fuzzing"))]
impl<R: Read, W: Write> Duplex<R, W> {
    pub fn new(input: R, output: W) -> Self {
        Duplex { input, output }
    }
}

#[cfg(any(test, feature = "fuzzing"))]
impl<R: Read, W: Write> Read for Duplex<R, W> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.input.read(buf)
    }
}

#[cfg(any(test, feature = "fuzzing"))]
impl<R: Read, W: Write> Write for Duplex<R, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.output.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.output.flush()
    }
}

#[cfg(any(test, feature = "fuzzing"))]
impl<R: Read, W: Write> Transport for Duplex<R, W> {
    fn set_read_timeout(&mut self, _: Option<Duration>) -> io::Result<()> {
        Ok(())
    }

    fn shutdown_write(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn send_file(&mut self, head: &[u8], file: &File, offset: u64, len: u64) -> io::Result<u64> {
        self.output.write_all(head)?;
        copy_at(file, offset, len, &mut self.output)
    }
}

/// `len` bytes of `file` from `offset` through a buffer (no sendfile).
fn copy_at(file: &File, offset: u64, len: u64, out: &mut impl Write) -> io::Result<u64> {
    let mut reader = file;
    reader.seek(SeekFrom::Start(offset))?;
    io::copy(&mut Read::take(reader, len), out)
}

/// Bytes accepted for sending but not yet taken by the socket. (A file never waits here: an
/// inline answer hands a large file to a thread before it writes anything.)
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    bytes: Vec<u8>,
    sent: usize,
}

impl Outbox {
    pub(crate) fn is_empty(&self) -> bool {
        self.sent == self.bytes.len()
    }

    /// Bytes accepted and not yet taken by the socket.
    pub(crate) fn unsent(&self) -> u64 {
        (self.bytes.len() - self.sent) as u64
    }

    fn push(&mut self, bytes: &[u8]) {
        if self.is_empty() {
            self.bytes.clear();
            self.sent = 0;
        }
        self.bytes.extend_from_slice(bytes);
    }

    /// Send what waits; `Ok(true)` once all of it is out, `Ok(false)` when the socket takes no
    /// more for now.
    pub(crate) fn flush(&mut self, mut socket: &TcpStream) -> io::Result<bool> {
        while self.sent < self.bytes.len() {
            match socket.write(&self.bytes[self.sent..]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => self.sent += n,
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Err(err),
            }
        }
        self.bytes.clear();
        self.sent = 0;
        Ok(true)
    }

    /// Send what waits on a blocking socket: a write that times out is an error.
    pub(crate) fn flush_blocking(&mut self, socket: &TcpStream) -> io::Result<()> {
        if self.flush(socket)? {
            Ok(())
        } else {
            Err(io::ErrorKind::TimedOut.into())
        }
    }
}

/// A non-blocking socket as a [`Transport`] that never fails a write for want of room: what
/// the socket does not take at once waits in the outbox.
pub(crate) struct Nonblocking<'a> {
    pub(crate) socket: &'a TcpStream,
    pub(crate) outbox: &'a mut Outbox,
}

impl Read for Nonblocking<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.socket.read(buf)
    }
}

impl Write for Nonblocking<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_vectored(&[IoSlice::new(buf)])
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let total: usize = bufs.iter().map(|b| b.len()).sum();
        let mut written = 0;
        if self.outbox.is_empty() {
            loop {
                match self.socket.write_vectored(bufs) {
                    Ok(n) => written = n,
                    Err(err) if err.kind() == io::ErrorKind::WouldBlock => {}
                    Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                    Err(err) => return Err(err),
                }
                break;
            }
        }
        // Keep what the socket did not take.
        let mut skip = written;
        for buf in bufs {
            if skip >= buf.len() {
                skip -= buf.len();
                continue;
            }
            self.outbox.push(&buf[skip..]);
            skip = 0;
        }
        Ok(total)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Transport for Nonblocking<'_> {
    fn set_read_timeout(&mut self, _: Option<Duration>) -> io::Result<()> {
        // The loop keeps the deadlines itself.
        Ok(())
    }

    fn shutdown_write(&mut self) -> io::Result<()> {
        self.socket.shutdown(Shutdown::Write)
    }

    fn send_file(&mut self, _: &[u8], _: &File, _: u64, _: u64) -> io::Result<u64> {
        // An inline answer hands a file over to a thread before it writes anything.
        Err(io::Error::other("a file is never sent from the event loop"))
    }
}

/// A connection's side of its transport: the stream, what went through it, and the read timeout
/// as last set on it (so it is set again only when it changes).
pub(crate) struct Wire<'a, S> {
    pub(crate) stream: &'a mut S,
    pub(crate) stats: ConnStats,
    timeout: Option<Duration>,
}

impl<'a, S: Transport> Wire<'a, S> {
    pub(crate) fn new(stream: &'a mut S, stats: ConnStats) -> Self {
        Wire {
            stream,
            stats,
            timeout: None,
        }
    }

    pub(crate) fn set_timeout(&mut self, timeout: Duration) {
        if self.timeout != Some(timeout) && self.stream.set_read_timeout(Some(timeout)).is_ok() {
            self.timeout = Some(timeout);
        }
    }

    /// Make sure the next read waits no longer than `left` (a little slack saves system calls).
    pub(crate) fn shrink_timeout(&mut self, left: Duration) {
        let fine = self
            .timeout
            .is_some_and(|t| t <= left + SLACK && t * 2 >= left);
        if !fine {
            self.set_timeout(left.max(Duration::from_millis(1)));
        }
    }

    /// Read more into `input`, counting what came.
    pub(crate) fn fill(&mut self, input: &mut Input) -> io::Result<usize> {
        let n = input.fill(self.stream)?;
        self.stats.bytes_in += n as u64;
        Ok(n)
    }

    /// Write `bytes` whole, counting them.
    pub(crate) fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes)?;
        self.stats.bytes_out += bytes.len() as u64;
        Ok(())
    }
}

/// A read that timed out (or would block).
pub(crate) fn is_timeout(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}
