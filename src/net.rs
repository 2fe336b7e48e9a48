//! Socket helpers shared by the servers (`serve`, `web`) and clients (`connect`, `bench`):
//! binding listeners, the shutdown signal, connection limits and traffic counters.

use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr, TcpListener, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::Context;
use socket2::{Domain, Protocol, Socket, Type};

/// Bind and listen on a TCP address. `::` is dual-stack (IPv6 and IPv4-mapped), as users expect
/// of "all interfaces"; `SO_REUSEADDR` lets a restarted server rebind at once.
pub fn listen_tcp(host: IpAddr, port: u16, backlog: u32) -> anyhow::Result<TcpListener> {
    let addr = SocketAddr::new(host, port);
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))
        .context("create socket")?;
    socket.set_reuse_address(true)?;
    if host.is_ipv6() {
        // Dual-stack only for the unspecified address; a specific v6 address is v6 only anyway.
        socket.set_only_v6(!host.is_unspecified())?;
    }
    socket
        .bind(&addr.into())
        .map_err(|err| explain_bind(err, addr))
        .with_context(|| format!("bind {addr}"))?;
    socket
        .listen(backlog.min(i32::MAX as u32) as i32)
        .with_context(|| format!("listen on {addr}"))?;
    Ok(socket.into())
}

/// Bind a UDP socket (dual-stack for `::`).
pub fn bind_udp(host: IpAddr, port: u16) -> anyhow::Result<UdpSocket> {
    let addr = SocketAddr::new(host, port);
    let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))
        .context("create socket")?;
    if host.is_ipv6() {
        socket.set_only_v6(!host.is_unspecified())?;
    }
    socket
        .bind(&addr.into())
        .map_err(|err| explain_bind(err, addr))
        .with_context(|| format!("bind {addr}"))?;
    Ok(socket.into())
}

/// Turn the usual bind failures into advice.
fn explain_bind(err: io::Error, addr: SocketAddr) -> anyhow::Error {
    let hint = match err.kind() {
        io::ErrorKind::AddrInUse => Some(format!(
            "address in use (another server on port {}? try --port 0)",
            addr.port()
        )),
        io::ErrorKind::PermissionDenied if addr.port() < 1024 => Some(format!(
            "permission denied (port {} needs root or CAP_NET_BIND_SERVICE; try a port above 1023)",
            addr.port()
        )),
        io::ErrorKind::AddrNotAvailable => {
            Some(format!("{} is not an address of this machine", addr.ip()))
        }
        _ => None,
    };
    match hint {
        Some(hint) => anyhow::anyhow!(hint),
        None => err.into(),
    }
}

/// How a socket address is written in URLs and logs: `127.0.0.1:80`, `[::1]:80`.
pub fn url_authority(addr: SocketAddr) -> String {
    addr.to_string()
}

/// Ctrl-C and SIGTERM as a flag plus wake-up calls.
///
/// Blocking accept loops cannot see a flag while they sleep in `accept()`, so whoever owns a
/// listener registers a waker (for example `shutdown(fd, SHUT_RD)`, which makes a blocked
/// `accept()` return on Linux, or `Poller::notify`). The signal is handled on a thread of its
/// own, so no code runs in a signal handler.
pub struct Shutdown {
    requested: AtomicBool,
    wakers: Mutex<Vec<Box<dyn Fn() + Send>>>,
}

impl Shutdown {
    /// A shutdown that only [`Shutdown::trigger`] sets (for tests and `--count`).
    pub fn new() -> Arc<Shutdown> {
        Arc::new(Shutdown {
            requested: AtomicBool::new(false),
            wakers: Mutex::new(Vec::new()),
        })
    }

    /// A shutdown that SIGINT and SIGTERM also set.
    pub fn on_signals() -> anyhow::Result<Arc<Shutdown>> {
        use signal_hook::consts::{SIGINT, SIGTERM};
        let shutdown = Shutdown::new();
        let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])
            .context("install signal handlers")?;
        let weak = Arc::downgrade(&shutdown);
        std::thread::Builder::new()
            .name("signals".into())
            .spawn(move || {
                if signals.forever().next().is_some()
                    && let Some(shutdown) = weak.upgrade()
                {
                    shutdown.trigger();
                }
            })
            .context("start signal thread")?;
        Ok(shutdown)
    }

    /// Whether a stop was asked for.
    pub fn requested(&self) -> bool {
        self.requested.load(Ordering::SeqCst)
    }

    /// Ask for a stop and run every waker (once).
    pub fn trigger(&self) {
        if !self.requested.swap(true, Ordering::SeqCst) {
            for wake in self.wakers.lock().unwrap_or_else(|e| e.into_inner()).iter() {
                wake();
            }
        }
    }

    /// Run `wake` when a stop is asked for (at once, if it already was).
    pub fn on_trigger(&self, wake: impl Fn() + Send + 'static) {
        let mut wakers = self.wakers.lock().unwrap_or_else(|e| e.into_inner());
        if self.requested() {
            wake();
        } else {
            wakers.push(Box::new(wake));
        }
    }
}

/// Wake a thread blocked in `accept()` on this listener (Linux: `shutdown(SHUT_RD)` on a
/// listening socket makes `accept` fail with `EINVAL`).
pub fn wake_acceptor(fd: std::os::fd::RawFd) -> impl Fn() + Send + 'static {
    move || {
        // If the descriptor has closed meanwhile this fails with EBADF, which is harmless.
        let _ = nix::sys::socket::shutdown(fd, nix::sys::socket::Shutdown::Read);
    }
}

/// Counters every server keeps for its summary line. Plain atomics, so they can also live in
/// memory shared with forked children.
#[derive(Debug, Default)]
#[repr(C)]
pub struct Stats {
    pub connections: AtomicU64,
    pub bytes_in: AtomicU64,
    pub bytes_out: AtomicU64,
    pub refused: AtomicU64,
}

impl Stats {
    pub fn add_in(&self, n: usize) {
        self.bytes_in.fetch_add(n as u64, Ordering::Relaxed);
    }

    pub fn add_out(&self, n: usize) {
        self.bytes_out.fetch_add(n as u64, Ordering::Relaxed);
    }

    /// The one-line summary printed when a server stops.
    pub fn summary(&self) -> String {
        let connections = self.connections.load(Ordering::Relaxed);
        let refused = self.refused.load(Ordering::Relaxed);
        let mut text = format!(
            "{} connection{}, {} in, {} out",
            connections,
            if connections == 1 { "" } else { "s" },
            Bytes(self.bytes_in.load(Ordering::Relaxed)),
            Bytes(self.bytes_out.load(Ordering::Relaxed)),
        );
        if refused > 0 {
            text.push_str(&format!(", {refused} refused over the limit"));
        }
        text
    }
}

/// A count of connections in flight, bounded by `--max-conns`.
#[derive(Debug)]
pub struct ConnLimit {
    active: AtomicUsize,
    max: usize,
}

impl ConnLimit {
    pub fn new(max: usize) -> Arc<ConnLimit> {
        Arc::new(ConnLimit {
            active: AtomicUsize::new(0),
            max,
        })
    }

    /// Take a slot, or `None` when the limit is reached. The slot is given back on drop.
    pub fn try_acquire(self: &Arc<Self>) -> Option<ConnSlot> {
        let mut current = self.active.load(Ordering::Relaxed);
        loop {
            if current >= self.max {
                return None;
            }
            match self.active.compare_exchange_weak(
                current,
                current + 1,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Some(ConnSlot(Arc::clone(self))),
                Err(actual) => current = actual,
            }
        }
    }

    /// Connections in flight now.
    pub fn active(&self) -> usize {
        self.active.load(Ordering::Acquire)
    }
}

/// One connection's place under the limit.
#[derive(Debug)]
pub struct ConnSlot(Arc<ConnLimit>);

impl Drop for ConnSlot {
    fn drop(&mut self) {
        self.0.active.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A byte count for people: `512 B`, `1.5 KiB`, `3.2 GiB`.
#[derive(Debug, Clone, Copy)]
pub struct Bytes(pub u64);

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
        if self.0 < 1024 {
            return write!(f, "{} B", self.0);
        }
        let mut value = self.0 as f64 / 1024.0;
        let mut unit = 0;
        while value >= 1024.0 && unit < UNITS.len() - 1 {
            value /= 1024.0;
            unit += 1;
        }
        write!(f, "{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_read_well() {
        assert_eq!(Bytes(0).to_string(), "0 B");
        assert_eq!(Bytes(1023).to_string(), "1023 B");
        assert_eq!(Bytes(1536).to_string(), "1.5 KiB");
        assert_eq!(Bytes(3 << 30).to_string(), "3.0 GiB");
    }

    #[test]
    fn limit_gives_slots_back() {
        let limit = ConnLimit::new(2);
        let a = limit.try_acquire().unwrap();
        let _b = limit.try_acquire().unwrap();
        assert!(limit.try_acquire().is_none());
        drop(a);
        assert!(limit.try_acquire().is_some());
    }

    #[test]
    fn shutdown_runs_wakers_once_and_late_ones_at_once() {
        use std::sync::atomic::AtomicUsize;
        let shutdown = Shutdown::new();
        let hits = Arc::new(AtomicUsize::new(0));
        let h = Arc::clone(&hits);
        shutdown.on_trigger(move || {
            h.fetch_add(1, Ordering::SeqCst);
        });
        shutdown.trigger();
        shutdown.trigger();
        assert_eq!(hits.load(Ordering::SeqCst), 1);
        let h = Arc::clone(&hits);
        shutdown.on_trigger(move || {
            h.fetch_add(1, Ordering::SeqCst);
        });
        assert_eq!(hits.load(Ordering::SeqCst), 2);
        assert!(shutdown.requested());
    }

    #[test]
    fn wake_acceptor_unblocks_accept() {
        use std::os::fd::AsRawFd;
        let listener = listen_tcp("127.0.0.1".parse().unwrap(), 0, 16).unwrap();
        let wake = wake_acceptor(listener.as_raw_fd());
        let waiter = std::thread::spawn(move || listener.accept().is_err());
        wake();
        assert!(waiter.join().unwrap(), "accept should fail once woken");
    }

    #[test]
    fn dual_stack_listener_takes_ipv4() {
        let Ok(listener) = listen_tcp("::".parse().unwrap(), 0, 16) else {
            eprintln!("skipped: no IPv6 on this machine");
            return;
        };
        let port = listener.local_addr().unwrap().port();
        assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
    }
}
