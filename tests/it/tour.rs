//! `netlab tour`: the chapter's sections run for real on loopback, both sides explained.

use crate::harness::*;

fn tour(lab: &Lab, args: &[&str], columns: &str) -> Run {
    let mut all = vec!["tour", "--auto"];
    all.extend_from_slice(args);
    lab.cmd(all)
        .env("COLUMNS", columns)
        .env("LC_ALL", "")
        .env("LC_MESSAGES", "")
        .env("LANG", "C.UTF-8")
        .run()
}

#[test]
fn tour_auto_runs_every_section() {
    let lab = Lab::new();
    let run = tour(&lab, &[], "80");
    run.success();
    for needle in [
        "13.2.1 A TCP server and its client",
        "13.2.2 Browser and server",
        "13.3 SocketServer",
        "13.4 urllib",
        "13.5–13.6 Concurrency",
        "Thank you for connecting",
        "[explain] accept(fd ",
        "[explain] < Content-Length: ",
        "Hello, SocketServer",
        "pthread_create(serve fd ",
        "wd = python教程",
        "wd = 网络编程",
        "fork() = child ",
        "epoll_wait(fd ",
        "The same by hand:",
        "netlab serve --model serial --port 8881 --explain",
    ] {
        run.stdout_has(needle);
    }
}

#[test]
fn tour_shows_both_sides_side_by_side_on_a_wide_terminal() {
    let lab = Lab::new();
    let wide = tour(&lab, &["13.2.1"], "160");
    wide.success();
    let out = wide.stdout();
    assert!(
        out.lines()
            .any(|l| l.starts_with("── server ──") && l.contains(" │ ── client ──")),
        "{out}"
    );
    assert!(!out.contains("13.2.2"), "one section only\n{out}");
    let narrow = tour(&lab, &["13.2.1"], "80");
    narrow.success();
    let out = narrow.stdout();
    assert!(out.lines().any(|l| l == "── server ──"), "{out}");
    assert!(out.lines().any(|l| l == "── client ──"), "{out}");
    assert!(!out.contains(" │ "), "{out}");
}

#[test]
fn tour_speaks_chinese() {
    let lab = Lab::new();
    let run = tour(&lab, &["--lang", "zh", "13.3"], "80");
    run.success()
        .stdout_has("13.3 SocketServer：为每个客户端开一个线程的服务器")
        .stdout_has("手动做同样的事：")
        .stdout_has("── 服务器 ──");
}

#[test]
fn tour_names_the_sections_it_has() {
    Lab::new().cmd(["tour", "--auto", "9.9"]).run().fails_with(
        2,
        "no section 9.9 (the sections: 13.2.1, 13.2.2, 13.3, 13.4, 13.5)",
    );
}
