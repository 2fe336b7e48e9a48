//! When a session ends, and what `-v` says about it: the clock both directions touch, the bytes
//! each way, and the moments stdin ended and the server closed — so a user can see which side
//! closed first (the confusion nc's `-q`, `-N` and `-d` leave behind).
//!
//! The flags: by default stdin's end half-closes the socket (nc's `-N`) and the session ends
//! when the server closes; `--no-shutdown` keeps the socket open for writing, `--quit-after-eof`
//! ends the session a set time after stdin's end, `--send-only` and `--recv-only` use one
//! direction.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::net::{self, format_duration};

/// What the user asked of the end of input.
#[derive(Debug, Clone, Copy, Default)]
pub struct Eof {
    /// `--no-shutdown`: stdin's end does not half-close the socket.
    pub no_shutdown: bool,
    /// `--quit-after-eof`: end the session this long after stdin's end.
    pub quit_after: Option<Duration>,
    /// `--send-only`: what the server sends is thrown away; the session ends with stdin.
    pub send_only: bool,
    /// `--recv-only`: stdin is never read, the socket never half-closed.
    pub recv_only: bool,
}

/// How a session ended, for `-v`'s last line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// The server closed its side (end-of-file).
    ServerClosed,
    /// `--idle-timeout`.
    Idle,
    /// `--quit-after-eof` (or `--send-only`) after stdin's end.
    Quit,
    /// Reading stdin failed, or the socket did.
    Failed,
}

/// When a byte last moved (for `--idle-timeout`), how many went each way, and when each side
/// finished.
pub struct Clock {
    start: Instant,
    last_ms: AtomicU64,
    pub sent: AtomicU64,
    pub received: AtomicU64,
    stdin_end: Mutex<Option<Duration>>,
    server_end: Mutex<Option<Duration>>,
}

impl Clock {
    pub fn new() -> Clock {
        Clock {
            start: Instant::now(),
            last_ms: AtomicU64::new(0),
            sent: AtomicU64::new(0),
            received: AtomicU64::new(0),
            stdin_end: Mutex::new(None),
            server_end: Mutex::new(None),
        }
    }

    pub fn touch(&self) {
        let now = self.start.elapsed().as_millis() as u64;
        self.last_ms.fetch_max(now, Ordering::Relaxed);
    }

    pub fn quiet_for(&self) -> Duration {
        let last = Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
        self.start.elapsed().saturating_sub(last)
    }

    pub fn sent(&self, n: usize) {
        self.sent.fetch_add(n as u64, Ordering::Relaxed);
        self.touch();
    }

    pub fn received(&self, n: usize) {
        self.received.fetch_add(n as u64, Ordering::Relaxed);
        self.touch();
    }

    /// Stdin (or `--send`'s text) has ended.
    pub fn stdin_ended(&self) {
        net::lock(&self.stdin_end).get_or_insert(self.start.elapsed());
    }

    /// How long ago stdin ended (zero while it has not).
    pub fn since_stdin_end(&self) -> Duration {
        net::lock(&self.stdin_end)
            .map_or(Duration::ZERO, |at| self.start.elapsed().saturating_sub(at))
    }

    pub fn stdin_has_ended(&self) -> bool {
        net::lock(&self.stdin_end).is_some()
    }

    /// The server's end-of-file has arrived.
    pub fn server_closed(&self) {
        net::lock(&self.server_end).get_or_insert(self.start.elapsed());
    }

    /// `-v`'s account of the session: who closed first, bytes each way, how long it lasted.
    pub fn summary(&self, ending: Ending, eof: &Eof) -> String {
        let stdin_end = *net::lock(&self.stdin_end);
        let server_end = *net::lock(&self.server_end);
        let at = |d: Duration| format_duration(d);
        let half = if eof.no_shutdown {
            " (socket left open: --no-shutdown)"
        } else {
            " and we half-closed"
        };
        let order = match (stdin_end, server_end) {
            (Some(ours), Some(theirs)) if ours <= theirs => format!(
                "stdin ended first, at {}{half}; the server closed at {}",
                at(ours),
                at(theirs)
            ),
            (Some(ours), Some(theirs)) => format!(
                "the server closed first, at {}; stdin ended at {}",
                at(theirs),
                at(ours)
            ),
            (None, Some(theirs)) if eof.recv_only => {
                format!("the server closed at {} (stdin not read)", at(theirs))
            }
            (None, Some(theirs)) => {
                format!(
                    "the server closed first, at {}; stdin still open",
                    at(theirs)
                )
            }
            (Some(ours), None) => {
                let why = match ending {
                    Ending::Quit if eof.send_only => " (--send-only)".to_string(),
                    Ending::Quit => eof
                        .quit_after
                        .map(|d| format!(" {} after it (--quit-after-eof)", at(d)))
                        .unwrap_or_default(),
                    Ending::Idle => " (--idle-timeout)".to_string(),
                    _ => String::new(),
                };
                format!(
                    "stdin ended at {}{half}; we ended the session{why}, the server had not closed",
                    at(ours)
                )
            }
            (None, None) => match ending {
                Ending::Idle => "nothing moved for --idle-timeout; neither side had closed".into(),
                _ => "the session ended before either side closed".into(),
            },
        };
        format!(
            "{order}; sent {}, received {}, in {}",
            bytes(self.sent.load(Ordering::Relaxed)),
            bytes(self.received.load(Ordering::Relaxed)),
            at(self.start.elapsed())
        )
    }
}

fn bytes(n: u64) -> String {
    format!("{} byte{}", net::Count(n), if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_says_who_closed_first() {
        let clock = Clock::new();
        clock.sent(6);
        clock.received(1234);
        clock.stdin_ended();
        clock.server_closed();
        let said = clock.summary(Ending::ServerClosed, &Eof::default());
        assert!(said.starts_with("stdin ended first"), "{said}");
        assert!(said.contains("we half-closed"), "{said}");
        assert!(
            said.contains("sent 6 bytes, received 1,234 bytes"),
            "{said}"
        );

        let clock = Clock::new();
        clock.server_closed();
        let said = clock.summary(Ending::ServerClosed, &Eof::default());
        assert!(said.starts_with("the server closed first"), "{said}");
        assert!(said.contains("stdin still open"), "{said}");
    }

    #[test]
    fn the_summary_names_the_flag_that_ended_it() {
        let clock = Clock::new();
        clock.stdin_ended();
        let eof = Eof {
            no_shutdown: true,
            quit_after: Some(Duration::from_secs(2)),
            ..Eof::default()
        };
        let said = clock.summary(Ending::Quit, &eof);
        assert!(said.contains("--no-shutdown"), "{said}");
        assert!(said.contains("--quit-after-eof"), "{said}");
        assert!(said.contains("the server had not closed"), "{said}");
    }
}
