//! `connect --udp`: each line of stdin (or the `--send` text) goes out as one datagram, and every
//! datagram that comes back is written to stdout.
//!
//! UDP has no end of stream, so the session ends on its own terms: after stdin ends, once as
//! many replies have come as datagrams went out, or when nothing has come for `--wait-reply`
//! (or `--idle-timeout`; 2 s by default) — enough for a greeting or echo server, and a discard
//! server does not keep the client waiting forever. Listening (`-l -u`), stdin's end does not
//! end the session: see [`listen`].

use std::io::{self, BufRead, Write};
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;

use super::hexdump::Hexdump;
use super::session::{Clock, Crlf};
use super::{Options, addresses};
use crate::net;

/// The largest datagram over IPv4; longer lines go out in pieces of this size.
const MAX_DATAGRAM: usize = 65_507;
/// How long to wait for more replies once stdin has ended, unless `--idle-timeout` says.
const LINGER: Duration = Duration::from_secs(2);
/// How often the receiving loop looks at the sender's progress.
const TICK: Duration = Duration::from_millis(20);

#[derive(Default)]
struct Progress {
    sent: AtomicU64,
    done: AtomicBool,
    failure: Mutex<Option<anyhow::Error>>,
}

pub fn run(host: &str, port: u16, options: &Options) -> anyhow::Result<()> {
    let addr = addresses(host, port, options.family)?[0];
    let local: SocketAddr = if addr.is_ipv4() {
        (std::net::Ipv4Addr::UNSPECIFIED, 0).into()
    } else {
        (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let socket = UdpSocket::bind(local).context("bind a UDP socket")?;
    crate::explain::socket(&socket, addr, false);
    // A connected UDP socket hears only from `addr`, and learns of "port unreachable".
    let connected = socket.connect(addr);
    crate::explain::udp_connect(&socket, addr, &connected);
    connected.with_context(|| format!("connect {addr} (udp)"))?;
    crate::debug!(
        "netlab connect: sending datagrams to {addr} from {}",
        socket
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default()
    );
    session(socket, addr, options, false)
}

/// `connect -l -u`: the first datagram from an admitted address picks the client; the socket
/// is then connected to it, and the session goes on as connect's does — except that stdin's
/// end does not end it: a listener keeps receiving until `--idle-timeout` or
/// `--quit-after-eof` says (as `nc -l -u` does).
pub fn listen(socket: UdpSocket, access: &net::Access, options: &Options) -> anyhow::Result<()> {
    let mut buf = vec![0u8; 65_536];
    let (n, peer) = loop {
        let (n, peer) =
            match crate::explain::recv_from(&socket, buf.len(), socket.recv_from(&mut buf)) {
                Ok(got) => got,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(anyhow::Error::new(err).context("receive")),
            };
        if access.admits(peer.ip()) {
            break (n, peer);
        }
        access.refused(&net::Peer::Tcp(peer));
    };
    crate::info!("netlab connect: datagrams from {peer}");
    socket
        .connect(peer)
        .with_context(|| format!("connect {peer} (udp)"))?;
    if let Some(dump) = &mut options.hexdump.then(|| Hexdump::new('<')) {
        dump.show(&buf[..n]);
    }
    let mut out = io::stdout().lock();
    out.write_all(&buf[..n]).context("write to stdout")?;
    out.flush().context("write to stdout")?;
    drop(out);
    session(socket, peer, options, true)
}

fn session(
    socket: UdpSocket,
    addr: SocketAddr,
    options: &Options,
    listening: bool,
) -> anyhow::Result<()> {
    let progress = Arc::new(Progress::default());
    let clock = Arc::new(Clock::new());
    {
        let socket = socket.try_clone().context("clone the socket")?;
        let (options, progress, clock) =
            (options.clone(), Arc::clone(&progress), Arc::clone(&clock));
        std::thread::Builder::new()
            .name("send".into())
            .spawn(move || {
                if let Err(err) = send(&socket, &options, &progress, &clock) {
                    *net::lock(&progress.failure) = Some(err);
                }
                clock.touch();
                clock.stdin_ended();
                progress.done.store(true, Ordering::SeqCst);
            })
            .context("start the sending thread")?;
    }
    receive(&socket, addr, options, &progress, &clock, listening)
}

fn send(
    socket: &UdpSocket,
    options: &Options,
    progress: &Progress,
    clock: &Clock,
) -> anyhow::Result<()> {
    let mut dump = options.hexdump.then(|| Hexdump::new('>'));
    let mut datagram = |bytes: &[u8]| -> anyhow::Result<()> {
        for piece in pieces(bytes) {
            if let Some(dump) = &mut dump {
                dump.show(piece);
            }
            crate::explain::send_to(socket, piece.len(), None, socket.send(piece))
                .map_err(|err| anyhow::anyhow!("send: {}", explain(&err)))?;
            progress.sent.fetch_add(1, Ordering::SeqCst);
            clock.touch();
        }
        Ok(())
    };
    if let Some(text) = &options.send {
        return datagram(text);
    }
    let mut stdin = io::stdin().lock();
    let mut line = Vec::new();
    let mut converted = Vec::new();
    let mut crlf = Crlf::default();
    loop {
        line.clear();
        if stdin.read_until(b'\n', &mut line).context("read stdin")? == 0 {
            return Ok(());
        }
        if options.crlf {
            converted.clear();
            crlf.convert(&line, &mut converted);
            datagram(&converted)?;
        } else {
            datagram(&line)?;
        }
    }
}

/// A line as datagrams: itself, or pieces of at most [`MAX_DATAGRAM`] bytes.
fn pieces(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let empty: &[u8] = &[];
    let whole = bytes.is_empty().then_some(empty);
    whole.into_iter().chain(bytes.chunks(MAX_DATAGRAM))
}

fn receive(
    socket: &UdpSocket,
    addr: SocketAddr,
    options: &Options,
    progress: &Progress,
    clock: &Clock,
    listening: bool,
) -> anyhow::Result<()> {
    let stdout = io::stdout();
    let mut dump = options.hexdump.then(|| Hexdump::new('<'));
    let mut buf = vec![0u8; 65_536];
    let mut received = 0u64;
    socket.set_read_timeout(Some(TICK))?;
    loop {
        match crate::explain::recv_datagram(socket, buf.len(), socket.recv(&mut buf)) {
            Ok(n) => {
                received += 1;
                clock.touch();
                if let Some(dump) = &mut dump {
                    dump.show(&buf[..n]);
                }
                let mut out = stdout.lock();
                out.write_all(&buf[..n]).context("write to stdout")?;
                out.flush().context("write to stdout")?;
            }
            Err(err) if net::is_timeout(&err) => {}
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => anyhow::bail!("connect {addr} (udp): {}", explain(&err)),
        }
        if let Some(err) = net::lock(&progress.failure).take() {
            return Err(err.context(format!("connect {addr} (udp)")));
        }
        let done = progress.done.load(Ordering::SeqCst);
        if done && listening {
            if let Some(after) = options.eof.quit_after
                && clock.since_stdin_end() >= after
            {
                return Ok(());
            }
        } else if done {
            let wait = options.wait_reply.or(options.idle).unwrap_or(LINGER);
            if options
                .eof
                .quit_after
                .is_some_and(|after| clock.since_stdin_end() >= after)
            {
                return Ok(());
            }
            if received >= progress.sent.load(Ordering::SeqCst) || clock.quiet_for() >= wait {
                return Ok(());
            }
            continue;
        }
        if let Some(idle) = options.idle
            && clock.quiet_for() >= idle
        {
            crate::info!(
                "netlab connect: closing: nothing sent or received for {}",
                crate::net::format_duration(idle)
            );
            return Ok(());
        }
    }
}

fn explain(err: &io::Error) -> String {
    match err.kind() {
        io::ErrorKind::ConnectionRefused => {
            "connection refused (no UDP server on that port?)".to_string()
        }
        _ => net::error_text(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_split_and_empty_ones_stay() {
        let long = vec![b'x'; MAX_DATAGRAM + 10];
        let sizes: Vec<usize> = pieces(&long).map(<[u8]>::len).collect();
        assert_eq!(sizes, vec![MAX_DATAGRAM, 10]);
        assert_eq!(pieces(b"").count(), 1);
        assert_eq!(pieces(b"ping\n").count(), 1);
    }
}
