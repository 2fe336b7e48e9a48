//! The end of input you can control and see: the default half-close, `--no-shutdown`,
//! `--quit-after-eof`, `--send-only`, `--recv-only`, `-v`'s account, UDP's `--wait-reply`.

use std::io::{Read, Write};
use std::net::{TcpListener, UdpSocket};
use std::thread;
use std::time::Duration;

use crate::harness::{Lab, WAIT};

/// A server that reads until the client's end-of-file, then answers `saw eof after N bytes`
/// and closes — or, when no end comes within `patience`, answers `no eof` and closes.
fn eof_reporter(patience: Duration) -> (String, thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let handle = thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        conn.set_read_timeout(Some(patience)).unwrap();
        let mut total = 0;
        let mut buf = [0u8; 4096];
        let answer = loop {
            match conn.read(&mut buf) {
                Ok(0) => break format!("saw eof after {total} bytes\n"),
                Ok(n) => total += n,
                Err(_) => break format!("no eof, {total} bytes\n"),
            }
        };
        let _ = conn.write_all(answer.as_bytes());
    });
    (addr, handle)
}

#[test]
fn by_default_stdin_end_half_closes_and_replies_are_still_read() {
    let lab = Lab::new();
    let (addr, server) = eof_reporter(WAIT);
    let run = lab.cmd(["connect", "-v", &addr]).stdin("abc").run();
    run.success().stdout_is("saw eof after 3 bytes\n");
    // -v says who closed first, the bytes each way and how long it took.
    run.stderr_has("stdin ended first")
        .stderr_has("we half-closed")
        .stderr_has("sent 3 bytes, received 22 bytes");
    server.join().unwrap();
}

#[test]
fn no_shutdown_keeps_the_socket_open_for_writing() {
    let lab = Lab::new();
    let (addr, server) = eof_reporter(Duration::from_millis(300));
    // The server never sees an end while the client waits: it gives up and says so.
    let run = lab
        .cmd(["connect", "-v", &addr, "--no-shutdown"])
        .stdin("abcd")
        .run();
    run.success().stdout_is("no eof, 4 bytes\n");
    run.stderr_has("--no-shutdown")
        .stderr_has("the server closed at");
    server.join().unwrap();
}

#[test]
fn quit_after_eof_ends_the_session_whatever_the_server_does() {
    let lab = Lab::new();
    // An echo server that would wait for ever: --no-shutdown keeps it from seeing an end.
    let server = lab.server(["serve", "--echo", "--port", "0"]);
    let addr = server.addr().to_string();
    let run = lab
        .cmd([
            "connect",
            "-v",
            &addr,
            "--no-shutdown",
            "--quit-after-eof",
            "200ms",
        ])
        .stdin("ping\n")
        .run();
    run.success().stdout_is("ping\n");
    run.stderr_has("after it (--quit-after-eof)")
        .stderr_has("the server had not closed");
    // 0: at once after stdin's end (Debian nc's -q 0); the echo may or may not have come.
    let run = lab
        .cmd(["connect", &addr, "--no-shutdown", "--quit-after-eof", "0"])
        .stdin("x")
        .run();
    run.success();
    assert!(
        matches!(run.stdout().as_str(), "" | "x"),
        "{}",
        run.context()
    );
}

#[test]
fn send_only_throws_replies_away_and_ends_with_stdin() {
    let lab = Lab::new();
    let server = lab.server(["serve", "--echo", "--port", "0"]);
    let addr = server.addr().to_string();
    let run = lab
        .cmd(["connect", &addr, "--send-only", "--no-shutdown"])
        .stdin("not shown\n")
        .run();
    run.success().stdout_is("");
    let line = server.wait_for_line("connection from");
    assert!(line.contains("127.0.0.1"), "{line}");
}

#[test]
fn recv_only_never_reads_stdin_nor_half_closes() {
    let lab = Lab::new();
    let (addr, server) = eof_reporter(Duration::from_millis(300));
    let run = lab
        .cmd(["connect", "-v", &addr, "--recv-only"])
        .stdin("never sent")
        .run();
    run.success().stdout_is("no eof, 0 bytes\n");
    run.stderr_has("stdin not read");
    server.join().unwrap();
    lab.cmd(["connect", &addr, "--recv-only", "--send", "x"])
        .run()
        .expect_code(2);
}

#[test]
fn udp_wait_reply_waits_for_a_slow_answer() {
    let lab = Lab::new();
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_read_timeout(Some(WAIT)).unwrap();
    let addr = socket.local_addr().unwrap().to_string();
    let server = thread::spawn(move || {
        let mut buf = [0u8; 64];
        let (n, from) = socket.recv_from(&mut buf).unwrap();
        // A slow server (not a wait for one): the client's wait must outlast it.
        thread::sleep(Duration::from_millis(300));
        socket.send_to(&buf[..n], from).unwrap();
    });
    let run = lab
        .cmd([
            "connect",
            "-u",
            &addr,
            "--send",
            "slow\n",
            "--wait-reply",
            "10s",
        ])
        .run();
    run.success().stdout_is("slow\n");
    server.join().unwrap();
}
