//! What a TLS server presents: a certificate and key from PEM files, or a fresh self-signed one
//! for the names and addresses it binds, and its fingerprint.

use super::*;

/// What a TLS server presents, checked and ready.
#[derive(Clone)]
pub struct ServerTls {
    pub config: Arc<ServerConfig>,
    /// The SHA-256 of the certificate, `AB:CD:…`.
    pub fingerprint: String,
    pub handshake_timeout: Duration,
    /// What to say after the `listening on` line: the certificate is out of date.
    pub warning: Option<String>,
    /// Clients must present a certificate (`--tls-client-ca`).
    pub verifies_clients: bool,
}

impl std::fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerTls")
            .field("fingerprint", &self.fingerprint)
            .finish()
    }
}

impl ServerTls {
    /// From the flags: `None` without TLS. `names` are what a self-signed certificate is made
    /// for (the host as typed and the addresses bound); `alpn` what the server speaks. Every
    /// failure is bad input (exit 2).
    pub fn from_args(
        args: &crate::cli::TlsArgs,
        names: &[String],
        alpn: &[&[u8]],
    ) -> anyhow::Result<Option<ServerTls>> {
        let (chain, key) = match (&args.tls_cert, &args.tls_key) {
            (Some(cert), Some(key)) => (read_certs(cert, "--tls-cert")?, read_key(key)?),
            (None, None) if args.tls => self_signed(names)?,
            (None, None) if args.tls_save_cert.is_some() => {
                return Err(Code::Usage.error("--tls-save-cert needs --tls or --tls-cert"));
            }
            (None, None) if args.tls_client_ca.is_some() => {
                return Err(Code::Usage.error("--tls-client-ca needs --tls or --tls-cert"));
            }
            (None, None) => return Ok(None),
            (Some(_), None) => return Err(Code::Usage.error("--tls-cert needs --tls-key")),
            (None, Some(_)) => return Err(Code::Usage.error("--tls-key needs --tls-cert")),
        };
        let fingerprint = fingerprint(&chain[0]);
        // Served all the same (a lab may want to show what clients make of it), with a warning
        // for after the `listening on` line.
        let warning = summary(&chain[0])
            .and_then(|info| out_of_date(&info, unix_now()))
            .map(|why| format!("--tls-cert: the certificate {why}; clients will refuse it"));
        if let Some(path) = &args.tls_save_cert {
            let pem: String = chain.iter().map(|cert| pem_of(cert)).collect();
            std::fs::write(path, pem).map_err(|err| {
                Code::Usage.error(format!(
                    "--tls-save-cert {}: {}",
                    path.display(),
                    crate::net::error_text(&err)
                ))
            })?;
        }
        let builder = ServerConfig::builder_with_provider(provider())
            .with_protocol_versions(VERSIONS)
            .context("TLS versions")?;
        let builder = match &args.tls_client_ca {
            Some(path) => builder.with_client_cert_verifier(client_verifier(path)?),
            None => builder.with_no_client_auth(),
        };
        // Files can be read again: a resolver whose pair SIGHUP swaps.
        let from_files = args.tls_cert.is_some();
        let current = reload::Current::new(reload::certified(chain, key, args)?);
        let mut config = builder.with_cert_resolver(Arc::clone(&current) as _);
        if from_files {
            reload::on_hangup(current, args)?;
        }
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        // Resumption: tickets (TLS 1.3 and 1.2) beside the default in-memory session cache.
        config.ticketer = rustls::crypto::ring::Ticketer::new().context("TLS session tickets")?;
        Ok(Some(ServerTls {
            config: Arc::new(config),
            fingerprint,
            handshake_timeout: args.tls_handshake_timeout,
            warning,
            verifies_clients: args.tls_client_ca.is_some(),
        }))
    }

    /// What the first stderr line adds: `TLS sha256 AB:CD:…`.
    pub fn summary(&self) -> String {
        format!("TLS sha256 {}", self.fingerprint)
    }

    /// The server's side of a connection just accepted. Without Nagle: TLS writes whole
    /// records, and after the handshake the session tickets and the first reply are two small
    /// writes, the second held for a delayed ACK (40 ms a connection in `serve --model serial`).
    pub fn accept(&self, socket: TcpStream) -> io::Result<crate::net::Stream> {
        socket.set_nodelay(true)?;
        Ok(crate::net::Stream::Tls(Arc::new(Tls::server(
            &self.config,
            socket,
        )?)))
    }
}

/// `--tls-client-ca`: a client certificate is required, and must be signed by one of these.
fn client_verifier(
    path: &Path,
) -> anyhow::Result<Arc<dyn rustls::server::danger::ClientCertVerifier>> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in read_certs(path, "--tls-client-ca")? {
        roots.add(cert).map_err(|err| {
            Code::Usage.error(format!(
                "--tls-client-ca {}: not a CA certificate webpki can use ({err})",
                path.display()
            ))
        })?;
    }
    rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
        .build()
        .map_err(|err| Code::Usage.error(format!("--tls-client-ca {}: {err}", path.display())))
}

pub(super) fn key_error(err: &rustls::Error, args: &crate::cli::TlsArgs) -> anyhow::Error {
    let key = args
        .tls_key
        .as_deref()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let cert = args
        .tls_cert
        .as_deref()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    match err {
        rustls::Error::InconsistentKeys(_) => Code::Usage.error(format!(
            "--tls-key {key} does not match the certificate in --tls-cert {cert} (is it the key \
             that certificate was made for?)"
        )),
        rustls::Error::General(why) => Code::Usage.error(format!(
            "--tls-key {key}: not a key this server can use ({why}; RSA, ECDSA P-256/P-384 and \
             Ed25519 keys work)"
        )),
        other => Code::Usage.error(format!("--tls-cert {cert} with --tls-key {key}: {other}")),
    }
}

/// A fresh self-signed certificate (ECDSA P-256) for `names`.
pub(super) fn self_signed(
    names: &[String],
) -> anyhow::Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)> {
    let mut params =
        rcgen::CertificateParams::new(names.to_vec()).context("make a TLS certificate")?;
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "netlab self-signed");
    let key = rcgen::KeyPair::generate().context("make a TLS key")?;
    let cert = params.self_signed(&key).context("make a TLS certificate")?;
    let der = PrivateKeyDer::try_from(key.serialize_der())
        .map_err(|why| anyhow::anyhow!("make a TLS key: {why}"))?;
    Ok((vec![cert.der().clone()], der))
}

/// The names a self-signed certificate is made for: the host as typed and every address bound
/// (for an unspecified address, `localhost` and the loopback addresses).
pub fn names_for(host: &str, addrs: &[std::net::SocketAddr]) -> Vec<String> {
    let mut names = Vec::new();
    let mut add = |name: String| {
        if !names.contains(&name) {
            names.push(name);
        }
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if bare.parse::<std::net::IpAddr>().is_err() && !bare.is_empty() {
        add(bare.to_string());
    }
    for addr in addrs {
        if addr.ip().is_unspecified() {
            add("localhost".into());
            add("127.0.0.1".into());
            add("::1".into());
        } else {
            add(addr.ip().to_string());
        }
    }
    names
}

/// The SHA-256 of a certificate, in upper-case hex pairs joined by colons (as openssl prints).
pub fn fingerprint(cert: &CertificateDer<'_>) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, cert.as_ref());
    digest
        .as_ref()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

pub(super) fn pem_of(cert: &CertificateDer<'_>) -> String {
    use base64::Engine as _;
    let text = base64::engine::general_purpose::STANDARD.encode(cert.as_ref());
    let mut pem = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in text.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(line));
        pem.push('\n');
    }
    pem.push_str("-----END CERTIFICATE-----\n");
    pem
}

/// The file's bytes, or a usage error naming the flag.
pub(super) fn read_file(path: &Path, flag: &str) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).map_err(|err| {
        Code::Usage.error(format!(
            "{flag} {}: {}",
            path.display(),
            crate::net::error_text(&err)
        ))
    })
}

/// Every certificate in a PEM file (a chain, a bundle), in order; a file with none is bad
/// input.
pub fn read_certs(path: &Path, flag: &str) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let bytes = read_file(path, flag)?;
    let mut certs = Vec::new();
    for item in CertificateDer::pem_slice_iter(&bytes) {
        match item {
            Ok(cert) => certs.push(cert),
            Err(err) => {
                return Err(Code::Usage.error(format!(
                    "{flag} {}: not a readable PEM file ({err})",
                    path.display()
                )));
            }
        }
    }
    if certs.is_empty() {
        return Err(Code::Usage.error(format!(
            "{flag} {}: no certificate in it (a PEM file with -----BEGIN CERTIFICATE----- is \
             needed)",
            path.display()
        )));
    }
    Ok(certs)
}

pub(super) fn read_key(path: &Path) -> anyhow::Result<PrivateKeyDer<'static>> {
    read_key_for(path, "--tls-key")
}

/// A client's certificate and key for mutual TLS (`--cert FILE --key FILE`).
pub type Identity = (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>);

/// `--cert` and `--key`, read: both or neither.
pub fn read_identity(cert: Option<&Path>, key: Option<&Path>) -> anyhow::Result<Option<Identity>> {
    match (cert, key) {
        (Some(cert), Some(key)) => Ok(Some((
            read_certs(cert, "--cert")?,
            read_key_for(key, "--key")?,
        ))),
        (None, None) => Ok(None),
        (Some(_), None) => Err(Code::Usage.error("--cert needs --key")),
        (None, Some(_)) => Err(Code::Usage.error("--key needs --cert")),
    }
}

fn read_key_for(path: &Path, flag: &str) -> anyhow::Result<PrivateKeyDer<'static>> {
    let bytes = read_file(path, flag)?;
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|_| {
        Code::Usage.error(format!(
            "{flag} {}: no private key in it (a PEM file with -----BEGIN PRIVATE KEY-----, \
             RSA PRIVATE KEY or EC PRIVATE KEY is needed; an encrypted key is not read)",
            path.display()
        ))
    })
}

// ---------------------------------------------------------------------------------------------
// What a client trusts.

/// Why a handshake failed, as the server's log says it: the client-certificate cases of
/// `--tls-client-ca` in words (rustls's own text for them is a debug value), every other
/// case as rustls puts it.
pub fn refusal(err: &rustls::Error) -> String {
    use rustls::CertificateError as Cert;
    let what = match err {
        rustls::Error::NoCertificatesPresented => {
            return "the client sent no certificate (--tls-client-ca asks for one)".to_string();
        }
        rustls::Error::InvalidCertificate(cert) => match cert {
            Cert::UnknownIssuer => "is not signed by a CA of --tls-client-ca".to_string(),
            Cert::Expired | Cert::ExpiredContext { .. } => "has expired".to_string(),
            Cert::NotValidYet | Cert::NotValidYetContext { .. } => "is not valid yet".to_string(),
            Cert::Revoked => "is revoked".to_string(),
            Cert::BadSignature => "has a signature that does not verify".to_string(),
            Cert::BadEncoding => "cannot be read (bad DER)".to_string(),
            Cert::InvalidPurpose | Cert::InvalidPurposeContext { .. } => {
                "is not for client authentication (extended key usage)".to_string()
            }
            Cert::Other(other) => format!("is unusable ({other})"),
            other => format!("is refused ({other:?})"),
        },
        other => return other.to_string(),
    };
    format!("the client certificate {what}")
}

#[cfg(test)]
mod refusal_tests {
    use super::refusal;

    #[test]
    fn client_certificate_refusals_read_as_sentences() {
        assert_eq!(
            refusal(&rustls::Error::NoCertificatesPresented),
            "the client sent no certificate (--tls-client-ca asks for one)"
        );
        let unknown = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        assert_eq!(
            refusal(&unknown),
            "the client certificate is not signed by a CA of --tls-client-ca"
        );
        let other = rustls::Error::General("boom".into());
        assert_eq!(refusal(&other), other.to_string());
    }
}
