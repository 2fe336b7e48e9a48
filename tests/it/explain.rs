//! `--explain`: the socket calls narrated as they happen, in English and Chinese, under every
//! serve model, bounded under load, with the errors explained — and true: every narrated call
//! is in strace's trace with the same descriptor and arguments, in the same order.

use crate::harness::*;

/// The narrated calls in a stderr log: the `[explain] …` lines, without the prefix.
fn calls(log: &str) -> Vec<String> {
    log.lines()
        .filter_map(|line| line.strip_prefix("[explain] "))
        .map(str::to_string)
        .collect()
}

/// The first number after `fd ` in a narrated call.
fn fd_of(call: &str) -> i64 {
    let rest = &call[call.find("fd ").expect("a descriptor") + 3..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().expect("a descriptor number")
}

/// A client run with a clean locale, so the language is the one the test asks for.
fn client(lab: &Lab, args: &[&str]) -> Cmd {
    lab.cmd(args)
        .env("LC_ALL", "")
        .env("LC_MESSAGES", "")
        .env("LANG", "C.UTF-8")
}

#[test]
fn serve_and_connect_narrate_their_calls_in_english() {
    let lab = Lab::new();
    let server = lab.server([
        "serve",
        "--explain",
        "--lang",
        "en",
        "--port",
        "0",
        "--model",
        "serial",
        "--count",
        "1",
    ]);
    let addr = server.addr().to_string();
    let run = client(&lab, &["connect", "--explain", &addr]).run();
    run.success().stdout_is("Thank you for connecting");
    run.stderr_has("IPv4 addresses; a TCP byte stream")
        .stderr_has(&format!("connect(fd 3, {addr}) = EINPROGRESS"))
        .stderr_has("getsockopt(fd 3, SOL_SOCKET, SO_ERROR) = 0")
        .stderr_has("recv(fd 3, 1048576) = 24 bytes")
        .stderr_has("a short read: recv returns what has arrived")
        .stderr_has("recv(fd 3, 1048576) = 0")
        .stderr_has("end of file");
    let (status, log) = server.wait();
    assert!(status.success(), "{log}");
    let lines: Vec<&str> = log.lines().collect();
    assert!(lines[0].contains("listening on tcp://"), "{log}");
    // The calls made before the listening line come right after it, in their order.
    let made = calls(&log);
    assert!(
        lines[1].starts_with("[explain] socket(AF_INET, SOCK_STREAM) = fd "),
        "{log}"
    );
    let listener = fd_of(&made[0]);
    assert_eq!(
        made[1],
        format!("setsockopt(fd {listener}, SOL_SOCKET, SO_REUSEADDR, 1)")
    );
    assert_eq!(made[2], format!("bind(fd {listener}, 127.0.0.1:0)"));
    assert_eq!(made[3], format!("listen(fd {listener}, backlog 1024)"));
    assert!(
        log.contains("up to 1024 finished handshakes may wait for accept()"),
        "{log}"
    );
    let accepted = made
        .iter()
        .find(|call| call.starts_with(&format!("accept(fd {listener}) = fd ")))
        .unwrap_or_else(|| panic!("no accept\n{log}"));
    let conn = accepted["accept(fd ".len() + listener.to_string().len() + ") = fd ".len()..]
        .split(' ')
        .next()
        .unwrap()
        .to_string();
    assert!(
        made.contains(&format!(
            "send(fd {conn}, 24 bytes, MSG_MORE|MSG_NOSIGNAL) = 24"
        )),
        "{log}"
    );
    assert_eq!(made.last().unwrap(), &format!("close(fd {conn})"), "{log}");
}

#[test]
fn without_explain_nothing_is_narrated() {
    let lab = Lab::new();
    let server = lab.server(["serve", "--port", "0", "--count", "1"]);
    let run = lab.cmd(["connect", &server.addr().to_string()]).run();
    run.success();
    assert!(!run.stderr().contains("[explain]"), "{}", run.context());
    let (_, log) = server.wait();
    assert!(!log.contains("[explain]"), "{log}");
}

#[test]
fn lang_zh_and_the_locale_choose_chinese() {
    let lab = Lab::new();
    let server = lab.server(["serve", "--port", "0", "--count", "4"]);
    let addr = server.addr().to_string();
    // --lang zh.
    let run = client(&lab, &["connect", "--explain", "--lang", "zh", &addr]).run();
    run.success()
        .stderr_has("socket(AF_INET, SOCK_STREAM) = fd 3")
        .stderr_has("IPv4 地址族；TCP 字节流")
        .stderr_has("短读：recv 返回已到达的数据");
    // LANG, with LC_ALL and LC_MESSAGES empty.
    let run = client(&lab, &["connect", "--explain", &addr])
        .env("LANG", "zh_CN.UTF-8")
        .run();
    run.success().stderr_has("三次握手已完成");
    // LC_ALL comes first: C is English whatever LANG says.
    let run = client(&lab, &["connect", "--explain", &addr])
        .env("LC_ALL", "C")
        .env("LANG", "zh_CN.UTF-8")
        .run();
    run.success().stderr_has("the three-way handshake is done");
    assert!(!run.stderr().contains("三次握手"), "{}", run.context());
    // --lang beats the locale.
    let run = client(&lab, &["connect", "--explain", "--lang", "en", &addr])
        .env("LC_ALL", "zh_CN.UTF-8")
        .run();
    run.success()
        .stderr_has("IPv4 addresses; a TCP byte stream");
    let (status, _) = server.wait();
    assert!(status.success());
}

#[test]
fn a_bad_lang_is_a_usage_error() {
    Lab::new()
        .cmd(["connect", "--explain", "--lang", "fr", "127.0.0.1:1"])
        .run()
        .fails_with(2, "--lang");
}

#[test]
fn every_serve_model_narrates_its_own_mechanics() {
    let lab = Lab::new();
    let models: [(&str, &[&str]); 5] = [
        ("serial", &[]),
        ("thread", &["pthread_create(serve fd "]),
        (
            "pool",
            &["pthread_create() × 2", "threads started up front"],
        ),
        (
            "fork",
            &["fork() = child ", "waitpid(-1, WNOHANG) = child ", "zombie"],
        ),
        (
            "poll",
            &[
                "epoll_ctl(fd ",
                ", ADD, fd ",
                "epoll_wait(fd ",
                "edge-triggered",
            ],
        ),
    ];
    for (model, own) in models {
        let server = lab.server([
            "serve",
            "--explain",
            "--lang",
            "en",
            "--echo",
            "--port",
            "0",
            "--count",
            "1",
            "--model",
            model,
            "--workers",
            "2",
        ]);
        let addr = server.addr().to_string();
        lab.cmd(["connect", "--send", "hello", &addr])
            .run()
            .success()
            .stdout_is("hello");
        let (status, log) = server.wait();
        assert!(status.success(), "{model}\n{log}");
        assert!(
            log.lines().next().unwrap().contains("listening on"),
            "{log}"
        );
        let made = calls(&log);
        let accept = made
            .iter()
            .find(|call| call.starts_with("accept(fd "))
            .unwrap_or_else(|| panic!("{model}: no accept\n{log}"));
        let conn = accept.rsplit_once(") = fd ").unwrap().1;
        let conn = conn.split(' ').next().unwrap();
        for expected in [
            format!("recv(fd {conn}, 65536) = 5 bytes"),
            format!("send(fd {conn}, 5 bytes, MSG_NOSIGNAL) = 5"),
            format!("recv(fd {conn}, 65536) = 0"),
            format!("close(fd {conn})"),
        ] {
            assert!(made.contains(&expected), "{model}: no `{expected}`\n{log}");
        }
        for needle in own {
            assert!(log.contains(needle), "{model}: no `{needle}`\n{log}");
        }
    }
}

#[test]
fn under_load_the_first_connections_are_explained_then_counted() {
    let lab = Lab::new();
    let server = lab.server(["serve", "--explain", "--port", "0", "--count", "10000"]);
    let addr = server.addr().to_string();
    lab.cmd(["bench", "tcp", &addr, "-n", "10000", "-c", "8", "-q"])
        .run()
        .success();
    let (status, log) = server.wait();
    assert!(status.success(), "{log}");
    let made = calls(&log);
    let accepts = made.iter().filter(|c| c.starts_with("accept(")).count();
    assert_eq!(accepts, 3, "{log}");
    let counted: u64 = made
        .iter()
        .filter_map(|c| c.strip_prefix("… "))
        .map(|rest| {
            let n = rest.split(' ').next().unwrap().replace(',', "");
            n.parse::<u64>().unwrap_or_else(|_| panic!("{rest}"))
        })
        .sum();
    assert_eq!(
        counted, 9997,
        "every connection not narrated is counted\n{log}"
    );
    let lines = log.lines().filter(|l| l.starts_with("[explain]")).count();
    assert!(
        lines <= 60,
        "{lines} narration lines for 10,000 connections\n{log}"
    );
}

#[test]
fn a_port_in_use_is_explained() {
    let lab = Lab::new();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let run = lab
        .cmd(["serve", "--explain", "--lang", "en", "--port", &port])
        .run();
    run.fails_with(1, "address in use")
        .stderr_has(&format!(", 127.0.0.1:{port}) = EADDRINUSE"))
        .stderr_has(&format!("another socket holds port {port}"))
        .stderr_has("SO_REUSEADDR only lets a new server bind past connections left in TIME_WAIT");
    let run = lab
        .cmd(["serve", "--explain", "--lang", "zh", "--port", &port])
        .run();
    run.fails_with(1, "address in use")
        .stderr_has(&format!("EADDRINUSE：端口 {port} 已被另一个套接字占用"));
}

#[test]
fn a_refused_connection_is_explained() {
    let lab = Lab::new();
    let port = closed_port();
    let run = lab
        .cmd([
            "connect",
            "--explain",
            "--lang",
            "en",
            &format!("127.0.0.1:{port}"),
        ])
        .run();
    run.fails_with(1, "connection refused")
        .stderr_has("SO_ERROR) = ECONNREFUSED")
        .stderr_has(&format!("nothing listens on port {port}"))
        .stderr_has("close(fd 3)")
        .stderr_has("nothing was connected");
}

/// One system call of an strace trace: its name, arguments and result.
#[derive(Debug)]
pub(crate) struct Traced {
    name: String,
    args: String,
    result: String,
}

/// An `strace -f -o FILE` trace as whole calls, in the order they returned: a call another
/// thread interrupted (`<unfinished ...>`) is joined to its `<... resumed>` line.
pub(crate) fn trace(text: &str) -> Vec<Traced> {
    let mut pending: std::collections::HashMap<String, String> = Default::default();
    let mut calls = Vec::new();
    for line in text.lines() {
        let Some((pid, rest)) = line.split_once(' ') else {
            continue;
        };
        let rest = rest.trim_start();
        let whole = if let Some(start) = rest.strip_suffix(" <unfinished ...>") {
            pending.insert(pid.to_string(), start.to_string());
            continue;
        } else if rest.starts_with("<... ") {
            let Some(start) = pending.remove(pid) else {
                continue;
            };
            let tail = rest.split_once("resumed>").map_or("", |(_, t)| t);
            format!("{start}{tail}")
        } else {
            rest.to_string()
        };
        let Some(open) = whole.find('(') else {
            continue;
        };
        let Some((call, result)) = whole.rsplit_once(" = ") else {
            continue;
        };
        calls.push(Traced {
            name: whole[..open].to_string(),
            args: call[open + 1..]
                .trim_end()
                .trim_end_matches(')')
                .to_string(),
            result: result.trim().to_string(),
        });
    }
    calls
}

/// The words of a text: runs of letters, digits and underscores.
fn words(text: &str) -> Vec<&str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect()
}

/// Whether a traced call is the narrated one: the same call (as the kernel names it), on the
/// same descriptor, with every number and flag the narration gives, and the same result.
fn same_call(narrated: &str, traced: &Traced) -> bool {
    let name = &narrated[..narrated.find('(').unwrap()];
    let kernel: &[&str] = match name {
        "accept" => &["accept4", "accept"],
        "recv" => &["recvfrom", "recv"],
        "send" => &["sendto", "send"],
        other => return traced.name == other && same_args(narrated, traced),
    };
    kernel.contains(&traced.name.as_str()) && same_args(narrated, traced)
}

fn same_args(narrated: &str, traced: &Traced) -> bool {
    let (call, result) = match narrated.rsplit_once(") = ") {
        Some((call, result)) => (call, Some(result)),
        None => (narrated.trim_end_matches(')'), None),
    };
    let args = &call[call.find('(').unwrap() + 1..];
    let traced_words = words(&traced.args);
    // The descriptor is the first argument (socket() has none: its result is the descriptor).
    if args.starts_with("fd ") && traced_words.first() != Some(&fd_of(args).to_string().as_str()) {
        return false;
    }
    // Every number and flag narrated, the peer's address after the result too.
    let got = words(&traced.result);
    let wanted = words(args)
        .into_iter()
        .chain(result.map(words).unwrap_or_default().into_iter().skip(1))
        .filter(|w| !matches!(*w, "fd" | "backlog" | "bytes" | "from"));
    for word in wanted {
        if !traced_words.contains(&word) && !got.contains(&word) {
            return false;
        }
    }
    match result {
        // A number (`fd 4`, `24 bytes`, `0`) or an error name, first in the result.
        Some(result) => {
            let first = words(result)
                .into_iter()
                .find(|w| *w != "fd")
                .unwrap_or_default();
            if first.starts_with('E') {
                got.first() == Some(&"1") && got.get(1) == Some(&first)
            } else {
                got.first() == Some(&first)
            }
        }
        None => got.first() == Some(&"0"),
    }
}

/// Check that each narrated call of the traced kinds is found in the trace after the one
/// before it: `in_order` per descriptor (a client's two threads each keep their own order) or
/// across them all (a serial server, one call after another).
pub(crate) fn check_truth(log: &str, traced: &[Traced], per_fd: bool) -> usize {
    const TRACED: &[&str] = &[
        "socket",
        "setsockopt",
        "bind",
        "listen",
        "accept",
        "recv",
        "send",
        "shutdown",
        "close",
        "connect",
        "getsockopt",
    ];
    let mut from: std::collections::HashMap<i64, usize> = Default::default();
    let mut checked = 0;
    for call in calls(log) {
        let Some(name) = call.split('(').next() else {
            continue;
        };
        if !TRACED.contains(&name) {
            continue;
        }
        let key = if per_fd && name != "socket" {
            fd_of(&call)
        } else {
            0
        };
        let start = from.get(&key).copied().unwrap_or(0);
        let found = traced[start..]
            .iter()
            .position(|t| same_call(&call, t))
            .map(|at| start + at);
        let Some(at) = found else {
            let shown: Vec<String> = traced
                .iter()
                .map(|t| format!("{}({}) = {}", t.name, t.args, t.result))
                .collect();
            panic!(
                "narrated `{call}` is not in the trace after call {start}\nnarration:\n{log}\ntrace:\n{}",
                shown.join("\n")
            );
        };
        from.insert(key, at + 1);
        checked += 1;
    }
    checked
}

#[test]
fn the_narration_is_the_truth() {
    if !peer("strace") {
        return;
    }
    let lab = Lab::new();
    let serve_trace = lab.path().join("serve.trace");
    let connect_trace = lab.path().join("connect.trace");
    let mut cmd = lab.cmd(Vec::<&str>::new());
    cmd.command = std::process::Command::new("strace");
    cmd.command
        .args(["-f", "-e", "trace=network,close", "-o"])
        .arg(&serve_trace)
        .arg(bin())
        .args([
            "serve",
            "--explain",
            "--echo",
            "--port",
            "0",
            "--model",
            "serial",
            "--count",
            "1",
        ])
        .current_dir(lab.path());
    let server = cmd.spawn_server();
    let addr = server.addr().to_string();
    let mut cmd = lab.cmd(Vec::<&str>::new());
    cmd.command = std::process::Command::new("strace");
    cmd.command
        .args(["-f", "-e", "trace=network,close", "-o"])
        .arg(&connect_trace)
        .arg(bin())
        .args(["connect", "--explain", "--send", "hello truth", &addr])
        .current_dir(lab.path());
    let run = cmd.run();
    run.success().stdout_is("hello truth");
    let (status, log) = server.wait();
    assert!(status.success(), "{log}");

    let served = trace(&std::fs::read_to_string(&serve_trace).unwrap());
    let checked = check_truth(&log, &served, false);
    // socket, setsockopt, bind, listen, accept, recv, send, recv 0, close at least.
    assert!(checked >= 9, "only {checked} calls checked\n{log}");
    for needed in ["accept(fd ", "recv(fd ", "send(fd ", "close(fd "] {
        assert!(log.contains(needed), "no `{needed}`\n{log}");
    }

    let connected = trace(&std::fs::read_to_string(&connect_trace).unwrap());
    let checked = check_truth(&run.stderr(), &connected, true);
    // socket, connect, getsockopt, send, shutdown, recv, recv 0.
    assert!(
        checked >= 7,
        "only {checked} calls checked\n{}",
        run.context()
    );
}

#[test]
fn the_truth_check_catches_a_wrong_descriptor_or_result() {
    let traced = trace(
        "10 accept4(5,  <unfinished ...>\n\
         11 recvfrom(3, \"\", 1024, 0, NULL, NULL) = 0\n\
         10 <... accept4 resumed>{sa_family=AF_INET, sin_port=htons(4711), \
         sin_addr=inet_addr(\"127.0.0.1\")}, [128 => 16], SOCK_CLOEXEC) = 6\n\
         10 recvfrom(6, 0x7f, 512, MSG_DONTWAIT, NULL, NULL) = -1 EAGAIN (Resource temporarily unavailable)\n\
         10 close(6)                          = 0\n",
    );
    assert_eq!(traced.len(), 4, "{traced:?}");
    assert!(same_call(
        "accept(fd 5) = fd 6 from 127.0.0.1:4711",
        &traced[1]
    ));
    assert!(!same_call(
        "accept(fd 5) = fd 7 from 127.0.0.1:4711",
        &traced[1]
    ));
    assert!(!same_call(
        "accept(fd 5) = fd 6 from 127.0.0.1:4712",
        &traced[1]
    ));
    assert!(same_call(
        "recv(fd 6, 512, MSG_DONTWAIT) = EAGAIN",
        &traced[2]
    ));
    assert!(!same_call(
        "recv(fd 6, 512, MSG_DONTWAIT) = 3 bytes",
        &traced[2]
    ));
    assert!(!same_call(
        "recv(fd 6, 1024, MSG_DONTWAIT) = EAGAIN",
        &traced[2]
    ));
    assert!(same_call("close(fd 6)", &traced[3]));
    assert!(!same_call("close(fd 3)", &traced[3]));
    // In order: a close narrated before the accept is not found after it.
    let log = "[explain] close(fd 6)\n[explain] accept(fd 5) = fd 6 from 127.0.0.1:4711\n";
    let out_of_order = std::panic::catch_unwind(|| check_truth(log, &traced, false));
    assert!(out_of_order.is_err());
}

#[test]
fn web_and_fetch_annotate_the_http_heads() {
    let lab = Lab::new();
    lab.write("site/index.html", "<h1>13.2.2</h1>\n");
    let server = lab
        .cmd(["web", "site", "--explain", "--port", "0"])
        .env("LC_ALL", "")
        .env("LC_MESSAGES", "")
        .env("LANG", "zh_CN.UTF-8")
        .spawn_server();
    let url = format!("{}/", server.base_url());
    let run = client(&lab, &["fetch", "--explain", &url]).run();
    run.success().stdout_is("<h1>13.2.2</h1>\n");
    run.stderr_has("> GET / HTTP/1.1")
        .stderr_has("the request line: the method (GET)")
        .stderr_has("< HTTP/1.1 200 OK")
        .stderr_has("< Content-Length: 16")
        .stderr_has("the bug of the notes' simple_webserver.py");
    let log = stop(server);
    assert!(
        log.lines().next().unwrap().contains("listening on http://"),
        "{log}"
    );
    for needle in [
        "[explain] listen(fd ",
        "[explain] accept(fd ",
        "[explain] > GET / HTTP/1.1",
        "请求行：方法（GET）",
        "[explain] > Host: ",
        "[explain] < Content-Length: 16",
        "消息体的确切字节数",
        "[explain] writev(fd ",
    ] {
        assert!(log.contains(needle), "no `{needle}`\n{log}");
    }
}
