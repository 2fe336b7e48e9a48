//! Exit codes, listed once, and the error type that carries one.
//!
//! Most failures are plain `anyhow` errors and exit 1. A failure that has its own code (bad input,
//! and `fetch`'s curl-compatible codes) is raised as a [`Coded`] error somewhere in the chain;
//! [`code_of`] finds it. A broken pipe on output is not a failure at all.

use std::fmt;
use std::io;

/// Every exit status netlab uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Code {
    /// Success.
    Ok = 0,
    /// A runtime failure: a socket, file or server error.
    Failure = 1,
    /// Bad usage or bad input (clap uses 2 as well).
    Usage = 2,
    /// fetch: the URL is malformed.
    BadUrl = 3,
    /// fetch: the host name could not be resolved (connect --proxy: the proxy's name).
    Resolve = 6,
    /// fetch: the connection failed; connect --proxy: the proxy cannot be reached.
    Connect = 7,
    /// fetch: the body ended before its announced length.
    PartialBody = 18,
    /// fetch: the server answered 400 or more and `--fail` was given.
    HttpError = 22,
    /// fetch: the body could not be written.
    Write = 23,
    /// fetch: a timeout expired.
    Timeout = 28,
    /// fetch, connect --tls: the TLS handshake failed (connect --starttls: or the upgrade).
    Tls = 35,
    /// fetch: too many redirects (or a redirect loop).
    Redirects = 47,
    /// fetch: the server's certificate could not be verified.
    Certificate = 60,
    /// connect --proxy, fetch: the proxy refused the target, or our credentials.
    Proxy = 97,
    /// bench: a `--fail-if` threshold was crossed.
    Threshold = 99,
    /// Interrupted by Ctrl-C where that is not a clean stop.
    Interrupted = 130,
}

impl Code {
    /// Every code, in order, for `--help`, the man page and README.
    pub const ALL: [Code; 16] = [
        Code::Ok,
        Code::Failure,
        Code::Usage,
        Code::BadUrl,
        Code::Resolve,
        Code::Connect,
        Code::PartialBody,
        Code::HttpError,
        Code::Write,
        Code::Timeout,
        Code::Tls,
        Code::Redirects,
        Code::Certificate,
        Code::Proxy,
        Code::Threshold,
        Code::Interrupted,
    ];

    /// What the code means, in a few words.
    pub fn meaning(self) -> &'static str {
        match self {
            Code::Ok => "success",
            Code::Failure => "failure (a socket, file or server error)",
            Code::Usage => "bad usage or bad input",
            Code::BadUrl => "fetch: malformed URL",
            Code::Resolve => "fetch: could not resolve the host (connect --proxy: the proxy's)",
            Code::Connect => "fetch, connect --proxy: could not connect",
            Code::PartialBody => "fetch: body shorter than its Content-Length",
            Code::HttpError => "fetch --fail: HTTP status 400 or above",
            Code::Write => "fetch: could not write the output",
            Code::Timeout => "fetch: timed out",
            Code::Tls => "fetch, connect --tls: TLS handshake failed (or --starttls refused)",
            Code::Redirects => "fetch: too many redirects or a redirect loop",
            Code::Certificate => "fetch: server certificate not trusted",
            Code::Proxy => {
                "connect --proxy, fetch: the proxy refused the target or the credentials"
            }
            Code::Threshold => "bench --fail-if: a threshold was crossed",
            Code::Interrupted => "interrupted (Ctrl-C) where that is not a clean stop",
        }
    }

    /// The table of codes as text, one per line.
    pub fn table() -> String {
        Code::ALL
            .iter()
            .map(|code| format!("  {:>3}  {}\n", *code as u8, code.meaning()))
            .collect()
    }

    /// Attach this code to an error.
    pub fn wrap(self, error: impl Into<anyhow::Error>) -> anyhow::Error {
        anyhow::Error::new(Coded {
            code: self,
            source: error.into(),
        })
    }

    /// An error with this code and a message.
    pub fn error(self, message: impl fmt::Display) -> anyhow::Error {
        self.wrap(anyhow::anyhow!("{message}"))
    }
}

/// An error with its own exit code. It displays as its source, so the chain reads naturally.
#[derive(Debug)]
pub struct Coded {
    pub code: Code,
    source: anyhow::Error,
}

impl fmt::Display for Coded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `{:#}` keeps the source's own chain on one line.
        write!(f, "{:#}", self.source)
    }
}

impl std::error::Error for Coded {}

/// The one line an error is shown as, after `netlab: `: its causes joined by `: `, each I/O error
/// in netlab's words (`no such file or directory`, never std's `(os error 2)` tail).
pub fn message(error: &anyhow::Error) -> String {
    let mut parts = Vec::new();
    for cause in error.chain() {
        if let Some(coded) = cause.downcast_ref::<Coded>() {
            // Its Display is its source's chain; walk that instead, and stop (it ends the chain).
            parts.push(message(&coded.source));
            break;
        }
        match cause.downcast_ref::<io::Error>() {
            Some(io) => parts.push(crate::net::error_text(io)),
            None => parts.push(cause.to_string()),
        }
    }
    crate::net::io::without_os_errors(&parts.join(": ")).into_owned()
}

/// What an error means for the exit status; `None` means "not an error at all" (a broken pipe).
pub fn code_of(error: &anyhow::Error) -> Option<Code> {
    for cause in error.chain() {
        if let Some(coded) = cause.downcast_ref::<Coded>() {
            return Some(coded.code);
        }
        if let Some(io) = cause.downcast_ref::<io::Error>()
            && io.kind() == io::ErrorKind::BrokenPipe
        {
            return None;
        }
    }
    Some(Code::Failure)
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn code_survives_context() {
        let err = Err::<(), _>(Code::Usage.error("bad %zz"))
            .context("decoding input 3")
            .unwrap_err();
        assert_eq!(code_of(&err), Some(Code::Usage));
        assert_eq!(format!("{err:#}"), "decoding input 3: bad %zz");
    }

    #[test]
    fn no_os_error_tail_in_any_message() {
        let missing = io::Error::from_raw_os_error(2);
        let err = Err::<(), _>(Code::Usage.wrap(missing))
            .context("--file /nonexistent")
            .unwrap_err();
        assert_eq!(
            message(&err),
            "--file /nonexistent: no such file or directory"
        );
        let plain = anyhow::Error::new(io::Error::from_raw_os_error(32)).context("write");
        assert_eq!(message(&plain), "write: broken pipe");
    }

    #[test]
    fn broken_pipe_is_not_an_error() {
        let err = anyhow::Error::new(io::Error::from(io::ErrorKind::BrokenPipe)).context("stdout");
        assert_eq!(code_of(&err), None);
    }

    #[test]
    fn plain_error_is_failure() {
        assert_eq!(code_of(&anyhow::anyhow!("boom")), Some(Code::Failure));
    }
}
