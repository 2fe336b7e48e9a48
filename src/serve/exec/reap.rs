//! The children's process groups, and ending them at shutdown: SIGTERM to every group still
//! running once the drain time ([`GRACE`](crate::serve::GRACE)) is over, then SIGKILL to any
//! still there after [`TERM_WAIT`].
//!
//! In the thread, pool and serial models each child leads a group of its own, listed in
//! [`GROUPS`] while its thread waits for it. In the fork model the forked netlab child leads
//! the group and the program joins it, so the parent, which knows only its own children,
//! signals the group of each.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::signal::{self, SigHandler, Signal};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;

use crate::net;

/// How long a child has between SIGTERM and SIGKILL.
pub const TERM_WAIT: Duration = Duration::from_secs(1);

/// The groups of the children running now (the thread models), and whether shutdown has begun
/// signalling them.
static GROUPS: Mutex<(Vec<u32>, bool)> = Mutex::new((Vec::new(), false));
static GONE: Condvar = Condvar::new();

/// Set in a forked netlab child: the program joins its group instead of leading its own.
static SHARES_GROUP: AtomicBool = AtomicBool::new(false);

pub fn shares_group() -> bool {
    SHARES_GROUP.load(Ordering::Relaxed)
}

/// A running child's group, listed until dropped (once the child is reaped).
pub struct Group(Option<u32>);

impl Group {
    pub fn enter(pid: u32) -> Group {
        if shares_group() {
            return Group(None);
        }
        let mut groups = net::lock(&GROUPS);
        if groups.1 {
            // Shutdown is already signalling: this one was too late to be seen.
            let _ = signal::killpg(Pid::from_raw(pid as i32), Signal::SIGTERM);
        }
        groups.0.push(pid);
        Group(Some(pid))
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        if let Some(pid) = self.0 {
            let mut groups = net::lock(&GROUPS);
            groups.0.retain(|&p| p != pid);
            GONE.notify_all();
        }
    }
}

/// In a forked netlab child about to serve `--exec`: lead a process group, which the program
/// joins, so the parent can end both at once. Out of the terminal's group, a Ctrl-C no longer
/// reaches it, so SIGINT gets its default back for the program to inherit.
pub fn in_fork_child() {
    let _ = nix::unistd::setpgid(Pid::from_raw(0), Pid::from_raw(0));
    // SAFETY: restoring a default disposition in a single-threaded child.
    unsafe {
        let _ = signal::signal(Signal::SIGINT, SigHandler::SigDfl);
    }
    SHARES_GROUP.store(true, Ordering::Relaxed);
}

/// After the drain time (thread, pool, serial models): SIGTERM every child's group, wait up to
/// [`TERM_WAIT`] for the serving threads to reap them, then SIGKILL what is left.
pub fn terminate_all() {
    let mut groups = net::lock(&GROUPS);
    groups.1 = true;
    if groups.0.is_empty() {
        return;
    }
    crate::info!(
        "netlab serve: ending {} child process(es) (SIGTERM, then SIGKILL after {})",
        groups.0.len(),
        net::format_duration(TERM_WAIT)
    );
    for &pid in &groups.0 {
        let _ = signal::killpg(Pid::from_raw(pid as i32), Signal::SIGTERM);
    }
    let deadline = Instant::now() + TERM_WAIT;
    while !groups.0.is_empty() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        groups = GONE
            .wait_timeout(groups, left)
            .unwrap_or_else(|e| e.into_inner())
            .0;
    }
    for &pid in &groups.0 {
        let _ = signal::killpg(Pid::from_raw(pid as i32), Signal::SIGKILL);
    }
}

/// The fork model's end (its parent's children each lead a group): SIGTERM every group, reap
/// the children as they go, wait up to [`TERM_WAIT`] for each group to empty, then SIGKILL the
/// groups left and reap the rest.
pub fn terminate_groups(children: &mut HashSet<Pid>) {
    let groups: Vec<Pid> = children.iter().copied().collect();
    for &pid in &groups {
        let _ = signal::killpg(pid, Signal::SIGTERM);
    }
    let deadline = Instant::now() + TERM_WAIT;
    let alive = |pid: &Pid| signal::killpg(*pid, None) != Err(Errno::ESRCH);
    while Instant::now() < deadline && groups.iter().any(alive) {
        reap_some(children);
        std::thread::sleep(Duration::from_millis(10));
    }
    for pid in groups.iter().filter(|pid| alive(pid)) {
        let _ = signal::killpg(*pid, Signal::SIGKILL);
    }
    for pid in children.drain() {
        while let Err(Errno::EINTR) = waitpid(pid, None) {}
    }
}

fn reap_some(children: &mut HashSet<Pid>) {
    while let Ok(status) = waitpid(None, Some(WaitPidFlag::WNOHANG)) {
        match status {
            WaitStatus::StillAlive => return,
            status => {
                if let Some(pid) = status.pid() {
                    children.remove(&pid);
                }
            }
        }
    }
}
