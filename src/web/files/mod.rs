//! From a request target to the bytes of a file, safely, one room each: `target.rs` decodes the
//! path and refuses escapes, `root.rs` opens it beneath the served directory (`openat2`),
//! `cache.rs` keeps small files in memory, `encoded.rs` the compressed forms of text files, `conditional.rs` holds the validators (ETag,
//! Last-Modified) and the conditional-request rules, `text.rs` tells whether a text file is
//! UTF-8 (for the charset its Content-Type names), and `write.rs` changes the directory (uploads,
//! new folders, deletions) without leaving it or a torn file.

mod cache;
mod conditional;
mod encoded;
mod root;
mod target;
mod text;
mod write;

pub use cache::{Cached, Kind};
pub use conditional::{Condition, Validators, etag, http_date, mtime, unix_secs};
pub use root::{Found, Root};
pub use target::parse_target_into;
pub use text::{file_is_utf8, is_utf8};
pub use write::{Existing, TempFile, check_name, existing, io_reject, make_folder, remove};
// For the fuzz targets and SECURITY.md's test (through `crate::fuzzing`).
#[cfg(feature = "fuzzing")]
pub use cache::{MAX_CACHED_BYTES, MAX_CACHED_ENTRIES};
#[cfg(feature = "fuzzing")]
pub use encoded::{MAX_ENCODED_BYTES, MAX_ENCODED_FILES};
#[cfg(feature = "fuzzing")]
pub use target::parse_target;

/// Files up to this size are read whole: sent from memory with their head in one `writev`, and
/// kept in the cache; bigger ones go out with sendfile from a thread of their own. The two
/// must agree, or a file could be read whole and never cached (or cached and never read whole).
/// 32 KiB: for a file this small one `pread` costs less than setting up sendfile (cork, send,
/// uncork), and it fits in a socket's send buffer, so an event loop can answer with it without
/// waiting on the client.
pub const SMALL_FILE: usize = 32 * 1024;

/// `SMALL_FILE` under the name SECURITY.md's table gives it (`web.cache_file`).
#[cfg(feature = "fuzzing")]
pub const MAX_CACHED_FILE: usize = SMALL_FILE;
