//! The one value parser several verbs share: durations (`10`, `1.5`, `500ms`, `2m`).

use std::time::Duration;

/// Parse `10`, `1.5`, `250ms`, `10s`, `2m`, `1h` into a duration.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration (try 10, 1.5, 500ms, 2m)"))?;
    let scale = match unit {
        "" | "s" => 1.0,
        "ms" => 0.001,
        "m" => 60.0,
        "h" => 3600.0,
        _ => {
            return Err(format!(
                "unknown unit `{unit}` in `{text}` (use ms, s, m or h)"
            ));
        }
    };
    let duration = Duration::try_from_secs_f64(value * scale)
        .map_err(|_| format!("`{text}` is out of range"))?;
    // Deadlines are computed from durations: a bound keeps that arithmetic from overflowing.
    if duration > MAX_DURATION {
        return Err(format!("`{text}` is too long (at most 365 days)"));
    }
    Ok(duration)
}

/// The longest duration any flag takes.
pub const MAX_DURATION: Duration = Duration::from_secs(365 * 24 * 3600);

#[cfg(test)]
mod tests {
    use super::*;

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
}
