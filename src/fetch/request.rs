//! The flags, checked once: a [`Plan`] holds everything `fetch` will do, and every bad flag fails
//! here (exit 2, or 3 for a bad URL) before a socket opens. Also builds the request of each hop,
//! with every header it sends listed in order, so `-v` shows exactly what goes on the wire.

use std::path::{Path, PathBuf};
use std::time::Duration;

use ureq::SendBody;
use ureq::http::{self, HeaderName, HeaderValue, Method};
use url::Url;

use super::payload::Body;
pub use super::payload::Payload;
use crate::cli::FetchArgs;
use crate::exit::Code;

/// What `Accept-Encoding` asks for: the encodings [`super::decode`] undoes.
const ACCEPT_ENCODING: &str = "gzip, br, zstd";

/// Everything one `netlab fetch` does, validated.
#[derive(Debug)]
pub struct Plan {
    /// The URLs, in the order given, each with where its body goes.
    pub jobs: Vec<Job>,
    pub method: Method,
    /// `-H` headers in order; a `None` value removes a header netlab would send (`-H 'Accept:'`).
    pub headers: Vec<UserHeader>,
    pub payload: Option<Payload>,
    /// The payload's Content-Type (none for `-T`, as curl).
    pub content_type: Option<String>,
    /// `-b`/`-c`: the cookies, kept across hops and URLs.
    pub jar: Option<std::sync::Mutex<super::jar::Jar>>,
    /// `--retry*`.
    pub retry: super::retry::Policy,
    pub user_agent: String,
    pub json: bool,
    pub include: bool,
    pub head_only: bool,
    pub fail: bool,
    pub utf8: bool,
    pub remote_name: bool,
    /// `-J`: the -O name from Content-Disposition.
    pub remote_header_name: bool,
    pub name_from_final_url: bool,
    pub output_dir: Option<PathBuf>,
    pub create_dirs: bool,
    pub force: bool,
    pub resume: bool,
    /// How many transfers at once (1 without `-Z`).
    pub parallel: usize,
    pub fail_early: bool,
    pub progress: bool,
    pub follow: bool,
    pub max_redirects: u32,
    pub connect_timeout: Duration,
    pub idle_timeout: Duration,
    pub total_timeout: Option<Duration>,
    pub insecure: bool,
    /// The certificates of `--cacert`, already read and parsed.
    pub cacert: Option<Vec<rustls::pki_types::CertificateDer<'static>>>,
    /// `--cert` and `--key`, already read.
    pub identity: Option<crate::net::tls::Identity>,
    pub proxy: Option<String>,
    /// `--proxy-user`: credentials for whichever proxy is used.
    pub proxy_user: Option<crate::net::proxy::Credentials>,
    pub noproxy: Option<String>,
    /// `-w`, checked.
    pub write_out: Option<super::write_out::Format>,
    /// `--timing`.
    pub timing: bool,
}

/// One URL to fetch.
#[derive(Debug)]
pub struct Job {
    pub url: Url,
    /// The `Authorization` of `-u`, `--bearer`, the URL or netrc: for the URL's own site only.
    pub authorization: Option<String>,
    /// Its `-o`, when one was paired with it.
    pub output: Option<PathBuf>,
}

/// One `-H` header as typed (its name's casing is kept on the wire).
#[derive(Debug, Clone)]
pub struct UserHeader {
    pub name: String,
    pub key: HeaderName,
    pub value: Option<HeaderValue>,
}

/// One request on the way: where it goes, how, and with what.
#[derive(Debug, Clone)]
pub struct Hop {
    pub url: Url,
    pub method: Method,
    pub payload: Option<Payload>,
}

/// A request ready to send, and its head as it will appear on the wire (for `-v`).
pub struct Prepared {
    pub request: http::Request<SendBody<'static>>,
    pub head: Vec<(String, String)>,
}

impl Plan {
    pub fn from_args(mut args: FetchArgs) -> anyhow::Result<Plan> {
        if args.output.len() > args.urls.len() {
            return Err(Code::Usage.error(format!(
                "{} -o for {} URL{}: each -o goes with one URL, in order",
                args.output.len(),
                args.urls.len(),
                if args.urls.len() == 1 { "" } else { "s" }
            )));
        }
        let headers = args
            .headers
            .iter()
            .map(|raw| parse_header(raw))
            .collect::<anyhow::Result<Vec<_>>>()?;
        if let Some(agent) = &args.user_agent {
            refuse_line_breaks("-A", agent)?;
        }
        let body = Body::from_args(&args)?;
        if args.urls.len() > 1 && matches!(body.payload, Some(Payload::Stdin)) {
            return Err(Code::Usage.error(
                "a body read from stdin can be sent once: give it as a file for several URLs",
            ));
        }
        if args.urls.len() > 1 {
            // Asked once, not once per URL.
            super::auth::settle_password(&mut args)?;
        }
        let outputs = std::mem::take(&mut args.output);
        let mut outputs = outputs.into_iter();
        let jobs = args
            .urls
            .iter()
            .map(|text| {
                let url = job_url(text, &args, &body)?;
                Ok(Job {
                    authorization: super::auth::authorization(&args, &url)?,
                    url,
                    output: outputs.next(),
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let json = args.json.is_some();
        let payload = body.payload;

        let method = match (&args.request, args.head) {
            (Some(_), true) => {
                return Err(Code::Usage.error("-I sends HEAD: it cannot be combined with -X"));
            }
            (Some(name), false) => Method::from_bytes(name.as_bytes()).map_err(|_| {
                Code::Usage.error(format!("`{}` is not an HTTP method", name.escape_debug()))
            })?,
            (None, true) => Method::HEAD,
            (None, false) if body.put => Method::PUT,
            (None, false) if payload.is_some() => Method::POST,
            (None, false) => Method::GET,
        };
        if payload.is_some() && (method == Method::HEAD || method == Method::CONNECT) {
            return Err(Code::Usage.error(format!(
                "a {method} request cannot carry a body (-G puts -d data in the query)"
            )));
        }

        let to_stdout = |job: &Job| match &job.output {
            Some(path) => path.as_path() == Path::new("-"),
            None => !args.remote_name,
        };
        if args.resume && jobs.iter().any(to_stdout) {
            return Err(Code::Usage.error("-C resumes a file: give -o FILE or -O (for every URL)"));
        }
        if args.resume && (args.include || args.head) {
            return Err(
                Code::Usage.error("-C appends to a file: it cannot be combined with -i or -I")
            );
        }
        if args.resume && args.utf8 {
            return Err(Code::Usage.error(
                "-C appends the server's bytes as they are: it cannot be combined with --utf8",
            ));
        }
        let proxy_user = args
            .proxy_user
            .as_deref()
            .map(crate::net::proxy::Credentials::parse)
            .transpose()
            .map_err(|err| Code::Usage.error(format!("--proxy-user {err}")))?;
        if let Some(proxy) = args.proxy.as_deref().filter(|p| !p.is_empty()) {
            check_proxy(proxy, proxy_user.as_ref())
                .map_err(|err| Code::Usage.wrap(err).context("--proxy"))?;
        }
        let cacert = args
            .cacert
            .as_deref()
            .map(|path| crate::net::tls::read_certs(path, "--cacert"))
            .transpose()?;
        let identity = crate::net::tls::read_identity(args.cert.as_deref(), args.key.as_deref())?;
        let write_out = args
            .write_out
            .as_deref()
            .map(super::write_out::Format::from_arg)
            .transpose()?;
        if args.silent {
            // No warnings nor progress either; -v still says everything it would.
            if !crate::log::verbose() {
                crate::log::init(true, false);
            }
            if !args.show_error {
                crate::log::silence_errors();
            }
        }

        Ok(Plan {
            jobs,
            method,
            headers,
            payload,
            content_type: body.content_type,
            jar: super::jar::Jar::new(args.cookie.as_deref(), args.cookie_jar.as_deref())?
                .map(std::sync::Mutex::new),
            retry: super::retry::Policy::new(
                args.retry,
                &args.retry_on,
                args.retry_delay,
                args.retry_max_time,
            )?,
            user_agent: args
                .user_agent
                .unwrap_or_else(|| concat!("netlab/", env!("CARGO_PKG_VERSION")).to_string()),
            json,
            include: args.include || args.head,
            head_only: args.head,
            fail: args.fail,
            utf8: args.utf8,
            remote_name: args.remote_name,
            remote_header_name: args.remote_header_name,
            name_from_final_url: args.name_from_final_url,
            output_dir: args.output_dir,
            create_dirs: args.create_dirs,
            force: args.force,
            resume: args.resume,
            parallel: if args.parallel {
                args.parallel_max as usize
            } else {
                1
            },
            fail_early: args.fail_early,
            // Bars of transfers at once would overwrite each other.
            progress: !args.no_progress && !args.silent && !args.parallel,
            follow: !args.no_follow,
            max_redirects: args.max_redirects,
            connect_timeout: args.connect_timeout,
            idle_timeout: args.idle_timeout,
            total_timeout: args.timeout,
            insecure: args.insecure,
            cacert,
            identity,
            proxy: args.proxy,
            proxy_user,
            noproxy: args.noproxy,
            write_out,
            timing: args.timing,
        })
    }

    /// The first hop of a URL: the URL as given.
    pub fn first_hop(&self, job: &Job) -> Hop {
        Hop {
            url: job.url.clone(),
            method: self.method.clone(),
            payload: self.payload.clone(),
        }
    }

    /// Build the request of one hop. `range_from` asks for the rest of a file (`-C`).
    pub fn prepare(
        &self,
        job: &Job,
        hop: &Hop,
        range_from: Option<u64>,
    ) -> anyhow::Result<Prepared> {
        let url = &hop.url;
        let same_site = same_site(url, &job.url);
        let mut head: Vec<(String, String)> = Vec::with_capacity(8 + self.headers.len());
        let host = match url.port() {
            Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
            None => url.host_str().unwrap_or_default().to_string(),
        };
        head.push(("Host".into(), host));
        head.push(("User-Agent".into(), self.user_agent.clone()));
        let accept = if self.json { "application/json" } else { "*/*" };
        head.push(("Accept".into(), accept.into()));
        if let Some(from) = range_from {
            // A range is counted in the server's bytes: ask for them as they are stored.
            head.push(("Range".into(), format!("bytes={from}-")));
        } else {
            head.push(("Accept-Encoding".into(), ACCEPT_ENCODING.into()));
        }
        if let Some(authorization) = job.authorization.as_ref().filter(|_| same_site) {
            head.push(("Authorization".into(), authorization.clone()));
        }
        if let Some(cookie) = self
            .jar
            .as_ref()
            .and_then(|jar| crate::net::lock(jar).header(url, same_site))
        {
            head.push(("Cookie".into(), cookie));
        }
        if let Some(payload) = &hop.payload {
            if let Some(kind) = &self.content_type {
                head.push(("Content-Type".into(), kind.clone()));
            }
            match payload.len() {
                Some(len) => head.push(("Content-Length".into(), len.to_string())),
                None => head.push(("Transfer-Encoding".into(), "chunked".into())),
            }
        }

        // A user's header replaces netlab's of the same name; credentials the user gave for the
        // first site are not sent to another one a redirect leads to.
        let users: Vec<&UserHeader> = self
            .headers
            .iter()
            .filter(|h| same_site || !is_credential(&h.key))
            .collect();
        head.retain(|(name, _)| {
            !users
                .iter()
                .any(|h| h.key.as_str().eq_ignore_ascii_case(name))
        });

        let mut builder = http::Request::builder()
            .method(hop.method.clone())
            .uri(wire_uri(url)?);
        for (name, value) in &head {
            builder = ureq_proto::client::header_raw(builder, name, value.as_bytes());
        }
        for header in users {
            if let Some(value) = &header.value {
                builder = ureq_proto::client::header_raw(builder, &header.name, value.as_bytes());
                head.push((
                    header.name.clone(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                ));
            }
        }
        let body = match &hop.payload {
            Some(payload) => payload.body()?,
            None => SendBody::none(),
        };
        let request = builder
            .body(body)
            .map_err(|err| Code::Usage.wrap(err).context("building the request"))?;
        Ok(Prepared { request, head })
    }
}

/// One URL argument as it is requested: parsed, with -G's data in its query and -T's file name
/// after a final `/`.
fn job_url(text: &str, args: &FetchArgs, body: &Body) -> anyhow::Result<Url> {
    let mut url = parse_url(text)?;
    if let Some(query) = &body.query {
        // -G: the data goes after the URL's own query, joined with `&`.
        let joined = match url.query().filter(|q| !q.is_empty()) {
            Some(own) => format!("{own}&{query}"),
            None => query.clone(),
        };
        url.set_query(Some(&joined));
    }
    if let (Some(path), true) = (&args.upload_file, url.path().ends_with('/')) {
        // curl's -T to a URL ending in `/`: the file keeps its name there.
        if let Some(name) = path.file_name().filter(|_| path.as_os_str() != "-") {
            let name = name.to_string_lossy().into_owned();
            url.path_segments_mut()
                .map_err(|()| Code::BadUrl.error("-T: the URL cannot take a file name"))?
                .pop_if_empty()
                .push(&name);
        }
    }
    Ok(url)
}

/// Parse the URL argument; `http://` is assumed without a scheme. Fragments are never sent.
pub fn parse_url(text: &str) -> anyhow::Result<Url> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Code::BadUrl.error("empty URL"));
    }
    let with_scheme = if text.contains("://") {
        text.to_string()
    } else {
        format!("http://{text}")
    };
    let mut url = Url::parse(&with_scheme)
        .map_err(|err| Code::BadUrl.error(format!("bad URL `{text}`: {err}")))?;
    check_scheme(&url, text)?;
    url.set_fragment(None);
    Ok(url)
}

/// Only http and https, with a host.
pub fn check_scheme(url: &Url, text: &str) -> anyhow::Result<()> {
    match url.scheme() {
        "http" | "https" => {}
        other => {
            return Err(Code::BadUrl.error(format!(
                "bad URL `{text}`: scheme `{other}` is not supported (http and https are)"
            )));
        }
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(Code::BadUrl.error(format!("bad URL `{text}`: no host")));
    }
    Ok(())
}

/// Same scheme, host and port: where credentials typed for the first URL may still go.
pub fn same_site(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

fn is_credential(key: &HeaderName) -> bool {
    key == http::header::AUTHORIZATION
        || key == http::header::COOKIE
        || key == http::header::PROXY_AUTHORIZATION
}

/// The URI ureq sends: no credentials in it (they went into `Authorization`), no fragment.
fn wire_uri(url: &Url) -> anyhow::Result<http::Uri> {
    let mut clean = url.clone();
    let _ = clean.set_username("");
    let _ = clean.set_password(None);
    clean.set_fragment(None);
    clean
        .as_str()
        .parse::<http::Uri>()
        .map_err(|err| Code::BadUrl.error(format!("bad URL `{url}`: {err}")))
}

/// `Name: value`; `Name:` removes a header netlab would send; `Name;` sends it empty (as curl).
pub fn parse_header(raw: &str) -> anyhow::Result<UserHeader> {
    refuse_line_breaks("-H", raw)?;
    let bad = |why: &str| Code::Usage.error(format!("bad header `{raw}`: {why}"));
    let (name, value) = if let Some((name, value)) = raw.split_once(':') {
        let value = value.trim_matches([' ', '\t']);
        (name, (!value.is_empty()).then_some(value))
    } else if let Some(name) = raw.strip_suffix(';') {
        (name, Some(""))
    } else {
        return Err(bad("expected `Name: value`"));
    };
    let name = name.trim();
    if name.is_empty() {
        return Err(bad("no name before `:`"));
    }
    let key = HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| bad("the name has a character a header name cannot have"))?;
    let value = value
        .map(|v| HeaderValue::from_str(v).map_err(|_| bad("the value has a control character")))
        .transpose()?;
    Ok(UserHeader {
        name: name.to_string(),
        key,
        value,
    })
}

/// A CR or LF in a header would start a new header (or a new request): refuse it, send nothing.
fn refuse_line_breaks(flag: &str, text: &str) -> anyhow::Result<()> {
    if text.contains(['\r', '\n', '\0']) {
        return Err(Code::Usage.error(format!(
            "{flag} `{}` contains a line break or NUL: refused, nothing was sent",
            text.escape_debug()
        )));
    }
    Ok(())
}

/// A proxy URL: `http://host:port`, `https://…`, `socks5://…` (the scheme defaults to http), read
/// as `connect --proxy` reads one; `user` (`--proxy-user`) wins over `user:pass@` in it.
pub fn check_proxy(
    text: &str,
    user: Option<&crate::net::proxy::Credentials>,
) -> anyhow::Result<ureq::Proxy> {
    let parsed = crate::net::proxy::ProxyUrl::parse(text)
        .map_err(|err| anyhow::anyhow!("bad proxy {err}"))?;
    if !matches!(
        parsed.scheme.as_str(),
        "http" | "https" | "socks4" | "socks4a" | "socks5" | "socks5h" | "socks"
    ) {
        anyhow::bail!("bad proxy `{text}`: use http://HOST:PORT (or https://, socks5://)");
    }
    let with_scheme = if text.contains("://") {
        text.to_string()
    } else {
        format!("http://{text}")
    };
    let mut url =
        Url::parse(&with_scheme).map_err(|err| anyhow::anyhow!("bad proxy `{text}`: {err}"))?;
    if let Some(user) = user {
        // The url crate percent-encodes them; ureq decodes them once.
        let set = url
            .set_username(&user.user)
            .and_then(|()| url.set_password(Some(&user.password)));
        if set.is_err() {
            anyhow::bail!("bad proxy `{text}`: it cannot take a user name");
        }
    }
    ureq::Proxy::new(url.as_str()).map_err(|err| anyhow::anyhow!("bad proxy `{text}`: {err}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheme_defaults_to_http() {
        assert_eq!(
            parse_url("127.0.0.1:8000/a").unwrap().as_str(),
            "http://127.0.0.1:8000/a"
        );
        assert_eq!(
            parse_url("https://x.test/#frag").unwrap().as_str(),
            "https://x.test/"
        );
    }

    #[test]
    fn bad_urls_exit_3() {
        for text in ["", "ftp://x.test/", "http://", "http://exa mple.test/"] {
            let err = parse_url(text).unwrap_err();
            assert_eq!(crate::exit::code_of(&err), Some(Code::BadUrl), "{text}");
        }
    }

    #[test]
    fn headers_parse_like_curl() {
        let h = parse_header("X-Test:  yes ").unwrap();
        assert_eq!(
            (h.name.as_str(), h.value.unwrap().to_str().unwrap()),
            ("X-Test", "yes")
        );
        assert!(parse_header("Accept:").unwrap().value.is_none());
        assert_eq!(parse_header("X-Empty;").unwrap().value.unwrap(), "");
        for bad in [
            "X: a\r\nEvil: 1",
            "X: a\nb",
            "no colon",
            ": v",
            "Bad Name: v",
        ] {
            let err = parse_header(bad).unwrap_err();
            assert_eq!(crate::exit::code_of(&err), Some(Code::Usage), "{bad}");
        }
    }

    #[test]
    fn credentials_stay_out_of_the_request_line() {
        let url = Url::parse("http://al%20ice:pw@h.test/").unwrap();
        assert!(!wire_uri(&url).unwrap().to_string().contains("pw"));
    }
}
