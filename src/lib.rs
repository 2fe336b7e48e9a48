//! netlab: the topics of a classic network-programming chapter as shell verbs.
//!
//! `main.rs` parses the command line and calls [`run`], which hands each verb to its module.

pub mod cli;
pub mod exit;
#[macro_use]
pub mod log;
pub mod bench;
// The build script's half of `--version`, compiled here only for its tests.
#[cfg(test)]
mod buildinfo;
pub mod connect;
pub mod explain;
pub mod fetch;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod net;
pub mod serve;
pub mod url;
pub mod web;

use cli::{Cli, Command};

/// Run one verb to completion.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    log::init(cli.quiet, cli.verbose);
    let lang = cli.lang.map(|lang| match lang {
        cli::LangArg::En => explain::Lang::En,
        cli::LangArg::Zh => explain::Lang::Zh,
    });
    let narrated = matches!(
        cli.command,
        Command::Serve(_) | Command::Connect(_) | Command::Web(_) | Command::Fetch(_)
    );
    if cli.explain && !narrated {
        warn!("--explain narrates serve, connect, web and fetch; this command runs without it");
    }
    // `connect -l` listens too: its first line is where, as every server's is.
    let server = match &cli.command {
        Command::Serve(_) | Command::Web(_) => true,
        Command::Connect(args) => args.listen,
        _ => false,
    };
    explain::init(cli.explain && narrated, lang, server);
    let done = match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Connect(args) => connect::run(args),
        Command::Resolve(args) => connect::resolve(args),
        Command::Web(args) => web::run(args),
        Command::Fetch(args) => fetch::run(*args),
        Command::Urldecode(args) => url::decode_command(args),
        Command::Urlencode(args) => url::encode_command(args),
        Command::Url(args) => url::url_command(args),
        Command::Bench(args) => bench::run(args),
        Command::Tour(args) => explain::tour::run(args, lang),
    };
    explain::finish();
    done
}
