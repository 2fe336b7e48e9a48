//! `netlab fetch`'s flags.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::parse_timeout;

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    netlab fetch http://127.0.0.1:8000/               # print a page (the notes' urlopen().read())\n  \
    netlab fetch -i 127.0.0.1:8000/notes.txt          # status line and headers too\n  \
    netlab fetch -O http://127.0.0.1:8000/big.iso     # save as big.iso (with a progress bar)\n  \
    netlab fetch -C -o big.iso http://127.0.0.1:8000/big.iso   # resume\n  \
    netlab fetch --json '{\"q\":1}' http://127.0.0.1:8000/api\n  \
    netlab fetch --utf8 http://127.0.0.1:8000/gbk-page.html\n\n\
    Exit status as curl's: 3 bad URL, 6 resolve, 7 connect, 18 partial body, 22 HTTP error with \
    --fail, 23 write error, 28 timeout, 35/60 TLS, 47 too many redirects.")]
pub struct FetchArgs {
    /// The URL; `http://` is assumed when the scheme is missing.
    pub url: String,

    /// Request method.
    #[arg(short = 'X', long, value_name = "METHOD")]
    pub request: Option<String>,

    /// Extra request header 'Name: value' (repeatable).
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    pub headers: Vec<String>,

    /// Request body: TEXT, @FILE, or @- for stdin (sets POST unless -X says otherwise).
    #[arg(short, long, value_name = "DATA", conflicts_with = "json")]
    pub data: Option<String>,

    /// JSON request body: TEXT or @FILE; sets Content-Type and Accept to application/json.
    #[arg(long, value_name = "JSON")]
    pub json: Option<String>,

    /// User-Agent header.
    #[arg(short = 'A', long, value_name = "AGENT")]
    pub user_agent: Option<String>,

    /// Print the status line and headers before the body.
    #[arg(short, long)]
    pub include: bool,

    /// Send HEAD and print the status line and headers only.
    #[arg(short = 'I', long, conflicts_with_all = ["data", "json"])]
    pub head: bool,

    /// Exit 22 on an HTTP status of 400 or more, without writing the body.
    #[arg(short, long)]
    pub fail: bool,

    /// Transcode a text body from the charset it declares (GBK, Big5, Shift_JIS …) to UTF-8.
    #[arg(long)]
    pub utf8: bool,

    /// Write the body to FILE (`-` for stdout, even a binary body on a terminal).
    #[arg(short, long, value_name = "FILE", conflicts_with = "remote_name")]
    pub output: Option<PathBuf>,

    /// Write the body to a file in the current directory named from the URL or Content-Disposition.
    #[arg(short = 'O', long)]
    pub remote_name: bool,

    /// Overwrite an existing file with -O.
    #[arg(long)]
    pub force: bool,

    /// Resume a partial download of the -o/-O file with a Range request, from the size of the
    /// bytes already there (curl's spelling, `-C -`, means the same).
    #[arg(short = 'C', long = "continue")]
    pub resume: bool,

    /// No progress bar.
    #[arg(long)]
    pub no_progress: bool,

    /// Do not follow redirects.
    #[arg(long)]
    pub no_follow: bool,

    /// Most redirects to follow.
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub max_redirects: u32,

    /// Give up connecting after this long (0: no limit but the system's).
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_timeout)]
    pub connect_timeout: Duration,

    /// Give up when no byte arrives for this long (0: no limit).
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_timeout)]
    pub idle_timeout: Duration,

    /// Give up when the whole transfer takes longer than this (off by default; 0: off).
    #[arg(long, value_name = "DURATION", value_parser = parse_timeout)]
    pub timeout: Option<Duration>,

    /// Trust the CA certificates in this PEM file (a bundle works).
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<PathBuf>,

    /// Do not verify the server's TLS certificate.
    #[arg(short = 'k', long)]
    pub insecure: bool,

    /// Use this proxy (http://host:port); overrides the proxy environment variables.
    #[arg(long, value_name = "URL")]
    pub proxy: Option<String>,

    /// Hosts to reach without a proxy, comma-separated (`*` for all).
    #[arg(long, value_name = "HOSTS")]
    pub noproxy: Option<String>,
}

/// curl's `-C -` ("resume from the size of the output file") is what `-C` alone means here: the
/// `-` after `-C` (or `--continue`) of `fetch` is dropped before clap sees it, which would take
/// it for the URL. Only that exact spelling, and only before a `--`.
pub fn curl_spellings(args: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
    let mut args: Vec<OsString> = args.into_iter().collect();
    // The verb is the first word after the program name that is not a (global) flag.
    let Some(verb) = args
        .iter()
        .skip(1)
        .position(|arg| !arg.to_string_lossy().starts_with('-'))
        .map(|at| at + 1)
    else {
        return args;
    };
    if args[verb] != "fetch" {
        return args;
    }
    let mut at = verb + 1;
    while at + 1 < args.len() && args[at] != "--" {
        if (args[at] == "-C" || args[at] == "--continue") && args[at + 1] == "-" {
            args.remove(at + 1);
        }
        at += 1;
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spelled(line: &str) -> String {
        let args = curl_spellings(line.split(' ').map(OsString::from));
        args.join(OsString::from(" ").as_os_str())
            .to_string_lossy()
            .into_owned()
    }

    #[test]
    fn curl_resume_spelling_is_dropped_for_fetch_only() {
        assert_eq!(
            spelled("netlab fetch -C - -o f u"),
            "netlab fetch -C -o f u"
        );
        assert_eq!(
            spelled("netlab -q fetch --continue - -O u"),
            "netlab -q fetch --continue -O u"
        );
        assert_eq!(spelled("netlab fetch -o - -C u"), "netlab fetch -o - -C u");
        assert_eq!(spelled("netlab fetch -C -- -"), "netlab fetch -C -- -");
        assert_eq!(spelled("netlab serve -C -"), "netlab serve -C -");
        assert_eq!(spelled("netlab"), "netlab");
    }
}
