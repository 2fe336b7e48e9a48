//! `netlab serve --forward`: the relay. A 64 MiB hash-checked transfer each way in every
//! model, with both half-closes passed on; Unix and TLS targets; TLS in front of a
//! plain server; a target that refuses, is missing or dies mid-transfer; flags refused at start.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::OnceLock;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::harness::{self, Lab, Server, WAIT, closed_port, stop};

/// 64 MiB of reproducible noise, and its reverse (what the target sends back), made once.
fn upload() -> &'static [u8] {
    static UP: OnceLock<Vec<u8>> = OnceLock::new();
    UP.get_or_init(|| harness::noise(64 << 20))
}

fn download() -> &'static [u8] {
    static DOWN: OnceLock<Vec<u8>> = OnceLock::new();
    DOWN.get_or_init(|| upload().iter().rev().copied().collect())
}

fn digest(bytes: &[u8]) -> Vec<u8> {
    Sha256::digest(bytes).to_vec()
}

/// Read to the end, hashing; the byte count and the SHA-256.
fn hash_to_end(stream: &mut impl Read) -> (usize, Vec<u8>) {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0;
    loop {
        let n = stream.read(&mut buf).expect("read to the end");
        if n == 0 {
            return (total, hasher.finalize().to_vec());
        }
        hasher.update(&buf[..n]);
        total += n;
    }
}

/// A target on a thread: takes one connection, reads everything to its end (the client's
/// half-close passed on), and only then sends `download()` and half-closes in turn. Returns what
/// it received (count and SHA-256).
fn half_closing_target() -> (String, JoinHandle<(usize, Vec<u8>)>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind the target");
    let addr = listener.local_addr().unwrap().to_string();
    let handle = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().expect("the relay connects");
        conn.set_read_timeout(Some(WAIT)).unwrap();
        conn.set_write_timeout(Some(WAIT)).unwrap();
        let got = hash_to_end(&mut conn);
        conn.write_all(download()).expect("send back");
        conn.shutdown(Shutdown::Write).expect("half-close");
        got
    });
    (addr, handle)
}

fn relay(lab: &Lab, model: &str, target: &str, extra: &[&str]) -> Server {
    let mut args = vec![
        "serve",
        "--port",
        "0",
        "--model",
        model,
        "--forward",
        target,
    ];
    args.extend_from_slice(extra);
    lab.server(args)
}

fn connect(server: &Server) -> TcpStream {
    server.connect()
}

/// Connect to a relay that closes the client at once; what the client read before the close.
/// The reset may come before the connect has returned, and then the connect reports it.
fn closed_at_once(server: &Server) -> Vec<u8> {
    let mut got = Vec::new();
    match TcpStream::connect_timeout(&server.addr(), WAIT) {
        Ok(mut stream) => {
            stream.set_read_timeout(Some(WAIT)).unwrap();
            // A reset, or a plain end: either way nothing is relayed.
            let _ = stream.read_to_end(&mut got);
        }
        Err(err) => assert_eq!(err.kind(), std::io::ErrorKind::ConnectionReset, "{err}"),
    }
    got
}

/// 64 MiB up, then (once the target saw our end) 64 MiB down, both hash-checked.
fn relays_64_mib_each_way_with_half_closes(model: &str) {
    let lab = Lab::new();
    let (target, received) = half_closing_target();
    let server = relay(&lab, model, &target, &[]);
    let mut stream = connect(&server);
    let mut writer = stream.try_clone().unwrap();
    let sender = std::thread::spawn(move || {
        writer.write_all(upload())?;
        writer.shutdown(Shutdown::Write)
    });
    let (down_len, down_hash) = hash_to_end(&mut stream);
    sender.join().unwrap().expect("send 64 MiB and half-close");
    let (up_len, up_hash) = received.join().expect("the target");
    assert_eq!(up_len, upload().len(), "bytes the target received");
    assert_eq!(up_hash, digest(upload()), "SHA-256 of the upload differs");
    assert_eq!(down_len, download().len(), "bytes the client received");
    assert_eq!(
        down_hash,
        digest(download()),
        "SHA-256 of the download differs"
    );
    let line = server.wait_for_line("forwarded");
    assert!(
        line.contains(&format!(
            "forwarded 64.00 MiB → {target}, 64.00 MiB ← {target}"
        )),
        "{line}"
    );
    assert!(!line.contains(';'), "a clean end says nothing more: {line}");
    let log = stop(server);
    assert!(log.contains("64.00 MiB in, 64.00 MiB out"), "{log}");
}

/// A short exchange, each way, with the client's half-close passed on (the target is
/// `netlab serve --echo`, which ends when it reads the end).
fn relays_an_echo_in_turn(model: &str) {
    let lab = Lab::new();
    let echo = lab.server(["serve", "--port", "0", "--echo"]);
    let server = relay(&lab, model, &echo.addr().to_string(), &[]);
    for n in 0..3 {
        let text = format!("round {n}\n");
        lab.cmd(["connect", &server.addr().to_string()])
            .stdin(text.clone())
            .run()
            .success()
            .stdout_is(&text);
    }
}

macro_rules! models {
    ($($model:ident),*) => {$(
        mod $model {
            #[test]
            fn relays_64_mib_each_way_with_half_closes() {
                super::relays_64_mib_each_way_with_half_closes(stringify!($model));
            }

            #[test]
            fn relays_an_echo_in_turn() {
                super::relays_an_echo_in_turn(stringify!($model));
            }
        }
    )*};
}

models!(serial, thread, pool, fork, poll);

#[test]
fn relays_to_a_unix_socket_target() {
    for model in ["thread", "poll"] {
        relays_to_unix(model);
    }
}

fn relays_to_unix(model: &str) {
    let lab = Lab::new();
    let path = lab.path().join("echo.sock");
    let _echo = lab.server(["serve", "--unix", path.to_str().unwrap(), "--echo"]);
    let target = format!("unix:{}", path.display());
    let server = relay(&lab, model, &target, &[]);
    let data = harness::noise(3 << 20);
    let mut stream = connect(&server);
    let mut writer = stream.try_clone().unwrap();
    let sent = data.clone();
    let sender = std::thread::spawn(move || {
        writer.write_all(&sent)?;
        writer.shutdown(Shutdown::Write)
    });
    let (len, hash) = hash_to_end(&mut stream);
    sender.join().unwrap().expect("send");
    assert_eq!(len, data.len());
    assert_eq!(hash, digest(&data));
    let line = server.wait_for_line("forwarded");
    assert!(line.contains(&format!("3.00 MiB → {target}")), "{line}");
}

#[test]
fn tls_in_front_of_a_plain_echo() {
    let lab = Lab::new();
    let echo = lab.server(["serve", "--port", "0", "--echo"]);
    let server = relay(
        &lab,
        "thread",
        &echo.addr().to_string(),
        &["--tls", "--tls-save-cert", "relay.pem"],
    );
    assert!(server.location.starts_with("tls://"), "{}", server.location);
    let addr = server.addr().to_string();
    lab.cmd(["connect", "--tls", "--cacert", "relay.pem", &addr])
        .stdin("through TLS\n")
        .run()
        .success()
        .stdout_is("through TLS\n");
    // A plain client is not let through to the target.
    let mut plain = connect(&server);
    plain.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
    let mut got = Vec::new();
    let _ = plain.read_to_end(&mut got);
    assert!(!got.starts_with(b"GET"), "a plain client was relayed");
}

#[test]
fn forward_tls_verifies_the_target() {
    let lab = Lab::new();
    let target = lab.server([
        "serve",
        "--port",
        "0",
        "--echo",
        "--tls",
        "--tls-save-cert",
        "target.pem",
    ]);
    let addr = target.addr().to_string();
    let trusted = relay(
        &lab,
        "pool",
        &addr,
        &["--forward-tls", "--forward-cacert", "target.pem"],
    );
    lab.cmd(["connect", &trusted.addr().to_string()])
        .stdin("verified\n")
        .run()
        .success()
        .stdout_is("verified\n");
    // Without --forward-cacert the self-signed target is not trusted: the client is closed.
    let untrusted = relay(&lab, "thread", &addr, &["--forward-tls"]);
    assert!(closed_at_once(&untrusted).is_empty());
    let line = untrusted.wait_for_line("closed: target");
    assert!(line.contains("--forward-cacert"), "{line}");
}

#[test]
fn target_refuses_client_closed_and_server_goes_on() {
    for model in ["thread", "poll"] {
        target_refuses(model);
    }
}

fn target_refuses(model: &str) {
    let lab = Lab::new();
    let port = closed_port();
    let target = format!("127.0.0.1:{port}");
    let server = relay(&lab, model, &target, &[]);
    for _ in 0..2 {
        // Closed (with a reset: the client sees a failure, not an empty answer).
        assert!(closed_at_once(&server).is_empty());
        let line = server.wait_for_line("closed: target");
        assert!(
            line.contains(&format!(
                "target {target}: connect {target}: connection refused"
            )),
            "{line}"
        );
    }
    let log = stop(server);
    assert!(log.contains("2 connections"), "{log}");
}

#[test]
fn a_missing_target_then_a_live_one() {
    let lab = Lab::new();
    let path = lab.path().join("later.sock");
    let server = relay(&lab, "fork", &format!("unix:{}", path.display()), &[]);
    assert!(closed_at_once(&server).is_empty());
    server.wait_for_line("closed: target unix:");
    let _echo = lab.server(["serve", "--unix", path.to_str().unwrap(), "--echo"]);
    lab.cmd(["connect", &server.addr().to_string()])
        .stdin("now it is there\n")
        .run()
        .success()
        .stdout_is("now it is there\n");
}

#[test]
fn a_target_that_resolves_nowhere_is_said_per_client() {
    let lab = Lab::new();
    let server = relay(&lab, "serial", "nowhere.invalid:80", &[]);
    assert!(closed_at_once(&server).is_empty());
    let line = server.wait_for_line("closed: target");
    assert!(line.contains("resolve nowhere.invalid"), "{line}");
}

/// Bytes the kernel holds for `socket` not yet acknowledged by its peer (SIOCOUTQ).
fn unacked(socket: &TcpStream) -> i32 {
    let mut queued: nix::libc::c_int = 0;
    // SAFETY: TIOCOUTQ (SIOCOUTQ) writes one int through the pointer.
    let rc = unsafe { nix::libc::ioctl(socket.as_raw_fd(), nix::libc::TIOCOUTQ, &mut queued) };
    assert_eq!(rc, 0, "ioctl SIOCOUTQ");
    queued
}

#[test]
fn a_target_dying_mid_transfer_gives_the_bytes_so_far_then_an_end() {
    for model in ["thread", "poll"] {
        target_dies_mid_transfer(model);
    }
}

fn target_dies_mid_transfer(model: &str) {
    let lab = Lab::new();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let target = listener.local_addr().unwrap().to_string();
    let so_far = harness::noise(1 << 20);
    let sent = so_far.clone();
    let dying = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        conn.set_write_timeout(Some(WAIT)).unwrap();
        conn.write_all(&sent).unwrap();
        // Every byte in the relay's hands, then a reset: the target died.
        let deadline = Instant::now() + WAIT;
        while unacked(&conn) > 0 {
            assert!(Instant::now() < deadline, "the relay never took the bytes");
            std::thread::sleep(Duration::from_millis(5));
        }
        socket2::SockRef::from(&conn)
            .set_linger(Some(Duration::ZERO))
            .unwrap();
    });
    let server = relay(&lab, model, &target, &[]);
    // The client keeps its side open: the end it reads is the relay passing the death on.
    let mut stream = connect(&server);
    let (len, hash) = hash_to_end(&mut stream);
    dying.join().unwrap();
    assert_eq!(len, so_far.len());
    assert_eq!(hash, digest(&so_far));
    drop(stream);
    let line = server.wait_for_line("forwarded");
    assert!(
        line.contains(&format!("1.00 MiB ← {target}; the target:")),
        "{line}"
    );
}

#[test]
fn an_idle_relay_is_closed_both_ways() {
    for model in ["thread", "poll"] {
        idle_relay_closed(model);
    }
}

fn idle_relay_closed(model: &str) {
    let lab = Lab::new();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let target = listener.local_addr().unwrap().to_string();
    let silent = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        conn.set_read_timeout(Some(WAIT)).unwrap();
        // Nothing comes, then the relay's end.
        let mut got = Vec::new();
        conn.read_to_end(&mut got).map(|_| got.len())
    });
    let server = relay(&lab, model, &target, &["--idle-timeout", "1s"]);
    let mut stream = connect(&server);
    let mut got = Vec::new();
    stream.read_to_end(&mut got).expect("the relay's end");
    assert!(got.is_empty());
    assert_eq!(silent.join().unwrap().expect("the target sees an end"), 0);
    let line = server.wait_for_line("forwarded");
    assert!(line.ends_with("; closed: idle for 1s"), "{line}");
}

#[test]
fn one_busy_direction_keeps_the_relay_from_idling() {
    let lab = Lab::new();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let target = listener.local_addr().unwrap().to_string();
    // The target talks for longer than --idle-timeout; the client never says a word.
    let talker = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        for n in 0..20u8 {
            conn.write_all(&[n; 100]).unwrap();
            std::thread::sleep(Duration::from_millis(100));
        }
        conn.shutdown(Shutdown::Write).unwrap();
    });
    let server = relay(&lab, "thread", &target, &["--idle-timeout", "1s"]);
    let mut stream = connect(&server);
    let mut got = Vec::new();
    stream
        .read_to_end(&mut got)
        .expect("read what the target says");
    talker.join().unwrap();
    assert_eq!(got.len(), 2000, "the relay idled out a busy download");
    drop(stream);
    let line = server.wait_for_line("forwarded");
    assert!(line.contains("0 B → ") && !line.contains("idle"), "{line}");
}

#[test]
fn bad_flags_exit_2() {
    let lab = Lab::new();
    lab.cmd(["serve", "--port", "0", "--forward", "nope"])
        .run()
        .fails_with(2, "--forward nope: no port");
    lab.cmd(["serve", "--port", "0", "--forward", "127.0.0.1:0"])
        .run()
        .fails_with(2, "port 0");
    lab.cmd(["serve", "--port", "0", "--udp", "--forward", "127.0.0.1:9"])
        .run()
        .fails_with(2, "--udp");
    lab.cmd([
        "serve",
        "--port",
        "0",
        "--model",
        "poll",
        "--tls",
        "--forward",
        "127.0.0.1:9",
    ])
    .run()
    .fails_with(2, "--model poll");
    lab.cmd(["serve", "--forward", "unix:/tmp/x.sock", "--forward-tls"])
        .run()
        .fails_with(2, "unix: target");
    for clap in [
        &["serve", "--forward-tls"][..],
        &["serve", "--forward", "127.0.0.1:9", "--echo"],
        &[
            "serve",
            "--forward",
            "127.0.0.1:9",
            "--forward-cacert",
            "x.pem",
        ],
    ] {
        let run = lab.cmd(clap).run();
        run.expect_code(2);
        assert!(!run.stderr().contains("panicked"), "{}", run.context());
    }
}
