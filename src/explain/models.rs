//! The hooks of each serve model's own mechanics: a thread per client, the pool's workers,
//! fork and waitpid, epoll; and a client's second descriptor for its sending thread.

use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

use super::calls::{accepted, watched};
use super::{Msg, on, say};
use crate::net::lock;

/// epoll_wait lines said per run, at most.
const WAIT_LINES: u32 = 12;

static CHILDREN: Mutex<Vec<i32>> = Mutex::new(Vec::new());
static WAITS: AtomicU32 = AtomicU32::new(0);

/// The thread model is about to start a thread for this connection.
pub fn thread(socket: &impl AsRawFd) {
    if on() && watched(socket.as_raw_fd(), false) {
        let fd = socket.as_raw_fd();
        say(
            format_args!("pthread_create(serve fd {fd})"),
            Msg::Thread,
            &[&fd],
        );
    }
}

/// The pool model has started its workers.
pub fn pool(workers: usize) {
    if on() {
        say(
            format_args!("pthread_create() × {workers}"),
            Msg::Pool,
            &[&workers],
        );
    }
}

/// The fork model's parent has forked a child for this connection (and remembers it, to say
/// its reaping).
pub fn forked(child: nix::unistd::Pid, socket: &impl AsRawFd) {
    if on() && watched(socket.as_raw_fd(), false) {
        lock(&CHILDREN).push(child.as_raw());
        let fd = socket.as_raw_fd();
        say(format_args!("fork() = child {child}"), Msg::Fork, &[&fd]);
    }
}

/// The fork model's parent reaped a child.
pub fn reaped(status: &nix::sys::wait::WaitStatus) {
    if !on() {
        return;
    }
    let Some(pid) = status.pid() else {
        return;
    };
    let mut children = lock(&CHILDREN);
    let Some(at) = children.iter().position(|c| *c == pid.as_raw()) else {
        return;
    };
    children.swap_remove(at);
    drop(children);
    let how = match status {
        nix::sys::wait::WaitStatus::Exited(_, code) => format!("exit {code}"),
        nix::sys::wait::WaitStatus::Signaled(_, signal, _) => format!("killed by {signal:?}"),
        other => format!("{other:?}"),
    };
    say(
        format_args!("waitpid(-1, WNOHANG) = child {pid} ({how})"),
        Msg::Waitpid,
        &[],
    );
}

fn epoll_events(interest: mio::Interest) -> String {
    let mut events = Vec::new();
    if interest.is_readable() {
        events.push("EPOLLIN|EPOLLRDHUP");
    }
    if interest.is_writable() {
        events.push("EPOLLOUT");
    }
    events.push("EPOLLET");
    events.join("|")
}

/// `epoll_ctl(EPOLL_CTL_ADD)` as mio makes it; `listener`: the socket is a listener (always
/// narrated).
pub fn epoll_add(
    epoll: &impl AsRawFd,
    fd: RawFd,
    interest: mio::Interest,
    listener: bool,
    result: &io::Result<()>,
) {
    if on() && (listener || watched(fd, false)) && result.is_ok() {
        let epfd = epoll.as_raw_fd();
        let events = epoll_events(interest);
        say(
            format_args!("epoll_ctl(fd {epfd}, ADD, fd {fd}, {events})"),
            Msg::EpollAdd,
            &[&fd],
        );
    }
}

/// `epoll_ctl(EPOLL_CTL_DEL)`.
pub fn epoll_del(epoll: &impl AsRawFd, fd: RawFd, result: &io::Result<()>) {
    if on() && watched(fd, false) && result.is_ok() {
        let epfd = epoll.as_raw_fd();
        say(
            format_args!("epoll_ctl(fd {epfd}, DEL, fd {fd})"),
            Msg::EpollDel,
            &[&fd],
        );
    }
}

/// `epoll_wait(2)`: said while the first connections are narrated, a few times at most.
pub fn epoll_wait(epoll: &impl AsRawFd, events: &mio::Events) {
    if !on() || events.is_empty() || accepted() > super::FULL {
        return;
    }
    if WAITS.fetch_add(1, Ordering::Relaxed) >= WAIT_LINES {
        return;
    }
    let epfd = epoll.as_raw_fd();
    let ready = events.iter().count();
    say(
        format_args!("epoll_wait(fd {epfd}) = {ready} ready"),
        Msg::EpollWait,
        &[],
    );
}

/// A second descriptor for a socket (`try_clone`, which is `fcntl(F_DUPFD_CLOEXEC)`).
pub fn dup(from: &impl AsRawFd, to: &impl AsRawFd) {
    // A TLS session is shared, not duplicated: one descriptor, nothing to say.
    if on() && from.as_raw_fd() != to.as_raw_fd() && watched(from.as_raw_fd(), false) {
        let (from, to) = (from.as_raw_fd(), to.as_raw_fd());
        super::calls::watch_also(to);
        say(
            format_args!("fcntl(fd {from}, F_DUPFD_CLOEXEC) = fd {to}"),
            Msg::Dup,
            &[],
        );
    }
}
