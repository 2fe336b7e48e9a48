//! Properties of `netlab web` that must hold for every input, not only for the cases someone
//! thought of (proptest; a few seconds in all). The checks are `netlab::fuzzing`'s, the same the
//! fuzz targets run.
//!
//! - a request target resolves to a refusal or to a file inside the root, for any string;
//! - a request split at any byte boundary gets the same response as the request in one piece;
//! - `Range` gives "ignore", 416, or one range with start ≤ end < length;
//! - the upload form's multipart parser gives the same parts and verdict in pieces of any size;
//! - every response parses back with httparse and its Content-Length equals the bytes sent —
//!   in memory, and from the real binary over TCP.

use std::ffi::OsStr;
use std::io::{Read, Write};

use proptest::prelude::*;

use netlab::fuzzing::{self, Fixture, Trickle, check_responses, serve_bytes, without_dates};

use crate::harness::{self, web_fixture as fixture};

/// Path segments that matter: names in the fixture (symlinks out, a loop, a FIFO, a dotfile),
/// dot segments raw and encoded, encoded separators, NUL, and plain noise.
fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("..".to_string()),
        Just(".".to_string()),
        Just("%2e%2e".to_string()),
        Just("%2E.".to_string()),
        Just("%252e%252e".to_string()),
        Just("%2f".to_string()),
        Just("%5c".to_string()),
        Just("..%2f..".to_string()),
        Just("\\..".to_string()),
        Just("%00".to_string()),
        Just("".to_string()),
        Just("a.txt".to_string()),
        Just("d".to_string()),
        Just("up".to_string()),
        Just("out".to_string()),
        Just("out-rel".to_string()),
        Just("outdir".to_string()),
        Just("secret".to_string()),
        Just("in".to_string()),
        Just("abs-in".to_string()),
        Just("loop".to_string()),
        Just("fifo".to_string()),
        Just(".env".to_string()),
        Just("%E6%95%99%E7%A8%8B.txt".to_string()),
        "[a-z.%0-9A-F]{1,6}",
        any::<String>(),
    ]
}

fn target() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (prop::collection::vec(segment(), 0..6), any::<bool>()).prop_map(|(segments, slash)| {
            let mut target = format!("/{}", segments.join("/"));
            if slash {
                target.push('/');
            }
            target
        }),
        1 => any::<String>(),
        1 => "[/.%a-z0-9?#\\\\]{0,24}",
    ]
}

/// One request from pieces that exercise every branch: methods, targets, conditionals, ranges,
/// bodies (length and chunked), Expect, versions, and a few malformed lines.
fn request() -> impl Strategy<Value = Vec<u8>> {
    let method = prop::sample::select(vec!["GET", "HEAD", "POST", "OPTIONS", "BREW", "DELETE"]);
    let path = prop::sample::select(vec![
        "/",
        "/a.txt",
        "/big.bin",
        "/empty.txt",
        "/d",
        "/d/",
        "/d/?format=json",
        "/docs/",
        "/e.html",
        "/.env",
        "/out",
        "/outdir/secret",
        "/%2e%2e/x",
        "/fifo",
        "/loop",
        "/nope",
        "/%E6%95%99%E7%A8%8B.txt",
        "http://h/a.txt",
        "*",
    ]);
    let version = prop::sample::select(vec!["HTTP/1.1", "HTTP/1.0", "HTTP/2.0"]);
    let header = prop::sample::select(vec![
        "Range: bytes=0-0",
        "Range: bytes=2-",
        "Range: bytes=-10",
        "Range: bytes=40000-",
        "Range: bytes=0-1,3-4",
        "If-Range: \"nope\"",
        "If-None-Match: *",
        "If-Match: \"x\"",
        "If-Modified-Since: Sun, 06 Nov 2094 08:49:37 GMT",
        "Accept: application/json",
        "Accept-Encoding: gzip, br",
        "Connection: close",
        "Connection: keep-alive",
        "Expect: 100-continue",
        "Content-Length: 4",
        "Content-Length: 70000",
        "Transfer-Encoding: chunked",
        "Origin: http://o",
        "Host: other",
        "X-Bad : y",
        "X-Ctl: a\u{1}b",
    ]);
    (
        method,
        path,
        version,
        prop::collection::vec(header, 0..4),
        any::<bool>(),
    )
        .prop_map(|(method, path, version, headers, host)| {
            let mut req = format!("{method} {path} {version}\r\n");
            if host {
                req.push_str("Host: x\r\n");
            }
            let mut body = String::new();
            for h in headers {
                req.push_str(h);
                req.push_str("\r\n");
                if h == "Content-Length: 4" {
                    body = "abcd".into();
                } else if h == "Transfer-Encoding: chunked" {
                    body = "4\r\nabcd\r\n0\r\n\r\n".into();
                }
            }
            req.push_str("\r\n");
            req.push_str(&body);
            req.into_bytes()
        })
}

fn pipeline() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(request(), 1..4).prop_map(|reqs| reqs.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn resolved_path_is_refused_or_inside_the_root(target in target(), hidden in any::<bool>()) {
        thread_local!(static FIX: (tempfile::TempDir, Fixture) = fixture());
        FIX.with(|(_, fixture)| {
            let problem = fuzzing::resolve_escapes(fixture, &target, hidden);
            prop_assert!(problem.is_none(), "{target:?}: {problem:?}");
            Ok(())
        })?;
    }

    #[test]
    fn multipart_parses_the_same_in_any_pieces(
        tokens in prop::collection::vec(prop_oneof![
            Just(&b"\r\n"[..]),
            Just(&b"--XyZ"[..]),
            Just(&b"--"[..]),
            Just(&b"Content-Disposition: form-data; name=\"f\"; filename=\"a\""[..]),
            Just(&b"X: y"[..]),
            Just(&b"  "[..]),
            Just(&b"data"[..]),
            Just(&b"\r"[..]),
            Just(&b"-"[..]),
        ], 0..48),
        piece in any::<u8>(),
    ) {
        let mut data = vec![piece];
        for token in tokens {
            data.extend_from_slice(token);
        }
        fuzzing::multipart(&data);
    }

    #[test]
    fn range_is_ignored_unsatisfiable_or_inside_the_file(
        value in prop_oneof![
            "bytes=[0-9]{0,3}-[0-9]{0,3}",
            "(bytes|BYTES|items) ?= ?[0-9 ,-]{0,16}",
            "bytes=[0-9]{15,22}-[0-9]{0,22}",
            any::<String>(),
        ],
        len in prop_oneof![0u64..50, Just(1000u64), Just(u64::MAX)],
    ) {
        let checked = fuzzing::check_range(value.as_bytes(), len);
        prop_assert!(checked.is_ok(), "{value:?} on {len}: {checked:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn a_request_split_anywhere_gets_the_same_response(
        input in pipeline(),
        site in 0u8..4,
        at in any::<prop::sample::Index>(),
    ) {
        thread_local!(static FIX: (tempfile::TempDir, Fixture) = fixture());
        FIX.with(|(_, fixture)| {
            let site = [&fixture.dir, &fixture.dir_hidden, &fixture.page, &fixture.echo]
                [usize::from(site)];
            let at = at.index(input.len() + 1);
            let (whole, _) = serve_bytes(site, &input[..]);
            let (split, _) = serve_bytes(site, Trickle::split_at(&input, at));
            let (trickled, _) = serve_bytes(site, Trickle::new(&input, 1));
            let text = |out: &[u8]| String::from_utf8_lossy(&without_dates(out)).into_owned();
            prop_assert_eq!(text(&whole), text(&split), "split at {}", at);
            prop_assert_eq!(text(&whole), text(&trickled), "one byte at a time");
            Ok(())
        })?;
    }

    #[test]
    fn every_response_parses_back_with_its_content_length(input in pipeline(), site in 0u8..4) {
        thread_local!(static FIX: (tempfile::TempDir, Fixture) = fixture());
        FIX.with(|(_, fixture)| {
            let site = [&fixture.dir, &fixture.dir_hidden, &fixture.page, &fixture.echo]
                [usize::from(site)];
            let (out, _) = serve_bytes(site, &input[..]);
            let parsed = check_responses(&input, &out);
            prop_assert!(parsed.is_ok(), "{:?}\n{}", parsed, String::from_utf8_lossy(&out));
            // A complete request is always answered.
            prop_assert!(!parsed.unwrap().is_empty(), "no answer to {:?}", String::from_utf8_lossy(&input));
            Ok(())
        })?;
    }
}

proptest! {
    // Each case is a connection to the real binary: few, but over the real socket path
    // (sendfile, the writev of head and body).
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn the_binary_over_tcp_answers_with_parseable_responses(input in pipeline()) {
        thread_local!(static SERVER: (harness::Lab, harness::Server) = {
            let lab = harness::Lab::new();
            let fixture = Fixture::create(lab.path()).unwrap();
            let root = fixture.root.as_os_str();
            let server = lab.server([OsStr::new("web"), root, "--port".as_ref(), "0".as_ref(), "-q".as_ref()]);
            (lab, server)
        });
        SERVER.with(|(_, server)| {
            let mut stream = server.connect();
            stream.write_all(&input).unwrap();
            stream.shutdown(std::net::Shutdown::Write).unwrap();
            let mut out = Vec::new();
            // The server closes after the last answer (end of input, or an error).
            stream.read_to_end(&mut out).unwrap();
            let parsed = check_responses(&input, &out);
            prop_assert!(parsed.is_ok(), "{:?}\n{}", parsed, String::from_utf8_lossy(&out));
            prop_assert!(!parsed.unwrap().is_empty());
            Ok(())
        })?;
    }
}

/// The checker itself catches what it must: a wrong Content-Length, a missing body, a response
/// cut short, garbage after the last response.
#[test]
fn the_response_checker_rejects_broken_framing() {
    let ok = b"HTTP/1.1 200 OK\r\nDate: x\r\nServer: y\r\nContent-Length: 3\r\n\r\nabc";
    let get = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    let head = b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_eq!(check_responses(get, ok).unwrap().len(), 1);
    let short = b"HTTP/1.1 200 OK\r\nDate: x\r\nServer: y\r\nContent-Length: 4\r\n\r\nabc";
    assert!(check_responses(get, short).is_err());
    assert!(check_responses(get, &ok[..ok.len() - 5]).is_err());
    let trailing = [&ok[..], b"junk"].concat();
    assert!(check_responses(get, &trailing).is_err());
    let no_body = b"HTTP/1.1 200 OK\r\nDate: x\r\nServer: y\r\nContent-Length: 3\r\n\r\n";
    assert!(
        check_responses(get, no_body).is_err(),
        "a GET answered without its body"
    );
    assert!(check_responses(head, no_body).is_ok());
    let chunked =
        b"HTTP/1.1 200 OK\r\nDate: x\r\nServer: y\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
    assert!(check_responses(get, chunked).is_err());
    let bad_range = b"HTTP/1.1 206 Partial Content\r\nDate: x\r\nServer: y\r\nContent-Length: 3\r\nContent-Range: bytes 0-3/10\r\n\r\nabc";
    assert!(check_responses(get, bad_range).is_err());
}
