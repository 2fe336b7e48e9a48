//! `bench` over TLS: `bench http https://…` against `web --tls`, `bench tcp --tls` against
//! `serve --tls`, each trusting the certificate the server saved (`--tls-save-cert`), the
//! handshake timed as its own phase, and the refusals a TLS client owes.

use serde_json::Value;

use crate::harness::{Lab, Run, Server};

#[track_caller]
fn summary(run: &Run) -> Value {
    serde_json::from_slice(&run.stdout)
        .unwrap_or_else(|err| panic!("stdout is not JSON: {err}\n{}", run.context()))
}

/// `web --tls` serving `site/`, its certificate saved as `saved.pem`.
fn web_tls(lab: &Lab) -> Server {
    lab.write("site/page.html", "<h1>hello</h1>\n");
    let server = lab.server([
        "web",
        "site",
        "--port",
        "0",
        "--tls",
        "--tls-save-cert",
        "saved.pem",
    ]);
    assert!(
        server.location.starts_with("https://"),
        "{}",
        server.location
    );
    server
}

/// A phase's percentiles, checked to be there and positive.
#[track_caller]
fn phase_p50(json: &Value, phase: &str) -> f64 {
    let p50 = json["phases"][phase]["p50"]
        .as_f64()
        .unwrap_or_else(|| panic!("no phases.{phase}.p50 in {json}"));
    assert!(p50 > 0.0, "{json}");
    p50
}

#[test]
fn bench_http_https_without_keepalive_makes_exactly_300_handshakes_and_requests() {
    let lab = Lab::new();
    let server = web_tls(&lab);
    let url = format!("https://{}/page.html", server.addr());
    let run = lab
        .cmd([
            "bench",
            "http",
            &url,
            "--cacert",
            "saved.pem",
            "-n",
            "300",
            "-c",
            "4",
            "--no-keepalive",
            "--json",
        ])
        .run();
    run.success();
    let json = summary(&run);
    assert_eq!(json["count"], 300, "{json}");
    assert_eq!(json["failed"], 0, "{json}");
    assert_eq!(json["status"]["200"], 300, "{json}");
    assert_eq!(json["tls_handshakes"], 300, "{json}");
    // One client configuration for the run: later connections resume earlier sessions.
    assert!(json["tls_resumed"].as_u64().unwrap() > 0, "{json}");
    let tls = phase_p50(&json, "tls");
    // The handshake is part of each request's latency (a new connection each).
    assert!(
        tls < json["latency"]["corrected"]["max"].as_f64().unwrap(),
        "{json}"
    );
    phase_p50(&json, "connect");
    phase_p50(&json, "ttfb");

    let (status, log) = server.stop();
    assert!(status.success(), "{log}");
    let requests = log
        .lines()
        .filter(|line| line.contains("\"GET /page.html HTTP/1.1\" 200"))
        .count();
    assert_eq!(requests, 300, "access log:\n{log}");
}

#[test]
fn bench_http_https_keeps_connections_alive_and_handshakes_once_each() {
    let lab = Lab::new();
    let server = web_tls(&lab);
    let url = format!("{}page.html", server.location);
    let run = lab
        .cmd([
            "bench",
            "http",
            &url,
            "--cacert",
            "saved.pem",
            "-n",
            "1000",
            "-c",
            "4",
            "--json",
        ])
        .run();
    run.success();
    let json = summary(&run);
    assert_eq!(json["count"], 1000, "{json}");
    assert_eq!(json["status"]["200"], 1000, "{json}");
    assert_eq!(json["tls_handshakes"], json["connections_used"], "{json}");
    assert!(json["connections_used"].as_u64().unwrap() <= 4, "{json}");
    phase_p50(&json, "tls");
    drop(server);
}

#[test]
fn bench_http_https_under_rate_is_on_schedule_and_counts_every_request() {
    let lab = Lab::new();
    let server = web_tls(&lab);
    let url = format!("{}page.html", server.location);
    let run = lab
        .cmd([
            "bench",
            "http",
            &url,
            "--insecure",
            "--rate",
            "200",
            "-n",
            "200",
            "-c",
            "8",
            "--json",
        ])
        .run();
    run.success();
    let json = summary(&run);
    assert_eq!(json["count"], 200, "{json}");
    assert_eq!(json["failed"], 0, "{json}");
    assert_eq!(json["target_rate"], 200.0, "{json}");
    assert!(
        json["latency"]["uncorrected"]["p50"].as_f64().is_some(),
        "{json}"
    );
    let (_, log) = server.stop();
    let requests = log.lines().filter(|l| l.contains("\" 200 ")).count();
    assert_eq!(requests, 200, "access log:\n{log}");
}

#[test]
fn bench_tcp_tls_counts_handshakes_against_serve_tls_and_its_summary_agrees() {
    let lab = Lab::new();
    let server = lab.server([
        "serve",
        "--port",
        "0",
        "--tls",
        "--tls-save-cert",
        "saved.pem",
        "--quiet",
    ]);
    assert!(server.location.starts_with("tls://"), "{}", server.location);
    let run = lab
        .cmd([
            "bench",
            "tcp",
            &server.location,
            "--cacert",
            "saved.pem",
            "-n",
            "200",
            "-c",
            "4",
            "--expect",
            "Thank you for connecting",
            "--json",
        ])
        .run();
    run.success();
    let json = summary(&run);
    assert_eq!(json["count"], 200, "{json}");
    assert_eq!(json["failed"], 0, "{json}");
    assert_eq!(json["tls_handshakes"], 200, "{json}");
    phase_p50(&json, "tls");
    // --tls with the bare address is the same run; its text summary has the tls line.
    let addr = server.addr().to_string();
    let text = lab
        .cmd(["bench", "tcp", &addr, "--tls", "--insecure", "-n", "20"])
        .run();
    text.success();
    text.stdout_has("tls          handshake")
        .stdout_has("20 handshakes");
    let (status, log) = server.stop();
    assert!(status.success(), "{log}");
    assert!(log.contains("stopped: 220 connections,"), "{log}");
}

#[test]
fn bench_http_https_refuses_an_untrusted_certificate_in_words() {
    let lab = Lab::new();
    let server = web_tls(&lab);
    let run = lab
        .cmd(["bench", "http", &server.location, "-n", "10", "-c", "2"])
        .run();
    run.fails_with(1, "unknown issuer");
    run.stderr_has("CN=netlab self-signed")
        .stderr_has("--cacert")
        .stdout_has("10 tls");
    drop(server);
}

#[test]
fn bench_https_to_a_plain_port_says_it_is_not_speaking_tls() {
    let lab = Lab::new();
    lab.write("site/a.txt", "a");
    let server = lab.server(["web", "site", "--port", "0"]);
    let url = format!("https://{}/a.txt", server.addr());
    lab.cmd(["bench", "http", &url, "--insecure", "-n", "4", "-c", "1"])
        .run()
        .fails_with(1, "is not speaking TLS");
    drop(server);
}

#[test]
fn tls_flags_without_tls_are_usage_errors() {
    let lab = Lab::new();
    lab.cmd(["bench", "http", "http://127.0.0.1:9/", "--insecure"])
        .run()
        .fails_with(2, "--insecure is for TLS");
    lab.cmd(["bench", "tcp", "127.0.0.1:9", "--cacert", "x.pem"])
        .run()
        .fails_with(2, "--cacert is for TLS");
    lab.cmd([
        "bench",
        "tcp",
        "tls://127.0.0.1:9",
        "--cacert",
        "missing.pem",
    ])
    .run()
    .fails_with(2, "missing.pem");
    lab.cmd(["bench", "compare", "--target", "127.0.0.1:9", "--sni", "x"])
        .run()
        .fails_with(2, "--sni is for TLS");
}

#[test]
fn compare_takes_https_and_tls_targets() {
    let lab = Lab::new();
    let web = web_tls(&lab);
    let serve = lab.server([
        "serve",
        "--port",
        "0",
        "--tls",
        "--tls-save-cert",
        "serve.pem",
        "--quiet",
    ]);
    // Both servers trust-checked with one --insecure; a row each.
    let run = lab
        .cmd([
            "bench",
            "compare",
            "--target",
            &web.location,
            "--target",
            &serve.location,
            "--insecure",
            "-n",
            "50",
            "-c",
            "2",
            "--json",
        ])
        .run();
    run.success();
    let json = summary(&run);
    let rows = json["results"]
        .as_array()
        .or_else(|| json.as_array())
        .unwrap_or_else(|| panic!("no runs in {json}"));
    assert_eq!(rows.len(), 2, "{json}");
    for row in rows {
        assert_eq!(row["count"], 50, "{json}");
        assert_eq!(row["failed"], 0, "{json}");
        assert!(row["phases"]["tls"]["p50"].as_f64().is_some(), "{json}");
    }
    drop(web);
    drop(serve);
}
