//! `netlab web`: an HTTP/1.1 server for a directory, one fixed page (`--page`), or a mirror of
//! the request (`--echo`).
//!
//! One room per concern, along the lines of hyper's `proto/h1`: `transport.rs` is the socket
//! stream (sendfile, cork) behind one trait; `input.rs` the read buffer that hands heads to
//! `request.rs`, which checks them; `body.rs` reads or skips bodies (`Content-Length`, chunked), `multipart.rs` parses an upload
//! form's body as it streams;
//! `handlers/` routes a request and answers it, one file per feature (files, listing, page,
//! echo), each returning an answer value; `response.rs` builds heads and writes answers;
//! `access_log.rs` writes the log line; `conn.rs` is the per-connection state machine (generic
//! over the transport, so tests and fuzzers drive it in memory) and alone decides what may run
//! on an event loop. `files/` turns a target into an open file (safely), caches small ones and
//! holds the validators; `compress/` picks a content coding and compresses; `archive/` streams
//! a folder as tar, tar.gz or zip (`--archives`); `range.rs` parses `Range`; `events.rs` runs
//! the event loops that drive connections without a thread each; `server.rs` accepts (TCP, or a
//! Unix socket with `--unix`), limits and drains. `knobs.rs` checks `--header`, `--404` and
//! `--spa` at start; `qr.rs` prints `--qr`'s code.
//!
//! Only [`run`] and the validated [`Site`] are netlab's interface; the rooms are the crate's
//! own (the fuzz targets and tests reach them through the `fuzzing` feature).

mod access_log;
mod archive;
pub(crate) mod auth;
mod body;
pub(crate) mod compress;
pub(crate) mod conn;
pub(crate) mod events;
pub(crate) mod files;
mod handlers;
mod input;
pub(crate) mod knobs;
pub(crate) mod multipart;
mod qr;
pub(crate) mod range;
mod registry;
pub(crate) mod request;
mod response;
pub(crate) mod server;
#[cfg(test)]
mod tests;
mod transport;

// For SECURITY.md's test (through `crate::fuzzing`).
#[cfg(feature = "fuzzing")]
pub(crate) use handlers::echo;

use std::io::Read;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use anyhow::Context;

use crate::cli::WebArgs;
use crate::exit::Code;
use crate::net;

/// Length of the kernel's queue of connections not yet accepted.
pub const BACKLOG: u32 = 1024;

/// What the server answers with.
#[derive(Debug)]
pub enum Mode {
    /// Files under a directory.
    Dir(files::Root),
    /// One page for every request.
    Page(Page),
    /// The request itself.
    Echo,
}

/// The `--page` body and what is known about it.
#[derive(Debug)]
pub struct Page {
    pub body: Vec<u8>,
    pub mime: &'static str,
    /// A strong ETag from the content.
    pub etag: Vec<u8>,
    /// The body is UTF-8 (a text page gets `charset=utf-8`).
    pub utf8: bool,
    /// Unix seconds: the file's modification time (or when stdin was read).
    pub modified: u64,
    /// How the user named it, for the first log line.
    pub shown: String,
}

impl Page {
    pub fn new(body: Vec<u8>, name: &Path, modified: u64) -> Page {
        let mime = if name.as_os_str() == "-" {
            "text/html"
        } else {
            mime_guess::from_path(name)
                .first_raw()
                .unwrap_or("application/octet-stream")
        };
        // FNV-1a: the ETag only has to change when the content does.
        let hash = body.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        let etag = format!("\"p{hash:x}-{:x}\"", body.len()).into_bytes();
        Page {
            utf8: files::is_utf8(&body),
            body,
            mime,
            etag,
            modified,
            shown: name.display().to_string(),
        }
    }
}

/// Everything a connection needs to know about the site, validated from the flags.
#[derive(Debug)]
pub struct Site {
    pub mode: Mode,
    pub cors: bool,
    pub hidden: bool,
    pub listing: bool,
    /// `--archives`: a folder may be downloaded as one tar, tar.gz or zip.
    pub archives: bool,
    /// `--charset`: the charset every text file is said to be in (a lower-case WHATWG name).
    pub charset: Option<String>,
    /// Compress text on the fly (unless `--no-compress`).
    pub compress: bool,
    /// File name served for a directory when present.
    pub index: String,
    pub header_timeout: Duration,
    /// `--keepalive-timeout 0` turns keep-alive off.
    pub keep_alive: bool,
    pub keepalive_timeout: Duration,
    pub write_timeout: Duration,
    /// What clients may change: `--upload`, `--overwrite`, `--mkdir`, `--delete`, `--max-upload`.
    pub writes: Writes,
    /// `--auth`, `--auth-file`: the users, and what they guard.
    pub auth: Option<auth::Auth>,
    /// What every response carries after Date and Server: CORS's header (`--cors`), then
    /// `--header`'s, rendered once.
    pub common: Vec<u8>,
    /// `--spa`: a missing path without an extension gets the root's index.
    pub spa: bool,
    /// `--404 FILE`: the body of every 404.
    pub not_found: Option<knobs::NotFound>,
}

/// The opt-ins that let clients change the served directory (all off by default).
#[derive(Debug, Clone, Copy, Default)]
pub struct Writes {
    /// `PUT` (and the listing page's form) may create files.
    pub upload: bool,
    /// An upload may replace an existing file.
    pub overwrite: bool,
    /// An upload may create the folders it names; the page may create a folder.
    pub mkdir: bool,
    /// `DELETE` removes a file or an empty folder.
    pub delete: bool,
    /// The largest upload, in bytes.
    pub max_upload: Option<u64>,
}

impl Site {
    /// A site serving `mode` with every other setting as `netlab web` has it without flags (for
    /// tests and fuzzers). The defaults are the CLI definition's own, through the same mapping
    /// as [`Site::from_args`], so the two cannot differ.
    pub fn new(mode: Mode) -> Site {
        Site::with_mode(mode, &WebArgs::default())
    }

    /// Validate the flags (bad ones are usage errors, exit 2) and load the page if any.
    pub fn from_args(args: &WebArgs) -> anyhow::Result<Site> {
        if args.index.is_empty()
            || args.index.contains(['/', '\\', '\0'])
            || args.index == "."
            || args.index == ".."
        {
            return Err(Code::Usage.error(format!(
                "--index {:?}: must be a plain file name",
                args.index
            )));
        }
        let charset = args.charset.as_deref().map(charset_name).transpose()?;
        let auth = load_auth(args)?;
        let common = knobs::common_headers(args.cors, &args.header)?;
        let not_found = args
            .not_found
            .as_deref()
            .map(knobs::NotFound::load)
            .transpose()?;
        let mode = if args.echo {
            Mode::Echo
        } else if let Some(page) = &args.page {
            Mode::Page(load_page(page)?)
        } else {
            Mode::Dir(files::Root::new(&args.dir)?)
        };
        Ok(Site {
            charset,
            auth,
            common,
            not_found,
            ..Site::with_mode(mode, args)
        })
    }

    /// Everything but the mode and the charset, from the flags (already checked).
    fn with_mode(mode: Mode, args: &WebArgs) -> Site {
        Site {
            mode,
            cors: args.cors,
            hidden: args.hidden,
            listing: !args.no_listing,
            archives: args.archives,
            charset: None,
            compress: !args.no_compress,
            index: args.index.clone(),
            header_timeout: clamp_timeout(args.header_timeout),
            keep_alive: !args.keepalive_timeout.is_zero(),
            keepalive_timeout: clamp_timeout(args.keepalive_timeout),
            write_timeout: clamp_timeout(args.write_timeout),
            writes: Writes {
                upload: args.upload,
                overwrite: args.overwrite,
                mkdir: args.mkdir,
                delete: args.delete,
                max_upload: args.max_upload,
            },
            auth: None,
            common: knobs::common_headers(args.cors, &[]).unwrap_or_default(),
            spa: args.spa,
            not_found: None,
        }
    }

    /// The charset a text body is said to be in: `--charset`, else `utf-8` when it is UTF-8,
    /// else none (the page's `<meta charset>`, or the browser, decides).
    pub fn charset(&self, utf8: bool) -> Option<&str> {
        self.charset.as_deref().or(utf8.then_some("utf-8"))
    }

    /// What the first log line says is served: `serving ./site`, `page page.html`, `echo`.
    pub fn describe(&self) -> String {
        match &self.mode {
            Mode::Dir(root) => format!("serving {}", root.shown),
            Mode::Page(page) => format!("page {}", page.shown),
            Mode::Echo => "echo".into(),
        }
    }
}

/// The name `--charset LABEL` puts in Content-Type: the WHATWG name of the encoding the label
/// means, in lower case (`gb2312` → `gbk`). An unknown label is a usage error.
fn charset_name(label: &str) -> anyhow::Result<String> {
    match encoding_rs::Encoding::for_label(label.trim().as_bytes()) {
        Some(encoding) if encoding != encoding_rs::REPLACEMENT => {
            Ok(encoding.name().to_ascii_lowercase())
        }
        _ => Err(Code::Usage.error(format!(
            "--charset {label:?}: not a charset a browser knows (try utf-8, gbk, gb18030, big5, \
             shift_jis, euc-kr, windows-1252)"
        ))),
    }
}

/// A timeout between 1 ms and the longest duration a flag takes: a deadline computed from it
/// never overflows.
fn clamp_timeout(timeout: Duration) -> Duration {
    timeout.clamp(Duration::from_millis(1), crate::cli::MAX_DURATION)
}

/// `--auth` and `--auth-file` (read now: a missing file is a usage error), if either is given.
fn load_auth(args: &WebArgs) -> anyhow::Result<Option<auth::Auth>> {
    if args.auth.is_empty() && args.auth_file.is_none() {
        return Ok(None);
    }
    let text = match &args.auth_file {
        Some(path) => Some((
            path.display().to_string(),
            std::fs::read_to_string(path).map_err(|err| {
                Code::Usage.error(format!(
                    "--auth-file {}: {}",
                    path.display(),
                    crate::net::error_text(&err)
                ))
            })?,
        )),
        None => None,
    };
    let file = text
        .as_ref()
        .map(|(name, text)| (name.as_str(), text.as_str()));
    auth::Auth::new(
        &args.auth,
        file,
        args.auth_for.unwrap_or(auth::AuthFor::All),
    )
    .map(Some)
}

fn load_page(path: &Path) -> anyhow::Result<Page> {
    let shown = path.display();
    if path.as_os_str() == "-" {
        let mut body = Vec::new();
        std::io::stdin()
            .read_to_end(&mut body)
            .context("read the page from stdin")?;
        let now = files::unix_secs(SystemTime::now());
        return Ok(Page::new(body, path, now));
    }
    let meta = std::fs::metadata(path).map_err(|err| {
        Code::Usage.error(format!("--page {shown}: {}", crate::net::error_text(&err)))
    })?;
    if !meta.is_file() {
        return Err(Code::Usage.error(format!("--page {shown}: not a regular file")));
    }
    let body = std::fs::read(path).map_err(|err| {
        Code::Usage.error(format!("--page {shown}: {}", crate::net::error_text(&err)))
    })?;
    let modified = meta.modified().map(files::unix_secs).unwrap_or(0);
    Ok(Page::new(body, path, modified))
}

/// `netlab web`: validate, bind, say where, serve until Ctrl-C or SIGTERM.
pub fn run(args: WebArgs) -> anyhow::Result<()> {
    let site = Site::from_args(&args)?;
    let access = net::Access::from_flags(&args.access.allow, &args.access.deny)?;
    // A connection holds a descriptor (two while a file is sent): with the usual soft limit of
    // 1024, descriptors would run out before --max-conns (1024 by default) is reached.
    net::raise_fd_limit();
    if let Some(path) = &args.unix {
        return run_unix(path, site, &args, access);
    }
    let addrs = net::resolve_host(&args.host, args.port)?;
    let names = net::tls::names_for(&args.host, &addrs);
    let tls = net::tls::ServerTls::from_args(&args.tls, &names, &[b"http/1.1"])?;
    let (listeners, warnings) = net::listen_tcp_all(&addrs, BACKLOG)?;
    let (scheme, summary) = match &tls {
        Some(tls) => ("https", format!("; {}", tls.summary())),
        None => ("http", String::new()),
    };
    // Before the first line: a script that reads it may signal at once, and must stop us cleanly.
    let shutdown = net::Shutdown::on_signals("web")?;
    // Always printed, even with --quiet: scripts read the address from the first.
    for listener in &listeners {
        let addr = listener.local_addr().context("read the bound address")?;
        crate::log::line(format_args!(
            "netlab web: listening on {scheme}://{}/ ({}{summary})",
            net::url_authority(addr),
            site.describe()
        ));
    }
    if args.qr
        && let Some(addr) = listeners.first().and_then(|l| l.local_addr().ok())
    {
        qr::print(scheme, addr);
    }
    crate::explain::release();
    let cleartext_auth = (site.auth.is_some() && tls.is_none())
        .then(|| listeners.iter().filter_map(|l| l.local_addr().ok()))
        .into_iter()
        .flatten()
        .find(|addr| !addr.ip().is_loopback())
        .map(|addr| {
            format!(
                "--auth over plain HTTP on {}: passwords cross the network readable; use --tls",
                net::url_authority(addr)
            )
        });
    for warning in warnings
        .iter()
        .chain(cleartext_auth.as_ref())
        .chain(tls.as_ref().and_then(|t| t.warning.as_ref()))
    {
        crate::warn!("{warning}");
    }
    let listeners = net::Listeners::new(listeners.into_iter().map(net::Listener::Tcp).collect())
        .context("set up the listeners")?;
    server::serve(
        listeners,
        Arc::new(site),
        args.max_conns as usize,
        shutdown,
        tls,
        access,
    )
}

/// `--unix PATH`: the socket bound as `serve --unix` binds it (a stale one replaced, anything
/// else left alone), `listening on unix:PATH`, and the socket file removed at exit.
fn run_unix(path: &Path, site: Site, args: &WebArgs, access: net::Access) -> anyhow::Result<()> {
    if args.tls.tls || args.tls.tls_cert.is_some() || args.tls.tls_key.is_some() {
        return Err(Code::Usage.error("--unix: TLS is served over TCP; drop --tls or --unix"));
    }
    let (listener, socket_file) = crate::serve::unix::bind(path, BACKLOG)?;
    let shutdown = net::Shutdown::on_signals("web")?;
    let listener = net::Listener::Unix(listener);
    crate::log::line(format_args!(
        "netlab web: listening on {} ({})",
        listener.location()?,
        site.describe()
    ));
    crate::explain::release();
    if socket_file.replaced_stale {
        crate::info!("replaced a stale socket (no server was listening on it)");
    }
    let listeners = net::Listeners::new(vec![listener]).context("set up the listener")?;
    let served = server::serve(
        listeners,
        Arc::new(site),
        args.max_conns as usize,
        shutdown,
        None,
        access,
    );
    drop(socket_file);
    served
}
