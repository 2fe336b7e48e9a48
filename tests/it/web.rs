//! `netlab web` against raw sockets: every behaviour of issue 4 and every bad input, each a
//! named test. Real clients (curl, wget, python3, Chromium) are in the `web_peers` module.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::harness::{Lab, Server, WAIT};

/// One response as read off the wire.
#[derive(Debug)]
pub(crate) struct Resp {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Resp {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

pub(crate) type Conn = BufReader<TcpStream>;

pub(crate) fn open(server: &Server) -> Conn {
    BufReader::new(server.connect())
}

pub(crate) fn send(conn: &mut Conn, raw: impl AsRef<[u8]>) {
    conn.get_mut()
        .write_all(raw.as_ref())
        .expect("send request");
}

/// Read one response; `head` when it answers a HEAD request (no body whatever the headers say).
#[track_caller]
pub(crate) fn read_response(conn: &mut Conn, head: bool) -> Resp {
    let mut line = String::new();
    conn.read_line(&mut line).expect("read status line");
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {line:?}"));
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        conn.read_line(&mut line).expect("read header");
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').expect("header has a colon");
        headers.push((name.to_string(), value.trim().to_string()));
    }
    let mut resp = Resp {
        status,
        headers,
        body: Vec::new(),
    };
    if head || status == 304 || status == 204 {
        return resp;
    }
    let len: usize = resp
        .header("Content-Length")
        .expect("every response has Content-Length")
        .parse()
        .unwrap();
    resp.body = vec![0; len];
    conn.read_exact(&mut resp.body).expect("read body");
    resp
}

/// Send a request on a fresh connection and read one response.
#[track_caller]
pub(crate) fn request(server: &Server, raw: impl AsRef<[u8]>) -> Resp {
    let mut conn = open(server);
    send(&mut conn, raw.as_ref());
    read_response(&mut conn, raw.as_ref().starts_with(b"HEAD "))
}

#[track_caller]
pub(crate) fn get(server: &Server, target: &str) -> Resp {
    request(server, format!("GET {target} HTTP/1.1\r\nHost: t\r\n\r\n"))
}

/// The server closed the connection: EOF (or a reset) within the wait.
#[track_caller]
pub(crate) fn assert_closed(conn: &mut Conn) {
    let mut rest = Vec::new();
    match conn.read_to_end(&mut rest) {
        Ok(_) => assert!(
            rest.is_empty(),
            "bytes after the response: {:?}",
            String::from_utf8_lossy(&rest)
        ),
        Err(err) => assert_eq!(err.kind(), std::io::ErrorKind::ConnectionReset, "{err}"),
    }
}

/// A lab with the usual files.
fn site() -> Lab {
    let lab = Lab::new();
    lab.write("site/hello.txt", "hello, world\n");
    lab.write("site/page.html", "<p>hi</p>\n");
    lab.write("site/digits.txt", "0123456789");
    lab.write("site/sub/index.html", "<h1>sub index</h1>\n");
    lab.write("site/docs/readme.md", "# readme\n");
    lab.write("site/.secret", "hidden\n");
    lab.write("site/.git/config", "[core]\n");
    lab.write("secret.txt", "outside the root\n");
    lab
}

/// `netlab web site --port 0` and `extra`, from the lab's folder (every web test's server).
pub(crate) fn serve(lab: &Lab, extra: &[&str]) -> Server {
    let mut args = vec!["web", "site", "--port", "0"];
    args.extend_from_slice(extra);
    lab.server(args)
}

// ---------------------------------------------------------------------------------------------
// Start-up, usage, stop
// ---------------------------------------------------------------------------------------------

#[test]
fn web_first_line_says_url() {
    let lab = site();
    let server = serve(&lab, &[]);
    let log = server.log();
    let first = log.lines().next().unwrap();
    let expected = format!(
        "netlab web: listening on http://{}/ (serving site)",
        server.addr()
    );
    assert_eq!(first, expected);
}

#[test]
fn web_ipv6_url_has_brackets() {
    let lab = site();
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        crate::harness::skip("no IPv6 loopback");
        return;
    }
    let server = serve(&lab, &["--host", "::1"]);
    assert!(
        server.location.starts_with("http://[::1]:"),
        "{}",
        server.location
    );
    assert_eq!(get(&server, "/hello.txt").status, 200);
}

#[test]
fn web_usage_errors_exit_2() {
    let lab = site();
    lab.cmd(["web", "missing-dir", "--port", "0"])
        .run()
        .fails_with(2, "missing-dir");
    lab.cmd(["web", "site/hello.txt", "--port", "0"])
        .run()
        .fails_with(2, "not a directory");
    lab.cmd(["web", "--page", "nope.html", "--port", "0"])
        .run()
        .fails_with(2, "nope.html");
    lab.cmd(["web", "site", "--index", "../x", "--port", "0"])
        .run()
        .fails_with(2, "--index");
}

#[test]
fn web_sigterm_drains_and_summarises() {
    let lab = site();
    let server = serve(&lab, &[]);
    // An idle keep-alive connection must not hold the stop up.
    let mut idle = open(&server);
    send(&mut idle, "GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(read_response(&mut idle, false).status, 200);
    let started = Instant::now();
    let (status, log) = server.stop();
    assert!(status.success(), "{status}\n{log}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "stop took too long"
    );
    let last = log.lines().last().unwrap();
    assert!(
        last.starts_with("netlab web: stopped: 1 connection, "),
        "{log}"
    );
    assert_closed(&mut idle);
}

/// Issue 13: with a download in flight, a second Ctrl-C waited out the whole drain (10 s). Now
/// it ends the process at once with exit 130.
#[test]
fn second_sigint_stops_web_at_once() {
    let lab = site();
    // More than the socket buffers hold, so the server is still sending when it is told to stop.
    lab.write("site/big.bin", vec![7u8; 64 << 20]);
    let server = serve(&lab, &[]);
    let mut conn = open(&server);
    send(&mut conn, "GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n");
    let mut line = String::new();
    conn.read_line(&mut line).unwrap();
    assert!(line.starts_with("HTTP/1.1 200"), "{line}");
    server.signal(2);
    server.wait_for_line("netlab web: stopping — Ctrl-C again to stop now");
    let started = Instant::now();
    server.signal(2);
    let (status, log) = server.wait();
    let took = started.elapsed();
    assert_eq!(status.code(), Some(130), "{status}\n{log}");
    assert!(took < Duration::from_secs(5), "took {took:?}\n{log}");
    drop(conn);
}

#[test]
fn web_stop_lets_a_request_in_flight_finish() {
    let lab = site();
    lab.write("site/big.bin", vec![7u8; 8 << 20]);
    let server = serve(&lab, &[]);
    let mut conn = open(&server);
    send(&mut conn, "GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n");
    // Read the head, then stop the server while the body is on its way.
    let mut line = String::new();
    conn.read_line(&mut line).unwrap();
    assert!(line.starts_with("HTTP/1.1 200"), "{line}");
    server.signal(15);
    let mut rest = Vec::new();
    conn.read_to_end(&mut rest).unwrap();
    let body_start = rest.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    assert_eq!(rest.len() - body_start, 8 << 20, "the whole body arrives");
    let (status, log) = server.wait();
    assert!(status.success(), "{log}");
}

// ---------------------------------------------------------------------------------------------
// HTTP/1.1 basics
// ---------------------------------------------------------------------------------------------

#[test]
fn web_serves_a_file_with_its_headers() {
    let lab = site();
    let server = serve(&lab, &[]);
    let resp = get(&server, "/hello.txt");
    assert_eq!(resp.status, 200);
    assert_eq!(resp.text(), "hello, world\n");
    assert_eq!(resp.header("Content-Length"), Some("13"));
    assert_eq!(
        resp.header("Content-Type"),
        Some("text/plain; charset=utf-8")
    );
    assert!(resp.header("Date").unwrap().ends_with(" GMT"));
    assert!(resp.header("Server").unwrap().starts_with("netlab/"));
    assert!(resp.header("Last-Modified").unwrap().ends_with(" GMT"));
    let etag = resp.header("ETag").unwrap();
    assert!(
        etag.starts_with('"') && etag.ends_with('"'),
        "strong: {etag}"
    );
    assert_eq!(resp.header("Accept-Ranges"), Some("bytes"));
    let html = get(&server, "/page.html");
    assert_eq!(
        html.header("Content-Type"),
        Some("text/html; charset=utf-8")
    );
}

/// Make a file look a minute old: old enough for the small-file cache to keep it, so a second
/// request is answered from memory.
pub(crate) fn settle(path: &std::path::Path) {
    let file = std::fs::File::options().write(true).open(path).unwrap();
    file.set_modified(std::time::SystemTime::now() - Duration::from_secs(60))
        .unwrap();
}

/// Issue 13: every text file was labelled `charset=utf-8`, so a GBK page read as mojibake
/// whatever its `<meta charset>` said. Now only UTF-8 text is (read from disk or from the
/// cache, small or large, whole or a range, GET or HEAD), and other text names no charset.
#[test]
fn web_sends_no_charset_for_gbk_text() {
    let lab = Lab::new();
    let gbk_page = encoding_rs::GBK
        .encode("<html><head><meta charset=\"gbk\"></head><body>中文测试</body></html>\n")
        .0
        .into_owned();
    // Large files (over the 32 KiB read whole) are judged whole too, once: a long ASCII start
    // says nothing of what follows it.
    let big_gbk = encoding_rs::GBK
        .encode(&"中文测试\n".repeat(8000))
        .0
        .into_owned();
    let big_utf8 = "中文测试\n".repeat(8000);
    let ascii_start = "plain ascii\n".repeat(30_000);
    let late_utf8 = format!("{ascii_start}中文测试\n");
    let mut late_gbk = ascii_start.clone().into_bytes();
    late_gbk.extend_from_slice(&encoding_rs::GBK.encode("中文测试\n").0);
    for (name, bytes) in [
        ("gbk.html", gbk_page.as_slice()),
        ("utf8.txt", "中文测试\n".as_bytes()),
        ("ascii.txt", b"plain\n"),
        ("big-gbk.txt", &big_gbk),
        ("big-utf8.txt", big_utf8.as_bytes()),
        ("late-utf8.txt", late_utf8.as_bytes()),
        ("late-gbk.txt", &late_gbk),
    ] {
        settle(&lab.write(&format!("site/{name}"), bytes));
    }
    let server = serve(&lab, &[]);
    let content_type = |raw: String| {
        request(&server, raw)
            .header("Content-Type")
            .map(String::from)
    };
    for (name, expected) in [
        ("gbk.html", "text/html"),
        ("big-gbk.txt", "text/plain"),
        ("utf8.txt", "text/plain; charset=utf-8"),
        ("ascii.txt", "text/plain; charset=utf-8"),
        ("big-utf8.txt", "text/plain; charset=utf-8"),
        ("late-utf8.txt", "text/plain; charset=utf-8"),
        ("late-gbk.txt", "text/plain"),
    ] {
        // Twice: from disk, then (the small ones) from the cache.
        for _ in 0..2 {
            let got = content_type(format!("GET /{name} HTTP/1.1\r\nHost: t\r\n\r\n"));
            assert_eq!(got.as_deref(), Some(expected), "GET /{name}");
        }
        let got = content_type(format!("HEAD /{name} HTTP/1.1\r\nHost: t\r\n\r\n"));
        assert_eq!(got.as_deref(), Some(expected), "HEAD /{name}");
        let got = content_type(format!(
            "GET /{name} HTTP/1.1\r\nHost: t\r\nRange: bytes=0-3\r\n\r\n"
        ));
        assert_eq!(got.as_deref(), Some(expected), "a range of /{name}");
    }
    let page = get(&server, "/gbk.html");
    assert_eq!(page.body, gbk_page, "the bytes go out as they are");
}

/// `--charset LABEL` names one charset for every text file (the WHATWG name of the label, in
/// lower case); a label no browser knows is a usage error.
#[test]
fn web_charset_flag_forces_a_label() {
    let lab = Lab::new();
    let gbk = encoding_rs::GBK.encode("<p>中文测试</p>\n").0.into_owned();
    lab.write("site/legacy.html", &gbk);
    lab.write("site/notes.txt", "中文测试\n");
    lab.write("site/pixel.png", b"\x89PNG\r\n\x1a\n");
    let server = serve(&lab, &["--charset", "gb2312"]);
    let page = get(&server, "/legacy.html");
    assert_eq!(page.header("Content-Type"), Some("text/html; charset=gbk"));
    assert_eq!(page.body, gbk);
    assert_eq!(
        get(&server, "/notes.txt").header("Content-Type"),
        Some("text/plain; charset=gbk"),
        "forced, even on a UTF-8 file"
    );
    assert_eq!(
        get(&server, "/pixel.png").header("Content-Type"),
        Some("image/png")
    );
    lab.cmd(["web", "site", "--charset", "klingon", "--port", "0"])
        .run()
        .fails_with(2, "--charset");
}

#[test]
fn web_head_has_headers_and_no_body() {
    let lab = site();
    let server = serve(&lab, &[]);
    let mut conn = open(&server);
    send(&mut conn, "HEAD /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n");
    let head = read_response(&mut conn, true);
    assert_eq!(head.status, 200);
    assert_eq!(head.header("Content-Length"), Some("13"));
    // The next response starts right away: no body bytes were sent.
    send(&mut conn, "GET /digits.txt HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(read_response(&mut conn, false).text(), "0123456789");
}

#[test]
fn web_keep_alive_and_pipelining() {
    let lab = site();
    let server = serve(&lab, &[]);
    let mut conn = open(&server);
    send(
        &mut conn,
        "GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\nGET /digits.txt HTTP/1.1\r\nHost: t\r\n\r\n\
         HEAD /page.html HTTP/1.1\r\nHost: t\r\n\r\nGET /digits.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(read_response(&mut conn, false).text(), "hello, world\n");
    assert_eq!(read_response(&mut conn, false).text(), "0123456789");
    assert_eq!(read_response(&mut conn, true).status, 200);
    let last = read_response(&mut conn, false);
    assert_eq!(last.text(), "0123456789");
    assert_eq!(last.header("Connection"), Some("close"));
    assert_closed(&mut conn);
}

#[test]
fn web_http10_closes_unless_keep_alive() {
    let lab = site();
    let server = serve(&lab, &[]);
    let mut conn = open(&server);
    send(&mut conn, "GET /digits.txt HTTP/1.0\r\n\r\n");
    let resp = read_response(&mut conn, false);
    assert_eq!(resp.text(), "0123456789");
    assert_eq!(resp.header("Connection"), Some("close"));
    assert_closed(&mut conn);

    let mut conn = open(&server);
    send(
        &mut conn,
        "GET /digits.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    );
    let resp = read_response(&mut conn, false);
    assert_eq!(resp.header("Connection"), Some("keep-alive"));
    send(&mut conn, "GET /hello.txt HTTP/1.0\r\n\r\n");
    assert_eq!(read_response(&mut conn, false).text(), "hello, world\n");
    assert_closed(&mut conn);
}

#[test]
fn web_405_with_allow_for_other_methods() {
    let lab = site();
    let server = serve(&lab, &[]);
    for method in ["POST", "PUT", "DELETE", "OPTIONS", "PATCH"] {
        let resp = request(
            &server,
            format!("{method} /hello.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n"),
        );
        assert_eq!(resp.status, 405, "{method}");
        assert_eq!(resp.header("Allow"), Some("GET, HEAD"), "{method}");
    }
}

#[test]
fn web_501_for_unknown_methods() {
    let lab = site();
    let server = serve(&lab, &[]);
    assert_eq!(
        request(&server, "BREW /pot HTTP/1.1\r\nHost: t\r\n\r\n").status,
        501
    );
}

#[test]
fn web_cors_adds_allow_origin_and_answers_preflight() {
    let lab = site();
    let server = serve(&lab, &["--cors"]);
    let resp = get(&server, "/hello.txt");
    assert_eq!(resp.header("Access-Control-Allow-Origin"), Some("*"));
    let pre = request(
        &server,
        "OPTIONS /hello.txt HTTP/1.1\r\nHost: t\r\nOrigin: http://a\r\n\
         Access-Control-Request-Method: GET\r\nAccess-Control-Request-Headers: x-test\r\n\r\n",
    );
    assert_eq!(pre.status, 204);
    assert_eq!(pre.header("Access-Control-Allow-Headers"), Some("x-test"));
    let plain = serve(&lab, &[]);
    assert_eq!(
        get(&plain, "/hello.txt").header("Access-Control-Allow-Origin"),
        None
    );
}

// ---------------------------------------------------------------------------------------------
// Validators and conditional requests
// ---------------------------------------------------------------------------------------------

#[test]
fn web_304_for_if_none_match() {
    let lab = site();
    let server = serve(&lab, &[]);
    let etag = get(&server, "/hello.txt")
        .header("ETag")
        .unwrap()
        .to_string();
    let resp = request(
        &server,
        format!("GET /hello.txt HTTP/1.1\r\nHost: t\r\nIf-None-Match: \"x\", {etag}\r\n\r\n"),
    );
    assert_eq!(resp.status, 304);
    assert_eq!(resp.header("ETag"), Some(etag.as_str()));
    assert_eq!(resp.header("Content-Length"), None);
    let other = request(
        &server,
        "GET /hello.txt HTTP/1.1\r\nHost: t\r\nIf-None-Match: \"other\"\r\n\r\n",
    );
    assert_eq!(other.status, 200);
}

#[test]
fn web_304_for_if_modified_since() {
    let lab = site();
    let server = serve(&lab, &[]);
    let modified = get(&server, "/hello.txt")
        .header("Last-Modified")
        .unwrap()
        .to_string();
    let resp = request(
        &server,
        format!("GET /hello.txt HTTP/1.1\r\nHost: t\r\nIf-Modified-Since: {modified}\r\n\r\n"),
    );
    assert_eq!(resp.status, 304);
    let old = request(
        &server,
        "GET /hello.txt HTTP/1.1\r\nHost: t\r\nIf-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n",
    );
    assert_eq!(old.status, 200);
}

#[test]
fn web_412_when_if_match_fails() {
    let lab = site();
    let server = serve(&lab, &[]);
    let resp = request(
        &server,
        "GET /hello.txt HTTP/1.1\r\nHost: t\r\nIf-Match: \"nope\"\r\n\r\n",
    );
    assert_eq!(resp.status, 412);
}

// ---------------------------------------------------------------------------------------------
// Range
// ---------------------------------------------------------------------------------------------

fn ranged(server: &Server, range: &str, extra: &str) -> Resp {
    request(
        server,
        format!("GET /digits.txt HTTP/1.1\r\nHost: t\r\nRange: {range}\r\n{extra}\r\n"),
    )
}

#[test]
fn web_range_gives_206_with_content_range() {
    let lab = site();
    let server = serve(&lab, &[]);
    let resp = ranged(&server, "bytes=2-5", "");
    assert_eq!(resp.status, 206);
    assert_eq!(resp.text(), "2345");
    assert_eq!(resp.header("Content-Range"), Some("bytes 2-5/10"));
    assert_eq!(resp.header("Content-Length"), Some("4"));
}

#[test]
fn web_range_suffix_and_open_ended() {
    let lab = site();
    let server = serve(&lab, &[]);
    let suffix = ranged(&server, "bytes=-3", "");
    assert_eq!((suffix.status, suffix.text()), (206, "789".into()));
    assert_eq!(suffix.header("Content-Range"), Some("bytes 7-9/10"));
    let open = ranged(&server, "bytes=8-", "");
    assert_eq!((open.status, open.text()), (206, "89".into()));
    let clamped = ranged(&server, "bytes=5-1000", "");
    assert_eq!(clamped.text(), "56789");
}

#[test]
fn web_range_past_the_end_gives_416() {
    let lab = site();
    let server = serve(&lab, &[]);
    let resp = ranged(&server, "bytes=10-", "");
    assert_eq!(resp.status, 416);
    assert_eq!(resp.header("Content-Range"), Some("bytes */10"));
}

#[test]
fn web_many_or_overlapping_ranges_give_the_whole_file() {
    let lab = site();
    let server = serve(&lab, &[]);
    for range in [
        "bytes=0-1,3-4",
        "bytes=0-9,0-9,0-9,0-9",
        "bytes=x-y",
        "lines=1-2",
    ] {
        let resp = ranged(&server, range, "");
        assert_eq!(resp.status, 200, "{range}");
        assert_eq!(resp.text(), "0123456789", "{range}");
    }
}

#[test]
fn web_if_range_mismatch_gives_the_whole_file() {
    let lab = site();
    let server = serve(&lab, &[]);
    let etag = get(&server, "/digits.txt")
        .header("ETag")
        .unwrap()
        .to_string();
    let same = ranged(&server, "bytes=0-0", &format!("If-Range: {etag}\r\n"));
    assert_eq!((same.status, same.text()), (206, "0".into()));
    let stale = ranged(&server, "bytes=0-0", "If-Range: \"stale\"\r\n");
    assert_eq!((stale.status, stale.text()), (200, "0123456789".into()));
    let date = ranged(
        &server,
        "bytes=0-0",
        "If-Range: Sun, 06 Nov 1994 08:49:37 GMT\r\n",
    );
    assert_eq!(date.status, 200);
}

// ---------------------------------------------------------------------------------------------
// Precompressed files
// ---------------------------------------------------------------------------------------------

#[test]
fn web_precompressed_gzip_when_accepted() {
    let lab = site();
    lab.write("site/app.js", "console.log('plain');\n");
    lab.write("site/app.js.gz", "pretend-gzip-bytes");
    let server = serve(&lab, &[]);
    let gz = request(
        &server,
        "GET /app.js HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip, deflate\r\n\r\n",
    );
    assert_eq!(gz.status, 200);
    assert_eq!(gz.text(), "pretend-gzip-bytes");
    assert_eq!(gz.header("Content-Encoding"), Some("gzip"));
    assert_eq!(gz.header("Vary"), Some("Accept-Encoding"));
    assert_eq!(
        gz.header("Content-Type"),
        Some("text/javascript; charset=utf-8")
    );
    let plain = get(&server, "/app.js");
    assert_eq!(plain.text(), "console.log('plain');\n");
    assert_eq!(plain.header("Content-Encoding"), None);
    assert_ne!(plain.header("ETag"), gz.header("ETag"));
    let refused = request(
        &server,
        "GET /app.js HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip;q=0\r\n\r\n",
    );
    assert_eq!(refused.header("Content-Encoding"), None);
}

#[test]
fn web_precompressed_brotli_preferred() {
    let lab = site();
    lab.write("site/s.css", "body{}");
    lab.write("site/s.css.gz", "gz");
    lab.write("site/s.css.br", "br");
    let server = serve(&lab, &[]);
    let resp = request(
        &server,
        "GET /s.css HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip, br\r\n\r\n",
    );
    assert_eq!(resp.header("Content-Encoding"), Some("br"));
    assert_eq!(resp.text(), "br");
}

// ---------------------------------------------------------------------------------------------
// Directories
// ---------------------------------------------------------------------------------------------

#[test]
fn web_directory_without_slash_redirects() {
    let lab = site();
    lab.write("site/a b&c/x.txt", "x");
    let server = serve(&lab, &[]);
    let resp = get(&server, "/sub");
    assert_eq!(resp.status, 301);
    assert_eq!(resp.header("Location"), Some("/sub/"));
    let query = get(&server, "/sub?x=1&y=%20");
    assert_eq!(query.header("Location"), Some("/sub/?x=1&y=%20"));
    let encoded = get(&server, "/a%20b%26c");
    assert_eq!(encoded.header("Location"), Some("/a%20b%26c/"));
}

#[test]
fn web_redirect_never_starts_with_double_slash() {
    let lab = site();
    lab.write("site/evil.example/x", "x");
    let server = serve(&lab, &[]);
    // `//evil.example` itself is refused; an empty first segment cannot sneak into Location.
    assert_eq!(get(&server, "//evil.example").status, 400);
    let resp = get(&server, "/evil.example");
    assert_eq!(resp.header("Location"), Some("/evil.example/"));
    let resp = get(&server, "/%2Fevil.example");
    assert_eq!(resp.status, 400);
}

#[test]
fn web_index_html_is_served_for_a_directory() {
    let lab = site();
    let server = serve(&lab, &[]);
    let resp = get(&server, "/sub/");
    assert_eq!(resp.status, 200);
    assert_eq!(resp.text(), "<h1>sub index</h1>\n");
    lab.write("site/docs/start.html", "start");
    let custom = serve(&lab, &["--index", "start.html"]);
    assert_eq!(get(&custom, "/docs/").text(), "start");
}

#[test]
fn web_listing_escapes_hostile_names() {
    let lab = site();
    for name in ["教程.txt", "a b&c.html", "<img>.txt", "q?#%.txt"] {
        lab.write(&format!("site/list/{name}"), name);
    }
    lab.write("site/list/dir/inner.txt", "i");
    lab.write("site/list/.hidden", "h");
    let server = serve(&lab, &[]);
    let resp = get(&server, "/list/");
    assert_eq!(resp.status, 200);
    assert_eq!(
        resp.header("Content-Type"),
        Some("text/html; charset=utf-8")
    );
    let page = resp.text();
    assert!(
        page.contains(r#"<a href="%E6%95%99%E7%A8%8B.txt">教程.txt</a>"#),
        "{page}"
    );
    assert!(page.contains(r#"<a href="a%20b%26c.html">a b&amp;c.html</a>"#));
    assert!(page.contains(r#"<a href="%3Cimg%3E.txt">&lt;img&gt;.txt</a>"#));
    assert!(page.contains(r#"<a href="q%3F%23%25.txt">q?#%.txt</a>"#));
    assert!(page.contains(r#"<a href="../">"#));
    assert!(!page.contains(".hidden"));
    assert!(!page.contains("<img>"));
    assert!(page.contains("name=\"viewport\""));
    // Directories first.
    assert!(page.find("dir/").unwrap() < page.find("a%20b").unwrap());
    // Every link resolves.
    for href in [
        "%E6%95%99%E7%A8%8B.txt",
        "a%20b%26c.html",
        "%3Cimg%3E.txt",
        "q%3F%23%25.txt",
    ] {
        assert_eq!(get(&server, &format!("/list/{href}")).status, 200, "{href}");
    }
}

#[test]
fn web_listing_as_json() {
    let lab = site();
    let server = serve(&lab, &[]);
    let by_query = get(&server, "/docs/?format=json");
    assert_eq!(by_query.header("Content-Type"), Some("application/json"));
    let value: serde_json::Value = serde_json::from_slice(&by_query.body).unwrap();
    assert_eq!(value["path"], "/docs/");
    assert_eq!(value["entries"][0]["name"], "readme.md");
    assert_eq!(value["entries"][0]["type"], "file");
    assert_eq!(value["entries"][0]["size"], 9);
    let by_accept = request(
        &server,
        "GET /docs/ HTTP/1.1\r\nHost: t\r\nAccept: application/json\r\n\r\n",
    );
    assert_eq!(by_accept.body, by_query.body);
    assert_eq!(by_accept.header("Vary"), Some("Accept"));
}

#[test]
fn web_no_listing_gives_403() {
    let lab = site();
    let server = serve(&lab, &["--no-listing"]);
    assert_eq!(get(&server, "/docs/").status, 403);
    assert_eq!(
        get(&server, "/sub/").status,
        200,
        "an index is still served"
    );
}

// ---------------------------------------------------------------------------------------------
// Safe by default
// ---------------------------------------------------------------------------------------------

/// The status for a target, and that the secret outside the root never shows.
fn probe(server: &Server, target: &str) -> u16 {
    let resp = get(server, target);
    assert!(
        !resp.text().contains("outside the root") && !resp.text().contains("root:"),
        "{target} leaked"
    );
    resp.status
}

#[test]
fn web_rejects_dotdot() {
    let lab = site();
    let server = serve(&lab, &[]);
    assert_eq!(probe(&server, "/../secret.txt"), 400);
    assert_eq!(probe(&server, "/docs/../../secret.txt"), 400);
    assert_eq!(probe(&server, "/../../../../etc/passwd"), 400);
}

#[test]
fn web_rejects_encoded_dotdot() {
    let lab = site();
    let server = serve(&lab, &[]);
    assert_eq!(probe(&server, "/%2e%2e/secret.txt"), 400);
    assert_eq!(probe(&server, "/%2E%2E/secret.txt"), 400);
    assert_eq!(probe(&server, "/.%2e/secret.txt"), 400);
}

#[test]
fn web_double_encoded_dotdot_is_just_a_name() {
    let lab = site();
    let server = serve(&lab, &[]);
    assert_eq!(probe(&server, "/%252e%252e/secret.txt"), 404);
}

#[test]
fn web_rejects_encoded_slash() {
    let lab = site();
    let server = serve(&lab, &[]);
    assert_eq!(probe(&server, "/..%2fsecret.txt"), 400);
    assert_eq!(probe(&server, "/docs%2freadme.md"), 400);
}

#[test]
fn web_rejects_encoded_backslash() {
    let lab = site();
    let server = serve(&lab, &[]);
    assert_eq!(probe(&server, "/..%5csecret.txt"), 400);
    assert_eq!(probe(&server, "/..%5Csecret.txt"), 400);
}

#[test]
fn web_rejects_backslash() {
    let lab = site();
    let server = serve(&lab, &[]);
    assert_eq!(probe(&server, "/..\\secret.txt"), 400);
}

#[test]
fn web_rejects_nul() {
    let lab = site();
    let server = serve(&lab, &[]);
    assert_eq!(probe(&server, "/hello.txt%00.html"), 400);
}

#[test]
fn web_rejects_double_slash_host_paths() {
    let lab = site();
    let server = serve(&lab, &[]);
    assert_eq!(probe(&server, "//example.org/x"), 400);
    // Absolute-form is allowed; its host is ignored.
    assert_eq!(
        probe(&server, "http://example.org/hello.txt"),
        200,
        "absolute-form"
    );
}

#[test]
fn web_refuses_symlinks_out_of_the_root() {
    let lab = site();
    std::os::unix::fs::symlink(lab.path().join("secret.txt"), lab.path().join("site/out")).unwrap();
    std::os::unix::fs::symlink("../secret.txt", lab.path().join("site/rel-out")).unwrap();
    std::os::unix::fs::symlink("/etc", lab.path().join("site/etc")).unwrap();
    let server = serve(&lab, &[]);
    assert_eq!(probe(&server, "/out"), 403);
    assert_eq!(probe(&server, "/rel-out"), 403);
    assert_eq!(probe(&server, "/etc/passwd"), 403);
    let listing = get(&server, "/").text();
    assert!(!listing.contains("rel-out"), "a link out is not listed");
}

#[test]
fn web_follows_symlinks_inside_the_root() {
    let lab = site();
    std::os::unix::fs::symlink("hello.txt", lab.path().join("site/alias.txt")).unwrap();
    std::os::unix::fs::symlink(
        lab.path().join("site/docs"),
        lab.path().join("site/docs-link"),
    )
    .unwrap();
    let server = serve(&lab, &[]);
    assert_eq!(get(&server, "/alias.txt").text(), "hello, world\n");
    assert_eq!(get(&server, "/docs-link/readme.md").text(), "# readme\n");
}

#[test]
fn web_hides_dotfiles() {
    let lab = site();
    let server = serve(&lab, &[]);
    assert_eq!(probe(&server, "/.secret"), 404);
    assert_eq!(probe(&server, "/.git/config"), 404);
    assert_eq!(probe(&server, "/%2esecret"), 404);
    let listing = get(&server, "/").text();
    assert!(!listing.contains(".secret") && !listing.contains(".git"));
}

#[test]
fn web_hidden_flag_serves_dotfiles() {
    let lab = site();
    let server = serve(&lab, &["--hidden"]);
    assert_eq!(get(&server, "/.secret").text(), "hidden\n");
    assert!(get(&server, "/").text().contains(".git/"));
}

#[test]
fn web_refuses_a_fifo_without_blocking() {
    let lab = site();
    nix::unistd::mkfifo(&lab.path().join("site/pipe"), nix::sys::stat::Mode::S_IRWXU).unwrap();
    let server = serve(&lab, &[]);
    let started = Instant::now();
    assert_eq!(get(&server, "/pipe").status, 403);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(!get(&server, "/").text().contains("pipe"), "not listed");
    assert_eq!(get(&server, "/hello.txt").status, 200);
}

/// A FIFO or a device is refused before it is opened: opening one can have effects (a FIFO's
/// writer is let go, a tape rewinds). inotify sees every open; it must see none.
#[test]
fn web_never_opens_a_fifo_it_refuses() {
    use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};
    let lab = site();
    let fifo = lab.path().join("site/pipe");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
    let server = serve(&lab, &[]);
    let watch = Inotify::init(InitFlags::IN_NONBLOCK).unwrap();
    watch.add_watch(&fifo, AddWatchFlags::IN_OPEN).unwrap();
    for target in ["/pipe", "/pipe?x", "/%70ipe"] {
        assert_eq!(get(&server, target).status, 403, "{target}");
    }
    match watch.read_events() {
        Err(nix::errno::Errno::EAGAIN) => {}
        other => panic!("the FIFO was opened: {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Limits
// ---------------------------------------------------------------------------------------------

/// Send a bad request: expect `status`, a closed connection, and a server still serving.
#[track_caller]
fn refused(server: &Server, raw: impl AsRef<[u8]>, status: u16) {
    let mut conn = open(server);
    send(&mut conn, raw);
    let resp = read_response(&mut conn, false);
    assert_eq!(resp.status, status, "{resp:?}");
    assert_eq!(resp.header("Connection"), Some("close"));
    assert_closed(&mut conn);
    assert_eq!(get(server, "/hello.txt").status, 200, "still serving");
}

#[test]
fn web_414_for_a_long_request_line() {
    let lab = site();
    let server = serve(&lab, &[]);
    let target = format!("/{}", "a".repeat(9000));
    refused(
        &server,
        format!("GET {target} HTTP/1.1\r\nHost: t\r\n\r\n"),
        414,
    );
    // Just under the limit is fine (404: no such file).
    let target = format!("/{}", "a".repeat(8000));
    assert_eq!(get(&server, &target).status, 404);
}

#[test]
fn web_431_for_big_headers() {
    let lab = site();
    let server = serve(&lab, &[]);
    let big = "x".repeat(17 * 1024);
    refused(
        &server,
        format!("GET / HTTP/1.1\r\nHost: t\r\nX-Big: {big}\r\n\r\n"),
        431,
    );
}

#[test]
fn web_431_for_too_many_headers() {
    let lab = site();
    let server = serve(&lab, &[]);
    let many: String = (0..101).map(|i| format!("X-{i}: y\r\n")).collect();
    refused(
        &server,
        format!("GET / HTTP/1.1\r\nHost: t\r\n{many}\r\n"),
        431,
    );
    let ok: String = (0..98).map(|i| format!("X-{i}: y\r\n")).collect();
    assert_eq!(
        request(
            &server,
            format!("GET /hello.txt HTTP/1.1\r\nHost: t\r\n{ok}\r\n")
        )
        .status,
        200
    );
}

#[test]
fn web_408_when_the_head_misses_its_deadline() {
    let lab = site();
    let server = serve(&lab, &["--header-timeout", "1s"]);
    let mut conn = open(&server);
    send(&mut conn, "GET /hello.txt HTTP/1.1\r\n");
    // Trickle a header byte every 200 ms: a per-read timeout would never fire; a deadline does.
    let mut writer = conn.get_ref().try_clone().unwrap();
    let trickle = std::thread::spawn(move || {
        for _ in 0..50 {
            if writer.write_all(b"X").is_err() {
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    });
    let started = Instant::now();
    let resp = read_response(&mut conn, false);
    assert_eq!(resp.status, 408);
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(700) && took < Duration::from_secs(4),
        "408 after {took:?}"
    );
    drop(conn);
    trickle.join().unwrap();
    assert_eq!(get(&server, "/hello.txt").status, 200);
}

#[test]
fn web_closes_idle_keep_alive_connections() {
    let lab = site();
    let server = serve(&lab, &["--keepalive-timeout", "300ms"]);
    let mut conn = open(&server);
    send(&mut conn, "GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(read_response(&mut conn, false).status, 200);
    let started = Instant::now();
    assert_closed(&mut conn);
    assert!(started.elapsed() < Duration::from_secs(5));
}

/// A connection with a request in hand: a body announced and not all sent, so a thread waits
/// on it (not a connection waiting for a head, which could be evicted).
fn mid_request(server: &Server) -> Conn {
    let mut conn = open(server);
    send(
        &mut conn,
        "POST /hello.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\npart of it",
    );
    conn
}

/// The rest of a [`mid_request`] body, then a request on the same connection: it was kept.
#[track_caller]
fn still_served(conn: &mut Conn) {
    send(conn, "x".repeat(1000 - "part of it".len()));
    send(conn, "GET /digits.txt HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(read_response(conn, false).text(), "0123456789");
}

#[test]
fn web_503_over_max_conns_when_every_slot_is_mid_request() {
    let lab = site();
    let server = serve(&lab, &["--max-conns", "1"]);
    let mut first = mid_request(&server);
    // The 405 comes at once; the server then reads the rest of the body to keep the connection.
    assert_eq!(read_response(&mut first, false).status, 405);
    let mut second = open(&server);
    send(&mut second, "GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n");
    let resp = read_response(&mut second, false);
    assert_eq!(resp.status, 503);
    assert_eq!(resp.header("Connection"), Some("close"));
    assert_eq!(resp.header("Retry-After"), Some("1"));
    assert_closed(&mut second);
    server.wait_for_line("refused: over --max-conns 1");
    // The first client is still served once its body is in.
    still_served(&mut first);
    let (_, log) = server.stop();
    assert!(log.contains("1 refused over the limit"), "{log}");
}

#[test]
fn web_at_max_conns_evicts_the_longest_waiting_for_a_head() {
    let lab = site();
    let server = serve(&lab, &["--max-conns", "3"]);
    // Two slowloris clients, a head begun and never finished, and one mid-request.
    let mut slow = Vec::new();
    for _ in 0..2 {
        let mut conn = open(&server);
        send(
            &mut conn,
            "GET /hello.txt HTTP/1.1\r\nHost: t\r\nX-a: b\r\n",
        );
        slow.push(conn);
    }
    let mut busy = mid_request(&server);
    assert_eq!(read_response(&mut busy, false).status, 405);
    // At the limit, a newcomer is served: the oldest slowloris client made room.
    let mut newcomer = open(&server);
    send(&mut newcomer, "GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n");
    let resp = read_response(&mut newcomer, false);
    assert_eq!(resp.status, 200, "a newcomer at the limit is served");
    assert_closed(&mut slow[0]);
    server.wait_for_line("at --max-conns 3: closed 1 connection still waiting for a request head");
    // The next newcomer: the second slowloris client has waited longer than the first
    // newcomer, idle since its answer; the one mid-request is never evicted.
    assert_eq!(get(&server, "/hello.txt").status, 200);
    assert_closed(&mut slow[1]);
    still_served(&mut busy);
    let (_, log) = server.stop();
    assert!(
        log.contains("2 closed while waiting for a request head to let new ones in"),
        "{log}"
    );
    assert!(!log.contains("refused"), "{log}");
}

#[test]
fn web_at_max_conns_an_idle_keep_alive_connection_makes_room() {
    let lab = site();
    let server = serve(&lab, &["--max-conns", "1"]);
    let mut idle = open(&server);
    send(&mut idle, "GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(read_response(&mut idle, false).status, 200);
    // Between requests it waits for a head like any other: the newcomer goes first.
    assert_eq!(get(&server, "/digits.txt").text(), "0123456789");
    assert_closed(&mut idle);
}

// ---------------------------------------------------------------------------------------------
// Malformed requests: 400 and close, everyone else still served
// ---------------------------------------------------------------------------------------------

macro_rules! bad_request {
    ($($name:ident: $raw:expr;)*) => {$(
        #[test]
        fn $name() {
            let lab = site();
            let server = serve(&lab, &[]);
            refused(&server, $raw, 400);
        }
    )*};
}

bad_request! {
    web_400_duplicate_content_length:
        "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc";
    web_400_bad_content_length:
        "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: +3\r\n\r\nabc";
    web_400_content_length_list:
        "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3, 3\r\n\r\nabc";
    web_400_content_length_with_transfer_encoding:
        "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
    web_400_unknown_transfer_encoding:
        "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n";
    web_400_missing_host:
        "GET /hello.txt HTTP/1.1\r\n\r\n";
    web_400_duplicate_host:
        "GET /hello.txt HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n";
    web_400_whitespace_before_colon:
        "GET /hello.txt HTTP/1.1\r\nHost : t\r\n\r\n";
    web_400_bare_cr:
        "GET /hello.txt HTTP/1.1\r\nHost: t\rX: y\r\n\r\n";
    web_400_control_bytes_in_header:
        "GET /hello.txt HTTP/1.1\r\nHost: t\r\nX: a\x07b\r\n\r\n";
    web_400_control_bytes_in_target:
        "GET /hello\x1b.txt HTTP/1.1\r\nHost: t\r\n\r\n";
    web_400_garbage:
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03".as_slice();
    web_400_obsolete_line_folding:
        "GET /hello.txt HTTP/1.1\r\nHost: t\r\nX: a\r\n b\r\n\r\n";
}

#[test]
fn web_body_it_will_not_read_is_answered_then_drained() {
    let lab = site();
    let server = serve(&lab, &[]);
    let mut conn = open(&server);
    let size = 4 << 20;
    send(
        &mut conn,
        format!("POST /hello.txt HTTP/1.1\r\nHost: t\r\nContent-Length: {size}\r\n\r\n"),
    );
    // Upload on another thread, as a real client would, while the answer comes back.
    let mut writer = conn.get_ref().try_clone().unwrap();
    let upload = std::thread::spawn(move || {
        let chunk = vec![b'z'; 64 * 1024];
        let mut sent = 0;
        while sent < size {
            if writer.write_all(&chunk).is_err() {
                break;
            }
            sent += chunk.len();
        }
    });
    let resp = read_response(&mut conn, false);
    assert_eq!(resp.status, 405);
    assert_eq!(resp.text(), "405 Method Not Allowed\n");
    assert_eq!(resp.header("Connection"), Some("close"));
    upload.join().unwrap();
    assert_closed(&mut conn);
}

#[test]
fn web_small_body_keeps_the_connection() {
    let lab = site();
    let server = serve(&lab, &[]);
    let mut conn = open(&server);
    send(
        &mut conn,
        "POST /hello.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhelloGET /digits.txt HTTP/1.1\r\nHost: t\r\n\r\n",
    );
    let first = read_response(&mut conn, false);
    assert_eq!(first.status, 405);
    assert_eq!(first.header("Connection"), None);
    assert_eq!(read_response(&mut conn, false).text(), "0123456789");
}

#[test]
fn web_505_for_other_http_versions() {
    let lab = site();
    let server = serve(&lab, &[]);
    let mut conn = open(&server);
    send(&mut conn, "GET / HTTP/2.0\r\nHost: t\r\n\r\n");
    assert_eq!(read_response(&mut conn, false).status, 505);
}

// ---------------------------------------------------------------------------------------------
// --page and --echo
// ---------------------------------------------------------------------------------------------

/// The notes' simple_webserver.py page (its Content-Length said 1000; ours is the truth).
const NOTES_PAGE: &str = "<html>
<head>
<title>hello socket programming</title>
</head>
<body>
I'm Body
</body>
</html>
";

/// The notes' page, whole, with its true length and type.
#[track_caller]
fn assert_is_notes_page(resp: &Resp) {
    assert_eq!(resp.status, 200);
    assert_eq!(resp.text(), NOTES_PAGE);
    assert_eq!(
        resp.header("Content-Length"),
        Some(NOTES_PAGE.len().to_string().as_str())
    );
    assert_eq!(
        resp.header("Content-Type"),
        Some("text/html; charset=utf-8")
    );
}

#[test]
fn web_page_answers_every_request_with_a_correct_length() {
    let lab = Lab::new();
    lab.write("page.html", NOTES_PAGE);
    let server = lab.server(["web", "--page", "page.html", "--port", "0"]);
    assert!(server.log().contains("(page page.html)"));
    for target in ["/", "/anything/at/all?x=1"] {
        assert_is_notes_page(&get(&server, target));
    }
    let etag = get(&server, "/").header("ETag").unwrap().to_string();
    let resp = request(
        &server,
        format!("GET / HTTP/1.1\r\nHost: t\r\nIf-None-Match: {etag}\r\n\r\n"),
    );
    assert_eq!(resp.status, 304);
}

#[test]
fn web_page_from_stdin() {
    let lab = Lab::new();
    let server = lab
        .cmd(["web", "--page", "-", "--port", "0"])
        .stdin(NOTES_PAGE)
        .spawn_server();
    assert!(server.log().contains("(page -)"), "{}", server.log());
    assert_is_notes_page(&get(&server, "/whatever"));
}

/// `--page -` from a pipe that a writer keeps open: the page is everything up to the end of
/// input, so the server does not listen while the writer is still writing, and serves both
/// halves once it is done.
#[test]
fn web_page_from_a_live_stdin_waits_for_its_end() {
    let lab = Lab::new();
    let mut starting = lab.cmd(["web", "--page", "-", "--port", "0"]).spawn_live();
    let (head, tail) = NOTES_PAGE.split_at(NOTES_PAGE.len() / 2);
    let mut stdin = starting.stdin.take().expect("a live stdin");
    stdin
        .write_all(head.as_bytes())
        .expect("write the first half");
    stdin.flush().unwrap();
    let early = starting.first_line_within(Duration::from_millis(300));
    assert!(
        early.is_none(),
        "listened before its page was read: {early:?}"
    );
    stdin
        .write_all(tail.as_bytes())
        .expect("write the second half");
    drop(stdin);
    let server = starting.listening();
    assert_is_notes_page(&get(&server, "/"));
}

/// A page larger than the event loop answers inline goes out from a thread, whole, and the
/// connection keeps going.
#[test]
fn web_large_page_arrives_whole_on_a_kept_connection() {
    let lab = Lab::new();
    let page: String = (0..20_000).map(|i| format!("<p>{i}</p>\n")).collect();
    lab.write("big.html", &page);
    let server = lab.server(["web", "--page", "big.html", "--port", "0"]);
    let mut conn = open(&server);
    for _ in 0..3 {
        send(&mut conn, "GET / HTTP/1.1\r\nHost: t\r\n\r\n");
        let resp = read_response(&mut conn, false);
        assert_eq!(resp.status, 200);
        assert_eq!(resp.text(), page);
    }
}

#[test]
fn web_echo_mirrors_the_request_as_text() {
    let lab = Lab::new();
    let server = lab.server(["web", "--echo", "--port", "0"]);
    let raw =
        "POST /form?a=1 HTTP/1.1\r\nHost: t\r\nX-Test: yes\r\nContent-Length: 9\r\n\r\nname=cute";
    let resp = request(&server, raw);
    assert_eq!(resp.status, 200);
    assert_eq!(resp.text(), raw);
    assert_eq!(
        resp.header("Content-Type"),
        Some("text/plain; charset=utf-8")
    );
}

#[test]
fn web_echo_mirrors_the_request_as_json() {
    let lab = Lab::new();
    let server = lab.server(["web", "--echo", "--port", "0"]);
    let resp = request(
        &server,
        "PUT /x?q=%E6%95%99 HTTP/1.1\r\nHost: t\r\nAccept: application/json\r\n\
         Transfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n",
    );
    assert_eq!(resp.header("Content-Type"), Some("application/json"));
    let value: serde_json::Value = serde_json::from_slice(&resp.body).unwrap();
    assert_eq!(value["method"], "PUT");
    assert_eq!(value["path"], "/x");
    assert_eq!(value["query"], "q=%E6%95%99");
    assert_eq!(value["body"], "Wikipedia");
    assert_eq!(value["headers"][0][0], "Host");
    assert!(value["client"].as_str().unwrap().starts_with("127.0.0.1:"));
}

#[test]
fn web_echo_refuses_a_huge_body() {
    let lab = Lab::new();
    let server = lab.server(["web", "--echo", "--port", "0"]);
    let mut conn = open(&server);
    send(
        &mut conn,
        "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 99999999\r\n\r\n",
    );
    assert_eq!(read_response(&mut conn, false).status, 413);
}

// ---------------------------------------------------------------------------------------------
// Access log
// ---------------------------------------------------------------------------------------------

#[test]
fn web_access_log_line_per_request() {
    let lab = site();
    let server = serve(&lab, &[]);
    get(&server, "/hello.txt");
    let line = server.wait_for_line("\"GET /hello.txt HTTP/1.1\"");
    // time client "request line" status bytes duration
    let parts: Vec<&str> = line.split(' ').collect();
    assert!(parts[1].starts_with("127.0.0.1:"), "{line}");
    assert_eq!(parts[5], "200", "{line}");
    assert_eq!(parts[6], "13", "{line}");
    assert!(parts[7].ends_with("ms"), "{line}");
}

/// Issue 13: the access log had no time. Each line now starts with one as nginx's
/// `$time_iso8601` writes it, in local time (`TZ`), with milliseconds:
/// `2026-12-03T21:05:02.123+08:00`, and it is the time the request was answered.
#[test]
fn access_log_lines_start_with_an_iso_8601_time() {
    let lab = site();
    // A POSIX zone eight hours east of UTC, needing no tz database.
    let server = lab
        .cmd(["web", "site", "--port", "0"])
        .env("TZ", "XST-8")
        .spawn_server();
    let before = unix_millis(std::time::SystemTime::now());
    assert_eq!(get(&server, "/hello.txt").status, 200);
    let line = server.wait_for_line("\"GET /hello.txt HTTP/1.1\"");
    let after = unix_millis(std::time::SystemTime::now());
    let (stamp, rest) = line.split_once(' ').unwrap();
    assert!(rest.starts_with("127.0.0.1:"), "{line}");
    let b = stamp.as_bytes();
    let shape_ok = b.len() == 29
        && b.iter().enumerate().all(|(i, &c)| match i {
            4 | 7 => c == b'-',
            10 => c == b'T',
            13 | 16 | 26 => c == b':',
            19 => c == b'.',
            23 => c == b'+' || c == b'-',
            _ => c.is_ascii_digit(),
        });
    assert!(shape_ok, "not YYYY-MM-DDTHH:MM:SS.mmm+HH:MM: {line}");
    assert!(stamp.ends_with("+08:00"), "local time of TZ=XST-8: {line}");
    let num = |range: std::ops::Range<usize>| stamp[range].parse::<i64>().unwrap();
    let days = days_from_civil(num(0..4), num(5..7), num(8..10));
    let local =
        (((days * 24 + num(11..13)) * 60 + num(14..16)) * 60 + num(17..19)) * 1000 + num(20..23);
    let logged = local - 8 * 3600 * 1000;
    assert!(
        before <= logged && logged <= after,
        "{stamp} is not between {before} and {after} (Unix ms)"
    );
}

fn unix_millis(time: std::time::SystemTime) -> i64 {
    let since = time.duration_since(std::time::UNIX_EPOCH).unwrap();
    i64::try_from(since.as_millis()).unwrap()
}

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year - era * 400;
    let doy = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[test]
fn web_access_log_escapes_control_characters() {
    let lab = site();
    let server = serve(&lab, &[]);
    refused(
        &server,
        "GET /\x1b[31mred\"q HTTP/1.1\r\nHost: t\r\n\r\n",
        400,
    );
    let line = server.wait_for_line("red");
    assert!(
        line.contains(r#""GET /\x1b[31mred\"q HTTP/1.1" 400"#),
        "{line}"
    );
    assert!(!server.log().contains('\x1b'));
}

#[test]
fn web_quiet_has_no_access_log() {
    let lab = site();
    let server = serve(&lab, &["--quiet"]);
    assert_eq!(get(&server, "/hello.txt").status, 200);
    let (status, log) = server.stop();
    assert!(status.success());
    assert_eq!(log.lines().count(), 1, "only the address line: {log}");
}

// ---------------------------------------------------------------------------------------------
// Big files
// ---------------------------------------------------------------------------------------------

#[test]
fn web_big_file_arrives_intact() {
    let lab = site();
    let data: Vec<u8> = (0..(3 << 20) + 77)
        .map(|i: u32| (i * 7 % 251) as u8)
        .collect();
    lab.write("site/big.bin", &data);
    let server = serve(&lab, &[]);
    let resp = get(&server, "/big.bin");
    assert_eq!(resp.status, 200);
    assert!(resp.body == data, "body differs");
    let part = ranged_big(&server, "bytes=1000000-2999999");
    assert!(part.body == data[1_000_000..3_000_000], "range differs");
    assert_eq!(
        part.header("Content-Range"),
        Some(format!("bytes 1000000-2999999/{}", data.len()).as_str())
    );
}

fn ranged_big(server: &Server, range: &str) -> Resp {
    request(
        server,
        format!("GET /big.bin HTTP/1.1\r\nHost: t\r\nRange: {range}\r\n\r\n"),
    )
}

#[test]
fn web_many_clients_at_once() {
    let lab = site();
    let server = serve(&lab, &["--quiet"]);
    let addr = server.addr();
    let workers: Vec<_> = (0..16)
        .map(|_| {
            std::thread::spawn(move || {
                let stream = TcpStream::connect_timeout(&addr, WAIT).unwrap();
                stream.set_read_timeout(Some(WAIT)).unwrap();
                let mut conn = BufReader::new(stream);
                for _ in 0..50 {
                    send(&mut conn, "GET /digits.txt HTTP/1.1\r\nHost: t\r\n\r\n");
                    assert_eq!(read_response(&mut conn, false).text(), "0123456789");
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
}

// ---------------------------------------------------------------------------------------------
// The small-file cache never serves anything stale
// ---------------------------------------------------------------------------------------------

/// Write a file last modified an hour ago: old enough for the cache to keep it.
fn write_settled(lab: &Lab, name: &str, contents: &str) -> std::path::PathBuf {
    let path = lab.write(name, contents);
    let file = std::fs::File::options().write(true).open(&path).unwrap();
    file.set_modified(std::time::SystemTime::now() - Duration::from_secs(3600))
        .unwrap();
    path
}

#[test]
fn web_cache_sees_a_rewrite_of_the_same_size() {
    let lab = site();
    let server = serve(&lab, &[]);
    write_settled(&lab, "site/v.txt", "one");
    assert_eq!(get(&server, "/v.txt").text(), "one");
    assert_eq!(get(&server, "/v.txt").text(), "one");
    lab.write("site/v.txt", "two");
    assert_eq!(get(&server, "/v.txt").text(), "two");
    std::fs::remove_file(lab.path().join("site/v.txt")).unwrap();
    assert_eq!(get(&server, "/v.txt").status, 404);
}

#[test]
fn web_cache_sees_a_file_replaced_by_a_symlink_out() {
    let lab = site();
    let server = serve(&lab, &[]);
    write_settled(&lab, "site/w.txt", "inside");
    assert_eq!(get(&server, "/w.txt").text(), "inside");
    std::fs::remove_file(lab.path().join("site/w.txt")).unwrap();
    std::os::unix::fs::symlink(lab.path().join("secret.txt"), lab.path().join("site/w.txt"))
        .unwrap();
    assert_eq!(probe(&server, "/w.txt"), 403);
}

#[test]
fn web_cache_sees_a_chmod() {
    use std::os::unix::fs::PermissionsExt;
    let lab = site();
    let server = serve(&lab, &[]);
    let path = write_settled(&lab, "site/m.txt", "mode");
    assert_eq!(get(&server, "/m.txt").status, 200);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&path).is_ok() {
        crate::harness::skip("this user reads files whatever their mode (root)");
        return;
    }
    assert_eq!(get(&server, "/m.txt").status, 403);
}

#[test]
fn web_write_timeout_closes_a_stalled_reader() {
    let lab = site();
    lab.write("site/big.bin", vec![0u8; 32 << 20]);
    let server = serve(&lab, &["--write-timeout", "300ms"]);
    let mut conn = open(&server);
    // Ask for 32 MiB and never read: the socket buffers fill, the server's write stalls.
    send(&mut conn, "GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n");
    let line = server.wait_for_line("\"GET /big.bin HTTP/1.1\"");
    assert!(
        line.contains("\" - - ") && line.contains("write failed"),
        "{line}"
    );
    assert_eq!(get(&server, "/hello.txt").status, 200);
}

// ---------------------------------------------------------------------------------------------
// Event loops: keep-alive requests are answered without a thread per connection
// ---------------------------------------------------------------------------------------------

fn threads_of(server: &Server) -> usize {
    std::fs::read_dir(format!("/proc/{}/task", server.pid()))
        .expect("read the server's threads")
        .count()
}

/// `n` keep-alive connections, each answered once for `target` (a body that holds `holds`).
fn kept_connections(server: &Server, n: usize, target: &str, holds: &str) -> Vec<Conn> {
    (0..n)
        .map(|_| {
            let mut conn = open(server);
            send(
                &mut conn,
                format!("GET {target} HTTP/1.1\r\nHost: t\r\n\r\n"),
            );
            assert!(read_response(&mut conn, false).text().contains(holds));
            conn
        })
        .collect()
}

/// Every connection is still served.
fn assert_all_served(conns: &mut [Conn]) {
    for conn in conns.iter_mut() {
        send(conn, "GET /digits.txt HTTP/1.1\r\nHost: t\r\n\r\n");
    }
    for conn in conns.iter_mut() {
        assert_eq!(read_response(conn, false).text(), "0123456789");
    }
}

#[test]
fn web_idle_keep_alive_connections_take_no_threads() {
    let lab = site();
    let server = serve(&lab, &["--quiet"]);
    assert_eq!(get(&server, "/hello.txt").status, 200);
    let before = threads_of(&server);
    let mut conns = kept_connections(&server, 200, "/hello.txt", "hello, world");
    assert_eq!(threads_of(&server), before, "a thread per connection");
    assert_all_served(&mut conns);
}

/// Pipelined answers larger than the socket buffers wait in the loop's outbox (the client is
/// not reading yet), a large file in the middle moves the connection to a thread of its own,
/// and every answer arrives whole and in order.
#[test]
fn web_pipelined_burst_arrives_whole_and_in_order() {
    let lab = site();
    lab.write("site/a.bin", vec![b'a'; 20_000]);
    lab.write("site/b.bin", vec![b'b'; 20_000]);
    lab.write("site/large.bin", vec![b'L'; 200_000]);
    let server = serve(&lab, &["--quiet"]);
    let mut conn = open(&server);
    // 20 MB of answers: more than loopback's socket buffers take.
    let names: Vec<&str> = (0..1000)
        .map(|i| match i {
            500 => "large",
            i if i % 2 == 0 => "a",
            _ => "b",
        })
        .collect();
    let mut burst = String::new();
    for name in &names {
        burst.push_str(&format!("GET /{name}.bin HTTP/1.1\r\nHost: t\r\n\r\n"));
    }
    // All requests go out before a byte is read: the answers pile up on the server's side.
    let mut writer = conn.get_ref().try_clone().unwrap();
    let sender = std::thread::spawn(move || writer.write_all(burst.as_bytes()));
    sender.join().unwrap().expect("send the burst");
    for (i, name) in names.iter().enumerate() {
        let resp = read_response(&mut conn, false);
        assert_eq!(resp.status, 200, "answer {i}");
        let (byte, len) = match *name {
            "large" => (b'L', 200_000),
            "a" => (b'a', 20_000),
            _ => (b'b', 20_000),
        };
        assert_eq!(resp.body.len(), len, "answer {i}");
        assert!(resp.body.iter().all(|&b| b == byte), "answer {i} mixed up");
    }
    // The connection lives on after the hand-over.
    send(&mut conn, "GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(read_response(&mut conn, false).text(), "hello, world\n");
}

#[test]
fn web_write_timeout_closes_a_client_that_never_reads_small_answers() {
    let lab = site();
    lab.write("site/a.bin", vec![b'a'; 30_000]);
    let server = serve(&lab, &["--write-timeout", "300ms"]);
    let conn = open(&server);
    // Far more answers than the socket buffers hold, and never a byte read.
    let mut writer = conn.get_ref().try_clone().unwrap();
    let sender = std::thread::spawn(move || {
        for _ in 0..2000 {
            if writer
                .write_all(b"GET /a.bin HTTP/1.1\r\nHost: t\r\n\r\n")
                .is_err()
            {
                break;
            }
        }
    });
    server.wait_for_line("took nothing for 300ms (--write-timeout)");
    sender.join().unwrap();
    assert_eq!(get(&server, "/hello.txt").status, 200);
    drop(conn);
}

/// A server with a 1 s head deadline and the given keep-alive timeout, and a connection on
/// which `GET /hello.txt` followed by `rest` was sent and the 200 read.
fn answered_then(lab: &Lab, keepalive: &str, rest: &str) -> (Server, Conn) {
    let server = serve(
        lab,
        &["--header-timeout", "1s", "--keepalive-timeout", keepalive],
    );
    let mut conn = open(&server);
    send(
        &mut conn,
        format!("GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n{rest}"),
    );
    assert_eq!(read_response(&mut conn, false).status, 200);
    (server, conn)
}

#[test]
fn web_408_for_a_partial_head_after_a_pipelined_request() {
    let lab = site();
    let (_server, mut conn) = answered_then(&lab, "20s", "GET /hello.txt HTT");
    let started = Instant::now();
    assert_eq!(read_response(&mut conn, false).status, 408);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "not the keep-alive timeout"
    );
}

/// The write timeout is for a client that takes nothing: a client that keeps reading, slowly,
/// gets every answer even while more is queued than the kernel holds (the kernel reports room
/// only once much of its buffer is free; progress counts before that).
#[test]
fn web_write_timeout_spares_a_slow_steady_reader() {
    let lab = site();
    lab.write("site/a.bin", vec![b'a'; 30_000]);
    let server = serve(&lab, &["--quiet", "--write-timeout", "500ms"]);
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    socket.connect(&server.addr().into()).unwrap();
    let stream: TcpStream = socket.into();
    stream.set_read_timeout(Some(WAIT)).unwrap();
    let mut writer = stream.try_clone().unwrap();
    // 6 MB of answers: more than the server's socket buffer takes.
    let answers = 200;
    writer
        .write_all(
            "GET /a.bin HTTP/1.1\r\nHost: t\r\n\r\n"
                .repeat(answers)
                .as_bytes(),
        )
        .unwrap();
    // About 2 MB/s, a read every 2 ms: never near 500 ms without taking bytes.
    let mut reader = stream;
    let mut chunk = [0u8; 4096];
    let (mut got, mut body) = (0, 0);
    while body < answers * 30_000 {
        let n = reader.read(&mut chunk).expect("keep reading");
        assert!(n > 0, "closed after {got} bytes");
        got += n;
        body += chunk[..n].iter().filter(|&&b| b == b'a').count();
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// One client pipelining as fast as it can does not starve the others on its event loop.
#[test]
fn web_a_pipelining_client_does_not_starve_the_others() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let lab = site();
    let server = serve(&lab, &["--quiet"]);
    let done = Arc::new(AtomicBool::new(false));
    let hog = open(&server);
    let mut hog_writer = hog.get_ref().try_clone().unwrap();
    let writing = {
        let done = Arc::clone(&done);
        std::thread::spawn(move || {
            let burst = "GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n".repeat(2000);
            let until = Instant::now() + Duration::from_secs(20);
            while !done.load(Ordering::Relaxed) && Instant::now() < until {
                if hog_writer.write_all(burst.as_bytes()).is_err() {
                    break;
                }
            }
        })
    };
    let reading = {
        let done = Arc::clone(&done);
        let mut hog = hog.into_inner();
        std::thread::spawn(move || {
            let mut sink = vec![0u8; 1 << 16];
            while !done.load(Ordering::Relaxed) {
                if matches!(hog.read(&mut sink), Ok(0) | Err(_)) {
                    break;
                }
            }
        })
    };
    // Connections go to the loops (one per core) in turn: of as many as there are loops, one
    // lands on the hog's.
    let loops = std::thread::available_parallelism().map_or(1, |n| n.get());
    for _ in 0..loops.max(2) {
        assert_eq!(get(&server, "/digits.txt").text(), "0123456789");
    }
    done.store(true, Ordering::Relaxed);
    writing.join().unwrap();
    reading.join().unwrap();
}

#[test]
fn web_huge_timeouts_are_refused_not_a_crash() {
    let lab = site();
    lab.cmd([
        "web",
        "site",
        "--port",
        "0",
        "--header-timeout",
        "18000000000000000000s",
    ])
    .run()
    .expect_code(2)
    .stderr_has("must be at most 365 days");
}

/// A stray CRLF after a request is not the start of a head: no 408, just the keep-alive close.
#[test]
fn web_stray_crlf_after_a_request_is_ignored() {
    let lab = site();
    let (_server, mut conn) = answered_then(&lab, "3s", "\r\n");
    assert_closed(&mut conn);
}

/// A connection that needed a thread (a listing) goes back to its event loop once it is idle:
/// the thread ends, the connection stays.
#[test]
fn web_connections_leave_their_thread_when_idle() {
    let lab = site();
    let server = serve(&lab, &["--quiet"]);
    assert_eq!(get(&server, "/hello.txt").status, 200);
    let before = threads_of(&server);
    let mut conns = kept_connections(&server, 20, "/docs/", "readme.md");
    // A thread ends just after its answer is out: wait (bounded) for the count to settle.
    let until = Instant::now() + WAIT;
    while threads_of(&server) != before && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(threads_of(&server), before, "threads left behind");
    assert_all_served(&mut conns);
}

/// Issue 13: `web --host localhost` was refused (only addresses were taken). A name now binds
/// every address it resolves to, on one port, one `listening on` line each.
#[test]
fn web_host_localhost_binds_every_address() {
    let lab = site();
    let expected = crate::serve::localhost_addresses();
    web_answers_on_every_address(serve(&lab, &["--host", "localhost"]), &expected);
    // Two addresses for localhost, as Debian's and Ubuntu's hosts files give, where this
    // machine's gives one.
    let two: Vec<std::net::IpAddr> = ["127.0.0.1", "::1"]
        .iter()
        .map(|ip| ip.parse().unwrap())
        .filter(|ip| std::net::TcpListener::bind((*ip, 0)).is_ok())
        .collect();
    let args = ["web", "site", "--port", "0", "--host", "localhost"];
    if let Some(cmd) = lab.cmd_with_hosts("127.0.0.1 localhost\n::1 localhost\n", args) {
        web_answers_on_every_address(cmd.spawn_server(), &two);
    }
    lab.cmd(["web", "--port", "0", "--host", "no-such-host.invalid"])
        .run()
        .fails_with(2, "--host: resolve no-such-host.invalid: ");
}

/// Every address of `expected` serves a file on the server's one port, with a listening line
/// each (in the resolver's order, which a test does not fix).
fn web_answers_on_every_address(server: Server, expected: &[std::net::IpAddr]) {
    let port = server.addr().port();
    for ip in expected {
        let mut conn = TcpStream::connect_timeout(&(*ip, port).into(), WAIT)
            .unwrap_or_else(|err| panic!("connect {ip} port {port}: {err}"));
        conn.set_read_timeout(Some(WAIT)).unwrap();
        conn.write_all(b"GET /hello.txt HTTP/1.0\r\n\r\n").unwrap();
        let mut answer = String::new();
        conn.read_to_string(&mut answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{ip}: {answer}");
        assert!(answer.ends_with("hello, world\n"), "{ip}: {answer}");
    }
    let log = crate::harness::stop(server);
    let mut listening: Vec<String> = log
        .lines()
        .filter(|l| l.contains("listening on"))
        .map(|l| l.split(" (").next().unwrap().to_string())
        .collect();
    let mut wanted: Vec<String> = expected
        .iter()
        .map(|ip| {
            let addr = std::net::SocketAddr::new(*ip, port);
            format!("netlab web: listening on http://{addr}/")
        })
        .collect();
    listening.sort_unstable();
    wanted.sort_unstable();
    assert_eq!(listening, wanted, "{log}");
}
