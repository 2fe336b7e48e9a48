//! Where the time went: each request's phases stamped as they happen — the name lookup (a
//! resolver around ureq's), the TCP connection and the TLS handshake (connectors in ureq's
//! chain), the request sent and the first byte back (a transport around the connection) — and
//! what the answer was, for `-w/--write-out` (curl's variables) and `--timing` (a table of
//! phases, each its own duration, where curl's users misread cumulative stamps).
//!
//! The stamps are of the last request (after redirects and retries); `time_redirect` is all
//! that came before it, and `time_total` runs from the start of the run, as curl's do.

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ureq::config::Config;
use ureq::http::{HeaderMap, StatusCode, Uri, Version};
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{Buffers, ConnectionDetails, Connector, NextTimeout, Transport};

use crate::net;

/// A phase's length as a person reads it: `420 µs`, `3.1 ms`, `1.25 s`.
fn format_duration(d: Duration) -> String {
    let micros = d.as_secs_f64() * 1e6;
    if micros < 1000.0 {
        format!("{micros:.0} µs")
    } else if micros < 1e6 {
        format!("{:.1} ms", micros / 1000.0)
    } else {
        format!("{:.2} s", micros / 1e6)
    }
}

/// When each phase of the last request ended, from the start of the run.
#[derive(Debug, Default, Clone, Copy)]
pub struct Stamps {
    /// The last request began (after redirects and retries before it).
    pub hop: Duration,
    pub resolved: Option<Duration>,
    pub connected: Option<Duration>,
    pub tls: Option<Duration>,
    /// The last byte of the request (and its body) was handed to the connection.
    pub sent: Option<Duration>,
    pub first_byte: Option<Duration>,
    pub done: Option<Duration>,
}

/// What the answer was: what `-w` prints beside the times.
#[derive(Debug, Default, Clone)]
pub struct Answer {
    pub status: Option<StatusCode>,
    pub version: Option<Version>,
    pub headers: HeaderMap,
    pub url: String,
    pub method: String,
    pub redirects: u32,
    /// Body bytes as they came over the wire (before decoding).
    pub size_download: u64,
}

/// The run's timeline, shared with ureq's resolver, connectors and transports.
#[derive(Debug)]
pub struct Timeline {
    /// When this URL's transfer began (each URL of a run starts over).
    start: Mutex<Instant>,
    stamps: Mutex<Stamps>,
    answer: Mutex<Answer>,
}

impl Timeline {
    pub fn new() -> Arc<Timeline> {
        Arc::new(Timeline {
            start: Mutex::new(Instant::now()),
            stamps: Mutex::default(),
            answer: Mutex::default(),
        })
    }

    fn now(&self) -> Duration {
        net::lock(&self.start).elapsed()
    }

    /// The next URL of the run begins: its times and answer start from nothing.
    pub fn restart(&self) {
        *net::lock(&self.start) = Instant::now();
        *net::lock(&self.stamps) = Stamps::default();
        *net::lock(&self.answer) = Answer::default();
    }

    /// A new request begins: the stamps start over.
    pub fn hop(&self) {
        *net::lock(&self.stamps) = Stamps {
            hop: self.now(),
            ..Stamps::default()
        };
    }

    fn stamp(&self, which: impl FnOnce(&mut Stamps, Duration)) {
        let now = self.now();
        which(&mut net::lock(&self.stamps), now);
    }

    /// The body is all written (or the transfer ended).
    pub fn done(&self) {
        self.stamp(|s, now| {
            s.done.get_or_insert(now);
        });
    }

    pub fn stamps(&self) -> Stamps {
        *net::lock(&self.stamps)
    }

    pub fn answer(&self) -> std::sync::MutexGuard<'_, Answer> {
        net::lock(&self.answer)
    }

    /// The whole run so far.
    pub fn total(&self) -> Duration {
        self.stamps().done.unwrap_or_else(|| self.now())
    }
}

/// ureq's resolver, timed, with the answers kept for the run (as curl's DNS cache): the next
/// URL to the same host and port is not looked up again — ureq looks up before it takes a kept
/// connection from its pool, on a thread of its own when a timeout is set.
#[derive(Debug)]
pub struct TimedResolver {
    pub timeline: Arc<Timeline>,
    pub inner: DefaultResolver,
    pub cache: Mutex<Vec<(String, ResolvedSocketAddrs)>>,
}

impl Resolver for TimedResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let key = format!(
            "{}://{}",
            uri.scheme_str().unwrap_or_default(),
            uri.authority().map_or("", |a| a.as_str())
        );
        let known = net::lock(&self.cache)
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, addrs)| addrs.clone());
        let resolved = match known {
            Some(addrs) => Ok(addrs),
            None => self.inner.resolve(uri, config, timeout),
        };
        if let Ok(addrs) = &resolved {
            let mut cache = net::lock(&self.cache);
            if !cache.iter().any(|(k, _)| *k == key) {
                cache.push((key, addrs.clone()));
            }
        }
        self.timeline.stamp(|s, now| s.resolved = Some(now));
        resolved
    }
}

/// A link in ureq's connector chain that stamps a phase as the connection passes through:
/// after TCP, `connected`; after TLS, `tls` (https only), and the connection is wrapped so
/// its first write and first read are stamped too.
#[derive(Debug)]
pub struct Stamp {
    pub timeline: Arc<Timeline>,
    pub after_tls: bool,
}

impl<In: Transport> Connector<In> for Stamp {
    type Out = Timed<In>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        let Some(transport) = chained else {
            return Ok(None);
        };
        let after_tls = self.after_tls;
        self.timeline.stamp(|s, now| match after_tls {
            false => s.connected = Some(now),
            true if details.needs_tls() => s.tls = Some(now),
            true => {}
        });
        Ok(Some(Timed {
            inner: transport,
            timeline: after_tls.then(|| Arc::clone(&self.timeline)),
        }))
    }
}

/// A connection whose writes and first read are stamped (when `timeline` is set: the outermost
/// one, carrying plaintext).
#[derive(Debug)]
pub struct Timed<T> {
    inner: T,
    timeline: Option<Arc<Timeline>>,
}

impl<T: Transport> Transport for Timed<T> {
    fn buffers(&mut self) -> &mut dyn Buffers {
        self.inner.buffers()
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        if self.timeline.is_some() {
            crate::explain::http::sending();
        }
        let sent = self.inner.transmit_output(amount, timeout);
        if let Some(timeline) = &self.timeline {
            timeline.stamp(|s, now| s.sent = Some(now));
        }
        sent
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        let got = self.inner.await_input(timeout)?;
        if got && let Some(timeline) = &self.timeline {
            timeline.stamp(|s, now| {
                s.first_byte.get_or_insert(now);
            });
        }
        Ok(got)
    }

    fn is_open(&mut self) -> bool {
        self.inner.is_open()
    }

    fn is_tls(&self) -> bool {
        self.inner.is_tls()
    }
}

/// curl's cumulative times (seconds from the start of the last request, and `time_total` from
/// the start of the run), by variable name.
pub fn curl_time(name: &str, stamps: &Stamps, redirects: u32, total: Duration) -> Option<Duration> {
    let since_hop =
        |at: Option<Duration>| at.map_or(Duration::ZERO, |at| at.saturating_sub(stamps.hop));
    let connected = stamps.connected.or(stamps.resolved);
    let pretransfer = stamps.tls.or(connected);
    Some(match name {
        "time_namelookup" => since_hop(stamps.resolved),
        "time_connect" => since_hop(connected),
        "time_appconnect" => since_hop(stamps.tls),
        "time_pretransfer" => since_hop(pretransfer),
        "time_starttransfer" => since_hop(stamps.first_byte),
        "time_redirect" if redirects > 0 => stamps.hop,
        "time_redirect" => Duration::ZERO,
        "time_total" => total,
        _ => return None,
    })
}

/// `--timing`: each phase of the last request as its own duration, with what it is.
pub fn table(timeline: &Timeline) -> String {
    let s = timeline.stamps();
    let total = timeline.total();
    let mut rows: Vec<(&str, Option<Duration>, &str)> = Vec::new();
    let span = |from: Option<Duration>, to: Option<Duration>| match (from, to) {
        (Some(from), Some(to)) => Some(to.saturating_sub(from)),
        _ => None,
    };
    let hop = Some(s.hop);
    let connected = s.connected;
    let secured = s.tls.or(connected);
    rows.push((
        "DNS lookup",
        span(hop, s.resolved),
        "finding the host's addresses",
    ));
    rows.push((
        "TCP connect",
        span(s.resolved, connected),
        "the three-way handshake",
    ));
    if s.tls.is_some() {
        rows.push((
            "TLS handshake",
            span(connected, s.tls),
            "agreeing on keys and checking the certificate",
        ));
    }
    rows.push((
        "request sent",
        span(secured, s.sent),
        "writing the request and its body",
    ));
    rows.push((
        "waiting",
        span(s.sent, s.first_byte),
        "the server working on the answer (time to first byte)",
    ));
    rows.push((
        "download",
        span(s.first_byte, s.done),
        "the answer, from its first byte to its last",
    ));
    let mut out = String::new();
    for (name, took, what) in rows {
        let took = took.map_or_else(|| "-".to_string(), format_duration);
        let _ = writeln!(out, "  {name:<14} {took:>10}   {what}");
    }
    let redirects = if timeline.answer().redirects > 0 {
        format!(
            " (of which {} before the last request)",
            format_duration(s.hop)
        )
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "  {:<14} {:>10}   the whole run{redirects}",
        "total",
        format_duration(total)
    );
    out
}
