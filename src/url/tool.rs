//! `netlab url`: trurl's options on netlab's engine. The options are checked into a [`UrlTool`]
//! before any URL is read; each URL is then read, changed (redirect, set, append, trim, sort, in
//! trurl's order) and printed as a URL, a `-g` template or trurl's JSON. A bad URL is a warning
//! that names its line and skips it, or, under `--verify`, the end (exit 2).

use std::io::{self, Write};

use anyhow::Context;
use encoding_rs::UTF_8;

use super::edit::{self, Comp, Parts, Reader, Replace, Set};
use super::iterate::{combinations, parse_iterate};
use super::template::{self, Mods, Show, Template};
use super::{Charset, FLUSH_AT, lines};
use crate::cli::{Standard, UrlArgs};
use crate::exit::Code;

enum Output {
    Url,
    Template(Template),
    Json,
}

/// One run of `netlab url`: the checked options and the output buffer.
pub struct UrlTool {
    reader: Reader,
    sets: Vec<Set>,
    /// One list of sets per --iterate, each URL printed once per combination.
    iterates: Vec<Vec<Set>>,
    replaces: Vec<Replace>,
    curl: bool,
    append_paths: Vec<String>,
    append_queries: Vec<String>,
    trims: Vec<String>,
    sort: bool,
    redirect: Option<String>,
    verify: bool,
    output: Output,
    show: Show,
    printed: u64,
    pub out: Vec<u8>,
}

/// Why a URL was not printed.
enum Failure {
    /// The URL cannot be written: reported, and skipped unless --verify.
    Url(String),
    /// A `{must:…}` or `{strict:…}` of the template, or `--strict`, failed: the end.
    Fatal(String),
}

/// Where an input came from, for its error line.
#[derive(Clone, Copy)]
pub enum Origin<'a> {
    Argument,
    Line(&'a str, u64),
}

/// A line as text: bytes that are not UTF-8 (a log of Latin-1 URLs) are percent-encoded, as
/// a browser would send them, rather than lost.
fn as_text(line: &[u8]) -> std::borrow::Cow<'_, str> {
    match simdutf8::basic::from_utf8(line) {
        Ok(text) => text.into(),
        Err(_) => {
            let mut text = String::with_capacity(line.len() * 3);
            for chunk in line.utf8_chunks() {
                text.push_str(chunk.valid());
                for byte in chunk.invalid() {
                    text.push_str(&format!("%{byte:02X}"));
                }
            }
            text.into()
        }
    }
}

/// Where the first `%` that starts no `%XX` escape is.
fn bad_escape(input: &str) -> Option<usize> {
    let bytes = input.as_bytes();
    memchr::memchr_iter(b'%', bytes).find(|&at| super::percent::escape_at(bytes, at).is_none())
}

/// An input as an error shows it: whole if short, its start if long.
fn shown_input(input: &str) -> String {
    const MAX: usize = 80;
    if input.len() <= MAX {
        return format!("`{input}`");
    }
    let mut end = MAX;
    while !input.is_char_boundary(end) {
        end -= 1;
    }
    format!("`{}…`", &input[..end])
}

impl UrlTool {
    pub fn from_args(args: &UrlArgs) -> anyhow::Result<UrlTool> {
        let usage = |msg: String| Code::Usage.error(msg);
        let standard = if args.whatwg {
            Standard::Whatwg
        } else {
            Standard::Rfc3986
        };
        let sets = args
            .set
            .iter()
            .map(|arg| Set::parse(arg))
            .collect::<Result<Vec<_>, _>>()
            .map_err(usage)?;
        for (i, set) in sets.iter().enumerate() {
            if sets[..i].iter().any(|earlier| earlier.comp == set.comp) {
                return Err(usage(format!(
                    "--set `{}`: {} is set twice",
                    args.set[i],
                    set.comp.name()
                )));
            }
        }
        let iterates = args
            .iterate
            .iter()
            .map(|arg| parse_iterate(arg, &sets))
            .collect::<Result<Vec<_>, _>>()
            .map_err(usage)?;
        for (i, values) in iterates.iter().enumerate() {
            if iterates[..i]
                .iter()
                .any(|earlier| earlier[0].comp == values[0].comp)
            {
                return Err(usage(format!(
                    "--iterate `{}`: {} is iterated twice (one --iterate per component)",
                    args.iterate[i],
                    values[0].comp.name()
                )));
            }
        }
        let replaces = args
            .replace
            .iter()
            .map(|arg| Replace::new(arg, false))
            .chain(
                args.replace_append
                    .iter()
                    .map(|arg| Replace::new(arg, true)),
            )
            .collect();
        let mut append_paths = Vec::new();
        let mut append_queries = Vec::new();
        for arg in &args.append {
            match arg.split_once('=') {
                Some(("path", value)) => append_paths.push(value.to_string()),
                Some(("query", value)) => append_queries.push(value.to_string()),
                _ => {
                    return Err(usage(format!(
                        "--append `{arg}`: expected path=SEGMENT or query=NAME=VALUE"
                    )));
                }
            }
        }
        let mut trims = args.qtrim.clone();
        for arg in &args.trim {
            match arg.split_once('=') {
                Some(("query", glob)) => trims.push(glob.to_string()),
                _ => {
                    return Err(usage(format!(
                        "--trim `{arg}`: expected query=GLOB (only the query can be trimmed)"
                    )));
                }
            }
        }
        if let Some(rel) = &args.redirect
            && standard == Standard::Rfc3986
            && iri_string::types::IriReferenceStr::new(rel).is_err()
        {
            return Err(usage(format!(
                "--redirect `{rel}`: not a URI reference by RFC 3986"
            )));
        }
        let separator = match args.query_separator.as_deref() {
            None => "&".to_string(),
            Some(sep) if sep.chars().count() == 1 => sep.to_string(),
            Some(sep) => {
                return Err(usage(format!(
                    "--query-separator `{sep}`: must be one character"
                )));
            }
        };
        let charset = Charset::parse(&args.charset)?;
        let output = if let Some(format) = &args.get {
            Output::Template(Template::parse(format).map_err(usage)?)
        } else if args.json {
            Output::Json
        } else {
            Output::Url
        };
        Ok(UrlTool {
            reader: Reader {
                standard,
                guess_scheme: !args.no_guess_scheme,
                accept_space: args.accept_space,
            },
            sets,
            iterates,
            replaces,
            curl: args.curl,
            append_paths,
            append_queries,
            trims,
            sort: args.sort_query,
            redirect: args.redirect.clone(),
            verify: args.verify,
            output,
            show: Show {
                charset,
                encoding: UTF_8,
                form: args.form,
                strict: args.strict,
                urlencode: args.urlencode,
                // Under WHATWG the url crate has already dropped what the standard drops.
                keep_port: args.keep_port || args.default_port || args.whatwg,
                default_port: args.default_port,
                punycode: args.punycode,
                as_idn: args.as_idn,
                separator,
            },
            printed: 0,
            out: Vec::with_capacity(FLUSH_AT + 4096),
        })
    }

    /// Read one URL (and follow --redirect).
    pub fn read(&self, input: &str) -> Result<Parts, String> {
        let parts = self.reader.read(input)?;
        match &self.redirect {
            Some(rel) => parts.redirect(rel, &self.reader),
            None => Ok(parts),
        }
    }

    /// Change a URL that was read, with one value of each --iterate.
    pub fn transform(&self, mut parts: Parts, iterated: &[&Set]) -> Result<Parts, String> {
        for set in self.sets.iter().chain(iterated.iter().copied()) {
            parts.set(set, &self.reader)?;
        }
        for segment in &self.append_paths {
            parts.append_path(segment);
        }
        // trurl's order: trim, replace, then append, then sort.
        if !self.trims.is_empty() {
            parts.trim_query(&self.trims, &self.show.separator);
        }
        for replace in &self.replaces {
            parts.replace_query(replace, &self.show.separator);
        }
        for pair in &self.append_queries {
            parts.append_query(pair, &self.show.separator);
        }
        if self.sort {
            parts.sort_query(&self.show.separator);
        }
        if self.reader.standard == Standard::Whatwg {
            parts.renormalise_whatwg()?;
        }
        if self.show.default_port && parts.port.is_none() {
            let default = parts.scheme.as_deref().and_then(edit::default_port);
            parts.port = default.map(|p| p.to_string());
        }
        if let Some(host) = &parts.host {
            if self.show.punycode {
                parts.host = Some(edit::ascii_host(host));
            } else if self.show.as_idn {
                parts.host = Some(edit::unicode_host(host));
            }
        }
        let rfc3986 = self.reader.standard == Standard::Rfc3986;
        if rfc3986 && parts.host.is_some() && parts.path.is_empty() {
            parts.path.push('/');
        }
        // A scheme that names a server needs a host (as libcurl has it); `file:` does not.
        if rfc3986
            && parts.host.is_none()
            && let Some(scheme) = parts.scheme.as_deref()
            && edit::default_port(scheme).is_some()
        {
            return Err(format!("no host, which {scheme}: URLs need"));
        }
        if parts.scheme.is_none() && parts.host.is_none() {
            return Err("no scheme and no host: nothing to write".to_string());
        }
        if self.curl {
            let scheme = parts.scheme.as_deref().unwrap_or("http");
            if !edit::curl_supports(scheme) {
                return Err(format!("--curl: `{scheme}` is not a scheme curl supports"));
            }
        }
        Ok(parts)
    }

    /// One URL, printed into the buffer; a bad one is reported (or fatal under --verify). A
    /// `{must:…}` or `{strict:…}` that fails is fatal, as in trurl.
    pub fn input(&mut self, input: &str, origin: Origin<'_>) -> anyhow::Result<()> {
        let place = || match origin {
            Origin::Argument => format!("URL {}", shown_input(input)),
            Origin::Line(source, number) => {
                format!("{source}line {number}: {}", shown_input(input))
            }
        };
        if self.show.strict
            && let Some(at) = bad_escape(input)
        {
            return Err(Code::Usage.error(format!(
                "{}: --strict: a % that starts no %XX escape, at byte {at}",
                place()
            )));
        }
        let read = match self.read(input) {
            Ok(parts) => parts,
            Err(why) => return self.skip(&place(), &why),
        };
        if self.iterates.is_empty() {
            return self.one(read, &[], &place);
        }
        // Out of `self` while `one` changes it; put back whatever happens.
        let iterates = std::mem::take(&mut self.iterates);
        let result =
            combinations(&iterates).try_for_each(|sets| self.one(read.clone(), &sets, &place));
        self.iterates = iterates;
        result
    }

    /// One URL that was read, changed with one value of each --iterate and printed.
    fn one(
        &mut self,
        read: Parts,
        iterated: &[&Set],
        place: &dyn Fn() -> String,
    ) -> anyhow::Result<()> {
        let why = match self.transform(read, iterated) {
            Ok(parts) => match self.print(&parts) {
                Ok(()) => return Ok(()),
                Err(Failure::Fatal(why)) => {
                    return Err(Code::Usage.error(format!("{}: {why}", place())));
                }
                Err(Failure::Url(why)) => why,
            },
            Err(why) => why,
        };
        self.skip(&place(), &why)
    }

    /// A URL that cannot be printed: a warning, or under --verify the end.
    fn skip(&self, place: &str, why: &str) -> anyhow::Result<()> {
        if self.verify {
            Err(Code::Usage.error(format!("{place}: {why}")))
        } else {
            crate::warn!("{place}: {why} (skipped)");
            Ok(())
        }
    }

    fn print(&mut self, parts: &Parts) -> Result<(), Failure> {
        if !matches!(self.output, Output::Url) && self.show.charset != Charset::Fixed(UTF_8) {
            let url = parts.to_url(false, true).map_err(Failure::Url)?;
            self.show.choose_encoding(&url);
        }
        match &self.output {
            Output::Url => {
                let url = parts
                    .to_url(self.show.urlencode, self.show.keep_port)
                    .map_err(Failure::Url)?;
                self.out.extend_from_slice(url.as_bytes());
                self.out.push(b'\n');
            }
            Output::Template(template) => {
                let mut line = String::new();
                template
                    .render(parts, &self.show, &mut line)
                    .map_err(Failure::Fatal)?;
                self.out.extend_from_slice(line.as_bytes());
            }
            Output::Json => {
                let object = self.json(parts)?;
                self.out
                    .extend_from_slice(if self.printed == 0 { b"[\n" } else { b",\n" });
                self.out.extend_from_slice(object.as_bytes());
            }
        }
        self.printed += 1;
        Ok(())
    }

    /// One URL as trurl's JSON object, indented as a member of the array.
    fn json(&self, parts: &Parts) -> Result<String, Failure> {
        let mut o = String::from("  {\n    \"url\": ");
        let string = |o: &mut String, text: &str| {
            let mut buf = Vec::new();
            super::json::string(&mut buf, text);
            o.push_str(&String::from_utf8_lossy(&buf));
        };
        let url = parts
            .to_url(self.show.urlencode, self.show.keep_port)
            .map_err(Failure::Url)?;
        string(&mut o, &url);
        o.push_str(",\n    \"parts\": {");
        let mut first = true;
        for comp in [
            Comp::Scheme,
            Comp::User,
            Comp::Password,
            Comp::Options,
            Comp::Host,
            Comp::Port,
            Comp::Path,
            Comp::Query,
            Comp::Fragment,
            Comp::Zoneid,
        ] {
            let value = if comp == Comp::Query && !self.show.urlencode {
                // As trurl shows it: `+` is a space in the query.
                match &parts.query {
                    Some(q) => Some(self.text(q)?),
                    None => None,
                }
            } else {
                template::component(parts, comp, Mods::default(), &self.show)
                    .map_err(Failure::Fatal)?
            };
            if let Some(value) = value {
                o.push_str(if first { "\n" } else { ",\n" });
                first = false;
                o.push_str("      \"");
                o.push_str(comp.name());
                o.push_str("\": ");
                string(&mut o, &value);
            }
        }
        o.push_str("\n    }");
        if parts.query.as_deref().is_some_and(|q| !q.is_empty()) {
            o.push_str(",\n    \"params\": [");
            let mut first = true;
            for (key, value) in parts.pairs(&self.show.separator) {
                o.push_str(if first { "\n" } else { ",\n" });
                first = false;
                o.push_str("      {\n        \"key\": ");
                string(&mut o, &self.text(key)?);
                o.push_str(",\n        \"value\": ");
                string(&mut o, &self.text(value)?);
                o.push_str("\n      }");
            }
            o.push_str("\n    ]");
        }
        o.push_str("\n  }");
        Ok(o)
    }

    /// A query pair's name or value (or the query) as JSON shows it: decoded with `+` as a
    /// space, in the URL's charset; bytes that are not text there as U+FFFD (or, under
    /// --strict, an error).
    fn text(&self, value: &str) -> Result<String, Failure> {
        if self.show.urlencode {
            return Ok(edit::encode_output(value));
        }
        match template::decode(value, true, false, &self.show, "query") {
            Ok(Some(text)) => Ok(text),
            Ok(None) => {
                let mut text = String::new();
                super::charset::decode_text(
                    self.show.encoding,
                    &edit::decode(value, true),
                    &mut text,
                    |_| {},
                );
                Ok(text)
            }
            Err(why) => Err(Failure::Fatal(why)),
        }
    }

    /// What ends the output: the JSON array's close.
    pub fn finish(&mut self) {
        if let Output::Json = self.output {
            self.out
                .extend_from_slice(if self.printed == 0 { b"[]\n" } else { b"\n]\n" });
        }
    }

    fn flush(&mut self, sink: &mut impl Write, force: bool) -> io::Result<()> {
        if force || self.out.len() >= FLUSH_AT {
            sink.write_all(&self.out)?;
            self.out.clear();
        }
        Ok(())
    }

    /// Every line of a stream; blank lines are skipped.
    fn stream(
        &mut self,
        reader: impl io::Read,
        source: &str,
        sink: &mut impl Write,
    ) -> anyhow::Result<()> {
        let mut number = 0u64;
        lines::for_each_chunk(reader, |chunk| {
            lines::each_line(chunk, |line| {
                number += 1;
                if line.iter().all(u8::is_ascii_whitespace) {
                    return Ok(());
                }
                let text = as_text(line);
                self.input(text.trim(), Origin::Line(source, number))
            })?;
            self.flush(sink, false).context("write output")
        })
    }
}

/// `netlab url`.
pub fn command(args: UrlArgs) -> anyhow::Result<()> {
    if let Some(url) = &args.compare {
        let mut stdout = io::stdout().lock();
        stdout
            .write_all(super::compare::compare(url).as_bytes())
            .context("write output")?;
        return stdout.flush().context("write output");
    }
    let mut tool = UrlTool::from_args(&args)?;
    let mut stdout = io::stdout().lock();
    let result = (|| -> anyhow::Result<()> {
        for url in args.url_opts.iter().chain(&args.urls) {
            tool.input(url, Origin::Argument)?;
            tool.flush(&mut stdout, false).context("write output")?;
        }
        for file in &args.url_file {
            if file.as_os_str() == "-" {
                tool.stream(io::stdin().lock(), "", &mut stdout)?;
            } else {
                let name = file.display().to_string();
                let reader = std::fs::File::open(file)
                    .map_err(|err| Code::Usage.wrap(err))
                    .with_context(|| format!("--url-file {name}"))?;
                tool.stream(reader, &format!("{name} "), &mut stdout)?;
            }
        }
        if args.urls.is_empty() && args.url_opts.is_empty() && args.url_file.is_empty() {
            super::say_reading_stdin("url");
            tool.stream(io::stdin().lock(), "", &mut stdout)?;
        }
        Ok(())
    })();
    if result.is_ok() {
        tool.finish();
    }
    // What was done before a failure is still printed.
    let flushed = tool.flush(&mut stdout, true).context("write output");
    result.and(flushed)?;
    stdout.flush().context("write output")
}
