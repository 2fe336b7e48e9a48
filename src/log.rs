//! Log lines on stderr: one line each, never interleaved, never a panic when stderr is gone.
//!
//! `--quiet` silences [`info!`](crate::info!) and [`warn!`](crate::warn!); `--verbose` enables
//! [`debug!`](crate::debug!). Data never goes here: it goes to stdout.
//!
//! Under load a log must not become the bottleneck (a benchmark once made `serve` write 310,923
//! `connection from` lines): a [`Flood`] lets through [`Flood::RATE`] lines of one kind a second
//! and counts the rest into one summary line. Every warning goes through one, and so do
//! `serve`'s connection lines.

#[cfg(not(test))]
use std::io::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::time::{Duration, Instant};

static LEVEL: AtomicU8 = AtomicU8::new(1);

/// Set from the global flags once, before a verb runs.
pub fn init(quiet: bool, verbose: bool) {
    let level = if quiet {
        0
    } else if verbose {
        2
    } else {
        1
    };
    LEVEL.store(level, Ordering::Relaxed);
}

/// Whether ordinary log lines are printed (false under `--quiet`).
pub fn enabled() -> bool {
    LEVEL.load(Ordering::Relaxed) >= 1
}

/// Whether `--verbose` detail is printed.
pub fn verbose() -> bool {
    LEVEL.load(Ordering::Relaxed) >= 2
}

/// Write one whole line to stderr in a single call, so lines from threads never mix.
pub fn line(args: std::fmt::Arguments<'_>) {
    let mut text = String::with_capacity(96);
    let _ = std::fmt::Write::write_fmt(&mut text, args);
    if let std::borrow::Cow::Owned(plain) = crate::net::io::without_os_errors(&text) {
        text = plain;
    }
    text.push('\n');
    // Unit tests print through eprint!, which libtest captures (a raw write to stderr it does
    // not): a passing test's warnings stay out of `cargo test`'s output. The binary writes
    // directly, since eprint! panics when stderr is gone.
    #[cfg(test)]
    eprint!("{text}");
    #[cfg(not(test))]
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// A log line, unless `--quiet`.
#[macro_export]
macro_rules! info {
    ($($arg:tt)*) => {
        if $crate::log::enabled() { $crate::log::line(format_args!($($arg)*)) }
    };
}

/// A warning (`netlab: warning: …`), unless `--quiet`; past [`Flood::RATE`] a second, counted
/// into a summary instead.
#[macro_export]
macro_rules! warn {
    ($($arg:tt)*) => {
        if $crate::log::enabled() { $crate::log::warning(format_args!($($arg)*)) }
    };
}

/// Every warning, however many kinds: past the rate they are counted, not printed.
static WARNINGS: Flood = Flood::new();

/// Print a warning, within the rate every warning shares (what [`warn!`](crate::warn!) calls).
pub fn warning(args: std::fmt::Arguments<'_>) {
    if let Some(skipped) = WARNINGS.admit() {
        if skipped > 0 {
            line(format_args!(
                "netlab: warning: … and {} more warning{}",
                crate::net::Count(skipped),
                if skipped == 1 { "" } else { "s" }
            ));
        }
        line(format_args!("netlab: warning: {args}"));
    }
}

/// Say how many warnings were counted and not printed (when a server stops).
pub fn flush_warnings() {
    let skipped = WARNINGS.take();
    if skipped > 0 && enabled() {
        line(format_args!(
            "netlab: warning: … and {} more warning{}",
            crate::net::Count(skipped),
            if skipped == 1 { "" } else { "s" }
        ));
    }
}

/// A bound on one kind of log line: at most [`Flood::RATE`] a second are printed; the others
/// are counted, and the count is said before the next line printed in a later second (or by
/// whoever calls [`Flood::take`] at the end). `--verbose` prints every line.
#[derive(Debug)]
pub struct Flood {
    window: Mutex<Window>,
}

#[derive(Debug)]
struct Window {
    /// When the current second began (`None`: nothing logged yet).
    start: Option<Instant>,
    printed: u32,
    skipped: u64,
}

impl Flood {
    /// Lines of one kind printed in a second, at most.
    pub const RATE: u32 = 20;

    pub const fn new() -> Flood {
        Flood {
            window: Mutex::new(Window {
                start: None,
                printed: 0,
                skipped: 0,
            }),
        }
    }

    /// Whether to print the next line: `Some(n)` prints it, after a summary of the `n` lines
    /// counted and not printed since the last (when `n > 0`); `None` counts it instead.
    pub fn admit(&self) -> Option<u64> {
        if verbose() {
            // `--verbose` asked for every line.
            return Some(self.take());
        }
        let mut window = crate::net::lock(&self.window);
        let now = Instant::now();
        match window.start {
            Some(start) if now.duration_since(start) < Duration::from_secs(1) => {
                if window.printed < Flood::RATE {
                    window.printed += 1;
                    Some(0)
                } else {
                    window.skipped += 1;
                    None
                }
            }
            _ => {
                window.start = Some(now);
                window.printed = 1;
                Some(std::mem::take(&mut window.skipped))
            }
        }
    }

    /// The lines counted and not yet said (and forget them).
    pub fn take(&self) -> u64 {
        std::mem::take(&mut crate::net::lock(&self.window).skipped)
    }
}

impl Default for Flood {
    fn default() -> Flood {
        Flood::new()
    }
}

/// Detail printed only with `--verbose`.
#[macro_export]
macro_rules! debug {
    ($($arg:tt)*) => {
        if $crate::log::verbose() { $crate::log::line(format_args!($($arg)*)) }
    };
}

/// `fetch -s` without `-S`: the failure's message is not printed either (curl's -s); the exit
/// code still says what happened.
static ERRORS_SILENCED: AtomicBool = AtomicBool::new(false);

pub fn silence_errors() {
    ERRORS_SILENCED.store(true, Ordering::Relaxed);
}

/// Whether `main` leaves the error line out.
pub fn errors_silenced() -> bool {
    ERRORS_SILENCED.load(Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flood_prints_the_rate_then_counts() {
        let flood = Flood::new();
        let printed = (0..100).filter(|_| flood.admit().is_some()).count();
        assert_eq!(printed, Flood::RATE as usize);
        assert_eq!(flood.take(), 100 - u64::from(Flood::RATE));
        assert_eq!(flood.take(), 0);
    }
}
