//! The checks behind netlab's fuzz targets (`fuzz/`), their corpus replay on stable
//! (`tests/it/fuzz_corpus.rs`) and the property tests (`tests/it/properties.rs`): each takes arbitrary
//! bytes, runs one part of netlab on them in memory, and panics when a promise is broken. Written
//! once here so the fuzzer and `cargo test` check exactly the same things.
//!
//! Not part of netlab's interface: compiled only with the `fuzzing` feature (which `cargo test`
//! and `fuzz/` turn on), may change at any time.

use std::fs;
use std::io::{self, Read};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::cli::{InputKind, UrldecodeArgs};
use crate::url::Session;
use crate::web::conn::{self, ConnStats, Duplex};
use crate::web::files::{self, Found, Root};
use crate::web::range::{Ranged, parse_range};
use crate::web::{Mode, Page, Site};

/// Bytes of `big.bin` in the fixture: more than [`files::SMALL_FILE`], so it takes the
/// `send_file` path rather than the in-memory one.
pub const BIG: usize = files::SMALL_FILE + 4096;

/// A served directory with the awkward cases in it, and the sites the web checks run against.
pub struct Fixture {
    /// The served root (`base/site`).
    pub root: PathBuf,
    /// Directory mode, default flags.
    pub dir: Site,
    /// Directory mode with `--hidden --cors --no-listing`.
    pub dir_hidden: Site,
    /// `--page`.
    pub page: Site,
    /// `--echo`.
    pub echo: Site,
}

impl Fixture {
    /// Lay the fixture out under `base` (which must exist and be empty) and open its sites.
    ///
    /// `base/site` holds small and large files, an empty file, a non-ASCII name, a dotfile, a
    /// precompressed sibling, a directory with an index and one without, a FIFO, and symlinks
    /// that stay inside (relative and absolute), lead out (to a file and to a directory beside
    /// the root, `base/outside`) or loop. A promise broken here is broken for every user.
    pub fn create(base: &Path) -> io::Result<Fixture> {
        let site = base.join("site");
        let outside = base.join("outside");
        fs::create_dir_all(site.join("d/sub"))?;
        fs::create_dir_all(site.join("docs"))?;
        fs::create_dir_all(&outside)?;
        fs::write(outside.join("secret"), "SECRET outside the root\n")?;
        fs::write(site.join("a.txt"), "alpha\n")?;
        fs::write(site.join("empty.txt"), "")?;
        fs::write(site.join("big.bin"), vec![b'b'; BIG])?;
        fs::write(site.join("教程.txt"), "jiaocheng\n")?;
        fs::write(site.join(".env"), "HIDDEN=1\n")?;
        fs::write(site.join("e.html"), "<p>e</p>\n")?;
        fs::write(site.join("e.html.gz"), b"\x1f\x8b not really gzip")?;
        fs::write(site.join("d/x.txt"), "x\n")?;
        fs::write(site.join("d/sub/y.json"), "{}\n")?;
        fs::write(site.join("docs/index.html"), "<h1>docs</h1>\n")?;
        let link = |to: &Path, name: &str| std::os::unix::fs::symlink(to, site.join(name));
        link(&outside.join("secret"), "out")?;
        link(Path::new("../outside/secret"), "out-rel")?;
        link(Path::new("../outside"), "outdir")?;
        link(Path::new("a.txt"), "in")?;
        link(&site.join("a.txt"), "abs-in")?;
        link(Path::new("../a.txt"), "d/up")?;
        link(Path::new("loop"), "loop")?;
        nix::unistd::mkfifo(&site.join("fifo"), nix::sys::stat::Mode::S_IRWXU)
            .map_err(io::Error::from)?;
        let open = |path: &Path| Root::new(path).map_err(|err| io::Error::other(err.to_string()));
        let mut dir_hidden = Site::new(Mode::Dir(open(&site)?));
        dir_hidden.hidden = true;
        dir_hidden.cors = true;
        dir_hidden.listing = false;
        let page = Page::new(b"<p>the page</p>\n".to_vec(), Path::new("page.html"), 1);
        Ok(Fixture {
            dir: Site::new(Mode::Dir(open(&site)?)),
            dir_hidden,
            page: Site::new(Mode::Page(page)),
            echo: Site::new(Mode::Echo),
            root: fs::canonicalize(&site)?,
        })
    }

    /// One fixture per process in the system's temporary directory (for the fuzz targets, which
    /// have no test harness to clean up after them). Logging is switched off: a fuzzer runs
    /// millions of requests.
    pub fn shared() -> &'static Fixture {
        static FIXTURE: OnceLock<Fixture> = OnceLock::new();
        FIXTURE.get_or_init(|| {
            crate::log::init(true, false);
            let base = std::env::temp_dir().join(format!("netlab-fuzz-{}", std::process::id()));
            let _ = fs::remove_dir_all(&base);
            fs::create_dir_all(&base).expect("create the fuzz fixture directory");
            Fixture::create(&base).expect("lay out the fuzz fixture")
        })
    }

    fn site(&self, selector: u8) -> &Site {
        match selector % 4 {
            0 => &self.dir,
            1 => &self.dir_hidden,
            2 => &self.page,
            _ => &self.echo,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// web: the connection handler
// ---------------------------------------------------------------------------------------------

/// A reader that hands out its bytes at most `step` at a time, or in two reads split at `at`:
/// how a slow or unlucky network delivers a request.
pub struct Trickle<'a> {
    data: &'a [u8],
    pos: usize,
    step: usize,
    split: Option<usize>,
}

impl<'a> Trickle<'a> {
    /// At most `step` bytes a read (`step` ≥ 1).
    pub fn new(data: &'a [u8], step: usize) -> Trickle<'a> {
        Trickle {
            data,
            pos: 0,
            step: step.max(1),
            split: None,
        }
    }

    /// Everything up to `at` in the first reads, the rest after.
    pub fn split_at(data: &'a [u8], at: usize) -> Trickle<'a> {
        Trickle {
            data,
            pos: 0,
            step: usize::MAX,
            split: Some(at.min(data.len())),
        }
    }
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut end = self.data.len().min(self.pos.saturating_add(self.step));
        if let Some(at) = self.split
            && self.pos < at
        {
            end = end.min(at);
        }
        let n = (end - self.pos).min(buf.len());
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Serve `input` as one connection to `site` and return what the server wrote.
pub fn serve_bytes(site: &Site, input: impl Read) -> (Vec<u8>, ConnStats) {
    let mut duplex = Duplex::new(input, Vec::new());
    let stats = conn::handle(&mut duplex, "fuzz", site, &|| false);
    (duplex.output, stats)
}

/// The fuzz target for the connection handler. The first byte picks the site (directory,
/// directory with `--hidden --cors --no-listing`, page, echo) and how the bytes arrive (whole,
/// or a few at a time); the rest is what the client sends: heads, bodies, pipelined requests.
///
/// Checked: no panic; every byte written is a well-formed HTTP/1.1 response (see
/// [`check_responses`]); the server's byte counts match what it wrote and read; bytes that
/// arrive a few at a time get the same answer as in one piece; a file outside the root never
/// appears in an answer.
pub fn web_conn(fixture: &Fixture, data: &[u8]) {
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    let site = fixture.site(selector);
    let step = [usize::MAX, 1, 2, 3, 7, 64, 512, 4096][usize::from(selector >> 2) % 8];
    let (out, stats) = serve_bytes(site, Trickle::new(input, step));
    if let Err(why) = check_responses(input, &out) {
        panic!(
            "{why}\n--- request ---\n{}\n--- response ---\n{}",
            String::from_utf8_lossy(input).escape_debug(),
            String::from_utf8_lossy(&out[..out.len().min(4096)]).escape_debug()
        );
    }
    assert_eq!(stats.bytes_out, out.len() as u64, "bytes_out miscounted");
    if step != usize::MAX {
        // However the bytes arrive, the answer is the same as to the request in one piece.
        let (whole, _) = serve_bytes(site, input);
        assert!(
            without_dates(&whole) == without_dates(&out),
            "{step} bytes a read changed the answer\n--- request ---\n{}\n--- whole ---\n{}\n--- in pieces ---\n{}",
            String::from_utf8_lossy(input).escape_debug(),
            String::from_utf8_lossy(&whole[..whole.len().min(2048)]).escape_debug(),
            String::from_utf8_lossy(&out[..out.len().min(2048)]).escape_debug(),
        );
    }
    assert!(stats.bytes_in <= input.len() as u64, "bytes_in overcounted");
    if !matches!(site.mode, Mode::Echo) {
        assert!(
            !contains(&out, b"SECRET outside the root"),
            "a file outside the root was served"
        );
    }
}

/// One response as the client reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    /// `Content-Length`, when sent.
    pub length: Option<u64>,
    /// The body bytes that followed the head (0 for HEAD, 1xx, 204 and 304).
    pub body: usize,
}

/// Parse everything a connection wrote as a sequence of HTTP/1.1 responses, as a client would.
///
/// Every response must parse with httparse; carry `Date` and `Server`; never use
/// `Transfer-Encoding`; carry exactly one `Content-Length` (unless 1xx, 204 or 304, which have
/// no body) and be followed by exactly that many body bytes — or by none, for an answer to HEAD
/// (no more such answers than `HEAD` requests in `requests`); have a `Content-Range` that agrees
/// for 206 and 416; and the output must end exactly at the end of a response.
pub fn check_responses(requests: &[u8], out: &[u8]) -> Result<Vec<Response>, String> {
    let heads_allowed = count(requests, b"HEAD ");
    let mut failed = vec![false; out.len() + 1];
    let mut found = Vec::new();
    let mut why = String::from("no response parsed");
    if walk(out, 0, &mut failed, &mut found, &mut why) {
        found.reverse();
        let head_only = found
            .iter()
            .filter(|r| r.body == 0 && r.length.is_some_and(|n| n > 0))
            .count();
        if head_only > heads_allowed {
            return Err(format!(
                "{head_only} responses without their body, but only {heads_allowed} HEAD requests"
            ));
        }
        Ok(found)
    } else {
        Err(why)
    }
}

/// Depth-first over where each response's body ends (full body, or none for HEAD), remembering
/// positions that lead nowhere: linear in the output.
fn walk(
    out: &[u8],
    pos: usize,
    failed: &mut [bool],
    found: &mut Vec<Response>,
    why: &mut String,
) -> bool {
    if pos == out.len() {
        return true;
    }
    if failed[pos] {
        return false;
    }
    let (head_len, response) = match parse_head(&out[pos..]) {
        Ok(parsed) => parsed,
        Err(err) => {
            *why = format!("at byte {pos}: {err}");
            failed[pos] = true;
            return false;
        }
    };
    let after_head = pos + head_len;
    let mut bodies = vec![0];
    if let Some(n) = response.length
        && n > 0
        && let Ok(n) = usize::try_from(n)
        && after_head + n <= out.len()
    {
        bodies.insert(0, n);
    }
    for body in bodies {
        if walk(out, after_head + body, failed, found, why) {
            found.push(Response { body, ..response });
            return true;
        }
    }
    if response
        .length
        .is_some_and(|n| n as usize > out.len() - after_head)
    {
        *why = format!("at byte {pos}: body shorter than Content-Length");
    }
    failed[pos] = true;
    false
}

/// One response head: its length and what it says.
fn parse_head(buf: &[u8]) -> Result<(usize, Response), String> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut response = httparse::Response::new(&mut headers);
    let head_len = match response.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Err("incomplete response head".into()),
        Err(err) => return Err(format!("response head does not parse: {err}")),
    };
    let status = response.code.ok_or("no status")?;
    if response.version != Some(1) {
        return Err("not HTTP/1.1".into());
    }
    let get = |name: &str| {
        response
            .headers
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value)
            .collect::<Vec<_>>()
    };
    if status == 100 {
        return Ok((
            head_len,
            Response {
                status,
                length: None,
                body: 0,
            },
        ));
    }
    if get("Date").len() != 1 || get("Server").len() != 1 {
        return Err(format!("{status}: not exactly one Date and one Server"));
    }
    if !get("Transfer-Encoding").is_empty() {
        return Err(format!("{status}: Transfer-Encoding in a response"));
    }
    let lengths = get("Content-Length");
    let length = match (status, lengths.as_slice()) {
        (204 | 304, []) => None,
        (204 | 304, _) => return Err(format!("{status} with a Content-Length")),
        (_, [one]) => Some(
            std::str::from_utf8(one)
                .ok()
                .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|s| s.parse::<u64>().ok())
                .ok_or_else(|| format!("{status}: bad Content-Length {one:?}"))?,
        ),
        (_, many) => return Err(format!("{status}: {} Content-Length headers", many.len())),
    };
    let range = get("Content-Range");
    match (status, range.as_slice()) {
        (206, [value]) => {
            let text = std::str::from_utf8(value).unwrap_or("");
            let parsed = text.strip_prefix("bytes ").and_then(|rest| {
                let (span, total) = rest.split_once('/')?;
                let (a, b) = span.split_once('-')?;
                Some((
                    a.parse::<u64>().ok()?,
                    b.parse::<u64>().ok()?,
                    total.parse::<u64>().ok()?,
                ))
            });
            match parsed {
                Some((a, b, total)) if a <= b && b < total && Some(b - a + 1) == length => {}
                _ => {
                    return Err(format!(
                        "206 with Content-Range {text:?} and length {length:?}"
                    ));
                }
            }
        }
        (206, _) => return Err("206 without one Content-Range".into()),
        (416, [value]) if value.starts_with(b"bytes */") => {}
        (416, _) => return Err("416 without `Content-Range: bytes */LEN`".into()),
        _ => {}
    }
    Ok((
        head_len,
        Response {
            status,
            length,
            body: 0,
        },
    ))
}

/// The output with every `Date:` value blanked, so two runs can be compared.
pub fn without_dates(out: &[u8]) -> Vec<u8> {
    let mut copy = out.to_vec();
    let needle = b"\r\nDate: ";
    let mut at = 0;
    while let Some(i) = find(&copy[at..], needle) {
        let start = at + i + needle.len();
        let end = (start + 29).min(copy.len());
        copy[start..end].fill(b'-');
        at = end;
    }
    copy
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(haystack, needle)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    find(haystack, needle).is_some()
}

fn count(haystack: &[u8], needle: &[u8]) -> usize {
    memchr::memmem::find_iter(haystack, needle).count()
}

// ---------------------------------------------------------------------------------------------
// web: from a request target to a file
// ---------------------------------------------------------------------------------------------

/// The fuzz target for path resolution. The first byte's low bit is `--hidden`; the rest is a
/// request target. Checked: a target is refused (400 or 404) or decodes to a relative path with
/// no `.`/`..`/empty segment, NUL or backslash (and no dotfile without `--hidden`); opening that
/// path beneath the root is refused (403/404) or gives a file or directory that really is inside
/// the root (as the kernel names it in `/proc/self/fd`).
pub fn path_resolution(fixture: &Fixture, data: &[u8]) {
    let Some((&flags, target)) = data.split_first() else {
        return;
    };
    let target = String::from_utf8_lossy(target);
    if let Some(why) = resolve_escapes(fixture, &target, flags & 1 == 1) {
        panic!("{why}: target {target:?}");
    }
}

/// What is wrong with how `target` resolves, if anything (see [`path_resolution`]).
pub fn resolve_escapes(fixture: &Fixture, target: &str, hidden: bool) -> Option<String> {
    let parsed = match files::parse_target(target, hidden) {
        Ok(parsed) => parsed,
        Err(reject) if matches!(reject.status, 400 | 404) => return None,
        Err(reject) => return Some(format!("refused with {}", reject.status)),
    };
    let rel = &parsed.rel;
    if rel.starts_with(b"/") || rel.contains(&0) || rel.contains(&b'\\') {
        return Some(format!("decoded to {:?}", String::from_utf8_lossy(rel)));
    }
    if !rel.is_empty()
        && rel.split(|&b| b == b'/').any(|segment| {
            segment.is_empty()
                || segment == b"."
                || segment == b".."
                || (!hidden && segment.starts_with(b"."))
        })
    {
        return Some(format!("decoded to {:?}", String::from_utf8_lossy(rel)));
    }
    let Mode::Dir(root) = &fixture.dir.mode else {
        unreachable!("the fixture's dir site serves a directory");
    };
    let file = match root.open(rel) {
        Ok(Found::File(file, _) | Found::Dir(file, _)) => file,
        Err(reject) if matches!(reject.status, 403 | 404) => return None,
        Err(reject) => return Some(format!("open refused with {}", reject.status)),
    };
    let real = fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd())).ok()?;
    if !real.starts_with(&fixture.root) {
        return Some(format!("opened {} outside the root", real.display()));
    }
    None
}

// ---------------------------------------------------------------------------------------------
// web: Range
// ---------------------------------------------------------------------------------------------

/// The fuzz target for `Range`. The first byte picks the representation's length (0 to 63, or
/// 1000, or a huge one); the rest is the header value. Checked: the answer is "ignore", 416 (only
/// for a non-empty representation), or one range with start ≤ end < length; and a plain
/// `bytes=A-B`, `bytes=A-`, `bytes=-N` gives exactly what RFC 9110 says.
pub fn range(data: &[u8]) {
    let Some((&selector, value)) = data.split_first() else {
        return;
    };
    let len = match selector >> 6 {
        0 | 1 => u64::from(selector & 63),
        2 => 1000,
        _ => u64::MAX - u64::from(selector & 63),
    };
    if let Err(why) = check_range(value, len) {
        panic!(
            "{why}: Range {:?} on {len} bytes",
            String::from_utf8_lossy(value)
        );
    }
}

/// What is wrong with `parse_range(value, len)`, if anything (see [`range`]).
pub fn check_range(value: &[u8], len: u64) -> Result<(), String> {
    let got = parse_range(value, len);
    match got {
        Ranged::Full => {}
        Ranged::Unsatisfiable if len == 0 => return Err("416 for an empty file".into()),
        Ranged::Unsatisfiable => {}
        Ranged::Partial { start, end } if start <= end && end < len => {}
        Ranged::Partial { start, end } => return Err(format!("range {start}-{end}")),
    }
    if let Some(expected) = simple_range(value, len)
        && expected != got
    {
        return Err(format!("got {got:?}, RFC 9110 says {expected:?}"));
    }
    Ok(())
}

/// The answer for the simplest forms, computed the obvious way (an oracle for [`check_range`]).
fn simple_range(value: &[u8], len: u64) -> Option<Ranged> {
    let spec = std::str::from_utf8(value.strip_prefix(b"bytes=")?).ok()?;
    let (a, b) = spec.split_once('-')?;
    let digits = |s: &str| !s.is_empty() && s.len() < 19 && s.bytes().all(|c| c.is_ascii_digit());
    if len == 0 {
        return None;
    }
    if a.is_empty() {
        if !digits(b) {
            return None;
        }
        let n: u64 = b.parse().ok()?;
        return Some(if n == 0 {
            Ranged::Unsatisfiable
        } else {
            Ranged::Partial {
                start: len.saturating_sub(n),
                end: len - 1,
            }
        });
    }
    if !digits(a) || !(b.is_empty() || digits(b)) {
        return None;
    }
    let start: u64 = a.parse().ok()?;
    let end: u64 = if b.is_empty() {
        u64::MAX
    } else {
        b.parse().ok()?
    };
    Some(if end < start {
        Ranged::Full
    } else if start >= len {
        Ranged::Unsatisfiable
    } else {
        Ranged::Partial {
            start,
            end: end.min(len - 1),
        }
    })
}

// ---------------------------------------------------------------------------------------------
// urldecode
// ---------------------------------------------------------------------------------------------

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
    "param:",
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

// ---------------------------------------------------------------------------------------------
// connect: the hex dump, `--crlf`, and HOST:PORT
// ---------------------------------------------------------------------------------------------

/// Cut `data` into chunks the way reads would (sizes from `seed`, some empty).
fn chunks(data: &[u8], seed: u8) -> Vec<&[u8]> {
    let mut state = u32::from(seed) | 1;
    let mut pieces = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let n = (state as usize % 40).min(rest.len());
        let (piece, tail) = rest.split_at(n);
        pieces.push(piece);
        rest = tail;
    }
    pieces
}

/// The fuzz target for `connect`'s byte handling. The first byte picks how the rest is cut into
/// reads. Checked, for the `--hexdump` lines: every line is in `hexdump -C`'s layout, offsets
/// run on across chunks, the hex gives back exactly the bytes, the text column shows printable
/// ASCII or `.`, and no control character reaches the terminal; for `--crlf`: the same output
/// however the input is cut, every LF preceded by CR, converting twice changes nothing; for
/// `HOST:PORT`: no panic, ports 1 to 65535, ranges that run forwards, and a split target put
/// back together splits the same way.
pub fn connect(data: &[u8]) {
    let Some((&seed, rest)) = data.split_first() else {
        return;
    };
    let pieces = chunks(rest, seed);
    if let Err(why) = check_hexdump(&pieces, rest) {
        panic!("--hexdump: {why}");
    }
    check_crlf(&pieces, rest);
    let text = String::from_utf8_lossy(rest);
    let (target, port) = match text.split_once('\t') {
        Some((target, port)) => (target, Some(port)),
        None => (&*text, None),
    };
    check_host_port(target, port);
}

fn check_hexdump(pieces: &[&[u8]], data: &[u8]) -> Result<(), String> {
    use crate::connect::hexdump::Hexdump;
    let mut dump = Hexdump::new('<');
    let mut text = String::new();
    for piece in pieces {
        text.push_str(&dump.render(piece));
    }
    if let Some(c) = text
        .chars()
        .find(|&c| c != '\n' && (c.is_control() || !c.is_ascii()))
    {
        return Err(format!("{c:?} written to the terminal"));
    }
    let mut bytes = Vec::new();
    for line in text.lines() {
        let offset = line
            .strip_prefix("< ")
            .and_then(|l| l.get(..8))
            .and_then(|hex| u64::from_str_radix(hex, 16).ok())
            .ok_or_else(|| format!("bad start: {line:?}"))?;
        if offset != bytes.len() as u64 {
            return Err(format!(
                "offset {offset:x} after {} bytes: {line:?}",
                bytes.len()
            ));
        }
        if line.get(10..) == Some("  (empty)") {
            continue;
        }
        let (hex, column) = (
            line.get(12..61).ok_or(format!("short line {line:?}"))?,
            line.get(61..).ok_or(format!("short line {line:?}"))?,
        );
        let ascii = column
            .strip_prefix(" |")
            .and_then(|c| c.strip_suffix('|'))
            .ok_or_else(|| format!("bad text column: {line:?}"))?;
        let mut shown = Vec::new();
        for slot in hex.as_bytes().chunks(3) {
            let slot = std::str::from_utf8(slot).unwrap_or("??");
            match slot.trim() {
                "" => {}
                byte => shown.push(
                    u8::from_str_radix(byte, 16)
                        .map_err(|_| format!("bad byte {slot:?}: {line:?}"))?,
                ),
            }
        }
        if shown.is_empty() || shown.len() > 16 || ascii.len() != shown.len() {
            return Err(format!("{} bytes, text {ascii:?}: {line:?}", shown.len()));
        }
        for (&b, c) in shown.iter().zip(ascii.chars()) {
            let expected = if b.is_ascii_graphic() || b == b' ' {
                b as char
            } else {
                '.'
            };
            if c != expected {
                return Err(format!("byte {b:02x} shown as {c:?}: {line:?}"));
            }
        }
        bytes.extend_from_slice(&shown);
    }
    if bytes != data {
        return Err("the hex does not give back the bytes".into());
    }
    Ok(())
}

fn check_crlf(pieces: &[&[u8]], data: &[u8]) {
    use crate::connect::session::Crlf;
    let mut whole = Vec::new();
    Crlf::default().convert(data, &mut whole);
    let mut cut = Vec::new();
    let mut crlf = Crlf::default();
    for piece in pieces {
        crlf.convert(piece, &mut cut);
    }
    assert_eq!(cut, whole, "--crlf depends on how the input is cut");
    for (i, &b) in whole.iter().enumerate() {
        assert!(
            b != b'\n' || (i > 0 && whole[i - 1] == b'\r'),
            "a bare LF at {i}"
        );
    }
    let mut again = Vec::new();
    Crlf::default().convert(&whole, &mut again);
    assert_eq!(again, whole, "--crlf applied twice adds more");
    let bare = data
        .iter()
        .enumerate()
        .filter(|&(i, &b)| b == b'\n' && (i == 0 || data[i - 1] != b'\r'))
        .count();
    assert_eq!(
        whole.len(),
        data.len() + bare,
        "--crlf adds one CR per bare LF"
    );
}

fn check_host_port(target: &str, port: Option<&str>) {
    use crate::net::{parse_port, parse_port_range, split_host_port};
    let Ok(split) = split_host_port(target, port) else {
        return;
    };
    assert!(
        !split.host.is_empty() && !split.port.is_empty(),
        "{split:?}"
    );
    if let Ok(p) = parse_port(&split.port) {
        assert!(p >= 1, "port 0 accepted");
        assert_eq!(parse_port_range(&split.port), Ok(p..=p));
    }
    if let Ok(range) = parse_port_range(&split.port) {
        assert!(
            *range.start() >= 1 && range.start() <= range.end(),
            "{range:?}"
        );
    }
    if !split.host.contains(['[', ']']) {
        let joined = if split.host.contains(':') {
            format!("[{}]:{}", split.host, split.port)
        } else {
            format!("{}:{}", split.host, split.port)
        };
        if !split.port.contains(':') {
            let again = split_host_port(&joined, None)
                .unwrap_or_else(|err| panic!("{joined:?} from {target:?}: {err}"));
            assert_eq!(
                (again.host, again.port),
                (split.host, split.port),
                "{joined:?}"
            );
        }
    }
}
