//! SIGHUP reloads `--tls-cert/--tls-key`: a new connection sees the new certificate, one
//! already open keeps going, and a bad new pair is refused with a log line, the old one kept.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;

use sha2::Digest as _;

use crate::harness::{Lab, Server, WAIT, bin, stop};

/// A fresh self-signed pair for 127.0.0.1 as `NAME.crt`/`NAME.key`; its SHA-256 fingerprint.
fn pair(lab: &Lab, name: &str) -> String {
    let key = rcgen::KeyPair::generate().unwrap();
    let params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    let cert = params.self_signed(&key).unwrap();
    lab.write(&format!("{name}.crt"), cert.pem());
    lab.write(&format!("{name}.key"), key.serialize_pem());
    sha2::Sha256::digest(cert.der().as_ref())
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// The fingerprint a new `connect --tls -v` is shown.
fn presented(lab: &Lab, server: &Server) -> String {
    let run = lab
        .cmd([
            "connect",
            "--tls",
            &server.addr().to_string(),
            "--insecure",
            "-v",
        ])
        .stdin("x\n")
        .run();
    run.success();
    let err = run.stderr();
    err.lines()
        .find_map(|line| line.split_once("  sha256 ").map(|(_, print)| print.trim()))
        .unwrap_or_else(|| panic!("no fingerprint in {err}"))
        .to_string()
}

#[test]
fn sighup_reloads_the_tls_certificate_and_keeps_open_connections_and_a_bad_pair_is_refused() {
    let lab = Lab::new();
    let first = pair(&lab, "a");
    let second = pair(&lab, "b");
    std::fs::copy(lab.path().join("a.crt"), lab.path().join("live.crt")).unwrap();
    std::fs::copy(lab.path().join("a.key"), lab.path().join("live.key")).unwrap();
    let server = lab.server([
        "serve",
        "--port",
        "0",
        "--model",
        "thread",
        "--echo",
        "--tls-cert",
        "live.crt",
        "--tls-key",
        "live.key",
    ]);
    assert_eq!(presented(&lab, &server), first);

    // A connection that stays open across the reloads.
    let mut open = Command::new(bin())
        .args(["connect", "--tls", &server.addr().to_string(), "--insecure"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut input = open.stdin.take().unwrap();
    let (tx, echoed) = mpsc::channel();
    let reader = BufReader::new(open.stdout.take().unwrap());
    std::thread::spawn(move || {
        for line in reader.lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    input.write_all(b"before\n").unwrap();
    assert_eq!(echoed.recv_timeout(WAIT).unwrap(), "before");

    std::fs::copy(lab.path().join("b.crt"), lab.path().join("live.crt")).unwrap();
    std::fs::copy(lab.path().join("b.key"), lab.path().join("live.key")).unwrap();
    server.signal(1);
    server.wait_for_line(&format!("TLS certificate reloaded: sha256 {second}"));
    assert_eq!(presented(&lab, &server), second, "a new connection sees it");
    input.write_all(b"after\n").unwrap();
    assert_eq!(
        echoed.recv_timeout(WAIT).unwrap(),
        "after",
        "the open one goes on"
    );

    // b's certificate with a's key: refused, b kept.
    std::fs::copy(lab.path().join("a.key"), lab.path().join("live.key")).unwrap();
    server.signal(1);
    let line = server.wait_for_line("the old one is kept");
    assert!(line.contains("does not match the certificate"), "{line}");
    assert_eq!(presented(&lab, &server), second);
    // A file that is not PEM at all: refused the same way.
    lab.write("live.crt", "not a certificate\n");
    server.signal(1);
    let line = server.wait_for_line("the old one is kept");
    assert!(line.contains("--tls-cert"), "{line}");
    assert_eq!(presented(&lab, &server), second);

    input.write_all(b"still\n").unwrap();
    assert_eq!(echoed.recv_timeout(WAIT).unwrap(), "still");
    drop(input);
    let _ = open.wait();
    stop(server);
}

#[test]
fn sighup_reloads_web_tls_too() {
    let lab = Lab::new();
    let first = pair(&lab, "live");
    let server = lab.server([
        "web",
        "--port",
        "0",
        "--echo",
        "--tls-cert",
        "live.crt",
        "--tls-key",
        "live.key",
    ]);
    assert!(server.log().contains(&first), "{}", server.log());
    let second = pair(&lab, "live");
    server.signal(1);
    server.wait_for_line(&format!("TLS certificate reloaded: sha256 {second}"));
    assert_eq!(presented(&lab, &server), second);
    stop(server);
}
