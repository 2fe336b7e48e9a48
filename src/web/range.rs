//! The `Range` request header (RFC 9110 §14): one byte range becomes a 206, a range wholly past
//! the end a 416, and everything else — a syntax error, another unit, several ranges — the whole
//! file with 200. netlab never sends `multipart/byteranges`, so a client can never make it send
//! more bytes than the file holds.

/// What to send for a `Range` header against a representation of `len` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ranged {
    /// Ignore the header: send the whole representation with 200.
    Full,
    /// Send bytes `start..=end` with 206 (`end < len`).
    Partial { start: u64, end: u64 },
    /// No range overlaps the representation: 416 with `Content-Range: bytes */len`.
    Unsatisfiable,
}

use super::request::trim;

/// How many ranges are looked at before the header is simply ignored.
pub const MAX_SPECS: usize = 64;

/// Decide what a `Range` header value asks of `len` bytes.
///
/// One satisfiable range (others past the end are dropped, as RFC 9110 allows) gives
/// [`Ranged::Partial`]; none gives [`Ranged::Unsatisfiable`]; two or more, overlapping or not,
/// give [`Ranged::Full`], as does anything malformed, a unit other than `bytes`, or an empty
/// representation.
pub fn parse_range(value: &[u8], len: u64) -> Ranged {
    let Some(set) = strip_unit(value) else {
        return Ranged::Full;
    };
    if len == 0 {
        return Ranged::Full;
    }
    let mut satisfiable: Option<(u64, u64)> = None;
    let mut specs = 0;
    for spec in set.split(|&b| b == b',') {
        let spec = trim(spec);
        if spec.is_empty() {
            // `bytes=0-1,,2-3` and a trailing comma: empty list elements are allowed (RFC 9110 §5.6.1).
            continue;
        }
        specs += 1;
        if specs > MAX_SPECS {
            return Ranged::Full;
        }
        let Some(range) = parse_spec(spec, len) else {
            return Ranged::Full;
        };
        if let Some(range) = range {
            if satisfiable.is_some() {
                // Two ranges: send the whole file rather than multipart (or, overlapping, more
                // bytes than the file).
                return Ranged::Full;
            }
            satisfiable = Some(range);
        }
    }
    match satisfiable {
        Some((start, end)) => Ranged::Partial { start, end },
        None if specs == 0 => Ranged::Full,
        None => Ranged::Unsatisfiable,
    }
}

/// `bytes=…` → `…` (the unit is case-insensitive, whitespace around `=` tolerated).
fn strip_unit(value: &[u8]) -> Option<&[u8]> {
    let value = trim(value);
    let eq = value.iter().position(|&b| b == b'=')?;
    let (unit, rest) = value.split_at(eq);
    if !trim(unit).eq_ignore_ascii_case(b"bytes") {
        return None;
    }
    Some(&rest[1..])
}

/// One byte-range-spec: `Some(Some(range))` satisfiable, `Some(None)` past the end,
/// `None` malformed.
fn parse_spec(spec: &[u8], len: u64) -> Option<Option<(u64, u64)>> {
    let dash = spec.iter().position(|&b| b == b'-')?;
    let (first, last) = (trim(&spec[..dash]), trim(&spec[dash + 1..]));
    if first.is_empty() {
        // Suffix range: the last N bytes.
        let n = number(last)?;
        if n == 0 {
            return Some(None);
        }
        return Some(Some((len.saturating_sub(n), len - 1)));
    }
    let start = number(first)?;
    let end = if last.is_empty() {
        u64::MAX
    } else {
        number(last)?
    };
    if end < start {
        return None;
    }
    if start >= len {
        return Some(None);
    }
    Some(Some((start, end.min(len - 1))))
}

/// Digits only; a number too big for u64 saturates (it is past any end anyway).
fn number(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(digits.iter().fold(0u64, |n, &d| {
        n.saturating_mul(10).saturating_add(u64::from(d - b'0'))
    }))
}

#[cfg(test)]
mod tests {
    use super::Ranged::*;
    use super::*;

    fn r(value: &str, len: u64) -> Ranged {
        parse_range(value.as_bytes(), len)
    }

    #[test]
    fn single_ranges() {
        assert_eq!(r("bytes=0-99", 1000), Partial { start: 0, end: 99 });
        assert_eq!(
            r("bytes=500-", 1000),
            Partial {
                start: 500,
                end: 999
            }
        );
        assert_eq!(
            r("bytes=-100", 1000),
            Partial {
                start: 900,
                end: 999
            }
        );
        assert_eq!(r("BYTES = 1-1", 10), Partial { start: 1, end: 1 });
        assert_eq!(r("bytes=0-0", 1), Partial { start: 0, end: 0 });
    }

    #[test]
    fn clamps_to_the_end() {
        assert_eq!(
            r("bytes=990-5000", 1000),
            Partial {
                start: 990,
                end: 999
            }
        );
        assert_eq!(r("bytes=-5000", 1000), Partial { start: 0, end: 999 });
        assert_eq!(
            r("bytes=5-99999999999999999999999", 10),
            Partial { start: 5, end: 9 }
        );
    }

    #[test]
    fn past_the_end_is_unsatisfiable() {
        assert_eq!(r("bytes=1000-", 1000), Unsatisfiable);
        assert_eq!(r("bytes=1000-2000", 1000), Unsatisfiable);
        assert_eq!(r("bytes=-0", 1000), Unsatisfiable);
        assert_eq!(r("bytes=99999999999999999999999-", 10), Unsatisfiable);
        assert_eq!(r("bytes=2000-, 3000-", 1000), Unsatisfiable);
    }

    #[test]
    fn malformed_or_foreign_is_ignored() {
        for value in [
            "",
            "bytes",
            "bytes=",
            "bytes=abc",
            "bytes=5-1",
            "bytes=1-2-3",
            "bytes=--1",
            "bytes=+1-2",
            "items=0-1",
            "bytes=0x10-",
            "bytes=1 2-3",
        ] {
            assert_eq!(r(value, 1000), Full, "{value:?}");
        }
    }

    #[test]
    fn several_ranges_send_the_whole_file() {
        assert_eq!(r("bytes=0-1,5-6", 1000), Full);
        assert_eq!(r("bytes=0-999,0-999,0-999", 1000), Full);
        assert_eq!(r("bytes=0-,-1", 1000), Full);
    }

    #[test]
    fn one_satisfiable_among_unsatisfiable() {
        assert_eq!(r("bytes=5000-, 0-9", 1000), Partial { start: 0, end: 9 });
        assert_eq!(r("bytes=0-9,", 1000), Partial { start: 0, end: 9 });
    }

    #[test]
    fn empty_file_ignores_ranges() {
        assert_eq!(r("bytes=0-", 0), Full);
        assert_eq!(r("bytes=-5", 0), Full);
    }

    #[test]
    fn too_many_specs_are_ignored() {
        let many = format!("bytes={}", vec!["2000-"; 100].join(","));
        assert_eq!(r(&many, 1000), Full);
    }

    #[test]
    fn never_more_than_the_file() {
        // A quick exhaustive sweep over small inputs.
        for len in 0..6u64 {
            for a in ["", "0", "1", "3", "5", "9"] {
                for b in ["", "0", "2", "4", "5", "99"] {
                    if let Partial { start, end } = r(&format!("bytes={a}-{b}"), len) {
                        assert!(start <= end && end < len, "{a}-{b} on {len}");
                    }
                }
            }
        }
    }
}
