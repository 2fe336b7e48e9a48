//! Regression tests for what fuzzing and the property tests found, each named after what broke.
//! They drive the connection handler in memory (`netlab::fuzzing`), the way the fuzzer did.

use netlab::fuzzing::{Trickle, check_responses, serve_bytes, without_dates};

use crate::harness::{self, web_fixture as fixture};

/// Found by `a_request_split_anywhere_gets_the_same_response`: `GET / HTTP/2.0` in one piece got
/// 505, but arriving a byte at a time it got 400 — httparse rejects `HTTP/2` before the version
/// is whole, and the 505 check only looked at what had arrived. The verdict now waits for the
/// whole request line.
#[test]
fn web_rejects_http2_with_505_however_the_request_line_arrives() {
    let (_dir, fx) = fixture();
    let request = b"GET / HTTP/2.0\r\nHost: x\r\n\r\n";
    let (whole, _) = serve_bytes(&fx.dir, &request[..]);
    assert!(
        whole.starts_with(b"HTTP/1.1 505 "),
        "{}",
        String::from_utf8_lossy(&whole)
    );
    for step in 1..request.len() {
        let (pieces, _) = serve_bytes(&fx.dir, Trickle::new(request, step));
        assert_eq!(
            String::from_utf8_lossy(&without_dates(&pieces)),
            String::from_utf8_lossy(&without_dates(&whole)),
            "{step} bytes a read"
        );
    }
    // A version that only starts like one is still a bad request, whole or in pieces.
    for request in [
        &b"GET / HTTP/2.00\r\nHost: x\r\n\r\n"[..],
        b"GET / HTTP/x\r\n\r\n",
    ] {
        for step in [1, 3, usize::MAX] {
            let (out, _) = serve_bytes(&fx.dir, Trickle::new(request, step));
            assert!(
                out.starts_with(b"HTTP/1.1 400 "),
                "{}",
                String::from_utf8_lossy(&out)
            );
            check_responses(request, &out).unwrap();
        }
    }
}

/// Found writing SECURITY.md's boundary tests: header fields of exactly 16 KiB (the documented
/// limit: "over 16 KiB → 431") got 431 — the blank line that ends the head was counted as a
/// field. Exactly the limit is now served; one byte more is still 431.
#[test]
fn web_accepts_header_fields_of_exactly_the_limit() {
    let (_dir, fx) = fixture();
    let limit = netlab::fuzzing::web::request::MAX_HEADER_BYTES;
    for (line_end, blank) in [("\r\n", "\r\n"), ("\n", "\n")] {
        let head = |fields: usize| {
            // `Host: x` plus one filler field, their line ends included: `fields` bytes.
            let host = format!("Host: x{line_end}");
            let filler = fields - host.len() - "X: ".len() - line_end.len();
            format!(
                "GET /a.txt HTTP/1.1{line_end}{host}X: {}{line_end}{blank}",
                "a".repeat(filler)
            )
        };
        let (out, _) = serve_bytes(&fx.dir, head(limit).as_bytes());
        assert!(
            out.starts_with(b"HTTP/1.1 200 "),
            "{line_end:?}: {}",
            String::from_utf8_lossy(&out)
        );
        let (out, _) = serve_bytes(&fx.dir, head(limit + 1).as_bytes());
        assert!(
            out.starts_with(b"HTTP/1.1 431 "),
            "{line_end:?}: {}",
            String::from_utf8_lossy(&out)
        );
    }
}

/// Found by the `urldecode` fuzz target: an input that looks like a URL (`http://…`) but does
/// not parse as one (a space or a stray byte in the host) stopped the whole run with exit 2 —
/// in `--json` mode the lines after it were never decoded — while the same line on stdin in the
/// plain mode decoded fine. Only `--as url` and `--base` require a URL; a guess that fails now
/// decodes the input as text with a warning and goes on (also with `--strict`, which is about
/// escapes and text).
#[test]
fn urldecode_decodes_a_url_that_does_not_parse_as_text_and_goes_on() {
    let lab = harness::Lab::new();
    let run = lab
        .cmd([
            "urldecode",
            "http://exa mple.com/%41",
            "http://ok.example/%41",
        ])
        .run();
    run.success()
        .stdout_is("http://exa mple.com/A\nhttp://ok.example/A\n")
        .stderr_has("input 1: looks like a URL but is not one");
    let run = lab
        .cmd(["urldecode", "--json", "--strict"])
        .stdin(
            "https://www.ba\u{92}\u{1}idu.com/s?wd=%E6%95%99\nhttps://ok.example/?wd=%E6%95%99\n",
        )
        .run();
    run.success();
    let objects: Vec<serde_json::Value> = run
        .stdout()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(objects.len(), 2, "{}", run.context());
    lab.cmd(["urldecode", "--as", "url", "http://exa mple.com/"])
        .run()
        .fails_with(2, "not a valid URL");
}

/// Found by the `urldecode` fuzz target: a query string with its `?` (`?a=%41`) printed as `a=A`
/// when given as an argument, or on stdin in a chunk that had a bad escape somewhere, but as
/// `?a=A` on stdin otherwise — the output of one line depended on its neighbours. The plain
/// mode now always prints the whole input decoded, `?` included.
#[test]
fn urldecode_keeps_the_question_mark_of_a_query_however_it_arrives() {
    let lab = harness::Lab::new();
    lab.cmd(["urldecode", "?a=%41"])
        .run()
        .success()
        .stdout_is("?a=A\n");
    lab.cmd(["urldecode"])
        .stdin("?a=%41\n")
        .run()
        .success()
        .stdout_is("?a=A\n");
    lab.cmd(["urldecode"])
        .stdin("?a=%41\n?b=%zz\n")
        .run()
        .success()
        .stdout_is("?a=A\n?b=%zz\n");
    // The query component itself has no `?`.
    lab.cmd(["urldecode", "--get", "query", "?a=%41"])
        .run()
        .success()
        .stdout_is("a=A\n");
}

/// Found by `benches/hostile.sh`: `web` kept the usual soft descriptor limit (1024), so with
/// the default `--max-conns 1024` descriptors ran out before the connection limit was reached
/// (accept failed instead of a 503). `serve` raised its limit already; `web` now does the same.
#[test]
fn web_raises_its_descriptor_limit_to_the_hard_limit() {
    let lab = harness::Lab::new();
    let hard = nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE)
        .unwrap()
        .1;
    if hard < 256 {
        crate::harness::skip(&format!("the hard descriptor limit here is only {hard}"));
        return;
    }
    let mut cmd = lab.cmd(["web", ".", "--port", "0"]);
    // Start it with a soft limit of 128 (and the hard limit unchanged).
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut cmd.command, || {
            nix::sys::resource::setrlimit(
                nix::sys::resource::Resource::RLIMIT_NOFILE,
                128,
                nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE)?.1,
            )?;
            Ok(())
        });
    }
    let server = cmd.spawn_server();
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", server.pid())).unwrap();
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap();
    let soft: u64 = line.split_whitespace().nth(3).unwrap().parse().unwrap();
    assert_eq!(soft, hard, "{line}");
}
