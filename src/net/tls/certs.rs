//! What a certificate says, read from its DER: subject, issuer, names, validity, key type, for
//! `-v` and the messages.

use super::*;

/// Each certificate of a chain as `-v` shows it, a few lines each (the server's own first).
pub fn describe_chain(certs: &[CertificateDer<'_>]) -> Vec<String> {
    let mut lines = Vec::new();
    for (n, cert) in certs.iter().enumerate() {
        match summary(cert) {
            Some(info) => {
                lines.push(format!(
                    "certificate {n}: subject {}, issuer {}",
                    info.subject, info.issuer
                ));
                lines.push(format!(
                    "  valid {} to {}; {} key; names {}",
                    info.not_before,
                    info.not_after,
                    info.key,
                    if info.names.is_empty() {
                        "(none)".to_string()
                    } else {
                        info.names.join(", ")
                    }
                ));
            }
            None => lines.push(format!("certificate {n}: (not readable here)")),
        }
        lines.push(format!("  sha256 {}", fingerprint(cert)));
    }
    lines
}

/// A certificate's subject and issuer, as `CN=…, O=…`.
pub fn names_of(cert: &CertificateDer<'_>) -> Option<(String, String)> {
    summary(cert).map(|info| (info.subject, info.issuer))
}

/// What people look at in a certificate (as `openssl x509 -text` shows it, briefly).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertSummary {
    pub subject: String,
    pub issuer: String,
    /// `2026-12-03 13:05:02 UTC`.
    pub not_before: String,
    pub not_after: String,
    /// The subject alternative names: DNS names and IP addresses.
    pub names: Vec<String>,
    /// `RSA`, `ECDSA P-256`, `Ed25519` …
    pub key: String,
}

/// A certificate's summary, read from its DER without a full X.509 parse (`None`: not a
/// certificate this reader follows).
pub fn summary(cert: &CertificateDer<'_>) -> Option<CertSummary> {
    let (_, certificate, _) = der(cert.as_ref())?;
    let (_, mut tbs, _) = der(certificate)?;
    let mut field = || {
        let (tag, content, rest) = der(tbs)?;
        tbs = rest;
        Some((tag, content))
    };
    let (mut tag, _) = field()?;
    if tag == 0xA0 {
        // The version; the serial number follows.
        (tag, _) = field()?;
    }
    if tag != 0x02 {
        return None;
    }
    let _signature = field()?;
    let (_, issuer) = field()?;
    let (_, validity) = field()?;
    let (_, subject) = field()?;
    let (_, spki) = field()?;
    let mut names = Vec::new();
    while let Some((tag, content)) = field() {
        if tag == 0xA3 {
            names = alt_names(content);
        }
    }
    let (_, not_before, rest) = der(validity)?;
    let (_, not_after, _) = der(rest)?;
    Some(CertSummary {
        subject: name(subject),
        issuer: name(issuer),
        not_before: time(not_before),
        not_after: time(not_after),
        names,
        key: key_kind(spki),
    })
}

pub(super) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Why a certificate is not valid at `now` (Unix seconds): expired, or not valid yet.
pub(super) fn out_of_date(info: &CertSummary, now: u64) -> Option<String> {
    match validity(info, now) {
        Err(rustls::CertificateError::Expired) => Some(format!("expired on {}", info.not_after)),
        Err(_) => Some(format!("is not valid before {}", info.not_before)),
        Ok(()) => None,
    }
}

/// Whether `now` (Unix seconds) is within the certificate's validity.
pub(super) fn validity(info: &CertSummary, now: u64) -> Result<(), rustls::CertificateError> {
    let (y, mo, d, h, mi, s) = crate::net::fmt::civil(now);
    // The summary's times and this one sort as text: fixed width, most significant first.
    let now = format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02} UTC");
    if now > info.not_after {
        Err(rustls::CertificateError::Expired)
    } else if now < info.not_before {
        Err(rustls::CertificateError::NotValidYet)
    } else {
        Ok(())
    }
}

/// `YYMMDDHHMMSSZ` (UTCTime) or `YYYYMMDDHHMMSSZ` (GeneralizedTime) as `YYYY-MM-DD HH:MM:SS UTC`.
pub(super) fn time(text: &[u8]) -> String {
    let text = String::from_utf8_lossy(text);
    let digits = text.trim_end_matches('Z');
    let full = match digits.len() {
        12 => {
            let year: u32 = digits[..2].parse().unwrap_or(0);
            format!("{}{digits}", if year >= 50 { "19" } else { "20" })
        }
        14 => digits.to_string(),
        _ => return text.into_owned(),
    };
    format!(
        "{}-{}-{} {}:{}:{} UTC",
        &full[..4],
        &full[4..6],
        &full[6..8],
        &full[8..10],
        &full[10..12],
        &full[12..14]
    )
}

/// The subject alternative names in a certificate's extensions.
pub(super) fn alt_names(extensions: &[u8]) -> Vec<String> {
    let mut names = Vec::new();
    let Some((_, mut list, _)) = der(extensions) else {
        return names;
    };
    while let Some((_, extension, rest)) = der(list) {
        list = rest;
        let Some((_, oid, mut rest)) = der(extension) else {
            continue;
        };
        if oid != [0x55, 0x1D, 0x11] {
            continue;
        }
        // An optional `critical` flag, then the value.
        while let Some((tag, value, after)) = der(rest) {
            rest = after;
            if tag != 0x04 {
                continue;
            }
            let Some((_, mut general, _)) = der(value) else {
                continue;
            };
            while let Some((tag, item, after)) = der(general) {
                general = after;
                match (tag, item.len()) {
                    (0x82, _) => names.push(String::from_utf8_lossy(item).into_owned()),
                    (0x87, 4) => {
                        let ip: [u8; 4] = item.try_into().unwrap_or_default();
                        names.push(std::net::Ipv4Addr::from(ip).to_string());
                    }
                    (0x87, 16) => {
                        let ip: [u8; 16] = item.try_into().unwrap_or_default();
                        names.push(std::net::Ipv6Addr::from(ip).to_string());
                    }
                    _ => {}
                }
            }
        }
    }
    names
}

/// The kind of public key in a SubjectPublicKeyInfo.
pub(super) fn key_kind(spki: &[u8]) -> String {
    let algorithm = der(spki).and_then(|(_, alg, _)| der(alg).map(|(_, oid, rest)| (oid, rest)));
    let Some((oid, params)) = algorithm else {
        return "unknown".into();
    };
    let curve = der(params).map(|(_, oid, _)| oid);
    match oid {
        [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01] => "RSA".into(),
        [0x2B, 0x65, 0x70] => "Ed25519".into(),
        [0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01] => match curve {
            Some([0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07]) => "ECDSA P-256".into(),
            Some([0x2B, 0x81, 0x04, 0x00, 0x22]) => "ECDSA P-384".into(),
            Some([0x2B, 0x81, 0x04, 0x00, 0x23]) => "ECDSA P-521".into(),
            _ => "ECDSA".into(),
        },
        _ => "unknown".into(),
    }
}

/// One DER element: its tag, its content, and what follows it.
pub(super) fn der(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let len = rest[..count]
            .iter()
            .fold(0usize, |n, &b| (n << 8) | usize::from(b));
        rest = &rest[count..];
        len
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

/// A distinguished name as people read it: `CN=localhost, O=Example`.
pub(super) fn name(mut rdns: &[u8]) -> String {
    let mut parts = Vec::new();
    while let Some((_, set, rest)) = der(rdns) {
        rdns = rest;
        let Some((_, pair, _)) = der(set) else {
            continue;
        };
        let Some((_, oid, value)) = der(pair) else {
            continue;
        };
        let Some((tag, text, _)) = der(value) else {
            continue;
        };
        let key = match oid {
            [0x55, 0x04, 0x03] => "CN",
            [0x55, 0x04, 0x06] => "C",
            [0x55, 0x04, 0x07] => "L",
            [0x55, 0x04, 0x08] => "ST",
            [0x55, 0x04, 0x0A] => "O",
            [0x55, 0x04, 0x0B] => "OU",
            _ => continue,
        };
        if matches!(tag, 0x0C | 0x13 | 0x16 | 0x14) {
            parts.push(format!("{key}={}", String::from_utf8_lossy(text)));
        }
    }
    if parts.is_empty() {
        "(no name)".into()
    } else {
        parts.join(", ")
    }
}
