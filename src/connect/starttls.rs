//! `connect --starttls smtp|imap|ftp`: the cleartext start of a session, spoken just far enough
//! to ask for TLS (as `openssl s_client -starttls` does); `secure` then does the handshake on
//! the same socket, with every `--tls` option.
//!
//! A line is first looked at with `MSG_PEEK`, then taken exactly up to its line feed, so not
//! one byte after the server's reply is consumed: a buffered reader would keep whatever came
//! after it, and those bytes belong to the TLS session. (A server sends no TLS bytes before our
//! ClientHello, so today nothing would be lost; a server that pipelines, or bytes injected on
//! the way, must still never be read as cleartext.) A line is bounded (8 KiB), a reply (100
//! lines), and the whole dialogue by `--timeout` (or a shorter `--idle-timeout`).

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use crate::cli::StartTls;
use crate::exit::Code;
use crate::net;

/// The longest line taken from the server, without its line end.
const MAX_LINE: usize = 8 * 1024;
/// The most lines in one reply (a greeting, an EHLO or CAPABILITY answer).
const MAX_LINES: usize = 100;
/// How much of a reply an error message quotes.
const QUOTED: usize = 300;

/// What `--starttls` (and `--starttls-name`) asked for.
#[derive(Debug, Clone)]
pub struct Upgrade {
    pub protocol: StartTls,
    /// The EHLO name (smtp); `None` for the default.
    pub name: Option<String>,
}

impl Upgrade {
    /// From the flags; a name that could not go on one EHLO line is bad input.
    pub fn new(protocol: StartTls, name: Option<String>) -> anyhow::Result<Upgrade> {
        if name.is_some() && protocol != StartTls::Smtp {
            return Err(Code::Usage.error(format!(
                "--starttls-name is the name SMTP's EHLO sends: --starttls {} sends none",
                label(protocol)
            )));
        }
        if let Some(name) = &name
            && (name.is_empty() || name.bytes().any(|b| b.is_ascii_whitespace() || b < 0x20))
        {
            return Err(Code::Usage.error(format!(
                "--starttls-name {name:?}: a name has no spaces or control characters"
            )));
        }
        Ok(Upgrade { protocol, name })
    }

    /// Speak the cleartext part on `socket` until the server waits for the TLS handshake;
    /// waits are bounded by `limit` (set by `flag`). A failure exits 35, as a handshake's does.
    pub fn run(&self, socket: &TcpStream, limit: Duration, flag: &str) -> anyhow::Result<()> {
        let mut talk = Talk {
            socket,
            deadline: Instant::now().checked_add(limit),
            limit,
            flag,
        };
        let done = match self.protocol {
            StartTls::Smtp => smtp(&mut talk, &self.ehlo_name(socket)),
            StartTls::Imap => imap(&mut talk),
            StartTls::Ftp => ftp(&mut talk),
        };
        // The TLS session keeps its own timeouts; the socket's are put back as they were.
        let _ = socket.set_read_timeout(None);
        let _ = socket.set_write_timeout(None);
        done.map_err(|why| Code::Tls.error(format!("starttls {}: {why}", label(self.protocol))))
    }

    /// `--starttls-name`, else this host's name when it is a full domain name, else the local
    /// address as an address literal (what RFC 5321 asks for when there is no domain name).
    fn ehlo_name(&self, socket: &TcpStream) -> String {
        if let Some(name) = &self.name {
            return name.clone();
        }
        let host = nix::unistd::gethostname().ok();
        if let Some(host) = host.as_ref().and_then(|h| h.to_str())
            && host.contains('.')
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        {
            return host.to_string();
        }
        match socket.local_addr().map(net::canonical) {
            Ok(SocketAddr::V4(addr)) => format!("[{}]", addr.ip()),
            Ok(SocketAddr::V6(addr)) => format!("[IPv6:{}]", addr.ip()),
            Err(_) => "netlab".to_string(),
        }
    }
}

/// The protocol as typed.
fn label(protocol: StartTls) -> &'static str {
    match protocol {
        StartTls::Smtp => "smtp",
        StartTls::Imap => "imap",
        StartTls::Ftp => "ftp",
    }
}

/// SMTP (RFC 3207): the 220 greeting, EHLO, STARTTLS offered, STARTTLS, 220.
fn smtp(talk: &mut Talk<'_>, name: &str) -> Result<(), String> {
    let greeting = talk.reply("before it greeted")?;
    if greeting.code != 220 {
        return Err(format!(
            "the server did not greet with 220: {}",
            greeting.quoted()
        ));
    }
    talk.send(&format!("EHLO {name}"))?;
    let ehlo = talk.reply("after EHLO")?;
    if ehlo.code != 250 {
        return Err(format!("the server refused EHLO: {}", ehlo.quoted()));
    }
    // Each line after the first names an extension: `250-STARTTLS`, `250 SIZE 10240000`.
    let offered = ehlo.lines.iter().skip(1).any(|line| {
        line.get(4..)
            .and_then(|text| text.split_whitespace().next())
            .is_some_and(|word| word.eq_ignore_ascii_case("STARTTLS"))
    });
    if !offered {
        return Err(format!(
            "the server did not offer STARTTLS (its EHLO answer: {})",
            ehlo.quoted()
        ));
    }
    talk.send("STARTTLS")?;
    let answer = talk.reply("after STARTTLS")?;
    if answer.code != 220 {
        return Err(format!("the server refused STARTTLS: {}", answer.quoted()));
    }
    Ok(())
}

/// IMAP (RFC 3501): the `* OK` greeting, CAPABILITY with STARTTLS in it, STARTTLS, OK.
fn imap(talk: &mut Talk<'_>) -> Result<(), String> {
    let greeting = talk
        .line()?
        .ok_or("the server closed the connection before it greeted")?;
    let status = greeting
        .strip_prefix("* ")
        .and_then(|rest| rest.split_whitespace().next())
        .map(str::to_ascii_uppercase);
    match status.as_deref() {
        Some("OK") => {}
        Some("PREAUTH") => {
            return Err(format!(
                "the server logged us in at once (PREAUTH), and STARTTLS comes before that: {}",
                quote(&greeting)
            ));
        }
        _ => {
            return Err(format!(
                "the server did not greet with * OK: {}",
                quote(&greeting)
            ));
        }
    }
    talk.send("a001 CAPABILITY")?;
    let answer = talk.tagged("a001", "after CAPABILITY")?;
    if !answer.ok() {
        return Err(format!(
            "the server refused CAPABILITY: {}",
            answer.quoted()
        ));
    }
    let offered = answer.lines.iter().any(|line| {
        let mut words = line.split_whitespace();
        words.next() == Some("*")
            && words
                .next()
                .is_some_and(|w| w.eq_ignore_ascii_case("CAPABILITY"))
            && words.any(|w| w.eq_ignore_ascii_case("STARTTLS"))
    });
    if !offered {
        return Err(format!(
            "the server did not offer STARTTLS (its CAPABILITY answer: {})",
            answer.quoted()
        ));
    }
    talk.send("a002 STARTTLS")?;
    let answer = talk.tagged("a002", "after STARTTLS")?;
    if !answer.ok() {
        return Err(format!("the server refused STARTTLS: {}", answer.quoted()));
    }
    Ok(())
}

/// FTP (RFC 4217): the 220 greeting, AUTH TLS, 234.
fn ftp(talk: &mut Talk<'_>) -> Result<(), String> {
    let greeting = talk.reply("before it greeted")?;
    if greeting.code != 220 {
        return Err(format!(
            "the server did not greet with 220: {}",
            greeting.quoted()
        ));
    }
    talk.send("AUTH TLS")?;
    let answer = talk.reply("after AUTH TLS")?;
    if answer.code != 234 {
        return Err(format!("the server refused AUTH TLS: {}", answer.quoted()));
    }
    Ok(())
}

/// A reply: a numbered one (SMTP, FTP: `code` from its first line) or IMAP's tagged one (its
/// untagged lines, then the tagged line).
#[derive(Debug)]
struct Reply {
    code: u16,
    lines: Vec<String>,
}

impl Reply {
    /// IMAP: the tagged line says OK.
    fn ok(&self) -> bool {
        let last = self.lines.last().map(String::as_str).unwrap_or_default();
        last.split_whitespace()
            .nth(1)
            .is_some_and(|status| status.eq_ignore_ascii_case("OK"))
    }

    /// The reply for an error message: its lines joined with ` | `, shortened.
    fn quoted(&self) -> String {
        quote(&self.lines.join(" | "))
    }
}

/// Text from the server for a message: control characters escaped, at most [`QUOTED`] chars.
fn quote(text: &str) -> String {
    let mut out = String::new();
    for (n, c) in text.chars().enumerate() {
        if n == QUOTED {
            out.push('…');
            break;
        }
        match c {
            c if c.is_control() => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    out
}

/// The 3-digit code a numbered reply line starts with (`250`, `250-…`, `250 …`).
fn code_of(line: &str) -> Option<u16> {
    let bytes = line.as_bytes();
    let digits = bytes.get(..3)?;
    if !digits.iter().all(u8::is_ascii_digit) || !matches!(bytes.get(3), None | Some(b' ' | b'-')) {
        return None;
    }
    line[..3].parse().ok()
}

/// Whether `line` ends a numbered reply with `code`: the code, then a space or nothing. (In FTP
/// the lines between `220-` and `220 ` may be anything, so only that line ends it.)
fn ends(line: &str, code: u16) -> bool {
    code_of(line) == Some(code) && line.as_bytes().get(3) != Some(&b'-')
}

/// The socket in the cleartext phase, and how long it may still take.
struct Talk<'a> {
    socket: &'a TcpStream,
    deadline: Option<Instant>,
    limit: Duration,
    flag: &'a str,
}

impl Talk<'_> {
    /// What is left of the time allowed (`None`: no limit).
    fn left(&self) -> Result<Option<Duration>, String> {
        let Some(deadline) = self.deadline else {
            return Ok(None);
        };
        match deadline.checked_duration_since(Instant::now()) {
            Some(left) if !left.is_zero() => Ok(Some(left)),
            _ => Err(self.late()),
        }
    }

    fn late(&self) -> String {
        format!(
            "no answer from the server within {} (see {})",
            net::format_duration(self.limit),
            self.flag
        )
    }

    fn failed(&self, err: &io::Error, doing: &str) -> String {
        if net::is_timeout(err) {
            self.late()
        } else {
            format!("{doing}: {}", net::error_text(err))
        }
    }

    /// Send one line (CRLF added), shown with -v.
    fn send(&mut self, line: &str) -> Result<(), String> {
        crate::debug!("netlab connect: > {line}");
        let left = self.left()?;
        self.socket
            .set_write_timeout(left)
            .map_err(|err| self.failed(&err, "sending"))?;
        (&mut &*self.socket)
            .write_all(format!("{line}\r\n").as_bytes())
            .map_err(|err| self.failed(&err, "sending"))
    }

    /// One line from the server, without its line end, shown with -v; `None` when it closed
    /// before the line began. Never reads past the line's line feed (see the module's note).
    fn line(&mut self) -> Result<Option<String>, String> {
        let mut line = Vec::new();
        let mut buf = vec![0u8; MAX_LINE + 2];
        // Each turn takes a byte or more, or fails: the bound is never reached.
        for _ in 0..=buf.len() {
            let left = self.left()?;
            self.socket
                .set_read_timeout(left)
                .map_err(|err| self.failed(&err, "reading"))?;
            let room = buf.len() - line.len();
            let seen = match self.socket.peek(&mut buf[..room]) {
                Ok(0) if line.is_empty() => return Ok(None),
                Ok(0) => {
                    return Err("the server closed the connection in the middle of a line".into());
                }
                Ok(seen) => seen,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(self.failed(&err, "reading")),
            };
            let wanted = buf[..seen]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(seen, |at| at + 1);
            // What was just peeked is there: this read takes `wanted` bytes or fewer, no more.
            let taken = match (&mut &*self.socket).read(&mut buf[..wanted]) {
                Ok(taken) => taken,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(self.failed(&err, "reading")),
            };
            line.extend_from_slice(&buf[..taken]);
            if line.ends_with(b"\n") {
                line.pop();
                if line.ends_with(b"\r") {
                    line.pop();
                }
                let text = String::from_utf8_lossy(&line).into_owned();
                crate::debug!("netlab connect: < {}", quote(&text));
                return Ok(Some(text));
            }
            if line.len() >= buf.len() {
                break;
            }
        }
        Err(format!(
            "the server sent a line longer than {} KiB (is it speaking this protocol?)",
            MAX_LINE / 1024
        ))
    }

    /// A numbered reply (SMTP, FTP), multi-line ones (`250-…` up to `250 …`) whole. `when`
    /// says where in the dialogue, for a server that closes.
    fn reply(&mut self, when: &str) -> Result<Reply, String> {
        let closed = || format!("the server closed the connection {when}");
        let first = self.line()?.ok_or_else(closed)?;
        let code = code_of(&first).ok_or_else(|| {
            format!(
                "the server's answer is not a numbered reply: {}",
                quote(&first)
            )
        })?;
        let mut lines = vec![first];
        while !lines.last().is_some_and(|line| ends(line, code)) {
            if lines.len() >= MAX_LINES {
                return Err(format!("the server's reply runs over {MAX_LINES} lines"));
            }
            lines.push(self.line()?.ok_or_else(closed)?);
        }
        Ok(Reply { code, lines })
    }

    /// IMAP: the untagged lines up to and with the one tagged `tag`.
    fn tagged(&mut self, tag: &str, when: &str) -> Result<Reply, String> {
        let mut lines = Vec::new();
        while lines.len() < MAX_LINES {
            let line = self
                .line()?
                .ok_or_else(|| format!("the server closed the connection {when}"))?;
            let done = line
                .split_whitespace()
                .next()
                .is_some_and(|first| first.eq_ignore_ascii_case(tag));
            lines.push(line);
            if done {
                return Ok(Reply { code: 0, lines });
            }
        }
        Err(format!("the server's reply runs over {MAX_LINES} lines"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_replies_end_at_the_line_with_a_space() {
        assert_eq!(code_of("250-mx.example Hello"), Some(250));
        assert_eq!(code_of("250 SIZE 1000"), Some(250));
        assert_eq!(code_of("220"), Some(220));
        assert_eq!(code_of("22O ok"), None);
        assert_eq!(code_of("2200 ok"), None);
        assert_eq!(code_of("* OK"), None);
        assert!(!ends("220-welcome", 220));
        assert!(ends("220 ready", 220));
        assert!(ends("220", 220));
        // FTP: a line between `220-` and `220 ` may start with another number.
        assert!(!ends("230 not the end", 220));
    }

    #[test]
    fn quotes_escape_control_characters_and_stop_at_the_bound() {
        assert_eq!(quote("a\tb\u{1b}[31m"), "a\\tb\\u{1b}[31m");
        let long = "x".repeat(QUOTED + 50);
        assert_eq!(quote(&long).chars().count(), QUOTED + 1);
    }

    #[test]
    fn an_ehlo_name_with_a_line_break_is_refused() {
        assert!(Upgrade::new(StartTls::Smtp, Some("a\r\nRSET".into())).is_err());
        assert!(Upgrade::new(StartTls::Smtp, Some("mail.example.org".into())).is_ok());
        assert!(Upgrade::new(StartTls::Imap, Some("mail.example.org".into())).is_err());
    }

    #[test]
    fn imap_tagged_ok_is_read_case_blind() {
        let reply = Reply {
            code: 0,
            lines: vec!["* CAPABILITY IMAP4rev1".into(), "a001 ok done".into()],
        };
        assert!(reply.ok());
        let no = Reply {
            code: 0,
            lines: vec!["a002 NO not now".into()],
        };
        assert!(!no.ok());
    }
}
