//! `connect --starttls smtp|imap|ftp` against fake servers written here: each speaks the
//! cleartext start from a script, then (if the script says so) the TLS handshake with a fresh
//! self-signed certificate (netlab's own, saved for --cacert) and echoes one line. The error
//! cases end the script early: no STARTTLS offered, a refusal, an endless line, a close.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::mpsc;
use std::thread;

use netlab::net::tls::{ServerTls, Tls};

use crate::harness::{Lab, WAIT};

/// What the fake server does, in order.
#[derive(Clone, Copy)]
enum Step {
    /// Send these bytes.
    Send(&'static str),
    /// Read one line from the client (kept, for the test to look at).
    Read,
    /// Send this many bytes with no line end.
    Endless(usize),
    /// TLS handshake, then read one line and answer `echo: LINE`.
    Tls,
}

/// A certificate for 127.0.0.1, saved as `saved.pem` in the lab.
fn server_tls(lab: &Lab) -> Arc<rustls::ServerConfig> {
    let flags = netlab::cli::TlsArgs {
        tls: true,
        tls_cert: None,
        tls_key: None,
        tls_client_ca: None,
        tls_save_cert: Some(lab.path().join("saved.pem")),
        tls_handshake_timeout: WAIT,
    };
    let tls = ServerTls::from_args(&flags, &["127.0.0.1".to_string()], &[]);
    tls.unwrap().expect("--tls makes a certificate").config
}

/// A server for one client that plays `script`; its address, and the lines it read (sent
/// once the script is over or the client has gone).
fn fake(lab: &Lab, script: &'static [Step]) -> (String, mpsc::Receiver<Vec<String>>) {
    let config = server_tls(lab);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let Ok((socket, _)) = listener.accept() else {
            return;
        };
        socket.set_read_timeout(Some(WAIT)).unwrap();
        socket.set_write_timeout(Some(WAIT)).unwrap();
        let mut heard = Vec::new();
        play(socket, script, &config, &mut heard);
        let _ = tx.send(heard);
    });
    (addr, rx)
}

fn play(
    mut socket: TcpStream,
    script: &[Step],
    config: &Arc<rustls::ServerConfig>,
    heard: &mut Vec<String>,
) {
    for step in script {
        match *step {
            Step::Send(text) => {
                if socket.write_all(text.as_bytes()).is_err() {
                    return;
                }
            }
            Step::Read => match line(&mut socket) {
                Some(text) => heard.push(text),
                None => return,
            },
            Step::Endless(len) => {
                let _ = socket.write_all(&vec![b'x'; len]);
                // Until the client gives up and closes.
                let _ = socket.read(&mut [0u8; 64]);
                return;
            }
            Step::Tls => {
                let Ok(tls) = Tls::server(config, socket) else {
                    return;
                };
                if tls.handshake(WAIT).is_err() {
                    return;
                }
                tls.set_read_timeout(Some(WAIT)).unwrap();
                let mut got = Vec::new();
                let mut buf = [0u8; 256];
                while !got.ends_with(b"\n") && got.len() < 4096 {
                    match tls.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => got.extend_from_slice(&buf[..n]),
                    }
                }
                let text = String::from_utf8_lossy(&got).into_owned();
                let _ = tls.write(format!("echo: {text}").as_bytes());
                let _ = tls.shutdown(std::net::Shutdown::Write);
                heard.push(text);
                return;
            }
        }
    }
}

/// One line from the client, a byte at a time (so no TLS byte is read as cleartext here
/// either); `None` at its end.
fn line(socket: &mut TcpStream) -> Option<String> {
    let mut got = Vec::new();
    let mut byte = [0u8; 1];
    while !got.ends_with(b"\n") && got.len() < 1024 {
        match socket.read(&mut byte) {
            Ok(1) => got.push(byte[0]),
            _ => return None,
        }
    }
    Some(String::from_utf8_lossy(&got).trim_end().to_string())
}

const SMTP_OK: &[Step] = &[
    Step::Send("220-mx.test ESMTP netlab fake\r\n220 ready when you are\r\n"),
    Step::Read,
    Step::Send("250-mx.test greets you\r\n250-SIZE 10240000\r\n250-STARTTLS\r\n250 HELP\r\n"),
    Step::Read,
    Step::Send("220 go ahead\r\n"),
    Step::Tls,
];

/// `connect --starttls PROTO ADDR --cacert saved.pem` with `args`, sending one line.
fn starttls(lab: &Lab, protocol: &str, addr: &str, args: &[&str]) -> crate::harness::Run {
    let mut all = vec![
        "connect",
        "--starttls",
        protocol,
        addr,
        "--cacert",
        "saved.pem",
    ];
    all.extend_from_slice(args);
    lab.cmd(all).stdin("hello over starttls\n").run()
}

fn heard(rx: &mpsc::Receiver<Vec<String>>) -> Vec<String> {
    rx.recv_timeout(WAIT).expect("the fake server finished")
}

#[test]
fn starttls_smtp_upgrades_shows_the_dialogue_and_the_chain_and_keeps_stdout_clean() {
    let lab = Lab::new();
    let (addr, rx) = fake(&lab, SMTP_OK);
    let run = starttls(
        &lab,
        "smtp",
        &addr,
        &["-v", "--starttls-name", "client.test"],
    );
    run.success()
        .stdout_is("echo: hello over starttls\n")
        .stderr_has("netlab connect: < 220-mx.test ESMTP netlab fake")
        .stderr_has("netlab connect: < 250-STARTTLS")
        .stderr_has("netlab connect: > EHLO client.test")
        .stderr_has("netlab connect: > STARTTLS")
        .stderr_has("netlab connect: < 220 go ahead")
        .stderr_has("certificate 0: subject CN=netlab self-signed");
    assert_eq!(
        heard(&rx),
        ["EHLO client.test", "STARTTLS", "hello over starttls\n"]
    );
}

#[test]
fn starttls_smtp_without_verbose_says_nothing_and_names_itself_in_ehlo() {
    let lab = Lab::new();
    let (addr, rx) = fake(&lab, SMTP_OK);
    starttls(&lab, "smtp", &addr, &[])
        .success()
        .stdout_is("echo: hello over starttls\n")
        .stderr_empty();
    let heard = heard(&rx);
    // The default name: a full host name, or the address literal of our end.
    let ehlo = heard[0].strip_prefix("EHLO ").expect("EHLO first");
    assert!(
        ehlo == "[127.0.0.1]" || ehlo.contains('.'),
        "EHLO name {ehlo:?}"
    );
}

#[test]
fn starttls_imap_upgrades_after_capability() {
    let lab = Lab::new();
    let (addr, rx) = fake(
        &lab,
        &[
            Step::Send("* OK IMAP4rev1 fake ready\r\n"),
            Step::Read,
            Step::Send("* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\na001 OK done\r\n"),
            Step::Read,
            Step::Send("a002 OK begin TLS now\r\n"),
            Step::Tls,
        ],
    );
    starttls(&lab, "imap", &addr, &["-v"])
        .success()
        .stdout_is("echo: hello over starttls\n")
        .stderr_has("netlab connect: < * OK IMAP4rev1 fake ready")
        .stderr_has("netlab connect: > a002 STARTTLS");
    assert_eq!(
        heard(&rx),
        ["a001 CAPABILITY", "a002 STARTTLS", "hello over starttls\n"]
    );
}

#[test]
fn starttls_ftp_upgrades_after_a_multi_line_greeting() {
    let lab = Lab::new();
    let (addr, rx) = fake(
        &lab,
        &[
            Step::Send("220-welcome\r\n230 a line inside the greeting\r\n220 ready\r\n"),
            Step::Read,
            Step::Send("234 AUTH TLS ok\r\n"),
            Step::Tls,
        ],
    );
    starttls(&lab, "ftp", &addr, &[])
        .success()
        .stdout_is("echo: hello over starttls\n");
    assert_eq!(heard(&rx), ["AUTH TLS", "hello over starttls\n"]);
}

/// The client fails with one `netlab: starttls …` line on stderr and exit 35.
fn fails(lab: &Lab, protocol: &str, script: &'static [Step], needle: &str) {
    let (addr, rx) = fake(lab, script);
    let run = starttls(lab, protocol, &addr, &[]);
    run.fails_with(35, needle).stdout_is("");
    assert_eq!(run.stderr().lines().count(), 1, "{}", run.context());
    heard(&rx);
}

#[test]
fn starttls_smtp_refuses_a_server_that_does_not_offer_it() {
    let lab = Lab::new();
    fails(
        &lab,
        "smtp",
        &[
            Step::Send("220 mx.test\r\n"),
            Step::Read,
            Step::Send("250-mx.test\r\n250 SIZE 1000\r\n"),
            Step::Read,
        ],
        "starttls smtp: the server did not offer STARTTLS (its EHLO answer: 250-mx.test | 250 \
         SIZE 1000)",
    );
}

#[test]
fn starttls_smtp_454_is_a_refusal() {
    let lab = Lab::new();
    fails(
        &lab,
        "smtp",
        &[
            Step::Send("220 mx.test\r\n"),
            Step::Read,
            Step::Send("250-mx.test\r\n250 STARTTLS\r\n"),
            Step::Read,
            Step::Send("454 4.7.0 TLS not available\r\n"),
        ],
        "starttls smtp: the server refused STARTTLS: 454 4.7.0 TLS not available",
    );
}

#[test]
fn starttls_imap_no_is_a_refusal() {
    let lab = Lab::new();
    fails(
        &lab,
        "imap",
        &[
            Step::Send("* OK ready\r\n"),
            Step::Read,
            Step::Send("* CAPABILITY IMAP4rev1 STARTTLS\r\na001 OK\r\n"),
            Step::Read,
            Step::Send("a002 NO not today\r\n"),
        ],
        "starttls imap: the server refused STARTTLS: a002 NO not today",
    );
}

#[test]
fn starttls_ftp_530_is_a_refusal() {
    let lab = Lab::new();
    fails(
        &lab,
        "ftp",
        &[
            Step::Send("220 ftp ready\r\n"),
            Step::Read,
            Step::Send("530 Please login with USER and PASS\r\n"),
        ],
        "starttls ftp: the server refused AUTH TLS: 530 Please login with USER and PASS",
    );
}

#[test]
fn starttls_stops_at_an_endless_line() {
    let lab = Lab::new();
    fails(
        &lab,
        "smtp",
        &[Step::Endless(64 * 1024)],
        "starttls smtp: the server sent a line longer than 8 KiB",
    );
}

#[test]
fn starttls_says_when_the_server_closes_at_once() {
    let lab = Lab::new();
    for protocol in ["smtp", "imap", "ftp"] {
        fails(
            &lab,
            protocol,
            &[],
            &format!("starttls {protocol}: the server closed the connection before it greeted"),
        );
    }
}

#[test]
fn starttls_gives_up_on_a_silent_server_at_the_idle_timeout() {
    let lab = Lab::new();
    // The server reads our EHLO and never answers; it is released when the client closes.
    let (addr, rx) = fake(
        &lab,
        &[Step::Send("220 mx.test\r\n"), Step::Read, Step::Read],
    );
    starttls(&lab, "smtp", &addr, &["--idle-timeout", "300ms"]).fails_with(
        35,
        "starttls smtp: no answer from the server within 300ms (see --idle-timeout)",
    );
    heard(&rx);
}

#[test]
fn starttls_flags_are_checked_before_a_socket_opens() {
    let lab = Lab::new();
    for args in [
        &["connect", "--starttls", "smtp", "-u", "127.0.0.1:25"][..],
        &["connect", "--starttls", "smtp", "--unix", "/tmp/x.sock"],
        &["connect", "--starttls", "smtp", "-l", "2525"],
        &["connect", "--starttls", "smtp", "-z", "127.0.0.1:25"],
        &["connect", "--starttls", "pop3", "127.0.0.1:110"],
        &["connect", "--starttls-name", "a.test", "127.0.0.1:25"],
    ] {
        lab.cmd(args).run().expect_code(2);
    }
    lab.cmd(["connect", "--starttls", "smtp", "tls://127.0.0.1:25"])
        .run()
        .fails_with(2, "does not go with --starttls");
    lab.cmd([
        "connect",
        "--starttls",
        "smtp",
        "--starttls-name",
        "a b",
        "127.0.0.1:25",
    ])
    .run()
    .fails_with(2, "--starttls-name");
    lab.cmd([
        "connect",
        "--starttls",
        "ftp",
        "--starttls-name",
        "a.test",
        "127.0.0.1:21",
    ])
    .run()
    .fails_with(2, "--starttls ftp sends none");
}

#[test]
fn starttls_reads_no_byte_past_the_servers_reply() {
    let lab = Lab::new();
    // Bytes right behind the 220, in the same segment: they are the TLS session's to read, and
    // the handshake says they are not TLS. A reader that swallowed them would wait instead.
    fails(
        &lab,
        "smtp",
        &[
            Step::Send("220 mx.test\r\n"),
            Step::Read,
            Step::Send("250-mx.test\r\n250 STARTTLS\r\n"),
            Step::Read,
            Step::Send("220 go ahead\r\nNOT TLS"),
            Step::Read,
        ],
        "is not speaking TLS: it sent \"NOT TLS\"",
    );
}
