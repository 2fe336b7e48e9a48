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
    netlab fetch -O --output-dir got 127.0.0.1:8000/a.txt 127.0.0.1:8000/b.txt   # one connection\n  \
    netlab fetch -o a.txt -o b.txt 127.0.0.1:8000/a 127.0.0.1:8000/b   # the n-th -o, the n-th URL\n  \
    netlab fetch -Z --parallel-max 4 -O 127.0.0.1:8000/1.bin 127.0.0.1:8000/2.bin\n  \
    netlab fetch -OJ 127.0.0.1:8000/download?id=7   # named by Content-Disposition\n  \
    netlab fetch --json '{\"q\":1}' http://127.0.0.1:8000/api\n  \
    netlab fetch --utf8 http://127.0.0.1:8000/gbk-page.html\n  \
    netlab fetch -F name=ada -F 'cv=@cv.pdf;type=application/pdf' 127.0.0.1:8000/apply\n  \
    netlab fetch -G --data-urlencode 'q=a b' 127.0.0.1:8000/search   # GET /search?q=a%20b\n  \
    netlab fetch -T notes.txt -u alice 127.0.0.1:8000/files/   # PUT, the password is asked\n  \
    netlab fetch --retry 5 --retry-on 5xx,refused 127.0.0.1:8000/flaky\n  \
    netlab fetch -c jar.txt -b jar.txt -d user=ada 127.0.0.1:8000/login   # keep the session\n  \
    netlab fetch -x http://127.0.0.1:3128 -U alice:pw https://example.org/   # through a proxy\n\n\
    Exit status as curl's: 3 bad URL, 6 resolve, 7 connect, 18 partial body, 22 HTTP error with \
    --fail, 23 write error, 28 timeout, 35/60 TLS, 47 too many redirects, 97 refused by the proxy; with several URLs, the first failed one's.")]
pub struct FetchArgs {
    /// The URLs, fetched in order over kept connections; `http://` is assumed when the scheme
    /// is missing.
    #[arg(required = true, value_name = "URL")]
    pub urls: Vec<String>,

    /// Request method.
    #[arg(short = 'X', long, value_name = "METHOD")]
    pub request: Option<String>,

    /// Extra request header 'Name: value' (repeatable).
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    pub headers: Vec<String>,

    /// Request body: TEXT, @FILE, or @- for stdin (sets POST unless -X says otherwise); repeated,
    /// the pieces are joined with `&`.
    #[arg(short, long, value_name = "DATA", conflicts_with = "json")]
    pub data: Vec<String>,

    /// A form field percent-encoded as curl does: `content`, `=content`, `name=content`,
    /// `@FILE` or `name@FILE` (repeatable; joined with `&` after the -d pieces).
    #[arg(long, value_name = "DATA", conflicts_with = "json")]
    pub data_urlencode: Vec<String>,

    /// Send the -d/--data-urlencode data in the URL's query with a GET (or HEAD with -I).
    #[arg(short = 'G', long, conflicts_with_all = ["form", "upload_file", "json"])]
    pub get: bool,

    /// A multipart form field (repeatable): `name=value`, `name=@FILE` (a file, streamed from
    /// disk), `name=<FILE` (a file's text as the value); a file may add `;type=MIME` and
    /// `;filename=NAME`.
    #[arg(short = 'F', long, value_name = "NAME=CONTENT", conflicts_with_all = ["data", "data_urlencode", "json", "upload_file"])]
    pub form: Vec<String>,

    /// PUT this file (streamed from disk; `-` reads stdin); a URL ending in `/` gets the file's name.
    #[arg(short = 'T', long, value_name = "FILE", conflicts_with_all = ["data", "data_urlencode", "json"])]
    pub upload_file: Option<PathBuf>,

    /// Basic auth: `user:password`, or `user` alone to be asked for the password on the terminal.
    /// Sent to the URL's own host only, never to another after a redirect.
    #[arg(short = 'u', long, value_name = "USER[:PASSWORD]")]
    pub user: Option<String>,

    /// Send `Authorization: Bearer TOKEN` (to the URL's own host only).
    #[arg(
        long,
        visible_alias = "oauth2-bearer",
        value_name = "TOKEN",
        conflicts_with = "user"
    )]
    pub bearer: Option<String>,

    /// Take the login for the URL's host from ~/.netrc (when -u and the URL give none).
    #[arg(short = 'n', long)]
    pub netrc: bool,

    /// Cookies to send: `'a=1; b=2'` as typed (to the URL's own site), or a Netscape cookie jar
    /// FILE as curl writes it (a missing or empty file is an empty jar).
    #[arg(short = 'b', long, value_name = "DATA|FILE")]
    pub cookie: Option<String>,

    /// Write every cookie known at the end to this Netscape cookie-jar FILE (curl reads it).
    #[arg(short = 'c', long, value_name = "FILE")]
    pub cookie_jar: Option<PathBuf>,

    /// Try again up to N times after a failure listed in --retry-on, waiting longer each time.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub retry: u32,

    /// What is worth a retry, comma-separated: refused, timeout, reset, 5xx, or a status.
    #[arg(
        long,
        value_name = "LIST",
        default_value = DEFAULT_RETRY_ON
    )]
    pub retry_on: String,

    /// The first wait between tries; each next one doubles, with jitter (Retry-After wins).
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = super::values::parse_duration)]
    pub retry_delay: Duration,

    /// Retry no more once this long has gone by since the first try; also caps a Retry-After.
    #[arg(long, value_name = "DURATION", default_value = "120s", value_parser = parse_timeout)]
    pub retry_max_time: Duration,

    /// Take the login for the URL's host from this netrc file.
    #[arg(long, value_name = "FILE", conflicts_with = "netrc")]
    pub netrc_file: Option<PathBuf>,

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
    #[arg(short = 'I', long, conflicts_with_all = ["json", "form", "upload_file"])]
    pub head: bool,

    /// Exit 22 on an HTTP status of 400 or more, without writing the body.
    #[arg(short, long)]
    pub fail: bool,

    /// Transcode a text body from the charset it declares (GBK, Big5, Shift_JIS …) to UTF-8.
    #[arg(long)]
    pub utf8: bool,

    /// Write the body to FILE (`-` for stdout, even a binary body on a terminal); repeated, the
    /// n-th -o is the n-th URL's, and URLs past the last -o go to stdout (as curl).
    #[arg(short, long, value_name = "FILE", conflicts_with = "remote_name")]
    pub output: Vec<PathBuf>,

    /// Save every URL's body to a file named from its URL's last segment (made safe), in the
    /// current directory or --output-dir.
    #[arg(short = 'O', long, visible_alias = "remote-name-all")]
    pub remote_name: bool,

    /// With -O: take the name from the answer's Content-Disposition (`filename*` first), made a
    /// plain base name (never a path, never a dotfile); the URL's name when it gives none.
    #[arg(short = 'J', long, requires = "remote_name")]
    pub remote_header_name: bool,

    /// With -O: name the file from the URL the redirects ended at, not the one given.
    #[arg(long, requires = "remote_name")]
    pub name_from_final_url: bool,

    /// Put -O files, and -o files given as relative paths, in this directory.
    #[arg(long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,

    /// Create the missing directories of -o paths and of --output-dir.
    #[arg(long)]
    pub create_dirs: bool,

    /// Overwrite an existing file with -O.
    #[arg(long)]
    pub force: bool,

    /// Fetch the URLs at the same time (up to --parallel-max at once), not one after another.
    #[arg(short = 'Z', long)]
    pub parallel: bool,

    /// With -Z: most transfers at once.
    #[arg(long, value_name = "N", default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub parallel_max: u32,

    /// Stop at the first URL that fails (the default goes on with the others).
    #[arg(long)]
    pub fail_early: bool,

    /// Resume a partial download of the -o/-O file with a Range request, from the size of the
    /// bytes already there (curl's spelling, `-C -`, means the same). With -J or
    /// --name-from-final-url the name is known only from the answer: when that file (or its
    /// `.part`) is there, the request is sent again to the final URL with a Range.
    #[arg(short = 'C', long = "continue")]
    pub resume: bool,

    /// No progress bar.
    #[arg(long)]
    pub no_progress: bool,

    /// curl's -s: no progress bar and no messages, not even errors (unless -S); the exit code
    /// says what happened.
    #[arg(short = 's', long)]
    pub silent: bool,

    /// With -s: still say what went wrong when the transfer fails.
    #[arg(short = 'S', long)]
    pub show_error: bool,

    /// Accepted for curl users' fingers: redirects are followed already (--no-follow stops that).
    #[arg(short = 'L', long)]
    pub location: bool,

    /// Accepted for curl users' fingers: gzip, br and zstd answers are decoded already.
    #[arg(long)]
    pub compressed: bool,

    /// Once the transfer is over, print FORMAT to stdout with curl's variables filled in:
    /// `%{http_code}`, `%{time_starttransfer}`, `%{time_total}`, `%{size_download}`,
    /// `%{url_effective}`, `%{json}` …, `%header{NAME}`; `%{stderr}` sends the rest to stderr;
    /// `@FILE` reads the format from a file. An unknown variable is an error (exit 2).
    #[arg(short = 'w', long, value_name = "FORMAT", help_heading = "Timing")]
    pub write_out: Option<String>,

    /// Once the transfer is over, a table on stderr of where the time went: DNS, connect, TLS,
    /// request sent, waiting for the first byte, download — each phase its own duration, not
    /// curl's stamps from the start.
    #[arg(long, help_heading = "Timing")]
    pub timing: bool,

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

    /// Present this client certificate (PEM) when an https server asks for one (mutual TLS).
    #[arg(short = 'E', long, value_name = "FILE", requires = "key")]
    pub cert: Option<PathBuf>,

    /// The private key of --cert (PEM, not encrypted).
    #[arg(long, value_name = "FILE", requires = "cert")]
    pub key: Option<PathBuf>,

    /// Use this proxy (`http://HOST:PORT`, `socks5://…`, `socks5h://…`; `''` for none); overrides
    /// the proxy environment variables.
    #[arg(short = 'x', long, value_name = "URL")]
    pub proxy: Option<String>,

    /// The proxy's user name and password (instead of USER:PASS@ in the proxy URL).
    #[arg(short = 'U', long, value_name = "USER:PASS")]
    pub proxy_user: Option<String>,

    /// Hosts to reach without a proxy, comma-separated (`*` for all).
    #[arg(long, value_name = "HOSTS")]
    pub noproxy: Option<String>,

    /// Print the curl command line that asks for the same thing, and fetch nothing (netlab's
    /// defaults spelled out for curl; what curl has no flag for is named on stderr).
    #[arg(long)]
    pub print_curl: bool,
}

/// `--retry-on`'s default: what usually passes on its own.
pub const DEFAULT_RETRY_ON: &str = "refused,timeout,reset,408,429,500,502,503,504";

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
