//! Requests that change the served directory: `PUT` of a file (`--upload`), `DELETE`
//! (`--delete`). Every name is checked before anything is written (400), the folder is opened
//! beneath the root, and an upload streams into a temporary file beside its target that is
//! renamed into place only once whole and synced (`files::TempFile`): a cut connection, a
//! timeout, a full disk or a second upload of the same name never leaves a torn file under the
//! real name.

use std::io::{self, Write};

use super::Ctx;
use crate::net::Transport;
use crate::web::Site;
use crate::web::auth::Verdict;
use crate::web::body::{BodyReader, Cut};
use crate::web::files::{self, Existing, Root, TempFile};
use crate::web::request::{Body, Method, Reject, Request};
use crate::web::response::{Answer, Head, Payload};

/// The most one read of an upload's body takes from the socket.
const UPLOAD_READ: usize = 128 * 1024;

/// What a change needs from its request once the head's bytes are gone (the body is read after
/// the head is consumed).
#[derive(Debug)]
pub(crate) struct Change {
    pub(crate) method: Method,
    pub(crate) target: String,
    pub(crate) body: Body,
    pub(crate) minor: u8,
    pub(crate) expect_continue: bool,
    /// The connection may stay open once the body is read whole.
    pub(crate) keep_after_body: bool,
    /// Whether the credentials let it through (every change asks for them when `--auth` is on).
    pub(crate) verdict: Verdict,
    /// A `POST`'s Content-Type (a form's encoding and boundary).
    pub(crate) content_type: Vec<u8>,
    /// The client asked for a JSON answer rather than a redirect (a `POST`).
    pub(crate) wants_json: bool,
}

impl Change {
    pub(crate) fn of(
        req: &Request<'_, '_>,
        site: &Site,
        peer: &str,
        keep_after_body: bool,
    ) -> Change {
        let verdict = site
            .auth
            .as_ref()
            .map_or(Verdict::Allowed, |auth| auth.check(req.authorization, peer));
        Change {
            verdict,
            method: req.method,
            target: req.target.to_owned(),
            body: req.body,
            minor: req.minor,
            expect_continue: req.expect_continue,
            keep_after_body,
            content_type: req.content_type.unwrap_or_default().to_vec(),
            wants_json: req.wants_json(),
        }
    }
}

/// How a change went: the answer, and whether the request's body was read whole (the
/// connection can then take the next request).
pub(crate) struct Changed<'s> {
    pub(crate) answer: Answer<'s>,
    pub(crate) body_read: bool,
}

impl<'s> Ctx<'_, 's> {
    /// Answer a change to `root`, reading its body (if it takes one) through `body`. The outer
    /// error is a failed write of `100 Continue`.
    pub(crate) fn change<S: Transport>(
        &mut self,
        change: &Change,
        root: &Root,
        body: &mut BodyReader<'_, '_, S>,
    ) -> io::Result<Changed<'s>> {
        if change.verdict != Verdict::Allowed {
            return Ok(Changed {
                answer: self.denied(change.verdict),
                body_read: false,
            });
        }
        let done = match change.method {
            Method::Put => self.put(change, root, body)?,
            Method::Delete => self.delete(change, root).map(|()| (204, false)),
            Method::Post => return self.post(change, root, body),
            _ => Err(Reject::new(405, "not a change")),
        };
        Ok(match done {
            Ok((status, body_read)) => {
                if body_read {
                    self.framing.keep = change.keep_after_body;
                }
                let answer = if status == 204 {
                    self.no_content()
                } else {
                    self.short(status, &[("Location", path_of(&change.target))])
                };
                Changed { answer, body_read }
            }
            // Refused before a byte of the body was read: the connection decides whether the
            // body can be skipped.
            Err(reject) => Changed {
                answer: self.reject(reject),
                body_read: false,
            },
        })
    }

    /// `PUT`: check, open the folder, refuse a taken name, stream into a temporary file, put it
    /// in place. `Ok(Ok((status, body_read)))`, or the refusal; a refusal met while the body
    /// streams closes the connection (what is left of the body is not read).
    fn put<S: Transport>(
        &mut self,
        change: &Change,
        root: &Root,
        body: &mut BodyReader<'_, '_, S>,
    ) -> io::Result<Result<(u16, bool), Reject>> {
        let writes = self.site.writes;
        let (folder, name) = match self.split_target(&change.target, true) {
            Ok(split) => split,
            Err(reject) => return Ok(Err(reject)),
        };
        let limit = writes.max_upload.unwrap_or(u64::MAX);
        if let Body::Length(n) = change.body
            && n > limit
        {
            return Ok(Err(Reject::new(413, "upload over --max-upload")));
        }
        let path = &self.bufs.path;
        let dir = match root.folder(&path[..folder], writes.mkdir) {
            Ok(dir) => dir,
            Err(reject) => return Ok(Err(reject)),
        };
        let name = &path[name..];
        let replaced = match files::existing(&dir, name) {
            Ok(Existing::Nothing) => false,
            Ok(Existing::Folder) => return Ok(Err(Reject::new(409, "a folder has that name"))),
            Ok(Existing::Other) if writes.overwrite => true,
            Ok(Existing::Other) => return Ok(Err(Reject::new(409, "file exists"))),
            Err(reject) => return Ok(Err(reject)),
        };
        let temp = match TempFile::create(&dir) {
            Ok(temp) => temp,
            Err(reject) => return Ok(Err(reject)),
        };
        continue_if_asked(change, body)?;
        let buf = &mut self.bufs.scratch;
        buf.resize(UPLOAD_READ, 0);
        let mut out = &temp.file;
        let streamed = body.stream(change.body, limit, buf, &mut |bytes| out.write_all(bytes));
        if let Err(cut) = streamed {
            // Nothing but the temporary file was written; it goes before the failure is told.
            drop(temp);
            self.framing.keep = false;
            let reject = match cut {
                Cut::Client(reject) => reject,
                Cut::Sink(err) => files::io_reject(&err),
            };
            crate::info!(
                "{}: upload of {} failed: {}",
                self.peer,
                change.target,
                reject.why
            );
            return Ok(Err(reject));
        }
        if let Err(reject) = temp.publish(name, writes.overwrite) {
            // The body was read whole: the connection may go on.
            self.framing.keep = change.keep_after_body;
            return Ok(Err(reject));
        }
        Ok(Ok((if replaced { 204 } else { 201 }, true)))
    }

    /// `DELETE` of a file, a symlink (not what it points to) or an empty folder.
    fn delete(&mut self, change: &Change, root: &Root) -> Result<(), Reject> {
        let (folder, name) = self.split_target(&change.target, false)?;
        let path = &self.bufs.path;
        let dir = root.folder(&path[..folder], false)?;
        files::remove(&dir, &path[name..])
    }

    /// Decode a change's target into `Scratch::path` and split it into its folder
    /// (`path[..folder]`) and name (`path[name..]`). `create`: the names will be created, so
    /// each must pass `files::check_name` (400); otherwise a dotfile is 404 as for a read.
    pub(super) fn split_target(
        &mut self,
        target: &str,
        create: bool,
    ) -> Result<(usize, usize), Reject> {
        let hidden = self.site.hidden;
        let path = &mut self.bufs.path;
        let (slash, _) = files::parse_target_into(target, hidden || create, path)?;
        if path.is_empty() {
            return Err(Reject::new(403, "the root itself"));
        }
        if slash {
            return Err(Reject::new(400, "a folder, not a file name"));
        }
        if create {
            for segment in path.split(|&b| b == b'/') {
                files::check_name(segment, hidden)?;
            }
        }
        Ok(match memchr::memrchr(b'/', path) {
            Some(i) => (i, i + 1),
            None => (0, 0),
        })
    }

    /// `204 No Content`: no body, no Content-Length.
    fn no_content(&mut self) -> Answer<'s> {
        let keep = self.framing.keep;
        let mut head = Head::new(&mut self.bufs.out, 204, &self.site.common);
        head.connection(keep, self.framing.minor).finish();
        self.answer(204, Payload::Empty)
    }
}

/// Write `100 Continue` when the client waits for it before sending the body.
pub(super) fn continue_if_asked<S: Transport>(
    change: &Change,
    body: &mut BodyReader<'_, '_, S>,
) -> io::Result<()> {
    if change.body != Body::None && change.expect_continue && change.minor == 1 {
        body.wire.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
    }
    Ok(())
}

/// The path of a target, without its query.
pub(super) fn path_of(target: &str) -> &str {
    target.split(['?', '#']).next().unwrap_or(target)
}
