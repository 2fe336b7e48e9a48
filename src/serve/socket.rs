//! The two stream transports behind one listener type and one connection type, so every model
//! serves TCP and Unix sockets with the same code; and how a peer is named in the log.

use std::fmt;
use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::os::unix::net::{UnixListener, UnixStream};

use crate::net;

/// A listening socket.
#[derive(Debug)]
pub enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener),
}

/// An accepted connection.
#[derive(Debug)]
pub enum Conn {
    Tcp(TcpStream),
    Unix(UnixStream),
}

/// Who connected, as the log names them.
#[derive(Debug, Clone, Copy)]
pub enum Peer {
    Tcp(SocketAddr),
    /// A Unix socket client; its process and user when they were asked for (only when logging).
    Unix(Option<(i32, u32)>),
}

impl Listener {
    /// Take the next connection (blocking unless the listener was made non-blocking).
    pub fn accept(&self) -> io::Result<(Conn, Peer)> {
        match self {
            Listener::Tcp(listener) => {
                let (stream, addr) = listener.accept()?;
                Ok((Conn::Tcp(stream), Peer::Tcp(net::canonical(addr))))
            }
            Listener::Unix(listener) => {
                let (stream, _) = listener.accept()?;
                let peer = Peer::of_unix(&stream);
                Ok((Conn::Unix(stream), peer))
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

impl Conn {
    pub fn set_nonblocking(&self, nonblocking: bool) -> io::Result<()> {
        match self {
            Conn::Tcp(stream) => stream.set_nonblocking(nonblocking),
            Conn::Unix(stream) => stream.set_nonblocking(nonblocking),
        }
    }
}

impl AsFd for Conn {
    fn as_fd(&self) -> BorrowedFd<'_> {
        match self {
            Conn::Tcp(stream) => stream.as_fd(),
            Conn::Unix(stream) => stream.as_fd(),
        }
    }
}

impl AsRawFd for Conn {
    fn as_raw_fd(&self) -> RawFd {
        self.as_fd().as_raw_fd()
    }
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
