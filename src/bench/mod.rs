//! `netlab bench`: the load generator. `tcp` measures connections per second, `http` requests
//! per second, `compare` runs several servers one after another under the same load.
//!
//! The verbs validate their flags into a `Load` and an `engine::Exchange` before any socket
//! opens; `engine` runs the load on a few threads; `report` shows the result.

mod by_line;
mod chart;
mod compare;
mod diff;
mod engine;
mod histogram;
mod http;
mod live;
mod report;
mod requests;
mod tally;
mod tcp;
pub mod threshold;
mod tls;

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;

use crate::cli::{
    BenchArgs, BenchHttpArgs, BenchTarget, BenchTcpArgs, LoadArgs, RequestsOrder, SvgArgs,
};
use crate::exit::Code;
use crate::net::{self, Shutdown};
use engine::{Exchange, Limit, Plan};
use live::Live;
use report::{Kind, Report, Secs};

/// How long `tcp` and `http` run when neither -d nor -n is given.
const DEFAULT_DURATION: Duration = Duration::from_secs(10);

/// `netlab bench`.
pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    // Ctrl-C ends the run early; the summary of what ran is still printed.
    let interrupt = Shutdown::on_signals("bench")?;
    match args.target {
        BenchTarget::Tcp(args) => tcp_command(args, &interrupt),
        BenchTarget::Http(args) => http_command(args, &interrupt),
        BenchTarget::Compare(args) => compare::run(args, &interrupt),
        BenchTarget::Diff(args) => diff::run(&args),
    }
}

fn tcp_command(args: BenchTcpArgs, interrupt: &Shutdown) -> anyhow::Result<()> {
    // The target first: a bad one is the news, before any note about the load.
    let (text, tls) = match args.addr.strip_prefix("tls://") {
        Some(rest) => (rest.trim_end_matches('/'), true),
        None => (args.addr.as_str(), args.tls),
    };
    let addr = resolve(text)?;
    let tls = if tls {
        Some(tcp_tls(&args.tls_args, text)?)
    } else {
        tls::unused(&args.tls_args, "add --tls, or give a tls:// address")?;
        None
    };
    let files = Files::open(&args.load, &args.svg)?;
    let load = Load::from_args(&args.load, DEFAULT_DURATION)?;
    let exchange = tcp::TcpExchange::new(
        args.send.as_deref().map(unescape),
        args.expect.as_deref().map(unescape),
    );
    let report = measure(
        Kind::Tcp,
        &args.addr,
        addr,
        &exchange,
        &load,
        tls,
        interrupt,
    )?;
    finish(&report, &load, files)
}

/// `bench tcp --tls` (and compare's tls:// targets): the host of `HOST:PORT` is the name.
fn tcp_tls(args: &crate::cli::BenchTlsArgs, text: &str) -> anyhow::Result<engine::TlsClient> {
    let target = net::split_host_port(text, None).map_err(|why| Code::Usage.error(why))?;
    tls::client(args, &target.host, text)
}

fn http_command(args: BenchHttpArgs, interrupt: &Shutdown) -> anyhow::Result<()> {
    let order = match args.requests_order {
        RequestsOrder::RoundRobin => http::Order::RoundRobin,
        RequestsOrder::Random => http::Order::Random { seed: args.seed },
    };
    let spec = requests::Spec {
        method: args.method.as_deref(),
        headers: &args.headers,
        body: args.body.as_deref(),
        requests: args.requests.as_deref(),
        order,
        keepalive: !args.no_keepalive,
    };
    let target = requests::target(&args.url, &spec)?;
    let tls = match &target.tls {
        Some((host, authority)) => Some(tls::client(&args.tls_args, host, authority)?),
        None => {
            tls::unused(&args.tls_args, "the URL is http://")?;
            None
        }
    };
    let files = Files::open(&args.load, &args.svg)?;
    let load = Load::from_args(&args.load, DEFAULT_DURATION)?;
    let mut report = measure(
        Kind::Http,
        &target.url,
        target.addr,
        &target.exchange,
        &load,
        tls,
        interrupt,
    )?;
    report.lines = target.lines;
    finish(&report, &load, files)
}

/// The files one run of `bench tcp` or `bench http` writes at its end, each opened before the
/// run (see `chart::Pending`): `--hist-out`, `--save`, `--svg`.
struct Files {
    hist_out: Option<chart::Pending>,
    save: Option<chart::Pending>,
    svg: Option<chart::SvgFile>,
}

impl Files {
    fn open(load: &LoadArgs, svg: &SvgArgs) -> anyhow::Result<Files> {
        let pending = |path: &Option<std::path::PathBuf>, flag| {
            path.as_deref()
                .map(|path| chart::Pending::create(flag, path))
                .transpose()
        };
        Ok(Files {
            hist_out: pending(&load.hist_out, "--hist-out")?,
            save: pending(&load.save, "--save")?,
            svg: svg.svg.as_deref().map(chart::SvgFile::create).transpose()?,
        })
    }
}

/// After a run of `bench tcp` or `bench http`: the summary, the files asked for (`--svg`: the
/// latency histogram as a picture), then the exit status (1 when nothing succeeded, 99 for a
/// crossed `--fail-if`).
fn finish(report: &Report, load: &Load, files: Files) -> anyhow::Result<()> {
    print(report, load.json)?;
    if let Some(svg) = files.svg {
        let hist = chart::Hist::of(&report.target, report.latency());
        let title = format!("netlab bench {} {}", report.kind.name(), report.target);
        svg.write(&[], &[hist], &title)?;
    }
    if let Some(file) = files.hist_out {
        file.finish(histogram::percentile_distribution(report.latency()).as_bytes())?;
    }
    if let Some(file) = files.save {
        let mut bytes = serde_json::to_vec(&report.saved()).context("write --save")?;
        bytes.push(b'\n');
        file.finish(&bytes)?;
    }
    report.verdict()?;
    threshold::check(report, &load.thresholds)
}

/// The load flags, validated.
#[derive(Debug, Clone)]
struct Load {
    limit: Limit,
    warmup: Duration,
    timeout: Duration,
    connections: u32,
    threads: usize,
    json: bool,
    /// `--rate`: the open model.
    rate: Option<f64>,
    /// `--fail-if`: checked after the summary is printed.
    thresholds: Vec<threshold::Threshold>,
}

impl Load {
    /// Validate; `default` is the duration when neither -d nor -n is given (said on stderr).
    fn from_args(args: &LoadArgs, default: Duration) -> anyhow::Result<Load> {
        let limit = match (args.duration, args.count) {
            (Some(duration), _) => Limit::Duration(duration),
            (None, Some(count)) => Limit::Count(count),
            (None, None) => {
                info!("netlab bench: no -d or -n given: {} per run", Secs(default));
                Limit::Duration(default)
            }
        };
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let threads = match args.threads {
            Some(threads) => threads as usize,
            // More threads than cores would only take turns; more than connections, idle.
            None => cores,
        }
        .min(args.connections as usize);
        Ok(Load {
            limit,
            warmup: args.warmup.unwrap_or_default(),
            timeout: args.timeout,
            connections: args.connections,
            threads,
            json: args.json,
            rate: args.rate,
            thresholds: args.fail_if.clone(),
        })
    }

    fn plan(&self, addr: SocketAddr, kind: Kind, tls: Option<engine::TlsClient>) -> Plan {
        Plan {
            addr,
            connections: self.connections,
            threads: self.threads,
            limit: self.limit,
            warmup: self.warmup,
            timeout: self.timeout,
            nodelay: kind == Kind::Http,
            rate: self.rate,
            tls,
        }
    }

    /// `for 10s` / `1,000 connections`, for the line that starts a run.
    fn describe(&self, kind: Kind) -> String {
        let mut text = match self.limit {
            Limit::Duration(duration) => format!("for {}", Secs(duration)),
            Limit::Count(count) => format!("{} {}", report::Count(count), kind.unit()),
        };
        if let Some(rate) = self.rate {
            text.push_str(&format!(" at {} {}", report::Rate(rate), kind.per_second()));
        }
        if !self.warmup.is_zero() {
            text.push_str(&format!(" after {} of warm-up", Secs(self.warmup)));
        }
        text
    }
}

/// Run one load against `addr` with a live display, and gather the report.
fn measure<E: Exchange>(
    kind: Kind,
    target: &str,
    addr: SocketAddr,
    exchange: &E,
    load: &Load,
    tls: Option<engine::TlsClient>,
    interrupt: &Shutdown,
) -> anyhow::Result<Report> {
    if !load.json {
        info!(
            "netlab bench {}: {} ({addr}), {} connection{} on {} thread{}, {}",
            kind.name(),
            target,
            load.connections,
            if load.connections == 1 { "" } else { "s" },
            load.threads,
            if load.threads == 1 { "" } else { "s" },
            load.describe(kind)
        );
    }
    raise_fd_limit(u64::from(load.connections));
    let live = Live::new(
        format!("bench {} {target}", kind.name()),
        kind,
        !load.json && crate::log::enabled() && std::io::stderr().is_terminal(),
    );
    let outcome = engine::run(
        &load.plan(addr, kind, tls),
        exchange,
        interrupt,
        |snapshot| live.show(snapshot),
    );
    live.clear();
    Ok(Report {
        kind,
        target: target.to_string(),
        addr,
        connections: load.connections,
        threads: load.threads,
        target_rate: load.rate,
        outcome: outcome?,
        lines: Vec::new(),
    })
}

/// The summary on stdout: text, or one line of JSON.
fn print(report: &Report, json: bool) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer(&mut out, &report.json()).context("write the summary")?;
        out.write_all(b"\n").context("write the summary")?;
    } else {
        out.write_all(report.text().as_bytes())
            .context("write the summary")?;
    }
    out.flush().context("write the summary")
}

/// Resolve `HOST:PORT` (or `[v6]:PORT`) to its first address: only that one is loaded.
fn resolve(text: &str) -> anyhow::Result<SocketAddr> {
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(addr);
    }
    // The same rules and words as connect's HOST:PORT.
    let target = net::split_host_port(text, None).map_err(|why| Code::Usage.error(why))?;
    let port =
        net::parse_port(&target.port).map_err(|why| Code::Usage.error(format!("{text}: {why}")))?;
    Ok(net::resolve(&target.host, port)?[0])
}

/// `--send` and `--expect` text with `\n`, `\r`, `\t`, `\0` and `\\` understood, so a request
/// line can be typed without the shell's `$'…'`.
fn unescape(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut bytes = text.bytes();
    while let Some(b) = bytes.next() {
        if b != b'\\' {
            out.push(b);
            continue;
        }
        match bytes.next() {
            Some(b'n') => out.push(b'\n'),
            Some(b'r') => out.push(b'\r'),
            Some(b't') => out.push(b'\t'),
            Some(b'0') => out.push(0),
            Some(b'\\') => out.push(b'\\'),
            Some(other) => out.extend_from_slice(&[b'\\', other]),
            None => out.push(b'\\'),
        }
    }
    out
}

/// Each connection needs a descriptor: raise the soft limit toward the hard one when the
/// default (often 1024) is too low, and warn when even that is not enough.
fn raise_fd_limit(connections: u64) {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    // Room for stdio, the epoll instances and a server `compare` starts.
    let wanted = connections + 64;
    let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) else {
        return;
    };
    if soft >= wanted {
        return;
    }
    let raised = wanted.min(hard);
    if setrlimit(Resource::RLIMIT_NOFILE, raised, hard).is_err() || raised < wanted {
        warn!(
            "only {} file descriptors allowed (ulimit -n): some of {connections} connections will fail",
            raised.max(soft)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_in_send_text() {
        assert_eq!(
            unescape(r"GET / HTTP/1.0\r\n\r\n"),
            b"GET / HTTP/1.0\r\n\r\n"
        );
        assert_eq!(unescape(r"a\\n\q\"), b"a\\n\\q\\");
    }

    #[test]
    fn addresses_resolve_or_are_usage_errors() {
        assert_eq!(
            resolve("127.0.0.1:80").unwrap(),
            "127.0.0.1:80".parse().unwrap()
        );
        assert_eq!(resolve("[::1]:80").unwrap(), "[::1]:80".parse().unwrap());
        assert_eq!(resolve("localhost:80").unwrap().port(), 80);
        for bad in ["127.0.0.1", "host:http", ":80", "1.2.3.4:70000"] {
            let err = resolve(bad).unwrap_err();
            assert_eq!(crate::exit::code_of(&err), Some(Code::Usage), "{bad}");
        }
    }
}
