//! Usage errors as the one line every netlab error is: `netlab: --port 99999: must be a port
//! from 0 to 65535`, not clap's block of error, tip, usage and pointer to `--help`.

use clap::error::{ContextKind, ContextValue, ErrorKind};

/// What follows `netlab: ` for a usage error.
pub fn one_line(err: &clap::Error) -> String {
    match err.kind() {
        ErrorKind::ValueValidation => {
            if let (Some(arg), Some(value)) = (context(err, ContextKind::InvalidArg), value(err)) {
                let reason = std::error::Error::source(err)
                    .map(|source| in_words(&source.to_string()))
                    .unwrap_or_else(|| "is not valid".to_string());
                return format!("{} {}: {reason}", arg_name(&arg), shown(&value));
            }
        }
        ErrorKind::InvalidValue => {
            if let (Some(arg), Some(value)) = (context(err, ContextKind::InvalidArg), value(err)) {
                let arg = arg_name(&arg);
                if value.is_empty() {
                    return format!("{arg}: a value is required");
                }
                let mut line = format!("{arg} {}: must be one of ", shown(&value));
                line.push_str(&strings(err, ContextKind::ValidValue).join(", "));
                if let Some(suggested) = context(err, ContextKind::SuggestedValue) {
                    line.push_str(&format!(" (did you mean '{suggested}'?)"));
                }
                return line;
            }
        }
        _ => {}
    }
    squeezed(err)
}

/// clap's own message on one line: the lines before the first blank one joined, its tips in
/// parentheses, and where `--help` is.
fn squeezed(err: &clap::Error) -> String {
    let rendered = err.render().to_string();
    let mut lines = rendered.lines();
    let mut message = lines
        .next()
        .unwrap_or_default()
        .trim_start_matches("error: ")
        .to_string();
    let mut tips = Vec::new();
    let mut usage = None;
    for line in lines {
        let trimmed = line.trim();
        if let Some(tip) = trimmed.strip_prefix("tip: ") {
            tips.push(tip.to_string());
        } else if let Some(rest) = trimmed.strip_prefix("Usage: ") {
            usage = Some(rest.to_string());
        } else if trimmed.is_empty() || trimmed.starts_with("For more information") {
            continue;
        } else if usage.is_none() && tips.is_empty() {
            message.push(' ');
            message.push_str(trimmed);
        }
    }
    for tip in tips {
        message.push_str(&format!(" ({tip})"));
    }
    let command = usage
        .as_deref()
        .map(|usage| {
            usage
                .split_whitespace()
                .take_while(|word| !word.starts_with(['[', '<', '-']))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .filter(|command| !command.is_empty())
        .unwrap_or_else(|| "netlab".to_string());
    format!("{message}; see '{command} --help'")
}

/// A validator's reason in words: clap's integer parsers say `0 is not in 1..18446744073709551615`
/// and `invalid digit found in string`.
fn in_words(reason: &str) -> String {
    if let Some((_, range)) = reason.split_once(" is not in ") {
        let (low, high, inclusive) = match range.split_once("..=") {
            Some((low, high)) => (low, high, true),
            None => match range.split_once("..") {
                Some((low, high)) => (low, high, false),
                None => return format!("must be in {range}"),
            },
        };
        let (Ok(low), Ok(high)) = (low.parse::<i128>(), high.parse::<i128>()) else {
            return format!("must be in {range}");
        };
        let high = if inclusive { high } else { high - 1 };
        // An upper bound that is the type's own limit is no limit a user needs to hear about.
        if high >= i128::from(u32::MAX) - 1 {
            return format!("must be at least {low}");
        }
        return format!("must be from {low} to {high}");
    }
    match reason {
        "invalid digit found in string" | "cannot parse integer from empty string" => {
            "must be a whole number".to_string()
        }
        "number too large to fit in target type" => "is too large".to_string(),
        "number too small to fit in target type" => "is too small".to_string(),
        other => other.to_string(),
    }
}

/// `--port <PORT>` → `--port`; `<URL>` → `URL`; `[HOST[:PORT]]` → `HOST[:PORT]`.
fn arg_name(arg: &str) -> String {
    if arg.starts_with('-') {
        return arg.split_whitespace().next().unwrap_or(arg).to_string();
    }
    let inner = arg
        .strip_prefix('<')
        .and_then(|a| a.strip_suffix('>'))
        .or_else(|| arg.strip_prefix('[').and_then(|a| a.strip_suffix(']')))
        .unwrap_or(arg);
    inner.trim_end_matches("...").to_string()
}

/// A value as the user would type it again: quoted when it is empty or has spaces.
fn shown(value: &str) -> String {
    if value.is_empty() || value.contains(char::is_whitespace) {
        format!("'{value}'")
    } else {
        value.to_string()
    }
}

fn value(err: &clap::Error) -> Option<String> {
    context(err, ContextKind::InvalidValue)
}

fn context(err: &clap::Error, kind: ContextKind) -> Option<String> {
    match err.get(kind)? {
        ContextValue::String(s) => Some(s.clone()),
        ContextValue::Strings(v) => v.first().cloned(),
        ContextValue::StyledStr(s) => Some(s.to_string()),
        other => Some(other.to_string()),
    }
}

fn strings(err: &clap::Error, kind: ContextKind) -> Vec<String> {
    match err.get(kind) {
        Some(ContextValue::Strings(v)) => v.clone(),
        Some(ContextValue::String(s)) => vec![s.clone()],
        Some(other) => vec![other.to_string()],
        None => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::command;

    fn line(args: &[&str]) -> String {
        let err = command()
            .try_get_matches_from(std::iter::once("netlab").chain(args.iter().copied()))
            .expect_err("a usage error");
        one_line(&err)
    }

    #[test]
    fn usage_errors_are_one_line_in_words() {
        let cases: &[(&[&str], &str)] = &[
            (
                &["serve", "--port", "99999"],
                "--port 99999: must be a port from 0 to 65535",
            ),
            (
                &["bench", "tcp", "x:1", "-n", "0"],
                "--count 0: must be at least 1",
            ),
            (
                &["serve", "--workers", "0"],
                "--workers 0: must be from 1 to 1024",
            ),
            (
                &["serve", "--model", "x"],
                "--model x: must be one of serial, thread, pool, fork, poll",
            ),
            (
                &["serve", "--max-conns", "many"],
                "--max-conns many: must be a whole number",
            ),
            (
                &["serve", "--foo"],
                "unexpected argument '--foo' found; see 'netlab serve --help'",
            ),
            (
                &["fetch"],
                "the following required arguments were not provided: <URL>...; see 'netlab fetch --help'",
            ),
            (
                &["bogus"],
                "unrecognized subcommand 'bogus'; see 'netlab --help'",
            ),
            (
                &["serve", "--timeout", "1"],
                "unexpected argument '--timeout' found (a similar argument exists: '--idle-timeout'); see 'netlab serve --help'",
            ),
        ];
        for (args, expected) in cases {
            let got = line(args);
            assert_eq!(&got, expected, "netlab {args:?}");
            assert!(!got.contains('\n'));
        }
    }
}
