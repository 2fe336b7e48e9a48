//! `netlab connect` and `netlab resolve`: target forms, the two-way copy and its ends, --send,
//! --crlf, --hexdump, -z, UDP, Unix sockets, errors, and real peers (Python, socat, nc).

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;

use crate::harness::{self, Lab, Server, WAIT, closed_port, noise, peer, stop};

fn serve(lab: &Lab, extra: &[&str]) -> Server {
    let mut args = vec!["serve", "--port", "0"];
    args.extend_from_slice(extra);
    lab.server(args)
}

/// A peer program that prints its port somewhere on its first lines; killed on drop.
struct PeerProcess {
    child: Child,
    port: u16,
    stdout: Option<thread::JoinHandle<Vec<u8>>>,
}

impl PeerProcess {
    /// Start `command`; `find_port` picks the port out of a line of its stderr (or stdout when
    /// `port_on_stdout`). The wait is bounded.
    fn start(
        mut command: Command,
        port_on_stdout: bool,
        find_port: fn(&str) -> Option<u16>,
    ) -> Self {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn peer");
        let (tx, rx) = mpsc::channel();
        let lines: Box<dyn Read + Send> = if port_on_stdout {
            Box::new(child.stdout.take().unwrap())
        } else {
            Box::new(child.stderr.take().unwrap())
        };
        thread::spawn(move || {
            for line in BufReader::new(lines).lines() {
                let Ok(line) = line else { break };
                if let Some(port) = find_port(&line) {
                    let _ = tx.send(port);
                    break;
                }
            }
        });
        let port = match rx.recv_timeout(WAIT) {
            Ok(port) => port,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("peer {command:?} printed no port within {WAIT:?}");
            }
        };
        let stdout = child.stdout.take().map(|mut out| {
            thread::spawn(move || {
                let mut bytes = Vec::new();
                let _ = out.read_to_end(&mut bytes);
                bytes
            })
        });
        PeerProcess {
            child,
            port,
            stdout,
        }
    }

    /// Wait (bounded) for the peer to exit; return what it printed on stdout.
    fn finish(mut self) -> Vec<u8> {
        drop(self.child.stdin.take());
        let status = harness::wait_timeout(&mut self.child, WAIT).expect("peer did not exit");
        assert!(status.success(), "peer failed: {status}");
        self.stdout
            .take()
            .map(|t| t.join().unwrap())
            .unwrap_or_default()
    }
}

impl Drop for PeerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Start `netlab ARGS` with `stdin` as its stdin and its output piped (see [`collect`]).
fn start(args: &[&str], stdin: impl Into<Stdio>) -> Child {
    Command::new(harness::bin())
        .args(args)
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn netlab")
}

/// Start `netlab connect ARGS` with a stdin pipe the test keeps open.
fn connect_with_open_stdin(args: &[&str]) -> (Child, std::process::ChildStdin) {
    let mut child = start(args, Stdio::piped());
    let stdin = child.stdin.take().unwrap();
    (child, stdin)
}

/// Wait (bounded) for a child and collect its status, stdout and stderr.
fn collect(mut child: Child) -> (std::process::ExitStatus, String, String) {
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out = thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err = thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let status = harness::wait_timeout(&mut child, WAIT).expect("netlab connect did not exit");
    (status, out.join().unwrap(), err.join().unwrap())
}

// ---------------------------------------------------------------------------------------------
// targets and errors
// ---------------------------------------------------------------------------------------------

#[test]
fn refused_says_what_to_check() {
    let port = closed_port();
    Lab::new()
        .cmd(["connect", &format!("127.0.0.1:{port}")])
        .run()
        .fails_with(
            1,
            &format!("connect 127.0.0.1:{port}: connection refused (is a server listening?)"),
        );
}

#[test]
fn every_target_form_reaches_the_server() {
    let lab = Lab::new();
    let server = serve(&lab, &["--host", "::", "-q"]);
    let port = server.addr().port().to_string();
    let v6 = std::net::TcpListener::bind("[::1]:0").is_ok();
    let mut forms = vec![
        vec![format!("127.0.0.1:{port}")],
        vec!["127.0.0.1".to_string(), port.clone()],
        vec![format!("localhost:{port}")],
    ];
    if v6 {
        forms.push(vec![format!("[::1]:{port}")]);
        forms.push(vec!["::1".to_string(), port.clone()]);
    }
    forms.push(vec!["-4".to_string(), format!("localhost:{port}")]);
    for form in &forms {
        let mut args = vec!["connect".to_string()];
        args.extend(form.iter().cloned());
        lab.cmd(&args)
            .run()
            .success()
            .stdout_is("Thank you for connecting");
    }
    stop(server);
}

#[test]
fn bad_targets_are_usage_errors() {
    let lab = Lab::new();
    lab.cmd(["connect", "127.0.0.1"])
        .run()
        .fails_with(2, "no port for `127.0.0.1`");
    lab.cmd(["connect", "::1"])
        .run()
        .fails_with(2, "[::1]:PORT");
    lab.cmd(["connect", "127.0.0.1:8000-8010"])
        .run()
        .fails_with(2, "a port range needs -z");
    lab.cmd(["connect", "127.0.0.1:0"])
        .run()
        .fails_with(2, "port 0");
    lab.cmd(["connect", "127.0.0.1:1", "2"])
        .run()
        .fails_with(2, "already has a port");
}

#[test]
fn verbose_says_which_address_was_used() {
    let lab = Lab::new();
    let server = serve(&lab, &[]);
    let addr = server.addr();
    lab.cmd(["connect", "-v", &format!("localhost:{}", addr.port())])
        .run()
        .success()
        .stderr_has(&format!("connected to {addr} from 127.0.0.1:"));
    stop(server);
}

// ---------------------------------------------------------------------------------------------
// the two-way copy
// ---------------------------------------------------------------------------------------------

#[test]
fn stdin_end_half_closes_and_the_reply_is_read_to_the_end() {
    let lab = Lab::new();
    let server = serve(&lab, &["--echo"]);
    let data = noise(1024 * 1024 + 3);
    let run = lab
        .cmd(["connect", &server.addr().to_string()])
        .stdin(data.clone())
        .run();
    run.success();
    assert!(
        run.stdout == data,
        "echoed bytes differ ({} of {})",
        run.stdout.len(),
        data.len()
    );
    stop(server);
}

#[test]
fn server_close_ends_the_session_while_stdin_is_still_open() {
    let lab = Lab::new();
    let server = serve(&lab, &[]);
    let (child, stdin) = connect_with_open_stdin(&["connect", &server.addr().to_string()]);
    let (status, out, err) = collect(child);
    drop(stdin);
    assert!(status.success(), "{status}\n{err}");
    assert_eq!(out, "Thank you for connecting");
    stop(server);
}

#[test]
fn send_text_then_half_close() {
    let lab = Lab::new();
    let server = serve(&lab, &["--echo"]);
    let addr = server.addr().to_string();
    lab.cmd(["connect", "--send", "ping", &addr])
        .run()
        .success()
        .stdout_is("ping");
    lab.cmd(["connect", "--crlf", "--send", "GET / HTTP/1.0\n\n", &addr])
        .run()
        .success()
        .stdout_is("GET / HTTP/1.0\r\n\r\n");
    lab.cmd(["connect", "-C", &addr])
        .stdin("HELO lab\r\nQUIT\n")
        .run()
        .success()
        .stdout_is("HELO lab\r\nQUIT\r\n");
    stop(server);
}

#[test]
fn hexdump_shows_both_directions() {
    let lab = Lab::new();
    let server = serve(&lab, &["--echo"]);
    let run = lab
        .cmd([
            "connect",
            "--hexdump",
            "--send",
            "hi\n",
            &server.addr().to_string(),
        ])
        .run();
    run.success().stdout_is("hi\n");
    run.stderr_has("> 00000000  68 69 0a                                          |hi.|")
        .stderr_has("< 00000000  68 69 0a                                          |hi.|");
    stop(server);
}

#[test]
fn idle_timeout_ends_a_quiet_session() {
    let lab = Lab::new();
    let server = serve(&lab, &["--echo"]);
    let (child, mut stdin) = connect_with_open_stdin(&[
        "connect",
        "--idle-timeout",
        "300ms",
        &server.addr().to_string(),
    ]);
    stdin.write_all(b"one line\n").unwrap();
    let (status, out, err) = collect(child);
    assert!(status.success(), "{status}\n{err}");
    assert_eq!(out, "one line\n");
    assert!(err.contains("nothing sent or received for 300ms"), "{err}");
    drop(stdin);
    stop(server);
}

#[test]
fn a_file_on_stdin_arrives_whole() {
    // stdin a regular file: sent from a mapping; the server counts every byte.
    let lab = Lab::new();
    let server = serve(&lab, &["--discard", "-v"]);
    let data = noise(5 * 1024 * 1024 + 7);
    let path = lab.write("upload.bin", &data);
    let child = start(
        &["connect", &server.addr().to_string()],
        std::fs::File::open(&path).unwrap(),
    );
    let (status, out, err) = collect(child);
    assert!(status.success(), "{status}\n{err}");
    assert_eq!(out, "");
    let log = stop(server);
    assert!(
        log.contains(&format!("exactly {} bytes in, 0 bytes out", data.len())),
        "{log}"
    );
}

/// A listener of the test's own that takes one connection and hands its bytes, as they come,
/// to `check`; the bytes' total is returned through the handle.
fn receiver(
    mut check: impl FnMut(u64, &[u8]) + Send + 'static,
) -> (std::net::SocketAddr, thread::JoinHandle<u64>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        conn.set_read_timeout(Some(WAIT)).unwrap();
        let mut buf = vec![0u8; 1 << 20];
        let mut total = 0u64;
        loop {
            let n = conn.read(&mut buf).expect("read within the wait");
            if n == 0 {
                return total;
            }
            check(total, &buf[..n]);
            total += n as u64;
        }
    });
    (addr, handle)
}

/// A listener whose connections keep a small receive buffer (256 KiB, no autotuning), so what
/// connect can have in flight before it waits is bounded by that and its own send buffer.
fn small_listener() -> std::net::TcpListener {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.set_recv_buffer_size(256 * 1024).unwrap();
    socket
        .bind(
            &"127.0.0.1:0"
                .parse::<std::net::SocketAddr>()
                .unwrap()
                .into(),
        )
        .unwrap();
    socket.listen(8).unwrap();
    socket.into()
}

/// `netlab connect` sending `stdin` to a listener of the test's with a small receive buffer:
/// the first `first` bytes are read and returned, then nothing more, so connect soon waits on
/// a full socket, well before the end of a large file.
fn stalled_upload(stdin: std::fs::File, first: usize) -> (Child, std::net::TcpStream, Vec<u8>) {
    let listener = small_listener();
    let child = connect_from(listener.local_addr().unwrap(), &[], stdin);
    let (mut conn, _) = listener.accept().unwrap();
    conn.set_read_timeout(Some(WAIT)).unwrap();
    let mut received = vec![0u8; first];
    conn.read_exact(&mut received).unwrap();
    (child, conn, received)
}

/// `netlab connect` with `stdin` as its stdin, to a listener of the test's: what arrived, once
/// connect has exited 0.
fn upload(stdin: std::fs::File) -> Vec<u8> {
    let received = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = std::sync::Arc::clone(&received);
    let (addr, total) = receiver(move |_, bytes| sink.lock().unwrap().extend_from_slice(bytes));
    let (status, _, err) = collect(connect_from(addr, &[], stdin));
    assert!(status.success(), "{status}\n{err}");
    total.join().unwrap();
    std::mem::take(&mut *received.lock().unwrap())
}

/// Start `netlab connect ADDR EXTRA` with `stdin` as its stdin.
fn connect_from(addr: std::net::SocketAddr, extra: &[&str], stdin: impl Into<Stdio>) -> Child {
    let addr = addr.to_string();
    let args: Vec<&str> = std::iter::once("connect")
        .chain(extra.iter().copied())
        .chain([addr.as_str()])
        .collect();
    start(&args, stdin)
}

#[test]
fn a_file_on_stdin_is_sent_from_where_stdin_stands() {
    // stdin already read partway (at an offset no page boundary): what follows goes out, and
    // stdin's position ends after it, as a read to the end would leave it.
    use std::io::{Seek, SeekFrom};
    let lab = Lab::new();
    let data = noise(5 * 1024 * 1024 + 7);
    let path = lab.write("upload.bin", &data);
    let mut file = std::fs::File::open(&path).unwrap();
    file.seek(SeekFrom::Start(12345)).unwrap();
    let received = upload(file.try_clone().unwrap());
    assert_eq!(received.len(), data.len() - 12345);
    assert!(received == data[12345..], "the bytes differ");
    assert_eq!(file.stream_position().unwrap(), data.len() as u64);
}

#[test]
fn a_large_file_arrives_in_order() {
    // A file goes out from a mapping, 4 MiB at a time. Every 4 KiB block of it starts with its
    // own number: a block skipped, sent twice or out of place shows.
    const BLOCK: usize = 4096;
    let blocks = (40 << 20) / BLOCK + 3;
    let lab = Lab::new();
    let path = lab.path().join("large.bin");
    {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        let mut block = vec![0u8; BLOCK];
        for number in 0..blocks as u64 {
            block[..8].copy_from_slice(&number.to_le_bytes());
            out.write_all(&block).unwrap();
        }
        out.flush().unwrap();
    }
    let (addr, total) = receiver(|at, bytes| {
        // Each block start that falls in this piece.
        let mut start = at.div_ceil(BLOCK as u64) * BLOCK as u64;
        while start + 8 <= at + bytes.len() as u64 {
            let i = (start - at) as usize;
            let stamp = u64::from_le_bytes(bytes[i..i + 8].try_into().unwrap());
            assert_eq!(stamp, start / BLOCK as u64, "block at byte {start}");
            start += BLOCK as u64;
        }
    });
    let child = connect_from(addr, &["-v"], std::fs::File::open(&path).unwrap());
    let (status, _, err) = collect(child);
    assert!(status.success(), "{status}\n{err}");
    assert_eq!(total.join().unwrap(), (blocks * BLOCK) as u64);
    assert!(
        err.contains("from a mapping"),
        "-v says how the file goes:\n{err}"
    );
}

#[test]
fn a_file_that_says_it_is_empty_is_still_sent() {
    // /proc files give size 0 and have bytes all the same.
    let expected = std::fs::read("/proc/version").unwrap();
    assert!(!expected.is_empty());
    assert_eq!(
        upload(std::fs::File::open("/proc/version").unwrap()),
        expected
    );
}

#[test]
fn a_file_cut_short_while_it_is_sent_ends_where_the_file_now_ends() {
    // Cut (to a point inside a page, past what is in flight) while connect waits on a full
    // socket: the rest of the mapping is gone, and of the last page only the part before the
    // cut holds the file. A read of the gone part would be SIGBUS, a send of the page's rest
    // would be zeros the file never held: connect sends exactly the file as it now is, and
    // exits 0, as a reader of the file would.
    let lab = Lab::new();
    let data = noise(128 << 20);
    let cut = (96 << 20) - 4096 + 100;
    let path = lab.write("shrinking.bin", &data);
    // connect fills the buffers between us (its send buffer, a few MiB, and our small receive
    // buffer) and waits.
    let (child, mut conn, mut received) =
        stalled_upload(std::fs::File::open(&path).unwrap(), 1 << 20);
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(cut as u64)
        .unwrap();
    conn.read_to_end(&mut received).unwrap();
    drop(conn);
    let (status, _, err) = collect(child);
    assert!(status.success(), "{status}\n{err}");
    assert!(err.is_empty(), "{err}");
    assert_eq!(received.len(), cut);
    assert!(received == data[..cut], "the bytes differ");
}

#[test]
fn stdin_s_position_follows_what_was_sent_when_the_server_leaves_early() {
    // The server takes 8 MiB of a 64 MiB file and leaves: stdin's position stands past what
    // went, as reads would have left it (a script may carry on reading it).
    use std::io::Seek;
    let lab = Lab::new();
    let path = lab.write("upload.bin", noise(64 << 20));
    let mut file = std::fs::File::open(&path).unwrap();
    let (child, conn, _) = stalled_upload(file.try_clone().unwrap(), 8 << 20);
    drop(conn);
    let _ = collect(child);
    // Every piece but the last of those 8 MiB was sent, and counted, before the last began.
    let position = file.stream_position().unwrap();
    // Not at the end either: what is in flight (connect's send buffer, a few MiB, and the
    // small receive buffer) is far less than the other 56 MiB.
    assert!(
        (4 << 20..=40 << 20).contains(&position),
        "stdin's position: {position}"
    );
}

#[test]
fn a_server_that_does_not_read_never_blocks_the_writer_of_stdin() {
    // The program writing into connect's stdin pipe, with O_NONBLOCK, must see the pipe fill
    // (EAGAIN) while the server reads nothing. (splice(2) from the pipe would hold the pipe
    // locked while the socket is full, and the writer would hang in write(2), unkillable.)
    use std::os::fd::AsFd;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let (child, stdin) = connect_with_open_stdin(&["connect", &addr]);
    let (conn, _) = listener.accept().unwrap();
    let flags = nix::fcntl::fcntl(stdin.as_fd(), nix::fcntl::FcntlArg::F_GETFL).unwrap();
    let flags = nix::fcntl::OFlag::from_bits_truncate(flags) | nix::fcntl::OFlag::O_NONBLOCK;
    nix::fcntl::fcntl(stdin.as_fd(), nix::fcntl::FcntlArg::F_SETFL(flags)).unwrap();
    let (tx, rx) = mpsc::channel();
    let writer = thread::spawn(move || {
        let mut stdin = stdin;
        let chunk = vec![b'x'; 64 * 1024];
        // Bounded: at most 1 GiB before the pipe must have filled.
        for _ in 0..16 * 1024 {
            match stdin.write(&chunk) {
                Ok(_) => {}
                Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => {
                    let _ = tx.send(true);
                    return stdin;
                }
                Err(err) => panic!("write to connect's stdin: {err}"),
            }
        }
        let _ = tx.send(false);
        stdin
    });
    let filled = rx.recv_timeout(WAIT);
    // Ending connect frees a writer that hangs, so the test ends either way.
    let mut child = child;
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(filled, Ok(true), "the writer of stdin was blocked");
    drop(writer.join().unwrap());
    drop(conn);
}

#[test]
fn a_non_blocking_stdin_is_waited_on() {
    // A stdin pipe left O_NONBLOCK (by a program sharing it) and empty for now: connect waits
    // for it as a blocking read would, sends what comes, and half-closes at its end.
    use std::os::fd::AsFd;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let (read, mut write) = std::io::pipe().unwrap();
    let flags = nix::fcntl::fcntl(read.as_fd(), nix::fcntl::FcntlArg::F_GETFL).unwrap();
    let flags = nix::fcntl::OFlag::from_bits_truncate(flags) | nix::fcntl::OFlag::O_NONBLOCK;
    nix::fcntl::fcntl(read.as_fd(), nix::fcntl::FcntlArg::F_SETFL(flags)).unwrap();
    let child = connect_from(listener.local_addr().unwrap(), &[], read);
    let (mut conn, _) = listener.accept().unwrap();
    conn.set_read_timeout(Some(WAIT)).unwrap();
    write.write_all(b"late\n").unwrap();
    let mut first = [0u8; 5];
    conn.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"late\n");
    drop(write);
    let mut rest = Vec::new();
    conn.read_to_end(&mut rest)
        .expect("the end of stdin arrives as EOF");
    assert!(rest.is_empty());
    drop(conn);
    let (status, _, err) = collect(child);
    assert!(status.success(), "{status}\n{err}");
}

#[test]
fn a_stdin_that_cannot_be_read_ends_the_session_with_its_error() {
    // stdin a directory: reading it fails. connect says so (exit 1), with the server's bytes
    // coming in, and the server gets a reset, not an end of input it could take for a whole
    // upload.
    let lab = Lab::new();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let child = connect_from(
        listener.local_addr().unwrap(),
        &[],
        std::fs::File::open(lab.path()).unwrap(),
    );
    let (mut conn, _) = listener.accept().unwrap();
    conn.set_read_timeout(Some(WAIT)).unwrap();
    // The server talks too, if connect is still there to take it: the reset may then come
    // back to this write rather than to the read below (a socket tells its error once).
    let wrote = conn.write_all(&vec![b'y'; 64 * 1024]);
    let (status, _, err) = collect(child);
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(err.starts_with("netlab: read stdin"), "{err}");
    let mut sink = Vec::new();
    let read = conn.read_to_end(&mut sink);
    let reset = |err: Option<&std::io::Error>| {
        err.is_some_and(|err| err.kind() == std::io::ErrorKind::ConnectionReset)
    };
    assert!(
        reset(wrote.as_ref().err()) || reset(read.as_ref().err()),
        "the server saw no reset: write {wrote:?}, read {read:?}"
    );
}

#[test]
fn a_file_on_stdin_goes_to_a_unix_socket_whole() {
    let lab = Lab::new();
    let path = lab.path().join("sink.sock");
    let server = lab.server(["serve", "--unix", path.to_str().unwrap(), "--discard", "-v"]);
    let data = noise(9 * 1024 * 1024 + 5);
    let file = lab.write("upload.bin", &data);
    let child = start(
        &["connect", "--unix", path.to_str().unwrap()],
        std::fs::File::open(&file).unwrap(),
    );
    let (status, _, err) = collect(child);
    assert!(status.success(), "{status}\n{err}");
    let log = stop(server);
    assert!(
        log.contains(&format!("exactly {} bytes in, 0 bytes out", data.len())),
        "{log}"
    );
}

#[test]
fn a_file_that_grows_while_it_is_sent_is_sent_to_its_new_end() {
    // The size at the start bounds the mapped part; what was added meanwhile is read after it.
    let lab = Lab::new();
    // Far more than can be in flight before connect waits (its send buffer and our small
    // receive buffer), so the file is added to before connect reaches its first end.
    let mut data = noise(48 << 20);
    let path = lab.write("growing.bin", &data);
    let (child, mut conn, mut received) =
        stalled_upload(std::fs::File::open(&path).unwrap(), 1 << 20);
    // connect now waits on a full socket, well before the file's end.
    let more = vec![b'+'; 1 << 20];
    std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(&more)
        .unwrap();
    data.extend_from_slice(&more);
    conn.read_to_end(&mut received).unwrap();
    drop(conn);
    let (status, _, err) = collect(child);
    assert!(status.success(), "{status}\n{err}");
    assert_eq!(received.len(), data.len());
    assert!(received == data, "the bytes differ");
}

#[test]
fn a_file_that_cannot_be_mapped_is_still_sent() {
    // sysfs files say 4096 bytes, hold fewer, and cannot be mapped: connect falls back to
    // sendfile(2), then to a plain copy, and sends exactly what a read gives.
    let path = "/sys/devices/system/cpu/online";
    let Ok(expected) = std::fs::read(path) else {
        crate::harness::skip(&format!("{path} cannot be read here"));
        return;
    };
    assert_eq!(upload(std::fs::File::open(path).unwrap()), expected);
}

#[test]
fn a_pipe_on_stdin_is_sent_as_it_comes() {
    // stdin a pipe: each piece goes as it arrives (no waiting for more).
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let (child, mut stdin) = connect_with_open_stdin(&["connect", &addr]);
    let (mut conn, _) = listener.accept().unwrap();
    conn.set_read_timeout(Some(WAIT)).unwrap();
    stdin.write_all(b"hello\n").unwrap();
    let mut first = [0u8; 6];
    conn.read_exact(&mut first)
        .expect("the line arrives while stdin stays open");
    assert_eq!(&first, b"hello\n");
    let data = noise(3 << 20);
    let writer = {
        let data = data.clone();
        thread::spawn(move || {
            stdin.write_all(&data).unwrap();
        })
    };
    let mut rest = Vec::new();
    conn.read_to_end(&mut rest).unwrap();
    writer.join().unwrap();
    drop(conn);
    assert!(
        rest == data,
        "the bytes differ ({} of {})",
        rest.len(),
        data.len()
    );
    let (status, _, err) = collect(child);
    assert!(status.success(), "{status}\n{err}");
}

#[test]
fn a_closed_stdout_pipe_is_not_an_error() {
    if !peer("bash") {
        return;
    }
    let lab = Lab::new();
    let big = lab.write("big.bin", noise(4 * 1024 * 1024));
    let server = serve(&lab, &["--file", big.to_str().unwrap()]);
    let script = format!(
        "set -o pipefail; '{}' connect {} | head -c 10 > /dev/null",
        harness::bin().display(),
        server.addr()
    );
    let status = Command::new("bash")
        .args(["-c", &script])
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    assert!(
        status.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    stop(server);
}

// ---------------------------------------------------------------------------------------------
// probe, resolve
// ---------------------------------------------------------------------------------------------

#[test]
fn probe_reports_the_open_ports_of_a_range() {
    let lab = Lab::new();
    let server = serve(&lab, &[]);
    let port = server.addr().port();
    let range = format!("{}-{}", port - 1, port + 1);
    let run = lab
        .cmd(["connect", "-z", &format!("127.0.0.1:{range}")])
        .run();
    run.success()
        .stdout_has(&format!("127.0.0.1:{port} open\n"));
    for line in run.stdout().lines() {
        let probed: u16 = line
            .strip_prefix("127.0.0.1:")
            .and_then(|rest| rest.strip_suffix(" open"))
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("odd line {line:?}"));
        assert!((port - 1..=port + 1).contains(&probed));
    }
    lab.cmd(["connect", "-z", "127.0.0.1", &port.to_string()])
        .run()
        .success()
        .stdout_is(&format!("127.0.0.1:{port} open\n"));
    stop(server);
}

#[test]
fn probe_of_a_closed_port_exits_1() {
    let port = closed_port();
    let lab = Lab::new();
    lab.cmd(["connect", "-z", &format!("127.0.0.1:{port}")])
        .run()
        .fails_with(1, "connection refused")
        .stdout_is("");
    lab.cmd(["connect", "-zv", &format!("127.0.0.1:{port}-{port}")])
        .run()
        .expect_code(1)
        .stderr_has(&format!("127.0.0.1:{port} closed"));
}

#[test]
fn resolve_prints_every_address() {
    let lab = Lab::new();
    let run = lab.cmd(["resolve", "localhost"]).run();
    run.success();
    let lines: Vec<String> = run.stdout().lines().map(String::from).collect();
    assert!(!lines.is_empty());
    for line in &lines {
        let ip: std::net::IpAddr = line.parse().expect("one address per line");
        assert!(ip.is_loopback(), "{ip}");
    }
    lab.cmd(["resolve", "::1"])
        .run()
        .success()
        .stdout_is("::1\n");
    lab.cmd(["resolve", "127.0.0.1"])
        .run()
        .success()
        .stdout_is("127.0.0.1\n");
    lab.cmd(["resolve", "no-such-host.invalid"])
        .run()
        .fails_with(1, "resolve no-such-host.invalid:");
}

// ---------------------------------------------------------------------------------------------
// UDP and Unix sockets
// ---------------------------------------------------------------------------------------------

#[test]
fn udp_sends_each_line_as_a_datagram() {
    let lab = Lab::new();
    let server = serve(&lab, &["--udp", "--echo", "--model", "serial"]);
    let addr = server.addr().to_string();
    lab.cmd(["connect", "--udp", "--send", "ping", &addr])
        .run()
        .success()
        .stdout_is("ping");
    lab.cmd(["connect", "-u", &addr])
        .stdin("one\ntwo\n")
        .run()
        .success()
        .stdout_is("one\ntwo\n");
    let log = stop(server);
    assert!(
        log.contains("stopped: 3 datagrams, 12 B in, 12 B out"),
        "{log}"
    );
}

#[test]
fn udp_to_a_closed_port_says_so() {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = socket.local_addr().unwrap().port();
    drop(socket);
    Lab::new()
        .cmd([
            "connect",
            "--udp",
            "--send",
            "anyone?",
            &format!("127.0.0.1:{port}"),
        ])
        .run()
        .fails_with(1, "connection refused (no UDP server on that port?)");
}

#[test]
fn unix_socket_session_and_missing_path() {
    let lab = Lab::new();
    let path = lab.path().join("echo.sock");
    let server = lab.server(["serve", "--unix", path.to_str().unwrap(), "--echo"]);
    lab.cmd([
        "connect",
        "--unix",
        path.to_str().unwrap(),
        "--send",
        "via unix",
    ])
    .run()
    .success()
    .stdout_is("via unix");
    stop(server);
    lab.cmd(["connect", "--unix", path.to_str().unwrap()])
        .run()
        .fails_with(1, "no such socket");
}

// ---------------------------------------------------------------------------------------------
// real peers
// ---------------------------------------------------------------------------------------------

#[test]
fn talks_to_a_python_socket_server() {
    if !peer("python3") {
        return;
    }
    let script = "import socket\n\
        s=socket.socket(); s.bind(('127.0.0.1',0)); s.listen(1)\n\
        print(s.getsockname()[1], flush=True)\n\
        c,_=s.accept(); data=b''\n\
        while True:\n    d=c.recv(65536)\n    if not d: break\n    data+=d\n\
        c.sendall(data.upper()); c.close()\n";
    let mut python = Command::new("python3");
    python.args(["-c", script]);
    let server = PeerProcess::start(python, true, |line| line.trim().parse().ok());
    Lab::new()
        .cmd(["connect", &format!("127.0.0.1:{}", server.port)])
        .stdin("hello python")
        .run()
        .success()
        .stdout_is("HELLO PYTHON");
    server.finish();
}

#[test]
fn talks_to_socat() {
    if !peer("socat") {
        return;
    }
    let mut socat = Command::new("socat");
    socat.args(["-d", "-d", "TCP-LISTEN:0,bind=127.0.0.1", "EXEC:tr a-z A-Z"]);
    // "… N listening on AF=2 127.0.0.1:40577"
    let server = PeerProcess::start(socat, false, |line| {
        line.split("listening on AF=2 127.0.0.1:")
            .nth(1)
            .and_then(|port| port.trim().parse().ok())
    });
    Lab::new()
        .cmd(["connect", &format!("127.0.0.1:{}", server.port)])
        .stdin("hello socat")
        .run()
        .success()
        .stdout_is("HELLO SOCAT");
    server.finish();
}

#[test]
fn talks_to_nc() {
    if !peer("nc") {
        return;
    }
    let mut nc = Command::new("nc");
    nc.args(["-lvN", "127.0.0.1", "0"]);
    // OpenBSD nc: "Listening on localhost 45729"
    let mut server = PeerProcess::start(nc, false, |line| {
        line.strip_prefix("Listening on ")
            .and_then(|rest| rest.split_whitespace().last())
            .and_then(|port| port.parse().ok())
    });
    let mut nc_stdin = server.child.stdin.take().unwrap();
    nc_stdin.write_all(b"hello from nc").unwrap();
    drop(nc_stdin); // -N: nc half-closes once its stdin ends
    Lab::new()
        .cmd([
            "connect",
            "--send",
            "hello from netlab",
            &format!("127.0.0.1:{}", server.port),
        ])
        .run()
        .success()
        .stdout_is("hello from nc");
    assert_eq!(server.finish(), b"hello from netlab");
}

#[test]
fn stays_quiet_on_stderr_when_all_is_well() {
    let lab = Lab::new();
    let server = serve(&lab, &[]);
    lab.cmd(["connect", &server.addr().to_string()])
        .run()
        .success()
        .stderr_empty();
    stop(server);
}

/// Issue 13: a client refused by `serve --max-conns` exited 0 as if served. The server now
/// resets it, and connect says so with exit 1; a server that closes having sent nothing is
/// still a success.
#[test]
fn connect_says_reset_by_the_server() {
    let lab = Lab::new();
    let server = serve(&lab, &["--echo", "--max-conns", "1"]);
    let port = server.addr().port().to_string();
    let mut held = server.connect();
    held.write_all(b"x").unwrap();
    let mut back = [0u8; 1];
    held.read_exact(&mut back).unwrap();
    lab.cmd(["connect", "127.0.0.1", &port])
        .run()
        .fails_with(1, "reset by the server (it may be at its --max-conns");
    lab.cmd(["connect", "127.0.0.1", &port, "--send", "hello"])
        .run()
        .fails_with(1, "reset by the server (it may be at its --max-conns");
    drop(held);
    stop(server);
    // A server that says nothing and closes.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port().to_string();
    let closer = thread::spawn(move || drop(silent.accept()));
    lab.cmd(["connect", "127.0.0.1", &port])
        .run()
        .success()
        .stdout_is("");
    closer.join().unwrap();
}
