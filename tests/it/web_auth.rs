//! `netlab web --auth`, `--auth-file`, `--auth-for` (issue 15): wrong, missing and malformed
//! credentials, public reads with guarded writes, failures logged and rate-limited.

use base64::Engine;

use crate::harness::{Lab, Server};
use crate::web::serve;
use crate::web::{Resp, request};

fn lab() -> Lab {
    let lab = Lab::new();
    lab.write("site/a.txt", "alpha\n");
    lab
}

fn basic(user_pass: &str) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(user_pass);
    format!("Basic {encoded}")
}

#[track_caller]
fn get_as(server: &Server, target: &str, authorization: Option<&str>) -> Resp {
    let auth = authorization.map_or(String::new(), |value| format!("Authorization: {value}\r\n"));
    request(
        server,
        format!("GET {target} HTTP/1.1\r\nHost: t\r\n{auth}\r\n"),
    )
}

#[track_caller]
fn put_as(server: &Server, target: &str, body: &str, authorization: Option<&str>) -> Resp {
    let auth = authorization.map_or(String::new(), |value| format!("Authorization: {value}\r\n"));
    request(
        server,
        format!(
            "PUT {target} HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n{auth}\r\n{body}",
            body.len()
        ),
    )
}

#[test]
fn web_auth_asks_for_a_password_and_takes_the_right_one() {
    let lab = lab();
    // "secret", given as its SHA-256.
    let hash = "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b";
    let server = serve(
        &lab,
        &["--auth", "ann:pw", "--auth", &format!("bob:sha256:{hash}")],
    );
    let missing = get_as(&server, "/a.txt", None);
    assert_eq!(missing.status, 401);
    assert_eq!(
        missing.header("WWW-Authenticate"),
        Some("Basic realm=\"netlab\", charset=\"UTF-8\"")
    );
    assert!(!missing.text().contains("alpha"));
    for wrong in [
        basic("ann:PW"),
        basic("bob:pw"),
        basic("eve:pw"),
        basic("ann"),
        "Basic !!notbase64".into(),
        "Bearer abc".into(),
        "Basic".into(),
    ] {
        let resp = get_as(&server, "/a.txt", Some(&wrong));
        assert_eq!(resp.status, 401, "{wrong}");
    }
    for right in [basic("ann:pw"), basic("bob:secret")] {
        let resp = get_as(&server, "/a.txt", Some(&right));
        assert_eq!(resp.status, 200, "{right}");
        assert_eq!(resp.text(), "alpha\n");
    }
    // Listings are guarded too.
    assert_eq!(get_as(&server, "/", None).status, 401);
    // The log is read by another thread: wait for the line rather than race it.
    let failed = server.wait_for_line("login failed for user \"eve\"");
    assert!(failed.contains("127.0.0.1:"), "{failed}");
    let log = server.log();
    // The password is never in the log.
    assert!(!log.contains("PW"), "{log}");
}

#[test]
fn web_auth_file_one_user_a_line() {
    let lab = lab();
    lab.write("users", "# who may\nann:pw\n\ncid:sha256:2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b\n");
    let server = serve(&lab, &["--auth-file", "users"]);
    assert_eq!(
        get_as(&server, "/a.txt", Some(&basic("ann:pw"))).status,
        200
    );
    assert_eq!(
        get_as(&server, "/a.txt", Some(&basic("cid:secret"))).status,
        200
    );
    assert_eq!(
        get_as(&server, "/a.txt", Some(&basic("cid:pw"))).status,
        401
    );
}

#[test]
fn web_auth_for_write_keeps_reads_public() {
    let lab = lab();
    let server = serve(
        &lab,
        &[
            "--upload",
            "--delete",
            "--auth",
            "ann:pw",
            "--auth-for",
            "write",
        ],
    );
    assert_eq!(get_as(&server, "/a.txt", None).status, 200);
    assert_eq!(get_as(&server, "/", None).status, 200);
    let resp = put_as(&server, "/new.txt", "new", None);
    assert_eq!(resp.status, 401);
    assert!(resp.header("WWW-Authenticate").is_some());
    assert_eq!(
        put_as(&server, "/new.txt", "new", Some(&basic("ann:no"))).status,
        401
    );
    assert!(!lab.path().join("site/new.txt").exists());
    let delete = |auth: Option<&str>| {
        let auth = auth.map_or(String::new(), |v| format!("Authorization: {v}\r\n"));
        request(
            &server,
            format!("DELETE /a.txt HTTP/1.1\r\nHost: t\r\n{auth}\r\n"),
        )
        .status
    };
    assert_eq!(delete(None), 401);
    assert!(lab.path().join("site/a.txt").exists());
    assert_eq!(
        put_as(&server, "/new.txt", "new", Some(&basic("ann:pw"))).status,
        201
    );
    assert_eq!(
        std::fs::read(lab.path().join("site/new.txt")).unwrap(),
        b"new"
    );
    assert_eq!(delete(Some(&basic("ann:pw"))), 204);
}

#[test]
fn web_auth_failures_are_rate_limited() {
    let lab = lab();
    let server = serve(&lab, &["--auth", "ann:pw"]);
    for _ in 0..10 {
        assert_eq!(
            get_as(&server, "/a.txt", Some(&basic("ann:guess"))).status,
            401
        );
    }
    // Locked out for a while, even with the right password.
    let resp = get_as(&server, "/a.txt", Some(&basic("ann:pw")));
    assert_eq!(resp.status, 429);
    assert_eq!(resp.header("Retry-After"), Some("60"));
}

#[test]
fn web_auth_over_cleartext_beyond_loopback_warns() {
    let lab = lab();
    let server = lab.server([
        "web", "site", "--port", "0", "--host", "::", "--auth", "a:b",
    ]);
    server.wait_for_line("--auth over plain HTTP");
    drop(server);
    let server = serve(&lab, &["--auth", "a:b"]);
    let log = crate::harness::stop(server);
    assert!(!log.contains("plain HTTP"), "{log}");
}

#[test]
fn web_bad_auth_is_a_usage_error_without_the_password() {
    let lab = lab();
    for bad in [
        "nocolonsecretword",
        "ann:",
        ":secretword",
        "ann:sha256:12ab",
    ] {
        let run = lab.cmd(["web", "site", "--auth", bad]).run();
        run.expect_code(2);
        assert!(!run.stderr().contains("secretword"), "{}", run.context());
    }
    lab.cmd(["web", "site", "--auth-file", "missing"])
        .run()
        .fails_with(2, "--auth-file missing");
    lab.write("empty", "# nobody\n");
    lab.cmd(["web", "site", "--auth-file", "empty"])
        .run()
        .fails_with(2, "no user");
    // --auth-for guards nothing without a user to check: it is refused, not ignored.
    lab.cmd(["web", "site", "--auth-for", "write"])
        .run()
        .fails_with(2, "--auth-file");
}

#[test]
fn web_auth_for_all_guards_uploads_and_reads() {
    let lab = lab();
    let server = serve(&lab, &["--upload", "--auth", "ann:pw"]);
    let resp = put_as(&server, "/new.txt", "new", None);
    assert_eq!(resp.status, 401);
    assert!(resp.header("WWW-Authenticate").is_some());
    assert_eq!(
        put_as(&server, "/new.txt", "new", Some(&basic("ann:no"))).status,
        401
    );
    assert!(!lab.path().join("site/new.txt").exists());
    assert_eq!(get_as(&server, "/a.txt", None).status, 401);
    assert_eq!(
        put_as(&server, "/new.txt", "new", Some(&basic("ann:pw"))).status,
        201
    );
    assert_eq!(
        std::fs::read(lab.path().join("site/new.txt")).unwrap(),
        b"new"
    );
    assert_eq!(
        get_as(&server, "/new.txt", Some(&basic("ann:pw"))).text(),
        "new"
    );
}
