//! Compression on the fly: which content coding a client's `Accept-Encoding` prefers (RFC 9110
//! §12.5.3, q-values, `identity` and `*`), which files are worth compressing (text over 1 KiB,
//! up to 1 MiB), and the encoders, at levels chosen for speed. The compressed forms are kept by
//! `files::Encoded`, so a popular page is compressed once.

use std::io::{self, Write};

use crate::web::request::trim;

#[cfg(test)]
mod tests;

/// Files of this size or less go out as they are: the coding's header and the `Vary` cost more
/// than they save.
pub const MIN_LEN: u64 = 1024;
/// Files over this size go out as they are (with sendfile, and with `Range` and a
/// `Content-Length`), unless a precompressed sibling is beside them: compressing them on every
/// request would cost CPU a client could multiply at will, and they are not cached.
pub const MAX_LEN: u64 = 1024 * 1024;

/// A content coding netlab can produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    Br,
    Zstd,
    Gzip,
}

impl Coding {
    /// The server's preference when a client weighs codings alike: br (the smallest text at
    /// these levels, and every browser takes it), then zstd (the fastest), then gzip.
    pub const PREFERRED: [Coding; 3] = [Coding::Br, Coding::Zstd, Coding::Gzip];

    /// Its name in `Accept-Encoding` and `Content-Encoding`.
    pub fn name(self) -> &'static str {
        match self {
            Coding::Br => "br",
            Coding::Zstd => "zstd",
            Coding::Gzip => "gzip",
        }
    }

    /// The extension of a precompressed sibling (`page.html.br`).
    pub fn extension(self) -> &'static str {
        match self {
            Coding::Br => ".br",
            Coding::Zstd => ".zst",
            Coding::Gzip => ".gz",
        }
    }

    /// What the identity ETag gets before its closing quote: one ETag per encoding.
    pub fn etag_suffix(self) -> &'static str {
        match self {
            Coding::Br => "-br",
            Coding::Zstd => "-zst",
            Coding::Gzip => "-gz",
        }
    }

    /// Slot in per-coding tables.
    pub fn index(self) -> usize {
        self as usize
    }

    /// `data` compressed. Levels for speed (each well over 50 MB/s on one core, so a 1 MiB page
    /// costs a few milliseconds once), within a few per cent of the slow levels' size: gzip 5,
    /// brotli quality 5 (4 MiB window), zstd 3.
    pub fn encode(self, data: &[u8]) -> io::Result<Vec<u8>> {
        match self {
            Coding::Gzip => {
                let out = Vec::with_capacity(data.len() / 3);
                let mut gz = flate2::write::GzEncoder::new(out, flate2::Compression::new(5));
                gz.write_all(data)?;
                gz.finish()
            }
            Coding::Br => {
                let params = brotli::enc::BrotliEncoderParams {
                    quality: 5,
                    lgwin: 22,
                    size_hint: data.len(),
                    ..Default::default()
                };
                let mut out = Vec::with_capacity(data.len() / 3);
                brotli::BrotliCompress(&mut &data[..], &mut out, &params)?;
                Ok(out)
            }
            Coding::Zstd => zstd::bulk::compress(data, 3),
        }
    }
}

/// Whether a file of this type and length is compressed on the fly.
pub fn worth(mime: &str, len: u64) -> bool {
    len > MIN_LEN && len <= MAX_LEN && compressible(mime)
}

/// Text types: `text/*`, JSON, JavaScript, XML, anything `+json` or `+xml` (SVG, Atom, RSS,
/// web manifests), and WebAssembly (its code compresses by half or more). Images, audio, video,
/// fonts and archives are compressed already.
pub fn compressible(mime: &str) -> bool {
    mime.starts_with("text/")
        || mime.ends_with("+xml")
        || mime.ends_with("+json")
        || matches!(
            mime,
            "application/json"
                | "application/javascript"
                | "application/x-javascript"
                | "application/ecmascript"
                | "application/xml"
                | "application/wasm"
                | "application/x-sh"
                | "application/toml"
                | "application/yaml"
        )
}

/// The codings a client takes, best first: each with a q-value over 0 and, when the client
/// weighs identity, not below it (`identity, gzip;q=0.5` gets identity); ties go to
/// [`Coding::PREFERRED`], and a coding to identity. Empty without `Accept-Encoding`: no
/// coding is sent unasked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ranked {
    list: [Option<Coding>; 3],
}

impl Ranked {
    /// Rank the codings `Accept-Encoding: accepted` allows.
    pub fn of(accepted: &[u8]) -> Ranked {
        let mut explicit: [Option<u16>; 3] = [None; 3];
        let (mut identity, mut star) = (None, None);
        for item in accepted.split(|&b| b == b',') {
            let mut parts = item.split(|&b| b == b';');
            let name = trim(parts.next().unwrap_or_default());
            if name.is_empty() {
                continue;
            }
            let mut q = Some(1000);
            for param in parts {
                let param = trim(param);
                if let Some(value) = param
                    .strip_prefix(b"q=")
                    .or_else(|| param.strip_prefix(b"Q="))
                {
                    q = parse_q(trim(value));
                }
            }
            // A malformed weight: the item is ignored.
            let Some(q) = q else { continue };
            let slot = match name.to_ascii_lowercase().as_slice() {
                b"br" => &mut explicit[Coding::Br.index()],
                b"zstd" => &mut explicit[Coding::Zstd.index()],
                b"gzip" | b"x-gzip" => &mut explicit[Coding::Gzip.index()],
                b"identity" => &mut identity,
                b"*" => &mut star,
                _ => continue,
            };
            slot.get_or_insert(q);
        }
        // RFC 9110: `*` stands for every coding not named, identity included; identity is
        // acceptable unless `identity;q=0`, or `*;q=0` with no entry of its own. Unweighed
        // (`gzip;q=0.2` alone), it comes after every coding the client names.
        let identity = identity.or(star).unwrap_or(0);
        let mut weighed: Vec<(u16, Coding)> = Coding::PREFERRED
            .iter()
            .filter_map(|&c| {
                let q = explicit[c.index()].or(star).unwrap_or(0);
                (q > 0 && q >= identity).then_some((q, c))
            })
            .collect();
        // Stable: equal weights keep the server's order.
        weighed.sort_by_key(|&(q, _)| std::cmp::Reverse(q));
        let mut list = [None; 3];
        for (slot, (_, coding)) in list.iter_mut().zip(weighed) {
            *slot = Some(coding);
        }
        Ranked { list }
    }

    /// The codings, best first.
    pub fn iter(&self) -> impl Iterator<Item = Coding> + '_ {
        self.list.iter().map_while(|c| *c)
    }

    /// The best coding, if any.
    pub fn first(&self) -> Option<Coding> {
        self.list[0]
    }

    /// No coding is acceptable (or none was asked for).
    pub fn is_empty(&self) -> bool {
        self.list[0].is_none()
    }
}

/// A q-value in thousandths: `0` … `1`, at most three decimals (RFC 9110 §12.4.2).
fn parse_q(value: &[u8]) -> Option<u16> {
    let (int, frac) = match value.iter().position(|&b| b == b'.') {
        Some(dot) => (&value[..dot], &value[dot + 1..]),
        None => (value, &[][..]),
    };
    if int.len() != 1 || frac.len() > 3 || !frac.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut thousandths = 0u16;
    for i in 0..3 {
        let digit = frac.get(i).map_or(0, |d| u16::from(d - b'0'));
        thousandths = thousandths * 10 + digit;
    }
    match int[0] {
        b'0' => Some(thousandths),
        b'1' if thousandths == 0 => Some(1000),
        _ => None,
    }
}
