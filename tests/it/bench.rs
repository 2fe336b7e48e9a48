//! `netlab bench` against real servers on loopback: `netlab web` and `netlab serve`, and tiny
//! servers written here that misbehave on purpose (close early, answer half, never answer).
//! Each test checks a count the server saw or an error the bench had to report.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use serde_json::Value;

use crate::harness::{self, Lab, Run};

/// A server on 127.0.0.1:0 written for one test: a thread accepts for ever and hands each
/// connection, with its number, to `handle`. It counts the connections it accepted.
pub(crate) struct TinyServer {
    addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
}

impl TinyServer {
    pub(crate) fn start(handle: impl Fn(usize, TcpStream) + Send + 'static) -> TinyServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a test server");
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = Arc::clone(&accepted);
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let index = count.fetch_add(1, Ordering::SeqCst);
                stream.set_read_timeout(Some(harness::WAIT)).unwrap();
                handle(index, stream);
            }
        });
        TinyServer { addr, accepted }
    }

    fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    pub(crate) fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }
}

/// Read a request head (up to the blank line).
fn read_head(stream: &mut TcpStream) {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    while reader.read_line(&mut line).is_ok_and(|n| n > 0) {
        if line == "\r\n" {
            return;
        }
        line.clear();
    }
}

/// The `--json` summary on stdout.
#[track_caller]
fn summary(run: &Run) -> Value {
    serde_json::from_slice(&run.stdout)
        .unwrap_or_else(|err| panic!("stdout is not JSON: {err}\n{}", run.context()))
}

#[track_caller]
fn error_count(summary: &Value, kind: &str) -> u64 {
    summary["errors"][kind]
        .as_u64()
        .unwrap_or_else(|| panic!("no errors.{kind} in {summary}"))
}

// --- exact counts -------------------------------------------------------------------------------

#[test]
fn bench_http_n_1000_makes_exactly_1000_requests_to_web() {
    let lab = Lab::new();
    lab.write("site/page.html", "<h1>hello</h1>\n");
    let server = lab.server(["web", "site", "--port", "0"]);
    let url = format!("{}/page.html", server.base_url());
    let run = lab
        .cmd(["bench", "http", &url, "-n", "1000", "-c", "8", "--json"])
        .run();
    run.success();
    let json = summary(&run);
    assert_eq!(json["count"], 1000, "{json}");
    assert_eq!(json["failed"], 0, "{json}");
    assert_eq!(json["status"]["200"], 1000, "{json}");
    // Every response is the same size, so bytes is a multiple of it.
    let bytes = json["bytes"].as_u64().unwrap();
    assert!(bytes > 1000 * 15 && bytes.is_multiple_of(1000), "{json}");

    let (status, log) = server.stop();
    assert!(status.success(), "{log}");
    let requests = log
        .lines()
        .filter(|line| line.contains("\"GET /page.html HTTP/1.1\" 200"))
        .count();
    assert_eq!(requests, 1000, "access log:\n{log}");
}

#[test]
fn bench_tcp_n_1000_makes_exactly_1000_connections() {
    let server = TinyServer::start(|_, mut stream| {
        let _ = stream.write_all(b"Thank you for connecting");
    });
    let lab = Lab::new();
    let addr = server.addr.to_string();
    let run = lab
        .cmd(["bench", "tcp", &addr, "-n", "1000", "-c", "16", "--json"])
        .run();
    run.success();
    let json = summary(&run);
    assert_eq!(json["count"], 1000, "{json}");
    assert_eq!(json["bytes"], 24 * 1000, "{json}");
    assert_eq!(server.accepted(), 1000);
}

#[test]
fn bench_tcp_n_1000_against_serve_matches_its_summary() {
    let lab = Lab::new();
    let server = lab.server(["serve", "--port", "0", "--quiet"]);
    let addr = server.addr().to_string();
    let run = lab
        .cmd([
            "bench",
            "tcp",
            &addr,
            "-n",
            "1000",
            "--expect",
            "Thank you for connecting",
            "--json",
        ])
        .run();
    run.success();
    assert_eq!(summary(&run)["count"], 1000);
    let (status, log) = server.stop();
    assert!(status.success(), "{log}");
    assert!(log.contains("stopped: 1,000 connections,"), "{log}");
}

#[test]
fn warmup_is_extra_load_not_counted() {
    let lab = Lab::new();
    lab.write("site/a.txt", "a");
    let server = lab.server(["web", "site", "--port", "0"]);
    let url = format!("{}/a.txt", server.base_url());
    let run = lab
        .cmd([
            "bench", "http", &url, "-n", "50", "-c", "2", "--warmup", "150ms", "--json",
        ])
        .run();
    run.success();
    assert_eq!(summary(&run)["count"], 50);
    let (_, log) = server.stop();
    let requests = log.lines().filter(|l| l.contains("\"GET /a.txt")).count();
    assert!(requests > 50, "the warm-up made no requests: {requests}");
}

// --- failures -----------------------------------------------------------------------------------

#[test]
fn server_down_is_exit_1_with_one_clear_line() {
    let addr = format!("127.0.0.1:{}", harness::closed_port());
    let lab = Lab::new();
    let run = lab.cmd(["bench", "tcp", &addr, "-d", "5s"]).run();
    run.fails_with(1, "no connection succeeded");
    run.stderr_has("refused");
    run.stderr_has(&format!(
        "connect {addr}: connection refused (is a server listening?)"
    ));
    run.stdout_has("refused");

    let url = format!("http://{addr}/");
    let run = lab
        .cmd(["bench", "http", &url, "-n", "100", "--json"])
        .run();
    run.fails_with(1, "no request succeeded");
    assert!(error_count(&summary(&run), "refused") > 0);
}

#[test]
fn server_closing_before_answering_counts_closed_early() {
    let server = TinyServer::start(|_, mut stream| {
        read_head(&mut stream);
        // Dropped: FIN without a byte of answer.
    });
    let lab = Lab::new();
    let run = lab
        .cmd([
            "bench",
            "http",
            &server.url(),
            "-n",
            "20",
            "-c",
            "2",
            "--json",
        ])
        .run();
    run.fails_with(1, "closed the connection before the answer was complete");
    let json = summary(&run);
    assert_eq!(error_count(&json, "closed_early"), 20, "{json}");
    assert_eq!(json["count"], 0);
    assert_eq!(
        server.accepted(),
        20,
        "each failure costs one new connection"
    );
}

#[test]
fn half_responses_are_errors_and_whole_ones_still_count() {
    let server = TinyServer::start(|index, mut stream| {
        read_head(&mut stream);
        let answer: &[u8] = if index % 2 == 0 {
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
        } else {
            b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\nConnection: close\r\n\r\nabc"
        };
        let _ = stream.write_all(answer);
    });
    let lab = Lab::new();
    let run = lab
        .cmd([
            "bench",
            "http",
            &server.url(),
            "-n",
            "10",
            "-c",
            "2",
            "--no-keepalive",
            "--json",
        ])
        .run();
    run.success();
    let json = summary(&run);
    assert_eq!(json["count"], 5, "{json}");
    assert_eq!(error_count(&json, "closed_early"), 5, "{json}");
    assert_eq!(json["status"]["200"], 5, "{json}");
}

#[test]
fn garbage_answer_is_a_bad_response() {
    let server = TinyServer::start(|_, mut stream| {
        read_head(&mut stream);
        let _ = stream.write_all(b"SSH-2.0-OpenSSH_9.6\r\n\r\n");
    });
    let lab = Lab::new();
    let run = lab
        .cmd([
            "bench",
            "http",
            &server.url(),
            "-n",
            "4",
            "-c",
            "1",
            "--json",
        ])
        .run();
    run.fails_with(1, "not a valid HTTP response");
    assert_eq!(error_count(&summary(&run), "bad_response"), 4);
}

#[test]
fn silent_server_is_a_timeout() {
    let held = Arc::new(std::sync::Mutex::new(Vec::new()));
    let keep = Arc::clone(&held);
    let server = TinyServer::start(move |_, stream| keep.lock().unwrap().push(stream));
    let lab = Lab::new();
    let addr = server.addr.to_string();
    let run = lab
        .cmd([
            "bench",
            "tcp",
            &addr,
            "-n",
            "3",
            "-c",
            "3",
            "--timeout",
            "200ms",
            "--json",
        ])
        .run();
    run.fails_with(1, "no answer within 200ms");
    assert_eq!(error_count(&summary(&run), "timeout"), 3);
}

#[test]
fn expect_mismatch_is_counted_by_kind() {
    let server = TinyServer::start(|index, mut stream| {
        let greeting: &[u8] = if index % 4 == 0 {
            b"Thank you"
        } else {
            b"Thank you for connecting"
        };
        let _ = stream.write_all(greeting);
    });
    let lab = Lab::new();
    let addr = server.addr.to_string();
    let run = lab
        .cmd([
            "bench",
            "tcp",
            &addr,
            "-n",
            "40",
            "--expect",
            "Thank you for connecting",
            "--json",
        ])
        .run();
    run.success();
    let json = summary(&run);
    assert_eq!(json["count"], 30, "{json}");
    assert_eq!(error_count(&json, "expect_mismatch"), 10, "{json}");
}

#[test]
fn send_goes_out_then_half_closes() {
    // An echo server that answers only once the client has finished sending.
    let server = TinyServer::start(|_, mut stream| {
        let mut got = Vec::new();
        let _ = stream.read_to_end(&mut got);
        let _ = stream.write_all(&got);
    });
    let lab = Lab::new();
    let addr = server.addr.to_string();
    let run = lab
        .cmd([
            "bench", "tcp", &addr, "-n", "10", "--send", r"ping\n", "--expect", r"ping\n", "--json",
        ])
        .run();
    run.success();
    assert_eq!(summary(&run)["count"], 10);
}

// --- output -------------------------------------------------------------------------------------

#[test]
fn json_summary_has_every_field() {
    let server = TinyServer::start(|_, mut stream| {
        let _ = stream.write_all(b"hi");
    });
    let lab = Lab::new();
    let addr = server.addr.to_string();
    let run = lab
        .cmd(["bench", "tcp", &addr, "-d", "200ms", "-c", "2", "--json"])
        .run();
    run.success().stderr_empty();
    let json = summary(&run);
    let count = json["count"].as_u64().unwrap();
    assert!(count > 0, "{json}");
    let rate = json["rate"].as_f64().unwrap();
    let secs = json["duration_secs"].as_f64().unwrap();
    assert!((0.15..=0.3).contains(&secs), "{json}");
    assert!(
        (rate - count as f64 / secs).abs() <= rate * 0.01 + 0.1,
        "{json}"
    );
    assert_eq!(json["bytes"].as_u64(), Some(2 * count));
    for kind in [
        "refused",
        "reset",
        "timeout",
        "closed_early",
        "expect_mismatch",
        "bad_response",
    ] {
        assert_eq!(error_count(&json, kind), 0);
    }
    let latency = &json["latency_us"];
    let values: Vec<u64> = ["min", "p50", "p90", "p99", "max"]
        .iter()
        .map(|key| {
            latency[key]
                .as_u64()
                .unwrap_or_else(|| panic!("latency_us.{key}: {json}"))
        })
        .collect();
    assert!(values.windows(2).all(|w| w[0] <= w[1]), "{json}");
    assert!(json.get("status").is_none(), "tcp has no status: {json}");
}

/// Every name (at any depth) of `value` that is not a number (status codes are keys too).
fn json_names(value: &Value, names: &mut std::collections::BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                if key.parse::<u16>().is_err() {
                    names.insert(key.clone());
                }
                json_names(inner, names);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| json_names(item, names)),
        _ => {}
    }
}

#[test]
fn every_json_name_is_in_the_help_and_the_man_page() {
    let server = TinyServer::start(|_, mut stream| {
        read_head(&mut stream);
        let _ = stream
            .write_all(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok");
    });
    let lab = Lab::new();
    lab.write("two.txt", "GET /a\nGET /b\n");
    let url = server.url();
    let run = lab
        .cmd([
            "bench",
            "http",
            &url,
            "--requests",
            "two.txt",
            "-n",
            "6",
            "-c",
            "1",
            "--rate",
            "1000",
            "--json",
            "--save",
            "saved.json",
        ])
        .run();
    run.success();
    let mut names = std::collections::BTreeSet::new();
    json_names(&summary(&run), &mut names);
    let saved: Value =
        serde_json::from_slice(&std::fs::read(lab.path().join("saved.json")).unwrap()).unwrap();
    json_names(&saved, &mut names);
    for must in [
        "requests_lines",
        "target_rate",
        "uncorrected",
        "connections_used",
        "seconds",
    ] {
        assert!(names.contains(must), "{must} not in {names:?}");
    }
    let help = lab.cmd(["bench", "http", "--help"]).run().stdout();
    let man = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("man/netlab-bench-http.1"),
    )
    .unwrap()
    .replace("\\-", "-")
    .replace("\\(aq", "'");
    for name in &names {
        // `name`, "name", or a part of a dotted `latency.corrected`.
        let quoted = [
            format!("`{name}`"),
            format!("\"{name}\""),
            format!(".{name}`"),
            format!("`{name}."),
        ];
        assert!(
            quoted.iter().any(|q| help.contains(q.as_str())),
            "--json's help does not name {name}"
        );
        assert!(
            man.contains(name.as_str()),
            "the man page does not name {name}"
        );
    }
}

#[test]
fn text_summary_lists_rate_status_errors_and_latency() {
    let lab = Lab::new();
    lab.write("site/a.txt", "a");
    let server = lab.server(["web", "site", "--port", "0", "--quiet"]);
    let url = format!("{}/missing", server.base_url());
    let run = lab
        .cmd(["bench", "http", &url, "-n", "20", "-c", "2"])
        .run();
    run.success()
        .stdout_has("requests     20 in ")
        .stdout_has("status       404: 20")
        .stdout_has("errors       none")
        .stdout_has("p99")
        .stderr_has("2 connections on 2 threads, 20 requests");
}

#[test]
fn progress_shows_on_a_terminal_only() {
    let server = TinyServer::start(|_, mut stream| {
        let _ = stream.write_all(b"hi");
    });
    let lab = Lab::new();
    let addr = server.addr.to_string();
    let args = ["bench", "tcp", addr.as_str(), "-d", "500ms", "-c", "2"];
    let plain = lab.cmd(args).run();
    plain.success();
    assert!(!plain.stderr().contains('\r'), "{}", plain.context());
    let Some(terminal) = lab.in_terminal(&args) else {
        return;
    };
    terminal
        .success()
        .stdout_has("\r\x1b[K")
        .stdout_has("conn/s");
}

// --- compare ------------------------------------------------------------------------------------

#[test]
fn compare_targets_prints_a_row_each_and_writes_the_svg() {
    let fast = TinyServer::start(|_, mut stream| {
        let _ = stream.write_all(b"fast");
    });
    let slow = TinyServer::start(|_, mut stream| {
        thread::sleep(std::time::Duration::from_millis(2));
        let _ = stream.write_all(b"slow");
    });
    let lab = Lab::new();
    let (a, b) = (fast.addr.to_string(), slow.addr.to_string());
    let run = lab
        .cmd([
            "bench",
            "compare",
            "--target",
            &a,
            "--target",
            &b,
            "-n",
            "100",
            "-c",
            "2",
            "--svg",
            "chart.svg",
        ])
        .run();
    run.success();
    let stdout = run.stdout();
    let rows: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with(&a) || l.starts_with(&b))
        .collect();
    // One table row and one bar for each.
    assert_eq!(rows.len(), 4, "{}", run.context());
    assert!(stdout.contains('█'), "{stdout}");
    assert_eq!(fast.accepted(), 100);
    assert_eq!(slow.accepted(), 100);

    let svg = std::fs::read_to_string(lab.path().join("chart.svg")).expect("chart written");
    assert!(svg.starts_with("<svg"), "{svg}");
    assert!(svg.contains(&a) && svg.contains(&b), "{svg}");
    assert_eq!(svg.matches(r##"fill="#3B6EA8""##).count(), 2, "{svg}");
    // Below the bars, a latency histogram per target.
    assert!(
        svg.contains(&format!("latency of {a}")) && svg.contains(&format!("latency of {b}")),
        "{svg}"
    );
}

/// The buckets an SVG's `<desc>` lists: `(low, high, count)`, the bounds as the summary prints
/// them (`100 µs`), after its `latency of …: N exchanges` line (N returned too).
fn svg_buckets(svg: &str) -> (u64, Vec<(String, String, u64)>) {
    let desc = svg
        .split_once("<desc>")
        .and_then(|(_, rest)| rest.split_once("</desc>"))
        .map(|(desc, _)| desc)
        .unwrap_or_else(|| panic!("no <desc> in {svg}"));
    let total = desc
        .lines()
        .find_map(|line| line.strip_prefix("latency of "))
        .and_then(|line| line.rsplit_once(": "))
        .and_then(|(_, n)| n.strip_suffix(" exchanges"))
        .map(|n| n.replace(',', "").parse().unwrap())
        .unwrap_or_else(|| panic!("no total in {desc}"));
    let buckets = desc
        .lines()
        .filter_map(|line| {
            let (bounds, count) = line.rsplit_once(": ")?;
            let (low, high) = bounds.split_once(" – ")?;
            Some((low.to_string(), high.to_string(), count.parse().ok()?))
        })
        .collect();
    (total, buckets)
}

/// The rows of the text summary's histogram: `(low, high, share %)`.
fn summary_buckets(text: &str) -> Vec<(String, String, f64)> {
    text.lines()
        .filter(|line| line.trim_end().ends_with('%') && line.contains(" – "))
        .map(|line| {
            let (left, right) = line.split_once(" – ").unwrap();
            let low: Vec<&str> = left.split_whitespace().rev().take(2).collect();
            let high: Vec<&str> = right.split_whitespace().take(2).collect();
            let share = right.split_whitespace().last().unwrap();
            (
                format!("{} {}", low[1], low[0]),
                high.join(" "),
                share.trim_end_matches('%').parse().unwrap(),
            )
        })
        .collect()
}

#[test]
fn tcp_svg_is_the_runs_histogram_with_its_counts() {
    let server = TinyServer::start(|_, mut stream| {
        let _ = stream.write_all(b"hi");
    });
    let lab = Lab::new();
    let addr = server.addr.to_string();
    // The closed loop, then the open model (whose histogram is the corrected one).
    for (name, rate) in [("closed", None), ("open", Some("400"))] {
        let (svg_name, saved_name) = (format!("{name}.svg"), format!("{name}.json"));
        let mut args = vec![
            "bench",
            "tcp",
            &addr,
            "-n",
            "40",
            "-c",
            "2",
            "--svg",
            &svg_name,
            "--save",
            &saved_name,
        ];
        if let Some(rate) = rate {
            args.extend(["--rate", rate]);
        }
        let run = lab.cmd(args).run();
        run.success();
        let svg = std::fs::read_to_string(lab.path().join(&svg_name)).expect("the svg written");
        assert!(
            svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"),
            "{svg}"
        );
        assert!(svg.contains(&format!("latency of {addr}")), "{svg}");
        assert!(
            svg.contains(&format!("<title>netlab bench tcp {addr}</title>")),
            "{svg}"
        );
        assert!(svg.contains("% of exchanges"), "{svg}");
        let saved: Value =
            serde_json::from_slice(&std::fs::read(lab.path().join(&saved_name)).unwrap()).unwrap();
        assert_eq!(saved["count"], 40, "{saved}");
        // Every exchange is in one bucket, and each bucket is one bar.
        let (total, buckets) = svg_buckets(&svg);
        assert_eq!(total, 40, "{svg}");
        assert_eq!(buckets.iter().map(|b| b.2).sum::<u64>(), 40, "{buckets:?}");
        assert_eq!(
            svg.matches(r##"fill="#D9732B""##).count(),
            buckets.len(),
            "{svg}"
        );
        // The same buckets, with the same shares, as the summary's histogram.
        let rows = summary_buckets(&run.stdout());
        assert_eq!(rows.len(), buckets.len(), "{rows:?}\n{buckets:?}");
        for ((low, high, count), (row_low, row_high, share)) in buckets.iter().zip(&rows) {
            assert_eq!((low, high), (row_low, row_high), "{rows:?}\n{buckets:?}");
            let want = *count as f64 * 100.0 / 40.0;
            assert!((want - share).abs() < 0.06, "{rows:?}\n{buckets:?}");
        }
    }
}

#[test]
fn compare_models_starts_each_serve_and_stops_it() {
    let lab = Lab::new();
    let run = lab
        .cmd([
            "bench",
            "compare",
            "--models",
            "thread,poll",
            "-d",
            "200ms",
            "-c",
            "2",
            "--svg",
            "models.svg",
            "--json",
        ])
        .run();
    run.success();
    let json = summary(&run);
    let results = json["results"].as_array().expect("results");
    let labels: Vec<&str> = results
        .iter()
        .map(|r| r["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["thread", "poll"]);
    for result in results {
        assert!(result["count"].as_u64().unwrap() > 0, "{result}");
    }
    let svg = std::fs::read_to_string(lab.path().join("models.svg")).expect("chart written");
    assert!(svg.starts_with("<svg"), "{svg}");
    // plotters writes each text on a line of its own; one bar per model.
    assert!(
        svg.contains("\nthread\n") && svg.contains("\npoll\n"),
        "{svg}"
    );
    assert_eq!(svg.matches(r##"fill="#3B6EA8""##).count(), 2, "{svg}");
}

// --- usage --------------------------------------------------------------------------------------

#[test]
fn bad_usage_exits_2_before_any_load() {
    let lab = Lab::new();
    for args in [
        vec!["bench", "tcp", "127.0.0.1"],
        vec!["bench", "tcp", "127.0.0.1:99999"],
        vec!["bench", "http", "ftp://127.0.0.1/"],
        vec!["bench", "http", "http://127.0.0.1:1/", "-H", "no colon"],
        vec!["bench", "tcp", "127.0.0.1:1", "-d", "0"],
        vec!["bench", "tcp", "127.0.0.1:1", "-d", "1s", "-n", "5"],
        vec!["bench", "tcp", "127.0.0.1:1", "-c", "0"],
        // A slot under a microsecond cannot be kept.
        vec!["bench", "http", "http://127.0.0.1:1/", "--rate", "2000000"],
        vec!["bench", "tcp", "127.0.0.1:1", "--rate", "0"],
        vec![
            "bench",
            "http",
            "http://127.0.0.1:1/",
            "--requests-order",
            "random",
        ],
        vec![
            "bench",
            "http",
            "http://127.0.0.1:1/",
            "--requests",
            "r.txt",
            "--body",
            "b",
        ],
    ] {
        let run = lab.cmd(&args).run();
        run.expect_code(2);
        assert!(!run.stderr().contains("refused"), "{}", run.context());
    }
}

#[test]
fn help_ends_with_examples_and_exit_status() {
    let lab = Lab::new();
    for verb in ["tcp", "http", "compare"] {
        let run = lab.cmd(["bench", verb, "--help"]).run();
        run.success()
            .stdout_has("Examples:")
            .stdout_has("Exit status");
    }
}

// --- thresholds ---------------------------------------------------------------------------------

#[test]
fn fail_if_exits_99_listing_every_threshold_crossed() {
    let lab = Lab::new();
    let server = lab.server(["serve", "--port", "0", "-q"]);
    let addr = server.addr().to_string();
    // Held: nothing is printed beyond the summary, exit 0.
    let run = lab
        .cmd([
            "bench",
            "tcp",
            &addr,
            "-n",
            "200",
            "--fail-if",
            "rate<1",
            "--fail-if",
            "errors>0",
            "--fail-if",
            "p99>60s",
        ])
        .run();
    run.success();
    assert!(!run.stderr().contains("--fail-if"), "{}", run.context());
    // Crossed: the summary, then one line naming each threshold crossed with its figure.
    let run = lab
        .cmd([
            "bench",
            "tcp",
            &addr,
            "-n",
            "200",
            "--fail-if",
            "rate>1",
            "--fail-if",
            "max>=0us",
            "--fail-if",
            "errors>=50%",
        ])
        .run();
    run.fails_with(99, "--fail-if crossed: rate>1 (");
    run.stdout_has("connections");
    let last = run.stderr().lines().last().unwrap().to_string();
    assert!(last.contains("max>=0us ("), "{last}");
    assert!(!last.contains("errors>=50%"), "{last}");
    // A threshold that does not parse is a usage error before anything runs.
    lab.cmd(["bench", "tcp", &addr, "--fail-if", "p98>5ms"])
        .run()
        .fails_with(2, "--fail-if p98>5ms: unknown metric `p98`");
    lab.cmd(["bench", "tcp", &addr, "--fail-if", "p99>50"])
        .run()
        .fails_with(2, "needs a unit");
}

// --- the open model (--rate) ---------------------------------------------------------------------

/// An HTTP/1.1 keep-alive server, a thread per connection, that answers every request at once
/// except while it is frozen: for 500 ms in every 5 s, from 2.5 s after it starts (so a 10 s
/// run sees two whole freezes), it holds every answer until the freeze ends.
fn freezing_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let epoch = std::time::Instant::now();
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            thread::spawn(move || {
                let _ = stream.set_nodelay(true);
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut writer = stream;
                let mut line = String::new();
                loop {
                    // One request: its head, to the blank line.
                    line.clear();
                    loop {
                        match reader.read_line(&mut line) {
                            Ok(0) | Err(_) => return,
                            Ok(_) if line.ends_with("\r\n\r\n") || line == "\r\n" => break,
                            Ok(_) => {}
                        }
                    }
                    let phase = (epoch.elapsed() + Duration::from_millis(2500)).as_millis() % 5000;
                    if phase < 500 {
                        thread::sleep(Duration::from_millis((500 - phase) as u64));
                    }
                    if writer
                        .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                        .is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    addr
}

/// The latency figure `name` (`p95` …) of `which` (`corrected`, `uncorrected`), in seconds.
fn latency(summary: &Value, which: &str, name: &str) -> f64 {
    summary["latency"][which][name]
        .as_f64()
        .unwrap_or_else(|| panic!("no latency.{which}.{name} in {summary}"))
}

/// The arithmetic: at 1,000 requests a second, one in ten falls due while the server is frozen
/// (500 ms of every 5 s), and waits for the freeze's end: a uniform 0–500 ms. So the share of
/// requests slower than x (for x < 500 ms) is (0.5 − x)/5: 5% above 250 ms (p95 = 250 ms) and
/// 1% above 450 ms (p99 = 450 ms). Each is checked within 30% (the server drains its queue
/// after each freeze). With 16 connections, only the 16 requests in flight when a freeze
/// begins are sent and then held (32 of 10,000: under 1%): every other late one leaves when the
/// freeze is over, so the latency from the actual send (uncorrected) has p99 under 100 ms. A
/// closed loop on the same server never sends the held-back requests at all: its p99 hides the
/// freezes just as the uncorrected figure does.
#[test]
fn rate_charges_a_stalling_server_for_the_requests_it_held_back() {
    let lab = Lab::new();
    let url = format!("http://{}/", freezing_server());
    let run = lab
        .cmd([
            "bench", "http", &url, "--rate", "1000", "-c", "16", "-d", "10s", "--json",
        ])
        .run();
    run.success();
    let open = summary(&run);
    let within = |got: f64, want: f64| (got - want).abs() <= want * 0.3;
    let p95 = latency(&open, "corrected", "p95");
    let p99 = latency(&open, "corrected", "p99");
    assert!(
        within(p95, 0.250),
        "corrected p95 {p95} s, want 0.25 ± 30%\n{open}"
    );
    assert!(
        within(p99, 0.450),
        "corrected p99 {p99} s, want 0.45 ± 30%\n{open}"
    );
    let sent_p99 = latency(&open, "uncorrected", "p99");
    assert!(sent_p99 < 0.100, "uncorrected p99 {sent_p99} s\n{open}");
    assert_eq!(open["target_rate"], 1000.0);
    let rate = open["rate"].as_f64().unwrap();
    assert!((rate - 1000.0).abs() <= 20.0, "achieved {rate}/s\n{open}");
    assert!(open["connections_used"].as_u64().unwrap() <= 16, "{open}");

    // The closed loop against a fresh server of the same kind, over one freeze.
    let url = format!("http://{}/", freezing_server());
    let run = lab
        .cmd(["bench", "http", &url, "-c", "16", "-d", "5s", "--json"])
        .run();
    run.success();
    let closed = summary(&run);
    let closed_p99 = latency(&closed, "corrected", "p99");
    assert!(
        closed_p99 < p99 / 2.0,
        "the closed loop's p99 {closed_p99} s should hide the freeze the open model shows ({p99} s)"
    );
    assert!(closed.get("target_rate").is_none(), "{closed}");
}

/// One connection at a time, each answered after 40 ms and closed: at most 25 a second.
fn slow_http_server() -> TinyServer {
    TinyServer::start(|_, mut stream| {
        read_head(&mut stream);
        thread::sleep(Duration::from_millis(40));
        let _ = stream
            .write_all(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok");
    })
}

/// 100 a second due, one connection, 40 ms an answer: the rate falls short by three quarters,
/// the slots that found the connection busy are counted, and the requests wait ever longer for
/// it, so the corrected latency grows (about 30 ms more each) while the latency as sent stays
/// at 40 ms. A latency threshold reads the corrected figure.
#[test]
fn rate_the_server_cannot_hold_is_said_and_charged() {
    let server = slow_http_server();
    let lab = Lab::new();
    let url = server.url();
    let run = lab
        .cmd([
            "bench",
            "http",
            &url,
            "--rate",
            "100",
            "-c",
            "1",
            "-d",
            "500ms",
            "--fail-if",
            "p99>150ms",
            "--fail-if",
            "errors>0",
        ])
        .run();
    run.fails_with(99, "--fail-if crossed: p99>150ms (")
        .stdout_has("target       100 req/s, achieved ")
        .stdout_has("% short)")
        .stdout_has("connections  1 used of 1; ")
        .stdout_has("came due with none free (raise -c)")
        .stdout_has("they differ by the time exchanges waited for a free connection");
    let last = run.stderr().lines().last().unwrap().to_string();
    assert!(!last.contains("errors>0"), "{last}");
}

#[test]
fn compare_takes_rate_and_runs_each_target_on_schedule() {
    let a = TinyServer::start(|_, mut stream| {
        let _ = stream.write_all(b"a");
    });
    let b = TinyServer::start(|_, mut stream| {
        let _ = stream.write_all(b"b");
    });
    let lab = Lab::new();
    let (a_addr, b_addr) = (a.addr.to_string(), b.addr.to_string());
    let run = lab
        .cmd([
            "bench", "compare", "--target", &a_addr, "--target", &b_addr, "--rate", "200", "-n",
            "40", "-c", "4", "--json",
        ])
        .run();
    run.success();
    let json = summary(&run);
    let results = json["results"].as_array().unwrap();
    assert_eq!(results.len(), 2, "{json}");
    for result in results {
        assert_eq!(result["target_rate"], 200.0, "{result}");
        assert_eq!(result["count"], 40, "{result}");
        assert!(
            result["latency"]["uncorrected"]["p99"].as_f64().is_some(),
            "{result}"
        );
        // 40 at 200 a second: a fifth of a second, give or take the last answer.
        let secs = result["duration_secs"].as_f64().unwrap();
        assert!((0.18..10.0).contains(&secs), "{secs} s\n{result}");
    }
    assert_eq!((a.accepted(), b.accepted()), (40, 40));
}

#[test]
fn rate_with_n_sends_exactly_n_at_the_rate() {
    let lab = Lab::new();
    lab.write("site/a.txt", "A");
    let web = lab.server(["web", "site", "--port", "0"]);
    let url = format!("{}/a.txt", web.base_url());
    let run = lab
        .cmd([
            "bench", "http", &url, "--rate", "400", "-n", "200", "--json",
        ])
        .run();
    run.success();
    let json = summary(&run);
    assert_eq!(json["count"], 200, "{json}");
    // 200 at 400 a second: half a second, give or take the last answer.
    let secs = json["duration_secs"].as_f64().unwrap();
    assert!((0.45..1.5).contains(&secs), "{secs} s\n{json}");
    // The server's access log counts the same requests.
    let log = crate::harness::stop(web);
    assert_eq!(
        log.matches("\"GET /a.txt HTTP/1.1\" 200").count(),
        200,
        "{log}"
    );
    for bad in ["0", "-5", "2000000", "lots"] {
        lab.cmd(["bench", "http", &url, &format!("--rate={bad}")])
            .run()
            .fails_with(2, &format!("--rate {bad}: must be"));
    }
}

#[test]
fn phases_say_where_the_time_went() {
    // A server that takes 40 ms to think, then answers at once: the time is in the first byte,
    // not in the connect or the transfer.
    let slow = TinyServer::start(|_, mut stream| {
        read_head(&mut stream);
        thread::sleep(Duration::from_millis(40));
        let _ = stream
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
    });
    let lab = Lab::new();
    let run = lab
        .cmd([
            "bench",
            "http",
            &slow.url(),
            "-n",
            "20",
            "-c",
            "2",
            "--no-keepalive",
            "--json",
        ])
        .run();
    run.success();
    let json = summary(&run);
    let phase = |name: &str, q: &str| {
        json["phases"][name][q]
            .as_f64()
            .unwrap_or_else(|| panic!("no phases.{name}.{q} in {json}"))
    };
    assert!(phase("ttfb", "p50") >= 0.035, "{json}");
    assert!(phase("connect", "p99") < 0.035, "{json}");
    assert!(phase("transfer", "p99") < 0.035, "{json}");
    assert!(json["phases"]["tls"].is_null(), "{json}");
    // And in words.
    let text = lab
        .cmd([
            "bench",
            "http",
            &slow.url(),
            "-n",
            "4",
            "-c",
            "2",
            "--no-keepalive",
        ])
        .run();
    text.success().stdout_has("phases       connect p50 ");
    text.stdout_has("first byte p50 ");
}

#[test]
fn hist_out_writes_hdrhistograms_percentile_distribution() {
    let lab = Lab::new();
    lab.write("site/a.txt", "A");
    let web = lab.server(["web", "site", "--port", "0", "-q"]);
    let url = format!("{}/a.txt", web.base_url());
    let run = lab
        .cmd([
            "bench",
            "http",
            &url,
            "-n",
            "500",
            "--json",
            "--hist-out",
            "h.txt",
        ])
        .run();
    run.success();
    let json = summary(&run);
    let text = std::fs::read_to_string(lab.path().join("h.txt")).unwrap();
    // Read it back as the plotters do: four columns (the last line three), after a header.
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(
        header,
        ["Value", "Percentile", "TotalCount", "1/(1-Percentile)"]
    );
    let rows: Vec<(f64, f64, u64)> = lines
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| {
            let cols: Vec<&str> = line.split_whitespace().collect();
            assert!(cols.len() == 4 || cols.len() == 3, "{line}");
            (
                cols[0].parse().unwrap(),
                cols[1].parse().unwrap(),
                cols[2].parse().unwrap(),
            )
        })
        .collect();
    assert!(rows.len() > 10, "{text}");
    for pair in rows.windows(2) {
        assert!(pair[0].0 <= pair[1].0 && pair[0].1 <= pair[1].1 && pair[0].2 <= pair[1].2);
    }
    let last = rows.last().unwrap();
    assert_eq!(last.1, 1.0, "{text}");
    assert_eq!(last.2, 500, "{text}");
    // Milliseconds: the maximum agrees with the JSON's (seconds).
    let max = json["latency"]["corrected"]["max"].as_f64().unwrap() * 1e3;
    assert!(
        (last.0 - max).abs() < 0.01 * max.max(0.1),
        "{} ms vs {max} ms",
        last.0
    );
    assert!(text.contains("#[Max     ="), "{text}");
    // A path that cannot be written fails before anything is measured.
    lab.cmd([
        "bench",
        "http",
        &url,
        "-n",
        "5",
        "--hist-out",
        "/nonexistent/h.txt",
    ])
    .run()
    .fails_with(
        2,
        "--hist-out /nonexistent/h.txt: no such file or directory",
    );
}

#[test]
fn save_then_diff_shows_every_figure_and_its_change() {
    let lab = Lab::new();
    lab.write("site/a.txt", "A");
    // A slow server for B: every answer waits 20 ms, far beyond A's noise.
    let slow = TinyServer::start(|_, mut stream| {
        read_head(&mut stream);
        thread::sleep(Duration::from_millis(20));
        let _ =
            stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nConnection: close\r\n\r\nA");
    });
    let web = lab.server(["web", "site", "--port", "0", "-q"]);
    let url = format!("{}/a.txt", web.base_url());
    for (file, target, extra) in [
        ("a.json", url.as_str(), "--no-keepalive"),
        ("b.json", &slow.url(), "--no-keepalive"),
    ] {
        lab.cmd([
            "bench", "http", target, "-d", "2.5s", "-c", "2", extra, "-q", "--save", file,
        ])
        .run()
        .success();
    }
    let saved: Value =
        serde_json::from_str(&std::fs::read_to_string(lab.path().join("a.json")).unwrap()).unwrap();
    assert!(
        saved["histogram_us"]
            .as_array()
            .is_some_and(|h| !h.is_empty()),
        "{saved}"
    );
    assert_eq!(
        saved["seconds"].as_array().map(Vec::len),
        Some(2),
        "{saved}"
    );
    let run = lab.cmd(["bench", "diff", "a.json", "b.json"]).run();
    run.success();
    let out = run.stdout();
    for figure in ["rate", "mean", "p50", "p90", "p99", "p999", "max", "errors"] {
        assert!(
            out.lines().any(|l| l.starts_with(figure)),
            "no {figure} row:\n{out}"
        );
    }
    let p50 = out.lines().find(|l| l.starts_with("p50")).unwrap();
    assert!(
        p50.contains("  yes ("),
        "a 20 ms slower server is beyond the noise: {p50}"
    );
    let same = lab.cmd(["bench", "diff", "a.json", "a.json"]).run();
    let p50 = same
        .stdout()
        .lines()
        .find(|l| l.starts_with("p50"))
        .unwrap()
        .to_string();
    assert!(p50.contains("+0.0%  no ("), "{p50}");
    // Anything but a saved run is a usage error, in one line.
    lab.write("other.json", "{\"rate\": 1}");
    lab.cmd(["bench", "diff", "a.json", "other.json"])
        .run()
        .fails_with(
            2,
            "other.json: not a run saved with bench --save (no saved_by field)",
        );
    lab.cmd(["bench", "compare", "--target", &url, "--save", "c.json"])
        .run()
        .fails_with(2, "--hist-out and --save are for one run");
}
