//! A streaming `multipart/form-data` parser (RFC 7578) for the listing page's upload form: fed
//! the body in whatever pieces it arrives, it hands on each part's head and data as it goes, and
//! holds at most one piece plus a part head ([`MAX_PART_HEAD`]) whatever the size of a part.
//!
//! Written here, not taken from a crate: `multipart` (blocking) has had no release since 2021 and
//! `multer` wants an async runtime; what a form upload needs is a delimiter search
//! (`memchr::memmem`) and a head parse (`httparse`).

use memchr::memmem::Finder;

use super::request::{Reject, trim};

/// The most a part's head (its header lines) may take.
pub const MAX_PART_HEAD: usize = 8 * 1024;

const MALFORMED: Reject = Reject::new(400, "malformed multipart body");

/// The boundary of a `multipart/form-data` Content-Type, if that is what it is (1 to 70
/// bytes, RFC 2046).
pub fn boundary(content_type: &[u8]) -> Option<Vec<u8>> {
    let (kind, rest) = split_first(content_type);
    if !trim(kind).eq_ignore_ascii_case(b"multipart/form-data") {
        return None;
    }
    params(rest)
        .find(|(name, _)| name.eq_ignore_ascii_case(b"boundary"))
        .map(|(_, value)| value)
        .filter(|b| (1..=70).contains(&b.len()) && !b.iter().any(|&c| c == b'\r' || c == b'\n'))
}

/// What a part's head says about it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartHead {
    /// The form field's name.
    pub name: Option<Vec<u8>>,
    /// The file name the client gave (`None`: a plain field, not a file).
    pub filename: Option<Vec<u8>>,
}

/// What the parser found, in order: a part's head, its data in pieces, its end.
#[derive(Debug, PartialEq, Eq)]
pub enum Event<'a> {
    Part(PartHead),
    Data(&'a [u8]),
    End,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the first delimiter (a preamble is skipped).
    Preamble,
    /// Just after a delimiter: `--` (the last) or the end of its line.
    AfterDelimiter,
    Head,
    Body,
    /// After the closing delimiter (an epilogue is skipped).
    Done,
}

/// The parser: [`Parser::feed`] it the body, then [`Parser::finish`].
pub struct Parser {
    /// `CRLF--boundary`.
    delimiter: Finder<'static>,
    /// Bytes fed but not yet handed on (a possible delimiter's start, a head being read).
    held: Vec<u8>,
    state: State,
}

impl Parser {
    pub fn new(boundary: &[u8]) -> Parser {
        let mut delimiter = b"\r\n--".to_vec();
        delimiter.extend_from_slice(boundary);
        Parser {
            delimiter: Finder::new(&delimiter).into_owned(),
            // The first delimiter may open the body, without the CRLF before it.
            held: b"\r\n".to_vec(),
            state: State::Preamble,
        }
    }

    /// How many bytes the parser holds now (at most the last piece fed and a part head).
    #[cfg(any(test, feature = "fuzzing"))]
    pub fn held(&self) -> usize {
        self.held.len()
    }

    /// Take the next piece of the body, handing on what it completes to `on` (whose refusal
    /// stops the parse and is returned). 400 for a malformed body.
    pub fn feed(
        &mut self,
        bytes: &[u8],
        on: &mut dyn FnMut(Event<'_>) -> Result<(), Reject>,
    ) -> Result<(), Reject> {
        if self.state == State::Done {
            return Ok(());
        }
        self.held.extend_from_slice(bytes);
        let mut at = 0;
        let delimiter_len = self.delimiter.needle().len();
        loop {
            let rest = &self.held[at..];
            match self.state {
                State::Preamble | State::Body => {
                    let body = self.state == State::Body;
                    match self.delimiter.find(rest) {
                        Some(i) => {
                            if body {
                                if i > 0 {
                                    on(Event::Data(&rest[..i]))?;
                                }
                                on(Event::End)?;
                            }
                            at += i + delimiter_len;
                            self.state = State::AfterDelimiter;
                        }
                        None => {
                            // The tail may be a delimiter's start: keep it for the next piece.
                            let ready = rest.len().saturating_sub(delimiter_len - 1);
                            if body && ready > 0 {
                                on(Event::Data(&rest[..ready]))?;
                            }
                            at += ready;
                            break;
                        }
                    }
                }
                State::AfterDelimiter => {
                    if rest.len() < 2 {
                        break;
                    }
                    if rest.starts_with(b"--") {
                        self.state = State::Done;
                        at = self.held.len();
                        break;
                    }
                    // Transport padding (spaces, tabs) may come before the line's end.
                    let Some(end) = memchr::memchr(b'\n', &rest[..rest.len().min(257)]) else {
                        if rest.len() > 256 {
                            return Err(MALFORMED);
                        }
                        break;
                    };
                    let line = rest[..end].strip_suffix(b"\r").ok_or(MALFORMED)?;
                    if !line.iter().all(|&b| b == b' ' || b == b'\t') {
                        return Err(MALFORMED);
                    }
                    at += end + 1;
                    self.state = State::Head;
                }
                State::Head => {
                    let end = if rest.starts_with(b"\r\n") {
                        Some(0)
                    } else {
                        memchr::memmem::find(rest, b"\r\n\r\n").map(|i| i + 2)
                    };
                    let Some(end) = end.filter(|&end| end <= MAX_PART_HEAD) else {
                        if rest.len() > MAX_PART_HEAD + 2 {
                            return Err(MALFORMED);
                        }
                        break;
                    };
                    let head = part_head(&rest[..end + 2])?;
                    at += end + 2;
                    self.state = State::Body;
                    on(Event::Part(head))?;
                }
                State::Done => {
                    at = self.held.len();
                    break;
                }
            }
        }
        self.held.drain(..at);
        Ok(())
    }

    /// The body has ended: it must have ended with the closing delimiter (400 otherwise).
    pub fn finish(&self) -> Result<(), Reject> {
        if self.state == State::Done {
            Ok(())
        } else {
            Err(Reject::new(400, "multipart body cut short"))
        }
    }
}

/// A part's header lines (ending with the blank line): its Content-Disposition.
fn part_head(bytes: &[u8]) -> Result<PartHead, Reject> {
    let mut headers = [httparse::EMPTY_HEADER; 16];
    let Ok(httparse::Status::Complete((_, headers))) = httparse::parse_headers(bytes, &mut headers)
    else {
        return Err(MALFORMED);
    };
    let mut head = PartHead::default();
    for header in headers.iter() {
        if !header.name.eq_ignore_ascii_case("content-disposition") {
            continue;
        }
        let (kind, rest) = split_first(header.value);
        if !trim(kind).eq_ignore_ascii_case(b"form-data") {
            return Err(MALFORMED);
        }
        for (name, value) in params(rest) {
            if name.eq_ignore_ascii_case(b"name") {
                head.name = Some(value);
            } else if name.eq_ignore_ascii_case(b"filename") {
                head.filename = Some(value);
            }
        }
    }
    Ok(head)
}

/// `value` up to its first `;`, and what follows.
fn split_first(value: &[u8]) -> (&[u8], &[u8]) {
    match memchr::memchr(b';', value) {
        Some(i) => (&value[..i], &value[i + 1..]),
        None => (value, b""),
    }
}

/// The `; name=value` parameters of a header value (after its first item), values unquoted
/// (`\"` is a `"` inside quotes, as curl sends one in a file name).
fn params(mut rest: &[u8]) -> impl Iterator<Item = (&[u8], Vec<u8>)> {
    std::iter::from_fn(move || {
        loop {
            rest = trim(rest);
            if rest.is_empty() {
                return None;
            }
            let eq = memchr::memchr2(b'=', b';', rest);
            let Some(eq) = eq.filter(|&i| rest[i] == b'=') else {
                // A parameter without a value: skip it.
                rest = eq.map_or(&b""[..], |i| &rest[i + 1..]);
                continue;
            };
            let name = trim(&rest[..eq]);
            rest = trim(&rest[eq + 1..]);
            let mut value = Vec::new();
            if rest.first() == Some(&b'"') {
                let mut i = 1;
                while i < rest.len() && rest[i] != b'"' {
                    // Only `\"` is unescaped: browsers send a `\` as it is.
                    if rest[i..].starts_with(b"\\\"") {
                        i += 1;
                    }
                    value.push(rest[i]);
                    i += 1;
                }
                rest = &rest[(i + 1).min(rest.len())..];
                rest = split_first(rest).1;
            } else {
                let (token, after) = split_first(rest);
                value.extend_from_slice(trim(token));
                rest = after;
            }
            return Some((name, value));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The parts of `body` (name, file name, data) when fed `piece` bytes at a time.
    fn parse(boundary: &[u8], body: &[u8], piece: usize) -> Result<Vec<(PartHead, Vec<u8>)>, u16> {
        let mut parser = Parser::new(boundary);
        let mut parts: Vec<(PartHead, Vec<u8>)> = Vec::new();
        let mut ended = true;
        for chunk in body.chunks(piece.max(1)) {
            parser
                .feed(chunk, &mut |event| {
                    match event {
                        Event::Part(head) => {
                            assert!(ended);
                            ended = false;
                            parts.push((head, Vec::new()));
                        }
                        Event::Data(data) => parts.last_mut().unwrap().1.extend_from_slice(data),
                        Event::End => ended = true,
                    }
                    Ok(())
                })
                .map_err(|r| r.status)?;
            assert!(parser.held() <= MAX_PART_HEAD + 2 + piece + 80);
        }
        parser.finish().map_err(|r| r.status)?;
        Ok(parts)
    }

    const TWO: &[u8] = b"preamble\r\n--XyZ\r\n\
        Content-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\
        Content-Type: text/plain\r\n\r\n\
        hello\r\n--Xy not yet\r\n\
        --XyZ  \r\n\
        Content-Disposition: form-data; name=file; filename=\"b \\\"q\\\".bin\"\r\n\r\n\
        \r\n--XyZ--\r\nepilogue";

    #[test]
    fn parts_whatever_the_pieces() {
        for piece in [1, 2, 3, 7, 64, 4096] {
            let parts = parse(b"XyZ", TWO, piece).unwrap();
            assert_eq!(parts.len(), 2, "{piece}");
            assert_eq!(parts[0].0.name.as_deref(), Some(&b"file"[..]));
            assert_eq!(parts[0].0.filename.as_deref(), Some(&b"a.txt"[..]));
            assert_eq!(parts[0].1, b"hello\r\n--Xy not yet");
            assert_eq!(parts[1].0.filename.as_deref(), Some(&b"b \"q\".bin"[..]));
            assert_eq!(parts[1].1, b"");
        }
    }

    #[test]
    fn malformed_bodies_are_refused() {
        let cut = &TWO[..TWO.len() - 20];
        assert_eq!(parse(b"XyZ", cut, 5), Err(400));
        assert_eq!(parse(b"XyZ", b"", 5), Err(400));
        assert_eq!(
            parse(b"XyZ", b"--XyZ\r\nno colon\r\n\r\n--XyZ--", 5),
            Err(400)
        );
        assert_eq!(parse(b"XyZ", b"--XyZjunk\r\n\r\n--XyZ--", 5), Err(400));
        let huge = [
            &b"--XyZ\r\nX: "[..],
            &[b'a'; MAX_PART_HEAD + 10],
            b"\r\n\r\n",
        ]
        .concat();
        assert_eq!(parse(b"XyZ", &huge, 100), Err(400));
        let attachment = b"--XyZ\r\nContent-Disposition: attachment\r\n\r\nx\r\n--XyZ--";
        assert_eq!(parse(b"XyZ", attachment, 5), Err(400));
        // A part with no Content-Disposition at all is the caller's to refuse.
        assert_eq!(
            parse(b"XyZ", b"--XyZ\r\n\r\nx\r\n--XyZ--", 5).unwrap()[0].0,
            PartHead::default()
        );
    }

    #[test]
    fn boundaries_from_content_types() {
        assert_eq!(
            boundary(b"multipart/form-data; boundary=----WebKitFormBoundaryx7"),
            Some(b"----WebKitFormBoundaryx7".to_vec())
        );
        assert_eq!(
            boundary(b"Multipart/Form-Data;charset=utf-8; boundary=\"a b\""),
            Some(b"a b".to_vec())
        );
        assert_eq!(boundary(b"multipart/form-data"), None);
        assert_eq!(boundary(b"multipart/form-data; boundary="), None);
        assert_eq!(boundary(b"text/plain; boundary=x"), None);
        assert_eq!(
            boundary(&[&b"multipart/form-data; boundary="[..], &[b'x'; 71]].concat()),
            None
        );
    }
}
