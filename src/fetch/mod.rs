//! `netlab fetch`: the notes' `urllib.urlopen(url).read()` as an HTTP client on ureq.
//!
//! `request` checks the flags into a `request::Plan` before any socket opens (exit 2, or 3 for
//! a bad URL) and builds each hop's request; `client` makes one exchange per hop (timeouts,
//! proxy, TLS from `tls`); `redirect` decides where the next hop goes and stops loops;
//! `output` owns stdout and files (`.part`, `-O` names, `-C`); `decode` turns the body the
//! server sent into what is written (gzip/br, `--utf8`), streaming through one buffer;
//! `errors` gives every failure curl's exit code; `many` runs several URLs (in turn or at once)
//! and sums them up; `naming` makes `-O`/`-J` names safe.

mod auth;
mod client;
mod decode;
mod errors;
mod explained;
mod form;
mod head;
mod jar;
mod many;
mod naming;
mod output;
mod payload;
mod print_curl;
mod progress;
mod redirect;
mod request;
mod retry;
mod timing;
mod tls;
mod write_out;

use std::cell::RefCell;
use std::io::{self, Read, Write};
use std::rc::Rc;

use ureq::http::{self, Method, StatusCode, header};

use crate::cli::FetchArgs;
use crate::exit::Code;
use client::{Exchange, Session};
use decode::{Decoder, Tap, Tapped, Utf8};
use output::{Output, Resume, Sink};
use request::{Hop, Job, Plan};

/// The body buffer: one read and one write per 256 KiB on a fast link.
const BUFFER: usize = 256 * 1024;

/// Run `netlab fetch`: each URL, its redirects, its body to stdout or a file.
pub fn run(args: FetchArgs) -> anyhow::Result<()> {
    if args.print_curl {
        println!("{}", print_curl::command(&args));
        for left in print_curl::untranslated(&args) {
            crate::warn!("--print-curl: curl has no {left}; left out");
        }
        return Ok(());
    }
    let plan = Plan::from_args(args)?;
    let result = match plan.jobs.as_slice() {
        [job] => fetch(&plan, job, &Session::new(&plan)),
        _ => many::run(&plan),
    };
    if let Some(jar) = &plan.jar {
        crate::net::lock(jar).save();
    }
    result
}

/// Fetch one URL through the session (whose agents keep their connections for the next URL).
fn fetch(plan: &Plan, job: &Job, session: &Session) -> anyhow::Result<()> {
    session.begin();
    let result = Output::new(plan, job).and_then(|output| {
        let (exchange, hop, heads) = follow(plan, job, session, &output, plan.first_hop(job))?;
        match output.late_resume(exchange.response.headers(), &hop.url)? {
            Some(resumed) => {
                // -C with a name only the answer knew: ask the final URL for the rest.
                drop(exchange);
                let (exchange, hop, heads) = follow(plan, job, session, &resumed, hop)?;
                deliver(plan, exchange, &hop, heads, &resumed, &session.timeline)
            }
            None => deliver(plan, exchange, &hop, heads, &output, &session.timeline),
        }
    });
    session.timeline.done();
    report_times(plan, job, &session.timeline, &result);
    result
}

/// `-w` and `--timing`, once the transfer is over — failed or not, as curl prints `-w`.
fn report_times(plan: &Plan, job: &Job, timeline: &timing::Timeline, result: &anyhow::Result<()>) {
    if let Some(format) = &plan.write_out {
        let (code, error) = match result {
            Ok(()) => (0, None),
            Err(err) => (
                crate::exit::code_of(err).map_or(0, |code| code as i32),
                Some(crate::exit::message(err)),
            ),
        };
        let outcome = write_out::Outcome {
            url: job.url.as_str(),
            code,
            error,
        };
        let (out, err) = format.render(timeline, &outcome);
        let _ = io::stdout().lock().write_all(out.as_bytes());
        let _ = io::stdout().lock().flush();
        let _ = io::stderr().lock().write_all(err.as_bytes());
    }
    if plan.timing {
        let _ = io::stderr()
            .lock()
            .write_all(timing::table(timeline).as_bytes());
    }
}

/// Send the request from `hop` on and follow redirects; return the final response, its hop, and
/// (for `-i`) the heads of the redirects on the way.
fn follow(
    plan: &Plan,
    job: &Job,
    session: &Session,
    output: &Output,
    mut hop: Hop,
) -> anyhow::Result<(Exchange, Hop, String)> {
    let mut trail = redirect::Trail::new(&hop, plan.max_redirects);
    let mut heads = String::new();
    let mut tries = Tries {
        started: std::time::Instant::now(),
        done: 0,
    };
    loop {
        let exchange = send(plan, job, session, output, &hop, &mut tries)?;
        let response = &exchange.response;
        {
            let mut answer = session.timeline.answer();
            answer.status = Some(response.status());
            answer.version = Some(response.version());
            answer.headers = response.headers().clone();
            answer.url = hop.url.to_string();
            answer.method = hop.method.to_string();
            answer.redirects = trail.count() as u32;
        }
        if let Some(jar) = &plan.jar {
            // Cookies met on the way through redirects are kept and sent on.
            crate::net::lock(jar).store(&hop.url, response.headers());
        }
        if crate::log::verbose() {
            head::show_response(response.version(), response.status(), response.headers());
        }
        crate::explain::http::received(|| {
            head::response(response.version(), response.status(), response.headers())
        });
        let next = redirect::next(&hop, response.status(), response.headers())?;
        let Some(next) = next else {
            return Ok((exchange, hop, heads));
        };
        if !plan.follow {
            crate::debug!("* not following the redirect to {} (--no-follow)", next.url);
            return Ok((exchange, hop, heads));
        }
        trail.push(&next)?;
        if matches!(next.payload, Some(request::Payload::Stdin)) {
            anyhow::bail!(
                "{} {} asks for the request again at {}, but its body came from stdin and was \
                 sent already (give the body as a file to follow it)",
                response.status().as_u16(),
                response.status().canonical_reason().unwrap_or(""),
                next.url
            );
        }
        crate::debug!(
            "* redirect {} (at most {}): {} {}",
            trail.count(),
            plan.max_redirects,
            next.method,
            next.url
        );
        if plan.include {
            heads.push_str(&head::response(
                response.version(),
                response.status(),
                response.headers(),
            ));
        }
        hop = next;
    }
}

/// How many tries were made so far, across hops, and when the first began (`--retry`).
struct Tries {
    started: std::time::Instant,
    done: u32,
}

/// Send one hop's request, and again after a failure or status `--retry-on` lists, as long as
/// `--retry` and `--retry-max-time` allow; each retry is one stderr line saying why and when.
fn send(
    plan: &Plan,
    job: &Job,
    session: &Session,
    output: &Output,
    hop: &Hop,
    tries: &mut Tries,
) -> anyhow::Result<Exchange> {
    let policy = &plan.retry;
    let once = matches!(hop.payload, Some(request::Payload::Stdin));
    loop {
        let prepared = plan.prepare(job, hop, output.range_from())?;
        if crate::log::verbose() {
            head::show_request(&hop.method, &hop.url, &prepared.head);
        }
        crate::explain::http::sent(&hop.method, &hop.url, &prepared.head);
        tries.done += 1;
        let next = tries.done + 1;
        let (why, last) = match session.send(hop, prepared) {
            Ok(exchange) => {
                let status = exchange.response.status();
                if !policy.retries_status(status) || next > policy.tries + 1 {
                    return Ok(exchange);
                }
                if once {
                    crate::warn!(
                        "HTTP {} from {}: not retried, the request body came from stdin and was \
                         sent already",
                        status.as_u16(),
                        hop.url
                    );
                    return Ok(exchange);
                }
                let why = format!(
                    "HTTP {} {} from {}",
                    status.as_u16(),
                    status.canonical_reason().unwrap_or(""),
                    hop.url
                );
                (why, Ok(exchange))
            }
            Err((err, Some(kind))) if policy.retries_failure(kind) && next <= policy.tries + 1 => {
                if once {
                    return Err(err.context(
                        "not retried: the request body came from stdin and was sent already",
                    ));
                }
                let why = format!("{err:#} [{}]", retry::failure_reason(kind));
                (why, Err(err))
            }
            Err((err, _)) => return Err(err),
        };
        let headers = last
            .as_ref()
            .ok()
            .map(|exchange| exchange.response.headers());
        let wait = policy.wait(next, headers);
        let from_server = headers.is_some_and(|h| h.contains_key(ureq::http::header::RETRY_AFTER));
        if !policy.allows(next, tries.started, wait) {
            crate::warn!("{why}: no more tries, --retry-max-time would be passed");
            // The last answer (or failure) is what the user gets, as curl.
            return last;
        }
        drop(last);
        retry::announce(next, policy, &why, wait, from_server);
        std::thread::sleep(wait);
    }
}

/// Write the final response: check the status, open the output, stream the body, verify it.
fn deliver(
    plan: &Plan,
    exchange: Exchange,
    hop: &Hop,
    mut heads: String,
    output: &Output,
    timeline: &timing::Timeline,
) -> anyhow::Result<()> {
    let (parts, body) = exchange.response.into_parts();
    let status = parts.status;
    let resume = match output.range_from() {
        Some(from) => {
            crate::debug!("* resuming at byte {from}");
            output.resume_answer(status, &parts.headers)?
        }
        None => Resume::Fresh,
    };
    if matches!(resume, Resume::Complete) {
        return output.complete();
    }
    if plan.fail && status.as_u16() >= 400 {
        return Err(Code::HttpError.error(format!(
            "HTTP {} {} from {}",
            status.as_u16(),
            status.canonical_reason().unwrap_or(""),
            hop.url
        )));
    }
    if plan.include {
        heads.push_str(&head::response(parts.version, status, &parts.headers));
    }
    let mut sink = output.open(&parts.headers, &hop.url, &resume)?;
    if status.as_u16() >= 400 && output.is_file() {
        crate::warn!(
            "HTTP {} {}: the server's error page is what gets saved (-f fails instead)",
            status.as_u16(),
            status.canonical_reason().unwrap_or("")
        );
    }
    let transfer = Transfer {
        plan,
        hop,
        parts: &parts,
        resume: &resume,
        output,
        timeline,
    };
    match transfer.run(body, &heads, &mut sink) {
        Ok(expected_size) => sink.finish(expected_size),
        Err(err) => {
            sink.abandon();
            Err(err)
        }
    }
}

/// Streaming one response body into the output.
struct Transfer<'a> {
    plan: &'a Plan,
    hop: &'a Hop,
    parts: &'a http::response::Parts,
    resume: &'a Resume,
    output: &'a Output,
    timeline: &'a timing::Timeline,
}

impl Transfer<'_> {
    /// Write the heads and the body; return the size the output file must have, when known.
    fn run(&self, body: ureq::Body, heads: &str, sink: &mut Sink) -> anyhow::Result<Option<u64>> {
        let name = sink.name();
        sink.write_all(heads.as_bytes())
            .map_err(|err| write_error(err, &name))?;
        let status = self.parts.status;
        let has_body = self.hop.method != Method::HEAD
            && !status.is_informational()
            && status != StatusCode::NO_CONTENT
            && status != StatusCode::NOT_MODIFIED;
        if self.plan.head_only || !has_body {
            return Ok(None);
        }

        let headers = &self.parts.headers;
        let text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
        let content_type = text(header::CONTENT_TYPE);
        let content_length =
            text(header::CONTENT_LENGTH).and_then(|v| v.trim().parse::<u64>().ok());
        let encoding = text(header::CONTENT_ENCODING);
        let (from, total) = match self.resume {
            Resume::Append { from, total } => (*from, *total),
            _ => (0, content_length),
        };

        let progress = if self.plan.progress && self.output.is_file() {
            progress::bar(total, from)
        } else {
            None
        };
        let tap = Rc::new(RefCell::new(Tap {
            offset: from,
            progress,
            ..Tap::default()
        }));
        let mut reader = Decoder::new(Tapped::new(body.into_reader(), Rc::clone(&tap)), encoding);
        let identity = reader.is_identity();
        let guard_terminal = self.output.guards_terminal();

        let mut buf = vec![0u8; BUFFER];
        let mut utf8 = if self.plan.utf8 {
            Utf8::new(content_type)
        } else {
            None
        };
        let mut first = true;
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(self.read_error(err, &tap, content_length, encoding)),
            };
            let chunk = &buf[..n];
            if first {
                first = false;
                if guard_terminal && decode::looks_binary(content_type, chunk) {
                    return Err(Code::Write.error(format!(
                        "not writing a binary body ({}) to the terminal: save it with -o FILE or -O, \
                         or print it anyway with -o -",
                        content_type.unwrap_or("it has NUL bytes")
                    )));
                }
            }
            match &mut utf8 {
                Some(transcoder) => transcoder.write(sink, chunk, false),
                None => sink.write_all(chunk),
            }
            .map_err(|err| write_error(err, &name))?;
        }
        if let Some(transcoder) = &mut utf8 {
            transcoder
                .write(sink, &[], true)
                .map_err(|err| write_error(err, &name))?;
        }

        let tap = tap.borrow();
        self.timeline.answer().size_download = tap.raw;
        if let Some(bar) = &tap.progress {
            bar.finish_and_clear();
        }
        if let Some(expected) = content_length
            && tap.raw != expected
        {
            return Err(Code::PartialBody.error(format!(
                "the body from {} has {} bytes, {expected} were announced",
                self.hop.url, tap.raw
            )));
        }
        let size = match self.resume {
            Resume::Append { total, .. } => *total,
            _ if identity && utf8.is_none() => Some(tap.raw),
            _ => None,
        };
        Ok(size.map(|size| size + heads.len() as u64))
    }

    /// A read failed: the network (curl's codes) or the decoder (a damaged gzip/br body).
    fn read_error(
        &self,
        err: io::Error,
        tap: &RefCell<Tap>,
        content_length: Option<u64>,
        encoding: Option<&str>,
    ) -> anyhow::Error {
        let mut tap = tap.borrow_mut();
        self.timeline.answer().size_download = tap.raw;
        if let Some(bar) = tap.progress.take() {
            bar.abandon();
        }
        if let Some(network) = tap.error.take() {
            return errors::body(network, &self.hop.url, self.plan, tap.raw, content_length);
        }
        let encoding = encoding.unwrap_or("encoded");
        if err.kind() == io::ErrorKind::UnexpectedEof {
            return Code::PartialBody.error(format!(
                "the {encoding} body from {} ended early: {err}",
                self.hop.url
            ));
        }
        anyhow::anyhow!(
            "cannot decode the {encoding} body from {}: {err}",
            self.hop.url
        )
    }
}

/// A write failed: exit 23, except a closed pipe (`netlab fetch … | head`), which is no error.
fn write_error(err: io::Error, name: &str) -> anyhow::Error {
    if err.kind() == io::ErrorKind::BrokenPipe {
        return anyhow::Error::new(err);
    }
    Code::Write.wrap(err).context(format!("writing {name}"))
}
