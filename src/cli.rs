//! Every command-line definition of netlab, and nothing else.
//!
//! Conventions for flags: the doc comment of a flag is its `--help` text, written for the person
//! reading `--help`; durations accept `10`, `1.5`, `500ms`, `2m`; servers bind 127.0.0.1 unless
//! `--host` says otherwise; every `--help` ends with examples. `command()` feeds the generated
//! completions and man pages (see `tests/it/assets.rs`).

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

const EXAMPLES: &str = "Examples:
  netlab serve --port 8881              # the notes' server.py
  netlab connect 127.0.0.1:8881         # the notes' client.py
  netlab web ./site --port 0            # serve a directory over HTTP
  netlab fetch http://127.0.0.1:8000/   # print a page
  netlab urldecode -p 'https://www.baidu.com/s?wd=python%E6%95%99%E7%A8%8B'
  netlab bench tcp 127.0.0.1:8881 -c 8 -d 5s";

/// The whole command line: global flags and one verb.
#[derive(Debug, Parser)]
#[command(
    name = "netlab",
    version,
    about = "A network-programming lab in one binary",
    long_about = "A network-programming lab in one binary: a socket server with every classic \
                  concurrency model, a netcat-like client, an HTTP/1.1 server and client, URL \
                  inspection, and a load generator to compare them.",
    propagate_version = true,
    disable_help_subcommand = true,
    after_help = EXAMPLES
)]
pub struct Cli {
    /// Silence logs (connection lines, access log, warnings, progress).
    #[arg(short, long, global = true, help_heading = "Global options")]
    pub quiet: bool,

    /// Say more: resolved addresses, request and response heads.
    #[arg(short, long, global = true, help_heading = "Global options")]
    pub verbose: bool,

    #[command(subcommand)]
    pub command: Command,
}

/// The verbs, one module each.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a TCP, UDP or Unix socket server (greeting, echo, discard, file) under a concurrency model.
    Serve(ServeArgs),
    /// Connect to a socket server and copy stdin/stdout both ways (a better netcat).
    Connect(ConnectArgs),
    /// Show every address a host name resolves to.
    Resolve(ResolveArgs),
    /// Run an HTTP/1.1 server: a directory, one fixed page, or a mirror of the request.
    Web(WebArgs),
    /// Fetch a URL over HTTP(S) and write the body to stdout or a file.
    Fetch(FetchArgs),
    /// Percent-decode URLs and query strings, or break them into their parts.
    Urldecode(UrldecodeArgs),
    /// Percent-encode text for a URL component, form or path.
    Urlencode(UrlencodeArgs),
    /// Measure a TCP or HTTP server: connections or requests per second, latency percentiles.
    Bench(BenchArgs),
}

// ---------------------------------------------------------------------------------------------
// serve
// ---------------------------------------------------------------------------------------------

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
    netlab serve --discard --model pool --workers 4   # a sink for throughput tests")]
pub struct ServeArgs {
    /// Address to bind; `::` listens on IPv6 and IPv4 (dual-stack).
    #[arg(long, default_value = "127.0.0.1", value_name = "ADDR")]
    pub host: IpAddr,

    /// Port to bind; 0 picks a free one (the first stderr line says which).
    #[arg(short, long, default_value_t = 8881)]
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

    /// Most connections served at once; one over the limit is closed at once and logged.
    #[arg(long, default_value_t = 1024, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_conns: u32,

    /// Close a connection after this long with no progress: no byte from the client (echo,
    /// discard), or none taken by it (echo, file).
    #[arg(long, value_name = "DURATION", default_value = "300s", value_parser = parse_duration)]
    pub idle_timeout: Duration,

    /// Exit after serving N connections (or N datagrams with --udp).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub count: Option<u64>,
}

// ---------------------------------------------------------------------------------------------
// connect / resolve
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    netlab connect 127.0.0.1:8881                     # the notes' client.py\n  \
    netlab connect example.org 80 --crlf              # type an HTTP request by hand\n  \
    printf 'hello' | netlab connect '[::1]:7'\n  \
    netlab connect --send 'ping' --udp 127.0.0.1:9999\n  \
    netlab connect --unix /tmp/lab.sock\n  \
    netlab connect -z 127.0.0.1:8000-8010             # which ports accept a connection?\n  \
    netlab connect --hexdump 127.0.0.1:8881")]
pub struct ConnectArgs {
    /// Where to connect: HOST:PORT, `[IPv6]:PORT`, or HOST with PORT as the next argument
    /// (with -z, PORT may be a range like 8000-8010).
    #[arg(value_name = "HOST[:PORT]", required_unless_present = "unix")]
    pub target: Option<String>,

    /// The port, when TARGET is a bare host.
    #[arg(value_name = "PORT")]
    pub port: Option<String>,

    /// Connect to the Unix stream socket at PATH.
    #[arg(long, value_name = "PATH", conflicts_with_all = ["target", "udp", "probe"])]
    pub unix: Option<PathBuf>,

    /// Use UDP: each line of stdin (or --send) goes out as one datagram.
    #[arg(short, long)]
    pub udp: bool,

    /// Send TEXT instead of reading stdin, then half-close.
    #[arg(long, value_name = "TEXT")]
    pub send: Option<String>,

    /// Send line ends as CRLF (for talking to HTTP or SMTP servers by hand).
    #[arg(short = 'C', long)]
    pub crlf: bool,

    /// Give up connecting after this long.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub timeout: Duration,

    /// Close after this long with no byte in either direction.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub idle_timeout: Option<Duration>,

    /// Only report which ports accept a connection; exit 0 if any did.
    #[arg(short = 'z', long, conflicts_with_all = ["send", "hexdump", "udp"])]
    pub probe: bool,

    /// Hex dump of both directions on stderr (`>` sent, `<` received).
    #[arg(long)]
    pub hexdump: bool,

    /// Use IPv4 addresses only.
    #[arg(short = '4', conflicts_with = "ipv6")]
    pub ipv4: bool,

    /// Use IPv6 addresses only.
    #[arg(short = '6')]
    pub ipv6: bool,
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    netlab resolve localhost\n  \
    netlab resolve example.org")]
pub struct ResolveArgs {
    /// The host name (or address) to resolve.
    pub name: String,
}

// ---------------------------------------------------------------------------------------------
// web
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    netlab web                                        # this directory on http://127.0.0.1:8000/\n  \
    netlab web ./site --port 0                        # a free port; the first stderr line says which\n  \
    netlab web --page page.html --port 10001          # the notes' simple_webserver.py, done right\n  \
    netlab web --echo                                 # see what your browser sends\n  \
    netlab web --host :: ./public --cors              # all interfaces, IPv6 and IPv4")]
pub struct WebArgs {
    /// Directory to serve.
    #[arg(value_name = "DIR", default_value = ".", conflicts_with_all = ["page", "echo"])]
    pub dir: PathBuf,

    /// Address to bind; `::` listens on IPv6 and IPv4.
    #[arg(long, default_value = "127.0.0.1", value_name = "ADDR")]
    pub host: IpAddr,

    /// Port to bind; 0 picks a free one.
    #[arg(short, long, default_value_t = 8000)]
    pub port: u16,

    /// Answer every request with this page (`-` reads it from stdin).
    #[arg(long, value_name = "FILE", conflicts_with = "echo")]
    pub page: Option<PathBuf>,

    /// Answer every request with the request itself (JSON when the client accepts it).
    #[arg(long)]
    pub echo: bool,

    /// Never list a directory; a directory without an index gets 403.
    #[arg(long)]
    pub no_listing: bool,

    /// File served for a directory when present.
    #[arg(long, value_name = "NAME", default_value = "index.html")]
    pub index: String,

    /// Add `Access-Control-Allow-Origin: *` to every response.
    #[arg(long)]
    pub cors: bool,

    /// Serve and list dotfiles (hidden and refused by default).
    #[arg(long)]
    pub hidden: bool,

    /// Most connections at once. At the limit, a newcomer takes the place of the connection
    /// that has waited longest for a request head (so slow clients cannot hold every slot);
    /// only when every connection has a request in hand does it get 503 and is closed.
    #[arg(long, default_value_t = 1024, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_conns: u32,

    /// The whole request head must arrive within this time (else 408).
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub header_timeout: Duration,

    /// Close a keep-alive connection idle for this long.
    #[arg(long, value_name = "DURATION", default_value = "15s", value_parser = parse_duration)]
    pub keepalive_timeout: Duration,

    /// Close a connection whose client has not taken any byte for this long.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration)]
    pub write_timeout: Duration,
}

// ---------------------------------------------------------------------------------------------
// fetch
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    netlab fetch http://127.0.0.1:8000/               # print a page (the notes' urlopen().read())\n  \
    netlab fetch -i 127.0.0.1:8000/notes.txt          # status line and headers too\n  \
    netlab fetch -O http://127.0.0.1:8000/big.iso     # save as big.iso (with a progress bar)\n  \
    netlab fetch -C -o big.iso http://127.0.0.1:8000/big.iso   # resume\n  \
    netlab fetch --json '{\"q\":1}' http://127.0.0.1:8000/api\n  \
    netlab fetch --utf8 http://127.0.0.1:8000/gbk-page.html\n\n\
    Exit status as curl's: 3 bad URL, 6 resolve, 7 connect, 18 partial body, 22 HTTP error with \
    --fail, 23 write error, 28 timeout, 35/60 TLS, 47 too many redirects.")]
pub struct FetchArgs {
    /// The URL; `http://` is assumed when the scheme is missing.
    pub url: String,

    /// Request method.
    #[arg(short = 'X', long, value_name = "METHOD")]
    pub request: Option<String>,

    /// Extra request header 'Name: value' (repeatable).
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    pub headers: Vec<String>,

    /// Request body: TEXT, @FILE, or @- for stdin (sets POST unless -X says otherwise).
    #[arg(short, long, value_name = "DATA", conflicts_with = "json")]
    pub data: Option<String>,

    /// JSON request body: TEXT or @FILE; sets Content-Type and Accept to application/json.
    #[arg(long, value_name = "JSON")]
    pub json: Option<String>,

    /// User-Agent header.
    #[arg(short = 'A', long, value_name = "AGENT")]
    pub user_agent: Option<String>,

    /// Print the status line and headers before the body.
    #[arg(short, long)]
    pub include: bool,

    /// Send HEAD and print the status line and headers only.
    #[arg(short = 'I', long, conflicts_with_all = ["data", "json"])]
    pub head: bool,

    /// Exit 22 on an HTTP status of 400 or more, without writing the body.
    #[arg(short, long)]
    pub fail: bool,

    /// Transcode a text body from the charset it declares (GBK, Big5, Shift_JIS …) to UTF-8.
    #[arg(long)]
    pub utf8: bool,

    /// Write the body to FILE (`-` for stdout, even a binary body on a terminal).
    #[arg(short, long, value_name = "FILE", conflicts_with = "remote_name")]
    pub output: Option<PathBuf>,

    /// Write the body to a file in the current directory named from the URL or Content-Disposition.
    #[arg(short = 'O', long)]
    pub remote_name: bool,

    /// Overwrite an existing file with -O.
    #[arg(long)]
    pub force: bool,

    /// Resume a partial download of the -o/-O file with a Range request.
    #[arg(short = 'C', long = "continue")]
    pub resume: bool,

    /// No progress bar.
    #[arg(long)]
    pub no_progress: bool,

    /// Do not follow redirects.
    #[arg(long)]
    pub no_follow: bool,

    /// Most redirects to follow.
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub max_redirects: u32,

    /// Give up connecting after this long.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub connect_timeout: Duration,

    /// Give up when no byte arrives for this long.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration)]
    pub idle_timeout: Duration,

    /// Give up when the whole transfer takes longer than this (off by default).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub timeout: Option<Duration>,

    /// Trust the CA certificates in this PEM file (a bundle works).
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<PathBuf>,

    /// Do not verify the server's TLS certificate.
    #[arg(short = 'k', long)]
    pub insecure: bool,

    /// Use this proxy (http://host:port); overrides the proxy environment variables.
    #[arg(long, value_name = "URL")]
    pub proxy: Option<String>,

    /// Hosts to reach without a proxy, comma-separated (`*` for all).
    #[arg(long, value_name = "HOSTS")]
    pub noproxy: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// urldecode / urlencode
// ---------------------------------------------------------------------------------------------

/// What an input is taken to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InputKind {
    /// An absolute URL (or relative, with --base).
    Url,
    /// A query string: name=value&name=value.
    Query,
    /// Any percent-encoded text.
    Text,
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    netlab urldecode 'https://www.baidu.com/s?wd=python%E6%95%99%E7%A8%8B'\n  \
    netlab urldecode -p 'http://news.baidu.com/ns?cl=2&rn=20&tn=news&word=%E6%B5%8B%E8%AF%95'\n  \
    netlab urldecode --charset auto 'https://www.baidu.com/s?wd=%D6%D0%CE%C4'\n  \
    netlab urldecode --get param:wd 'https://www.baidu.com/s?wd=python%E6%95%99%E7%A8%8B'\n  \
    netlab urldecode --json < urls.txt | jq .host\n  \
    netlab urldecode --base https://example.org/a/b ../c?x=%41")]
pub struct UrldecodeArgs {
    /// URLs, query strings or text to decode; stdin lines when none are given.
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<String>,

    /// Break each input into its parts (scheme, host, port, path, each query parameter …).
    #[arg(short, long, group = "mode")]
    pub parts: bool,

    /// One JSON object per input: the WHATWG URL components and the decoded ones. Bytes that are
    /// not valid text in the charset show as U+FFFD (with "lossy": true), so it is always valid JSON.
    #[arg(long, group = "mode")]
    pub json: bool,

    /// Print one part per input: scheme, user, password, host, port, path, query, fragment,
    /// param:NAME (first value), param-all:NAME (every value, one per line).
    #[arg(long, value_name = "PART", group = "mode")]
    pub get: Option<String>,

    /// Resolve each input against this base URL first.
    #[arg(long, value_name = "URL")]
    pub base: Option<String>,

    /// Treat `+` as a space everywhere (it always is inside query parameters).
    #[arg(long)]
    pub form: bool,

    /// Charset of the percent-encoded bytes: an encoding label (gbk, big5, shift_jis …) or `auto`.
    #[arg(long, value_name = "LABEL", default_value = "utf-8")]
    pub charset: String,

    /// Make an invalid % sequence or invalid text an error (exit 2) instead of a warning.
    #[arg(long)]
    pub strict: bool,

    /// What the inputs are (guessed by default).
    #[arg(long = "as", value_enum, value_name = "KIND")]
    pub kind: Option<InputKind>,
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    netlab urlencode 'python教程'                     # python%E6%95%99%E7%A8%8B\n  \
    netlab urlencode --form 'a b&c'                   # a+b%26c\n  \
    netlab urlencode --path '/docs/教程 1.txt'\n  \
    netlab urlencode --charset gbk '中文'             # %D6%D0%CE%C4")]
pub struct UrlencodeArgs {
    /// Text to encode; stdin lines when none are given.
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<String>,

    /// Form encoding: space becomes `+` (application/x-www-form-urlencoded).
    #[arg(long, conflicts_with = "path")]
    pub form: bool,

    /// Path encoding: keep `/` as it is.
    #[arg(long)]
    pub path: bool,

    /// Encode the text's bytes in this charset (gbk, big5, shift_jis …) before escaping.
    #[arg(long, value_name = "LABEL", default_value = "utf-8")]
    pub charset: String,
}

// ---------------------------------------------------------------------------------------------
// bench
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Args)]
#[command(
    after_help = "Every run is bounded: -d DURATION or -n COUNT (10 s when neither is \
    given). Only the address named is loaded. Ctrl-C stops a run early and still prints its \
    summary.\n\n\
    Examples:\n  \
    netlab bench tcp 127.0.0.1:8881 -c 16 -d 10s      # connections per second\n  \
    netlab bench http http://127.0.0.1:8000/ -c 32 -n 100000\n  \
    netlab bench compare --svg models.svg             # every serve --model under the same load"
)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub target: BenchTarget,
}

/// What to load.
#[derive(Debug, Subcommand)]
pub enum BenchTarget {
    /// Connect, (send,) read to EOF, close — connections per second.
    Tcp(BenchTcpArgs),
    /// HTTP requests per second, keep-alive by default.
    Http(BenchHttpArgs),
    /// Run several servers one after another under the same load and compare them.
    Compare(BenchCompareArgs),
}

/// How much load, for how long, and how to report it.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Load")]
pub struct LoadArgs {
    /// Concurrent connections.
    #[arg(short, long, default_value_t = 8, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=10000))]
    pub connections: u32,

    /// Run for this long [default, with no -n: 10s; compare: 3s per server].
    #[arg(short, long, value_name = "DURATION", value_parser = parse_duration, conflicts_with = "count")]
    pub duration: Option<Duration>,

    /// Make exactly N attempts (requests, or connections for tcp) in all; failed ones count.
    #[arg(short = 'n', long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub count: Option<u64>,

    /// Load for this long first, neither measured nor counted in -n.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub warmup: Option<Duration>,

    /// Count a connection attempt or a response as failed (timeout) after this long.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub timeout: Duration,

    /// Threads generating the load [default: connections or CPU cores, the fewer].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub threads: Option<u32>,

    /// Print the summary as one JSON object on stdout (no progress display).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Each connection connects, sends --send TEXT if given (then half-closes), \
    reads until the server closes, and closes; the rate is connections per second. Latency runs \
    from connect to the server's close.\n\n\
    Examples:\n  \
    netlab bench tcp 127.0.0.1:8881                   # 8 connections at a time for 10 s\n  \
    netlab bench tcp 127.0.0.1:8881 -n 1000 --expect 'Thank you for connecting'\n  \
    netlab bench tcp [::1]:7 --send ping --expect ping -c 64 -d 30s   # an echo server\n  \
    netlab bench tcp 127.0.0.1:8881 --json | jq .rate\n\n\
    Exit status: 0 when the run completed (failed connections are counted in the summary, by \
    kind); 1 when not a single one succeeded (nothing listening …), with a one-line reason; 2 \
    for bad usage."
)]
pub struct BenchTcpArgs {
    /// Server address, HOST:PORT (`[::1]:PORT` for IPv6); only its first address is loaded.
    #[arg(value_name = "ADDR")]
    pub addr: String,

    /// Send TEXT after connecting, then half-close (`\n`, `\r`, `\t` are understood).
    #[arg(long, value_name = "TEXT")]
    pub send: Option<String>,

    /// Count a connection as failed (expect mismatch) unless it receives exactly TEXT.
    #[arg(long, value_name = "TEXT")]
    pub expect: Option<String>,

    #[command(flatten)]
    pub load: LoadArgs,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Requests go out one at a time on each connection, kept alive between \
    requests (--no-keepalive: a new connection each); bodies are read by Content-Length or \
    chunked. Every status is counted; only a failed exchange (refused, reset, timeout, closed \
    early, bad response) is an error. Latency runs from sending a request (from connecting, for \
    a new connection) to its last byte.\n\n\
    Examples:\n  \
    netlab bench http http://127.0.0.1:8000/          # 8 keep-alive connections for 10 s\n  \
    netlab bench http http://127.0.0.1:8000/1k.bin -c 64 -d 30s --warmup 2s\n  \
    netlab bench http http://127.0.0.1:8000/ -n 1000 --no-keepalive\n  \
    netlab bench http http://127.0.0.1:8000/api -X POST -H 'Content-Length: 0'\n  \
    netlab bench http http://127.0.0.1:8000/ --json | jq '.latency_us.p99'\n\n\
    Exit status: 0 when the run completed (failed requests are counted in the summary, by \
    kind); 1 when not a single request succeeded, with a one-line reason; 2 for bad usage."
)]
pub struct BenchHttpArgs {
    /// The URL to request (http:// only; the scheme may be left out).
    #[arg(value_name = "URL")]
    pub url: String,

    /// Request method.
    #[arg(short = 'X', long, value_name = "METHOD", default_value = "GET")]
    pub method: String,

    /// Extra request header 'Name: value' (repeatable; replaces Host or User-Agent).
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    pub headers: Vec<String>,

    /// A new connection for every request (sends `Connection: close`).
    #[arg(long)]
    pub no_keepalive: bool,

    #[command(flatten)]
    pub load: LoadArgs,
}

#[derive(Debug, Args)]
#[command(
    after_help = "By default compare starts `netlab serve --model M --port 0` for each \
    model in turn (the greeting service), runs the same `bench tcp` load against it, and stops \
    it. With --target it loads servers you already run instead: HOST:PORT is measured as `bench \
    tcp`, an http:// URL as `bench http`. One table and a bar chart follow; --svg FILE writes the \
    chart as a picture. Each server gets 3 s unless -d or -n says otherwise.\n\n\
    Examples:\n  \
    netlab bench compare                              # serial, thread, pool, fork, poll\n  \
    netlab bench compare --models thread,poll -c 64 -d 10s --svg models.svg\n  \
    netlab bench compare --target http://127.0.0.1:8000/ --target http://127.0.0.1:8080/\n\n\
    Exit status: 0 when every server was measured; 1 when a server could not be started or not \
    a single connection to one succeeded (the table is printed first); 2 for bad usage."
)]
pub struct BenchCompareArgs {
    /// Models of `netlab serve` to start and compare, one after another.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "serial,thread,pool,fork,poll",
        conflicts_with = "targets"
    )]
    pub models: Vec<Model>,

    /// Compare this running server instead (repeatable): HOST:PORT for tcp, a URL for http.
    #[arg(long = "target", value_name = "ADDR|URL")]
    pub targets: Vec<String>,

    /// Write the bar chart to FILE as SVG.
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,

    #[command(flatten)]
    pub load: LoadArgs,
}

/// Parse `10`, `1.5`, `250ms`, `10s`, `2m`, `1h` into a duration.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration (try 10, 1.5, 500ms, 2m)"))?;
    let scale = match unit {
        "" | "s" => 1.0,
        "ms" => 0.001,
        "m" => 60.0,
        "h" => 3600.0,
        _ => {
            return Err(format!(
                "unknown unit `{unit}` in `{text}` (use ms, s, m or h)"
            ));
        }
    };
    let duration = Duration::try_from_secs_f64(value * scale)
        .map_err(|_| format!("`{text}` is out of range"))?;
    // Deadlines are computed from durations: a bound keeps that arithmetic from overflowing.
    if duration > MAX_DURATION {
        return Err(format!("`{text}` is too long (at most 365 days)"));
    }
    Ok(duration)
}

/// The longest duration any flag takes.
pub const MAX_DURATION: Duration = Duration::from_secs(365 * 24 * 3600);

/// The clap command, for parsing, completions and man pages: the derive plus what cannot be a
/// literal (the exit-status table, kept once in [`crate::exit::Code`]).
pub fn command() -> clap::Command {
    let long = format!("{EXAMPLES}\n\nExit status:\n{}", crate::exit::Code::table());
    Cli::command().after_long_help(long)
}

/// Parse the process's arguments (exits 2 with clap's message on bad usage).
pub fn parse() -> Cli {
    use clap::FromArgMatches;
    let matches = command().get_matches();
    Cli::from_arg_matches(&matches).unwrap_or_else(|err| err.exit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_definition_is_consistent() {
        command().debug_assert();
    }

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("10"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert!(parse_duration("ten").is_err());
        assert!(parse_duration("5d").is_err());
        assert!(parse_duration("1e400").is_err());
        assert!(parse_duration("18000000000000000000s").is_err());
        assert_eq!(parse_duration("8760h"), Ok(MAX_DURATION));
    }
}
