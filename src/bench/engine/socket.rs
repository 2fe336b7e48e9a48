//! A load connection's socket: plain TCP, or TLS on it (`bench http https://…`,
//! `bench tcp --tls`). The TLS session is netlab's one client session (`net::tls::Tls`), driven
//! without blocking from the worker's event loop.

use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::sync::Arc;

use mio::net::TcpStream;
use rustls::ClientConfig;
use rustls::pki_types::{CertificateDer, ServerName};

use crate::net::tls::{Presented, Tls};

/// What a TLS run's connections trust and the name they ask for (SNI).
#[derive(Clone)]
pub struct TlsClient {
    pub config: Arc<ClientConfig>,
    pub name: ServerName<'static>,
    /// The host, and `HOST:PORT`, for the words of a failed handshake.
    pub host: String,
    pub authority: String,
    /// What to do about an untrusted certificate (`--cacert`, `--insecure`).
    pub hint: &'static str,
    /// The certificate the server presented last (kept by the verifier).
    pub presented: Presented,
}

impl std::fmt::Debug for TlsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsClient")
            .field("name", &self.name)
            .finish()
    }
}

impl TlsClient {
    /// A failed session in one sentence (the words `connect --tls` and `fetch` use).
    pub fn explain(&self, err: &io::Error) -> String {
        let certs: Vec<CertificateDer<'static>> =
            crate::net::lock(&self.presented).iter().cloned().collect();
        let why =
            crate::net::tls::handshake_failure(err, &self.host, &self.authority, &certs, self.hint);
        format!("{why:#}")
    }
}

/// A connection's socket.
pub enum Socket {
    Plain(TcpStream),
    Tls(Box<Tls>),
}

impl Socket {
    /// A connected (or connecting) socket, already registered, with a TLS client session on
    /// it when `tls` says so.
    pub fn new(stream: TcpStream, tls: Option<&TlsClient>) -> io::Result<Socket> {
        let Some(tls) = tls else {
            return Ok(Socket::Plain(stream));
        };
        // The same descriptor, still non-blocking and registered; the session owns it now.
        let fd: std::os::fd::OwnedFd = stream.into();
        let session = Tls::client(&tls.config, tls.name.clone(), std::net::TcpStream::from(fd))?;
        session.set_nonblocking(true)?;
        Ok(Socket::Tls(Box::new(session)))
    }

    pub fn is_tls(&self) -> bool {
        matches!(self, Socket::Tls(_))
    }

    /// One step of the TLS handshake: `Ok(true)` while it goes on (a plain socket has none).
    pub fn handshake(&mut self) -> io::Result<bool> {
        match self {
            Socket::Plain(_) => Ok(false),
            Socket::Tls(tls) => match tls.advance_handshake() {
                // Still connecting: the writable event comes.
                Err(err) if err.kind() == io::ErrorKind::NotConnected => Ok(true),
                other => other,
            },
        }
    }

    /// The handshake's first flight has left (so the connection was up).
    pub fn hello_sent(&self) -> bool {
        match self {
            Socket::Plain(_) => true,
            Socket::Tls(tls) => !tls.wants_write(),
        }
    }

    /// Whether this session resumed an earlier one (TLS 1.3 ticket or 1.2 session id).
    pub fn resumed(&self) -> bool {
        match self {
            Socket::Plain(_) => false,
            Socket::Tls(tls) => tls.resumed(),
        }
    }

    /// Write what is left of `request` from `*sent`; `Ok(true)` once all of it is on the
    /// socket, `Ok(false)` when the socket takes no more for now (the writable event comes).
    pub fn send(&mut self, request: &[u8], sent: &mut usize) -> io::Result<bool> {
        match self {
            Socket::Plain(stream) => loop {
                match stream.write(&request[*sent..]) {
                    Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                    Ok(n) => {
                        *sent += n;
                        if *sent == request.len() {
                            return Ok(true);
                        }
                    }
                    // Not connected yet, or the send buffer is full.
                    Err(err)
                        if matches!(
                            err.kind(),
                            io::ErrorKind::WouldBlock | io::ErrorKind::NotConnected
                        ) =>
                    {
                        return Ok(false);
                    }
                    Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                    Err(err) => return Err(err),
                }
            },
            Socket::Tls(tls) => {
                if *sent == 0 {
                    // The session takes all of it at once, or nothing while earlier bytes wait.
                    match tls.write(request) {
                        Ok(n) => *sent = n,
                        Err(err) if err.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                        Err(err) => return Err(err),
                    }
                }
                tls.flush_pending()
            }
        }
    }

    pub fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Socket::Plain(stream) => stream.read(buf),
            Socket::Tls(tls) => tls.read(buf),
        }
    }

    pub fn shutdown_write(&mut self) -> io::Result<()> {
        match self {
            Socket::Plain(stream) => stream.shutdown(Shutdown::Write),
            Socket::Tls(tls) => tls.shutdown(Shutdown::Write),
        }
    }
}
