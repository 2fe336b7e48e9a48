//! What `bench http` sends: the URL, method, headers and body of the command line, or the
//! lines of a `--requests` file, each turned into the bytes of its request once, before the
//! run, so the load loop only picks one (see `http::HttpExchange`).

use std::io::Read;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::Path;

use anyhow::Context;

use super::http::{HttpExchange, Order, Request};
use crate::exit::Code;
use crate::net::error_text;

/// Largest body file: bodies are held in memory for the whole run.
const MAX_BODY: u64 = 64 << 20;

/// Largest all the requests of a run may be together (a body is held once per line using it).
const MAX_TOTAL: usize = 256 << 20;

/// Where to send requests, and the requests, ready to go.
pub struct Target {
    /// The URL as the user should see it.
    pub url: String,
    pub addr: SocketAddr,
    pub exchange: HttpExchange,
    /// An https:// URL: the host (for SNI and the certificate) and `HOST:PORT`.
    pub tls: Option<(String, String)>,
    /// With `--requests`: each request's line, in the order of the exchange's requests (the
    /// run counts exchanges by line). Empty otherwise.
    pub lines: Vec<RequestLine>,
}

/// A line of a `--requests` file, as the summary names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestLine {
    /// Its number in the file, from 1 (blank and comment lines count).
    pub number: usize,
    pub method: String,
    /// The whole URL, and the request target sent (`/a?b`).
    pub url: String,
    pub path: String,
}

/// What the flags say to send, besides the URL.
pub struct Spec<'a> {
    /// `-X` [default: GET, or POST with a body].
    pub method: Option<&'a str>,
    /// `-H`, with every request.
    pub headers: &'a [String],
    /// `--body FILE`.
    pub body: Option<&'a Path>,
    /// `--requests FILE`.
    pub requests: Option<&'a Path>,
    pub order: Order,
    pub keepalive: bool,
}

impl Spec<'_> {
    /// `GET URL`, nothing more (compare's targets).
    pub fn plain() -> Spec<'static> {
        Spec {
            method: None,
            headers: &[],
            body: None,
            requests: None,
            order: Order::RoundRobin,
            keepalive: true,
        }
    }
}

/// Validate the URL and what to send into requests; read the files; resolve the host.
pub fn target(url: &str, spec: &Spec<'_>) -> anyhow::Result<Target> {
    let parsed = parse_url(url).map_err(|why| Code::Usage.error(format!("{url}: {why}")))?;
    let extra = spec
        .headers
        .iter()
        .map(|header| {
            parse_header(header).ok_or_else(|| {
                Code::Usage.error(format!("-H {header:?}: not a 'Name: value' header"))
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let (requests, lines) = match spec.requests {
        Some(path) => from_file(path, &parsed, &extra, spec.keepalive)?
            .into_iter()
            .unzip(),
        None => {
            let body = spec
                .body
                .map(|path| read_body("--body", path))
                .transpose()?;
            let method = spec
                .method
                .unwrap_or(if body.is_some() { "POST" } else { "GET" });
            if !is_token(method) {
                return Err(Code::Usage.error(format!("-X {method:?}: not an HTTP method")));
            }
            let request = build(
                method,
                &parsed,
                &[],
                &extra,
                body.as_deref(),
                spec.keepalive,
            );
            (vec![request], Vec::new())
        }
    };

    let host = parsed.host_str().unwrap_or_default();
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
        exchange: HttpExchange::new(requests, spec.order, spec.keepalive)
            .counted_by_request(!lines.is_empty()),
        tls,
        lines,
    })
}

/// An http:// or https:// URL with a host (http:// when the scheme is left out).
fn parse_url(url: &str) -> Result<url::Url, String> {
    let with_scheme = if url.contains("://") {
        url.to_string()
    } else {
        format!("http://{url}")
    };
    let parsed = url::Url::parse(&with_scheme).map_err(|err| format!("not a URL ({err})"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err("bench http loads http:// and https:// URLs only".into());
    }
    if parsed.host_str().is_none() {
        return Err("no host".into());
    }
    Ok(parsed)
}

/// `Name: value` (the value trimmed), or `None` when that is not a header.
fn parse_header(header: &str) -> Option<(&str, &str)> {
    let (name, value) = header.split_once(':')?;
    let value = value.trim();
    (is_token(name) && !value.bytes().any(|b| b == b'\r' || b == b'\n')).then_some((name, value))
}

/// An HTTP token (method, header name): RFC 9110's tchar.
fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// The bytes of one request: `own` headers, then the `extra` ones whose names `own` lacks, then
/// the defaults nobody gave; a body with its Content-Length (any given one is dropped).
fn build(
    method: &str,
    url: &url::Url,
    own: &[(&str, &str)],
    extra: &[(&str, &str)],
    body: Option<&[u8]>,
    keepalive: bool,
) -> Request {
    let mut bytes = Vec::with_capacity(256 + body.map_or(0, <[u8]>::len));
    let target = request_target(url);
    bytes.extend_from_slice(format!("{method} {target} HTTP/1.1\r\n").as_bytes());
    let mut given: Vec<String> = Vec::new();
    let extra = extra
        .iter()
        .filter(|(name, _)| !own.iter().any(|(own, _)| own.eq_ignore_ascii_case(name)));
    for &(name, value) in own.iter().chain(extra) {
        if body.is_some() && name.eq_ignore_ascii_case("content-length") {
            continue;
        }
        given.push(name.to_ascii_lowercase());
        bytes.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    let authority = authority(url);
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
            bytes.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
        }
    }
    if !keepalive && !given.iter().any(|g| g == "connection") {
        bytes.extend_from_slice(b"Connection: close\r\n");
    }
    if let Some(body) = body {
        bytes.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
        bytes.extend_from_slice(body);
    } else {
        bytes.extend_from_slice(b"\r\n");
    }
    Request {
        bytes,
        head: method.eq_ignore_ascii_case("HEAD"),
    }
}

/// What the request line names: the path, and the query if there is one.
fn request_target(url: &url::Url) -> String {
    let mut target = url.path().to_string();
    if let Some(query) = url.query() {
        target.push('?');
        target.push_str(query);
    }
    target
}

/// A body file, whole (`what` names it in errors: `--body`, `FILE:LINE`).
fn read_body(what: &str, path: &Path) -> anyhow::Result<Vec<u8>> {
    let failed = |err: std::io::Error| {
        Code::Usage.error(format!("{what} {}: {}", path.display(), error_text(&err)))
    };
    let mut body = Vec::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(MAX_BODY + 1).read_to_end(&mut body))
        .map_err(failed)?;
    if body.len() as u64 > MAX_BODY {
        return Err(Code::Usage.error(format!(
            "{what} {}: more than 64 MiB (bodies are held in memory)",
            path.display()
        )));
    }
    Ok(body)
}

/// The requests of a `--requests` file, in order, each with its line.
fn from_file(
    path: &Path,
    origin: &url::Url,
    extra: &[(&str, &str)],
    keepalive: bool,
) -> anyhow::Result<Vec<(Request, RequestLine)>> {
    let text = std::fs::read_to_string(path).map_err(|err| {
        Code::Usage.error(format!(
            "--requests {}: {}",
            path.display(),
            error_text(&err)
        ))
    })?;
    let dir = path.parent().unwrap_or(Path::new(""));
    let mut requests = Vec::new();
    let mut total = 0;
    for (number, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let place = format!("{}:{}", path.display(), number + 1);
        let line = parse_line(trimmed, origin)
            .map_err(|why| Code::Usage.error(format!("{place}: {why}")))?;
        let body = line
            .body
            .map(|name| read_body(&place, &dir.join(name)))
            .transpose()?;
        let request = build(
            line.method,
            &line.url,
            &line.headers,
            extra,
            body.as_deref(),
            keepalive,
        );
        total += request.bytes.len();
        if total > MAX_TOTAL {
            return Err(Code::Usage.error(format!(
                "{place}: the requests come to more than 256 MiB (they are held in memory)"
            )));
        }
        let named = RequestLine {
            number: number + 1,
            method: line.method.to_string(),
            url: line.url.to_string(),
            path: request_target(&line.url),
        };
        requests.push((request, named));
    }
    if requests.is_empty() {
        return Err(Code::Usage.error(format!("--requests {}: no request lines", path.display())));
    }
    Ok(requests)
}

/// One line of a `--requests` file, taken apart.
#[derive(Debug)]
struct Line<'a> {
    method: &'a str,
    url: url::Url,
    headers: Vec<(&'a str, &'a str)>,
    body: Option<&'a str>,
}

/// `METHOD URL [Name: value]… [@BODYFILE]`: a header starts at a word `Name:` and its value
/// runs (inner spaces kept) to the next such word, or to the last word when that starts with @.
fn parse_line<'a>(line: &'a str, origin: &url::Url) -> Result<Line<'a>, String> {
    // Each word with its byte offsets, so a value keeps its own spacing.
    let mut words: Vec<(usize, &str)> = line
        .split_ascii_whitespace()
        .map(|word| (word.as_ptr() as usize - line.as_ptr() as usize, word))
        .collect();
    let [(_, method), (_, url), ..] = words[..] else {
        return Err("expected METHOD URL [Name: value]… [@BODYFILE]".into());
    };
    if !is_token(method) {
        return Err(format!("{method:?}: not an HTTP method"));
    }
    let url = if url.starts_with('/') {
        origin
            .join(url)
            .map_err(|err| format!("{url}: not a URL ({err})"))?
    } else {
        let parsed = parse_url(url).map_err(|why| format!("{url}: {why}"))?;
        let same = parsed.scheme() == origin.scheme()
            && parsed.host_str() == origin.host_str()
            && parsed.port_or_known_default() == origin.port_or_known_default();
        if !same {
            return Err(format!(
                "{url}: not on {}://{}, the server of the URL argument (one run loads one \
                 server; give a path, or the same scheme, host and port)",
                origin.scheme(),
                authority(origin)
            ));
        }
        parsed
    };
    let body = match words.last() {
        Some(&(_, word)) if words.len() > 2 && word.starts_with('@') => {
            words.pop();
            match &word[1..] {
                "" => return Err("@ with no file name".into()),
                name => Some(name),
            }
        }
        _ => None,
    };
    let mut headers: Vec<(&str, &str)> = Vec::new();
    // The header being read: its name, and the span of its value's words so far.
    let mut open: Option<(&str, Option<(usize, usize)>)> = None;
    let mut close = |open: Option<(&'a str, Option<(usize, usize)>)>| {
        if let Some((name, span)) = open {
            headers.push((name, span.map_or("", |(start, end)| &line[start..end])));
        }
    };
    for &(at, word) in &words[2..] {
        match (
            word.strip_suffix(':').filter(|name| is_token(name)),
            &mut open,
        ) {
            (Some(name), _) => {
                close(open.take());
                open = Some((name, None));
            }
            (None, Some((_, span))) => {
                let start = span.map_or(at, |(start, _)| start);
                *span = Some((start, at + word.len()));
            }
            (None, None) => {
                return Err(format!(
                    "{word:?}: expected a header, 'Name: value' (a space after the colon)"
                ));
            }
        }
    }
    close(open);
    Ok(Line {
        method,
        url,
        headers,
        body,
    })
}

/// `host` or `host:port`, as a URL spells it.
fn authority(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(request: &Request) -> String {
        String::from_utf8(request.bytes.clone()).unwrap()
    }

    #[test]
    fn request_is_built_once_with_defaults_and_overrides() {
        let spec = Spec {
            headers: &["Host: example.org".into()],
            keepalive: false,
            ..Spec::plain()
        };
        let t = target("127.0.0.1:8000/a%20b?q=1#frag", &spec).unwrap();
        let text = text(&t.exchange.requests()[0]);
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
            let spec = Spec {
                method: Some(method),
                headers: &headers,
                ..Spec::plain()
            };
            let err = target(url, &spec).err().expect(url);
            assert_eq!(
                crate::exit::code_of(&err),
                Some(Code::Usage),
                "{url} {err:#}"
            );
        }
    }

    #[test]
    fn a_line_splits_into_method_url_headers_and_body() {
        let origin = url::Url::parse("http://127.0.0.1:8000/").unwrap();
        let line = parse_line(
            "POST /api?x=1 Content-Type: application/json X-Note:  two  words  X-Empty: @b.json",
            &origin,
        )
        .unwrap();
        assert_eq!(line.method, "POST");
        assert_eq!(line.url.as_str(), "http://127.0.0.1:8000/api?x=1");
        assert_eq!(
            line.headers,
            [
                ("Content-Type", "application/json"),
                ("X-Note", "two  words"),
                ("X-Empty", "")
            ]
        );
        assert_eq!(line.body, Some("b.json"));
        let line = parse_line("GET http://127.0.0.1:8000/b", &origin).unwrap();
        assert!(line.headers.is_empty() && line.body.is_none());
    }

    #[test]
    fn bad_lines_say_why() {
        let origin = url::Url::parse("http://127.0.0.1:8000/").unwrap();
        for (line, why) in [
            ("GET", "expected METHOD URL"),
            ("G(T /", "not an HTTP method"),
            ("GET http://127.0.0.2:8000/", "not on http://127.0.0.1:8000"),
            ("GET https://127.0.0.1:8000/", "not on"),
            ("GET http://127.0.0.1/", "not on"),
            ("GET / Accept:text/html", "a space after the colon"),
            ("GET / value-first", "expected a header"),
            ("GET / @", "no file name"),
        ] {
            let err = parse_line(line, &origin).unwrap_err();
            assert!(err.contains(why), "{line}: {err}");
        }
    }

    #[test]
    fn a_body_sets_content_length_and_post() {
        let dir = std::env::temp_dir().join(format!("netlab-body-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("b");
        std::fs::write(&file, "hello").unwrap();
        let headers = ["Content-Length: 99".to_string()];
        let spec = Spec {
            body: Some(&file),
            headers: &headers,
            ..Spec::plain()
        };
        let t = target("http://127.0.0.1:1/", &spec).unwrap();
        let text = text(&t.exchange.requests()[0]);
        assert!(text.starts_with("POST / HTTP/1.1\r\n"), "{text}");
        assert!(text.ends_with("Content-Length: 5\r\n\r\nhello"), "{text}");
        assert_eq!(text.matches("Content-Length").count(), 1, "{text}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
