//! The live one-line progress display of a run.

use std::io::Write;

use super::engine::Snapshot;
use super::report::{Count, Kind, Rate};

/// The live one-line display on stderr: only on a terminal, never with --quiet or --json.
pub struct Live {
    label: String,
    kind: Kind,
    enabled: bool,
}

impl Live {
    pub fn new(label: String, kind: Kind, enabled: bool) -> Live {
        Live {
            label,
            kind,
            enabled,
        }
    }

    pub fn show(&self, snapshot: Snapshot) {
        if !self.enabled {
            return;
        }
        let line = if snapshot.warming {
            format!("{}: warming up", self.label)
        } else {
            format!(
                "{}: {:.1} s   {} {}   {} {}   {} failed",
                self.label,
                snapshot.elapsed.as_secs_f64(),
                Count(snapshot.ok),
                self.kind.unit(),
                Rate(snapshot.ok as f64 / snapshot.elapsed.as_secs_f64().max(1e-9)),
                self.kind.per_second(),
                Count(snapshot.failed),
            )
        };
        // `\r` and "erase line" keep it on one line; a failed write only loses the display.
        let _ = write!(std::io::stderr().lock(), "\r\x1b[K{line}");
    }

    /// Take the line away before the summary is printed.
    pub fn clear(&self) {
        if self.enabled {
            let _ = write!(std::io::stderr().lock(), "\r\x1b[K");
        }
    }
}
