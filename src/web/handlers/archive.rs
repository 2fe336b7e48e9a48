//! `?download=tar|tar.gz|zip` on a folder, with `--archives`: the head of a streamed archive,
//! named for the folder; `web::archive` writes the body as it walks the tree. Without
//! `--archives` the query means nothing (the folder's listing or index answers).

use super::Ctx;
use crate::web::archive::{self, Archive, Format};
use crate::web::files::Root;
use crate::web::response::{Answer, Head, Payload};

impl<'s> Ctx<'_, 's> {
    /// The folder at `Scratch::path` as a `format` archive.
    pub(super) fn archive(&mut self, root: &'s Root, format: Format) -> Answer<'s> {
        let rel = self.bufs.path.clone();
        let top = archive::folder_name(root, &rel);
        let file = format!("{top}.{}", format.extension());
        // HTTP/1.0 has no chunked coding: the close ends the body.
        let chunked = self.framing.minor == 1;
        let keep = self.framing.keep && chunked;
        let mut head = Head::new(&mut self.bufs.out, 200, &self.site.common);
        head.header("Content-Type", format.mime())
            .with("Content-Disposition", |out| {
                archive::disposition(&file, out)
            })
            .header("Cache-Control", "no-cache");
        if chunked {
            head.header("Transfer-Encoding", "chunked");
        }
        head.connection(keep, self.framing.minor).finish();
        let payload = if self.framing.head_only {
            Payload::Empty
        } else {
            Payload::Archive(Box::new(Archive {
                root,
                rel,
                top,
                format,
                hidden: self.site.hidden,
                chunked,
            }))
        };
        Answer {
            status: 200,
            payload,
            close: !keep,
            linger: false,
        }
    }
}

/// The links a listing page gets with `--archives`, after its heading.
pub(crate) fn links(page: &mut Vec<u8>) {
    const LINKS: &[u8] = b"<p>Download this folder: <a href=\"?download=tar\">tar</a> \
        <a href=\"?download=tar.gz\">tar.gz</a> <a href=\"?download=zip\">zip</a></p>\n";
    if let Some(at) = memchr::memmem::find(page, b"</h1>\n") {
        let at = at + b"</h1>\n".len();
        page.splice(at..at, LINKS.iter().copied());
    }
}
