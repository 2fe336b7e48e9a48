//! `--explain` beyond a TCP byte stream: UDP's datagrams, sendfile, the end of a TLS handshake,
//! and `connect -l`, which listens as a server does (its first line is where).

use crate::harness::*;

/// A command with a clean locale (the narration in English).
fn english(cmd: Cmd) -> Cmd {
    cmd.env("LC_ALL", "")
        .env("LC_MESSAGES", "")
        .env("LANG", "C.UTF-8")
}

#[test]
fn udp_datagrams_are_narrated_on_both_sides() {
    let lab = Lab::new();
    let server = english(lab.cmd([
        "serve",
        "--explain",
        "--udp",
        "--echo",
        "--port",
        "0",
        "--count",
        "1",
    ]))
    .spawn_server();
    let addr = server.addr();
    let run = english(lab.cmd([
        "connect",
        "--explain",
        "-u",
        &addr.to_string(),
        "--wait-reply",
        "5s",
    ]))
    .stdin("ping\n")
    .run();
    run.success().stdout_is("ping\n");
    run.stderr_has("socket(AF_INET, SOCK_DGRAM) = fd ")
        .stderr_has(&format!("connect(fd 3, {addr})"))
        .stderr_has("connect on UDP sends nothing")
        .stderr_has(", 5) = 5 bytes")
        .stderr_has("recv(fd 3, 65536) = 5 bytes")
        .stderr_has("UDP keeps message boundaries");
    let (status, log) = server.wait();
    assert!(status.success(), "{log}");
    assert!(
        log.lines().next().unwrap().contains("listening on udp://"),
        "{log}"
    );
    let received = log
        .lines()
        .find(|line| line.starts_with("[explain] recvfrom(fd "))
        .unwrap_or_else(|| panic!("no recvfrom\n{log}"));
    assert!(received.contains("= 5 bytes from 127.0.0.1:"), "{received}");
    assert!(log.contains("[explain] sendto(fd "), "{log}");
    assert!(
        log.contains("no retransmission, no promise it arrives"),
        "{log}"
    );
    assert!(
        !log.contains("invalid argument"),
        "the stop is not a failed call:\n{log}"
    );
}

#[test]
fn a_file_goes_out_by_sendfile_and_its_end_is_said() {
    let lab = Lab::new();
    lab.write("notes.txt", "x".repeat(5000));
    let server = english(lab.cmd([
        "serve",
        "--explain",
        "--file",
        "notes.txt",
        "--port",
        "0",
        "--model",
        "serial",
        "--count",
        "1",
    ]))
    .spawn_server();
    let run = lab.cmd(["connect", &server.addr().to_string()]).run();
    run.success();
    assert_eq!(run.stdout().len(), 5000);
    let (status, log) = server.wait();
    assert!(status.success(), "{log}");
    assert!(
        log.contains(", offset 0, ") && log.contains(") = 5000 bytes"),
        "{log}"
    );
    assert!(log.contains("straight into the socket"), "{log}");
    assert!(
        log.contains(", offset 5000, "),
        "the call that finds the end:\n{log}"
    );
    assert!(log.contains("the file ends here"), "{log}");
}

#[test]
fn a_tls_handshake_is_summed_up_in_both_languages() {
    let lab = Lab::new();
    let server = english(lab.cmd([
        "serve",
        "--explain",
        "--tls",
        "--tls-save-cert",
        "c.pem",
        "--echo",
        "--port",
        "0",
        "--count",
        "1",
    ]))
    .spawn_server();
    let run = lab
        .cmd([
            "connect",
            "--explain",
            "--lang",
            "zh",
            "--tls",
            "--cacert",
            "c.pem",
            &server.addr().to_string(),
        ])
        .stdin("hi\n")
        .run();
    run.success().stdout_is("hi\n");
    run.stderr_has("TLS handshake on fd 3: TLSv1.3 ")
        .stderr_has("TLS 握手完成");
    let (status, log) = server.wait();
    assert!(status.success(), "{log}");
    assert!(log.contains("TLS handshake on fd "), "{log}");
    assert!(
        log.contains("from here every byte on this socket is encrypted"),
        "{log}"
    );
    assert!(
        !run.stderr().contains("fcntl(fd 3, F_DUPFD_CLOEXEC) = fd 3"),
        "a TLS session is shared, not duplicated:\n{}",
        run.stderr()
    );
}

#[test]
fn connect_listen_says_where_first_then_its_calls() {
    let lab = Lab::new();
    let listener = english(lab.cmd(["connect", "--explain", "-l", "127.0.0.1", "0"]))
        .stdin("from the listener\n")
        .spawn_server();
    let run = lab
        .cmd(["connect", &listener.addr().to_string()])
        .stdin("from the client\n")
        .run();
    run.success().stdout_is("from the listener\n");
    let (status, log) = listener.wait();
    assert!(status.success(), "{log}");
    let lines: Vec<&str> = log.lines().collect();
    assert!(lines[0].contains("listening on tcp://"), "{log}");
    assert!(
        lines[1].starts_with("[explain] socket(AF_INET, SOCK_STREAM) = fd "),
        "{log}"
    );
    assert!(log.contains("[explain] listen(fd "), "{log}");
    assert!(log.contains("[explain] accept(fd "), "{log}");
    assert!(
        log.contains(" bytes, MSG_NOSIGNAL) = 18"),
        "what it sent is said:\n{log}"
    );
}

/// The position of the first narrated line containing `needle`, for checking their order.
fn at(log: &str, needle: &str) -> usize {
    log.find(needle)
        .unwrap_or_else(|| panic!("no `{needle}`\n{log}"))
}

#[test]
fn web_and_fetch_narrate_their_tls_handshakes() {
    let lab = Lab::new();
    lab.write("site/a.txt", "over TLS\n");
    let server = english(lab.cmd([
        "web",
        "site",
        "--explain",
        "--tls",
        "--tls-save-cert",
        "c.pem",
        "--port",
        "0",
    ]))
    .spawn_server();
    let url = format!("https://{}/a.txt", server.addr());
    let run = english(lab.cmd(["fetch", "--explain", "--cacert", "c.pem", &url])).run();
    run.success().stdout_is("over TLS\n");
    // The client's calls in the order they are made: the connect, the handshake on the same
    // descriptor, the request head as it goes, the answer, the close.
    let said = run.stderr();
    let order = [
        "socket(AF_INET, SOCK_STREAM) = fd 3",
        "connect(fd 3, ",
        "TLS handshake on fd 3: TLSv1.3 ",
        "from here every byte on this socket is encrypted",
        "> GET /a.txt HTTP/1.1",
        "send(fd 3, ",
        "< HTTP/1.1 200 OK",
        "close(fd 3)",
    ];
    let mut from = 0;
    for needle in order {
        let found = said[from..].find(needle);
        from += found.unwrap_or_else(|| panic!("no `{needle}` after byte {from}\n{said}"));
    }
    let log = stop(server);
    assert!(log.contains("TLS handshake on fd "), "{log}");
    assert!(
        at(&log, "TLS handshake on fd ") < at(&log, "> GET /a.txt HTTP/1.1"),
        "{log}"
    );
}

#[test]
fn a_refused_fetch_is_explained() {
    let lab = Lab::new();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let url = format!("http://127.0.0.1:{port}/");
    let run = english(lab.cmd(["fetch", "--explain", &url])).run();
    run.fails_with(7, "").stderr_has("ECONNREFUSED");
    // Nothing was sent, so no request head is said.
    assert!(!run.stderr().contains("> GET"), "{}", run.context());
}

#[test]
fn the_fetch_narration_is_the_truth() {
    if !peer("strace") {
        return;
    }
    let lab = Lab::new();
    lab.write("site/a.txt", "traced\n");
    let server = english(lab.cmd(["web", "site", "--port", "0"])).spawn_server();
    let url = format!("{}/a.txt", server.base_url());
    let traced = lab.path().join("fetch.trace");
    let mut cmd = english(lab.cmd(Vec::<&str>::new()));
    cmd.command = std::process::Command::new("strace");
    cmd.command
        .args(["-f", "-e", "trace=network,close", "-o"])
        .arg(&traced)
        .arg(bin())
        .args(["fetch", "--explain", &url])
        .current_dir(lab.path());
    let run = cmd.run();
    run.success().stdout_is("traced\n");
    let calls = super::explain::trace(&std::fs::read_to_string(&traced).unwrap());
    let checked = super::explain::check_truth(&run.stderr(), &calls, true);
    // socket, connect, getsockopt, send, recv, close.
    assert!(
        checked >= 6,
        "only {checked} calls checked\n{}",
        run.context()
    );
    stop(server);
}

#[test]
fn narration_after_a_reply_without_newline_starts_its_own_line() {
    let lab = Lab::new();
    let server = english(lab.cmd(["serve", "--port", "0", "--count", "1"])).spawn_server();
    let both = lab.path().join("both.txt");
    let file = std::fs::File::create(&both).unwrap();
    // stdout and stderr one file, as on a terminal or under `2>&1`.
    let mut child = std::process::Command::new(bin())
        .args([
            "connect",
            "--explain",
            "--lang",
            "en",
            &server.addr().to_string(),
        ])
        .stdin(std::process::Stdio::null())
        .stdout(file.try_clone().unwrap())
        .stderr(file)
        .spawn()
        .unwrap();
    let status = wait_timeout(&mut child, std::time::Duration::from_secs(20));
    assert!(status.is_some_and(|s| s.success()), "{status:?}");
    let text = std::fs::read_to_string(&both).unwrap();
    assert!(
        text.contains("Thank you for connecting\n[explain] "),
        "the greeting has no newline of its own; the narration must not run on after it\n{text}"
    );
    stop(server);
}
