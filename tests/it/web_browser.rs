//! The listing page in a real browser (issue 15): Debian's chromium driven by Playwright (from
//! PyPI, in the venv `.ci/run` makes; never a downloaded browser build) runs
//! `tests/browser/listing.py` against a server started here — upload two files through the
//! form, sort by size, follow the parent link and the breadcrumbs, filter the rows, make and
//! delete a folder, download the folder as a tar.gz, log in through the auth prompt, the form
//! without JavaScript — and leaves screenshots (390 and 1280 px wide, light and
//! dark) in `target/screenshots/`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::harness::{Lab, peer_any, skip, wait_output_within};

/// The Python that has Playwright: `NETLAB_PLAYWRIGHT_PYTHON` (what `.ci/run` sets), else the
/// venv `.ci/run` makes. Missing: skipped, or a failure when `CI` is set.
fn playwright_python() -> Option<PathBuf> {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/playwright-venv/bin/python");
    let python = std::env::var_os("NETLAB_PLAYWRIGHT_PYTHON")
        .map(PathBuf::from)
        .or_else(|| venv.exists().then_some(venv));
    if python.is_some() {
        return python;
    }
    if std::env::var_os("CI").is_some_and(|ci| !ci.is_empty()) {
        panic!("no Python with Playwright, and CI is set: .ci/run makes target/playwright-venv");
    }
    skip("no Python with Playwright (NETLAB_PLAYWRIGHT_PYTHON, or target/playwright-venv)");
    None
}

#[test]
fn web_listing_works_in_a_real_browser() {
    let Some(python) = playwright_python() else {
        return;
    };
    let Some(chromium) = peer_any(&["chromium"]) else {
        return;
    };
    let lab = Lab::new();
    lab.write("site/readme.txt", "read me\n");
    lab.write("site/sub/small.txt", "small");
    lab.write("site/sub/mid.txt", vec![b'm'; 1000]);
    std::fs::create_dir(lab.path().join("site/sub/inner")).unwrap();
    let server = lab.server([
        "web",
        "site",
        "--port",
        "0",
        "--upload",
        "--mkdir",
        "--delete",
        "--archives",
        "--auth",
        "ann:pw",
        "--auth-for",
        "write",
    ]);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shots = root.join("target/screenshots");
    let child = Command::new(python)
        .arg(root.join("tests/browser/listing.py"))
        .arg(format!("{}/", server.base_url()))
        .arg(&shots)
        .env("NETLAB_CHROMIUM", which(chromium))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the Playwright script");
    let out = wait_output_within(child, Duration::from_secs(240));
    let said = format!(
        "stdout:\n{}\nstderr:\n{}\nserver:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        server.log()
    );
    assert!(out.status.success(), "the browser script failed\n{said}");
    let site = lab.path().join("site");
    assert_eq!(
        std::fs::read(site.join("sub/first.txt")).unwrap(),
        b"first file\n"
    );
    assert_eq!(
        std::fs::read(site.join("sub/second.bin")).unwrap().len(),
        256 * 400
    );
    assert_eq!(std::fs::read(site.join("authed.txt")).unwrap(), b"in\n");
    assert_eq!(
        std::fs::read(site.join("nojs.txt")).unwrap(),
        b"plain form\n"
    );
    assert!(!site.join("made here").exists(), "{said}");
    assert!(!site.join("nope.txt").exists(), "{said}");
    for shot in ["390-light", "390-dark", "1280-light", "1280-dark"] {
        let png = std::fs::read(shots.join(format!("listing-{shot}.png"))).unwrap();
        assert!(png.starts_with(b"\x89PNG"), "{shot}");
    }
}

/// The full path of a tool on PATH.
fn which(tool: &str) -> PathBuf {
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|dir| dir.join(tool))
        .find(|path| path.is_file())
        .unwrap_or_else(|| PathBuf::from(tool))
}
