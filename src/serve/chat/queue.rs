//! One client's bounded queue of chunks, and the pressure the queues put on senders.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// A member whose queue is over a quarter full holds the senders back (their lines wait in
/// their sockets) for as long as it keeps taking bytes; one that has taken none for this long
/// holds no one back, and is dropped once its queue is full.
pub const STALL: Duration = Duration::from_secs(1);

/// How many queues are over their quarter: while none is, no sender looks further.
#[derive(Debug, Default)]
pub struct Pressure(AtomicUsize);

impl Pressure {
    pub fn any(&self) -> bool {
        self.0.load(Ordering::Relaxed) > 0
    }
}

/// Whether a chunk found room in a queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pushed {
    /// The queue was empty: whoever sends it may need waking.
    First,
    More,
    /// Over the bound: the member is dropped.
    Full,
}

/// Where a member's bytes wait: the thread model wraps a [`Queue`] in a lock, the poll model
/// keeps it as it is.
pub trait Outbox {
    fn push(&mut self, chunk: &Arc<[u8]>) -> Pushed;
    /// Whether its client should hold the senders back now (see [`STALL`]).
    fn holds_back(&self, now: Instant) -> bool;
}

/// Chunks waiting for one client, at most `cap` bytes of them (an empty queue takes any one
/// chunk, so a line never fails for being long).
#[derive(Debug)]
pub struct Queue {
    chunks: VecDeque<Arc<[u8]>>,
    /// Bytes of the first chunk already sent.
    head: usize,
    bytes: usize,
    cap: usize,
    /// When a byte last went out (or, for a queue that was empty, when one came to wait).
    moved: Instant,
    pressure: Arc<Pressure>,
}

impl Queue {
    pub fn new(cap: usize, pressure: &Arc<Pressure>) -> Queue {
        Queue {
            chunks: VecDeque::new(),
            head: 0,
            bytes: 0,
            cap,
            moved: Instant::now(),
            pressure: Arc::clone(pressure),
        }
    }

    fn over(&self) -> bool {
        self.bytes > self.cap / 4
    }

    /// Count the queue in or out of [`Pressure`] when it crossed its quarter.
    fn crossed(&self, was_over: bool) {
        match (was_over, self.over()) {
            (false, true) => self.pressure.0.fetch_add(1, Ordering::Relaxed),
            (true, false) => self.pressure.0.fetch_sub(1, Ordering::Relaxed),
            _ => 0,
        };
    }

    /// Forget everything queued (its client is gone).
    pub fn clear(&mut self) {
        let was_over = self.over();
        self.chunks.clear();
        self.head = 0;
        self.bytes = 0;
        self.crossed(was_over);
    }

    pub fn is_empty(&self) -> bool {
        self.bytes == 0
    }

    /// The first `max` chunks still to send (cloned references into `out`) and how much of the
    /// first has gone already.
    pub fn peek(&self, max: usize, out: &mut Vec<Arc<[u8]>>) -> usize {
        out.extend(self.chunks.iter().take(max).cloned());
        self.head
    }

    /// What waits, as slices for one `writev` (as many as `iov` holds); how many.
    pub fn slices<'a>(&'a self, iov: &mut [std::io::IoSlice<'a>]) -> usize {
        let mut used = 0;
        for (i, chunk) in self.chunks.iter().take(iov.len()).enumerate() {
            let from = if i == 0 { self.head } else { 0 };
            iov[i] = std::io::IoSlice::new(&chunk[from..]);
            used += 1;
        }
        used
    }

    /// Forget `n` bytes from the front: they were sent.
    pub fn consume(&mut self, n: usize) {
        let was_over = self.over();
        if n > 0 {
            self.moved = Instant::now();
        }
        self.forget(n);
        self.crossed(was_over);
    }

    fn forget(&mut self, mut n: usize) {
        self.bytes = self.bytes.saturating_sub(n);
        while n > 0 {
            let Some(first) = self.chunks.front() else {
                break;
            };
            let left = first.len() - self.head;
            if n < left {
                self.head += n;
                return;
            }
            n -= left;
            self.head = 0;
            self.chunks.pop_front();
        }
    }
}

impl Drop for Queue {
    fn drop(&mut self) {
        self.clear();
    }
}

impl Outbox for Queue {
    fn push(&mut self, chunk: &Arc<[u8]>) -> Pushed {
        if self.bytes > 0 && self.bytes + chunk.len() > self.cap {
            return Pushed::Full;
        }
        let first = self.bytes == 0;
        if first {
            self.moved = Instant::now();
        }
        let was_over = self.over();
        self.bytes += chunk.len();
        self.chunks.push_back(Arc::clone(chunk));
        self.crossed(was_over);
        if first { Pushed::First } else { Pushed::More }
    }

    fn holds_back(&self, now: Instant) -> bool {
        self.over() && now.duration_since(self.moved) < STALL
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_queue_over_its_quarter_holds_back_until_it_stalls() {
        let pressure = Arc::new(Pressure::default());
        let mut q = Queue::new(200, &pressure);
        let chunk: Arc<[u8]> = vec![b'x'; 30].into();
        q.push(&chunk);
        assert!(!pressure.any());
        q.push(&chunk);
        assert!(pressure.any());
        assert!(q.holds_back(Instant::now()));
        assert!(!q.holds_back(Instant::now() + STALL));
        q.consume(40);
        assert!(!pressure.any());
        q.push(&chunk);
        q.push(&chunk);
        assert!(pressure.any());
        drop(q);
        assert!(
            !pressure.any(),
            "a queue dropped over its quarter counts itself out"
        );
    }
}
