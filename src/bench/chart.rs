//! The bar chart of `bench compare`: in the terminal with Unicode blocks, and as an SVG picture
//! (drawn with plotters) for a report.

use std::path::Path;

use anyhow::Context;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::report::Rate;

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

/// Write the chart as an SVG file: one horizontal bar per label, its rate written beside it.
pub fn svg(path: &Path, bars: &[Bar], title: &str, unit: &str) -> anyhow::Result<()> {
    draw(path, bars, title, unit).with_context(|| format!("write the chart to {}", path.display()))
}

fn draw(path: &Path, bars: &[Bar], title: &str, unit: &str) -> anyhow::Result<()> {
    let height = 120 + 48 * bars.len() as u32;
    let root = SVGBackend::new(path, (800, height)).into_drawing_area();
    root.fill(&WHITE)?;
    let max = bars.iter().map(|bar| bar.rate).fold(0.0, f64::max);
    // Room right of the longest bar for its figure.
    let x_max = if max > 0.0 { max * 1.2 } else { 1.0 };
    let label_width = bars.iter().map(|bar| bar.label.len()).max().unwrap_or(4) as u32;
    // Rows are counted from the bottom: the first bar goes on top, as in the table. Plain
    // numbers on both axes (plotters' discrete axes cannot hold a single bar).
    let rows = bars.len() as f64;
    let top = |index: usize| rows - index as f64;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(24 + 8 * label_width)
        .build_cartesian_2d(0.0..x_max, 0.0..rows)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .max_light_lines(0)
        .x_desc(unit)
        .x_label_formatter(&|value| Rate(*value).to_string())
        .draw()?;
    chart.draw_series(bars.iter().enumerate().map(|(index, bar)| {
        Rectangle::new(
            [(0.0, top(index) - 0.2), (bar.rate, top(index) - 0.8)],
            BAR_COLOUR.filled(),
        )
    }))?;
    let font = ("sans-serif", 15).into_font();
    let figure = font
        .clone()
        .into_text_style(&root)
        .pos(Pos::new(HPos::Left, VPos::Center));
    chart.draw_series(bars.iter().enumerate().map(|(index, bar)| {
        Text::new(
            format!(" {}", Rate(bar.rate)),
            (bar.rate, top(index) - 0.5),
            figure.clone(),
        )
    }))?;
    // The labels left of the axis, where the chart's own y labels would go.
    let label = font
        .into_text_style(&root)
        .pos(Pos::new(HPos::Right, VPos::Center));
    for (index, bar) in bars.iter().enumerate() {
        let (x, y) = chart.backend_coord(&(0.0, top(index) - 0.5));
        root.draw(&Text::new(bar.label.as_str(), (x - 8, y), &label))?;
    }
    root.present()?;
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
