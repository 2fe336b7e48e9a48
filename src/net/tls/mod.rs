//! TLS on a TCP socket, for every verb: the session ([`Tls`], one more kind of
//! [`Stream`](super::Stream)), what a server presents ([`ServerTls`]: a certificate from PEM
//! files or a fresh self-signed one) and what a client trusts ([`client_config`]: the system's
//! CA store and the bundled Mozilla roots, or `--cacert`).
//!
//! The rooms: `session.rs` the session on its socket, `server.rs` what a server presents,
//! `client.rs` what a client trusts and how a failed handshake is put in words, `certs.rs` what a
//! certificate says (subject, names, validity, key), for `-v` and the messages.
//!
//! One crypto provider for the whole binary: ring (see Cargo.toml). A session is a rustls
//! connection behind a lock next to its socket, so it reads and writes through a shared
//! reference as a socket does: an event loop reads while it holds the connection's other state,
//! and `connect` sends on one thread while it receives on another. The lock is never held while
//! waiting on the socket: every socket call is made with `MSG_DONTWAIT`, and a blocking caller
//! waits in poll(2) with the lock released (its timeouts are kept here, not on the socket).

use std::io::{self, IoSlice, Read, Write};
use std::net::TcpStream;
use std::os::fd::AsFd;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, ServerConfig, SignatureScheme};

use crate::exit::Code;

/// The one crypto provider.
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

pub(super) const VERSIONS: &[&rustls::SupportedProtocolVersion] =
    &[&rustls::version::TLS13, &rustls::version::TLS12];

mod certs;
mod client;
mod reload;
mod server;
mod session;

pub use certs::*;
pub use client::*;
pub use server::*;
pub use session::*;
// The rooms' helpers for each other (`pub(super)`).
#[allow(unused_imports)] // used by the rooms, through their `use super::*`
use {certs::*, client::*, server::*, session::*};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_out_of_a_certificate() {
        let (chain, _) =
            self_signed(&["localhost".into(), "127.0.0.1".into(), "::1".into()]).unwrap();
        let info = summary(&chain[0]).unwrap();
        assert_eq!(info.subject, "CN=netlab self-signed");
        assert_eq!(info.issuer, "CN=netlab self-signed");
        assert_eq!(info.names, ["localhost", "127.0.0.1", "::1"]);
        assert_eq!(info.key, "ECDSA P-256");
        // rcgen's default validity.
        assert_eq!(info.not_before, "1975-01-01 00:00:00 UTC");
        assert_eq!(info.not_after, "4096-01-01 00:00:00 UTC");
        assert_eq!(fingerprint(&chain[0]).len(), 32 * 3 - 1);
        assert_eq!(out_of_date(&info, 1_800_000_000), None);
        let old = CertSummary {
            not_after: "2020-01-01 00:00:00 UTC".into(),
            ..info.clone()
        };
        assert_eq!(
            out_of_date(&old, 1_800_000_000).as_deref(),
            Some("expired on 2020-01-01 00:00:00 UTC")
        );
    }

    /// A self-signed certificate marked CA:TRUE, as `openssl req -x509` makes.
    fn ca_true(names: &[String]) -> (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
        let mut params = rcgen::CertificateParams::new(names.to_vec()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        let der = PrivateKeyDer::try_from(key.serialize_der()).unwrap();
        (vec![cert.der().clone()], der)
    }

    #[test]
    fn sessions_carry_bytes_both_ways_with_either_kind_of_self_signed_certificate() {
        let names = vec!["localhost".to_string()];
        echo_once(self_signed(&names).unwrap());
        echo_once(ca_true(&names));
    }

    /// One echo over loopback through a server with this certificate, trusted as --cacert.
    fn echo_once((chain, key): (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)) {
        let server = ServerConfig::builder_with_provider(provider())
            .with_protocol_versions(VERSIONS)
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain.clone(), key)
            .unwrap();
        let (client, _) = client_config(Trust::CaCert(chain), Vec::new(), None).unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = Arc::new(server);
        let echo = std::thread::spawn(move || {
            let (socket, _) = listener.accept().unwrap();
            let tls = Tls::server(&server, socket).unwrap();
            tls.handshake(Duration::from_secs(5)).unwrap();
            let mut buf = [0u8; 100];
            let n = tls.read(&mut buf).unwrap();
            tls.write(&buf[..n]).unwrap();
        });
        let socket = TcpStream::connect(addr).unwrap();
        let name = ServerName::try_from("localhost").unwrap();
        let tls = Tls::client(&client, name, socket).unwrap();
        tls.handshake(Duration::from_secs(5)).unwrap();
        tls.write(b"hello").unwrap();
        let mut buf = [0u8; 100];
        let n = tls.read(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"hello");
        echo.join().unwrap();
    }
}
