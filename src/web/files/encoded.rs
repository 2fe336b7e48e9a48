//! The compressed forms of text files (see `web::compress`), one per file and coding, so a
//! popular page is compressed once and then answered from memory. Each use checks the entry
//! against the file just opened (device, inode, size, mtime, ctime), as the small-file cache
//! does: a file changed on disk is compressed afresh.

use std::collections::HashMap;
use std::fs::Metadata;
use std::sync::{Arc, Mutex, MutexGuard};

use super::cache::{Cached, settled};
use crate::web::compress::Coding;

/// At most this many files …
pub const MAX_ENCODED_FILES: usize = 1024;
/// … and this many compressed bytes in all.
pub const MAX_ENCODED_BYTES: usize = 32 * 1024 * 1024;

/// A path's compressed forms, one slot per [`Coding`].
type Forms = [Option<Arc<Cached>>; 3];

/// The compressed forms of one [`Root`](super::Root)'s files, by path beneath it.
#[derive(Debug, Default)]
pub struct Encoded {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    map: HashMap<Box<[u8]>, Forms>,
    bytes: usize,
}

impl Encoded {
    /// The form of `rel` in `coding`, if it was made from the file `meta` describes.
    pub fn get(&self, rel: &[u8], coding: Coding, meta: &Metadata) -> Option<Arc<Cached>> {
        let mut inner = self.lock();
        let Inner { map, bytes } = &mut *inner;
        let slot = &mut map.get_mut(rel)?[coding.index()];
        match slot {
            Some(entry) if entry.made_from(meta) => Some(Arc::clone(entry)),
            Some(_) => {
                *bytes -= slot.take().map_or(0, |old| old.body.len());
                None
            }
            None => None,
        }
    }

    /// Keep `entry`, the form of `rel` in `coding` made from the file `meta` describes, if that
    /// file has settled (see `cache::settled`).
    pub fn remember(&self, rel: &[u8], coding: Coding, meta: &Metadata, entry: &Arc<Cached>) {
        if rel.is_empty() || !settled(meta) || entry.body.len() > MAX_ENCODED_BYTES {
            return;
        }
        let mut inner = self.lock();
        let full = inner.bytes + entry.body.len() > MAX_ENCODED_BYTES;
        if full || (inner.map.len() >= MAX_ENCODED_FILES && !inner.map.contains_key(rel)) {
            // Crude but bounded, as the small-file cache: start over.
            inner.map.clear();
            inner.bytes = 0;
        }
        let forms = inner.map.entry(rel.into()).or_default();
        let old = forms[coding.index()].replace(Arc::clone(entry));
        let freed = old.map_or(0, |old| old.body.len());
        inner.bytes = inner.bytes - freed + entry.body.len();
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}
