//! TLS against real peers, each started by the test: `openssl s_client` against `web --tls`,
//! `ncat --ssl` against `serve --tls`, `connect --tls` against `openssl s_server`, python's
//! `ssl` module against `web --tls`, and mutual TLS with `openssl s_client -cert`.

use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Instant;

use crate::harness::{Lab, WAIT, peer, stop, wait_timeout};

/// Run `program args` in the lab with `send` on stdin, closing stdin when `close` (else
/// keeping it open), until its stdout holds `expect` or WAIT passes; what it printed.
fn talk(lab: &Lab, program: &str, args: &[&str], send: &[u8], close: bool, expect: &str) -> String {
    let mut child = Command::new(program)
        .args(args)
        .current_dir(lab.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|err| panic!("run {program}: {err}"));
    let mut stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(send).unwrap();
    let stdin = if close {
        drop(stdin);
        None
    } else {
        Some(stdin)
    };
    let deadline = Instant::now() + WAIT;
    let mut got = Vec::new();
    while !String::from_utf8_lossy(&got).contains(expect) {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(bytes) => got.extend_from_slice(&bytes),
            Err(_) => break,
        }
    }
    drop(stdin);
    end(&mut child);
    String::from_utf8_lossy(&got).into_owned()
}

fn end(child: &mut Child) {
    let _ = child.kill();
    let _ = wait_timeout(child, WAIT);
}

#[test]
fn openssl_s_client_gets_a_page_from_web_tls() {
    if !peer("openssl") {
        return;
    }
    let lab = Lab::new();
    lab.write("site/a.txt", "hello s_client\n");
    let server = lab.server([
        "web",
        "--port",
        "0",
        "--tls",
        "--tls-save-cert",
        "saved.pem",
        "site",
    ]);
    let connect = server.addr().to_string();
    let got = talk(
        &lab,
        "openssl",
        &[
            "s_client",
            "-quiet",
            "-verify_return_error",
            "-CAfile",
            "saved.pem",
            "-alpn",
            "http/1.1",
            "-connect",
            &connect,
        ],
        b"GET /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        false,
        "hello s_client",
    );
    assert!(got.starts_with("HTTP/1.1 200 OK\r\n"), "{got}");
    assert!(got.contains("hello s_client"), "{got}");
    stop(server);
}

#[test]
fn ncat_ssl_echoes_through_serve_tls() {
    if !peer("ncat") {
        return;
    }
    let lab = Lab::new();
    for model in ["thread", "poll"] {
        let server = lab.server([
            "serve",
            "--port",
            "0",
            "--model",
            model,
            "--echo",
            "--tls",
            "--tls-save-cert",
            "saved.pem",
        ]);
        let (ip, port) = (
            server.addr().ip().to_string(),
            server.addr().port().to_string(),
        );
        let got = talk(
            &lab,
            "ncat",
            // ncat's --ssl-verify does not read IP addresses in a certificate: unverified, as
            // `ncat --ssl` is mostly used.
            &["--ssl", &ip, &port],
            b"hello ncat\n",
            false,
            "hello ncat\n",
        );
        assert_eq!(got, "hello ncat\n", "{model}: {}", server.log());
        stop(server);
    }
}

#[test]
fn connect_tls_talks_to_openssl_s_server_and_shows_its_chain() {
    if !peer("openssl") {
        return;
    }
    let lab = Lab::new();
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "s.key",
            "-out",
            "s.crt",
            "-days",
            "2",
            "-subj",
            "/CN=s_server",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ])
        .current_dir(lab.path())
        .output()
        .expect("run openssl req");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let (mut server, port, rx, mut heard) = start_s_server(&lab);
    let mut server_in = server.stdin.take().unwrap();
    server_in.write_all(b"hello from s_server\n").unwrap();
    let target = format!("127.0.0.1:{port}");
    let run = lab
        .cmd([
            "connect",
            "--tls",
            &target,
            "--cacert",
            "s.crt",
            "-v",
            "--idle-timeout",
            "2s",
        ])
        .stdin("hello from netlab\n")
        .run();
    drop(server_in);
    let deadline = Instant::now() + WAIT;
    while !String::from_utf8_lossy(&heard).contains("hello from netlab") {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(bytes) => heard.extend(bytes),
            Err(_) => break,
        }
    }
    end(&mut server);
    let heard = String::from_utf8_lossy(&heard);
    assert!(
        run.stdout().contains("hello from s_server"),
        "{}",
        run.context()
    );
    assert!(
        run.stderr().contains("certificate 0: subject CN=s_server"),
        "{}",
        run.context()
    );
    assert!(
        heard.contains("hello from netlab"),
        "s_server heard {heard:?}"
    );
}

/// `openssl s_server` on a free port, once it says ACCEPT: the child, its port, what it writes
/// on stdout from then on, and what it wrote so far. A port found free can be taken by another
/// test before s_server binds it, so a server that ends before ACCEPT is tried again on another
/// port, a few times.
fn start_s_server(lab: &Lab) -> (Child, String, mpsc::Receiver<Vec<u8>>, Vec<u8>) {
    for _ in 0..5 {
        let port = crate::harness::closed_port().to_string();
        let mut server = Command::new("openssl")
            .args([
                "s_server", "-naccept", "1", "-cert", "s.crt", "-key", "s.key", "-accept",
            ])
            .arg(&port)
            .current_dir(lab.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("run openssl s_server");
        // s_server says ACCEPT on stdout once it listens; what it hears follows.
        let mut out = server.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = out.read(&mut buf) {
                if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        let mut heard = Vec::new();
        let deadline = Instant::now() + WAIT;
        while !String::from_utf8_lossy(&heard).contains("ACCEPT") {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(bytes) => heard.extend(bytes),
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    panic!("openssl s_server never said ACCEPT")
                }
            }
        }
        if String::from_utf8_lossy(&heard).contains("ACCEPT") {
            return (server, port, rx, heard);
        }
        let _ = server.wait();
    }
    panic!("openssl s_server did not listen on any of 5 free ports");
}

#[test]
fn python_ssl_client_gets_a_page_from_web_tls() {
    if !peer("python3") {
        return;
    }
    let lab = Lab::new();
    lab.write("site/a.txt", "hello python\n");
    let server = lab.server([
        "web",
        "--port",
        "0",
        "--tls",
        "--tls-save-cert",
        "saved.pem",
        "site",
    ]);
    let script = format!(
        "import ssl, urllib.request\n\
         ctx = ssl.create_default_context(cafile='saved.pem')\n\
         r = urllib.request.urlopen('https://{}/a.txt', context=ctx, timeout=20)\n\
         print(r.status, r.read().decode(), end='')\n",
        server.addr()
    );
    let out = Command::new("python3")
        .args(["-c", &script])
        .current_dir(lab.path())
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "200 hello python\n");
    stop(server);
}

#[test]
fn openssl_s_client_with_a_client_certificate_passes_serve_tls_client_ca() {
    if !peer("openssl") {
        return;
    }
    let lab = Lab::new();
    let run = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(lab.path())
            .output()
            .expect("run openssl");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=lab CA",
    ]);
    run(&[
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "bob.key",
        "-out",
        "bob.csr",
        "-subj",
        "/CN=bob",
    ]);
    // With an extension, so a version 3 certificate (webpki reads no other).
    lab.write("ext.cnf", "extendedKeyUsage=clientAuth\n");
    run(&[
        "x509",
        "-req",
        "-in",
        "bob.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "bob.crt",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
    ]);
    let server = lab.server([
        "serve",
        "--port",
        "0",
        "--echo",
        "--tls",
        "--tls-save-cert",
        "saved.pem",
        "--tls-client-ca",
        "ca.pem",
    ]);
    let connect = server.addr().to_string();
    let got = talk(
        &lab,
        "openssl",
        &[
            "s_client",
            "-quiet",
            "-CAfile",
            "saved.pem",
            "-cert",
            "bob.crt",
            "-key",
            "bob.key",
            "-connect",
            &connect,
        ],
        b"hello bob\n",
        false,
        "hello bob\n",
    );
    assert_eq!(got, "hello bob\n", "{}", server.log());
    let log = stop(server);
    assert!(log.contains("client certificate CN=bob"), "{log}");
}
