//! Request bodies, framed by `Content-Length` or `Transfer-Encoding: chunked`: read whole into a
//! buffer (`--echo`), or read and thrown away so the connection can take the next request
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
            return Ok(Err(Reject::new(413, "body too large")));
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
        const BAD: Reject = Reject::new(400, "malformed chunked body");
        loop {
            let size = loop {
                match httparse::parse_chunk_size(self.input.filled()) {
                    Ok(httparse::Status::Complete((used, size))) => {
                        self.input.consume(used);
                        break size;
                    }
                    Ok(httparse::Status::Partial) if self.input.filled().len() < 4096 => {
                        self.fill()?
                    }
                    _ => return Err(BAD),
                }
            };
            if size == 0 {
                // Trailer fields, then the blank line.
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
                            return Err(BAD);
                        }
                    } else if self.input.filled().len() > request::MAX_HEADER_BYTES {
                        return Err(BAD);
                    } else {
                        self.fill()?;
                    }
                }
            }
            if into.len() as u64 + size > limit {
                return Err(Reject::new(413, "body too large"));
            }
            self.read_exact(size, into)?;
            // The CRLF after the chunk data.
            while self.input.filled().len() < 2 {
                self.fill()?;
            }
            if &self.input.filled()[..2] == b"\r\n" {
                self.input.consume(2);
            } else if self.input.filled()[0] == b'\n' {
                self.input.consume(1);
            } else {
                return Err(BAD);
            }
        }
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
