//! `POST` to a folder, as the listing page's forms send it: the upload form
//! (`multipart/form-data`, one or more files, `--upload`) and the new-folder form
//! (`POST /dir/?mkdir` with a urlencoded `name=`, `--mkdir`).
//!
//! An upload form is held to PUT's rules, through the same `files` calls: every file name passes
//! `files::check_name` (and so does its percent-decoded form, so `%2e%2e` is no way round it),
//! a taken name is 409 without `--overwrite`, a full disk 507. A `%22` in a file name is a `"`
//! (the HTML standard's escape, which curl follows too). Each file streams into its own
//! temporary file; only once the closing delimiter has been read are they renamed into place,
//! in order, so a malformed, cut or refused body leaves nothing behind. `--max-upload` bounds
//! the whole request body (checked against Content-Length before a byte is read, and while it
//! streams). A browser is sent back to the listing (303); a client that asks for JSON gets
//! `201` and what was written.

use std::io::{self, Write};

use percent_encoding::percent_decode;
use serde::Serialize;

use super::Ctx;
use super::upload::{Change, Changed, continue_if_asked, path_of};
use crate::net::Transport;
use crate::web::body::{BodyReader, Cut};
use crate::web::files::{self, Existing, Root, TempFile};
use crate::web::multipart::{self, Event, Parser};
use crate::web::request::{Body, Reject};
use crate::web::response::{Answer, Head};

/// The most files one form may carry (each holds a descriptor until the form is read whole).
pub const MAX_FILES: usize = 256;

/// The most a new-folder form's body may take.
const MAX_FORM: u64 = 4096;

/// The most one read of a form's body takes from the socket.
const FORM_READ: usize = 128 * 1024;

/// One file of an upload form, written to its temporary file.
struct Upload<'d> {
    name: Vec<u8>,
    temp: TempFile<'d>,
    size: u64,
}

#[derive(Serialize)]
struct Written {
    name: String,
    size: u64,
}

#[derive(Serialize)]
struct Summary<'a> {
    files: &'a [Written],
}

impl<'s> Ctx<'_, 's> {
    /// A form posted to a folder: `?mkdir` makes a folder, anything else is an upload form.
    pub(super) fn post<S: Transport>(
        &mut self,
        change: &Change,
        root: &Root,
        body: &mut BodyReader<'_, '_, S>,
    ) -> io::Result<Changed<'s>> {
        let done = match self.folder_target(&change.target) {
            Err(reject) => Ok(Err(reject)),
            Ok(true) => self.make_folder(change, root, body),
            Ok(false) => self.upload_form(change, root, body),
        };
        Ok(match done? {
            Ok(written) => {
                self.framing.keep = change.keep_after_body;
                let answer = if change.wants_json {
                    self.summary(&written)
                } else {
                    self.short(303, &[("Location", path_of(&change.target))])
                };
                Changed {
                    answer,
                    body_read: true,
                }
            }
            Err(reject) => {
                crate::info!(
                    "{}: POST to {} refused: {}",
                    self.peer,
                    change.target,
                    reject.why
                );
                Changed {
                    answer: self.reject(reject),
                    body_read: false,
                }
            }
        })
    }

    /// Decode a POST's target (a folder: it ends with `/`) into `Scratch::path`; whether it
    /// asks for a new folder (`?mkdir`).
    fn folder_target(&mut self, target: &str) -> Result<bool, Reject> {
        let path = &mut self.bufs.path;
        let (slash, query) = files::parse_target_into(target, self.site.hidden, path)?;
        if !slash && !path.is_empty() {
            return Err(Reject::new(405, "a form goes to a folder"));
        }
        Ok(query.is_some_and(|q| q.split('&').any(|pair| pair == "mkdir")))
    }

    /// The upload form: every file to a temporary file, then all put in place.
    fn upload_form<S: Transport>(
        &mut self,
        change: &Change,
        root: &Root,
        body: &mut BodyReader<'_, '_, S>,
    ) -> io::Result<Result<Vec<Written>, Reject>> {
        let writes = self.site.writes;
        if !writes.upload {
            return Ok(Err(Reject::new(405, "uploads are off")));
        }
        let Some(boundary) = multipart::boundary(&change.content_type) else {
            return Ok(Err(Reject::new(
                400,
                "not multipart/form-data with a boundary",
            )));
        };
        let limit = writes.max_upload.unwrap_or(u64::MAX);
        match change.body {
            Body::None => return Ok(Err(Reject::new(400, "no body"))),
            Body::Length(n) if n > limit => {
                return Ok(Err(Reject::new(413, "upload over --max-upload")));
            }
            _ => {}
        }
        let dir = match root.folder(&self.bufs.path, false) {
            Ok(dir) => dir,
            Err(reject) => return Ok(Err(reject)),
        };
        continue_if_asked(change, body)?;
        let (hidden, overwrite) = (self.site.hidden, writes.overwrite);
        let mut parser = Parser::new(&boundary);
        let mut uploads: Vec<Upload<'_>> = Vec::new();
        // Whether data now goes to the last upload (a part with an empty file name, as a
        // browser sends for a file input left empty, goes nowhere).
        let mut receiving = false;
        let mut refused = None;
        let buf = &mut self.bufs.scratch;
        buf.resize(FORM_READ, 0);
        let mut on_event = |event: Event<'_>| match event {
            Event::Part(head) => {
                let name = head
                    .filename
                    .ok_or(Reject::new(400, "a part without a file name"))?;
                receiving = !name.is_empty();
                if receiving {
                    uploads.push(start_upload(&dir, name, &uploads, hidden, overwrite)?);
                }
                Ok(())
            }
            Event::Data(bytes) => match uploads.last_mut() {
                Some(upload) if receiving => {
                    upload.size += bytes.len() as u64;
                    (&upload.temp.file)
                        .write_all(bytes)
                        .map_err(|err| files::io_reject(&err))
                }
                _ => Ok(()),
            },
            Event::End => {
                receiving = false;
                Ok(())
            }
        };
        let streamed = body.stream(change.body, limit, buf, &mut |bytes| {
            parser.feed(bytes, &mut on_event).map_err(|reject| {
                refused = Some(reject);
                io::Error::other(reject.why)
            })
        });
        let read = match streamed {
            Ok(_) => parser.finish(),
            Err(Cut::Client(reject)) => Err(reject),
            Err(Cut::Sink(err)) => Err(refused.unwrap_or_else(|| files::io_reject(&err))),
        };
        if let Err(reject) = read {
            // The temporary files go before the failure is told; what is left of the body is
            // not read.
            drop(uploads);
            self.framing.keep = false;
            return Ok(Err(reject));
        }
        if uploads.is_empty() {
            return Ok(Err(Reject::new(400, "no file in the form")));
        }
        let mut written = Vec::with_capacity(uploads.len());
        for upload in uploads {
            if let Err(reject) = upload.temp.publish(&upload.name, overwrite) {
                // The body was read whole: the connection may go on.
                self.framing.keep = change.keep_after_body;
                return Ok(Err(reject));
            }
            written.push(Written {
                name: String::from_utf8_lossy(&upload.name).into_owned(),
                size: upload.size,
            });
        }
        Ok(Ok(written))
    }

    /// The new-folder form: `name=` in a urlencoded body.
    fn make_folder<S: Transport>(
        &mut self,
        change: &Change,
        root: &Root,
        body: &mut BodyReader<'_, '_, S>,
    ) -> io::Result<Result<Vec<Written>, Reject>> {
        if !self.site.writes.mkdir {
            return Ok(Err(Reject::new(405, "--mkdir is off")));
        }
        let form = &mut self.bufs.scratch;
        form.clear();
        let expect_continue = change.expect_continue && change.minor == 1;
        if let Err(reject) = body.read(change.body, MAX_FORM, expect_continue, form)? {
            self.framing.keep = false;
            return Ok(Err(reject));
        }
        let Some((_, name)) = url::form_urlencoded::parse(form).find(|(key, _)| key == "name")
        else {
            return Ok(Err(Reject::new(400, "no name in the form")));
        };
        let made = files::check_name(name.as_bytes(), self.site.hidden)
            .and_then(|()| root.folder(&self.bufs.path, false))
            .and_then(|dir| files::make_folder(&dir, name.as_bytes()));
        Ok(made.map(|()| {
            vec![Written {
                name: name.into_owned(),
                size: 0,
            }]
        }))
    }

    /// `201 Created` with what was written, as JSON.
    fn summary(&mut self, written: &[Written]) -> Answer<'s> {
        let body = &mut self.bufs.body;
        body.clear();
        // Serialising strings and numbers into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *body, &Summary { files: written });
        body.push(b'\n');
        let len = body.len();
        let mut head = Head::new(&mut self.bufs.out, 201, &self.site.common);
        head.content_type("application/json", Some("utf-8"))
            .number("Content-Length", len as u64)
            .connection(self.framing.keep, self.framing.minor)
            .finish();
        self.answer(201, self.buffered(len))
    }
}

/// Check a form's file name and open its temporary file: the name must pass
/// `files::check_name` as sent and percent-decoded, appear once in the form, and be free (or
/// `overwrite`).
fn start_upload<'d>(
    dir: &'d std::os::fd::OwnedFd,
    name: Vec<u8>,
    earlier: &[Upload<'_>],
    hidden: bool,
    overwrite: bool,
) -> Result<Upload<'d>, Reject> {
    let name = html_unescape(name);
    files::check_name(&name, hidden)?;
    let decoded: Vec<u8> = percent_decode(&name).collect();
    files::check_name(&decoded, hidden)?;
    if earlier.len() >= MAX_FILES {
        return Err(Reject::new(413, "too many files in one form"));
    }
    if earlier.iter().any(|upload| upload.name == name) {
        return Err(Reject::new(400, "one name twice in a form"));
    }
    match files::existing(dir, &name)? {
        Existing::Nothing => {}
        Existing::Folder => return Err(Reject::new(409, "a folder has that name")),
        Existing::Other if overwrite => {}
        Existing::Other => return Err(Reject::new(409, "file exists")),
    }
    Ok(Upload {
        temp: TempFile::create(dir)?,
        name,
        size: 0,
    })
}

/// A file name as the HTML standard has browsers (and curl) send it: `"`, CR and LF become
/// `%22`, `%0D`, `%0A`. `%22` is turned back (a CR or LF is refused by the name check anyway).
fn html_unescape(name: Vec<u8>) -> Vec<u8> {
    if memchr::memmem::find(&name, b"%22").is_none() {
        return name;
    }
    let mut out = Vec::with_capacity(name.len());
    let mut rest = &name[..];
    while let Some(i) = memchr::memmem::find(rest, b"%22") {
        out.extend_from_slice(&rest[..i]);
        out.push(b'"');
        rest = &rest[i + 3..];
    }
    out.extend_from_slice(rest);
    out
}
