//! `--unix PATH`: binding a Unix stream socket without ever deleting something that is not ours.
//!
//! A path that exists is replaced only when it is a socket nobody listens on (connecting to it is
//! refused: a server that died left it behind). Anything else there — a listening socket, a
//! regular file, a directory — is an error and is left alone. The socket file is removed when
//! the server exits, if it is still the one we made.

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
