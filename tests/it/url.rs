//! `netlab url` through the binary: trurl's options, one test each (the examples of trurl's
//! manual, with inputs of our own), the two parsers side by side (`--compare`), and bad input.

use serde_json::Value;

use crate::harness::Lab;

/// `netlab url ARGS…`, expecting success and exactly `expected` on stdout.
#[track_caller]
fn url_is(args: &[&str], expected: &str) {
    let mut all = vec!["url"];
    all.extend_from_slice(args);
    Lab::new().cmd(all).run().success().stdout_is(expected);
}

#[test]
fn url_normalises_scheme_host_dots_and_default_port_as_trurl_does() {
    url_is(
        &["HTTP://Shop.EXAMPLE.net:80/./cart/../items/"],
        "http://shop.example.net/items/\n",
    );
    url_is(&["https://api.test:443"], "https://api.test/\n");
    url_is(&["https://api.test:8443"], "https://api.test:8443/\n");
}

#[test]
fn url_guesses_a_scheme_for_a_bare_host() {
    url_is(
        &["docs.test/guide", "ftp.mirror.test/pub", "//cdn.test/x"],
        "http://docs.test/guide\nftp://ftp.mirror.test/pub\nhttp://cdn.test/x\n",
    );
    url_is(&["localhost:3000/api"], "http://localhost:3000/api\n");
}

#[test]
fn url_no_guess_scheme_refuses_a_url_without_one() {
    let lab = Lab::new();
    lab.cmd([
        "url",
        "--no-guess-scheme",
        "docs.test/guide",
        "http://ok.test/",
    ])
    .run()
    .success()
    .stdout_is("http://ok.test/\n")
    .stderr_has("URL `docs.test/guide`: no scheme");
    lab.cmd(["url", "--no-guess-scheme", "--verify", "docs.test"])
        .run()
        .fails_with(2, "no scheme");
}

#[test]
fn url_url_option_takes_urls_like_arguments() {
    url_is(
        &["--url", "http://one.test", "--url", "http://two.test/x"],
        "http://one.test/\nhttp://two.test/x\n",
    );
}

#[test]
fn url_url_file_reads_one_url_a_line_and_names_the_file_in_errors() {
    let lab = Lab::new();
    let file = lab.write(
        "links.txt",
        "http://a.test/1\n\nhttp://[::1\r\nhttp://b.test/2\n",
    );
    let file = file.to_str().unwrap();
    let run = lab.cmd(["url", "-f", file]).run();
    run.success()
        .stdout_is("http://a.test/1\nhttp://b.test/2\n")
        .stderr_has("links.txt line 3: `http://[::1`");
    lab.cmd(["url", "--url-file", "-"])
        .stdin("http://c.test\n")
        .run()
        .success()
        .stdout_is("http://c.test/\n");
    lab.cmd(["url", "-f", "/nonexistent/links.txt"])
        .run()
        .fails_with(2, "--url-file /nonexistent/links.txt: no such file");
}

#[test]
fn url_percent_encodes_bytes_of_a_line_that_are_not_utf8() {
    Lab::new()
        .cmd(["url"])
        .stdin(&b"http://h.test/caf\xe9?q=\xe9t\xc3\xa9\n"[..])
        .run()
        .success()
        .stdout_is("http://h.test/caf%E9?q=%E9t\u{e9}\n");
}

#[test]
fn url_reads_stdin_lines_when_no_url_is_given() {
    Lab::new()
        .cmd(["url", "-g", "{host}"])
        .stdin("https://a.test/\nhttps://b.test/x\nhttps://c.test")
        .run()
        .success()
        .stdout_is("a.test\nb.test\nc.test\n");
}

#[test]
fn url_set_changes_each_component_and_encodes_the_value() {
    url_is(
        &[
            "-s",
            "scheme=https",
            "-s",
            "host=Store.Test",
            "-s",
            "port=8443",
            "-s",
            "path=/a b/ü",
            "-s",
            "query=q=x y",
            "-s",
            "fragment=top part",
            "-s",
            "user=ann",
            "-s",
            "password=p@ss:w",
            "http://old.test/",
        ],
        "https://ann:p%40ss%3Aw@store.test:8443/a%20b/%C3%BC?q=x%20y#top%20part\n",
    );
}

#[test]
fn url_set_with_colon_equals_takes_an_encoded_value() {
    url_is(
        &["-s", "path:=/files/a%2Fb", "http://h.test/"],
        "http://h.test/files/a%2Fb\n",
    );
    // Without the colon, the % itself is encoded.
    url_is(
        &["-s", "path=/files/a%2Fb", "http://h.test/"],
        "http://h.test/files/a%252Fb\n",
    );
}

#[test]
fn url_set_with_question_equals_only_fills_an_empty_component() {
    url_is(
        &[
            "-s",
            "query?=page=1",
            "http://h.test/list",
            "http://h.test/list?page=7",
        ],
        "http://h.test/list?page=1\nhttp://h.test/list?page=7\n",
    );
}

#[test]
fn url_set_to_nothing_removes_the_component() {
    url_is(
        &[
            "-s",
            "port=",
            "-s",
            "fragment=",
            "-s",
            "user=",
            "http://me@h.test:81/#x",
        ],
        "http://h.test/\n",
    );
}

#[test]
fn url_set_of_no_host_is_refused_where_the_scheme_needs_one() {
    let lab = Lab::new();
    lab.cmd(["url", "-s", "host=", "http://h.test/x", "file://h/x"])
        .run()
        .success()
        .stdout_is("file:/x\n")
        .stderr_has("URL `http://h.test/x`: no host, which http: URLs need");
}

#[test]
fn url_set_url_replaces_the_whole_url() {
    url_is(
        &["-s", "url=https://new.test/n", "http://old.test/"],
        "https://new.test/n\n",
    );
}

#[test]
fn url_set_builds_a_url_from_parts_alone() {
    url_is(
        &[
            "",
            "-s",
            "scheme=ftp",
            "-s",
            "host=files.test",
            "-s",
            "path=/pub",
        ],
        "ftp://files.test/pub\n",
    );
}

#[test]
fn url_reads_and_sets_the_ipv6_zoneid() {
    url_is(
        &[
            "-g",
            "{host} {zoneid} {port}",
            "http://[fe80::7%25wlan0]:8080/",
        ],
        "[fe80::7] wlan0 8080\n",
    );
    url_is(
        &["-s", "zoneid=eth1", "http://[fe80::7]/"],
        "http://[fe80::7%25eth1]/\n",
    );
}

#[test]
fn url_splits_login_options_for_mail_schemes() {
    url_is(
        &[
            "-g",
            "{user}|{options}|{host}",
            "imap://kim;AUTH=PLAIN@mail.test/",
        ],
        "kim|AUTH=PLAIN|mail.test\n",
    );
    // Other schemes keep the semicolon in the user.
    url_is(
        &["-g", "{user}|{options}", "http://kim;x@web.test/"],
        "kim;x|\n",
    );
}

#[test]
fn url_append_adds_a_path_segment_and_a_query_pair() {
    url_is(
        &["-a", "path=new dir", "-a", "path=a/b", "http://h.test/base"],
        "http://h.test/base/new%20dir/a%2Fb\n",
    );
    url_is(
        &["-a", "path=x", "http://h.test/dir/"],
        "http://h.test/dir/x\n",
    );
    url_is(
        &[
            "--append",
            "query=name=Zoë & co",
            "--append",
            "query=flag",
            "http://h.test/?a=1",
        ],
        "http://h.test/?a=1&name=Zo%C3%AB%20%26%20co&flag\n",
    );
}

#[test]
fn url_trim_removes_query_pairs_by_glob() {
    url_is(
        &[
            "--trim",
            "query=utm_*",
            "http://h.test/p?utm_source=mail&id=4&UTM_Medium=x",
        ],
        "http://h.test/p?id=4\n",
    );
    url_is(
        &["--trim", "query=*", "http://h.test/p?a=1&b=2"],
        "http://h.test/p\n",
    );
    // Trimmed first, then appended (trurl's order): the new pair stays.
    url_is(
        &[
            "--trim",
            "query=ref*",
            "-a",
            "query=ref=new",
            "http://h.test/?ref=old",
        ],
        "http://h.test/?ref=new\n",
    );
}

#[test]
fn url_qtrim_is_trim_of_the_query() {
    url_is(
        &[
            "--qtrim",
            "fbclid",
            "--qtrim",
            "ref*",
            "http://h.test/?fbclid=z&k=v&referrer=q",
        ],
        "http://h.test/?k=v\n",
    );
}

#[test]
fn url_sort_query_orders_pairs_and_keeps_their_escapes() {
    // trurl#328: trurl rewrites %20 to + when it touches a query; netlab keeps it.
    url_is(
        &[
            "--sort-query",
            "http://h.test/?zeta=1&alpha=a%20b&mid=x+y&alpha=0",
        ],
        "http://h.test/?alpha=0&alpha=a%20b&mid=x+y&zeta=1\n",
    );
    // Case is ignored, as trurl compares.
    url_is(
        &["--sort-query", "http://h.test/?Beta=1&alpha=2"],
        "http://h.test/?alpha=2&Beta=1\n",
    );
}

#[test]
fn url_redirect_resolves_a_relative_url_by_rfc_3986() {
    url_is(
        &["--redirect", "../up?x=1", "http://h.test/a/b/c#frag"],
        "http://h.test/a/up?x=1\n",
    );
    url_is(
        &["--redirect", "//other.test/p", "https://h.test/a"],
        "https://other.test/p\n",
    );
}

#[test]
fn url_redirect_under_whatwg_joins_as_browsers_do() {
    url_is(
        &["--whatwg", "--redirect", "..\\up", "http://h.test/a/b/c"],
        "http://h.test/a/up\n",
    );
}

#[test]
fn url_get_prints_a_template_of_decoded_parts() {
    url_is(
        &[
            "-g",
            "{scheme} {host} {port} {path} {query} {fragment}",
            "https://h.test:9000/caf%C3%A9?q=%E4%B8%AD#s%20x",
        ],
        "https h.test 9000 /café q=中 s x\n",
    );
    url_is(
        &["-g", "{url}", "HTTP://H.test/a/../b"],
        "http://h.test/b\n",
    );
}

#[test]
fn url_get_query_and_query_all_pick_values_by_name() {
    url_is(
        &[
            "-g",
            "<{query:tag}> <{query-all:tag}> <{query:none}>",
            "http://h.test/?tag=red&x=1&tag=dark+blue",
        ],
        "<red> <red dark blue> <>\n",
    );
}

#[test]
fn url_get_url_modifier_and_leading_colon_keep_escapes() {
    url_is(
        &["-g", "{url:path} {:path} {path}", "http://h.test/a%20b"],
        "/a%20b /a%20b /a b\n",
    );
    url_is(
        &["-g", "{url:query:q}", "http://h.test/?q=%E4%B8%AD"],
        "%E4%B8%AD\n",
    );
}

#[test]
fn url_get_strict_modifier_fails_on_what_does_not_decode() {
    let lab = Lab::new();
    lab.cmd(["url", "-g", "{path}", "http://h.test/%FF"])
        .run()
        .success()
        .stdout_is("/%FF\n");
    lab.cmd(["url", "-g", "{strict:path}", "http://h.test/%FF"])
        .run()
        .fails_with(
            2,
            "{strict:path}: `/%FF` does not decode to UTF-8 text (at byte 1)",
        );
}

#[test]
fn url_get_must_modifier_fails_on_a_missing_part() {
    // As in trurl, a failed must: ends the run, --verify or not.
    let lab = Lab::new();
    let run = lab
        .cmd([
            "url",
            "-g",
            "{must:fragment}",
            "http://h.test/#top",
            "http://h.test/",
        ])
        .run();
    run.fails_with(
        2,
        "URL `http://h.test/`: {must:fragment}: the URL has no fragment",
    );
    run.stdout_is("top\n");
    lab.cmd(["url", "-g", "{must:query:id}"])
        .stdin("http://h.test/?id=1\nhttp://h.test/?x=1\n")
        .run()
        .fails_with(
            2,
            "line 2: `http://h.test/?x=1`: {must:query:id}: the query has no id",
        );
}

#[test]
fn url_get_default_modifier_shows_the_default_port() {
    url_is(
        &[
            "-g",
            "({port}) ({default:port})",
            "https://h.test/",
            "ftp://h.test/",
        ],
        "() (443)\n() (21)\n",
    );
}

#[test]
fn url_get_modifiers_apply_to_the_whole_url_too() {
    url_is(
        &["-g", "{default:url} {puny:url}", "http://bücher.test/"],
        "http://bücher.test:80/ http://xn--bcher-kva.test/\n",
    );
}

#[test]
fn url_get_puny_and_idn_modifiers_convert_the_host() {
    url_is(
        &["-g", "{puny:host} {idn:host} {host}", "http://bücher.test/"],
        "xn--bcher-kva.test bücher.test bücher.test\n",
    );
    url_is(
        &["-g", "{idn:host}", "http://xn--bcher-kva.test/"],
        "bücher.test\n",
    );
}

#[test]
fn url_get_takes_square_brackets_when_they_come_first() {
    url_is(
        &["-g", "[scheme]://[host] {not a part}", "https://h.test/"],
        "https://h.test {not a part}\n",
    );
}

#[test]
fn url_get_port_shows_a_default_port_that_was_written() {
    // The URL leaves it out; {port} and --json show it, as trurl does.
    url_is(
        &["-g", "{url} {port}", "https://h.test:443/"],
        "https://h.test/ 443\n",
    );
}

#[test]
fn url_get_escapes_and_double_braces_stand_for_themselves() {
    url_is(
        &["-g", "{{host}}\\t{host}\\n\\{x", "http://h.test/"],
        "{host}}\th.test\n{x\n",
    );
}

#[test]
fn url_json_has_trurls_shape() {
    let run = Lab::new()
        .cmd([
            "url",
            "--json",
            "https://ann:pw@h.test:8080/p%20q?a=1&b=x+y&a=%E4%B8%AD#f",
            "http://plain.test",
        ])
        .run();
    run.success();
    let json: Value = serde_json::from_str(&run.stdout()).expect("JSON");
    let first = &json[0];
    assert_eq!(
        first["url"],
        "https://ann:pw@h.test:8080/p%20q?a=1&b=x+y&a=%E4%B8%AD#f"
    );
    assert_eq!(
        first["parts"],
        serde_json::json!({
            "scheme": "https", "user": "ann", "password": "pw", "host": "h.test",
            "port": "8080", "path": "/p q", "query": "a=1&b=x y&a=中", "fragment": "f"
        })
    );
    assert_eq!(
        first["params"],
        serde_json::json!([
            {"key": "a", "value": "1"}, {"key": "b", "value": "x y"}, {"key": "a", "value": "中"}
        ])
    );
    assert_eq!(json[1]["url"], "http://plain.test/");
    assert!(json[1].get("params").is_none(), "{}", run.context());
    // The keys in trurl's order.
    let text = run.stdout();
    let (url, parts, params) = (
        text.find("\"url\"").unwrap(),
        text.find("\"parts\"").unwrap(),
        text.find("\"params\"").unwrap(),
    );
    assert!(url < parts && parts < params, "{}", run.context());
}

#[test]
fn url_json_of_nothing_is_an_empty_array() {
    Lab::new()
        .cmd(["url", "--json"])
        .stdin("")
        .run()
        .success()
        .stdout_is("[]\n");
}

#[test]
fn url_keep_port_keeps_a_default_port() {
    url_is(
        &["--keep-port", "https://h.test:443/a"],
        "https://h.test:443/a\n",
    );
}

#[test]
fn url_default_port_writes_the_schemes_port() {
    url_is(
        &[
            "--default-port",
            "https://h.test/a",
            "imap://m.test/",
            "gopher://g.test:7070/",
        ],
        "https://h.test:443/a\nimap://m.test:143/\ngopher://g.test:7070/\n",
    );
}

#[test]
fn url_punycode_encodes_the_host() {
    url_is(
        &["--punycode", "http://ÄÖ.test/x"],
        "http://xn--4ca0b.test/x\n",
    );
}

#[test]
fn url_as_idn_decodes_a_punycode_host() {
    url_is(
        &["--as-idn", "http://xn--4ca0b.test/x"],
        "http://äö.test/x\n",
    );
}

#[test]
fn url_query_separator_splits_and_joins_pairs() {
    url_is(
        &[
            "--query-separator",
            ";",
            "--sort-query",
            "-a",
            "query=c=3",
            "http://h.test/?b=2;a=1",
        ],
        "http://h.test/?a=1;b=2;c=3\n",
    );
    Lab::new()
        .cmd(["url", "--query-separator", "ab", "http://h.test/"])
        .run()
        .fails_with(2, "--query-separator `ab`: must be one character");
}

#[test]
fn url_accept_space_encodes_spaces() {
    let lab = Lab::new();
    lab.cmd(["url", "http://h.test/my file?q=a b"])
        .run()
        .success()
        .stdout_is("")
        .stderr_has("a space");
    lab.cmd(["url", "--accept-space", "http://h.test/my file?q=a b"])
        .run()
        .success()
        .stdout_is("http://h.test/my%20file?q=a%20b\n");
}

#[test]
fn url_urlencode_prints_encoded_parts() {
    url_is(
        &[
            "--urlencode",
            "-g",
            "{path} {query:k}",
            "http://h.test/a%20b/é?k=%E4%B8%AD",
        ],
        "/a%20b/%C3%A9 %E4%B8%AD\n",
    );
    url_is(
        &["--urlencode", "http://bücher.test/é"],
        "http://xn--bcher-kva.test/%C3%A9\n",
    );
}

#[test]
fn url_charset_decodes_legacy_bytes_in_get_and_json() {
    let gbk = "https://www.baidu.com/s?wd=%D6%D0%CE%C4";
    url_is(&["--charset", "gbk", "-g", "{query:wd}", gbk], "中文\n");
    // auto: UTF-8 when the bytes are UTF-8, else (here) GB18030.
    url_is(
        &[
            "--charset",
            "auto",
            "-g",
            "{query:wd}",
            gbk,
            "https://h.test/?wd=%E4%B8%AD",
        ],
        "中文\n中\n",
    );
    let run = Lab::new()
        .cmd(["url", "--charset", "gbk", "--json", gbk])
        .run();
    run.success();
    let json: Value = serde_json::from_str(&run.stdout()).expect("JSON");
    assert_eq!(json[0]["params"][0]["value"], "中文", "{}", run.context());
    assert_eq!(json[0]["parts"]["query"], "wd=中文", "{}", run.context());
    Lab::new()
        .cmd(["url", "--charset", "klingon", "http://h.test/"])
        .run()
        .fails_with(2, "unknown charset `klingon`");
}

#[test]
fn url_form_makes_plus_a_space_in_every_component() {
    url_is(
        &["-g", "{path}|{fragment}", "http://h.test/a+b#c+d"],
        "/a+b|c+d\n",
    );
    url_is(
        &["--form", "-g", "{path}|{fragment}", "http://h.test/a+b#c+d"],
        "/a b|c d\n",
    );
}

#[test]
fn url_strict_makes_what_does_not_decode_an_error_with_its_offset() {
    let lab = Lab::new();
    lab.cmd([
        "url",
        "--strict",
        "-g",
        "{host}{path}",
        "http://h.test/ok%FFno",
    ])
    .run()
    .fails_with(
        2,
        "--strict: path: `/ok%FFno` does not decode to UTF-8 text (at byte 3)",
    );
    lab.cmd(["url", "--strict", "--json", "http://h.test/?q=%C3"])
        .run()
        .fails_with(2, "`q=%C3` does not decode to UTF-8 text (at byte 2)");
    // WHATWG lets a lone % through; --strict does not.
    lab.cmd(["url", "--whatwg", "http://h.test/100%"])
        .run()
        .success()
        .stdout_is("http://h.test/100%\n");
    lab.cmd(["url", "--strict", "--whatwg"])
        .stdin("http://h.test/\nhttp://h.test/100%\n")
        .run()
        .fails_with(
            2,
            "line 2: `http://h.test/100%`: --strict: a % that starts no %XX escape, at byte 17",
        );
}

#[test]
fn url_verify_makes_the_first_bad_url_fatal() {
    let run = Lab::new()
        .cmd(["url", "--verify"])
        .stdin("http://a.test/\nhttp://[::1\nhttp://b.test/\n")
        .run();
    run.fails_with(2, "line 2: `http://[::1`");
    run.stdout_is("http://a.test/\n");
}

#[test]
fn url_quiet_silences_the_warning_for_a_bad_line() {
    let lab = Lab::new();
    lab.cmd(["url", "-q", "http://[::1", "http://a.test"])
        .run()
        .success()
        .stdout_is("http://a.test/\n")
        .stderr_empty();
    lab.cmd(["url", "--quiet", "http://[::1"])
        .run()
        .success()
        .stderr_empty();
}

#[test]
fn url_whatwg_reads_as_browsers_do() {
    url_is(
        &["--whatwg", "HTTP://EX.test:80/a\\b/../c", "http://0x7f.1/"],
        "http://ex.test/a/c\nhttp://127.0.0.1/\n",
    );
    // The same by RFC 3986: the backslash is refused, the host is a registered name.
    Lab::new()
        .cmd([
            "url",
            "--rfc3986",
            "HTTP://EX.test:80/a\\b/../c",
            "http://0x7f.1/",
        ])
        .run()
        .success()
        .stdout_is("http://0x7f.1/\n")
        .stderr_has("a backslash");
}

/// `--compare URL`'s lines for one part: what each standard reads and why they differ.
fn compare(url: &str) -> String {
    let run = Lab::new().cmd(["url", "--compare", url]).run();
    run.success();
    run.stdout()
}

#[test]
fn url_compare_backslash_as_a_separator() {
    let out = compare("https://h.test\\docs\\a");
    assert!(out.contains("RFC 3986  not a URI: a backslash"), "{out}");
    assert!(out.contains("WHATWG    https://h.test/docs/a"), "{out}");
    assert!(out.contains("RFC 3986 §2 has no place for `\\`"), "{out}");
}

#[test]
fn url_compare_a_space_in_the_host() {
    let out = compare("http://a b/");
    assert!(out.contains("RFC 3986  not a URI: a space"), "{out}");
    assert!(out.contains("WHATWG    not a URL"), "{out}");
    assert!(out.contains("both refuse it"), "{out}");
    assert!(out.contains("forbidden host code point"), "{out}");
}

#[test]
fn url_compare_case_default_port_and_dot_segments() {
    let out = compare("HTTP://EXAMPLE.com:80/./a/../b");
    for expected in [
        "scheme    RFC 3986  HTTP\n          WHATWG    http\n          why       RFC 3986 §3.1",
        "host      RFC 3986  EXAMPLE.com\n          WHATWG    example.com\n          why       RFC 3986 §3.2.2",
        "port      RFC 3986  80\n          WHATWG    (none)\n          why       RFC 3986 §3.2.3",
        "path      RFC 3986  /./a/../b\n          WHATWG    /b\n          why       RFC 3986 removes dot segments",
    ] {
        assert!(out.contains(expected), "{expected:?} not in\n{out}");
    }
}

#[test]
fn url_compare_idna_with_uppercase_and_emoji() {
    let out = compare("http://BÜCHER.test/");
    assert!(out.contains("RFC 3986  BÜCHER.test"), "{out}");
    assert!(out.contains("WHATWG    xn--bcher-kva.test"), "{out}");
    assert!(out.contains("UTS #46"), "{out}");
    let out = compare("http://☕.test/");
    assert!(out.contains("RFC 3986  ☕.test"), "{out}");
    assert!(out.contains("WHATWG    xn--53h.test"), "{out}");
    assert!(out.contains("RFC 3987"), "{out}");
}

#[test]
fn url_compare_file_urls() {
    let out = compare("file://localhost/etc/fstab");
    assert!(out.contains("host      RFC 3986  localhost"), "{out}");
    assert!(out.contains("WHATWG's file host state"), "{out}");
    let out = compare("file:/etc/fstab");
    assert!(out.contains("WHATWG    file:///etc/fstab"), "{out}");
    assert!(out.contains("RFC 8089 §2 allows file:/path"), "{out}");
}

#[test]
fn url_compare_ipv4_in_hex_and_octal() {
    for url in ["http://0xC0.0xA8.0.1/", "http://0300.0250.0.1/"] {
        let out = compare(url);
        assert!(out.contains("WHATWG    192.168.0.1"), "{out}");
        assert!(out.contains("§7.4"), "{out}");
    }
}

#[test]
fn url_compare_non_ascii_in_an_opaque_path() {
    let out = compare("tag:é/../x");
    assert!(
        out.contains("path      RFC 3986  é/../x\n          WHATWG    %C3%A9/../x"),
        "{out}"
    );
    assert!(out.contains("RFC 3987 §2.2"), "{out}");
    assert!(!out.contains("dot segments"), "{out}");
}

#[test]
fn url_compare_says_both_when_they_agree() {
    let out = compare("https://h.test/a?b=c#d");
    assert!(
        out.contains("url       both      https://h.test/a?b=c#d"),
        "{out}"
    );
    assert!(!out.contains("why"), "{out}");
}

#[test]
fn url_set_of_an_unknown_component_is_a_usage_error() {
    Lab::new()
        .cmd(["url", "-s", "hostname=x.test", "http://h.test/"])
        .run()
        .fails_with(2, "--set `hostname=x.test`: unknown component `hostname`")
        .stdout_is("");
}

#[test]
fn url_set_of_a_bad_port_or_scheme_is_a_usage_error() {
    let lab = Lab::new();
    lab.cmd(["url", "-s", "port=70000", "http://h.test/"])
        .run()
        .fails_with(2, "--set `port=70000`: port 70000 is out of range");
    lab.cmd(["url", "-s", "scheme=1x", "http://h.test/"])
        .run()
        .fails_with(2, "`1x` is not a scheme");
    lab.cmd(["url", "-s", "nothing", "http://h.test/"])
        .run()
        .fails_with(2, "expected COMP=VALUE");
    lab.cmd(["url", "-s", "port=1", "-s", "port:=2", "http://h.test/"])
        .run()
        .fails_with(2, "--set `port:=2`: port is set twice");
}

#[test]
fn url_get_with_an_unclosed_brace_is_a_usage_error() {
    let lab = Lab::new();
    lab.cmd(["url", "-g", "{host}:{port", "http://h.test/"])
        .run()
        .fails_with(2, "-g `{host}:{port`: the { at byte 7 is never closed");
    lab.cmd(["url", "-g", "{hostname}", "http://h.test/"])
        .run()
        .fails_with(2, "unknown component `{hostname}`");
}

#[test]
fn url_redirect_that_cannot_resolve_names_the_argument_and_the_line() {
    let lab = Lab::new();
    lab.cmd(["url", "--redirect", "http://[oops", "http://h.test/"])
        .run()
        .fails_with(2, "--redirect `http://[oops`: not a URI reference");
    // RFC 3986 §5.2 has no result for this one against a base without authority or path.
    lab.cmd([
        "url",
        "--verify",
        "--redirect",
        ".///bar",
        "tag:",
        "http://h.test/",
    ])
    .run()
    .fails_with(
        2,
        "URL `tag:`: --redirect `.///bar`: cannot resolve it against tag:",
    );
    // A base that cannot be joined (WHATWG's opaque paths): reported for its line, the
    // stream goes on.
    let run = lab
        .cmd(["url", "--whatwg", "--redirect", "next"])
        .stdin("http://h.test/a\nmailto:kim@h.test\nhttp://h.test/b/c\n")
        .run();
    run.success()
        .stdout_is("http://h.test/next\nhttp://h.test/b/next\n")
        .stderr_has("line 2: `mailto:kim@h.test`: --redirect `next`: cannot resolve it");
}

#[test]
fn url_longer_than_8_mib_is_reported_with_its_line_and_the_stream_goes_on() {
    let mut input = b"http://a.test/\nhttp://b.test/".to_vec();
    input.extend(std::iter::repeat_n(b'x', 8 * 1024 * 1024));
    input.extend_from_slice(b"\nhttp://c.test/\n");
    let lab = Lab::new();
    let run = lab.cmd(["url"]).stdin(input.clone()).run();
    run.success()
        .stdout_is("http://a.test/\nhttp://c.test/\n")
        .stderr_has("line 2: `http://b.test/xxx");
    run.stderr_has("longer than the 8 MiB limit");
    lab.cmd(["url", "--verify"])
        .stdin(input)
        .run()
        .fails_with(2, "line 2:");
}

#[test]
fn url_help_tells_template_from_part_name_and_rfc_3986_from_whatwg() {
    let lab = Lab::new();
    for verb in ["url", "urldecode"] {
        let run = lab.cmd([verb, "--help"]).run();
        run.success();
        let help = run.stdout();
        for needle in ["template", "part name", "RFC 3986", "WHATWG", "Examples:"] {
            assert!(
                help.contains(needle),
                "{verb} --help lacks {needle:?}\n{help}"
            );
        }
        assert!(
            help.contains("0x7f.1"),
            "{verb} --help lacks the example\n{help}"
        );
        let examples = help.rfind("Examples:").unwrap();
        assert!(
            help[examples..]
                .lines()
                .skip(1)
                .all(|l| l.starts_with("  netlab ")),
            "{verb} --help does not end with examples\n{help}"
        );
    }
}

/// The single-line, base-less, valid cases of the URL Standard's own test data.
fn standard_inputs() -> Vec<String> {
    let path = format!(
        "{}/tests/it/data/urltestdata.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    let cases: Vec<Value> = serde_json::from_str(&text).expect("test data is JSON");
    cases
        .iter()
        .filter(|c| c.is_object() && c["base"].is_null() && c["failure"] != true)
        .filter_map(|c| c["input"].as_str())
        .filter(|i| !i.contains(['\n', '\r', '\t', '\0']) && i.trim() == *i && !i.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn url_whatwg_prints_what_urldecode_reads_for_every_case_of_the_standard() {
    let inputs = standard_inputs();
    assert!(inputs.len() > 250, "only {} cases", inputs.len());
    let stdin = inputs.join("\n") + "\n";
    let lab = Lab::new();
    let url = lab
        .cmd(["url", "--whatwg", "--no-guess-scheme"])
        .stdin(stdin.clone())
        .run();
    url.success().stderr_empty();
    let decode = lab
        .cmd(["urldecode", "--json", "--as", "url"])
        .stdin(stdin)
        .run();
    decode.success();
    let hrefs: Vec<String> = decode
        .stdout()
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["href"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let printed: Vec<String> = url.stdout().lines().map(str::to_string).collect();
    assert_eq!(printed.len(), inputs.len(), "{}", url.context());
    for ((input, printed), href) in inputs.iter().zip(&printed).zip(&hrefs) {
        assert_eq!(printed, href, "input {input:?}");
    }
}

#[test]
fn url_output_reads_back_as_itself_by_either_standard() {
    let stdin = standard_inputs().join("\n") + "\n";
    let lab = Lab::new();
    for standard in ["--rfc3986", "--whatwg"] {
        let first = lab.cmd(["url", "-q", standard]).stdin(stdin.clone()).run();
        first.success();
        let once = first.stdout();
        assert!(once.lines().count() > 200, "{}", first.context());
        lab.cmd(["url", "--verify", "--no-guess-scheme", standard])
            .stdin(once.clone())
            .run()
            .success()
            .stdout_is(&once);
    }
}
