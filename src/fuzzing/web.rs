//! The web server's limits (and `Range` parser) that the integration tests hold to SECURITY.md
//! and drive at their boundaries, under the names of the modules of `src/web/` they live in.
//! Re-exported here so those modules can stay private to the crate.

/// The request head's limits.
pub mod request {
    pub use crate::web::request::{MAX_HEADER_BYTES, MAX_HEADERS, MAX_REQUEST_LINE};
}

/// What a connection discards and how long it lingers before closing.
pub mod conn {
    pub use crate::web::conn::{DISCARD_LIMIT, LINGER_BYTES, LINGER_TIME};
}

/// The largest body `--echo` reads.
pub mod echo {
    pub use crate::web::echo::MAX_BODY;
}

/// How much of an event loop's turn one connection may take.
pub mod events {
    pub use crate::web::events::TURN;
}

/// The small-file cache's limits, and the cache of compressed forms'.
pub mod files {
    pub use crate::web::compress::MAX_LEN as MAX_ENCODED_FILE;
    pub use crate::web::files::{
        MAX_CACHED_BYTES, MAX_CACHED_ENTRIES, MAX_CACHED_FILE, MAX_ENCODED_BYTES, MAX_ENCODED_FILES,
    };
}

/// `Range` parsing and its limit.
pub mod range {
    pub use crate::web::range::{MAX_SPECS, Ranged, parse_range};
}

/// The accept loop's limits and the drain on shutdown.
pub mod server {
    pub use crate::web::server::{DRAIN_TIME, MAX_REFUSING, STACK_SIZE};
}

/// The largest `--404` page.
pub mod knobs {
    pub use crate::web::knobs::MAX_NOT_FOUND;
}
