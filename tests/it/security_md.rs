//! SECURITY.md tells users every default address, limit and timeout. This test reads each table
//! row's key and value out of it and compares the value with the code (the CLI defaults from
//! `src/cli/`, the constants in `src/web/`), so the page cannot drift from the program; and it
//! drives the connection handler at the size limits, one byte under and one byte over.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use clap::Parser;

use netlab::cli::{Cli, Command};
use netlab::fuzzing::web::{conn, echo, events, files, knobs, range, request, server};
use netlab::fuzzing::{check_responses, serve_bytes};
use netlab::web;

/// A value as SECURITY.md writes it.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Number(u64),
    Bytes(u64),
    Time(Duration),
    Text(String),
}

fn parse_value(text: &str) -> Value {
    let text = text.trim();
    let number = |s: &str| s.trim().parse::<u64>().ok();
    if let Some(n) = text.strip_suffix(" KiB").and_then(number) {
        Value::Bytes(n * 1024)
    } else if let Some(n) = text.strip_suffix(" MiB").and_then(number) {
        Value::Bytes(n * 1024 * 1024)
    } else if let Some(n) = text.strip_suffix(" ms").and_then(number) {
        Value::Time(Duration::from_millis(n))
    } else if let Some(n) = text.strip_suffix(" s").and_then(number) {
        Value::Time(Duration::from_secs(n))
    } else if let Some(n) = number(text) {
        Value::Number(n)
    } else {
        Value::Text(text.to_string())
    }
}

/// Every table row whose last cell is a `key`: key → the value in the "Default" column.
fn documented() -> BTreeMap<String, Value> {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("SECURITY.md"))
        .expect("SECURITY.md exists");
    let mut rows = BTreeMap::new();
    let mut value_column = None;
    for line in text.lines() {
        let cells: Vec<&str> = line
            .trim()
            .trim_matches('|')
            .split('|')
            .map(str::trim)
            .collect();
        if cells.len() < 3 {
            value_column = None;
            continue;
        }
        if cells.last() == Some(&"Key") {
            // A table's header: the value is under "Default" (or "Default address").
            value_column = cells.iter().position(|c| c.starts_with("Default"));
            continue;
        }
        let Some(key) = cells
            .last()
            .and_then(|c| c.strip_prefix('`'))
            .and_then(|c| c.strip_suffix('`'))
        else {
            continue;
        };
        let column = value_column.expect("a keyed row under a header with a Default column");
        let previous = rows.insert(key.to_string(), parse_value(cells[column]));
        assert!(previous.is_none(), "SECURITY.md lists `{key}` twice");
    }
    rows
}

fn parse(args: &[&str]) -> Command {
    let mut argv = vec!["netlab"];
    argv.extend_from_slice(args);
    Cli::try_parse_from(argv).unwrap().command
}

/// What the code says, under the same keys.
fn actual() -> BTreeMap<String, Value> {
    let Command::Web(web_args) = parse(&["web"]) else {
        unreachable!()
    };
    let Command::Serve(serve) = parse(&["serve"]) else {
        unreachable!()
    };
    let Command::Connect(connect) = parse(&["connect", "127.0.0.1:1"]) else {
        unreachable!()
    };
    let Command::Fetch(fetch) = parse(&["fetch", "127.0.0.1:1"]) else {
        unreachable!()
    };
    // The defaults a Site gets without flags agree with the flags' defaults.
    let site = web::Site::new(web::Mode::Echo);
    assert_eq!(site.header_timeout, web_args.header_timeout);
    assert_eq!(site.keepalive_timeout, web_args.keepalive_timeout);
    assert_eq!(site.write_timeout, web_args.write_timeout);

    let bytes = |n: usize| Value::Bytes(n as u64);
    let count = |n: usize| Value::Number(n as u64);
    [
        ("web.host", Value::Text(web_args.host.to_string())),
        ("web.port", Value::Number(web_args.port.into())),
        ("serve.host", Value::Text(serve.host.to_string())),
        ("serve.port", Value::Number(serve.port.into())),
        ("web.request_line", bytes(request::MAX_REQUEST_LINE)),
        ("web.header_bytes", bytes(request::MAX_HEADER_BYTES)),
        ("web.header_count", count(request::MAX_HEADERS)),
        ("web.header_timeout", Value::Time(web_args.header_timeout)),
        (
            "web.keepalive_timeout",
            Value::Time(web_args.keepalive_timeout),
        ),
        ("web.write_timeout", Value::Time(web_args.write_timeout)),
        (
            "web.tls_handshake_timeout",
            Value::Time(web_args.tls.tls_handshake_timeout),
        ),
        ("web.max_conns", Value::Number(web_args.max_conns.into())),
        ("web.max_refusing", count(server::MAX_REFUSING)),
        ("web.backlog", Value::Number(web::BACKLOG.into())),
        ("web.discard_limit", Value::Bytes(conn::DISCARD_LIMIT)),
        ("web.linger_time", Value::Time(conn::LINGER_TIME)),
        ("web.linger_bytes", Value::Bytes(conn::LINGER_BYTES)),
        ("web.echo_body", Value::Bytes(echo::MAX_BODY)),
        ("web.not_found_page", Value::Bytes(knobs::MAX_NOT_FOUND)),
        ("web.range_specs", count(range::MAX_SPECS)),
        ("web.loop_turn", count(events::TURN)),
        ("web.stack", bytes(server::STACK_SIZE)),
        ("web.cache_file", bytes(files::MAX_CACHED_FILE)),
        ("web.cache_entries", count(files::MAX_CACHED_ENTRIES)),
        ("web.cache_bytes", bytes(files::MAX_CACHED_BYTES)),
        ("web.compress_file", Value::Bytes(files::MAX_ENCODED_FILE)),
        ("web.compress_files", count(files::MAX_ENCODED_FILES)),
        ("web.compress_bytes", bytes(files::MAX_ENCODED_BYTES)),
        ("web.drain_time", Value::Time(server::DRAIN_TIME)),
        ("serve.max_conns", Value::Number(serve.max_conns.into())),
        ("serve.backlog", Value::Number(serve.backlog.into())),
        ("serve.idle_timeout", Value::Time(serve.idle_timeout)),
        (
            "serve.tls_handshake_timeout",
            Value::Time(serve.tls.tls_handshake_timeout),
        ),
        ("connect.timeout", Value::Time(connect.timeout)),
        ("fetch.connect_timeout", Value::Time(fetch.connect_timeout)),
        ("fetch.idle_timeout", Value::Time(fetch.idle_timeout)),
        (
            "fetch.max_redirects",
            Value::Number(fetch.max_redirects.into()),
        ),
    ]
    .into_iter()
    .map(|(key, value)| (key.to_string(), value))
    .collect()
}

#[test]
fn security_md_numbers_match_the_code() {
    let documented = documented();
    let actual = actual();
    for (key, value) in &actual {
        match documented.get(key) {
            Some(doc) => assert_eq!(
                doc, value,
                "SECURITY.md `{key}` says {doc:?}, the code {value:?}"
            ),
            None => panic!("SECURITY.md has no row for `{key}` ({value:?})"),
        }
    }
    for key in documented.keys() {
        assert!(
            actual.contains_key(key),
            "SECURITY.md lists `{key}`, which this test does not check"
        );
    }
}

#[test]
fn security_md_says_servers_bind_loopback_by_default() {
    let documented = documented();
    for key in ["web.host", "serve.host"] {
        assert_eq!(documented[key], Value::Text("127.0.0.1".into()));
    }
}

// ---------------------------------------------------------------------------------------------
// The limits at their boundaries, through the connection handler
// ---------------------------------------------------------------------------------------------

use crate::harness::web_fixture as fixture;

/// The statuses of the responses to `input`, checked for framing.
fn statuses(site: &web::Site, input: &[u8]) -> Vec<u16> {
    let (out, _) = serve_bytes(site, input);
    check_responses(input, &out)
        .unwrap_or_else(|why| panic!("{why}"))
        .into_iter()
        .map(|r| r.status)
        .collect()
}

#[test]
fn security_md_request_line_limit_is_exact() {
    let (_dir, fx) = fixture();
    let line = |len: usize| {
        let fixed = "GET / HTTP/1.1".len();
        format!(
            "GET /{} HTTP/1.1\r\nHost: x\r\n\r\n",
            "a".repeat(len - fixed)
        )
    };
    assert_eq!(
        statuses(&fx.dir, line(request::MAX_REQUEST_LINE).as_bytes()),
        [404]
    );
    assert_eq!(
        statuses(&fx.dir, line(request::MAX_REQUEST_LINE + 1).as_bytes()),
        [414]
    );
}

#[test]
fn security_md_header_limits_are_exact() {
    let (_dir, fx) = fixture();
    // `Host: x\r\n` plus fields, CRLFs included, of `total` bytes in all.
    let with_fields = |total: usize| {
        let mut head = String::from("GET /a.txt HTTP/1.1\r\nHost: x\r\n");
        let filler = total - "Host: x\r\n".len() - "X: \r\n".len();
        head.push_str(&format!("X: {}\r\n\r\n", "a".repeat(filler)));
        head
    };
    let limit = request::MAX_HEADER_BYTES;
    assert_eq!(statuses(&fx.dir, with_fields(limit).as_bytes()), [200]);
    assert_eq!(statuses(&fx.dir, with_fields(limit + 1).as_bytes()), [431]);

    let with_count = |n: usize| {
        let mut head = String::from("GET /a.txt HTTP/1.1\r\nHost: x\r\n");
        for i in 1..n {
            head.push_str(&format!("X-{i}: y\r\n"));
        }
        head.push_str("\r\n");
        head
    };
    assert_eq!(
        statuses(&fx.dir, with_count(request::MAX_HEADERS).as_bytes()),
        [200]
    );
    assert_eq!(
        statuses(&fx.dir, with_count(request::MAX_HEADERS + 1).as_bytes()),
        [431]
    );
}

#[test]
fn security_md_echo_body_limit_is_exact() {
    let (_dir, fx) = fixture();
    let post = |n: u64| {
        let mut req =
            format!("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: {n}\r\n\r\n").into_bytes();
        req.resize(req.len() + n as usize, b'e');
        req
    };
    assert_eq!(statuses(&fx.echo, &post(echo::MAX_BODY)), [200]);
    assert_eq!(statuses(&fx.echo, &post(echo::MAX_BODY + 1)), [413]);
}

#[test]
fn security_md_discard_limit_keeps_or_closes_the_connection() {
    let (_dir, fx) = fixture();
    let post_then_get = |n: u64| {
        let mut req =
            format!("POST /a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: {n}\r\n\r\n").into_bytes();
        req.resize(req.len() + n as usize, b'p');
        req.extend_from_slice(b"GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n");
        req
    };
    // Up to the limit the body is read and thrown away and the next request is answered.
    assert_eq!(
        statuses(&fx.dir, &post_then_get(conn::DISCARD_LIMIT)),
        [405, 200]
    );
    // Over it, the answer comes and the connection closes.
    assert_eq!(
        statuses(&fx.dir, &post_then_get(conn::DISCARD_LIMIT + 1)),
        [405]
    );
}

#[test]
fn security_md_range_spec_limit_is_exact() {
    let specs = |n: usize| format!("bytes={}", vec!["2000-"; n].join(","));
    assert_eq!(
        range::parse_range(specs(range::MAX_SPECS).as_bytes(), 1000),
        range::Ranged::Unsatisfiable
    );
    assert_eq!(
        range::parse_range(specs(range::MAX_SPECS + 1).as_bytes(), 1000),
        range::Ranged::Full
    );
}
