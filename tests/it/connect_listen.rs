//! `connect -l`: nc's listen mode, one client (or with -k one after another), TLS, UDP, and who
//! may connect.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::process::{Command, Stdio};

use crate::harness::{Lab, WAIT, peer, skip};

fn read_all(stream: &mut TcpStream) -> Vec<u8> {
    let mut got = Vec::new();
    stream.read_to_end(&mut got).expect("read to the end");
    got
}

#[test]
fn listen_mode_copies_both_ways_then_exits() {
    let lab = Lab::new();
    let mut starting = lab.cmd(["connect", "-l", "0"]).spawn_live();
    let mut stdin = starting.stdin.take().unwrap();
    let server = starting.listening();
    assert!(
        server.location.starts_with("tcp://127.0.0.1:"),
        "{}",
        server.location
    );
    let mut client = server.connect();
    server.wait_for_line("connection from 127.0.0.1:");
    // The listener's input ends first: it half-closes, and reads on until the client closes
    // (as connect does with a server).
    stdin.write_all(b"from the listener\n").unwrap();
    drop(stdin);
    assert_eq!(read_all(&mut client), b"from the listener\n");
    client.write_all(b"from the client\n").unwrap();
    client.shutdown(Shutdown::Write).unwrap();
    let (status, log, out) = server.finish();
    assert!(status.success(), "{log}");
    assert_eq!(out, b"from the client\n");
}

#[test]
fn without_k_a_second_client_is_refused() {
    let lab = Lab::new();
    let mut starting = lab.cmd(["connect", "-l", "0"]).spawn_live();
    let stdin = starting.stdin.take().unwrap();
    let server = starting.listening();
    let _first = server.connect();
    server.wait_for_line("connection from");
    let second = TcpStream::connect_timeout(&server.addr(), WAIT);
    assert!(
        second.is_err(),
        "the listener should be closed once a client is taken"
    );
    drop(stdin);
}

#[test]
fn keep_open_serves_clients_one_after_another_and_keeps_stdin_for_the_next() {
    let lab = Lab::new();
    let mut starting = lab.cmd(["connect", "-l", "-k", "0"]).spawn_live();
    let mut stdin = starting.stdin.take().unwrap();
    let server = starting.listening();
    let mut one = server.connect();
    one.write_all(b"one;").unwrap();
    one.shutdown(Shutdown::Write).unwrap();
    // The client closed its side: the listener's session ends and it waits for the next.
    server.wait_for_line("waiting for the next client");
    drop(one);
    let mut two = server.connect();
    server.wait_for_line("connection from");
    two.write_all(b"two;").unwrap();
    // What stdin says now goes to the second client, none of it lost to the first session.
    stdin.write_all(b"for two\n").unwrap();
    let mut got = [0u8; 8];
    two.read_exact(&mut got).unwrap();
    assert_eq!(&got, b"for two\n");
    two.shutdown(Shutdown::Write).unwrap();
    server.wait_for_line("waiting for the next client");
    server.signal(15);
    let (_, log, out) = server.finish();
    assert_eq!(out, b"one;two;", "{log}");
}

#[test]
fn nc_talks_to_listen_mode() {
    if !peer("nc") {
        return skip("nc is not installed");
    }
    let lab = Lab::new();
    let mut starting = lab.cmd(["connect", "-l", "0"]).spawn_live();
    let mut stdin = starting.stdin.take().unwrap();
    let server = starting.listening();
    let addr = server.addr();
    let mut nc = Command::new("nc")
        .args(["-N", &addr.ip().to_string(), &addr.port().to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run nc");
    server.wait_for_line("connection from");
    // netlab's input ends first; nc reads it, then sends its own and half-closes (-N).
    stdin.write_all(b"hello from netlab\n").unwrap();
    drop(stdin);
    let mut nc_out = nc.stdout.take().unwrap();
    let mut got = [0u8; 18];
    nc_out.read_exact(&mut got).unwrap();
    assert_eq!(&got, b"hello from netlab\n");
    nc.stdin
        .take()
        .unwrap()
        .write_all(b"hello from nc\n")
        .unwrap();
    let output = crate::harness::wait_output(nc);
    assert!(output.status.success(), "{output:?}");
    let (status, log, out) = server.finish();
    assert!(status.success(), "{log}");
    assert_eq!(out, b"hello from nc\n");
}

#[test]
fn tls_listener_with_a_saved_certificate() {
    let lab = Lab::new();
    let cert = lab.path().join("listener.pem");
    let cert_arg = cert.to_str().unwrap();
    let server = lab
        .cmd(["connect", "-l", "--tls", "--tls-save-cert", cert_arg, "0"])
        .stdin("secret reply\n")
        .spawn_server();
    assert!(server.location.starts_with("tls://"), "{}", server.location);
    assert!(server.log().contains("TLS sha256 "), "{}", server.log());
    let target = format!("tls://{}", server.addr());
    let run = lab
        .cmd([
            "connect",
            &target,
            "--cacert",
            cert_arg,
            "--send",
            "over tls\n",
        ])
        .run();
    run.success().stdout_is("secret reply\n");
    let (status, log, out) = server.finish();
    assert!(status.success(), "{log}");
    assert_eq!(out, b"over tls\n");
}

#[test]
fn udp_listener_answers_its_first_client() {
    let lab = Lab::new();
    let server = lab
        .cmd(["connect", "-l", "-u", "0", "--quit-after-eof", "1s"])
        .stdin("pong\n")
        .spawn_server();
    assert!(server.location.starts_with("udp://"), "{}", server.location);
    let target = server.addr().to_string();
    let run = lab
        .cmd([
            "connect",
            "-u",
            &target,
            "--send",
            "ping\n",
            "--wait-reply",
            "5s",
        ])
        .run();
    run.success().stdout_is("pong\n");
    let (status, log, out) = server.finish();
    assert!(status.success(), "{log}");
    assert_eq!(out, b"ping\n");
}

#[test]
fn deny_and_allow_refuse_a_client_and_log_it_once() {
    let lab = Lab::new();
    for rule in [["--deny", "127.0.0.0/8"], ["--allow", "10.0.0.0/8"]] {
        let server = lab.server(["connect", "-l", "-k", "0", rule[0], rule[1]]);
        for _ in 0..3 {
            // Closed at once: an end or a reset (even before connect returns), never data.
            if let Ok(mut refused) = TcpStream::connect_timeout(&server.addr(), WAIT) {
                refused.set_read_timeout(Some(WAIT)).unwrap();
                let mut buf = [0u8; 1];
                assert!(matches!(refused.read(&mut buf), Ok(0) | Err(_)));
            }
        }
        let line = server.wait_for_line("refused 127.0.0.1");
        let why = if rule[0] == "--deny" {
            "--deny"
        } else {
            "not in --allow"
        };
        assert!(line.contains(why), "{line}");
        let (_, log) = server.stop();
        assert_eq!(log.matches("refused 127.0.0.1").count(), 1, "{log}");
        assert!(!log.contains("connection from"), "{log}");
    }
}

#[test]
fn listen_mode_bad_flags_are_usage_errors() {
    let lab = Lab::new();
    lab.cmd(["connect", "-l", "0", "--allow", "10.0.0.0/33"])
        .run()
        .fails_with(2, "--allow 10.0.0.0/33: not an address or CIDR block");
    lab.cmd(["connect", "-l", "-u", "-k", "0"])
        .run()
        .fails_with(2, "UDP has none");
    lab.cmd(["connect", "-l", "--tls", "--cacert", "x.pem", "0"])
        .run()
        .fails_with(2, "are a client's");
    lab.cmd(["connect", "-l", "70000"])
        .run()
        .fails_with(2, "port 70000");
    lab.cmd(["connect", "127.0.0.1:1", "--allow", "::1"])
        .run()
        .expect_code(2);
    lab.cmd(["connect", "127.0.0.1:1", "--wait-reply", "1s"])
        .run()
        .expect_code(2);
}

#[test]
fn unix_listener_removes_its_socket_when_done() {
    let lab = Lab::new();
    let path = lab.path().join("listen.sock");
    let path_arg = path.to_str().unwrap();
    let server = lab
        .cmd(["connect", "-l", "--unix", path_arg])
        .stdin("over unix\n")
        .spawn_server();
    let run = lab
        .cmd(["connect", "--unix", path_arg, "--send", "hi"])
        .run();
    run.success().stdout_is("over unix\n");
    let (status, log, out) = server.finish();
    assert!(status.success(), "{log}");
    assert_eq!(out, b"hi");
    assert!(!path.exists(), "the socket file should be gone");
    // A path already there is never taken over.
    std::fs::write(&path, "not a socket").unwrap();
    lab.cmd(["connect", "-l", "--unix", path_arg])
        .run()
        .fails_with(2, "the path exists");
    assert_eq!(std::fs::read(&path).unwrap(), b"not a socket");
}

#[test]
fn ncat_ssl_talks_to_a_tls_listener() {
    if !peer("ncat") {
        return skip("ncat is not installed");
    }
    let lab = Lab::new();
    let mut starting = lab.cmd(["connect", "-l", "--tls", "0"]).spawn_live();
    let mut stdin = starting.stdin.take().unwrap();
    let server = starting.listening();
    let addr = server.addr();
    // ncat --ssl does not verify by default: the point is that the handshake and the bytes
    // work with another TLS stack.
    let mut ncat = Command::new("ncat")
        .args(["--ssl", &addr.ip().to_string(), &addr.port().to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run ncat");
    server.wait_for_line("connection from");
    stdin.write_all(b"over tls from netlab\n").unwrap();
    drop(stdin);
    let mut out = ncat.stdout.take().unwrap();
    let mut got = [0u8; 21];
    out.read_exact(&mut got).unwrap();
    assert_eq!(&got, b"over tls from netlab\n");
    ncat.stdin
        .take()
        .unwrap()
        .write_all(b"hello from ncat\n")
        .unwrap();
    let output = crate::harness::wait_output(ncat);
    assert!(output.status.success(), "{output:?}");
    let (status, log, received) = server.finish();
    assert!(status.success(), "{log}");
    assert_eq!(received, b"hello from ncat\n");
}
