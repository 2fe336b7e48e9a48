//! `netlab url --compare URL`: one URL read by RFC 3986 (as written, before any normalisation)
//! and by the WHATWG URL Standard, part by part, with the rule of each standard that explains
//! where they differ.

use std::fmt::Write;

use super::edit::{self, Comp, Parts};

const BACKSLASH: &str = "RFC 3986 §2 has no place for `\\` (it is neither reserved nor \
    unreserved), so this is no URI at all; WHATWG reads `\\` as `/` in http, https, ws, wss, \
    ftp and file URLs (a validation error it recovers from)";
const SPACE_HOST: &str = "RFC 3986 §2 and Appendix C: a space must be written %20, so this is \
    no URI; WHATWG: U+0020 is a forbidden host code point, so its host parser fails too";
const SPACE: &str = "RFC 3986 §2 and Appendix C: a space must be written %20, so this is no \
    URI; WHATWG percent-encodes the space where it stands (path, query and fragment \
    percent-encode sets)";
const SCHEME_CASE: &str = "RFC 3986 §3.1: a scheme is case-insensitive but read as written \
    (lowercase is the canonical form, §6.2.2.1); WHATWG's scheme state lowercases it";
const HOST_CASE: &str = "RFC 3986 §3.2.2: a registered name is read as written (case folding \
    is normalisation, §6.2.2.1); WHATWG's host parser lowercases it (domain to ASCII, UTS #46)";
const HOST_IDNA: &str = "RFC 3986 §3.2.2 allows only ASCII: read as an IRI (RFC 3987 §3.1) the \
    name stays as typed; WHATWG's host parser runs domain to ASCII (UTS #46 mapping, which \
    lowercases, then punycode), giving xn--…";
const HOST_IPV4: &str = "RFC 3986 §3.2.2 and §7.4: IPv4address is four dotted decimal numbers, \
    so this host is a registered name; WHATWG's IPv4 parser takes hex (0x…), octal (a leading \
    0) and fewer than four parts, and writes the address in dotted decimal";
const FILE_LOCALHOST: &str = "RFC 3986 §3.2.2 keeps `localhost` as the host (RFC 8089 §2 lets \
    it mean this machine); WHATWG's file host state turns `localhost` into the empty host";
const FILE_AUTHORITY: &str = "RFC 8089 §2 allows file:/path with no authority; WHATWG always \
    writes a file URL with one (file:///path, an empty host)";
const DEFAULT_PORT: &str = "RFC 3986 §3.2.3 keeps the port as written (dropping a default one \
    is scheme-based normalisation, §6.2.3, left to the application); WHATWG's port state \
    drops the special scheme's default port";
const DOT_SEGMENTS: &str = "RFC 3986 removes dot segments only when it resolves a reference \
    (§5.2.4) or normalises (§6.2.2.3), so the parser keeps them; WHATWG's path state drops \
    `.` and `..` segments (and %2e forms) while it parses";
const EMPTY_PATH: &str = "RFC 3986 §3.3 allows an empty path after an authority (§6.2.3 \
    normalises it to / for http); WHATWG gives every special URL a path of at least /";
const NON_ASCII: &str = "RFC 3986 allows no non-ASCII: read as an IRI (RFC 3987 §2.2) it \
    stays as typed; WHATWG percent-encodes it as UTF-8 (its percent-encode sets)";
const ENCODE_SET: &str = "RFC 3986 reads the characters as written; WHATWG percent-encodes \
    some that RFC 3986 allows as they are, or leaves some it refuses (its percent-encode sets \
    for path, query and fragment differ from RFC 3986's pchar)";
const OTHER: &str = "the two parsers read this part differently";

/// What `--compare` prints for one URL.
pub fn compare(input: &str) -> String {
    let rfc = edit::rfc3986_components(input);
    let whatwg = url::Url::parse(input);
    let mut out = String::new();
    let _ = writeln!(out, "input     {input}");
    match (&rfc, &whatwg) {
        (Err(rfc_why), Err(whatwg_why)) => {
            let _ = writeln!(out, "url       RFC 3986  not a URI: {rfc_why}");
            let _ = writeln!(out, "          WHATWG    not a URL: {whatwg_why}");
            let why = if input.contains(' ') {
                SPACE_HOST
            } else {
                OTHER
            };
            let _ = writeln!(out, "          why       both refuse it: {why}");
        }
        (Err(rfc_why), Ok(url)) => {
            let _ = writeln!(out, "url       RFC 3986  not a URI: {rfc_why}");
            let _ = writeln!(out, "          WHATWG    {url}");
            let why = if input.contains('\\') {
                BACKSLASH
            } else if input.contains(' ') {
                SPACE
            } else {
                "WHATWG recovers from what RFC 3986's grammar refuses"
            };
            let _ = writeln!(out, "          why       {why}");
            rows(&mut out, None, &edit::from_whatwg(url));
        }
        (Ok(parts), Err(whatwg_why)) => {
            let _ = writeln!(out, "url       RFC 3986  {input}");
            let _ = writeln!(out, "          WHATWG    not a URL: {whatwg_why}");
            let why = if parts.scheme.is_none() {
                "a relative reference (RFC 3986 §4.2) has no meaning without a base; WHATWG \
                 needs a scheme"
            } else {
                "WHATWG's host parser refuses what RFC 3986's grammar allows"
            };
            let _ = writeln!(out, "          why       {why}");
        }
        (Ok(parts), Ok(url)) => {
            let whatwg_parts = edit::from_whatwg(url);
            if url.as_str() == input {
                let _ = writeln!(out, "url       both      {input}");
            } else {
                let _ = writeln!(out, "url       RFC 3986  {input}");
                let _ = writeln!(out, "          WHATWG    {url}");
            }
            rows(&mut out, Some(parts), &whatwg_parts);
        }
    }
    out
}

fn rows(out: &mut String, rfc: Option<&Parts>, whatwg: &Parts) {
    for comp in [
        Comp::Scheme,
        Comp::User,
        Comp::Password,
        Comp::Host,
        Comp::Zoneid,
        Comp::Port,
        Comp::Path,
        Comp::Query,
        Comp::Fragment,
    ] {
        let w = whatwg.get(comp);
        let name = comp.name();
        let Some(rfc) = rfc else {
            if let Some(w) = w {
                let _ = writeln!(out, "{name:<10}WHATWG    {w}");
            }
            continue;
        };
        let r = rfc.get(comp);
        if r.is_none() && w.is_none() {
            continue;
        }
        let show = |v: Option<&str>| match v {
            None => "(none)".to_string(),
            Some("") => "(empty)".to_string(),
            Some(v) => v.to_string(),
        };
        if r == w {
            let _ = writeln!(out, "{name:<10}both      {}", show(r));
            continue;
        }
        let _ = writeln!(out, "{name:<10}RFC 3986  {}", show(r));
        let _ = writeln!(out, "          WHATWG    {}", show(w));
        let _ = writeln!(out, "          why       {}", why(comp, rfc, whatwg));
    }
}

/// The rule that makes the two readings of a part differ.
fn why(comp: Comp, rfc: &Parts, whatwg: &Parts) -> &'static str {
    let r = rfc.get(comp).unwrap_or("");
    let w = whatwg.get(comp).unwrap_or("");
    let file = whatwg.scheme.as_deref() == Some("file");
    match comp {
        Comp::Scheme if r.eq_ignore_ascii_case(w) => SCHEME_CASE,
        Comp::Host if file && r.eq_ignore_ascii_case("localhost") => FILE_LOCALHOST,
        Comp::Host if file && rfc.host.is_none() => FILE_AUTHORITY,
        Comp::Host if w.parse::<std::net::Ipv4Addr>().is_ok() => HOST_IPV4,
        Comp::Host if !r.is_ascii() || w.starts_with("xn--") || w.contains(".xn--") => HOST_IDNA,
        Comp::Host if r.eq_ignore_ascii_case(w) => HOST_CASE,
        Comp::Port
            if w.is_empty()
                && rfc
                    .scheme
                    .as_deref()
                    .and_then(|s| edit::default_port(&s.to_ascii_lowercase()))
                    .is_some_and(|p| r.parse() == Ok(p)) =>
        {
            DEFAULT_PORT
        }
        Comp::Path if r.is_empty() && w == "/" => EMPTY_PATH,
        Comp::Path if edit::remove_dot_segments(r) != r && edit::remove_dot_segments(w) == w => {
            DOT_SEGMENTS
        }
        Comp::Path | Comp::Query | Comp::Fragment | Comp::User | Comp::Password
            if !r.is_ascii() =>
        {
            NON_ASCII
        }
        Comp::Path | Comp::Query | Comp::Fragment => ENCODE_SET,
        _ => OTHER,
    }
}
