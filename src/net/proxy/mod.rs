//! Proxies: a proxy URL read once (`socks5://`, `socks5h://`, `http://`, with `user:pass@`) for
//! `connect --proxy` and `fetch -x`, and the client side of a tunnel over a blocking socket:
//! [`socks5`] (RFC 1928, with RFC 1929's user name and password) and [`http`] (CONNECT).
//!
//! The handshakes are generic over `Read + Write` and read exactly what the protocol says, never
//! a byte more: what the target sends right after the tunnel opens (a greeting, a TLS record) is
//! the caller's to read.

pub mod http;
pub mod socks5;

use std::fmt;
use std::io;
use std::net::SocketAddr;

use percent_encoding::percent_decode_str;

/// A user name and password for a proxy (`user:pass@` in its URL, `--proxy-auth`).
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub user: String,
    pub password: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the password, not even in a debug print.
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// `USER:PASSWORD` (split at the first colon; the password may be empty, not missing).
    pub fn parse(text: &str) -> Result<Credentials, String> {
        match text.split_once(':') {
            Some((user, password)) if !user.is_empty() => Ok(Credentials {
                user: user.to_string(),
                password: password.to_string(),
            }),
            _ => Err(format!("`{text}`: give USER:PASSWORD")),
        }
    }
}

/// A proxy URL taken apart, whatever the verb: the scheme (lowercase; `http` when the text has
/// none, as curl reads `-x host:port`), the host without IPv6 brackets, the port if written and
/// the credentials, percent-decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyUrl {
    pub scheme: String,
    pub host: String,
    pub port: Option<u16>,
    pub credentials: Option<Credentials>,
}

impl ProxyUrl {
    /// Read a proxy URL; the error is a sentence for the user (exit 2 at the caller).
    pub fn parse(text: &str) -> Result<ProxyUrl, String> {
        let with_scheme = if text.contains("://") {
            text.to_string()
        } else {
            format!("http://{text}")
        };
        let url = url::Url::parse(&with_scheme).map_err(|err| format!("`{text}`: {err}"))?;
        let host = match url.host() {
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            Some(host) => host.to_string(),
            None => return Err(format!("`{text}`: no proxy host")),
        };
        if host.is_empty() {
            return Err(format!("`{text}`: no proxy host"));
        }
        if !matches!(url.path(), "" | "/") || url.query().is_some() || url.fragment().is_some() {
            return Err(format!(
                "`{text}`: a proxy URL is SCHEME://[USER:PASS@]HOST:PORT, with no path"
            ));
        }
        let decode = |part: &str| {
            percent_decode_str(part)
                .decode_utf8()
                .map(|s| s.into_owned())
                .map_err(|_| format!("`{text}`: the credentials are not UTF-8"))
        };
        let credentials = if url.username().is_empty() && url.password().is_none() {
            None
        } else {
            Some(Credentials {
                user: decode(url.username())?,
                password: decode(url.password().unwrap_or_default())?,
            })
        };
        Ok(ProxyUrl {
            scheme: url.scheme().to_string(),
            host,
            port: url.port(),
            credentials,
        })
    }
}

/// The tunnelling protocols `connect --proxy` speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// SOCKS5; the client resolves the target and sends its address.
    Socks5,
    /// SOCKS5; the proxy resolves the target: its name is sent.
    Socks5h,
    /// HTTP CONNECT.
    Http,
}

impl Kind {
    pub fn scheme(self) -> &'static str {
        match self {
            Kind::Socks5 => "socks5",
            Kind::Socks5h => "socks5h",
            Kind::Http => "http",
        }
    }
}

/// A proxy `connect` tunnels through.
#[derive(Debug, Clone)]
pub struct Proxy {
    pub kind: Kind,
    /// A name or an address, without IPv6 brackets.
    pub host: String,
    pub port: u16,
    pub credentials: Option<Credentials>,
}

impl Proxy {
    /// A proxy URL for a tunnel; `auth` (`--proxy-auth USER:PASS`) wins over credentials in the
    /// URL. The error is a sentence for the user (exit 2 at the caller).
    pub fn parse(text: &str, auth: Option<&str>) -> Result<Proxy, String> {
        let url = ProxyUrl::parse(text)?;
        let kind = match url.scheme.as_str() {
            "socks5" => Kind::Socks5,
            "socks5h" => Kind::Socks5h,
            "http" => Kind::Http,
            other => {
                return Err(format!(
                    "`{text}`: {other}:// proxies are not supported here (use socks5://, \
                     socks5h:// or http://)"
                ));
            }
        };
        let credentials = match auth {
            Some(auth) => {
                Some(Credentials::parse(auth).map_err(|err| format!("--proxy-auth {err}"))?)
            }
            None => url.credentials,
        };
        if let (Kind::Socks5 | Kind::Socks5h, Some(credentials)) = (kind, &credentials) {
            socks5::check_credentials(credentials)?;
        }
        let port = url.port.unwrap_or(match kind {
            Kind::Http => 80,
            Kind::Socks5 | Kind::Socks5h => 1080,
        });
        Ok(Proxy {
            kind,
            host: url.host,
            port,
            credentials,
        })
    }

    /// The proxy as people read it in a message: `socks5h://127.0.0.1:1080`, never the password.
    pub fn shown(&self) -> String {
        format!(
            "{}://{}",
            self.kind.scheme(),
            authority(&self.host, self.port)
        )
    }
}

/// `host:port`, `[v6]:port`.
pub fn authority(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Where a tunnel should lead: an address (the client resolved it) or a name the proxy resolves.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    Addr(SocketAddr),
    Name(&'a str, u16),
}

impl fmt::Display for Target<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Addr(addr) => write!(f, "{addr}"),
            Target::Name(name, port) => f.write_str(&authority(name, *port)),
        }
    }
}

/// Why a tunnel did not open.
#[derive(Debug)]
pub enum Failure {
    /// The proxy said no (a reply code, a status line, our credentials): its reason in words.
    /// `target_side` when the target itself could not be reached (another of its addresses may
    /// do better).
    Refused { reason: String, target_side: bool },
    /// The proxy answered something that is not the protocol.
    Garbled(String),
    /// The socket failed (a timeout, a reset, the proxy closed).
    Io(io::Error),
}

impl From<io::Error> for Failure {
    fn from(err: io::Error) -> Failure {
        Failure::Io(err)
    }
}

/// Refused by the proxy, not for the target's sake.
fn refused(reason: impl Into<String>) -> Failure {
    Failure::Refused {
        reason: reason.into(),
        target_side: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_come_apart() {
        let url = ProxyUrl::parse("socks5h://al%40ice:s%3Acret@[::1]:1081").unwrap();
        assert_eq!(url.scheme, "socks5h");
        assert_eq!(url.host, "::1");
        assert_eq!(url.port, Some(1081));
        let credentials = url.credentials.unwrap();
        assert_eq!(credentials.user, "al@ice");
        assert_eq!(credentials.password, "s:cret");
        assert_eq!(ProxyUrl::parse("127.0.0.1:3128").unwrap().scheme, "http");
        assert!(ProxyUrl::parse("http://h:1/path").is_err());
        assert!(ProxyUrl::parse("socks5://:1080").is_err());
        assert!(ProxyUrl::parse("http://h:99999").is_err());
    }

    #[test]
    fn tunnels_take_three_schemes_and_default_ports() {
        let proxy = Proxy::parse("socks5://u:p@127.0.0.1", Some("alice:pw")).unwrap();
        assert_eq!((proxy.kind, proxy.port), (Kind::Socks5, 1080));
        assert_eq!(proxy.credentials.unwrap().user, "alice");
        assert_eq!(
            Proxy::parse("http://[::1]", None).unwrap().shown(),
            "http://[::1]:80"
        );
        let err = Proxy::parse("https://h:1", None).unwrap_err();
        assert!(err.contains("https:// proxies are not supported"), "{err}");
        assert!(Proxy::parse("socks5://h:1", Some("nocolon")).is_err());
        assert!(!format!("{:?}", Credentials::parse("u:secret").unwrap()).contains("secret"));
    }
}

/// A socket whose answers are given up front; what was written is kept (the tunnels' tests).
#[cfg(test)]
mod scripted {
    use std::io::{Cursor, Read, Write};

    pub struct Scripted {
        pub answers: Cursor<Vec<u8>>,
        pub sent: Vec<u8>,
    }

    impl Read for Scripted {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.answers.read(buf)
        }
    }

    impl Write for Scripted {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.sent.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    pub fn scripted(answers: &[u8]) -> Scripted {
        Scripted {
            answers: Cursor::new(answers.to_vec()),
            sent: Vec::new(),
        }
    }
}
