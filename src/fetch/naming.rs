//! How `-O` names a file: from the URL's last segment, or with `-J` from Content-Disposition
//! (RFC 6266: `filename*`, an RFC 8187 ext-value in UTF-8 or ISO-8859-1, before `filename`).
//! Whatever the server or the URL says, the name is reduced to a plain base name that stays in
//! the output directory: never a path, never `..` nor a dotfile, no control bytes.

use url::Url;

/// `-O`: the URL's last path segment, decoded and made safe.
pub fn name_from_url(url: &Url) -> String {
    let segment = url
        .path_segments()
        .and_then(|mut segments| segments.next_back())
        .unwrap_or("");
    let decoded = percent_encoding::percent_decode_str(segment).decode_utf8_lossy();
    safe_name(&decoded).unwrap_or_else(|| "index.html".to_string())
}

/// A file name that stays in its directory: the last component only (after `/` or `\`, so an
/// absolute path is its base name), no control characters nor bidirectional overrides (a name
/// that reads `txt.exe` as `exe.txt`), no leading dots (so never `..`, never a hidden file), at
/// most 255 bytes; `None` when nothing is left.
pub fn safe_name(raw: &str) -> Option<String> {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last
        .chars()
        .filter(|&c| !c.is_control() && !is_bidi_control(c))
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim();
    if cleaned.is_empty() {
        return None;
    }
    let mut end = cleaned.len().min(255);
    while !cleaned.is_char_boundary(end) {
        end -= 1;
    }
    Some(cleaned[..end].to_string())
}

/// The invisible characters that reorder the text around them.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// The file name of a Content-Disposition header: `filename*=` (RFC 6266/8187) first, else
/// `filename=`; made safe by [`safe_name`].
pub fn disposition_filename(value: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(value);
    let mut plain = None;
    let mut extended = None;
    for (name, value) in disposition_params(&text) {
        match name.to_ascii_lowercase().as_str() {
            "filename*" => extended = decode_ext_value(&value),
            "filename" => plain = Some(value),
            _ => {}
        }
    }
    extended
        .and_then(|name| safe_name(&name))
        .or_else(|| plain.and_then(|name| safe_name(&name)))
}

/// The `name=value` parameters after the disposition type; quoted values unescaped.
fn disposition_params(text: &str) -> Vec<(String, String)> {
    let mut params = Vec::new();
    let mut chars = text.chars().peekable();
    // Skip the type (`attachment`, `inline`).
    for c in chars.by_ref() {
        if c == ';' {
            break;
        }
    }
    loop {
        let name: String = chars
            .by_ref()
            .take_while(|&c| c != '=')
            .collect::<String>()
            .trim()
            .trim_start_matches(';')
            .trim()
            .to_string();
        if name.is_empty() {
            break;
        }
        while chars.peek() == Some(&' ') {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    c => value.push(c),
                }
            }
            for c in chars.by_ref() {
                if c == ';' {
                    break;
                }
            }
        } else {
            for c in chars.by_ref() {
                if c == ';' {
                    break;
                }
                value.push(c);
            }
        }
        params.push((name, value.trim().to_string()));
    }
    params
}

/// `UTF-8''na%C3%AFve.txt` → `naïve.txt` (other charsets through encoding_rs).
fn decode_ext_value(value: &str) -> Option<String> {
    let mut parts = value.splitn(3, '\'');
    let charset = parts.next()?;
    let _language = parts.next()?;
    let encoded = parts.next()?;
    let bytes: Vec<u8> = percent_encoding::percent_decode_str(encoded).collect();
    let encoding = encoding_rs::Encoding::for_label(charset.trim().as_bytes())?;
    let (text, _, _) = encoding.decode(&bytes);
    Some(text.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_stay_in_the_current_directory() {
        assert_eq!(safe_name("../../etc/passwd").unwrap(), "passwd");
        assert_eq!(safe_name("..\\..\\boot.ini").unwrap(), "boot.ini");
        assert_eq!(safe_name(".bashrc").unwrap(), "bashrc");
        assert_eq!(safe_name(".."), None);
        assert_eq!(safe_name("a\nb\0c").unwrap(), "abc");
        assert!(safe_name(&"x".repeat(300)).unwrap().len() <= 255);
    }

    #[test]
    fn url_names() {
        let name = |u: &str| name_from_url(&Url::parse(u).unwrap());
        assert_eq!(name("http://h.test/files/big.iso?x=1"), "big.iso");
        assert_eq!(name("http://h.test/"), "index.html");
        assert_eq!(name("http://h.test/a/%2E%2E%2Fsecret"), "secret");
        assert_eq!(name("http://h.test/caf%C3%A9.txt"), "café.txt");
    }

    #[test]
    fn content_disposition_names() {
        let name = |v: &str| disposition_filename(v.as_bytes());
        assert_eq!(
            name("attachment; filename=\"report.pdf\"").unwrap(),
            "report.pdf"
        );
        assert_eq!(name("attachment; filename=plain.txt").unwrap(), "plain.txt");
        assert_eq!(
            name("attachment; filename=\"fallback.txt\"; filename*=UTF-8''na%C3%AFve.txt").unwrap(),
            "naïve.txt"
        );
        assert_eq!(
            name("attachment; filename=\"../../evil.sh\"").unwrap(),
            "evil.sh"
        );
        assert_eq!(
            name("attachment; filename=\"a \\\"q\\\".txt\"").unwrap(),
            "a \"q\".txt"
        );
        assert_eq!(name("inline"), None);
        assert_eq!(
            name("attachment; filename*=UTF-8''%E6%96%87.txt").unwrap(),
            "文.txt"
        );
        assert_eq!(
            name("attachment; filename*=iso-8859-1'en'%E9t%E9.txt").unwrap(),
            "été.txt"
        );
        // An ext-value that cannot be read leaves the plain name.
        assert_eq!(
            name("attachment; filename*=nonsense; filename=plain.txt").unwrap(),
            "plain.txt"
        );
    }

    #[test]
    fn hostile_disposition_names_are_reduced_to_base_names() {
        let name = |v: &str| disposition_filename(v.as_bytes());
        for (header, expected) in [
            ("attachment; filename=\"/etc/passwd\"", Some("passwd")),
            ("attachment; filename=\"a\\\\b\"", Some("b")),
            ("attachment; filename=\".bashrc\"", Some("bashrc")),
            ("attachment; filename=\"..\"", None),
            (
                "attachment; filename*=UTF-8''%2E%2E%2F%2E%2E%2Fx",
                Some("x"),
            ),
            (
                "attachment; filename*=UTF-8''a%00b%0Ac%1B.txt",
                Some("abc.txt"),
            ),
            (
                "attachment; filename*=UTF-8''evil%E2%80%AEtxt.exe",
                Some("eviltxt.exe"),
            ),
            ("attachment; filename=\"%2e%2e\"", Some("%2e%2e")),
            ("attachment; filename=\"\"", None),
        ] {
            assert_eq!(name(header).as_deref(), expected, "{header}");
        }
    }
}
