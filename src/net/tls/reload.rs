//! SIGHUP reloads a server's `--tls-cert` and `--tls-key` from their files: new handshakes get
//! the new pair, connections already open keep theirs, and a pair that does not load (a file
//! gone, not PEM, a key that does not match) is refused with a log line, the old one kept.

use std::sync::RwLock;

use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

use super::*;

/// The certificate every new handshake presents, swapped whole on a reload.
#[derive(Debug)]
pub(super) struct Current(RwLock<Arc<CertifiedKey>>);

impl Current {
    pub(super) fn new(key: CertifiedKey) -> Arc<Current> {
        Arc::new(Current(RwLock::new(Arc::new(key))))
    }

    fn get(&self) -> Arc<CertifiedKey> {
        Arc::clone(
            &self
                .0
                .read()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        )
    }

    fn set(&self, key: CertifiedKey) {
        *self
            .0
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(key);
    }
}

impl ResolvesServerCert for Current {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.get())
    }
}

/// A chain and key, checked against each other (bad input: exit 2, naming the files).
pub(super) fn certified(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    args: &crate::cli::TlsArgs,
) -> anyhow::Result<CertifiedKey> {
    CertifiedKey::from_der(chain, key, &provider()).map_err(|err| key_error(&err, args))
}

/// Watch for SIGHUP on a thread of its own and reload the pair each time.
pub(super) fn on_hangup(current: Arc<Current>, args: &crate::cli::TlsArgs) -> anyhow::Result<()> {
    let mut signals = signal_hook::iterator::Signals::new([signal_hook::consts::SIGHUP])
        .context("watch for SIGHUP")?;
    let args = args.clone();
    std::thread::Builder::new()
        .name("tls-reload".into())
        .spawn(move || {
            for _ in signals.forever() {
                match load(&args) {
                    Ok(key) => {
                        let print = key.cert.first().map(|c| fingerprint(c)).unwrap_or_default();
                        current.set(key);
                        crate::info!("netlab: SIGHUP: TLS certificate reloaded: sha256 {print}");
                    }
                    Err(err) => crate::warn!(
                        "SIGHUP: the new TLS certificate was refused, the old one is kept: {err:#}"
                    ),
                }
            }
        })
        .context("start the SIGHUP thread")?;
    Ok(())
}

fn load(args: &crate::cli::TlsArgs) -> anyhow::Result<CertifiedKey> {
    let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) else {
        anyhow::bail!("no --tls-cert and --tls-key to read");
    };
    certified(read_certs(cert, "--tls-cert")?, read_key(key)?, args)
}
