//! A connection's side of its stream. Handlers are written against [`Transport`]
//! (`crate::net`), one trait for every server verb: a [`Stream`] (TCP or Unix, sendfile and
//! the cork) on a connection's own thread, [`Nonblocking`] on an event loop (what the socket
//! cannot take at once waits in an [`Outbox`]), a [`Duplex`] of bytes in tests and fuzzers. A
//! TLS session is one more kind of [`Stream`]; no handler changes (what it has encrypted and
//! the socket has not taken waits in the session, and [`Outbox::flush`] sends that too).
//! TCP_NODELAY is set as a connection is accepted (`server.rs`).
//!
//! [`Wire`] is a connection's side of its transport: the stream, the bytes counted through it,
//! and the read timeout last set on it.

use std::fs::File;
use std::io::{self, IoSlice, Read, Write};
use std::net::Shutdown;
use std::time::Duration;

use crate::net::{Stream, Transport};

use super::conn::ConnStats;
use super::input::Input;

/// A read timeout may overshoot a deadline by this much rather than be reset for every read.
const SLACK: Duration = Duration::from_millis(50);

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

/// Bytes in memory: no timeouts, no FIN, files copied through a buffer (the defaults).
#[cfg(any(test, feature = "fuzzing"))]
impl<R: Read, W: Write> Transport for Duplex<R, W> {}

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

    /// Send what waits (here, and in a TLS session); `Ok(true)` once all of it is out,
    /// `Ok(false)` when the socket takes no more for now.
    pub(crate) fn flush(&mut self, mut socket: &Stream) -> io::Result<bool> {
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
        socket.send_pending()
    }

    /// Send what waits on a blocking socket: a write that times out is an error.
    pub(crate) fn flush_blocking(&mut self, socket: &Stream) -> io::Result<()> {
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
    pub(crate) socket: &'a Stream,
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

    /// Read into `buf` straight from the stream (past the input buffer), counting what came.
    pub(crate) fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.stream.read(buf)?;
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
