//! `--archives`: a folder as one tar, tar.gz or zip, written into the response as its tree is
//! walked ([`walk`]) and packed on a thread of its own, so memory stays bounded whatever the
//! tree's size (a zip keeps a line per entry for its central directory, as every zip must).
//! The body's length is not known before it is written: HTTP/1.1 gets it chunked
//! ([`chunked`]), HTTP/1.0 until the close.
//!
//! Entries go under one folder named for the downloaded one (no archive spills its files into
//! the directory it is unpacked in). tar: GNU headers, with a long-name entry before a name
//! over 100 bytes, names as the filesystem has their bytes. zip: the streaming form
//! (`ZipWriter::new_stream`: a data descriptor after each entry, nothing written twice),
//! deflated, names in UTF-8 with the flag that says so (bytes that are not UTF-8 become
//! U+FFFD). A file that fails or shrinks while it is read ends the response there, the
//! connection closed without the last chunk, so the client sees a cut transfer, not a whole
//! but wrong archive.

mod chunked;
mod walk;

use std::cell::Cell;
use std::fs::{File, Metadata};
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::sync::mpsc;

use chunked::Pipe;
use walk::{Item, Walk};

use crate::net::Transport;
use crate::web::files::{Root, mtime};
use crate::web::transport::Wire;

/// The archive kinds, as `?download=` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Tar,
    TarGz,
    Zip,
}

impl Format {
    /// `download=tar|tar.gz|zip` among a query's pairs.
    pub(crate) fn from_query(query: Option<&str>) -> Option<Format> {
        query?.split('&').find_map(|pair| match pair {
            "download=tar" => Some(Format::Tar),
            "download=tar.gz" | "download=tgz" => Some(Format::TarGz),
            "download=zip" => Some(Format::Zip),
            _ => None,
        })
    }

    /// The file name's extension (and the query's value).
    pub(crate) fn extension(self) -> &'static str {
        match self {
            Format::Tar => "tar",
            Format::TarGz => "tar.gz",
            Format::Zip => "zip",
        }
    }

    pub(crate) fn mime(self) -> &'static str {
        match self {
            Format::Tar => "application/x-tar",
            Format::TarGz => "application/gzip",
            Format::Zip => "application/zip",
        }
    }
}

/// A folder to send as an archive once its head is out.
#[derive(Debug)]
pub(crate) struct Archive<'s> {
    pub(crate) root: &'s Root,
    /// The folder's path beneath the root (empty: the root).
    pub(crate) rel: Vec<u8>,
    /// The folder every entry goes under: the downloaded folder's name.
    pub(crate) top: String,
    pub(crate) format: Format,
    pub(crate) hidden: bool,
    /// Frame the body with chunked transfer coding (HTTP/1.1).
    pub(crate) chunked: bool,
}

/// Stack for the thread that walks and packs: deflate wants more than a connection's.
const STACK: usize = 1024 * 1024;

impl Archive<'_> {
    /// Write `head`, then the archive, packed on a thread of its own while this one sends;
    /// returns the body's length. An error means the body was cut short, so the connection
    /// must end.
    pub(crate) fn send<S: Transport>(
        &self,
        wire: &mut Wire<'_, S>,
        head: &[u8],
    ) -> io::Result<u64> {
        let (to, from) = mpsc::sync_channel(chunked::DEPTH);
        std::thread::scope(|scope| {
            let packer = std::thread::Builder::new()
                .name("web-archive".into())
                .stack_size(STACK)
                .spawn_scoped(scope, move || {
                    let dead = Cell::new(false);
                    self.pack(Pipe::new(to, &dead), &dead)
                })?;
            let sent = wire
                .write_all(head)
                .and_then(|()| chunked::relay(wire, self.chunked, from));
            let packed = packer
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("the archiver panicked")));
            let sent = sent?;
            packed?;
            chunked::end(wire, self.chunked)?;
            Ok(sent)
        })
    }

    /// Walk the folder into `pipe` as the archive.
    fn pack(&self, mut pipe: Pipe<'_>, dead: &Cell<bool>) -> io::Result<()> {
        let Some((mut walk, meta)) = Walk::new(self.root, &self.rel, &self.top, self.hidden) else {
            return Err(io::Error::other("the folder can no longer be read"));
        };
        match self.format {
            Format::Tar => {
                tar_to(&mut pipe, &mut walk, &self.top, &meta, dead)?;
            }
            Format::TarGz => {
                let gz = flate2::write::GzEncoder::new(&mut pipe, flate2::Compression::default());
                tar_to(gz, &mut walk, &self.top, &meta, dead)?.finish()?;
            }
            Format::Zip => zip_to(&mut pipe, &mut walk, &self.top, &meta, dead)?,
        }
        pipe.flush()
    }
}

/// The walk as a tar into `out`; when it fails, `dead` is set before the builder (whose `Drop`
/// would end the archive) goes.
fn tar_to<W: Write>(
    out: W,
    walk: &mut Walk<'_>,
    top: &str,
    meta: &Metadata,
    dead: &Cell<bool>,
) -> io::Result<W> {
    let mut builder = tar::Builder::new(out);
    if let Err(err) = tar_entries(&mut builder, walk, top, meta) {
        dead.set(true);
        return Err(err);
    }
    builder.into_inner()
}

fn tar_entries<W: Write>(
    builder: &mut tar::Builder<W>,
    walk: &mut Walk<'_>,
    top: &str,
    meta: &Metadata,
) -> io::Result<()> {
    let dir = |meta: &Metadata| tar_header(meta, tar::EntryType::Directory, 0);
    builder.append_data(&mut dir(meta), top, io::empty())?;
    while let Some(item) = walk.next() {
        let name = std::ffi::OsStr::from_bytes(walk.name());
        match item {
            Item::Dir(meta) => builder.append_data(&mut dir(&meta), name, io::empty())?,
            Item::File(file, meta) => {
                let mut header = tar_header(&meta, tar::EntryType::Regular, meta.len());
                builder.append_data(
                    &mut header,
                    name,
                    Exact::new(file, meta.len(), walk.name()),
                )?;
            }
        }
    }
    Ok(())
}

/// A GNU header with the entry's mode bits and time; owners are left out (0, no names).
fn tar_header(meta: &Metadata, kind: tar::EntryType, size: u64) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(kind);
    header.set_size(size);
    header.set_mode(meta.permissions().mode() & 0o7777);
    header.set_mtime(mtime(meta).0);
    header
}

/// The walk as a streamed zip into `out`; `dead` as for [`tar_to`].
fn zip_to<W: Write>(
    out: W,
    walk: &mut Walk<'_>,
    top: &str,
    meta: &Metadata,
    dead: &Cell<bool>,
) -> io::Result<()> {
    let mut zip = zip::ZipWriter::new_stream(out);
    if let Err(err) = zip_entries(&mut zip, walk, top, meta) {
        dead.set(true);
        return Err(err);
    }
    zip.finish()?;
    Ok(())
}

fn zip_entries<W: Write>(
    zip: &mut zip::ZipWriter<zip::write::StreamWriter<W>>,
    walk: &mut Walk<'_>,
    top: &str,
    meta: &Metadata,
) -> io::Result<()> {
    zip.add_directory(top, zip_options(meta))?;
    while let Some(item) = walk.next() {
        let name = String::from_utf8_lossy(walk.name()).into_owned();
        match item {
            Item::Dir(meta) => zip.add_directory(name, zip_options(&meta))?,
            Item::File(file, meta) => {
                // Zip64 sizes when the entry could pass 4 GiB (deflate can grow a little).
                let options = zip_options(&meta).large_file(meta.len() >= 0xF000_0000);
                zip.start_file(name, options)?;
                io::copy(&mut Exact::new(file, meta.len(), walk.name()), zip)?;
            }
        }
    }
    Ok(())
}

fn zip_options(meta: &Metadata) -> zip::write::SimpleFileOptions {
    let (y, mo, d, h, mi, s) = crate::net::fmt::civil(mtime(meta).0);
    // A zip's clock runs from 1980 to 2107; outside that, the 1980 default.
    let time = u16::try_from(y)
        .ok()
        .and_then(|y| {
            zip::DateTime::from_date_and_time(y, mo as u8, d as u8, h as u8, mi as u8, s as u8).ok()
        })
        .unwrap_or_default();
    zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(time)
        .unix_permissions(meta.permissions().mode() & 0o777)
}

/// A file's bytes, exactly as many as its header said: fewer (it shrank, or a read failed) is
/// an error, more (it grew) are left out.
struct Exact {
    file: io::Take<File>,
    left: u64,
    name: Vec<u8>,
}

impl Exact {
    fn new(file: File, len: u64, name: &[u8]) -> Exact {
        Exact {
            file: file.take(len),
            left: len,
            name: name.to_vec(),
        }
    }
}

impl Read for Exact {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read(buf).map_err(|err| {
            io::Error::new(
                err.kind(),
                format!(
                    "{}: {}",
                    String::from_utf8_lossy(&self.name),
                    crate::net::error_text(&err)
                ),
            )
        })?;
        if n == 0 && self.left > 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "{}: shrank while it was read",
                    String::from_utf8_lossy(&self.name)
                ),
            ));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// The name a folder's archive goes by (before its extension): the folder's own name, the
/// root's directory name for the root, `archive` when there is none (`/`).
pub(crate) fn folder_name(root: &Root, rel: &[u8]) -> String {
    let last = match rel.rsplit(|&b| b == b'/').next().filter(|n| !n.is_empty()) {
        Some(name) => name,
        None => root.path().file_name().map_or(&b""[..], |n| n.as_bytes()),
    };
    if last.is_empty() {
        "archive".into()
    } else {
        String::from_utf8_lossy(last).into_owned()
    }
}

/// `attachment; filename="…"; filename*=UTF-8''…` (RFC 6266): the plain name with anything
/// but printable ASCII (and `"`, `\`) as `_` for old clients, the exact one percent-encoded.
pub(crate) fn disposition(file: &str, out: &mut Vec<u8>) {
    /// RFC 8187's attr-char: what `filename*` keeps as it is.
    const ATTR: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'!')
        .remove(b'#')
        .remove(b'$')
        .remove(b'&')
        .remove(b'+')
        .remove(b'-')
        .remove(b'.')
        .remove(b'^')
        .remove(b'_')
        .remove(b'`')
        .remove(b'|')
        .remove(b'~');
    out.extend_from_slice(b"attachment; filename=\"");
    out.extend(file.chars().map(|c| match c {
        ' '..='~' if c != '"' && c != '\\' => c as u8,
        _ => b'_',
    }));
    out.extend_from_slice(b"\"; filename*=UTF-8''");
    for piece in percent_encoding::utf8_percent_encode(file, ATTR) {
        out.extend_from_slice(piece.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_that_shrinks_while_read_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"0123456789").unwrap();
        // The header said 20 bytes: 10 are there.
        let mut short = Exact::new(File::open(&path).unwrap(), 20, b"top/f");
        let err = short.read_to_end(&mut Vec::new()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        assert!(err.to_string().contains("top/f"), "{err}");
        // It said 4: the rest (grown since) is left out.
        let mut grown = Vec::new();
        Exact::new(File::open(&path).unwrap(), 4, b"f")
            .read_to_end(&mut grown)
            .unwrap();
        assert_eq!(grown, b"0123");
    }

    #[test]
    fn queries_and_names() {
        assert_eq!(Format::from_query(Some("download=zip")), Some(Format::Zip));
        assert_eq!(
            Format::from_query(Some("sort=size&download=tar.gz")),
            Some(Format::TarGz)
        );
        assert_eq!(Format::from_query(Some("download=rar")), None);
        assert_eq!(Format::from_query(None), None);
        let mut out = Vec::new();
        disposition("教程 \"x\".tar.gz", &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "attachment; filename=\"__ _x_.tar.gz\"; \
             filename*=UTF-8''%E6%95%99%E7%A8%8B%20%22x%22.tar.gz"
        );
    }
}
