//! `netlab fetch` with several URLs: one kept connection for them all, `-Z`, `--output-dir` and
//! `--create-dirs`, failures that do not stop the others, and how downloads are named: `-J`
//! (hostile names kept in their folder), `--name-from-final-url`, and `-C` with `-O` and `-J`.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::fetch::{TestServer, range_server_with, read, redirect, respond};
use crate::harness::{self, Lab, closed_port, noise};

/// `count` files `site/f{i}.txt` of `size` bytes each, different from each other.
fn site(lab: &Lab, count: usize, size: usize) -> Vec<Vec<u8>> {
    (0..count)
        .map(|i| {
            let mut body = format!("file {i}\n").into_bytes();
            body.extend(noise(size));
            lab.write(&format!("site/f{i}.txt"), &body);
            body
        })
        .collect()
}

fn urls(server: &harness::Server, count: usize) -> Vec<String> {
    (0..count)
        .map(|i| format!("{}/f{i}.txt", server.base_url()))
        .collect()
}

/// The names in a directory of the lab.
fn names(lab: &Lab, dir: &str) -> BTreeSet<String> {
    std::fs::read_dir(lab.path().join(dir))
        .unwrap_or_else(|err| panic!("read {dir}: {err}"))
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn fetch_hundred_urls_to_one_server_make_one_connection() {
    let lab = Lab::new();
    let bodies = site(&lab, 100, 200);
    let server = lab.server(["web", "--port", "0", "site"]);
    let mut args = vec![
        "fetch".to_string(),
        "-O".into(),
        "--output-dir".into(),
        "got".into(),
        "--create-dirs".into(),
    ];
    args.extend(urls(&server, 100));
    let run = lab.cmd(&args).run();
    run.success().stderr_has("100 URLs: 100 ok, 0 failed");
    let log = harness::stop(server);
    assert!(
        log.contains("stopped: 1 connection,"),
        "the server saw more than one connection:\n{log}"
    );
    for (i, body) in bodies.iter().enumerate() {
        assert!(
            read(&lab.path().join("got"), &format!("f{i}.txt")) == *body,
            "f{i}.txt"
        );
    }
}

#[test]
fn fetch_parallel_fetches_every_file_whole_over_at_most_n_connections() {
    let lab = Lab::new();
    let bodies = site(&lab, 12, 300_000);
    let server = lab.server(["web", "--port", "0", "site"]);
    let mut args: Vec<String> = ["fetch", "-Z", "--parallel-max", "4", "-O"]
        .map(String::from)
        .to_vec();
    args.extend(urls(&server, 12));
    lab.cmd(&args)
        .run()
        .success()
        .stderr_has("12 URLs: 12 ok, 0 failed");
    let log = harness::stop(server);
    let connections: usize = log
        .split("stopped: ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no summary in the server's log:\n{log}"));
    assert!(
        (1..=4).contains(&connections),
        "{connections} connections:\n{log}"
    );
    for (i, body) in bodies.iter().enumerate() {
        assert!(read(lab.path(), &format!("f{i}.txt")) == *body, "f{i}.txt");
    }
}

#[test]
fn fetch_pairs_each_o_with_its_url_in_output_dir_and_create_dirs_makes_the_folders() {
    let lab = Lab::new();
    let bodies = site(&lab, 3, 10);
    let server = lab.server(["web", "--port", "0", "site"]);
    let [a, b, c] = [0, 1, 2].map(|i| format!("{}/f{i}.txt", server.base_url()));
    lab.cmd([
        "fetch",
        "--output-dir",
        "out",
        "-o",
        "deep/a.txt",
        "-o",
        "b.txt",
        &a,
        &b,
    ])
    .run()
    .expect_code(23)
    .stderr_has("cannot write out/deep/a.txt.part")
    .stderr_has("2 URLs: 0 ok, 2 failed");
    assert!(!lab.path().join("out").exists());

    let run = lab
        .cmd([
            "fetch",
            "--output-dir",
            "out",
            "--create-dirs",
            "-o",
            "deep/er/a.txt",
            "-o",
            "b.txt",
            &a,
            &b,
            &c,
        ])
        .run();
    run.success();
    assert!(read(lab.path(), "out/deep/er/a.txt") == bodies[0]);
    assert!(read(lab.path(), "out/b.txt") == bodies[1]);
    // Past the last -o, a URL's body goes to stdout, as curl's.
    assert!(run.stdout().starts_with("file 2\n"), "{}", run.context());

    lab.cmd(["fetch", "-o", "x", "-o", "y", &a])
        .run()
        .fails_with(2, "2 -o for 1 URL");
}

#[test]
fn fetch_one_failing_url_among_three_leaves_the_others_saved() {
    let lab = Lab::new();
    let bodies = site(&lab, 3, 10);
    let server = lab.server(["web", "--port", "0", "site"]);
    let base = server.base_url();
    let refused = format!("http://127.0.0.1:{}/f1.txt", closed_port());
    let missing = format!("{base}/missing.txt");
    let [a, c] = [0, 2].map(|i| format!("{base}/f{i}.txt"));
    lab.cmd([
        "fetch",
        "-f",
        "-O",
        "--output-dir",
        "got",
        "--create-dirs",
        &a,
        &refused,
        &missing,
        &c,
    ])
    .run()
    .expect_code(7)
    .stderr_has("4 URLs: 2 ok, 2 failed")
    .stderr_has(&format!("the first to fail: {refused}"))
    .stderr_has("404");
    assert_eq!(
        names(&lab, "got"),
        BTreeSet::from(["f0.txt".into(), "f2.txt".into()])
    );
    assert!(read(lab.path(), "got/f2.txt") == bodies[2]);

    // --fail-early: nothing after the first failure is tried.
    lab.cmd([
        "fetch",
        "-f",
        "--fail-early",
        "-O",
        "--output-dir",
        "early",
        "--create-dirs",
        &a,
        &missing,
        &c,
    ])
    .run()
    .expect_code(22)
    .stderr_has("3 URLs: 1 ok, 1 failed, 1 not tried (--fail-early)");
    assert_eq!(names(&lab, "early"), BTreeSet::from(["f0.txt".into()]));

    // -s: no summary, no message; the exit code still says it.
    lab.cmd([
        "fetch",
        "-s",
        "-f",
        "-o",
        "/dev/null",
        "-o",
        "/dev/null",
        &a,
        &missing,
    ])
    .run()
    .expect_code(22)
    .stderr_empty();
}

#[test]
fn fetch_j_takes_the_name_from_filename_star_in_utf8() {
    let server = TestServer::start(|_, stream| {
        let disposition = "attachment; filename=\"fallback.txt\"; filename*=UTF-8''%E6%96%87.txt";
        respond(
            stream,
            200,
            &[("Content-Disposition", disposition)],
            b"wen\n",
        )
    });
    let lab = Lab::new();
    lab.cmd(["fetch", "-O", "-J", &server.url("/download?id=1")])
        .run()
        .success()
        .stderr_has("saved 文.txt");
    assert_eq!(read(lab.path(), "文.txt"), b"wen\n");
}

#[test]
fn fetch_j_with_hostile_names_never_leaves_the_output_dir() {
    const HOSTILE: &[(&str, &str)] = &[
        ("/1", "attachment; filename=\"../../etc/x\""),
        ("/2", "attachment; filename=\"/abs\""),
        ("/3", "attachment; filename=\"a\\\\b\""),
        ("/4", "attachment; filename=\".hidden\""),
        ("/5", "attachment; filename*=UTF-8''%2E%2E%2F%2E%2E%2Fup"),
        ("/6", "attachment; filename*=UTF-8''c%01t%1Bl.txt"),
        ("/7", "attachment; filename=\"..\""),
        ("/8", "attachment; filename=\"%2e%2e\""),
    ];
    let server = TestServer::start(|req, stream| {
        let disposition = HOSTILE
            .iter()
            .find(|(path, _)| *path == req.path())
            .map_or("inline", |(_, value)| value);
        respond(
            stream,
            200,
            &[("Content-Disposition", disposition)],
            req.path().as_bytes(),
        )
    });
    let lab = Lab::new();
    std::fs::create_dir_all(lab.path().join("a/b")).unwrap();
    let mut args: Vec<String> = ["fetch", "-O", "-J", "--output-dir", "a/b"]
        .map(String::from)
        .to_vec();
    args.extend(HOSTILE.iter().map(|(path, _)| server.url(path)));
    lab.cmd(&args).run().success();
    let expected = ["x", "abs", "b", "hidden", "up", "ctl.txt", "7", "%2e%2e"];
    assert_eq!(
        names(&lab, "a/b"),
        expected.iter().map(|n| n.to_string()).collect()
    );
    // Nothing went anywhere else: the lab holds only a/b, and its parent none of the names.
    assert_eq!(names(&lab, "."), BTreeSet::from(["a".into()]));
    assert_eq!(names(&lab, "a"), BTreeSet::from(["b".into()]));
    for name in ["x", "abs", "up", "hidden", ".hidden"] {
        assert!(!lab.path().parent().unwrap().join(name).exists(), "{name}");
    }
    assert_eq!(read(lab.path(), "a/b/x"), b"/1");
}

#[test]
fn fetch_name_from_final_url_names_the_file_after_the_redirects() {
    let server = TestServer::start(|req, stream| match req.path() {
        "/latest" => redirect(stream, 302, "/releases/tool-1.2.tar.gz"),
        _ => respond(stream, 200, &[], b"release\n"),
    });
    let lab = Lab::new();
    lab.cmd([
        "fetch",
        "-O",
        "--name-from-final-url",
        &server.url("/latest"),
    ])
    .run()
    .success()
    .stderr_has("saved tool-1.2.tar.gz");
    assert_eq!(read(lab.path(), "tool-1.2.tar.gz"), b"release\n");
    lab.cmd(["fetch", "-O", &server.url("/latest")])
        .run()
        .success();
    assert_eq!(read(lab.path(), "latest"), b"release\n");
}

#[test]
fn fetch_resume_with_o_continues_the_part_from_netlab_web() {
    let lab = Lab::new();
    let body = noise(200_000);
    lab.write("site/big.bin", &body);
    lab.write("big.bin.part", &body[..70_000]);
    let server = lab.server(["web", "--port", "0", "site"]);
    lab.cmd([
        "fetch",
        "-C",
        "-",
        "-O",
        &format!("{}/big.bin", server.base_url()),
    ])
    .run()
    .success();
    assert!(read(lab.path(), "big.bin") == body);
    assert!(!lab.path().join("big.bin.part").exists());
    let log = harness::stop(server);
    assert!(
        log.contains("\"GET /big.bin HTTP/1.1\" 206 130000"),
        "{log}"
    );
}

#[test]
fn fetch_resume_with_j_asks_again_once_the_name_is_known() {
    let body: Arc<Vec<u8>> = Arc::new(noise(50_000));
    let server = range_server_with(
        Arc::clone(&body),
        true,
        &[("Content-Disposition", "attachment; filename=\"named.bin\"")],
    );
    let lab = Lab::new();
    lab.write("named.bin.part", &body[..20_000]);
    lab.cmd(["fetch", "-C", "-", "-O", "-J", &server.url("/get?id=3")])
        .run()
        .success();
    assert!(read(lab.path(), "named.bin") == *body);
    let requests = server.requests();
    assert_eq!(requests.len(), 2, "{requests:?}");
    assert_eq!(requests[0].header("range"), None);
    assert_eq!(requests[1].header("range").as_deref(), Some("bytes=20000-"));

    // No bytes under the answer's name: the first answer is saved whole, one request.
    let fresh = Lab::new();
    fresh
        .cmd(["fetch", "-C", "-", "-O", "-J", &server.url("/get?id=3")])
        .run()
        .success();
    assert!(read(fresh.path(), "named.bin") == *body);
    assert_eq!(server.requests().len(), 3);
}
