//! `--retry N` with rules a user can read: what is retried (`--retry-on`: refused, timeout,
//! reset, 5xx, a status), how long each wait is (`--retry-delay`, doubled each time, with jitter;
//! a `Retry-After` replaces it, capped by `--retry-max-time`), and one stderr line per retry
//! saying why and when. A body read from stdin was sent already: it is never retried.

use std::time::{Duration, Instant, SystemTime};

use ureq::http::{HeaderMap, StatusCode, header};

use crate::exit::Code;

/// The words `--retry-on` knows, besides a status code.
const WORDS: &str = "refused, timeout, reset, 5xx, or a status such as 503";

/// The longest wait between two tries when no Retry-After says otherwise.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// A failure that may be worth another try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transient {
    Refused,
    Timeout,
    Reset,
}

impl Transient {
    /// What a ureq error before the response is, if it is one of the transient kinds.
    pub fn of(err: &ureq::Error) -> Option<Transient> {
        use std::io::ErrorKind as K;
        match err {
            ureq::Error::Timeout(_) => Some(Transient::Timeout),
            ureq::Error::ConnectionFailed => Some(Transient::Refused),
            ureq::Error::Io(io) => match io.kind() {
                K::ConnectionRefused => Some(Transient::Refused),
                K::TimedOut => Some(Transient::Timeout),
                K::ConnectionReset | K::ConnectionAborted | K::UnexpectedEof | K::BrokenPipe => {
                    Some(Transient::Reset)
                }
                _ => None,
            },
            _ => None,
        }
    }

    fn word(self) -> &'static str {
        match self {
            Transient::Refused => "refused",
            Transient::Timeout => "timeout",
            Transient::Reset => "reset",
        }
    }
}

/// The rules of `--retry*`, checked.
#[derive(Debug)]
pub struct Policy {
    pub tries: u32,
    on: Vec<Transient>,
    server_errors: bool,
    statuses: Vec<u16>,
    delay: Duration,
    max_time: Duration,
}

impl Policy {
    pub fn new(
        tries: u32,
        on: &str,
        delay: Duration,
        max_time: Duration,
    ) -> anyhow::Result<Policy> {
        let mut policy = Policy {
            tries,
            on: Vec::new(),
            server_errors: false,
            statuses: Vec::new(),
            delay,
            max_time,
        };
        for word in on.split(',').map(str::trim).filter(|w| !w.is_empty()) {
            match word.to_ascii_lowercase().as_str() {
                "refused" => policy.on.push(Transient::Refused),
                "timeout" => policy.on.push(Transient::Timeout),
                "reset" => policy.on.push(Transient::Reset),
                "5xx" => policy.server_errors = true,
                other => match other.parse::<u16>() {
                    Ok(status) if (100..=599).contains(&status) => policy.statuses.push(status),
                    _ => {
                        return Err(Code::Usage
                            .error(format!("--retry-on: `{word}` is not known (use {WORDS})")));
                    }
                },
            }
        }
        Ok(policy)
    }

    pub fn retries_failure(&self, kind: Transient) -> bool {
        self.on.contains(&kind)
    }

    pub fn retries_status(&self, status: StatusCode) -> bool {
        self.statuses.contains(&status.as_u16()) || (self.server_errors && status.is_server_error())
    }

    /// The wait before try `next` (2 for the first retry): Retry-After when the server gave
    /// one (capped by --retry-max-time), else the delay doubled per retry, with jitter.
    pub fn wait(&self, next: u32, headers: Option<&HeaderMap>) -> Duration {
        if let Some(after) = headers.and_then(retry_after) {
            return after.min(self.max_time);
        }
        let doubled = self
            .delay
            .saturating_mul(1u32 << (next - 2).min(16))
            .min(MAX_BACKOFF);
        // "Equal jitter": half the wait is sure, half is random, so clients spread out.
        doubled / 2 + doubled.mul_f64(jitter() / 2.0)
    }

    /// Whether another try may start, `waited` after the first one, and try `next` is allowed.
    pub fn allows(&self, next: u32, started: Instant, wait: Duration) -> bool {
        next <= self.tries + 1 && started.elapsed() + wait <= self.max_time
    }
}

/// A random number in [0, 1).
fn jitter() -> f64 {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 4];
    match ring::rand::SystemRandom::new().fill(&mut bytes) {
        Ok(()) => f64::from(u32::from_le_bytes(bytes)) / (f64::from(u32::MAX) + 1.0),
        Err(_) => 0.5,
    }
}

/// `Retry-After: SECONDS` or `Retry-After: HTTP-date`.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let text = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(text).ok()?;
    Some(at.duration_since(SystemTime::now()).unwrap_or_default())
}

/// The stderr line of one retry.
pub fn announce(next: u32, policy: &Policy, why: &str, wait: Duration, retry_after: bool) {
    let whence = if retry_after { " (Retry-After)" } else { "" };
    crate::warn!(
        "{why}: try {next} of {} in {}{whence}",
        policy.tries + 1,
        crate::net::format_duration(wait)
    );
}

/// The reason word for a retried failure (what --retry-on calls it).
pub fn failure_reason(kind: Transient) -> &'static str {
    kind.word()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_on_reads_words_and_statuses_and_names_the_known_ones() {
        let policy =
            Policy::new(3, "refused, 5xx,429", Duration::from_secs(1), Duration::MAX).unwrap();
        assert!(policy.retries_failure(Transient::Refused));
        assert!(!policy.retries_failure(Transient::Reset));
        assert!(policy.retries_status(StatusCode::BAD_GATEWAY));
        assert!(policy.retries_status(StatusCode::TOO_MANY_REQUESTS));
        assert!(!policy.retries_status(StatusCode::NOT_FOUND));
        let err = Policy::new(1, "refused,flaky", Duration::ZERO, Duration::MAX).unwrap_err();
        assert_eq!(crate::exit::code_of(&err), Some(Code::Usage));
        assert!(err.to_string().contains("`flaky`") && err.to_string().contains("5xx"));
    }

    #[test]
    fn backoff_doubles_with_jitter_and_retry_after_is_capped() {
        let policy = Policy::new(5, "", Duration::from_secs(2), Duration::from_secs(10)).unwrap();
        for next in 2..=5 {
            let full = Duration::from_secs(2) * (1 << (next - 2));
            let wait = policy.wait(next, None);
            assert!(wait >= full / 2 && wait <= full, "{next}: {wait:?}");
        }
        let mut headers = HeaderMap::new();
        headers.insert(header::RETRY_AFTER, "3".parse().unwrap());
        assert_eq!(policy.wait(2, Some(&headers)), Duration::from_secs(3));
        headers.insert(header::RETRY_AFTER, "3600".parse().unwrap());
        assert_eq!(policy.wait(2, Some(&headers)), Duration::from_secs(10));
    }
}
