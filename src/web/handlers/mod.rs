//! From a checked request to an [`Answer`]: routing by method and mode here, then one room per
//! feature — `file.rs` (a file beneath the root: cache, precompressed siblings, compression,
//! conditionals, `Range`, the redirect to a directory's slash), `listing.rs`, `archive.rs`
//! (`--archives`: the head of a folder's archive; `web::archive` writes it), `page.rs`
//! (`--page`) and `echo.rs` (`--echo`). A handler builds the head into the connection's buffers and says what
//! body follows; it writes nothing and never learns where it runs (the connection decides
//! whether an answer may go out from an event loop).

mod archive;
pub mod echo;
mod file;
mod form;
pub(crate) mod listing;
mod listing_nav;
mod listing_tools;
mod page;
mod upload;

use std::io;

use super::auth::{AuthFor, CHALLENGE, Verdict};
use super::body;
use super::files::Root;
use super::request::{Method, Reject, Request};
use super::response::{Answer, Head, Payload, Scratch, push_decimal, reason};
use super::{Mode, Site};
pub(crate) use upload::Change;

/// How a listing or an echo is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Text,
    Json,
}

/// How an answer is framed, as the request and the connection decided before a handler ran.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Framing {
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    pub(crate) minor: u8,
    /// HEAD: the head alone goes out.
    pub(crate) head_only: bool,
    /// The connection may stay open after the answer (an error in the framing still closes).
    pub(crate) keep: bool,
}

impl Framing {
    /// For a head that could not be read (malformed, or too slow): HTTP/1.1, and the
    /// connection ends.
    pub(crate) const UNPARSED: Framing = Framing {
        minor: 1,
        head_only: false,
        keep: false,
    };

    /// For `req` to `site`; `stopping`: the server is shutting down.
    pub(crate) fn of(req: &Request<'_, '_>, site: &Site, stopping: bool) -> Framing {
        // An echo reads its body; other answers skip it, if it is small enough.
        let keep = req.keep_alive
            && site.keep_alive
            && !stopping
            && (matches!(site.mode, Mode::Echo) || body::skippable(req.body, req.expect_continue));
        Framing {
            minor: req.minor,
            head_only: req.method == Method::Head,
            keep,
        }
    }
}

/// What the dispatcher made of a request.
#[derive(Debug)]
pub(crate) enum Route<'s> {
    /// The answer, its head built.
    Answer(Answer<'s>),
    /// A directory listing (the directory's path in [`Scratch::path`]): reading a directory can
    /// take a while, so it is read only where that may happen ([`Ctx::listing`]).
    Listing {
        root: &'s Root,
        format: Format,
        sort: listing::Sort,
    },
}

/// What a handler works with: the site, who asked (for the log and the echo), the connection's
/// buffers and the framing.
pub(crate) struct Ctx<'c, 's> {
    pub(crate) site: &'s Site,
    pub(crate) peer: &'c str,
    pub(crate) bufs: &'c mut Scratch,
    pub(crate) framing: Framing,
}

impl<'s> Ctx<'_, 's> {
    /// The answer to `req`, whose bytes are `head` (its body, if any, is not read here). Fails
    /// only when a small file cannot be read after it was opened.
    pub(crate) fn route(&mut self, req: &Request<'_, '_>, head: &[u8]) -> io::Result<Route<'s>> {
        let site = self.site;
        if let Some(auth) = &site.auth
            && auth.scope == AuthFor::All
            && !(req.method == Method::Options && site.cors)
        {
            let verdict = auth.check(req.authorization, self.peer);
            if verdict != Verdict::Allowed {
                return Ok(Route::Answer(self.denied(verdict)));
            }
        }
        let answer = match (&site.mode, req.method) {
            // Every method is mirrored; the body (none) is in `scratch`.
            (Mode::Echo, _) => {
                self.bufs.scratch.clear();
                self.echo(head, format_of(req))
            }
            (Mode::Dir(root), Method::Get | Method::Head) => return self.file(req, root),
            (Mode::Page(page), Method::Get | Method::Head) => self.page(req, page),
            (_, Method::Options) if site.cors => self.preflight(req),
            (_, Method::Options | Method::Other | Method::Put | Method::Post | Method::Delete) => {
                self.short(405, &[("Allow", &allowed(site))])
            }
            (_, Method::Unknown) => self.short(501, &[]),
        };
        Ok(Route::Answer(answer))
    }

    /// A short text answer (errors, 405, 501 …): `404 Not Found\n`, with `extra` headers.
    pub(crate) fn short(&mut self, status: u16, extra: &[(&str, &str)]) -> Answer<'s> {
        // Errors in the request's framing or limits always close.
        let keep =
            self.framing.keep && !matches!(status, 400 | 408 | 413 | 414 | 417 | 431 | 500 | 505);
        if status == 404
            && let Some(page) = &self.site.not_found
        {
            let mut head = Head::new(&mut self.bufs.out, status, &self.site.common);
            head.content_type(page.mime, self.site.charset(page.utf8))
                .number("Content-Length", page.body.len() as u64)
                .connection(keep, self.framing.minor)
                .finish();
            let payload = if self.framing.head_only {
                Payload::Empty
            } else {
                Payload::Borrowed(&page.body)
            };
            return Answer {
                status,
                payload,
                close: !keep,
                linger: false,
            };
        }
        let body = &mut self.bufs.body;
        body.clear();
        push_decimal(body, u64::from(status));
        body.push(b' ');
        body.extend_from_slice(reason(status).as_bytes());
        body.push(b'\n');
        let len = body.len();
        let mut head = Head::new(&mut self.bufs.out, status, &self.site.common);
        head.header("Content-Type", "text/plain; charset=utf-8")
            .number("Content-Length", len as u64);
        for (name, value) in extra {
            head.header(name, value);
        }
        head.connection(keep, self.framing.minor).finish();
        Answer {
            status,
            payload: self.buffered(len),
            close: !keep,
            linger: !keep,
        }
    }

    /// No entry without the right password: 401 with the challenge, or 429 after too many
    /// failures.
    pub(crate) fn denied(&mut self, verdict: Verdict) -> Answer<'s> {
        match verdict {
            Verdict::TooMany => self.short(429, &[("Retry-After", "60")]),
            _ => self.short(401, &[("WWW-Authenticate", CHALLENGE)]),
        }
    }

    /// A refusal found while answering (a bad target, a file that may not be read).
    fn reject(&mut self, reject: Reject) -> Answer<'s> {
        crate::debug!("{} {}: {}", self.peer, reject.status, reject.why);
        if reject.status == 405 {
            return self.short(405, &[("Allow", &allowed(self.site))]);
        }
        self.short(reject.status, &[])
    }

    /// A CORS preflight (`OPTIONS` with `--cors`).
    fn preflight(&mut self, req: &Request<'_, '_>) -> Answer<'s> {
        let keep = self.framing.keep;
        let mut head = Head::new(&mut self.bufs.out, 204, &self.site.common);
        head.header("Access-Control-Allow-Methods", allowed(self.site))
            .header("Access-Control-Max-Age", "86400");
        if let Some(asked) = req.cors_request_headers {
            head.header("Access-Control-Allow-Headers", asked);
        }
        head.connection(keep, req.minor).finish();
        self.answer(204, Payload::Empty)
    }

    /// `Scratch::body[..len]`, unless the request was HEAD.
    fn buffered(&self, len: usize) -> Payload<'s> {
        if self.framing.head_only {
            Payload::Empty
        } else {
            Payload::Buffered(len)
        }
    }

    /// An answer that closes the connection only if the framing says so.
    fn answer(&self, status: u16, payload: Payload<'s>) -> Answer<'s> {
        Answer {
            status,
            payload,
            close: !self.framing.keep,
            linger: false,
        }
    }
}

/// Whether `req` asks to change the served directory, and the flags allow that kind of change:
/// then the connection reads its body (if any) into [`Ctx::change`] on a thread of its own.
pub(crate) fn changes(req: &Request<'_, '_>, site: &Site) -> bool {
    matches!(site.mode, Mode::Dir(_))
        && match req.method {
            Method::Put => site.writes.upload,
            Method::Delete => site.writes.delete,
            Method::Post => site.writes.upload || site.writes.mkdir,
            _ => false,
        }
}

/// The methods the site answers, for `Allow` (and a preflight's Allow-Methods).
fn allowed(site: &Site) -> String {
    let mut allow = String::from("GET, HEAD");
    if site.cors {
        allow.push_str(", OPTIONS");
    }
    if matches!(site.mode, Mode::Dir(_)) {
        if site.writes.upload || site.writes.mkdir {
            allow.push_str(", POST");
        }
        if site.writes.upload {
            allow.push_str(", PUT");
        }
        if site.writes.delete {
            allow.push_str(", DELETE");
        }
    }
    allow
}

/// JSON when the client asks for it (`Accept: application/json`).
pub(crate) fn format_of(req: &Request<'_, '_>) -> Format {
    if req.wants_json() {
        Format::Json
    } else {
        Format::Text
    }
}
