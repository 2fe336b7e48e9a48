//! Ctrl-C and SIGTERM: a stop flag and the wake-up calls that reach blocked accept loops. The
//! first signal asks for a clean stop; a second one, while that stop is under way, ends the
//! process at once with exit 130 (as a second Ctrl-C does for cargo and Docker).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::Context;

use super::io::lock;

/// Ctrl-C and SIGTERM as a flag plus wake-up calls.
///
/// Blocking accept loops cannot see a flag while they sleep in `accept()`, so whoever owns a
/// listener registers a waker (for example `shutdown(fd, SHUT_RD)`, which makes a blocked
/// `accept()` return on Linux, or an event loop's `mio::Waker`). The signal is handled on a
/// thread of its own, so no code runs in a signal handler.
pub struct Shutdown {
    requested: AtomicBool,
    /// SIGINT and SIGTERM received so far (see [`Shutdown::signalled`]).
    signals: AtomicUsize,
    wakers: Mutex<Vec<Box<dyn Fn() + Send>>>,
}

impl Shutdown {
    /// A shutdown that only [`Shutdown::trigger`] sets (for tests and `--count`).
    pub fn new() -> Arc<Shutdown> {
        Arc::new(Shutdown {
            requested: AtomicBool::new(false),
            signals: AtomicUsize::new(0),
            wakers: Mutex::new(Vec::new()),
        })
    }

    /// A shutdown that SIGINT and SIGTERM also set; a second signal ends the process at once
    /// ([`stop_now`]). `verb` names the program in the line a first Ctrl-C prints.
    pub fn on_signals(verb: &'static str) -> anyhow::Result<Arc<Shutdown>> {
        use signal_hook::consts::{SIGINT, SIGTERM};
        let shutdown = Shutdown::new();
        let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])
            .context("install signal handlers")?;
        let weak = Arc::downgrade(&shutdown);
        std::thread::Builder::new()
            .name("signals".into())
            .spawn(move || {
                for signal in signals.forever() {
                    let Some(shutdown) = weak.upgrade() else {
                        return;
                    };
                    if shutdown.signalled(verb, signal) == Signalled::Again {
                        stop_now();
                    }
                }
            })
            .context("start signal thread")?;
        Ok(shutdown)
    }

    /// A SIGINT or SIGTERM came (`signal` says which): the first asks for a clean stop — and,
    /// for Ctrl-C, says on stderr (even under `--quiet`, since it answers the user's key) that
    /// a second one stops at once; a later one is [`Signalled::Again`], for the caller to stop
    /// now. Whoever owns the signals calls this, from a thread or an event loop, never from a
    /// signal handler.
    pub fn signalled(&self, verb: &str, signal: i32) -> Signalled {
        if self.signals.fetch_add(1, Ordering::SeqCst) > 0 {
            return Signalled::Again;
        }
        if signal == signal_hook::consts::SIGINT {
            crate::log::line(format_args!(
                "netlab {verb}: stopping — Ctrl-C again to stop now"
            ));
        }
        self.trigger();
        Signalled::First
    }

    /// Whether a stop was asked for.
    pub fn requested(&self) -> bool {
        self.requested.load(Ordering::SeqCst)
    }

    /// Ask for a stop and run every waker (once).
    pub fn trigger(&self) {
        if !self.requested.swap(true, Ordering::SeqCst) {
            for wake in lock(&self.wakers).iter() {
                wake();
            }
        }
    }

    /// Run `wake` when a stop is asked for (at once, if it already was).
    pub fn on_trigger(&self, wake: impl Fn() + Send + 'static) {
        let mut wakers = lock(&self.wakers);
        if self.requested() {
            wake();
        } else {
            wakers.push(Box::new(wake));
        }
    }
}

/// What a signal meant to [`Shutdown::signalled`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signalled {
    /// The first: a clean stop has begun.
    First,
    /// Another one while stopping: stop now.
    Again,
}

/// End the process at once, with exit 130: a second signal during a graceful stop. Work still
/// in flight is cut off, and no summary is printed.
pub fn stop_now() -> ! {
    use std::io::Write;
    let _ = std::io::stderr().flush();
    std::process::exit(crate::exit::Code::Interrupted as i32)
}

/// Wake a thread blocked in `accept()` on this listener (Linux: `shutdown(SHUT_RD)` on a
/// listening socket makes `accept` fail with `EINVAL`).
pub fn wake_acceptor(fd: std::os::fd::RawFd) -> impl Fn() + Send + 'static {
    move || {
        // If the descriptor has closed meanwhile this fails with EBADF, which is harmless.
        let _ = nix::sys::socket::shutdown(fd, nix::sys::socket::Shutdown::Read);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shutdown_runs_wakers_once_and_late_ones_at_once() {
        use std::sync::atomic::AtomicUsize;
        let shutdown = Shutdown::new();
        let hits = Arc::new(AtomicUsize::new(0));
        let h = Arc::clone(&hits);
        shutdown.on_trigger(move || {
            h.fetch_add(1, Ordering::SeqCst);
        });
        shutdown.trigger();
        shutdown.trigger();
        assert_eq!(hits.load(Ordering::SeqCst), 1);
        let h = Arc::clone(&hits);
        shutdown.on_trigger(move || {
            h.fetch_add(1, Ordering::SeqCst);
        });
        assert_eq!(hits.load(Ordering::SeqCst), 2);
        assert!(shutdown.requested());
    }

    #[test]
    fn a_second_signal_means_stop_now() {
        let shutdown = Shutdown::new();
        assert_eq!(
            shutdown.signalled("test", signal_hook::consts::SIGTERM),
            Signalled::First
        );
        assert!(shutdown.requested());
        assert_eq!(
            shutdown.signalled("test", signal_hook::consts::SIGINT),
            Signalled::Again
        );
    }

    #[test]
    fn wake_acceptor_unblocks_accept() {
        use std::os::fd::AsRawFd;
        let listener = super::super::listen_tcp("127.0.0.1".parse().unwrap(), 0, 16).unwrap();
        let wake = wake_acceptor(listener.as_raw_fd());
        let waiter = std::thread::spawn(move || listener.accept().is_err());
        wake();
        assert!(waiter.join().unwrap(), "accept should fail once woken");
    }
}
