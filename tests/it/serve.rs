//! `netlab serve`: one behaviour suite run against every concurrency model (the `suite!` macro
//! makes `serve::serial::greets_each_client`, `serve::thread::greets_each_client`, …), then what
//! is specific: the notes verbatim, UDP, Unix sockets, limits, and real peers (nc, Python).

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream, UdpSocket};
use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::harness::{self, Lab, Server, WAIT, peer, stop};

// ---------------------------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------------------------

/// Start `netlab serve --port 0 --model MODEL EXTRA…`.
fn serve(lab: &Lab, model: &str, extra: &[&str]) -> Server {
    let mut args = vec!["serve", "--port", "0", "--model", model];
    args.extend_from_slice(extra);
    lab.server(args)
}

fn read_to_end(stream: &mut impl Read) -> Vec<u8> {
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).expect("read to end");
    bytes
}

/// Connect, read everything the server sends, return it as text.
fn greeting(server: &Server) -> String {
    let mut stream = server.connect();
    String::from_utf8(read_to_end(&mut stream)).expect("utf-8 greeting")
}

/// One echo round trip on an open connection.
#[track_caller]
fn round_trip(stream: &mut TcpStream, message: &[u8]) {
    stream.write_all(message).expect("send");
    let mut back = vec![0u8; message.len()];
    stream.read_exact(&mut back).expect("echo back");
    assert_eq!(back, message);
}

/// Close with a reset (SO_LINGER 0) instead of FIN.
fn reset(stream: TcpStream) {
    socket2::SockRef::from(&stream)
        .set_linger(Some(Duration::ZERO))
        .expect("set linger");
    drop(stream);
}

/// 64 MiB of reproducible noise, made once per test binary.
fn noise() -> &'static [u8] {
    static NOISE: OnceLock<Vec<u8>> = OnceLock::new();
    NOISE.get_or_init(|| harness::noise(64 << 20))
}

fn noise_digest() -> &'static [u8] {
    static DIGEST: OnceLock<Vec<u8>> = OnceLock::new();
    DIGEST.get_or_init(|| Sha256::digest(noise()).to_vec())
}

/// Open descriptors, threads, and child processes (zombies included) of a process.
pub(crate) fn census(pid: u32) -> (usize, usize, usize) {
    let count = |dir: String| std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0);
    let fds = count(format!("/proc/{pid}/fd"));
    let threads = count(format!("/proc/{pid}/task"));
    let children = std::fs::read_dir("/proc")
        .expect("read /proc")
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| std::fs::read_to_string(entry.path().join("stat")).ok())
        .filter(|stat| {
            // pid (comm) state ppid …: the comm may hold spaces, so split after its `)`.
            stat.rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                .and_then(|ppid| ppid.parse::<u32>().ok())
                == Some(pid)
        })
        .count();
    (fds, threads, children)
}

/// Wait (bounded) until the server's census is back to `baseline`: the same threads and
/// children, and no more descriptors (fewer is no leak: a descriptor the server held for a
/// moment as it started, such as a file read then, may have been counted in the baseline).
#[track_caller]
pub(crate) fn settles_to(server: &Server, baseline: (usize, usize, usize)) {
    let deadline = Instant::now() + WAIT;
    loop {
        let now = census(server.pid());
        if now.0 <= baseline.0 && (now.1, now.2) == (baseline.1, baseline.2) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "server did not settle: (fds, threads, children) = {now:?}, expected {baseline:?}\n{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `exactly N bytes in, M bytes out` from a `-v` server's last lines.
fn exact_bytes(log: &str) -> (u64, u64) {
    let line = log
        .lines()
        .find(|line| line.contains("exactly "))
        .unwrap_or_else(|| panic!("no exact byte counts in\n{log}"));
    let numbers: Vec<u64> = line
        .split_whitespace()
        .filter_map(|word| word.parse().ok())
        .collect();
    (numbers[0], numbers[1])
}

/// Run each behaviour test against each model: `suite!([serial, thread] [test_a, test_b])`
/// makes `serial::test_a`, `thread::test_a`, … calling `test_a("serial")` and so on.
macro_rules! suite {
    ([$($model:ident),*] $tests:tt) => {
        $( suite!(@model $model $tests); )*
    };
    (@model $model:ident [$($test:ident),* $(,)?]) => {
        mod $model {
            $( #[test] fn $test() { crate::serve::$test(stringify!($model)) } )*
        }
    };
}

suite!([serial, thread, pool, fork, poll] [
    greets_each_client,
    echoes_64_mib_written_and_read_at_once,
    discard_counts_every_byte_piped_through_connect,
    file_goes_to_every_client,
    keeps_serving_after_a_reset_mid_echo,
    closes_a_client_that_never_reads,
    count_exits_after_n_connections,
    sigterm_lets_a_transfer_in_flight_finish,
    serves_a_unix_socket_and_removes_it,
    leaks_no_fd_thread_or_process,
    answers_nc_and_python_clients,
    a_reply_survives_a_client_that_sent_first,
]);

mod limits {
    suite!([thread, pool, fork, poll][refuses_the_connection_over_max_conns, max_conns_refusal_is_a_reset]);
}

mod descriptors {
    suite!([thread, poll][answers_its_clients_while_out_of_descriptors]);
}

mod udp {
    suite!([serial, thread, pool, poll] [udp_echoes_datagrams_of_0_and_65507_bytes, udp_greets_each_datagram]);
}

// ---------------------------------------------------------------------------------------------
// the behaviour suite
// ---------------------------------------------------------------------------------------------

fn greets_each_client(model: &str) {
    let lab = Lab::new();
    let server = serve(&lab, model, &[]);
    assert!(
        server.location.starts_with("tcp://127.0.0.1:"),
        "{}",
        server.location
    );
    let addr = server.addr().to_string();
    lab.cmd(["connect", &addr])
        .run()
        .success()
        .stdout_is("Thank you for connecting");
    for _ in 0..2 {
        assert_eq!(greeting(&server), "Thank you for connecting");
    }
    let log = stop(server);
    let first = log.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("netlab serve: listening on tcp://127.0.0.1:")
            && first.ends_with(&format!("(model {model})")),
        "{log}"
    );
    assert_eq!(
        log.matches("connection from 127.0.0.1:").count(),
        3,
        "{log}"
    );
    assert!(
        log.contains("netlab serve: stopped: 3 connections, 0 B in, 72 B out"),
        "{log}"
    );
}

fn echoes_64_mib_written_and_read_at_once(model: &str) {
    let lab = Lab::new();
    let server = serve(&lab, model, &["--echo"]);
    let mut stream = server.connect();
    let mut writer = stream.try_clone().expect("clone");
    let sender = std::thread::spawn(move || {
        writer.write_all(noise())?;
        writer.shutdown(Shutdown::Write)
    });
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0usize;
    loop {
        let n = stream.read(&mut buf).expect("read the echo");
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        total += n;
    }
    sender.join().expect("sender thread").expect("send 64 MiB");
    assert_eq!(total, noise().len());
    assert_eq!(
        hasher.finalize().to_vec(),
        noise_digest(),
        "SHA-256 differs"
    );
    let log = stop(server);
    assert!(
        log.contains("1 connection, 64.00 MiB in, 64.00 MiB out"),
        "{log}"
    );
}

fn discard_counts_every_byte_piped_through_connect(model: &str) {
    let lab = Lab::new();
    let server = serve(&lab, model, &["--discard", "-v"]);
    let addr = server.addr().to_string();
    // Not a round number, so a lost or extra byte shows.
    let data = &noise()[..3 * 1024 * 1024 + 12_345];
    lab.cmd(["connect", &addr])
        .stdin(data)
        .run()
        .success()
        .stdout_is("");
    let log = stop(server);
    assert_eq!(exact_bytes(&log), (data.len() as u64, 0), "{log}");
}

fn file_goes_to_every_client(model: &str) {
    let lab = Lab::new();
    let contents = &noise()[..300_001];
    let path = lab.write("notes.bin", contents);
    let server = serve(&lab, model, &["--file", path.to_str().unwrap()]);
    let clients: Vec<_> = (0..3).map(|_| server.connect()).collect();
    for mut client in clients {
        assert!(read_to_end(&mut client) == contents, "file bytes differ");
    }
    let log = stop(server);
    assert!(
        log.contains("3 connections, 0 B in, 878.91 KiB out"),
        "{log}"
    );
}

fn keeps_serving_after_a_reset_mid_echo(model: &str) {
    let lab = Lab::new();
    let server = serve(&lab, model, &["--echo"]);
    for _ in 0..3 {
        let mut rude = server.connect();
        round_trip(&mut rude, b"first half");
        // More than the socket buffers hold, then a reset while the echo is under way.
        let _ = rude.write_all(&noise()[..256 * 1024]);
        reset(rude);
    }
    let mut polite = server.connect();
    round_trip(&mut polite, b"ping");
    polite.shutdown(Shutdown::Write).unwrap();
    assert!(read_to_end(&mut polite).is_empty());
    drop(polite);
    let log = stop(server);
    assert!(log.contains("stopped: 4 connections"), "{log}");
}

fn closes_a_client_that_never_reads(model: &str) {
    let lab = Lab::new();
    let server = serve(&lab, model, &["--echo", "--idle-timeout", "300ms"]);
    // This client writes and never reads: the echo fills every buffer and stalls.
    let stuck = server.connect();
    let mut writer = stuck.try_clone().unwrap();
    let flood = std::thread::spawn(move || writer.write_all(&noise()[..32 << 20]).is_err());
    // Everyone else is still served (the serial model after the stuck client's timeout).
    let mut other = server.connect();
    round_trip(&mut other, b"still here?");
    drop(other);
    server.wait_for_line("idle for 300ms");
    // The server closed the stuck connection, so the flood fails instead of hanging.
    assert!(
        flood.join().unwrap(),
        "the flood should fail once the server closes"
    );
    drop(stuck);
    let log = stop(server);
    assert!(log.contains("stopped: 2 connections"), "{log}");
}

fn count_exits_after_n_connections(model: &str) {
    let lab = Lab::new();
    let server = serve(&lab, model, &["--count", "2", "--message", "bye"]);
    assert_eq!(greeting(&server), "bye");
    assert_eq!(greeting(&server), "bye");
    let (status, log) = server.wait();
    assert!(status.success(), "{log}");
    assert!(
        log.contains("stopped: 2 connections, 0 B in, 6 B out"),
        "{log}"
    );
}

fn sigterm_lets_a_transfer_in_flight_finish(model: &str) {
    let lab = Lab::new();
    let server = serve(&lab, model, &["--discard", "-v"]);
    let mut client = server.connect();
    client.write_all(&[1u8; 1000]).unwrap();
    server.wait_for_line("connection from");
    server.signal(15);
    server.wait_for_line("stopping: waiting up to 5s for 1 connection in progress");
    // Nothing new is accepted now…
    // …but the transfer under way goes on to its end.
    client.write_all(&[2u8; 1000]).unwrap();
    drop(client);
    let (status, log) = server.wait();
    assert!(status.success(), "{log}");
    assert_eq!(exact_bytes(&log), (2000, 0), "{log}");
}

fn serves_a_unix_socket_and_removes_it(model: &str) {
    let lab = Lab::new();
    let path = lab.path().join("lab.sock");
    let server = lab.server([
        "serve",
        "--unix",
        path.to_str().unwrap(),
        "--model",
        model,
        "--echo",
    ]);
    assert_eq!(server.location, format!("unix:{}", path.display()));
    lab.cmd(["connect", "--unix", path.to_str().unwrap()])
        .stdin("over a unix socket")
        .run()
        .success()
        .stdout_is("over a unix socket");
    let log = stop(server);
    assert!(log.contains("connection from pid "), "{log}");
    assert!(!path.exists(), "socket file left behind");
}

fn leaks_no_fd_thread_or_process(model: &str) {
    let lab = Lab::new();
    // -v: every `connection from` line, which the loop below counts (without it, lines past 20
    // a second are summarised).
    let server = serve(&lab, model, &["--echo", "-v"]);
    let baseline = census(server.pid());
    assert_eq!(baseline.2, 0, "children before any client");
    // One at a time, so every model (serial too) serves each: some leave politely, some reset,
    // some leave without a word.
    for i in 0..30 {
        let mut client = server.connect();
        round_trip(&mut client, format!("client {i}").as_bytes());
        match i % 3 {
            0 => reset(client),
            1 => {
                client.shutdown(Shutdown::Write).unwrap();
                assert!(read_to_end(&mut client).is_empty());
            }
            _ => drop(client),
        }
    }
    for _ in 0..10 {
        drop(server.connect());
    }
    for _ in 0..40 {
        server.wait_for_line("connection from");
    }
    // Every connection has ended: the server must be back where it started.
    settles_to(&server, baseline);
    let log = stop(server);
    assert!(log.contains("stopped: 40 connections"), "{log}");
}

fn answers_nc_and_python_clients(model: &str) {
    let lab = Lab::new();
    let server = serve(&lab, model, &["--echo"]);
    let addr = server.addr();
    let (host, port) = (addr.ip().to_string(), addr.port().to_string());
    if peer("nc") {
        let mut nc = std::process::Command::new("nc");
        nc.args(["-N", &host, &port]);
        let out = run_peer(nc, b"hello from nc\n");
        assert_eq!(out, b"hello from nc\n");
    }
    if peer("python3") {
        let script = "import socket,sys\n\
            s=socket.create_connection((sys.argv[1],int(sys.argv[2])))\n\
            s.sendall(b'hello from python'); s.shutdown(socket.SHUT_WR)\n\
            d=b''\n\
            while True:\n    c=s.recv(4096)\n    if not c: break\n    d+=c\n\
            sys.stdout.write(d.decode())\n";
        let mut python = std::process::Command::new("python3");
        python.args(["-c", script, &host, &port]);
        assert_eq!(run_peer(python, b""), b"hello from python");
    }
    stop(server);
}

/// A client that sends something before reading the reply (`printf 'GET /' | nc host port`):
/// the server must not close with those bytes unread, which would reset the connection and can
/// destroy the reply on its way. The file is bigger than the socket buffers, so the server can
/// only finish once the client reads, long after the request arrived.
fn a_reply_survives_a_client_that_sent_first(model: &str) {
    let lab = Lab::new();
    let contents = &noise()[..8 << 20];
    let path = lab.write("big.bin", contents);
    let server = serve(&lab, model, &["--file", path.to_str().unwrap()]);
    for _ in 0..3 {
        let mut client = server.connect();
        client.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
        let reply = read_to_end(&mut client);
        assert!(
            reply.len() == contents.len() && reply == contents,
            "reply cut short: {} of {} bytes",
            reply.len(),
            contents.len()
        );
    }
    stop(server);
}

/// Run a peer tool with this stdin; it must succeed within [`WAIT`]; returns its stdout.
fn run_peer(mut command: std::process::Command, stdin: &[u8]) -> Vec<u8> {
    use std::process::Stdio;
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn peer");
    let mut input = child.stdin.take().unwrap();
    let stdin = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&stdin);
    });
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || read_to_end(&mut stdout));
    let status = harness::wait_timeout(&mut child, WAIT).expect("peer timed out");
    let _ = writer.join();
    let mut stderr = String::new();
    let _ = child.stderr.take().unwrap().read_to_string(&mut stderr);
    assert!(
        status.success(),
        "peer {command:?} failed: {status}\n{stderr}"
    );
    reader.join().unwrap()
}

fn refuses_the_connection_over_max_conns(model: &str) {
    let lab = Lab::new();
    let server = serve(&lab, model, &["--echo", "--max-conns", "2"]);
    let mut first = server.connect();
    let mut second = server.connect();
    round_trip(&mut first, b"one");
    round_trip(&mut second, b"two");
    // A third is reset at once (the reset may even beat the connect's own return), never an
    // echo.
    if let Ok(mut third) = TcpStream::connect_timeout(&server.addr(), WAIT) {
        third.set_read_timeout(Some(WAIT)).unwrap();
        let _ = third.write_all(b"three");
        let mut buf = [0u8; 16];
        match third.read(&mut buf) {
            Ok(n) => assert_eq!(n, 0, "the third connection was served"),
            Err(err) => assert_eq!(err.kind(), std::io::ErrorKind::ConnectionReset),
        }
    }
    server.wait_for_line("refused 127.0.0.1:");
    // The two admitted clients never noticed.
    round_trip(&mut first, b"one again");
    round_trip(&mut second, b"two again");
    drop((first, second));
    // Once they leave there is room again (the server notices their end a moment later, so a
    // try may still be refused: bounded retries, each counted).
    let deadline = Instant::now() + WAIT;
    let mut refused = 1;
    loop {
        // A refusal is a reset, which can reach the connect itself.
        let served = TcpStream::connect_timeout(&server.addr(), WAIT).is_ok_and(|mut fourth| {
            let _ = fourth.set_read_timeout(Some(WAIT));
            let mut back = [0u8; 4];
            fourth.write_all(b"four").is_ok()
                && fourth.read_exact(&mut back).is_ok()
                && &back == b"four"
        });
        if served {
            break;
        }
        refused += 1;
        assert!(
            Instant::now() < deadline,
            "no room after the clients left\n{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let log = stop(server);
    assert!(
        log.contains(&format!("{refused} refused over the limit")),
        "{log}"
    );
}

/// Found in review of the poll model on mio: with descriptors gone, one accept batch slept
/// 50 ms for each of its 128 failed accepts, so a client already admitted waited 6.4 s for
/// its echo. Now a starved accept gives the turn back to the clients after one wait.
fn answers_its_clients_while_out_of_descriptors(model: &str) {
    let lab = Lab::new();
    let mut cmd = lab.cmd([
        "serve",
        "--port",
        "0",
        "--model",
        model,
        "--echo",
        "--max-conns",
        "1000",
    ]);
    // 40 descriptors, soft and hard: serve cannot raise it, and 60 clients exhaust it.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut cmd.command, || {
            nix::sys::resource::setrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE, 40, 40)?;
            Ok(())
        });
    }
    let server = cmd.spawn_server();
    let mut first = server.connect();
    round_trip(&mut first, b"before");
    // The kernel completes these handshakes from the backlog whether serve accepts or not.
    let crowd: Vec<TcpStream> = (0..60).map(|_| server.connect()).collect();
    server.wait_for_line("waiting for connections to close");
    // Far less than one starved batch used to take, far more than a loopback echo needs.
    first
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    round_trip(&mut first, b"while starved");
    drop(crowd);
    drop(first);
    stop(server);
}

fn udp_echoes_datagrams_of_0_and_65507_bytes(model: &str) {
    let lab = Lab::new();
    let server = serve(&lab, model, &["--udp", "--echo"]);
    assert!(
        server.location.starts_with("udp://127.0.0.1:"),
        "{}",
        server.location
    );
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_read_timeout(Some(WAIT)).unwrap();
    socket.connect(server.addr()).unwrap();
    let mut buf = vec![0u8; 70_000];
    for size in [0usize, 1, 1500, 65_507] {
        let datagram = &noise()[..size];
        socket.send(datagram).expect("send datagram");
        let n = socket.recv(&mut buf).expect("echoed datagram");
        assert_eq!(n, size);
        assert!(buf[..n] == *datagram, "datagram of {size} bytes differs");
    }
    let log = stop(server);
    assert!(
        log.contains("stopped: 4 datagrams, 65.44 KiB in, 65.44 KiB out"),
        "{log}"
    );
}

fn udp_greets_each_datagram(model: &str) {
    let lab = Lab::new();
    let server = serve(&lab, model, &["--udp", "--count", "3"]);
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_read_timeout(Some(WAIT)).unwrap();
    let mut buf = [0u8; 100];
    for datagram in [&b""[..], b"hi", b"again"] {
        socket.send_to(datagram, server.addr()).unwrap();
        let (n, from) = socket.recv_from(&mut buf).expect("greeting");
        assert_eq!(&buf[..n], b"Thank you for connecting");
        assert_eq!(from, server.addr());
    }
    let (status, log) = server.wait();
    assert!(status.success(), "{log}");
    assert!(log.contains("datagram from 127.0.0.1:"), "{log}");
    assert!(
        log.contains("stopped: 3 datagrams, 7 B in, 72 B out"),
        "{log}"
    );
}

// ---------------------------------------------------------------------------------------------
// the notes, flags and transports
// ---------------------------------------------------------------------------------------------

/// The notes: `python server.py` in one shell, `python client.py` in another.
#[test]
fn notes_server_and_client() {
    let lab = Lab::new();
    let server = lab.server(["serve", "--port", "0"]);
    assert!(
        server.log().contains("(model thread)"),
        "thread is the default"
    );
    lab.cmd(["connect", &server.addr().to_string()])
        .run()
        .success()
        .stdout_is("Thank you for connecting");
    stop(server);
}

/// The notes' SocketServer example: `TCPServer(('', 10002), Handler)` writing 'Hi, Everyone'.
#[test]
fn notes_socketserver_message() {
    let lab = Lab::new();
    let server = lab.server(["serve", "--port", "0", "--message", "Hi, Everyone"]);
    let addr = server.addr();
    lab.cmd(["connect", &addr.ip().to_string(), &addr.port().to_string()])
        .run()
        .success()
        .stdout_is("Hi, Everyone");
    stop(server);
}

#[test]
fn thread_model_serves_500_clients_at_once() {
    let lab = Lab::new();
    let server = serve(&lab, "thread", &["--echo", "-q"]);
    let baseline = census(server.pid());
    let mut clients: Vec<TcpStream> = (0..500).map(|_| server.connect()).collect();
    for (i, client) in clients.iter_mut().enumerate() {
        client.write_all(format!("{i:>4}").as_bytes()).unwrap();
    }
    for (i, client) in clients.iter_mut().enumerate() {
        let mut back = [0u8; 4];
        client.read_exact(&mut back).expect("echo");
        assert_eq!(&back, format!("{i:>4}").as_bytes());
    }
    // All 500 are being served at once: a thread each.
    let (_, threads, _) = census(server.pid());
    assert!(
        threads >= baseline.1 + 500,
        "{threads} threads for 500 clients"
    );
    drop(clients);
    settles_to(&server, baseline);
    let log = stop(server);
    assert!(log.contains("stopped: 500 connections"), "{log}");
    assert!(
        !log.contains("connection from"),
        "--quiet still logged clients\n{log}"
    );
}

#[test]
fn quiet_keeps_only_the_first_and_last_lines() {
    let lab = Lab::new();
    let server = lab.server(["serve", "--port", "0", "-q"]);
    assert_eq!(greeting(&server), "Thank you for connecting");
    let log = stop(server);
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 2, "{log}");
    assert!(lines[0].contains("listening on tcp://"), "{log}");
    assert!(lines[1].contains("stopped: 1 connection,"), "{log}");
}

#[test]
fn ipv6_and_dual_stack() {
    let lab = Lab::new();
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        crate::harness::skip("no IPv6 loopback here");
        return;
    }
    let server = lab.server(["serve", "--port", "0", "--host", "::1"]);
    assert!(
        server.location.starts_with("tcp://[::1]:"),
        "{}",
        server.location
    );
    lab.cmd(["connect", &format!("[::1]:{}", server.addr().port())])
        .run()
        .success()
        .stdout_is("Thank you for connecting");
    stop(server);

    let server = lab.server(["serve", "--port", "0", "--host", "::", "--model", "poll"]);
    let port = server.addr().port().to_string();
    for host in ["127.0.0.1", "::1"] {
        lab.cmd(["connect", host, &port])
            .run()
            .success()
            .stdout_is("Thank you for connecting");
    }
    let log = stop(server);
    // An IPv4 client of the dual-stack socket is logged as IPv4.
    assert!(log.contains("connection from 127.0.0.1:"), "{log}");
    assert!(log.contains("connection from [::1]:"), "{log}");
}

#[test]
fn fork_with_udp_is_refused_at_start() {
    Lab::new()
        .cmd(["serve", "--udp", "--model", "fork", "--port", "0"])
        .run()
        .fails_with(2, "--model fork cannot serve UDP");
}

#[test]
fn bad_flags_fail_before_binding() {
    let lab = Lab::new();
    lab.cmd(["serve", "--port", "0", "--file", "missing.txt"])
        .run()
        .fails_with(2, "--file missing.txt");
    let big = lab.write("big.bin", vec![0u8; 70_000]);
    lab.cmd([
        "serve",
        "--udp",
        "--port",
        "0",
        "--file",
        big.to_str().unwrap(),
    ])
    .run()
    .fails_with(2, "holds at most 65507");
    lab.cmd(["serve", "--port", "0", "--echo", "--discard"])
        .run()
        .expect_code(2);
}

#[test]
fn port_in_use_says_so() {
    let lab = Lab::new();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    lab.cmd(["serve", "--port", &port])
        .run()
        .fails_with(1, "address in use");
}

#[test]
fn unix_stale_socket_is_replaced() {
    let lab = Lab::new();
    let path = lab.path().join("stale.sock");
    // A socket file nobody listens on, as a crashed server leaves behind.
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
    assert!(path.exists());
    let server = lab.server(["serve", "--unix", path.to_str().unwrap()]);
    lab.cmd(["connect", "--unix", path.to_str().unwrap()])
        .run()
        .success()
        .stdout_is("Thank you for connecting");
    let log = stop(server);
    assert!(log.contains("replaced a stale socket"), "{log}");
    assert!(!path.exists());
}

#[test]
fn unix_path_that_is_not_a_socket_is_never_touched() {
    let lab = Lab::new();
    let path = lab.write("notes.txt", "precious");
    lab.cmd(["serve", "--unix", path.to_str().unwrap()])
        .run()
        .fails_with(2, "not a socket");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "precious");
    let dir = lab.path().join("a-directory");
    std::fs::create_dir(&dir).unwrap();
    lab.cmd(["serve", "--unix", dir.to_str().unwrap()])
        .run()
        .fails_with(2, "not a socket");
    assert!(dir.is_dir());
}

#[test]
fn unix_socket_in_use_is_left_alone() {
    let lab = Lab::new();
    let path = lab.path().join("busy.sock");
    let server = lab.server(["serve", "--unix", path.to_str().unwrap()]);
    lab.cmd(["serve", "--unix", path.to_str().unwrap()])
        .run()
        .fails_with(1, "a server is already listening there");
    // The first server still owns and serves its socket.
    lab.cmd(["connect", "--unix", path.to_str().unwrap()])
        .run()
        .success()
        .stdout_is("Thank you for connecting");
    stop(server);
    assert!(!Path::new(&path).exists());
}

/// Issue 13: with a client connected, a second Ctrl-C waited out the whole drain (5 s). Now
/// the first says a second stops at once, and the second ends the process with exit 130.
#[test]
fn second_sigint_stops_serve_at_once() {
    let lab = Lab::new();
    for model in ["serial", "thread", "pool", "fork", "poll"] {
        let server = serve(&lab, model, &["--discard"]);
        let mut client = server.connect();
        client.write_all(b"held open").unwrap();
        server.wait_for_line("connection from");
        server.signal(2);
        server.wait_for_line("stopping — Ctrl-C again to stop now");
        let started = Instant::now();
        server.signal(2);
        let (status, log) = server.wait();
        let took = started.elapsed();
        assert_eq!(status.code(), Some(130), "{model}: {status}\n{log}");
        // The drain would have waited 5 s for the client.
        assert!(
            took < Duration::from_secs(3),
            "{model}: took {took:?}\n{log}"
        );
        drop(client);
    }
}

/// Issue 13: `serve --max-conns` closed the connection over the limit as if it had been served
/// (a clean end of stream), so the client could not tell. Now it is reset.
fn max_conns_refusal_is_a_reset(model: &str) {
    let lab = Lab::new();
    let server = serve(&lab, model, &["--echo", "--max-conns", "1"]);
    let mut first = server.connect();
    round_trip(&mut first, b"one");
    // The reset may come before connect has returned, or on the first read.
    let refused = TcpStream::connect_timeout(&server.addr(), WAIT).and_then(|mut second| {
        second.set_read_timeout(Some(WAIT))?;
        second.read(&mut [0u8; 16])
    });
    match refused {
        Err(err) => assert_eq!(err.kind(), std::io::ErrorKind::ConnectionReset, "{err}"),
        Ok(n) => panic!(
            "{model}: the refused client read {n} bytes and a clean end\n{}",
            server.log()
        ),
    }
    server.wait_for_line("refused 127.0.0.1:");
    round_trip(&mut first, b"still served");
    stop(server);
}

/// Issue 13: a benchmark made `serve` write 310,923 `connection from` lines. Past 20 a second
/// the lines are counted into summary lines (`… and 280 more connections`), in every model.
#[test]
fn serve_connection_log_is_summarised_under_load() {
    const CLIENTS: u64 = 300;
    let lab = Lab::new();
    for model in ["serial", "thread", "pool", "fork", "poll"] {
        let server = serve(&lab, model, &[]);
        let started = Instant::now();
        for _ in 0..CLIENTS {
            assert_eq!(greeting(&server), "Thank you for connecting");
        }
        let log = stop(server);
        let seconds = started.elapsed().as_secs() + 1;
        let lines = log
            .lines()
            .filter(|l| l.contains("connection from"))
            .count() as u64;
        let summarised: u64 = log
            .lines()
            .filter_map(|l| l.split("… and ").nth(1))
            .map(|rest| {
                let count = rest.split(" more connection").next().unwrap();
                count.replace(',', "").parse::<u64>().unwrap()
            })
            .sum();
        assert_eq!(lines + summarised, CLIENTS, "{model}:\n{log}");
        // At most 20 lines in each second (or part of one) the run took.
        assert!(
            lines <= 20 * seconds,
            "{model}: {lines} lines in {seconds}s\n{log}"
        );
        assert!(summarised > 0, "{model}: no summary line\n{log}");
    }
}

/// Issue 13: `serve --unix` told a live socket from a stale one by connecting, and the server
/// listening there logged the probe as a client. The kernel is asked instead (sock_diag).
#[test]
fn unix_probe_does_not_show_as_a_client() {
    let lab = Lab::new();
    let path = lab.path().join("busy.sock");
    let path = path.to_str().unwrap();
    let server = lab.server(["serve", "--unix", path]);
    lab.cmd(["serve", "--unix", path])
        .run()
        .fails_with(1, "a server is already listening there");
    // A real client after it: a probe queued earlier would have been accepted first.
    lab.cmd(["connect", "--unix", path])
        .run()
        .success()
        .stdout_is("Thank you for connecting");
    server.wait_for_line("connection from");
    let log = stop(server);
    let clients = log
        .lines()
        .filter(|l| l.contains("connection from"))
        .count();
    assert_eq!(clients, 1, "the probe showed as a client\n{log}");
}

/// The addresses `localhost` resolves to here that can be bound (127.0.0.1, and ::1 where the
/// resolver gives it and IPv6 is up), in the resolver's order.
pub fn localhost_addresses() -> Vec<std::net::IpAddr> {
    use std::net::ToSocketAddrs;
    let mut found = Vec::new();
    for addr in ("localhost", 0)
        .to_socket_addrs()
        .expect("resolve localhost")
    {
        let ip = addr.ip();
        if !found.contains(&ip) && std::net::TcpListener::bind((ip, 0)).is_ok() {
            found.push(ip);
        }
    }
    assert!(!found.is_empty(), "localhost has no address that binds");
    found
}

/// Issue 13: `serve --host localhost` was refused (only addresses were taken). A name now binds
/// every address it resolves to, on one port, one `listening on` line each.
#[test]
fn serve_host_localhost_binds_every_address() {
    let lab = Lab::new();
    let expected = localhost_addresses();
    for model in ["serial", "thread", "pool", "fork", "poll"] {
        let server = serve(&lab, model, &["--host", "localhost"]);
        check_every_address(server, model, &expected);
    }
    // Where this machine's localhost is one address, a hosts file that gives two (as Debian's
    // and Ubuntu's do) shows every model accepting on both.
    let two: Vec<std::net::IpAddr> = ["127.0.0.1", "::1"]
        .iter()
        .map(|ip| ip.parse().unwrap())
        .filter(|ip| std::net::TcpListener::bind((*ip, 0)).is_ok())
        .collect();
    for model in ["serial", "thread", "pool", "fork", "poll"] {
        let args = [
            "serve",
            "--port",
            "0",
            "--model",
            model,
            "--host",
            "localhost",
        ];
        let Some(cmd) = lab.cmd_with_hosts("127.0.0.1 localhost\n::1 localhost\n", args) else {
            break;
        };
        check_every_address(cmd.spawn_server(), model, &two);
    }
    lab.cmd(["serve", "--port", "0", "--host", "no-such-host.invalid"])
        .run()
        .fails_with(2, "--host: resolve no-such-host.invalid: ");
}

/// Every address of `expected` answers `server` on its one port, with a listening line each.
fn check_every_address(server: Server, model: &str, expected: &[std::net::IpAddr]) {
    {
        let port = server.addr().port();
        for ip in expected {
            let mut client = TcpStream::connect_timeout(&(*ip, port).into(), WAIT)
                .unwrap_or_else(|err| panic!("{model}: connect {ip} port {port}: {err}"));
            client.set_read_timeout(Some(WAIT)).unwrap();
            assert_eq!(
                read_to_end(&mut client),
                b"Thank you for connecting",
                "{model} {ip}"
            );
        }
        let log = stop(server);
        // One line per address, in the resolver's order (which a test does not fix).
        let mut listening: Vec<&str> = log.lines().filter(|l| l.contains("listening on")).collect();
        let mut wanted: Vec<String> = expected
            .iter()
            .map(|ip| {
                let addr = std::net::SocketAddr::new(*ip, port);
                format!("netlab serve: listening on tcp://{addr} (model {model})")
            })
            .collect();
        listening.sort_unstable();
        wanted.sort_unstable();
        assert_eq!(listening, wanted, "{model}\n{log}");
        assert!(
            log.contains(&format!("stopped: {} connection", expected.len())),
            "{model}\n{log}"
        );
    }
}
