//! What a TLS run trusts, from `--cacert`, `--insecure` and `--sni`: netlab's one client
//! configuration (`net::tls::client_config`), shared by every connection of the run, so a new
//! connection resumes the session of an earlier one as a browser would.

use crate::cli::BenchTlsArgs;
use crate::exit::Code;
use crate::net;

use super::engine::TlsClient;

/// The client for `host` (`authority` is `HOST:PORT`, for messages).
pub fn client(args: &BenchTlsArgs, host: &str, authority: &str) -> anyhow::Result<TlsClient> {
    let (trust, hint) = net::tls::Trust::from_flags(args.cacert.as_deref(), args.insecure)?;
    let name = net::tls::server_name(args.sni.as_deref(), host)?;
    let (config, presented) = net::tls::client_config(trust, Vec::new(), None)?;
    Ok(TlsClient {
        config,
        name,
        host: host.to_string(),
        authority: authority.to_string(),
        hint,
        presented,
    })
}

/// `--cacert`, `--insecure` and `--sni` without TLS to apply them to: a usage error.
pub fn unused(args: &BenchTlsArgs, how: &str) -> anyhow::Result<()> {
    let given = [
        (args.cacert.is_some(), "--cacert"),
        (args.insecure, "--insecure"),
        (args.sni.is_some(), "--sni"),
    ];
    match given.iter().find(|(given, _)| *given) {
        Some((_, flag)) => Err(Code::Usage.error(format!("{flag} is for TLS: {how}"))),
        None => Ok(()),
    }
}
