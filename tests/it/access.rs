//! `--allow` and `--deny` on `serve` (every model, and UDP) and `web`: a refused client is
//! closed at once, never served, logged once per address; everyone else is served as before.

use std::io::Read;
use std::net::TcpStream;

use crate::harness::{Lab, WAIT};

/// Connect, and return what the server sent before closing (empty when refused).
fn greeting_of(server: &crate::harness::Server) -> Vec<u8> {
    let Ok(mut stream) = TcpStream::connect_timeout(&server.addr(), WAIT) else {
        return Vec::new();
    };
    stream.set_read_timeout(Some(WAIT)).unwrap();
    let mut got = Vec::new();
    let _ = stream.read_to_end(&mut got);
    got
}

#[test]
fn serve_denies_in_every_model_and_logs_each_address_once() {
    let lab = Lab::new();
    for model in ["serial", "thread", "pool", "fork", "poll"] {
        let server = lab.server([
            "serve",
            "--port",
            "0",
            "--model",
            model,
            "--deny",
            "127.0.0.0/8",
        ]);
        for _ in 0..3 {
            assert_eq!(greeting_of(&server), b"", "model {model}");
        }
        server.wait_for_line("refused 127.0.0.1 (--deny)");
        let (status, log) = server.stop();
        assert!(status.success(), "{log}");
        assert_eq!(
            log.matches("refused 127.0.0.1").count(),
            1,
            "{model}: {log}"
        );
        assert!(!log.contains("connection from"), "{model}: {log}");
        assert!(log.contains("3 denied by --allow/--deny"), "{model}: {log}");
    }
}

#[test]
fn serve_allow_admits_only_its_blocks() {
    let lab = Lab::new();
    let allowed = lab.server([
        "serve",
        "--port",
        "0",
        "--allow",
        "127.0.0.1",
        "--allow",
        "::1",
    ]);
    assert_eq!(greeting_of(&allowed), b"Thank you for connecting");
    let elsewhere = lab.server(["serve", "--port", "0", "--allow", "10.0.0.0/8"]);
    assert_eq!(greeting_of(&elsewhere), b"");
    elsewhere.wait_for_line("refused 127.0.0.1 (not in --allow)");
    // A --deny wins over an --allow that also covers the address.
    let both = lab.server([
        "serve",
        "--port",
        "0",
        "--allow",
        "127.0.0.0/8",
        "--deny",
        "127.0.0.1/32",
    ]);
    assert_eq!(greeting_of(&both), b"");
}

#[test]
fn serve_udp_drops_a_denied_datagram() {
    let lab = Lab::new();
    let server = lab.server([
        "serve",
        "--udp",
        "--echo",
        "--port",
        "0",
        "--deny",
        "127.0.0.1",
    ]);
    let target = server.addr().to_string();
    lab.cmd([
        "connect",
        "-u",
        &target,
        "--send",
        "x\n",
        "--wait-reply",
        "200ms",
    ])
    .run()
    .success()
    .stdout_is("");
    server.wait_for_line("refused 127.0.0.1 (--deny)");
}

#[test]
fn web_refuses_a_client_outside_allow() {
    let lab = Lab::new();
    lab.write("index.html", "hello");
    let dir = lab.path().to_str().unwrap().to_string();
    let open = lab.server(["web", &dir, "--port", "0", "--allow", "127.0.0.0/8"]);
    lab.cmd(["fetch", &format!("{}/index.html", open.base_url())])
        .run()
        .success()
        .stdout_is("hello");
    let closed = lab.server(["web", &dir, "--port", "0", "--allow", "192.168.0.0/16"]);
    let run = lab
        .cmd(["fetch", &format!("{}/index.html", closed.base_url())])
        .run();
    assert_ne!(run.code(), Some(0), "{}", run.context());
    assert_eq!(run.stdout(), "");
    closed.wait_for_line("refused 127.0.0.1 (not in --allow)");
}

#[test]
fn malformed_blocks_are_usage_errors() {
    let lab = Lab::new();
    lab.cmd(["serve", "--port", "0", "--allow", "10.0.0.0/40"])
        .run()
        .fails_with(2, "--allow 10.0.0.0/40: not an address or CIDR block");
    lab.cmd(["web", "--port", "0", "--deny", "localhost"])
        .run()
        .fails_with(2, "--deny localhost");
}
