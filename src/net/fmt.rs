//! Figures for people: byte counts and durations as the logs and summaries write them.

/// A byte count for people: `512 B`, `1.50 KiB`, `3.00 GiB` (binary units, as the progress bars
/// write them).
pub use indicatif::HumanBytes;

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
    fn durations_read_as_flags() {
        use std::time::Duration;
        assert_eq!(format_duration(Duration::from_millis(250)), "250ms");
        assert_eq!(format_duration(Duration::from_secs(300)), "300s");
        assert_eq!(format_duration(Duration::from_millis(1500)), "1.5s");
    }
}
