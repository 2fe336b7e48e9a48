//! The value parsers several verbs share: durations (`10`, `1.5`, `500ms`, `2m`) and ports.
//!
//! One rule for zero, whatever the verb: a timeout that bounds a wait the user may want
//! unbounded takes `0` as "no limit" ([`parse_timeout`]); a run length, or a server's guard
//! against clients that stall, refuses `0` with the reason ([`parse_positive_duration`]); a wait
//! that is not a limit (a warm-up) takes `0` as "none" ([`parse_duration`]).
//! Their errors follow a flag's name and value on one line (`--port 99999: must be …`, see
//! `usage.rs`), so they say what the value must be, not the value again.

use std::time::Duration;

/// A TCP or UDP port, 0 for a free one.
pub fn parse_port(text: &str) -> Result<u16, String> {
    text.trim()
        .parse()
        .map_err(|_| "must be a port from 0 to 65535".to_string())
}

/// Parse `10`, `1.5`, `250ms`, `10s`, `2m`, `1h` into a duration.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| "must be a duration such as 10, 1.5, 500ms or 2m".to_string())?;
    let scale = match unit {
        "" | "s" => 1.0,
        "ms" => 0.001,
        "m" => 60.0,
        "h" => 3600.0,
        _ => {
            return Err(format!("has an unknown unit `{unit}` (use ms, s, m or h)"));
        }
    };
    let duration =
        Duration::try_from_secs_f64(value * scale).map_err(|_| "is out of range".to_string())?;
    // Deadlines are computed from durations: a bound keeps that arithmetic from overflowing.
    if duration > MAX_DURATION {
        return Err("must be at most 365 days".to_string());
    }
    Ok(duration)
}

/// A timeout where `0` means no limit (kept as [`MAX_DURATION`], so that deadline arithmetic
/// needs no second case).
pub fn parse_timeout(text: &str) -> Result<Duration, String> {
    let duration = parse_duration(text)?;
    Ok(if duration.is_zero() {
        MAX_DURATION
    } else {
        duration
    })
}

/// A duration that must be more than zero: a run's length, or a guard a server keeps.
pub fn parse_positive_duration(text: &str) -> Result<Duration, String> {
    let duration = parse_duration(text)?;
    if duration.is_zero() {
        return Err("must be more than 0".to_string());
    }
    Ok(duration)
}

/// A size in bytes: `1000`, `64K`, `10M`, `2G`, `1T` (powers of 1024; `KiB`, `MB`, `b` …
/// read the same way, case ignored). More than 0.
pub fn parse_size(text: &str) -> Result<u64, String> {
    const WHAT: &str = "must be a size such as 1000, 64K, 10M or 2G";
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: u64 = number.parse().map_err(|_| WHAT.to_string())?;
    let unit = unit.trim().to_ascii_lowercase();
    let unit = unit.trim_end_matches('b').trim_end_matches('i');
    let shift = match unit {
        "" => 0,
        "k" => 10,
        "m" => 20,
        "g" => 30,
        "t" => 40,
        _ => return Err(WHAT.to_string()),
    };
    let bytes = value
        .checked_mul(1u64 << shift)
        .ok_or_else(|| "is out of range".to_string())?;
    if bytes == 0 {
        return Err("must be more than 0".to_string());
    }
    Ok(bytes)
}

/// The longest duration any flag takes.
pub const MAX_DURATION: Duration = Duration::from_secs(365 * 24 * 3600);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("1000"), Ok(1000));
        assert_eq!(parse_size("64K"), Ok(64 * 1024));
        assert_eq!(parse_size("10MiB"), Ok(10 << 20));
        assert_eq!(parse_size("2g"), Ok(2 << 30));
        assert_eq!(parse_size("5 MB"), Ok(5 << 20));
        assert!(parse_size("0").is_err());
        assert!(parse_size("-1").is_err());
        assert!(parse_size("1.5M").is_err());
        assert!(parse_size("3X").is_err());
        assert!(parse_size("99999999999T").is_err());
    }

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("10"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert!(parse_duration("ten").is_err());
        assert!(parse_duration("5d").is_err());
        assert!(parse_duration("1e400").is_err());
        assert!(parse_duration("18000000000000000000s").is_err());
        assert_eq!(parse_duration("8760h"), Ok(MAX_DURATION));
    }

    #[test]
    fn zero_durations_follow_one_rule() {
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert_eq!(parse_timeout("0"), Ok(MAX_DURATION));
        assert_eq!(parse_timeout("0ms"), Ok(MAX_DURATION));
        assert_eq!(parse_timeout("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(
            parse_positive_duration("0"),
            Err("must be more than 0".to_string())
        );
        assert_eq!(parse_positive_duration("1ms"), Ok(Duration::from_millis(1)));
    }
}
