//! `-w/--write-out FORMAT`: curl's format, printed once the transfer is over (failed or not):
//! `%{variable}` with curl's names, `%header{name}` for a response header, `%{stderr}` and
//! `%{stdout}` to switch where the rest goes, `%%` for a percent sign, `\n` `\r` `\t` `\\`
//! escapes, and `@FILE` (`@-`: stdin) to read the format from a file. An unknown variable is
//! bad input (exit 2), named, with the known ones listed — curl only warns and prints nothing.

use std::fmt::Write as _;
use std::io::Read;

use super::timing::{self, Timeline};
use crate::exit::Code;

/// The variables netlab knows, in the order `%{json}` lists them.
const VARIABLES: &[&str] = &[
    "url",
    "url_effective",
    "method",
    "scheme",
    "http_code",
    "response_code",
    "http_version",
    "content_type",
    "num_redirects",
    "size_download",
    "speed_download",
    "time_namelookup",
    "time_connect",
    "time_appconnect",
    "time_pretransfer",
    "time_starttransfer",
    "time_redirect",
    "time_total",
    "exitcode",
    "errormsg",
];

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Var(&'static str),
    Header(String),
    Json,
    ToStdout,
    ToStderr,
}

/// A checked `-w` format.
#[derive(Debug, Clone)]
pub struct Format {
    pieces: Vec<Piece>,
}

/// What the run came to, for `exitcode` and `errormsg`.
pub struct Outcome<'a> {
    pub url: &'a str,
    pub code: i32,
    pub error: Option<String>,
}

impl Format {
    /// From `-w`'s value: the format itself, or `@FILE` / `@-`.
    pub fn from_arg(arg: &str) -> anyhow::Result<Format> {
        let text = match arg.strip_prefix('@') {
            Some("-") => {
                let mut text = String::new();
                std::io::stdin()
                    .read_to_string(&mut text)
                    .map_err(|err| Code::Usage.wrap(err).context("-w @-"))?;
                text
            }
            Some(path) => std::fs::read_to_string(path).map_err(|err| {
                Code::Usage.error(format!("-w @{path}: {}", crate::net::error_text(&err)))
            })?,
            None => arg.to_string(),
        };
        Format::parse(&text)
    }

    fn parse(text: &str) -> anyhow::Result<Format> {
        let mut pieces = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            if let Some(after) = rest.strip_prefix("%%") {
                literal.push('%');
                rest = after;
            } else if let Some(after) = rest.strip_prefix("%{") {
                let Some(end) = after.find('}') else {
                    return Err(Code::Usage.error(format!("-w: `%{{{after}` has no closing }}")));
                };
                let name = &after[..end];
                let piece = match name {
                    "json" => Piece::Json,
                    "stdout" => Piece::ToStdout,
                    "stderr" => Piece::ToStderr,
                    _ => match VARIABLES.iter().find(|known| **known == name) {
                        Some(known) => Piece::Var(known),
                        None => {
                            return Err(Code::Usage.error(format!(
                                "-w: unknown variable %{{{name}}} (netlab knows {}, json, \
                                 stdout, stderr, and %header{{NAME}})",
                                VARIABLES.join(", ")
                            )));
                        }
                    },
                };
                pieces.push(Piece::Text(std::mem::take(&mut literal)));
                pieces.push(piece);
                rest = &after[end + 1..];
            } else if let Some(after) = rest.strip_prefix("%header{") {
                let Some(end) = after.find('}') else {
                    return Err(Code::Usage.error("-w: `%header{` has no closing }"));
                };
                pieces.push(Piece::Text(std::mem::take(&mut literal)));
                pieces.push(Piece::Header(after[..end].to_string()));
                rest = &after[end + 1..];
            } else if c == '\\' && rest.len() > 1 {
                let next = rest[1..].chars().next().unwrap_or('\\');
                match next {
                    'n' => literal.push('\n'),
                    'r' => literal.push('\r'),
                    't' => literal.push('\t'),
                    '\\' => literal.push('\\'),
                    other => {
                        literal.push('\\');
                        literal.push(other);
                    }
                }
                rest = &rest[1 + next.len_utf8()..];
            } else {
                literal.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
        pieces.push(Piece::Text(literal));
        pieces.retain(|piece| !matches!(piece, Piece::Text(text) if text.is_empty()));
        Ok(Format { pieces })
    }

    /// The format filled in: what goes to stdout, and what `%{stderr}` sent to stderr.
    pub fn render(&self, timeline: &Timeline, outcome: &Outcome<'_>) -> (String, String) {
        let (mut out, mut err) = (String::new(), String::new());
        let mut to_stderr = false;
        for piece in &self.pieces {
            let text = match piece {
                Piece::Text(text) => text.clone(),
                Piece::Var(name) => value(name, timeline, outcome),
                Piece::Header(name) => timeline
                    .answer()
                    .headers
                    .get_all(name.as_str())
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .collect::<Vec<_>>()
                    .join(", "),
                Piece::Json => json(timeline, outcome),
                Piece::ToStdout => {
                    to_stderr = false;
                    continue;
                }
                Piece::ToStderr => {
                    to_stderr = true;
                    continue;
                }
            };
            if to_stderr {
                err.push_str(&text);
            } else {
                out.push_str(&text);
            }
        }
        (out, err)
    }
}

/// One variable's value, as curl writes it (times in seconds with six decimals).
fn value(name: &str, timeline: &Timeline, outcome: &Outcome<'_>) -> String {
    let answer = timeline.answer().clone();
    let total = timeline.total();
    if let Some(time) = timing::curl_time(name, &timeline.stamps(), answer.redirects, total) {
        return format!("{:.6}", time.as_secs_f64());
    }
    match name {
        "url" => outcome.url.to_string(),
        "url_effective" => answer.url,
        "method" => answer.method,
        "scheme" => answer.url.split(':').next().unwrap_or_default().to_string(),
        "http_code" | "response_code" => {
            format!("{:03}", answer.status.map_or(0, |status| status.as_u16()))
        }
        "http_version" => match answer.version {
            Some(ureq::http::Version::HTTP_10) => "1.0".into(),
            Some(ureq::http::Version::HTTP_11) => "1.1".into(),
            Some(ureq::http::Version::HTTP_2) => "2".into(),
            Some(ureq::http::Version::HTTP_3) => "3".into(),
            _ => "0".into(),
        },
        "content_type" => answer
            .headers
            .get(ureq::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string(),
        "num_redirects" => answer.redirects.to_string(),
        "size_download" => answer.size_download.to_string(),
        "speed_download" => {
            let secs = total.as_secs_f64();
            let speed = if secs > 0.0 {
                answer.size_download as f64 / secs
            } else {
                0.0
            };
            format!("{}", speed as u64)
        }
        "exitcode" => outcome.code.to_string(),
        "errormsg" => outcome.error.clone().unwrap_or_default(),
        _ => String::new(),
    }
}

/// `%{json}`: every variable in one object (numbers as numbers, as curl does).
fn json(timeline: &Timeline, outcome: &Outcome<'_>) -> String {
    let mut out = String::from("{");
    for (n, name) in VARIABLES.iter().enumerate() {
        let mut text = value(name, timeline, outcome);
        if *name == "response_code" {
            // A number in JSON has no leading zeros (curl writes 0 before any answer).
            text = text.trim_start_matches('0').to_string();
            if text.is_empty() {
                text.push('0');
            }
        }
        let numeric = name.starts_with("time_")
            || matches!(
                *name,
                "num_redirects" | "size_download" | "speed_download" | "exitcode" | "response_code"
            );
        if n > 0 {
            out.push(',');
        }
        let _ = write!(out, "\"{name}\":");
        if numeric {
            out.push_str(&text);
        } else {
            out.push_str(&serde_json::to_string(&text).unwrap_or_default());
        }
    }
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_read_as_curl_reads_them() {
        let format =
            Format::parse("%{http_code} %% %header{x-a}\\n%{stderr}late\\t%{stdout}").unwrap();
        assert_eq!(
            format.pieces,
            vec![
                Piece::Var("http_code"),
                Piece::Text(" % ".into()),
                Piece::Header("x-a".into()),
                Piece::Text("\n".into()),
                Piece::ToStderr,
                Piece::Text("late\t".into()),
                Piece::ToStdout,
            ]
        );
        // A lone percent sign or an unknown escape stays as it is.
        let format = Format::parse("100% \\q").unwrap();
        assert_eq!(format.pieces, vec![Piece::Text("100% \\q".into())]);
    }

    #[test]
    fn an_unknown_variable_is_named() {
        let err = Format::parse("%{time_totl}").unwrap_err();
        assert!(
            err.to_string().contains("unknown variable %{time_totl}"),
            "{err}"
        );
        assert!(Format::parse("%{http_code").is_err());
    }

    #[test]
    fn values_before_any_answer() {
        let timeline = Timeline::new();
        let outcome = Outcome {
            url: "http://x/",
            code: 7,
            error: Some("refused".into()),
        };
        let (out, err) = Format::parse("%{http_code} %{exitcode}%{stderr}%{errormsg}")
            .unwrap()
            .render(&timeline, &outcome);
        assert_eq!(out, "000 7");
        assert_eq!(err, "refused");
        let json = json(&timeline, &outcome);
        let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(parsed["exitcode"], 7);
        assert_eq!(parsed["http_code"], "000");
        assert_eq!(parsed["response_code"], 0);
    }
}
