//! What a server may hold: the `--max-conns` count of connections in flight, the descriptor
//! limit, and the counters its summary line reports.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use super::fmt::HumanBytes;

/// Raise the soft limit on open files to the hard limit, so a server with many clients does not
/// run out of descriptors at the usual soft limit of 1024.
pub fn raise_fd_limit() {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    if let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE)
        && soft < hard
    {
        let _ = setrlimit(Resource::RLIMIT_NOFILE, hard, hard);
    }
}
/// Counters every server keeps for its summary line. Plain atomics, so they can also live in
/// memory shared with forked children.
#[derive(Debug, Default)]
#[repr(C)]
pub struct Stats {
    pub connections: AtomicU64,
    pub bytes_in: AtomicU64,
    pub bytes_out: AtomicU64,
    pub refused: AtomicU64,
    /// Connections closed to make room for new ones (web's answer to slowloris).
    pub evicted: AtomicU64,
    /// Clients closed at once by `--allow`/`--deny`.
    pub denied: AtomicU64,
}

impl Stats {
    pub fn add_in(&self, n: usize) {
        self.bytes_in.fetch_add(n as u64, Ordering::Relaxed);
    }

    pub fn add_out(&self, n: usize) {
        self.bytes_out.fetch_add(n as u64, Ordering::Relaxed);
    }

    /// The one-line summary printed when a server stops.
    pub fn summary(&self) -> String {
        let connections = self.connections.load(Ordering::Relaxed);
        let refused = self.refused.load(Ordering::Relaxed);
        let mut text = format!(
            "{} connection{}, {} in, {} out",
            super::Count(connections),
            if connections == 1 { "" } else { "s" },
            HumanBytes(self.bytes_in.load(Ordering::Relaxed)),
            HumanBytes(self.bytes_out.load(Ordering::Relaxed)),
        );
        if refused > 0 {
            text.push_str(&format!(
                ", {} refused over the limit",
                super::Count(refused)
            ));
        }
        let denied = self.denied.load(Ordering::Relaxed);
        if denied > 0 {
            text.push_str(&format!(
                ", {} denied by --allow/--deny",
                super::Count(denied)
            ));
        }
        let evicted = self.evicted.load(Ordering::Relaxed);
        if evicted > 0 {
            text.push_str(&format!(
                ", {} closed while waiting for a request head to let new ones in",
                super::Count(evicted)
            ));
        }
        text
    }
}

/// A count of connections in flight, bounded by `--max-conns`.
#[derive(Debug)]
pub struct ConnLimit {
    active: AtomicUsize,
    max: usize,
}

impl ConnLimit {
    pub fn new(max: usize) -> Arc<ConnLimit> {
        Arc::new(ConnLimit {
            active: AtomicUsize::new(0),
            max,
        })
    }

    /// Take a slot, or `None` when the limit is reached. The slot is given back on drop.
    pub fn try_acquire(self: &Arc<Self>) -> Option<ConnSlot> {
        let mut current = self.active.load(Ordering::Relaxed);
        loop {
            if current >= self.max {
                return None;
            }
            match self.active.compare_exchange_weak(
                current,
                current + 1,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Some(ConnSlot(Arc::clone(self))),
                Err(actual) => current = actual,
            }
        }
    }

    /// Take a slot over the limit: for a newcomer admitted in place of a connection that is
    /// being closed for it, whose slot comes back shortly.
    pub fn acquire_anyway(self: &Arc<Self>) -> ConnSlot {
        self.active.fetch_add(1, Ordering::AcqRel);
        ConnSlot(Arc::clone(self))
    }

    /// Connections in flight now.
    pub fn active(&self) -> usize {
        self.active.load(Ordering::Acquire)
    }
}

/// One connection's place under the limit.
#[derive(Debug)]
pub struct ConnSlot(Arc<ConnLimit>);

impl Drop for ConnSlot {
    fn drop(&mut self) {
        self.0.active.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_gives_slots_back() {
        let limit = ConnLimit::new(2);
        let a = limit.try_acquire().unwrap();
        let _b = limit.try_acquire().unwrap();
        assert!(limit.try_acquire().is_none());
        drop(a);
        assert!(limit.try_acquire().is_some());
    }
}
