//! `serve --chat`: a room where every line a client sends goes to every other client, prefixed
//! with the sender's name. The room itself ([`hub::Room`]) knows nothing of sockets or threads;
//! the thread model (`thread.rs`: a reader thread per client and a writer draining its queue)
//! and the poll model (`poll.rs`: one thread on epoll) each feed it bytes and carry its queues to
//! the clients. A client that stops reading fills its bounded queue and is dropped: no one else
//! ever waits on it.

mod hub;
mod poll;
mod queue;
mod thread;

use crate::cli::{Model, ServeArgs};
use crate::exit::Code;
use crate::net::{Listeners, Peer};

use super::Context;

/// What one client may make the room hold for it.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// `--chat-queue`: bytes waiting to be sent to one client.
    pub queue: usize,
    /// `--max-line`: bytes in one line, its newline not counted.
    pub max_line: usize,
}

impl Limits {
    /// `--chat-queue` and `--max-line`, and whether the rest of the flags allow a chat.
    pub fn from_args(args: &ServeArgs) -> anyhow::Result<Limits> {
        if args.udp {
            return Err(Code::Usage.error(
                "--chat does not go with --udp: a chat room needs connections (it relays lines \
                 between clients that stay)",
            ));
        }
        let why = match args.model {
            Model::Thread | Model::Poll => None,
            Model::Serial => Some("serves one client at a time, who would have no one to talk to"),
            Model::Fork => Some("gives each client a process, and processes share no room"),
            Model::Pool => Some(
                "keeps a worker busy for as long as its client stays, so a room would hold at \
                 most --workers clients",
            ),
        };
        if let Some(why) = why {
            return Err(Code::Usage.error(format!(
                "--chat needs --model thread or poll: --model {} {why}",
                args.model.name()
            )));
        }
        let size = |value: u64| usize::try_from(value).unwrap_or(usize::MAX);
        Ok(Limits {
            queue: size(args.chat_queue),
            max_line: size(args.max_line),
        })
    }
}

/// Run the room under the chosen model until the server stops.
pub(super) fn serve(
    ctx: &'static Context,
    listener: Listeners,
    model: Model,
) -> anyhow::Result<()> {
    let super::Service::Chat(limits) = ctx.service else {
        anyhow::bail!("chat::serve without --chat");
    };
    match model {
        Model::Poll => poll::serve(ctx, listener, limits),
        _ => thread::serve(ctx, listener, limits),
    }
}

/// A client's name until it chooses one: its address (a Unix socket client, its process).
fn name_of(peer: &Peer) -> String {
    match peer {
        Peer::Tcp(addr) => addr.to_string(),
        Peer::Unix(Some((pid, _))) => format!("pid{pid}"),
        Peer::Unix(None) => "local".to_owned(),
    }
}
