//! The relay's copy: one direction on the serving thread, the other on a thread of its own,
//! each blocking, so a half-close is passed on the moment it comes (the client's EOF becomes
//! `shutdown(SHUT_WR)` on the target, and the target's on the client) and the relay ends when
//! both directions are done.
//!
//! Between two plain sockets (TCP or Unix) the bytes go through a pipe with splice(2) and never
//! into user space; when either side is TLS, through a buffer. A target that fails is passed on
//! to the client as an end, after the bytes so far. A write that fails, a client that fails, or
//! no byte moving either way for `--idle-timeout` cuts both connections, which wakes the other
//! direction wherever it waits.

use std::io::{self, Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::fcntl::{FcntlArg, OFlag, SpliceFFlags, fcntl, splice};

use crate::net::{Stats, Stream};

/// The pipe between two plain sockets, and the most one splice(2) call moves through it.
const PIPE_SIZE: usize = 256 * 1024;
/// The buffer a direction with TLS on either side copies through.
const BUF: usize = 64 * 1024;
const STACK: usize = 128 * 1024;

/// What a relay moved, and how it ended.
pub struct Done {
    /// Bytes from the client to the target.
    pub up: u64,
    /// Bytes from the target to the client.
    pub down: u64,
    pub end: End,
}

pub enum End {
    /// Both sides finished sending (an end of stream each way).
    Both,
    /// No byte moved either way for `--idle-timeout`.
    Idle,
    /// One side failed; in words, for the log line.
    Failed(String),
}

/// Which way a direction copies.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Way {
    /// Client to target.
    Up,
    /// Target to client.
    Down,
}

impl Way {
    fn source(self) -> &'static str {
        match self {
            Way::Up => "the client",
            Way::Down => "the target",
        }
    }

    fn sink(self) -> &'static str {
        match self {
            Way::Up => "the target",
            Way::Down => "the client",
        }
    }
}

/// How one direction ended.
enum Outcome {
    /// Its source sent everything (FIN, or close_notify).
    Eof,
    /// Its source failed: like an end for what follows, but said in the log.
    ReadFailed(io::Error),
    WriteFailed(io::Error),
    Idle,
    /// The other direction cut both connections.
    Cut,
}

/// What both directions share.
struct Shared<'a> {
    client: &'a Stream,
    target: &'a Stream,
    stats: &'a Stats,
    idle: Duration,
    start: Instant,
    /// When a byte last moved either way, in milliseconds since `start`.
    last: AtomicU64,
    cut: AtomicBool,
}

impl Shared<'_> {
    fn moved(&self, way: Way, n: usize) {
        match way {
            Way::Up => self.stats.add_in(n),
            Way::Down => self.stats.add_out(n),
        }
        self.last
            .store(self.start.elapsed().as_millis() as u64, Ordering::Relaxed);
    }

    /// A read timed out: whether the whole relay has been idle for `--idle-timeout` (else the
    /// other direction is busy, and this one waits on).
    fn idle_over(&self) -> bool {
        let last = Duration::from_millis(self.last.load(Ordering::Relaxed));
        self.start.elapsed().saturating_sub(last) >= self.idle
    }

    /// End both connections now, waking the other direction wherever it waits.
    fn cut(&self) {
        self.cut.store(true, Ordering::Relaxed);
        for stream in [self.client, self.target] {
            // The socket itself, even under TLS: no close_notify that could wait for room.
            let _ = nix::sys::socket::shutdown(
                std::os::fd::AsRawFd::as_raw_fd(stream),
                nix::sys::socket::Shutdown::Both,
            );
        }
    }

    fn ends(&self, way: Way) -> (&Stream, &Stream) {
        match way {
            Way::Up => (self.client, self.target),
            Way::Down => (self.target, self.client),
        }
    }
}

/// Copy both ways between `client` and `target` until both are done (or one fails, or the
/// relay is idle for `idle`; zero: no limit).
pub fn relay(client: &Stream, target: &Stream, idle: Duration, stats: &Stats) -> Done {
    let timeout = (!idle.is_zero()).then_some(idle);
    for stream in [client, target] {
        let _ = stream.set_read_timeout(timeout);
        let _ = stream.set_write_timeout(timeout);
        // A relay should add no delay of its own to small writes.
        let tcp = match stream {
            Stream::Tcp(socket) => Some(socket),
            Stream::Tls(tls) => Some(tls.socket()),
            Stream::Unix(_) => None,
        };
        if let Some(socket) = tcp {
            let _ = socket.set_nodelay(true);
        }
    }
    let shared = Shared {
        client,
        target,
        stats,
        idle,
        start: Instant::now(),
        last: AtomicU64::new(0),
        cut: AtomicBool::new(false),
    };
    let (up, down) = std::thread::scope(|scope| {
        let spawned = std::thread::Builder::new()
            .name("forward".into())
            .stack_size(STACK)
            .spawn_scoped(scope, || direction(&shared, Way::Down));
        match spawned {
            Ok(handle) => {
                let up = direction(&shared, Way::Up);
                let down = handle.join().unwrap_or_else(|_| {
                    shared.cut();
                    (
                        Outcome::WriteFailed(io::Error::other("the copy panicked")),
                        0,
                    )
                });
                (up, down)
            }
            Err(err) => {
                let why = io::Error::other(format!("no thread for the relay: {err}"));
                ((Outcome::WriteFailed(why), 0), (Outcome::Cut, 0))
            }
        }
    });
    Done {
        up: up.1,
        down: down.1,
        end: end_of(up.0, down.0),
    }
}

/// The relay's end, from its two directions' (the first failure said, the client's first).
fn end_of(up: Outcome, down: Outcome) -> End {
    let say = |outcome: &Outcome, way: Way| -> Option<End> {
        match outcome {
            Outcome::Eof | Outcome::Cut => None,
            Outcome::Idle => Some(End::Idle),
            Outcome::ReadFailed(err) => Some(End::Failed(format!(
                "{}: {}",
                way.source(),
                crate::net::error_text(err)
            ))),
            Outcome::WriteFailed(err) => Some(End::Failed(format!(
                "{}: {}",
                way.sink(),
                crate::net::error_text(err)
            ))),
        }
    };
    say(&up, Way::Up)
        .or_else(|| say(&down, Way::Down))
        .unwrap_or(End::Both)
}

/// Copy one way to the end, pass the end on, and say how it went and how many bytes moved.
fn direction(shared: &Shared<'_>, way: Way) -> (Outcome, u64) {
    let (from, to) = shared.ends(way);
    let plain = |s: &Stream| matches!(s, Stream::Tcp(_) | Stream::Unix(_));
    let mut moved = 0;
    let outcome = match plain(from) && plain(to) {
        true => spliced(shared, way, &mut moved),
        false => None,
    }
    .unwrap_or_else(|| buffered(shared, way, &mut moved));
    if shared.cut.load(Ordering::Relaxed) {
        return (Outcome::Cut, moved);
    }
    // The target failed (died, reset): the client still gets what came before, then its end.
    // A client that failed has gone both ways: nobody is left to read the target.
    let pass_on = match &outcome {
        Outcome::Eof => true,
        Outcome::ReadFailed(_) => way == Way::Down,
        Outcome::WriteFailed(_) | Outcome::Idle | Outcome::Cut => false,
    };
    if pass_on {
        // The source has no more to send: the sink reads its end (after every byte before).
        if let Err(err) = to.shutdown(std::net::Shutdown::Write) {
            crate::debug!("netlab serve: pass on the end to {}: {err}", way.sink());
        }
    } else {
        shared.cut();
    }
    (outcome, moved)
}

/// Through a pipe with splice(2); `None` when the sockets cannot splice (before any byte
/// moved), for the caller to copy through a buffer instead.
fn spliced(shared: &Shared<'_>, way: Way, moved: &mut u64) -> Option<Outcome> {
    let (from, to) = shared.ends(way);
    let (pipe_out, pipe_in): (OwnedFd, OwnedFd) = nix::unistd::pipe2(OFlag::O_CLOEXEC).ok()?;
    // A larger pipe moves more per call; refused (a user's pipe budget spent), the default.
    let chunk = match fcntl(&pipe_in, FcntlArg::F_SETPIPE_SZ(PIPE_SIZE as i32)) {
        Ok(size) if size > 0 => size as usize,
        _ => 64 * 1024,
    };
    loop {
        let n = match splice(
            from.as_fd(),
            None,
            &pipe_in,
            None,
            chunk,
            SpliceFFlags::SPLICE_F_MOVE,
        ) {
            Ok(0) => return Some(Outcome::Eof),
            Ok(n) => n,
            Err(Errno::EINTR) => continue,
            Err(Errno::EAGAIN) if shared.idle_over() => return Some(Outcome::Idle),
            Err(Errno::EAGAIN) => continue,
            Err(Errno::EINVAL) if *moved == 0 => return None,
            Err(err) => return Some(Outcome::ReadFailed(err.into())),
        };
        let mut left = n;
        while left > 0 {
            match splice(
                &pipe_out,
                None,
                to.as_fd(),
                None,
                left,
                SpliceFFlags::SPLICE_F_MOVE,
            ) {
                Ok(0) => return Some(Outcome::WriteFailed(io::ErrorKind::WriteZero.into())),
                Ok(m) => {
                    left -= m;
                    *moved += m as u64;
                    shared.moved(way, m);
                }
                Err(Errno::EINTR) => {}
                // The sink took nothing for --idle-timeout.
                Err(Errno::EAGAIN) => return Some(Outcome::Idle),
                Err(err) => return Some(Outcome::WriteFailed(err.into())),
            }
        }
    }
}

/// Through a buffer (read, then write it all): what TLS on either side needs.
fn buffered(shared: &Shared<'_>, way: Way, moved: &mut u64) -> Outcome {
    let (mut from, mut to) = shared.ends(way);
    let mut buf = vec![0u8; BUF];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => return Outcome::Eof,
            Ok(n) => n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) if crate::net::is_timeout(&err) && shared.idle_over() => {
                return Outcome::Idle;
            }
            Err(err) if crate::net::is_timeout(&err) => continue,
            Err(err) => return Outcome::ReadFailed(err),
        };
        match to.write_all(&buf[..n]) {
            Ok(()) => {
                *moved += n as u64;
                shared.moved(way, n);
            }
            Err(err) if crate::net::is_timeout(&err) => return Outcome::Idle,
            Err(err) => return Outcome::WriteFailed(err),
        }
    }
}
