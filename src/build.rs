//! The build script: hands `netlab --version` its long form (see `buildinfo.rs`).

#[path = "buildinfo.rs"]
mod buildinfo;

use std::path::PathBuf;

fn main() {
    let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let version = std::env::var("CARGO_PKG_VERSION").expect("cargo sets it");
    let revision = buildinfo::revision(&dir);
    println!(
        "cargo:rustc-env=NETLAB_LONG_VERSION={}",
        buildinfo::describe(&version, revision.as_ref())
    );
    // Run again when a commit, a checkout or an edit can change the answer; without git, only
    // when this script does.
    println!("cargo:rerun-if-changed=src/build.rs");
    println!("cargo:rerun-if-changed=src/buildinfo.rs");
    let watched = buildinfo::watched(&dir);
    if !watched.is_empty() {
        for path in watched {
            println!("cargo:rerun-if-changed={}", path.display());
        }
        for path in ["src", "tests", "Cargo.toml", "Cargo.lock"] {
            println!("cargo:rerun-if-changed={path}");
        }
    }
}
