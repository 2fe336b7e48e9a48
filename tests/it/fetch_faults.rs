//! `netlab fetch` under faults: killed with Ctrl-C in the middle of a download, and servers that
//! never stop sending — an endless header, an endless body — against `--timeout`.
//!
//! netlab's choice on an interrupted download (see `src/fetch/output.rs`): the target file is
//! untouched, the bytes received stay in `FILE.part`, and `-C` resumes from them.
//!
//! The servers here are written for the test, on 127.0.0.1:0; each one's loops are bounded in
//! time, and every wait in the test is bounded.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::harness::{self, Lab, WAIT, bin};

/// How long any endless server keeps sending before it gives up by itself.
const ENDLESS: Duration = Duration::from_secs(20);

/// A server on 127.0.0.1:0 that runs `answer` on each connection (after reading the head).
fn server(answer: impl Fn(&str, TcpStream) + Send + Sync + 'static) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let answer = std::sync::Arc::new(answer);
    thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let answer = std::sync::Arc::clone(&answer);
            thread::spawn(move || {
                stream.set_read_timeout(Some(WAIT)).unwrap();
                stream.set_write_timeout(Some(WAIT)).unwrap();
                if let Some(head) = read_head(&mut stream) {
                    answer(&head, stream);
                }
            });
        }
    });
    addr
}

fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 64 * 1024 || stream.read(&mut byte).ok()? == 0 {
            return None;
        }
        head.push(byte[0]);
    }
    Some(String::from_utf8_lossy(&head).into_owned())
}

/// The body the interrupted download is for: 1 MiB that is not all one byte.
fn body() -> Vec<u8> {
    (0..1 << 20).map(|i: u32| (i % 251) as u8).collect()
}

/// Ctrl-C halfway through `-o out.bin`: the old `out.bin` is untouched, `out.bin.part` holds
/// exactly the bytes received, and `fetch -C` asks for the rest and completes the file.
#[test]
fn fetch_interrupted_by_ctrl_c_keeps_the_part_and_the_file_and_resumes_with_c() {
    let body = body();
    let half = body.len() / 2;
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let release_rx = std::sync::Mutex::new(release_rx);
    let (ranges_tx, ranges_rx) = mpsc::channel::<Option<String>>();
    let served = body.clone();
    let addr = server(move |head, mut stream| {
        let range = head
            .lines()
            .find_map(|l| l.strip_prefix("Range: bytes=").map(|r| r.to_string()));
        let _ = ranges_tx.send(range.clone());
        match range {
            None => {
                // The first half, then hold the connection until the test is done with it.
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nAccept-Ranges: bytes\r\n\r\n",
                    served.len()
                );
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(&served[..half]);
                let _ = release_rx.lock().unwrap().recv_timeout(WAIT);
            }
            Some(range) => {
                let from: usize = range.trim_end_matches('-').parse().unwrap();
                let head = format!(
                    "HTTP/1.1 206 Partial Content\r\nContent-Length: {}\r\nContent-Range: bytes {from}-{}/{}\r\n\r\n",
                    served.len() - from,
                    served.len() - 1,
                    served.len()
                );
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(&served[from..]);
            }
        }
    });
    let lab = Lab::new();
    let target = lab.write("out.bin", "the old contents\n");
    let part = lab.path().join("out.bin.part");
    let url = format!("http://{addr}/file.bin");

    let mut child = Command::new(bin())
        .args(["fetch", "--no-progress", "-o", "out.bin", &url])
        .current_dir(lab.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait (bounded) until the first half is on disk: that is the middle of the download.
    let deadline = Instant::now() + WAIT;
    while std::fs::metadata(&part).map_or(0, |m| m.len()) < half as u64 {
        assert!(
            Instant::now() < deadline,
            "the first half never reached {}",
            part.display()
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "fetch ended before Ctrl-C"
        );
        thread::sleep(Duration::from_millis(5));
    }
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).unwrap();
    let status = harness::wait_timeout(&mut child, WAIT).expect("fetch exits after Ctrl-C");
    let _ = release_tx.send(());
    assert!(
        status.signal() == Some(2) || status.code() == Some(130),
        "fetch after Ctrl-C: {status:?}"
    );
    assert_eq!(
        std::fs::read(&target).unwrap(),
        b"the old contents\n",
        "Ctrl-C touched the target file"
    );
    let kept = std::fs::read(&part).expect("the .part is kept after Ctrl-C");
    assert_eq!(
        kept,
        body[..half],
        "the .part holds exactly the bytes received"
    );
    assert_eq!(ranges_rx.recv_timeout(WAIT).unwrap(), None);

    lab.cmd(["fetch", "--no-progress", "-C", "-o", "out.bin", &url])
        .run()
        .success();
    assert_eq!(
        ranges_rx.recv_timeout(WAIT).unwrap().as_deref(),
        Some(format!("{half}-").as_str()),
        "-C asks for the rest"
    );
    assert!(
        std::fs::read(&target).unwrap() == body,
        "resumed file differs"
    );
    assert!(!part.exists(), "the .part is renamed once complete");
}

/// Send `line` every few milliseconds until the client goes away or [`ENDLESS`] passes.
fn trickle(stream: &mut TcpStream, first: &[u8], line: &[u8], every: Duration) {
    let until = Instant::now() + ENDLESS;
    if stream.write_all(first).is_err() {
        return;
    }
    while Instant::now() < until && stream.write_all(line).is_ok() {
        thread::sleep(every);
    }
}

/// A header that never ends, arriving slowly enough to stay under any size limit: `--timeout`
/// stops it with curl's 28, and the output file is never created.
#[test]
fn fetch_endless_header_with_timeout_exits_28() {
    let addr = server(|_, mut stream| {
        trickle(
            &mut stream,
            b"HTTP/1.1 200 OK\r\n",
            b"X-More: yes\r\n",
            Duration::from_millis(10),
        );
    });
    let lab = Lab::new();
    let started = Instant::now();
    lab.cmd([
        "fetch",
        "--timeout",
        "1s",
        "-o",
        "out.txt",
        &format!("http://{addr}/"),
    ])
    .run()
    .fails_with(28, "--timeout");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(!lab.path().join("out.txt").exists());
}

/// A header that never ends, sent as fast as the socket takes it: fetch stops by itself (a size
/// limit or the timeout, whichever first) with one `netlab:` line — no hang, no panic.
#[test]
fn fetch_endless_fast_header_stops_with_an_error() {
    let addr = server(|_, mut stream| {
        let line = b"X-More: yes\r\n".repeat(256);
        trickle(&mut stream, b"HTTP/1.1 200 OK\r\n", &line, Duration::ZERO);
    });
    let lab = Lab::new();
    let run = lab
        .cmd(["fetch", "--timeout", "2s", &format!("http://{addr}/")])
        .run();
    assert!(
        matches!(run.code(), Some(code) if code != 0),
        "{}",
        run.context()
    );
    let last = run.stderr();
    assert!(
        last.lines().last().unwrap_or("").starts_with("netlab: "),
        "{}",
        run.context()
    );
    assert!(!last.contains("panicked"), "{}", run.context());
}

/// A body that never ends (no Content-Length, bytes keep coming): `--timeout` stops it with 28,
/// the target file is untouched and what came is kept in the `.part`.
#[test]
fn fetch_endless_body_with_timeout_exits_28_and_keeps_the_file() {
    let addr = server(|_, mut stream| {
        let chunk = vec![b'z'; 4096];
        trickle(
            &mut stream,
            b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n",
            &chunk,
            Duration::from_millis(2),
        );
    });
    let lab = Lab::new();
    let target = lab.write("out.bin", "old\n");
    let started = Instant::now();
    lab.cmd([
        "fetch",
        "--no-progress",
        "--timeout",
        "1s",
        "-o",
        "out.bin",
        &format!("http://{addr}/"),
    ])
    .run()
    .fails_with(28, "--timeout");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(std::fs::read(&target).unwrap(), b"old\n");
    let part = std::fs::read(lab.path().join("out.bin.part")).expect(".part kept");
    assert!(
        !part.is_empty() && part.iter().all(|&b| b == b'z'),
        "the .part holds what came"
    );
}

/// The same endless body to stdout, with a Content-Length that is never reached.
#[test]
fn fetch_endless_body_to_stdout_with_timeout_exits_28() {
    let addr = server(|_, mut stream| {
        let chunk = vec![b'z'; 4096];
        trickle(
            &mut stream,
            b"HTTP/1.1 200 OK\r\nContent-Length: 999999999999\r\n\r\n",
            &chunk,
            Duration::from_millis(2),
        );
    });
    let lab = Lab::new();
    let run = lab
        .cmd(["fetch", "--timeout", "1s", &format!("http://{addr}/")])
        .run();
    run.fails_with(28, "--timeout");
    assert!(!run.stdout.is_empty(), "the bytes that came were written");
}
