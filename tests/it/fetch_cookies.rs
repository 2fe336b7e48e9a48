//! `netlab fetch -b/-c`: cookies kept through redirects and sent on, longer paths first; the
//! Netscape jar exchanged with real curl in both directions; a bad jar names its line; an
//! unwritable jar is a warning after the transfer, whose exit code stays.

use std::process::Command;

use crate::fetch::{Request, TestServer, respond};
use crate::harness::{Lab, peer};

/// `/login` sets two cookies and redirects to `/app/home`; every other path echoes `Cookie`.
fn cookie_server() -> TestServer {
    TestServer::start(|req: &Request, stream| match req.path() {
        "/login" => {
            let head = "HTTP/1.1 302 Found\r\nSet-Cookie: sid=abc; Path=/; HttpOnly\r\n\
                        Set-Cookie: theme=dark; Max-Age=3600; Path=/app\r\n\
                        Location: /app/home\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
            let _ = std::io::Write::write_all(stream, head.as_bytes());
        }
        _ => {
            let body = format!("cookie: {}\n", req.header("cookie").unwrap_or_default());
            respond(stream, 200, &[], body.as_bytes())
        }
    })
}

#[test]
fn fetch_keeps_cookies_through_a_redirect_and_writes_a_jar_curl_reads() {
    let server = cookie_server();
    let lab = Lab::new();
    lab.cmd(["fetch", "-c", "jar.txt", &server.url("/login")])
        .run()
        .success()
        .stdout_is("cookie: theme=dark; sid=abc\n");
    let jar = std::fs::read_to_string(lab.path().join("jar.txt")).unwrap();
    assert!(jar.starts_with("# Netscape HTTP Cookie File\n"), "{jar}");
    assert!(
        jar.contains("#HttpOnly_127.0.0.1\tFALSE\t/\tFALSE\t0\tsid\tabc\n"),
        "{jar}"
    );
    assert!(jar.contains("127.0.0.1\tFALSE\t/app\tFALSE\t"), "{jar}");
    if !peer("curl") {
        return;
    }
    let out = Command::new("curl")
        .args(["-s", "-b", "jar.txt", &server.url("/app/x")])
        .current_dir(lab.path())
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "cookie: theme=dark; sid=abc\n"
    );
}

#[test]
fn fetch_reads_a_jar_curl_wrote() {
    if !peer("curl") {
        return;
    }
    let server = cookie_server();
    let lab = Lab::new();
    let out = Command::new("curl")
        .args(["-s", "-L", "-c", "curl-jar.txt", &server.url("/login")])
        .current_dir(lab.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    lab.cmd(["fetch", "-b", "curl-jar.txt", &server.url("/app/y")])
        .run()
        .success()
        .stdout_is("cookie: theme=dark; sid=abc\n");
    // Outside /app only the cookie of `/` goes.
    lab.cmd(["fetch", "-b", "curl-jar.txt", &server.url("/other")])
        .run()
        .success()
        .stdout_is("cookie: sid=abc\n");
}

#[test]
fn fetch_cookie_string_and_missing_jar_are_as_curl() {
    let server = cookie_server();
    let lab = Lab::new();
    lab.cmd(["fetch", "-b", "a=1; b=2", &server.url("/z")])
        .run()
        .success()
        .stdout_is("cookie: a=1; b=2\n");
    lab.cmd(["fetch", "-b", "missing.txt", &server.url("/z")])
        .run()
        .success()
        .stdout_is("cookie: \n");
}

#[test]
fn fetch_bad_jar_names_its_line_and_unwritable_jar_keeps_the_exit_code() {
    let server = cookie_server();
    let lab = Lab::new();
    lab.write("bad.txt", "# Netscape HTTP Cookie File\n\nhost\tFALSE\t/\n");
    lab.cmd(["fetch", "-b", "bad.txt", &server.url("/z")])
        .run()
        .fails_with(2, "line 3");
    let run = lab
        .cmd(["fetch", "-c", "no/such/dir/jar.txt", &server.url("/login")])
        .run();
    run.success().stderr_has("cannot write the cookie jar");
}
