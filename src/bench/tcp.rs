//! `netlab bench tcp`: each exchange is one connection — connect, send `--send` (then
//! half-close), read until the server closes, compare with `--expect`.

use super::engine::{Exchange, Feed};
use super::tally::Failure;

/// A TCP connection as one exchange.
pub struct TcpExchange {
    send: Vec<u8>,
    expect: Option<Vec<u8>>,
}

impl TcpExchange {
    pub fn new(send: Option<Vec<u8>>, expect: Option<Vec<u8>>) -> TcpExchange {
        TcpExchange {
            send: send.unwrap_or_default(),
            expect,
        }
    }
}

/// How many bytes of `--expect` have arrived so far.
pub struct Matched(usize);

impl Exchange for TcpExchange {
    type State = Matched;

    fn state(&self) -> Matched {
        Matched(0)
    }

    fn begin(&self, state: &mut Matched) {
        state.0 = 0;
    }

    fn request<'e>(&'e self, _: &Matched) -> &'e [u8] {
        &self.send
    }

    fn sends_nothing(&self) -> bool {
        self.send.is_empty()
    }

    fn half_close(&self) -> bool {
        !self.send.is_empty()
    }

    fn feed(&self, state: &mut Matched, data: &[u8]) -> Feed {
        if let Some(expect) = &self.expect {
            // Compared as the bytes arrive, so nothing is kept.
            let rest = &expect[state.0..];
            if data.len() > rest.len() || rest[..data.len()] != *data {
                return Feed::Failed(Failure::ExpectMismatch);
            }
            state.0 += data.len();
        }
        Feed::More {
            consumed: data.len(),
        }
    }

    fn eof(&self, state: &mut Matched) -> Result<(), Failure> {
        match &self.expect {
            Some(expect) if state.0 != expect.len() => Err(Failure::ExpectMismatch),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(exchange: &TcpExchange, parts: &[&[u8]]) -> Result<(), Failure> {
        let mut state = exchange.state();
        exchange.begin(&mut state);
        for part in parts {
            if let Feed::Failed(kind) = exchange.feed(&mut state, part) {
                return Err(kind);
            }
        }
        exchange.eof(&mut state)
    }

    #[test]
    fn expect_is_checked_across_reads() {
        let exchange = TcpExchange::new(None, Some(b"Thank you".to_vec()));
        assert_eq!(run(&exchange, &[b"Thank", b" you"]), Ok(()));
        assert_eq!(run(&exchange, &[b"Thank"]), Err(Failure::ExpectMismatch));
        assert_eq!(
            run(&exchange, &[b"Thank you!"]),
            Err(Failure::ExpectMismatch)
        );
        assert_eq!(run(&exchange, &[b"Thanks"]), Err(Failure::ExpectMismatch));
    }

    #[test]
    fn anything_goes_without_expect() {
        let exchange = TcpExchange::new(Some(b"ping".to_vec()), None);
        assert!(exchange.half_close());
        assert_eq!(run(&exchange, &[]), Ok(()));
        assert_eq!(run(&exchange, &[b"whatever"]), Ok(()));
    }
}
