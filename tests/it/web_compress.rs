//! `netlab web` compressing on the fly (issue 15) against raw sockets: the coding each
//! `Accept-Encoding` gets (decoded here and compared with the file), what is never compressed,
//! ETags and conditionals per encoding, Range on the identity form, precompressed siblings,
//! `--no-compress`, and a changed file served fresh from the cache of compressed forms.

use std::io::Read;
use std::time::{Duration, SystemTime};

use crate::harness::{Lab, Server};
use crate::web::serve;
use crate::web::{Resp, request, settle};

/// A page of text that compresses well, `lines` lines long (about 40 bytes each).
fn text(lines: usize, tag: &str) -> String {
    (0..lines)
        .map(|i| format!("<li class=\"{tag}\">item {i} of {lines}</li>\n"))
        .collect()
}

/// A lab with a compressible page (8 KiB or so, settled so its compressed forms are kept).
fn lab() -> (Lab, String) {
    let lab = Lab::new();
    let page = text(200, "row");
    settle(&lab.write("site/page.html", &page));
    (lab, page)
}

/// `method target` with `Accept-Encoding: accepted` (none when empty) and `extra` header lines.
#[track_caller]
fn ask(server: &Server, method: &str, target: &str, accepted: &str, extra: &str) -> Resp {
    let coding = if accepted.is_empty() {
        String::new()
    } else {
        format!("Accept-Encoding: {accepted}\r\n")
    };
    request(
        server,
        format!("{method} {target} HTTP/1.1\r\nHost: t\r\n{coding}{extra}\r\n"),
    )
}

/// The body with its Content-Encoding undone.
#[track_caller]
fn decoded(resp: &Resp) -> String {
    let body = &resp.body[..];
    let mut out = Vec::new();
    match resp.header("Content-Encoding") {
        None => out.extend_from_slice(body),
        Some("gzip") => {
            flate2::read::GzDecoder::new(body)
                .read_to_end(&mut out)
                .unwrap();
        }
        Some("br") => {
            brotli::Decompressor::new(body, 4096)
                .read_to_end(&mut out)
                .unwrap();
        }
        Some("zstd") => out = zstd::stream::decode_all(body).unwrap(),
        Some(other) => panic!("unexpected Content-Encoding {other}"),
    }
    String::from_utf8(out).unwrap()
}

#[test]
fn web_compress_gives_each_coding_as_accepted() {
    let (lab, page) = lab();
    let server = serve(&lab, &[]);
    for (accepted, coding) in [
        ("gzip", "gzip"),
        ("br", "br"),
        ("zstd", "zstd"),
        ("x-gzip", "gzip"),
        // Equal weights: the server's order, br, zstd, gzip.
        ("gzip, deflate, br, zstd", "br"),
        ("gzip, zstd", "zstd"),
        ("br;q=0.5, gzip;q=1.0", "gzip"),
        ("gzip;q=0.2, zstd;q=0.8, br;q=0.4", "zstd"),
    ] {
        let resp = ask(&server, "GET", "/page.html", accepted, "");
        assert_eq!(resp.status, 200, "{accepted}");
        assert_eq!(resp.header("Content-Encoding"), Some(coding), "{accepted}");
        assert_eq!(resp.header("Vary"), Some("Accept-Encoding"), "{accepted}");
        assert_eq!(
            resp.header("Content-Type"),
            Some("text/html; charset=utf-8")
        );
        assert!(resp.body.len() < page.len() / 4, "{accepted}: not smaller");
        assert_eq!(decoded(&resp), page, "{accepted}");
    }
}

#[test]
fn web_compress_honours_refusals_and_identity() {
    let (lab, page) = lab();
    let server = serve(&lab, &[]);
    for (accepted, coding) in [
        ("gzip;q=0, br;q=0, zstd;q=0", None),
        ("br;q=0, *", Some("zstd")),
        ("*;q=0, gzip;q=0.1", Some("gzip")),
        ("*", Some("br")),
        // The client weighs identity above gzip.
        ("gzip;q=0.5, identity", None),
        ("deflate, compress", None),
        // Identity refused and nothing else taken: the header is disregarded (RFC 9110 §12.1).
        ("identity;q=0", None),
    ] {
        let resp = ask(&server, "GET", "/page.html", accepted, "");
        assert_eq!(resp.status, 200, "{accepted}");
        assert_eq!(resp.header("Content-Encoding"), coding, "{accepted}");
        assert_eq!(resp.header("Vary"), Some("Accept-Encoding"), "{accepted}");
        assert_eq!(decoded(&resp), page, "{accepted}");
    }
    // No Accept-Encoding: identity (from the small-file cache on the second ask), still Vary.
    for _ in 0..2 {
        let plain = ask(&server, "GET", "/page.html", "", "");
        assert_eq!(plain.header("Content-Encoding"), None);
        assert_eq!(plain.header("Vary"), Some("Accept-Encoding"));
        assert_eq!(plain.text(), page);
    }
}

#[test]
fn web_compress_leaves_small_binary_and_large_files_alone() {
    let (lab, _) = lab();
    lab.write("site/small.txt", "x".repeat(1024));
    let png: Vec<u8> = b"\x89PNG\r\n\x1a\n"
        .iter()
        .copied()
        .chain(std::iter::repeat_n(0, 8192))
        .collect();
    lab.write("site/image.png", &png);
    let large = text(30_000, "big");
    assert!(large.len() > 1024 * 1024);
    lab.write("site/large.txt", &large);
    let server = serve(&lab, &[]);
    for (target, len) in [
        ("/small.txt", 1024),
        ("/image.png", png.len()),
        ("/large.txt", large.len()),
    ] {
        let resp = ask(&server, "GET", target, "gzip, br, zstd", "");
        assert_eq!(resp.status, 200, "{target}");
        assert_eq!(resp.header("Content-Encoding"), None, "{target}");
        assert_eq!(resp.header("Vary"), None, "{target}");
        assert_eq!(resp.body.len(), len, "{target}");
    }
}

#[test]
fn web_compress_etag_per_encoding_and_conditionals() {
    let (lab, page) = lab();
    let server = serve(&lab, &[]);
    let identity = ask(&server, "GET", "/page.html", "", "");
    let gzip = ask(&server, "GET", "/page.html", "gzip", "");
    let br = ask(&server, "GET", "/page.html", "br", "");
    let tags: Vec<&str> = [&identity, &gzip, &br]
        .iter()
        .map(|r| r.header("ETag").unwrap())
        .collect();
    assert!(tags[0] != tags[1] && tags[1] != tags[2] && tags[0] != tags[2]);
    let stem = tags[0].trim_end_matches('"');
    assert_eq!(tags[1], format!("{stem}-gz\""));
    // The encoded ETag revalidates the encoded form …
    let match_gzip = format!("If-None-Match: {}\r\n", tags[1]);
    let fresh = ask(&server, "GET", "/page.html", "gzip", &match_gzip);
    assert_eq!(fresh.status, 304);
    assert_eq!(fresh.header("ETag"), Some(tags[1]));
    assert_eq!(fresh.header("Vary"), Some("Accept-Encoding"));
    // … and not another one.
    let other = ask(&server, "GET", "/page.html", "br", &match_gzip);
    assert_eq!(other.status, 200);
    assert_eq!(decoded(&other), page);
    let stale = ask(
        &server,
        "GET",
        "/page.html",
        "gzip",
        &format!("If-None-Match: {}\r\n", tags[0]),
    );
    assert_eq!((stale.status, decoded(&stale)), (200, page));
    // HEAD: the same head as GET, no body.
    let head = ask(&server, "HEAD", "/page.html", "gzip", "");
    for name in [
        "Content-Encoding",
        "Content-Length",
        "ETag",
        "Vary",
        "Content-Type",
    ] {
        assert_eq!(head.header(name), gzip.header(name), "{name}");
    }
    assert!(head.body.is_empty());
}

#[test]
fn web_compress_range_gets_the_identity_form() {
    let (lab, page) = lab();
    let server = serve(&lab, &[]);
    let resp = ask(
        &server,
        "GET",
        "/page.html",
        "gzip, br",
        "Range: bytes=0-9\r\n",
    );
    assert_eq!(resp.status, 206);
    assert_eq!(resp.header("Content-Encoding"), None);
    assert_eq!(resp.header("Vary"), Some("Accept-Encoding"));
    let total = page.len();
    assert_eq!(
        resp.header("Content-Range"),
        Some(format!("bytes 0-9/{total}").as_str())
    );
    assert_eq!(resp.text(), page[..10]);
}

#[test]
fn web_compress_precompressed_sibling_wins() {
    let (lab, page) = lab();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, b"from the sibling\n").unwrap();
    lab.write("site/page.html.gz", gz.finish().unwrap());
    let server = serve(&lab, &[]);
    // br is preferred, but only gzip was made in advance: the sibling is sent.
    let sibling = ask(&server, "GET", "/page.html", "br, gzip", "");
    assert_eq!(sibling.header("Content-Encoding"), Some("gzip"));
    assert_eq!(decoded(&sibling), "from the sibling\n");
    let dynamic = ask(&server, "GET", "/page.html", "br", "");
    assert_eq!(dynamic.header("Content-Encoding"), Some("br"));
    assert_eq!(decoded(&dynamic), page);
    // --no-compress keeps the siblings and compresses nothing itself.
    let server = serve(&lab, &["--no-compress"]);
    let sibling = ask(&server, "GET", "/page.html", "gzip", "");
    assert_eq!(decoded(&sibling), "from the sibling\n");
    let plain = ask(&server, "GET", "/page.html", "br, zstd", "");
    assert_eq!(plain.header("Content-Encoding"), None);
    assert_eq!(plain.text(), page);
}

#[test]
fn web_no_compress_sends_identity() {
    let (lab, page) = lab();
    let server = serve(&lab, &["--no-compress"]);
    let resp = ask(&server, "GET", "/page.html", "gzip, br, zstd", "");
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("Content-Encoding"), None);
    assert_eq!(resp.header("Vary"), None);
    assert_eq!(resp.text(), page);
}

#[test]
fn web_compress_serves_a_changed_file_fresh() {
    let (lab, page) = lab();
    let server = serve(&lab, &[]);
    for _ in 0..2 {
        let resp = ask(&server, "GET", "/page.html", "zstd", "");
        assert_eq!(decoded(&resp), page);
    }
    // Same size, new bytes, another (explicit, settled) mtime: the kept form is stale.
    let changed = page.replace("row", "new");
    assert_eq!(changed.len(), page.len());
    let path = lab.write("site/page.html", &changed);
    let file = std::fs::File::options().write(true).open(&path).unwrap();
    file.set_modified(SystemTime::now() - Duration::from_secs(120))
        .unwrap();
    let resp = ask(&server, "GET", "/page.html", "zstd", "");
    assert_eq!(resp.header("Content-Encoding"), Some("zstd"));
    assert_eq!(decoded(&resp), changed);
}

/// `fetch` undoes every coding `web` sends: br made on the fly (the server's first choice for
/// a text page), and zstd from a precompressed sibling, the one coding it has for that file.
#[test]
fn fetch_decodes_what_web_compresses() {
    let (lab, page) = lab();
    let data: Vec<u8> = (0..50_000u32).flat_map(|i| i.to_le_bytes()).collect();
    lab.write("site/data.bin", &data);
    let packed = zstd::encode_all(&data[..], 3).unwrap();
    settle(&lab.write("site/data.bin.zst", &packed));
    let server = serve(&lab, &[]);
    let base = server.base_url();
    let got = lab.cmd(["fetch", "-v", &format!("{base}/page.html")]).run();
    got.success().stdout_is(&page);
    got.stderr_has("Content-Encoding: br");
    let got = lab
        .cmd(["fetch", "-v", "-o", "data.bin", &format!("{base}/data.bin")])
        .run();
    got.success().stderr_has("Content-Encoding: zstd");
    assert_eq!(std::fs::read(lab.path().join("data.bin")).unwrap(), data);
}
