//! Which certificates `fetch` trusts: `--cacert` alone when given (as curl), otherwise the system's
//! CA store and the bundled Mozilla roots together, so a machine without `ca-certificates` still
//! reaches public sites and a company CA installed in the system store is still trusted.

use std::sync::Arc;

use ureq::tls::{Certificate, RootCerts, TlsConfig, TlsProvider};

use super::request::Plan;

/// The TLS settings of every https hop.
pub fn config(plan: &Plan) -> TlsConfig {
    let builder = TlsConfig::builder()
        .provider(TlsProvider::Rustls)
        .unversioned_rustls_crypto_provider(Arc::new(rustls::crypto::ring::default_provider()));
    if plan.insecure {
        return builder.disable_verification(true).build();
    }
    let roots = match &plan.cacert {
        Some(certs) => RootCerts::new_with_certs(certs),
        None => system_and_bundled(),
    };
    builder.root_certs(roots).build()
}

fn system_and_bundled() -> RootCerts {
    let system = rustls_native_certs::load_native_certs();
    for err in &system.errors {
        crate::debug!("* system CA store: {err}");
    }
    crate::debug!(
        "* trusting {} system and {} bundled CA certificates",
        system.certs.len(),
        webpki_root_certs::TLS_SERVER_ROOT_CERTS.len()
    );
    let system = system
        .certs
        .iter()
        .map(|der| Certificate::from_der(der.as_ref()).to_owned());
    let bundled = webpki_root_certs::TLS_SERVER_ROOT_CERTS
        .iter()
        .map(|der| Certificate::from_der(der.as_ref()).to_owned());
    RootCerts::from(system.chain(bundled))
}
