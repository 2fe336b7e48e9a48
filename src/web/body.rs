//! Request bodies, framed by `Content-Length` or `Transfer-Encoding: chunked`: read whole into a
//! buffer (`--echo`), streamed to a sink (an upload), or read and thrown away so the connection can take the next request
//! ([`DISCARD_LIMIT`]). Every read waits at most the header timeout.

use std::io;
use std::time::Duration;

use super::input::Input;
use super::request::{self, Body, Reject};
use super::transport::Wire;
use crate::net::{Transport, is_timeout};

/// A request body up to this size is read and thrown away to keep the connection; a bigger one
/// (or a chunked one) is answered and the connection closed.
pub const DISCARD_LIMIT: u64 = 64 * 1024;

/// Whether a request framed with `body` leaves the connection usable once it is answered:
/// a small body can be skipped, unless the client waits for `100 Continue` before sending it.
pub(crate) fn skippable(body: Body, expect_continue: bool) -> bool {
    match body {
        Body::None => true,
        Body::Length(n) => n <= DISCARD_LIMIT && !expect_continue,
        Body::Chunked => false,
    }
}

const MALFORMED_CHUNKED: Reject = Reject::new(400, "malformed chunked body");
const TOO_LARGE: Reject = Reject::new(413, "body too large");

/// Why a streamed body ([`BodyReader::stream`]) stopped short.
#[derive(Debug)]
pub(crate) enum Cut {
    /// The client's doing: too large, malformed, cut short, too slow.
    Client(Reject),
    /// Where the bytes went failed (a full disk).
    Sink(io::Error),
}

impl From<Reject> for Cut {
    fn from(reject: Reject) -> Cut {
        Cut::Client(reject)
    }
}

/// Reads a body from the input buffer and, when that runs dry, from the stream.
pub(crate) struct BodyReader<'w, 'a, S> {
    pub(crate) wire: &'w mut Wire<'a, S>,
    pub(crate) input: &'w mut Input,
    /// Each read waits at most this long (the header timeout).
    pub(crate) timeout: Duration,
}

impl<S: Transport> BodyReader<'_, '_, S> {
    /// The body, at most `limit` bytes of it, appended to `into`; `Ok(Err(_))` when it is
    /// refused (too large, malformed, cut short, too slow). With `expect_continue` (an HTTP/1.1
    /// client that waits for it), `100 Continue` goes out first, once the length is known to
    /// fit; the outer error is that write failing.
    pub(crate) fn read(
        &mut self,
        body: Body,
        limit: u64,
        expect_continue: bool,
        into: &mut Vec<u8>,
    ) -> io::Result<Result<(), Reject>> {
        if let Body::Length(n) = body
            && n > limit
        {
            return Ok(Err(TOO_LARGE));
        }
        if body != Body::None && expect_continue {
            self.wire.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
        }
        Ok(match body {
            Body::None => Ok(()),
            Body::Length(n) => self.read_exact(n, into),
            Body::Chunked => self.read_chunked(limit, into),
        })
    }

    /// One more read for a body.
    fn fill(&mut self) -> Result<(), Reject> {
        self.wire.set_timeout(self.timeout);
        match self.wire.fill(self.input) {
            Ok(0) => Err(Reject::new(400, "body cut short")),
            Ok(_) => Ok(()),
            Err(err) if is_timeout(&err) => Err(Reject::new(408, "body timed out")),
            Err(_) => Err(Reject::new(400, "body read failed")),
        }
    }

    fn read_exact(&mut self, mut n: u64, into: &mut Vec<u8>) -> Result<(), Reject> {
        loop {
            let take = (self.input.filled().len() as u64).min(n) as usize;
            into.extend_from_slice(&self.input.filled()[..take]);
            self.input.consume(take);
            n -= take as u64;
            if n == 0 {
                return Ok(());
            }
            self.fill()?;
        }
    }

    /// Decode a chunked body into `into` (trailers read and dropped).
    fn read_chunked(&mut self, limit: u64, into: &mut Vec<u8>) -> Result<(), Reject> {
        loop {
            let size = self.chunk_size()?;
            if size == 0 {
                return self.trailers();
            }
            if into.len() as u64 + size > limit {
                return Err(Reject::new(413, "body too large"));
            }
            self.read_exact(size, into)?;
            self.chunk_end()?;
        }
    }

    /// The size line of the next chunk.
    fn chunk_size(&mut self) -> Result<u64, Reject> {
        loop {
            match httparse::parse_chunk_size(self.input.filled()) {
                Ok(httparse::Status::Complete((used, size))) => {
                    self.input.consume(used);
                    return Ok(size);
                }
                Ok(httparse::Status::Partial) if self.input.filled().len() < 4096 => self.fill()?,
                _ => return Err(MALFORMED_CHUNKED),
            }
        }
    }

    /// The CRLF after a chunk's data.
    fn chunk_end(&mut self) -> Result<(), Reject> {
        while self.input.filled().len() < 2 {
            self.fill()?;
        }
        if &self.input.filled()[..2] == b"\r\n" {
            self.input.consume(2);
        } else if self.input.filled()[0] == b'\n' {
            self.input.consume(1);
        } else {
            return Err(MALFORMED_CHUNKED);
        }
        Ok(())
    }

    /// Trailer fields after the last chunk (dropped), then the blank line.
    fn trailers(&mut self) -> Result<(), Reject> {
        let mut total = 0;
        loop {
            if let Some(end) = memchr::memchr(b'\n', self.input.filled()) {
                let blank = end == 0 || (end == 1 && self.input.filled()[0] == b'\r');
                self.input.consume(end + 1);
                total += end + 1;
                if blank {
                    return Ok(());
                }
                if total > request::MAX_HEADER_BYTES {
                    return Err(MALFORMED_CHUNKED);
                }
            } else if self.input.filled().len() > request::MAX_HEADER_BYTES {
                return Err(MALFORMED_CHUNKED);
            } else {
                self.fill()?;
            }
        }
    }

    /// Stream the body into `sink`, at most `limit` bytes of it (413 beyond, for a chunked
    /// one; a Content-Length over it is the caller's to refuse before any byte is read). What
    /// the input buffer does not hold is read straight into `buf` (its length is the most
    /// one read takes), never past the body. Returns the body's length.
    pub(crate) fn stream(
        &mut self,
        body: Body,
        limit: u64,
        buf: &mut [u8],
        sink: &mut dyn FnMut(&[u8]) -> io::Result<()>,
    ) -> Result<u64, Cut> {
        match body {
            Body::None => Ok(0),
            Body::Length(n) if n > limit => Err(Cut::Client(TOO_LARGE)),
            Body::Length(n) => self.copy(n, buf, sink).map(|()| n),
            Body::Chunked => {
                let mut total = 0u64;
                loop {
                    let size = self.chunk_size()?;
                    if size == 0 {
                        self.trailers()?;
                        return Ok(total);
                    }
                    total = total
                        .checked_add(size)
                        .filter(|&total| total <= limit)
                        .ok_or(Cut::Client(TOO_LARGE))?;
                    self.copy(size, buf, sink)?;
                    self.chunk_end()?;
                }
            }
        }
    }

    /// `n` bytes of body into `sink`: first what the input holds, then straight from the
    /// stream.
    fn copy(
        &mut self,
        mut n: u64,
        buf: &mut [u8],
        sink: &mut dyn FnMut(&[u8]) -> io::Result<()>,
    ) -> Result<(), Cut> {
        let take = (self.input.filled().len() as u64).min(n) as usize;
        if take > 0 {
            sink(&self.input.filled()[..take]).map_err(Cut::Sink)?;
            self.input.consume(take);
            n -= take as u64;
        }
        while n > 0 {
            self.wire.set_timeout(self.timeout);
            let want = (buf.len() as u64).min(n) as usize;
            match self.wire.read(&mut buf[..want]) {
                Ok(0) => return Err(Cut::Client(Reject::new(400, "body cut short"))),
                Ok(got) => {
                    sink(&buf[..got]).map_err(Cut::Sink)?;
                    n -= got as u64;
                }
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) if is_timeout(&err) => {
                    return Err(Cut::Client(Reject::new(408, "body timed out")));
                }
                Err(_) => return Err(Cut::Client(Reject::new(400, "body read failed"))),
            }
        }
        Ok(())
    }

    /// Throw away a small body the answer did not need.
    pub(crate) fn skip(&mut self, mut n: u64) -> Result<(), Reject> {
        loop {
            let take = (self.input.filled().len() as u64).min(n) as usize;
            self.input.consume(take);
            n -= take as u64;
            if n == 0 {
                return Ok(());
            }
            self.fill()?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::conn::ConnStats;
    use crate::web::transport::Duplex;

    /// Read a body both ways — whole into a buffer (echo) and streamed in small reads (an
    /// upload) — from `bytes` arriving after the head.
    fn both(body: Body, limit: u64, bytes: &[u8]) -> (Result<Vec<u8>, u16>, Result<Vec<u8>, u16>) {
        let read = {
            let mut stream = Duplex::new(bytes, Vec::new());
            let mut wire = Wire::new(&mut stream, ConnStats::default());
            let mut input = Input::new();
            let mut reader = BodyReader {
                wire: &mut wire,
                input: &mut input,
                timeout: Duration::from_secs(1),
            };
            let mut into = Vec::new();
            match reader.read(body, limit, false, &mut into).unwrap() {
                Ok(()) => Ok(into),
                Err(reject) => Err(reject.status),
            }
        };
        let streamed = {
            let mut stream = Duplex::new(bytes, Vec::new());
            let mut wire = Wire::new(&mut stream, ConnStats::default());
            let mut input = Input::new();
            let mut reader = BodyReader {
                wire: &mut wire,
                input: &mut input,
                timeout: Duration::from_secs(1),
            };
            let mut out = Vec::new();
            let mut buf = [0u8; 7];
            let result = reader.stream(body, limit, &mut buf, &mut |bytes| {
                out.extend_from_slice(bytes);
                Ok(())
            });
            match result {
                Ok(n) => {
                    assert_eq!(n, out.len() as u64);
                    Ok(out)
                }
                Err(Cut::Client(reject)) => Err(reject.status),
                Err(Cut::Sink(err)) => panic!("the sink never fails here: {err}"),
            }
        };
        (read, streamed)
    }

    #[test]
    fn streamed_chunked_bodies() {
        let (read, streamed) = both(
            Body::Chunked,
            100,
            b"5\r\nhello\r\n3;x=y\r\n, w\r\n0\r\nT: 1\r\n\r\n",
        );
        assert_eq!(read, Ok(b"hello, w".to_vec()));
        assert_eq!(streamed, read);
        assert_eq!(
            both(Body::Chunked, 7, b"5\r\nhello\r\n3\r\n, w\r\n0\r\n\r\n").1,
            Err(413)
        );
        assert_eq!(both(Body::Chunked, 100, b"5\r\nhel").1, Err(400));
        assert_eq!(both(Body::Chunked, 100, b"zz\r\n").1, Err(400));
        assert_eq!(both(Body::Length(5), 100, b"hel").1, Err(400));
        assert_eq!(both(Body::Length(5), 4, b"hello").1, Err(413));
        assert_eq!(both(Body::Length(3), 100, b"abcdef").1, Ok(b"abc".to_vec()));
    }

    proptest::proptest! {
        /// The streaming decoder an upload uses accepts, refuses and yields exactly what the
        /// buffered one (echo's, long tested) does, on any bytes.
        #[test]
        fn streaming_agrees_with_buffered(
            bytes in proptest::collection::vec(
                proptest::sample::select(&b"0123456789abcdefABCDEF\r\n;= xzT:"[..]), 0..200),
            limit in 0u64..64,
            length in 0u64..80,
        ) {
            for body in [Body::Chunked, Body::Length(length)] {
                let (read, streamed) = both(body, limit, &bytes);
                proptest::prop_assert_eq!(read, streamed);
            }
        }
    }
}
