//! Every command-line definition of netlab, and nothing else.
//!
//! Conventions for flags: the doc comment of a flag is its `--help` text, written for the person
//! reading `--help`; durations accept `10`, `1.5`, `500ms`, `2m`; servers bind 127.0.0.1 unless
//! `--host` says otherwise; every `--help` ends with examples. `command()` feeds the generated
//! completions and man pages (see `tests/it/assets.rs`).
//!
//! One file per verb's flags (`serve.rs`, `web.rs`, `bench.rs` …), one for the value parsers
//! they share (`values.rs`) and one that puts a usage error on one line (`usage.rs`); every type
//! is re-exported here, so the verbs say `cli::WebArgs`.

mod access;
mod bench;
mod connect;
mod explain;
mod fetch;
mod serve;
mod tls;
mod url;
mod usage;
mod values;
mod web;

pub use access::AccessArgs;
pub use bench::{
    BenchArgs, BenchCompareArgs, BenchDiffArgs, BenchHttpArgs, BenchTarget, BenchTcpArgs,
    BenchTlsArgs, LoadArgs, RequestsOrder, SvgArgs,
};
pub use connect::{ConnectArgs, ResolveArgs, StartTls};
pub use explain::{LangArg, TourArgs};
pub use fetch::{DEFAULT_RETRY_ON, FetchArgs};
pub use serve::{Model, ServeArgs};
pub use tls::TlsArgs;
pub use url::{
    InputKind, Standard, URL_ABOUT, URLDECODE_ABOUT, UrlArgs, UrldecodeArgs, UrlencodeArgs,
};
pub use values::{
    MAX_DURATION, parse_duration, parse_port, parse_positive_duration, parse_size, parse_timeout,
};
pub use web::{AuthFor, WebArgs};

use clap::{CommandFactory, Parser, Subcommand};

const EXAMPLES: &str = "Examples:
  netlab serve --port 8881              # the notes' server.py
  netlab connect 127.0.0.1:8881         # the notes' client.py
  netlab web ./site --port 0            # serve a directory over HTTP
  netlab fetch http://127.0.0.1:8000/   # print a page
  netlab urldecode -p 'https://www.baidu.com/s?wd=python%E6%95%99%E7%A8%8B'
  netlab url -s host=example.org -g '{url}' http://localhost:8000/a
  netlab bench tcp 127.0.0.1:8881 -c 8 -d 5s";

/// The whole command line: global flags and one verb.
#[derive(Debug, Parser)]
#[command(
    name = "netlab",
    version,
    // `-V` prints the bare version; `--version` adds the commit of a build from a checkout.
    long_version = env!("NETLAB_LONG_VERSION"),
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

    /// Narrate each socket call on stderr as it is made, with what it means (serve, connect;
    /// web and fetch also annotate the HTTP heads).
    #[arg(long, global = true, help_heading = "Global options")]
    pub explain: bool,

    /// The language of --explain [default: from LC_ALL, LC_MESSAGES or LANG].
    #[arg(
        long,
        global = true,
        value_name = "LANG",
        help_heading = "Global options"
    )]
    pub lang: Option<LangArg>,

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
    // Boxed: fetch has the most flags by far (clippy::large_enum_variant).
    Fetch(Box<FetchArgs>),
    /// Percent-decode URLs and query strings, or break them into their parts.
    #[command(long_about = URLDECODE_ABOUT)]
    Urldecode(UrldecodeArgs),
    /// Percent-encode text for a URL component, form or path.
    Urlencode(UrlencodeArgs),
    /// Change URLs and print their parts, with trurl's options, by RFC 3986 or WHATWG.
    #[command(long_about = URL_ABOUT)]
    Url(UrlArgs),
    /// Measure a TCP or HTTP server: connections or requests per second, latency percentiles.
    Bench(BenchArgs),
    /// Run the chapter's examples in order on loopback, both sides explained.
    Tour(TourArgs),
}

/// The clap command, for parsing, completions and man pages: the derive plus what cannot be a
/// literal (the exit-status table, kept once in [`crate::exit::Code`]).
pub fn command() -> clap::Command {
    let long = format!("{EXAMPLES}\n\nExit status:\n{}", crate::exit::Code::table());
    Cli::command().after_long_help(long)
}

/// Parse the process's arguments. Bad usage exits 2 with one line, `netlab: --port 99999: must
/// be a port from 0 to 65535`; `--help` and `--version` print as clap prints them.
pub fn parse() -> Cli {
    use clap::FromArgMatches;
    use clap::error::ErrorKind;
    let parsed = command()
        .try_get_matches_from(fetch::curl_spellings(std::env::args_os()))
        .and_then(|matches| Cli::from_arg_matches(&matches));
    match parsed {
        Ok(cli) => cli,
        Err(err) => match err.kind() {
            ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => err.exit(),
            _ => {
                eprintln!("netlab: {}", usage::one_line(&err));
                std::process::exit(crate::exit::Code::Usage as i32)
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_definition_is_consistent() {
        command().debug_assert();
    }
}
