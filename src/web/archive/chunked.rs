//! A response body of unknown length, made on one thread and sent from another: the archiver
//! writes into a [`Pipe`], which hands 64 KiB pieces over a channel two deep (so at most a
//! few pieces are held, however fast it runs); [`relay`] sends each as it comes,
//! `Transfer-Encoding: chunked` for HTTP/1.1 (a piece a chunk, in one `writev`), as it is for
//! HTTP/1.0 (the close ends it). Once the archive is abandoned (`dead`), nothing more goes
//! out: the archivers' own `Drop`s would otherwise end a cut archive as if it were whole.

use std::cell::Cell;
use std::io::{self, Write};
use std::sync::mpsc::{Receiver, SyncSender};

use crate::net::Transport;
use crate::web::response::{push_hex, write_two};
use crate::web::transport::Wire;

/// Bytes gathered before a piece goes out.
const CHUNK: usize = 64 * 1024;
/// Pieces made and not yet sent, at most.
pub(super) const DEPTH: usize = 2;

/// The archiver's end.
pub(super) struct Pipe<'d> {
    to: SyncSender<Vec<u8>>,
    buf: Vec<u8>,
    dead: &'d Cell<bool>,
}

impl<'d> Pipe<'d> {
    pub(super) fn new(to: SyncSender<Vec<u8>>, dead: &'d Cell<bool>) -> Self {
        Pipe {
            to,
            buf: piece(),
            dead,
        }
    }

    /// Hand over what is gathered.
    fn push(&mut self) -> io::Result<()> {
        if self.dead.get() {
            return Err(io::Error::other("archive abandoned"));
        }
        if self.buf.is_empty() {
            return Ok(());
        }
        let full = std::mem::replace(&mut self.buf, piece());
        self.to
            .send(full)
            .map_err(|_| io::Error::from(io::ErrorKind::BrokenPipe))
    }
}

/// An empty piece, with room for a chunk's CRLF.
fn piece() -> Vec<u8> {
    Vec::with_capacity(CHUNK + 2)
}

impl Write for Pipe<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        if self.dead.get() {
            return Err(io::Error::other("archive abandoned"));
        }
        let take = bytes.len().min(CHUNK - self.buf.len());
        self.buf.extend_from_slice(&bytes[..take]);
        if self.buf.len() >= CHUNK {
            self.push()?;
        }
        Ok(take)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.push()
    }
}

/// Send the pieces as they come; returns the body's length once the archiver's end is gone.
/// (Whether the body is whole is the archiver's to say: the caller ends it, or not.) A write
/// that fails drops the receiver, so the archiver's next hand-over fails too.
pub(super) fn relay<S: Transport>(
    wire: &mut Wire<'_, S>,
    chunked: bool,
    from: Receiver<Vec<u8>>,
) -> io::Result<u64> {
    let mut sent = 0u64;
    let mut size = Vec::with_capacity(10);
    for mut piece in from {
        let len = piece.len();
        if chunked {
            size.clear();
            push_hex(&mut size, len as u64);
            size.extend_from_slice(b"\r\n");
            piece.extend_from_slice(b"\r\n");
            write_two(wire.stream, &size, &piece)?;
            wire.stats.bytes_out += (size.len() + piece.len()) as u64;
        } else {
            wire.write_all(&piece)?;
        }
        sent += len as u64;
    }
    Ok(sent)
}

/// The empty chunk that says the body is whole.
pub(super) fn end<S: Transport>(wire: &mut Wire<'_, S>, chunked: bool) -> io::Result<()> {
    if chunked {
        wire.write_all(b"0\r\n\r\n")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::conn::ConnStats;
    use crate::web::transport::Duplex;

    #[test]
    fn chunks_frame_the_body_and_a_dead_body_stops() {
        let (to, from) = std::sync::mpsc::sync_channel(8);
        let dead = Cell::new(false);
        let mut pipe = Pipe::new(to, &dead);
        pipe.write_all(&vec![b'x'; CHUNK + 3]).unwrap();
        pipe.flush().unwrap();
        pipe.write_all(b"abc").unwrap();
        dead.set(true);
        assert!(pipe.write_all(b"def").is_err());
        assert!(pipe.flush().is_err());
        drop(pipe);
        let mut stream = Duplex::new(&b""[..], Vec::new());
        let mut wire = Wire::new(&mut stream, ConnStats::default());
        assert_eq!(relay(&mut wire, true, from).unwrap(), CHUNK as u64 + 3);
        end(&mut wire, true).unwrap();
        let mut want = b"10000\r\n".to_vec();
        want.extend_from_slice(&vec![b'x'; CHUNK]);
        want.extend_from_slice(b"\r\n3\r\nxxx\r\n0\r\n\r\n");
        assert_eq!(stream.output, want);
    }
}
