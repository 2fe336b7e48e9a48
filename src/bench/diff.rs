//! `netlab bench diff A.json B.json`: two runs saved with `--save`, side by side, with the
//! change of every figure and whether it is beyond the runs' own noise.
//!
//! The noise of each figure comes from the runs themselves. For the rate and the mean latency,
//! each run's second-by-second samples: the change is beyond noise when Welch's t statistic
//! passes 2 (about 95%). For a percentile q of n exchanges, the ranks that could hold it are
//! q·n ± 1.96·√(n·q·(1−q)) (a binomial interval, free of any assumption on the shape of the
//! distribution), with n cut down by how much more the run's second-by-second mean latency
//! varied than independent exchanges would make it (a run's exchanges are not independent: a
//! slow second slows many); the change is beyond noise when the two runs' intervals do not meet.

use std::path::Path;

use anyhow::Context;
use hdrhistogram::Histogram;
use serde_json::Value;

use super::report::{Count, Micros, Rate};
use crate::cli::BenchDiffArgs;
use crate::exit::Code;

/// One saved run, as `bench diff` reads it.
struct Run {
    rate: f64,
    failed: u64,
    unit: &'static str,
    histogram: Histogram<u64>,
    /// `(exchanges, latency sum in µs)` of each whole second.
    seconds: Vec<(f64, f64)>,
}

pub fn run(args: &BenchDiffArgs) -> anyhow::Result<()> {
    let a = load(&args.a)?;
    let b = load(&args.b)?;
    if a.unit != b.unit {
        return Err(Code::Usage.error(format!(
            "{} measured {} and {} {}: there is nothing to compare",
            args.a.display(),
            a.unit,
            args.b.display(),
            b.unit
        )));
    }
    let mut out = format!(
        "bench diff: {} → {}\n{:<8} {:>12} {:>12} {:>9}  beyond noise?\n",
        args.a.display(),
        args.b.display(),
        "",
        "A",
        "B",
        "change"
    );
    let mut row = |name: &str, a_text: String, b_text: String, change: f64, verdict: String| {
        out.push_str(&format!(
            "{name:<8} {a_text:>12} {b_text:>12} {:>+8.1}%  {verdict}\n",
            change * 100.0
        ));
    };
    let rates = |run: &Run| run.seconds.iter().map(|s| s.0).collect::<Vec<f64>>();
    row(
        "rate",
        format!("{}/s", Rate(a.rate)),
        format!("{}/s", Rate(b.rate)),
        relative(a.rate, b.rate),
        welch(&rates(&a), &rates(&b)),
    );
    let means = |run: &Run| {
        run.seconds
            .iter()
            .filter(|s| s.0 > 0.0)
            .map(|s| s.1 / s.0)
            .collect::<Vec<f64>>()
    };
    if !a.histogram.is_empty() && !b.histogram.is_empty() {
        let (am, bm) = (a.histogram.mean(), b.histogram.mean());
        row(
            "mean",
            Micros(am as u64).to_string(),
            Micros(bm as u64).to_string(),
            relative(am, bm),
            welch(&means(&a), &means(&b)),
        );
        for (name, q) in [("p50", 0.5), ("p90", 0.9), ("p99", 0.99), ("p999", 0.999)] {
            let (av, bv) = (
                a.histogram.value_at_quantile(q),
                b.histogram.value_at_quantile(q),
            );
            row(
                name,
                Micros(av).to_string(),
                Micros(bv).to_string(),
                relative(av as f64, bv as f64),
                quantile_verdict(&a, &b, q),
            );
        }
        let (ax, bx) = (a.histogram.max(), b.histogram.max());
        row(
            "max",
            Micros(ax).to_string(),
            Micros(bx).to_string(),
            relative(ax as f64, bx as f64),
            "one exchange each: no noise to weigh".to_string(),
        );
    }
    row(
        "errors",
        Count(a.failed).to_string(),
        Count(b.failed).to_string(),
        relative(a.failed as f64, b.failed as f64),
        String::new(),
    );
    use std::io::Write;
    std::io::stdout()
        .lock()
        .write_all(out.as_bytes())
        .context("write the comparison")
}

/// B's change from A, as a fraction (0 when both are 0).
fn relative(a: f64, b: f64) -> f64 {
    if a == 0.0 {
        if b == 0.0 { 0.0 } else { f64::INFINITY }
    } else {
        (b - a) / a
    }
}

/// Welch's test on two sets of samples: `yes`/`no` with the t statistic, or why it cannot say.
fn welch(a: &[f64], b: &[f64]) -> String {
    if a.len() < 2 || b.len() < 2 {
        return "too few whole seconds to tell".to_string();
    }
    let stats = |xs: &[f64]| {
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
        (n, mean, var)
    };
    let ((na, ma, va), (nb, mb, vb)) = (stats(a), stats(b));
    let spread = (va / na + vb / nb).sqrt();
    if spread == 0.0 {
        return if ma == mb { "no" } else { "yes" }.to_string();
    }
    let t = (mb - ma).abs() / spread;
    format!("{} (t = {t:.1})", if t > 2.0 { "yes" } else { "no" })
}

/// Whether the ranks that could hold quantile `q` in each run lead to values that do not meet.
fn quantile_verdict(a: &Run, b: &Run, q: f64) -> String {
    let ((alo, ahi), (blo, bhi)) = (rank_range(a, q), rank_range(b, q));
    let apart = ahi < blo || bhi < alo;
    format!(
        "{} (A {}–{}, B {}–{})",
        if apart { "yes" } else { "no" },
        Micros(alo),
        Micros(ahi),
        Micros(blo),
        Micros(bhi)
    )
}

/// The values at the ends of the ranks that could hold quantile `q` of `run` (about 95%).
fn rank_range(run: &Run, q: f64) -> (u64, u64) {
    let h = &run.histogram;
    let n = h.len() as f64 / design_effect(run);
    let half = 1.96 * (q * (1.0 - q) / n).sqrt();
    (
        h.value_at_quantile((q - half).max(0.0)),
        h.value_at_quantile((q + half).min(1.0)),
    )
}

/// How many times more the second-by-second mean latency varied than independent exchanges
/// would make it vary (at least 1): what the run's exchanges count for, as independent samples.
fn design_effect(run: &Run) -> f64 {
    let seconds: Vec<&(f64, f64)> = run.seconds.iter().filter(|s| s.0 > 0.0).collect();
    let variance = run.histogram.stdev().powi(2);
    if seconds.len() < 2 || variance == 0.0 {
        return 1.0;
    }
    let means: Vec<f64> = seconds.iter().map(|s| s.1 / s.0).collect();
    let k = means.len() as f64;
    let grand = means.iter().sum::<f64>() / k;
    let between = means.iter().map(|m| (m - grand).powi(2)).sum::<f64>() / (k - 1.0);
    let per_second = seconds.iter().map(|s| s.0).sum::<f64>() / k;
    (between * per_second / variance).max(1.0)
}

/// Read a file `--save` wrote; anything else is a usage error that says so.
fn load(path: &Path) -> anyhow::Result<Run> {
    let shown = path.display();
    let text = std::fs::read(path)
        .map_err(|err| Code::Usage.error(format!("{shown}: {}", crate::net::error_text(&err))))?;
    let not_saved = |why: &str| {
        Code::Usage.error(format!(
            "{shown}: not a run saved with bench --save ({why})"
        ))
    };
    let json: Value = serde_json::from_slice(&text).map_err(|_| not_saved("not JSON"))?;
    if json.get("saved_by").is_none() {
        return Err(not_saved("no saved_by field"));
    }
    let rate = json["rate"].as_f64().ok_or_else(|| not_saved("no rate"))?;
    let failed = json["failed"].as_u64().unwrap_or(0);
    let unit = match json["kind"].as_str() {
        Some("http") => "requests",
        Some("tcp") => "connections",
        _ => return Err(not_saved("no kind")),
    };
    let mut histogram =
        Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid histogram bounds");
    for pair in json["histogram_us"]
        .as_array()
        .ok_or_else(|| not_saved("no histogram_us"))?
    {
        let (Some(value), Some(count)) = (pair[0].as_u64(), pair[1].as_u64()) else {
            return Err(not_saved("a histogram entry is not [value, count]"));
        };
        histogram
            .record_n(value.max(1), count)
            .map_err(|_| not_saved("a histogram value out of range"))?;
    }
    let seconds = json["seconds"]
        .as_array()
        .ok_or_else(|| not_saved("no seconds"))?
        .iter()
        .map(|pair| {
            (
                pair[0].as_f64().unwrap_or(0.0),
                pair[1].as_f64().unwrap_or(0.0),
            )
        })
        .collect();
    Ok(Run {
        rate,
        failed,
        unit,
        histogram,
        seconds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn welch_tells_a_shift_from_noise() {
        let steady = [1000.0, 1010.0, 990.0, 1005.0, 995.0];
        let shifted = [900.0, 910.0, 890.0, 905.0, 895.0];
        let noisy = [1100.0, 900.0, 1050.0, 950.0, 1000.0];
        assert!(welch(&steady, &shifted).starts_with("yes"));
        assert!(welch(&steady, &noisy).starts_with("no"));
        assert_eq!(welch(&[1.0], &[2.0]), "too few whole seconds to tell");
    }

    fn run_of(values: impl Iterator<Item = u64>, seconds: Vec<(f64, f64)>) -> Run {
        let mut histogram = Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3).unwrap();
        for value in values {
            histogram.record(value).unwrap();
        }
        Run {
            rate: 0.0,
            failed: 0,
            unit: "requests",
            histogram,
            seconds,
        }
    }

    #[test]
    fn quantile_ranges_meet_for_the_same_distribution() {
        let steady = vec![(5000.0, 5000.0 * 150.0); 2];
        let a = run_of((1..=10_000u64).map(|i| 100 + i % 100), steady.clone());
        let b = run_of((1..=10_000u64).map(|i| 100 + (i * 7) % 100), steady.clone());
        let slow = run_of((1..=10_000u64).map(|i| 300 + i % 100), steady);
        assert!(quantile_verdict(&a, &b, 0.99).starts_with("no"));
        assert!(quantile_verdict(&a, &slow, 0.99).starts_with("yes"));
    }

    #[test]
    fn seconds_that_swing_widen_the_ranges() {
        // The same exchanges, but the run's seconds swung (mean 120 µs one second, 180 the
        // next): they count for fewer independent samples, and a small shift is no longer news.
        let values = || (1..=10_000u64).map(|i| 100 + i % 100);
        let calm = run_of(values(), vec![(5000.0, 5000.0 * 150.0); 2]);
        let swinging = run_of(
            values(),
            vec![(5000.0, 5000.0 * 120.0), (5000.0, 5000.0 * 180.0)],
        );
        assert_eq!(design_effect(&calm), 1.0);
        assert!(design_effect(&swinging) > 10.0);
        let shifted = run_of(
            (1..=10_000u64).map(|i| 103 + i % 100),
            vec![(5000.0, 5000.0 * 153.0); 2],
        );
        assert!(quantile_verdict(&calm, &shifted, 0.5).starts_with("yes"));
        assert!(quantile_verdict(&swinging, &shifted, 0.5).starts_with("no"));
    }
}
