//! What the client sent and the connection has not used yet: one buffer per connection that
//! grows up to [`MAX_HEAD`] (a head always fits), with the request heads at its front handed to
//! [`request::parse`]. Pipelining falls out of it: what follows one request waits here for the
//! next step.

use std::io::{self, Read};

use super::request::{self, HeaderStorage, MAX_HEAD, Reject, Request};

/// Bytes read from the client and not yet used: `data[start..end]`.
#[derive(Debug)]
pub(crate) struct Input {
    data: Vec<u8>,
    start: usize,
    end: usize,
}

impl Input {
    pub(crate) fn new() -> Input {
        Input {
            data: vec![0; 4096],
            start: 0,
            end: 0,
        }
    }

    pub(crate) fn filled(&self) -> &[u8] {
        &self.data[self.start..self.end]
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// The head at the front, if it is complete (`Ok(None)`: not yet), checked.
    pub(crate) fn head<'h, 'b>(
        &'b self,
        storage: &'h mut HeaderStorage<'b>,
    ) -> Result<Option<Request<'h, 'b>>, Reject> {
        request::parse(self.filled(), storage)
    }

    /// Drop the empty lines at the front.
    pub(crate) fn skip_blank_lines(&mut self) {
        let blank = self
            .filled()
            .iter()
            .take_while(|&&b| b == b'\r' || b == b'\n');
        let n = blank.count();
        self.consume(n);
    }

    pub(crate) fn consume(&mut self, n: usize) {
        self.start = (self.start + n).min(self.end);
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }

    /// Forget everything unread (a closing connection drains into the buffer).
    pub(crate) fn clear(&mut self) {
        self.start = 0;
        self.end = 0;
    }

    /// Read more (moving what is left to the front, growing up to [`MAX_HEAD`]).
    pub(crate) fn fill(&mut self, stream: &mut impl Read) -> io::Result<usize> {
        if self.start > 0 {
            self.data.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.data.len() {
            if self.data.len() >= MAX_HEAD {
                // parse() gives its verdict well before this; never read without room.
                return Err(io::ErrorKind::OutOfMemory.into());
            }
            self.data.resize((self.data.len() * 2).min(MAX_HEAD), 0);
        }
        stream
            .read(&mut self.data[self.end..])
            .inspect(|&n| self.end += n)
    }
}
