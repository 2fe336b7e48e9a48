//! The shared ground of every verb: what the servers (`serve`, `web`) and clients (`connect`,
//! `fetch`, `bench`) do alike, once. Verbs share code only through here.
//!
//! [`listen`] binds, [`access`] holds `--allow`/`--deny`, [`addr`] splits and resolves addresses, [`failure`] words a failed connect
//! the same for every verb, [`shutdown`] carries Ctrl-C to
//! blocked loops, [`limit`] bounds and counts what a server holds, [`io`] holds error text,
//! timeouts, sendfile and poison-tolerant locks, [`fmt`] writes sizes and durations for people, [`stream`] is the one
//! connected-stream type (TCP, Unix or TLS) and the trait handlers are written against,
//! [`listener`] what servers accept it from, and
//! [`tls`] holds the TLS session, the servers' certificates and what clients trust, and
//! [`proxy`] reads proxy URLs and opens SOCKS5 and HTTP CONNECT tunnels.

pub mod access;
pub mod addr;
pub mod failure;
pub mod fmt;
pub mod io;
pub mod limit;
pub mod listen;
pub mod listener;
pub mod proxy;
pub mod shutdown;
pub mod stream;
pub mod tls;

pub use access::Access;
pub use addr::{
    HostPort, canonical, parse_port, parse_port_range, resolve, split_host_port, url_authority,
};
pub use fmt::{Count, HumanBytes, format_duration, push_local_time};
pub use io::{error_text, is_timeout, lock};
pub use limit::{ConnLimit, ConnSlot, Stats, raise_fd_limit};
pub use listen::{bind_udp, bind_udp_first, listen_tcp, listen_tcp_all, resolve_host};
pub use listener::{Listener, Listeners, Peer};
pub use shutdown::{Shutdown, Signalled, stop_now, wake_acceptor};
pub use stream::{Stream, Transport};
