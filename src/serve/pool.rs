//! `--model pool --workers N`: N threads started up front, sharing the listener, and no
//! dispatcher and no thread start per client; at most N clients are served at once, the others
//! wait in the backlog.
//!
//! The workers take turns to accept ("accept serialization", as Apache's prefork does and
//! Stevens describes): one holds the turn and accepts, the others wait on a lock. A short
//! greeting, which cannot wait on its client, is sent by the holder without giving the turn
//! up; any client that can take time (echo, discard, a file, a client that sent data) makes the
//! holder pass the turn on first. So a burst of greetings costs no wake-ups, where N workers
//! all asleep in `accept` would be woken one per connection.

use std::sync::{Arc, Mutex};

use super::Context;
use crate::net;
use crate::net::Listeners;

pub fn serve(ctx: &'static Context, listener: Listeners, workers: usize) -> anyhow::Result<()> {
    ctx.stop.on_trigger(listener.wakers());
    let listener = Arc::new(listener);
    let turn = Arc::new(Mutex::new(()));
    let mut handles = Vec::with_capacity(workers);
    for n in 0..workers {
        let listener = Arc::clone(&listener);
        let turn = Arc::clone(&turn);
        let guard = ctx.live.enter();
        let spawned = std::thread::Builder::new()
            .name(format!("worker-{n}"))
            .spawn(move || {
                let _guard = guard;
                work(ctx, &listener, &turn)
            });
        match spawned {
            Ok(handle) => handles.push(handle),
            Err(err) => {
                ctx.stop.trigger();
                ctx.drain();
                return Err(anyhow::Error::new(err).context(format!("start worker {n}")));
            }
        }
    }
    crate::explain::pool(handles.len());
    ctx.ready();
    ctx.drain();
    // Workers still serving after the grace period are left to the process exit.
    for handle in handles.into_iter().filter(|h| h.is_finished()) {
        handle
            .join()
            .map_err(|_| anyhow::anyhow!("a worker panicked"))??;
    }
    Ok(())
}

fn work(ctx: &Context, listener: &Listeners, turn: &Mutex<()>) -> anyhow::Result<()> {
    while !ctx.stop.requested() {
        let mut holding = Some(net::lock(turn));
        while holding.is_some() && !ctx.stop.requested() {
            match ctx.next_client(listener) {
                Ok(Some(client)) => {
                    ctx.serve_holding(client.stream, &client.peer, || drop(holding.take()));
                }
                Ok(None) => {}
                Err(err) => {
                    // One worker failing stops them all, rather than limping on with fewer.
                    ctx.stop.trigger();
                    return Err(err);
                }
            }
        }
    }
    Ok(())
}
