//! A TLS session on its TCP socket: reads and writes through a shared reference, never holding
//! its lock while it waits.

use super::*;

/// A TLS session on a TCP socket.
pub struct Tls {
    socket: TcpStream,
    conn: Mutex<rustls::Connection>,
    nonblocking: AtomicBool,
    /// Timeouts in nanoseconds, 0 for none (as `SO_RCVTIMEO` and `SO_SNDTIMEO`).
    read_timeout: AtomicU64,
    write_timeout: AtomicU64,
    /// The first bytes from the peer were looked at (a TLS record, or not TLS at all).
    checked: AtomicBool,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls").field("socket", &self.socket).finish()
    }
}

/// The peer did not speak TLS: what it sent instead, in words.
#[derive(Debug)]
pub struct NotTls {
    /// Its first bytes read as an HTTP request.
    pub plain_http: bool,
    /// The start of what it sent, as text (for a client's message).
    pub sample: String,
}

impl std::fmt::Display for NotTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.plain_http {
            f.write_str("not TLS: the client spoke plain HTTP")
        } else {
            f.write_str("not TLS: the peer sent something that is not a TLS handshake")
        }
    }
}

impl std::error::Error for NotTls {}

/// The [`NotTls`] inside an I/O error, when that is why it failed.
pub fn not_tls(err: &io::Error) -> Option<&NotTls> {
    err.get_ref()?.downcast_ref::<NotTls>()
}

/// The rustls error inside an I/O error, when the session failed.
pub fn rustls_error(err: &io::Error) -> Option<&rustls::Error> {
    err.get_ref()?.downcast_ref::<rustls::Error>()
}

/// A socket call that never waits: `recv`/`send` with `MSG_DONTWAIT`.
pub(super) struct Dontwait<'a>(&'a TcpStream);

impl Read for Dontwait<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        use nix::sys::socket::{MsgFlags, recv};
        use std::os::fd::AsRawFd;
        recv(self.0.as_raw_fd(), buf, MsgFlags::MSG_DONTWAIT).map_err(Into::into)
    }
}

impl Write for Dontwait<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        use nix::sys::socket::{MsgFlags, send};
        use std::os::fd::AsRawFd;
        send(
            self.0.as_raw_fd(),
            buf,
            MsgFlags::MSG_DONTWAIT | MsgFlags::MSG_NOSIGNAL,
        )
        .map_err(Into::into)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The peer closed or reset: nothing more can be sent to it.
fn peer_gone(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
    )
}

pub(super) fn lock(
    conn: &Mutex<rustls::Connection>,
) -> std::sync::MutexGuard<'_, rustls::Connection> {
    crate::net::lock(conn)
}

impl Tls {
    /// The server's side of a connection just accepted; the handshake happens as it is read.
    pub fn server(config: &Arc<ServerConfig>, socket: TcpStream) -> io::Result<Tls> {
        let conn = rustls::ServerConnection::new(Arc::clone(config)).map_err(io::Error::other)?;
        Ok(Tls::new(rustls::Connection::Server(conn), socket))
    }

    /// The client's side, for `name` (SNI and the name the certificate must hold).
    pub fn client(
        config: &Arc<ClientConfig>,
        name: ServerName<'static>,
        socket: TcpStream,
    ) -> io::Result<Tls> {
        let conn =
            rustls::ClientConnection::new(Arc::clone(config), name).map_err(io::Error::other)?;
        Ok(Tls::new(rustls::Connection::Client(conn), socket))
    }

    fn new(mut conn: rustls::Connection, socket: TcpStream) -> Tls {
        // Bounded by the callers: a blocking write sends everything before it returns, a
        // non-blocking one takes nothing while earlier bytes still wait.
        conn.set_buffer_limit(None);
        Tls {
            socket,
            conn: Mutex::new(conn),
            nonblocking: AtomicBool::new(false),
            read_timeout: AtomicU64::new(0),
            write_timeout: AtomicU64::new(0),
            checked: AtomicBool::new(false),
        }
    }

    pub fn socket(&self) -> &TcpStream {
        &self.socket
    }

    pub fn set_nonblocking(&self, nonblocking: bool) -> io::Result<()> {
        self.socket.set_nonblocking(nonblocking)?;
        self.nonblocking.store(nonblocking, Ordering::Relaxed);
        Ok(())
    }

    pub fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        store_timeout(&self.read_timeout, timeout)
    }

    pub fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        store_timeout(&self.write_timeout, timeout)
    }

    pub fn is_handshaking(&self) -> bool {
        lock(&self.conn).is_handshaking()
    }

    /// Encrypted bytes wait for room in the socket.
    pub fn wants_write(&self) -> bool {
        lock(&self.conn).wants_write()
    }

    /// Whether the handshake resumed an earlier session (a ticket, or a TLS 1.2 session id).
    pub fn resumed(&self) -> bool {
        matches!(
            lock(&self.conn).handshake_kind(),
            Some(rustls::HandshakeKind::Resumed)
        )
    }

    /// The protocol the handshake agreed on with ALPN, if any.
    pub fn alpn(&self) -> Option<Vec<u8>> {
        lock(&self.conn).alpn_protocol().map(<[u8]>::to_vec)
    }

    /// `TLSv1.3 TLS13_AES_256_GCM_SHA384, ALPN http/1.1, a full handshake`, once the
    /// handshake is done.
    pub fn describe(&self) -> String {
        describe_state(&lock(&self.conn))
    }

    fn deadline(timeout: &AtomicU64) -> Option<Instant> {
        match timeout.load(Ordering::Relaxed) {
            0 => None,
            nanos => Some(Instant::now() + Duration::from_nanos(nanos)),
        }
    }

    /// Send what the session has to send without waiting; whether all of it went.
    fn send_some(&self, conn: &mut rustls::Connection) -> io::Result<bool> {
        while conn.wants_write() {
            match conn.write_tls(&mut Dontwait(&self.socket)) {
                Ok(_) => {}
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Err(err),
            }
        }
        Ok(true)
    }

    /// Take what has arrived into the session without waiting (`WouldBlock` when nothing has);
    /// whether the peer has closed the connection.
    fn receive(&self, conn: &mut rustls::Connection) -> io::Result<bool> {
        if !self.checked.load(Ordering::Relaxed) {
            self.check_first_bytes(conn)?;
        }
        let ended = conn.read_tls(&mut Dontwait(&self.socket))? == 0;
        let handshaking = conn.is_handshaking();
        if let Err(err) = conn.process_new_packets() {
            // The alert that says why, if the socket takes it.
            let _ = self.send_some(conn);
            return Err(io::Error::new(io::ErrorKind::InvalidData, err));
        }
        // Every handshake ends on a message from the peer, so here, whichever path (a blocking
        // handshake, an event loop's step, or a first read) drove it.
        if handshaking && !conn.is_handshaking() {
            crate::explain::tls_done(std::os::fd::AsRawFd::as_raw_fd(&self.socket), || {
                describe_state(conn)
            });
        }
        Ok(ended)
    }

    /// Before the first record: a TLS peer's first byte is a handshake record (22), or an
    /// alert (21) from a server. Anything else is someone speaking another protocol.
    fn check_first_bytes(&self, conn: &rustls::Connection) -> io::Result<()> {
        use nix::sys::socket::{MsgFlags, recv};
        use std::os::fd::AsRawFd;
        let mut peek = [0u8; 48];
        let n = recv(
            self.socket.as_raw_fd(),
            &mut peek,
            MsgFlags::MSG_PEEK | MsgFlags::MSG_DONTWAIT,
        )
        .map_err(io::Error::from)?;
        if n == 0 {
            return Ok(());
        }
        self.checked.store(true, Ordering::Relaxed);
        let server = matches!(conn, rustls::Connection::Server(_));
        let tls = peek[0] == 22 || (!server && peek[0] == 21);
        if tls {
            return Ok(());
        }
        let sample = String::from_utf8_lossy(&peek[..n]).into_owned();
        let plain_http = server
            && peek[..n]
                .iter()
                .take_while(|b| b.is_ascii_uppercase())
                .count()
                >= 3;
        Err(io::Error::new(
            io::ErrorKind::InvalidData,
            NotTls { plain_http, sample },
        ))
    }

    /// Wait for the socket with the session unlocked; `WouldBlock` once `deadline` passes (as
    /// a socket timeout reads).
    fn wait(&self, write: bool, read: bool, deadline: Option<Instant>) -> io::Result<()> {
        use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
        let mut flags = PollFlags::empty();
        if read {
            flags |= PollFlags::POLLIN;
        }
        if write {
            flags |= PollFlags::POLLOUT;
        }
        loop {
            let timeout = match deadline {
                None => PollTimeout::NONE,
                Some(at) => {
                    let left = at.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Err(io::ErrorKind::WouldBlock.into());
                    }
                    let millis = left.as_millis().saturating_add(1).min(i32::MAX as u128);
                    PollTimeout::try_from(millis).unwrap_or(PollTimeout::MAX)
                }
            };
            match poll(&mut [PollFd::new(self.socket.as_fd(), flags)], timeout) {
                Ok(0) => continue,
                Ok(_) => return Ok(()),
                Err(nix::errno::Errno::EINTR) => {}
                Err(err) => return Err(err.into()),
            }
        }
    }

    /// Read plaintext, as a socket reads: `Ok(0)` at the end, `WouldBlock` when non-blocking
    /// and nothing has come (or the read timeout passed).
    pub fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let deadline = Tls::deadline(&self.read_timeout);
        loop {
            let mut conn = lock(&self.conn);
            match conn.reader().read(buf) {
                Ok(n) => return Ok(n),
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {}
                // The peer closed without close_notify: an end, as most clients end.
                Err(err) if err.kind() == io::ErrorKind::UnexpectedEof => return Ok(0),
                Err(err) => return Err(err),
            }
            // Anything the session has to say (handshake, tickets, alerts) goes first. A peer
            // that no longer takes bytes may still have said why it stopped (a TLS 1.3 server
            // refusing our certificate sends its alert after our first data): what cannot go
            // out no longer matters to reading that.
            let sent = match self.send_some(&mut conn) {
                Err(err) if peer_gone(&err) => true,
                sent => sent?,
            };
            match self.receive(&mut conn) {
                Ok(_) => continue,
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {}
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(err),
            }
            drop(conn);
            if self.nonblocking.load(Ordering::Relaxed) {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            self.wait(!sent, true, deadline)?;
        }
    }

    /// Write plaintext. Blocking: every byte is on the socket before it returns. Non-blocking:
    /// nothing is taken while earlier bytes still wait for room (`WouldBlock`), else all of it
    /// is (what the socket does not take waits in the session; see [`Tls::flush_pending`]).
    pub fn write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let deadline = Tls::deadline(&self.write_timeout);
        let nonblocking = self.nonblocking.load(Ordering::Relaxed);
        loop {
            let mut conn = lock(&self.conn);
            if !self.send_some(&mut conn)? {
                drop(conn);
                if nonblocking {
                    return Err(io::ErrorKind::WouldBlock.into());
                }
                self.wait(true, false, deadline)?;
                continue;
            }
            let n = conn.writer().write_vectored(bufs)?;
            let all = self.send_some(&mut conn)?;
            drop(conn);
            if !all && !nonblocking {
                self.flush_until(deadline)?;
            }
            return Ok(n);
        }
    }

    pub fn write(&self, buf: &[u8]) -> io::Result<usize> {
        self.write_vectored(&[IoSlice::new(buf)])
    }

    /// Send what waits in the session: `Ok(true)` once all of it is out; non-blocking,
    /// `Ok(false)` when the socket takes no more for now.
    pub fn flush_pending(&self) -> io::Result<bool> {
        if self.nonblocking.load(Ordering::Relaxed) {
            return self.send_some(&mut lock(&self.conn));
        }
        self.flush_until(Tls::deadline(&self.write_timeout))?;
        Ok(true)
    }

    fn flush_until(&self, deadline: Option<Instant>) -> io::Result<()> {
        loop {
            if self.send_some(&mut lock(&self.conn))? {
                return Ok(());
            }
            self.wait(true, false, deadline)?;
        }
    }

    /// Finish the handshake on a blocking socket within `timeout`.
    pub fn handshake(&self, timeout: Duration) -> io::Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            let mut conn = lock(&self.conn);
            let sent = self.send_some(&mut conn)?;
            if !conn.is_handshaking() {
                drop(conn);
                return if sent {
                    Ok(())
                } else {
                    self.flush_until(Some(deadline))
                };
            }
            match self.receive(&mut conn) {
                Ok(true) if conn.is_handshaking() => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the peer closed the connection during the TLS handshake",
                    ));
                }
                Ok(_) => continue,
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {}
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(err),
            }
            drop(conn);
            self.wait(!sent, true, Some(deadline)).map_err(|err| {
                if crate::net::is_timeout(&err) {
                    io::Error::new(io::ErrorKind::TimedOut, "the TLS handshake took too long")
                } else {
                    err
                }
            })?;
        }
    }

    /// One non-blocking step of the handshake; whether it is still going.
    pub fn advance_handshake(&self) -> io::Result<bool> {
        let mut conn = lock(&self.conn);
        loop {
            self.send_some(&mut conn)?;
            if !conn.is_handshaking() {
                return Ok(false);
            }
            match self.receive(&mut conn) {
                Ok(true) if conn.is_handshaking() => {
                    return Err(io::ErrorKind::UnexpectedEof.into());
                }
                Ok(_) => {}
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => return Ok(true),
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Err(err),
            }
        }
    }

    /// Say the data is over (close_notify), then FIN — once every byte before it is out (a
    /// non-blocking socket without room leaves the FIN to the close).
    pub fn shutdown(&self, how: std::net::Shutdown) -> io::Result<()> {
        if how != std::net::Shutdown::Read {
            lock(&self.conn).send_close_notify();
            if !self.flush_pending()? {
                return Ok(());
            }
        }
        self.socket.shutdown(how)
    }

    /// Read and forget plaintext that has already arrived, without waiting; whether there was
    /// any.
    pub fn drain_unread(&self, scratch: &mut [u8]) -> bool {
        let mut any = false;
        let mut conn = lock(&self.conn);
        for _ in 0..16 {
            match conn.reader().read(scratch) {
                Ok(0) => break,
                Ok(_) => {
                    any = true;
                    continue;
                }
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {}
                Err(_) => break,
            }
            if self.receive(&mut conn).is_err() {
                break;
            }
        }
        any
    }

    /// The subject of the certificate the peer presented (a client under `--tls-client-ca`),
    /// once the handshake is done.
    pub fn peer_subject(&self) -> Option<String> {
        let conn = lock(&self.conn);
        let cert = conn.peer_certificates()?.first()?;
        names_of(cert).map(|(subject, _)| subject)
    }

    /// The certificates the peer presented, its own first.
    pub fn peer_certificates(&self) -> Vec<CertificateDer<'static>> {
        lock(&self.conn)
            .peer_certificates()
            .map(|certs| certs.iter().map(|c| c.clone().into_owned()).collect())
            .unwrap_or_default()
    }
}

/// What a handshake agreed on, for `-v`: `TLSv1.3 TLS13_AES_256_GCM_SHA384, ALPN http/1.1, a
/// full handshake` (`connect` and `fetch` say it alike).
pub fn describe_state(conn: &rustls::CommonState) -> String {
    let version = conn
        .protocol_version()
        .map(|v| match v {
            rustls::ProtocolVersion::TLSv1_3 => "TLSv1.3".to_string(),
            rustls::ProtocolVersion::TLSv1_2 => "TLSv1.2".to_string(),
            other => format!("{other:?}"),
        })
        .unwrap_or_default();
    let suite = conn
        .negotiated_cipher_suite()
        .map(|s| format!("{:?}", s.suite()))
        .unwrap_or_default();
    let alpn = conn
        .alpn_protocol()
        .map(|p| format!(", ALPN {}", String::from_utf8_lossy(p)))
        .unwrap_or_else(|| ", no ALPN".into());
    let kind = match conn.handshake_kind() {
        Some(rustls::HandshakeKind::Resumed) => "the session resumed",
        _ => "a full handshake",
    };
    format!("{version} {suite}{alpn}, {kind}")
}

pub(super) fn store_timeout(slot: &AtomicU64, timeout: Option<Duration>) -> io::Result<()> {
    if timeout == Some(Duration::ZERO) {
        return Err(io::ErrorKind::InvalidInput.into());
    }
    let nanos = timeout.map_or(0, |t| u64::try_from(t.as_nanos()).unwrap_or(u64::MAX));
    slot.store(nanos, Ordering::Relaxed);
    Ok(())
}

impl Drop for Tls {
    /// Tell the peer the data ended here (close_notify), if the socket takes it at once.
    fn drop(&mut self) {
        let mut conn = lock(&self.conn);
        if !conn.is_handshaking() {
            conn.send_close_notify();
        }
        let _ = self.send_some(&mut conn);
    }
}

// ---------------------------------------------------------------------------------------------
// The server's certificate.
