//! The whole engine driven in memory: requests in, bytes out, through [`conn::handle`] and a
//! [`Duplex`].

use super::conn::{self, ConnStats, Duplex};
use super::files::Root;
use super::{Mode, Page, Site};
use crate::cli::{Cli, Command};

fn site_dir() -> (tempfile::TempDir, Site) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), "alpha").unwrap();
    std::fs::write(dir.path().join("big.bin"), vec![1u8; 100_000]).unwrap();
    std::fs::create_dir(dir.path().join("d")).unwrap();
    let site = Site::new(Mode::Dir(Root::new(dir.path()).unwrap()));
    (dir, site)
}

/// `Site::new` is what `netlab web` makes of its flags' defaults: parsed by the whole command
/// line (not just `WebArgs`, as `Site::new` does), through `Site::from_args`.
#[test]
fn site_new_is_netlab_web_without_flags() {
    use clap::Parser;
    let Command::Web(args) = Cli::try_parse_from(["netlab", "web", "--echo"])
        .unwrap()
        .command
    else {
        unreachable!("`netlab web` parses as the web verb")
    };
    let from_cli = Site::from_args(&args).unwrap();
    assert_eq!(
        format!("{:?}", Site::new(Mode::Echo)),
        format!("{from_cli:?}")
    );
}

fn drive(site: &Site, input: &[u8]) -> (String, ConnStats) {
    let mut duplex = Duplex::new(input, Vec::new());
    let stats = conn::handle(&mut duplex, "memory", site, &|| false);
    (String::from_utf8_lossy(&duplex.output).into_owned(), stats)
}

#[test]
fn pipelined_requests_in_memory() {
    let (_dir, site) = site_dir();
    let (out, stats) = drive(
        &site,
        b"GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\nHEAD /d HTTP/1.1\r\nHost: x\r\n\r\nGET /big.bin HTTP/1.0\r\n\r\n",
    );
    assert_eq!(stats.requests, 3);
    assert!(out.starts_with("HTTP/1.1 200 OK\r\n"));
    assert!(out.contains("\r\n\r\nalpha"));
    assert!(out.contains("HTTP/1.1 301 Moved Permanently\r\n"));
    assert!(out.contains("Location: /d/\r\n"));
    assert!(out.contains("Content-Length: 100000\r\n"));
    assert!(out.ends_with(&"\u{1}".repeat(100_000)));
    assert_eq!(stats.bytes_out as usize, out.len());
}

#[test]
fn page_and_echo_in_memory() {
    let page = Page::new(b"<p>x</p>".to_vec(), std::path::Path::new("p.html"), 0);
    let site = Site::new(Mode::Page(page));
    let (out, _) = drive(&site, b"GET /whatever HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(out.contains("Content-Length: 8\r\n") && out.ends_with("<p>x</p>"));

    let site = Site::new(Mode::Echo);
    let req =
        b"POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\nabc";
    let (out, _) = drive(&site, req);
    assert!(out.starts_with("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"));
    assert!(out.ends_with(std::str::from_utf8(req).unwrap()));
}

#[test]
fn truncated_heads_and_bodies_end_quietly() {
    let (_dir, site) = site_dir();
    let (out, stats) = drive(&site, b"GET /a.txt HTTP/1.1\r\nHo");
    assert_eq!((out.as_str(), stats.requests), ("", 0));
    let echo = Site::new(Mode::Echo);
    let (out, _) = drive(
        &echo,
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab",
    );
    assert!(out.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{out}");
}

/// A cheap stand-in for a fuzzer: mutations of valid requests never panic and every answer
/// is a well-formed status line.
#[test]
fn mutated_requests_never_panic() {
    let (_dir, site) = site_dir();
    let echo = Site::new(Mode::Echo);
    let seeds: [&[u8]; 4] = [
        b"GET /a.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=1-2\r\nIf-None-Match: \"a\"\r\n\r\n",
        b"POST /d HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        b"GET /%2e%2e/d/?format=json HTTP/1.0\r\nAccept-Encoding: gzip\r\n\r\n",
        b"HEAD /big.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nzzGET / HTTP/1.1\r\nHost: y\r\n\r\n",
    ];
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for round in 0..3000 {
        let mut input = seeds[round % seeds.len()].to_vec();
        for _ in 0..(next() % 6) {
            if input.is_empty() {
                break;
            }
            let at = (next() as usize) % input.len();
            match next() % 4 {
                0 => input[at] = next() as u8,
                1 => {
                    input.remove(at);
                }
                2 => input.insert(at, b"\r\n%./\\:- 0"[(next() % 10) as usize]),
                _ => input.truncate(at.max(1)),
            }
        }
        for site in [&site, &echo] {
            let (out, _) = drive(site, &input);
            assert!(
                out.is_empty() || out.starts_with("HTTP/1.1 "),
                "{:?} gave {out:?}",
                String::from_utf8_lossy(&input)
            );
        }
    }
}
