//! `fetch --explain`: the TCP connection made by netlab's narrated connect (the calls
//! `TcpStream::connect_timeout` makes, said one by one) in place of ureq's, and the TLS
//! handshake's summary said on the descriptor it ran on. Without `--explain` this link of the
//! chain passes nothing on and ureq's own `TcpConnector` connects, as before.

use std::cell::Cell;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::os::fd::{AsRawFd, RawFd};
use std::time::Duration;

use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, Either, LazyBuffers, NextTimeout, Transport,
};

thread_local! {
    /// The descriptor this thread's last narrated connect made (ureq runs a connection's
    /// chain on one thread, TCP then TLS).
    static CONNECTED: Cell<Option<RawFd>> = const { Cell::new(None) };
}

/// The socket the TLS step is about to run on, when `--explain` made it.
pub fn connected_fd() -> Option<RawFd> {
    CONNECTED.with(Cell::get)
}

/// Connects as ureq's `TcpConnector` does (each resolved address in turn until one answers,
/// `TCP_NODELAY` as ureq's configuration says), narrating each call.
#[derive(Debug)]
pub struct ExplainedTcp;

impl<In: Transport> Connector<In> for ExplainedTcp {
    type Out = Either<In, Explained>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        if chained.is_some() || !crate::explain::on() {
            // A proxy's connection (made by ureq, unnarrated) has no descriptor to name.
            CONNECTED.with(|fd| fd.set(None));
            return Ok(chained.map(Either::A));
        }
        let timeout = details
            .timeout
            .not_zero()
            .map_or(Duration::from_secs(3600), |t| *t);
        let mut last = None;
        for addr in details.addrs.iter() {
            match crate::explain::connect(addr, timeout) {
                Ok(stream) => {
                    if details.config.no_delay() {
                        stream.set_nodelay(true)?;
                    }
                    CONNECTED.with(|fd| fd.set(Some(stream.as_raw_fd())));
                    let config = &details.config;
                    let buffers =
                        LazyBuffers::new(config.input_buffer_size(), config.output_buffer_size());
                    return Ok(Some(Either::B(Explained { stream, buffers })));
                }
                Err(err) if err.kind() == io::ErrorKind::TimedOut => {
                    return Err(ureq::Error::Timeout(ureq::Timeout::Connect));
                }
                Err(err) => last = Some(err),
            }
        }
        Err(last
            .unwrap_or_else(|| io::ErrorKind::ConnectionRefused.into())
            .into())
    }
}

/// A TCP connection whose every `recv`, `send` and the final `close` are narrated (as far as
/// `--explain`'s bound on data lines goes).
#[derive(Debug)]
pub struct Explained {
    stream: TcpStream,
    buffers: LazyBuffers,
}

/// ureq's timeout for an I/O error that is one.
fn timed(err: io::Error, timeout: &NextTimeout) -> ureq::Error {
    match err.kind() {
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => ureq::Error::Timeout(timeout.reason),
        _ => err.into(),
    }
}

impl Transport for Explained {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        let timeout = timeout.for_write();
        self.stream
            .set_write_timeout(timeout.not_zero().map(|t| *t))?;
        let mut output = &self.buffers.output()[..amount];
        while !output.is_empty() {
            let stream = &self.stream;
            match crate::explain::send(stream, output.len(), (&mut &*stream).write(output)) {
                Ok(0) => return Err(io::Error::from(io::ErrorKind::WriteZero).into()),
                Ok(n) => output = &output[n..],
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Err(timed(err, &timeout)),
            }
        }
        Ok(())
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        let timeout = timeout.for_read();
        self.stream
            .set_read_timeout(timeout.not_zero().map(|t| *t))?;
        let input = self.buffers.input_append_buf();
        let amount = loop {
            let stream = &self.stream;
            match crate::explain::recv(stream, input.len(), (&mut &*stream).read(input)) {
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Err(timed(err, &timeout)),
                Ok(n) => break n,
            }
        };
        self.buffers.input_appended(amount);
        Ok(amount > 0)
    }

    /// Open while the peer has neither closed nor sent anything unasked (a peek that would
    /// block); the peek is not narrated, as it reads nothing.
    fn is_open(&mut self) -> bool {
        use nix::sys::socket::{MsgFlags, recv};
        let mut byte = [0u8; 1];
        let flags = MsgFlags::MSG_PEEK | MsgFlags::MSG_DONTWAIT;
        matches!(
            recv(self.stream.as_raw_fd(), &mut byte, flags),
            Err(nix::errno::Errno::EAGAIN)
        )
    }
}

impl Drop for Explained {
    fn drop(&mut self) {
        CONNECTED.with(|fd| {
            if fd.get() == Some(self.stream.as_raw_fd()) {
                fd.set(None);
            }
        });
        // The descriptor closes right after this, as the stream is dropped.
        crate::explain::closed(self.stream.as_raw_fd());
    }
}
