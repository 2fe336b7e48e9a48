//! `netlab fetch` against local servers only: python3's http.server, `netlab web`,
//! and servers written here for the odd cases (redirect chains and loops, bodies cut short, a
//! server that never answers, one that ignores Range, GBK and gzip bodies, HTTPS with a
//! certificate made by the test, a proxy that records what it relays).
//!
//! Every wait is bounded (the harness's `WAIT`), nothing sleeps to let a server start, and only
//! the loopback is used: 127.0.0.1, and `localhost` where a test needs a second host name.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;

use crate::harness::{self, Lab, WAIT, bin, peer};

// ---------------------------------------------------------------------------------------------
// The notes, and ordinary pages
// ---------------------------------------------------------------------------------------------

/// The notes' `print urllib.urlopen(url).read()`: `netlab fetch` of a local page prints it.
#[test]
fn fetch_of_a_local_page_prints_it() {
    let Some(site) = Python::serve(&[(
        "page.html",
        "<html><body>Thank you for connecting</body></html>\n",
    )]) else {
        return;
    };
    let lab = Lab::new();
    lab.cmd(["fetch", &format!("{}/page.html", site.base())])
        .run()
        .success()
        .stdout_is("<html><body>Thank you for connecting</body></html>\n")
        .stderr_empty();
}

#[test]
fn fetch_assumes_http_when_the_scheme_is_missing() {
    let server = TestServer::start(|_, stream| respond(stream, 200, &[], b"no scheme needed\n"));
    let lab = Lab::new();
    lab.cmd(["fetch", &format!("{}/x", server.addr)])
        .run()
        .success()
        .stdout_is("no scheme needed\n");
    assert!(server.requests()[0].head.starts_with("GET /x HTTP/1.1\r\n"));
}

#[test]
fn fetch_include_prints_status_line_and_headers_before_the_body() {
    let server = TestServer::start(|_, stream| {
        respond(
            stream,
            200,
            &[("Content-Type", "text/plain"), ("X-Lab", "yes")],
            b"body\n",
        )
    });
    let lab = Lab::new();
    let run = lab.cmd(["fetch", "-i", &server.url("/")]).run();
    run.success();
    let out = run.stdout();
    assert!(out.starts_with("HTTP/1.1 200 OK\r\n"), "{out}");
    assert!(out.contains("X-Lab: yes\r\n"), "{out}");
    assert!(out.ends_with("\r\n\r\nbody\n"), "{out}");
}

#[test]
fn fetch_head_sends_head_and_prints_only_the_head() {
    let server = TestServer::start(|_, stream| {
        respond_head(
            stream,
            200,
            &[("Content-Type", "text/plain"), ("Content-Length", "1234")],
        )
    });
    let lab = Lab::new();
    let run = lab.cmd(["fetch", "-I", &server.url("/big")]).run();
    run.success()
        .stdout_has("HTTP/1.1 200 OK\r\n")
        .stdout_has("Content-Length: 1234\r\n");
    assert!(run.stdout().ends_with("\r\n\r\n"));
    assert!(
        server.requests()[0]
            .head
            .starts_with("HEAD /big HTTP/1.1\r\n")
    );
}

#[test]
fn fetch_verbose_shows_request_and_response_heads_of_every_hop() {
    let server = TestServer::start(|req, stream| match req.path() {
        "/start" => redirect(stream, 302, "/next"),
        _ => respond(stream, 200, &[], b"arrived\n"),
    });
    let lab = Lab::new();
    let run = lab.cmd(["fetch", "-v", &server.url("/start")]).run();
    run.success().stdout_is("arrived\n");
    let err = run.stderr();
    for line in [
        "> GET /start HTTP/1.1",
        "< HTTP/1.1 302 Found",
        "> GET /next HTTP/1.1",
        "< HTTP/1.1 200 OK",
        "> User-Agent: netlab/",
    ] {
        assert!(
            err.contains(line),
            "stderr lacks {line:?}\n{}",
            run.context()
        );
    }
}

#[test]
fn fetch_sends_method_headers_and_user_agent_as_given() {
    let server = TestServer::start(|_, stream| respond(stream, 200, &[], b"ok"));
    let lab = Lab::new();
    lab.cmd([
        "fetch",
        "-X",
        "PURGE",
        "-H",
        "X-Thing: one two",
        "-H",
        "Accept:",
        "-A",
        "lab-agent/1",
        &server.url("/cache"),
    ])
    .run()
    .success();
    let req = &server.requests()[0];
    assert!(
        req.head.starts_with("PURGE /cache HTTP/1.1\r\n"),
        "{}",
        req.head
    );
    assert_eq!(req.header("x-thing").as_deref(), Some("one two"));
    assert_eq!(req.header("user-agent").as_deref(), Some("lab-agent/1"));
    assert_eq!(
        req.header("accept"),
        None,
        "-H 'Accept:' removes the header"
    );
}

#[test]
fn fetch_refuses_a_header_with_a_line_break_and_sends_nothing() {
    let server = TestServer::start(|_, stream| respond(stream, 200, &[], b"ok"));
    let lab = Lab::new();
    lab.cmd(["fetch", "-H", "X-A: 1\r\nX-Injected: 2", &server.url("/")])
        .run()
        .fails_with(2, "line break");
    lab.cmd(["fetch", "-A", "agent\nX-Injected: 2", &server.url("/")])
        .run()
        .fails_with(2, "line break");
    assert_eq!(server.connections(), 0, "nothing may be sent");
}

// ---------------------------------------------------------------------------------------------
// Request bodies
// ---------------------------------------------------------------------------------------------

#[test]
fn fetch_posts_data_from_text_file_and_stdin() {
    let server = TestServer::start(|req, stream| respond(stream, 200, &[], &req.body));
    let lab = Lab::new();
    lab.cmd(["fetch", "-d", "a=1&b=2", &server.url("/form")])
        .run()
        .success()
        .stdout_is("a=1&b=2");
    lab.write("body.txt", "from a file\n");
    lab.cmd(["fetch", "-d", "@body.txt", &server.url("/file")])
        .run()
        .success()
        .stdout_is("from a file\n");
    lab.cmd(["fetch", "-d", "@-", &server.url("/stdin")])
        .stdin("from stdin")
        .run()
        .success()
        .stdout_is("from stdin");
    let reqs = server.requests();
    assert!(reqs.iter().all(|r| r.head.starts_with("POST ")));
    assert_eq!(
        reqs[0].header("content-type").as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(reqs[1].header("content-length").as_deref(), Some("12"));
}

#[test]
fn fetch_json_sets_content_type_and_accept() {
    let server = TestServer::start(|req, stream| respond(stream, 200, &[], &req.body));
    let lab = Lab::new();
    lab.cmd(["fetch", "--json", r#"{"q":1}"#, &server.url("/api")])
        .run()
        .success()
        .stdout_is(r#"{"q":1}"#);
    let req = &server.requests()[0];
    assert_eq!(
        req.header("content-type").as_deref(),
        Some("application/json")
    );
    assert_eq!(req.header("accept").as_deref(), Some("application/json"));
}

// ---------------------------------------------------------------------------------------------
// Status and redirects
// ---------------------------------------------------------------------------------------------

#[test]
fn fetch_fail_exits_22_and_writes_no_body() {
    let server = TestServer::start(|_, stream| respond(stream, 404, &[], b"secret error page"));
    let lab = Lab::new();
    let run = lab.cmd(["fetch", "-f", &server.url("/missing")]).run();
    run.fails_with(22, "404");
    assert!(run.stdout.is_empty());
    // Without -f the error page is the body, and the exit is 0 (as curl).
    lab.cmd(["fetch", &server.url("/missing")])
        .run()
        .success()
        .stdout_is("secret error page");
}

#[test]
fn fetch_follows_a_redirect_chain() {
    let server = TestServer::start(|req, stream| match req.path() {
        "/1" => redirect(stream, 301, "/2"),
        "/2" => redirect(stream, 307, &format!("http://{}/3", req.host)),
        _ => respond(stream, 200, &[], b"end of the chain\n"),
    });
    let lab = Lab::new();
    let run = lab.cmd(["fetch", "-i", &server.url("/1")]).run();
    run.success()
        .stdout_has("HTTP/1.1 301 Moved Permanently\r\n");
    run.stdout_has("HTTP/1.1 307 Temporary Redirect\r\n");
    assert!(run.stdout().ends_with("end of the chain\n"));
    let paths: Vec<String> = server
        .requests()
        .iter()
        .map(|r| r.path().to_string())
        .collect();
    assert_eq!(paths, ["/1", "/2", "/3"]);
}

#[test]
fn fetch_redirect_loop_exits_47() {
    let server = TestServer::start(|req, stream| match req.path() {
        "/a" => redirect(stream, 302, "/b"),
        _ => redirect(stream, 302, "/a"),
    });
    let lab = Lab::new();
    lab.cmd(["fetch", &server.url("/a")])
        .run()
        .fails_with(47, "redirect loop");
    assert_eq!(server.requests().len(), 2, "stops as soon as a hop repeats");
}

#[test]
fn fetch_too_many_redirects_exits_47() {
    let server = TestServer::start(|req, stream| {
        let n: u32 = req.path().trim_start_matches('/').parse().unwrap_or(0);
        redirect(stream, 302, &format!("/{}", n + 1))
    });
    let lab = Lab::new();
    lab.cmd(["fetch", "--max-redirects", "3", &server.url("/0")])
        .run()
        .fails_with(47, "too many redirects");
    assert_eq!(server.requests().len(), 4);
}

#[test]
fn fetch_no_follow_prints_the_redirect_itself() {
    let server = TestServer::start(|_, stream| {
        respond(stream, 302, &[("Location", "/elsewhere")], b"moved\n")
    });
    let lab = Lab::new();
    lab.cmd(["fetch", "--no-follow", &server.url("/")])
        .run()
        .success()
        .stdout_is("moved\n");
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn fetch_see_other_after_post_follows_with_get_and_no_body() {
    let server = TestServer::start(|req, stream| match req.path() {
        "/submit" => redirect(stream, 303, "/result"),
        _ => respond(stream, 200, &[], b"result"),
    });
    let lab = Lab::new();
    lab.cmd(["fetch", "-d", "x=1", &server.url("/submit")])
        .run()
        .success()
        .stdout_is("result");
    let reqs = server.requests();
    assert!(reqs[0].head.starts_with("POST /submit"));
    assert!(reqs[1].head.starts_with("GET /result"));
    assert!(reqs[1].body.is_empty() && reqs[1].header("content-length").is_none());
}

#[test]
fn fetch_does_not_send_credentials_to_another_host_after_a_redirect() {
    let server = TestServer::start(|req, stream| match req.path() {
        "/login" => {
            let port = req.host.rsplit(':').next().unwrap().to_string();
            redirect(stream, 302, &format!("http://localhost:{port}/other"))
        }
        _ => respond(stream, 200, &[], b"ok"),
    });
    let lab = Lab::new();
    lab.cmd([
        "fetch",
        "-H",
        "Authorization: Bearer secret",
        &server.url("/login"),
    ])
    .run()
    .success();
    let reqs = server.requests();
    assert_eq!(
        reqs[0].header("authorization").as_deref(),
        Some("Bearer secret")
    );
    assert_eq!(reqs[1].header("authorization"), None);
}

// ---------------------------------------------------------------------------------------------
// Bodies: partial, encoded, charsets, binary
// ---------------------------------------------------------------------------------------------

#[test]
fn fetch_body_cut_short_exits_18_and_leaves_the_old_file_alone() {
    let server = TestServer::start(|_, stream| {
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n");
        let _ = stream.write_all(&[b'x'; 50]);
        // Dropping the stream closes the connection at half the announced length.
    });
    let lab = Lab::new();
    lab.cmd(["fetch", &server.url("/")])
        .run()
        .fails_with(18, "cut short");

    lab.write("page.txt", "the old page\n");
    lab.cmd(["fetch", "-o", "page.txt", &server.url("/")])
        .run()
        .fails_with(18, "50 of 100 bytes");
    assert_eq!(read(lab.path(), "page.txt"), b"the old page\n");
    assert_eq!(read(lab.path(), "page.txt.part"), [b'x'; 50], "kept for -C");
}

#[test]
fn fetch_chunked_body_cut_short_exits_18() {
    let server = TestServer::start(|_, stream| {
        let _ = stream
            .write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
    });
    let lab = Lab::new();
    lab.cmd(["fetch", &server.url("/")])
        .run()
        .fails_with(18, "cut short");
}

#[test]
fn fetch_decodes_gzip_and_brotli_bodies() {
    use flate2::write::GzEncoder;
    let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(b"unzipped on the fly\n").unwrap();
    let gz = gz.finish().unwrap();
    // "hello brotli\n" as one uncompressed brotli meta-block, then an empty last one.
    let mut br = vec![0xC0, 0x00, 0x10];
    br.extend_from_slice(b"hello brotli\n");
    br.push(0x03);
    let server = TestServer::start(move |req, stream| match req.path() {
        "/gz" => respond(stream, 200, &[("Content-Encoding", "gzip")], &gz),
        _ => respond(stream, 200, &[("Content-Encoding", "br")], &br),
    });
    let lab = Lab::new();
    lab.cmd(["fetch", &server.url("/gz")])
        .run()
        .success()
        .stdout_is("unzipped on the fly\n");
    let run = lab.cmd(["fetch", "-i", &server.url("/br")]).run();
    run.success().stdout_has("Content-Encoding: br\r\n");
    assert!(run.stdout().ends_with("\r\n\r\nhello brotli\n"));
    let accept = server.requests()[0].header("accept-encoding").unwrap();
    assert!(accept.contains("gzip") && accept.contains("br"), "{accept}");
}

#[test]
fn fetch_utf8_transcodes_a_gbk_page() {
    let (gbk, _, _) = encoding_rs::GBK.encode("<p>中文网页</p>\n");
    let gbk = gbk.into_owned();
    let (meta, _, _) = encoding_rs::GBK
        .encode("<html><head><meta charset=\"gbk\"></head><body>你好</body></html>");
    let meta = meta.into_owned();
    let server = TestServer::start(move |req, stream| match req.path() {
        "/declared" => respond(
            stream,
            200,
            &[("Content-Type", "text/html; charset=gbk")],
            &gbk,
        ),
        _ => respond(stream, 200, &[("Content-Type", "text/html")], &meta),
    });
    let lab = Lab::new();
    let raw = lab.cmd(["fetch", &server.url("/declared")]).run();
    raw.success();
    assert_eq!(
        raw.stdout,
        encoding_rs::GBK.encode("<p>中文网页</p>\n").0.as_ref()
    );
    lab.cmd(["fetch", "--utf8", &server.url("/declared")])
        .run()
        .success()
        .stdout_is("<p>中文网页</p>\n");
    lab.cmd(["fetch", "--utf8", &server.url("/meta")])
        .run()
        .success()
        .stdout_has("<body>你好</body>");
}

/// Issue 13: `--utf8` honours a `<meta charset>` in the first 1024 bytes (as browsers do) when
/// the Content-Type names no charset, however the body's reads split (chunked here, the tag in
/// the second chunk); not one further in; and so a GBK page from `netlab web` (which called
/// every text file UTF-8) comes out as its text.
#[test]
fn fetch_utf8_honours_meta_charset() {
    let page = "<html><head><meta charset=\"gbk\"></head><body>中文测试</body></html>\n";
    let gbk = encoding_rs::GBK.encode(page).0.into_owned();
    let late = [b"<!-- ".as_slice(), &[b'x'; 1100], b" -->", &gbk].concat();
    let chunked = gbk.clone();
    let server = TestServer::start(move |req, stream| match req.path() {
        "/chunked" => {
            respond_head(
                stream,
                200,
                &[
                    ("Content-Type", "text/html"),
                    ("Transfer-Encoding", "chunked"),
                ],
            );
            let (first, rest) = chunked.split_at(12);
            let mut body = Vec::new();
            for chunk in [first, rest] {
                body.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
                body.extend_from_slice(chunk);
                body.extend_from_slice(b"\r\n");
            }
            body.extend_from_slice(b"0\r\n\r\n");
            let _ = stream.write_all(&body);
        }
        _ => respond(stream, 200, &[("Content-Type", "text/html")], &late),
    });
    let lab = Lab::new();
    lab.cmd(["fetch", "--utf8", &server.url("/chunked")])
        .run()
        .success()
        .stdout_is(page)
        .stderr_empty();
    let beyond = lab.cmd(["fetch", "--utf8", &server.url("/late")]).run();
    beyond.success().stderr_has("declares no charset");
    assert!(
        !beyond.stdout().contains("中文测试"),
        "{}",
        beyond.context()
    );

    lab.write("site/gbk.html", &gbk);
    let web = lab.server(["web", "site", "--port", "0"]);
    lab.cmd(["fetch", "--utf8", &format!("{}/gbk.html", web.base_url())])
        .run()
        .success()
        .stdout_is(page)
        .stderr_empty();
}

/// Issue 13: `--utf8` on a body its declared charset cannot decode wrote it without a word.
/// Now what does not decode becomes U+FFFD and one warning line says which charset failed.
#[test]
fn fetch_utf8_warns_when_declared_charset_does_not_decode() {
    let gbk = encoding_rs::GBK.encode("中文测试\n").0.into_owned();
    let served = gbk.clone();
    let server = TestServer::start(move |req, stream| match req.path() {
        "/says-utf8" => respond(
            stream,
            200,
            &[("Content-Type", "text/plain; charset=utf-8")],
            &served,
        ),
        "/says-gbk" => respond(
            stream,
            200,
            &[("Content-Type", "text/plain; charset=gbk")],
            b"ok \xff\xff\n",
        ),
        _ => respond(
            stream,
            200,
            &[("Content-Type", "text/plain; charset=gbk")],
            &served,
        ),
    });
    let lab = Lab::new();
    for (path, charset) in [("/says-utf8", "UTF-8"), ("/says-gbk", "GBK")] {
        let run = lab.cmd(["fetch", "--utf8", &server.url(path)]).run();
        run.success().stdout_has("\u{fffd}");
        let stderr = run.stderr();
        let warnings: Vec<&str> = stderr.lines().collect();
        assert_eq!(warnings.len(), 1, "{}", run.context());
        assert!(
            warnings[0].starts_with("netlab: warning: ")
                && warnings[0].contains(&format!("not valid {charset}"))
                && warnings[0].contains("Content-Type"),
            "{}",
            run.context()
        );
    }
    lab.cmd(["fetch", "--utf8", &server.url("/clean")])
        .run()
        .success()
        .stdout_is("中文测试\n")
        .stderr_empty();
}

#[test]
fn fetch_streams_a_large_body_to_a_file_and_verifies_it() {
    const SIZE: usize = 24 * 1024 * 1024;
    let body: Arc<Vec<u8>> = Arc::new((0..SIZE).map(|i| (i % 251) as u8).collect());
    let served = Arc::clone(&body);
    let server = TestServer::start(move |_, stream| {
        respond(
            stream,
            200,
            &[("Content-Type", "application/octet-stream")],
            &served,
        )
    });
    let lab = Lab::new();
    lab.cmd(["fetch", "-o", "big.bin", &server.url("/big.bin")])
        .run()
        .success()
        .stderr_empty();
    assert!(read(lab.path(), "big.bin") == *body);
    assert!(!lab.path().join("big.bin.part").exists());
}

/// A binary body is not dumped onto a terminal (stdout is a pty made by `script`).
#[test]
fn fetch_keeps_a_binary_body_off_the_terminal_unless_told() {
    if !peer("script") {
        return;
    }
    let server = TestServer::start(|_, stream| {
        respond(
            stream,
            200,
            &[("Content-Type", "image/png")],
            b"\x89PNG\r\n\x1a\n\0\0",
        )
    });
    let lab = Lab::new();
    let in_pty = |extra: &str| {
        let line = format!("{} fetch {extra} {}", bin().display(), server.url("/x.png"));
        let mut command = Command::new("script");
        command
            .args(["-qec", &line, "/dev/null"])
            .current_dir(lab.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for var in [
            "HTTP_PROXY",
            "http_proxy",
            "ALL_PROXY",
            "all_proxy",
            "NO_PROXY",
            "no_proxy",
        ] {
            command.env_remove(var);
        }
        let child = command.spawn().expect("spawn script");
        finish(child)
    };
    let (code, out) = in_pty("");
    assert_eq!(code, Some(23), "{out}");
    assert!(out.contains("binary body") && out.contains("-o"), "{out}");
    let (code, out) = in_pty("-o -");
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("PNG"), "{out}");
}

// ---------------------------------------------------------------------------------------------
// Files: -o, -O, -C
// ---------------------------------------------------------------------------------------------

#[test]
fn fetch_output_file_is_written_whole_and_renamed_from_part() {
    let server = TestServer::start(|_, stream| respond(stream, 200, &[], b"new contents\n"));
    let lab = Lab::new();
    lab.write("out.txt", "old contents\n");
    lab.write("out.txt.part", "stale partial bytes");
    lab.cmd(["fetch", "-o", "out.txt", &server.url("/f")])
        .run()
        .success()
        .stdout_is("")
        .stderr_empty();
    assert_eq!(read(lab.path(), "out.txt"), b"new contents\n");
    assert!(!lab.path().join("out.txt.part").exists());
}

/// Issue 13: on a terminal `-O` said `saved FILE (…)` and `-o FILE` said nothing. Both say it
/// now (and `-o` still says nothing to a pipe: see the test above).
#[test]
fn fetch_o_file_says_saved_on_a_terminal() {
    let server = TestServer::start(|_, stream| respond(stream, 200, &[], b"saved contents\n"));
    let lab = Lab::new();
    let url = server.url("/notes.txt");
    let Some(run) = lab.in_terminal(&["fetch", "-o", "mine.txt", &url]) else {
        return;
    };
    run.success().stdout_has("saved mine.txt (15 B)");
    assert_eq!(read(lab.path(), "mine.txt"), b"saved contents\n");
    // An existing file named with -o is replaced, terminal or not (only -O refuses).
    let run = lab.in_terminal(&["fetch", "-o", "mine.txt", &url]).unwrap();
    run.success().stdout_has("saved mine.txt");
}

/// Issue 13: a 41-byte download flashed three frames of progress bar. The bar now waits until
/// a download has run for a while, so a small file shows none of it: no bar, no ETA, no
/// escape sequence of indicatif's, only the `saved` line.
#[test]
fn fetch_small_download_draws_no_progress_bar() {
    let body = b"forty-one bytes of a very small download\n";
    assert_eq!(body.len(), 41);
    let server = TestServer::start(move |_, stream| {
        respond(stream, 200, &[("Content-Type", "text/plain")], body)
    });
    let lab = Lab::new();
    for how in [["-O", "--force"], ["-o", "small.txt"]] {
        let mut args = vec!["fetch"];
        args.extend(how);
        let url = server.url("/small.txt");
        args.push(&url);
        let Some(run) = lab.in_terminal(&args) else {
            return;
        };
        run.success().stdout_has("saved small.txt (41 B)");
        let shown = run.stdout();
        assert!(
            !shown.contains("ETA") && !shown.contains("B/s") && !shown.contains('\x1b'),
            "a progress bar was drawn:\n{}",
            run.context()
        );
    }
}

#[test]
fn fetch_remote_name_comes_from_the_url_and_with_j_from_content_disposition() {
    let server = TestServer::start(|req, stream| match req.path() {
        "/files/report%20v2.txt" => respond(stream, 200, &[], b"report\n"),
        _ => respond(
            stream,
            200,
            &[(
                "Content-Disposition",
                "attachment; filename=\"../../escaped.txt\"",
            )],
            b"named by the server\n",
        ),
    });
    let lab = Lab::new();
    lab.cmd(["fetch", "-O", &server.url("/files/report%20v2.txt")])
        .run()
        .success()
        .stderr_has("saved report v2.txt");
    assert_eq!(read(lab.path(), "report v2.txt"), b"report\n");

    lab.cmd(["fetch", "-O", &server.url("/download?id=7")])
        .run()
        .success();
    assert_eq!(read(lab.path(), "download"), b"named by the server\n");
    lab.cmd(["fetch", "-O", "-J", &server.url("/download?id=7")])
        .run()
        .success();
    assert_eq!(read(lab.path(), "escaped.txt"), b"named by the server\n");
    assert!(!lab.path().parent().unwrap().join("escaped.txt").exists());
}

#[test]
fn fetch_remote_name_never_overwrites_without_force() {
    let server = TestServer::start(|_, stream| respond(stream, 200, &[], b"fresh\n"));
    let lab = Lab::new();
    lab.write("data.txt", "precious\n");
    lab.cmd(["fetch", "-O", &server.url("/data.txt")])
        .run()
        .fails_with(23, "exists");
    assert_eq!(read(lab.path(), "data.txt"), b"precious\n");
    assert!(!lab.path().join("data.txt.part").exists());
    lab.cmd(["fetch", "-O", "--force", &server.url("/data.txt")])
        .run()
        .success();
    assert_eq!(read(lab.path(), "data.txt"), b"fresh\n");
}

/// A server with a fixed body that honours `Range: bytes=N-` (and answers 416 past the end).
fn range_server(body: Arc<Vec<u8>>, honour_range: bool) -> TestServer {
    range_server_with(body, honour_range, &[])
}

/// [`range_server`] with `extra` headers in every answer.
pub fn range_server_with(
    body: Arc<Vec<u8>>,
    honour_range: bool,
    extra: &'static [(&'static str, &'static str)],
) -> TestServer {
    TestServer::start(move |req, stream| {
        let send = |stream: &mut TcpStream, status: u16, headers: &[(&str, &str)], body: &[u8]| {
            let all: Vec<(&str, &str)> = extra.iter().chain(headers).copied().collect();
            respond(stream, status, &all, body)
        };
        let total = body.len();
        let from = req.header("range").and_then(|r| {
            r.strip_prefix("bytes=")?
                .strip_suffix('-')?
                .parse::<usize>()
                .ok()
        });
        match from {
            Some(from) if honour_range && from >= total => {
                let range = format!("bytes */{total}");
                send(stream, 416, &[("Content-Range", &range)], b"")
            }
            Some(from) if honour_range => {
                let range = format!("bytes {from}-{}/{total}", total - 1);
                send(stream, 206, &[("Content-Range", &range)], &body[from..])
            }
            _ => send(stream, 200, &[], &body),
        }
    })
}

#[test]
fn fetch_resume_asks_for_the_rest_and_appends_it() {
    let body: Arc<Vec<u8>> = Arc::new((0..5000u32).map(|i| (i % 256) as u8).collect());
    let server = range_server(Arc::clone(&body), true);
    let lab = Lab::new();
    lab.write("file.bin.part", &body[..1200]);
    lab.cmd(["fetch", "-C", "-o", "file.bin", &server.url("/file.bin")])
        .run()
        .success();
    assert!(read(lab.path(), "file.bin") == *body);
    assert!(!lab.path().join("file.bin.part").exists());
    let req = &server.requests()[0];
    assert_eq!(req.header("range").as_deref(), Some("bytes=1200-"));
    assert_eq!(
        req.header("accept-encoding"),
        None,
        "a range counts stored bytes"
    );

    // Resuming a file that is already whole: 416, nothing changes.
    lab.cmd(["fetch", "-C", "-o", "file.bin", &server.url("/file.bin")])
        .run()
        .success()
        .stderr_has("complete");
    assert!(read(lab.path(), "file.bin") == *body);
}

/// Issue 13: curl's `-C -` ("the offset from the output file") was taken for the URL. It means
/// what `-C` alone means.
#[test]
fn fetch_resume_dash_is_curls_spelling() {
    let body: Arc<Vec<u8>> = Arc::new((0..4000u32).map(|i| (i * 11 % 256) as u8).collect());
    let server = range_server(Arc::clone(&body), true);
    let lab = Lab::new();
    lab.write("file.bin.part", &body[..1500]);
    lab.cmd([
        "fetch",
        "-C",
        "-",
        "-o",
        "file.bin",
        &server.url("/file.bin"),
    ])
    .run()
    .success();
    assert!(read(lab.path(), "file.bin") == *body);
    lab.write("other.bin", &body[..700]);
    lab.cmd([
        "fetch",
        "--continue",
        "-",
        "-o",
        "other.bin",
        &server.url("/file.bin"),
    ])
    .run()
    .success();
    assert!(read(lab.path(), "other.bin") == *body);
    let ranges: Vec<Option<String>> = server
        .requests()
        .iter()
        .map(|r| r.header("range"))
        .collect();
    assert_eq!(
        ranges,
        [
            Some("bytes=1500-".to_string()),
            Some("bytes=700-".to_string())
        ]
    );
}

#[test]
fn fetch_resume_continues_a_file_left_by_another_tool() {
    let body: Arc<Vec<u8>> = Arc::new((0..3000u32).map(|i| (i * 13 % 256) as u8).collect());
    let server = range_server(Arc::clone(&body), true);
    let lab = Lab::new();
    lab.write("file.bin", &body[..1000]);
    lab.cmd(["fetch", "-C", "-O", &server.url("/file.bin")])
        .run()
        .success();
    assert!(read(lab.path(), "file.bin") == *body);
    assert_eq!(
        server.requests()[0].header("range").as_deref(),
        Some("bytes=1000-")
    );
}

#[test]
fn fetch_resume_against_a_server_that_ignores_range_restarts_cleanly() {
    let body: Arc<Vec<u8>> = Arc::new((0..5000u32).map(|i| (i * 7 % 256) as u8).collect());
    let server = range_server(Arc::clone(&body), false);
    let lab = Lab::new();
    lab.write("file.bin.part", &body[..1200]);
    lab.cmd(["fetch", "-C", "-o", "file.bin", &server.url("/file.bin")])
        .run()
        .success()
        .stderr_has("ignored the Range request");
    assert!(read(lab.path(), "file.bin") == *body, "no corrupt file");
}

// ---------------------------------------------------------------------------------------------
// Exit codes of transport failures
// ---------------------------------------------------------------------------------------------

#[test]
fn fetch_bad_url_exits_3() {
    let lab = Lab::new();
    lab.cmd(["fetch", "http://exa mple.test/"])
        .run()
        .fails_with(3, "bad URL");
    lab.cmd(["fetch", "ftp://127.0.0.1/"])
        .run()
        .fails_with(3, "not supported");
}

#[test]
fn fetch_unresolvable_host_exits_6() {
    let lab = Lab::new();
    lab.cmd([
        "fetch",
        "--connect-timeout",
        "5s",
        "http://nonexistent.invalid/",
    ])
    .run()
    .fails_with(6, "resolve nonexistent.invalid: ");
}

#[test]
fn fetch_refused_connection_exits_7() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let lab = Lab::new();
    lab.cmd(["fetch", &format!("http://127.0.0.1:{port}/")])
        .run()
        .fails_with(7, "connect 127.0.0.1:");
}

#[test]
fn fetch_write_error_exits_23() {
    if !Path::new("/dev/full").exists() {
        crate::harness::skip("no /dev/full");
        return;
    }
    let server = TestServer::start(|_, stream| respond(stream, 200, &[], &[b'z'; 100_000]));
    let lab = Lab::new();
    lab.cmd(["fetch", "-o", "/dev/full", &server.url("/")])
        .run()
        .fails_with(23, "writing /dev/full");
}

#[test]
fn fetch_server_that_never_answers_times_out_with_28() {
    let server = TestServer::start(|_, stream| {
        // Accept, read nothing more, answer nothing: wait for the client to give up.
        let mut buf = [0u8; 64];
        while matches!(stream.read(&mut buf), Ok(n) if n > 0) {}
    });
    let lab = Lab::new();
    lab.cmd(["fetch", "--idle-timeout", "300ms", &server.url("/")])
        .run()
        .fails_with(28, "--idle-timeout");
    lab.cmd(["fetch", "--timeout", "400ms", &server.url("/")])
        .run()
        .fails_with(28, "--timeout");
}

// ---------------------------------------------------------------------------------------------
// TLS
// ---------------------------------------------------------------------------------------------

#[test]
fn fetch_https_with_cacert_works_and_without_it_exits_60() {
    let pki = Pki::new(&["127.0.0.1", "localhost"], false);
    let server = TlsServer::start(&pki, b"secret over tls\n");
    let lab = Lab::new();
    lab.write("ca.pem", &pki.ca_pem);
    lab.cmd(["fetch", "--cacert", "ca.pem", &server.url("/")])
        .run()
        .success()
        .stdout_is("secret over tls\n");
    lab.cmd(["fetch", &server.url("/")])
        .run()
        .fails_with(60, "unknown issuer");
    lab.cmd(["fetch", "-k", &server.url("/")])
        .run()
        .success()
        .stdout_is("secret over tls\n");
}

#[test]
fn fetch_https_names_a_wrong_host_and_an_expired_certificate() {
    let lab = Lab::new();
    let wrong = Pki::new(&["elsewhere.test"], false);
    let server = TlsServer::start(&wrong, b"x");
    lab.write("wrong.pem", &wrong.ca_pem);
    lab.cmd(["fetch", "--cacert", "wrong.pem", &server.url("/")])
        .run()
        .fails_with(60, "not valid for 127.0.0.1");

    let expired = Pki::new(&["127.0.0.1"], true);
    let server = TlsServer::start(&expired, b"x");
    lab.write("expired.pem", &expired.ca_pem);
    lab.cmd(["fetch", "--cacert", "expired.pem", &server.url("/")])
        .run()
        .fails_with(60, "expired");
}

#[test]
fn fetch_https_to_a_plain_http_server_exits_35() {
    // A plain HTTP server answers the TLS hello with an HTTP error, as real ones do.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
        }
    });
    let lab = Lab::new();
    lab.cmd(["fetch", &format!("https://{addr}/")])
        .run()
        .fails_with(35, "TLS handshake");
}

// ---------------------------------------------------------------------------------------------
// Proxies
// ---------------------------------------------------------------------------------------------

#[test]
fn fetch_goes_through_the_proxy_flag_and_the_proxy_sees_the_request() {
    let origin = TestServer::start(|_, stream| respond(stream, 200, &[], b"via proxy\n"));
    let proxy = TestProxy::start();
    let lab = Lab::new();
    lab.cmd(["fetch", "--proxy", &proxy.url(), &origin.url("/through")])
        .run()
        .success()
        .stdout_is("via proxy\n");
    let seen = proxy.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(
        seen[0].contains(&format!("CONNECT {} HTTP/1.1", origin.addr))
            || seen[0].contains(&format!("GET {}", origin.url("/through"))),
        "{seen:?}"
    );
    assert!(seen[0].contains("GET /through HTTP/1.1"), "{seen:?}");
    assert_eq!(origin.requests().len(), 1);
}

#[test]
fn fetch_unreachable_proxy_exits_7_and_names_the_proxy() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let origin = TestServer::start(|_, stream| respond(stream, 200, &[], b"never"));
    let lab = Lab::new();
    lab.cmd(["fetch", &origin.url("/")])
        .env("http_proxy", format!("http://127.0.0.1:{port}"))
        .run()
        .fails_with(7, &format!("proxy 127.0.0.1:{port}"));
    assert_eq!(origin.connections(), 0);
}

#[test]
fn fetch_uses_http_proxy_from_the_environment_unless_no_proxy_says_otherwise() {
    let origin = TestServer::start(|_, stream| respond(stream, 200, &[], b"hello"));
    let proxy = TestProxy::start();
    let lab = Lab::new();
    lab.cmd(["fetch", &origin.url("/env")])
        .env("HTTP_PROXY", proxy.url())
        .run()
        .success()
        .stdout_is("hello");
    assert_eq!(proxy.seen().len(), 1);

    lab.cmd(["fetch", &origin.url("/bypass")])
        .env("HTTP_PROXY", proxy.url())
        .env("NO_PROXY", "localhost,127.0.0.1")
        .run()
        .success();
    lab.cmd(["fetch", "--noproxy", "*", &origin.url("/flag")])
        .env("ALL_PROXY", proxy.url())
        .run()
        .success();
    // HTTPS_PROXY is for https URLs only.
    lab.cmd(["fetch", &origin.url("/plain")])
        .env("HTTPS_PROXY", proxy.url())
        .run()
        .success();
    assert_eq!(
        proxy.seen().len(),
        1,
        "only the first fetch went through the proxy"
    );
    assert_eq!(origin.requests().len(), 4);
}

// ---------------------------------------------------------------------------------------------
// netlab web
// ---------------------------------------------------------------------------------------------

#[test]
fn fetch_gets_a_file_from_netlab_web() {
    let lab = Lab::new();
    lab.write("site/notes.txt", "served by netlab web\n");
    let web = lab.server(["web", "site", "--port", "0"]);
    lab.cmd(["fetch", &format!("{}/notes.txt", web.base_url())])
        .run()
        .success()
        .stdout_is("served by netlab web\n");
}

// =============================================================================================
// Helpers: servers written for these tests
// =============================================================================================

pub fn read(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).unwrap_or_else(|err| panic!("read {name}: {err}"))
}

/// One request as a test server received it.
#[derive(Clone, Debug)]
pub struct Request {
    pub head: String,
    pub body: Vec<u8>,
    pub host: String,
}

impl Request {
    pub fn path(&self) -> &str {
        self.head.split(' ').nth(1).unwrap_or("")
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().skip(1).find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    }
}

type Handler = dyn Fn(&Request, &mut TcpStream) + Send + Sync;

/// An HTTP server on 127.0.0.1:0 answering each connection's one request with `handler`.
pub struct TestServer {
    pub addr: SocketAddr,
    requests: Arc<Mutex<Vec<Request>>>,
    connections: Arc<AtomicUsize>,
}

impl TestServer {
    pub fn start(handler: impl Fn(&Request, &mut TcpStream) + Send + Sync + 'static) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let handler: Arc<Handler> = Arc::new(handler);
        {
            let requests = Arc::clone(&requests);
            let connections = Arc::clone(&connections);
            // The accept loop ends with the test process.
            thread::spawn(move || {
                for stream in listener.incoming().flatten() {
                    connections.fetch_add(1, Ordering::SeqCst);
                    let requests = Arc::clone(&requests);
                    let handler = Arc::clone(&handler);
                    thread::spawn(move || serve_one(stream, &requests, &*handler));
                }
            });
        }
        TestServer {
            addr,
            requests,
            connections,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }

    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

fn serve_one(mut stream: TcpStream, requests: &Mutex<Vec<Request>>, handler: &Handler) {
    stream.set_read_timeout(Some(WAIT)).unwrap();
    stream.set_write_timeout(Some(WAIT)).unwrap();
    let Some(request) = read_request(&mut stream) else {
        return;
    };
    requests.lock().unwrap().push(request.clone());
    handler(&request, &mut stream);
}

/// Read a request head and its Content-Length body; `None` if it is not HTTP.
fn read_request(stream: &mut impl Read) -> Option<Request> {
    let mut data = Vec::new();
    let mut byte = [0u8; 1];
    while !data.ends_with(b"\r\n\r\n") {
        if data.len() > 64 * 1024 || stream.read(&mut byte).ok()? == 0 {
            return None;
        }
        data.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&data).into_owned();
    let mut request = Request {
        head,
        body: Vec::new(),
        host: String::new(),
    };
    request.host = request.header("host").unwrap_or_default();
    let length: usize = request
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    request.body = vec![0; length];
    stream.read_exact(&mut request.body).ok()?;
    Some(request)
}

pub fn respond(stream: &mut impl Write, status: u16, headers: &[(&str, &str)], body: &[u8]) {
    let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
    let _ = stream.flush();
}

fn respond_head(stream: &mut impl Write, status: u16, headers: &[(&str, &str)]) {
    let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("Connection: close\r\n\r\n");
    let _ = stream.write_all(head.as_bytes());
}

pub fn redirect(stream: &mut impl Write, status: u16, location: &str) {
    respond(stream, status, &[("Location", location)], b"redirecting\n");
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        206 => "Partial Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        307 => "Temporary Redirect",
        400 => "Bad Request",
        404 => "Not Found",
        416 => "Range Not Satisfiable",
        _ => "Whatever",
    }
}

/// Wait (bounded) for a child and return its exit code and its stdout and stderr together.
fn finish(mut child: Child) -> (Option<i32>, String) {
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stdout.read_to_end(&mut bytes);
        bytes
    });
    let err = thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stderr.read_to_end(&mut bytes);
        bytes
    });
    let status = harness::wait_timeout(&mut child, WAIT);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.join().unwrap()),
        String::from_utf8_lossy(&err.join().unwrap())
    );
    (status.and_then(|s| s.code()), text)
}

/// A proxy on 127.0.0.1:0 that relays CONNECT tunnels (and absolute-form requests) and records
/// what each client sent through it: the proxy request and the first bytes tunnelled.
struct TestProxy {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<String>>>,
}

impl TestProxy {
    fn start() -> TestProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = Arc::clone(&seen);
        thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let record = Arc::clone(&record);
                thread::spawn(move || relay(client, &record));
            }
        });
        TestProxy { addr, seen }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

fn relay(mut client: TcpStream, record: &Mutex<Vec<String>>) {
    client.set_read_timeout(Some(WAIT)).unwrap();
    let Some(request) = read_request(&mut client) else {
        return;
    };
    let target = request.head.split(' ').nth(1).unwrap_or("").to_string();
    if request.head.starts_with("CONNECT ") {
        let Ok(mut upstream) = TcpStream::connect(&target) else {
            let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
            return;
        };
        upstream.set_read_timeout(Some(WAIT)).unwrap();
        let _ = client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
        // What the client sends through the tunnel: one request.
        let Some(inner) = read_request(&mut client) else {
            return;
        };
        record
            .lock()
            .unwrap()
            .push(format!("{}{}", request.head, inner.head));
        let _ = upstream.write_all(inner.head.as_bytes());
        let _ = upstream.write_all(&inner.body);
        let _ = std::io::copy(&mut upstream, &mut client);
    } else {
        record.lock().unwrap().push(request.head.clone());
        let Ok(url) = url::Url::parse(&target) else {
            return;
        };
        let host = format!(
            "{}:{}",
            url.host_str().unwrap(),
            url.port_or_known_default().unwrap()
        );
        let Ok(mut upstream) = TcpStream::connect(host) else {
            return;
        };
        upstream.set_read_timeout(Some(WAIT)).unwrap();
        let head = request.head.replacen(&target, url.path(), 1);
        let _ = upstream.write_all(head.as_bytes());
        let _ = upstream.write_all(&request.body);
        let _ = std::io::copy(&mut upstream, &mut client);
    }
}

/// A CA and a server certificate for `names`, made for one test.
struct Pki {
    ca_pem: String,
    chain: Vec<rustls::pki_types::CertificateDer<'static>>,
    key_der: Vec<u8>,
}

impl Pki {
    fn new(names: &[&str], expired: bool) -> Pki {
        use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
        let ca_key = KeyPair::generate().unwrap();
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "netlab test CA");
        let ca_cert = ca.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca, ca_key);
        let key = KeyPair::generate().unwrap();
        let mut leaf =
            CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
                .unwrap();
        if expired {
            leaf.not_before = rcgen::date_time_ymd(2001, 1, 1);
            leaf.not_after = rcgen::date_time_ymd(2002, 1, 1);
        }
        let cert = leaf.signed_by(&key, &issuer).unwrap();
        Pki {
            ca_pem: ca_cert.pem(),
            chain: vec![cert.der().clone()],
            key_der: key.serialize_der(),
        }
    }
}

/// An HTTPS server on 127.0.0.1:0 that answers every request with `body`.
struct TlsServer {
    addr: SocketAddr,
}

impl TlsServer {
    fn start(pki: &Pki, body: &'static [u8]) -> TlsServer {
        use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                pki.chain.clone(),
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pki.key_der.clone())),
            )
            .unwrap();
        let config = Arc::new(config);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        thread::spawn(move || {
            for tcp in listener.incoming().flatten() {
                let config = Arc::clone(&config);
                thread::spawn(move || {
                    tcp.set_read_timeout(Some(WAIT)).unwrap();
                    tcp.set_write_timeout(Some(WAIT)).unwrap();
                    let Ok(conn) = rustls::ServerConnection::new(config) else {
                        return;
                    };
                    let mut tls = rustls::StreamOwned::new(conn, tcp);
                    if read_request(&mut tls).is_some() {
                        respond(&mut tls, 200, &[], body);
                        tls.conn.send_close_notify();
                        let _ = tls.flush();
                    }
                });
            }
        });
        TlsServer { addr }
    }

    fn url(&self, path: &str) -> String {
        format!("https://{}{path}", self.addr)
    }
}

/// python3's http.server over a directory of files; skipped (None) without python3.
struct Python {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Python {
    fn serve(files: &[(&str, &str)]) -> Option<Python> {
        if !peer("python3") {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        for (name, contents) in files {
            std::fs::write(dir.path().join(name), contents).unwrap();
        }
        let mut child = Command::new("python3")
            .args([
                "-u",
                "-m",
                "http.server",
                "0",
                "--bind",
                "127.0.0.1",
                "--directory",
            ])
            .arg(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn python3");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            if let Some(Ok(line)) = lines.next() {
                let _ = tx.send(line);
            }
            for _ in lines {}
        });
        let line = match rx.recv_timeout(WAIT) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("python3 http.server said nothing within {WAIT:?}");
            }
        };
        // "Serving HTTP on 127.0.0.1 port 43117 (http://127.0.0.1:43117/) ..."
        let port = line
            .split(" port ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in {line:?}"));
        Some(Python {
            child,
            port,
            _dir: dir,
        })
    }

    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Python {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
