//! A file beneath the root: the target decoded, the cache tried, the file (or a precompressed
//! sibling, or a directory's index) opened, or its text compressed on the fly (`web::compress`,
//! kept in `files::Encoded`), then validators, conditionals and `Range` decide the status; a
//! small file is read whole into the body buffer (and cached), a large one is left open for
//! sendfile. A text file is said to be UTF-8 only when it is (`files::is_utf8`). A
//! directory without its slash gets a 301, one without an index a listing.

use std::fs::File;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileExt;
use std::sync::Arc;

use percent_encoding::{AsciiSet, CONTROLS, percent_encode};

use super::{Ctx, Format, Route, format_of, listing};
use crate::web::compress::{self, Coding, Ranked};
use crate::web::files::{self, Cached, Condition, Found, Kind, Root, SMALL_FILE, Validators};
use crate::web::range::{Ranged, parse_range};
use crate::web::request::Request;
use crate::web::response::{Answer, Head, Payload, push_decimal, takes_charset};

/// Bytes escaped in a `Location` query: controls, spaces, non-ASCII.
const QUERY: &AsciiSet = &CONTROLS.add(b' ').add(b'"').add(b'<').add(b'>').add(b'`');
/// Bytes escaped in a `Location` path segment.
const SEGMENT: &AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'!')
    .remove(b'$')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b'+')
    .remove(b',')
    .remove(b';')
    .remove(b'=')
    .remove(b':')
    .remove(b'@');

/// Where a file's bytes come from.
enum Source {
    File(File, std::fs::Metadata),
    Memory(Arc<Cached>),
}

/// One representation of a file, ready to answer with.
struct Variant {
    source: Source,
    len: u64,
    /// Unix seconds.
    modified: u64,
    mime: &'static str,
    /// Whether the text is UTF-8, when known before the bytes are read (a cached file, or the
    /// original of a precompressed sibling).
    utf8: Option<bool>,
    encoding: Option<&'static str>,
}

impl<'s> Ctx<'_, 's> {
    /// The answer for a GET or HEAD in directory mode. Fails only when a small file cannot be
    /// read after it was opened.
    pub(super) fn file(&mut self, req: &Request<'_, '_>, root: &'s Root) -> io::Result<Route<'s>> {
        let target = files::parse_target_into(req.target, self.site.hidden, &mut self.bufs.path);
        let (slash, query) = match target {
            Ok(parsed) => parsed,
            Err(reject) => return Ok(Route::Answer(self.reject(reject))),
        };
        // A client that takes a coding may get a compressed form: not from the small-file cache.
        // A Range request gets the file as it is (ranges of one form only, and resumable).
        let ranked = match (req.range, req.accept_encoding) {
            (None, Some(accepted)) => Ranked::of(accepted),
            _ => Ranked::default(),
        };
        if !slash
            && ranked.is_empty()
            && let Some(entry) = root.cached(&self.bufs.path)
        {
            return self.send_cached(req, root, entry).map(Route::Answer);
        }
        match root.open(&self.bufs.path) {
            Ok(Found::File(file, meta)) => self
                .send_file(req, root, ranked, file, meta)
                .map(Route::Answer),
            Ok(Found::Dir(..)) if !slash && !self.bufs.path.is_empty() => {
                Ok(Route::Answer(self.redirect_to_dir(query)))
            }
            Ok(Found::Dir(..)) => {
                if self.site.archives
                    && let Some(format) = crate::web::archive::Format::from_query(query)
                {
                    return Ok(Route::Answer(self.archive(root, format)));
                }
                let path = &mut self.bufs.path;
                let base = path.len();
                if base > 0 {
                    path.push(b'/');
                }
                path.extend_from_slice(self.site.index.as_bytes());
                if let Ok(Found::File(file, meta)) = root.open(path) {
                    return self
                        .send_file(req, root, ranked, file, meta)
                        .map(Route::Answer);
                }
                self.bufs.path.truncate(base);
                if !self.site.listing {
                    return Ok(Route::Answer(self.short(403, &[])));
                }
                let json = format_of(req) == Format::Json
                    || query.is_some_and(|q| q.split('&').any(|p| p == "format=json"));
                let format = if json { Format::Json } else { Format::Text };
                let sort = listing::Sort::from_query(query);
                Ok(Route::Listing { root, format, sort })
            }
            Err(reject)
                if reject.status == 404
                    && self.site.spa
                    && crate::web::knobs::spa_fallback(&self.bufs.path) =>
            {
                self.bufs.path.clear();
                self.bufs.path.extend_from_slice(self.site.index.as_bytes());
                match root.open(&self.bufs.path) {
                    Ok(Found::File(file, meta)) => self
                        .send_file(req, root, ranked, file, meta)
                        .map(Route::Answer),
                    _ => Ok(Route::Answer(self.reject(reject))),
                }
            }
            Err(reject) => Ok(Route::Answer(self.reject(reject))),
        }
    }

    /// `/dir` → 301 `/dir/`: the path rebuilt from its decoded segments (so never `//…`),
    /// the query kept.
    fn redirect_to_dir(&mut self, query: Option<&str>) -> Answer<'s> {
        let location = &mut self.bufs.scratch;
        location.clear();
        for segment in self.bufs.path.split(|&b| b == b'/') {
            location.push(b'/');
            for piece in percent_encode(segment, SEGMENT) {
                location.extend_from_slice(piece.as_bytes());
            }
        }
        location.push(b'/');
        if let Some(query) = query {
            location.push(b'?');
            for piece in percent_encode(query.as_bytes(), QUERY) {
                location.extend_from_slice(piece.as_bytes());
            }
        }
        let location = std::mem::take(&mut self.bufs.scratch);
        let answer = self.short(
            301,
            &[("Location", std::str::from_utf8(&location).unwrap_or("/"))],
        );
        self.bufs.scratch = location;
        answer
    }

    /// A regular file just opened: a precompressed sibling in the best coding the client takes
    /// that has one, else a text file compressed on the fly, else the file as it is.
    fn send_file(
        &mut self,
        req: &Request<'_, '_>,
        root: &Root,
        ranked: Ranked,
        mut file: File,
        mut meta: std::fs::Metadata,
    ) -> io::Result<Answer<'s>> {
        let path = &mut self.bufs.path;
        let mime = mime_guess::from_path(std::ffi::OsStr::from_bytes(path))
            .first_raw()
            .unwrap_or("application/octet-stream");
        let mut encoding: Option<Coding> = None;
        let mut utf8 = None;
        let base = path.len();
        for coding in ranked.iter() {
            path.extend_from_slice(coding.extension().as_bytes());
            let sibling = root.open(path);
            path.truncate(base);
            if let Ok(Found::File(f, m)) = sibling {
                // The charset is the original's: the sibling's bytes are compressed.
                if takes_charset(mime) && self.site.charset.is_none() {
                    utf8 = Some(utf8_of(root, &file, &meta, &mut self.bufs.body)?);
                }
                (file, meta, encoding) = (f, m, Some(coding));
                break;
            }
        }
        if encoding.is_none()
            && self.site.compress
            && let Some(coding) = ranked.first()
            && compress::worth(mime, meta.len())
        {
            return self.send_compressed(req, root, coding, &file, &meta, mime);
        }
        self.bufs.etag.clear();
        let suffix = encoding.map_or("", Coding::etag_suffix);
        files::etag(&meta, suffix, &mut self.bufs.etag);
        let variant = Variant {
            len: meta.len(),
            modified: files::mtime(&meta).0,
            source: Source::File(file, meta),
            mime,
            utf8,
            encoding: encoding.map(Coding::name),
        };
        self.send_variant(req, root, variant)
    }

    /// A text file (`compress::worth`) compressed on the fly in `coding`: from the cache of
    /// compressed forms, or compressed now and kept once the file has settled.
    fn send_compressed(
        &mut self,
        req: &Request<'_, '_>,
        root: &Root,
        coding: Coding,
        file: &File,
        meta: &std::fs::Metadata,
        mime: &'static str,
    ) -> io::Result<Answer<'s>> {
        let entry = match root.encoded().get(&self.bufs.path, coding, meta) {
            Some(entry) => entry,
            None => {
                // A buffer of its own (at most `compress::MAX_LEN`, once per change of the
                // file): a connection's scratch buffers stay small.
                let mut text = vec![0; meta.len() as usize];
                file.read_exact_at(&mut text, 0)?;
                let utf8 = takes_charset(mime) && files::is_utf8(&text);
                let mut etag = Vec::new();
                files::etag(meta, coding.etag_suffix(), &mut etag);
                let body = coding.encode(&text)?.into_boxed_slice();
                let entry = Arc::new(Cached::new(meta, body, &etag, Kind { mime, utf8 }));
                root.encoded()
                    .remember(&self.bufs.path, coding, meta, &entry);
                entry
            }
        };
        self.bufs.etag.clear();
        self.bufs.etag.extend_from_slice(&entry.etag);
        let variant = Variant {
            len: entry.body.len() as u64,
            modified: entry.modified,
            mime,
            utf8: Some(entry.utf8),
            encoding: Some(coding.name()),
            source: Source::Memory(entry),
        };
        self.send_variant(req, root, variant)
    }

    /// A small file from the cache (checked fresh by the caller).
    fn send_cached(
        &mut self,
        req: &Request<'_, '_>,
        root: &Root,
        entry: Arc<Cached>,
    ) -> io::Result<Answer<'s>> {
        self.bufs.etag.clear();
        self.bufs.etag.extend_from_slice(&entry.etag);
        let variant = Variant {
            len: entry.body.len() as u64,
            modified: entry.modified,
            mime: entry.mime,
            utf8: Some(entry.utf8),
            encoding: None,
            source: Source::Memory(entry),
        };
        self.send_variant(req, root, variant)
    }

    /// Validators, conditionals, Range, the charset, the head, then where the bytes come from
    /// (ETag in `Scratch::etag`).
    fn send_variant(
        &mut self,
        req: &Request<'_, '_>,
        root: &Root,
        v: Variant,
    ) -> io::Result<Answer<'s>> {
        let validators = Validators {
            etag: &self.bufs.etag,
            modified: v.modified,
        };
        let condition = validators.check(
            req.if_match,
            req.if_unmodified_since,
            req.if_none_match,
            req.if_modified_since,
        );
        let len = v.len;
        let ranged = match (condition, req.range) {
            (Condition::Proceed, Some(range))
                if req
                    .if_range
                    .is_none_or(|value| validators.if_range_holds(value)) =>
            {
                parse_range(range, len)
            }
            _ => Ranged::Full,
        };
        let (status, start, count) = match (condition, ranged) {
            (Condition::Failed, _) => return Ok(self.short(412, &[])),
            (Condition::NotModified, _) => (304, 0, 0),
            (_, Ranged::Full) => (200, 0, len),
            (_, Ranged::Partial { start, end }) => (206, start, end - start + 1),
            (_, Ranged::Unsatisfiable) => {
                let mut range = b"bytes */".to_vec();
                push_decimal(&mut range, len);
                let range = String::from_utf8(range).unwrap_or_default();
                return Ok(self.short(
                    416,
                    &[("Content-Range", &range), ("Accept-Ranges", "bytes")],
                ));
            }
        };
        let bufs = &mut *self.bufs;
        let site = self.site;
        // A small file is read whole before its head is built: the head says whether it is
        // UTF-8, and the cache keeps all of it (a range is moved to the front below).
        let whole = match &v.source {
            Source::File(file, _) if status != 304 && len <= SMALL_FILE as u64 => {
                let n = len as usize;
                if bufs.body.len() < n {
                    bufs.body.resize(n, 0);
                }
                file.read_exact_at(&mut bufs.body[..n], 0)?;
                true
            }
            _ => false,
        };
        let utf8 = match (&v.source, v.utf8) {
            _ if status == 304 || !takes_charset(v.mime) || site.charset.is_some() => false,
            (_, Some(known)) => known,
            (Source::Memory(entry), None) => entry.utf8,
            (Source::File(..), None) if whole => files::is_utf8(&bufs.body[..len as usize]),
            (Source::File(file, meta), None) => root.cache().utf8_of_large(file, meta)?,
        };
        if whole
            && v.encoding.is_none()
            && let Source::File(_, meta) = &v.source
        {
            let kind = Kind { mime: v.mime, utf8 };
            root.cache().remember(
                &bufs.path,
                meta,
                &bufs.body[..len as usize],
                &bufs.etag,
                kind,
            );
        }
        let mut head = Head::new(&mut bufs.out, status, &site.common);
        if status != 304 {
            head.content_type(v.mime, site.charset(utf8))
                .number("Content-Length", count);
        }
        match &v.source {
            Source::Memory(entry) => head.header("Last-Modified", &entry.last_modified),
            Source::File(..) => head.with("Last-Modified", |out| files::http_date(v.modified, out)),
        };
        head.header("ETag", &bufs.etag);
        if status != 304 {
            head.header("Accept-Ranges", "bytes");
        }
        if status == 206 {
            head.with("Content-Range", |out| {
                out.extend_from_slice(b"bytes ");
                push_decimal(out, start);
                out.push(b'-');
                push_decimal(out, start + count - 1);
                out.push(b'/');
                push_decimal(out, len);
            });
        }
        if let Some(coding) = v.encoding {
            head.header("Content-Encoding", coding);
        }
        // Whenever another request could have had another form.
        if v.encoding.is_some() || (site.compress && compress::worth(v.mime, v.len)) {
            head.header("Vary", "Accept-Encoding");
        }
        head.connection(self.framing.keep, req.minor).finish();
        if status == 304 || self.framing.head_only || count == 0 {
            return Ok(self.answer(status, Payload::Empty));
        }
        let (start, n) = (start as usize, count as usize);
        let payload = match v.source {
            Source::Memory(entry) => Payload::Cached {
                entry,
                start,
                len: n,
            },
            Source::File(..) if whole => {
                bufs.body.copy_within(start..start + n, 0);
                Payload::Buffered(n)
            }
            // A small range of a large file: read, so it can go out from an event loop.
            Source::File(file, _) if n <= SMALL_FILE => {
                if bufs.body.len() < n {
                    bufs.body.resize(n, 0);
                }
                file.read_exact_at(&mut bufs.body[..n], start as u64)?;
                Payload::Buffered(n)
            }
            Source::File(file, _) => Payload::File {
                file,
                start: start as u64,
                len: count,
            },
        };
        Ok(self.answer(status, payload))
    }
}

/// Whether a file is UTF-8 text, all of it: read now when small, once per identity when large
/// (see `Cache::utf8_of_large`); `buf` is scratch.
fn utf8_of(
    root: &Root,
    file: &File,
    meta: &std::fs::Metadata,
    buf: &mut Vec<u8>,
) -> io::Result<bool> {
    if meta.len() > SMALL_FILE as u64 {
        return root.cache().utf8_of_large(file, meta);
    }
    let n = meta.len() as usize;
    buf.resize(n, 0);
    file.read_exact_at(buf, 0)?;
    Ok(files::is_utf8(buf))
}
