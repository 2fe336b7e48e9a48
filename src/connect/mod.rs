//! `netlab connect` (the notes' `client.py`, and what people use `nc` and `telnet` for) and
//! `netlab resolve`.
//!
//! This file checks the flags into a `Config`, resolves and connects (saying what went wrong
//! and what to check), and hands the socket on: `session.rs` copies both ways over TCP or a Unix
//! socket, `udp.rs` sends datagrams, `probe.rs` answers `-z`, `hexdump.rs` draws `--hexdump`,
//! `proxy.rs` tunnels through `--proxy`, `starttls.rs` speaks the cleartext start of
//! `--starttls`.

mod eof;
pub(crate) mod hexdump;
mod listen;
mod probe;
mod proxy;
pub(crate) mod session;
mod starttls;
mod stdin_file;
mod udp;

use std::io::{self, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::Duration;

use crate::cli::{ConnectArgs, ResolveArgs};
use crate::exit::Code;
use crate::net;

/// Which addresses of a name may be used (`-4`, `-6`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Any,
    V4,
    V6,
}

/// What to connect to.
#[derive(Debug)]
enum Target {
    Tcp {
        host: String,
        port: u16,
        tls: Option<TlsClient>,
    },
    Udp {
        host: String,
        port: u16,
    },
    Unix(PathBuf),
    Probe {
        host: String,
        ports: std::ops::RangeInclusive<u16>,
        tls: Option<TlsClient>,
    },
    Listen(listen::Listen),
}

/// How the session behaves, whatever the transport.
#[derive(Debug, Clone)]
pub struct Options {
    /// Send this instead of stdin (already with CRLF line ends under `--crlf`).
    pub send: Option<Vec<u8>>,
    pub crlf: bool,
    pub timeout: Duration,
    pub idle: Option<Duration>,
    pub hexdump: bool,
    pub family: Family,
    /// What the end of input does (`--no-shutdown`, `--quit-after-eof`, `--send-only`,
    /// `--recv-only`).
    pub eof: eof::Eof,
    /// `-l -k`: sessions follow one another, so stdin is read only while a client is there.
    pub keep_open: bool,
    /// UDP: how long to wait for replies after stdin's end (`--wait-reply`).
    pub wait_reply: Option<Duration>,
    /// `--proxy`: reach TCP targets through this proxy.
    pub proxy: Option<net::proxy::Proxy>,
}

/// `connect --tls`: what the handshake offers and trusts.
struct TlsClient {
    config: std::sync::Arc<rustls::ClientConfig>,
    /// The name asked for (SNI, and the name the certificate must hold).
    name: rustls::pki_types::ServerName<'static>,
    /// What to do about a certificate not trusted.
    hint: &'static str,
    presented: net::tls::Presented,
    /// `--starttls`: the cleartext dialogue before the handshake.
    starttls: Option<starttls::Upgrade>,
}

impl std::fmt::Debug for TlsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsClient")
            .field("name", &self.name)
            .finish()
    }
}

impl TlsClient {
    fn from_args(args: &ConnectArgs, host: &str) -> anyhow::Result<TlsClient> {
        let (trust, hint) = net::tls::Trust::from_flags(args.cacert.as_deref(), args.insecure)?;
        let alpn = args.alpn.iter().map(|p| p.as_bytes().to_vec()).collect();
        let name = net::tls::server_name(args.sni.as_deref(), host)?;
        let identity = net::tls::read_identity(args.cert.as_deref(), args.key.as_deref())?;
        let (config, presented) = net::tls::client_config(trust, alpn, identity)?;
        let starttls = args
            .starttls
            .map(|protocol| starttls::Upgrade::new(protocol, args.starttls_name.clone()))
            .transpose()?;
        Ok(TlsClient {
            config,
            name,
            hint,
            presented,
            starttls,
        })
    }
}

/// `connect`'s flags, checked: a bad flag fails here with exit 2, before any socket opens.
#[derive(Debug)]
struct Config {
    target: Target,
    options: Options,
}

impl Config {
    fn from_args(mut args: ConnectArgs) -> anyhow::Result<Config> {
        if let Some(rest) = args
            .target
            .as_deref()
            .and_then(|t| t.strip_prefix("tls://"))
        {
            if args.udp {
                return Err(Code::Usage.error("tls:// is TCP: it does not go with --udp"));
            }
            if args.starttls.is_some() {
                return Err(Code::Usage.error(
                    "tls:// speaks TLS from the first byte: it does not go with --starttls \
                     (give HOST:PORT)",
                ));
            }
            args.target = Some(rest.trim_end_matches('/').to_string());
            args.tls = true;
        }
        // --starttls ends in the same TLS session as --tls, with all of its options.
        args.tls |= args.starttls.is_some();
        if !args.tls
            && (args.sni.is_some()
                || args.cacert.is_some()
                || args.insecure
                || !args.alpn.is_empty())
        {
            return Err(Code::Usage.error("--sni, --cacert, --insecure and --alpn need --tls"));
        }
        let proxy = proxy::from_args(&args)?;
        let family = match (args.ipv4, args.ipv6) {
            (true, _) => Family::V4,
            (_, true) => Family::V6,
            _ => Family::Any,
        };
        if args.listen {
            return Config::listening(args, family);
        }
        let target = match (args.unix.take(), args.target.take()) {
            (Some(path), _) => {
                if args.port.is_some() {
                    return Err(Code::Usage.error("--unix takes no port"));
                }
                Target::Unix(path)
            }
            (None, Some(target)) => {
                let split = net::split_host_port(&target, args.port.as_deref())
                    .map_err(|err| Code::Usage.error(err))?;
                if args.probe {
                    let ports =
                        net::parse_port_range(&split.port).map_err(|err| Code::Usage.error(err))?;
                    let tls = args
                        .tls
                        .then(|| TlsClient::from_args(&args, &split.host))
                        .transpose()?;
                    Target::Probe {
                        host: split.host,
                        ports,
                        tls,
                    }
                } else {
                    let port = net::parse_port(&split.port).map_err(|err| {
                        let hint = if split.port.contains('-') {
                            " (a port range needs -z)"
                        } else {
                            ""
                        };
                        Code::Usage.error(format!("{err}{hint}"))
                    })?;
                    if args.udp {
                        Target::Udp {
                            host: split.host,
                            port,
                        }
                    } else {
                        let tls = args
                            .tls
                            .then(|| TlsClient::from_args(&args, &split.host))
                            .transpose()?;
                        Target::Tcp {
                            host: split.host,
                            port,
                            tls,
                        }
                    }
                }
            }
            (None, None) => return Err(Code::Usage.error("say where to connect: HOST:PORT")),
        };
        Ok(Config {
            target,
            options: Options::from_args(args, family, proxy),
        })
    }

    /// `-l`: where to listen, with what certificate, and who may connect.
    fn listening(mut args: ConnectArgs, family: Family) -> anyhow::Result<Config> {
        if args.sni.is_some()
            || args.cacert.is_some()
            || args.insecure
            || !args.alpn.is_empty()
            || args.cert.is_some()
        {
            return Err(Code::Usage.error(
                "-l serves the TLS handshake: --sni, --cacert, --insecure, --alpn and --cert are \
                 a client's (use --tls-cert and --tls-key)",
            ));
        }
        if args.proxy.is_some() {
            return Err(Code::Usage
                .error("-l listens here: --proxy is for reaching a server through a proxy"));
        }
        if args.keep_open && args.udp {
            return Err(Code::Usage.error(
                "-k waits for the next connection, and UDP has none: -l -u takes datagrams from \
                 its first client until the session ends",
            ));
        }
        let tls_asked = args.tls || args.tls_cert.is_some() || args.tls_save_cert.is_some();
        let place = match (args.unix.take(), args.target.take()) {
            (Some(path), _) if tls_asked => {
                return Err(Code::Usage.error(format!(
                    "-l --unix {}: TLS is served over TCP",
                    path.display()
                )));
            }
            (Some(path), _) => listen::Place::Unix(path),
            (None, Some(target)) => {
                // `-l PORT` alone listens on 127.0.0.1, as every netlab server does.
                let digits = !target.is_empty() && target.bytes().all(|b| b.is_ascii_digit());
                let (host, port) = match (digits, args.port.take()) {
                    (true, None) => ("127.0.0.1".to_string(), target),
                    (_, port) => {
                        let split = net::split_host_port(&target, port.as_deref())
                            .map_err(|err| Code::Usage.error(err))?;
                        (split.host, split.port)
                    }
                };
                let port = crate::cli::parse_port(&port)
                    .map_err(|err| Code::Usage.error(format!("port {port}: {err}")))?;
                let mut addrs = net::resolve_host(&host, port)?;
                addrs.retain(|addr| match family {
                    Family::Any => true,
                    Family::V4 => addr.is_ipv4(),
                    Family::V6 => addr.is_ipv6(),
                });
                if addrs.is_empty() {
                    return Err(Code::Usage.error(format!("{host} has no address of that family")));
                }
                if args.udp {
                    listen::Place::Udp(addrs)
                } else {
                    listen::Place::Tcp(addrs)
                }
            }
            (None, None) => return Err(Code::Usage.error("say where to listen: -l PORT")),
        };
        let tls = match &place {
            listen::Place::Tcp(addrs) if tls_asked => {
                let host = args.target.clone().unwrap_or_else(|| "127.0.0.1".into());
                let names = net::tls::names_for(&host, addrs);
                let flags = crate::cli::TlsArgs {
                    tls: args.tls,
                    tls_cert: args.tls_cert.clone(),
                    tls_key: args.tls_key.clone(),
                    tls_client_ca: None,
                    tls_save_cert: args.tls_save_cert.clone(),
                    tls_handshake_timeout: args.timeout,
                };
                net::tls::ServerTls::from_args(&flags, &names, &[])?
            }
            listen::Place::Udp(_) if tls_asked => {
                return Err(Code::Usage.error("-l -u: TLS is served over TCP"));
            }
            _ => None,
        };
        let access = net::Access::from_flags(&args.allow, &args.deny)?;
        let keep_open = args.keep_open;
        Ok(Config {
            target: Target::Listen(listen::Listen {
                place,
                tls,
                keep_open,
                access,
            }),
            options: Options::from_args(args, family, None),
        })
    }
}

impl Options {
    fn from_args(args: ConnectArgs, family: Family, proxy: Option<net::proxy::Proxy>) -> Options {
        let send = args.send.map(|text| {
            let mut out = Vec::with_capacity(text.len());
            if args.crlf {
                session::Crlf::default().convert(text.as_bytes(), &mut out);
            } else {
                out.extend_from_slice(text.as_bytes());
            }
            out
        });
        Options {
            send,
            crlf: args.crlf,
            timeout: args.timeout,
            idle: args.idle_timeout,
            hexdump: args.hexdump,
            family,
            eof: eof::Eof {
                no_shutdown: args.no_shutdown,
                quit_after: args.quit_after_eof,
                send_only: args.send_only,
                recv_only: args.recv_only,
            },
            keep_open: args.keep_open,
            wait_reply: args.wait_reply,
            proxy,
        }
    }
}

/// Run `netlab connect`.
pub fn run(args: ConnectArgs) -> anyhow::Result<()> {
    let Config { target, options } = Config::from_args(args)?;
    match target {
        Target::Tcp { host, port, tls } => {
            let stream = connect_tcp(&host, port, &options)?;
            let stream = match tls {
                None => net::Stream::Tcp(stream),
                Some(tls) => secure(stream, &host, port, tls, &options)?,
            };
            session::run(stream, &options)
        }
        Target::Unix(path) => {
            let stream = connect_unix(&path)?;
            session::run(net::Stream::Unix(stream), &options)
        }
        Target::Udp { host, port } => udp::run(&host, port, &options),
        Target::Probe { host, ports, tls } => probe::run(&host, ports, tls.as_ref(), &options),
        Target::Listen(listen) => listen::run(listen, &options),
    }
}

/// Run `netlab resolve NAME`: every address, one per line.
pub fn resolve(args: ResolveArgs) -> anyhow::Result<()> {
    let name = args.name.trim_start_matches('[').trim_end_matches(']');
    let addrs = net::resolve(name, 0)?;
    let mut out = io::stdout().lock();
    let mut shown = Vec::new();
    for addr in addrs {
        if !shown.contains(&addr.ip()) {
            shown.push(addr.ip());
            writeln!(out, "{}", addr.ip())?;
        }
    }
    out.flush()?;
    Ok(())
}

/// The addresses of `host` this run may use, in the resolver's order.
pub fn addresses(host: &str, port: u16, family: Family) -> anyhow::Result<Vec<SocketAddr>> {
    let all = net::resolve(host, port)?;
    let wanted: Vec<SocketAddr> = all
        .iter()
        .copied()
        .filter(|addr| match family {
            Family::Any => true,
            Family::V4 => addr.is_ipv4(),
            Family::V6 => addr.is_ipv6(),
        })
        .collect();
    if wanted.is_empty() {
        let which = if family == Family::V4 { "IPv4" } else { "IPv6" };
        anyhow::bail!("{host} has no {which} address (it has {})", list(&all));
    }
    Ok(wanted)
}

/// Try each address in turn, as `nc` does; the error names what failed and what to check.
fn connect_tcp(host: &str, port: u16, options: &Options) -> anyhow::Result<TcpStream> {
    if let Some(via) = &options.proxy {
        return proxy::open(via, host, port, options);
    }
    let addrs = addresses(host, port, options.family)?;
    let mut failure = None;
    for addr in &addrs {
        crate::debug!("netlab connect: trying {addr}");
        match crate::explain::connect(addr, options.timeout) {
            Ok(stream) => {
                match stream.local_addr() {
                    Ok(local) => crate::debug!("netlab connect: connected to {addr} from {local}"),
                    Err(_) => crate::debug!("netlab connect: connected to {addr}"),
                }
                return Ok(stream);
            }
            Err(err) => {
                let why = explain(&err, options.timeout);
                crate::debug!("netlab connect: {addr}: {why}");
                failure = Some(why);
            }
        }
    }
    let why = failure.unwrap_or_else(|| "no address to try".to_string());
    let shown = shown_target(host, port, &addrs);
    anyhow::bail!("connect {shown}: {why}")
}

/// The TLS handshake on a connected socket, within `--timeout`.
fn secure(
    socket: TcpStream,
    host: &str,
    port: u16,
    tls: TlsClient,
    options: &Options,
) -> anyhow::Result<net::Stream> {
    let authority = match host.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(_)) => format!("[{host}]:{port}"),
        _ => format!("{host}:{port}"),
    };
    let asked = tls.name.to_str().into_owned();
    if let Some(upgrade) = &tls.starttls {
        let (limit, flag) = match options.idle {
            Some(idle) if idle < options.timeout => (idle, "--idle-timeout"),
            _ => (options.timeout, "--timeout"),
        };
        upgrade.run(&socket, limit, flag)?;
    }
    let session = net::tls::Tls::client(&tls.config, tls.name, socket)
        .map_err(|err| Code::Tls.error(format!("TLS with {authority}: {err}")))?;
    if let Err(err) = session.handshake(options.timeout) {
        let mut certs = session.peer_certificates();
        if certs.is_empty() {
            certs.extend(net::lock(&tls.presented).take());
        }
        return Err(net::tls::handshake_failure(
            &err, &asked, &authority, &certs, tls.hint,
        ));
    }
    if crate::log::verbose() {
        crate::debug!("netlab connect: TLS: {}", session.describe());
        for line in net::tls::describe_chain(&session.peer_certificates()) {
            crate::debug!("netlab connect: {line}");
        }
    }
    Ok(net::Stream::Tls(std::sync::Arc::new(session)))
}

fn connect_unix(path: &std::path::Path) -> anyhow::Result<UnixStream> {
    UnixStream::connect(path).map_err(|err| {
        let why = match err.kind() {
            io::ErrorKind::NotFound => {
                "no such socket (is the server running? is the path right?)".to_string()
            }
            // connect(2) on a file that is not a socket is refused too: say which it is.
            io::ErrorKind::ConnectionRefused if !is_socket(path) => {
                return Code::Usage.error(format!(
                    "connect --unix {}: the path exists and is not a socket",
                    path.display()
                ));
            }
            io::ErrorKind::ConnectionRefused => {
                "connection refused (a stale socket: is a server listening?)".to_string()
            }
            _ => net::error_text(&err),
        };
        anyhow::anyhow!("connect {}: {why}", path.display())
    })
}

fn is_socket(path: &std::path::Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::metadata(path).is_ok_and(|meta| meta.file_type().is_socket())
}

/// `127.0.0.1:8881`, `[::1]:8881`, or for a name `localhost:8881 (tried [::1]:8881, …)`.
fn shown_target(host: &str, port: u16, tried: &[SocketAddr]) -> String {
    match tried {
        [only] if host.parse::<std::net::IpAddr>().is_ok() => only.to_string(),
        _ if host.contains(':') => format!("[{host}]:{port} (tried {})", list(tried)),
        _ => format!("{host}:{port} (tried {})", list(tried)),
    }
}

fn list(addrs: &[SocketAddr]) -> String {
    addrs
        .iter()
        .map(|addr| addr.ip().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A connect failure in words, with what to check (`--timeout` is connect's flag).
pub fn explain(err: &io::Error, timeout: Duration) -> String {
    match err.kind() {
        // The handshake completed, then the server reset: how `serve --max-conns` refuses.
        io::ErrorKind::ConnectionReset => session::RESET_BY_SERVER.into(),
        _ => net::failure::connect_reason(err, timeout, "--timeout"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_says_what_to_check() {
        let err = io::Error::from(io::ErrorKind::ConnectionRefused);
        assert_eq!(
            explain(&err, Duration::from_secs(10)),
            "connection refused (is a server listening?)"
        );
    }

    #[test]
    fn os_errors_lose_their_number() {
        let err = io::Error::from_raw_os_error(nix::libc::EADDRNOTAVAIL);
        assert_eq!(net::error_text(&err), "cannot assign requested address");
    }

    #[test]
    fn targets_read_as_typed() {
        let v4: SocketAddr = "127.0.0.1:8881".parse().unwrap();
        let v6: SocketAddr = "[::1]:8881".parse().unwrap();
        assert_eq!(shown_target("127.0.0.1", 8881, &[v4]), "127.0.0.1:8881");
        assert_eq!(shown_target("::1", 8881, &[v6]), "[::1]:8881");
        assert_eq!(
            shown_target("localhost", 8881, &[v6, v4]),
            "localhost:8881 (tried ::1, 127.0.0.1)"
        );
    }
}
