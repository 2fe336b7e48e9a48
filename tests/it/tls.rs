//! TLS on the servers and the socket client: `web --tls` to curl and `fetch`, `serve --tls` in
//! every model to `openssl s_client` and `connect --tls`, the certificate everyone makes with
//! `openssl req -x509` (CA:TRUE) accepted when given as --cacert, and every bad input named.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::harness::{Lab, Server, WAIT, noise, peer, stop};

/// The fingerprint the first stderr line gives (`TLS sha256 AB:CD:…`).
fn fingerprint(server: &Server) -> String {
    let log = server.log();
    let first = log.lines().next().unwrap_or_default();
    first
        .split("TLS sha256 ")
        .nth(1)
        .and_then(|rest| rest.split([')', ' ']).next())
        .unwrap_or_else(|| panic!("no fingerprint in {first:?}"))
        .to_string()
}

/// A web server over TLS with a fresh certificate, saved as `saved.pem`.
fn web_tls(lab: &Lab, extra: &[&str]) -> Server {
    let mut args = vec![
        "web",
        "--port",
        "0",
        "--tls",
        "--tls-save-cert",
        "saved.pem",
    ];
    args.extend_from_slice(extra);
    let server = lab.server(args);
    assert!(
        server.location.starts_with("https://127.0.0.1:"),
        "{}",
        server.location
    );
    server
}

fn curl(lab: &Lab, args: &[&str]) -> std::process::Output {
    Command::new("curl")
        .args(["-sS", "--max-time", "20"])
        .args(args)
        .current_dir(lab.path())
        .output()
        .expect("run curl")
}

#[test]
fn web_tls_serves_files_ranges_and_keep_alive_to_curl_with_the_saved_cert() {
    if !peer("curl") {
        return;
    }
    let lab = Lab::new();
    lab.write("site/a.txt", "hello over tls\n");
    let body = noise(100_000);
    lab.write("site/big.bin", &body);
    let server = web_tls(&lab, &["site"]);
    let base = format!("https://{}", server.addr());
    // Two transfers in one curl run: the second reuses the first one's TLS connection.
    let out = curl(
        &lab,
        &[
            "--cacert",
            "saved.pem",
            "-w",
            "|%{http_code} %{num_connects}\n",
            &format!("{base}/a.txt"),
            &format!("{base}/a.txt"),
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        text, "hello over tls\n|200 1\nhello over tls\n|200 0\n",
        "two answers on one connection"
    );
    // A large file goes to a thread of its own and the connection comes back to its event
    // loop for the next request: still one connection.
    let out = curl(
        &lab,
        &[
            "--cacert",
            "saved.pem",
            "-w",
            "%{http_code} %{size_download} %{num_connects}\n",
            // One -o per URL.
            "-o",
            "/dev/null",
            "-o",
            "/dev/null",
            "-o",
            "/dev/null",
            &format!("{base}/big.bin"),
            &format!("{base}/a.txt"),
            &format!("{base}/big.bin"),
        ],
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "200 100000 1\n200 15 0\n200 100000 0\n"
    );
    let range = curl(
        &lab,
        &[
            "--cacert",
            "saved.pem",
            "-r",
            "10-19",
            &format!("{base}/big.bin"),
        ],
    );
    assert_eq!(range.stdout, &body[10..20]);
    let whole = curl(&lab, &["--cacert", "saved.pem", &format!("{base}/big.bin")]);
    assert_eq!(whole.stdout.len(), body.len());
    assert!(whole.stdout == body, "the large file arrives whole");
    let listing = curl(&lab, &["--cacert", "saved.pem", &format!("{base}/")]);
    assert!(String::from_utf8_lossy(&listing.stdout).contains("big.bin"));
    // The fingerprint on the first line is the saved certificate's.
    if peer("openssl") {
        let out = Command::new("openssl")
            .args([
                "x509",
                "-noout",
                "-fingerprint",
                "-sha256",
                "-in",
                "saved.pem",
            ])
            .current_dir(lab.path())
            .output()
            .expect("run openssl");
        let printed = String::from_utf8_lossy(&out.stdout);
        assert!(printed.trim().ends_with(&fingerprint(&server)), "{printed}");
    }
    stop(server);
}

#[test]
fn web_tls_with_curl_insecure_sends_a_large_file_and_a_listing() {
    if !peer("curl") {
        return;
    }
    let lab = Lab::new();
    let body = noise(3 << 20);
    lab.write("site/big.bin", &body);
    let server = web_tls(&lab, &["site"]);
    let base = format!("https://{}", server.addr());
    let out = curl(&lab, &["-k", &format!("{base}/big.bin")]);
    assert!(out.stdout == body, "3 MiB arrive whole over TLS");
    let head = curl(&lab, &["-k", "-I", &format!("{base}/big.bin")]);
    assert!(
        String::from_utf8_lossy(&head.stdout).contains("content-length: 3145728")
            || String::from_utf8_lossy(&head.stdout).contains("Content-Length: 3145728")
    );
    let log = stop(server);
    assert!(
        log.contains("\"GET /big.bin HTTP/1.1\" 200 3145728"),
        "{log}"
    );
}

#[test]
fn web_tls_answers_plain_http_with_400_and_keeps_serving() {
    let lab = Lab::new();
    lab.write("site/a.txt", "secret\n");
    let server = web_tls(&lab, &["site"]);
    let mut plain = server.connect();
    plain
        .write_all(b"GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    plain.read_to_string(&mut answer).unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 400 Bad Request\r\n"),
        "{answer}"
    );
    assert!(
        answer.contains(&format!("use https://{}/", server.addr())),
        "{answer}"
    );
    assert!(!answer.contains("secret"));
    server.wait_for_line("not TLS: the client spoke plain HTTP");
    // Everyone else is still served.
    let fetched = lab
        .cmd([
            "fetch",
            "--cacert",
            "saved.pem",
            &format!("https://{}/a.txt", server.addr()),
        ])
        .run();
    fetched.success().stdout_is("secret\n");
    stop(server);
}

#[test]
fn web_tls_closes_a_silent_client_at_the_handshake_deadline() {
    let lab = Lab::new();
    let server = web_tls(&lab, &["--tls-handshake-timeout", "300ms", "--echo"]);
    let mut silent = server.connect();
    let began = Instant::now();
    let mut buf = [0u8; 16];
    let n = silent.read(&mut buf).unwrap_or(0);
    assert_eq!(n, 0, "closed without a word");
    assert!(
        began.elapsed() < Duration::from_secs(8),
        "{:?}",
        began.elapsed()
    );
    server.wait_for_line("no TLS handshake within 300ms");
    stop(server);
}

#[test]
fn fetch_with_the_saved_cert_reaches_web_tls() {
    let lab = Lab::new();
    let server = web_tls(&lab, &["--echo"]);
    let url = format!("https://{}/hello?x=1", server.addr());
    lab.cmd(["fetch", "--cacert", "saved.pem", &url])
        .run()
        .success()
        .stdout_has("GET /hello?x=1 HTTP/1.1");
    // Without it the certificate is refused, naming why.
    lab.cmd(["fetch", &url])
        .run()
        .fails_with(60, "unknown issuer");
    stop(server);
}

/// `serve --tls --echo` in a model, its certificate saved as `saved.pem`.
fn serve_tls(lab: &Lab, model: &str, extra: &[&str]) -> Server {
    let mut args = vec![
        "serve",
        "--port",
        "0",
        "--model",
        model,
        "--tls",
        "--tls-save-cert",
        "saved.pem",
    ];
    args.extend_from_slice(extra);
    let server = lab.server(args);
    assert!(
        server.location.starts_with("tls://127.0.0.1:"),
        "{}",
        server.location
    );
    server
}

/// Run `openssl s_client` against the server, write `send`, and wait (bounded) until what it
/// prints holds `expect`.
fn s_client_round_trip(lab: &Lab, server: &Server, send: &[u8], expect: &str) {
    let mut child = Command::new("openssl")
        .args([
            "s_client",
            "-quiet",
            "-verify_return_error",
            "-CAfile",
            "saved.pem",
            "-connect",
            &server.addr().to_string(),
        ])
        .current_dir(lab.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("run openssl s_client");
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
    child.stdin.as_mut().unwrap().write_all(send).unwrap();
    let deadline = Instant::now() + WAIT;
    let mut got = Vec::new();
    while !String::from_utf8_lossy(&got).contains(expect) {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(bytes) => got.extend_from_slice(&bytes),
            Err(_) => break,
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        String::from_utf8_lossy(&got).contains(expect),
        "openssl s_client got {:?}\nserver log:\n{}",
        String::from_utf8_lossy(&got),
        server.log()
    );
}

#[test]
fn serve_tls_echoes_to_openssl_s_client_in_every_model() {
    if !peer("openssl") {
        return;
    }
    for model in ["serial", "thread", "pool", "fork", "poll"] {
        let lab = Lab::new();
        let server = serve_tls(&lab, model, &["--echo"]);
        s_client_round_trip(
            &lab,
            &server,
            format!("ping {model}\n").as_bytes(),
            &format!("ping {model}"),
        );
        stop(server);
    }
}

#[test]
fn serve_tls_greets_and_sends_a_file_to_openssl_in_every_model() {
    if !peer("openssl") {
        return;
    }
    for model in ["serial", "thread", "pool", "fork", "poll"] {
        let lab = Lab::new();
        let server = serve_tls(&lab, model, &["--message", "hello tls"]);
        s_client_round_trip(&lab, &server, b"", "hello tls");
        stop(server);
        let lab = Lab::new();
        lab.write("notes.txt", "13.2 socket over tls");
        let server = serve_tls(&lab, model, &["--file", "notes.txt"]);
        s_client_round_trip(&lab, &server, b"", "13.2 socket over tls");
        stop(server);
    }
}

#[test]
fn connect_tls_echoes_a_mebibyte_through_serve_tls_in_every_model() {
    let payload = noise(1 << 20);
    for model in ["serial", "thread", "pool", "fork", "poll"] {
        let lab = Lab::new();
        let server = serve_tls(&lab, model, &["--echo", "-v"]);
        let run = lab
            .cmd([
                "connect",
                "--tls",
                &server.addr().to_string(),
                "--cacert",
                "saved.pem",
            ])
            .stdin(payload.clone())
            .run();
        run.success();
        assert!(run.stdout == payload, "{model}: the echo came back whole");
        let log = stop(server);
        assert!(
            log.contains("exactly 1048576 bytes in, 1048576 bytes out"),
            "{model}: {log}"
        );
    }
}

#[test]
fn connect_tls_discards_into_serve_tls_and_the_sink_counts_every_byte_in_every_model() {
    let payload = noise(5 << 20);
    for model in ["serial", "thread", "pool", "fork", "poll"] {
        let lab = Lab::new();
        let server = serve_tls(&lab, model, &["--discard", "-v"]);
        lab.cmd([
            "connect",
            &format!("tls://{}", server.addr()),
            "--cacert",
            "saved.pem",
        ])
        .stdin(payload.clone())
        .run()
        .success();
        let log = stop(server);
        assert!(log.contains("exactly 5242880 bytes in"), "{model}: {log}");
    }
}

#[test]
fn connect_tls_refuses_an_untrusted_certificate_naming_subject_and_issuer() {
    let lab = Lab::new();
    let server = serve_tls(&lab, "thread", &["--echo"]);
    let run = lab
        .cmd(["connect", &format!("tls://{}", server.addr())])
        .stdin("hello")
        .run();
    run.fails_with(
        60,
        "(subject CN=netlab self-signed, issuer CN=netlab self-signed) is signed by an unknown \
         issuer (trust it with --cacert FILE, or skip the check with --insecure)",
    );
    assert!(run.stdout.is_empty());
    // --insecure skips the check.
    lab.cmd(["connect", &format!("tls://{}", server.addr()), "--insecure"])
        .stdin("hello")
        .run()
        .success()
        .stdout_is("hello");
    // The name asked for must be in the certificate.
    lab.cmd([
        "connect",
        &format!("tls://{}", server.addr()),
        "--cacert",
        "saved.pem",
        "--sni",
        "other.example",
    ])
    .stdin("hello")
    .run()
    .fails_with(60, "is not valid for other.example (it is for 127.0.0.1)");
    stop(server);
}

#[test]
fn connect_tls_to_a_plain_port_says_the_server_is_not_speaking_tls() {
    let lab = Lab::new();
    let server = lab.server(["serve", "--port", "0"]);
    lab.cmd(["connect", "--tls", &server.addr().to_string(), "--insecure"])
        .run()
        .fails_with(
            35,
            "is not speaking TLS: it sent \"Thank you for connecting\"",
        );
    stop(server);
}

#[test]
fn a_plain_client_on_serve_tls_is_logged_and_the_server_keeps_serving() {
    let lab = Lab::new();
    let server = serve_tls(&lab, "thread", &["--echo"]);
    let mut plain = server.connect();
    plain.write_all(b"hello in the clear\n").unwrap();
    let mut rest = Vec::new();
    let _ = plain.read_to_end(&mut rest);
    assert!(
        rest.is_empty() || rest[0] == 21,
        "no echo in the clear: {rest:?}"
    );
    server.wait_for_line("not TLS");
    lab.cmd([
        "connect",
        "--tls",
        &server.addr().to_string(),
        "--cacert",
        "saved.pem",
    ])
    .stdin("still here")
    .run()
    .success()
    .stdout_is("still here");
    stop(server);
}

/// What `openssl req -x509` makes (self-signed, marked CA:TRUE), in `cert.pem` and `key.pem`.
fn openssl_self_signed(lab: &Lab) -> bool {
    if !peer("openssl") {
        return false;
    }
    let status = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "key.pem",
            "-out",
            "cert.pem",
            "-days",
            "30",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ])
        .current_dir(lab.path())
        .stderr(Stdio::null())
        .status()
        .expect("run openssl");
    assert!(status.success());
    let text = std::fs::read_to_string(lab.path().join("cert.pem")).unwrap();
    assert!(text.contains("BEGIN CERTIFICATE"));
    true
}

#[test]
fn connect_and_fetch_accept_the_ca_true_self_signed_cert_openssl_makes_as_cacert() {
    let lab = Lab::new();
    if !openssl_self_signed(&lab) {
        return;
    }
    let server = lab.server([
        "serve",
        "--port",
        "0",
        "--echo",
        "--tls-cert",
        "cert.pem",
        "--tls-key",
        "key.pem",
    ]);
    for target in [
        format!("tls://{}", server.addr()),
        format!("tls://localhost:{}", server.addr().port()),
    ] {
        lab.cmd(["connect", &target, "--cacert", "cert.pem"])
            .stdin("rsa and ca:true")
            .run()
            .success()
            .stdout_is("rsa and ca:true");
    }
    stop(server);
    let web = lab.server([
        "web",
        "--port",
        "0",
        "--echo",
        "--tls-cert",
        "cert.pem",
        "--tls-key",
        "key.pem",
    ]);
    for host in ["127.0.0.1".to_string(), "localhost".into()] {
        let url = format!("https://{host}:{}/ca-true", web.addr().port());
        lab.cmd(["fetch", "--cacert", "cert.pem", &url])
            .run()
            .success()
            .stdout_has("GET /ca-true HTTP/1.1");
    }
    stop(web);
}

/// A certificate and key made by rcgen with the given algorithm, written as PEM files.
fn rcgen_pair(lab: &Lab, alg: &'static rcgen::SignatureAlgorithm, prefix: &str) {
    let key = rcgen::KeyPair::generate_for(alg).unwrap();
    let params =
        rcgen::CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".into()]).unwrap();
    let cert = params.self_signed(&key).unwrap();
    lab.write(&format!("{prefix}.crt"), cert.pem());
    lab.write(&format!("{prefix}.key"), key.serialize_pem());
}

#[test]
fn serve_and_web_take_ecdsa_and_ed25519_keys() {
    let lab = Lab::new();
    for (alg, name) in [
        (&rcgen::PKCS_ECDSA_P256_SHA256, "p256"),
        (&rcgen::PKCS_ECDSA_P384_SHA384, "p384"),
        (&rcgen::PKCS_ED25519, "ed25519"),
    ] {
        rcgen_pair(&lab, alg, name);
        let (cert, key) = (format!("{name}.crt"), format!("{name}.key"));
        let server = lab.server([
            "serve",
            "--port",
            "0",
            "--message",
            name,
            "--tls-cert",
            &cert,
            "--tls-key",
            &key,
        ]);
        lab.cmd([
            "connect",
            "--tls",
            &server.addr().to_string(),
            "--cacert",
            &cert,
        ])
        .run()
        .success()
        .stdout_is(name);
        stop(server);
        let server = lab.server([
            "web",
            "--port",
            "0",
            "--echo",
            "--tls-cert",
            &cert,
            "--tls-key",
            &key,
        ]);
        assert!(server.location.starts_with("https://"));
        lab.cmd([
            "fetch",
            "--cacert",
            &cert,
            &format!("https://{}/{name}", server.addr()),
        ])
        .run()
        .success()
        .stdout_has(&format!("GET /{name} HTTP/1.1"));
        stop(server);
    }
}

#[test]
fn tls_key_that_does_not_match_the_certificate_exits_2() {
    let lab = Lab::new();
    rcgen_pair(&lab, &rcgen::PKCS_ECDSA_P256_SHA256, "one");
    rcgen_pair(&lab, &rcgen::PKCS_ECDSA_P256_SHA256, "two");
    for verb in ["serve", "web"] {
        lab.cmd([
            verb,
            "--port",
            "0",
            "--tls-cert",
            "one.crt",
            "--tls-key",
            "two.key",
        ])
        .run()
        .fails_with(
            2,
            "--tls-key two.key does not match the certificate in --tls-cert one.crt",
        );
    }
}

#[test]
fn tls_cert_that_is_not_pem_exits_2() {
    let lab = Lab::new();
    rcgen_pair(&lab, &rcgen::PKCS_ECDSA_P256_SHA256, "one");
    lab.write("notes.txt", "not a certificate\n");
    lab.cmd([
        "web",
        "--port",
        "0",
        "--tls-cert",
        "notes.txt",
        "--tls-key",
        "one.key",
    ])
    .run()
    .fails_with(2, "--tls-cert notes.txt: no certificate in it");
    lab.cmd([
        "serve",
        "--port",
        "0",
        "--tls-cert",
        "one.crt",
        "--tls-key",
        "notes.txt",
    ])
    .run()
    .fails_with(2, "--tls-key notes.txt: no private key in it");
    lab.cmd(["connect", "--tls", "127.0.0.1:1", "--cacert", "notes.txt"])
        .run()
        .fails_with(2, "--cacert notes.txt: no certificate in it");
}

#[test]
fn tls_files_that_are_missing_exit_2() {
    let lab = Lab::new();
    rcgen_pair(&lab, &rcgen::PKCS_ECDSA_P256_SHA256, "one");
    lab.cmd([
        "serve",
        "--port",
        "0",
        "--tls-cert",
        "gone.pem",
        "--tls-key",
        "one.key",
    ])
    .run()
    .fails_with(2, "--tls-cert gone.pem: no such file or directory");
    lab.cmd([
        "web",
        "--port",
        "0",
        "--tls-cert",
        "one.crt",
        "--tls-key",
        "gone.pem",
    ])
    .run()
    .fails_with(2, "--tls-key gone.pem: no such file or directory");
    lab.cmd(["serve", "--port", "0", "--tls-cert", "one.crt"])
        .run()
        .fails_with(2, "--tls-cert needs --tls-key");
    lab.cmd(["serve", "--port", "0", "--tls-save-cert", "x.pem"])
        .run()
        .fails_with(2, "--tls-save-cert needs --tls or --tls-cert");
    lab.cmd(["serve", "--udp", "--port", "0", "--tls"])
        .run()
        .fails_with(2, "do not go with --udp or --unix");
    assert!(!Path::new(&lab.path().join("x.pem")).exists());
}

#[test]
fn connect_tls_flags_need_tls() {
    let lab = Lab::new();
    lab.cmd(["connect", "127.0.0.1:1", "--insecure"])
        .run()
        .fails_with(2, "need --tls");
}

#[test]
fn web_tls_self_signed_certificate_names_the_addresses_bound() {
    let lab = Lab::new();
    let server = web_tls(&lab, &["--echo"]);
    // The saved certificate holds 127.0.0.1: connect's check by name passes with it.
    lab.cmd([
        "connect",
        &format!("tls://{}", server.addr()),
        "--cacert",
        "saved.pem",
        "--alpn",
        "http/1.1",
        "--send",
        "GET /x HTTP/1.0\r\n\r\n",
        "-v",
    ])
    .run()
    .success()
    .stdout_has("GET /x HTTP/1.0")
    .stderr_has("ALPN http/1.1, a full handshake")
    .stderr_has("certificate 0: subject CN=netlab self-signed, issuer CN=netlab self-signed")
    .stderr_has("ECDSA P-256 key; names 127.0.0.1")
    .stderr_has(&format!("  sha256 {}", fingerprint(&server)));
    stop(server);
}

#[test]
fn serve_tls_closes_a_silent_client_at_the_handshake_deadline() {
    for model in ["thread", "poll"] {
        let lab = Lab::new();
        let server = serve_tls(&lab, model, &["--echo", "--tls-handshake-timeout", "300ms"]);
        let mut silent = server.connect();
        let began = Instant::now();
        let mut buf = [0u8; 16];
        assert_eq!(silent.read(&mut buf).unwrap_or(0), 0, "{model}: closed");
        assert!(began.elapsed() < Duration::from_secs(8), "{model}");
        server.wait_for_line("no TLS handshake within 300ms (--tls-handshake-timeout)");
        stop(server);
    }
}

#[test]
fn serve_tls_resumes_a_tls12_session_from_its_ticket() {
    if !peer("openssl") {
        return;
    }
    let lab = Lab::new();
    let server = serve_tls(&lab, "thread", &["--message", "hi"]);
    let s_client = |session: &str| {
        let out = Command::new("openssl")
            .args(["s_client", "-tls1_2", "-CAfile", "saved.pem", "-connect"])
            .arg(server.addr().to_string())
            .args([session, "s.sess"])
            .current_dir(lab.path())
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .expect("run openssl s_client");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let first = s_client("-sess_out");
    assert!(first.contains("New, TLSv1.2"), "{first}");
    assert!(first.contains("Verify return code: 0 (ok)"), "{first}");
    let second = s_client("-sess_in");
    assert!(second.contains("Reused, TLSv1.2"), "{second}");
    stop(server);
}

#[test]
fn web_tls_speaks_tls12_and_alpn_http11_to_curl() {
    if !peer("curl") {
        return;
    }
    let lab = Lab::new();
    lab.write("site/a.txt", "one two\n");
    let server = web_tls(&lab, &["site"]);
    let out = curl(
        &lab,
        &[
            "--cacert",
            "saved.pem",
            "--tlsv1.2",
            "--tls-max",
            "1.2",
            "-v",
            &format!("https://{}/a.txt", server.addr()),
        ],
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "one two\n");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("TLSv1.2"), "{said}");
    assert!(said.contains("http/1.1"), "ALPN: {said}");
    stop(server);
}

#[test]
fn an_expired_tls_cert_is_served_with_a_warning_and_refused_by_clients() {
    let lab = Lab::new();
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    params.not_before = rcgen::date_time_ymd(2019, 1, 1);
    params.not_after = rcgen::date_time_ymd(2020, 1, 1);
    let cert = params.self_signed(&key).unwrap();
    lab.write("old.crt", cert.pem());
    lab.write("old.key", key.serialize_pem());
    let server = lab.server([
        "serve",
        "--port",
        "0",
        "--tls-cert",
        "old.crt",
        "--tls-key",
        "old.key",
    ]);
    server.wait_for_line("the certificate expired on 2020-01-01 00:00:00 UTC");
    lab.cmd([
        "connect",
        "--tls",
        &server.addr().to_string(),
        "--cacert",
        "old.crt",
    ])
    .run()
    .fails_with(60, "has expired");
    stop(server);
}
