//! `netlab urldecode`, `netlab urlencode` and `netlab url`: percent-decoding, URL inspection,
//! charsets, and (in `edit`, `template`, `tool`, `compare`) trurl's editing by two standards.
//!
//! Inputs are the arguments, or stdin lines when there are none. Stdin is read in large chunks of
//! whole lines; in the default mode a chunk is decoded in one pass and validated once, and only a
//! chunk with a problem is redone line by line to report where. Memory is bounded by the longest
//! line, not by the input.

mod charset;
mod compare;
pub mod edit;
mod encode;
mod inspect;
mod iterate;
mod json;
mod lines;
pub mod percent;
mod render;
#[cfg(target_arch = "x86_64")]
mod simd;
mod template;
mod tool;
mod view;

use std::io::{self, IsTerminal, Write};

use anyhow::Context;

pub use charset::Charset;
pub use encode::{EncodeSet, encode_into};
pub use inspect::{Inspected, Inspector, Parsed, Problem, guess};
pub use tool::command as url_command;

use crate::cli::{InputKind, UrldecodeArgs, UrlencodeArgs};
use crate::exit::Code;

/// Flush the output buffer to stdout once it holds this much.
const FLUSH_AT: usize = 128 * 1024;

/// What `urldecode` prints for each input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// The input percent-decoded, one line each.
    Plain,
    /// The parts, aligned for reading (`--parts`).
    Parts,
    /// One JSON object per input (`--json`).
    Json,
    /// One part per input (`--get`).
    Get(Part),
}

/// A part `--get` can print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Scheme,
    User,
    Password,
    Host,
    Port,
    Path,
    Query,
    Fragment,
    Param(String),
    ParamAll(String),
}

impl Part {
    pub fn parse(text: &str) -> anyhow::Result<Part> {
        Ok(match text {
            "scheme" => Part::Scheme,
            "user" => Part::User,
            "password" => Part::Password,
            "host" => Part::Host,
            "port" => Part::Port,
            "path" => Part::Path,
            "query" => Part::Query,
            "fragment" => Part::Fragment,
            _ => {
                let named = |prefix: &str| -> anyhow::Result<Option<String>> {
                    match text.strip_prefix(prefix) {
                        Some("") => Err(Code::Usage.error(format!(
                            "--get `{text}` needs a parameter name ({prefix}NAME)"
                        ))),
                        other => Ok(other.map(str::to_string)),
                    }
                };
                if let Some(name) = named("param:")? {
                    Part::Param(name)
                } else if let Some(name) = named("param-all:")? {
                    Part::ParamAll(name)
                } else {
                    return Err(Code::Usage.error(format!(
                        "unknown part `{text}` (one of scheme, user, password, host, port, path, \
                         query, fragment, param:NAME, param-all:NAME)"
                    )));
                }
            }
        })
    }
}

/// The decoder for one run of `urldecode`: options, reusable buffers and the output.
pub struct Session {
    pub mode: Mode,
    pub strict: bool,
    /// Escape control characters everywhere (stdout is a terminal).
    pub terminal: bool,
    pub inspector: Inspector,
    pub out: Vec<u8>,
    /// Inputs seen so far (the number of the next one minus one).
    pub count: u64,
}

impl Session {
    pub fn from_args(args: &UrldecodeArgs, terminal: bool) -> anyhow::Result<Session> {
        let mode = if args.parts {
            Mode::Parts
        } else if args.json {
            Mode::Json
        } else if let Some(part) = &args.get {
            Mode::Get(Part::parse(part)?)
        } else {
            Mode::Plain
        };
        let mut inspector = Inspector::new(Charset::parse(&args.charset)?);
        inspector.form = args.form;
        inspector.kind = args.kind;
        if let Some(base) = &args.base {
            let base = url::Url::parse(base)
                .map_err(|err| Code::Usage.error(format!("--base {base}: {err}")))?;
            if args.kind.is_some_and(|k| k != InputKind::Url) {
                return Err(Code::Usage
                    .error("--base resolves URLs; it cannot go with --as query or --as text"));
            }
            inspector.base = Some(base);
        }
        inspector.components = mode != Mode::Plain;
        Ok(Session {
            mode,
            strict: args.strict,
            terminal,
            inspector,
            out: Vec::with_capacity(FLUSH_AT + 4096),
            count: 0,
        })
    }

    /// Whether a chunk of lines can take the one-pass path: plain decoding into UTF-8 (or `auto`,
    /// which is UTF-8 whenever the bytes are valid UTF-8), nothing to resolve or escape.
    fn fast_path(&self) -> bool {
        self.mode == Mode::Plain
            && !self.terminal
            && self.inspector.base.is_none()
            && self.inspector.kind != Some(InputKind::Url)
            && (self.inspector.charset == Charset::Auto
                || self.inspector.charset == Charset::Fixed(encoding_rs::UTF_8))
    }

    /// Decode a chunk of whole stdin lines, each ending in `\n`.
    pub fn chunk(&mut self, chunk: &[u8]) -> anyhow::Result<()> {
        if self.fast_path() {
            let start = self.out.len();
            if percent::decode_lines_fast(chunk, self.inspector.form, &mut self.out)
                && simdutf8::basic::from_utf8(&self.out[start..]).is_ok()
            {
                self.count += memchr::memchr_iter(b'\n', chunk).count() as u64;
                return Ok(());
            }
            // Something to report: redo this chunk line by line.
            self.out.truncate(start);
        }
        lines::each_line(chunk, |line| self.input(line))
    }

    /// Decode one input and append what it prints to the output buffer.
    pub fn input(&mut self, raw: &[u8]) -> anyhow::Result<()> {
        self.count += 1;
        let number = self.count;
        let strict = self.strict;
        // Input bytes that are not UTF-8 are shown as U+FFFD where the input is printed as text
        // (so JSON output is always valid); decoding itself works on the bytes.
        let text = match simdutf8::basic::from_utf8(raw) {
            Ok(text) => std::borrow::Cow::Borrowed(text),
            Err(_) => String::from_utf8_lossy(raw),
        };
        let inspected = self
            .inspector
            .inspect(raw, &text, |problem| {
                if strict && !matches!(problem, Problem::NotUrl { .. }) {
                    Err(Code::Usage.error(problem.to_string()))
                } else {
                    crate::warn!(
                        "input {number}: {problem}{}",
                        match problem {
                            Problem::BadEscape { .. } => " (kept as is)",
                            Problem::BadText { .. } => " (shown as U+FFFD)",
                            Problem::NotUrl { .. } => " (decoded as text)",
                        }
                    );
                    Ok(())
                }
            })
            .with_context(|| format!("input {number}"))?;
        if self.mode == Mode::Parts && number > 1 {
            self.out.push(b'\n');
        }
        render::render(
            &self.mode,
            self.terminal,
            &self.inspector,
            &text,
            &inspected,
            &mut self.out,
        );
        self.inspector.recycle(inspected);
        Ok(())
    }

    /// Write out what is buffered when there is enough of it (or `force`).
    pub fn flush(&mut self, sink: &mut impl Write, force: bool) -> io::Result<()> {
        if force || self.out.len() >= FLUSH_AT {
            sink.write_all(&self.out)?;
            self.out.clear();
        }
        Ok(())
    }
}

/// With no argument and a person at the terminal, say that the input is awaited (and how to
/// end it) instead of waiting in silence. Not under `-q`, and never for a pipe.
fn say_reading_stdin(verb: &str) {
    if io::stdin().is_terminal() {
        crate::info!("netlab {verb}: reading stdin, a line at a time (Ctrl-D to end)");
    }
}

/// `netlab urldecode`.
pub fn decode_command(args: UrldecodeArgs) -> anyhow::Result<()> {
    let terminal = io::stdout().is_terminal();
    let mut session = Session::from_args(&args, terminal)?;
    let mut stdout = io::stdout().lock();
    let result = if args.inputs.is_empty() {
        say_reading_stdin("urldecode");
        lines::for_each_chunk(io::stdin().lock(), |chunk| {
            session.chunk(chunk)?;
            session.flush(&mut stdout, false).context("write output")
        })
    } else {
        args.inputs.iter().try_for_each(|input| {
            session.input(input.as_bytes())?;
            session.flush(&mut stdout, false).context("write output")
        })
    };
    // What was decoded before a failure is still printed.
    let flushed = session.flush(&mut stdout, true).context("write output");
    result.and(flushed)?;
    stdout.flush().context("write output")
}

/// `netlab urlencode`.
pub fn encode_command(args: UrlencodeArgs) -> anyhow::Result<()> {
    let set = if args.form {
        EncodeSet::Form
    } else if args.path {
        EncodeSet::Path
    } else {
        EncodeSet::Component
    };
    let encoding = match Charset::parse(&args.charset)? {
        Charset::Fixed(encoding) => encoding,
        Charset::Auto => return Err(Code::Usage.error("urlencode needs a charset, not auto")),
    };
    let mut out = Vec::with_capacity(FLUSH_AT + 4096);
    let mut stdout = io::stdout().lock();
    let mut number = 0u64;
    let mut one = |input: &[u8], out: &mut Vec<u8>| -> anyhow::Result<()> {
        number += 1;
        let text = std::str::from_utf8(input).map_err(|err| {
            Code::Usage.error(format!(
                "input {number}: not UTF-8 text (invalid byte at {})",
                err.valid_up_to()
            ))
        })?;
        let bytes =
            charset::encode_text(encoding, text).with_context(|| format!("input {number}"))?;
        encode_into(&bytes, set, out);
        out.push(b'\n');
        if out.len() >= FLUSH_AT {
            stdout.write_all(out).context("write output")?;
            out.clear();
        }
        Ok(())
    };
    let result = if args.inputs.is_empty() {
        say_reading_stdin("urlencode");
        lines::for_each_chunk(io::stdin().lock(), |chunk| {
            lines::each_line(chunk, |line| one(line, &mut out))
        })
    } else {
        args.inputs
            .iter()
            .try_for_each(|input| one(input.as_bytes(), &mut out))
    };
    let flushed = stdout
        .write_all(&out)
        .and_then(|()| stdout.flush())
        .context("write output");
    result.and(flushed)
}
