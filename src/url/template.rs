//! `netlab url -g FORMAT`: trurl's template language. `{part}` is a component (decoded),
//! `{query:NAME}` the first value of a query pair, `{query-all:NAME}` every value (space
//! separated); modifiers before the name: `url:` (or a leading `:`) keeps it percent-encoded,
//! `strict:` makes a component that cannot be decoded an error, `must:` makes a missing one an
//! error, `default:` shows the scheme's default port, `puny:` and `idn:` convert a host.
//! `\n`, `\t`, `\\`, `\{` and `{{` stand for themselves.

use encoding_rs::Encoding;

use super::charset::{self, Charset};
use super::edit::{self, Comp, Parts};
use super::percent;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Mods {
    pub url: bool,
    pub strict: bool,
    pub must: bool,
    pub default: bool,
    pub puny: bool,
    pub idn: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    Comp(Comp, Mods),
    Query { name: String, all: bool, mods: Mods },
}

/// How components are shown (from the verb's options).
#[derive(Debug, Clone)]
pub struct Show {
    /// `--charset`, and the encoding it chose for the URL being shown.
    pub charset: Charset,
    pub encoding: &'static Encoding,
    /// `--form`: `+` is a space in every component, not only in query pairs.
    pub form: bool,
    /// `--strict`: every component as if `strict:`.
    pub strict: bool,
    pub urlencode: bool,
    pub keep_port: bool,
    pub default_port: bool,
    pub punycode: bool,
    pub as_idn: bool,
    pub separator: String,
}

#[derive(Debug, Clone)]
pub struct Template(Vec<Piece>);

impl Template {
    /// Parse a format; what is wrong is said with `-g` and the byte offset. As in trurl, the
    /// first `{` or `[` decides which of `{part}` and `[part]` the format uses; the other is text.
    pub fn parse(format: &str) -> Result<Template, String> {
        let fail = |why: String| format!("-g `{format}`: {why}");
        let mut pieces = Vec::new();
        let mut text = String::new();
        let mut open = None;
        let mut chars = format.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            if open.is_none() && (c == '{' || c == '[') {
                open = Some(c);
            }
            match c {
                '\\' => match chars.next().map(|(_, c)| c) {
                    Some('n') => text.push('\n'),
                    Some('t') => text.push('\t'),
                    Some('r') => text.push('\r'),
                    Some(other @ ('\\' | '{' | '[')) => text.push(other),
                    Some(other) => {
                        text.push('\\');
                        text.push(other);
                    }
                    None => text.push('\\'),
                },
                c if Some(c) == open && chars.peek().map(|&(_, c)| c) == Some(c) => {
                    chars.next();
                    text.push(c);
                }
                c if Some(c) == open => {
                    let close = if c == '{' { '}' } else { ']' };
                    let Some(len) = format[at..].find(close) else {
                        return Err(fail(format!("the {c} at byte {at} is never closed")));
                    };
                    let inside = &format[at + 1..at + len];
                    if !text.is_empty() {
                        pieces.push(Piece::Text(std::mem::take(&mut text)));
                    }
                    pieces.push(Self::placeholder(inside, c, close).map_err(fail)?);
                    while chars.peek().is_some_and(|&(i, _)| i <= at + len) {
                        chars.next();
                    }
                }
                c => text.push(c),
            }
        }
        if !text.is_empty() {
            pieces.push(Piece::Text(text));
        }
        Ok(Template(pieces))
    }

    fn placeholder(inside: &str, open: char, close: char) -> Result<Piece, String> {
        let mut mods = Mods::default();
        let mut rest = inside;
        if let Some(after) = rest.strip_prefix(':') {
            mods.url = true;
            rest = after;
        }
        loop {
            let (word, after) = rest.split_once(':').unwrap_or((rest, ""));
            let flag = match word {
                "url" => &mut mods.url,
                "strict" => &mut mods.strict,
                "must" => &mut mods.must,
                "default" => &mut mods.default,
                "puny" => &mut mods.puny,
                "idn" => &mut mods.idn,
                _ => break,
            };
            if !rest.contains(':') {
                break;
            }
            *flag = true;
            rest = after;
        }
        if let Some(name) = rest.strip_prefix("query:") {
            return Ok(Piece::Query {
                name: name.to_string(),
                all: false,
                mods,
            });
        }
        if let Some(name) = rest.strip_prefix("query-all:") {
            return Ok(Piece::Query {
                name: name.to_string(),
                all: true,
                mods,
            });
        }
        match Comp::parse(rest) {
            Some(comp) => Ok(Piece::Comp(comp, mods)),
            None => Err(format!(
                "unknown component `{open}{inside}{close}` (one of {}, query:NAME, \
                 query-all:NAME)",
                Comp::NAMES
            )),
        }
    }

    /// Write the template for one URL, with a newline.
    pub fn render(&self, parts: &Parts, show: &Show, out: &mut String) -> Result<(), String> {
        for piece in &self.0 {
            match piece {
                Piece::Text(text) => out.push_str(text),
                Piece::Comp(comp, mods) => {
                    if let Some(value) = component(parts, *comp, *mods, show)? {
                        out.push_str(&value);
                    } else if mods.must {
                        return Err(format!("{{must:{}}}: the URL has no {0}", comp.name()));
                    }
                }
                Piece::Query { name, all, mods } => {
                    let mut found = false;
                    for (key, value) in parts.pairs(&show.separator) {
                        if edit::decode(key, true) != name.as_bytes() {
                            continue;
                        }
                        if found {
                            out.push(' ');
                        }
                        found = true;
                        out.push_str(&shown(value, true, *mods, show, "query")?);
                        if !all {
                            break;
                        }
                    }
                    if !found && mods.must {
                        return Err(format!("{{must:query:{name}}}: the query has no {name}"));
                    }
                }
            }
        }
        out.push('\n');
        Ok(())
    }
}

/// A component's value, decoded unless asked otherwise; `None` when the URL has none.
pub fn component(
    parts: &Parts,
    comp: Comp,
    mods: Mods,
    show: &Show,
) -> Result<Option<String>, String> {
    match comp {
        Comp::Url => {
            let mut url = parts.clone();
            if mods.default && url.port.is_none() {
                url.port = url
                    .scheme
                    .as_deref()
                    .and_then(edit::default_port)
                    .map(|p| p.to_string());
            }
            if let Some(host) = &url.host {
                if mods.puny {
                    url.host = Some(edit::ascii_host(host));
                } else if mods.idn {
                    url.host = Some(edit::unicode_host(host));
                }
            }
            let encoded = show.urlencode || mods.url;
            return url
                .to_url(encoded, show.keep_port || mods.default)
                .map(Some);
        }
        Comp::Port => {
            let port = parts.port.clone().or_else(|| {
                (mods.default || show.default_port)
                    .then(|| parts.scheme.as_deref().and_then(edit::default_port))
                    .flatten()
                    .map(|p| p.to_string())
            });
            return Ok(port);
        }
        Comp::Host => {
            let Some(host) = &parts.host else {
                return Ok(None);
            };
            let host = if mods.puny || show.punycode {
                edit::ascii_host(host)
            } else if mods.idn || show.as_idn {
                edit::unicode_host(host)
            } else {
                host.clone()
            };
            return shown(&host, false, mods, show, "host").map(Some);
        }
        _ => {}
    }
    match parts.get(comp) {
        Some(value) => shown(value, false, mods, show, comp.name()).map(Some),
        None => Ok(None),
    }
}

/// An encoded value as shown: decoded, or kept encoded (`url:`, `--urlencode`, or a value that
/// decodes to no text, unless `strict:`).
fn shown(value: &str, plus: bool, mods: Mods, show: &Show, what: &str) -> Result<String, String> {
    if mods.url || show.urlencode {
        return Ok(edit::encode_output(value));
    }
    match decode(value, plus, mods.strict, show, what)? {
        Some(text) => Ok(text),
        None => Ok(value.to_string()),
    }
}

impl Show {
    /// Choose the encoding (`--charset auto`) for one URL, from all of its bytes.
    pub fn choose_encoding(&mut self, url: &str) {
        self.encoding = match self.charset {
            Charset::Fixed(encoding) => encoding,
            Charset::Auto => self
                .charset
                .choose(&edit::decode(url, false), url.as_bytes()),
        };
    }
}

/// A component percent-decoded into text in the URL's charset; `None` when its bytes are not
/// text there (or hold a control character), an error saying where under `strict`.
pub fn decode(
    value: &str,
    plus: bool,
    strict: bool,
    show: &Show,
    what: &str,
) -> Result<Option<String>, String> {
    let bytes = edit::decode(value, plus || show.form);
    let mut text = String::with_capacity(bytes.len());
    let mut first_bad = None;
    charset::decode_text(show.encoding, &bytes, &mut text, |at| {
        first_bad.get_or_insert(at);
    });
    if first_bad.is_none() && text.chars().any(char::is_control) {
        first_bad = Some(
            bytes
                .iter()
                .position(|&b| b < 0x20 || b == 0x7f)
                .unwrap_or(0),
        );
    }
    match first_bad {
        None => Ok(Some(text)),
        Some(_) if !(strict || show.strict) => Ok(None),
        Some(at) => Err(format!(
            "{}: `{value}` does not decode to {} text (at byte {})",
            if strict {
                format!("{{strict:{what}}}")
            } else {
                format!("--strict: {what}")
            },
            show.encoding.name(),
            percent::input_offset(value.as_bytes(), at)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modifiers_and_names_are_told_apart() {
        let t = Template::parse("{url:strict:query:a:b}").unwrap();
        assert_eq!(
            t.0,
            vec![Piece::Query {
                name: "a:b".into(),
                all: false,
                mods: Mods {
                    url: true,
                    strict: true,
                    ..Mods::default()
                }
            }]
        );
        assert!(Template::parse("{nope}").is_err());
        assert!(Template::parse("x {host").is_err());
        let t = Template::parse("{{host}} \\{").unwrap();
        assert_eq!(t.0, vec![Piece::Text("{host}} {".into())]);
        let t = Template::parse("[host] {x}").unwrap();
        assert_eq!(
            t.0,
            vec![
                Piece::Comp(Comp::Host, Mods::default()),
                Piece::Text(" {x}".into())
            ]
        );
    }
}
