//! `--unix PATH`: binding a Unix stream socket without ever deleting something that is not ours.
//!
//! A path that exists is replaced only when it is a socket nobody listens on (connecting to it is
//! refused: a server that died left it behind). Anything else there — a listening socket, a
//! regular file, a directory — is an error and is left alone. The socket file is removed when
//! the server exits, if it is still the one we made.
//!
//! Liveness is asked of the kernel first, without connecting: sock_diag (the netlink interface
//! `ss -xl` uses) lists this network namespace's listening Unix sockets with the device and inode
//! of the file each is bound to, which identifies ours exactly, however the other server wrote
//! the path. Only when no listener there matches — nobody, or a server in another namespace, or
//! a kernel without `unix_diag` — is a connect made: refused means stale. So a live server on
//! this machine never sees a probe as a client in its log; one the kernel cannot show us may.

use std::io;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};

use anyhow::Context;
use socket2::{Domain, SockAddr, Socket, Type};

use crate::exit::Code;

/// Removes the socket file on drop, if the file at the path is still the socket we bound.
#[derive(Debug)]
pub struct SocketFile {
    path: PathBuf,
    dev: u64,
    ino: u64,
    /// A stale socket was removed to make room (said after the `listening on` line).
    pub replaced_stale: bool,
}

impl Drop for SocketFile {
    fn drop(&mut self) {
        if let Ok(meta) = std::fs::symlink_metadata(&self.path)
            && meta.dev() == self.dev
            && meta.ino() == self.ino
        {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Bind and listen on a Unix stream socket at `path`, clearing a stale socket first.
pub fn bind(path: &Path, backlog: u32) -> anyhow::Result<(UnixListener, SocketFile)> {
    let shown = path.display();
    let replaced_stale = clear_stale(path)?;
    let socket = Socket::new(Domain::UNIX, Type::STREAM, None).context("create socket")?;
    let addr = SockAddr::unix(path).with_context(|| format!("--unix {shown}"))?;
    socket
        .bind(&addr)
        .with_context(|| format!("bind {shown}"))?;
    let meta = std::fs::symlink_metadata(path).with_context(|| format!("bind {shown}"))?;
    let file = SocketFile {
        path: path.to_path_buf(),
        dev: meta.dev(),
        ino: meta.ino(),
        replaced_stale,
    };
    socket
        .listen(backlog.min(i32::MAX as u32) as i32)
        .with_context(|| format!("listen on {shown}"))?;
    Ok((UnixListener::from(std::os::fd::OwnedFd::from(socket)), file))
}

/// Make room at `path`: nothing there, or a stale socket (removed: `true`). Anything else is an
/// error.
fn clear_stale(path: &Path) -> anyhow::Result<bool> {
    let shown = path.display();
    let meta = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(err) => return Err(anyhow::Error::new(err).context(format!("--unix {shown}"))),
    };
    if !meta.file_type().is_socket() {
        return Err(Code::Usage.error(format!(
            "--unix {shown}: the path exists and is not a socket (not touching it; choose \
             another path)"
        )));
    }
    if listening_on(&meta) {
        anyhow::bail!("--unix {shown}: a server is already listening there");
    }
    match UnixStream::connect(path) {
        Ok(_) => anyhow::bail!("--unix {shown}: a server is already listening there"),
        Err(err) if err.kind() == io::ErrorKind::ConnectionRefused => {
            std::fs::remove_file(path).with_context(|| format!("remove stale socket {shown}"))?;
            Ok(true)
        }
        Err(err) => Err(anyhow::Error::new(err).context(format!(
            "--unix {shown}: cannot tell whether the socket there is in use"
        ))),
    }
}

/// Whether the kernel shows a socket of this namespace listening on the file `meta` describes
/// (false also when it cannot tell: then the caller connects to find out).
fn listening_on(meta: &std::fs::Metadata) -> bool {
    match listening_files() {
        Ok(files) => files.contains(&(meta.dev(), meta.ino())),
        Err(err) => {
            crate::debug!("netlab serve: sock_diag: {err}");
            false
        }
    }
}

/// The (device, inode) of the file every listening Unix socket in this network namespace is
/// bound to, from sock_diag (`NETLINK_SOCK_DIAG`, `unix_diag`): one dump request, its replies
/// read to `NLMSG_DONE`.
fn listening_files() -> io::Result<Vec<(u64, u64)>> {
    use nix::sys::socket::{
        AddressFamily, MsgFlags, NetlinkAddr, SockFlag, SockProtocol, SockType, recv, sendto,
        setsockopt, socket, sockopt::ReceiveTimeout,
    };
    use std::os::fd::AsRawFd;
    const SOCK_DIAG_BY_FAMILY: u16 = 20;
    const NLM_F_REQUEST_DUMP: u16 = 0x01 | 0x300;
    const NLMSG_ERROR: u16 = 2;
    const NLMSG_DONE: u16 = 3;
    const TCP_LISTEN: u32 = 10;
    const UDIAG_SHOW_VFS: u32 = 0x02;
    const UNIX_DIAG_VFS: u16 = 1;
    /// Replies read at most: each holds many sockets, so this bounds a pathological dump only.
    const MAX_READS: usize = 4096;

    let socket = socket(
        AddressFamily::Netlink,
        SockType::Datagram,
        SockFlag::SOCK_CLOEXEC,
        SockProtocol::NetlinkSockDiag,
    )?;
    setsockopt(&socket, ReceiveTimeout, &nix::sys::time::TimeVal::new(1, 0))?;
    let mut request = Vec::with_capacity(40);
    request.extend_from_slice(&40u32.to_ne_bytes()); // nlmsghdr: length
    request.extend_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
    request.extend_from_slice(&NLM_F_REQUEST_DUMP.to_ne_bytes());
    request.extend_from_slice(&1u32.to_ne_bytes()); // sequence
    request.extend_from_slice(&0u32.to_ne_bytes()); // port id: the kernel fills it in
    request.extend_from_slice(&[nix::libc::AF_UNIX as u8, 0, 0, 0]); // family, protocol, pad
    request.extend_from_slice(&(1u32 << TCP_LISTEN).to_ne_bytes()); // states
    request.extend_from_slice(&0u32.to_ne_bytes()); // any inode
    request.extend_from_slice(&UDIAG_SHOW_VFS.to_ne_bytes());
    request.extend_from_slice(&[0xff; 8]); // no cookie
    sendto(
        socket.as_raw_fd(),
        &request,
        &NetlinkAddr::new(0, 0),
        MsgFlags::empty(),
    )?;

    let u16_at = |b: &[u8], at: usize| b.get(at..at + 2).map(|s| u16::from_ne_bytes([s[0], s[1]]));
    let u32_at = |b: &[u8], at: usize| {
        b.get(at..at + 4)
            .map(|s| u32::from_ne_bytes([s[0], s[1], s[2], s[3]]))
    };
    let bad = || io::Error::new(io::ErrorKind::InvalidData, "short sock_diag reply");
    let mut files = Vec::new();
    let mut buf = vec![0u8; 32 * 1024];
    for _ in 0..MAX_READS {
        let n = recv(socket.as_raw_fd(), &mut buf, MsgFlags::empty())?;
        let reply = &buf[..n];
        let mut at = 0;
        while at + 16 <= reply.len() {
            let len = u32_at(reply, at).ok_or_else(bad)? as usize;
            let kind = u16_at(reply, at + 4).ok_or_else(bad)?;
            if len < 16 || at + len > reply.len() {
                return Err(bad());
            }
            match kind {
                NLMSG_DONE => return Ok(files),
                NLMSG_ERROR => {
                    let errno = u32_at(reply, at + 16).ok_or_else(bad)? as i32;
                    return Err(io::Error::from_raw_os_error(-errno));
                }
                _ => {}
            }
            // unix_diag_msg (16 bytes), then attributes, each padded to 4 bytes.
            let mut attr = at + 32;
            while attr + 4 <= at + len {
                let attr_len = u16_at(reply, attr).ok_or_else(bad)? as usize;
                let attr_kind = u16_at(reply, attr + 2).ok_or_else(bad)?;
                if attr_len < 4 {
                    break;
                }
                if attr_kind == UNIX_DIAG_VFS {
                    let ino = u32_at(reply, attr + 4).ok_or_else(bad)?;
                    let dev = u32_at(reply, attr + 8).ok_or_else(bad)?;
                    // The kernel's own dev_t: major in the top 12 bits, minor below.
                    let dev = nix::libc::makedev(dev >> 20, dev & 0xf_ffff);
                    files.push((dev, u64::from(ino)));
                }
                attr += (attr_len + 3) & !3;
            }
            at += (len + 3) & !3;
        }
    }
    Err(io::Error::other("sock_diag dump did not end"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sock_diag_finds_a_listener_by_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("live.sock");
        let listener = UnixListener::bind(&path).unwrap();
        let meta = std::fs::symlink_metadata(&path).unwrap();
        let Ok(files) = listening_files() else {
            eprintln!("skipped: no sock_diag for Unix sockets here");
            return;
        };
        assert!(files.contains(&(meta.dev(), meta.ino())), "{files:?}");
        drop(listener);
        assert!(!listening_on(&meta));
    }
}
