//! What a run counted: each worker thread keeps a [`Tally`] of its own (no shared counters on the
//! hot path), and the tallies merge into one at the end. Failures are sorted into [`Failure`]
//! kinds, so a summary can say "3 refused, 1 timeout" rather than "4 errors".

use std::io;
use std::time::Instant;

use hdrhistogram::Histogram;

/// Why an exchange failed. Every failure counts under exactly one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Nothing listening: the connection was refused.
    Refused,
    /// The peer reset the connection (or it broke while sending).
    Reset,
    /// No answer within `--timeout`.
    Timeout,
    /// The server closed before the whole response arrived.
    ClosedEarly,
    /// `bench tcp --expect`: the bytes received differ.
    ExpectMismatch,
    /// Not a valid HTTP response (or more bytes than the response announced).
    BadResponse,
    /// No route, or no local port left to connect from.
    Unreachable,
    /// The TLS session failed: a handshake refused (an untrusted certificate …), or a
    /// peer not speaking TLS.
    Tls,
    /// Anything else the socket reported.
    Other,
}

impl Failure {
    pub const ALL: [Failure; 9] = [
        Failure::Refused,
        Failure::Reset,
        Failure::Timeout,
        Failure::ClosedEarly,
        Failure::ExpectMismatch,
        Failure::BadResponse,
        Failure::Unreachable,
        Failure::Tls,
        Failure::Other,
    ];

    /// How the summary names it.
    pub fn name(self) -> &'static str {
        match self {
            Failure::Refused => "refused",
            Failure::Reset => "reset",
            Failure::Timeout => "timeout",
            Failure::ClosedEarly => "closed early",
            Failure::ExpectMismatch => "expect mismatch",
            Failure::BadResponse => "bad response",
            Failure::Unreachable => "unreachable",
            Failure::Tls => "tls",
            Failure::Other => "other",
        }
    }

    /// Its key in `--json`.
    pub fn key(self) -> &'static str {
        match self {
            Failure::Refused => "refused",
            Failure::Reset => "reset",
            Failure::Timeout => "timeout",
            Failure::ClosedEarly => "closed_early",
            Failure::ExpectMismatch => "expect_mismatch",
            Failure::BadResponse => "bad_response",
            Failure::Unreachable => "unreachable",
            Failure::Tls => "tls",
            Failure::Other => "other",
        }
    }

    /// Sort a socket error.
    pub fn of(err: &io::Error) -> Failure {
        use io::ErrorKind as K;
        if crate::net::tls::rustls_error(err).is_some() || crate::net::tls::not_tls(err).is_some() {
            return Failure::Tls;
        }
        match err.kind() {
            K::ConnectionRefused => Failure::Refused,
            K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe => Failure::Reset,
            K::TimedOut => Failure::Timeout,
            K::AddrNotAvailable
            | K::AddrInUse
            | K::HostUnreachable
            | K::NetworkUnreachable
            | K::NetworkDown => Failure::Unreachable,
            _ => Failure::Other,
        }
    }
}

/// Highest latency the histogram holds exactly (an hour, in microseconds); longer ones are
/// recorded as this. `--timeout` ends any exchange long before in practice.
const MAX_MICROS: u64 = 3_600_000_000;

/// One worker's counts. Only exchanges that started after the warm-up are counted here.
pub struct Tally {
    /// Exchanges that completed.
    pub ok: u64,
    /// Bytes received by counted exchanges that ended (well or not).
    pub bytes: u64,
    /// Failures by kind, indexed like [`Failure::ALL`].
    pub failures: [u64; Failure::ALL.len()],
    /// What the first failure of each kind said, for the message when nothing succeeded.
    pub first_failure: [Option<String>; Failure::ALL.len()],
    /// HTTP status codes seen (index = code, 0..=999).
    pub status: Box<[u64; 1000]>,
    /// Latency of completed exchanges, in microseconds. Under `--rate` it runs from when the
    /// exchange was due (corrected for coordinated omission).
    pub latency: Histogram<u64>,
    /// Under `--rate` only: latency from when the exchange was actually sent.
    pub uncorrected: Histogram<u64>,
    /// Under `--rate`: exchanges due before the run ended that no free connection could start.
    pub unsent: u64,
    /// Connections that were ever opened.
    pub connections_used: u64,
    /// The busiest load thread's CPU time over its wall time (1.0: saturated).
    pub busy: f64,
    /// The phases of completed exchanges, in microseconds: connect (a new connection, up to
    /// its first write), first byte (from the request's last byte to the answer's first) and
    /// transfer (from the answer's first byte to its last).
    pub connect: Histogram<u64>,
    /// The TLS handshake of a new connection (from the connection being up to the session).
    pub tls: Histogram<u64>,
    /// TLS handshakes that resumed an earlier session.
    pub resumed: u64,
    pub ttfb: Histogram<u64>,
    pub transfer: Histogram<u64>,
    /// Completed exchanges in each second of the run (from the end of the warm-up), with the
    /// sum of their latencies: the samples `bench diff` weighs a change against.
    pub seconds: Vec<(u64, u64)>,
    /// When the last counted exchange ended.
    pub last: Option<Instant>,
    /// By request, when the exchange counts them one by one (`bench http --requests`: index i
    /// is the file's i-th request line); empty otherwise. Grown as indexes are seen.
    pub requests: Vec<RequestCounts>,
}

/// The counts of one request of several (a `--requests` line).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestCounts {
    /// Exchanges that completed.
    pub ok: u64,
    /// Failures by kind, indexed like [`Failure::ALL`].
    pub failures: [u64; Failure::ALL.len()],
    /// Status codes seen, with their counts (a few at most: searched in turn).
    pub status: Vec<(u16, u64)>,
}

impl RequestCounts {
    pub fn failed(&self) -> u64 {
        self.failures.iter().sum()
    }

    fn status(&mut self, code: u16, count: u64) {
        match self.status.iter_mut().find(|(seen, _)| *seen == code) {
            Some((_, n)) => *n += count,
            None => self.status.push((code, count)),
        }
    }

    /// Status codes seen, in order, with their counts.
    pub fn status_counts(&self) -> Vec<(u16, u64)> {
        let mut status = self.status.clone();
        status.sort_unstable();
        status
    }

    /// Failure counts that are not zero, most frequent first.
    pub fn failure_counts(&self) -> Vec<(Failure, u64)> {
        failure_counts(&self.failures)
    }

    fn merge(&mut self, other: &RequestCounts) {
        self.ok += other.ok;
        for (mine, theirs) in self.failures.iter_mut().zip(other.failures) {
            *mine += theirs;
        }
        for &(code, count) in &other.status {
            self.status(code, count);
        }
    }
}

impl Tally {
    pub fn new() -> Tally {
        Tally {
            ok: 0,
            bytes: 0,
            failures: [0; Failure::ALL.len()],
            first_failure: Default::default(),
            status: Box::new([0; 1000]),
            // 3 significant digits: 1 µs resolution below a millisecond, 1 ms near a second.
            latency: Histogram::new_with_bounds(1, MAX_MICROS, 3).expect("valid histogram bounds"),
            uncorrected: Histogram::new_with_bounds(1, MAX_MICROS, 3)
                .expect("valid histogram bounds"),
            unsent: 0,
            connections_used: 0,
            busy: 0.0,
            connect: Histogram::new_with_bounds(1, MAX_MICROS, 3).expect("valid histogram bounds"),
            tls: Histogram::new_with_bounds(1, MAX_MICROS, 3).expect("valid histogram bounds"),
            resumed: 0,
            ttfb: Histogram::new_with_bounds(1, MAX_MICROS, 3).expect("valid histogram bounds"),
            transfer: Histogram::new_with_bounds(1, MAX_MICROS, 3).expect("valid histogram bounds"),
            seconds: Vec::new(),
            last: None,
            requests: Vec::new(),
        }
    }

    /// The counts of request `index` (see [`Tally::requests`]).
    fn request(&mut self, index: usize) -> &mut RequestCounts {
        if self.requests.len() <= index {
            self.requests.resize_with(index + 1, RequestCounts::default);
        }
        &mut self.requests[index]
    }

    /// A completed exchange of request `index`, with its status if it has one.
    pub fn request_complete(&mut self, index: usize, status: Option<u16>) {
        let counts = self.request(index);
        counts.ok += 1;
        if let Some(code) = status {
            counts.status(code.min(999), 1);
        }
    }

    /// A failed exchange of request `index`.
    pub fn request_fail(&mut self, index: usize, kind: Failure) {
        self.request(index).failures[kind as usize] += 1;
    }

    /// A completed exchange that took `micros` (from when it was due); `sent`, under `--rate`,
    /// the time from its actual send.
    pub fn complete(&mut self, micros: u64, sent: Option<u64>, status: Option<u16>, now: Instant) {
        self.ok += 1;
        self.latency.saturating_record(micros.max(1));
        if let Some(sent) = sent {
            self.uncorrected.saturating_record(sent.max(1));
        }
        if let Some(code) = status {
            self.status[usize::from(code).min(999)] += 1;
        }
        self.last = Some(now);
    }

    /// Count a completed exchange in second `second` of the run (bounded: a day of seconds).
    pub fn second(&mut self, second: u64, micros: u64) {
        let Ok(index) = usize::try_from(second) else {
            return;
        };
        if index >= 86_400 {
            return;
        }
        if self.seconds.len() <= index {
            self.seconds.resize(index + 1, (0, 0));
        }
        let slot = &mut self.seconds[index];
        slot.0 += 1;
        slot.1 = slot.1.saturating_add(micros);
    }

    /// The phases of a completed exchange that has them (see the fields).
    pub fn phases(
        &mut self,
        connect: Option<u64>,
        tls: Option<u64>,
        ttfb: Option<u64>,
        transfer: Option<u64>,
    ) {
        for (histogram, micros) in [
            (&mut self.connect, connect),
            (&mut self.tls, tls),
            (&mut self.ttfb, ttfb),
            (&mut self.transfer, transfer),
        ] {
            if let Some(micros) = micros {
                histogram.saturating_record(micros.max(1));
            }
        }
    }

    /// A failed exchange; `detail` is asked for only the first time a kind is seen.
    pub fn fail(&mut self, kind: Failure, detail: impl FnOnce() -> String, now: Instant) {
        let index = kind as usize;
        self.failures[index] += 1;
        if self.first_failure[index].is_none() {
            self.first_failure[index] = Some(detail());
        }
        self.last = Some(now);
    }

    pub fn failed(&self) -> u64 {
        self.failures.iter().sum()
    }

    /// Fold another worker's tally into this one.
    pub fn merge(&mut self, other: Tally) {
        self.ok += other.ok;
        self.bytes += other.bytes;
        self.unsent += other.unsent;
        self.connections_used += other.connections_used;
        self.busy = self.busy.max(other.busy);
        let _ = self.uncorrected.add(&other.uncorrected);
        let _ = self.connect.add(&other.connect);
        let _ = self.tls.add(&other.tls);
        self.resumed += other.resumed;
        let _ = self.ttfb.add(&other.ttfb);
        let _ = self.transfer.add(&other.transfer);
        if self.seconds.len() < other.seconds.len() {
            self.seconds.resize(other.seconds.len(), (0, 0));
        }
        for (mine, theirs) in self.seconds.iter_mut().zip(&other.seconds) {
            mine.0 += theirs.0;
            mine.1 = mine.1.saturating_add(theirs.1);
        }
        for (index, count) in other.failures.iter().enumerate() {
            self.failures[index] += count;
        }
        for (mine, theirs) in self.first_failure.iter_mut().zip(other.first_failure) {
            if mine.is_none() {
                *mine = theirs;
            }
        }
        for (mine, theirs) in self.status.iter_mut().zip(other.status.iter()) {
            *mine += theirs;
        }
        for (index, counts) in other.requests.iter().enumerate() {
            self.request(index).merge(counts);
        }
        // Both histograms have the same bounds, so adding cannot fail.
        let _ = self.latency.add(&other.latency);
        self.last = self.last.max(other.last);
    }

    /// Failure counts that are not zero, most frequent first.
    pub fn failure_counts(&self) -> Vec<(Failure, u64)> {
        failure_counts(&self.failures)
    }

    /// Status codes seen, in order, with their counts.
    pub fn status_counts(&self) -> Vec<(u16, u64)> {
        self.status
            .iter()
            .enumerate()
            .filter(|&(_, &count)| count > 0)
            .map(|(code, &count)| (code as u16, count))
            .collect()
    }
}

/// Failure counts (indexed like [`Failure::ALL`]) that are not zero, most frequent first.
fn failure_counts(failures: &[u64; Failure::ALL.len()]) -> Vec<(Failure, u64)> {
    let mut counts: Vec<(Failure, u64)> = Failure::ALL
        .iter()
        .map(|&kind| (kind, failures[kind as usize]))
        .filter(|&(_, count)| count > 0)
        .collect();
    counts.sort_by_key(|&(_, count)| std::cmp::Reverse(count));
    counts
}

impl Default for Tally {
    fn default() -> Self {
        Tally::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_adds_everything() {
        let now = Instant::now();
        let mut a = Tally::new();
        a.complete(100, None, Some(200), now);
        a.fail(Failure::Refused, || "first".into(), now);
        let mut b = Tally::new();
        b.complete(300, None, Some(503), now);
        b.complete(200, None, Some(200), now);
        b.fail(Failure::Refused, || "second".into(), now);
        b.fail(Failure::Timeout, || "slow".into(), now);
        b.bytes = 42;
        a.merge(b);
        assert_eq!(a.ok, 3);
        assert_eq!(a.bytes, 42);
        assert_eq!(a.failed(), 3);
        assert_eq!(
            a.failure_counts(),
            vec![(Failure::Refused, 2), (Failure::Timeout, 1)]
        );
        assert_eq!(
            a.first_failure[Failure::Refused as usize].as_deref(),
            Some("first")
        );
        assert_eq!(a.status_counts(), vec![(200, 2), (503, 1)]);
        assert_eq!(a.latency.len(), 3);
        assert_eq!(a.latency.max(), 300);
    }

    #[test]
    fn counts_by_request_merge_line_by_line() {
        let mut a = Tally::new();
        a.request_complete(0, Some(200));
        a.request_fail(2, Failure::Timeout);
        let mut b = Tally::new();
        b.request_complete(0, Some(404));
        b.request_complete(0, Some(200));
        b.request_complete(1, None);
        a.merge(b);
        assert_eq!(a.requests.len(), 3);
        assert_eq!(a.requests[0].ok, 3);
        assert_eq!(a.requests[0].status_counts(), vec![(200, 2), (404, 1)]);
        assert_eq!(a.requests[1].ok, 1);
        assert!(a.requests[1].status.is_empty());
        assert_eq!(a.requests[2].failure_counts(), vec![(Failure::Timeout, 1)]);
        assert_eq!(a.requests[2].failed(), 1);
    }

    #[test]
    fn socket_errors_sort_into_kinds() {
        let kind = |k| Failure::of(&io::Error::from(k));
        assert_eq!(kind(io::ErrorKind::ConnectionRefused), Failure::Refused);
        assert_eq!(kind(io::ErrorKind::BrokenPipe), Failure::Reset);
        assert_eq!(kind(io::ErrorKind::AddrNotAvailable), Failure::Unreachable);
        assert_eq!(kind(io::ErrorKind::PermissionDenied), Failure::Other);
    }
}
