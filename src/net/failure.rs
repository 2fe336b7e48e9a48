//! One wording per failure, whatever the verb: a name that does not resolve reads
//! `resolve HOST: …` (see [`super::resolve`]), a connection that fails reads
//! `connect ADDR: …` with what to check, in `connect`, `fetch` and `bench` alike.

use std::io;
use std::time::Duration;

use super::{error_text, format_duration};

/// Why a connect to `addr` failed, in words, with what to check: `connect 127.0.0.1:1:
/// connection refused (is a server listening?)`. `flag` is the verb's connect timeout flag.
pub fn connect_failure(
    addr: impl std::fmt::Display,
    err: &io::Error,
    timeout: Duration,
    flag: &str,
) -> String {
    format!("connect {addr}: {}", connect_reason(err, timeout, flag))
}

/// The part of [`connect_failure`] after the address.
pub fn connect_reason(err: &io::Error, timeout: Duration, flag: &str) -> String {
    match err.kind() {
        io::ErrorKind::ConnectionRefused => REFUSED.into(),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => timed_out(timeout, flag),
        io::ErrorKind::HostUnreachable => {
            "host unreachable (check the address and the network)".into()
        }
        io::ErrorKind::NetworkUnreachable => {
            "network unreachable (check the address and your routes; no IPv6 here? try -4)".into()
        }
        io::ErrorKind::PermissionDenied => "permission denied (a firewall rule?)".into(),
        _ => error_text(err),
    }
}

/// A refused connection, in words.
pub const REFUSED: &str = "connection refused (is a server listening?)";

/// A connect that got no answer within `timeout` (set by `flag`).
pub fn timed_out(timeout: Duration, flag: &str) -> String {
    format!(
        "no answer within {} (is the host up? is a firewall dropping packets? see {flag})",
        format_duration(timeout)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_say_what_to_check() {
        let refused = io::Error::from(io::ErrorKind::ConnectionRefused);
        assert_eq!(
            connect_failure(
                "127.0.0.1:1",
                &refused,
                Duration::from_secs(10),
                "--timeout"
            ),
            "connect 127.0.0.1:1: connection refused (is a server listening?)"
        );
        let slow = io::Error::from(io::ErrorKind::TimedOut);
        assert_eq!(
            connect_reason(&slow, Duration::from_millis(300), "--connect-timeout"),
            "no answer within 300ms (is the host up? is a firewall dropping packets? see \
             --connect-timeout)"
        );
    }
}
