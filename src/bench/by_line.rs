//! `bench http --requests`: each line of the file counted on its own, as a table under the
//! summary (the first lines) and in the JSON (all of them).

use super::report::{Count, Report, plural};
use super::requests::RequestLine;
use super::tally::RequestCounts;

/// Most `--requests` lines the text summary lists (the JSON has them all).
const LINES_SHOWN: usize = 20;

/// Longest request (method and target) a row of the by-line table shows.
const REQUEST_SHOWN: usize = 60;

impl Report {
    /// Each `--requests` line and its counts (none counted: zeros).
    pub(super) fn line_counts(&self) -> impl Iterator<Item = (&RequestLine, RequestCounts)> {
        self.lines.iter().enumerate().map(|(index, line)| {
            let counts = self
                .tally()
                .requests
                .get(index)
                .cloned()
                .unwrap_or_default();
            (line, counts)
        })
    }

    /// Under `--requests`: a table of the first lines, what each one got; empty otherwise.
    pub(super) fn by_line(&self) -> String {
        if self.lines.is_empty() {
            return String::new();
        }
        let rows: Vec<[String; 5]> = self
            .line_counts()
            .take(LINES_SHOWN)
            .map(|(line, counts)| {
                let status = counts
                    .status_counts()
                    .iter()
                    .map(|(code, count)| format!("{code}: {}", Count(*count)))
                    .collect::<Vec<_>>()
                    .join(", ");
                let failed = match counts.failure_counts().as_slice() {
                    [] => "0".to_string(),
                    kinds => kinds
                        .iter()
                        .map(|(kind, count)| format!("{} {}", Count(*count), kind.name()))
                        .collect::<Vec<_>>()
                        .join(", "),
                };
                let mut request = format!("{} {}", line.method, line.path);
                if request.chars().count() > REQUEST_SHOWN {
                    request = request.chars().take(REQUEST_SHOWN - 1).collect();
                    request.push('…');
                }
                [
                    line.number.to_string(),
                    Count(counts.ok).to_string(),
                    failed,
                    if status.is_empty() {
                        "-".into()
                    } else {
                        status
                    },
                    request,
                ]
            })
            .collect();
        let head = ["line", "requests", "failed", "status", "request"];
        let width = |column: usize| {
            rows.iter()
                .map(|row| row[column].chars().count())
                .chain([head[column].len()])
                .max()
                .unwrap_or(0)
        };
        let widths: Vec<usize> = (0..head.len()).map(width).collect();
        let row = |cells: [&str; 5]| {
            format!(
                "{:>w0$}  {:>w1$}  {:<w2$}  {:<w3$}  {}",
                cells[0],
                cells[1],
                cells[2],
                cells[3],
                cells[4],
                w0 = widths[0],
                w1 = widths[1],
                w2 = widths[2],
                w3 = widths[3],
            )
            .trim_end()
            .to_string()
        };
        let mut out = format!("  {:<12} {}\n", "by line", row(head));
        for cells in &rows {
            let [a, b, c, d, e] = cells;
            out.push_str(&format!("  {:<12} {}\n", "", row([a, b, c, d, e])));
        }
        if self.lines.len() > LINES_SHOWN {
            let more = self.lines.len() - LINES_SHOWN;
            out.push_str(&format!(
                "  {:<12} … {} more line{} (every line is in --json)\n",
                "",
                Count(more as u64),
                plural(more as u64)
            ));
        }
        out
    }
}
