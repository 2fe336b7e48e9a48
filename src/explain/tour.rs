//! `netlab tour`: the chapter's examples in order, each run for real on loopback by this same
//! binary with `--explain` on both sides — the server's narration on the left, the client's on
//! the right when the terminal is wide enough (one above the other otherwise) — and each
//! section ends with the commands that do the same by hand.

use std::io::{BufRead, BufReader, IsTerminal, Write};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::Context as _;

use super::{Lang, Msg};
use crate::cli::TourArgs;
use crate::exit::Code;

/// How long one side of an example may take.
const WAIT: Duration = Duration::from_secs(10);
/// Side by side from this many columns on.
const WIDE: usize = 140;

/// One section: its number, its title and what runs.
struct Section {
    id: &'static str,
    title: Msg,
    steps: &'static [Step],
    by_hand: &'static [&'static str],
}

/// A server and the client run against it (`{addr}` / `{url}`: where the server listens).
struct Step {
    server: &'static [&'static str],
    client: &'static [&'static str],
}

const SECTIONS: &[Section] = &[
    Section {
        id: "13.2.1",
        title: Msg::Tour1321,
        steps: &[Step {
            server: &["serve", "--model", "serial", "--count", "1"],
            client: &["connect", "{addr}"],
        }],
        by_hand: &[
            "netlab serve --model serial --port 8881 --explain",
            "netlab connect 127.0.0.1:8881 --explain",
        ],
    },
    Section {
        id: "13.2.2",
        title: Msg::Tour1322,
        steps: &[Step {
            server: &["web", "--page", "{page}", "--count-hint"],
            client: &["fetch", "{url}"],
        }],
        by_hand: &[
            "netlab web --page page.html --port 8000 --explain",
            "netlab fetch http://127.0.0.1:8000/ --explain",
        ],
    },
    Section {
        id: "13.3",
        title: Msg::Tour133,
        steps: &[Step {
            server: &["serve", "--model", "thread", "--echo", "--count", "1"],
            client: &["connect", "--send", "Hello, SocketServer", "{addr}"],
        }],
        by_hand: &[
            "netlab serve --model thread --echo --port 8881 --explain",
            "netlab connect 127.0.0.1:8881 --explain",
        ],
    },
    Section {
        id: "13.4",
        title: Msg::Tour134,
        steps: &[Step {
            server: &["web", "--page", "{page}", "--count-hint"],
            client: &["fetch", "{url}"],
        }],
        by_hand: &[
            "netlab fetch http://127.0.0.1:8000/ --explain",
            "netlab urldecode -p 'https://www.baidu.com/s?wd=python%E6%95%99%E7%A8%8B'",
            "netlab urldecode -p 'https://www.baidu.com/s?ie=utf-8&wd=%E7%BD%91%E7%BB%9C%E7%BC%96%E7%A8%8B'",
        ],
    },
    Section {
        id: "13.5",
        title: Msg::Tour135,
        steps: &[
            Step {
                server: &["serve", "--model", "fork", "--count", "1"],
                client: &["connect", "{addr}"],
            },
            Step {
                server: &["serve", "--model", "poll", "--count", "1"],
                client: &["connect", "{addr}"],
            },
        ],
        by_hand: &[
            "netlab serve --model fork --port 8881 --explain",
            "netlab serve --model poll --port 8881 --explain",
            "netlab bench compare 127.0.0.1:8881   # or: netlab bench tcp 127.0.0.1:8881",
        ],
    },
];

/// The two URLs of the notes' 13.4, decoded after the fetch.
const BAIDU: &[&str] = &[
    "https://www.baidu.com/s?wd=python%E6%95%99%E7%A8%8B",
    "https://www.baidu.com/s?ie=utf-8&wd=%E7%BD%91%E7%BB%9C%E7%BC%96%E7%A8%8B",
];

/// The page 13.2.2 and 13.4 serve.
const PAGE: &str = "<html><body><h1>Hello, World!</h1></body></html>\n";

/// Run the tour (or one section of it).
pub fn run(args: TourArgs, lang: Option<Lang>) -> anyhow::Result<()> {
    let lang = lang.unwrap_or_else(|| super::from_locale(|name| std::env::var(name).ok()));
    let chosen: Vec<&Section> = match &args.section {
        None => SECTIONS.iter().collect(),
        Some(id) => {
            let id = if id == "13.6" { "13.5" } else { id.as_str() };
            let found: Vec<&Section> = SECTIONS.iter().filter(|s| s.id == id).collect();
            if found.is_empty() {
                let all: Vec<&str> = SECTIONS.iter().map(|s| s.id).collect();
                return Err(Code::Usage.error(format!(
                    "tour: no section {id} (the sections: {})",
                    all.join(", ")
                )));
            }
            found
        }
    };
    let pause = !args.auto && std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    let width = columns();
    let dir = std::env::temp_dir().join(format!("netlab-tour-{}", std::process::id()));
    std::fs::create_dir_all(&dir).context("make the tour's directory")?;
    let page = dir.join("page.html");
    std::fs::write(&page, PAGE).context("write the tour's page")?;
    let done = (|| {
        let mut out = std::io::stdout().lock();
        for (n, section) in chosen.iter().enumerate() {
            let rule = "═".repeat(width.min(100));
            writeln!(out, "{rule}\n{}\n{rule}", section.title.render(lang, &[]))?;
            for step in section.steps {
                let (server, client) = run_step(step, lang, &page)?;
                show(&mut out, lang, width, &server, &client)?;
            }
            if section.id == "13.4" {
                for url in BAIDU {
                    let decoded = netlab(lang, &["urldecode", "-p", url])
                        .output()
                        .context("run urldecode")?;
                    writeln!(out, "$ netlab urldecode -p '{url}'")?;
                    out.write_all(&decoded.stdout)?;
                }
            }
            writeln!(out, "\n{}", Msg::TourByHand.render(lang, &[]))?;
            for command in section.by_hand {
                writeln!(out, "  {command}")?;
            }
            writeln!(out)?;
            out.flush()?;
            if pause && n + 1 < chosen.len() {
                write!(out, "{}", Msg::TourEnter.render(lang, &[]))?;
                out.flush()?;
                let mut line = String::new();
                std::io::stdin().lock().read_line(&mut line)?;
            }
        }
        anyhow::Ok(())
    })();
    let _ = std::fs::remove_dir_all(&dir);
    done
}

/// This binary, with the tour's language.
fn netlab(lang: Lang, args: &[&str]) -> Command {
    let exe = std::env::current_exe().unwrap_or_else(|_| "netlab".into());
    let mut command = Command::new(exe);
    command.arg("--lang").arg(match lang {
        Lang::En => "en",
        Lang::Zh => "zh",
    });
    command.args(args).stdin(Stdio::null());
    command
}

/// Start the server, read where it listens, run the client, wait for both: the server's
/// stderr, and the client's stdout and stderr.
fn run_step(
    step: &Step,
    lang: Lang,
    page: &std::path::Path,
) -> anyhow::Result<(Vec<String>, Vec<String>)> {
    let page = page.to_string_lossy();
    let mut args: Vec<&str> = Vec::new();
    let web = step.server[0] == "web";
    for arg in step.server {
        match *arg {
            "{page}" => args.push(&page),
            // web has no --count: it is stopped once the client is done.
            "--count-hint" => {}
            other => args.push(other),
        }
    }
    args.extend(["--explain", "--port", "0"]);
    let mut server = netlab(lang, &args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .context("start the tour's server")?;
    let lines = read_lines(&mut server);
    let result = talk(step, lang, &lines);
    if result.is_err() || web {
        // web runs until told to stop; a failed step's server is not left behind.
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(server.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        );
    }
    let exited = wait(&mut server);
    let mut server_lines = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(2);
    while let Ok(line) = lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        server_lines.push(line);
    }
    let (first, client) = result?;
    server_lines.insert(0, first);
    if !exited {
        anyhow::bail!("tour: the server did not finish within {}s", WAIT.as_secs());
    }
    Ok((server_lines, client))
}

/// The first line (where the server listens), then the client's run.
fn talk(
    step: &Step,
    lang: Lang,
    lines: &mpsc::Receiver<String>,
) -> anyhow::Result<(String, Vec<String>)> {
    let first = lines
        .recv_timeout(WAIT)
        .context("tour: the server did not start")?;
    let location = first
        .split("listening on ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .with_context(|| format!("tour: the server said {first:?}"))?;
    let addr = location
        .split("://")
        .nth(1)
        .unwrap_or(location)
        .trim_end_matches('/')
        .to_string();
    let url = format!("http://{addr}/");
    let args: Vec<&str> = step
        .client
        .iter()
        .map(|arg| match *arg {
            "{addr}" => addr.as_str(),
            "{url}" => url.as_str(),
            other => other,
        })
        .collect();
    let mut explained = args.clone();
    explained.push("--explain");
    let mut client = netlab(lang, &explained)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("start the tour's client")?;
    let out = client.stdout.take().map(drain);
    let err = client.stderr.take().map(drain);
    if !wait(&mut client) {
        anyhow::bail!("tour: the client did not finish within {}s", WAIT.as_secs());
    }
    let mut shown = vec![format!("$ netlab {}", args.join(" "))];
    for text in [out, err].into_iter().flatten() {
        let text = text.join().unwrap_or_default();
        shown.extend(String::from_utf8_lossy(&text).lines().map(str::to_string));
    }
    Ok((first, shown))
}

fn read_lines(child: &mut Child) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    if let Some(stderr) = child.stderr.take() {
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
    }
    rx
}

fn drain(mut pipe: impl std::io::Read + Send + 'static) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        bytes
    })
}

/// Wait (bounded) for a child; kill it when it does not exit in time.
fn wait(child: &mut Child) -> bool {
    let deadline = Instant::now() + WAIT;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = child.kill();
    let _ = child.wait();
    false
}

/// The terminal's width (`COLUMNS`, else the terminal's own, else 80).
fn columns() -> usize {
    if let Some(n) = std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()) {
        return n;
    }
    let mut size = nix::libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ fills the winsize it is given; a descriptor that is no terminal fails.
    let got = unsafe { nix::libc::ioctl(1, nix::libc::TIOCGWINSZ, &mut size) };
    if got == 0 && size.ws_col > 0 {
        usize::from(size.ws_col)
    } else {
        80
    }
}

/// Columns a character takes on a terminal: two for CJK and full-width forms.
fn char_width(c: char) -> usize {
    match c as u32 {
        0x1100..=0x115f | 0x2e80..=0xa4cf | 0xac00..=0xd7a3 | 0xf900..=0xfaff | 0xfe30..=0xfe4f => {
            2
        }
        0xff00..=0xff60 | 0xffe0..=0xffe6 => 2,
        _ => 1,
    }
}

/// A line cut into pieces of at most `width` columns, with their widths: between words where it
/// can (and anywhere between Chinese characters), each piece after the first indented as the
/// line is (the explanations under each call stay under it).
fn wrap(line: &str, width: usize) -> Vec<(String, usize)> {
    let width = width.max(2);
    let indent = line
        .chars()
        .take_while(|c| *c == ' ')
        .count()
        .min(width / 2);
    let columns = |chars: &[char]| chars.iter().map(|c| char_width(*c)).sum::<usize>();
    let mut pieces = Vec::new();
    let mut piece: Vec<char> = Vec::new();
    // The piece's width so far, kept as characters are pushed.
    let mut used = 0;
    // Where the piece may be cut: just after its last space, or before its last wide character.
    let mut cut_at: Option<usize> = None;
    // The piece's first character that is not its indentation.
    let mut body = 0;
    for c in line.chars() {
        let w = char_width(c);
        if used + w > width && piece.len() > body {
            let here = w == 2 || c == ' ' || piece.last() == Some(&' ');
            let cut = if here {
                piece.len()
            } else {
                cut_at.filter(|&at| at > body).unwrap_or(piece.len())
            };
            let rest = piece.split_off(cut);
            let head: String = piece.iter().collect::<String>().trim_end().to_string();
            let head_used = head.chars().map(char_width).sum();
            pieces.push((head, head_used));
            piece = std::iter::repeat_n(' ', indent).chain(rest).collect();
            used = columns(&piece);
            body = indent;
            cut_at = None;
        }
        if c == ' ' && piece.len() == body && !pieces.is_empty() {
            continue;
        }
        if c == ' ' {
            cut_at = Some(piece.len() + 1);
        } else if w == 2 {
            cut_at = Some(piece.len());
        }
        piece.push(c);
        used += w;
    }
    pieces.push((piece.into_iter().collect(), used));
    pieces
}

/// Both sides: side by side on a wide terminal, one above the other otherwise.
fn show(
    out: &mut impl Write,
    lang: Lang,
    width: usize,
    server: &[String],
    client: &[String],
) -> std::io::Result<()> {
    let server_title = format!("── {} ──", Msg::TourServer.render(lang, &[]));
    let client_title = format!("── {} ──", Msg::TourClient.render(lang, &[]));
    if width < WIDE {
        for (title, lines) in [(server_title, server), (client_title, client)] {
            writeln!(out, "{title}")?;
            for (piece, _) in lines.iter().flat_map(|line| wrap(line, width)) {
                writeln!(out, "{piece}")?;
            }
        }
        return Ok(());
    }
    let half = (width - 3) / 2;
    let left: Vec<(String, usize)> = std::iter::once(server_title)
        .chain(server.iter().cloned())
        .flat_map(|line| wrap(&line, half))
        .collect();
    let right: Vec<(String, usize)> = std::iter::once(client_title)
        .chain(client.iter().cloned())
        .flat_map(|line| wrap(&line, half))
        .collect();
    for n in 0..left.len().max(right.len()) {
        let (l, used) = left.get(n).cloned().unwrap_or_default();
        let (r, _) = right.get(n).cloned().unwrap_or_default();
        let pad = " ".repeat(half.saturating_sub(used));
        writeln!(out, "{l}{pad} │ {r}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_wraps_between_words_and_keeps_its_indent() {
        let pieces = wrap("    one two three four", 14);
        let texts: Vec<&str> = pieces.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(texts, ["    one two", "    three four"]);
        assert!(pieces.iter().all(|(_, used)| *used <= 14));
    }

    #[test]
    fn a_word_longer_than_the_width_is_cut() {
        let pieces = wrap("abcdefghij", 4);
        let texts: Vec<&str> = pieces.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(texts, ["abcd", "efgh", "ij"]);
    }

    #[test]
    fn chinese_takes_two_columns_when_wrapped() {
        let pieces = wrap("服务器ab", 4);
        assert_eq!(pieces[0], ("服务".to_string(), 4));
        assert_eq!(pieces[1], ("器ab".to_string(), 4));
    }
}
