//! `--model serial`: the notes' `server.py` — accept one client, serve it to the end, accept the
//! next. Clients arriving meanwhile wait in the kernel's backlog.
//!
//! The loop runs on a thread of its own so that Ctrl-C can stop waiting for the client being
//! served once the grace period is over.

use super::Context;
use crate::net::Listeners;

pub fn serve(ctx: &'static Context, listener: Listeners) -> anyhow::Result<()> {
    ctx.stop.on_trigger(listener.wakers());
    // Shared with the loop, so the listener outlives any late wake-up call on its descriptor.
    let listener = std::sync::Arc::new(listener);
    let guard = ctx.live.enter();
    let worker = {
        let listener = std::sync::Arc::clone(&listener);
        std::thread::Builder::new()
            .name("serial".into())
            .spawn(move || {
                let _guard = guard;
                accept_loop(ctx, &listener)
            })?
    };
    ctx.ready();
    ctx.drain();
    if worker.is_finished() {
        worker
            .join()
            .map_err(|_| anyhow::anyhow!("the serial loop panicked"))??;
    }
    Ok(())
}

fn accept_loop(ctx: &Context, listener: &Listeners) -> anyhow::Result<()> {
    while !ctx.stop.requested() {
        // One at a time, so always within --max-conns; the slot marks it as in progress.
        if let Some(client) = ctx.next_client(listener)? {
            ctx.serve(client.stream, &client.peer);
        }
    }
    Ok(())
}
