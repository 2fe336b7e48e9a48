//! A connected stream (TCP or Unix): stdin (or `--send`) to the socket and the socket to stdout,
//! at the same time. On the end of stdin the socket is half-closed (the server sees EOF) and
//! replies are still read; when the server closes, the session ends at once, even if stdin is
//! still open (a terminal, a slow pipe).
//!
//! Stdin goes through a 32 KiB buffer, which stays in the CPU's cache between the read and the
//! write; a pipe on stdin is widened to 1 MiB first, so its writer blocks less. When stdin's
//! bytes need no looking at (no `--crlf`, no `--hexdump`), a regular file goes by send(2) from
//! a mapping of it instead (see [`send_stdin_file`]). splice(2) from a pipe is not used: it
//! keeps the pipe locked while the socket is full, and whoever writes into stdin would hang in
//! write(2), unkillable, until the server reads.

use std::fs::File;
use std::io::{self, Read, Write};
use std::num::NonZeroUsize;
use std::os::fd::{AsFd, AsRawFd};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::net::{self, Stream};

use super::Options;
use super::hexdump::Hexdump;

/// Bytes moved per call from the socket, and per sendfile(2); the size a pipe on stdin is
/// widened to.
const CHUNK: usize = 1 << 20;
/// Stdin's buffer: small enough to stay in the CPU's cache between the read and the write
/// (benches/README.md has the measurement).
const STDIN_BUF: usize = 32 * 1024;

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
pub fn run(stream: Stream, options: &Options) -> anyhow::Result<()> {
    let peer = stream.peer_name();
    let clock = Arc::new(Clock::new());
    let stdin_failed = Arc::new(AtomicBool::new(false));
    // A reset reaches whichever call comes first: when a send takes it, the read sees an end.
    let reset = Arc::new(AtomicBool::new(false));
    let sender = stream.try_clone().context("clone the socket")?;
    let (done_tx, done) = mpsc::channel();
    {
        let (options, clock) = (options.clone(), Arc::clone(&clock));
        let stdin_failed = Arc::clone(&stdin_failed);
        let reset = Arc::clone(&reset);
        let stopper = sender.try_clone().context("clone the socket")?;
        std::thread::Builder::new()
            .name("send".into())
            .spawn(move || {
                let sent = send(sender, &options, &clock, &reset);
                let failed = sent.is_err();
                let _ = done_tx.send(sent);
                // Reading stdin failed (the error is on its way): the session is over, so the
                // receiving side stops too, rather than wait for a server that saw no end of
                // the input, and the server is not told the input ended well.
                // In this order: the receiving side may end the process as soon as it sees the
                // flag, and the reset must be armed by then.
                if failed {
                    let _ = stopper.reset_on_close();
                    stdin_failed.store(true, Ordering::SeqCst);
                    let _ = stopper.shutdown(std::net::Shutdown::Read);
                }
            })
            .context("start the sending thread")?;
    }
    let received = receive(stream, &peer, options, &clock, &stdin_failed, &reset);
    // The server has closed (or stdin failed). Stdin may stay open for ever and is not waited
    // for; `--send`'s text is finite, so it gets the chance to go out (as long as a connect may
    // take).
    let sent = if options.send.is_some() && received.is_ok() {
        done.recv_timeout(options.timeout).ok()
    } else {
        done.try_recv().ok()
    };
    match (sent, received) {
        // A local failure on the way out (reading stdin) is the news, whatever the receiving
        // side saw after it.
        (Some(Err(err)), _) => Err(err),
        (_, received) => received,
    }
}

/// Stdin (or `--send`) to the socket, then half-close.
fn send(
    mut socket: Stream,
    options: &Options,
    clock: &Clock,
    reset: &AtomicBool,
) -> anyhow::Result<()> {
    let mut dump = options.hexdump.then(|| Hexdump::new('>'));
    let sent = match &options.send {
        Some(text) => {
            if let Some(dump) = &mut dump {
                dump.show(text);
            }
            clock.touch();
            socket.write_all(text)
        }
        // A TLS session encrypts what it sends: stdin goes through a buffer.
        None => {
            match (dump.is_none() && !options.crlf && socket.tls().is_none()).then(stdin_kind) {
                Some(Stdin::File(size)) => send_stdin_file(&mut socket, size, options, clock)?,
                Some(Stdin::Pipe) => {
                    widen_stdin_pipe();
                    copy_stdin(&mut socket, options, clock, None)?
                }
                _ => copy_stdin(&mut socket, options, clock, dump.as_mut())?,
            }
        }
    };
    if let Err(err) = sent {
        // The server closed or reset: the receiving side reports what matters.
        crate::debug!("netlab connect: send: {}", net::error_text(&err));
        if err.kind() == io::ErrorKind::ConnectionReset {
            reset.store(true, Ordering::SeqCst);
        }
        return Ok(());
    }
    if let Err(err) = socket.shutdown(std::net::Shutdown::Write) {
        crate::debug!("netlab connect: half-close: {}", net::error_text(&err));
    }
    Ok(())
}

/// What stdin is, for choosing how to send it.
enum Stdin {
    /// A regular file of this size.
    File(u64),
    Pipe,
    Other,
}

fn stdin_kind() -> Stdin {
    use nix::libc::{S_IFIFO, S_IFMT, S_IFREG};
    match nix::sys::stat::fstat(io::stdin().as_fd()) {
        Ok(stat) if stat.st_mode & S_IFMT == S_IFREG => Stdin::File(stat.st_size.max(0) as u64),
        Ok(stat) if stat.st_mode & S_IFMT == S_IFIFO => Stdin::Pipe,
        _ => Stdin::Other,
    }
}

/// How much of a file on stdin is mapped at a time, and how much of it one send(2) is given.
const MAP_WINDOW: usize = 4 << 20;
const MAP_WRITE: usize = 1 << 20;

/// Stdin is a regular file: it goes out by send(2) from a mapping of it, one copy made by the
/// kernel from the page cache into the socket (a read and a write make two). Not by
/// sendfile(2), which makes none but ran slower into a loopback socket, probably because the
/// receiver then reads page-cache pages from memory rather than bytes the sender's copy has just
/// brought into the cache (benches/README.md has the figures). sendfile(2) stays for a file
/// that cannot be mapped.
///
/// From stdin's position up to `size`, the size the file had at the start; what follows (a file still
/// growing, a /proc file that says 0) is read and written until the end. The outer error is
/// stdin's, the inner one the socket's.
fn send_stdin_file(
    socket: &mut Stream,
    size: u64,
    options: &Options,
    clock: &Clock,
) -> anyhow::Result<io::Result<()>> {
    use nix::unistd::{Whence, lseek};
    let stdin = io::stdin();
    let start = lseek(stdin.as_fd(), 0, Whence::SeekCur).context("read stdin")?;
    let mut file = FileSender {
        socket,
        clock,
        offset: start.max(0) as u64,
        end: size,
    };
    crate::debug!(
        "netlab connect: stdin is a file; {} bytes go by send(2) from a mapping of it",
        file.end.saturating_sub(file.offset)
    );
    if let Err(err) = file.send_all()? {
        return Ok(Err(err));
    }
    copy_stdin(file.socket, options, clock, None)
}

/// A file on stdin on its way to the socket, at explicit offsets.
struct FileSender<'a> {
    socket: &'a mut Stream,
    clock: &'a Clock,
    /// The next byte to send.
    offset: u64,
    /// The file's size when sending began (less, once it is seen to have shrunk).
    end: u64,
}

impl FileSender<'_> {
    /// Up to `end`. The outer error is stdin's, the inner one the socket's.
    fn send_all(&mut self) -> anyhow::Result<io::Result<()>> {
        while self.offset < self.end {
            let before = self.offset;
            if let Err(err) = self.send_window()? {
                return Ok(Err(err));
            }
            if self.offset == before {
                // The file is shorter than it was.
                self.end = self.offset;
            }
        }
        Ok(Ok(()))
    }

    /// `n` more bytes have gone.
    fn advance(&mut self, n: u64) {
        self.offset += n;
        self.clock.touch();
        // stdin's position follows what has gone, as reads would move it: the session may end
        // (the server closing) at any point.
        if let Ok(offset) = nix::libc::off_t::try_from(self.offset) {
            let _ = nix::unistd::lseek(io::stdin().as_fd(), offset, nix::unistd::Whence::SeekSet);
        }
    }

    /// Map a window of the file and send it, a piece at a time, each no further than the file's
    /// size at that moment and each no more than the socket takes at once (send(2) with
    /// MSG_DONTWAIT, after poll(2) says there is room). So the kernel copies a piece from the
    /// page cache just after its size was checked, as read(2) would: a piece that waited in a
    /// blocking write while the file was cut short could carry the zeros that the cut leaves
    /// in the rest of the last page. The mapping is only ever read by the kernel, inside
    /// send(2): had the file shrunk under it, a read by this process would be SIGBUS, while
    /// the kernel's copy fails with EFAULT, and the send ends there, as a read would have ended
    /// at the new end. A file that cannot be mapped goes by sendfile(2).
    fn send_window(&mut self) -> anyhow::Result<io::Result<()>> {
        use nix::errno::Errno;
        use nix::sys::mman::{MapFlags, ProtFlags, mmap, munmap};
        let page = nix::unistd::sysconf(nix::unistd::SysconfVar::PAGE_SIZE)
            .ok()
            .flatten()
            .map_or(4096, |size| size as u64);
        let base = self.offset / page * page;
        let len = (self.end - base).min(MAP_WINDOW as u64) as usize;
        let (Some(length), Ok(map_offset)) =
            (NonZeroUsize::new(len), nix::libc::off_t::try_from(base))
        else {
            // Beyond what this system's offsets reach: the plain copy takes it from here.
            self.end = self.offset;
            return Ok(Ok(()));
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
                map_offset,
            )
        };
        let Ok(map) = map else {
            return self.sendfile(base + len as u64);
        };
        let socket = self.socket.as_fd().as_raw_fd();
        let mut result = Ok(());
        let mut waited = false;
        loop {
            let at = (self.offset - base) as usize;
            let now = nix::sys::stat::fstat(stdin.as_fd()).map_or(0, |stat| stat.st_size.max(0));
            let left = (now as u64).saturating_sub(self.offset);
            let want = (len - at).min(MAP_WRITE).min(left as usize);
            if want == 0 {
                break;
            }
            // SAFETY: `at + want <= len`, inside the mapping; the pointer goes to the kernel
            // only, never read here, so no reference to the mapping is made.
            let sent = unsafe {
                nix::libc::send(
                    socket,
                    map.as_ptr().cast::<u8>().add(at).cast(),
                    want,
                    nix::libc::MSG_DONTWAIT | nix::libc::MSG_NOSIGNAL,
                )
            };
            match Errno::result(sent) {
                Ok(n) => {
                    waited = false;
                    self.advance(n as u64);
                }
                Err(Errno::EAGAIN) => {
                    // poll(2) can say there is room when the system is short of memory for
                    // sockets and send(2) still cannot take a byte: then pause a moment rather
                    // than spin.
                    if waited {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                    if let Err(err) = wait_for(self.socket.as_fd(), nix::poll::PollFlags::POLLOUT) {
                        result = Err(err);
                        break;
                    }
                    waited = true;
                }
                Err(Errno::EINTR) => {}
                // The file shrank under the copy: what was sent counts, and the next window
                // sends nothing, which is the end.
                Err(Errno::EFAULT) => break,
                Err(err) => {
                    result = Err(err.into());
                    break;
                }
            }
        }
        // SAFETY: the mapping made above, of `len` bytes, no longer used.
        let _ = unsafe { munmap(map, len) };
        Ok(result)
    }

    /// sendfile(2) up to `stop`, for a file that cannot be mapped.
    fn sendfile(&mut self, stop: u64) -> anyhow::Result<io::Result<()>> {
        use nix::errno::Errno;
        let stdin = io::stdin();
        while self.offset < stop {
            let want = (stop - self.offset).min(CHUNK as u64) as usize;
            let mut at = self.offset;
            match net::io::sendfile_at(self.socket.as_fd(), stdin.as_fd(), &mut at, want) {
                Ok(0) => break,
                Ok(n) => self.advance(n as u64),
                Err(err) => match err.raw_os_error().map(Errno::from_raw) {
                    Some(Errno::EIO) => return Err(err).context("read stdin"),
                    // The socket's own failures.
                    Some(
                        Errno::EPIPE
                        | Errno::ECONNRESET
                        | Errno::ENOTCONN
                        | Errno::ETIMEDOUT
                        | Errno::ECONNABORTED
                        | Errno::EHOSTUNREACH
                        | Errno::ENETUNREACH,
                    ) => return Ok(Err(err)),
                    // Anything else is the file's: one sendfile(2) cannot read (on a file system
                    // without it, or open for writing only), a failing one, or an offset past
                    // what sendfile takes. The plain copy carries on from here and reports a
                    // read error; a descriptor not open for reading reads as an empty stdin, as
                    // Rust's stdin has it.
                    _ => {
                        self.end = self.offset;
                        break;
                    }
                },
            }
        }
        Ok(Ok(()))
    }
}

/// Wait until a descriptor is ready for `events` (or has an error to tell).
fn wait_for(fd: std::os::fd::BorrowedFd<'_>, events: nix::poll::PollFlags) -> io::Result<()> {
    use nix::poll::{PollFd, PollTimeout, poll};
    loop {
        match poll(&mut [PollFd::new(fd, events)], PollTimeout::NONE) {
            Ok(_) => return Ok(()),
            Err(nix::errno::Errno::EINTR) => {}
            Err(err) => return Err(err.into()),
        }
    }
}

/// Stdin is a pipe: make it hold more (1 MiB, the usual limit for anyone) so its writer blocks
/// less. Failing that, the pipe stays as it was.
fn widen_stdin_pipe() {
    use nix::fcntl::{FcntlArg, fcntl};
    let _ = fcntl(
        io::stdin().as_fd(),
        FcntlArg::F_SETPIPE_SZ(CHUNK as nix::libc::c_int),
    );
}

/// Stdin through a buffer: a pipe or terminal, or whenever `--crlf` or `--hexdump` need to see
/// the bytes. The outer error is stdin's, the inner one the socket's.
fn copy_stdin(
    socket: &mut Stream,
    options: &Options,
    clock: &Clock,
    mut dump: Option<&mut Hexdump>,
) -> anyhow::Result<io::Result<()>> {
    let mut stdin = io::stdin().lock();
    let mut buf = vec![0u8; STDIN_BUF];
    let mut converted = Vec::new();
    let mut crlf = Crlf::default();
    loop {
        let n = match stdin.read(&mut buf) {
            Ok(0) => return Ok(Ok(())),
            Ok(n) => n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            // A stdin left non-blocking (by a program that shares it): wait for it as a
            // blocking read would.
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                wait_for(io::stdin().as_fd(), nix::poll::PollFlags::POLLIN)?;
                continue;
            }
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
fn receive(
    mut socket: Stream,
    peer: &str,
    options: &Options,
    clock: &Clock,
    stdin_failed: &AtomicBool,
    reset: &AtomicBool,
) -> anyhow::Result<()> {
    let mut out = stdout()?;
    let mut dump = options.hexdump.then(|| Hexdump::new('<'));
    let mut buf = vec![0u8; CHUNK];
    if let Some(idle) = options.idle {
        socket.set_read_timeout(Some(idle))?;
    }
    let mut received_any = false;
    loop {
        let read = socket.read(&mut buf);
        if stdin_failed.load(Ordering::SeqCst) {
            return Ok(());
        }
        match read {
            Ok(0) if reset.load(Ordering::SeqCst) && !received_any => {
                anyhow::bail!("{}", refused(peer))
            }
            Ok(0) => return Ok(()),
            Ok(n) => {
                received_any = true;
                clock.touch();
                if let Some(dump) = &mut dump {
                    dump.show(&buf[..n]);
                }
                out.write_all(&buf[..n]).context("write to stdout")?;
            }
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) if net::is_timeout(&err) => {
                let Some(idle) = options.idle else {
                    return Err(anyhow::anyhow!(
                        "receive from {peer}: {}",
                        net::error_text(&err)
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
            Err(err) if err.kind() == io::ErrorKind::ConnectionReset && !received_any => {
                // A server that refuses a client (over its --max-conns) resets it; one that
                // merely has nothing to say closes, and that is no failure.
                anyhow::bail!("{}", refused(peer))
            }
            Err(err) => {
                if let Some(refused) = net::tls::refused_client(&err, peer) {
                    return Err(refused);
                }
                anyhow::bail!("receive from {peer}: {}", net::error_text(&err))
            }
        }
    }
}

/// A reset before the server sent anything: how a server over its limit refuses.
pub const RESET_BY_SERVER: &str = "reset by the server (it may be at its --max-conns)";

fn refused(peer: &str) -> String {
    format!("connect {peer}: {RESET_BY_SERVER}")
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
