//! Request and response heads as text: for `-i`/`-I` (on the output, CRLF as on the wire) and for
//! `-v` (on stderr, `>` for what was sent, `<` for what came back, `*` for what netlab did).

use std::io::Write;

use ureq::http::{HeaderMap, Method, StatusCode, Version};
use url::Url;

/// `HTTP/1.1 200 OK` and the headers, each line ending in CRLF, then the blank line.
pub fn response(version: Version, status: StatusCode, headers: &HeaderMap) -> String {
    let mut text = format!(
        "{} {} {}\r\n",
        version_text(version),
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    );
    for (name, value) in headers {
        text.push_str(&display_name(name.as_str()));
        text.push_str(": ");
        text.push_str(&String::from_utf8_lossy(value.as_bytes()));
        text.push_str("\r\n");
    }
    text.push_str("\r\n");
    text
}

/// `-v`: the request as sent.
pub fn show_request(method: &Method, url: &Url, head: &[(String, String)]) {
    let mut target = url.path().to_string();
    if let Some(query) = url.query() {
        target.push('?');
        target.push_str(query);
    }
    let mut shown = url.clone();
    if shown.password().is_some() {
        let _ = shown.set_password(Some("***"));
    }
    let mut text = format!("* {method} {shown}\n> {method} {target} HTTP/1.1\n");
    for (name, value) in head {
        text.push_str(&format!("> {name}: {value}\n"));
    }
    text.push_str(">\n");
    to_stderr(&text);
}

/// `-v`: the response head as received.
pub fn show_response(version: Version, status: StatusCode, headers: &HeaderMap) {
    let mut text = String::new();
    for line in response(version, status, headers).split("\r\n") {
        if line.is_empty() {
            break;
        }
        text.push_str("< ");
        text.push_str(line);
        text.push('\n');
    }
    text.push_str("<\n");
    to_stderr(&text);
}

fn to_stderr(text: &str) {
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

fn version_text(version: Version) -> &'static str {
    match version {
        Version::HTTP_09 => "HTTP/0.9",
        Version::HTTP_10 => "HTTP/1.0",
        Version::HTTP_2 => "HTTP/2",
        Version::HTTP_3 => "HTTP/3",
        _ => "HTTP/1.1",
    }
}

/// Header names arrive lower-cased; show them as servers usually write them.
fn display_name(name: &str) -> String {
    match name {
        "etag" => return "ETag".into(),
        "www-authenticate" => return "WWW-Authenticate".into(),
        "te" => return "TE".into(),
        "dnt" => return "DNT".into(),
        "content-md5" => return "Content-MD5".into(),
        "x-xss-protection" => return "X-XSS-Protection".into(),
        _ => {}
    }
    let mut out = String::with_capacity(name.len());
    let mut upper = true;
    for c in name.chars() {
        out.push(if upper { c.to_ascii_uppercase() } else { c });
        upper = c == '-';
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_title_cased() {
        assert_eq!(display_name("content-type"), "Content-Type");
        assert_eq!(display_name("etag"), "ETag");
    }
}
