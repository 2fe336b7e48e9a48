//! The connection handler on arbitrary bytes, and a client's-eye check of everything it wrote.

use std::io::{self, Read};

use super::Fixture;
use crate::web::conn::{self, ConnStats, Duplex};
use crate::web::{Mode, Site};

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
