//! From the bytes the server sent to the bytes written: a [`Tap`] counts the raw bytes (for
//! Content-Length and the progress bar) and keeps a network error apart from a decoding error;
//! [`Decoder`] undoes gzip, deflate or br; [`Utf8`] transcodes `--utf8` text as it streams.
//! Every buffer here is allocated once.

use std::cell::RefCell;
use std::io::{self, Read, Write};
use std::rc::Rc;

use encoding_rs::{CoderResult, Encoding, UTF_8};

use super::progress::Progress;

/// What the network side did: bytes received, and the error that stopped it, if any.
#[derive(Default)]
pub struct Tap {
    pub raw: u64,
    pub error: Option<ureq::Error>,
    /// Where the progress bar starts (the bytes a resumed file already has).
    pub offset: u64,
    pub progress: Option<Progress>,
}

/// The response body, counted.
pub struct Tapped<R> {
    inner: R,
    tap: Rc<RefCell<Tap>>,
}

impl<R> Tapped<R> {
    pub fn new(inner: R, tap: Rc<RefCell<Tap>>) -> Tapped<R> {
        Tapped { inner, tap }
    }
}

impl<R: Read> Read for Tapped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.inner.read(buf) {
            Ok(n) => {
                let mut tap = self.tap.borrow_mut();
                tap.raw += n as u64;
                let position = tap.offset + tap.raw;
                if let Some(bar) = &mut tap.progress {
                    bar.set_position(position);
                }
                Ok(n)
            }
            Err(err) => {
                self.tap.borrow_mut().error = Some(ureq::Error::from(err));
                Err(io::Error::other("network error"))
            }
        }
    }
}

/// Undo the Content-Encoding.
pub enum Decoder<R: Read> {
    Identity(R),
    Gzip(Box<flate2::read::MultiGzDecoder<R>>),
    Deflate(Box<flate2::read::ZlibDecoder<R>>),
    Brotli(Box<brotli::Decompressor<R>>),
    Zstd(Box<zstd::stream::read::Decoder<'static, io::BufReader<R>>>),
    /// A decoder that could not be made: its error, on the first read.
    Failed(Option<io::Error>),
}

impl<R: Read> Decoder<R> {
    /// The decoder for a Content-Encoding; an encoding netlab cannot undo is passed through
    /// (with a warning) rather than refused.
    pub fn new(reader: R, encoding: Option<&str>) -> Decoder<R> {
        let Some(encoding) = encoding.map(|e| e.trim().to_ascii_lowercase()) else {
            return Decoder::Identity(reader);
        };
        match encoding.as_str() {
            "" | "identity" => Decoder::Identity(reader),
            "gzip" | "x-gzip" => Decoder::Gzip(Box::new(flate2::read::MultiGzDecoder::new(reader))),
            "deflate" => Decoder::Deflate(Box::new(flate2::read::ZlibDecoder::new(reader))),
            "br" => Decoder::Brotli(Box::new(brotli::Decompressor::new(reader, 64 * 1024))),
            "zstd" => match zstd::stream::read::Decoder::new(reader) {
                Ok(decoder) => Decoder::Zstd(Box::new(decoder)),
                // Only a failed allocation of the decoder's context: said by the first read.
                Err(err) => Decoder::Failed(Some(err)),
            },
            other => {
                crate::warn!(
                    "Content-Encoding `{other}` is not decoded: the body is written as sent"
                );
                Decoder::Identity(reader)
            }
        }
    }

    pub fn is_identity(&self) -> bool {
        matches!(self, Decoder::Identity(_))
    }
}

impl<R: Read> Read for Decoder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = match self {
            Decoder::Identity(r) => r.read(buf),
            Decoder::Gzip(r) => r.read(buf),
            Decoder::Deflate(r) => r.read(buf),
            Decoder::Brotli(r) => r.read(buf),
            Decoder::Zstd(r) => r.read(buf),
            Decoder::Failed(err) => Err(err
                .take()
                .unwrap_or_else(|| io::Error::other("the zstd decoder could not start"))),
        }?;
        if n == 0 && !buf.is_empty() {
            self.read_to_the_body_end()?;
        }
        Ok(n)
    }
}

impl<R: Read> Decoder<R> {
    /// A decoder stops at the end of its stream, which can come before the transport has seen
    /// the end of the body (a chunked body's last chunk): read on to it, a little at most, so
    /// the connection is whole and goes back to the pool for the next URL.
    fn read_to_the_body_end(&mut self) -> io::Result<()> {
        let inner = match self {
            Decoder::Identity(_) | Decoder::Failed(_) => return Ok(()),
            Decoder::Zstd(r) => r.get_mut().get_mut(),
            Decoder::Gzip(r) => r.get_mut(),
            Decoder::Deflate(r) => r.get_mut(),
            Decoder::Brotli(r) => r.get_mut(),
        };
        let mut scratch = [0u8; 1024];
        for _ in 0..16 {
            if inner.read(&mut scratch)? == 0 {
                break;
            }
        }
        Ok(())
    }
}

/// How many bytes of a body are searched for `<meta charset>`: the HTML standard's prescan
/// looks at the first 1024 bytes, and so do browsers.
pub const META_WINDOW: usize = 1024;

/// Where the charset `--utf8` decodes from was found, for the warning when it does not fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// The Content-Type's `charset`.
    Header,
    /// A `<meta charset>` in the first [`META_WINDOW`] bytes.
    Meta,
    /// Nowhere: UTF-8 is assumed.
    Assumed,
}

/// `--utf8`: a text body decoded from its charset to UTF-8 as it streams. The charset is the
/// Content-Type's; without one the start of the body is held until a `<meta charset>` can be
/// looked for in its first [`META_WINDOW`] bytes; without that, UTF-8 (checked like any other:
/// what does not decode becomes U+FFFD, and [`Utf8::write`] warns once at the end).
pub struct Utf8 {
    decoder: Option<(encoding_rs::Decoder, Origin)>,
    /// The start of a body whose Content-Type names no charset, until the charset is known.
    held: Vec<u8>,
    out: Vec<u8>,
    /// Some bytes did not decode.
    lossy: bool,
}

impl Utf8 {
    /// The transcoder for a body of this Content-Type; `None` when it is not text.
    pub fn new(content_type: Option<&str>) -> Option<Utf8> {
        if content_type.is_some_and(|kind| !is_text_type(kind)) {
            return None;
        }
        let declared = content_type.and_then(|kind| match declared_charset(kind) {
            Label::Known(encoding) => Some(encoding),
            Label::Unknown(label) => {
                crate::warn!("unknown charset `{label}` in the Content-Type: ignored");
                None
            }
            Label::Missing => None,
        });
        let mut utf8 = Utf8 {
            decoder: None,
            held: Vec::new(),
            out: vec![0; 64 * 1024],
            lossy: false,
        };
        if let Some(encoding) = declared {
            utf8.start(encoding, Origin::Header);
        }
        Some(utf8)
    }

    fn start(&mut self, encoding: &'static Encoding, origin: Origin) {
        crate::debug!("* decoding the body from {} to UTF-8", encoding.name());
        // With BOM sniffing, as browsers do: a byte order mark overrides any label.
        self.decoder = Some((encoding.new_decoder(), origin));
    }

    /// Transcode `input` and write it; `last` flushes a sequence cut at the end (and warns when
    /// some bytes did not decode).
    pub fn write(&mut self, sink: &mut dyn Write, input: &[u8], last: bool) -> io::Result<()> {
        if self.decoder.is_none() {
            self.held.extend_from_slice(input);
            if self.held.len() < META_WINDOW && !last {
                return Ok(());
            }
            match sniffed_charset(&self.held) {
                Some(encoding) => self.start(encoding, Origin::Meta),
                None => self.start(UTF_8, Origin::Assumed),
            }
            let held = std::mem::take(&mut self.held);
            self.decode(sink, &held, last)?;
        } else {
            self.decode(sink, input, last)?;
        }
        if last && self.lossy {
            self.warn();
        }
        Ok(())
    }

    fn decode(&mut self, sink: &mut dyn Write, mut input: &[u8], last: bool) -> io::Result<()> {
        let Some((decoder, _)) = &mut self.decoder else {
            return Ok(());
        };
        loop {
            let (result, read, written, lossy) = decoder.decode_to_utf8(input, &mut self.out, last);
            self.lossy |= lossy;
            sink.write_all(&self.out[..written])?;
            input = &input[read..];
            if result == CoderResult::InputEmpty {
                return Ok(());
            }
        }
    }

    fn warn(&self) {
        let Some((decoder, origin)) = &self.decoder else {
            return;
        };
        let name = decoder.encoding().name();
        let what = match origin {
            Origin::Header => format!("is not valid {name}, the charset its Content-Type declares"),
            Origin::Meta => format!("is not valid {name}, the charset its <meta charset> declares"),
            Origin::Assumed => "declares no charset and is not valid UTF-8".to_string(),
        };
        crate::warn!("--utf8: the body {what}; bytes that did not decode are written as U+FFFD");
    }
}

/// Is this media type text a terminal can show?
pub fn is_text_type(content_type: &str) -> bool {
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    mime.starts_with("text/")
        || mime.ends_with("+json")
        || mime.ends_with("+xml")
        || matches!(
            mime.as_str(),
            "application/json"
                | "application/xml"
                | "application/javascript"
                | "application/ecmascript"
                | "application/x-javascript"
                | "application/x-www-form-urlencoded"
                | "application/x-sh"
                | "application/x-ndjson"
                | "application/yaml"
                | "application/x-yaml"
                | "application/toml"
                | "application/sql"
                | "application/graphql"
                | "image/svg+xml"
                | "message/http"
        )
}

/// Should this body stay off a terminal? By its type, and by a NUL byte in its first chunk.
pub fn looks_binary(content_type: Option<&str>, first: &[u8]) -> bool {
    let sniffed = memchr::memchr(0, first).is_some();
    match content_type {
        Some(kind) if !kind.trim().is_empty() => !is_text_type(kind) || sniffed,
        _ => sniffed,
    }
}

/// What a Content-Type's `charset` parameter says.
#[derive(Debug, PartialEq, Eq)]
pub enum Label<'a> {
    Known(&'static Encoding),
    /// A label encoding_rs does not know (or the replacement encoding's, which decodes nothing).
    Unknown(&'a str),
    Missing,
}

/// The charset a Content-Type declares.
pub fn declared_charset(content_type: &str) -> Label<'_> {
    let value = content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches(['"', '\'']))
    });
    match value {
        None => Label::Missing,
        Some(label) => match Encoding::for_label(label.as_bytes()) {
            Some(encoding) if encoding != encoding_rs::REPLACEMENT => Label::Known(encoding),
            _ => Label::Unknown(label),
        },
    }
}

/// An HTML page's `<meta charset=…>` (or `http-equiv` Content-Type) in its first
/// [`META_WINDOW`] bytes. As in the HTML standard, UTF-16 there means UTF-8 (a page that could
/// be read as ASCII to find the tag is not UTF-16).
pub fn sniffed_charset(first: &[u8]) -> Option<&'static Encoding> {
    let window = &first[..first.len().min(META_WINDOW)];
    let lower: Vec<u8> = window.iter().map(u8::to_ascii_lowercase).collect();
    let at = memchr::memmem::find_iter(&lower, b"charset=").find(|&at| {
        // Only inside a <meta …> tag.
        lower[..at]
            .iter()
            .rposition(|&c| c == b'<')
            .is_some_and(|open| lower[open..].starts_with(b"<meta"))
    })?;
    let rest = &window[at + b"charset=".len()..];
    let rest = rest
        .strip_prefix(b"\"")
        .or_else(|| rest.strip_prefix(b"'"))
        .unwrap_or(rest);
    let end = rest
        .iter()
        .position(|c| matches!(c, b'"' | b'\'' | b';' | b'>' | b' ' | b'/'))
        .unwrap_or(rest.len());
    match Encoding::for_label(&rest[..end])? {
        encoding if encoding == encoding_rs::UTF_16LE || encoding == encoding_rs::UTF_16BE => {
            Some(UTF_8)
        }
        encoding if encoding == encoding_rs::REPLACEMENT => None,
        encoding => Some(encoding),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charset_comes_from_the_header_or_the_meta_tag() {
        assert_eq!(
            declared_charset("text/html; charset=GBK"),
            Label::Known(encoding_rs::GBK)
        );
        assert_eq!(
            declared_charset("text/html; charset=\"big5\""),
            Label::Known(encoding_rs::BIG5)
        );
        assert_eq!(
            declared_charset("text/html; charset=klingon"),
            Label::Unknown("klingon")
        );
        assert_eq!(declared_charset("text/html"), Label::Missing);
        let page = b"<html><head><meta charset=\"gb2312\"></head>";
        assert_eq!(sniffed_charset(page), Some(encoding_rs::GBK));
        let page = b"<meta http-equiv=Content-Type content='text/html; charset=shift_jis'>";
        assert_eq!(sniffed_charset(page), Some(encoding_rs::SHIFT_JIS));
        assert_eq!(sniffed_charset(b"<p>charset=gbk</p>"), None);
        let late = [&[b' '; META_WINDOW][..], b"<meta charset=gbk>"].concat();
        assert_eq!(sniffed_charset(&late), None, "past the first 1024 bytes");
        assert_eq!(sniffed_charset(b"<meta charset=utf-16le>"), Some(UTF_8));
        assert!(Utf8::new(Some("image/png")).is_none());
    }

    #[test]
    fn binary_by_type_or_nul() {
        assert!(looks_binary(Some("image/png"), b"abc"));
        assert!(!looks_binary(Some("text/html; charset=utf-8"), b"<p>"));
        assert!(looks_binary(Some("text/plain"), b"a\0b"));
        assert!(!looks_binary(None, b"hello"));
        assert!(!looks_binary(Some("application/json"), b"{}"));
    }

    #[test]
    fn utf8_transcoding_survives_split_characters() {
        let (gbk, _, _) = encoding_rs::GBK.encode("中文网页");
        let mut out = Vec::new();
        let mut utf8 = Utf8::new(Some("text/html; charset=gbk")).unwrap();
        for byte in gbk.iter() {
            utf8.write(&mut out, std::slice::from_ref(byte), false)
                .unwrap();
        }
        utf8.write(&mut out, &[], true).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "中文网页");
        assert!(!utf8.lossy);
    }

    #[test]
    fn utf8_holds_the_start_until_a_meta_charset_can_be_seen() {
        let (page, _, _) = encoding_rs::GBK.encode("<html><head><meta charset=\"gbk\">中文</head>");
        let mut out = Vec::new();
        let mut utf8 = Utf8::new(Some("text/html")).unwrap();
        let (first, rest) = page.split_at(8);
        utf8.write(&mut out, first, false).unwrap();
        assert!(out.is_empty(), "nothing decided on 8 bytes");
        utf8.write(&mut out, rest, false).unwrap();
        utf8.write(&mut out, &[], true).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "<html><head><meta charset=\"gbk\">中文</head>"
        );
        assert!(!utf8.lossy);

        let mut out = Vec::new();
        let mut utf8 = Utf8::new(Some("text/plain; charset=utf-8")).unwrap();
        utf8.write(&mut out, &page, true).unwrap();
        assert!(utf8.lossy, "GBK is not UTF-8");
        assert!(String::from_utf8(out).unwrap().contains('\u{fffd}'));
    }
}
