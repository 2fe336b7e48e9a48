//! The `Range` header, against RFC 9110's answer for the simple forms.

use crate::web::range::{Ranged, parse_range};

/// The fuzz target for `Range`. The first byte picks the representation's length (0 to 63, or
/// 1000, or a huge one); the rest is the header value. Checked: the answer is "ignore", 416 (only
/// for a non-empty representation), or one range with start ≤ end < length; and a plain
/// `bytes=A-B`, `bytes=A-`, `bytes=-N` gives exactly what RFC 9110 says.
pub fn range(data: &[u8]) {
    let Some((&selector, value)) = data.split_first() else {
        return;
    };
    let len = match selector >> 6 {
        0 | 1 => u64::from(selector & 63),
        2 => 1000,
        _ => u64::MAX - u64::from(selector & 63),
    };
    if let Err(why) = check_range(value, len) {
        panic!(
            "{why}: Range {:?} on {len} bytes",
            String::from_utf8_lossy(value)
        );
    }
}

/// What is wrong with `parse_range(value, len)`, if anything (see [`range`]).
pub fn check_range(value: &[u8], len: u64) -> Result<(), String> {
    let got = parse_range(value, len);
    match got {
        Ranged::Full => {}
        Ranged::Unsatisfiable if len == 0 => return Err("416 for an empty file".into()),
        Ranged::Unsatisfiable => {}
        Ranged::Partial { start, end } if start <= end && end < len => {}
        Ranged::Partial { start, end } => return Err(format!("range {start}-{end}")),
    }
    if let Some(expected) = simple_range(value, len)
        && expected != got
    {
        return Err(format!("got {got:?}, RFC 9110 says {expected:?}"));
    }
    Ok(())
}

/// The answer for the simplest forms, computed the obvious way (an oracle for [`check_range`]).
fn simple_range(value: &[u8], len: u64) -> Option<Ranged> {
    let spec = std::str::from_utf8(value.strip_prefix(b"bytes=")?).ok()?;
    let (a, b) = spec.split_once('-')?;
    let digits = |s: &str| !s.is_empty() && s.len() < 19 && s.bytes().all(|c| c.is_ascii_digit());
    if len == 0 {
        return None;
    }
    if a.is_empty() {
        if !digits(b) {
            return None;
        }
        let n: u64 = b.parse().ok()?;
        return Some(if n == 0 {
            Ranged::Unsatisfiable
        } else {
            Ranged::Partial {
                start: len.saturating_sub(n),
                end: len - 1,
            }
        });
    }
    if !digits(a) || !(b.is_empty() || digits(b)) {
        return None;
    }
    let start: u64 = a.parse().ok()?;
    let end: u64 = if b.is_empty() {
        u64::MAX
    } else {
        b.parse().ok()?
    };
    Some(if end < start {
        Ranged::Full
    } else if start >= len {
        Ranged::Unsatisfiable
    } else {
        Ranged::Partial {
            start,
            end: end.min(len - 1),
        }
    })
}
