//! `--fail-if`: thresholds a run must not cross, for CI (k6's idea, with a plain syntax):
//! `p99>50ms`, `errors>0.1%`, `errors>0`, `rate<1000`. A crossed threshold makes the run exit
//! 99 (k6's code: netlab's 3 already means a malformed URL), listing each one crossed.

use std::fmt;

use super::report::{Micros, Rate, Report};
use crate::exit::Code;

/// What a threshold looks at.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Metric {
    /// A latency quantile (0.5 for p50 …), or the maximum (1.0).
    Latency(f64),
    /// The mean latency.
    Mean,
    /// Failed exchanges, as a share of all (`%` given) or a count.
    Errors { percent: bool },
    /// Successful exchanges a second.
    Rate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Above,
    AtLeast,
    Below,
    AtMost,
}

/// One `--fail-if`: the run fails when `metric op value` holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    pub text: String,
    pub metric: Metric,
    pub op: Op,
    /// Microseconds for latency, a percentage or a count for errors, a rate for rate.
    pub value: f64,
}

/// Parse `p99>50ms` and the like (the value parser of `--fail-if`).
pub fn parse(text: &str) -> Result<Threshold, String> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let at = compact.find(['<', '>']).ok_or(
        "must be METRIC<VALUE or METRIC>VALUE, such as p99>50ms, errors>0.1% or rate<1000",
    )?;
    let (name, rest) = compact.split_at(at);
    let (op, value) = match rest.as_bytes() {
        [b'>', b'=', ..] => (Op::AtLeast, &rest[2..]),
        [b'<', b'=', ..] => (Op::AtMost, &rest[2..]),
        [b'>', ..] => (Op::Above, &rest[1..]),
        _ => (Op::Below, &rest[1..]),
    };
    let number = |digits: &str| -> Result<f64, String> {
        digits
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite() && *n >= 0.0)
            .ok_or_else(|| format!("`{value}` is not a number"))
    };
    let (metric, value) = match name {
        "p50" | "p90" | "p95" | "p99" | "p999" | "max" | "mean" => {
            let metric = match name {
                "p50" => Metric::Latency(0.5),
                "p90" => Metric::Latency(0.9),
                "p95" => Metric::Latency(0.95),
                "p99" => Metric::Latency(0.99),
                "p999" => Metric::Latency(0.999),
                "max" => Metric::Latency(1.0),
                _ => Metric::Mean,
            };
            (metric, micros(value)?)
        }
        "errors" => match value.strip_suffix('%') {
            Some(percent) => (Metric::Errors { percent: true }, number(percent)?),
            None => (Metric::Errors { percent: false }, number(value)?),
        },
        "rate" => (Metric::Rate, number(value)?),
        other => {
            return Err(format!(
                "unknown metric `{other}` (one of p50, p90, p95, p99, p999, max, mean, errors, \
                 rate)"
            ));
        }
    };
    Ok(Threshold {
        text: compact.clone(),
        metric,
        op,
        value,
    })
}

/// `50ms`, `1.5s`, `250us` (or `µs`) in microseconds; a latency needs its unit.
fn micros(text: &str) -> Result<f64, String> {
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let scale = match unit {
        "us" | "µs" => 1.0,
        "ms" => 1e3,
        "s" => 1e6,
        "" => return Err(format!("`{text}` needs a unit (us, ms or s)")),
        _ => {
            return Err(format!(
                "unknown unit `{unit}` in `{text}` (use us, ms or s)"
            ));
        }
    };
    number
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite() && *n >= 0.0)
        .map(|n| n * scale)
        .ok_or_else(|| format!("`{text}` is not a latency"))
}

/// A measured figure, as the threshold's message shows it.
struct Measured {
    value: f64,
    metric: Metric,
}

impl fmt::Display for Measured {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.metric {
            Metric::Latency(_) | Metric::Mean => write!(f, "{}", Micros(self.value as u64)),
            Metric::Errors { percent: true } => write!(f, "{:.3}%", self.value),
            Metric::Errors { percent: false } => write!(f, "{}", self.value as u64),
            Metric::Rate => write!(f, "{}/s", Rate(self.value)),
        }
    }
}

impl Threshold {
    /// The figure of `report` this threshold reads; `None` when there is none (no latency
    /// without a completed exchange).
    fn measure(&self, report: &Report) -> Option<f64> {
        Some(match self.metric {
            Metric::Latency(q) => report.latency_quantile(q)? as f64,
            Metric::Mean => report.latency_mean()?,
            Metric::Errors { percent } => {
                let failed = report.failed() as f64;
                if percent {
                    let all = failed + report.succeeded() as f64;
                    if all == 0.0 {
                        0.0
                    } else {
                        failed * 100.0 / all
                    }
                } else {
                    failed
                }
            }
            Metric::Rate => report.rate(),
        })
    }

    fn crossed_by(&self, measured: f64) -> bool {
        match self.op {
            Op::Above => measured > self.value,
            Op::AtLeast => measured >= self.value,
            Op::Below => measured < self.value,
            Op::AtMost => measured <= self.value,
        }
    }
}

/// Every threshold `report` crosses, in words; `Err` with exit 99 when there is one. A latency
/// threshold with no latency measured (nothing completed) counts as crossed: there is nothing to
/// show it holds.
pub fn check(report: &Report, thresholds: &[Threshold]) -> anyhow::Result<()> {
    let crossed: Vec<String> = thresholds
        .iter()
        .filter_map(|threshold| match threshold.measure(report) {
            Some(value) if !threshold.crossed_by(value) => None,
            Some(value) => Some(format!(
                "{} ({})",
                threshold.text,
                Measured {
                    value,
                    metric: threshold.metric
                }
            )),
            None => Some(format!("{} (nothing measured)", threshold.text)),
        })
        .collect();
    if crossed.is_empty() {
        return Ok(());
    }
    Err(Code::Threshold.error(format!(
        "bench {} {}: --fail-if crossed: {}",
        report.kind.name(),
        report.target,
        crossed.join(", ")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_parse() {
        let p99 = parse("p99>50ms").unwrap();
        assert_eq!(p99.metric, Metric::Latency(0.99));
        assert_eq!(p99.op, Op::Above);
        assert_eq!(p99.value, 50_000.0);
        let errors = parse("errors > 0.1%").unwrap();
        assert_eq!(errors.metric, Metric::Errors { percent: true });
        assert_eq!(errors.value, 0.1);
        assert_eq!(errors.text, "errors>0.1%");
        assert_eq!(
            parse("errors>0").unwrap().metric,
            Metric::Errors { percent: false }
        );
        let rate = parse("rate<=1000").unwrap();
        assert_eq!(
            (rate.metric, rate.op, rate.value),
            (Metric::Rate, Op::AtMost, 1000.0)
        );
        assert_eq!(parse("max>=1.5s").unwrap().value, 1_500_000.0);
        assert_eq!(parse("p50>250us").unwrap().value, 250.0);
    }

    #[test]
    fn bad_thresholds_say_why() {
        for (text, why) in [
            ("p99", "must be METRIC<VALUE"),
            ("p99>50", "needs a unit"),
            ("p99>50m", "unknown unit"),
            ("p98>5ms", "unknown metric `p98`"),
            ("errors>lots", "not a number"),
            ("rate<-1", "not a number"),
        ] {
            let err = parse(text).unwrap_err();
            assert!(err.contains(why), "{text}: {err}");
        }
    }

    #[test]
    fn crossing_is_the_operator() {
        let above = parse("rate>10").unwrap();
        assert!(above.crossed_by(11.0) && !above.crossed_by(10.0));
        let at_most = parse("rate<=10").unwrap();
        assert!(at_most.crossed_by(10.0) && !at_most.crossed_by(10.5));
    }
}
