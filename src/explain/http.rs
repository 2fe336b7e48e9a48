//! `web --explain`: the HTTP heads annotated line by line — the request line, each header and
//! what it is for, the status, and why `Content-Length` must be exact. Only the first
//! [`FULL`](super::FULL) requests and responses are annotated; under load the socket narration
//! says how many connections followed.

use std::sync::atomic::{AtomicU64, Ordering};

use super::{Msg, on, say};

static REQUESTS: AtomicU64 = AtomicU64::new(0);
static RESPONSES: AtomicU64 = AtomicU64::new(0);

/// A request head as it arrived (`>` lines).
pub fn request(head: &[u8]) {
    if on() && REQUESTS.fetch_add(1, Ordering::Relaxed) < super::FULL {
        annotate(head, '>');
    }
}

/// A response head as it goes out (`<` lines).
pub fn response(head: &[u8]) {
    if on() && RESPONSES.fetch_add(1, Ordering::Relaxed) < super::FULL {
        annotate(head, '<');
    }
}

std::thread_local! {
    /// `fetch`: the head of the request about to go, said when its first bytes are sent (after
    /// the connect and the TLS handshake it waits for, as the calls happen).
    static PENDING: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// `fetch`: the request head as `-v` shows it (`>` lines), kept until [`sending`].
pub fn sent(method: &impl std::fmt::Display, url: &url::Url, head: &[(String, String)]) {
    if !on() || REQUESTS.fetch_add(1, Ordering::Relaxed) >= super::FULL {
        return;
    }
    let mut target = url.path().to_string();
    if let Some(query) = url.query() {
        target.push('?');
        target.push_str(query);
    }
    let mut text = format!("{method} {target} HTTP/1.1\r\n");
    for (name, value) in head {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    PENDING.with(|pending| *pending.borrow_mut() = Some(text));
}

/// `fetch`: the request's bytes are about to be sent: say its head, once.
pub fn sending() {
    if on()
        && let Some(text) = PENDING.with(|pending| pending.borrow_mut().take())
    {
        annotate(text.as_bytes(), '>');
    }
}

/// `fetch`: the response head as it came back (`<` lines), made only when narrated.
pub fn received(head: impl FnOnce() -> String) {
    if on() && RESPONSES.fetch_add(1, Ordering::Relaxed) < super::FULL {
        annotate(head().as_bytes(), '<');
    }
}

fn annotate(head: &[u8], arrow: char) {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.split('\n').map(|line| line.trim_end_matches('\r'));
    let Some(first) = lines.find(|line| !line.is_empty()) else {
        return;
    };
    let mut words = first.split(' ');
    if arrow == '>' {
        let method = words.next().unwrap_or_default();
        say(
            format_args!("{arrow} {first}"),
            Msg::HttpRequestLine,
            &[&method],
        );
    } else {
        let status = words.nth(1).unwrap_or_default();
        say(
            format_args!("{arrow} {first}"),
            Msg::HttpStatusLine,
            &[&status],
        );
    }
    for line in lines {
        if line.is_empty() {
            say(format_args!("{arrow} (blank line)"), Msg::HttpEnd, &[]);
            break;
        }
        let name = line.split(':').next().unwrap_or_default();
        say(format_args!("{arrow} {line}"), header(name, line), &[]);
    }
}

/// What a header is for.
fn header(name: &str, line: &str) -> Msg {
    match name.to_ascii_lowercase().as_str() {
        "host" => Msg::HttpHost,
        "user-agent" => Msg::HttpUserAgent,
        "accept" => Msg::HttpAccept,
        "accept-encoding" => Msg::HttpAcceptEncoding,
        "accept-language" => Msg::HttpAcceptLanguage,
        "connection" | "keep-alive" => Msg::HttpConnection,
        "content-length" => Msg::HttpContentLength,
        "content-type" => Msg::HttpContentType,
        "date" => Msg::HttpDate,
        "server" => Msg::HttpServer,
        "last-modified" => Msg::HttpLastModified,
        "etag" => Msg::HttpEtag,
        "if-none-match" | "if-modified-since" => Msg::HttpConditional,
        "range" | "if-range" | "content-range" => Msg::HttpRange,
        "accept-ranges" => Msg::HttpAcceptRanges,
        "transfer-encoding" if line.to_ascii_lowercase().contains("chunked") => Msg::HttpChunked,
        "cache-control" => Msg::HttpCacheControl,
        "location" => Msg::HttpLocation,
        "cookie" | "set-cookie" => Msg::HttpCookie,
        "authorization" | "www-authenticate" => Msg::HttpAuthorization,
        _ => Msg::HttpOther,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_told_apart_whatever_their_case() {
        assert_eq!(header("content-LENGTH", ""), Msg::HttpContentLength);
        assert_eq!(header("Host", ""), Msg::HttpHost);
        assert_eq!(
            header("Transfer-Encoding", "Transfer-Encoding: chunked"),
            Msg::HttpChunked
        );
        assert_eq!(header("X-Lab", ""), Msg::HttpOther);
    }
}
