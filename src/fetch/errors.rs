//! Every failure of a transfer, as one line with curl's exit code: 6 resolve, 7 connect,
//! 18 partial body, 28 timeout, 35 TLS handshake, 60 untrusted certificate, 97 a proxy that
//! refused (see `exit.rs`).

use std::io;
use std::time::UNIX_EPOCH;

use rustls::CertificateError;
use url::Url;

use super::request::Plan;
use crate::exit::Code;
use crate::net;

/// A failure before the response head arrived (through `proxy`, if one was used).
pub fn request(
    err: ureq::Error,
    url: &Url,
    plan: &Plan,
    proxy: Option<&ureq::Proxy>,
) -> anyhow::Error {
    if let Some(proxy) = proxy {
        // Failing to reach the proxy is not failing to reach the site.
        let unreachable = match &err {
            ureq::Error::Io(io) => matches!(
                io.kind(),
                io::ErrorKind::ConnectionRefused
                    | io::ErrorKind::HostUnreachable
                    | io::ErrorKind::NetworkUnreachable
                    | io::ErrorKind::AddrNotAvailable
            ),
            ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => true,
            _ => false,
        };
        if let ureq::Error::Io(io) = &err
            && let Some(why) =
                net::error_text(io).strip_prefix("failed to lookup address information: ")
        {
            // Through a proxy only the proxy's own name is looked up here.
            return Code::Resolve.error(format!(
                "could not resolve the proxy host {}: {why}",
                proxy.host()
            ));
        }
        if let Some(refused) = socks_refusal(&err, url, proxy) {
            return refused;
        }
        if unreachable {
            let cause = match &err {
                ureq::Error::Io(io) => net::error_text(io),
                other => other.to_string(),
            };
            return Code::Connect.error(format!(
                "could not connect to the proxy {}:{}: {cause}",
                proxy.host(),
                proxy.port()
            ));
        }
    }
    classify(err, url, plan, None)
}

/// A SOCKS handshake that failed (ureq says so with plain I/O errors): exit 97, as curl.
fn socks_refusal(err: &ureq::Error, url: &Url, proxy: &ureq::Proxy) -> Option<anyhow::Error> {
    let socks = proxy
        .uri()
        .scheme_str()
        .is_some_and(|scheme| scheme.starts_with("socks"));
    let ureq::Error::Io(io) = err else {
        return None;
    };
    if !socks || rustls_error(err).is_some() {
        return None;
    }
    let why = match io.kind() {
        io::ErrorKind::PermissionDenied => "the proxy rejected the user name and password".into(),
        io::ErrorKind::Other | io::ErrorKind::InvalidData => net::error_text(io),
        _ => return None,
    };
    let host = url.host_str().unwrap_or_default();
    let port = url.port_or_known_default().unwrap_or(0);
    Some(Code::Proxy.error(format!(
        "the SOCKS proxy {}:{} did not open a tunnel to {host}:{port}: {why}",
        proxy.host(),
        proxy.port()
    )))
}

/// A failure while the body was arriving, after `got` of `expected` bytes.
pub fn body(
    err: ureq::Error,
    url: &Url,
    plan: &Plan,
    got: u64,
    expected: Option<u64>,
) -> anyhow::Error {
    classify(err, url, plan, Some((got, expected)))
}

/// `--timeout` ran out between two hops.
pub fn total_timeout(plan: &Plan) -> anyhow::Error {
    let total = plan
        .total_timeout
        .map(net::format_duration)
        .unwrap_or_default();
    Code::Timeout.error(format!("the transfer took longer than {total} (--timeout)"))
}

fn classify(
    err: ureq::Error,
    url: &Url,
    plan: &Plan,
    in_body: Option<(u64, Option<u64>)>,
) -> anyhow::Error {
    let host = url.host_str().unwrap_or_default();
    let authority = format!("{host}:{}", url.port_or_known_default().unwrap_or(0));
    if let Some(tls) = rustls_error(&err) {
        return self::tls(tls, host, &authority, plan);
    }
    match err {
        ureq::Error::Timeout(which) => {
            use ureq::Timeout as T;
            let what = match which {
                T::Resolve => format!(
                    "resolve {host}: {}",
                    net::failure::timed_out(plan.connect_timeout, "--connect-timeout")
                ),
                T::Connect => format!(
                    "connect {authority}: {}",
                    net::failure::timed_out(plan.connect_timeout, "--connect-timeout")
                ),
                T::PerRead => format!(
                    "no data from {authority} for {} (--idle-timeout)",
                    net::format_duration(plan.idle_timeout)
                ),
                T::PerWrite => format!(
                    "{authority} took no data for {} (--idle-timeout)",
                    net::format_duration(plan.idle_timeout)
                ),
                T::Global => {
                    return total_timeout(plan);
                }
                other => format!("timed out talking to {authority} ({other:?})"),
            };
            Code::Timeout.error(what)
        }
        ureq::Error::HostNotFound => {
            Code::Resolve.error(format!("resolve {host}: no address found"))
        }
        ureq::Error::ConnectionFailed => {
            Code::Connect.error(format!("connect {authority}: the connection failed"))
        }
        ureq::Error::ConnectProxyFailed(why) => Code::Proxy.error(format!(
            "the proxy did not open a tunnel to {authority}: {why}"
        )),
        ureq::Error::Io(io) => io_error(&io, host, &authority, plan, in_body),
        ureq::Error::BadUri(why) => Code::BadUrl.error(format!("bad URL `{url}`: {why}")),
        ureq::Error::Tls(why) => Code::Tls.error(format!("TLS with {authority} failed: {why}")),
        ureq::Error::Http(err) => Code::Usage.error(format!("bad request: {err}")),
        ureq::Error::InvalidProxyUrl => Code::Usage.error("bad proxy URL"),
        ureq::Error::LargeResponseHeader(size, limit) => anyhow::anyhow!(
            "the response head from {authority} is too large ({size} bytes, limit {limit})"
        ),
        ureq::Error::Protocol(err) => {
            anyhow::anyhow!("{authority} answered something that is not HTTP/1.x: {err}")
        }
        other => anyhow::anyhow!("talking to {authority}: {other}"),
    }
}

fn io_error(
    io: &io::Error,
    host: &str,
    authority: &str,
    plan: &Plan,
    in_body: Option<(u64, Option<u64>)>,
) -> anyhow::Error {
    use io::ErrorKind as K;
    let cause = net::error_text(io);
    if let Some(why) = cause.strip_prefix("failed to lookup address information: ") {
        // The words `connect` and `bench` use for a name that does not resolve.
        return Code::Resolve.error(format!("resolve {host}: {}", net::io::lowercase_first(why)));
    }
    match (io.kind(), in_body) {
        (K::UnexpectedEof | K::ConnectionReset | K::ConnectionAborted, Some((got, expected))) => {
            let of = expected.map(|e| format!(" of {e}")).unwrap_or_default();
            Code::PartialBody.error(format!(
                "the body from {authority} was cut short: the connection closed after {got}{of} bytes"
            ))
        }
        (K::UnexpectedEof | K::ConnectionReset, None) => {
            anyhow::anyhow!("{authority} closed the connection without answering")
        }
        (
            K::ConnectionRefused
            | K::HostUnreachable
            | K::NetworkUnreachable
            | K::AddrNotAvailable
            | K::TimedOut,
            None,
        ) => Code::Connect.error(net::failure::connect_failure(
            authority,
            io,
            plan.connect_timeout,
            "--connect-timeout",
        )),
        _ => anyhow::anyhow!("talking to {authority}: {cause}"),
    }
}

/// The rustls error inside a ureq error, if the failure was TLS.
fn rustls_error(err: &ureq::Error) -> Option<&rustls::Error> {
    match err {
        ureq::Error::Rustls(tls) => Some(tls),
        ureq::Error::Io(io) => io.get_ref()?.downcast_ref::<rustls::Error>(),
        _ => None,
    }
}

fn tls(err: &rustls::Error, host: &str, authority: &str, plan: &Plan) -> anyhow::Error {
    let hint = if plan.cacert.is_some() {
        "(is --cacert the CA that signed it?)"
    } else {
        "(trust its CA with --cacert FILE, or skip the check with -k)"
    };
    let why = match err {
        rustls::Error::InvalidCertificate(cert) => match cert {
            CertificateError::UnknownIssuer => {
                format!("the certificate of {host} is signed by an unknown issuer {hint}")
            }
            CertificateError::NotValidForName => {
                format!("the certificate {authority} presented is not valid for {host}")
            }
            CertificateError::NotValidForNameContext { presented, .. } => format!(
                "the certificate {authority} presented is not valid for {host} (it is for {})",
                presented.join(", ")
            ),
            CertificateError::Expired => format!("the certificate of {host} has expired"),
            CertificateError::ExpiredContext { not_after, .. } => format!(
                "the certificate of {host} expired on {}",
                date(not_after.as_secs())
            ),
            CertificateError::NotValidYet => {
                format!("the certificate of {host} is not valid yet (is the clock right?)")
            }
            CertificateError::NotValidYetContext { not_before, .. } => format!(
                "the certificate of {host} is not valid before {} (is the clock right?)",
                date(not_before.as_secs())
            ),
            CertificateError::Revoked => format!("the certificate of {host} has been revoked"),
            other if crate::net::tls::ca_as_server(other) => format!(
                "the certificate of {host} is a CA certificate, not a server's (give that very \
                 certificate with --cacert to trust it as curl does)"
            ),
            other => format!("the certificate of {host} is not acceptable: {other:?}"),
        },
        rustls::Error::InvalidCertRevocationList(crl) => {
            format!("the certificate revocation list is not acceptable: {crl:?}")
        }
        rustls::Error::InvalidMessage(_) => {
            return Code::Tls.error(format!(
                "TLS handshake with {authority} failed: {err} (is it an HTTPS server?)"
            ));
        }
        other => return Code::Tls.error(format!("TLS handshake with {authority} failed: {other}")),
    };
    Code::Certificate.error(why)
}

fn date(unix: u64) -> String {
    httpdate::fmt_http_date(UNIX_EPOCH + std::time::Duration::from_secs(unix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_error_suffix_is_dropped() {
        let io = io::Error::from_raw_os_error(111);
        assert!(!net::error_text(&io).contains("os error"));
    }
}
