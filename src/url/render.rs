//! What `urldecode` prints for one inspected input, in each mode.
//!
//! Text that came from the input is escaped where it could act on a terminal: control characters
//! (ESC, NUL, CR …) and bidirectional overrides are shown as `\x1b`, `\u{202e}` and so on — always
//! in `--parts`, and in the other text modes when stdout is a terminal. JSON escapes them itself.

use std::borrow::Cow;
use std::io::Write;

use super::inspect::{Inspected, Inspector, Parsed, Text};
use super::json::{Object, key};
use super::view::UrlView;
use super::{Mode, Part};

/// Append what `mode` prints for `inspected` to `out`.
pub fn render(
    mode: &Mode,
    terminal: bool,
    inspector: &Inspector,
    input: &str,
    inspected: &Inspected,
    out: &mut Vec<u8>,
) {
    match mode {
        Mode::Plain => {
            // A query's `whole` lacks its leading `?` (the query component has none); the plain
            // mode prints all of the input decoded, as stdin's one-pass path does.
            if matches!(inspected.parsed, Parsed::Query) && input.starts_with('?') {
                out.push(b'?');
            }
            push_text(out, inspector.text(&inspected.whole), terminal);
            out.push(b'\n');
        }
        Mode::Parts => parts(inspector, inspected, out),
        Mode::Json => json(inspector, input, inspected, out),
        Mode::Get(part) => get(part, terminal, inspector, inspected, out),
    }
}

/// Text as it is, or with controls escaped.
fn push_text(out: &mut Vec<u8>, text: &str, escape: bool) {
    if !escape || text.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        out.extend_from_slice(text.as_bytes());
        return;
    }
    for c in text.chars() {
        let risky = c.is_control()
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
        if !risky {
            let mut buf = [0; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        } else {
            let _ = match c {
                '\0' => write!(out, "\\0"),
                '\t' => write!(out, "\\t"),
                '\n' => write!(out, "\\n"),
                '\r' => write!(out, "\\r"),
                c if (c as u32) < 0x100 => write!(out, "\\x{:02x}", c as u32),
                c => write!(out, "\\u{{{:x}}}", c as u32),
            };
        }
    }
}

/// The label column of `--parts`.
const LABEL: usize = 10;

fn row(out: &mut Vec<u8>, label: &str, value: &str) {
    let _ = write!(out, "{label:<LABEL$}");
    push_text(out, value, true);
    out.push(b'\n');
}

fn parts(inspector: &Inspector, inspected: &Inspected, out: &mut Vec<u8>) {
    let text = |range: &Text| inspector.text(range);
    match &inspected.parsed {
        Parsed::Url(url) => {
            row(out, "url", url.href());
            row(out, "scheme", url.scheme());
            if let Some(user) = &inspected.user {
                row(out, "user", text(user));
            }
            if let Some(password) = &inspected.password {
                row(out, "password", text(password));
            }
            if let Some(host) = url.host_str() {
                let unicode = unicode_host(url);
                match unicode {
                    Some(unicode) if unicode != host => {
                        row(out, "host", &format!("{unicode} (punycode {host})"))
                    }
                    _ => row(out, "host", host),
                }
            }
            match (url.port(), url.port_or_known_default()) {
                (Some(port), _) => row(out, "port", &port.to_string()),
                (None, Some(port)) => row(
                    out,
                    "port",
                    &format!("{port} (default for {})", url.scheme()),
                ),
                (None, None) => {}
            }
            if let Some(path) = &inspected.path {
                row(out, "path", text(path));
            }
            query_rows(inspector, inspected, out);
            if let Some(fragment) = &inspected.fragment {
                row(out, "fragment", text(fragment));
            }
        }
        Parsed::Query => query_rows(inspector, inspected, out),
        Parsed::Text => row(out, "text", text(&inspected.whole)),
    }
    row(out, "charset", inspected.encoding.name());
}

/// The query and each parameter under it, names aligned.
fn query_rows(inspector: &Inspector, inspected: &Inspected, out: &mut Vec<u8>) {
    let Some(query) = &inspected.query else {
        return;
    };
    row(out, "query", inspector.text(query));
    let width = inspector
        .params
        .iter()
        .map(|(name, _)| inspector.text(name).chars().count())
        .max()
        .unwrap_or(0);
    for (name, value) in &inspector.params {
        let name = inspector.text(name);
        out.extend_from_slice(b"  ");
        push_text(out, name, true);
        let pad = width.saturating_sub(name.chars().count());
        out.extend(std::iter::repeat_n(b' ', pad));
        out.extend_from_slice(b" = ");
        push_text(out, inspector.text(value), true);
        out.push(b'\n');
    }
}

/// The Unicode form of a domain host, when it has punycode labels.
fn unicode_host(url: &UrlView) -> Option<String> {
    match url.host_str() {
        Some(domain) if url.has_punycode() => {
            let (unicode, result) = idna::domain_to_unicode(domain);
            result.is_ok().then_some(unicode)
        }
        _ => None,
    }
}

fn get(
    part: &Part,
    terminal: bool,
    inspector: &Inspector,
    inspected: &Inspected,
    out: &mut Vec<u8>,
) {
    let text = |range: &Option<Text>| range.as_ref().map_or("", |r| inspector.text(r));
    let url = match &inspected.parsed {
        Parsed::Url(url) => Some(url),
        _ => None,
    };
    let value: Cow<'_, str> = match part {
        Part::Scheme => url.map_or("", |u| u.scheme()).into(),
        Part::User => text(&inspected.user).into(),
        Part::Password => text(&inspected.password).into(),
        Part::Host => match url {
            Some(url) => unicode_host(url)
                .map(Cow::Owned)
                .unwrap_or_else(|| url.host_str().unwrap_or("").into()),
            None => "".into(),
        },
        Part::Port => url
            .and_then(|u| u.port_or_known_default())
            .map_or(Cow::Borrowed(""), |p| p.to_string().into()),
        Part::Path => text(&inspected.path).into(),
        Part::Query => text(&inspected.query).into(),
        Part::Fragment => text(&inspected.fragment).into(),
        Part::Param(name) => inspector
            .params
            .iter()
            .find(|(n, _)| inspector.text(n) == name)
            .map_or("", |(_, v)| inspector.text(v))
            .into(),
        Part::ParamAll(name) => {
            for (n, v) in &inspector.params {
                if inspector.text(n) == name {
                    push_text(out, inspector.text(v), terminal);
                    out.push(b'\n');
                }
            }
            return;
        }
    };
    push_text(out, &value, terminal);
    out.push(b'\n');
}

fn json(inspector: &Inspector, input: &str, inspected: &Inspected, out: &mut Vec<u8>) {
    let text = |range: &Option<Text>| range.as_ref().map(|r| inspector.text(r));
    let params = || {
        inspector
            .params
            .iter()
            .map(|(n, v)| (inspector.text(n), inspector.text(v)))
    };
    let mut object = Object::new(out);
    match &inspected.parsed {
        Parsed::Url(url) => {
            // What the fast parser took has only bytes JSON leaves alone, and is the input.
            if url.is_plain() {
                standard_components::<true>(&mut object, input, url);
            } else {
                standard_components::<false>(&mut object, input, url);
            }
            let hostname = url.host_str().unwrap_or("");
            object
                .str(key!("user"), text(&inspected.user).unwrap_or(""))
                .str(key!("pass"), text(&inspected.password).unwrap_or(""));
            match url.is_domain() {
                true => object.str(
                    key!("unicode_host"),
                    unicode_host(url).as_deref().unwrap_or(hostname),
                ),
                false => object.opt_str(key!("unicode_host"), None),
            };
            object
                .opt_u16(key!("effective_port"), url.port_or_known_default())
                .str(key!("path"), text(&inspected.path).unwrap_or(""))
                .opt_str(key!("query"), text(&inspected.query))
                .opt_str(key!("fragment"), text(&inspected.fragment))
                .pairs(key!("params"), params());
        }
        Parsed::Query => {
            object
                .str(key!("input"), input)
                .plain(key!("kind"), "query")
                .opt_str(key!("query"), text(&inspected.query))
                .pairs(key!("params"), params());
        }
        Parsed::Text => {
            object
                .str(key!("input"), input)
                .plain(key!("kind"), "text")
                .str(key!("text"), inspector.text(&inspected.whole));
        }
    }
    object
        .str(key!("charset"), inspected.encoding.name())
        .bool(key!("lossy"), inspected.lossy)
        .finish();
}

/// The input and the WHATWG components of a URL, under their standard names.
fn standard_components<const PLAIN: bool>(object: &mut Object, input: &str, url: &UrlView) {
    object
        .text::<PLAIN>(key!("input"), input)
        .plain(key!("kind"), "url")
        .text::<PLAIN>(key!("href"), url.href())
        .text::<PLAIN>(key!("protocol"), url.protocol())
        .text::<PLAIN>(key!("username"), url.username())
        .text::<PLAIN>(key!("password"), url.password().unwrap_or(""))
        .text::<PLAIN>(key!("host"), url.host())
        .text::<PLAIN>(key!("hostname"), url.host_str().unwrap_or(""))
        .text::<PLAIN>(key!("port"), url.port_str())
        .text::<PLAIN>(key!("pathname"), url.path())
        .text::<PLAIN>(key!("search"), url.search())
        .text::<PLAIN>(key!("hash"), url.hash())
        .text::<PLAIN>(key!("scheme"), url.scheme());
}
