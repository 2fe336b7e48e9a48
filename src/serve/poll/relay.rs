//! `--forward` in the poll model: a client's relay as a job. The connection to the target is
//! started without waiting (its socket registered under the client's token with [`TARGET`]
//! set), and each direction copies through a buffer of its own, reading only while the buffer
//! has room and writing while it has bytes. Each half-close is passed on once the bytes before
//! it are out; the relay is done when both directions are.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr};

use socket2::{Domain, SockAddr, SockRef, Socket, Type};

use super::job::{BATCH, Interest, Step, blocked, interrupted};
use crate::net::{Stats, Stream, Transport};
use crate::serve::forward::{self, Destination, Done, End, Forward};

/// Set in the token of a relay's target socket; the rest of the token is the client's key.
pub(super) const TARGET: usize = 1 << (usize::BITS - 2);
/// Each direction's buffer.
const BUF: usize = 64 * 1024;

/// One client's relay to the target.
#[derive(Debug)]
pub(super) struct Relay {
    target: Stream,
    /// The TCP address being connected to (`None` for a Unix socket).
    addr: Option<SocketAddr>,
    /// Addresses still to try if this one fails.
    untried: Vec<SocketAddr>,
    connected: bool,
    /// The target socket changed (a connect to the next address): it needs registering.
    fresh: bool,
    /// Client to target.
    up: Half,
    /// Target to client.
    down: Half,
    /// The first failure, for the log line.
    failed: Option<String>,
    idle: bool,
}

/// One direction's bytes in flight: `buf[start..end]` is still to be written.
#[derive(Debug)]
struct Half {
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    /// Its source sent everything (or failed).
    eof: bool,
    /// The end has been passed on to the sink.
    shut: bool,
    total: u64,
}

enum Failure {
    Read(io::Error),
    Write(io::Error),
}

impl Relay {
    /// Start connecting to the target; an error (in words) when no connect could start.
    pub fn start(forward: &Forward) -> anyhow::Result<Relay> {
        let (target, addr, untried) = match forward.destination()? {
            Destination::Unix(path) => {
                let socket = Socket::new(Domain::UNIX, Type::STREAM, None)
                    .and_then(|socket| {
                        socket.set_nonblocking(true)?;
                        connecting(socket.connect(&SockAddr::unix(path)?))?;
                        Ok(socket)
                    })
                    .map_err(|err| forward::connect_error(None, &err))?;
                let socket = std::os::fd::OwnedFd::from(socket);
                (Stream::Unix(socket.into()), None, Vec::new())
            }
            Destination::Tcp(mut addrs) => {
                addrs.reverse();
                let (target, addr) = next_tcp(&mut addrs)?;
                (target, Some(addr), addrs)
            }
        };
        Ok(Relay {
            target,
            addr,
            untried,
            connected: false,
            // Not registered yet.
            fresh: true,
            up: Half::new(),
            down: Half::new(),
            failed: None,
            idle: false,
        })
    }

    pub fn target(&self) -> &Stream {
        &self.target
    }

    pub fn connected(&self) -> bool {
        self.connected
    }

    /// Whether the target socket was replaced since the last call (and must be registered).
    pub fn take_fresh(&mut self) -> bool {
        std::mem::take(&mut self.fresh)
    }

    /// The relay was idle for `--idle-timeout`: its log line says so.
    pub fn set_idle(&mut self) {
        self.idle = true;
    }

    /// What moved and how it ended, for the log line.
    pub fn done(&self) -> Done {
        let end = match (&self.failed, self.idle) {
            (Some(why), _) => End::Failed(why.clone()),
            (None, true) => End::Idle,
            (None, false) => End::Both,
        };
        Done {
            up: self.up.total,
            down: self.down.total,
            end,
        }
    }

    /// Move bytes both ways until every call would block, both directions are done, or the
    /// batch is used up. An error only while connecting: the target cannot be reached.
    pub fn step<S: Transport>(
        &mut self,
        client: &mut S,
        stats: &Stats,
        moved: &mut bool,
    ) -> io::Result<Step> {
        if !self.connected {
            if !self.connect()? {
                return Ok(Step::Wait(Interest::READ));
            }
            // Idle time counts from here, not from the client's arrival.
            *moved = true;
        }
        for _ in 0..BATCH {
            let mut progress = false;
            let up = self
                .up
                .copy(client, &mut &self.target, stats, Stats::add_in);
            let down = self
                .down
                .copy(&mut &self.target, client, stats, Stats::add_out);
            match (up, down) {
                (Ok(up), Ok(down)) => progress |= up | down,
                (Err(Failure::Read(err)), _) => return Ok(self.fail("the client", &err)),
                (Err(Failure::Write(err)), _) => return Ok(self.fail("the target", &err)),
                (_, Err(Failure::Write(err))) => return Ok(self.fail("the client", &err)),
                // The target failed (died, reset): the client still gets what came before,
                // then its end.
                (Ok(up), Err(Failure::Read(err))) => {
                    self.failed.get_or_insert_with(|| say("the target", &err));
                    self.down.eof = true;
                    progress |= up;
                }
            }
            if self.up.drained() {
                self.up.shut = true;
                if let Err(err) = self.target.shutdown(Shutdown::Write) {
                    return Ok(self.fail("the target", &err));
                }
            }
            if self.down.drained() {
                self.down.shut = true;
                if let Err(err) = client.shutdown_write() {
                    return Ok(self.fail("the client", &err));
                }
            }
            if self.up.shut && self.down.shut {
                return Ok(Step::Done);
            }
            *moved |= progress;
            if !progress {
                return Ok(Step::Wait(self.interest()));
            }
        }
        Ok(Step::Again(self.interest()))
    }

    /// What the client's socket waits for (the target's waits for both, always).
    fn interest(&self) -> Interest {
        Interest {
            read: self.up.has_room(),
            write: self.down.start < self.down.end,
        }
    }

    fn fail(&mut self, side: &str, err: &io::Error) -> Step {
        self.failed.get_or_insert_with(|| say(side, err));
        Step::Done
    }

    /// Whether the connect has finished; an error when every address has failed.
    fn connect(&mut self) -> io::Result<bool> {
        let socket = SockRef::from(&self.target);
        let err = match socket.take_error()? {
            Some(err) => err,
            None => match socket.peer_addr() {
                Ok(_) => {
                    self.connected = true;
                    if let Stream::Tcp(tcp) = &self.target {
                        // A relay should add no delay of its own to small writes.
                        let _ = tcp.set_nodelay(true);
                    }
                    return Ok(true);
                }
                Err(err) if err.kind() == io::ErrorKind::NotConnected => return Ok(false),
                Err(err) => err,
            },
        };
        if self.untried.is_empty() {
            return Err(io::Error::other(format!(
                "{:#}",
                forward::connect_error(self.addr, &err)
            )));
        }
        let (target, addr) =
            next_tcp(&mut self.untried).map_err(|why| io::Error::other(format!("{why:#}")))?;
        (self.target, self.addr, self.fresh) = (target, Some(addr), true);
        Ok(false)
    }

    /// The connect did not finish within [`forward::CONNECT_TIMEOUT`], in words.
    pub fn timed_out(&self) -> anyhow::Error {
        forward::connect_error(self.addr, &io::ErrorKind::TimedOut.into())
    }
}

/// Start a connect to the next address of `untried` (kept reversed, the next one last) that
/// does not fail at once.
fn next_tcp(untried: &mut Vec<SocketAddr>) -> anyhow::Result<(Stream, SocketAddr)> {
    loop {
        let addr = untried.pop().expect("an address to try");
        let started = Socket::new(Domain::for_address(addr), Type::STREAM, None).and_then(|s| {
            s.set_nonblocking(true)?;
            connecting(s.connect(&addr.into()))?;
            Ok(s)
        });
        match started {
            Ok(socket) => return Ok((Stream::Tcp(socket.into()), addr)),
            Err(err) if untried.is_empty() => return Err(forward::connect_error(Some(addr), &err)),
            Err(_) => {}
        }
    }
}

/// A non-blocking connect under way is not a failure.
fn connecting(result: io::Result<()>) -> io::Result<()> {
    match result {
        Err(err)
            if err.raw_os_error() == Some(nix::libc::EINPROGRESS)
                || err.kind() == io::ErrorKind::WouldBlock =>
        {
            Ok(())
        }
        other => other,
    }
}

fn say(side: &str, err: &io::Error) -> String {
    format!("{side}: {}", crate::net::error_text(err))
}

impl Half {
    fn new() -> Half {
        Half {
            buf: vec![0u8; BUF].into_boxed_slice(),
            start: 0,
            end: 0,
            eof: false,
            shut: false,
            total: 0,
        }
    }

    fn has_room(&self) -> bool {
        !self.eof && self.end < self.buf.len()
    }

    /// The source ended and every byte is out, but the sink has not been told yet.
    fn drained(&self) -> bool {
        self.eof && !self.shut && self.start == self.end
    }

    /// Write what is buffered, then read while there is room; whether any byte moved (an
    /// interrupted call counts, to be made again).
    fn copy(
        &mut self,
        from: &mut impl Read,
        to: &mut impl Write,
        stats: &Stats,
        count: fn(&Stats, usize),
    ) -> Result<bool, Failure> {
        let mut progress = false;
        if self.start < self.end {
            match to.write(&self.buf[self.start..self.end]) {
                Ok(0) => return Err(Failure::Write(io::ErrorKind::WriteZero.into())),
                Ok(n) => {
                    self.start += n;
                    self.total += n as u64;
                    count(stats, n);
                    progress = true;
                    if self.start == self.end {
                        (self.start, self.end) = (0, 0);
                    }
                }
                Err(err) if blocked(&err) => {}
                Err(err) if interrupted(&err) => progress = true,
                Err(err) => return Err(Failure::Write(err)),
            }
        }
        if self.has_room() {
            match from.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    progress = true;
                }
                Ok(n) => {
                    self.end += n;
                    progress = true;
                }
                Err(err) if blocked(&err) => {}
                Err(err) if interrupted(&err) => progress = true,
                Err(err) => return Err(Failure::Read(err)),
            }
        }
        Ok(progress)
    }
}
