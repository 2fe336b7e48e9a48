//! Credentials: `-u user[:password]` (the password asked for without echo on the terminal when
//! left out), `user:password@` in the URL, `--bearer TOKEN`, and `--netrc`/`--netrc-file`, in
//! that order of precedence (as curl). They become one `Authorization` value that
//! [`super::request`] sends to the URL's own site only: never to another host, port or scheme a
//! redirect leads to (curl's fix for CVE-2018-1000007).

use std::fs::File;
use std::io::{self, BufRead, BufReader, IsTerminal, Write};
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use base64::Engine;
use url::Url;

use crate::cli::FetchArgs;
use crate::exit::Code;

/// The `Authorization` value for the URL's site, if any credentials were given.
pub fn authorization(args: &FetchArgs, url: &Url) -> anyhow::Result<Option<String>> {
    if let Some(token) = &args.bearer {
        if token.is_empty() || token.contains(['\r', '\n', '\0']) {
            return Err(Code::Usage.error("--bearer: the token is empty or has a line break"));
        }
        return Ok(Some(format!("Bearer {token}")));
    }
    if let Some(user) = &args.user {
        let (name, password) = match user.split_once(':') {
            Some((name, password)) => (name.to_string(), password.to_string()),
            None => {
                let host = url.host_str().unwrap_or_default();
                (user.clone(), ask_password(user, host)?)
            }
        };
        return Ok(Some(basic(name.as_bytes(), password.as_bytes())));
    }
    if !url.username().is_empty() || url.password().is_some() {
        let decode = |s: &str| percent_encoding::percent_decode_str(s).collect::<Vec<u8>>();
        return Ok(Some(basic(
            &decode(url.username()),
            &decode(url.password().unwrap_or("")),
        )));
    }
    let netrc = match (&args.netrc_file, args.netrc) {
        (Some(path), _) => Some((path.clone(), true)),
        (None, true) => home_netrc().map(|path| (path, false)),
        (None, false) => None,
    };
    if let Some((path, named)) = netrc {
        let host = url.host_str().unwrap_or_default();
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            // A missing ~/.netrc is no login, as curl; a file named with --netrc-file must exist.
            Err(err) if !named && err.kind() == io::ErrorKind::NotFound => String::new(),
            Err(err) => {
                return Err(Code::Usage
                    .wrap(err)
                    .context(format!("--netrc-file: cannot read {}", path.display())));
            }
        };
        if let Some((login, password)) = netrc_login(&text, host) {
            crate::debug!("* login for {host} from {}", path.display());
            return Ok(Some(basic(login.as_bytes(), password.as_bytes())));
        }
    }
    Ok(None)
}

fn basic(user: &[u8], password: &[u8]) -> String {
    let mut pair = user.to_vec();
    pair.push(b':');
    pair.extend_from_slice(password);
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

fn home_netrc() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|home| Path::new(&home).join(".netrc"))
}

/// `-u user` without a password for several URLs: ask once, up front, and keep the answer in
/// `args` so each URL's [`authorization`] finds it there.
pub fn settle_password(args: &mut FetchArgs) -> anyhow::Result<()> {
    if args.bearer.is_some() {
        return Ok(());
    }
    if let Some(user) = args.user.as_ref().filter(|user| !user.contains(':')) {
        let host = args
            .urls
            .first()
            .and_then(|text| super::request::parse_url(text).ok())
            .and_then(|url| url.host_str().map(String::from))
            .unwrap_or_default();
        let password = ask_password(user, &host)?;
        args.user = Some(format!("{user}:{password}"));
    }
    Ok(())
}

/// Ask for the password on the terminal, echo off (curl's prompt). No terminal: exit 2.
fn ask_password(user: &str, host: &str) -> anyhow::Result<String> {
    use nix::sys::termios::{self, LocalFlags, SetArg};
    let no_terminal = || {
        Code::Usage.error(format!(
            "-u {user}: no password given and no terminal to ask on (give -u {user}:PASSWORD)"
        ))
    };
    if !io::stdin().is_terminal() && !io::stderr().is_terminal() {
        return Err(no_terminal());
    }
    let tty = File::options()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .map_err(|_| no_terminal())?;
    let saved = termios::tcgetattr(tty.as_fd()).map_err(|_| no_terminal())?;
    let mut quiet = saved.clone();
    quiet.local_flags.remove(LocalFlags::ECHO);
    quiet.local_flags.insert(LocalFlags::ECHONL);
    // Echo goes off before the prompt shows, so nothing typed after it can appear.
    termios::tcsetattr(tty.as_fd(), SetArg::TCSAFLUSH, &quiet)?;
    let mut line = String::new();
    let read = write!(&tty, "Enter host password for user '{user}' at {host}: ")
        .and_then(|()| BufReader::new(&tty).read_line(&mut line));
    termios::tcsetattr(tty.as_fd(), SetArg::TCSANOW, &saved)?;
    read?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// The login and password a netrc text gives for `host` (`machine HOST`, else `default`).
pub fn netrc_login(text: &str, host: &str) -> Option<(String, String)> {
    let mut words = tokens(text).into_iter();
    let mut found: Option<(String, String)> = None;
    let mut current: Option<bool> = None; // Some(matches) inside a machine or default entry
    let mut default: Option<(String, String)> = None;
    let mut in_default = false;
    let (mut login, mut password) = (String::new(), String::new());
    let mut finish = |matched: Option<bool>,
                      in_default: bool,
                      login: &mut String,
                      password: &mut String,
                      found: &mut Option<(String, String)>| {
        let entry = (std::mem::take(login), std::mem::take(password));
        if matched == Some(true) && found.is_none() {
            *found = Some(entry);
        } else if in_default && default.is_none() {
            default = Some(entry);
        }
    };
    while let Some(word) = words.next() {
        match word.as_str() {
            "machine" => {
                finish(current, in_default, &mut login, &mut password, &mut found);
                let name = words.next().unwrap_or_default();
                current = Some(name.eq_ignore_ascii_case(host));
                in_default = false;
            }
            "default" => {
                finish(current, in_default, &mut login, &mut password, &mut found);
                current = Some(false);
                in_default = true;
            }
            "login" => login = words.next().unwrap_or_default(),
            "password" => password = words.next().unwrap_or_default(),
            "account" => {
                words.next();
            }
            // A macro runs to the next blank line: its words were dropped by `tokens`.
            _ => {}
        }
    }
    finish(current, in_default, &mut login, &mut password, &mut found);
    found.or(default).filter(|(login, _)| !login.is_empty())
}

/// A netrc's words: whitespace-separated, `"…"` quoted (with `\` escapes), `#` comments to the
/// end of a line, and `macdef` bodies (to the next blank line) left out.
fn tokens(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let mut chars = line.chars().peekable();
        let mut macdef = false;
        while let Some(&c) = chars.peek() {
            if c.is_whitespace() {
                chars.next();
            } else if c == '#' {
                break;
            } else {
                let mut word = String::new();
                if c == '"' {
                    chars.next();
                    while let Some(c) = chars.next() {
                        match c {
                            '"' => break,
                            '\\' => word.extend(chars.next()),
                            c => word.push(c),
                        }
                    }
                } else {
                    while let Some(&c) = chars.peek() {
                        if c.is_whitespace() {
                            break;
                        }
                        word.push(c);
                        chars.next();
                    }
                }
                macdef |= word == "macdef";
                words.push(word);
            }
        }
        if macdef {
            for body in lines.by_ref() {
                if body.trim().is_empty() {
                    break;
                }
            }
        }
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn netrc_finds_the_machine_then_the_default() {
        let text = "# logins\nmachine a.test login al password \"p w\"\n\
                    macdef init\ncd /\nquit\n\n\
                    machine b.test\n  login bo\n  password pb\ndefault login anon password x\n";
        assert_eq!(
            netrc_login(text, "a.test"),
            Some(("al".into(), "p w".into()))
        );
        assert_eq!(
            netrc_login(text, "B.test"),
            Some(("bo".into(), "pb".into()))
        );
        assert_eq!(
            netrc_login(text, "c.test"),
            Some(("anon".into(), "x".into()))
        );
        assert_eq!(netrc_login("machine a login x password y", "b"), None);
    }
}
