//! The folder's tree, walked lazily: one open directory per level (never a list of the tree),
//! each entry admitted by the listing's rules and opened as a request for it would be, through
//! [`Root::open`]: dotfiles only with `--hidden`; regular files and directories; a symlink only
//! when it resolves inside the root (then followed, as the listing's link to it is; a loop
//! back to a folder being walked is left out). An entry that vanishes or may not be read
//! before it is opened is left out; its bytes are the caller's to read.

use std::ffi::OsStr;
use std::fs::{File, Metadata, ReadDir};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;

use crate::web::files::{Found, Root};

/// Folders deeper than this below the downloaded one are left out (each level holds a
/// descriptor while it is walked).
pub(super) const MAX_DEPTH: usize = 64;

/// What the walk found next.
pub(super) enum Item {
    Dir(Metadata),
    File(File, Metadata),
}

/// One folder being read.
struct Level {
    entries: ReadDir,
    /// Length of its path (beneath the root) in [`Walk::rel`].
    len: usize,
    /// Device and inode, to see a symlink loop.
    id: (u64, u64),
}

pub(super) struct Walk<'s> {
    root: &'s Root,
    hidden: bool,
    /// The path beneath the root of the entry last found.
    rel: Vec<u8>,
    /// Length of the downloaded folder's path in `rel`.
    base: usize,
    /// The entry's name in the archive: the folder's name, `/`, the path below it.
    name: Vec<u8>,
    top: usize,
    stack: Vec<Level>,
}

impl<'s> Walk<'s> {
    /// Walk the folder `rel` beneath `root`, its entries named `top/…`. `None` when it cannot
    /// be read (gone since the request was routed, or unreadable).
    pub(super) fn new(
        root: &'s Root,
        rel: &[u8],
        top: &str,
        hidden: bool,
    ) -> Option<(Walk<'s>, Metadata)> {
        let Ok(Found::Dir(_, meta)) = root.open(rel) else {
            return None;
        };
        let entries = std::fs::read_dir(root.path().join(OsStr::from_bytes(rel))).ok()?;
        let walk = Walk {
            root,
            hidden,
            rel: rel.to_vec(),
            base: rel.len(),
            name: top.as_bytes().to_vec(),
            top: top.len(),
            stack: vec![Level {
                entries,
                len: rel.len(),
                id: (meta.dev(), meta.ino()),
            }],
        };
        Some((walk, meta))
    }

    /// The name in the archive of what [`Walk::next`] returned last (`top/sub/a.txt`).
    pub(super) fn name(&self) -> &[u8] {
        &self.name
    }

    /// The next entry, depth first (a folder before what it holds), in the order the
    /// filesystem gives.
    pub(super) fn next(&mut self) -> Option<Item> {
        loop {
            let level = self.stack.last_mut()?;
            let Some(entry) = level.entries.next() else {
                self.stack.pop();
                continue;
            };
            let len = level.len;
            let Ok(entry) = entry else { continue };
            let file_name = entry.file_name();
            let file_name = file_name.as_bytes();
            if !self.hidden && file_name.first() == Some(&b'.') {
                continue;
            }
            self.rel.truncate(len);
            if !self.rel.is_empty() {
                self.rel.push(b'/');
            }
            self.rel.extend_from_slice(file_name);
            // Beneath the root, refused if it leads out, neither a file nor a folder: what a
            // request for it would get.
            match self.root.open(&self.rel) {
                Ok(Found::File(file, meta)) => {
                    self.name_it();
                    return Some(Item::File(file, meta));
                }
                Ok(Found::Dir(_, meta)) => {
                    let id = (meta.dev(), meta.ino());
                    if self.stack.len() > MAX_DEPTH || self.stack.iter().any(|l| l.id == id) {
                        continue;
                    }
                    let path = self.root.path().join(OsStr::from_bytes(&self.rel));
                    let Ok(entries) = std::fs::read_dir(path) else {
                        continue;
                    };
                    self.stack.push(Level {
                        entries,
                        len: self.rel.len(),
                        id,
                    });
                    self.name_it();
                    return Some(Item::Dir(meta));
                }
                Err(_) => continue,
            }
        }
    }

    /// `name` for the entry at `rel`.
    fn name_it(&mut self) {
        self.name.truncate(self.top);
        self.name.push(b'/');
        let below = &self.rel[self.base..];
        self.name
            .extend_from_slice(below.strip_prefix(b"/").unwrap_or(below));
    }
}
