//! The checks behind netlab's fuzz targets (`fuzz/`), their corpus replay on stable
//! (`tests/it/fuzz_corpus.rs`) and the property tests (`tests/it/properties.rs`): each takes arbitrary
//! bytes, runs one part of netlab on them in memory, and panics when a promise is broken. Written
//! once here so the fuzzer and `cargo test` check exactly the same things.
//!
//! Not part of netlab's interface: compiled only with the `fuzzing` feature (which `cargo test`
//! and `fuzz/` turn on), may change at any time.
//!
//! One file per fuzz target, named as in `fuzz/fuzz_targets/`; the fixture the web targets
//! share is here, and `web` names the server's limits for the tests, so the modules of
//! `src/web/` need not be public.

mod connect;
mod multipart;
mod path_resolution;
mod range;
mod urldecode;
pub mod web;
mod web_conn;

pub use connect::connect;
pub use multipart::multipart;
pub use path_resolution::{path_resolution, resolve_escapes};
pub use range::{check_range, range};
pub use urldecode::{urldecode, urldecode_args};
pub use web_conn::{Response, Trickle, check_responses, serve_bytes, web_conn, without_dates};

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::web::files::{self, Root};
use crate::web::{Mode, Page, Site};

/// Bytes of `big.bin` in the fixture: more than `web::files::SMALL_FILE`, so it takes the
/// `send_file` path rather than the in-memory one.
pub const BIG: usize = files::SMALL_FILE + 4096;

/// A served directory with the awkward cases in it, and the sites the web checks run against.
pub struct Fixture {
    /// The served root (`base/site`).
    pub root: PathBuf,
    /// Directory mode, default flags.
    pub dir: Site,
    /// Directory mode with `--hidden --cors --no-listing`.
    pub dir_hidden: Site,
    /// `--page`.
    pub page: Site,
    /// `--echo`.
    pub echo: Site,
}

impl Fixture {
    /// Lay the fixture out under `base` (which must exist and be empty) and open its sites.
    ///
    /// `base/site` holds small and large files, an empty file, a non-ASCII name, a dotfile, a
    /// precompressed sibling, a directory with an index and one without, a FIFO, and symlinks
    /// that stay inside (relative and absolute), lead out (to a file and to a directory beside
    /// the root, `base/outside`) or loop. A promise broken here is broken for every user.
    pub fn create(base: &Path) -> io::Result<Fixture> {
        let site = base.join("site");
        let outside = base.join("outside");
        fs::create_dir_all(site.join("d/sub"))?;
        fs::create_dir_all(site.join("docs"))?;
        fs::create_dir_all(&outside)?;
        fs::write(outside.join("secret"), "SECRET outside the root\n")?;
        fs::write(site.join("a.txt"), "alpha\n")?;
        fs::write(site.join("empty.txt"), "")?;
        fs::write(site.join("big.bin"), vec![b'b'; BIG])?;
        fs::write(site.join("教程.txt"), "jiaocheng\n")?;
        fs::write(site.join(".env"), "HIDDEN=1\n")?;
        fs::write(site.join("e.html"), "<p>e</p>\n")?;
        fs::write(site.join("e.html.gz"), b"\x1f\x8b not really gzip")?;
        fs::write(site.join("d/x.txt"), "x\n")?;
        fs::write(site.join("d/sub/y.json"), "{}\n")?;
        fs::write(site.join("docs/index.html"), "<h1>docs</h1>\n")?;
        let link = |to: &Path, name: &str| std::os::unix::fs::symlink(to, site.join(name));
        link(&outside.join("secret"), "out")?;
        link(Path::new("../outside/secret"), "out-rel")?;
        link(Path::new("../outside"), "outdir")?;
        link(Path::new("a.txt"), "in")?;
        link(&site.join("a.txt"), "abs-in")?;
        link(Path::new("../a.txt"), "d/up")?;
        link(Path::new("loop"), "loop")?;
        nix::unistd::mkfifo(&site.join("fifo"), nix::sys::stat::Mode::S_IRWXU)
            .map_err(io::Error::from)?;
        let open = |path: &Path| Root::new(path).map_err(|err| io::Error::other(err.to_string()));
        let mut dir_hidden = Site::new(Mode::Dir(open(&site)?));
        dir_hidden.hidden = true;
        dir_hidden.cors = true;
        // What every response carries with --cors (and no --header).
        dir_hidden.common = crate::web::knobs::common_headers(true, &[])
            .map_err(|err| io::Error::other(err.to_string()))?;
        dir_hidden.listing = false;
        let page = Page::new(b"<p>the page</p>\n".to_vec(), Path::new("page.html"), 1);
        Ok(Fixture {
            dir: Site::new(Mode::Dir(open(&site)?)),
            dir_hidden,
            page: Site::new(Mode::Page(page)),
            echo: Site::new(Mode::Echo),
            root: fs::canonicalize(&site)?,
        })
    }

    /// One fixture per process in the system's temporary directory (for the fuzz targets, which
    /// have no test harness to clean up after them). Logging is switched off: a fuzzer runs
    /// millions of requests.
    pub fn shared() -> &'static Fixture {
        static FIXTURE: OnceLock<Fixture> = OnceLock::new();
        FIXTURE.get_or_init(|| {
            crate::log::init(true, false);
            let base = std::env::temp_dir().join(format!("netlab-fuzz-{}", std::process::id()));
            let _ = fs::remove_dir_all(&base);
            fs::create_dir_all(&base).expect("create the fuzz fixture directory");
            Fixture::create(&base).expect("lay out the fuzz fixture")
        })
    }

    fn site(&self, selector: u8) -> &Site {
        match selector % 4 {
            0 => &self.dir,
            1 => &self.dir_hidden,
            2 => &self.page,
            _ => &self.echo,
        }
    }
}
