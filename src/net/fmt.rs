//! Figures for people: byte counts, durations and times as the logs and summaries write them.

use std::cell::Cell;
use std::time::{SystemTime, UNIX_EPOCH};

use nix::libc;

/// A byte count for people: `512 B`, `1.50 KiB`, `3.00 GiB` (binary units, as the progress bars
/// write them).
pub use indicatif::HumanBytes;

/// A count for people, as every verb writes one: `310,921` (thousands separators; `--json`
/// writes plain numbers). Unlike indicatif's `HumanCount` it takes a width (`{:>10}`), which the
/// tables need.
pub struct Count(pub u64);

impl std::fmt::Display for Count {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let digits = self.0.to_string();
        let mut out = String::with_capacity(digits.len() + digits.len() / 3);
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        f.pad(&out)
    }
}

/// A duration as flags are written: `250ms`, `300s`, `1.5s`.
pub fn format_duration(duration: std::time::Duration) -> String {
    if duration < std::time::Duration::from_secs(1) {
        format!("{}ms", duration.as_millis())
    } else if duration.subsec_millis() == 0 {
        format!("{}s", duration.as_secs())
    } else {
        let text = format!("{:.3}", duration.as_secs_f64());
        format!("{}s", text.trim_end_matches('0'))
    }
}

thread_local! {
    /// The current second in local time, `2026-12-03T13:05:02` then `+08:00`: each thread asks
    /// the C library at most once a second.
    static SECOND: Cell<(u64, [u8; 25])> = const { Cell::new((u64::MAX, [0; 25])) };
}

/// Append `now` in ISO 8601, local time with milliseconds and the UTC offset
/// (`2026-12-03T13:05:02.123+08:00`), as nginx's `$time_iso8601` and python's logs write
/// times. Only the milliseconds are formatted on each call; the rest once a second.
pub fn push_local_time(now: SystemTime, out: &mut Vec<u8>) {
    let since = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let text = SECOND.with(|cell| {
        let (cached, text) = cell.get();
        if cached == secs {
            return text;
        }
        let text = local_second(secs);
        cell.set((secs, text));
        text
    });
    let millis = since.subsec_millis();
    out.extend_from_slice(&text[..19]);
    out.extend_from_slice(&[
        b'.',
        b'0' + (millis / 100) as u8,
        b'0' + (millis / 10 % 10) as u8,
        b'0' + (millis % 10) as u8,
    ]);
    out.extend_from_slice(&text[19..]);
}

/// `2026-12-03T13:05:02+08:00` for a Unix second, in the local time zone (`TZ`, else
/// /etc/localtime); UTC when the C library cannot say.
fn local_second(secs: u64) -> [u8; 25] {
    let time = libc::time_t::try_from(secs).unwrap_or(libc::time_t::MAX);
    // SAFETY: an all-zero `tm` is a valid value of a plain C struct.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are to live locals; `localtime_r` (and `gmtime_r`) write only `tm`
    // and are safe to call from any thread.
    let ok = unsafe {
        !libc::localtime_r(&time, &mut tm).is_null() || !libc::gmtime_r(&time, &mut tm).is_null()
    };
    if !ok {
        return *b"1970-01-01T00:00:00+00:00";
    }
    let offset = tm.tm_gmtoff;
    let minutes = offset.unsigned_abs() / 60;
    let text = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{}{:02}:{:02}",
        (i64::from(tm.tm_year) + 1900).clamp(0, 9999),
        tm.tm_mon + 1,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec.min(59),
        if offset < 0 { '-' } else { '+' },
        (minutes / 60).min(99),
        minutes % 60
    );
    let mut out = [b'0'; 25];
    let n = text.len().min(25);
    out[..n].copy_from_slice(&text.as_bytes()[..n]);
    out
}

/// Unix seconds to (year, month, day, hour, minute, second) in UTC (Howard Hinnant's
/// days-to-civil algorithm).
pub fn civil(secs: u64) -> (i64, u32, u32, u32, u32, u32) {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (
        y,
        m,
        d,
        (rem / 3600) as u32,
        (rem % 3600 / 60) as u32,
        (rem % 60) as u32,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_read_well() {
        assert_eq!(HumanBytes(0).to_string(), "0 B");
        assert_eq!(HumanBytes(1023).to_string(), "1023 B");
        assert_eq!(HumanBytes(1536).to_string(), "1.50 KiB");
        assert_eq!(HumanBytes(3 << 30).to_string(), "3.00 GiB");
    }

    #[test]
    fn counts_have_thousands_separators() {
        assert_eq!(Count(0).to_string(), "0");
        assert_eq!(Count(999).to_string(), "999");
        assert_eq!(Count(310_921).to_string(), "310,921");
        assert_eq!(format!("{:>9}", Count(1234567)), "1,234,567");
        assert_eq!(format!("{:>8}", Count(1234)), "   1,234");
    }

    #[test]
    fn durations_read_as_flags() {
        use std::time::Duration;
        assert_eq!(format_duration(Duration::from_millis(250)), "250ms");
        assert_eq!(format_duration(Duration::from_secs(300)), "300s");
        assert_eq!(format_duration(Duration::from_millis(1500)), "1.5s");
    }

    #[test]
    fn local_times_read_as_iso_8601() {
        let mut out = Vec::new();
        let at = UNIX_EPOCH + std::time::Duration::from_millis(1_796_302_302_007);
        push_local_time(at, &mut out);
        let text = String::from_utf8(out).unwrap();
        // The zone is the machine's; the shape and the milliseconds are not.
        assert_eq!(text.len(), 29, "{text}");
        assert_eq!(&text[19..23], ".007", "{text}");
        assert!(matches!(&text[23..24], "+" | "-"), "{text}");
        assert_eq!(&text[4..5], "-");
        assert_eq!(&text[10..11], "T");
        assert_eq!(&text[26..27], ":");
    }
}
