//! One input taken apart: what kind it is (URL, query string, text), its WHATWG components, and
//! every part decoded in the chosen charset.
//!
//! Decoded strings live in one arena per [`Inspector`] and are addressed by ranges, so a stream of
//! inputs costs no allocation per part.

use std::ops::Range;

use encoding_rs::Encoding;
use url::Url;

use super::view::UrlView;

use super::charset::{self, Charset};
use super::percent;
use crate::cli::InputKind;
use crate::exit::Code;

/// A decoded string: a range of the inspector's arena.
pub type Text = Range<usize>;

/// What an input turned out to be.
// Made once per input and kept on the stack: boxing the URL would cost an allocation per line.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Parsed {
    Url(UrlView),
    Query,
    Text,
}

/// Everything decoded about one input; strings are ranges of [`Inspector::arena`].
#[derive(Debug)]
pub struct Inspected {
    pub parsed: Parsed,
    pub encoding: &'static Encoding,
    /// Whether any byte sequence was not valid text and was replaced by U+FFFD.
    pub lossy: bool,
    /// The whole input decoded (query kind: the query without a leading `?`).
    pub whole: Text,
    pub user: Option<Text>,
    pub password: Option<Text>,
    pub path: Option<Text>,
    pub query: Option<Text>,
    pub fragment: Option<Text>,
}

/// Reusable state for taking inputs apart.
pub struct Inspector {
    pub arena: String,
    /// The query parameters of the last input, in order, duplicates kept.
    pub params: Vec<(Text, Text)>,
    scratch: Vec<u8>,
    /// The pairs of a query decoded in one pass, as ranges of `scratch`.
    pairs: Vec<percent::Pair>,
    /// Whether a part decoded since this was cleared had a bad escape or bad text.
    trouble: bool,
    /// A buffer for the next URL's serialization (see [`Inspector::recycle`]).
    spare: String,
    pub charset: charset::Charset,
    /// `+` is a space outside query parameters too (`--form`).
    pub form: bool,
    pub kind: Option<InputKind>,
    pub base: Option<Url>,
    /// Collect the components (not only the whole text).
    pub components: bool,
}

/// A problem with one input that is reported (a warning, or an error with `--strict`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// A `%` not followed by two hex digits, at this input offset; kept literally.
    BadEscape { offset: usize, text: String },
    /// Bytes that are not valid text in the charset, at this input offset; shown as U+FFFD.
    BadText {
        offset: usize,
        encoding: &'static str,
    },
    /// The input looked like a URL (no `--as`, no `--base`) but does not parse as one; it is
    /// decoded as text. Only a warning, even with `--strict` (which is about escapes and text).
    NotUrl { why: String },
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::BadEscape { offset, text } => {
                write!(f, "invalid percent escape `{text}` at byte {offset}")
            }
            Problem::BadText { offset, encoding } => {
                write!(f, "invalid {encoding} at byte {offset}")
            }
            Problem::NotUrl { why } => write!(f, "looks like a URL but is not one ({why})"),
        }
    }
}

impl Inspector {
    pub fn new(charset: charset::Charset) -> Inspector {
        Inspector {
            arena: String::new(),
            params: Vec::new(),
            scratch: Vec::new(),
            pairs: Vec::new(),
            trouble: false,
            spare: String::new(),
            charset,
            form: false,
            kind: None,
            base: None,
            components: true,
        }
    }

    /// Keep what an input's URL allocated, for the next input.
    pub fn recycle(&mut self, inspected: Inspected) {
        if let Parsed::Url(view) = inspected.parsed {
            self.spare = view.into_buffer();
        }
    }

    /// The text of a range of the arena.
    pub fn text(&self, range: &Text) -> &str {
        &self.arena[range.clone()]
    }

    /// Take one input apart: `raw` is the input's bytes and `text` the same as UTF-8 (lossy).
    /// Problems are passed to `problem` (which may turn them into an error); a URL that does not
    /// parse where one is required is an error with exit code 2.
    pub fn inspect(
        &mut self,
        raw: &[u8],
        text: &str,
        mut problem: impl FnMut(Problem) -> anyhow::Result<()>,
    ) -> anyhow::Result<Inspected> {
        self.arena.clear();
        self.params.clear();
        let parsed = self.classify(raw, text, &mut problem)?;

        // The whole input, decoded: this finds every problem, with offsets in the input, and
        // settles the charset (for `auto`). What was resolved against --base is decoded as
        // resolved.
        let resolved;
        let source: &[u8] = match &parsed {
            Parsed::Url(url) if self.base.is_some() => {
                resolved = url.href().to_owned();
                resolved.as_bytes()
            }
            Parsed::Query => raw.strip_prefix(b"?").unwrap_or(raw),
            _ => raw,
        };
        // A URL in a fixed charset is decoded part by part; the whole input is gone through
        // again, to say where, only when a part had a problem. Otherwise the whole input is
        // decoded first: that finds every problem and settles the charset (for `auto`).
        let quick = self.components && matches!(parsed, Parsed::Url(_));
        let (encoding, whole, lossy) = match self.charset {
            Charset::Fixed(encoding) if quick => (encoding, 0..0, false),
            _ => self.whole(source, raw, true, &mut problem)?,
        };
        let mut inspected = Inspected {
            parsed,
            encoding,
            lossy,
            whole,
            user: None,
            password: None,
            path: None,
            query: None,
            fragment: None,
        };
        if self.components {
            self.trouble = false;
            self.components_of(&mut inspected, text);
            if self.trouble && quick {
                let mark = self.arena.len();
                let (_, _, lossy) = self.whole(source, raw, false, &mut problem)?;
                self.arena.truncate(mark);
                inspected.lossy = lossy;
            }
        }
        Ok(inspected)
    }

    /// Decode the whole input, reporting each problem with its offset in `source`, and choose
    /// the charset. The text is kept in the arena when `keep` (or when it had problems).
    fn whole(
        &mut self,
        source: &[u8],
        raw: &[u8],
        keep: bool,
        problem: &mut impl FnMut(Problem) -> anyhow::Result<()>,
    ) -> anyhow::Result<(&'static Encoding, Text, bool)> {
        let decoded: &[u8] = if percent::needs_decoding(source, self.form) {
            self.scratch.clear();
            let mut bad_escapes = Vec::new();
            percent::decode_reporting(source, self.form, &mut self.scratch, |at| {
                bad_escapes.push(at)
            });
            for offset in bad_escapes {
                let end = (offset + 3).min(source.len());
                problem(Problem::BadEscape {
                    offset,
                    text: String::from_utf8_lossy(&source[offset..end]).into_owned(),
                })?;
            }
            &self.scratch
        } else {
            source
        };
        let encoding = self.charset.choose(decoded, raw);
        if !keep && encoding == encoding_rs::UTF_8 && simdutf8::basic::from_utf8(decoded).is_ok() {
            return Ok((encoding, 0..0, false));
        }
        let mut bad_text = Vec::new();
        let start = self.arena.len();
        let lossy =
            charset::decode_text(encoding, decoded, &mut self.arena, |at| bad_text.push(at));
        for at in bad_text {
            problem(Problem::BadText {
                offset: percent::input_offset(source, at),
                encoding: encoding.name(),
            })?;
        }
        Ok((encoding, start..self.arena.len(), lossy))
    }

    /// Decide what the input is.
    fn classify(
        &mut self,
        raw: &[u8],
        text: &str,
        problem: &mut impl FnMut(Problem) -> anyhow::Result<()>,
    ) -> anyhow::Result<Parsed> {
        let kind = match (self.kind, &self.base) {
            (Some(kind), _) => kind,
            (None, Some(_)) => InputKind::Url,
            (None, None) => guess(raw),
        };
        Ok(match kind {
            InputKind::Url => {
                if self.base.is_none()
                    && let Some(view) = UrlView::fast(text, std::mem::take(&mut self.spare))
                {
                    return Ok(Parsed::Url(view));
                }
                match Url::options().base_url(self.base.as_ref()).parse(text) {
                    Ok(url) => Parsed::Url(UrlView::from_url(url)),
                    // Only a guess: the same input decodes as text whatever the mode (stdin's
                    // fast path never parses it), so it is not worth stopping a stream for.
                    Err(err) if self.kind.is_none() && self.base.is_none() => {
                        problem(Problem::NotUrl {
                            why: err.to_string(),
                        })?;
                        Parsed::Text
                    }
                    Err(err) => return Err(Code::Usage.error(format!("not a valid URL: {err}"))),
                }
            }
            InputKind::Query => Parsed::Query,
            InputKind::Text => Parsed::Text,
        })
    }

    fn components_of(&mut self, inspected: &mut Inspected, text: &str) {
        let encoding = inspected.encoding;
        let form = self.form;
        match &inspected.parsed {
            Parsed::Url(url) => {
                if !url.username().is_empty() {
                    inspected.user = Some(self.decode(url.username(), form, encoding));
                }
                if let Some(password) = url.password() {
                    inspected.password = Some(self.decode(password, form, encoding));
                }
                inspected.path = Some(self.decode(url.path(), form, encoding));
                if let Some(query) = url.query() {
                    inspected.query = Some(match self.query_in_one_pass(query, encoding) {
                        Some(decoded) => decoded,
                        None => {
                            let decoded = self.decode(query, form, encoding);
                            self.params(query, encoding);
                            decoded
                        }
                    });
                }
                if let Some(fragment) = url.fragment() {
                    inspected.fragment = Some(self.decode(fragment, form, encoding));
                }
            }
            Parsed::Query => {
                inspected.query = Some(inspected.whole.clone());
                self.params(text.strip_prefix('?').unwrap_or(text), encoding);
            }
            Parsed::Text => {}
        }
    }

    /// Percent-decode `part` and append it to the arena as text.
    pub fn decode(&mut self, part: &str, form: bool, encoding: &'static Encoding) -> Text {
        let start = self.arena.len();
        // Plain ASCII stays as it is in every charset a URL can be in.
        if !percent::needs_decoding(part.as_bytes(), form) && part.is_ascii() {
            self.arena.push_str(part);
            return start..self.arena.len();
        }
        self.scratch.clear();
        let mut trouble = false;
        percent::decode_reporting(part.as_bytes(), form, &mut self.scratch, |_| trouble = true);
        trouble |= charset::decode_text(encoding, &self.scratch, &mut self.arena, |_| {});
        self.trouble |= trouble;
        start..self.arena.len()
    }

    /// The query decoded once, into the arena, and its parameters as slices of it, with one
    /// UTF-8 check for them all. Only where the parameters are the same bytes as the query:
    /// UTF-8, and no `+` (a space in a parameter, not in the query) unless `--form`. `None`
    /// (and nothing written) otherwise, or when the query does not decode to UTF-8.
    fn query_in_one_pass(&mut self, query: &str, encoding: &'static Encoding) -> Option<Text> {
        if encoding != encoding_rs::UTF_8
            || (!self.form && memchr::memchr(b'+', query.as_bytes()).is_some())
        {
            return None;
        }
        self.scratch.clear();
        self.pairs.clear();
        let clean =
            percent::decode_query(query.as_bytes(), true, &mut self.scratch, &mut self.pairs);
        let text = simdutf8::basic::from_utf8(&self.scratch).ok()?;
        let start = self.arena.len();
        self.arena.push_str(text);
        let at = |range: &Text| start + range.start..start + range.end;
        self.params
            .extend(self.pairs.iter().map(|(name, value)| (at(name), at(value))));
        self.trouble |= !clean;
        Some(start..self.arena.len())
    }

    /// The application/x-www-form-urlencoded parser of the URL Standard: `&`-separated pairs,
    /// split at the first `=`, `+` is a space, then percent-decoded; empty pairs are skipped and
    /// duplicates kept in order.
    fn params(&mut self, query: &str, encoding: &'static Encoding) {
        // Split at ASCII bytes (always char boundaries): cheaper than a char pattern on short parts.
        let mut rest = query;
        while !rest.is_empty() {
            let end = rest.bytes().position(|b| b == b'&').unwrap_or(rest.len());
            let pair = &rest[..end];
            rest = rest.get(end + 1..).unwrap_or("");
            if pair.is_empty() {
                continue;
            }
            let (name, value) = match pair.bytes().position(|b| b == b'=') {
                Some(at) => (&pair[..at], &pair[at + 1..]),
                None => (pair, ""),
            };
            let name = self.decode(name, true, encoding);
            let value = self.decode(value, true, encoding);
            self.params.push((name, value));
        }
    }
}

/// Guess what an input is: a URL (`scheme://…` or a well-known scheme), a query string
/// (`name=value&…` without spaces), or plain text.
pub fn guess(raw: &[u8]) -> InputKind {
    let raw = raw.trim_ascii();
    if let Some(colon) = memchr::memchr(b':', raw) {
        let scheme = &raw[..colon];
        let well_formed = scheme.first().is_some_and(u8::is_ascii_alphabetic)
            && scheme
                .iter()
                .all(|&b| b.is_ascii_alphanumeric() || b"+-.".contains(&b));
        let known = [
            &b"mailto"[..],
            b"data",
            b"javascript",
            b"urn",
            b"tel",
            b"file",
            b"blob",
            b"about",
        ];
        if well_formed
            && (raw[colon + 1..].starts_with(b"//")
                || known.iter().any(|k| scheme.eq_ignore_ascii_case(k)))
        {
            return InputKind::Url;
        }
    }
    if raw.starts_with(b"?") {
        return InputKind::Query;
    }
    let first_eq = memchr::memchr(b'=', raw);
    if first_eq.is_some_and(|at| at > 0) && !raw.iter().any(|b| b.is_ascii_whitespace()) {
        return InputKind::Query;
    }
    InputKind::Text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inspect(raw: &str, charset: Charset) -> (Inspector, Inspected, Vec<Problem>) {
        let mut inspector = Inspector::new(charset);
        let mut problems = Vec::new();
        let inspected = inspector
            .inspect(raw.as_bytes(), raw, |p| {
                problems.push(p);
                Ok(())
            })
            .unwrap();
        (inspector, inspected, problems)
    }

    #[test]
    fn guesses_kinds() {
        assert_eq!(guess(b"https://www.baidu.com/s?wd=1"), InputKind::Url);
        assert_eq!(guess(b"mailto:a@b.c"), InputKind::Url);
        assert_eq!(
            guess(b"wd=python%E6%95%99%E7%A8%8B&rn=20"),
            InputKind::Query
        );
        assert_eq!(guess(b"?a=1"), InputKind::Query);
        assert_eq!(guess(b"python%E6%95%99"), InputKind::Text);
        assert_eq!(guess(b"key: value"), InputKind::Text);
        assert_eq!(guess(b"a = b"), InputKind::Text);
    }

    #[test]
    fn the_notes_news_url_has_four_params() {
        let (inspector, _inspected, problems) = inspect(
            "http://news.baidu.com/ns?cl=2&rn=20&tn=news&word=%E6%B5%8B%E8%AF%95",
            Charset::Fixed(encoding_rs::UTF_8),
        );
        assert!(problems.is_empty());
        let params: Vec<(&str, &str)> = inspector
            .params
            .iter()
            .map(|(n, v)| (inspector.text(n), inspector.text(v)))
            .collect();
        assert_eq!(
            params,
            [("cl", "2"), ("rn", "20"), ("tn", "news"), ("word", "测试")]
        );
    }

    #[test]
    fn gbk_is_found_by_auto() {
        let (inspector, inspected, _) =
            inspect("https://www.baidu.com/s?wd=%D6%D0%CE%C4", Charset::Auto);
        assert_eq!(inspected.encoding, encoding_rs::GB18030);
        assert_eq!(
            inspector.text(&inspected.whole),
            "https://www.baidu.com/s?wd=中文"
        );
    }

    #[test]
    fn problems_name_offsets_in_the_input() {
        let (_, inspected, problems) = inspect("a%zz%E6%95b", Charset::Fixed(encoding_rs::UTF_8));
        assert!(inspected.lossy);
        assert_eq!(
            problems,
            [
                Problem::BadEscape {
                    offset: 1,
                    text: "%zz".into()
                },
                Problem::BadText {
                    offset: 4,
                    encoding: "UTF-8"
                }
            ]
        );
    }
}
