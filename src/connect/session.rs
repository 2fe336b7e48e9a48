//! A connected stream (TCP or Unix): stdin (or `--send`) to the socket and the socket to stdout,
//! at the same time. On the end of stdin the socket is half-closed (the server sees EOF) and
//! replies are still read; when the server closes, the session ends at once, even if stdin is
//! still open (a terminal, a slow pipe).
//!
//! A regular file on stdin goes out with sendfile(2) (no copy through user space); a pipe is
//! widened to 1 MiB and read in 1 MiB pieces — measured faster here than splice(2), which makes
//! the writer wait for its pages to be sent.

use std::fs::File;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use anyhow::Context;

use super::hexdump::Hexdump;
use super::{Options, os_error_text};

/// Bytes moved per call, each way.
const CHUNK: usize = 1 << 20;

/// The two stream sockets `connect` speaks.
pub trait Socket: Read + Write + AsFd + Send + Sized + 'static {
    fn try_clone(&self) -> io::Result<Self>;
    fn shutdown_write(&self) -> io::Result<()>;
    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()>;
    /// The peer, for messages.
    fn peer(&self) -> String;
}

impl Socket for TcpStream {
    fn try_clone(&self) -> io::Result<Self> {
        TcpStream::try_clone(self)
    }
    fn shutdown_write(&self) -> io::Result<()> {
        self.shutdown(std::net::Shutdown::Write)
    }
    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        TcpStream::set_read_timeout(self, timeout)
    }
    fn peer(&self) -> String {
        self.peer_addr()
            .map(|addr| addr.to_string())
            .unwrap_or_else(|_| "the server".into())
    }
}

impl Socket for UnixStream {
    fn try_clone(&self) -> io::Result<Self> {
        UnixStream::try_clone(self)
    }
    fn shutdown_write(&self) -> io::Result<()> {
        self.shutdown(std::net::Shutdown::Write)
    }
    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        UnixStream::set_read_timeout(self, timeout)
    }
    fn peer(&self) -> String {
        self.peer_addr()
            .ok()
            .and_then(|addr| addr.as_pathname().map(|p| p.display().to_string()))
            .unwrap_or_else(|| "the server".into())
    }
}

/// When a byte last moved, in either direction (for `--idle-timeout`).
pub struct Clock {
    start: Instant,
    last_ms: AtomicU64,
}

impl Clock {
    pub fn new() -> Clock {
        Clock {
            start: Instant::now(),
            last_ms: AtomicU64::new(0),
        }
    }

    pub fn touch(&self) {
        let now = self.start.elapsed().as_millis() as u64;
        self.last_ms.fetch_max(now, Ordering::Relaxed);
    }

    pub fn quiet_for(&self) -> Duration {
        let last = Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
        self.start.elapsed().saturating_sub(last)
    }
}

/// `--crlf`: a line feed not already preceded by a carriage return becomes CRLF, across chunks.
#[derive(Debug, Default)]
pub struct Crlf {
    after_cr: bool,
}

impl Crlf {
    pub fn convert(&mut self, input: &[u8], out: &mut Vec<u8>) {
        for &byte in input {
            if byte == b'\n' && !self.after_cr {
                out.push(b'\r');
            }
            out.push(byte);
            self.after_cr = byte == b'\r';
        }
    }
}

/// Copy both ways until the server closes (or `--idle-timeout`).
pub fn run<S: Socket>(stream: S, options: &Options) -> anyhow::Result<()> {
    let peer = stream.peer();
    let clock = Arc::new(Clock::new());
    let sender = stream.try_clone().context("clone the socket")?;
    let (done_tx, done) = mpsc::channel();
    {
        let (options, clock) = (options.clone(), Arc::clone(&clock));
        std::thread::Builder::new()
            .name("send".into())
            .spawn(move || {
                let _ = done_tx.send(send(sender, &options, &clock));
            })
            .context("start the sending thread")?;
    }
    receive(stream, &peer, options, &clock)?;
    // The server has closed. Stdin may stay open for ever and is not waited for; `--send`'s
    // text is finite, so it gets the chance to go out (as long as a connect may take).
    let sent = if options.send.is_some() {
        done.recv_timeout(options.timeout).ok()
    } else {
        done.try_recv().ok()
    };
    // A local failure on the way out (reading stdin) is still news.
    match sent {
        Some(Err(err)) => Err(err),
        _ => Ok(()),
    }
}

/// Stdin (or `--send`) to the socket, then half-close.
fn send<S: Socket>(mut socket: S, options: &Options, clock: &Clock) -> anyhow::Result<()> {
    let mut dump = options.hexdump.then(|| Hexdump::new('>'));
    let sent = match &options.send {
        Some(text) => {
            if let Some(dump) = &mut dump {
                dump.show(text);
            }
            clock.touch();
            socket.write_all(text)
        }
        None if dump.is_none() && !options.crlf && stdin_is_a_file() => {
            send_stdin_file(&socket, clock)?
        }
        None => {
            widen_stdin_pipe();
            copy_stdin(&mut socket, options, clock, dump.as_mut())?
        }
    };
    if let Err(err) = sent {
        // The server closed or reset: the receiving side reports what matters.
        crate::debug!("netlab connect: send: {}", os_error_text(&err));
        return Ok(());
    }
    if let Err(err) = socket.shutdown_write() {
        crate::debug!("netlab connect: half-close: {}", os_error_text(&err));
    }
    Ok(())
}

fn stdin_is_a_file() -> bool {
    nix::sys::stat::fstat(io::stdin().as_fd())
        .is_ok_and(|stat| stat.st_mode & nix::libc::S_IFMT == nix::libc::S_IFREG)
}

/// Stdin is a regular file: sendfile(2) hands its pages to the socket, no copy through user
/// space (`std::io::copy` does not do this for a file into a socket). The outer error is
/// stdin's, the inner one the socket's.
fn send_stdin_file<S: Socket>(socket: &S, clock: &Clock) -> anyhow::Result<io::Result<()>> {
    use nix::errno::Errno;
    let stdin = io::stdin();
    loop {
        // No offset: the file position moves, as a read would move it.
        match nix::sys::sendfile::sendfile64(socket.as_fd(), stdin.as_fd(), None, CHUNK) {
            Ok(0) => return Ok(Ok(())),
            Ok(_) => clock.touch(),
            Err(Errno::EINTR) => {}
            Err(Errno::EIO) => return Err(io::Error::from(Errno::EIO)).context("read stdin"),
            Err(err) => return Ok(Err(err.into())),
        }
    }
}

/// Stdin is a pipe: make it hold more (1 MiB, the usual limit for anyone) so each read brings
/// more and the writer blocks less. Failing that, the pipe stays as it was.
fn widen_stdin_pipe() {
    use nix::fcntl::{FcntlArg, fcntl};
    let stdin = io::stdin();
    if nix::sys::stat::fstat(stdin.as_fd())
        .is_ok_and(|stat| stat.st_mode & nix::libc::S_IFMT == nix::libc::S_IFIFO)
    {
        let _ = fcntl(
            stdin.as_fd(),
            FcntlArg::F_SETPIPE_SZ(CHUNK as nix::libc::c_int),
        );
    }
}

/// Stdin through a buffer: a pipe or terminal, or whenever `--crlf` or `--hexdump` need to see
/// the bytes. The outer error is stdin's, the inner one the socket's.
fn copy_stdin<S: Socket>(
    socket: &mut S,
    options: &Options,
    clock: &Clock,
    mut dump: Option<&mut Hexdump>,
) -> anyhow::Result<io::Result<()>> {
    let mut stdin = io::stdin().lock();
    let mut buf = vec![0u8; CHUNK];
    let mut converted = Vec::new();
    let mut crlf = Crlf::default();
    loop {
        let n = match stdin.read(&mut buf) {
            Ok(0) => return Ok(Ok(())),
            Ok(n) => n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(anyhow::Error::new(err).context("read stdin")),
        };
        let bytes = if options.crlf {
            converted.clear();
            crlf.convert(&buf[..n], &mut converted);
            &converted[..]
        } else {
            &buf[..n]
        };
        if let Some(dump) = dump.as_deref_mut() {
            dump.show(bytes);
        }
        clock.touch();
        if let Err(err) = socket.write_all(bytes) {
            return Ok(Err(err));
        }
        clock.touch();
    }
}

/// The socket to stdout until the server closes.
fn receive<S: Socket>(
    mut socket: S,
    peer: &str,
    options: &Options,
    clock: &Clock,
) -> anyhow::Result<()> {
    let mut out = stdout()?;
    let mut dump = options.hexdump.then(|| Hexdump::new('<'));
    let mut buf = vec![0u8; CHUNK];
    if let Some(idle) = options.idle {
        socket.set_read_timeout(Some(idle))?;
    }
    loop {
        match socket.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => {
                clock.touch();
                if let Some(dump) = &mut dump {
                    dump.show(&buf[..n]);
                }
                out.write_all(&buf[..n]).context("write to stdout")?;
            }
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) if timed_out(&err) => {
                let Some(idle) = options.idle else {
                    return Err(anyhow::anyhow!(
                        "receive from {peer}: {}",
                        os_error_text(&err)
                    ));
                };
                let quiet = clock.quiet_for();
                if quiet >= idle {
                    crate::info!(
                        "netlab connect: closing: nothing sent or received for {}",
                        crate::net::format_duration(idle)
                    );
                    return Ok(());
                }
                socket.set_read_timeout(Some(idle - quiet))?;
            }
            Err(err) => anyhow::bail!("receive from {peer}: {}", os_error_text(&err)),
        }
    }
}

/// Standard output without a buffer in between: replies show as they arrive, and big ones go
/// out in big writes.
fn stdout() -> anyhow::Result<File> {
    let fd = io::stdout()
        .as_fd()
        .try_clone_to_owned()
        .context("standard output")?;
    Ok(File::from(fd))
}

fn timed_out(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_adds_carriage_returns_once() {
        let mut crlf = Crlf::default();
        let mut out = Vec::new();
        crlf.convert(b"GET / HTTP/1.0\nHost: x\r\n", &mut out);
        assert_eq!(out, b"GET / HTTP/1.0\r\nHost: x\r\n");
    }

    #[test]
    fn crlf_remembers_a_carriage_return_across_chunks() {
        let mut crlf = Crlf::default();
        let mut out = Vec::new();
        crlf.convert(b"a\r", &mut out);
        crlf.convert(b"\nb\n", &mut out);
        assert_eq!(out, b"a\r\nb\r\n");
    }
}
