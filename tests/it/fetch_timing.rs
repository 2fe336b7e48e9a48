//! `-w/--write-out` with curl's variables, `--timing`'s table of phases, and curl's everyday
//! letters (`-s`, `-S`, `-L`, `--compressed`).

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::Command;
use std::thread;
use std::time::Duration;

use crate::harness::{Lab, peer};

/// A server that reads each request head, waits `delay` (a slow server, not a wait for one),
/// then answers 200 with a short body — `answers` times.
fn slow_server(delay: Duration, answers: usize) -> (String, thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/slow", listener.local_addr().unwrap());
    let handle = thread::spawn(move || {
        for _ in 0..answers {
            let (conn, _) = listener.accept().unwrap();
            conn.set_read_timeout(Some(crate::harness::WAIT)).unwrap();
            let mut reader = BufReader::new(conn);
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                line.clear();
            }
            thread::sleep(delay);
            let mut conn = reader.into_inner();
            let _ = conn.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Lab: yes\r\nContent-Length: 5\r\nConnection: close\r\n\r\nslow\n",
            );
        }
    });
    (url, handle)
}

fn seconds(text: &str) -> f64 {
    text.trim()
        .parse()
        .unwrap_or_else(|_| panic!("not seconds: {text:?}"))
}

#[test]
fn write_out_times_the_first_byte_as_curl_does() {
    let lab = Lab::new();
    let with_curl = peer("curl");
    let (url, server) = slow_server(Duration::from_millis(300), if with_curl { 2 } else { 1 });
    let format = "%{http_code} %{time_namelookup} %{time_connect} %{time_starttransfer} %{time_total} %{size_download}";
    let run = lab
        .cmd(["fetch", &url, "-o", "/dev/null", "-w", format])
        .run();
    run.success();
    let out = run.stdout();
    let fields: Vec<&str> = out.split(' ').collect();
    assert_eq!(fields[0], "200", "{out}");
    let (lookup, connect, first, total) = (
        seconds(fields[1]),
        seconds(fields[2]),
        seconds(fields[3]),
        seconds(fields[4]),
    );
    assert!(
        lookup <= connect && connect <= first && first <= total,
        "{out}"
    );
    assert!(
        first >= 0.3,
        "the server waited 300 ms before its first byte: {out}"
    );
    assert_eq!(fields[5], "5");
    if with_curl {
        let curl = Command::new("curl")
            .args(["-s", "-o", "/dev/null", "-w", "%{time_starttransfer}", &url])
            .output()
            .unwrap();
        // Both count the server's wait in time_starttransfer (a lower bound holds under any
        // load; how close the two figures come is for benches, not a test).
        let theirs = seconds(&String::from_utf8_lossy(&curl.stdout));
        assert!(theirs >= 0.3, "curl's own figure holds the wait: {theirs}");
    }
    server.join().unwrap();
}

#[test]
fn timing_shows_each_phase_on_its_own() {
    let lab = Lab::new();
    let (url, server) = slow_server(Duration::from_millis(300), 1);
    let run = lab.cmd(["fetch", &url, "--timing"]).run();
    run.success().stdout_is("slow\n");
    let stderr = run.stderr();
    for phase in [
        "DNS lookup",
        "TCP connect",
        "request sent",
        "waiting",
        "download",
        "total",
    ] {
        assert!(stderr.contains(phase), "no {phase} row:\n{stderr}");
    }
    assert!(
        !stderr.contains("TLS handshake"),
        "plain http has no TLS row:\n{stderr}"
    );
    let waiting = stderr.lines().find(|l| l.contains("waiting")).unwrap();
    assert!(
        waiting.contains(" ms") || waiting.contains(" s "),
        "{waiting}"
    );
    let figure: f64 = waiting.split_whitespace().nth(1).unwrap().parse().unwrap();
    // The server starts waiting as soon as the head is in, a moment before the last write
    // returns here: within a few milliseconds of 300.
    assert!(waiting.contains(" s ") || figure >= 290.0, "{waiting}");
    server.join().unwrap();
}

#[test]
fn write_out_follows_redirects_headers_and_stderr() {
    let lab = Lab::new();
    lab.write("site/b.txt", "bee\n");
    std::fs::create_dir(lab.path().join("site/dir")).unwrap();
    let site = lab.path().join("site");
    let server = lab.server(["web", site.to_str().unwrap(), "--port", "0"]);
    // /dir redirects to /dir/.
    let url = format!("{}/dir", server.base_url());
    let run = lab
        .cmd([
            "fetch",
            &url,
            "-o",
            "/dev/null",
            "-w",
            "%{num_redirects} %{url_effective} %header{content-type}%{stderr}code %{http_code}\\n",
        ])
        .run();
    run.success();
    assert_eq!(run.stdout(), format!("1 {url}/ text/html; charset=utf-8"));
    assert_eq!(run.stderr(), "code 200\n");
    // The format from a file, and %{json} is JSON.
    let format = lab.write("format.txt", "%{json}");
    let run = lab
        .cmd([
            "fetch",
            &format!("{}/b.txt", server.base_url()),
            "-o",
            "/dev/null",
            "-w",
            &format!("@{}", format.display()),
        ])
        .run();
    run.success();
    let json: serde_json::Value = serde_json::from_str(&run.stdout()).unwrap();
    assert_eq!(json["http_code"], "200");
    assert_eq!(json["size_download"], 4);
    assert_eq!(json["exitcode"], 0);
}

#[test]
fn write_out_is_printed_after_a_failure_too() {
    let lab = Lab::new();
    let url = format!("http://127.0.0.1:{}/", crate::harness::closed_port());
    let run = lab
        .cmd(["fetch", &url, "-w", "%{http_code} %{exitcode}"])
        .run();
    run.expect_code(7);
    assert_eq!(run.stdout(), "000 7");
}

#[test]
fn a_bad_write_out_is_named() {
    let lab = Lab::new();
    lab.cmd(["fetch", "http://127.0.0.1:1/", "-w", "%{time_totl}"])
        .run()
        .fails_with(2, "unknown variable %{time_totl}");
    lab.cmd(["fetch", "http://127.0.0.1:1/", "-w", "@/nonexistent/format"])
        .run()
        .fails_with(2, "-w @/nonexistent/format");
}

#[test]
fn silent_says_nothing_but_show_error_says_why() {
    let lab = Lab::new();
    let url = format!("http://127.0.0.1:{}/", crate::harness::closed_port());
    let run = lab.cmd(["fetch", "-s", &url]).run();
    run.expect_code(7).stderr_empty();
    lab.cmd(["fetch", "-sS", &url])
        .run()
        .fails_with(7, "connection refused");
    // curl's everyday letters are accepted: -sSL and --compressed.
    lab.write("c.txt", "curl fingers\n");
    let server = lab.server(["web", lab.path().to_str().unwrap(), "--port", "0"]);
    lab.cmd([
        "fetch",
        "-sSL",
        "--compressed",
        &format!("{}/c.txt", server.base_url()),
    ])
    .run()
    .success()
    .stdout_is("curl fingers\n")
    .stderr_empty();
}
