//! What netlab carries for a child: its stderr, line by line with the client's address in
//! front, and over TLS its stdin and stdout, between the pipes and the session.

use std::io::{self, Read, Write};
use std::os::fd::AsFd;
use std::process::{Child, ChildStderr};

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

use crate::net::Stream;
use crate::serve::Context;
use crate::serve::service::ECHO_BUF;

/// The longest stderr line kept whole; a longer one is cut into lines of this size.
const MAX_LINE: usize = 8 * 1024;

/// A child's stderr on the way to ours: whole lines, each with the prefix.
pub struct Lines {
    prefix: String,
    partial: Vec<u8>,
}

impl Lines {
    pub fn new(prefix: String) -> Lines {
        Lines {
            prefix,
            partial: Vec::new(),
        }
    }

    pub fn feed(&mut self, mut bytes: &[u8]) {
        while let Some(end) = bytes.iter().position(|&b| b == b'\n') {
            self.partial.extend_from_slice(&bytes[..end]);
            self.emit();
            bytes = &bytes[end + 1..];
        }
        self.partial.extend_from_slice(bytes);
        while self.partial.len() >= MAX_LINE {
            let rest = self.partial.split_off(MAX_LINE);
            self.emit();
            self.partial = rest;
        }
    }

    /// The end of the stream: a last line without its newline still goes out.
    pub fn finish(&mut self) {
        if !self.partial.is_empty() {
            self.emit();
        }
    }

    fn emit(&mut self) {
        let mut line = Vec::with_capacity(self.prefix.len() + self.partial.len() + 1);
        line.extend_from_slice(self.prefix.as_bytes());
        line.append(&mut self.partial);
        line.push(b'\n');
        // One write per line, so lines from many clients never mix.
        let _ = io::stderr().lock().write_all(&line);
    }
}

/// Over TLS: the client's plaintext to the child's stdin on a thread of its own (its end
/// closes the stdin), and on this thread the child's stdout to the session (its end sends
/// close_notify and FIN) and its stderr to ours. Returns once the child's stdout and stderr
/// have ended; the caller reaps the child.
pub fn tls(
    ctx: &Context,
    session: Stream,
    child: &mut Child,
    mut stderr_pipe: Option<ChildStderr>,
    stderr: &mut Lines,
) {
    let stats = ctx.stats;
    let inbound = match (session.try_clone(), child.stdin.take()) {
        (Ok(mut from_client), Some(mut stdin)) => std::thread::Builder::new()
            .stack_size(64 * 1024)
            .spawn(move || {
                let mut buf = vec![0u8; ECHO_BUF];
                loop {
                    let n = match from_client.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    stats.add_in(n);
                    if stdin.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
                // Dropping stdin closes it: the child reads the client's end of stream.
            })
            .ok(),
        _ => None,
    };
    let mut stdout_pipe = child.stdout.take();
    let mut to_client = session;
    let mut buf = vec![0u8; ECHO_BUF];
    while stdout_pipe.is_some() || stderr_pipe.is_some() {
        let (out_ready, err_ready) = {
            let mut fds = Vec::with_capacity(2);
            if let Some(pipe) = &stdout_pipe {
                fds.push(PollFd::new(pipe.as_fd(), PollFlags::POLLIN));
            }
            if let Some(pipe) = &stderr_pipe {
                fds.push(PollFd::new(pipe.as_fd(), PollFlags::POLLIN));
            }
            match poll(&mut fds, PollTimeout::NONE) {
                Ok(_) | Err(nix::errno::Errno::EINTR) => {}
                Err(_) => break,
            }
            let ready = |fd: &PollFd| fd.revents().is_some_and(|r| !r.is_empty());
            let mut flags = fds.iter().map(ready);
            let out = stdout_pipe.is_some() && flags.next().unwrap_or(false);
            let err = stderr_pipe.is_some() && flags.next().unwrap_or(false);
            (out, err)
        };
        if out_ready && let Some(pipe) = &mut stdout_pipe {
            let sent = match pipe.read(&mut buf) {
                Ok(0) => Ok(false),
                Ok(n) => to_client.write_all(&buf[..n]).map(|()| {
                    stats.add_out(n);
                    true
                }),
                Err(err) if err.kind() == io::ErrorKind::Interrupted => Ok(true),
                Err(err) => Err(err),
            };
            if !matches!(sent, Ok(true)) {
                // The child's output ended (or the client went): the client reads the end.
                stdout_pipe = None;
                let _ = to_client.shutdown(std::net::Shutdown::Write);
            }
        }
        if err_ready && let Some(pipe) = &mut stderr_pipe {
            match pipe.read(&mut buf) {
                Ok(0) => stderr_pipe = None,
                Ok(n) => stderr.feed(&buf[..n]),
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => stderr_pipe = None,
            }
        }
    }
    // Once the child is gone, a client that never closes must not keep the reader waiting.
    let _ = child.wait();
    if let Some(tls) = to_client.tls() {
        let _ = tls.socket().shutdown(std::net::Shutdown::Read);
    }
    if let Some(inbound) = inbound {
        let _ = inbound.join();
    }
}
