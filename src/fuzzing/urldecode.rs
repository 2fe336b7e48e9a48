//! `urldecode` in every mode, on any input.

use crate::cli::{InputKind, UrldecodeArgs};
use crate::url::Session;

const PARTS: [&str; 11] = [
    "scheme",
    "user",
    "password",
    "host",
    "port",
    "path",
    "query",
    "fragment",
    "param:wd",
    "param-all:a",
    // An empty name (`param:`) is a usage error now; the slot stays, so corpora keep meaning.
    "param:a",
];
const CHARSETS: [&str; 5] = ["utf-8", "auto", "gbk", "shift_jis", "latin1"];

/// The `urldecode` flags two selector bytes stand for.
pub fn urldecode_args(mode: u8, flags: u8) -> UrldecodeArgs {
    let kind = match (flags >> 4) & 3 {
        0 => None,
        1 => Some(InputKind::Url),
        2 => Some(InputKind::Query),
        _ => Some(InputKind::Text),
    };
    let base = (flags & 0x40 != 0 && kind.is_none_or(|k| k == InputKind::Url))
        .then(|| "https://example.org/a/b?c#d".to_string());
    UrldecodeArgs {
        inputs: Vec::new(),
        parts: mode % 4 == 1,
        json: mode % 4 == 2,
        get: (mode % 4 == 3).then(|| PARTS[usize::from(mode >> 2) % PARTS.len()].to_string()),
        base,
        form: flags & 1 != 0,
        charset: CHARSETS[usize::from(flags >> 1) % CHARSETS.len()].to_string(),
        strict: flags & 0x80 != 0,
        kind,
    }
}

/// The fuzz target for `urldecode`. Two selector bytes pick the mode (plain, `--parts`, `--json`,
/// `--get PART`), `--form`, `--charset`, `--as`, `--base`, `--strict` and whether stdout is a
/// terminal; the rest is the input, one per line.
///
/// Checked: no panic; an error only where one is promised (`--strict`, or a URL required and not
/// given), always exit 2; the output is UTF-8; with `--json` each input gives one line that
/// serde_json parses as an object; on a terminal and in `--parts`, no control character or
/// bidirectional override is printed raw; and in the plain mode, stdin's one-pass fast path
/// prints exactly what decoding line by line prints.
pub fn urldecode(data: &[u8]) {
    let [mode, flags, terminal_bit, input @ ..] = data else {
        return;
    };
    crate::log::init(true, false);
    let args = urldecode_args(*mode, *flags);
    let terminal = terminal_bit & 1 == 1;
    let mut session = Session::from_args(&args, terminal).expect("the fuzzer's flags are valid");
    // What stdin would deliver: whole lines, a last one without `\n` given one.
    let mut chunk = input.to_vec();
    if !chunk.is_empty() && !chunk.ends_with(b"\n") {
        chunk.push(b'\n');
    }
    let lines: Vec<&[u8]> = chunk
        .strip_suffix(b"\n")
        .map(|body| {
            body.split(|&b| b == b'\n')
                .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
                .collect()
        })
        .unwrap_or_default();
    let mut ok_inputs = 0;
    let mut failed = false;
    for line in &lines {
        match session.input(line) {
            Ok(()) => ok_inputs += 1,
            Err(err) => {
                let code = crate::exit::code_of(&err);
                assert_eq!(code, Some(crate::exit::Code::Usage), "{err:#}");
                let allowed =
                    args.strict || args.base.is_some() || args.kind == Some(InputKind::Url);
                assert!(allowed, "error without --strict or a required URL: {err:#}");
                failed = true;
                break;
            }
        }
    }
    let out = std::mem::take(&mut session.out);
    let text = std::str::from_utf8(&out).unwrap_or_else(|err| {
        panic!(
            "output is not UTF-8: {err}: {:?}",
            String::from_utf8_lossy(&out)
        )
    });
    if args.json {
        let objects: Vec<&str> = text.lines().collect();
        assert_eq!(
            objects.len(),
            ok_inputs,
            "one JSON line per input: {text:?}"
        );
        for line in objects {
            let value: serde_json::Value = serde_json::from_str(line)
                .unwrap_or_else(|err| panic!("--json printed invalid JSON ({err}): {line:?}"));
            assert!(value.is_object(), "--json printed a non-object: {line:?}");
        }
    }
    if terminal || args.parts {
        let risky = text.chars().find(|&c| {
            (c.is_control() && c != '\n')
                || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        });
        assert!(
            risky.is_none() || args.json,
            "{risky:?} printed raw to a terminal: {text:?}"
        );
    }
    if !failed && !args.parts && !args.json && args.get.is_none() && !lines.is_empty() {
        let mut stream = Session::from_args(&args, terminal).expect("valid flags");
        stream
            .chunk(&chunk)
            .expect("the same inputs decoded line by line");
        assert_eq!(
            String::from_utf8_lossy(&stream.out),
            text,
            "stdin's fast path and line-by-line decoding differ"
        );
    }
}
