//! `--rate`'s schedule on one load thread: when its next exchange is due, and a timerfd that
//! wakes the event loop at that moment rather than at epoll's next whole millisecond.

use std::os::fd::{AsFd, AsRawFd};
use std::time::{Duration, Instant};

use mio::unix::SourceFd;
use mio::{Interest, Poll, Token};
use nix::sys::time::TimeSpec;
use nix::sys::timerfd::{ClockId, Expiration, TimerFd, TimerFlags, TimerSetTimeFlags};

/// A thread's share of `--rate`: its next exchange is due at `next`, then one every `every`.
pub(super) struct Schedule {
    pub next: Instant,
    pub every: Duration,
    /// Wakes the loop when `next` comes (epoll's own timeout counts whole milliseconds, rounded
    /// up: every exchange would start up to a millisecond late, and that lateness would be
    /// charged to the server as latency). `None` if it could not be made: then that timeout.
    timer: Option<TimerFd>,
    /// The slot the timer is set for.
    armed: Option<Instant>,
}

/// The event token of the schedule's timer (no connection has it).
const TIMER: Token = Token(usize::MAX);

impl Schedule {
    /// The first exchange due at `next`, then one every `every`; `timer` from
    /// [`schedule_timer`].
    pub fn new(next: Instant, every: Duration, timer: Option<TimerFd>) -> Schedule {
        Schedule {
            next,
            every,
            timer,
            armed: None,
        }
    }

    /// Set the timer for the next slot, if it is not set already; false when it cannot wake
    /// the loop (none, or the slot is due now), so the poll's own timeout must.
    pub fn arm(&mut self, now: Instant) -> bool {
        let Some(timer) = &self.timer else {
            return false;
        };
        let wait = self.next.saturating_duration_since(now);
        if wait.is_zero() {
            return false;
        }
        if self.armed == Some(self.next) {
            return true;
        }
        // Relative, on CLOCK_MONOTONIC (Instant's clock): it never fires early. Setting it
        // again clears an expiry nobody read, so the edge-triggered event comes for this one.
        let set = timer.set(
            Expiration::OneShot(TimeSpec::from_duration(wait)),
            TimerSetTimeFlags::empty(),
        );
        self.armed = set.is_ok().then_some(self.next);
        set.is_ok()
    }
}

/// The schedule's timer, registered with `poll`.
pub(super) fn schedule_timer(poll: &Poll) -> Option<TimerFd> {
    // The kernel lets a thread's timers fire up to 50 µs late by default, to batch wake-ups;
    // a slot is a deadline. 1 ns is the least the call takes (0 means the default).
    let _ = nix::sys::prctl::set_timerslack(1);
    let timer = TimerFd::new(
        ClockId::CLOCK_MONOTONIC,
        TimerFlags::TFD_NONBLOCK | TimerFlags::TFD_CLOEXEC,
    )
    .ok()?;
    poll.registry()
        .register(
            &mut SourceFd(&timer.as_fd().as_raw_fd()),
            TIMER,
            Interest::READABLE,
        )
        .ok()?;
    Some(timer)
}
