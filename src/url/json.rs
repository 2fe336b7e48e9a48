//! A small JSON object writer for `--json`: one line per input, written straight into the output
//! buffer. serde_json's string escaper goes byte by byte; here runs of bytes that need no escape
//! are found a word at a time and copied whole, which is most of the work on a stream of URLs.

use std::io::Write;

/// A key, written with the comma and colon around it: `key!("href")` is `,"href":`.
#[derive(Clone, Copy)]
pub struct Key(pub &'static str);

/// A [`Key`] from a name, put together at compile time.
macro_rules! key {
    ($name:literal) => {
        $crate::url::json::Key(concat!(",\"", $name, "\":"))
    };
}
pub(crate) use key;

/// An object being written; `finish` closes it and ends the line.
pub struct Object<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> Object<'a> {
    pub fn new(out: &'a mut Vec<u8>) -> Object<'a> {
        out.push(b'{');
        Object { out, first: true }
    }

    #[inline(always)]
    fn key(&mut self, key: Key) {
        // The first key goes without its comma.
        let skip = usize::from(self.first);
        self.first = false;
        self.out.extend_from_slice(&key.0.as_bytes()[skip..]);
    }

    #[inline(always)]
    pub fn str(&mut self, key: Key, value: &str) -> &mut Self {
        self.key(key);
        string(self.out, value);
        self
    }

    /// A string known to need no escaping (no control character, `"` or `\\`): written as it is.
    #[inline(always)]
    pub fn plain(&mut self, key: Key, value: &str) -> &mut Self {
        debug_assert!(clean(value.as_bytes()), "{value:?} needs escaping");
        self.key(key);
        self.out.reserve(value.len() + 2);
        self.out.push(b'"');
        self.out.extend_from_slice(value.as_bytes());
        self.out.push(b'"');
        self
    }

    /// A string; `PLAIN` says it is known to need no escaping (see [`Object::plain`]).
    #[inline(always)]
    pub fn text<const PLAIN: bool>(&mut self, key: Key, value: &str) -> &mut Self {
        if PLAIN {
            self.plain(key, value)
        } else {
            self.str(key, value)
        }
    }

    /// A string, or `null`.
    #[inline(always)]
    pub fn opt_str(&mut self, key: Key, value: Option<&str>) -> &mut Self {
        match value {
            Some(value) => self.str(key, value),
            None => self.raw(key, "null"),
        }
    }

    pub fn opt_u16(&mut self, key: Key, value: Option<u16>) -> &mut Self {
        self.key(key);
        match value {
            Some(value) => {
                let _ = write!(self.out, "{value}");
            }
            None => self.out.extend_from_slice(b"null"),
        }
        self
    }

    pub fn bool(&mut self, key: Key, value: bool) -> &mut Self {
        self.raw(key, if value { "true" } else { "false" })
    }

    /// `[[name, value], …]`.
    pub fn pairs<'s>(
        &mut self,
        key: Key,
        pairs: impl Iterator<Item = (&'s str, &'s str)>,
    ) -> &mut Self {
        self.key(key);
        self.out.push(b'[');
        for (i, (name, value)) in pairs.enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            self.out.push(b'[');
            string(self.out, name);
            self.out.push(b',');
            string(self.out, value);
            self.out.push(b']');
        }
        self.out.push(b']');
        self
    }

    fn raw(&mut self, key: Key, literal: &str) -> &mut Self {
        self.key(key);
        self.out.extend_from_slice(literal.as_bytes());
        self
    }

    pub fn finish(&mut self) {
        self.out.extend_from_slice(b"}\n");
    }
}

/// Write `text` as a JSON string.
pub fn string(out: &mut Vec<u8>, text: &str) {
    out.reserve(text.len() + 2);
    out.push(b'"');
    let bytes = text.as_bytes();
    if clean(bytes) {
        out.extend_from_slice(bytes);
    } else {
        escaped(out, bytes);
    }
    out.push(b'"');
}

/// Whether no byte needs escaping: tested a word at a time, the tail padded with spaces.
fn clean(bytes: &[u8]) -> bool {
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        if needs_escape(u64::from_le_bytes(word.try_into().unwrap_or_default())) {
            return false;
        }
    }
    let mut tail = [b' '; 8];
    tail[..words.remainder().len()].copy_from_slice(words.remainder());
    !needs_escape(u64::from_le_bytes(tail))
}

/// The slow way, for strings with something to escape.
fn escaped(out: &mut Vec<u8>, bytes: &[u8]) {
    let mut from = 0;
    for (i, &byte) in bytes.iter().enumerate() {
        let escape: &[u8] = match byte {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x00..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[from..i]);
        if escape.is_empty() {
            let _ = write!(out, "\\u{:04x}", byte);
        } else {
            out.extend_from_slice(escape);
        }
        from = i + 1;
    }
    out.extend_from_slice(&bytes[from..]);
}

/// Whether any byte of `word` is a control character, `"` or `\`.
#[inline(always)]
fn needs_escape(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let zero_byte = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
    // A byte below 0x20: subtracting 0x20 borrows into its high bit (and it had none).
    let control = word.wrapping_sub(ONES * 0x20) & !word & HIGHS;
    (control | zero_byte(word ^ (ONES * b'"' as u64)) | zero_byte(word ^ (ONES * b'\\' as u64)))
        != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> String {
        let mut out = Vec::new();
        string(&mut out, text);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn strings_round_trip_through_serde_json() {
        for text in [
            "",
            "plain ascii that is longer than a word",
            "quote \" and backslash \\ and controls \u{0}\u{1b}\r\n\t\u{7f}",
            "教程 😀 \u{202e}",
            "12345678\"",
        ] {
            let encoded = json(text);
            let back: String = serde_json::from_str(&encoded).unwrap();
            assert_eq!(back, text, "{encoded}");
        }
    }

    #[test]
    fn objects_are_valid_json() {
        let mut out = Vec::new();
        Object::new(&mut out)
            .str(key!("a"), "x\"y")
            .opt_str(key!("b"), None)
            .opt_u16(key!("c"), Some(443))
            .bool(key!("d"), true)
            .pairs(key!("e"), [("k", "v"), ("k", "w")].into_iter())
            .finish();
        let value: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(value["e"][1][1], "w");
        assert_eq!(value["c"], 443);
        assert!(out.ends_with(b"}\n"));
    }
}
