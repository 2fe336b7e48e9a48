//! The latency histogram for people and for tools: the summary's few lines on a 1-2-5 ladder,
//! and HdrHistogram's percentile distribution format for `--hist-out`.

use hdrhistogram::Histogram;

use super::report::Micros;

/// The latency histogram (corrected, under `--rate`) in HdrHistogram's percentile
/// distribution format (what `outputPercentileDistribution` prints, and wrk2 with `-U`), in
/// milliseconds: five lines per halving of the distance to 100%.
pub fn percentile_distribution(histogram: &Histogram<u64>) -> String {
    let mut out = format!(
        "{:>12} {:>14} {:>10} {:>14}\n\n",
        "Value", "Percentile", "TotalCount", "1/(1-Percentile)"
    );
    if !histogram.is_empty() {
        for step in histogram.iter_quantiles(5) {
            let quantile = step.quantile_iterated_to();
            let value = step.value_iterated_to() as f64 / 1e3;
            if quantile < 1.0 {
                out.push_str(&format!(
                    "{value:12.3} {quantile:2.12} {:10} {:14.2}\n",
                    count_at(histogram, step.value_iterated_to()),
                    1.0 / (1.0 - quantile)
                ));
            } else {
                out.push_str(&format!(
                    "{value:12.3} {quantile:2.12} {:10}\n",
                    count_at(histogram, step.value_iterated_to())
                ));
            }
        }
    }
    let (mean, stdev) = (histogram.mean() / 1e3, histogram.stdev() / 1e3);
    out.push_str(&format!(
        "#[Mean    = {mean:12.3}, StdDeviation   = {stdev:12.3}]\n#[Max     = {:12.3}, Total count    = {:12}]\n#[Buckets = {:12}, SubBuckets     = {:12}]\n",
        histogram.max() as f64 / 1e3,
        histogram.len(),
        histogram.buckets(),
        (2 * 10u64.pow(u32::from(histogram.sigfig()))).next_power_of_two(),
    ));
    out
}

/// The latency distribution in a few lines, one per bucket of [`buckets`], each labelled with
/// the bucket's own bounds and the share of exchanges in it:
/// `  1 ms –   2 ms  ████████   41.2%`. None when nothing completed.
pub fn rows(histogram: &Histogram<u64>) -> Vec<String> {
    const WIDTH: f64 = 30.0;
    let total = histogram.len();
    buckets(histogram)
        .iter()
        .map(|bucket| {
            let share = bucket.count as f64 / total as f64;
            let bar = "█".repeat((share * WIDTH).round() as usize);
            format!(
                "{:>8} – {:<8} {bar:<30} {:>5.1}%",
                Micros(bucket.low),
                Micros(bucket.high),
                share * 100.0
            )
        })
        .collect()
}

/// One bucket of the ladder: exchanges that took `low` µs or more and less than `high`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bucket {
    pub low: u64,
    pub high: u64,
    pub count: u64,
}

/// The histogram on a 1-2-5 ladder (log-scaled, so a long tail gets buckets of its own) from the
/// bucket holding the minimum to the one holding the maximum, decades alone when that would take
/// more than ten buckets. Empty buckets inside the range stay, so the gaps show; none when
/// nothing completed. The summary, the SVG and nothing else use these buckets.
pub fn buckets(histogram: &Histogram<u64>) -> Vec<Bucket> {
    if histogram.is_empty() {
        return Vec::new();
    }
    let (min, max) = (histogram.min(), histogram.max());
    // Bucket edges in microseconds on a 1-2-5 ladder (1, 2, 5, 10, 20, 50 …), from the last one
    // at or below the minimum to the first one above the maximum.
    let edges = |steps: &[u64]| {
        let mut ladder = Vec::new();
        let mut decade = 1u64;
        while ladder.last().is_none_or(|&edge| edge <= max) && decade < u64::MAX / 10 {
            ladder.extend(steps.iter().map(|step| decade * step));
            decade *= 10;
        }
        let first = ladder.iter().rposition(|&edge| edge <= min).unwrap_or(0);
        let last = ladder
            .iter()
            .position(|&edge| edge > max)
            .unwrap_or(ladder.len() - 1);
        ladder[first..=last].to_vec()
    };
    let mut edges = edges(&[1, 2, 5]);
    if edges.len() > 11 {
        edges = edges_of_decades(min, max);
    }
    edges
        .windows(2)
        .map(|pair| Bucket {
            low: pair[0],
            high: pair[1],
            count: histogram.count_between(pair[0], pair[1] - 1),
        })
        .collect()
}

/// Decade edges (1, 10, 100 … µs) from the last at or below `min` to the first above `max`.
fn edges_of_decades(min: u64, max: u64) -> Vec<u64> {
    let mut edges = vec![1u64];
    while edges.last().is_some_and(|&edge| edge <= max) && edges.len() < 20 {
        edges.push(edges.last().unwrap() * 10);
    }
    let first = edges.iter().rposition(|&edge| edge <= min).unwrap_or(0);
    edges.split_off(first)
}

/// How many recorded values are at or below `value`.
fn count_at(histogram: &Histogram<u64>, value: u64) -> u64 {
    histogram.count_between(0, value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_rows_cover_every_value_once_on_a_log_ladder() {
        let mut histogram = Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3).unwrap();
        for micros in [150, 180, 420, 950, 1_500, 30_000, 30_100] {
            histogram.record(micros).unwrap();
        }
        let rows = rows(&histogram);
        let labels: Vec<&str> = rows
            .iter()
            .map(|row| row.split('█').next().unwrap().trim())
            .collect();
        assert_eq!(labels[0], "100 µs – 200 µs", "{rows:#?}");
        assert!(labels.last().unwrap().ends_with("50.00 ms"), "{rows:#?}");
        // 100, 200, 500 µs, 1, 2, 5, 10, 20, 50 ms: eight buckets, gaps kept.
        assert_eq!(rows.len(), 8, "{rows:#?}");
        let shares: f64 = rows
            .iter()
            .map(|row| {
                row.trim_end_matches('%')
                    .rsplit(' ')
                    .next()
                    .unwrap()
                    .parse::<f64>()
                    .unwrap()
            })
            .sum();
        assert!((shares - 100.0).abs() < 0.5, "{shares}: {rows:#?}");
        assert!(rows[0].ends_with("28.6%"), "two of seven: {rows:#?}");
    }
}
