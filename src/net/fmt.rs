//! Figures for people: byte counts and durations as the logs and summaries write them.

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
}
