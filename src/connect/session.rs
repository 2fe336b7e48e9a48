//! A connected stream (TCP or Unix): stdin (or `--send`) to the socket and the socket to stdout,
//! at the same time. On the end of stdin the socket is half-closed (the server sees EOF) and
//! replies are still read; when the server closes, what stdin has ready still goes out, and
//! then the session ends, even if stdin is still open (a terminal, a slow pipe). The EOF flags
//! (`eof.rs`) change both rules.
//!
//! Stdin goes through a 32 KiB buffer, which stays in the CPU's cache between the read and the
//! write; a pipe on stdin is widened to 1 MiB first, so its writer blocks less. When stdin's
//! bytes need no looking at (no `--crlf`, no `--hexdump`), a regular file goes by send(2) from
//! a mapping of it instead (see `stdin_file.rs`). splice(2) from a pipe is not used: it
//! keeps the pipe locked while the socket is full, and whoever writes into stdin would hang in
//! write(2), unkillable, until the server reads.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::AsFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::Duration;

use anyhow::Context;

use crate::net::{self, Stream};

use super::Options;
pub use super::eof::Clock;
use super::eof::Ending;
use super::hexdump::Hexdump;
use super::stdin_file::{send_stdin_file, wait_for};

/// Bytes moved per call from the socket, and per sendfile(2); the size a pipe on stdin is
/// widened to.
pub(super) const CHUNK: usize = 1 << 20;
/// Stdin's buffer: small enough to stay in the CPU's cache between the read and the write
/// (benches/README.md has the measurement).
const STDIN_BUF: usize = 32 * 1024;

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

/// Copy both ways until the server closes (or `--idle-timeout`, or what the EOF flags say).
pub fn run(stream: Stream, options: &Options) -> anyhow::Result<()> {
    let peer = stream.peer_name();
    let clock = Arc::new(Clock::new());
    let stop = Arc::new(Stop::default());
    // A reset reaches whichever call comes first: when a send takes it, the read sees an end.
    let reset = Arc::new(AtomicBool::new(false));
    let (done_tx, done) = mpsc::channel();
    // The socket's own handle, kept to wake the receiving side and (listening with -k) the
    // sending one.
    let waker = stream.try_clone().context("clone the socket")?;
    if options.eof.recv_only {
        let _ = done_tx.send(Ok(()));
    } else {
        let sender = stream.try_clone().context("clone the socket")?;
        crate::explain::dup(&stream, &sender);
        let (options, clock) = (options.clone(), Arc::clone(&clock));
        let (stop, reset) = (Arc::clone(&stop), Arc::clone(&reset));
        let stopper = waker.try_clone().context("clone the socket")?;
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
                    stop.set(Ending::Failed);
                    let _ = stopper.shutdown(std::net::Shutdown::Read);
                    return;
                }
                let after = match (options.eof.send_only, options.eof.quit_after) {
                    (true, _) => Some(Duration::ZERO),
                    (false, after) => after,
                };
                if let Some(after) = after
                    && clock.stdin_has_ended()
                {
                    // The receiving side is woken this long after stdin's end (unless the
                    // server closed first and the session is over anyway).
                    if !stop.wait(after) {
                        stop.set(Ending::Quit);
                        let _ = stopper.shutdown(std::net::Shutdown::Read);
                    }
                }
            })
            .context("start the sending thread")?;
    }
    let received = receive(stream, &peer, options, &clock, &stop, &reset);
    // The server has closed its side (or stdin failed). What stdin has ready still goes out —
    // the server may only have half-closed, as a client of `connect -l` often does — but stdin
    // may stay open for ever (a terminal, a quiet pipe) and is not waited for beyond that.
    // `--send`'s text is finite, so it gets the chance to go out (as long as a connect may
    // take). Listening with -k, the next client must not lose stdin to this session's sending
    // thread: it is woken (see `copy_stdin`) and waited for.
    let mut sent = None;
    if matches!(received, Ok(Ending::ServerClosed)) && options.send.is_none() {
        sent = send_what_stdin_has(&done, &clock);
    }
    stop.finish();
    let sent = if sent.is_some() {
        sent
    } else if options.keep_open {
        let _ = waker.shutdown(std::net::Shutdown::Both);
        done.recv_timeout(options.timeout).ok()
    } else if options.send.is_some() && received.is_ok() {
        done.recv_timeout(options.timeout).ok()
    } else {
        done.try_recv().ok()
    };
    if crate::log::verbose() {
        let ending = match &received {
            Ok(ending) => *ending,
            Err(_) => Ending::Failed,
        };
        crate::debug!(
            "netlab connect: {peer}: {}",
            clock.summary(stop.reason().unwrap_or(ending), &options.eof)
        );
    }
    match (sent, received) {
        // A local failure on the way out (reading stdin) is the news, whatever the receiving
        // side saw after it.
        (Some(Err(err)), _) => Err(err),
        (_, received) => received.map(|_| ()),
    }
}

/// After the server's end-of-file: wait for the sending side while stdin has bytes ready (or
/// its end) and they keep moving; `None` once stdin has nothing ready.
fn send_what_stdin_has(
    done: &mpsc::Receiver<anyhow::Result<()>>,
    clock: &Clock,
) -> Option<anyhow::Result<()>> {
    use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
    const STEP: Duration = Duration::from_millis(20);
    loop {
        match done.recv_timeout(STEP) {
            Ok(sent) => return Some(sent),
            Err(mpsc::RecvTimeoutError::Disconnected) => return None,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        let stdin = io::stdin();
        let mut fds = [PollFd::new(stdin.as_fd(), PollFlags::POLLIN)];
        let ready = poll(&mut fds, PollTimeout::ZERO).is_ok_and(|n| n > 0);
        if !ready && clock.quiet_for() >= STEP {
            return None;
        }
    }
}

/// Why the sending side ended the session, and a wait the end of the session cuts short.
#[derive(Default)]
struct Stop {
    reason: std::sync::Mutex<Option<Ending>>,
    over: std::sync::Condvar,
    finished: AtomicBool,
}

impl Stop {
    fn set(&self, why: Ending) {
        net::lock(&self.reason).get_or_insert(why);
    }

    fn reason(&self) -> Option<Ending> {
        *net::lock(&self.reason)
    }

    /// Wait up to `limit`; whether the session ended meanwhile.
    fn wait(&self, limit: Duration) -> bool {
        let guard = net::lock(&self.reason);
        let (_guard, _) = self
            .over
            .wait_timeout_while(guard, limit, |_| !self.finished.load(Ordering::SeqCst))
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        self.finished.load(Ordering::SeqCst)
    }

    /// The receiving side is done.
    fn finish(&self) {
        let _guard = net::lock(&self.reason);
        self.finished.store(true, Ordering::SeqCst);
        self.over.notify_all();
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
            socket.write_all(text).map(|()| clock.sent(text.len()))
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
    clock.stdin_ended();
    if !options.eof.no_shutdown
        && let Err(err) = socket.shutdown(std::net::Shutdown::Write)
    {
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

/// Wait until stdin has something to read (true) or the session is over (false): the client
/// closed its side, or the session shut the socket down when it ended.
fn stdin_before_hangup(socket: &Stream) -> anyhow::Result<bool> {
    use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
    let stdin = io::stdin();
    loop {
        let mut fds = [
            PollFd::new(stdin.as_fd(), PollFlags::POLLIN),
            PollFd::new(
                socket.as_fd(),
                PollFlags::from_bits_retain(nix::libc::POLLRDHUP),
            ),
        ];
        match poll(&mut fds, PollTimeout::NONE) {
            Ok(_) => {}
            Err(nix::errno::Errno::EINTR) => continue,
            Err(err) => return Err(anyhow::Error::new(err).context("read stdin")),
        }
        // nix reads flags it does not know (POLLRDHUP) as `None`: something happened.
        let ready = |fd: &PollFd<'_>| fd.revents().is_none_or(|r| !r.is_empty());
        if ready(&fds[1]) {
            return Ok(false);
        }
        if ready(&fds[0]) {
            return Ok(true);
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
pub(super) fn copy_stdin(
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
        if options.keep_open && !stdin_before_hangup(socket)? {
            // Listening with -k: the client left. What stdin has not given yet is the next
            // client's.
            return Ok(Ok(()));
        }
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
        clock.sent(bytes.len());
    }
}

/// The socket to stdout until the server closes.
fn receive(
    mut socket: Stream,
    peer: &str,
    options: &Options,
    clock: &Clock,
    stop: &Stop,
    reset: &AtomicBool,
) -> anyhow::Result<Ending> {
    let mut out = stdout()?;
    let mut dump = options.hexdump.then(|| Hexdump::new('<'));
    let mut buf = vec![0u8; CHUNK];
    if let Some(idle) = options.idle {
        socket.set_read_timeout(Some(idle))?;
    }
    let mut received_any = false;
    loop {
        let read = socket.read(&mut buf);
        if let Some(reason) = stop.reason() {
            return Ok(reason);
        }
        match read {
            Ok(0) if reset.load(Ordering::SeqCst) && !received_any => {
                anyhow::bail!("{}", refused(peer))
            }
            Ok(0) => {
                clock.server_closed();
                return Ok(Ending::ServerClosed);
            }
            Ok(n) => {
                received_any = true;
                clock.received(n);
                if let Some(dump) = &mut dump {
                    dump.show(&buf[..n]);
                }
                // --send-only: what comes back is read (so the server is never stuck on a
                // full buffer) and dropped.
                if !options.eof.send_only {
                    out.write_all(&buf[..n]).context("write to stdout")?;
                    crate::explain::stdout_wrote(&buf[..n]);
                }
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
                    return Ok(Ending::Idle);
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
pub const RESET_BY_SERVER: &str = "reset by the server (it may be at its --max-conns, refusing this address, or a relay whose target is down)";

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
