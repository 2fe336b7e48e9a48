//! `--model fork`: SocketServer's ForkingMixIn — the parent accepts, each client is served by a
//! child process of its own, and the parent reaps every child (no zombies left behind).
//!
//! The parent stays single-threaded: it waits in poll(2) on the listener and on a pipe that
//! Ctrl-C and SIGTERM write to ([`SignalPipe`]), instead of having the signal thread the other
//! models use. Forking a
//! single-threaded process is the case fork(2) was made for — the child cannot inherit a lock
//! some other thread held — and it is cheaper, since no other thread's CPU needs its TLB flushed
//! when the parent's pages turn copy-on-write. Exited children are reaped after each batch of
//! accepts and, while any are running, every few milliseconds. Children count their bytes into
//! the shared [`Stats`] mapping, so the summary covers them.

use std::collections::HashSet;
use std::io::{self, Read};
use std::num::NonZeroUsize;
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::{self, SigHandler, Signal};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid};

use super::{Admission, Context, GRACE, accept_failed};
use crate::net::{Listener, Listeners, Peer, Stream};
use crate::net::{Signalled, Stats};

/// How often exited children are looked for while some are running and no client arrives.
const REAP_EVERY: Duration = Duration::from_millis(20);

/// Counters in memory shared with every child forked later (an anonymous `MAP_SHARED` mapping,
/// never unmapped: it lives as long as the process).
pub fn shared_stats() -> anyhow::Result<&'static Stats> {
    use nix::sys::mman::{MapFlags, ProtFlags, mmap_anonymous};
    let len = NonZeroUsize::new(std::mem::size_of::<Stats>()).context("empty Stats")?;
    // SAFETY: a fresh anonymous mapping, page-aligned (enough for atomics), that nothing else
    // refers to; it is initialised before the reference is made and never unmapped.
    unsafe {
        let ptr = mmap_anonymous(
            None,
            len,
            ProtFlags::PROT_READ | ProtFlags::PROT_WRITE,
            MapFlags::MAP_SHARED,
        )
        .context("map shared memory for the counters")?
        .cast::<Stats>();
        ptr.as_ptr().write(Stats::default());
        Ok(&*ptr.as_ptr())
    }
}

/// SIGINT and SIGTERM written to a socket the parent's loop watches. Made before the
/// listener is bound, so a Ctrl-C at any point leads to a clean stop.
pub struct SignalPipe {
    read: UnixStream,
    /// The number of the latest signal (set by its handler before it writes to the pipe).
    last: Arc<AtomicUsize>,
    registered: Vec<signal_hook::SigId>,
}

impl SignalPipe {
    pub fn new() -> anyhow::Result<SignalPipe> {
        let (read, write) = UnixStream::pair().context("create the signal pipe")?;
        read.set_nonblocking(true)?;
        // The handler must never block on a full pipe.
        write.set_nonblocking(true)?;
        let mut registered = Vec::new();
        let last = Arc::new(AtomicUsize::new(0));
        for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
            // Handlers run in the order registered: the number is in place before the wake-up.
            registered.push(
                signal_hook::flag::register_usize(signal, Arc::clone(&last), signal as usize)
                    .context("install signal handlers")?,
            );
            let write = write.try_clone().context("clone the signal pipe")?;
            registered.push(
                signal_hook::low_level::pipe::register(signal, write)
                    .context("install signal handlers")?,
            );
        }
        Ok(SignalPipe {
            read,
            last,
            registered,
        })
    }

    /// How many signals came (one byte each), and the latest one's number.
    fn drain(&mut self) -> (usize, i32) {
        let mut sink = [0u8; 64];
        let mut count = 0;
        while let Ok(n) = self.read.read(&mut sink)
            && n > 0
        {
            count += n;
        }
        (count, self.last.load(Ordering::SeqCst) as i32)
    }
}

impl Drop for SignalPipe {
    fn drop(&mut self) {
        for id in self.registered.drain(..) {
            signal_hook::low_level::unregister(id);
        }
    }
}

pub fn serve(
    ctx: &'static Context,
    listener: Listeners,
    mut signals: SignalPipe,
) -> anyhow::Result<()> {
    listener.set_nonblocking(true)?;
    ctx.ready();
    let mut children = HashSet::new();
    let mut listener = Some(listener);
    let mut deadline = None;
    loop {
        reap(&mut children);
        let now = Instant::now();
        if ctx.stop.requested() {
            // Closing the listener here lets the port go while the children finish.
            listener = None;
            if children.is_empty() {
                return Ok(());
            }
            if ctx.signals.requested() {
                if deadline.is_none() {
                    ctx.stopping(children.len());
                }
                let deadline = *deadline.get_or_insert(now + GRACE);
                if now >= deadline {
                    crate::warn!(
                        "{} child process(es) still busy after {}; killing them",
                        children.len(),
                        crate::net::format_duration(GRACE)
                    );
                    kill_all(ctx, &mut children);
                    return Ok(());
                }
            }
        }
        let timeout = match (children.is_empty(), deadline) {
            (true, None) => PollTimeout::NONE,
            (true, Some(deadline)) => poll_timeout(deadline.saturating_duration_since(now)),
            (false, _) => poll_timeout(REAP_EVERY),
        };
        // The signal pipe and each listener: plain poll(2) is all the parent needs.
        let (listeners_ready, signalled) = {
            let mut fds = vec![PollFd::new(signals.read.as_fd(), PollFlags::POLLIN)];
            for one in listener.iter().flat_map(Listeners::iter) {
                fds.push(PollFd::new(one.as_fd(), PollFlags::POLLIN));
            }
            match poll(&mut fds, timeout) {
                Ok(_) => {}
                Err(Errno::EINTR) => continue,
                Err(err) => return Err(anyhow::Error::new(err).context("poll")),
            }
            let ready = |fd: &PollFd| fd.revents().is_some_and(|r| !r.is_empty());
            let listeners: Vec<bool> = fds[1..].iter().map(ready).collect();
            (listeners, ready(&fds[0]))
        };
        if signalled {
            let (count, signal) = signals.drain();
            for _ in 0..count {
                if ctx.signals.signalled("serve", signal) == Signalled::Again {
                    kill_all(ctx, &mut children);
                    crate::net::stop_now();
                }
            }
        }
        if let Some(listeners) = &listener {
            for (one, _) in listeners
                .iter()
                .zip(listeners_ready)
                .filter(|(_, ready)| *ready)
            {
                accept_ready(ctx, one, listeners, &mut children)?;
            }
        }
    }
}

fn poll_timeout(duration: Duration) -> PollTimeout {
    // Round up, so a wait is never cut short into a busy loop.
    let millis = duration.as_millis().saturating_add(1).min(i32::MAX as u128);
    PollTimeout::try_from(millis).unwrap_or(PollTimeout::MAX)
}

/// Take every connection waiting (a bounded batch) and fork a child for each.
fn accept_ready(
    ctx: &Context,
    listener: &Listener,
    all: &Listeners,
    children: &mut HashSet<Pid>,
) -> anyhow::Result<()> {
    for _ in 0..64 {
        let (conn, peer) = match listener.accept() {
            Ok(accepted) => accepted,
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => return Ok(()),
            Err(err) => {
                accept_failed(err, &ctx.stop)?;
                continue;
            }
        };
        if ctx.admit(children.len() < ctx.max_conns, &conn, &peer) != Admission::Serve {
            continue;
        }
        // SAFETY: the parent is single-threaded, so the child starts with no lock held by a
        // thread that does not exist in it; it runs only `in_child` and exits with `_exit`.
        match unsafe { nix::unistd::fork() } {
            Ok(ForkResult::Parent { child }) => {
                crate::explain::forked(child, &conn);
                children.insert(child);
            }
            Ok(ForkResult::Child) => in_child(ctx, conn, &peer, all),
            Err(err) => {
                ctx.stats
                    .refused
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                crate::warn!("fork for {peer}: {err}");
            }
        }
        // The parent's copy of the connection closes here; the child keeps its own.
        crate::explain::close_parent(conn);
        if ctx.stop.requested() {
            return Ok(());
        }
    }
    Ok(())
}

/// The child: serve one client and exit, never returning into the parent's loop.
fn in_child(ctx: &Context, conn: Stream, peer: &Peer, listeners: &Listeners) -> ! {
    // SAFETY: the child owns its copies of the listening descriptors and never uses them:
    // closing them lets the port go once the parent closes its own. Ctrl-C in a terminal reaches the whole
    // process group: the parent decides how long children may finish, so they ignore SIGINT;
    // SIGTERM keeps its default so a child can be stopped on its own.
    unsafe {
        for listener in listeners.iter() {
            nix::libc::close(listener.as_raw_fd());
        }
        let _ = signal::signal(Signal::SIGINT, SigHandler::SigIgn);
        let _ = signal::signal(Signal::SIGTERM, SigHandler::SigDfl);
    }
    if let super::Service::Exec(_) = ctx.service {
        super::exec::in_fork_child();
    }
    ctx.serve(conn, peer);
    // `_exit`: no destructors, no atexit handlers, no stdio flush — they belong to the parent.
    // SAFETY: ends this process at once, which is what the child wants.
    unsafe { nix::libc::_exit(0) }
}

/// Reap every child that has exited, without blocking.
fn reap(children: &mut HashSet<Pid>) {
    loop {
        match waitpid(None, Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::StillAlive) => return,
            Ok(status) => {
                crate::explain::reaped(&status);
                if let Some(pid) = status.pid() {
                    children.remove(&pid);
                }
            }
            Err(nix::errno::Errno::EINTR) => continue,
            // ECHILD: no children left.
            Err(_) => return,
        }
    }
}

/// After the grace period: kill the children still serving and reap them (with `--exec`,
/// each child's process group, SIGTERM first).
fn kill_all(ctx: &Context, children: &mut HashSet<Pid>) {
    if let super::Service::Exec(_) = ctx.service {
        return super::exec::terminate_groups(children);
    }
    for pid in children.iter() {
        let _ = signal::kill(*pid, Signal::SIGKILL);
    }
    for pid in children.drain() {
        while let Err(nix::errno::Errno::EINTR) = waitpid(pid, None) {}
    }
}
