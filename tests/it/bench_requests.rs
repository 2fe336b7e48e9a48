//! `bench http --requests FILE`, `--body FILE` and `--svg FILE`: a server written here records
//! every request it got, and each test checks what arrived (never how fast), and how the
//! summary counted each line of the file.

use std::io::{BufRead, BufReader, Write};
use std::sync::{Arc, Mutex};
use std::thread;

use serde_json::Value;

use crate::bench::TinyServer;
use crate::harness::Lab;

/// A request as the server got it: the request line, the headers (names lowercased), the body.
#[derive(Debug, Clone)]
struct Got {
    line: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Got {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A keep-alive server that answers every request with an empty 200 and records it.
fn recording_server() -> (TinyServer, Arc<Mutex<Vec<Got>>>) {
    recording_server_breaking(None)
}

/// As [`recording_server`], but a request whose target is `broken` is recorded and then the
/// connection closed without an answer (the bench counts it closed early).
fn recording_server_breaking(broken: Option<&'static str>) -> (TinyServer, Arc<Mutex<Vec<Got>>>) {
    let got = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&got);
    let server = TinyServer::start(move |_, stream| {
        let log = Arc::clone(&log);
        thread::spawn(move || {
            let mut writer = stream.try_clone().expect("clone the stream");
            let mut reader = BufReader::new(stream);
            // Bounded by the bench's -n: it closes the connection when done.
            while let Some(request) = read_request(&mut reader) {
                let target = request.line.split(' ').nth(1).map(str::to_string);
                log.lock().unwrap().push(request);
                if broken.is_some() && target.as_deref() == broken {
                    return;
                }
                if writer
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                    .is_err()
                {
                    return;
                }
            }
        });
    });
    (server, got)
}

/// One request off the connection, or `None` at its end.
fn read_request(reader: &mut impl BufRead) -> Option<Got> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).ok()? == 0 {
            return None;
        }
        if header == "\r\n" {
            break;
        }
        let (name, value) = header.trim_end().split_once(':')?;
        headers.push((name.to_ascii_lowercase(), value.trim().to_string()));
    }
    let mut got = Got {
        line: line.trim_end().to_string(),
        headers,
        body: Vec::new(),
    };
    let length: usize = got
        .header("content-length")
        .map_or(Ok(0), str::parse)
        .ok()?;
    got.body = vec![0; length];
    reader.read_exact(&mut got.body).ok()?;
    Some(got)
}

fn recorded(got: &Arc<Mutex<Vec<Got>>>) -> Vec<Got> {
    got.lock().unwrap().clone()
}

#[test]
fn requests_file_lines_go_round_robin_with_their_headers_and_bodies() {
    let lab = Lab::new();
    let (server, got) = recording_server();
    lab.write("new.json", "{\"name\": \"a b\"}\n");
    lab.write(
        "mix.txt",
        format!(
            "# three requests\n\
             GET /page?x=1\n\
             \n\
             POST {}api Content-Type: application/json @new.json\n\
             GET /hdr X-Note: two  words here Accept: text/plain\n",
            server.url()
        ),
    );
    let url = server.url();
    let run = lab
        .cmd([
            "bench",
            "http",
            &url,
            "--requests",
            "mix.txt",
            "-n",
            "30",
            "-c",
            "3",
            "-H",
            "X-All: yes",
            "--json",
        ])
        .run();
    run.success();
    let got = recorded(&got);
    assert_eq!(got.len(), 30, "{got:#?}\n{}", run.context());
    let count = |line: &str| got.iter().filter(|g| g.line == line).count();
    assert_eq!(count("GET /page?x=1 HTTP/1.1"), 10, "{got:#?}");
    assert_eq!(count("POST /api HTTP/1.1"), 10, "{got:#?}");
    assert_eq!(count("GET /hdr HTTP/1.1"), 10, "{got:#?}");
    for request in &got {
        assert_eq!(request.header("x-all"), Some("yes"), "{request:?}");
        match request.line.as_str() {
            "POST /api HTTP/1.1" => {
                assert_eq!(request.body, b"{\"name\": \"a b\"}\n", "{request:?}");
                assert_eq!(request.header("content-type"), Some("application/json"));
            }
            "GET /hdr HTTP/1.1" => {
                assert_eq!(request.header("x-note"), Some("two  words here"));
                assert_eq!(request.header("accept"), Some("text/plain"));
                assert!(request.body.is_empty());
            }
            _ => assert!(request.body.is_empty() && request.header("accept") == Some("*/*")),
        }
    }
}

#[test]
fn random_order_is_the_same_for_the_same_seed() {
    let lab = Lab::new();
    lab.write("ab.txt", "GET /a\nGET /b\nGET /c\n");
    let sequence = |seed: &str| {
        let (server, got) = recording_server();
        let url = server.url();
        lab.cmd([
            "bench",
            "http",
            &url,
            "--requests",
            "ab.txt",
            "--requests-order",
            "random",
            "--seed",
            seed,
            "-n",
            "40",
            "-c",
            "1",
            "--json",
        ])
        .run()
        .success();
        recorded(&got)
            .into_iter()
            .map(|g| g.line)
            .collect::<Vec<_>>()
    };
    let first = sequence("5");
    assert_eq!(first.len(), 40);
    assert_eq!(first, sequence("5"));
    assert!(
        first.iter().any(|line| line.starts_with("GET /c ")),
        "{first:?}"
    );
    let round_robin: Vec<&str> = ["GET /a ", "GET /b ", "GET /c "].repeat(14);
    assert!(
        first
            .iter()
            .zip(&round_robin)
            .any(|(line, rr)| !line.starts_with(rr)),
        "random is not round-robin: {first:?}"
    );
}

#[test]
fn a_malformed_line_or_another_server_is_exit_2_naming_the_line() {
    let lab = Lab::new();
    let (server, got) = recording_server();
    let url = server.url();
    lab.write("bad.txt", "GET /ok\n# fine\nGET /x Accept:text/html\n");
    lab.write("other.txt", "GET /ok\nGET http://127.0.0.2:1/\n");
    lab.write("nobody.txt", "POST /ok @missing.bin\n");
    for (file, line, why) in [
        ("bad.txt", "bad.txt:3:", "a space after the colon"),
        ("other.txt", "other.txt:2:", "not on http://127.0.0.1:"),
        ("nobody.txt", "nobody.txt:1", "missing.bin"),
    ] {
        let run = lab
            .cmd(["bench", "http", &url, "--requests", file, "-n", "5"])
            .run();
        run.fails_with(2, line).stderr_has(why);
    }
    assert!(
        recorded(&got).is_empty(),
        "no load before the lines are good"
    );
}

#[test]
fn body_flag_posts_the_file_with_every_request() {
    let lab = Lab::new();
    let (server, got) = recording_server();
    lab.write("order.bin", [0u8, 1, 2, 255, b'\n', b' ']);
    let url = format!("{}orders", server.url());
    lab.cmd([
        "bench",
        "http",
        &url,
        "--body",
        "order.bin",
        "-n",
        "4",
        "-c",
        "1",
        "--json",
    ])
    .run()
    .success();
    let four = recorded(&got);
    assert_eq!(four.len(), 4, "{four:#?}");
    for request in &four {
        assert_eq!(request.line, "POST /orders HTTP/1.1");
        assert_eq!(request.body, [0u8, 1, 2, 255, b'\n', b' ']);
        assert_eq!(request.header("content-length"), Some("6"));
    }
    // -X says otherwise: the method is the user's, the body still goes.
    lab.cmd([
        "bench",
        "http",
        &url,
        "--body",
        "order.bin",
        "-X",
        "PUT",
        "-n",
        "1",
        "--json",
    ])
    .run()
    .success();
    assert!(
        recorded(&got)
            .last()
            .unwrap()
            .line
            .starts_with("PUT /orders ")
    );
}

#[test]
fn svg_holds_the_runs_histogram() {
    let lab = Lab::new();
    let (server, _got) = recording_server();
    let url = server.url();
    lab.cmd([
        "bench", "http", &url, "-n", "20", "-c", "2", "--svg", "run.svg", "--json",
    ])
    .run()
    .success();
    let svg = std::fs::read_to_string(lab.path().join("run.svg")).expect("the svg written");
    assert!(
        svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"),
        "{svg}"
    );
    assert!(svg.contains("latency of http://127.0.0.1:"), "{svg}");
    // Each bucket of the histogram is a rectangle in the bucket colour, and there is one.
    assert!(svg.matches(r##"fill="#D9732B""##).count() >= 1, "{svg}");
    assert!(svg.contains("% of exchanges"), "{svg}");
}

#[test]
fn each_line_is_counted_under_its_number_in_json_save_and_text() {
    let lab = Lab::new();
    let (server, got) = recording_server_breaking(Some("/broken"));
    lab.write("b.txt", "body");
    lab.write(
        "mix.txt",
        "# a page, a post, and a path the server hangs up on\n\
         GET /page?x=1\n\
         \n\
         POST /form @b.txt\n\
         GET /broken\n",
    );
    let url = server.url();
    let run = lab
        .cmd([
            "bench",
            "http",
            &url,
            "--requests",
            "mix.txt",
            "-n",
            "30",
            "-c",
            "3",
            "--json",
            "--save",
            "run.json",
        ])
        .run();
    run.success();
    let json: Value = serde_json::from_slice(&run.stdout).expect("JSON on stdout");
    let lines = json["requests_lines"]
        .as_array()
        .unwrap_or_else(|| panic!("no requests_lines: {json}"));
    let numbers: Vec<u64> = lines.iter().map(|l| l["line"].as_u64().unwrap()).collect();
    assert_eq!(numbers, [2, 4, 5], "{json}");
    assert_eq!(lines[0]["method"], "GET");
    assert_eq!(lines[0]["url"], format!("{url}page?x=1"));
    assert_eq!(lines[1]["method"], "POST");
    // Round-robin over 30: ten each, the good lines all 200, the broken one all failed.
    for line in &lines[..2] {
        assert_eq!(line["count"], 10, "{line}");
        assert_eq!(line["failed"], 0, "{line}");
        assert_eq!(line["status"], serde_json::json!({"200": 10}), "{line}");
        assert_eq!(line["errors"], serde_json::json!({}), "{line}");
    }
    assert_eq!(lines[2]["count"], 0, "{}", lines[2]);
    assert_eq!(lines[2]["failed"], 10, "{}", lines[2]);
    assert_eq!(
        lines[2]["errors"],
        serde_json::json!({"closed_early": 10}),
        "{}",
        lines[2]
    );
    assert_eq!(lines[2]["status"], serde_json::json!({}));
    // The lines add up to the run's totals, and to what the server got.
    let sum = |key: &str| lines.iter().map(|l| l[key].as_u64().unwrap()).sum::<u64>();
    assert_eq!(sum("count"), json["count"].as_u64().unwrap(), "{json}");
    assert_eq!(sum("failed"), json["failed"].as_u64().unwrap(), "{json}");
    assert_eq!(sum("count") + sum("failed"), 30, "{json}");
    assert_eq!(recorded(&got).len(), 30);
    let saved: Value =
        serde_json::from_slice(&std::fs::read(lab.path().join("run.json")).unwrap()).unwrap();
    assert_eq!(saved["requests_lines"], json["requests_lines"]);

    // The same run for people: a table, a row per line.
    let run = lab
        .cmd([
            "bench",
            "http",
            &url,
            "--requests",
            "mix.txt",
            "-n",
            "30",
            "-c",
            "3",
        ])
        .run();
    run.success();
    let text = run.stdout();
    let table: Vec<&str> = text
        .lines()
        .skip_while(|line| !line.trim_start().starts_with("by line"))
        .collect();
    assert_eq!(table.len(), 4, "{text}");
    for (row, want) in table[1..].iter().zip([
        ["2", "10", "0", "200: 10", "GET /page?x=1"],
        ["4", "10", "0", "200: 10", "POST /form"],
        ["5", "0", "10 closed early", "-", "GET /broken"],
    ]) {
        let cells: Vec<&str> = row
            .trim()
            .split("  ")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect();
        assert_eq!(cells, want, "{text}");
    }
    // Without --requests there is no table and no requests_lines.
    let run = lab.cmd(["bench", "http", &url, "-n", "3", "--json"]).run();
    run.success();
    let json: Value = serde_json::from_slice(&run.stdout).unwrap();
    assert!(json.get("requests_lines").is_none(), "{json}");
}

#[test]
fn the_by_line_table_shows_twenty_lines_then_how_many_more() {
    let lab = Lab::new();
    let (server, _got) = recording_server();
    let file: String = (1..=25).map(|n| format!("GET /{n}\n")).collect();
    lab.write("many.txt", file);
    let url = server.url();
    let run = lab
        .cmd([
            "bench",
            "http",
            &url,
            "--requests",
            "many.txt",
            "-n",
            "50",
            "-c",
            "2",
        ])
        .run();
    run.success();
    let text = run.stdout();
    let table: Vec<&str> = text
        .lines()
        .skip_while(|line| !line.trim_start().starts_with("by line"))
        .collect();
    assert_eq!(table.len(), 1 + 20 + 1, "{text}");
    assert!(table[20].trim_start().starts_with("20 "), "{text}");
    assert_eq!(
        table[21].trim(),
        "… 5 more lines (every line is in --json)",
        "{text}"
    );
    let run = lab
        .cmd([
            "bench",
            "http",
            &url,
            "--requests",
            "many.txt",
            "-n",
            "50",
            "-c",
            "2",
            "--json",
        ])
        .run();
    run.success();
    let json: Value = serde_json::from_slice(&run.stdout).unwrap();
    let lines = json["requests_lines"].as_array().unwrap();
    assert_eq!(lines.len(), 25);
    assert!(lines.iter().all(|line| line["count"] == 2), "{json}");
}
