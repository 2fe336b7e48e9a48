//! A connected stream (TCP or Unix): stdin (or `--send`) to the socket and the socket to stdout,
//! at the same time. On the end of stdin the socket is half-closed (the server sees EOF) and
//! replies are still read; when the server closes, the session ends at once, even if stdin is
//! still open (a terminal, a slow pipe).
//!
//! When stdin's bytes need no looking at (no `--crlf`, no `--hexdump`), they take the kernel's
//! short cuts: a pipe is widened to 1 MiB and spliced into the socket (its pages move, no copy);
//! a regular file goes by sendfile(2) or by write(2) from a mapping of it, whichever this machine
//! runs faster (see [`send_stdin_file`]).

use std::fs::File;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::num::NonZeroUsize;
use std::os::fd::{AsFd, AsRawFd};
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
        None => match (dump.is_none() && !options.crlf).then(stdin_kind) {
            Some(Stdin::File) => send_stdin_file(&mut socket, options, clock)?,
            Some(Stdin::Pipe) => {
                widen_stdin_pipe();
                match splice_stdin(&socket, clock)? {
                    Spliced::Done(sent) => sent,
                    Spliced::Unsupported => copy_stdin(&mut socket, options, clock, None)?,
                }
            }
            _ => copy_stdin(&mut socket, options, clock, dump.as_mut())?,
        },
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

/// What stdin is, for choosing how to send it.
enum Stdin {
    File,
    Pipe,
    Other,
}

fn stdin_kind() -> Stdin {
    use nix::libc::{S_IFIFO, S_IFMT, S_IFREG};
    match nix::sys::stat::fstat(io::stdin().as_fd()).map(|stat| stat.st_mode & S_IFMT) {
        Ok(S_IFREG) => Stdin::File,
        Ok(S_IFIFO) => Stdin::Pipe,
        _ => Stdin::Other,
    }
}

/// A file on stdin shorter than this is not tried both ways: the whole of it takes a moment.
const TRIAL_FROM: u64 = 512 << 20;
/// Sent each way before timing it, to push the other way's bytes out of the socket buffers
/// (measured on loopback: 3–7 MiB queued between the two processes).
const TRIAL_FLUSH: u64 = 8 << 20;
/// Then timed. Small, since what the slower way sends costs time: the two ways differ by a
/// factor of two where it matters, which a small slice shows (and [`SENDFILE_MARGIN`] covers
/// the noise).
const TRIAL_SLICE: u64 = 16 << 20;
/// sendfile(2) is chosen when its slice took less than this share of the other way's time.
const SENDFILE_MARGIN: f64 = 0.8;
/// How much of the file is mapped at a time, and how much of it one write(2) is given.
const MAP_WINDOW: usize = 4 << 20;
const MAP_WRITE: usize = 1 << 20;

/// The two ways to send a file on stdin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FileMethod {
    /// sendfile(2): the socket takes the page cache's pages themselves, no copy.
    Sendfile,
    /// write(2) from the file mapped into memory: one copy, by the kernel, from the page cache
    /// into the socket (a read and a write would make two).
    Mapped,
}

impl FileMethod {
    fn name(self) -> &'static str {
        match self {
            FileMethod::Sendfile => "sendfile(2)",
            FileMethod::Mapped => "write(2) from a mapping",
        }
    }
}

/// Stdin is a regular file. Which way sends it faster depends on the machine, by a factor of
/// two either way: on one AMD EPYC VM sendfile(2) ran 2.9x as fast as `nc`'s read/write loop,
/// on an Intel Xeon VM 0.65x, where a copy won (probably because the receiver then reads bytes
/// the sender's copy has just brought into the cache, not page-cache pages from memory). So a large file is tried
/// both ways, in turn (mapped, sendfile, mapped): whenever the way changes, enough is sent
/// first to be the only thing in flight (a slice takes as long as the receiver takes to drain
/// what came before it), then a timed slice; the rest goes the way whose best slice was faster
/// (`-v` says which). Whatever the file's size said at the start, what follows it
/// (a file still growing, a /proc file that says 0) is read and written until the end. The outer
/// error is stdin's, the inner one the socket's.
fn send_stdin_file<S: Socket>(
    socket: &mut S,
    options: &Options,
    clock: &Clock,
) -> anyhow::Result<io::Result<()>> {
    use nix::unistd::{Whence, lseek};
    let stdin = io::stdin();
    let start = lseek(stdin.as_fd(), 0, Whence::SeekCur).context("read stdin")?;
    let size = nix::sys::stat::fstat(stdin.as_fd())
        .context("read stdin")?
        .st_size;
    let mut file = FileSender {
        socket,
        clock,
        offset: start.max(0) as u64,
        end: size.max(0) as u64,
    };
    let sent = file.send_all();
    // Leave stdin's position after the bytes sent, as reading it would have.
    let _ = lseek(
        stdin.as_fd(),
        file.offset as nix::libc::off_t,
        Whence::SeekSet,
    );
    match sent? {
        Ok(()) => {}
        Err(err) => return Ok(Err(err)),
    }
    copy_stdin(file.socket, options, clock, None)
}

/// A file on stdin on its way to the socket, by either [`FileMethod`], at explicit offsets.
struct FileSender<'a, S> {
    socket: &'a mut S,
    clock: &'a Clock,
    /// The next byte to send.
    offset: u64,
    /// The file's size when sending began.
    end: u64,
}

impl<S: Socket> FileSender<'_, S> {
    /// Up to the size the file had at the start, the faster way.
    fn send_all(&mut self) -> anyhow::Result<io::Result<()>> {
        let method = if self.end.saturating_sub(self.offset) < TRIAL_FROM {
            FileMethod::Mapped
        } else {
            // Each way's best slice: a slice slowed by something else running is not the way's.
            let mut best = [Duration::MAX; 2];
            let (mapped, sendfile) = (FileMethod::Mapped, FileMethod::Sendfile);
            // The first flush is longer: it also waits out the connection's start.
            let trial = [
                (mapped, 2 * TRIAL_FLUSH, false),
                (mapped, TRIAL_SLICE, true),
                (sendfile, TRIAL_FLUSH, false),
                (sendfile, TRIAL_SLICE, true),
                (mapped, TRIAL_FLUSH, false),
                (mapped, TRIAL_SLICE, true),
            ];
            for (method, size, timed) in trial {
                let start = Instant::now();
                if let Err(err) = self.send(method, size)? {
                    return Ok(Err(err));
                }
                if timed {
                    best[method as usize] = best[method as usize].min(start.elapsed());
                }
            }
            let [sendfile, mapped] = best;
            // sendfile(2) only when it is clearly faster: the copy is never far from `nc`'s
            // rate, and a trial that noise tipped the other way could halve it.
            let method = if sendfile.as_secs_f64() < mapped.as_secs_f64() * SENDFILE_MARGIN {
                FileMethod::Sendfile
            } else {
                FileMethod::Mapped
            };
            crate::debug!(
                "netlab connect: stdin is a file; {} MiB took {:.1} ms by {}, {:.1} ms by {}; \
                 the rest goes by {}",
                TRIAL_SLICE >> 20,
                sendfile.as_secs_f64() * 1e3,
                FileMethod::Sendfile.name(),
                mapped.as_secs_f64() * 1e3,
                FileMethod::Mapped.name(),
                method.name()
            );
            method
        };
        self.send(method, u64::MAX)
    }

    /// Send up to `limit` bytes, stopping at the size the file had at the start. The outer
    /// error is stdin's, the inner one the socket's.
    fn send(&mut self, method: FileMethod, limit: u64) -> anyhow::Result<io::Result<()>> {
        let stop = self.end.min(self.offset.saturating_add(limit));
        while self.offset < stop {
            let sent = match method {
                FileMethod::Sendfile => self.sendfile(stop)?,
                FileMethod::Mapped => self.write_mapped(stop)?,
            };
            match sent {
                // The file is shorter than it was.
                Ok(0) => {
                    self.end = self.offset;
                    break;
                }
                Ok(n) => {
                    self.offset += n;
                    self.clock.touch();
                }
                Err(err) => return Ok(Err(err)),
            }
        }
        Ok(Ok(()))
    }

    fn sendfile(&mut self, stop: u64) -> anyhow::Result<io::Result<u64>> {
        use nix::errno::Errno;
        let stdin = io::stdin();
        let want = (stop - self.offset).min(CHUNK as u64) as usize;
        let mut offset = self.offset as nix::libc::off64_t;
        loop {
            return match nix::sys::sendfile::sendfile64(
                self.socket.as_fd(),
                stdin.as_fd(),
                Some(&mut offset),
                want,
            ) {
                Ok(n) => Ok(Ok(n as u64)),
                Err(Errno::EINTR) => continue,
                Err(Errno::EIO) => Err(io::Error::from(Errno::EIO)).context("read stdin"),
                Err(err) => Ok(Err(err.into())),
            };
        }
    }

    /// Map a window of the file and hand it to write(2). The mapping is only ever read by the
    /// kernel, inside write(2): had the file shrunk under it, a read by this process would be
    /// SIGBUS, while the kernel's copy fails with EFAULT, and the send ends there, as a read
    /// would have ended at the new end.
    fn write_mapped(&mut self, stop: u64) -> anyhow::Result<io::Result<u64>> {
        use nix::errno::Errno;
        use nix::sys::mman::{MapFlags, ProtFlags, mmap, munmap};
        let page = 4096u64;
        let base = self.offset / page * page;
        let skip = (self.offset - base) as usize;
        let len = (stop - base).min(MAP_WINDOW as u64) as usize;
        let Some(length) = NonZeroUsize::new(len) else {
            return Ok(Ok(0));
        };
        let stdin = io::stdin();
        // SAFETY: a fresh read-only private mapping of stdin, unmapped below before returning;
        // nothing in this process reads it (see above).
        let map = unsafe {
            mmap(
                None,
                length,
                ProtFlags::PROT_READ,
                MapFlags::MAP_PRIVATE | MapFlags::MAP_POPULATE,
                stdin.as_fd(),
                base as nix::libc::off_t,
            )
        };
        let map = match map {
            Ok(map) => map,
            // A file that cannot be mapped goes by sendfile(2).
            Err(_) => return self.sendfile(stop),
        };
        let mut at = skip;
        let mut failed = None;
        while at < len {
            let want = (len - at).min(MAP_WRITE);
            // SAFETY: `at + want <= len`, inside the mapping; the pointer goes to the kernel
            // only, never read here, so no reference to the mapping is made.
            let written = unsafe {
                nix::libc::write(
                    self.socket.as_fd().as_raw_fd(),
                    map.as_ptr().cast::<u8>().add(at).cast(),
                    want,
                )
            };
            match Errno::result(written) {
                Ok(n) => at += n as usize,
                Err(Errno::EINTR) => {}
                Err(err) => {
                    failed = Some(err);
                    break;
                }
            }
        }
        // SAFETY: the mapping made above, of `len` bytes, no longer used.
        let _ = unsafe { munmap(map, len) };
        let sent = (at - skip) as u64;
        match failed {
            // EFAULT: the file shrank under the mapping. What was sent counts, and the next
            // window (past the new end) sends nothing, which `send` takes for the end.
            None | Some(Errno::EFAULT) => Ok(Ok(sent)),
            Some(err) => Ok(Err(err.into())),
        }
    }
}

/// Stdin is a pipe: splice(2) moves its pages into the socket, so neither copy of a read and a
/// write is made. Where the socket takes no splice, nothing has been sent and the caller copies.
fn splice_stdin<S: Socket>(socket: &S, clock: &Clock) -> anyhow::Result<Spliced> {
    use nix::errno::Errno;
    use nix::fcntl::{SpliceFFlags, splice};
    let stdin = io::stdin();
    let mut moved = false;
    loop {
        match splice(
            stdin.as_fd(),
            None,
            socket.as_fd(),
            None,
            CHUNK,
            SpliceFFlags::empty(),
        ) {
            Ok(0) => return Ok(Spliced::Done(Ok(()))),
            Ok(_) => {
                moved = true;
                clock.touch();
            }
            Err(Errno::EINTR) => {}
            Err(Errno::EINVAL) if !moved => return Ok(Spliced::Unsupported),
            Err(Errno::EIO) => return Err(io::Error::from(Errno::EIO)).context("read stdin"),
            Err(err) => return Ok(Spliced::Done(Err(err.into()))),
        }
    }
}

/// Stdin is a pipe: make it hold more (1 MiB, the usual limit for anyone) so each splice moves
/// more and the writer blocks less. Failing that, the pipe stays as it was.
fn widen_stdin_pipe() {
    use nix::fcntl::{FcntlArg, fcntl};
    let _ = fcntl(
        io::stdin().as_fd(),
        FcntlArg::F_SETPIPE_SZ(CHUNK as nix::libc::c_int),
    );
}

/// How [`splice_stdin`] ended.
enum Spliced {
    /// Stdin's end, or the socket's error.
    Done(io::Result<()>),
    /// The socket takes no splice(2); nothing was sent.
    Unsupported,
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
