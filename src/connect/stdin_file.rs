//! A regular file on stdin goes to the socket by send(2) from a mapping of it (see
//! [`send_stdin_file`]); split from `session.rs`, which chooses it.

use std::io;
use std::num::NonZeroUsize;
use std::os::fd::{AsFd, AsRawFd};
use std::time::Duration;

use anyhow::Context;

use super::Options;
use super::session::{CHUNK, Clock, copy_stdin};
use crate::net::{self, Stream};

/// How much of a file on stdin is mapped at a time, and how much of it one send(2) is given.
const MAP_WINDOW: usize = 4 << 20;
const MAP_WRITE: usize = 1 << 20;

/// Stdin is a regular file: it goes out by send(2) from a mapping of it, one copy made by the
/// kernel from the page cache into the socket (a read and a write make two). Not by
/// sendfile(2), which makes none but ran slower into a loopback socket, probably because the
/// receiver then reads page-cache pages from memory rather than bytes the sender's copy has just
/// brought into the cache (benches/README.md has the figures). sendfile(2) stays for a file
/// that cannot be mapped.
///
/// From stdin's position up to `size`, the size the file had at the start; what follows (a file still
/// growing, a /proc file that says 0) is read and written until the end. The outer error is
/// stdin's, the inner one the socket's.
pub(super) fn send_stdin_file(
    socket: &mut Stream,
    size: u64,
    options: &Options,
    clock: &Clock,
) -> anyhow::Result<io::Result<()>> {
    use nix::unistd::{Whence, lseek};
    let stdin = io::stdin();
    let start = lseek(stdin.as_fd(), 0, Whence::SeekCur).context("read stdin")?;
    let mut file = FileSender {
        socket,
        clock,
        offset: start.max(0) as u64,
        end: size,
    };
    crate::debug!(
        "netlab connect: stdin is a file; {} bytes go by send(2) from a mapping of it",
        file.end.saturating_sub(file.offset)
    );
    if let Err(err) = file.send_all()? {
        return Ok(Err(err));
    }
    copy_stdin(file.socket, options, clock, None)
}

/// A file on stdin on its way to the socket, at explicit offsets.
struct FileSender<'a> {
    socket: &'a mut Stream,
    clock: &'a Clock,
    /// The next byte to send.
    offset: u64,
    /// The file's size when sending began (less, once it is seen to have shrunk).
    end: u64,
}

impl FileSender<'_> {
    /// Up to `end`. The outer error is stdin's, the inner one the socket's.
    fn send_all(&mut self) -> anyhow::Result<io::Result<()>> {
        while self.offset < self.end {
            let before = self.offset;
            if let Err(err) = self.send_window()? {
                return Ok(Err(err));
            }
            if self.offset == before {
                // The file is shorter than it was.
                self.end = self.offset;
            }
        }
        Ok(Ok(()))
    }

    /// `n` more bytes have gone.
    fn advance(&mut self, n: u64) {
        self.offset += n;
        self.clock.sent(n as usize);
        // stdin's position follows what has gone, as reads would move it: the session may end
        // (the server closing) at any point.
        if let Ok(offset) = nix::libc::off_t::try_from(self.offset) {
            let _ = nix::unistd::lseek(io::stdin().as_fd(), offset, nix::unistd::Whence::SeekSet);
        }
    }

    /// Map a window of the file and send it, a piece at a time, each no further than the file's
    /// size at that moment and each no more than the socket takes at once (send(2) with
    /// MSG_DONTWAIT, after poll(2) says there is room). So the kernel copies a piece from the
    /// page cache just after its size was checked, as read(2) would: a piece that waited in a
    /// blocking write while the file was cut short could carry the zeros that the cut leaves
    /// in the rest of the last page. The mapping is only ever read by the kernel, inside
    /// send(2): had the file shrunk under it, a read by this process would be SIGBUS, while
    /// the kernel's copy fails with EFAULT, and the send ends there, as a read would have ended
    /// at the new end. A file that cannot be mapped goes by sendfile(2).
    fn send_window(&mut self) -> anyhow::Result<io::Result<()>> {
        use nix::errno::Errno;
        use nix::sys::mman::{MapFlags, ProtFlags, mmap, munmap};
        let page = nix::unistd::sysconf(nix::unistd::SysconfVar::PAGE_SIZE)
            .ok()
            .flatten()
            .map_or(4096, |size| size as u64);
        let base = self.offset / page * page;
        let len = (self.end - base).min(MAP_WINDOW as u64) as usize;
        let (Some(length), Ok(map_offset)) =
            (NonZeroUsize::new(len), nix::libc::off_t::try_from(base))
        else {
            // Beyond what this system's offsets reach: the plain copy takes it from here.
            self.end = self.offset;
            return Ok(Ok(()));
        };
        let stdin = io::stdin();
        // SAFETY: a fresh read-only private mapping of stdin, unmapped below before returning;
        // nothing in this process reads it (see above).
        let map = unsafe {
            mmap(
                None,
                length,
                ProtFlags::PROT_READ,
                MapFlags::MAP_PRIVATE | MapFlags::MAP_POPULATE,
                stdin.as_fd(),
                map_offset,
            )
        };
        let Ok(map) = map else {
            return self.sendfile(base + len as u64);
        };
        let socket = self.socket.as_fd().as_raw_fd();
        let mut result = Ok(());
        let mut waited = false;
        loop {
            let at = (self.offset - base) as usize;
            let now = nix::sys::stat::fstat(stdin.as_fd()).map_or(0, |stat| stat.st_size.max(0));
            let left = (now as u64).saturating_sub(self.offset);
            let want = (len - at).min(MAP_WRITE).min(left as usize);
            if want == 0 {
                break;
            }
            // SAFETY: `at + want <= len`, inside the mapping; the pointer goes to the kernel
            // only, never read here, so no reference to the mapping is made.
            let sent = unsafe {
                nix::libc::send(
                    socket,
                    map.as_ptr().cast::<u8>().add(at).cast(),
                    want,
                    nix::libc::MSG_DONTWAIT | nix::libc::MSG_NOSIGNAL,
                )
            };
            match Errno::result(sent) {
                Ok(n) => {
                    waited = false;
                    self.advance(n as u64);
                }
                Err(Errno::EAGAIN) => {
                    // poll(2) can say there is room when the system is short of memory for
                    // sockets and send(2) still cannot take a byte: then pause a moment rather
                    // than spin.
                    if waited {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                    if let Err(err) = wait_for(self.socket.as_fd(), nix::poll::PollFlags::POLLOUT) {
                        result = Err(err);
                        break;
                    }
                    waited = true;
                }
                Err(Errno::EINTR) => {}
                // The file shrank under the copy: what was sent counts, and the next window
                // sends nothing, which is the end.
                Err(Errno::EFAULT) => break,
                Err(err) => {
                    result = Err(err.into());
                    break;
                }
            }
        }
        // SAFETY: the mapping made above, of `len` bytes, no longer used.
        let _ = unsafe { munmap(map, len) };
        Ok(result)
    }

    /// sendfile(2) up to `stop`, for a file that cannot be mapped.
    fn sendfile(&mut self, stop: u64) -> anyhow::Result<io::Result<()>> {
        use nix::errno::Errno;
        let stdin = io::stdin();
        while self.offset < stop {
            let want = (stop - self.offset).min(CHUNK as u64) as usize;
            let mut at = self.offset;
            match net::io::sendfile_at(self.socket.as_fd(), stdin.as_fd(), &mut at, want) {
                Ok(0) => break,
                Ok(n) => self.advance(n as u64),
                Err(err) => match err.raw_os_error().map(Errno::from_raw) {
                    Some(Errno::EIO) => return Err(err).context("read stdin"),
                    // The socket's own failures.
                    Some(
                        Errno::EPIPE
                        | Errno::ECONNRESET
                        | Errno::ENOTCONN
                        | Errno::ETIMEDOUT
                        | Errno::ECONNABORTED
                        | Errno::EHOSTUNREACH
                        | Errno::ENETUNREACH,
                    ) => return Ok(Err(err)),
                    // Anything else is the file's: one sendfile(2) cannot read (on a file system
                    // without it, or open for writing only), a failing one, or an offset past
                    // what sendfile takes. The plain copy carries on from here and reports a
                    // read error; a descriptor not open for reading reads as an empty stdin, as
                    // Rust's stdin has it.
                    _ => {
                        self.end = self.offset;
                        break;
                    }
                },
            }
        }
        Ok(Ok(()))
    }
}

/// Wait until a descriptor is ready for `events` (or has an error to tell).
pub(super) fn wait_for(
    fd: std::os::fd::BorrowedFd<'_>,
    events: nix::poll::PollFlags,
) -> io::Result<()> {
    use nix::poll::{PollFd, PollTimeout, poll};
    loop {
        match poll(&mut [PollFd::new(fd, events)], PollTimeout::NONE) {
            Ok(_) => return Ok(()),
            Err(nix::errno::Errno::EINTR) => {}
            Err(err) => return Err(err.into()),
        }
    }
}
