//! `netlab bench http`'s exchange: which of the requests (built once, in `requests.rs`) goes
//! next, and the response reader — a head parsed with httparse, then a body skipped by
//! Content-Length, by chunks, or up to the server's close. Bodies are counted, never kept.

use std::sync::atomic::{AtomicU64, Ordering};

use super::engine::{Exchange, Feed};
use super::tally::Failure;

/// Most headers a response may have.
const MAX_HEADERS: usize = 64;

/// The requests of a run and their responses as exchanges.
pub struct HttpExchange {
    requests: Vec<Request>,
    order: Order,
    /// Exchanges begun so far, over all threads (only with more than one request).
    begun: AtomicU64,
    keepalive: bool,
    /// Exchanges are counted by request too (`--requests`: by line).
    by_request: bool,
}

/// One request, ready to go.
pub struct Request {
    pub bytes: Vec<u8>,
    /// A HEAD request: no response has a body.
    pub head: bool,
}

/// Which request goes next when there are several (`--requests-order`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// The first, the second … then the first again.
    RoundRobin,
    /// Drawn at random for each exchange; the same seed, the same sequence of draws.
    Random { seed: u64 },
}

impl HttpExchange {
    pub fn new(requests: Vec<Request>, order: Order, keepalive: bool) -> HttpExchange {
        assert!(!requests.is_empty(), "an exchange has a request");
        HttpExchange {
            requests,
            order,
            begun: AtomicU64::new(0),
            keepalive,
            by_request: false,
        }
    }

    /// Have the run count exchanges by request (see `Exchange::request_index`).
    pub fn counted_by_request(self, yes: bool) -> HttpExchange {
        HttpExchange {
            by_request: yes,
            ..self
        }
    }

    #[cfg(test)]
    pub fn requests(&self) -> &[Request] {
        &self.requests
    }

    /// The request of the next exchange: the n-th exchange begun, over all threads, takes
    /// request n (round-robin) or the n-th draw of the seeded sequence.
    fn pick(&self) -> usize {
        let count = self.requests.len() as u64;
        if count == 1 {
            return 0;
        }
        let n = self.begun.fetch_add(1, Ordering::Relaxed);
        let index = match self.order {
            Order::RoundRobin => n % count,
            Order::Random { seed } => splitmix64(seed.wrapping_add(n)) % count,
        };
        index as usize
    }
}

/// SplitMix64's finaliser: a well-mixed 64-bit value of `x` (Steele, Lea and Flood 2014), so
/// draw n of a seed needs no generator state shared between threads.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Where the reader is in a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Head,
    /// Body bytes still to come.
    Length(u64),
    /// A chunk-size line next.
    ChunkSize,
    /// Bytes left in the current chunk.
    ChunkData(u64),
    /// The CRLF after a chunk.
    ChunkEnd,
    /// Trailer lines, up to the empty one.
    Trailer,
    /// No length given: the body runs to the close.
    UntilClose,
}

/// The response being read on one connection.
pub struct Response {
    stage: Stage,
    status: u16,
    /// The server will close after this response.
    close: bool,
    /// The request sent (an index into the exchange's requests).
    current: usize,
}

impl Exchange for HttpExchange {
    type State = Response;

    fn state(&self) -> Response {
        Response {
            stage: Stage::Head,
            status: 0,
            close: false,
            current: 0,
        }
    }

    fn begin(&self, state: &mut Response) {
        *state = Response {
            current: self.pick(),
            ..self.state()
        };
    }

    fn request<'e>(&'e self, state: &Response) -> &'e [u8] {
        &self.requests[state.current].bytes
    }

    fn sends_nothing(&self) -> bool {
        false
    }

    fn keepalive(&self) -> bool {
        self.keepalive
    }

    fn feed(&self, state: &mut Response, data: &[u8]) -> Feed {
        let mut pos = 0;
        loop {
            let rest = &data[pos..];
            match state.stage {
                Stage::Head => {
                    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
                    let mut response = httparse::Response::new(&mut headers);
                    let len = match response.parse(rest) {
                        Ok(httparse::Status::Complete(len)) => len,
                        Ok(httparse::Status::Partial) => return Feed::More { consumed: pos },
                        Err(_) => return Feed::Failed(Failure::BadResponse),
                    };
                    pos += len;
                    let Some(code) = response.code else {
                        return Feed::Failed(Failure::BadResponse);
                    };
                    if (100..200).contains(&code) {
                        // An interim response (100 Continue, 103 Early Hints): the real one follows.
                        continue;
                    }
                    state.status = code;
                    let Some(body) = body_of(&response, self.requests[state.current].head) else {
                        return Feed::Failed(Failure::BadResponse);
                    };
                    state.close = wants_close(&response) || body == Stage::UntilClose;
                    state.stage = body;
                }
                Stage::Length(left) | Stage::ChunkData(left) => {
                    let take = left.min(rest.len() as u64);
                    pos += take as usize;
                    let left = left - take;
                    state.stage = match (state.stage, left) {
                        (Stage::Length(_), 0) => break,
                        (Stage::Length(_), _) => Stage::Length(left),
                        (_, 0) => Stage::ChunkEnd,
                        _ => Stage::ChunkData(left),
                    };
                    if left > 0 {
                        return Feed::More { consumed: pos };
                    }
                }
                Stage::ChunkSize => match httparse::parse_chunk_size(rest) {
                    Ok(httparse::Status::Complete((len, 0))) => {
                        pos += len;
                        state.stage = Stage::Trailer;
                    }
                    Ok(httparse::Status::Complete((len, size))) => {
                        pos += len;
                        state.stage = Stage::ChunkData(size);
                    }
                    Ok(httparse::Status::Partial) => return Feed::More { consumed: pos },
                    Err(_) => return Feed::Failed(Failure::BadResponse),
                },
                Stage::ChunkEnd => {
                    if rest.len() < 2 {
                        return Feed::More { consumed: pos };
                    }
                    if &rest[..2] != b"\r\n" {
                        return Feed::Failed(Failure::BadResponse);
                    }
                    pos += 2;
                    state.stage = Stage::ChunkSize;
                }
                Stage::Trailer => match memchr::memchr(b'\n', rest) {
                    // The empty line ends the trailer (and the response).
                    Some(end) if rest[..end].iter().all(|&b| b == b'\r') => {
                        pos += end + 1;
                        break;
                    }
                    Some(end) => pos += end + 1,
                    None => return Feed::More { consumed: pos },
                },
                Stage::UntilClose => {
                    return Feed::More {
                        consumed: data.len(),
                    };
                }
            }
        }
        if pos < data.len() {
            // One request at a time: bytes beyond the response belong to no response.
            return Feed::Failed(Failure::BadResponse);
        }
        Feed::Done {
            reuse: !state.close,
        }
    }

    fn eof(&self, state: &mut Response) -> Result<(), Failure> {
        match state.stage {
            Stage::UntilClose => Ok(()),
            _ => Err(Failure::ClosedEarly),
        }
    }

    fn status(&self, state: &Response) -> Option<u16> {
        Some(state.status)
    }

    fn request_index(&self, state: &Response) -> Option<usize> {
        self.by_request.then_some(state.current)
    }
}

/// How the body of a parsed response ends; `None` when the head contradicts itself.
fn body_of(response: &httparse::Response<'_, '_>, head_request: bool) -> Option<Stage> {
    let code = response.code.unwrap_or(0);
    if head_request || code == 204 || code == 304 {
        return Some(NO_BODY);
    }
    let mut length = None;
    for header in response.headers.iter() {
        if header.name.eq_ignore_ascii_case("transfer-encoding") {
            // Chunked is always the last coding when present; it decides, whatever the length.
            let last = header.value.rsplit(|&b| b == b',').next().unwrap_or(b"");
            if last.trim_ascii().eq_ignore_ascii_case(b"chunked") {
                return Some(Stage::ChunkSize);
            }
        } else if header.name.eq_ignore_ascii_case("content-length") {
            let value: u64 = std::str::from_utf8(header.value)
                .ok()?
                .trim()
                .parse()
                .ok()?;
            if length.is_some_and(|other| other != value) {
                return None;
            }
            length = Some(value);
        }
    }
    Some(match length {
        Some(len) => Stage::Length(len),
        None => Stage::UntilClose,
    })
}

/// A response without a body completes as soon as its head does.
const NO_BODY: Stage = Stage::Length(0);

/// Whether the server closes after this response: `Connection: close`, or HTTP/1.0 without
/// `Connection: keep-alive`.
fn wants_close(response: &httparse::Response<'_, '_>) -> bool {
    let mut close = response.version == Some(0);
    for header in response.headers.iter() {
        if header.name.eq_ignore_ascii_case("connection") {
            for option in header.value.split(|&b| b == b',') {
                let option = option.trim_ascii();
                if option.eq_ignore_ascii_case(b"close") {
                    close = true;
                } else if option.eq_ignore_ascii_case(b"keep-alive") {
                    close = false;
                }
            }
        }
    }
    close
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exchange(head: bool) -> HttpExchange {
        let request = Request {
            bytes: Vec::new(),
            head,
        };
        HttpExchange::new(vec![request], Order::RoundRobin, true)
    }

    /// Feed `parts` one after another as the engine does (carrying what is not consumed);
    /// returns the last verdict.
    fn feed(exchange: &HttpExchange, parts: &[&[u8]]) -> (Feed, Response) {
        let mut state = exchange.state();
        let mut carry = Vec::new();
        let mut last = Feed::More { consumed: 0 };
        for part in parts {
            carry.extend_from_slice(part);
            last = exchange.feed(&mut state, &carry);
            match last {
                Feed::More { consumed } => {
                    carry.drain(..consumed);
                }
                _ => break,
            }
        }
        (last, state)
    }

    fn done(feed: &Feed) -> Option<bool> {
        match feed {
            Feed::Done { reuse } => Some(*reuse),
            _ => None,
        }
    }

    #[test]
    fn content_length_body_across_reads() {
        let (verdict, state) = feed(
            &exchange(false),
            &[
                b"HTTP/1.1 200 OK\r\nContent-Le",
                b"ngth: 5\r\n\r\nhe",
                b"llo",
            ],
        );
        assert_eq!(done(&verdict), Some(true));
        assert_eq!(state.status, 200);
    }

    #[test]
    fn chunked_body_with_trailer_cut_everywhere() {
        let whole: &[u8] = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
            4\r\nWiki\r\n5;ext=1\r\npedia\r\n0\r\nX-Sum: 1\r\n\r\n";
        for cut in 1..whole.len() {
            let (verdict, _) = feed(&exchange(false), &[&whole[..cut], &whole[cut..]]);
            assert_eq!(done(&verdict), Some(true), "cut at {cut}");
        }
        let (verdict, _) = feed(&exchange(false), &[&whole[..whole.len() - 1]]);
        assert!(matches!(verdict, Feed::More { .. }));
    }

    #[test]
    fn connection_close_and_http10_are_not_reused() {
        let (verdict, _) = feed(
            &exchange(false),
            &[b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"],
        );
        assert_eq!(done(&verdict), Some(false));
        let (verdict, _) = feed(
            &exchange(false),
            &[b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"],
        );
        assert_eq!(done(&verdict), Some(false));
        let (verdict, _) = feed(
            &exchange(false),
            &[b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n"],
        );
        assert_eq!(done(&verdict), Some(true));
    }

    #[test]
    fn head_and_304_have_no_body() {
        let (verdict, _) = feed(
            &exchange(true),
            &[b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n"],
        );
        assert_eq!(done(&verdict), Some(true));
        let (verdict, state) = feed(
            &exchange(false),
            &[b"HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n"],
        );
        assert_eq!(done(&verdict), Some(true));
        assert_eq!(state.status, 304);
    }

    #[test]
    fn interim_response_is_skipped() {
        let (verdict, state) = feed(
            &exchange(false),
            &[b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok"],
        );
        assert_eq!(done(&verdict), Some(true));
        assert_eq!(state.status, 201);
    }

    #[test]
    fn body_to_close_ends_at_eof_only() {
        let ex = exchange(false);
        let (verdict, mut state) = feed(&ex, &[b"HTTP/1.1 200 OK\r\n\r\nsome body"]);
        assert!(matches!(verdict, Feed::More { .. }));
        assert_eq!(ex.eof(&mut state), Ok(()));
        let (_, mut state) = feed(&ex, &[b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"]);
        assert_eq!(ex.eof(&mut state), Err(Failure::ClosedEarly));
    }

    #[test]
    fn garbage_and_extra_bytes_are_bad_responses() {
        let bad = |parts: &[&[u8]]| {
            matches!(
                feed(&exchange(false), parts).0,
                Feed::Failed(Failure::BadResponse)
            )
        };
        assert!(bad(&[b"SSH-2.0-OpenSSH\r\n\r\n"]));
        assert!(bad(&[b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nab"]));
        assert!(bad(&[b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n"]));
        assert!(bad(&[
            b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"
        ]));
        assert!(bad(&[
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"
        ]));
    }

    #[test]
    fn requests_go_round_robin_or_by_a_seeded_draw() {
        let three = |order| {
            let requests = (0..3)
                .map(|_| Request {
                    bytes: Vec::new(),
                    head: false,
                })
                .collect();
            HttpExchange::new(requests, order, true)
        };
        let picks = |exchange: &HttpExchange| (0..30).map(|_| exchange.pick()).collect::<Vec<_>>();
        let round = picks(&three(Order::RoundRobin));
        assert_eq!(round[..6], [0, 1, 2, 0, 1, 2]);
        let random = picks(&three(Order::Random { seed: 7 }));
        assert_eq!(random, picks(&three(Order::Random { seed: 7 })));
        assert_ne!(random, picks(&three(Order::Random { seed: 8 })));
        assert!((0..3).all(|index| random.contains(&index)), "{random:?}");
    }
}
