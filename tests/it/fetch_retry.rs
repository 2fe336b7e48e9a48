//! `netlab fetch --retry`: which failures are tried again, how long each wait is, `Retry-After`,
//! the stderr line per retry, and a stdin body that is never sent twice. Servers are the test's
//! own on 127.0.0.1:0 (see `fetch.rs`); a refused connection is a port nothing listens on.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::fetch::{TestServer, respond};
use crate::harness::{self, Lab};

#[test]
fn fetch_retries_resets_then_honours_retry_after_then_succeeds() {
    let count = Arc::new(AtomicUsize::new(0));
    let times = Arc::new(Mutex::new(Vec::new()));
    let server = {
        let (count, times) = (Arc::clone(&count), Arc::clone(&times));
        TestServer::start(move |_, stream| {
            times.lock().unwrap().push(Instant::now());
            match count.fetch_add(1, Ordering::SeqCst) {
                // Closed without an answer, twice.
                0 | 1 => {}
                2 => respond(stream, 503, &[("Retry-After", "1")], b"busy"),
                _ => respond(stream, 200, &[], b"at last\n"),
            }
        })
    };
    let lab = Lab::new();
    let run = lab
        .cmd([
            "fetch",
            "--retry",
            "5",
            "--retry-delay",
            "50ms",
            &server.url("/flaky"),
        ])
        .run();
    run.success().stdout_is("at last\n");
    let stderr = run.stderr();
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 3, "{stderr}");
    assert!(
        lines[0].contains("[reset]") && lines[0].contains("try 2 of 6"),
        "{stderr}"
    );
    assert!(
        lines[1].contains("[reset]") && lines[1].contains("try 3 of 6"),
        "{stderr}"
    );
    assert!(
        lines[2].contains("HTTP 503") && lines[2].contains("in 1s (Retry-After)"),
        "{stderr}"
    );
    let times = times.lock().unwrap();
    assert_eq!(times.len(), 4);
    let waited = times[3] - times[2];
    assert!(
        waited >= Duration::from_secs(1),
        "Retry-After not honoured: {waited:?}"
    );
    assert!(
        times[1] - times[0] >= Duration::from_millis(25),
        "no backoff"
    );
}

#[test]
fn fetch_retry_on_refused_gives_up_with_curls_code_after_n_retries() {
    let port = harness::closed_port();
    let lab = Lab::new();
    let run = lab
        .cmd([
            "fetch",
            "--retry",
            "2",
            "--retry-delay",
            "10ms",
            &format!("http://127.0.0.1:{port}/"),
        ])
        .run();
    run.expect_code(7);
    let stderr = run.stderr();
    assert_eq!(
        stderr.matches("[refused]").count(),
        2,
        "two retries: {stderr}"
    );
    let last = stderr.lines().last().unwrap_or_default();
    assert!(last.contains("connection refused"), "{stderr}");
    assert!(stderr.contains("try 3 of 3"), "{stderr}");
}

#[test]
fn fetch_does_not_retry_what_retry_on_leaves_out() {
    let server = TestServer::start(|_, stream| respond(stream, 503, &[], b"down"));
    let lab = Lab::new();
    lab.cmd([
        "fetch",
        "--retry",
        "3",
        "--retry-on",
        "refused,429",
        &server.url("/"),
    ])
    .run()
    .success()
    .stdout_is("down")
    .stderr_empty();
    assert_eq!(server.connections(), 1);
    lab.cmd([
        "fetch",
        "--retry",
        "3",
        "--retry-on",
        "5xx,flaky",
        &server.url("/"),
    ])
    .run()
    .fails_with(2, "`flaky` is not known");
}

#[test]
fn fetch_does_not_retry_a_body_read_from_stdin_and_says_so() {
    let server = TestServer::start(|_, stream| {
        // Take the chunked body to its end, then answer 503.
        let mut seen = Vec::new();
        let mut byte = [0u8; 1];
        while !seen.ends_with(b"0\r\n\r\n") && seen.len() < 4096 {
            match std::io::Read::read(stream, &mut byte) {
                Ok(1) => seen.push(byte[0]),
                _ => break,
            }
        }
        respond(stream, 503, &[], b"busy")
    });
    let lab = Lab::new();
    lab.cmd(["fetch", "--retry", "3", "-T", "-", &server.url("/")])
        .stdin("only once")
        .run()
        .success()
        .stdout_is("busy")
        .stderr_has("not retried, the request body came from stdin");
    assert_eq!(server.connections(), 1);
}
