//! What `netlab url` does to a URL's parts: set, append, trim, sort, redirect, and the text
//! it prints.

use super::*;

impl Parts {
    pub fn get(&self, comp: Comp) -> Option<&str> {
        match comp {
            Comp::Url => None,
            Comp::Scheme => self.scheme.as_deref(),
            Comp::User => self.user.as_deref(),
            Comp::Password => self.password.as_deref(),
            Comp::Options => self.options.as_deref(),
            Comp::Host => self.host.as_deref(),
            Comp::Port => self.port.as_deref(),
            Comp::Path => Some(self.path.as_str()).filter(|p| !p.is_empty()),
            Comp::Query => self.query.as_deref(),
            Comp::Fragment => self.fragment.as_deref(),
            Comp::Zoneid => self.zoneid.as_deref(),
        }
    }

    fn slot(&mut self, comp: Comp) -> &mut Option<String> {
        match comp {
            Comp::Scheme => &mut self.scheme,
            Comp::User => &mut self.user,
            Comp::Password => &mut self.password,
            Comp::Options => &mut self.options,
            Comp::Host => &mut self.host,
            Comp::Port => &mut self.port,
            Comp::Query => &mut self.query,
            Comp::Fragment => &mut self.fragment,
            Comp::Zoneid => &mut self.zoneid,
            Comp::Url | Comp::Path => unreachable!("url and path are not optional"),
        }
    }

    /// Apply one `--set`.
    pub fn set(&mut self, set: &Set, reader: &Reader) -> Result<(), String> {
        if set.mode == SetMode::IfEmpty && self.get(set.comp).is_some_and(|v| !v.is_empty()) {
            return Ok(());
        }
        let raw = set.mode == SetMode::Raw;
        let value = set.value.as_str();
        let encoded = |set: &'static AsciiSet| {
            if raw {
                value.to_string()
            } else {
                encode(value, set)
            }
        };
        match set.comp {
            Comp::Url => {
                *self = reader.read(value)?;
                return Ok(());
            }
            Comp::Path => {
                self.path = encoded(PATH);
                return Ok(());
            }
            _ if value.is_empty() => {
                *self.slot(set.comp) = None;
                return Ok(());
            }
            _ => {}
        }
        let new = match set.comp {
            Comp::Scheme => value.to_ascii_lowercase(),
            Comp::Host => {
                let host = if value.contains(':') && !value.starts_with('[') {
                    format!("[{value}]")
                } else {
                    value.to_string()
                };
                lowercase_host(&host)
            }
            Comp::Port => check_port(value)?.to_string(),
            Comp::User | Comp::Password | Comp::Options | Comp::Zoneid => encoded(USERINFO),
            Comp::Query => encoded(QUERY),
            Comp::Fragment => encoded(QUERY),
            Comp::Url | Comp::Path => unreachable!(),
        };
        *self.slot(set.comp) = Some(new);
        Ok(())
    }

    /// `--append path=SEGMENT`: one more segment, encoded (so a `/` in it stays in it).
    pub fn append_path(&mut self, segment: &str) {
        if !self.path.ends_with('/') {
            self.path.push('/');
        }
        self.path.push_str(&encode(segment, SEGMENT));
    }

    /// `--append query=NAME=VALUE`: one more pair, name and value encoded.
    pub fn append_query(&mut self, pair: &str, separator: &str) {
        self.append_encoded_pair(encode_pair(pair), separator);
    }

    fn append_encoded_pair(&mut self, encoded: String, separator: &str) {
        match &mut self.query {
            Some(query) if !query.is_empty() => {
                query.push_str(separator);
                query.push_str(&encoded);
            }
            _ => self.query = Some(encoded),
        }
    }

    /// The query's pairs, as written.
    pub fn pairs<'a>(&'a self, separator: &'a str) -> impl Iterator<Item = (&'a str, &'a str)> {
        self.query
            .as_deref()
            .unwrap_or("")
            .split(separator)
            .filter(|pair| !pair.is_empty())
            .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
    }

    fn rewrite_query(&mut self, separator: &str, edit: impl FnOnce(&mut Vec<&str>)) {
        let Some(query) = self.query.take() else {
            return;
        };
        let mut pairs: Vec<&str> = query.split(separator).filter(|p| !p.is_empty()).collect();
        edit(&mut pairs);
        self.query = (!pairs.is_empty()).then(|| pairs.join(separator));
    }

    /// `--trim query=GLOB`: drop the pairs whose (decoded) name matches.
    pub fn trim_query(&mut self, globs: &[String], separator: &str) {
        self.rewrite_query(separator, |pairs| {
            pairs.retain(|pair| {
                let name = pair.split('=').next().unwrap_or("");
                let name = String::from_utf8_lossy(&decode(name, true)).into_owned();
                !globs.iter().any(|glob| glob_matches(glob, &name))
            })
        });
    }

    /// `--replace NAME=VALUE`: the first pair whose (decoded) name is NAME becomes the new
    /// pair and later ones of that name go; with `append` (`--replace-append`), a query
    /// without such a pair gets it at the end.
    pub fn replace_query(&mut self, replace: &Replace, separator: &str) {
        let named = |pair: &str| {
            let name = pair.split_once('=').map_or(pair, |(name, _)| name);
            decode(name, true) == replace.name.as_bytes()
        };
        let mut found = false;
        if let Some(query) = self.query.take() {
            let mut pairs = Vec::new();
            for pair in query.split(separator).filter(|p| !p.is_empty()) {
                if !named(pair) {
                    pairs.push(pair);
                } else if !found {
                    found = true;
                    pairs.push(&replace.pair);
                }
            }
            self.query = (!pairs.is_empty()).then(|| pairs.join(separator));
        }
        if !found && replace.append {
            self.append_encoded_pair(replace.pair.clone(), separator);
        }
    }

    /// `--sort-query`: pairs in order of name, then value, ignoring ASCII case (as trurl
    /// compares); a stable sort, so equal pairs keep their order.
    pub fn sort_query(&mut self, separator: &str) {
        self.rewrite_query(separator, |pairs| {
            pairs.sort_by_cached_key(|p| {
                let (n, v) = p.split_once('=').unwrap_or((p, ""));
                let mut name = decode(n, true);
                let mut value = decode(v, true);
                name.make_ascii_lowercase();
                value.make_ascii_lowercase();
                (name, value)
            })
        });
    }

    /// The URL, written out: `encoded` (`--urlencode`) escapes what is not ASCII; a port that
    /// is the scheme's default is left out unless `keep_port`.
    pub fn to_url(&self, encoded: bool, keep_port: bool) -> Result<String, String> {
        let out_of = |text: &str| {
            if encoded {
                encode_output(text)
            } else {
                text.to_string()
            }
        };
        let mut url = String::new();
        match (&self.scheme, &self.host) {
            (Some(scheme), _) => url.push_str(scheme),
            (None, Some(_)) => url.push_str("http"),
            (None, None) => return Err("no scheme and no host: nothing to write".to_string()),
        }
        url.push(':');
        if let Some(host) = &self.host {
            url.push_str("//");
            if self.user.is_some() || self.password.is_some() || self.options.is_some() {
                url.push_str(&out_of(self.user.as_deref().unwrap_or("")));
                if let Some(password) = &self.password {
                    url.push(':');
                    url.push_str(&out_of(password));
                }
                if let Some(options) = &self.options {
                    url.push(';');
                    url.push_str(&out_of(options));
                }
                url.push('@');
            }
            match (&self.zoneid, host.strip_suffix(']')) {
                (Some(zone), Some(open)) => {
                    url.push_str(open);
                    url.push_str("%25");
                    url.push_str(zone);
                    url.push(']');
                }
                _ if encoded => url.push_str(&ascii_host(host)),
                _ => url.push_str(host),
            }
            if let Some(port) = &self.port {
                let default = self.scheme.as_deref().and_then(default_port);
                if keep_port || default.is_none_or(|d| d.to_string() != *port) {
                    url.push(':');
                    url.push_str(port);
                }
            }
            if !self.path.is_empty() && !self.path.starts_with('/') {
                url.push('/');
            }
        } else if self.path.starts_with("//") {
            // Without an authority a path cannot start with `//` (RFC 3986 §3.3).
            url.push_str("/.");
        }
        url.push_str(&out_of(&self.path));
        if let Some(query) = &self.query {
            url.push('?');
            url.push_str(&out_of(query));
        }
        if let Some(fragment) = &self.fragment {
            url.push('#');
            url.push_str(&out_of(fragment));
        }
        Ok(url)
    }

    /// The URL this one redirects to with `rel`, by the reader's standard.
    pub fn redirect(&self, rel: &str, reader: &Reader) -> Result<Parts, String> {
        let mut base = self.clone();
        base.fragment = None;
        let base = base.to_url(false, true)?;
        let fail =
            |why: &str| format!("--redirect `{rel}`: cannot resolve it against {base}: {why}");
        match reader.standard {
            Standard::Rfc3986 => {
                let base_iri = IriAbsoluteStr::new(&base).map_err(|_| fail("not a base URI"))?;
                let rel_iri = IriReferenceStr::new(rel).map_err(|_| fail(&why_not_rfc3986(rel)))?;
                let resolved = rel_iri.resolve_against(base_iri);
                resolved
                    .ensure_rfc3986_normalizable()
                    .map_err(|_| fail("the result would start its path with // (RFC 3986 §5.2)"))?;
                read_rfc3986(&resolved.to_string()).map_err(|why| fail(&why))
            }
            Standard::Whatwg => {
                let base_url = url::Url::parse(&base).map_err(|err| fail(&err.to_string()))?;
                let joined = base_url.join(rel).map_err(|err| fail(&err.to_string()))?;
                Ok(from_whatwg(&joined))
            }
        }
    }

    /// Put a WHATWG URL through the url crate again after an edit, so it stays normalised.
    pub fn renormalise_whatwg(&mut self) -> Result<(), String> {
        let text = self.to_url(false, true)?;
        *self = read_whatwg(&text)?;
        Ok(())
    }
}
