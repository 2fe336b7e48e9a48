//! What every verb does with an I/O error or a socket alike: error text for people, "is this a
//! timeout", sendfile(2), and locks that outlive a panicked holder.

use std::fs::File;
use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::sync::{Mutex, MutexGuard};

/// std's text of an I/O error as netlab's messages say it: without the `(os error N)` tail,
/// starting in lower case (`connection reset by peer`).
pub fn error_text(err: &io::Error) -> String {
    let text = err.to_string();
    let text = match text.rfind(" (os error ") {
        Some(cut) => &text[..cut],
        None => &text,
    };
    lowercase_first(text)
}

/// `text` without any `(os error N)` tail std puts after an I/O error's words: the last guard,
/// applied to every log line and error message, for an error formatted into a message whole.
pub fn without_os_errors(text: &str) -> std::borrow::Cow<'_, str> {
    const TAIL: &str = " (os error ";
    if !text.contains(TAIL) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(TAIL) {
        let after = &rest[at + TAIL.len()..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 && after[digits..].starts_with(')') {
            out.push_str(&rest[..at]);
            rest = &after[digits + 1..];
        } else {
            out.push_str(&rest[..at + TAIL.len()]);
            rest = after;
        }
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

/// `text` with its first letter in lower case, for a cause that follows a colon.
pub fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Whether a read or write failed because its timeout ran out. A socket timeout set with
/// `SO_RCVTIMEO`/`SO_SNDTIMEO` surfaces as `WouldBlock` on Linux, not `TimedOut`.
pub fn is_timeout(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// The most one sendfile(2) call moves on Linux.
const SENDFILE_MAX: usize = 0x7fff_f000;

/// sendfile(2) of up to `max` bytes of `file` from `*offset` into `socket`, advancing `*offset`
/// by what went out; `Ok(0)` at the end of the file. The kernel moves the file's pages to the
/// socket without a copy through user space (`std::io::copy` does not do this for a file into a
/// socket). An interrupted call is retried; `WouldBlock` reaches a non-blocking caller.
pub fn sendfile_at(
    socket: BorrowedFd<'_>,
    file: impl AsFd,
    offset: &mut u64,
    max: usize,
) -> io::Result<usize> {
    let mut at =
        i64::try_from(*offset).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    loop {
        let count = max.min(SENDFILE_MAX);
        let sent = nix::sys::sendfile::sendfile64(socket, &file, Some(&mut at), count);
        if crate::explain::on() {
            let said = sent.map_err(io::Error::from);
            use std::os::fd::AsRawFd;
            let (fd, file_fd) = (socket.as_raw_fd(), file.as_fd().as_raw_fd());
            crate::explain::sendfile(fd, file_fd, *offset, count, &said);
        }
        match sent {
            Ok(sent) => {
                *offset += sent as u64;
                return Ok(sent);
            }
            Err(nix::errno::Errno::EINTR) => {}
            Err(errno) => return Err(errno.into()),
        }
    }
}

/// Whether a sendfile(2) failure means the file cannot be sent that way at all (a file system
/// without support), so a plain copy should take over.
pub fn sendfile_unsupported(err: &io::Error) -> bool {
    matches!(
        err.raw_os_error(),
        Some(nix::libc::EINVAL | nix::libc::ENOSYS)
    )
}

/// sendfile(2) until `len` bytes of `file` from `offset` are out or the file ends; the bytes
/// sent. A file system without sendfile support falls back to a copy through a buffer, when
/// nothing was sent yet.
pub fn sendfile_all(
    socket: &mut (impl AsFd + io::Write),
    file: &File,
    offset: u64,
    len: u64,
) -> io::Result<u64> {
    let mut at = offset;
    while at - offset < len {
        let want = usize::try_from(len - (at - offset)).unwrap_or(usize::MAX);
        match sendfile_at(socket.as_fd(), file, &mut at, want) {
            Ok(0) => break,
            Ok(_) => {}
            Err(err) if sendfile_unsupported(&err) && at == offset => {
                return copy_at(file, offset, len, socket);
            }
            Err(err) => return Err(err),
        }
    }
    Ok(at - offset)
}

/// `len` bytes of `file` from `offset` through a buffer (no sendfile).
pub fn copy_at(
    file: &File,
    offset: u64,
    len: u64,
    out: &mut (impl io::Write + ?Sized),
) -> io::Result<u64> {
    use std::io::{Read, Seek, SeekFrom};
    let mut reader = file;
    reader.seek(SeekFrom::Start(offset))?;
    io::copy(&mut Read::take(reader, len), out)
}

/// Lock a mutex even if a thread panicked while holding it: every value netlab keeps behind a
/// lock (counters, tables, caches) stays consistent between statements, so the data is sound.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_text_drops_the_os_error_tail() {
        let err = io::Error::from_raw_os_error(nix::libc::ECONNRESET);
        assert_eq!(error_text(&err), "connection reset by peer");
        assert_eq!(error_text(&io::Error::other("Plain words")), "plain words");
    }

    #[test]
    fn timeouts_are_both_kinds() {
        assert!(is_timeout(&io::ErrorKind::WouldBlock.into()));
        assert!(is_timeout(&io::ErrorKind::TimedOut.into()));
        assert!(!is_timeout(&io::ErrorKind::ConnectionReset.into()));
    }

    #[test]
    fn lock_survives_a_panicked_holder() {
        let mutex = std::sync::Arc::new(Mutex::new(1));
        let held = std::sync::Arc::clone(&mutex);
        let _ = std::thread::spawn(move || {
            let _guard = held.lock().unwrap();
            panic!("holder panics");
        })
        .join();
        assert!(mutex.is_poisoned());
        *lock(&mutex) += 1;
        assert_eq!(*lock(&mutex), 2);
    }

    #[test]
    fn sendfile_all_sends_a_slice_of_a_file() {
        use std::io::{Read, Write};
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(b"0123456789").unwrap();
        let (mut a, mut b) = std::os::unix::net::UnixStream::pair().unwrap();
        assert_eq!(sendfile_all(&mut a, &file, 2, 5).unwrap(), 5);
        drop(a);
        let mut got = Vec::new();
        b.read_to_end(&mut got).unwrap();
        assert_eq!(got, b"23456");
    }
}
