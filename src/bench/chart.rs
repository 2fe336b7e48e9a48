//! The bar chart of `bench compare`: in the terminal with Unicode blocks, and as an SVG picture
//! (drawn with plotters) for a report, with a latency histogram per target below it (the one
//! picture of `bench tcp --svg` and `bench http --svg`).

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::histogram::Bucket;
use super::report::{Count, Micros, Rate};
use crate::exit::Code;
use crate::net::error_text;

/// One bar: a label and its rate.
pub struct Bar {
    pub label: String,
    pub rate: f64,
}

/// Widest bar in the terminal, in character cells.
const WIDTH: usize = 40;

/// Horizontal bars, one line each, longest = the highest rate, with eighth-cell precision.
pub fn terminal(bars: &[Bar], unit: &str) -> String {
    const EIGHTHS: [&str; 8] = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];
    let max = bars.iter().map(|bar| bar.rate).fold(0.0, f64::max);
    let label_width = bars
        .iter()
        .map(|bar| bar.label.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for bar in bars {
        let eighths = if max > 0.0 {
            (bar.rate / max * (WIDTH * 8) as f64).round() as usize
        } else {
            0
        };
        let mut blocks = "█".repeat(eighths / 8);
        blocks.push_str(EIGHTHS[eighths % 8]);
        let cells = eighths.div_ceil(8);
        out.push_str(&format!(
            "{:<label_width$}  {blocks}{:pad$}  {} {unit}\n",
            bar.label,
            "",
            Rate(bar.rate),
            pad = WIDTH - cells.min(WIDTH),
        ));
    }
    out
}

/// The colour of every bar (a test counts the bars by it).
pub const BAR_COLOUR: RGBColor = RGBColor(0x3b, 0x6e, 0xa8);

/// The colour of every histogram bucket (a test counts the buckets by it).
pub const BUCKET_COLOUR: RGBColor = RGBColor(0xd9, 0x73, 0x2b);

/// One target's latency histogram, on the summary's buckets.
pub struct Hist {
    pub label: String,
    pub buckets: Vec<Bucket>,
}

impl Hist {
    pub fn of(label: &str, histogram: &hdrhistogram::Histogram<u64>) -> Hist {
        Hist {
            label: label.to_string(),
            buckets: super::histogram::buckets(histogram),
        }
    }
}

/// Height of a histogram panel.
const HIST_HEIGHT: u32 = 300;

/// Where the SVG chart goes (see [`Pending`]).
pub struct SvgFile(Pending);

impl SvgFile {
    pub fn create(path: &Path) -> anyhow::Result<SvgFile> {
        Pending::create("--svg", path).map(SvgFile)
    }

    /// Draw the chart, a panel per unit then one per histogram, into the file and put it in
    /// place.
    pub fn write(self, panels: &[Panel<'_>], hists: &[Hist], title: &str) -> anyhow::Result<()> {
        let mut text = String::new();
        draw(&mut text, panels, hists, title)
            .with_context(|| format!("draw the chart for {}", self.0.path.display()))?;
        let text = described(text, panels, hists, title);
        self.0.finish(text.as_bytes())
    }
}

/// The picture with a `<title>` and a `<desc>` first inside its `<svg>`: what it shows in
/// words, with every bar's rate and every bucket's exact count (the picture shows shares), for
/// screen readers and for scripts.
fn described(svg: String, panels: &[Panel<'_>], hists: &[Hist], title: &str) -> String {
    let mut desc = String::new();
    for panel in panels {
        for bar in &panel.bars {
            desc.push_str(&format!(
                "{}: {} {}\n",
                bar.label,
                Rate(bar.rate),
                panel.unit
            ));
        }
    }
    for hist in hists {
        let total: u64 = hist.buckets.iter().map(|bucket| bucket.count).sum();
        desc.push_str(&format!(
            "latency of {}: {} exchanges\n",
            hist.label,
            Count(total)
        ));
        for bucket in &hist.buckets {
            desc.push_str(&format!(
                "{} – {}: {}\n",
                Micros(bucket.low),
                Micros(bucket.high),
                bucket.count
            ));
        }
    }
    let Some(open) = svg
        .find("<svg")
        .and_then(|at| svg[at..].find('>').map(|end| at + end + 1))
    else {
        return svg;
    };
    format!(
        "{}\n<title>{}</title>\n<desc>\n{}</desc>{}",
        &svg[..open],
        xml_escape(title),
        xml_escape(&desc),
        &svg[open..]
    )
}

/// Text for an XML element.
fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A file bench writes at the end of a run (`--svg`, `--hist-out`), opened before anything is
/// measured: a path that cannot be written fails at once, not after minutes of measuring. The
/// bytes go to a hidden file beside the path, renamed over it when complete, so a failure never
/// leaves half a file (or none) where a good one was; dropped unfinished, the hidden file goes.
pub struct Pending {
    flag: &'static str,
    path: PathBuf,
    temporary: PathBuf,
    file: Option<File>,
}

impl Pending {
    pub fn create(flag: &'static str, path: &Path) -> anyhow::Result<Pending> {
        let name = path.file_name().ok_or_else(|| {
            Code::Usage.error(format!("{flag} {}: not a file name", path.display()))
        })?;
        let mut hidden = std::ffi::OsString::from(".");
        hidden.push(name);
        hidden.push(format!(".{}.tmp", std::process::id()));
        let temporary = path.with_file_name(hidden);
        let file = File::options()
            .write(true)
            .create_new(true)
            .open(&temporary)
            .map_err(|err| {
                Code::Usage.error(format!("{flag} {}: {}", path.display(), error_text(&err)))
            })?;
        Ok(Pending {
            flag,
            path: path.to_path_buf(),
            temporary,
            file: Some(file),
        })
    }

    /// Write `bytes` and put the file in place.
    pub fn finish(mut self, bytes: &[u8]) -> anyhow::Result<()> {
        let mut file = self.file.take().expect("finished once");
        file.write_all(bytes)
            .and_then(|()| file.sync_all())
            .and_then(|()| std::fs::rename(&self.temporary, &self.path))
            .map_err(|err| {
                anyhow::anyhow!(
                    "{} {}: {}",
                    self.flag,
                    self.path.display(),
                    error_text(&err)
                )
            })
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        // Unfinished (or the rename failed): the hidden file goes.
        let _ = std::fs::remove_file(&self.temporary);
    }
}

/// The bars of one unit: `bench compare` with HTTP and TCP targets draws two panels, never two
/// units on one axis.
pub struct Panel<'a> {
    pub unit: &'a str,
    pub bars: Vec<&'a Bar>,
}

/// Height of a panel: its axis and margins, and 48 pixels a bar.
fn panel_height(panel: &Panel<'_>) -> u32 {
    96 + 48 * panel.bars.len() as u32
}

fn draw(out: &mut String, panels: &[Panel<'_>], hists: &[Hist], title: &str) -> anyhow::Result<()> {
    const CAPTION: u32 = 40;
    let height =
        CAPTION + panels.iter().map(panel_height).sum::<u32>() + HIST_HEIGHT * hists.len() as u32;
    let root = SVGBackend::with_string(out, (800, height)).into_drawing_area();
    root.fill(&WHITE)?;
    let label_width = panels
        .iter()
        .flat_map(|panel| &panel.bars)
        .map(|bar| bar.label.chars().count())
        .max()
        .unwrap_or(4) as u32;
    let mut rest = root.titled(title, ("sans-serif", 22))?;
    for panel in panels {
        let (area, below) = rest.split_vertically(panel_height(panel));
        draw_panel(&area, panel, label_width)?;
        rest = below;
    }
    for hist in hists {
        let (area, below) = rest.split_vertically(HIST_HEIGHT);
        draw_hist(&area, hist)?;
        rest = below;
    }
    root.present()?;
    Ok(())
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    panel: &Panel<'_>,
    label_width: u32,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let bars = &panel.bars;
    let max = bars.iter().map(|bar| bar.rate).fold(0.0, f64::max);
    // Whole numbers on the axis (the rates are counts a second), with room right of the longest
    // bar for its figure.
    let x_max = if max > 0.0 {
        (max * 1.25).ceil() as u64
    } else {
        1
    };
    // Rows are counted from the bottom: the first bar goes on top, as in the table.
    let rows = bars.len() as f64;
    let top = |index: usize| rows - index as f64;
    let mut chart = ChartBuilder::on(area)
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(24 + 8 * label_width)
        .build_cartesian_2d(0..x_max, 0.0..rows)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_labels(6)
        // Integer axes compute light lines too, and overflow when asked for none: one, in white.
        .max_light_lines(1)
        .light_line_style(WHITE)
        .x_desc(panel.unit)
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 15))
        .x_label_formatter(&|value| Count(*value).to_string())
        .draw()?;
    chart.draw_series(bars.iter().enumerate().map(|(index, bar)| {
        Rectangle::new(
            [
                (0, top(index) - 0.2),
                (bar.rate.round() as u64, top(index) - 0.8),
            ],
            BAR_COLOUR.filled(),
        )
    }))?;
    let font = ("sans-serif", 15).into_font();
    // Each figure 8 pixels clear of its bar's end; the labels left of the axis, where the
    // chart's own y labels would go.
    let figure = font
        .clone()
        .into_text_style(area)
        .pos(Pos::new(HPos::Left, VPos::Center));
    let label = font
        .into_text_style(area)
        .pos(Pos::new(HPos::Right, VPos::Center));
    // backend_coord is in the picture's pixels; the area draws in its own.
    let (left, top_edge) = area.get_base_pixel();
    let at = |value: u64, index: usize| {
        let (x, y) = chart.backend_coord(&(value, top(index) - 0.5));
        (x - left, y - top_edge)
    };
    for (index, bar) in bars.iter().enumerate() {
        let (x, y) = at(bar.rate.round() as u64, index);
        area.draw(&Text::new(Rate(bar.rate).to_string(), (x + 8, y), &figure))?;
        let (x, y) = at(0, index);
        area.draw(&Text::new(bar.label.as_str(), (x - 8, y), &label))?;
    }
    Ok(())
}

/// A histogram panel: a bar per bucket, its share of the exchanges above it, the bucket edges
/// below (the buckets are evenly spaced: each is one step of the 1-2-5 ladder).
fn draw_hist<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    hist: &Hist,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let total: u64 = hist.buckets.iter().map(|bucket| bucket.count).sum();
    let share = |bucket: &Bucket| {
        if total == 0 {
            0.0
        } else {
            bucket.count as f64 * 100.0 / total as f64
        }
    };
    let top = hist.buckets.iter().map(share).fold(0.0, f64::max);
    let y_max = (top * 1.2).max(1.0);
    let columns = hist.buckets.len().max(1) as f64;
    let mut chart = ChartBuilder::on(area)
        .margin(16)
        // Room for the last edge's label, centred on the axis's end.
        .margin_right(40)
        .caption(
            format!("latency of {}", hist.label),
            ("sans-serif", 16).into_font(),
        )
        .x_label_area_size(44)
        .y_label_area_size(56)
        .build_cartesian_2d(0.0..columns, 0.0..y_max)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_labels(5)
        .light_line_style(WHITE)
        .y_desc("% of exchanges")
        .label_style(("sans-serif", 13))
        .axis_desc_style(("sans-serif", 14))
        .y_label_formatter(&|value| format!("{value:.0}%"))
        .draw()?;
    chart.draw_series(hist.buckets.iter().enumerate().map(|(index, bucket)| {
        let x = index as f64;
        Rectangle::new(
            [(x + 0.08, 0.0), (x + 0.92, share(bucket))],
            BUCKET_COLOUR.filled(),
        )
    }))?;
    let font = ("sans-serif", 12).into_font();
    let above = font
        .clone()
        .into_text_style(area)
        .pos(Pos::new(HPos::Center, VPos::Bottom));
    let below = font
        .into_text_style(area)
        .pos(Pos::new(HPos::Center, VPos::Top));
    let (left, top_edge) = area.get_base_pixel();
    let at = |x: f64, y: f64| {
        let (x, y) = chart.backend_coord(&(x, y));
        (x - left, y - top_edge)
    };
    for (index, bucket) in hist.buckets.iter().enumerate() {
        let (x, y) = at(index as f64 + 0.5, share(bucket));
        area.draw(&Text::new(
            format!("{:.1}%", share(bucket)),
            (x, y - 4),
            &above,
        ))?;
        let (x, y) = at(index as f64, 0.0);
        area.draw(&Text::new(
            Micros(bucket.low).to_string(),
            (x, y + 6),
            &below,
        ))?;
    }
    if let Some(last) = hist.buckets.last() {
        let (x, y) = at(columns, 0.0);
        area.draw(&Text::new(
            Micros(last.high).to_string(),
            (x, y + 6),
            &below,
        ))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_bars_scale_to_the_highest() {
        let bars = [
            Bar {
                label: "thread".into(),
                rate: 1000.0,
            },
            Bar {
                label: "poll".into(),
                rate: 500.0,
            },
            Bar {
                label: "fork".into(),
                rate: 0.0,
            },
        ];
        let text = terminal(&bars, "conn/s");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0].matches('█').count(), WIDTH);
        assert_eq!(lines[1].matches('█').count(), WIDTH / 2);
        assert_eq!(lines[2].matches('█').count(), 0);
        assert!(lines[0].ends_with("1,000 conn/s"), "{text}");
        // The rates line up in one column.
        let column =
            |line: &str| line.chars().count() - line.split("  ").last().unwrap().chars().count();
        assert_eq!(column(lines[0]), column(lines[1]));
    }
}
