//! `netlab urldecode` and `netlab urlencode` through the binary: the notes' examples, every mode,
//! charsets, bad input, and streams.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::harness::{self, Lab, WAIT};

const BAIDU: &str = "https://www.baidu.com/s?wd=python%E6%95%99%E7%A8%8B";
const NEWS: &str = "http://news.baidu.com/ns?cl=2&rn=20&tn=news&word=%E6%B5%8B%E8%AF%95";

fn json_lines(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

#[test]
fn urldecode_the_notes_baidu_url() {
    Lab::new()
        .cmd(["urldecode", BAIDU])
        .run()
        .success()
        .stdout_is("https://www.baidu.com/s?wd=python教程\n")
        .stderr_empty();
}

#[test]
fn urldecode_parts_lists_the_notes_news_params_in_order() {
    let run = Lab::new().cmd(["urldecode", "-p", NEWS]).run();
    run.success();
    let stdout = run.stdout();
    let params: Vec<Vec<&str>> = stdout
        .lines()
        .filter(|l| l.starts_with("  "))
        .map(|l| l.split_whitespace().filter(|w| *w != "=").collect())
        .collect();
    assert_eq!(
        params,
        [["cl", "2"], ["rn", "20"], ["tn", "news"], ["word", "测试"]],
        "{}",
        run.context()
    );
    for row in [
        "scheme    http",
        "host      news.baidu.com",
        "port      80 (default for http)",
        "path      /ns",
        "query     cl=2&rn=20&tn=news&word=测试",
    ] {
        run.stdout_has(&format!("{row}\n"));
    }
}

#[test]
fn urldecode_parts_shows_the_design_example() {
    Lab::new()
        .cmd(["urldecode", "-p", BAIDU])
        .run()
        .success()
        .stdout_has("\n  wd = python教程\n");
}

#[test]
fn urldecode_parts_shows_user_password_unicode_host_port_and_fragment() {
    let run = Lab::new()
        .cmd([
            "urldecode",
            "-p",
            "http://us%20er:p%40ss@xn--fiqs8s.cn:8080/a?x=1&x=2+3#fr%C3%A9",
        ])
        .run();
    run.success();
    for row in [
        "user      us er\n",
        "password  p@ss\n",
        "host      中国.cn (punycode xn--fiqs8s.cn)\n",
        "port      8080\n",
        "  x = 1\n  x = 2 3\n",
        "fragment  fré\n",
    ] {
        run.stdout_has(row);
    }
}

#[test]
fn urldecode_accepts_a_bare_query_and_plain_text() {
    let run = Lab::new()
        .cmd([
            "urldecode",
            "-p",
            "wd=python%E6%95%99%E7%A8%8B&rn=20",
            "hello%20world",
        ])
        .run();
    run.success()
        .stdout_has("query     wd=python教程&rn=20\n  wd = python教程\n  rn = 20\n")
        .stdout_has("text      hello world\n");
}

#[test]
fn urldecode_as_overrides_the_guess() {
    let run = Lab::new()
        .cmd(["urldecode", "-p", "--as", "text", NEWS])
        .run();
    run.success()
        .stdout_has("text      http://news.baidu.com/ns?cl=2&rn=20&tn=news&word=测试\n");
    let run = Lab::new()
        .cmd(["urldecode", "--json", "--as", "query", "a=1&b=%41"])
        .run();
    assert_eq!(
        json_lines(&run.stdout())[0]["params"],
        serde_json::json!([["a", "1"], ["b", "A"]])
    );
}

#[test]
fn urldecode_json_has_standard_and_decoded_components() {
    let run = Lab::new().cmd(["urldecode", "--json", BAIDU, NEWS]).run();
    run.success();
    let lines = json_lines(&run.stdout());
    assert_eq!(lines.len(), 2);
    let baidu = &lines[0];
    assert_eq!(baidu["href"], BAIDU);
    assert_eq!(baidu["protocol"], "https:");
    assert_eq!(baidu["host"], "www.baidu.com");
    assert_eq!(baidu["hostname"], "www.baidu.com");
    assert_eq!(baidu["port"], "");
    assert_eq!(baidu["pathname"], "/s");
    assert_eq!(baidu["search"], "?wd=python%E6%95%99%E7%A8%8B");
    assert_eq!(baidu["hash"], "");
    assert_eq!(baidu["path"], "/s");
    assert_eq!(baidu["query"], "wd=python教程");
    assert_eq!(baidu["fragment"], Value::Null);
    assert_eq!(baidu["charset"], "UTF-8");
    assert_eq!(baidu["effective_port"], 443);
    assert_eq!(baidu["params"], serde_json::json!([["wd", "python教程"]]));
    assert_eq!(
        lines[1]["params"],
        serde_json::json!([["cl", "2"], ["rn", "20"], ["tn", "news"], ["word", "测试"]])
    );
}

#[test]
fn urldecode_json_stays_valid_for_bytes_that_are_not_text() {
    // Raw invalid UTF-8, escapes of invalid UTF-8, controls and quotes, from stdin.
    let input: &[u8] = b"http://h/\xff\xfe?q=%E6%95&c=%1b%22%5C\x01\nplain \xc3\x28 text\n";
    let run = Lab::new().cmd(["urldecode", "--json"]).stdin(input).run();
    run.success();
    let lines = json_lines(&run.stdout());
    assert_eq!(lines.len(), 2, "{}", run.context());
    assert_eq!(lines[0]["params"][0][1], "\u{FFFD}");
    assert_eq!(lines[0]["params"][1][1], "\u{1b}\"\\");
    assert_eq!(lines[0]["lossy"], true);
    assert!(lines[1]["input"].as_str().unwrap().contains('\u{FFFD}'));
}

#[test]
fn urldecode_base_resolves_like_a_browser() {
    Lab::new()
        .cmd([
            "urldecode",
            "--base",
            "https://example.org/a/b",
            "../c?x=%41",
            "d#%E2%9C%93",
        ])
        .run()
        .success()
        .stdout_is("https://example.org/c?x=A\nhttps://example.org/a/d#✓\n");
}

#[test]
fn urldecode_get_prints_one_part_per_input() {
    let lab = Lab::new();
    let url = "https://u%20s:p%40w@xn--fiqs8s.cn:8443/a%20b?x=1&y=%E6%B5%8B&x=2+3#f%C3%A9";
    for (part, expected) in [
        ("scheme", "https\n"),
        ("user", "u s\n"),
        ("password", "p@w\n"),
        ("host", "中国.cn\n"),
        ("port", "8443\n"),
        ("path", "/a b\n"),
        ("query", "x=1&y=测&x=2+3\n"),
        ("fragment", "fé\n"),
        ("param:x", "1\n"),
        ("param:y", "测\n"),
        ("param-all:x", "1\n2 3\n"),
        ("param:missing", "\n"),
    ] {
        lab.cmd(["urldecode", "--get", part, url])
            .run()
            .success()
            .stdout_is(expected);
    }
    lab.cmd(["urldecode", "--get", "port", "http://a/"])
        .run()
        .success()
        .stdout_is("80\n");
    lab.cmd(["urldecode", "--get", "colour", url])
        .run()
        .fails_with(2, "unknown part `colour`");
}

#[test]
fn urldecode_form_makes_plus_a_space_and_params_always_do() {
    let lab = Lab::new();
    lab.cmd(["urldecode", "a+b%2B"])
        .run()
        .success()
        .stdout_is("a+b+\n");
    lab.cmd(["urldecode", "--form", "a+b%2B"])
        .run()
        .success()
        .stdout_is("a b+\n");
    lab.cmd(["urldecode", "--form"])
        .stdin("a+b\n")
        .run()
        .success()
        .stdout_is("a b\n");
    lab.cmd(["urldecode", "--get", "param:q", "http://h/?q=a+b"])
        .run()
        .success()
        .stdout_is("a b\n");
}

#[test]
fn urldecode_charset_gbk_and_auto_decode_legacy_bytes() {
    let lab = Lab::new();
    let gbk = "https://www.baidu.com/s?wd=%D6%D0%CE%C4";
    for charset in ["gbk", "auto"] {
        lab.cmd(["urldecode", "--charset", charset, gbk])
            .run()
            .success()
            .stdout_is("https://www.baidu.com/s?wd=中文\n")
            .stderr_empty();
    }
    let run = lab
        .cmd(["urldecode", "--charset", "auto", "--json", gbk])
        .run();
    assert_eq!(json_lines(&run.stdout())[0]["charset"], "gb18030");
    // A charset the URL names wins over the GB18030 guess.
    lab.cmd([
        "urldecode",
        "--charset",
        "auto",
        "--get",
        "param:q",
        "http://h/?ie=shift_jis&q=%82%A0",
    ])
    .run()
    .success()
    .stdout_is("あ\n");
    lab.cmd(["urldecode", "-p", "--charset", "big5", "q=%A4%A4%A4%E5"])
        .run()
        .success()
        .stdout_has("  q = 中文\n")
        .stdout_has("charset   Big5\n");
    lab.cmd(["urldecode", "--charset", "klingon", "x"])
        .run()
        .fails_with(2, "unknown charset `klingon`");
}

#[test]
fn urldecode_keeps_an_invalid_escape_and_warns_with_its_offset() {
    Lab::new()
        .cmd(["urldecode", "100%", "a%zzb"])
        .run()
        .success()
        .stdout_is("100%\na%zzb\n")
        .stderr_has("netlab: warning: input 1: invalid percent escape `%` at byte 3 (kept as is)")
        .stderr_has(
            "netlab: warning: input 2: invalid percent escape `%zz` at byte 1 (kept as is)",
        );
}

#[test]
fn urldecode_replaces_invalid_utf8_and_warns_with_its_offset() {
    Lab::new()
        .cmd(["urldecode", "ab%E6%95x"])
        .run()
        .success()
        .stdout_is("ab\u{FFFD}x\n")
        .stderr_has("netlab: warning: input 1: invalid UTF-8 at byte 2 (shown as U+FFFD)");
}

#[test]
fn urldecode_stream_warnings_name_the_line() {
    let mut input = "fine%20line\n".repeat(5000);
    input.push_str("bad%zz\n");
    Lab::new()
        .cmd(["urldecode"])
        .stdin(input)
        .run()
        .success()
        .stderr_has("input 5001: invalid percent escape `%zz` at byte 3");
}

#[test]
fn urldecode_strict_makes_bad_input_an_error_and_stops() {
    let lab = Lab::new();
    let run = lab
        .cmd(["urldecode", "--strict", "ok%20", "bad%zz", "never"])
        .run();
    run.fails_with(2, "input 2: invalid percent escape `%zz` at byte 3");
    assert_eq!(
        run.stdout(),
        "ok \n",
        "stops at the bad input\n{}",
        run.context()
    );
    lab.cmd(["urldecode", "--strict", "%FF"])
        .run()
        .fails_with(2, "input 1: invalid UTF-8 at byte 0");
    lab.cmd(["urldecode", "--strict"])
        .stdin("a\n%C3%28\nc\n")
        .run()
        .fails_with(2, "input 2: invalid UTF-8 at byte 0");
}

#[test]
fn urldecode_parts_escapes_control_characters() {
    let run = Lab::new()
        .cmd(["urldecode", "-p", "http://h/?a=%1b[31mred%00%0d%E2%80%AE"])
        .run();
    run.success()
        .stdout_has("  a = \\x1b[31mred\\0\\r\\u{202e}\n");
    assert!(
        !run.stdout
            .iter()
            .any(|&b| b == 0x1b || b == 0 || b == b'\r'),
        "raw control bytes in --parts output\n{}",
        run.context()
    );
}

#[test]
fn urldecode_as_url_refuses_what_is_not_a_url() {
    Lab::new()
        .cmd(["urldecode", "--as", "url", "not a url"])
        .run()
        .fails_with(2, "input 1: not a valid URL: relative URL without a base");
    Lab::new()
        .cmd(["urldecode", "--base", "::nope", "x"])
        .run()
        .fails_with(2, "--base ::nope");
}

#[test]
fn urldecode_streams_stdin_lines_with_crlf_and_a_last_line_without_newline() {
    Lab::new()
        .cmd(["urldecode"])
        .stdin("a%20b\r\nc%2Fd\n\n%E6%95%99")
        .run()
        .success()
        .stdout_is("a b\nc/d\n\n教\n");
    Lab::new()
        .cmd(["urldecode"])
        .stdin("")
        .run()
        .success()
        .stdout_is("");
}

#[test]
fn urldecode_handles_a_ten_megabyte_line() {
    let line = "%E6%95%99".repeat(10 * 1024 * 1024 / 9);
    let run = Lab::new()
        .cmd(["urldecode"])
        .stdin(format!("{line}\nsmall%21\n"))
        .run();
    run.success();
    let expected = "教".repeat(10 * 1024 * 1024 / 9);
    assert!(
        run.stdout() == format!("{expected}\nsmall!\n"),
        "10 MB line decoded wrong"
    );
}

#[test]
fn urldecode_fast_and_careful_paths_agree_on_a_mixed_stream() {
    // Chunks with and without problems go different ways; the output must not show it.
    let mut input = String::new();
    let mut expected = String::new();
    for i in 0..20000 {
        if i % 997 == 0 {
            input.push_str("bad%zz%E6\r\n");
            expected.push_str("bad%zz\u{FFFD}\n");
        } else {
            input.push_str("https://h/s?wd=python%E6%95%99%E7%A8%8B&n=1+2\r\n");
            expected.push_str("https://h/s?wd=python教程&n=1+2\n");
        }
    }
    let run = Lab::new().cmd(["urldecode"]).stdin(input).run();
    run.success();
    assert!(run.stdout() == expected, "outputs differ");
}

#[test]
fn urldecode_broken_pipe_exits_quietly() {
    // `netlab urldecode < big | head -1`: the reader goes away after one line.
    let lab = Lab::new();
    let big = lab.write("big.txt", format!("{BAIDU}\n").repeat(200_000));
    let mut child = Command::new(harness::bin())
        .arg("urldecode")
        .stdin(std::fs::File::open(&big).unwrap())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert_eq!(first, "https://www.baidu.com/s?wd=python教程\n");
    drop(stdout);
    let status = harness::wait_timeout(&mut child, WAIT).expect("exits after its reader left");
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(status.success(), "exit {status}, stderr {stderr:?}");
    assert_eq!(stderr, "");
}

#[test]
fn urlencode_component_form_path_and_charset() {
    let lab = Lab::new();
    lab.cmd(["urlencode", "python教程"])
        .run()
        .success()
        .stdout_is("python%E6%95%99%E7%A8%8B\n");
    lab.cmd(["urlencode", "a b&c=d/e?!'()*~"])
        .run()
        .success()
        .stdout_is("a%20b%26c%3Dd%2Fe%3F!'()*~\n");
    lab.cmd(["urlencode", "--form", "a b&c"])
        .run()
        .success()
        .stdout_is("a+b%26c\n");
    lab.cmd(["urlencode", "--path", "/docs/教程 1.txt"])
        .run()
        .success()
        .stdout_is("/docs/%E6%95%99%E7%A8%8B%201.txt\n");
    lab.cmd(["urlencode", "--charset", "gbk", "中文"])
        .run()
        .success()
        .stdout_is("%D6%D0%CE%C4\n");
    lab.cmd(["urlencode"])
        .stdin("a b\r\n中\n")
        .run()
        .success()
        .stdout_is("a%20b\n%E4%B8%AD\n");
}

#[test]
fn urlencode_refuses_what_the_charset_cannot_write() {
    Lab::new()
        .cmd(["urlencode", "--charset", "gbk", "ok", "😀"])
        .run()
        .fails_with(2, "input 2: `😀` (U+1F600) cannot be written in GBK");
    Lab::new()
        .cmd(["urlencode"])
        .stdin(b"\xff\n".to_vec())
        .run()
        .fails_with(2, "input 1: not UTF-8 text");
}

#[test]
fn urldecode_reverses_urlencode_through_the_binary() {
    let lab = Lab::new();
    let texts = [
        "python教程",
        "a b&c=d+e/f?g#h",
        "%41 100%",
        "naïve café 😀",
        "中文",
    ];
    for charset in ["utf-8", "gb18030"] {
        for set in [None, Some("--form"), Some("--path")] {
            let mut args = vec!["urlencode", "--charset", charset];
            args.extend(set);
            args.extend(texts);
            let encoded = lab.cmd(&args).run();
            encoded.success();
            let mut decode = vec!["urldecode", "--charset", charset];
            if set == Some("--form") {
                decode.push("--form");
            }
            let decoded = lab.cmd(&decode).stdin(encoded.stdout()).run();
            decoded
                .success()
                .stdout_is(&format!("{}\n", texts.join("\n")));
        }
    }
}

#[test]
fn urldecode_with_no_input_on_a_closed_stdin_prints_nothing() {
    let mut child = Command::new(harness::bin())
        .arg("urldecode")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"").unwrap();
    let status = harness::wait_timeout(&mut child, WAIT).unwrap();
    assert!(status.success());
}

#[test]
fn urldecode_never_writes_control_characters_raw_to_a_terminal() {
    let lab = Lab::new();
    for args in [
        vec!["urldecode", "a%1b[2Jb%07c"],
        vec!["urldecode", "--get", "param:q", "http://h/?q=a%1b[2Jb%07c"],
    ] {
        let Some(run) = lab.in_terminal(&args) else {
            return;
        };
        run.success().stdout_has("a\\x1b[2Jb\\x07c");
        assert!(
            !run.stdout.contains(&0x1b),
            "raw ESC on the terminal\n{}",
            run.context()
        );
    }
    // Piped, the decoded bytes are data and go out as they are.
    let run = lab.cmd(["urldecode", "a%1bb"]).run();
    assert_eq!(run.stdout, b"a\x1bb\n");
}
