//! From the bytes the server sent to the bytes written: a [`Tap`] counts the raw bytes (for
//! Content-Length and the progress bar) and keeps a network error apart from a decoding error;
//! [`Decoder`] undoes gzip, deflate or br; [`Utf8`] transcodes `--utf8` text as it streams.
//! Every buffer here is allocated once.

use std::cell::RefCell;
use std::io::{self, Read, Write};
use std::rc::Rc;

use encoding_rs::{CoderResult, Encoding, UTF_8};
use indicatif::ProgressBar;

/// What the network side did: bytes received, and the error that stopped it, if any.
#[derive(Default)]
pub struct Tap {
    pub raw: u64,
    pub error: Option<ureq::Error>,
    /// Where the progress bar starts (the bytes a resumed file already has).
    pub offset: u64,
    pub progress: Option<ProgressBar>,
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
                if let Some(bar) = &tap.progress {
                    bar.set_position(tap.offset + tap.raw);
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
    Brotli(Box<brotli_decompressor::Decompressor<R>>),
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
            "br" => Decoder::Brotli(Box::new(brotli_decompressor::Decompressor::new(
                reader,
                64 * 1024,
            ))),
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
        match self {
            Decoder::Identity(r) => r.read(buf),
            Decoder::Gzip(r) => r.read(buf),
            Decoder::Deflate(r) => r.read(buf),
            Decoder::Brotli(r) => r.read(buf),
        }
    }
}

/// `--utf8`: a streaming transcoder from a legacy charset to UTF-8.
pub struct Utf8 {
    decoder: encoding_rs::Decoder,
    out: Vec<u8>,
}

impl Utf8 {
    pub fn new(from: &'static Encoding) -> Utf8 {
        Utf8 {
            decoder: from.new_decoder(),
            out: vec![0; 64 * 1024],
        }
    }

    /// Transcode `input` and write it; `last` flushes a sequence cut at the end.
    pub fn write(&mut self, sink: &mut dyn Write, mut input: &[u8], last: bool) -> io::Result<()> {
        loop {
            let (result, read, written, _) =
                self.decoder.decode_to_utf8(input, &mut self.out, last);
            sink.write_all(&self.out[..written])?;
            input = &input[read..];
            if result == CoderResult::InputEmpty {
                return Ok(());
            }
        }
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

/// The charset a Content-Type declares, if encoding_rs knows it.
pub fn declared_charset(content_type: &str) -> Option<&'static Encoding> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("charset") {
            return None;
        }
        Encoding::for_label(value.trim().trim_matches(['"', '\'']).as_bytes())
    })
}

/// An HTML page's `<meta charset=…>` (or `http-equiv` Content-Type) in its first bytes.
pub fn sniffed_charset(first: &[u8]) -> Option<&'static Encoding> {
    let window = &first[..first.len().min(2048)];
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
    Encoding::for_label(&rest[..end])
}

/// The charset `--utf8` transcodes from, or `None` when the body is UTF-8 (or not text) already.
pub fn utf8_source(content_type: Option<&str>, first: &[u8]) -> Option<&'static Encoding> {
    let declared = content_type.and_then(declared_charset);
    let is_text = content_type.is_none_or(is_text_type);
    let encoding = declared.or_else(|| is_text.then(|| sniffed_charset(first)).flatten())?;
    (encoding != UTF_8 && is_text).then_some(encoding)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charset_comes_from_the_header_or_the_meta_tag() {
        assert_eq!(
            declared_charset("text/html; charset=GBK"),
            Some(encoding_rs::GBK)
        );
        assert_eq!(
            declared_charset("text/html; charset=\"big5\""),
            Some(encoding_rs::BIG5)
        );
        assert_eq!(declared_charset("text/html"), None);
        let page = b"<html><head><meta charset=\"gb2312\"></head>";
        assert_eq!(sniffed_charset(page), Some(encoding_rs::GBK));
        let page = b"<meta http-equiv=Content-Type content='text/html; charset=shift_jis'>";
        assert_eq!(sniffed_charset(page), Some(encoding_rs::SHIFT_JIS));
        assert_eq!(sniffed_charset(b"<p>charset=gbk</p>"), None);
        assert_eq!(utf8_source(Some("text/plain; charset=utf-8"), b""), None);
        assert_eq!(utf8_source(Some("image/png"), b""), None);
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
        let mut utf8 = Utf8::new(encoding_rs::GBK);
        for byte in gbk.iter() {
            utf8.write(&mut out, std::slice::from_ref(byte), false)
                .unwrap();
        }
        utf8.write(&mut out, &[], true).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "中文网页");
    }
}
