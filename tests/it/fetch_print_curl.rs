//! `fetch --print-curl`: the curl command line for what was asked, which curl itself runs to the
//! same result; nothing fetched by netlab; what curl cannot say named on stderr.

use std::process::Command;

use crate::harness::{Lab, peer};

#[test]
fn the_printed_curl_line_fetches_the_same_bytes() {
    let lab = Lab::new();
    lab.write("site/a b.txt", "the same bytes\n");
    let server = lab.server(["web", "site", "--port", "0"]);
    let url = format!("{}/a%20b.txt", server.base_url());
    let run = lab
        .cmd([
            "fetch",
            "--print-curl",
            "-H",
            "X-Note: it's quoted",
            "-o",
            "got it.txt",
            &url,
        ])
        .run();
    run.success();
    let line = run.stdout().trim().to_string();
    assert!(line.starts_with("curl -L "), "{line}");
    assert!(line.contains(r#"-H "X-Note: it's quoted""#), "{line}");
    assert!(line.contains("-o 'got it.txt'"), "{line}");
    assert!(
        !lab.path().join("got it.txt").exists(),
        "--print-curl fetches nothing"
    );
    if !peer("curl") {
        return;
    }
    let ran = Command::new("sh")
        .arg("-c")
        .arg(&line)
        .current_dir(lab.path())
        .output()
        .unwrap();
    assert!(
        ran.status.success(),
        "{}",
        String::from_utf8_lossy(&ran.stderr)
    );
    assert_eq!(
        std::fs::read(lab.path().join("got it.txt")).unwrap(),
        b"the same bytes\n"
    );
}

#[test]
fn what_curl_cannot_say_is_named() {
    let lab = Lab::new();
    let run = lab
        .cmd([
            "fetch",
            "--print-curl",
            "--utf8",
            "--timing",
            "http://127.0.0.1:9/",
        ])
        .run();
    run.success()
        .stderr_has("curl has no --utf8")
        .stderr_has("curl has no --timing");
}
