//! `netlab web` with real clients: curl (resume, compressed, the notes' page), wget (resume),
//! python3's http.client (keep-alive), and headless Chromium (a listing of hostile names, a GBK
//! page).
//! Each test says "skipped" and passes when its peer is not installed, except under CI (`CI`
//! set), where a missing peer fails it: `.ci/run` installs them all.

use std::io::{Read, Write};
use std::process::{Command, Output, Stdio};

use crate::harness::{self, Lab, Server, WAIT, peer, peer_any};

/// Run a peer tool to completion, killed after the standard wait.
#[track_caller]
fn run(mut command: Command) -> Output {
    let description = format!("{command:?}");
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("spawn {description}: {err}"));
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stdout.read_to_end(&mut bytes);
        bytes
    });
    let err = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stderr.read_to_end(&mut bytes);
        bytes
    });
    let status = harness::wait_timeout(&mut child, WAIT)
        .unwrap_or_else(|| panic!("{description} did not finish within {WAIT:?}"));
    Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

#[track_caller]
fn ok(output: &Output, what: &str) {
    assert!(
        output.status.success(),
        "{what} failed: {}\nstdout: {}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 253) as u8).collect()
}

fn serve(lab: &Lab) -> Server {
    lab.server(["web", "site", "--port", "0"])
}

#[test]
fn web_curl_gets_the_notes_page_with_a_correct_length() {
    if !peer("curl") {
        return;
    }
    let lab = Lab::new();
    let page = "<html>\n<head>\n<title>hello socket programming</title>\n</head>\n<body>\nI'm Body\n</body>\n</html>\n";
    lab.write("page.html", page);
    // The notes' `--port 10001`, on a free port so tests never collide.
    let server = lab.server(["web", "--page", "page.html", "--port", "0"]);
    let mut curl = Command::new("curl");
    curl.args(["-sS", "-i", &format!("{}/", server.base_url())]);
    let out = run(curl);
    ok(&out, "curl -i");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    let length = format!("Content-Length: {}\r\n", page.len());
    assert!(text.contains(&length), "{text}");
    assert!(text.ends_with("</html>\n"), "{text}");
}

#[test]
fn web_curl_resumes_with_continue_at() {
    if !peer("curl") {
        return;
    }
    let lab = Lab::new();
    let data = pattern(3 << 20);
    lab.write("site/big.bin", &data);
    lab.write("partial.bin", &data[..1_234_567]);
    let server = serve(&lab);
    let mut curl = Command::new("curl");
    curl.current_dir(lab.path()).args([
        "-sS",
        "-f",
        "-C",
        "-",
        "-o",
        "partial.bin",
        &format!("{}/big.bin", server.base_url()),
    ]);
    ok(&run(curl), "curl -C -");
    assert!(std::fs::read(lab.path().join("partial.bin")).unwrap() == data);
    server.wait_for_line("\"GET /big.bin HTTP/1.1\" 206");
}

#[test]
fn web_curl_compressed_gets_the_precompressed_file() {
    if !peer("curl") {
        return;
    }
    let lab = Lab::new();
    let text = "function hello() { return 'precompressed'; }\n".repeat(50);
    lab.write("site/app.js", "not this one");
    lab.write("site/app.js.gz", gzip_stored(text.as_bytes()));
    let server = serve(&lab);
    let mut curl = Command::new("curl");
    curl.args([
        "-sS",
        "-f",
        "--compressed",
        &format!("{}/app.js", server.base_url()),
    ]);
    let out = run(curl);
    ok(&out, "curl --compressed");
    assert_eq!(String::from_utf8(out.stdout).unwrap(), text);
}

#[test]
fn web_wget_continues_a_download() {
    if !peer("wget") {
        return;
    }
    let lab = Lab::new();
    let data = pattern(2 << 20);
    lab.write("site/file.bin", &data);
    std::fs::create_dir(lab.path().join("dl")).unwrap();
    std::fs::write(lab.path().join("dl/file.bin"), &data[..700_001]).unwrap();
    let server = serve(&lab);
    let mut wget = Command::new("wget");
    wget.current_dir(lab.path().join("dl")).args([
        "-q",
        "-c",
        "--no-config",
        &format!("{}/file.bin", server.base_url()),
    ]);
    ok(&run(wget), "wget -c");
    assert!(std::fs::read(lab.path().join("dl/file.bin")).unwrap() == data);
    server.wait_for_line("\"GET /file.bin HTTP/1.1\" 206");
}

#[test]
fn web_python_http_client_keeps_the_connection() {
    if !peer("python3") {
        return;
    }
    let lab = Lab::new();
    lab.write("site/a.txt", "alpha\n");
    lab.write("site/b.txt", "beta\n");
    let server = serve(&lab);
    let addr = server.addr();
    let script = format!(
        r#"
import http.client
c = http.client.HTTPConnection("{ip}", {port}, timeout=10)
for path, want in [("/a.txt", b"alpha\n"), ("/b.txt", b"beta\n"), ("/a.txt", b"alpha\n")]:
    c.request("GET", path)
    r = c.getresponse()
    body = r.read()
    assert r.status == 200, r.status
    assert body == want, body
    assert r.getheader("Content-Type") == "text/plain; charset=utf-8"
c.request("HEAD", "/a.txt")
r = c.getresponse()
assert r.read() == b"" and r.getheader("Content-Length") == "6"
c.request("GET", "/missing")
r = c.getresponse(); r.read()
assert r.status == 404
c.request("GET", "/a.txt", headers={{"Range": "bytes=1-3"}})
r = c.getresponse()
assert r.status == 206 and r.read() == b"lph"
print("ok", c.sock.getsockname()[1])
"#,
        ip = addr.ip(),
        port = addr.port()
    );
    let mut python = Command::new("python3");
    python.args(["-c", &script]);
    let out = run(python);
    ok(&out, "python3 http.client");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let local_port = stdout.trim().strip_prefix("ok ").unwrap();
    // Every request came over the one connection.
    let (_, log) = server.stop();
    let lines: Vec<&str> = log
        .lines()
        .filter(|l| l.contains(&format!(" 127.0.0.1:{local_port} \"")))
        .collect();
    assert_eq!(lines.len(), 6, "{log}");
}

#[test]
fn web_chromium_renders_a_listing_of_hostile_names() {
    let Some(browser) = peer_any(&["chromium", "chromium-browser", "google-chrome"]) else {
        return;
    };
    let lab = Lab::new();
    let names = [
        "教程.txt",
        "a b&c.html",
        "<img>.txt",
        "50% off.txt",
        "x'y\".txt",
    ];
    for name in names {
        lab.write(&format!("site/{name}"), format!("content of {name}"));
    }
    lab.write("site/目录/inner.txt", "inner");
    let server = serve(&lab);
    let dom = dump_dom(browser, &lab, &format!("{}/", server.base_url()));
    // Every name is there, as text (escaped in the serialised DOM), never as markup.
    for (name, escaped) in [
        ("教程.txt", "教程.txt"),
        ("a b&c.html", "a b&amp;c.html"),
        ("<img>.txt", "&lt;img&gt;.txt"),
        ("50% off.txt", "50% off.txt"),
        ("x'y\".txt", "x'y\".txt"),
        ("目录/", "目录/"),
    ] {
        assert!(dom.contains(escaped), "{name} missing from the DOM:\n{dom}");
    }
    assert!(!dom.contains("<img>"), "a name became markup:\n{dom}");
    // Every link resolves to 200: the names, the column heads' three sort orders, and the
    // heading's breadcrumb to the root.
    let hrefs: Vec<&str> = dom
        .split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|href| *href != "../")
        .collect();
    assert_eq!(hrefs.len(), names.len() + 1 + 3 + 1, "{hrefs:?}");
    for href in hrefs {
        let href = href.replace("&amp;", "&");
        let target = if href.starts_with('/') {
            href.clone()
        } else {
            format!("/{href}")
        };
        let status = status_of(&server, &target);
        assert_eq!(status, 200, "{href}");
    }
}

/// Issue 13: `web` called a GBK page UTF-8, and Chromium showed mojibake; python's http.server
/// names no charset and the page's `<meta charset="gbk">` wins. So it must with `web`.
#[test]
fn web_chromium_reads_a_gbk_page_by_its_meta_charset() {
    let Some(browser) = peer_any(&["chromium", "chromium-browser", "google-chrome"]) else {
        return;
    };
    let lab = Lab::new();
    let page = "<html><head><meta charset=\"gbk\"><title>gbk</title></head>\
                <body><p id=\"t\">中文测试</p></body></html>\n";
    lab.write("site/gbk.html", encoding_rs::GBK.encode(page).0);
    let server = serve(&lab);
    let dom = dump_dom(browser, &lab, &format!("{}/gbk.html", server.base_url()));
    assert!(
        dom.contains("<p id=\"t\">中文测试</p>"),
        "the text is not 中文测试:\n{dom}"
    );
}

/// The DOM headless Chromium builds from `url`, serialised (`--dump-dom`), with a profile of
/// its own in the lab.
#[track_caller]
fn dump_dom(browser: &str, lab: &Lab, url: &str) -> String {
    dump_dom_with(browser, lab, url, &[])
}

/// [`dump_dom`] with more of chromium's flags (`--ignore-certificate-errors`).
#[track_caller]
pub(crate) fn dump_dom_with(browser: &str, lab: &Lab, url: &str, extra: &[&str]) -> String {
    let profile = lab.path().join("chromium-profile");
    let mut chromium = Command::new(browser);
    chromium.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        &format!("--user-data-dir={}", profile.display()),
        "--dump-dom",
    ]);
    chromium.args(extra).arg(url);
    let out = run(chromium);
    ok(&out, "chromium --dump-dom");
    String::from_utf8(out.stdout).expect("the DOM is UTF-8")
}

fn status_of(server: &Server, target: &str) -> u16 {
    let mut stream = server.connect();
    write!(
        stream,
        "GET {target} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = Vec::new();
    stream.read_to_end(&mut text).unwrap();
    String::from_utf8_lossy(&text)
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// A valid gzip member holding `data` in stored (uncompressed) deflate blocks: enough for a
/// client to decode, with no compressor needed in the tests.
fn gzip_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];
    let mut chunks = data.chunks(65_535).peekable();
    if chunks.peek().is_none() {
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    while let Some(chunk) = chunks.next() {
        out.push(u8::from(chunks.peek().is_none()));
        let len = chunk.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    out.extend_from_slice(&crc32(data).to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn gzip_helper_matches_python() {
    if !peer("python3") {
        return;
    }
    let lab = Lab::new();
    let path = lab.write("x.gz", gzip_stored(b"hello gzip\n"));
    let mut python = Command::new("python3");
    python.args([
        "-c",
        "import gzip,sys; sys.stdout.write(gzip.open(sys.argv[1]).read().decode())",
        path.to_str().unwrap(),
    ]);
    let out = run(python);
    ok(&out, "python3 gzip");
    assert_eq!(out.stdout, b"hello gzip\n");
}
