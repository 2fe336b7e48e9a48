//! The progress bar of a download to a file: bytes, rate and ETA on stderr, only when stderr is a
//! terminal (never in a pipe or a log), and never with `--no-progress` or `-q`. It is drawn only
//! once a download has taken [`DELAY`]: a small file arrives without a bar flashing by.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How long a download runs before its bar appears (about what a person notices as a wait).
pub const DELAY: Duration = Duration::from_millis(300);

/// A bar hidden until the download has taken [`DELAY`].
pub struct Progress {
    bar: ProgressBar,
    /// When the bar is to be drawn; `None` once it is.
    show_at: Option<Instant>,
}

impl Progress {
    /// The bytes so far (from the start of the file, so a resumed download counts what it had).
    pub fn set_position(&mut self, position: u64) {
        if self.show_at.is_some_and(|at| Instant::now() >= at) {
            self.show_at = None;
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
        self.bar.set_position(position);
    }

    /// The download is done: take the bar off the screen (if it was ever on it).
    pub fn finish_and_clear(&self) {
        self.bar.finish_and_clear();
    }

    /// The download failed: leave the bar where it stopped (if it was ever drawn).
    pub fn abandon(&self) {
        self.bar.abandon();
    }
}

/// A bar for `total` bytes (a spinner when unknown), starting at `start`.
pub fn bar(total: Option<u64>, start: u64) -> Option<Progress> {
    if !std::io::stderr().is_terminal() || !crate::log::enabled() {
        return None;
    }
    let style = match total {
        Some(_) => ProgressStyle::with_template(
            "{bytes:>10} / {total_bytes:<10} [{bar:30}] {binary_bytes_per_sec:>12}  ETA {eta}",
        )
        .expect("valid template")
        .progress_chars("=> "),
        None => ProgressStyle::with_template("{spinner} {bytes:>10} {binary_bytes_per_sec:>12}")
            .expect("valid template"),
    };
    let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::hidden()).with_style(style);
    bar.set_position(start);
    Some(Progress {
        bar,
        show_at: Some(Instant::now() + DELAY),
    })
}
