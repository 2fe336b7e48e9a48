//! `netlab bench`'s flags: the three targets and the load options they share.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand};

use super::{Model, parse_duration, parse_positive_duration, parse_timeout};

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
    /// Two runs saved with --save, side by side: every figure, its change, and whether the
    /// change is beyond the runs' own noise.
    Diff(BenchDiffArgs),
}

#[derive(Debug, Args)]
#[command(
    after_help = "A change is beyond the noise when the two runs' own spread cannot \
    explain it: for the rate and the mean latency, the second-by-second samples of each run \
    (Welch's test at about 95%); for a percentile, the range of ranks that could hold it given \
    how many exchanges were measured and how much the run's seconds swung (about 95%). Runs of a \
    second or less have too few samples to tell. Drift between runs (another load on the \
    machine, a warmer cache) is not in any run's own noise: repeat runs, alternating, to see it.\n\n\
    Examples:\n  \
    netlab bench http http://127.0.0.1:8000/ -d 10s --save before.json\n  \
    netlab bench http http://127.0.0.1:8000/ -d 10s --save after.json\n  \
    netlab bench diff before.json after.json"
)]
pub struct BenchDiffArgs {
    /// The run to compare against (the baseline).
    #[arg(value_name = "A.json")]
    pub a: PathBuf,
    /// The run compared.
    #[arg(value_name = "B.json")]
    pub b: PathBuf,
}

/// How much load, for how long, and how to report it.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Load")]
pub struct LoadArgs {
    /// Concurrent connections.
    #[arg(short, long, default_value_t = 8, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=10000))]
    pub connections: u32,

    /// Run for this long, more than 0 [default, with no -n: 10s; compare: 3s per server].
    #[arg(short, long, value_name = "DURATION", value_parser = parse_positive_duration, conflicts_with = "count")]
    pub duration: Option<Duration>,

    /// Make exactly N attempts (requests, or connections for tcp) in all; failed ones count.
    #[arg(short = 'n', long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub count: Option<u64>,

    /// Load for this long first, neither measured nor counted in -n (0: no warm-up).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub warmup: Option<Duration>,

    /// Count a connection attempt or a response as failed (timeout) after this long (0: never).
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_timeout)]
    pub timeout: Duration,

    /// Threads generating the load [default: connections or CPU cores, the fewer].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub threads: Option<u32>,

    /// The open model: start this many exchanges a second (requests; connections for tcp),
    /// whatever the server does, and count each one's latency from when it was due, so a
    /// server that stalls is charged for what it held back (coordinated omission). -c caps the
    /// connections (raise it for high rates); with -n and no -d the run lasts N/RATE seconds.
    #[arg(long, value_name = "PER_SECOND", value_parser = parse_rate)]
    pub rate: Option<f64>,

    /// Print the summary as one JSON object on stdout (no progress display).
    ///
    /// Its names: `kind` (tcp, http), `target`, `addr`, `connections` (-c), `threads`;
    /// `count` (exchanges completed), `failed`, `errors` (failures by kind: `refused`, `reset`,
    /// `timeout`, `closed_early`, `expect_mismatch`, `bad_response`, `unreachable`, `tls`,
    /// `other`); `rate` (achieved: completed a second), `duration_secs`, `bytes` (received),
    /// `interrupted`; `latency.corrected` (from when each exchange was due under --rate, from
    /// its start otherwise) and, under --rate only, `latency.uncorrected` (from its actual
    /// send), each with `p50`, `p90`, `p95`, `p99`, `p999`, `max` in seconds (floats);
    /// `phases.connect`, `.tls`, `.ttfb` (request sent to first byte), `.transfer` (first byte
    /// to last), the same or null when no exchange had the phase; `latency_us` (`min`, `mean`,
    /// `p50`, `p90`, `p99`, `max` of the corrected latency, in microseconds);
    /// `connections_used` (connections opened); with TLS, `tls_handshakes` and `tls_resumed`;
    /// under --rate, `target_rate` (--rate's) and `unsent` (exchanges due when no connection
    /// was free). http adds `status` (`{"200": N}`), and with --requests `requests_lines`: one
    /// object a line of the file, in order, `{"line": N, "method", "url", "count", "failed",
    /// "errors", "status"}`, its `errors` holding only the kinds that occurred (the lines add
    /// up to the totals). compare prints `{"results": [...]}`, one such object a server with
    /// its `label`. --save keeps the same object with `saved_by`, `histogram_us` (`[µs, count]`
    /// pairs) and `seconds` (`[completed, latency sum in µs]` for each whole second).
    #[arg(long)]
    pub json: bool,

    /// Keep the run's whole result in FILE (the --json summary with its histogram and its
    /// second-by-second samples), for `netlab bench diff`. Not for compare.
    #[arg(long, value_name = "FILE")]
    pub save: Option<std::path::PathBuf>,

    /// Write the latency histogram (corrected, under --rate) to FILE in HdrHistogram's
    /// percentile distribution format, in milliseconds, for the plotters that read it
    /// (HdrHistogram's plotFiles.html, wrk2's). Not for compare.
    #[arg(long, value_name = "FILE")]
    pub hist_out: Option<std::path::PathBuf>,

    /// Exit 99 when the run crosses this threshold (repeatable): `p99>50ms`, `max>=1s`,
    /// `mean>2ms`, `errors>0.1%`, `errors>0`, `rate<1000`. Latencies take us, ms or s; the
    /// summary is printed either way, then one line lists what was crossed.
    #[arg(long = "fail-if", value_name = "THRESHOLD", value_parser = crate::bench::threshold::parse)]
    pub fail_if: Vec<crate::bench::threshold::Threshold>,
}

/// `--rate`: exchanges a second, more than 0 and at most a million (a slot under a microsecond
/// cannot be kept).
fn parse_rate(text: &str) -> Result<f64, String> {
    let rate: f64 = text
        .trim()
        .parse()
        .map_err(|_| "must be a number of exchanges a second, such as 1000 or 0.5".to_string())?;
    if !(rate > 0.0 && rate.is_finite()) {
        return Err("must be more than 0".to_string());
    }
    if rate > 1_000_000.0 {
        return Err("must be at most 1,000,000 (a slot under a microsecond cannot be kept)".into());
    }
    Ok(rate)
}

/// What a TLS run trusts: `bench http https://…`, `bench tcp --tls`, TLS targets of compare.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "TLS")]
pub struct BenchTlsArgs {
    /// Trust only the certificates in FILE (PEM): a CA, or the server's own self-signed
    /// certificate (`web --tls-save-cert` and `serve --tls-save-cert` write one). Without it,
    /// the system's CA store and the bundled Mozilla roots.
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<PathBuf>,

    /// Do not check the server's certificate at all (the handshake is timed all the same).
    #[arg(long, conflicts_with = "cacert")]
    pub insecure: bool,

    /// The name sent in the handshake (SNI) and looked for in the certificate, instead of the
    /// host in the address.
    #[arg(long, value_name = "NAME")]
    pub sni: Option<String>,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Each connection connects, sends --send TEXT if given (then half-closes), \
    reads until the server closes, and closes; the rate is connections per second. Latency runs \
    from connect to the server's close. With --tls (or a tls:// address) each connection makes \
    a TLS handshake first: the summary's tls line gives handshakes per second, how many resumed \
    an earlier session (netlab keeps tickets, as a browser does), and their percentiles.\n\n\
    Examples:\n  \
    netlab bench tcp 127.0.0.1:8881                   # 8 connections at a time for 10 s\n  \
    netlab bench tcp 127.0.0.1:8881 -n 1000 --expect 'Thank you for connecting'\n  \
    netlab bench tcp [::1]:7 --send ping --expect ping -c 64 -d 30s   # an echo server\n  \
    netlab bench tcp 127.0.0.1:8881 --json | jq .rate\n  \
    netlab bench tcp 127.0.0.1:8881 -d 10s --svg connect.svg   # the latency histogram\n  \
    netlab bench tcp tls://127.0.0.1:8443 --cacert saved.pem   # TLS handshakes per second\n\n\
    Exit status: 0 when the run completed (failed connections are counted in the summary, by \
    kind); 1 when not a single one succeeded (nothing listening …), with a one-line reason; 2 \
    for bad usage; 99 when a --fail-if threshold was crossed."
)]
pub struct BenchTcpArgs {
    /// Server address, HOST:PORT (`[::1]:PORT` for IPv6; `tls://HOST:PORT` is --tls); only
    /// its first address is loaded.
    #[arg(value_name = "ADDR")]
    pub addr: String,

    /// Speak TLS on every connection (`serve --tls`): connect, handshake, then as without.
    #[arg(long, help_heading = "TLS")]
    pub tls: bool,

    #[command(flatten)]
    pub tls_args: BenchTlsArgs,

    /// Send TEXT after connecting, then half-close (`\n`, `\r`, `\t` are understood).
    #[arg(long, value_name = "TEXT")]
    pub send: Option<String>,

    /// Count a connection as failed (expect mismatch) unless it receives exactly TEXT.
    #[arg(long, value_name = "TEXT")]
    pub expect: Option<String>,

    #[command(flatten)]
    pub svg: SvgArgs,

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
    A --requests FILE holds one request a line; blank lines and lines starting with # are \
    skipped. A line is words separated by spaces: the METHOD, the URL, then headers, then \
    optionally @BODYFILE as the last word. A header starts at a word `Name:` (the colon ends \
    the word) and its value runs, spaces and all, up to the next such word or the @BODYFILE: \
    `POST /api Content-Type: application/json X-Note: two words @new.json`. BODYFILE is read \
    once before the run (at most 64 MiB; relative to FILE's directory) and sent with its \
    Content-Length. Every URL must have the scheme, host and port of the URL argument (a URL \
    of just a path, `/a?b`, takes them from it). A line that breaks these rules stops the \
    run before it starts, named FILE:LINE (exit 2).\n\n\
    Examples:\n  \
    netlab bench http http://127.0.0.1:8000/          # 8 keep-alive connections for 10 s\n  \
    netlab bench http http://127.0.0.1:8000/1k.bin -c 64 -d 30s --warmup 2s\n  \
    netlab bench http http://127.0.0.1:8000/ -n 1000 --no-keepalive\n  \
    netlab bench http https://127.0.0.1:8443/ --cacert saved.pem   # web --tls --tls-save-cert\n  \
    netlab bench http http://127.0.0.1:8000/api -X POST -H 'Content-Length: 0'\n  \
    netlab bench http http://127.0.0.1:8000/api --body order.json -H 'Content-Type: application/json'\n  \
    netlab bench http http://127.0.0.1:8000/ --requests mix.txt --requests-order random --seed 7\n  \
    netlab bench http http://127.0.0.1:8000/ -d 10s --svg latency.svg   # the histogram as a picture\n  \
    netlab bench http http://127.0.0.1:8000/ --json | jq '.latency_us.p99'\n  \
    netlab bench http http://127.0.0.1:8000/ -d 10s --fail-if 'p99>50ms' --fail-if 'errors>0.1%'\n\n\
    Exit status: 0 when the run completed (failed requests are counted in the summary, by \
    kind); 1 when not a single request succeeded, with a one-line reason; 2 for bad usage; 99 \
    when a --fail-if threshold was crossed."
)]
pub struct BenchHttpArgs {
    /// The URL to request: http://, or https:// for TLS (the scheme may be left out: http).
    /// With --requests, the server every line goes to.
    #[arg(value_name = "URL")]
    pub url: String,

    /// Request method [default: GET, or POST with --body].
    #[arg(short = 'X', long, value_name = "METHOD")]
    pub method: Option<String>,

    /// Send FILE's bytes as the body of every request, with its Content-Length (at most
    /// 64 MiB, read once before the run).
    #[arg(long, value_name = "FILE", conflicts_with = "requests")]
    pub body: Option<PathBuf>,

    /// Send the requests in FILE instead of one: one a line, `METHOD URL [Name: value]…
    /// [@BODYFILE]` (see below). -H headers go with every line.
    #[arg(long, value_name = "FILE", conflicts_with = "method")]
    pub requests: Option<PathBuf>,

    /// The order the lines of --requests go out in, over all connections.
    #[arg(
        long,
        value_enum,
        value_name = "ORDER",
        default_value = "round-robin",
        requires = "requests"
    )]
    pub requests_order: RequestsOrder,

    /// The seed of --requests-order random: the same seed picks the same sequence.
    #[arg(long, value_name = "N", default_value_t = 1, requires = "requests")]
    pub seed: u64,

    /// Extra request header 'Name: value' (repeatable; replaces Host or User-Agent).
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    pub headers: Vec<String>,

    /// A new connection for every request (sends `Connection: close`).
    #[arg(long)]
    pub no_keepalive: bool,

    #[command(flatten)]
    pub svg: SvgArgs,

    #[command(flatten)]
    pub tls_args: BenchTlsArgs,

    #[command(flatten)]
    pub load: LoadArgs,
}

/// `--svg` of one run (`bench tcp`, `bench http`; compare's own --svg also draws its chart).
#[derive(Debug, Clone, Args)]
pub struct SvgArgs {
    /// Write the run's latency histogram (the summary's 1-2-5 buckets; corrected, under
    /// --rate) to FILE as SVG.
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
}

/// `--requests-order`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RequestsOrder {
    /// Line 1, 2, 3 …, then line 1 again.
    RoundRobin,
    /// A line drawn at random (uniformly, seeded by --seed) for each request.
    Random,
}

#[derive(Debug, Args)]
#[command(
    after_help = "By default compare starts `netlab serve --model M --port 0` for each \
    model in turn (the greeting service), runs the same `bench tcp` load against it, and stops \
    it. With --target it loads servers you already run instead: HOST:PORT is measured as `bench \
    tcp`, an http:// or https:// URL as `bench http`, `tls://HOST:PORT` as `bench tcp --tls` (trusting what --cacert or --insecure say). One table and a bar chart follow; --svg FILE writes the \
    chart as a picture, with each server's latency histogram below it. Each server gets 3 s unless -d or -n says otherwise.\n\n\
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

    /// Write the bar chart and each server's latency histogram (1-2-5 buckets) to FILE as SVG.
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,

    #[command(flatten)]
    pub tls_args: BenchTlsArgs,

    #[command(flatten)]
    pub load: LoadArgs,
}
