//! Which charset percent-decoded bytes are in, and turning them into text (encoding_rs).

use encoding_rs::{DecoderResult, Encoding, GB18030, UTF_8};

use crate::exit::Code;

/// The `--charset` choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    /// Always this encoding.
    Fixed(&'static Encoding),
    /// UTF-8 when the bytes are valid UTF-8, else a charset the URL names, else GB18030.
    Auto,
}

impl Charset {
    /// Parse a `--charset` value: `auto` or any WHATWG encoding label.
    pub fn parse(label: &str) -> anyhow::Result<Charset> {
        if label.eq_ignore_ascii_case("auto") {
            return Ok(Charset::Auto);
        }
        Encoding::for_label(label.trim().as_bytes())
            .map(Charset::Fixed)
            .ok_or_else(|| {
                Code::Usage.error(format!(
                    "unknown charset `{label}` (try utf-8, gbk, gb18030, big5, shift_jis, euc-kr, \
                     windows-1252, or auto)"
                ))
            })
    }

    /// The encoding for one input, given all of its percent-decoded bytes and the raw input.
    pub fn choose(self, decoded: &[u8], raw: &[u8]) -> &'static Encoding {
        match self {
            Charset::Fixed(encoding) => encoding,
            Charset::Auto => {
                if simdutf8::basic::from_utf8(decoded).is_ok() {
                    UTF_8
                } else if let Some(named) = named_in_url(raw) {
                    named
                } else if GB18030
                    .decode_without_bom_handling_and_without_replacement(decoded)
                    .is_some()
                {
                    GB18030
                } else {
                    UTF_8
                }
            }
        }
    }
}

/// A charset named by a query parameter the big search engines and forms use:
/// `ie=`, `oe=`, `_charset_=` (first one that is a known label).
fn named_in_url(raw: &[u8]) -> Option<&'static Encoding> {
    let query = match memchr::memchr(b'?', raw) {
        Some(at) => &raw[at + 1..],
        None => raw,
    };
    let query = match memchr::memchr(b'#', query) {
        Some(at) => &query[..at],
        None => query,
    };
    query.split(|&b| b == b'&').find_map(|pair| {
        let (name, value) = match memchr::memchr(b'=', pair) {
            Some(at) => (&pair[..at], &pair[at + 1..]),
            None => return None,
        };
        let known = [&b"ie"[..], b"oe", b"_charset_", b"charset", b"encoding"];
        known
            .iter()
            .any(|k| name.eq_ignore_ascii_case(k))
            .then(|| Encoding::for_label(value))
            .flatten()
    })
}

/// Decode `bytes` as `encoding` into `out`. Malformed sequences become U+FFFD; `bad(offset)` is
/// called with the offset in `bytes` where each starts. Returns whether any was replaced.
pub fn decode_text(
    encoding: &'static Encoding,
    bytes: &[u8],
    out: &mut String,
    mut bad: impl FnMut(usize),
) -> bool {
    if encoding == UTF_8 {
        if let Ok(text) = simdutf8::basic::from_utf8(bytes) {
            out.push_str(text);
            return false;
        }
        let mut offset = 0;
        for chunk in bytes.utf8_chunks() {
            out.push_str(chunk.valid());
            offset += chunk.valid().len();
            if !chunk.invalid().is_empty() {
                bad(offset);
                out.push('\u{FFFD}');
                offset += chunk.invalid().len();
            }
        }
        return true;
    }
    let mut decoder = encoding.new_decoder_without_bom_handling();
    out.reserve(
        decoder
            .max_utf8_buffer_length_without_replacement(bytes.len())
            .unwrap_or(bytes.len() * 3),
    );
    let mut replaced = false;
    let mut consumed = 0;
    loop {
        let (result, read) =
            decoder.decode_to_string_without_replacement(&bytes[consumed..], out, true);
        consumed += read;
        match result {
            DecoderResult::InputEmpty => return replaced,
            DecoderResult::OutputFull => out.reserve(bytes.len() - consumed + 16),
            DecoderResult::Malformed(bad_len, after) => {
                replaced = true;
                bad(consumed - bad_len as usize - after as usize);
                out.push('\u{FFFD}');
            }
        }
    }
}

/// Encode text in `encoding` for `urlencode`; an unmappable character is bad input.
pub fn encode_text<'a>(
    encoding: &'static Encoding,
    text: &'a str,
) -> anyhow::Result<std::borrow::Cow<'a, [u8]>> {
    if encoding == UTF_8 {
        return Ok(std::borrow::Cow::Borrowed(text.as_bytes()));
    }
    if encoding.output_encoding() != encoding {
        return Err(Code::Usage.error(format!(
            "{} cannot be used in a URL (try utf-8)",
            encoding.name()
        )));
    }
    let (bytes, _, unmappable) = encoding.encode(text);
    if unmappable {
        let bad = text
            .chars()
            .find(|c| {
                let mut buf = [0; 4];
                encoding.encode(c.encode_utf8(&mut buf)).2
            })
            .unwrap_or('?');
        return Err(Code::Usage.error(format!(
            "`{bad}` (U+{:04X}) cannot be written in {}",
            bad as u32,
            encoding.name()
        )));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_parse() {
        assert_eq!(Charset::parse("auto").unwrap(), Charset::Auto);
        assert_eq!(
            Charset::parse("GBK").unwrap(),
            Charset::Fixed(encoding_rs::GBK)
        );
        assert!(Charset::parse("klingon").is_err());
    }

    #[test]
    fn auto_prefers_utf8_then_named_then_gb18030() {
        let gbk = [0xD6, 0xD0, 0xCE, 0xC4];
        assert_eq!(Charset::Auto.choose("中文".as_bytes(), b""), UTF_8);
        assert_eq!(Charset::Auto.choose(&gbk, b"s?wd=%D6%D0%CE%C4"), GB18030);
        assert_eq!(
            Charset::Auto.choose(&[0x82, 0xA0], b"s?ie=shift_jis&q=%82%A0"),
            encoding_rs::SHIFT_JIS
        );
    }

    #[test]
    fn malformed_bytes_are_replaced_with_offsets() {
        let mut out = String::new();
        let mut bad = Vec::new();
        assert!(decode_text(UTF_8, b"ab\xE6\x95x\xFF", &mut out, |at| bad.push(at)));
        assert_eq!(out, "ab\u{FFFD}x\u{FFFD}");
        assert_eq!(bad, vec![2, 5]);

        let mut out = String::new();
        let mut bad = Vec::new();
        decode_text(encoding_rs::GBK, b"\xD6\xD0\xFF\xCE\xC4", &mut out, |at| {
            bad.push(at)
        });
        assert_eq!(out, "中\u{FFFD}文");
        assert_eq!(bad, vec![2]);
    }

    #[test]
    fn encode_refuses_unmappable() {
        assert_eq!(
            &*encode_text(encoding_rs::GBK, "中文").unwrap(),
            &[0xD6, 0xD0, 0xCE, 0xC4]
        );
        assert!(encode_text(encoding_rs::GBK, "😀").is_err());
        assert!(encode_text(encoding_rs::UTF_16LE, "a").is_err());
    }
}
