//! TLS on a TCP socket, for every verb: the session ([`Tls`], one more kind of
//! [`Stream`](super::Stream)), what a server presents ([`ServerTls`]: a certificate from PEM
//! files or a fresh self-signed one) and what a client trusts ([`client_config`]: the system's
//! CA store and the bundled Mozilla roots, or `--cacert`).
//!
//! One crypto provider for the whole binary: ring (see Cargo.toml). A session is a rustls
//! connection behind a lock next to its socket, so it reads and writes through a shared
//! reference as a socket does: an event loop reads while it holds the connection's other state,
//! and `connect` sends on one thread while it receives on another. The lock is never held while
//! waiting on the socket: every socket call is made with `MSG_DONTWAIT`, and a blocking caller
//! waits in poll(2) with the lock released (its timeouts are kept here, not on the socket).

use std::io::{self, IoSlice, Read, Write};
use std::net::TcpStream;
use std::os::fd::AsFd;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, ServerConfig, SignatureScheme};

use crate::exit::Code;

/// The one crypto provider.
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

const VERSIONS: &[&rustls::SupportedProtocolVersion] =
    &[&rustls::version::TLS13, &rustls::version::TLS12];

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
struct Dontwait<'a>(&'a TcpStream);

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

fn lock(conn: &Mutex<rustls::Connection>) -> std::sync::MutexGuard<'_, rustls::Connection> {
    super::lock(conn)
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

    /// The protocol the handshake agreed on with ALPN, if any.
    pub fn alpn(&self) -> Option<Vec<u8>> {
        lock(&self.conn).alpn_protocol().map(<[u8]>::to_vec)
    }

    /// `TLSv1.3 TLS13_AES_256_GCM_SHA384, ALPN http/1.1, a full handshake`, once the
    /// handshake is done.
    pub fn describe(&self) -> String {
        let conn = lock(&self.conn);
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
        if let Err(err) = conn.process_new_packets() {
            // The alert that says why, if the socket takes it.
            let _ = self.send_some(conn);
            return Err(io::Error::new(io::ErrorKind::InvalidData, err));
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
            // Anything the session has to say (handshake, tickets, alerts) goes first.
            let sent = self.send_some(&mut conn)?;
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
                if super::is_timeout(&err) {
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

    /// The certificates the peer presented, its own first.
    pub fn peer_certificates(&self) -> Vec<CertificateDer<'static>> {
        lock(&self.conn)
            .peer_certificates()
            .map(|certs| certs.iter().map(|c| c.clone().into_owned()).collect())
            .unwrap_or_default()
    }
}

fn store_timeout(slot: &AtomicU64, timeout: Option<Duration>) -> io::Result<()> {
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

/// What a TLS server presents, checked and ready.
#[derive(Clone)]
pub struct ServerTls {
    pub config: Arc<ServerConfig>,
    /// The SHA-256 of the certificate, `AB:CD:…`.
    pub fingerprint: String,
    pub handshake_timeout: Duration,
    /// What to say after the `listening on` line: the certificate is out of date.
    pub warning: Option<String>,
}

impl std::fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerTls")
            .field("fingerprint", &self.fingerprint)
            .finish()
    }
}

impl ServerTls {
    /// From the flags: `None` without TLS. `names` are what a self-signed certificate is made
    /// for (the host as typed and the addresses bound); `alpn` what the server speaks. Every
    /// failure is bad input (exit 2).
    pub fn from_args(
        args: &crate::cli::TlsArgs,
        names: &[String],
        alpn: &[&[u8]],
    ) -> anyhow::Result<Option<ServerTls>> {
        let (chain, key) = match (&args.tls_cert, &args.tls_key) {
            (Some(cert), Some(key)) => (read_certs(cert, "--tls-cert")?, read_key(key)?),
            (None, None) if args.tls => self_signed(names)?,
            (None, None) if args.tls_save_cert.is_some() => {
                return Err(Code::Usage.error("--tls-save-cert needs --tls or --tls-cert"));
            }
            (None, None) => return Ok(None),
            (Some(_), None) => return Err(Code::Usage.error("--tls-cert needs --tls-key")),
            (None, Some(_)) => return Err(Code::Usage.error("--tls-key needs --tls-cert")),
        };
        let fingerprint = fingerprint(&chain[0]);
        // Served all the same (a lab may want to show what clients make of it), with a warning
        // for after the `listening on` line.
        let warning = summary(&chain[0])
            .and_then(|info| out_of_date(&info, unix_now()))
            .map(|why| format!("--tls-cert: the certificate {why}; clients will refuse it"));
        if let Some(path) = &args.tls_save_cert {
            let pem: String = chain.iter().map(|cert| pem_of(cert)).collect();
            std::fs::write(path, pem).map_err(|err| {
                Code::Usage.error(format!(
                    "--tls-save-cert {}: {}",
                    path.display(),
                    super::error_text(&err)
                ))
            })?;
        }
        let mut config = ServerConfig::builder_with_provider(provider())
            .with_protocol_versions(VERSIONS)
            .context("TLS versions")?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|err| key_error(&err, args))?;
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        // Resumption: tickets (TLS 1.3 and 1.2) beside the default in-memory session cache.
        config.ticketer = rustls::crypto::ring::Ticketer::new().context("TLS session tickets")?;
        Ok(Some(ServerTls {
            config: Arc::new(config),
            fingerprint,
            handshake_timeout: args.tls_handshake_timeout,
            warning,
        }))
    }

    /// What the first stderr line adds: `TLS sha256 AB:CD:…`.
    pub fn summary(&self) -> String {
        format!("TLS sha256 {}", self.fingerprint)
    }

    /// The server's side of a connection just accepted.
    pub fn accept(&self, socket: TcpStream) -> io::Result<super::Stream> {
        Ok(super::Stream::Tls(Arc::new(Tls::server(
            &self.config,
            socket,
        )?)))
    }
}

fn key_error(err: &rustls::Error, args: &crate::cli::TlsArgs) -> anyhow::Error {
    let key = args
        .tls_key
        .as_deref()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let cert = args
        .tls_cert
        .as_deref()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    match err {
        rustls::Error::InconsistentKeys(_) => Code::Usage.error(format!(
            "--tls-key {key} does not match the certificate in --tls-cert {cert} (is it the key \
             that certificate was made for?)"
        )),
        rustls::Error::General(why) => Code::Usage.error(format!(
            "--tls-key {key}: not a key this server can use ({why}; RSA, ECDSA P-256/P-384 and \
             Ed25519 keys work)"
        )),
        other => Code::Usage.error(format!("--tls-cert {cert} with --tls-key {key}: {other}")),
    }
}

/// A fresh self-signed certificate (ECDSA P-256) for `names`.
fn self_signed(
    names: &[String],
) -> anyhow::Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)> {
    let mut params =
        rcgen::CertificateParams::new(names.to_vec()).context("make a TLS certificate")?;
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "netlab self-signed");
    let key = rcgen::KeyPair::generate().context("make a TLS key")?;
    let cert = params.self_signed(&key).context("make a TLS certificate")?;
    let der = PrivateKeyDer::try_from(key.serialize_der())
        .map_err(|why| anyhow::anyhow!("make a TLS key: {why}"))?;
    Ok((vec![cert.der().clone()], der))
}

/// The names a self-signed certificate is made for: the host as typed and every address bound
/// (for an unspecified address, `localhost` and the loopback addresses).
pub fn names_for(host: &str, addrs: &[std::net::SocketAddr]) -> Vec<String> {
    let mut names = Vec::new();
    let mut add = |name: String| {
        if !names.contains(&name) {
            names.push(name);
        }
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if bare.parse::<std::net::IpAddr>().is_err() && !bare.is_empty() {
        add(bare.to_string());
    }
    for addr in addrs {
        if addr.ip().is_unspecified() {
            add("localhost".into());
            add("127.0.0.1".into());
            add("::1".into());
        } else {
            add(addr.ip().to_string());
        }
    }
    names
}

/// The SHA-256 of a certificate, in upper-case hex pairs joined by colons (as openssl prints).
pub fn fingerprint(cert: &CertificateDer<'_>) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, cert.as_ref());
    digest
        .as_ref()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn pem_of(cert: &CertificateDer<'_>) -> String {
    use base64::Engine as _;
    let text = base64::engine::general_purpose::STANDARD.encode(cert.as_ref());
    let mut pem = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in text.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(line));
        pem.push('\n');
    }
    pem.push_str("-----END CERTIFICATE-----\n");
    pem
}

/// The file's bytes, or a usage error naming the flag.
fn read_file(path: &Path, flag: &str) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).map_err(|err| {
        Code::Usage.error(format!(
            "{flag} {}: {}",
            path.display(),
            super::error_text(&err)
        ))
    })
}

/// Every certificate in a PEM file (a chain, a bundle), in order; a file with none is bad
/// input.
pub fn read_certs(path: &Path, flag: &str) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let bytes = read_file(path, flag)?;
    let mut certs = Vec::new();
    for item in CertificateDer::pem_slice_iter(&bytes) {
        match item {
            Ok(cert) => certs.push(cert),
            Err(err) => {
                return Err(Code::Usage.error(format!(
                    "{flag} {}: not a readable PEM file ({err})",
                    path.display()
                )));
            }
        }
    }
    if certs.is_empty() {
        return Err(Code::Usage.error(format!(
            "{flag} {}: no certificate in it (a PEM file with -----BEGIN CERTIFICATE----- is \
             needed)",
            path.display()
        )));
    }
    Ok(certs)
}

fn read_key(path: &Path) -> anyhow::Result<PrivateKeyDer<'static>> {
    let bytes = read_file(path, "--tls-key")?;
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|_| {
        Code::Usage.error(format!(
            "--tls-key {}: no private key in it (a PEM file with -----BEGIN PRIVATE KEY-----, \
             RSA PRIVATE KEY or EC PRIVATE KEY is needed; an encrypted key is not read)",
            path.display()
        ))
    })
}

// ---------------------------------------------------------------------------------------------
// What a client trusts.

/// The system's CA store and the bundled Mozilla roots together, so a machine without
/// `ca-certificates` still reaches public sites and a company CA in the system store is trusted.
pub fn system_and_bundled_roots() -> Vec<CertificateDer<'static>> {
    let system = rustls_native_certs::load_native_certs();
    for err in &system.errors {
        crate::debug!("* system CA store: {err}");
    }
    crate::debug!(
        "* trusting {} system and {} bundled CA certificates",
        system.certs.len(),
        webpki_root_certs::TLS_SERVER_ROOT_CERTS.len()
    );
    let mut all = system.certs;
    all.extend(
        webpki_root_certs::TLS_SERVER_ROOT_CERTS
            .iter()
            .map(|der| der.clone().into_owned()),
    );
    all
}

/// A client's trust: `--cacert` alone when given (as curl), else the system and bundled roots;
/// or none at all (`--insecure`).
pub enum Trust {
    Default,
    CaCert(Vec<CertificateDer<'static>>),
    Insecure,
}

/// The certificate a server presented last, kept by the verifier (a failed handshake leaves
/// none in the session) so that a refusal can name its subject and issuer.
pub type Presented = Arc<Mutex<Option<CertificateDer<'static>>>>;

/// A client configuration for `connect --tls`, and where its verifier keeps what it saw.
pub fn client_config(
    trust: Trust,
    alpn: Vec<Vec<u8>>,
) -> anyhow::Result<(Arc<ClientConfig>, Presented)> {
    let builder = ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(VERSIONS)
        .context("TLS versions")?;
    let presented = Presented::default();
    let verifier: Arc<dyn ServerCertVerifier> = match trust {
        Trust::Insecure => Arc::new(Insecure(provider())),
        Trust::Default => Arc::new(Verifier::new(
            system_and_bundled_roots(),
            Vec::new(),
            Arc::clone(&presented),
        )?),
        Trust::CaCert(certs) => {
            Arc::new(Verifier::new(certs.clone(), certs, Arc::clone(&presented))?)
        }
    };
    let mut config = builder
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    config.alpn_protocols = alpn;
    Ok((Arc::new(config), presented))
}

/// webpki's verification, and one thing more: a server whose certificate is itself one of the
/// `--cacert` certificates, byte for byte, is trusted as curl and OpenSSL trust it (a
/// self-signed certificate `openssl req -x509` made is marked CA:TRUE, which webpki refuses
/// as a server's own) — as long as it holds the name asked for.
#[derive(Debug)]
struct Verifier {
    inner: Arc<rustls::client::WebPkiServerVerifier>,
    exact: Vec<CertificateDer<'static>>,
    presented: Presented,
}

impl Verifier {
    fn new(
        roots: Vec<CertificateDer<'static>>,
        exact: Vec<CertificateDer<'static>>,
        presented: Presented,
    ) -> anyhow::Result<Verifier> {
        let mut store = rustls::RootCertStore::empty();
        let (_, ignored) = store.add_parsable_certificates(roots);
        if ignored > 0 {
            crate::debug!("* {ignored} CA certificate(s) could not be read and are not trusted");
        }
        let inner = rustls::client::WebPkiServerVerifier::builder_with_provider(
            Arc::new(store),
            provider(),
        )
        .build()
        .map_err(|err| Code::Usage.error(format!("no CA certificate to trust: {err}")))?;
        Ok(Verifier {
            inner,
            exact,
            presented,
        })
    }
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        *super::lock(&self.presented) = Some(end_entity.clone().into_owned());
        let verdict =
            self.inner
                .verify_server_cert(end_entity, intermediates, server_name, ocsp, now);
        match verdict {
            Ok(verified) => Ok(verified),
            // Trusted as it is: still within its dates and for the name asked.
            Err(err) if self.exact.iter().any(|c| c.as_ref() == end_entity.as_ref()) => {
                let info = summary(end_entity).ok_or_else(|| err.clone())?;
                validity(&info, now.as_secs()).map_err(rustls::Error::InvalidCertificate)?;
                webpki::EndEntityCert::try_from(end_entity)
                    .map_err(|_| err.clone())?
                    .verify_is_valid_for_subject_name(server_name)
                    .map_err(|_| {
                        rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForName)
                    })?;
                Ok(ServerCertVerified::assertion())
            }
            Err(err) => Err(err),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// `--insecure`: any certificate, though the handshake's signatures are still checked.
#[derive(Debug)]
struct Insecure(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for Insecure {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// Why a client's handshake with `authority` (for `host`) failed, as one sentence with its exit
/// code: 60 for a certificate not trusted, 35 for everything else. `certs` are what the server
/// presented; `hint` what to do about an untrusted one.
pub fn handshake_failure(
    err: &io::Error,
    host: &str,
    authority: &str,
    certs: &[CertificateDer<'_>],
    hint: &str,
) -> anyhow::Error {
    use rustls::CertificateError as E;
    if let Some(not_tls) = not_tls(err) {
        let sample: String = not_tls
            .sample
            .chars()
            .take(24)
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        return Code::Tls.error(format!(
            "{authority} is not speaking TLS: it sent {:?} (is it a plain-text port? try without \
             --tls)",
            sample.trim_end()
        ));
    }
    let Some(tls) = rustls_error(err) else {
        if err.kind() == io::ErrorKind::UnexpectedEof {
            return Code::Tls.error(format!(
                "{authority} closed the connection during the TLS handshake (is it a TLS port?)"
            ));
        }
        return Code::Tls.error(format!(
            "TLS handshake with {authority} failed: {}",
            super::error_text(err)
        ));
    };
    let whose = match certs.first().and_then(|c| names_of(c)) {
        Some((subject, issuer)) => {
            format!("the certificate of {host} (subject {subject}, issuer {issuer})")
        }
        None => format!("the certificate of {host}"),
    };
    let why = match tls {
        rustls::Error::InvalidCertificate(cert) => match cert {
            E::UnknownIssuer => format!("{whose} is signed by an unknown issuer {hint}"),
            E::BadSignature => format!("{whose} has a bad signature {hint}"),
            E::NotValidForName => {
                let holds = certs
                    .first()
                    .and_then(|c| summary(c))
                    .filter(|info| !info.names.is_empty())
                    .map(|info| format!(" (it is for {})", info.names.join(", ")))
                    .unwrap_or_default();
                format!("{whose} is not valid for {host}{holds}")
            }
            E::NotValidForNameContext { presented, .. } => format!(
                "{whose} is not valid for {host} (it is for {})",
                presented.join(", ")
            ),
            E::Expired | E::ExpiredContext { .. } => format!("{whose} has expired"),
            E::NotValidYet | E::NotValidYetContext { .. } => {
                format!("{whose} is not valid yet (is the clock right?)")
            }
            E::Revoked => format!("{whose} has been revoked"),
            other if ca_as_server(other) => {
                format!("{whose} is a CA certificate, not a server's {hint}")
            }
            other => format!("{whose} is not trusted ({other}) {hint}"),
        },
        rustls::Error::InvalidMessage(_) => {
            return Code::Tls.error(format!(
                "TLS handshake with {authority} failed: {tls} (is it a TLS server?)"
            ));
        }
        rustls::Error::AlertReceived(alert) => {
            return Code::Tls.error(format!(
                "TLS handshake with {authority} failed: the server refused it ({alert:?})"
            ));
        }
        other => {
            return Code::Tls.error(format!("TLS handshake with {authority} failed: {other}"));
        }
    };
    Code::Certificate.error(why)
}

/// webpki's refusal of a certificate marked CA:TRUE presented as a server's own (what
/// `openssl req -x509` makes, when it is not given as --cacert).
pub fn ca_as_server(err: &rustls::CertificateError) -> bool {
    match err {
        rustls::CertificateError::Other(other) => matches!(
            other.0.downcast_ref::<webpki::Error>(),
            Some(webpki::Error::CaUsedAsEndEntity)
        ),
        _ => false,
    }
}

/// Each certificate of a chain as `-v` shows it, a few lines each (the server's own first).
pub fn describe_chain(certs: &[CertificateDer<'_>]) -> Vec<String> {
    let mut lines = Vec::new();
    for (n, cert) in certs.iter().enumerate() {
        match summary(cert) {
            Some(info) => {
                lines.push(format!(
                    "certificate {n}: subject {}, issuer {}",
                    info.subject, info.issuer
                ));
                lines.push(format!(
                    "  valid {} to {}; {} key; names {}",
                    info.not_before,
                    info.not_after,
                    info.key,
                    if info.names.is_empty() {
                        "(none)".to_string()
                    } else {
                        info.names.join(", ")
                    }
                ));
            }
            None => lines.push(format!("certificate {n}: (not readable here)")),
        }
        lines.push(format!("  sha256 {}", fingerprint(cert)));
    }
    lines
}

/// A certificate's subject and issuer, as `CN=…, O=…`.
pub fn names_of(cert: &CertificateDer<'_>) -> Option<(String, String)> {
    summary(cert).map(|info| (info.subject, info.issuer))
}

/// What people look at in a certificate (as `openssl x509 -text` shows it, briefly).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertSummary {
    pub subject: String,
    pub issuer: String,
    /// `2026-12-03 13:05:02 UTC`.
    pub not_before: String,
    pub not_after: String,
    /// The subject alternative names: DNS names and IP addresses.
    pub names: Vec<String>,
    /// `RSA`, `ECDSA P-256`, `Ed25519` …
    pub key: String,
}

/// A certificate's summary, read from its DER without a full X.509 parse (`None`: not a
/// certificate this reader follows).
pub fn summary(cert: &CertificateDer<'_>) -> Option<CertSummary> {
    let (_, certificate, _) = der(cert.as_ref())?;
    let (_, mut tbs, _) = der(certificate)?;
    let mut field = || {
        let (tag, content, rest) = der(tbs)?;
        tbs = rest;
        Some((tag, content))
    };
    let (mut tag, _) = field()?;
    if tag == 0xA0 {
        // The version; the serial number follows.
        (tag, _) = field()?;
    }
    if tag != 0x02 {
        return None;
    }
    let _signature = field()?;
    let (_, issuer) = field()?;
    let (_, validity) = field()?;
    let (_, subject) = field()?;
    let (_, spki) = field()?;
    let mut names = Vec::new();
    while let Some((tag, content)) = field() {
        if tag == 0xA3 {
            names = alt_names(content);
        }
    }
    let (_, not_before, rest) = der(validity)?;
    let (_, not_after, _) = der(rest)?;
    Some(CertSummary {
        subject: name(subject),
        issuer: name(issuer),
        not_before: time(not_before),
        not_after: time(not_after),
        names,
        key: key_kind(spki),
    })
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Why a certificate is not valid at `now` (Unix seconds): expired, or not valid yet.
fn out_of_date(info: &CertSummary, now: u64) -> Option<String> {
    match validity(info, now) {
        Err(rustls::CertificateError::Expired) => Some(format!("expired on {}", info.not_after)),
        Err(_) => Some(format!("is not valid before {}", info.not_before)),
        Ok(()) => None,
    }
}

/// Whether `now` (Unix seconds) is within the certificate's validity.
fn validity(info: &CertSummary, now: u64) -> Result<(), rustls::CertificateError> {
    let (y, mo, d, h, mi, s) = super::fmt::civil(now);
    // The summary's times and this one sort as text: fixed width, most significant first.
    let now = format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02} UTC");
    if now > info.not_after {
        Err(rustls::CertificateError::Expired)
    } else if now < info.not_before {
        Err(rustls::CertificateError::NotValidYet)
    } else {
        Ok(())
    }
}

/// `YYMMDDHHMMSSZ` (UTCTime) or `YYYYMMDDHHMMSSZ` (GeneralizedTime) as `YYYY-MM-DD HH:MM:SS UTC`.
fn time(text: &[u8]) -> String {
    let text = String::from_utf8_lossy(text);
    let digits = text.trim_end_matches('Z');
    let full = match digits.len() {
        12 => {
            let year: u32 = digits[..2].parse().unwrap_or(0);
            format!("{}{digits}", if year >= 50 { "19" } else { "20" })
        }
        14 => digits.to_string(),
        _ => return text.into_owned(),
    };
    format!(
        "{}-{}-{} {}:{}:{} UTC",
        &full[..4],
        &full[4..6],
        &full[6..8],
        &full[8..10],
        &full[10..12],
        &full[12..14]
    )
}

/// The subject alternative names in a certificate's extensions.
fn alt_names(extensions: &[u8]) -> Vec<String> {
    let mut names = Vec::new();
    let Some((_, mut list, _)) = der(extensions) else {
        return names;
    };
    while let Some((_, extension, rest)) = der(list) {
        list = rest;
        let Some((_, oid, mut rest)) = der(extension) else {
            continue;
        };
        if oid != [0x55, 0x1D, 0x11] {
            continue;
        }
        // An optional `critical` flag, then the value.
        while let Some((tag, value, after)) = der(rest) {
            rest = after;
            if tag != 0x04 {
                continue;
            }
            let Some((_, mut general, _)) = der(value) else {
                continue;
            };
            while let Some((tag, item, after)) = der(general) {
                general = after;
                match (tag, item.len()) {
                    (0x82, _) => names.push(String::from_utf8_lossy(item).into_owned()),
                    (0x87, 4) => {
                        let ip: [u8; 4] = item.try_into().unwrap_or_default();
                        names.push(std::net::Ipv4Addr::from(ip).to_string());
                    }
                    (0x87, 16) => {
                        let ip: [u8; 16] = item.try_into().unwrap_or_default();
                        names.push(std::net::Ipv6Addr::from(ip).to_string());
                    }
                    _ => {}
                }
            }
        }
    }
    names
}

/// The kind of public key in a SubjectPublicKeyInfo.
fn key_kind(spki: &[u8]) -> String {
    let algorithm = der(spki).and_then(|(_, alg, _)| der(alg).map(|(_, oid, rest)| (oid, rest)));
    let Some((oid, params)) = algorithm else {
        return "unknown".into();
    };
    let curve = der(params).map(|(_, oid, _)| oid);
    match oid {
        [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01] => "RSA".into(),
        [0x2B, 0x65, 0x70] => "Ed25519".into(),
        [0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01] => match curve {
            Some([0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07]) => "ECDSA P-256".into(),
            Some([0x2B, 0x81, 0x04, 0x00, 0x22]) => "ECDSA P-384".into(),
            Some([0x2B, 0x81, 0x04, 0x00, 0x23]) => "ECDSA P-521".into(),
            _ => "ECDSA".into(),
        },
        _ => "unknown".into(),
    }
}

/// One DER element: its tag, its content, and what follows it.
fn der(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let len = rest[..count]
            .iter()
            .fold(0usize, |n, &b| (n << 8) | usize::from(b));
        rest = &rest[count..];
        len
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

/// A distinguished name as people read it: `CN=localhost, O=Example`.
fn name(mut rdns: &[u8]) -> String {
    let mut parts = Vec::new();
    while let Some((_, set, rest)) = der(rdns) {
        rdns = rest;
        let Some((_, pair, _)) = der(set) else {
            continue;
        };
        let Some((_, oid, value)) = der(pair) else {
            continue;
        };
        let Some((tag, text, _)) = der(value) else {
            continue;
        };
        let key = match oid {
            [0x55, 0x04, 0x03] => "CN",
            [0x55, 0x04, 0x06] => "C",
            [0x55, 0x04, 0x07] => "L",
            [0x55, 0x04, 0x08] => "ST",
            [0x55, 0x04, 0x0A] => "O",
            [0x55, 0x04, 0x0B] => "OU",
            _ => continue,
        };
        if matches!(tag, 0x0C | 0x13 | 0x16 | 0x14) {
            parts.push(format!("{key}={}", String::from_utf8_lossy(text)));
        }
    }
    if parts.is_empty() {
        "(no name)".into()
    } else {
        parts.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_out_of_a_certificate() {
        let (chain, _) =
            self_signed(&["localhost".into(), "127.0.0.1".into(), "::1".into()]).unwrap();
        let info = summary(&chain[0]).unwrap();
        assert_eq!(info.subject, "CN=netlab self-signed");
        assert_eq!(info.issuer, "CN=netlab self-signed");
        assert_eq!(info.names, ["localhost", "127.0.0.1", "::1"]);
        assert_eq!(info.key, "ECDSA P-256");
        // rcgen's default validity.
        assert_eq!(info.not_before, "1975-01-01 00:00:00 UTC");
        assert_eq!(info.not_after, "4096-01-01 00:00:00 UTC");
        assert_eq!(fingerprint(&chain[0]).len(), 32 * 3 - 1);
        assert_eq!(out_of_date(&info, 1_800_000_000), None);
        let old = CertSummary {
            not_after: "2020-01-01 00:00:00 UTC".into(),
            ..info.clone()
        };
        assert_eq!(
            out_of_date(&old, 1_800_000_000).as_deref(),
            Some("expired on 2020-01-01 00:00:00 UTC")
        );
    }

    /// A self-signed certificate marked CA:TRUE, as `openssl req -x509` makes.
    fn ca_true(names: &[String]) -> (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
        let mut params = rcgen::CertificateParams::new(names.to_vec()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        let der = PrivateKeyDer::try_from(key.serialize_der()).unwrap();
        (vec![cert.der().clone()], der)
    }

    #[test]
    fn sessions_carry_bytes_both_ways_with_either_kind_of_self_signed_certificate() {
        let names = vec!["localhost".to_string()];
        echo_once(self_signed(&names).unwrap());
        echo_once(ca_true(&names));
    }

    /// One echo over loopback through a server with this certificate, trusted as --cacert.
    fn echo_once((chain, key): (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)) {
        let server = ServerConfig::builder_with_provider(provider())
            .with_protocol_versions(VERSIONS)
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain.clone(), key)
            .unwrap();
        let (client, _) = client_config(Trust::CaCert(chain), Vec::new()).unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = Arc::new(server);
        let echo = std::thread::spawn(move || {
            let (socket, _) = listener.accept().unwrap();
            let tls = Tls::server(&server, socket).unwrap();
            tls.handshake(Duration::from_secs(5)).unwrap();
            let mut buf = [0u8; 100];
            let n = tls.read(&mut buf).unwrap();
            tls.write(&buf[..n]).unwrap();
        });
        let socket = TcpStream::connect(addr).unwrap();
        let name = ServerName::try_from("localhost").unwrap();
        let tls = Tls::client(&client, name, socket).unwrap();
        tls.handshake(Duration::from_secs(5)).unwrap();
        tls.write(b"hello").unwrap();
        let mut buf = [0u8; 100];
        let n = tls.read(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"hello");
        echo.join().unwrap();
    }
}
