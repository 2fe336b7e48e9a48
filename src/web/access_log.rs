//! The access log: one line per request on stderr, `time client "request line" status bytes
//! duration`, built in a reused buffer and written in one call. The time is when the answer
//! went out, in ISO 8601 local time with milliseconds (`2026-12-03T13:05:02.123+08:00`, as
//! nginx's `$time_iso8601` has it, to the millisecond). A response that could not be written
//! shows `-` for status and bytes and says why last.

use std::io::{self, Write};
use std::time::{Instant, SystemTime};

use super::response::{Reply, push_decimal};

/// The first line of a head (without its line end), for the log.
pub(crate) fn request_line(head: &[u8]) -> &[u8] {
    let line = match memchr::memchr(b'\n', head) {
        Some(end) => &head[..end],
        None => &head[..head.len().min(256)],
    };
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Write the line for one request; `began` is `None` when logging is off.
pub(crate) fn write(
    log: &mut Vec<u8>,
    peer: &str,
    line: &[u8],
    reply: &io::Result<Reply>,
    began: Option<Instant>,
) {
    let Some(began) = began else { return };
    log.clear();
    crate::net::push_local_time(SystemTime::now(), log);
    log.push(b' ');
    log.extend_from_slice(peer.as_bytes());
    log.extend_from_slice(b" \"");
    escape_into(line, log);
    log.extend_from_slice(b"\" ");
    match reply {
        Ok(reply) => {
            push_decimal(log, u64::from(reply.status));
            log.push(b' ');
            push_decimal(log, reply.sent);
        }
        Err(_) => log.extend_from_slice(b"- -"),
    }
    let micros = began.elapsed().as_micros() as u64;
    log.push(b' ');
    push_decimal(log, micros / 1000);
    log.push(b'.');
    let frac = micros % 1000;
    log.extend_from_slice(&[
        b'0' + (frac / 100) as u8,
        b'0' + (frac / 10 % 10) as u8,
        b'0' + (frac % 10) as u8,
    ]);
    log.extend_from_slice(b"ms");
    if let Err(err) = reply {
        let _ = write!(log, " (write failed: {})", crate::net::error_text(err));
    }
    log.push(b'\n');
    let _ = io::stderr().lock().write_all(log);
}

/// Printable ASCII as is; `"` and `\` escaped; every other byte as `\xNN`.
pub fn escape_into(bytes: &[u8], out: &mut Vec<u8>) {
    for &b in bytes {
        match b {
            b'"' | b'\\' => {
                out.push(b'\\');
                out.push(b);
            }
            0x20..=0x7e => out.push(b),
            _ => {
                out.extend_from_slice(b"\\x");
                out.push(b"0123456789abcdef"[usize::from(b >> 4)]);
                out.push(b"0123456789abcdef"[usize::from(b & 15)]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_escaping() {
        let mut out = Vec::new();
        escape_into(b"GET /a\"b\\c\x1b\n\xe6 HTTP/1.1", &mut out);
        assert_eq!(out, br#"GET /a\"b\\c\x1b\x0a\xe6 HTTP/1.1"#);
    }
}
