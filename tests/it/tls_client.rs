//! The TLS client's reports: `connect --tls -z` says per port whether a handshake completes
//! and what it agreed on, and `fetch -v` shows the certificate chain as `connect -v` does.

use crate::harness::{Lab, stop};

#[test]
fn connect_tls_probe_reports_the_handshake_of_each_port() {
    let lab = Lab::new();
    let tls = lab.server([
        "serve",
        "--port",
        "0",
        "--echo",
        "--tls",
        "--tls-save-cert",
        "saved.pem",
    ]);
    let plain = lab.server(["serve", "--port", "0", "--message", "hello\n"]);
    let target = tls.addr().to_string();
    let run = lab
        .cmd(["connect", "--tls", "-z", &target, "--cacert", "saved.pem"])
        .run();
    run.success();
    let out = run.stdout();
    assert!(
        out.starts_with(&format!("{target} open, TLSv1.3 ")),
        "{out}"
    );
    assert!(
        out.contains("a full handshake; certificate CN=netlab self-signed"),
        "{out}"
    );
    // Without the saved certificate: open, and the handshake refused it (exit 60).
    let run = lab.cmd(["connect", "-z", &format!("tls://{target}")]).run();
    run.expect_code(60);
    assert!(
        run.stdout()
            .contains("open, TLS failed: the certificate of 127.0.0.1"),
        "{}",
        run.context()
    );
    // A plain port: open, not speaking TLS (exit 35).
    let plain_target = plain.addr().to_string();
    let run = lab
        .cmd(["connect", "--tls", "-z", &plain_target, "--insecure"])
        .run();
    run.expect_code(35);
    assert!(
        run.stdout()
            .starts_with(&format!("{plain_target} open, TLS failed: ")),
        "{}",
        run.context()
    );
    assert!(
        run.stdout().contains("not speaking TLS"),
        "{}",
        run.context()
    );
    stop(tls);
    stop(plain);
}

#[test]
fn fetch_verbose_shows_the_tls_session_and_certificate_chain() {
    let lab = Lab::new();
    let server = lab.server([
        "web",
        "--port",
        "0",
        "--echo",
        "--tls",
        "--tls-save-cert",
        "saved.pem",
    ]);
    let first = server.log();
    let print = first
        .split("TLS sha256 ")
        .nth(1)
        .and_then(|rest| rest.split([')', ' ', '\n']).next())
        .unwrap()
        .to_string();
    let run = lab
        .cmd([
            "fetch",
            "-v",
            "--cacert",
            "saved.pem",
            &format!("https://{}/v", server.addr()),
        ])
        .run();
    run.success().stdout_has("GET /v HTTP/1.1");
    let err = run.stderr();
    assert!(
        err.contains("* TLS: TLSv1.3 TLS13_") && err.contains("a full handshake"),
        "{err}"
    );
    assert!(
        err.contains("* certificate 0: subject CN=netlab self-signed"),
        "{err}"
    );
    assert!(err.contains(&format!("*   sha256 {print}")), "{err}");
    stop(server);
}

#[test]
fn connect_tls_echoes_8_mib_through_serve_tls_in_every_model_and_the_hash_matches() {
    use sha2::Digest as _;
    // Not a round number, so a lost or extra byte shows.
    let payload = crate::harness::noise((8 << 20) + 4321);
    let want = sha2::Sha256::digest(&payload);
    for model in ["serial", "thread", "pool", "fork", "poll"] {
        let lab = Lab::new();
        let server = lab.server([
            "serve",
            "--port",
            "0",
            "--model",
            model,
            "--echo",
            "-v",
            "--tls",
            "--tls-save-cert",
            "saved.pem",
        ]);
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
        let got = &run.stdout;
        assert_eq!(got.len(), payload.len(), "{model}: every byte came back");
        assert!(
            sha2::Sha256::digest(got) == want,
            "{model}: SHA-256 differs"
        );
        let log = stop(server);
        let n = payload.len();
        assert!(
            log.contains(&format!("exactly {n} bytes in, {n} bytes out")),
            "{model}: {log}"
        );
    }
}
