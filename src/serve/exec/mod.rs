//! `serve --exec PROG [ARGS…]` and `serve --sh-exec CMD`: a process per client, as inetd and
//! `ncat -e` run one — the reason `fork` exists.
//!
//! On a plain socket (TCP or Unix) the child's stdin and stdout *are* the socket: the descriptor
//! is handed over and netlab copies nothing. Over TLS the child cannot own the socket, so
//! [`pump`] carries the plaintext between the session and the child's pipes, passing each end
//! of stream on. The child's stderr is a pipe whose lines go to the server's stderr with the
//! client's address in front. Each child leads a process group of its own (with its own
//! children), which [`reap`] signals at shutdown; the thread serving the client reaps it.
//!
//! Spawning goes through `std::process::Command` with no `pre_exec` closure, so std uses
//! `posix_spawn` (glibc: `clone(CLONE_VM|CLONE_VFORK)`): the parent's page tables are never
//! copied, and a client costs the program's start-up, not a copy of netlab. Keep it that way:
//! a `pre_exec`, a uid/gid change or a changed PATH makes std fall back to fork + exec.

mod pump;
mod reap;

pub(crate) use reap::{in_fork_child, terminate_all, terminate_groups};

use std::ffi::{OsStr, OsString};
use std::io::Read;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};

use crate::cli::{Model, ServeArgs};
use crate::exit::Code;
use crate::net::{Peer, Stream};

use super::Context;

/// A program to run for each client, checked at start.
#[derive(Debug, Clone)]
pub struct Program {
    /// Where it is (looked up in PATH once, at start).
    path: PathBuf,
    args: Vec<OsString>,
    /// How the log names it.
    name: String,
}

impl Program {
    /// `--exec PROG [ARGS…]` or `--sh-exec CMD` checked into a program (`None`: neither flag). A
    /// program that cannot be run, or a transport or model that cannot run one, is a usage
    /// error here, before any socket opens.
    pub fn from_args(args: &mut ServeArgs) -> anyhow::Result<Option<Program>> {
        let (flag, program) = if let Some(cmd) = args.sh_exec.take() {
            let sh = Path::new("/bin/sh");
            check(sh, "--sh-exec")?;
            let program = Program {
                path: sh.into(),
                args: vec!["-c".into(), cmd.into()],
                name: "sh".into(),
            };
            ("--sh-exec", program)
        } else if let Some(command) = args.exec.take() {
            let mut command = command.into_iter();
            let Some(prog) = command.next() else {
                return Err(Code::Usage.error("--exec: which program? (--exec PROG [ARGS…])"));
            };
            let path = find(&prog)?;
            let name = path.file_name().map_or_else(
                || path.display().to_string(),
                |name| name.to_string_lossy().into_owned(),
            );
            let program = Program {
                path,
                args: command.collect(),
                name,
            };
            ("--exec", program)
        } else {
            return Ok(None);
        };
        if args.udp {
            return Err(Code::Usage.error(format!(
                "{flag} needs a connection to be the program's stdin and stdout; UDP has none \
                 (use TCP or --unix)"
            )));
        }
        if args.model == Model::Poll {
            return Err(Code::Usage.error(format!(
                "--model poll cannot run {flag}: its one thread serves every client on \
                 non-blocking sockets, and a process per client belongs in --model thread, \
                 pool, serial or fork"
            )));
        }
        Ok(Some(program))
    }
}

/// PROG as the shell finds it: a path when it holds a `/`, else the first match in PATH.
fn find(prog: &OsStr) -> anyhow::Result<PathBuf> {
    let shown = Path::new(prog).display();
    if prog.is_empty() {
        return Err(Code::Usage.error("--exec: the program's name is empty"));
    }
    if prog.as_bytes().contains(&b'/') {
        check(Path::new(prog), "--exec")?;
        return Ok(prog.into());
    }
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into());
    for dir in std::env::split_paths(&path) {
        // An empty entry means the current directory, as for the shell.
        let dir = if dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            dir
        };
        let candidate = dir.join(prog);
        if check(&candidate, "--exec").is_ok() {
            return Ok(candidate);
        }
    }
    Err(Code::Usage.error(format!("--exec {shown}: not found in PATH")))
}

/// Whether a program can be run: a file, executable by us.
fn check(path: &Path, flag: &str) -> anyhow::Result<()> {
    let shown = path.display();
    let meta = std::fs::metadata(path)
        .map_err(|err| Code::Usage.wrap(err))
        .map_err(|err| err.context(format!("{flag} {shown}")))?;
    if meta.is_dir() {
        return Err(Code::Usage.error(format!("{flag} {shown}: is a directory")));
    }
    if !meta.is_file() {
        return Err(Code::Usage.error(format!("{flag} {shown}: not a regular file")));
    }
    if nix::unistd::access(path, nix::unistd::AccessFlags::X_OK).is_err() {
        return Err(Code::Usage.error(format!(
            "{flag} {shown}: not executable (permission denied)"
        )));
    }
    Ok(())
}

/// Serve one client: run the program on its connection, relay its stderr, reap it.
pub fn serve(ctx: &Context, program: &Program, stream: Stream, peer: &Peer) {
    let prefix = format!("{peer}: ");
    let mut command = Command::new(&program.path);
    command
        .args(&program.args)
        .env("NETLAB_PEER", peer_name(&stream, peer))
        .env("NETLAB_LOCAL", local_name(&stream))
        .stderr(Stdio::piped());
    if !reap::shares_group() {
        // Its own process group, so shutdown can signal it with whatever it started, and a
        // Ctrl-C in the terminal reaches netlab alone (which decides how long clients get).
        command.process_group(0);
    }
    let tls = match stream {
        Stream::Tls(_) => {
            command.stdin(Stdio::piped()).stdout(Stdio::piped());
            Some(stream)
        }
        plain => {
            if let Err(err) = hand_over(&mut command, plain) {
                return ctx.report(&err, peer);
            }
            None
        }
    };
    let spawned = command.spawn();
    // The command holds our copies of the socket: closing them leaves the child the only owner,
    // so the client sees the end of the stream when the child closes it (or exits).
    drop(command);
    let mut child = match spawned {
        Ok(child) => child,
        Err(err) => {
            crate::warn!("{peer}: {}: {err}", program.name);
            return;
        }
    };
    let group = reap::Group::enter(child.id());
    let mut stderr = pump::Lines::new(prefix);
    match (tls, child.stderr.take()) {
        (Some(session), err_pipe) => pump::tls(ctx, session, &mut child, err_pipe, &mut stderr),
        (None, Some(mut err_pipe)) => {
            let mut buf = [0u8; 4096];
            loop {
                match err_pipe.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => stderr.feed(&buf[..n]),
                    Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
        }
        (None, None) => {}
    }
    stderr.finish();
    let status = child.wait();
    drop(group);
    match status {
        Ok(status) => said(program, peer, status),
        Err(err) => crate::warn!("{peer}: wait for {}: {err}", program.name),
    }
}

/// Make the socket the child's stdin and stdout (two descriptors, since each `Stdio` owns one).
fn hand_over(command: &mut Command, stream: Stream) -> std::io::Result<()> {
    let (input, output): (OwnedFd, OwnedFd) = match stream {
        Stream::Tcp(socket) => {
            // A child expects a blocking descriptor (the fork model's listener is not).
            socket.set_nonblocking(false)?;
            let output = socket.try_clone()?;
            (socket.into(), output.into())
        }
        Stream::Unix(socket) => {
            socket.set_nonblocking(false)?;
            let output = socket.try_clone()?;
            (socket.into(), output.into())
        }
        Stream::Tls(_) => return Err(std::io::ErrorKind::Unsupported.into()),
    };
    command.stdin(input).stdout(output);
    Ok(())
}

/// The connection's last log line: a clean exit with -v, anything else always.
fn said(program: &Program, peer: &Peer, status: ExitStatus) {
    let name = &program.name;
    match (status.code(), status.signal()) {
        (Some(0), _) => crate::debug!("netlab serve: {peer}: {name} exited with status 0"),
        (Some(code), _) => crate::info!("netlab serve: {peer}: {name} exited with status {code}"),
        (None, Some(signal)) => {
            crate::info!("netlab serve: {peer}: {name} killed by signal {signal}")
        }
        (None, None) => crate::info!("netlab serve: {peer}: {name} ended ({status})"),
    }
}

/// NETLAB_PEER: the client's address (a Unix socket client: its path, or `unix`).
fn peer_name(stream: &Stream, peer: &Peer) -> OsString {
    match stream {
        Stream::Unix(socket) => socket
            .peer_addr()
            .ok()
            .and_then(|addr| addr.as_pathname().map(|path| path.as_os_str().to_owned()))
            .unwrap_or_else(|| "unix".into()),
        _ => peer.to_string().into(),
    }
}

/// NETLAB_LOCAL: our end's address (a Unix socket: its path).
fn local_name(stream: &Stream) -> OsString {
    let addr = match stream {
        Stream::Tcp(socket) => socket.local_addr(),
        Stream::Tls(tls) => tls.socket().local_addr(),
        Stream::Unix(socket) => {
            return socket
                .local_addr()
                .ok()
                .and_then(|addr| addr.as_pathname().map(|path| path.as_os_str().to_owned()))
                .unwrap_or_else(|| "unix".into());
        }
    };
    addr.map(|addr| addr.to_string().into()).unwrap_or_default()
}
