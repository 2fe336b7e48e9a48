//! Directory listings: an HTML page (names escaped, links percent-encoded, directories first,
//! sizes and times, a parent link, readable on a phone) and the same listing as JSON.
//!
//! Only what would be served is listed: regular files and directories, symlinks only when they
//! stay inside the root, dotfiles only with `--hidden`.

use std::borrow::Cow;
use std::ffi::OsStr;
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_encode};
use serde::Serialize;

use super::listing_nav as nav;
use super::listing_tools as tools;
use super::{Ctx, Format};
use crate::net::HumanBytes;
use crate::web::Writes;
use crate::web::files::{Root, mtime};
use crate::web::response::{Answer, Head};

/// A listing stops here; a directory this big is not browsed on a page anyway.
pub const MAX_ENTRIES: usize = 20_000;

/// Bytes left as they are in a link: RFC 3986's unreserved set. Everything else, `:` and `%`
/// included, is escaped, so a name can never read as a scheme, a query or a fragment.
pub(super) const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// How a listing is ordered: `?sort=name|size|time&order=asc|desc` (name ascending by
/// default). Directories come first whatever the order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sort {
    pub key: SortKey,
    pub descending: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    #[default]
    Name,
    Size,
    Time,
}

impl Sort {
    /// From a listing's query; unknown values are ignored.
    pub fn from_query(query: Option<&str>) -> Sort {
        let mut sort = Sort::default();
        for pair in query.unwrap_or("").split('&') {
            match pair {
                "sort=name" => sort.key = SortKey::Name,
                "sort=size" => sort.key = SortKey::Size,
                "sort=time" => sort.key = SortKey::Time,
                "order=asc" => sort.descending = false,
                "order=desc" => sort.descending = true,
                _ => {}
            }
        }
        sort
    }

    /// Order entries already sorted by name (directories first).
    pub fn apply(self, entries: &mut [Entry]) {
        match self.key {
            SortKey::Name => {}
            // Stable: equal sizes or times keep the name order.
            SortKey::Size => entries.sort_by_key(|e| (!e.is_dir, e.size)),
            SortKey::Time => entries.sort_by_key(|e| (!e.is_dir, e.modified)),
        }
        if self.descending {
            let dirs = entries.iter().take_while(|e| e.is_dir).count();
            let (dirs, files) = entries.split_at_mut(dirs);
            dirs.reverse();
            files.reverse();
        }
    }

    /// The link a column head points to: this key, ascending unless it is the current
    /// ascending order already.
    fn link(self, key: SortKey) -> &'static str {
        let flip = self.key == key && !self.descending;
        match (key, flip) {
            (SortKey::Name, false) => "?sort=name&amp;order=asc",
            (SortKey::Name, true) => "?sort=name&amp;order=desc",
            (SortKey::Size, false) => "?sort=size&amp;order=asc",
            (SortKey::Size, true) => "?sort=size&amp;order=desc",
            (SortKey::Time, false) => "?sort=time&amp;order=asc",
            (SortKey::Time, true) => "?sort=time&amp;order=desc",
        }
    }

    /// The arrow after the current column's head.
    fn mark(self, key: SortKey) -> &'static str {
        match (self.key == key, self.descending) {
            (false, _) => "",
            (true, false) => " ↑",
            (true, true) => " ↓",
        }
    }
}

/// One listed name.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The name's bytes as the filesystem has them.
    pub name: Vec<u8>,
    pub is_dir: bool,
    pub size: u64,
    /// Unix seconds.
    pub modified: u64,
}

impl Entry {
    /// The name for people (invalid UTF-8 shown as U+FFFD).
    pub fn display(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.name)
    }

    /// The relative link: the name percent-encoded, `/` after a directory.
    pub fn href(&self) -> String {
        let mut href = percent_encode(&self.name, SEGMENT).to_string();
        if self.is_dir {
            href.push('/');
        }
        href
    }
}

impl<'s> Ctx<'_, 's> {
    /// The listing of the directory at `Scratch::path` beneath `root` (403 if it cannot be
    /// read).
    pub(crate) fn listing(&mut self, root: &Root, format: Format, sort: Sort) -> Answer<'s> {
        let path = &self.bufs.path;
        let Ok((mut entries, left_out)) = read(root, path, self.site.hidden) else {
            return self.short(403, &[]);
        };
        sort.apply(&mut entries);
        let mut title = String::with_capacity(path.len() + 2);
        title.push('/');
        if !path.is_empty() {
            title.push_str(&String::from_utf8_lossy(path));
            title.push('/');
        }
        let body = &mut self.bufs.body;
        body.clear();
        match format {
            Format::Json => json(&title, &entries, left_out, body),
            Format::Text => html(&title, &entries, left_out, sort, self.site.writes, body),
        }
        if self.site.archives && format == Format::Text {
            super::archive::links(body);
        }
        let len = body.len();
        let mut head = Head::new(&mut self.bufs.out, 200, &self.site.common);
        head.content_type(
            match format {
                Format::Json => "application/json",
                Format::Text => "text/html",
            },
            Some("utf-8"),
        )
        .number("Content-Length", len as u64)
        .header("Vary", "Accept")
        .header("Cache-Control", "no-cache")
        .connection(self.framing.keep, self.framing.minor)
        .finish();
        self.answer(200, self.buffered(len))
    }
}

/// A directory's entries, sorted (directories first, then by name ignoring case), and how many
/// were left out over [`MAX_ENTRIES`].
pub fn read(root: &Root, rel: &[u8], hidden: bool) -> io::Result<(Vec<Entry>, usize)> {
    let dir = root.path().join(OsStr::from_bytes(rel));
    let mut entries = Vec::new();
    let mut left_out = 0;
    let mut path = rel.to_vec();
    for entry in std::fs::read_dir(dir)? {
        let Ok(entry) = entry else { continue };
        let name = entry.file_name();
        let name = name.as_bytes();
        if !hidden && name.first() == Some(&b'.') {
            continue;
        }
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let meta = if kind.is_symlink() {
            // Follow it only beneath the root: a link out is not listed.
            path.truncate(rel.len());
            if !path.is_empty() {
                path.push(b'/');
            }
            path.extend_from_slice(name);
            match root.stat(&path) {
                Ok(meta) => meta,
                Err(_) => continue,
            }
        } else {
            match entry.metadata() {
                Ok(meta) => meta,
                Err(_) => continue,
            }
        };
        if !(meta.is_file() || meta.is_dir()) {
            continue;
        }
        if entries.len() >= MAX_ENTRIES {
            left_out += 1;
            continue;
        }
        entries.push(Entry {
            name: name.to_vec(),
            is_dir: meta.is_dir(),
            size: if meta.is_dir() { 0 } else { meta.len() },
            modified: mtime(&meta).0,
        });
    }
    entries.sort_by_cached_key(|e| (!e.is_dir, e.display().to_lowercase(), e.name.clone()));
    Ok((entries, left_out))
}

/// The listing page. `path` is the decoded URL path of the directory (`/docs/`); `writes`: the
/// forms and buttons it offers (`listing_tools`).
pub fn html(
    path: &str,
    entries: &[Entry],
    left_out: usize,
    sort: Sort,
    writes: Writes,
    out: &mut Vec<u8>,
) {
    let title = escape(path);
    let _ = write!(
        out,
        "<!doctype html>\n<html><head><meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Index of {title}</title>\n<style>\n\
         body{{font-family:system-ui,sans-serif;margin:1rem auto;max-width:60rem;padding:0 1rem;color:#222}}\n\
         h1{{font-size:1.3rem;word-break:break-all}}\n\
         table{{border-collapse:collapse;width:100%}}\n\
         th,td{{padding:.35rem .5rem;text-align:left;vertical-align:top}}\n\
         td:first-child{{word-break:break-all}}\n\
         th.n,td.n{{text-align:right;white-space:nowrap}}\n\
         tr:nth-child(even){{background:#f3f3f3}}\n\
         a{{text-decoration:none}}\n\
         #filter{{font:inherit;width:min(20rem,100%)}}\n\
         @media (max-width:36rem){{.t{{display:none}}}}\n",
    );
    tools::style(writes, out);
    out.extend_from_slice(b"</style></head>\n<body>\n<h1>Index of ");
    nav::breadcrumbs(path, out);
    out.extend_from_slice(b"</h1>\n");
    tools::forms(writes, out);
    out.extend_from_slice(nav::FILTER.as_bytes());
    let _ = write!(
        out,
        "<table>\n<thead><tr><th><a href=\"{}\">Name{}</a></th><th class=\"n\"><a href=\"{}\">Size{}</a></th>\
         <th class=\"t\"><a href=\"{}\">Modified (UTC){}</a></th>",
        sort.link(SortKey::Name),
        sort.mark(SortKey::Name),
        sort.link(SortKey::Size),
        sort.mark(SortKey::Size),
        sort.link(SortKey::Time),
        sort.mark(SortKey::Time),
    );
    tools::head_cell(writes, out);
    out.extend_from_slice(b"</tr></thead>\n<tbody>\n");
    if path != "/" {
        out.extend_from_slice(
            b"<tr><td><a href=\"../\">../</a></td><td class=\"n\"></td><td class=\"t\"></td>",
        );
        tools::row_cell(writes, None, out);
        out.extend_from_slice(b"</tr>\n");
    }
    for entry in entries {
        let shown = entry.display();
        let name = escape(&shown);
        let slash = if entry.is_dir { "/" } else { "" };
        let _ = write!(
            out,
            "<tr><td><a href=\"{}\">{name}{slash}</a></td><td class=\"n\">",
            entry.href()
        );
        if entry.is_dir {
            out.push(b'-');
        } else {
            let _ = write!(
                out,
                "<span title=\"{} bytes\">{}</span>",
                entry.size,
                HumanBytes(entry.size)
            );
        }
        let _ = write!(
            out,
            "</td><td class=\"t\">{}</td>",
            civil_time(entry.modified)
        );
        tools::row_cell(writes, Some(entry), out);
        out.extend_from_slice(b"</tr>\n");
    }
    out.extend_from_slice(b"</tbody>\n</table>\n");
    if left_out > 0 {
        let _ = writeln!(out, "<p>{left_out} more entries not shown.</p>");
    }
    tools::script(writes, out);
    out.extend_from_slice(nav::SCRIPT.as_bytes());
    out.extend_from_slice(b"</body></html>\n");
}

#[derive(Serialize)]
struct JsonListing<'a> {
    path: &'a str,
    entries: Vec<JsonEntry<'a>>,
    #[serde(skip_serializing_if = "is_zero")]
    left_out: usize,
}

#[derive(Serialize)]
struct JsonEntry<'a> {
    name: Cow<'a, str>,
    #[serde(rename = "type")]
    kind: &'static str,
    size: u64,
    modified: String,
    href: String,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// The listing as one JSON object: `{"path", "entries": [{"name", "type", "size", "modified",
/// "href"}]}`, times in RFC 3339 UTC.
pub fn json(path: &str, entries: &[Entry], left_out: usize, out: &mut Vec<u8>) {
    let listing = JsonListing {
        path,
        entries: entries
            .iter()
            .map(|e| JsonEntry {
                name: e.display(),
                kind: if e.is_dir { "directory" } else { "file" },
                size: e.size,
                modified: rfc3339(e.modified),
                href: e.href(),
            })
            .collect(),
        left_out,
    };
    // Serialising plain strings and numbers into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, &listing);
    out.push(b'\n');
}

/// Escape text for HTML element content and attribute values.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.contains(['&', '<', '>', '"', '\'']) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

use crate::net::fmt::civil;

/// `2024-05-01 13:45` (UTC).
fn civil_time(secs: u64) -> String {
    let (y, mo, d, h, mi, _) = civil(secs);
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}")
}

/// `2024-05-01T13:45:07Z`.
fn rfc3339(secs: u64) -> String {
    let (y, mo, d, h, mi, s) = civil(secs);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_000_000_000), "2001-09-09T01:46:40Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(civil_time(1_700_000_000), "2023-11-14 22:13");
    }

    #[test]
    fn sorting_keeps_directories_first() {
        let entry = |name: &str, is_dir: bool, size: u64, modified: u64| Entry {
            name: name.into(),
            is_dir,
            size,
            modified,
        };
        let sorted = |query: &str| {
            let mut entries = vec![
                entry("d1", true, 0, 5),
                entry("d2", true, 0, 1),
                entry("a", false, 30, 2),
                entry("b", false, 10, 3),
                entry("c", false, 20, 1),
            ];
            Sort::from_query(Some(query)).apply(&mut entries);
            entries
                .iter()
                .map(|e| e.display().into_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(sorted(""), ["d1", "d2", "a", "b", "c"]);
        assert_eq!(sorted("order=desc"), ["d2", "d1", "c", "b", "a"]);
        assert_eq!(sorted("sort=size"), ["d1", "d2", "b", "c", "a"]);
        assert_eq!(sorted("sort=size&order=desc"), ["d2", "d1", "a", "c", "b"]);
        assert_eq!(sorted("sort=time"), ["d2", "d1", "c", "a", "b"]);
        assert_eq!(sorted("sort=bogus&x=1"), ["d1", "d2", "a", "b", "c"]);
        let mut page = Vec::new();
        html(
            "/",
            &[],
            0,
            Sort::from_query(Some("sort=size")),
            Writes::default(),
            &mut page,
        );
        let page = String::from_utf8(page).unwrap();
        assert!(page.contains("<a href=\"?sort=size&amp;order=desc\">Size ↑</a>"));
        assert!(page.contains("<a href=\"?sort=name&amp;order=asc\">Name</a>"));
    }

    #[test]
    fn hostile_names_are_escaped_and_encoded() {
        let entries = vec![
            Entry {
                name: "<img>.txt".into(),
                is_dir: false,
                size: 3,
                modified: 0,
            },
            Entry {
                name: "a b&c.html".into(),
                is_dir: false,
                size: 2048,
                modified: 0,
            },
            Entry {
                name: "教程".into(),
                is_dir: true,
                size: 0,
                modified: 0,
            },
            Entry {
                name: "javascript:alert(1)\"'".into(),
                is_dir: false,
                size: 0,
                modified: 0,
            },
        ];
        let mut out = Vec::new();
        html(
            "/x&y/",
            &entries,
            0,
            Sort::default(),
            Writes::default(),
            &mut out,
        );
        let page = String::from_utf8(out).unwrap();
        assert!(page.contains("<title>Index of /x&amp;y/</title>"));
        assert!(page.contains("<a href=\"%3Cimg%3E.txt\">&lt;img&gt;.txt</a>"));
        assert!(page.contains("<a href=\"a%20b%26c.html\">a b&amp;c.html</a>"));
        assert!(page.contains("<a href=\"%E6%95%99%E7%A8%8B/\">教程/</a>"));
        assert!(page.contains("href=\"javascript%3Aalert%281%29%22%27\""));
        assert!(page.contains("2.00 KiB"));
        assert!(page.contains("href=\"../\""));
        assert!(!page.contains("<img>"));

        let mut out = Vec::new();
        json("/", &entries, 0, &mut out);
        let value: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(value["entries"][2]["name"], "教程");
        assert_eq!(value["entries"][2]["type"], "directory");
        assert_eq!(value["entries"][1]["href"], "a%20b%26c.html");
    }
}
