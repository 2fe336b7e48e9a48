//! `netlab web`'s "more knobs" of issue 15: `--header`, `--404 FILE`, `--spa`, `--unix PATH`
//! and `--qr`, each against the real binary, with the bad inputs each refuses at start.

use std::process::Command;

use crate::harness::{Lab, peer, stop, wait_output};
use crate::web::serve;
use crate::web::{get, request};

/// A site with an index, a text file and a folder without an index.
fn lab() -> Lab {
    let lab = Lab::new();
    lab.write("site/index.html", "<h1>the app</h1>\n");
    lab.write("site/hello.txt", "hello\n");
    lab.write("site/docs/readme.md", "# readme\n");
    lab.write("missing.html", "<p>nothing here</p>\n");
    lab
}

#[test]
fn header_goes_on_a_200_a_404_and_a_304() {
    let lab = lab();
    let server = serve(
        &lab,
        &[
            "--header",
            "X-Frame-Options: DENY",
            "--header",
            "Cache-Control:no-store",
        ],
    );
    let ok = get(&server, "/hello.txt");
    assert_eq!(ok.status, 200);
    assert_eq!(ok.header("X-Frame-Options"), Some("DENY"));
    assert_eq!(ok.header("Cache-Control"), Some("no-store"));
    let missing = get(&server, "/nope.txt");
    assert_eq!(missing.status, 404);
    assert_eq!(missing.header("X-Frame-Options"), Some("DENY"));
    let etag = ok.header("ETag").expect("a file has an ETag");
    let not_modified = request(
        &server,
        format!("GET /hello.txt HTTP/1.1\r\nHost: t\r\nIf-None-Match: {etag}\r\n\r\n"),
    );
    assert_eq!(not_modified.status, 304);
    assert_eq!(not_modified.header("X-Frame-Options"), Some("DENY"));
    stop(server);
}

#[test]
fn a_forbidden_or_malformed_header_is_refused_at_start() {
    let lab = lab();
    for (header, why) in [
        ("Content-Length: 5", "netlab sets this header itself"),
        (
            "transfer-encoding: chunked",
            "netlab sets this header itself",
        ),
        ("Connection: close", "netlab sets this header itself"),
        ("Vary: Cookie", "netlab sets this header itself"),
        ("no colon here", "not `Name: value`"),
        ("Bad Name: x", "the name must be"),
        ("X-A: one\r\nX-B: two", "control characters"),
    ] {
        let run = lab
            .cmd(["web", "site", "--port", "0", "--header", header])
            .run();
        run.fails_with(2, why);
        let stderr = run.stderr();
        assert_eq!(stderr.trim_end().lines().count(), 1, "{}", run.context());
        assert!(stderr.starts_with("netlab: --header "), "{}", run.context());
    }
}

#[test]
fn not_found_page_is_the_body_of_every_404() {
    let lab = lab();
    let server = serve(&lab, &["--404", "missing.html"]);
    let missing = get(&server, "/nope/deeper.txt");
    assert_eq!(missing.status, 404);
    assert_eq!(missing.text(), "<p>nothing here</p>\n");
    assert_eq!(
        missing.header("Content-Type"),
        Some("text/html; charset=utf-8")
    );
    // Other statuses keep their own bodies; a HEAD gets the head alone.
    assert_eq!(get(&server, "/hello.txt").text(), "hello\n");
    let head = request(&server, "HEAD /nope HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(head.status, 404);
    assert_eq!(head.header("Content-Length"), Some("20"));
    stop(server);
}

#[test]
fn a_missing_not_found_page_is_an_error_at_start() {
    let lab = lab();
    lab.cmd(["web", "site", "--port", "0", "--404", "absent.html"])
        .run()
        .fails_with(2, "--404 absent.html: ");
    lab.cmd(["web", "site", "--port", "0", "--404", "site"])
        .run()
        .fails_with(2, "not a regular file");
}

#[test]
fn spa_serves_the_index_for_paths_without_an_extension() {
    let lab = lab();
    let server = serve(&lab, &["--spa"]);
    let route = get(&server, "/app/route");
    assert_eq!(route.status, 200);
    assert_eq!(route.text(), "<h1>the app</h1>\n");
    assert_eq!(get(&server, "/missing.js").status, 404);
    assert_eq!(get(&server, "/docs/missing.css").status, 404);
    let listing = get(&server, "/docs/");
    assert_eq!(listing.status, 200);
    assert!(listing.text().contains("readme.md"), "{}", listing.text());
    assert_eq!(get(&server, "/hello.txt").text(), "hello\n");
    stop(server);
    // Without --spa, the same route is a 404.
    let server = serve(&lab, &[]);
    assert_eq!(get(&server, "/app/route").status, 404);
    stop(server);
}

#[test]
fn unix_socket_serves_curl_and_is_removed_at_stop() {
    if !peer("curl") {
        return;
    }
    let lab = lab();
    let path = lab.path().join("web.sock");
    let server = lab.server([
        "web",
        "site",
        "--unix",
        path.to_str().unwrap(),
        "--header",
        "X-K: v",
    ]);
    assert_eq!(server.location, format!("unix:{}", path.display()));
    let out = wait_output(
        Command::new("curl")
            .args(["-sS", "-i", "--max-time", "10", "--unix-socket"])
            .arg(&path)
            .arg("http://localhost/hello.txt")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    assert!(text.contains("\r\nX-K: v\r\n"), "{text}");
    assert!(text.ends_with("\r\n\r\nhello\n"), "{text}");
    let line = server.wait_for_line("\"GET /hello.txt HTTP/1.1\" 200");
    assert!(line.contains(" unix:pid="), "{line}");
    let log = stop(server);
    assert!(!path.exists(), "the socket file is removed at stop\n{log}");
}

#[test]
fn unix_socket_refuses_tls_and_a_path_that_is_not_a_socket() {
    let lab = lab();
    let file = lab.write("taken", "a regular file\n");
    lab.cmd(["web", "site", "--unix", file.to_str().unwrap()])
        .run()
        .fails_with(2, "not a socket");
    assert!(file.exists(), "a file that is not a socket is left alone");
    let sock = lab.path().join("tls.sock");
    lab.cmd(["web", "site", "--unix", sock.to_str().unwrap(), "--tls"])
        .run()
        .fails_with(2, "TLS is served over TCP");
}

#[test]
fn qr_prints_a_code_after_the_listening_line() {
    let lab = lab();
    let server = serve(&lab, &["--qr"]);
    let url = format!("{}/", server.base_url());
    let line = server.wait_for_line("QR code of");
    assert!(line.ends_with(&format!("QR code of {url}")), "{line}");
    let log = stop(server);
    let lines: Vec<&str> = log.lines().collect();
    assert!(lines[0].starts_with("netlab web: listening on "), "{log}");
    assert!(lines[1].starts_with("netlab web: QR code of "), "{log}");
    let code: Vec<&str> = lines[2..]
        .iter()
        .take_while(|l| !l.is_empty() && l.chars().all(|c| " ▀▄█".contains(c)))
        .copied()
        .collect();
    assert!(code.len() >= 15, "a block of QR characters\n{log}");
    let width = code[0].chars().count();
    assert!(width >= 29, "{log}");
    assert!(code.iter().all(|l| l.chars().count() == width), "{log}");
}
