//! One client of the poll model as a state machine: what its service still has to do ([`Job`]),
//! and one step of it on a non-blocking stream, which ends by saying what the connection waits
//! for next ([`Step`]).

use std::fs::File;
use std::io::{self, Read, Write};

use super::relay::Relay;
use crate::net::Stats;
use crate::net::Transport;
use crate::serve::service::{FILE_CHUNK, Service};

/// Reads or writes per connection per wake-up.
pub(super) const BATCH: usize = 16;

/// What a connection waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Interest {
    pub read: bool,
    pub write: bool,
}

/// Where one client's service stands.
#[derive(Debug)]
pub(super) enum Job {
    /// Bytes of the greeting sent so far.
    Greeting(usize),
    /// Bytes received and not yet sent back.
    Echo(Pending),
    Discard,
    /// The file, and how much of it the client has taken (sent with sendfile(2) from there).
    File(File, u64),
    /// The reply is complete and FIN sent, but the client had sent data: read and forget until
    /// it closes (or [`LINGER`](crate::serve::service::LINGER) passes), so that closing does not
    /// reset the connection.
    Linger,
    /// A TLS handshake under way; then the service's job.
    Handshake(Box<Job>),
    /// The service is done; its last bytes wait, encrypted, for room in the socket.
    Flush,
    /// `--forward`: the connection to the target, and the bytes in flight each way.
    Relay(Box<Relay>),
}

/// A fixed buffer of bytes in flight: `buf[start..end]` is still to be written.
#[derive(Debug)]
pub(super) struct Pending {
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    /// The client has half-closed: send what is left, then close.
    eof: bool,
}

/// What a step left the connection waiting for.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Step {
    /// Every call it wanted to make would block: epoll reports the next change.
    Wait(Interest),
    /// Its batch is used up and nothing blocked yet: run it again after the others, since
    /// edge-triggered epoll will not report the bytes that are already there.
    Again(Interest),
    Done,
}

impl Interest {
    pub const READ: Interest = Interest {
        read: true,
        write: false,
    };
    pub const WRITE: Interest = Interest {
        read: false,
        write: true,
    };

    /// As mio spells it. No job waits for nothing (echo with nothing to read or send is done),
    /// so the empty set, which mio cannot express, falls back to reading.
    pub fn mio(self) -> mio::Interest {
        match (self.read, self.write) {
            (true, true) => mio::Interest::READABLE | mio::Interest::WRITABLE,
            (false, true) => mio::Interest::WRITABLE,
            _ => mio::Interest::READABLE,
        }
    }
}

impl Pending {
    pub fn new(size: usize) -> Pending {
        Pending {
            buf: vec![0u8; size].into_boxed_slice(),
            start: 0,
            end: 0,
            eof: false,
        }
    }
}

impl Job {
    pub fn first_interest(&self) -> Interest {
        match self {
            Job::Greeting(_) | Job::File(..) | Job::Flush => Interest::WRITE,
            Job::Echo(_) | Job::Discard | Job::Linger | Job::Handshake(_) | Job::Relay(_) => {
                Interest::READ
            }
        }
    }

    /// Advance the service on a non-blocking stream until it would block, is done, or has had
    /// its batch. `moved` is set when any byte moved.
    pub fn step<S: Transport>(
        &mut self,
        service: &Service,
        stream: &mut S,
        scratch: &mut [u8],
        stats: &Stats,
        moved: &mut bool,
    ) -> io::Result<Step> {
        if let Job::Handshake(next) = self {
            if stream.advance_handshake()? {
                let sent = stream.flush_pending()?;
                return Ok(Step::Wait(Interest {
                    read: true,
                    write: !sent,
                }));
            }
            *moved = true;
            let next = std::mem::replace(next.as_mut(), Job::Flush);
            *self = next;
        }
        match (self, service) {
            (Job::Flush, _) => Ok(if stream.flush_pending()? {
                Step::Done
            } else {
                Step::Wait(Interest::WRITE)
            }),
            (Job::Handshake(_), _) => Err(io::Error::other("a handshake after a handshake")),
            (Job::Greeting(sent), Service::Greeting(message)) => {
                while *sent < message.len() {
                    match stream.write(&message[*sent..]) {
                        Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                        Ok(n) => {
                            *sent += n;
                            *moved = true;
                            stats.add_out(n);
                        }
                        Err(err) if blocked(&err) => return Ok(Step::Wait(Interest::WRITE)),
                        Err(err) if interrupted(&err) => {}
                        Err(err) => return Err(err),
                    }
                }
                Ok(Step::Done)
            }
            (Job::Echo(pending), _) => pending.echo(stream, stats, moved),
            (Job::Relay(relay), _) => relay.step(stream, stats, moved),
            (Job::Discard, _) => {
                for _ in 0..BATCH {
                    match stream.discard(scratch) {
                        Ok(0) => return Ok(Step::Done),
                        Ok(n) => {
                            *moved = true;
                            stats.add_in(n);
                        }
                        Err(err) if blocked(&err) => return Ok(Step::Wait(Interest::READ)),
                        Err(err) if interrupted(&err) => {}
                        Err(err) => return Err(err),
                    }
                }
                Ok(Step::Again(Interest::READ))
            }
            (Job::File(file, offset), _) => {
                for _ in 0..BATCH {
                    match stream.send_file_at(file, offset, FILE_CHUNK) {
                        Ok(0) => return Ok(Step::Done),
                        Ok(sent) => {
                            *moved = true;
                            stats.add_out(sent);
                        }
                        Err(err) if blocked(&err) => return Ok(Step::Wait(Interest::WRITE)),
                        Err(err) if interrupted(&err) => {}
                        Err(err) => return Err(err),
                    }
                }
                Ok(Step::Again(Interest::WRITE))
            }
            (Job::Linger, _) => {
                for _ in 0..BATCH {
                    match stream.discard(scratch) {
                        Ok(0) => return Ok(Step::Done),
                        Ok(_) => {}
                        Err(err) if blocked(&err) => return Ok(Step::Wait(Interest::READ)),
                        Err(err) if interrupted(&err) => {}
                        Err(err) => return Err(err),
                    }
                }
                Ok(Step::Again(Interest::READ))
            }
            (Job::Greeting(_), _) => Err(io::Error::other("greeting job for another service")),
        }
    }
}

impl Pending {
    fn echo<S: Read + Write>(
        &mut self,
        stream: &mut S,
        stats: &Stats,
        moved: &mut bool,
    ) -> io::Result<Step> {
        for _ in 0..BATCH {
            let mut progress = false;
            // An interrupted call has not seen the socket block: it must be made again.
            let mut retry = false;
            if self.start < self.end {
                match stream.write(&self.buf[self.start..self.end]) {
                    Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                    Ok(n) => {
                        self.start += n;
                        progress = true;
                        stats.add_out(n);
                        if self.start == self.end {
                            self.start = 0;
                            self.end = 0;
                        }
                    }
                    Err(err) if blocked(&err) => {}
                    Err(err) if interrupted(&err) => retry = true,
                    Err(err) => return Err(err),
                }
            }
            if !self.eof && self.end < self.buf.len() {
                match stream.read(&mut self.buf[self.end..]) {
                    Ok(0) => {
                        self.eof = true;
                        progress = true;
                    }
                    Ok(n) => {
                        self.end += n;
                        progress = true;
                        stats.add_in(n);
                    }
                    Err(err) if blocked(&err) => {}
                    Err(err) if interrupted(&err) => retry = true,
                    Err(err) => return Err(err),
                }
            }
            if self.eof && self.start == self.end {
                return Ok(Step::Done);
            }
            *moved |= progress;
            if !progress && !retry {
                // Every call made would block, and a full buffer waits on the write: epoll
                // reports the next change to what is still wanted.
                return Ok(Step::Wait(self.interest()));
            }
        }
        Ok(Step::Again(self.interest()))
    }

    fn interest(&self) -> Interest {
        Interest {
            read: !self.eof && self.end < self.buf.len(),
            write: self.start < self.end,
        }
    }
}

pub(super) fn blocked(err: &io::Error) -> bool {
    err.kind() == io::ErrorKind::WouldBlock
}

pub(super) fn interrupted(err: &io::Error) -> bool {
    err.kind() == io::ErrorKind::Interrupted
}
#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    /// A non-blocking peer in memory: reads hand out `incoming` then block (or end), writes
    /// take at most `room` bytes before blocking.
    struct Peer {
        incoming: VecDeque<u8>,
        closed: bool,
        room: usize,
        received: Vec<u8>,
    }

    impl Read for Peer {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.incoming.is_empty() {
                return if self.closed {
                    Ok(0)
                } else {
                    Err(io::ErrorKind::WouldBlock.into())
                };
            }
            let n = buf.len().min(self.incoming.len()).min(1000);
            for (slot, byte) in buf.iter_mut().zip(self.incoming.drain(..n)) {
                *slot = byte;
            }
            Ok(n)
        }
    }

    impl Write for Peer {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.room == 0 {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            let n = buf.len().min(self.room);
            self.room -= n;
            self.received.extend_from_slice(&buf[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Transport for Peer {}

    #[test]
    fn echo_waits_for_room_and_then_finishes() {
        let data: Vec<u8> = (0..5000u32).map(|i| i as u8).collect();
        let mut peer = Peer {
            incoming: data.iter().copied().collect(),
            closed: true,
            room: 100,
            received: Vec::new(),
        };
        let mut job = Job::Echo(Pending::new(1024));
        let stats = Stats::default();
        let mut scratch = [0u8; 64];
        let mut moved = false;
        let step = job.step(&Service::Echo, &mut peer, &mut scratch, &stats, &mut moved);
        // The client stopped reading: wait to write, and stop reading once the buffer is full.
        assert_eq!(
            step.unwrap(),
            Step::Wait(Interest {
                read: false,
                write: true
            })
        );
        assert!(moved);
        for _ in 0..100 {
            peer.room = 700;
            match job
                .step(&Service::Echo, &mut peer, &mut scratch, &stats, &mut moved)
                .unwrap()
            {
                Step::Done => break,
                Step::Wait(_) | Step::Again(_) => {}
            }
        }
        assert_eq!(peer.received, data);
    }

    #[test]
    fn greeting_resumes_after_a_short_write() {
        let message: Box<[u8]> = b"Thank you for connecting".to_vec().into();
        let service = Service::Greeting(message);
        let mut peer = Peer {
            incoming: VecDeque::new(),
            closed: false,
            room: 5,
            received: Vec::new(),
        };
        let mut job = Job::Greeting(0);
        let stats = Stats::default();
        let mut moved = false;
        let step = job.step(&service, &mut peer, &mut [0u8; 8], &stats, &mut moved);
        assert_eq!(step.unwrap(), Step::Wait(Interest::WRITE));
        peer.room = 100;
        let step = job.step(&service, &mut peer, &mut [0u8; 8], &stats, &mut moved);
        assert_eq!(step.unwrap(), Step::Done);
        assert_eq!(peer.received, b"Thank you for connecting");
    }

    /// Edge-triggered epoll reports bytes once: a step that stops for its batch, not because
    /// the socket would block, must say so, or the rest waits for the client's next packet.
    #[test]
    fn discard_says_again_when_its_batch_ends_before_the_data() {
        let mut peer = Peer {
            incoming: vec![0u8; 20 * 1000].into(),
            closed: false,
            room: 0,
            received: Vec::new(),
        };
        let (mut job, service) = (Job::Discard, Service::Discard);
        let stats = Stats::default();
        let mut scratch = [0u8; 1000];
        let mut moved = false;
        let step = job.step(&service, &mut peer, &mut scratch, &stats, &mut moved);
        assert_eq!(step.unwrap(), Step::Again(Interest::READ));
        let step = job.step(&service, &mut peer, &mut scratch, &stats, &mut moved);
        assert_eq!(step.unwrap(), Step::Wait(Interest::READ));
        assert!(peer.incoming.is_empty());
    }
}
