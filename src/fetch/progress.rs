//! The progress bar of a download to a file: bytes, rate and ETA on stderr, only when stderr is a
//! terminal (never in a pipe or a log), and never with `--no-progress` or `-q`.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A bar for `total` bytes (a spinner when unknown), starting at `start`.
pub fn bar(total: Option<u64>, start: u64) -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal() || !crate::log::enabled() {
        return None;
    }
    let bar = match total {
        Some(total) => ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr())
            .with_style(
            ProgressStyle::with_template(
                "{bytes:>10} / {total_bytes:<10} [{bar:30}] {binary_bytes_per_sec:>12}  ETA {eta}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        ),
        None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()).with_style(
            ProgressStyle::with_template("{spinner} {bytes:>10} {binary_bytes_per_sec:>12}")
                .expect("valid template"),
        ),
    };
    bar.set_position(start);
    Some(bar)
}
