//! `netlab bench http`: the request, built once from the URL, method and headers, and the
//! response reader — a head parsed with httparse, then a body skipped by Content-Length, by
//! chunks, or up to the server's close. Bodies are counted, never kept.

use std::net::{SocketAddr, ToSocketAddrs};

use anyhow::Context;

use super::engine::{Exchange, Feed};
use super::tally::Failure;
use crate::exit::Code;

/// Most headers a response may have.
const MAX_HEADERS: usize = 64;

/// Where to send requests, and the request, ready to go.
pub struct Target {
    /// The URL as the user should see it.
    pub url: String,
    pub addr: SocketAddr,
    pub exchange: HttpExchange,
    /// An https:// URL: the host (for SNI and the certificate) and `HOST:PORT`.
    pub tls: Option<(String, String)>,
}

/// Validate the URL, method and headers into a request; resolve the host.
pub fn target(
    url: &str,
    method: &str,
    headers: &[String],
    keepalive: bool,
) -> anyhow::Result<Target> {
    let with_scheme = if url.contains("://") {
        url.to_string()
    } else {
        format!("http://{url}")
    };
    let parsed = url::Url::parse(&with_scheme)
        .map_err(|err| Code::Usage.error(format!("{url}: not a URL ({err})")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(Code::Usage.error(format!(
            "{url}: bench http loads http:// and https:// URLs only"
        )));
    }
    let Some(host) = parsed.host_str() else {
        return Err(Code::Usage.error(format!("{url}: no host")));
    };
    if !is_token(method) {
        return Err(Code::Usage.error(format!("-X {method:?}: not an HTTP method")));
    }
    let mut request = Vec::with_capacity(256);
    let mut target = parsed.path().to_string();
    if let Some(query) = parsed.query() {
        target.push('?');
        target.push_str(query);
    }
    request.extend_from_slice(format!("{method} {target} HTTP/1.1\r\n").as_bytes());
    let mut given = Vec::new();
    for header in headers {
        let Some((name, value)) = header.split_once(':') else {
            return Err(Code::Usage.error(format!("-H {header:?}: expected 'Name: value'")));
        };
        let value = value.trim();
        if !is_token(name) || value.bytes().any(|b| b == b'\r' || b == b'\n') {
            return Err(Code::Usage.error(format!("-H {header:?}: not a valid header")));
        }
        given.push(name.to_ascii_lowercase());
        request.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    let authority = match parsed.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    };
    let defaults = [
        ("host", "Host", authority.as_str()),
        (
            "user-agent",
            "User-Agent",
            concat!("netlab-bench/", env!("CARGO_PKG_VERSION")),
        ),
        ("accept", "Accept", "*/*"),
    ];
    for (key, name, value) in defaults {
        if !given.iter().any(|g| g == key) {
            request.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
        }
    }
    if !keepalive && !given.iter().any(|g| g == "connection") {
        request.extend_from_slice(b"Connection: close\r\n");
    }
    request.extend_from_slice(b"\r\n");

    let port = parsed.port_or_known_default().unwrap_or(80);
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let tls = (parsed.scheme() == "https").then(|| (bare.to_string(), format!("{host}:{port}")));
    let addr = (bare, port)
        .to_socket_addrs()
        .with_context(|| format!("resolve {host}"))?
        .next()
        .with_context(|| format!("resolve {host}: no address"))?;
    Ok(Target {
        url: parsed.to_string(),
        addr,
        exchange: HttpExchange {
            request,
            head: method.eq_ignore_ascii_case("HEAD"),
            keepalive,
        },
        tls,
    })
}

/// An HTTP token (method, header name): RFC 9110's tchar.
fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// One request and its response as an exchange.
pub struct HttpExchange {
    request: Vec<u8>,
    /// A HEAD request: no response has a body.
    head: bool,
    keepalive: bool,
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
}

impl Exchange for HttpExchange {
    type State = Response;

    fn state(&self) -> Response {
        Response {
            stage: Stage::Head,
            status: 0,
            close: false,
        }
    }

    fn begin(&self, state: &mut Response) {
        *state = self.state();
    }

    fn request<'e>(&'e self, _: &Response) -> &'e [u8] {
        &self.request
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
                    let Some(body) = body_of(&response, self.head) else {
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
        HttpExchange {
            request: Vec::new(),
            head,
            keepalive: true,
        }
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
    fn request_is_built_once_with_defaults_and_overrides() {
        let t = target(
            "127.0.0.1:8000/a%20b?q=1#frag",
            "GET",
            &["Host: example.org".into()],
            false,
        )
        .unwrap();
        let text = String::from_utf8(t.exchange.request.clone()).unwrap();
        assert!(
            text.starts_with("GET /a%20b?q=1 HTTP/1.1\r\nHost: example.org\r\n"),
            "{text}"
        );
        assert!(text.contains("User-Agent: netlab-bench/"));
        assert!(text.ends_with("Connection: close\r\n\r\n"));
        assert_eq!(text.matches("Host:").count(), 1);
        assert_eq!(t.addr.port(), 8000);
    }

    #[test]
    fn bad_requests_are_usage_errors() {
        for (url, method, header) in [
            ("ftp://127.0.0.1/", "GET", None),
            ("http://127.0.0.1/", "GE T", None),
            ("http://127.0.0.1/", "GET", Some("NoColon")),
            ("http://127.0.0.1/", "GET", Some("Bad Name: x")),
            ("http://", "GET", None),
        ] {
            let headers: Vec<String> = header.into_iter().map(String::from).collect();
            let err = target(url, method, &headers, true).err().expect(url);
            assert_eq!(
                crate::exit::code_of(&err),
                Some(Code::Usage),
                "{url} {err:#}"
            );
        }
    }
}
