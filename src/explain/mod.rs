//! `--explain`: the socket calls netlab really makes, narrated on stderr as they happen — the
//! call with its real descriptor, arguments and result, then one line on what it means, in
//! English or Chinese ([`catalogue`]).
//!
//! Without `--explain` every hook is one relaxed atomic load ([`on`]) and then returns what it
//! was given: nothing is formatted. A server's calls before its `listening on` line (socket,
//! bind, listen) are held and said right after it ([`release`]), since scripts read that line
//! first. Under load a server narrates its first [`FULL`] connections in full and then, at most
//! once a second, how many more followed the same calls ([`calls`] keeps who is narrated).

pub mod calls;
pub mod catalogue;
mod client;
pub mod http;
mod models;
mod more_calls;
pub mod tour;

pub use calls::*;
pub use catalogue::{Lang, Msg};
pub use client::connect;
pub use models::*;
pub use more_calls::*;

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

static ON: AtomicBool = AtomicBool::new(false);
static ZH: AtomicBool = AtomicBool::new(false);
/// Lines said before the `listening on` line: `Some` while a server is getting ready.
static HELD: Mutex<Option<Vec<String>>> = Mutex::new(None);

/// Connections a server narrates in full before it only counts them.
pub const FULL: u64 = 3;

/// Whether `--explain` is on: the one check every hook makes first.
#[inline(always)]
pub fn on() -> bool {
    ON.load(Ordering::Relaxed)
}

/// Set once from the global flags, before a verb runs. `server`: the verb listens, so its first
/// calls are held until its `listening on` line, and only its first connections are narrated.
pub fn init(explain: bool, lang: Option<Lang>, server: bool) {
    if !explain {
        return;
    }
    let lang = lang.unwrap_or_else(|| from_locale(|name| std::env::var(name).ok()));
    ZH.store(lang == Lang::Zh, Ordering::Relaxed);
    if server {
        *crate::net::lock(&HELD) = Some(Vec::new());
    }
    calls::set_server(server);
    ON.store(true, Ordering::Relaxed);
}

/// The language the locale asks for, read in POSIX's order: `LC_ALL`, then `LC_MESSAGES`, then
/// `LANG` (the first one set and not empty decides); a value starting with `zh` is Chinese.
pub fn from_locale(var: impl Fn(&str) -> Option<String>) -> Lang {
    let value = ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .filter_map(|name| var(name))
        .find(|value| !value.is_empty());
    match value {
        Some(value) if value.starts_with("zh") => Lang::Zh,
        _ => Lang::En,
    }
}

/// The narration's language.
pub fn lang() -> Lang {
    if ZH.load(Ordering::Relaxed) {
        Lang::Zh
    } else {
        Lang::En
    }
}

/// Say the held lines (after the `listening on` line), and stop holding.
pub fn release() {
    if !on() {
        return;
    }
    let held = crate::net::lock(&HELD).take();
    for text in held.into_iter().flatten() {
        crate::log::line(format_args!("{text}"));
    }
}

/// At the end of a verb: what is still held (a server that never got ready, such as one whose
/// bind failed) and the count of connections not narrated.
pub fn finish() {
    if on() {
        release();
        calls::flush_more();
    }
}

/// Say one call and its explanation, as one write (lines from threads never mix).
pub(crate) fn say(call: std::fmt::Arguments<'_>, msg: Msg, args: &[&dyn std::fmt::Display]) {
    let text = format!("[explain] {call}\n          {}", msg.render(lang(), args));
    emit(text);
}

/// A line with no call (the count of connections not narrated).
pub(crate) fn note(msg: Msg, args: &[&dyn std::fmt::Display]) {
    emit(format!("[explain] {}", msg.render(lang(), args)));
}

fn emit(text: String) {
    let mut held = crate::net::lock(&HELD);
    match held.as_mut() {
        Some(lines) => lines.push(text),
        None => {
            drop(held);
            if OPEN_LINE.swap(false, Ordering::Relaxed) && stdout_is_stderr() {
                crate::log::line(format_args!("\n{text}"));
            } else {
                crate::log::line(format_args!("{text}"));
            }
        }
    }
}

/// Standard output was left in the middle of a line (a greeting with no newline).
static OPEN_LINE: AtomicBool = AtomicBool::new(false);

/// A client wrote `bytes` to standard output: when they end mid-line and stderr goes to the
/// same place (a terminal, `2>&1`), the next narration starts on a line of its own rather than
/// after the server's words.
pub fn stdout_wrote(bytes: &[u8]) {
    if on()
        && let Some(last) = bytes.last()
    {
        OPEN_LINE.store(*last != b'\n', Ordering::Relaxed);
    }
}

/// Whether descriptors 1 and 2 are one file (the same terminal, or `2>&1`).
fn stdout_is_stderr() -> bool {
    static SAME: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *SAME.get_or_init(|| {
        let id = |stat: nix::sys::stat::FileStat| (stat.st_dev, stat.st_ino);
        let out = nix::sys::stat::fstat(std::io::stdout()).ok().map(id);
        out.is_some() && out == nix::sys::stat::fstat(std::io::stderr()).ok().map(id)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.to_string())
        }
    }

    #[test]
    fn the_locale_is_read_in_posix_order() {
        assert_eq!(from_locale(env(&[])), Lang::En);
        assert_eq!(from_locale(env(&[("LANG", "zh_CN.UTF-8")])), Lang::Zh);
        assert_eq!(
            from_locale(env(&[("LANG", "zh_CN.UTF-8"), ("LC_ALL", "C")])),
            Lang::En
        );
        assert_eq!(
            from_locale(env(&[("LANG", "en_US.UTF-8"), ("LC_MESSAGES", "zh_TW")])),
            Lang::Zh
        );
        assert_eq!(
            from_locale(env(&[("LC_ALL", ""), ("LANG", "zh_CN")])),
            Lang::Zh
        );
    }
}
