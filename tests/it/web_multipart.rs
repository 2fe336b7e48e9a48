//! `netlab web --upload` through the listing page's form: `POST` of `multipart/form-data` to a
//! folder, and `POST /dir/?mkdir` (issue 15). Held to PUT's rules: nothing torn, temporary or
//! outside the folder is ever left, whatever the client sends.

use std::io::Write;

use crate::harness::{Server, noise};
use crate::web::serve;
use crate::web::{Resp, assert_closed, get, open, read_response, request, send};
use crate::web_upload::{lab, names, tree};

const BOUNDARY: &str = "----netlabTestBoundary7MA4YWxk";

/// A form body with one file part per `(file name, bytes)`, as curl -F sends it.
fn form(files: &[(&[u8], &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, bytes) in files {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        body.extend_from_slice(b"Content-Disposition: form-data; name=\"file\"; filename=\"");
        // A `"` is escaped as curl escapes it.
        for &b in *name {
            if b == b'"' {
                body.push(b'\\');
            }
            body.push(b);
        }
        body.extend_from_slice(b"\"\r\nContent-Type: application/octet-stream\r\n\r\n");
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn post_head(target: &str, content_type: &str, len: usize, extra: &str) -> String {
    format!(
        "POST {target} HTTP/1.1\r\nHost: t\r\nContent-Type: {content_type}\r\n\
         Content-Length: {len}\r\n{extra}\r\n"
    )
}

fn multipart_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

#[track_caller]
fn post_with(server: &Server, target: &str, body: &[u8], extra: &str) -> Resp {
    let mut raw = post_head(target, &multipart_type(), body.len(), extra).into_bytes();
    raw.extend_from_slice(body);
    request(server, raw)
}

#[track_caller]
fn post(server: &Server, target: &str, files: &[(&[u8], &[u8])]) -> Resp {
    post_with(server, target, &form(files), "")
}

#[test]
fn web_form_upload_writes_two_files_whole() {
    let lab = lab();
    let server = serve(&lab, &["--upload"]);
    let big = noise(300_000);
    let resp = post(
        &server,
        "/d/",
        &[(b"one.bin", &big), (b"two \"q\".txt", b"two\r\n--")],
    );
    assert_eq!(resp.status, 303, "{}", resp.text());
    assert_eq!(resp.header("Location"), Some("/d/"));
    let d = lab.path().join("site/d");
    assert_eq!(std::fs::read(d.join("one.bin")).unwrap(), big);
    assert_eq!(
        std::fs::read(d.join("two \"q\".txt")).unwrap(),
        b"two\r\n--"
    );
    assert_eq!(names(&d), ["one.bin", "two \"q\".txt", "x.txt"]);
    // As a browser (and curl) escapes a `"`: turned back.
    assert_eq!(
        post(&server, "/d/", &[(b"three %22q%22", b"3")]).status,
        303
    );
    assert_eq!(std::fs::read(d.join("three \"q\"")).unwrap(), b"3");
    // A script asks for JSON: 201 and what was written.
    let resp = post_with(
        &server,
        "/",
        &form(&[(b"j.txt", b"json")]),
        "Accept: application/json\r\n",
    );
    assert_eq!(resp.status, 201, "{}", resp.text());
    let summary: serde_json::Value = serde_json::from_slice(&resp.body).unwrap();
    assert_eq!(summary["files"][0]["name"], "j.txt");
    assert_eq!(summary["files"][0]["size"], 4);
    // A browser's empty file input (an empty file name) is skipped; the listing shows the form.
    let resp = post(&server, "/", &[(b"", b""), (b"k.txt", b"k")]);
    assert_eq!(resp.status, 303, "{}", resp.text());
    assert_eq!(
        names(&lab.path().join("site")),
        ["d", "j.txt", "k.txt", "old.txt"]
    );
    let page = get(&server, "/").text();
    assert!(page.contains("enctype=\"multipart/form-data\""), "{page}");
    assert!(!page.contains("?mkdir"), "{page}");
}

#[test]
fn web_form_upload_with_a_bad_name_writes_nothing_anywhere() {
    let lab = lab();
    let server = serve(&lab, &["--upload", "--overwrite", "--mkdir"]);
    let before = tree(lab.path());
    for name in [
        &b"../x"[..],
        b"a/../../b",
        b"/abs",
        b"%2e%2e",
        b"a%2fb",
        b"%2E%2E%2Foutside.txt",
        b"a\0b",
        b"a\\b",
        b"..\\outside.txt",
        b"a\x01b",
        b"a%0Ab",
        b".env",
        b"..",
    ] {
        let resp = post(&server, "/", &[(name, b"EVIL")]);
        assert_eq!(
            resp.status,
            400,
            "{}: {}",
            String::from_utf8_lossy(name),
            resp.text()
        );
        // A good file before the bad one is not kept either.
        let resp = post(&server, "/d/", &[(b"good.txt", b"good"), (name, b"EVIL")]);
        assert_eq!(
            resp.status,
            400,
            "{}: {}",
            String::from_utf8_lossy(name),
            resp.text()
        );
    }
    assert_eq!(tree(lab.path()), before);
    assert_eq!(get(&server, "/old.txt").status, 200);
}

#[test]
fn web_form_upload_cut_halfway_leaves_no_file() {
    let lab = lab();
    let server = serve(&lab, &["--upload"]);
    let head = b"--"
        .iter()
        .chain(BOUNDARY.as_bytes())
        .copied()
        .collect::<Vec<u8>>();
    let mut conn = server.connect();
    let part = [
        &head[..],
        b"\r\nContent-Disposition: form-data; name=\"file\"; filename=\"cut.bin\"\r\n\r\n",
    ]
    .concat();
    conn.write_all(post_head("/", &multipart_type(), 64 << 20, "").as_bytes())
        .unwrap();
    conn.write_all(&part).unwrap();
    let chunk = noise(1 << 20);
    for _ in 0..8 {
        conn.write_all(&chunk).unwrap();
    }
    // The client dies an eighth of the way through.
    drop(conn);
    server.wait_for_line("POST to / refused: body cut short");
    assert_eq!(names(&lab.path().join("site")), ["d", "old.txt"]);
    assert_eq!(get(&server, "/old.txt").status, 200);
}

#[test]
fn web_form_upload_malformed_is_400_and_writes_nothing() {
    let lab = lab();
    let server = serve(&lab, &["--upload"]);
    let before = tree(lab.path());
    let whole = form(&[(b"a.txt", b"hello")]);
    for content_type in [
        "multipart/form-data",
        "text/plain",
        "multipart/form-data; boundary=",
    ] {
        let mut raw = post_head("/", content_type, whole.len(), "").into_bytes();
        raw.extend_from_slice(&whole);
        let resp = request(&server, raw);
        assert_eq!(resp.status, 400, "{content_type}: {}", resp.text());
    }
    // Truncated: the closing delimiter never comes, though the body is all there.
    let truncated = &whole[..whole.len() - BOUNDARY.len() - 6];
    assert_eq!(post_with(&server, "/", truncated, "").status, 400);
    // A part that is not a file.
    let field = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhi\r\n--{BOUNDARY}--\r\n"
    );
    assert_eq!(post_with(&server, "/", field.as_bytes(), "").status, 400);
    // A part head that never ends, and a delimiter line with junk after it.
    let junk = format!("--{BOUNDARY}junk\r\n\r\nx\r\n--{BOUNDARY}--\r\n");
    assert_eq!(post_with(&server, "/", junk.as_bytes(), "").status, 400);
    assert_eq!(post_with(&server, "/", b"", "").status, 400);
    assert_eq!(tree(lab.path()), before);
}

#[test]
fn web_form_upload_over_max_upload_is_413() {
    let lab = lab();
    let server = serve(&lab, &["--upload", "--max-upload", "1K"]);
    let body = form(&[(b"big.bin", &noise(1024))]);
    // Content-Length over the limit: refused before a byte is read, no 100 Continue.
    let mut conn = open(&server);
    send(
        &mut conn,
        post_head(
            "/",
            &multipart_type(),
            body.len(),
            "Expect: 100-continue\r\n",
        ),
    );
    let resp = read_response(&mut conn, false);
    assert_eq!(resp.status, 413);
    // Chunked: refused while it streams.
    let mut conn = open(&server);
    send(
        &mut conn,
        format!(
            "POST / HTTP/1.1\r\nHost: t\r\nContent-Type: {}\r\nTransfer-Encoding: chunked\r\n\r\n",
            multipart_type()
        ),
    );
    let (first, rest) = body.split_at(600);
    send(&mut conn, format!("{:x}\r\n", first.len()));
    send(&mut conn, first);
    send(&mut conn, format!("\r\n{:x}\r\n", rest.len()));
    send(&mut conn, rest);
    send(&mut conn, "\r\n0\r\n\r\n");
    assert_eq!(read_response(&mut conn, false).status, 413);
    assert_closed(&mut conn);
    // Within the limit (the whole body counts): written.
    assert_eq!(post(&server, "/", &[(b"ok.bin", &noise(500))]).status, 303);
    assert_eq!(names(&lab.path().join("site")), ["d", "ok.bin", "old.txt"]);
}

#[test]
fn web_form_upload_existing_name_is_409_unless_overwrite() {
    let lab = lab();
    let server = serve(&lab, &["--upload"]);
    let resp = post(
        &server,
        "/",
        &[(b"new.txt", b"new"), (b"old.txt", b"clobbered")],
    );
    assert_eq!(resp.status, 409);
    assert_eq!(post(&server, "/", &[(b"d", b"over a folder")]).status, 409);
    assert_eq!(names(&lab.path().join("site")), ["d", "old.txt"]);
    assert_eq!(
        std::fs::read(lab.path().join("site/old.txt")).unwrap(),
        b"old\n"
    );
    drop(server);
    let server = serve(&lab, &["--upload", "--overwrite"]);
    assert_eq!(post(&server, "/", &[(b"old.txt", b"replaced")]).status, 303);
    assert_eq!(
        std::fs::read(lab.path().join("site/old.txt")).unwrap(),
        b"replaced"
    );
}

#[test]
fn web_without_upload_post_is_405_and_writes_nothing() {
    let lab = lab();
    let before = tree(lab.path());
    let server = serve(&lab, &[]);
    let resp = post(&server, "/", &[(b"a.txt", b"a")]);
    assert_eq!(resp.status, 405);
    assert_eq!(resp.header("Allow"), Some("GET, HEAD"));
    drop(server);
    // --mkdir alone takes the new-folder form, not files.
    let server = serve(&lab, &["--mkdir"]);
    assert_eq!(post(&server, "/", &[(b"a.txt", b"a")]).status, 405);
    assert_eq!(tree(lab.path()), before);
    let page = get(&server, "/").text();
    assert!(
        page.contains("?mkdir") && !page.contains("multipart"),
        "{page}"
    );
}

#[test]
fn web_form_upload_asks_for_credentials_with_auth_for_write() {
    let lab = lab();
    let server = serve(
        &lab,
        &["--upload", "--auth", "ann:pw", "--auth-for", "write"],
    );
    assert_eq!(get(&server, "/").status, 200);
    let resp = post(&server, "/", &[(b"a.txt", b"a")]);
    assert_eq!(resp.status, 401);
    assert!(resp.header("WWW-Authenticate").is_some());
    assert_eq!(names(&lab.path().join("site")), ["d", "old.txt"]);
    // ann:pw
    let resp = post_with(
        &server,
        "/",
        &form(&[(b"a.txt", b"a")]),
        "Authorization: Basic YW5uOnB3\r\n",
    );
    assert_eq!(resp.status, 303, "{}", resp.text());
    assert_eq!(std::fs::read(lab.path().join("site/a.txt")).unwrap(), b"a");
}

#[test]
fn web_new_folder_form_checks_its_name() {
    let lab = lab();
    let server = serve(&lab, &["--mkdir"]);
    let mkdir = |target: &str, body: &str| {
        let mut raw =
            post_head(target, "application/x-www-form-urlencoded", body.len(), "").into_bytes();
        raw.extend_from_slice(body.as_bytes());
        request(&server, raw)
    };
    let resp = mkdir("/d/?mkdir", "name=new+folder");
    assert_eq!(resp.status, 303, "{}", resp.text());
    assert_eq!(resp.header("Location"), Some("/d/"));
    assert!(lab.path().join("site/d/new folder").is_dir());
    assert_eq!(mkdir("/d/?mkdir", "name=new+folder").status, 409);
    let before = tree(lab.path());
    for bad in [
        "name=..%2Fx",
        "name=a%2Fb",
        "name=.git",
        "name=",
        "other=x",
        "name=a%00b",
    ] {
        assert_eq!(mkdir("/?mkdir", bad).status, 400, "{bad}");
    }
    assert_eq!(mkdir("/nope/?mkdir", "name=x").status, 404);
    assert_eq!(tree(lab.path()), before);
}
