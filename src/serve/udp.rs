//! `--udp`: every datagram is answered on its own — the greeting (or `--file`'s bytes), the
//! datagram itself with `--echo`, nothing with `--discard`. Datagrams of 0 to 65507 bytes.
//!
//! The models keep their meaning: `serial` answers in the receive loop, `thread` starts a thread
//! per datagram (SocketServer's ThreadingUDPServer), `pool` has N threads receiving on the same
//! socket, `poll` waits in epoll (mio). `fork` is refused at start-up (see `Config`).

use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use anyhow::Context as _;
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token, Waker};

use super::{Admission, Context, Service};
use crate::cli::Model;
use crate::net::Peer;
use crate::net::{HumanBytes, Stats};

/// Room for the largest datagram (65507 bytes over IPv4, 65527 over IPv6).
const DATAGRAM_BUF: usize = 65_536;
const SOCKET: Token = Token(0);
const WAKER: Token = Token(1);

/// What a datagram gets back.
enum Reply {
    Fixed(Box<[u8]>),
    Echo,
    Nothing,
}

/// The summary line's counts, in datagrams rather than connections.
pub fn summary(stats: &Stats) -> String {
    let datagrams = stats.connections.load(Ordering::Relaxed);
    let mut text = format!(
        "{datagrams} datagram{}, {} in, {} out",
        if datagrams == 1 { "" } else { "s" },
        HumanBytes(stats.bytes_in.load(Ordering::Relaxed)),
        HumanBytes(stats.bytes_out.load(Ordering::Relaxed)),
    );
    let refused = stats.refused.load(Ordering::Relaxed);
    if refused > 0 {
        text.push_str(&format!(", {refused} dropped over the limit"));
    }
    text
}

pub fn serve(
    ctx: &'static Context,
    socket: UdpSocket,
    model: Model,
    workers: usize,
) -> anyhow::Result<()> {
    let reply: &'static Reply = Box::leak(Box::new(match &ctx.service {
        Service::Greeting(message) => Reply::Fixed(message.clone()),
        Service::Echo => Reply::Echo,
        Service::Discard => Reply::Nothing,
        // Checked at start-up to fit in one datagram.
        Service::File(path) => Reply::Fixed(
            std::fs::read(path)
                .with_context(|| format!("--file {}", path.display()))?
                .into_boxed_slice(),
        ),
        Service::Forward(_) => anyhow::bail!("--forward does not go with --udp"),
        // Refused at start-up (`chat::Limits::from_args`).
        Service::Chat(_) => anyhow::bail!("--chat does not go with --udp"),
        // Refused at start (`exec::Program::from_args`).
        Service::Exec(_) => anyhow::bail!("--exec does not serve UDP"),
    }));
    let socket = Arc::new(socket);
    if model == Model::Poll {
        return serve_poll(ctx, reply, &socket);
    }
    // A blocked recvfrom returns once its socket is shut down for reading.
    ctx.stop
        .on_trigger(crate::net::wake_acceptor(socket.as_raw_fd()));
    match model {
        Model::Pool => {
            for n in 0..workers {
                let socket = Arc::clone(&socket);
                let guard = ctx.live.enter();
                std::thread::Builder::new()
                    .name(format!("worker-{n}"))
                    .spawn(move || {
                        let _guard = guard;
                        receive_loop(ctx, &socket, |data, from| {
                            answer(ctx, reply, &socket, data, from)
                        })
                    })
                    .with_context(|| format!("start worker {n}"))?;
            }
            ctx.ready();
        }
        Model::Thread => {
            ctx.ready();
            let sender = Arc::clone(&socket);
            receive_loop(ctx, &socket, |data, from| {
                let Some(slot) = ctx.limit.try_acquire() else {
                    ctx.stats.refused.fetch_add(1, Ordering::Relaxed);
                    return crate::warn!("dropped a datagram from {from}: too many in progress");
                };
                let (live, data, socket) = (ctx.live.enter(), data.to_vec(), Arc::clone(&sender));
                let spawned = std::thread::Builder::new().spawn(move || {
                    let _slot = slot;
                    let _live = live;
                    answer(ctx, reply, &socket, &data, from);
                });
                if let Err(err) = spawned {
                    crate::warn!("no thread for a datagram from {from}: {err}");
                }
            })?;
        }
        _ => {
            ctx.ready();
            receive_loop(ctx, &socket, |data, from| {
                answer(ctx, reply, &socket, data, from)
            })?
        }
    }
    ctx.drain();
    Ok(())
}

/// Receive datagrams until the server stops; `each` handles every admitted one.
fn receive_loop(
    ctx: &Context,
    socket: &UdpSocket,
    mut each: impl FnMut(&[u8], SocketAddr),
) -> anyhow::Result<()> {
    let mut buf = vec![0u8; DATAGRAM_BUF];
    while !ctx.stop.requested() {
        let received = socket.recv_from(&mut buf);
        if ctx.stop.requested() {
            break;
        }
        match crate::explain::recv_from(socket, buf.len(), received) {
            Ok((n, from)) => {
                if ctx.admit_unit(true, &Peer::Tcp(from)) == Admission::Serve {
                    each(&buf[..n], from);
                }
            }
            Err(err) if transient(&err) => {}
            Err(err) => return Err(anyhow::Error::new(err).context("receive")),
        }
    }
    Ok(())
}

fn serve_poll(ctx: &'static Context, reply: &Reply, socket: &UdpSocket) -> anyhow::Result<()> {
    let mut poll = Poll::new().context("create epoll instance")?;
    let waker = Waker::new(poll.registry(), WAKER).context("create epoll waker")?;
    socket.set_nonblocking(true)?;
    let fd = socket.as_raw_fd();
    poll.registry()
        .register(&mut SourceFd(&fd), SOCKET, Interest::READABLE)?;
    ctx.stop.on_trigger(move || {
        let _ = waker.wake();
    });
    let mut buf = vec![0u8; DATAGRAM_BUF];
    let mut events = Events::with_capacity(16);
    // Edge-triggered: a wake-up says datagrams arrived, so receive until the socket is empty
    // (or the server stops), then wait for the next one.
    let mut readable = false;
    ctx.ready();
    let result = loop {
        if ctx.stop.requested() {
            break Ok(());
        }
        if !readable {
            match poll.poll(&mut events, None) {
                Ok(()) => {}
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => break Err(anyhow::Error::new(err).context("epoll wait")),
            }
            readable = events.iter().any(|event| event.token() == SOCKET);
            continue;
        }
        match crate::explain::recv_from(socket, buf.len(), socket.recv_from(&mut buf)) {
            Ok((n, from)) => {
                if ctx.admit_unit(true, &Peer::Tcp(from)) == Admission::Serve {
                    answer(ctx, reply, socket, &buf[..n], from);
                }
            }
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => readable = false,
            Err(err) if transient(&err) => {}
            Err(err) => break Err(anyhow::Error::new(err).context("receive")),
        }
    };
    poll.registry().deregister(&mut SourceFd(&fd))?;
    result
}

/// Answer one datagram as the service says.
fn answer(ctx: &Context, reply: &Reply, socket: &UdpSocket, data: &[u8], from: SocketAddr) {
    ctx.stats.add_in(data.len());
    let out = match reply {
        Reply::Fixed(bytes) => bytes,
        Reply::Echo => data,
        Reply::Nothing => return,
    };
    // A non-blocking socket (poll) may drop a reply when the send buffer is full: so may UDP.
    match crate::explain::send_to(socket, out.len(), Some(from), socket.send_to(out, from)) {
        Ok(n) => ctx.stats.add_out(n),
        Err(err) => crate::debug!("netlab serve: reply to {from}: {err}"),
    }
}

/// Errors a datagram socket can report about an earlier datagram, or an interrupted call.
fn transient(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::Interrupted
            | io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionReset
    )
}
