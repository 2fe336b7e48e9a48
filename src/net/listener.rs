//! What a server accepts from: [`Listener`] is a TCP or Unix listening socket, [`Listeners`]
//! every socket one server listens on (one per address a name resolved to), and [`Peer`] names
//! who connected, as the logs do. Each accepted connection is a [`Stream`].

use std::fmt;
use std::io;
use std::net::{SocketAddr, TcpListener};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::os::unix::net::{UnixListener, UnixStream};

use super::stream::Stream;

/// A listening socket.
#[derive(Debug)]
pub enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener),
}

impl Listener {
    /// Take the next connection (blocking unless the listener was made non-blocking).
    pub fn accept(&self) -> io::Result<(Stream, Peer)> {
        match self {
            Listener::Tcp(listener) => {
                let (stream, addr) = crate::explain::accept(listener, listener.accept())?;
                Ok((Stream::Tcp(stream), Peer::Tcp(super::canonical(addr))))
            }
            Listener::Unix(listener) => {
                let (stream, _) = listener.accept()?;
                let peer = Peer::of_unix(&stream);
                Ok((Stream::Unix(stream), peer))
            }
        }
    }

    /// Where it listens, as the first stderr line gives it: `tcp://127.0.0.1:8881`,
    /// `tcp://[::1]:8881`, `unix:/tmp/lab.sock`.
    pub fn location(&self) -> anyhow::Result<String> {
        Ok(match self {
            Listener::Tcp(listener) => format!("tcp://{}", listener.local_addr()?),
            Listener::Unix(listener) => {
                let addr = listener.local_addr()?;
                match addr.as_pathname() {
                    Some(path) => format!("unix:{}", path.display()),
                    None => "unix:(unnamed)".to_string(),
                }
            }
        })
    }

    pub fn set_nonblocking(&self, nonblocking: bool) -> io::Result<()> {
        match self {
            Listener::Tcp(listener) => listener.set_nonblocking(nonblocking),
            Listener::Unix(listener) => listener.set_nonblocking(nonblocking),
        }
    }
}

/// Every socket a server listens on: one, or one per address a `--host` name resolved to. The
/// blocking models accept from several through poll(2), the event loops register each.
#[derive(Debug)]
pub struct Listeners {
    all: Vec<Listener>,
    /// Where the next poll(2) round starts looking, so one busy listener cannot starve another.
    next: std::sync::atomic::AtomicUsize,
}

impl Listeners {
    /// At least one listener. Several are made non-blocking: [`Listeners::accept`] waits in
    /// poll(2) and then takes from whichever is ready.
    pub fn new(all: Vec<Listener>) -> io::Result<Listeners> {
        assert!(!all.is_empty(), "a server listens somewhere");
        if all.len() > 1 {
            for listener in &all {
                listener.set_nonblocking(true)?;
            }
        }
        Ok(Listeners {
            all,
            next: std::sync::atomic::AtomicUsize::new(0),
        })
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Listener> {
        self.all.iter()
    }

    /// Take the next connection from any of them, blocking until one comes (a single listener:
    /// plain `accept`, as before). After [`Listeners::wakers`]' shutdown, fails like `accept`.
    pub fn accept(&self) -> io::Result<(Stream, Peer)> {
        use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
        use std::sync::atomic::Ordering;
        if let [only] = self.all.as_slice() {
            return only.accept();
        }
        loop {
            let mut fds: Vec<PollFd<'_>> = self
                .all
                .iter()
                .map(|listener| PollFd::new(listener.as_fd(), PollFlags::POLLIN))
                .collect();
            match poll(&mut fds, PollTimeout::NONE) {
                Ok(_) => {}
                Err(nix::errno::Errno::EINTR) => continue,
                Err(err) => return Err(err.into()),
            }
            let ready: Vec<bool> = fds
                .iter()
                .map(|fd| fd.revents().is_some_and(|r| !r.is_empty()))
                .collect();
            let start = self.next.fetch_add(1, Ordering::Relaxed);
            for i in 0..self.all.len() {
                let at = (start + i) % self.all.len();
                if !ready[at] {
                    continue;
                }
                match self.all[at].accept() {
                    Err(err) if err.kind() == io::ErrorKind::WouldBlock => {}
                    accepted => return accepted,
                }
            }
        }
    }

    /// What wakes a thread blocked in [`Listeners::accept`] on every one of them.
    pub fn wakers(&self) -> impl Fn() + Send + 'static {
        let fds: Vec<RawFd> = self.all.iter().map(AsRawFd::as_raw_fd).collect();
        move || {
            for fd in &fds {
                super::wake_acceptor(*fd)();
            }
        }
    }

    /// The `listening on` location of each, in order: the first is the one scripts read.
    pub fn locations(&self) -> anyhow::Result<Vec<String>> {
        self.all.iter().map(Listener::location).collect()
    }

    pub fn set_nonblocking(&self, nonblocking: bool) -> io::Result<()> {
        self.all
            .iter()
            .try_for_each(|listener| listener.set_nonblocking(nonblocking))
    }
}

impl AsFd for Listener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        match self {
            Listener::Tcp(listener) => listener.as_fd(),
            Listener::Unix(listener) => listener.as_fd(),
        }
    }
}

impl AsRawFd for Listener {
    fn as_raw_fd(&self) -> RawFd {
        self.as_fd().as_raw_fd()
    }
}

/// Who connected, as the log names them.
#[derive(Debug, Clone, Copy)]
pub enum Peer {
    Tcp(SocketAddr),
    /// A Unix socket client; its process and user when they were asked for (only when logging).
    Unix(Option<(i32, u32)>),
}

impl Peer {
    /// A Unix client has no address worth printing; its process is. Asked only when the log
    /// will show it, to keep the accept path to one system call.
    fn of_unix(stream: &UnixStream) -> Peer {
        if !crate::log::enabled() {
            return Peer::Unix(None);
        }
        use nix::sys::socket::{getsockopt, sockopt::PeerCredentials};
        Peer::Unix(
            getsockopt(stream, PeerCredentials)
                .ok()
                .map(|cred| (cred.pid(), cred.uid())),
        )
    }
}

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Peer::Tcp(addr) => write!(f, "{addr}"),
            Peer::Unix(Some((pid, uid))) => write!(f, "pid {pid} (uid {uid})"),
            Peer::Unix(None) => f.write_str("a unix socket client"),
        }
    }
}
