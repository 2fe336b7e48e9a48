//! `netlab web`'s flags, and what they are when none is given (`web::Site::new` uses them).

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, FromArgMatches};

use super::{parse_duration, parse_port, parse_positive_duration, parse_size};

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    netlab web                                        # this directory on http://127.0.0.1:8000/\n  \
    netlab web ./site --port 0                        # a free port; the first stderr line says which\n  \
    netlab web --page page.html --port 10001          # the notes' simple_webserver.py, done right\n  \
    netlab web --echo                                 # see what your browser sends\n  \
    netlab web ./old-site --charset gbk               # legacy pages without <meta charset>\n  \
    netlab web --host :: ./public --cors              # all interfaces, IPv6 and IPv4\n  \
    netlab web ./site --no-compress                   # files as they are (FILE.gz beside one still goes)\n  \
    netlab web --tls --tls-save-cert c.pem            # https with a fresh certificate; curl --cacert c.pem\n  \
    netlab web --tls-cert chain.pem --tls-key key.pem # https with your own certificate\n  \
    netlab web ./drop --upload --max-upload 1G        # curl -T file.iso http://127.0.0.1:8000/\n  \
    netlab web --upload --mkdir --delete --overwrite  # a folder others may change\n  \
    netlab web --upload --auth ann:pw --auth-for write --tls   # public reads, writes need a password\n  \
    netlab web ./photos --archives                    # curl -OJ 'http://127.0.0.1:8000/?download=zip'\n  \
    netlab web ./dist --spa --404 404.html --header 'X-Frame-Options: DENY'\n  \
    netlab web --unix /tmp/web.sock                   # curl --unix-socket /tmp/web.sock http://x/\n  \
    netlab web --host 0.0.0.0 --qr                    # a QR code for a phone on the same network")]
pub struct WebArgs {
    /// Directory to serve.
    #[arg(value_name = "DIR", default_value = ".", conflicts_with_all = ["page", "echo"])]
    pub dir: PathBuf,

    /// Address or name to bind; `::` listens on IPv6 and IPv4 (dual-stack). A name
    /// (`localhost`) binds every address it resolves to, on one port, one `listening on` line
    /// each; one that does not resolve exits 2.
    #[arg(long, default_value = "127.0.0.1", value_name = "HOST")]
    pub host: String,

    /// Port to bind; 0 picks a free one.
    #[arg(short, long, default_value_t = 8000, value_parser = parse_port)]
    pub port: u16,

    /// Answer every request with this page (`-` reads it from stdin).
    #[arg(long, value_name = "FILE", conflicts_with = "echo")]
    pub page: Option<PathBuf>,

    /// Answer every request with the request itself (JSON when the client accepts it).
    #[arg(long)]
    pub echo: bool,

    /// Never list a directory; a directory without an index gets 403.
    #[arg(long)]
    pub no_listing: bool,

    /// File served for a directory when present.
    #[arg(long, value_name = "NAME", default_value = "index.html")]
    pub index: String,

    /// Name this charset (gbk, big5, shift_jis …) in every text file's Content-Type. Without
    /// it a file gets `charset=utf-8` when it is UTF-8 and no charset otherwise, so a page's
    /// `<meta charset>` decides.
    #[arg(long, value_name = "LABEL")]
    pub charset: Option<String>,

    /// Do not compress on the fly. By default a text file over 1 KiB and up to 1 MiB goes out
    /// br, zstd or gzip, as the client's Accept-Encoding prefers (ties: br, zstd, gzip); text is
    /// text/*, JSON, JavaScript, XML, *+json, *+xml (SVG) and WebAssembly. Each compressed form
    /// is kept in memory until the file changes. A Range request gets the file as it is. A
    /// precompressed FILE.br, FILE.zst or FILE.gz beside the file is sent instead, at any size,
    /// with this flag too.
    #[arg(long)]
    pub no_compress: bool,

    /// Add `Access-Control-Allow-Origin: *` to every response.
    #[arg(long)]
    pub cors: bool,

    /// Serve and list dotfiles (hidden and refused by default).
    #[arg(long)]
    pub hidden: bool,

    /// Most connections at once. At the limit, a newcomer takes the place of the connection
    /// that has waited longest for a request head (so slow clients cannot hold every slot);
    /// only when every connection has a request in hand does it get 503 and is closed.
    #[arg(long, default_value_t = 1024, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_conns: u32,

    /// The whole request head must arrive within this time (else 408). More than 0: it is the
    /// server's guard against clients that send a head slowly.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_positive_duration)]
    pub header_timeout: Duration,

    /// Close a keep-alive connection idle for this long (0: no keep-alive, every response
    /// closes its connection, as nginx's keepalive_timeout 0).
    #[arg(long, value_name = "DURATION", default_value = "15s", value_parser = parse_duration)]
    pub keepalive_timeout: Duration,

    /// Close a connection whose client has not taken any byte for this long. More than 0: it is
    /// the server's guard against clients that stop reading.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_positive_duration)]
    pub write_timeout: Duration,

    /// Take uploads: `PUT /path/name` creates a file (201; an existing one is 409 unless
    /// --overwrite), and so does the listing page's form (`POST` of multipart/form-data to a
    /// folder, several files at once). Each body goes to a temporary file beside the target,
    /// fsynced, and is renamed into place only when whole: a cut or failed upload leaves
    /// nothing.
    #[arg(long, conflicts_with_all = ["page", "echo"])]
    pub upload: bool,

    /// With --upload: a PUT may replace an existing file (204).
    #[arg(long, requires = "upload")]
    pub overwrite: bool,

    /// Allow creating folders: a PUT into a folder that does not exist creates it (else 404),
    /// and the listing page has a new-folder form (`POST /dir/?mkdir` with `name=`).
    #[arg(long, conflicts_with_all = ["page", "echo"])]
    pub mkdir: bool,

    /// Allow `DELETE` of a file or an empty folder (204); the listing page has a button per row.
    #[arg(long, conflicts_with_all = ["page", "echo"])]
    pub delete: bool,

    /// Largest upload (`100M`, `2G`; for a form, its whole body); 413 above it, checked against
    /// Content-Length before a byte is read and while the body streams. Without it the disk is the limit (a full disk
    /// gets 507).
    #[arg(long, value_name = "SIZE", value_parser = parse_size, requires = "upload")]
    pub max_upload: Option<u64>,

    /// Ask for a user and password (HTTP Basic): `USER:PASS`, or `USER:sha256:HEX` with the
    /// SHA-256 of the password in hex (`printf %s PASS | sha256sum`), so it need not sit in
    /// shell history. Repeat for more users. Over plain HTTP the password crosses the network
    /// readable: use --tls beyond this machine.
    #[arg(long, value_name = "USER:PASS", action = clap::ArgAction::Append, group = "credentials")]
    pub auth: Vec<String>,

    /// Users from a file, one `USER:PASS` or `USER:sha256:HEX` a line (`#` comments).
    #[arg(long, value_name = "FILE", group = "credentials")]
    pub auth_file: Option<PathBuf>,

    /// What the password guards: `all` requests, or only `write`s (uploads, new folders,
    /// deletions: reads stay public). Default: all. Needs --auth or --auth-file.
    #[arg(long, value_name = "WHAT", value_enum, requires = "credentials")]
    pub auth_for: Option<AuthFor>,

    /// Offer each folder as one archive: `?download=tar`, `tar.gz` or `zip` (links on the
    /// listing page). Streamed as the folder is read, with what the listing shows (dotfiles
    /// only with --hidden; a symlink only when it stays inside DIR). Off by default.
    #[arg(long, conflicts_with_all = ["page", "echo", "no_listing"])]
    pub archives: bool,

    /// Add this header to every response (repeatable): `--header 'X-Frame-Options: DENY'`.
    /// A header netlab sets itself (Content-Type, Content-Length, Connection, Vary …) is
    /// refused.
    #[arg(long, value_name = "NAME: VALUE", action = clap::ArgAction::Append)]
    pub header: Vec<String>,

    /// Single-page app: a path that is not found and has no extension in its last segment
    /// (`/app/route`, not `/app.js`) gets the root's index file (200), so the app's router
    /// decides. Folders that exist are served as without it.
    #[arg(long, conflicts_with_all = ["page", "echo"])]
    pub spa: bool,

    /// The body of every 404 (status still 404), read at start; at most 1 MiB.
    #[arg(long = "404", value_name = "FILE", conflicts_with_all = ["page", "echo"])]
    pub not_found: Option<PathBuf>,

    /// Listen on a Unix socket at PATH instead of TCP (`curl --unix-socket PATH
    /// http://localhost/`). A stale socket there (nobody listening) is replaced; anything else
    /// is left alone and is an error. The socket is removed at exit. No TLS over it.
    #[arg(long, value_name = "PATH", conflicts_with_all = ["host", "port"])]
    pub unix: Option<PathBuf>,

    /// Print a QR code of the URL on stderr, after the `listening on` lines, for a phone on the
    /// same network. With a wildcard --host (`0.0.0.0`, `::`) it names this machine's first
    /// non-loopback address (a line says which).
    #[arg(long, conflicts_with = "unix")]
    pub qr: bool,

    #[command(flatten)]
    pub tls: super::TlsArgs,

    #[command(flatten)]
    pub access: super::AccessArgs,
}

/// What `--auth` guards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuthFor {
    /// Every request.
    All,
    /// Only uploads, new folders and deletions; reads stay public.
    Write,
}

/// What `netlab web` means without flags. Read from the definition above, so code that needs
/// the defaults without a command line (`web::Site::new`, for tests and fuzzers) has no copy of
/// them that could drift.
impl Default for WebArgs {
    fn default() -> WebArgs {
        let command = WebArgs::augment_args(clap::Command::new("web"));
        let matches = command
            .try_get_matches_from(["web"])
            .expect("every flag of `netlab web` is optional");
        WebArgs::from_arg_matches(&matches).expect("`netlab web` without flags parses")
    }
}
