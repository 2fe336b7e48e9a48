//! Mutual TLS: `serve` and `web` with `--tls-client-ca` ask for a client certificate and take
//! only one their CA signed, naming its subject in the log; `connect` and `fetch` present one
//! with `--cert/--key`; a client without one, or with one another CA signed, is refused.

use crate::harness::{Lab, Server, stop};

/// A CA (`ca.pem`) and a client certificate it signed for `CN=alice` (`alice.crt`,
/// `alice.key`); another CA's client `CN=mallory` (`mallory.crt`, `mallory.key`).
fn client_certs(lab: &Lab) {
    for (ca_file, client) in [("ca.pem", "alice"), ("other-ca.pem", "mallory")] {
        let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(rcgen::DnType::CommonName, format!("{client}'s CA"));
        let ca =
            rcgen::CertifiedIssuer::self_signed(ca, rcgen::KeyPair::generate().unwrap()).unwrap();
        lab.write(ca_file, ca.pem());
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, client);
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &ca).unwrap();
        lab.write(&format!("{client}.crt"), cert.pem());
        lab.write(&format!("{client}.key"), key.serialize_pem());
    }
}

fn serve_mtls(lab: &Lab, model: &str) -> Server {
    lab.server([
        "serve",
        "--port",
        "0",
        "--model",
        model,
        "--echo",
        "--tls",
        "--tls-save-cert",
        "saved.pem",
        "--tls-client-ca",
        "ca.pem",
    ])
}

#[test]
fn serve_tls_client_ca_takes_a_signed_client_certificate_and_names_it_in_every_model() {
    let lab = Lab::new();
    client_certs(&lab);
    for model in ["serial", "thread", "pool", "fork", "poll"] {
        let server = serve_mtls(&lab, model);
        let target = format!("tls://{}", server.addr());
        lab.cmd([
            "connect",
            &target,
            "--cacert",
            "saved.pem",
            "--cert",
            "alice.crt",
            "--key",
            "alice.key",
        ])
        .stdin("hello mutual\n")
        .run()
        .success()
        .stdout_is("hello mutual\n");
        let log = stop(server);
        assert!(
            log.contains("client certificate CN=alice"),
            "{model}: the connection line names the client: {log}"
        );
    }
}

#[test]
fn serve_tls_client_ca_refuses_a_client_without_a_certificate_or_with_another_cas() {
    let lab = Lab::new();
    client_certs(&lab);
    for model in ["thread", "poll"] {
        let server = serve_mtls(&lab, model);
        let target = format!("tls://{}", server.addr());
        let none = lab
            .cmd(["connect", &target, "--cacert", "saved.pem"])
            .stdin("hello\n")
            .run();
        assert_eq!(none.code(), Some(35), "{model}: {}", none.context());
        assert!(none.stdout().is_empty(), "{model}: nothing echoed");
        assert!(
            none.stderr().contains("client certificate"),
            "{model}: {}",
            none.context()
        );
        let wrong = lab
            .cmd([
                "connect",
                &target,
                "--cacert",
                "saved.pem",
                "--cert",
                "mallory.crt",
                "--key",
                "mallory.key",
            ])
            .stdin("hello\n")
            .run();
        assert_eq!(wrong.code(), Some(35), "{model}: {}", wrong.context());
        assert!(wrong.stdout().is_empty(), "{model}: nothing echoed");
        assert!(
            wrong
                .stderr()
                .contains("did not accept the client certificate"),
            "{model}: {}",
            wrong.context()
        );
        let log = stop(server);
        assert!(!log.contains("CN=mallory"), "{model}: {log}");
        // The server says why, in words rather than rustls's debug values.
        assert!(
            log.contains("the client sent no certificate (--tls-client-ca asks for one)"),
            "{model}: {log}"
        );
        assert!(
            log.contains("the client certificate is not signed by a CA of --tls-client-ca"),
            "{model}: {log}"
        );
    }
}

#[test]
fn web_tls_client_ca_logs_the_client_subject_and_refuses_fetch_without_a_certificate() {
    let lab = Lab::new();
    client_certs(&lab);
    let server = lab.server([
        "web",
        "--port",
        "0",
        "--echo",
        "--tls",
        "--tls-save-cert",
        "saved.pem",
        "--tls-client-ca",
        "ca.pem",
    ]);
    let url = format!("https://{}/who", server.addr());
    lab.cmd([
        "fetch",
        "--cacert",
        "saved.pem",
        "--cert",
        "alice.crt",
        "--key",
        "alice.key",
        &url,
    ])
    .run()
    .success()
    .stdout_has("GET /who HTTP/1.1");
    let refused = lab.cmd(["fetch", "--cacert", "saved.pem", &url]).run();
    assert_ne!(refused.code(), Some(0), "{}", refused.context());
    let wrong = lab
        .cmd([
            "fetch",
            "--cacert",
            "saved.pem",
            "-E",
            "mallory.crt",
            "--key",
            "mallory.key",
            &url,
        ])
        .run();
    assert_ne!(wrong.code(), Some(0), "{}", wrong.context());
    let log = stop(server);
    assert!(
        log.contains("(CN=alice) \"GET /who HTTP/1.1\" 200"),
        "the access log names the client: {log}"
    );
    assert_eq!(log.matches("\"GET /who").count(), 1, "{log}");
}

#[test]
fn tls_client_ca_and_cert_flags_are_checked_before_a_socket_opens() {
    let lab = Lab::new();
    client_certs(&lab);
    lab.cmd(["serve", "--port", "0", "--tls-client-ca", "ca.pem"])
        .run()
        .fails_with(2, "--tls-client-ca needs --tls or --tls-cert");
    lab.cmd([
        "web",
        "--port",
        "0",
        "--tls",
        "--tls-client-ca",
        "missing.pem",
    ])
    .run()
    .fails_with(2, "--tls-client-ca missing.pem");
    lab.cmd([
        "connect",
        "--tls",
        "127.0.0.1:1",
        "--cert",
        "alice.crt",
        "--key",
        "mallory.key",
    ])
    .run()
    .fails_with(2, "--key does not match the certificate in --cert");
    lab.cmd(["connect", "--tls", "127.0.0.1:1", "--cert", "alice.crt"])
        .run()
        .expect_code(2);
}
