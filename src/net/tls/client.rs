//! What a TLS client trusts (the system's CA store and the bundled roots, or `--cacert`), the
//! verifiers, and a failed handshake in words.

use super::*;

/// The system's CA store and the bundled Mozilla roots together, so a machine without
/// `ca-certificates` still reaches public sites and a company CA in the system store is trusted.
pub fn system_and_bundled_roots() -> Vec<CertificateDer<'static>> {
    let system = rustls_native_certs::load_native_certs();
    for err in &system.errors {
        crate::debug!("* system CA store: {err}");
    }
    crate::debug!(
        "* trusting {} system and {} bundled CA certificates",
        system.certs.len(),
        webpki_root_certs::TLS_SERVER_ROOT_CERTS.len()
    );
    let mut all = system.certs;
    all.extend(
        webpki_root_certs::TLS_SERVER_ROOT_CERTS
            .iter()
            .map(|der| der.clone().into_owned()),
    );
    all
}

/// A client's trust: `--cacert` alone when given (as curl), else the system and bundled roots;
/// or none at all (`--insecure`).
pub enum Trust {
    Default,
    CaCert(Vec<CertificateDer<'static>>),
    Insecure,
}

impl Trust {
    /// The trust `--cacert FILE` and `--insecure` ask for, with the hint a refused
    /// certificate's message ends with (the words connect and bench share).
    pub fn from_flags(
        cacert: Option<&Path>,
        insecure: bool,
    ) -> anyhow::Result<(Trust, &'static str)> {
        Ok(match (cacert, insecure) {
            (Some(path), _) => (
                Trust::CaCert(read_certs(path, "--cacert")?),
                "(is --cacert the server's certificate, or the CA that signed it?)",
            ),
            (None, true) => (Trust::Insecure, ""),
            (None, false) => (
                Trust::Default,
                "(trust it with --cacert FILE, or skip the check with --insecure)",
            ),
        })
    }
}

/// The name a client asks for: `--sni NAME` when given, else the host; a usage error when it
/// is not a host name.
pub fn server_name(
    sni: Option<&str>,
    host: &str,
) -> anyhow::Result<rustls::pki_types::ServerName<'static>> {
    let sni = sni.unwrap_or(host);
    rustls::pki_types::ServerName::try_from(sni.to_string())
        .map_err(|_| crate::exit::Code::Usage.error(format!("--sni {sni:?}: not a host name")))
}

/// The certificate a server presented last, kept by the verifier (a failed handshake leaves
/// none in the session) so that a refusal can name its subject and issuer.
pub type Presented = Arc<Mutex<Option<CertificateDer<'static>>>>;

/// A client configuration for `connect --tls`, and where its verifier keeps what it saw.
pub fn client_config(
    trust: Trust,
    alpn: Vec<Vec<u8>>,
    identity: Option<Identity>,
) -> anyhow::Result<(Arc<ClientConfig>, Presented)> {
    let builder = ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(VERSIONS)
        .context("TLS versions")?;
    let presented = Presented::default();
    let verifier: Arc<dyn ServerCertVerifier> = match trust {
        Trust::Insecure => Arc::new(Insecure(provider())),
        Trust::Default => Arc::new(Verifier::new(
            system_and_bundled_roots(),
            Vec::new(),
            Arc::clone(&presented),
        )?),
        Trust::CaCert(certs) => {
            Arc::new(Verifier::new(certs.clone(), certs, Arc::clone(&presented))?)
        }
    };
    let builder = builder
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let mut config =
        match identity {
            Some((chain, key)) => builder.with_client_auth_cert(chain, key).map_err(|err| {
                match err {
            rustls::Error::InconsistentKeys(_) => Code::Usage.error(
                "--key does not match the certificate in --cert (is it the key that certificate \
                 was made for?)",
            ),
            other => Code::Usage.error(format!("--cert with --key: {other}")),
        }
            })?,
            None => builder.with_no_client_auth(),
        };
    config.alpn_protocols = alpn;
    Ok((Arc::new(config), presented))
}

/// webpki's verification, and one thing more: a server whose certificate is itself one of the
/// `--cacert` certificates, byte for byte, is trusted as curl and OpenSSL trust it (a
/// self-signed certificate `openssl req -x509` made is marked CA:TRUE, which webpki refuses
/// as a server's own) — as long as it holds the name asked for.
#[derive(Debug)]
pub(super) struct Verifier {
    inner: Arc<rustls::client::WebPkiServerVerifier>,
    exact: Vec<CertificateDer<'static>>,
    presented: Presented,
}

impl Verifier {
    fn new(
        roots: Vec<CertificateDer<'static>>,
        exact: Vec<CertificateDer<'static>>,
        presented: Presented,
    ) -> anyhow::Result<Verifier> {
        let mut store = rustls::RootCertStore::empty();
        let (_, ignored) = store.add_parsable_certificates(roots);
        if ignored > 0 {
            crate::debug!("* {ignored} CA certificate(s) could not be read and are not trusted");
        }
        let inner = rustls::client::WebPkiServerVerifier::builder_with_provider(
            Arc::new(store),
            provider(),
        )
        .build()
        .map_err(|err| Code::Usage.error(format!("no CA certificate to trust: {err}")))?;
        Ok(Verifier {
            inner,
            exact,
            presented,
        })
    }
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        *crate::net::lock(&self.presented) = Some(end_entity.clone().into_owned());
        let verdict =
            self.inner
                .verify_server_cert(end_entity, intermediates, server_name, ocsp, now);
        match verdict {
            Ok(verified) => Ok(verified),
            // Trusted as it is: still within its dates and for the name asked.
            Err(err) if self.exact.iter().any(|c| c.as_ref() == end_entity.as_ref()) => {
                let info = summary(end_entity).ok_or_else(|| err.clone())?;
                validity(&info, now.as_secs()).map_err(rustls::Error::InvalidCertificate)?;
                webpki::EndEntityCert::try_from(end_entity)
                    .map_err(|_| err.clone())?
                    .verify_is_valid_for_subject_name(server_name)
                    .map_err(|_| {
                        rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForName)
                    })?;
                Ok(ServerCertVerified::assertion())
            }
            Err(err) => Err(err),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// `--insecure`: any certificate, though the handshake's signatures are still checked.
#[derive(Debug)]
pub(super) struct Insecure(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for Insecure {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// Why a client's handshake with `authority` (for `host`) failed, as one sentence with its exit
/// code: 60 for a certificate not trusted, 35 for everything else. `certs` are what the server
/// presented; `hint` what to do about an untrusted one.
pub fn handshake_failure(
    err: &io::Error,
    host: &str,
    authority: &str,
    certs: &[CertificateDer<'_>],
    hint: &str,
) -> anyhow::Error {
    use rustls::CertificateError as E;
    if let Some(not_tls) = not_tls(err) {
        let sample: String = not_tls
            .sample
            .chars()
            .take(24)
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        return Code::Tls.error(format!(
            "{authority} is not speaking TLS: it sent {:?} (is it a plain-text port? try without \
             --tls)",
            sample.trim_end()
        ));
    }
    let Some(tls) = rustls_error(err) else {
        if err.kind() == io::ErrorKind::UnexpectedEof {
            return Code::Tls.error(format!(
                "{authority} closed the connection during the TLS handshake (is it a TLS port?)"
            ));
        }
        return Code::Tls.error(format!(
            "TLS handshake with {authority} failed: {}",
            crate::net::error_text(err)
        ));
    };
    let whose = match certs.first().and_then(|c| names_of(c)) {
        Some((subject, issuer)) => {
            format!("the certificate of {host} (subject {subject}, issuer {issuer})")
        }
        None => format!("the certificate of {host}"),
    };
    let why = match tls {
        rustls::Error::InvalidCertificate(cert) => match cert {
            E::UnknownIssuer => format!("{whose} is signed by an unknown issuer {hint}"),
            E::BadSignature => format!("{whose} has a bad signature {hint}"),
            E::NotValidForName => {
                let holds = certs
                    .first()
                    .and_then(|c| summary(c))
                    .filter(|info| !info.names.is_empty())
                    .map(|info| format!(" (it is for {})", info.names.join(", ")))
                    .unwrap_or_default();
                format!("{whose} is not valid for {host}{holds}")
            }
            E::NotValidForNameContext { presented, .. } => format!(
                "{whose} is not valid for {host} (it is for {})",
                presented.join(", ")
            ),
            E::Expired | E::ExpiredContext { .. } => format!("{whose} has expired"),
            E::NotValidYet | E::NotValidYetContext { .. } => {
                format!("{whose} is not valid yet (is the clock right?)")
            }
            E::Revoked => format!("{whose} has been revoked"),
            other if ca_as_server(other) => {
                format!("{whose} is a CA certificate, not a server's {hint}")
            }
            other => format!("{whose} is not trusted ({other}) {hint}"),
        },
        rustls::Error::InvalidMessage(_) => {
            return Code::Tls.error(format!(
                "TLS handshake with {authority} failed: {tls} (is it a TLS server?)"
            ));
        }
        rustls::Error::AlertReceived(_) if refused_client(err, authority).is_some() => {
            return refused_client(err, authority).expect("just checked");
        }
        rustls::Error::AlertReceived(alert) => {
            return Code::Tls.error(format!(
                "TLS handshake with {authority} failed: the server refused it ({alert:?})"
            ));
        }
        other => {
            return Code::Tls.error(format!("TLS handshake with {authority} failed: {other}"));
        }
    };
    Code::Certificate.error(why)
}

/// A server under mutual TLS refused the client (it has no certificate, or one the server does
/// not trust): exit 35 with what to do. Over TLS 1.3 this comes as an alert on the first read
/// after the handshake, so the reading side asks too.
pub fn refused_client(err: &io::Error, authority: &str) -> Option<anyhow::Error> {
    use rustls::AlertDescription as A;
    let why = match rustls_error(err)? {
        rustls::Error::AlertReceived(A::CertificateRequired) => {
            "it asks for a client certificate (give one with --cert FILE --key FILE)"
        }
        rustls::Error::AlertReceived(A::BadCertificate | A::UnknownCA) => {
            "it did not accept the client certificate (is --cert signed by a CA the server \
             trusts?)"
        }
        _ => return None,
    };
    Some(Code::Tls.error(format!("{authority} refused the TLS session: {why}")))
}

/// webpki's refusal of a certificate marked CA:TRUE presented as a server's own (what
/// `openssl req -x509` makes, when it is not given as --cacert).
pub fn ca_as_server(err: &rustls::CertificateError) -> bool {
    match err {
        rustls::CertificateError::Other(other) => matches!(
            other.0.downcast_ref::<webpki::Error>(),
            Some(webpki::Error::CaUsedAsEndEntity)
        ),
        _ => false,
    }
}
