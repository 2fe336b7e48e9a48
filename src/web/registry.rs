//! The server's list of open connections, as the acceptor sees them: a stop wakes the idle
//! ones, and at `--max-conns` the one that has waited longest for a request head makes room for
//! a newcomer. That is the answer to slowloris: a client that sends its head a byte at a time
//! holds a slot only until someone else needs it, however many such clients there are.

use std::collections::HashMap;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::net::lock;

/// `Watch::waiting` while a request is in hand (being answered, a body read, a response sent).
const BUSY: u64 = 0;
/// `Watch::waiting` once the connection was chosen for eviction: never chosen again.
const EVICTED: u64 = u64::MAX;

/// One open connection: its descriptor (to wake or evict it) and whether, and since when, it
/// waits for a request head. The connection's owner (an event loop or its thread) keeps it up
/// to date; the acceptor reads it.
#[derive(Debug)]
pub struct Watch {
    fd: RawFd,
    /// `BUSY`, `EVICTED`, or the registry's clock (nanoseconds, plus one) when the wait for
    /// the present head began.
    waiting: AtomicU64,
}

impl Watch {
    /// No request in hand: the connection waits for a head. Only the first call after a
    /// request counts, so the wait is measured from its start (the accept, or the end of the
    /// last response), not from the last byte of a head sent slowly.
    pub fn waiting(&self, registry: &Registry) {
        // Called on every read that finds no complete head: look before locking the line
        // and reading the clock.
        if self.waiting.load(Ordering::Acquire) != BUSY {
            return;
        }
        let _ = self.waiting.compare_exchange(
            BUSY,
            registry.ticks(),
            Ordering::AcqRel,
            Ordering::Relaxed,
        );
    }

    /// A request is in hand: not to be evicted.
    pub fn busy(&self) {
        let now = self.waiting.load(Ordering::Acquire);
        if now != BUSY && now != EVICTED {
            let _ = self
                .waiting
                .compare_exchange(now, BUSY, Ordering::AcqRel, Ordering::Relaxed);
        }
    }
}

/// What one eviction did, for the log.
#[derive(Debug, Clone, Copy)]
pub struct Evicted {
    /// How long the evicted connection had waited for its head.
    pub waited: Duration,
}

#[derive(Debug)]
pub struct Registry {
    clock: Instant,
    open: Mutex<Open>,
}

#[derive(Debug, Default)]
struct Open {
    next: u64,
    by_id: HashMap<u64, Arc<Watch>>,
    /// Evicted connections their owners have not closed yet: each holds a slot a newcomer was
    /// given already, so they are bounded.
    evicting: usize,
}

impl Default for Registry {
    fn default() -> Registry {
        Registry {
            clock: Instant::now(),
            open: Mutex::default(),
        }
    }
}

impl Registry {
    fn ticks(&self) -> u64 {
        // Plus one, so that no moment reads as BUSY.
        (self.clock.elapsed().as_nanos() as u64).saturating_add(1)
    }

    /// A new connection, waiting for its first head from now.
    pub fn add(&self, fd: RawFd) -> (u64, Arc<Watch>) {
        let watch = Arc::new(Watch {
            fd,
            waiting: AtomicU64::new(self.ticks()),
        });
        let mut open = self.lock();
        let id = open.next;
        open.next += 1;
        open.by_id.insert(id, Arc::clone(&watch));
        (id, watch)
    }

    /// Must happen before the socket closes: neither a stop nor an eviction ever touches a
    /// reused descriptor.
    pub fn remove(&self, id: u64) {
        let mut open = self.lock();
        if let Some(watch) = open.by_id.remove(&id)
            && watch.waiting.load(Ordering::Acquire) == EVICTED
        {
            open.evicting -= 1;
        }
    }

    /// `shutdown(SHUT_RD)` every open connection: a blocked read returns end-of-file, while
    /// a response being written still goes out.
    pub fn stop_reading(&self) {
        for watch in self.lock().by_id.values() {
            let _ = nix::sys::socket::shutdown(watch.fd, nix::sys::socket::Shutdown::Read);
        }
    }

    /// Close the connection that has waited longest for a request head, if one does and fewer
    /// than `bound` evictions are still being closed. Its owner sees end-of-file and closes it;
    /// its slot is the newcomer's.
    pub fn evict_longest_waiting(&self, bound: usize) -> Option<Evicted> {
        let mut open = self.lock();
        if open.evicting >= bound {
            return None;
        }
        // Its owner may take a request in hand meanwhile; then look again (bounded).
        for _ in 0..4 {
            let (since, watch) = open
                .by_id
                .values()
                .map(|watch| (watch.waiting.load(Ordering::Acquire), watch))
                .filter(|&(since, _)| since != BUSY && since != EVICTED)
                .min_by_key(|&(since, _)| since)?;
            let taken = watch
                .waiting
                .compare_exchange(since, EVICTED, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok();
            if taken {
                // Under the lock: the descriptor is still this connection's.
                let _ = nix::sys::socket::shutdown(watch.fd, nix::sys::socket::Shutdown::Both);
                open.evicting += 1;
                let waited = Duration::from_nanos(self.ticks().saturating_sub(since));
                return Some(Evicted { waited });
            }
        }
        None
    }

    fn lock(&self) -> MutexGuard<'_, Open> {
        lock(&self.open)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsRawFd;

    #[test]
    fn evicts_the_longest_waiting_and_never_a_busy_one() {
        let registry = Registry::default();
        let sockets: Vec<_> = (0..3)
            .map(|_| std::os::unix::net::UnixStream::pair().unwrap())
            .collect();
        let watches: Vec<_> = sockets
            .iter()
            .map(|(ours, _)| registry.add(ours.as_raw_fd()))
            .collect();
        for (n, (_, watch)) in watches.iter().enumerate() {
            watch.waiting.store(10 + n as u64, Ordering::Release);
        }
        // The oldest is mid-request; the second oldest is the one to go.
        watches[0].1.busy();
        assert!(registry.evict_longest_waiting(8).is_some());
        let mut buf = [0u8; 1];
        use std::io::Read;
        assert_eq!(
            (&sockets[1].1).read(&mut buf).unwrap(),
            0,
            "evicted: closed"
        );
        // Once evicted, never chosen again: the third goes next, then nobody.
        assert!(registry.evict_longest_waiting(8).is_some());
        assert!(registry.evict_longest_waiting(8).is_none());
        // A request done, the busy one waits again and may go.
        watches[0].1.waiting(&registry);
        assert!(registry.evict_longest_waiting(8).is_some());
        for (id, _) in &watches {
            registry.remove(*id);
        }
        assert_eq!(registry.lock().evicting, 0);
    }

    #[test]
    fn evictions_in_flight_are_bounded() {
        let registry = Registry::default();
        let (a, _a) = std::os::unix::net::UnixStream::pair().unwrap();
        let (b, _b) = std::os::unix::net::UnixStream::pair().unwrap();
        let (first, watch) = registry.add(a.as_raw_fd());
        watch.waiting.store(1, Ordering::Release);
        registry.add(b.as_raw_fd());
        assert!(registry.evict_longest_waiting(1).is_some());
        assert!(
            registry.evict_longest_waiting(1).is_none(),
            "one already closing"
        );
        registry.remove(first);
        assert!(registry.evict_longest_waiting(1).is_some());
    }
}
