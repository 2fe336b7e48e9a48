//! A parsed URL as netlab shows it: its serialization and where each WHATWG component lies in it.
//!
//! Most URLs in logs are plain absolute http(s) URLs already in the form the URL Standard would
//! serialize them in. For those, [`UrlView::fast`] finds the components without the url crate's
//! full parser (which re-serializes every byte into a new string); every other URL goes through
//! the url crate. A test checks, over the WHATWG test data and generated URLs, that every URL
//! the fast path takes gets exactly the components the url crate gives it.

use std::ops::Range;

use url::{Host, Position, Url};

/// The components of one URL, as ranges of its serialization.
#[derive(Debug, Clone, Default)]
pub struct UrlView {
    href: String,
    scheme: Range<usize>,
    username: Range<usize>,
    password: Option<Range<usize>>,
    /// The hostname; `None` when the URL has no host.
    hostname: Option<Range<usize>>,
    /// Hostname and port, as the `host` getter shows them.
    host: Range<usize>,
    /// The port digits, empty when the port is the scheme's default or absent.
    port: Range<usize>,
    port_number: Option<u16>,
    default_port: Option<u16>,
    path: Range<usize>,
    query: Option<Range<usize>>,
    fragment: Option<Range<usize>>,
    domain: bool,
    /// Whether the domain has a punycode label (`xn--`).
    punycode: bool,
    /// Whether the fast parser took it: the serialization is the input, of plain bytes only.
    plain: bool,
}

/// Where `part` lies in `base` (`part` is a slice of `base`, or empty).
fn span(base: &str, part: &str) -> Range<usize> {
    if part.is_empty() {
        return 0..0;
    }
    let start = part.as_ptr() as usize - base.as_ptr() as usize;
    start..start + part.len()
}

impl UrlView {
    /// The view of a URL the url crate parsed.
    pub fn from_url(url: Url) -> UrlView {
        let base = url.as_str();
        let view = UrlView {
            href: String::new(),
            scheme: 0..url.scheme().len(),
            username: span(base, url.username()),
            password: url.password().map(|p| span(base, p)),
            hostname: url.host_str().map(|h| span(base, h)),
            host: span(base, &url[Position::BeforeHost..Position::AfterPort]),
            port: span(base, &url[Position::BeforePort..Position::AfterPort]),
            port_number: url.port(),
            default_port: url.port_or_known_default().filter(|_| url.port().is_none()),
            path: span(base, url.path()),
            query: url.query().map(|q| span(base, q)),
            fragment: url.fragment().map(|f| span(base, f)),
            domain: matches!(url.host(), Some(Host::Domain(_))),
            punycode: url.host_str().is_some_and(|h| h.contains("xn--")),
            plain: false,
        };
        UrlView {
            href: url.into(),
            ..view
        }
    }

    /// The view of `input` when it is a plain absolute `http` or `https` URL that the URL
    /// Standard's parser would leave exactly as it is; `None` for anything else.
    pub fn fast(input: &str, mut buffer: String) -> Option<UrlView> {
        let bytes = input.as_bytes();
        let (scheme_len, default_port) = if bytes.starts_with(b"http://") {
            (4, 80)
        } else if bytes.starts_with(b"https://") {
            (5, 443)
        } else {
            return None;
        };
        let host_start = scheme_len + 3;
        let host_end = host_start + run(&bytes[host_start..], HOST);
        if !plain_domain(&bytes[host_start..host_end]) {
            return None;
        }
        let mut at = host_end;
        let mut port_number = None;
        if bytes.get(at) == Some(&b':') {
            let digits = &bytes[at + 1..at + 1 + run(&bytes[at + 1..], DIGIT)];
            let number = plain_port(digits)?;
            if number == default_port {
                return None;
            }
            port_number = Some(number);
            at += 1 + digits.len();
        }
        let port = if port_number.is_some() {
            host_end + 1..at
        } else {
            at..at
        };
        // The path must be there (the parser would add `/`) and need no change.
        let path_start = at;
        if bytes.get(at) != Some(&b'/') {
            return None;
        }
        at += run(&bytes[at..], PATH);
        if !plain_path(&bytes[path_start..at]) {
            return None;
        }
        let path = path_start..at;
        let mut query = None;
        if bytes.get(at) == Some(&b'?') {
            let start = at + 1;
            at = start + run(&bytes[start..], QUERY);
            query = Some(start..at);
        }
        let mut fragment = None;
        if bytes.get(at) == Some(&b'#') {
            let start = at + 1;
            at = start + run(&bytes[start..], FRAGMENT);
            fragment = Some(start..at);
        }
        // Anything left is a byte the parser would change.
        if at != bytes.len() {
            return None;
        }
        buffer.clear();
        buffer.push_str(input);
        Some(UrlView {
            href: buffer,
            scheme: 0..scheme_len,
            username: 0..0,
            password: None,
            hostname: Some(host_start..host_end),
            host: host_start..port.end,
            port,
            port_number,
            default_port: port_number.is_none().then_some(default_port),
            path,
            query,
            fragment,
            domain: true,
            punycode: false,
            plain: true,
        })
    }

    /// Give back the serialization's buffer for the next URL.
    pub fn into_buffer(self) -> String {
        self.href
    }

    pub fn href(&self) -> &str {
        &self.href
    }
    /// The scheme with its colon, as the `protocol` getter shows it.
    pub fn protocol(&self) -> &str {
        &self.href[..self.scheme.end + 1]
    }
    pub fn scheme(&self) -> &str {
        &self.href[self.scheme.clone()]
    }
    pub fn username(&self) -> &str {
        &self.href[self.username.clone()]
    }
    pub fn password(&self) -> Option<&str> {
        self.password.clone().map(|r| &self.href[r])
    }
    pub fn host_str(&self) -> Option<&str> {
        self.hostname.clone().map(|r| &self.href[r])
    }
    /// Hostname and port, as the `host` getter shows them.
    pub fn host(&self) -> &str {
        &self.href[self.host.clone()]
    }
    /// The port as the `port` getter shows it: empty when it is the default or absent.
    pub fn port_str(&self) -> &str {
        &self.href[self.port.clone()]
    }
    pub fn port(&self) -> Option<u16> {
        self.port_number
    }
    pub fn port_or_known_default(&self) -> Option<u16> {
        self.port_number.or(self.default_port)
    }
    pub fn path(&self) -> &str {
        &self.href[self.path.clone()]
    }
    pub fn query(&self) -> Option<&str> {
        self.query.clone().map(|r| &self.href[r])
    }
    pub fn fragment(&self) -> Option<&str> {
        self.fragment.clone().map(|r| &self.href[r])
    }
    /// `?query`, or empty when the query is empty or absent (the `search` getter).
    pub fn search(&self) -> &str {
        match &self.query {
            Some(r) if !r.is_empty() => &self.href[r.start - 1..r.end],
            _ => "",
        }
    }
    /// `#fragment`, or empty when the fragment is empty or absent (the `hash` getter).
    pub fn hash(&self) -> &str {
        match &self.fragment {
            Some(r) if !r.is_empty() => &self.href[r.start - 1..r.end],
            _ => "",
        }
    }
    /// Whether the host is a domain (not an IP address, not absent).
    pub fn is_domain(&self) -> bool {
        self.domain
    }
    /// Whether the fast parser took it: the serialization is the input, and has no control
    /// character, space, quote or backslash.
    pub fn is_plain(&self) -> bool {
        self.plain
    }
    /// Whether the host is a domain with a punycode label.
    pub fn has_punycode(&self) -> bool {
        self.punycode
    }
}

// What each component keeps as it is, as bits of a table indexed by byte. PLAIN is letters,
// digits, RFC 3986's unreserved and sub-delimiter characters, `:`, `@` and `%`; a special URL's
// query escapes `'`, its path escapes `?` and `#`.
const HOST: u8 = 1;
const DIGIT: u8 = 2;
const PATH: u8 = 4;
const QUERY: u8 = 8;
const FRAGMENT: u8 = 16;
static CLASS: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        let plain = c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b':'
                    | b'@'
                    | b'%'
            );
        let mut bits = 0;
        if c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-' || c == b'.' {
            bits |= HOST;
        }
        if c.is_ascii_digit() {
            bits |= DIGIT;
        }
        if plain || c == b'/' || c == b'\'' {
            bits |= PATH;
        }
        if plain || c == b'/' || c == b'?' {
            bits |= QUERY;
        }
        if plain || matches!(c, b'/' | b'?' | b'\'' | b'#') {
            bits |= FRAGMENT;
        }
        table[b] = bits;
        b += 1;
    }
    table
};

/// How many bytes at the start of `bytes` are in `class`.
fn run(bytes: &[u8], class: u8) -> usize {
    bytes
        .iter()
        .position(|&b| CLASS[b as usize] & class == 0)
        .unwrap_or(bytes.len())
}

/// A domain that host parsing keeps as it is (the bytes are already lower-case letters, digits,
/// `-` and `.`): non-empty labels, no punycode label (IDNA would check it), and a last label that
/// does not start with a digit (it could be an IPv4 address).
fn plain_domain(host: &[u8]) -> bool {
    if host.is_empty() {
        return false;
    }
    let mut label_start = 0;
    for (i, &b) in host.iter().enumerate() {
        if b == b'.' {
            if i == label_start || host[label_start..].starts_with(b"xn--") {
                return false;
            }
            label_start = i + 1;
        }
    }
    let last = &host[label_start..];
    !last.is_empty() && !last[0].is_ascii_digit() && !last.starts_with(b"xn--")
}

/// Port digits the parser keeps as they are: no leading zero, at most 65535.
fn plain_port(digits: &[u8]) -> Option<u16> {
    if digits.is_empty() || digits.len() > 5 || (digits.len() > 1 && digits[0] == b'0') {
        return None;
    }
    let value = digits
        .iter()
        .fold(0u32, |value, &d| value * 10 + u32::from(d - b'0'));
    u16::try_from(value).ok()
}

/// A path (of PATH bytes, starting with `/`) with no dot segment, nor a `%2e` that could make one.
fn plain_path(path: &[u8]) -> bool {
    let mut segment_start = 0;
    for (i, &b) in path.iter().enumerate() {
        match b {
            b'/' => {
                if dot_segment(&path[segment_start..i]) {
                    return false;
                }
                segment_start = i + 1;
            }
            b'%' if path.get(i + 1) == Some(&b'2')
                && matches!(path.get(i + 2), Some(b'e' | b'E')) =>
            {
                return false;
            }
            _ => {}
        }
    }
    !dot_segment(&path[segment_start..])
}

fn dot_segment(segment: &[u8]) -> bool {
    segment == b"." || segment == b".."
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every getter of the fast view equals the url crate's.
    fn assert_same(input: &str) -> bool {
        let Some(fast) = UrlView::fast(input, String::new()) else {
            return false;
        };
        let url =
            Url::parse(input).unwrap_or_else(|e| panic!("{input:?} taken fast but invalid: {e}"));
        use url::quirks;
        assert_eq!(fast.href(), quirks::href(&url), "href of {input:?}");
        assert_eq!(
            fast.protocol(),
            quirks::protocol(&url),
            "protocol of {input:?}"
        );
        assert_eq!(
            fast.username(),
            quirks::username(&url),
            "username of {input:?}"
        );
        assert_eq!(fast.password(), url.password(), "password of {input:?}");
        assert_eq!(fast.host(), quirks::host(&url), "host of {input:?}");
        assert_eq!(fast.host_str(), url.host_str(), "hostname of {input:?}");
        assert_eq!(fast.port_str(), quirks::port(&url), "port of {input:?}");
        assert_eq!(fast.port(), url.port(), "port number of {input:?}");
        assert_eq!(fast.port_or_known_default(), url.port_or_known_default());
        assert_eq!(fast.path(), quirks::pathname(&url), "pathname of {input:?}");
        assert_eq!(fast.search(), quirks::search(&url), "search of {input:?}");
        assert_eq!(fast.hash(), quirks::hash(&url), "hash of {input:?}");
        assert_eq!(fast.query(), url.query(), "query of {input:?}");
        assert_eq!(fast.fragment(), url.fragment(), "fragment of {input:?}");
        assert_eq!(fast.scheme(), url.scheme());
        assert_eq!(
            fast.is_domain(),
            matches!(url.host(), Some(Host::Domain(_)))
        );
        // And the slow view of the same URL agrees too.
        let slow = UrlView::from_url(url);
        assert_eq!(slow.href(), fast.href());
        assert_eq!(slow.search(), fast.search());
        assert_eq!(slow.hash(), fast.hash());
        assert_eq!(slow.query(), fast.query());
        assert_eq!(slow.fragment(), fast.fragment());
        assert_eq!(slow.host(), fast.host());
        assert_eq!(slow.port_str(), fast.port_str());
        true
    }

    #[test]
    fn fast_path_takes_the_notes_urls() {
        assert!(assert_same(
            "https://www.baidu.com/s?wd=python%E6%95%99%E7%A8%8B"
        ));
        assert!(assert_same(
            "http://news.baidu.com/ns?cl=2&rn=20&tn=news&word=%E6%B5%8B%E8%AF%95"
        ));
        assert!(assert_same("http://example.org:8080/a/b?#"));
        assert!(assert_same("https://a.b/c?d#e#f"));
    }

    #[test]
    fn fast_path_leaves_what_parsing_would_change() {
        for input in [
            "HTTP://example.org/",
            "http://Example.org/",
            "http://example.org",
            "http://example.org:80/",
            "http://example.org:080/",
            "http://1.2.3.4/",
            "http://example.0x1/",
            "http://xn--fiqs8s.cn/",
            "http://a..b/",
            "http://example.org/a/../b",
            "http://example.org/a/%2e/b",
            "http://example.org/a b",
            "http://example.org/?q='",
            "http://user@example.org/",
            "http://example.org/教程",
            "http://example.org\\a",
        ] {
            assert!(
                UrlView::fast(input, String::new()).is_none(),
                "{input:?} should go the slow way"
            );
        }
    }

    #[test]
    fn slow_view_of_urls_without_host_or_with_empty_parts() {
        let view = UrlView::from_url(Url::parse("mailto:a@b.c").unwrap());
        assert_eq!(view.host_str(), None);
        assert_eq!(view.host(), "");
        assert_eq!(view.path(), "a@b.c");
        let view = UrlView::from_url(Url::parse("http://u:p@[::1]:81/x?#").unwrap());
        assert_eq!(view.host_str(), Some("[::1]"));
        assert_eq!(view.host(), "[::1]:81");
        assert_eq!(view.username(), "u");
        assert_eq!(view.password(), Some("p"));
        assert_eq!(view.query(), Some(""));
        assert_eq!(view.fragment(), Some(""));
        assert_eq!(view.search(), "");
        assert!(!view.is_domain());
    }

    /// URL-like strings near the edge of what the fast path takes.
    const URLISH: &str = "https?://[a-z0-9.:-]{0,12}(/[a-zA-Z0-9.%:@!$&'()*+,;=~_ -]{0,6}){0,3}(\\?[a-zA-Z0-9.%:@!$&'()*+,;=~_/?#-]{0,10})?(#[a-zA-Z0-9.%:@!$&'()*+,;=~_/?#-]{0,6})?";

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]
        #[test]
        fn fast_path_agrees_with_the_url_crate(input in URLISH) {
            assert_same(&input);
        }
    }

    #[test]
    fn generated_urls_often_take_the_fast_path() {
        use proptest::strategy::ValueTree;
        use proptest::test_runner::TestRunner;
        let mut runner = TestRunner::deterministic();
        let strategy = proptest::string::string_regex(URLISH).unwrap();
        let fast = (0..2000)
            .filter(|_| {
                let input = strategy.new_tree(&mut runner).unwrap().current();
                UrlView::fast(&input, String::new()).is_some()
            })
            .count();
        assert!(
            fast > 200,
            "only {fast} of 2000 generated URLs took the fast path"
        );
    }
}
