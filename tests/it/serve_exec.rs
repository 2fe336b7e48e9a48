//! `netlab serve --exec PROG [ARGS…]` and `--sh-exec CMD`: a process per client, its stdin and
//! stdout the connection — in every blocking model, over TLS and Unix sockets, as `ncat -e`
//! would run it, and with nothing (no zombie, no descriptor) left behind.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::{self, Lab, Server, WAIT, peer, stop};
use crate::serve::{census, settles_to};

/// Start `netlab serve --port 0 --model MODEL EXTRA…` (put `--exec …` last in EXTRA).
fn serve(lab: &Lab, model: &str, extra: &[&str]) -> Server {
    let mut args = vec!["serve", "--port", "0", "--model", model];
    args.extend_from_slice(extra);
    lab.server(args)
}

/// Send `data` on a thread, half-close, and read everything back.
fn exchange(mut stream: TcpStream, data: &[u8]) -> Vec<u8> {
    let mut writer = stream.try_clone().expect("clone the stream");
    let data = data.to_vec();
    let sender = std::thread::spawn(move || {
        writer.write_all(&data).expect("send");
        writer.shutdown(Shutdown::Write).expect("half-close");
    });
    let mut back = Vec::new();
    stream.read_to_end(&mut back).expect("read to end");
    sender.join().unwrap();
    back
}

/// Every model that runs programs gets the same echo check through `/bin/cat`.
macro_rules! each_model {
    ($($model:ident),*) => {$(
        mod $model {
            use super::*;

            /// `/bin/cat` is an echo server: a MiB goes round whole, and the client's half-close
            /// reaches cat as its stdin's end (cat exits, and the client reads the end).
            #[test]
            fn cat_echoes_through_a_half_close() {
                let lab = Lab::new();
                let server = serve(&lab, stringify!($model), &["--exec", "/bin/cat"]);
                let data = harness::noise(1 << 20);
                let back = exchange(server.connect(), &data);
                assert!(back == data, "{} bytes back, not the MiB sent", back.len());
                server.wait_for_line("connection from");
                stop(server);
            }
        }
    )*};
}

each_model!(serial, thread, pool, fork);

#[test]
fn shell_script_reads_a_line_and_answers() {
    let lab = Lab::new();
    let script = lab.write(
        "answer.sh",
        "#!/bin/sh\nread -r name\necho \"hello, $name\"\necho \"bye\"\n",
    );
    let status = Command::new("chmod").arg("+x").arg(&script).status();
    assert!(status.is_ok_and(|s| s.success()), "chmod +x");
    let server = serve(&lab, "thread", &["--exec", script.to_str().unwrap()]);
    let back = exchange(server.connect(), b"ada\n");
    assert_eq!(String::from_utf8_lossy(&back), "hello, ada\nbye\n");
    stop(server);
}

#[test]
fn arguments_after_prog_go_to_it_even_when_netlab_knows_them() {
    let lab = Lab::new();
    // `-v` and `--port` are netlab's flags too: after PROG they are PROG's.
    let server = serve(
        &lab,
        "thread",
        &["--exec", "/bin/echo", "-v", "--port", "x"],
    );
    assert_eq!(exchange(server.connect(), b""), b"-v --port x\n");
    stop(server);
}

#[test]
fn child_sees_netlab_peer_and_netlab_local() {
    let lab = Lab::new();
    let server = serve(
        &lab,
        "thread",
        &["--sh-exec", "echo \"$NETLAB_PEER $NETLAB_LOCAL\""],
    );
    let stream = server.connect();
    let expected = format!("{} {}\n", stream.local_addr().unwrap(), server.addr());
    assert_eq!(String::from_utf8_lossy(&exchange(stream, b"")), expected);
    stop(server);
}

#[test]
fn child_stderr_lines_carry_the_client_address() {
    let lab = Lab::new();
    let server = serve(
        &lab,
        "fork",
        &[
            "--sh-exec",
            "echo first >&2; printf 'no newline' >&2; echo out",
        ],
    );
    let stream = server.connect();
    let client = stream.local_addr().unwrap();
    assert_eq!(exchange(stream, b""), b"out\n");
    server.wait_for_line(&format!("{client}: first"));
    server.wait_for_line(&format!("{client}: no newline"));
    stop(server);
}

#[test]
fn a_failing_program_has_its_status_logged() {
    let lab = Lab::new();
    let server = serve(&lab, "thread", &["--sh-exec", "exit 3"]);
    let stream = server.connect();
    let client = stream.local_addr().unwrap();
    assert_eq!(exchange(stream, b""), b"");
    server.wait_for_line(&format!("{client}: sh exited with status 3"));
    stop(server);
}

#[test]
fn over_tls_bytes_and_both_ends_pass_through_the_pipes() {
    let lab = Lab::new();
    let server = lab.server([
        "serve",
        "--port",
        "0",
        "-v",
        "--tls",
        "--tls-save-cert",
        "saved.pem",
        "--exec",
        "/bin/cat",
    ]);
    let payload: String = (0..20_000).map(|n| format!("line {n:>8}\n")).collect();
    // connect half-closes at its stdin's end: cat sees its end, exits, and the session ends
    // with close_notify, which lets connect exit.
    lab.cmd([
        "connect",
        "--tls",
        &server.addr().to_string(),
        "--cacert",
        "saved.pem",
    ])
    .stdin(payload.clone())
    .run()
    .success()
    .stdout_is(&payload);
    let log = stop(server);
    let exact = format!("exactly {0} bytes in, {0} bytes out", payload.len());
    assert!(log.contains(&exact), "{log}");
}

#[test]
fn over_tls_a_script_answers_a_line() {
    let lab = Lab::new();
    let server = lab.server([
        "serve",
        "--port",
        "0",
        "--model",
        "fork",
        "--tls",
        "--tls-save-cert",
        "saved.pem",
        "--sh-exec",
        "read -r line; echo \"got $line\"",
    ]);
    lab.cmd([
        "connect",
        "--tls",
        &server.addr().to_string(),
        "--cacert",
        "saved.pem",
    ])
    .stdin("over tls\n")
    .run()
    .success()
    .stdout_is("got over tls\n");
    stop(server);
}

#[test]
fn over_a_unix_socket_the_socket_is_the_child_stdio() {
    let lab = Lab::new();
    let path = lab.path().join("exec.sock");
    let path = path.to_str().unwrap();
    let server = lab.server(["serve", "--unix", path, "--exec", "/bin/cat"]);
    lab.cmd(["connect", "--unix", path])
        .stdin("through a unix socket")
        .run()
        .success()
        .stdout_is("through a unix socket");
    stop(server);
}

#[test]
fn max_conns_bounds_the_children() {
    let lab = Lab::new();
    let server = serve(&lab, "thread", &["--max-conns", "1", "--exec", "/bin/cat"]);
    let mut first = server.connect();
    first.write_all(b"ping").unwrap();
    let mut back = [0u8; 4];
    first.read_exact(&mut back).unwrap();
    assert_eq!(&back, b"ping");
    let mut second = server.connect();
    let mut buf = [0u8; 1];
    // Refused with a reset (or a close), never served by a second cat.
    assert!(!matches!(second.read(&mut buf), Ok(1)));
    server.wait_for_line("(--max-conns)");
    drop(first);
    stop(server);
}

#[test]
fn poll_model_refuses_exec_at_start() {
    let lab = Lab::new();
    lab.cmd([
        "serve", "--port", "0", "--model", "poll", "--exec", "/bin/cat",
    ])
    .run()
    .fails_with(2, "--model poll cannot run --exec");
}

#[test]
fn udp_refuses_exec_at_start() {
    let lab = Lab::new();
    lab.cmd(["serve", "--port", "0", "--udp", "--sh-exec", "cat"])
        .run()
        .fails_with(2, "UDP has none");
}

#[test]
fn a_program_that_cannot_run_is_exit_2_at_start() {
    let lab = Lab::new();
    let text = lab.write("notes.txt", "not a program");
    let cases = [
        ("netlab-no-such-program", "not found in PATH"),
        ("/", "is a directory"),
        (text.to_str().unwrap(), "not executable"),
        ("./missing", "--exec ./missing"),
    ];
    for (prog, needle) in cases {
        let run = lab.cmd(["serve", "--port", "0", "--exec", prog]).run();
        run.fails_with(2, needle);
        assert_eq!(run.stderr().lines().count(), 1, "{}", run.context());
    }
}

#[test]
fn ncat_talks_to_exec_as_to_ncat_e() {
    if !peer("ncat") {
        return;
    }
    let lab = Lab::new();
    let server = serve(&lab, "thread", &["--exec", "/bin/cat"]);
    let mut ncat = Command::new("ncat")
        .arg("127.0.0.1")
        .arg(server.addr().port().to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ncat");
    ncat.stdin
        .take()
        .unwrap()
        .write_all(b"a line for cat\n")
        .unwrap();
    let status = harness::wait_timeout(&mut ncat, WAIT).expect("ncat exits");
    let mut out = String::new();
    ncat.stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    assert!(status.success(), "ncat: {status}");
    assert_eq!(out, "a line for cat\n");
    stop(server);
}

/// How many of `pid`'s children are zombies (state `Z` in /proc/*/stat).
fn zombies_of(pid: u32) -> usize {
    std::fs::read_dir("/proc")
        .expect("read /proc")
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| std::fs::read_to_string(entry.path().join("stat")).ok())
        .filter(|stat| {
            let mut rest = stat
                .rsplit_once(')')
                .map(|(_, r)| r)
                .unwrap_or("")
                .split_whitespace();
            let state = rest.next();
            let ppid = rest.next().and_then(|p| p.parse::<u32>().ok());
            state == Some("Z") && ppid == Some(pid)
        })
        .count()
}

#[test]
fn a_thousand_exec_clients_leave_no_zombie_and_no_descriptor() {
    let lab = Lab::new();
    let server = serve(&lab, "thread", &["-q", "--exec", "/bin/echo", "hi"]);
    let baseline = census(server.pid());
    let addr = server.addr();
    let workers: Vec<_> = (0..4)
        .map(|_| {
            std::thread::spawn(move || {
                for _ in 0..250 {
                    let mut stream = TcpStream::connect_timeout(&addr, WAIT).expect("connect");
                    stream.set_read_timeout(Some(WAIT)).unwrap();
                    let mut back = Vec::new();
                    stream.read_to_end(&mut back).expect("read");
                    assert_eq!(back, b"hi\n");
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().expect("a client failed");
    }
    settles_to(&server, baseline);
    assert_eq!(zombies_of(server.pid()), 0);
    let log = stop(server);
    assert!(log.contains("1,000 connections"), "{log}");
}

/// Whether a process is gone (or only a zombie waiting for a reaper that is not netlab).
fn gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, r)| r.trim_start().starts_with('Z')),
    }
}

/// A child that ignores SIGTERM outlives the drain time and SIGTERM, and is killed.
fn shutdown_kills(model: &str) {
    let lab = Lab::new();
    // `exec` keeps the pid the shell printed; the ignored SIGTERM stays ignored across it.
    let server = serve(
        &lab,
        model,
        &["--sh-exec", "trap '' TERM; echo $$; exec sleep 60"],
    );
    let mut stream = server.connect();
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while !line.ends_with(b"\n") && line.len() < 32 {
        assert_eq!(stream.read(&mut byte).expect("read the pid"), 1);
        line.push(byte[0]);
    }
    let pid: u32 = String::from_utf8_lossy(&line)
        .trim()
        .parse()
        .expect("a pid");
    assert!(!gone(pid), "the child is running");
    let started = Instant::now();
    let (status, log) = server.stop();
    assert!(status.success(), "{status}\n{log}");
    assert!(started.elapsed() >= Duration::from_secs(5), "{log}");
    let deadline = Instant::now() + WAIT;
    while !gone(pid) {
        assert!(Instant::now() < deadline, "child {pid} still alive\n{log}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn shutdown_kills_children_after_the_drain_time_thread() {
    shutdown_kills("thread");
}

#[test]
fn shutdown_kills_children_after_the_drain_time_fork() {
    shutdown_kills("fork");
}
