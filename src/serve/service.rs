//! The services: greeting (the notes' `c.send('Thank you for connecting')`), echo, discard and
//! file. The handlers here run on blocking sockets (serial, thread, pool, fork) and are generic
//! over [`Transport`], so a test can drive them with bytes in memory. The poll model runs the same
//! services as a state machine of its own (`poll/job.rs`).

use std::fs::File;
use std::io;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::net::{Stats, Transport};

/// Bytes read (or thrown away) at a time by echo and discard.
pub const ECHO_BUF: usize = 64 * 1024;
const DISCARD_BUF: usize = 256 * 1024;

/// Bytes of a file handed to the kernel per call.
pub const FILE_CHUNK: usize = 1 << 20;

/// A greeting longer than this may fill the socket's send buffer, so it gets a write timeout.
const SMALL_GREETING: usize = 16 * 1024;

/// What the server does with each client.
#[derive(Debug, Clone)]
pub enum Service {
    /// Send the text and close.
    Greeting(Box<[u8]>),
    /// Send back everything received, until the client closes.
    Echo,
    /// Read and forget everything, until the client closes.
    Discard,
    /// Send the file's bytes and close (the file is opened afresh for each client).
    File(PathBuf),
    /// Relay to a target, both ways (`--forward`; see `forward/`).
    Forward(std::sync::Arc<super::forward::Forward>),
    /// Relay every line to every other client (`serve/chat/`: its own loop in each model).
    Chat(super::chat::Limits),
    /// Run a program with the connection as its stdin and stdout (`super::exec`).
    Exec(super::exec::Program),
}

impl Service {
    /// Whether a client can hold the connection open (and so it needs `--idle-timeout`).
    pub fn may_stall(&self) -> bool {
        match self {
            Service::Greeting(message) => message.len() > SMALL_GREETING,
            Service::Echo
            | Service::Discard
            | Service::File(_)
            | Service::Forward(_)
            | Service::Chat(_)
            | Service::Exec(_) => true,
        }
    }

    /// Serve one client on a blocking stream until the service is done or the client leaves.
    pub fn handle<S: Transport>(&self, stream: &mut S, stats: &Stats) -> io::Result<()> {
        match self {
            Service::Greeting(message) => {
                if greet(stream, message, stats)? {
                    linger(stream)?;
                }
                Ok(())
            }
            Service::Echo => echo(stream, stats),
            Service::Discard => discard(stream, stats),
            Service::File(path) => {
                let file = File::open(path)?;
                let mut offset = 0;
                loop {
                    match stream.send_file_at(&file, &mut offset, FILE_CHUNK) {
                        Ok(0) => break,
                        Ok(n) => stats.add_out(n),
                        Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                        Err(err) => return Err(err),
                    }
                }
                close_gently(stream)
            }
            // Relaying takes two sockets, not a transport: `Context::serve` hands it over.
            Service::Forward(_) => Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "a relay needs the client's socket",
            )),
            // Chat clients meet in a room, which `chat::serve` runs; never one by one.
            Service::Chat(_) => Err(io::Error::other("chat is served by its room")),
            // A program needs a socket to own, not a transport: `Context::serve` runs it.
            Service::Exec(_) => Err(io::ErrorKind::Unsupported.into()),
        }
    }
}

/// After a greeting or a file, before the socket closes: if the client sent something we never
/// read, closing would answer with a reset, and a reset can destroy the reply the client has not
/// read yet (`printf hi | nc host port` then prints nothing). So a client that sent data gets a
/// graceful end — FIN, then we wait (bounded) for its own close. A client that sent nothing
/// costs one non-blocking `recv`.
pub fn close_gently<S: Transport>(stream: &mut S) -> io::Result<()> {
    if sent_us_data(stream) {
        linger(stream)?;
    }
    Ok(())
}

/// Send a greeting and say whether the client sent data the close must wait for ([`linger`]).
/// Neither step waits on the client when the greeting fits in an empty socket buffer (see
/// [`INLINE_GREETING`]).
pub fn greet<S: Transport>(stream: &mut S, message: &[u8], stats: &Stats) -> io::Result<bool> {
    stream.write_last(message)?;
    stats.add_out(message.len());
    Ok(sent_us_data(stream))
}

/// A greeting this short always fits in a fresh socket's send buffer (never below 4,608 bytes,
/// see socket(7)), so sending it cannot wait on the client.
pub const INLINE_GREETING: usize = 4096;

/// Read and forget what the client sent, without waiting; whether there was any.
fn sent_us_data<S: Transport>(stream: &mut S) -> bool {
    // Small: this runs for every greeting, and in a forked child each stack page touched is a
    // page fault.
    let mut scratch = [0u8; 512];
    stream.drain_unread(&mut scratch)
}

/// The client sent data: FIN, then wait (bounded by [`LINGER`]) for its own close.
pub fn linger<S: Transport>(stream: &mut S) -> io::Result<()> {
    stream.shutdown_write()?;
    stream.set_timeouts(LINGER)?;
    let deadline = Instant::now() + LINGER;
    let mut scratch = vec![0u8; ECHO_BUF];
    while Instant::now() < deadline {
        match stream.discard(&mut scratch) {
            Ok(0) => break,
            Ok(_) => {}
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            // Timed out or reset: either way the reply had its chance.
            Err(_) => break,
        }
    }
    Ok(())
}

/// How long a client that sent us data has to close after our reply is complete.
pub const LINGER: Duration = Duration::from_secs(2);

fn echo<S: Transport>(stream: &mut S, stats: &Stats) -> io::Result<()> {
    let mut buf = vec![0u8; ECHO_BUF];
    loop {
        let n = match stream.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        };
        stats.add_in(n);
        stream.write_all(&buf[..n])?;
        stats.add_out(n);
    }
}

fn discard<S: Transport>(stream: &mut S, stats: &Stats) -> io::Result<()> {
    // Zeroed memory from the allocator is untouched until written: with MSG_TRUNC it never is.
    let mut scratch = vec![0u8; DISCARD_BUF];
    loop {
        match stream.discard(&mut scratch) {
            Ok(0) => return Ok(()),
            Ok(n) => stats.add_in(n),
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::sync::atomic::Ordering;

    /// A client in memory: what it sends, and what it received.
    pub struct Memory {
        pub input: io::Cursor<Vec<u8>>,
        pub output: Vec<u8>,
        /// Accept at most this many bytes per write (to exercise short writes).
        pub write_limit: usize,
    }

    impl Memory {
        pub fn new(input: &[u8]) -> Memory {
            Memory {
                input: io::Cursor::new(input.to_vec()),
                output: Vec::new(),
                write_limit: usize::MAX,
            }
        }
    }

    impl Read for Memory {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.input.read(buf)
        }
    }

    impl Write for Memory {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let n = buf.len().min(self.write_limit);
            self.output.extend_from_slice(&buf[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Transport for Memory {}

    #[test]
    fn greeting_sends_the_text_and_ignores_input() {
        let stats = Stats::default();
        let mut client = Memory::new(b"ignored");
        let service = Service::Greeting(b"Thank you for connecting".to_vec().into());
        service.handle(&mut client, &stats).unwrap();
        assert_eq!(client.output, b"Thank you for connecting");
        assert_eq!(stats.bytes_out.load(Ordering::Relaxed), 24);
    }

    #[test]
    fn echo_returns_every_byte_through_short_writes() {
        let stats = Stats::default();
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let mut client = Memory::new(&data);
        client.write_limit = 1000;
        Service::Echo.handle(&mut client, &stats).unwrap();
        assert_eq!(client.output, data);
        assert_eq!(stats.bytes_in.load(Ordering::Relaxed), 200_000);
        assert_eq!(stats.bytes_out.load(Ordering::Relaxed), 200_000);
    }

    #[test]
    fn discard_counts_and_sends_nothing() {
        let stats = Stats::default();
        let mut client = Memory::new(&[7u8; 300_000]);
        Service::Discard.handle(&mut client, &stats).unwrap();
        assert!(client.output.is_empty());
        assert_eq!(stats.bytes_in.load(Ordering::Relaxed), 300_000);
    }

    #[test]
    fn file_sends_the_file() {
        let dir = std::env::temp_dir().join(format!("netlab-service-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("notes.txt");
        std::fs::write(&path, b"13.2 socket").unwrap();
        let stats = Stats::default();
        let mut client = Memory::new(b"");
        Service::File(path.clone())
            .handle(&mut client, &stats)
            .unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(client.output, b"13.2 socket");
        assert_eq!(stats.bytes_out.load(Ordering::Relaxed), 11);
    }
}
