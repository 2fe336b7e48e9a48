//! `netlab serve`'s flags, and the concurrency models `bench compare` also names.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

use super::{parse_port, parse_size, parse_timeout};

/// How `serve` handles many clients at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Model {
    /// One connection at a time, in the accept loop (the notes' server.py).
    Serial,
    /// A new thread per connection (SocketServer's ThreadingMixIn).
    Thread,
    /// A fixed set of worker threads taking turns to accept on the listener (see --workers).
    Pool,
    /// A child process per connection, reaped as it exits (ForkingMixIn).
    Fork,
    /// One thread, non-blocking sockets on epoll (how nginx does it).
    Poll,
}

impl Model {
    pub fn name(self) -> &'static str {
        match self {
            Model::Serial => "serial",
            Model::Thread => "thread",
            Model::Pool => "pool",
            Model::Fork => "fork",
            Model::Poll => "poll",
        }
    }
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    netlab serve --port 8881                          # greets each client: Thank you for connecting\n  \
    netlab serve --port 10002 --message 'Hi, Everyone'\n  \
    netlab serve --port 0 --echo --model poll         # echo server on a free port, epoll loop\n  \
    netlab serve --udp --port 9999 --echo             # UDP echo\n  \
    netlab serve --unix /tmp/lab.sock --file notes.txt\n  \
    netlab serve --discard --model pool --workers 4   # a sink for throughput tests\n  \
    netlab serve --tls --echo --tls-save-cert c.pem   # TLS echo; netlab connect --tls --cacert c.pem\n  \
    netlab serve --port 8443 --tls --forward 127.0.0.1:8080  # relay, TLS in front of a plain server\n  \
    netlab serve --chat --model poll                  # a chat room; /nick NAME to rename\n  \
    netlab serve --port 0 --exec /bin/cat             # a cat per client, as ncat -e; --exec last\n  \
    netlab serve --sh-exec 'read l; echo \"got $l\"'    # a shell command per client")]
pub struct ServeArgs {
    /// Address or name to bind; `::` listens on IPv6 and IPv4 (dual-stack). A name
    /// (`localhost`) binds every address it resolves to, on one port, one `listening on` line
    /// each; one that does not resolve exits 2.
    #[arg(long, default_value = "127.0.0.1", value_name = "HOST")]
    pub host: String,

    /// Port to bind; 0 picks a free one (the first stderr line says which).
    #[arg(short, long, default_value_t = 8881, value_parser = parse_port)]
    pub port: u16,

    /// Serve UDP datagrams instead of TCP connections.
    #[arg(long, conflicts_with = "unix")]
    pub udp: bool,

    /// Listen on a Unix stream socket at PATH instead of TCP.
    #[arg(long, value_name = "PATH", conflicts_with_all = ["host", "port"])]
    pub unix: Option<PathBuf>,

    /// Greet each client with TEXT and close (the default service).
    #[arg(
        long,
        value_name = "TEXT",
        default_value = "Thank you for connecting",
        group = "service"
    )]
    pub message: String,

    /// Send back everything the client sends.
    #[arg(long, group = "service")]
    pub echo: bool,

    /// Read and throw away everything the client sends (a sink).
    #[arg(long, group = "service")]
    pub discard: bool,

    /// Send the bytes of FILE to each client and close.
    #[arg(long, value_name = "FILE", group = "service")]
    pub file: Option<PathBuf>,

    /// Relay each client to TARGET (HOST:PORT, or unix:PATH): a connection to it per client,
    /// bytes copied both ways (splice(2) between plain sockets), each half-close passed on.
    /// A target not reached within 10s closes that client only. Not with --udp; in --model
    /// poll, not with --tls or --forward-tls.
    #[arg(long, value_name = "TARGET", group = "service")]
    pub forward: Option<String>,

    /// Speak TLS to the --forward target, verifying its certificate as `connect --tls` does.
    #[arg(long, requires = "forward")]
    pub forward_tls: bool,

    /// Trust the --forward-tls target's certificate when it is in FILE (PEM) or signed by a CA
    /// there, instead of the system's CAs.
    #[arg(long, value_name = "FILE", requires = "forward_tls")]
    pub forward_cacert: Option<PathBuf>,

    /// Do not verify the --forward-tls target's certificate.
    #[arg(long, requires = "forward_tls", conflicts_with = "forward_cacert")]
    pub forward_insecure: bool,

    /// A chat room: every line a client sends goes to every other client as `NAME: line`,
    /// NAME being its address until it sends `/nick NAME`. Notices start with `* `: `* NAME
    /// joined`, `* NAME left`, `* OLD is now NEW`, `* NAME dropped: not reading`; answers to
    /// one client only (a refused nick, an over-long line) too. Thread and poll models only;
    /// TCP or --unix, with or without --tls. --idle-timeout does not close a quiet client.
    #[arg(long, group = "service")]
    pub chat: bool,

    /// --chat: bytes that may wait for one client. While a client that reads has its queue over
    /// a quarter full, senders wait for it; one that reads nothing for a second is passed by,
    /// and dropped with a notice to the others when its queue is full.
    #[arg(long, value_name = "SIZE", default_value = "1M", value_parser = parse_size, requires = "chat")]
    pub chat_queue: u64,

    /// --chat: the longest line a client may send; a longer one is not relayed (the client is
    /// told, and stays).
    #[arg(long, value_name = "SIZE", default_value = "64K", value_parser = parse_size, requires = "chat")]
    pub max_line: u64,
    /// Run PROG with its arguments for each client, its stdin and stdout the connection (its
    /// stderr the server's, each line prefixed with the client's address); NETLAB_PEER and
    /// NETLAB_LOCAL hold the two addresses. Everything after --exec on the line is PROG and its
    /// arguments (netlab's flags too), so put --exec last. Not with --model poll or --udp.
    #[arg(
        long,
        group = "service",
        value_name = "PROG",
        num_args = 1..,
        allow_hyphen_values = true
    )]
    pub exec: Option<Vec<std::ffi::OsString>>,

    /// Run `/bin/sh -c CMD` for each client, as --exec runs PROG.
    #[arg(long, value_name = "CMD", group = "service")]
    pub sh_exec: Option<String>,

    /// Concurrency model.
    #[arg(long, value_enum, default_value_t = Model::Thread)]
    pub model: Model,

    /// Worker threads for `--model pool` (more than the cores, so one blocked in a system
    /// call does not leave a core idle).
    #[arg(long, default_value_t = 8, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub workers: u32,

    /// Length of the kernel's queue of connections not yet accepted.
    #[arg(long, default_value_t = 1024, value_name = "N")]
    pub backlog: u32,

    /// Most connections served at once; one over the limit is reset at once (its client sees a
    /// failure, not an empty answer) and logged.
    #[arg(long, default_value_t = 1024, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_conns: u32,

    /// Close a connection after this long with no progress: no byte from the client (echo,
    /// discard), or none taken by it (echo, file). 0: no limit.
    #[arg(long, value_name = "DURATION", default_value = "300s", value_parser = parse_timeout)]
    pub idle_timeout: Duration,

    /// Exit after serving N connections (or N datagrams with --udp).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub count: Option<u64>,

    #[command(flatten)]
    pub tls: super::TlsArgs,

    #[command(flatten)]
    pub access: super::AccessArgs,
}
