//! `connect --proxy` (and `fetch -x`) through a small recording proxy in Python
//! (`data/proxy.py`): SOCKS5 with and without a password, socks5 (an address sent) against
//! socks5h (the name sent), HTTP CONNECT with Basic credentials, TLS through the tunnel, `-z`,
//! and every way a proxy can fail: down (exit 7), refusing the target or our credentials
//! (exit 97), a bad URL (exit 2).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Instant;

use crate::harness::{Lab, Server, WAIT, closed_port, peer};

const SCRIPT: &str = include_str!("data/proxy.py");

/// The Python proxy, killed on drop; its stdout lines are what it recorded.
struct Proxy {
    child: Child,
    port: u16,
    lines: mpsc::Receiver<String>,
}

impl Proxy {
    /// `mode` is `socks5` or `http`; `None` (the test is skipped) without python3.
    fn start(lab: &Lab, mode: &str, extra: &[&str]) -> Option<Proxy> {
        if !peer("python3") {
            return None;
        }
        let script = lab.write("proxy.py", SCRIPT);
        let mut child = Command::new("python3")
            .arg("-u")
            .arg(&script)
            .arg(mode)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn python3");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let first = lines.recv_timeout(WAIT).unwrap_or_default();
        let Some(port) = first
            .strip_prefix("proxy listening on 127.0.0.1:")
            .and_then(|port| port.parse().ok())
        else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the proxy did not start: {first:?}");
        };
        Some(Proxy { child, port, lines })
    }

    fn url(&self, scheme: &str) -> String {
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    /// What it recorded, up to and including the first line containing `needle` (bounded).
    #[track_caller]
    fn until(&self, needle: &str) -> Vec<String> {
        let deadline = Instant::now() + WAIT;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let found = line.contains(needle);
                    seen.push(line);
                    if found {
                        return seen;
                    }
                }
                Err(_) => panic!("the proxy recorded no {needle:?} within {WAIT:?}: {seen:?}"),
            }
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn echo(lab: &Lab) -> Server {
    lab.server(["serve", "--port", "0", "--echo"])
}

#[test]
fn socks5_sends_the_address_it_resolved_and_carries_data_both_ways() {
    let lab = Lab::new();
    let Some(proxy) = Proxy::start(&lab, "socks5", &[]) else {
        return;
    };
    let server = echo(&lab);
    let port = server.addr().port().to_string();
    let run = lab
        .cmd([
            "connect",
            "-v",
            "--proxy",
            &proxy.url("socks5"),
            "localhost",
            &port,
        ])
        .stdin("hello through socks\n")
        .run();
    run.success().stdout_is("hello through socks\n");
    run.stderr_has(&format!("via proxy {}", proxy.url("socks5")))
        .stderr_has("proxy answered: no authentication; reply: succeeded, bound 127.0.0.1:");
    let seen = proxy.until(&format!("target ip 127.0.0.1 {port}"));
    assert!(
        seen.iter().all(|line| !line.starts_with("target name")),
        "socks5:// sent a name: {seen:?}"
    );
}

#[test]
fn socks5h_sends_the_name_for_the_proxy_to_resolve() {
    let lab = Lab::new();
    let Some(proxy) = Proxy::start(&lab, "socks5", &[]) else {
        return;
    };
    let server = echo(&lab);
    let port = server.addr().port().to_string();
    lab.cmd([
        "connect",
        "--proxy",
        &proxy.url("socks5h"),
        "localhost",
        &port,
    ])
    .stdin("by name\n")
    .run()
    .success()
    .stdout_is("by name\n");
    let seen = proxy.until("target ");
    assert_eq!(
        seen.last().unwrap(),
        &format!("target name localhost {port}")
    );
}

#[test]
fn socks5_user_and_password_from_the_url_or_proxy_auth_and_refusals_exit_97() {
    let lab = Lab::new();
    let Some(proxy) = Proxy::start(&lab, "socks5", &["--auth", "alice:s3cret"]) else {
        return;
    };
    let server = echo(&lab);
    let target = server.addr().to_string();
    let in_url = format!("socks5://alice:s3cret@127.0.0.1:{}", proxy.port);
    lab.cmd(["connect", "--proxy", &in_url, &target])
        .stdin("one\n")
        .run()
        .success()
        .stdout_is("one\n");
    proxy.until("login alice:s3cret");
    lab.cmd([
        "connect",
        "--proxy",
        &proxy.url("socks5"),
        "--proxy-auth",
        "alice:s3cret",
        &target,
    ])
    .stdin("two\n")
    .run()
    .success()
    .stdout_is("two\n");
    proxy.until("login alice:s3cret");

    let wrong = lab
        .cmd([
            "connect",
            "--proxy",
            &proxy.url("socks5"),
            "--proxy-auth",
            "alice:wrong",
            &target,
        ])
        .run();
    wrong.fails_with(
        97,
        &format!(
            "connect {target} through the proxy {}: the proxy rejected the user name and \
             password of \"alice\"",
            proxy.url("socks5")
        ),
    );
    assert!(!wrong.stderr().contains("wrong"), "the password was shown");
    proxy.until("refused bad credentials");
    lab.cmd(["connect", "--proxy", &proxy.url("socks5"), &target])
        .run()
        .fails_with(97, "the proxy asks for a user name and password");
}

#[test]
fn http_connect_sends_the_target_and_basic_credentials() {
    let lab = Lab::new();
    let Some(proxy) = Proxy::start(&lab, "http", &["--auth", "alice:s3cret"]) else {
        return;
    };
    let server = echo(&lab);
    let port = server.addr().port().to_string();
    let run = lab
        .cmd([
            "connect",
            "-v",
            "--proxy",
            &proxy.url("http"),
            "--proxy-auth",
            "alice:s3cret",
            "localhost",
            &port,
        ])
        .stdin("over connect\n")
        .run();
    run.success().stdout_is("over connect\n");
    run.stderr_has("proxy answered: HTTP/1.1 200 Connection established");
    let seen = proxy.until("auth ");
    assert!(
        seen.contains(&format!("connect CONNECT localhost:{port} HTTP/1.1")),
        "{seen:?}"
    );
    // base64("alice:s3cret")
    assert_eq!(seen.last().unwrap(), "auth Basic YWxpY2U6czNjcmV0");

    lab.cmd(["connect", "--proxy", &proxy.url("http"), "localhost", &port])
        .run()
        .fails_with(
            97,
            "the proxy wants credentials: HTTP/1.1 407 Proxy Authentication Required; it asks \
             for Basic realm=\"netlab-test\"",
        );
}

#[test]
fn tls_runs_through_the_tunnel_and_checks_the_targets_name() {
    let lab = Lab::new();
    let Some(proxy) = Proxy::start(&lab, "socks5", &[]) else {
        return;
    };
    let named = lab.server([
        "serve",
        "--host",
        "localhost",
        "--port",
        "0",
        "--echo",
        "--tls",
        "--tls-save-cert",
        "named.pem",
    ]);
    let port = named.addr().port().to_string();
    let via = proxy.url("socks5h");
    lab.cmd([
        "connect",
        "--tls",
        "--cacert",
        "named.pem",
        "--proxy",
        &via,
        "localhost",
        &port,
    ])
    .stdin("secret words\n")
    .run()
    .success()
    .stdout_is("secret words\n");
    proxy.until(&format!("target name localhost {port}"));

    // A certificate for 127.0.0.1 only: the name checked is the target's (localhost), not the
    // proxy's address, so the handshake through the tunnel must fail.
    let by_ip = lab.server([
        "serve",
        "--port",
        "0",
        "--echo",
        "--tls",
        "--tls-save-cert",
        "ip.pem",
    ]);
    let port = by_ip.addr().port().to_string();
    let run = lab
        .cmd([
            "connect",
            "--tls",
            "--cacert",
            "ip.pem",
            "--proxy",
            &via,
            "localhost",
            &port,
        ])
        .run();
    run.fails_with(60, "is not valid for localhost (it is for 127.0.0.1)");
}

#[test]
fn an_unreachable_proxy_exits_7_and_names_it() {
    let lab = Lab::new();
    let dead = closed_port();
    let target = format!("127.0.0.1:{}", closed_port());
    for scheme in ["socks5", "socks5h", "http"] {
        lab.cmd([
            "connect",
            "--proxy",
            &format!("{scheme}://127.0.0.1:{dead}"),
            &target,
        ])
        .run()
        .fails_with(
            7,
            &format!("connect to the proxy 127.0.0.1:{dead} ({scheme}): connection refused"),
        );
    }
}

#[test]
fn a_target_the_proxy_cannot_open_exits_97_with_its_reason() {
    let lab = Lab::new();
    let Some(socks) = Proxy::start(&lab, "socks5", &["--deny", "127.0.0.9"]) else {
        return;
    };
    let closed = format!("127.0.0.1:{}", closed_port());
    lab.cmd(["connect", "--proxy", &socks.url("socks5"), &closed])
        .run()
        .fails_with(
            97,
            &format!(
                "connect {closed} through the proxy {}: connection refused by the target \
                 (SOCKS5 reply 5)",
                socks.url("socks5")
            ),
        );
    lab.cmd(["connect", "--proxy", &socks.url("socks5"), "127.0.0.9:80"])
        .run()
        .fails_with(97, "connection not allowed by ruleset (SOCKS5 reply 2)");
    socks.until("refused denied");

    let Some(http) = Proxy::start(&lab, "http", &[]) else {
        return;
    };
    lab.cmd(["connect", "--proxy", &http.url("http"), &closed])
        .run()
        .fails_with(97, "the proxy refused the tunnel: HTTP/1.1 502 Bad Gateway");
}

#[test]
fn bad_proxy_urls_and_flags_it_does_not_go_with_exit_2() {
    let lab = Lab::new();
    for (proxy, why) in [
        (
            "ftp://127.0.0.1:21",
            "ftp:// proxies are not supported here",
        ),
        ("socks5://", "no proxy host"),
        ("socks5://127.0.0.1:99999", "invalid port number"),
        ("http://127.0.0.1:3128/path", "with no path"),
    ] {
        lab.cmd(["connect", "--proxy", proxy, "127.0.0.1:1"])
            .run()
            .fails_with(2, why);
    }
    lab.cmd([
        "connect",
        "--proxy",
        "socks5://127.0.0.1:1",
        "--proxy-auth",
        "nocolon",
        "127.0.0.1:1",
    ])
    .run()
    .fails_with(2, "--proxy-auth `nocolon`: give USER:PASSWORD");
    lab.cmd([
        "connect",
        "--udp",
        "--proxy",
        "socks5://127.0.0.1:1",
        "127.0.0.1:1",
    ])
    .run()
    .fails_with(2, "does not go with --udp");
    lab.cmd([
        "connect",
        "--unix",
        "/tmp/x.sock",
        "--proxy",
        "socks5://127.0.0.1:1",
    ])
    .run()
    .fails_with(2, "does not go with --unix");
}

#[test]
fn probe_through_the_proxy_reports_open_and_closed_ports() {
    let lab = Lab::new();
    let Some(proxy) = Proxy::start(&lab, "socks5", &[]) else {
        return;
    };
    let server = echo(&lab);
    let open = server.addr().to_string();
    lab.cmd(["connect", "-z", "--proxy", &proxy.url("socks5"), &open])
        .run()
        .success()
        .stdout_is(&format!("{open} open\n"));
    let closed = format!("127.0.0.1:{}", closed_port());
    let run = lab
        .cmd(["connect", "-z", "--proxy", &proxy.url("socks5"), &closed])
        .run();
    run.fails_with(1, "connection refused by the target");
    assert_eq!(run.stdout(), "");

    // With --tls, each open port is asked for a handshake through the tunnel.
    let tls = lab.server([
        "serve",
        "--host",
        "localhost",
        "--port",
        "0",
        "--tls",
        "--tls-save-cert",
        "c.pem",
    ]);
    let port = tls.addr().port().to_string();
    let run = lab
        .cmd([
            "connect",
            "-z",
            "--tls",
            "--cacert",
            "c.pem",
            "--proxy",
            &proxy.url("socks5h"),
            "localhost",
            &port,
        ])
        .run();
    run.success();
    assert!(
        run.stdout()
            .starts_with(&format!("localhost:{port} open, TLSv1.3")),
        "{}",
        run.context()
    );
}

#[test]
fn fetch_x_goes_through_the_connect_proxy_with_proxy_user() {
    let lab = Lab::new();
    let Some(proxy) = Proxy::start(&lab, "http", &["--auth", "alice:s3cret"]) else {
        return;
    };
    lab.write("site/page.txt", "through the proxy\n");
    let web = lab.server(["web", "--port", "0", "site"]);
    let url = format!("{}/page.txt", web.base_url());
    lab.cmd([
        "fetch",
        "-x",
        &proxy.url("http"),
        "-U",
        "alice:s3cret",
        &url,
    ])
    .run()
    .success()
    .stdout_is("through the proxy\n");
    let seen = proxy.until("auth ");
    assert!(
        seen.contains(&format!("connect CONNECT {} HTTP/1.1", web.addr())),
        "{seen:?}"
    );
    assert_eq!(seen.last().unwrap(), "auth Basic YWxpY2U6czNjcmV0");
    lab.cmd(["fetch", "-x", &proxy.url("http"), &url])
        .run()
        .fails_with(97, "407");
}

#[test]
fn fetch_x_through_socks5h_sends_the_name_and_a_wrong_password_exits_97() {
    let lab = Lab::new();
    let Some(proxy) = Proxy::start(&lab, "socks5", &["--auth", "alice:s3cret"]) else {
        return;
    };
    lab.write("site/page.txt", "via socks\n");
    let web = lab.server(["web", "--port", "0", "site"]);
    let port = web.addr().port();
    let url = format!("http://localhost:{port}/page.txt");
    let via = proxy.url("socks5h");
    lab.cmd(["fetch", "-x", &via, "--proxy-user", "alice:s3cret", &url])
        .run()
        .success()
        .stdout_is("via socks\n");
    proxy.until(&format!("target name localhost {port}"));
    lab.cmd(["fetch", "-x", &via, "-U", "alice:nope", &url])
        .run()
        .fails_with(97, "the proxy rejected the user name and password");
}
