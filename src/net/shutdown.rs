//! Ctrl-C and SIGTERM: a stop flag and the wake-up calls that reach blocked accept loops.

use std::sync::atomic::{AtomicBool, Ordering};
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
    wakers: Mutex<Vec<Box<dyn Fn() + Send>>>,
}

impl Shutdown {
    /// A shutdown that only [`Shutdown::trigger`] sets (for tests and `--count`).
    pub fn new() -> Arc<Shutdown> {
        Arc::new(Shutdown {
            requested: AtomicBool::new(false),
            wakers: Mutex::new(Vec::new()),
        })
    }

    /// A shutdown that SIGINT and SIGTERM also set.
    pub fn on_signals() -> anyhow::Result<Arc<Shutdown>> {
        use signal_hook::consts::{SIGINT, SIGTERM};
        let shutdown = Shutdown::new();
        let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])
            .context("install signal handlers")?;
        let weak = Arc::downgrade(&shutdown);
        std::thread::Builder::new()
            .name("signals".into())
            .spawn(move || {
                if signals.forever().next().is_some()
                    && let Some(shutdown) = weak.upgrade()
                {
                    shutdown.trigger();
                }
            })
            .context("start signal thread")?;
        Ok(shutdown)
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
    fn wake_acceptor_unblocks_accept() {
        use std::os::fd::AsRawFd;
        let listener = super::super::listen_tcp("127.0.0.1".parse().unwrap(), 0, 16).unwrap();
        let wake = wake_acceptor(listener.as_raw_fd());
        let waiter = std::thread::spawn(move || listener.accept().is_err());
        wake();
        assert!(waiter.join().unwrap(), "accept should fail once woken");
    }
}
