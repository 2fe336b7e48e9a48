//! `netlab url`'s --iterate, --replace, --replace-append (and its first name, --force-replace)
//! and --curl through the binary: the examples of trurl's manual, with inputs of our own, and
//! the bad uses of each.

use crate::harness::Lab;

/// `netlab url ARGS…`, expecting success and exactly `expected` on stdout.
#[track_caller]
fn url_is(args: &[&str], expected: &str) {
    let mut all = vec!["url"];
    all.extend_from_slice(args);
    Lab::new().cmd(all).run().success().stdout_is(expected);
}

#[test]
fn url_iterate_prints_the_url_once_per_value() {
    // trurl's manual: one URL, three schemes.
    url_is(
        &[
            "https://mirror.test/pub/file.tgz",
            "--iterate",
            "scheme=http ftp sftp",
        ],
        "http://mirror.test/pub/file.tgz\nftp://mirror.test/pub/file.tgz\n\
         sftp://mirror.test/pub/file.tgz\n",
    );
}

#[test]
fn url_iterate_twice_prints_every_combination_first_one_slowest() {
    url_is(
        &[
            "--iterate",
            "host=a.test b.test",
            "--iterate",
            "port=8080 8443 9000",
            "http://x.test/health",
        ],
        "http://a.test:8080/health\nhttp://a.test:8443/health\nhttp://a.test:9000/health\n\
         http://b.test:8080/health\nhttp://b.test:8443/health\nhttp://b.test:9000/health\n",
    );
}

#[test]
fn url_iterate_goes_with_set_and_the_other_edits_and_each_line_of_stdin() {
    let lab = Lab::new();
    lab.cmd([
        "url",
        "-s",
        "path=/status",
        "--iterate",
        "query=v=1 v=2",
        "-g",
        "{host}{path}?{query}",
    ])
    .stdin("http://one.test/x\nhttp://two.test/y\n")
    .run()
    .success()
    .stdout_is(
        "one.test/status?v=1\none.test/status?v=2\ntwo.test/status?v=1\ntwo.test/status?v=2\n",
    );
}

#[test]
fn url_iterate_encodes_values_unless_colon_equals() {
    url_is(
        &["--iterate", "path=a%2Fb c", "http://h.test/"],
        "http://h.test/a%252Fb\nhttp://h.test/c\n",
    );
    url_is(
        &["--iterate", "path:=a%2Fb c", "http://h.test/"],
        "http://h.test/a%2Fb\nhttp://h.test/c\n",
    );
}

#[test]
fn url_iterate_json_is_one_array_of_every_url() {
    let lab = Lab::new();
    let run = lab
        .cmd(["url", "--json", "--iterate", "port=81 82", "http://h.test/"])
        .run();
    run.success();
    let json: serde_json::Value = serde_json::from_str(&run.stdout()).expect("JSON");
    let urls: Vec<&str> = json
        .as_array()
        .expect("an array")
        .iter()
        .map(|o| o["url"].as_str().expect("url"))
        .collect();
    assert_eq!(urls, ["http://h.test:81/", "http://h.test:82/"]);
}

#[test]
fn url_iterate_refuses_bad_uses_before_reading_a_url() {
    let lab = Lab::new();
    lab.cmd(["url", "--iterate", "scheme", "http://h.test/"])
        .run()
        .fails_with(2, "--iterate `scheme`: expected COMP=VALUE");
    lab.cmd(["url", "--iterate", "colour=red blue", "http://h.test/"])
        .run()
        .fails_with(2, "unknown component `colour`");
    lab.cmd(["url", "--iterate", "port=80 eighty", "http://h.test/"])
        .run()
        .fails_with(2, "port `eighty` is not a number");
    lab.cmd([
        "url",
        "--iterate",
        "port=1 2",
        "--iterate",
        "port=3",
        "http://h.test/",
    ])
    .run()
    .fails_with(2, "port is iterated twice");
    lab.cmd([
        "url",
        "-s",
        "host=a",
        "--iterate",
        "host=b c",
        "http://h.test/",
    ])
    .run()
    .fails_with(2, "host is also given to --set");
}

#[test]
fn url_replace_changes_the_value_of_a_pair_that_is_there() {
    // trurl's manual: replace one pair of two.
    url_is(
        &[
            "http://shop.test?page=2&sort=price",
            "--replace",
            "sort=name",
        ],
        "http://shop.test/?page=2&sort=name\n",
    );
    // Both sides are encoded; later pairs of the same name go; a name not there is no change.
    url_is(
        &["http://h.test/?q=old&n=1&q=dup", "--replace", "q=a&b c"],
        "http://h.test/?q=a%26b%20c&n=1\n",
    );
    url_is(
        &["http://h.test/?a=1", "--replace", "missing=x"],
        "http://h.test/?a=1\n",
    );
    // The name is matched whole and decoded: `ab` is not `a`, `caf%C3%A9` is `café`.
    url_is(
        &[
            "http://h.test/?ab=1&caf%C3%A9=2",
            "--replace",
            "a=x",
            "--replace",
            "café=3",
        ],
        "http://h.test/?ab=1&caf%C3%A9=3\n",
    );
}

#[test]
fn url_replace_append_appends_a_pair_that_is_not_there() {
    // trurl's manual: the name is missing, so the pair goes on the end.
    url_is(
        &[
            "http://shop.test?page=2&sort=price",
            "--replace-append",
            "lang=zh",
        ],
        "http://shop.test/?page=2&sort=price&lang=zh\n",
    );
    url_is(
        &["http://shop.test?lang=en", "--replace-append", "lang=zh"],
        "http://shop.test/?lang=zh\n",
    );
    url_is(
        &["http://shop.test/", "--replace-append", "lang=zh"],
        "http://shop.test/?lang=zh\n",
    );
}

#[test]
fn url_force_replace_is_replace_append_by_its_first_name() {
    url_is(
        &["http://shop.test?page=2", "--force-replace", "lang=zh"],
        "http://shop.test/?page=2&lang=zh\n",
    );
}

#[test]
fn url_replace_comes_after_trim_and_before_append_and_sort() {
    url_is(
        &[
            "--qtrim",
            "utm_*",
            "--replace",
            "utm_source=kept",
            "--replace-append",
            "b=2",
            "-a",
            "query=a=1",
            "--sort-query",
            "http://h.test/?utm_source=x&c=3",
        ],
        "http://h.test/?a=1&b=2&c=3\n",
    );
}

#[test]
fn url_curl_accepts_only_schemes_curl_supports() {
    let lab = Lab::new();
    lab.cmd([
        "url",
        "--curl",
        "gemini://capsule.test/",
        "sftp://files.test/x",
        "docs.test",
    ])
    .run()
    .success()
    .stdout_is("sftp://files.test/x\nhttp://docs.test/\n")
    .stderr_has("URL `gemini://capsule.test/`: --curl: `gemini` is not a scheme curl supports");
    // Without --curl any scheme is taken, as trurl does.
    url_is(&["gemini://capsule.test/"], "gemini://capsule.test/\n");
    // A scheme set or iterated is checked too; --verify makes it the end.
    lab.cmd([
        "url",
        "--curl",
        "--verify",
        "-s",
        "scheme=gopherx",
        "http://h.test/",
    ])
    .run()
    .fails_with(2, "`gopherx` is not a scheme curl supports");
    url_is(
        &["--curl", "--iterate", "scheme=https wss", "http://h.test/"],
        "https://h.test/\nwss://h.test/\n",
    );
}
