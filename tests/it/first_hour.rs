//! Where a new user tripped in the first hour (issue 13), one test each, named for the item:
//! usage errors on one line, one wording per failure across verbs, errors before notes, zero
//! durations under one rule, counts written one way, the chart's panels.

use crate::harness::{Lab, WAIT};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};

/// A port on 127.0.0.1 where nothing listens (bound, then closed).
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[test]
fn usage_errors_are_one_line_with_the_hint() {
    let lab = Lab::new();
    let cases: &[(&[&str], &str)] = &[
        (
            &["serve", "--port", "99999"],
            "netlab: --port 99999: must be a port from 0 to 65535",
        ),
        (
            &["bench", "tcp", "127.0.0.1:1", "-n", "0"],
            "netlab: --count 0: must be at least 1",
        ),
        (
            &["web", "--max-conns", "0"],
            "netlab: --max-conns 0: must be at least 1",
        ),
        (
            &["serve", "--model", "threads"],
            "netlab: --model threads: must be one of serial, thread, pool, fork, poll (did you mean 'thread'?)",
        ),
        (
            &["serve", "--bogus"],
            "netlab: unexpected argument '--bogus' found; see 'netlab serve --help'",
        ),
        (
            &["fetch"],
            "netlab: the following required arguments were not provided: <URL>...; see 'netlab fetch \
             --help'",
        ),
        (
            &["serve", "--idle-timeout", "ten"],
            "netlab: --idle-timeout ten: must be a duration such as 10, 1.5, 500ms or 2m",
        ),
    ];
    for (args, expected) in cases {
        let run = lab.cmd(args.iter().copied()).run();
        run.expect_code(2);
        assert_eq!(run.stderr(), format!("{expected}\n"), "{}", run.context());
    }
    // --help is still the place for usage, on stdout, exit 0.
    lab.cmd(["serve", "--help"])
        .run()
        .success()
        .stdout_has("Usage: netlab serve");
}

#[test]
fn failures_read_the_same_in_every_verb() {
    let lab = Lab::new();
    let port = closed_port();
    let addr = format!("127.0.0.1:{port}");
    let url = format!("http://{addr}/");
    let refused = format!("connect {addr}: connection refused (is a server listening?)");
    for (args, code) in [
        (vec!["connect", addr.as_str()], 1),
        (vec!["fetch", url.as_str()], 7),
        (vec!["bench", "tcp", addr.as_str(), "-n", "1", "-q"], 1),
        (vec!["bench", "http", url.as_str(), "-n", "1", "-q"], 1),
    ] {
        lab.cmd(args).run().fails_with(code, &refused);
    }
    for (args, code) in [
        (vec!["connect", "nosuch.invalid:80"], 1),
        (vec!["fetch", "http://nosuch.invalid/"], 6),
        (vec!["bench", "tcp", "nosuch.invalid:80", "-n", "1"], 1),
        (
            vec!["bench", "http", "http://nosuch.invalid/", "-n", "1"],
            1,
        ),
    ] {
        lab.cmd(args)
            .run()
            .fails_with(code, "netlab: resolve nosuch.invalid: ");
    }
}

#[test]
fn a_timeout_reads_the_same_in_every_verb() {
    // A listener whose accept queue is full (backlog 0, never accepted): the kernel drops the
    // next handshake, so a connect gets no answer, on loopback, without any network.
    let listener =
        socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    listener
        .bind(
            &"127.0.0.1:0"
                .parse::<std::net::SocketAddr>()
                .unwrap()
                .into(),
        )
        .unwrap();
    listener.listen(0).unwrap();
    let addr = listener.local_addr().unwrap().as_socket().unwrap();
    let mut held = Vec::new();
    for _ in 0..4 {
        let client =
            socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        client.set_nonblocking(true).unwrap();
        let _ = client.connect(&addr.into());
        held.push(client);
    }
    let lab = Lab::new();
    let (target, url) = (addr.to_string(), format!("http://{addr}/"));
    let said = "no answer within 500ms (is the host up? is a firewall dropping packets? see";
    for (args, code, flag) in [
        (
            vec!["connect", &target, "--timeout", "0.5"],
            1,
            "--timeout)",
        ),
        (
            vec!["fetch", "--connect-timeout", "0.5", &url],
            28,
            "--connect-timeout)",
        ),
        (
            vec!["bench", "tcp", &target, "-n", "1", "--timeout", "0.5", "-q"],
            1,
            "--timeout)",
        ),
    ] {
        lab.cmd(args)
            .run()
            .fails_with(code, &format!("{said} {flag}"));
    }
    drop(held);
}

#[test]
fn no_os_error_numbers_in_any_message() {
    let lab = Lab::new();
    lab.write("site/page.txt", "hello\n");
    let web = lab.server(["web", "--port", "0", "site"]);
    let url = format!("{}/page.txt", web.base_url());
    let runs = [
        lab.cmd(["serve", "--port", "0", "--file", "/nonexistent"])
            .run(),
        lab.cmd(["web", "--port", "0", "/nonexistent"]).run(),
        lab.cmd(["web", "--port", "0", "--page", "/nonexistent"])
            .run(),
        lab.cmd(["fetch", "--cacert", "/nonexistent", "https://127.0.0.1:1/"])
            .run(),
        lab.cmd(["fetch", "-o", "/nonexistent/dir/x", &url]).run(),
    ];
    for run in &runs {
        assert_ne!(run.code(), Some(0), "{}", run.context());
        let stderr = run.stderr();
        assert!(!stderr.contains("(os error"), "{}", run.context());
        assert!(
            stderr.trim_end().ends_with("no such file or directory"),
            "{}",
            run.context()
        );
    }
}

#[test]
fn bench_reports_a_bad_target_before_any_note() {
    let lab = Lab::new();
    let run = lab.cmd(["bench", "tcp", "127.0.0.1:99999"]).run();
    run.expect_code(2);
    assert_eq!(
        run.stderr(),
        "netlab: 127.0.0.1:99999: `99999` is not a port (use 1 to 65535)\n",
        "{}",
        run.context()
    );
}

#[test]
fn bench_compare_checks_the_svg_path_before_measuring() {
    let lab = Lab::new();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let target = listener.local_addr().unwrap().to_string();
    let run = lab
        .cmd([
            "bench",
            "compare",
            "--target",
            &target,
            "-d",
            "30s",
            "--svg",
            "/nonexistent/x.svg",
        ])
        .run();
    run.fails_with(2, "--svg /nonexistent/x.svg: no such file or directory");
    assert_eq!(run.stderr().lines().count(), 1, "{}", run.context());
    // Nothing was measured: no connection reached the target.
    listener.set_nonblocking(true).unwrap();
    assert!(listener.accept().is_err(), "bench connected before failing");
}

#[test]
fn bench_compare_keeps_a_good_chart_when_a_run_fails_and_leaves_no_temporary() {
    let lab = Lab::new();
    let good = lab.write("chart.svg", "<svg>the good one</svg>");
    let port = closed_port();
    let target = format!("127.0.0.1:{port}");
    lab.cmd([
        "bench",
        "compare",
        "--target",
        &target,
        "-n",
        "1",
        "--svg",
        "chart.svg",
        "-q",
    ])
    .run()
    .expect_code(1);
    let names: Vec<String> = std::fs::read_dir(lab.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["chart.svg"], "a temporary file was left: {names:?}");
    // The run failed after measuring (every connection refused); the chart it drew replaced
    // the old one only as a whole file.
    let now = std::fs::read_to_string(&good).unwrap();
    assert!(now.starts_with("<svg"), "{now}");
}

#[test]
fn urldecode_get_with_an_empty_parameter_name_is_a_usage_error() {
    let lab = Lab::new();
    for part in ["param:", "param-all:"] {
        lab.cmd(["urldecode", "--get", part, "https://x/?a=1"])
            .run()
            .fails_with(2, "needs a parameter name");
    }
}

#[test]
fn connect_unix_to_a_regular_file_says_it_is_not_a_socket() {
    let lab = Lab::new();
    let file = lab.write("plain.txt", "not a socket");
    lab.cmd(["connect", "--unix", file.to_str().unwrap()])
        .run()
        .fails_with(2, "the path exists and is not a socket");
}

#[test]
fn connect_help_names_its_argument_as_it_is_written() {
    let lab = Lab::new();
    let run = lab.cmd(["connect", "--help"]).run();
    run.success().stdout_has("HOST[:PORT]");
    assert!(!run.stdout().contains("TARGET"), "{}", run.context());
}

#[test]
fn url_verbs_say_they_read_stdin_on_a_terminal() {
    let lab = Lab::new();
    for verb in ["urldecode", "urlencode"] {
        let Some(run) = lab.in_terminal(&[verb]) else {
            return;
        };
        run.success().stdout_has(&format!(
            "netlab {verb}: reading stdin, a line at a time (Ctrl-D to end)"
        ));
        // From a pipe, nothing is said.
        lab.cmd([verb])
            .stdin("a%20b\n")
            .run()
            .success()
            .stderr_empty();
    }
}

#[test]
fn zero_durations_follow_one_rule() {
    let lab = Lab::new();
    // Refused, with the reason: a run's length and a server's guards.
    for (args, flag) in [
        (
            vec!["bench", "tcp", "127.0.0.1:1", "-d", "0"],
            "--duration 0",
        ),
        (vec!["web", "--header-timeout", "0"], "--header-timeout 0"),
        (vec!["web", "--write-timeout", "0"], "--write-timeout 0"),
    ] {
        lab.cmd(args)
            .run()
            .fails_with(2, &format!("{flag}: must be more than 0"));
    }
    // 0 is "no limit" for a client's timeouts and serve's idle timeout.
    lab.write("site/a.txt", "A");
    let web = lab.server(["web", "--port", "0", "site", "--keepalive-timeout", "0"]);
    let url = format!("{}/a.txt", web.base_url());
    lab.cmd([
        "fetch",
        "--connect-timeout",
        "0",
        "--idle-timeout",
        "0",
        "--timeout",
        "0",
        &url,
    ])
    .run()
    .success()
    .stdout_is("A");
    let serve = lab.server(["serve", "--port", "0", "--idle-timeout", "0"]);
    lab.cmd([
        "connect",
        &serve.addr().to_string(),
        "--timeout",
        "0",
        "--idle-timeout",
        "0",
    ])
    .run()
    .success()
    .stdout_has("Thank you for connecting");

    // web --keepalive-timeout 0 turns keep-alive off, as nginx's keepalive_timeout 0 does.
    let mut stream = TcpStream::connect(web.addr()).unwrap();
    stream.set_read_timeout(Some(WAIT)).unwrap();
    stream
        .write_all(b"GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("connection: close"),
        "{answer}"
    );
}

#[test]
fn counts_are_written_with_thousands_separators_everywhere() {
    let lab = Lab::new();
    let serve = lab.server(["serve", "--port", "0", "-q"]);
    let addr = serve.addr().to_string();
    let bench = lab
        .cmd(["bench", "tcp", &addr, "-n", "1000", "-c", "4"])
        .run();
    bench.success();
    assert!(bench.stdout().contains("1,000"), "{}", bench.context());
    let (status, log) = serve.stop();
    assert!(status.success() || status.code() == Some(0), "{log}");
    assert!(
        log.contains("stopped: 1,000 connections"),
        "serve's summary: {log}"
    );
    // --json keeps plain numbers.
    let serve = lab.server(["serve", "--port", "0", "-q"]);
    let json = lab
        .cmd([
            "bench",
            "tcp",
            &serve.addr().to_string(),
            "-n",
            "1000",
            "--json",
        ])
        .run();
    json.success().stdout_has("1000");
    assert!(!json.stdout().contains("1,000"), "{}", json.context());
}

#[test]
fn svg_chart_has_a_panel_per_unit_and_whole_numbers_on_its_axes() {
    let lab = Lab::new();
    lab.write("site/a.txt", "A");
    let web = lab.server(["web", "--port", "0", "site", "-q"]);
    let serve = lab.server(["serve", "--port", "0", "-q"]);
    let http = format!("{}/a.txt", web.base_url());
    let tcp = serve.addr().to_string();
    lab.cmd([
        "bench",
        "compare",
        "--target",
        &http,
        "--target",
        &tcp,
        "-n",
        "200",
        "-c",
        "2",
        "--svg",
        "chart.svg",
    ])
    .run()
    .success();
    let svg = std::fs::read_to_string(lab.path().join("chart.svg")).unwrap();
    // Each unit labels one axis of its own.
    let all = texts(&svg);
    let count = |wanted: &str| all.iter().filter(|text| *text == wanted).count();
    assert_eq!(count("req/s"), 1, "{all:?}");
    assert_eq!(count("conn/s"), 1, "{all:?}");
    assert_eq!(count("per second"), 0, "{all:?}");
    // Every tick label is a whole number: text that is digits and commas, or a figure.
    for text in texts(&svg) {
        let plain = text.replace(',', "");
        if let Ok(value) = plain.parse::<f64>() {
            assert!(
                value.fract() == 0.0 || text.contains('.') && value < 100.0,
                "a tick label that is not whole: {text}"
            );
        }
    }
    // A bar's figure starts right of its bar's end.
    let bars = rects(&svg);
    assert_eq!(bars.len(), 2, "{svg}");
    for (x, y, width, height) in bars {
        let figure = text_positions(&svg)
            .into_iter()
            .find(|(tx, ty, _)| *ty > y && *ty < y + height && *tx > x)
            .unwrap_or_else(|| panic!("no figure beside the bar at {x},{y}: {svg}"));
        assert!(
            figure.0 >= x + width + 4,
            "figure {figure:?} on the bar's end at {}",
            x + width
        );
    }
}

/// The text of every `<text>` element.
fn texts(svg: &str) -> Vec<String> {
    text_positions(svg)
        .into_iter()
        .map(|(_, _, text)| text)
        .collect()
}

/// `(x, y, text)` of every `<text …>` element.
fn text_positions(svg: &str) -> Vec<(i64, i64, String)> {
    let mut out = Vec::new();
    for piece in svg.split("<text").skip(1) {
        let Some((attrs, rest)) = piece.split_once('>') else {
            continue;
        };
        let text = rest
            .split("</text>")
            .next()
            .unwrap_or("")
            .trim()
            .to_string();
        if let (Some(x), Some(y)) = (attr(attrs, "x"), attr(attrs, "y")) {
            out.push((x, y, text));
        }
    }
    out
}

/// `(x, y, width, height)` of every bar (`<rect>` in the bar colour).
fn rects(svg: &str) -> Vec<(i64, i64, i64, i64)> {
    svg.split("<rect")
        .skip(1)
        .filter(|piece| piece.contains(r##"fill="#3B6EA8""##))
        .filter_map(|piece| {
            Some((
                attr(piece, "x")?,
                attr(piece, "y")?,
                attr(piece, "width")?,
                attr(piece, "height")?,
            ))
        })
        .collect()
}

fn attr(attrs: &str, name: &str) -> Option<i64> {
    let start = attrs.find(&format!(" {name}=\""))? + name.len() + 3;
    let value = &attrs[start..];
    let value = &value[..value.find('"')?];
    value.parse::<f64>().ok().map(|v| v as i64)
}

#[test]
fn readme_says_how_to_put_netlab_on_the_path_and_install_its_pages() {
    let readme = include_str!("../../README.md");
    let two = readme
        .split("## The two commands")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("a section called The two commands");
    for needed in [
        "cargo install --locked\n--path .",
        "target/release/netlab",
        "two minutes",
        "second, debug profile",
    ] {
        assert!(two.contains(needed), "The two commands lacks {needed:?}");
    }
    let pages = readme
        .split("## Completions and man pages")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("a section on completions and man pages");
    for needed in [
        "man/*.1",
        "completions/netlab.bash",
        "completions/netlab.fish",
    ] {
        assert!(pages.contains(needed), "the pages section lacks {needed:?}");
    }
}

/// Run by `skipped_tests_are_listed_when_the_test_binary_ends`, not by `cargo test`.
#[test]
#[ignore = "a probe for the skip summary, run by another test"]
fn skip_summary_probe() {
    crate::harness::skip("the probe's own reason");
}

#[test]
fn skipped_tests_are_listed_when_the_test_binary_ends() {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "first_hour::skip_summary_probe"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "1 test(s) skipped:\n    first_hour::skip_summary_probe: the probe's own reason"
        ),
        "{stderr}"
    );
}
