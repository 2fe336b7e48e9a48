//! `--model thread` (the default): SocketServer's ThreadingMixIn — the main thread accepts, and
//! each client gets a thread of its own, up to `--max-conns` at once.

use std::sync::atomic::Ordering;

use super::Context;
use crate::net::Listeners;

/// The services keep their buffers on the heap, so a small stack is plenty (and cheap to map).
const STACK: usize = 256 * 1024;

pub fn serve(ctx: &'static Context, listener: Listeners) -> anyhow::Result<()> {
    ctx.stop.on_trigger(listener.wakers());
    ctx.ready();
    while !ctx.stop.requested() {
        let Some(super::Client { stream, peer, slot }) = ctx.next_client(&listener)? else {
            continue;
        };
        let live = ctx.live.enter();
        crate::explain::thread(&stream);
        let spawned = std::thread::Builder::new()
            .stack_size(STACK)
            .spawn(move || {
                let _slot = slot;
                let _live = live;
                ctx.serve(stream, &peer);
            });
        if let Err(err) = spawned {
            // The closure (and the connection with it) is dropped: the client sees it close.
            ctx.stats.refused.fetch_add(1, Ordering::Relaxed);
            crate::warn!("no thread for {peer}: {err}");
        }
    }
    ctx.drain();
    Ok(())
}
