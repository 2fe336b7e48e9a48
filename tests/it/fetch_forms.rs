//! `netlab fetch`'s request bodies and credentials: `-F` multipart forms (checked by python's
//! `email` parser, byte for byte), `--data-urlencode`, `-G`, `-T`; `-u`, `--bearer`, URL
//! credentials and netrc, and none of them sent to another port after a redirect.
//!
//! Servers are the test's own on 127.0.0.1:0 (see `fetch.rs`), and `netlab web --echo`.

use std::io::Write;
use std::process::{Command, Stdio};

use base64::Engine;

use crate::fetch::{TestServer, redirect, respond};
use crate::harness::{self, Lab, peer};

/// Parse a multipart body with python's `email` package, as a server would; one line per part:
/// `name|filename|content-type|sha256 of the bytes|length`.
fn python_parts(content_type: &str, body: &[u8]) -> Option<Vec<String>> {
    if !peer("python3") {
        return None;
    }
    let script = r#"
import sys, email, email.policy, hashlib
ctype = sys.argv[1]
raw = b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + sys.stdin.buffer.read()
msg = email.message_from_bytes(raw, policy=email.policy.HTTP)
assert msg.is_multipart(), "not multipart"
for part in msg.iter_parts():
    data = part.get_payload(decode=True)
    print("|".join([part.get_param("name", header="content-disposition") or "",
                    part.get_filename() or "", part.get_content_type(),
                    hashlib.sha256(data).hexdigest(), str(len(data))]))
"#;
    let mut child = Command::new("python3")
        .args(["-c", script, content_type])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn python3");
    child.stdin.take().unwrap().write_all(body).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "python: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect(),
    )
}

fn sha256(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn fetch_form_uploads_fields_and_files_that_a_python_parser_reads_back() {
    let server = TestServer::start(|_, stream| respond(stream, 200, &[], b"thanks"));
    let lab = Lab::new();
    let big = harness::noise(3 * 1024 * 1024 + 17);
    lab.write("big.bin", &big);
    lab.write("notes.txt", "line one\r\nline two\n");
    lab.write("value.txt", "from a file");
    lab.cmd([
        "fetch",
        "-F",
        "title=hello world",
        "-F",
        "blob=@big.bin",
        "-F",
        "doc=@notes.txt;type=text/markdown;filename=\"re;named.md\"",
        "-F",
        "text=<value.txt",
        &server.url("/upload"),
    ])
    .run()
    .success()
    .stdout_is("thanks");
    let req = &server.requests()[0];
    assert!(
        req.head.starts_with("POST /upload HTTP/1.1\r\n"),
        "{}",
        req.head
    );
    let content_type = req.header("content-type").unwrap();
    assert!(content_type.starts_with("multipart/form-data; boundary="));
    assert_eq!(
        req.header("content-length").unwrap(),
        req.body.len().to_string(),
        "the announced length is the body's"
    );
    let Some(parts) = python_parts(&content_type, &req.body) else {
        return;
    };
    assert_eq!(
        parts,
        vec![
            format!("title||text/plain|{}|11", sha256(b"hello world")),
            format!(
                "blob|big.bin|application/octet-stream|{}|{}",
                sha256(&big),
                big.len()
            ),
            format!(
                "doc|re;named.md|text/markdown|{}|19",
                sha256(b"line one\r\nline two\n")
            ),
            format!("text||text/plain|{}|11", sha256(b"from a file")),
        ]
    );
}

#[test]
fn fetch_form_with_a_missing_file_names_it_and_sends_nothing() {
    let server = TestServer::start(|_, stream| respond(stream, 200, &[], b"no"));
    let lab = Lab::new();
    lab.cmd(["fetch", "-F", "f=@missing.bin", &server.url("/")])
        .run()
        .fails_with(2, "missing.bin");
    lab.cmd(["fetch", "-F", "novalue", &server.url("/")])
        .run()
        .fails_with(2, "-F `novalue`");
    assert_eq!(server.connections(), 0);
}

#[test]
fn fetch_data_urlencode_encodes_and_joins_pieces_as_curl() {
    let server = TestServer::start(|req, stream| respond(stream, 200, &[], &req.body));
    let lab = Lab::new();
    lab.write("q.txt", "a&b=c d");
    lab.cmd([
        "fetch",
        "-d",
        "x=1",
        "--data-urlencode",
        "name=J. Doe & co",
        "--data-urlencode",
        "q@q.txt",
        "--data-urlencode",
        "=100%",
        &server.url("/form"),
    ])
    .run()
    .success()
    .stdout_is("x=1&name=J.%20Doe%20%26%20co&q=a%26b%3Dc%20d&100%25");
    let req = &server.requests()[0];
    assert!(req.head.starts_with("POST /form "));
    assert_eq!(
        req.header("content-type").as_deref(),
        Some("application/x-www-form-urlencoded")
    );
}

#[test]
fn fetch_get_puts_the_data_in_the_query() {
    let server = TestServer::start(|_, stream| respond(stream, 200, &[], b"ok"));
    let lab = Lab::new();
    lab.cmd([
        "fetch",
        "-G",
        "-d",
        "a=1",
        "--data-urlencode",
        "q=x y",
        &server.url("/search?lang=en"),
    ])
    .run()
    .success();
    lab.cmd(["fetch", "-G", "-I", "-d", "b=2", &server.url("/h")])
        .run()
        .success();
    let reqs = server.requests();
    assert!(
        reqs[0]
            .head
            .starts_with("GET /search?lang=en&a=1&q=x%20y HTTP/1.1\r\n"),
        "{}",
        reqs[0].head
    );
    assert!(reqs[0].body.is_empty() && reqs[0].header("content-length").is_none());
    assert!(reqs[1].head.starts_with("HEAD /h?b=2 "), "{}", reqs[1].head);
    lab.cmd(["fetch", "-G", "-F", "a=1", &server.url("/")])
        .run()
        .expect_code(2);
}

#[test]
fn fetch_upload_file_puts_it_streamed_and_names_it_after_a_slash() {
    let server = TestServer::start(|req, stream| respond(stream, 201, &[], &req.body));
    let lab = Lab::new();
    let data = harness::noise(1024 * 1024 + 3);
    lab.write("report.bin", &data);
    let run = lab
        .cmd([
            "fetch",
            "-T",
            "report.bin",
            "-o",
            "echo.bin",
            &server.url("/files/"),
        ])
        .run();
    run.success();
    assert_eq!(std::fs::read(lab.path().join("echo.bin")).unwrap(), data);
    let req = &server.requests()[0];
    assert!(
        req.head.starts_with("PUT /files/report.bin HTTP/1.1\r\n"),
        "{}",
        req.head
    );
    assert_eq!(req.header("content-length"), Some(data.len().to_string()));
    assert_eq!(req.header("content-type"), None, "curl sends none with -T");
    lab.cmd(["fetch", "-T", "nope.bin", &server.url("/")])
        .run()
        .fails_with(2, "nope.bin");
}

#[test]
fn fetch_upload_from_stdin_is_sent_chunked() {
    let lab = Lab::new();
    let web = lab.server(["web", "--echo", "--port", "0"]);
    lab.cmd(["fetch", "-T", "-", &format!("{}/in", web.base_url())])
        .stdin("piped body\n")
        .run()
        .success()
        .stdout_has("PUT /in HTTP/1.1")
        .stdout_has("Transfer-Encoding: chunked")
        .stdout_has("piped body\n");
}

#[test]
fn fetch_stdin_body_is_not_sent_again_on_a_307() {
    let server = TestServer::start(|req, stream| {
        // The test server reads Content-Length bodies only: take the chunked one to its end
        // (bounded by the stream's read timeout), so the answer does not cut the upload short.
        let mut seen = Vec::new();
        let mut byte = [0u8; 1];
        while !seen.ends_with(b"0\r\n\r\n") && seen.len() < 4096 {
            match std::io::Read::read(stream, &mut byte) {
                Ok(1) => seen.push(byte[0]),
                _ => break,
            }
        }
        match req.path() {
            "/a" => redirect(stream, 307, "/b"),
            _ => respond(stream, 200, &[], b"ok"),
        }
    });
    let lab = Lab::new();
    lab.cmd(["fetch", "-T", "-", &server.url("/a")])
        .stdin("once")
        .run()
        .fails_with(1, "came from stdin");
}

// ---------------------------------------------------------------------------------------------
// Credentials
// ---------------------------------------------------------------------------------------------

fn basic(pair: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

/// A server whose `/go` redirects to `other` (another port of 127.0.0.1), which records too.
fn redirecting_pair() -> (TestServer, TestServer) {
    let other = TestServer::start(|_, stream| respond(stream, 200, &[], b"other"));
    let target = other.url("/landed");
    let first = TestServer::start(move |req, stream| match req.path() {
        "/go" => redirect(stream, 302, &target),
        "/same" => redirect(stream, 302, "/here"),
        _ => respond(stream, 200, &[], b"first"),
    });
    (first, other)
}

#[test]
fn fetch_credentials_are_never_sent_to_another_port_after_a_redirect() {
    let (first, other) = redirecting_pair();
    let lab = Lab::new();
    lab.write("netrc", "machine 127.0.0.1 login nina password n1\n");
    let with_creds = format!("http://url:pw@{}/go", first.addr);
    let runs: Vec<Vec<String>> = vec![
        vec!["-u".into(), "al:secret".into(), first.url("/go")],
        vec!["--bearer".into(), "tok3n".into(), first.url("/go")],
        vec![with_creds],
        vec!["--netrc-file".into(), "netrc".into(), first.url("/go")],
    ];
    for args in &runs {
        let mut all = vec!["fetch".to_string()];
        all.extend(args.iter().cloned());
        lab.cmd(&all).run().success().stdout_is("other");
    }
    let sent: Vec<Option<String>> = first
        .requests()
        .iter()
        .map(|r| r.header("authorization"))
        .collect();
    assert_eq!(
        sent,
        vec![
            Some(basic("al:secret")),
            Some("Bearer tok3n".to_string()),
            Some(basic("url:pw")),
            Some(basic("nina:n1")),
        ]
    );
    let leaked: Vec<_> = other
        .requests()
        .iter()
        .filter_map(|r| r.header("authorization"))
        .collect();
    assert!(leaked.is_empty(), "sent to the other port: {leaked:?}");
    assert_eq!(other.requests().len(), 4);

    // On the same site they go on being sent.
    lab.cmd(["fetch", "-u", "al:secret", &first.url("/same")])
        .run()
        .success()
        .stdout_is("first");
    let reqs = first.requests();
    assert_eq!(reqs[5].header("authorization"), Some(basic("al:secret")));
}

#[test]
fn fetch_user_without_password_and_no_terminal_says_how() {
    let server = TestServer::start(|_, stream| respond(stream, 200, &[], b"ok"));
    let lab = Lab::new();
    lab.cmd(["fetch", "-u", "al", &server.url("/")])
        .run()
        .fails_with(2, "-u al:PASSWORD");
    assert_eq!(server.connections(), 0);
}

/// Run netlab on a pty (python's `pty`), type `answer` once `prompt` shows, and return what the
/// terminal showed and the exit code. `None` when python3 is missing (skipped).
fn on_a_terminal(lab: &Lab, args: &[&str], prompt: &str, answer: &str) -> Option<(String, i32)> {
    if !peer("python3") {
        return None;
    }
    let script = r#"
import os, pty, sys, select, time
prompt, answer = sys.argv[1].encode(), sys.argv[2].encode()
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[3], sys.argv[3:])
seen, typed, deadline = b"", False, time.monotonic() + 20
while time.monotonic() < deadline:
    ready, _, _ = select.select([fd], [], [], 0.5)
    if ready:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    if not typed and prompt in seen:
        os.write(fd, answer)
        typed = True
_, status = os.waitpid(pid, 0)
sys.stdout.write(seen.decode("utf-8", "replace"))
sys.exit(os.waitstatus_to_exitcode(status))
"#;
    let out = Command::new("python3")
        .args(["-c", script, prompt, answer])
        .arg(harness::bin())
        .args(args)
        .current_dir(lab.path())
        .stdin(Stdio::null())
        .output()
        .expect("run python3");
    Some((
        String::from_utf8_lossy(&out.stdout).into_owned(),
        out.status.code().unwrap_or(-1),
    ))
}

#[test]
fn fetch_user_without_password_asks_on_the_terminal_without_echo() {
    let server = TestServer::start(|_, stream| respond(stream, 200, &[], b"in\n"));
    let lab = Lab::new();
    let url = server.url("/");
    let Some((screen, code)) = on_a_terminal(
        &lab,
        &["fetch", "-u", "al", &url],
        "Enter host password for user 'al'",
        "hunter2\n",
    ) else {
        return;
    };
    assert_eq!(code, 0, "{screen}");
    assert!(
        !screen.contains("hunter2"),
        "the password was echoed: {screen}"
    );
    assert!(screen.contains("in"), "{screen}");
    assert_eq!(
        server.requests()[0].header("authorization"),
        Some(basic("al:hunter2"))
    );
}

#[test]
fn fetch_netrc_file_that_is_missing_exits_2() {
    let lab = Lab::new();
    lab.cmd(["fetch", "--netrc-file", "nope", "http://127.0.0.1:9/"])
        .run()
        .fails_with(2, "nope");
}
