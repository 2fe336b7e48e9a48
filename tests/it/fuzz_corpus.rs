//! The committed fuzz corpora (`fuzz/corpus/<target>/`), replayed on stable through the very
//! checks the fuzz targets run (`netlab::fuzzing`): CI checks every input the fuzzer ever kept,
//! and every crash it found (saved there too), without nightly.

use std::path::{Path, PathBuf};

use netlab::fuzzing;

fn corpus(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("{}: {err}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    assert!(
        files.len() >= 10,
        "{}: the corpus is missing or nearly empty",
        dir.display()
    );
    files
}

/// Run `check` on every file of the target's corpus, naming the file when it fails.
fn replay(target: &str, check: impl Fn(&[u8])) {
    for path in corpus(target) {
        let data = std::fs::read(&path).unwrap();
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&data)));
        if let Err(panic) = result {
            let why = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!("{target}: {} fails: {why}", path.display());
        }
    }
}

use crate::harness::web_fixture as fixture;

#[test]
fn fuzz_corpus_web_conn() {
    let (_dir, fixture) = fixture();
    replay("web_conn", |data| fuzzing::web_conn(&fixture, data));
}

#[test]
fn fuzz_corpus_path_resolution() {
    let (_dir, fixture) = fixture();
    replay("path_resolution", |data| {
        fuzzing::path_resolution(&fixture, data)
    });
}

#[test]
fn fuzz_corpus_range() {
    replay("range", fuzzing::range);
}

#[test]
fn fuzz_corpus_urldecode() {
    replay("urldecode", fuzzing::urldecode);
}

#[test]
fn fuzz_corpus_connect() {
    replay("connect", fuzzing::connect);
}

#[test]
fn fuzz_corpus_multipart() {
    replay("multipart", fuzzing::multipart);
}
