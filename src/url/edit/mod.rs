//! `netlab url`'s model of a URL: its components as trurl names them, read by RFC 3986 (the
//! iri-string crate, which also takes RFC 3987's non-ASCII IRIs) or by the WHATWG URL Standard
//! (the url crate), changed in place, and written back.
//!
//! Components are kept percent-encoded, as they stand in the URL: an edit never re-encodes what
//! it did not touch (so `%20` in a query stays `%20`, unlike trurl#328).

use iri_string::types::{IriAbsoluteStr, IriReferenceStr};
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

use crate::cli::Standard;

// The edits themselves (set, append, trim, sort, redirect, output) live in `change.rs`.
mod change;
// --replace pairs and --curl's schemes.
mod pairs;

use pairs::encode_pair;
pub use pairs::{Replace, curl_supports};

/// The longest URL `netlab url` reads.
pub const MAX_URL: usize = 8 * 1024 * 1024;

/// A component, by trurl's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comp {
    Url,
    Scheme,
    User,
    Password,
    Options,
    Host,
    Port,
    Path,
    Query,
    Fragment,
    Zoneid,
}

impl Comp {
    pub const NAMES: &'static str =
        "url, scheme, user, password, options, host, port, path, query, fragment, zoneid";

    pub fn parse(name: &str) -> Option<Comp> {
        Some(match name {
            "url" => Comp::Url,
            "scheme" => Comp::Scheme,
            "user" => Comp::User,
            "password" => Comp::Password,
            "options" => Comp::Options,
            "host" => Comp::Host,
            "port" => Comp::Port,
            "path" => Comp::Path,
            "query" => Comp::Query,
            "fragment" => Comp::Fragment,
            "zoneid" => Comp::Zoneid,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Comp::Url => "url",
            Comp::Scheme => "scheme",
            Comp::User => "user",
            Comp::Password => "password",
            Comp::Options => "options",
            Comp::Host => "host",
            Comp::Port => "port",
            Comp::Path => "path",
            Comp::Query => "query",
            Comp::Fragment => "fragment",
            Comp::Zoneid => "zoneid",
        }
    }
}

/// How a URL is read.
#[derive(Debug, Clone)]
pub struct Reader {
    pub standard: Standard,
    pub guess_scheme: bool,
    pub accept_space: bool,
}

/// A URL as components, each as it is written in the URL (percent-encoded).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parts {
    pub scheme: Option<String>,
    pub user: Option<String>,
    pub password: Option<String>,
    pub options: Option<String>,
    /// With brackets for IPv6 (`[::1]`), without the zone.
    pub host: Option<String>,
    pub zoneid: Option<String>,
    pub port: Option<String>,
    pub path: String,
    pub query: Option<String>,
    pub fragment: Option<String>,
}

/// The port a scheme uses when the URL names none (the schemes libcurl knows).
pub fn default_port(scheme: &str) -> Option<u16> {
    Some(match scheme {
        "http" | "ws" => 80,
        "https" | "wss" => 443,
        "ftp" => 21,
        "ftps" => 990,
        "gopher" => 70,
        "gophers" => 70,
        "imap" => 143,
        "imaps" => 993,
        "pop3" => 110,
        "pop3s" => 995,
        "smtp" => 25,
        "smtps" => 465,
        "ldap" => 389,
        "ldaps" => 636,
        "dict" => 2628,
        "telnet" => 23,
        "tftp" => 69,
        "rtsp" => 554,
        "scp" | "sftp" => 22,
        "smb" | "smbs" => 445,
        "mqtt" => 1883,
        _ => return None,
    })
}

/// Schemes whose user part carries `;options` (as libcurl splits them).
fn has_options(scheme: &str) -> bool {
    matches!(
        scheme,
        "imap" | "imaps" | "pop3" | "pop3s" | "smtp" | "smtps"
    )
}

/// Where a scheme (`ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":"`) ends, if the text starts
/// with one.
pub fn scheme_end(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    if !bytes.first()?.is_ascii_alphabetic() {
        return None;
    }
    let end = bytes
        .iter()
        .position(|&b| !(b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')))?;
    (bytes[end] == b':').then_some(end)
}

pub fn valid_scheme(text: &str) -> bool {
    scheme_end(&format!("{text}:")) == Some(text.len())
}

// RFC 3986 §3.2.1 userinfo, §3.3 pchar, §3.4 query, §3.5 fragment: what may stand unescaped.
// Everything else (and `%` itself: a --set value is text, not escapes) is percent-encoded.
const UNRESERVED_AND_SUBDELIMS: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b':')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'@')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');
const USERINFO: &AsciiSet = &UNRESERVED_AND_SUBDELIMS.add(b';');
/// A path segment: pchar (so `/` is escaped).
const SEGMENT: &AsciiSet = &UNRESERVED_AND_SUBDELIMS.remove(b':').remove(b'@');
const PATH: &AsciiSet = &SEGMENT.remove(b'/');
const QUERY: &AsciiSet = &PATH.remove(b'?');
/// A name or value of a query pair: also `&`, `=`, `+` and `;` escaped.
const QUERY_PAIR: &AsciiSet = &QUERY.add(b'&').add(b'=').add(b'+').add(b';');
/// What `--urlencode` escapes in a component that is already encoded: non-ASCII, spaces and
/// controls (never `%`).
const OUTPUT: &AsciiSet = &CONTROLS.add(b' ').add(b'"').add(b'<').add(b'>').add(b'`');

fn encode(text: &str, set: &'static AsciiSet) -> String {
    utf8_percent_encode(text, set).to_string()
}

/// Escape what `--urlencode` must in an encoded component.
pub fn encode_output(text: &str) -> String {
    encode(text, OUTPUT)
}

/// Why a text is not a URI by RFC 3986, in words: the first character the grammar refuses.
fn why_not_rfc3986(text: &str) -> String {
    let bytes = text.as_bytes();
    for (at, c) in text.char_indices() {
        let reason = match c {
            '\\' => "a backslash (RFC 3986 allows none; browsers read it as /)",
            ' ' => "a space (RFC 3986 allows none; --accept-space encodes it)",
            '"' | '<' | '>' | '^' | '`' | '{' | '|' | '}' => {
                "a character RFC 3986 allows only percent-encoded"
            }
            '%' if !(bytes.len() > at + 2
                && bytes[at + 1].is_ascii_hexdigit()
                && bytes[at + 2].is_ascii_hexdigit()) =>
            {
                "a % that starts no %XX escape"
            }
            c if c.is_control() => "a control character",
            _ => continue,
        };
        return format!("{reason}, at byte {at}");
    }
    "not a URI by RFC 3986 (its authority, port or brackets do not follow the grammar)".to_string()
}

/// Lowercase ASCII letters, not the hex digits of escapes (RFC 3986 §6.2.2.1 keeps those upper).
fn lowercase_host(host: &str) -> String {
    let mut out = String::with_capacity(host.len());
    let mut escape = 0;
    for c in host.chars() {
        if escape > 0 {
            escape -= 1;
            out.push(c.to_ascii_uppercase());
        } else if c == '%' {
            escape = 2;
            out.push(c);
        } else {
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// RFC 3986 §5.2.4, remove_dot_segments, step by step as the RFC writes it.
pub fn remove_dot_segments(path: &str) -> String {
    if !path.contains('.') {
        return path.to_string();
    }
    fn pop(output: &mut String) {
        output.truncate(output.rfind('/').unwrap_or(0));
    }
    let mut input = path;
    let mut output = String::with_capacity(path.len());
    while !input.is_empty() {
        if let Some(rest) = input.strip_prefix("../") {
            input = rest;
        } else if let Some(rest) = input.strip_prefix("./") {
            input = rest;
        } else if input.starts_with("/./") {
            input = &input[2..];
        } else if input == "/." {
            input = "/";
        } else if input.starts_with("/../") {
            input = &input[3..];
            pop(&mut output);
        } else if input == "/.." {
            input = "/";
            pop(&mut output);
        } else if input == "." || input == ".." {
            input = "";
        } else {
            // The first segment, with its `/` if it has one (bytes: `/` is ASCII).
            let end = input
                .bytes()
                .skip(1)
                .position(|b| b == b'/')
                .map_or(input.len(), |at| at + 1);
            output.push_str(&input[..end]);
            input = &input[end..];
        }
    }
    output
}

/// The scheme a host name suggests, as libcurl guesses (`ftp.example.org` is FTP).
fn guessed_scheme(rest: &str) -> &'static str {
    let host = rest.split(['/', '?', '#', ':']).next().unwrap_or("");
    let lower = host.to_ascii_lowercase();
    for scheme in ["ftp", "dict", "ldap", "imap", "smtp", "pop3"] {
        if lower.starts_with(scheme) && lower.as_bytes().get(scheme.len()) == Some(&b'.') {
            return scheme;
        }
    }
    "http"
}

impl Reader {
    /// Read one URL.
    pub fn read(&self, input: &str) -> Result<Parts, String> {
        if input.len() > MAX_URL {
            return Err(format!(
                "the URL is {} bytes, longer than the 8 MiB limit",
                input.len()
            ));
        }
        let spaced;
        let mut text = input;
        if self.accept_space && text.contains(' ') {
            spaced = text.replace(' ', "%20");
            text = &spaced;
        }
        let guessed;
        let has_scheme = scheme_end(text).is_some_and(|end| {
            let rest = &text[end + 1..];
            rest.starts_with("//") || !rest.starts_with(|c: char| c.is_ascii_digit())
        });
        if !has_scheme {
            if text.is_empty() {
                return Ok(Parts::default());
            }
            if !self.guess_scheme {
                return Err("no scheme (and --no-guess-scheme)".to_string());
            }
            let rest = text.strip_prefix("//").unwrap_or(text);
            guessed = format!("{}://{rest}", guessed_scheme(rest));
            text = &guessed;
        }
        match self.standard {
            Standard::Rfc3986 => read_rfc3986(text),
            Standard::Whatwg => read_whatwg(text),
        }
    }
}

/// Split the zone out of `[fe80::1%25eth0]` (RFC 6874), which RFC 3986 itself does not know.
fn split_zone(text: &str) -> (std::borrow::Cow<'_, str>, Option<String>) {
    let Some(after) = text.find("://").map(|at| at + 3) else {
        return (text.into(), None);
    };
    let authority_end = text[after..]
        .find(['/', '?', '#'])
        .map_or(text.len(), |at| after + at);
    let authority = &text[after..authority_end];
    let (Some(open), Some(close)) = (authority.find('['), authority.find(']')) else {
        return (text.into(), None);
    };
    let inside = &authority[open + 1..close.max(open + 1)];
    let Some(percent) = inside.find('%') else {
        return (text.into(), None);
    };
    let zone = &inside[percent..];
    let zone = zone.strip_prefix("%25").unwrap_or(&zone[1..]);
    let start = after + open + 1 + percent;
    let end = after + close;
    let mut without = String::with_capacity(text.len());
    without.push_str(&text[..start]);
    without.push_str(&text[end..]);
    (without.into(), Some(zone.to_string()))
}

/// The components of an RFC 3986 URI (an RFC 3987 IRI when it holds non-ASCII), as written.
pub fn rfc3986_components(text: &str) -> Result<Parts, String> {
    let (text, zoneid) = split_zone(text);
    let iri = IriReferenceStr::new(&text).map_err(|_| why_not_rfc3986(&text))?;
    let scheme = iri.scheme_str().map(str::to_string);
    let mut parts = Parts {
        scheme,
        zoneid,
        path: iri.path_str().to_string(),
        query: iri.query_str().map(str::to_string),
        fragment: iri.fragment_str().map(str::to_string),
        ..Parts::default()
    };
    if let Some(authority) = iri.authority_components() {
        if let Some(userinfo) = authority.userinfo() {
            let (user, password) = match userinfo.split_once(':') {
                Some((user, password)) => (user, Some(password)),
                None => (userinfo, None),
            };
            parts.user = Some(user.to_string());
            parts.password = password.map(str::to_string);
        }
        parts.host = Some(authority.host().to_string());
        parts.port = authority
            .port()
            .filter(|port| !port.is_empty())
            .map(str::to_string);
    }
    Ok(parts)
}

/// Read by RFC 3986 and normalise as trurl does: scheme and host in lowercase (§6.2.2.1), dot
/// segments removed (§6.2.2.3), an empty path with an authority made `/` (§6.2.3).
fn read_rfc3986(text: &str) -> Result<Parts, String> {
    let mut parts = rfc3986_components(text)?;
    let scheme = parts.scheme.as_mut().map(|s| {
        s.make_ascii_lowercase();
        s.as_str()
    });
    if let (Some(scheme), Some(user)) = (scheme, parts.user.as_mut())
        && has_options(scheme)
        && let Some((name, options)) = user.split_once(';')
    {
        parts.options = Some(options.to_string());
        *user = name.to_string();
    }
    if let Some(host) = &mut parts.host {
        *host = lowercase_host(host);
    }
    if let Some(port) = &parts.port {
        check_port(port)?;
        parts.port = Some(port.trim_start_matches('0').to_string())
            .map(|p| if p.is_empty() { "0".to_string() } else { p });
    }
    if parts.host.is_some() || parts.path.starts_with('/') {
        parts.path = remove_dot_segments(&parts.path);
    }
    Ok(parts)
}

pub fn check_port(port: &str) -> Result<u16, String> {
    if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("port `{port}` is not a number"));
    }
    port.parse::<u16>()
        .map_err(|_| format!("port {port} is out of range (0 to 65535)"))
}

/// Read by the WHATWG URL Standard (the url crate), which normalises as it parses.
fn read_whatwg(text: &str) -> Result<Parts, String> {
    let url = url::Url::parse(text).map_err(|err| format!("not a URL by WHATWG ({err})"))?;
    Ok(from_whatwg(&url))
}

pub fn from_whatwg(url: &url::Url) -> Parts {
    Parts {
        scheme: Some(url.scheme().to_string()),
        user: Some(url.username())
            .filter(|u| !u.is_empty())
            .map(str::to_string),
        password: url.password().map(str::to_string),
        options: None,
        // `file:///x` has an empty host, which the url crate gives as none.
        host: url
            .has_authority()
            .then(|| url.host_str().unwrap_or("").to_string()),
        zoneid: None,
        port: url.port().map(|p| p.to_string()),
        path: url.path().to_string(),
        query: url.query().map(str::to_string),
        fragment: url.fragment().map(str::to_string),
    }
}

/// How a `--set` value is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetMode {
    /// `COMP=VALUE`: text, percent-encoded for the component.
    Encode,
    /// `COMP:=VALUE`: already encoded.
    Raw,
    /// `COMP?=VALUE`: text, set only where the component is empty.
    IfEmpty,
}

/// One `--set`.
#[derive(Debug, Clone)]
pub struct Set {
    pub comp: Comp,
    pub mode: SetMode,
    pub value: String,
}

impl Set {
    /// Parse `COMP=VALUE`, `COMP:=VALUE` or `COMP?=VALUE`, checking what can be checked before
    /// any URL is read.
    pub fn parse(arg: &str) -> Result<Set, String> {
        let Some(eq) = arg.find('=') else {
            return Err(format!("--set `{arg}`: expected COMP=VALUE"));
        };
        let (name, mode) = match &arg[..eq] {
            name if name.ends_with(':') => (&name[..name.len() - 1], SetMode::Raw),
            name if name.ends_with('?') => (&name[..name.len() - 1], SetMode::IfEmpty),
            name => (name, SetMode::Encode),
        };
        let comp = Comp::parse(name).ok_or_else(|| {
            format!(
                "--set `{arg}`: unknown component `{name}` (one of {})",
                Comp::NAMES
            )
        })?;
        let value = arg[eq + 1..].to_string();
        check_value(comp, &value).map_err(|why| format!("--set `{arg}`: {why}"))?;
        Ok(Set { comp, mode, value })
    }
}

/// What can be checked of a value for a component before any URL is read: a scheme, a port,
/// a host. An empty value (which removes the component) always passes.
pub fn check_value(comp: Comp, value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Ok(());
    }
    match comp {
        Comp::Scheme if !valid_scheme(value) => Err(format!("`{value}` is not a scheme")),
        Comp::Port => check_port(value).map(drop),
        Comp::Host => check_host(value),
        _ => Ok(()),
    }
}

/// Whether a host can stand in a URL as given: a name (non-ASCII allowed, for IDNA), an IPv4
/// address or an IPv6 one (with or without brackets).
fn check_host(host: &str) -> Result<(), String> {
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if bare.contains(':') {
        return bare
            .parse::<std::net::Ipv6Addr>()
            .map(drop)
            .map_err(|_| format!("`{host}` is not an IPv6 address"));
    }
    match host
        .chars()
        .find(|&c| c.is_ascii() && !(c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=%".contains(c)))
    {
        Some(c) => Err(format!("`{host}` holds `{c}`, which a host name cannot")),
        None => Ok(()),
    }
}

/// A glob as `--trim` takes it: `*` matches any run of characters; matching ignores ASCII case.
pub fn glob_matches(glob: &str, text: &str) -> bool {
    let glob = glob.to_ascii_lowercase();
    let text = text.to_ascii_lowercase();
    let mut pieces = glob.split('*');
    let first = pieces.next().unwrap_or("");
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let pieces: Vec<&str> = pieces.collect();
    let Some((last, middle)) = pieces.split_last() else {
        return rest.is_empty();
    };
    for piece in middle {
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// Percent-decode a component; `plus` makes `+` a space (inside query pairs).
pub fn decode(text: &str, plus: bool) -> Vec<u8> {
    if plus && text.contains('+') {
        percent_encoding::percent_decode_str(&text.replace('+', " ")).collect()
    } else {
        percent_encoding::percent_decode_str(text).collect()
    }
}

/// Percent-decode to text, if the bytes are text (no control characters, valid UTF-8).
pub fn decode_text(text: &str, plus: bool) -> Option<String> {
    let bytes = decode(text, plus);
    let text = String::from_utf8(bytes).ok()?;
    (!text.chars().any(|c| c.is_control())).then_some(text)
}

/// A host name in punycode; addresses and names that IDNA refuses stay as they are.
pub fn ascii_host(host: &str) -> String {
    if host.is_ascii() || host.starts_with('[') {
        return host.to_string();
    }
    let decoded = decode_text(host, false).unwrap_or_else(|| host.to_string());
    idna::domain_to_ascii(&decoded).unwrap_or_else(|_| host.to_string())
}

/// A punycode host name as Unicode.
pub fn unicode_host(host: &str) -> String {
    let (unicode, result) = idna::domain_to_unicode(host);
    if result.is_ok() {
        unicode
    } else {
        host.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_segments_go_as_rfc_3986_5_2_4_says() {
        for (input, expected) in [
            ("/a/b/c/./../../g", "/a/g"),
            ("mid/content=5/../6", "mid/6"),
            ("/./a/../b", "/b"),
            ("/a/..", "/"),
            ("/a/.", "/a/"),
            ("/..", "/"),
            ("/a/b/", "/a/b/"),
            ("/a.b/c", "/a.b/c"),
            ("é/../x", "/x"),
            ("/ü/./ö", "/ü/ö"),
        ] {
            assert_eq!(remove_dot_segments(input), expected, "{input}");
        }
    }

    #[test]
    fn globs_match_anywhere_and_ignore_case() {
        assert!(glob_matches("utm_*", "UTM_source"));
        assert!(glob_matches("*id", "fbclid"));
        assert!(glob_matches("a*c*e", "abcde"));
        assert!(!glob_matches("utm_*", "xutm_a"));
        assert!(!glob_matches("abc", "abcd"));
        assert!(glob_matches("abc", "ABC"));
    }

    #[test]
    fn zones_come_out_of_ipv6_hosts() {
        let parts = rfc3986_components("http://[fe80::1%25eth0]:8080/x").unwrap();
        assert_eq!(parts.host.as_deref(), Some("[fe80::1]"));
        assert_eq!(parts.zoneid.as_deref(), Some("eth0"));
        assert_eq!(parts.port.as_deref(), Some("8080"));
    }
}
