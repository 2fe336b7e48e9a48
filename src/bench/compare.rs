//! `netlab bench compare`: the same load against several servers, one after another — by
//! default `netlab serve` under each `--model`, started here on a free port and stopped after —
//! then one table, a bar chart in the terminal, and optionally the chart as SVG.

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::{Value, json};

use super::chart::{self, Bar};
use super::engine::TlsClient;
use super::report::{Count, Kind, Micros, Rate, Report, Secs};
use super::requests;
use super::tcp::TcpExchange;
use super::{Load, measure, resolve, tcp_tls, tls};
use crate::cli::{BenchCompareArgs, Model};
use crate::net::Shutdown;

/// How long each server is loaded when neither -d nor -n is given.
const DEFAULT_DURATION: Duration = Duration::from_secs(3);
/// How long a started server may take to say where it listens.
const START_WAIT: Duration = Duration::from_secs(10);
/// How long a server may take to stop after SIGTERM before it is killed.
const STOP_WAIT: Duration = Duration::from_secs(5);

/// One thing to measure.
enum Entry {
    /// `netlab serve --model M`, started for the run.
    Model(Model),
    /// A running TCP server (`tls://HOST:PORT`: with TLS).
    Tcp {
        text: String,
        addr: SocketAddr,
        tls: Option<TlsClient>,
    },
    /// A running HTTP server (https://: with TLS).
    Http(requests::Target, Option<TlsClient>),
}

impl Entry {
    fn label(&self) -> String {
        match self {
            Entry::Model(model) => model.name().to_string(),
            Entry::Tcp { text, .. } => text.clone(),
            Entry::Http(target, _) => target.url.clone(),
        }
    }

    fn kind(&self) -> Kind {
        match self {
            Entry::Http(..) => Kind::Http,
            _ => Kind::Tcp,
        }
    }
}

/// `netlab bench compare`.
pub fn run(args: BenchCompareArgs, interrupt: &Shutdown) -> anyhow::Result<()> {
    if args.load.hist_out.is_some() || args.load.save.is_some() {
        return Err(crate::exit::Code::Usage.error(
            "--hist-out and --save are for one run (bench tcp, bench http); compare writes --svg \
             or --json",
        ));
    }
    // Every target, and where the chart goes, is checked before anything starts.
    let svg = args
        .svg
        .as_deref()
        .map(chart::SvgFile::create)
        .transpose()?;
    let entries: Vec<Entry> = if args.targets.is_empty() {
        args.models
            .iter()
            .map(|&model| Entry::Model(model))
            .collect()
    } else {
        args.targets
            .iter()
            .map(|text| {
                if let Some(rest) = text.strip_prefix("tls://") {
                    let rest = rest.trim_end_matches('/');
                    Ok(Entry::Tcp {
                        text: text.clone(),
                        addr: resolve(rest)?,
                        tls: Some(tcp_tls(&args.tls_args, rest)?),
                    })
                } else if text.contains("://") {
                    let target = requests::target(text, &requests::Spec::plain())?;
                    let tls = match &target.tls {
                        Some((host, authority)) => {
                            Some(tls::client(&args.tls_args, host, authority)?)
                        }
                        None => None,
                    };
                    Ok(Entry::Http(target, tls))
                } else {
                    Ok(Entry::Tcp {
                        text: text.clone(),
                        addr: resolve(text)?,
                        tls: None,
                    })
                }
            })
            .collect::<anyhow::Result<_>>()?
    };
    let any_tls = entries.iter().any(|entry| {
        matches!(
            entry,
            Entry::Tcp { tls: Some(_), .. } | Entry::Http(_, Some(_))
        )
    });
    if !any_tls {
        tls::unused(&args.tls_args, "no target is https:// or tls://")?;
    }
    let load = Load::from_args(&args.load, DEFAULT_DURATION)?;

    let mut rows = Vec::with_capacity(entries.len());
    for entry in &entries {
        if interrupt.requested() {
            break;
        }
        let label = entry.label();
        let report = match entry {
            Entry::Model(model) => {
                let server = ServeProcess::start(*model)?;
                let exchange = TcpExchange::new(None, None);
                let report = measure(
                    Kind::Tcp,
                    &label,
                    server.addr,
                    &exchange,
                    &load,
                    None,
                    interrupt,
                );
                server.stop();
                report?
            }
            Entry::Tcp { addr, tls, .. } => {
                let exchange = TcpExchange::new(None, None);
                measure(
                    Kind::Tcp,
                    &label,
                    *addr,
                    &exchange,
                    &load,
                    tls.clone(),
                    interrupt,
                )?
            }
            Entry::Http(target, tls) => measure(
                Kind::Http,
                &label,
                target.addr,
                &target.exchange,
                &load,
                tls.clone(),
                interrupt,
            )?,
        };
        rows.push((label, report));
    }

    let kinds: Vec<Kind> = entries.iter().map(Entry::kind).collect();
    let unit = if kinds.iter().all(|&kind| kind == Kind::Http) {
        Kind::Http.per_second()
    } else if kinds.iter().all(|&kind| kind == Kind::Tcp) {
        Kind::Tcp.per_second()
    } else {
        "per second"
    };
    let bars: Vec<Bar> = rows
        .iter()
        .map(|(label, report)| Bar {
            label: label.clone(),
            rate: report.rate(),
        })
        .collect();

    let mut out = std::io::stdout().lock();
    if load.json {
        let results: Vec<Value> = rows
            .iter()
            .map(|(label, report)| {
                let mut object = report.json();
                object["label"] = json!(label);
                object
            })
            .collect();
        serde_json::to_writer(&mut out, &json!({ "results": results }))
            .context("write the summary")?;
        out.write_all(b"\n").context("write the summary")?;
    } else {
        let text = format!(
            "{}\n{}\n{}",
            heading(&load, entries.first().map_or(Kind::Tcp, Entry::kind)),
            table(&rows, unit),
            chart::terminal(&bars, unit)
        );
        out.write_all(text.as_bytes())
            .context("write the summary")?;
    }
    out.flush().context("write the summary")?;

    if let (Some(svg), Some(path)) = (svg, &args.svg) {
        let first = entries.first().map_or(Kind::Tcp, Entry::kind);
        let title = format!("netlab {}", heading(&load, first));
        // One panel per kind of target, in the order they were first given.
        let mut panels: Vec<(Kind, chart::Panel<'_>)> = Vec::new();
        for (entry, bar) in entries.iter().zip(&bars) {
            let kind = entry.kind();
            match panels.iter_mut().find(|(k, _)| *k == kind) {
                Some((_, panel)) => panel.bars.push(bar),
                None => panels.push((
                    kind,
                    chart::Panel {
                        unit: kind.per_second(),
                        bars: vec![bar],
                    },
                )),
            }
        }
        let panels: Vec<chart::Panel<'_>> = panels.into_iter().map(|(_, panel)| panel).collect();
        let hists: Vec<chart::Hist> = rows
            .iter()
            .map(|(label, report)| chart::Hist::of(label, report.latency()))
            .collect();
        svg.write(&panels, &hists, &title)?;
        info!("netlab bench compare: chart written to {}", path.display());
    }
    for (_, report) in &rows {
        report.verdict()?;
    }
    for (_, report) in &rows {
        super::threshold::check(report, &load.thresholds)?;
    }
    Ok(())
}

/// `8 connections, 3s each`.
fn heading(load: &Load, kind: Kind) -> String {
    let each = match load.limit {
        super::engine::Limit::Duration(duration) => format!("{} each", Secs(duration)),
        super::engine::Limit::Count(count) => format!("{} {} each", Count(count), kind.unit()),
    };
    format!(
        "bench compare: {} connection{}, {each}",
        load.connections,
        if load.connections == 1 { "" } else { "s" }
    )
}

/// One row per server: rate, p50, p99, failures.
fn table(rows: &[(String, Report)], unit: &str) -> String {
    let width = rows
        .iter()
        .map(|(label, _)| label.chars().count())
        .chain(["server".len()])
        .max()
        .unwrap_or(6);
    let mut out = format!(
        "{:<width$}  {:>12}  {:>10}  {:>10}  {:>8}\n",
        "server", unit, "p50", "p99", "errors"
    );
    for (label, report) in rows {
        out.push_str(&format!(
            "{label:<width$}  {:>12}  {:>10}  {:>10}  {:>8}\n",
            Rate(report.rate()).to_string(),
            latency(report, 0.5),
            latency(report, 0.99),
            Count(report.failed()).to_string(),
        ));
    }
    out
}

/// A latency quantile for the table; `-` when nothing completed.
fn latency(report: &Report, quantile: f64) -> String {
    if report.outcome.tally.ok == 0 {
        "-".to_string()
    } else {
        Micros(report.quantile(quantile)).to_string()
    }
}

/// A `netlab serve` started for one measurement; killed and reaped on drop whatever happens.
struct ServeProcess {
    child: Child,
    addr: SocketAddr,
}

impl ServeProcess {
    /// Start `netlab serve --model M --port 0 --quiet` and read its address from the first
    /// stderr line (bounded wait).
    fn start(model: Model) -> anyhow::Result<ServeProcess> {
        let exe = std::env::current_exe().context("find the netlab binary")?;
        let what = format!("netlab serve --model {}", model.name());
        let mut child = Command::new(exe)
            .args(["serve", "--model", model.name(), "--port", "0", "--quiet"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("start {what}"))?;
        let Some(stderr) = child.stderr.take() else {
            anyhow::bail!("start {what}: no stderr pipe");
        };
        let (tx, rx) = mpsc::channel();
        // Reads the first line, then keeps draining so the server never blocks on a full pipe.
        thread::spawn(move || {
            let mut reader = BufReader::new(stderr);
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            let _ = tx.send(line);
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        });
        let mut server = ServeProcess {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        };
        let line = rx
            .recv_timeout(START_WAIT)
            .with_context(|| format!("{what} did not start within {}", Secs(START_WAIT)))?;
        server.addr = listening_addr(&line).with_context(|| {
            let said = line.trim();
            if said.is_empty() {
                format!("{what} exited without saying where it listens")
            } else {
                format!("{what} did not start: {said}")
            }
        })?;
        Ok(server)
    }

    /// SIGTERM, a bounded wait for the clean stop, then SIGKILL.
    fn stop(mut self) {
        use nix::sys::signal::{Signal, kill};
        use nix::unistd::Pid;
        if let Ok(pid) = i32::try_from(self.child.id()) {
            let _ = kill(Pid::from_raw(pid), Signal::SIGTERM);
        }
        let deadline = Instant::now() + STOP_WAIT;
        while Instant::now() < deadline {
            match self.child.try_wait() {
                Ok(Some(_)) | Err(_) => return,
                Ok(None) => thread::sleep(Duration::from_millis(5)),
            }
        }
        warn!(
            "netlab serve (pid {}) did not stop within {}; killed",
            self.child.id(),
            Secs(STOP_WAIT)
        );
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// The address in `netlab serve: listening on tcp://127.0.0.1:43117 (model thread)`.
fn listening_addr(line: &str) -> Option<SocketAddr> {
    let location = line
        .split("listening on ")
        .nth(1)?
        .split_whitespace()
        .next()?;
    let authority = location.split("://").last()?.trim_end_matches('/');
    authority.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_from_the_first_line() {
        assert_eq!(
            listening_addr("netlab serve: listening on tcp://127.0.0.1:43117 (model thread)\n"),
            Some("127.0.0.1:43117".parse().unwrap())
        );
        assert_eq!(
            listening_addr("netlab serve: listening on tcp://[::1]:80 (model poll)"),
            Some("[::1]:80".parse().unwrap())
        );
        assert_eq!(
            listening_addr("netlab: bind 127.0.0.1:1: permission denied"),
            None
        );
    }
}
