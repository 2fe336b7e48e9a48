//! Cookies: `-b 'a=1; b=2'` (sent as typed, to the URL's own site) or `-b FILE`, and `-c FILE`,
//! in the Netscape cookie-jar format curl reads and writes. The RFC 6265 rules (parsing
//! `Set-Cookie`, domain and path matching, expiry, `Secure`, `HttpOnly`) are cookie_store's;
//! this file only reads and writes the jar's lines, and orders the `Cookie` header longer paths
//! first (RFC 6265 §5.4).

use std::io::Write;
use std::path::{Path, PathBuf};

use cookie_store::{CookieDomain, CookieExpiration, CookieStore};
use url::Url;

use crate::exit::Code;

/// The jar of one `netlab fetch`.
#[derive(Debug)]
pub struct Jar {
    store: CookieStore,
    /// `-b 'a=1; b=2'`: sent as typed.
    literal: Option<String>,
    /// `-c FILE`.
    save_to: Option<PathBuf>,
}

impl Jar {
    /// `-b` and `-c`; `None` when neither is given. A missing or empty `-b FILE` is an empty jar.
    pub fn new(load: Option<&str>, save_to: Option<&Path>) -> anyhow::Result<Option<Jar>> {
        if load.is_none() && save_to.is_none() {
            return Ok(None);
        }
        let mut jar = Jar {
            store: CookieStore::new(),
            literal: None,
            save_to: save_to.map(Path::to_path_buf),
        };
        match load {
            Some(text) if text.contains('=') => {
                if text.contains(['\r', '\n', '\0']) {
                    return Err(Code::Usage.error("-b: the cookies contain a line break"));
                }
                jar.literal = Some(text.trim().to_string());
            }
            Some(path) => match std::fs::read_to_string(path) {
                Ok(text) => jar.load(&text, path)?,
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
                Err(err) => {
                    return Err(Code::Usage
                        .wrap(err)
                        .context(format!("-b: cannot read {path}")));
                }
            },
            None => {}
        }
        Ok(Some(jar))
    }

    /// Read a Netscape jar: `domain  subdomains  path  secure  expires  name  value`, tabs
    /// between, `#HttpOnly_` before the domain of an HttpOnly cookie, `#` comments.
    fn load(&mut self, text: &str, path: &str) -> anyhow::Result<()> {
        for (at, line) in text.lines().enumerate() {
            let (line, http_only) = match line.strip_prefix("#HttpOnly_") {
                Some(rest) => (rest, true),
                None => (line, false),
            };
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = |why: &str| Code::Usage.error(format!("-b {path}: line {}: {why}", at + 1));
            let fields: Vec<&str> = line.split('\t').collect();
            let [
                domain,
                subdomains,
                cookie_path,
                secure,
                expires,
                name,
                rest @ ..,
            ] = fields.as_slice()
            else {
                return Err(bad("expected 7 tab-separated fields"));
            };
            let value = rest.first().copied().unwrap_or("");
            let expires: i64 = expires
                .parse()
                .map_err(|_| bad("the expiry is not a number"))?;
            let secure = secure.eq_ignore_ascii_case("TRUE");
            let host = domain.trim_start_matches('.');
            let scheme = if secure { "https" } else { "http" };
            let origin = Url::parse(&format!("{scheme}://{host}{cookie_path}"))
                .map_err(|_| bad("the domain or path is not usable"))?;
            let mut raw = cookie::Cookie::new(name.to_string(), value.to_string());
            raw.set_path(cookie_path.to_string());
            raw.set_secure(secure);
            raw.set_http_only(http_only);
            if subdomains.eq_ignore_ascii_case("TRUE") {
                raw.set_domain(host.to_string());
            }
            if expires > 0 {
                let at = cookie::time::OffsetDateTime::from_unix_timestamp(expires)
                    .map_err(|_| bad("the expiry is out of range"))?;
                raw.set_expires(at);
            }
            // An expired cookie is dropped, as curl drops it.
            let _ = self.store.insert_raw(&raw, &origin);
        }
        Ok(())
    }

    /// The `Cookie` header for a request to `url`, if any (`same_site`: the URL's own site,
    /// where a `-b` string goes).
    pub fn header(&self, url: &Url, same_site: bool) -> Option<String> {
        let mut cookies = self.store.matches(url);
        cookies.sort_by(|a, b| {
            b.path
                .len()
                .cmp(&a.path.len())
                .then_with(|| a.name().cmp(b.name()))
        });
        let mut pairs: Vec<String> = cookies
            .iter()
            .map(|c| format!("{}={}", c.name(), c.value()))
            .collect();
        if let Some(literal) = self.literal.as_ref().filter(|_| same_site) {
            pairs.insert(0, literal.clone());
        }
        (!pairs.is_empty()).then(|| pairs.join("; "))
    }

    /// Keep the `Set-Cookie` lines of a response from `url`.
    pub fn store(&mut self, url: &Url, headers: &ureq::http::HeaderMap) {
        for value in headers.get_all(ureq::http::header::SET_COOKIE) {
            if let Ok(text) = std::str::from_utf8(value.as_bytes()) {
                let _ = self.store.parse(text, url);
            }
        }
    }

    /// `-c FILE`: write the jar (session cookies with expiry 0, as curl). A failure is a warning:
    /// the transfer's own exit code stays.
    pub fn save(&self) {
        let Some(path) = &self.save_to else {
            return;
        };
        if let Err(err) = self.write(path) {
            crate::warn!("-c: cannot write the cookie jar {}: {err}", path.display());
        }
    }

    fn write(&self, path: &Path) -> std::io::Result<()> {
        let mut text = String::from(
            "# Netscape HTTP Cookie File\n# https://curl.se/docs/http-cookies.html\n\
             # This file was generated by netlab! Edit at your own risk.\n\n",
        );
        for cookie in self.store.iter_unexpired() {
            let (domain, subdomains) = match &cookie.domain {
                CookieDomain::HostOnly(host) => (host.clone(), "FALSE"),
                CookieDomain::Suffix(suffix) => (format!(".{suffix}"), "TRUE"),
                _ => continue,
            };
            let expires = match &cookie.expires {
                CookieExpiration::AtUtc(at) => at.unix_timestamp().max(1),
                CookieExpiration::SessionEnd => 0,
            };
            let prefix = if cookie.http_only().unwrap_or(false) {
                "#HttpOnly_"
            } else {
                ""
            };
            let secure = if cookie.secure().unwrap_or(false) {
                "TRUE"
            } else {
                "FALSE"
            };
            text.push_str(&format!(
                "{prefix}{domain}\t{subdomains}\t{}\t{secure}\t{expires}\t{}\t{}\n",
                &*cookie.path,
                cookie.name(),
                cookie.value()
            ));
        }
        let mut file = std::fs::File::create(path)?;
        file.write_all(text.as_bytes())?;
        file.flush()
    }
}
