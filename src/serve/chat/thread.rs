//! `--chat --model thread`: each client's thread reads its lines into the room (under one
//! lock), and a second thread of its own drains its queue onto the socket. A writer blocked on a
//! client that does not read holds nobody else up; when that client's queue overflows, the room
//! drops it and its socket is shut down, which ends both of its threads.

use std::io::{self, IoSlice, Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use super::Limits;
use super::hub::{LineBuf, Outbox, Pressure, Pushed, Queue, Room};
use crate::net::{self, Listeners, Peer, Stream};
use crate::serve::{Client, Context};

/// Buffers live on the heap: a small stack is plenty.
const STACK: usize = 256 * 1024;
/// Bytes read from a client at a time.
const READ: usize = 64 * 1024;
/// How often a held-back sender looks again whether a queue stalled (writers wake it sooner).
const CALM: Duration = Duration::from_millis(10);
/// Chunks handed to one `writev`.
const IOV: usize = 64;

/// How a client's writer is to end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Open,
    /// Send what is queued, then close (the client left, or the server stops).
    Finish,
    /// Close at once (dropped for not reading, or the socket failed).
    Now,
}

struct Slot {
    queue: Queue,
    end: End,
    /// The writer sleeps on `ready`: only then does a push need to wake it.
    waiting: bool,
}

/// One client's queue, shared by the room (which pushes) and its writer (which drains).
struct Mailbox {
    slot: Mutex<Slot>,
    ready: Condvar,
    stream: Arc<Stream>,
}

#[derive(Clone)]
struct Mail(Arc<Mailbox>);

impl Outbox for Mail {
    fn push(&mut self, chunk: &Arc<[u8]>) -> Pushed {
        let mut slot = net::lock(&self.0.slot);
        if slot.end != End::Open {
            return Pushed::More;
        }
        let pushed = slot.queue.push(chunk);
        if pushed != Pushed::Full && slot.waiting {
            self.0.ready.notify_one();
        }
        pushed
    }

    fn holds_back(&self, now: Instant) -> bool {
        let slot = net::lock(&self.0.slot);
        slot.end == End::Open && slot.queue.holds_back(now)
    }
}

impl Mail {
    fn end(&self, end: End) {
        let mut slot = net::lock(&self.0.slot);
        if slot.end != End::Now {
            slot.end = end;
        }
        if end == End::Now {
            slot.queue.clear();
        }
        self.0.ready.notify_one();
        drop(slot);
        if end == End::Now {
            // Wakes a writer blocked on a full socket, and the reader too.
            cut(&self.0.stream, std::net::Shutdown::Both);
        }
    }
}

/// A client just accepted: in the room, or first to shake hands.
enum Arrival {
    Joined((usize, Mail)),
    Handshake(Stream),
}

/// The room and the count that names its members.
struct Hub {
    room: Mutex<Room<Mail>>,
    next: AtomicUsize,
    limits: Limits,
    pressure: Arc<Pressure>,
    /// Told by writers when a queue shrinks while some queue is over its quarter.
    calm: Condvar,
}

impl Hub {
    /// Run `f` on the room, then close whoever it dropped.
    fn with<T>(&self, f: impl FnOnce(&mut Room<Mail>) -> T) -> T {
        self.with_room(net::lock(&self.room), f)
    }

    /// Relay what a client sent — once no reading client's queue is over its quarter, so a
    /// fast sender waits for slow readers instead of overflowing them (a client that reads
    /// nothing stops counting after [`STALL`](super::hub::STALL)).
    fn relay(&self, id: usize, lines: &mut LineBuf, data: &[u8]) {
        let mut room = net::lock(&self.room);
        while self.pressure.any() && room.holding_back(Instant::now()) {
            room = self
                .calm
                .wait_timeout(room, CALM)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        self.with_room(room, |room| room.receive(id, lines, data));
    }

    fn with_room<T>(
        &self,
        mut room: std::sync::MutexGuard<'_, Room<Mail>>,
        f: impl FnOnce(&mut Room<Mail>) -> T,
    ) -> T {
        let result = f(&mut room);
        room.touched.clear();
        let dropped = room.take_dropped();
        drop(room);
        for (_, name, mail) in dropped {
            crate::info!("netlab serve: dropped {name}: not reading (--chat-queue)");
            mail.end(End::Now);
        }
        result
    }
}

pub fn serve(ctx: &'static Context, listener: Listeners, limits: Limits) -> anyhow::Result<()> {
    let hub: &'static Hub = Box::leak(Box::new(Hub {
        room: Mutex::new(Room::new(limits.max_line)),
        next: AtomicUsize::new(0),
        limits,
        pressure: Arc::default(),
        calm: Condvar::new(),
    }));
    ctx.stop.on_trigger(listener.wakers());
    ctx.signals.on_trigger(move || {
        for (_, mail) in hub.with(|room| room.close_all("* server stopping\n")) {
            mail.end(End::Finish);
            // The reader's blocked `recv` returns the end of the stream.
            cut(&mail.0.stream, std::net::Shutdown::Read);
        }
    });
    ctx.ready();
    while !ctx.stop.requested() {
        let Some(Client { stream, peer, slot }) = ctx.next_client(&listener)? else {
            continue;
        };
        let live = ctx.live.enter();
        // Without TLS, a client is in the room from its accept, so clients join in the order
        // they came; with it, once its handshake (on its own thread) is done.
        let arrival = match ctx.tls {
            None => Arrival::Joined(enter(ctx, hub, Arc::new(stream), &peer)),
            Some(_) => Arrival::Handshake(stream),
        };
        let spawned = std::thread::Builder::new()
            .stack_size(STACK)
            .spawn(move || {
                let _slot = slot;
                let _live = live;
                let joined = match arrival {
                    Arrival::Joined(joined) => joined,
                    Arrival::Handshake(stream) => match ctx.secure(stream, &peer) {
                        Some(stream) => enter(ctx, hub, Arc::new(stream), &peer),
                        None => return,
                    },
                };
                member(ctx, hub, joined, &peer);
            });
        if let Err(err) = spawned {
            ctx.stats.refused.fetch_add(1, Ordering::Relaxed);
            crate::warn!("no thread for {peer}: {err}");
        }
    }
    ctx.drain();
    Ok(())
}

/// Let a client into the room: its id, and the queue its writer drains.
fn enter(ctx: &Context, hub: &Hub, stream: Arc<Stream>, peer: &Peer) -> (usize, Mail) {
    if !ctx.idle.is_zero() {
        // A client whose socket takes nothing for that long is as good as gone.
        let _ = stream.set_write_timeout(Some(ctx.idle));
    }
    let mail = Mail(Arc::new(Mailbox {
        slot: Mutex::new(Slot {
            queue: Queue::new(hub.limits.queue, &hub.pressure),
            end: End::Open,
            waiting: false,
        }),
        ready: Condvar::new(),
        stream,
    }));
    let id = hub.next.fetch_add(1, Ordering::Relaxed);
    hub.with(|room| room.join(id, &super::name_of(peer), mail.clone()));
    (id, mail)
}

/// One client in the room until it leaves: this thread reads, a second one writes.
fn member(ctx: &'static Context, hub: &'static Hub, (id, mail): (usize, Mail), peer: &Peer) {
    let stream = Arc::clone(&mail.0.stream);
    let writer = {
        let mail = mail.clone();
        std::thread::Builder::new()
            .stack_size(STACK)
            .spawn(move || write_out(ctx, hub, &mail))
    };
    if let Err(err) = &writer {
        crate::warn!("no thread for {peer}: {err}");
        mail.end(End::Now);
    }
    let mut lines = LineBuf::default();
    let mut buf = vec![0u8; READ];
    loop {
        match (&*stream).read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                ctx.stats.add_in(n);
                hub.relay(id, &mut lines, &buf[..n]);
            }
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => {
                ctx.report(&err, peer);
                break;
            }
        }
    }
    if hub.with(|room| room.leave(id, &mut lines)).is_some() {
        mail.end(End::Finish);
    }
    // Ended by a drop: `end(Now)` has been called already.
    if let Ok(writer) = writer {
        let _ = writer.join();
    }
}

/// The writer: send what the room queues until told to end.
fn write_out(ctx: &'static Context, hub: &Hub, mail: &Mail) {
    let mut chunks = Vec::with_capacity(IOV);
    loop {
        let head = {
            let mut slot = net::lock(&mail.0.slot);
            loop {
                if slot.end == End::Now {
                    return;
                }
                if !slot.queue.is_empty() {
                    break;
                }
                if slot.end == End::Finish {
                    let _ = mail.0.stream.shutdown(std::net::Shutdown::Write);
                    return;
                }
                slot.waiting = true;
                slot = mail.0.ready.wait(slot).unwrap_or_else(|e| e.into_inner());
                slot.waiting = false;
            }
            slot.queue.peek(IOV, &mut chunks)
        };
        let sent = write_chunks(&mail.0.stream, &chunks, head);
        chunks.clear();
        match sent {
            Ok(n) => {
                ctx.stats.add_out(n);
                net::lock(&mail.0.slot).queue.consume(n);
                if hub.pressure.any() {
                    hub.calm.notify_all();
                }
            }
            Err(_) => {
                // Reset, or no room for --idle-timeout: the reader ends with the socket.
                return mail.end(End::Now);
            }
        }
    }
}

/// Write every byte of `chunks` (the first from `head`) on a blocking socket; how many.
fn write_chunks(mut stream: &Stream, chunks: &[Arc<[u8]>], head: usize) -> io::Result<usize> {
    let total: usize = chunks.iter().map(|c| c.len()).sum::<usize>() - head;
    let mut done = 0;
    while done < total {
        let mut iov = [IoSlice::new(&[]); IOV];
        let mut skip = head + done;
        let mut used = 0;
        for chunk in chunks {
            if skip >= chunk.len() {
                skip -= chunk.len();
                continue;
            }
            iov[used] = IoSlice::new(&chunk[skip..]);
            skip = 0;
            used += 1;
        }
        match stream.write_vectored(&iov[..used]) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => done += n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    Ok(total)
}

/// Shut the socket itself down (under TLS too, without a close_notify that could wait).
pub(super) fn cut(stream: &Stream, how: std::net::Shutdown) {
    let _ = match stream {
        Stream::Tls(tls) => tls.socket().shutdown(how),
        other => other.shutdown(how),
    };
}
