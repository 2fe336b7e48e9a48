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
    let socket = bound(addr, Type::STREAM, Protocol::TCP)?;
    socket
        .listen(backlog.min(i32::MAX as u32) as i32)
        .with_context(|| format!("listen on {addr}"))?;
    Ok(socket.into())
}

/// Bind a UDP socket (dual-stack for `::`).
pub fn bind_udp(host: IpAddr, port: u16) -> anyhow::Result<UdpSocket> {
    Ok(bound(SocketAddr::new(host, port), Type::DGRAM, Protocol::UDP)?.into())
}

/// A socket bound to `addr`: dual-stack when it is `::`, and free to rebind at once.
fn bound(addr: SocketAddr, kind: Type, protocol: Protocol) -> anyhow::Result<Socket> {
    let socket =
        Socket::new(Domain::for_address(addr), kind, Some(protocol)).context("create socket")?;
    if kind == Type::STREAM {
        socket.set_reuse_address(true)?;
    }
    if addr.is_ipv6() {
        // Dual-stack only for the unspecified address; a specific v6 address is v6 only anyway.
        socket.set_only_v6(!addr.ip().is_unspecified())?;
    }
    socket
        .bind(&addr.into())
        .map_err(|err| explain_bind(err, addr))
        .with_context(|| format!("bind {addr}"))?;
    Ok(socket)
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

/// A client's target split into host and port text: `HOST:PORT`, `[v6]:PORT`, `HOST PORT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPort {
    /// A name or an address, without IPv6 brackets.
    pub host: String,
    /// The port as written (a number, or a range like `8000-8010` for probes).
    pub port: String,
}

/// Split a target written `HOST:PORT`, `[IPv6]:PORT`, or `HOST` with the port as a second
/// argument (a bare IPv6 address like `::1` takes its port that way). The error is a sentence for
/// the user.
pub fn split_host_port(target: &str, port: Option<&str>) -> Result<HostPort, String> {
    let (host, inline_port) = if let Some(rest) = target.strip_prefix('[') {
        let Some((host, after)) = rest.split_once(']') else {
            return Err(format!("`{target}` lacks the closing `]`"));
        };
        match after {
            "" => (host, None),
            _ => match after.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None => return Err(format!("`{target}`: expected `:PORT` after `]`")),
            },
        }
    } else {
        match target.split_once(':') {
            Some((host, port)) if !port.contains(':') => (host, Some(port)),
            // No colon, or several: a bare IPv6 address, whose port can only come separately.
            _ => (target, None),
        }
    };
    if host.is_empty() {
        return Err(format!("`{target}` has no host"));
    }
    let port = match (inline_port, port) {
        (Some(_), Some(extra)) => {
            return Err(format!(
                "`{target}` already has a port; unexpected `{extra}`"
            ));
        }
        (Some(port), None) | (None, Some(port)) => port,
        (None, None) if host.contains(':') => {
            return Err(format!(
                "no port for `{target}` (write [{host}]:PORT or {host} PORT)"
            ));
        }
        (None, None) => {
            return Err(format!(
                "no port for `{target}` (write {host}:PORT or {host} PORT)"
            ));
        }
    };
    if port.is_empty() {
        return Err(format!("`{target}` has an empty port"));
    }
    Ok(HostPort {
        host: host.to_string(),
        port: port.to_string(),
    })
}

/// A port number to connect to: 1 to 65535.
pub fn parse_port(text: &str) -> Result<u16, String> {
    match text.parse::<u16>() {
        Ok(0) => Err("port 0 cannot be connected to (use 1 to 65535)".to_string()),
        Ok(port) => Ok(port),
        Err(_) => Err(format!("`{text}` is not a port (use 1 to 65535)")),
    }
}

/// A port or a range of ports, `8000` or `8000-8010`.
pub fn parse_port_range(text: &str) -> Result<std::ops::RangeInclusive<u16>, String> {
    match text.split_once('-') {
        None => parse_port(text).map(|port| port..=port),
        Some((first, last)) => {
            let (first, last) = (parse_port(first)?, parse_port(last)?);
            if first > last {
                return Err(format!("port range `{text}` runs backwards"));
            }
            Ok(first..=last)
        }
    }
}

/// Every address `host` resolves to (IPv6 and IPv4, in the resolver's order, no duplicates).
/// An address is taken as it is, without asking the resolver.
pub fn resolve(host: &str, port: u16) -> anyhow::Result<Vec<SocketAddr>> {
    use std::net::ToSocketAddrs;
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let found = (host, port).to_socket_addrs().map_err(|err| {
        // std says "failed to lookup address information: Name or service not known".
        let text = err.to_string();
        let cause = text
            .strip_prefix("failed to lookup address information: ")
            .unwrap_or(&text);
        anyhow::anyhow!("resolve {host}: {}", lowercase_first(cause))
    })?;
    let mut addrs: Vec<SocketAddr> = Vec::new();
    for addr in found {
        if !addrs.contains(&addr) {
            addrs.push(addr);
        }
    }
    if addrs.is_empty() {
        anyhow::bail!("resolve {host}: no address found");
    }
    Ok(addrs)
}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A peer's address as people expect to read it: an IPv4 client of a dual-stack listener shows
/// as `127.0.0.1:5000`, not `[::ffff:127.0.0.1]:5000`.
pub fn canonical(addr: SocketAddr) -> SocketAddr {
    SocketAddr::new(addr.ip().to_canonical(), addr.port())
}

/// Raise the soft limit on open files to the hard limit, so a server with many clients does not
/// run out of descriptors at the usual soft limit of 1024.
pub fn raise_fd_limit() {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    if let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE)
        && soft < hard
    {
        let _ = setrlimit(Resource::RLIMIT_NOFILE, hard, hard);
    }
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

/// A duration as flags are written: `250ms`, `300s`, `1.5s`.
pub fn format_duration(duration: std::time::Duration) -> String {
    if duration < std::time::Duration::from_secs(1) {
        format!("{}ms", duration.as_millis())
    } else if duration.subsec_millis() == 0 {
        format!("{}s", duration.as_secs())
    } else {
        let text = format!("{:.3}", duration.as_secs_f64());
        format!("{}s", text.trim_end_matches('0'))
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
    #[test]
    fn targets_split() {
        let split = |t: &str, p: Option<&str>| split_host_port(t, p).map(|hp| (hp.host, hp.port));
        let ok = |h: &str, p: &str| Ok((h.to_string(), p.to_string()));
        assert_eq!(split("127.0.0.1:8881", None), ok("127.0.0.1", "8881"));
        assert_eq!(split("example.org", Some("80")), ok("example.org", "80"));
        assert_eq!(split("[::1]:7", None), ok("::1", "7"));
        assert_eq!(split("[::1]", Some("7")), ok("::1", "7"));
        assert_eq!(split("::1", Some("7")), ok("::1", "7"));
        assert_eq!(split("h:8000-8010", None), ok("h", "8000-8010"));
        assert!(split("::1", None).unwrap_err().contains("[::1]:PORT"));
        assert!(split("example.org", None).is_err());
        assert!(split("h:1", Some("2")).is_err());
        assert!(split(":80", None).is_err());
        assert!(split("h:", None).is_err());
        assert!(split("[::1", Some("7")).is_err());
        assert!(split("[::1]x", None).is_err());
    }

    #[test]
    fn ports_parse() {
        assert_eq!(parse_port("8881"), Ok(8881));
        assert!(parse_port("0").is_err());
        assert!(parse_port("65536").is_err());
        assert!(parse_port("http").is_err());
        assert_eq!(parse_port_range("8000-8002"), Ok(8000..=8002));
        assert_eq!(parse_port_range("22"), Ok(22..=22));
        assert!(parse_port_range("9-8").is_err());
        assert!(parse_port_range("1-").is_err());
    }

    #[test]
    fn resolve_takes_addresses_as_they_are() {
        let addrs = resolve("::1", 7).unwrap();
        assert_eq!(addrs, vec!["[::1]:7".parse().unwrap()]);
        let addrs = resolve("localhost", 80).unwrap();
        assert!(addrs.iter().all(|a| a.ip().is_loopback()), "{addrs:?}");
    }

    #[test]
    fn durations_read_as_flags() {
        use std::time::Duration;
        assert_eq!(format_duration(Duration::from_millis(250)), "250ms");
        assert_eq!(format_duration(Duration::from_secs(300)), "300s");
        assert_eq!(format_duration(Duration::from_millis(1500)), "1.5s");
    }

    #[test]
    fn mapped_addresses_read_as_ipv4() {
        let mapped: SocketAddr = "[::ffff:127.0.0.1]:5000".parse().unwrap();
        assert_eq!(canonical(mapped).to_string(), "127.0.0.1:5000");
    }
}
