//! How a run is shown: the summary (text for people, one JSON object for scripts), the verdict
//! (exit 1 when nothing succeeded), the live progress line, and numbers written for people.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use serde_json::{Map, Value, json};

use super::engine::Outcome;
use super::requests::RequestLine;
use super::tally::{Failure, Tally};
use crate::net::{self, HumanBytes};

/// What was loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Tcp,
    Http,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Tcp => "tcp",
            Kind::Http => "http",
        }
    }

    /// What one exchange is called, plural.
    pub fn unit(self) -> &'static str {
        match self {
            Kind::Tcp => "connections",
            Kind::Http => "requests",
        }
    }

    /// What one exchange is called.
    pub fn one(self) -> &'static str {
        match self {
            Kind::Tcp => "connection",
            Kind::Http => "request",
        }
    }

    /// The rate's unit, short.
    pub fn per_second(self) -> &'static str {
        match self {
            Kind::Tcp => "conn/s",
            Kind::Http => "req/s",
        }
    }
}

/// A finished run and what it was run against.
pub struct Report {
    pub kind: Kind,
    /// The address or URL as the user named it.
    pub target: String,
    pub addr: SocketAddr,
    pub connections: u32,
    pub threads: usize,
    /// `--rate`, when the run was an open-model one.
    pub target_rate: Option<f64>,
    pub outcome: Outcome,
    /// `bench http --requests`: the file's request lines, counted one by one (the tally's
    /// `requests` by the same index). Empty otherwise.
    pub lines: Vec<RequestLine>,
}

impl Report {
    pub(super) fn tally(&self) -> &Tally {
        &self.outcome.tally
    }

    /// Successful exchanges per second.
    pub fn rate(&self) -> f64 {
        let secs = self.outcome.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.tally().ok as f64 / secs
        } else {
            0.0
        }
    }

    /// A latency quantile in microseconds (0 when nothing completed).
    pub fn quantile(&self, q: f64) -> u64 {
        let latency = &self.tally().latency;
        if latency.is_empty() {
            0
        } else {
            latency.value_at_quantile(q)
        }
    }

    pub fn failed(&self) -> u64 {
        self.tally().failed()
    }

    /// The latency histogram (corrected, under `--rate`).
    pub fn latency(&self) -> &hdrhistogram::Histogram<u64> {
        &self.tally().latency
    }

    pub fn succeeded(&self) -> u64 {
        self.tally().ok
    }

    /// A latency quantile (1.0: the maximum) in microseconds; `None` when nothing completed.
    pub fn latency_quantile(&self, q: f64) -> Option<u64> {
        let latency = &self.tally().latency;
        match latency.is_empty() {
            true => None,
            false if q >= 1.0 => Some(latency.max()),
            false => Some(latency.value_at_quantile(q)),
        }
    }

    /// The mean latency in microseconds; `None` when nothing completed.
    pub fn latency_mean(&self) -> Option<f64> {
        let latency = &self.tally().latency;
        (!latency.is_empty()).then(|| latency.mean())
    }

    /// What `--save` keeps: the JSON summary, the latency histogram as `[microseconds, count]`
    /// pairs and the second-by-second `[exchanges, latency sum in µs]` samples.
    pub fn saved(&self) -> Value {
        let tally = self.tally();
        let mut object = self.json();
        object["saved_by"] = json!(format!("netlab {}", env!("CARGO_PKG_VERSION")));
        object["histogram_us"] = tally
            .latency
            .iter_recorded()
            .map(|step| json!([step.value_iterated_to(), step.count_at_value()]))
            .collect();
        // Only whole seconds: the last one is cut short by the end of the run.
        let whole = self.outcome.elapsed.as_secs() as usize;
        object["seconds"] = tally
            .seconds
            .iter()
            .take(whole)
            .map(|(count, sum)| json!([count, sum]))
            .collect();
        object
    }

    /// Under `--rate`: what the two latencies mean, and whether the rate was held.
    fn open_model_notes(&self, target: f64) -> String {
        let tally = self.tally();
        let mut notes = String::new();
        let mut say = |text: String| notes.push_str(&format!("  {text}\n"));
        let achieved = self.rate();
        let started = tally.ok + tally.failed();
        let short = 1.0 - achieved / target;
        let (p99, sent_p99) = (
            self.quantile(0.99),
            if tally.uncorrected.is_empty() {
                0
            } else {
                tally.uncorrected.value_at_quantile(0.99)
            },
        );
        say(format!(
            "target       {} {}, achieved {}{}",
            Rate(target),
            self.kind.per_second(),
            Rate(achieved),
            if short > 0.01 {
                format!(" ({:.1}% short)", short * 100.0)
            } else {
                String::new()
            }
        ));
        say(format!(
            "connections  {} used of {}{}",
            Count(tally.connections_used.min(u64::from(self.connections))),
            Count(u64::from(self.connections)),
            if tally.unsent > 0 {
                format!(
                    "; {} {} came due with none free (raise -c)",
                    Count(tally.unsent),
                    self.kind.unit()
                )
            } else {
                String::new()
            }
        ));
        if tally.busy > 0.9 {
            say(format!(
                "note         netlab's busiest load thread used {:.0}% of a core: the generator \
                 itself may be what fell short (try --threads)",
                tally.busy * 100.0
            ));
        }
        // Twice as slow, and by a millisecond at least: a few dozen microseconds of the
        // generator's own wake-up on a fast exchange is not a wait worth a sentence.
        let meaning = if p99 > sent_p99.saturating_mul(2)
            && p99.saturating_sub(sent_p99) >= 1000
            && started > 0
        {
            "the latency counts from when each exchange was due, \"as sent\" from when it left; \
             they differ by the time exchanges waited for a free connection while the server \
             was slow, which a closed loop never measures"
        } else {
            "the latency counts from when each exchange was due, \"as sent\" from when it left; \
             they agree: every exchange left on time"
        };
        say(format!("note         {meaning}"));
        notes
    }

    /// The summary for people.
    pub fn text(&self) -> String {
        let tally = self.tally();
        let kind = self.kind;
        let mut out = String::new();
        let mut line = |label: &str, value: String| {
            out.push_str(&format!("  {label:<12} {value}\n"));
        };
        line(
            kind.unit(),
            format!(
                "{} in {:.2} s   {} {}",
                Count(tally.ok),
                self.outcome.elapsed.as_secs_f64(),
                Rate(self.rate()),
                kind.per_second()
            ),
        );
        line(
            "received",
            format!(
                "{}   {}/s",
                HumanBytes(tally.bytes),
                HumanBytes(per_second(tally.bytes, self.outcome.elapsed))
            ),
        );
        if kind == Kind::Http {
            let status = tally.status_counts();
            line(
                "status",
                if status.is_empty() {
                    "none".to_string()
                } else {
                    status
                        .iter()
                        .map(|(code, count)| format!("{code}: {}", Count(*count)))
                        .collect::<Vec<_>>()
                        .join("   ")
                },
            );
        }
        line("errors", failure_list(tally, "none"));
        let figures = |histogram: &hdrhistogram::Histogram<u64>| {
            if histogram.is_empty() {
                "-".to_string()
            } else {
                format!(
                    "min {}   p50 {}   p90 {}   p99 {}   max {}",
                    Micros(histogram.min()),
                    Micros(histogram.value_at_quantile(0.5)),
                    Micros(histogram.value_at_quantile(0.9)),
                    Micros(histogram.value_at_quantile(0.99)),
                    Micros(histogram.max()),
                )
            }
        };
        let p50_p99 = |histogram: &hdrhistogram::Histogram<u64>| {
            if histogram.is_empty() {
                "-".to_string()
            } else {
                format!(
                    "p50 {} p99 {}",
                    Micros(histogram.value_at_quantile(0.5)),
                    Micros(histogram.value_at_quantile(0.99))
                )
            }
        };
        line(
            "phases",
            format!(
                "connect {}   first byte {}   transfer {}",
                p50_p99(&tally.connect),
                p50_p99(&tally.ttfb),
                p50_p99(&tally.transfer)
            ),
        );
        if !tally.tls.is_empty() {
            let handshakes = tally.tls.len();
            line(
                "tls",
                format!(
                    "handshake {}   {} handshakes, {} resumed, {}/s",
                    figures(&tally.tls),
                    Count(handshakes),
                    Count(tally.resumed),
                    Rate(handshakes as f64 / self.outcome.elapsed.as_secs_f64().max(1e-9))
                ),
            );
        }
        match self.target_rate {
            None => line("latency", figures(&tally.latency)),
            Some(_) => {
                line(
                    "latency",
                    format!("{}   (from when each was due)", figures(&tally.latency)),
                );
                line("  as sent", figures(&tally.uncorrected));
            }
        }
        for (index, row) in super::histogram::rows(&tally.latency).iter().enumerate() {
            line(if index == 0 { "histogram" } else { "" }, row.clone());
        }
        if let Some(target) = self.target_rate {
            out.push_str(&self.open_model_notes(target));
        }
        out.push_str(&self.by_line());
        let mut head = format!(
            "bench {} {} ({}): {} connection{} on {} thread{}",
            kind.name(),
            self.target,
            self.addr,
            self.connections,
            plural(self.connections.into()),
            self.threads,
            plural(self.threads as u64),
        );
        if self.outcome.interrupted {
            head.push_str(", stopped early by a signal");
        }
        format!("{head}\n{out}")
    }

    /// The summary for scripts: one JSON object.
    pub fn json(&self) -> Value {
        let tally = self.tally();
        let errors: Map<String, Value> = Failure::ALL
            .iter()
            .map(|&kind| (kind.key().to_string(), json!(tally.failures[kind as usize])))
            .collect();
        let latency = if tally.latency.is_empty() {
            Value::Null
        } else {
            json!({
                "min": tally.latency.min(),
                "mean": (tally.latency.mean() * 10.0).round() / 10.0,
                "p50": self.quantile(0.5),
                "p90": self.quantile(0.9),
                "p99": self.quantile(0.99),
                "max": tally.latency.max(),
            })
        };
        let mut object = json!({
            "kind": self.kind.name(),
            "target": self.target,
            "addr": self.addr.to_string(),
            "connections": self.connections,
            "threads": self.threads,
            "count": tally.ok,
            "failed": tally.failed(),
            "rate": (self.rate() * 10.0).round() / 10.0,
            "duration_secs": (self.outcome.elapsed.as_secs_f64() * 1e6).round() / 1e6,
            "bytes": tally.bytes,
            "errors": errors,
            "latency_us": latency,
            "interrupted": self.outcome.interrupted,
        });
        // Seconds, as floats: the names issue 18 fixed (`latency_us` stays for scripts that
        // read it).
        let seconds = |histogram: &hdrhistogram::Histogram<u64>| {
            if histogram.is_empty() {
                return Value::Null;
            }
            let at = |q: f64| histogram.value_at_quantile(q) as f64 / 1e6;
            json!({
                "p50": at(0.5),
                "p90": at(0.9),
                "p95": at(0.95),
                "p99": at(0.99),
                "p999": at(0.999),
                "max": histogram.max() as f64 / 1e6,
            })
        };
        object["latency"] = json!({ "corrected": seconds(&tally.latency) });
        // `tls` is null for a run without TLS (and for kept-alive exchanges only).
        object["phases"] = json!({
            "connect": seconds(&tally.connect),
            "tls": seconds(&tally.tls),
            "ttfb": seconds(&tally.ttfb),
            "transfer": seconds(&tally.transfer),
        });
        object["connections_used"] = json!(tally.connections_used);
        if !tally.tls.is_empty() {
            object["tls_handshakes"] = json!(tally.tls.len());
            object["tls_resumed"] = json!(tally.resumed);
        }
        if let Some(target) = self.target_rate {
            object["target_rate"] = json!(target);
            object["latency"]["uncorrected"] = seconds(&tally.uncorrected);
            object["unsent"] = json!(tally.unsent);
        }
        if self.kind == Kind::Http {
            let status: Map<String, Value> = tally
                .status_counts()
                .into_iter()
                .map(|(code, count)| (code.to_string(), json!(count)))
                .collect();
            object["status"] = Value::Object(status);
        }
        if !self.lines.is_empty() {
            object["requests_lines"] = self
                .line_counts()
                .map(|(line, counts)| {
                    let errors: Map<String, Value> = counts
                        .failure_counts()
                        .into_iter()
                        .map(|(kind, count)| (kind.key().to_string(), json!(count)))
                        .collect();
                    let status: Map<String, Value> = counts
                        .status_counts()
                        .into_iter()
                        .map(|(code, count)| (code.to_string(), json!(count)))
                        .collect();
                    json!({
                        "line": line.number,
                        "method": line.method,
                        "url": line.url,
                        "count": counts.ok,
                        "failed": counts.failed(),
                        "errors": errors,
                        "status": status,
                    })
                })
                .collect();
        }
        object
    }

    /// `Err` (exit 1) when not a single exchange succeeded, saying what went wrong instead.
    pub fn verdict(&self) -> anyhow::Result<()> {
        let tally = self.tally();
        if tally.ok > 0 {
            return Ok(());
        }
        let what = format!("bench {} {}", self.kind.name(), self.target);
        let counts = tally.failure_counts();
        let Some(&(worst, _)) = counts.first() else {
            // Nothing failed either: every exchange was still in flight when the run ended.
            let hint = match self.kind {
                Kind::Tcp => "; does the server wait for a request first? (see --send)",
                Kind::Http => "; the server answers slower than the run lasts",
            };
            return Err(anyhow::anyhow!(
                "{what}: no {} completed in {:.2} s{hint}",
                self.kind.one(),
                self.outcome.elapsed.as_secs_f64()
            ));
        };
        let detail = match worst {
            Failure::Refused => format!("connect {}: {}", self.addr, net::failure::REFUSED),
            _ => tally.first_failure[worst as usize]
                .clone()
                .unwrap_or_else(|| worst.name().to_string()),
        };
        Err(anyhow::anyhow!(
            "{what}: no {} succeeded ({}): {detail}",
            self.kind.one(),
            failure_list(tally, "")
        ))
    }
}

/// `3 refused, 1 timeout`, most frequent first; `none` when there are none.
fn failure_list(tally: &Tally, none: &str) -> String {
    let counts = tally.failure_counts();
    if counts.is_empty() {
        return none.to_string();
    }
    counts
        .iter()
        .map(|(kind, count)| format!("{} {}", Count(*count), kind.name()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn per_second(total: u64, elapsed: Duration) -> u64 {
    let secs = elapsed.as_secs_f64();
    if secs > 0.0 {
        (total as f64 / secs) as u64
    } else {
        0
    }
}

pub(super) fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

pub use crate::net::Count;

/// A rate: grouped digits, one decimal below 100.
pub struct Rate(pub f64);

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 < 100.0 {
            f.pad(&format!("{:.1}", self.0))
        } else {
            f.pad(&Count(self.0.round() as u64).to_string())
        }
    }
}

/// A latency in microseconds, in the unit that reads best: `310 µs`, `1.21 ms`, `2.50 s`.
pub struct Micros(pub u64);

impl fmt::Display for Micros {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let us = self.0;
        let text = if us < 1000 {
            format!("{us} µs")
        } else if us < 1_000_000 {
            format!("{:.2} ms", us as f64 / 1e3)
        } else {
            format!("{:.2} s", us as f64 / 1e6)
        };
        f.pad(&text)
    }
}

/// A duration as the flags take it: `10s`, `1.5s`, `250ms`.
pub struct Secs(pub Duration);

impl fmt::Display for Secs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.as_millis();
        if ms < 1000 {
            write!(f, "{ms}ms")
        } else if ms.is_multiple_of(1000) {
            write!(f, "{}s", ms / 1000)
        } else {
            write!(f, "{}s", self.0.as_secs_f64())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(Count(0).to_string(), "0");
        assert_eq!(Count(999).to_string(), "999");
        assert_eq!(Count(1000).to_string(), "1,000");
        assert_eq!(Count(1234567).to_string(), "1,234,567");
        assert_eq!(Rate(12.345).to_string(), "12.3");
        assert_eq!(Rate(12345.6).to_string(), "12,346");
        assert_eq!(Micros(310).to_string(), "310 µs");
        assert_eq!(Micros(1210).to_string(), "1.21 ms");
        assert_eq!(Micros(2_500_000).to_string(), "2.50 s");
        assert_eq!(Secs(Duration::from_secs(10)).to_string(), "10s");
        assert_eq!(Secs(Duration::from_millis(1500)).to_string(), "1.5s");
        assert_eq!(Secs(Duration::from_millis(250)).to_string(), "250ms");
    }
}
