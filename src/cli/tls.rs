//! The TLS flags both servers take (`serve` and `web` flatten [`TlsArgs`]), defined once.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::parse_positive_duration;

#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "TLS")]
pub struct TlsArgs {
    /// Speak TLS. Alone, with a fresh self-signed certificate for the host and the addresses
    /// bound, kept in memory: its SHA-256 fingerprint is on the first stderr line (save it for
    /// a client with --tls-save-cert).
    #[arg(long)]
    pub tls: bool,

    /// Speak TLS with this certificate (PEM; a chain, the server's own first).
    #[arg(long, value_name = "FILE")]
    pub tls_cert: Option<PathBuf>,

    /// The private key of --tls-cert (PEM, not encrypted: RSA, ECDSA or Ed25519).
    #[arg(long, value_name = "FILE")]
    pub tls_key: Option<PathBuf>,

    /// Ask every client for a certificate and accept only one signed by a CA in FILE (PEM):
    /// mutual TLS. The client's certificate subject is logged with its connection.
    #[arg(long, value_name = "FILE")]
    pub tls_client_ca: Option<PathBuf>,

    /// Write the certificate (PEM) to FILE, for a client's --cacert.
    #[arg(long, value_name = "FILE")]
    pub tls_save_cert: Option<PathBuf>,

    /// Close a connection whose TLS handshake has not finished within this time, so a silent
    /// client cannot hold a place.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_positive_duration)]
    pub tls_handshake_timeout: Duration,
}
