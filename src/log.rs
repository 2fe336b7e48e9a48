//! Log lines on stderr: one line each, never interleaved, never a panic when stderr is gone.
//!
//! `--quiet` silences [`info!`](crate::info!) and [`warn!`](crate::warn!); `--verbose` enables
//! [`debug!`](crate::debug!). Data never goes here: it goes to stdout.

use std::io::Write;
use std::sync::atomic::{AtomicU8, Ordering};

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
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// A log line, unless `--quiet`.
#[macro_export]
macro_rules! info {
    ($($arg:tt)*) => {
        if $crate::log::enabled() { $crate::log::line(format_args!($($arg)*)) }
    };
}

/// A warning (`netlab: warning: …`), unless `--quiet`.
#[macro_export]
macro_rules! warn {
    ($($arg:tt)*) => {
        if $crate::log::enabled() {
            $crate::log::line(format_args!("netlab: warning: {}", format_args!($($arg)*)))
        }
    };
}

/// Detail printed only with `--verbose`.
#[macro_export]
macro_rules! debug {
    ($($arg:tt)*) => {
        if $crate::log::verbose() { $crate::log::line(format_args!($($arg)*)) }
    };
}
