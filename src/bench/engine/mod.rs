//! The load engine: a few threads, each an event loop (mio on epoll) over its share of the
//! connections. Each connection runs one exchange after another — connect, send, read the answer
//! — as a small state machine; what an exchange sends and how its answer ends is the
//! [`Exchange`]'s business (`tcp.rs`, `http.rs`).
//!
//! On a small machine the load generator competes with the server for the same cores, so it
//! spends as little CPU per exchange as it can: the request bytes are built once and go out in
//! one write; every read lands in one buffer per thread; nothing is allocated per exchange;
//! sockets are registered once, edge-triggered, so a kept-alive request costs no `epoll_ctl`;
//! and no counter is shared between threads on the hot path except the `-n` ticket counter.
//!
//! Under `--rate` (the open model) a thread starts its exchanges on a schedule, one every
//! `threads / rate` seconds, whatever the server does: an exchange whose time has come waits
//! for a free connection, and its latency counts from when it was due, so a server that stalls
//! is charged for every request the stall held back (what wrk2 calls coordinated omission).
//!
//! This file is what the verbs see and the scheduler: the run's plan, spreading connections
//! over threads, the state they share, and gathering their tallies. `worker.rs` is one thread:
//! its event loop and each connection's state machine.

mod schedule;
mod socket;
mod worker;

pub use socket::TlsClient;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use super::tally::{Failure, Tally};
use worker::work;

/// What one exchange on a connection is: the bytes it sends and how its answer ends.
pub trait Exchange: Sync {
    /// Per-connection parsing state, reset by [`Exchange::begin`] before every exchange.
    type State: Send;

    fn state(&self) -> Self::State;

    /// Reset `state` for a new exchange.
    fn begin(&self, state: &mut Self::State);

    /// The bytes sent at the start of this exchange (may be empty), chosen by
    /// [`Exchange::begin`].
    fn request<'e>(&'e self, state: &Self::State) -> &'e [u8];

    /// No exchange sends anything (the server speaks first and closes).
    fn sends_nothing(&self) -> bool;

    /// Half-close the connection once the request is sent (the server reads to EOF).
    fn half_close(&self) -> bool {
        false
    }

    /// Whether a connection may carry more than one exchange.
    fn keepalive(&self) -> bool {
        false
    }

    /// Look at bytes received (after any carried over, see [`Feed::More`]).
    fn feed(&self, state: &mut Self::State, data: &[u8]) -> Feed;

    /// The server closed its side; `Ok` when that completes the exchange.
    fn eof(&self, state: &mut Self::State) -> Result<(), Failure>;

    /// The HTTP status of a completed exchange, if it has one.
    fn status(&self, _state: &Self::State) -> Option<u16> {
        None
    }

    /// Which of several requests this exchange sent, when the run counts them one by one
    /// (`bench http --requests`: the lines of the file); `None`, the usual, counts only the
    /// totals.
    fn request_index(&self, _state: &Self::State) -> Option<usize> {
        None
    }
}

/// What [`Exchange::feed`] made of the bytes.
pub enum Feed {
    /// Not finished. `data[consumed..]` is offered again, in front of the next bytes (a response
    /// head cut in two, say).
    More { consumed: usize },
    /// The answer is complete; `reuse` when the connection may carry another exchange.
    Done { reuse: bool },
    /// The exchange failed.
    Failed(Failure),
}

/// When a run ends.
#[derive(Debug, Clone, Copy)]
pub enum Limit {
    /// After this long (measured from the end of the warm-up).
    Duration(Duration),
    /// After exactly this many counted attempts.
    Count(u64),
}

/// A run, validated.
#[derive(Debug, Clone)]
pub struct Plan {
    pub addr: SocketAddr,
    pub connections: u32,
    pub threads: usize,
    pub limit: Limit,
    pub warmup: Duration,
    pub timeout: Duration,
    /// Set TCP_NODELAY (HTTP: a request must not wait for an ACK).
    pub nodelay: bool,
    /// `--rate`: exchanges a second for the whole run (the open model), spread evenly over the
    /// threads; `None` is the closed loop (each connection's next exchange starts when its last
    /// ends).
    pub rate: Option<f64>,
    /// Speak TLS on every connection.
    pub tls: Option<TlsClient>,
}

/// What a run measured.
pub struct Outcome {
    pub tally: Tally,
    /// From the end of the warm-up to the end of the last counted exchange (or the deadline).
    pub elapsed: Duration,
    /// Stopped early by Ctrl-C or SIGTERM.
    pub interrupted: bool,
}

/// A look at a run in progress, for the live display.
#[derive(Debug, Clone, Copy)]
pub struct Snapshot {
    pub ok: u64,
    pub failed: u64,
    /// Still in the warm-up.
    pub warming: bool,
    /// Since the end of the warm-up (zero during it).
    pub elapsed: Duration,
}

/// How often the live display is updated.
const PROGRESS_EVERY: Duration = Duration::from_millis(200);

/// State every thread of a run shares.
struct Shared<'a, E> {
    plan: &'a Plan,
    exchange: &'a E,
    /// Set by Ctrl-C / SIGTERM.
    interrupt: &'a crate::net::Shutdown,
    /// Set when the run should end now: every thread stops at its next turn.
    stop: AtomicBool,
    /// Counted attempts handed out so far (`-n`).
    tickets: AtomicU64,
    /// Some exchange succeeded (warm-up included).
    any_ok: AtomicBool,
    /// Refused connections while nothing has succeeded yet.
    refused: AtomicU64,
    /// Counted exchanges started at or after this instant.
    measure_from: Instant,
    /// The run ends here (`-d`).
    end: Option<Instant>,
    /// Per-thread counts for the live display.
    progress: Vec<Progress>,
}

/// A thread's published counts, on a cache line of its own.
#[repr(align(64))]
#[derive(Default)]
struct Progress {
    ok: AtomicU64,
    failed: AtomicU64,
}

impl<E> Shared<'_, E> {
    /// Take one of the `-n` attempts; false when they are all given out.
    fn take_ticket(&self) -> bool {
        match self.plan.limit {
            Limit::Duration(_) => true,
            Limit::Count(count) => self.tickets.fetch_add(1, Ordering::Relaxed) < count,
        }
    }

    fn stopping(&self) -> bool {
        self.stop.load(Ordering::Relaxed) || self.interrupt.requested()
    }
}

/// Run the load and gather what every thread counted. `progress` is called every 200 ms.
pub fn run<E: Exchange>(
    plan: &Plan,
    exchange: &E,
    interrupt: &crate::net::Shutdown,
    mut progress: impl FnMut(Snapshot),
) -> anyhow::Result<Outcome> {
    let start = Instant::now();
    let measure_from = start + plan.warmup;
    let shared = Shared {
        plan,
        exchange,
        interrupt,
        stop: AtomicBool::new(false),
        tickets: AtomicU64::new(0),
        any_ok: AtomicBool::new(false),
        refused: AtomicU64::new(0),
        measure_from,
        end: match plan.limit {
            Limit::Duration(duration) => Some(measure_from + duration),
            Limit::Count(_) => None,
        },
        progress: (0..plan.threads).map(|_| Progress::default()).collect(),
    };
    let shares = split(plan.connections as usize, plan.threads);

    let (results, first_error) = thread::scope(|scope| {
        let (tx, rx) = mpsc::channel();
        let mut spawned = 0;
        let mut first_error: Option<anyhow::Error> = None;
        for (index, &share) in shares.iter().enumerate() {
            let tx = tx.clone();
            let shared = &shared;
            let spawn = thread::Builder::new()
                .name(format!("bench-{index}"))
                .spawn_scoped(scope, move || {
                    let _ = tx.send(work(shared, index, share));
                });
            match spawn {
                Ok(_) => spawned += 1,
                Err(err) => {
                    shared.stop.store(true, Ordering::Relaxed);
                    first_error = Some(anyhow::Error::new(err).context("start a load thread"));
                    break;
                }
            }
        }
        drop(tx);
        let mut results = Vec::with_capacity(spawned);
        while results.len() < spawned {
            match rx.recv_timeout(PROGRESS_EVERY) {
                Ok(Ok(done)) => results.push(done),
                Ok(Err(err)) => {
                    shared.stop.store(true, Ordering::Relaxed);
                    first_error.get_or_insert(err);
                    spawned -= 1;
                }
                Err(mpsc::RecvTimeoutError::Timeout) => progress(snapshot(&shared)),
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        (results, first_error)
    });
    if let Some(err) = first_error {
        return Err(err);
    }

    let mut tally = Tally::new();
    let mut finished = measure_from;
    for (part, ended) in results {
        tally.merge(part);
        finished = finished.max(ended);
    }
    let mut elapsed = finished.saturating_duration_since(measure_from);
    if let Limit::Duration(duration) = plan.limit {
        // A thread notices the deadline a moment late; what it did meanwhile is not counted
        // beyond the deadline either.
        elapsed = elapsed.min(duration);
    }
    Ok(Outcome {
        tally,
        elapsed,
        interrupted: interrupt.requested(),
    })
}

fn snapshot<E>(shared: &Shared<'_, E>) -> Snapshot {
    let now = Instant::now();
    let (mut ok, mut failed) = (0, 0);
    for progress in &shared.progress {
        ok += progress.ok.load(Ordering::Relaxed);
        failed += progress.failed.load(Ordering::Relaxed);
    }
    Snapshot {
        ok,
        failed,
        warming: now < shared.measure_from,
        elapsed: now.saturating_duration_since(shared.measure_from),
    }
}

/// `total` connections over `threads` threads, as evenly as can be.
fn split(total: usize, threads: usize) -> Vec<usize> {
    let threads = threads.clamp(1, total.max(1));
    (0..threads)
        .map(|index| total / threads + usize::from(index < total % threads))
        .collect()
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_split_evenly() {
        assert_eq!(split(8, 2), vec![4, 4]);
        assert_eq!(split(7, 3), vec![3, 2, 2]);
        assert_eq!(split(1, 4), vec![1]);
    }
}
