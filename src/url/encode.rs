//! `urlencode`: percent-encoding with the sets people need (percent-encoding and
//! form_urlencoded do the work).

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_encode};

/// Which bytes stay as they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncodeSet {
    /// As JavaScript's `encodeURIComponent`: letters, digits and `-_.!~*'()` stay.
    Component,
    /// application/x-www-form-urlencoded: letters, digits and `*-._` stay, space becomes `+`.
    Form,
    /// As `Component`, and `/` stays too (a path).
    Path,
}

/// Everything but what `encodeURIComponent` leaves alone.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');
const PATH: &AsciiSet = &COMPONENT.remove(b'/');

/// Append `bytes` percent-encoded to `out`.
pub fn encode_into(bytes: &[u8], set: EncodeSet, out: &mut Vec<u8>) {
    match set {
        EncodeSet::Component => out.extend(percent_encode(bytes, COMPONENT).flat_map(str::bytes)),
        EncodeSet::Path => out.extend(percent_encode(bytes, PATH).flat_map(str::bytes)),
        EncodeSet::Form => {
            out.extend(url::form_urlencoded::byte_serialize(bytes).flat_map(str::bytes))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(text: &str, set: EncodeSet) -> String {
        let mut out = Vec::new();
        encode_into(text.as_bytes(), set, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn component_is_encode_uri_component() {
        assert_eq!(
            enc("python教程", EncodeSet::Component),
            "python%E6%95%99%E7%A8%8B"
        );
        assert_eq!(
            enc("a b&c=d/e?!'()*~", EncodeSet::Component),
            "a%20b%26c%3Dd%2Fe%3F!'()*~"
        );
    }

    #[test]
    fn form_uses_plus() {
        assert_eq!(enc("a b&c", EncodeSet::Form), "a+b%26c");
    }

    proptest::proptest! {
        /// urldecode(urlencode(s)) == s, for any text and any charset that can write it.
        #[test]
        fn decoding_reverses_encoding(
            text in "\\PC{0,40}",
            label in proptest::sample::select(&["utf-8", "gbk", "gb18030", "big5", "shift_jis",
                                                "euc-kr", "windows-1252"][..]),
            set in proptest::sample::select(&[EncodeSet::Component, EncodeSet::Form, EncodeSet::Path][..]),
        ) {
            let encoding = encoding_rs::Encoding::for_label(label.as_bytes()).unwrap();
            let Ok(bytes) = crate::url::charset::encode_text(encoding, &text) else {
                return Ok(()); // this charset cannot write this text
            };
            // Some charsets write a character they do not read back the same (Shift_JIS writes
            // ¥ as 0x5C, which reads as `\`, as browsers do): those cannot encode the text.
            if encoding.decode_without_bom_handling(&bytes).0 != text {
                return Ok(());
            }
            let mut encoded = Vec::new();
            encode_into(&bytes, set, &mut encoded);
            let mut decoded = Vec::new();
            crate::url::percent::decode_reporting(&encoded, set == EncodeSet::Form, &mut decoded, |at| {
                panic!("urlencode wrote an invalid escape at {at}")
            });
            let mut back = String::new();
            crate::url::charset::decode_text(encoding, &decoded, &mut back, |at| {
                panic!("undecodable byte at {at}")
            });
            proptest::prop_assert_eq!(back, text);
        }
    }

    #[test]
    fn path_keeps_slashes() {
        assert_eq!(
            enc("/docs/教程 1.txt", EncodeSet::Path),
            "/docs/%E6%95%99%E7%A8%8B%201.txt"
        );
    }
}
